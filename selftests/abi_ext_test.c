// SPDX-License-Identifier: GPL-2.0
/*
 * The extensible-struct rules, from the two sides of an ABI extension:
 * built once with uapi/linux/remotevm.h as published (abi_ext_test) and
 * once with the "v1" header uapi_v1.awk makes of it (abi_ext_v1_test),
 * whose ALLOC, FREE, QUERY, PROTECT, REGIONS, BATCH, READ structs and
 * batch elements each end in a __u64 v1_extra. Both programs must work as they
 * are; a v1 caller's non-zero v1_extra is E2BIG and changes nothing in the
 * target. Needs root and remotevm.ko loaded; runs in a guest.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/remotevm.h>

#include "kselftest_harness.h"
#include "proc.h"
#include "rvm.h"
#include "target.h"

#ifdef REMOTEVM_UAPI_V1_EXTRA
#define HEADER_VERSION 1
#else
#define HEADER_VERSION 0
#endif

FIXTURE(ext) {
	struct target t;
	int dev;
	uint64_t addr;	/* 4 committed read-write pages of the target's */
};

/* The variant's name says which header the program was built with. */
FIXTURE_VARIANT(ext) {
	int version;
};

#if HEADER_VERSION == 1
FIXTURE_VARIANT_ADD(ext, v1_header) {
	.version = 1,
};
#else
FIXTURE_VARIANT_ADD(ext, v0_header) {
	.version = 0,
};
#endif

/* Every ioctl below takes its size from the header this was built with. */
FIXTURE_SETUP(ext)
{
	struct remotevm_alloc alloc = {
		.size = 4 * PAGE,
		.allocation_type = COMMIT | RESERVE,
		.page_protection = RW,
	};

	/* The header really is the version this program was built for. */
	ASSERT_EQ(REMOTEVM_ALLOC_SIZE_VER0 + 8 * variant->version,
		  sizeof(struct remotevm_alloc));
	ASSERT_EQ(0, target_start(&self->t));
	self->dev = rvm_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_ALLOC, &alloc));
	self->addr = alloc.allocated_address;
}

FIXTURE_TEARDOWN(ext)
{
	close(self->dev);
	target_stop(&self->t);
}

static int perms_at(pid_t pid, uint64_t addr, char perms[5])
{
	strcpy(perms, "none");
	return maps_find(pid, addr, perms, NULL, NULL);
}

TEST_F(ext, every_op_works_with_its_own_struct_sizes)
{
	struct remotevm_alloc alloc = {
		.size = PAGE,
		.allocation_type = COMMIT | RESERVE,
		.page_protection = RW,
	};
	struct remotevm_query query = { .address = self->addr };
	struct remotevm_protect protect = {
		.address = self->addr,
		.size = PAGE,
		.new_protection = REMOTEVM_PAGE_READONLY,
	};
	struct remotevm_region regions[4];
	struct remotevm_regions req = {
		.start = self->addr,
		.end = self->addr + 4 * PAGE,
		.regions = (uintptr_t)regions,
		.count = 4,
		.region_size = sizeof(regions[0]),
	};
	struct remotevm_op ops[2] = {
		{ .code = REMOTEVM_OP_QUERY, .query = { .address = self->addr } },
		{ .code = REMOTEVM_OP_PROTECT, .protect = { .address = self->addr,
		  .size = PAGE, .new_protection = RW } },
	};
	struct remotevm_batch batch = {
		.ops = (uintptr_t)ops,
		.count = 2,
		.op_size = sizeof(ops[0]),
	};
	struct remotevm_free free = {
		.address = self->addr,
		.free_type = RELEASE,
	};
	char perms[5], bytes[2 * PAGE];
	struct remotevm_read read = {
		.address = self->addr + PAGE / 2,
		.buffer = (uintptr_t)bytes,
		.size = sizeof(bytes),
	};

	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_ALLOC, &alloc));
	EXPECT_EQ(PAGE, alloc.allocated_size);
	EXPECT_EQ(0, perms_at(self->t.pid, alloc.allocated_address, perms));
	EXPECT_STREQ("rw-p", perms);

	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_QUERY, &query));
	EXPECT_EQ(REMOTEVM_MEM_COMMIT, query.region.state);
	EXPECT_EQ(self->addr, query.region.allocation_base);
	EXPECT_EQ(4 * PAGE, query.region.region_size);

	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_PROTECT, &protect));
	EXPECT_EQ(RW, protect.old_protection);
	EXPECT_EQ(0, perms_at(self->t.pid, self->addr, perms));
	EXPECT_STREQ("r--p", perms);

	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_REGIONS, &req));
	EXPECT_EQ(2, req.count);
	EXPECT_EQ(REMOTEVM_PAGE_READONLY, regions[0].protect);
	EXPECT_EQ(PAGE, regions[0].region_size);
	EXPECT_EQ(RW, regions[1].protect);
	EXPECT_EQ(3 * PAGE, regions[1].region_size);

	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch));
	EXPECT_EQ(2, batch.completed);
	EXPECT_EQ(REMOTEVM_PAGE_READONLY, ops[0].query.region.protect);
	EXPECT_EQ(REMOTEVM_PAGE_READONLY, ops[1].protect.old_protection);
	EXPECT_EQ(0, perms_at(self->t.pid, self->addr, perms));
	EXPECT_STREQ("rw-p", perms);

	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_READ, &read));
	EXPECT_EQ(sizeof(bytes), read.bytes_read);

	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_FREE, &free));
	EXPECT_EQ(-1, perms_at(self->t.pid, self->addr, perms));
}

#if HEADER_VERSION == 1

/*
 * Each test sends one request whose v1_extra is set, to a module that knows
 * only v0: refused whole (E2BIG), with the target's maps as they were and
 * nothing written back.
 */

TEST_F(ext, alloc_with_nonzero_extra_is_e2big_and_changes_nothing)
{
	struct remotevm_alloc alloc = {
		.size = PAGE,
		.allocation_type = COMMIT | RESERVE,
		.page_protection = RW,
		.allocated_address = POISON,
		.allocated_size = POISON,
		.v1_extra = 1,
	};
	char *before = maps_snapshot(self->t.pid);

	ASSERT_NE(NULL, before);
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_ALLOC, &alloc));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(POISON, alloc.allocated_address);
	EXPECT_EQ(POISON, alloc.allocated_size);
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
}

TEST_F(ext, free_with_nonzero_extra_is_e2big_and_changes_nothing)
{
	struct remotevm_free free = {
		.address = self->addr,
		.free_type = RELEASE,
		.v1_extra = 1ULL << 63,
	};
	char *before = maps_snapshot(self->t.pid);

	ASSERT_NE(NULL, before);
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_FREE, &free));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
	/* Still the module's to release. */
	EXPECT_EQ(0, rvm_free(self->dev, self->addr, 0, RELEASE));
}

/* The region inside QUERY is output only, and its tail is still checked. */
TEST_F(ext, query_with_nonzero_extra_is_e2big_and_writes_nothing)
{
	struct remotevm_query query = {
		.address = self->addr,
		.v1_extra = 1,
	};

	memset(&query.region, 0xcc, sizeof(query.region));
	query.region.v1_extra = 0;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_QUERY, &query));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0xccccccccU, query.region.state);

	query.v1_extra = 0;
	query.region.v1_extra = 1;
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_QUERY, &query));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0xccccccccU, query.region.state);

	query.region.v1_extra = 0;
	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_QUERY, &query));
	EXPECT_EQ(REMOTEVM_MEM_COMMIT, query.region.state);
}

TEST_F(ext, protect_with_nonzero_extra_is_e2big_and_changes_nothing)
{
	struct remotevm_protect protect = {
		.address = self->addr,
		.size = PAGE,
		.new_protection = REMOTEVM_PAGE_READONLY,
		.old_protection = 0xcccccccc,
		.v1_extra = 1,
	};
	char *before = maps_snapshot(self->t.pid);
	char perms[5];

	ASSERT_NE(NULL, before);
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_PROTECT, &protect));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0xcccccccc, protect.old_protection);
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(0, perms_at(self->t.pid, self->addr, perms));
	EXPECT_STREQ("rw-p", perms);
}

/*
 * REGIONS refuses a request with v1_extra set without writing anything, and
 * zero-fills the field of each v1 region it writes, which it does not know.
 */
TEST_F(ext, regions_refuse_nonzero_extra_and_zero_a_newer_regions_field)
{
	struct remotevm_region regions[2];
	struct remotevm_regions req = {
		.start = self->addr,
		.end = self->addr + 4 * PAGE,
		.regions = (uintptr_t)regions,
		.count = 2,
		.region_size = sizeof(regions[0]),
		.next = POISON,
		.v1_extra = 1,
	};

	memset(regions, 0xcc, sizeof(regions));
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_REGIONS, &req));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(2, req.count);
	EXPECT_EQ(POISON, req.next);
	EXPECT_EQ(POISON, regions[0].base_address);

	req.v1_extra = 0;
	ASSERT_EQ(0, ioctl(self->dev, REMOTEVM_IOC_REGIONS, &req));
	ASSERT_EQ(1, req.count);
	EXPECT_EQ(self->addr, regions[0].base_address);
	EXPECT_EQ(4 * PAGE, regions[0].region_size);
	EXPECT_EQ(0, regions[0].v1_extra);
	/* Only the regions written are touched. */
	EXPECT_EQ(POISON, regions[1].v1_extra);
}

/*
 * A batch is validated whole before any op runs: an unknown non-zero byte
 * in the batch, in an element's tail or in an op's arguments refuses all
 * of it, the allocation and release in front of it included.
 */
TEST_F(ext, read_with_nonzero_extra_is_e2big_and_reads_nothing)
{
	char bytes[PAGE];
	struct remotevm_read read = {
		.address = self->addr,
		.buffer = (uintptr_t)bytes,
		.size = sizeof(bytes),
		.bytes_read = POISON,
		.v1_extra = 1,
	};

	memset(bytes, 0x77, sizeof(bytes));
	EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_READ, &read));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(POISON, read.bytes_read);
	EXPECT_EQ(0x77, bytes[0]);
}

TEST_F(ext, batch_with_nonzero_extra_anywhere_is_e2big_and_runs_nothing)
{
	struct remotevm_op ops[2];
	struct remotevm_batch batch;
	static char before[65536];
	int where;

	strcpy(before, maps_snapshot(self->t.pid));
	for (where = 0; where < 4; where++) {
		memset(ops, 0, sizeof(ops));
		ops[0].code = REMOTEVM_OP_FREE;
		ops[0].free.address = self->addr;
		ops[0].free.free_type = RELEASE;
		ops[1].code = REMOTEVM_OP_ALLOC;
		ops[1].alloc.size = PAGE;
		ops[1].alloc.allocation_type = COMMIT | RESERVE;
		ops[1].alloc.page_protection = RW;
		ops[1].alloc.allocated_address = POISON;
		batch = (struct remotevm_batch){
			.ops = (uintptr_t)ops,
			.count = 2,
			.op_size = sizeof(ops[0]),
			.completed = 0xdead,
		};
		switch (where) {
		case 0:
			batch.v1_extra = 1;
			break;
		case 1:
			ops[1].v1_extra = 1;
			break;
		case 2:
			ops[1].alloc.v1_extra = 1;
			break;
		case 3:
			ops[0].free.v1_extra = 1;
			break;
		}
		EXPECT_EQ(-1, ioctl(self->dev, REMOTEVM_IOC_BATCH, &batch)) {
			TH_LOG("v1_extra set in place %d", where);
		}
		EXPECT_EQ(E2BIG, errno);
		EXPECT_EQ(0xdead, batch.completed);
		EXPECT_EQ(POISON, ops[1].alloc.allocated_address);
		EXPECT_STREQ(before, maps_snapshot(self->t.pid));
	}
}

#endif

TEST_HARNESS_MAIN
