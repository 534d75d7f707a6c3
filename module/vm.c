// SPDX-License-Identifier: GPL-2.0-only
/* The Win32 VM operations on the target's mm: reserve, commit, reset, free, query. */
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/userfaultfd_k.h>

#include "remotevm.h"

/* The kernel's default stack_guard_gap, which modules cannot read. */
#define REMOTEVM_STACK_GUARD_GAP	(256UL << PAGE_SHIFT)

/* ------------------------------------------------------------------ */
/* The target's mappings                                              */
/* ------------------------------------------------------------------ */

/*
 * Whether vm_mmap() will populate the mapping before it returns: in a
 * target that called mlockall(MCL_FUTURE), any accessible one is.
 */
static bool remotevm_map_populates(unsigned long prot)
{
	unsigned long def_flags = READ_ONCE(current->mm->def_flags);

	return prot != PROT_NONE &&
	       (def_flags & (VM_LOCKED | VM_LOCKONFAULT)) == VM_LOCKED;
}

/*
 * Maps in the target's mm (the worker's). A populated mapping larger than
 * the memory available now is refused: the worker populates it, not the
 * target, and an OOM kill of the target would free none of it while the
 * worker holds the mm (a read-only one costs a page table per 2 MiB, and
 * is not charged against overcommit).
 */
unsigned long remotevm_map(unsigned long address, unsigned long len,
			   unsigned long prot, unsigned long flags)
{
	if (remotevm_map_populates(prot) &&
	    len >> PAGE_SHIFT > si_mem_available())
		return -ENOMEM;
	return vm_mmap(NULL, address, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, 0);
}

bool remotevm_vma_is_private_anon(struct vm_area_struct *vma)
{
	return vma_is_anonymous(vma) && !(vma->vm_flags & VM_SHARED);
}

/*
 * Calls @fn for each VMA piece of [start, end), under the mmap lock, and
 * stops at its first error. A hole in the range is -EADDRNOTAVAIL: the
 * target unmapped something there.
 */
int remotevm_walk(struct mm_struct *mm, unsigned long start,
		  unsigned long end,
		  int (*fn)(struct vm_area_struct *vma, unsigned long start,
			    unsigned long end, void *arg),
		  void *arg)
{
	unsigned long cursor = start;
	struct vm_area_struct *vma;
	int ret = 0;

	mmap_read_lock(mm);
	while (cursor < end) {
		vma = find_vma(mm, cursor);
		if (!vma || vma->vm_start > cursor) {
			ret = -EADDRNOTAVAIL;
			break;
		}
		ret = fn(vma, cursor, min(vma->vm_end, end), arg);
		if (ret)
			break;
		cursor = min(vma->vm_end, end);
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * What a remap keeps of the target's own settings of its VMAs: mlock()
 * (MAP_LOCKED). The others (madvise() flags such as MADV_DONTFORK or
 * MADV_WIPEONFORK, anon names, memory policy) cannot be given to vm_mmap()
 * and are lost.
 */
unsigned long remotevm_kept_flags(struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_LOCKED ? MAP_LOCKED : 0;
}

/*
 * Memory remotevm may unmap: anonymous, private, no userfaultfd. With an
 * @arg, collects the mmap flags a remap of it keeps there.
 */
int remotevm_check_ours(struct vm_area_struct *vma, unsigned long start,
			unsigned long end, void *arg)
{
	if (!remotevm_vma_is_private_anon(vma))
		return -EADDRNOTAVAIL;
	if (arg)
		*(unsigned long *)arg |= remotevm_kept_flags(vma);
	return userfaultfd_armed(vma) ? -EBUSY : 0;
}

/*
 * Finds a free range of @len bytes, aligned to @align, inside [lo, hi),
 * the lowest one or (@top_down) the highest one. Keeps the kernel's
 * default guard gap below stacks, as the kernel's own search does.
 * Returns the address, or 0 if there is none.
 */
static unsigned long remotevm_find_gap(struct mm_struct *mm, unsigned long lo,
				       unsigned long hi, unsigned long len,
				       unsigned long align, bool top_down)
{
	VMA_ITERATOR(vmi, mm, lo);
	struct vm_area_struct *vma;
	unsigned long gap_start = 0, found = 0;

	if (hi < len || hi - len < lo)
		return 0;

	mmap_read_lock(mm);
	for (;;) {
		unsigned long gap_end, start, end;

		vma = vma_next(&vmi);
		gap_end = vma ? vma->vm_start : ULONG_MAX;
		if (vma && (vma->vm_flags & VM_GROWSDOWN))
			gap_end = gap_end > REMOTEVM_STACK_GUARD_GAP ?
				  gap_end - REMOTEVM_STACK_GUARD_GAP : 0;
		start = max(gap_start, lo);
		end = min(gap_end, hi);
		if (end > start && end - start >= len) {
			unsigned long low = ALIGN(start, align);
			unsigned long high = ALIGN_DOWN(end - len, align);

			if (low >= start && low <= end - len) {
				found = top_down ? high : low;
				if (!top_down)
					break;
			}
		}
		if (!vma || vma->vm_end >= hi)
			break;
		gap_start = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return found;
}

/* ------------------------------------------------------------------ */
/* VirtualAlloc: reserve, commit, reset                               */
/* ------------------------------------------------------------------ */

/*
 * Whether vm_mmap() may place a new allocation: the kernel's own choice is
 * the target's own choice only for a native target asking nothing
 * special, as its search reads the caller's (the kthread's) word size,
 * and it aligns to a page only: the caller must ask for that.
 */
bool remotevm_kernel_places(struct remotevm_context *ctx,
			    const struct remotevm_alloc *alloc)
{
	return !alloc->address &&
	       !(alloc->allocation_type & REMOTEVM_MEM_TOP_DOWN) &&
	       !alloc->lowest && !alloc->highest &&
	       alloc->alignment == PAGE_SIZE && ctx->task_size > SZ_4G;
}

/*
 * At the address asked for, rounded down to the allocation granularity.
 * Never replaces a mapping: the range is free or the call fails.
 */
static unsigned long remotevm_reserve_at(struct remotevm_context *ctx,
					 const struct remotevm_alloc *alloc,
					 unsigned long prot, unsigned long flags,
					 unsigned long *len)
{
	unsigned long start = ALIGN_DOWN(alloc->address,
					 REMOTEVM_ALLOCATION_GRANULARITY);
	unsigned long end = PAGE_ALIGN(alloc->address + alloc->size);

	if (!end || end > ctx->task_size)
		return -EINVAL;
	*len = end - start;
	return remotevm_map(start, *len, prot, flags | MAP_FIXED_NOREPLACE);
}

/* Where the module chooses, inside the placement window asked for. */
static unsigned long remotevm_reserve_anywhere(struct remotevm_context *ctx,
					       const struct remotevm_alloc *alloc,
					       unsigned long prot,
					       unsigned long flags,
					       unsigned long *len)
{
	unsigned long hi = alloc->highest ? alloc->highest + 1 : 0;
	unsigned long align = alloc->alignment ?: REMOTEVM_ALLOCATION_GRANULARITY;
	/*
	 * The way the target's own mmap() goes, top-down or (legacy layout)
	 * bottom-up, unless MEM_TOP_DOWN or a lowest address says otherwise.
	 */
	bool top_down = (alloc->allocation_type & REMOTEVM_MEM_TOP_DOWN) ||
			(!alloc->lowest && !ctx->bottom_up_base);
	unsigned long lo = alloc->lowest ?: (top_down ? 0 : ctx->bottom_up_base);
	unsigned long addr = -ENOMEM;
	int tries;

	lo = max_t(unsigned long, lo, REMOTEVM_LOWEST_ADDRESS);
	if (alloc->size > ctx->task_size)
		return -ENOMEM;
	*len = PAGE_ALIGN(alloc->size);
	if (remotevm_kernel_places(ctx, alloc))
		return remotevm_map(0, *len, prot, flags);
	if (!hi || hi > ctx->task_size)
		hi = ctx->task_size;
	if (!alloc->highest)
		hi = min(hi, ctx->mmap_base);
	/*
	 * The search and the map are two steps: retry if the target
	 * mapped something into the gap in between.
	 */
	for (tries = 0; tries < 8 && addr == -ENOMEM; tries++) {
		unsigned long gap = remotevm_find_gap(ctx->mm, lo, hi, *len,
						      align, top_down);

		if (!gap)
			return -ENOMEM;
		addr = remotevm_map(gap, *len, prot, flags | MAP_FIXED_NOREPLACE);
		if (addr == -EEXIST)
			addr = -ENOMEM;
	}
	return addr;
}

/* Reserves (and with MEM_COMMIT commits) a new range. */
int remotevm_reserve(struct remotevm_context *ctx,
		     struct remotevm_checked_op *checked)
{
	struct remotevm_alloc *alloc = &checked->op.alloc;
	bool commit = alloc->allocation_type & REMOTEVM_MEM_COMMIT;
	unsigned long flags = commit ? 0 : MAP_NORESERVE;
	unsigned long len, addr;
	int ret;

	if (remotevm_record_full(ctx->record, 1))
		return -ENOMEM;
	if (alloc->address)
		addr = remotevm_reserve_at(ctx, alloc, checked->prot, flags, &len);
	else
		addr = remotevm_reserve_anywhere(ctx, alloc, checked->prot, flags,
						 &len);
	if (IS_ERR_VALUE(addr))
		return (long)addr;

	ret = remotevm_record_add(ctx, addr, len, alloc->page_protection,
				  commit);
	if (ret) {
		vm_munmap(addr, len);
		return ret;
	}
	alloc->allocated_address = addr;
	alloc->allocated_size = len;
	return 0;
}

void remotevm_spans_add(struct remotevm_spans *spans, unsigned long start,
			unsigned long end, unsigned long prot)
{
	if (!spans->nr || spans->last_end != start || spans->last_prot != prot) {
		if (spans->nr < spans->max) {
			spans->span[spans->nr].start = start;
			spans->span[spans->nr].prot = prot;
		}
		spans->nr++;
	}
	if (spans->nr <= spans->max)
		spans->span[spans->nr - 1].end = end;
	spans->last_end = end;
	spans->last_prot = prot;
}

/*
 * Walks [start, end) twice with @fn, which gets @spans (inside the scan
 * state of its own) and adds to it: to count the spans, then to fill in
 * an array of that size. -EAGAIN if the target changed the range in
 * between.
 */
int remotevm_collect_spans(struct remotevm_context *ctx,
			   unsigned long start, unsigned long end,
			   int (*fn)(struct vm_area_struct *vma,
				     unsigned long start,
				     unsigned long end, void *arg),
			   struct remotevm_spans *spans)
{
	int ret, nr;

	spans->span = NULL;
	spans->max = 0;
	spans->nr = 0;
	ret = remotevm_walk(ctx->mm, start, end, fn, spans);
	if (ret || !spans->nr)
		return ret;
	nr = spans->nr;
	spans->span = kvmalloc_array(nr, sizeof(*spans->span), GFP_KERNEL);
	if (!spans->span)
		return -ENOMEM;
	spans->max = nr;
	spans->nr = 0;
	ret = remotevm_walk(ctx->mm, start, end, fn, spans);
	if (!ret && spans->nr != nr)
		ret = -EAGAIN;
	if (ret) {
		kvfree(spans->span);
		spans->span = NULL;
	}
	return ret;
}

/* The allocation holding @addr is no longer remotevm's to touch. */
void remotevm_allocation_lose(struct remotevm_context *ctx,
			      unsigned long addr)
{
	struct remotevm_allocation *a = mtree_load(&ctx->record->allocations,
						   addr);

	if (a)
		WRITE_ONCE(a->lost, true);
}

/*
 * Maps @prot with MAP_FIXED over [start, start + len) of an allocation.
 * When that fails, *@emptied says whether the kernel had unmapped the old
 * mappings first: 6.1's mmap_region() always does (it unmaps before the
 * accounting and the VMA allocation that can fail), 6.12's when it failed
 * after clearing their page tables, and otherwise puts them back. The
 * worker's own unmap is what our notifier counts. After it, whatever is
 * in the range was mapped by the target, into the hole.
 */
unsigned long remotevm_map_over(struct remotevm_context *ctx,
				unsigned long start, unsigned long len,
				unsigned long prot, unsigned long flags,
				bool *emptied)
{
	unsigned long unmaps = ctx->record->worker_unmaps;
	unsigned long addr = remotevm_map(start, len, prot, flags | MAP_FIXED);

	*emptied = ctx->record->worker_unmaps != unmaps;
	return addr;
}

/*
 * Maps @prot over [start, end) after a failed remotevm_map_over(), where
 * nothing is mapped if it @emptied the range. If the range is neither
 * empty nor still remotevm's as before (the target mapped something
 * there meanwhile), the allocation is given up: remotevm never covers
 * memory it does not hold. Returns 0 when it mapped the range, 1 when the
 * old mappings are still there, -EADDRNOTAVAIL when the allocation is
 * lost.
 */
int remotevm_refill(struct remotevm_context *ctx, unsigned long start,
		    unsigned long end, unsigned long prot,
		    unsigned long flags, bool emptied)
{
	unsigned long addr = remotevm_map(start, end - start, prot,
					  flags | MAP_FIXED_NOREPLACE);

	if (!IS_ERR_VALUE(addr))
		return 0;
	/*
	 * Mapped over since the remap emptied it: the target's own mapping,
	 * which passes for remotevm's by its kind (found by remotevm-fuzz:
	 * a later decommit turned a page of the target's PROT_NONE).
	 */
	if (addr == -EEXIST && !emptied &&
	    !remotevm_walk(ctx->mm, start, end, remotevm_check_ours, NULL))
		return 1;
	remotevm_allocation_lose(ctx, start);
	return -EADDRNOTAVAIL;
}

/*
 * Maps [start, start + len) afresh over memory of a remotevm allocation;
 * on failure, the range is reserved again (or the allocation lost), never
 * left a hole that the record still covers. A reservation is what a
 * decommit asks for: if the refill made exactly that, the remap did not
 * fail (found by the fault-injection sweep on 6.1, where the decommit
 * reported ENOMEM with its pages decommitted).
 */
static int remotevm_remap(struct remotevm_context *ctx, unsigned long start,
			  unsigned long len, unsigned long prot,
			  unsigned long flags)
{
	bool emptied;
	unsigned long addr = remotevm_map_over(ctx, start, len, prot, flags,
					       &emptied);

	if (!IS_ERR_VALUE(addr))
		return 0;
	if (remotevm_refill(ctx, start, start + len, PROT_NONE, MAP_NORESERVE,
			    emptied))
		return (long)addr;
	remotevm_set_committed(ctx->record, start, start + len, false);
	return prot == PROT_NONE && flags == MAP_NORESERVE ? 0 : (long)addr;
}

struct remotevm_commit_scan {
	struct remotevm_spans reserved;
	struct remotevm_record *record;
	unsigned long kept;	/* see remotevm_kept_flags() */
};

/*
 * Collects the reserved runs of a range to commit. Committed memory is
 * left alone, and so is a reservation the target made accessible itself;
 * one it wrote into (an anon_vma) or registered with a userfaultfd is
 * refused.
 */
static int remotevm_collect_reserved(struct vm_area_struct *vma,
				     unsigned long start, unsigned long end,
				     void *arg)
{
	struct remotevm_commit_scan *scan =
		container_of(arg, struct remotevm_commit_scan, reserved);
	unsigned long state_end;

	if (!remotevm_vma_is_private_anon(vma))
		return -EADDRNOTAVAIL;
	for (; start < end; start = state_end) {
		bool committed = remotevm_committed_at(scan->record, start,
						       &state_end);

		state_end = min(state_end, end);
		if (committed || (vma->vm_flags & REMOTEVM_VM_ACCESS))
			continue;
		if (userfaultfd_armed(vma))
			return -EBUSY;
		if (vma->anon_vma)
			return -EADDRNOTAVAIL;
		scan->kept |= remotevm_kept_flags(vma);
		remotevm_spans_add(&scan->reserved, start, state_end, PROT_NONE);
	}
	return 0;
}

/* After a failure: the first @nr runs are reserved again. */
static void remotevm_uncommit_runs(struct remotevm_context *ctx,
				   const struct remotevm_spans *runs, int nr,
				   unsigned long kept)
{
	while (nr--)
		remotevm_remap(ctx, runs->span[nr].start,
			       runs->span[nr].end - runs->span[nr].start,
			       PROT_NONE, MAP_NORESERVE | kept);
}

/*
 * Maps every reserved run with @prot, or, after a failure, none of them.
 * Check-then-act: vm_mmap() takes the mmap lock itself, so the target
 * could touch a run between the walk that found it and the map here. It
 * would have to mprotect() and write into a remotevm reservation it
 * never allocated, which no correct program does.
 */
static int remotevm_commit_runs(struct remotevm_context *ctx,
				const struct remotevm_spans *runs,
				unsigned long prot, unsigned long kept)
{
	int i, ret;

	for (i = 0; i < runs->nr; i++) {
		ret = remotevm_remap(ctx, runs->span[i].start,
				     runs->span[i].end - runs->span[i].start,
				     prot, kept);
		if (ret) {
			/* The failing run is reserved again already. */
			remotevm_uncommit_runs(ctx, runs, i, kept);
			return ret;
		}
	}
	return 0;
}

/*
 * Commits pages inside an existing remotevm reservation. Pages already
 * committed keep their contents and protection; reserved ones are mapped
 * afresh (zero-filled) with the protection asked for. Either every
 * reserved run is committed or, after a failure, all of them are
 * reserved again.
 */
int remotevm_commit(struct remotevm_context *ctx,
		    struct remotevm_checked_op *checked)
{
	struct remotevm_alloc *alloc = &checked->op.alloc;
	struct remotevm_commit_scan scan = { .record = ctx->record };
	struct remotevm_spans *runs = &scan.reserved;
	unsigned long start, end;
	int ret;

	ret = remotevm_pages_of_allocation(ctx, alloc->address, alloc->size,
					   &start, &end);
	if (ret)
		return ret;
	ret = remotevm_collect_spans(ctx, start, end, remotevm_collect_reserved,
				     runs);
	if (ret)
		return ret;
	ret = remotevm_commit_runs(ctx, runs, checked->prot, scan.kept);
	if (!ret)
		remotevm_set_committed(ctx->record, start, end, true);
	kvfree(runs->span);
	if (ret)
		return ret;
	alloc->allocated_address = start;
	alloc->allocated_size = end - start;
	return 0;
}

static void remotevm_zap(struct vm_area_struct *vma, unsigned long start,
			 unsigned long end)
{
#ifdef REMOTEVM_HAVE_ZAP_PAGE_RANGE_SINGLE
	zap_page_range_single(vma, start, end - start, NULL);
#else
	zap_page_range(vma, start, end - start);
#endif
}

struct remotevm_reset_scan {
	struct remotevm_record *record;
	bool undo;
};

/*
 * MEM_RESET drops committed pages now; mlock()ed ones stay, as with
 * madvise(). Reserved pages have nothing to drop: Windows accepts them.
 */
static int remotevm_reset_pages(struct vm_area_struct *vma, unsigned long start,
				unsigned long end, void *arg)
{
	const struct remotevm_reset_scan *reset = arg;
	unsigned long state_end;

	if (!remotevm_vma_is_private_anon(vma))
		return -EADDRNOTAVAIL;
	/* madvise() would tell the monitor (UFFD_EVENT_REMOVE); we cannot. */
	if (userfaultfd_armed(vma))
		return -EBUSY;
	if (reset->undo || (vma->vm_flags & VM_LOCKED))
		return 0;
	for (; start < end; start = state_end) {
		bool committed = remotevm_committed_at(reset->record, start,
						       &state_end);

		state_end = min(state_end, end);
		if (committed)
			remotevm_zap(vma, start, state_end);
	}
	return 0;
}

/*
 * MEM_RESET: the target no longer needs the contents of these committed
 * pages; they are dropped at once and read as zero. MEM_RESET_UNDO can
 * therefore never find the data intact: -ENODATA, as Windows fails it
 * when any of the data was replaced with zeroes.
 */
int remotevm_reset(struct remotevm_context *ctx,
		   struct remotevm_checked_op *checked)
{
	struct remotevm_alloc *alloc = &checked->op.alloc;
	struct remotevm_reset_scan reset = {
		.record = ctx->record,
		.undo = alloc->allocation_type == REMOTEVM_MEM_RESET_UNDO,
	};
	unsigned long start, end;
	int ret;

	ret = remotevm_pages_of_allocation(ctx, alloc->address, alloc->size,
					   &start, &end);
	if (ret)
		return ret;
	ret = remotevm_walk(ctx->mm, start, end, remotevm_reset_pages, &reset);
	if (ret)
		return ret;
	if (reset.undo)
		return -ENODATA;
	alloc->allocated_address = start;
	alloc->allocated_size = end - start;
	return 0;
}

/* ------------------------------------------------------------------ */
/* VirtualFree: decommit, release                                     */
/* ------------------------------------------------------------------ */

int remotevm_decommit(struct remotevm_context *ctx,
		      struct remotevm_checked_op *checked)
{
	const struct remotevm_free *free = &checked->op.free;
	struct remotevm_allocation *a = remotevm_allocation_at(ctx->record,
							      free->address);
	unsigned long start, end, kept = 0;
	int ret;

	if (!a)
		return -EADDRNOTAVAIL;
	if (free->size) {
		start = ALIGN_DOWN(free->address, PAGE_SIZE);
		end = PAGE_ALIGN(free->address + free->size);
		/* Windows: STATUS_UNABLE_TO_FREE_VM, ERROR_INVALID_PARAMETER. */
		if (!end || end > a->end)
			return -EINVAL;
	} else if (ALIGN_DOWN(free->address, PAGE_SIZE) == a->start) {
		start = a->start;
		end = a->end;
	} else {
		/* Size 0 means the whole allocation, from its base. */
		return -EADDRNOTAVAIL;
	}
	ret = remotevm_walk(ctx->mm, start, end, remotevm_check_ours, &kept);
	if (ret)
		return ret;
	/* Back to reserved: contents discarded, no longer accounted. */
	ret = remotevm_remap(ctx, start, end - start, PROT_NONE,
			     MAP_NORESERVE | kept);
	if (ret)
		return ret;
	remotevm_set_committed(ctx->record, start, end, false);
	return 0;
}

static int remotevm_release_allocation(struct remotevm_context *ctx,
				       struct remotevm_allocation *a)
{
	int ret;

	if (READ_ONCE(a->lost)) {
		/* Not ours any more: never unmap what the target put there. */
		remotevm_allocation_forget(ctx->record, a);
		return -EADDRNOTAVAIL;
	}
	ret = remotevm_walk(ctx->mm, a->start, a->end, remotevm_check_ours, NULL);
	if (ret)
		return ret;
	ret = vm_munmap(a->start, a->end - a->start);
	if (ret)
		return ret;
	remotevm_allocation_forget(ctx->record, a);
	return 0;
}

/* MEM_RELEASE: a whole allocation, named by an address in its first page. */
int remotevm_release(struct remotevm_context *ctx,
		     struct remotevm_checked_op *checked)
{
	const struct remotevm_free *free = &checked->op.free;
	struct remotevm_allocation *a;

	a = mtree_load(&ctx->record->allocations, free->address);
	if (!a || a->start != ALIGN_DOWN(free->address, PAGE_SIZE))
		return -EADDRNOTAVAIL;
	return remotevm_release_allocation(ctx, a);
}

/* REMOTEVM_ATTACH_RELEASE_ON_CLOSE: everything this handle allocated. */
int remotevm_release_owned(struct remotevm_context *ctx, void *unused)
{
	struct remotevm_allocation *a;
	unsigned long index = 0;

	mt_for_each(&ctx->record->allocations, a, index, ULONG_MAX) {
		if (a->owner != ctx->handle->id)
			continue;
		remotevm_release_allocation(ctx, a);
		WRITE_ONCE(ctx->handle->released_on_close,
			   ctx->handle->released_on_close + 1);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* VirtualQuery                                                       */
/* ------------------------------------------------------------------ */

u32 remotevm_vma_protection(struct vm_area_struct *vma)
{
	/* A private file mapping that can be written is copy-on-write. */
	bool cow = vma->vm_file && !(vma->vm_flags & VM_SHARED);

	switch (vma->vm_flags & REMOTEVM_VM_ACCESS) {
	case 0:
		return REMOTEVM_PAGE_NOACCESS;
	case VM_READ:
		return REMOTEVM_PAGE_READONLY;
	case VM_WRITE:
	case VM_READ | VM_WRITE:
		return cow ? REMOTEVM_PAGE_WRITECOPY : REMOTEVM_PAGE_READWRITE;
	case VM_EXEC:
		return REMOTEVM_PAGE_EXECUTE;
	case VM_READ | VM_EXEC:
		return REMOTEVM_PAGE_EXECUTE_READ;
	}
	return cow ? REMOTEVM_PAGE_EXECUTE_WRITECOPY :
		     REMOTEVM_PAGE_EXECUTE_READWRITE;
}

/*
 * Whether the VMA after a region's last one looks the same, so that the
 * region goes on. Of memory remotevm did not make, inaccessible anonymous
 * or file memory counts as reserved, as on Windows; remotevm's own pages
 * keep to the state its record gives them.
 */
static bool remotevm_region_continues(struct vm_area_struct *next,
				      bool remotevm, u32 state, u32 protect,
				      u32 type)
{
	bool accessible = next->vm_flags & REMOTEVM_VM_ACCESS;
	bool private = type == REMOTEVM_MEM_PRIVATE;

	if (remotevm_vma_is_private_anon(next) != private)
		return false;
	if (state == REMOTEVM_MEM_RESERVE)
		return remotevm || !accessible;
	return (remotevm || accessible) &&
	       remotevm_vma_protection(next) == protect;
}

/*
 * What counts as one allocation of memory remotevm did not make: a file
 * mapped in consecutive VMAs (an ELF image is), or a single VMA. A listing
 * keeps the last one it found, under the same mmap lock hold: each region
 * of a file mapped in n VMAs would otherwise walk all n again.
 */
struct remotevm_mapping {
	struct file *file;
	unsigned long start, end;
	bool image;
};

static void remotevm_mapping_bounds(struct mm_struct *mm,
				    struct vm_area_struct *vma,
				    struct remotevm_mapping *mapping)
{
	struct vm_area_struct *v;

	if (vma->vm_file && mapping->file == vma->vm_file &&
	    mapping->start <= vma->vm_start && vma->vm_end <= mapping->end)
		return;
	mapping->file = vma->vm_file;
	mapping->start = vma->vm_start;
	mapping->end = vma->vm_end;
	mapping->image = vma->vm_flags & VM_EXEC;
	if (!vma->vm_file)
		return;
	while (mapping->start > 0 && (v = find_vma(mm, mapping->start - 1)) &&
	       v->vm_end == mapping->start && v->vm_file == vma->vm_file) {
		mapping->start = v->vm_start;
		mapping->image |= v->vm_flags & VM_EXEC;
	}
	while ((v = find_vma(mm, mapping->end)) && v->vm_start == mapping->end &&
	       v->vm_file == vma->vm_file) {
		mapping->end = v->vm_end;
		mapping->image |= v->vm_flags & VM_EXEC;
	}
}

/* A region nothing is mapped in, up to the next VMA. */
static void remotevm_describe_free(struct remotevm_context *ctx,
				   struct vm_area_struct *vma,
				   unsigned long limit,
				   struct remotevm_region *region)
{
	unsigned long end = vma ? vma->vm_start : ctx->task_size;

	region->state = REMOTEVM_MEM_FREE;
	region->protect = REMOTEVM_PAGE_NOACCESS;
	region->region_size = min(end, limit) - region->base_address;
}

/*
 * The allocation @addr (in @vma) is part of: remotevm's own, whose record
 * says whether the page is reserved, or what counts as one of memory
 * remotevm did not make. Returns the allocation, if it is remotevm's,
 * and where the region can go on to at most in @hi.
 */
static struct remotevm_allocation *
remotevm_describe_allocation(struct remotevm_context *ctx,
			     struct vm_area_struct *vma, unsigned long addr,
			     struct remotevm_region *region,
			     struct remotevm_mapping *mapping,
			     unsigned long *hi, bool *reserved, bool *image)
{
	struct remotevm_allocation *a = remotevm_allocation_at(ctx->record, addr);
	unsigned long state_end;

	if (a) {
		*reserved = !remotevm_committed_at(ctx->record, addr, &state_end);
		*hi = min(a->end, state_end);
		region->allocation_base = a->start;
		region->allocation_protect = a->protection;
		return a;
	}
	remotevm_mapping_bounds(ctx->mm, vma, mapping);
	*hi = mapping->end;
	*image = mapping->image;
	*reserved = !(vma->vm_flags & REMOTEVM_VM_ACCESS);
	region->allocation_base = mapping->start;
	region->allocation_protect =
		remotevm_vma_protection(find_vma(ctx->mm, mapping->start));
	return NULL;
}

/* Where the region @vma starts ends: before @hi, at the first VMA unlike it. */
static unsigned long remotevm_region_end(struct mm_struct *mm,
					 struct vm_area_struct *vma,
					 unsigned long hi, bool remotevm,
					 const struct remotevm_region *region)
{
	unsigned long end = vma->vm_end;
	struct vm_area_struct *next;

	while (end < hi && (next = find_vma(mm, end)) &&
	       next->vm_start == end &&
	       remotevm_region_continues(next, remotevm, region->state,
					 region->protect, region->type))
		end = next->vm_end;
	return end;
}

/* MEMORY_BASIC_INFORMATION of @addr, its region ending at @limit at most. */
static void remotevm_describe(struct remotevm_context *ctx, unsigned long addr,
			      unsigned long limit, struct remotevm_region *region,
			      struct remotevm_mapping *mapping)
{
	struct vm_area_struct *vma = find_vma(ctx->mm, addr);
	struct remotevm_allocation *a;
	bool image = false, reserved;
	unsigned long hi, end;

	memset(region, 0, sizeof(*region));
	region->base_address = PAGE_ALIGN_DOWN(addr);
	if (!vma || vma->vm_start > addr) {
		remotevm_describe_free(ctx, vma, limit, region);
		return;
	}
	a = remotevm_describe_allocation(ctx, vma, addr, region, mapping, &hi,
					 &reserved, &image);
	if (remotevm_vma_is_private_anon(vma))
		region->type = REMOTEVM_MEM_PRIVATE;
	else
		region->type = image ? REMOTEVM_MEM_IMAGE : REMOTEVM_MEM_MAPPED;
	region->state = reserved ? REMOTEVM_MEM_RESERVE : REMOTEVM_MEM_COMMIT;
	region->protect = reserved ? 0 : remotevm_vma_protection(vma);
	end = remotevm_region_end(ctx->mm, vma, hi, a, region);
	region->region_size = min3(end, hi, limit) - region->base_address;
}

/*
 * Whether remotevm_describe() would call the page at @addr committed and
 * accessible (MEM_COMMIT, not PAGE_NOACCESS), without describing its whole
 * region: what ReadProcessMemory may read.
 */
bool remotevm_page_readable(struct remotevm_context *ctx, unsigned long addr)
{
	struct vm_area_struct *vma = vma_lookup(ctx->mm, addr);
	unsigned long state_end;

	if (!vma || !(vma->vm_flags & REMOTEVM_VM_ACCESS))
		return false;
	return !remotevm_allocation_at(ctx->record, addr) ||
	       remotevm_committed_at(ctx->record, addr, &state_end);
}

int remotevm_do_query(struct remotevm_context *ctx,
		      struct remotevm_checked_op *checked)
{
	struct remotevm_query *query = &checked->op.query;
	struct remotevm_mapping mapping = { 0 };

	if (query->address >= ctx->task_size)
		return -EINVAL;
	mmap_read_lock(ctx->mm);
	remotevm_describe(ctx, query->address, ctx->task_size, &query->region,
			  &mapping);
	mmap_read_unlock(ctx->mm);
	return 0;
}

int remotevm_list_regions(struct remotevm_context *ctx, void *arg)
{
	struct remotevm_region_list *list = arg;
	unsigned long addr = list->start;
	unsigned long end = min(list->end, ctx->task_size);
	struct remotevm_mapping mapping = { 0 };

	mmap_read_lock(ctx->mm);
	while (addr < end && list->written < list->count) {
		struct remotevm_region *region = &list->regions[list->written++];

		remotevm_describe(ctx, addr, end, region, &mapping);
		addr = region->base_address + region->region_size;
		/* Up to REMOTEVM_REGIONS_MAX of them: let others run meanwhile. */
		cond_resched();
	}
	mmap_read_unlock(ctx->mm);
	list->start = addr < end ? addr : list->end;
	return 0;
}

