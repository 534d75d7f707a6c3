// SPDX-License-Identifier: GPL-2.0-only
/*
 * remotevm: reserve, commit, query and free memory in another process's
 * address space, without stopping it and without running any code in it.
 *
 * A handle (an open file of /dev/remotevm) is attached to a target by pid
 * and an open /proc/<pid>/mem file. Opening that file is where the kernel
 * itself decides whether the caller may ptrace-attach to the target (see
 * remotevm_ioctl_attach()); the module grants nothing that file does not
 * already grant. Operations run on a worker kthread, one per target mm
 * and shared by every handle attached to it, that adopts the target's mm
 * with kthread_use_mm(), the target's credentials, memcg and address-space
 * rlimits, so that vm_mmap() applies the target's own policy.
 */

#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/kthread.h>
#include <linux/maple_tree.h>
#include <linux/memcontrol.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/magic.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/sched/isolation.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/userfaultfd_k.h>

#include <uapi/linux/remotevm.h>

#ifndef CONFIG_MMU_NOTIFIER
#error "remotevm ties its allocation records to the target mm with an mmu_notifier"
#endif

/* A struct only ever grows: what it has now is at least what it had first. */
static_assert(sizeof(struct remotevm_api) >= REMOTEVM_API_SIZE_VER0);
static_assert(sizeof(struct remotevm_attach) >= REMOTEVM_ATTACH_SIZE_VER1);
static_assert(sizeof(struct remotevm_alloc) >= REMOTEVM_ALLOC_SIZE_VER0);
static_assert(sizeof(struct remotevm_free) >= REMOTEVM_FREE_SIZE_VER0);
static_assert(sizeof(struct remotevm_query) >= REMOTEVM_QUERY_SIZE_VER0);
static_assert(sizeof(struct remotevm_protect) >= REMOTEVM_PROTECT_SIZE_VER0);
static_assert(sizeof(struct remotevm_region) >= REMOTEVM_REGION_SIZE_VER0);
static_assert(sizeof(struct remotevm_regions) >= REMOTEVM_REGIONS_SIZE_VER0);
static_assert(sizeof(struct remotevm_op) >= REMOTEVM_OP_SIZE_VER0);
static_assert(sizeof(struct remotevm_batch) >= REMOTEVM_BATCH_SIZE_VER0);

/* The ioctl number without its size, so that any struct version matches. */
#define REMOTEVM_IOC_BASE(cmd)		((cmd) & ~IOCSIZE_MASK)

#define REMOTEVM_ALLOC_TYPES	(REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE | \
				 REMOTEVM_MEM_TOP_DOWN)
#define REMOTEVM_RESET_TYPES	(REMOTEVM_MEM_RESET | REMOTEVM_MEM_RESET_UNDO)
/* Win32 types Linux cannot honour: refused with -EOPNOTSUPP, not ignored. */
#define REMOTEVM_ALLOC_TYPES_UNSUPPORTED (REMOTEVM_MEM_WRITE_WATCH | \
				 REMOTEVM_MEM_PHYSICAL | \
				 REMOTEVM_MEM_LARGE_PAGES)
#define REMOTEVM_FREE_TYPES_UNSUPPORTED (REMOTEVM_MEM_COALESCE_PLACEHOLDERS | \
				 REMOTEVM_MEM_PRESERVE_PLACEHOLDER)
#define REMOTEVM_PAGE_MODIFIERS_UNSUPPORTED (REMOTEVM_PAGE_GUARD | \
				 REMOTEVM_PAGE_NOCACHE | \
				 REMOTEVM_PAGE_WRITECOMBINE)
#define REMOTEVM_VM_ACCESS	(VM_READ | VM_WRITE | VM_EXEC)

/* Windows never hands out addresses below 64 KiB; neither do we. */
#define REMOTEVM_LOWEST_ADDRESS		SZ_64K
/* The kernel's default stack_guard_gap, which modules cannot read. */
#define REMOTEVM_STACK_GUARD_GAP	(256UL << PAGE_SHIFT)
/* Per target mm: bounds the memory the allocation record can take. */
#define REMOTEVM_MAX_ALLOCATIONS	65536
/* REMOTEVM_PROTECT_COPY holds the contents in kernel memory meanwhile. */
#define REMOTEVM_PROTECT_COPY_MAX	SZ_64M
/* How long closing a handle waits for its release-on-close to make progress. */
#define REMOTEVM_CLOSE_TIMEOUT		(5 * HZ)

/*
 * One allocation remotevm made. The record is never trusted blindly: the
 * target may unmap or remap the range itself, which the mmu_notifier sees
 * and marks here, after which remotevm no longer touches the range.
 */
struct remotevm_allocation {
	unsigned long start;
	unsigned long end;
	u64 owner;		/* id of the handle that made it */
	u32 protection;		/* the REMOTEVM_PAGE_* it was made with */
	bool lost;		/* the target unmapped some of it */
};

/*
 * What remotevm knows about one target mm, shared by every handle attached
 * to it: the allocations it made, so that a commit lands only inside a
 * remotevm reservation and never inside a PROT_NONE region the target
 * reserved for itself (glibc's malloc arenas grow through such regions),
 * and a release unmaps exactly one allocation. The mmu_notifier core
 * creates it once per mm and frees it after its last reference is put:
 * each attached handle holds one, and while the target has remotevm
 * allocations the record holds one on itself (and on the module), because
 * allocations outlive the handle that made them, as on Windows. That one
 * goes with the last allocation, or when the mm is torn down.
 */
struct remotevm_mm {
	struct mmu_notifier notifier;
	struct mutex lock;		/* serialises operations on this mm */
	struct task_struct *busy_worker; /* the worker holding the lock */
	bool clobbered;			/* the worker unmapped a lost range */
	struct maple_tree allocations;	/* start..end-1 -> allocation */
	/*
	 * Which pages of the allocations are committed (the others are
	 * reserved): remotevm's own state, as VM_NORESERVE cannot tell, with
	 * vm.overcommit_memory=2 ignoring MAP_NORESERVE. Only the worker uses
	 * it, under the lock.
	 */
	struct maple_tree committed;	/* start..end-1 -> REMOTEVM_COMMITTED */
	unsigned int nr_allocations;	/* > 0: holds a reference on itself */
	/*
	 * One worker per target mm, whatever the number of handles on it:
	 * a device user cannot turn file descriptors into kernel threads.
	 */
	struct mutex worker_lock;	/* worker and nr_handles */
	struct kthread_worker *worker;
	unsigned int nr_handles;
	spinlock_t running_lock;	/* running vs. remotevm_abort() */
	struct remotevm_request *running; /* the request the worker runs */
};

struct remotevm_handle {
	struct mutex lock;		/* attach vs. operations on this handle */
	u64 id;
	u64 flags;			/* REMOTEVM_ATTACH_* */
	struct pid *pid;		/* the thread group; NULL until attached */
	struct mm_struct *mm;		/* mmgrab()ed: the image we attached to */
	struct remotevm_mm *record;
	unsigned int poll_us;		/* remotevm_attach.poll_us */
	cpumask_var_t poll_cpus;	/* with poll_us: all but the caller's */
	spinlock_t session_lock;
	bool in_session;		/* the worker is in remotevm_work() */
	bool closing;			/* ends a polling session at once */
	struct remotevm_request *next;	/* handed to that session */
	unsigned long released_on_close; /* progress of the release on close */
};

/* What the worker adopted from the target for the duration of a request. */
struct remotevm_context {
	struct remotevm_handle *handle;
	struct task_struct *task;
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
 * Work handed to the worker. Everything it reads or writes is in kernel
 * memory: the worker runs in the target's mm, where a user pointer of the
 * caller's would name the target's memory.
 */
struct remotevm_request {
	struct kthread_work work;
	struct completion done;
	struct remotevm_handle *handle;
	int (*fn)(struct remotevm_context *ctx, void *arg);
	void *arg;
	int ret;
	bool aborted;		/* the caller gave up: do not start it */
};

/*
 * procfs does not export its /proc/<pid>/mem file_operations; learn their
 * address from a file of that kind at load, to recognise mem files later.
 */
static const struct file_operations *proc_mem_fops;
static atomic64_t remotevm_handle_ids;

/* ------------------------------------------------------------------ */
/* The allocation record                                              */
/* ------------------------------------------------------------------ */

static struct remotevm_mm *remotevm_record(struct mmu_notifier *notifier)
{
	return container_of(notifier, struct remotevm_mm, notifier);
}

static struct mmu_notifier *remotevm_mm_alloc(struct mm_struct *mm)
{
	struct remotevm_mm *record = kzalloc(sizeof(*record), GFP_KERNEL_ACCOUNT);

	if (!record)
		return ERR_PTR(-ENOMEM);
	mutex_init(&record->lock);
	mutex_init(&record->worker_lock);
	spin_lock_init(&record->running_lock);
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
static void remotevm_mm_free(struct mmu_notifier *notifier)
{
	struct remotevm_mm *record = remotevm_record(notifier);

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
static void remotevm_record_unpin(struct remotevm_mm *record)
{
	mmu_notifier_put(&record->notifier);
	module_put(THIS_MODULE);
}

#define REMOTEVM_COMMITTED	xa_mk_value(1)

/* Marks [start, end) committed or reserved. */
static int remotevm_set_committed(struct remotevm_mm *record,
				  unsigned long start, unsigned long end,
				  bool committed)
{
	return mtree_store_range(&record->committed, start, end - 1,
				 committed ? REMOTEVM_COMMITTED : NULL,
				 GFP_KERNEL_ACCOUNT);
}

/* Whether @addr is committed, and where that state ends. */
static bool remotevm_committed_at(struct remotevm_mm *record,
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
static bool remotevm_all_committed(struct remotevm_mm *record,
				   unsigned long start, unsigned long end)
{
	unsigned long state_end;

	return remotevm_committed_at(record, start, &state_end) &&
	       state_end >= end;
}

static void remotevm_allocation_forget(struct remotevm_mm *record,
				       struct remotevm_allocation *a)
{
	/* Best effort: the next allocation here sets its own state anyway. */
	remotevm_set_committed(record, a->start, a->end, false);
	mtree_erase(&record->allocations, a->start);
	kfree(a);
	if (!--record->nr_allocations)
		remotevm_record_unpin(record);
}

/*
 * The mm is torn down: forget every allocation, one by one, so that the
 * tree is destroyed only once, empty (destroying a populated tree here and
 * again at free corrupted the maple_node cache on 6.12 when the record
 * was an RCU-mode tree). The record stays valid until we return: the
 * notifier core holds SRCU across ->release.
 */
static void remotevm_mm_release(struct mmu_notifier *notifier,
				struct mm_struct *mm)
{
	struct remotevm_mm *record = remotevm_record(notifier);
	struct remotevm_allocation *a;
	unsigned long index = 0;

	mutex_lock(&record->lock);
	while ((a = mt_find(&record->allocations, &index, ULONG_MAX)))
		remotevm_allocation_forget(record, a);
	mutex_unlock(&record->lock);
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
static int remotevm_mm_invalidate_range_start(struct mmu_notifier *notifier,
					      const struct mmu_notifier_range *range)
{
	MA_STATE(mas, &remotevm_record(notifier)->allocations, range->start,
		 range->start);
	struct remotevm_mm *record = remotevm_record(notifier);
	bool ours = READ_ONCE(record->busy_worker) == current;
	struct remotevm_allocation *a;

	if (range->event != MMU_NOTIFY_UNMAP)
		return 0;
	mtree_lock(&record->allocations);
	mas_for_each(&mas, a, range->end - 1) {
		if (!ours)
			WRITE_ONCE(a->lost, true);
		else if (READ_ONCE(a->lost))
			record->clobbered = true;
	}
	mtree_unlock(&record->allocations);
	return 0;
}

static const struct mmu_notifier_ops remotevm_mm_ops = {
	.release = remotevm_mm_release,
	.invalidate_range_start = remotevm_mm_invalidate_range_start,
	.alloc_notifier = remotevm_mm_alloc,
	.free_notifier = remotevm_mm_free,
};

/* The allocation containing @addr that is still remotevm's, or NULL. */
static struct remotevm_allocation *
remotevm_allocation_at(struct remotevm_mm *record, unsigned long addr)
{
	struct remotevm_allocation *a = mtree_load(&record->allocations, addr);

	return a && !READ_ONCE(a->lost) ? a : NULL;
}

/* The first allocation keeps the record alive past its handles. */
static int remotevm_record_pin(struct remotevm_context *ctx)
{
	/* The record exists: this only takes a reference on it. */
	struct mmu_notifier *notifier = mmu_notifier_get(&remotevm_mm_ops,
							 ctx->mm);

	if (IS_ERR(notifier))
		return PTR_ERR(notifier);
	__module_get(THIS_MODULE);
	return 0;
}

static int remotevm_record_add(struct remotevm_context *ctx,
			       unsigned long start, unsigned long len,
			       u32 protection, bool committed)
{
	struct remotevm_mm *record = ctx->record;
	struct remotevm_allocation *a, *stale;
	unsigned long index = start;
	int ret;

	if (record->nr_allocations >= REMOTEVM_MAX_ALLOCATIONS)
		return -ENOMEM;
	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	a->start = start;
	a->end = start + len;
	a->owner = ctx->handle->id;
	a->protection = protection;
	/*
	 * A record overlapping a range the kernel just gave us describes
	 * memory the target has unmapped since: it is no longer ours.
	 */
	while ((stale = mt_find(&record->allocations, &index, a->end - 1))) {
		remotevm_allocation_forget(record, stale);
		index = start;
	}
	ret = remotevm_set_committed(record, start, a->end, committed);
	if (!ret)
		ret = mtree_insert_range(&record->allocations, start, a->end - 1,
					 a, GFP_KERNEL_ACCOUNT);
	if (!ret && !record->nr_allocations) {
		ret = remotevm_record_pin(ctx);
		if (ret)
			mtree_erase(&record->allocations, start);
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
static int remotevm_pages_of_allocation(struct remotevm_context *ctx,
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

/* ------------------------------------------------------------------ */
/* Argument checks, in the caller's context                           */
/* ------------------------------------------------------------------ */

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

/*
 * The stride of an array of extensible structs, the element size the
 * caller was built with: at least the first published size, whole words,
 * at most a page.
 */
static bool remotevm_stride_valid(u32 stride, size_t ver0)
{
	return stride >= ver0 && stride <= PAGE_SIZE &&
	       IS_ALIGNED(stride, sizeof(u64));
}

/*
 * Execute-only, as Windows means it: the pages stay readable. do_mmap()
 * gives exactly PROT_EXEC the mm's execute-only protection key on a CPU
 * with protection keys, which no thread of the target may read (their
 * PKRU denies it), and sets that up in the worker's own PKRU. PROT_SEM,
 * which x86 ignores, keeps the prot from being exactly PROT_EXEC.
 */
#define REMOTEVM_PROT_EXEC_ONLY	(PROT_EXEC | PROT_SEM)

/* PROT_* that maps pages with the access of @vm_flags again. */
static unsigned long remotevm_access_prot(unsigned long vm_flags)
{
	/* VM_READ, VM_WRITE and VM_EXEC are PROT_READ, PROT_WRITE and PROT_EXEC. */
	unsigned long prot = vm_flags & REMOTEVM_VM_ACCESS;

	return prot == PROT_EXEC ? REMOTEVM_PROT_EXEC_ONLY : prot;
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
		*prot = REMOTEVM_PROT_EXEC_ONLY;
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

/* A range that is not empty and does not wrap around. */
static int remotevm_range_validate(u64 address, u64 size)
{
	return size && address + size > address ? 0 : -EINVAL;
}

/*
 * Checks what can be checked without the target; the rest (its address
 * space size, what is mapped) is checked by the worker.
 */
static int remotevm_alloc_validate(const struct remotevm_op *op)
{
	const struct remotevm_alloc *alloc = &op->alloc;
	u32 type = alloc->allocation_type;
	bool placed = alloc->lowest || alloc->highest || alloc->alignment;
	unsigned long prot;
	int ret;

	if (type & ~(REMOTEVM_ALLOC_TYPES | REMOTEVM_RESET_TYPES |
		     REMOTEVM_ALLOC_TYPES_UNSUPPORTED))
		return -EINVAL;
	if (type & REMOTEVM_ALLOC_TYPES_UNSUPPORTED)
		return -EOPNOTSUPP;
	ret = remotevm_prot(alloc->page_protection, &prot);
	if (ret)
		return ret;
	ret = remotevm_range_validate(alloc->address, alloc->size);
	if (ret)
		return ret;
	/* MEM_RESET and MEM_RESET_UNDO stand alone, on given pages. */
	if (type & REMOTEVM_RESET_TYPES)
		return type == REMOTEVM_MEM_RESET || type == REMOTEVM_MEM_RESET_UNDO ?
		       (alloc->address && !placed ? 0 : -EINVAL) : -EINVAL;
	if (!(type & (REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE)))
		return -EINVAL;
	if (alloc->alignment &&
	    (!is_power_of_2(alloc->alignment) || alloc->alignment < PAGE_SIZE))
		return -EINVAL;
	if (alloc->highest && alloc->highest < alloc->lowest)
		return -EINVAL;
	/* A placement window says where the module may choose: not with an address. */
	if (alloc->address && (placed || (type & REMOTEVM_MEM_TOP_DOWN)))
		return -EINVAL;
	/* As Windows: nothing is ever placed in the first 64 KiB. */
	if (alloc->address && alloc->address < REMOTEVM_LOWEST_ADDRESS)
		return -EINVAL;
	return 0;
}

static int remotevm_free_validate(const struct remotevm_op *op)
{
	const struct remotevm_free *free = &op->free;

	if (free->free_type & REMOTEVM_FREE_TYPES_UNSUPPORTED)
		return -EOPNOTSUPP;
	if (free->pad || !free->address ||
	    free->address + free->size < free->address)
		return -EINVAL;
	switch (free->free_type) {
	case REMOTEVM_MEM_DECOMMIT:
		return 0;
	case REMOTEVM_MEM_RELEASE:
		return free->size ? -EINVAL : 0;
	}
	return -EINVAL;
}

static int remotevm_protect_validate(const struct remotevm_op *op)
{
	const struct remotevm_protect *protect = &op->protect;
	unsigned long prot;
	int ret;

	if (protect->flags & ~REMOTEVM_PROTECT_COPY || protect->pad)
		return -EINVAL;
	ret = remotevm_prot(protect->new_protection, &prot);
	return ret ?: remotevm_range_validate(protect->address, protect->size);
}

/* ------------------------------------------------------------------ */
/* The target's mappings                                              */
/* ------------------------------------------------------------------ */

static unsigned long remotevm_map(unsigned long address, unsigned long len,
				  unsigned long prot, unsigned long flags)
{
	return vm_mmap(NULL, address, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, 0);
}

static bool remotevm_vma_is_private_anon(struct vm_area_struct *vma)
{
	return vma_is_anonymous(vma) && !(vma->vm_flags & VM_SHARED);
}

/*
 * Calls @fn for each VMA piece of [start, end), under the mmap lock, and
 * stops at its first error. A hole in the range is -EADDRNOTAVAIL: the
 * target unmapped something there.
 */
static int remotevm_walk(struct mm_struct *mm, unsigned long start,
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
static unsigned long remotevm_kept_flags(struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_LOCKED ? MAP_LOCKED : 0;
}

/*
 * Memory remotevm may unmap: anonymous, private, no userfaultfd. With an
 * @arg, collects the mmap flags a remap of it keeps there.
 */
static int remotevm_check_ours(struct vm_area_struct *vma, unsigned long start,
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
 * special, as its search reads the caller's (the kthread's) word size.
 */
static bool remotevm_kernel_places(struct remotevm_context *ctx,
				   const struct remotevm_alloc *alloc)
{
	return !alloc->address &&
	       !(alloc->allocation_type & REMOTEVM_MEM_TOP_DOWN) &&
	       !alloc->lowest && !alloc->highest && !alloc->alignment &&
	       ctx->task_size > SZ_4G;
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
		if (remotevm_kernel_places(ctx, alloc)) {
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

/*
 * Spans of a range with one protection each, as a walk finds them: the
 * runs a commit maps, or what a failed remap must put back. A first walk
 * with no array only counts them.
 */
struct remotevm_span {
	unsigned long start, end;
	unsigned long prot;
};

struct remotevm_spans {
	struct remotevm_span *span;
	int max;
	int nr;
	unsigned long last_end;
	unsigned long last_prot;
};

static void remotevm_spans_add(struct remotevm_spans *spans, unsigned long start,
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
static int remotevm_collect_spans(struct remotevm_context *ctx,
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
static void remotevm_allocation_lose(struct remotevm_context *ctx,
				     unsigned long addr)
{
	struct remotevm_allocation *a = mtree_load(&ctx->record->allocations,
						   addr);

	if (a)
		WRITE_ONCE(a->lost, true);
}

/*
 * Maps @prot over [start, end) where nothing is mapped. After a failed
 * MAP_FIXED, 6.1's mmap_region() has already unmapped the range (it
 * unmaps before the accounting and VMA allocation that can fail), while
 * 6.12 puts the old mappings back on some failures. If the range is
 * neither empty nor still remotevm's as before (the target mapped
 * something there meanwhile), the allocation is given up: remotevm never
 * covers memory it does not hold. Returns 0 when it mapped the range, 1
 * when the old mappings are still there, -EADDRNOTAVAIL when the
 * allocation is lost.
 */
static int remotevm_refill(struct remotevm_context *ctx, unsigned long start,
			   unsigned long end, unsigned long prot,
			   unsigned long flags)
{
	unsigned long addr = remotevm_map(start, end - start, prot,
					  flags | MAP_FIXED_NOREPLACE);

	if (!IS_ERR_VALUE(addr))
		return 0;
	if (addr == -EEXIST &&
	    !remotevm_walk(ctx->mm, start, end, remotevm_check_ours, NULL))
		return 1;
	remotevm_allocation_lose(ctx, start);
	return -EADDRNOTAVAIL;
}

/*
 * Maps [start, start + len) afresh over memory of a remotevm allocation;
 * on failure, the range is reserved again (or the allocation lost), never
 * left a hole that the record still covers.
 */
static int remotevm_remap(struct remotevm_context *ctx, unsigned long start,
			  unsigned long len, unsigned long prot,
			  unsigned long flags)
{
	unsigned long addr = remotevm_map(start, len, prot, flags | MAP_FIXED);

	if (!IS_ERR_VALUE(addr))
		return 0;
	if (!remotevm_refill(ctx, start, start + len, PROT_NONE, MAP_NORESERVE))
		remotevm_set_committed(ctx->record, start, start + len, false);
	return (long)addr;
}

struct remotevm_commit_scan {
	struct remotevm_spans reserved;
	struct remotevm_mm *record;
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

/*
 * Commits pages inside an existing remotevm reservation. Pages already
 * committed keep their contents and protection; reserved ones are mapped
 * afresh (zero-filled) with @prot. Either every reserved run is committed
 * or, after a failure, all of them are reserved again.
 */
static int remotevm_commit(struct remotevm_context *ctx,
			   struct remotevm_alloc *alloc, unsigned long prot)
{
	struct remotevm_commit_scan scan = { .record = ctx->record };
	struct remotevm_spans *runs = &scan.reserved;
	unsigned long start, end;
	int i, ret;

	ret = remotevm_pages_of_allocation(ctx, alloc->address, alloc->size,
					   &start, &end);
	if (ret)
		return ret;
	ret = remotevm_collect_spans(ctx, start, end, remotevm_collect_reserved,
				     runs);
	if (ret)
		return ret;
	/*
	 * Check-then-act: vm_mmap() takes the mmap lock itself, so the target
	 * could touch a run between the walk above and the map below. It
	 * would have to mprotect() and write into a remotevm reservation it
	 * never allocated, which no correct program does.
	 */
	for (i = 0; i < runs->nr && !ret; i++)
		ret = remotevm_remap(ctx, runs->span[i].start,
				     runs->span[i].end - runs->span[i].start,
				     prot, scan.kept);
	if (!ret)
		ret = remotevm_set_committed(ctx->record, start, end, true);
	else
		i--;
	/* The failing run is reserved again already; the ones before it too. */
	if (ret)
		while (i--)
			remotevm_remap(ctx, runs->span[i].start,
				       runs->span[i].end - runs->span[i].start,
				       PROT_NONE, MAP_NORESERVE | scan.kept);
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

struct remotevm_reset {
	struct remotevm_mm *record;
	bool undo;
};

/* MEM_RESET drops committed pages now; mlock()ed ones stay, as with madvise(). */
static int remotevm_reset_pages(struct vm_area_struct *vma, unsigned long start,
				unsigned long end, void *arg)
{
	const struct remotevm_reset *reset = arg;

	if (!remotevm_vma_is_private_anon(vma) ||
	    !remotevm_all_committed(reset->record, start, end))
		return -EADDRNOTAVAIL;
	/* madvise() would tell the monitor (UFFD_EVENT_REMOVE); we cannot. */
	if (userfaultfd_armed(vma))
		return -EBUSY;
	if (!reset->undo && !(vma->vm_flags & VM_LOCKED))
		remotevm_zap(vma, start, end);
	return 0;
}

/*
 * MEM_RESET: the target no longer needs the contents of these committed
 * pages; they are dropped at once and read as zero. MEM_RESET_UNDO can
 * therefore never find the data intact: -ENODATA, as Windows fails it
 * when any of the data was replaced with zeroes.
 */
static int remotevm_reset(struct remotevm_context *ctx,
			  struct remotevm_alloc *alloc)
{
	struct remotevm_reset reset = {
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

/*
 * Whether an ALLOC makes a new allocation, rather than committing or
 * resetting pages of one: MEM_COMMIT alone without an address reserves
 * and commits, as on Windows; with an address it commits inside a
 * reservation.
 */
static bool remotevm_alloc_is_new(const struct remotevm_alloc *alloc)
{
	return !(alloc->allocation_type & REMOTEVM_RESET_TYPES) &&
	       (!alloc->address || (alloc->allocation_type & REMOTEVM_MEM_RESERVE));
}

static int remotevm_alloc(struct remotevm_context *ctx, struct remotevm_op *op)
{
	struct remotevm_alloc *alloc = &op->alloc;
	unsigned long prot;
	int ret = remotevm_prot(alloc->page_protection, &prot);

	if (ret)
		return ret;
	if (alloc->allocation_type & REMOTEVM_RESET_TYPES)
		return remotevm_reset(ctx, alloc);
	if (!remotevm_alloc_is_new(alloc))
		return remotevm_commit(ctx, alloc, prot);
	return remotevm_reserve(ctx, alloc, prot);
}

/* ------------------------------------------------------------------ */
/* VirtualFree: decommit, release                                     */
/* ------------------------------------------------------------------ */

static int remotevm_decommit(struct remotevm_context *ctx,
			     struct remotevm_free *free)
{
	struct remotevm_allocation *a = remotevm_allocation_at(ctx->record,
							      free->address);
	unsigned long start, end, kept = 0;
	int ret;

	if (!a)
		return -EADDRNOTAVAIL;
	if (free->size) {
		start = ALIGN_DOWN(free->address, PAGE_SIZE);
		end = PAGE_ALIGN(free->address + free->size);
		if (!end || end > a->end)
			return -EADDRNOTAVAIL;
	} else if (free->address == a->start) {
		start = a->start;
		end = a->end;
	} else {
		return -EINVAL;	/* size 0 means the whole allocation, from its base */
	}
	ret = remotevm_walk(ctx->mm, start, end, remotevm_check_ours, &kept);
	if (ret)
		return ret;
	/* Back to reserved: contents discarded, no longer accounted. */
	ret = remotevm_remap(ctx, start, end - start, PROT_NONE,
			     MAP_NORESERVE | kept);
	if (ret)
		return ret;
	if (remotevm_set_committed(ctx->record, start, end, false)) {
		/* Reserved pages the record calls committed are not ours to touch. */
		remotevm_allocation_lose(ctx, start);
		return -ENOMEM;
	}
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

static int remotevm_free(struct remotevm_context *ctx, struct remotevm_op *op)
{
	struct remotevm_free *free = &op->free;
	struct remotevm_allocation *a;

	if (free->free_type == REMOTEVM_MEM_DECOMMIT)
		return remotevm_decommit(ctx, free);
	a = mtree_load(&ctx->record->allocations, free->address);
	if (!a || a->start != free->address)
		return -EADDRNOTAVAIL;
	return remotevm_release_allocation(ctx, a);
}

/* REMOTEVM_ATTACH_RELEASE_ON_CLOSE: everything this handle allocated. */
static int remotevm_release_owned(struct remotevm_context *ctx, void *unused)
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

static u32 remotevm_vma_protection(struct vm_area_struct *vma)
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

/* MEMORY_BASIC_INFORMATION of @addr, its region ending at @limit at most. */
static void remotevm_describe(struct remotevm_context *ctx, unsigned long addr,
			      unsigned long limit, struct remotevm_region *region,
			      struct remotevm_mapping *mapping)
{
	struct vm_area_struct *vma = find_vma(ctx->mm, addr), *next;
	struct remotevm_allocation *a;
	unsigned long lo, hi, end;
	bool image = false, reserved;
	u32 state, protect, type;

	memset(region, 0, sizeof(*region));
	region->base_address = PAGE_ALIGN_DOWN(addr);
	if (!vma || vma->vm_start > addr) {
		end = vma ? vma->vm_start : ctx->task_size;
		region->state = REMOTEVM_MEM_FREE;
		region->protect = REMOTEVM_PAGE_NOACCESS;
		region->region_size = min(end, limit) - region->base_address;
		return;
	}

	a = remotevm_allocation_at(ctx->record, addr);
	if (a) {
		unsigned long state_end;

		reserved = !remotevm_committed_at(ctx->record, addr, &state_end);
		lo = a->start;
		hi = min(a->end, state_end);
		region->allocation_protect = a->protection;
	} else {
		remotevm_mapping_bounds(ctx->mm, vma, mapping);
		lo = mapping->start;
		hi = mapping->end;
		image = mapping->image;
		reserved = !(vma->vm_flags & REMOTEVM_VM_ACCESS);
		region->allocation_protect =
			remotevm_vma_protection(find_vma(ctx->mm, lo));
	}
	region->allocation_base = lo;

	if (remotevm_vma_is_private_anon(vma))
		type = REMOTEVM_MEM_PRIVATE;
	else
		type = image ? REMOTEVM_MEM_IMAGE : REMOTEVM_MEM_MAPPED;
	state = reserved ? REMOTEVM_MEM_RESERVE : REMOTEVM_MEM_COMMIT;
	protect = reserved ? 0 : remotevm_vma_protection(vma);

	end = vma->vm_end;
	while (end < hi && (next = find_vma(ctx->mm, end)) &&
	       next->vm_start == end &&
	       remotevm_region_continues(next, a, state, protect, type))
		end = next->vm_end;

	region->state = state;
	region->protect = protect;
	region->type = type;
	region->region_size = min3(end, hi, limit) - region->base_address;
}

static int remotevm_query(struct remotevm_context *ctx, struct remotevm_op *op)
{
	struct remotevm_query *query = &op->query;
	struct remotevm_mapping mapping = { 0 };

	if (query->address >= ctx->task_size)
		return -EINVAL;
	mmap_read_lock(ctx->mm);
	remotevm_describe(ctx, query->address, ctx->task_size, &query->region,
			  &mapping);
	mmap_read_unlock(ctx->mm);
	return 0;
}

struct remotevm_region_list {
	unsigned long start, end;
	struct remotevm_region *regions;
	u32 count;
	u32 written;
};

static int remotevm_list_regions(struct remotevm_context *ctx, void *arg)
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

/* ------------------------------------------------------------------ */
/* VirtualProtect                                                     */
/* ------------------------------------------------------------------ */

static long remotevm_get_page(struct mm_struct *mm, unsigned long addr,
			      unsigned int gup_flags, struct page **page)
{
#ifdef REMOTEVM_GUP_REMOTE_HAS_VMAS
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL, NULL);
#else
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL);
#endif
}

/*
 * Copies between @buf and the target's [addr, addr + len), with
 * FOLL_FORCE as a ptrace poke does (the pages may be inaccessible to the
 * target itself). Only ever through the handle's own mm: never through
 * the task (access_process_vm()), whose mm after an exec is another
 * image, maybe a setuid one.
 */
static int remotevm_access(struct remotevm_context *ctx, unsigned long addr,
			   void *buf, unsigned long len, bool write)
{
	unsigned int gup_flags = FOLL_FORCE | (write ? FOLL_WRITE : 0);
	int ret = 0;

	if (mmap_read_lock_killable(ctx->mm))
		return -EINTR;
	while (len) {
		unsigned long offset = offset_in_page(addr);
		unsigned long bytes = min(len, PAGE_SIZE - offset);
		struct page *page;
		void *kaddr;

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (remotevm_get_page(ctx->mm, addr, gup_flags, &page) != 1) {
			ret = -EFAULT;
			break;
		}
		kaddr = kmap_local_page(page);
		if (write)
			memcpy(kaddr + offset, buf, bytes);
		else
			memcpy(buf, kaddr + offset, bytes);
		kunmap_local(kaddr);
		if (write)
			set_page_dirty_lock(page);
		put_page(page);
		addr += bytes;
		buf += bytes;
		len -= bytes;
	}
	mmap_read_unlock(ctx->mm);
	return ret;
}

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
	struct remotevm_mm *record;
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
			    unsigned long len)
{
	int i, ret = 0;

	for (i = 0; i < old->nr && ret >= 0; i++)
		ret = remotevm_refill(ctx, old->span[i].start, old->span[i].end,
				      old->span[i].prot, kept);
	if (ret >= 0 && contents &&
	    remotevm_access(ctx, start, contents, len, true)) {
		remotevm_allocation_lose(ctx, start);
		ret = -EADDRNOTAVAIL;
	}
	return ret;
}

/*
 * VirtualProtect. There is no exported way to change the protection of
 * pages in place (no mprotect() for modules), so the range is mapped
 * afresh with the new protection. That keeps the contents only if there
 * are none yet, or, with REMOTEVM_PROTECT_COPY, by copying them out and
 * back in with FOLL_FORCE (as ptrace pokes do), which is not atomic
 * against the target's own accesses to the range.
 */
static int remotevm_protect(struct remotevm_context *ctx,
			    struct remotevm_op *op)
{
	struct remotevm_protect *protect = &op->protect;
	struct remotevm_protect_scan scan = {
		.record = ctx->record,
		.new_protection = protect->new_protection,
		.unchanged = true,
	};
	bool copy = protect->flags & REMOTEVM_PROTECT_COPY;
	unsigned long start, end, len, prot, addr;
	bool has_data = false;
	void *contents = NULL;
	int ret;

	ret = remotevm_pages_of_allocation(ctx, protect->address, protect->size,
					   &start, &end);
	if (ret)
		return ret;
	len = end - start;
	ret = remotevm_collect_spans(ctx, start, end, remotevm_scan_committed,
				     &scan.old);
	if (ret)
		return ret;
	protect->old_protection = scan.old_protection;
	if (scan.unchanged)
		goto out;
	if (scan.may_have_data) {
		ret = remotevm_range_is_zero(ctx, start, len);
		if (ret < 0)
			goto out;
		has_data = !ret;
		ret = 0;
	}
	if (has_data && !copy) {
		ret = -EBUSY;
		goto out;
	}
	if (has_data) {
		ret = -E2BIG;
		if (len > REMOTEVM_PROTECT_COPY_MAX)
			goto out;
		ret = -ENOMEM;
		contents = kvmalloc(len, GFP_KERNEL_ACCOUNT);
		if (!contents)
			goto out;
		ret = remotevm_access(ctx, start, contents, len, false);
		if (ret)
			goto out;
	}
	remotevm_prot(protect->new_protection, &prot);
	addr = remotevm_map(start, len, prot, MAP_FIXED | scan.kept);
	if (IS_ERR_VALUE(addr)) {
		ret = remotevm_restore(ctx, &scan.old, scan.kept, start,
				       contents, len);
		if (ret >= 0)
			ret = (long)addr;
		goto out;
	}
	/* Written into the mapping just made, in the mm the handle is bound to. */
	if (contents && remotevm_access(ctx, start, contents, len, true)) {
		remotevm_allocation_lose(ctx, start);
		ret = -EIO;
	}
out:
	kvfree(contents);
	kvfree(scan.old.span);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The worker                                                         */
/* ------------------------------------------------------------------ */

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

/* Tasks that share a process's mm without being one of its user threads. */
#ifdef PF_USER_WORKER
#define REMOTEVM_PF_NOT_USER	(PF_KTHREAD | PF_IO_WORKER | PF_USER_WORKER)
#else
#define REMOTEVM_PF_NOT_USER	(PF_KTHREAD | PF_IO_WORKER)
#endif

/*
 * A live user thread of the process @tgid that runs in @mm, whose
 * credentials and limits are the target's: any one will do, so that the
 * handle outlives the thread it was attached by. -ESRCH if the process is
 * gone (a zombie leader is all that is left), -EACCES if it runs another
 * image now.
 */
static int remotevm_target_thread(struct pid *tgid, struct mm_struct *mm,
				  struct task_struct **thread)
{
	struct task_struct *leader, *t;
	int ret = -ESRCH;

	rcu_read_lock();
	leader = pid_task(tgid, PIDTYPE_TGID);
	if (leader) {
		for_each_thread(leader, t) {
			struct mm_struct *t_mm = READ_ONCE(t->mm);

			if (!t_mm || (t->flags & (PF_EXITING | REMOTEVM_PF_NOT_USER)))
				continue;
			if (t_mm != mm) {
				ret = -EACCES;
				continue;
			}
			get_task_struct(t);
			*thread = t;
			ret = 0;
			break;
		}
	}
	rcu_read_unlock();
	return ret;
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
	struct task_struct *task;

	if (remotevm_target_thread(handle->pid, handle->mm, &task))
		return -ESRCH;
	if (!mmget_not_zero(handle->mm)) {
		put_task_struct(task);
		return -ESRCH;
	}

	ctx->handle = handle;
	ctx->task = task;
	ctx->mm = handle->mm;
	ctx->record = handle->record;
	ctx->task_size = TASK_SIZE_OF(task);
	ctx->mmap_base = remotevm_top_down_base(task, ctx->mm, ctx->task_size);
	ctx->cred = get_task_cred(task);

	ctx->memcg = get_mem_cgroup_from_mm(ctx->mm);
	kthread_use_mm(ctx->mm);
	ctx->saved_memcg = set_active_memcg(ctx->memcg);
	ctx->saved_cred = override_creds(ctx->cred);
	return 0;
}

/*
 * Whether the thread we entered by still runs in our mm with the
 * credentials we adopted: it may have exited, or the process exec'd or
 * changed credentials since remotevm_enter() (a polling session keeps
 * what it adopted across requests). A move to another memcg is seen at
 * the next session.
 */
static bool remotevm_target_unchanged(struct remotevm_context *ctx)
{
	bool unchanged;

	task_lock(ctx->task);
	unchanged = ctx->task->mm == ctx->mm &&
		    rcu_access_pointer(ctx->task->real_cred) == ctx->cred;
	task_unlock(ctx->task);
	return unchanged;
}

static void remotevm_leave(struct remotevm_context *ctx)
{
	revert_creds(ctx->saved_cred);
	put_cred(ctx->cred);
	set_active_memcg(ctx->saved_memcg);
	kthread_unuse_mm(ctx->mm);
	mem_cgroup_put(ctx->memcg);
	mmput(ctx->mm);
	put_task_struct(ctx->task);
}

/*
 * Holds off exec for the request, as mm_access() does: exec switches the
 * mm and then commits the new image's credentials under exec_update_lock,
 * so with it held, what remotevm_enter() adopted stays the target's until
 * the request is done. 0 when held and nothing changed, 1 when the target
 * changed (enter again), -EINTR on abort.
 */
static int remotevm_lock_target(struct remotevm_context *ctx)
{
	struct rw_semaphore *exec_lock = &ctx->task->signal->exec_update_lock;

	if (down_read_killable(exec_lock))
		return -EINTR;
	if (remotevm_target_unchanged(ctx))
		return 0;
	up_read(exec_lock);
	return 1;
}

/* One request, under the lock that serialises every handle on this mm. */
static int remotevm_run(struct remotevm_context *ctx,
			struct remotevm_request *req)
{
	int ret;

	/* Each time: the target may have changed them since the last one. */
	remotevm_adopt_rlimits(ctx->task);
	mutex_lock(&ctx->record->lock);
	WRITE_ONCE(ctx->record->busy_worker, current);
	ctx->record->clobbered = false;
	ret = req->fn(ctx, req->arg);
	WRITE_ONCE(ctx->record->busy_worker, NULL);
	mutex_unlock(&ctx->record->lock);
	return ret;
}

/*
 * Enters the target unless the session is in it already, and runs @req.
 * A thread exit or a change of credentials means entering again; a target
 * that keeps changing gets -EAGAIN rather than a worker that never ends.
 */
static int remotevm_serve(struct remotevm_handle *handle,
			  struct remotevm_context *ctx, bool *entered,
			  struct remotevm_request *req)
{
	int tries, ret = -EAGAIN;

	for (tries = 0; tries < 3; tries++) {
		if (!*entered) {
			ret = remotevm_enter(handle, ctx);
			if (ret)
				return ret;
			*entered = true;
		}
		ret = remotevm_lock_target(ctx);
		if (ret <= 0)
			break;
		remotevm_leave(ctx);
		*entered = false;
		ret = -EAGAIN;
	}
	if (ret)
		return ret;
	ret = remotevm_run(ctx, req);
	up_read(&ctx->task->signal->exec_update_lock);
	return ret;
}

/* Whether to run @req: not if its caller gave up on it already. */
static bool remotevm_start(struct remotevm_mm *record,
			   struct remotevm_request *req)
{
	bool start;

	spin_lock(&record->running_lock);
	start = !req->aborted;
	if (start)
		record->running = req;
	spin_unlock(&record->running_lock);
	return start;
}

static void remotevm_finish(struct remotevm_mm *record)
{
	spin_lock(&record->running_lock);
	record->running = NULL;
	spin_unlock(&record->running_lock);
	/* A SIGKILL from remotevm_abort() was for that request only. */
	if (signal_pending(current))
		flush_signals(current);
}

static bool remotevm_poll_expired(u64 deadline)
{
	return need_resched() || ktime_get_ns() >= deadline;
}

/*
 * The session's next request: one already handed over, or, on a polling
 * handle, one that comes within poll_us while nothing else wants this CPU.
 * NULL ends the session; the next request is then queued as new work.
 */
static struct remotevm_request *remotevm_next_request(struct remotevm_handle *handle)
{
	u64 deadline = ktime_get_ns() + handle->poll_us * NSEC_PER_USEC;
	struct remotevm_request *req;

	while (!READ_ONCE(handle->next) && !READ_ONCE(handle->closing) &&
	       single_task_running() && !remotevm_poll_expired(deadline))
		cpu_relax();

	spin_lock(&handle->session_lock);
	req = handle->next;
	handle->next = NULL;
	if (!req)
		handle->in_session = false;
	spin_unlock(&handle->session_lock);
	return req;
}

/*
 * A session: the queued request, then those handed to it directly, all in
 * the target's mm, entered once.
 */
static void remotevm_work(struct kthread_work *work)
{
	struct remotevm_request *req = container_of(work, struct remotevm_request,
						    work);
	struct remotevm_handle *handle = req->handle;
	struct remotevm_mm *record = handle->record;
	struct remotevm_context ctx;
	bool entered = false;

	do {
		if (remotevm_start(record, req)) {
			req->ret = remotevm_serve(handle, &ctx, &entered, req);
			remotevm_finish(record);
		} else {
			req->ret = -EINTR;
		}
		/* From here on req is the caller's again: it may be gone. */
		complete(&req->done);
	} while ((req = remotevm_next_request(handle)));
	if (entered)
		remotevm_leave(&ctx);
}

static bool remotevm_target_running(struct remotevm_handle *handle)
{
	struct task_struct *task;
	bool running;

	rcu_read_lock();
	task = pid_task(handle->pid, PIDTYPE_TGID);
	running = task && task_is_running(task);
	rcu_read_unlock();
	return running;
}

/*
 * By default the worker runs where the caller is: the caller sleeps until
 * the work is done, so its CPU is free, and the hand-off then wakes no
 * other CPU (under TCG that halved a single operation's cost), nor lands
 * on the target's. A polling handle's worker runs on another CPU, where
 * it can wait busy for the next request while the caller waits busy for
 * the result; but not while the target runs, whose CPU it would take, and
 * only on a CPU the caller may use itself (its affinity and cpuset) and
 * the kernel keeps for housekeeping: never on an isolated one.
 * Returns whether the worker runs elsewhere.
 */
static bool remotevm_place_worker(struct remotevm_handle *handle)
{
	struct task_struct *worker = handle->record->worker->task;
	int cpu = raw_smp_processor_id();
	const struct cpumask *cpus = cpumask_of(cpu);
	bool elsewhere = false;

	if (handle->poll_us && !remotevm_target_running(handle)) {
		cpumask_andnot(handle->poll_cpus, current->cpus_ptr, cpus);
		cpumask_and(handle->poll_cpus, handle->poll_cpus, cpu_online_mask);
		cpumask_and(handle->poll_cpus, handle->poll_cpus,
			    housekeeping_cpumask(HK_TYPE_KTHREAD));
		cpumask_and(handle->poll_cpus, handle->poll_cpus,
			    housekeeping_cpumask(HK_TYPE_DOMAIN));
		elsewhere = !cpumask_empty(handle->poll_cpus);
		if (elsewhere)
			cpus = handle->poll_cpus;
	}
	if (!cpumask_equal(worker->cpus_ptr, cpus))
		set_cpus_allowed_ptr(worker, cpus);
	return elsewhere;
}

/* The caller's half of polling: the result, if it comes within poll_us. */
static void remotevm_poll_result(struct remotevm_handle *handle,
				 struct completion *done)
{
	u64 deadline = ktime_get_ns() + handle->poll_us * NSEC_PER_USEC;

	while (!completion_done(done) && !remotevm_poll_expired(deadline))
		cpu_relax();
}

/*
 * The caller gives up on @req: it is being killed, or is closing the
 * handle and the target does not let go. A request not started yet never
 * will be; the running one gets SIGKILL, which ends each wait it can be
 * in (the mmap lock, a userfaultfd monitor that never answers, page
 * faults), so that the wait for it here is short.
 */
static void remotevm_abort(struct remotevm_request *req)
{
	struct remotevm_handle *handle = req->handle;
	struct remotevm_mm *record = handle->record;

	spin_lock(&record->running_lock);
	req->aborted = true;
	if (record->running == req)
		send_sig(SIGKILL, record->worker->task, 1);
	spin_unlock(&record->running_lock);
	if (kthread_cancel_work_sync(&req->work)) {
		/* Taken off the queue: neither it nor its session ever ran. */
		spin_lock(&handle->session_lock);
		handle->in_session = false;
		spin_unlock(&handle->session_lock);
		req->ret = -EINTR;
		return;
	}
	wait_for_completion(&req->done);
}

/*
 * Hands @fn to the worker and waits for it, killably; when closing, as
 * long as the release on close makes progress within REMOTEVM_CLOSE_TIMEOUT
 * (a closing task may be exiting, when no signal can reach it any more).
 */
static int remotevm_call(struct remotevm_handle *handle,
			 int (*fn)(struct remotevm_context *ctx, void *arg),
			 void *arg, bool closing)
{
	struct remotevm_request req = {
		.handle = handle,
		.fn = fn,
		.arg = arg,
	};
	bool worker_elsewhere, in_session, done;

	worker_elsewhere = remotevm_place_worker(handle);
	kthread_init_work(&req.work, remotevm_work);
	init_completion(&req.done);

	spin_lock(&handle->session_lock);
	in_session = handle->in_session;
	if (in_session)
		handle->next = &req;
	else
		handle->in_session = true;
	spin_unlock(&handle->session_lock);
	if (!in_session)
		kthread_queue_work(handle->record->worker, &req.work);

	if (worker_elsewhere)
		remotevm_poll_result(handle, &req.done);
	if (closing) {
		unsigned long progress;

		do {
			progress = READ_ONCE(handle->released_on_close);
			done = wait_for_completion_timeout(&req.done,
							   REMOTEVM_CLOSE_TIMEOUT);
		} while (!done && READ_ONCE(handle->released_on_close) != progress);
	} else {
		done = !wait_for_completion_killable(&req.done);
	}
	if (!done)
		remotevm_abort(&req);
	return req.ret;
}

/* The one place that hands an ioctl's work to the worker. */
static int remotevm_submit(struct remotevm_handle *handle,
			   int (*fn)(struct remotevm_context *ctx, void *arg),
			   void *arg)
{
	int ret;

	if (mutex_lock_killable(&handle->lock))
		return -EINTR;
	ret = handle->pid ? remotevm_call(handle, fn, arg, false) : -EBADFD;
	mutex_unlock(&handle->lock);
	return ret;
}

/* A polling session may still wait for this handle's next request: end it. */
static void remotevm_end_session(struct remotevm_handle *handle)
{
	bool in_session;

	for (;;) {
		spin_lock(&handle->session_lock);
		handle->closing = true;
		in_session = handle->in_session;
		spin_unlock(&handle->session_lock);
		if (!in_session)
			return;
		schedule_timeout_uninterruptible(1);
	}
}

/* kthreads ignore signals unless allowed: remotevm_abort() needs SIGKILL. */
static void remotevm_worker_init(struct kthread_work *work)
{
	allow_signal(SIGKILL);
}

/* The mm's worker, made by the first handle attached to it. */
static int remotevm_worker_get(struct remotevm_mm *record, pid_t tgid)
{
	struct kthread_worker *worker;
	struct kthread_work init;
	int ret = 0;

	mutex_lock(&record->worker_lock);
	if (!record->worker) {
		worker = kthread_create_worker(0, "remotevm/%d", tgid);
		if (IS_ERR(worker)) {
			ret = PTR_ERR(worker);
			goto out;
		}
		kthread_init_work(&init, remotevm_worker_init);
		kthread_queue_work(worker, &init);
		kthread_flush_work(&init);
		record->worker = worker;
	}
	record->nr_handles++;
out:
	mutex_unlock(&record->worker_lock);
	return ret;
}

/* The last handle on the mm takes the worker with it: it is idle by then. */
static void remotevm_worker_put(struct remotevm_mm *record)
{
	struct kthread_worker *worker = NULL;

	mutex_lock(&record->worker_lock);
	if (!--record->nr_handles) {
		worker = record->worker;
		record->worker = NULL;
	}
	mutex_unlock(&record->worker_lock);
	if (worker)
		kthread_destroy_worker(worker);
}

struct remotevm_op_list {
	struct remotevm_op *ops;
	u32 count;
	u32 completed;
};

/*
 * What each operation is: the size of its arguments inside struct
 * remotevm_op as this module knows them and as first published, how the
 * caller checks them and how the worker runs it. Adding an op is a row.
 */
struct remotevm_op_type {
	size_t size;
	size_t ver0;
	int (*validate)(const struct remotevm_op *op);
	int (*run)(struct remotevm_context *ctx, struct remotevm_op *op);
};

static const struct remotevm_op_type remotevm_op_types[] = {
	[REMOTEVM_OP_ALLOC] = {
		sizeof(struct remotevm_alloc), REMOTEVM_ALLOC_SIZE_VER0,
		remotevm_alloc_validate, remotevm_alloc,
	},
	[REMOTEVM_OP_FREE] = {
		sizeof(struct remotevm_free), REMOTEVM_FREE_SIZE_VER0,
		remotevm_free_validate, remotevm_free,
	},
	[REMOTEVM_OP_QUERY] = {
		sizeof(struct remotevm_query), REMOTEVM_QUERY_SIZE_VER0,
		NULL, remotevm_query,
	},
	[REMOTEVM_OP_PROTECT] = {
		sizeof(struct remotevm_protect), REMOTEVM_PROTECT_SIZE_VER0,
		remotevm_protect_validate, remotevm_protect,
	},
};

static const struct remotevm_op_type *remotevm_op_type(u32 code)
{
	if (code >= ARRAY_SIZE(remotevm_op_types) || !remotevm_op_types[code].run)
		return NULL;
	return &remotevm_op_types[code];
}

static int remotevm_op_validate(const struct remotevm_op *op)
{
	const struct remotevm_op_type *type = remotevm_op_type(op->code);

	if (!type || op->flags || op->pad)
		return -EINVAL;
	/* Arguments of a newer version of this op, which we do not know. */
	if (memchr_inv((u8 *)op->reserved + type->size, 0,
		       sizeof(op->reserved) - type->size))
		return -E2BIG;
	return type->validate ? type->validate(op) : 0;
}

/*
 * A batch's consecutive ops that can share one vm_mmap() or vm_munmap().
 * Mapping or unmapping costs the same for one page as for many, and
 * allocations made one after another merge into one VMA, which each
 * release then splits: a run costs one mm operation, not N (or 2N).
 * The target ends up with what the ops one by one would have left it.
 * Each returns how many ops it completed; 0 leaves them to be run one
 * by one, which then also tells which op fails and why.
 */

/*
 * Allocations alike that the kernel places: one mapping, handed out from
 * the top down, as consecutive top-down mmap()s would have placed them.
 */
static u32 remotevm_reserve_run(struct remotevm_context *ctx,
				struct remotevm_op *ops, u32 n)
{
	const struct remotevm_alloc *first = &ops[0].alloc;
	bool commit = first->allocation_type & REMOTEVM_MEM_COMMIT;
	unsigned long prot, len, total, addr;
	u32 count, i;

	if (ops[0].code != REMOTEVM_OP_ALLOC ||
	    (first->allocation_type & REMOTEVM_RESET_TYPES) ||
	    !remotevm_kernel_places(ctx, first) ||
	    remotevm_prot(first->page_protection, &prot))
		return 0;
	for (count = 1; count < n; count++) {
		const struct remotevm_alloc *next = &ops[count].alloc;

		if (ops[count].code != REMOTEVM_OP_ALLOC ||
		    !remotevm_kernel_places(ctx, next) || next->size != first->size ||
		    next->allocation_type != first->allocation_type ||
		    next->page_protection != first->page_protection)
			break;
	}
	len = PAGE_ALIGN(first->size);
	if (count < 2 || check_mul_overflow(len, (unsigned long)count, &total) ||
	    total > ctx->task_size ||
	    ctx->record->nr_allocations + count > REMOTEVM_MAX_ALLOCATIONS)
		return 0;

	addr = remotevm_map(0, total, commit ? prot : PROT_NONE,
			    commit ? 0 : MAP_NORESERVE);
	if (IS_ERR_VALUE(addr))
		return 0;
	for (i = 0; i < count; i++) {
		struct remotevm_alloc *alloc = &ops[i].alloc;
		unsigned long start = addr + (count - 1 - i) * len;

		if (remotevm_record_add(ctx, start, len, first->page_protection,
					commit)) {
			/* What is left is below what was handed out. */
			vm_munmap(addr, start + len - addr);
			return i;
		}
		alloc->allocated_address = start;
		alloc->allocated_size = len;
		ops[i].error = 0;
	}
	return count;
}

/* Releases of whole allocations that lie back to back: one vm_munmap(). */
static u32 remotevm_release_run(struct remotevm_context *ctx,
				struct remotevm_op *ops, u32 n)
{
	unsigned long lo = 0, hi = 0;
	struct remotevm_allocation *a;
	u32 count, i;

	for (count = 0; count < n; count++) {
		const struct remotevm_free *free = &ops[count].free;

		if (ops[count].code != REMOTEVM_OP_FREE ||
		    free->free_type != REMOTEVM_MEM_RELEASE)
			break;
		a = remotevm_allocation_at(ctx->record, free->address);
		if (!a || a->start != free->address)
			break;
		if (!count) {
			lo = a->start;
			hi = a->end;
		} else if (a->end == lo) {
			lo = a->start;
		} else if (a->start == hi) {
			hi = a->end;
		} else {
			break;
		}
	}
	if (count < 2 ||
	    remotevm_walk(ctx->mm, lo, hi, remotevm_check_ours, NULL) ||
	    vm_munmap(lo, hi - lo))
		return 0;
	for (i = 0; i < count; i++) {
		a = mtree_load(&ctx->record->allocations, ops[i].free.address);
		remotevm_allocation_forget(ctx->record, a);
		ops[i].error = 0;
	}
	return count;
}

/*
 * Whether the last operation unmapped a range the target had taken back
 * meanwhile (see remotevm_mm_invalidate_range_start()): -ESTALE, and a
 * warning, as memory the target mapped there may be gone.
 */
static int remotevm_take_clobbered(struct remotevm_context *ctx)
{
	if (!ctx->record->clobbered)
		return 0;
	ctx->record->clobbered = false;
	pr_warn_ratelimited("pid %d unmapped remotevm memory during an operation on it; what it mapped there since may be lost\n",
			    task_tgid_nr(ctx->task));
	return -ESTALE;
}

/* Runs the ops in order; stops at the first failure. */
static int remotevm_run_ops(struct remotevm_context *ctx, void *arg)
{
	struct remotevm_op_list *list = arg;

	while (list->completed < list->count) {
		struct remotevm_op *op = &list->ops[list->completed];
		u32 left = list->count - list->completed;
		u32 done = 0;
		int clobbered;

		/* A run shares an mm operation between two ops or more. */
		if (left >= 2)
			done = remotevm_reserve_run(ctx, op, left) ?:
			       remotevm_release_run(ctx, op, left);
		clobbered = remotevm_take_clobbered(ctx);

		if (done) {
			list->completed += done;
			if (!clobbered)
				continue;
			/* The run is done; its last op says what it met. */
			list->completed--;
			op = &list->ops[list->completed];
			op->error = clobbered;
			return clobbered;
		}
		op->error = remotevm_op_type(op->code)->run(ctx, op) ?:
			    remotevm_take_clobbered(ctx);
		if (op->error)
			return op->error;
		list->completed++;
	}
	return 0;
}

static int remotevm_submit_ops(struct remotevm_handle *handle,
			       struct remotevm_op_list *list)
{
	int ret = remotevm_submit(handle, remotevm_run_ops, list);

	/* Also a failure to reach the target at all (-ESRCH). */
	if (ret && list->completed < list->count)
		list->ops[list->completed].error = ret;
	return ret;
}

/* ------------------------------------------------------------------ */
/* ioctls                                                             */
/* ------------------------------------------------------------------ */

static int remotevm_ioctl_api(void __user *uarg, size_t usize)
{
	struct remotevm_api api;
	u32 code;
	int ret = remotevm_copy_in(&api, sizeof(api), REMOTEVM_API_SIZE_VER0,
				   uarg, usize);

	if (ret)
		return ret;
	if (api.api != REMOTEVM_API || api.pad || api.features || api.ops)
		return -EINVAL;
	api.features = REMOTEVM_FEATURE_BATCH | REMOTEVM_FEATURE_PLACEMENT |
		       REMOTEVM_FEATURE_RELEASE_ON_CLOSE |
		       REMOTEVM_FEATURE_REGIONS | REMOTEVM_FEATURE_PROTECT_COPY |
		       REMOTEVM_FEATURE_POLL;
	for (code = 0; code < ARRAY_SIZE(remotevm_op_types); code++)
		if (remotevm_op_type(code))
			api.ops |= BIT_ULL(code);
	return remotevm_copy_out(uarg, usize, &api, sizeof(api));
}

/*
 * The process (thread group) a /proc/<pid>/mem or /proc/<pid>/task/<tid>/mem
 * file was opened for: its directory is named after the pid in the pid
 * namespace of that procfs. NULL if it is gone.
 */
static struct pid *remotevm_mem_file_process(struct file *mem)
{
	struct dentry *dir = dget_parent(mem->f_path.dentry);
	struct name_snapshot name;
	struct task_struct *task;
	struct pid *tgid = NULL;
	int nr;

	take_dentry_name_snapshot(&name, dir);
	if (!kstrtoint(name.name.name, 10, &nr)) {
		rcu_read_lock();
		task = pid_task(find_pid_ns(nr, proc_pid_ns(dir->d_sb)),
				PIDTYPE_PID);
		if (task)
			tgid = get_pid(task_tgid(task));
		rcu_read_unlock();
	}
	release_dentry_name_snapshot(&name);
	dput(dir);
	return tgid;
}

/*
 * The mm a writable mem file was opened on, mmgrab()ed, and the process it
 * was opened for (NULL if gone). -EBADF for any other file, -EINVAL for a
 * kernel thread's, which has no mm.
 */
static int remotevm_mem_file_open(int fd, struct mm_struct **mm,
				  struct pid **opened_for)
{
	struct file *mem = fget(fd);
	int ret = 0;

	if (!mem)
		return -EBADF;
	if (mem->f_op != proc_mem_fops || !(mem->f_mode & FMODE_WRITE))
		ret = -EBADF;
	else if (!mem->private_data)
		ret = -EINVAL;
	if (!ret) {
		*mm = mem->private_data;
		mmgrab(*mm);
		*opened_for = remotevm_mem_file_process(mem);
	}
	fput(mem);
	return ret;
}

/*
 * A handle names a process, never one of its threads (-EINVAL: the
 * process lives on when it exits) nor a kernel thread (-EINVAL: one that
 * shares the target's mm, a remotevm worker or a 6.1 vhost worker, has
 * root's credentials and limits).
 */
static int remotevm_process_valid(struct pid *pid)
{
	struct task_struct *task;
	int ret = 0;

	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_TGID);
	if (!task)
		ret = pid_task(pid, PIDTYPE_PID) ? -EINVAL : -ESRCH;
	else if (task->flags & PF_KTHREAD)
		ret = -EINVAL;
	rcu_read_unlock();
	return ret;
}

/*
 * The access rule. Opening /proc/<pid>/mem runs the kernel's own ptrace
 * attach check (mm_access() with PTRACE_MODE_ATTACH_FSCREDS: credentials,
 * dumpability, user namespaces, Yama, every LSM) against the opener and
 * binds the mm it checked to the file. Neither mm_access() nor
 * ptrace_may_access() is exported, so the open file is the proof: we take
 * its mm, never anything the file did not grant, for the process it was
 * opened for. This relies on procfs internals (the mem file's f_op, its
 * private_data being the mm, its directory named after the pid, as in 6.1
 * through 6.12); the selftests check them on every kernel.
 */
static int remotevm_ioctl_attach(struct remotevm_handle *handle,
				 void __user *uarg, size_t usize)
{
	struct mmu_notifier *notifier;
	struct remotevm_attach attach;
	struct pid *pid, *opened_for;
	struct task_struct *thread;
	struct mm_struct *mm;
	int ret;

	ret = remotevm_copy_in(&attach, sizeof(attach),
			       REMOTEVM_ATTACH_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	if ((attach.flags & ~REMOTEVM_ATTACH_RELEASE_ON_CLOSE) || !attach.pid ||
	    attach.pid > PID_MAX_LIMIT || attach.mem_fd < 0 ||
	    attach.poll_us > REMOTEVM_POLL_US_MAX || attach.pad)
		return -EINVAL;

	ret = remotevm_mem_file_open(attach.mem_fd, &mm, &opened_for);
	if (ret)
		return ret;
	ret = -ESRCH;
	pid = find_get_pid(attach.pid);
	if (!pid)
		goto out_mmdrop;
	ret = remotevm_process_valid(pid);
	if (ret)
		goto out_put_pid;
	/*
	 * The file was checked against another process's credentials, even
	 * if that one shares the mm (CLONE_VM).
	 */
	ret = -EACCES;
	if (opened_for != pid)
		goto out_put_pid;
	/* Gone (a zombie), or the file proves access to an image it no longer runs. */
	ret = remotevm_target_thread(pid, mm, &thread);
	if (ret)
		goto out_put_pid;
	put_task_struct(thread);
	ret = -ESRCH;
	if (!mmget_not_zero(mm))
		goto out_put_pid;

	ret = mutex_lock_killable(&handle->lock);
	if (ret)
		goto out_mmput;
	ret = -EBUSY;
	if (handle->pid)
		goto out_unlock;
	notifier = mmu_notifier_get(&remotevm_mm_ops, mm);
	ret = PTR_ERR(notifier);
	if (IS_ERR(notifier))
		goto out_unlock;
	ret = remotevm_worker_get(remotevm_record(notifier), pid_nr(pid));
	if (ret) {
		mmu_notifier_put(notifier);
		goto out_unlock;
	}
	handle->record = remotevm_record(notifier);
	handle->flags = attach.flags;
	handle->poll_us = attach.poll_us;
	mmgrab(mm);
	handle->mm = mm;
	handle->pid = get_pid(pid);
out_unlock:
	mutex_unlock(&handle->lock);
out_mmput:
	mmput(mm);
out_put_pid:
	put_pid(pid);
out_mmdrop:
	put_pid(opened_for);
	mmdrop(mm);
	return ret;
}

/* ALLOC, FREE, QUERY, PROTECT: one operation, its own struct. */
static int remotevm_ioctl_op(struct remotevm_handle *handle, u32 code,
			     unsigned int cmd, void __user *uarg, size_t usize)
{
	const struct remotevm_op_type *type = remotevm_op_type(code);
	struct remotevm_op op = { .code = code };
	struct remotevm_op_list list = { .ops = &op, .count = 1 };
	size_t size = type->size;
	int ret;

	ret = remotevm_copy_in(op.reserved, size, type->ver0, uarg, usize);
	if (ret)
		return ret;
	ret = remotevm_op_validate(&op);
	if (ret)
		return ret;
	ret = remotevm_submit_ops(handle, &list);
	if (ret || !(_IOC_DIR(cmd) & _IOC_READ))
		return ret;
	ret = remotevm_copy_out(uarg, usize, op.reserved, size);
	/* An allocation whose address the caller never learns is undone. */
	if (ret && code == REMOTEVM_OP_ALLOC && remotevm_alloc_is_new(&op.alloc)) {
		struct remotevm_op release = {
			.code = REMOTEVM_OP_FREE,
			.free = {
				.address = op.alloc.allocated_address,
				.free_type = REMOTEVM_MEM_RELEASE,
			},
		};

		list.ops = &release;
		list.completed = 0;
		remotevm_submit_ops(handle, &list);
	}
	return ret;
}

static int remotevm_ioctl_batch(struct remotevm_handle *handle,
				void __user *uarg, size_t usize)
{
	struct remotevm_op_list list = { 0 };
	struct remotevm_batch batch;
	u8 __user *uops;
	u32 i;
	int ret;

	ret = remotevm_copy_in(&batch, sizeof(batch), REMOTEVM_BATCH_SIZE_VER0,
			       uarg, usize);
	if (ret)
		return ret;
	if (batch.flags || !batch.count || batch.count > REMOTEVM_BATCH_MAX ||
	    !remotevm_stride_valid(batch.op_size, REMOTEVM_OP_SIZE_VER0))
		return -EINVAL;

	list.ops = kvcalloc(batch.count, sizeof(*list.ops), GFP_KERNEL);
	if (!list.ops)
		return -ENOMEM;
	list.count = batch.count;
	uops = u64_to_user_ptr(batch.ops);
	/* Every element is read once and checked before any of them runs. */
	for (i = 0; i < batch.count; i++) {
		ret = copy_struct_from_user(&list.ops[i], sizeof(list.ops[i]),
					    uops + (size_t)i * batch.op_size,
					    batch.op_size);
		if (!ret)
			ret = remotevm_op_validate(&list.ops[i]);
		if (ret)
			goto out;
	}

	ret = remotevm_submit_ops(handle, &list);
	batch.completed = list.completed;

	/*
	 * Results of the operations that ran, and of the one that failed;
	 * completed is written even if they cannot be, so that the caller
	 * still learns how far the batch went.
	 */
	for (i = 0; i < min(batch.completed + 1, batch.count); i++) {
		if (remotevm_copy_out(uops + (size_t)i * batch.op_size,
				      batch.op_size, &list.ops[i],
				      sizeof(list.ops[i]))) {
			ret = -EFAULT;
			break;
		}
	}
	if (remotevm_copy_out(uarg, usize, &batch, sizeof(batch)))
		ret = -EFAULT;
out:
	kvfree(list.ops);
	return ret;
}

static int remotevm_ioctl_regions(struct remotevm_handle *handle,
				  void __user *uarg, size_t usize)
{
	struct remotevm_region_list list = { 0 };
	struct remotevm_regions req;
	u8 __user *uregions;
	u32 i;
	int ret;

	ret = remotevm_copy_in(&req, sizeof(req), REMOTEVM_REGIONS_SIZE_VER0,
			       uarg, usize);
	if (ret)
		return ret;
	if (req.start >= req.end || !req.count ||
	    req.count > REMOTEVM_REGIONS_MAX ||
	    !remotevm_stride_valid(req.region_size, REMOTEVM_REGION_SIZE_VER0))
		return -EINVAL;

	list.start = req.start;
	list.end = req.end;
	list.count = req.count;
	list.regions = kvcalloc(req.count, sizeof(*list.regions), GFP_KERNEL);
	if (!list.regions)
		return -ENOMEM;
	ret = remotevm_submit(handle, remotevm_list_regions, &list);
	if (ret)
		goto out;

	uregions = u64_to_user_ptr(req.regions);
	for (i = 0; i < list.written; i++) {
		u8 __user *dst = uregions + (size_t)i * req.region_size;

		/* A newer caller's fields we do not know read as zero. */
		if (copy_to_user(dst, &list.regions[i], sizeof(list.regions[i])) ||
		    clear_user(dst + sizeof(list.regions[i]),
			       req.region_size - sizeof(list.regions[i]))) {
			ret = -EFAULT;
			goto out;
		}
	}
	req.count = list.written;
	req.next = list.start;
	ret = remotevm_copy_out(uarg, usize, &req, sizeof(req));
out:
	kvfree(list.regions);
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
		return remotevm_ioctl_op(handle, REMOTEVM_OP_ALLOC, cmd, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_FREE):
		return remotevm_ioctl_op(handle, REMOTEVM_OP_FREE, cmd, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_QUERY):
		return remotevm_ioctl_op(handle, REMOTEVM_OP_QUERY, cmd, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_PROTECT):
		return remotevm_ioctl_op(handle, REMOTEVM_OP_PROTECT, cmd, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_BATCH):
		return remotevm_ioctl_batch(handle, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_REGIONS):
		return remotevm_ioctl_regions(handle, uarg, usize);
	}
	return -ENOTTY;
}

static int remotevm_open(struct inode *inode, struct file *file)
{
	struct remotevm_handle *handle = kzalloc(sizeof(*handle), GFP_KERNEL_ACCOUNT);

	if (!handle)
		return -ENOMEM;
	if (!alloc_cpumask_var(&handle->poll_cpus, GFP_KERNEL_ACCOUNT)) {
		kfree(handle);
		return -ENOMEM;
	}
	mutex_init(&handle->lock);
	spin_lock_init(&handle->session_lock);
	handle->id = atomic64_inc_return(&remotevm_handle_ids);
	file->private_data = handle;
	return nonseekable_open(inode, file);
}

static int remotevm_release(struct inode *inode, struct file *file)
{
	struct remotevm_handle *handle = file->private_data;

	if (handle->pid) {
		/* A target that is gone has nothing left to release. */
		if (handle->flags & REMOTEVM_ATTACH_RELEASE_ON_CLOSE)
			remotevm_call(handle, remotevm_release_owned, NULL, true);
		remotevm_end_session(handle);
		remotevm_worker_put(handle->record);
		mmu_notifier_put(&handle->record->notifier);
		mmdrop(handle->mm);
		put_pid(handle->pid);
	}
	free_cpumask_var(handle->poll_cpus);
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

/*
 * The path is resolved in the loader's mount namespace: a chroot or a
 * container may have anything at /proc. Only procfs's own mem file may
 * teach us what a mem file is, or any file of that kind would pass as a
 * proof of access.
 */
static bool remotevm_is_proc_mem(struct file *file)
{
	struct dentry *dentry = file->f_path.dentry;

	return dentry->d_sb->s_magic == PROC_SUPER_MAGIC &&
	       !strcmp(dentry->d_name.name, "mem");
}

static int __init remotevm_init(void)
{
	struct file *mem = filp_open("/proc/self/mem", O_RDONLY, 0);

	if (IS_ERR(mem)) {
		pr_err("cannot open /proc/self/mem to learn its file_operations: %ld\n",
		       PTR_ERR(mem));
		return PTR_ERR(mem);
	}
	if (!remotevm_is_proc_mem(mem)) {
		pr_err("/proc/self/mem is not procfs's mem file: load with the real /proc mounted\n");
		filp_close(mem, NULL);
		return -ENODEV;
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

MODULE_DESCRIPTION("Reserve, commit, query and free memory in another process's address space");
MODULE_AUTHOR("remotevm developers");
MODULE_LICENSE("GPL");
