# Pont: the two commands are `make run` and `make test`.
#
# Both first install the Debian packages they need when they are missing (apt-get, as root or
# through sudo):
#   build:  pkg-config libopus-dev nasm g++ (libopus for the Opus codec; OpenH264 is built from
#           source: g++ for its C++, nasm for its assembly)
#   tests:  sip-tester (sipp, the interop caller), tshark, sox, espeak-ng, baresip and
#           linphone-cli (interop clients), and postgresql (scripts/test-postgres.sh starts a
#           local server so the store tests run on PostgreSQL as well as SQLite);
#           python3-aiosmtpd (a real SMTP server on loopback for the mail/outbox tests),
#           python3-icalendar (parses the .ics invitations in the calendar test),
#           chromium (the browser test's headless browser, /usr/bin/chromium), and nodejs + npm
#           only when `node`/`npm` are not on the PATH already (a machine may have them from
#           elsewhere, and Debian's npm would conflict with such a nodejs).
#           Then `npm ci` in tests/browser fetches playwright-core, the library that drives
#           Debian's chromium (never `playwright install`: it downloads browsers of its own).
#           The browser test (tests/browser_booking.rs) fails when node, chromium or
#           playwright-core are missing; PONT_SKIP_BROWSER=1 makes it skip instead.
# then build with cargo (the Rust toolchain itself is expected: rustup's stable).

BUILD_PKGS := pkg-config libopus-dev nasm g++
# ffmpeg: the other G.722 implementation media/tests/g722_ffmpeg.rs checks ours against
# (PONT_SKIP_FFMPEG=1 skips that test where ffmpeg cannot be installed).
TEST_PKGS  := sip-tester tshark sox espeak-ng baresip linphone-cli \
              python3-aiosmtpd python3-icalendar chromium ffmpeg
# Node.js for the browser test's Playwright script, from Debian only when none is installed.
NODE_PKGS  := $(if $(shell command -v node),,nodejs) $(if $(shell command -v npm),,npm)
BROWSER_DIR := tests/browser
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CARGO ?= cargo
# A hung test must fail the run with its output, not eat CI's whole 90 minutes in silence.
TIMEOUT := timeout -k 60 50m

.PHONY: run test deps test-deps browser-deps build check fmt clippy bench fuzz clean

run: deps
	$(CARGO) run --release -- serve

test: deps test-deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	url="$$(scripts/test-postgres.sh)" && PONT_TEST_POSTGRES="$$url" $(TIMEOUT) $(CARGO) test --workspace --no-fail-fast

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
	$(call apt_install,$(TEST_PKGS) $(NODE_PKGS))
	@$(MAKE) --no-print-directory browser-deps

# playwright-core from the committed lock file, when node_modules is missing or older than the
# lock (npm keeps its own copy of the lock in node_modules/.package-lock.json); `npm install`
# would rewrite the lock, so it is the fallback only when there is none. Browsers are never
# downloaded (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD): the test uses Debian's /usr/bin/chromium.
browser-deps:
	@installed=$(BROWSER_DIR)/node_modules/.package-lock.json; \
	if [ ! -f $$installed ] || [ $(BROWSER_DIR)/package-lock.json -nt $$installed ]; then \
	  echo "installing npm packages in $(BROWSER_DIR)"; \
	  cd $(BROWSER_DIR) && export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 && \
	  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; \
	  else npm install --no-audit --no-fund; fi; \
	fi

clean:
	$(CARGO) clean
