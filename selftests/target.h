/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A remotevm_target process driven over two pipes (see remotevm_target.c
 * for its commands), for tests that check results from the target's side.
 */
#ifndef REMOTEVM_SELFTESTS_TARGET_H
#define REMOTEVM_SELFTESTS_TARGET_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* maps_find() and the other /proc readers that checks on a target use. */
#include "proc.h"

struct target {
	pid_t pid;
	FILE *cmd;
	FILE *reply;
	uint64_t code;	/* an address in its text */
};

/* The path of a program built next to the running test. */
const char *helper_path(const char *name);
/* Starts the target program @name (as @uid if not 0); 0 or -1. */
int target_start_as(struct target *t, const char *name, uid_t uid);
int target_start(struct target *t);
/* Sends one command; 0 if the target answered ok (rest of line in reply). */
int target_do(struct target *t, char *reply, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void target_stop(struct target *t);
/* The target's own view of a byte: readable, writable. */
int target_probe(struct target *t, uint64_t addr, int *r, int *w);
/* The target reads [addr, addr+len): its first byte, -1 if not uniform. */
int target_read(struct target *t, uint64_t addr, uint64_t len);
int target_write(struct target *t, uint64_t addr, uint64_t len, int byte);
/* A range the target had mapped and unmapped: free, for explicit addresses. */
uint64_t target_hole(struct target *t, uint64_t len);

#endif
