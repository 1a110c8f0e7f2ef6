#!/usr/bin/env bash
# `make fuzz`: every fuzz target in fuzz/ for FUZZ_SECONDS each (default 60), each
# corpus seeded from tests/fixtures and kept between runs under
# ~/.cache/sessionscope/fuzz. Installs cargo-fuzz when missing. Prints one line per
# target (executions, crashes) and writes the table to $FUZZ_REPORT (default
# ~/.cache/sessionscope/fuzz/report.md). Crash inputs land in fuzz/artifacts/<target>/:
# each one found becomes a fixture and a test.
#
# libFuzzer needs `-Z` flags: the default (stable) toolchain takes them with
# RUSTC_BOOTSTRAP=1, so no nightly is needed (FUZZ_TOOLCHAIN=nightly uses one). The
# targets are built with debug assertions (`-a`): an arithmetic overflow is a crash,
# as it is a panic in the debug build of the app. AddressSanitizer is used when the
# toolchain ships its runtime; otherwise the targets run without it
# (FUZZ_SANITIZER=none). Not part of `make test`.
#
# Usage: scripts/fuzz.sh [TARGET...]   (FUZZ_SECONDS=600 scripts/fuzz.sh store_repair)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${FUZZ_SECONDS:-60}
CACHE=${HOME}/.cache/sessionscope/fuzz
REPORT=${FUZZ_REPORT:-$CACHE/report.md}
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$HOME/.cache/sessionscope/target-fuzz}
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
mkdir -p "$CACHE"
fuzz() { cargo ${FUZZ_TOOLCHAIN:++$FUZZ_TOOLCHAIN} fuzz "$@"; }

say() { printf '\033[1m[fuzz]\033[0m %s\n' "$*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
  say "installing cargo-fuzz"
  cargo install cargo-fuzz --version '^0.13' --locked
fi

TARGETS=(lines_claude lines_codex lines_gptme lines_gemini lines_copilot whole_gemini
  opencode_tree transcript_view condense tail_reader record_line store_repair)
if [ $# -gt 0 ]; then TARGETS=("$@"); fi

# Seed a corpus (once per new fixture: files are named by their content's hash).
seed() {
  local dir=$1
  shift
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] || continue
    cp "$f" "$dir/seed-$(sha1sum "$f" | cut -c1-16)"
  done
}
# Each line of the files as a seed of its own.
seed_lines() {
  local dir=$1
  shift
  mkdir -p "$dir"
  local tmp
  tmp=$(mktemp)
  for f in "$@"; do
    [ -f "$f" ] || continue
    while IFS= read -r line || [ -n "$line" ]; do
      printf '%s' "$line" >"$tmp"
      cp "$tmp" "$dir/seed-$(sha1sum "$tmp" | cut -c1-16)"
    done <"$f"
  done
  rm -f "$tmp"
}
fixtures() { find "tests/fixtures/$1" -type f -name "$2" 2>/dev/null | sort; }

seed_target() {
  local t=$1 dir=$CACHE/corpus/$1
  case $t in
    lines_claude) seed "$dir" $(fixtures claude '*.jsonl') $(fixtures claude-cli '*.jsonl') $(fixtures claude-real '*.jsonl') ;;
    lines_codex) seed "$dir" $(fixtures codex '*.jsonl') $(fixtures codex-real '*.jsonl') ;;
    lines_gptme) seed "$dir" $(fixtures gptme '*.jsonl') ;;
    lines_gemini) seed "$dir" $(fixtures gemini '*.jsonl') ;;
    lines_copilot) seed "$dir" $(fixtures copilot '*.jsonl') ;;
    whole_gemini) seed "$dir" $(fixtures gemini '*.json') ;;
    tail_reader) seed "$dir" $(fixtures claude '*.jsonl') $(fixtures codex '*.jsonl') ;;
    condense) seed_lines "$dir" $(fixtures claude '*.jsonl') $(fixtures codex '*.jsonl') ;;
    record_line) seed_lines "$dir" $(fixtures records '*.jsonl') ;;
    store_repair) seed "$dir" $(fixtures records '*.jsonl') ;;
    transcript_view)
      mkdir -p "$dir"
      local i=0 f
      for f in $(fixtures claude '*.jsonl') $(fixtures codex '*.jsonl') $(fixtures gptme '*.jsonl') \
        $(fixtures copilot '*.jsonl') $(fixtures gemini '*.jsonl') $(fixtures gemini '*.json'); do
        case $f in
          */claude/*) i=0 ;; */codex/*) i=1 ;; */gptme/*) i=2 ;; */copilot/*) i=3 ;;
          *.jsonl) i=4 ;; *) i=5 ;;
        esac
        { printf "\\x$(printf %02x $i)"; cat "$f"; } >"$dir/seed-$i-$(sha1sum "$f" | cut -c1-16)"
      done
      ;;
    opencode_tree)
      mkdir -p "$dir"
      local s=tests/fixtures/opencode/storage m p
      for m in "$s"/message/ses_old/*.json; do
        p=$(find "$s/part/$(basename "$m" .json)" -name '*.json' 2>/dev/null | head -1) || true
        { cat "$s/session/prj_old/ses_old.json"; printf "\xff"; cat "$m"; printf "\xff"; if [ -n "$p" ]; then cat "$p"; fi; } \
          >"$dir/seed-$(basename "$m" .json)"
      done
      ;;
  esac
}

sanitizer=${FUZZ_SANITIZER:-}
if [ -z "$sanitizer" ]; then
  sanitizer=address
  if ! (cd fuzz && fuzz build -O -a -s address "${TARGETS[0]}" >/dev/null 2>&1); then
    say "AddressSanitizer is not available with this toolchain: fuzzing without it"
    sanitizer=none
  fi
fi
say "building ${#TARGETS[@]} targets (sanitizer: $sanitizer)"
(cd fuzz && fuzz build -O -a -s "$sanitizer")
bins=$CARGO_TARGET_DIR/$(rustc -vV | sed -n 's/^host: //p')/release

{
  echo "| target | seconds | executions | crashes |"
  echo "| --- | ---: | ---: | ---: |"
} >"$REPORT"
total_crashes=0
for t in "${TARGETS[@]}"; do
  seed_target "$t"
  mkdir -p "fuzz/artifacts/$t"
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  log=$CACHE/$t.log
  say "$t: ${SECONDS_EACH}s"
  # The binary `cargo fuzz run` would start, without building again per target.
  # -fork keeps going after a crash, so one run finds more than the first.
  "$bins/$t" -artifact_prefix="$PWD/fuzz/artifacts/$t/" "$CACHE/corpus/$t" \
    -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=4096 -timeout=20 \
    -print_final_stats=1 -fork=1 -ignore_crashes=1 >"$log" 2>&1 || true
  after=$(find "fuzz/artifacts/$t" -type f | wc -l)
  crashes=$((after - before))
  total_crashes=$((total_crashes + crashes))
  # libFuzzer's final stats, else (fork mode prints none) its last "#N:" status line.
  execs=$(awk '/stat::number_of_executed_units:/ { s += $NF; n++ } END { print n ? s : 0 }' "$log")
  if [ "$execs" = 0 ]; then
    execs=$(awk '/^#[0-9]+/ { v = $1 } END { gsub(/[#:]/, "", v); print v + 0 }' "$log")
  fi
  echo "| $t | $SECONDS_EACH | ${execs:-0} | $crashes |" >>"$REPORT"
  printf '%-16s %10s executions  %3d crashes\n' "$t" "${execs:-0}" "$crashes"
done
say "report: $REPORT"
cat "$REPORT"
if [ "$total_crashes" -gt 0 ]; then
  say "$total_crashes crash(es): inputs in fuzz/artifacts/ (turn each into a fixture and a test)"
  exit 1
fi
