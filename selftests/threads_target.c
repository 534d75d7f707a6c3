// SPDX-License-Identifier: GPL-2.0
/*
 * A target whose threads wait where a test can name their state: in a
 * known chain of calls, in a signal handler, or holding values of pthread
 * keys. Driven like remotevm_target (target.h): it prints "ready PID
 * ADDR", then answers each command on stdin with one "ok ..." line:
 *
 *   S      a thread waits in stack_1 -> ... -> stack_5 -> pause():
 *          "ok TID ADDR1 ... ADDR5", the five functions' addresses
 *   G      a thread waits in pause() inside a SIGUSR1 handler that
 *          interrupted signal_2: "ok TID HANDLER SIGNAL_2"
 *   T N    two keys; N threads each set both to values of their own and
 *          wait, the main thread sets only the first:
 *          "ok KEY1 KEY2 TID1 ... TIDN"; thread i (from 0) holds
 *          KEY1 = 0x1000 + i, KEY2 = 0x2000 + i; the main thread KEY1 = 0xa1
 *   X      a thread that has exited: "ok TID"
 *
 * Built without debuginfo, and once more stripped of its symbols: the
 * unwinder has only the CFI in .eh_frame to go by.
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS	16

static sem_t waiting;
static pid_t waiting_tid;

/* Each link calls the next and does work after it: no call becomes a jump. */
#define LINK(name, next) \
	static __attribute__((noinline, noipa)) void name(void) \
	{ \
		next(); \
		__asm__ volatile("" ::: "memory"); \
	}

static __attribute__((noinline, noipa)) void wait_forever(void)
{
	waiting_tid = gettid();
	sem_post(&waiting);
	for (;;)
		pause();
}

LINK(stack_5, wait_forever)
LINK(stack_4, stack_5)
LINK(stack_3, stack_4)
LINK(stack_2, stack_3)
LINK(stack_1, stack_2)

static void *stack_thread(void *arg)
{
	(void)arg;
	stack_1();
	return NULL;
}

static __attribute__((noinline, noipa)) void in_handler(void)
{
	wait_forever();
	__asm__ volatile("" ::: "memory");
}

static void handler(int sig)
{
	(void)sig;
	in_handler();
}

static __attribute__((noinline, noipa)) void signal_2(void)
{
	pthread_kill(pthread_self(), SIGUSR1);
	__asm__ volatile("" ::: "memory");
}

LINK(signal_1, signal_2)

static void *signal_thread(void *arg)
{
	(void)arg;
	signal_1();
	return NULL;
}

static pthread_key_t keys[2];

static void *keys_thread(void *arg)
{
	uintptr_t i = (uintptr_t)arg;

	pthread_setspecific(keys[0], (void *)(0x1000 + i));
	pthread_setspecific(keys[1], (void *)(0x2000 + i));
	wait_forever();
	return NULL;
}

static void *exiting_thread(void *arg)
{
	*(pid_t *)arg = gettid();
	return NULL;
}

/* Starts @fn and waits until it is about to wait: its tid. */
static pid_t start(void *(*fn)(void *), void *arg)
{
	pthread_t thread;

	if (pthread_create(&thread, NULL, fn, arg))
		exit(1);
	sem_wait(&waiting);
	return waiting_tid;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = handler };
	char line[64];
	unsigned int n, i;

	sem_init(&waiting, 0, 0);
	sigaction(SIGUSR1, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d %lx\n", getpid(), (unsigned long)(uintptr_t)main);
	while (fgets(line, sizeof(line), stdin)) {
		if (line[0] == 'S') {
			pid_t tid = start(stack_thread, NULL);

			printf("ok %d %lx %lx %lx %lx %lx\n", tid,
			       (unsigned long)(uintptr_t)stack_1, (unsigned long)(uintptr_t)stack_2,
			       (unsigned long)(uintptr_t)stack_3, (unsigned long)(uintptr_t)stack_4,
			       (unsigned long)(uintptr_t)stack_5);
		} else if (line[0] == 'G') {
			pid_t tid = start(signal_thread, NULL);

			printf("ok %d %lx %lx\n", tid, (unsigned long)(uintptr_t)in_handler,
			       (unsigned long)(uintptr_t)signal_2);
		} else if (sscanf(line, "T %u", &n) == 1 && n <= MAX_THREADS) {
			pthread_key_create(&keys[0], NULL);
			pthread_key_create(&keys[1], NULL);
			pthread_setspecific(keys[0], (void *)0xa1);
			printf("ok %u %u", keys[0], keys[1]);
			for (i = 0; i < n; i++)
				printf(" %d", start(keys_thread, (void *)(uintptr_t)i));
			printf("\n");
		} else if (line[0] == 'X') {
			pthread_t thread;
			pid_t tid = 0;

			if (pthread_create(&thread, NULL, exiting_thread, &tid) ||
			    pthread_join(thread, NULL))
				return 1;
			printf("ok %d\n", tid);
		} else {
			printf("error %s", line);
		}
	}
	return 0;
}
