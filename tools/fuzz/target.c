// SPDX-License-Identifier: GPL-2.0
/*
 * The hostile target of remotevm-fuzz. It keeps a word pattern in every
 * page it maps itself and checks them all, all the time: a changed word,
 * or a fault on one of its own pages, ends it with TARGET_DATA_LOST or
 * TARGET_FAULTED, which the tool reports as data loss. Meanwhile, in the
 * window the tool aims at, it maps, unmaps, remaps, protects, advises,
 * forks and registers ranges with a userfaultfd whose faults nobody
 * resolves, as a program remotevm has no say over may. SIGUSR1 makes it
 * exec itself (a new image), SIGUSR2 exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#define OWN_MAX		48

struct own {
	uint64_t start, len;
};

static struct {
	pthread_mutex_t lock;	/* the list, and the pages in it */
	struct own own[OWN_MAX];
	int nr;
	uint64_t window, pattern, salt;
	struct rng rng;
	int uffd;
} t = { .lock = PTHREAD_MUTEX_INITIALIZER, .uffd = -1 };

static void ignore_write(const char *buf, size_t len)
{
	ssize_t ignored = write(2, buf, len);

	(void)ignored;
}

static void say(const char *msg)
{
	ignore_write(msg, strlen(msg));
}

/* On stdout, which the tool reads: it decides whether the loss was reported. */
static void tell_tool_lost(uint64_t addr)
{
	char msg[32];
	ssize_t ignored;

	snprintf(msg, sizeof(msg), "lost %#llx\n", (unsigned long long)addr);
	ignored = write(1, msg, strlen(msg));
	(void)ignored;
}

/* The lines of /proc/self/maps near @addr: what was there when it faulted. */
static void say_maps_near(uint64_t addr)
{
	static char maps[1 << 16];
	unsigned long long start, end;
	char *line, *next;
	ssize_t n = 0, got;
	int fd = open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		return;
	while (n < (ssize_t)sizeof(maps) - 1 &&
	       (got = read(fd, maps + n, sizeof(maps) - 1 - n)) > 0)
		n += got;
	close(fd);
	maps[n] = 0;
	for (line = maps; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (sscanf(line, "%llx-%llx", &start, &end) == 2 &&
		    end + 16 * PAGE > addr && start < addr + 16 * PAGE) {
			say("fuzz target:   ");
			ignore_write(line, next - line);
		}
	}
}

static void on_fault(int sig, siginfo_t *info, void *context)
{
	uint64_t addr = (uintptr_t)info->si_addr;
	char msg[96];

	(void)context;
	snprintf(msg, sizeof(msg), "fuzz target: signal %d at %#llx, its own memory\n",
		 sig, (unsigned long long)addr);
	say(msg);
	say_maps_near(addr);
	tell_tool_lost(addr);
	_exit(TARGET_FAULTED);
}

static void fill(uint64_t start, uint64_t len)
{
	uint64_t a;

	for (a = start; a < start + len; a += 8)
		*(volatile uint64_t *)(uintptr_t)a = pattern_at(a, t.salt);
}

static void check(uint64_t start, uint64_t len)
{
	char msg[128];
	uint64_t a;

	for (a = start; a < start + len; a += 8) {
		if (*(volatile uint64_t *)(uintptr_t)a == pattern_at(a, t.salt))
			continue;
		snprintf(msg, sizeof(msg),
			 "fuzz target: its own word at %#llx changed\n",
			 (unsigned long long)a);
		say(msg);
		tell_tool_lost(a);
		_exit(TARGET_DATA_LOST);
	}
}

static void *verifier(void *arg)
{
	int i;

	(void)arg;
	for (;;) {
		check(t.pattern, PATTERN_PAGES * PAGE);
		pthread_mutex_lock(&t.lock);
		for (i = 0; i < t.nr; i++)
			check(t.own[i].start, t.own[i].len);
		pthread_mutex_unlock(&t.lock);
		usleep(500);
	}
	return NULL;
}

static bool overlaps_own(uint64_t start, uint64_t len)
{
	int i;

	for (i = 0; i < t.nr; i++)
		if (start < t.own[i].start + t.own[i].len &&
		    t.own[i].start < start + len)
			return true;
	return false;
}

static void forget_own(int i)
{
	t.own[i] = t.own[--t.nr];
}

static uint64_t window_range(uint64_t *len)
{
	uint64_t pages = 1 + rng_below(&t.rng, 16);
	uint64_t first = rng_below(&t.rng, WINDOW_PAGES - pages);

	*len = pages * PAGE;
	return t.window + first * PAGE;
}

/* Its own new mapping, never over anything (remotevm's included). */
static void map_own(void)
{
	uint64_t len, start = window_range(&len);
	void *p;

	if (t.nr == OWN_MAX)
		return;
	p = mmap((void *)(uintptr_t)start, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return;
	if ((uintptr_t)p != start) {	/* an old kernel's hint */
		munmap(p, len);
		return;
	}
	fill(start, len);
	t.own[t.nr++] = (struct own){ .start = start, .len = len };
}

/* What it does to one of its own mappings: the contents stay its own. */
static void touch_own(int i)
{
	struct own *o = &t.own[i];
	void *p = (void *)(uintptr_t)o->start;

	check(o->start, o->len);
	switch (rng_below(&t.rng, 6)) {
	case 0:
		munmap(p, o->len);
		forget_own(i);
		break;
	case 1:	/* read-only and back: still readable, still the same */
		if (!mprotect(p, o->len, PROT_READ)) {
			check(o->start, o->len);
			/*
			 * Splitting and merging VMAs allocates, which a tight
			 * memcg refuses until the tool lifts it: its pages
			 * must be writable again before it fills them.
			 */
			while (mprotect(p, o->len, PROT_READ | PROT_WRITE))
				usleep(1000);
		}
		break;
	case 2:
		madvise(p, o->len, MADV_DONTNEED);
		fill(o->start, o->len);
		break;
	case 3:
		madvise(p, o->len, MADV_FREE);
		fill(o->start, o->len);
		break;
	case 4:
		madvise(p, o->len, rng_chance(&t.rng, 50) ? MADV_DONTFORK :
							     MADV_WIPEONFORK);
		break;
	case 5: {	/* moved elsewhere in the window, with its words */
		uint64_t len, to = window_range(&len);
		void *q;

		if (overlaps_own(to, o->len) || to + o->len > t.window + WINDOW_PAGES * PAGE)
			break;
		/* MREMAP_FIXED replaces whatever was there: remotevm's too. */
		q = mremap(p, o->len, o->len, MREMAP_MAYMOVE | MREMAP_FIXED,
			   (void *)(uintptr_t)to);
		if (q == MAP_FAILED)
			break;
		/* The words were made for the old addresses. */
		o->start = to;
		fill(o->start, o->len);
		break;
	}
	}
}

/* What it does to the window around its own mappings: remotevm's go. */
static void hit_window(void)
{
	uint64_t len, start = window_range(&len);
	void *p = (void *)(uintptr_t)start;

	if (overlaps_own(start, len))
		return;
	switch (rng_below(&t.rng, 5)) {
	case 0:
		munmap(p, len);
		break;
	case 1:
		mprotect(p, len, PROT_NONE);
		break;
	case 2:	/* its own PROT_NONE reservation, over whatever was there */
		mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		     -1, 0);
		break;
	case 3: {
		struct uffdio_register reg = {
			.range = { .start = start, .len = len },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		if (t.uffd >= 0)
			ioctl(t.uffd, UFFDIO_REGISTER, &reg);
		break;
	}
	case 4:
		madvise(p, len, MADV_DONTNEED);
		break;
	}
}

static void act(void)
{
	unsigned int what = (unsigned int)rng_below(&t.rng, 100);
	pid_t child;

	pthread_mutex_lock(&t.lock);
	if (what < 35)
		map_own();
	else if (what < 65 && t.nr)
		touch_own((int)rng_below(&t.rng, (uint64_t)t.nr));
	else if (what < 95)
		hit_window();
	else if (what < 97) {
		child = fork();
		if (!child)
			_exit(0);
		if (child > 0)
			waitpid(child, NULL, 0);
	} else if (what < 98) {
		/* Whatever is mapped meanwhile is populated and locked. */
		if (!mlockall(MCL_FUTURE)) {
			usleep(200);
			munlockall();
		}
	} else {
		struct rlimit low = { 64ULL << 20, RLIM_INFINITY };
		struct rlimit old;

		/* For a moment the tool's allocations count against a low limit. */
		if (!getrlimit(RLIMIT_AS, &old) && !setrlimit(RLIMIT_AS, &low)) {
			usleep(200);
			setrlimit(RLIMIT_AS, &old);
		}
	}
	pthread_mutex_unlock(&t.lock);
}

static void *churner(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&t.window, __ATOMIC_ACQUIRE))
		usleep(100);
	for (;;) {
		act();
		if (rng_chance(&t.rng, 10))
			usleep(100);
	}
	return NULL;
}

/*
 * Reads events, so that an unmap in the target completes (EVENT_UNMAP),
 * but never resolves a fault: whoever faults on a registered page waits.
 */
static void *uffd_monitor(void *arg)
{
	struct uffd_msg msg;
	ssize_t ignored;

	(void)arg;
	for (;;) {
		struct pollfd pfd = { .fd = t.uffd, .events = POLLIN };

		if (poll(&pfd, 1, -1) <= 0)
			continue;
		ignored = read(t.uffd, &msg, sizeof(msg));
		(void)ignored;
	}
	return NULL;
}

static void uffd_open(void)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_EVENT_REMOVE,
	};
	pthread_t thread;

	t.uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (t.uffd < 0)
		return;
	if (ioctl(t.uffd, UFFDIO_API, &api) ||
	    pthread_create(&thread, NULL, uffd_monitor, NULL)) {
		close(t.uffd);
		t.uffd = -1;
	}
}

/* A free window: mapped once to find room, then given back. */
static uint64_t find_window(void)
{
	void *p = mmap(NULL, WINDOW_PAGES * PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(1);
	munmap(p, WINDOW_PAGES * PAGE);
	return (uintptr_t)p;
}

void target_main(uint64_t seed, bool churn)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
	pthread_t thread;
	sigset_t wait;
	char arg[32];
	void *p;
	int sig;

	t.rng.state = seed;
	t.salt = rng_next(&t.rng);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigemptyset(&wait);
	sigaddset(&wait, SIGUSR1);
	sigaddset(&wait, SIGUSR2);
	sigaddset(&wait, SIGNAL_PAUSE);
	sigaddset(&wait, SIGNAL_RESUME);
	pthread_sigmask(SIG_BLOCK, &wait, NULL);

	p = mmap(NULL, PATTERN_PAGES * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	t.pattern = (uintptr_t)p;
	fill(t.pattern, PATTERN_PAGES * PAGE);
	/* Threads first: their stacks must not land in the window. */
	if (churn)
		uffd_open();
	if (pthread_create(&thread, NULL, verifier, NULL) ||
	    (churn && pthread_create(&thread, NULL, churner, NULL)))
		_exit(1);
	__atomic_store_n(&t.window, find_window(), __ATOMIC_RELEASE);
	printf("window %llx pattern %llx\n", (unsigned long long)t.window,
	       (unsigned long long)t.pattern);
	fflush(stdout);

	for (;;) {
		if (sigwait(&wait, &sig))
			continue;
		if (sig == SIGUSR2)
			_exit(0);
		/* Its own mappings hold still, and it says so on stdout. */
		if (sig == SIGNAL_PAUSE || sig == SIGNAL_RESUME) {
			if (sig == SIGNAL_PAUSE)
				pthread_mutex_lock(&t.lock);
			else
				pthread_mutex_unlock(&t.lock);
			printf("%s\n", sig == SIGNAL_PAUSE ? "paused" : "resumed");
			fflush(stdout);
			continue;
		}
		/* The lock: no half-made mapping is left to the new image. */
		pthread_mutex_lock(&t.lock);
		snprintf(arg, sizeof(arg), "%llx", (unsigned long long)rng_next(&t.rng));
		execl("/proc/self/exe", "remotevm-fuzz", "--target",
		      churn ? "churn" : "calm", arg, (char *)NULL);
		_exit(1);
	}
}
