# SPDX-License-Identifier: GPL-2.0
# Installing on an arm64 host (docs/install.md).
#
#   make                    the module for KDIR and the CLI ($(B)/host/kvm-s2stat) with $(CC)
#   sudo make install       install-module + install-cli
#   sudo make uninstall     uninstall-module + uninstall-cli
#   install-module          $(DESTDIR)/lib/modules/<release>/extra/kvm_s2stat.ko, then depmod
#                           (skipped with DESTDIR); signed first when SIGN_KEY and SIGN_CERT
#                           name a key pair enrolled for Secure Boot (e.g. a MOK)
#   install-cli             $(DESTDIR)$(SBINDIR)/kvm-s2stat, $(DESTDIR)$(MANDIR)/man8/kvm-s2stat.8
#   dkms-source             the module sources and dkms.conf in $(DESTDIR)/usr/src/kvm-s2stat-<version>
#   sudo make dkms-install  dkms-source, then dkms add + install for every kernel that has
#                           headers (/lib/modules/*/build)
#   sudo make dkms-uninstall  dkms remove --all, and the /usr/src copy
# Knobs: KDIR (default /lib/modules/$(uname -r)/build; the release is read from it),
# PREFIX (/usr/local), SBINDIR ($(PREFIX)/sbin), MANDIR ($(PREFIX)/share/man), DESTDIR,
# INSTALL_MOD_DIR (extra), SIGN_KEY/SIGN_CERT/SIGN_HASH (sha256).

.PHONY: install uninstall install-module uninstall-module install-cli uninstall-cli \
	dkms-source dkms-install dkms-uninstall

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=
INSTALL ?= install
DEPMOD ?= depmod
INSTALL_MOD_DIR ?= extra
SIGN_HASH ?= sha256

# One version for the module, the CLI, dkms.conf and debian/changelog (checked by
# `make package-check`).
S2_VERSION := $(shell sed -n 's/^\#define S2STAT_VERSION[[:space:]]*"\(.*\)"/\1/p' $(TOP)/module/s2stat.h)
# The kernel release the module is built for: the one of KDIR, not necessarily the running
# one.  UTS_RELEASE is what the module's vermagic gets (Debian's 6.1 headers have the
# upstream version, 6.1.192, in include/config/kernel.release, not 6.1.0-56-arm64).
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDIR = /lib/modules/$(KREL)/$(INSTALL_MOD_DIR)
NATIVE_KO := $(TOP)/kvm_s2stat.ko
DKMS_SRC = $(DESTDIR)/usr/src/kvm-s2stat-$(S2_VERSION)

install: install-module install-cli
uninstall: uninstall-module uninstall-cli

install-module:
	@[ "$(HOST_ARCH)" = aarch64 ] || [ -n "$(filter command line environment,$(origin KDIR))" ] || { \
	  echo "install-module: this is $(HOST_ARCH); the module is for arm64 kernels (make install on an arm64 host, or set KDIR=)" >&2; exit 1; }
	@[ -n "$(KREL)" ] || { echo "install-module: no kernel headers at KDIR=$(KDIR) (install linux-headers-$$(uname -r))" >&2; exit 1; }
	@[ -f $(NATIVE_KO) ] || { echo "install-module: $(NATIVE_KO) not built: run 'make' first (as your user)" >&2; exit 1; }
	@magic=$$(modinfo -F vermagic $(NATIVE_KO) | cut -d' ' -f1); [ "$$magic" = "$(KREL)" ] || { \
	  echo "install-module: $(NATIVE_KO) is for '$$magic', KDIR is $(KREL): run 'make' again" >&2; exit 1; }
	$(INSTALL) -d $(DESTDIR)$(MODDIR)
	$(INSTALL) -m 0644 $(NATIVE_KO) $(DESTDIR)$(MODDIR)/kvm_s2stat.ko
	@if [ -n "$(SIGN_KEY)$(SIGN_CERT)" ]; then \
	  echo "  SIGN $(DESTDIR)$(MODDIR)/kvm_s2stat.ko ($(SIGN_CERT))"; \
	  $(KDIR)/scripts/sign-file $(SIGN_HASH) $(SIGN_KEY) $(SIGN_CERT) $(DESTDIR)$(MODDIR)/kvm_s2stat.ko || exit 1; \
	fi
	@if [ -z "$(DESTDIR)" ]; then echo "  DEPMOD $(KREL)"; $(DEPMOD) -a $(KREL); \
	  else echo "  (DESTDIR set: depmod $(KREL) not run)"; fi
	@if [ -z "$(DESTDIR)" ] && ls /lib/modules/$(KREL)/updates/dkms/kvm_s2stat.ko* >/dev/null 2>&1; then \
	  echo "install-module: note: a DKMS build is installed too (updates/dkms/), and modprobe prefers it: 'make dkms-uninstall' or 'apt remove kvm-s2stat-dkms'" >&2; fi
	@echo "installed $(DESTDIR)$(MODDIR)/kvm_s2stat.ko: 'modprobe kvm_s2stat' loads it"

uninstall-module:
	rm -f $(addprefix $(DESTDIR)$(MODDIR)/kvm_s2stat.ko,'' .xz .zst .gz)
	@if [ -z "$(DESTDIR)" ] && [ -n "$(KREL)" ] && [ -d /lib/modules/$(KREL) ]; then \
	  echo "  DEPMOD $(KREL)"; $(DEPMOD) -a $(KREL); fi
	@[ ! -d /sys/module/kvm_s2stat ] || echo "uninstall-module: kvm_s2stat is still loaded: 'rmmod kvm_s2stat' to unload it" >&2

install-cli: $(B)/host/kvm-s2stat
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0755 $(B)/host/kvm-s2stat $(DESTDIR)$(SBINDIR)/kvm-s2stat
	$(INSTALL) -m 0644 $(TOP)/userspace/kvm-s2stat.8 $(DESTDIR)$(MANDIR)/man8/kvm-s2stat.8

uninstall-cli:
	rm -f $(DESTDIR)$(SBINDIR)/kvm-s2stat $(DESTDIR)$(MANDIR)/man8/kvm-s2stat.8

# The module sources as DKMS wants them: dkms.conf, Kbuild, module/, include/ (the shared
# headers the module uses; the CLI is not needed to build the module).
dkms-source:
	$(INSTALL) -d $(DKMS_SRC)/module $(DKMS_SRC)/include/kvm_s2stat
	$(INSTALL) -m 0644 $(TOP)/dkms.conf $(TOP)/Kbuild $(DKMS_SRC)/
	$(INSTALL) -m 0644 $(wildcard $(TOP)/module/*.[ch]) $(DKMS_SRC)/module/
	$(INSTALL) -m 0644 $(wildcard $(TOP)/include/kvm_s2stat/*.h) $(DKMS_SRC)/include/kvm_s2stat/

dkms-install: dkms-source
	@command -v dkms >/dev/null || { echo "dkms-install: dkms missing: apt-get install dkms" >&2; exit 1; }
	@[ -d /var/lib/dkms/kvm-s2stat/$(S2_VERSION) ] || dkms add kvm-s2stat/$(S2_VERSION)
	@set -e; n=0; for k in $$(ls /lib/modules); do \
	  [ -e /lib/modules/$$k/build ] || continue; \
	  dkms install kvm-s2stat/$(S2_VERSION) -k $$k; n=$$((n + 1)); \
	done; [ $$n -gt 0 ] || { echo "dkms-install: no kernel headers installed (linux-headers-$$(uname -r))" >&2; exit 1; }
	dkms status kvm-s2stat

dkms-uninstall:
	@if [ -d /var/lib/dkms/kvm-s2stat/$(S2_VERSION) ]; then \
	  echo "dkms remove kvm-s2stat/$(S2_VERSION) --all"; dkms remove kvm-s2stat/$(S2_VERSION) --all; fi
	rm -rf $(DKMS_SRC)
