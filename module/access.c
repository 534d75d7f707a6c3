// SPDX-License-Identifier: GPL-2.0-only
/* The target's memory itself: ReadProcessMemory, and PROTECT_COPY's copies. */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include "remotevm.h"

static long remotevm_get_page(struct mm_struct *mm, unsigned long addr,
			      unsigned int gup_flags, struct page **page)
{
#ifdef REMOTEVM_GUP_REMOTE_HAS_VMAS
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL, NULL);
#else
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL);
#endif
}

/*
 * Copies between @buf and @mm's [addr, addr + len), under its mmap lock,
 * with FOLL_FORCE as a ptrace peek or poke does (the pages may be
 * inaccessible to the target itself). @mm is only ever the handle's own:
 * never the task's (access_process_vm()), which after an exec is another
 * image, maybe a setuid one.
 */
static int remotevm_access_locked(struct mm_struct *mm, unsigned long addr,
				  void *buf, unsigned long len, bool write)
{
	unsigned int gup_flags = FOLL_FORCE | (write ? FOLL_WRITE : 0);

	while (len) {
		unsigned long offset = offset_in_page(addr);
		unsigned long bytes = min(len, PAGE_SIZE - offset);
		struct page *page;
		void *kaddr;

		if (fatal_signal_pending(current))
			return -EINTR;
		if (remotevm_get_page(mm, addr, gup_flags, &page) != 1)
			return -EFAULT;
		kaddr = kmap_local_page(page);
		if (write)
			memcpy(kaddr + offset, buf, bytes);
		else
			memcpy(buf, kaddr + offset, bytes);
		kunmap_local(kaddr);
		if (write)
			set_page_dirty_lock(page);
		put_page(page);
		addr += bytes;
		buf += bytes;
		len -= bytes;
	}
	return 0;
}

int remotevm_access(struct remotevm_context *ctx, unsigned long addr,
		    void *buf, unsigned long len, bool write)
{
	int ret;

	if (mmap_read_lock_killable(ctx->mm))
		return -EINTR;
	ret = remotevm_access_locked(ctx->mm, addr, buf, len, write);
	mmap_read_unlock(ctx->mm);
	return ret;
}

/*
 * ReadProcessMemory of one chunk, into kernel memory: the pages REGIONS
 * calls committed and accessible, whatever their protection (a debugger
 * reads execute-only code), up to the first page that is not. Each page is
 * checked and copied under one hold of the mmap lock, so the target cannot
 * unmap or remap it in between. 0 if any byte was read, else -errno.
 */
int remotevm_read_memory(struct remotevm_context *ctx, void *arg)
{
	struct remotevm_read_chunk *chunk = arg;
	unsigned long addr = chunk->address;
	int ret = -EFAULT;

	chunk->done = 0;
	if (mmap_read_lock_killable(ctx->mm))
		return -EINTR;
	while (chunk->done < chunk->len && remotevm_page_readable(ctx, addr)) {
		unsigned long bytes = min(chunk->len - chunk->done,
					  PAGE_SIZE - offset_in_page(addr));

		ret = remotevm_access_locked(ctx->mm, addr,
					     chunk->buf + chunk->done, bytes,
					     false);
		if (ret)
			break;
		addr += bytes;
		chunk->done += bytes;
	}
	mmap_read_unlock(ctx->mm);
	return chunk->done ? 0 : ret;
}
