#!/bin/bash
# tools/gdb/remotevm.py in a real gdb attached to a live target: the target
# gets executable memory without running any code for it, gdb writes code
# there and calls it, remotevm-query and remotevm-free work, and the
# remotevm tool works on the target while gdb holds it stopped.
build=${1:?build dir}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/tap.sh"

if ! command -v gdb >/dev/null; then
	tap_skip "remotevm from gdb" "no gdb"
	tap_done
	exit
fi
if ! gdb -q -batch -nx -ex 'python import json, subprocess' >/dev/null 2>&1; then
	tap_skip "remotevm from gdb" "gdb has no python"
	tap_done
	exit
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
coproc TARGET { exec "$build/selftests/remotevm_target"; }
read -r _ pid _ <&"${TARGET[0]}"
ask() { echo "$*" >&"${TARGET[1]}"; read -r reply <&"${TARGET[0]}"; echo "$reply"; }
# perms ADDR: the permissions of the target's mapping holding ADDR, if any.
perms() {
	local range perms rest
	while read -r range perms rest; do
		if ((16#${range%-*} <= 16#$1 && 16#$1 < 16#${range#*-})); then
			echo "$perms"
			return
		fi
	done <"/proc/$pid/maps"
}
is() {
	if [ "$3" = "$2" ]; then tap_ok "$1"; else tap_fail "$1" "expected: $2" "got: $3"; fi
}

# mov eax, 42; ret
export REMOTEVM_CLI=$build/tools/remotevm-asan
out=$(gdb -q -batch -nx -p "$pid" \
	-ex "source $here/../tools/gdb/remotevm.py" \
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
	-ex 'remotevm-query $remotevm_addr' \
	-ex 'remotevm-alloc 4K w' \
	-ex "shell awk '/^TracerPid:/ { print \"tracer\", \$2 }' /proc/$pid/status" \
	-ex "shell $build/tools/remotevm-asan alloc $pid 8K >$tmp/traced" \
	2>&1)
# Without a line to sed from, a check below fails rather than matches.
line() { sed -n "s/^$1 //p" <<<"$out"; }
code=$(line code)
data=$(line data)

if [[ -n $code ]]; then
	tap_ok "remotevm-alloc in gdb: \$remotevm_addr set"
else
	tap_fail "remotevm-alloc in gdb: \$remotevm_addr set" "$out"
fi
is "gdb writes code there and reads it back" \
	"0xb8	0x2a	0x00	0x00	0x00	0xc3" "$(grep -o '0xb8.*' <<<"$out")"
is "gdb calls the code: it runs" 42 "$(line called)"
is "the target sees the code, rwx in its maps" "ok b8 0/rwxp" \
	"$(ask "R $code 6")/$(perms "$code")"
is "remotevm-query" \
	"remotevm: 0x$(printf %x $((16#$data + 0x1000)))-0x$(printf %x $((16#$data + 0x10000))) commit rw- private, allocation 0x$data rw-" \
	"$(grep -m1 '^remotevm: 0x.* commit ' <<<"$out")"
is "remotevm-free: released, gone from the maps" "remotevm: released 0x$data" \
	"$(grep '^remotevm: released' <<<"$out")$(perms "$data")"
if grep -q "^remotevm: 0x$data-.* free --- -, no allocation$" <<<"$out"; then
	tap_ok "remotevm-query of the freed range: free"
else
	tap_fail "remotevm-query of the freed range: free" "$out"
fi
is "remotevm-alloc with a bad PROT is refused" 1 \
	"$(grep -c "^remotevm-alloc: protection 'w': x86 has no write-only memory, use rw$" <<<"$out")"
if [[ $(line tracer) -gt 0 ]]; then
	tap_ok "gdb was tracing the target"
else
	tap_fail "gdb was tracing the target" "$out"
fi
traced=$(cut -d' ' -f1 "$tmp/traced")
is "the remotevm tool allocates while gdb holds the target" "rw-p" \
	"$(perms "${traced#0x}")"
is "the target runs on after gdb detached" "ok 1 1" "$(ask "P $code")"
echo X >&"${TARGET[1]}"
wait
tap_done
