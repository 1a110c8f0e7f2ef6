#!/usr/bin/env bash
# Time `sessionscope records stats --json` on a generated 100k-record store.
# Usage: tests/bench/records_bench.sh [path/to/sessionscope] [records]
# Uses hyperfine when installed, else 10 timed runs with date +%s%N.
# Every run reads the store from scratch: Sessionscope keeps no cache of it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$HOME/.cache/sessionscope/target}/release/sessionscope}"
n="${2:-100000}"
store="$(mktemp -d)"
trap 'rm -rf "$store"' EXIT
python3 "$here/gen_records.py" "$store" "$n"
cmd=("$bin" records --sessions-dir "$store" stats --json)
"${cmd[@]}" > /dev/null   # sanity check, and it must not fail
if command -v hyperfine > /dev/null; then
  hyperfine --warmup 2 --runs 10 "${cmd[*]} > /dev/null"
else
  best=""; total=0; runs=10
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "${cmd[@]}" > /dev/null
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    total=$((total + ms))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "records stats --json over $n records: mean $((total / runs)) ms, best $best ms ($runs runs)"
fi
