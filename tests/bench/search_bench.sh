#!/usr/bin/env bash
# Issue 17, full-text search at scale: build the index of a generated history from
# scratch, then time searches as the app makes them, at two corpus sizes to show how
# build rate and query time scale. `make bench` runs it (tests/bench/run.sh).
#
#   SEARCH_CORPUS=DIR   a tests/bench/gen_scale.py corpus to measure (default: generate
#                       BENCH_DATA/search-<MB> with gen_scale.py at SEARCH_MB, and a
#                       quarter-size one beside it)
#   SEARCH_MB=1024      size of the generated corpus (MiB; files: 50 per MiB)
#   SEARCH_QUERIES=200  searches per index
#   BENCH_DATA=…        where corpora and indexes go (default ~/.cache/sessionscope/bench-data)
#   BENCH_SEARCH=…      the bench_search example to run (default: a release build here)
#
# Not a test: nothing here asserts a time. Reads the corpus, writes only the index
# under BENCH_DATA/search-work.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
DATA="${BENCH_DATA:-$HOME/.cache/sessionscope/bench-data}"
MB="${SEARCH_MB:-1024}"
QUERIES="${SEARCH_QUERIES:-200}"
log() { echo "search-bench: $*" >&2; }

if [ -z "${BENCH_SEARCH:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sessionscope/target}"
  log "building bench_search (release)"
  (cd "$REPO" && cargo build --release -q -p sessionscope-core --example bench_search)
  BENCH_SEARCH="$CARGO_TARGET_DIR/release/examples/bench_search"
fi

corpus() { # MB -> a gen_scale.py corpus of that size (made once, kept)
  local mb=$1 dir="$DATA/search-${1}mb"
  if [ ! -f "$dir/.done" ]; then
    log "generating $mb MiB in $((mb * 50)) files in $dir"
    rm -rf "$dir"
    python3 "$HERE/gen_scale.py" "$dir" "$mb" $((mb * 50)) $((mb / 32 + 1)) >/dev/null
    touch "$dir/.done"
  fi
  echo "$dir"
}

if [ -n "${SEARCH_CORPUS:-}" ]; then
  CORPORA=("$SEARCH_CORPUS")
else
  CORPORA=("$(corpus $((MB / 4)))" "$(corpus "$MB")")
fi

WORK="$DATA/search-work"
mkdir -p "$WORK"
echo "| corpus | build | index | queries ($QUERIES, at most 100 hits each) |"
echo "|---|---|---|---|"
for dir in "${CORPORA[@]}"; do
  DB="$WORK/search.sqlite3"
  ENVV=(env -i PATH="$PATH" HOME="$WORK/home" TZ=UTC
    CLAUDE_CONFIG_DIR="$dir/claude" CODEX_HOME="$dir/codex"
    GPTME_LOGS_DIR="$dir/gptme" GEMINI_DATA_DIR="$dir/gemini"
    COPILOT_STATE_DIR="$dir/copilot" OPENCODE_DATA_DIR="$WORK/none"
    SESSIONSCOPE_DATA_DIR="$WORK/data")
  log "warming the page cache ($dir)"
  find "$dir" -type f -name '*.jsonl' -print0 | xargs -0 cat >/dev/null
  LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
  BUILD=$("${ENVV[@]}" "$BENCH_SEARCH" build "$DB" | sed 's/^build: //')
  QUERY=$("${ENVV[@]}" "$BENCH_SEARCH" query "$DB" "$QUERIES" | sed 's/^query: //')
  echo "| $(basename "$dir") (load before: $LOAD) | $BUILD | $(du -m "$DB" | cut -f1) MB | $QUERY |"
  rm -f "$DB" "$DB-wal" "$DB-shm"
done
