// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libremotevm: the plain C API over /dev/remotevm's ioctls, and memory
 * access through the target's /proc/PID/mem (the same proof of access).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "remotevm/remotevm.h"

struct remotevm {
	pid_t pid;
	int dev;	/* /dev/remotevm, attached */
	int mem;	/* the target's /proc/PID/mem, for read and write */
};

/* The library's error convention: -errno returned, errno set. */
static int fail(int err)
{
	errno = err;
	return -err;
}

static int result(int ret)
{
	return ret < 0 ? fail(errno) : 0;
}

/* A field of opts, or its default if the caller's struct predates it. */
#define OPT(opts, field, fallback)					\
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +	\
	 sizeof((opts)->field) ? (opts)->field : (fallback))

int remotevm__open(pid_t pid, const struct remotevm_open_opts *opts,
		   struct remotevm **out)
{
	struct remotevm_attach attach = { .pid = (__u32)pid };
	struct remotevm *handle;
	int mem_fd = OPT(opts, mem_fd, 0), err;
	char path[64];

	if (!out || pid <= 0 || (opts && opts->sz < sizeof(size_t)))
		return fail(EINVAL);
	handle = calloc(1, sizeof(*handle));
	if (!handle)
		return fail(ENOMEM);
	handle->pid = pid;
	handle->dev = handle->mem = -1;

	if (mem_fd > 0) {
		handle->mem = fcntl(mem_fd, F_DUPFD_CLOEXEC, 3);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		handle->mem = open(path, O_RDWR | O_CLOEXEC);
	}
	if (handle->mem < 0)
		goto fail;
	handle->dev = open("/dev/remotevm", O_RDWR | O_CLOEXEC);
	if (handle->dev < 0)
		goto fail;
	attach.mem_fd = handle->mem;
	attach.poll_us = OPT(opts, poll_us, 0);
	if (OPT(opts, release_on_close, false))
		attach.flags |= REMOTEVM_ATTACH_RELEASE_ON_CLOSE;
	if (ioctl(handle->dev, REMOTEVM_IOC_ATTACH, &attach))
		goto fail;
	*out = handle;
	return 0;
fail:
	err = errno;
	remotevm__close(handle);
	return fail(err);
}

void remotevm__close(struct remotevm *handle)
{
	if (!handle)
		return;
	if (handle->dev >= 0)
		close(handle->dev);
	if (handle->mem >= 0)
		close(handle->mem);
	free(handle);
}

pid_t remotevm__pid(const struct remotevm *handle)
{
	return handle ? handle->pid : fail(EINVAL);
}

int remotevm__fd(const struct remotevm *handle)
{
	return handle ? handle->dev : fail(EINVAL);
}

int remotevm__alloc(struct remotevm *handle, struct remotevm_alloc *alloc)
{
	if (!handle || !alloc)
		return fail(EINVAL);
	return result(ioctl(handle->dev, REMOTEVM_IOC_ALLOC, alloc));
}

int remotevm__free(struct remotevm *handle, uint64_t address, uint64_t size,
		   uint32_t free_type)
{
	struct remotevm_free free = {
		.address = address,
		.size = size,
		.free_type = free_type,
	};

	if (!handle)
		return fail(EINVAL);
	return result(ioctl(handle->dev, REMOTEVM_IOC_FREE, &free));
}

int remotevm__query(struct remotevm *handle, uint64_t address,
		    struct remotevm_region *region)
{
	struct remotevm_query query = { .address = address };

	if (!handle || !region)
		return fail(EINVAL);
	if (ioctl(handle->dev, REMOTEVM_IOC_QUERY, &query))
		return fail(errno);
	*region = query.region;
	return 0;
}

int remotevm__regions(struct remotevm *handle, uint64_t start, uint64_t end,
		      struct remotevm_region *regions, uint32_t *count,
		      uint64_t *next)
{
	struct remotevm_regions req = {
		.start = start,
		.end = end,
		.regions = (uintptr_t)regions,
		.region_size = sizeof(*regions),
	};

	if (!handle || !regions || !count)
		return fail(EINVAL);
	req.count = *count;
	if (ioctl(handle->dev, REMOTEVM_IOC_REGIONS, &req))
		return fail(errno);
	*count = req.count;
	if (next)
		*next = req.next;
	return 0;
}

int remotevm__protect(struct remotevm *handle, uint64_t address, uint64_t size,
		      uint32_t new_protection, uint32_t flags,
		      uint32_t *old_protection)
{
	struct remotevm_protect protect = {
		.address = address,
		.size = size,
		.new_protection = new_protection,
		.flags = flags,
	};

	if (!handle)
		return fail(EINVAL);
	if (ioctl(handle->dev, REMOTEVM_IOC_PROTECT, &protect))
		return fail(errno);
	if (old_protection)
		*old_protection = protect.old_protection;
	return 0;
}

int remotevm__batch(struct remotevm *handle, struct remotevm_op *ops,
		    uint32_t count, uint32_t *completed)
{
	struct remotevm_batch batch = {
		.ops = (uintptr_t)ops,
		.count = count,
		.op_size = sizeof(*ops),
	};
	int ret;

	if (!handle || !ops)
		return fail(EINVAL);
	ret = ioctl(handle->dev, REMOTEVM_IOC_BATCH, &batch);
	if (completed)
		*completed = batch.completed;
	return result(ret);
}

/*
 * How much of [address, address + len) is committed and not PAGE_NOACCESS,
 * or -errno.
 * /proc/PID/mem reads and writes with FOLL_FORCE, which would read a
 * reservation as zeros and even write into it; the Win32 contract (and a
 * debugger) wants those pages to be inaccessible.
 */
static ssize_t accessible_prefix(struct remotevm *handle, uint64_t address,
				 size_t len)
{
	struct remotevm_region regions[16];
	uint64_t cursor = address, end = address + len;

	while (cursor < end) {
		uint32_t count = sizeof(regions) / sizeof(regions[0]), i;
		int ret = remotevm__regions(handle, cursor, end, regions, &count,
					    NULL);

		if (ret)
			return ret;
		for (i = 0; i < count; i++) {
			if (regions[i].state != REMOTEVM_MEM_COMMIT ||
			    regions[i].protect == REMOTEVM_PAGE_NOACCESS)
				return (ssize_t)(cursor - address);
			cursor = regions[i].base_address + regions[i].region_size;
		}
	}
	return (ssize_t)len;
}

/* /proc/PID/mem offsets are addresses; it stops at the first bad page. */
static ssize_t mem_transfer(struct remotevm *handle, uint64_t address,
			    void *buf, size_t len, bool write)
{
	ssize_t accessible;
	size_t done = 0;

	if (!handle || (!buf && len))
		return fail(EINVAL);
	if (address > (uint64_t)LLONG_MAX || len > (uint64_t)LLONG_MAX - address)
		return fail(EFAULT);
	if (!len)
		return 0;
	accessible = accessible_prefix(handle, address, len);
	if (accessible <= 0)
		return accessible < 0 ? accessible : fail(EFAULT);
	len = (size_t)accessible;
	while (done < len) {
		ssize_t n = write ?
			pwrite(handle->mem, (const char *)buf + done, len - done,
			       (off_t)(address + done)) :
			pread(handle->mem, (char *)buf + done, len - done,
			      (off_t)(address + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (done)
				break;
			return fail(n < 0 ? errno : EIO);
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t remotevm__read(struct remotevm *handle, uint64_t address, void *buf,
		       size_t len)
{
	return mem_transfer(handle, address, buf, len, false);
}

ssize_t remotevm__write(struct remotevm *handle, uint64_t address,
			const void *buf, size_t len)
{
	return mem_transfer(handle, address, (void *)buf, len, true);
}
