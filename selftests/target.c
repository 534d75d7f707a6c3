// SPDX-License-Identifier: GPL-2.0
/*
 * Drives a remotevm_target process over two pipes, so that the selftests
 * check every result from the target's side.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target.h"

const char *helper_path(const char *name)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 64);

	if (n < 0)
		return name;
	path[n] = 0;
	strcpy(strrchr(path, '/') + 1, name);
	return path;
}

int target_start_as(struct target *t, const char *name, uid_t uid)
{
	int to[2], from[2];
	char line[128];
	const char *path = helper_path(name);

	if (access(path, X_OK))
		return -1;
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (!t->pid) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(126);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	t->cmd = fdopen(to[1], "w");
	t->reply = fdopen(from[0], "r");
	setvbuf(t->cmd, NULL, _IONBF, 0);
	if (!fgets(line, sizeof(line), t->reply))
		return -1;
	if (sscanf(line, "ready %*d %llx", (unsigned long long *)&t->code) != 1)
		return -1;
	return 0;
}

int target_start(struct target *t)
{
	return target_start_as(t, "remotevm_target", 0);
}

/* Sends one command; 0 if the target answered ok (rest of line in reply). */
int target_do(struct target *t, char *reply, size_t len,
		     const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vfprintf(t->cmd, fmt, ap);
	va_end(ap);
	fputc('\n', t->cmd);
	if (!fgets(line, sizeof(line), t->reply))
		return -1;
	if (reply && len) {
		size_t n = strnlen(line + 3, len - 1);

		memcpy(reply, line + 3, n);
		reply[n] = 0;
	}
	return strncmp(line, "ok", 2) ? -1 : 0;
}

void target_stop(struct target *t)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	fclose(t->cmd);
	fclose(t->reply);
	t->pid = 0;
}

/* The target's own view of a byte: readable, writable. */
int target_probe(struct target *t, uint64_t addr, int *r, int *w)
{
	char reply[64];

	if (target_do(t, reply, sizeof(reply), "P %llx", (unsigned long long)addr))
		return -1;
	return sscanf(reply, "%d %d", r, w) == 2 ? 0 : -1;
}

/* The target reads [addr, addr+len): its first byte, -1 if not uniform. */
int target_read(struct target *t, uint64_t addr, uint64_t len)
{
	char reply[64];
	int byte, same;

	if (target_do(t, reply, sizeof(reply), "R %llx %llx",
		      (unsigned long long)addr, (unsigned long long)len) ||
	    sscanf(reply, "%x %d", &byte, &same) != 2)
		return -2;
	return same ? byte : -1;
}

int target_write(struct target *t, uint64_t addr, uint64_t len, int byte)
{
	return target_do(t, NULL, 0, "W %llx %llx %x", (unsigned long long)addr,
			 (unsigned long long)len, byte);
}

/* A range the target had mapped and unmapped: free, for explicit addresses. */
uint64_t target_hole(struct target *t, uint64_t len)
{
	char reply[64];
	unsigned long long addr;

	if (target_do(t, reply, sizeof(reply), "M %llx 0", (unsigned long long)len) ||
	    sscanf(reply, "%llx", &addr) != 1 ||
	    target_do(t, NULL, 0, "U %llx %llx", addr, (unsigned long long)len))
		return 0;
	return addr;
}
