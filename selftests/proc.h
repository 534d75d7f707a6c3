/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the remotevm selftests and the bench read from /proc (and write to
 * /proc/sys and /sys): one function per fact, in plain C11, without the
 * test harness or the remotevm ioctls. Errors are returned, never fatal:
 * a test asserts on them, the bench dies on them.
 */
#ifndef REMOTEVM_SELFTESTS_PROC_H
#define REMOTEVM_SELFTESTS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The first line of @path, newline included, into @buf; 0, or -1 with
 * errno set. Without stdio, as write_line().
 */
int read_line(const char *path, char *buf, size_t len);

/*
 * Writes @value to the existing file @path (a sysctl, a cgroup file) in
 * one write(); 0, or -1 with errno set. Without stdio, so that a caller
 * that must not allocate (under overcommit_memory=2) can use it.
 */
int write_line(const char *path, const char *value);

/*
 * Where field @field (numbered as in proc(5)) of /proc/PID/stat starts in
 * @buf, which it reads; NULL on error. The comm, field 2, may hold spaces:
 * fields are counted from its closing parenthesis.
 */
char *stat_field(pid_t pid, int field, char *buf, int len);

/* A task's state letter (field 3 of /proc/PID/stat: 'S', 'T', 't'...), or '?'. */
char task_state(pid_t pid);

/* A task's state letter and last CPU (field 39), read at once; 0 or -1. */
int task_sched(pid_t pid, char *state, int *cpu);

/*
 * Clock ticks a task has run (utime + stime, fields 14 and 15 of
 * /proc/PID/stat): coarse, but there without schedstats; -1 on error.
 */
long long task_ticks(pid_t pid);

/* Whether a task is a kernel thread (PF_KTHREAD in field 9): 1, 0, or -1. */
int task_is_kthread(pid_t pid);

/* Where a task sleeps (/proc/PID/wchan) into @buf, or "?": for a log. */
const char *task_wchan(pid_t pid, char *buf, int len);

/*
 * A numeric field "name:   value" of @path (/proc/meminfo), or "name value"
 * (a cgroup's memory.events), or -1.
 */
long proc_file_field(const char *path, const char *name);

/* A numeric field "name:   value" of /proc/PID/status, or -1. */
long proc_status_field(pid_t pid, const char *name);

/*
 * The ns task @pid waited runnable while its CPU ran others (the second
 * field of /proc/PID/schedstat), or -1.
 */
int64_t proc_run_delay(pid_t pid);

/*
 * How many tasks, kernel threads included, have a comm starting with
 * @prefix (as /proc/PID/comm shows it, with its newline), and the pid of
 * the first in *@first if not NULL; -1 if /proc cannot be read.
 */
int count_comm_prefix(const char *prefix, pid_t *first);

/*
 * The worker kthread ("remotevm/TGID", cut to the 15 characters of a comm)
 * of the newest handle attached to @target, or -1 if there is none.
 */
pid_t worker_of(pid_t target);

/* sched_setaffinity() of @pid to @cpu alone; 0, or -1 with errno set. */
int pin_to_cpu(pid_t pid, int cpu);

/* sched_setaffinity() of @pid to every online CPU; 0, or -1 with errno set. */
int unpin(pid_t pid);

/*
 * Inter-processor interrupts CPU @cpu received so far: rescheduling,
 * function call and TLB shootdown (the rows RES, CAL and TLB of
 * /proc/interrupts); -1 if it cannot be read.
 */
long cpu_ipis(int cpu);

/* /proc/PID/mem opened with @flags (O_CLOEXEC added): a fd, or -1. */
int proc_mem_open(pid_t pid, int flags);

/*
 * Reads [addr, addr+len) of process @pid through /proc/PID/mem, as a
 * debugger would: bytes read, or -errno.
 */
long proc_mem_read(pid_t pid, uint64_t addr, void *buf, uint64_t len);

/* The target's /proc/PID/maps; two snapshots stay valid at a time. */
char *maps_snapshot(pid_t pid);

struct mapping {
	uint64_t start, end;
	char perms[5];
	bool anon;
};

/*
 * /proc/PID/maps into @maps, at most @max, with adjacent anonymous
 * mappings of the same perms merged: a failed operation may leave a split
 * the kernel did not merge back, which changes nothing for the process.
 * Returns how many, or -1 (with errno E2BIG if there are more than @max:
 * a partial list would pass for all of them).
 */
int maps_merged(pid_t pid, struct mapping *maps, int max);

/*
 * The mapping of process @pid that contains @addr: 0 with its perms
 * ("rw-p") and bounds (either may be NULL), or -1 if there is none.
 */
int maps_find(pid_t pid, uint64_t addr, char perms[5], uint64_t *start,
	      uint64_t *end);

/* A kB field ("Rss", "Locked") of the mapping of @pid holding @addr; -1 if none. */
long smaps_field(pid_t pid, uint64_t addr, const char *field);

/*
 * Whether the mapping of process @pid that holds @addr has VmFlags @flag
 * ("lo" for mlock()ed) in /proc/PID/smaps: 1, 0, or -1 if there is none.
 */
int smaps_vmflag(pid_t pid, uint64_t addr, const char *flag);

/*
 * failslab and fail_page_alloc made to reach every allocation (@every):
 * sleeping ones, single pages and highmem too; or back to the kernel's
 * defaults, which spare those. Kernels without them: nothing happens.
 */
void fault_injection_reach_all(bool every);

/* /dev/kmsg, read from its end on and without blocking: a fd, or -1. */
int kmsg_open(void);

/*
 * The text of the next message logged on @fd (from kmsg_open()), in @buf,
 * or NULL when none is left. Messages lost to the ring's overrun are
 * skipped.
 */
const char *kmsg_next(int fd, char *buf, size_t len);

/*
 * Whether @msg is remotevm's report that its worker unmapped memory the
 * target had taken back ("pid P unmapped remotevm memory ... what it
 * mapped at START-END ..."): 1 with its pid and range, else 0.
 */
int kmsg_clobber(const char *msg, pid_t *pid, uint64_t *start, uint64_t *end);

/* CLOCK_MONOTONIC in seconds. */
double now(void);

#endif
