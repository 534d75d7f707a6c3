/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * remotevm: reserve and commit memory inside another process, the Linux
 * counterpart of VirtualAllocEx / IJsDebugDataTarget::AllocateVirtualMemory.
 *
 * An open file of /dev/remotevm is a handle. REMOTEVM_IOC_ATTACH binds it,
 * once, to a target process (a thread group, never one of its threads);
 * every later operation on the handle acts on that process's address
 * space until the process exits or execs, after which operations fail
 * with ESRCH.
 *
 * Every ioctl argument is an extensible struct: the struct size is encoded
 * in the ioctl number, an older (smaller) struct is zero-extended, a newer
 * (larger) one is accepted only if the bytes this module does not know are
 * zero (else E2BIG), and anything below the first published size is EINVAL.
 * Reserved fields and unknown flags must be zero (else EINVAL).
 * Each struct's first published size is its *_SIZE_VER0 below.
 */
#ifndef _UAPI_LINUX_REMOTEVM_H
#define _UAPI_LINUX_REMOTEVM_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define REMOTEVM_API 1

/*
 * Allocation types, with the values of the Win32 MEM_* constants so that
 * callers of the COM interface can pass theirs through unchanged.
 */
#define REMOTEVM_MEM_COALESCE_PLACEHOLDERS 0x00000001
#define REMOTEVM_MEM_PRESERVE_PLACEHOLDER 0x00000002
#define REMOTEVM_MEM_COMMIT		0x00001000
#define REMOTEVM_MEM_RESERVE		0x00002000
#define REMOTEVM_MEM_DECOMMIT		0x00004000
#define REMOTEVM_MEM_RELEASE		0x00008000
#define REMOTEVM_MEM_RESET		0x00080000
#define REMOTEVM_MEM_TOP_DOWN		0x00100000
#define REMOTEVM_MEM_WRITE_WATCH	0x00200000
#define REMOTEVM_MEM_PHYSICAL		0x00400000
#define REMOTEVM_MEM_RESET_UNDO		0x01000000
#define REMOTEVM_MEM_LARGE_PAGES	0x20000000

/* Region states and types (MEMORY_BASIC_INFORMATION.State and .Type). */
#define REMOTEVM_MEM_FREE		0x00010000	/* and MEM_COMMIT, MEM_RESERVE */
#define REMOTEVM_MEM_PRIVATE		0x00020000
#define REMOTEVM_MEM_MAPPED		0x00040000
#define REMOTEVM_MEM_IMAGE		0x01000000

/* Page protections, with the values of the Win32 PAGE_* constants. */
#define REMOTEVM_PAGE_NOACCESS		0x001
#define REMOTEVM_PAGE_READONLY		0x002
#define REMOTEVM_PAGE_READWRITE		0x004
#define REMOTEVM_PAGE_WRITECOPY		0x008
#define REMOTEVM_PAGE_EXECUTE		0x010
#define REMOTEVM_PAGE_EXECUTE_READ	0x020
#define REMOTEVM_PAGE_EXECUTE_READWRITE	0x040
#define REMOTEVM_PAGE_EXECUTE_WRITECOPY	0x080
#define REMOTEVM_PAGE_GUARD		0x100
#define REMOTEVM_PAGE_NOCACHE		0x200
#define REMOTEVM_PAGE_WRITECOMBINE	0x400

/* A reservation at a given address starts at it rounded down to this. */
#define REMOTEVM_ALLOCATION_GRANULARITY	0x10000

/* REMOTEVM_IOC_API: handshake. */
struct remotevm_api {
	__u32 api;		/* in: REMOTEVM_API; out: REMOTEVM_API */
	__u32 pad;		/* in: 0 */
	__u64 features;		/* in: 0; out: REMOTEVM_FEATURE_* supported */
	__u64 ops;		/* out: (1 << REMOTEVM_OP_*) for each supported op */
};

#define REMOTEVM_FEATURE_BATCH		_BITULL(0)
#define REMOTEVM_FEATURE_PLACEMENT	_BITULL(1)	/* lowest/highest/alignment */
#define REMOTEVM_FEATURE_RELEASE_ON_CLOSE _BITULL(2)
#define REMOTEVM_FEATURE_REGIONS	_BITULL(3)	/* REMOTEVM_IOC_REGIONS */
#define REMOTEVM_FEATURE_PROTECT_COPY	_BITULL(4)
#define REMOTEVM_FEATURE_POLL		_BITULL(5)	/* remotevm_attach.poll_us */
#define REMOTEVM_FEATURE_READ		_BITULL(6)	/* REMOTEVM_IOC_READ */
/* Win32 rules: module-chosen bases 64 KiB aligned, free within a base page. */
#define REMOTEVM_FEATURE_WIN32_RULES	_BITULL(7)

/* REMOTEVM_IOC_ATTACH: bind this handle to a target process. */
struct remotevm_attach {
	__u32 pid;	/* target process (not a thread id), in the caller's pid namespace */
	__s32 mem_fd;	/* /proc/<pid>/mem opened O_RDWR by the caller */
	__u64 flags;	/* REMOTEVM_ATTACH_* */
	/*
	 * 0: the handle's worker sleeps between requests and runs on the
	 * caller's CPU. Otherwise, while the target is not running, the worker
	 * runs on another CPU and, after each request, waits busy for up to
	 * poll_us microseconds for the next one, as the caller waits busy for
	 * its result: a request then costs no sleep, wake-up or mm switch, and
	 * an idle CPU the time spent spinning. At most REMOTEVM_POLL_US_MAX.
	 */
	__u32 poll_us;
	__u32 pad;	/* 0 */
};

#define REMOTEVM_POLL_US_MAX	10000

/*
 * Release everything this handle allocated when it is closed, so that a
 * tool that dies leaves nothing behind in the target. Off by default: as
 * on Windows, allocations outlive the handle.
 */
#define REMOTEVM_ATTACH_RELEASE_ON_CLOSE	_BITULL(0)

/*
 * REMOTEVM_IOC_ALLOC: VirtualAllocEx.
 *
 * address 0 lets the module choose; otherwise a reservation starts at
 * address rounded down to REMOTEVM_ALLOCATION_GRANULARITY and a commit at
 * address rounded down to a page, and both end at address + size rounded
 * up to a page. The requested range is used exactly or the call fails:
 * nothing already mapped in the target is ever replaced.
 *
 * lowest, highest and alignment restrict a module-chosen address (as
 * VirtualAlloc2's MEM_ADDRESS_REQUIREMENTS do): the whole allocation lies
 * within [lowest, highest], its base a multiple of alignment (a power of
 * two, at least a page). Alignment 0 means REMOTEVM_ALLOCATION_GRANULARITY,
 * as on Windows; a tool that wants allocations packed densely asks for a
 * page (it is also the fastest: the kernel's own search places them).
 *
 * MEM_RESET drops the contents of the committed pages of a range inside
 * one allocation, and leaves its reserved pages alone.
 */
struct remotevm_alloc {
	__u64 address;		/* in: 0 or the wanted address */
	__u64 size;		/* in: bytes, not 0 */
	__u32 allocation_type;	/* in: REMOTEVM_MEM_* */
	__u32 page_protection;	/* in: one REMOTEVM_PAGE_* base protection */
	__u64 lowest;		/* in: 0, or lowest acceptable address */
	__u64 highest;		/* in: 0, or highest acceptable address */
	__u64 alignment;	/* in: 0, or power of two >= page size */
	__u64 allocated_address; /* out: base of the range reserved/committed */
	__u64 allocated_size;	/* out: its size in bytes */
};

/*
 * REMOTEVM_IOC_FREE: VirtualFreeEx. MEM_DECOMMIT returns the pages of
 * [address, address + size) to reserved (contents discarded; size 0 with
 * the base of an allocation means all of it); MEM_RELEASE takes size 0 and
 * the base of an allocation made through remotevm, and unmaps all of it.
 * As on Windows, the base is any address in the allocation's first page.
 */
struct remotevm_free {
	__u64 address;
	__u64 size;
	__u32 free_type;	/* REMOTEVM_MEM_DECOMMIT or REMOTEVM_MEM_RELEASE */
	__u32 pad;
};

/* MEMORY_BASIC_INFORMATION, for any mapping of the target. */
struct remotevm_region {
	__u64 base_address;	/* the queried address, rounded down to a page */
	__u64 allocation_base;	/* 0 for a free region */
	__u64 region_size;	/* bytes from base_address with the same attributes */
	__u32 allocation_protect; /* REMOTEVM_PAGE_* the allocation was made with */
	__u32 state;		/* REMOTEVM_MEM_COMMIT, _RESERVE or _FREE */
	__u32 protect;		/* REMOTEVM_PAGE_* now; 0 if reserved */
	__u32 type;		/* REMOTEVM_MEM_PRIVATE, _MAPPED, _IMAGE; 0 if free */
};

/* REMOTEVM_IOC_QUERY: VirtualQueryEx of one address. */
struct remotevm_query {
	__u64 address;			/* in */
	struct remotevm_region region;	/* out */
};

/*
 * REMOTEVM_IOC_PROTECT: VirtualProtectEx on committed pages of a remotevm
 * allocation; returns the protection the first page had. Linux gives
 * modules no way to change the protection of pages in place, so pages are
 * mapped afresh: without REMOTEVM_PROTECT_COPY that is done only where the
 * pages hold no data yet (else EBUSY); with it, the contents are copied
 * over. Neither is atomic: the target must leave the range alone during
 * the call (a write it makes there meanwhile may be lost), as with a
 * debugger patching code.
 */
struct remotevm_protect {
	__u64 address;
	__u64 size;
	__u32 new_protection;	/* in: REMOTEVM_PAGE_* */
	__u32 flags;		/* in: REMOTEVM_PROTECT_* */
	__u32 old_protection;	/* out */
	__u32 pad;
};

#define REMOTEVM_PROTECT_COPY	0x1

/*
 * REMOTEVM_IOC_REGIONS: the regions of [start, end) in order, free ones
 * included, as REMOTEVM_IOC_QUERY describes them. Fills at most count
 * entries (of region_size bytes each) at regions; on return count is how
 * many were written and next where to continue (== end when done).
 */
struct remotevm_regions {
	__u64 start;
	__u64 end;
	__u64 regions;		/* pointer to struct remotevm_region[count] */
	__u32 count;		/* in: capacity, 1 .. REMOTEVM_REGIONS_MAX; out: written */
	__u32 region_size;	/* sizeof(struct remotevm_region) */
	__u64 next;		/* out */
};

#define REMOTEVM_REGIONS_MAX	4096

/*
 * REMOTEVM_IOC_READ: ReadProcessMemory. Copies size bytes from the
 * target's address into the caller's buffer, stopping at the first page
 * that REMOTEVM_IOC_QUERY would not call MEM_COMMIT and accessible (not
 * PAGE_NOACCESS); bytes_read says how far it got. Reads as a debugger
 * does, whatever the page's protection otherwise. EFAULT if not even the
 * first byte can be read; a size over MAX_RW_COUNT reads that much at most.
 */
struct remotevm_read {
	__u64 address;		/* in: where in the target */
	__u64 buffer;		/* in: pointer to the caller's buffer */
	__u64 size;		/* in: bytes, not 0 */
	__u64 flags;		/* in: 0 */
	__u64 bytes_read;	/* out */
};

#define REMOTEVM_OP_ALLOC	1
#define REMOTEVM_OP_FREE	2
#define REMOTEVM_OP_QUERY	3
#define REMOTEVM_OP_PROTECT	4

/* One element of REMOTEVM_IOC_BATCH. */
struct remotevm_op {
	__u32 code;		/* in: REMOTEVM_OP_* */
	__s32 error;		/* out: 0, or the -errno of this operation */
	__u32 flags;		/* in: 0 */
	__u32 pad;		/* in: 0 */
	union {
		struct remotevm_alloc alloc;
		struct remotevm_free free;
		struct remotevm_query query;
		struct remotevm_protect protect;
		__u64 reserved[16];	/* room for later operations */
	};
};

/*
 * REMOTEVM_IOC_BATCH: run count operations, in order, under one hand-off
 * to the handle's worker. Execution stops at the first failing operation:
 * its error field gets the errno, the ioctl fails with the same errno, and
 * completed says how many operations before it succeeded (they stay done).
 * Operations after it are not run and their error field is not written.
 * Alike allocations in a row, and releases of allocations that lie back to
 * back, may share one mapping or unmapping: the result is the same as one
 * by one (an allocation each, where top-down mmap()s would have put them),
 * only cheaper.
 * op_size is sizeof(struct remotevm_op) as the caller was built with; the
 * ops array is read with that stride, each element by the extensible-struct
 * rules above.
 */
struct remotevm_batch {
	__u64 ops;		/* in: pointer to struct remotevm_op[count] */
	__u32 count;		/* in: 1 .. REMOTEVM_BATCH_MAX */
	__u32 op_size;		/* in: sizeof(struct remotevm_op) */
	__u32 flags;		/* in: 0 */
	__u32 completed;	/* out: operations that succeeded */
};

#define REMOTEVM_BATCH_MAX	1024

/*
 * The size each struct had when first published: the least the module
 * accepts. A later version of a struct adds fields at its end, and its
 * size becomes *_SIZE_VER1 and so on; these never change.
 */
#define REMOTEVM_API_SIZE_VER0		24
#define REMOTEVM_ATTACH_SIZE_VER0	16	/* without poll_us */
#define REMOTEVM_ATTACH_SIZE_VER1	24	/* poll_us */
#define REMOTEVM_ALLOC_SIZE_VER0	64
#define REMOTEVM_FREE_SIZE_VER0		24
#define REMOTEVM_QUERY_SIZE_VER0	48
#define REMOTEVM_PROTECT_SIZE_VER0	32
#define REMOTEVM_REGION_SIZE_VER0	40
#define REMOTEVM_REGIONS_SIZE_VER0	40
#define REMOTEVM_OP_SIZE_VER0		144
#define REMOTEVM_BATCH_SIZE_VER0	24
#define REMOTEVM_READ_SIZE_VER0		40

#define REMOTEVM_IOC_MAGIC	0xBA
#define REMOTEVM_IOC_API	_IOWR(REMOTEVM_IOC_MAGIC, 0x00, struct remotevm_api)
#define REMOTEVM_IOC_ATTACH	_IOW(REMOTEVM_IOC_MAGIC, 0x01, struct remotevm_attach)
#define REMOTEVM_IOC_ALLOC	_IOWR(REMOTEVM_IOC_MAGIC, 0x02, struct remotevm_alloc)
#define REMOTEVM_IOC_BATCH	_IOWR(REMOTEVM_IOC_MAGIC, 0x03, struct remotevm_batch)
#define REMOTEVM_IOC_FREE	_IOW(REMOTEVM_IOC_MAGIC, 0x04, struct remotevm_free)
#define REMOTEVM_IOC_QUERY	_IOWR(REMOTEVM_IOC_MAGIC, 0x05, struct remotevm_query)
#define REMOTEVM_IOC_PROTECT	_IOWR(REMOTEVM_IOC_MAGIC, 0x06, struct remotevm_protect)
#define REMOTEVM_IOC_REGIONS	_IOWR(REMOTEVM_IOC_MAGIC, 0x07, struct remotevm_regions)
#define REMOTEVM_IOC_READ	_IOWR(REMOTEVM_IOC_MAGIC, 0x08, struct remotevm_read)

#endif /* _UAPI_LINUX_REMOTEVM_H */
