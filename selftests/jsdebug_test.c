// SPDX-License-Identifier: GPL-2.0
/*
 * The two IJsDebugDataTarget methods that look at a target's threads
 * rather than its memory: CreateStackFrameEnumerator, checked frame by
 * frame against gdb's backtrace of the same stopped thread, and
 * GetTlsValue, checked against the values each thread of the target set
 * for its pthread keys. Both on the target as built and stripped, where
 * only the CFI in .eh_frame is left to unwind with.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COBJMACROS
#include <remotevm/jscript9diag.h>

#include "kselftest_harness.h"
#include "target.h"

#define MAX_FRAMES	64
/* How far past a function's start its call to the next link returns. */
#define CALL_SITE_MAX	64
/* gdb attaches in each: seconds, in a debug kernel's TCG guest. */
#define GDB_TEST_TIMEOUT	300

FIXTURE(threads) {
	struct target t;
	IJsDebugDataTarget *dt;
};

FIXTURE_VARIANT(threads) {
	const char *program;
};

FIXTURE_VARIANT_ADD(threads, built) {
	.program = "threads_target",
};

/* No .symtab, no .debug_*: the unwinder has .eh_frame alone. */
FIXTURE_VARIANT_ADD(threads, stripped) {
	.program = "threads_target_stripped",
};

/* glibc inside the program, found by the program's own symbols. */
FIXTURE_VARIANT_ADD(threads, static) {
	.program = "threads_target_static",
};

FIXTURE_SETUP(threads)
{
	ASSERT_EQ(0, target_start_as(&self->t, variant->program, 0));
	ASSERT_EQ(S_OK, RemoteVmCreateDataTarget(self->t.pid, &self->dt));
}

FIXTURE_TEARDOWN(threads)
{
	if (self->dt)
		IJsDebugDataTarget_Release(self->dt);
	target_stop(&self->t);
}

/* The thread's state letter in /proc/PID/task/TID/stat. */
static char thread_state(pid_t pid, pid_t tid)
{
	char path[64], line[512], *end;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	end = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	return end ? end[2] : 0;
}

/*
 * Stops @tid as a debugger does, once it sleeps in pause(): the thread
 * posts that it is there a few instructions before it is.
 */
static int trace_and_stop(pid_t pid, pid_t tid)
{
	struct timespec pause_a_bit = { .tv_nsec = 1000000 };
	int i, status;

	for (i = 0; i < 5000 && thread_state(pid, tid) != 'S'; i++)
		nanosleep(&pause_a_bit, NULL);
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) || ptrace(PTRACE_INTERRUPT, tid, 0, 0))
		return -1;
	return waitpid(tid, &status, __WALL) == tid && WIFSTOPPED(status) ? 0 : -1;
}

/* All frames, fetched three at a time to cross the S_OK/S_FALSE boundary. */
static int enumerate(struct __test_metadata *_metadata, IJsDebugDataTarget *dt,
		     pid_t tid, JS_NATIVE_FRAME *frames)
{
	IEnumJsStackFrames *enumerator = NULL;
	ULONG fetched = 0, count = 0;
	HRESULT hr;

	EXPECT_EQ(S_OK, IJsDebugDataTarget_CreateStackFrameEnumerator(dt, tid, &enumerator));
	if (!enumerator)
		return 0;
	do {
		hr = IEnumJsStackFrames_Next(enumerator, 3, frames + count, &fetched);
		EXPECT_EQ(fetched == 3 ? S_OK : S_FALSE, hr);
		count += fetched;
	} while (hr == S_OK && count + 3 <= MAX_FRAMES);
	EXPECT_EQ(S_FALSE, hr);
	EXPECT_EQ(0, IEnumJsStackFrames_Release(enumerator));
	return (int)count;
}

/*
 * gdb's pc of every frame of thread @tid, innermost first. Without the
 * separate debuginfo, which gdb needs not for pcs and takes long to read
 * in a debug kernel's guest. gdb shows a function inlined at a call site
 * as a frame of its own at the same pc, where an unwinder sees one: a pc
 * repeated at once is counted once.
 */
static int gdb_backtrace(pid_t pid, pid_t tid, uint64_t *pcs)
{
	char command[256], line[256];
	int count = 0, ours = 0;
	FILE *gdb;

	snprintf(command, sizeof(command),
		 "gdb -nx -batch -iex 'set debug-file-directory /nonexistent' -p %d "
		 "-ex 'thread apply all frame apply all -q p/x $pc' 2>/dev/null",
		 pid);
	gdb = popen(command, "r");
	if (!gdb)
		return -1;
	while (fgets(line, sizeof(line), gdb)) {
		unsigned long long pc;
		char *lwp = strstr(line, "(LWP ");

		if (!strncmp(line, "Thread ", 7) && lwp)
			ours = atoi(lwp + 5) == tid;
		else if (ours && sscanf(line, "$%*d = %llx", &pc) == 1 && count < MAX_FRAMES &&
			 (!count || pcs[count - 1] != pc))
			pcs[count++] = pc;
	}
	return pclose(gdb) ? -1 : count;
}

/* The frame whose pc is a call site in the function at @function, or -1. */
static int frame_in(const JS_NATIVE_FRAME *frames, int count, uint64_t function)
{
	int i;

	for (i = 0; i < count; i++)
		if (frames[i].InstructionOffset - function - 1 < CALL_SITE_MAX)
			return i;
	return -1;
}

/*
 * The frames chain up: each return address is the next frame's pc, each
 * frame's FrameOffset the sp its caller is left with; only the outermost
 * has neither. Then the same pcs as gdb's bt of the same thread.
 */
static void check_against_gdb(struct __test_metadata *_metadata, pid_t pid, pid_t tid,
			      const JS_NATIVE_FRAME *frames, int count)
{
	uint64_t pcs[MAX_FRAMES];
	int i, n;

	for (i = 0; i + 1 < count; i++) {
		EXPECT_EQ(frames[i + 1].InstructionOffset, frames[i].ReturnOffset);
		EXPECT_EQ(frames[i + 1].StackOffset, frames[i].FrameOffset);
		EXPECT_LT(frames[i].StackOffset, frames[i + 1].StackOffset);
	}
	EXPECT_EQ(0, frames[count - 1].ReturnOffset);
	n = gdb_backtrace(pid, tid, pcs);
	ASSERT_EQ(count, n) TH_LOG("gdb's bt has %d frames, the enumerator %d", n, count);
	for (i = 0; i < count; i++) {
		EXPECT_EQ(pcs[i], frames[i].InstructionOffset)
			TH_LOG("frame #%d: gdb %#llx, enumerator %#llx", i,
			       (unsigned long long)pcs[i],
			       (unsigned long long)frames[i].InstructionOffset);
		TH_LOG("#%-2d pc %#014llx ret %#014llx frame %#014llx sp %#014llx", i,
		       (unsigned long long)frames[i].InstructionOffset,
		       (unsigned long long)frames[i].ReturnOffset,
		       (unsigned long long)frames[i].FrameOffset,
		       (unsigned long long)frames[i].StackOffset);
	}
}

TEST_F_TIMEOUT(threads, stack_of_a_thread_in_a_known_call_chain_is_gdbs, GDB_TEST_TIMEOUT)
{
	JS_NATIVE_FRAME frames[MAX_FRAMES];
	unsigned long long link[5];
	IEnumJsStackFrames *enumerator = (IEnumJsStackFrames *)1;
	char reply[256];
	int tid, count, first, i;

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "S"));
	ASSERT_EQ(6, sscanf(reply, "%d %llx %llx %llx %llx %llx", &tid, &link[0], &link[1],
			    &link[2], &link[3], &link[4]));
	/* Running, and not ours: Linux shows its registers only to its tracer. */
	EXPECT_EQ(E_ACCESSDENIED,
		  IJsDebugDataTarget_CreateStackFrameEnumerator(self->dt, tid, &enumerator));
	EXPECT_EQ(NULL, enumerator);
	EXPECT_EQ(E_INVALIDARG,
		  IJsDebugDataTarget_CreateStackFrameEnumerator(self->dt, getpid(), &enumerator));
	EXPECT_EQ(E_POINTER, IJsDebugDataTarget_CreateStackFrameEnumerator(self->dt, tid, NULL));

	ASSERT_EQ(0, trace_and_stop(self->t.pid, tid));
	count = enumerate(_metadata, self->dt, tid, frames);
	ptrace(PTRACE_DETACH, tid, 0, 0);
	/* pause, wait_forever, stack_5 ... stack_1, the thread's start, clone3 */
	ASSERT_GE(count, 8);
	first = frame_in(frames, count, link[4]);
	ASSERT_GE(first, 1);
	ASSERT_LE(first + 5, count);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(first + i, frame_in(frames, count, link[4 - i]))
			TH_LOG("stack_%d is not frame #%d", 5 - i, first + i);
	check_against_gdb(_metadata, self->t.pid, tid, frames, count);
}

TEST_F_TIMEOUT(threads, stack_through_a_signal_handler_is_gdbs, GDB_TEST_TIMEOUT)
{
	JS_NATIVE_FRAME frames[MAX_FRAMES];
	unsigned long long in_handler, signal_2;
	char reply[256];
	int tid, count, handler_frame, interrupted_frame;

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "G"));
	ASSERT_EQ(3, sscanf(reply, "%d %llx %llx", &tid, &in_handler, &signal_2));
	ASSERT_EQ(0, trace_and_stop(self->t.pid, tid));
	count = enumerate(_metadata, self->dt, tid, frames);
	ptrace(PTRACE_DETACH, tid, 0, 0);
	handler_frame = frame_in(frames, count, in_handler);
	ASSERT_GE(handler_frame, 1);
	/* Past the handler, the kernel's signal frame, then the code it interrupted. */
	interrupted_frame = -1;
	for (int i = handler_frame + 1; i < count; i++)
		if (frames[i].InstructionOffset - signal_2 - 1 < CALL_SITE_MAX)
			interrupted_frame = i;
	ASSERT_GT(interrupted_frame, handler_frame + 2)
		TH_LOG("no frame in signal_2 past the signal frame");
	check_against_gdb(_metadata, self->t.pid, tid, frames, count);
}

TEST_F(threads, stack_frame_enumerator_is_a_com_enumerator)
{
	IEnumJsStackFrames *enumerator, *again;
	JS_NATIVE_FRAME first, frame, two[2];
	char reply[256];
	ULONG fetched;
	int tid;

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "S"));
	ASSERT_EQ(1, sscanf(reply, "%d", &tid));
	ASSERT_EQ(0, trace_and_stop(self->t.pid, tid));
	ASSERT_EQ(S_OK, IJsDebugDataTarget_CreateStackFrameEnumerator(self->dt, tid,
								      &enumerator));
	ptrace(PTRACE_DETACH, tid, 0, 0);

	/* A snapshot: still there after the thread runs on. */
	EXPECT_EQ(S_OK, IEnumJsStackFrames_Next(enumerator, 1, &first, NULL));
	EXPECT_EQ(E_POINTER, IEnumJsStackFrames_Next(enumerator, 2, two, NULL));
	EXPECT_EQ(E_POINTER, IEnumJsStackFrames_Next(enumerator, 1, NULL, &fetched));
	EXPECT_EQ(S_OK, IEnumJsStackFrames_Next(enumerator, 0, NULL, &fetched));
	EXPECT_EQ(0, fetched);
	while (IEnumJsStackFrames_Next(enumerator, 1, &frame, &fetched) == S_OK)
		;
	EXPECT_EQ(0, fetched);
	EXPECT_EQ(S_OK, IEnumJsStackFrames_Reset(enumerator));
	EXPECT_EQ(S_OK, IEnumJsStackFrames_Next(enumerator, 1, &frame, &fetched));
	EXPECT_EQ(1, fetched);
	EXPECT_EQ(0, memcmp(&first, &frame, sizeof(frame)));

	EXPECT_EQ(S_OK, IEnumJsStackFrames_QueryInterface(enumerator, &IID_IEnumJsStackFrames,
							  (void **)&again));
	EXPECT_EQ(enumerator, again);
	EXPECT_EQ(E_NOINTERFACE, IEnumJsStackFrames_QueryInterface(enumerator,
								   &IID_IJsDebugDataTarget,
								   (void **)&again));
	EXPECT_EQ(NULL, again);
	EXPECT_EQ(3, IEnumJsStackFrames_AddRef(enumerator));
	EXPECT_EQ(2, IEnumJsStackFrames_Release(enumerator));
	EXPECT_EQ(1, IEnumJsStackFrames_Release(enumerator));
	EXPECT_EQ(0, IEnumJsStackFrames_Release(enumerator));
}

TEST_F(threads, tls_values_are_each_threads_own)
{
	unsigned int key[2];
	char reply[256];
	int tids[4], i, k;
	UINT64 value;

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "T 4"));
	ASSERT_EQ(6, sscanf(reply, "%u %u %d %d %d %d", &key[0], &key[1], &tids[0],
			    &tids[1], &tids[2], &tids[3]));
	/* The threads run: libthread_db reads memory only. */
	for (i = 0; i < 4; i++)
		for (k = 0; k < 2; k++) {
			value = 0;
			EXPECT_EQ(S_OK, IJsDebugDataTarget_GetTlsValue(self->dt, tids[i],
								       key[k], &value));
			EXPECT_EQ((k ? 0x2000u : 0x1000u) + i, value)
				TH_LOG("thread %d key %u", tids[i], key[k]);
		}
	/* The main thread set the first key and never the second: NULL. */
	EXPECT_EQ(S_OK, IJsDebugDataTarget_GetTlsValue(self->dt, self->t.pid, key[0], &value));
	EXPECT_EQ(0xa1, value);
	value = 7;
	EXPECT_EQ(S_OK, IJsDebugDataTarget_GetTlsValue(self->dt, self->t.pid, key[1], &value));
	EXPECT_EQ(0, value);
}

TEST_F(threads, tls_of_an_unknown_key_or_a_dead_thread_is_invalid)
{
	unsigned int key[2];
	char reply[256];
	UINT64 value;
	int tid;

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "T 1"));
	ASSERT_EQ(3, sscanf(reply, "%u %u %d", &key[0], &key[1], &tid));
	value = 7;
	/* A key never created, and one past PTHREAD_KEYS_MAX. */
	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_GetTlsValue(self->dt, tid, key[1] + 1,
							       &value));
	EXPECT_EQ(0, value);
	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_GetTlsValue(self->dt, tid, 1u << 20, &value));
	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_GetTlsValue(self->dt, getpid(), key[0],
							       &value));
	EXPECT_EQ(E_POINTER, IJsDebugDataTarget_GetTlsValue(self->dt, tid, key[0], NULL));

	ASSERT_EQ(0, target_do(&self->t, reply, sizeof(reply), "X"));
	ASSERT_EQ(1, sscanf(reply, "%d", &tid));
	EXPECT_EQ(E_INVALIDARG, IJsDebugDataTarget_GetTlsValue(self->dt, tid, key[0], &value));
}

/*
 * libthread_db reads x86-64 glibc processes only, and finds glibc by its
 * symbols: a 32-bit target, and a static one stripped of them, are out of
 * its reach.
 */
static void tls_not_supported(struct __test_metadata *_metadata, const char *program)
{
	IJsDebugDataTarget *dt;
	struct target t;
	UINT64 value = 7;

	ASSERT_EQ(0, target_start_as(&t, program, 0));
	ASSERT_EQ(S_OK, RemoteVmCreateDataTarget(t.pid, &dt));
	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED),
		  IJsDebugDataTarget_GetTlsValue(dt, t.pid, 0, &value));
	EXPECT_EQ(0, value);
	IJsDebugDataTarget_Release(dt);
	target_stop(&t);
}

TEST(tls_of_a_32_bit_target_is_not_supported)
{
	tls_not_supported(_metadata, "remotevm_target32");
}

TEST(tls_of_a_stripped_static_target_is_not_supported)
{
	tls_not_supported(_metadata, "threads_target_static_stripped");
}

TEST_HARNESS_MAIN
