// SPDX-License-Identifier: GPL-2.0
/*
 * The operations remotevm-fuzz sends: every ioctl, its fields from pools
 * of values that sit on the module's edges (page 0, the window the target
 * churns, the target's own pattern pages, allocations just made, the top
 * of the address space, kernel addresses), struct sizes from 0 to past a
 * page, strides, counts around their limits, reserved fields and flags,
 * and user pointers that are unmapped, read-only, misaligned, straddling
 * a page boundary or in kernel space. Each result is checked for what no
 * input may produce.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/remotevm.h>

#include "ops.h"
#include <fcntl.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KERNEL_ADDRESS	0xffff888000000000ULL
#define TOP_PAGE	0x7ffffffff000ULL

const char *const op_names[OP_KINDS] = {
	"alloc", "free", "query", "protect", "regions", "batch", "read",
	"api", "attach", "garbage",
};

struct fuzz_shared fz;

/* Allocations the module returned lately: the likeliest valid addresses. */
#define RECENT	64
static uint64_t recent[RECENT];

static void remember(uint64_t addr)
{
	static unsigned int next;

	__atomic_store_n(&recent[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % RECENT],
			 addr, __ATOMIC_RELAXED);
}

uint64_t pick_addr(struct rng *r)
{
	uint64_t window = __atomic_load_n(&fz.window, __ATOMIC_RELAXED);
	uint64_t pattern = __atomic_load_n(&fz.pattern, __ATOMIC_RELAXED);
	unsigned int what = (unsigned int)rng_below(r, 100);

	if (what < 30)
		return window + rng_below(r, WINDOW_PAGES) * PAGE;
	if (what < 50)
		return __atomic_load_n(&recent[rng_below(r, RECENT)], __ATOMIC_RELAXED);
	if (what < 55)
		return window + rng_below(r, WINDOW_PAGES * PAGE);
	if (what < 60)
		return pattern + rng_below(r, PATTERN_PAGES) * PAGE;
	if (what < 64)
		return rng_below(r, 0x20000);
	if (what < 68)
		return TOP_PAGE - rng_below(r, 16) * PAGE + rng_below(r, 2) * PAGE;
	if (what < 70)
		return KERNEL_ADDRESS + rng_below(r, 1 << 20) * PAGE;
	if (what < 75)
		return rng_below(r, 1ULL << 47) & ~(PAGE - 1);
	if (what < 77)
		return rng_next(r);
	return 0;
}

uint64_t pick_size(struct rng *r)
{
	unsigned int what = (unsigned int)rng_below(r, 100);

	if (what < 5)
		return 0;
	if (what < 65)
		return (1 + rng_below(r, 16)) * PAGE;
	if (what < 75)
		return 1 + rng_below(r, 4 * PAGE);
	if (what < 80)
		return 16 * PAGE;
	if (what < 85)
		return 256 * PAGE;
	if (what < 88)
		return 1024 * PAGE;
	if (what < 92)
		return 1ULL << (20 + rng_below(r, 28));
	if (what < 95)
		return ~0ULL - rng_below(r, PAGE);
	return rng_next(r);
}

static const uint32_t protections[] = {
	REMOTEVM_PAGE_NOACCESS, REMOTEVM_PAGE_READONLY, REMOTEVM_PAGE_READWRITE,
	REMOTEVM_PAGE_WRITECOPY, REMOTEVM_PAGE_EXECUTE, REMOTEVM_PAGE_EXECUTE_READ,
	REMOTEVM_PAGE_EXECUTE_READWRITE, REMOTEVM_PAGE_EXECUTE_WRITECOPY,
	REMOTEVM_PAGE_READWRITE | REMOTEVM_PAGE_GUARD,
	REMOTEVM_PAGE_READONLY | REMOTEVM_PAGE_NOCACHE,
	REMOTEVM_PAGE_READWRITE | REMOTEVM_PAGE_WRITECOMBINE,
	REMOTEVM_PAGE_READONLY | REMOTEVM_PAGE_READWRITE, 0,
};

static uint32_t pick_protection(struct rng *r)
{
	if (rng_chance(r, 3))
		return (uint32_t)rng_next(r);
	if (rng_chance(r, 60))
		return REMOTEVM_PAGE_READWRITE;
	return protections[rng_below(r, ARRAY_SIZE(protections))];
}

static const uint32_t alloc_extras[] = {
	REMOTEVM_MEM_TOP_DOWN, REMOTEVM_MEM_RESET, REMOTEVM_MEM_RESET_UNDO,
	REMOTEVM_MEM_WRITE_WATCH, REMOTEVM_MEM_PHYSICAL, REMOTEVM_MEM_LARGE_PAGES,
	REMOTEVM_MEM_COALESCE_PLACEHOLDERS, REMOTEVM_MEM_PRESERVE_PLACEHOLDER,
	REMOTEVM_MEM_DECOMMIT, REMOTEVM_MEM_RELEASE, 0x80000000u,
};

static uint32_t pick_alloc_type(struct rng *r)
{
	static const uint32_t base[] = {
		REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE, REMOTEVM_MEM_RESERVE,
		REMOTEVM_MEM_COMMIT, REMOTEVM_MEM_RESET, REMOTEVM_MEM_RESET_UNDO, 0,
	};
	uint32_t type;

	if (rng_chance(r, 3))
		return (uint32_t)rng_next(r);
	type = base[rng_below(r, rng_chance(r, 80) ? 3 : ARRAY_SIZE(base))];
	if (rng_chance(r, 15))
		type |= alloc_extras[rng_below(r, ARRAY_SIZE(alloc_extras))];
	return type;
}

static void fill_alloc(struct rng *r, struct remotevm_alloc *a)
{
	a->address = rng_chance(r, 40) ? 0 : pick_addr(r);
	a->size = pick_size(r);
	a->allocation_type = pick_alloc_type(r);
	a->page_protection = pick_protection(r);
	if (rng_chance(r, 10)) {
		a->lowest = pick_addr(r);
		a->highest = rng_chance(r, 50) ? a->lowest + pick_size(r) : pick_addr(r);
		a->alignment = rng_chance(r, 50) ? 1ULL << rng_below(r, 40) :
						   rng_below(r, 1 << 20);
	}
}

static void fill_free(struct rng *r, struct remotevm_free *f)
{
	static const uint32_t types[] = {
		REMOTEVM_MEM_RELEASE, REMOTEVM_MEM_DECOMMIT,
		REMOTEVM_MEM_RELEASE | REMOTEVM_MEM_DECOMMIT,
		REMOTEVM_MEM_RELEASE | REMOTEVM_MEM_PRESERVE_PLACEHOLDER,
		REMOTEVM_MEM_RELEASE | REMOTEVM_MEM_COALESCE_PLACEHOLDERS, 0,
	};

	f->address = pick_addr(r);
	f->size = rng_chance(r, 50) ? 0 : pick_size(r);
	f->free_type = rng_chance(r, 3) ? (uint32_t)rng_next(r) :
		       types[rng_below(r, rng_chance(r, 80) ? 2 : ARRAY_SIZE(types))];
}

static void fill_protect(struct rng *r, struct remotevm_protect *p)
{
	p->address = pick_addr(r);
	p->size = pick_size(r);
	if (p->size > 1024 * PAGE && rng_chance(r, 90))
		p->size = PAGE;
	p->new_protection = pick_protection(r);
	p->flags = rng_chance(r, 3) ? (uint32_t)rng_next(r) :
		   rng_chance(r, 30) ? REMOTEVM_PROTECT_COPY : 0;
}

/* A struct size for the ioctl number: mostly right, sometimes anything. */
static size_t pick_struct_size(struct rng *r, size_t size, size_t ver0)
{
	static const size_t edges[] = { 0, 8, 4095, 4096, 4104, 16383 };

	if (!rng_chance(r, 10))
		return size;
	switch (rng_below(r, 5)) {
	case 0:
		return ver0 - 8;
	case 1:
		return ver0;
	case 2:
		return size + 8 * (1 + rng_below(r, 4));
	case 3:
		return edges[rng_below(r, ARRAY_SIZE(edges))];
	}
	return rng_below(r, 1 << 14);
}

/*
 * A user pointer to @len bytes holding @src: mostly a good buffer, else
 * one that is unmapped, read-only, NULL, misaligned, straddling into an
 * unmapped page, or in the kernel. *@good says whether it is a good one.
 */
static void *place(struct rng *r, struct fuzz_thread *ft, const void *src,
		   size_t len, bool *good)
{
	unsigned int what = (unsigned int)rng_below(r, 100);

	*good = false;
	if (what < 94) {
		char *p = ft->buf + (what < 90 ? 0 : 1 + rng_below(r, 7));

		memcpy(p, src, len);
		*good = true;
		return p;
	}
	switch (what % 5) {
	case 0:
		return NULL;
	case 1:
		return fz.unmapped;
	case 2:	/* readable, so copy-in works and copy-out does not */
		return fz.readonly;
	case 3: {	/* the struct's tail runs into an unmapped page */
		size_t in = len > 1 ? 1 + rng_below(r, (len < PAGE ? len : PAGE) - 1) : 0;
		char *p = fz.straddle + PAGE - in;

		memcpy(p, src, in);
		return p;
	}
	}
	return (void *)(uintptr_t)(KERNEL_ADDRESS + rng_below(r, PAGE));
}

/* The allocation must not be anything but the module's to hand out. */
static void check_allocation(struct fuzz_thread *ft, const struct remotevm_alloc *a)
{
	uint64_t pattern = __atomic_load_n(&fz.pattern, __ATOMIC_RELAXED);

	if (!a->allocated_size || a->allocated_address % PAGE ||
	    a->allocated_size % PAGE)
		fuzz_fail(ft, "alloc returned %#llx+%#llx", (unsigned long long)a->allocated_address,
			  (unsigned long long)a->allocated_size);
	if (a->allocated_address < pattern + PATTERN_PAGES * PAGE &&
	    pattern < a->allocated_address + a->allocated_size)
		fuzz_fail(ft, "alloc handed out the target's own pages at %#llx",
			  (unsigned long long)a->allocated_address);
	if (a->allocated_address < 0x10000)
		fuzz_fail(ft, "alloc handed out %#llx, below 64 KiB",
			  (unsigned long long)a->allocated_address);
	remember(a->allocated_address);
}

static long do_ioctl(int fd, unsigned int dir, unsigned int nr, size_t size, void *arg)
{
	return ioctl(fd, _IOC(dir, REMOTEVM_IOC_MAGIC, nr, size), arg) ? -errno : 0;
}

#define IOC_NR(cmd)	_IOC_NR(cmd)
#define RW		(_IOC_READ | _IOC_WRITE)

/* One struct ioctl of @kind, struct @s of @size, first published at @ver0. */
static long struct_ioctl(struct rng *r, struct fuzz_thread *ft, int fd,
			 unsigned int dir, unsigned int cmd, void *s, size_t size,
			 size_t ver0, bool *good)
{
	size_t usize = pick_struct_size(r, size, ver0);
	char tail[PAGE + 64];
	void *arg;

	memset(tail, 0, sizeof(tail));
	memcpy(tail, s, size < sizeof(tail) ? size : sizeof(tail));
	if (usize > size && size < sizeof(tail) && rng_chance(r, 30))
		tail[size + rng_below(r, (usize < sizeof(tail) ? usize : sizeof(tail)) - size)] =
			(char)(1 + rng_below(r, 255));
	arg = place(r, ft, tail, usize < sizeof(tail) ? usize : sizeof(tail), good);
	*good = *good && usize == size;
	{
		long ret = do_ioctl(fd, dir, IOC_NR(cmd), usize, arg);

		if (*good && !ret)
			memcpy(s, arg, size);
		return ret;
	}
}

static long op_alloc(struct rng *r, struct fuzz_thread *ft, int fd)
{
	struct remotevm_alloc a = { 0 };
	bool good;
	long ret;

	fill_alloc(r, &a);
	ret = struct_ioctl(r, ft, fd, RW, REMOTEVM_IOC_ALLOC, &a, sizeof(a),
			   REMOTEVM_ALLOC_SIZE_VER0, &good);
	if (!ret && good)
		check_allocation(ft, &a);
	return ret;
}

static long op_free(struct rng *r, struct fuzz_thread *ft, int fd)
{
	struct remotevm_free f = { 0 };
	bool good;

	fill_free(r, &f);
	return struct_ioctl(r, ft, fd, _IOC_WRITE, REMOTEVM_IOC_FREE, &f,
			    sizeof(f), REMOTEVM_FREE_SIZE_VER0, &good);
}

static long op_query(struct rng *r, struct fuzz_thread *ft, int fd)
{
	struct remotevm_query q = { .address = pick_addr(r) };
	bool good;
	long ret;

	ret = struct_ioctl(r, ft, fd, RW, REMOTEVM_IOC_QUERY, &q, sizeof(q),
			   REMOTEVM_QUERY_SIZE_VER0, &good);
	if (!ret && good &&
	    (q.region.base_address != (q.address & ~(PAGE - 1)) ||
	     !q.region.region_size ||
	     (q.region.state != REMOTEVM_MEM_FREE &&
	      q.region.state != REMOTEVM_MEM_RESERVE &&
	      q.region.state != REMOTEVM_MEM_COMMIT)))
		fuzz_fail(ft, "query of %#llx: base %#llx size %#llx state %#x",
			  (unsigned long long)q.address,
			  (unsigned long long)q.region.base_address,
			  (unsigned long long)q.region.region_size, q.region.state);
	return ret;
}

static long op_protect(struct rng *r, struct fuzz_thread *ft, int fd)
{
	struct remotevm_protect p = { 0 };
	bool good;

	fill_protect(r, &p);
	return struct_ioctl(r, ft, fd, RW, REMOTEVM_IOC_PROTECT, &p, sizeof(p),
			    REMOTEVM_PROTECT_SIZE_VER0, &good);
}

static uint32_t pick_stride(struct rng *r, uint32_t size, uint32_t ver0)
{
	static const uint32_t odd[] = { 0, 4, 12, 4096, 4104 };

	if (rng_chance(r, 80))
		return size;
	if (rng_chance(r, 50))
		return rng_chance(r, 50) ? ver0 : size + 8;
	return rng_chance(r, 70) ? odd[rng_below(r, ARRAY_SIZE(odd))] :
				   (uint32_t)rng_below(r, 8192);
}

static uint32_t pick_count(struct rng *r, uint32_t max)
{
	if (rng_chance(r, 85))
		return 1 + (uint32_t)rng_below(r, 8);
	if (rng_chance(r, 50))
		return max - 1 + (uint32_t)rng_below(r, 3);
	return (uint32_t)rng_below(r, 3) ? (uint32_t)rng_below(r, max) : (uint32_t)rng_next(r);
}

/* An array of @bytes: the thread's own, or a bad pointer. */
static void *array_buffer(struct rng *r, struct fuzz_thread *ft, uint64_t bytes)
{
	if (bytes <= sizeof(ft->array) && !rng_chance(r, 5))
		return ft->array;
	switch (rng_below(r, 5)) {
	case 0:
		return NULL;
	case 1:
		return fz.unmapped;
	case 2:
		return fz.readonly;
	case 3:	/* the first half page is there, the rest is not */
		return fz.straddle + PAGE / 2;
	}
	return (void *)(uintptr_t)KERNEL_ADDRESS;
}

static long op_regions(struct rng *r, struct fuzz_thread *ft, int fd)
{
	struct remotevm_regions q = {
		.start = pick_addr(r),
		.count = pick_count(r, REMOTEVM_REGIONS_MAX),
		.region_size = pick_stride(r, sizeof(struct remotevm_region),
					   REMOTEVM_REGION_SIZE_VER0),
	};
	bool good;

	q.end = rng_chance(r, 70) ? q.start + pick_size(r) : pick_addr(r);
	q.regions = (uintptr_t)array_buffer(r, ft, (uint64_t)q.count * q.region_size);
	return struct_ioctl(r, ft, fd, RW, REMOTEVM_IOC_REGIONS, &q, sizeof(q),
			    REMOTEVM_REGIONS_SIZE_VER0, &good);
}

static void fill_op(struct rng *r, struct remotevm_op *op)
{
	memset(op, 0, sizeof(*op));
	op->code = rng_chance(r, 95) ? 1 + (uint32_t)rng_below(r, 4) :
				       (uint32_t)rng_below(r, 8);
	if (rng_chance(r, 2))
		op->flags = 1;
	if (rng_chance(r, 2))
		op->pad = 1;
	switch (op->code) {
	case REMOTEVM_OP_ALLOC:
		fill_alloc(r, &op->alloc);
		break;
	case REMOTEVM_OP_FREE:
		fill_free(r, &op->free);
		break;
	case REMOTEVM_OP_QUERY:
		op->query.address = pick_addr(r);
		break;
	case REMOTEVM_OP_PROTECT:
		fill_protect(r, &op->protect);
		break;
	}
	if (rng_chance(r, 2))
		op->reserved[15] = rng_next(r);
}

static long op_batch(struct rng *r, struct fuzz_thread *ft, int fd)
{
	struct remotevm_batch b = {
		.count = pick_count(r, REMOTEVM_BATCH_MAX),
		.op_size = pick_stride(r, sizeof(struct remotevm_op),
				       REMOTEVM_OP_SIZE_VER0),
		.flags = rng_chance(r, 2) ? 1 : 0,
	};
	uint64_t bytes = (uint64_t)b.count * b.op_size;
	char *ops = array_buffer(r, ft, bytes);
	bool good, ops_good = ops == ft->array;
	uint32_t i;
	long ret;

	if (ops_good) {
		memset(ops, 0, bytes);
		for (i = 0; i < b.count && b.op_size &&
			    (uint64_t)(i + 1) * b.op_size <= sizeof(ft->array); i++) {
			struct remotevm_op op;

			fill_op(r, &op);
			memcpy(ops + (uint64_t)i * b.op_size, &op,
			       b.op_size < sizeof(op) ? b.op_size : sizeof(op));
		}
	}
	b.ops = (uintptr_t)ops;
	ret = struct_ioctl(r, ft, fd, RW, REMOTEVM_IOC_BATCH, &b, sizeof(b),
			   REMOTEVM_BATCH_SIZE_VER0, &good);
	if (ops_good && good && b.op_size >= sizeof(struct remotevm_op)) {
		for (i = 0; i < b.completed && i < b.count; i++) {
			struct remotevm_op op;

			memcpy(&op, ops + (uint64_t)i * b.op_size, sizeof(op));
			if (op.code == REMOTEVM_OP_ALLOC)
				check_allocation(ft, &op.alloc);
		}
	}
	return ret;
}

static long op_read(struct rng *r, struct fuzz_thread *ft, int fd)
{
	struct remotevm_read q = {
		.address = pick_addr(r),
		.size = pick_size(r),
		.flags = rng_chance(r, 2) ? rng_next(r) : 0,
	};
	bool good;

	q.buffer = (uintptr_t)array_buffer(r, ft, q.size);
	return struct_ioctl(r, ft, fd, RW, REMOTEVM_IOC_READ, &q, sizeof(q),
			    REMOTEVM_READ_SIZE_VER0, &good);
}

static long op_api(struct rng *r, struct fuzz_thread *ft, int fd)
{
	struct remotevm_api a = { .api = REMOTEVM_API };
	bool good;

	if (rng_chance(r, 30))
		a.api = (uint32_t)rng_below(r, 4);
	if (rng_chance(r, 10))
		a.features = rng_next(r);
	return struct_ioctl(r, ft, fd, RW, REMOTEVM_IOC_API, &a, sizeof(a),
			    REMOTEVM_API_SIZE_VER0, &good);
}

/* ATTACH again (EBUSY), or a fresh handle with some field wrong. */
static long op_attach(struct rng *r, struct fuzz_thread *ft, int fd)
{
	struct remotevm_attach a = {
		.pid = (uint32_t)__atomic_load_n(&fz.target, __ATOMIC_RELAXED),
		.mem_fd = fz.mem_fd,
	};
	bool good;
	long ret;
	int fresh = -1;

	switch (rng_below(r, 6)) {
	case 0:
		a.pid = (uint32_t)rng_below(r, 70000);
		break;
	case 1:
		a.mem_fd = (int32_t)rng_below(r, 64);
		break;
	case 2:
		a.flags = rng_next(r);
		break;
	case 3:
		a.poll_us = (uint32_t)rng_below(r, 20000);
		break;
	case 4:
		a.pad = 1;
		break;
	}
	if (rng_chance(r, 70)) {
		fresh = open("/dev/remotevm", O_RDWR | O_CLOEXEC);
		if (fresh < 0)
			return -errno;
		fd = fresh;
	}
	ret = struct_ioctl(r, ft, fd, _IOC_WRITE, REMOTEVM_IOC_ATTACH, &a,
			   sizeof(a), REMOTEVM_ATTACH_SIZE_VER0, &good);
	if (fresh >= 0)
		close(fresh);
	return ret;
}

/*
 * An ioctl number the module does not serve: one past its last, or one of
 * its own with another direction. (Its own numbers with any size are sent
 * by the ops above; with garbage contents they would write through the
 * garbage's pointers into this very process.)
 */
static long op_garbage(struct rng *r, struct fuzz_thread *ft, int fd)
{
	unsigned int nr = (unsigned int)rng_below(r, 0x40);
	unsigned int dir = (unsigned int)rng_below(r, 4);
	bool good;
	void *arg = place(r, ft, ft->array, (size_t)rng_below(r, PAGE), &good);

	if (nr <= _IOC_NR(REMOTEVM_IOC_READ) && dir == RW)
		dir = _IOC_NONE;
	return do_ioctl(fd, dir, nr, (size_t)rng_below(r, 1 << 14), arg);
}

static long (*const ops[OP_KINDS])(struct rng *r, struct fuzz_thread *ft, int fd) = {
	op_alloc, op_free, op_query, op_protect, op_regions, op_batch,
	op_read, op_api, op_attach, op_garbage,
};

/* Weights out of 100, in op_names order. */
static const unsigned int weights[OP_KINDS] = { 25, 15, 10, 10, 8, 12, 10, 3, 3, 4 };

enum op_kind pick_op(struct rng *r)
{
	unsigned int roll = (unsigned int)rng_below(r, 100), kind;

	for (kind = 0; kind < OP_KINDS - 1; kind++) {
		if (roll < weights[kind])
			break;
		roll -= weights[kind];
	}
	return (enum op_kind)kind;
}

/* What the module may answer, to anything: else the fuzzer reports it. */
static bool errno_expected(long err)
{
	switch (-err) {
	case EINVAL: case E2BIG: case EFAULT: case ENOMEM: case EADDRNOTAVAIL:
	case ESRCH: case EBUSY: case EAGAIN: case EINTR: case EOPNOTSUPP:
	case EEXIST: case EBADFD: case EACCES: case EPERM: case ENOTTY:
	case EIO: case EBADF: case ENODATA: case ESTALE: case ENODEV:
		return true;
	}
	return false;
}

long run_op(struct rng *r, struct fuzz_thread *ft, enum op_kind kind, int fd)
{
	long ret = ops[kind](r, ft, fd);

	__atomic_fetch_add(&fz.count[kind], 1, __ATOMIC_RELAXED);
	if (ret)
		__atomic_fetch_add(&fz.failed[kind], 1, __ATOMIC_RELAXED);
	if (ret && !errno_expected(ret))
		fuzz_fail(ft, "%s: unexpected errno %ld (%s)", op_names[kind],
			  -ret, strerror((int)-ret));
	return ret;
}
