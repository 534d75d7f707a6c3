#!/bin/bash
# Runs every selftest in the guest, one after another: the kselftest
# binaries (build/selftests/*_test) and the shell tests (selftests/*_test.sh).
# Each prints TAP and a "# Totals:" line; the exit status is non-zero if
# any of them failed.
build=${1:?build dir}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
status=0
for t in "$build"/selftests/*_test "$here"/*_test.sh; do
	[ -x "$t" ] || continue
	echo "# selftest: $(basename "$t")"
	"$t" "$build" || status=1
done
exit $status
