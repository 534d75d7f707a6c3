// SPDX-License-Identifier: GPL-2.0
/*
 * Win32 conformance: what Wine's conformance suite pins down about
 * VirtualAllocEx, VirtualFreeEx, VirtualQueryEx and VirtualProtectEx
 * (dlls/kernel32/tests/virtual.c and dlls/ntdll/tests/virtual.c, which
 * run on Windows), asserted on the COM face, IJsDebugDataTarget, and on
 * the plain API's query and protect, which stand in for VirtualQueryEx and
 * VirtualProtectEx. Each failure is checked for its exact HRESULT, each
 * success from the target's side too: /proc/PID/maps, and the target's
 * own reads and writes. doc/win32-conformance.md has one row per
 * assertion, naming the test here that checks it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#define COBJMACROS
#include <remotevm/jscript9diag.h>
#include <remotevm/remotevm.h>

#include "kselftest_harness.h"
#include "target.h"

#define PAGE		0x1000u
#define GRANULE		0x10000u
#define HR_INVALID_ADDRESS	HRESULT_FROM_WIN32(ERROR_INVALID_ADDRESS)
#define HR_NOT_ENOUGH_MEMORY	HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_MEMORY)
#define HR_NOT_SUPPORTED	HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)
#define MEM_AT_ROUND_TO_PAGE	0x40000000u

FIXTURE(win32) {
	struct target t;
	IJsDebugDataTarget *dt;	/* VirtualAllocEx, VirtualFreeEx */
	struct remotevm *rvm;	/* VirtualQueryEx, VirtualProtectEx */
	char maps[65536];	/* before an operation that must change nothing */
};

FIXTURE_SETUP(win32)
{
	ASSERT_EQ(0, target_start(&self->t));
	ASSERT_EQ(S_OK, RemoteVmCreateDataTarget(self->t.pid, &self->dt));
	ASSERT_EQ(0, remotevm__open(self->t.pid, NULL, &self->rvm));
}

FIXTURE_TEARDOWN(win32)
{
	remotevm__close(self->rvm);
	if (self->dt)
		IJsDebugDataTarget_Release(self->dt);
	target_stop(&self->t);
}

static HRESULT alloc(FIXTURE_DATA(win32) *self, UINT64 address, DWORD size,
		     DWORD type, DWORD protection, UINT64 *allocated)
{
	*allocated = 0xcccccccc;
	return IJsDebugDataTarget_AllocateVirtualMemory(self->dt, address, size, type,
							protection, allocated);
}

static HRESULT free_(FIXTURE_DATA(win32) *self, UINT64 address, DWORD size, DWORD type)
{
	return IJsDebugDataTarget_FreeVirtualMemory(self->dt, address, size, type);
}

static HRESULT protect(FIXTURE_DATA(win32) *self, UINT64 address, UINT64 size,
		       DWORD protection, DWORD *old)
{
	uint32_t was = 0xcccccccc;
	int ret = remotevm__protect(self->rvm, address, size, protection, 0, &was);

	*old = was;
	return RemoteVmHresultFromErrno(ret < 0 ? errno : 0);
}

static void query(struct __test_metadata *_metadata, FIXTURE_DATA(win32) *self,
		  UINT64 address, struct remotevm_region *r)
{
	ASSERT_EQ(0, remotevm__query(self->rvm, address, r, sizeof(*r)));
}

/*
 * VirtualQuery of @addr: its page, private memory, @size bytes alike in
 * @state and @protection; the rest of it in @r.
 */
static void expect_region(struct __test_metadata *_metadata, FIXTURE_DATA(win32) *self,
			  UINT64 addr, UINT64 size, DWORD state, DWORD protection,
			  struct remotevm_region *r)
{
	query(_metadata, self, addr, r);
	EXPECT_EQ(addr & ~(UINT64)(PAGE - 1), r->base_address);
	EXPECT_EQ(size, r->region_size);
	EXPECT_EQ(state, r->state);
	EXPECT_EQ(protection, r->protect);
	EXPECT_EQ(MEM_PRIVATE, r->type);
}

/* The target's mapping at @addr: its perms, and where it ends. */
static const char *perms_at(FIXTURE_DATA(win32) *self, UINT64 addr, uint64_t *end)
{
	static char perms[5];

	if (maps_find(self->t.pid, addr, perms, NULL, end))
		return "none";
	return perms;
}

static void remember_maps(FIXTURE_DATA(win32) *self)
{
	strcpy(self->maps, maps_snapshot(self->t.pid));
}

#define EXPECT_MAPS_UNCHANGED() EXPECT_STREQ(self->maps, maps_snapshot(self->t.pid))

/* VirtualAlloc(NULL, 0, MEM_RESERVE, PAGE_NOACCESS): ERROR_INVALID_PARAMETER. */
TEST_F(win32, reserve_of_zero_bytes_is_invalid_parameter)
{
	UINT64 addr;

	remember_maps(self);
	EXPECT_EQ(E_INVALIDARG, alloc(self, 0, 0, MEM_RESERVE, PAGE_NOACCESS, &addr));
	EXPECT_MAPS_UNCHANGED();
}

/*
 * VirtualAlloc(NULL, 0xFFFC, MEM_RESERVE, PAGE_NOACCESS): a 64 KiB-aligned
 * reservation of 0x10000 bytes, which VirtualQuery describes exactly.
 */
TEST_F(win32, reserve_is_64k_aligned_and_queried_as_windows_does)
{
	struct remotevm_region r;
	uint64_t end;
	UINT64 addr;
	int rd, wr;

	ASSERT_EQ(S_OK, alloc(self, 0, 0xFFFC, MEM_RESERVE, PAGE_NOACCESS, &addr));
	EXPECT_EQ(0, addr % GRANULE);
	expect_region(_metadata, self, addr, 0x10000, MEM_RESERVE, 0, &r);
	EXPECT_EQ(addr, r.allocation_base);
	EXPECT_EQ(PAGE_NOACCESS, r.allocation_protect);
	EXPECT_STREQ("---p", perms_at(self, addr, &end));
	EXPECT_LE(addr + 0x10000, end);
	ASSERT_EQ(0, target_probe(&self->t, addr, &rd, &wr));
	EXPECT_EQ(0, rd);
	EXPECT_EQ(0, wr);
	EXPECT_EQ(S_OK, free_(self, addr, 0, MEM_RELEASE));
}

/* Every system-chosen base is 64 KiB aligned, whatever the size. */
TEST_F(win32, system_chosen_bases_are_64k_aligned)
{
	UINT64 addr[8];
	int i;

	for (i = 0; i < 8; i++) {
		ASSERT_EQ(S_OK, alloc(self, 0, PAGE * (i + 1), MEM_RESERVE | MEM_COMMIT,
				      PAGE_READWRITE, &addr[i]));
		EXPECT_EQ(0, addr[i] % GRANULE);
	}
	for (i = 0; i < 8; i++)
		EXPECT_EQ(S_OK, free_(self, addr[i], 0, MEM_RELEASE));
}

/*
 * The walk through one reservation of test_VirtualAlloc: protect fails on
 * reserved pages, a commit returns its page, protect then works page by
 * page and reports the old protection, and the target can write.
 */
TEST_F(win32, reserve_commit_protect_walk)
{
	struct remotevm_region r;
	UINT64 addr, page;
	DWORD old;
	int rd, wr;

	ASSERT_EQ(S_OK, alloc(self, 0, 0xFFFC, MEM_RESERVE, PAGE_NOACCESS, &addr));
	remember_maps(self);
	EXPECT_EQ(HR_INVALID_ADDRESS, protect(self, addr, 0xFFFC, PAGE_READONLY, &old));
	EXPECT_MAPS_UNCHANGED();

	ASSERT_EQ(S_OK, alloc(self, addr, PAGE, MEM_COMMIT, PAGE_NOACCESS, &page));
	EXPECT_EQ(addr, page);
	expect_region(_metadata, self, addr, PAGE, MEM_COMMIT, PAGE_NOACCESS, &r);
	EXPECT_EQ(addr, r.allocation_base);
	EXPECT_EQ(PAGE_NOACCESS, r.allocation_protect);

	/* Partly committed: the whole call fails. */
	remember_maps(self);
	EXPECT_EQ(HR_INVALID_ADDRESS, protect(self, addr, 0xFFFC, PAGE_READONLY, &old));
	EXPECT_MAPS_UNCHANGED();

	EXPECT_EQ(S_OK, protect(self, addr, PAGE, PAGE_READONLY, &old));
	EXPECT_EQ(PAGE_NOACCESS, old);
	EXPECT_STREQ("r--p", perms_at(self, addr, NULL));
	EXPECT_EQ(S_OK, protect(self, addr, PAGE, PAGE_READWRITE, &old));
	EXPECT_EQ(PAGE_READONLY, old);
	expect_region(_metadata, self, addr, PAGE, MEM_COMMIT, PAGE_READWRITE, &r);
	ASSERT_EQ(0, target_probe(&self->t, addr, &rd, &wr));
	EXPECT_EQ(1, wr);
	ASSERT_EQ(0, target_write(&self->t, addr, PAGE, 0x55));
	EXPECT_EQ(0x55, target_read(&self->t, addr, PAGE));

	/* Wrong free types and a release with a size change nothing. */
	remember_maps(self);
	EXPECT_EQ(E_INVALIDARG, free_(self, addr, 0x10000, 0));
	EXPECT_EQ(E_INVALIDARG, free_(self, addr, 0, MEM_FREE));
	EXPECT_EQ(E_INVALIDARG, free_(self, addr, 1, MEM_RELEASE));
	EXPECT_MAPS_UNCHANGED();
	EXPECT_EQ(0x55, target_read(&self->t, addr, PAGE));

	/* Decommit of a range of committed and reserved pages. */
	EXPECT_EQ(S_OK, free_(self, addr, 0x10000, MEM_DECOMMIT));
	EXPECT_STREQ("---p", perms_at(self, addr, NULL));
	query(_metadata, self, addr, &r);
	EXPECT_EQ(MEM_RESERVE, r.state);
	EXPECT_EQ(0x10000, r.region_size);
	EXPECT_EQ(S_OK, free_(self, addr, 0, MEM_RELEASE));
	EXPECT_STREQ("none", perms_at(self, addr, NULL));
}

/*
 * MEM_RESET: a committed page stays committed with its protection (its
 * contents may go); a reserved page is accepted too; a range that leaves
 * the reservation is ERROR_INVALID_ADDRESS.
 */
TEST_F(win32, mem_reset_rules)
{
	struct remotevm_region r;
	UINT64 addr, got;

	ASSERT_EQ(S_OK, alloc(self, 0, 0x10000, MEM_RESERVE, PAGE_NOACCESS, &addr));
	ASSERT_EQ(S_OK, alloc(self, addr, PAGE, MEM_COMMIT, PAGE_READWRITE, &got));
	ASSERT_EQ(0, target_write(&self->t, addr, PAGE, 0x55));
	/* The protection is not used, but must be valid. */
	EXPECT_EQ(S_OK, alloc(self, addr, PAGE, MEM_RESET, PAGE_NOACCESS, &got));
	EXPECT_EQ(addr, got);
	expect_region(_metadata, self, addr, PAGE, MEM_COMMIT, PAGE_READWRITE, &r);
	EXPECT_STREQ("rw-p", perms_at(self, addr, NULL));
	/* Windows may keep the contents or drop them; remotevm drops them. */
	EXPECT_EQ(0, target_read(&self->t, addr, PAGE));

	EXPECT_EQ(S_OK, alloc(self, addr + PAGE, PAGE, MEM_RESET, PAGE_NOACCESS, &got));
	EXPECT_EQ(addr + PAGE, got);
	expect_region(_metadata, self, addr + PAGE, 0xF000, MEM_RESERVE, 0, &r);

	remember_maps(self);
	EXPECT_EQ(HR_INVALID_ADDRESS, alloc(self, addr + 0xF000, 0x2000, MEM_RESET,
					    PAGE_NOACCESS, &got));
	EXPECT_MAPS_UNCHANGED();
	EXPECT_EQ(S_OK, free_(self, addr, 0, MEM_RELEASE));
}

/*
 * Each of @prots is refused with @hr by a reserve, a commit and a protect,
 * and none of them changes the target's maps.
 */
static void expect_refused(struct __test_metadata *_metadata, FIXTURE_DATA(win32) *self,
			   const DWORD *prots, size_t n, HRESULT hr)
{
	UINT64 addr, got;
	DWORD old;
	size_t i;

	ASSERT_EQ(S_OK, alloc(self, 0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, &addr));
	remember_maps(self);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(hr, alloc(self, 0, PAGE, MEM_RESERVE, prots[i], &got))
			TH_LOG("reserve with protection %#x", prots[i]);
		EXPECT_EQ(hr, alloc(self, 0, PAGE, MEM_COMMIT, prots[i], &got))
			TH_LOG("commit with protection %#x", prots[i]);
		EXPECT_EQ(hr, protect(self, addr, PAGE, prots[i], &old))
			TH_LOG("protect to %#x", prots[i]);
	}
	EXPECT_MAPS_UNCHANGED();
	EXPECT_EQ(S_OK, free_(self, addr, 0, MEM_RELEASE));
}

/* Protections: 0, two base bits or a bit Windows does not know are invalid. */
TEST_F(win32, invalid_protections_are_invalid_parameter)
{
	static const DWORD invalid[] = {
		0, PAGE_READONLY | PAGE_EXECUTE, PAGE_NOACCESS | PAGE_READONLY,
		PAGE_READWRITE | PAGE_EXECUTE_READ, 0x800,
		PAGE_READWRITE | PAGE_EXECUTE_WRITECOPY,
		/* Copy-on-write needs a section: VirtualAlloc refuses it. */
		PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY,
	};

	expect_refused(_metadata, self, invalid, sizeof(invalid) / sizeof(invalid[0]),
		       E_INVALIDARG);
}

/*
 * Modifiers Windows supports and Linux cannot give anonymous memory of
 * another process: refused as not supported, which changes nothing.
 */
TEST_F(win32, guard_and_cache_modifiers_are_not_supported)
{
	static const DWORD modified[] = {
		PAGE_READWRITE | PAGE_GUARD, PAGE_READWRITE | PAGE_NOCACHE,
		PAGE_READONLY | PAGE_WRITECOMBINE,
	};

	expect_refused(_metadata, self, modified, sizeof(modified) / sizeof(modified[0]),
		       HR_NOT_SUPPORTED);
}

/* Each valid protection: committed with it, and queried as it. */
TEST_F(win32, valid_protections_commit_and_query_as_given)
{
	static const struct {
		DWORD protection;
		const char *perms;
	} valid[] = {
		{ PAGE_NOACCESS, "---p" }, { PAGE_READONLY, "r--p" },
		{ PAGE_READWRITE, "rw-p" }, { PAGE_EXECUTE, "--xp" },
		{ PAGE_EXECUTE_READ, "r-xp" }, { PAGE_EXECUTE_READWRITE, "rwxp" },
	};
	struct remotevm_region r;
	UINT64 addr;
	size_t i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		ASSERT_EQ(S_OK, alloc(self, 0, PAGE, MEM_COMMIT, valid[i].protection, &addr));
		query(_metadata, self, addr, &r);
		EXPECT_EQ(valid[i].protection, r.protect);
		EXPECT_EQ(valid[i].protection, r.allocation_protect);
		EXPECT_EQ(MEM_COMMIT, r.state);
		EXPECT_STREQ(valid[i].perms, perms_at(self, addr, NULL));
		EXPECT_EQ(S_OK, free_(self, addr, 0, MEM_RELEASE));
	}
}

/*
 * test_VirtualProtect's table on one committed PAGE_NOACCESS page: each
 * valid protection is set, reported by the query and, when set back,
 * reported as the old one; each invalid one fails and leaves the page as
 * it was. The allocation's own protection never changes.
 */
TEST_F(win32, protect_walks_a_page_through_every_protection)
{
	struct remotevm_region r;
	UINT64 addr, got;
	DWORD prot, old;

	ASSERT_EQ(S_OK, alloc(self, 0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_NOACCESS, &addr));
	for (prot = 0; prot <= 0xf0; prot++) {
		bool valid = prot == PAGE_NOACCESS || prot == PAGE_READONLY ||
			     prot == PAGE_READWRITE || prot == PAGE_EXECUTE ||
			     prot == PAGE_EXECUTE_READ || prot == PAGE_EXECUTE_READWRITE;

		if (!valid) {
			EXPECT_EQ(E_INVALIDARG, protect(self, addr, PAGE, prot, &old))
				TH_LOG("protect to %#x", prot);
			EXPECT_EQ(E_INVALIDARG, alloc(self, addr, PAGE, MEM_COMMIT, prot, &got))
				TH_LOG("commit with %#x", prot);
		} else {
			EXPECT_EQ(S_OK, protect(self, addr, PAGE, prot, &old));
			EXPECT_EQ(PAGE_NOACCESS, old);
			query(_metadata, self, addr, &r);
			EXPECT_EQ(prot, r.protect);
			EXPECT_EQ(PAGE_NOACCESS, r.allocation_protect);
			EXPECT_EQ(MEM_COMMIT, r.state);
			EXPECT_EQ(PAGE, r.region_size);
		}
		EXPECT_EQ(S_OK, protect(self, addr, PAGE, PAGE_NOACCESS, &old));
		EXPECT_EQ(valid ? prot : PAGE_NOACCESS, old) TH_LOG("after %#x", prot);
	}
	EXPECT_EQ(S_OK, free_(self, addr, 0, MEM_RELEASE));
}

/*
 * Committing a committed page again, with any valid protection, succeeds
 * and returns its base; remotevm leaves the page as it was, contents and
 * protection (Windows' test checks neither).
 */
TEST_F(win32, commit_over_committed_pages_returns_their_base)
{
	static const DWORD valid[] = {
		PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE,
		PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE,
	};
	UINT64 addr, got;
	size_t i;

	ASSERT_EQ(S_OK, alloc(self, 0, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE, &addr));
	ASSERT_EQ(0, target_write(&self->t, addr, PAGE, 0x77));
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		EXPECT_EQ(S_OK, alloc(self, addr, PAGE, MEM_COMMIT, valid[i], &got))
			TH_LOG("commit with protection %#x", valid[i]);
		EXPECT_EQ(addr, got);
	}
	EXPECT_EQ(0x77, target_read(&self->t, addr, PAGE));
	EXPECT_EQ(S_OK, free_(self, addr, 0, MEM_RELEASE));
}

/* MEM_AT_ROUND_TO_PAGE and other unknown type bits: ERROR_INVALID_PARAMETER. */
TEST_F(win32, unknown_allocation_types_are_invalid_parameter)
{
	UINT64 addr;

	remember_maps(self);
	EXPECT_EQ(E_INVALIDARG, alloc(self, 0, PAGE,
				      MEM_RESERVE | MEM_COMMIT | MEM_AT_ROUND_TO_PAGE,
				      PAGE_EXECUTE_READWRITE, &addr));
	EXPECT_EQ(E_INVALIDARG, alloc(self, 0, PAGE, 0, PAGE_READWRITE, &addr));
	EXPECT_MAPS_UNCHANGED();
}

/* The address just released can be reserved again, and is returned as is. */
TEST_F(win32, released_address_can_be_allocated_again)
{
	UINT64 addr, again;
	int rd, wr;

	ASSERT_EQ(S_OK, alloc(self, 0, 0x2000, MEM_RESERVE | MEM_COMMIT,
			      PAGE_EXECUTE_READWRITE, &addr));
	EXPECT_EQ(0, addr % GRANULE);
	EXPECT_STREQ("rwxp", perms_at(self, addr, NULL));
	EXPECT_EQ(S_OK, free_(self, addr, 0, MEM_RELEASE));
	EXPECT_STREQ("none", perms_at(self, addr, NULL));
	ASSERT_EQ(S_OK, alloc(self, addr, PAGE, MEM_RESERVE | MEM_COMMIT,
			      PAGE_EXECUTE_READWRITE, &again));
	EXPECT_EQ(addr, again);
	ASSERT_EQ(0, target_probe(&self->t, addr, &rd, &wr));
	EXPECT_EQ(1, wr);
	EXPECT_EQ(S_OK, free_(self, addr, 0, MEM_RELEASE));
}

/*
 * A reservation inside another's 64 KiB granule conflicts: its base is
 * rounded down onto the first one (ERROR_INVALID_ADDRESS).
 */
TEST_F(win32, reservation_in_a_used_granule_conflicts)
{
	UINT64 addr, other;

	ASSERT_EQ(S_OK, alloc(self, 0, PAGE, MEM_RESERVE | MEM_COMMIT,
			      PAGE_EXECUTE_READWRITE, &addr));
	remember_maps(self);
	EXPECT_EQ(HR_INVALID_ADDRESS, alloc(self, addr + PAGE, PAGE, MEM_RESERVE | MEM_COMMIT,
					    PAGE_EXECUTE_READWRITE, &other));
	EXPECT_MAPS_UNCHANGED();
	EXPECT_EQ(S_OK, free_(self, addr, 0, MEM_RELEASE));
}

/*
 * VirtualFree rounds its address down to a page before it compares with
 * the base: inside the first page it is the base, past it it is not
 * (ERROR_INVALID_ADDRESS). A decommit's range covers every page it
 * touches.
 */
TEST_F(win32, free_addresses_round_to_their_page)
{
	struct remotevm_region r;
	UINT64 addr;

	ASSERT_EQ(S_OK, alloc(self, 0, 0x10000, MEM_RESERVE | MEM_COMMIT,
			      PAGE_EXECUTE_READWRITE, &addr));
	/* Two bytes that straddle pages 1 and 2: both are decommitted. */
	EXPECT_EQ(S_OK, free_(self, addr + 0x1FFF, 2, MEM_DECOMMIT));
	query(_metadata, self, addr + PAGE, &r);
	EXPECT_EQ(MEM_RESERVE, r.state);
	EXPECT_EQ(2 * PAGE, r.region_size);
	EXPECT_STREQ("---p", perms_at(self, addr + 2 * PAGE, NULL));
	EXPECT_STREQ("rwxp", perms_at(self, addr, NULL));

	remember_maps(self);
	EXPECT_EQ(HR_INVALID_ADDRESS, free_(self, addr + 0x1001, 0, MEM_DECOMMIT));
	EXPECT_EQ(HR_INVALID_ADDRESS, free_(self, addr + 0x1001, 0, MEM_RELEASE));
	EXPECT_MAPS_UNCHANGED();

	/* Inside the first page, size 0: the whole allocation. */
	EXPECT_EQ(S_OK, free_(self, addr + 0xFFE, 0, MEM_DECOMMIT));
	query(_metadata, self, addr, &r);
	EXPECT_EQ(MEM_RESERVE, r.state);
	EXPECT_EQ(0x10000, r.region_size);
	EXPECT_EQ(S_OK, free_(self, addr + 0xFFF, 0, MEM_RELEASE));
	EXPECT_STREQ("none", perms_at(self, addr, NULL));

	/* Freed memory: nothing to release or decommit there. */
	EXPECT_EQ(HR_INVALID_ADDRESS, free_(self, addr, 0, MEM_RELEASE));
	EXPECT_EQ(HR_INVALID_ADDRESS, free_(self, addr + PAGE, PAGE, MEM_DECOMMIT));
}

/* More than the machine can give: ERROR_NOT_ENOUGH_MEMORY, nothing mapped. */
TEST_F(win32, too_large_a_commit_is_not_enough_memory)
{
	UINT64 addr;

	remember_maps(self);
	EXPECT_EQ(HR_NOT_ENOUGH_MEMORY, alloc(self, 0, 0xFFFF0000u, MEM_RESERVE | MEM_COMMIT,
					      PAGE_READWRITE, &addr))
		TH_LOG("committed %#llx", (unsigned long long)addr);
	EXPECT_MAPS_UNCHANGED();
}

TEST_HARNESS_MAIN
