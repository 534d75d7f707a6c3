#!/bin/bash
# In the guest: a program written against IJsDebugDataTarget alone
# (examples/com_alloc.c) allocates, writes and reads in a live process.
build=${1:?build dir}
. "$(dirname "$0")/tap.sh"

coproc TARGET { "$build/selftests/remotevm_target"; }
read -r _ pid _ <&"${TARGET[0]}"

if addr=$("$build/examples/com_alloc" "$pid" 2>&1); then
	tap_ok "com_alloc allocates, writes and reads back"
else
	tap_fail "com_alloc allocates, writes and reads back" "$addr"
fi
if grep -q "^0*$addr-.* rwxp " "/proc/$pid/maps"; then
	tap_ok "the target's maps show the rwx allocation"
else
	tap_fail "the target's maps show the rwx allocation" "$(cat "/proc/$pid/maps")"
fi
echo "R $addr 4" >&"${TARGET[1]}"
read -r reply <&"${TARGET[0]}"
# The target reads its own memory: first byte 0x90, not all equal (ends in ret).
if [ "$reply" = "ok 90 0" ]; then
	tap_ok "the target reads the code the debugger wrote"
else
	tap_fail "the target reads the code the debugger wrote" "target said: $reply"
fi
"$build/examples/com_alloc" 999999 >/dev/null 2>&1
[ $? -eq 1 ] && tap_ok "a missing process fails cleanly" ||
	tap_fail "a missing process fails cleanly"
echo X >&"${TARGET[1]}"
wait
tap_done
