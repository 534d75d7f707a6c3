/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * remotevm: reserve and commit memory inside another process, the Linux
 * counterpart of VirtualAllocEx / IJsDebugDataTarget::AllocateVirtualMemory.
 *
 * An open file of /dev/remotevm is a handle. REMOTEVM_IOC_ATTACH binds it,
 * once, to a target process; every later operation on the handle acts on
 * that process's address space until the process exits or execs, after
 * which operations fail with ESRCH.
 *
 * Every ioctl argument is an extensible struct: the struct size is encoded
 * in the ioctl number, an older (smaller) struct is zero-extended, a newer
 * (larger) one is accepted only if the bytes this module does not know are
 * zero (else E2BIG), and anything below the first published size is EINVAL.
 * Reserved fields and unknown flags must be zero (else EINVAL).
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
#define REMOTEVM_MEM_COMMIT		0x00001000
#define REMOTEVM_MEM_RESERVE		0x00002000
#define REMOTEVM_MEM_RESET		0x00080000
#define REMOTEVM_MEM_TOP_DOWN		0x00100000
#define REMOTEVM_MEM_WRITE_WATCH	0x00200000
#define REMOTEVM_MEM_PHYSICAL		0x00400000
#define REMOTEVM_MEM_RESET_UNDO		0x01000000
#define REMOTEVM_MEM_LARGE_PAGES	0x20000000

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

/* REMOTEVM_IOC_ATTACH: bind this handle to a target process. */
struct remotevm_attach {
	__u32 pid;	/* target, as seen in the caller's pid namespace */
	__s32 mem_fd;	/* /proc/<pid>/mem opened O_RDWR by the caller */
	__u64 flags;	/* 0 */
};

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
 * two, at least a page; 0 means a page). Unlike Windows, a module-chosen
 * address is only page aligned unless an alignment is asked for.
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

#define REMOTEVM_OP_ALLOC	1

/* One element of REMOTEVM_IOC_BATCH. */
struct remotevm_op {
	__u32 code;		/* in: REMOTEVM_OP_* */
	__s32 error;		/* out: 0, or the -errno of this operation */
	__u32 flags;		/* in: 0 */
	__u32 pad;		/* in: 0 */
	union {
		struct remotevm_alloc alloc;
		__u64 reserved[16];	/* room for later operations */
	};
};

/*
 * REMOTEVM_IOC_BATCH: run count operations, in order, under one hand-off
 * to the handle's worker. Execution stops at the first failing operation:
 * its error field gets the errno, the ioctl fails with the same errno, and
 * completed says how many operations before it succeeded (they stay done).
 * Operations after it are not run and their error field is not written.
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

#define REMOTEVM_IOC_MAGIC	0xBA
#define REMOTEVM_IOC_API	_IOWR(REMOTEVM_IOC_MAGIC, 0x00, struct remotevm_api)
#define REMOTEVM_IOC_ATTACH	_IOW(REMOTEVM_IOC_MAGIC, 0x01, struct remotevm_attach)
#define REMOTEVM_IOC_ALLOC	_IOWR(REMOTEVM_IOC_MAGIC, 0x02, struct remotevm_alloc)
#define REMOTEVM_IOC_BATCH	_IOWR(REMOTEVM_IOC_MAGIC, 0x03, struct remotevm_batch)

#endif /* _UAPI_LINUX_REMOTEVM_H */
