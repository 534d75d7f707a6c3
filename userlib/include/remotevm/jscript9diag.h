/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * IJsDebugDataTarget for live Linux processes: the COM-style C interface
 * of Windows' jscript9diag.h (same vtable order, parameter lists, call
 * macros, constants and HRESULTs), so that C code written against it
 * compiles unchanged; only the creation of the object differs:
 * RemoteVmCreateDataTarget() instead of a debugger's implementation.
 * Define COBJMACROS before including it for the IFoo_Method() macros.
 *
 * Strings are BSTRs of UTF-16 code units, as on Windows (OLECHAR is 16
 * bits here, not wchar_t), allocated by the library and freed with
 * SysFreeString().
 */
#ifndef REMOTEVM_JSCRIPT9DIAG_H
#define REMOTEVM_JSCRIPT9DIAG_H

#include <stdint.h>
#include <sys/types.h>

#include <remotevm/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Windows base types, as wide as on Windows. */
typedef int32_t HRESULT;
typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef uint16_t USHORT;
typedef uint16_t UINT16;
typedef uint32_t DWORD;
typedef uint32_t ULONG;
typedef uint32_t ULONG32;
typedef uint32_t UINT32;
typedef int32_t LONG;
typedef uint64_t UINT64;
typedef uint64_t DWORD64;
typedef uint64_t ULONGLONG;
typedef int64_t LONGLONG;
typedef uint16_t OLECHAR;
typedef OLECHAR *BSTR;

typedef struct _GUID {
	uint32_t Data1;
	uint16_t Data2;
	uint16_t Data3;
	uint8_t Data4[8];
} GUID, IID;
typedef const IID *REFIID;

#define STDMETHODCALLTYPE
#define BEGIN_INTERFACE
#define END_INTERFACE
#ifndef CONST_VTBL
#define CONST_VTBL const
#endif
#ifndef interface
#define interface struct
#endif

/* HRESULTs. */
#define S_OK			((HRESULT)0)
#define S_FALSE			((HRESULT)1)
#define SUCCEEDED(hr)		((HRESULT)(hr) >= 0)
#define FAILED(hr)		((HRESULT)(hr) < 0)
#define FACILITY_WIN32		7
#define HRESULT_FROM_WIN32(x)	((HRESULT)(x) <= 0 ? (HRESULT)(x) : \
	(HRESULT)((((uint32_t)(x)) & 0x0000FFFF) | (FACILITY_WIN32 << 16) | 0x80000000))
#define E_NOTIMPL		((HRESULT)0x80004001)
#define E_NOINTERFACE		((HRESULT)0x80004002)
#define E_POINTER		((HRESULT)0x80004003)
#define E_FAIL			((HRESULT)0x80004005)
#define E_UNEXPECTED		((HRESULT)0x8000FFFF)
#define E_ACCESSDENIED		((HRESULT)0x80070005)
#define E_HANDLE		((HRESULT)0x80070006)
#define E_OUTOFMEMORY		((HRESULT)0x8007000E)
#define E_INVALIDARG		((HRESULT)0x80070057)

/* Win32 error codes the methods report through HRESULT_FROM_WIN32(). */
#define ERROR_INVALID_HANDLE	6
#define ERROR_NOT_ENOUGH_MEMORY	8
#define ERROR_NOT_SUPPORTED	50
#define ERROR_MOD_NOT_FOUND	126
#define ERROR_BUSY		170
#define ERROR_PARTIAL_COPY	299
#define ERROR_INVALID_ADDRESS	487

/* VirtualAlloc / VirtualFree types and page protections. */
#define MEM_COALESCE_PLACEHOLDERS 0x00000001
#define MEM_PRESERVE_PLACEHOLDER 0x00000002
#define MEM_COMMIT		0x00001000
#define MEM_RESERVE		0x00002000
#define MEM_DECOMMIT		0x00004000
#define MEM_RELEASE		0x00008000
#define MEM_FREE		0x00010000
#define MEM_PRIVATE		0x00020000
#define MEM_MAPPED		0x00040000
#define MEM_RESET		0x00080000
#define MEM_TOP_DOWN		0x00100000
#define MEM_WRITE_WATCH		0x00200000
#define MEM_PHYSICAL		0x00400000
#define MEM_IMAGE		0x01000000
#define MEM_RESET_UNDO		0x01000000
#define MEM_LARGE_PAGES		0x20000000
#define PAGE_NOACCESS		0x001
#define PAGE_READONLY		0x002
#define PAGE_READWRITE		0x004
#define PAGE_WRITECOPY		0x008
#define PAGE_EXECUTE		0x010
#define PAGE_EXECUTE_READ	0x020
#define PAGE_EXECUTE_READWRITE	0x040
#define PAGE_EXECUTE_WRITECOPY	0x080
#define PAGE_GUARD		0x100
#define PAGE_NOCACHE		0x200
#define PAGE_WRITECOMBINE	0x400

/* The x64 CONTEXT that GetThreadContext() fills. */
#define CONTEXT_AMD64		0x00100000
#define CONTEXT_CONTROL		(CONTEXT_AMD64 | 0x01)
#define CONTEXT_INTEGER		(CONTEXT_AMD64 | 0x02)
#define CONTEXT_SEGMENTS	(CONTEXT_AMD64 | 0x04)
#define CONTEXT_FLOATING_POINT	(CONTEXT_AMD64 | 0x08)
#define CONTEXT_DEBUG_REGISTERS	(CONTEXT_AMD64 | 0x10)
#define CONTEXT_FULL		(CONTEXT_CONTROL | CONTEXT_INTEGER | \
				 CONTEXT_FLOATING_POINT)
#define CONTEXT_ALL		(CONTEXT_FULL | CONTEXT_SEGMENTS | \
				 CONTEXT_DEBUG_REGISTERS)

typedef struct __attribute__((aligned(16))) _M128A {
	ULONGLONG Low;
	LONGLONG High;
} M128A;

/* FXSAVE layout: the same bytes as Linux's struct user_fpregs_struct. */
typedef struct __attribute__((aligned(16))) _XSAVE_FORMAT {
	WORD ControlWord;
	WORD StatusWord;
	BYTE TagWord;
	BYTE Reserved1;
	WORD ErrorOpcode;
	DWORD ErrorOffset;
	WORD ErrorSelector;
	WORD Reserved2;
	DWORD DataOffset;
	WORD DataSelector;
	WORD Reserved3;
	DWORD MxCsr;
	DWORD MxCsr_Mask;
	M128A FloatRegisters[8];
	M128A XmmRegisters[16];
	BYTE Reserved4[96];
} XSAVE_FORMAT, XMM_SAVE_AREA32;

typedef struct __attribute__((aligned(16))) _CONTEXT {
	DWORD64 P1Home, P2Home, P3Home, P4Home, P5Home, P6Home;
	DWORD ContextFlags;
	DWORD MxCsr;
	WORD SegCs, SegDs, SegEs, SegFs, SegGs, SegSs;
	DWORD EFlags;
	DWORD64 Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
	DWORD64 Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi;
	DWORD64 R8, R9, R10, R11, R12, R13, R14, R15;
	DWORD64 Rip;
	XMM_SAVE_AREA32 FltSave;
	M128A VectorRegister[26];
	DWORD64 VectorControl;
	DWORD64 DebugControl;
	DWORD64 LastBranchToRip;
	DWORD64 LastBranchFromRip;
	DWORD64 LastExceptionToRip;
	DWORD64 LastExceptionFromRip;
} CONTEXT;

typedef enum JsDebugReadMemoryFlags {
	None = 0,
	JsDebugAllowPartialRead = 0x1
} JsDebugReadMemoryFlags;

typedef struct JS_NATIVE_FRAME {
	UINT64 InstructionOffset;
	UINT64 ReturnOffset;
	UINT64 FrameOffset;
	UINT64 StackOffset;
} JS_NATIVE_FRAME;

typedef interface IEnumJsStackFrames IEnumJsStackFrames;
typedef interface IJsDebugDataTarget IJsDebugDataTarget;

LIBREMOTEVM_API extern const IID IID_IUnknown;
LIBREMOTEVM_API extern const IID IID_IEnumJsStackFrames;	/* 5E7DA34B-FB51-4791-ABE7-CB5BDF419755 */
LIBREMOTEVM_API extern const IID IID_IJsDebugDataTarget;	/* 53B28977-53A1-48E5-9000-5D0DFA893931 */

typedef struct IEnumJsStackFramesVtbl {
	BEGIN_INTERFACE
	HRESULT (STDMETHODCALLTYPE *QueryInterface)(IEnumJsStackFrames *This,
						    REFIID riid, void **ppvObject);
	ULONG (STDMETHODCALLTYPE *AddRef)(IEnumJsStackFrames *This);
	ULONG (STDMETHODCALLTYPE *Release)(IEnumJsStackFrames *This);
	HRESULT (STDMETHODCALLTYPE *Next)(IEnumJsStackFrames *This,
					  ULONG cFrameCount,
					  JS_NATIVE_FRAME *pFrames,
					  ULONG *pcFetched);
	HRESULT (STDMETHODCALLTYPE *Reset)(IEnumJsStackFrames *This);
	END_INTERFACE
} IEnumJsStackFramesVtbl;

interface IEnumJsStackFrames {
	CONST_VTBL struct IEnumJsStackFramesVtbl *lpVtbl;
};

typedef struct IJsDebugDataTargetVtbl {
	BEGIN_INTERFACE
	HRESULT (STDMETHODCALLTYPE *QueryInterface)(IJsDebugDataTarget *This,
						    REFIID riid, void **ppvObject);
	ULONG (STDMETHODCALLTYPE *AddRef)(IJsDebugDataTarget *This);
	ULONG (STDMETHODCALLTYPE *Release)(IJsDebugDataTarget *This);
	HRESULT (STDMETHODCALLTYPE *ReadMemory)(IJsDebugDataTarget *This,
						UINT64 address,
						JsDebugReadMemoryFlags flags,
						BYTE *pBuffer, DWORD size,
						DWORD *pBytesRead);
	HRESULT (STDMETHODCALLTYPE *WriteMemory)(IJsDebugDataTarget *This,
						 UINT64 address,
						 const BYTE *pMemory, DWORD size);
	HRESULT (STDMETHODCALLTYPE *AllocateVirtualMemory)(IJsDebugDataTarget *This,
							   UINT64 address,
							   DWORD size,
							   DWORD allocationType,
							   DWORD pageProtection,
							   UINT64 *pAllocatedAddress);
	HRESULT (STDMETHODCALLTYPE *FreeVirtualMemory)(IJsDebugDataTarget *This,
						       UINT64 address, DWORD size,
						       DWORD freeType);
	HRESULT (STDMETHODCALLTYPE *GetTlsValue)(IJsDebugDataTarget *This,
						 DWORD threadId, UINT32 tlsIndex,
						 UINT64 *pValue);
	HRESULT (STDMETHODCALLTYPE *ReadBSTR)(IJsDebugDataTarget *This,
					      UINT64 address, BSTR *pString);
	HRESULT (STDMETHODCALLTYPE *ReadNullTerminatedString)(IJsDebugDataTarget *This,
							      UINT64 address,
							      UINT16 characterSize,
							      UINT32 maxCharacters,
							      BSTR *pString);
	HRESULT (STDMETHODCALLTYPE *CreateStackFrameEnumerator)(IJsDebugDataTarget *This,
								DWORD threadId,
								IEnumJsStackFrames **ppEnumerator);
	HRESULT (STDMETHODCALLTYPE *GetThreadContext)(IJsDebugDataTarget *This,
						      DWORD threadId,
						      ULONG32 contextFlags,
						      ULONG32 contextSize,
						      void *pContext);
	END_INTERFACE
} IJsDebugDataTargetVtbl;

interface IJsDebugDataTarget {
	CONST_VTBL struct IJsDebugDataTargetVtbl *lpVtbl;
};

/* The C call macros, only for callers that ask for them, as in MIDL's headers. */
#ifdef COBJMACROS
#define IEnumJsStackFrames_QueryInterface(This, riid, ppvObject) \
	((This)->lpVtbl->QueryInterface(This, riid, ppvObject))
#define IEnumJsStackFrames_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IEnumJsStackFrames_Release(This) ((This)->lpVtbl->Release(This))
#define IEnumJsStackFrames_Next(This, cFrameCount, pFrames, pcFetched) \
	((This)->lpVtbl->Next(This, cFrameCount, pFrames, pcFetched))
#define IEnumJsStackFrames_Reset(This) ((This)->lpVtbl->Reset(This))

#define IJsDebugDataTarget_QueryInterface(This, riid, ppvObject) \
	((This)->lpVtbl->QueryInterface(This, riid, ppvObject))
#define IJsDebugDataTarget_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IJsDebugDataTarget_Release(This) ((This)->lpVtbl->Release(This))
#define IJsDebugDataTarget_ReadMemory(This, address, flags, pBuffer, size, pBytesRead) \
	((This)->lpVtbl->ReadMemory(This, address, flags, pBuffer, size, pBytesRead))
#define IJsDebugDataTarget_WriteMemory(This, address, pMemory, size) \
	((This)->lpVtbl->WriteMemory(This, address, pMemory, size))
#define IJsDebugDataTarget_AllocateVirtualMemory(This, address, size, allocationType, pageProtection, pAllocatedAddress) \
	((This)->lpVtbl->AllocateVirtualMemory(This, address, size, allocationType, pageProtection, pAllocatedAddress))
#define IJsDebugDataTarget_FreeVirtualMemory(This, address, size, freeType) \
	((This)->lpVtbl->FreeVirtualMemory(This, address, size, freeType))
#define IJsDebugDataTarget_GetTlsValue(This, threadId, tlsIndex, pValue) \
	((This)->lpVtbl->GetTlsValue(This, threadId, tlsIndex, pValue))
#define IJsDebugDataTarget_ReadBSTR(This, address, pString) \
	((This)->lpVtbl->ReadBSTR(This, address, pString))
#define IJsDebugDataTarget_ReadNullTerminatedString(This, address, characterSize, maxCharacters, pString) \
	((This)->lpVtbl->ReadNullTerminatedString(This, address, characterSize, maxCharacters, pString))
#define IJsDebugDataTarget_CreateStackFrameEnumerator(This, threadId, ppEnumerator) \
	((This)->lpVtbl->CreateStackFrameEnumerator(This, threadId, ppEnumerator))
#define IJsDebugDataTarget_GetThreadContext(This, threadId, contextFlags, contextSize, pContext) \
	((This)->lpVtbl->GetThreadContext(This, threadId, contextFlags, contextSize, pContext))
#endif /* COBJMACROS */

/* BSTRs: a length prefix in bytes before the characters, NUL-terminated. */
LIBREMOTEVM_API BSTR SysAllocStringLen(const OLECHAR *str, UINT32 len);
LIBREMOTEVM_API void SysFreeString(BSTR str);
LIBREMOTEVM_API UINT32 SysStringLen(BSTR str);

/*
 * Creates a data target on process @pid: opens /proc/PID/mem with the
 * caller's credentials (no ptrace relationship needed) and attaches
 * /dev/remotevm. The FromMemFd variant takes an already open
 * /proc/PID/mem (e.g. received from a privileged broker); it keeps a
 * duplicate. Release the object with IJsDebugDataTarget_Release().
 */
LIBREMOTEVM_API HRESULT RemoteVmCreateDataTarget(pid_t pid,
					      IJsDebugDataTarget **ppTarget);
LIBREMOTEVM_API HRESULT RemoteVmCreateDataTargetFromMemFd(pid_t pid, int memFd,
						       IJsDebugDataTarget **ppTarget);

/* The one errno -> HRESULT table of the library (see README). */
LIBREMOTEVM_API HRESULT RemoteVmHresultFromErrno(int err);

#ifdef __cplusplus
}
#endif

#endif /* REMOTEVM_JSCRIPT9DIAG_H */
