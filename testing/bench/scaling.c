// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench scaling: two tools on two targets at once, against one.
 * Each tool is its own process with its own handle on its own target; a
 * control does the same with each tool mmap+munmapping in itself, which
 * is what the (emulated) machine allows.
 */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* How long the tools run in each measurement. */
#define TOOLS_NS (400 * NS_PER_MS)
/* Calls between two clock reads of a tool. */
#define TOOL_STEPS 8

enum tool_kind { T_RVM_SINGLE, T_RVM_B64, T_LOCAL, NTOOL_KINDS };

static const struct tool {
	const char *name;
	const char *label;
	uint32_t batch;
	enum check_id check;
} tools[] = {
	[T_RVM_SINGLE] = { "rvm-single", "remotevm ALLOC+FREE ioctls", 1,
		CHECK_SCALING_RVM_SINGLE },
	[T_RVM_B64] = { "rvm-b64", "remotevm BATCH of 64", 64, CHECK_SCALING_RVM_B64 },
	[T_LOCAL] = { "local-inproc", "control: each tool mmap+munmap in itself", 1,
		CONTROL_SCALING_LOCAL },
};

/*
 * One tool process: attached before the start, it runs ops for TOOLS_NS
 * from the moment the go pipe closes.
 */
static void __attribute__((noreturn))
tool_main(int slot, enum tool_kind kind, pid_t target, int ready_fd, int go_fd)
{
	int dev = kind == T_LOCAL ? -1 : rvm_attach(target, 0);
	struct timing t = { 0 };
	uint64_t ops = 0;
	int64_t t0, t1;
	char c = 'r';
	int i;

	write_all(ready_fd, &c, 1);
	if (read(go_fd, &c, 1) != 0)
		_exit(1);
	t0 = now_ns();
	do {
		for (i = 0; i < TOOL_STEPS; i++) {
			if (kind == T_RVM_SINGLE)
				rvm_pair(dev, 4096);
			else if (kind == T_RVM_B64)
				rvm_batched_pairs(dev, 4096, 64, false, &t);
			else if (local_ops(4096, 1, 1, &t))
				_exit(1);
			ops += tools[kind].batch;
		}
		t1 = now_ns();
	} while (t1 - t0 < TOOLS_NS);
	atomic_store(&sh->tools[slot].ops, ops);
	atomic_store(&sh->tools[slot].ns, t1 - t0);
	_exit(0);
}

/* ops/s of ntools tools running at once, summed. */
static double tools_run(enum tool_kind kind, int ntools, const struct target *targets)
{
	pid_t pids[2];
	int ready[2], go[2], i;
	double total = 0;
	char c;

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		die("pipe");
	for (i = 0; i < ntools; i++) {
		atomic_store(&sh->tools[i].ops, 0);
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (!pids[i]) {
			close(go[1]);
			tool_main(i, kind, targets[i].pid, ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < ntools; i++)
		if (read(ready[0], &c, 1) != 1)
			fail("a tool process failed to start");
	close(go[1]);	/* every tool starts now */
	for (i = 0; i < ntools; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			fail("tool process %d failed", i);
		total += (double)atomic_load(&sh->tools[i].ops) * 1e9 /
			 (double)atomic_load(&sh->tools[i].ns);
	}
	close(ready[0]);
	return total;
}

void scaling_main(void)
{
	static double one[NTOOL_KINDS][MAX_ROUNDS], two[NTOOL_KINDS][MAX_ROUNDS];
	int rounds = opt.phase_rounds, r, k;
	struct target targets[2];

	target_spawn(&targets[0], "idle");
	target_spawn(&targets[1], "idle");
	for (r = 0; r < rounds; r++) {
		fprintf(stderr, "\rscaling round %d/%d", r + 1, rounds);
		for (k = 0; k < NTOOL_KINDS; k++) {
			one[k][r] = tools_run(k, 1, targets);
			two[k][r] = tools_run(k, 2, targets);
		}
	}
	fprintf(stderr, "\n");
	target_ping(&targets[0], "scaling");
	target_ping(&targets[1], "scaling");
	target_kill(&targets[0]);
	target_kill(&targets[1]);

	printf("\n== Two tools on two targets at once, against one (4 KiB pairs, %d rounds)\n",
	       rounds);
	printf("   %ld CPUs; each tool its own process, handle and target\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-44s %12s %12s %8s %19s\n", "tools do", "1 tool op/s", "2 tools op/s",
	       "ratio", "[p10 .. p90]");
	for (k = 0; k < NTOOL_KINDS; k++) {
		const struct tool *tool = &tools[k];
		struct stats ra = ratio_stats(two[k], one[k], rounds);
		struct stats s1 = summarise(one[k], rounds), s2 = summarise(two[k], rounds);

		printf("%-44s %12.0f %12.0f %8.2f [%7.2f .. %7.2f]\n", tool->label,
		       s1.median, s2.median, ra.median, ra.p10, ra.p90);
		csv_row("scaling", tool->name, 4096, tool->batch, "ops_per_s_1tool", s1, 0,
			NULL, NULL);
		csv_row("scaling", tool->name, 4096, tool->batch, "ops_per_s_2tools", s2, 0,
			NULL, NULL);
		csv_row("scaling", tool->name, 4096, tool->batch, "throughput_ratio", ra, 0,
			NULL, NULL);
		check_set(tool->check, ra);
	}
}
