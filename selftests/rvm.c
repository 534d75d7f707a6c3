// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the remotevm selftest programs (see rvm.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "proc.h"
#include "rvm.h"

int rvm_open(void)
{
	return open("/dev/remotevm", O_RDWR | O_CLOEXEC);
}

int rvm_attach_fd(int dev, pid_t pid, int mem_fd)
{
	struct remotevm_attach attach = { .pid = pid, .mem_fd = mem_fd };

	return ioctl(dev, REMOTEVM_IOC_ATTACH, &attach);
}

/*
 * Attaches with a mem fd the caller opens itself, with a polling worker if
 * poll_us; -1 with errno set.
 */
int rvm_attach_polling(int dev, pid_t pid, unsigned int poll_us)
{
	struct remotevm_attach attach = { .pid = pid, .poll_us = poll_us };
	int ret, saved;

	attach.mem_fd = proc_mem_open(pid, O_RDWR);
	if (attach.mem_fd < 0)
		return -1;
	ret = ioctl(dev, REMOTEVM_IOC_ATTACH, &attach);
	saved = errno;
	close(attach.mem_fd);
	errno = saved;
	return ret;
}

int rvm_attach(int dev, pid_t pid)
{
	return rvm_attach_polling(dev, pid, 0);
}

/* VirtualAllocEx: 0 and *out, or -errno. */
int rvm_alloc(int dev, uint64_t addr, uint64_t size, uint32_t type,
		uint32_t prot, uint64_t *out)
{
	struct remotevm_alloc alloc = {
		.address = addr,
		.size = size,
		.allocation_type = type,
		.page_protection = prot,
		.allocated_address = POISON,
		.allocated_size = POISON,
	};

	if (out)
		*out = 0;
	if (ioctl(dev, REMOTEVM_IOC_ALLOC, &alloc))
		return -errno;
	if (out)
		*out = alloc.allocated_address;
	return 0;
}

/* Reserves exactly at addr, without the 64 KiB rounding of an address. */
int rvm_reserve_exactly(int dev, uint64_t addr, uint64_t size)
{
	struct remotevm_alloc alloc = {
		.size = size,
		.allocation_type = REMOTEVM_MEM_RESERVE,
		.page_protection = REMOTEVM_PAGE_READWRITE,
		.lowest = addr,
		.highest = addr + size - 1,
		.alignment = PAGE,
	};

	if (ioctl(dev, REMOTEVM_IOC_ALLOC, &alloc))
		return -errno;
	return alloc.allocated_address == addr ? 0 : -EDOM;
}

int rvm_alloc_full(int dev, struct remotevm_alloc *alloc)
{
	alloc->allocated_address = POISON;
	alloc->allocated_size = POISON;
	return ioctl(dev, REMOTEVM_IOC_ALLOC, alloc) ? -errno : 0;
}

int rvm_free(int dev, uint64_t addr, uint64_t size, uint32_t type)
{
	struct remotevm_free free = {
		.address = addr, .size = size, .free_type = type,
	};

	return ioctl(dev, REMOTEVM_IOC_FREE, &free) ? -errno : 0;
}

int rvm_query(int dev, uint64_t addr, struct remotevm_region *region)
{
	struct remotevm_query query = { .address = addr };

	memset(&query.region, 0xcc, sizeof(query.region));
	if (ioctl(dev, REMOTEVM_IOC_QUERY, &query))
		return -errno;
	*region = query.region;
	return 0;
}

int rvm_read(int dev, uint64_t addr, void *buf, uint64_t size,
	     uint64_t *bytes_read)
{
	struct remotevm_read req = {
		.address = addr,
		.buffer = (uintptr_t)buf,
		.size = size,
		.bytes_read = POISON,
	};

	if (ioctl(dev, REMOTEVM_IOC_READ, &req))
		return -errno;
	*bytes_read = req.bytes_read;
	return 0;
}

int rvm_protect(int dev, uint64_t addr, uint64_t size, uint32_t prot,
		  uint32_t flags, uint32_t *old)
{
	struct remotevm_protect protect = {
		.address = addr, .size = size, .new_protection = prot,
		.flags = flags, .old_protection = 0xcccccccc,
	};

	if (ioctl(dev, REMOTEVM_IOC_PROTECT, &protect))
		return -errno;
	if (old)
		*old = protect.old_protection;
	return 0;
}

struct remotevm_op alloc_op(uint64_t addr, uint64_t size, uint32_t type)
{
	struct remotevm_op op = {
		.code = REMOTEVM_OP_ALLOC,
		.error = 0x7f7f7f7f,
		.alloc = {
			.address = addr,
			.size = size,
			.allocation_type = type,
			.page_protection = RW,
		},
	};
	return op;
}

int rvm_batch(int dev, struct remotevm_op *ops, uint32_t count,
		uint32_t *completed)
{
	struct remotevm_batch batch = {
		.ops = (uintptr_t)ops,
		.count = count,
		.op_size = sizeof(*ops),
		.completed = 0xdead,
	};
	int ret = ioctl(dev, REMOTEVM_IOC_BATCH, &batch) ? -errno : 0;

	*completed = batch.completed;
	return ret;
}

struct remotevm_op release_op(uint64_t addr)
{
	struct remotevm_op op = {
		.code = REMOTEVM_OP_FREE,
		.error = 0x7f7f7f7f,
		.free = { .address = addr, .free_type = RELEASE },
	};
	return op;
}
