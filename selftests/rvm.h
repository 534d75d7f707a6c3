/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the remotevm selftest programs: the ioctls as calls
 * that return 0 or -errno (the /proc readers are in proc.h).
 */
#ifndef REMOTEVM_SELFTESTS_RVM_H
#define REMOTEVM_SELFTESTS_RVM_H

#include <stdint.h>
#include <sys/types.h>

#include <linux/remotevm.h>

#define PAGE		4096ULL
#define NOBODY		65534
#define POISON		0xccccccccccccccccULL
#define RW		REMOTEVM_PAGE_READWRITE
#define COMMIT		REMOTEVM_MEM_COMMIT
#define RESERVE		REMOTEVM_MEM_RESERVE
#define DECOMMIT	REMOTEVM_MEM_DECOMMIT
#define RELEASE		REMOTEVM_MEM_RELEASE

int rvm_open(void);

int rvm_attach_fd(int dev, pid_t pid, int mem_fd);

/*
 * Attaches with a mem fd the caller opens itself, with a polling worker if
 * poll_us; -1 with errno set.
 */
int rvm_attach_polling(int dev, pid_t pid, unsigned int poll_us);

int rvm_attach(int dev, pid_t pid);

/* VirtualAllocEx: 0 and *out, or -errno. */
int rvm_alloc(int dev, uint64_t addr, uint64_t size, uint32_t type,
		uint32_t prot, uint64_t *out);

/* Reserves exactly at addr, without the 64 KiB rounding of an address. */
int rvm_reserve_exactly(int dev, uint64_t addr, uint64_t size);

int rvm_alloc_full(int dev, struct remotevm_alloc *alloc);

int rvm_free(int dev, uint64_t addr, uint64_t size, uint32_t type);

int rvm_query(int dev, uint64_t addr, struct remotevm_region *region);

/* REMOTEVM_IOC_READ: 0 and *bytes_read, or -errno. */
int rvm_read(int dev, uint64_t addr, void *buf, uint64_t size,
	     uint64_t *bytes_read);

int rvm_protect(int dev, uint64_t addr, uint64_t size, uint32_t prot,
		  uint32_t flags, uint32_t *old);

struct remotevm_op alloc_op(uint64_t addr, uint64_t size, uint32_t type);

int rvm_batch(int dev, struct remotevm_op *ops, uint32_t count,
		uint32_t *completed);

struct remotevm_op release_op(uint64_t addr);

#endif
