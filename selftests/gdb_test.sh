#!/bin/bash
# tools/gdb/remotevm.py in a real gdb attached to a live target: the target
# gets executable memory without running any code for it, gdb writes code
# there and calls it, remotevm-query and remotevm-free work, and the
# remotevm tool works on the target while gdb holds it stopped.
build=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

ktap_print_header
ktap_skip_unless_built "$build" tools/remotevm-asan selftests/remotevm_target
if ! command -v gdb >/dev/null; then
	ktap_set_plan 1
	ktap_test_skip "remotevm from gdb" "no gdb"
	ktap_finished
fi
if ! gdb -q -batch -nx -ex 'python import json, subprocess' >/dev/null 2>&1; then
	ktap_set_plan 1
	ktap_test_skip "remotevm from gdb" "gdb has no python"
	ktap_finished
fi

ktap_set_plan 11
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
target_start "$build"

cli=$(installed_or /usr/bin/remotevm "$build/tools/remotevm-asan")
# The installed commands need no "source" (gdb loads them at start-up) and
# find the installed tool on the PATH themselves.
if [[ -n ${REMOTEVM_INSTALLED:-} ]]; then
	commands=()
	unset REMOTEVM_CLI
else
	commands=(-ex "source $here/../tools/gdb/remotevm.py")
	export REMOTEVM_CLI=$cli
fi
# mov eax, 42; ret
out=$(gdb -q -batch -nx -p "$pid" "${commands[@]}" \
	-ex 'remotevm-alloc 4096 rwx' \
	-ex 'set $code = $remotevm_addr' \
	-ex 'printf "code %lx\n", $code' \
	-ex 'set {unsigned char[6]}$code = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3}' \
	-ex 'x/6xb $code' \
	-ex 'printf "called %d\n", ((int (*)(void))$code)()' \
	-ex 'remotevm-alloc 64K' \
	-ex 'printf "data %lx\n", $remotevm_addr' \
	-ex 'remotevm-query $remotevm_addr + 0x1000' \
	-ex 'remotevm-free $remotevm_addr' \
	-ex "shell cat /proc/$pid/maps >$tmp/maps-after-free" \
	-ex 'remotevm-query $remotevm_addr' \
	-ex 'remotevm-alloc 4K w' \
	-ex "shell awk '/^TracerPid:/ { print \"tracer\", \$2 }' /proc/$pid/status" \
	-ex "shell $cli alloc $pid 8K >$tmp/traced" \
	2>&1)
# Without a line to sed from, a check below fails rather than matches.
line() { sed -n "s/^$1 //p" <<<"$out"; }
code=$(line code)
data=$(line data)

if [[ -n $code ]]; then
	ktap_test_pass "remotevm-alloc in gdb: \$remotevm_addr set"
else
	ktap_test_fail "remotevm-alloc in gdb: \$remotevm_addr set" "$out"
fi
is "gdb writes code there and reads it back" \
	"0xb8	0x2a	0x00	0x00	0x00	0xc3" "$(grep -o '0xb8.*' <<<"$out")"
is "gdb calls the code: it runs" 42 "$(line called)"
is "the target sees the code, rwx in its maps" "ok b8 0/rwxp" \
	"$(ask "R $code 6")/$(perms "$code")"
is "remotevm-query" \
	"remotevm: 0x$(printf %x $((16#$data + 0x1000)))-0x$(printf %x $((16#$data + 0x10000))) commit rw- private, allocation 0x$data rw-" \
	"$(grep -m1 '^remotevm: 0x.* commit ' <<<"$out")"
# Read right after the free: a later allocation may take the slot again.
is "remotevm-free: released, gone from the maps" "remotevm: released 0x$data" \
	"$(grep '^remotevm: released' <<<"$out")$(perms "$data" "$tmp/maps-after-free")"
if grep -q "^remotevm: 0x$data-.* free --- -, no allocation$" <<<"$out"; then
	ktap_test_pass "remotevm-query of the freed range: free"
else
	ktap_test_fail "remotevm-query of the freed range: free" "$out"
fi
is "remotevm-alloc with a bad PROT is refused" 1 \
	"$(grep -c "^remotevm-alloc: protection 'w': x86 has no write-only memory, use rw$" <<<"$out")"
if [[ $(line tracer) -gt 0 ]]; then
	ktap_test_pass "gdb was tracing the target"
else
	ktap_test_fail "gdb was tracing the target" "$out"
fi
traced=$(cut -d' ' -f1 "$tmp/traced")
is "the remotevm tool allocates while gdb holds the target" "rw-p" \
	"$(perms "${traced#0x}")"
is "the target runs on after gdb detached" "ok 1 1" "$(ask "P $code")"
target_stop
ktap_finished
