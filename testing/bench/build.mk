# remotevm-bench: the cost of remote allocations against local mmap and
# ptrace injection, measured in qemu guests (make bench).
BENCH_BIN := $(BUILD)/bench/remotevm-bench
tools: $(BENCH_BIN)

.PHONY: bench

$(BENCH_BIN): testing/bench/remotevm-bench.c uapi/linux/remotevm.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

bench: $(BENCH_BIN)
	BUILD=$(BUILD) testing/bench/run
