// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests for the December 2026 security review of remotevm
 * (shared/reviews/2026-12-security.md): each test proves one rule the
 * module at df15263 broke, and names the review's finding. Attach names a
 * process, not a thread or a kernel thread (2, 9); no write reaches an
 * image after exec (1); a failed remap leaves the range as it was (3);
 * nothing below 64 KiB (5); results are never lost (15, 16); MEM_RESET
 * respects userfaultfd (14); reservations stay reserved under strict
 * overcommit (11). Needs root and remotevm.ko loaded.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/remotevm.h>

#include "kselftest_harness.h"
#include "proc.h"
#include "rvm.h"
#include "target.h"

#define NOACCESS	REMOTEVM_PAGE_NOACCESS
#define GRANULE		REMOTEVM_ALLOCATION_GRANULARITY

/* A target, a handle attached to it, and whatever else a test started. */
FIXTURE(target) {
	struct target t;
	int dev;
	pid_t sibling;
};

FIXTURE_SETUP(target)
{
	ASSERT_EQ(0, target_start(&self->t));
	self->dev = rvm_open();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(target)
{
	/* A CLONE_VM sibling is not in the target's thread group: kill it too. */
	if (self->sibling > 0)
		kill(self->sibling, SIGKILL);
	close(self->dev);
	target_stop(&self->t);
}

/* ------------------------------------------------------------------ */
/* Attach names a process (findings 2 and 9)                          */
/* ------------------------------------------------------------------ */

TEST_F(target, attach_by_a_non_leader_tid_is_einval)
{
	char reply[64];
	int tid, mem;

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "T"));
	ASSERT_EQ(1, sscanf(reply, "%d", &tid));
	ASSERT_NE(self->t.pid, tid);
	/* The process's own mem file: only the pid is wrong. */
	mem = proc_mem_open(self->t.pid, O_RDWR);
	ASSERT_LE(0, mem);
	EXPECT_EQ(-1, rvm_attach_fd(self->dev, tid, mem));
	EXPECT_EQ(EINVAL, errno);
	/* The failure attached nothing: the process itself still can be. */
	EXPECT_EQ(0, rvm_attach_fd(self->dev, self->t.pid, mem));
	close(mem);
}

struct querier {
	int dev;
	uint64_t addr;
	int stop;
	long done;
	int error;
};

/* Keeps a polling worker inside the target's mm nearly all the time. */
static void *query_forever(void *arg)
{
	struct querier *q = arg;
	struct remotevm_region region;
	int ret;

	while (!__atomic_load_n(&q->stop, __ATOMIC_RELAXED)) {
		ret = rvm_query(q->dev, q->addr, &region);
		if (ret) {
			q->error = ret;
			break;
		}
		__atomic_add_fetch(&q->done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * A worker kthread that adopted the target's mm has task->mm == that mm
 * and init's credentials: naming it must never attach, whether or not it
 * is inside the mm at that moment.
 */
TEST_F_TIMEOUT(target, attach_by_a_kernel_thread_sharing_the_mm_is_einval, 60)
{
	struct querier q = { .dev = self->dev, .addr = self->t.code };
	int tries, attached = 0, wrong_errno = 0, last_errno = 0, mem, dev2;
	pthread_t thread;
	pid_t worker;
	double deadline;

	ASSERT_EQ(0, rvm_attach_polling(self->dev, self->t.pid, REMOTEVM_POLL_US_MAX));
	worker = worker_of(self->t.pid);
	ASSERT_LT(0, worker);
	mem = proc_mem_open(self->t.pid, O_RDWR);
	ASSERT_LE(0, mem);
	ASSERT_EQ(0, pthread_create(&thread, NULL, query_forever, &q));
	while (!__atomic_load_n(&q.done, __ATOMIC_RELAXED) && !q.error)
		usleep(1000);

	deadline = now() + 20;
	for (tries = 0; tries < 300 && now() < deadline; tries++) {
		dev2 = rvm_open();
		ASSERT_LE(0, dev2);
		/* Spread out, so that the tries meet the worker in and out of the mm. */
		usleep(2000);
		if (!rvm_attach_fd(dev2, worker, mem)) {
			attached++;
		} else if (errno != EINVAL) {
			wrong_errno++;
			last_errno = errno;
		}
		close(dev2);
	}
	__atomic_store_n(&q.stop, 1, __ATOMIC_RELAXED);
	pthread_join(thread, NULL);
	close(mem);
	TH_LOG("%d tries: %d attached to the worker, %d other errors (last %d), %ld queries",
	       tries, attached, wrong_errno, last_errno, q.done);
	EXPECT_EQ(0, q.error);
	EXPECT_EQ(0, attached);
	EXPECT_EQ(0, wrong_errno);
}

/* A CLONE_VM child is another process: A's mem file proves nothing for B. */
TEST_F(target, attach_by_a_clone_vm_sibling_is_eacces)
{
	char reply[64];
	int mem;

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "C"));
	ASSERT_EQ(1, sscanf(reply, "%d", &self->sibling));
	mem = proc_mem_open(self->t.pid, O_RDWR);
	ASSERT_LE(0, mem);
	EXPECT_EQ(-1, rvm_attach_fd(self->dev, self->sibling, mem));
	EXPECT_EQ(EACCES, errno);
	close(mem);
}

/*
 * The handle follows the thread group: the leader's pthread_exit() leaves
 * a live process that handles made before still reach, and that a new
 * attach by its pid reaches too (with a mem file of a live thread: the
 * zombie leader's /proc/PID/mem has no mm).
 */
TEST_F(target, leader_pthread_exit_leaves_the_process_attachable)
{
	char reply[64], path[96], state = '?';
	uint64_t addr;
	int tid, mem, fresh, cpu, i;

	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "H"));
	ASSERT_EQ(1, sscanf(reply, "%d", &tid));
	ASSERT_NE(self->t.pid, tid);
	/* pthread_join() returns a little before the leader drops its mm. */
	for (i = 0; i < 5000 && !task_sched(self->t.pid, &state, &cpu) && state != 'Z'; i++)
		usleep(1000);
	ASSERT_EQ('Z', state);

	EXPECT_EQ(0, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, &addr));
	if (addr) {
		EXPECT_EQ(0, target_write(&self->t, addr, PAGE, 0x3c));
		EXPECT_EQ(0x3c, target_read(&self->t, addr, PAGE));
	}

	snprintf(path, sizeof(path), "/proc/%d/task/%d/mem", self->t.pid, tid);
	mem = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mem);
	fresh = rvm_open();
	ASSERT_LE(0, fresh);
	EXPECT_EQ(0, rvm_attach_fd(fresh, self->t.pid, mem));
	close(mem);
	addr = 0;
	EXPECT_EQ(0, rvm_alloc(fresh, 0, PAGE, COMMIT | RESERVE, RW, &addr));
	if (addr) {
		EXPECT_EQ(0, target_write(&self->t, addr, PAGE, 0x3d));
		EXPECT_EQ(0x3d, target_read(&self->t, addr, PAGE));
	}
	close(fresh);
}

/* ------------------------------------------------------------------ */
/* No write reaches the image after an exec (finding 1)               */
/* ------------------------------------------------------------------ */

/*
 * The 32-bit target is static and not PIE: its image is at fixed
 * addresses, where the 64-bit target has room for an allocation.
 */
#define RACE_BASE	0x08000000ULL
#define RACE_SIZE	(64ULL << 20)
#define IMAGE_BASE	0x08048000ULL
#define RACE_LEN	(RACE_BASE + RACE_SIZE - IMAGE_BASE)

struct elf_image {
	unsigned char *file;
	size_t size;
	const Elf32_Phdr *phdr;
	int phnum;
};

static int elf_image_load(struct elf_image *img, const char *path)
{
	const Elf32_Ehdr *eh;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st))
		return -1;
	img->size = st.st_size;
	img->file = mmap(NULL, img->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img->file == MAP_FAILED)
		return -1;
	eh = (const Elf32_Ehdr *)img->file;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS32 ||
	    eh->e_type != ET_EXEC)
		return -1;
	img->phdr = (const Elf32_Phdr *)(img->file + eh->e_phoff);
	img->phnum = eh->e_phnum;
	return 0;
}

/*
 * Whether process @pid has the read-only segments of @img (its text
 * among them) as in the file: 1 yes, 0 they differ, -1 unreadable.
 */
static int elf_image_intact(const struct elf_image *img, pid_t pid)
{
	static unsigned char buf[2 << 20];
	int i;

	for (i = 0; i < img->phnum; i++) {
		const Elf32_Phdr *ph = &img->phdr[i];

		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || !ph->p_filesz)
			continue;
		if (ph->p_filesz > sizeof(buf) ||
		    proc_mem_read(pid, ph->p_vaddr, buf, ph->p_filesz) != ph->p_filesz)
			return -1;
		if (memcmp(buf, img->file + ph->p_offset, ph->p_filesz))
			return 0;
	}
	return 1;
}

struct protect_call {
	int dev;
	double at, start, end;
	int ret;
};

static void sleep_until(double when)
{
	struct timespec ts = { .tv_sec = (time_t)when };

	ts.tv_nsec = (long)((when - ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *protect_at(void *arg)
{
	struct protect_call *p = arg;

	sleep_until(p->at);
	p->start = now();
	p->ret = rvm_protect(p->dev, IMAGE_BASE, RACE_LEN, REMOTEVM_PAGE_EXECUTE_READ,
			     REMOTEVM_PROTECT_COPY, NULL);
	p->end = now();
	return NULL;
}

/* The target's next line within @ms, or -1. */
static int read_line_within(struct target *t, char *line, int len, int ms)
{
	struct pollfd pfd = { .fd = fileno(t->reply), .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1 || !fgets(line, len, t->reply))
		return -1;
	return 0;
}

/*
 * PROTECT with COPY reads the range, remaps it and writes it back. If the
 * target execs in between, the write-back must not land in the new image
 * (old code: access_process_vm() on the task, i.e. the new mm, FOLL_FORCE
 * writes into its text). The exec is sent at a delay swept across the
 * PROTECT's duration, measured first, with a fresh target each attempt.
 */
TEST_F_TIMEOUT(target, protect_copy_never_writes_into_the_image_after_exec, 90)
{
	double budget_end = now() + 45, duration, delay;
	int attempts = 0, in_flight = 0, esrch = 0, completed = 0, other = 0;
	int corrupted = 0, i;
	struct elf_image img;
	char line[128], path32[PATH_MAX];

	/* A copy: helper_path() returns the same buffer each time. */
	snprintf(path32, sizeof(path32), "%s", helper_path("remotevm_target32"));
	if (access(path32, X_OK))
		SKIP(return, "no 32-bit target (gcc -m32 / IA32 emulation missing)");
	ASSERT_EQ(0, elf_image_load(&img, path32));
	/* The fixture's target is only used to measure how long a PROTECT takes. */
	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, rvm_alloc(self->dev, RACE_BASE, RACE_SIZE, COMMIT | RESERVE, RW, NULL));
	ASSERT_EQ(0, target_write(&self->t, RACE_BASE, RACE_SIZE, 0xcc));
	duration = now();
	ASSERT_EQ(0, rvm_protect(self->dev, IMAGE_BASE, RACE_LEN, REMOTEVM_PAGE_EXECUTE_READ,
				 REMOTEVM_PROTECT_COPY, NULL));
	duration = now() - duration;

	for (i = 0; i < 100 && now() < budget_end && !corrupted; i++) {
		struct protect_call call = { 0 };
		struct target t;
		pthread_t thread;
		double base, frac, exec_sent;
		int dev, status, intact = -1, ready;

		ASSERT_EQ(0, target_start(&t));
		dev = rvm_open();
		ASSERT_LE(0, dev);
		ASSERT_EQ(0, rvm_attach(dev, t.pid));
		ASSERT_EQ(0, rvm_alloc(dev, RACE_BASE, RACE_SIZE, COMMIT | RESERVE, RW, NULL));
		ASSERT_EQ(0, target_write(&t, RACE_BASE, RACE_SIZE, 0xcc));

		/* Golden-ratio sweep of [-0.2, 1.0] x duration: exec sent first, too. */
		frac = (i * 0.6180339887) - (long)(i * 0.6180339887);
		delay = (frac * 1.2 - 0.2) * duration;
		base = now() + 0.005;
		call.dev = dev;
		call.at = base + (delay < 0 ? -delay : 0);
		ASSERT_EQ(0, pthread_create(&thread, NULL, protect_at, &call));
		sleep_until(base + (delay > 0 ? delay : 0));
		fprintf(t.cmd, "E 0 %s\n", path32);
		exec_sent = now();
		pthread_join(thread, NULL);
		attempts++;

		ready = !read_line_within(&t, line, sizeof(line), 5000) &&
			!strncmp(line, "ready", 5);
		if (ready)
			intact = elf_image_intact(&img, t.pid);
		if (call.start <= exec_sent && exec_sent <= call.end)
			in_flight++;
		if (!call.ret)
			completed++;
		else if (call.ret == -ESRCH)
			esrch++;
		else
			other++;

		kill(t.pid, SIGKILL);
		waitpid(t.pid, &status, 0);
		fclose(t.cmd);
		fclose(t.reply);
		close(dev);
		if (!ready || intact != 1 ||
		    (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)) {
			corrupted++;
			TH_LOG("attempt %d (exec %+.1f ms into a %.1f ms PROTECT, ret %d): "
			       "new image %s, %s",
			       attempts, (exec_sent - call.start) * 1e3,
			       (call.end - call.start) * 1e3, call.ret,
			       ready ? "started" : "never said ready",
			       intact == 0 ? "its text differs from the file" :
			       WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL ?
			       strsignal(WTERMSIG(status)) : "its text unreadable");
		}
		if (call.ret && call.ret != -ESRCH)
			TH_LOG("attempt %d: PROTECT failed with %d, not 0 or -ESRCH",
			       attempts, call.ret);
	}
	TH_LOG("%d attempts (PROTECT %.1f ms): exec sent during PROTECT %d, "
	       "PROTECT ok %d, ESRCH %d, other %d, image modified %d",
	       attempts, duration * 1e3, in_flight, completed, esrch, other, corrupted);
	EXPECT_EQ(0, corrupted);
	EXPECT_EQ(0, other);
	/* Not vacuous: many execs really overlapped a PROTECT in flight. */
	EXPECT_LE(5, in_flight);
	munmap(img.file, img.size);
}

/* ------------------------------------------------------------------ */
/* A failed remap leaves the range as it was (finding 3)              */
/* ------------------------------------------------------------------ */

/* The guest has 2 GiB: committing 4 GiB fails the overcommit heuristic. */
struct populating_commit {
	int dev;
	uint64_t size;
	int ret;
	double done_at;
	int done;
};

static void *commit_everything(void *arg)
{
	struct populating_commit *c = arg;

	c->ret = rvm_alloc(c->dev, 0, c->size, COMMIT | RESERVE, RW, NULL);
	c->done_at = now();
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A commit into an mlockall(MCL_FUTURE) target is populated, page by page,
 * by the worker, under the target's mmap lock, until done or until the
 * worker has a fatal signal. A killed target whose thread waits for that
 * lock cannot even finish exiting: the worker must stop once the target is
 * killed, or it fills memory that no OOM kill can free (remotevm-fuzz
 * --seed 1 panicked a 6.12 guest so: "Out of memory and no killable
 * processes").
 */
TEST_F_TIMEOUT(target, commit_into_a_locked_target_stops_when_it_is_killed, 120)
{
	struct populating_commit c = {
		.dev = self->dev,
	};
	double deadline, killed_at;
	long start = proc_file_field("/proc/meminfo", "MemAvailable"), available, lowest;
	pthread_t thread;

	/* Within what the module lets be populated, far more than 64 MiB. */
	c.size = (uint64_t)start * 1024 / 10 * 8 & ~(PAGE - 1);
	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "L"));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "B"));
	ASSERT_EQ(0, pthread_create(&thread, NULL, commit_everything, &c));
	/* Killed once the populate is under way: 64 MiB in. */
	deadline = now() + 30;
	while (proc_file_field("/proc/meminfo", "MemAvailable") > start - 65536 &&
	       now() < deadline &&
	       !__atomic_load_n(&c.done, __ATOMIC_ACQUIRE))
		usleep(1000);
	ASSERT_EQ(0, __atomic_load_n(&c.done, __ATOMIC_ACQUIRE)) {
		TH_LOG("the commit of %llu MiB ended first (%d)",
		       (unsigned long long)c.size >> 20, c.ret);
	}
	killed_at = now();
	available = proc_file_field("/proc/meminfo", "MemAvailable");
	lowest = available;
	kill(self->t.pid, SIGKILL);
	/* Given up at 256 MiB more: the guest is to survive the old module. */
	while (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE) && now() < killed_at + 5 &&
	       available - lowest < 256 * 1024) {
		long kb = proc_file_field("/proc/meminfo", "MemAvailable");

		if (kb < lowest)
			lowest = kb;
		usleep(1000);
	}
	/* What it populated after the kill: next to nothing. */
	EXPECT_GT(256 * 1024, available - lowest) {
		TH_LOG("%ld MiB more populated after the kill", (available - lowest) >> 10);
	}
	EXPECT_NE(0, __atomic_load_n(&c.done, __ATOMIC_ACQUIRE)) {
		TH_LOG("the worker still populates for a killed target %.1f s on",
		       now() - killed_at);
		/* Our exit aborts the request; do not wait for it here. */
		_exit(1);
	}
	pthread_join(thread, NULL);
	TH_LOG("the commit returned %d, %.2f s after the kill", c.ret,
	       c.done_at - killed_at);
}

/* More than the worker could populate: refused before anything is mapped. */
TEST_F(target, populated_commit_beyond_available_memory_is_enomem)
{
	char *before;

	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "L"));
	before = maps_snapshot(self->t.pid);
	ASSERT_NE(NULL, before);
	EXPECT_EQ(-ENOMEM, rvm_alloc(self->dev, 0, 1ULL << 44, COMMIT | RESERVE,
				     REMOTEVM_PAGE_READONLY, NULL));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
}

TEST_F(target, failed_commit_keeps_the_reservation)
{
	const uint64_t size = 0xffff0000ULL;
	struct remotevm_region region;
	uint64_t res, start = 0, end = 0;
	char perms[5] = "";

	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, size, RESERVE, NOACCESS, &res));
	EXPECT_EQ(-ENOMEM, rvm_alloc(self->dev, res, size, COMMIT, RW, NULL));
	EXPECT_EQ(0, maps_find(self->t.pid, res, perms, &start, &end));
	EXPECT_STREQ("---p", perms);
	EXPECT_EQ(res, start);
	EXPECT_EQ(res + size, end);
	ASSERT_EQ(0, rvm_query(self->dev, res, &region));
	EXPECT_EQ(RESERVE, region.state);
	EXPECT_EQ(res, region.allocation_base);
	EXPECT_EQ(0, rvm_free(self->dev, res, 0, RELEASE));
	EXPECT_NE(0, maps_find(self->t.pid, res, perms, NULL, NULL));
}

/* Strict overcommit, restored whatever the test does. */
FIXTURE(overcommit) {
	struct target t;
	int dev;
	char memory[32], ratio[32];
};

/* Without stdio: under overcommit_ratio=0 the caller must not need new memory. */
static int sysctl_get(const char *name, char *buf, int len)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
	return read_line(path, buf, len);
}

static int sysctl_set(const char *name, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
	return write_line(path, value);
}

FIXTURE_SETUP(overcommit)
{
	ASSERT_EQ(0, sysctl_get("overcommit_memory", self->memory, sizeof(self->memory)));
	ASSERT_EQ(0, sysctl_get("overcommit_ratio", self->ratio, sizeof(self->ratio)));
	ASSERT_EQ(0, target_start(&self->t));
	self->dev = rvm_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
}

FIXTURE_TEARDOWN(overcommit)
{
	/* The ratio first: mode 2 with ratio 0 would starve the whole guest. */
	EXPECT_EQ(0, sysctl_set("overcommit_ratio", self->ratio));
	EXPECT_EQ(0, sysctl_set("overcommit_memory", self->memory));
	close(self->dev);
	target_stop(&self->t);
}

/*
 * Turning read-only data writable again is accounted, so under strict
 * overcommit with no room the remap fails: the data and the old
 * protection must survive that (old code: the range was already unmapped).
 */
TEST_F(overcommit, failed_protect_copy_keeps_the_data)
{
	const uint64_t size = 1 << 20;
	uint64_t addr, start = 0, end = 0;
	char perms[5] = "";
	int r = 0, w = 0, ret;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, size, COMMIT | RESERVE, RW, &addr));
	ASSERT_EQ(0, target_write(&self->t, addr, size, 0x5a));
	ASSERT_EQ(0, rvm_protect(self->dev, addr, size, REMOTEVM_PAGE_READONLY,
				 REMOTEVM_PROTECT_COPY, NULL));

	ASSERT_EQ(0, sysctl_set("overcommit_ratio", "0"));
	ASSERT_EQ(0, sysctl_set("overcommit_memory", "2"));
	ret = rvm_protect(self->dev, addr, size, RW, REMOTEVM_PROTECT_COPY, NULL);
	ASSERT_EQ(0, sysctl_set("overcommit_memory", self->memory));
	ASSERT_EQ(0, sysctl_set("overcommit_ratio", self->ratio));
	EXPECT_EQ(-ENOMEM, ret);

	ASSERT_EQ(0, maps_find(self->t.pid, addr, perms, &start, &end));
	EXPECT_STREQ("r--p", perms);
	EXPECT_LE(start, addr);
	EXPECT_GE(end, addr + size);
	/* Probed first: reading a hole would kill the target. */
	ASSERT_EQ(0, target_probe(&self->t, addr + size - 1, &r, &w));
	ASSERT_EQ(1, r);
	EXPECT_EQ(0, w);
	EXPECT_EQ(0x5a, target_read(&self->t, addr, size));
}

/*
 * 6.1's mmap_region() has unmapped the range before the overcommit check
 * fails a MAP_FIXED (6.12's does when a VMA allocation fails after it
 * cleared the page tables, as in a tight memcg). A target that maps
 * something of its own into that hole before remotevm maps its
 * reservation back must keep it: the allocation is given up, and a
 * release leaves the target's mapping alone. Found by remotevm-fuzz on
 * 6.12 in a 4 MiB memcg: a later decommit turned a page of the target's
 * PROT_NONE. The target's thread maps the moment the hole appears.
 */
TEST_F_TIMEOUT(overcommit, target_mapping_in_the_hole_of_a_failed_commit_stays_its_own, 90)
{
	double deadline = now() + 40;
	int tries = 0, hits = 0, ret;
	char reply[32], perms[5];
	struct utsname uts;
	uint64_t res;

	while (now() < deadline && hits < 3) {
		ASSERT_EQ(0, rvm_alloc(self->dev, 0, 4 * PAGE, RESERVE, RW, &res));
		ASSERT_EQ(0, target_do(&self->t, NULL, 0, "G %llx %llx",
				       (unsigned long long)res, 4 * PAGE));
		ASSERT_EQ(0, sysctl_set("overcommit_ratio", "0"));
		ASSERT_EQ(0, sysctl_set("overcommit_memory", "2"));
		ret = rvm_alloc(self->dev, res, 4 * PAGE, COMMIT, RW, NULL);
		ASSERT_EQ(0, sysctl_set("overcommit_memory", self->memory));
		ASSERT_EQ(0, sysctl_set("overcommit_ratio", self->ratio));
		ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "g"));
		ASSERT_EQ(-ENOMEM, ret);
		tries++;
		if (!atoi(reply)) {	/* remotevm's refill came first */
			ASSERT_EQ(0, rvm_free(self->dev, res, 0, RELEASE));
			continue;
		}
		hits++;
		EXPECT_NE(0, rvm_free(self->dev, res, 0, RELEASE));
		ASSERT_EQ(0, maps_find(self->t.pid, res, perms, NULL, NULL))
			TH_LOG("remotevm unmapped the target's own mapping");
		EXPECT_STREQ("r--p", perms);
		ASSERT_EQ(0, target_do(&self->t, NULL, 0, "U %llx %llx",
				       (unsigned long long)res, 4 * PAGE));
	}
	TH_LOG("%d failed commits, the target mapped into %d holes", tries, hits);
	ASSERT_EQ(0, uname(&uts));
	/* 6.12 puts the reservation back when the overcommit check fails. */
	if (!hits && strncmp(uts.release, "6.1.", 4))
		SKIP(return, "%s leaves no hole when a commit fails its overcommit check",
		     uts.release);
	EXPECT_LT(0, hits) TH_LOG("the race window was never hit");
}

/*
 * Under overcommit_memory=2 the kernel ignores MAP_NORESERVE, so the VMA
 * flags no longer tell reserved from committed PAGE_NOACCESS (finding 11):
 * the module must still know.
 */
TEST_F(overcommit, reservation_stays_reserved_under_strict_overcommit)
{
	struct remotevm_region region;
	uint64_t res;
	int ret;

	ASSERT_EQ(0, sysctl_set("overcommit_ratio", "100"));
	ASSERT_EQ(0, sysctl_set("overcommit_memory", "2"));
	ret = rvm_alloc(self->dev, 0, 16 * PAGE, RESERVE, RW, &res);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, rvm_query(self->dev, res, &region));
	EXPECT_EQ(RESERVE, region.state);
	EXPECT_EQ(0, region.protect);
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_protect(self->dev, res, PAGE, RW, 0, NULL));
	/* A reset leaves reserved pages reserved, as on Windows. */
	EXPECT_EQ(0, rvm_alloc(self->dev, res, PAGE, REMOTEVM_MEM_RESET, RW, NULL));
	ASSERT_EQ(0, rvm_query(self->dev, res, &region));
	EXPECT_EQ(RESERVE, region.state);
	/* And it can still be committed, as a reservation can. */
	EXPECT_EQ(0, rvm_alloc(self->dev, res, PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(0, target_write(&self->t, res, PAGE, 7));
}

/* ------------------------------------------------------------------ */
/* No result is lost (findings 15 and 16)                             */
/* ------------------------------------------------------------------ */

/*
 * If the result cannot be written back, the caller cannot know the
 * address: the allocation must not stay behind in the target.
 */
TEST_F(target, alloc_whose_result_cannot_be_written_leaves_nothing)
{
	struct remotevm_alloc *alloc;
	char before[65536];

	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	alloc = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, alloc);
	*alloc = (struct remotevm_alloc){
		.size = PAGE,
		.allocation_type = COMMIT | RESERVE,
		.page_protection = RW,
		.allocated_address = POISON,
		.allocated_size = POISON,
	};
	ASSERT_EQ(0, mprotect(alloc, PAGE, PROT_READ));
	strcpy(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_ALLOC, alloc));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
	munmap(alloc, PAGE);
}

/* Results that cannot be written still leave completed telling what ran. */
TEST_F(target, batch_reports_completed_even_when_results_fault)
{
	struct remotevm_op *ops;
	struct remotevm_batch batch = { .count = 2, .op_size = sizeof(*ops),
					.completed = 0xdead };

	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ops = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ops);
	ops[0] = alloc_op(0, PAGE, COMMIT | RESERVE);
	ops[1] = alloc_op(0, PAGE, COMMIT | RESERVE);
	ASSERT_EQ(0, mprotect(ops, PAGE, PROT_READ));
	batch.ops = (uintptr_t)ops;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(2, batch.completed);
	munmap(ops, PAGE);
}

/*
 * Bytes of a batch element beyond the op's own argument struct are what a
 * newer caller would put there: E2BIG, as for every extensible struct.
 */
TEST_F(target, batch_element_tail_beyond_the_op_is_e2big)
{
	uint64_t hole = target_hole(&self->t, 1 << 20);
	struct remotevm_op ops[2];
	uint32_t completed;
	char perms[5];

	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_NE(0, hole);
	ops[0] = alloc_op(hole, PAGE, RESERVE);
	ops[1] = alloc_op(0, PAGE, COMMIT | RESERVE);
	ops[1].reserved[15] = 1;
	EXPECT_EQ(-E2BIG, rvm_batch(self->dev, ops, 2, &completed));
	/* Validated whole before anything ran. */
	EXPECT_NE(0, maps_find(self->t.pid, hole, perms, NULL, NULL));
}

/* ------------------------------------------------------------------ */
/* MEM_RESET respects userfaultfd (finding 14)                        */
/* ------------------------------------------------------------------ */

/*
 * Zapping pages a userfaultfd monitor tracks, without telling it, loses
 * data behind its back (madvise would send UFFD_EVENT_REMOVE): refused.
 */
TEST_F(target, reset_of_a_userfaultfd_range_is_ebusy_and_keeps_data)
{
	static unsigned char buf[4 * PAGE];
	char reply[64];
	uint64_t addr;
	unsigned int i, differ = 0;

	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 4 * PAGE, COMMIT | RESERVE, RW, &addr));
	ASSERT_EQ(0, target_write(&self->t, addr, 4 * PAGE, 0x77));
	if (target_do(&self->t, reply, sizeof(reply), "F %llx %llx",
		      (unsigned long long)addr, 4 * PAGE))
		SKIP(return, "userfaultfd unavailable: %s", reply);
	EXPECT_EQ(-EBUSY, rvm_alloc(self->dev, addr, 4 * PAGE, REMOTEVM_MEM_RESET, RW, NULL));
	/*
	 * Read from outside first: a zapped page would make the target fault
	 * to a monitor nobody runs, and hang; /proc/PID/mem just fails.
	 */
	ASSERT_EQ((long)sizeof(buf), proc_mem_read(self->t.pid, addr, buf, sizeof(buf)));
	for (i = 0; i < sizeof(buf); i++)
		differ += buf[i] != 0x77;
	ASSERT_EQ(0, differ);
	EXPECT_EQ(0x77, target_read(&self->t, addr, 4 * PAGE));
}

/* ------------------------------------------------------------------ */
/* What a remap keeps of the target's settings (finding 14)           */
/* ------------------------------------------------------------------ */

/*
 * PROTECT and DECOMMIT map pages afresh; memory the target mlock()ed stays
 * locked (MAP_LOCKED), as it would through mprotect(). Old code: unlocked.
 */
TEST_F(target, remaps_keep_the_targets_mlock)
{
	uint64_t addr;

	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 4 * PAGE, RESERVE | COMMIT, RW, &addr));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "Y %llx %llx",
			       (unsigned long long)addr, 4 * PAGE));
	ASSERT_EQ(1, smaps_vmflag(self->t.pid, addr, "lo"));
	/* mlock() populated zero pages: no data, so no copy is needed. */
	ASSERT_EQ(0, rvm_protect(self->dev, addr, 2 * PAGE,
				 REMOTEVM_PAGE_READONLY, 0, NULL));
	EXPECT_EQ(1, smaps_vmflag(self->t.pid, addr, "lo"));
	EXPECT_EQ(0, target_read(&self->t, addr, 2 * PAGE));
	ASSERT_EQ(0, rvm_free(self->dev, addr + 2 * PAGE, 2 * PAGE, DECOMMIT));
	EXPECT_EQ(1, smaps_vmflag(self->t.pid, addr + 2 * PAGE, "lo"));
}

/* ------------------------------------------------------------------ */
/* Check, then act (finding 7)                                        */
/* ------------------------------------------------------------------ */

/*
 * remotevm checks a range and then unmaps it, in two mmap lock holds: no
 * exported call checks and unmaps under one. A target that mremap()s a
 * page of its own over part of the allocation in between loses that page.
 * What must hold: remotevm sees it (the range became lost during the
 * release) and says so with ESTALE, instead of reporting a clean release.
 * The target does nothing else; a page of its own that is gone when the
 * release returns was unmapped by remotevm, as nothing else unmaps it.
 * The kernel log names the range, so that the target's owner can tell
 * which of its memory went: the allocation, the target's page within.
 */
struct clobber {
	volatile int stop;
	volatile int allocated;	/* the tool has made its allocation */
	volatile int released;	/* and asked remotevm to release it */
	volatile int destroyed;
};

static void spin(unsigned int loops)
{
	while (loops--)
		__asm__ volatile("" ::: "memory");
}

/*
 * Each time the tool has allocated, remaps a page of its own over part of
 * it after a delay that sweeps across the tool's release.
 */
static void __attribute__((noreturn)) remap_into(struct clobber *c,
						       uint64_t base)
{
	void *where = (void *)(uintptr_t)(base + PAGE);
	unsigned int round = 0;
	unsigned char present;
	uint8_t *page;

	while (!c->stop) {
		if (!c->allocated)
			continue;
		page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED)
			_exit(1);
		page[0] = 0x5a;
		spin(round++ % 64 * 2000);
		if (mremap(page, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
			   where) == MAP_FAILED)
			_exit(2);
		while (!c->released && !c->stop)
			;
		if (mincore(where, PAGE, &present) && errno == ENOMEM)
			c->destroyed++;
		/* What remotevm left (it leaves a range the target took back). */
		munmap((void *)(uintptr_t)base, GRANULE);
		c->released = 0;
		c->allocated = 0;
	}
	_exit(0);
}

TEST_F_TIMEOUT(target, release_racing_a_target_remap_reports_estale, 90)
{
	struct clobber *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int dev = self->dev, stale = 0, released = 0, logged = 0, named = 0;
	double deadline = now() + 40;
	int kmsg = kmsg_open();
	uint64_t base, start, end;
	const char *msg;
	char rec[1024];
	void *hole;
	pid_t target, pid;

	/* Its own target: the fixture's does not do this. */
	ASSERT_NE(MAP_FAILED, c);
	/* A free 64 KiB-aligned range, free in the child too: it is a copy. */
	hole = mmap(NULL, 4 * GRANULE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	base = ((uintptr_t)hole + GRANULE - 1) & ~(uint64_t)(GRANULE - 1);
	munmap(hole, 4 * GRANULE);
	target = fork();
	ASSERT_LE(0, target);
	if (!target)
		remap_into(c, base);
	ASSERT_EQ(0, rvm_attach(dev, target));

	while (now() < deadline && (!c->destroyed || released < 200)) {
		while (c->allocated && now() < deadline)
			;
		ASSERT_EQ(0, rvm_alloc(dev, base, GRANULE, RESERVE | COMMIT, RW,
				       NULL));
		c->allocated = 1;
		released++;
		if (rvm_free(dev, base, 0, RELEASE) == -ESTALE)
			stale++;
		c->released = 1;
	}
	c->stop = 1;
	waitpid(target, NULL, 0);
	TH_LOG("%d releases: %d pages of the target's destroyed, %d ESTALE",
	       released, c->destroyed, stale);
	/* Without a hit the test proves nothing: fail, do not pass. */
	ASSERT_LT(0, c->destroyed) TH_LOG("the race window was never hit");
	EXPECT_LE(c->destroyed, stale);

	ASSERT_LE(0, kmsg);
	while ((msg = kmsg_next(kmsg, rec, sizeof(rec)))) {
		if (!kmsg_clobber(msg, &pid, &start, &end) || pid != target)
			continue;
		logged++;
		EXPECT_TRUE(base <= start && end <= base + GRANULE)
			TH_LOG("logged %#llx-%#llx, the allocation is %#llx-%#llx",
			       (unsigned long long)start, (unsigned long long)end,
			       (unsigned long long)base,
			       (unsigned long long)(base + GRANULE));
		named += start <= base + PAGE && base + 2 * PAGE <= end;
	}
	close(kmsg);
	TH_LOG("%d clobbers logged, %d naming the target's page", logged, named);
	/* Rate-limited: at least the first is logged. */
	EXPECT_LT(0, named);
}

/* ------------------------------------------------------------------ */
/* Nothing below 64 KiB (finding 5)                                   */
/* ------------------------------------------------------------------ */


/*
 * The fuzz kernel's fault injection (make coverage runs every selftest
 * there): the worker's n-th fallible call fails, for n = 1, 2, ... until
 * an operation completes without reaching it. An operation that fails
 * must leave the target's maps as they were: remotevm-fuzz found a
 * decommit that failed after remapping.
 */
#define SWEEP_MAPS	512

struct fault_sweep {
	int dev;
	pid_t target;
	uint64_t base, fresh;
	char nth[64];
	struct mapping before[SWEEP_MAPS], after[SWEEP_MAPS];
};

/*
 * Runs @op with the worker's n-th fallible call failing, for each n until
 * @op succeeds without reaching it; @undo puts back what a success did.
 * Returns the number of failures injected, or -1 after a failed @op
 * changed the maps (reported with TH_LOG by the caller's asserts).
 */
static int fault_sweep(struct __test_metadata *_metadata, struct fault_sweep *fs,
		       int (*op)(struct fault_sweep *fs),
		       void (*undo)(struct fault_sweep *fs))
{
	char left[32];
	int n, ret, nr;

	for (n = 1; n < 1000; n++) {
		nr = maps_merged(fs->target, fs->before, SWEEP_MAPS);
		snprintf(left, sizeof(left), "%d", n);
		if (write_line(fs->nth, left))
			return -1;
		ret = op(fs);
		if (read_line(fs->nth, left, sizeof(left)))
			return -1;
		write_line(fs->nth, "0");
		if (ret) {
			int i = 0, after = maps_merged(fs->target, fs->after, SWEEP_MAPS);

			while (i < nr && i < after &&
			       !memcmp(&fs->before[i], &fs->after[i], sizeof(fs->after[i])))
				i++;
			EXPECT_EQ(nr, i) {
				TH_LOG("failed with %d (the worker's call %d failing), and changed "
				       "the target's maps at %#llx: %s, was %s", ret, n,
				       (unsigned long long)fs->before[i].start,
				       i < after ? fs->after[i].perms : "none", fs->before[i].perms);
				return -1;
			}
			EXPECT_EQ(nr, after);
			continue;
		}
		undo(fs);
		if (atoi(left))
			return n - 1;
	}
	return n;
}

static int sweep_alloc(struct fault_sweep *fs)
{
	return rvm_alloc(fs->dev, 0, 4 * PAGE, COMMIT | RESERVE, RW, &fs->fresh);
}

static void sweep_release(struct fault_sweep *fs)
{
	rvm_free(fs->dev, fs->fresh, 0, RELEASE);
}

/* Commit, decommit and protect work on the middle of fs->base. */
static int sweep_commit(struct fault_sweep *fs)
{
	return rvm_alloc(fs->dev, fs->base + PAGE, 2 * PAGE, COMMIT, RW, NULL);
}

static int sweep_decommit(struct fault_sweep *fs)
{
	return rvm_free(fs->dev, fs->base + PAGE, 2 * PAGE, DECOMMIT);
}

static void sweep_undo_commit(struct fault_sweep *fs)
{
	sweep_decommit(fs);
}

static void sweep_undo_decommit(struct fault_sweep *fs)
{
	sweep_commit(fs);
}

static int sweep_protect(struct fault_sweep *fs)
{
	return rvm_protect(fs->dev, fs->base + PAGE, PAGE, REMOTEVM_PAGE_READONLY, 0, NULL);
}

static void sweep_unprotect(struct fault_sweep *fs)
{
	rvm_protect(fs->dev, fs->base + PAGE, PAGE, RW, 0, NULL);
}

TEST_F_TIMEOUT(target, failed_operations_under_fault_injection_change_no_mapping, 300)
{
	static struct fault_sweep fs;
	pid_t worker;

	if (access("/sys/kernel/debug/failslab", F_OK))
		SKIP(return, "no fault injection in this kernel (the fuzz kernel has it)");
	fs.dev = self->dev;
	fs.target = self->t.pid;
	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 4 * PAGE, COMMIT | RESERVE, RW, &fs.base));
	worker = worker_of(self->t.pid);
	ASSERT_LT(0, worker);
	snprintf(fs.nth, sizeof(fs.nth), "/proc/%d/task/%d/fail-nth", worker, worker);
	fault_injection_reach_all(true);

	EXPECT_LT(0, fault_sweep(_metadata, &fs, sweep_alloc, sweep_release));
	EXPECT_LT(0, fault_sweep(_metadata, &fs, sweep_decommit, sweep_undo_decommit));
	ASSERT_EQ(0, sweep_decommit(&fs));
	EXPECT_LT(0, fault_sweep(_metadata, &fs, sweep_commit, sweep_undo_commit));
	ASSERT_EQ(0, sweep_commit(&fs));
	EXPECT_LT(0, fault_sweep(_metadata, &fs, sweep_protect, sweep_unprotect));
	fault_injection_reach_all(false);
}

/*
 * An explicit address rounds down to 64 KiB, so anything below it would
 * mean page 0 (the target is root, so mmap_min_addr would not stop it).
 * Old code: the reserve maps page 0 and the commit then oopses, which
 * hangs the target's mm for good: its own fixture, declared last, so that
 * the harness runs it after every other test.
 */
FIXTURE(page_zero) {
	struct target t;
	int dev;
};

FIXTURE_SETUP(page_zero)
{
	ASSERT_EQ(0, target_start(&self->t));
	self->dev = rvm_open();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(page_zero)
{
	close(self->dev);
	target_stop(&self->t);
}

TEST_F(page_zero, explicit_addresses_below_64k_are_einval)
{
	static const uint64_t low[] = { 1, 0x1000, 0xffff };
	char perms[5];
	unsigned int i;

	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	for (i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, low[i], PAGE, RESERVE, RW, NULL))
			TH_LOG("reserve at %#llx", (unsigned long long)low[i]);
		EXPECT_NE(0, maps_find(self->t.pid, 0, perms, NULL, NULL));
	}
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, 1, PAGE, COMMIT, RW, NULL));
	EXPECT_NE(0, maps_find(self->t.pid, 0, perms, NULL, NULL));
}

TEST_HARNESS_MAIN
