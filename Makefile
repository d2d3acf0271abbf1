# camagent build. `make build` makes fully static binaries for the three
# board architectures; `make test` runs every test (see scripts/test.sh).

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DIST    ?= dist
ARCHES  ?= amd64 arm64 armv7

GOFLAGS_STATIC = -tags netgo,osusergo,turbojpeg -trimpath -buildvcs=false
LDFLAGS = -s -w -buildid= -X main.version=$(VERSION) -X main.commit=$(COMMIT) -extldflags '-static'

# MJPEG is decoded with libjpeg-turbo (-tags turbojpeg, capture/V4L2.md):
# Debian 12's static libturbojpeg.a for each architecture, pinned and fetched
# once into ~/.cache/camagent/turbojpeg by scripts/turbojpeg.sh, which prints
# the prefix (include/, lib/<triplet>/). The -I goes in CGO_CPPFLAGS so that
# cgo's default CGO_CFLAGS (-O2 -g) stay; CGO_LDFLAGS keeps its defaults too.
TURBOJPEG = ./scripts/turbojpeg.sh
TJ_FLAGS = CGO_CPPFLAGS="-I$$tj/include" CGO_LDFLAGS="-O2 -g -L$$tj/lib/$(1)"

.PHONY: build test clean deps turbojpeg $(addprefix build-,$(ARCHES))

build: $(addprefix build-,$(ARCHES))

# Fills the cache for every architecture in one go (one read of Debian's
# package lists); nothing when it is warm.
turbojpeg:
	$(TURBOJPEG) $(ARCHES) >/dev/null

build-amd64: turbojpeg
	tj=$$($(TURBOJPEG) amd64) && \
	CGO_ENABLED=1 GOOS=linux GOARCH=amd64 CC=gcc CXX=g++ $(call TJ_FLAGS,x86_64-linux-gnu) \
	  go build $(GOFLAGS_STATIC) -ldflags "$(LDFLAGS)" -o $(DIST)/camagent-linux-amd64 ./cmd/camagent

build-arm64: turbojpeg
	tj=$$($(TURBOJPEG) arm64) && \
	CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ $(call TJ_FLAGS,aarch64-linux-gnu) \
	  go build $(GOFLAGS_STATIC) -ldflags "$(LDFLAGS)" -o $(DIST)/camagent-linux-arm64 ./cmd/camagent

build-armv7: turbojpeg
	tj=$$($(TURBOJPEG) armv7) && \
	CGO_ENABLED=1 GOOS=linux GOARCH=arm GOARM=7 CC=arm-linux-gnueabihf-gcc CXX=arm-linux-gnueabihf-g++ $(call TJ_FLAGS,arm-linux-gnueabihf) \
	  go build $(GOFLAGS_STATIC) -ldflags "$(LDFLAGS)" -o $(DIST)/camagent-linux-armv7 ./cmd/camagent

deps:
	./scripts/install-deps.sh

test:
	./scripts/test.sh

clean:
	rm -rf $(DIST)

# Virtual-hardware bench (test/vm/README.md): boots real amd64 and arm64
# kernels under qemu with vivid, vicodec, gpio-sim and gpio-mockup, runs the
# smoke test in each and checks host->guest port forwarding. Prints the wall
# time per architecture; the first run fetches and builds into ~/.cache.
.PHONY: vmtest
vmtest:
	./test/vm/smoke.sh amd64 arm64
	./test/vm/netcheck.sh amd64 arm64
