#!/usr/bin/env bash
# Issue 17, the scale benchmark: a heavy user's history (tests/bench/gen_scale.py:
# Claude Code, Codex, gptme, Gemini CLI and Copilot CLI mixed, short-line and
# huge-tool-output sessions, one very long transcript), measured against
# ccusage@20.0.24 on the same files. `make bench` runs it at the small size.
#
#   BENCH_SIZE=small   1 GB, 10 000 files, one 120 MB transcript (default)
#   BENCH_SIZE=full    10 GB, 100 000 files, one 1.2 GB transcript (issue 17's size)
#   BENCH_SIZE=custom  BENCH_MB MiB, BENCH_FILES files, one of BENCH_BIG_MB MiB
#   BENCH_DATA=…       where the corpus and ccusage go (default
#                      ~/.cache/sessionscope/bench-data; the corpus is kept for the
#                      next run: delete BENCH_DATA/scale-* when done, it regenerates
#                      the same bytes)
#   BENCH_RUNS=N       runs per timing (median; default 3 small, 1 full)
#   BENCH_SKIP_PEERS=1 skip ccusage
#   SESSIONSCOPE=…     the CLI to measure (default: a release build made here)
#
# Not a test: nothing here asserts a time. Writes only under BENCH_DATA.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SIZE="${BENCH_SIZE:-small}"
case "$SIZE" in
  small) MB=1024 FILES=10000 BIG_MB=115 RUNS="${BENCH_RUNS:-3}" ;;
  full) MB=9537 FILES=100000 BIG_MB=1145 RUNS="${BENCH_RUNS:-1}" ;;
  custom) MB=$BENCH_MB FILES=$BENCH_FILES BIG_MB=$BENCH_BIG_MB RUNS="${BENCH_RUNS:-1}"
    SIZE="${MB}mb-${FILES}-${BIG_MB}mb" ;;
  *) echo "BENCH_SIZE is small, full or custom, not $SIZE" >&2; exit 2 ;;
esac
DATA="${BENCH_DATA:-$HOME/.cache/sessionscope/bench-data}"
mkdir -p "$DATA"
log() { echo "scale: $*" >&2; }

if [ -z "${SESSIONSCOPE:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sessionscope/target}"
  log "building the release CLI"
  (cd "$REPO" && cargo build --release -q -p sessionscope-cli)
  SESSIONSCOPE="$CARGO_TARGET_DIR/release/sessionscope"
fi
SS="$SESSIONSCOPE"

CORPUS="$DATA/scale-$SIZE"
if [ ! -f "$CORPUS/.done" ]; then
  log "generating $MB MiB in $FILES files (one of $BIG_MB MiB) in $CORPUS"
  rm -rf "$CORPUS"
  python3 "$HERE/gen_scale.py" "$CORPUS" "$MB" "$FILES" "$BIG_MB" >"$DATA/gen-$SIZE.txt"
  touch "$CORPUS/.done"
fi
BIG_ID=$(sed -n 's/^big: //p' "$DATA/gen-$SIZE.txt")
NFILES=$(find "$CORPUS" -type f -name '*.jsonl' | wc -l)
BYTES=$(find "$CORPUS" -type f -name '*.jsonl' -printf '%s\n' | awk '{s+=$1} END {print s}')
GB=$(awk -v b="$BYTES" 'BEGIN {printf "%.2f", b/1e9}')
CLAUDE_FILES=$(find "$CORPUS/claude" -name '*.jsonl' | wc -l)
CODEX_FILES=$(find "$CORPUS/codex" -name '*.jsonl' | wc -l)
OTHER_FILES=$((NFILES - CLAUDE_FILES - CODEX_FILES))
DIRS=$(find "$CORPUS" -type d | wc -l)

CC20="$DATA/peers/20.0.24/node_modules/.bin/ccusage"
if [ -z "${BENCH_SKIP_PEERS:-}" ] && [ ! -x "$CC20" ]; then
  log "installing ccusage@20.0.24"
  npm install --no-audit --no-fund --silent --prefix "$DATA/peers/20.0.24" "ccusage@20.0.24" >&2
fi

WORK="$DATA/scale-work-$SIZE"
rm -rf "$WORK"
mkdir -p "$WORK/home" "$WORK/out"
ENVV=(env -i PATH="$PATH" HOME="$WORK/home" TZ=UTC
  CLAUDE_CONFIG_DIR="$CORPUS/claude" CODEX_HOME="$CORPUS/codex"
  GPTME_LOGS_DIR="$CORPUS/gptme" GEMINI_DATA_DIR="$CORPUS/gemini"
  COPILOT_STATE_DIR="$CORPUS/copilot" OPENCODE_DATA_DIR="$WORK/none"
  SESSIONSCOPE_DATA_DIR="$WORK/data")

. "$HERE/lib/measure.sh"
ms() { awk -v w="$1" 'BEGIN { if (w == "nan") print "nan"; else printf "%.0f", w*1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || a+0 == 0) print "-"; else printf "%.2f×", b/a }'; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "warming the page cache ($GB GB)"
find "$CORPUS" -type f -print0 | xargs -0 cat >/dev/null

measure ours_claude "$RUNS" "${ENVV[@]}" "$SS" usage --by session --harness claude-code --json --no-cache
OC=$WALL OC_CPU=$CPU OC_RSS=$RSS
measure ours_codex "$RUNS" "${ENVV[@]}" "$SS" usage --by session --harness codex --json --no-cache
OX=$WALL OX_CPU=$CPU OX_RSS=$RSS
CC=nan CC_CPU=nan CC_RSS=nan CX=nan CX_CPU=nan CX_RSS=nan SAME_C="not run" SAME_X="not run"
if [ -z "${BENCH_SKIP_PEERS:-}" ]; then
  measure cc20_claude "$RUNS" "${ENVV[@]}" "$CC20" claude session --json --offline
  CC=$WALL CC_CPU=$CPU CC_RSS=$RSS
  SAME_C=$(python3 "$HERE/compare_totals.py" "$WORK/out/ours_claude.json" "$WORK/out/cc20_claude.json" --per-session claude || true)
  measure cc20_codex "$RUNS" "${ENVV[@]}" "$CC20" codex session --json --offline
  CX=$WALL CX_CPU=$CPU CX_RSS=$RSS
  SAME_X=$(python3 "$HERE/compare_totals.py" "$WORK/out/ours_codex.json" "$WORK/out/cc20_codex.json" --per-session codex || true)
fi

# Cold scan of everything to the full table (no cache), then the cache it leaves.
measure cold_all "$RUNS" "${ENVV[@]}" "$SS" sessions --json --no-cache
CA=$WALL CA_CPU=$CPU CA_RSS=$RSS
ROWS=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$WORK/out/cold_all.json")
rm -rf "$WORK/data"
measure fill 1 "${ENVV[@]}" "$SS" sessions --json
FILL=$WALL FILL_RSS=$RSS
CACHE_BYTES=$(stat -c %s "$WORK/data/index.sqlite3")
CACHE_PCT=$(awk -v c="$CACHE_BYTES" -v b="$BYTES" 'BEGIN {printf "%.2f", 100*c/b}')
CACHE_MB=$(awk -v c="$CACHE_BYTES" 'BEGIN {printf "%.0f", c/1048576}')
measure warm_ps 5 "${ENVV[@]}" "$SS" ps --all --json
WPS=$(ms "$WALL") WPS_RSS=$RSS
measure warm_sessions 5 "${ENVV[@]}" "$SS" sessions --json
WSS=$(ms "$WALL") WSS_RSS=$RSS

# The long transcript: the first read indexes it, later ones use the index.
BIG_SIZE=$(find "$CORPUS" -name "$BIG_ID.jsonl" -printf '%s')
BIG_MBS=$(awk -v b="$BIG_SIZE" 'BEGIN {printf "%.0f", b/1e6}')
measure tr_first 1 "${ENVV[@]}" "$SS" transcript "$BIG_ID" --last 20 --json
TF=$WALL TF_RSS=$RSS
measure tr_warm 5 "${ENVV[@]}" "$SS" transcript "$BIG_ID" --last 20 --json
TW=$(ms "$WALL") TW_RSS=$RSS
OFFSETS_KB=$(awk -v c="$(stat -c %s "$WORK/data/transcript_offsets.sqlite3" 2>/dev/null || echo 0)" 'BEGIN {printf "%.0f", c/1024}')

CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
TABLE=$(cat <<MD
Corpus (\`BENCH_SIZE=$SIZE\`): $GB GB in $NFILES files ($CLAUDE_FILES Claude Code, $CODEX_FILES Codex, $OTHER_FILES gptme / Gemini CLI / Copilot CLI) in $DIRS directories, one transcript of $BIG_MBS MB; \`tests/bench/gen_scale.py\`; page cache warm; median of $RUNS run(s).
Machine: $(nproc) cores, ${CPU_MODEL}, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM; load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg). Command: \`BENCH_SIZE=$SIZE bash tests/bench/scale_bench.sh\`.

| measure | goal | sessionscope | ccusage@20.0.24 | result |
|---|---|---|---|---|
| Claude Code, cold, to per-session totals (\`usage --by session --harness claude-code --json --no-cache\` vs \`claude session --json --offline\`) | ≥ 2× faster, totals identical | $OC s (CPU $OC_CPU s), $OC_RSS MiB | $CC s (CPU $CC_CPU s), $CC_RSS MiB | $(ratio "$OC" "$CC") faster; $SAME_C |
| Codex, cold, to per-session totals (\`usage … --harness codex\` vs \`codex session --json --offline\`) | totals identical | $OX s (CPU $OX_CPU s), $OX_RSS MiB | $CX s (CPU $CX_CPU s), $CX_RSS MiB | $(ratio "$OX" "$CX") faster; $SAME_X |
| cold scan of everything to the full table (\`sessions --json --no-cache\`) | ≤ 10 s; ≤ 150 MB | $CA s (CPU $CA_CPU s), $CA_RSS MiB, $ROWS rows | | |
| first scan writing the cache (\`sessions --json\`) | | $FILL s, $FILL_RSS MiB | | |
| cache file | ≤ 2 % of the corpus | $CACHE_MB MiB = $CACHE_PCT % | | |
| warm start to the full list (\`ps --all --json\`, cache present) | ≤ 150 ms | $WPS ms, $WPS_RSS MiB | | |
| warm \`sessions --json\` | | $WSS ms, $WSS_RSS MiB | | |
| \`transcript ID --last 20 --json\` of the $BIG_MBS MB file, first (builds its offset index) | | $TF s, $TF_RSS MiB | | |
| same, later (index present; includes finding the session through the cache) | ≤ 100 ms, memory bounded by the page | $TW ms, $TW_RSS MiB (offset index $OFFSETS_KB KiB) | | |
| inotify watches needed (one per directory) | under \`max_user_watches\` | $DIRS (limit $(cat /proc/sys/fs/inotify/max_user_watches 2>/dev/null || echo ?)) | | |
MD
)
echo "$TABLE" | tee "$DATA/results-$SIZE.md"
