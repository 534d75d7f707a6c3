// SPDX-License-Identifier: GPL-2.0-only
/* VirtualProtect: a range mapped afresh with a new protection. */
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/userfaultfd_k.h>

#include "remotevm.h"

/* REMOTEVM_PROTECT_COPY holds the contents in kernel memory meanwhile. */
#define REMOTEVM_PROTECT_COPY_MAX	SZ_64M

/* ------------------------------------------------------------------ */
/* VirtualProtect                                                     */
/* ------------------------------------------------------------------ */

/*
 * Whether the target's pages in [start, start + len) read as zero, i.e.
 * hold nothing a fresh mapping would lose: 1, 0, or -errno.
 */
static int remotevm_range_is_zero(struct remotevm_context *ctx,
				  unsigned long start, unsigned long len)
{
	void *page = kmalloc(PAGE_SIZE, GFP_KERNEL);
	unsigned long offset;
	int ret = 1;

	if (!page)
		return -ENOMEM;
	for (offset = 0; offset < len && ret == 1; offset += PAGE_SIZE) {
		ret = remotevm_access(ctx, start + offset, page, PAGE_SIZE, false);
		if (!ret)
			ret = !memchr_inv(page, 0, PAGE_SIZE);
	}
	kfree(page);
	return ret;
}

/* The protections the range has now, to put back if the remap fails. */
struct remotevm_protect_scan {
	struct remotevm_spans old;
	struct remotevm_record *record;
	unsigned long kept;	/* see remotevm_kept_flags() */
	u32 old_protection;
	u32 new_protection;
	bool unchanged;
	bool may_have_data;
};

static int remotevm_scan_committed(struct vm_area_struct *vma,
				   unsigned long start, unsigned long end,
				   void *arg)
{
	struct remotevm_protect_scan *scan =
		container_of(arg, struct remotevm_protect_scan, old);
	u32 protection = remotevm_vma_protection(vma);

	if (!remotevm_vma_is_private_anon(vma) ||
	    !remotevm_all_committed(scan->record, start, end))
		return -EADDRNOTAVAIL;
	if (userfaultfd_armed(vma))
		return -EBUSY;
	if (!scan->old.nr)
		scan->old_protection = protection;
	remotevm_spans_add(&scan->old, start, end,
			   remotevm_access_prot(vma->vm_flags));
	scan->kept |= remotevm_kept_flags(vma);
	scan->unchanged &= protection == scan->new_protection;
	/* Without an anon_vma no page was ever written: all zero. */
	scan->may_have_data |= !!vma->anon_vma;
	return 0;
}

/*
 * After a failed remap: each span as it was, and the contents copied out
 * before, or the allocation is lost (-EADDRNOTAVAIL).
 */
static int remotevm_restore(struct remotevm_context *ctx,
			    const struct remotevm_spans *old, unsigned long kept,
			    unsigned long start, void *contents,
			    unsigned long len, bool emptied)
{
	int i, ret = 0;

	for (i = 0; i < old->nr && ret >= 0; i++)
		ret = remotevm_refill(ctx, old->span[i].start, old->span[i].end,
				      old->span[i].prot, kept, emptied);
	if (ret >= 0 && contents &&
	    remotevm_access(ctx, start, contents, len, true)) {
		remotevm_allocation_lose(ctx, start);
		ret = -EADDRNOTAVAIL;
	}
	return ret;
}

/*
 * Copies out what the range holds, if a fresh mapping would lose anything:
 * only with @copy (else -EBUSY), and up to REMOTEVM_PROTECT_COPY_MAX.
 * *@contents stays NULL if there is nothing to keep. A larger range that
 * may hold data is not even scanned for it: reading every page faults in
 * the zero page and a page table per 2 MiB (remotevm-fuzz filled a 6.1
 * guest with page tables so).
 */
static int remotevm_save_contents(struct remotevm_context *ctx,
				  const struct remotevm_protect_scan *scan,
				  unsigned long start, unsigned long len,
				  bool copy, void **contents)
{
	int ret;

	if (!scan->may_have_data)
		return 0;
	if (len > REMOTEVM_PROTECT_COPY_MAX)
		return copy ? -E2BIG : -EBUSY;
	ret = remotevm_range_is_zero(ctx, start, len);
	if (ret)
		return ret < 0 ? ret : 0;
	if (!copy)
		return -EBUSY;
	*contents = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!*contents)
		return -ENOMEM;
	return remotevm_access(ctx, start, *contents, len, false);
}

/* Maps the range afresh with @prot and puts @contents back into it. */
static int remotevm_protect_remap(struct remotevm_context *ctx,
				  const struct remotevm_protect_scan *scan,
				  unsigned long start, unsigned long len,
				  unsigned long prot, void *contents)
{
	bool emptied;
	unsigned long addr = remotevm_map_over(ctx, start, len, prot,
					       scan->kept, &emptied);
	int ret;

	if (IS_ERR_VALUE(addr)) {
		ret = remotevm_restore(ctx, &scan->old, scan->kept, start,
				       contents, len, emptied);
		return ret >= 0 ? (long)addr : ret;
	}
	/* Written into the mapping just made, in the mm the handle is bound to. */
	if (contents && remotevm_access(ctx, start, contents, len, true)) {
		remotevm_allocation_lose(ctx, start);
		return -EIO;
	}
	return 0;
}

/*
 * VirtualProtect. There is no exported way to change the protection of
 * pages in place (no mprotect() for modules), so the range is mapped
 * afresh with the new protection. That keeps the contents only if there
 * are none yet, or, with REMOTEVM_PROTECT_COPY, by copying them out and
 * back in with FOLL_FORCE (as ptrace pokes do), which is not atomic
 * against the target's own accesses to the range.
 */
int remotevm_do_protect(struct remotevm_context *ctx,
			struct remotevm_checked_op *checked)
{
	struct remotevm_protect *protect = &checked->op.protect;
	struct remotevm_protect_scan scan = {
		.record = ctx->record,
		.new_protection = protect->new_protection,
		.unchanged = true,
	};
	bool copy = protect->flags & REMOTEVM_PROTECT_COPY;
	unsigned long start, end;
	void *contents = NULL;
	int ret;

	ret = remotevm_pages_of_allocation(ctx, protect->address, protect->size,
					   &start, &end);
	if (ret)
		return ret;
	ret = remotevm_collect_spans(ctx, start, end, remotevm_scan_committed,
				     &scan.old);
	if (ret)
		return ret;
	protect->old_protection = scan.old_protection;
	if (!scan.unchanged) {
		ret = remotevm_save_contents(ctx, &scan, start, end - start, copy,
					     &contents);
		if (!ret)
			ret = remotevm_protect_remap(ctx, &scan, start, end - start,
						     checked->prot, contents);
	}
	kvfree(contents);
	kvfree(scan.old.span);
	return ret;
}
