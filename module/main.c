// SPDX-License-Identifier: GPL-2.0-only
/*
 * remotevm: reserve, commit, query and free memory in another process's
 * address space, without stopping it and without running any code in it.
 *
 * A handle (an open file of /dev/remotevm) is attached to a target by pid
 * and an open /proc/<pid>/mem file. Opening that file is where the kernel
 * itself decides whether the caller may ptrace-attach to the target (see
 * remotevm_ioctl_attach()); the module grants nothing that file does not
 * already grant. Operations run on a worker kthread, one per target mm
 * and shared by every handle attached to it, that adopts the target's mm
 * with kthread_use_mm(), the target's credentials, memcg and address-space
 * rlimits, so that vm_mmap() applies the target's own policy.
 */

#include <linux/compiler.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/magic.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "remotevm.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* A struct only ever grows: what it has now is at least what it had first. */
static_assert(sizeof(struct remotevm_api) >= REMOTEVM_API_SIZE_VER0);
static_assert(sizeof(struct remotevm_attach) >= REMOTEVM_ATTACH_SIZE_VER1);
static_assert(sizeof(struct remotevm_alloc) >= REMOTEVM_ALLOC_SIZE_VER0);
static_assert(sizeof(struct remotevm_free) >= REMOTEVM_FREE_SIZE_VER0);
static_assert(sizeof(struct remotevm_query) >= REMOTEVM_QUERY_SIZE_VER0);
static_assert(sizeof(struct remotevm_protect) >= REMOTEVM_PROTECT_SIZE_VER0);
static_assert(sizeof(struct remotevm_region) >= REMOTEVM_REGION_SIZE_VER0);
static_assert(sizeof(struct remotevm_regions) >= REMOTEVM_REGIONS_SIZE_VER0);
static_assert(sizeof(struct remotevm_op) >= REMOTEVM_OP_SIZE_VER0);
static_assert(sizeof(struct remotevm_batch) >= REMOTEVM_BATCH_SIZE_VER0);
static_assert(sizeof(struct remotevm_read) >= REMOTEVM_READ_SIZE_VER0);

/*
 * REMOTEVM_IOC_READ reads this much at most under one hold of the locks,
 * and into one kernel buffer: the locks are never held across a copy into
 * the caller's memory, where a fault could wait on userfaultfd for ever.
 */
#define REMOTEVM_READ_CHUNK		SZ_64K

/* The ioctl number without its size, so that any struct version matches. */
#define REMOTEVM_IOC_BASE(cmd)		((cmd) & ~IOCSIZE_MASK)

/*
 * procfs does not export its /proc/<pid>/mem file_operations; learn their
 * address from a file of that kind at load, to recognise mem files later.
 */
static const struct file_operations *proc_mem_fops;
static atomic64_t remotevm_handle_ids;

/* ------------------------------------------------------------------ */
/* Arguments in and out, in the caller's context                      */
/* ------------------------------------------------------------------ */

static int remotevm_copy_in(void *dst, size_t ksize, size_t ver0,
			    const void __user *src, size_t usize)
{
	if (usize < ver0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(dst, ksize, src, usize);
}

static int remotevm_copy_out(void __user *dst, size_t usize,
			     const void *src, size_t ksize)
{
	return copy_to_user(dst, src, min(usize, ksize)) ? -EFAULT : 0;
}

/*
 * The stride of an array of extensible structs, the element size the
 * caller was built with: at least the first published size, whole words,
 * at most a page.
 */
static bool remotevm_stride_valid(u32 stride, size_t ver0)
{
	return stride >= ver0 && stride <= PAGE_SIZE &&
	       IS_ALIGNED(stride, sizeof(u64));
}

/* ------------------------------------------------------------------ */
/* ioctls                                                             */
/* ------------------------------------------------------------------ */

static int remotevm_ioctl_api(void __user *uarg, size_t usize)
{
	struct remotevm_api api;
	u32 code;
	int ret = remotevm_copy_in(&api, sizeof(api), REMOTEVM_API_SIZE_VER0,
				   uarg, usize);

	if (ret)
		return ret;
	if (api.api != REMOTEVM_API || api.pad || api.features || api.ops)
		return -EINVAL;
	api.features = REMOTEVM_FEATURE_BATCH | REMOTEVM_FEATURE_PLACEMENT |
		       REMOTEVM_FEATURE_RELEASE_ON_CLOSE |
		       REMOTEVM_FEATURE_REGIONS | REMOTEVM_FEATURE_PROTECT_COPY |
		       REMOTEVM_FEATURE_POLL | REMOTEVM_FEATURE_READ |
		       REMOTEVM_FEATURE_WIN32_RULES;
	for (code = 0; code < ARRAY_SIZE(remotevm_op_types); code++)
		if (remotevm_op_type(code))
			api.ops |= BIT_ULL(code);
	return remotevm_copy_out(uarg, usize, &api, sizeof(api));
}

/*
 * The process (thread group) a /proc/<pid>/mem or /proc/<pid>/task/<tid>/mem
 * file was opened for: its directory is named after the pid in the pid
 * namespace of that procfs. NULL if it is gone.
 */
static struct pid *remotevm_mem_file_process(struct file *mem)
{
	struct dentry *dir = dget_parent(mem->f_path.dentry);
	struct name_snapshot name;
	struct task_struct *task;
	struct pid *tgid = NULL;
	int nr;

	take_dentry_name_snapshot(&name, dir);
	if (!kstrtoint(name.name.name, 10, &nr)) {
		rcu_read_lock();
		task = pid_task(find_pid_ns(nr, proc_pid_ns(dir->d_sb)),
				PIDTYPE_PID);
		if (task)
			tgid = get_pid(task_tgid(task));
		rcu_read_unlock();
	}
	release_dentry_name_snapshot(&name);
	dput(dir);
	return tgid;
}

/*
 * The mm a writable mem file was opened on, mmgrab()ed, and the process it
 * was opened for (NULL if gone). -EBADF for any other file, -EINVAL for a
 * kernel thread's, which has no mm.
 */
static int remotevm_mem_file_open(int fd, struct mm_struct **mm,
				  struct pid **opened_for)
{
	struct file *mem = fget(fd);
	int ret = 0;

	if (!mem)
		return -EBADF;
	if (mem->f_op != proc_mem_fops || !(mem->f_mode & FMODE_WRITE))
		ret = -EBADF;
	else if (!mem->private_data)
		ret = -EINVAL;
	if (!ret) {
		*mm = mem->private_data;
		mmgrab(*mm);
		*opened_for = remotevm_mem_file_process(mem);
	}
	fput(mem);
	return ret;
}

/*
 * A handle names a process, never one of its threads (-EINVAL: the
 * process lives on when it exits) nor a kernel thread (-EINVAL: one that
 * shares the target's mm, a remotevm worker or a 6.1 vhost worker, has
 * root's credentials and limits).
 */
static int remotevm_process_valid(struct pid *pid)
{
	struct task_struct *task;
	int ret = 0;

	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_TGID);
	if (!task)
		ret = pid_task(pid, PIDTYPE_PID) ? -EINVAL : -ESRCH;
	else if (task->flags & PF_KTHREAD)
		ret = -EINVAL;
	rcu_read_unlock();
	return ret;
}

/*
 * The process @attach names, if @attach's mem file proves access to it:
 * the file was opened for that very process and on the image it runs.
 * Returns its mm, mmgrab()ed, and its pid, referenced.
 */
static int remotevm_attach_target(const struct remotevm_attach *attach,
				  struct mm_struct **mm, struct pid **pid)
{
	struct task_struct *thread;
	struct pid *opened_for;
	int ret;

	ret = remotevm_mem_file_open(attach->mem_fd, mm, &opened_for);
	if (ret)
		return ret;
	*pid = find_get_pid(attach->pid);
	ret = *pid ? remotevm_process_valid(*pid) : -ESRCH;
	/*
	 * The file was checked against another process's credentials, even
	 * if that one shares the mm (CLONE_VM).
	 */
	if (!ret && opened_for != *pid)
		ret = -EACCES;
	/* Gone (a zombie), or the file proves access to an image it no longer runs. */
	if (!ret)
		ret = remotevm_target_thread(*pid, *mm, &thread);
	if (!ret)
		put_task_struct(thread);
	put_pid(opened_for);
	if (ret) {
		put_pid(*pid);
		mmdrop(*mm);
	}
	return ret;
}

/*
 * Binds @handle to the target's live @mm, whose record and worker it
 * shares with every other handle on that mm.
 */
static int remotevm_handle_bind(struct remotevm_handle *handle,
				const struct remotevm_attach *attach,
				struct mm_struct *mm, struct pid *pid)
{
	struct mmu_notifier *notifier;
	int ret;

	ret = mutex_lock_killable(&handle->lock);
	if (ret)
		return ret;
	ret = -EBUSY;
	if (handle->pid)
		goto out_unlock;
	notifier = mmu_notifier_get(&remotevm_record_ops, mm);
	ret = PTR_ERR(notifier);
	if (IS_ERR(notifier))
		goto out_unlock;
	ret = remotevm_worker_get(remotevm_record_of(notifier), pid_nr(pid));
	if (ret) {
		mmu_notifier_put(notifier);
		goto out_unlock;
	}
	handle->record = remotevm_record_of(notifier);
	handle->flags = attach->flags;
	handle->poll_us = attach->poll_us;
	mmgrab(mm);
	handle->mm = mm;
	handle->pid = get_pid(pid);
out_unlock:
	mutex_unlock(&handle->lock);
	return ret;
}

/*
 * The access rule. Opening /proc/<pid>/mem runs the kernel's own ptrace
 * attach check (mm_access() with PTRACE_MODE_ATTACH_FSCREDS: credentials,
 * dumpability, user namespaces, Yama, every LSM) against the opener and
 * binds the mm it checked to the file. Neither mm_access() nor
 * ptrace_may_access() is exported, so the open file is the proof: we take
 * its mm, never anything the file did not grant, for the process it was
 * opened for. This relies on procfs internals (the mem file's f_op, its
 * private_data being the mm, its directory named after the pid, as in 6.1
 * through 6.12); the selftests check them on every kernel.
 */
static int remotevm_ioctl_attach(struct remotevm_handle *handle,
				 void __user *uarg, size_t usize)
{
	struct remotevm_attach attach;
	struct mm_struct *mm;
	struct pid *pid;
	int ret;

	ret = remotevm_copy_in(&attach, sizeof(attach),
			       REMOTEVM_ATTACH_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	if ((attach.flags & ~REMOTEVM_ATTACH_RELEASE_ON_CLOSE) || !attach.pid ||
	    attach.pid > PID_MAX_LIMIT || attach.mem_fd < 0 ||
	    attach.poll_us > REMOTEVM_POLL_US_MAX || attach.pad)
		return -EINVAL;

	ret = remotevm_attach_target(&attach, &mm, &pid);
	if (ret)
		return ret;
	ret = -ESRCH;
	if (mmget_not_zero(mm)) {
		ret = remotevm_handle_bind(handle, &attach, mm, pid);
		mmput(mm);
	}
	if (!ret)
		trace_attach(handle);
	put_pid(pid);
	mmdrop(mm);
	return ret;
}

/* ALLOC, FREE, QUERY, PROTECT: one operation, its own struct. */
static int remotevm_ioctl_op(struct remotevm_handle *handle, u32 code,
			     unsigned int cmd, void __user *uarg, size_t usize)
{
	const struct remotevm_op_type *type = remotevm_op_type(code);
	struct remotevm_checked_op checked = { .op.code = code };
	struct remotevm_op_list list = { .ops = &checked, .count = 1 };
	struct remotevm_alloc *alloc = &checked.op.alloc;
	size_t size = type->size;
	int ret;

	ret = remotevm_copy_in(checked.op.reserved, size, type->ver0, uarg,
			       usize);
	if (ret)
		return ret;
	ret = remotevm_op_check(&checked);
	if (ret)
		return ret;
	ret = remotevm_submit_ops(handle, &list);
	if (ret || !(_IOC_DIR(cmd) & _IOC_READ))
		return ret;
	ret = remotevm_copy_out(uarg, usize, checked.op.reserved, size);
	/*
	 * An allocation whose address the caller never learns is undone. The
	 * unmap can fail for want of memory (a VMA split, a tree node; seen
	 * under failslab): a few more tries, then the allocation stays
	 * recorded, and goes with the handle if that releases on close.
	 */
	if (ret && checked.execute == remotevm_reserve) {
		struct remotevm_checked_op release = {
			.op.code = REMOTEVM_OP_FREE,
			.op.free.address = alloc->allocated_address,
			.op.free.free_type = REMOTEVM_MEM_RELEASE,
			.execute = remotevm_release,
		};
		int tries = 0;

		list.ops = &release;
		do {
			list.completed = 0;
		} while (remotevm_submit_ops(handle, &list) == -ENOMEM && ++tries < 8);
	}
	return ret;
}

/* Every element is read once and checked before any of them is executed. */
static int remotevm_batch_copy_in(struct remotevm_op_list *list,
				  const u8 __user *uops, u32 op_size)
{
	u32 i;
	int ret;

	for (i = 0; i < list->count; i++) {
		ret = copy_struct_from_user(&list->ops[i].op,
					    sizeof(list->ops[i].op),
					    uops + (size_t)i * op_size, op_size);
		if (!ret)
			ret = remotevm_op_check(&list->ops[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Element @i of an array of extensible structs, at the caller's @stride:
 * one rule for BATCH and REGIONS, a newer caller's fields we do not know
 * read as zero.
 */
static int remotevm_copy_element_out(u8 __user *array, u32 i, u32 stride,
				     const void *src, size_t ksize)
{
	u8 __user *dst = array + (size_t)i * stride;
	size_t size = min_t(size_t, stride, ksize);

	if (copy_to_user(dst, src, size) || clear_user(dst + size, stride - size))
		return -EFAULT;
	return 0;
}

/* Results of the operations that ran, and of the one that failed. */
static int remotevm_batch_copy_out(const struct remotevm_op_list *list,
				   u8 __user *uops, u32 op_size)
{
	u32 i;

	for (i = 0; i < min(list->completed + 1, list->count); i++)
		if (remotevm_copy_element_out(uops, i, op_size, &list->ops[i].op,
					      sizeof(list->ops[i].op)))
			return -EFAULT;
	return 0;
}

static int remotevm_ioctl_batch(struct remotevm_handle *handle,
				void __user *uarg, size_t usize)
{
	struct remotevm_op_list list = { 0 };
	struct remotevm_batch batch;
	u8 __user *uops;
	u64 start;
	int ret;

	ret = remotevm_copy_in(&batch, sizeof(batch), REMOTEVM_BATCH_SIZE_VER0,
			       uarg, usize);
	if (ret)
		return ret;
	if (batch.flags || !batch.count || batch.count > REMOTEVM_BATCH_MAX ||
	    !remotevm_stride_valid(batch.op_size, REMOTEVM_OP_SIZE_VER0))
		return -EINVAL;

	list.ops = kvcalloc(batch.count, sizeof(*list.ops), GFP_KERNEL);
	if (!list.ops)
		return -ENOMEM;
	list.count = batch.count;
	uops = u64_to_user_ptr(batch.ops);
	ret = remotevm_batch_copy_in(&list, uops, batch.op_size);
	if (ret)
		goto out;
	start = ktime_get_ns();
	ret = remotevm_submit_ops(handle, &list);
	trace_batch(pid_nr(handle->pid), list.count, list.completed, ret,
		    ktime_get_ns() - start);
	batch.completed = list.completed;
	/*
	 * completed is written even if the results cannot be, so that the
	 * caller still learns how far the batch went.
	 */
	if (remotevm_batch_copy_out(&list, uops, batch.op_size))
		ret = -EFAULT;
	if (remotevm_copy_out(uarg, usize, &batch, sizeof(batch)))
		ret = -EFAULT;
out:
	kvfree(list.ops);
	return ret;
}

static int remotevm_regions_copy_out(const struct remotevm_region_list *list,
				     u8 __user *uregions, u32 region_size)
{
	u32 i;

	for (i = 0; i < list->written; i++)
		if (remotevm_copy_element_out(uregions, i, region_size,
					      &list->regions[i],
					      sizeof(list->regions[i])))
			return -EFAULT;
	return 0;
}

static int remotevm_ioctl_regions(struct remotevm_handle *handle,
				  void __user *uarg, size_t usize)
{
	struct remotevm_region_list list = { 0 };
	struct remotevm_regions req;
	int ret;

	ret = remotevm_copy_in(&req, sizeof(req), REMOTEVM_REGIONS_SIZE_VER0,
			       uarg, usize);
	if (ret)
		return ret;
	if (req.start >= req.end || !req.count ||
	    req.count > REMOTEVM_REGIONS_MAX ||
	    !remotevm_stride_valid(req.region_size, REMOTEVM_REGION_SIZE_VER0))
		return -EINVAL;

	list.start = req.start;
	list.end = req.end;
	list.count = req.count;
	list.regions = kvcalloc(req.count, sizeof(*list.regions), GFP_KERNEL);
	if (!list.regions)
		return -ENOMEM;
	ret = remotevm_submit(handle, remotevm_list_regions, &list, true) ?:
	      remotevm_regions_copy_out(&list, u64_to_user_ptr(req.regions),
					req.region_size);
	if (ret)
		goto out;
	req.count = list.written;
	req.next = list.start;
	ret = remotevm_copy_out(uarg, usize, &req, sizeof(req));
out:
	kvfree(list.regions);
	return ret;
}

/*
 * Chunk by chunk, each read under the locks and then copied out without
 * them. An error after some bytes were read ends the read short, as
 * read(2) does.
 */
static int remotevm_read_chunks(struct remotevm_handle *handle,
				struct remotevm_read *req, u64 size)
{
	struct remotevm_read_chunk chunk;
	int ret = 0;

	chunk.buf = kvmalloc(min_t(u64, size, REMOTEVM_READ_CHUNK), GFP_KERNEL);
	if (!chunk.buf)
		return -ENOMEM;
	while (req->bytes_read < size) {
		chunk.address = req->address + req->bytes_read;
		chunk.len = min_t(u64, size - req->bytes_read,
				  REMOTEVM_READ_CHUNK);
		ret = remotevm_submit(handle, remotevm_read_memory, &chunk, true);
		if (ret)
			break;
		if (copy_to_user(u64_to_user_ptr(req->buffer + req->bytes_read),
				 chunk.buf, chunk.done)) {
			ret = -EFAULT;
			break;
		}
		req->bytes_read += chunk.done;
		if (chunk.done < chunk.len)
			break;
	}
	kvfree(chunk.buf);
	return req->bytes_read ? 0 : ret;
}

static int remotevm_ioctl_read(struct remotevm_handle *handle,
			       void __user *uarg, size_t usize)
{
	struct remotevm_read req;
	int ret;

	ret = remotevm_copy_in(&req, sizeof(req), REMOTEVM_READ_SIZE_VER0,
			       uarg, usize);
	if (ret)
		return ret;
	if (!req.size || req.flags)
		return -EINVAL;
	req.bytes_read = 0;
	ret = remotevm_read_chunks(handle, &req,
				   min_t(u64, req.size, MAX_RW_COUNT));
	if (ret)
		return ret;
	return remotevm_copy_out(uarg, usize, &req, sizeof(req));
}

static long remotevm_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct remotevm_handle *handle = file->private_data;
	void __user *uarg = (void __user *)arg;
	size_t usize = _IOC_SIZE(cmd);

	switch (REMOTEVM_IOC_BASE(cmd)) {
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_API):
		return remotevm_ioctl_api(uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_ATTACH):
		return remotevm_ioctl_attach(handle, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_ALLOC):
		return remotevm_ioctl_op(handle, REMOTEVM_OP_ALLOC, cmd, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_FREE):
		return remotevm_ioctl_op(handle, REMOTEVM_OP_FREE, cmd, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_QUERY):
		return remotevm_ioctl_op(handle, REMOTEVM_OP_QUERY, cmd, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_PROTECT):
		return remotevm_ioctl_op(handle, REMOTEVM_OP_PROTECT, cmd, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_BATCH):
		return remotevm_ioctl_batch(handle, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_REGIONS):
		return remotevm_ioctl_regions(handle, uarg, usize);
	case REMOTEVM_IOC_BASE(REMOTEVM_IOC_READ):
		return remotevm_ioctl_read(handle, uarg, usize);
	}
	return -ENOTTY;
}

static int remotevm_char_open(struct inode *inode, struct file *file)
{
	struct remotevm_handle *handle = kzalloc(sizeof(*handle), GFP_KERNEL_ACCOUNT);

	if (!handle)
		return -ENOMEM;
	if (!alloc_cpumask_var(&handle->poll_cpus, GFP_KERNEL_ACCOUNT)) {
		kfree(handle);
		return -ENOMEM;
	}
	mutex_init(&handle->lock);
	spin_lock_init(&handle->session_lock);
	handle->id = atomic64_inc_return(&remotevm_handle_ids);
	file->private_data = handle;
	return nonseekable_open(inode, file);
}

static int remotevm_char_release(struct inode *inode, struct file *file)
{
	struct remotevm_handle *handle = file->private_data;

	if (handle->pid) {
		trace_detach(handle);
		/* A target that is gone has nothing left to release. */
		if (handle->flags & REMOTEVM_ATTACH_RELEASE_ON_CLOSE)
			remotevm_call(handle, remotevm_release_owned, NULL, true);
		remotevm_end_session(handle);
		remotevm_worker_put(handle->record);
		mmu_notifier_put(&handle->record->notifier);
		mmdrop(handle->mm);
		put_pid(handle->pid);
	}
	free_cpumask_var(handle->poll_cpus);
	kfree(handle);
	return 0;
}

static const struct file_operations remotevm_fops = {
	.owner = THIS_MODULE,
	.open = remotevm_char_open,
	.release = remotevm_char_release,
	.unlocked_ioctl = remotevm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice remotevm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "remotevm",
	.fops = &remotevm_fops,
	.mode = 0600,
};

/*
 * The path is resolved in the loader's mount namespace: a chroot or a
 * container may have anything at /proc. Only procfs's own mem file may
 * teach us what a mem file is, or any file of that kind would pass as a
 * proof of access.
 */
static bool remotevm_is_proc_mem(struct file *file)
{
	struct dentry *dentry = file->f_path.dentry;

	return dentry->d_sb->s_magic == PROC_SUPER_MAGIC &&
	       !strcmp(dentry->d_name.name, "mem");
}

static int __init remotevm_init(void)
{
	struct file *mem = filp_open("/proc/self/mem", O_RDONLY, 0);

	if (IS_ERR(mem)) {
		pr_err("cannot open /proc/self/mem to learn its file_operations: %ld\n",
		       PTR_ERR(mem));
		return PTR_ERR(mem);
	}
	if (!remotevm_is_proc_mem(mem)) {
		pr_err("/proc/self/mem is not procfs's mem file: load with the real /proc mounted\n");
		filp_close(mem, NULL);
		return -ENODEV;
	}
	proc_mem_fops = mem->f_op;
	filp_close(mem, NULL);
	return misc_register(&remotevm_misc);
}

static void __exit remotevm_exit(void)
{
	misc_deregister(&remotevm_misc);
	/* Records freed by the mmu_notifier core must be gone before our code. */
	mmu_notifier_synchronize();
}

module_init(remotevm_init);
module_exit(remotevm_exit);

MODULE_DESCRIPTION("Reserve, commit, query and free memory in another process's address space");
MODULE_AUTHOR("remotevm developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(REMOTEVM_VERSION);
