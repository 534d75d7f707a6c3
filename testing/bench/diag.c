// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench diag (--diag): where a remote op's time goes, per call.
 * A no-op ioctl, a hand-off that does no mm work (QUERY), batches of such
 * ops, the worker pinned to either CPU, and a handle on the tool's own mm,
 * whose hand-off switches no page tables.
 */
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

enum diag_id {
	D_GETPPID, D_IOCTL_API, D_QUERY, D_QUERY_B64, D_QUERY_B512, D_INPROC,
	D_QUERY_SAME, D_QUERY_OTHER, D_SINGLE_SAME, D_B64_SAME, D_QUERY_SELF_SAME,
	NDIAGS
};

/*
 * The pinned rows pin the worker kthread from userspace (tool on CPU 1):
 * on the tool's CPU, or on the other one. They tell what the cross-CPU
 * wake-ups of a hand-off cost.
 */
enum worker_cpu { ANY_CPU, TOOL_CPU, OTHER_CPU };

static const struct diag {
	const char *name;
	const char *label;
	uint32_t batch;
	enum worker_cpu worker;
	bool self;		/* on the handle attached to the tool itself */
} diags[] = {
	[D_GETPPID] = { "getppid", "a plain system call (getppid)", 1 },
	[D_IOCTL_API] = { "ioctl-api", "no-op ioctl: REMOTEVM_IOC_API (no hand-off)", 1 },
	[D_QUERY] = { "rvm-query", "REMOTEVM_IOC_QUERY: one hand-off, no vm_mmap", 1 },
	[D_QUERY_B64] = { "rvm-query-b64", "BATCH of 64 QUERY ops, per op", 64 },
	[D_QUERY_B512] = { "rvm-query-b512", "BATCH of 512 QUERY ops, per op", 512 },
	[D_INPROC] = { "inproc-local-4k", "mmap+munmap 4 KiB in the tool process", 1 },
	[D_QUERY_SAME] = { "rvm-query-samecpu", "QUERY, worker pinned to the tool's CPU", 1,
		TOOL_CPU },
	[D_QUERY_OTHER] = { "rvm-query-othercpu", "QUERY, worker pinned to the other CPU", 1,
		OTHER_CPU },
	[D_SINGLE_SAME] = { "rvm-single-samecpu", "ALLOC+FREE 4 KiB pair, worker on tool's CPU",
		1, TOOL_CPU },
	[D_B64_SAME] = { "rvm-b64-samecpu",
		"BATCH 64 4 KiB pairs, worker on tool's CPU, per pair", 64, TOOL_CPU },
	[D_QUERY_SELF_SAME] = { "rvm-query-self-samecpu",
		"QUERY of the tool's own mm, worker on tool's CPU", 1, TOOL_CPU, true },
};

struct diagnostics {
	struct target target;
	int dev;
	pid_t worker;		/* dev's kthread, 0 if it cannot be pinned */
	int self_dev;		/* a handle attached to the tool itself */
	pid_t self_worker;
	uint64_t query_address;		/* the target's executable */
	uint64_t self_query_address;	/* the tool's */
	struct series series[NDIAGS];
};

static void diag_calls(struct diagnostics *g, enum diag_id d, int dev,
		       uint64_t count, struct timing *t)
{
	struct remotevm_api api;
	uint64_t i;

	for (i = 0; i < count; i += diags[d].batch) {
		switch (d) {
		case D_GETPPID:
			syscall(SYS_getppid);
			break;
		case D_IOCTL_API:
			api = (struct remotevm_api){ .api = REMOTEVM_API };
			if (ioctl(dev, REMOTEVM_IOC_API, &api))
				die("REMOTEVM_IOC_API");
			break;
		case D_QUERY_B64:
		case D_QUERY_B512:
			rvm_query_batch(dev, g->query_address, diags[d].batch);
			break;
		case D_INPROC:
			if (local_ops(4096, 1, 1, t))
				die("mmap in the tool");
			break;
		case D_SINGLE_SAME:
			rvm_pair(dev, 4096);
			break;
		case D_B64_SAME:
			rvm_batched_pairs(dev, 4096, 64, false, t);
			break;
		case D_QUERY_SELF_SAME:
			rvm_query(dev, g->self_query_address);
			break;
		default:
			rvm_query(dev, g->query_address);
		}
	}
}

static void diag_series(void *ctx, unsigned int i, uint64_t count,
			struct timing *t)
{
	struct diagnostics *g = ctx;
	const struct diag *d = &diags[i];
	pid_t worker = d->self ? g->self_worker : g->worker;
	int64_t t0;

	if (d->worker != ANY_CPU) {
		if (!worker)
			return;	/* reported as n/a */
		must_pin(0, 1);
		must_pin(worker, d->worker == OTHER_CPU ? 0 : 1);
	}
	t0 = now_ns();
	diag_calls(g, i, d->self ? g->self_dev : g->dev, count, t);
	t->total = now_ns() - t0;
	if (d->worker != ANY_CPU) {
		must_unpin(worker);
		must_unpin(0);
	}
}

void diag_main(void)
{
	static struct diagnostics g;
	double handoff[MAX_ROUNDS];
	struct stats st;
	unsigned int d;
	int r;

	target_spawn(&g.target, "idle");
	g.dev = rvm_attach(g.target.pid, 0);
	g.self_dev = rvm_attach(getpid(), 0);
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		g.worker = rvm_worker(g.target.pid);
		g.self_worker = rvm_worker(getpid());
	}
	g.query_address = first_mapping(g.target.pid);
	g.self_query_address = first_mapping(getpid());
	for (d = 0; d < NDIAGS; d++)
		g.series[d].batch = diags[d].batch;
	rounds_run(g.series, NDIAGS, opt.rounds, opt.round_ns, diag_series, &g, "diag");
	target_ping(&g.target, "diag");
	close(g.dev);
	close(g.self_dev);
	target_kill(&g.target);

	printf("\n== Diagnostics: where a remote op's time goes, per call\n");
	printf("%-56s %10s %21s\n", "per call", "us", "[p10 .. p90]");
	for (d = 0; d < NDIAGS; d++) {
		st = summarise(g.series[d].us, opt.rounds);
		if (!st.median) {	/* the worker could not be pinned */
			printf("%-56s %10s\n", diags[d].label, "n/a");
			continue;
		}
		printf("%-56s %10.2f [%8.2f .. %8.2f]\n", diags[d].label, st.median,
		       st.p10, st.p90);
		csv_row("diag", diags[d].name, 0, diags[d].batch, "us_per_call", st,
			g.series[d].ops, NULL, NULL);
	}
	for (r = 0; r < opt.rounds; r++)
		handoff[r] = g.series[D_QUERY].us[r] - g.series[D_IOCTL_API].us[r];
	st = summarise(handoff, opt.rounds);
	printf("%-56s %10.2f [%8.2f .. %8.2f]\n",
	       "=> hand-off to the worker (QUERY - no-op ioctl)", st.median, st.p10, st.p90);
	csv_row("diag", "handoff", 0, 1, "us_per_call", st, 0, NULL, NULL);
}
