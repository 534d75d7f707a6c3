// SPDX-License-Identifier: GPL-2.0
/* Readers of /proc for the selftests and the bench (see proc.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* cpu_set_t */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

/* Not in a uapi header: include/linux/sched.h. */
#define PF_KTHREAD	0x00200000
/* TASK_COMM_LEN less its terminating NUL. */
#define COMM_CHARS	15

int read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), saved;
	char *eol;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	saved = errno;
	close(fd);
	if (n <= 0) {
		errno = n ? saved : ENODATA;
		return -1;
	}
	buf[n] = 0;
	eol = strchr(buf, '\n');
	if (eol)
		eol[1] = 0;
	return 0;
}

int write_line(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), saved;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	saved = errno;
	close(fd);
	if (n == (ssize_t)strlen(value))
		return 0;
	errno = n < 0 ? saved : EIO;
	return -1;
}

char *stat_field(pid_t pid, int field, char *buf, int len)
{
	char path[64], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_line(path, buf, len))
		return NULL;
	p = strrchr(buf, ')');
	for (i = 2; p && i < field; i++)
		p = strchr(p + 1, ' ');
	return p;
}

char task_state(pid_t pid)
{
	char buf[1024], *p = stat_field(pid, 3, buf, sizeof(buf));
	char state;

	return p && sscanf(p, " %c", &state) == 1 ? state : '?';
}

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

long long task_ticks(pid_t pid)
{
	char buf[1024], *p = stat_field(pid, 14, buf, sizeof(buf));
	unsigned long long utime, stime;

	if (!p || sscanf(p, " %llu %llu", &utime, &stime) != 2)
		return -1;
	return (long long)(utime + stime);
}

int task_is_kthread(pid_t pid)
{
	char buf[1024], *p = stat_field(pid, 9, buf, sizeof(buf));
	unsigned long flags;

	if (!p || sscanf(p, " %lu", &flags) != 1)
		return -1;
	return !!(flags & PF_KTHREAD);
}

const char *task_wchan(pid_t pid, char *buf, int len)
{
	char path[64];
	int fd, n = -1;

	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? buf : "?";
}

long proc_file_field(const char *path, const char *name)
{
	char line[256];
	size_t len = strlen(name);
	long value = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && (line[len] == ':' || line[len] == ' ')) {
			value = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return value;
}

long proc_status_field(pid_t pid, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return proc_file_field(path, name);
}

int64_t proc_run_delay(pid_t pid)
{
	unsigned long long run, delay;
	char path[64], line[128];

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	if (read_line(path, line, sizeof(line)) ||
	    sscanf(line, "%llu %llu", &run, &delay) != 2)
		return -1;
	return (int64_t)delay;
}

/*
 * Counts the tasks whose /proc/PID/comm starts with @prefix, in /proc's
 * order (ascending pids): the first and the last in *@first and *@last.
 */
static int comm_scan(const char *prefix, pid_t *first, pid_t *last)
{
	size_t len = strlen(prefix);
	char path[300], comm[32];
	struct dirent *d;
	int count = 0;
	DIR *proc;

	proc = opendir("/proc");
	if (!proc)
		return -1;
	while ((d = readdir(proc))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		if (read_line(path, comm, sizeof(comm)) || strncmp(comm, prefix, len))
			continue;
		if (!count++ && first)
			*first = atoi(d->d_name);
		if (last)
			*last = atoi(d->d_name);
	}
	closedir(proc);
	return count;
}

int count_comm_prefix(const char *prefix, pid_t *first)
{
	return comm_scan(prefix, first, NULL);
}

pid_t worker_of(pid_t target)
{
	char name[32];
	pid_t worker = -1;

	snprintf(name, sizeof(name), "remotevm/%d", target);
	strcpy(name + strnlen(name, COMM_CHARS), "\n");
	comm_scan(name, NULL, &worker);
	return worker;
}

int pin_to_cpu(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(pid, sizeof(set), &set);
}

int unpin(pid_t pid)
{
	long i, n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	return sched_setaffinity(pid, sizeof(set), &set);
}

long cpu_ipis(int cpu)
{
	FILE *f = fopen("/proc/interrupts", "re");
	char line[4096];
	long total = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		long v = 0;
		int i;

		while (*p == ' ')
			p++;
		if (strncmp(p, "RES:", 4) && strncmp(p, "CAL:", 4) &&
		    strncmp(p, "TLB:", 4))
			continue;
		p += 4;
		for (i = 0; i <= cpu; i++) {
			v = strtol(p, &end, 10);
			p = end;
		}
		total += v;
	}
	fclose(f);
	return total;
}

int proc_mem_open(pid_t pid, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	return open(path, flags | O_CLOEXEC);
}

long proc_mem_read(pid_t pid, uint64_t addr, void *buf, uint64_t len)
{
	int fd = proc_mem_open(pid, O_RDONLY), err = EIO;
	uint64_t done = 0;
	ssize_t n;

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

int maps_merged(pid_t pid, struct mapping *maps, int max)
{
	char path[64], line[512];
	int nr = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, ino;
		struct mapping m;
		int name = 0;

		/* Callers memcmp() mappings: no stray padding bytes. */
		memset(&m, 0, sizeof(m));
		if (sscanf(line, "%llx-%llx %4s %*s %*s %llu %n", &s, &e, m.perms,
			   &ino, &name) < 4)
			continue;
		m.start = s;
		m.end = e;
		m.anon = !ino && (!name || line[name] == '\n' || !line[name]);
		if (nr && m.anon && maps[nr - 1].anon && maps[nr - 1].end == m.start &&
		    !strcmp(maps[nr - 1].perms, m.perms)) {
			maps[nr - 1].end = m.end;
			continue;
		}
		if (nr == max) {
			fclose(f);
			errno = E2BIG;
			return -1;
		}
		maps[nr++] = m;
	}
	fclose(f);
	return nr;
}

char *maps_snapshot(pid_t pid)
{
	static char snap[2][65536];
	static int which;
	char path[64];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	which ^= 1;
	f = fopen(path, "re");
	if (!f)
		return NULL;
	n = fread(snap[which], 1, sizeof(snap[which]) - 1, f);
	snap[which][n] = 0;
	fclose(f);
	return snap[which];
}

int maps_find(pid_t pid, uint64_t addr, char perms[5], uint64_t *start,
	      uint64_t *end)
{
	char path[64], line[512];
	unsigned long long s, e;
	int found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %4s", &s, &e, perms) == 3 &&
		    addr >= s && addr < e) {
			if (start)
				*start = s;
			if (end)
				*end = e;
			found = 0;
		}
	}
	fclose(f);
	return found;
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
	f = fopen(path, "re");
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

void fault_injection_reach_all(bool every)
{
	static const char *const knobs[][3] = {	/* file, every, default */
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N", "Y" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N", "Y" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N", "Y" },
		{ "/sys/kernel/debug/fail_page_alloc/min-order", "0", "1" },
	};
	size_t i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		write_line(knobs[i][0], knobs[i][every ? 1 : 2]);
}

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

const char *kmsg_next(int fd, char *buf, size_t len)
{
	ssize_t n;
	char *msg;

	for (;;) {
		/* One record per read(); EPIPE: some were overwritten. */
		n = read(fd, buf, len - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return NULL;
		buf[n] = 0;
		msg = strchr(buf, ';');
		if (msg)
			return msg + 1;
	}
}

int kmsg_clobber(const char *msg, pid_t *pid, uint64_t *start, uint64_t *end)
{
	unsigned long long from, to;
	int tgid;

	if (sscanf(msg, "pid %d unmapped remotevm memory during an operation on it; "
			"what it mapped at %llx-%llx", &tgid, &from, &to) != 3)
		return 0;
	*pid = tgid;
	*start = from;
	*end = to;
	return 1;
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
