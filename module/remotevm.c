// SPDX-License-Identifier: GPL-2.0-only
/*
 * remotevm: reserve and commit memory in another process's address space,
 * without stopping it and without running any code in it.
 *
 * A handle (an open file of /dev/remotevm) is attached to a target by pid
 * and an open /proc/<pid>/mem file. Opening that file is where the kernel
 * itself decides whether the caller may ptrace-attach to the target (see
 * remotevm_attach()); the module grants nothing that file does not already
 * grant. Operations run on a worker kthread per handle that adopts the
 * target's mm with kthread_use_mm(), the target's credentials, memcg and
 * address-space rlimits, so that vm_mmap() applies the target's own policy.
 */

#include <linux/compiler.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/maple_tree.h>
#include <linux/memcontrol.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/userfaultfd_k.h>
#include <linux/xarray.h>

#include <uapi/linux/remotevm.h>

#ifndef CONFIG_MMU_NOTIFIER
#error "remotevm ties its allocation records to the target mm with an mmu_notifier"
#endif

/* First published sizes: smaller arguments are refused with -EINVAL. */
#define REMOTEVM_API_SIZE_VER0		sizeof(struct remotevm_api)
#define REMOTEVM_ATTACH_SIZE_VER0	sizeof(struct remotevm_attach)
#define REMOTEVM_ALLOC_SIZE_VER0	sizeof(struct remotevm_alloc)
#define REMOTEVM_BATCH_SIZE_VER0	sizeof(struct remotevm_batch)
#define REMOTEVM_OP_SIZE_VER0		sizeof(struct remotevm_op)

/* The ioctl number without its size, so that any struct version matches. */
#define REMOTEVM_IOC_BASE(cmd)		((cmd) & ~IOCSIZE_MASK)

#define REMOTEVM_ALLOC_TYPES	(REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE | \
				 REMOTEVM_MEM_TOP_DOWN)
/* Win32 types Linux cannot honour: refused with -EOPNOTSUPP, not ignored. */
#define REMOTEVM_ALLOC_TYPES_UNSUPPORTED (REMOTEVM_MEM_RESET | \
				 REMOTEVM_MEM_RESET_UNDO | \
				 REMOTEVM_MEM_WRITE_WATCH | \
				 REMOTEVM_MEM_PHYSICAL | \
				 REMOTEVM_MEM_LARGE_PAGES)
#define REMOTEVM_PAGE_MODIFIERS_UNSUPPORTED (REMOTEVM_PAGE_GUARD | \
				 REMOTEVM_PAGE_NOCACHE | \
				 REMOTEVM_PAGE_WRITECOMBINE)

/* Windows never hands out addresses below 64 KiB; neither do we. */
#define REMOTEVM_LOWEST_ADDRESS		SZ_64K
/* The kernel's default stack_guard_gap, which modules cannot read. */
#define REMOTEVM_STACK_GUARD_GAP	(256UL << PAGE_SHIFT)
/* Per target mm: bounds the memory the allocation record can take. */
#define REMOTEVM_MAX_ALLOCATIONS	65536

/*
 * What remotevm knows about one target mm, shared by every handle attached
 * to it: the allocations it made (base..end-1 -> their Win32 protection),
 * so that a later commit lands only inside a remotevm reservation and never
 * inside a PROT_NONE region the target reserved for itself (glibc's malloc
 * arenas grow through such regions). Its lifetime is the mm's: the
 * mmu_notifier core creates it once per mm and frees it after the last
 * handle put it, and its contents go as soon as the mm is torn down.
 */
struct remotevm_mm {
	struct mmu_notifier notifier;
	struct mutex lock;		/* serialises operations on this mm */
	struct maple_tree allocations;
	unsigned int nr_allocations;
};

struct remotevm_handle {
	struct mutex lock;		/* attach vs. operations on this handle */
	struct pid *pid;		/* NULL until attached */
	struct mm_struct *mm;		/* mmgrab()ed: the image we attached to */
	struct remotevm_mm *record;
	struct kthread_worker *worker;
};

/*
 * A set of operations handed to the worker. The ops are kernel copies: the
 * worker runs in the target's mm, where a user pointer of the caller's
 * would name the target's memory.
 */
struct remotevm_request {
	struct kthread_work work;
	struct completion done;
	struct remotevm_handle *handle;
	struct remotevm_op *ops;
	u32 count;
	u32 completed;
};

/* What the worker adopted from the target for the duration of a request. */
struct remotevm_context {
	struct mm_struct *mm;
	struct remotevm_mm *record;
	const struct cred *cred;
	const struct cred *saved_cred;
	struct mem_cgroup *memcg;
	struct mem_cgroup *saved_memcg;
	unsigned long task_size;	/* the target's, not the kthread's */
	unsigned long mmap_base;	/* top of the target's top-down area */
};

/*
 * procfs does not export its /proc/<pid>/mem file_operations; learn their
 * address from a file of that kind at load, to recognise mem files later.
 */
static const struct file_operations *proc_mem_fops;

static struct mmu_notifier *remotevm_mm_alloc(struct mm_struct *mm)
{
	struct remotevm_mm *record = kzalloc(sizeof(*record), GFP_KERNEL);

	if (!record)
		return ERR_PTR(-ENOMEM);
	mutex_init(&record->lock);
	mt_init(&record->allocations);
	return &record->notifier;
}

static void remotevm_mm_free(struct mmu_notifier *notifier)
{
	struct remotevm_mm *record = container_of(notifier, struct remotevm_mm,
						  notifier);

	mtree_destroy(&record->allocations);
	kfree(record);
}

static void remotevm_mm_release(struct mmu_notifier *notifier,
				struct mm_struct *mm)
{
	struct remotevm_mm *record = container_of(notifier, struct remotevm_mm,
						  notifier);

	mutex_lock(&record->lock);
	mtree_destroy(&record->allocations);
	record->nr_allocations = 0;
	mutex_unlock(&record->lock);
}

static const struct mmu_notifier_ops remotevm_mm_ops = {
	.release = remotevm_mm_release,
	.alloc_notifier = remotevm_mm_alloc,
	.free_notifier = remotevm_mm_free,
};

static int remotevm_copy_in(void *dst, size_t ksize, size_t ver0,
			    const void __user *src, size_t usize)
{
	if (usize < ver0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(dst, ksize, src, usize);
}

static int remotevm_copy_out(void __user *dst, size_t usize,
			     const void *src, size_t ksize)
{
	return copy_to_user(dst, src, min(usize, ksize)) ? -EFAULT : 0;
}

/* PAGE_* base protection -> PROT_*, or -errno. Exactly one base bit. */
static int remotevm_prot(u32 protection, unsigned long *prot)
{
	if (protection & REMOTEVM_PAGE_MODIFIERS_UNSUPPORTED)
		return -EOPNOTSUPP;

	switch (protection) {
	case REMOTEVM_PAGE_NOACCESS:
		*prot = PROT_NONE;
		return 0;
	case REMOTEVM_PAGE_READONLY:
		*prot = PROT_READ;
		return 0;
	case REMOTEVM_PAGE_READWRITE:
		*prot = PROT_READ | PROT_WRITE;
		return 0;
	case REMOTEVM_PAGE_EXECUTE:
		*prot = PROT_EXEC;
		return 0;
	case REMOTEVM_PAGE_EXECUTE_READ:
		*prot = PROT_READ | PROT_EXEC;
		return 0;
	case REMOTEVM_PAGE_EXECUTE_READWRITE:
		*prot = PROT_READ | PROT_WRITE | PROT_EXEC;
		return 0;
	case REMOTEVM_PAGE_WRITECOPY:
	case REMOTEVM_PAGE_EXECUTE_WRITECOPY:
		/* Copy-on-write needs a shared section; anonymous memory has none. */
		return -EOPNOTSUPP;
	}
	return -EINVAL;
}

/*
 * Checks what can be checked without the target; the rest (its address
 * space size, what is mapped) is checked by the worker.
 */
static int remotevm_alloc_validate(const struct remotevm_alloc *alloc)
{
	u32 type = alloc->allocation_type;
	unsigned long prot;
	int ret;

	if (type & ~(REMOTEVM_ALLOC_TYPES | REMOTEVM_ALLOC_TYPES_UNSUPPORTED))
		return -EINVAL;
	if (type & REMOTEVM_ALLOC_TYPES_UNSUPPORTED)
		return -EOPNOTSUPP;
	if (!(type & (REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE)))
		return -EINVAL;
	ret = remotevm_prot(alloc->page_protection, &prot);
	if (ret)
		return ret;
	if (!alloc->size || alloc->address + alloc->size < alloc->address)
		return -EINVAL;
	if (alloc->alignment &&
	    (!is_power_of_2(alloc->alignment) || alloc->alignment < PAGE_SIZE))
		return -EINVAL;
	if (alloc->highest && alloc->highest < alloc->lowest)
		return -EINVAL;
	/* A placement window says where the module may choose: not with an address. */
	if (alloc->address &&
	    (alloc->lowest || alloc->highest || alloc->alignment ||
	     (type & REMOTEVM_MEM_TOP_DOWN)))
		return -EINVAL;
	return 0;
}

static int remotevm_op_validate(const struct remotevm_op *op)
{
	if (op->flags || op->pad)
		return -EINVAL;
	switch (op->code) {
	case REMOTEVM_OP_ALLOC:
		if (memchr_inv(&op->alloc + 1, 0,
			       sizeof(op->reserved) - sizeof(op->alloc)))
			return -EINVAL;
		return remotevm_alloc_validate(&op->alloc);
	}
	return -EINVAL;
}

static unsigned long remotevm_map(unsigned long address, unsigned long len,
				  unsigned long prot, unsigned long flags)
{
	return vm_mmap(NULL, address, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, 0);
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
	VMA_ITERATOR(vmi, mm, 0);
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

static int remotevm_record_add(struct remotevm_mm *record, unsigned long start,
			       unsigned long len, u32 protection)
{
	unsigned long index = start;
	void *stale;
	int ret;

	if (record->nr_allocations >= REMOTEVM_MAX_ALLOCATIONS)
		return -ENOMEM;
	/*
	 * A record overlapping a range the kernel just gave us out describes
	 * memory the target has unmapped since: it is no longer ours.
	 */
	while ((stale = mt_find(&record->allocations, &index, start + len - 1))) {
		mtree_erase(&record->allocations, index - 1);
		record->nr_allocations--;
		index = start;
	}
	ret = mtree_insert_range(&record->allocations, start, start + len - 1,
				 xa_mk_value(protection), GFP_KERNEL);
	if (!ret)
		record->nr_allocations++;
	return ret;
}

/* Reserves (and with MEM_COMMIT commits) a new range. */
static int remotevm_reserve(struct remotevm_context *ctx,
			    struct remotevm_alloc *alloc, unsigned long prot)
{
	bool commit = alloc->allocation_type & REMOTEVM_MEM_COMMIT;
	unsigned long flags = commit ? 0 : MAP_NORESERVE;
	unsigned long start, end, len, addr;
	int ret;

	if (!commit)
		prot = PROT_NONE;

	if (alloc->address) {
		start = ALIGN_DOWN(alloc->address, REMOTEVM_ALLOCATION_GRANULARITY);
		end = PAGE_ALIGN(alloc->address + alloc->size);
		if (!end || end > ctx->task_size)
			return -EINVAL;
		len = end - start;
		/* Never replaces a mapping: the range is free or the call fails. */
		addr = remotevm_map(start, len, prot, flags | MAP_FIXED_NOREPLACE);
	} else {
		unsigned long lo = max_t(u64, alloc->lowest, REMOTEVM_LOWEST_ADDRESS);
		unsigned long hi = alloc->highest ? alloc->highest + 1 : 0;
		unsigned long align = alloc->alignment ?: PAGE_SIZE;
		/* Top-down like mmap, unless a lowest address asks bottom-up. */
		bool top_down = (alloc->allocation_type & REMOTEVM_MEM_TOP_DOWN) ||
				!alloc->lowest;
		int tries;

		if (alloc->size > ctx->task_size)
			return -ENOMEM;
		len = PAGE_ALIGN(alloc->size);
		/*
		 * The kernel's own choice is the target's own choice only for a
		 * native target asking nothing special: its search reads the
		 * caller's (the kthread's) word size.
		 */
		if (!(alloc->allocation_type & REMOTEVM_MEM_TOP_DOWN) &&
		    !alloc->lowest && !alloc->highest && !alloc->alignment &&
		    ctx->task_size > SZ_4G) {
			addr = remotevm_map(0, len, prot, flags);
			goto mapped;
		}
		if (!hi || hi > ctx->task_size)
			hi = ctx->task_size;
		if (!alloc->highest)
			hi = min(hi, ctx->mmap_base);
		/*
		 * The search and the map are two steps: retry if the target
		 * mapped something into the gap in between.
		 */
		addr = -ENOMEM;
		for (tries = 0; tries < 8 && addr == -ENOMEM; tries++) {
			unsigned long gap = remotevm_find_gap(ctx->mm, lo, hi, len,
							      align, top_down);

			if (!gap)
				return -ENOMEM;
			addr = remotevm_map(gap, len, prot,
					    flags | MAP_FIXED_NOREPLACE);
			if (addr == -EEXIST)
				addr = -ENOMEM;
		}
	}
mapped:
	if (IS_ERR_VALUE(addr))
		return (long)addr;

	ret = remotevm_record_add(ctx->record, addr, len, alloc->page_protection);
	if (ret) {
		vm_munmap(addr, len);
		return ret;
	}
	alloc->allocated_address = addr;
	alloc->allocated_size = len;
	return 0;
}

/*
 * Whether a VMA holds nothing of the target's: anonymous, private,
 * inaccessible and never faulted in (no anon_vma), so mapping over it
 * cannot destroy data. A userfaultfd-registered VMA never qualifies: an
 * unmap under it could wait for the monitor forever, here in the worker.
 */
static bool remotevm_vma_is_empty(struct vm_area_struct *vma)
{
	if (!vma_is_anonymous(vma) || (vma->vm_flags & VM_SHARED))
		return false;
	if (vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC))
		return false;
	return !vma->anon_vma && !userfaultfd_armed(vma);
}

/* Committed already: anonymous private memory the target can access. */
static bool remotevm_vma_is_committed(struct vm_area_struct *vma)
{
	return vma_is_anonymous(vma) && !(vma->vm_flags & VM_SHARED) &&
	       (vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC));
}

struct remotevm_run {
	unsigned long start, end;
};

/*
 * Walks [start, end), which must be mapped throughout by memory we may
 * commit: reserved runs (stored, up to @max of them, into @runs) and
 * committed memory (left alone). Returns the number of reserved runs, or
 * -errno if anything else is in the range.
 */
static int remotevm_reserved_runs(struct mm_struct *mm, unsigned long start,
				  unsigned long end, struct remotevm_run *runs,
				  int max)
{
	unsigned long cursor = start, last_end = 0;
	struct vm_area_struct *vma;
	int nr = 0, ret = 0;

	mmap_read_lock(mm);
	for (vma = find_vma(mm, start); cursor < end;
	     vma = find_vma(mm, cursor)) {
		unsigned long run_end;

		if (!vma || vma->vm_start > cursor) {
			ret = -EADDRNOTAVAIL;	/* a hole: the target unmapped it */
			break;
		}
		run_end = min(vma->vm_end, end);
		if (remotevm_vma_is_empty(vma)) {
			if (last_end != cursor) {
				if (nr < max)
					runs[nr].start = cursor;
				nr++;
			}
			if (nr <= max)
				runs[nr - 1].end = run_end;
			last_end = run_end;
		} else if (!remotevm_vma_is_committed(vma)) {
			ret = userfaultfd_armed(vma) ? -EBUSY : -EADDRNOTAVAIL;
			break;
		}
		cursor = run_end;
	}
	mmap_read_unlock(mm);
	return ret ?: nr;
}

/* Maps the @nr reserved runs of [start, end) as committed, or none of them. */
static int remotevm_commit_runs(struct remotevm_context *ctx,
				unsigned long start, unsigned long end, int nr,
				unsigned long prot)
{
	struct remotevm_run *runs = kvmalloc_array(nr, sizeof(*runs), GFP_KERNEL);
	int i, ret;

	if (!runs)
		return -ENOMEM;
	ret = remotevm_reserved_runs(ctx->mm, start, end, runs, nr);
	if (ret != nr) {
		/* The target changed the range between the two walks. */
		ret = ret < 0 ? ret : -EAGAIN;
		goto out;
	}
	ret = 0;

	/*
	 * Check-then-act: vm_mmap() takes the mmap lock itself, so the target
	 * could touch a run between the walk above and the map below. It
	 * would have to mprotect() and write into a remotevm reservation it
	 * never allocated, which no correct program does.
	 */
	for (i = 0; i < nr; i++) {
		unsigned long addr = remotevm_map(runs[i].start,
						  runs[i].end - runs[i].start,
						  prot, MAP_FIXED);

		if (IS_ERR_VALUE(addr)) {
			ret = (long)addr;
			break;
		}
	}
	/* A failed commit leaves the range reserved, as it found it. */
	while (ret && i--)
		remotevm_map(runs[i].start, runs[i].end - runs[i].start,
			     PROT_NONE, MAP_FIXED | MAP_NORESERVE);
out:
	kvfree(runs);
	return ret;
}

/*
 * Commits pages inside an existing remotevm reservation. Pages already
 * committed keep their contents and protection; reserved ones are mapped
 * afresh (zero-filled) with @prot.
 */
static int remotevm_commit(struct remotevm_context *ctx,
			   struct remotevm_alloc *alloc, unsigned long prot)
{
	unsigned long start = ALIGN_DOWN(alloc->address, PAGE_SIZE);
	unsigned long end = PAGE_ALIGN(alloc->address + alloc->size);
	unsigned long index = start;
	int nr, ret;

	if (!end || end > ctx->task_size)
		return -EINVAL;
	/* The whole range must lie inside one remotevm allocation. */
	if (!mt_find(&ctx->record->allocations, &index, start) ||
	    index - 1 < end - 1)
		return -EADDRNOTAVAIL;

	nr = remotevm_reserved_runs(ctx->mm, start, end, NULL, 0);
	if (nr < 0)
		return nr;
	if (nr) {
		ret = remotevm_commit_runs(ctx, start, end, nr, prot);
		if (ret)
			return ret;
	}
	alloc->allocated_address = start;
	alloc->allocated_size = end - start;
	return 0;
}

static int remotevm_alloc(struct remotevm_context *ctx,
			  struct remotevm_alloc *alloc)
{
	unsigned long prot;
	int ret = remotevm_prot(alloc->page_protection, &prot);

	if (ret)
		return ret;
	/*
	 * MEM_COMMIT alone without an address reserves and commits, as on
	 * Windows; with an address it commits inside a reservation.
	 */
	if (alloc->address &&
	    !(alloc->allocation_type & REMOTEVM_MEM_RESERVE))
		return remotevm_commit(ctx, alloc, prot);
	return remotevm_reserve(ctx, alloc, prot);
}

/*
 * Copies the target's address-space limits into the worker, so that the
 * kernel's own checks in vm_mmap() (may_expand_vm(), mlock_future_ok())
 * read the target's values rather than the kthread's.
 */
static void remotevm_adopt_rlimits(struct task_struct *task)
{
	static const unsigned int adopted[] = {
		RLIMIT_AS, RLIMIT_DATA, RLIMIT_MEMLOCK,
	};
	struct rlimit limits[ARRAY_SIZE(adopted)];
	unsigned int i;

	task_lock(task->group_leader);
	for (i = 0; i < ARRAY_SIZE(adopted); i++)
		limits[i] = task->signal->rlim[adopted[i]];
	task_unlock(task->group_leader);

	task_lock(current->group_leader);
	for (i = 0; i < ARRAY_SIZE(adopted); i++)
		current->signal->rlim[adopted[i]] = limits[i];
	task_unlock(current->group_leader);
}

/*
 * The top of the area the target's own top-down mmap() searches: below it
 * lies room for the stack to grow. An mm with the legacy (bottom-up) layout
 * keeps only its bottom-up base, so work out the top-down one as the kernel
 * would (arch/x86/mm/mmap.c: the stack rlimit, clamped, below the stack).
 */
static unsigned long remotevm_top_down_base(struct task_struct *task,
					    struct mm_struct *mm,
					    unsigned long task_size)
{
	unsigned long base = mm->mmap_base, legacy_base = mm->mmap_legacy_base;
	unsigned long gap;

#ifdef CONFIG_HAVE_ARCH_COMPAT_MMAP_BASES
	if (task_size <= SZ_4G) {
		base = mm->mmap_compat_base;
		legacy_base = mm->mmap_compat_legacy_base;
	}
#endif
	if (base != legacy_base)
		return base;
	gap = clamp(task_rlimit(task, RLIMIT_STACK), SZ_128M, task_size / 6 * 5);
	return mm->start_stack > gap ? PAGE_ALIGN_DOWN(mm->start_stack - gap) : 0;
}

/*
 * Becomes the target, as far as vm_mmap() can tell: its mm, credentials
 * (for LSM hooks, capabilities and mmap_min_addr), memcg (for the kernel
 * memory vm_mmap() allocates) and limits. Fails with -ESRCH if the process
 * we attached to is gone or has exec'd: the handle never reaches a new mm.
 */
static int remotevm_enter(struct remotevm_handle *handle,
			  struct remotevm_context *ctx)
{
	struct task_struct *task = get_pid_task(handle->pid, PIDTYPE_PID);
	bool same_mm;

	if (!task)
		return -ESRCH;
	task_lock(task);
	same_mm = task->mm == handle->mm;
	task_unlock(task);
	if (!same_mm || !mmget_not_zero(handle->mm)) {
		put_task_struct(task);
		return -ESRCH;
	}

	ctx->mm = handle->mm;
	ctx->record = handle->record;
	ctx->task_size = TASK_SIZE_OF(task);
	ctx->mmap_base = remotevm_top_down_base(task, ctx->mm, ctx->task_size);
	ctx->cred = get_task_cred(task);
	remotevm_adopt_rlimits(task);
	put_task_struct(task);

	ctx->memcg = get_mem_cgroup_from_mm(ctx->mm);
	kthread_use_mm(ctx->mm);
	ctx->saved_memcg = set_active_memcg(ctx->memcg);
	ctx->saved_cred = override_creds(ctx->cred);
	mutex_lock(&ctx->record->lock);
	return 0;
}

static void remotevm_leave(struct remotevm_context *ctx)
{
	mutex_unlock(&ctx->record->lock);
	revert_creds(ctx->saved_cred);
	put_cred(ctx->cred);
	set_active_memcg(ctx->saved_memcg);
	kthread_unuse_mm(ctx->mm);
	mem_cgroup_put(ctx->memcg);
	mmput(ctx->mm);
}

static void remotevm_work(struct kthread_work *work)
{
	struct remotevm_request *req = container_of(work, struct remotevm_request,
						    work);
	struct remotevm_context ctx;
	int ret = remotevm_enter(req->handle, &ctx);

	if (ret) {
		req->ops[0].error = ret;
		goto out;
	}
	for (; req->completed < req->count; req->completed++) {
		struct remotevm_op *op = &req->ops[req->completed];

		op->error = remotevm_alloc(&ctx, &op->alloc);
		if (op->error)
			break;
	}
	remotevm_leave(&ctx);
out:
	complete(&req->done);
}

/* The one place that hands work to the worker and waits for it. */
static int remotevm_submit(struct remotevm_handle *handle,
			   struct remotevm_op *ops, u32 count, u32 *completed)
{
	struct remotevm_request req = {
		.handle = handle,
		.ops = ops,
		.count = count,
	};
	int ret = 0;

	mutex_lock(&handle->lock);
	if (!handle->pid) {
		mutex_unlock(&handle->lock);
		return -EBADFD;
	}
	kthread_init_work(&req.work, remotevm_work);
	init_completion(&req.done);
	kthread_queue_work(handle->worker, &req.work);
	/*
	 * Uninterruptible: the request lives on this stack until the worker
	 * is done with it, and nothing the worker does waits on userspace.
	 */
	wait_for_completion(&req.done);
	mutex_unlock(&handle->lock);

	*completed = req.completed;
	if (req.completed < count)
		ret = ops[req.completed].error;
	return ret;
}

static int remotevm_ioctl_api(void __user *uarg, size_t usize)
{
	struct remotevm_api api;
	int ret = remotevm_copy_in(&api, sizeof(api), REMOTEVM_API_SIZE_VER0,
				   uarg, usize);

	if (ret)
		return ret;
	if (api.api != REMOTEVM_API || api.pad || api.features || api.ops)
		return -EINVAL;
	api.features = REMOTEVM_FEATURE_BATCH | REMOTEVM_FEATURE_PLACEMENT;
	api.ops = BIT_ULL(REMOTEVM_OP_ALLOC);
	return remotevm_copy_out(uarg, usize, &api, sizeof(api));
}

/*
 * The access rule. Opening /proc/<pid>/mem runs the kernel's own ptrace
 * attach check (mm_access() with PTRACE_MODE_ATTACH_FSCREDS: credentials,
 * dumpability, user namespaces, Yama, every LSM) against the opener and
 * binds the mm it checked to the file. Neither mm_access() nor
 * ptrace_may_access() is exported, so the open file is the proof: we take
 * its mm, never anything the file did not grant. This relies on procfs
 * internals (the mem file's f_op and its private_data being the mm, as in
 * 6.1 through 6.12); the selftests check both on every kernel.
 */
static int remotevm_ioctl_attach(struct remotevm_handle *handle,
				 void __user *uarg, size_t usize)
{
	struct mmu_notifier *notifier;
	struct remotevm_attach attach;
	struct task_struct *task;
	struct mm_struct *mm;
	struct file *mem;
	struct pid *pid;
	bool same_mm, exited;
	int ret;

	ret = remotevm_copy_in(&attach, sizeof(attach),
			       REMOTEVM_ATTACH_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	if (attach.flags || !attach.pid || attach.pid > PID_MAX_LIMIT ||
	    attach.mem_fd < 0)
		return -EINVAL;

	mem = fget(attach.mem_fd);
	if (!mem)
		return -EBADF;
	ret = -EBADF;
	if (mem->f_op != proc_mem_fops || !(mem->f_mode & FMODE_WRITE))
		goto out_fput;
	ret = -EINVAL;		/* a kernel thread's mem file has no mm */
	mm = mem->private_data;
	if (!mm)
		goto out_fput;

	ret = -ESRCH;
	pid = find_get_pid(attach.pid);
	if (!pid)
		goto out_fput;
	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task)
		goto out_put_pid;
	task_lock(task);
	exited = !task->mm;
	same_mm = task->mm == mm;
	task_unlock(task);
	ret = -ESRCH;
	if (exited)
		goto out_put_task;
	/* The file proves access to another image than this pid's now. */
	ret = -EACCES;
	if (!same_mm)
		goto out_put_task;
	ret = -ESRCH;
	if (!mmget_not_zero(mm))
		goto out_put_task;

	mutex_lock(&handle->lock);
	ret = -EBUSY;
	if (handle->pid)
		goto out_unlock;
	notifier = mmu_notifier_get(&remotevm_mm_ops, mm);
	ret = PTR_ERR(notifier);
	if (IS_ERR(notifier))
		goto out_unlock;
	handle->worker = kthread_create_worker(0, "remotevm/%d",
					       task_tgid_nr(task));
	ret = PTR_ERR(handle->worker);
	if (IS_ERR(handle->worker)) {
		mmu_notifier_put(notifier);
		handle->worker = NULL;
		goto out_unlock;
	}
	handle->record = container_of(notifier, struct remotevm_mm, notifier);
	mmgrab(mm);
	handle->mm = mm;
	handle->pid = get_pid(pid);
	ret = 0;
out_unlock:
	mutex_unlock(&handle->lock);
	mmput(mm);
out_put_task:
	put_task_struct(task);
out_put_pid:
	put_pid(pid);
out_fput:
	fput(mem);
	return ret;
}

static int remotevm_ioctl_alloc(struct remotevm_handle *handle,
				void __user *uarg, size_t usize)
{
	struct remotevm_op op = { .code = REMOTEVM_OP_ALLOC };
	u32 completed;
	int ret;

	ret = remotevm_copy_in(&op.alloc, sizeof(op.alloc),
			       REMOTEVM_ALLOC_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	ret = remotevm_alloc_validate(&op.alloc);
	if (ret)
		return ret;
	ret = remotevm_submit(handle, &op, 1, &completed);
	if (ret)
		return ret;
	return remotevm_copy_out(uarg, usize, &op.alloc, sizeof(op.alloc));
}

static int remotevm_ioctl_batch(struct remotevm_handle *handle,
				void __user *uarg, size_t usize)
{
	struct remotevm_batch batch;
	struct remotevm_op *ops;
	u8 __user *uops;
	u32 i;
	int ret;

	ret = remotevm_copy_in(&batch, sizeof(batch), REMOTEVM_BATCH_SIZE_VER0,
			       uarg, usize);
	if (ret)
		return ret;
	if (batch.flags || !batch.count ||
	    batch.count > REMOTEVM_BATCH_MAX ||
	    batch.op_size < REMOTEVM_OP_SIZE_VER0 || batch.op_size > PAGE_SIZE ||
	    !IS_ALIGNED(batch.op_size, sizeof(u64)))
		return -EINVAL;

	ops = kvcalloc(batch.count, sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	uops = u64_to_user_ptr(batch.ops);
	/* Every element is read once and checked before any of them runs. */
	for (i = 0; i < batch.count; i++) {
		ret = copy_struct_from_user(&ops[i], sizeof(ops[i]),
					    uops + (size_t)i * batch.op_size,
					    batch.op_size);
		if (!ret)
			ret = remotevm_op_validate(&ops[i]);
		if (ret)
			goto out;
	}

	ret = remotevm_submit(handle, ops, batch.count, &batch.completed);

	/* Results of the operations that ran, and of the one that failed. */
	for (i = 0; i < min(batch.completed + 1, batch.count); i++) {
		if (copy_to_user(uops + (size_t)i * batch.op_size, &ops[i],
				 min_t(size_t, batch.op_size, sizeof(ops[i])))) {
			ret = -EFAULT;
			goto out;
		}
	}
	if (remotevm_copy_out(uarg, usize, &batch, sizeof(batch)))
		ret = -EFAULT;
out:
	kvfree(ops);
	return ret;
}

static long remotevm_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct remotevm_handle *handle = file->private_data;
	void __user *uarg = (void __user *)arg;
	size_t usize = _IOC_SIZE(cmd);

	switch (REMOTEVM_IOC_BASE(cmd)) {
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_API):
		return remotevm_ioctl_api(uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_ATTACH):
		return remotevm_ioctl_attach(handle, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_ALLOC):
		return remotevm_ioctl_alloc(handle, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_BATCH):
		return remotevm_ioctl_batch(handle, uarg, usize);
	}
	return -ENOTTY;
}

static int remotevm_open(struct inode *inode, struct file *file)
{
	struct remotevm_handle *handle = kzalloc(sizeof(*handle), GFP_KERNEL);

	if (!handle)
		return -ENOMEM;
	mutex_init(&handle->lock);
	file->private_data = handle;
	return nonseekable_open(inode, file);
}

static int remotevm_release(struct inode *inode, struct file *file)
{
	struct remotevm_handle *handle = file->private_data;

	if (handle->pid) {
		kthread_destroy_worker(handle->worker);
		mmu_notifier_put(&handle->record->notifier);
		mmdrop(handle->mm);
		put_pid(handle->pid);
	}
	kfree(handle);
	return 0;
}

static const struct file_operations remotevm_fops = {
	.owner = THIS_MODULE,
	.open = remotevm_open,
	.release = remotevm_release,
	.unlocked_ioctl = remotevm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice remotevm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "remotevm",
	.fops = &remotevm_fops,
	.mode = 0600,
};

static int __init remotevm_init(void)
{
	struct file *mem = filp_open("/proc/self/mem", O_RDONLY, 0);

	if (IS_ERR(mem)) {
		pr_err("cannot open /proc/self/mem to learn its file_operations: %ld\n",
		       PTR_ERR(mem));
		return PTR_ERR(mem);
	}
	proc_mem_fops = mem->f_op;
	filp_close(mem, NULL);
	return misc_register(&remotevm_misc);
}

static void __exit remotevm_exit(void)
{
	misc_deregister(&remotevm_misc);
	/* Records freed by the mmu_notifier core must be gone before our code. */
	mmu_notifier_synchronize();
}

module_init(remotevm_init);
module_exit(remotevm_exit);

MODULE_DESCRIPTION("Reserve and commit memory in another process's address space");
MODULE_AUTHOR("remotevm developers");
MODULE_LICENSE("GPL");
