#!/usr/bin/env bash
# `make bench`: generate a Claude Code + Codex history of BENCH_SIZE_MB (default 1024),
# then measure sessionscope against ccusage@20.0.24 and ccusage@18.0.11 on the same
# files and print the table of issue 6 (also saved as $BENCH_DIR/results.md).
#
#   BENCH_SIZE_MB=1024   corpus size         BENCH_RUNS=3   runs per timing (median)
#   BENCH_DIR=…          where corpus, tools and results go (default: a temp dir)
#   BENCH_IDLE_SECS=60   idle-CPU window     BENCH_SKIP_PEERS=1  skip ccusage
#   BENCH_SIZE=small|full  the scale benchmark's size (scale_bench.sh, issue 17)
#
# Not a test: nothing here asserts a time. Reads and writes only under BENCH_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SIZE_MB="${BENCH_SIZE_MB:-1024}"
RUNS="${BENCH_RUNS:-3}"
IDLE_SECS="${BENCH_IDLE_SECS:-60}"
WORK="${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sessionscope-bench.XXXXXX")}"
mkdir -p "$WORK"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sessionscope/target}"

log() { echo "bench: $*" >&2; }

if [ ! -x /usr/bin/time ]; then
  log "installing GNU time (apt package 'time')"
  if [ "$(id -u)" = 0 ]; then apt-get install -y -q time >/dev/null; else sudo apt-get install -y -q time >/dev/null; fi
fi

log "building release binaries"
(cd "$REPO" && cargo build --release -q -p sessionscope-cli && cargo build --release -q -p sessionscope-core --example bench_live --example bench_search)
SS="$CARGO_TARGET_DIR/release/sessionscope"
LIVE="$CARGO_TARGET_DIR/release/examples/bench_live"
SEARCHB="$CARGO_TARGET_DIR/release/examples/bench_search"

CORPUS="$WORK/corpus-${SIZE_MB}mb"
if [ ! -f "$CORPUS/.done" ]; then
  log "generating a ${SIZE_MB} MB corpus in $CORPUS"
  rm -rf "$CORPUS"
  python3 "$HERE/gen_corpus.py" "$CORPUS" "$SIZE_MB" --session-mb 0.5 >&2
  touch "$CORPUS/.done"
fi
CLAUDE_FILES=$(find "$CORPUS/claude" -name '*.jsonl' | wc -l)
CODEX_FILES=$(find "$CORPUS/codex" -name '*.jsonl' | wc -l)
BYTES=$(find "$CORPUS" -name '*.jsonl' -printf '%s\n' | awk '{s+=$1} END {print s}')
CLAUDE_BYTES=$(find "$CORPUS/claude" -name '*.jsonl' -printf '%s\n' | awk '{s+=$1} END {print s}')
MB=$(awk -v b="$BYTES" 'BEGIN {printf "%.0f", b/1048576}')
CLAUDE_MB=$(awk -v b="$CLAUDE_BYTES" 'BEGIN {printf "%.0f", b/1048576}')

PEERS="$WORK/peers"
if [ -z "${BENCH_SKIP_PEERS:-}" ]; then
  for v in 20.0.24 18.0.11; do
    if [ ! -x "$PEERS/$v/node_modules/.bin/ccusage" ]; then
      log "installing ccusage@$v"
      npm install --no-audit --no-fund --silent --prefix "$PEERS/$v" "ccusage@$v" >&2
    fi
  done
fi
CC20="$PEERS/20.0.24/node_modules/.bin/ccusage"
CC18="$PEERS/18.0.11/node_modules/.bin/ccusage"

# The same environment for every tool: only the corpus, an empty home, UTC days.
ENVV=(env -i PATH="$PATH" HOME="$WORK/home" TZ=UTC
  CLAUDE_CONFIG_DIR="$CORPUS/claude" CODEX_HOME="$CORPUS/codex"
  GPTME_LOGS_DIR="$WORK/none" GEMINI_DATA_DIR="$WORK/none" OPENCODE_DATA_DIR="$WORK/none"
  COPILOT_STATE_DIR="$WORK/none")
mkdir -p "$WORK/home" "$WORK/out"

. "$HERE/lib/measure.sh"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 == 0 || b == "nan") print "-"; else printf "%.1f×", b/a }'; }

log "warming the page cache (every tool then reads from memory)"
find "$CORPUS" -name '*.jsonl' -print0 | xargs -0 cat >/dev/null

# cat | wc -l, the floor of reading the files once.
CAT_WALLS=()
for ((i = 0; i < RUNS; i++)); do
  s=$(date +%s.%N); find "$CORPUS" -name '*.jsonl' -print0 | xargs -0 cat | wc -l >/dev/null; e=$(date +%s.%N)
  CAT_WALLS+=("$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.2f", e-s}')")
done
CAT=$(printf '%s\n' "${CAT_WALLS[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
CAT_CLAUDE_WALLS=()
for ((i = 0; i < RUNS; i++)); do
  s=$(date +%s.%N); find "$CORPUS/claude" -name '*.jsonl' -print0 | xargs -0 cat | wc -l >/dev/null; e=$(date +%s.%N)
  CAT_CLAUDE_WALLS+=("$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.2f", e-s}')")
done
CAT_CLAUDE=$(printf '%s\n' "${CAT_CLAUDE_WALLS[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

DATA="$WORK/data"
rm -rf "$DATA"
measure ours_claude "$RUNS" "${ENVV[@]}" SESSIONSCOPE_DATA_DIR="$DATA" "$SS" usage --by session --harness claude-code --json --no-cache
OURS_CLAUDE=$WALL; OURS_CLAUDE_CPU=$CPU; OURS_CLAUDE_RSS=$RSS
measure ours_codex "$RUNS" "${ENVV[@]}" SESSIONSCOPE_DATA_DIR="$DATA" "$SS" usage --by session --harness codex --json --no-cache
OURS_CODEX=$WALL; OURS_CODEX_CPU=$CPU
measure ours_all "$RUNS" "${ENVV[@]}" SESSIONSCOPE_DATA_DIR="$DATA" "$SS" sessions --json --no-cache
OURS_ALL=$WALL; OURS_ALL_CPU=$CPU; OURS_ALL_RSS=$RSS

CC20_CLAUDE=nan CC20_RSS=nan CC18_CLAUDE=nan CC18_RSS=nan CC20_CODEX=nan
CC20_CLAUDE_CPU=nan CC18_CLAUDE_CPU=nan CC20_CODEX_CPU=nan
SAME20="not run" SAME18="not run" SAME20X="not run"
if [ -z "${BENCH_SKIP_PEERS:-}" ]; then
  measure cc20_claude "$RUNS" "${ENVV[@]}" "$CC20" claude session --json --offline
  CC20_CLAUDE=$WALL; CC20_CLAUDE_CPU=$CPU; CC20_RSS=$RSS
  SAME20=$(python3 "$HERE/compare_totals.py" "$WORK/out/ours_claude.json" "$WORK/out/cc20_claude.json" --per-session claude || true)
  measure cc20_codex "$RUNS" "${ENVV[@]}" "$CC20" codex session --json --offline
  CC20_CODEX=$WALL; CC20_CODEX_CPU=$CPU
  SAME20X=$(python3 "$HERE/compare_totals.py" "$WORK/out/ours_codex.json" "$WORK/out/cc20_codex.json" --per-session codex || true)
  measure cc18_claude 1 "${ENVV[@]}" "$CC18" session --json --offline
  CC18_CLAUDE=$WALL; CC18_CLAUDE_CPU=$CPU; CC18_RSS=$RSS
  SAME18=$(python3 "$HERE/compare_totals.py" "$WORK/out/ours_claude.json" "$WORK/out/cc18_claude.json" --tokens-only || true)
fi

# Warm start: the cache is filled once, then nothing changes.
rm -rf "$DATA"
"${ENVV[@]}" SESSIONSCOPE_DATA_DIR="$DATA" "$SS" sessions --json >/dev/null
measure warm 5 "${ENVV[@]}" SESSIONSCOPE_DATA_DIR="$DATA" "$SS" sessions --json
WARM_MS=$(awk -v w="$WALL" 'BEGIN {printf "%.0f", w*1000}')
WARM_COUNT=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$WORK/out/warm.json")

# Full-text search: index build over the whole corpus, then search latency.
FTS_ROW="| full-text index build, ${MB} MB | ≥ 50 MB/s; search p95 ≤ 50 ms | not measured | | |"
if "$SS" search --help >/dev/null 2>&1; then
  FTS_ENV=(env -i PATH="$PATH" HOME="$WORK/fts-home" TZ=UTC CLAUDE_CONFIG_DIR="$CORPUS/claude"
    CODEX_HOME="$CORPUS/codex" SESSIONSCOPE_DATA_DIR="$WORK/fts-data")
  { "${FTS_ENV[@]}" "$SEARCHB" build "$WORK/search.sqlite3" && "${FTS_ENV[@]}" "$SEARCHB" query "$WORK/search.sqlite3" 100; } >"$WORK/out/search.txt" 2>"$WORK/out/search.err" || true
  FTS=$(sed -n 's/^\(build\|query\): //p' "$WORK/out/search.txt" | paste -sd';' - || true)
  FTS_ROW="| full-text index build, ${MB} MB, then search | ≥ 50 MB/s; search p95 ≤ 50 ms | ${FTS:-failed, see $WORK/out/search.err} | | |"
fi

log "append → event latency (1000 appends)"
LAT=$("$LIVE" latency 1000 2>&1 | tail -1 | sed 's/^append->event over 1000 appends: //')
log "idle CPU with 10 000 watched files over ${IDLE_SECS} s"
IDLE=$("$LIVE" idle 10000 "$IDLE_SECS" 2>&1 | tail -1 | sed 's/^.*s: //')

CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
TABLE=$(cat <<MD
Corpus: ${MB} MB (Claude Code ${CLAUDE_FILES} files / ${CLAUDE_MB} MB, Codex ${CODEX_FILES} files), \`tests/bench/gen_corpus.py\`; page cache warm; median of ${RUNS} runs (ccusage 18: 1 run).
Machine: $(nproc) cores, ${CPU_MODEL}, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM, load average before the run ${LOAD_BEFORE}. Command: \`BENCH_SIZE_MB=${SIZE_MB} make bench\`.

| measure | goal | sessionscope | peer | result |
|---|---|---|---|---|
| cold scan of Claude Code ${CLAUDE_MB} MB to per-session totals vs \`ccusage@20.0.24 claude session --json --offline\` | ≥ 2× faster; totals identical | ${OURS_CLAUDE} s (CPU ${OURS_CLAUDE_CPU} s) | ${CC20_CLAUDE} s (CPU ${CC20_CLAUDE_CPU} s) | $(ratio "$OURS_CLAUDE" "$CC20_CLAUDE") faster; ${SAME20} |
| same, vs \`ccusage@18.0.11 session --json --offline\` | ≥ 50× faster | ${OURS_CLAUDE} s | ${CC18_CLAUDE} s (CPU ${CC18_CLAUDE_CPU} s) | $(ratio "$OURS_CLAUDE" "$CC18_CLAUDE") faster; ${SAME18} |
| cold scan of Codex to per-session totals vs \`ccusage@20.0.24 codex session --json --offline\` | totals identical | ${OURS_CODEX} s (CPU ${OURS_CODEX_CPU} s) | ${CC20_CODEX} s (CPU ${CC20_CODEX_CPU} s) | $(ratio "$OURS_CODEX" "$CC20_CODEX") faster; ${SAME20X} |
| cold scan (all ${MB} MB, every session and status) vs \`cat files \| wc -l\` | no slower | ${OURS_ALL} s (CPU ${OURS_ALL_CPU} s) | ${CAT} s (Claude only: ${CAT_CLAUDE} s) | cat is $(ratio "$CAT" "$OURS_ALL") faster |
| warm start (cache present, nothing changed) to full session list, CLI | ≤ 100 ms | ${WARM_MS} ms (${WARM_COUNT} sessions) | | |
| peak RSS during cold scan | ≤ 100 MB | ${OURS_ALL_RSS} MB (Claude only: ${OURS_CLAUDE_RSS} MB) | ccusage 20: ${CC20_RSS} MB, 18: ${CC18_RSS} MB | |
${FTS_ROW}
| append one line → event emitted, over 1000 appends | p95 ≤ 100 ms | ${LAT} | | |
| idle CPU with 10k session files watched, ${IDLE_SECS} s | ≤ 0.5 % of one core | ${IDLE} | | |
MD
)
echo "$TABLE" | tee "$WORK/results.md"

log "scale benchmark (issue 17), BENCH_SIZE=${BENCH_SIZE:-small}"
SESSIONSCOPE="$SS" bash "$HERE/scale_bench.sh" || log "scale_bench.sh failed (exit $?)"

for extra in records_bench.sh run_throughput.sh untrusted_bench.sh gemini_jsonl_bench.sh search_bench.sh; do
  if [ -f "$HERE/$extra" ]; then
    log "running $extra"
    bash "$HERE/$extra" || log "$extra failed (exit $?)"
  fi
done
log "running sync_bench.sh over the corpus"
bash "$HERE/sync_bench.sh" "$CORPUS" "$SS" || log "sync_bench.sh failed (exit $?)"

# UI frame time with 10k sessions and 100 updates/s, in the release app (what users run:
# the debug backend's own work would compete with the web view for the two cores).
# Run at a higher priority than whatever else builds on the machine, and first with no
# updates, so the table shows what the updates cost against the machine's own floor.
if command -v node >/dev/null && command -v tauri-driver >/dev/null; then
  log "building the release app for the UI frame benchmark"
  (cd "$REPO" && cargo build --release -q -p sessionscope-app)
  export SESSIONSCOPE_APP="$CARGO_TARGET_DIR/release/sessionscope-app"
  PRIORITY=()
  [ "$(id -u)" = 0 ] && PRIORITY=(nice -n -10)
  for rate in 0 100; do
    log "UI frame time: 10k sessions, $rate appends/s, 10 s"
    "${PRIORITY[@]}" node "$HERE/ui_frames.mjs" 10000 "$rate" 10 || log "ui_frames failed (exit $?)"
  done
  # Issue 8: frame time with the terminal panel open on a run printing as fast as it can.
  for cmd in yes "cat /dev/zero | base64 -w 100"; do
    log "UI frame time: terminal panel open on \`$cmd\`, 30 s"
    "${PRIORITY[@]}" node "$HERE/terminal_frames.mjs" 30 "$cmd" || log "terminal_frames failed (exit $?)"
  done
  # Issue 15: the one table with 10 remote hosts x 1000 sessions (fake hosts), 1 and 10
  # changes a second per host.
  for rate in 1 10; do
    log "UI frame time: 10 remote hosts x 1000 sessions, $rate changes/s per host, 10 s"
    "${PRIORITY[@]}" node "$HERE/remote_frames.mjs" 10 1000 "$rate" 10 || log "remote_frames failed (exit $?)"
  done
  # Issue 17: the app over 100k sessions (1.9 GB, gen_scale.py; generated once and kept)
  # with 200 live agents writing 10 lines/s each: first window, idle CPU and memory,
  # frames, line-to-screen time.
  SCALE_CORPUS="${SCALE_CORPUS:-$HOME/.cache/sessionscope/bench-data/scale100k}"
  if [ ! -e "$SCALE_CORPUS.done" ]; then
    log "generating the 100k-session corpus in $SCALE_CORPUS"
    python3 "$HERE/gen_scale.py" "$SCALE_CORPUS" 800 100000 60 >/dev/null && touch "$SCALE_CORPUS.done"
  fi
  log "the app at 100k sessions with 200 live agents"
  SCALE_CORPUS="$SCALE_CORPUS" "${PRIORITY[@]}" node "$HERE/app_scale.mjs" 200 10 20 || log "app_scale failed (exit $?)"
fi
# Issue 15: what remote hosts cost over ssh (10 hosts x 1000 sessions, idle for a minute),
# against a loopback sshd the script starts.
if command -v sshd >/dev/null || [ -x /usr/sbin/sshd ]; then
  log "remote hosts: 10 hosts x 1000 sessions over a loopback sshd, 60 s idle"
  SESSIONSCOPE="$CARGO_TARGET_DIR/release/sessionscope" bash "$HERE/remote_idle.sh" || log "remote_idle failed (exit $?)"
fi
