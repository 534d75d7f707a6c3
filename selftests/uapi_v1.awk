# Writes uapi/linux/remotevm.h as a later version of it might be: every
# extensible struct ends in one more __u64 field, v1_extra. A program built
# with it is a caller from the future; abi_ext_test.c uses it to prove the
# extensible-struct rules against the real module.
#
# usage: awk -f uapi_v1.awk uapi/linux/remotevm.h >build/.../linux/remotevm.h

BEGIN {
	split("remotevm_alloc remotevm_free remotevm_query remotevm_protect " \
	      "remotevm_region remotevm_regions remotevm_op remotevm_batch " \
	      "remotevm_read",
	      names, " ")
	for (i in names)
		extensible[names[i]] = 1
}

$1 == "struct" && $3 == "{" && ($2 in extensible) {
	open = $2
	grown[$2] = 0
}

open != "" && /^};/ {
	print "\t__u64 v1_extra;\t/* v1: must be 0 for a v0 kernel */"
	grown[open] = 1
	open = ""
}

{ print }

/^#define _UAPI_LINUX_REMOTEVM_H/ {
	print "#define REMOTEVM_UAPI_V1_EXTRA 1"
}

END {
	for (n in extensible) {
		if (!grown[n]) {
			print "uapi_v1.awk: struct " n " not found" > "/dev/stderr"
			exit 1
		}
	}
}
