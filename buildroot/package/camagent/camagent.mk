################################################################################
#
# camagent
#
################################################################################

# Built from the source tree that contains this br2-external tree: Buildroot
# copies it (rsync, without .git) instead of downloading a release. The
# commit of that checkout pins the source, go.sum pins every Go module. To
# build a release tarball instead, see docs/flashing.md ("Pinning a
# release"): set CAMAGENT_SITE and CAMAGENT_SOURCE, drop
# CAMAGENT_SITE_METHOD and add the tarball's hash to camagent.hash.
CAMAGENT_VERSION = 0.1.0
CAMAGENT_SITE = $(BR2_EXTERNAL_CAMAGENT_PATH)/..
CAMAGENT_SITE_METHOD = local
CAMAGENT_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude=/buildroot --exclude=/dist --exclude=/output \
	--exclude=/.cache --exclude='*.test'

CAMAGENT_GOMOD = camagent
CAMAGENT_DEPENDENCIES = host-pkgconf libopenh264

CAMAGENT_BUILD_TARGETS = cmd/camagent
ifeq ($(BR2_PACKAGE_CAMAGENT_CAMCTL),y)
CAMAGENT_BUILD_TARGETS += cmd/camctl
endif

# The commit stamped into "camagent version", from the checkout built.
CAMAGENT_COMMIT = $(shell git -C $(CAMAGENT_SITE) rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

# "dynamic": pion/mediadevices links OpenH264 through pkg-config (here
# Buildroot's libopenh264) instead of the prebuilt archives in the Go
# module, which "go mod vendor" does not copy.
CAMAGENT_TAGS = netgo osusergo dynamic
CAMAGENT_LDFLAGS = \
	-buildid= \
	-X main.version=$(CAMAGENT_VERSION) \
	-X main.commit=$(CAMAGENT_COMMIT)

ifeq ($(BR2_PACKAGE_CAMAGENT_STATIC),y)
CAMAGENT_EXTLDFLAGS = -static
endif

# "turbojpeg": MJPEG frames are decoded with libjpeg-turbo's TurboJPEG API
# (capture/mjpeg_turbojpeg.go, linked with -lturbojpeg) instead of Go's
# image/jpeg. A static camagent links libturbojpeg.a, which jpeg-turbo
# builds when the system has static libraries (Config.in asks for them).
ifeq ($(BR2_PACKAGE_CAMAGENT_TURBOJPEG)$(BR2_PACKAGE_JPEG_TURBO),yy)
CAMAGENT_DEPENDENCIES += jpeg-turbo
CAMAGENT_TAGS += turbojpeg
endif

# libopenh264 installs its headers in <wels/...>; the binding includes
# <openh264/codec_api.h>.
CAMAGENT_GO_ENV = \
	CGO_ENABLED=1 \
	CGO_CFLAGS="$(TARGET_CFLAGS) -I$(@D)/br-include" \
	CGO_CXXFLAGS="$(TARGET_CXXFLAGS) -I$(@D)/br-include"

# Go modules to use for a local build, proxy first. The download step that
# vendors a release tarball does not run for the local site method, so the
# modules are vendored before the build, each checked against go.sum. A
# tree that already has vendor/ (a release tarball, or a checkout after
# "go mod vendor") builds offline.
CAMAGENT_GOPROXY ?= https://proxy.golang.org,direct

define CAMAGENT_PREPARE_SOURCE
	mkdir -p $(@D)/br-include
	ln -sfn $(STAGING_DIR)/usr/include/wels $(@D)/br-include/openh264
	if [ ! -f $(@D)/vendor/modules.txt ]; then \
		cd $(@D) && $(HOST_GO_COMMON_ENV) GOPROXY="$(CAMAGENT_GOPROXY)" \
			$(GO_BIN) mod vendor -modcacherw; \
	fi
endef
CAMAGENT_PRE_BUILD_HOOKS += CAMAGENT_PREPARE_SOURCE

ifeq ($(BR2_PACKAGE_CAMAGENT_DEFAULT_CONFIG),y)
define CAMAGENT_INSTALL_DEFAULT_CONFIG
	$(INSTALL) -D -m 0644 $(CAMAGENT_PKGDIR)/default.yaml \
		$(TARGET_DIR)/etc/camagent/default.yaml
endef
CAMAGENT_POST_INSTALL_TARGET_HOOKS += CAMAGENT_INSTALL_DEFAULT_CONFIG
endif

ifeq ($(BR2_PACKAGE_CAMAGENT_INIT),y)
# The supervisor and the provisioning script live in the board overlay;
# installing them here keeps the package usable without it.
CAMAGENT_LIBEXEC = $(BR2_EXTERNAL_CAMAGENT_PATH)/board/camagent/rootfs-overlay/usr/libexec/camagent

define CAMAGENT_INSTALL_LIBEXEC
	$(INSTALL) -D -m 0755 $(CAMAGENT_LIBEXEC)/provision \
		$(TARGET_DIR)/usr/libexec/camagent/provision
	$(INSTALL) -D -m 0755 $(CAMAGENT_LIBEXEC)/supervise \
		$(TARGET_DIR)/usr/libexec/camagent/supervise
	mkdir -p $(TARGET_DIR)/data $(TARGET_DIR)/boot
endef
CAMAGENT_POST_INSTALL_TARGET_HOOKS += CAMAGENT_INSTALL_LIBEXEC

define CAMAGENT_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(CAMAGENT_PKGDIR)/S95camagent \
		$(TARGET_DIR)/etc/init.d/S95camagent
endef

define CAMAGENT_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(CAMAGENT_PKGDIR)/camagent.service \
		$(TARGET_DIR)/usr/lib/systemd/system/camagent.service
endef
endif

$(eval $(golang-package))
