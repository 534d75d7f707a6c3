// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The COM face of libremotevm: an IJsDebugDataTarget object on a live
 * Linux process, built on the plain API (remotevm.c), with the Win32
 * HRESULTs for the same mistakes.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <unistd.h>

#include "remotevm/jscript9diag.h"
#include "remotevm/remotevm.h"
#include "native.h"

_Static_assert(sizeof(CONTEXT) == 1232, "the Windows x64 CONTEXT is 1232 bytes");
_Static_assert(offsetof(CONTEXT, Rip) == 0xf8, "CONTEXT.Rip is at 0xf8");
_Static_assert(offsetof(CONTEXT, FltSave) == 0x100, "CONTEXT.FltSave is at 0x100");
_Static_assert(sizeof(XSAVE_FORMAT) == sizeof(struct user_fpregs_struct),
	       "FltSave is the FXSAVE image PTRACE_GETFPREGS returns");

/* The Win32 constants pass through to the kernel unchanged. */
#define SAME_AS_UAPI(name) \
	_Static_assert(name == REMOTEVM_##name, #name " is REMOTEVM_" #name)
SAME_AS_UAPI(MEM_COALESCE_PLACEHOLDERS);
SAME_AS_UAPI(MEM_PRESERVE_PLACEHOLDER);
SAME_AS_UAPI(MEM_COMMIT);
SAME_AS_UAPI(MEM_RESERVE);
SAME_AS_UAPI(MEM_DECOMMIT);
SAME_AS_UAPI(MEM_RELEASE);
SAME_AS_UAPI(MEM_FREE);
SAME_AS_UAPI(MEM_PRIVATE);
SAME_AS_UAPI(MEM_MAPPED);
SAME_AS_UAPI(MEM_RESET);
SAME_AS_UAPI(MEM_TOP_DOWN);
SAME_AS_UAPI(MEM_WRITE_WATCH);
SAME_AS_UAPI(MEM_PHYSICAL);
SAME_AS_UAPI(MEM_IMAGE);
SAME_AS_UAPI(MEM_RESET_UNDO);
SAME_AS_UAPI(MEM_LARGE_PAGES);
SAME_AS_UAPI(PAGE_NOACCESS);
SAME_AS_UAPI(PAGE_READONLY);
SAME_AS_UAPI(PAGE_READWRITE);
SAME_AS_UAPI(PAGE_WRITECOPY);
SAME_AS_UAPI(PAGE_EXECUTE);
SAME_AS_UAPI(PAGE_EXECUTE_READ);
SAME_AS_UAPI(PAGE_EXECUTE_READWRITE);
SAME_AS_UAPI(PAGE_EXECUTE_WRITECOPY);
SAME_AS_UAPI(PAGE_GUARD);
SAME_AS_UAPI(PAGE_NOCACHE);
SAME_AS_UAPI(PAGE_WRITECOMBINE);

const IID IID_IUnknown = {
	0x00000000, 0x0000, 0x0000, { 0xc0, 0, 0, 0, 0, 0, 0, 0x46 } };
const IID IID_IEnumJsStackFrames = {
	0x5e7da34b, 0xfb51, 0x4791, { 0xab, 0xe7, 0xcb, 0x5b, 0xdf, 0x41, 0x97, 0x55 } };
const IID IID_IJsDebugDataTarget = {
	0x53b28977, 0x53a1, 0x48e5, { 0x90, 0x00, 0x5d, 0x0d, 0xfa, 0x89, 0x39, 0x31 } };

/* A BSTR longer than this in the target is taken as garbage. */
#define MAX_BSTR_BYTES		(64u << 20)
/* ReadNullTerminatedString reads the target in pieces of this many bytes. */
#define STRING_CHUNK		256

struct data_target {
	IJsDebugDataTarget iface;	/* first: what callers hold */
	atomic_uint refs;
	struct remotevm *handle;
};

static struct data_target *from_iface(IJsDebugDataTarget *This)
{
	return (struct data_target *)This;
}

HRESULT RemoteVmHresultFromErrno(int err)
{
	switch (err) {
	case 0:
		return S_OK;
	case EINVAL:
	case E2BIG:
		return E_INVALIDARG;
	case ENOMEM:	/* the target's memory: VirtualAllocEx's own error */
		return HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_MEMORY);
	case EACCES:
	case EPERM:
		return E_ACCESSDENIED;
	case EADDRNOTAVAIL:
	case EEXIST:
	case ESTALE:	/* the target took the range back: no longer an allocation */
		return HRESULT_FROM_WIN32(ERROR_INVALID_ADDRESS);
	case EFAULT:
	case EIO:
		return HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY);
	case EOPNOTSUPP:
		return HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED);
	case EBUSY:
		return HRESULT_FROM_WIN32(ERROR_BUSY);
	case ESRCH:
	case EBADF:
	case EBADFD:
	case ENODEV:
	case ENOENT:
		return E_HANDLE;	/* the process is gone, or remotevm is */
	}
	return E_FAIL;
}

static HRESULT hresult(int ret)
{
	return ret < 0 ? RemoteVmHresultFromErrno(-ret) : S_OK;
}

BSTR SysAllocStringLen(const OLECHAR *str, UINT32 len)
{
	uint32_t *prefix;
	OLECHAR *chars;

	if (len > MAX_BSTR_BYTES / sizeof(OLECHAR))
		return NULL;
	prefix = malloc(sizeof(*prefix) + (len + 1) * sizeof(OLECHAR));
	if (!prefix)
		return NULL;
	*prefix = len * sizeof(OLECHAR);
	chars = (OLECHAR *)(prefix + 1);
	if (str)
		memcpy(chars, str, len * sizeof(OLECHAR));
	else
		memset(chars, 0, len * sizeof(OLECHAR));
	chars[len] = 0;
	return chars;
}

void SysFreeString(BSTR str)
{
	if (str)
		free((uint32_t *)str - 1);
}

UINT32 SysStringLen(BSTR str)
{
	return str ? ((uint32_t *)str)[-1] / sizeof(OLECHAR) : 0;
}

static int same_iid(REFIID a, REFIID b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* For an object with one interface besides IUnknown; the caller adds a reference. */
static HRESULT query_interface(void *object, REFIID own, REFIID riid, void **ppv)
{
	if (!ppv)
		return E_POINTER;
	*ppv = NULL;
	if (!riid)
		return E_INVALIDARG;
	if (!same_iid(riid, &IID_IUnknown) && !same_iid(riid, own))
		return E_NOINTERFACE;
	*ppv = object;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE target_query_interface(IJsDebugDataTarget *This,
							REFIID riid, void **ppv)
{
	HRESULT hr = query_interface(This, &IID_IJsDebugDataTarget, riid, ppv);

	if (SUCCEEDED(hr))
		This->lpVtbl->AddRef(This);
	return hr;
}

/* COM reference counts: the new count; the last Release frees. */
static ULONG add_ref(atomic_uint *refs)
{
	return atomic_fetch_add_explicit(refs, 1, memory_order_relaxed) + 1;
}

static ULONG drop_ref(atomic_uint *refs)
{
	return atomic_fetch_sub_explicit(refs, 1, memory_order_acq_rel) - 1;
}

static ULONG STDMETHODCALLTYPE target_add_ref(IJsDebugDataTarget *This)
{
	return add_ref(&from_iface(This)->refs);
}

static ULONG STDMETHODCALLTYPE target_release(IJsDebugDataTarget *This)
{
	struct data_target *target = from_iface(This);
	ULONG refs = drop_ref(&target->refs);

	if (!refs) {
		remotevm__close(target->handle);
		free(target);
	}
	return refs;
}

static HRESULT STDMETHODCALLTYPE target_read_memory(IJsDebugDataTarget *This,
						    UINT64 address,
						    JsDebugReadMemoryFlags flags,
						    BYTE *pBuffer, DWORD size,
						    DWORD *pBytesRead)
{
	ssize_t n;

	if (!pBytesRead || (!pBuffer && size))
		return E_POINTER;
	*pBytesRead = 0;
	if (flags & ~JsDebugAllowPartialRead)
		return E_INVALIDARG;
	n = remotevm__read(from_iface(This)->handle, address, pBuffer, size);
	if (n < 0)
		return hresult((int)n);
	*pBytesRead = (DWORD)n;
	if ((DWORD)n < size && !(flags & JsDebugAllowPartialRead))
		return HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY);
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE target_write_memory(IJsDebugDataTarget *This,
						     UINT64 address,
						     const BYTE *pMemory, DWORD size)
{
	ssize_t n;

	if (!pMemory && size)
		return E_POINTER;
	n = remotevm__write(from_iface(This)->handle, address, pMemory, size);
	if (n < 0)
		return hresult((int)n);
	return (DWORD)n == size ? S_OK : HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY);
}

static HRESULT STDMETHODCALLTYPE
target_allocate_virtual_memory(IJsDebugDataTarget *This, UINT64 address,
			       DWORD size, DWORD allocationType,
			       DWORD pageProtection, UINT64 *pAllocatedAddress)
{
	if (!pAllocatedAddress)
		return E_POINTER;
	*pAllocatedAddress = 0;
	return hresult(remotevm__alloc(from_iface(This)->handle, address, size,
				       allocationType, pageProtection, NULL,
				       pAllocatedAddress, NULL));
}

static HRESULT STDMETHODCALLTYPE target_free_virtual_memory(IJsDebugDataTarget *This,
							    UINT64 address,
							    DWORD size,
							    DWORD freeType)
{
	return hresult(remotevm__free(from_iface(This)->handle, address, size,
				      freeType));
}

static int thread_of_target(pid_t pid, DWORD tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%u", (int)pid, tid);
	return !access(path, F_OK);
}

/*
 * A Windows TLS index is a per-thread slot that TlsAlloc() hands out and
 * TlsGetValue() reads; its Linux counterpart is a pthread key. This reads
 * pthread_getspecific(tlsIndex) of another thread, through libthread_db.
 */
static HRESULT STDMETHODCALLTYPE target_get_tls_value(IJsDebugDataTarget *This,
						      DWORD threadId,
						      UINT32 tlsIndex,
						      UINT64 *pValue)
{
	struct remotevm *handle = from_iface(This)->handle;

	if (!pValue)
		return E_POINTER;
	*pValue = 0;
	if (!thread_of_target(remotevm__pid(handle), threadId))
		return E_INVALIDARG;
	return native_thread_specific(handle, (pid_t)threadId, tlsIndex, pValue);
}

/* A BSTR in the target: its byte length in the 4 bytes before it. */
static HRESULT STDMETHODCALLTYPE target_read_bstr(IJsDebugDataTarget *This,
						  UINT64 address, BSTR *pString)
{
	struct remotevm *handle = from_iface(This)->handle;
	uint32_t bytes;
	ssize_t n;
	BSTR str;

	if (!pString)
		return E_POINTER;
	*pString = NULL;
	if (address < sizeof(bytes))
		return E_INVALIDARG;
	n = remotevm__read(handle, address - sizeof(bytes), &bytes, sizeof(bytes));
	if (n < 0)
		return hresult((int)n);
	if ((size_t)n < sizeof(bytes))
		return HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY);
	if (bytes % sizeof(OLECHAR) || bytes > MAX_BSTR_BYTES)
		return E_INVALIDARG;
	/* Read straight into the BSTR the caller gets. */
	str = SysAllocStringLen(NULL, bytes / sizeof(OLECHAR));
	if (!str)
		return E_OUTOFMEMORY;
	n = remotevm__read(handle, address, str, bytes);
	if (n < 0 || (uint32_t)n < bytes) {
		SysFreeString(str);
		return n < 0 ? hresult((int)n) : HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY);
	}
	*pString = str;
	return S_OK;
}

/*
 * Reads up to maxCharacters characters of characterSize bytes (1: each
 * byte becomes one UTF-16 unit; 2: UTF-16) up to a NUL; a longer string
 * is truncated at maxCharacters.
 */
static HRESULT STDMETHODCALLTYPE
target_read_null_terminated_string(IJsDebugDataTarget *This, UINT64 address,
				   UINT16 characterSize, UINT32 maxCharacters,
				   BSTR *pString)
{
	struct remotevm *handle = from_iface(This)->handle;
	OLECHAR *chars;
	uint8_t chunk[STRING_CHUNK];
	UINT32 len = 0;
	HRESULT hr = S_OK;
	int done = 0;

	if (!pString)
		return E_POINTER;
	*pString = NULL;
	if (characterSize != 1 && characterSize != 2)
		return E_INVALIDARG;
	if (maxCharacters > MAX_BSTR_BYTES / sizeof(OLECHAR))
		return E_INVALIDARG;
	chars = malloc((size_t)maxCharacters * sizeof(OLECHAR) + 1);
	if (!chars)
		return E_OUTOFMEMORY;

	while (!done && len < maxCharacters) {
		UINT32 want = maxCharacters - len, i;
		ssize_t n;

		if (want > STRING_CHUNK / characterSize)
			want = STRING_CHUNK / characterSize;
		n = remotevm__read(handle, address + (UINT64)len * characterSize,
				   chunk, (size_t)want * characterSize);
		if (n < characterSize) {
			hr = n < 0 ? hresult((int)n) : HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY);
			break;
		}
		for (i = 0; i < (UINT32)n / characterSize && !done; i++) {
			OLECHAR c = characterSize == 1 ? chunk[i] :
				    (OLECHAR)(chunk[2 * i] | chunk[2 * i + 1] << 8);

			if (!c)
				done = 1;
			else
				chars[len++] = c;
		}
	}
	if (SUCCEEDED(hr)) {
		*pString = SysAllocStringLen(chars, len);
		if (!*pString)
			hr = E_OUTOFMEMORY;
	}
	free(chars);
	return hr;
}

/*
 * Linux lets only a thread's tracer read its registers, and only while the
 * thread is stopped: E_ACCESSDENIED for any other.
 */
static HRESULT stopped_tracee(IJsDebugDataTarget *This, DWORD threadId,
			      struct user_regs_struct *regs)
{
	if (!thread_of_target(remotevm__pid(from_iface(This)->handle), threadId))
		return E_INVALIDARG;
	if (ptrace(PTRACE_GETREGS, (pid_t)threadId, NULL, regs))
		return errno == ESRCH ? E_ACCESSDENIED : RemoteVmHresultFromErrno(errno);
	return S_OK;
}

struct frame_enumerator {
	IEnumJsStackFrames iface;	/* first: what callers hold */
	atomic_uint refs;
	JS_NATIVE_FRAME *frames;
	size_t count;
	size_t next;
};

static struct frame_enumerator *from_enum_iface(IEnumJsStackFrames *This)
{
	return (struct frame_enumerator *)This;
}

static HRESULT STDMETHODCALLTYPE frames_query_interface(IEnumJsStackFrames *This,
							REFIID riid, void **ppv)
{
	HRESULT hr = query_interface(This, &IID_IEnumJsStackFrames, riid, ppv);

	if (SUCCEEDED(hr))
		This->lpVtbl->AddRef(This);
	return hr;
}

static ULONG STDMETHODCALLTYPE frames_add_ref(IEnumJsStackFrames *This)
{
	return add_ref(&from_enum_iface(This)->refs);
}

static ULONG STDMETHODCALLTYPE frames_release(IEnumJsStackFrames *This)
{
	struct frame_enumerator *enumerator = from_enum_iface(This);
	ULONG refs = drop_ref(&enumerator->refs);

	if (!refs) {
		free(enumerator->frames);
		free(enumerator);
	}
	return refs;
}

/* S_FALSE when fewer than cFrameCount frames were left, as IEnum* do. */
static HRESULT STDMETHODCALLTYPE frames_next(IEnumJsStackFrames *This,
					     ULONG cFrameCount,
					     JS_NATIVE_FRAME *pFrames,
					     ULONG *pcFetched)
{
	struct frame_enumerator *enumerator = from_enum_iface(This);
	size_t n = enumerator->count - enumerator->next;

	if ((!pFrames && cFrameCount) || (!pcFetched && cFrameCount != 1))
		return E_POINTER;
	if (n > cFrameCount)
		n = cFrameCount;
	if (n)
		memcpy(pFrames, enumerator->frames + enumerator->next, n * sizeof(*pFrames));
	enumerator->next += n;
	if (pcFetched)
		*pcFetched = (ULONG)n;
	return n == cFrameCount ? S_OK : S_FALSE;
}

static HRESULT STDMETHODCALLTYPE frames_reset(IEnumJsStackFrames *This)
{
	from_enum_iface(This)->next = 0;
	return S_OK;
}

static const IEnumJsStackFramesVtbl frame_enumerator_vtbl = {
	.QueryInterface = frames_query_interface,
	.AddRef = frames_add_ref,
	.Release = frames_release,
	.Next = frames_next,
	.Reset = frames_reset,
};

/*
 * The native stack of a thread that the caller traces and has stopped,
 * innermost frame first, unwound once: the enumerator is a snapshot.
 */
static HRESULT STDMETHODCALLTYPE
target_create_stack_frame_enumerator(IJsDebugDataTarget *This, DWORD threadId,
				     IEnumJsStackFrames **ppEnumerator)
{
	struct frame_enumerator *enumerator;
	struct user_regs_struct regs;
	HRESULT hr;

	if (!ppEnumerator)
		return E_POINTER;
	*ppEnumerator = NULL;
	hr = stopped_tracee(This, threadId, &regs);
	if (FAILED(hr))
		return hr;
	enumerator = calloc(1, sizeof(*enumerator));
	if (!enumerator)
		return E_OUTOFMEMORY;
	hr = native_stack_frames(remotevm__pid(from_iface(This)->handle),
				 (pid_t)threadId, &enumerator->frames,
				 &enumerator->count);
	if (FAILED(hr)) {
		free(enumerator);
		return hr;
	}
	enumerator->iface.lpVtbl = &frame_enumerator_vtbl;
	atomic_init(&enumerator->refs, 1);
	*ppEnumerator = &enumerator->iface;
	return S_OK;
}

/*
 * The registers of a thread that the caller traces and that is stopped,
 * as a Windows x64 CONTEXT, for the parts contextFlags asks for. Any other
 * thread: E_ACCESSDENIED (Linux only lets a thread's tracer read them).
 */
static HRESULT STDMETHODCALLTYPE target_get_thread_context(IJsDebugDataTarget *This,
							   DWORD threadId,
							   ULONG32 contextFlags,
							   ULONG32 contextSize,
							   void *pContext)
{
	struct user_regs_struct regs;
	struct user_fpregs_struct fpregs;
	CONTEXT *ctx = pContext;
	pid_t tid = (pid_t)threadId;
	HRESULT hr;
	int i;

	if (!pContext)
		return E_POINTER;
	if (contextSize < sizeof(CONTEXT) || !(contextFlags & CONTEXT_AMD64) ||
	    (contextFlags & ~CONTEXT_ALL))
		return E_INVALIDARG;
	hr = stopped_tracee(This, threadId, &regs);
	if (FAILED(hr))
		return hr;

	memset(ctx, 0, sizeof(*ctx));
	ctx->ContextFlags = contextFlags;
	if ((contextFlags & CONTEXT_CONTROL) == CONTEXT_CONTROL) {
		ctx->SegCs = (WORD)regs.cs;
		ctx->SegSs = (WORD)regs.ss;
		ctx->EFlags = (DWORD)regs.eflags;
		ctx->Rsp = regs.rsp;
		ctx->Rip = regs.rip;
	}
	if ((contextFlags & CONTEXT_INTEGER) == CONTEXT_INTEGER) {
		ctx->Rax = regs.rax;
		ctx->Rcx = regs.rcx;
		ctx->Rdx = regs.rdx;
		ctx->Rbx = regs.rbx;
		ctx->Rbp = regs.rbp;
		ctx->Rsi = regs.rsi;
		ctx->Rdi = regs.rdi;
		ctx->R8 = regs.r8;
		ctx->R9 = regs.r9;
		ctx->R10 = regs.r10;
		ctx->R11 = regs.r11;
		ctx->R12 = regs.r12;
		ctx->R13 = regs.r13;
		ctx->R14 = regs.r14;
		ctx->R15 = regs.r15;
	}
	if ((contextFlags & CONTEXT_SEGMENTS) == CONTEXT_SEGMENTS) {
		ctx->SegDs = (WORD)regs.ds;
		ctx->SegEs = (WORD)regs.es;
		ctx->SegFs = (WORD)regs.fs;
		ctx->SegGs = (WORD)regs.gs;
	}
	if ((contextFlags & CONTEXT_FLOATING_POINT) == CONTEXT_FLOATING_POINT) {
		if (ptrace(PTRACE_GETFPREGS, tid, NULL, &fpregs))
			return RemoteVmHresultFromErrno(errno);
		memcpy(&ctx->FltSave, &fpregs, sizeof(fpregs));
		ctx->MxCsr = fpregs.mxcsr;
	}
	if ((contextFlags & CONTEXT_DEBUG_REGISTERS) == CONTEXT_DEBUG_REGISTERS) {
		DWORD64 *dr[] = { &ctx->Dr0, &ctx->Dr1, &ctx->Dr2, &ctx->Dr3,
				  NULL, NULL, &ctx->Dr6, &ctx->Dr7 };

		for (i = 0; i < 8; i++) {
			long value;

			if (!dr[i])
				continue;
			errno = 0;
			value = ptrace(PTRACE_PEEKUSER, tid,
				       offsetof(struct user, u_debugreg[i]), NULL);
			if (errno)
				return RemoteVmHresultFromErrno(errno);
			*dr[i] = (DWORD64)value;
		}
	}
	return S_OK;
}

static const IJsDebugDataTargetVtbl data_target_vtbl = {
	.QueryInterface = target_query_interface,
	.AddRef = target_add_ref,
	.Release = target_release,
	.ReadMemory = target_read_memory,
	.WriteMemory = target_write_memory,
	.AllocateVirtualMemory = target_allocate_virtual_memory,
	.FreeVirtualMemory = target_free_virtual_memory,
	.GetTlsValue = target_get_tls_value,
	.ReadBSTR = target_read_bstr,
	.ReadNullTerminatedString = target_read_null_terminated_string,
	.CreateStackFrameEnumerator = target_create_stack_frame_enumerator,
	.GetThreadContext = target_get_thread_context,
};

HRESULT RemoteVmCreateDataTargetFromMemFd(pid_t pid, int memFd,
					  IJsDebugDataTarget **ppTarget)
{
	REMOTEVM_OPTS(remotevm_open_opts, opts, .mem_fd = memFd);
	struct data_target *target;
	int ret;

	if (!ppTarget)
		return E_POINTER;
	*ppTarget = NULL;
	/* A process that does not exist is a bad argument, as for OpenProcess(). */
	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
		return E_INVALIDARG;
	target = calloc(1, sizeof(*target));
	if (!target)
		return E_OUTOFMEMORY;
	ret = remotevm__open(pid, &opts, &target->handle);
	if (ret) {
		free(target);
		return hresult(ret);
	}
	target->iface.lpVtbl = &data_target_vtbl;
	atomic_init(&target->refs, 1);
	*ppTarget = &target->iface;
	return S_OK;
}

HRESULT RemoteVmCreateDataTarget(pid_t pid, IJsDebugDataTarget **ppTarget)
{
	return RemoteVmCreateDataTargetFromMemFd(pid, -1, ppTarget);
}
