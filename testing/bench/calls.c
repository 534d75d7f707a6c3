// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench calls: the calls a debugger makes most, each against the
 * local call of its size class, in the same rounds:
 *   REMOTEVM_IOC_QUERY of a page of the target, against mincore() of one
 *   page of the tool's own memory (one small answer about one page);
 *   a 4 KiB ReadMemory, libremotevm's remotevm__read(), against a pread()
 *   of the same 4 KiB from the target's /proc/PID/mem (what it ends in).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <remotevm/remotevm.h>

#include "bench.h"

#define READ_SIZE 4096

enum call_id { C_MINCORE, C_QUERY, C_PREAD, C_READ, NCALLS };

static const struct call {
	const char *name;
	const char *label;
	uint64_t size;
	enum call_id local;	/* what it is compared with */
	enum check_id check;
} calls[] = {
	[C_MINCORE] = { "mincore", "mincore() of one page of the tool's own memory",
		4096, C_MINCORE },
	[C_QUERY] = { "rvm-query", "REMOTEVM_IOC_QUERY of a page of the target", 0,
		C_MINCORE, CHECK_QUERY_VS_MINCORE },
	[C_PREAD] = { "pread-4k", "pread() of 4 KiB of the target's /proc/PID/mem",
		READ_SIZE, C_PREAD },
	[C_READ] = { "rvm-read-4k", "remotevm__read() of the same 4 KiB (ReadMemory)",
		READ_SIZE, C_PREAD, CHECK_READ_VS_PREAD },
};

struct calls {
	struct target target;
	int dev;
	struct remotevm *handle;
	int mem_fd;
	uint64_t address;	/* the target's first page: always there */
	void *own_page;
	struct series series[NCALLS];
};

static void calls_series(void *ctx, unsigned int i, uint64_t count,
			 struct timing *t)
{
	static char buf[READ_SIZE];
	struct calls *c = ctx;
	unsigned char vec;
	int64_t t0 = now_ns();
	uint64_t n;

	switch ((enum call_id)i) {
	case C_MINCORE:
		for (n = 0; n < count; n++)
			if (mincore(c->own_page, 4096, &vec))
				die("mincore");
		break;
	case C_QUERY:
		for (n = 0; n < count; n++)
			rvm_query(c->dev, c->address);
		break;
	case C_PREAD:
		for (n = 0; n < count; n++)
			if (pread(c->mem_fd, buf, READ_SIZE, (off_t)c->address) != READ_SIZE)
				die("pread /proc/%d/mem", (int)c->target.pid);
		break;
	case C_READ:
		for (n = 0; n < count; n++)
			if (remotevm__read(c->handle, c->address, buf, READ_SIZE) != READ_SIZE)
				die("remotevm__read");
		break;
	case NCALLS:
		break;
	}
	t->total = now_ns() - t0;
}

static void calls_setup(struct calls *c)
{
	unsigned int i;
	int ret;

	target_spawn(&c->target, "idle");
	c->dev = rvm_attach(c->target.pid, 0);
	ret = remotevm__open(c->target.pid, NULL, &c->handle);
	if (ret) {
		errno = -ret;
		die("remotevm__open(%d)", (int)c->target.pid);
	}
	c->mem_fd = proc_mem_open(c->target.pid, O_RDONLY);
	if (c->mem_fd < 0)
		die("/proc/%d/mem", (int)c->target.pid);
	c->address = first_mapping(c->target.pid);
	c->own_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (c->own_page == MAP_FAILED)
		die("mmap");
	for (i = 0; i < NCALLS; i++)
		c->series[i].batch = 1;
}

static void calls_teardown(struct calls *c)
{
	target_ping(&c->target, "calls");
	munmap(c->own_page, 4096);
	close(c->mem_fd);
	remotevm__close(c->handle);
	close(c->dev);
	target_kill(&c->target);
}

void calls_main(void)
{
	static struct calls c;
	unsigned int i;

	calls_setup(&c);
	rounds_run(c.series, NCALLS, opt.rounds, opt.round_ns, calls_series, &c, "calls");
	calls_teardown(&c);

	printf("\n== One call, %d rounds, median [p10 .. p90]; x local: against the local\n"
	       "   call of its size class in the same rounds\n", opt.rounds);
	printf("%-56s %10s %21s %8s %19s\n", "call", "us", "[p10 .. p90]", "x local",
	       "[p10 .. p90]");
	for (i = 0; i < NCALLS; i++) {
		const struct call *call = &calls[i];
		struct stats st = summarise(c.series[i].us, opt.rounds);
		struct stats ra = ratio_stats(c.series[i].us, c.series[call->local].us,
					      opt.rounds);

		printf("%-56s %10.2f [%8.2f .. %8.2f] %8.2f [%7.2f .. %7.2f]\n",
		       call->label, st.median, st.p10, st.p90, ra.median, ra.p10, ra.p90);
		csv_row("calls", call->name, call->size, 1, "us_per_call", st,
			c.series[i].ops, NULL, NULL);
		if (call->local == i)
			continue;
		csv_row("calls", call->name, call->size, 1, "ratio_vs_local", ra,
			c.series[i].ops, NULL, NULL);
		check_set(call->check, ra);
	}
}

void calls_readme(void)
{
	const struct csv_value *us, *ratio;
	unsigned int i, k;

	printf("\nOne call of a debugger's, against the local call of its size class in the\n"
	       "row above it, measured in the same rounds:\n");
	printf("\n");
	readme_header("call", NULL, 0);
	for (i = 0; i < NCALLS; i++) {
		printf("| %s |", calls[i].label);
		for (k = 0; k < readme_nkernels; k++) {
			us = csv_find(k, "calls", calls[i].name, calls[i].size, "us_per_call");
			ratio = csv_find(k, "calls", calls[i].name, calls[i].size,
					 "ratio_vs_local");
			if (!us)
				printf(" – |");
			else if (ratio)
				printf(" %.2f× (%.1f µs) |", ratio->median, us->median);
			else
				printf(" %.1f µs |", us->median);
		}
		printf("\n");
	}
}
