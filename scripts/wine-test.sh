#!/usr/bin/env bash
# `make test-wine`: core and CLI tests built for x86_64-pc-windows-gnu and run under
# Wine, so Windows semantics (paths, process listing, job objects, console events,
# ConPTY as far as Wine has it) are exercised.
#
# WINE_TESTS=core (`make wine-core`, meant for `make test`): only what Windows users
# depend on that Linux cannot show — core's unit tests but the pure parser property
# tests (the same code on every OS; 804 s of the 1028 s core's tests take under Wine),
# `windows_runs` (job objects, the run host, a run left running), the watcher's live
# tests, and the CLI's run/runs/kill (the README's "macOS and Windows" has its cost).
#
# Same toolchain as scripts/cross.sh (Debian's rustc-web with -Zbuild-std, mingw-w64
# as linker), in the same target dir outside the clone; a Wine prefix of its own
# under ~/.cache/sessionscope. Tests Wine cannot run are skipped by name below; the
# README says why for each, and a skip whose cause is a Wine bug comes with a minimal
# reproduction in scripts/wine-repro/ that is run first: once Wine is fixed, the test
# is no longer skipped. Extra arguments go to the test binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CROSS_TARGET_DIR:-$HOME/.cache/sessionscope/cross}"
# No debug info: nothing here is debugged, and it halves the disk and link time.
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
export PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
unset RUSTC_WRAPPER RUSTUP_TOOLCHAIN
export WINEPREFIX="${WINEPREFIX:-$HOME/.cache/sessionscope/wine}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wine=/usr/lib/wine/wine64
# No display: Wine's console programs need none, and must not try one.
unset DISPLAY WAYLAND_DISPLAY
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$wine"

if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "== wine: creating the prefix $WINEPREFIX (once)"
  mkdir -p "$WINEPREFIX"
  "$wine" wineboot --init >/dev/null 2>&1 || true
fi

# Wine 8 has no bcryptprimitives.dll (Rust's std takes random bytes from its
# ProcessPrng): a small stand-in goes into this prefix, never into a system one.
shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$shim" ] || [ scripts/wine-bcryptprimitives.c -nt "$shim" ]; then
  x86_64-w64-mingw32-gcc -O2 -shared -o "$shim" scripts/wine-bcryptprimitives.c -ladvapi32
fi

# What Wine cannot run, for a reason that is Wine's and not Windows' (the README's
# "Windows" section names each):
skip=(
  # They start git and bash, which a Windows developer has but this Wine prefix has not
  # (Linux's are not Windows programs).
  version_names_the_version_and_the_commit
  completions_for_each_shell_name_every_subcommand
)

# Wine bugs with a reproduction: each scripts/wine-repro/NAME.c exits 1 while Wine
# has the bug, and names the tests it stops on a `Skips:` line.
repro_dir="$CARGO_TARGET_DIR/wine-repro"
mkdir -p "$repro_dir"
for c in scripts/wine-repro/*.c; do
  name=$(basename "$c" .c)
  tests=$(sed -n 's/^ \* Skips: //p' "$c")
  x86_64-w64-mingw32-gcc -O1 -o "$repro_dir/$name.exe" "$c"
  set +e
  said=$(timeout 60 "$wine" "$repro_dir/$name.exe" 2>&1)
  code=$?
  set -e
  case $code in
    0) echo "== wine: $name: Wine no longer has this bug ($said); running: $tests" ;;
    1)
      echo "== wine: $name: still Wine's bug ($said); skipping: $tests"
      read -ra more <<<"$tests"
      skip+=("${more[@]}")
      ;;
    *)
      echo "== wine: $name: the reproduction could not run (exit $code: $said); skipping: $tests"
      read -ra more <<<"$tests"
      skip+=("${more[@]}")
      ;;
  esac
done

targets=(-p sessionscope-core -p sessionscope-cli)
if [ "${WINE_TESTS:-all}" = core ]; then
  targets=(-p sessionscope-core --lib --test windows_runs --test live_sources
    -p sessionscope-cli --test run_runs_kill)
  skip+=(
    # Pure parsing, the same on every OS (checked on Linux by `make test`); under Wine
    # they take 467 s, 160 s, 107 s, 45 s and 25 s of core's 541 s.
    torn_lines_never_panic_any_parser
    torn_fixture_lines_never_panic_any_format
    tail_and_pages_back_equal_one_read_of_the_whole_file
    a_50_mb_tool_output_is_cut_and_read_in_full_on_demand
    codex_carry_survives_the_marks
  )
fi
skip_args=()
for s in "${skip[@]}"; do skip_args+=(--skip "$s"); done

start=$SECONDS
/usr/bin/cargo test --quiet --no-fail-fast -Zbuild-std=std,panic_abort --target x86_64-pc-windows-gnu \
  "${targets[@]}" -- "${skip_args[@]}" "$@"
echo "== wine: ${WINE_TESTS:-all} tests passed under Wine ($((SECONDS - start)) s)"
# scripts/cross-ci.sh runs the core set in every make test once it has passed here.
if [ "${WINE_TESTS:-all}" = core ]; then
  mkdir -p "$CARGO_TARGET_DIR/sessionscope-checked"
  touch "$CARGO_TARGET_DIR/sessionscope-checked/wine-core"
fi
# The wineserver of this prefix would linger for a few seconds; end it now.
/usr/lib/wine/wineserver -k 2>/dev/null || true
