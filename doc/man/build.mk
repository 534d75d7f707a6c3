# The manual pages: remotevm(1), libremotevm(3) and
# RemoteVmCreateDataTarget(3) with a ".so" page for each of their other
# functions, and remotevm(4). The ".so" pages are installed as they are:
# man-db and mandoc resolve them against the manual's top directory, so
# they stay small and need no symlinks that packaging could break.
# testing/man-check lints them and checks remotevm(1) against the tool.
MANDIR ?= $(PREFIX)/share/man
MAN_SRC := $(CURDIR)/doc/man

install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man4
	install -m 644 $(MAN_SRC)/remotevm.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN_SRC)/remotevm.4 $(DESTDIR)$(MANDIR)/man4/
	install -m 644 $(wildcard $(MAN_SRC)/*.3) $(DESTDIR)$(MANDIR)/man3/

.PHONY: install-man
