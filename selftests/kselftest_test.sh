#!/bin/bash
# The selftests as the kselftest collection "remotevm", installed by
# `make kselftest` from a kernel tree's tools/testing/selftests: its
# run_kselftest.sh lists every program and shell test of the collection,
# and runs them (the ABI programs here, to keep the guest run short).
build=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
install=$build/kselftest-install
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ktap_print_header
ktap_skip_unless_built "$build" kselftest-install/run_kselftest.sh \
	selftests/programs selftests/library-programs
ktap_set_plan 5

# What the collection must hold: the module's test programs of this build
# (not the library's tests, which need libremotevm, which the collection
# does not ship) and the shell tests but this one.
for p in $(grep -vxF -f "$build/selftests/library-programs" "$build/selftests/programs") \
	$(cd "$here" && ls *_test.sh | grep -vx kselftest_test.sh); do
	echo "remotevm:$p"
done | sort >"$tmp/expected"
"$install/run_kselftest.sh" -l | sort >"$tmp/listed"
if diff "$tmp/expected" "$tmp/listed" >"$tmp/diff"; then
	ktap_test_pass "run_kselftest.sh -l lists every program and shell test"
else
	mapfile -t lines <"$tmp/diff"
	ktap_test_fail "run_kselftest.sh -l lists every program and shell test" "${lines[@]}"
fi

is "the collection installs its config and settings" "timeout=900 yes" \
	"$(cat "$install/remotevm/settings") $([ -s "$install/remotevm/config" ] && echo yes)"

# run_kselftest TEST: runs remotevm:TEST through run_kselftest.sh; its own
# result line ("ok 1 selftests: remotevm: TEST ...") is the outcome.
run_kselftest() {
	"$install/run_kselftest.sh" -t "remotevm:$1" >"$tmp/$1.log" 2>&1
	grep "^\(not \)\?ok 1 selftests: remotevm: $1" "$tmp/$1.log"
}

# The log goes out only when it fails, with its totals defused: testing/check
# sums every "pass:N fail:N ..." it sees and would count these twice.
ran() {	# DESCRIPTION TEST EXPECTED-RESULT-LINE
	local got

	got=$(run_kselftest "$2")
	if [ "$got" = "$3" ]; then
		ktap_test_pass "$1"
	else
		mapfile -t lines < <(tail -n 40 "$tmp/$2.log" | sed 's/pass:/pass=/')
		ktap_test_fail "$1" "expected: $3" "got: $got" "${lines[@]}"
	fi
}

ran "abi_test passes under run_kselftest.sh" abi_test \
	"ok 1 selftests: remotevm: abi_test"
ran "abi_ext_v1_test passes under run_kselftest.sh" abi_ext_v1_test \
	"ok 1 selftests: remotevm: abi_ext_v1_test"
ran "a shell test without the build tree is a kselftest skip" \
	com_example_test.sh "ok 1 selftests: remotevm: com_example_test.sh # SKIP"
ktap_finished
