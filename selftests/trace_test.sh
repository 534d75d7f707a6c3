#!/bin/bash
# remotevm's trace events as an administrator sees them: in tracefs, in
# perf list, in perf record + perf script while the remotevm tool works on
# a target (each event with the tool's pid, the target's tgid and the
# addresses the tool printed), and counted per target by a bpftrace
# one-liner. A kernel built without trace events skips, saying so.
build=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cli=$(installed_or /usr/bin/remotevm "$build/tools/remotevm")
lib=$(installed_or libremotevm.so.1 "$build/userlib/libremotevm.so.1")
tracefs=/sys/kernel/tracing
events="alloc attach batch detach free lost protect reset"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ktap_print_header
ktap_skip_unless_built "$build" tools/remotevm selftests/remotevm_target \
	userlib/libremotevm.so.1
[[ -d $tracefs/events ]] || mount -t tracefs nodev "$tracefs" 2>/dev/null
if [[ ! -d $tracefs/events/remotevm ]]; then
	ktap_set_plan 1
	ktap_test_skip "$(basename "$0")" "this kernel has no trace events (CONFIG_EVENT_TRACING)"
	ktap_finished
fi
ktap_set_plan 12
target_start "$build"

is "tracefs has every remotevm event" "$events" \
	"$(cd "$tracefs/events/remotevm" && echo $(ls -d */ | tr -d /))"
is "perf list 'remotevm:*' lists them" "$events" \
	"$(perf list 'remotevm:*' 2>&1 | awk '$1 ~ /^remotevm:/ { sub("remotevm:", "", $1); print $1 }' |
		sort | xargs)"

# What the library does that the tool does not: MEM_RESET, and a batch of
# two allocations. Prints the address it reset.
lib_ops() {
	python3 - "$lib" "$pid" <<'EOF'
import ctypes, struct, sys
lib = ctypes.CDLL(sys.argv[1], use_errno=True)
handle = ctypes.c_void_p()
assert lib.remotevm__open(int(sys.argv[2]), None, ctypes.byref(handle)) == 0
lib.remotevm__alloc.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64,
                                ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p,
                                ctypes.POINTER(ctypes.c_uint64), ctypes.c_void_p]
addr = ctypes.c_uint64()
MEM_COMMIT, MEM_RESERVE, MEM_RESET, PAGE_READWRITE = 0x1000, 0x2000, 0x80000, 4
assert lib.remotevm__alloc(handle, 0, 0x10000, MEM_COMMIT | MEM_RESERVE,
                           PAGE_READWRITE, None, ctypes.byref(addr), None) == 0
assert lib.remotevm__alloc(handle, addr.value, 0x10000, MEM_RESET,
                           PAGE_READWRITE, None, None, None) == 0
# struct remotevm_op: code, error, flags, pad, then struct remotevm_alloc.
op = struct.pack("<IiII QQII QQQQQ", 1, 0, 0, 0, 0, 0x1000,
                 MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE, 0, 0, 0, 0, 0).ljust(144, b"\0")
ops = ctypes.create_string_buffer(op * 2, 288)
completed = ctypes.c_uint32()
lib.remotevm__batch.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32,
                                ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint32)]
assert lib.remotevm__batch(handle, ops, 2, 144, ctypes.byref(completed)) == 0
lib.remotevm__close(handle)
print(hex(addr.value))
EOF
}

# The tool allocates, protects and frees; another allocation the target
# unmaps itself; the library resets and batches.
cat >"$tmp/work" <<EOF
$cli alloc $pid 64K --prot rw- >$tmp/alloc
read -r addr _ <$tmp/alloc
$cli protect $pid \$addr 64K r-- >/dev/null
$cli free $pid \$addr >/dev/null
$cli alloc $pid 8K --prot rw- >$tmp/lost
EOF
perf record -q -a -e 'remotevm:*' -o "$tmp/perf.data" -- bash "$tmp/work" \
	>"$tmp/record.log" 2>&1
read -r addr _ <"$tmp/alloc"
read -r lost _ <"$tmp/lost"
perf script -i "$tmp/perf.data" -F comm,pid,event,trace 2>/dev/null >"$tmp/script"

# line EVENT PATTERN: the first perf script line of remotevm:EVENT matching PATTERN.
line() { grep -m1 -E "remotevm:$1: .*$2" "$tmp/script"; }

attach=$(line attach "tgid=$pid ")
read -r comm sample_pid _ <<<"$attach"
is "perf script: attach by the tool, its pid in the event and the sample, the target's tgid" \
	"remotevm $sample_pid" "$comm $(sed -n 's/.*tool=\([0-9]*\).*/\1/p' <<<"$attach")"
is "perf script: alloc with the address the tool printed" "1" \
	"$(line alloc "tgid=$pid address=$addr size=0x10000 type=0x3000 protection=0x4 result=0 " | wc -l)"
is "perf script: protect of that range to PAGE_READONLY" "1" \
	"$(line protect "tgid=$pid address=$addr size=0x10000 type=0 protection=0x2 result=0 " | wc -l)"
is "perf script: free (MEM_RELEASE) of it" "1" \
	"$(line free "tgid=$pid address=$addr size=0 type=0x8000 protection=0 result=0 " | wc -l)"
is "perf script: a detach for each attach, the first by the same tool" "4 4 1" \
	"$(grep -c "remotevm:attach: .*tgid=$pid " "$tmp/script") \
$(grep -c "remotevm:detach: .*tgid=$pid " "$tmp/script") \
$(grep -c "remotevm:detach: tool=$sample_pid .*tgid=$pid " "$tmp/script")"

# The target unmaps an allocation itself: lost, with its range. Through
# tracefs: a perf record started in the background may not be recording
# yet when the target acts.
echo 1 >"$tracefs/events/remotevm/lost/enable"
echo >"$tracefs/trace"
ask "U ${lost#0x} 2000" >/dev/null
echo 0 >"$tracefs/events/remotevm/lost/enable"
lost_end=$(printf '%#x' $((lost + 0x2000)))
is "tracefs: lost, when the target unmaps an allocation itself" "1" \
	"$(grep -c "lost: tgid=$pid start=$lost end=$lost_end" "$tracefs/trace")"

perf record -q -a -e 'remotevm:reset,remotevm:batch' -o "$tmp/lib.data" -- \
	bash -c "$(declare -f lib_ops); lib=$lib pid=$pid lib_ops >$tmp/reset" \
	>>"$tmp/record.log" 2>&1
perf script -i "$tmp/lib.data" -F event,trace 2>/dev/null >"$tmp/lib.script"
read -r reset <"$tmp/reset"
is "perf script: reset (MEM_RESET) of the range the library gave" "1" \
	"$(grep -c "remotevm:reset: tgid=$pid address=$reset size=0x10000 type=0x80000 .*result=0 " \
		"$tmp/lib.script")"
is "perf script: a batch of two, both done" "1" \
	"$(grep -c "remotevm:batch: tgid=$pid count=2 completed=2 result=0 " "$tmp/lib.script")"

# bpftrace: allocations per target, three of 8K. "Attaching" comes before
# the probe is live: 4K allocations, not counted, until one is seen.
if [[ ! -e /sys/kernel/btf/vmlinux ]]; then
	ktap_test_skip "bpftrace counts the allocations per target" \
		"no BTF in this kernel: bpftrace cannot type the event's fields"
else
	bpftrace -B line -e 'tracepoint:remotevm:alloc /args->size == 0x1000/ { printf("live\n"); }
		tracepoint:remotevm:alloc /args->size != 0x1000/ { @allocs[args->tgid] = count(); }' \
		>"$tmp/bpftrace" 2>&1 &
	tracer=$!
	for ((i = 0; i < 100; i++)); do
		"$cli" alloc "$pid" 4K >/dev/null
		grep -q live "$tmp/bpftrace" && break
		kill -0 $tracer 2>/dev/null || break
		sleep 0.2
	done
	for i in 1 2 3; do
		"$cli" alloc "$pid" 8K >/dev/null
	done
	kill -INT $tracer 2>/dev/null
	wait $tracer
	is "bpftrace counts the allocations per target" "@allocs[$pid]: 3" \
		"$(grep '^@allocs' "$tmp/bpftrace")"
fi

ok=1
for e in $events; do
	[[ $(cat "$tracefs/events/remotevm/$e/enable") == 0 ]] || ok=0
done
is "every event is off again once the tracers are done" 1 "$ok"

target_stop
# What they look like, for the log.
{
	perf list 'remotevm:*' 2>&1 | grep remotevm:
	grep -m6 -E 'remotevm:(attach|alloc|protect|free|detach)' "$tmp/script"
	cat "$tmp/lib.script" "$tmp/bpftrace" 2>/dev/null
} | sed 's/^/# /'
[[ $KTAP_CNT_FAIL == 0 ]] ||
	grep -hv "not valid for" "$tmp/record.log" "$tmp/script" "$tmp/lib.script" | sed 's/^/# /'
ktap_finished
