// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench: what remote memory operations through /dev/remotevm
 * cost, each against its local counterpart measured in the same run (in
 * a qemu guest: make bench). One experiment per file, registered below;
 * the checks and their thresholds are in checks.c.
 *
 * usage: remotevm-bench [--csv FILE] [--kernel NAME] [--rounds N]
 *                       [--round-ms MS] [--phase-ops N] [--quick]
 *                       [--only EXPERIMENT,...] [--diag] [--untraced-ko KO]
 *        remotevm-bench --readme [--png-link LINK] CSV...
 *        remotevm-bench --plot PNG CSV...
 * (internally: remotevm-bench --target idle|spin)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

static const struct experiment {
	const char *name;
	const char *summary;
	void (*run)(void);
	bool diagnostic;	/* only with --diag, or named in --only */
} experiments[] = {
	{ .name = "latency", .run = latency_main,
	  .summary = "one alloc+free pair: in the target, by ptrace injection, by remotevm" },
	{ .name = "attached", .run = attached_main,
	  .summary = "the target's own mmap+munmap with remotevm attached, against without" },
	{ .name = "calls", .run = calls_main,
	  .summary = "a QUERY and a 4 KiB read against the local calls of their size" },
	{ .name = "throughput", .run = throughput_main,
	  .summary = "a running target's own loop rate while the tool works on it" },
	{ .name = "scaling", .run = scaling_main,
	  .summary = "two tools on two targets at once against one" },
	{ .name = "tracing", .run = tracing_main,
	  .summary = "the trace events off and on, against a build without them" },
	{ .name = "diag", .run = diag_main, .diagnostic = true,
	  .summary = "where a remote op's time goes (hand-off, worker placement)" },
};

struct options opt = {
	.rounds = 11,
	.round_ns = 20 * NS_PER_MS,
	.phase_rounds = 5,
	.phase_ops = 10000,
};

static void __attribute__((noreturn)) usage(void)
{
	unsigned int i;

	fprintf(stderr,
		"usage: remotevm-bench [--csv FILE] [--kernel NAME] [--rounds N]\n"
		"                      [--round-ms MS] [--phase-ops N] [--quick]\n"
		"                      [--only EXPERIMENT,...] [--diag] [--untraced-ko KO]\n"
		"       remotevm-bench --readme [--png-link LINK] CSV...\n"
		"       remotevm-bench --plot PNG CSV... | gnuplot\n"
		"experiments (--diag: also the diagnostic ones):\n");
	for (i = 0; i < ARRAY_SIZE(experiments); i++)
		fprintf(stderr, "  %-11s %s%s\n", experiments[i].name,
			experiments[i].summary,
			experiments[i].diagnostic ? " (diagnostic)" : "");
	exit(2);
}

/* Whether name is one of the comma-separated list. */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	for (p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

static bool selected(const struct experiment *e, const char *only, bool diag)
{
	if (only)
		return listed(only, e->name);
	return !e->diagnostic || diag;
}

static int readme(int argc, char **argv)
{
	const char *png_link = "build/bench/bench.png";

	if (argc >= 2 && !strcmp(argv[0], "--png-link")) {
		png_link = argv[1];
		argc -= 2;
		argv += 2;
	}
	return readme_main(argc, argv, png_link);
}

static void start(const char *csv_path)
{
	struct utsname uts;
	int fd;

	/* Pipes must not land on 0-2, whatever the caller left open. */
	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			die("/dev/null");
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&uts);
	snprintf(kernel_release, sizeof(kernel_release), "%s", uts.release);
	if (!kernel_name)
		kernel_name = kernel_release;
	shared_create();
	if (csv_path)
		csv_open(csv_path);
}

struct command_line {
	const char *csv_path;
	const char *only;
	bool diag;
};

static void parse(int argc, char **argv, struct command_line *cl)
{
	bool quick = false;
	int i, round_ms = 20;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(arg, "--quick")) {
			quick = true;
			continue;
		}
		if (!strcmp(arg, "--diag")) {
			cl->diag = true;
			continue;
		}
		if (!val)
			usage();
		i++;
		if (!strcmp(arg, "--csv"))
			cl->csv_path = val;
		else if (!strcmp(arg, "--kernel"))
			kernel_name = val;
		else if (!strcmp(arg, "--rounds"))
			opt.rounds = atoi(val);
		else if (!strcmp(arg, "--round-ms"))
			round_ms = atoi(val);
		else if (!strcmp(arg, "--phase-ops"))
			opt.phase_ops = strtoull(val, NULL, 0);
		else if (!strcmp(arg, "--only"))
			cl->only = val;
		else if (!strcmp(arg, "--untraced-ko"))
			untraced_ko = val;
		else
			usage();
	}
	if (quick) {
		opt.rounds = 5;
		round_ms = 10;
		opt.phase_rounds = 2;
		opt.phase_ops = 2000;
	}
	if (opt.rounds < 1 || opt.rounds > MAX_ROUNDS || round_ms < 1 || !opt.phase_ops)
		usage();
	opt.round_ns = round_ms * NS_PER_MS;
}

int main(int argc, char **argv)
{
	struct command_line cl = { 0 };
	unsigned int e, nselected = 0;

	if (argc == 3 && !strcmp(argv[1], "--target"))
		return target_main(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "--readme"))
		return readme(argc - 2, argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "--plot"))
		return plot_main(argv[2], argc - 3, argv + 3);
	parse(argc, argv, &cl);
	for (e = 0; e < ARRAY_SIZE(experiments); e++)
		nselected += selected(&experiments[e], cl.only, cl.diag);
	if (!nselected)
		usage();

	start(cl.csv_path);
	printf("remotevm-bench on %s (%s), %ld CPUs\n", kernel_name, kernel_release,
	       sysconf(_SC_NPROCESSORS_ONLN));
	for (e = 0; e < ARRAY_SIZE(experiments); e++)
		if (selected(&experiments[e], cl.only, cl.diag))
			experiments[e].run();
	checks_report();
	csv_close();
	return 0;
}
