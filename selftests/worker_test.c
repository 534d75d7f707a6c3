// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for the handles' kernel workers: concurrent handles on one
 * target and on several, the polling worker's busy wait and CPU placement
 * (timing-sensitive under TCG, so in a program of their own, where a flake
 * cannot hide the contract tests), and the regressions of the security
 * review 2026-12, findings 4, 6, 10 and 12: how many kthreads handles
 * cost, that a hostile target cannot wedge a tool for good, that a polling
 * worker stays on the CPUs its caller may use, and that a target with very
 * many mappings cannot make the worker's region walk quadratic. Needs
 * root, remotevm.ko loaded and two CPUs; runs in a guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/remotevm.h>

#include "kselftest_harness.h"
#include "proc.h"
#include "rvm.h"
#include "target.h"

#define GRANULE	REMOTEVM_ALLOCATION_GRANULARITY

/* Waits up to @secs for @pid to be reaped: 1 if it was, 0 if not. */
static int reaped_within(pid_t pid, double secs)
{
	double end = now() + secs;

	do {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return 1;
		usleep(10000);
	} while (now() < end);
	return 0;
}

/* Only so that tests without a fixture can have their own timeout. */
FIXTURE(nothing)
{
};

FIXTURE_SETUP(nothing)
{
}

FIXTURE_TEARDOWN(nothing)
{
}

/* ------------------------------------------------------------------ */
/* Finding 6: kernel threads are bounded per target                   */
/* ------------------------------------------------------------------ */

#define HANDLES		10000
/* Under TCG an old module's 10 000 kthreads take long: stop, and fail. */
#define ATTACH_SECONDS	50
#define CHECK_EVERY	1000

TEST_F_TIMEOUT(nothing, handles_on_one_target_share_one_kernel_thread, 90)
{
	struct rlimit nofile = { HANDLES + 100, HANDLES + 100 };
	static int dev[HANDLES];
	int before, threads, n, i, failed = 0;
	struct remotevm_region region;
	struct target t;
	uint64_t addr;
	double start;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &nofile));
	/* Workers of anything else (a shared pool, say) are not counted. */
	before = count_comm_prefix("remotevm/", NULL);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, target_start(&t));

	/*
	 * The bound: one kernel thread for the target, however many handles.
	 * Counted every CHECK_EVERY handles too, so that a module with a
	 * thread per handle fails in seconds, not after 10 000 kthreads.
	 */
	start = now();
	threads = 0;
	for (n = 0; n < HANDLES && threads <= 1; n++) {
		if (now() - start > ATTACH_SECONDS)
			break;
		dev[n] = rvm_open();
		ASSERT_LE(0, dev[n]) TH_LOG("open of handle %d: %s", n, strerror(errno));
		ASSERT_EQ(0, rvm_attach(dev[n], t.pid))
			TH_LOG("attach of handle %d: %s", n, strerror(errno));
		if ((n + 1) % CHECK_EVERY == 0)
			threads = count_comm_prefix("remotevm/", NULL) - before;
	}
	TH_LOG("%d handles attached in %.1f s", n, now() - start);
	threads = count_comm_prefix("remotevm/", NULL) - before;
	EXPECT_GE(1, threads)
		TH_LOG("%d handles on one target: %d remotevm/ kernel threads", n, threads);
	if (threads <= 1) {
		EXPECT_EQ(HANDLES, n)
			TH_LOG("attaching %d handles took over %d s", HANDLES, ATTACH_SECONDS);
	}

	/* Every handle still works through the shared worker. */
	for (i = 0; i < n; i++) {
		if (rvm_query(dev[i], t.code, &region) ||
		    region.state != REMOTEVM_MEM_COMMIT)
			failed++;
	}
	EXPECT_EQ(0, failed) TH_LOG("%d of %d handles failed a QUERY", failed, n);
	for (i = 0; i < n; i += 997) {
		EXPECT_EQ(0, rvm_alloc(dev[i], 0, PAGE, RESERVE | COMMIT, RW, &addr))
			TH_LOG("ALLOC on handle %d", i);
		EXPECT_EQ(0, rvm_free(dev[i], addr, 0, RELEASE))
			TH_LOG("RELEASE on handle %d", i);
	}

	start = now();
	for (i = 0; i < n; i++)
		close(dev[i]);
	TH_LOG("%d handles closed in %.1f s", n, now() - start);
	/* With the last handle, the worker goes too. */
	start = now();
	while ((threads = count_comm_prefix("remotevm/", NULL) - before) > 0 &&
	       now() - start < 10)
		usleep(100000);
	EXPECT_EQ(0, threads)
		TH_LOG("%d remotevm/ threads 10 s after every handle closed", threads);
	target_stop(&t);
}

/* ------------------------------------------------------------------ */
/* Finding 4: a hostile target cannot wedge a tool for good           */
/* ------------------------------------------------------------------ */

/* What the test's children report, in memory they all share. */
struct wedge {
	volatile long iterations;	/* tool: ALLOC + RELEASE of R done */
	volatile long busy;		/* tool: RELEASEs refused (EBUSY) */
	volatile long registered;	/* target: UFFDIO_REGISTERs that took */
	volatile int target_ready;	/* 1, or -errno of the uffd set-up */
	volatile int tool_ready;	/* 1 once attached */
	volatile int tool_error;	/* errno that stopped the tool */
	volatile int second_done;	/* 1 when the second handle's ops ended */
	volatile int second_error;	/* 0, or their -errno */
};

/*
 * The hostile target: an unread userfaultfd, with unmap events, armed and
 * disarmed on R as fast as it can, so that R is sometimes registered after
 * the module checked it and before it unmaps it. Registering fails while
 * R is not mapped; that is fine.
 */
static void __attribute__((noreturn)) toggle_uffd(struct wedge *w, uint64_t r)
{
	struct uffdio_api api = {
		.api = UFFD_API, .features = UFFD_FEATURE_EVENT_UNMAP,
	};
	struct uffdio_range range = { .start = r, .len = GRANULE };
	struct uffdio_register reg;
	int uffd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		w->target_ready = -errno;
		_exit(1);
	}
	w->target_ready = 1;
	for (;;) {
		reg = (struct uffdio_register){
			.range = range, .mode = UFFDIO_REGISTER_MODE_MISSING,
		};
		if (!ioctl(uffd, UFFDIO_REGISTER, &reg)) {
			w->registered++;
			ioctl(uffd, UFFDIO_UNREGISTER, &range);
		}
	}
}

/* The tool: ALLOC R, RELEASE R, again and again, counting each round. */
static void __attribute__((noreturn)) alloc_release_loop(struct wedge *w,
							 pid_t target, uint64_t r)
{
	uint64_t got;
	int dev, ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	dev = rvm_open();
	if (dev < 0 || rvm_attach(dev, target)) {
		w->tool_error = errno;
		_exit(1);
	}
	w->tool_ready = 1;
	for (;;) {
		ret = rvm_alloc(dev, r, GRANULE, RESERVE | COMMIT, RW, &got);
		if (ret || got != r) {
			w->tool_error = ret ? -ret : EDOM;
			_exit(1);
		}
		/* Refused while R is registered: try again. */
		while ((ret = rvm_free(dev, r, 0, RELEASE)) == -EBUSY)
			w->busy++;
		if (ret) {
			w->tool_error = -ret;
			_exit(1);
		}
		w->iterations++;
	}
}

/* A second handle on the target: ALLOC + RELEASE where the module likes. */
static void __attribute__((noreturn)) second_handle(struct wedge *w, pid_t target)
{
	uint64_t addr;
	int dev, ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	dev = rvm_open();
	if (dev < 0 || rvm_attach(dev, target))
		ret = -errno;
	else if (!(ret = rvm_alloc(dev, 0, PAGE, RESERVE | COMMIT, RW, &addr)))
		ret = rvm_free(dev, addr, 0, RELEASE);
	w->second_error = ret;
	w->second_done = 1;
	_exit(0);
}

/* How long the race may take before the test gives up, failing. */
#define RACE_SECONDS	40
/* No progress at all for this long: the tool is stuck in one ioctl. */
#define STALL_SECONDS	2

TEST_F_TIMEOUT(nothing, hostile_userfaultfd_target_cannot_wedge_a_killed_tool, 90)
{
	char wait_tool[64], wait_worker[64];
	pid_t target, tool, second, worker;
	long seen_it = -1, seen_busy = -1;
	double start, progress;
	int wedged = 0, tool_reaped, second_reaped;
	struct wedge *w;
	uint64_t r;
	char state;
	int cpu;
	void *p;

	w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, w);
	memset(w, 0, sizeof(*w));

	/*
	 * R: a free, 64 KiB aligned range, free in the target too, since it
	 * is forked from here after R is found and maps nothing itself.
	 */
	p = mmap(NULL, 4 * GRANULE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	r = ((uintptr_t)p + GRANULE - 1) & ~(uint64_t)(GRANULE - 1);
	ASSERT_EQ(0, munmap(p, 4 * GRANULE));

	target = fork();
	ASSERT_LE(0, target);
	if (!target) {
		/* Target and tool on CPUs of their own: a real race. */
		if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
			pin_to_cpu(0, 1);
		toggle_uffd(w, r);
	}
	while (!w->target_ready)
		usleep(1000);
	if (w->target_ready < 0) {
		kill(target, SIGKILL);
		waitpid(target, NULL, 0);
		SKIP(return, "userfaultfd unavailable: %s", strerror(-w->target_ready));
	}

	tool = fork();
	ASSERT_LE(0, tool);
	if (!tool) {
		pin_to_cpu(0, 0);
		alloc_release_loop(w, target, r);
	}

	/* Wait for the tool to stop making progress inside an ioctl. */
	start = progress = now();
	while (now() - start < RACE_SECONDS) {
		if (w->iterations != seen_it || w->busy != seen_busy) {
			seen_it = w->iterations;
			seen_busy = w->busy;
			progress = now();
		} else if (w->tool_ready && now() - progress >= STALL_SECONDS) {
			wedged = 1;
			break;
		}
		if (w->tool_error || waitpid(tool, NULL, WNOHANG) == tool)
			break;
		usleep(50000);
	}
	EXPECT_EQ(0, w->tool_error)
		TH_LOG("the tool stopped: %s", strerror(w->tool_error));
	EXPECT_TRUE(wedged)
		TH_LOG("race not hit: the tool never stalled in %d s (%ld rounds, %ld EBUSY, %ld registrations)",
		       RACE_SECONDS, w->iterations, w->busy, w->registered);
	if (!wedged || w->tool_error) {
		kill(tool, SIGKILL);
		kill(target, SIGKILL);
		waitpid(target, NULL, 0);
		waitpid(tool, NULL, 0);
		return;
	}
	if (task_sched(tool, &state, &cpu))
		state = '?';
	worker = worker_of(target);
	TH_LOG("the tool stalled after %.1f s: %ld rounds, %ld EBUSY, %ld registrations, state %c in %s; its worker %d in %s",
	       progress - start, w->iterations, w->busy, w->registered, state,
	       task_wchan(tool, wait_tool, sizeof(wait_tool)), worker,
	       task_wchan(worker, wait_worker, sizeof(wait_worker)));

	/* A tool that is killed dies, whatever the target does. */
	kill(tool, SIGKILL);
	tool_reaped = reaped_within(tool, 1);
	EXPECT_TRUE(tool_reaped) TH_LOG("the killed tool was not reaped within 1 s");

	/* And the target's worker serves other handles again. */
	second = fork();
	ASSERT_LE(0, second);
	if (!second)
		second_handle(w, target);
	second_reaped = reaped_within(second, 5);
	EXPECT_TRUE(second_reaped && w->second_done)
		TH_LOG("a second handle on the target got nothing done in 5 s");
	if (w->second_done) {
		EXPECT_EQ(0, w->second_error)
			TH_LOG("the second handle's ALLOC + RELEASE: %s",
			       strerror(-w->second_error));
	}

	/*
	 * Killing the target closes its userfaultfd, which ends any wait
	 * for its monitor: whatever was wedged unwinds, and the module can
	 * be unloaded after the test.
	 */
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	if (!tool_reaped) {
		EXPECT_TRUE(reaped_within(tool, 10))
			TH_LOG("the tool stayed wedged after its target died");
	}
	if (!second_reaped) {
		kill(second, SIGKILL);
		EXPECT_TRUE(reaped_within(second, 10))
			TH_LOG("the second handle stayed wedged after its target died");
	}
}

/* ------------------------------------------------------------------ */
/* Finding 10: a polling worker keeps to its caller's CPUs            */
/* ------------------------------------------------------------------ */

TEST(polling_worker_runs_only_on_the_callers_cpus)
{
	cpu_set_t allowed;
	uint64_t addr;
	struct target t;
	int dev, cpu, i;
	pid_t worker;
	char state;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs a CPU the caller may not use");
	ASSERT_EQ(0, target_start(&t));
	/* The caller may use CPU 0 only, as in a cpuset or with isolcpus. */
	ASSERT_EQ(0, pin_to_cpu(0, 0));
	dev = rvm_open();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, rvm_attach_polling(dev, t.pid, REMOTEVM_POLL_US_MAX));
	worker = worker_of(t.pid);
	ASSERT_LT(0, worker);

	/*
	 * The target sleeps: a polling worker would rather run elsewhere.
	 * QUERY would not do: it is served in the caller.
	 */
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, rvm_alloc(dev, 0, PAGE, RESERVE | COMMIT, RW, &addr));
		ASSERT_EQ(0, rvm_free(dev, addr, 0, RELEASE));
	}
	ASSERT_EQ(0, task_sched(worker, &state, &cpu));
	EXPECT_EQ(0, cpu) TH_LOG("the worker last ran on CPU %d", cpu);
	ASSERT_EQ(0, sched_getaffinity(worker, sizeof(allowed), &allowed));
	EXPECT_EQ(1, CPU_COUNT(&allowed));
	EXPECT_TRUE(CPU_ISSET(0, &allowed))
		TH_LOG("the worker may not run on the caller's CPU 0");
	for (i = 1; i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &allowed))
			TH_LOG("the worker may run on CPU %d", i);
	}

	close(dev);
	target_stop(&t);
}

/*
 * A file mapped in up to 65 536 VMAs (every other page writable, so none
 * merge): each region's allocation bounds walk the whole mapping, so a
 * listing that found them anew for every region would do n walks of n
 * VMAs under one mmap lock hold (a soft lockup, and the target's own
 * mmap() blocked all along). Once per listing, it is a few seconds even
 * under emulation. A debug kernel checks the whole VMA tree at each
 * mprotect(): there the target makes as many as it can in 90 s.
 */
#define MANY_VMAS	65536
#define FEWEST_VMAS	8192

TEST_F_TIMEOUT(nothing, regions_of_a_file_in_65536_vmas_are_listed_in_linear_time, 180)
{
	struct remotevm_region *regions = calloc(REMOTEVM_REGIONS_MAX, sizeof(*regions));
	uint64_t made[2], base, vmas, listed = 0, calls = 0;
	int fds[2], dev = rvm_open(), map_count;
	struct remotevm_regions req;
	char saved[32] = "";
	double start, took;
	pid_t target;
	ssize_t n;

	ASSERT_NE(NULL, regions);
	ASSERT_LE(0, dev);
	map_count = open("/proc/sys/vm/max_map_count", O_RDWR);
	ASSERT_LE(0, map_count);
	n = read(map_count, saved, sizeof(saved) - 1);
	ASSERT_LT(0, n);
	ASSERT_LT(0, pwrite(map_count, "200000\n", 7, 0));
	ASSERT_EQ(0, pipe(fds));
	target = fork();
	ASSERT_LE(0, target);
	if (!target) {
		int memfd = memfd_create("many-vmas", 0);
		/* A debug kernel on a slow machine splits ~270 VMAs a second. */
		double budget = now() + 90;
		uint8_t *p;
		long i;

		if (memfd < 0 || ftruncate(memfd, MANY_VMAS * PAGE))
			_exit(1);
		p = mmap(NULL, MANY_VMAS * PAGE, PROT_READ, MAP_SHARED, memfd, 0);
		if (p == MAP_FAILED)
			_exit(2);
		for (i = 1; i < MANY_VMAS && now() < budget; i += 2)
			if (mprotect(p + i * PAGE, PAGE, PROT_READ | PROT_WRITE))
				_exit(3);
		/* Page i - 1 is read-only, as is the rest: they are one VMA. */
		made[0] = (uintptr_t)p;
		made[1] = i < MANY_VMAS ? i : MANY_VMAS;
		if (write(fds[1], made, sizeof(made)) != sizeof(made))
			_exit(4);
		pause();
		_exit(0);
	}
	close(fds[1]);
	start = now();
	ASSERT_EQ(sizeof(made), read(fds[0], made, sizeof(made)));
	base = made[0];
	vmas = made[1];
	TH_LOG("the target made %llu VMAs of one file in %.1f s",
	       (unsigned long long)vmas, now() - start);
	ASSERT_LE(FEWEST_VMAS, vmas);
	ASSERT_EQ(0, rvm_attach(dev, target));

	start = now();
	req = (struct remotevm_regions){
		.start = base,
		.end = base + MANY_VMAS * PAGE,
	};
	while (req.start < req.end) {
		req.regions = (uintptr_t)regions;
		req.count = REMOTEVM_REGIONS_MAX;
		req.region_size = sizeof(*regions);
		ASSERT_EQ(0, ioctl(dev, REMOTEVM_IOC_REGIONS, &req));
		ASSERT_LT(0, req.count);
		/* One mapping: every region has its base and type. */
		EXPECT_EQ(base, regions[0].allocation_base);
		EXPECT_EQ(REMOTEVM_MEM_MAPPED, regions[req.count - 1].type);
		listed += req.count;
		calls++;
		req.start = req.next;
	}
	took = now() - start;
	TH_LOG("%llu regions in %llu calls, %.1f s", (unsigned long long)listed,
	       (unsigned long long)calls, took);
	EXPECT_EQ(vmas, listed);
	EXPECT_GT(20, took);

	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	EXPECT_EQ(n, pwrite(map_count, saved, n, 0));
	close(map_count);
	close(dev);
	free(regions);
}

/* ------------------------------------------------------------------ */
/* Concurrency, and the polling worker                                */
/* ------------------------------------------------------------------ */

struct allocator {
	int dev;
	pid_t pid;
	uint64_t addrs[200];
	int failed;
};

static void *allocate_many(void *arg)
{
	struct allocator *a = arg;
	int i;

	for (i = 0; i < 200; i++)
		a->failed |= rvm_alloc(a->dev, 0, PAGE, COMMIT | RESERVE, RW,
				       &a->addrs[i]);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

TEST_F_TIMEOUT(nothing, concurrent_handles_on_two_targets_and_on_one, 120)
{
	struct target t[2];
	struct allocator a[3];
	pthread_t threads[3];
	uint64_t all[400];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, target_start(&t[i]));
	for (i = 0; i < 3; i++) {
		a[i] = (struct allocator){ .dev = rvm_open() };
		/* Handles 1 and 2 share target 1. */
		ASSERT_EQ(0, rvm_attach(a[i].dev, t[i ? 1 : 0].pid));
	}
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, allocate_many, &a[i]));
	for (i = 0; i < 3; i++) {
		pthread_join(threads[i], NULL);
		EXPECT_EQ(0, a[i].failed);
	}
	/* The two handles on one target never got overlapping pages. */
	memcpy(all, a[1].addrs, sizeof(a[1].addrs));
	memcpy(all + 200, a[2].addrs, sizeof(a[2].addrs));
	qsort(all, 400, sizeof(all[0]), cmp_u64);
	for (i = 1; i < 400; i++)
		EXPECT_LE(all[i - 1] + PAGE, all[i]);
	EXPECT_EQ(0, target_write(&t[1], a[2].addrs[199], PAGE, 5));
	EXPECT_EQ(5, target_read(&t[1], a[2].addrs[199], PAGE));
	for (i = 0; i < 3; i++)
		close(a[i].dev);
	for (i = 0; i < 2; i++)
		target_stop(&t[i]);
}

TEST(polling_worker_waits_busy_on_another_cpu_then_sleeps)
{
	const int windows = 20, gap_us = REMOTEVM_POLL_US_MAX * 6 / 5;
	int dev, cpu, worker_cpu, i;
	long long ticks, spin_ticks;
	struct target t;
	pid_t worker;
	char state;

	/* Not pinned: the worker polls only on CPUs its caller may use. */
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "polling needs a second CPU");
	ASSERT_EQ(0, target_start(&t));
	dev = rvm_open();
	ASSERT_EQ(0, rvm_attach_polling(dev, t.pid, REMOTEVM_POLL_US_MAX));
	worker = worker_of(t.pid);
	ASSERT_LT(0, worker);
	/* The first request is slow under emulation: every path is new. */
	ASSERT_EQ(0, rvm_alloc(dev, 0, PAGE, RESERVE, RW, NULL));
	usleep(gap_us);

	/*
	 * After each request the worker spins for poll_us, unless something
	 * else wants its CPU: over requests a little more than poll_us apart
	 * it runs most of the time. A request alone takes far less.
	 */
	ticks = task_ticks(worker);
	ASSERT_LE(0, ticks);
	for (i = 0; i < windows; i++) {
		ASSERT_EQ(0, rvm_alloc(dev, 0, PAGE, RESERVE, RW, NULL));
		cpu = sched_getcpu();
		usleep(gap_us);
	}
	ticks = task_ticks(worker) - ticks;
	spin_ticks = windows * REMOTEVM_POLL_US_MAX * sysconf(_SC_CLK_TCK) / 1000000;
	EXPECT_LE(spin_ticks / 2, ticks);
	/* On another CPU than the caller's, and asleep past the window. */
	usleep(5 * REMOTEVM_POLL_US_MAX);
	ASSERT_EQ(0, task_sched(worker, &state, &worker_cpu));
	EXPECT_NE(cpu, worker_cpu);
	EXPECT_EQ('S', state);

	close(dev);
	target_stop(&t);
}

TEST(polling_worker_leaves_a_running_target_its_cpu)
{
	pid_t spinner, worker;
	int dev, worker_cpu;
	char state;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs a second CPU for the target");
	ASSERT_EQ(0, pin_to_cpu(0, 0));
	spinner = fork();
	ASSERT_LE(0, spinner);
	if (!spinner) {
		pin_to_cpu(0, 1);
		for (;;)
			;
	}
	dev = rvm_open();
	ASSERT_EQ(0, rvm_attach_polling(dev, spinner, REMOTEVM_POLL_US_MAX));
	worker = worker_of(spinner);
	ASSERT_LT(0, worker);

	/* The worker stays on the caller's CPU, never on the target's. */
	ASSERT_EQ(0, rvm_alloc(dev, 0, PAGE, RESERVE, RW, NULL));
	ASSERT_EQ(0, task_sched(worker, &state, &worker_cpu));
	EXPECT_EQ(0, worker_cpu);

	close(dev);
	kill(spinner, SIGKILL);
	waitpid(spinner, NULL, 0);
}

TEST_HARNESS_MAIN
