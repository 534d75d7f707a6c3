/* SPDX-License-Identifier: GPL-2.0-only */
/* What the files of the remotevm module share: its objects and their calls. */
#ifndef REMOTEVM_H
#define REMOTEVM_H

#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/maple_tree.h>
#include <linux/mm_types.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/types.h>

#include <uapi/linux/remotevm.h>

/*
 * Lock order, outermost first:
 *   handle->lock			one ioctl or attach at a time per handle
 *     record->worker_lock		attach and close: the mm's worker
 *   signal->exec_update_lock (read)	the worker, for a request (no exec)
 *     record->lock			the worker, for a request; also ->release
 *       mmap_lock			vm_mmap(), vm_munmap(), the walks
 *         the record's maple tree locks	also the notifier, under mmap_lock
 * executing_lock and session_lock are innermost: nothing is taken under them.
 */

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
/* Per target mm: bounds the memory the allocation record can take. */
#define REMOTEVM_MAX_ALLOCATIONS	65536

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
/*
 * Lock order, in the worker and in remotevm_inspect() alike: the handle's
 * lock (held by the caller the worker serves), the target's
 * exec_update_lock (read), the record's lock, the target's mmap_lock, the
 * allocation tree's spinlock.
 */
struct remotevm_record {
	struct mmu_notifier notifier;
	struct mutex lock;		/* serialises operations on this mm */
	struct task_struct *busy_worker; /* the worker holding the lock */
	/* Where the worker unmapped a lost range: empty if it did not. */
	unsigned long clobbered_start, clobbered_end;
	/* How many times the worker unmapped allocation memory (see remotevm_map_over()). */
	unsigned long worker_unmaps;
	struct maple_tree allocations;	/* start..end-1 -> allocation */
	/*
	 * Which pages of the allocations are committed (the others are
	 * reserved): remotevm's own state, as VM_NORESERVE cannot tell, with
	 * vm.overcommit_memory=2 ignoring MAP_NORESERVE. Used under the
	 * lock only.
	 */
	struct maple_tree committed;	/* start..end-1 -> REMOTEVM_COMMITTED */
	unsigned int nr_allocations;	/* > 0: holds a reference on itself */
	/*
	 * Where the allocations have lain since the record was last empty:
	 * an unmap outside [lowest, highest) touches none of them, and the
	 * notifier can tell without a lock. 0, 0 while there are none.
	 */
	unsigned long lowest, highest;
	/*
	 * One worker per target mm, whatever the number of handles on it:
	 * a device user cannot turn file descriptors into kernel threads.
	 */
	struct mutex worker_lock;	/* worker and nr_handles */
	struct kthread_worker *worker;
	unsigned int nr_handles;
	spinlock_t executing_lock;	/* executing vs. remotevm_abort() */
	struct remotevm_request *executing; /* the request the worker executes */
	/* While a request executes: is the target leaving? */
	struct timer_list target_watch;
	struct pid *watched;
};

struct remotevm_handle {
	struct mutex lock;		/* attach vs. operations on this handle */
	u64 id;
	u64 flags;			/* REMOTEVM_ATTACH_* */
	struct pid *pid;		/* the thread group; NULL until attached */
	struct mm_struct *mm;		/* mmgrab()ed: the image we attached to */
	struct remotevm_record *record;
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
	struct remotevm_record *record;
	const struct cred *cred;
	const struct cred *saved_cred;
	struct mem_cgroup *memcg;
	struct mem_cgroup *saved_memcg;
	unsigned long task_size;	/* the target's, not the kthread's */
	unsigned long mmap_base;	/* top of the target's top-down area */
	unsigned long bottom_up_base;	/* legacy layout: where mmap() starts */
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

/* A piece of a REMOTEVM_IOC_READ: read under the locks into kernel memory. */
struct remotevm_read_chunk {
	unsigned long address;
	unsigned long len;
	void *buf;
	unsigned long done;	/* bytes read into @buf */
};

struct remotevm_region_list {
	unsigned long start, end;
	struct remotevm_region *regions;
	u32 count;
	u32 written;
};

/*
 * An op as the caller decoded and checked it, once: the worker executes
 * it without looking at its flags again.
 */
struct remotevm_checked_op {
	struct remotevm_op op;		/* as the caller gave it; results go here */
	int (*execute)(struct remotevm_context *ctx,
		       struct remotevm_checked_op *checked);
	unsigned long prot;		/* PROT_* to map with: ALLOC, PROTECT */
	u64 ns;				/* time spent executing it */
};

struct remotevm_op_list {
	struct remotevm_checked_op *ops;
	u32 count;
	u32 completed;
};

/*
 * What each operation is: the size of its arguments inside struct
 * remotevm_op as this module knows them and as first published, and how
 * the caller checks them and picks the executor. Adding an op is a row.
 */
struct remotevm_op_type {
	size_t size;
	size_t ver0;
	int (*check)(struct remotevm_checked_op *checked);
	bool reads_only;	/* served in the caller: remotevm_inspect() */
};

/* Indexed by REMOTEVM_OP_*: a code without a row is not an op. */
#define REMOTEVM_OP_CODES	(REMOTEVM_OP_PROTECT + 1)
extern const struct remotevm_op_type remotevm_op_types[REMOTEVM_OP_CODES];
extern const struct mmu_notifier_ops remotevm_record_ops;

/* record.c */
struct remotevm_record *remotevm_record_of(struct mmu_notifier *notifier);
void remotevm_set_committed(struct remotevm_record *record,
			    unsigned long start, unsigned long end,
			    bool committed);
bool remotevm_committed_at(struct remotevm_record *record,
			   unsigned long addr, unsigned long *state_end);
bool remotevm_all_committed(struct remotevm_record *record,
			    unsigned long start, unsigned long end);
void remotevm_allocation_forget(struct remotevm_record *record,
				struct remotevm_allocation *a);
struct remotevm_allocation *
remotevm_allocation_at(struct remotevm_record *record, unsigned long addr);
bool remotevm_record_full(const struct remotevm_record *record,
			  unsigned long count);
int remotevm_record_add(struct remotevm_context *ctx,
			unsigned long start, unsigned long len,
			u32 protection, bool committed);
int remotevm_pages_of_allocation(struct remotevm_context *ctx,
				 u64 address, u64 size,
				 unsigned long *start, unsigned long *end);

/* ops.c */
unsigned long remotevm_access_prot(unsigned long vm_flags);
const struct remotevm_op_type *remotevm_op_type(u32 code);
int remotevm_op_check(struct remotevm_checked_op *checked);
int remotevm_submit_ops(struct remotevm_handle *handle,
			struct remotevm_op_list *list);

/* vm.c */
unsigned long remotevm_map(unsigned long address, unsigned long len,
			   unsigned long prot, unsigned long flags);
bool remotevm_vma_is_private_anon(struct vm_area_struct *vma);
int remotevm_walk(struct mm_struct *mm, unsigned long start,
		  unsigned long end,
		  int (*fn)(struct vm_area_struct *vma, unsigned long start,
			    unsigned long end, void *arg),
		  void *arg);
unsigned long remotevm_kept_flags(struct vm_area_struct *vma);
int remotevm_check_ours(struct vm_area_struct *vma, unsigned long start,
			unsigned long end, void *arg);
bool remotevm_kernel_places(struct remotevm_context *ctx,
			    const struct remotevm_alloc *alloc);
void remotevm_spans_add(struct remotevm_spans *spans, unsigned long start,
			unsigned long end, unsigned long prot);
int remotevm_collect_spans(struct remotevm_context *ctx,
			   unsigned long start, unsigned long end,
			   int (*fn)(struct vm_area_struct *vma,
				     unsigned long start,
				     unsigned long end, void *arg),
			   struct remotevm_spans *spans);
int remotevm_take_clobbered(struct remotevm_context *ctx);
void remotevm_allocation_lose(struct remotevm_context *ctx,
			      unsigned long addr);
unsigned long remotevm_map_over(struct remotevm_context *ctx,
				unsigned long start, unsigned long len,
				unsigned long prot, unsigned long flags,
				bool *emptied);
int remotevm_refill(struct remotevm_context *ctx, unsigned long start,
		    unsigned long end, unsigned long prot,
		    unsigned long flags, bool emptied);
int remotevm_reserve(struct remotevm_context *ctx,
		     struct remotevm_checked_op *checked);
int remotevm_commit(struct remotevm_context *ctx,
		    struct remotevm_checked_op *checked);
int remotevm_reset(struct remotevm_context *ctx,
		   struct remotevm_checked_op *checked);
int remotevm_decommit(struct remotevm_context *ctx,
		      struct remotevm_checked_op *checked);
int remotevm_release(struct remotevm_context *ctx,
		     struct remotevm_checked_op *checked);
int remotevm_release_owned(struct remotevm_context *ctx, void *unused);
u32 remotevm_vma_protection(struct vm_area_struct *vma);
int remotevm_do_query(struct remotevm_context *ctx,
		      struct remotevm_checked_op *checked);
int remotevm_list_regions(struct remotevm_context *ctx, void *arg);
bool remotevm_page_readable(struct remotevm_context *ctx, unsigned long addr);

/* access.c */
int remotevm_access(struct remotevm_context *ctx, unsigned long addr,
		    void *buf, unsigned long len, bool write);
int remotevm_read_memory(struct remotevm_context *ctx, void *arg);

/* protect.c */
int remotevm_do_protect(struct remotevm_context *ctx,
			struct remotevm_checked_op *checked);

/* worker.c */
int remotevm_target_thread(struct pid *tgid, struct mm_struct *mm,
			   struct task_struct **thread);
int remotevm_call(struct remotevm_handle *handle,
		  int (*fn)(struct remotevm_context *ctx, void *arg),
		  void *arg, bool closing);
int remotevm_submit(struct remotevm_handle *handle,
		    int (*fn)(struct remotevm_context *ctx, void *arg),
		    void *arg, bool inspect);
void remotevm_end_session(struct remotevm_handle *handle);
void remotevm_watch_init(struct remotevm_record *record);
int remotevm_worker_get(struct remotevm_record *record, pid_t tgid);
void remotevm_worker_put(struct remotevm_record *record);

#endif /* REMOTEVM_H */
