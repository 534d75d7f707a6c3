// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench: what one remote allocation costs through /dev/remotevm,
 * against the target doing it itself and against ptrace syscall injection
 * (what gdb, lldb-server and CRIU do today), all in one process run so that
 * the ratios compare like with like.
 *
 * One "op" is always one allocation AND its release (an alloc+free pair):
 *   local        a target process itself: mmap(NULL, size, RW, private
 *                anonymous) + munmap, timed by the target in its own loop.
 *                It runs in a twin of the remotevm target (same program,
 *                same layout) that nothing is attached to;
 *   local-attached  the same in the target remotevm is attached to, whose
 *                own munmap()s then also call remotevm's mmu_notifier;
 *   local-bN     N mmaps, then N munmaps (the VMA pattern a batch leaves:
 *                adjacent allocations merge, and each release splits), / N;
 *   ptrace-stopped  a PTRACE_SEIZEd target stopped once for the whole run:
 *                per op, set registers for mmap at a `syscall` instruction
 *                found in the target's libc, PTRACE_SINGLESTEP, read rax,
 *                then the same for munmap (the best case of injection);
 *   ptrace-running  per op: PTRACE_INTERRUPT, save registers, inject mmap
 *                and munmap as above, restore registers, PTRACE_CONT;
 *   rvm-single   REMOTEVM_IOC_ALLOC + REMOTEVM_IOC_FREE (MEM_RELEASE);
 *   rvm-bN       one REMOTEVM_IOC_BATCH of N allocs, then one of N frees:
 *                (time of both ioctls) / N; alike allocations share one
 *                vm_mmap(), releases of adjacent ones one vm_munmap();
 *   rvm-b64-unlike  the same, with ops ordered and typed so that none do;
 *   rvm-poll-*   the same on a handle attached with poll_us (POLL_US): its
 *                worker waits busy on the other CPU for the next request.
 * Each (method, size) runs R rounds of K ops (K calibrated so a round
 * lasts about --round-ms); the methods are interleaved round by round, so
 * slow drift of the (shared, emulated) machine hits all of them alike.
 * A ratio is the ratio of the medians; its spread, p10 .. p90 of the
 * per-round ratios (each round against its own "local").
 *
 * Also: (a) the throughput a running target keeps while the tool works on
 * it, (b) two tools on two targets against one, and the diagnostics that
 * show where a remote op's time goes (a no-op ioctl, a hand-off that does
 * no mm work, batches of such ops, the worker pinned to either CPU, a
 * handle on the tool's own mm, whose hand-off switches no page tables).
 *
 * usage: remotevm-bench [--csv FILE] [--kernel NAME] [--rounds N]
 *                       [--round-ms MS] [--ops-a N] [--quick]
 *                       [--only latency,diag,throughput,scaling]
 * (internally: remotevm-bench --target idle|spin)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/remotevm.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ROUNDS 101
#define MAX_BATCH 512
/* remotevm_attach.poll_us of the polling handles: well above the gap
 * between two requests of a tool's loop, even under TCG. */
#define POLL_US 50

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */
/* ------------------------------------------------------------------ */

static void __attribute__((noreturn, format(printf, 3, 4)))
fail_at(int line, bool with_errno, const char *fmt, ...)
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
/* die(): a call failed and errno says why; fail(): a result was wrong. */
#define die(...) fail_at(__LINE__, true, __VA_ARGS__)
#define fail(...) fail_at(__LINE__, false, __VA_ARGS__)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

static void write_all(int fd, const void *buf, size_t len)
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

/* Reads exactly len bytes; false at end of file before any byte. */
static bool read_all(int fd, void *buf, size_t len)
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stats {
	double median, p10, p90, mad;
	int n;
};

/* Linear interpolation between order statistics. */
static double percentile(const double *sorted, int n, double p)
{
	double pos = p * (n - 1);
	int i = (int)pos;

	if (i >= n - 1)
		return sorted[n - 1];
	return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

static struct stats summarise(const double *v, int n)
{
	double s[MAX_ROUNDS * 4], dev[MAX_ROUNDS * 4];
	struct stats st = { .n = n };
	int i;

	if (n <= 0)
		return st;
	memcpy(s, v, sizeof(*v) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	st.median = percentile(s, n, 0.5);
	st.p10 = percentile(s, n, 0.1);
	st.p90 = percentile(s, n, 0.9);
	for (i = 0; i < n; i++)
		dev[i] = s[i] > st.median ? s[i] - st.median : st.median - s[i];
	qsort(dev, (size_t)n, sizeof(*dev), cmp_double);
	st.mad = percentile(dev, n, 0.5);
	return st;
}

static void pin_to_cpu(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof(set), &set))
		die("sched_setaffinity(%d, cpu %d)", (int)pid, cpu);
}

static void unpin(pid_t pid)
{
	cpu_set_t set;
	long i, n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	if (sched_setaffinity(pid, sizeof(set), &set))
		die("sched_setaffinity(%d)", (int)pid);
}

/*
 * CPU 0 isolated as a deployment that keeps a latency-sensitive target
 * undisturbed would (tuna --isolate; isolcpus with housekeeping CPUs):
 * every kernel thread that may move, the unbound workqueues and the IRQs
 * go to CPU 1. Without it, the scheduler puts e.g. the RCU grace-period
 * kthread on the target's CPU, whoever caused the grace period.
 */
#define MAX_MOVED 4096

static struct {
	int n;
	pid_t pid[MAX_MOVED];
	cpu_set_t mask[MAX_MOVED];
	char irq_mask[MAX_MOVED][64];
	int irq[MAX_MOVED], nirq;
	char wq_mask[64];
} isolated;

static const char wq_cpumask[] = "/sys/devices/virtual/workqueue/cpumask";

static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok = f && fgets(buf, (int)len, f);

	if (f)
		fclose(f);
	return ok;
}

static bool write_line(const char *path, const char *value)
{
	FILE *f = fopen(path, "we");
	bool ok = f && fputs(value, f) >= 0;

	if (f && fclose(f))
		ok = false;
	return ok;
}

static void isolate_cpu0(void)
{
	char path[300], buf[1024], *p;
	cpu_set_t cpu1;
	struct dirent *d;
	DIR *dir;

	CPU_ZERO(&cpu1);
	CPU_SET(1, &cpu1);
	isolated.n = isolated.nirq = 0;
	dir = opendir("/proc");
	while (dir && (d = readdir(dir)) && isolated.n < MAX_MOVED) {
		pid_t pid = atoi(d->d_name);
		unsigned long flags;
		int i;

		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		if (pid <= 0 || !read_line(path, buf, sizeof(buf)) ||
		    !(p = strrchr(buf, ')')))
			continue;
		/* Field 9, flags, is the 7th after the comm: PF_KTHREAD. */
		for (i = 0; p && i < 7; i++)
			p = strchr(p + 1, ' ');
		if (!p || sscanf(p, " %lu", &flags) != 1 || !(flags & 0x00200000))
			continue;
		if (sched_getaffinity(pid, sizeof(cpu_set_t), &isolated.mask[isolated.n]) ||
		    !CPU_ISSET(1, &isolated.mask[isolated.n]) ||
		    sched_setaffinity(pid, sizeof(cpu1), &cpu1))
			continue;	/* per-CPU threads refuse */
		isolated.pid[isolated.n++] = pid;
	}
	if (dir)
		closedir(dir);
	dir = opendir("/proc/irq");
	while (dir && (d = readdir(dir)) && isolated.nirq < MAX_MOVED) {
		int irq = atoi(d->d_name);

		snprintf(path, sizeof(path), "/proc/irq/%s/smp_affinity_list", d->d_name);
		if (d->d_name[0] < '0' || d->d_name[0] > '9' ||
		    !read_line(path, isolated.irq_mask[isolated.nirq], 64) ||
		    !write_line(path, "1"))
			continue;
		isolated.irq[isolated.nirq++] = irq;
	}
	if (dir)
		closedir(dir);
	if (!read_line(wq_cpumask, isolated.wq_mask, sizeof(isolated.wq_mask)) ||
	    !write_line(wq_cpumask, "2"))
		isolated.wq_mask[0] = 0;
	fprintf(stderr, "isolated CPU 0: %d kernel threads, %d IRQs moved to CPU 1\n",
		isolated.n, isolated.nirq);
}

static void unisolate_cpu0(void)
{
	char path[64];
	int i;

	for (i = 0; i < isolated.n; i++)
		sched_setaffinity(isolated.pid[i], sizeof(cpu_set_t), &isolated.mask[i]);
	for (i = 0; i < isolated.nirq; i++) {
		snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", isolated.irq[i]);
		write_line(path, isolated.irq_mask[i]);
	}
	if (isolated.wq_mask[0])
		write_line(wq_cpumask, isolated.wq_mask);
}

/* A field "name:   value" of /proc/PID/status, or -1. */
static long proc_status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			value = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return value;
}

/* The target's run delay: ns it waited, runnable, while its CPU ran others. */
static int64_t proc_run_delay(pid_t pid)
{
	char path[64];
	unsigned long long run, delay = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &run, &delay) != 2)
		delay = 0;
	fclose(f);
	return (int64_t)delay;
}

/*
 * Inter-processor interrupts CPU cpu received so far: rescheduling,
 * function call and TLB shootdown (the rows RES, CAL, TLB).
 */
static long cpu_ipis(int cpu)
{
	char line[4096];
	long total = 0;
	FILE *f = fopen("/proc/interrupts", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		long v = 0;
		int i;

		while (*p == ' ')
			p++;
		if (strncmp(p, "RES:", 4) && strncmp(p, "CAL:", 4) && strncmp(p, "TLB:", 4))
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

/* ------------------------------------------------------------------ */
/* Memory shared by the tool, its targets and its helper processes    */
/* ------------------------------------------------------------------ */

struct shared {
	/* The spinning target's loop counter, alone on its cache line. */
	alignas(64) _Atomic uint64_t count;
	alignas(64) _Atomic int stop;
	/* Results of the helper tool processes of the scaling experiment. */
	struct {
		_Atomic uint64_t ops;
		_Atomic int64_t ns;
		_Atomic int error;
	} tools[2];
};

static struct shared *sh;
static int shm_fd = -1;

static void shared_create(void)
{
	shm_fd = memfd_create("remotevm-bench", 0);
	if (shm_fd < 0 || ftruncate(shm_fd, sizeof(*sh)))
		die("memfd");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
	if (sh == MAP_FAILED)
		die("mmap shared");
}

/* ------------------------------------------------------------------ */
/* The local baseline: mmap + munmap                                  */
/* ------------------------------------------------------------------ */

struct timing {
	int64_t total;	/* ns for all the ops of a round */
	int64_t alloc;	/* of which allocating (batched methods only) */
	int64_t release;	/* of which releasing (batched methods only) */
};

/*
 * count alloc+free pairs of size bytes, one pair at a time (batch 1) or
 * batch maps then batch unmaps. Only whole-loop and whole-phase times are
 * taken: a clock read per call would weigh on the 4 KiB case.
 */
static int local_ops(uint64_t size, uint32_t batch, uint64_t count,
		     struct timing *t)
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

/* ------------------------------------------------------------------ */
/* Targets                                                            */
/* ------------------------------------------------------------------ */

/*
 * A target is this program re-executed (a fresh address space, as any
 * process has), its stdin the command pipe, its stdout the answers, fd 3
 * the shared memory. An idle target sleeps in read(), as a debuggee
 * waiting in its event loop does: that is also the case where ptrace
 * injection must cope with an interrupted system call.
 */
enum { CMD_LOCAL = 1, CMD_PING, CMD_QUIT };

struct target_cmd {
	uint32_t op;
	uint32_t batch;
	uint64_t size;
	uint64_t count;
	uint64_t token;
};

struct target_reply {
	int64_t total, alloc, release;
	int64_t value;
	int32_t error;
	int32_t pad;
};

struct target {
	pid_t pid;
	int cmd_fd;
	int reply_fd;
};

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
		case CMD_PING:
			/* Proves the process runs on, intact, after injections. */
			r.value = (int64_t)c.token + 1;
			break;
		case CMD_QUIT:
			return 0;
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

static int target_main(const char *mode)
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

static void target_reply(struct target *t, struct target_reply *r)
{
	if (!read_all(t->reply_fd, r, sizeof(*r)))
		fail("target %d closed its answers", (int)t->pid);
}

static void target_spawn(struct target *t, const char *mode)
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

static void target_ping(struct target *t, const char *what)
{
	struct target_cmd c = { .op = CMD_PING, .token = (uint64_t)now_ns() };
	struct target_reply r;

	target_command(t, &c, &r);
	if (r.error || r.value != (int64_t)c.token + 1)
		fail("%s: target %d answered wrongly after the run", what, (int)t->pid);
}

static void target_kill(struct target *t)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, __WALL);
	close(t->cmd_fd);
	close(t->reply_fd);
	t->pid = 0;
}

/* ------------------------------------------------------------------ */
/* ptrace syscall injection, as lldb-server and gdb do it             */
/* ------------------------------------------------------------------ */

struct tracee {
	pid_t pid;
	unsigned long syscall_insn;	/* address of a 0f 05 in the target */
	struct user_regs_struct saved;	/* its registers at the stop */
	int pending_signal;		/* seen while injecting; delivered at resume */
	bool stopped;
};

/*
 * A `syscall` instruction (0f 05) the target already has: in its libc's
 * text, else in any executable mapping but [vsyscall] (emulated). Found
 * once, through /proc/PID/mem, as a debugger reading the target would.
 */
static unsigned long find_syscall_insn(pid_t pid)
{
	unsigned long found = 0;
	char path[64], line[512];
	int pass;

	for (pass = 0; pass < 2 && !found; pass++) {
		FILE *maps;
		int mem;

		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
		maps = fopen(path, "re");
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		mem = open(path, O_RDONLY | O_CLOEXEC);
		if (!maps || mem < 0)
			die("open /proc/%d/maps or mem", (int)pid);
		while (!found && fgets(line, sizeof(line), maps)) {
			unsigned long start, end, addr;
			char perms[8], name[400] = "";
			unsigned char buf[4096 + 1];

			if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %399s", &start,
				   &end, perms, name) < 3 || perms[2] != 'x' ||
			    !strcmp(name, "[vsyscall]") ||
			    (pass == 0 && !strstr(name, "/libc.so")))
				continue;
			for (addr = start; addr < end && !found; addr += 4096) {
				size_t len = end - addr < sizeof(buf) ? end - addr : sizeof(buf);
				ssize_t n = pread(mem, buf, len, (off_t)addr);
				ssize_t i;

				for (i = 0; i + 1 < n; i++)
					if (buf[i] == 0x0f && buf[i + 1] == 0x05) {
						found = addr + (unsigned long)i;
						break;
					}
			}
		}
		fclose(maps);
		close(mem);
	}
	if (!found)
		fail("no syscall instruction in target %d", (int)pid);
	return found;
}

static void tracee_seize(struct tracee *t, pid_t pid)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)PTRACE_O_EXITKILL))
		die("PTRACE_SEIZE %d", (int)pid);
	t->syscall_insn = find_syscall_insn(pid);
}

static int tracee_wait(struct tracee *t)
{
	int status;

	while (waitpid(t->pid, &status, __WALL) < 0)
		if (errno != EINTR)
			die("waitpid %d", (int)t->pid);
	if (!WIFSTOPPED(status))
		fail("tracee %d ended (status %#x)", (int)t->pid, status);
	return status;
}

/* Stops a running tracee and saves its registers. */
static void tracee_stop(struct tracee *t)
{
	if (ptrace(PTRACE_INTERRUPT, t->pid, 0, 0))
		die("PTRACE_INTERRUPT");
	for (;;) {
		int status = tracee_wait(t);

		if (status >> 16 == PTRACE_EVENT_STOP)
			break;
		/*
		 * A signal-delivery-stop came first: hold the signal back, as
		 * a debugger does, and deliver it when the target resumes.
		 */
		t->pending_signal = WSTOPSIG(status);
		if (ptrace(PTRACE_CONT, t->pid, 0, 0))
			die("PTRACE_CONT");
	}
	if (ptrace(PTRACE_GETREGS, t->pid, 0, &t->saved))
		die("PTRACE_GETREGS");
	t->stopped = true;
}

/*
 * Restores the registers saved at the stop and lets the target go on.
 * If the stop interrupted a system call (rax -ERESTARTSYS and friends,
 * orig_rax its number), the restored state makes the kernel restart it
 * exactly as it would have without us.
 */
static void tracee_resume(struct tracee *t)
{
	if (ptrace(PTRACE_SETREGS, t->pid, 0, &t->saved))
		die("PTRACE_SETREGS");
	if (ptrace(PTRACE_CONT, t->pid, 0, (void *)(long)t->pending_signal))
		die("PTRACE_CONT");
	t->pending_signal = 0;
	t->stopped = false;
}

#define ERESTARTSYS_	512
#define ERESTART_RESTARTBLOCK_ 516

/*
 * Runs one system call in the stopped tracee: registers from the saved
 * state, rip at the syscall instruction, orig_rax -1 so that the kernel
 * does not "restart" the call it had interrupted in our place; one
 * single-step executes exactly that instruction.
 */
static long tracee_syscall(struct tracee *t, long nr, unsigned long a1,
			   unsigned long a2, unsigned long a3, unsigned long a4,
			   unsigned long a5, unsigned long a6)
{
	struct user_regs_struct regs = t->saved;

	regs.rip = t->syscall_insn;
	regs.orig_rax = (unsigned long)-1;
	for (;;) {
		long ret;
		int status;

		regs.rax = (unsigned long)nr;
		regs.rdi = a1;
		regs.rsi = a2;
		regs.rdx = a3;
		regs.r10 = a4;
		regs.r8 = a5;
		regs.r9 = a6;
		regs.rip = t->syscall_insn;
		regs.orig_rax = (unsigned long)-1;
		if (ptrace(PTRACE_SETREGS, t->pid, 0, &regs))
			die("PTRACE_SETREGS");
		if (ptrace(PTRACE_SINGLESTEP, t->pid, 0, 0))
			die("PTRACE_SINGLESTEP");
		status = tracee_wait(t);
		if (ptrace(PTRACE_GETREGS, t->pid, 0, &regs))
			die("PTRACE_GETREGS");
		if (WSTOPSIG(status) != SIGTRAP || status >> 16) {
			/* Some other stop (a signal): keep it, retry if not run. */
			if (!(status >> 16))
				t->pending_signal = WSTOPSIG(status);
			if (regs.rip == t->syscall_insn)
				continue;
		}
		if (regs.rip != t->syscall_insn + 2)
			fail("tracee %d: single-step ended at %#llx", (int)t->pid,
			     (unsigned long long)regs.rip);
		ret = (long)regs.rax;
		/* Our own call interrupted (never for mmap/munmap here): redo it. */
		if (ret <= -ERESTARTSYS_ && ret >= -ERESTART_RESTARTBLOCK_)
			continue;
		return ret;
	}
}

static unsigned long tracee_mmap(struct tracee *t, uint64_t size)
{
	long ret = tracee_syscall(t, __NR_mmap, 0, size, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, (unsigned long)-1, 0);

	if (ret < 0 && ret > -4096)
		fail("injected mmap: %s", strerror((int)-ret));
	return (unsigned long)ret;
}

static void tracee_munmap(struct tracee *t, unsigned long addr, uint64_t size)
{
	long ret = tracee_syscall(t, __NR_munmap, addr, size, 0, 0, 0, 0);

	if (ret)
		fail("injected munmap: %s", strerror((int)-ret));
}

/* ------------------------------------------------------------------ */
/* remotevm                                                           */
/* ------------------------------------------------------------------ */

static int rvm_attach(pid_t pid, unsigned int poll_us)
{
	struct remotevm_api api = { .api = REMOTEVM_API };
	struct remotevm_attach attach = { .pid = (__u32)pid, .poll_us = poll_us };
	char path[64];
	int dev = open("/dev/remotevm", O_RDWR | O_CLOEXEC);

	if (dev < 0 || ioctl(dev, REMOTEVM_IOC_API, &api))
		die("/dev/remotevm");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	attach.mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (attach.mem_fd < 0 || ioctl(dev, REMOTEVM_IOC_ATTACH, &attach))
		die("attach to %d", (int)pid);
	close(attach.mem_fd);
	return dev;
}

static struct remotevm_alloc rvm_alloc_args(uint64_t size)
{
	return (struct remotevm_alloc){
		.size = size,
		.allocation_type = REMOTEVM_MEM_COMMIT | REMOTEVM_MEM_RESERVE,
		.page_protection = REMOTEVM_PAGE_READWRITE,
	};
}

static void rvm_pair(int dev, uint64_t size)
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
static void rvm_batched_pairs(int dev, uint64_t size, uint32_t n, bool unlike,
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

/* An address of the target's own mapping: [vsyscall]-free, always there. */
static unsigned long rvm_query_address;

static void rvm_query(int dev)
{
	struct remotevm_query q = { .address = rvm_query_address };

	if (ioctl(dev, REMOTEVM_IOC_QUERY, &q))
		die("REMOTEVM_IOC_QUERY");
}

static void rvm_query_batch(int dev, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		memset(&rvm_ops[i], 0, sizeof(rvm_ops[i]));
		rvm_ops[i].code = REMOTEVM_OP_QUERY;
		rvm_ops[i].query.address = rvm_query_address;
	}
	rvm_batch(dev, rvm_ops, n);
}

/*
 * The worker kthread of the newest handle attached to target (named
 * "remotevm/TGID"), if userspace may set its affinity; else 0.
 */
static pid_t find_worker(pid_t target)
{
	char want[32], path[64], comm[32];
	pid_t found = 0, pid;
	cpu_set_t set;
	FILE *f;

	snprintf(want, sizeof(want), "remotevm/%d", (int)target);
	want[15] = 0;		/* TASK_COMM_LEN */
	for (pid = target + 1; pid < target + 1000; pid++) {
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, want, strlen(want)) &&
		    (comm[strlen(want)] == '\n' || !comm[strlen(want)]))
			found = pid;
		fclose(f);
	}
	CPU_ZERO(&set);
	if (found && sched_getaffinity(found, sizeof(set), &set) == 0 &&
	    sched_setaffinity(found, sizeof(set), &set) == 0)
		return found;
	return 0;
}

/* Whether [addr, addr + size) is one mapping of pid with perms "rw-p". */
static bool target_has_mapping(pid_t pid, unsigned long addr, uint64_t size)
{
	char path[64], line[512];
	bool found = false;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "re");
	if (!maps)
		die("%s", path);
	while (!found && fgets(line, sizeof(line), maps)) {
		unsigned long start, end;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 &&
		    start <= addr && addr + size <= end && !strcmp(perms, "rw-p"))
			found = true;
	}
	fclose(maps);
	return found;
}

/* ------------------------------------------------------------------ */
/* The methods of the latency table                                   */
/* ------------------------------------------------------------------ */

enum method_kind { K_LOCAL, K_LOCAL_ATTACHED, K_PTRACE_STOPPED, K_PTRACE_RUNNING, K_RVM };

struct method {
	const char *name;
	const char *label;
	enum method_kind kind;
	uint32_t batch;
	bool poll;		/* on the polling handle */
	bool unlike;		/* batches whose ops share no mm operation */
};

static const struct method methods[] = {
	{ "local", "local mmap+munmap (in the target)", K_LOCAL, 1, false, false },
	{ "local-attached", "local, in a target remotevm is attached to", K_LOCAL_ATTACHED, 1, false, false },
	{ "local-b8", "local, 8 mmaps then 8 munmaps", K_LOCAL, 8, false, false },
	{ "local-b64", "local, 64 mmaps then 64 munmaps", K_LOCAL, 64, false, false },
	{ "local-b512", "local, 512 mmaps then 512 munmaps", K_LOCAL, 512, false, false },
	{ "ptrace-stopped", "ptrace injection, tracee kept stopped", K_PTRACE_STOPPED, 1, false, false },
	{ "ptrace-running", "ptrace injection, stop+resume per op", K_PTRACE_RUNNING, 1, false, false },
	{ "rvm-single", "remotevm ALLOC + FREE ioctls", K_RVM, 1, false, false },
	{ "rvm-b8", "remotevm BATCH of 8 (allocs, then frees)", K_RVM, 8, false, false },
	{ "rvm-b64", "remotevm BATCH of 64", K_RVM, 64, false, false },
	{ "rvm-b64-unlike", "remotevm BATCH of 64, ops not alike", K_RVM, 64, false, true },
	{ "rvm-b512", "remotevm BATCH of 512", K_RVM, 512, false, false },
	{ "rvm-poll-single", "remotevm ALLOC + FREE, polling worker", K_RVM, 1, true, false },
	{ "rvm-poll-b64", "remotevm BATCH of 64, polling worker", K_RVM, 64, true, false },
};
enum { M_LOCAL = 0, M_PTRACE_STOPPED = 5, M_RVM_SINGLE = 7, M_RVM_B64 = 9,
       M_RVM_POLL_SINGLE = 12, M_RVM_POLL_B64 = 13 };
#define NMETHODS ARRAY_SIZE(methods)

static const uint64_t sizes[] = { 4096, 65536, 2 << 20 };
#define NSIZES ARRAY_SIZE(sizes)

/* Diagnostics: per call, not per pair. */
struct diag {
	const char *name;
	const char *label;
};

static const struct diag diags[] = {
	{ "getppid", "a plain system call (getppid)" },
	{ "ioctl-api", "no-op ioctl: REMOTEVM_IOC_API (no hand-off)" },
	{ "rvm-query", "REMOTEVM_IOC_QUERY: one hand-off, no vm_mmap" },
	{ "rvm-query-b64", "BATCH of 64 QUERY ops, per op" },
	{ "rvm-query-b512", "BATCH of 512 QUERY ops, per op" },
	{ "inproc-local-4k", "mmap+munmap 4 KiB in the tool process" },
	/*
	 * The same with the worker kthread pinned from userspace (tool on
	 * CPU 1): on the tool's CPU, or on the other one. Tells what the
	 * cross-CPU wake-ups of a hand-off cost.
	 */
	{ "rvm-query-samecpu", "QUERY, worker pinned to the tool's CPU" },
	{ "rvm-query-othercpu", "QUERY, worker pinned to the other CPU" },
	{ "rvm-single-samecpu", "ALLOC+FREE 4 KiB pair, worker on tool's CPU" },
	{ "rvm-b64-samecpu", "BATCH 64 4 KiB pairs, worker on tool's CPU, per pair" },
	/*
	 * A handle attached to the tool itself: the worker adopts the mm the
	 * CPU already has loaded, so a hand-off switches no page tables.
	 */
	{ "rvm-query-self-samecpu", "QUERY of the tool's own mm, worker on tool's CPU" },
};
enum { D_GETPPID, D_IOCTL_API, D_QUERY, D_QUERY_B64, D_QUERY_B512, D_INPROC,
       D_QUERY_SAME, D_QUERY_OTHER, D_SINGLE_SAME, D_B64_SAME, D_QUERY_SELF_SAME };
#define NDIAGS ARRAY_SIZE(diags)

struct bench {
	/*
	 * The baseline runs in a twin of the remotevm target (same program,
	 * same layout) that nothing is attached to: an attached target's own
	 * munmap() also calls remotevm's mmu_notifier, a cost of its own
	 * ("local-attached").
	 */
	struct target local_target;	/* the remotevm target */
	struct target twin_target;
	struct target stopped_target, running_target;
	struct tracee stopped, running;
	int dev;
	int poll_dev;			/* a polling handle on the same target */
	pid_t worker;			/* the handle's kthread, 0 if not found */
	int self_dev;			/* a handle attached to the tool itself */
	pid_t self_worker;
	int rounds;
	int64_t round_ns;
	uint64_t ops[NMETHODS][NSIZES];	/* ops per round, calibrated */
	double us[NMETHODS][NSIZES][MAX_ROUNDS];	/* µs per op, per round */
	double alloc_us[NMETHODS][NSIZES][MAX_ROUNDS];
	double release_us[NMETHODS][NSIZES][MAX_ROUNDS];
	uint64_t diag_calls[NDIAGS];
	double diag_us[NDIAGS][MAX_ROUNDS];
};

static void run_method(struct bench *b, unsigned int m, uint64_t size,
		       uint64_t count, struct timing *t)
{
	const struct method *me = &methods[m];
	uint64_t i;
	int64_t t0;

	memset(t, 0, sizeof(*t));
	switch (me->kind) {
	case K_LOCAL:
	case K_LOCAL_ATTACHED: {
		struct target_cmd c = { .op = CMD_LOCAL, .batch = me->batch,
					.size = size, .count = count };
		struct target_reply r;

		target_command(me->kind == K_LOCAL ? &b->twin_target : &b->local_target,
			       &c, &r);
		if (r.error)
			fail("local loop in the target: %s", strerror(r.error));
		t->total = r.total;
		t->alloc = r.alloc;
		t->release = r.release;
		return;
	}
	case K_PTRACE_STOPPED:
		t0 = now_ns();
		for (i = 0; i < count; i++)
			tracee_munmap(&b->stopped, tracee_mmap(&b->stopped, size), size);
		t->total = now_ns() - t0;
		return;
	case K_PTRACE_RUNNING:
		t0 = now_ns();
		for (i = 0; i < count; i++) {
			tracee_stop(&b->running);
			tracee_munmap(&b->running, tracee_mmap(&b->running, size), size);
			tracee_resume(&b->running);
		}
		t->total = now_ns() - t0;
		return;
	case K_RVM: {
		int dev = me->poll ? b->poll_dev : b->dev;

		if (me->batch == 1) {
			t0 = now_ns();
			for (i = 0; i < count; i++)
				rvm_pair(dev, size);
			t->total = now_ns() - t0;
			return;
		}
		for (i = 0; i < count; i += me->batch)
			rvm_batched_pairs(dev, size, me->batch, me->unlike, t);
		return;
	}
	}
}

static uint32_t diag_batch(unsigned int d)
{
	return d == D_QUERY_B64 || d == D_B64_SAME ? 64 : d == D_QUERY_B512 ? 512 : 1;
}

static void run_diag(struct bench *b, unsigned int d, uint64_t count,
		     struct timing *t)
{
	struct remotevm_api api;
	uint64_t i;
	int64_t t0 = now_ns();

	memset(t, 0, sizeof(*t));
	switch (d) {
	case D_GETPPID:
		for (i = 0; i < count; i++)
			syscall(SYS_getppid);
		break;
	case D_IOCTL_API:
		for (i = 0; i < count; i++) {
			api = (struct remotevm_api){ .api = REMOTEVM_API };
			if (ioctl(b->dev, REMOTEVM_IOC_API, &api))
				die("REMOTEVM_IOC_API");
		}
		break;
	case D_QUERY:
		for (i = 0; i < count; i++)
			rvm_query(b->dev);
		break;
	case D_QUERY_B64:
	case D_QUERY_B512:
		for (i = 0; i < count; i += diag_batch(d))
			rvm_query_batch(b->dev, diag_batch(d));
		break;
	case D_INPROC:
		if (local_ops(4096, 1, count, t))
			die("mmap in the tool");
		return;
	case D_QUERY_SAME:
	case D_QUERY_OTHER:
	case D_SINGLE_SAME:
	case D_B64_SAME:
	case D_QUERY_SELF_SAME: {
		pid_t worker = d == D_QUERY_SELF_SAME ? b->self_worker : b->worker;
		int dev = d == D_QUERY_SELF_SAME ? b->self_dev : b->dev;

		if (!worker)
			return;
		pin_to_cpu(0, 1);
		pin_to_cpu(worker, d == D_QUERY_OTHER ? 0 : 1);
		t0 = now_ns();
		for (i = 0; i < count; i += diag_batch(d)) {
			if (d == D_SINGLE_SAME)
				rvm_pair(dev, 4096);
			else if (d == D_B64_SAME)
				rvm_batched_pairs(dev, 4096, 64, false, t);
			else
				rvm_query(dev);
		}
		t->total = now_ns() - t0;
		unpin(worker);
		unpin(0);
		return;
	}
	}
	t->total = now_ns() - t0;
}

/* Enough ops for a round of about round_ns, a multiple of the batch. */
static uint64_t calibrate(int64_t round_ns, int64_t probe_ns, uint64_t probe_ops,
			  uint32_t batch)
{
	double per_op = (double)(probe_ns > 0 ? probe_ns : 1) / (double)probe_ops;
	uint64_t n = (uint64_t)((double)round_ns / per_op);

	if (n < 4)
		n = 4;
	if (n > 200000)
		n = 200000;
	return (n + batch - 1) / batch * batch;
}

/* Sanity of every method once, before any timing. */
static void check_methods(struct bench *b)
{
	struct remotevm_alloc alloc = rvm_alloc_args(65536);
	struct remotevm_free release = { .free_type = REMOTEVM_MEM_RELEASE };
	unsigned long addr;

	addr = tracee_mmap(&b->stopped, 65536);
	if (!target_has_mapping(b->stopped.pid, addr, 65536))
		fail("injected mmap: no rw-p mapping at %#lx in the target", addr);
	tracee_munmap(&b->stopped, addr, 65536);
	if (target_has_mapping(b->stopped.pid, addr, 65536))
		fail("injected munmap left the mapping at %#lx", addr);

	if (ioctl(b->dev, REMOTEVM_IOC_ALLOC, &alloc))
		die("REMOTEVM_IOC_ALLOC");
	if (!target_has_mapping(b->local_target.pid, alloc.allocated_address, 65536))
		fail("remotevm alloc: no rw-p mapping in the target");
	release.address = alloc.allocated_address;
	if (ioctl(b->dev, REMOTEVM_IOC_FREE, &release))
		die("REMOTEVM_IOC_FREE");
}

static void latency_setup(struct bench *b)
{
	char path[64], line[256];
	FILE *maps;

	target_spawn(&b->local_target, "idle");
	target_spawn(&b->twin_target, "idle");
	target_spawn(&b->stopped_target, "idle");
	target_spawn(&b->running_target, "idle");
	b->dev = rvm_attach(b->local_target.pid, 0);
	b->self_dev = rvm_attach(getpid(), 0);
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		b->worker = find_worker(b->local_target.pid);
		b->self_worker = find_worker(getpid());
	}
	/* After find_worker(), which takes the newest handle's worker. */
	b->poll_dev = rvm_attach(b->local_target.pid, POLL_US);
	tracee_seize(&b->stopped, b->stopped_target.pid);
	tracee_seize(&b->running, b->running_target.pid);
	/* Stopped once, for the whole measurement: the best case of ptrace. */
	tracee_stop(&b->stopped);

	/* QUERY the first mapping of the target: its executable. */
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)b->local_target.pid);
	maps = fopen(path, "re");
	if (!maps || !fgets(line, sizeof(line), maps) ||
	    sscanf(line, "%lx", &rvm_query_address) != 1)
		die("%s", path);
	fclose(maps);
	check_methods(b);
}

static void latency_teardown(struct bench *b)
{
	/* Proof that injection left both tracees as they were. */
	tracee_resume(&b->stopped);
	target_ping(&b->stopped_target, "ptrace-stopped");
	target_ping(&b->running_target, "ptrace-running");
	target_ping(&b->local_target, "remotevm");
	target_ping(&b->twin_target, "local");
	close(b->dev);
	close(b->poll_dev);
	close(b->self_dev);
	target_kill(&b->stopped_target);
	target_kill(&b->running_target);
	target_kill(&b->local_target);
	target_kill(&b->twin_target);
}

static void latency_run(struct bench *b, bool with_diag)
{
	struct timing t;
	unsigned int m, s, d;
	int r;

	/* Warm-up and calibration: one probe of each (method, size). */
	for (s = 0; s < NSIZES; s++)
		for (m = 0; m < NMETHODS; m++) {
			uint32_t batch = methods[m].batch;
			uint64_t probe = batch > 1 ? batch : 16;

			run_method(b, m, sizes[s], probe, &t);
			run_method(b, m, sizes[s], probe, &t);
			b->ops[m][s] = calibrate(b->round_ns, t.total, probe, batch);
		}
	for (d = 0; with_diag && d < NDIAGS; d++) {
		uint32_t batch = diag_batch(d);
		uint64_t probe = batch > 1 ? batch : 16;

		run_diag(b, d, probe, &t);
		run_diag(b, d, probe, &t);
		b->diag_calls[d] = calibrate(b->round_ns, t.total, probe, batch);
	}

	for (r = 0; r < b->rounds; r++) {
		fprintf(stderr, "\rround %d/%d", r + 1, b->rounds);
		for (s = 0; s < NSIZES; s++)
			for (m = 0; m < NMETHODS; m++) {
				double n = (double)b->ops[m][s];

				run_method(b, m, sizes[s], b->ops[m][s], &t);
				b->us[m][s][r] = (double)t.total / n / 1000;
				b->alloc_us[m][s][r] = (double)t.alloc / n / 1000;
				b->release_us[m][s][r] = (double)t.release / n / 1000;
			}
		for (d = 0; with_diag && d < NDIAGS; d++) {
			run_diag(b, d, b->diag_calls[d], &t);
			b->diag_us[d][r] = (double)t.total / (double)b->diag_calls[d] / 1000;
		}
	}
	fprintf(stderr, "\n");
}

/* ------------------------------------------------------------------ */
/* Results: the human table and the CSV                               */
/* ------------------------------------------------------------------ */

static FILE *csv;
static const char *kernel_name;

/* What the targets of issue 6 are checked against. */
static struct {
	struct stats b64_vs_local[NSIZES];	/* rvm-b64 / local */
	struct stats ptrace_vs_single[NSIZES];	/* ptrace-stopped / rvm-single */
	struct stats poll_b64_vs_local[NSIZES];
	struct stats ptrace_vs_poll_single[NSIZES];
	/* The running target, [0] as it is, [1] with its CPU isolated. */
	struct {
		struct stats stolen[3], lost[3];	/* A_CHECKED phases */
		struct stats control_stolen, control_lost;
		bool have;
	} running[2];
	struct stats loss_ptrace, loss_noise;
	struct stats scale[3];			/* two tools / one */
	bool have_latency, have_scaling;
} checks;
static char kernel_release[65];

static void csv_row(const char *experiment, const char *method, uint64_t size,
		    uint32_t batch, const char *metric, struct stats st,
		    uint64_t n, const char *target, const char *verdict)
{
	if (!csv)
		return;
	fprintf(csv, "%s,%s,%s,%s,%" PRIu64 ",%u,%s,%.4f,%.4f,%.4f,%.4f,%d,%" PRIu64
		",%s,%s\n", kernel_name, kernel_release, experiment, method, size,
		batch, metric, st.median, st.p10, st.p90, st.mad, st.n, n,
		target ? target : "", verdict ? verdict : "");
}

static const char *size_name(uint64_t size)
{
	static char buf[4][32];
	static int i;
	char *s = buf[i++ % 4];

	if (size >= (1 << 20))
		snprintf(s, 32, "%" PRIu64 " MiB", size >> 20);
	else
		snprintf(s, 32, "%" PRIu64 " KiB", size >> 10);
	return s;
}

/*
 * a/b: the ratio of the medians (robust to the independent spikes an
 * emulated, shared machine gives each method), with the spread of the
 * per-round ratios (each round compared with itself) as p10 .. p90.
 */
static struct stats ratio_stats(const double *a, const double *b, int n)
{
	double v[MAX_ROUNDS];
	struct stats st;
	int i;

	for (i = 0; i < n; i++)
		v[i] = a[i] / b[i];
	st = summarise(v, n);
	st.median = summarise(a, n).median / summarise(b, n).median;
	return st;
}

static void latency_report(struct bench *b, bool with_diag)
{
	unsigned int m, s, d;

	printf("\n== Cost of one alloc+free pair (\"op\"), %d rounds, median [p10 .. p90]\n",
	       b->rounds);
	printf("   absolute times are TCG (emulated) microseconds: compare the ratios;\n"
	       "   x local = ratio of the medians, [p10 .. p90] of the per-round ratios\n");
	for (s = 0; s < NSIZES; s++) {
		printf("\n%-8s %-42s %10s %21s %8s %19s\n", size_name(sizes[s]),
		       "method", "us/op", "[p10 .. p90]", "x local", "[p10 .. p90]");
		for (m = 0; m < NMETHODS; m++) {
			struct stats st = summarise(b->us[m][s], b->rounds);
			struct stats ra = ratio_stats(b->us[m][s], b->us[M_LOCAL][s],
						      b->rounds);

			printf("%-8s %-42s %10.2f [%8.2f .. %8.2f] %8.2f [%7.2f .. %7.2f]\n",
			       "", methods[m].label, st.median, st.p10, st.p90,
			       ra.median, ra.p10, ra.p90);
			csv_row("latency", methods[m].name, sizes[s], methods[m].batch,
				"us_per_op", st, b->ops[m][s], NULL, NULL);
			csv_row("latency", methods[m].name, sizes[s], methods[m].batch,
				"ratio_vs_local", ra, b->ops[m][s], NULL, NULL);
			if (methods[m].batch > 1) {
				csv_row("latency", methods[m].name, sizes[s],
					methods[m].batch, "alloc_us_per_op",
					summarise(b->alloc_us[m][s], b->rounds),
					b->ops[m][s], NULL, NULL);
				csv_row("latency", methods[m].name, sizes[s],
					methods[m].batch, "free_us_per_op",
					summarise(b->release_us[m][s], b->rounds),
					b->ops[m][s], NULL, NULL);
			}
		}
	}

	for (s = 0; s < NSIZES; s++) {
		checks.b64_vs_local[s] = ratio_stats(b->us[M_RVM_B64][s],
						     b->us[M_LOCAL][s], b->rounds);
		checks.ptrace_vs_single[s] = ratio_stats(b->us[M_PTRACE_STOPPED][s],
							 b->us[M_RVM_SINGLE][s],
							 b->rounds);
		checks.poll_b64_vs_local[s] = ratio_stats(b->us[M_RVM_POLL_B64][s],
							  b->us[M_LOCAL][s], b->rounds);
		checks.ptrace_vs_poll_single[s] =
			ratio_stats(b->us[M_PTRACE_STOPPED][s],
				    b->us[M_RVM_POLL_SINGLE][s], b->rounds);
	}
	checks.have_latency = true;

	printf("\n== Where a remote op's time goes (batched: alloc half | free half, us per op;\n"
	       "   x same pattern: remotevm batch N against the local N mmaps + N munmaps)\n");
	for (s = 0; s < NSIZES; s++)
		for (m = 0; m < NMETHODS; m++) {
			unsigned int twin;

			if (methods[m].batch == 1)
				continue;
			printf("%-8s %-42s alloc %8.2f  free %8.2f", size_name(sizes[s]),
			       methods[m].label,
			       summarise(b->alloc_us[m][s], b->rounds).median,
			       summarise(b->release_us[m][s], b->rounds).median);
			for (twin = 0; twin < NMETHODS; twin++)
				if (methods[twin].kind == K_LOCAL &&
				    methods[twin].batch == methods[m].batch)
					break;
			if (methods[m].kind == K_RVM && twin < NMETHODS) {
				struct stats ra = ratio_stats(b->us[m][s], b->us[twin][s],
							      b->rounds);

				printf("  x same pattern %5.2f [%5.2f .. %5.2f]", ra.median,
				       ra.p10, ra.p90);
				csv_row("latency", methods[m].name, sizes[s], methods[m].batch,
					"ratio_vs_local_same_pattern", ra, b->ops[m][s], NULL,
					NULL);
			}
			printf("\n");
		}
	if (!with_diag)
		return;
	printf("\n%-52s %10s %21s\n", "per call", "us", "[p10 .. p90]");
	for (d = 0; d < NDIAGS; d++) {
		struct stats st = summarise(b->diag_us[d], b->rounds);

		if (!st.median) {	/* the worker could not be pinned */
			printf("%-52s %10s\n", diags[d].label, "n/a");
			continue;
		}
		printf("%-52s %10.2f [%8.2f .. %8.2f]\n", diags[d].label, st.median,
		       st.p10, st.p90);
		csv_row("diag", diags[d].name, 0, diag_batch(d), "us_per_call", st,
			b->diag_calls[d], NULL, NULL);
	}
	{
		double handoff[MAX_ROUNDS];
		int r;

		for (r = 0; r < b->rounds; r++)
			handoff[r] = b->diag_us[D_QUERY][r] - b->diag_us[D_IOCTL_API][r];
		struct stats st = summarise(handoff, b->rounds);

		printf("%-52s %10.2f [%8.2f .. %8.2f]\n",
		       "=> hand-off to the worker (QUERY - no-op ioctl)", st.median,
		       st.p10, st.p90);
		csv_row("diag", "handoff", 0, 1, "us_per_call", st, 0, NULL, NULL);
	}
}

/* ------------------------------------------------------------------ */
/* (a) The running target's own throughput                            */
/* ------------------------------------------------------------------ */

/*
 * Two controls: the tool asleep, and the tool spinning in user space.
 * Under TCG on a shared host, a busy vCPU of the tool takes host CPU from
 * the target's vCPU whatever the tool does; the spinning control has the
 * same load, so "lost vs spinning control" is what the work itself costs
 * the target inside the guest, as it would on real cores.
 */
/*
 * A third control: the tool churns its own address space (mmap+munmap)
 * as much. Any mm change queues RCU callbacks (maple tree nodes, VMAs on
 * 6.12) whose grace periods need the kernel's RCU kthread, which may run
 * on the target's CPU: that share is the kernel's, not remotevm's.
 */
enum { A_SLEEP, A_SPIN, A_LOCAL_TOOL, A_RVM_SINGLE, A_RVM_B64, A_RVM_SAMECPU, A_PTRACE,
       A_RVM_POLL_SINGLE, A_PHASES };
static const char *const a_names[] = {
	"control-sleep", "control-spin", "control-tool-mmap", "rvm-single", "rvm-b64",
	"rvm-single-samecpu", "ptrace-running", "rvm-poll-single",
};
static const char *const a_labels[] = {
	"control: tool sleeps", "control: tool spins in user space",
	"control: tool mmap+munmap in itself", "remotevm ALLOC+FREE ioctls",
	"remotevm BATCH of 64", "remotevm ALLOC+FREE, worker on tool's CPU",
	"ptrace injection, stop+resume per op", "remotevm ALLOC+FREE, polling handle",
};

struct phase {
	double rate;		/* target iterations per second */
	uint64_t ops;		/* alloc+free pairs the tool made */
	double tool_us_per_op;
	long preempted;		/* target's involuntary context switches */
	double stolen_pct;	/* % of the phase the target waited for its CPU */
	long ipis;		/* IPIs its CPU (0) received */
};

struct a_env {
	int dev;
	int poll_dev;
	pid_t worker;
	struct tracee tracee;
	pid_t target;
	int64_t control_ns;
	int64_t max_ns;		/* a busy phase ends after ops or this long */
};

static struct phase a_phase(struct a_env *e, int kind, uint64_t ops)
{
	long cs0 = proc_status_field(e->target, "nonvoluntary_ctxt_switches");
	int64_t delay0 = proc_run_delay(e->target);
	long ipi0 = cpu_ipis(0);
	uint64_t c0 = atomic_load(&sh->count), i;
	int64_t t0 = now_ns(), t1;
	struct phase ph = { 0 };
	struct timing t = { 0 };

	switch (kind) {
	case A_SLEEP:
		sleep_ns(e->control_ns);
		ops = 0;
		break;
	case A_SPIN:
		while (now_ns() - t0 < e->control_ns)
			;
		ops = 0;
		break;
	case A_RVM_SINGLE:
	case A_RVM_SAMECPU:
	case A_RVM_POLL_SINGLE:
		if (kind == A_RVM_SAMECPU)
			pin_to_cpu(e->worker, 1);
		for (i = 0; i < ops && now_ns() - t0 < e->max_ns; i++)
			rvm_pair(kind == A_RVM_POLL_SINGLE ? e->poll_dev : e->dev, 4096);
		if (kind == A_RVM_SAMECPU)
			unpin(e->worker);
		ops = i;
		break;
	case A_LOCAL_TOOL:
		for (i = 0; i < ops && now_ns() - t0 < e->max_ns; i++)
			if (local_ops(4096, 1, 1, &t))
				die("mmap");
		ops = i;
		break;
	case A_RVM_B64:
		for (i = 0; i < ops && now_ns() - t0 < e->max_ns; i += 64)
			rvm_batched_pairs(e->dev, 4096, 64, false, &t);
		ops = i;
		break;
	case A_PTRACE:
		for (i = 0; i < ops && now_ns() - t0 < e->max_ns; i++) {
			tracee_stop(&e->tracee);
			tracee_munmap(&e->tracee, tracee_mmap(&e->tracee, 4096), 4096);
			tracee_resume(&e->tracee);
		}
		ops = i;
		break;
	}
	t1 = now_ns();
	ph.rate = (double)(atomic_load(&sh->count) - c0) * 1e9 / (double)(t1 - t0);
	ph.ops = ops;
	ph.tool_us_per_op = ops ? (double)(t1 - t0) / (double)ops / 1000 : 0;
	ph.preempted = proc_status_field(e->target, "nonvoluntary_ctxt_switches") - cs0;
	ph.stolen_pct = 100.0 * (double)(proc_run_delay(e->target) - delay0) /
			(double)(t1 - t0);
	ph.ipis = cpu_ipis(0) - ipi0;
	return ph;
}

/* The phases the targets are checked on, and their names there. */
static const int a_checked[] = { A_RVM_SINGLE, A_RVM_B64, A_RVM_POLL_SINGLE };
static const char *const a_checked_names[] = { "rvm_single", "rvm_b64", "rvm_poll_single" };
static const char *const a_checked_labels[] = {
	"remotevm single", "remotevm batch 64", "polling handle, single",
};

/* Phases not run with CPU 0 isolated: nothing new to learn from them. */
static bool a_skipped(int kind, bool isolate, pid_t worker)
{
	return (kind == A_RVM_SAMECPU && (isolate || !worker)) ||
	       (kind == A_PTRACE && isolate);
}

static void throughput_run(int rounds, uint64_t ops, bool isolate)
{
	const char *experiment = isolate ? "throughput-isolated" : "throughput";
	/* [k][r]: phase k of round r, % lost against each control */
	static double vs_spin[A_PHASES][MAX_ROUNDS], vs_sleep[A_PHASES][MAX_ROUNDS];
	static double preempted[A_PHASES][MAX_ROUNDS], tool_us[A_PHASES][MAX_ROUNDS];
	static double stolen[A_PHASES][MAX_ROUNDS], ipis[A_PHASES][MAX_ROUNDS];
	static double done[A_PHASES][MAX_ROUNDS];
	static double rate_sleep[MAX_ROUNDS], rate_spin[MAX_ROUNDS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct a_env e = { .control_ns = 300 * 1000000LL, .max_ns = 8000 * 1000000LL };
	struct target_reply reply;
	struct target spin;
	int r, k, nspin;
	bool pin = ncpu >= 2;

	atomic_store(&sh->stop, 0);
	atomic_store(&sh->count, 0);
	target_spawn(&spin, "spin");
	e.target = spin.pid;
	/*
	 * The target owns CPU 0, the tool CPU 1: what the target loses is
	 * then what the work done on its behalf takes from it, wherever the
	 * kernel runs that work (remotevm's worker is not pinned).
	 */
	if (pin) {
		pin_to_cpu(spin.pid, 0);
		pin_to_cpu(0, 1);
	}
	e.dev = rvm_attach(spin.pid, 0);
	e.worker = pin ? find_worker(spin.pid) : 0;
	e.poll_dev = rvm_attach(spin.pid, POLL_US);
	tracee_seize(&e.tracee, spin.pid);
	isolate = isolate && pin;
	if (isolate)
		isolate_cpu0();
	sleep_ns(e.control_ns);	/* let it settle on its CPU */

	for (r = 0; r < rounds; r++) {
		struct phase sleep_before, spin_before, ph;

		fprintf(stderr, "\rthroughput round %d/%d", r + 1, rounds);
		sleep_before = a_phase(&e, A_SLEEP, 0);
		spin_before = a_phase(&e, A_SPIN, 0);
		stolen[A_SLEEP][r] = sleep_before.stolen_pct;
		stolen[A_SPIN][r] = spin_before.stolen_pct;
		ipis[A_SLEEP][r] = (double)sleep_before.ipis;
		ipis[A_SPIN][r] = (double)spin_before.ipis;
		preempted[A_SLEEP][r] = (double)sleep_before.preempted;
		preempted[A_SPIN][r] = (double)spin_before.preempted;
		rate_sleep[r] = sleep_before.rate;
		rate_spin[r] = spin_before.rate;
		nspin = 0;
		for (k = A_LOCAL_TOOL; k < A_PHASES; k++) {
			struct phase sleep_after, spin_after;

			if (a_skipped(k, isolate, e.worker))
				continue;
			ph = a_phase(&e, k, ops);
			sleep_after = a_phase(&e, A_SLEEP, 0);
			spin_after = a_phase(&e, A_SPIN, 0);
			vs_sleep[k][r] = 100 * (1 - ph.rate /
					 ((sleep_before.rate + sleep_after.rate) / 2));
			vs_spin[k][r] = 100 * (1 - ph.rate /
					((spin_before.rate + spin_after.rate) / 2));
			preempted[k][r] = (double)ph.preempted;
			tool_us[k][r] = ph.tool_us_per_op;
			stolen[k][r] = ph.stolen_pct;
			ipis[k][r] = (double)ph.ipis;
			done[k][r] = (double)ph.ops;
			/* The noise floor: a control phase against the next one. */
			if (!nspin++) {
				vs_sleep[A_SLEEP][r] = 100 * (1 - sleep_after.rate / sleep_before.rate);
				vs_spin[A_SPIN][r] = 100 * (1 - spin_after.rate / spin_before.rate);
				vs_spin[A_SLEEP][r] = 100 * (1 - sleep_before.rate / spin_before.rate);
			}
			sleep_before = sleep_after;
			spin_before = spin_after;
		}
	}
	fprintf(stderr, "\n");

	/* The target must have run on undisturbed. */
	atomic_store(&sh->stop, 1);
	target_reply(&spin, &reply);
	if (reply.error)
		fail("spinning target: its count is off after the run");
	close(e.dev);
	close(e.poll_dev);
	target_kill(&spin);
	if (isolate)
		unisolate_cpu0();
	if (pin)
		unpin(0);

	printf("\n== (a) The running target's loop throughput while the tool works on it%s\n",
	       isolate ? ",\n   CPU 0 isolated (kernel threads, unbound workqueues, IRQs on CPU 1)" : "");
	printf("   %" PRIu64 " alloc+free pairs of 4 KiB per phase (or %.0f s), %d rounds%s\n",
	       ops, (double)e.max_ns / 1e9, rounds,
	       pin ? "; target pinned to CPU 0, tool to CPU 1" : "");
	printf("   target: %.3g iterations/s with the tool asleep, %.3g with it spinning\n",
	       summarise(rate_sleep, rounds).median, summarise(rate_spin, rounds).median);
	printf("   %% lost: the target's iterations/s against the controls around the\n"
	       "   phase (wall clock: includes host contention under TCG); stolen: %% of\n"
	       "   the phase the target was runnable but its CPU ran something else in\n"
	       "   the guest (schedstat run delay, exact); IPIs, preemptions: on its CPU\n");
	printf("%-42s %7s %17s %7s %17s %7s %6s %7s %8s %6s\n", "tool activity",
	       "% lost", "vs spin [p10..p90]", "% lost", "vs sleep", "stolen%",
	       "IPIs", "preempt", "tool us", "ops");
	for (k = 0; k < A_PHASES; k++) {
		struct stats sp = summarise(vs_spin[k], rounds);
		struct stats sl = summarise(vs_sleep[k], rounds);
		struct stats pre = summarise(preempted[k], rounds);
		struct stats tu = summarise(tool_us[k], rounds);
		struct stats st = summarise(stolen[k], rounds);
		struct stats ip = summarise(ipis[k], rounds);
		uint32_t batch = k == A_RVM_B64 ? 64 : 1;
		uint64_t n = k <= A_SPIN ? 0 : (uint64_t)summarise(done[k], rounds).median;

		if (a_skipped(k, isolate, e.worker))
			continue;
		/* Controls: against the spinning control, and the next of its kind. */
		printf("%-42s %7.2f [%6.2f..%6.2f] %7.2f [%6.2f..%6.2f] %7.3f %6.0f %7.0f %8.2f %6" PRIu64 "\n",
		       k == A_SLEEP ? "control: tool sleeps" :
		       k == A_SPIN ? "control: tool spins (vs the next)" : a_labels[k],
		       sp.median, sp.p10, sp.p90, k == A_SPIN ? 0 : sl.median,
		       k == A_SPIN ? 0 : sl.p10, k == A_SPIN ? 0 : sl.p90,
		       st.median, ip.median, pre.median, tu.median, n);
		if (k != A_SLEEP)
			csv_row(experiment, a_names[k], 4096, batch, "pct_lost_vs_spin",
				sp, n, NULL, NULL);
		if (k != A_SPIN)
			csv_row(experiment, a_names[k], 4096, batch, "pct_lost_vs_sleep",
				sl, n, NULL, NULL);
		csv_row(experiment, a_names[k], 4096, batch, "pct_stolen", st, n,
			NULL, NULL);
		csv_row(experiment, a_names[k], 4096, batch, "ipis_on_target_cpu", ip,
			n, NULL, NULL);
		csv_row(experiment, a_names[k], 4096, batch, "target_preemptions", pre,
			n, NULL, NULL);
		if (n)
			csv_row(experiment, a_names[k], 4096, batch, "tool_us_per_op", tu,
				n, NULL, NULL);
	}
	for (k = 0; k < (int)ARRAY_SIZE(a_checked); k++) {
		checks.running[isolate].stolen[k] = summarise(stolen[a_checked[k]], rounds);
		checks.running[isolate].lost[k] = summarise(vs_spin[a_checked[k]], rounds);
	}
	checks.running[isolate].control_stolen = summarise(stolen[A_LOCAL_TOOL], rounds);
	checks.running[isolate].control_lost = summarise(vs_spin[A_LOCAL_TOOL], rounds);
	checks.running[isolate].have = true;
	if (!isolate) {
		checks.loss_ptrace = summarise(vs_spin[A_PTRACE], rounds);
		checks.loss_noise = summarise(vs_spin[A_SPIN], rounds);
	}
}

/* ------------------------------------------------------------------ */
/* (b) Two tools on two targets at once, against one                  */
/* ------------------------------------------------------------------ */

enum { S_RVM_SINGLE, S_RVM_B64, S_LOCAL, S_KINDS };
static const char *const s_names[] = { "rvm-single", "rvm-b64", "local-inproc" };
static const char *const s_labels[] = {
	"remotevm ALLOC+FREE ioctls", "remotevm BATCH of 64",
	"control: each tool mmap+munmap in itself",
};

/*
 * One tool process: its own handle on its own target, attached before
 * the start; runs ops for duration_ns from the moment the go pipe closes.
 */
static void scaling_tool(int slot, int kind, pid_t target, int ready_fd,
			 int go_fd, int64_t duration_ns)
{
	int dev = kind == S_LOCAL ? -1 : rvm_attach(target, 0);
	struct timing t = { 0 };
	uint64_t ops = 0;
	int64_t t0, t1;
	char c = 'r';
	int i;

	write_all(ready_fd, &c, 1);
	if (read(go_fd, &c, 1) != 0)
		_exit(1);
	t0 = now_ns();
	do {
		for (i = 0; i < 8; i++) {
			switch (kind) {
			case S_RVM_SINGLE:
				rvm_pair(dev, 4096);
				ops++;
				break;
			case S_RVM_B64:
				rvm_batched_pairs(dev, 4096, 64, false, &t);
				ops += 64;
				break;
			case S_LOCAL:
				if (local_ops(4096, 1, 1, &t))
					_exit(1);
				ops++;
				break;
			}
		}
		t1 = now_ns();
	} while (t1 - t0 < duration_ns);
	atomic_store(&sh->tools[slot].ops, ops);
	atomic_store(&sh->tools[slot].ns, t1 - t0);
	_exit(0);
}

/* ops/s of ntools tools running at once, summed. */
static double scaling_once(int kind, int ntools, const struct target *targets,
			   int64_t duration_ns)
{
	pid_t pids[2];
	int ready[2], go[2], i;
	double total = 0;
	char c;

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		die("pipe");
	for (i = 0; i < ntools; i++) {
		atomic_store(&sh->tools[i].ops, 0);
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (!pids[i]) {
			close(go[1]);
			scaling_tool(i, kind, targets[i].pid, ready[1], go[0],
				     duration_ns);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < ntools; i++)
		if (read(ready[0], &c, 1) != 1)
			fail("a tool process failed to start");
	close(go[1]);	/* every tool starts now */
	for (i = 0; i < ntools; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			fail("tool process %d failed", i);
		total += (double)atomic_load(&sh->tools[i].ops) * 1e9 /
			 (double)atomic_load(&sh->tools[i].ns);
	}
	close(ready[0]);
	return total;
}

static void scaling_run(int rounds)
{
	double one[S_KINDS][MAX_ROUNDS], two[S_KINDS][MAX_ROUNDS];
	struct target targets[2];
	int64_t duration_ns = 400 * 1000000LL;
	int r, k;

	target_spawn(&targets[0], "idle");
	target_spawn(&targets[1], "idle");
	for (r = 0; r < rounds; r++) {
		fprintf(stderr, "\rscaling round %d/%d", r + 1, rounds);
		for (k = 0; k < S_KINDS; k++) {
			one[k][r] = scaling_once(k, 1, targets, duration_ns);
			two[k][r] = scaling_once(k, 2, targets, duration_ns);
		}
	}
	fprintf(stderr, "\n");
	target_ping(&targets[0], "scaling");
	target_ping(&targets[1], "scaling");
	target_kill(&targets[0]);
	target_kill(&targets[1]);

	printf("\n== (b) Two tools on two targets at once, against one (4 KiB pairs, %d rounds)\n",
	       rounds);
	printf("   %ld CPUs; each tool its own process, handle and target\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-44s %12s %12s %8s %19s\n", "tools do", "1 tool op/s", "2 tools op/s",
	       "ratio", "[p10 .. p90]");
	for (k = 0; k < S_KINDS; k++) {
		struct stats ra = ratio_stats(two[k], one[k], rounds);
		struct stats s1 = summarise(one[k], rounds), s2 = summarise(two[k], rounds);

		printf("%-44s %12.0f %12.0f %8.2f [%7.2f .. %7.2f]\n", s_labels[k],
		       s1.median, s2.median, ra.median, ra.p10, ra.p90);
		csv_row("scaling", s_names[k], 4096, k == S_RVM_B64 ? 64 : 1,
			"ops_per_s_1tool", s1, 0, NULL, NULL);
		csv_row("scaling", s_names[k], 4096, k == S_RVM_B64 ? 64 : 1,
			"ops_per_s_2tools", s2, 0, NULL, NULL);
		csv_row("scaling", s_names[k], 4096, k == S_RVM_B64 ? 64 : 1,
			"throughput_ratio", ra, 0, NULL, NULL);
		checks.scale[k] = ra;
	}
	checks.have_scaling = true;
}

/* ------------------------------------------------------------------ */
/* The targets of issue 6                                             */
/* ------------------------------------------------------------------ */

static void check_line(const char *name, const char *what, struct stats st,
		       bool le, double limit, const char *unit)
{
	bool met = le ? st.median <= limit : st.median >= limit;
	char target[32];

	snprintf(target, sizeof(target), "%s%g%s", le ? "<=" : ">=", limit, unit);
	printf("%-62s %8.2f%-2s [%6.2f .. %6.2f]  %-8s %s\n", what, st.median, unit,
	       st.p10, st.p90, target, met ? "MET" : "MISSED");
	csv_row("check", name, 0, 0, "value", st, 0, target, met ? "met" : "missed");
}

/* Checks named [iso_]stolen_* and [iso_]lost_*, and their control. */
static void running_target_checks(bool isolated)
{
	const char *prefix = isolated ? "iso_" : "";
	const char *where = isolated ? "CPU 0 isolated, " : "";
	char name[64], what[96];
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(a_checked); k++) {
		snprintf(name, sizeof(name), "%sstolen_%s", prefix, a_checked_names[k]);
		snprintf(what, sizeof(what), "%starget CPU time stolen, %s", where,
			 a_checked_labels[k]);
		check_line(name, what, checks.running[isolated].stolen[k], true, 1, "%");
	}
	printf("%-62s %8.2f%%  (the kernel's share: same mm churn elsewhere)\n",
	       "  control: tool mmap+munmap in itself, stolen",
	       checks.running[isolated].control_stolen.median);
	for (k = 0; k < ARRAY_SIZE(a_checked); k++) {
		snprintf(name, sizeof(name), "%sloss_%s", prefix, a_checked_names[k]);
		snprintf(what, sizeof(what), "%starget loop rate lost (wall), %s",
			 where, a_checked_labels[k]);
		check_line(name, what, checks.running[isolated].lost[k], true, 1, "%");
	}
	printf("%-62s %8.2f%%\n", "  control: tool mmap+munmap in itself, lost",
	       checks.running[isolated].control_lost.median);
}

static void checks_report(void)
{
	char what[80];
	unsigned int s;
	int i;

	printf("\n== Targets (ratios of medians, [p10 .. p90] of per-round ratios; same guest run)\n");
	for (s = 0; checks.have_latency && s < NSIZES; s++) {
		snprintf(what, sizeof(what), "batched (64) remote op / local mmap+munmap, %s",
			 size_name(sizes[s]));
		check_line(s ? (s == 1 ? "b64_vs_local_64k" : "b64_vs_local_2m") :
			       "b64_vs_local_4k", what, checks.b64_vs_local[s], true, 1.25, "x");
	}
	for (s = 0; checks.have_latency && s < NSIZES; s++) {
		snprintf(what, sizeof(what), "ptrace (stopped tracee) / single remote op, %s",
			 size_name(sizes[s]));
		check_line(s ? (s == 1 ? "single_vs_ptrace_64k" : "single_vs_ptrace_2m") :
			       "single_vs_ptrace_4k", what, checks.ptrace_vs_single[s],
			   false, 3, "x");
	}
	for (s = 0; checks.have_latency && s < NSIZES; s++) {
		snprintf(what, sizeof(what), "polling: batched (64) remote op / local, %s",
			 size_name(sizes[s]));
		check_line(s ? (s == 1 ? "poll_b64_vs_local_64k" : "poll_b64_vs_local_2m") :
			       "poll_b64_vs_local_4k", what, checks.poll_b64_vs_local[s],
			   true, 1.25, "x");
	}
	for (s = 0; checks.have_latency && s < NSIZES; s++) {
		snprintf(what, sizeof(what), "polling: ptrace (stopped) / single remote op, %s",
			 size_name(sizes[s]));
		check_line(s ? (s == 1 ? "poll_single_vs_ptrace_64k" :
				"poll_single_vs_ptrace_2m") : "poll_single_vs_ptrace_4k",
			   what, checks.ptrace_vs_poll_single[s], false, 3, "x");
	}
	for (i = 0; i < 2; i++)
		if (checks.running[i].have)
			running_target_checks(i);
	if (checks.running[0].have) {
		printf("%-62s %8.2f%%  (for comparison)\n",
		       "target throughput lost, ptrace injection", checks.loss_ptrace.median);
		printf("%-62s %8.2f%%  [%5.2f .. %5.2f]\n", "noise floor: control vs control",
		       checks.loss_noise.median, checks.loss_noise.p10, checks.loss_noise.p90);
	}
	if (checks.have_scaling) {
		check_line("scaling_rvm_single", "two tools / one, remotevm single ioctls",
			   checks.scale[S_RVM_SINGLE], false, 1.7, "x");
		check_line("scaling_rvm_b64", "two tools / one, remotevm batches of 64",
			   checks.scale[S_RVM_B64], false, 1.7, "x");
		printf("%-62s %8.2fx  (what the machine allows)\n",
		       "two / one, control: local mmap+munmap", checks.scale[S_LOCAL].median);
	}
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: remotevm-bench [--csv FILE] [--kernel NAME] [--rounds N]\n"
		"                      [--round-ms MS] [--ops-a N] [--quick]\n"
		"                      [--only latency,diag,throughput,scaling]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct bench b;
	const char *csv_path = NULL, *only = "latency,diag,throughput,scaling";
	struct utsname uts;
	int i, rounds = 11, round_ms = 20, a_rounds = 5, s_rounds = 5;
	uint64_t a_ops = 10000;
	bool quick = false;

	if (argc == 3 && !strcmp(argv[1], "--target"))
		return target_main(argv[2]);
	if (strcmp(methods[M_LOCAL].name, "local") ||
	    strcmp(methods[M_PTRACE_STOPPED].name, "ptrace-stopped") ||
	    strcmp(methods[M_RVM_SINGLE].name, "rvm-single") ||
	    strcmp(methods[M_RVM_B64].name, "rvm-b64"))
		fail("the method table and its indices disagree");
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(arg, "--quick")) {
			quick = true;
			continue;
		}
		if (!val)
			usage();
		i++;
		if (!strcmp(arg, "--csv"))
			csv_path = val;
		else if (!strcmp(arg, "--kernel"))
			kernel_name = val;
		else if (!strcmp(arg, "--rounds"))
			rounds = atoi(val);
		else if (!strcmp(arg, "--round-ms"))
			round_ms = atoi(val);
		else if (!strcmp(arg, "--ops-a"))
			a_ops = strtoull(val, NULL, 0);
		else if (!strcmp(arg, "--only"))
			only = val;
		else
			usage();
	}
	if (quick) {
		rounds = 5;
		round_ms = 10;
		a_rounds = s_rounds = 2;
		a_ops = 2000;
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || round_ms < 1 || !a_ops)
		usage();

	/* Pipes must not land on 0-2, whatever the caller left open. */
	for (i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0 && open("/dev/null", O_RDWR) != i)
			die("/dev/null");
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&uts);
	snprintf(kernel_release, sizeof(kernel_release), "%s", uts.release);
	if (!kernel_name)
		kernel_name = kernel_release;
	shared_create();
	if (csv_path) {
		csv = fopen(csv_path, "we");
		if (!csv)
			die("%s", csv_path);
		fprintf(csv, "kernel,release,experiment,method,size,batch,metric,"
			"median,p10,p90,mad,rounds,n,target,verdict\n");
	}

	printf("remotevm-bench on %s (%s), %ld CPUs\n", kernel_name, kernel_release,
	       sysconf(_SC_NPROCESSORS_ONLN));
	if (strstr(only, "latency") || strstr(only, "diag")) {
		b.rounds = rounds;
		b.round_ns = (int64_t)round_ms * 1000000;
		latency_setup(&b);
		latency_run(&b, strstr(only, "diag"));
		latency_teardown(&b);
		latency_report(&b, strstr(only, "diag"));
	}
	if (strstr(only, "throughput")) {
		throughput_run(a_rounds, a_ops, false);
		throughput_run(a_rounds, a_ops, true);
	}
	if (strstr(only, "scaling"))
		scaling_run(s_rounds);
	checks_report();
	if (csv && fclose(csv))
		die("%s", csv_path);
	return 0;
}
