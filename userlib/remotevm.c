// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libremotevm: the plain C API over /dev/remotevm's ioctls; writes to the
 * target's memory go through its /proc/PID/mem (the same proof of access).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
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

#define offsetofend(TYPE, FIELD) \
	(offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))

/*
 * Options structs, checked as libbpf checks its own: a caller's struct
 * smaller than the library's (an older caller) reads as the defaults past
 * its end; a larger one (a newer caller) is refused if it sets a field
 * this library does not know and so could not honour.
 */
#define remotevm_open_opts__last_field poll_us
#define remotevm_alloc_opts__last_field alignment

static bool all_zero(const char *bytes, size_t len)
{
	while (len--)
		if (*bytes++)
			return false;
	return true;
}

static bool opts_valid(const void *opts, size_t known, size_t sz)
{
	return sz >= sizeof(size_t) &&
	       (sz <= known || all_zero((const char *)opts + known, sz - known));
}

#define OPTS_VALID(opts, TYPE)						\
	(!(opts) || opts_valid((opts), offsetofend(struct TYPE,		\
						   TYPE##__last_field),	\
			       (opts)->sz))
#define OPTS_HAS(opts, field)						\
	((opts) && (opts)->sz >= offsetofend(__typeof__(*(opts)), field))
#define OPTS_GET(opts, field, fallback)					\
	(OPTS_HAS(opts, field) ? (opts)->field : (fallback))

int remotevm__open(pid_t pid, const struct remotevm_open_opts *opts,
		   struct remotevm **out)
{
	struct remotevm_attach attach = { .pid = (__u32)pid };
	struct remotevm *handle;
	int mem_fd, err;
	char path[64];

	if (!out || pid <= 0 || !OPTS_VALID(opts, remotevm_open_opts))
		return fail(EINVAL);
	mem_fd = OPTS_GET(opts, mem_fd, 0);
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
	attach.poll_us = OPTS_GET(opts, poll_us, 0);
	if (OPTS_GET(opts, release_on_close, false))
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

int remotevm__alloc(struct remotevm *handle, uint64_t address, uint64_t size,
		    uint32_t allocation_type, uint32_t page_protection,
		    const struct remotevm_alloc_opts *opts,
		    uint64_t *allocated_address, uint64_t *allocated_size)
{
	struct remotevm_alloc alloc = {
		.address = address,
		.size = size,
		.allocation_type = allocation_type,
		.page_protection = page_protection,
	};

	if (!handle || !OPTS_VALID(opts, remotevm_alloc_opts))
		return fail(EINVAL);
	alloc.lowest = OPTS_GET(opts, lowest, 0);
	alloc.highest = OPTS_GET(opts, highest, 0);
	alloc.alignment = OPTS_GET(opts, alignment, 0);
	if (ioctl(handle->dev, REMOTEVM_IOC_ALLOC, &alloc))
		return fail(errno);
	if (allocated_address)
		*allocated_address = alloc.allocated_address;
	if (allocated_size)
		*allocated_size = alloc.allocated_size;
	return 0;
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
		    struct remotevm_region *region, size_t region_size)
{
	struct remotevm_query query = { .address = address };
	size_t known = sizeof(query.region);

	if (!handle || !region || region_size < REMOTEVM_REGION_SIZE_VER0)
		return fail(EINVAL);
	if (ioctl(handle->dev, REMOTEVM_IOC_QUERY, &query))
		return fail(errno);
	/* The kernel's rule for REGIONS: a newer caller's fields read as zero. */
	memcpy(region, &query.region, region_size < known ? region_size : known);
	if (region_size > known)
		memset((char *)region + known, 0, region_size - known);
	return 0;
}

int remotevm__regions(struct remotevm *handle, uint64_t start, uint64_t end,
		      struct remotevm_region *regions, size_t region_size,
		      uint32_t *count, uint64_t *next)
{
	struct remotevm_regions req = {
		.start = start,
		.end = end,
		.regions = (uintptr_t)regions,
		.region_size = (uint32_t)region_size,
	};

	if (!handle || !regions || !count || region_size > UINT32_MAX)
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
		    uint32_t count, size_t op_size, uint32_t *completed)
{
	struct remotevm_batch batch = {
		.ops = (uintptr_t)ops,
		.count = count,
		.op_size = (uint32_t)op_size,
	};
	int ret;

	if (!handle || !ops || op_size > UINT32_MAX)
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
		int ret = remotevm__regions(handle, cursor, end, regions,
					    sizeof(regions[0]), &count, NULL);

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

/*
 * One REMOTEVM_IOC_READ: the module checks each page as REGIONS would and
 * copies it, in one call. A module without it (ENOTTY) is read through
 * REGIONS and /proc/PID/mem, two calls.
 */
ssize_t remotevm__read(struct remotevm *handle, uint64_t address, void *buf,
		       size_t len)
{
	struct remotevm_read req = {
		.address = address,
		.buffer = (uintptr_t)buf,
		.size = len,
	};

	if (!handle || (!buf && len))
		return fail(EINVAL);
	if (!len)
		return 0;
	if (!ioctl(handle->dev, REMOTEVM_IOC_READ, &req))
		return (ssize_t)req.bytes_read;
	if (errno != ENOTTY)
		return fail(errno);
	return mem_transfer(handle, address, buf, len, false);
}

ssize_t remotevm__write(struct remotevm *handle, uint64_t address,
			const void *buf, size_t len)
{
	return mem_transfer(handle, address, (void *)buf, len, true);
}
