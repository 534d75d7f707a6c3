/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * What the COM face knows of a target beyond its memory: the native stack
 * of a thread (elfutils' libdwfl) and its POSIX thread-specific data
 * (glibc's libthread_db). Internal to libremotevm.
 */
#ifndef REMOTEVM_NATIVE_H
#define REMOTEVM_NATIVE_H

#include <stddef.h>
#include <sys/types.h>

#include "remotevm/jscript9diag.h"
#include "remotevm/remotevm.h"

/*
 * The frames of thread @tid of process @pid, innermost first, in a
 * malloc()ed array. The caller has checked that it traces @tid and that
 * @tid is stopped.
 */
HRESULT native_stack_frames(pid_t pid, pid_t tid, JS_NATIVE_FRAME **frames,
			    size_t *count);

/* pthread_getspecific(@key) as thread @tid of @handle's process sees it. */
HRESULT native_thread_specific(struct remotevm *handle, pid_t tid,
			       uint32_t key, uint64_t *value);

#endif
