# vigia: the single entry point. Each target delegates to the part that owns it.
#
#   make test     install what is missing, then run every test suite
#   make run      install what is missing, build everything, run the daemon
#   make          build the modules, the daemon and the workload binaries
#   make images   build the three workload images
#   make soak     run the whole system for DURATION (3m) and report (build/soak/)
#   make clean    remove build output

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all deps deps-run build modules daemon images test run install clean help soak

all: build

help:
	@sed -n '3,8p' Makefile | sed 's/^# //'

deps:
	bash/install-deps.sh

# The daemon alone needs no kernel images for VMs: only the test lanes boot them.
deps-run:
	bash/install-deps.sh --no-kernels

build: modules daemon

modules:
	$(MAKE) -C modulo-kernel

daemon:
	$(MAKE) -C go-daemon

images:
	bash/build-images.sh

# SUITES= limits the run to some suites: make test SUITES="config go-unit".
test: deps
	bash/test.sh $(SUITES)

# The soak run: the daemon, the generator and the invariant checks for
# DURATION (DURATION=1h for a long run); SOAK_FLAGS sets flags of vigia soak
# (by default a core-burning "low" container and caps on, as in CI).
DURATION ?= 3m
SOAK_FLAGS ?= --offender --set VIGIA_CAPS=true
soak: daemon images
	go-daemon/bin/vigia soak --duration $(DURATION) --report build/soak/report.html $(SOAK_FLAGS)

# The modules are built by bash/load-modules.sh, which the daemon runs at
# start-up for the running kernel, so a host without headers still gets a
# clear message (or the userspace sensor, where VIGIA_SENSOR_FALLBACK allows).
run: deps-run daemon images
	go-daemon/bin/vigia run

install: build
	$(MAKE) -C modulo-kernel install
	$(MAKE) -C go-daemon install
	install -D -m 0644 -b --suffix=.orig vigia.conf /etc/vigia/vigia.conf.dist
	test -e /etc/vigia/vigia.conf || install -m 0644 vigia.conf /etc/vigia/vigia.conf

clean:
	$(MAKE) -C modulo-kernel clean
	$(MAKE) -C go-daemon clean
	rm -rf build
