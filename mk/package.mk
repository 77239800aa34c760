# SPDX-License-Identifier: GPL-2.0
# Debian packages and the native-host tests (docs/install.md).
#
#   make package        dpkg-buildpackage -us -uc + lintian, results in $(B)/package/:
#                       on arm64 both packages; on x86_64 the source package and
#                       kvm-s2stat-dkms (arch all); 30 s to 1.5 min, not part of `make check`
#   make package-check  one version in the module, the CLI, dkms.conf and debian/changelog
#   make package-units  systemd-analyze verify of debian's kvm-s2stat-prometheus units (run
#                       by `make package`; ExecStart pointed at $(B)/host/kvm-s2stat)
#   make check-native   the native path on an emulated Debian arm64 host (image cached in
#                       $(B)/cache/native-bookworm): `make && make install && modprobe`,
#                       `make dkms-install`, dpkg-buildpackage of both packages on arm64,
#                       lintian of the arm64 .deb here, apt install of the .debs; each followed
#                       by the standard VM check (16 vfio pages).  NATIVE_KERNELS (default
#                       "6.12 6.1"), NATIVE_TESTS (globs of tests/native/NN-*.sh)
#   make native-image   just build (or reuse) the image
#   make native-shell   boot the image (NATIVE_KERNELS' first line), a root shell on the console
#   make lint-package   shellcheck the packaging and native-test scripts

.PHONY: package package-check package-units check-native native-image native-shell lint-package

NATIVE_KERNELS ?= 6.12 6.1
NATIVE_TESTS ?=
export NATIVE_KERNELS NATIVE_TESTS

package-check:
	@$(TOP)/scripts/package.sh check

package: package-units
	@$(TOP)/scripts/package.sh build
	@$(TOP)/scripts/package.sh lintian

PKG_UNITS := $(B)/package/units
package-units: $(B)/host/kvm-s2stat
	@command -v systemd-analyze >/dev/null || { echo "package-units: systemd-analyze missing: apt-get install systemd" >&2; exit 1; }
	@rm -rf $(PKG_UNITS) && mkdir -p $(PKG_UNITS)
	@for u in service timer; do \
	  sed 's|/usr/sbin/kvm-s2stat|$(B)/host/kvm-s2stat|' \
	    $(TOP)/debian/kvm-s2stat.kvm-s2stat-prometheus.$$u > $(PKG_UNITS)/kvm-s2stat-prometheus.$$u; done
	systemd-analyze verify --man=no $(PKG_UNITS)/kvm-s2stat-prometheus.service \
	  $(PKG_UNITS)/kvm-s2stat-prometheus.timer

native-image:
	@$(TOP)/scripts/native-image.sh bookworm

check-native: vmm
	@$(TOP)/scripts/native-test.sh

native-shell: vmm
	@NATIVE_SHELL=1 $(TOP)/scripts/native-test.sh

lint-package:
	shellcheck -x $(TOP)/scripts/package.sh $(TOP)/scripts/native-image.sh $(TOP)/scripts/native-test.sh
	shellcheck -s bash -e SC1091 $(TOP)/tests/native/init $(TOP)/tests/native/*.sh
	shellcheck -s sh $(TOP)/tests/native/image-setup
