#!/bin/bash
# The remotevm command-line tool (its ASan/UBSan build) on a live target:
# what it allocates, protects, writes and frees is checked from the target's
# side and in its /proc/PID/maps, its JSON parses and has the documented
# fields, and its exit statuses and size and protection syntax hold.
build=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cli=$(installed_or /usr/bin/remotevm "$build/tools/remotevm-asan")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A sanitizer report must not pass for any status a test expects.
export ASAN_OPTIONS=exitcode=86 UBSAN_OPTIONS=exitcode=86

ktap_print_header
ktap_skip_unless_built "$build" tools/remotevm-asan selftests/remotevm_target
ktap_set_plan 45
target_start "$build"
code=0x$code

# run ARGS...: the tool's stdout in $out, its exit status in $rc.
run() { out=$("$cli" "$@" 2>"$tmp/stderr"); rc=$?; }
# json PATH...: the values at a.b.0.c in the JSON object $out, or why not.
json() {
	python3 -c '
import json, sys
doc = json.loads(sys.argv[1])
def get(path):
    v = doc
    for key in path.split("."):
        v = v[int(key)] if isinstance(v, list) else v[key]
    return "null" if v is None else str(v)
print(" ".join(get(path) for path in sys.argv[2:]))' "$out" "$@" 2>&1 | tail -n1
}

missing=
for c in alloc free query maps protect read write; do
	run "$c" --help
	[[ $rc == 0 && $out == "usage: remotevm [--json] $c "* ]] || missing+=" $c"
done
run --help
[[ $rc == 0 && $out == *"Exit status: 0 done, 1 the operation failed, 2 usage error, 3"* ]] ||
	missing+=" remotevm"
is "every command has --help" "" "$missing"

run alloc "$pid" 64K --prot rwx
addr=${out%% *}
is "alloc prints the address, the size and the protection" \
	"0 $addr 65536 bytes, committed rwx" "$rc $out"
is "alloc: the target's maps has it, rwx" "rwxp" "$(perms "$addr")"
ask "W $addr 10000 5a" >/dev/null
is "the target writes the memory and reads it back" "ok 5a 1" "$(ask "R $addr 10000")"

run --json alloc "$pid" 2M --prot r-x
is "alloc --json: command, pid, size, state, protection" \
	"0 alloc $pid 2097152 commit r-x" "$rc $(json command pid size state protection)"
rx=$(json address)
is "alloc --json: the address is in the maps, r-x" "r-xp" "$(perms "$rx")"
is "the target can read but not write r-x memory" "ok 1 0" "$(ask "P $rx")"

run alloc --json "$pid" 1M --reserve-only
res=$(json address)
is "alloc --reserve-only (--json after the command)" "0 reserve ---p" \
	"$rc $(json state) $(perms "$res")"
run --json query "$pid" "$res"
is "query of a reservation: reserve, no protection, private, its base" \
	"0 query $res reserve null private 1048576 $res rw-" \
	"$rc $(json command address region.state region.protect region.type \
		region.region_size region.allocation_base region.allocation_protect)"
mid=$(printf '0x%x' $((res + 0x10000)))
run --json alloc "$pid" 64K --commit-only --address "${mid#0x}" --prot rw
is "alloc --commit-only --address commits inside the reservation" \
	"0 $mid commit" "$rc $(json address state)"
run --json query "$pid" "$mid"
is "query: the committed part" "commit rw- 65536 $res" \
	"$(json region.state region.protect region.region_size region.allocation_base)"
is "the target can use the committed part only" "ok 1 1/ok 0 0" \
	"$(ask "P $mid")/$(ask "P $res")"
run query "$pid" "$mid"
is "query's table" "$(printf '%016x-%016x commit  rw-  private %-16x rw-' \
	"$mid" $((mid + 0x10000)) "$res")" "$(tail -n1 <<<"$out")"

run --json maps "$pid" "$res" "$(printf %x $((res + 0x100000)))"
is "maps --json of the reservation: reserve, commit, reserve" \
	"0 reserve commit reserve 65536 65536 917504 $mid" \
	"$rc $(json regions.0.state regions.1.state regions.2.state regions.0.region_size \
		regions.1.region_size regions.2.region_size regions.1.base_address)"
run maps "$pid"
is "maps of the whole process: a header, the reservation's three regions, no free" \
	"range 3 0" "$(head -n1 <<<"$out" | cut -d' ' -f1) \
$(grep -c " $(printf %x "$res") " <<<"$out") $(grep -c ' free ' <<<"$out")"
images=0
while read -r range _ prot type _; do
	[[ $prot == r-x && $type == image ]] &&
		((16#${range%-*} <= code && code < 16#${range#*-})) && images=$((images + 1))
done <<<"$out"
is "maps shows the target's code as part of an image" 1 "$images"
run maps --free "$pid"
if [[ $(grep -c ' free ' <<<"$out") -gt 0 ]]; then
	ktap_test_pass "maps --free shows free regions"
else
	ktap_test_fail "maps --free shows free regions" "$out"
fi

run free "$pid" "$mid" --decommit 64K
decommitted=$rc
run --json query "$pid" "$mid"
is "free --decommit turns committed pages back to reserved" "0 reserve ok 0 0" \
	"$decommitted $(json region.state) $(ask "P $mid")"
run free "$pid" "$res"
is "free releases the reservation: gone from the maps" "0 released $res " \
	"$rc $out $(perms "$res")"
run --json query "$pid" "$res"
is "query after free: free, no allocation" "free null" \
	"$(json region.state region.allocation_base)"

run free "$pid" "$res"
is "free of a released allocation fails: status 1" 1 "$rc"
run --json free "$pid" "$code"
is "free of the target's own code: status 1, EADDRNOTAVAIL in the JSON" \
	"1 free EADDRNOTAVAIL" "$rc $(json command errno)"
is "...and the code is still there" "ok 1 0" "$(ask "P $code")"

run --json alloc "$pid" 8K
page=$(json address)
ask "W $page 1000 77" >/dev/null
run --json protect "$pid" "$page" 4K r
is "protect of pages holding data without --copy: status 1, EBUSY" "1 EBUSY" \
	"$rc $(json errno)"
run --json protect "$pid" "$page" 0x1000 r --copy
is "protect --copy: old and new protection" "0 rw- r--" \
	"$rc $(json old_protection protection)"
is "protect --copy: read-only for the target, data kept, maps says r--" \
	"ok 1 0/ok 77 1/r--p" "$(ask "P $page")/$(ask "R $page 1000")/$(perms "$page")"

run write "$pid" "$page" "de ad:be ef"
is "write into read-only memory, as a debugger does" "0 ok de 0" \
	"$rc $(ask "R $page 4")"
run --json read "$pid" "$page" 8
is "read --json: the bytes written and the target's" "0 deadbeef77777777 8" \
	"$rc $(json data size)"
is "read --raw" " de ad be ef 77" "$("$cli" read --raw "$pid" "$page" 5 | od -An -tx1)"
run --json read "$pid" "$page" 010
is "a size with a leading 0 is decimal: 010 bytes are ten" "0 10" "$rc $(json size)"
run read "$pid" "$page" 20
is "read's hexdump" "$(printf '%016x  de ad be ef 77 77 77 77  77 77 77 77 77 77 77 77  |....wwwwwwwwwwww|' "$page")" \
	"$(head -n1 <<<"$out")"
ask "U $(printf %x $((page + 0x1000))) 1000" >/dev/null	# now the mapping ends after a page
head -c 5000 /dev/urandom >"$tmp/blob"
run --json write "$pid" "$page" --file "$tmp/blob"
is "write --file past the end of the mapping: status 1, what was written" "1 4096" \
	"$rc $(json size)"
"$cli" read --raw "$pid" "$page" 4096 >"$tmp/back"
is "read --raw gives back what write --file wrote" "" \
	"$(cmp <(head -c 4096 "$tmp/blob") "$tmp/back" 2>&1)"
run --json read "$pid" "$page" 8K
is "read stops short at the end of the mapping: status 1, 4096 bytes" "1 4096" \
	"$rc $(json size)"
run free "$pid" "$page"

sizes='' prots=''
for size in 4096:4096 0x1000:4096 64k:65536 2M:2097152 1G:1073741824; do
	run --json alloc "$pid" "${size%:*}" --reserve-only
	sizes+=" $(json size)"
	run free "$pid" "$(json address)"
done
is "sizes: 4096 0x1000 64k 2M 1G" " 4096 4096 65536 2097152 1073741824" "$sizes"
for prot in none:--- r:r-- rw:rw- wr:rw- x:--x xr:r-x rwx:rwx -w-rx:rwx; do
	run --json alloc "$pid" 4K --prot "${prot%:*}"
	prots+=" $(json protection)/$(perms "$(json address)")"
	run free "$pid" "$(json address)"
done
is "protections: none r rw wr x xr rwx -w-rx" \
	" ---/---p r--/r--p rw-/rw-p rw-/rw-p --x/--xp r-x/r-xp rwx/rwxp rwx/rwxp" \
	"$prots"

run --json alloc "$pid" 64K --align 2M
aligned=$(json address)
is "alloc --align 2M" "0 0" "$rc $((aligned % 0x200000))"
run --json alloc "$pid" 4K --near "$code"
near=$(json address)
distance=$((near > code ? near - code : code - near))
if ((rc == 0 && distance < 0x80000000)); then
	ktap_test_pass "alloc --near: within 2 GiB"
else
	ktap_test_fail "alloc --near: within 2 GiB" "status $rc, $near for $code"
fi
run --json alloc "$pid" 4K --top-down
top=$(json address)
if ((rc == 0 && top > near)); then
	ktap_test_pass "alloc --top-down: above the one near the code"
else
	ktap_test_fail "alloc --top-down: above the one near the code" "status $rc, $top, near $near"
fi
run free "$pid" "$aligned"
run --json alloc "$pid" 64K --address "$aligned"
is "alloc --address: exactly there" "0 $aligned" "$rc $(json address)"
run --json alloc "$pid" 4K --address "$aligned"
is "alloc --address on a mapping: status 1, EEXIST" "1 EEXIST" "$rc $(json errno)"
run free "$pid" "$aligned"
run free "$pid" "$near"
run free "$pid" "$top"

statuses=
for args in "" "bogus" "alloc $pid" "alloc $pid 12Q" "alloc $pid 4K --prot rwz" \
	"alloc $pid 4K --prot w" "alloc $pid 4K --bogus" "alloc x 4K" \
	"alloc $pid 4K --address $aligned --near $code" "write $pid $code 9" \
	"read --raw --json $pid $code 4" "maps $pid 2000 1000"; do
	run $args
	statuses+=" $rc"
done
is "usage errors: status 2" " 2 2 2 2 2 2 2 2 2 2 2 2" "$statuses"
nobody=$(</proc/sys/kernel/pid_max)
run alloc "$nobody" 4K
is "no such process: status 3" 3 "$rc"
run --json query "$nobody" "$code"
is "no such process, --json: status 3, ESRCH" "3 query $nobody ESRCH" \
	"$rc $(json command pid errno)"

is "the target was never stopped, traced or signalled" "ok 0 0" \
	"$(ask S) $(awk '/^TracerPid:/ { print $2 }' "/proc/$pid/status")"
target_stop
ktap_finished
