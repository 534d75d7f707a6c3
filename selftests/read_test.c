// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for READ (ReadProcessMemory): what it returns is what the
 * target holds, it stops where QUERY says the memory is not committed or
 * not accessible, and bad arguments write nothing.
 * Needs root and remotevm.ko loaded; runs in a guest under `make check`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/remotevm.h>

#include "kselftest_harness.h"
#include "fixtures.h"
#include "proc.h"
#include "rvm.h"
#include "target.h"

/* More pages than one of the module's 64 KiB chunks holds, twice over. */
#define CHUNKED_PAGES	40

TEST_F(attached, read_returns_what_the_target_wrote_across_chunks)
{
	uint64_t base, skip = 100, size = CHUNKED_PAGES * PAGE - 2 * skip;
	uint64_t bytes_read, i;
	unsigned char *buf = malloc(size);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, CHUNKED_PAGES * PAGE,
			       COMMIT | RESERVE, RW, &base));
	for (i = 0; i < CHUNKED_PAGES; i++)
		ASSERT_EQ(0, target_write(&self->t, base + i * PAGE, PAGE, (int)i + 1));

	ASSERT_EQ(0, rvm_read(self->dev, base + skip, buf, size, &bytes_read));
	EXPECT_EQ(size, bytes_read);
	for (i = 0; i < size; i++)
		if (buf[i] != (skip + i) / PAGE + 1)
			break;
	EXPECT_EQ(size, i) {
		TH_LOG("byte %llu of the read is %#x", (unsigned long long)i, buf[i]);
	}
	free(buf);
}

/* The target's own text, as /proc/PID/mem gives it: the same bytes. */
TEST_F(attached, read_matches_proc_mem_on_the_targets_text)
{
	uint64_t page = self->t.code & ~(PAGE - 1), bytes_read;
	char ours[2 * PAGE], theirs[2 * PAGE];
	int mem = proc_mem_open(self->t.pid, O_RDONLY);

	ASSERT_LE(0, mem);
	ASSERT_EQ(PAGE, pread(mem, theirs, PAGE, (off_t)page));
	memset(ours, 0, sizeof(ours));
	ASSERT_EQ(0, rvm_read(self->dev, page, ours, PAGE, &bytes_read));
	EXPECT_EQ(PAGE, bytes_read);
	EXPECT_EQ(0, memcmp(ours, theirs, PAGE));
	close(mem);
}

TEST_F(attached, read_stops_where_query_says_reserved_or_noaccess)
{
	struct remotevm_region region;
	uint64_t res, own, bytes_read;
	char buf[4 * PAGE], reply[64];

	ASSERT_EQ(0, rvm_alloc(self->dev, 0, 4 * PAGE, RESERVE, RW, &res));
	ASSERT_EQ(0, rvm_alloc(self->dev, res, 2 * PAGE, COMMIT, RW, NULL));
	ASSERT_EQ(0, rvm_alloc(self->dev, res + 2 * PAGE, PAGE, COMMIT,
			       REMOTEVM_PAGE_NOACCESS, NULL));
	ASSERT_EQ(0, rvm_alloc(self->dev, res + 3 * PAGE, PAGE, COMMIT,
			       REMOTEVM_PAGE_READONLY, NULL));

	ASSERT_EQ(0, rvm_read(self->dev, res + 1, buf, 4 * PAGE - 1, &bytes_read));
	EXPECT_EQ(2 * PAGE - 1, bytes_read);
	ASSERT_EQ(0, rvm_query(self->dev, res + 2 * PAGE, &region));
	EXPECT_EQ(REMOTEVM_PAGE_NOACCESS, region.protect);
	EXPECT_EQ(-EFAULT, rvm_read(self->dev, res + 2 * PAGE, buf, PAGE, &bytes_read));
	/* Read-only to the target, and to a debugger readable all the same. */
	ASSERT_EQ(0, rvm_read(self->dev, res + 3 * PAGE, buf, PAGE, &bytes_read));
	EXPECT_EQ(PAGE, bytes_read);

	ASSERT_EQ(0, rvm_free(self->dev, res + 3 * PAGE, PAGE, DECOMMIT));
	ASSERT_EQ(0, rvm_query(self->dev, res + 3 * PAGE, &region));
	EXPECT_EQ(REMOTEVM_MEM_RESERVE, region.state);
	EXPECT_EQ(-EFAULT, rvm_read(self->dev, res + 3 * PAGE, buf, PAGE, &bytes_read));

	/* A PROT_NONE mapping of the target's own is reserved memory too. */
	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "M %llx 0", PAGE));
	own = strtoull(reply, NULL, 16);
	ASSERT_EQ(0, rvm_query(self->dev, own, &region));
	EXPECT_EQ(REMOTEVM_MEM_RESERVE, region.state);
	EXPECT_EQ(-EFAULT, rvm_read(self->dev, own, buf, PAGE, &bytes_read));
	/* And nothing at all is free memory. */
	ASSERT_EQ(0, rvm_free(self->dev, res, 0, RELEASE));
	EXPECT_EQ(-EFAULT, rvm_read(self->dev, res, buf, PAGE, &bytes_read));
}

static int raw_read(int dev, struct remotevm_read *req, size_t size)
{
	return ioctl(dev, _IOC(_IOC_READ | _IOC_WRITE, REMOTEVM_IOC_MAGIC,
			       _IOC_NR(REMOTEVM_IOC_READ), size), req) ? errno : 0;
}

TEST_F(attached, read_rejects_bad_arguments_and_writes_nothing)
{
	uint64_t addr;
	char *readonly = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char buf[PAGE];
	struct remotevm_read req;
	const struct {
		const char *what;
		struct remotevm_read req;
		size_t size;
		int error;
	} cases[] = {
		{ "unknown flag", { .size = 1, .flags = 1 }, sizeof(req), EINVAL },
		{ "size 0", { .size = 0 }, sizeof(req), EINVAL },
		{ "struct below VER0", { .size = 1 }, REMOTEVM_READ_SIZE_VER0 - 8, EINVAL },
		{ "no buffer", { .size = 1 }, sizeof(req), EFAULT },
		{ "read-only buffer", { .size = PAGE }, sizeof(req), EFAULT },
	};
	unsigned int i;

	ASSERT_NE(MAP_FAILED, readonly);
	ASSERT_EQ(0, rvm_alloc(self->dev, 0, PAGE, COMMIT | RESERVE, RW, &addr));
	ASSERT_EQ(0, target_write(&self->t, addr, PAGE, 0x5a));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req = cases[i].req;
		req.address = addr;
		if (!strcmp(cases[i].what, "read-only buffer"))
			req.buffer = (uintptr_t)readonly;
		else if (strcmp(cases[i].what, "no buffer"))
			req.buffer = (uintptr_t)buf;
		req.bytes_read = POISON;
		EXPECT_EQ(cases[i].error, raw_read(self->dev, &req, cases[i].size)) {
			TH_LOG("%s", cases[i].what);
		}
		EXPECT_EQ(POISON, req.bytes_read);
	}
	EXPECT_EQ(0, readonly[0]);
	/* The same read with a good buffer works. */
	req = (struct remotevm_read){ .address = addr, .buffer = (uintptr_t)buf, .size = PAGE };
	ASSERT_EQ(0, raw_read(self->dev, &req, sizeof(req)));
	EXPECT_EQ(PAGE, req.bytes_read);
	EXPECT_EQ(0x5a, buf[PAGE - 1]);
	munmap(readonly, PAGE);
}

TEST_HARNESS_MAIN
