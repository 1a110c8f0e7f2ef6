#!/usr/bin/env bash
# Installs whatever is missing to build, run and test Sessionscope on Debian 12, and
# nothing that is already there: apt packages (after one apt-get update), the UI's npm
# packages (npm ci when the lockfile changed), and tauri-driver. Safe to run every time.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # Tauri's build dependencies.
  libwebkit2gtk-4.1-dev build-essential libssl-dev libxdo-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config file
  # Running the app and its end-to-end tests headless.
  xvfb webkit2gtk-driver xdotool dbus-x11 imagemagick
  # The stand-in notification server of the E2E tests (Debian's python3 with D-Bus).
  python3-dbus python3-gi
  # make cross / make test-wine: Debian's Rust 1.96 with the standard library's source
  # (-Zbuild-std for Windows and macOS), its clippy, mingw-w64 for Windows' C code and
  # linking, Wine to run the Windows test binaries, a venv for Zig (macOS C code).
  rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64 wine64
  # The remote-host tests start a real OpenSSH server on a loopback port (issue 15).
  openssh-server
  # gptme for the real-agent suite lives in a venv (tests/agents); Zig in one too.
  python3-venv
  # The release check (make release-check): read and unpack the .rpm, validate the
  # desktop entry (dpkg-deb, dpkg --root and strip come with dpkg and build-essential).
  rpm rpm2cpio cpio desktop-file-utils
)

say() { printf '\033[1m[deps]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing apt packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust with rustup (https://rustup.rs) and run again" >&2
  exit 1
fi
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    say "adding rustup component $component"
    rustup component add "$component"
  fi
done

if ! command -v tauri-driver >/dev/null; then
  say "installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi

# Zig's clang (the ziglang wheel ships macOS libc headers) for make cross's Apple
# targets, pinned, in a venv of its own.
ZIG_VERSION=0.17.1
zig_venv="$HOME/.cache/sessionscope/zig-venv"
if ! "$zig_venv/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIG_VERSION"; then
  say "installing ziglang $ZIG_VERSION (pip, into $zig_venv)"
  python3 -m venv "$zig_venv"
  "$zig_venv/bin/pip" install --quiet --disable-pip-version-check "ziglang==$ZIG_VERSION"
fi

# npm ci only when node_modules does not match the lockfile.
stamp=ui/node_modules/.sessionscope-lock
if [ ! -f "$stamp" ] || ! cmp -s ui/package-lock.json "$stamp"; then
  say "installing UI packages (npm ci)"
  (cd ui && npm ci --no-audit --no-fund)
  cp ui/package-lock.json "$stamp"
fi

# The real agents the conformance suite drives (tests/agents), pinned by the lockfiles
# there, installed into a cache outside the clone; reinstalled only when a lockfile changed.
agents="${SESSIONSCOPE_AGENTS_DIR:-$HOME/.cache/sessionscope/agents}"
mkdir -p "$agents"
# One installer at a time: two checkouts running this at once would each rebuild the venv.
exec 9>"$agents/.install-lock"
flock 9
if [ ! -f "$agents/npm/.sessionscope-lock" ] || ! cmp -s tests/agents/package-lock.json "$agents/npm/.sessionscope-lock"; then
  # `npm install` over the committed lockfile, not `npm ci`: the registry serves
  # opencode-ai's platform packages for this platform only, so the lockfile cannot list
  # the others and `npm ci` would call it out of sync.
  say "installing the pinned agent CLIs into $agents/npm"
  mkdir -p "$agents/npm"
  cp tests/agents/package.json tests/agents/package-lock.json "$agents/npm/"
  (cd "$agents/npm" && npm install --no-audit --no-fund --loglevel=error)
  cp tests/agents/package-lock.json "$agents/npm/.sessionscope-lock"
fi
if [ ! -f "$agents/venv/.sessionscope-requirements" ] || ! cmp -s tests/agents/requirements.txt "$agents/venv/.sessionscope-requirements"; then
  say "installing the pinned gptme into $agents/venv (pip)"
  rm -rf "$agents/venv"
  python3 -m venv "$agents/venv"
  "$agents/venv/bin/pip" install --quiet --disable-pip-version-check -r tests/agents/requirements.txt
  cp tests/agents/requirements.txt "$agents/venv/.sessionscope-requirements"
fi
flock -u 9
