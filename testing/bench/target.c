// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench: the target processes, and the local baseline they run.
 *
 * A target is this program re-executed (a fresh address space, as any
 * process has), its stdin the command pipe, its stdout the answers, fd 3
 * the shared memory. An idle target sleeps in read(), as a debuggee
 * waiting in its event loop does: that is also the case where ptrace
 * injection must cope with an interrupted system call.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

enum { CMD_LOCAL = 1, CMD_HOLD, CMD_PING };

struct target_cmd {
	uint32_t op;
	uint32_t batch;
	uint64_t size;
	uint64_t count;
	uint64_t token;
};

/*
 * count alloc+free pairs of size bytes, one pair at a time (batch 1) or
 * batch maps then batch unmaps. Only whole-loop and whole-phase times are
 * taken: a clock read per call would weigh on the 4 KiB case.
 */
int local_ops(uint64_t size, uint32_t batch, uint64_t count, struct timing *t)
{
	void *p[MAX_BATCH];
	uint64_t i;
	uint32_t j;
	int64_t t0, t1, t2;

	memset(t, 0, sizeof(*t));
	if (batch <= 1) {
		t0 = now_ns();
		for (i = 0; i < count; i++) {
			void *a = mmap(NULL, size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (a == MAP_FAILED || munmap(a, size))
				return -errno;
		}
		t->total = now_ns() - t0;
		return 0;
	}
	for (i = 0; i < count; i += batch) {
		t0 = now_ns();
		for (j = 0; j < batch; j++) {
			p[j] = mmap(NULL, size, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p[j] == MAP_FAILED)
				return -errno;
		}
		t1 = now_ns();
		for (j = 0; j < batch; j++)
			if (munmap(p[j], size))
				return -errno;
		t2 = now_ns();
		t->alloc += t1 - t0;
		t->release += t2 - t1;
	}
	t->total = t->alloc + t->release;
	return 0;
}

/* count mappings of size bytes the target makes and keeps. */
static int hold(uint64_t size, uint64_t count)
{
	while (count--)
		if (mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0) == MAP_FAILED)
			return -errno;
	return 0;
}

static int target_idle(void)
{
	struct target_reply r = { .value = getpid() };
	struct target_cmd c;
	struct timing t;

	write_all(1, &r, sizeof(r));
	while (read_all(0, &c, sizeof(c))) {
		memset(&r, 0, sizeof(r));
		switch (c.op) {
		case CMD_LOCAL:
			if (c.batch > MAX_BATCH || (c.batch > 1 && c.count % c.batch))
				r.error = EINVAL;
			else
				r.error = -local_ops(c.size, c.batch, c.count, &t);
			r.total = t.total;
			r.alloc = t.alloc;
			r.release = t.release;
			break;
		case CMD_HOLD:
			r.error = -hold(c.size, c.count);
			break;
		case CMD_PING:
			/* Proves the process runs on, intact, after injections. */
			r.value = (int64_t)c.token + 1;
			break;
		default:
			r.error = EINVAL;
		}
		write_all(1, &r, sizeof(r));
	}
	return 0;
}

/*
 * The spinning target: a counting loop that publishes its count. It
 * keeps its own copy in a register and checks at the end that the two
 * agree: registers or memory disturbed by an injection would show.
 */
static int target_spin(void)
{
	struct target_reply r = { .value = getpid() };
	uint64_t n = 0;

	write_all(1, &r, sizeof(r));
	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed))
		atomic_store_explicit(&sh->count, ++n, memory_order_relaxed);
	r.value = (int64_t)n;
	r.error = atomic_load(&sh->count) == n ? 0 : EIO;
	write_all(1, &r, sizeof(r));
	return r.error ? 1 : 0;
}

int target_main(const char *mode)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
	if (sh == MAP_FAILED)
		die("target: mmap shared");
	if (!strcmp(mode, "idle"))
		return target_idle();
	if (!strcmp(mode, "spin"))
		return target_spin();
	fail("unknown target mode %s", mode);
}

void target_reply(struct target *t, struct target_reply *r)
{
	if (!read_all(t->reply_fd, r, sizeof(*r)))
		fail("target %d closed its answers", (int)t->pid);
}

void target_spawn(struct target *t, const char *mode)
{
	struct target_reply r;
	int cmd[2], reply[2];

	if (pipe2(cmd, O_CLOEXEC) || pipe2(reply, O_CLOEXEC))
		die("pipe");
	t->pid = fork();
	if (t->pid < 0)
		die("fork");
	if (!t->pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* dup2() leaves FD_CLOEXEC off the new descriptor. */
		if (dup2(cmd[0], 0) < 0 || dup2(reply[1], 1) < 0 ||
		    (shm_fd == 3 ? fcntl(3, F_SETFD, 0) : dup2(shm_fd, 3)) < 0)
			_exit(126);
		execl("/proc/self/exe", "remotevm-bench", "--target", mode,
		      (char *)NULL);
		_exit(127);
	}
	close(cmd[0]);
	close(reply[1]);
	t->cmd_fd = cmd[1];
	t->reply_fd = reply[0];
	target_reply(t, &r);
	if (r.value != t->pid)
		fail("target %d did not start", (int)t->pid);
}

static void target_command(struct target *t, const struct target_cmd *c,
			   struct target_reply *r)
{
	write_all(t->cmd_fd, c, sizeof(*c));
	target_reply(t, r);
}

void target_local_ops(struct target *t, uint64_t size, uint32_t batch,
		      uint64_t count, struct timing *timing)
{
	struct target_cmd c = { .op = CMD_LOCAL, .batch = batch, .size = size,
				.count = count };
	struct target_reply r;

	target_command(t, &c, &r);
	if (r.error)
		fail("local loop in the target: %s", strerror(r.error));
	timing->total = r.total;
	timing->alloc = r.alloc;
	timing->release = r.release;
}

void target_hold(struct target *t, uint64_t size, uint64_t count)
{
	struct target_cmd c = { .op = CMD_HOLD, .size = size, .count = count };
	struct target_reply r;

	target_command(t, &c, &r);
	if (r.error)
		fail("mappings in the target: %s", strerror(r.error));
}

void target_ping(struct target *t, const char *what)
{
	struct target_cmd c = { .op = CMD_PING, .token = (uint64_t)now_ns() };
	struct target_reply r;

	target_command(t, &c, &r);
	if (r.error || r.value != (int64_t)c.token + 1)
		fail("%s: target %d answered wrongly after the run", what, (int)t->pid);
}

void target_kill(struct target *t)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, __WALL);
	close(t->cmd_fd);
	close(t->reply_fd);
	t->pid = 0;
}
