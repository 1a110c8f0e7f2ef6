#!/usr/bin/env bash
# `make cross`: core, CLI and the desktop app checked with clippy (warnings are errors)
# for Windows and both macOS architectures, from this Linux machine.
#
# No prebuilt standard library for those targets can be installed here, so Debian's
# rustc-web builds std from its own source (rust-web-src) with -Zbuild-std
# (RUSTC_BOOTSTRAP=1 lets a stable compiler take the flag). C code in dependencies
# (bundled SQLite, ring) is compiled by mingw-w64 for Windows and by Zig's clang
# (scripts/zig-cc) for macOS. Everything goes to a target dir of its own outside the
# clone ($CROSS_TARGET_DIR), so a second run only re-checks what changed.
#
# On the Apple targets the app is checked without its `notifications` feature: the
# notification plugin compiles Objective-C against the macOS SDK, which is not here.
# One lint is allowed: with -Zbuild-std, Debian's clippy 1.96 flags `thread_local!`
# initializers that already are `const { ... }` (the host clippy of `make lint` still
# checks them). CROSS_TARGETS narrows the targets (space-separated); CROSS_PACKAGES the
# packages (cargo's -p arguments, e.g. "-p sessionscope-core -p sessionscope-cli"; the
# whole workspace by default).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=${CROSS_TARGETS:-"x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin"}
read -r -a packages <<<"${CROSS_PACKAGES:---workspace}"
export CARGO_TARGET_DIR="${CROSS_TARGET_DIR:-$HOME/.cache/sessionscope/cross}"
# No debug info: nothing here is debugged, and it halves the disk and link time.
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
# Debian's toolchain (1.96, matching rust-web-src), never rustup's proxies.
export PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
unset RUSTC_WRAPPER RUSTUP_TOOLCHAIN
zig_cc="$PWD/scripts/zig-cc"

with_app=0
case " ${packages[*]} " in *" --workspace "* | *" sessionscope-app "*) with_app=1 ;; esac
if [ "$with_app" = 1 ] && [ ! -f ui/dist/index.html ]; then
  echo "make cross: ui/dist is missing (the app embeds it): run 'make ui' first" >&2
  exit 1
fi

# Tauri's build script rewrites src-tauri/gen/schemas from the plugins compiled in, so
# the Apple check without the notification plugin would leave the committed schemas
# changed (and add schemas for the other OSes): keep a copy and put it back however
# the checks end.
if [ "$with_app" = 1 ]; then
  schemas_copy=$(mktemp -d)
  cp -a src-tauri/gen/schemas/. "$schemas_copy/"
  trap 'rm -rf src-tauri/gen/schemas && mv "$schemas_copy" src-tauri/gen/schemas' EXIT
fi

for target in $targets; do
  features=()
  env_vars=()
  case "$target" in
    *-apple-darwin)
      if [ "$with_app" = 1 ]; then
        features=(--no-default-features --features sessionscope-app/custom-protocol)
      fi
      var=${target//-/_}
      env_vars=("CC_$var=$zig_cc" "ZIG_CC_TARGET=${target%%-*}-macos")
      ;;
  esac
  echo "== cross: $target"
  start=$SECONDS
  env "${env_vars[@]}" /usr/bin/cargo clippy --quiet --keep-going -Zbuild-std=std,panic_abort \
    --target "$target" "${packages[@]}" --all-targets "${features[@]}" -- -D warnings \
    -A clippy::missing-const-for-thread-local
  echo "== cross: $target clean ($((SECONDS - start)) s)"
  # What has passed here once is warm from now on: scripts/cross-ci.sh reads these.
  stamp="${packages[*]}"
  mkdir -p "$CARGO_TARGET_DIR/sessionscope-checked"
  touch "$CARGO_TARGET_DIR/sessionscope-checked/$target${stamp//[^a-z-]/_}"
done
