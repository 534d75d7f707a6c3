# gdb commands that allocate, free and describe memory in the inferior
# through the remotevm tool, without running any code in it (unlike "call
# mmap"):
#
#   (gdb) source tools/gdb/remotevm.py
#   (gdb) remotevm-alloc 4096 rwx        # sets $remotevm_addr
#   (gdb) remotevm-query $remotevm_addr
#   (gdb) remotevm-free $remotevm_addr
#
# SIZE is a gdb expression or a number with K, M or G; ADDR a gdb
# expression; PROT r, w and x in any order, or none (default rw). The
# tool is $REMOTEVM_CLI, else build/tools/remotevm of the repository this
# file is in, else remotevm on the PATH. Its --json output is the only
# interface: nothing of the kernel's ABI is repeated here.
import json
import os
import re
import shutil
import subprocess

import gdb

# gdb defines __file__ only while it sources this.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EXIT_USAGE = 2
EXIT_ATTACH = 3


def tool():
    path = os.environ.get("REMOTEVM_CLI")
    if path:
        return path
    built = os.path.join(REPO, "build", "tools", "remotevm")
    if os.access(built, os.X_OK):
        return built
    found = shutil.which("remotevm")
    if not found:
        raise gdb.GdbError("remotevm: no remotevm tool: set REMOTEVM_CLI "
                           "or run make tools")
    return found


def remotevm(command, *args):
    """Runs "remotevm --json COMMAND PID ARGS...": its JSON object."""
    pid = gdb.selected_inferior().pid
    if not pid:
        raise gdb.GdbError("remotevm-%s: the inferior has no process"
                           % command)
    run = subprocess.run([tool(), "--json", command, str(pid)] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, check=False)
    if run.returncode == EXIT_USAGE:
        why = run.stderr.splitlines()[0] if run.stderr else "usage error"
        raise gdb.GdbError(re.sub(r"^remotevm %s: " % command,
                                  "remotevm-%s: " % command, why))
    try:
        result = json.loads(run.stdout)
    except ValueError:
        raise gdb.GdbError("remotevm-%s: %s exited %d: %s" % (
            command, tool(), run.returncode, run.stderr.strip()))
    if "error" in result and run.returncode == EXIT_ATTACH:
        raise gdb.GdbError("remotevm-%s: cannot attach to process %d: %s"
                           % (command, pid, result["error"]))
    if "error" in result:
        raise gdb.GdbError("remotevm-%s: %s (%s)"
                           % (command, result["error"], result["errno"]))
    return result


def parse_size(text):
    match = re.fullmatch(r"(0x[0-9a-f]+|[0-9]+)([kmg])", text, re.IGNORECASE)
    if match:
        return text
    return str(int(gdb.parse_and_eval(text)))


def usage(command):
    return gdb.GdbError("usage: " + command.__doc__.split(":")[0])


def address(command, arg):
    """ADDR: the whole argument, an expression as x takes one."""
    if not arg.strip():
        raise usage(command)
    return int(gdb.parse_and_eval(arg))


def or_dash(text):
    return text if text is not None else "-"


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
        prot = argv[1] if len(argv) > 1 else "rw"
        alloc = remotevm("alloc", parse_size(argv[0]), "--prot", prot)
        base = int(alloc["address"], 16)
        pointer = gdb.Value(base).cast(gdb.lookup_type("void").pointer())
        gdb.set_convenience_variable("remotevm_addr", pointer)
        print("remotevm: $remotevm_addr = %#x, %d bytes, %s"
              % (base, alloc["size"], alloc["protection"]))


class RemotevmFree(gdb.Command):
    """remotevm-free ADDR: release the remotevm allocation based at ADDR."""

    def __init__(self):
        super().__init__("remotevm-free", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        self.dont_repeat()
        base = address(self, arg)
        remotevm("free", "%x" % base)
        print("remotevm: released %#x" % base)


class RemotevmQuery(gdb.Command):
    """remotevm-query ADDR: describe the region of the inferior holding ADDR.

Prints its range, state (commit, reserve or free), protection, type and
the allocation it belongs to, as VirtualQueryEx does."""

    def __init__(self):
        super().__init__("remotevm-query", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        self.dont_repeat()
        region = remotevm("query", "%x" % address(self, arg))["region"]
        base = int(region["base_address"], 16)
        allocation = ("allocation %s %s" % (
            region["allocation_base"], or_dash(region["allocation_protect"]))
            if region["allocation_base"] else "no allocation")
        print("remotevm: %#x-%#x %s %s %s, %s" % (
            base, base + region["region_size"], region["state"],
            or_dash(region["protect"]), or_dash(region["type"]), allocation))


RemotevmAlloc()
RemotevmFree()
RemotevmQuery()
