#!/usr/bin/env bash
# Time `sessionscope records sync --signals` over a generated agent history (issue 7):
# first into an empty store (every transcript read and recorded), then again (nothing
# new: the re-run must be cheap and write nothing), with the records it wrote counted.
# Usage: tests/bench/sync_bench.sh CORPUS_DIR [path/to/sessionscope]
# CORPUS_DIR is what gen_corpus.py made (claude/ and codex/ inside). Not a test.
set -euo pipefail
corpus="$1"
bin="${2:-${CARGO_TARGET_DIR:-$HOME/.cache/sessionscope/target}/release/sessionscope}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
run() {
  env -i PATH="$PATH" HOME="$work/home" TZ=UTC CLAUDE_CONFIG_DIR="$corpus/claude" \
    CODEX_HOME="$corpus/codex" GPTME_LOGS_DIR="$work/none" GEMINI_DATA_DIR="$work/none" \
    OPENCODE_DATA_DIR="$work/none" COPILOT_STATE_DIR="$work/none" \
    /usr/bin/time -f "%e s wall, %U+%S s CPU, %M KB peak RSS" \
    "$bin" records --sessions-dir "$work/store" sync --signals --since all "$@"
}
mb=$(find "$corpus" -name '*.jsonl' -printf '%s\n' | awk '{s+=$1} END {printf "%.0f", s/1048576}')
cold=$(run 2>&1 >/dev/null | tail -1)
records=$(grep -c . "$work/store/session-records.jsonl")
again=$(run 2>&1 >/dev/null | tail -1)
after=$(grep -c . "$work/store/session-records.jsonl")
echo "records sync --signals over ${mb} MB: first run ${cold} (${records} records written); re-run ${again} (${after} records after it)"
