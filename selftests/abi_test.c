// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for /dev/remotevm's ABI: the API handshake, the extensible
 * struct sizes (the openat2/clone3 rules), unknown ioctls, bad pointers, the
 * device's permissions and the module's lifetime while open.
 * Needs root and remotevm.ko loaded; runs in a guest under `make check`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/remotevm.h>

#include "kselftest_harness.h"
#include "fixtures.h"
#include "proc.h"
#include "rvm.h"
#include "target.h"

TEST(api_reports_version_and_features)
{
	struct remotevm_api api = { .api = REMOTEVM_API, .ops = 0 };
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	memset(&api.features, 0, sizeof(api.features));
	ASSERT_EQ(0, ioctl(dev, REMOTEVM_IOC_API, &api));
	EXPECT_EQ(REMOTEVM_API, api.api);
	EXPECT_EQ(REMOTEVM_FEATURE_BATCH | REMOTEVM_FEATURE_PLACEMENT |
		  REMOTEVM_FEATURE_RELEASE_ON_CLOSE | REMOTEVM_FEATURE_REGIONS |
		  REMOTEVM_FEATURE_PROTECT_COPY | REMOTEVM_FEATURE_POLL |
		  REMOTEVM_FEATURE_READ | REMOTEVM_FEATURE_WIN32_RULES,
		  api.features);
	EXPECT_EQ(1ULL << REMOTEVM_OP_ALLOC | 1ULL << REMOTEVM_OP_FREE |
		  1ULL << REMOTEVM_OP_QUERY | 1ULL << REMOTEVM_OP_PROTECT, api.ops);
	close(dev);
}

TEST(api_rejects_unknown_version_and_reserved_fields)
{
	struct remotevm_api api = { .api = REMOTEVM_API + 1 };
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-1, ioctl(dev, REMOTEVM_IOC_API, &api));
	EXPECT_EQ(EINVAL, errno);
	api = (struct remotevm_api){ .api = REMOTEVM_API, .pad = 1 };
	EXPECT_EQ(-1, ioctl(dev, REMOTEVM_IOC_API, &api));
	EXPECT_EQ(EINVAL, errno);
	api = (struct remotevm_api){ .api = REMOTEVM_API, .features = 1 };
	EXPECT_EQ(-1, ioctl(dev, REMOTEVM_IOC_API, &api));
	EXPECT_EQ(EINVAL, errno);
	close(dev);
}

/* The struct size travels in the ioctl number: the openat2/clone3 rules. */
TEST(api_extensible_struct_sizes)
{
	struct {
		struct remotevm_api api;
		uint64_t tail;
	} big = { .api = { .api = REMOTEVM_API } };
	unsigned long small_nr = _IOC(_IOC_READ | _IOC_WRITE, REMOTEVM_IOC_MAGIC,
				      0, sizeof(struct remotevm_api) - 8);
	unsigned long big_nr = _IOC(_IOC_READ | _IOC_WRITE, REMOTEVM_IOC_MAGIC,
				    0, sizeof(big));
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-1, ioctl(dev, small_nr, &big));
	EXPECT_EQ(EINVAL, errno);

	big.tail = POISON;
	EXPECT_EQ(-1, ioctl(dev, big_nr, &big));
	EXPECT_EQ(E2BIG, errno);

	big.tail = 0;
	EXPECT_EQ(0, ioctl(dev, big_nr, &big));
	EXPECT_EQ(REMOTEVM_API, big.api.api);
	EXPECT_NE(0, big.api.features);
	EXPECT_EQ(0, big.tail);
	close(dev);
}

TEST(unknown_ioctls_are_enotty)
{
	struct remotevm_api api = { .api = REMOTEVM_API };
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-1, ioctl(dev, _IOWR(REMOTEVM_IOC_MAGIC, 0x7f, struct remotevm_api), &api));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong direction. */
	EXPECT_EQ(-1, ioctl(dev, _IOR(REMOTEVM_IOC_MAGIC, 0x00, struct remotevm_api), &api));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(dev, _IOWR('x', 0x00, struct remotevm_api), &api));
	EXPECT_EQ(ENOTTY, errno);
	close(dev);
}

TEST(bad_user_pointers_are_efault)
{
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-1, ioctl(dev, REMOTEVM_IOC_API, (void *)16));
	EXPECT_EQ(EFAULT, errno);
	close(dev);
}

TEST(device_is_root_only_by_default)
{
	struct stat st;
	pid_t child;
	int status;

	ASSERT_EQ(0, stat("/dev/remotevm", &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(2);
		_exit(rvm_open() < 0 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(unload_while_open_is_refused)
{
	struct remotevm_api api = { .api = REMOTEVM_API };
	int dev = rvm_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-1, syscall(__NR_delete_module, "remotevm", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	/* Still there and working. */
	EXPECT_EQ(0, ioctl(dev, REMOTEVM_IOC_API, &api));
	close(dev);
}

/*
 * ALLOC as a binary built against a newer header sends it: the struct's
 * size travels in the ioctl number, a larger one is fine while the bytes
 * this module does not know are zero, and one below the first published
 * size is refused. The sizes are the published literals, not sizeof().
 */
TEST_F(attached, alloc_takes_any_struct_version_from_the_first)
{
	struct {
		struct remotevm_alloc alloc;
		uint64_t later_field;
	} v1 = {
		.alloc = { .size = PAGE, .allocation_type = COMMIT | RESERVE,
			   .page_protection = RW },
	};
	unsigned long v1_nr = _IOC(_IOC_READ | _IOC_WRITE, REMOTEVM_IOC_MAGIC, 0x02,
				   sizeof(v1));
	unsigned long short_nr = _IOC(_IOC_READ | _IOC_WRITE, REMOTEVM_IOC_MAGIC, 0x02,
				      REMOTEVM_ALLOC_SIZE_VER0 - 8);
	char perms[5];

	ASSERT_EQ(REMOTEVM_ALLOC_SIZE_VER0, sizeof(struct remotevm_alloc));
	ASSERT_EQ(0, ioctl(self->dev, v1_nr, &v1));
	EXPECT_EQ(PAGE, v1.alloc.allocated_size);
	EXPECT_EQ(0, maps_find(self->t.pid, v1.alloc.allocated_address, perms,
			       NULL, NULL));
	EXPECT_STREQ("rw-p", perms);

	v1.alloc.allocated_address = 0;
	v1.later_field = 1;
	EXPECT_EQ(-1, ioctl(self->dev, v1_nr, &v1));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, v1.alloc.allocated_address);
	EXPECT_EQ(-1, ioctl(self->dev, short_nr, &v1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(attached, output_fields_are_written_over_poison)
{
	struct remotevm_alloc alloc = {
		.size = PAGE + 1,
		.allocation_type = COMMIT | RESERVE,
		.page_protection = RW,
	};

	ASSERT_EQ(0, rvm_alloc_full(self->dev, &alloc));
	EXPECT_NE(POISON, alloc.allocated_address);
	EXPECT_EQ(2 * PAGE, alloc.allocated_size);
}

TEST_HARNESS_MAIN
