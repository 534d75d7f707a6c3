// SPDX-License-Identifier: GPL-2.0-only
/* The worker kthread of each target mm: entering the target, sessions, polling, placement. */
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/ktime.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched/isolation.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/timer.h>

#include "remotevm.h"

/* How long closing a handle waits for its release-on-close to make progress. */
#define REMOTEVM_CLOSE_TIMEOUT		(5 * HZ)

/* ------------------------------------------------------------------ */
/* The worker                                                         */
/* ------------------------------------------------------------------ */

/*
 * The top of the area the target's own top-down mmap() searches: below it
 * lies room for the stack to grow. An mm with the legacy (bottom-up) layout
 * keeps only its bottom-up base, in *@bottom_up (0 for the usual layout), so
 * work out the top-down one as the kernel would (arch/x86/mm/mmap.c: the
 * stack rlimit, clamped, below the stack).
 */
static unsigned long remotevm_top_down_base(struct task_struct *task,
					    struct mm_struct *mm,
					    unsigned long task_size,
					    unsigned long *bottom_up)
{
	unsigned long base = mm->mmap_base, legacy_base = mm->mmap_legacy_base;
	unsigned long gap;

#ifdef CONFIG_HAVE_ARCH_COMPAT_MMAP_BASES
	if (task_size <= SZ_4G) {
		base = mm->mmap_compat_base;
		legacy_base = mm->mmap_compat_legacy_base;
	}
#endif
	*bottom_up = base == legacy_base ? legacy_base : 0;
	if (base != legacy_base)
		return base;
	gap = clamp(task_rlimit(task, RLIMIT_STACK), SZ_128M, task_size / 6 * 5);
	return mm->start_stack > gap ? PAGE_ALIGN_DOWN(mm->start_stack - gap) : 0;
}

/*
 * Copies the target's address-space limits into the worker, so that the
 * kernel's own checks in vm_mmap() (may_expand_vm(), mlock_future_ok())
 * read the target's values rather than the kthread's.
 */
static void remotevm_adopt_rlimits(struct task_struct *task)
{
	static const unsigned int adopted[] = {
		RLIMIT_AS, RLIMIT_DATA, RLIMIT_MEMLOCK,
	};
	struct rlimit limits[ARRAY_SIZE(adopted)];
	unsigned int i;

	task_lock(task->group_leader);
	for (i = 0; i < ARRAY_SIZE(adopted); i++)
		limits[i] = task->signal->rlim[adopted[i]];
	task_unlock(task->group_leader);

	task_lock(current->group_leader);
	for (i = 0; i < ARRAY_SIZE(adopted); i++)
		current->signal->rlim[adopted[i]] = limits[i];
	task_unlock(current->group_leader);
}

/* Tasks that share a process's mm without being one of its user threads. */
#ifdef PF_USER_WORKER
#define REMOTEVM_PF_NOT_USER	(PF_KTHREAD | PF_IO_WORKER | PF_USER_WORKER)
#else
#define REMOTEVM_PF_NOT_USER	(PF_KTHREAD | PF_IO_WORKER)
#endif

/*
 * A live user thread of the process @tgid that runs in @mm, whose
 * credentials and limits are the target's: any one will do, so that the
 * handle outlives the thread it was attached by. -ESRCH if the process is
 * gone (a zombie leader is all that is left), -EACCES if it runs another
 * image now.
 */
int remotevm_target_thread(struct pid *tgid, struct mm_struct *mm,
			   struct task_struct **thread)
{
	struct task_struct *leader, *t;
	int ret = -ESRCH;

	rcu_read_lock();
	leader = pid_task(tgid, PIDTYPE_TGID);
	if (leader) {
		for_each_thread(leader, t) {
			struct mm_struct *t_mm = READ_ONCE(t->mm);

			if (!t_mm || (t->flags & (PF_EXITING | REMOTEVM_PF_NOT_USER)))
				continue;
			if (t_mm != mm) {
				ret = -EACCES;
				continue;
			}
			get_task_struct(t);
			*thread = t;
			ret = 0;
			break;
		}
	}
	rcu_read_unlock();
	return ret;
}

/*
 * Finds the target as it is now: a thread of the process we attached to,
 * its credentials and a reference on the mm we attached to. Fails with
 * -ESRCH if the process is gone or has exec'd: the handle never reaches a
 * new mm.
 */
static int remotevm_find_target(struct remotevm_handle *handle,
				struct remotevm_context *ctx)
{
	struct task_struct *task;

	if (remotevm_target_thread(handle->pid, handle->mm, &task))
		return -ESRCH;
	if (!mmget_not_zero(handle->mm)) {
		put_task_struct(task);
		return -ESRCH;
	}

	ctx->handle = handle;
	ctx->task = task;
	ctx->mm = handle->mm;
	ctx->record = handle->record;
	ctx->task_size = TASK_SIZE_OF(task);
	ctx->cred = get_task_cred(task);
	return 0;
}

static void remotevm_put_target(struct remotevm_context *ctx)
{
	put_cred(ctx->cred);
	mmput(ctx->mm);
	put_task_struct(ctx->task);
}

/*
 * Becomes the target, as far as vm_mmap() can tell: its mm, credentials
 * (for LSM hooks, capabilities and mmap_min_addr), memcg (for the kernel
 * memory vm_mmap() allocates) and limits.
 */
static int remotevm_enter(struct remotevm_handle *handle,
			  struct remotevm_context *ctx)
{
	int ret = remotevm_find_target(handle, ctx);

	if (ret)
		return ret;
	ctx->mmap_base = remotevm_top_down_base(ctx->task, ctx->mm,
						ctx->task_size,
						&ctx->bottom_up_base);
	ctx->memcg = get_mem_cgroup_from_mm(ctx->mm);
	kthread_use_mm(ctx->mm);
	ctx->saved_memcg = set_active_memcg(ctx->memcg);
	ctx->saved_cred = override_creds(ctx->cred);
	return 0;
}

/*
 * Whether the thread we entered by still runs in our mm with the
 * credentials we adopted: it may have exited, or the process exec'd or
 * changed credentials since remotevm_enter() (a polling session keeps
 * what it adopted across requests). A move to another memcg is seen at
 * the next session.
 */
static bool remotevm_target_unchanged(struct remotevm_context *ctx)
{
	bool unchanged;

	task_lock(ctx->task);
	unchanged = ctx->task->mm == ctx->mm &&
		    rcu_access_pointer(ctx->task->real_cred) == ctx->cred;
	task_unlock(ctx->task);
	return unchanged;
}

static void remotevm_leave(struct remotevm_context *ctx)
{
	revert_creds(ctx->saved_cred);
	set_active_memcg(ctx->saved_memcg);
	kthread_unuse_mm(ctx->mm);
	mem_cgroup_put(ctx->memcg);
	remotevm_put_target(ctx);
}

/*
 * Holds off exec for the request, as mm_access() does: exec switches the
 * mm and then commits the new image's credentials under exec_update_lock,
 * so with it held, what remotevm_enter() adopted stays the target's until
 * the request is done. 0 when held and nothing changed, 1 when the target
 * changed (enter again), -EINTR on abort.
 */
static int remotevm_lock_target(struct remotevm_context *ctx)
{
	struct rw_semaphore *exec_lock = &ctx->task->signal->exec_update_lock;

	if (down_read_killable(exec_lock))
		return -EINTR;
	if (remotevm_target_unchanged(ctx))
		return 0;
	up_read(exec_lock);
	return 1;
}

/* How often a request's worker looks at its target: see below. */
#define REMOTEVM_TARGET_WATCH	(HZ / 10)

/* Whether the target is on its way out: killed, exiting or exec'ing. */
static bool remotevm_process_leaving(struct pid *tgid)
{
	struct task_struct *leader;
	bool leaving;

	rcu_read_lock();
	leader = pid_task(tgid, PIDTYPE_TGID);
	leaving = !leader ||
		  (READ_ONCE(leader->signal->flags) & SIGNAL_GROUP_EXIT) ||
		  READ_ONCE(leader->signal->group_exec_task) ||
		  !atomic_read(&leader->signal->live);
	rcu_read_unlock();
	return leaving;
}

/*
 * Every REMOTEVM_TARGET_WATCH while a request executes: once the target
 * is leaving, the worker gets SIGKILL, as remotevm_abort() sends.
 * vm_mmap() populates a commit into an mlockall(MCL_FUTURE) target until
 * done or until its caller has a fatal signal. Without this the worker
 * went on populating for a killed target, holding its mmap lock, which
 * kept the target from ever exiting: no OOM kill could stop either.
 */
static void remotevm_watch_target(struct timer_list *timer)
{
	struct remotevm_record *record = from_timer(record, timer, target_watch);

	if (remotevm_process_leaving(record->watched))
		send_sig(SIGKILL, record->worker->task, 1);
	else
		mod_timer(timer, jiffies + REMOTEVM_TARGET_WATCH);
}

void remotevm_watch_init(struct remotevm_record *record)
{
	timer_setup(&record->target_watch, remotevm_watch_target, 0);
}

/* One request, under the lock that serialises every handle on this mm. */
static int remotevm_execute(struct remotevm_context *ctx,
			    struct remotevm_request *req)
{
	struct remotevm_record *record = ctx->record;
	int ret;

	/* Each time: the target may have changed them since the last one. */
	remotevm_adopt_rlimits(ctx->task);
	mutex_lock(&record->lock);
	WRITE_ONCE(record->busy_worker, current);
	record->clobbered_start = 0;
	record->clobbered_end = 0;
	record->watched = ctx->handle->pid;
	if (remotevm_process_leaving(record->watched))
		send_sig(SIGKILL, current, 1);
	else
		mod_timer(&record->target_watch, jiffies + REMOTEVM_TARGET_WATCH);
	ret = req->fn(ctx, req->arg);
	/* One that returns no errno per op (release on close) still warns. */
	remotevm_take_clobbered(ctx);
	del_timer_sync(&record->target_watch);
	/*
	 * Cut short because the target is leaving (its watch killed us): it
	 * is gone, as the next request would find, not interrupted.
	 */
	if (ret == -EINTR && remotevm_process_leaving(record->watched))
		ret = -ESRCH;
	WRITE_ONCE(record->busy_worker, NULL);
	mutex_unlock(&record->lock);
	return ret;
}

/*
 * Enters the target unless the session is in it already, and executes @req.
 * A thread exit or a change of credentials means entering again; a target
 * that keeps changing gets -EAGAIN rather than a worker that never ends.
 */
static int remotevm_serve(struct remotevm_handle *handle,
			  struct remotevm_context *ctx, bool *entered,
			  struct remotevm_request *req)
{
	int tries, ret = -EAGAIN;

	for (tries = 0; tries < 3; tries++) {
		if (!*entered) {
			ret = remotevm_enter(handle, ctx);
			if (ret)
				return ret;
			*entered = true;
		}
		ret = remotevm_lock_target(ctx);
		if (ret <= 0)
			break;
		remotevm_leave(ctx);
		*entered = false;
		ret = -EAGAIN;
	}
	if (ret)
		return ret;
	ret = remotevm_execute(ctx, req);
	up_read(&ctx->task->signal->exec_update_lock);
	return ret;
}

/* Whether to execute @req: not if its caller gave up on it already. */
static bool remotevm_start(struct remotevm_record *record,
			   struct remotevm_request *req)
{
	bool start;

	spin_lock(&record->executing_lock);
	start = !req->aborted;
	if (start)
		record->executing = req;
	spin_unlock(&record->executing_lock);
	return start;
}

static void remotevm_finish(struct remotevm_record *record)
{
	spin_lock(&record->executing_lock);
	record->executing = NULL;
	spin_unlock(&record->executing_lock);
	/* A SIGKILL from remotevm_abort() was for that request only. */
	if (signal_pending(current))
		flush_signals(current);
}

static bool remotevm_poll_expired(u64 deadline)
{
	return need_resched() || ktime_get_ns() >= deadline;
}

/*
 * The session's next request: one already handed over, or, on a polling
 * handle, one that comes within poll_us while nothing else wants this CPU.
 * NULL ends the session; the next request is then queued as new work.
 */
static struct remotevm_request *remotevm_next_request(struct remotevm_handle *handle)
{
	u64 deadline = ktime_get_ns() + handle->poll_us * NSEC_PER_USEC;
	struct remotevm_request *req;

	while (!READ_ONCE(handle->next) && !READ_ONCE(handle->closing) &&
	       single_task_running() && !remotevm_poll_expired(deadline))
		cpu_relax();

	spin_lock(&handle->session_lock);
	req = handle->next;
	handle->next = NULL;
	if (!req)
		handle->in_session = false;
	spin_unlock(&handle->session_lock);
	return req;
}

/*
 * A session: the queued request, then those handed to it directly, all in
 * the target's mm, entered once.
 */
static void remotevm_work(struct kthread_work *work)
{
	struct remotevm_request *req = container_of(work, struct remotevm_request,
						    work);
	struct remotevm_handle *handle = req->handle;
	struct remotevm_record *record = handle->record;
	struct remotevm_context ctx;
	bool entered = false;

	do {
		if (remotevm_start(record, req)) {
			req->ret = remotevm_serve(handle, &ctx, &entered, req);
			remotevm_finish(record);
		} else {
			req->ret = -EINTR;
		}
		/* From here on req is the caller's again: it may be gone. */
		complete(&req->done);
	} while ((req = remotevm_next_request(handle)));
	if (entered)
		remotevm_leave(&ctx);
}

static bool remotevm_target_running(struct remotevm_handle *handle)
{
	struct task_struct *task;
	bool running;

	rcu_read_lock();
	task = pid_task(handle->pid, PIDTYPE_TGID);
	running = task && task_is_running(task);
	rcu_read_unlock();
	return running;
}

/*
 * By default the worker runs where the caller is: the caller sleeps until
 * the work is done, so its CPU is free, and the hand-off then wakes no
 * other CPU (under TCG that halved a single operation's cost), nor lands
 * on the target's. A polling handle's worker runs on another CPU, where
 * it can wait busy for the next request while the caller waits busy for
 * the result; but not while the target runs, whose CPU it would take, and
 * only on a CPU the caller may use itself (its affinity and cpuset) and
 * the kernel keeps for housekeeping: never on an isolated one.
 * Returns whether the worker runs elsewhere.
 */
static bool remotevm_place_worker(struct remotevm_handle *handle)
{
	struct task_struct *worker = handle->record->worker->task;
	int cpu = raw_smp_processor_id();
	const struct cpumask *cpus = cpumask_of(cpu);
	bool elsewhere = false;

	if (handle->poll_us && !remotevm_target_running(handle)) {
		cpumask_andnot(handle->poll_cpus, current->cpus_ptr, cpus);
		cpumask_and(handle->poll_cpus, handle->poll_cpus, cpu_online_mask);
		cpumask_and(handle->poll_cpus, handle->poll_cpus,
			    housekeeping_cpumask(HK_TYPE_KTHREAD));
		cpumask_and(handle->poll_cpus, handle->poll_cpus,
			    housekeeping_cpumask(HK_TYPE_DOMAIN));
		elsewhere = !cpumask_empty(handle->poll_cpus);
		if (elsewhere)
			cpus = handle->poll_cpus;
	}
	if (!cpumask_equal(worker->cpus_ptr, cpus))
		set_cpus_allowed_ptr(worker, cpus);
	return elsewhere;
}

/* The caller's half of polling: the result, if it comes within poll_us. */
static void remotevm_poll_result(struct remotevm_handle *handle,
				 struct completion *done)
{
	u64 deadline = ktime_get_ns() + handle->poll_us * NSEC_PER_USEC;

	while (!completion_done(done) && !remotevm_poll_expired(deadline))
		cpu_relax();
}

/*
 * The caller gives up on @req: it is being killed, or is closing the
 * handle and the target does not let go. A request not started yet never
 * will be; the one executing gets SIGKILL, which ends each wait it can be
 * in (the mmap lock, a userfaultfd monitor that never answers, page
 * faults), so that the wait for it here is short.
 */
static void remotevm_abort(struct remotevm_request *req)
{
	struct remotevm_handle *handle = req->handle;
	struct remotevm_record *record = handle->record;

	spin_lock(&record->executing_lock);
	req->aborted = true;
	if (record->executing == req)
		send_sig(SIGKILL, record->worker->task, 1);
	spin_unlock(&record->executing_lock);
	if (kthread_cancel_work_sync(&req->work)) {
		/* Taken off the queue: neither it nor its session ever ran. */
		spin_lock(&handle->session_lock);
		handle->in_session = false;
		spin_unlock(&handle->session_lock);
		req->ret = -EINTR;
		return;
	}
	wait_for_completion(&req->done);
}

/* To the session the worker is in for this handle, or as new work. */
static void remotevm_hand_over(struct remotevm_handle *handle,
			       struct remotevm_request *req)
{
	bool in_session;

	spin_lock(&handle->session_lock);
	in_session = handle->in_session;
	if (in_session)
		handle->next = req;
	else
		handle->in_session = true;
	spin_unlock(&handle->session_lock);
	if (!in_session)
		kthread_queue_work(handle->record->worker, &req->work);
}

/* Whether @done came while the release on close still made progress. */
static bool remotevm_wait_closing(struct remotevm_handle *handle,
				  struct completion *done)
{
	unsigned long progress;
	bool completed;

	do {
		progress = READ_ONCE(handle->released_on_close);
		completed = wait_for_completion_timeout(done,
							REMOTEVM_CLOSE_TIMEOUT);
	} while (!completed && READ_ONCE(handle->released_on_close) != progress);
	return completed;
}

/*
 * Hands @fn to the worker and waits for it, killably; when closing, as
 * long as the release on close makes progress within REMOTEVM_CLOSE_TIMEOUT
 * (a closing task may be exiting, when no signal can reach it any more).
 */
int remotevm_call(struct remotevm_handle *handle,
		  int (*fn)(struct remotevm_context *ctx, void *arg),
		  void *arg, bool closing)
{
	struct remotevm_request req = {
		.handle = handle,
		.fn = fn,
		.arg = arg,
	};
	bool worker_elsewhere, done;

	worker_elsewhere = remotevm_place_worker(handle);
	kthread_init_work(&req.work, remotevm_work);
	init_completion(&req.done);
	remotevm_hand_over(handle, &req);

	if (worker_elsewhere)
		remotevm_poll_result(handle, &req.done);
	if (closing)
		done = remotevm_wait_closing(handle, &req.done);
	else
		done = !wait_for_completion_killable(&req.done);
	if (!done)
		remotevm_abort(&req);
	return req.ret;
}

/*
 * Work that only reads the target's mm and the record (QUERY, REGIONS)
 * needs none of what the worker adopts: it is done here, in the caller,
 * without the hand-off. Under the locks the worker takes, in the same
 * order, so that the answer is about the image we attached to.
 */
static int remotevm_inspect(struct remotevm_handle *handle,
			    int (*fn)(struct remotevm_context *ctx, void *arg),
			    void *arg)
{
	struct remotevm_context ctx;
	int tries, ret = 1;

	for (tries = 0; tries < 3 && ret > 0; tries++) {
		ret = remotevm_find_target(handle, &ctx);
		if (ret)
			return ret;
		ret = remotevm_lock_target(&ctx);
		if (ret > 0)
			remotevm_put_target(&ctx);
	}
	if (ret > 0)
		return -EAGAIN;
	if (ret)
		goto out_put;
	ret = mutex_lock_killable(&ctx.record->lock);
	if (!ret) {
		ret = fn(&ctx, arg);
		mutex_unlock(&ctx.record->lock);
	}
	up_read(&ctx.task->signal->exec_update_lock);
out_put:
	remotevm_put_target(&ctx);
	return ret;
}

/*
 * The one place that serves an ioctl's work: in the worker, or in the
 * caller if it only reads (@inspect).
 */
int remotevm_submit(struct remotevm_handle *handle,
		    int (*fn)(struct remotevm_context *ctx, void *arg),
		    void *arg, bool inspect)
{
	int ret;

	if (mutex_lock_killable(&handle->lock))
		return -EINTR;
	if (!handle->pid)
		ret = -EBADFD;
	else if (inspect)
		ret = remotevm_inspect(handle, fn, arg);
	else
		ret = remotevm_call(handle, fn, arg, false);
	mutex_unlock(&handle->lock);
	return ret;
}

/* A polling session may still wait for this handle's next request: end it. */
void remotevm_end_session(struct remotevm_handle *handle)
{
	bool in_session;

	for (;;) {
		spin_lock(&handle->session_lock);
		handle->closing = true;
		in_session = handle->in_session;
		spin_unlock(&handle->session_lock);
		if (!in_session)
			return;
		schedule_timeout_uninterruptible(1);
	}
}

/* kthreads ignore signals unless allowed: remotevm_abort() needs SIGKILL. */
static void remotevm_worker_init(struct kthread_work *work)
{
	allow_signal(SIGKILL);
}

/* The mm's worker, made by the first handle attached to it. */
int remotevm_worker_get(struct remotevm_record *record, pid_t tgid)
{
	struct kthread_worker *worker;
	struct kthread_work init;
	int ret = 0;

	mutex_lock(&record->worker_lock);
	if (!record->worker) {
		worker = kthread_create_worker(0, "remotevm/%d", tgid);
		if (IS_ERR(worker)) {
			ret = PTR_ERR(worker);
			goto out;
		}
		kthread_init_work(&init, remotevm_worker_init);
		kthread_queue_work(worker, &init);
		kthread_flush_work(&init);
		record->worker = worker;
	}
	record->nr_handles++;
out:
	mutex_unlock(&record->worker_lock);
	return ret;
}

/* The last handle on the mm takes the worker with it: it is idle by then. */
void remotevm_worker_put(struct remotevm_record *record)
{
	struct kthread_worker *worker = NULL;

	mutex_lock(&record->worker_lock);
	if (!--record->nr_handles) {
		worker = record->worker;
		record->worker = NULL;
	}
	mutex_unlock(&record->worker_lock);
	if (worker)
		kthread_destroy_worker(worker);
}

