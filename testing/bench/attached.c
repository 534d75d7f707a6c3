// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench attached: what remotevm costs a target that does not
 * call it: the target's own mmap+munmap while remotevm is attached and
 * holds allocations in it (its mmu_notifier runs on each munmap), against
 * a twin that nothing is attached to and that holds as many mappings of
 * its own (so that only remotevm differs, not the number of VMAs). The
 * goal is a few percent, below what the latency experiment resolves on an
 * emulated machine: so many short rounds, the two twins alternating on
 * the same CPU.
 */
#include <inttypes.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"

/*
 * What the attached twin holds, as a debugger keeps the memory it
 * allocated in its target: the notifier then has allocations to look
 * through on each of the target's own munmap()s.
 */
#define HELD_ALLOCATIONS 16
#define HELD_SIZE 65536
/* Rounds per latency round, and the share of its length each takes. */
#define ROUNDS_FACTOR 9
#define ROUND_DIVISOR 4

enum twin { TWIN_LOCAL, TWIN_ATTACHED, NTWINS };

static const char *const twin_names[] = {
	[TWIN_LOCAL] = "local", [TWIN_ATTACHED] = "local-attached",
};

static const struct {
	uint64_t size;
	enum check_id check;
} sizes[] = {
	{ 4096, CHECK_ATTACHED_VS_LOCAL_4K },
	{ 65536, CHECK_ATTACHED_VS_LOCAL_64K },
	{ 2 << 20, CHECK_ATTACHED_VS_LOCAL_2M },
};
#define NSIZES ARRAY_SIZE(sizes)

struct twins {
	struct target target[NTWINS];
	struct series series[NSIZES][NTWINS];
};

static void twins_series(void *ctx, unsigned int i, uint64_t count,
			 struct timing *t)
{
	struct twins *w = ctx;

	target_local_ops(&w->target[i % NTWINS], sizes[i / NTWINS].size, 1, count, t);
}

static int attach_holding(pid_t pid)
{
	struct remotevm_alloc held = rvm_alloc_args(HELD_SIZE);
	int dev = rvm_attach(pid, 0), i;

	for (i = 0; i < HELD_ALLOCATIONS; i++)
		if (ioctl(dev, REMOTEVM_IOC_ALLOC, &held))
			die("REMOTEVM_IOC_ALLOC in %d", (int)pid);
	return dev;
}

void attached_main(void)
{
	int rounds = opt.rounds * ROUNDS_FACTOR < MAX_ROUNDS ?
		     opt.rounds * ROUNDS_FACTOR : MAX_ROUNDS;
	static struct twins w;
	unsigned int s, i;
	int holder;

	for (i = 0; i < NTWINS; i++) {
		target_spawn(&w.target[i], "idle");
		/* Whichever vCPU the host starves, both twins alike. */
		if (sysconf(_SC_NPROCESSORS_ONLN) >= 2)
			must_pin(w.target[i].pid, 1);
	}
	holder = attach_holding(w.target[TWIN_ATTACHED].pid);
	target_hold(&w.target[TWIN_LOCAL], HELD_SIZE, HELD_ALLOCATIONS);
	for (s = 0; s < NSIZES; s++)
		for (i = 0; i < NTWINS; i++)
			w.series[s][i].batch = 1;
	rounds_run(&w.series[0][0], NSIZES * NTWINS, rounds, opt.round_ns / ROUND_DIVISOR,
		   twins_series, &w, "attached");
	for (i = 0; i < NTWINS; i++)
		target_ping(&w.target[i], twin_names[i]);
	close(holder);
	for (i = 0; i < NTWINS; i++)
		target_kill(&w.target[i]);

	printf("\n== The target's own mmap+munmap, remotevm attached and holding %d\n"
	       "   allocations of %d KiB in it, against a twin that nothing is attached to\n"
	       "   and holds as many mappings of its own; %d rounds\n",
	       HELD_ALLOCATIONS, HELD_SIZE / 1024, rounds);
	printf("%-8s %10s %21s %10s %21s %8s %19s\n", "size", "local us", "[p10 .. p90]",
	       "attached", "[p10 .. p90]", "ratio", "[p10 .. p90]");
	for (s = 0; s < NSIZES; s++) {
		const struct series *se = w.series[s];
		struct stats local = summarise(se[TWIN_LOCAL].us, rounds);
		struct stats attached = summarise(se[TWIN_ATTACHED].us, rounds);
		struct stats ra = ratio_stats(se[TWIN_ATTACHED].us, se[TWIN_LOCAL].us, rounds);

		printf("%-8" PRIu64 " %10.2f [%8.2f .. %8.2f] %10.2f [%8.2f .. %8.2f] %8.3f [%7.2f .. %7.2f]\n",
		       sizes[s].size, local.median, local.p10, local.p90, attached.median,
		       attached.p10, attached.p90, ra.median, ra.p10, ra.p90);
		for (i = 0; i < NTWINS; i++)
			csv_row("attached", twin_names[i], sizes[s].size, 1, "us_per_op",
				summarise(se[i].us, rounds), se[i].ops, NULL, NULL);
		csv_row("attached", twin_names[TWIN_ATTACHED], sizes[s].size, 1,
			"ratio_vs_local", ra, se[TWIN_ATTACHED].ops, NULL, NULL);
		check_set(sizes[s].check, ra);
	}
}
