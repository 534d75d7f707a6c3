// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for /dev/remotevm: the ABI rules, the access rule and the
 * VirtualAlloc contract, each checked from the target's side too (its
 * /proc/PID/maps, and the target reading and writing the memory itself).
 * Needs root and remotevm.ko loaded; runs in a guest under `make check`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/remotevm.h>

#include "kselftest_harness.h"
#include "proc.h"
#include "rvm.h"
#include "target.h"

/* ------------------------------------------------------------------ */
/* The device and the ABI                                             */
/* ------------------------------------------------------------------ */

TEST(api_reports_version_and_features)
{
	struct remotevm_api api = { .api = REMOTEVM_API, .ops = 0 };
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	memset(&api.features, 0, sizeof(api.features));
	ASSERT_EQ(0, ioctl(dev, REMOTEVM_IOC_API, &api));
	EXPECT_EQ(REMOTEVM_API, api.api);
	EXPECT_EQ(REMOTEVM_FEATURE_BATCH | REMOTEVM_FEATURE_PLACEMENT |
		  REMOTEVM_FEATURE_RELEASE_ON_CLOSE | REMOTEVM_FEATURE_REGIONS |
		  REMOTEVM_FEATURE_PROTECT_COPY | REMOTEVM_FEATURE_POLL,
		  api.features);
	EXPECT_EQ(1ULL << REMOTEVM_OP_ALLOC | 1ULL << REMOTEVM_OP_FREE |
		  1ULL << REMOTEVM_OP_QUERY | 1ULL << REMOTEVM_OP_PROTECT, api.ops);
	close(dev);
}

TEST(api_rejects_unknown_version_and_reserved_fields)
{
	struct remotevm_api api = { .api = REMOTEVM_API + 1 };
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-1, ioctl(dev, REMOTEVM_IOC_API, &api));
	EXPECT_EQ(EINVAL, errno);
	api = (struct remotevm_api){ .api = REMOTEVM_API, .pad = 1 };
	EXPECT_EQ(-1, ioctl(dev, REMOTEVM_IOC_API, &api));
	EXPECT_EQ(EINVAL, errno);
	api = (struct remotevm_api){ .api = REMOTEVM_API, .features = 1 };
	EXPECT_EQ(-1, ioctl(dev, REMOTEVM_IOC_API, &api));
	EXPECT_EQ(EINVAL, errno);
	close(dev);
}

/* The struct size travels in the ioctl number: the openat2/clone3 rules. */
TEST(api_extensible_struct_sizes)
{
	struct {
		struct remotevm_api api;
		uint64_t tail;
	} big = { .api = { .api = REMOTEVM_API } };
	unsigned long small_nr = _IOC(_IOC_READ | _IOC_WRITE, REMOTEVM_IOC_MAGIC,
				      0, sizeof(struct remotevm_api) - 8);
	unsigned long big_nr = _IOC(_IOC_READ | _IOC_WRITE, REMOTEVM_IOC_MAGIC,
				    0, sizeof(big));
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-1, ioctl(dev, small_nr, &big));
	EXPECT_EQ(EINVAL, errno);

	big.tail = POISON;
	EXPECT_EQ(-1, ioctl(dev, big_nr, &big));
	EXPECT_EQ(E2BIG, errno);

	big.tail = 0;
	EXPECT_EQ(0, ioctl(dev, big_nr, &big));
	EXPECT_EQ(REMOTEVM_API, big.api.api);
	EXPECT_NE(0, big.api.features);
	EXPECT_EQ(0, big.tail);
	close(dev);
}

TEST(unknown_ioctls_are_enotty)
{
	struct remotevm_api api = { .api = REMOTEVM_API };
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-1, ioctl(dev, _IOWR(REMOTEVM_IOC_MAGIC, 0x7f, struct remotevm_api), &api));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong direction. */
	EXPECT_EQ(-1, ioctl(dev, _IOR(REMOTEVM_IOC_MAGIC, 0x00, struct remotevm_api), &api));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(dev, _IOWR('x', 0x00, struct remotevm_api), &api));
	EXPECT_EQ(ENOTTY, errno);
	close(dev);
}

TEST(bad_user_pointers_are_efault)
{
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-1, ioctl(dev, REMOTEVM_IOC_API, (void *)16));
	EXPECT_EQ(EFAULT, errno);
	close(dev);
}

TEST(device_is_root_only_by_default)
{
	struct stat st;
	pid_t child;
	int status;

	ASSERT_EQ(0, stat("/dev/remotevm", &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(2);
		_exit(rvm_open() < 0 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(unload_while_open_is_refused)
{
	struct remotevm_api api = { .api = REMOTEVM_API };
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-1, syscall(__NR_delete_module, "remotevm", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	/* Still there and working. */
	EXPECT_EQ(0, ioctl(dev, REMOTEVM_IOC_API, &api));
	close(dev);
}

/* ------------------------------------------------------------------ */
/* Attach: the access rule                                            */
/* ------------------------------------------------------------------ */

FIXTURE(unattached) {
	struct target t;
	int dev;
};

FIXTURE_SETUP(unattached)
{
	ASSERT_EQ(0, target_start(&self->t));
	self->dev = rvm_open();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(unattached)
{
	close(self->dev);
	target_stop(&self->t);
}

TEST_F(unattached, operations_before_attach_are_ebadfd)
{
	EXPECT_EQ(-EBADFD, rvm_alloc(self->dev, 0, PAGE, COMMIT, RW, NULL));
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

/* ------------------------------------------------------------------ */
/* Allocation: the VirtualAlloc contract                              */
/* ------------------------------------------------------------------ */

FIXTURE(attached) {
	struct target t;
	int dev;
};

/*
 * Every test once per worker mode: the polling worker keeps the target
 * entered across requests, which must not change what any of them sees.
 */
FIXTURE_VARIANT(attached) {
	unsigned int poll_us;
};

FIXTURE_VARIANT_ADD(attached, sleeping_worker) {
	.poll_us = 0,
};

FIXTURE_VARIANT_ADD(attached, polling_worker) {
	.poll_us = REMOTEVM_POLL_US_MAX,
};

FIXTURE_SETUP(attached)
{
	ASSERT_EQ(0, target_start(&self->t));
	self->dev = rvm_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, rvm_attach_polling(self->dev, self->t.pid, variant->poll_us));
}

FIXTURE_TEARDOWN(attached)
{
	close(self->dev);
	target_stop(&self->t);
}

TEST_F(attached, commit_reserve_anywhere_is_zeroed_and_usable)
{
	struct remotevm_alloc alloc = {
		.size = 3 * PAGE - 100,
		.allocation_type = COMMIT | RESERVE,
		.page_protection = RW,
	};
	char perms[5];
	uint64_t start, end;

	ASSERT_EQ(0, rvm_alloc_full(self->dev, &alloc));
	EXPECT_EQ(0, alloc.allocated_address % PAGE);
	EXPECT_EQ(3 * PAGE, alloc.allocated_size);
	ASSERT_EQ(0, maps_find(self->t.pid, alloc.allocated_address, perms, &start, &end));
	EXPECT_STREQ("rw-p", perms);
	EXPECT_LE(start, alloc.allocated_address);
	EXPECT_GE(end, alloc.allocated_address + 3 * PAGE);
	EXPECT_EQ(0, target_read(&self->t, alloc.allocated_address, 3 * PAGE));
	EXPECT_EQ(0, target_write(&self->t, alloc.allocated_address, 3 * PAGE, 0xa5));
	EXPECT_EQ(0xa5, target_read(&self->t, alloc.allocated_address, 3 * PAGE));
}

TEST_F(attached, commit_alone_without_address_reserves_too)
{
	uint64_t addr;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, COMMIT, RW, &addr));
	EXPECT_EQ(0, target_write(&self->t, addr, PAGE, 1));
	EXPECT_EQ(1, target_read(&self->t, addr, PAGE));
}

TEST_F(attached, each_protection_maps_to_its_prot)
{
	static const struct {
		uint32_t protection;
		const char *perms;
		int readable, writable;
	} cases[] = {
		{ REMOTEVM_PAGE_NOACCESS, "---p", 0, 0 },
		{ REMOTEVM_PAGE_READONLY, "r--p", 1, 0 },
		{ REMOTEVM_PAGE_READWRITE, "rw-p", 1, 1 },
		{ REMOTEVM_PAGE_EXECUTE, "--xp", 1, 0 },
		{ REMOTEVM_PAGE_EXECUTE_READ, "r-xp", 1, 0 },
		{ REMOTEVM_PAGE_EXECUTE_READWRITE, "rwxp", 1, 1 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char perms[5];
		uint64_t addr;
		int r, w;

		ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE,
				       cases[i].protection, &addr));
		ASSERT_EQ(0, maps_find(self->t.pid, addr, perms, NULL, NULL));
		EXPECT_STREQ(cases[i].perms, perms);
		ASSERT_EQ(0, target_probe(&self->t, addr, &r, &w));
		/*
		 * PAGE_EXECUTE is readable, as on Windows, also where protection
		 * keys could make it execute-only (make check boots one kernel
		 * with a CPU that has them).
		 */
		EXPECT_EQ(cases[i].readable, r);
		EXPECT_EQ(cases[i].writable, w);
	}
}

/* Win32 flags Linux cannot honour are refused, never silently ignored. */
TEST_F(attached, unsupported_flags_are_eopnotsupp_and_change_nothing)
{
	static const uint32_t types[] = {
		REMOTEVM_MEM_PHYSICAL | RESERVE, REMOTEVM_MEM_WRITE_WATCH | RESERVE,
		REMOTEVM_MEM_LARGE_PAGES | COMMIT | RESERVE,
	};
	static const uint32_t prots[] = {
		REMOTEVM_PAGE_WRITECOPY, REMOTEVM_PAGE_EXECUTE_WRITECOPY,
		RW | REMOTEVM_PAGE_GUARD, RW | REMOTEVM_PAGE_NOCACHE,
		RW | REMOTEVM_PAGE_WRITECOMBINE,
	};
	char before[65536];
	unsigned int i;

	strcpy(before, maps_snapshot(self->t.pid));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		EXPECT_EQ(-EOPNOTSUPP, rvm_alloc(self->dev, 0, PAGE, types[i], RW, NULL));
	for (i = 0; i < sizeof(prots) / sizeof(prots[0]); i++)
		EXPECT_EQ(-EOPNOTSUPP, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE,
						 prots[i], NULL));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
}

TEST_F(attached, invalid_requests_are_einval_and_change_nothing)
{
	char before[65536];
	struct remotevm_alloc alloc;

	strcpy(before, maps_snapshot(self->t.pid));
	/* No commit or reserve bit; an unknown bit. */
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, 0, PAGE, REMOTEVM_MEM_TOP_DOWN, RW, NULL));
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, 0, PAGE, COMMIT | 0x40000000, RW, NULL));
	/* No base protection, two of them, an unknown one. */
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, 0, PAGE, COMMIT, 0, NULL));
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, 0, PAGE, COMMIT,
				     REMOTEVM_PAGE_READONLY | RW, NULL));
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, 0, PAGE, COMMIT, 0x800, NULL));
	/* Size 0, wrapping around, beyond the target's address space. */
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, 0, 0, COMMIT, RW, NULL));
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, -PAGE, 2 * PAGE, RESERVE, RW, NULL));
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, 1ULL << 60, PAGE, RESERVE, RW, NULL));
	EXPECT_EQ(-ENOMEM, rvm_alloc(self->dev, 0, 1ULL << 60, RESERVE, RW, NULL));
	/* Placement: bad alignment, empty window, window with an address. */
	alloc = (struct remotevm_alloc){ .size = PAGE, .allocation_type = RESERVE,
		.page_protection = RW, .alignment = 3 * PAGE };
	EXPECT_EQ(-EINVAL, rvm_alloc_full(self->dev, &alloc));
	alloc.alignment = 512;
	EXPECT_EQ(-EINVAL, rvm_alloc_full(self->dev, &alloc));
	alloc.alignment = 0;
	alloc.lowest = 1ULL << 40;
	alloc.highest = 1ULL << 39;
	EXPECT_EQ(-EINVAL, rvm_alloc_full(self->dev, &alloc));
	alloc.highest = 0;
	alloc.address = 1ULL << 40;
	EXPECT_EQ(-EINVAL, rvm_alloc_full(self->dev, &alloc));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
}

/*
 * ALLOC as a binary built against a newer header sends it: the struct's
 * size travels in the ioctl number, a larger one is fine while the bytes
 * this module does not know are zero, and one below the first published
 * size is refused. The sizes are the published literals, not sizeof().
 */
TEST_F(attached, alloc_takes_any_struct_version_from_the_first)
{
	struct {
		struct remotevm_alloc alloc;
		uint64_t later_field;
	} v1 = {
		.alloc = { .size = PAGE, .allocation_type = COMMIT | RESERVE,
			   .page_protection = RW },
	};
	unsigned long v1_nr = _IOC(_IOC_READ | _IOC_WRITE, REMOTEVM_IOC_MAGIC, 0x02,
				   sizeof(v1));
	unsigned long short_nr = _IOC(_IOC_READ | _IOC_WRITE, REMOTEVM_IOC_MAGIC, 0x02,
				      REMOTEVM_ALLOC_SIZE_VER0 - 8);
	char perms[5];

	ASSERT_EQ(REMOTEVM_ALLOC_SIZE_VER0, sizeof(struct remotevm_alloc));
	ASSERT_EQ(0, ioctl(self->dev, v1_nr, &v1));
	EXPECT_EQ(PAGE, v1.alloc.allocated_size);
	EXPECT_EQ(0, maps_find(self->t.pid, v1.alloc.allocated_address, perms,
			       NULL, NULL));
	EXPECT_STREQ("rw-p", perms);

	v1.alloc.allocated_address = 0;
	v1.later_field = 1;
	EXPECT_EQ(-1, ioctl(self->dev, v1_nr, &v1));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, v1.alloc.allocated_address);
	EXPECT_EQ(-1, ioctl(self->dev, short_nr, &v1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(attached, output_fields_are_written_over_poison)
{
	struct remotevm_alloc alloc = {
		.size = PAGE + 1,
		.allocation_type = COMMIT | RESERVE,
		.page_protection = RW,
	};

	ASSERT_EQ(0, rvm_alloc_full(self->dev, &alloc));
	EXPECT_NE(POISON, alloc.allocated_address);
	EXPECT_EQ(2 * PAGE, alloc.allocated_size);
}

TEST_F(attached, reserve_at_address_rounds_base_to_64k)
{
	uint64_t hole = target_hole(&self->t, 1 << 22);
	uint64_t base = (hole + 0xffff) & ~0xffffULL;
	struct remotevm_alloc alloc = {
		.address = base + 0x12345,
		.size = 0x1000,
		.allocation_type = RESERVE,
		.page_protection = RW,
	};
	uint64_t start, end;
	char perms[5];
	int r, w;

	ASSERT_NE(0, hole);
	ASSERT_EQ(0, rvm_alloc_full(self->dev, &alloc));
	EXPECT_EQ(base + 0x10000, alloc.allocated_address);
	EXPECT_EQ(0x4000, alloc.allocated_size);	/* to 0x13345 + 0x1000 rounded */
	ASSERT_EQ(0, maps_find(self->t.pid, base + 0x10000, perms, &start, &end));
	EXPECT_STREQ("---p", perms);
	EXPECT_EQ(base + 0x10000, start);
	EXPECT_EQ(base + 0x14000, end);
	ASSERT_EQ(0, target_probe(&self->t, base + 0x10000, &r, &w));
	EXPECT_EQ(0, r);
}

TEST_F(attached, commit_inside_reservation_in_parts)
{
	uint64_t res, got, s, e;
	struct remotevm_alloc alloc = {
		.size = 2 * PAGE,
		.allocation_type = COMMIT,
		.page_protection = RW,
	};
	char perms[5];
	int r, w;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 16 * PAGE, RESERVE,
			       REMOTEVM_PAGE_NOACCESS, &res));
	alloc.address = res + 2 * PAGE + 100;
	ASSERT_EQ(0, rvm_alloc_full(self->dev, &alloc));
	got = alloc.allocated_address;
	EXPECT_EQ(res + 2 * PAGE, got);
	EXPECT_EQ(3 * PAGE, alloc.allocated_size);

	ASSERT_EQ(0, maps_find(self->t.pid, res + 2 * PAGE, perms, &s, &e));
	EXPECT_STREQ("rw-p", perms);
	EXPECT_EQ(res + 2 * PAGE, s);
	EXPECT_EQ(res + 5 * PAGE, e);
	ASSERT_EQ(0, maps_find(self->t.pid, res, perms, NULL, NULL));
	EXPECT_STREQ("---p", perms);
	ASSERT_EQ(0, maps_find(self->t.pid, res + 5 * PAGE, perms, NULL, NULL));
	EXPECT_STREQ("---p", perms);

	EXPECT_EQ(0, target_read(&self->t, got, 3 * PAGE));
	EXPECT_EQ(0, target_write(&self->t, got, 3 * PAGE, 0x11));
	ASSERT_EQ(0, target_probe(&self->t, res + 5 * PAGE, &r, &w));
	EXPECT_EQ(0, r);

	/* A second part, elsewhere in the same reservation. */
	alloc.address = res + 10 * PAGE;
	alloc.page_protection = REMOTEVM_PAGE_READONLY;
	ASSERT_EQ(0, rvm_alloc_full(self->dev, &alloc));
	ASSERT_EQ(0, maps_find(self->t.pid, res + 10 * PAGE, perms, NULL, NULL));
	EXPECT_STREQ("r--p", perms);
	EXPECT_EQ(0x11, target_read(&self->t, got, 3 * PAGE));
}

TEST_F(attached, recommit_keeps_contents_and_zero_fills_the_rest)
{
	uint64_t res;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 8 * PAGE, RESERVE, RW, &res));
	ASSERT_EQ(0, rvm_alloc(self->dev, res + 2 * PAGE, 2 * PAGE, COMMIT, RW, NULL));
	ASSERT_EQ(0, target_write(&self->t, res + 2 * PAGE, 2 * PAGE, 0x77));
	/* Commit pages 0..5: 2 and 3 are committed already. */
	ASSERT_EQ(0, rvm_alloc(self->dev, res, 6 * PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(0, target_read(&self->t, res, 2 * PAGE));
	EXPECT_EQ(0x77, target_read(&self->t, res + 2 * PAGE, 2 * PAGE));
	EXPECT_EQ(0, target_read(&self->t, res + 4 * PAGE, 2 * PAGE));
	/* And the whole reservation, twice. */
	ASSERT_EQ(0, rvm_alloc(self->dev, res, 8 * PAGE, COMMIT, RW, NULL));
	ASSERT_EQ(0, rvm_alloc(self->dev, res, 8 * PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(0x77, target_read(&self->t, res + 2 * PAGE, 2 * PAGE));
}

TEST_F(attached, commit_outside_a_reservation_is_refused)
{
	uint64_t hole = target_hole(&self->t, 1 << 20), res;
	char before[65536];
	char reply[64];
	unsigned long long own;

	ASSERT_NE(0, hole);
	/* The target's own memory, PROT_NONE like a reservation. */
	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "M %llx 0", 4 * PAGE));
	ASSERT_EQ(1, sscanf(reply, "%llx", &own));
	/* Two reservations back to back, in a hole of the target's. */
	res = hole + 16 * PAGE;
	ASSERT_EQ(0, rvm_reserve_exactly(self->dev, res, 4 * PAGE));
	ASSERT_EQ(0, rvm_reserve_exactly(self->dev, res + 4 * PAGE, 4 * PAGE));
	strcpy(before, maps_snapshot(self->t.pid));

	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, hole + 64 * PAGE, PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, own, PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, self->t.code, PAGE, COMMIT, RW, NULL));
	/* Across the end of one reservation into the next. */
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, res + 3 * PAGE, 2 * PAGE,
					    COMMIT, RW, NULL));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
}

/* Once the target unmaps any of an allocation, remotevm lets go of all of it. */
TEST_F(attached, commit_after_target_unmapped_part_is_refused)
{
	uint64_t res;
	char before[65536];

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 8 * PAGE, RESERVE, RW, &res));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "U %llx %llx",
			       (unsigned long long)res + 4 * PAGE, 2 * PAGE));
	strcpy(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, res, 8 * PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, res, 4 * PAGE, COMMIT, RW, NULL));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
}

TEST_F(attached, explicit_address_never_replaces_a_mapping)
{
	uint64_t addr;
	char before[65536];

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 4 * PAGE, COMMIT | RESERVE, RW, &addr));
	ASSERT_EQ(0, target_write(&self->t, addr, 4 * PAGE, 0x42));
	strcpy(before, maps_snapshot(self->t.pid));
	/* Over remotevm memory, over the target's own code. */
	EXPECT_EQ(-EEXIST, rvm_alloc(self->dev, addr, PAGE, COMMIT | RESERVE, RW, NULL));
	EXPECT_EQ(-EEXIST, rvm_alloc(self->dev, addr + PAGE, PAGE, RESERVE, RW, NULL));
	EXPECT_EQ(-EEXIST, rvm_alloc(self->dev, self->t.code, PAGE, RESERVE, RW, NULL));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(0x42, target_read(&self->t, addr, 4 * PAGE));
}

TEST_F(attached, placement_window_and_alignment)
{
	uint64_t hole = target_hole(&self->t, 64 << 20);
	uint64_t lo = (hole + (1 << 20)) & ~((1ULL << 20) - 1);
	struct remotevm_alloc alloc = {
		.size = 3 * PAGE,
		.allocation_type = COMMIT | RESERVE,
		.page_protection = RW,
		.lowest = lo,
		.highest = lo + (32 << 20) - 1,
		.alignment = 1 << 20,
	};
	int i;

	ASSERT_NE(0, hole);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, rvm_alloc_full(self->dev, &alloc));
		EXPECT_EQ(0, alloc.allocated_address % (1 << 20));
		EXPECT_LE(alloc.lowest, alloc.allocated_address);
		EXPECT_GE(alloc.highest, alloc.allocated_address + 3 * PAGE - 1);
		/* Bottom-up when a lowest address is given, as on Windows. */
		EXPECT_EQ(lo + i * (1 << 20), alloc.allocated_address);
	}
	alloc.allocation_type |= REMOTEVM_MEM_TOP_DOWN;
	ASSERT_EQ(0, rvm_alloc_full(self->dev, &alloc));
	EXPECT_EQ(lo + (31 << 20), alloc.allocated_address);
	/* Nothing fits: fails rather than landing outside. */
	alloc.size = 64 << 20;
	EXPECT_EQ(-ENOMEM, rvm_alloc_full(self->dev, &alloc));
}

/* A trampoline must be within rel32 reach of the code that jumps to it. */
TEST_F(attached, placement_within_2g_of_code)
{
	struct remotevm_alloc alloc = {
		.size = PAGE,
		.allocation_type = COMMIT | RESERVE,
		.page_protection = REMOTEVM_PAGE_EXECUTE_READWRITE,
		.lowest = self->t.code - (1ULL << 31) + PAGE,
		.highest = self->t.code + (1ULL << 31) - PAGE,
	};
	int64_t distance;

	ASSERT_EQ(0, rvm_alloc_full(self->dev, &alloc));
	distance = (int64_t)(alloc.allocated_address - self->t.code);
	EXPECT_GT(1LL << 31, llabs(distance));
	EXPECT_EQ(0, target_write(&self->t, alloc.allocated_address, PAGE, 0xc3));
}

TEST_F(attached, top_down_is_above_the_default_in_a_legacy_layout)
{
	uint64_t low, high;
	char line[64];

	/* Re-exec with the legacy (bottom-up) mmap layout. */
	fprintf(self->t.cmd, "E 1 %s\n", helper_path("remotevm_target"));
	ASSERT_NE(NULL, fgets(line, sizeof(line), self->t.reply));
	close(self->dev);
	self->dev = rvm_open();
	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, &low));
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE |
			       REMOTEVM_MEM_TOP_DOWN, RW, &high));
	EXPECT_GT(high, low);
	EXPECT_EQ(0, target_write(&self->t, high, PAGE, 3));
}

TEST_F(attached, exec_makes_the_handle_stale_for_good)
{
	char line[64];
	int fresh;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, NULL));
	fprintf(self->t.cmd, "E 0 %s\n", helper_path("remotevm_target"));
	ASSERT_NE(NULL, fgets(line, sizeof(line), self->t.reply));
	ASSERT_EQ(0, strncmp(line, "ready", 5));
	EXPECT_EQ(-ESRCH, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, NULL));
	EXPECT_EQ(-ESRCH, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, NULL));
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
	waitpid(self->t.pid, NULL, 0);
	EXPECT_EQ(-ESRCH, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, NULL));
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

TEST_F(attached, rlimit_as_of_the_target_applies)
{
	uint64_t addr;

	/* 1 GiB of address space: the target has far less left than 2 GiB. */
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "A %x %llx", RLIMIT_AS, 1ULL << 30));
	EXPECT_EQ(-ENOMEM, rvm_alloc(self->dev, 0, 2ULL << 30, RESERVE, RW, NULL));
	EXPECT_EQ(0, rvm_alloc(self->dev, 0, 1 << 20, RESERVE, RW, &addr));
}

TEST_F(attached, rlimit_data_of_the_target_applies)
{
	uint64_t addr;
	char before[65536];

	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "A %x %llx", RLIMIT_DATA, 16ULL << 20));
	strcpy(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(-ENOMEM, rvm_alloc(self->dev, 0, 32ULL << 20, COMMIT | RESERVE, RW, NULL));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
	/* Not data: a reservation, and read-only memory. */
	EXPECT_EQ(0, rvm_alloc(self->dev, 0, 32ULL << 20, RESERVE, RW, &addr));
	EXPECT_EQ(0, rvm_alloc(self->dev, 0, 32ULL << 20, COMMIT | RESERVE,
			       REMOTEVM_PAGE_READONLY, &addr));
}

/*
 * mmap_min_addr is checked against the credentials of current: the caller
 * (root, CAP_SYS_RAWIO) could map at 4 KiB, the target (nobody) may not.
 */
TEST(low_address_uses_the_targets_credentials)
{
	int fd = open("/proc/sys/vm/mmap_min_addr", O_RDWR);
	int dev = rvm_open();
	char saved[32] = "";
	struct target t;
	ssize_t n;

	/* Addresses below 64 KiB are refused outright: raise the floor above it. */
	ASSERT_LE(0, fd);
	n = read(fd, saved, sizeof(saved) - 1);
	ASSERT_LT(0, n);
	ASSERT_EQ(8, pwrite(fd, "1048576\n", 8, 0));
	ASSERT_EQ(0, target_start(&t));
	ASSERT_EQ(0, target_do(&t, NULL, 0, "I %x", NOBODY));
	ASSERT_EQ(0, rvm_attach(dev, t.pid));
	EXPECT_EQ(-EPERM, rvm_alloc(dev, 0x80000, PAGE, RESERVE, RW, NULL));
	EXPECT_EQ(n, pwrite(fd, saved, n, 0));
	close(fd);
	close(dev);
	target_stop(&t);
}

static long cgroup_memory_current(const char *cgroup)
{
	char path[256];
	long value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.current", cgroup);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &value) != 1)
		value = -1;
	fclose(f);
	return value;
}

/*
 * The kernel memory vm_mmap() allocates for the target (VMAs, maple tree
 * nodes) and remotevm's own record are charged to the target's memcg,
 * not to the worker kthread's (the root).
 */
TEST_F(attached, kernel_memory_is_charged_to_the_targets_memcg)
{
	const char *cgroup = "/sys/fs/cgroup/remotevm-test";
	struct remotevm_op ops[256];
	char pid[16];
	uint32_t i;
	long before, after;

	if (access("/sys/fs/cgroup/cgroup.subtree_control", W_OK) ||
	    write_line("/sys/fs/cgroup/cgroup.subtree_control", "+memory"))
		SKIP(return, "no cgroup2 memory controller");
	rmdir(cgroup);
	ASSERT_EQ(0, mkdir(cgroup, 0755));
	snprintf(pid, sizeof(pid), "%d", self->t.pid);
	ASSERT_EQ(0, write_line("/sys/fs/cgroup/remotevm-test/cgroup.procs", pid));

	before = cgroup_memory_current(cgroup);
	ASSERT_LE(0, before);
	/* Reservations only: no user page is ever charged. */
	for (i = 0; i < 256; i++) {
		ops[i] = (struct remotevm_op){ .code = REMOTEVM_OP_ALLOC,
			.alloc = { .address = 0, .size = PAGE,
				   .allocation_type = RESERVE, .page_protection = RW,
				   .alignment = 2 * PAGE } };
	}
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_BATCH,
				   &(struct remotevm_batch){ .ops = (uintptr_t)ops,
				   .count = 256, .op_size = sizeof(ops[0]) }));
	after = cgroup_memory_current(cgroup);
	TH_LOG("target memcg: %ld -> %ld bytes for 2048 reservations", before, after);
	/* A VMA alone is ~200 bytes; 2048 of them are well over 128 KiB. */
	EXPECT_LT(before + 128 * 1024, after);

	target_stop(&self->t);
	EXPECT_EQ(0, rmdir(cgroup));
}

TEST_F(attached, mlockall_future_target_gets_locked_populated_memory)
{
	uint64_t addr;

	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "L"));
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 4 * PAGE, COMMIT | RESERVE, RW, &addr));
	/* The VMA may have merged with a neighbour: all of it is resident and locked. */
	EXPECT_LE(16, smaps_field(self->t.pid, addr, "Size"));
	EXPECT_EQ(smaps_field(self->t.pid, addr, "Size"),
		  smaps_field(self->t.pid, addr, "Locked"));
	EXPECT_EQ(smaps_field(self->t.pid, addr, "Size"),
		  smaps_field(self->t.pid, addr, "Rss"));
	EXPECT_EQ(0, target_read(&self->t, addr, 4 * PAGE));
}

TEST_F_TIMEOUT(attached, userfaultfd_ranges_are_never_unmapped, 60)
{
	char reply[64];
	unsigned long long m;
	uint64_t res;
	char before[65536];

	/* A registered mapping of the target's, with a reservation after it. */
	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "M %llx 3", 8 * PAGE));
	ASSERT_EQ(1, sscanf(reply, "%llx", &m));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "U %llx %llx", m + 4 * PAGE, 4 * PAGE));
	if (target_do(&self->t, reply, sizeof(reply), "F %llx %llx", m, 4 * PAGE))
		SKIP(return, "userfaultfd unavailable: %s", reply);
	EXPECT_EQ(0, rvm_reserve_exactly(self->dev, m + 4 * PAGE, 4 * PAGE));
	EXPECT_EQ(-EEXIST, rvm_alloc(self->dev, m, PAGE, COMMIT | RESERVE, RW, NULL));

	/* The target registers part of a remotevm reservation itself. */
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 8 * PAGE, RESERVE, RW, &res));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "F %llx %llx",
			       (unsigned long long)res, 4 * PAGE));
	strcpy(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(-EBUSY, rvm_alloc(self->dev, res, 8 * PAGE, COMMIT, RW, NULL));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(0, rvm_alloc(self->dev, res + 4 * PAGE, 4 * PAGE, COMMIT, RW, NULL));
}

/* ------------------------------------------------------------------ */
/* The target's state: never stopped, never signalled                 */
/* ------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------ */
/* 32-bit targets                                                     */
/* ------------------------------------------------------------------ */

TEST(compat_target_gets_addresses_below_4g)
{
	struct target t;
	struct remotevm_alloc alloc = {
		.size = 4 * PAGE,
		.allocation_type = COMMIT | RESERVE,
		.page_protection = RW,
	};
	int dev = rvm_open(), i;

	if (target_start_as(&t, "remotevm_target32", 0))
		SKIP(return, "no 32-bit target (gcc -m32 / IA32 emulation missing)");
	ASSERT_EQ(0, rvm_attach(dev, t.pid));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, rvm_alloc_full(dev, &alloc));
		EXPECT_GE(0xffffe000ULL, alloc.allocated_address + alloc.allocated_size);
		EXPECT_EQ(0, target_read(&t, alloc.allocated_address, 4 * PAGE));
		EXPECT_EQ(0, target_write(&t, alloc.allocated_address, 4 * PAGE, 0x32));
		EXPECT_EQ(0x32, target_read(&t, alloc.allocated_address, 4 * PAGE));
		alloc.allocation_type |= REMOTEVM_MEM_TOP_DOWN;
	}
	/* An address a 32-bit process cannot have. */
	EXPECT_EQ(-EINVAL, rvm_alloc(dev, 1ULL << 33, PAGE, RESERVE, RW, NULL));
	close(dev);
	target_stop(&t);
}

/* ------------------------------------------------------------------ */
/* Free, reset, query, protect                                        */
/* ------------------------------------------------------------------ */

TEST_F(attached, decommit_returns_pages_to_reserved)
{
	uint64_t res;
	char perms[5];
	int r, w;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 8 * PAGE, COMMIT | RESERVE, RW, &res));
	ASSERT_EQ(0, target_write(&self->t, res, 8 * PAGE, 0x66));
	EXPECT_LE(32, smaps_field(self->t.pid, res, "Rss"));
	ASSERT_EQ(0, rvm_free(self->dev, res + 2 * PAGE + 1, 2 * PAGE - 2, DECOMMIT));

	ASSERT_EQ(0, maps_find(self->t.pid, res + 2 * PAGE, perms, NULL, NULL));
	EXPECT_STREQ("---p", perms);
	EXPECT_EQ(0, smaps_field(self->t.pid, res + 2 * PAGE, "Rss"));
	ASSERT_EQ(0, target_probe(&self->t, res + 3 * PAGE, &r, &w));
	EXPECT_EQ(0, r);
	/* The rest kept its contents; a new commit reads zero. */
	EXPECT_EQ(0x66, target_read(&self->t, res, 2 * PAGE));
	EXPECT_EQ(0x66, target_read(&self->t, res + 4 * PAGE, 4 * PAGE));
	ASSERT_EQ(0, rvm_alloc(self->dev, res + 2 * PAGE, 2 * PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(0, target_read(&self->t, res + 2 * PAGE, 2 * PAGE));
}

TEST_F(attached, decommit_rules)
{
	uint64_t res, own;
	char reply[64], before[65536];
	unsigned long long o;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 8 * PAGE, RESERVE, RW, &res));
	/* Reserved pages that were never committed: fine. */
	EXPECT_EQ(0, rvm_free(self->dev, res, 8 * PAGE, DECOMMIT));
	/* Size 0 means the whole allocation, only from its base. */
	ASSERT_EQ(0, rvm_alloc(self->dev, res, 8 * PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(-EINVAL, rvm_free(self->dev, res + PAGE, 0, DECOMMIT));
	EXPECT_EQ(0, rvm_free(self->dev, res, 0, DECOMMIT));
	EXPECT_EQ(0, smaps_field(self->t.pid, res, "Rss"));

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "M %llx 3", PAGE));
	ASSERT_EQ(1, sscanf(reply, "%llx", &o));
	own = o;
	ASSERT_EQ(0, target_write(&self->t, own, PAGE, 0x12));
	strcpy(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, own, PAGE, DECOMMIT));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, res, 9 * PAGE, DECOMMIT));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, self->t.code, PAGE, DECOMMIT));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(0x12, target_read(&self->t, own, PAGE));
}

TEST_F(attached, release_unmaps_the_whole_allocation_once)
{
	uint64_t res;
	char perms[5];

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 8 * PAGE, RESERVE, RW, &res));
	ASSERT_EQ(0, rvm_alloc(self->dev, res + PAGE, PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(-EINVAL, rvm_free(self->dev, res, PAGE, RELEASE));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, res + PAGE, 0, RELEASE));
	EXPECT_EQ(0, maps_find(self->t.pid, res, perms, NULL, NULL));

	EXPECT_EQ(0, rvm_free(self->dev, res, 0, RELEASE));
	EXPECT_NE(0, maps_find(self->t.pid, res, perms, NULL, NULL));
	EXPECT_NE(0, maps_find(self->t.pid, res + 7 * PAGE, perms, NULL, NULL));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, res, 0, RELEASE));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, res, PAGE, COMMIT, RW, NULL));
}

TEST_F(attached, free_type_rules)
{
	uint64_t res;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, RESERVE, RW, &res));
	EXPECT_EQ(-EINVAL, rvm_free(self->dev, res, 0, DECOMMIT | RELEASE));
	EXPECT_EQ(-EINVAL, rvm_free(self->dev, res, 0, 0));
	EXPECT_EQ(-EINVAL, rvm_free(self->dev, res, 0, RELEASE | 0x100));
	EXPECT_EQ(-EINVAL, rvm_free(self->dev, 0, 0, RELEASE));
	EXPECT_EQ(-EOPNOTSUPP, rvm_free(self->dev, res, 0, RELEASE |
					REMOTEVM_MEM_PRESERVE_PLACEHOLDER));
	EXPECT_EQ(-EOPNOTSUPP, rvm_free(self->dev, res, 0,
					REMOTEVM_MEM_COALESCE_PLACEHOLDERS));
	EXPECT_EQ(0, rvm_free(self->dev, res, 0, RELEASE));
}

/*
 * The target took part of an allocation back (unmapped it and mapped its
 * own memory there): remotevm must not unmap any of it.
 */
TEST_F(attached, release_after_the_target_reused_the_range_is_refused)
{
	uint64_t res;
	char before[65536];

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 8 * PAGE, COMMIT | RESERVE, RW, &res));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "K %llx %llx",
			       (unsigned long long)res + 2 * PAGE, 2 * PAGE));
	ASSERT_EQ(0, target_write(&self->t, res + 2 * PAGE, 2 * PAGE, 0x99));
	strcpy(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, res, 8 * PAGE, DECOMMIT));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, res, 0, RELEASE));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, res, 0, RELEASE));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(0x99, target_read(&self->t, res + 2 * PAGE, 2 * PAGE));
}

TEST_F(attached, release_on_close_cleans_up_and_is_off_by_default)
{
	struct remotevm_attach attach = { .pid = self->t.pid,
		.flags = REMOTEVM_ATTACH_RELEASE_ON_CLOSE };
	uint64_t kept, dropped[3];
	char perms[5];
	int dev, i;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, &kept));
	dev = rvm_open();
	attach.mem_fd = proc_mem_open(self->t.pid, O_RDWR);
	ASSERT_EQ(0, ioctl(dev, REMOTEVM_IOC_ATTACH, &attach));
	close(attach.mem_fd);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, rvm_alloc(dev, 0, 2 * PAGE, COMMIT | RESERVE, RW, &dropped[i]));
	close(dev);
	for (i = 0; i < 3; i++)
		EXPECT_NE(0, maps_find(self->t.pid, dropped[i], perms, NULL, NULL));
	/* The other handle's allocation, made without the flag, stays. */
	close(self->dev);
	self->dev = rvm_open();
	EXPECT_EQ(0, maps_find(self->t.pid, kept, perms, NULL, NULL));
	EXPECT_EQ(0, target_write(&self->t, kept, PAGE, 1));
	attach.flags = 1ULL << 1;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_ATTACH, &attach));
	EXPECT_EQ(EINVAL, errno);
}

/* As on Windows, allocations outlive the handle that made them. */
TEST_F(attached, allocations_outlive_their_handle)
{
	struct remotevm_region r;
	uint64_t res;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 8 * PAGE, RESERVE,
			       REMOTEVM_PAGE_EXECUTE_READ, &res));
	close(self->dev);
	self->dev = rvm_open();
	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, rvm_query(self->dev, res + PAGE, &r));
	EXPECT_EQ(res, r.allocation_base);
	EXPECT_EQ(REMOTEVM_PAGE_EXECUTE_READ, r.allocation_protect);
	EXPECT_EQ(7 * PAGE, r.region_size);
	EXPECT_EQ(0, rvm_alloc(self->dev, res + PAGE, PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(0, target_write(&self->t, res + PAGE, PAGE, 0x21));
	EXPECT_EQ(0, rvm_free(self->dev, res, 0, RELEASE));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, res, 0, RELEASE));
}

/*
 * While a target holds remotevm allocations, their record (and so the
 * module) must stay even with no handle open.
 */
TEST_F(attached, module_stays_while_a_target_holds_allocations)
{
	uint64_t res;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, RESERVE, RW, &res));
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(-1, syscall(__NR_delete_module, "remotevm", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	self->dev = rvm_open();
	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	EXPECT_EQ(0, rvm_free(self->dev, res, 0, RELEASE));
}

TEST_F(attached, reset_drops_contents_and_undo_reports_them_gone)
{
	uint64_t res;
	char perms[5];

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 8 * PAGE, RESERVE, RW, &res));
	ASSERT_EQ(0, rvm_alloc(self->dev, res, 4 * PAGE, COMMIT, RW, NULL));
	ASSERT_EQ(0, target_write(&self->t, res, 4 * PAGE, 0x55));
	EXPECT_EQ(0, rvm_alloc(self->dev, res, 2 * PAGE, REMOTEVM_MEM_RESET, RW, NULL));
	EXPECT_EQ(0, target_read(&self->t, res, 2 * PAGE));
	EXPECT_EQ(0x55, target_read(&self->t, res + 2 * PAGE, 2 * PAGE));
	ASSERT_EQ(0, maps_find(self->t.pid, res, perms, NULL, NULL));
	EXPECT_STREQ("rw-p", perms);
	EXPECT_EQ(-ENODATA, rvm_alloc(self->dev, res, 2 * PAGE,
				      REMOTEVM_MEM_RESET_UNDO, RW, NULL));
	/* Only committed pages; MEM_RESET stands alone; a valid protection. */
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, res, 8 * PAGE,
					    REMOTEVM_MEM_RESET, RW, NULL));
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, res, PAGE, REMOTEVM_MEM_RESET | COMMIT,
				     RW, NULL));
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, res, PAGE, REMOTEVM_MEM_RESET, 0, NULL));
	EXPECT_EQ(-EINVAL, rvm_alloc(self->dev, 0, PAGE, REMOTEVM_MEM_RESET, RW, NULL));
}

TEST_F(attached, query_free_reserved_committed)
{
	struct remotevm_region r;
	uint64_t res;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 16 * PAGE, RESERVE,
			       REMOTEVM_PAGE_EXECUTE_READWRITE, &res));
	ASSERT_EQ(0, rvm_alloc(self->dev, res + 4 * PAGE, 4 * PAGE, COMMIT, RW, NULL));

	ASSERT_EQ(0, rvm_query(self->dev, res + 100, &r));
	EXPECT_EQ(res, r.base_address);
	EXPECT_EQ(res, r.allocation_base);
	EXPECT_EQ(REMOTEVM_PAGE_EXECUTE_READWRITE, r.allocation_protect);
	EXPECT_EQ(REMOTEVM_MEM_RESERVE, r.state);
	EXPECT_EQ(0, r.protect);
	EXPECT_EQ(REMOTEVM_MEM_PRIVATE, r.type);
	EXPECT_EQ(4 * PAGE, r.region_size);

	ASSERT_EQ(0, rvm_query(self->dev, res + 5 * PAGE, &r));
	EXPECT_EQ(res + 5 * PAGE, r.base_address);
	EXPECT_EQ(res, r.allocation_base);
	EXPECT_EQ(REMOTEVM_MEM_COMMIT, r.state);
	EXPECT_EQ(RW, r.protect);
	EXPECT_EQ(3 * PAGE, r.region_size);

	ASSERT_EQ(0, rvm_query(self->dev, res + 8 * PAGE, &r));
	EXPECT_EQ(REMOTEVM_MEM_RESERVE, r.state);
	EXPECT_EQ(8 * PAGE, r.region_size);

	ASSERT_EQ(0, rvm_free(self->dev, res, 0, RELEASE));
	ASSERT_EQ(0, rvm_query(self->dev, res + PAGE, &r));
	EXPECT_EQ(REMOTEVM_MEM_FREE, r.state);
	EXPECT_EQ(0, r.allocation_base);
	EXPECT_EQ(0, r.type);
	EXPECT_LE(15 * PAGE, r.region_size);

	EXPECT_EQ(-EINVAL, rvm_query(self->dev, 1ULL << 60, &r));
}

TEST_F(attached, query_mapped_and_image_regions_of_the_target)
{
	struct remotevm_region r;
	char reply[64];
	unsigned long long file;
	uint64_t start;
	char perms[5];

	/* Its own code: an image, the allocation based at the ELF's start. */
	ASSERT_EQ(0, rvm_query(self->dev, self->t.code, &r));
	EXPECT_EQ(REMOTEVM_MEM_IMAGE, r.type);
	EXPECT_EQ(REMOTEVM_MEM_COMMIT, r.state);
	EXPECT_EQ(REMOTEVM_PAGE_EXECUTE_READ, r.protect);
	EXPECT_GT(r.base_address, r.allocation_base);
	ASSERT_EQ(0, maps_find(self->t.pid, r.allocation_base, perms, &start, NULL));
	EXPECT_EQ(start, r.allocation_base);
	/* A shared file mapping. */
	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "N %s",
			       helper_path("remotevm_target")));
	ASSERT_EQ(1, sscanf(reply, "%llx", &file));
	ASSERT_EQ(0, rvm_query(self->dev, file, &r));
	EXPECT_EQ(REMOTEVM_MEM_MAPPED, r.type);
	EXPECT_EQ(REMOTEVM_PAGE_READONLY, r.protect);
	EXPECT_EQ(PAGE, r.region_size);
}

TEST_F(attached, regions_list_a_range_in_order_and_continue)
{
	struct remotevm_region regions[8];
	struct remotevm_regions req = {
		.regions = (uintptr_t)regions,
		.count = 8,
		.region_size = sizeof(regions[0]),
	};
	uint64_t res, addr, covered = 0;
	int calls = 0;
	uint32_t i;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 16 * PAGE, RESERVE, RW, &res));
	ASSERT_EQ(0, rvm_alloc(self->dev, res + 4 * PAGE, 4 * PAGE, COMMIT, RW, NULL));
	req.start = res;
	req.end = res + 16 * PAGE;
	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_REGIONS, &req));
	ASSERT_EQ(3, req.count);
	EXPECT_EQ(res + 16 * PAGE, req.next);
	EXPECT_EQ(REMOTEVM_MEM_RESERVE, regions[0].state);
	EXPECT_EQ(4 * PAGE, regions[0].region_size);
	EXPECT_EQ(REMOTEVM_MEM_COMMIT, regions[1].state);
	EXPECT_EQ(res + 4 * PAGE, regions[1].base_address);
	EXPECT_EQ(4 * PAGE, regions[1].region_size);
	EXPECT_EQ(REMOTEVM_MEM_RESERVE, regions[2].state);
	EXPECT_EQ(8 * PAGE, regions[2].region_size);

	/* The whole address space, 8 regions at a time, without a gap. */
	addr = 0;
	do {
		req.start = addr;
		req.end = 1ULL << 47;
		req.count = 8;
		ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_REGIONS, &req));
		for (i = 0; i < req.count; i++) {
			EXPECT_EQ(addr, regions[i].base_address);
			addr += regions[i].region_size;
			covered += regions[i].region_size;
		}
		/* Past the top of the target's address space: done. */
		if (req.next != req.end)
			EXPECT_EQ(addr, req.next);
	} while (req.next != req.end && ++calls < 1000);
	EXPECT_LE((1ULL << 47) - PAGE, covered);

	req.count = 0;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_REGIONS, &req));
	EXPECT_EQ(EINVAL, errno);
	req.count = 1;
	req.start = req.end;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_REGIONS, &req));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(attached, protect_fresh_pages)
{
	uint32_t old = 0;
	uint64_t addr;
	char perms[5];
	int r, w;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 4 * PAGE, COMMIT | RESERVE, RW, &addr));
	ASSERT_EQ(0, rvm_protect(self->dev, addr, 4 * PAGE, REMOTEVM_PAGE_READONLY, 0, &old));
	EXPECT_EQ(RW, old);
	ASSERT_EQ(0, maps_find(self->t.pid, addr, perms, NULL, NULL));
	EXPECT_STREQ("r--p", perms);
	ASSERT_EQ(0, target_probe(&self->t, addr, &r, &w));
	EXPECT_EQ(1, r);
	EXPECT_EQ(0, w);
	/* The same protection again is a no-op that reports it. */
	ASSERT_EQ(0, rvm_protect(self->dev, addr, PAGE, REMOTEVM_PAGE_READONLY, 0, &old));
	EXPECT_EQ(REMOTEVM_PAGE_READONLY, old);
}

TEST_F(attached, protect_pages_with_data_needs_copy_and_keeps_it)
{
	uint32_t old = 0;
	uint64_t addr, res;
	char perms[5], before[65536];

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 4 * PAGE, COMMIT | RESERVE, RW, &addr));
	ASSERT_EQ(0, target_write(&self->t, addr, 4 * PAGE, 0xc3));
	strcpy(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(-EBUSY, rvm_protect(self->dev, addr, 4 * PAGE,
				      REMOTEVM_PAGE_EXECUTE_READ, 0, NULL));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));

	ASSERT_EQ(0, rvm_protect(self->dev, addr, 4 * PAGE, REMOTEVM_PAGE_EXECUTE_READ,
				 REMOTEVM_PROTECT_COPY, &old));
	EXPECT_EQ(RW, old);
	ASSERT_EQ(0, maps_find(self->t.pid, addr, perms, NULL, NULL));
	EXPECT_STREQ("r-xp", perms);
	EXPECT_EQ(0xc3, target_read(&self->t, addr, 4 * PAGE));
	/* And back, through PAGE_NOACCESS. */
	ASSERT_EQ(0, rvm_protect(self->dev, addr, 4 * PAGE, REMOTEVM_PAGE_NOACCESS,
				 REMOTEVM_PROTECT_COPY, NULL));
	ASSERT_EQ(0, rvm_protect(self->dev, addr, 4 * PAGE, RW,
				 REMOTEVM_PROTECT_COPY, &old));
	EXPECT_EQ(REMOTEVM_PAGE_NOACCESS, old);
	EXPECT_EQ(0xc3, target_read(&self->t, addr, 4 * PAGE));

	/* Only committed pages of remotevm's; valid arguments. */
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 4 * PAGE, RESERVE, RW, &res));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_protect(self->dev, res, PAGE, RW, 0, NULL));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_protect(self->dev, self->t.code, PAGE, RW, 0, NULL));
	EXPECT_EQ(-EINVAL, rvm_protect(self->dev, addr, PAGE, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, rvm_protect(self->dev, addr, PAGE, RW, 2, NULL));
	EXPECT_EQ(-EOPNOTSUPP, rvm_protect(self->dev, addr, PAGE,
					   REMOTEVM_PAGE_WRITECOPY, 0, NULL));
}

TEST_F(attached, batch_mixes_every_operation)
{
	struct remotevm_op ops[4] = {
		{ .code = REMOTEVM_OP_ALLOC, .alloc = { .size = 4 * PAGE,
		  .allocation_type = COMMIT | RESERVE, .page_protection = RW } },
		{ .code = REMOTEVM_OP_QUERY },
		{ .code = REMOTEVM_OP_PROTECT },
		{ .code = REMOTEVM_OP_FREE },
	};
	struct remotevm_batch batch = {
		.ops = (uintptr_t)ops, .count = 1, .op_size = sizeof(ops[0]),
	};
	uint64_t addr;

	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch) ? -errno : 0);
	addr = ops[0].alloc.allocated_address;
	ops[1].query.address = addr;
	ops[2].protect = (struct remotevm_protect){ .address = addr, .size = PAGE,
		.new_protection = REMOTEVM_PAGE_READONLY };
	ops[3].free = (struct remotevm_free){ .address = addr,
		.free_type = RELEASE };
	batch.ops = (uintptr_t)&ops[1];
	batch.count = 3;
	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch));
	EXPECT_EQ(3, batch.completed);
	EXPECT_EQ(REMOTEVM_MEM_COMMIT, ops[1].query.region.state);
	EXPECT_EQ(4 * PAGE, ops[1].query.region.region_size);
	EXPECT_EQ(RW, ops[2].protect.old_protection);
	EXPECT_EQ(0, ops[3].error);
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, addr, 0, RELEASE));
}

/* ------------------------------------------------------------------ */
/* Batches                                                            */
/* ------------------------------------------------------------------ */

TEST_F(attached, batch_runs_every_operation_in_order)
{
	struct remotevm_op ops[64];
	uint32_t completed, i;

	for (i = 0; i < 64; i++)
		ops[i] = alloc_op(0, (i + 1) * PAGE, COMMIT | RESERVE);
	ASSERT_EQ(0, rvm_batch(self->dev, ops, 64, &completed));
	EXPECT_EQ(64, completed);
	for (i = 0; i < 64; i++) {
		EXPECT_EQ(0, ops[i].error);
		EXPECT_EQ((i + 1) * PAGE, ops[i].alloc.allocated_size);
		EXPECT_EQ(0, target_write(&self->t, ops[i].alloc.allocated_address,
					  (i + 1) * PAGE, i));
	}
	for (i = 0; i < 64; i++)
		EXPECT_EQ((int)i, target_read(&self->t, ops[i].alloc.allocated_address,
					      (i + 1) * PAGE));
}

TEST_F(attached, batch_stops_at_the_first_failure)
{
	uint64_t hole = target_hole(&self->t, 1 << 20);
	struct remotevm_op ops[3];
	char perms[5];
	uint32_t completed;

	ASSERT_NE(0, hole);
	ops[0] = alloc_op(0, PAGE, COMMIT | RESERVE);
	ops[1] = alloc_op(hole, PAGE, COMMIT);	/* not reserved */
	ops[2] = alloc_op(hole + (1 << 19), PAGE, RESERVE);
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_batch(self->dev, ops, 3, &completed));
	EXPECT_EQ(1, completed);
	EXPECT_EQ(0, ops[0].error);
	EXPECT_EQ(0, maps_find(self->t.pid, ops[0].alloc.allocated_address, perms,
			       NULL, NULL));
	EXPECT_EQ(-EADDRNOTAVAIL, ops[1].error);
	EXPECT_EQ(0x7f7f7f7f, ops[2].error);
	EXPECT_NE(0, maps_find(self->t.pid, hole + (1 << 19), perms, NULL, NULL));
}

/*
 * Alike allocations in a batch may share one mapping, but each is an
 * allocation of its own: queried, written and released alone.
 */
TEST_F(attached, batch_of_alike_allocations_makes_separate_ones)
{
	struct remotevm_region region;
	struct remotevm_op ops[16];
	uint32_t completed, i, j;
	char perms[5];

	for (i = 0; i < 16; i++)
		ops[i] = alloc_op(0, 3 * PAGE - 100, COMMIT | RESERVE);
	ASSERT_EQ(0, rvm_batch(self->dev, ops, 16, &completed));
	ASSERT_EQ(16, completed);
	for (i = 0; i < 16; i++) {
		uint64_t addr = ops[i].alloc.allocated_address;

		EXPECT_EQ(0, ops[i].error);
		EXPECT_EQ(3 * PAGE, ops[i].alloc.allocated_size);
		EXPECT_EQ(0, addr % PAGE);
		for (j = 0; j < i; j++)
			EXPECT_TRUE(addr + 3 * PAGE <= ops[j].alloc.allocated_address ||
				    ops[j].alloc.allocated_address + 3 * PAGE <= addr);
		ASSERT_EQ(0, rvm_query(self->dev, addr + PAGE, &region));
		EXPECT_EQ(addr, region.allocation_base);
		EXPECT_EQ(REMOTEVM_MEM_COMMIT, region.state);
		EXPECT_EQ(0, target_write(&self->t, addr, 3 * PAGE, i));
	}
	/* Every other one, then the rest: each release splits the mapping. */
	for (i = 0; i < 16; i += 2)
		EXPECT_EQ(0, rvm_free(self->dev, ops[i].alloc.allocated_address, 0,
				      RELEASE));
	for (i = 1; i < 16; i += 2) {
		uint64_t addr = ops[i].alloc.allocated_address;

		EXPECT_EQ((int)i, target_read(&self->t, addr, 3 * PAGE));
		EXPECT_EQ(0, rvm_free(self->dev, addr, 0, RELEASE));
		EXPECT_NE(0, maps_find(self->t.pid, addr, perms, NULL, NULL));
	}
	for (i = 0; i < 16; i += 2)
		EXPECT_NE(0, maps_find(self->t.pid, ops[i].alloc.allocated_address,
				       perms, NULL, NULL));
}

/*
 * Releases of adjacent allocations may share one unmap, but stop, as one
 * by one, at the first that fails: not a base, or no longer remotevm's.
 */
TEST_F(attached, batch_release_of_adjacent_allocations_stops_at_a_bad_one)
{
	struct remotevm_op ops[8], frees[8];
	struct remotevm_region region;
	uint32_t completed, i;
	char perms[5];

	for (i = 0; i < 8; i++)
		ops[i] = alloc_op(0, PAGE, COMMIT | RESERVE);
	ASSERT_EQ(0, rvm_batch(self->dev, ops, 8, &completed));
	for (i = 0; i < 8; i++)
		frees[i] = release_op(ops[i].alloc.allocated_address);

	frees[2].free.address += 1;
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_batch(self->dev, frees, 4, &completed));
	EXPECT_EQ(2, completed);
	EXPECT_EQ(0, frees[0].error);
	EXPECT_EQ(0, frees[1].error);
	EXPECT_EQ(-EADDRNOTAVAIL, frees[2].error);
	EXPECT_EQ(0x7f7f7f7f, frees[3].error);
	for (i = 0; i < 2; i++)
		EXPECT_NE(0, maps_find(self->t.pid, ops[i].alloc.allocated_address,
				       perms, NULL, NULL));
	for (i = 2; i < 8; i++) {
		ASSERT_EQ(0, rvm_query(self->dev, ops[i].alloc.allocated_address,
				       &region));
		EXPECT_EQ(ops[i].alloc.allocated_address, region.allocation_base);
	}

	/* The target unmaps allocation 5 itself: remotevm leaves it alone. */
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "U %llx %llx",
			       (unsigned long long)ops[5].alloc.allocated_address,
			       (unsigned long long)PAGE));
	for (i = 2; i < 8; i++)
		frees[i] = release_op(ops[i].alloc.allocated_address);
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_batch(self->dev, &frees[2], 6, &completed));
	EXPECT_EQ(3, completed);
	EXPECT_EQ(-EADDRNOTAVAIL, frees[5].error);
	EXPECT_EQ(0x7f7f7f7f, frees[6].error);
	for (i = 2; i < 5; i++)
		EXPECT_NE(0, maps_find(self->t.pid, ops[i].alloc.allocated_address,
				       perms, NULL, NULL));
	for (i = 6; i < 8; i++)
		EXPECT_EQ(0, maps_find(self->t.pid, ops[i].alloc.allocated_address,
				       perms, NULL, NULL));
	EXPECT_EQ(0, rvm_batch(self->dev, &frees[6], 2, &completed));
	EXPECT_EQ(2, completed);
}

TEST_F(attached, batch_is_validated_whole_before_anything_runs)
{
	uint64_t hole = target_hole(&self->t, 1 << 20);
	struct remotevm_op ops[2];
	struct remotevm_batch batch = {
		.ops = (uintptr_t)ops,
		.count = 2,
		.op_size = sizeof(ops[0]),
	};
	char perms[5];
	uint32_t completed;

	ops[0] = alloc_op(hole, PAGE, RESERVE);
	ops[1] = alloc_op(0, PAGE, COMMIT);
	ops[1].code = 99;
	EXPECT_EQ(-EINVAL, rvm_batch(self->dev, ops, 2, &completed));
	ops[1] = alloc_op(0, PAGE, COMMIT);
	ops[1].pad = 1;
	EXPECT_EQ(-EINVAL, rvm_batch(self->dev, ops, 2, &completed));
	ops[1] = alloc_op(0, PAGE, COMMIT);
	ops[1].alloc.page_protection = 0;
	EXPECT_EQ(-EINVAL, rvm_batch(self->dev, ops, 2, &completed));
	ops[1] = alloc_op(0, PAGE, COMMIT);
	ops[1].reserved[15] = 1;
	EXPECT_EQ(-E2BIG, rvm_batch(self->dev, ops, 2, &completed));
	EXPECT_NE(0, maps_find(self->t.pid, hole, perms, NULL, NULL));

	ops[1] = alloc_op(0, PAGE, COMMIT);
	batch.count = 0;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch));
	EXPECT_EQ(EINVAL, errno);
	batch.count = REMOTEVM_BATCH_MAX + 1;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch));
	EXPECT_EQ(EINVAL, errno);
	batch.count = 2;
	batch.op_size = sizeof(ops[0]) - 8;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch));
	EXPECT_EQ(EINVAL, errno);
	batch.op_size = sizeof(ops[0]);
	batch.flags = 1;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch));
	EXPECT_EQ(EINVAL, errno);
	batch.flags = 0;
	batch.ops = 16;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_NE(0, maps_find(self->t.pid, hole, perms, NULL, NULL));
}

/* A caller built against a newer header: larger ops, zero tails. */
TEST_F(attached, batch_accepts_larger_ops_with_zero_tails)
{
	struct newer_op {
		struct remotevm_op op;
		uint64_t tail;
	} ops[2] = {
		{ .op = alloc_op(0, PAGE, COMMIT | RESERVE) },
		{ .op = alloc_op(0, PAGE, COMMIT | RESERVE) },
	};
	struct remotevm_batch batch = {
		.ops = (uintptr_t)ops,
		.count = 2,
		.op_size = sizeof(ops[0]),
	};

	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch));
	EXPECT_EQ(2, batch.completed);
	EXPECT_EQ(0, ops[1].op.error);
	EXPECT_EQ(0, target_write(&self->t, ops[1].op.alloc.allocated_address, PAGE, 1));
	ops[1].tail = 1;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch));
	EXPECT_EQ(E2BIG, errno);
}

/* ------------------------------------------------------------------ */
/* Concurrency                                                        */
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

FIXTURE(nothing) {
};

FIXTURE_SETUP(nothing)
{
}

FIXTURE_TEARDOWN(nothing)
{
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

/* ------------------------------------------------------------------ */
/* The polling worker                                                 */
/* ------------------------------------------------------------------ */

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
