// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of libremotevm against the real module, built with ASan and UBSan:
 * the plain C API and every method and HRESULT path of the COM face.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COBJMACROS
#include <remotevm/jscript9diag.h>
#include <remotevm/remotevm.h>

#include "kselftest_harness.h"
#include "target.h"

#define PAGE 4096u

/* Whether @pid maps @addr, with @perms if not NULL. */
static int in_maps(pid_t pid, uint64_t addr, const char *perms)
{
	char p[5];

	return !maps_find(pid, addr, p, NULL, NULL) && (!perms || !strcmp(p, perms));
}

FIXTURE(lib) {
	struct target t;
	struct remotevm *rvm;
};

FIXTURE_SETUP(lib)
{
	ASSERT_EQ(0, target_start(&self->t));
	ASSERT_EQ(0, remotevm__open(self->t.pid, NULL, &self->rvm));
}

FIXTURE_TEARDOWN(lib)
{
	remotevm__close(self->rvm);
	target_stop(&self->t);
}

TEST(open_validates_and_reports_errno)
{
	struct remotevm_open_opts tiny = { .sz = 1 };
	struct remotevm *rvm = (struct remotevm *)0x1;

	EXPECT_EQ(-EINVAL, remotevm__open(getpid(), NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, remotevm__open(0, NULL, &rvm));
	EXPECT_EQ(-EINVAL, remotevm__open(getpid(), &tiny, &rvm));
	EXPECT_EQ(-ENOENT, remotevm__open(0x3ffffff, NULL, &rvm));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ((struct remotevm *)0x1, rvm);
	remotevm__close(NULL);
	EXPECT_EQ(-EINVAL, remotevm__alloc(NULL, 0, PAGE, REMOTEVM_MEM_COMMIT,
					   REMOTEVM_PAGE_READWRITE, NULL, NULL, NULL));
	EXPECT_EQ(-EINVAL, remotevm__free(NULL, 0, 0, 0));
}

/* opts.poll_us reaches the kernel, which bounds it. */
TEST(open_with_a_polling_worker)
{
	REMOTEVM_OPTS(remotevm_open_opts, opts, .poll_us = REMOTEVM_POLL_US_MAX + 1);
	struct remotevm *rvm;
	struct target t;
	uint64_t addr;

	ASSERT_EQ(0, target_start(&t));
	EXPECT_EQ(-EINVAL, remotevm__open(t.pid, &opts, &rvm));
	opts.poll_us = 100;
	ASSERT_EQ(0, remotevm__open(t.pid, &opts, &rvm));
	EXPECT_EQ(0, remotevm__alloc(rvm, 0, PAGE, REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE,
				     REMOTEVM_PAGE_READWRITE, NULL, &addr, NULL));
	EXPECT_EQ(0, remotevm__free(rvm, addr, 0, REMOTEVM_MEM_RELEASE));
	remotevm__close(rvm);
	target_stop(&t);
}

TEST_F(lib, alloc_write_read_query_free)
{
	struct remotevm_region region;
	char buf[2 * PAGE], back[2 * PAGE];
	uint64_t addr = 0, size = 0;

	ASSERT_EQ(0, remotevm__alloc(self->rvm, 0, 2 * PAGE,
				     REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE,
				     REMOTEVM_PAGE_READWRITE, NULL, &addr, &size));
	EXPECT_EQ(2 * PAGE, size);
	EXPECT_TRUE(in_maps(self->t.pid, addr, "rw-p"));
	memset(buf, 0x3c, sizeof(buf));
	EXPECT_EQ((ssize_t)sizeof(buf), remotevm__write(self->rvm, addr, buf, sizeof(buf)));
	/* The target sees what the library wrote. */
	EXPECT_EQ(0x3c, target_read(&self->t, addr, sizeof(buf)));
	EXPECT_EQ((ssize_t)sizeof(back), remotevm__read(self->rvm, addr, back, sizeof(back)));
	EXPECT_EQ(0, memcmp(buf, back, sizeof(buf)));

	ASSERT_EQ(0, remotevm__query(self->rvm, addr, &region, sizeof(region)));
	EXPECT_EQ(REMOTEVM_MEM_COMMIT, region.state);
	EXPECT_EQ(addr, region.allocation_base);
	ASSERT_EQ(0, remotevm__free(self->rvm, addr, 0, REMOTEVM_MEM_RELEASE));
	EXPECT_FALSE(in_maps(self->t.pid, addr, NULL));
	EXPECT_EQ(-EADDRNOTAVAIL, remotevm__free(self->rvm, addr, 0, REMOTEVM_MEM_RELEASE));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
}

TEST_F(lib, read_stops_at_the_first_inaccessible_page)
{
	char buf[2 * PAGE];
	uint64_t addr;

	ASSERT_EQ(0, remotevm__alloc(self->rvm, 0, 2 * PAGE, REMOTEVM_MEM_RESERVE,
				     REMOTEVM_PAGE_READWRITE, NULL, &addr, NULL));
	ASSERT_EQ(0, remotevm__alloc(self->rvm, addr, PAGE, REMOTEVM_MEM_COMMIT,
				     REMOTEVM_PAGE_READWRITE, NULL, NULL, NULL));
	EXPECT_EQ(PAGE, remotevm__read(self->rvm, addr, buf, sizeof(buf)));
	EXPECT_GT(0, remotevm__read(self->rvm, addr + PAGE, buf, PAGE));
}

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Whether a page is readable and its bytes are one answer: the target
 * flips a page between PROT_NONE (zeros) and read-write (0xab) while the
 * tool reads it. A read that checks first and copies after, unlocked, can
 * return the PROT_NONE page's zeros as data; libremotevm through
 * REGIONS and /proc/PID/mem did, within a few thousand reads.
 */
TEST_F(lib, read_never_returns_a_page_the_target_made_inaccessible)
{
	unsigned char buf[PAGE];
	unsigned long good = 0, refused = 0, torn = 0;
	double deadline = seconds_now() + 5;
	char reply[64];
	uint64_t page;

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "M %x 0", PAGE));
	page = strtoull(reply, NULL, 16);
	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "V %llx",
			       (unsigned long long)page));
	while ((good < 2000 || refused < 2000) && seconds_now() < deadline) {
		ssize_t n = remotevm__read(self->rvm, page, buf, sizeof(buf));

		if (n < 0)
			refused++;
		else if (n != PAGE || memchr(buf, 0, sizeof(buf)))
			torn++;
		else
			good++;
		if (torn)
			break;
	}
	TH_LOG("%lu reads of 0xab, %lu refused, %lu with zeros", good, refused, torn);
	EXPECT_EQ(0, torn);
	/* Both states were seen: the reads did race the flips. */
	EXPECT_LT(0, good);
	EXPECT_LT(0, refused);
}

TEST_F(lib, regions_protect_batch)
{
	struct remotevm_region regions[4];
	struct remotevm_op ops[2] = {
		{ .code = REMOTEVM_OP_ALLOC, .alloc = { .size = PAGE,
		  .allocation_type = REMOTEVM_MEM_COMMIT,
		  .page_protection = REMOTEVM_PAGE_READWRITE } },
		{ .code = REMOTEVM_OP_ALLOC, .alloc = { .size = PAGE,
		  .allocation_type = REMOTEVM_MEM_COMMIT,
		  .page_protection = REMOTEVM_PAGE_READWRITE } },
	};
	uint32_t count = 4, completed = 0, old = 0;
	uint64_t next = 0;

	ASSERT_EQ(0, remotevm__batch(self->rvm, ops, 2, sizeof(ops[0]), &completed));
	EXPECT_EQ(2, completed);
	ASSERT_EQ(0, remotevm__regions(self->rvm, ops[0].alloc.allocated_address,
				       ops[0].alloc.allocated_address + PAGE,
				       regions, sizeof(regions[0]), &count, &next));
	EXPECT_EQ(1, count);
	EXPECT_EQ(ops[0].alloc.allocated_address + PAGE, next);
	ASSERT_EQ(0, remotevm__protect(self->rvm, ops[1].alloc.allocated_address, PAGE,
				       REMOTEVM_PAGE_READONLY, 0, &old));
	EXPECT_EQ(REMOTEVM_PAGE_READWRITE, old);
	EXPECT_TRUE(in_maps(self->t.pid, ops[1].alloc.allocated_address, "r--p"));
}

TEST_F(lib, open_with_a_brokers_mem_fd_and_release_on_close)
{
	REMOTEVM_OPTS(remotevm_open_opts, opts, .release_on_close = true);
	struct remotevm *rvm;
	char path[64];
	uint64_t addr;

	snprintf(path, sizeof(path), "/proc/%d/mem", self->t.pid);
	opts.mem_fd = open(path, O_RDWR);
	ASSERT_LE(0, opts.mem_fd);
	ASSERT_EQ(0, remotevm__open(self->t.pid, &opts, &rvm));
	/* The handle keeps its own duplicate. */
	close(opts.mem_fd);
	EXPECT_EQ(self->t.pid, remotevm__pid(rvm));
	ASSERT_EQ(0, remotevm__alloc(rvm, 0, PAGE, REMOTEVM_MEM_COMMIT,
				     REMOTEVM_PAGE_READWRITE, NULL, &addr, NULL));
	EXPECT_EQ(1, remotevm__write(rvm, addr, "x", 1));
	EXPECT_TRUE(in_maps(self->t.pid, addr, NULL));
	remotevm__close(rvm);
	EXPECT_FALSE(in_maps(self->t.pid, addr, NULL));
}

/* ------------------------------------------------------------------ */
/* The library's own ABI                                              */
/* ------------------------------------------------------------------ */

/*
 * These tests also run as libremotevm_compat_test: this file, built with
 * today's headers, linked with a library built against a uapi in which
 * struct remotevm_region and struct remotevm_op have grown (see
 * userlib/build.mk). There, they are an older application on a newer
 * library: a library that used its own sizeof for the caller's structs
 * would write past them or read them at the wrong stride.
 */

#define GUARD 0xa5

static int all_bytes(const void *bytes, int value, size_t len)
{
	const unsigned char *b = bytes;

	while (len--)
		if (*b++ != value)
			return 0;
	return 1;
}

/* A 64 KiB-aligned free address of the target, with 128 KiB free from it. */
static uint64_t free_base(struct target *t)
{
	return (target_hole(t, 1 << 20) + 0xffff) & ~0xffffULL;
}

/* struct remotevm_alloc_opts as a caller built before alignment existed. */
struct alloc_opts_without_alignment {
	size_t sz;
	uint64_t lowest;
	uint64_t highest;
};

/* ... and as a caller built against a later library sees it. */
struct alloc_opts_with_a_later_field {
	size_t sz;
	uint64_t lowest;
	uint64_t highest;
	uint64_t alignment;
	uint64_t later;
};

TEST_F(lib, alloc_opts_of_an_older_caller_end_at_its_size)
{
	/* Heap-allocated to its own size: ASan sees any read past it. */
	struct alloc_opts_without_alignment *old = calloc(1, sizeof(*old));
	uint64_t addr = 0, floor = self->t.code + (1ULL << 32);

	ASSERT_NE(NULL, old);
	old->sz = sizeof(*old);
	old->lowest = floor;
	ASSERT_EQ(0, remotevm__alloc(self->rvm, 0, PAGE,
				     REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE,
				     REMOTEVM_PAGE_READWRITE,
				     (const struct remotevm_alloc_opts *)old, &addr,
				     NULL));
	EXPECT_LE(floor, addr);
	EXPECT_TRUE(in_maps(self->t.pid, addr, "rw-p"));
	free(old);
}

TEST_F(lib, opts_with_unknown_fields_set_are_refused_and_do_nothing)
{
	struct alloc_opts_with_a_later_field newer;
	struct {
		struct remotevm_open_opts known;
		uint64_t later;
	} open_newer;
	uint64_t hole = free_base(&self->t), addr = 0;
	struct remotevm *rvm = NULL;

	ASSERT_NE(0, hole);
	memset(&newer, 0, sizeof(newer));
	newer.sz = sizeof(newer);
	newer.later = 1;
	EXPECT_EQ(-EINVAL, remotevm__alloc(self->rvm, hole, PAGE,
					   REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE,
					   REMOTEVM_PAGE_READWRITE,
					   (const struct remotevm_alloc_opts *)&newer,
					   &addr, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, addr);
	EXPECT_FALSE(in_maps(self->t.pid, hole, NULL));
	/* Known-zero is what an older library assumes: accepted. */
	newer.later = 0;
	EXPECT_EQ(0, remotevm__alloc(self->rvm, hole, PAGE,
				     REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE,
				     REMOTEVM_PAGE_READWRITE,
				     (const struct remotevm_alloc_opts *)&newer,
				     &addr, NULL));
	EXPECT_EQ(hole, addr);

	memset(&open_newer, 0, sizeof(open_newer));
	open_newer.known.sz = sizeof(open_newer);
	open_newer.later = 1;
	EXPECT_EQ(-EINVAL, remotevm__open(self->t.pid, &open_newer.known, &rvm));
	EXPECT_EQ(NULL, rvm);
	open_newer.later = 0;
	EXPECT_EQ(0, remotevm__open(self->t.pid, &open_newer.known, &rvm));
	remotevm__close(rvm);
}

/* A reservation with its middle 64 KiB committed: three regions. */
static uint64_t three_regions(struct __test_metadata *_metadata,
			      struct remotevm *rvm)
{
	uint64_t addr = 0;

	EXPECT_EQ(0, remotevm__alloc(rvm, 0, 3 * 0x10000, REMOTEVM_MEM_RESERVE,
				     REMOTEVM_PAGE_READWRITE, NULL, &addr, NULL));
	EXPECT_EQ(0, remotevm__alloc(rvm, addr + 0x10000, 0x10000, REMOTEVM_MEM_COMMIT,
				     REMOTEVM_PAGE_READWRITE, NULL, NULL, NULL));
	return addr;
}

TEST_F(lib, query_and_regions_write_only_the_callers_structs)
{
	struct {
		struct remotevm_region region[3];
		unsigned char guard[64];
	} out;
	uint64_t addr = three_regions(_metadata, self->rvm), next = 0;
	uint32_t count = 3;
	int i;

	memset(&out, GUARD, sizeof(out));
	ASSERT_EQ(0, remotevm__regions(self->rvm, addr, addr + 3 * 0x10000,
				       out.region, sizeof(out.region[0]), &count, &next));
	ASSERT_EQ(3, count);
	EXPECT_EQ(addr + 3 * 0x10000, next);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(addr + i * 0x10000, out.region[i].base_address);
		EXPECT_EQ(0x10000, out.region[i].region_size);
		EXPECT_EQ(addr, out.region[i].allocation_base);
		EXPECT_EQ(i == 1 ? REMOTEVM_MEM_COMMIT : REMOTEVM_MEM_RESERVE,
			  out.region[i].state);
	}
	EXPECT_TRUE(all_bytes(out.guard, GUARD, sizeof(out.guard)));

	memset(&out, GUARD, sizeof(out));
	ASSERT_EQ(0, remotevm__query(self->rvm, addr + 0x10000, out.region,
				     sizeof(out.region[0])));
	EXPECT_EQ(REMOTEVM_MEM_COMMIT, out.region[0].state);
	EXPECT_EQ(addr + 0x10000, out.region[0].base_address);
	EXPECT_TRUE(all_bytes(&out.region[1], GUARD, sizeof(out) - sizeof(out.region[0])));
	/* Below the first published size, there is no struct to fill. */
	EXPECT_EQ(-EINVAL, remotevm__query(self->rvm, addr, out.region,
					   REMOTEVM_REGION_SIZE_VER0 - 8));
	EXPECT_TRUE(all_bytes(&out.region[1], GUARD, sizeof(out) - sizeof(out.region[0])));
}

/* A newer caller's region: a field after the ones the library knows. */
struct region_with_a_later_field {
	struct remotevm_region known;
	uint64_t later;
};

TEST_F(lib, query_and_regions_zero_a_newer_callers_unknown_fields)
{
	struct region_with_a_later_field out[4];
	uint64_t addr = three_regions(_metadata, self->rvm);
	uint32_t count = 4;
	int i;

	memset(out, GUARD, sizeof(out));
	ASSERT_EQ(0, remotevm__regions(self->rvm, addr, addr + 3 * 0x10000,
				       &out[0].known, sizeof(out[0]), &count, NULL));
	ASSERT_EQ(3, count);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(addr + i * 0x10000, out[i].known.base_address);
		EXPECT_EQ(0, out[i].later);
	}
	EXPECT_TRUE(all_bytes(&out[3], GUARD, sizeof(out[3])));

	memset(out, GUARD, sizeof(out));
	ASSERT_EQ(0, remotevm__query(self->rvm, addr + 0x20000, &out[0].known,
				     sizeof(out[0])));
	EXPECT_EQ(addr + 0x20000, out[0].known.base_address);
	EXPECT_EQ(REMOTEVM_MEM_RESERVE, out[0].known.state);
	EXPECT_EQ(0, out[0].later);
	EXPECT_TRUE(all_bytes(&out[1], GUARD, sizeof(out[1])));
}

static struct remotevm_op commit_op(uint64_t addr)
{
	struct remotevm_op op = {
		.code = REMOTEVM_OP_ALLOC,
		.alloc = {
			.address = addr,
			.size = PAGE,
			.allocation_type = REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE,
			.page_protection = REMOTEVM_PAGE_READWRITE,
		},
	};

	return op;
}

TEST_F(lib, batch_reads_and_writes_ops_at_the_callers_size)
{
	struct {
		struct remotevm_op op[2];
		unsigned char guard[64];
	} in;
	uint32_t completed = 0;
	int i;

	memset(&in, GUARD, sizeof(in));
	in.op[0] = commit_op(0);
	in.op[1] = commit_op(0);
	ASSERT_EQ(0, remotevm__batch(self->rvm, in.op, 2, sizeof(in.op[0]), &completed));
	EXPECT_EQ(2, completed);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, in.op[i].error);
		EXPECT_EQ(PAGE, in.op[i].alloc.allocated_size);
		EXPECT_TRUE(in_maps(self->t.pid, in.op[i].alloc.allocated_address, "rw-p"));
	}
	EXPECT_TRUE(all_bytes(in.guard, GUARD, sizeof(in.guard)));
}

/* A newer caller's op: a field after the ones the library knows. */
struct op_with_a_later_field {
	struct remotevm_op known;
	uint64_t later;
};

TEST_F(lib, batch_of_a_newer_caller_works_unless_it_sets_unknown_fields)
{
	struct op_with_a_later_field ops[2];
	uint64_t hole = free_base(&self->t);
	uint32_t completed = 0;
	int i;

	ASSERT_NE(0, hole);
	memset(ops, 0, sizeof(ops));
	ops[0].known = commit_op(hole);
	ops[1].known = commit_op(hole + 0x10000);
	ops[1].later = 1;
	EXPECT_EQ(-E2BIG, remotevm__batch(self->rvm, &ops[0].known, 2, sizeof(ops[0]),
					  &completed));
	EXPECT_FALSE(in_maps(self->t.pid, hole, NULL));
	EXPECT_FALSE(in_maps(self->t.pid, hole + 0x10000, NULL));

	ops[1].later = 0;
	ASSERT_EQ(0, remotevm__batch(self->rvm, &ops[0].known, 2, sizeof(ops[0]),
				     &completed));
	EXPECT_EQ(2, completed);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(hole + i * 0x10000, ops[i].known.alloc.allocated_address);
		EXPECT_EQ(0, ops[i].later);
	}
}

/* ------------------------------------------------------------------ */
/* IJsDebugDataTarget                                                 */
/* ------------------------------------------------------------------ */

FIXTURE(com) {
	struct target t;
	IJsDebugDataTarget *dt;
};

FIXTURE_SETUP(com)
{
	ASSERT_EQ(0, target_start(&self->t));
	ASSERT_EQ(S_OK, RemoteVmCreateDataTarget(self->t.pid, &self->dt));
}

FIXTURE_TEARDOWN(com)
{
	if (self->dt)
		IJsDebugDataTarget_Release(self->dt);
	target_stop(&self->t);
}

TEST(com_creation_errors)
{
	IJsDebugDataTarget *dt = (IJsDebugDataTarget *)0x1;

	EXPECT_EQ(E_POINTER, RemoteVmCreateDataTarget(getpid(), NULL));
	EXPECT_EQ(E_INVALIDARG, RemoteVmCreateDataTarget(0x3ffffff, &dt));
	EXPECT_EQ(NULL, dt);
	EXPECT_EQ(E_INVALIDARG, RemoteVmCreateDataTarget(-1, &dt));
}

TEST_F(com, query_interface_and_reference_counting)
{
	IJsDebugDataTarget *same = NULL;
	void *unknown = NULL, *nothing = (void *)0x1;

	EXPECT_EQ(S_OK, IJsDebugDataTarget_QueryInterface(self->dt, &IID_IJsDebugDataTarget,
							  (void **)&same));
	EXPECT_EQ(self->dt, same);
	EXPECT_EQ(S_OK, IJsDebugDataTarget_QueryInterface(self->dt, &IID_IUnknown, &unknown));
	EXPECT_EQ((void *)self->dt, unknown);
	EXPECT_EQ(E_NOINTERFACE, IJsDebugDataTarget_QueryInterface(self->dt,
								   &IID_IEnumJsStackFrames,
								   &nothing));
	EXPECT_EQ(NULL, nothing);
	EXPECT_EQ(E_POINTER, IJsDebugDataTarget_QueryInterface(self->dt, &IID_IUnknown, NULL));
	EXPECT_EQ(4, IJsDebugDataTarget_AddRef(self->dt));
	EXPECT_EQ(3, IJsDebugDataTarget_Release(self->dt));
	EXPECT_EQ(2, IJsDebugDataTarget_Release(same));
	EXPECT_EQ(1, IJsDebugDataTarget_Release(self->dt));
	EXPECT_EQ(0, IJsDebugDataTarget_Release(self->dt));
	self->dt = NULL;
}

TEST_F(com, allocate_and_free_with_win32_results)
{
	UINT64 addr = 0, other = 0;

	ASSERT_EQ(S_OK, IJsDebugDataTarget_AllocateVirtualMemory(self->dt, 0, 3 * PAGE,
								 MEM_COMMIT | MEM_RESERVE,
								 PAGE_EXECUTE_READWRITE,
								 &addr));
	EXPECT_TRUE(in_maps(self->t.pid, addr, "rwxp"));
	EXPECT_EQ(E_POINTER, IJsDebugDataTarget_AllocateVirtualMemory(self->dt, 0, PAGE,
								      MEM_COMMIT,
								      PAGE_READWRITE, NULL));
	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_AllocateVirtualMemory(self->dt, 0, PAGE,
									 MEM_COMMIT, 0x800,
									 &other));
	EXPECT_EQ(0, other);
	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_AllocateVirtualMemory(self->dt, 0, 0,
									 MEM_COMMIT,
									 PAGE_READWRITE,
									 &other));
	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED),
		  IJsDebugDataTarget_AllocateVirtualMemory(self->dt, 0, PAGE,
							   MEM_COMMIT | MEM_LARGE_PAGES,
							   PAGE_READWRITE, &other));
	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_INVALID_ADDRESS),
		  IJsDebugDataTarget_AllocateVirtualMemory(self->dt, addr, PAGE,
							   MEM_RESERVE, PAGE_READWRITE,
							   &other));
	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_INVALID_ADDRESS),
		  IJsDebugDataTarget_AllocateVirtualMemory(self->dt, self->t.code, PAGE,
							   MEM_COMMIT, PAGE_READWRITE,
							   &other));

	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_FreeVirtualMemory(self->dt, addr, PAGE,
								     MEM_RELEASE));
	EXPECT_EQ(S_OK, IJsDebugDataTarget_FreeVirtualMemory(self->dt, addr, PAGE,
							     MEM_DECOMMIT));
	EXPECT_TRUE(in_maps(self->t.pid, addr, "---p"));
	EXPECT_EQ(S_OK, IJsDebugDataTarget_FreeVirtualMemory(self->dt, addr, 0, MEM_RELEASE));
	EXPECT_FALSE(in_maps(self->t.pid, addr, NULL));
	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_INVALID_ADDRESS),
		  IJsDebugDataTarget_FreeVirtualMemory(self->dt, addr, 0, MEM_RELEASE));
}

TEST_F(com, read_and_write_memory_with_partial_reads)
{
	UINT64 addr = 0;
	BYTE buf[2 * PAGE], back[2 * PAGE];
	DWORD done = 1234;

	ASSERT_EQ(S_OK, IJsDebugDataTarget_AllocateVirtualMemory(self->dt, 0, 2 * PAGE,
								 MEM_RESERVE, PAGE_READWRITE,
								 &addr));
	ASSERT_EQ(S_OK, IJsDebugDataTarget_AllocateVirtualMemory(self->dt, addr, PAGE,
								 MEM_COMMIT, PAGE_READWRITE,
								 &addr));
	memset(buf, 0xa7, sizeof(buf));
	EXPECT_EQ(S_OK, IJsDebugDataTarget_WriteMemory(self->dt, addr, buf, PAGE));
	EXPECT_EQ(0xa7, target_read(&self->t, addr, PAGE));
	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY),
		  IJsDebugDataTarget_WriteMemory(self->dt, addr, buf, 2 * PAGE));
	EXPECT_EQ(E_POINTER, IJsDebugDataTarget_WriteMemory(self->dt, addr, NULL, 1));

	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY),
		  IJsDebugDataTarget_ReadMemory(self->dt, addr, None, back, 2 * PAGE, &done));
	EXPECT_EQ(PAGE, done);
	done = 0;
	EXPECT_EQ(S_OK, IJsDebugDataTarget_ReadMemory(self->dt, addr, JsDebugAllowPartialRead,
						      back, 2 * PAGE, &done));
	EXPECT_EQ(PAGE, done);
	EXPECT_EQ(0, memcmp(buf, back, PAGE));
	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY),
		  IJsDebugDataTarget_ReadMemory(self->dt, addr + PAGE, JsDebugAllowPartialRead,
						back, PAGE, &done));
	EXPECT_EQ(0, done);
	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_ReadMemory(self->dt, addr,
							      (JsDebugReadMemoryFlags)2,
							      back, 1, &done));
	EXPECT_EQ(E_POINTER, IJsDebugDataTarget_ReadMemory(self->dt, addr, None, back, 1, NULL));
}

/* Writes bytes into the target at a fresh page; returns its address. */
static UINT64 put(struct __test_metadata *_metadata, IJsDebugDataTarget *dt,
		  const void *bytes, DWORD len)
{
	UINT64 addr = 0;

	EXPECT_EQ(S_OK, IJsDebugDataTarget_AllocateVirtualMemory(dt, 0, PAGE,
								 MEM_COMMIT | MEM_RESERVE,
								 PAGE_READWRITE, &addr));
	EXPECT_EQ(S_OK, IJsDebugDataTarget_WriteMemory(dt, addr, bytes, len));
	return addr;
}

TEST_F(com, read_bstr)
{
	/* A BSTR: byte length, then UTF-16 "Hi\u00e9". */
	static const BYTE bstr[] = { 6, 0, 0, 0, 'H', 0, 'i', 0, 0xe9, 0, 0, 0 };
	static const BYTE odd[] = { 3, 0, 0, 0, 'a', 0, 'b', 0 };
	UINT64 addr = put(_metadata, self->dt, bstr, sizeof(bstr));
	BSTR s = (BSTR)0x1;

	ASSERT_EQ(S_OK, IJsDebugDataTarget_ReadBSTR(self->dt, addr + 4, &s));
	EXPECT_EQ(3, SysStringLen(s));
	EXPECT_EQ('H', s[0]);
	EXPECT_EQ(0xe9, s[2]);
	EXPECT_EQ(0, s[3]);
	SysFreeString(s);
	EXPECT_EQ(E_POINTER, IJsDebugDataTarget_ReadBSTR(self->dt, addr + 4, NULL));
	addr = put(_metadata, self->dt, odd, sizeof(odd));
	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_ReadBSTR(self->dt, addr + 4, &s));
	EXPECT_EQ(NULL, s);
	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY),
		  IJsDebugDataTarget_ReadBSTR(self->dt, 0x10000, &s));
}

TEST_F(com, read_null_terminated_strings)
{
	static const char narrow[] = "hello";
	static const BYTE wide[] = { 'o', 0, 'k', 0, 0x3b, 0x26, 0, 0 };
	UINT64 n = put(_metadata, self->dt, narrow, sizeof(narrow));
	UINT64 w = put(_metadata, self->dt, wide, sizeof(wide));
	BSTR s = NULL;
	UINT64 edge;
	BYTE fill[PAGE];

	ASSERT_EQ(S_OK, IJsDebugDataTarget_ReadNullTerminatedString(self->dt, n, 1, 100, &s));
	EXPECT_EQ(5, SysStringLen(s));
	EXPECT_EQ('o', s[4]);
	SysFreeString(s);
	ASSERT_EQ(S_OK, IJsDebugDataTarget_ReadNullTerminatedString(self->dt, n, 1, 3, &s));
	EXPECT_EQ(3, SysStringLen(s));
	SysFreeString(s);
	ASSERT_EQ(S_OK, IJsDebugDataTarget_ReadNullTerminatedString(self->dt, w, 2, 100, &s));
	EXPECT_EQ(3, SysStringLen(s));
	EXPECT_EQ(0x263b, s[2]);
	SysFreeString(s);
	EXPECT_EQ(E_INVALIDARG,
		  IJsDebugDataTarget_ReadNullTerminatedString(self->dt, n, 3, 10, &s));
	EXPECT_EQ(E_POINTER,
		  IJsDebugDataTarget_ReadNullTerminatedString(self->dt, n, 1, 10, NULL));
	/* No terminator before a reserved page. */
	memset(fill, 'x', sizeof(fill));
	ASSERT_EQ(S_OK, IJsDebugDataTarget_AllocateVirtualMemory(self->dt, 0, 2 * PAGE,
								 MEM_RESERVE, PAGE_READWRITE,
								 &edge));
	ASSERT_EQ(S_OK, IJsDebugDataTarget_AllocateVirtualMemory(self->dt, edge, PAGE,
								 MEM_COMMIT, PAGE_READWRITE,
								 &edge));
	ASSERT_EQ(S_OK, IJsDebugDataTarget_WriteMemory(self->dt, edge, fill, PAGE));
	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY),
		  IJsDebugDataTarget_ReadNullTerminatedString(self->dt, edge + PAGE - 8, 1,
							      100, &s));
	EXPECT_EQ(NULL, s);
}

TEST_F(com, thread_context_of_a_traced_stopped_thread)
{
	struct user_regs_struct regs;
	CONTEXT ctx;
	int status;

	/* Not traced by us: Linux lets only the tracer read registers. */
	EXPECT_EQ(E_ACCESSDENIED, IJsDebugDataTarget_GetThreadContext(self->dt, self->t.pid,
								      CONTEXT_FULL,
								      sizeof(ctx), &ctx));
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, self->t.pid, 0, 0));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, self->t.pid, 0, 0));
	ASSERT_EQ(self->t.pid, waitpid(self->t.pid, &status, 0));
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, self->t.pid, 0, &regs));

	memset(&ctx, 0xcc, sizeof(ctx));
	ASSERT_EQ(S_OK, IJsDebugDataTarget_GetThreadContext(self->dt, self->t.pid,
							    CONTEXT_ALL, sizeof(ctx), &ctx));
	EXPECT_EQ(CONTEXT_ALL, ctx.ContextFlags);
	EXPECT_EQ(regs.rip, ctx.Rip);
	EXPECT_EQ(regs.rsp, ctx.Rsp);
	EXPECT_EQ(regs.rax, ctx.Rax);
	EXPECT_EQ(regs.r15, ctx.R15);
	EXPECT_EQ(regs.cs, ctx.SegCs);
	EXPECT_EQ(0x1f80, ctx.MxCsr & 0xffc0);
	/* Only the parts asked for. */
	memset(&ctx, 0xcc, sizeof(ctx));
	ASSERT_EQ(S_OK, IJsDebugDataTarget_GetThreadContext(self->dt, self->t.pid,
							    CONTEXT_CONTROL, sizeof(ctx), &ctx));
	EXPECT_EQ(regs.rip, ctx.Rip);
	EXPECT_EQ(0, ctx.Rax);

	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_GetThreadContext(self->dt, self->t.pid,
								    CONTEXT_FULL, 100, &ctx));
	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_GetThreadContext(self->dt, self->t.pid,
								    0x1, sizeof(ctx), &ctx));
	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_GetThreadContext(self->dt, getpid(),
								    CONTEXT_FULL, sizeof(ctx),
								    &ctx));
	EXPECT_EQ(E_POINTER, IJsDebugDataTarget_GetThreadContext(self->dt, self->t.pid,
								 CONTEXT_FULL, sizeof(ctx),
								 NULL));
	ptrace(PTRACE_DETACH, self->t.pid, 0, 0);
}

TEST_F(com, a_target_that_exited_gives_e_handle)
{
	UINT64 addr = 0;

	target_stop(&self->t);
	EXPECT_EQ(E_HANDLE, IJsDebugDataTarget_AllocateVirtualMemory(self->dt, 0, PAGE,
								     MEM_COMMIT,
								     PAGE_READWRITE, &addr));
}

TEST(errno_to_hresult_table)
{
	EXPECT_EQ(S_OK, RemoteVmHresultFromErrno(0));
	EXPECT_EQ(E_INVALIDARG, RemoteVmHresultFromErrno(EINVAL));
	EXPECT_EQ((HRESULT)0x80070008, RemoteVmHresultFromErrno(ENOMEM));
	EXPECT_EQ(E_ACCESSDENIED, RemoteVmHresultFromErrno(EPERM));
	EXPECT_EQ((HRESULT)0x800701e7, RemoteVmHresultFromErrno(EADDRNOTAVAIL));
	EXPECT_EQ((HRESULT)0x800701e7, RemoteVmHresultFromErrno(ESTALE));
	EXPECT_EQ((HRESULT)0x8007012b, RemoteVmHresultFromErrno(EIO));
	EXPECT_EQ((HRESULT)0x80070032, RemoteVmHresultFromErrno(EOPNOTSUPP));
	EXPECT_EQ(E_HANDLE, RemoteVmHresultFromErrno(ESRCH));
	EXPECT_EQ(E_FAIL, RemoteVmHresultFromErrno(ENODATA));
}

TEST_HARNESS_MAIN
