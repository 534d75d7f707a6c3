// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench: CPU 0 isolated as a deployment that keeps a
 * latency-sensitive target undisturbed would (tuna --isolate; isolcpus
 * with housekeeping CPUs): every kernel thread that may move, the unbound
 * workqueues and the IRQs go to CPU 1. Without it, the scheduler puts
 * e.g. the RCU grace-period kthread on the target's CPU, whoever caused
 * the grace period. Undone at the end of the experiment.
 */
#include <dirent.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

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

static void move_kthreads(void)
{
	cpu_set_t cpu1;
	struct dirent *d;
	DIR *dir = opendir("/proc");

	CPU_ZERO(&cpu1);
	CPU_SET(1, &cpu1);
	while (dir && (d = readdir(dir)) && isolated.n < MAX_MOVED) {
		pid_t pid = atoi(d->d_name);

		if (pid <= 0 || task_is_kthread(pid) != 1)
			continue;
		if (sched_getaffinity(pid, sizeof(cpu_set_t), &isolated.mask[isolated.n]) ||
		    !CPU_ISSET(1, &isolated.mask[isolated.n]) ||
		    sched_setaffinity(pid, sizeof(cpu1), &cpu1))
			continue;	/* per-CPU threads refuse */
		isolated.pid[isolated.n++] = pid;
	}
	if (dir)
		closedir(dir);
}

static void move_irqs(void)
{
	char path[300];
	struct dirent *d;
	DIR *dir = opendir("/proc/irq");

	while (dir && (d = readdir(dir)) && isolated.nirq < MAX_MOVED) {
		int irq = atoi(d->d_name);

		snprintf(path, sizeof(path), "/proc/irq/%s/smp_affinity_list", d->d_name);
		if (d->d_name[0] < '0' || d->d_name[0] > '9' ||
		    read_line(path, isolated.irq_mask[isolated.nirq], 64) ||
		    write_line(path, "1"))
			continue;
		isolated.irq[isolated.nirq++] = irq;
	}
	if (dir)
		closedir(dir);
}

void isolate_cpu0(void)
{
	isolated.n = isolated.nirq = 0;
	move_kthreads();
	move_irqs();
	if (read_line(wq_cpumask, isolated.wq_mask, sizeof(isolated.wq_mask)) ||
	    write_line(wq_cpumask, "2"))
		isolated.wq_mask[0] = 0;
	fprintf(stderr, "isolated CPU 0: %d kernel threads, %d IRQs moved to CPU 1\n",
		isolated.n, isolated.nirq);
}

void unisolate_cpu0(void)
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
