/* SPDX-License-Identifier: GPL-2.0 */
/*
 * remotevm's trace events: who attached to which process, and what each
 * operation did there, for perf, bpftrace and tracefs. They are emitted in
 * the caller's context once an operation is done, so that common_pid is
 * the tool; tgid is always the target's.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM remotevm

#if !defined(_REMOTEVM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _REMOTEVM_TRACE_H

#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>

#include "remotevm.h"

DECLARE_EVENT_CLASS(remotevm_handle_class,
		    TP_PROTO(const struct remotevm_handle *handle),
		    TP_ARGS(handle),
		    TP_STRUCT__entry(__field(pid_t, tool)
				     __array(char, comm, TASK_COMM_LEN)
				     __field(pid_t, tgid)
				     __field(u64, handle)),
		    TP_fast_assign(__entry->tool = current->tgid;
				   memcpy(__entry->comm, current->comm, TASK_COMM_LEN);
				   __entry->tgid = pid_nr(handle->pid);
				   __entry->handle = handle->id;),
		    TP_printk("tool=%d comm=%s tgid=%d handle=%llu",
			      __entry->tool, __entry->comm, __entry->tgid,
			      __entry->handle));

/* A handle bound to a target, and a bound handle closed. */
DEFINE_EVENT(remotevm_handle_class, attach,
	     TP_PROTO(const struct remotevm_handle *handle),
	     TP_ARGS(handle));
DEFINE_EVENT(remotevm_handle_class, detach,
	     TP_PROTO(const struct remotevm_handle *handle),
	     TP_ARGS(handle));

/*
 * One operation: the range it covered (the allocated one, once an
 * allocation succeeded), its MEM_* type and PAGE_* protection where it
 * has them, its result (0 or -errno) and the nanoseconds spent on it in
 * the target's mm.
 */
DECLARE_EVENT_CLASS(remotevm_op_class,
		    TP_PROTO(pid_t tgid, u64 address, u64 size, u32 type,
			     u32 protection, int result, u64 ns),
		    TP_ARGS(tgid, address, size, type, protection, result, ns),
		    TP_STRUCT__entry(__field(pid_t, tgid)
				     __field(u64, address)
				     __field(u64, size)
				     __field(u32, type)
				     __field(u32, protection)
				     __field(int, result)
				     __field(u64, ns)),
		    TP_fast_assign(__entry->tgid = tgid;
				   __entry->address = address;
				   __entry->size = size;
				   __entry->type = type;
				   __entry->protection = protection;
				   __entry->result = result;
				   __entry->ns = ns;),
		    TP_printk("tgid=%d address=%#llx size=%#llx type=%#x protection=%#x result=%d ns=%llu",
			      __entry->tgid, __entry->address, __entry->size,
			      __entry->type, __entry->protection,
			      __entry->result, __entry->ns));

#define REMOTEVM_OP_EVENT(name)						\
	DEFINE_EVENT(remotevm_op_class, name,				\
		     TP_PROTO(pid_t tgid, u64 address, u64 size, u32 type,	\
			      u32 protection, int result, u64 ns),	\
		     TP_ARGS(tgid, address, size, type, protection, result, ns))

REMOTEVM_OP_EVENT(alloc);
REMOTEVM_OP_EVENT(free);
REMOTEVM_OP_EVENT(protect);
REMOTEVM_OP_EVENT(reset);

TRACE_EVENT(batch,
	    TP_PROTO(pid_t tgid, u32 count, u32 completed, int result, u64 ns),
	    TP_ARGS(tgid, count, completed, result, ns),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, count)
			     __field(u32, completed)
			     __field(int, result)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->tgid = tgid;
			   __entry->count = count;
			   __entry->completed = completed;
			   __entry->result = result;
			   __entry->ns = ns;),
	    TP_printk("tgid=%d count=%u completed=%u result=%d ns=%llu",
		      __entry->tgid, __entry->count, __entry->completed,
		      __entry->result, __entry->ns));

/* The target unmapped (or mapped over) an allocation itself. */
TRACE_EVENT(lost,
	    TP_PROTO(u64 start, u64 end),
	    TP_ARGS(start, end),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u64, start)
			     __field(u64, end)),
	    TP_fast_assign(__entry->tgid = current->tgid;
			   __entry->start = start;
			   __entry->end = end;),
	    TP_printk("tgid=%d start=%#llx end=%#llx", __entry->tgid,
		      __entry->start, __entry->end));

#endif /* _REMOTEVM_TRACE_H */

/* Out of tree: define_trace.h finds this header through the module's -I$(src). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH module
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
