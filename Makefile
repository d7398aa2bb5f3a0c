# Pont: the two commands are `make run` and `make test`.
#
# Both first install the Debian packages they need when they are missing (apt-get, as root or
# through sudo):
#   build:  pkg-config libopus-dev nasm (libopus for the Opus codec, nasm for openh264's assembly)
#   tests:  sip-tester (sipp, the interop caller), tshark, sox, espeak-ng, and postgresql
#           (scripts/test-postgres.sh starts a local server so the store tests run on PostgreSQL
#           as well as SQLite)
# then build with cargo (the Rust toolchain itself is expected: rustup's stable).

BUILD_PKGS := pkg-config libopus-dev nasm
TEST_PKGS  := sip-tester tshark sox espeak-ng baresip linphone-cli
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CARGO ?= cargo
# A hung test must fail the run with its output, not eat CI's whole 90 minutes in silence.
TIMEOUT := timeout -k 60 50m

.PHONY: run test deps test-deps build check fmt clippy bench fuzz clean

run: deps
	$(CARGO) run --release -- serve

test: deps test-deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	url="$$(scripts/test-postgres.sh)" && PONT_TEST_POSTGRES="$$url" $(TIMEOUT) $(CARGO) test --workspace

build: deps
	$(CARGO) build --release

bench: deps
	$(CARGO) bench -p media

# Install only what is missing, so a machine that has everything runs no apt at all.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call apt_install,$(BUILD_PKGS))

test-deps:
	$(call apt_install,$(TEST_PKGS))

clean:
	$(CARGO) clean
