// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench latency: what one remote allocation costs through
 * /dev/remotevm, against the target doing it itself and against ptrace
 * syscall injection (what gdb, lldb-server and CRIU do today), all in one
 * process run so that the ratios compare like with like.
 *
 * One "op" is always one allocation AND its release (an alloc+free pair):
 *   local        a target process itself: mmap(NULL, size, RW, private
 *                anonymous) + munmap, timed by the target in its own loop.
 *                It runs in a twin of the remotevm target (same program,
 *                same layout) that nothing is attached to;
 *   local-attached  the same in a third twin that remotevm is attached
 *                to: its own munmap()s then also call remotevm's
 *                mmu_notifier (see also attached.c);
 *   local-bN     N mmaps, then N munmaps (the VMA pattern a batch leaves:
 *                adjacent allocations merge, and each release splits), / N;
 *   ptrace-stopped  a PTRACE_SEIZEd target stopped once for the whole run:
 *                per op, set registers for mmap at a `syscall` instruction
 *                found in the target's libc, PTRACE_SINGLESTEP, read rax,
 *                then the same for munmap (the best case of injection);
 *   ptrace-running  per op: PTRACE_INTERRUPT, save registers, inject mmap
 *                and munmap as above, restore registers, PTRACE_CONT;
 *   rvm-single   REMOTEVM_IOC_ALLOC + REMOTEVM_IOC_FREE (MEM_RELEASE);
 *   rvm-bN       one REMOTEVM_IOC_BATCH of N allocs, then one of N frees:
 *                (time of both ioctls) / N; alike allocations share one
 *                vm_mmap(), releases of adjacent ones one vm_munmap();
 *   rvm-b64-unlike  the same, with ops ordered and typed so that none do;
 *   rvm-poll-*   the same on a handle attached with poll_us (POLL_US): its
 *                worker waits busy on the other CPU for the next request.
 * A ratio is the ratio of the medians; its spread, p10 .. p90 of the
 * per-round ratios (each round against its own "local").
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

enum method_kind { K_LOCAL, K_LOCAL_ATTACHED, K_PTRACE_STOPPED, K_PTRACE_RUNNING, K_RVM };

enum method_id {
	M_LOCAL, M_LOCAL_ATTACHED, M_LOCAL_B8, M_LOCAL_B64, M_LOCAL_B512,
	M_PTRACE_STOPPED, M_PTRACE_RUNNING, M_RVM_SINGLE, M_RVM_B8, M_RVM_B64,
	M_RVM_B64_UNLIKE, M_RVM_B512, M_RVM_POLL_SINGLE, M_RVM_POLL_B64, NMETHODS
};

static const struct method {
	const char *name;
	const char *label;
	enum method_kind kind;
	uint32_t batch;
	bool poll;		/* on the polling handle */
	bool unlike;		/* batches whose ops share no mm operation */
	bool in_readme;
} methods[] = {
	[M_LOCAL] = { "local", "the target's own mmap+munmap", K_LOCAL, 1, .in_readme = true },
	[M_LOCAL_ATTACHED] = { "local-attached",
		"the same, in a target remotevm is attached to",
		K_LOCAL_ATTACHED, 1, .in_readme = true },
	[M_LOCAL_B8] = { "local-b8", "the target's own 8 mmaps, then 8 munmaps", K_LOCAL, 8 },
	[M_LOCAL_B64] = { "local-b64", "the target's own 64 mmaps, then 64 munmaps", K_LOCAL, 64 },
	[M_LOCAL_B512] = { "local-b512", "the target's own 512 mmaps, then 512 munmaps",
		K_LOCAL, 512 },
	[M_PTRACE_STOPPED] = { "ptrace-stopped", "ptrace injection, tracee kept stopped",
		K_PTRACE_STOPPED, 1, .in_readme = true },
	[M_PTRACE_RUNNING] = { "ptrace-running", "ptrace injection, stop and resume per op",
		K_PTRACE_RUNNING, 1, .in_readme = true },
	[M_RVM_SINGLE] = { "rvm-single", "remotevm ALLOC + FREE ioctls", K_RVM, 1,
		.in_readme = true },
	[M_RVM_B8] = { "rvm-b8", "remotevm, batches of 8", K_RVM, 8, .in_readme = true },
	[M_RVM_B64] = { "rvm-b64", "remotevm, batches of 64", K_RVM, 64, .in_readme = true },
	[M_RVM_B64_UNLIKE] = { "rvm-b64-unlike", "remotevm, batches of 64, not alike", K_RVM,
		64, .unlike = true, .in_readme = true },
	[M_RVM_B512] = { "rvm-b512", "remotevm, batches of 512", K_RVM, 512, .in_readme = true },
	[M_RVM_POLL_SINGLE] = { "rvm-poll-single", "remotevm ALLOC + FREE ioctls, polling handle",
		K_RVM, 1, .poll = true, .in_readme = true },
	[M_RVM_POLL_B64] = { "rvm-poll-b64", "remotevm, batches of 64, polling handle", K_RVM,
		64, .poll = true, .in_readme = true },
};

/* The README's row of rvm-b64 against the same VMA pattern done locally. */
static const char same_pattern_label[] =
	"remotevm, batches of 64, ÷ the local 64 mmaps then 64 munmaps";

enum { SIZE_4K, SIZE_64K, SIZE_2M, NSIZES };
static const uint64_t sizes[] = {
	[SIZE_4K] = 4096, [SIZE_64K] = 65536, [SIZE_2M] = 2 << 20,
};
static const char *const size_names[] = {
	[SIZE_4K] = "4 KiB", [SIZE_64K] = "64 KiB", [SIZE_2M] = "2 MiB",
};

/* The checks on this experiment: numerator / denominator, per size. */
static const struct {
	enum method_id num, den;
	enum check_id check[NSIZES];
} ratio_checks[] = {
	{ M_RVM_B64, M_LOCAL,
	  { CHECK_B64_VS_LOCAL_4K, CHECK_B64_VS_LOCAL_64K, CHECK_B64_VS_LOCAL_2M } },
	{ M_PTRACE_STOPPED, M_RVM_SINGLE,
	  { CHECK_PTRACE_VS_SINGLE_4K, CHECK_PTRACE_VS_SINGLE_64K, CHECK_PTRACE_VS_SINGLE_2M } },
	{ M_PTRACE_STOPPED, M_RVM_POLL_SINGLE,
	  { CHECK_PTRACE_VS_POLL_SINGLE_4K, CHECK_PTRACE_VS_POLL_SINGLE_64K,
	    CHECK_PTRACE_VS_POLL_SINGLE_2M } },
	{ M_RVM_POLL_B64, M_LOCAL,
	  { CHECK_POLL_B64_VS_LOCAL_4K, CHECK_POLL_B64_VS_LOCAL_64K,
	    CHECK_POLL_B64_VS_LOCAL_2M } },
};

struct latency {
	struct target remote;		/* the rvm methods work on it */
	struct target twin;		/* nothing attached: "local" */
	struct target attached;		/* "local-attached" */
	struct target stopped_target, running_target;
	struct tracee stopped, running;
	int dev;
	int poll_dev;			/* a polling handle on the remote target */
	int attached_dev;		/* the attached twin's handle */
	struct series series[NSIZES][NMETHODS];
};

static void latency_series(void *ctx, unsigned int i, uint64_t count,
			   struct timing *t)
{
	struct latency *l = ctx;
	const struct method *me = &methods[i % NMETHODS];
	uint64_t size = sizes[i / NMETHODS], n;
	int64_t t0 = now_ns();

	switch (me->kind) {
	case K_LOCAL:
		target_local_ops(&l->twin, size, me->batch, count, t);
		return;
	case K_LOCAL_ATTACHED:
		target_local_ops(&l->attached, size, me->batch, count, t);
		return;
	case K_PTRACE_STOPPED:
		for (n = 0; n < count; n++)
			tracee_munmap(&l->stopped, tracee_mmap(&l->stopped, size), size);
		break;
	case K_PTRACE_RUNNING:
		for (n = 0; n < count; n++) {
			tracee_stop(&l->running);
			tracee_munmap(&l->running, tracee_mmap(&l->running, size), size);
			tracee_resume(&l->running);
		}
		break;
	case K_RVM:
		if (me->batch > 1) {
			for (n = 0; n < count; n += me->batch)
				rvm_batched_pairs(me->poll ? l->poll_dev : l->dev, size,
						  me->batch, me->unlike, t);
			return;
		}
		for (n = 0; n < count; n++)
			rvm_pair(me->poll ? l->poll_dev : l->dev, size);
		break;
	}
	t->total = now_ns() - t0;
}

/* Whether [addr, addr + size) is one mapping of pid with perms "rw-p". */
static bool has_rw_mapping(pid_t pid, uint64_t addr, uint64_t size)
{
	uint64_t end;
	char perms[5];

	return !maps_find(pid, addr, perms, NULL, &end) && addr + size <= end &&
	       !strcmp(perms, "rw-p");
}

/* Sanity of the injected and the remote calls once, before any timing. */
static void check_methods(struct latency *l)
{
	struct remotevm_alloc alloc = rvm_alloc_args(65536);
	struct remotevm_free release = { .free_type = REMOTEVM_MEM_RELEASE };
	unsigned long addr;

	addr = tracee_mmap(&l->stopped, 65536);
	if (!has_rw_mapping(l->stopped.pid, addr, 65536))
		fail("injected mmap: no rw-p mapping at %#lx in the target", addr);
	tracee_munmap(&l->stopped, addr, 65536);
	if (has_rw_mapping(l->stopped.pid, addr, 65536))
		fail("injected munmap left the mapping at %#lx", addr);

	if (ioctl(l->dev, REMOTEVM_IOC_ALLOC, &alloc))
		die("REMOTEVM_IOC_ALLOC");
	if (!has_rw_mapping(l->remote.pid, alloc.allocated_address, 65536))
		fail("remotevm alloc: no rw-p mapping in the target");
	release.address = alloc.allocated_address;
	if (ioctl(l->dev, REMOTEVM_IOC_FREE, &release))
		die("REMOTEVM_IOC_FREE");
}

static void latency_setup(struct latency *l)
{
	unsigned int s, m;

	target_spawn(&l->remote, "idle");
	target_spawn(&l->twin, "idle");
	target_spawn(&l->attached, "idle");
	target_spawn(&l->stopped_target, "idle");
	target_spawn(&l->running_target, "idle");
	l->dev = rvm_attach(l->remote.pid, 0);
	l->poll_dev = rvm_attach(l->remote.pid, POLL_US);
	l->attached_dev = rvm_attach(l->attached.pid, 0);
	tracee_seize(&l->stopped, l->stopped_target.pid);
	tracee_seize(&l->running, l->running_target.pid);
	/* Stopped once, for the whole measurement: the best case of ptrace. */
	tracee_stop(&l->stopped);
	check_methods(l);
	for (s = 0; s < NSIZES; s++)
		for (m = 0; m < NMETHODS; m++)
			l->series[s][m].batch = methods[m].batch;
}

static void latency_teardown(struct latency *l)
{
	/* Proof that injection left both tracees as they were. */
	tracee_resume(&l->stopped);
	target_ping(&l->stopped_target, "ptrace-stopped");
	target_ping(&l->running_target, "ptrace-running");
	target_ping(&l->remote, "remotevm");
	target_ping(&l->twin, "local");
	target_ping(&l->attached, "local-attached");
	close(l->dev);
	close(l->poll_dev);
	close(l->attached_dev);
	target_kill(&l->stopped_target);
	target_kill(&l->running_target);
	target_kill(&l->remote);
	target_kill(&l->twin);
	target_kill(&l->attached);
}

static struct stats ratio_of(struct latency *l, unsigned int s,
			     enum method_id num, enum method_id den)
{
	return ratio_stats(l->series[s][num].us, l->series[s][den].us, opt.rounds);
}

static void latency_table(struct latency *l)
{
	unsigned int m, s;

	printf("\n== Cost of one alloc+free pair (\"op\"), %d rounds, median [p10 .. p90]\n",
	       opt.rounds);
	printf("   absolute times are TCG (emulated) microseconds: compare the ratios;\n"
	       "   x local = ratio of the medians, [p10 .. p90] of the per-round ratios\n");
	for (s = 0; s < NSIZES; s++) {
		printf("\n%-8s %-56s %10s %21s %8s %19s\n", size_names[s],
		       "method", "us/op", "[p10 .. p90]", "x local", "[p10 .. p90]");
		for (m = 0; m < NMETHODS; m++) {
			const struct method *me = &methods[m];
			const struct series *se = &l->series[s][m];
			struct stats st = summarise(se->us, opt.rounds);
			struct stats ra = ratio_of(l, s, m, M_LOCAL);

			printf("%-8s %-56s %10.2f [%8.2f .. %8.2f] %8.2f [%7.2f .. %7.2f]\n",
			       "", me->label, st.median, st.p10, st.p90,
			       ra.median, ra.p10, ra.p90);
			csv_row("latency", me->name, sizes[s], me->batch, "us_per_op", st,
				se->ops, NULL, NULL);
			csv_row("latency", me->name, sizes[s], me->batch, "ratio_vs_local",
				ra, se->ops, NULL, NULL);
			if (me->batch == 1)
				continue;
			csv_row("latency", me->name, sizes[s], me->batch, "alloc_us_per_op",
				summarise(se->alloc_us, opt.rounds), se->ops, NULL, NULL);
			csv_row("latency", me->name, sizes[s], me->batch, "free_us_per_op",
				summarise(se->release_us, opt.rounds), se->ops, NULL, NULL);
		}
	}
}

/* The local method that leaves the VMA pattern of batch, or NMETHODS. */
static unsigned int same_pattern(uint32_t batch)
{
	unsigned int m;

	for (m = 0; m < NMETHODS; m++)
		if (methods[m].kind == K_LOCAL && methods[m].batch == batch)
			break;
	return m;
}

static void batch_halves_table(struct latency *l)
{
	unsigned int m, s;

	printf("\n== Where a remote op's time goes (batched: alloc half | free half, us per op;\n"
	       "   x same pattern: remotevm batch N against the local N mmaps + N munmaps)\n");
	for (s = 0; s < NSIZES; s++)
		for (m = 0; m < NMETHODS; m++) {
			const struct method *me = &methods[m];
			unsigned int local = same_pattern(me->batch);
			struct stats ra;

			if (me->batch == 1)
				continue;
			printf("%-8s %-56s alloc %8.2f  free %8.2f", size_names[s],
			       me->label,
			       summarise(l->series[s][m].alloc_us, opt.rounds).median,
			       summarise(l->series[s][m].release_us, opt.rounds).median);
			if (me->kind == K_RVM && local < NMETHODS) {
				ra = ratio_of(l, s, m, local);
				printf("  x same pattern %5.2f [%5.2f .. %5.2f]", ra.median,
				       ra.p10, ra.p90);
				csv_row("latency", me->name, sizes[s], me->batch,
					"ratio_vs_local_same_pattern", ra,
					l->series[s][m].ops, NULL, NULL);
			}
			printf("\n");
		}
}

void latency_main(void)
{
	static struct latency l;
	unsigned int c, s;

	latency_setup(&l);
	rounds_run(&l.series[0][0], NSIZES * NMETHODS, opt.rounds, opt.round_ns, latency_series,
		   &l, "latency");
	latency_teardown(&l);
	latency_table(&l);
	batch_halves_table(&l);
	for (c = 0; c < ARRAY_SIZE(ratio_checks); c++)
		for (s = 0; s < NSIZES; s++)
			check_set(ratio_checks[c].check[s],
				  ratio_of(&l, s, ratio_checks[c].num, ratio_checks[c].den));
}

void latency_readme(void)
{
	const struct csv_value *us, *ratio;
	char date[16];
	time_t now = time(NULL);
	unsigned int k, m, s;

	strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&now));
	printf("Measured by `make bench` (%s, `build/bench/remotevm-bench`, from `testing/bench/`) in qemu TCG\n"
	       "guests with 2 vCPUs. Under emulation absolute times mean little: each entry\n"
	       "is the median ratio to the target's own `mmap`+`munmap` in the same guest\n"
	       "run, with the median time in emulated µs in brackets. The bench's\n"
	       "allocations ask for a page's alignment, packed as the local `mmap` packs\n"
	       "them, not for Windows' 64 KiB. One op is one\n"
	       "allocation and its release; a batch of N is one `REMOTEVM_IOC_BATCH` of N\n"
	       "allocations and one of N releases; alike allocations in a batch share one\n"
	       "`vm_mmap`, and releases of adjacent ones one `vm_munmap` (\"not alike\": ops\n"
	       "typed and ordered so that none do). A polling handle is attached with\n"
	       "`poll_us` = %d. The check of the target's own mmap+munmap below comes from\n"
	       "many shorter rounds of two twins alone, one that remotevm is attached to and\n"
	       "holds allocations in, one that holds as many mappings of its own.\n\n",
	       date, POLL_US);
	readme_header("method", size_names, NSIZES);
	for (m = 0; m < NMETHODS; m++) {
		if (!methods[m].in_readme)
			continue;
		printf("| %s |", methods[m].label);
		for (k = 0; k < readme_nkernels; k++)
			for (s = 0; s < NSIZES; s++) {
				us = csv_find(k, "latency", methods[m].name, sizes[s], "us_per_op");
				ratio = csv_find(k, "latency", methods[m].name, sizes[s],
						 "ratio_vs_local");
				if (us && ratio)
					printf(" %.2f× (%.0f µs) |", ratio->median, us->median);
				else
					printf(" – |");
			}
		printf("\n");
	}
	printf("| %s |", same_pattern_label);
	for (k = 0; k < readme_nkernels; k++)
		for (s = 0; s < NSIZES; s++) {
			ratio = csv_find(k, "latency", methods[M_RVM_B64].name, sizes[s],
					 "ratio_vs_local_same_pattern");
			if (ratio)
				printf(" %.2f× |", ratio->median);
			else
				printf(" – |");
		}
	printf("\n");
}

/* The remote methods drawn against their batch size (1: single ioctls). */
static bool plotted(const struct method *me)
{
	return me->kind == K_RVM && !me->poll && !me->unlike;
}

/* One curve per kernel and size of the data blocks' column. */
static void plot_curves(unsigned int column)
{
	unsigned int k, s;

	printf("plot");
	for (k = 0; k < readme_nkernels; k++)
		for (s = 0; s < NSIZES; s++)
			printf("%s $k%us%u using 1:%u with linespoints title '%s, %s'",
			       k || s ? "," : "", k, s, column, readme_kernels[k], size_names[s]);
	printf("\n");
}

void latency_plot(const char *png)
{
	double goal = check_limit(CHECK_B64_VS_LOCAL_4K);
	const struct csv_value *us, *ratio;
	unsigned int k, m, s;

	for (k = 0; k < readme_nkernels; k++)
		for (s = 0; s < NSIZES; s++) {
			printf("$k%us%u << EOD\n", k, s);
			for (m = 0; m < NMETHODS; m++) {
				us = csv_find(k, "latency", methods[m].name, sizes[s], "us_per_op");
				ratio = csv_find(k, "latency", methods[m].name, sizes[s],
						 "ratio_vs_local");
				if (plotted(&methods[m]) && us && ratio)
					printf("%u %g %g\n", methods[m].batch, us->median,
					       ratio->median);
			}
			printf("EOD\n");
		}
	printf("set terminal pngcairo size 1200,500 font \",10\"\n"
	       "set output '%s'\n"
	       "set multiplot layout 1,2 title \"remotevm: one alloc+free pair, TCG guest (2 vCPUs); batch 1 = ALLOC+FREE ioctls\"\n"
	       "set logscale xy\n"
	       "set xtics (1, 8, 64, %d)\n"
	       "set xlabel \"operations per ioctl (allocs, then as many frees)\"\n"
	       "set grid\n"
	       "set key top right\n", png, MAX_BATCH);
	printf("set ylabel \"µs per alloc+free pair (emulated time)\"\n");
	plot_curves(2);
	printf("set ylabel \"× local mmap+munmap in the target (same run)\"\n"
	       "set arrow from 1,%g to %d,%g nohead dashtype 2 lc rgb \"red\"\n"
	       "set label \"goal %g×\" at 1.2,%g tc rgb \"red\"\n",
	       goal, MAX_BATCH, goal, goal, goal * 1.12);
	plot_curves(3);
	printf("unset multiplot\n");
}
