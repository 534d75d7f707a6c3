# remotevm-fuzz: hostile operations and a hostile target, with oracles
# (make fuzz; a fixed-seed slice runs in make check as fuzz_test.sh). It
# shares the selftests' /proc reader.
FUZZ_BIN := $(BUILD)/tools/remotevm-fuzz
FUZZ_SRCS := $(wildcard tools/fuzz/*.c) selftests/proc.c

$(FUZZ_BIN): $(FUZZ_SRCS) $(wildcard tools/fuzz/*.h) selftests/proc.h uapi/linux/remotevm.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -iquote $(CURDIR)/selftests -o $@ $(FUZZ_SRCS) -lpthread

# The same program for 32-bit x86, static as remotevm_target32: the tool
# runs it as every fourth target or so.
$(FUZZ_BIN)32: $(FUZZ_SRCS) $(wildcard tools/fuzz/*.h) selftests/proc.h uapi/linux/remotevm.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -m32 -static -iquote $(CURDIR)/selftests -o $@ $(FUZZ_SRCS) -lpthread

tools: $(FUZZ_BIN) $(FUZZ_BIN)32

.PHONY: fuzz
fuzz: $(FUZZ_BIN) $(FUZZ_BIN)32 module
	BUILD=$(BUILD) tools/fuzz/run
