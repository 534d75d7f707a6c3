# gdb commands that allocate, free and describe memory in the inferior
# through libremotevm, without running any code in it (unlike "call mmap"):
#
#   (gdb) source tools/gdb/remotevm.py
#   (gdb) remotevm-alloc 4096 rwx        # sets $remotevm_addr
#   (gdb) remotevm-query $remotevm_addr
#   (gdb) remotevm-free $remotevm_addr
#
# SIZE is a gdb expression or a number with K, M or G; ADDR a gdb
# expression; PROT r, w and x in any order, or none (default rw). The
# library is $REMOTEVM_LIB, else build/userlib/libremotevm.so of the
# repository this file is in, else an installed libremotevm.so.1.
import contextlib
import ctypes
import errno
import functools
import os
import re

import gdb

MEM_COMMIT = 0x1000
MEM_RESERVE = 0x2000
MEM_RELEASE = 0x8000
STATES = {MEM_COMMIT: "commit", MEM_RESERVE: "reserve", 0x10000: "free"}
TYPES = {0x20000: "private", 0x40000: "mapped", 0x1000000: "image"}
# The Win32 PAGE_* values, written as /proc/PID/maps writes permissions.
PROTECTIONS = {0x01: "---", 0x02: "r--", 0x04: "rw-", 0x08: "rw-c",
               0x10: "--x", 0x20: "r-x", 0x40: "rwx", 0x80: "rwxc"}
PAGES = {text: page for page, text in PROTECTIONS.items()}


class Alloc(ctypes.Structure):
    _fields_ = [("address", ctypes.c_uint64), ("size", ctypes.c_uint64),
                ("allocation_type", ctypes.c_uint32),
                ("page_protection", ctypes.c_uint32),
                ("lowest", ctypes.c_uint64), ("highest", ctypes.c_uint64),
                ("alignment", ctypes.c_uint64),
                ("allocated_address", ctypes.c_uint64),
                ("allocated_size", ctypes.c_uint64)]


class Region(ctypes.Structure):
    _fields_ = [("base_address", ctypes.c_uint64),
                ("allocation_base", ctypes.c_uint64),
                ("region_size", ctypes.c_uint64),
                ("allocation_protect", ctypes.c_uint32),
                ("state", ctypes.c_uint32), ("protect", ctypes.c_uint32),
                ("type", ctypes.c_uint32)]


# gdb defines __file__ only while it sources this.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@functools.lru_cache(maxsize=None)
def load_library():
    paths = [os.environ.get("REMOTEVM_LIB")]
    if not paths[0]:
        paths = [os.path.join(REPO, "build", "userlib", "libremotevm.so"),
                 "libremotevm.so.1"]
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        handle = ctypes.c_void_p
        lib.remotevm__open.argtypes = [ctypes.c_int, ctypes.c_void_p,
                                       ctypes.POINTER(handle)]
        lib.remotevm__close.argtypes = [handle]
        lib.remotevm__close.restype = None
        lib.remotevm__alloc.argtypes = [handle, ctypes.POINTER(Alloc)]
        lib.remotevm__free.argtypes = [handle, ctypes.c_uint64,
                                       ctypes.c_uint64, ctypes.c_uint32]
        lib.remotevm__query.argtypes = [handle, ctypes.c_uint64,
                                        ctypes.POINTER(Region)]
        return lib
    raise gdb.GdbError("remotevm: cannot load %s: set REMOTEVM_LIB or run "
                       "make userlib" % " or ".join(paths))


def error_text(ret):
    return "%s (%s)" % (os.strerror(-ret), errno.errorcode.get(-ret, "?"))


@contextlib.contextmanager
def attached(command):
    """A libremotevm handle on the inferior, for one command."""
    pid = gdb.selected_inferior().pid
    if not pid:
        raise gdb.GdbError("%s: the inferior has no process" % command)
    lib = load_library()
    handle = ctypes.c_void_p()
    ret = lib.remotevm__open(pid, None, ctypes.byref(handle))
    if ret:
        why = (error_text(ret) if os.path.exists("/dev/remotevm") else
               "the remotevm module is not loaded (no /dev/remotevm)")
        raise gdb.GdbError("%s: cannot attach to process %d: %s"
                           % (command, pid, why))
    try:
        yield lib, handle
    finally:
        lib.remotevm__close(handle)


def check(command, ret):
    if ret:
        raise gdb.GdbError("%s: %s" % (command, error_text(ret)))


def parse_size(text):
    match = re.fullmatch(r"(0x[0-9a-f]+|[0-9]+)([kmg])", text, re.IGNORECASE)
    if match:
        number, unit = match.groups()
        shift = 10 * ("kmg".index(unit.lower()) + 1)
        return int(number, 16 if number[:2].lower() == "0x" else 10) << shift
    return int(gdb.parse_and_eval(text))


def parse_protection(text):
    letters = set(text) - {"-"}
    if text == "none":
        letters = set()
    elif not text or letters - set("rwx"):
        raise gdb.GdbError("PROT is r, w and x in any order, or none")
    access = "".join(c if c in letters else "-" for c in "rwx")
    if access not in PAGES:
        raise gdb.GdbError("no write-only memory on x86: use rw")
    return PAGES[access]


def usage(command):
    return gdb.GdbError("usage: " + command.__doc__.split(":")[0])


def address(command, arg):
    """ADDR: the whole argument, an expression as x takes one."""
    if not arg.strip():
        raise usage(command)
    return int(gdb.parse_and_eval(arg))


class RemotevmAlloc(gdb.Command):
    """remotevm-alloc SIZE [PROT]: reserve and commit memory in the inferior.

Sets $remotevm_addr to its address. PROT: r, w, x in any order, or none
(default rw). The inferior does not run, nor need it be stopped."""

    def __init__(self):
        super().__init__("remotevm-alloc", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        self.dont_repeat()
        argv = gdb.string_to_argv(arg)
        if not 1 <= len(argv) <= 2:
            raise usage(self)
        alloc = Alloc(size=parse_size(argv[0]),
                      allocation_type=MEM_COMMIT | MEM_RESERVE,
                      page_protection=parse_protection(
                          argv[1] if len(argv) > 1 else "rw"))
        with attached("remotevm-alloc") as (lib, handle):
            check("remotevm-alloc",
                  lib.remotevm__alloc(handle, ctypes.byref(alloc)))
        pointer = gdb.Value(alloc.allocated_address).cast(
            gdb.lookup_type("void").pointer())
        gdb.set_convenience_variable("remotevm_addr", pointer)
        print("remotevm: $remotevm_addr = %#x, %d bytes, %s"
              % (alloc.allocated_address, alloc.allocated_size,
                 PROTECTIONS[alloc.page_protection]))


class RemotevmFree(gdb.Command):
    """remotevm-free ADDR: release the remotevm allocation based at ADDR."""

    def __init__(self):
        super().__init__("remotevm-free", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        self.dont_repeat()
        base = address(self, arg)
        with attached("remotevm-free") as (lib, handle):
            check("remotevm-free",
                  lib.remotevm__free(handle, base, 0, MEM_RELEASE))
        print("remotevm: released %#x" % base)


class RemotevmQuery(gdb.Command):
    """remotevm-query ADDR: describe the region of the inferior holding ADDR.

Prints its range, state (commit, reserve or free), protection, type and
the allocation it belongs to, as VirtualQueryEx does."""

    def __init__(self):
        super().__init__("remotevm-query", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        self.dont_repeat()
        where = address(self, arg)
        region = Region()
        with attached("remotevm-query") as (lib, handle):
            check("remotevm-query",
                  lib.remotevm__query(handle, where, ctypes.byref(region)))
        allocation = ("allocation %#x %s" % (
            region.allocation_base,
            PROTECTIONS.get(region.allocation_protect, "?"))
            if region.allocation_base else "no allocation")
        print("remotevm: %#x-%#x %s %s %s, %s" % (
            region.base_address, region.base_address + region.region_size,
            STATES.get(region.state, "?"),
            PROTECTIONS.get(region.protect, "-"),
            TYPES.get(region.type, "-"), allocation))


RemotevmAlloc()
RemotevmFree()
RemotevmQuery()
