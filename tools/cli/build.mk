# The remotevm command-line tool, linked with the static libremotevm so that
# it runs anywhere (in the guests too) without LD_LIBRARY_PATH, and its
# ASan/UBSan build, which the selftests run. The copy "make install"
# installs is linked with the shared library, as a distribution's is.
CLI_CFLAGS := $(USER_CFLAGS) -I$(CURDIR)/userlib/include
CLI_INSTALLED := $(BUILD)/tools/installed/remotevm

$(BUILD)/tools/remotevm: tools/cli/remotevm.c $(LIB_HDRS) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) -o $@ $< $(LIB_A)

$(BUILD)/tools/remotevm-asan: tools/cli/remotevm.c $(LIB_HDRS) $(LIB_ASAN_A)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) $(SANITIZE) -o $@ $< $(LIB_ASAN_A)

$(CLI_INSTALLED): tools/cli/remotevm.c $(LIB_HDRS) $(LIB_SO)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) $(LDFLAGS) -o $@ $< -L$(LIB_DIR) -lremotevm

tools: $(BUILD)/tools/remotevm $(BUILD)/tools/remotevm-asan

# gdb loads every module of its data directory's gdb/command at start-up:
# with PREFIX=/usr, the remotevm-* commands need no "source".
BINDIR ?= $(PREFIX)/bin
GDB_COMMANDDIR ?= $(PREFIX)/share/gdb/python/gdb/command

install-tools: $(CLI_INSTALLED)
	install -D -m 755 $(CLI_INSTALLED) $(DESTDIR)$(BINDIR)/remotevm
	install -D -m 644 tools/gdb/remotevm.py $(DESTDIR)$(GDB_COMMANDDIR)/remotevm.py

.PHONY: tools install-tools
