// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for BATCH: several operations in one ioctl, run in order,
 * stopping at the first failure, validated whole before any runs, and
 * accepting the larger ops of a caller built against a newer header.
 * Needs root and remotevm.ko loaded; runs in a guest under `make check`.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/remotevm.h>

#include "kselftest_harness.h"
#include "fixtures.h"
#include "proc.h"
#include "rvm.h"
#include "target.h"

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

	/* Packed densely (a page's alignment): the kernel places them at once. */
	for (i = 0; i < 16; i++) {
		ops[i] = alloc_op(0, 3 * PAGE - 100, COMMIT | RESERVE);
		ops[i].alloc.alignment = PAGE;
	}
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

	for (i = 0; i < 8; i++) {
		ops[i] = alloc_op(0, 2 * PAGE, COMMIT | RESERVE);
		ops[i].alloc.alignment = PAGE;
	}
	ASSERT_EQ(0, rvm_batch(self->dev, ops, 8, &completed));
	for (i = 0; i < 8; i++)
		frees[i] = release_op(ops[i].alloc.allocated_address);

	/* Past the first page: not the base. */
	frees[2].free.address += PAGE;
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

/*
 * A target holds at most 65536 allocations (doc/design.md): one more is
 * ENOMEM and maps nothing, and freeing one makes room again. Batches of
 * like reservations fill it, one vm_mmap per batch; once, not per worker
 * mode, as it takes a while on the debug kernel.
 */
TEST_F_TIMEOUT(unattached, allocations_past_the_per_target_limit_are_enomem, 300)
{
	enum { LIMIT = 65536, BATCH = 1024 };
	static struct remotevm_op ops[BATCH];
	static char before[65536];
	uint32_t completed, i, n;
	uint64_t addr;

	ASSERT_EQ(0, rvm_attach(self->dev, self->t.pid));
	/* Packed densely, the kernel places each batch with one mapping. */
	for (n = 0; n < LIMIT / BATCH; n++) {
		for (i = 0; i < BATCH; i++) {
			ops[i] = alloc_op(0, PAGE, RESERVE);
			ops[i].alloc.alignment = PAGE;
		}
		ASSERT_EQ(0, rvm_batch(self->dev, ops, BATCH, &completed));
		ASSERT_EQ(BATCH, completed);
	}
	strcpy(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(-ENOMEM, rvm_alloc(self->dev, 0, PAGE, RESERVE, RW, NULL));
	EXPECT_EQ(-ENOMEM, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, NULL));
	ops[0] = alloc_op(0, PAGE, RESERVE);
	ops[1] = alloc_op(0, PAGE, RESERVE);
	EXPECT_EQ(-ENOMEM, rvm_batch(self->dev, ops, 2, &completed));
	EXPECT_EQ(0, completed);
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));

	addr = ops[BATCH - 1].alloc.allocated_address;
	ASSERT_EQ(0, rvm_free(self->dev, addr, 0, RELEASE));
	EXPECT_EQ(0, rvm_alloc(self->dev, 0, PAGE, RESERVE, RW, NULL));
	EXPECT_EQ(-ENOMEM, rvm_alloc(self->dev, 0, PAGE, RESERVE, RW, NULL));
}

TEST_HARNESS_MAIN
