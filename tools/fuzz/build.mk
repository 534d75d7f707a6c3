# remotevm-fuzz: hostile operations and a hostile target, with oracles
# (make fuzz; a fixed-seed slice runs in make check as fuzz_test.sh). It
# shares the selftests' /proc reader.
FUZZ_BIN := $(BUILD)/tools/remotevm-fuzz
FUZZ_SRCS := $(wildcard tools/fuzz/*.c) selftests/proc.c

$(FUZZ_BIN): $(FUZZ_SRCS) $(wildcard tools/fuzz/*.h) selftests/proc.h uapi/linux/remotevm.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -iquote $(CURDIR)/selftests -o $@ $(FUZZ_SRCS) -lpthread

tools: $(FUZZ_BIN)

.PHONY: fuzz
fuzz: $(FUZZ_BIN) module
	BUILD=$(BUILD) tools/fuzz/run
