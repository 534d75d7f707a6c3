// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench: what its results are checked against, in one table, and
 * the controls they are to be read with. A missed check is reported, in
 * the output, the CSV and the README, and is not an error: a bench run
 * fails only when a measurement could not be made.
 */
#include <string.h>

#include "bench.h"

enum rule { AT_MOST = 1, AT_LEAST, CONTROL };

static const struct check {
	const char *name;	/* the CSV's method of the experiment "check" */
	const char *label;
	enum rule rule;
	double limit;
	const char *unit;	/* "x" or "%" */
	bool in_readme;
} checks[] = {
	[CHECK_B64_VS_LOCAL_4K] = { "b64_vs_local_4k",
		"batch of 64 per op ÷ local (4 KiB)", AT_MOST, 1.25, "x", true },
	[CHECK_B64_VS_LOCAL_64K] = { "b64_vs_local_64k",
		"batch of 64 per op ÷ local (64 KiB)", AT_MOST, 1.25, "x", true },
	[CHECK_B64_VS_LOCAL_2M] = { "b64_vs_local_2m",
		"batch of 64 per op ÷ local (2 MiB)", AT_MOST, 1.25, "x", true },
	[CHECK_PTRACE_VS_SINGLE_4K] = { "single_vs_ptrace_4k",
		"ptrace (stopped) ÷ single remote op (4 KiB)", AT_LEAST, 3, "x", true },
	[CHECK_PTRACE_VS_SINGLE_64K] = { "single_vs_ptrace_64k",
		"ptrace (stopped) ÷ single remote op (64 KiB)", AT_LEAST, 3, "x", true },
	[CHECK_PTRACE_VS_SINGLE_2M] = { "single_vs_ptrace_2m",
		"ptrace (stopped) ÷ single remote op (2 MiB)", AT_LEAST, 3, "x", true },
	[CHECK_PTRACE_VS_POLL_SINGLE_4K] = { "poll_single_vs_ptrace_4k",
		"ptrace (stopped) ÷ single remote op, polling handle (4 KiB)", AT_LEAST, 3,
		"x", true },
	[CHECK_PTRACE_VS_POLL_SINGLE_64K] = { "poll_single_vs_ptrace_64k",
		"ptrace (stopped) ÷ single remote op, polling handle (64 KiB)", AT_LEAST, 3,
		"x", true },
	[CHECK_PTRACE_VS_POLL_SINGLE_2M] = { "poll_single_vs_ptrace_2m",
		"ptrace (stopped) ÷ single remote op, polling handle (2 MiB)", AT_LEAST, 3,
		"x", true },
	[CHECK_POLL_B64_VS_LOCAL_4K] = { "poll_b64_vs_local_4k",
		"batch of 64 per op, polling handle ÷ local (4 KiB)", AT_MOST, 1.25, "x" },
	[CHECK_POLL_B64_VS_LOCAL_64K] = { "poll_b64_vs_local_64k",
		"batch of 64 per op, polling handle ÷ local (64 KiB)", AT_MOST, 1.25, "x" },
	[CHECK_POLL_B64_VS_LOCAL_2M] = { "poll_b64_vs_local_2m",
		"batch of 64 per op, polling handle ÷ local (2 MiB)", AT_MOST, 1.25, "x" },
	[CHECK_ATTACHED_VS_LOCAL_4K] = { "attached_vs_local_4k",
		"the target's own mmap+munmap, remotevm attached and holding allocations ÷ not (4 KiB)",
		AT_MOST, 1.03, "x", true },
	[CHECK_ATTACHED_VS_LOCAL_64K] = { "attached_vs_local_64k",
		"the target's own mmap+munmap, remotevm attached and holding allocations ÷ not (64 KiB)",
		AT_MOST, 1.03, "x", true },
	[CHECK_ATTACHED_VS_LOCAL_2M] = { "attached_vs_local_2m",
		"the target's own mmap+munmap, remotevm attached and holding allocations ÷ not (2 MiB)",
		AT_MOST, 1.03, "x", true },
	[CHECK_QUERY_VS_MINCORE] = { "query_vs_mincore",
		"REMOTEVM_IOC_QUERY ÷ a local mincore() of one page", AT_MOST, 2, "x", true },
	[CHECK_READ_VS_PREAD] = { "read_4k_vs_pread",
		"4 KiB ReadMemory (remotevm__read) ÷ pread of /proc/PID/mem", AT_MOST, 1.5, "x",
		true },
	[CHECK_STOLEN_RVM_SINGLE] = { "stolen_rvm_single",
		"running target's CPU time taken in the guest, single ioctls", AT_MOST, 1, "%",
		true },
	[CHECK_STOLEN_RVM_B64] = { "stolen_rvm_b64",
		"running target's CPU time taken in the guest, batches of 64", AT_MOST, 1, "%",
		true },
	[CHECK_STOLEN_RVM_POLL_SINGLE] = { "stolen_rvm_poll_single",
		"running target's CPU time taken in the guest, polling handle, single ioctls",
		AT_MOST, 1, "%", true },
	[CHECK_LOSS_RVM_SINGLE] = { "loss_rvm_single",
		"running target's loop rate lost (wall clock), single ioctls", AT_MOST, 1, "%",
		true },
	[CHECK_LOSS_RVM_B64] = { "loss_rvm_b64",
		"running target's loop rate lost (wall clock), batches of 64", AT_MOST, 1, "%",
		true },
	[CHECK_LOSS_RVM_POLL_SINGLE] = { "loss_rvm_poll_single",
		"running target's loop rate lost (wall clock), polling handle, single ioctls",
		AT_MOST, 1, "%", true },
	[CHECK_ISO_STOLEN_RVM_SINGLE] = { "iso_stolen_rvm_single",
		"the same, its CPU isolated: CPU time taken, single ioctls", AT_MOST, 1, "%",
		true },
	[CHECK_ISO_STOLEN_RVM_B64] = { "iso_stolen_rvm_b64",
		"the same, its CPU isolated: CPU time taken, batches of 64", AT_MOST, 1, "%",
		true },
	[CHECK_ISO_STOLEN_RVM_POLL_SINGLE] = { "iso_stolen_rvm_poll_single",
		"the same, its CPU isolated: CPU time taken, polling handle", AT_MOST, 1, "%",
		true },
	[CHECK_ISO_LOSS_RVM_SINGLE] = { "iso_loss_rvm_single",
		"the same, its CPU isolated: loop rate lost (wall clock), single ioctls",
		AT_MOST, 1, "%", true },
	[CHECK_ISO_LOSS_RVM_B64] = { "iso_loss_rvm_b64",
		"the same, its CPU isolated: loop rate lost (wall clock), batches of 64",
		AT_MOST, 1, "%", true },
	[CHECK_ISO_LOSS_RVM_POLL_SINGLE] = { "iso_loss_rvm_poll_single",
		"the same, its CPU isolated: loop rate lost (wall clock), polling handle",
		AT_MOST, 1, "%", true },
	[CHECK_SCALING_RVM_SINGLE] = { "scaling_rvm_single",
		"two tools on two targets ÷ one, single ioctls", AT_LEAST, 1.7, "x", true },
	[CHECK_SCALING_RVM_B64] = { "scaling_rvm_b64",
		"two tools on two targets ÷ one, batches of 64", AT_LEAST, 1.7, "x", true },
	[CHECK_TRACING_OFF_SINGLE] = { "tracing_off_single",
		"trace events disabled ÷ a build without them, single ioctls", AT_MOST, 1.01,
		"x", true },
	[CHECK_TRACING_OFF_B64] = { "tracing_off_b64",
		"trace events disabled ÷ a build without them, batches of 64", AT_MOST, 1.01,
		"x", true },
	[CONTROL_STOLEN_TOOL_MMAP] = { "control_stolen_tool_mmap",
		"control: the tool churns its own mm as much instead, CPU time taken", CONTROL,
		.unit = "%", .in_readme = true },
	[CONTROL_LOSS_TOOL_MMAP] = { "control_loss_tool_mmap",
		"control: the same, loop rate lost", CONTROL, .unit = "%", .in_readme = true },
	[CONTROL_ISO_STOLEN_TOOL_MMAP] = { "control_iso_stolen_tool_mmap",
		"control, its CPU isolated: CPU time taken", CONTROL, .unit = "%",
		.in_readme = true },
	[CONTROL_ISO_LOSS_TOOL_MMAP] = { "control_iso_loss_tool_mmap",
		"control, its CPU isolated: loop rate lost", CONTROL, .unit = "%",
		.in_readme = true },
	[CONTROL_LOSS_PTRACE] = { "control_loss_ptrace",
		"for comparison: loop rate lost (wall clock), ptrace injection", CONTROL,
		.unit = "%" },
	[CONTROL_LOSS_NOISE] = { "control_loss_noise",
		"noise floor: loop rate lost, a control phase against the next", CONTROL,
		.unit = "%" },
	[CONTROL_SCALING_LOCAL] = { "control_scaling_local",
		"control: two ÷ one tools doing their own mmap+munmap (what the guest allows)",
		CONTROL, .unit = "x", .in_readme = true },
	[CONTROL_TRACING_ON_SINGLE] = { "control_tracing_on_single",
		"for comparison: every event enabled and recorded ÷ the build without, single ioctls",
		CONTROL, .unit = "x", .in_readme = true },
	[CONTROL_TRACING_ON_B64] = { "control_tracing_on_b64",
		"for comparison: the same, batches of 64", CONTROL, .unit = "x",
		.in_readme = true },
};

static struct {
	struct stats st;
	bool measured;
} values[NCHECKS];

void check_set(enum check_id id, struct stats st)
{
	values[id].st = st;
	values[id].measured = true;
}

double check_limit(enum check_id id)
{
	return checks[id].limit;
}

static bool check_met(const struct check *c, double value)
{
	return c->rule == AT_MOST ? value <= c->limit : value >= c->limit;
}

void checks_report(void)
{
	char target[32];
	unsigned int i;

	printf("\n== Checks (ratios of medians, [p10 .. p90] of per-round ratios; same guest run)\n");
	for (i = 0; i < NCHECKS; i++) {
		const struct check *c = &checks[i];
		struct stats st = values[i].st;
		bool met;

		if (!values[i].measured)
			continue;
		if (c->rule == CONTROL) {
			printf("%-86s %8.2f%-2s [%6.2f .. %6.2f]\n", c->label, st.median,
			       c->unit, st.p10, st.p90);
			csv_row("check", c->name, 0, 0, "value", st, 0, NULL, NULL);
			continue;
		}
		met = check_met(c, st.median);
		snprintf(target, sizeof(target), "%s%g%s", c->rule == AT_MOST ? "<=" : ">=",
			 c->limit, c->unit);
		printf("%-86s %8.2f%-2s [%6.2f .. %6.2f]  %-8s %s\n", c->label, st.median,
		       c->unit, st.p10, st.p90, target, met ? "MET" : "MISSED");
		csv_row("check", c->name, 0, 0, "value", st, 0, target, met ? "met" : "missed");
	}
	printf("A missed check is reported, not an error: the run fails only when a\n"
	       "measurement cannot be made.\n");
}

void checks_readme(void)
{
	const struct csv_value *v;
	unsigned int i, k;

	printf("\n");
	readme_header("check", NULL, 0);
	for (i = 0; i < NCHECKS; i++) {
		const struct check *c = &checks[i];
		const char *unit = strcmp(c->unit, "x") ? " %" : "×";

		if (!c->in_readme)
			continue;
		if (c->rule == CONTROL)
			printf("| %s%s |", c->label, strcmp(c->unit, "x") ? " %" : "");
		else
			printf("| %s %s %g%s |", c->label, c->rule == AT_MOST ? "≤" : "≥",
			       c->limit, unit);
		for (k = 0; k < readme_nkernels; k++) {
			v = csv_find(k, "check", c->name, 0, "value");
			if (!v)
				printf(" – |");
			else if (c->rule == CONTROL)
				printf(" %.2f |", v->median);
			else
				printf(" %.2f %s |", v->median,
				       check_met(c, v->median) ? "met" : "**missed**");
		}
		printf("\n");
	}
}
