/* SPDX-License-Identifier: GPL-2.0 */
/*
 * remotevm-bench: what the files of the bench share. Each experiment
 * (latency.c, calls.c, throughput.c, scaling.c, tracing.c, diag.c) is registered in
 * main.c's table; the others are what they measure with.
 */
#ifndef REMOTEVM_BENCH_H
#define REMOTEVM_BENCH_H

#include <stdatomic.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/user.h>

#include <linux/remotevm.h>

/* The /proc readers the selftests use too. */
#include "proc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ROUNDS 101
#define MAX_BATCH 512
#define NS_PER_MS 1000000LL
/* remotevm_attach.poll_us of the polling handles: well above the gap
 * between two requests of a tool's loop, even under TCG. */
#define POLL_US 50

/* ---- util.c ---- */

void __attribute__((noreturn, format(printf, 3, 4)))
fail_at(int line, bool with_errno, const char *fmt, ...);
/* die(): a call failed and errno says why; fail(): a result was wrong. */
#define die(...) fail_at(__LINE__, true, __VA_ARGS__)
#define fail(...) fail_at(__LINE__, false, __VA_ARGS__)

int64_t now_ns(void);
void sleep_ns(int64_t ns);
void write_all(int fd, const void *buf, size_t len);
/* Reads exactly len bytes; false at end of file before any byte. */
bool read_all(int fd, void *buf, size_t len);
/* Pins pid (0: the caller) to one CPU, or lets it run on all of them. */
void must_pin(pid_t pid, int cpu);
void must_unpin(pid_t pid);
/* The start of pid's first mapping (its executable's first page). */
uint64_t first_mapping(pid_t pid);

/* Memory shared by the tool, its targets and its helper processes. */
struct shared {
	/* The spinning target's loop counter, alone on its cache line. */
	alignas(64) _Atomic uint64_t count;
	alignas(64) _Atomic int stop;
	/* Results of the helper tool processes of the scaling experiment. */
	struct {
		_Atomic uint64_t ops;
		_Atomic int64_t ns;
	} tools[2];
};

extern struct shared *sh;
extern int shm_fd;
void shared_create(void);

/* What the command line set; the experiments read it. */
struct options {
	int rounds;		/* of the interleaved per-op experiments */
	int64_t round_ns;	/* how long one series runs in a round */
	int phase_rounds;	/* of the throughput and scaling experiments */
	uint64_t phase_ops;	/* alloc+free pairs per throughput phase */
};

extern struct options opt;

/* ---- stats.c ---- */

struct stats {
	double median, p10, p90, mad;
	int n;
};

struct stats summarise(const double *v, int n);
/* a/b: the ratio of the medians, p10 .. p90 of the per-round ratios. */
struct stats ratio_stats(const double *a, const double *b, int n);

/* ---- rounds.c: interleaved, calibrated rounds ---- */

struct timing {
	int64_t total;		/* ns for all the ops of a round */
	int64_t alloc;		/* of which allocating (batched methods only) */
	int64_t release;	/* of which releasing (batched methods only) */
};

/* One thing timed per op, round after round. */
struct series {
	uint32_t batch;			/* the ops of a round are a multiple of it */
	uint64_t ops;			/* per round, calibrated */
	double us[MAX_ROUNDS];		/* µs per op, per round */
	double alloc_us[MAX_ROUNDS];
	double release_us[MAX_ROUNDS];
};

/* Runs count ops (a multiple of the series' batch) of series i. */
typedef void series_fn(void *ctx, unsigned int i, uint64_t count,
		       struct timing *t);

/*
 * Calibrates each series to a round of about round_ns, then runs that many
 * rounds, every series once a round, so that slow drift of the (shared,
 * emulated) machine hits all of them alike.
 */
void rounds_run(struct series *s, unsigned int n, int rounds, int64_t round_ns,
		series_fn *run, void *ctx, const char *what);

/* ---- target.c ---- */

/*
 * A target is this program re-executed (remotevm-bench --target idle|spin)
 * driven over two pipes; fd 3 is the shared memory.
 */
struct target {
	pid_t pid;
	int cmd_fd;
	int reply_fd;
};

struct target_reply {
	int64_t total, alloc, release;
	int64_t value;
	int32_t error;
	int32_t pad;
};

int target_main(const char *mode);
void target_spawn(struct target *t, const char *mode);
/* The target's own count alloc+free pairs of size, batch maps at a time. */
void target_local_ops(struct target *t, uint64_t size, uint32_t batch,
		      uint64_t count, struct timing *timing);
/* The target maps count private regions of size bytes and keeps them. */
void target_hold(struct target *t, uint64_t size, uint64_t count);
void target_reply(struct target *t, struct target_reply *r);
/* Fails unless the target still answers as it should. */
void target_ping(struct target *t, const char *what);
void target_kill(struct target *t);
/* The same loop as target_local_ops(), in the calling process. */
int local_ops(uint64_t size, uint32_t batch, uint64_t count, struct timing *t);

/* ---- ptrace_inject.c: syscall injection, as lldb-server and gdb do it ---- */

struct tracee {
	pid_t pid;
	unsigned long syscall_insn;	/* address of a 0f 05 in the target */
	struct user_regs_struct saved;	/* its registers at the stop */
	int pending_signal;		/* seen while injecting; delivered at resume */
};

void tracee_seize(struct tracee *t, pid_t pid);
/* Stops a running tracee and saves its registers. */
void tracee_stop(struct tracee *t);
void tracee_resume(struct tracee *t);
unsigned long tracee_mmap(struct tracee *t, uint64_t size);
void tracee_munmap(struct tracee *t, unsigned long addr, uint64_t size);

/* ---- rvm.c: remotevm's raw ioctls ---- */

int rvm_attach(pid_t pid, unsigned int poll_us);
struct remotevm_alloc rvm_alloc_args(uint64_t size);
/* One ALLOC ioctl and one FREE (MEM_RELEASE). */
void rvm_pair(int dev, uint64_t size);
/* n ALLOCs in one BATCH, then their releases in another; see rvm.c. */
void rvm_batched_pairs(int dev, uint64_t size, uint32_t n, bool unlike,
		       struct timing *t);
void rvm_query(int dev, uint64_t address);
void rvm_query_batch(int dev, uint64_t address, uint32_t n);
/*
 * The worker kthread of the newest handle attached to target, if
 * userspace may set its affinity; else 0.
 */
pid_t rvm_worker(pid_t target);


/* ---- isolate.c ---- */

void isolate_cpu0(void);
void unisolate_cpu0(void);

/* ---- checks.c ---- */

enum check_id {
	CHECK_B64_VS_LOCAL_4K,
	CHECK_B64_VS_LOCAL_64K,
	CHECK_B64_VS_LOCAL_2M,
	CHECK_PTRACE_VS_SINGLE_4K,
	CHECK_PTRACE_VS_SINGLE_64K,
	CHECK_PTRACE_VS_SINGLE_2M,
	CHECK_PTRACE_VS_POLL_SINGLE_4K,
	CHECK_PTRACE_VS_POLL_SINGLE_64K,
	CHECK_PTRACE_VS_POLL_SINGLE_2M,
	CHECK_POLL_B64_VS_LOCAL_4K,
	CHECK_POLL_B64_VS_LOCAL_64K,
	CHECK_POLL_B64_VS_LOCAL_2M,
	CHECK_ATTACHED_VS_LOCAL_4K,
	CHECK_ATTACHED_VS_LOCAL_64K,
	CHECK_ATTACHED_VS_LOCAL_2M,
	CHECK_QUERY_VS_MINCORE,
	CHECK_READ_VS_PREAD,
	CHECK_STOLEN_RVM_SINGLE,
	CHECK_STOLEN_RVM_B64,
	CHECK_STOLEN_RVM_POLL_SINGLE,
	CHECK_LOSS_RVM_SINGLE,
	CHECK_LOSS_RVM_B64,
	CHECK_LOSS_RVM_POLL_SINGLE,
	CHECK_ISO_STOLEN_RVM_SINGLE,
	CHECK_ISO_STOLEN_RVM_B64,
	CHECK_ISO_STOLEN_RVM_POLL_SINGLE,
	CHECK_ISO_LOSS_RVM_SINGLE,
	CHECK_ISO_LOSS_RVM_B64,
	CHECK_ISO_LOSS_RVM_POLL_SINGLE,
	CHECK_SCALING_RVM_SINGLE,
	CHECK_SCALING_RVM_B64,
	CHECK_TRACING_OFF_SINGLE,
	CHECK_TRACING_OFF_B64,
	/* Controls: what the checks above are to be read against. */
	CONTROL_STOLEN_TOOL_MMAP,
	CONTROL_LOSS_TOOL_MMAP,
	CONTROL_ISO_STOLEN_TOOL_MMAP,
	CONTROL_ISO_LOSS_TOOL_MMAP,
	CONTROL_LOSS_PTRACE,
	CONTROL_LOSS_NOISE,
	CONTROL_SCALING_LOCAL,
	CONTROL_TRACING_ON_SINGLE,
	CONTROL_TRACING_ON_B64,
	NCHECKS
};

/* The value a check is judged on, from the experiment that measured it. */
void check_set(enum check_id id, struct stats st);
double check_limit(enum check_id id);
void checks_report(void);
void checks_readme(void);

/* ---- report.c: the CSV, and the README section from the CSVs ---- */

extern const char *kernel_name;
extern char kernel_release[65];

void csv_open(const char *path);
void csv_close(void);
void csv_row(const char *experiment, const char *method, uint64_t size,
	     uint32_t batch, const char *metric, struct stats st, uint64_t n,
	     const char *target, const char *verdict);
/* --readme: Markdown for the README from the CSVs of kernels, to stdout. */
int readme_main(int ncsv, char **csv_paths, const char *png_link);
/* --plot: a gnuplot script drawing png from them, to stdout. */
int plot_main(const char *png, int ncsv, char **csv_paths);

/* A row of a CSV read back, found by its keys. */
struct csv_value {
	double median;
	uint64_t n;
	const char *verdict;
};

extern unsigned int readme_nkernels;
extern const char *readme_kernels[];
/* A table's head: a column per kernel, or per kernel and each of columns. */
void readme_header(const char *first_column, const char *const *columns,
		   unsigned int ncolumns);
/* The row of kernel k, or NULL; size 0 matches any. */
const struct csv_value *csv_find(unsigned int k, const char *experiment,
				 const char *method, uint64_t size,
				 const char *metric);

/* ---- the experiments ---- */

void latency_main(void);
void latency_readme(void);
void latency_plot(const char *png);
void attached_main(void);
void calls_main(void);
void calls_readme(void);
void throughput_main(void);
void throughput_readme(void);
void scaling_main(void);
void diag_main(void);
/* tracing.c: the module without trace events to compare with, or NULL. */
extern const char *untraced_ko;
void tracing_main(void);

#endif
