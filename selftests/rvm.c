// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the remotevm selftest programs (see rvm.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "rvm.h"

char *maps_snapshot(pid_t pid)
{
	static char snap[2][65536];
	static int which;
	char path[64];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	which ^= 1;
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(snap[which], 1, sizeof(snap[which]) - 1, f);
	snap[which][n] = 0;
	fclose(f);
	return snap[which];
}

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
	char path[64];
	int ret, saved;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	attach.mem_fd = open(path, O_RDWR | O_CLOEXEC);
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

/* The worker kthread of the one handle attached to @target, or -1. */
pid_t worker_of(pid_t target)
{
	char name[32];
	pid_t worker = -1;

	snprintf(name, sizeof(name), "remotevm/%d\n", target);
	count_comm_prefix(name, &worker);
	return worker;
}

/*
 * Where field @field (numbered as in proc(5)) of /proc/PID/stat starts in
 * @buf, which it reads; NULL on error. The comm, field 2, may hold spaces:
 * fields are counted from its closing parenthesis.
 */
char *stat_field(pid_t pid, int field, char *buf, int len)
{
	char path[64], *p = NULL;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (fgets(buf, len, f))
		p = strrchr(buf, ')');
	fclose(f);
	for (i = 2; p && i < field; i++)
		p = strchr(p + 1, ' ');
	return p;
}

/* A task's state letter (field 3) and last CPU (field 39). */
int task_sched(pid_t pid, char *state, int *cpu)
{
	char buf[1024], *p = stat_field(pid, 3, buf, sizeof(buf));
	int i;

	if (!p || sscanf(p, " %c", state) != 1)
		return -1;
	for (i = 3; p && i < 39; i++)
		p = strchr(p + 1, ' ');
	return p && sscanf(p, " %d", cpu) == 1 ? 0 : -1;
}

int pin_to_cpu(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(pid, sizeof(set), &set);
}

/*
 * Clock ticks a task has run (utime + stime, fields 14 and 15 of
 * /proc/PID/stat): coarse, but there without schedstats; -1 on error.
 */
long long task_ticks(pid_t pid)
{
	char buf[1024], *p = stat_field(pid, 14, buf, sizeof(buf));
	unsigned long long utime, stime;

	if (!p || sscanf(p, " %llu %llu", &utime, &stime) != 2)
		return -1;
	return (long long)(utime + stime);
}

/*
 * How many tasks, kernel threads included, have a comm starting with
 * @prefix (as /proc/PID/comm shows it); -1 if /proc cannot be read.
 */
int count_comm_prefix(const char *prefix, pid_t *first)
{
	size_t len = strlen(prefix);
	char path[300], comm[32];
	struct dirent *d;
	int count = 0;
	DIR *proc;
	FILE *f;

	proc = opendir("/proc");
	if (!proc)
		return -1;
	while ((d = readdir(proc))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, prefix, len) &&
		    !count++ && first)
			*first = atoi(d->d_name);
		fclose(f);
	}
	closedir(proc);
	return count;
}

long proc_mem_read(pid_t pid, uint64_t addr, void *buf, uint64_t len)
{
	char path[64];
	uint64_t done = 0;
	ssize_t n;
	int fd, err = EIO;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done, (off_t)(addr + done));
		if (n <= 0) {
			if (n < 0)
				err = errno;
			break;
		}
		done += n;
	}
	close(fd);
	return done || !len ? (long)done : -err;
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The line of /proc/PID/smaps that starts with @key ("Rss:", "VmFlags:")
 * in the entry of the mapping that holds @addr, into @line; 0 or -1.
 */
static int smaps_line(pid_t pid, uint64_t addr, const char *key, char *line,
		      int len)
{
	unsigned long long start, end;
	int inside = 0, found = -1;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (found && fgets(line, len, f)) {
		if (sscanf(line, "%llx-%llx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			inside = addr >= start && addr < end;
		else if (inside && !strncmp(line, key, strlen(key)))
			found = 0;
	}
	fclose(f);
	return found;
}

long smaps_field(pid_t pid, uint64_t addr, const char *field)
{
	char key[32], line[256];
	long value;

	snprintf(key, sizeof(key), "%s:", field);
	if (smaps_line(pid, addr, key, line, sizeof(line)) ||
	    sscanf(line + strlen(key), " %ld", &value) != 1)
		return -1;
	return value;
}

int smaps_vmflag(pid_t pid, uint64_t addr, const char *flag)
{
	char line[512], want[8];

	snprintf(want, sizeof(want), " %s", flag);
	if (smaps_line(pid, addr, "VmFlags:", line, sizeof(line)))
		return -1;
	return strstr(line + 8, want) != NULL;
}
