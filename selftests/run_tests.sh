#!/bin/bash
# Runs every selftest in the guest, one after another: the test programs
# the build lists in build/selftests/programs (not a glob of the build dir,
# where a program whose source is gone would linger) and the shell tests
# (selftests/*_test.sh). Each prints KTAP and a "# Totals:" line; the exit
# status is non-zero if any of them failed (4, all skipped, is no failure).
build=${1:?build dir}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
status=0
mapfile -t programs <"$build/selftests/programs" || exit 1
for t in "${programs[@]/#/$build/selftests/}" "$here"/*_test.sh; do
	echo "# selftest: $(basename "$t")"
	"$t" "$build"
	rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 4 ] || status=1
done
exit $status
