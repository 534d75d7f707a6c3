// SPDX-License-Identifier: GPL-2.0
/*
 * IJsDebugDataTarget as Windows code uses it, on a Linux process: only
 * <remotevm/jscript9diag.h>, the MIDL-style call macros and HRESULTs.
 * Allocates executable memory in PID, writes code there, reads it back.
 *
 * usage: com_alloc PID
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COBJMACROS
#include <remotevm/jscript9diag.h>

static int check(HRESULT hr, const char *what)
{
	if (SUCCEEDED(hr))
		return 0;
	fprintf(stderr, "com_alloc: %s failed: HRESULT 0x%08x\n", what, (unsigned int)hr);
	return 1;
}

int main(int argc, char **argv)
{
	static const BYTE code[] = { 0x90, 0x90, 0x90, 0xc3 };	/* nop; nop; nop; ret */
	IJsDebugDataTarget *target;
	UINT64 address = 0;
	BYTE back[sizeof(code)];
	DWORD read = 0;
	int failed;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PID\n", argv[0]);
		return 2;
	}
	if (check(RemoteVmCreateDataTarget(atoi(argv[1]), &target), "RemoteVmCreateDataTarget"))
		return 1;
	failed = check(IJsDebugDataTarget_AllocateVirtualMemory(target, 0, 4096,
								 MEM_COMMIT | MEM_RESERVE,
								 PAGE_EXECUTE_READWRITE,
								 &address),
		       "AllocateVirtualMemory") ||
		 check(IJsDebugDataTarget_WriteMemory(target, address, code, sizeof(code)),
		       "WriteMemory") ||
		 check(IJsDebugDataTarget_ReadMemory(target, address, None, back,
						     sizeof(back), &read),
		       "ReadMemory");
	if (!failed && (read != sizeof(code) || memcmp(back, code, sizeof(code)))) {
		fprintf(stderr, "com_alloc: read back other bytes than written\n");
		failed = 1;
	}
	if (!failed)
		printf("%llx\n", (unsigned long long)address);
	IJsDebugDataTarget_Release(target);
	return failed;
}
