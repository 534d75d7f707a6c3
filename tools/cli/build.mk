# The remotevm command-line tool, linked with the static libremotevm so that
# it runs anywhere (in the guests too) without LD_LIBRARY_PATH, and its
# ASan/UBSan build, which the selftests run.
CLI_CFLAGS := $(USER_CFLAGS) -I$(CURDIR)/userlib/include

$(BUILD)/tools/remotevm: tools/cli/remotevm.c $(LIB_HDRS) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) -o $@ $< $(LIB_A)

$(BUILD)/tools/remotevm-asan: tools/cli/remotevm.c $(LIB_HDRS) $(LIB_ASAN_A)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) $(SANITIZE) -o $@ $< $(LIB_ASAN_A)

tools: $(BUILD)/tools/remotevm $(BUILD)/tools/remotevm-asan
