// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for attaching a handle: the access rule (an open
 * /proc/PID/mem is the proof of access), the handle going stale when its
 * target execs or exits, and operations on a target that is sleeping,
 * stopped, traced or running, which it never notices.
 * Needs root and remotevm.ko loaded; runs in a guest under `make check`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/remotevm.h>

#include "kselftest_harness.h"
#include "fixtures.h"
#include "proc.h"
#include "rvm.h"
#include "target.h"

TEST_F(unattached, operations_before_attach_are_ebadfd)
{
	uint64_t bytes_read;
	char byte;

	EXPECT_EQ(-EBADFD, rvm_alloc(self->dev, 0, PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(-EBADFD, rvm_read(self->dev, self->t.code, &byte, 1, &bytes_read));
}

TEST_F(unattached, attach_then_alloc)
{
	uint64_t addr;

	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, &addr));
	EXPECT_EQ(0, target_write(&self->t, addr, PAGE, 0x5a));
	EXPECT_EQ(0x5a, target_read(&self->t, addr, PAGE));
}

TEST_F(unattached, attach_twice_is_ebusy)
{
	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	EXPECT_EQ(-1, rvm_attach(self->dev, self->t.pid));
	EXPECT_EQ(EBUSY, errno);
}

TEST_F(unattached, attach_validates_fields)
{
	struct remotevm_attach attach = { .pid = self->t.pid, .mem_fd = -1 };

	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_ATTACH, &attach));
	EXPECT_EQ(EINVAL, errno);
	attach = (struct remotevm_attach){ .pid = 0, .mem_fd = 0 };
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_ATTACH, &attach));
	EXPECT_EQ(EINVAL, errno);
	attach = (struct remotevm_attach){ .pid = self->t.pid, .flags = 1ULL << 1 };
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_ATTACH, &attach));
	EXPECT_EQ(EINVAL, errno);
	attach = (struct remotevm_attach){ .pid = self->t.pid,
		.poll_us = REMOTEVM_POLL_US_MAX + 1 };
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_ATTACH, &attach));
	EXPECT_EQ(EINVAL, errno);
	attach = (struct remotevm_attach){ .pid = self->t.pid, .pad = 1 };
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_ATTACH, &attach));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing was attached by the failures. */
	EXPECT_EQ(0, rvm_attach(self->dev, self->t.pid));
}

TEST_F(unattached, attach_refuses_files_other_than_proc_mem)
{
	char path[64];
	int fds[2], maps, regular;

	snprintf(path, sizeof(path), "/proc/%d/maps", self->t.pid);
	maps = open(path, O_RDONLY);
	ASSERT_LE(0, maps);
	/* tmpfs: overlayfs has no O_TMPFILE on 6.1. */
	regular = open("/dev/shm", O_TMPFILE | O_RDWR, 0600);
	ASSERT_LE(0, regular);
	ASSERT_EQ(0, pipe(fds));

	EXPECT_EQ(-1, rvm_attach_fd(self->dev, self->t.pid, maps));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, rvm_attach_fd(self->dev, self->t.pid, regular));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, rvm_attach_fd(self->dev, self->t.pid, fds[1]));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, rvm_attach_fd(self->dev, self->t.pid, 999));
	EXPECT_EQ(EBADF, errno);
	close(maps);
	close(regular);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(unattached, attach_refuses_read_only_mem_fd)
{
	int mem;

	mem = proc_mem_open(self->t.pid, O_RDONLY);
	ASSERT_LE(0, mem);
	EXPECT_EQ(-1, rvm_attach_fd(self->dev, self->t.pid, mem));
	EXPECT_EQ(EBADF, errno);
	close(mem);
}

TEST_F(unattached, attach_refuses_mem_fd_of_another_process)
{
	struct target other;
	int mem;

	ASSERT_EQ(0, target_start(&other));
	mem = proc_mem_open(other.pid, O_RDWR);
	ASSERT_LE(0, mem);
	EXPECT_EQ(-1, rvm_attach_fd(self->dev, self->t.pid, mem));
	EXPECT_EQ(EACCES, errno);
	close(mem);
	target_stop(&other);
}

TEST_F(unattached, attach_refuses_mem_fd_from_before_exec)
{
	char path[64];
	int mem;

	mem = proc_mem_open(self->t.pid, O_RDWR);
	ASSERT_LE(0, mem);
	/* The target execs a fresh copy of itself: same pid, new mm. */
	fprintf(self->t.cmd, "E 0 %s\n", helper_path("remotevm_target"));
	ASSERT_NE(NULL, fgets(path, sizeof(path), self->t.reply));
	ASSERT_EQ(0, strncmp(path, "ready", 5));
	EXPECT_EQ(-1, rvm_attach_fd(self->dev, self->t.pid, mem));
	EXPECT_EQ(EACCES, errno);
	close(mem);
}

TEST_F(unattached, attach_refuses_zombie)
{
	int mem;

	mem = proc_mem_open(self->t.pid, O_RDWR);
	ASSERT_LE(0, mem);
	fprintf(self->t.cmd, "X\n");
	/* Exited but not reaped: a zombie has no mm. */
	ASSERT_EQ(0, waitid(P_PID, self->t.pid, NULL, WEXITED | WNOWAIT));
	EXPECT_EQ(-1, rvm_attach_fd(self->dev, self->t.pid, mem));
	EXPECT_EQ(ESRCH, errno);
	close(mem);
}

TEST_F(unattached, attach_refuses_kernel_thread)
{
	int mem = open("/proc/2/mem", O_RDWR);

	/* 6.12 refuses to open a kthread's mem file; 6.1 opens it without an mm. */
	if (mem < 0) {
		EXPECT_EQ(ESRCH, errno);
		return;
	}
	EXPECT_EQ(-1, rvm_attach_fd(self->dev, 2, mem));
	EXPECT_EQ(EINVAL, errno);
	close(mem);
}

/* A pid is looked up in the caller's pid namespace. */
TEST_F(unattached, attach_pid_not_visible_in_callers_namespace)
{
	pid_t child;
	int status;

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		pid_t inner;

		if (unshare(CLONE_NEWPID))
			_exit(2);
		inner = fork();
		if (!inner) {
			/* /proc is still the outer namespace's: the open works. */
			int dev = rvm_open();

			_exit(rvm_attach(dev, self->t.pid) == -1 && errno == ESRCH ?
			      0 : 1);
		}
		waitpid(inner, &status, 0);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 3);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Runs fn as uid NOBODY in a child; returns its exit status. */
static int as_nobody(int (*fn)(void *), void *arg)
{
	pid_t child = fork();
	int status;

	if (!child) {
		/* Dropping root makes a process undumpable: undo that. */
		if (setgid(NOBODY) || setuid(NOBODY) ||
		    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int open_mem_fails_eacces(void *arg)
{

	return proc_mem_open(*(pid_t *)arg, O_RDWR) < 0 && errno == EACCES ? 0 : 1;
}

TEST_F(unattached, unprivileged_caller_cannot_prove_access_to_root_target)
{
	EXPECT_EQ(0, as_nobody(open_mem_fails_eacces, &self->t.pid));
}

struct granted {
	pid_t root_target;
	const char *target_path;
};

/*
 * With the device granted to an unprivileged user, it still reaches only
 * what /proc/PID/mem lets it: its own processes, not root's.
 */
static int granted_device_grants_nothing_more(void *arg)
{
	struct granted *g = arg;
	struct target own;
	uint64_t addr;
	int dev = rvm_open(), mem;

	if (dev < 0)
		return 10;
	if (proc_mem_open(g->root_target, O_RDWR) >= 0 || errno != EACCES)
		return 11;
	if (rvm_attach(dev, g->root_target) != -1 || errno != EACCES)
		return 12;
	/* Its own mem file does not stand in for the root process's. */
	mem = open("/proc/self/mem", O_RDWR);
	if (rvm_attach_fd(dev, g->root_target, mem) != -1 || errno != EACCES)
		return 13;
	if (target_start(&own) || target_do(&own, NULL, 0, "I %x", NOBODY))
		return 14;
	if (rvm_attach(dev, own.pid) || rvm_alloc(dev, 0, PAGE, COMMIT, RW, &addr))
		return 15;
	if (target_write(&own, addr, PAGE, 7) || target_read(&own, addr, PAGE) != 7)
		return 16;
	target_stop(&own);
	return 0;
}

TEST_F(unattached, device_granted_to_a_user_grants_nothing_beyond_proc_mem)
{
	struct granted g = { .root_target = self->t.pid };
	int ret;

	ASSERT_EQ(0, chown("/dev/remotevm", NOBODY, NOBODY));
	ret = as_nobody(granted_device_grants_nothing_more, &g);
	ASSERT_EQ(0, chown("/dev/remotevm", 0, 0));
	EXPECT_EQ(0, ret);
}

static int yama_scope_one_checks(void *arg)
{
	struct target own;
	pid_t sibling = *(pid_t *)arg;
	uint64_t addr;
	int dev = rvm_open();

	if (dev < 0)
		return 10;
	/* Same uid, but not our descendant: Yama says no. */
	if (proc_mem_open(sibling, O_RDWR) >= 0 || errno != EACCES)
		return 11;
	/* Our own child: allowed. */
	if (target_start(&own) || rvm_attach(dev, own.pid) ||
	    rvm_alloc(dev, 0, PAGE, COMMIT, RW, &addr) ||
	    target_write(&own, addr, 1, 1) || target_read(&own, addr, 1) != 1)
		return 12;
	target_stop(&own);
	return 0;
}

TEST_F(unattached, yama_ptrace_scope_1_denies_non_descendants)
{
	const char *scope = "/proc/sys/kernel/yama/ptrace_scope";
	struct target sibling;
	int ret;

	if (access(scope, W_OK))
		SKIP(return, "Yama is not enabled in this kernel");
	ASSERT_EQ(0, target_start(&sibling));
	ASSERT_EQ(0, target_do(&sibling, NULL, 0, "I %x", NOBODY));
	ASSERT_EQ(0, chown("/dev/remotevm", NOBODY, NOBODY));
	ASSERT_EQ(0, write_line(scope, "1"));
	ret = as_nobody(yama_scope_one_checks, &sibling.pid);
	ASSERT_EQ(0, write_line(scope, "0"));
	ASSERT_EQ(0, chown("/dev/remotevm", 0, 0));
	target_stop(&sibling);
	EXPECT_EQ(0, ret);
}

/*
 * QUERY and REGIONS are served in the caller, not by the worker: they
 * must find a stale handle stale all the same.
 */
static void expect_inspection(struct __test_metadata *_metadata, int dev,
			      uint64_t addr, int error)
{
	struct remotevm_region region;
	struct remotevm_regions req = {
		.start = addr,
		.end = addr + PAGE,
		.count = 1,
		.region_size = sizeof(region),
		.regions = (uintptr_t)&region,
	};
	uint64_t bytes_read;
	char byte;

	EXPECT_EQ(-error, rvm_query(dev, addr, &region));
	EXPECT_EQ(-error, rvm_read(dev, addr, &byte, 1, &bytes_read));
	EXPECT_EQ(error ? -1 : 0, ioctl(dev, REMOTEVM_IOC_REGIONS, &req));
	if (error)
		EXPECT_EQ(error, errno);
}

TEST_F(attached, exec_makes_the_handle_stale_for_good)
{
	char line[64];
	int fresh;

	expect_inspection(_metadata, self->dev, self->t.code, 0);
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, NULL));
	fprintf(self->t.cmd, "E 0 %s\n", helper_path("remotevm_target"));
	ASSERT_NE(NULL, fgets(line, sizeof(line), self->t.reply));
	ASSERT_EQ(0, strncmp(line, "ready", 5));
	EXPECT_EQ(-ESRCH, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, NULL));
	EXPECT_EQ(-ESRCH, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, NULL));
	expect_inspection(_metadata, self->dev, self->t.code, ESRCH);
	/* A new handle reaches the new image, with a new proof of access. */
	fresh = rvm_open();
	ASSERT_EQ(0, rvm_attach(fresh, self->t.pid));
	EXPECT_EQ(0, rvm_alloc(fresh, 0, PAGE, COMMIT | RESERVE, RW, NULL));
	close(fresh);
}

TEST_F(attached, target_exit_makes_operations_esrch)
{
	fprintf(self->t.cmd, "X\n");
	ASSERT_EQ(0, waitid(P_PID, self->t.pid, NULL, WEXITED | WNOWAIT));
	EXPECT_EQ(-ESRCH, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, NULL));
	expect_inspection(_metadata, self->dev, self->t.code, ESRCH);
	waitpid(self->t.pid, NULL, 0);
	EXPECT_EQ(-ESRCH, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, NULL));
	expect_inspection(_metadata, self->dev, self->t.code, ESRCH);
	self->t.pid = -1;
	fclose(self->t.cmd);
	fclose(self->t.reply);
}

struct hammer {
	int dev;
	int allocated;
	int error;
};

static void *hammer_allocations(void *arg)
{
	struct hammer *h = arg;
	int ret;

	while (!(ret = rvm_alloc(h->dev, 0, PAGE, COMMIT | RESERVE, RW, NULL)))
		h->allocated++;
	h->error = ret;
	return NULL;
}

TEST_F(attached, target_killed_mid_stream)
{
	struct hammer h = { .dev = self->dev };
	pthread_t thread;

	ASSERT_EQ(0, pthread_create(&thread, NULL, hammer_allocations, &h));
	while (!__atomic_load_n(&h.allocated, __ATOMIC_RELAXED))
		usleep(1000);
	usleep(20000);
	kill(self->t.pid, SIGKILL);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(-ESRCH, h.error);
	EXPECT_LT(0, h.allocated);
}

static int alloc_and_check(struct __test_metadata *_metadata, int dev, pid_t pid)
{
	uint64_t addr;
	char perms[5];

	EXPECT_EQ(0, rvm_alloc(dev, 0, PAGE, COMMIT | RESERVE, RW, &addr));
	EXPECT_EQ(0, maps_find(pid, addr, perms, NULL, NULL));
	EXPECT_STREQ("rw-p", perms);
	return 0;
}

TEST_F(attached, works_on_sleeping_and_job_control_stopped_targets)
{
	char reply[64];
	int i;

	/* Blocked reading its next command, once it gets there. */
	for (i = 0; i < 1000 && task_state(self->t.pid) != 'S'; i++)
		usleep(1000);
	EXPECT_EQ('S', task_state(self->t.pid));
	alloc_and_check(_metadata, self->dev, self->t.pid);

	ASSERT_EQ(0, kill(self->t.pid, SIGSTOP));
	ASSERT_EQ(0, waitid(P_PID, self->t.pid, NULL, WSTOPPED | WNOWAIT));
	EXPECT_EQ('T', task_state(self->t.pid));
	alloc_and_check(_metadata, self->dev, self->t.pid);
	EXPECT_EQ('T', task_state(self->t.pid));
	ASSERT_EQ(0, kill(self->t.pid, SIGCONT));

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "S"));
	EXPECT_STREQ("0\n", reply);
}

TEST_F(attached, works_while_a_debugger_has_the_target_ptrace_stopped)
{
	int to_debugger[2], from_debugger[2];
	char reply[64], c;
	pid_t debugger;
	int status;

	ASSERT_EQ(0, pipe(to_debugger));
	ASSERT_EQ(0, pipe(from_debugger));
	debugger = fork();
	ASSERT_LE(0, debugger);
	if (!debugger) {
		/* Another process is the tracer; we never trace anything. */
		if (ptrace(PTRACE_SEIZE, self->t.pid, 0, 0) ||
		    ptrace(PTRACE_INTERRUPT, self->t.pid, 0, 0) ||
		    waitpid(self->t.pid, &status, __WALL) != self->t.pid)
			_exit(1);
		if (write(from_debugger[1], "s", 1) != 1 ||
		    read(to_debugger[0], &c, 1) != 1)
			_exit(2);
		_exit(ptrace(PTRACE_DETACH, self->t.pid, 0, 0) ? 3 : 0);
	}
	ASSERT_EQ(1, read(from_debugger[0], &c, 1));
	EXPECT_EQ('t', task_state(self->t.pid));
	alloc_and_check(_metadata, self->dev, self->t.pid);
	/* A second tracer could not attach, but remotevm needs none. */
	EXPECT_EQ(-1, ptrace(PTRACE_SEIZE, self->t.pid, 0, 0));
	EXPECT_EQ('t', task_state(self->t.pid));
	ASSERT_EQ(1, write(to_debugger[1], "d", 1));
	ASSERT_EQ(debugger, waitpid(debugger, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "S"));
	EXPECT_STREQ("0\n", reply);
}

static void *spin(void *arg)
{
	volatile int *stop = arg;

	while (!*stop)
		;
	return NULL;
}

TEST_F(attached, works_on_a_running_target)
{
	volatile int stop = 0;
	pthread_t spinner;
	uint64_t addr;
	int i;

	/* The caller itself is a target too: a process with a running thread. */
	ASSERT_EQ(0, pthread_create(&spinner, NULL, spin, (void *)&stop));
	close(self->dev);
	self->dev = rvm_open();
	ASSERT_EQ(0, rvm_attach(self->dev, getpid()));
	for (i = 0; i < 16; i++) {
		volatile uint8_t *p;

		ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, &addr));
		p = (volatile uint8_t *)(uintptr_t)addr;
		EXPECT_EQ(0, p[0]);
		p[PAGE - 1] = 9;
		EXPECT_EQ(9, p[PAGE - 1]);
	}
	stop = 1;
	pthread_join(spinner, NULL);
}

TEST_HARNESS_MAIN
