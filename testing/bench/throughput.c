// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench throughput: the loop rate a running target keeps while
 * the tool works on it, phase after phase, each between two controls.
 *
 * Two controls: the tool asleep, and the tool spinning in user space.
 * Under TCG on a shared host, a busy vCPU of the tool takes host CPU from
 * the target's vCPU whatever the tool does; the spinning control has the
 * same load, so "lost vs spinning control" is what the work itself costs
 * the target inside the guest, as it would on real cores.
 * A third control: the tool churns its own address space (mmap+munmap)
 * as much. Any mm change queues RCU callbacks (maple tree nodes, VMAs on
 * 6.12) whose grace periods need the kernel's RCU kthread, which may run
 * on the target's CPU: that share is the kernel's, not remotevm's.
 * Run twice: as the machine is, and with CPU 0 isolated (isolate.c).
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* How long a control phase lasts, and the longest a busy phase may. */
#define CONTROL_NS (300 * NS_PER_MS)
#define MAX_PHASE_NS (8000 * NS_PER_MS)

enum phase_id {
	P_SLEEP, P_SPIN, P_LOCAL_TOOL, P_RVM_SINGLE, P_RVM_B64, P_RVM_SAMECPU,
	P_PTRACE, P_RVM_POLL_SINGLE, NPHASES
};

static const struct phase_kind {
	const char *name;
	const char *label;
	uint32_t batch;
	bool not_isolated;	/* nothing new to learn with CPU 0 isolated */
} phases[] = {
	[P_SLEEP] = { "control-sleep", "control: tool sleeps", 1 },
	[P_SPIN] = { "control-spin", "control: tool spins (vs the next)", 1 },
	[P_LOCAL_TOOL] = { "control-tool-mmap", "control: tool mmap+munmap in itself", 1 },
	[P_RVM_SINGLE] = { "rvm-single", "remotevm ALLOC+FREE ioctls", 1 },
	[P_RVM_B64] = { "rvm-b64", "remotevm BATCH of 64", 64 },
	[P_RVM_SAMECPU] = { "rvm-single-samecpu", "remotevm ALLOC+FREE, worker on tool's CPU",
		1, .not_isolated = true },
	[P_PTRACE] = { "ptrace-running", "ptrace injection, stop+resume per op", 1,
		.not_isolated = true },
	[P_RVM_POLL_SINGLE] = { "rvm-poll-single", "remotevm ALLOC+FREE, polling handle", 1 },
};

/* The phases checked, and their checks as the machine is and isolated. */
static const struct {
	enum phase_id phase;
	enum check_id stolen[2], loss[2];
} checked[] = {
	{ P_RVM_SINGLE, { CHECK_STOLEN_RVM_SINGLE, CHECK_ISO_STOLEN_RVM_SINGLE },
	  { CHECK_LOSS_RVM_SINGLE, CHECK_ISO_LOSS_RVM_SINGLE } },
	{ P_RVM_B64, { CHECK_STOLEN_RVM_B64, CHECK_ISO_STOLEN_RVM_B64 },
	  { CHECK_LOSS_RVM_B64, CHECK_ISO_LOSS_RVM_B64 } },
	{ P_RVM_POLL_SINGLE, { CHECK_STOLEN_RVM_POLL_SINGLE, CHECK_ISO_STOLEN_RVM_POLL_SINGLE },
	  { CHECK_LOSS_RVM_POLL_SINGLE, CHECK_ISO_LOSS_RVM_POLL_SINGLE } },
};

struct phase {
	double rate;		/* target iterations per second */
	uint64_t ops;		/* alloc+free pairs the tool made */
	double tool_us_per_op;
	long preempted;		/* target's involuntary context switches */
	double stolen_pct;	/* % of the phase the target waited for its CPU */
	long ipis;		/* IPIs its CPU (0) received */
};

struct running {
	struct target spin;
	int dev;
	int poll_dev;
	pid_t worker;
	struct tracee tracee;
	bool pinned, isolated;
	/* [phase][round] */
	double lost_vs_spin[NPHASES][MAX_ROUNDS], lost_vs_sleep[NPHASES][MAX_ROUNDS];
	double preempted[NPHASES][MAX_ROUNDS], tool_us[NPHASES][MAX_ROUNDS];
	double stolen[NPHASES][MAX_ROUNDS], ipis[NPHASES][MAX_ROUNDS];
	double done[NPHASES][MAX_ROUNDS];
	double rate_sleep[MAX_ROUNDS], rate_spin[MAX_ROUNDS];
};

/* The tool's work of one phase: ops pairs, or until MAX_PHASE_NS. */
static uint64_t phase_work(struct running *e, enum phase_id kind, uint64_t ops,
			   int64_t t0)
{
	struct timing t = { 0 };
	uint64_t i;

	for (i = 0; i < ops && now_ns() - t0 < MAX_PHASE_NS; i += phases[kind].batch) {
		switch (kind) {
		case P_LOCAL_TOOL:
			if (local_ops(4096, 1, 1, &t))
				die("mmap");
			break;
		case P_RVM_B64:
			rvm_batched_pairs(e->dev, 4096, 64, false, &t);
			break;
		case P_PTRACE:
			tracee_stop(&e->tracee);
			tracee_munmap(&e->tracee, tracee_mmap(&e->tracee, 4096), 4096);
			tracee_resume(&e->tracee);
			break;
		case P_RVM_POLL_SINGLE:
			rvm_pair(e->poll_dev, 4096);
			break;
		default:
			rvm_pair(e->dev, 4096);
		}
	}
	return i;
}

static struct phase phase_run(struct running *e, enum phase_id kind, uint64_t ops)
{
	pid_t target = e->spin.pid;
	long cs0 = proc_status_field(target, "nonvoluntary_ctxt_switches");
	int64_t delay0 = proc_run_delay(target);
	long ipi0 = cpu_ipis(0);
	uint64_t c0 = atomic_load(&sh->count);
	int64_t t0 = now_ns(), t1;
	struct phase ph = { 0 };

	if (kind == P_SLEEP) {
		sleep_ns(CONTROL_NS);
		ops = 0;
	} else if (kind == P_SPIN) {
		while (now_ns() - t0 < CONTROL_NS)
			;
		ops = 0;
	} else {
		if (kind == P_RVM_SAMECPU)
			must_pin(e->worker, 1);
		ops = phase_work(e, kind, ops, t0);
		if (kind == P_RVM_SAMECPU)
			must_unpin(e->worker);
	}
	t1 = now_ns();
	ph.rate = (double)(atomic_load(&sh->count) - c0) * 1e9 / (double)(t1 - t0);
	ph.ops = ops;
	ph.tool_us_per_op = ops ? (double)(t1 - t0) / (double)ops / 1000 : 0;
	ph.preempted = proc_status_field(target, "nonvoluntary_ctxt_switches") - cs0;
	ph.stolen_pct = 100.0 * (double)(proc_run_delay(target) - delay0) /
			(double)(t1 - t0);
	ph.ipis = cpu_ipis(0) - ipi0;
	return ph;
}

static bool phase_skipped(const struct running *e, enum phase_id kind)
{
	return (kind == P_RVM_SAMECPU && !e->worker) ||
	       (phases[kind].not_isolated && e->isolated);
}

static void phase_record(struct running *e, enum phase_id k, int r,
			 const struct phase *ph)
{
	e->preempted[k][r] = (double)ph->preempted;
	e->tool_us[k][r] = ph->tool_us_per_op;
	e->stolen[k][r] = ph->stolen_pct;
	e->ipis[k][r] = (double)ph->ipis;
	e->done[k][r] = (double)ph->ops;
}

/* One round: both controls, then each busy phase followed by both. */
static void running_round(struct running *e, int r)
{
	struct phase sleep_before = phase_run(e, P_SLEEP, 0);
	struct phase spin_before = phase_run(e, P_SPIN, 0);
	bool first = true;
	int k;

	phase_record(e, P_SLEEP, r, &sleep_before);
	phase_record(e, P_SPIN, r, &spin_before);
	e->rate_sleep[r] = sleep_before.rate;
	e->rate_spin[r] = spin_before.rate;
	for (k = P_LOCAL_TOOL; k < NPHASES; k++) {
		struct phase ph, sleep_after, spin_after;

		if (phase_skipped(e, k))
			continue;
		ph = phase_run(e, k, opt.phase_ops);
		sleep_after = phase_run(e, P_SLEEP, 0);
		spin_after = phase_run(e, P_SPIN, 0);
		e->lost_vs_sleep[k][r] = 100 * (1 - ph.rate /
					((sleep_before.rate + sleep_after.rate) / 2));
		e->lost_vs_spin[k][r] = 100 * (1 - ph.rate /
				       ((spin_before.rate + spin_after.rate) / 2));
		phase_record(e, k, r, &ph);
		/* The noise floor: a control phase against the next one. */
		if (first) {
			first = false;
			e->lost_vs_sleep[P_SLEEP][r] = 100 * (1 - sleep_after.rate /
							      sleep_before.rate);
			e->lost_vs_spin[P_SPIN][r] = 100 * (1 - spin_after.rate /
							    spin_before.rate);
			e->lost_vs_spin[P_SLEEP][r] = 100 * (1 - sleep_before.rate /
							     spin_before.rate);
		}
		sleep_before = sleep_after;
		spin_before = spin_after;
	}
}

static void running_start(struct running *e, bool isolate)
{
	atomic_store(&sh->stop, 0);
	atomic_store(&sh->count, 0);
	target_spawn(&e->spin, "spin");
	/*
	 * The target owns CPU 0, the tool CPU 1: what the target loses is
	 * then what the work done on its behalf takes from it, wherever the
	 * kernel runs that work (remotevm's worker is not pinned).
	 */
	e->pinned = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	if (e->pinned) {
		must_pin(e->spin.pid, 0);
		must_pin(0, 1);
	}
	e->dev = rvm_attach(e->spin.pid, 0);
	e->worker = e->pinned ? rvm_worker(e->spin.pid) : 0;
	e->poll_dev = rvm_attach(e->spin.pid, POLL_US);
	tracee_seize(&e->tracee, e->spin.pid);
	e->isolated = isolate && e->pinned;
	if (e->isolated)
		isolate_cpu0();
	sleep_ns(CONTROL_NS);	/* let it settle on its CPU */
}

static void running_stop(struct running *e)
{
	struct target_reply reply;

	/* The target must have run on undisturbed. */
	atomic_store(&sh->stop, 1);
	target_reply(&e->spin, &reply);
	if (reply.error)
		fail("spinning target: its count is off after the run");
	close(e->dev);
	close(e->poll_dev);
	target_kill(&e->spin);
	if (e->isolated)
		unisolate_cpu0();
	if (e->pinned)
		must_unpin(0);
}

static void running_report(struct running *e)
{
	const char *experiment = e->isolated ? "throughput-isolated" : "throughput";
	int rounds = opt.phase_rounds, k;

	printf("\n== The running target's loop throughput while the tool works on it%s\n",
	       e->isolated ? ",\n   CPU 0 isolated (kernel threads, unbound workqueues, IRQs on CPU 1)" : "");
	printf("   %" PRIu64 " alloc+free pairs of 4 KiB per phase (or %.0f s), %d rounds%s\n",
	       opt.phase_ops, (double)MAX_PHASE_NS / 1e9, rounds,
	       e->pinned ? "; target pinned to CPU 0, tool to CPU 1" : "");
	printf("   target: %.3g iterations/s with the tool asleep, %.3g with it spinning\n",
	       summarise(e->rate_sleep, rounds).median, summarise(e->rate_spin, rounds).median);
	printf("   %% lost: the target's iterations/s against the controls around the\n"
	       "   phase (wall clock: includes host contention under TCG); stolen: %% of\n"
	       "   the phase the target was runnable but its CPU ran something else in\n"
	       "   the guest (schedstat run delay, exact); IPIs, preemptions: on its CPU\n");
	printf("%-42s %7s %17s %7s %17s %7s %6s %7s %8s %6s\n", "tool activity",
	       "% lost", "vs spin [p10..p90]", "% lost", "vs sleep", "stolen%",
	       "IPIs", "preempt", "tool us", "ops");
	for (k = 0; k < NPHASES; k++) {
		const struct phase_kind *p = &phases[k];
		struct stats sp = summarise(e->lost_vs_spin[k], rounds);
		struct stats sl = summarise(e->lost_vs_sleep[k], rounds);
		struct stats pre = summarise(e->preempted[k], rounds);
		struct stats tu = summarise(e->tool_us[k], rounds);
		struct stats st = summarise(e->stolen[k], rounds);
		struct stats ip = summarise(e->ipis[k], rounds);
		uint64_t n = k <= P_SPIN ? 0 : (uint64_t)summarise(e->done[k], rounds).median;

		if (phase_skipped(e, k))
			continue;
		/* The spinning control is against the next of its kind only. */
		if (k == P_SPIN)
			sl = (struct stats){ 0 };
		printf("%-42s %7.2f [%6.2f..%6.2f] %7.2f [%6.2f..%6.2f] %7.3f %6.0f %7.0f %8.2f %6" PRIu64 "\n",
		       p->label, sp.median, sp.p10, sp.p90, sl.median, sl.p10, sl.p90,
		       st.median, ip.median, pre.median, tu.median, n);
		if (k != P_SLEEP)
			csv_row(experiment, p->name, 4096, p->batch, "pct_lost_vs_spin",
				sp, n, NULL, NULL);
		if (k != P_SPIN)
			csv_row(experiment, p->name, 4096, p->batch, "pct_lost_vs_sleep",
				sl, n, NULL, NULL);
		csv_row(experiment, p->name, 4096, p->batch, "pct_stolen", st, n, NULL, NULL);
		csv_row(experiment, p->name, 4096, p->batch, "ipis_on_target_cpu", ip, n,
			NULL, NULL);
		csv_row(experiment, p->name, 4096, p->batch, "target_preemptions", pre, n,
			NULL, NULL);
		if (n)
			csv_row(experiment, p->name, 4096, p->batch, "tool_us_per_op", tu, n,
				NULL, NULL);
	}
}

static void running_checks(struct running *e)
{
	int rounds = opt.phase_rounds;
	unsigned int c;

	for (c = 0; c < ARRAY_SIZE(checked); c++) {
		check_set(checked[c].stolen[e->isolated],
			  summarise(e->stolen[checked[c].phase], rounds));
		check_set(checked[c].loss[e->isolated],
			  summarise(e->lost_vs_spin[checked[c].phase], rounds));
	}
	check_set(e->isolated ? CONTROL_ISO_STOLEN_TOOL_MMAP : CONTROL_STOLEN_TOOL_MMAP,
		  summarise(e->stolen[P_LOCAL_TOOL], rounds));
	check_set(e->isolated ? CONTROL_ISO_LOSS_TOOL_MMAP : CONTROL_LOSS_TOOL_MMAP,
		  summarise(e->lost_vs_spin[P_LOCAL_TOOL], rounds));
	if (!e->isolated) {
		check_set(CONTROL_LOSS_PTRACE, summarise(e->lost_vs_spin[P_PTRACE], rounds));
		check_set(CONTROL_LOSS_NOISE, summarise(e->lost_vs_spin[P_SPIN], rounds));
	}
}

static void throughput_run(bool isolate)
{
	static struct running e;
	int r;

	memset(&e, 0, sizeof(e));
	running_start(&e, isolate);
	for (r = 0; r < opt.phase_rounds; r++) {
		fprintf(stderr, "\rthroughput round %d/%d", r + 1, opt.phase_rounds);
		running_round(&e, r);
	}
	fprintf(stderr, "\n");
	running_stop(&e);
	running_report(&e);
	running_checks(&e);
}

void throughput_main(void)
{
	throughput_run(false);
	throughput_run(true);
}

void throughput_readme(void)
{
	const struct csv_value *tool = readme_nkernels ?
		csv_find(0, "throughput", phases[P_RVM_SINGLE].name, 4096, "tool_us_per_op") :
		NULL;

	printf("\nRunning target: a counting loop pinned to CPU 0, the tool on CPU 1, %" PRIu64 " remote\n"
	       "alloc+free pairs per phase; \"CPU time taken\" is the loop's schedstat run delay\n"
	       "(runnable while its CPU ran something else), \"loop rate lost\" its iterations/s\n"
	       "against the tool spinning idle. Any address-space churn on the machine costs the\n"
	       "loop some: the scheduler puts the RCU grace-period kthread on the loop's CPU\n"
	       "(traced: nearly all of the loop's preemptions), the control rows show that share.\n"
	       "\"Its CPU isolated\": the same with kernel threads, unbound workqueues and IRQs moved\n"
	       "to the tool's CPU, as `tuna --isolate` or isolcpus would. Wall-clock rates under TCG\n"
	       "on a shared host swing by several %% between two identical control phases; the CPU\n"
	       "time taken is exact.\n", tool ? tool->n : 0);
}
