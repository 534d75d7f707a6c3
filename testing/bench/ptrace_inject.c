// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench: ptrace syscall injection, as lldb-server and gdb do it,
 * the method remotevm is measured against.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* The first `syscall` instruction (0f 05) in [start, end) of mem, or 0. */
static unsigned long find_in_mapping(int mem, unsigned long start,
				     unsigned long end)
{
	unsigned char buf[4096 + 1];
	unsigned long addr;

	for (addr = start; addr < end; addr += 4096) {
		size_t len = end - addr < sizeof(buf) ? end - addr : sizeof(buf);
		ssize_t n = pread(mem, buf, len, (off_t)addr), i;

		for (i = 0; i + 1 < n; i++)
			if (buf[i] == 0x0f && buf[i + 1] == 0x05)
				return addr + (unsigned long)i;
	}
	return 0;
}

/*
 * A `syscall` instruction (0f 05) the target already has: in its libc's
 * text, else in any executable mapping but [vsyscall] (emulated). Found
 * once, through /proc/PID/mem, as a debugger reading the target would.
 */
static unsigned long find_syscall_insn(pid_t pid)
{
	const char *maps = maps_snapshot(pid), *p;
	int mem = proc_mem_open(pid, O_RDONLY), pass;
	unsigned long found = 0;

	if (!maps || mem < 0)
		die("/proc/%d/maps or mem", (int)pid);
	for (pass = 0; pass < 2 && !found; pass++) {
		for (p = maps; *p && !found; ) {
			size_t len = strcspn(p, "\n");
			char line[512], perms[8], name[400] = "";
			unsigned long start, end;

			snprintf(line, sizeof(line), "%.*s", (int)len, p);
			p += len + (p[len] == '\n');
			if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %399s", &start, &end,
				   perms, name) < 3 || perms[2] != 'x' ||
			    !strcmp(name, "[vsyscall]") ||
			    (pass == 0 && !strstr(name, "/libc.so")))
				continue;
			found = find_in_mapping(mem, start, end);
		}
	}
	close(mem);
	if (!found)
		fail("no syscall instruction in target %d", (int)pid);
	return found;
}

void tracee_seize(struct tracee *t, pid_t pid)
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

void tracee_stop(struct tracee *t)
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
}

/*
 * Restores the registers saved at the stop and lets the target go on.
 * If the stop interrupted a system call (rax -ERESTARTSYS and friends,
 * orig_rax its number), the restored state makes the kernel restart it
 * exactly as it would have without us.
 */
void tracee_resume(struct tracee *t)
{
	if (ptrace(PTRACE_SETREGS, t->pid, 0, &t->saved))
		die("PTRACE_SETREGS");
	if (ptrace(PTRACE_CONT, t->pid, 0, (void *)(long)t->pending_signal))
		die("PTRACE_CONT");
	t->pending_signal = 0;
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

unsigned long tracee_mmap(struct tracee *t, uint64_t size)
{
	long ret = tracee_syscall(t, __NR_mmap, 0, size, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, (unsigned long)-1, 0);

	if (ret < 0 && ret > -4096)
		fail("injected mmap: %s", strerror((int)-ret));
	return (unsigned long)ret;
}

void tracee_munmap(struct tracee *t, unsigned long addr, uint64_t size)
{
	long ret = tracee_syscall(t, __NR_munmap, addr, size, 0, 0, 0, 0);

	if (ret)
		fail("injected munmap: %s", strerror((int)-ret));
}

