/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libremotevm: reserve, commit, query, protect and free memory inside
 * another process through /dev/remotevm, and read and write it.
 *
 * A struct remotevm is a handle on one target process. Every function
 * returns 0 (or a count) on success and a negative errno on failure, and
 * also sets errno. Calls on one handle may come from several threads.
 */
#ifndef REMOTEVM_REMOTEVM_H
#define REMOTEVM_REMOTEVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/remotevm.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef LIBREMOTEVM_API
#define LIBREMOTEVM_API __attribute__((visibility("default")))
#endif

struct remotevm;

/*
 * Options of remotevm__open(). Declare with REMOTEVM_OPTS so that sz is
 * set: a library built with more fields still reads an older caller's.
 */
struct remotevm_open_opts {
	size_t sz;
	/* An open /proc/PID/mem (O_RDWR), e.g. from a privileged broker; the
	 * handle takes its own reference. 0 or negative: open it here, with
	 * the caller's credentials. */
	int mem_fd;
	/* Release everything this handle allocated when it is closed. */
	bool release_on_close;
	/* Microseconds the kernel worker waits busy for the next request on
	 * another CPU (remotevm_attach.poll_us); 0: it sleeps. */
	unsigned int poll_us;
	size_t :0;
};

#define REMOTEVM_OPTS(TYPE, NAME, ...)					\
	struct TYPE NAME = {						\
		.sz = sizeof(struct TYPE),				\
		__VA_ARGS__						\
	}

/* Attaches to process @pid; opts may be NULL. */
LIBREMOTEVM_API int remotevm__open(pid_t pid, const struct remotevm_open_opts *opts,
				struct remotevm **handle);
/* Closes the handle; NULL is a no-op. */
LIBREMOTEVM_API void remotevm__close(struct remotevm *handle);

LIBREMOTEVM_API pid_t remotevm__pid(const struct remotevm *handle);
/* The /dev/remotevm fd, for raw ioctls. */
LIBREMOTEVM_API int remotevm__fd(const struct remotevm *handle);

/* VirtualAllocEx; fills alloc->allocated_address and allocated_size. */
LIBREMOTEVM_API int remotevm__alloc(struct remotevm *handle,
				 struct remotevm_alloc *alloc);
/* VirtualFreeEx: REMOTEVM_MEM_DECOMMIT or REMOTEVM_MEM_RELEASE. */
LIBREMOTEVM_API int remotevm__free(struct remotevm *handle, uint64_t address,
				uint64_t size, uint32_t free_type);
/* VirtualQueryEx. */
LIBREMOTEVM_API int remotevm__query(struct remotevm *handle, uint64_t address,
				 struct remotevm_region *region);
/*
 * The regions of [start, end): fills up to *count entries and sets *count
 * to how many; *next is where to go on (== end when done).
 */
LIBREMOTEVM_API int remotevm__regions(struct remotevm *handle, uint64_t start,
				   uint64_t end, struct remotevm_region *regions,
				   uint32_t *count, uint64_t *next);
/* VirtualProtectEx; flags: REMOTEVM_PROTECT_*; old may be NULL. */
LIBREMOTEVM_API int remotevm__protect(struct remotevm *handle, uint64_t address,
				   uint64_t size, uint32_t new_protection,
				   uint32_t flags, uint32_t *old_protection);
/* Several operations in one call; see REMOTEVM_IOC_BATCH. */
LIBREMOTEVM_API int remotevm__batch(struct remotevm *handle,
				 struct remotevm_op *ops, uint32_t count,
				 uint32_t *completed);

/*
 * Reads or writes the target's memory through its /proc/PID/mem, up to
 * the first page that is not committed or is PAGE_NOACCESS: returns the
 * number of bytes done (short there), or a negative errno if none could
 * be. Like WriteProcessMemory, a write also reaches read-only and
 * executable pages (copy-on-write, as ptrace pokes do).
 */
LIBREMOTEVM_API ssize_t remotevm__read(struct remotevm *handle, uint64_t address,
				    void *buf, size_t len);
LIBREMOTEVM_API ssize_t remotevm__write(struct remotevm *handle, uint64_t address,
				     const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* REMOTEVM_REMOTEVM_H */
