// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench: remotevm's ioctls, raw, as the measured calls. (The
 * library is only used for what it adds: remotevm__read(), in calls.c.)
 */
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"

int rvm_attach(pid_t pid, unsigned int poll_us)
{
	struct remotevm_api api = { .api = REMOTEVM_API };
	struct remotevm_attach attach = { .pid = (__u32)pid, .poll_us = poll_us };
	int dev = open("/dev/remotevm", O_RDWR | O_CLOEXEC);

	if (dev < 0 || ioctl(dev, REMOTEVM_IOC_API, &api))
		die("/dev/remotevm");
	attach.mem_fd = proc_mem_open(pid, O_RDWR);
	if (attach.mem_fd < 0 || ioctl(dev, REMOTEVM_IOC_ATTACH, &attach))
		die("attach to %d", (int)pid);
	close(attach.mem_fd);
	return dev;
}

/*
 * Packed densely, as the local mmap() it is compared with packs them: a
 * page's alignment, not Windows' 64 KiB.
 */
struct remotevm_alloc rvm_alloc_args(uint64_t size)
{
	return (struct remotevm_alloc){
		.size = size,
		.allocation_type = REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE,
		.page_protection = REMOTEVM_PAGE_READWRITE,
		.alignment = 4096,
	};
}

void rvm_pair(int dev, uint64_t size)
{
	struct remotevm_alloc alloc = rvm_alloc_args(size);
	struct remotevm_free release = { .free_type = REMOTEVM_MEM_RELEASE };

	if (ioctl(dev, REMOTEVM_IOC_ALLOC, &alloc))
		die("REMOTEVM_IOC_ALLOC");
	release.address = alloc.allocated_address;
	if (ioctl(dev, REMOTEVM_IOC_FREE, &release))
		die("REMOTEVM_IOC_FREE");
}

static struct remotevm_op rvm_ops[MAX_BATCH];

static void rvm_batch(int dev, struct remotevm_op *ops, uint32_t n)
{
	struct remotevm_batch batch = {
		.ops = (uintptr_t)ops,
		.count = n,
		.op_size = sizeof(*ops),
	};

	if (ioctl(dev, REMOTEVM_IOC_BATCH, &batch))
		die("REMOTEVM_IOC_BATCH (op %u of %u: %d)", batch.completed, n,
		    batch.completed < n ? ops[batch.completed].error : 0);
}

/*
 * n allocations in one ioctl, then their n releases in another. Unlike:
 * every other allocation asks MEM_COMMIT alone (the same thing, without
 * an address), and the releases go evens first, then odds, so that no two
 * consecutive ops share a mapping or an unmapping: the one-by-one cost of
 * the same target layout.
 */
void rvm_batched_pairs(int dev, uint64_t size, uint32_t n, bool unlike,
		       struct timing *t)
{
	static __u64 addrs[MAX_BATCH];
	int64_t t0, t1, t2;
	uint32_t i;

	for (i = 0; i < n; i++) {
		memset(&rvm_ops[i], 0, sizeof(rvm_ops[i]));
		rvm_ops[i].code = REMOTEVM_OP_ALLOC;
		rvm_ops[i].alloc = rvm_alloc_args(size);
		if (unlike && i % 2)
			rvm_ops[i].alloc.allocation_type = REMOTEVM_MEM_COMMIT;
	}
	t0 = now_ns();
	rvm_batch(dev, rvm_ops, n);
	t1 = now_ns();
	for (i = 0; i < n; i++)
		addrs[i] = rvm_ops[i].alloc.allocated_address;
	for (i = 0; i < n; i++) {
		uint32_t which = unlike ? (i < (n + 1) / 2 ? 2 * i : 2 * (i - (n + 1) / 2) + 1) : i;

		memset(&rvm_ops[i], 0, sizeof(rvm_ops[i]));
		rvm_ops[i].code = REMOTEVM_OP_FREE;
		rvm_ops[i].free.address = addrs[which];
		rvm_ops[i].free.free_type = REMOTEVM_MEM_RELEASE;
	}
	t2 = now_ns();
	rvm_batch(dev, rvm_ops, n);
	t->alloc += t1 - t0;
	t->release += now_ns() - t2;
	t->total = t->alloc + t->release;
}

void rvm_query(int dev, uint64_t address)
{
	struct remotevm_query q = { .address = address };

	if (ioctl(dev, REMOTEVM_IOC_QUERY, &q))
		die("REMOTEVM_IOC_QUERY");
}

void rvm_query_batch(int dev, uint64_t address, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		memset(&rvm_ops[i], 0, sizeof(rvm_ops[i]));
		rvm_ops[i].code = REMOTEVM_OP_QUERY;
		rvm_ops[i].query.address = address;
	}
	rvm_batch(dev, rvm_ops, n);
}

pid_t rvm_worker(pid_t target)
{
	pid_t worker = worker_of(target);
	cpu_set_t set;

	CPU_ZERO(&set);
	if (worker > 0 && sched_getaffinity(worker, sizeof(set), &set) == 0 &&
	    sched_setaffinity(worker, sizeof(set), &set) == 0)
		return worker;
	return 0;
}
