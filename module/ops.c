// SPDX-License-Identifier: GPL-2.0-only
/* What each operation is, its checks, and how a list of them is executed. */
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/overflow.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "remotevm.h"
#include "trace.h"

/*
 * Execute-only, as Windows means it: the pages stay readable. do_mmap()
 * gives exactly PROT_EXEC the mm's execute-only protection key on a CPU
 * with protection keys, which no thread of the target may read (their
 * PKRU denies it), and sets that up in the worker's own PKRU. PROT_SEM,
 * which x86 ignores, keeps the prot from being exactly PROT_EXEC.
 */
#define REMOTEVM_PROT_EXEC_ONLY	(PROT_EXEC | PROT_SEM)

/* PROT_* that maps pages with the access of @vm_flags again. */
unsigned long remotevm_access_prot(unsigned long vm_flags)
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
	}
	/*
	 * PAGE_WRITECOPY and PAGE_EXECUTE_WRITECOPY among them: copy-on-write
	 * needs a section, and Windows refuses them for private memory with
	 * ERROR_INVALID_PARAMETER, as it does any other invalid protection.
	 */
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
static int remotevm_alloc_validate(const struct remotevm_alloc *alloc,
				   unsigned long *prot)
{
	u32 type = alloc->allocation_type;
	bool placed = alloc->lowest || alloc->highest || alloc->alignment;
	int ret;

	if (type & ~(REMOTEVM_ALLOC_TYPES | REMOTEVM_RESET_TYPES |
		     REMOTEVM_ALLOC_TYPES_UNSUPPORTED))
		return -EINVAL;
	if (type & REMOTEVM_ALLOC_TYPES_UNSUPPORTED)
		return -EOPNOTSUPP;
	ret = remotevm_prot(alloc->page_protection, prot);
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

/*
 * An ALLOC resets pages of an allocation, commits pages inside one, or
 * makes a new one: MEM_COMMIT alone without an address reserves and
 * commits, as on Windows; with an address it commits inside a
 * reservation.
 */
static int remotevm_alloc_check(struct remotevm_checked_op *checked)
{
	const struct remotevm_alloc *alloc = &checked->op.alloc;
	u32 type = alloc->allocation_type;
	int ret = remotevm_alloc_validate(alloc, &checked->prot);

	if (ret)
		return ret;
	if (type & REMOTEVM_RESET_TYPES) {
		checked->execute = remotevm_reset;
	} else if (alloc->address && !(type & REMOTEVM_MEM_RESERVE)) {
		checked->execute = remotevm_commit;
	} else {
		checked->execute = remotevm_reserve;
		if (!(type & REMOTEVM_MEM_COMMIT))
			checked->prot = PROT_NONE;
	}
	return 0;
}

static int remotevm_free_check(struct remotevm_checked_op *checked)
{
	const struct remotevm_free *free = &checked->op.free;

	if (free->free_type & REMOTEVM_FREE_TYPES_UNSUPPORTED)
		return -EOPNOTSUPP;
	if (free->pad || !free->address ||
	    free->address + free->size < free->address)
		return -EINVAL;
	switch (free->free_type) {
	case REMOTEVM_MEM_DECOMMIT:
		checked->execute = remotevm_decommit;
		return 0;
	case REMOTEVM_MEM_RELEASE:
		checked->execute = remotevm_release;
		return free->size ? -EINVAL : 0;
	}
	return -EINVAL;
}

static int remotevm_query_check(struct remotevm_checked_op *checked)
{
	checked->execute = remotevm_do_query;
	return 0;
}

static int remotevm_protect_check(struct remotevm_checked_op *checked)
{
	const struct remotevm_protect *protect = &checked->op.protect;
	int ret;

	if (protect->flags & ~REMOTEVM_PROTECT_COPY || protect->pad)
		return -EINVAL;
	checked->execute = remotevm_do_protect;
	ret = remotevm_prot(protect->new_protection, &checked->prot);
	return ret ?: remotevm_range_validate(protect->address, protect->size);
}

const struct remotevm_op_type remotevm_op_types[] = {
	[REMOTEVM_OP_ALLOC] = {
		sizeof(struct remotevm_alloc), REMOTEVM_ALLOC_SIZE_VER0,
		remotevm_alloc_check, false,
	},
	[REMOTEVM_OP_FREE] = {
		sizeof(struct remotevm_free), REMOTEVM_FREE_SIZE_VER0,
		remotevm_free_check, false,
	},
	[REMOTEVM_OP_QUERY] = {
		sizeof(struct remotevm_query), REMOTEVM_QUERY_SIZE_VER0,
		remotevm_query_check, true,
	},
	[REMOTEVM_OP_PROTECT] = {
		sizeof(struct remotevm_protect), REMOTEVM_PROTECT_SIZE_VER0,
		remotevm_protect_check, false,
	},
};

const struct remotevm_op_type *remotevm_op_type(u32 code)
{
	if (code >= ARRAY_SIZE(remotevm_op_types) || !remotevm_op_types[code].check)
		return NULL;
	return &remotevm_op_types[code];
}

/* The one check of an op, in the caller; it also picks the executor. */
int remotevm_op_check(struct remotevm_checked_op *checked)
{
	const struct remotevm_op *op = &checked->op;
	const struct remotevm_op_type *type = remotevm_op_type(op->code);

	if (!type || op->flags || op->pad)
		return -EINVAL;
	/* Arguments of a newer version of this op, which we do not know. */
	if (memchr_inv((u8 *)op->reserved + type->size, 0,
		       sizeof(op->reserved) - type->size))
		return -E2BIG;
	return type->check(checked);
}

/*
 * A batch's consecutive ops that can share one vm_mmap() or vm_munmap().
 * Mapping or unmapping costs the same for one page as for many, and
 * allocations made one after another merge into one VMA, which each
 * release then splits: a run costs one mm operation, not N (or 2N).
 * The target ends up with what the ops one by one would have left it.
 * Each returns how many ops it completed; 0 leaves them to be executed
 * one by one, which then also tells which op fails and why.
 */

/* Whether @next is a new allocation like @first that the kernel places. */
static bool remotevm_reserve_alike(struct remotevm_context *ctx,
				   const struct remotevm_checked_op *first,
				   const struct remotevm_checked_op *next)
{
	const struct remotevm_alloc *a = &first->op.alloc, *b = &next->op.alloc;

	return next->execute == remotevm_reserve &&
	       remotevm_kernel_places(ctx, b) && b->size == a->size &&
	       b->allocation_type == a->allocation_type &&
	       b->page_protection == a->page_protection;
}

/*
 * Allocations alike that the kernel places: one mapping, handed out from
 * the top down, as consecutive top-down mmap()s would have placed them.
 */
static u32 remotevm_coalesce_reserves(struct remotevm_context *ctx,
				      struct remotevm_checked_op *ops, u32 n)
{
	const struct remotevm_alloc *first = &ops[0].op.alloc;
	bool commit = first->allocation_type & REMOTEVM_MEM_COMMIT;
	unsigned long len = PAGE_ALIGN(first->size), total, addr;
	u32 count = 0, i;

	while (count < n && remotevm_reserve_alike(ctx, &ops[0], &ops[count]))
		count++;
	if (count < 2 || check_mul_overflow(len, (unsigned long)count, &total) ||
	    total > ctx->task_size ||
	    remotevm_record_full(ctx->record, count))
		return 0;

	addr = remotevm_map(0, total, ops[0].prot, commit ? 0 : MAP_NORESERVE);
	if (IS_ERR_VALUE(addr))
		return 0;
	for (i = 0; i < count; i++) {
		struct remotevm_alloc *alloc = &ops[i].op.alloc;
		unsigned long start = addr + (count - 1 - i) * len;

		if (remotevm_record_add(ctx, start, len, first->page_protection,
					commit)) {
			/* What is left is below what was handed out. */
			vm_munmap(addr, start + len - addr);
			return i;
		}
		alloc->allocated_address = start;
		alloc->allocated_size = len;
		ops[i].op.error = 0;
	}
	return count;
}

/* Releases of whole allocations that lie back to back: one vm_munmap(). */
static u32 remotevm_coalesce_releases(struct remotevm_context *ctx,
				      struct remotevm_checked_op *ops, u32 n)
{
	unsigned long lo = 0, hi = 0;
	struct remotevm_allocation *a;
	u32 count, i;

	for (count = 0; count < n; count++) {
		const struct remotevm_free *free = &ops[count].op.free;

		if (ops[count].execute != remotevm_release)
			break;
		a = remotevm_allocation_at(ctx->record, free->address);
		if (!a || a->start != ALIGN_DOWN(free->address, PAGE_SIZE))
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
		a = mtree_load(&ctx->record->allocations, ops[i].op.free.address);
		remotevm_allocation_forget(ctx->record, a);
		ops[i].op.error = 0;
	}
	return count;
}

/* Ops are timed, and traced, only while one of their events is on. */
static bool remotevm_op_events_enabled(void)
{
	return trace_alloc_enabled() || trace_free_enabled() ||
	       trace_protect_enabled() || trace_reset_enabled();
}

static u64 remotevm_op_clock(bool timed)
{
	return timed ? ktime_get_ns() : 0;
}

/* Executes the ops in order; stops at the first failure. */
static int remotevm_execute_ops(struct remotevm_context *ctx, void *arg)
{
	struct remotevm_op_list *list = arg;
	bool timed = remotevm_op_events_enabled();

	while (list->completed < list->count) {
		struct remotevm_checked_op *checked = &list->ops[list->completed];
		u32 left = list->count - list->completed;
		u64 start = remotevm_op_clock(timed), share;
		u32 done = 0, i;
		int clobbered;

		/* A run shares an mm operation between two ops or more. */
		if (left >= 2)
			done = remotevm_coalesce_reserves(ctx, checked, left) ?:
			       remotevm_coalesce_releases(ctx, checked, left);
		clobbered = remotevm_take_clobbered(ctx);

		if (done) {
			/* The ops of a run share its time. */
			share = div_u64(remotevm_op_clock(timed) - start, done);
			for (i = 0; i < done; i++)
				checked[i].ns = share;
			list->completed += done;
			if (!clobbered)
				continue;
			/* The run is done; its last op says what it met. */
			list->completed--;
			list->ops[list->completed].op.error = clobbered;
			return clobbered;
		}
		checked->op.error = checked->execute(ctx, checked) ?:
				    remotevm_take_clobbered(ctx);
		checked->ns = remotevm_op_clock(timed) - start;
		if (checked->op.error)
			return checked->op.error;
		list->completed++;
	}
	return 0;
}

static bool remotevm_ops_read_only(const struct remotevm_op_list *list)
{
	u32 i;

	for (i = 0; i < list->count; i++)
		if (!remotevm_op_type(list->ops[i].op.code)->reads_only)
			return false;
	return true;
}

static void remotevm_trace_op(pid_t tgid, const struct remotevm_checked_op *checked)
{
	const struct remotevm_op *op = &checked->op;

	switch (op->code) {
	case REMOTEVM_OP_ALLOC:
		if (checked->execute == remotevm_reset)
			trace_reset(tgid, op->alloc.address, op->alloc.size,
				    op->alloc.allocation_type,
				    op->alloc.page_protection, op->error,
				    checked->ns);
		else if (op->error)
			trace_alloc(tgid, op->alloc.address, op->alloc.size,
				    op->alloc.allocation_type,
				    op->alloc.page_protection, op->error,
				    checked->ns);
		else
			trace_alloc(tgid, op->alloc.allocated_address,
				    op->alloc.allocated_size,
				    op->alloc.allocation_type,
				    op->alloc.page_protection, 0, checked->ns);
		break;
	case REMOTEVM_OP_FREE:
		trace_free(tgid, op->free.address, op->free.size,
			   op->free.free_type, 0, op->error, checked->ns);
		break;
	case REMOTEVM_OP_PROTECT:
		trace_protect(tgid, op->protect.address, op->protect.size, 0,
			      op->protect.new_protection, op->error,
			      checked->ns);
		break;
	}
}

int remotevm_submit_ops(struct remotevm_handle *handle,
			struct remotevm_op_list *list)
{
	int ret = remotevm_submit(handle, remotevm_execute_ops, list,
				  remotevm_ops_read_only(list));
	u32 i;

	/* Also a failure to reach the target at all (-ESRCH). */
	if (ret && list->completed < list->count)
		list->ops[list->completed].op.error = ret;
	/* In the caller's context, which is what a tracer wants to see. */
	if (remotevm_op_events_enabled())
		for (i = 0; i < min(list->completed + 1, list->count); i++)
			remotevm_trace_op(pid_nr(handle->pid), &list->ops[i]);
	return ret;
}
