// SPDX-License-Identifier: GPL-2.0-only
/* The allocation record of each target mm, kept true by an mmu_notifier. */
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "remotevm.h"
#include "trace.h"

#ifndef CONFIG_MMU_NOTIFIER
#error "remotevm ties its allocation records to the target mm with an mmu_notifier"
#endif

/* ------------------------------------------------------------------ */
/* The allocation record                                              */
/* ------------------------------------------------------------------ */

struct remotevm_record *remotevm_record_of(struct mmu_notifier *notifier)
{
	return container_of(notifier, struct remotevm_record, notifier);
}

static struct mmu_notifier *remotevm_record_create(struct mm_struct *mm)
{
	struct remotevm_record *record = kzalloc(sizeof(*record), GFP_KERNEL_ACCOUNT);

	if (!record)
		return ERR_PTR(-ENOMEM);
	mutex_init(&record->lock);
	mutex_init(&record->worker_lock);
	spin_lock_init(&record->executing_lock);
	remotevm_watch_init(record);
	/*
	 * Not an RCU tree: the notifier reads it under the tree's own lock,
	 * and only our worker (holding record->lock) changes it, so entries
	 * and nodes can be freed at once.
	 */
	mt_init(&record->allocations);
	mt_init(&record->committed);
	return &record->notifier;
}

/* Only after the last reference: no allocation is left to pin it. */
static void remotevm_record_free(struct mmu_notifier *notifier)
{
	struct remotevm_record *record = remotevm_record_of(notifier);

	mtree_destroy(&record->allocations);
	mtree_destroy(&record->committed);
	kfree(record);
}

/*
 * The last allocation is gone. Never the last reference from a worker
 * (its handle holds one); from ->release it may be, which
 * mmu_notifier_put() allows, and module exit waits for it in
 * mmu_notifier_synchronize().
 */
static void remotevm_record_unpin(struct remotevm_record *record)
{
	mmu_notifier_put(&record->notifier);
	module_put(THIS_MODULE);
}

#define REMOTEVM_COMMITTED	xa_mk_value(1)

/*
 * Marks [start, end) committed or reserved. The record follows the
 * mappings, after they changed: it must not fail then for want of memory
 * (failslab made it, under remotevm-fuzz, and the undo could fail in
 * turn). A few small tree nodes: __GFP_NOFAIL.
 */
void remotevm_set_committed(struct remotevm_record *record,
			    unsigned long start, unsigned long end,
			    bool committed)
{
	mtree_store_range(&record->committed, start, end - 1,
			  committed ? REMOTEVM_COMMITTED : NULL,
			  GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
}

/* Whether @addr is committed, and where that state ends. */
bool remotevm_committed_at(struct remotevm_record *record,
			   unsigned long addr, unsigned long *state_end)
{
	MA_STATE(mas, &record->committed, addr, addr);
	void *entry;

	mtree_lock(&record->committed);
	entry = mas_walk(&mas);
	*state_end = mas.last == ULONG_MAX ? ULONG_MAX : mas.last + 1;
	mtree_unlock(&record->committed);
	return entry;
}

/* Whether all of [start, end) is committed. */
bool remotevm_all_committed(struct remotevm_record *record,
			    unsigned long start, unsigned long end)
{
	unsigned long state_end;

	return remotevm_committed_at(record, start, &state_end) &&
	       state_end >= end;
}

/*
 * Takes @a out of the tree, for certain: an erase can need a new node, and
 * mtree_erase() gives up silently when it cannot get one, which left a
 * freed allocation in the tree (KASAN, with failslab, under remotevm-fuzz).
 */
static void remotevm_allocation_unlink(struct remotevm_record *record,
				       struct remotevm_allocation *a)
{
	mtree_store_range(&record->allocations, a->start, a->end - 1, NULL,
			  GFP_KERNEL | __GFP_NOFAIL);
}

void remotevm_allocation_forget(struct remotevm_record *record,
				struct remotevm_allocation *a)
{
	/* Best effort: the next allocation here sets its own state anyway. */
	remotevm_set_committed(record, a->start, a->end, false);
	remotevm_allocation_unlink(record, a);
	kfree(a);
	if (!--record->nr_allocations) {
		WRITE_ONCE(record->lowest, 0);
		WRITE_ONCE(record->highest, 0);
		remotevm_record_unpin(record);
	}
}

/*
 * The mm is torn down: forget every allocation, one by one, so that the
 * tree is destroyed only once, empty (destroying a populated tree here and
 * again at free corrupted the maple_node cache on 6.12 when the record
 * was an RCU-mode tree). The record stays valid until we return: the
 * notifier core holds SRCU across ->release.
 */
static void remotevm_record_release(struct mmu_notifier *notifier,
				    struct mm_struct *mm)
{
	struct remotevm_record *record = remotevm_record_of(notifier);
	struct remotevm_allocation *a;
	unsigned long index = 0;

	mutex_lock(&record->lock);
	while ((a = mt_find(&record->allocations, &index, ULONG_MAX)))
		remotevm_allocation_forget(record, a);
	mutex_unlock(&record->lock);
}

/* Only the worker adds to the range, and only the worker takes it. */
static void remotevm_clobbered_add(struct remotevm_record *record,
				   unsigned long start, unsigned long end)
{
	if (record->clobbered_start == record->clobbered_end) {
		record->clobbered_start = start;
		record->clobbered_end = end;
		return;
	}
	record->clobbered_start = min(record->clobbered_start, start);
	record->clobbered_end = max(record->clobbered_end, end);
}

/*
 * Whether the worker's last mm operation unmapped a range the target had
 * taken back meanwhile (see remotevm_record_invalidate()): -ESTALE, and a
 * warning naming the range, as memory the target mapped there may be
 * gone. The range lets the target's owner match it to what it lost.
 */
int remotevm_take_clobbered(struct remotevm_context *ctx)
{
	struct remotevm_record *record = ctx->record;

	if (record->clobbered_start == record->clobbered_end)
		return 0;
	pr_warn_ratelimited("pid %d unmapped remotevm memory during an operation on it; what it mapped at %#lx-%#lx since may be lost\n",
			    task_tgid_nr(ctx->task), record->clobbered_start,
			    record->clobbered_end);
	record->clobbered_start = 0;
	record->clobbered_end = 0;
	return -ESTALE;
}

/*
 * An unmap by anyone but our worker (the target's munmap(), mremap() or
 * mmap(MAP_FIXED)) takes the range out of remotevm's hands. An unmap by
 * our worker of a range that became lost since the worker checked it
 * means the target unmapped it and may have mapped something of its own
 * there in between: vm_munmap() and vm_mmap() take the mmap lock
 * themselves, so no exported call checks and unmaps under one hold, and
 * that memory is gone by now. It cannot be prevented, only reported
 * (remotevm_take_clobbered()). May be called where sleeping is not
 * allowed: only the tree's spinlock.
 */
static int remotevm_record_invalidate(struct mmu_notifier *notifier,
				      const struct mmu_notifier_range *range)
{
	MA_STATE(mas, &remotevm_record_of(notifier)->allocations, range->start,
		 range->start);
	struct remotevm_record *record = remotevm_record_of(notifier);
	bool ours = READ_ONCE(record->busy_worker) == current;
	struct remotevm_allocation *a;

	if (range->event != MMU_NOTIFY_UNMAP ||
	    range->end <= READ_ONCE(record->lowest) ||
	    range->start >= READ_ONCE(record->highest))
		return 0;
	mtree_lock(&record->allocations);
	if (ours)
		record->worker_unmaps++;
	mas_for_each(&mas, a, range->end - 1) {
		if (!ours && !READ_ONCE(a->lost)) {
			WRITE_ONCE(a->lost, true);
			trace_lost(a->start, a->end);
		} else if (ours && READ_ONCE(a->lost)) {
			remotevm_clobbered_add(record, range->start, range->end);
		}
	}
	mtree_unlock(&record->allocations);
	return 0;
}

const struct mmu_notifier_ops remotevm_record_ops = {
	.release = remotevm_record_release,
	.invalidate_range_start = remotevm_record_invalidate,
	.alloc_notifier = remotevm_record_create,
	.free_notifier = remotevm_record_free,
};

/* The allocation containing @addr that is still remotevm's, or NULL. */
struct remotevm_allocation *
remotevm_allocation_at(struct remotevm_record *record, unsigned long addr)
{
	struct remotevm_allocation *a = mtree_load(&record->allocations, addr);

	return a && !READ_ONCE(a->lost) ? a : NULL;
}

/* The first allocation keeps the record alive past its handles. */
static int remotevm_record_pin(struct remotevm_context *ctx)
{
	/* The record exists: this only takes a reference on it. */
	struct mmu_notifier *notifier = mmu_notifier_get(&remotevm_record_ops,
							 ctx->mm);

	if (IS_ERR(notifier))
		return PTR_ERR(notifier);
	__module_get(THIS_MODULE);
	return 0;
}

/*
 * A record overlapping a range the kernel just gave us describes memory
 * the target has unmapped since: it is no longer ours.
 */
static void remotevm_forget_overlapping(struct remotevm_record *record,
					unsigned long start, unsigned long end)
{
	struct remotevm_allocation *stale;
	unsigned long index = start;

	while ((stale = mt_find(&record->allocations, &index, end - 1))) {
		remotevm_allocation_forget(record, stale);
		index = start;
	}
}

/*
 * Before the tree holds [start, end): an unmap that is not concurrent
 * with this add (the caller learns the address only after) sees it.
 */
static void remotevm_record_span(struct remotevm_record *record,
				 unsigned long start, unsigned long end)
{
	if (!record->highest || start < record->lowest)
		WRITE_ONCE(record->lowest, start);
	if (end > record->highest)
		WRITE_ONCE(record->highest, end);
}

/* Whether @count more allocations would take the target past its limit. */
bool remotevm_record_full(const struct remotevm_record *record,
			  unsigned long count)
{
	return record->nr_allocations + count > REMOTEVM_MAX_ALLOCATIONS;
}

/*
 * Records a range the caller has just mapped, after checking
 * remotevm_record_full(). It must not fail for want of memory: undoing the
 * mapping needs memory too, and when that vm_munmap() failed as well, the
 * mapping stayed in the target with no record of it (remotevm-fuzz, with
 * failslab). The entry and the tree nodes are small: __GFP_NOFAIL, as in
 * remotevm_set_committed().
 */
int remotevm_record_add(struct remotevm_context *ctx,
			unsigned long start, unsigned long len,
			u32 protection, bool committed)
{
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_NOFAIL;
	struct remotevm_record *record = ctx->record;
	struct remotevm_allocation *a = kzalloc(sizeof(*a), gfp);
	int ret;

	a->start = start;
	a->end = start + len;
	a->owner = ctx->handle->id;
	a->protection = protection;
	remotevm_forget_overlapping(record, start, a->end);
	remotevm_record_span(record, start, a->end);
	remotevm_set_committed(record, start, a->end, committed);
	ret = mtree_insert_range(&record->allocations, start, a->end - 1, a, gfp);
	if (!ret && !record->nr_allocations) {
		ret = remotevm_record_pin(ctx);
		if (ret)
			remotevm_allocation_unlink(record, a);
	}
	if (ret) {
		kfree(a);
		return ret;
	}
	record->nr_allocations++;
	return 0;
}

/*
 * The pages [*start, *end) holding [address, address + size), which must
 * lie within the target's address space (else -EINVAL) and within one
 * allocation that is still remotevm's (else -EADDRNOTAVAIL).
 */
int remotevm_pages_of_allocation(struct remotevm_context *ctx,
				 u64 address, u64 size,
				 unsigned long *start, unsigned long *end)
{
	struct remotevm_allocation *a;

	*start = ALIGN_DOWN(address, PAGE_SIZE);
	*end = PAGE_ALIGN(address + size);
	if (!*end || *end > ctx->task_size)
		return -EINVAL;
	a = remotevm_allocation_at(ctx->record, *start);
	return a && *end <= a->end ? 0 : -EADDRNOTAVAIL;
}

