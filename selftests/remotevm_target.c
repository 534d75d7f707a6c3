// SPDX-License-Identifier: GPL-2.0
/*
 * A target process for the remotevm selftests: it does, on command, what a
 * real program does with memory another process gave it (read, write,
 * probe, map, register with userfaultfd, exec), so that every test checks
 * the result from the target's side. Built 64-bit and 32-bit.
 *
 * Commands come one per line on stdin, answers go one per line to stdout,
 * "ok ..." or "err <errno>". Addresses and sizes are hexadecimal.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static sigjmp_buf probe_jmp;
static volatile sig_atomic_t signals_seen;

static void on_fault(int sig)
{
	(void)sig;
	siglongjmp(probe_jmp, 1);
}

static void on_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

/* Whether the target itself can read and write a byte at addr. */
static void probe(volatile uint8_t *p, int *readable, int *writable)
{
	struct sigaction fault = { .sa_handler = on_fault, .sa_flags = SA_NODEFER };
	struct sigaction old_segv, old_bus;
	volatile uint8_t v = 0;

	sigaction(SIGSEGV, &fault, &old_segv);
	sigaction(SIGBUS, &fault, &old_bus);
	*readable = *writable = 0;
	if (!sigsetjmp(probe_jmp, 1)) {
		v = *p;
		*readable = 1;
	}
	if (*readable && !sigsetjmp(probe_jmp, 1)) {
		*p = v;
		*writable = 1;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
}

static int uffd_register(uintptr_t addr, size_t len)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_EVENT_REMOVE,
	};
	struct uffdio_register reg = {
		.range = { .start = addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC);

	/* Left open on purpose: nobody ever answers this monitor. */
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg))
		return -1;
	return 0;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCONT ||
		    sig == SIGSEGV || sig == SIGBUS || sig == SIGCHLD ||
		    (sig >= 32 && sig < SIGRTMIN))
			continue;
		sigaction(sig, &sa, NULL);
	}
}

static pthread_t main_thread;
static volatile pid_t spare_tid;

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* A thread that only exists, so that the process has a non-leader TID. */
static void *idle_thread(void *arg)
{
	(void)arg;
	__atomic_store_n(&spare_tid, my_tid(), __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

/* A CLONE_VM child: another process in the target's mm, doing nothing. */
static int idle_sibling(void *arg)
{
	(void)arg;
	for (;;)
		syscall(SYS_pause);
	return 0;
}

/*
 * For ever: the page at @arg is a fresh PROT_NONE page (zeros), then, in
 * one step (mremap() over it), a read-write page full of 0xab. Whoever
 * reads a zero from it as accessible memory read the PROT_NONE page.
 */
static void *flip_page(void *arg)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *addr = arg;

	for (;;) {
		void *full = mmap(NULL, page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (full == MAP_FAILED)
			continue;
		memset(full, 0xab, page);
		if (mremap(full, page, page, MREMAP_MAYMOVE | MREMAP_FIXED,
			   addr) == MAP_FAILED)
			munmap(full, page);
		mmap(addr, page, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	}
	return NULL;
}

/* For ever: the mmap lock, taken for writing again and again. */
static void *churn_mmap_lock(void *arg)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	(void)arg;
	for (;;) {
		void *p = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			munmap(p, page);
	}
	return NULL;
}

/* G and g: a thread that maps into a hole the moment one appears. */
static struct {
	pthread_t thread;
	uintptr_t addr;
	size_t len;
	volatile int stop, mapped;
} grab;

static void *grab_hole(void *arg)
{
	(void)arg;
	while (!grab.stop) {
		/* Read-only: not accounted, so it works under strict overcommit. */
		if (mmap((void *)grab.addr, grab.len, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0) != MAP_FAILED) {
			grab.mapped = 1;
			break;
		}
	}
	return NULL;
}

static int serve(void);

/* Serves commands once the thread that did until now has exited. */
static void *successor(void *arg)
{
	(void)arg;
	pthread_join(main_thread, NULL);
	printf("ok %d\n", (int)my_tid());
	serve();
	exit(0);
	return NULL;
}

int main(void)
{
	/* No heap from stdio: tests compare the target's maps before and after. */
	static char stdin_buffer[4096];

	setvbuf(stdin, stdin_buffer, _IOFBF, sizeof(stdin_buffer));
	setvbuf(stdout, NULL, _IONBF, 0);
	catch_signals();
	printf("ready %d %llx\n", (int)getpid(),
	       (unsigned long long)(uintptr_t)&main);
	return serve();
}

static int serve(void)
{
	char line[512], arg[256];
	unsigned long long a, b, c;

	while (fgets(line, sizeof(line), stdin)) {
		char cmd = line[0];
		int r, w;

		errno = 0;
		switch (cmd) {
		case 'W':	/* W addr len byte: fill */
			sscanf(line + 1, "%llx %llx %llx", &a, &b, &c);
			memset((void *)(uintptr_t)a, (int)c, b);
			printf("ok\n");
			break;
		case 'R': {	/* R addr len: first byte, and whether all equal it */
			const uint8_t *p;
			unsigned long long i;
			int same = 1;

			sscanf(line + 1, "%llx %llx", &a, &b);
			p = (const uint8_t *)(uintptr_t)a;
			for (i = 1; i < b; i++)
				same &= p[i] == p[0];
			printf("ok %x %d\n", p[0], same);
			break;
		}
		case 'P':	/* P addr: can the target read / write it */
			sscanf(line + 1, "%llx", &a);
			probe((volatile uint8_t *)(uintptr_t)a, &r, &w);
			printf("ok %d %d\n", r, w);
			break;
		case 'M': {	/* M len prot: mmap anonymous private */
			void *p;

			sscanf(line + 1, "%llx %llx", &a, &b);
			p = mmap(NULL, a, (int)b, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				printf("err %d\n", errno);
			else
				printf("ok %llx\n", (unsigned long long)(uintptr_t)p);
			break;
		}
		case 'N': {	/* N path: mmap a file, read-only and shared */
			int fd;
			void *p = MAP_FAILED;

			sscanf(line + 1, "%255s", arg);
			fd = open(arg, O_RDONLY);
			if (fd >= 0)
				p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				printf("err %d\n", errno);
			else
				printf("ok %llx\n", (unsigned long long)(uintptr_t)p);
			if (fd >= 0)
				close(fd);
			break;
		}
		case 'K': {	/* K addr len: its own RW memory, MAP_FIXED over addr */
			void *p;

			sscanf(line + 1, "%llx %llx", &a, &b);
			p = mmap((void *)(uintptr_t)a, b, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			if (p == MAP_FAILED)
				printf("err %d\n", errno);
			else
				printf("ok\n");
			break;
		}
		case 'U':	/* U addr len: munmap */
			sscanf(line + 1, "%llx %llx", &a, &b);
			if (munmap((void *)(uintptr_t)a, b))
				printf("err %d\n", errno);
			else
				printf("ok\n");
			break;
		case 'O':	/* O addr len prot: mprotect */
			sscanf(line + 1, "%llx %llx %llx", &a, &b, &c);
			if (mprotect((void *)(uintptr_t)a, b, (int)c))
				printf("err %d\n", errno);
			else
				printf("ok\n");
			break;
		case 'F':	/* F addr len: register with a userfaultfd nobody reads */
			sscanf(line + 1, "%llx %llx", &a, &b);
			if (uffd_register(a, b))
				printf("err %d\n", errno);
			else
				printf("ok\n");
			break;
		case 'L':	/* L: mlockall(MCL_CURRENT | MCL_FUTURE) */
			if (mlockall(MCL_CURRENT | MCL_FUTURE))
				printf("err %d\n", errno);
			else
				printf("ok\n");
			break;
		case 'Y':	/* Y addr len: mlock */
			sscanf(line + 1, "%llx %llx", &a, &b);
			if (mlock((void *)(uintptr_t)a, b))
				printf("err %d\n", errno);
			else
				printf("ok\n");
			break;
		case 'A': {	/* A resource soft: setrlimit */
			struct rlimit rl;

			sscanf(line + 1, "%llx %llx", &a, &b);
			getrlimit((int)a, &rl);
			rl.rlim_cur = b;
			if (setrlimit((int)a, &rl))
				printf("err %d\n", errno);
			else
				printf("ok\n");
			break;
		}
		case 'I':	/* I uid: become uid (and stay ptrace-able) */
			sscanf(line + 1, "%llx", &a);
			if (setgid((gid_t)a) || setuid((uid_t)a) ||
			    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
				printf("err %d\n", errno);
			else
				printf("ok\n");
			break;
		case 'S':	/* S: signals whose handlers ran */
			printf("ok %d\n", (int)signals_seen);
			break;
		case 'E':	/* E legacy path: exec, optionally with the legacy layout */
			sscanf(line + 1, "%llx %255s", &a, arg);
			if (a)
				personality(ADDR_COMPAT_LAYOUT);
			execl(arg, arg, (char *)NULL);
			printf("err %d\n", errno);
			break;
		case 'T': {	/* T: start a thread that idles; its TID */
			pthread_t thread;

			spare_tid = 0;
			if ((errno = pthread_create(&thread, NULL, idle_thread, NULL))) {
				printf("err %d\n", errno);
				break;
			}
			while (!__atomic_load_n(&spare_tid, __ATOMIC_ACQUIRE))
				sched_yield();
			printf("ok %d\n", (int)spare_tid);
			break;
		}
		case 'H': {	/* H: a new thread serves, this one pthread_exit()s */
			pthread_t thread;

			main_thread = pthread_self();
			if ((errno = pthread_create(&thread, NULL, successor, NULL))) {
				printf("err %d\n", errno);
				break;
			}
			/* The successor answers, once this thread is gone. */
			pthread_exit(NULL);
		}
		case 'B': {	/* B: a thread maps and unmaps for ever */
			pthread_t thread;

			errno = pthread_create(&thread, NULL, churn_mmap_lock, NULL);
			if (errno)
				printf("err %d\n", errno);
			else
				printf("ok\n");
			break;
		}
		case 'V': {	/* V addr: a thread flips the page at addr (flip_page) */
			pthread_t thread;

			sscanf(line + 1, "%llx", &a);
			errno = pthread_create(&thread, NULL, flip_page,
					       (void *)(uintptr_t)a);
			if (errno)
				printf("err %d\n", errno);
			else
				printf("ok\n");
			break;
		}
		case 'C': {	/* C: clone(CLONE_VM) a process sharing this mm; its pid */
			static char stack[16384] __attribute__((aligned(16)));
			int pid = clone(idle_sibling, stack + sizeof(stack),
					CLONE_VM | SIGCHLD, NULL);

			if (pid < 0)
				printf("err %d\n", errno);
			else
				printf("ok %d\n", pid);
			break;
		}
		case 'G':	/* G addr len: grab_hole() over [addr, addr + len) */
			sscanf(line + 1, "%llx %llx", &a, &b);
			grab.addr = a;
			grab.len = b;
			grab.stop = 0;
			grab.mapped = 0;
			errno = pthread_create(&grab.thread, NULL, grab_hole, NULL);
			if (errno)
				printf("err %d\n", errno);
			else
				printf("ok\n");
			break;
		case 'g':	/* g: stop grabbing; whether it mapped */
			grab.stop = 1;
			pthread_join(grab.thread, NULL);
			printf("ok %d\n", grab.mapped);
			break;
		case 'X':
			return 0;
		default:
			printf("err %d\n", EINVAL);
		}
	}
	return 0;
}
