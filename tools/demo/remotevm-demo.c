// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest remotevm client: attach to a process and reserve+commit
 * memory in it through the raw ioctls, printing what the module answers.
 *
 * usage: remotevm-demo PID [SIZE]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/remotevm.h>

int main(int argc, char **argv)
{
	struct remotevm_api api = { .api = REMOTEVM_API };
	struct remotevm_attach attach = { 0 };
	struct remotevm_alloc alloc = {
		.allocation_type = REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE,
		.page_protection = REMOTEVM_PAGE_EXECUTE_READWRITE,
	};
	char path[64];
	int dev;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PID [SIZE]\n", argv[0]);
		return 2;
	}
	attach.pid = (__u32)atoi(argv[1]);
	alloc.size = argc > 2 ? strtoull(argv[2], NULL, 0) : 4096;

	dev = open("/dev/remotevm", O_RDWR | O_CLOEXEC);
	if (dev < 0 || ioctl(dev, REMOTEVM_IOC_API, &api)) {
		perror("remotevm-demo: /dev/remotevm");
		return 1;
	}
	fprintf(stderr, "remotevm API %u, features %#llx, ops %#llx\n", api.api,
		(unsigned long long)api.features, (unsigned long long)api.ops);

	/* Opening the mem file is the kernel's ptrace-attach check. */
	snprintf(path, sizeof(path), "/proc/%u/mem", attach.pid);
	attach.mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (attach.mem_fd < 0 || ioctl(dev, REMOTEVM_IOC_ATTACH, &attach)) {
		fprintf(stderr, "remotevm-demo: attach to %u: %s\n", attach.pid,
			strerror(errno));
		return 1;
	}
	if (ioctl(dev, REMOTEVM_IOC_ALLOC, &alloc)) {
		perror("remotevm-demo: alloc");
		return 1;
	}
	printf("%llx %llu\n", (unsigned long long)alloc.allocated_address,
	       (unsigned long long)alloc.allocated_size);
	return 0;
}
