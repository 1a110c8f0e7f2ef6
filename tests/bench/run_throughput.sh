#!/usr/bin/env bash
# Throughput of a supervised run: a command printing as fast as it can (`yes`, or `cat`
# of a large file in a loop) for DURATION seconds through `sessionscope run` (PTY ->
# reader thread -> ring buffer + log file + stdout). Reports the bytes that reached
# the run's log per second and the peak RSS of the sessionscope process.
#
#   tests/bench/run_throughput.sh              # yes, 30 s, target/release/sessionscope
#   MODE=cat DURATION=10 tests/bench/run_throughput.sh
#   SESSIONSCOPE_BIN=path/to/sessionscope tests/bench/run_throughput.sh
#
# Needs GNU time at /usr/bin/time. Everything lives in a temporary data directory.
set -euo pipefail

MODE=${MODE:-yes}
DURATION=${DURATION:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SESSIONSCOPE_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/sessionscope}
if [[ ! -x $BIN ]]; then
  echo "no sessionscope binary at $BIN (cargo build --release -p sessionscope-cli)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SESSIONSCOPE_DATA_DIR=$work/data

case $MODE in
  yes) cmd="timeout $DURATION yes" ;;
  cat)
    # 256 MiB of text lines, written once, read in a loop.
    head -c $((192 * 1024 * 1024)) /dev/urandom | base64 > "$work/big.txt"
    cmd="timeout $DURATION sh -c 'while :; do cat \"$work/big.txt\"; done'"
    ;;
  *) echo "MODE must be yes or cat" >&2; exit 1 ;;
esac

# The command ends by `timeout` (exit 124): not a failure of the benchmark.
/usr/bin/time -v -o "$work/time.txt" "$BIN" run --name "bench-$MODE" -- "$cmd" \
  > /dev/null 2> "$work/stderr.txt" < /dev/null || true

log=$(ls "$work"/data/runs/*.log)
bytes=$(stat -c %s "$log")
duration_ms=$("$BIN" runs --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["duration_ms"])')
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
cpu=$(awk -F': ' '/Percent of CPU/ {print $2}' "$work/time.txt")

python3 - "$MODE" "$bytes" "$duration_ms" "$rss_kb" "$cpu" <<'PY'
import sys
mode, b, ms, rss, cpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
s = ms / 1000
print(f"run_throughput mode={mode} duration={s:.1f}s log_bytes={b} "
      f"throughput={b / s / 1e6:.1f} MB/s peak_rss={rss / 1024:.1f} MiB sessionscope_cpu={cpu}")
PY
