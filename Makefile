# remotevm: build the module, the library, the tools and the selftests; run
# the tests and the demo in qemu guests on the kernels of the matrix.
#
# What ships: module/, uapi/, userlib/, tools/ (cli, gdb), examples/.
# What tests and measures it: selftests/, testing/ (guest runner, checks,
# bench, deps).
#
#   make [KDIR=...]          module for one kernel, selftests
#   make install [PREFIX=..] the library, the CLI, the gdb commands, man pages
#   make deb                 Debian packages in build/deb (dpkg-buildpackage)
#   make deps                install what all of this needs (Debian 12)
#   make kselftest           selftests/ as a kselftest collection, installed
#                            in build/kselftest-install (run_kselftest.sh)
#   make check [KERNELS=..]  selftests in a guest per kernel (6.1 6.12 debug)
#   make demo                a guest that loads the module and uses it
#   make fuzz                the fuzzer in a guest per kernel (tools/fuzz)
#   make coverage            the module's line and branch coverage under
#                            the selftests and fault injection

KERNELS ?= 6.1 6.12 debug
BUILD ?= $(CURDIR)/build
KDIR ?= $(shell testing/vm/kernels default-kdir)
export REMOTEVM_CACHE ?= $(HOME)/.cache/remotevm
# The included build.mk files define rules too: the first of them must not
# become what a bare "make" builds.
.DEFAULT_GOAL := all

CC := gcc
# CPPFLAGS, CFLAGS and LDFLAGS come from the environment when a package
# build sets them (dpkg-buildflags: hardening).
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	-I$(CURDIR)/uapi $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)

include userlib/build.mk doc/man/build.mk
-include $(wildcard tools/*/build.mk testing/*/build.mk)

# kselftest_harness.h and the rest of the kselftest framework come from
# Debian's linux-source-6.1, not a copy here: extracted into a kernel-tree
# layout, in which selftests/ is also built as a kselftest collection.
KSFT_TARBALL := /usr/src/linux-source-6.1.tar.xz
KSFT_TREE := $(BUILD)/kselftest-tree
KSFT_DIR := $(KSFT_TREE)/tools/testing/selftests
KSFT_FRAMEWORK := Makefile lib.mk kselftest run_kselftest.sh \
	kselftest_harness.h kselftest.h
# Made once, after the extraction: what a program built with the harness
# depends on (tar keeps the archive's old times on the files themselves).
KSFT_EXTRACTED := $(KSFT_TREE)/.extracted

# Every selftests/*_test.c but the library's is a module test program.
LIB_TESTS := libremotevm_test win32_conformance_test jsdebug_test
MODULE_TESTS := $(filter-out $(LIB_TESTS),$(basename $(notdir $(wildcard selftests/*_test.c))))
SELFTEST_BINS := $(addprefix $(BUILD)/selftests/,$(MODULE_TESTS) abi_ext_v1_test $(LIB_TESTS) \
	libremotevm_compat_test remotevm_target remotevm_target32 \
	threads_target threads_target_stripped threads_target_static \
	threads_target_static_stripped)
EXAMPLE_BINS := $(BUILD)/examples/com_alloc

.PHONY: all module selftests kselftest tools examples deps check demo coverage clean
.PHONY: release install deb
all: module userlib selftests tools examples

# What "make install" installs, and no more: all a package build needs.
release: $(LIB_SO) $(LIB_A) $(CLI_INSTALLED)

install: install-userlib install-tools install-man

# dpkg-buildpackage writes its results next to the source tree: a copy of
# this one (without build outputs) in $(DEB_DIR), which a package build
# cleans at will. The copy's make must not inherit this one's variables.
DEB_DIR := $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/remotevm-$(LIB_VERSION)
	tar -c --exclude-vcs --exclude-vcs-ignores --exclude=./build -f - . | \
		tar -x -C $(DEB_DIR)/remotevm-$(LIB_VERSION)
	cd $(DEB_DIR)/remotevm-$(LIB_VERSION) && \
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc \
		>$(DEB_DIR)/build.log 2>&1 || { tail -n 40 $(DEB_DIR)/build.log; exit 1; }
	ls $(DEB_DIR)/*.deb

# Built from a per-kernel copy: "make -C KDIR M=DIR clean" deletes every
# .ko below DIR, and M= has no separate output dir before 6.13.
module:
	testing/build-module "$(KDIR)" "$(BUILD)"

# What selftests/run_tests.sh runs.
selftests: $(SELFTEST_BINS)
	printf '%s\n' $(notdir $(filter %_test,$(SELFTEST_BINS))) >$(BUILD)/selftests/programs
	printf '%s\n' $(LIB_TESTS) libremotevm_compat_test >$(BUILD)/selftests/library-programs

$(KSFT_EXTRACTED):
	mkdir -p $(KSFT_TREE)
	tar -xJf $(KSFT_TARBALL) -C $(KSFT_TREE) --strip-components=1 \
		linux-source-6.1/scripts/subarch.include \
		$(addprefix linux-source-6.1/tools/testing/selftests/,$(KSFT_FRAMEWORK))
	touch $@

$(BUILD)/selftests/%_test: selftests/%_test.c selftests/rvm.c selftests/rvm.h \
		selftests/proc.c selftests/proc.h selftests/target.c selftests/target.h \
		selftests/fixtures.h uapi/linux/remotevm.h $(KSFT_EXTRACTED)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -isystem $(KSFT_DIR) -o $@ $(filter %.c,$^) -lpthread

# abi_ext_test again as a caller built against a later header: only its own
# file sees that header, the helpers it links are built with the real one.
UAPI_V1_DIR := $(BUILD)/uapi-v1
$(UAPI_V1_DIR)/linux/remotevm.h: uapi/linux/remotevm.h selftests/uapi_v1.awk
	@mkdir -p $(dir $@)
	awk -f selftests/uapi_v1.awk $< >$@.tmp && mv $@.tmp $@

$(BUILD)/selftests/abi_ext_v1_test: selftests/abi_ext_test.c selftests/rvm.c \
		selftests/proc.c selftests/target.c $(UAPI_V1_DIR)/linux/remotevm.h \
		selftests/rvm.h selftests/proc.h selftests/target.h $(KSFT_EXTRACTED)
	@mkdir -p $(dir $@)
	$(CC) -I$(UAPI_V1_DIR) $(USER_CFLAGS) -isystem $(KSFT_DIR) -c -o $@.o $<
	$(CC) $(USER_CFLAGS) -isystem $(KSFT_DIR) -o $@ $@.o $(filter-out $<,$(filter %.c,$^))

# The library's tests run against its ASan/UBSan build, and again, as an
# application built before the library grew, against a later one.
$(BUILD)/selftests/libremotevm_test: $(LIB_ASAN_A)
$(BUILD)/selftests/libremotevm_compat_test: $(LIB_LATER_ASAN_A)
$(BUILD)/selftests/libremotevm_test $(BUILD)/selftests/libremotevm_compat_test: \
		selftests/libremotevm_test.c selftests/target.c selftests/target.h \
		selftests/proc.c selftests/proc.h $(KSFT_EXTRACTED)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(SANITIZE) -I$(CURDIR)/userlib/include \
		-isystem $(KSFT_DIR) -o $@ $(filter %.c %.a,$^) $(LIB_LIBS)

# The COM face against Windows' own results, and on the target's threads:
# library tests too.
$(BUILD)/selftests/win32_conformance_test $(BUILD)/selftests/jsdebug_test: \
$(BUILD)/selftests/%_test: selftests/%_test.c \
		$(LIB_ASAN_A) selftests/target.c selftests/target.h selftests/proc.c \
		selftests/proc.h $(KSFT_EXTRACTED)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(SANITIZE) -I$(CURDIR)/userlib/include \
		-isystem $(KSFT_DIR) -o $@ $(filter %.c %.a,$^) $(LIB_LIBS)

$(BUILD)/selftests/remotevm_target: selftests/remotevm_target.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

# No debuginfo, and copies without symbols either: unwound by their CFI
# alone. Static, glibc is in the program: found by its symbols, if any.
$(BUILD)/selftests/threads_target: selftests/threads_target.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -g0 -o $@ $<

$(BUILD)/selftests/threads_target_static: selftests/threads_target.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -g0 -static -o $@ $<

$(BUILD)/selftests/%_stripped: $(BUILD)/selftests/%
	objcopy --strip-all $< $@

# Static, so that a 32-bit target needs no 32-bit libraries in the guest.
$(BUILD)/selftests/remotevm_target32: selftests/remotevm_target.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -m32 -static -o $@ $<

examples: $(EXAMPLE_BINS)

# Built the way an installed copy is used: only the public headers, -lremotevm.
$(BUILD)/examples/com_alloc: examples/com_alloc.c $(LIB_SO)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -I$(CURDIR)/userlib/include -o $@ $< \
		-L$(LIB_DIR) -Wl,-rpath,$(LIB_DIR) -lremotevm

# selftests/ as the kselftest collection "remotevm", built and installed the
# way a kernel tree does it, with the uapi header where headers_install
# would put it. Its own environment: the kselftest Makefiles have a BUILD of
# their own.
KSFT_INSTALL := $(BUILD)/kselftest-install

kselftest: $(KSFT_EXTRACTED)
	rm -rf $(KSFT_INSTALL)
	rsync -a --delete selftests/ $(KSFT_DIR)/remotevm/
	install -D -m 644 uapi/linux/remotevm.h $(KSFT_TREE)/usr/include/linux/remotevm.h
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD $(MAKE) -s \
		-C $(KSFT_DIR) TARGETS=remotevm \
		install INSTALL_PATH=$(KSFT_INSTALL) >$(KSFT_TREE).log 2>&1 || \
		{ cat $(KSFT_TREE).log; exit 1; }

deps:
	testing/deps

check: userlib selftests tools examples kselftest
	testing/check $(KERNELS)

demo: selftests tools
	testing/demo/run

coverage: userlib selftests tools examples kselftest
	testing/coverage/run

clean:
	rm -rf $(BUILD)
