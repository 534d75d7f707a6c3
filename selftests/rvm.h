/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the remotevm selftest programs: the ioctls as calls
 * that return 0 or -errno, and readers of /proc for what tests check.
 */
#ifndef REMOTEVM_SELFTESTS_RVM_H
#define REMOTEVM_SELFTESTS_RVM_H

#include <stdint.h>
#include <sys/types.h>

#include <linux/remotevm.h>

#define PAGE		4096ULL
#define NOBODY		65534
#define POISON		0xccccccccccccccccULL
#define RW		REMOTEVM_PAGE_READWRITE
#define COMMIT		REMOTEVM_MEM_COMMIT
#define RESERVE		REMOTEVM_MEM_RESERVE
#define DECOMMIT	REMOTEVM_MEM_DECOMMIT
#define RELEASE		REMOTEVM_MEM_RELEASE

/* The target's /proc/PID/maps; two snapshots stay valid at a time. */
char *maps_snapshot(pid_t pid);

int rvm_open(void);

int rvm_attach_fd(int dev, pid_t pid, int mem_fd);

/*
 * Attaches with a mem fd the caller opens itself, with a polling worker if
 * poll_us; -1 with errno set.
 */
int rvm_attach_polling(int dev, pid_t pid, unsigned int poll_us);

int rvm_attach(int dev, pid_t pid);

/* VirtualAllocEx: 0 and *out, or -errno. */
int rvm_alloc(int dev, uint64_t addr, uint64_t size, uint32_t type,
		uint32_t prot, uint64_t *out);

/* Reserves exactly at addr, without the 64 KiB rounding of an address. */
int rvm_reserve_exactly(int dev, uint64_t addr, uint64_t size);

int rvm_alloc_full(int dev, struct remotevm_alloc *alloc);

int rvm_free(int dev, uint64_t addr, uint64_t size, uint32_t type);

int rvm_query(int dev, uint64_t addr, struct remotevm_region *region);

int rvm_protect(int dev, uint64_t addr, uint64_t size, uint32_t prot,
		  uint32_t flags, uint32_t *old);

struct remotevm_op alloc_op(uint64_t addr, uint64_t size, uint32_t type);

int rvm_batch(int dev, struct remotevm_op *ops, uint32_t count,
		uint32_t *completed);

struct remotevm_op release_op(uint64_t addr);

/* The worker kthread of the one handle attached to @target, or -1. */
pid_t worker_of(pid_t target);

/*
 * Where field @field (numbered as in proc(5)) of /proc/PID/stat starts in
 * @buf, which it reads; NULL on error. The comm, field 2, may hold spaces:
 * fields are counted from its closing parenthesis.
 */
char *stat_field(pid_t pid, int field, char *buf, int len);

/* A task's state letter (field 3) and last CPU (field 39). */
int task_sched(pid_t pid, char *state, int *cpu);

int pin_to_cpu(pid_t pid, int cpu);

/*
 * Clock ticks a task has run (utime + stime, fields 14 and 15 of
 * /proc/PID/stat): coarse, but there without schedstats; -1 on error.
 */
long long task_ticks(pid_t pid);

/*
 * How many tasks, kernel threads included, have a comm starting with
 * @prefix (as /proc/PID/comm shows it, with its newline), and the pid of
 * the first in *@first if not NULL; -1 if /proc cannot be read.
 */
int count_comm_prefix(const char *prefix, pid_t *first);

/*
 * Reads [addr, addr+len) of process @pid through /proc/PID/mem, as a
 * debugger would: bytes read, or -errno.
 */
long proc_mem_read(pid_t pid, uint64_t addr, void *buf, uint64_t len);

/* A kB field ("Rss", "Locked") of the mapping of @pid holding @addr; -1 if none. */
long smaps_field(pid_t pid, uint64_t addr, const char *field);

/*
 * Whether the mapping of process @pid that holds @addr has VmFlags @flag
 * ("lo" for mlock()ed) in /proc/PID/smaps: 1, 0, or -1 if there is none.
 */
int smaps_vmflag(pid_t pid, uint64_t addr, const char *flag);

/* CLOCK_MONOTONIC in seconds. */
double now(void);

#endif
