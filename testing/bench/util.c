// SPDX-License-Identifier: GPL-2.0
/* remotevm-bench: errors, clocks, whole reads and writes, CPU affinity. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct shared *sh;
int shm_fd = -1;

void fail_at(int line, bool with_errno, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fprintf(stderr, "remotevm-bench:%d: ", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write");
		p += n;
		len -= (size_t)n;
	}
}

bool read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		if (n == 0) {
			if (!got)
				return false;
			fail("short read");
		}
		got += (size_t)n;
	}
	return true;
}

void must_pin(pid_t pid, int cpu)
{
	if (pin_to_cpu(pid, cpu))
		die("sched_setaffinity(%d, cpu %d)", (int)pid, cpu);
}

void must_unpin(pid_t pid)
{
	if (unpin(pid))
		die("sched_setaffinity(%d)", (int)pid);
}

uint64_t first_mapping(pid_t pid)
{
	const char *maps = maps_snapshot(pid);
	uint64_t start;

	if (!maps || sscanf(maps, "%" SCNx64, &start) != 1)
		die("/proc/%d/maps", (int)pid);
	return start;
}

void shared_create(void)
{
	shm_fd = memfd_create("remotevm-bench", 0);
	if (shm_fd < 0 || ftruncate(shm_fd, sizeof(*sh)))
		die("memfd");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
	if (sh == MAP_FAILED)
		die("mmap shared");
}
