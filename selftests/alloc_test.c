// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for ALLOC, the VirtualAlloc contract: protections, rounding,
 * commit inside a reservation, placement, the target's limits, credentials
 * and memcg, mlockall and userfaultfd targets, and 32-bit targets; each
 * checked from the target's side too (its /proc/PID/maps, and the target
 * reading and writing the memory itself).
 * Needs root and remotevm.ko loaded; runs in a guest under `make check`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/remotevm.h>

#include "kselftest_harness.h"
#include "fixtures.h"
#include "proc.h"
#include "rvm.h"
#include "target.h"

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

/*
 * A page of a reservation that the target made accessible, wrote into and
 * made PROT_NONE again holds its data (an anon_vma): committing over it
 * would map fresh zeros there. The commit is refused and maps nothing.
 */
TEST_F(attached, commit_over_a_reserved_page_the_target_wrote_into_is_refused)
{
	char before[65536];
	uint64_t addr;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 4 * PAGE, RESERVE, RW, &addr));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "O %llx %llx %x",
			       (unsigned long long)addr + PAGE, PAGE, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, target_write(&self->t, addr + PAGE, PAGE, 0x5a));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "O %llx %llx %x",
			       (unsigned long long)addr + PAGE, PAGE, PROT_NONE));
	strcpy(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, addr, 4 * PAGE, COMMIT, RW, NULL));
	EXPECT_STREQ(before, maps_snapshot(self->t.pid));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "O %llx %llx %x",
			       (unsigned long long)addr + PAGE, PAGE, PROT_READ));
	EXPECT_EQ(0x5a, target_read(&self->t, addr + PAGE, PAGE));
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

/*
 * The notifier skips unmaps outside where the allocations lie, without a
 * lock: an unmap of the lowest page of the lowest allocation and of the
 * highest page of the highest one must still be seen, also after the
 * last allocation went and new ones came elsewhere.
 */
TEST_F(attached, target_unmaps_at_the_edges_of_the_allocations_are_seen)
{
	uint64_t gone, a, b, low, high;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 16 * PAGE, RESERVE, RW, &gone));
	ASSERT_EQ(0, rvm_free(self->dev, gone, 0, RELEASE));
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 2 * PAGE, RESERVE, RW, &a));
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 2 * PAGE, RESERVE, RW, &b));
	low = a < b ? a : b;
	high = (a < b ? b : a) + 2 * PAGE;

	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "U %llx %llx",
			       (unsigned long long)low, PAGE));
	ASSERT_EQ(0, target_do(&self->t, NULL, 0, "U %llx %llx",
			       (unsigned long long)high - PAGE, PAGE));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, low + PAGE, PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, high - 2 * PAGE, PAGE, COMMIT, RW, NULL));
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
	char path[256], line[32];

	snprintf(path, sizeof(path), "%s/memory.current", cgroup);
	if (read_line(path, line, sizeof(line)))
		return -1;
	return strtol(line, NULL, 10);
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

TEST_HARNESS_MAIN
