// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Native stacks and thread-specific data of a target, by the libraries
 * that debuggers use for them: elfutils' libdwfl unwinds with the CFI in
 * .eh_frame/.debug_frame (and separate debuginfo where installed), and
 * glibc's libthread_db reads another process's pthread keys through the
 * proc_service functions defined here.
 *
 * libdw is loaded at the first call that needs it, not linked: it is a
 * package of its own with five compression libraries behind it, and the
 * plain API and the rest of the COM face never use it. Without it these
 * methods fail with HRESULT_FROM_WIN32(ERROR_MOD_NOT_FOUND), as Windows
 * does for a missing DLL. libthread_db, part of libc6, is loaded the same
 * way, as debuggers load it: linked, it would make every program linked
 * with the static library define the ps_*() functions below, whether it
 * uses the COM face or not.
 */
#include <dlfcn.h>
#include <elf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <proc_service.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <thread_db.h>
#include <unistd.h>

#include "native.h"

#define LIBREMOTEVM_EXPORT __attribute__((visibility("default")))

/* Frames past this many are taken as a corrupt stack that loops. */
#define MAX_FRAMES		4096
/* The stack pointer's DWARF register number on x86-64. */
#define DWARF_REG_RSP		7

#define LIBDW_FUNCTIONS(X) \
	X(dwfl_begin) X(dwfl_end) X(dwfl_report_begin) X(dwfl_report_end) \
	X(dwfl_linux_proc_report) X(dwfl_linux_proc_find_elf) \
	X(dwfl_standard_find_debuginfo) X(dwfl_linux_proc_attach) \
	X(dwfl_getthread_frames) X(dwfl_frame_pc) X(dwfl_frame_reg) \
	X(dwfl_getmodules) X(dwfl_module_getsymtab) X(dwfl_module_getsym_info)
#define THREAD_DB_FUNCTIONS(X) \
	X(td_ta_new) X(td_ta_delete) X(td_ta_thr_iter) X(td_thr_get_info)

#define FUNCTION_POINTER(name) __typeof__(name) *name;
static struct {
	LIBDW_FUNCTIONS(FUNCTION_POINTER)
	Dwfl_Callbacks callbacks;
	int loaded;
} libdw;

static struct {
	THREAD_DB_FUNCTIONS(FUNCTION_POINTER)
	int loaded;
} thread_db;
#undef FUNCTION_POINTER

/* Where dlsym() puts a function: its name, its slot in libdw or thread_db. */
struct library_symbol {
	const char *name;
	size_t offset;
};

#define LIBDW_SYMBOL(name) { #name, offsetof(__typeof__(libdw), name) },
#define THREAD_DB_SYMBOL(name) { #name, offsetof(__typeof__(thread_db), name) },

/* All of @symbols from @soname into @table, or none and false. */
static int load_library(const char *soname, const struct library_symbol *symbols,
			size_t count, void *table)
{
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!lib)
		return 0;
	for (i = 0; i < count; i++) {
		void *function = dlsym(lib, symbols[i].name);

		if (!function) {
			dlclose(lib);
			return 0;
		}
		/* POSIX: what dlsym() returns for a function converts to its type. */
		memcpy((char *)table + symbols[i].offset, &function, sizeof(function));
	}
	return 1;
}

static void load_libdw(void)
{
	static const struct library_symbol symbols[] = { LIBDW_FUNCTIONS(LIBDW_SYMBOL) };

	libdw.loaded = load_library("libdw.so.1", symbols,
				    sizeof(symbols) / sizeof(symbols[0]), &libdw);
	libdw.callbacks.find_elf = libdw.dwfl_linux_proc_find_elf;
	libdw.callbacks.find_debuginfo = libdw.dwfl_standard_find_debuginfo;
}

/* Its ps_*() calls are bound, by the dynamic linker, to ours below. */
static void load_thread_db(void)
{
	static const struct library_symbol symbols[] = {
		THREAD_DB_FUNCTIONS(THREAD_DB_SYMBOL)
	};

	thread_db.loaded = load_library("libthread_db.so.1", symbols,
					sizeof(symbols) / sizeof(symbols[0]), &thread_db);
}

/* A session on the modules that process @pid has mapped, or NULL. */
static HRESULT open_dwfl(pid_t pid, Dwfl **dwflp)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	Dwfl *dwfl;

	*dwflp = NULL;
	pthread_once(&once, load_libdw);
	if (!libdw.loaded)
		return HRESULT_FROM_WIN32(ERROR_MOD_NOT_FOUND);
	dwfl = libdw.dwfl_begin(&libdw.callbacks);
	if (!dwfl)
		return E_OUTOFMEMORY;
	libdw.dwfl_report_begin(dwfl);
	if (libdw.dwfl_linux_proc_report(dwfl, pid) ||
	    libdw.dwfl_report_end(dwfl, NULL, NULL)) {
		libdw.dwfl_end(dwfl);
		/* Its maps are gone or out of reach: as for a vanished process. */
		return E_HANDLE;
	}
	*dwflp = dwfl;
	return S_OK;
}

struct frame_list {
	JS_NATIVE_FRAME *frames;
	size_t count, capacity;
};

/*
 * One frame of the unwind. A frame's return address is its caller's pc,
 * and its FrameOffset the sp its caller is left with: known only once
 * the caller is unwound.
 */
static int add_frame(Dwfl_Frame *state, void *arg)
{
	struct frame_list *list = arg;
	JS_NATIVE_FRAME *frame;
	Dwarf_Addr pc;
	Dwarf_Word sp;

	if (!libdw.dwfl_frame_pc(state, &pc, NULL) || list->count == MAX_FRAMES)
		return DWARF_CB_ABORT;
	if (libdw.dwfl_frame_reg(state, DWARF_REG_RSP, &sp))
		sp = 0;
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? 2 * list->capacity : 16;

		frame = realloc(list->frames, capacity * sizeof(*frame));
		if (!frame)
			return DWARF_CB_ABORT;
		list->frames = frame;
		list->capacity = capacity;
	}
	if (list->count) {
		list->frames[list->count - 1].ReturnOffset = pc;
		list->frames[list->count - 1].FrameOffset = sp;
	}
	frame = &list->frames[list->count++];
	*frame = (JS_NATIVE_FRAME){ .InstructionOffset = pc, .StackOffset = sp };
	return DWARF_CB_OK;
}

HRESULT native_stack_frames(pid_t pid, pid_t tid, JS_NATIVE_FRAME **frames,
			    size_t *count)
{
	struct frame_list list = { 0 };
	Dwfl *dwfl;
	HRESULT hr;

	*frames = NULL;
	*count = 0;
	hr = open_dwfl(pid, &dwfl);
	if (FAILED(hr))
		return hr;
	/*
	 * The caller traces the thread and it is stopped: libdwfl reads its
	 * registers and stack with ptrace, and attaches to nothing itself.
	 * An unwind that stops at code without CFI ends the stack there, as
	 * in any debugger; only a thread with no frame at all is an error.
	 */
	if (!libdw.dwfl_linux_proc_attach(dwfl, pid, true))
		libdw.dwfl_getthread_frames(dwfl, tid, add_frame, &list);
	libdw.dwfl_end(dwfl);
	if (!list.count) {
		free(list.frames);
		return E_FAIL;
	}
	*frames = list.frames;
	*count = list.count;
	return S_OK;
}

/* What libthread_db calls "the process": the target as the library sees it. */
struct ps_prochandle {
	struct remotevm *handle;
	Dwfl *dwfl;
};

LIBREMOTEVM_EXPORT pid_t ps_getpid(struct ps_prochandle *ph)
{
	return remotevm__pid(ph->handle);
}

LIBREMOTEVM_EXPORT ps_err_e ps_pdread(struct ps_prochandle *ph, psaddr_t addr,
				      void *buf, size_t size)
{
	ssize_t n = remotevm__read(ph->handle, (uintptr_t)addr, buf, size);

	return n >= 0 && (size_t)n == size ? PS_OK : PS_ERR;
}

LIBREMOTEVM_EXPORT ps_err_e ps_pdwrite(struct ps_prochandle *ph, psaddr_t addr,
				       const void *buf, size_t size)
{
	ssize_t n = remotevm__write(ph->handle, (uintptr_t)addr, buf, size);

	return n >= 0 && (size_t)n == size ? PS_OK : PS_ERR;
}

/* Registers: only of a thread the caller traces and has stopped. */
static ps_err_e ps_ptrace(enum __ptrace_request request, lwpid_t lwp, void *data)
{
	return ptrace(request, lwp, NULL, data) ? PS_ERR : PS_OK;
}

LIBREMOTEVM_EXPORT ps_err_e ps_lgetregs(struct ps_prochandle *ph, lwpid_t lwp,
					prgregset_t regs)
{
	(void)ph;
	return ps_ptrace(PTRACE_GETREGS, lwp, regs);
}

LIBREMOTEVM_EXPORT ps_err_e ps_lsetregs(struct ps_prochandle *ph, lwpid_t lwp,
					const prgregset_t regs)
{
	(void)ph;
	return ps_ptrace(PTRACE_SETREGS, lwp, (void *)regs);
}

LIBREMOTEVM_EXPORT ps_err_e ps_lgetfpregs(struct ps_prochandle *ph, lwpid_t lwp,
					  prfpregset_t *regs)
{
	(void)ph;
	return ps_ptrace(PTRACE_GETFPREGS, lwp, regs);
}

LIBREMOTEVM_EXPORT ps_err_e ps_lsetfpregs(struct ps_prochandle *ph, lwpid_t lwp,
					  const prfpregset_t *regs)
{
	(void)ph;
	return ps_ptrace(PTRACE_SETFPREGS, lwp, (void *)regs);
}

struct symbol_search {
	const char *object;	/* a module's file name; NULL: any module */
	const char *name;
	GElf_Addr addr;
	int found;
};

static int find_symbol_in(Dwfl_Module *module, void **userdata,
			  const char *path, Dwarf_Addr base, void *arg)
{
	struct symbol_search *search = arg;
	const char *file = strrchr(path, '/');
	int i, n;

	(void)userdata;
	(void)base;
	if (search->object && strcmp(file ? file + 1 : path, search->object))
		return DWARF_CB_OK;
	n = libdw.dwfl_module_getsymtab(module);
	for (i = 1; i < n; i++) {
		GElf_Addr addr;
		GElf_Sym sym;
		const char *name = libdw.dwfl_module_getsym_info(module, i, &sym, &addr,
								 NULL, NULL, NULL);

		if (name && sym.st_shndx != SHN_UNDEF && !strcmp(name, search->name)) {
			search->addr = addr;
			search->found = 1;
			return DWARF_CB_ABORT;
		}
	}
	return DWARF_CB_OK;
}

/*
 * In the module libthread_db names (libc.so.6, ld-linux-x86-64.so.2), or,
 * for a static program, wherever the symbol is, as gdb does.
 */
LIBREMOTEVM_EXPORT ps_err_e ps_pglobal_lookup(struct ps_prochandle *ph,
					      const char *object,
					      const char *name, psaddr_t *addr)
{
	struct symbol_search search = { .object = object, .name = name };

	libdw.dwfl_getmodules(ph->dwfl, find_symbol_in, &search, 0);
	if (!search.found && object) {
		search.object = NULL;
		libdw.dwfl_getmodules(ph->dwfl, find_symbol_in, &search, 0);
	}
	if (!search.found)
		return PS_NOSYM;
	*addr = (psaddr_t)(uintptr_t)search.addr;
	return PS_OK;
}

/*
 * libthread_db reaches the ps_*() functions by the dynamic linker's global
 * lookup: a program that defines its own (a debugger with its own
 * libthread_db client) would have them called with our handle, and one
 * built with the static library exports ours only if linked with
 * -Wl,--export-dynamic-symbol=ps_* (pkg-config --static says so).
 */
static int proc_service_is_ours(void)
{
	return dlsym(RTLD_DEFAULT, "ps_pdread") == (void *)ps_pdread &&
	       dlsym(RTLD_DEFAULT, "ps_pglobal_lookup") == (void *)ps_pglobal_lookup;
}

/* libthread_db of this glibc reads only x86-64 processes. */
static int native_elf(pid_t pid)
{
	unsigned char ident[EI_NIDENT];
	char path[64];
	Elf64_Half machine;
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ok = pread(fd, ident, sizeof(ident), 0) == sizeof(ident) &&
	     pread(fd, &machine, sizeof(machine), offsetof(Elf64_Ehdr, e_machine)) ==
		     sizeof(machine) &&
	     ident[EI_CLASS] == ELFCLASS64 && machine == EM_X86_64;
	close(fd);
	return ok;
}

struct thread_search {
	lwpid_t lwp;
	td_thrhandle_t thread;
	int found;
};

static int match_lwp(const td_thrhandle_t *thread, void *arg)
{
	struct thread_search *search = arg;
	td_thrinfo_t info;

	if (thread_db.td_thr_get_info(thread, &info) != TD_OK || info.ti_lid != search->lwp)
		return 0;
	search->thread = *thread;
	search->found = 1;
	return 1;
}

static HRESULT hresult_from_td(td_err_e err)
{
	switch (err) {
	case TD_OK:
		return S_OK;
	case TD_NOLIBTHREAD:	/* not a glibc program, or a static one stripped */
	case TD_VERSION:	/* another glibc than our libthread_db's */
	case TD_NOCAPAB:	/* a glibc that does not describe what we read */
		return HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED);
	case TD_BADKEY:		/* no such key */
	case TD_NOTHR:		/* no such thread in glibc's list */
		return E_INVALIDARG;
	case TD_MALLOC:
		return E_OUTOFMEMORY;
	case TD_ERR:		/* a read of the target failed */
		return HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY);
	default:
		return E_FAIL;
	}
}

/*
 * glibc describes the layout of its thread data to debuggers in
 * _thread_db_NAME symbols, each three words: size in bits, number of
 * elements, offset (nptl_db's db_desc_t). libthread_db reads the same.
 */
struct glibc_layout {
	uint32_t bits;
	uint32_t count;
	uint32_t offset;
};

static td_err_e read_layout(struct ps_prochandle *ph, const char *name,
			    struct glibc_layout *layout)
{
	char symbol[64];
	psaddr_t addr;

	snprintf(symbol, sizeof(symbol), "_thread_db_%s", name);
	if (ps_pglobal_lookup(ph, NULL, symbol, &addr) != PS_OK)
		return TD_NOCAPAB;
	if (ps_pdread(ph, addr, layout, sizeof(*layout)) != PS_OK)
		return TD_ERR;
	return layout->bits && layout->bits % 8 == 0 ? TD_OK : TD_NOCAPAB;
}

static td_err_e read_word(struct ps_prochandle *ph, uint64_t addr, uint64_t *word)
{
	return ps_pdread(ph, (psaddr_t)(uintptr_t)addr, word, sizeof(*word)) == PS_OK ?
	       TD_OK : TD_ERR;
}

/*
 * What pthread_getspecific(@key) returns in the thread whose struct
 * pthread is at @self: td_thr_tsd()'s steps on glibc's own layout. That
 * function cannot be called: on 64-bit glibc it fails with TD_DBERR for
 * every key, fetching a 16-byte __pthread_keys[] entry, and the whole
 * 256-byte pthread.specific[] array, each as one scalar.
 */
static td_err_e thread_specific(struct ps_prochandle *ph, uint64_t self,
				uint32_t key, uint64_t *value)
{
	struct glibc_layout keys, key_seq, specific, level2, data_seq, data;
	uint64_t keys_addr, key_generation, level1, entry, generation;
	psaddr_t addr;
	td_err_e err;

	*value = 0;
	if (ps_pglobal_lookup(ph, NULL, "__pthread_keys", &addr) != PS_OK)
		return TD_NOCAPAB;
	keys_addr = (uintptr_t)addr;
	err = read_layout(ph, "__pthread_keys", &keys);
	if (!err)
		err = read_layout(ph, "pthread_key_struct_seq", &key_seq);
	if (!err)
		err = read_layout(ph, "pthread_specific", &specific);
	if (!err)
		err = read_layout(ph, "pthread_key_data_level2_data", &level2);
	if (!err)
		err = read_layout(ph, "pthread_key_data_seq", &data_seq);
	if (!err)
		err = read_layout(ph, "pthread_key_data_data", &data);
	if (err)
		return err;
	if (key >= keys.count)
		return TD_BADKEY;
	/* An odd generation: the key is in use (pthread_key_create). */
	err = read_word(ph, keys_addr + (uint64_t)key * (keys.bits / 8) + key_seq.offset,
			&key_generation);
	if (err)
		return err;
	if (!(key_generation & 1))
		return TD_BADKEY;
	/* specific[] points to blocks of level2.count entries, made on first use. */
	if (key / level2.count >= specific.bits / 64)
		return TD_NOCAPAB;
	err = read_word(ph, self + specific.offset + key / level2.count * 8, &level1);
	if (err || !level1)
		return err;
	entry = level1 + level2.offset + key % level2.count * (level2.bits / 8);
	err = read_word(ph, entry + data_seq.offset, &generation);
	/* Set under an earlier key of the same number: not this key's value. */
	if (err || generation != key_generation)
		return err;
	return read_word(ph, entry + data.offset, value);
}

/*
 * libthread_db checks that the target runs our glibc and finds the
 * thread's struct pthread by walking glibc's thread list, reading memory
 * only: not through the thread's registers, which only a tracer may read.
 * So the thread need not be stopped; the value is what its slot held at
 * the moment it was read. A thread that never set the key reads NULL.
 */
HRESULT native_thread_specific(struct remotevm *handle, pid_t tid,
			       uint32_t key, uint64_t *value)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct thread_search search = { .lwp = tid };
	struct ps_prochandle ph = { .handle = handle };
	td_thragent_t *agent;
	td_err_e err;
	HRESULT hr;

	if (!proc_service_is_ours())
		return HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED);
	pthread_once(&once, load_thread_db);
	if (!thread_db.loaded)
		return HRESULT_FROM_WIN32(ERROR_MOD_NOT_FOUND);
	if (!native_elf(remotevm__pid(handle)))
		return HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED);
	hr = open_dwfl(remotevm__pid(handle), &ph.dwfl);
	if (FAILED(hr))
		return hr;
	err = thread_db.td_ta_new(&ph, &agent);
	if (err == TD_OK) {
		/* It ends the walk early with TD_DBERR once the thread is found. */
		err = thread_db.td_ta_thr_iter(agent, match_lwp, &search, TD_THR_ANY_STATE,
				     TD_THR_LOWEST_PRIORITY, TD_SIGNO_MASK,
				     TD_THR_ANY_USER_FLAGS);
		if (search.found)
			err = thread_specific(&ph, (uintptr_t)search.thread.th_unique,
					      key, value);
		else if (err == TD_OK)
			err = TD_NOTHR;
		thread_db.td_ta_delete(agent);
	}
	libdw.dwfl_end(ph.dwfl);
	return hresult_from_td(err);
}
