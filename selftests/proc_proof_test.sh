#!/bin/bash
# The mem-file proof is procfs's (security review 2026-12, findings 13/17):
# the module learns which file type is "/proc/PID/mem" when it loads, by
# opening /proc/self/mem in the loader's mount namespace. A loader with a
# fake /proc (a chroot, a container) must not make some other file type
# the proof of access to a process: such a load has to fail.
# Unloads and reloads $REMOTEVM_KO, so no handle may be open meanwhile.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ktap_print_header
if [ -z "${REMOTEVM_KO:-}" ] || [ ! -r "$REMOTEVM_KO" ]; then
	ktap_set_plan 1
	ktap_test_skip "a load with a fake /proc fails" \
		"REMOTEVM_KO (the loaded module's .ko) unset or unreadable: '${REMOTEVM_KO:-}'"
	ktap_finished
fi
ktap_set_plan 3
loaded() { [ -d /sys/module/remotevm ]; }

# A target killed by an earlier test lets go of the module only once its
# mm is torn down, which a slow (debug) kernel may not have done yet.
unload() {
	local tries=50

	until out=$(rmmod remotevm 2>&1); do
		((--tries > 0)) || return 1
		sleep 0.2
	done
	! loaded
}

if unload; then
	# Control: a private mount namespace with the real procfs loads, so
	# a failure below is the fake /proc's doing, not unshare's or insmod's.
	if out=$(unshare -m sh -c 'mount -t proc proc /proc && insmod "$REMOTEVM_KO"' 2>&1) &&
		loaded; then
		ktap_test_pass "a load in a private mount namespace with the real procfs works"
	else
		ktap_test_fail "a load in a private mount namespace with the real procfs works" "$out"
	fi
	loaded && rmmod remotevm

	# The fake: /proc/self/mem is an empty file on a tmpfs.
	out=$(unshare -m sh -c 'mount -t tmpfs fake /proc && mkdir /proc/self &&
		: >/proc/self/mem && insmod "$REMOTEVM_KO"' 2>&1)
	rc=$?
	if ((rc != 0)) && ! loaded; then
		ktap_test_pass "a load with a fake /proc fails"
	else
		ktap_test_fail "a load with a fake /proc fails" \
			"insmod with a tmpfs /proc: status $rc, module loaded: $(loaded && echo yes || echo no)" \
			${out:+"$out"}
	fi
	loaded && rmmod remotevm
else
	ktap_test_fail "a load in a private mount namespace with the real procfs works" \
		"rmmod remotevm for 10 s: $out" "$(lsmod | grep -w remotevm)"
	ktap_test_fail "a load with a fake /proc fails" "not tried: the module could not be unloaded"
fi

# Always loaded again, for the tests after this one and the final rmmod.
if loaded || out=$(insmod "$REMOTEVM_KO" 2>&1); then
	ktap_test_pass "the module loads again with the real /proc"
else
	ktap_test_fail "the module loads again with the real /proc" "$out"
fi
ktap_finished
