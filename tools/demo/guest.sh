#!/bin/bash
# The demo, inside the guest: a running process gets executable memory from
# another process through /dev/remotevm, and uses it.
set -euo pipefail
bin=${1:?build dir}

coproc TARGET { "$bin/selftests/remotevm_target"; }
read -r _ pid _ <&"${TARGET[0]}"
say() { printf '\n== %s\n' "$*"; }
ask() { echo "$*" >&"${TARGET[1]}"; read -r reply <&"${TARGET[0]}"; echo "target: $reply"; }

say "target process $pid is running, blocked reading its stdin"
grep -c . "/proc/$pid/maps" | sed 's/^/mappings: /'

say "remotevm-demo $pid 8192: reserve+commit 8 KiB RWX inside it"
read -r addr size < <("$bin/tools/remotevm-demo" "$pid" 8192)
echo "allocated 0x$addr, $size bytes"

say "the target's /proc/$pid/maps now shows:"
grep "^0*$addr-" "/proc/$pid/maps"

say "the target itself reads it (zero-filled), fills it with 0x90, reads it back"
ask "R $addr $(printf %x "$size")"
ask "W $addr $(printf %x "$size") 90"
ask "R $addr $(printf %x "$size")"

say "no signal ever reached it, and it was never stopped"
ask "S"
grep State "/proc/$pid/status"
echo X >&"${TARGET[1]}"
wait
