# camagent build. `make build` makes fully static binaries for the three
# board architectures; `make test` runs every test (see scripts/test.sh).

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DIST    ?= dist
ARCHES  ?= amd64 arm64 armv7

GOFLAGS_STATIC = -tags netgo,osusergo -trimpath -buildvcs=false
LDFLAGS = -s -w -buildid= -X main.version=$(VERSION) -X main.commit=$(COMMIT) -extldflags '-static'

.PHONY: build test clean deps $(addprefix build-,$(ARCHES))

build: $(addprefix build-,$(ARCHES))

build-amd64:
	CGO_ENABLED=1 GOOS=linux GOARCH=amd64 CC=gcc CXX=g++ \
	  go build $(GOFLAGS_STATIC) -ldflags "$(LDFLAGS)" -o $(DIST)/camagent-linux-amd64 ./cmd/camagent

build-arm64:
	CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ \
	  go build $(GOFLAGS_STATIC) -ldflags "$(LDFLAGS)" -o $(DIST)/camagent-linux-arm64 ./cmd/camagent

build-armv7:
	CGO_ENABLED=1 GOOS=linux GOARCH=arm GOARM=7 CC=arm-linux-gnueabihf-gcc CXX=arm-linux-gnueabihf-g++ \
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
