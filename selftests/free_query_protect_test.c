// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for FREE (decommit, release), MEM_RESET, QUERY, REGIONS and
 * PROTECT, and for how long allocations live: past their handle, and the
 * module past them. Each checked from the target's side too.
 * Needs root and remotevm.ko loaded; runs in a guest under `make check`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/remotevm.h>

#include "kselftest_harness.h"
#include "fixtures.h"
#include "proc.h"
#include "rvm.h"
#include "target.h"

/*
 * Whether a range holds data is read page by page, which faults in the
 * zero page and a page table per 2 MiB: past 64 MiB a range that was ever
 * written is taken to hold data, unread (remotevm-fuzz filled a guest's
 * memory with page tables, protecting a huge range).
 */
TEST_F(attached, protect_of_a_huge_written_range_is_ebusy_without_reading_it)
{
	const uint64_t size = 1ULL << 37;
	long pte_before, pte_after;
	double started;
	uint64_t addr;
	char byte = 0;	/* written, so maybe data; all zero, so read it all */
	int mem;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, size, COMMIT | RESERVE,
			       REMOTEVM_PAGE_READONLY, &addr));
	mem = proc_mem_open(self->t.pid, O_RDWR);
	ASSERT_LE(0, mem);
	ASSERT_EQ(1, pwrite(mem, &byte, 1, (off_t)addr));
	close(mem);
	pte_before = proc_status_field(self->t.pid, "VmPTE");
	started = now();
	EXPECT_EQ(-EBUSY, rvm_protect(self->dev, addr, size, RW, 0, NULL));
	EXPECT_EQ(-E2BIG, rvm_protect(self->dev, addr, size, RW,
				      REMOTEVM_PROTECT_COPY, NULL));
	EXPECT_GT(5.0, now() - started);
	pte_after = proc_status_field(self->t.pid, "VmPTE");
	EXPECT_GT(64, pte_after - pte_before) {
		TH_LOG("page tables grew by %ld kB", pte_after - pte_before);
	}
	EXPECT_EQ(0, rvm_free(self->dev, addr, 0, RELEASE));
}

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
	char reply[64], before[65536], perms[5];
	unsigned long long o;

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 8 * PAGE, RESERVE, RW, &res));
	/* Reserved pages that were never committed: fine. */
	EXPECT_EQ(0, rvm_free(self->dev, res, 8 * PAGE, DECOMMIT));
	/*
	 * Size 0 means the whole allocation, from its base: any address in
	 * its first page, as Windows rounds the address down first.
	 */
	ASSERT_EQ(0, rvm_alloc(self->dev, res, 8 * PAGE, COMMIT, RW, NULL));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, res + PAGE, 0, DECOMMIT));
	ASSERT_EQ(0, target_write(&self->t, res, 8 * PAGE, 0x34));
	EXPECT_EQ(0, rvm_free(self->dev, res + PAGE - 2, 0, DECOMMIT));
	EXPECT_EQ(0, smaps_field(self->t.pid, res, "Rss"));
	EXPECT_TRUE(maps_find(self->t.pid, res + 7 * PAGE, perms, NULL, NULL) == 0 &&
		    !strcmp(perms, "---p"));

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "M %llx 3", PAGE));
	ASSERT_EQ(1, sscanf(reply, "%llx", &o));
	own = o;
	ASSERT_EQ(0, target_write(&self->t, own, PAGE, 0x12));
	strcpy(before, maps_snapshot(self->t.pid));
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_free(self->dev, own, PAGE, DECOMMIT));
	/* Past the allocation's end: invalid, as Windows has it. */
	EXPECT_EQ(-EINVAL, rvm_free(self->dev, res, 9 * PAGE, DECOMMIT));
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

	/* Any address in the first page names the allocation, as on Windows. */
	EXPECT_EQ(0, rvm_free(self->dev, res + PAGE - 1, 0, RELEASE));
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
	/*
	 * Over committed and reserved pages alike, as on Windows: the
	 * committed ones are dropped, the reserved ones stay reserved.
	 */
	ASSERT_EQ(0, target_write(&self->t, res + 2 * PAGE, 2 * PAGE, 0x66));
	EXPECT_EQ(0, rvm_alloc(self->dev, res + 2 * PAGE, 6 * PAGE,
			       REMOTEVM_MEM_RESET, RW, NULL));
	EXPECT_EQ(0, target_read(&self->t, res + 2 * PAGE, 2 * PAGE));
	ASSERT_EQ(0, maps_find(self->t.pid, res + 4 * PAGE, perms, NULL, NULL));
	EXPECT_STREQ("---p", perms);
	/* Only inside one allocation; MEM_RESET stands alone; a valid protection. */
	EXPECT_EQ(-EADDRNOTAVAIL, rvm_alloc(self->dev, res + 7 * PAGE, 2 * PAGE,
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
	EXPECT_EQ(-EINVAL, rvm_protect(self->dev, addr, PAGE,
				       REMOTEVM_PAGE_WRITECOPY, 0, NULL));
}

TEST_HARNESS_MAIN
