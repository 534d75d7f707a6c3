# libremotevm: shared (versioned, only the public API exported) and static,
# plus an ASan/UBSan build of the same sources for the tests.
LIB_VERSION := $(shell cat module/VERSION)
LIB_SRCS := userlib/remotevm.c userlib/jsdebug.c userlib/native.c
LIB_HDRS := userlib/include/remotevm/remotevm.h userlib/include/remotevm/common.h \
	userlib/include/remotevm/jscript9diag.h uapi/linux/remotevm.h userlib/native.h
# libthread_db, loaded by GetTlsValue (native.c), calls back the ps_*()
# functions: a program linked with the static library must export them
# (remotevm.pc's Libs.private says the same).
LIB_LIBS := -Wl,--export-dynamic-symbol='ps_*'
LIB_CFLAGS := $(USER_CFLAGS) -I$(CURDIR)/userlib/include -fvisibility=hidden
LIB_DIR := $(BUILD)/userlib
LIB_SO := $(LIB_DIR)/libremotevm.so
LIB_A := $(LIB_DIR)/libremotevm.a
LIB_ASAN_A := $(LIB_DIR)/asan/libremotevm.a
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

$(LIB_DIR)/%.pic.o: userlib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -fPIC -c -o $@ $<

$(LIB_DIR)/%.o: userlib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIB_DIR)/asan/%.o: userlib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) $(SANITIZE) -c -o $@ $<

$(LIB_SO): $(LIB_SRCS:userlib/%.c=$(LIB_DIR)/%.pic.o) userlib/libremotevm.map
	$(CC) -shared -Wl,-soname,libremotevm.so.1 \
		-Wl,--version-script=userlib/libremotevm.map $(LDFLAGS) \
		-o $@.$(LIB_VERSION) $(filter %.o,$^)
	ln -sf libremotevm.so.$(LIB_VERSION) $@.1
	ln -sf libremotevm.so.1 $@

$(LIB_A): $(LIB_SRCS:userlib/%.c=$(LIB_DIR)/%.o)
	$(AR) rcs $@ $^

$(LIB_ASAN_A): $(LIB_SRCS:userlib/%.c=$(LIB_DIR)/asan/%.o)
	$(AR) rcs $@ $^

# The same ASan/UBSan library built against a later uapi, in which struct
# remotevm_region and struct remotevm_op have each grown a field: the
# library's tests, built against today's headers, run against it as an
# older application would against a newer libremotevm.so.1.
LIB_LATER_DIR := $(LIB_DIR)/later
LIB_LATER_ASAN_A := $(LIB_LATER_DIR)/libremotevm.a

$(LIB_LATER_DIR)/linux/remotevm.h: uapi/linux/remotevm.h
	@mkdir -p $(dir $@)
	awk '/^struct remotevm_(region|op) \{/ { grow = 1 } \
		grow && /^\};/ { print "\t__u64 later;"; grow = 0; grown++ } \
		{ print } END { exit grown != 2 }' $< >$@.tmp
	mv $@.tmp $@

$(LIB_LATER_DIR)/%.o: userlib/%.c $(LIB_HDRS) $(LIB_LATER_DIR)/linux/remotevm.h
	$(CC) -I$(LIB_LATER_DIR) $(LIB_CFLAGS) $(SANITIZE) -c -o $@ $<

$(LIB_LATER_ASAN_A): $(LIB_SRCS:userlib/%.c=$(LIB_LATER_DIR)/%.o)
	$(AR) rcs $@ $^

userlib: $(LIB_SO) $(LIB_A) $(LIB_ASAN_A) $(LIB_LATER_ASAN_A)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

install-userlib: $(LIB_SO) $(LIB_A)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/remotevm $(DESTDIR)$(INCLUDEDIR)/linux
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO).$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libremotevm.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/libremotevm.so.1
	ln -sf libremotevm.so.1 $(DESTDIR)$(LIBDIR)/libremotevm.so
	install -m 644 userlib/include/remotevm/*.h $(DESTDIR)$(INCLUDEDIR)/remotevm/
	install -m 644 uapi/linux/remotevm.h $(DESTDIR)$(INCLUDEDIR)/linux/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(LIB_VERSION)|' \
		userlib/remotevm.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/remotevm.pc

.PHONY: userlib install-userlib
