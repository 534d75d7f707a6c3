# TAP helpers for the shell selftests, with the kselftest closing line
# ("# Totals: ...") that testing/check sums. Source it, then call
# tap_ok/tap_fail/tap_skip per test and tap_done at the end.
tap_n=0 tap_pass=0 tap_failed=0 tap_skipped=0

tap_ok() { tap_n=$((tap_n + 1)); tap_pass=$((tap_pass + 1)); echo "ok $tap_n $1"; }
tap_fail() {
	tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n $1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	return 0
}
tap_skip() { tap_n=$((tap_n + 1)); tap_skipped=$((tap_skipped + 1)); echo "ok $tap_n $1 # SKIP $2"; }
# tap_check NAME COMMAND...: ok if the command succeeds, else its output.
tap_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then tap_ok "$name"; else tap_fail "$name" "$out"; fi
}
tap_done() {
	echo "# Totals: pass:$tap_pass fail:$tap_failed xfail:0 xpass:0 skip:$tap_skipped error:0"
	[ "$tap_failed" -eq 0 ]
}
