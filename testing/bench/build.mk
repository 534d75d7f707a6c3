# remotevm-bench: the cost of remote memory operations against their local
# counterparts and ptrace injection, measured in qemu guests (make bench).
# It links the static libremotevm for remotevm__read(), and shares the
# selftests' /proc reader.
BENCH_BIN := $(BUILD)/bench/remotevm-bench
BENCH_SRCS := $(wildcard testing/bench/*.c)
BENCH_OBJS := $(BENCH_SRCS:testing/bench/%.c=$(BUILD)/bench/obj/%.o) \
	$(BUILD)/bench/obj/proc.o
tools: $(BENCH_BIN)

.PHONY: bench

$(BUILD)/bench/obj/%.o: testing/bench/%.c testing/bench/bench.h selftests/proc.h \
		uapi/linux/remotevm.h userlib/include/remotevm/remotevm.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -I$(CURDIR)/userlib/include -iquote $(CURDIR)/selftests \
		-c -o $@ $<

$(BUILD)/bench/obj/proc.o: selftests/proc.c selftests/proc.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -c -o $@ $<

$(BENCH_BIN): $(BENCH_OBJS) $(LIB_A)
	$(CC) $(USER_CFLAGS) -o $@ $^

bench: $(BENCH_BIN)
	BUILD=$(BUILD) testing/bench/run
