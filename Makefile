# Sessionscope: `make run` builds and starts the app, `make test` runs every test.
# Both install what is missing first (scripts/install-deps.sh), so a fresh Debian 12
# machine needs nothing else.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/sessionscope/target
export CARGO_TERM_COLOR ?= never
APP := $(CARGO_TARGET_DIR)/debug/sessionscope-app
CLI := $(CARGO_TARGET_DIR)/debug/sessionscope

.PHONY: all deps ui build run test lint cross cross-core cross-ci test-rust test-wine wine-core test-ui e2e agents release-check bench fuzz package icons bindings clean

all: build

deps:
	@bash scripts/install-deps.sh

ui: deps
	cd ui && npm run --silent build

build: ui
	cargo build -p sessionscope-app -p sessionscope-cli

# Opens the window on your display; on a machine without one, under a virtual one.
run: build
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
	  "$(APP)"; \
	else \
	  echo "No display: starting Sessionscope under xvfb-run (screenshots: import -window root)"; \
	  xvfb-run -a -s "-screen 0 1400x900x24" "$(APP)"; \
	fi

test: build lint test-rust test-ui e2e agents release-check cross-ci

lint: deps
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cd ui && npx prettier --check . && npx svelte-check --tsconfig ./tsconfig.json --fail-on-warnings

test-rust: deps
	cargo test --workspace

# Core, CLI and app checked with clippy for Windows and both macOS architectures
# (Debian's Rust with -Zbuild-std; target dir $(CROSS_TARGET_DIR)).
export CROSS_TARGET_DIR ?= $(HOME)/.cache/sessionscope/cross
cross: ui
	@bash scripts/cross.sh

# The part of it make test runs: core and CLI for Windows and Apple silicon. The app's
# cold check (hundreds of crates per target, three targets) costs more than make test's
# budget on 2 cores; make cross checks everything.
cross-core: deps
	@CROSS_TARGETS="x86_64-pc-windows-gnu aarch64-apple-darwin" \
	  CROSS_PACKAGES="-p sessionscope-core -p sessionscope-cli" bash scripts/cross.sh

# What make test checks of make cross: all of it once this machine's cross target dir
# is warm, one cold check more per run until then (scripts/cross-ci.sh says which).
cross-ci: ui
	@bash scripts/cross-ci.sh

# Core and CLI tests for Windows, run under Wine.
test-wine: deps
	@bash scripts/wine-test.sh

# The part of it meant for make test: what Windows users depend on that Linux cannot
# show (job objects, the run host, paths, file identity, the watcher, run/runs/kill),
# without the pure parser property tests; see scripts/wine-test.sh. make test runs it
# through cross-ci once the machine's cross target dir is warm (scripts/cross-ci.sh).
wine-core: deps
	@WINE_TESTS=core bash scripts/wine-test.sh

test-ui: deps
	cd ui && npx vitest run

e2e: build
	SESSIONSCOPE_APP="$(APP)" node --test --test-concurrency=1 --test-timeout=300000 tests/e2e/

# The real agents (tests/agents, pinned) against the stand-in model server: what
# `sessionscope ps` shows at every checkpoint of every scenario.
agents: build
	SESSIONSCOPE_CLI="$(CLI)" python3 tests/agents/suite.py

bench: build
	@bash tests/bench/run.sh

# Every fuzz target for FUZZ_SECONDS (default 60) each; see scripts/fuzz.sh.
fuzz: deps
	@bash scripts/fuzz.sh

# A .deb and an .rpm (release build) in $(CARGO_TARGET_DIR)/release/bundle/.
package: ui
	@bash scripts/package.sh

# The release check: bundles the debug binaries `make build` has made (stripped, in
# $(PACKAGE_DIR); nothing is compiled, ~15 s), installs the .deb into a throwaway root,
# starts the installed app from its desktop entry and quits it through its menu, runs
# the installed CLI, uninstalls it, and checks the .rpm's contents.
export PACKAGE_DIR ?= $(HOME)/.cache/sessionscope/bundle
release-check: build
	@paths=$$(bash scripts/package.sh --debug) && \
	  SESSIONSCOPE_DEB=$$(echo "$$paths" | sed -n 1p) SESSIONSCOPE_RPM=$$(echo "$$paths" | sed -n 2p) \
	  node --test --test-concurrency=1 --test-timeout=300000 tests/release/

# Regenerate every icon size from the one source SVG.
icons: deps
	cd ui && npx tauri icon ../icons/icon.svg -o ../icons && rm -rf ../icons/android ../icons/ios
	for s in 16 24 48 256 512; do /usr/bin/convert icons/icon.png -filter Lanczos -resize $${s}x$${s} -depth 8 PNG32:icons/$${s}x$${s}.png; done
	/usr/bin/convert -background none -resize 64x64 icons/tray-waiting.svg -depth 8 PNG32:icons/tray-waiting.png

bindings:
	UPDATE_BINDINGS=1 cargo test -p sessionscope-core bindings

clean:
	rm -rf ui/dist tests/e2e/artifacts
