#!/bin/bash
# A fixed-seed slice of remotevm-fuzz (make fuzz runs the whole of it): the
# same hostile operations against the same hostile target on every run, so
# that a failure here replays with the seed it prints. Fewer operations on
# the debug kernel, which runs them about ten times slower.
build=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ktap_print_header
ktap_skip_unless_built "$build" tools/remotevm-fuzz
ktap_set_plan 1
seed=20261202
ops=${FUZZ_SLICE_OPS:-100000}
case $(uname -r) in *-remotevm-debug) ops=$((ops / 10)) ;; esac
out=$("$build/tools/remotevm-fuzz" --seed "$seed" --ops "$ops" 2>&1)
rc=$?
summary=$(printf '%s\n' "$out" | grep -m1 "ops in")
if [ $rc -eq 0 ]; then
	ktap_test_pass "fuzz slice: ${summary#fuzz: }"
else
	mapfile -t lines < <(printf '%s\n' "$out" | grep -v '^fuzz:   ' | tail -n 20)
	ktap_test_fail "fuzz slice: seed $seed, $ops ops (exit $rc)" "${lines[@]}"
fi
ktap_finished
