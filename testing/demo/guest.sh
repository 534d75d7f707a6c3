#!/bin/bash
# The demo, inside the guest: with the remotevm tool, one process reserves
# and commits executable memory in another, running one, which then uses
# it; then the memory is freed. The target is never stopped or traced.
set -euo pipefail
build=${1:?build dir}
remotevm=$build/tools/remotevm
. "$(dirname "${BASH_SOURCE[0]}")/../../selftests/lib.sh"

target_start "$build"
say() { printf '\n== %s\n' "$*"; }
tell() { echo "target: $(ask "$@")"; }

say "target process $pid is running (blocked reading its stdin)"

say "remotevm alloc $pid 64K --prot rwx --reserve-only, then commit 8K of it"
reservation=$("$remotevm" alloc "$pid" 64K --prot rwx --reserve-only)
echo "$reservation"
addr=${reservation%% *}
"$remotevm" alloc "$pid" 8K --prot rwx --commit-only --address "$addr"

say "the target's /proc/$pid/maps"
grep "^0*${addr#0x}-\|^0*$(printf %x $((addr + 8192)))-" "/proc/$pid/maps"

say "remotevm maps $pid $addr: reserved and committed regions"
"$remotevm" maps "$pid" "$addr" "$(printf 0x%x $((addr + 65536)))"

say "the target itself reads it (zero-filled), fills it with 0x90, reads it back"
tell "R ${addr#0x} 2000"
tell "W ${addr#0x} 2000 90"
tell "R ${addr#0x} 2000"
"$remotevm" read "$pid" "$addr" 16

say "no signal reached it and it was never stopped"
tell "S"
grep State "/proc/$pid/status"

say "remotevm free $pid $addr: released"
"$remotevm" free "$pid" "$addr"
grep -q "^0*${addr#0x}-" "/proc/$pid/maps" || echo "no longer in the target's maps"
target_stop
