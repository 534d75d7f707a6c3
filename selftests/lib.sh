# Helpers for the shell selftests, sourced by each of them:
# - KTAP output, as the kernel's kselftest/ktap_helpers.sh prints it: a
#   "TAP version 13" header, the plan "1..N", "ok"/"not ok" lines and the
#   "# Totals:" line that testing/check sums;
# - a remotevm_target process to work on, driven over a coprocess.
#
#	. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#	ktap_print_header
#	ktap_skip_unless_built "$1" selftests/remotevm_target
#	ktap_set_plan 3
#	...one ktap_test_* or is per test...
#	ktap_finished

KTAP_TESTNO=1
KTAP_CNT_PASS=0
KTAP_CNT_FAIL=0
KTAP_CNT_SKIP=0
KSFT_NUM_TESTS=0
KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

ktap_print_header() {
	echo "TAP version 13"
}

ktap_set_plan() {
	KSFT_NUM_TESTS=$1
	echo "1..$KSFT_NUM_TESTS"
}

__ktap_test() {	# RESULT DESCRIPTION [DIRECTIVE]
	echo "$1 $KTAP_TESTNO $2${3:+ # $3}"
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
}

ktap_test_pass() {
	__ktap_test ok "$1"
	KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1))
}

# ktap_test_fail DESCRIPTION [DIAGNOSTIC...]: each diagnostic on a "#" line.
ktap_test_fail() {
	__ktap_test "not ok" "$1"
	KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	return 0
}

ktap_test_skip() {	# DESCRIPTION REASON
	__ktap_test ok "$1" "SKIP $2"
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
}

# is DESCRIPTION EXPECTED GOT [DIAGNOSTIC...]: passes if GOT is EXPECTED,
# else shows both, and the diagnostics.
is() {
	local description=$1 expected=$2 got=$3

	shift 3
	if [ "$got" = "$expected" ]; then
		ktap_test_pass "$description"
	else
		ktap_test_fail "$description" "expected: $expected" "got: $got" "$@"
	fi
}

# The totals, then exit status 0 only if every planned test ran and none
# failed. A script that ran fewer or more tests than it planned (it died
# halfway, or its plan is stale) reports an error that testing/check counts.
ktap_finished() {
	local ran=$((KTAP_TESTNO - 1)) error=0

	if [ "$ran" -ne "$KSFT_NUM_TESTS" ]; then
		echo "Bail out! Planned tests != run tests ($KSFT_NUM_TESTS != $ran)"
		error=1
	fi
	echo "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:0 xpass:0 skip:$KTAP_CNT_SKIP error:$error"
	if [ "$error" -ne 0 ] || [ "$KTAP_CNT_FAIL" -ne 0 ]; then
		exit "$KSFT_FAIL"
	fi
	# What kselftest's runner reports as "# SKIP" rather than as a pass.
	if [ "$KTAP_CNT_PASS" -eq 0 ] && [ "$KTAP_CNT_SKIP" -gt 0 ]; then
		exit "$KSFT_SKIP"
	fi
	exit "$KSFT_PASS"
}

# ktap_skip_unless_built BUILD FILE...: the shell tests exercise what the
# project's build tree holds (the tools, the target program). Without it,
# as run_kselftest.sh runs them (no argument), the script is one skipped
# test that says what is missing, and exits. Call it after the header.
# installed_or INSTALLED BUILT: the copy of the tool or library a test
# exercises. With REMOTEVM_INSTALLED=1 that is what the packages installed
# (testing/package), else the build's.
installed_or() {
	if [ -n "${REMOTEVM_INSTALLED:-}" ]; then
		echo "$1"
	else
		echo "$2"
	fi
}

ktap_skip_unless_built() {
	local build=$1 file reason=

	shift
	if [ -z "$build" ]; then
		reason="no build directory (usage: $(basename "$0") BUILD_DIR)"
	else
		for file in "$@"; do
			if [ ! -e "$build/$file" ]; then
				reason="$build/$file is missing"
				break
			fi
		done
	fi
	[ -z "$reason" ] && return 0
	ktap_set_plan 1
	ktap_test_skip "$(basename "$0")" "$reason"
	ktap_finished
}

# target_start BUILD: starts BUILD/selftests/remotevm_target on the
# coprocess TARGET; sets $pid, and $code to an address in its text
# (hexadecimal, without 0x).
target_start() {
	coproc TARGET { exec "$1/selftests/remotevm_target"; }
	read -r _ pid code <&"${TARGET[0]}"
}

# ask COMMAND...: the target's one-line answer (see remotevm_target.c).
ask() {
	local reply

	echo "$*" >&"${TARGET[1]}"
	read -r reply <&"${TARGET[0]}"
	echo "$reply"
}

target_stop() {
	echo X >&"${TARGET[1]}"
	wait
}

# perms ADDR [MAPS]: the permissions of the target's mapping holding ADDR
# (hexadecimal, 0x optional), if any, now or in a copy of its maps. The
# kernel may have merged an allocation with a neighbour into one mapping.
perms() {
	local addr=$((16#${1#0x})) range perms rest

	while read -r range perms rest; do
		if ((16#${range%-*} <= addr && addr < 16#${range#*-})); then
			echo "$perms"
			return
		fi
	done <"${2:-/proc/$pid/maps}"
}
