// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench tracing: what the trace events cost. The same ops, in
 * the same rounds, on three modules in turn:
 *   untraced  a build of remotevm without trace events (--untraced-ko,
 *             made by testing/bench/run from the last commit before them);
 *   off       the module under test, its events disabled: each trace point
 *             is a static branch not taken;
 *   on        the same module with every remotevm event enabled in tracefs,
 *             recording into the ring buffer.
 * Switching between the first two unloads one module and loads the other
 * between series, outside the timed loops: nothing else may hold
 * /dev/remotevm meanwhile.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#define EVENTS_ENABLE "/sys/kernel/tracing/events/remotevm/enable"
#define WARM_UP_PAIRS 64
/*
 * Rounds longer than the other experiments': the differences sought are
 * a percent, and a single op takes most of a millisecond under TCG.
 */
#define ROUND_SCALE 10

const char *untraced_ko;

enum build { B_UNTRACED, B_OFF, B_ON, NBUILDS };
enum op { OP_SINGLE, OP_B64, NOPS };

static const char *const build_names[] = {
	[B_UNTRACED] = "untraced", [B_OFF] = "events-off", [B_ON] = "events-on",
};
static const char *const build_labels[] = {
	[B_UNTRACED] = "the module built without trace events",
	[B_OFF] = "trace events compiled in, disabled",
	[B_ON] = "trace events enabled, recording",
};
static const char *const op_labels[] = {
	[OP_SINGLE] = "ALLOC + FREE ioctls, 4 KiB",
	[OP_B64] = "batches of 64, 4 KiB, per op",
};
static const enum check_id off_checks[] = {
	[OP_SINGLE] = CHECK_TRACING_OFF_SINGLE, [OP_B64] = CHECK_TRACING_OFF_B64,
};
static const enum check_id on_controls[] = {
	[OP_SINGLE] = CONTROL_TRACING_ON_SINGLE, [OP_B64] = CONTROL_TRACING_ON_B64,
};

struct tracing {
	struct target target;
	const char *traced_ko;
	const char *loaded;	/* the .ko loaded now */
	int dev;
	struct series series[NBUILDS][NOPS];
};

static void events_enable(bool on)
{
	int fd = open(EVENTS_ENABLE, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		die("%s", EVENTS_ENABLE);
	write_all(fd, on ? "1" : "0", 1);
	close(fd);
}

/*
 * Makes ko the loaded remotevm, with a handle attached to the target and
 * warmed up: a fresh module's first ops start its worker and fault in its
 * code, which the series after a switch would pay and the others not.
 */
static void use_module(struct tracing *tr, const char *ko)
{
	int fd, n;

	if (tr->loaded == ko)
		return;
	close(tr->dev);
	if (syscall(SYS_delete_module, "remotevm", O_NONBLOCK))
		die("rmmod remotevm");
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
		die("insmod %s", ko);
	close(fd);
	tr->loaded = ko;
	tr->dev = rvm_attach(tr->target.pid, 0);
	for (n = 0; n < WARM_UP_PAIRS; n++)
		rvm_pair(tr->dev, 4096);
}

static void tracing_series(void *ctx, unsigned int i, uint64_t count,
			   struct timing *t)
{
	struct tracing *tr = ctx;
	enum build b = i / NOPS;
	int64_t t0;
	uint64_t n;

	use_module(tr, b == B_UNTRACED ? untraced_ko : tr->traced_ko);
	if (b != B_UNTRACED)
		events_enable(b == B_ON);
	t0 = now_ns();
	if (i % NOPS == OP_SINGLE) {
		for (n = 0; n < count; n++)
			rvm_pair(tr->dev, 4096);
		t->total = now_ns() - t0;
	} else {
		for (n = 0; n < count; n += 64)
			rvm_batched_pairs(tr->dev, 4096, 64, false, t);
	}
}

/* Why this run cannot measure it, or NULL. */
static const char *unmeasurable(struct tracing *tr)
{
	if (!untraced_ko)
		return "no --untraced-ko";
	tr->traced_ko = getenv("REMOTEVM_KO");
	if (!tr->traced_ko)
		return "REMOTEVM_KO (the loaded module) unset";
	/* A guest mounts no tracefs of its own: already mounted is no error. */
	mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	if (access(EVENTS_ENABLE, W_OK))
		return "no remotevm events in tracefs";
	return NULL;
}

void tracing_main(void)
{
	static struct tracing tr;
	const char *why = unmeasurable(&tr);
	unsigned int b, o;

	if (why) {
		printf("\n== Trace events: not measured: %s\n", why);
		return;
	}
	for (b = 0; b < NBUILDS; b++)
		for (o = 0; o < NOPS; o++)
			tr.series[b][o].batch = o == OP_B64 ? 64 : 1;
	target_spawn(&tr.target, "idle");
	tr.loaded = tr.traced_ko;
	tr.dev = rvm_attach(tr.target.pid, 0);
	rounds_run(&tr.series[0][0], NBUILDS * NOPS, opt.rounds, opt.round_ns * ROUND_SCALE,
		   tracing_series, &tr, "tracing");
	use_module(&tr, tr.traced_ko);
	events_enable(false);
	target_ping(&tr.target, "tracing");
	close(tr.dev);
	target_kill(&tr.target);

	printf("\n== Trace events, %d rounds, us per op, median [p10 .. p90]; x untraced:\n"
	       "   against the module built without them, in the same rounds\n", opt.rounds);
	printf("%-40s %-30s %8s %19s %8s %19s\n", "module", "op", "us", "[p10 .. p90]",
	       "x untr.", "[p10 .. p90]");
	for (b = 0; b < NBUILDS; b++) {
		for (o = 0; o < NOPS; o++) {
			struct series *s = &tr.series[b][o];
			struct stats st = summarise(s->us, opt.rounds);
			struct stats ra = ratio_stats(s->us, tr.series[B_UNTRACED][o].us,
						      opt.rounds);

			printf("%-40s %-30s %8.2f [%7.2f .. %7.2f] %8.3f [%7.3f .. %7.3f]\n",
			       build_labels[b], op_labels[o], st.median, st.p10, st.p90,
			       ra.median, ra.p10, ra.p90);
			csv_row("tracing", build_names[b], 4096, s->batch, "us_per_op", st,
				s->ops, NULL, NULL);
			if (b == B_UNTRACED)
				continue;
			csv_row("tracing", build_names[b], 4096, s->batch, "ratio_vs_untraced",
				ra, s->ops, NULL, NULL);
			check_set(b == B_OFF ? off_checks[o] : on_controls[o], ra);
		}
	}
	printf("(untraced: %s)\n", untraced_ko);
}
