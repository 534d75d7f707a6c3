#!/bin/bash
# In the guest: a program written against IJsDebugDataTarget alone
# (examples/com_alloc.c) allocates, writes and reads in a live process.
build=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ktap_print_header
ktap_skip_unless_built "$build" examples/com_alloc selftests/remotevm_target
ktap_set_plan 4
com=$build/examples/com_alloc
# Installed: built the way a user of libremotevm-dev builds it.
if [ -n "${REMOTEVM_INSTALLED:-}" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	com=$tmp/com_alloc
	# shellcheck disable=SC2046
	gcc -std=c11 -Wall -Wextra -Werror -o "$com" \
		"$(dirname "${BASH_SOURCE[0]}")/../examples/com_alloc.c" \
		$(pkg-config --cflags --libs remotevm) || com=$tmp/not-built
fi
target_start "$build"

if addr=$("$com" "$pid" 2>&1); then
	ktap_test_pass "com_alloc allocates, writes and reads back"
else
	ktap_test_fail "com_alloc allocates, writes and reads back" "$addr"
fi
if grep -q "^0*$addr-.* rwxp " "/proc/$pid/maps"; then
	ktap_test_pass "the target's maps show the rwx allocation"
else
	ktap_test_fail "the target's maps show the rwx allocation" "$(cat "/proc/$pid/maps")"
fi
# The target reads its own memory: first byte 0x90, not all equal (ends in ret).
is "the target reads the code the debugger wrote" "ok 90 0" "$(ask "R $addr 4")"
"$com" 999999 >/dev/null 2>&1
[ $? -eq 1 ] && ktap_test_pass "a missing process fails cleanly" ||
	ktap_test_fail "a missing process fails cleanly"
target_stop
ktap_finished
