/* SPDX-License-Identifier: GPL-2.0 */
/* remotevm-fuzz: the operations (ops.c) and the state the tool shares. */
#ifndef REMOTEVM_FUZZ_OPS_H
#define REMOTEVM_FUZZ_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fuzz.h"

enum op_kind {
	OP_ALLOC, OP_FREE, OP_QUERY, OP_PROTECT, OP_REGIONS, OP_BATCH,
	OP_READ, OP_API, OP_ATTACH, OP_GARBAGE, OP_KINDS
};

extern const char *const op_names[OP_KINDS];

/* What every tool thread sees: the target, and the bad pointers. */
struct fuzz_shared {
	pid_t target;
	int mem_fd;		/* the target's /proc/PID/mem */
	uint64_t window;	/* the target's churn window */
	uint64_t pattern;	/* the target's pattern pages */
	char *unmapped;		/* a page that is not mapped */
	char *readonly;		/* a read-only page */
	char *straddle;		/* a writable page, the next one unmapped */
	unsigned long count[OP_KINDS], failed[OP_KINDS];
	unsigned long failures;
};

extern struct fuzz_shared fz;

/* One tool thread's buffers: an argument struct may be up to 16 KiB. */
struct fuzz_thread {
	int index;
	char buf[20480] __attribute__((aligned(16)));
	char array[65536] __attribute__((aligned(16)));
};

uint64_t pick_addr(struct rng *r);
uint64_t pick_size(struct rng *r);
enum op_kind pick_op(struct rng *r);
/* Runs one op of @kind on handle @fd: 0 or -errno, checked. */
long run_op(struct rng *r, struct fuzz_thread *ft, enum op_kind kind, int fd);

/* fuzz.c: reports a failure (and counts it); the run goes on. */
void fuzz_fail(struct fuzz_thread *ft, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
