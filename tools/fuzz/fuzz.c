// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-fuzz: hostile operations on /dev/remotevm against a hostile
 * target, with oracles for what must never happen. Seeded: it prints its
 * seed, and the same seed sends each thread the same operations again
 * (the interleaving of threads and target is the scheduler's).
 *
 * Rounds: several threads send random operations on several handles to
 * one target (target.c) that churns its own mappings meanwhile, or is held
 * still from outside (SIGSTOP, ptrace, the cgroup freezer) or squeezed by
 * a tight memcg; then,
 * with the target holding still, the tool checks QUERY and REGIONS against
 * /proc/PID/maps and sends single operations whose failure must leave the
 * target's maps as they were, with fault injection on, if the kernel has
 * it, for the tool and the module's worker; then it may kill the target,
 * make it exec or exit, reopen the handles, use one from a forked child
 * or through SCM_RIGHTS, or try to unload the module.
 *
 * Oracles: the target's own pages keep their words (else it exits with
 * TARGET_DATA_LOST or TARGET_FAULTED); no allocation overlaps them; every
 * errno is one the module may return; QUERY and REGIONS agree with maps;
 * a failed operation changes nothing; no operation takes longer than the
 * stall limit; the module does not unload while in use. The kernel log,
 * kmemleak and the module's unload are the guest runner's to check.
 *
 * usage: remotevm-fuzz [--seed N] [--ops N] [--threads N] [--round N]
 *                      [--fail PERCENT]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/remotevm.h>

#include "ops.h"
#include "proc.h"

#define HANDLES		4
#define THREADS_MAX	8
#define CALM_OPS	40
#define FAULT_SITES	512

/*
 * What holds the target still from outside for a whole round, its threads
 * and mm under the module all the while: the stop signal, a ptrace
 * interrupt, the cgroup freezer; or a memcg so tight that what the target
 * and the module's commits touch ends in OOM kills.
 */
enum hold { HOLD_NONE, HOLD_SIGSTOP, HOLD_PTRACE, HOLD_FREEZER, HOLD_MEMCG };

static struct {
	uint64_t seed, ops;
	unsigned int threads, round;
	unsigned int fail_percent;
	double stall_seconds;
} opt = { .ops = 100000, .threads = 3, .round = 2000, .stall_seconds = 20 };

/* Ranges of its targets that the module reported clobbering, lately. */
#define CLOBBERS	64

struct clobber {
	pid_t pid;
	uint64_t start, end;
};

static struct {
	int handles[HANDLES];
	FILE *target_out;	/* the target's stdout: hello, paused, resumed */
	char exe32[4096];	/* the 32-bit build beside this one, or "" */
	unsigned long targets, targets32, kills, execs, exits, reopens, forks, passes, unloads;
	unsigned long calm_ops, calm_failed, checks, holds[HOLD_MEMCG + 1];
	unsigned long faults_ops, faults_injected;
	char *sites[FAULT_SITES];
	unsigned int nr_sites, remotevm_sites;
	struct clobber clobbers[CLOBBERS];
	unsigned long nr_clobbers, losses_reported;
	int kmsg;
	pthread_mutex_t fail_lock;
} tool = { .kmsg = -1, .fail_lock = PTHREAD_MUTEX_INITIALIZER };

void fuzz_fail(struct fuzz_thread *ft, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&tool.fail_lock);
	fz.failures++;
	fprintf(stdout, "fuzz: FAIL (thread %d): ", ft ? ft->index : -1);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&tool.fail_lock);
}

static void die(const char *what)
{
	fprintf(stdout, "fuzz: FAIL: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ------------------------------------------------------------------ */
/* The target and the handles                                          */
/* ------------------------------------------------------------------ */

/* A target thread in D state: what it waits for. */
static void target_blocked(void)
{
	char path[64], wchan[64];
	struct dirent *e;
	DIR *tasks;

	snprintf(path, sizeof(path), "/proc/%d/task", fz.target);
	tasks = opendir(path);
	while (tasks && (e = readdir(tasks))) {
		pid_t tid = atoi(e->d_name);

		if (tid > 0 && task_state(tid) == 'D')
			fuzz_fail(NULL, "target thread %d blocked in %s", tid,
				  task_wchan(tid, wchan, sizeof(wchan)));
	}
	if (tasks)
		closedir(tasks);
}

/*
 * Reads the target's next line; false if it is gone, or silent for
 * TARGET_SILENCE s (then it is killed, and if one of its threads was
 * blocked in the kernel, that is a failure).
 */
#define TARGET_SILENCE	30
static bool target_line(char *line, size_t len)
{
	struct pollfd pfd = { .fd = fileno(tool.target_out), .events = POLLIN };

	if (poll(&pfd, 1, TARGET_SILENCE * 1000) != 1) {
		target_blocked();
		kill(fz.target, SIGKILL);
	}
	return fgets(line, (int)len, tool.target_out) != NULL;
}

static bool target_hello(void)
{
	unsigned long long window, pattern;
	char line[128];

	if (!target_line(line, sizeof(line)) ||
	    sscanf(line, "window %llx pattern %llx", &window, &pattern) != 2)
		return false;
	__atomic_store_n(&fz.window, window, __ATOMIC_RELAXED);
	__atomic_store_n(&fz.pattern, pattern, __ATOMIC_RELAXED);
	return true;
}

static void target_start(struct rng *r)
{
	const char *exe;
	char seed[32];
	int out[2];
	pid_t pid;

	if (pipe2(out, O_CLOEXEC))
		die("pipe");
	snprintf(seed, sizeof(seed), "%llx", (unsigned long long)rng_next(r));
	/* Every fourth target or so is the 32-bit build, where there is one. */
	exe = rng_chance(r, 25) && tool.exe32[0] ? tool.exe32 : "/proc/self/exe";
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		dup2(out[1], 1);
		execl(exe, "remotevm-fuzz", "--target", "churn", seed, (char *)NULL);
		_exit(1);
	}
	tool.targets32 += exe == tool.exe32;
	close(out[1]);
	tool.target_out = fdopen(out[0], "r");
	if (!tool.target_out || !target_hello())
		die("target start");
	__atomic_store_n(&fz.target, pid, __ATOMIC_RELAXED);
	fz.mem_fd = proc_mem_open(pid, O_RDWR);
	if (fz.mem_fd < 0)
		die("open /proc/PID/mem");
	tool.targets++;
}

static void read_kernel_log(void);

/* Where the dead target lost data, as its last words on stdout say. */
static bool target_loss(uint64_t *addr)
{
	unsigned long long lost;
	char line[128];

	fcntl(fileno(tool.target_out), F_SETFL, O_NONBLOCK);
	while (fgets(line, sizeof(line), tool.target_out))
		if (sscanf(line, "lost %llx", &lost) == 1) {
			*addr = lost;
			return true;
		}
	return false;
}

/*
 * Whether the module reported unmapping @addr of the target (the race it
 * cannot prevent, see remotevm_take_clobbered()). Its worker logs that
 * after the unmap, which the target may outrun: a second to catch up.
 */
static bool loss_reported(pid_t pid, uint64_t addr)
{
	unsigned long i;
	int tries;

	for (tries = 0; tries < 20; tries++) {
		read_kernel_log();
		for (i = 0; i < CLOBBERS && i < tool.nr_clobbers; i++) {
			const struct clobber *c = &tool.clobbers[i];

			if (c->pid == pid && c->start <= addr && addr < c->end)
				return true;
		}
		usleep(50000);
	}
	return false;
}

/*
 * Reaps the target, if it ended: how it did is an oracle. Data it lost is
 * a failure, unless the module reported unmapping that very page.
 */
static bool target_gone(bool wait)
{
	int status;
	/* __WALL: while the tool traces it, its stops are reported too. */
	pid_t pid = waitpid(fz.target, &status, __WALL | (wait ? 0 : WNOHANG));
	uint64_t addr;

	if (pid <= 0 || WIFSTOPPED(status))
		return false;
	if (WIFEXITED(status) && (WEXITSTATUS(status) == TARGET_DATA_LOST ||
				  WEXITSTATUS(status) == TARGET_FAULTED)) {
		if (!target_loss(&addr))
			fuzz_fail(NULL, "the target lost data of its own (exit %d)",
				  WEXITSTATUS(status));
		else if (loss_reported(pid, addr))
			tool.losses_reported++;
		else
			fuzz_fail(NULL, "the target lost data of its own at %#llx (exit %d), "
				  "not reported by the module", (unsigned long long)addr,
				  WEXITSTATUS(status));
	}
	fclose(tool.target_out);
	close(fz.mem_fd);
	fz.target = 0;
	return true;
}

static void target_stop(void)
{
	kill(fz.target, SIGKILL);
	target_gone(true);
}

static void handles_close(void)
{
	int i;

	for (i = 0; i < HANDLES; i++)
		close(tool.handles[i]);
}

/* Some release on close, one polls: every attach mode is in the mix. */
static void handles_open(struct rng *r)
{
	int i;

	for (i = 0; i < HANDLES; i++) {
		struct remotevm_attach a = {
			.pid = (uint32_t)fz.target,
			.mem_fd = fz.mem_fd,
			.flags = rng_chance(r, 30) ? REMOTEVM_ATTACH_RELEASE_ON_CLOSE : 0,
			.poll_us = i == HANDLES - 1 ? 50 : 0,
		};
		int fd = open("/dev/remotevm", O_RDWR | O_CLOEXEC);

		if (fd < 0)
			die("open /dev/remotevm");
		/* A target killed a moment ago: its handles just fail. */
		if (ioctl(fd, REMOTEVM_IOC_ATTACH, &a) && errno != ESRCH && errno != EACCES)
			fuzz_fail(NULL, "attach: %s", strerror(errno));
		tool.handles[i] = fd;
	}
}

/* ------------------------------------------------------------------ */
/* Rounds                                                              */
/* ------------------------------------------------------------------ */

struct worker {
	pthread_t thread;
	pid_t tid;
	struct fuzz_thread ft;
	struct rng rng;
	unsigned long ops, done;
	uint64_t started_ns;	/* of the op in flight, 0 between ops */
	enum op_kind kind;
};

static struct worker workers[THREADS_MAX];
/* Posted by each thread as it finishes: the round ends without a poll. */
static sem_t round_done;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* A task's kernel stack, for a failure report. */
static void print_stack(const char *what, pid_t pid, pid_t tid)
{
	char path[64], stack[4096];
	ssize_t n;
	int fd;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, stack, sizeof(stack) - 1);
	if (fd >= 0)
		close(fd);
	stack[n > 0 ? n : 0] = 0;
	printf("fuzz: %s (%s):\n%s", what, path, stack);
}

static void *work(void *arg)
{
	struct worker *w = arg;

	w->tid = (pid_t)syscall(SYS_gettid);
	for (w->done = 0; w->done < w->ops; w->done++) {
		enum op_kind kind = pick_op(&w->rng);
		int fd = tool.handles[rng_below(&w->rng, HANDLES)];

		/* Now and then the target dies under everybody's feet. */
		if (!rng_below(&w->rng, 100000))
			kill(__atomic_load_n(&fz.target, __ATOMIC_RELAXED), SIGKILL);
		w->kind = kind;
		__atomic_store_n(&w->started_ns, now_ns(), __ATOMIC_RELEASE);
		run_op(&w->rng, &w->ft, kind, fd);
		__atomic_store_n(&w->started_ns, 0, __ATOMIC_RELEASE);
	}
	sem_post(&round_done);
	return NULL;
}

/* Liveness: an op in flight longer than the stall limit ends the run. */
static void watch(void)
{
	unsigned int i, running = opt.threads;

	while (running) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		if (!sem_timedwait(&round_done, &until)) {
			running--;
			continue;
		}
		for (i = 0; i < opt.threads; i++) {
			struct worker *w = &workers[i];
			uint64_t started = __atomic_load_n(&w->started_ns, __ATOMIC_ACQUIRE);

			if (started && now_ns() - started > opt.stall_seconds * 1e9) {
				fuzz_fail(&w->ft, "%s stalled for over %.0f s",
					  op_names[w->kind], opt.stall_seconds);
				print_stack("the stalled thread", getpid(), w->tid);
				print_stack("the target's worker", worker_of(fz.target), 0);
				/* What runs: the guest's console has it. */
				write_line("/proc/sysrq-trigger", "l");
				/* Its allocations would keep the module loaded. */
				kill(fz.target, SIGKILL);
				exit(1);
			}
		}
	}
}

#define FUZZ_CGROUP	"/sys/fs/cgroup/remotevm-fuzz"

/*
 * The cgroup of the freezer and memcg holds, made before anything runs:
 * the first memcg switches on a static key in every slab allocation, and
 * a TCG guest that patches that code while the other vCPU runs through
 * it can die of the text-patching int3 ("Oops: int3" in
 * kmem_cache_alloc_noprof(), seen on 6.12).
 */
static void cgroup_setup(void)
{
	write_line("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	if (mkdir(FUZZ_CGROUP, 0755) && errno != EEXIST)
		fprintf(stderr, "fuzz: no cgroup, so no freezer or memcg holds: %s\n",
			strerror(errno));
}

static bool cgroup_enter(pid_t pid, const char *max)
{
	char value[16];

	snprintf(value, sizeof(value), "%d", pid);
	/* No memory controller in this guest: then no memcg hold either. */
	if (max && write_line(FUZZ_CGROUP "/memory.max", max))
		return false;
	return !write_line(FUZZ_CGROUP "/cgroup.procs", value);
}

static enum hold hold_start(struct rng *r)
{
	pid_t pid = fz.target;
	enum hold hold = (enum hold)rng_below(r, 10);

	switch (hold) {
	case HOLD_SIGSTOP:
		if (!kill(pid, SIGSTOP))
			break;
		return HOLD_NONE;
	case HOLD_PTRACE:
		if (!ptrace(PTRACE_SEIZE, pid, 0, 0) && !ptrace(PTRACE_INTERRUPT, pid, 0, 0))
			break;
		return HOLD_NONE;
	case HOLD_FREEZER:
		if (cgroup_enter(pid, NULL) && !write_line(FUZZ_CGROUP "/cgroup.freeze", "1"))
			break;
		return HOLD_NONE;
	case HOLD_MEMCG:
		if (cgroup_enter(pid, "4M"))
			break;
		return HOLD_NONE;
	default:
		return HOLD_NONE;
	}
	tool.holds[hold]++;
	return hold;
}

/* The ptrace stop to detach from, unless the target died meanwhile. */
static void ptrace_release(pid_t pid)
{
	siginfo_t info = { 0 };

	while (!waitid(P_PID, pid, &info, WSTOPPED | WEXITED | WNOWAIT | __WALL) &&
	       (info.si_code == CLD_TRAPPED || info.si_code == CLD_STOPPED)) {
		int status, sig;

		waitpid(pid, &status, __WALL);
		sig = WSTOPSIG(status);
		/* An interrupt's stop passes no signal on; a signal's stop does. */
		if (!ptrace(PTRACE_DETACH, pid, 0,
			    status >> 16 == PTRACE_EVENT_STOP || sig == SIGTRAP ? 0 : sig))
			return;
	}
}

static void hold_end(enum hold hold)
{
	pid_t pid = fz.target;
	char value[16];

	switch (hold) {
	case HOLD_SIGSTOP:
		kill(pid, SIGCONT);
		break;
	case HOLD_PTRACE:
		ptrace_release(pid);
		break;
	case HOLD_FREEZER:
		write_line(FUZZ_CGROUP "/cgroup.freeze", "0");
		/* fall through */
	case HOLD_MEMCG:
		snprintf(value, sizeof(value), "%d", pid);
		write_line("/sys/fs/cgroup/cgroup.procs", value);
		write_line(FUZZ_CGROUP "/memory.max", "max");
		break;
	case HOLD_NONE:
		break;
	}
}

static void round_run(unsigned int round)
{
	unsigned int i;

	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		w->ft.index = (int)i;
		w->rng.state = opt.seed ^ ((uint64_t)round << 32) ^ (i + 1) * 0x51ed27ULL;
		w->ops = opt.round;
		w->done = 0;
		if (pthread_create(&w->thread, NULL, work, w))
			die("pthread_create");
	}
	watch();
	for (i = 0; i < opt.threads; i++)
		pthread_join(workers[i].thread, NULL);
}

/* ------------------------------------------------------------------ */
/* The target holding still: consistency and failed ops                */
/* ------------------------------------------------------------------ */

static const struct mapping *maps_at(const struct mapping *maps, int nr, uint64_t addr)
{
	int i;

	for (i = 0; i < nr; i++)
		if (maps[i].start <= addr && addr < maps[i].end)
			return &maps[i];
	return NULL;
}

/*
 * A target holds up to 65 536 allocations of remotevm's, each a mapping
 * of its own now that they lie 64 KiB apart, and its own besides.
 */
#define MAPS_MAX	(1 << 17)
static struct mapping maps_before[MAPS_MAX], maps_after[MAPS_MAX];

/* QUERY and REGIONS of the window agree with maps: free where nothing is. */
static void check_consistency(void)
{
	static struct remotevm_region regions[256];
	int nr = maps_merged(fz.target, maps_before, MAPS_MAX), fd = tool.handles[0];
	uint64_t addr, end = fz.window + WINDOW_PAGES * PAGE;
	struct remotevm_regions req = {
		.start = fz.window,
		.end = end,
		.regions = (uintptr_t)regions,
		.region_size = sizeof(regions[0]),
	};
	uint32_t i;

	if (nr < 0)
		return;
	tool.checks++;
	while (req.start < end) {
		req.count = 256;
		if (ioctl(fd, REMOTEVM_IOC_REGIONS, &req))
			return;	/* the target is gone: the round end sees to it */
		for (i = 0; i < req.count; i++) {
			struct remotevm_region *g = &regions[i];

			for (addr = g->base_address; addr < g->base_address + g->region_size;
			     addr += PAGE) {
				bool mapped = maps_at(maps_before, nr, addr);

				if (mapped == (g->state != REMOTEVM_MEM_FREE))
					continue;
				fuzz_fail(NULL, "REGIONS says %#x at %#llx, maps says %s",
					  g->state, (unsigned long long)addr,
					  mapped ? "mapped" : "nothing");
				return;
			}
		}
		req.start = req.next;
	}
}

static bool fault_injection;
static const char *const fault_dirs[] = {
	"/sys/kernel/debug/failslab", "/sys/kernel/debug/fail_page_alloc",
	"/sys/kernel/debug/fail_usercopy",
};
#define FAULT_TIMES	1000000000L

static void fault_attr(const char *dir, const char *attr, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	write_line(path, value);
}

static void fault_setup(void)
{
	char probability[16], times[24];
	size_t i;

	if (!opt.fail_percent || access(fault_dirs[0], F_OK)) {
		if (opt.fail_percent)
			printf("fuzz: no fault injection in this kernel\n");
		return;
	}
	snprintf(probability, sizeof(probability), "%u", opt.fail_percent);
	snprintf(times, sizeof(times), "%ld", FAULT_TIMES);
	for (i = 0; i < sizeof(fault_dirs) / sizeof(fault_dirs[0]); i++) {
		fault_attr(fault_dirs[i], "task-filter", "Y");
		fault_attr(fault_dirs[i], "probability", probability);
		fault_attr(fault_dirs[i], "interval", "1");
		fault_attr(fault_dirs[i], "times", times);
		fault_attr(fault_dirs[i], "space", "0");
		fault_attr(fault_dirs[i], "verbose", "2");
		/* Stacks for the call sites: a sample, or the console is flooded. */
		fault_attr(fault_dirs[i], "verbose_ratelimit_interval_ms", "1000");
		fault_attr(fault_dirs[i], "verbose_ratelimit_burst", "50");
	}
	fault_injection_reach_all(true);
	fault_injection = true;
}

static void make_it_fail(const char *path, bool on)
{
	int tries;

	/* Turning it off can itself fail, while it is on. */
	for (tries = 0; write_line(path, on ? "1" : "0") && tries < 1000; tries++)
		;
}

/*
 * make-it-fail for this thread and for the target's worker, or off: off
 * for this thread first, which then looks for nothing with it on.
 */
static void fault_arm(bool on)
{
	static pid_t worker;
	char path[64];

	if (on)
		worker = worker_of(fz.target);
	else
		make_it_fail("/proc/thread-self/make-it-fail", false);
	if (worker > 0) {
		snprintf(path, sizeof(path), "/proc/%d/make-it-fail", worker);
		make_it_fail(path, on);
	}
	if (on)
		make_it_fail("/proc/thread-self/make-it-fail", true);
}

static bool skipped_frame(const char *fn)
{
	static const char *const skip[] = {
		"dump_stack", "dump_stack_lvl", "show_stack", "fail_dump", "should_fail",
		"should_fail_ex", "__should_fail", "__kmem_cache_alloc_node",
		"should_failslab", "__should_failslab", "should_fail_alloc_page",
		"should_fail_usercopy", "slab_pre_alloc_hook", "kmem_cache_alloc",
		"__kmem_cache_alloc", "kmalloc", "__kmalloc", "kvmalloc", "kzalloc",
		"__alloc_pages", "alloc_pages", "prepare_alloc_pages", "__get_free_pages",
		"get_zeroed_page", "kmalloc_trace", "kmalloc_large", "kmalloc_order",
		"copy_from_user", "_copy_from_user", "copy_to_user", "_copy_to_user",
		"__copy_from_user", "copyin", "copyout", "alloc_pages_vma",
		"vma_alloc_folio", "folio_alloc", "__folio_alloc", "mas_alloc_nodes",
		"mas_node_count", "mas_preallocate", "kmem_cache_alloc_bulk",
		"__kmem_cache_alloc_bulk", "kmem_cache_alloc_lru", "__kmalloc_node",
		"kvmalloc_node", "__kmalloc_node_track_caller", "kmemdup",
	};
	size_t i, n;

	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
		n = strlen(skip[i]);
		if (!strncmp(fn, skip[i], n) && (fn[n] == '+' || fn[n] == '.'))
			return true;
	}
	return false;
}

/* A call site of an injected fault: the first frame of its stack that is not fault machinery. */
static void note_fault_site(const char *msg)
{
	static bool in_trace, site_found;
	char fn[128];
	unsigned int i;

	if (strstr(msg, "FAULT_INJECTION: forcing a failure")) {
		in_trace = true;
		site_found = false;
		return;
	}
	if (!in_trace || site_found || msg[0] != ' ' ||
	    sscanf(msg, " %127s", fn) != 1 || !strchr(fn, '+') || skipped_frame(fn))
		return;
	site_found = true;
	*strchr(fn, '+') = 0;
	if (strstr(msg, "[remotevm]"))
		strcat(fn, " [remotevm]");
	for (i = 0; i < tool.nr_sites; i++)
		if (!strcmp(tool.sites[i], fn))
			return;
	if (i < FAULT_SITES) {
		tool.sites[tool.nr_sites++] = strdup(fn);
		tool.remotevm_sites += !!strstr(fn, "[remotevm]");
	}
}

/* What the kernel logged since the last look: fault sites, clobbers. */
static void read_kernel_log(void)
{
	char rec[1024];
	const char *msg;
	struct clobber c;

	while (tool.kmsg >= 0 && (msg = kmsg_next(tool.kmsg, rec, sizeof(rec)))) {
		if (fault_injection)
			note_fault_site(msg);
		if (kmsg_clobber(msg, &c.pid, &c.start, &c.end))
			tool.clobbers[tool.nr_clobbers++ % CLOBBERS] = c;
	}
}

static long fault_count(void)
{
	char path[128], value[32];
	long injected = 0;
	size_t i;

	for (i = 0; fault_injection && i < sizeof(fault_dirs) / sizeof(fault_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/times", fault_dirs[i]);
		if (!read_line(path, value, sizeof(value)))
			injected += FAULT_TIMES - atol(value);
	}
	return injected;
}

static bool target_ask(int sig, const char *answer)
{
	char line[64];

	if (kill(fz.target, sig))
		return false;
	return target_line(line, sizeof(line)) && !strncmp(line, answer, strlen(answer));
}

/*
 * A failed single op leaves the target's maps exactly as they were. A batch
 * is the exception: the ops before the one that failed stay done. Every
 * kind runs here, so that injected faults reach every allocation site
 * (ATTACH opens a fresh handle too).
 */
static void calm_op(struct rng *r, struct fuzz_thread *ft)
{
	static const enum op_kind kinds[] = {
		OP_ALLOC, OP_FREE, OP_PROTECT, OP_READ, OP_QUERY, OP_REGIONS, OP_BATCH, OP_ATTACH,
	};
	enum op_kind kind = kinds[rng_below(r, sizeof(kinds) / sizeof(kinds[0]))];
	int before = maps_merged(fz.target, maps_before, MAPS_MAX), after, i;
	bool faulty = fault_injection && rng_chance(r, 50);
	long ret;

	if (faulty)
		fault_arm(true);
	ret = run_op(r, ft, kind, tool.handles[rng_below(r, HANDLES)]);
	if (faulty) {
		fault_arm(false);
		tool.faults_ops++;
	}
	tool.calm_ops++;
	if (!ret || before <= 0 || kind == OP_BATCH)
		return;
	tool.calm_failed++;
	after = maps_merged(fz.target, maps_after, MAPS_MAX);
	if (after <= 0)
		return;
	for (i = 0; i < before && i < after; i++)
		if (memcmp(&maps_before[i], &maps_after[i], sizeof(maps_before[i])))
			break;
	if (i == before && i == after)
		return;
	fuzz_fail(ft, "%s failed (%ld%s) and changed the target's maps at %#llx (%s → %s)",
		  op_names[kind], ret, faulty ? ", faults injected" : "",
		  (unsigned long long)(i < before ? maps_before[i].start : maps_after[i].start),
		  i < before ? maps_before[i].perms : "none",
		  i < after ? maps_after[i].perms : "none");
}

static void calm_phase(struct rng *r)
{
	static struct fuzz_thread ft = { .index = -1 };
	int i;

	if (!target_ask(SIGNAL_PAUSE, "paused"))
		return;
	check_consistency();
	for (i = 0; i < CALM_OPS; i++)
		calm_op(r, &ft);
	read_kernel_log();
	target_ask(SIGNAL_RESUME, "resumed");
}

/* ------------------------------------------------------------------ */
/* Between rounds: the handle's life, the target's life                */
/* ------------------------------------------------------------------ */

/* A handle in a forked child, alive and working; the child just exits. */
static void child_uses_handle(struct rng *r)
{
	static struct fuzz_thread ft = { .index = -2 };
	unsigned long failures = fz.failures;
	pid_t pid = fork();
	int i;

	if (pid < 0)
		return;
	if (!pid) {
		for (i = 0; i < 50; i++)
			run_op(r, &ft, pick_op(r), tool.handles[rng_below(r, HANDLES)]);
		/* Its own failures, not the ones it inherited. */
		_exit(fz.failures != failures);
	}
	tool.forks++;
	if (waitpid(pid, &i, 0) == pid && (!WIFEXITED(i) || WEXITSTATUS(i)))
		fuzz_fail(NULL, "a child using an inherited handle failed (status %#x)", i);
}

/* A handle passed over a unix socket works as the one it is. */
static void pass_handle(struct rng *r)
{
	static struct fuzz_thread ft = { .index = -3 };
	char byte = 0, control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	int sv[2], fd, i;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return;
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &tool.handles[rng_below(r, HANDLES)], sizeof(int));
	if (sendmsg(sv[0], &msg, 0) == 1 && recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC) == 1 &&
	    (cmsg = CMSG_FIRSTHDR(&msg))) {
		memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
		for (i = 0; i < 20; i++)
			run_op(r, &ft, pick_op(r), fd);
		close(fd);
		tool.passes++;
	}
	close(sv[0]);
	close(sv[1]);
}

/* While a handle is open, the module must refuse to go. */
static void try_unload(void)
{
	tool.unloads++;
	if (!syscall(SYS_delete_module, "remotevm", O_NONBLOCK))
		fuzz_fail(NULL, "the module unloaded with handles open");
}

static void between_rounds(struct rng *r)
{
	unsigned int what = (unsigned int)rng_below(r, 100);

	if (target_gone(false)) {
		handles_close();
		target_start(r);
		handles_open(r);
		return;
	}
	calm_phase(r);
	if (what < 8) {
		tool.kills++;
		target_stop();
	} else if (what < 12) {
		tool.execs++;
		kill(fz.target, SIGUSR1);
		close(fz.mem_fd);
		/* The new image needs a new proof of access. */
		if (target_hello())
			fz.mem_fd = proc_mem_open(fz.target, O_RDWR);
		else
			fz.mem_fd = -1;
		if (fz.mem_fd < 0)
			target_stop();
	} else if (what < 14) {
		tool.exits++;
		kill(fz.target, SIGUSR2);
		target_gone(true);
	} else if (what < 24) {
		tool.reopens++;
	} else {
		if (what < 30)
			child_uses_handle(r);
		else if (what < 36)
			pass_handle(r);
		else if (what < 38)
			try_unload();
		return;
	}
	handles_close();
	if (!fz.target)
		target_start(r);
	handles_open(r);
}

/* ------------------------------------------------------------------ */

static void find_exe32(void)
{
	ssize_t n = readlink("/proc/self/exe", tool.exe32, sizeof(tool.exe32) - 3);

	if (n <= 0) {
		tool.exe32[0] = 0;
		return;
	}
	memcpy(tool.exe32 + n, "32", 3);
	if (access(tool.exe32, X_OK))
		tool.exe32[0] = 0;
}

static void setup_bad_pointers(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	fz.straddle = p;
	munmap(p + PAGE, PAGE);
	fz.unmapped = p + PAGE;
	fz.readonly = p + 2 * PAGE;
	mprotect(fz.readonly, PAGE, PROT_READ);
}

static void report(double seconds)
{
	unsigned long total = 0;
	unsigned int i;

	for (i = 0; i < OP_KINDS; i++)
		total += fz.count[i];
	printf("fuzz: seed %llu: %lu ops in %.1f s (%.0f/s), %lu failures\n",
	       (unsigned long long)opt.seed, total, seconds, total / seconds, fz.failures);
	for (i = 0; i < OP_KINDS; i++)
		printf("fuzz:   %-8s %9lu sent, %9lu refused\n", op_names[i],
		       fz.count[i], fz.failed[i]);
	printf("fuzz: targets %lu (32-bit %lu, killed %lu, exec'd %lu, exited %lu), "
	       "handles reopened %lu, forked %lu, passed %lu, unloads tried %lu\n",
	       tool.targets, tool.targets32, tool.kills, tool.execs, tool.exits, tool.reopens,
	       tool.forks, tool.passes, tool.unloads);
	printf("fuzz: rounds with the target held: SIGSTOP %lu, ptrace %lu, frozen %lu, "
	       "in a 4M memcg %lu (OOM kills %ld)\n", tool.holds[HOLD_SIGSTOP],
	       tool.holds[HOLD_PTRACE], tool.holds[HOLD_FREEZER], tool.holds[HOLD_MEMCG],
	       proc_file_field(FUZZ_CGROUP "/memory.events", "oom_kill"));
	printf("fuzz: %lu consistency checks, %lu single ops on a still target (%lu failed, "
	       "maps unchanged)\n", tool.checks, tool.calm_ops, tool.calm_failed);
	read_kernel_log();
	printf("fuzz: clobbers: %lu ranges the module reported unmapping after the target "
	       "took them back (ESTALE), %lu losses of the target's inside them\n",
	       tool.nr_clobbers, tool.losses_reported);
	if (fault_injection) {
		printf("fuzz: faults injected: %ld in %lu ops, at %u distinct call sites "
		       "in the stacks sampled (%u in remotevm)\n", fault_count(), tool.faults_ops,
		       tool.nr_sites, tool.remotevm_sites);
		for (i = 0; i < tool.nr_sites; i++)
			printf("fuzz:   site %s\n", tool.sites[i]);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: remotevm-fuzz [--seed N] [--ops N] [--threads N] "
		"[--round N] [--fail PERCENT] [--stall SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct rng rng;
	unsigned int round;
	unsigned long done = 0;
	double started;
	int i;

	if (argc == 4 && !strcmp(argv[1], "--target"))
		target_main(strtoull(argv[3], NULL, 16), !strcmp(argv[2], "churn"));
	opt.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 16;
	for (i = 1; i < argc; i++) {
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;

		if (!value)
			usage();
		if (!strcmp(argv[i], "--seed"))
			opt.seed = strtoull(value, NULL, 0);
		else if (!strcmp(argv[i], "--ops"))
			opt.ops = strtoull(value, NULL, 0);
		else if (!strcmp(argv[i], "--threads"))
			opt.threads = (unsigned int)atoi(value);
		else if (!strcmp(argv[i], "--round"))
			opt.round = (unsigned int)atoi(value);
		else if (!strcmp(argv[i], "--fail"))
			opt.fail_percent = (unsigned int)atoi(value);
		else if (!strcmp(argv[i], "--stall"))
			opt.stall_seconds = atof(value);
		else
			usage();
		i++;
	}
	if (!opt.threads || opt.threads > THREADS_MAX || !opt.round)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fuzz: seed %llu, %llu ops, %u threads, rounds of %u ops each\n",
	       (unsigned long long)opt.seed, (unsigned long long)opt.ops,
	       opt.threads, opt.round);
	signal(SIGPIPE, SIG_IGN);
	rng.state = opt.seed;
	setup_bad_pointers();
	find_exe32();
	if (sem_init(&round_done, 0, 0))
		die("sem_init");
	tool.kmsg = kmsg_open();
	cgroup_setup();
	fault_setup();
	target_start(&rng);
	handles_open(&rng);
	started = now();
	for (round = 0; done < opt.ops; round++) {
		enum hold hold = hold_start(&rng);

		round_run(round);
		hold_end(hold);
		done += (unsigned long)opt.threads * opt.round;
		between_rounds(&rng);
	}
	handles_close();
	if (fz.target) {
		kill(fz.target, SIGUSR2);
		target_gone(true);
	}
	report(now() - started);
	return fz.failures ? 1 : 0;
}
