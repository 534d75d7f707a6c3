// SPDX-License-Identifier: GPL-2.0-only
/* What each operation is, its checks, and how a list of them is executed. */
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/overflow.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "remotevm.h"

#define REMOTEVM_PROT_EXEC_ONLY	(PROT_EXEC | PROT_SEM)

/* PROT_* that maps pages with the access of @vm_flags again. */
unsigned long remotevm_access_prot(unsigned long vm_flags)
{
	/* VM_READ, VM_WRITE and VM_EXEC are PROT_READ, PROT_WRITE and PROT_EXEC. */
	unsigned long prot = vm_flags & REMOTEVM_VM_ACCESS;

	return prot == PROT_EXEC ? REMOTEVM_PROT_EXEC_ONLY : prot;
}

/* PAGE_* base protection -> PROT_*, or -errno. Exactly one base bit. */
int remotevm_prot(u32 protection, unsigned long *prot)
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

const struct remotevm_op_type remotevm_op_types[] = {
	[REMOTEVM_OP_ALLOC] = {
		sizeof(struct remotevm_alloc), REMOTEVM_ALLOC_SIZE_VER0,
		remotevm_alloc_validate, remotevm_do_alloc,
	},
	[REMOTEVM_OP_FREE] = {
		sizeof(struct remotevm_free), REMOTEVM_FREE_SIZE_VER0,
		remotevm_free_validate, remotevm_do_free,
	},
	[REMOTEVM_OP_QUERY] = {
		sizeof(struct remotevm_query), REMOTEVM_QUERY_SIZE_VER0,
		NULL, remotevm_do_query,
	},
	[REMOTEVM_OP_PROTECT] = {
		sizeof(struct remotevm_protect), REMOTEVM_PROTECT_SIZE_VER0,
		remotevm_protect_validate, remotevm_do_protect,
	},
};

const struct remotevm_op_type *remotevm_op_type(u32 code)
{
	if (code >= ARRAY_SIZE(remotevm_op_types) || !remotevm_op_types[code].execute)
		return NULL;
	return &remotevm_op_types[code];
}

int remotevm_op_validate(const struct remotevm_op *op)
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
 * Each returns how many ops it completed; 0 leaves them to be executed
 * one by one, which then also tells which op fails and why.
 */

/*
 * Allocations alike that the kernel places: one mapping, handed out from
 * the top down, as consecutive top-down mmap()s would have placed them.
 */
static u32 remotevm_coalesce_reserves(struct remotevm_context *ctx,
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
static u32 remotevm_coalesce_releases(struct remotevm_context *ctx,
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
 * meanwhile (see remotevm_record_invalidate()): -ESTALE, and a
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

/* Executes the ops in order; stops at the first failure. */
static int remotevm_execute_ops(struct remotevm_context *ctx, void *arg)
{
	struct remotevm_op_list *list = arg;

	while (list->completed < list->count) {
		struct remotevm_op *op = &list->ops[list->completed];
		u32 left = list->count - list->completed;
		u32 done = 0;
		int clobbered;

		/* A run shares an mm operation between two ops or more. */
		if (left >= 2)
			done = remotevm_coalesce_reserves(ctx, op, left) ?:
			       remotevm_coalesce_releases(ctx, op, left);
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
		op->error = remotevm_op_type(op->code)->execute(ctx, op) ?:
			    remotevm_take_clobbered(ctx);
		if (op->error)
			return op->error;
		list->completed++;
	}
	return 0;
}

int remotevm_submit_ops(struct remotevm_handle *handle,
			struct remotevm_op_list *list)
{
	int ret = remotevm_submit(handle, remotevm_execute_ops, list);

	/* Also a failure to reach the target at all (-ESRCH). */
	if (ret && list->completed < list->count)
		list->ops[list->completed].error = ret;
	return ret;
}

