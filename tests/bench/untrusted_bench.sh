#!/usr/bin/env bash
# Issue 20's big inputs, in the release build, with peak memory (GNU time's max RSS):
# - Gemini chats of BIG_GEMINI_MB (default 1024, over the 64 MiB whole-file cap),
#   MID_GEMINI_MB (default 60, under it) and a few bytes: `sessions` lists all three
#   (the big one decoded as a stream, one message at a time), `transcript big --last
#   20` shows the big one's last page (three times: indexing it, from the index, and
#   after a rewrite with one more message), `search` reads the two that fit (a needle in
#   each is found) and says "too large to read" for the big one, each under a peak
#   RSS of PEAK_CAP_MB (default 512);
# - `records append` after a 64 MiB unterminated tail in the store: under 2 s of CPU
#   (user + sys; the wall time is printed too, and on an idle machine is the same).
# Usage: tests/bench/untrusted_bench.sh [path/to/sessionscope]. Scratch files go to
# $TMPDIR (1.1 GB; /dev/shm keeps them off a small disk). Prints each number and
# whether it is within its bound; exits 1 when one is not.
set -euo pipefail
bin="${1:-${CARGO_TARGET_DIR:-$HOME/.cache/sessionscope/target}/release/sessionscope}"
big_mb="${BIG_GEMINI_MB:-1024}"
mid_mb="${MID_GEMINI_MB:-60}"
cap_mb="${PEAK_CAP_MB:-512}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

chats="$work/gemini/5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592/chats"
mkdir -p "$chats" "$work/home" "$work/data" "$work/store"
python3 - "$chats" "$big_mb" "$mid_mb" <<'EOF'
import sys
chats, big, mid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
head = '{"sessionId":"%s","projectHash":"5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592","startTime":"2026-11-20T10:00:00.000Z","lastUpdated":"2026-11-20T10:30:00.000Z","messages":['
msg = '{"id":"m%d","timestamp":"2026-11-20T10:00:01.000Z","type":"%s","content":"%s"}'
def chat(name, sid, mb, needle):
    with open(f"{chats}/{name}", "w") as f:
        f.write(head % sid)
        text = "lorem ipsum dolor " * 3000
        i, size = 0, 0
        while size < mb << 20:
            line = ("," if i else "") + msg % (i, "user" if i % 2 == 0 else "gemini", text)
            f.write(line)
            size += len(line)
            i += 1
        f.write("," + msg % (i, "user", needle) + "]}")
chat("session-2026-11-20T10-00-big00000.json", "big", big, "needle-in-the-big-one")
chat("session-2026-11-20T10-30-mid00000.json", "mid", mid, "needle-in-the-mid-one")
with open(f"{chats}/session-2026-11-20T11-00-small000.json", "w") as f:
    f.write(head % "small" + msg % (0, "user", "needle-in-the-small-one") + "]}")
EOF
failed=0
within() { # NAME VALUE LIMIT UNIT
  if awk -v v="$2" -v l="$3" 'BEGIN { exit !(v <= l) }'; then
    echo "    $1: $2 $4 <= $3 $4: ok"
  else
    echo "    $1: $2 $4 > $3 $4: OVER"
    failed=1
  fi
}
# Runs "$@" with only this bench's folders, under GNU time; leaves "WALL KIB USER SYS" in
# $work/time and the command's stdout and stderr in $work/out.
measure() {
  env -i PATH="$PATH" HOME="$work/home" TZ=UTC SESSIONSCOPE_DATA_DIR="$work/data" \
    GEMINI_DATA_DIR="$work/gemini" CLAUDE_CONFIG_DIR="$work/none" CODEX_HOME="$work/none" \
    GPTME_LOGS_DIR="$work/none" OPENCODE_DATA_DIR="$work/none" COPILOT_STATE_DIR="$work/none" \
    /usr/bin/time -o "$work/time" -f '%e %M %U %S' "$@" >"$work/out" 2>&1 || true
}
echo "Gemini chats of ${big_mb} MiB, ${mid_mb} MiB and a few bytes ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)):"
for cmd in "sessions --json --no-cache" "search needle --json"; do
  # shellcheck disable=SC2086
  measure "$bin" $cmd
  read -r secs kib user sys <"$work/time"
  echo "  $cmd: $secs s ($user s user + $sys s sys), peak RSS $((kib / 1024)) MiB"
  within "peak RSS" "$((kib / 1024))" "$cap_mb" MiB
  for which in small mid; do
    if grep -q "in-the-$which-one\|${which}000" "$work/out"; then echo "    the $which chat is read"; else echo "    the $which chat is MISSING"; failed=1; fi
  done
  case "$cmd" in
  sessions*)
    # Listed with its messages counted: read to the end, as a stream.
    if grep -q "big00000" "$work/out" && ! grep -q "too large to read" "$work/out"; then
      echo "    the big chat is listed (read as a stream)"
    else
      echo "    the big chat is not listed: FAIL ($(grep -o 'too large to read[^"]*' "$work/out" | head -1))"
      failed=1
    fi
    ;;
  *)
    if grep -q "too large to read" "$work/out"; then
      echo "    the big chat: \"$(grep -o 'too large to read[^"]*' "$work/out" | head -1)\""
    elif grep -q "in-the-big-one\|big00000" "$work/out"; then
      echo "    the big chat was read whole: FAIL"
      failed=1
    else
      echo "    the big chat is skipped (no \"too large to read\" in this command's output)"
    fi
    ;;
  esac
done
# The first read indexes the chat's messages (one decoding pass); the second reads
# its last page from the index; the third follows a rewrite with one more message
# (as Gemini CLI writes: the same bytes before it), hashing the unchanged marks and
# decoding only the end.
for run in "first (indexes it)" "again (index present)" "after a rewrite with one more message"; do
  if [ "$run" = "after a rewrite with one more message" ]; then
    python3 - "$chats/session-2026-11-20T10-00-big00000.json" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(-2, 2)
    f.write(b',{"id":"late","timestamp":"2026-11-20T10:31:00.000Z","type":"gemini","content":"needle-after-the-rewrite"}]}')
EOF
  fi
  measure "$bin" transcript big --last 20 --json
  read -r secs kib user sys <"$work/time"
  echo "  transcript big --last 20 --json, $run: $secs s ($user s user + $sys s sys), peak RSS $((kib / 1024)) MiB"
  within "peak RSS" "$((kib / 1024))" "$cap_mb" MiB
  if grep -q "needle-in-the-big-one" "$work/out"; then
    echo "    its last page is shown"
  else
    echo "    its last page is MISSING: $(head -c 300 "$work/out")"
    failed=1
  fi
done
if ! grep -q "needle-after-the-rewrite" "$work/out"; then
  echo "    the message added by the rewrite is MISSING"
  failed=1
fi

python3 - "$work/store/session-records.jsonl" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1000):
        f.write('{"session_id":"%08d","timestamp":"2026-01-01T00:00:00+00:00"}\n' % i)
    f.write('{"session_id":"torn","notes":"' + "x" * (64 << 20))
EOF
measure "$bin" records --sessions-dir "$work/store" append --harness gptme --outcome noop
read -r secs kib user sys <"$work/time"
cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
echo "records append after a 64 MiB torn tail: $secs s wall, $cpu s CPU, peak RSS $((kib / 1024)) MiB"
within "CPU time" "$cpu" 2 s
lines=$(wc -l <"$work/store/session-records.jsonl")
size=$(stat -c %s "$work/store/session-records.jsonl")
echo "    store after: $lines lines, $size bytes (the torn tail cut, the new record appended)"
exit "$failed"
