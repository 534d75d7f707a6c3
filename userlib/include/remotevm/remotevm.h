/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libremotevm: reserve, commit, query, protect and free memory inside
 * another process through /dev/remotevm, and read and write it.
 *
 * A struct remotevm is a handle on one target process. Every function
 * returns 0 (or a count) on success and a negative errno on failure, and
 * also sets errno. Calls on one handle may come from several threads.
 *
 * The library's ABI is its own, not the uapi's struct sizes: mandatory
 * arguments are scalars, optional ones sit in opts structs that carry
 * their size, and arrays of uapi structs come with the caller's element
 * size. A later libremotevm.so.1 thus never reads or writes past what an
 * older application allocated.
 */
#ifndef REMOTEVM_REMOTEVM_H
#define REMOTEVM_REMOTEVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/remotevm.h>
#include <remotevm/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct remotevm;

/*
 * Options structs: declare them with REMOTEVM_OPTS (<remotevm/common.h>),
 * which zeroes them and sets sz. Optional arguments live there so that a
 * later field never changes a function's signature.
 */
struct remotevm_open_opts {
	size_t sz;
	/* An open /proc/PID/mem (O_RDWR), e.g. from a privileged broker; the
	 * handle takes its own reference. 0 or negative: open it here, with
	 * the caller's credentials. */
	int mem_fd;
	/* Release everything this handle allocated when it is closed. */
	bool release_on_close;
	/* Microseconds the kernel worker waits busy for the next request on
	 * another CPU (remotevm_attach.poll_us); 0: it sleeps. */
	unsigned int poll_us;
	size_t :0;
};

/*
 * Where the module may place an allocation whose address it chooses (as
 * VirtualAlloc2's MEM_ADDRESS_REQUIREMENTS): all of it within [lowest,
 * highest] (0: no bound), its base a multiple of alignment (a power of
 * two, at least a page; 0: the allocation granularity, 64 KiB).
 */
struct remotevm_alloc_opts {
	size_t sz;
	uint64_t lowest;
	uint64_t highest;
	uint64_t alignment;
	size_t :0;
};

/* Attaches to process @pid; opts may be NULL. */
LIBREMOTEVM_API int remotevm__open(pid_t pid, const struct remotevm_open_opts *opts,
				struct remotevm **handle);
/* Closes the handle; NULL is a no-op. */
LIBREMOTEVM_API void remotevm__close(struct remotevm *handle);

LIBREMOTEVM_API pid_t remotevm__pid(const struct remotevm *handle);
/* The /dev/remotevm fd, for raw ioctls. */
LIBREMOTEVM_API int remotevm__fd(const struct remotevm *handle);

/*
 * VirtualAllocEx: allocation_type REMOTEVM_MEM_*, page_protection one
 * REMOTEVM_PAGE_*; address 0 lets the module choose, within opts (may be
 * NULL). Sets *allocated_address and *allocated_size to the range
 * reserved or committed; either pointer may be NULL.
 */
LIBREMOTEVM_API int remotevm__alloc(struct remotevm *handle, uint64_t address,
				 uint64_t size, uint32_t allocation_type,
				 uint32_t page_protection,
				 const struct remotevm_alloc_opts *opts,
				 uint64_t *allocated_address,
				 uint64_t *allocated_size);
/* VirtualFreeEx: REMOTEVM_MEM_DECOMMIT or REMOTEVM_MEM_RELEASE. */
LIBREMOTEVM_API int remotevm__free(struct remotevm *handle, uint64_t address,
				uint64_t size, uint32_t free_type);

/*
 * The calls below take the size of the caller's struct remotevm_region or
 * struct remotevm_op (sizeof, as the caller was built): every element is
 * read and written at that size, never at the library's. Fields the
 * caller's struct has past the library's are zero coming out; for
 * remotevm__batch(), whose ops go in, they must also be zero going in
 * (else E2BIG).
 */

/* VirtualQueryEx. */
LIBREMOTEVM_API int remotevm__query(struct remotevm *handle, uint64_t address,
				 struct remotevm_region *region,
				 size_t region_size);
/*
 * The regions of [start, end): fills up to *count entries and sets *count
 * to how many; *next is where to go on (== end when done), may be NULL.
 */
LIBREMOTEVM_API int remotevm__regions(struct remotevm *handle, uint64_t start,
				   uint64_t end, struct remotevm_region *regions,
				   size_t region_size, uint32_t *count,
				   uint64_t *next);
/* VirtualProtectEx; flags: REMOTEVM_PROTECT_*; old may be NULL. */
LIBREMOTEVM_API int remotevm__protect(struct remotevm *handle, uint64_t address,
				   uint64_t size, uint32_t new_protection,
				   uint32_t flags, uint32_t *old_protection);
/*
 * Several operations in one call; see REMOTEVM_IOC_BATCH. completed may
 * be NULL.
 */
LIBREMOTEVM_API int remotevm__batch(struct remotevm *handle,
				 struct remotevm_op *ops, uint32_t count,
				 size_t op_size, uint32_t *completed);

/*
 * Reads (REMOTEVM_IOC_READ, in one call) or writes (through the target's
 * /proc/PID/mem) the target's memory, up to the first page that is not
 * committed or is PAGE_NOACCESS: returns the number of bytes done (short
 * there), or a negative errno if none could be. Like WriteProcessMemory, a write also reaches read-only and
 * executable pages (copy-on-write, as ptrace pokes do).
 */
LIBREMOTEVM_API ssize_t remotevm__read(struct remotevm *handle, uint64_t address,
				    void *buf, size_t len);
LIBREMOTEVM_API ssize_t remotevm__write(struct remotevm *handle, uint64_t address,
				     const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* REMOTEVM_REMOTEVM_H */
