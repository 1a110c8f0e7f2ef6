#!/usr/bin/env bash
# Issue 17: a Gemini CLI `.jsonl` chat of BIG_GEMINI_MB (default 1024) in the release
# build, with peak memory (GNU time's max RSS) and CPU: written as Gemini CLI 0.61
# writes one (each answer appended twice, first while its tool runs, then with the
# result; a `$set` now and then; a rewind every 500 turns), then
# - `sessions --json --no-cache`: the listing (the chat read once, line by line);
# - `transcript big --last 20 --json` three times: building the log index, from the
#   index, and after Gemini appended a turn and a rewind (read on from the end; the
#   listing that notices the change, `sessions --json`, is timed before it);
# - paging back through `serve --stdio` (the app's and a remote host's path): the
#   last page, then PAGES_BACK (default 20) pages of 500 entries before it, each
#   request timed, and one page in the middle of the chat.
# Usage: tests/bench/gemini_jsonl_bench.sh [path/to/sessionscope]. Scratch files go to
# $TMPDIR (1 GB and the offsets store). Prints each number; exits 1 when a page is
# missing or wrong.
set -euo pipefail
bin="${1:-${CARGO_TARGET_DIR:-$HOME/.cache/sessionscope/target}/release/sessionscope}"
big_mb="${BIG_GEMINI_MB:-1024}"
pages_back="${PAGES_BACK:-20}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

chats="$work/gemini/5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592/chats"
mkdir -p "$chats" "$work/home" "$work/data"
chat="$chats/session-2026-11-21T08-30-bigjsonl.jsonl"
python3 - "$chat" "$big_mb" <<'EOF'
import json, sys
path, mb = sys.argv[1], int(sys.argv[2])
out = open(path, "w")
w = lambda o: out.write(json.dumps(o, separators=(",", ":")) + "\n")
w({"sessionId": "bigjsonl-0000-4000-8000-000000000001", "projectHash": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",
   "startTime": "2026-11-21T08:30:00.000Z", "lastUpdated": "2026-11-21T08:30:00.000Z", "kind": "main"})
output = "lorem ipsum dolor sit amet " * 150
i = 0
while out.tell() < mb << 20:
    ts = "2026-11-21T%02d:%02d:%02d.000Z" % (8 + i // 3600 % 12, i // 60 % 60, i % 60)
    w({"id": "u%d" % i, "timestamp": ts, "type": "user", "content": [{"text": "question %d: please look at file %d" % (i, i % 97)}]})
    g = {"id": "g%d" % i, "timestamp": ts, "type": "gemini", "content": "", "thoughts": [{"subject": "Plan", "description": "read it %d" % i}],
         "tokens": {"input": 1000 + i % 500, "output": 60, "cached": 200, "thoughts": 9, "tool": 0, "total": 1069 + i % 500}}
    if i % 10 == 0:
        g["model"] = "gemini-2.5-pro"
    w(g)
    g = dict(g, content="answer %d" % i, toolCalls=[{"id": "c%d" % i, "name": "read_file", "status": "success",
             "args": {"path": "src/f%d.rs" % (i % 97)}, "resultDisplay": "%d %s" % (i, output)}])
    w(g)
    if i % 100 == 7:
        w({"$set": {"summary": "a big chat", "lastUpdated": ts}})
    if i % 500 == 499:
        w({"$rewindTo": "u%d" % (i - 1)})
    i += 1
w({"id": "u%d" % i, "type": "user", "content": "needle-at-the-end"})
print("%d turns, %d MiB" % (i, out.tell() >> 20))
EOF
failed=0
measure() { # leaves "WALL KIB USER SYS" in $work/time, stdout+stderr in $work/out
  env -i PATH="$PATH" HOME="$work/home" TZ=UTC SESSIONSCOPE_DATA_DIR="$work/data" \
    GEMINI_DATA_DIR="$work/gemini" CLAUDE_CONFIG_DIR="$work/none" CODEX_HOME="$work/none" \
    GPTME_LOGS_DIR="$work/none" OPENCODE_DATA_DIR="$work/none" COPILOT_STATE_DIR="$work/none" \
    /usr/bin/time -o "$work/time" -f '%e %M %U %S' "$@" >"$work/out" 2>&1 || true
}
show() {
  read -r secs kib user sys <"$work/time"
  echo "  $1: $secs s wall, $user s user + $sys s sys, peak RSS $((kib / 1024)) MiB"
}
echo "A Gemini .jsonl chat of ${big_mb} MiB ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)):"
measure "$bin" sessions --json --no-cache
show "sessions --json --no-cache"
grep -q "bigjsonl" "$work/out" || { echo "    the chat is not listed: FAIL"; failed=1; }
for run in "first (indexes it)" "again (index present)" "after a turn and a rewind appended"; do
  if [ "$run" = "after a turn and a rewind appended" ]; then
    printf '%s\n' '{"id":"uX","type":"user","content":"needle-appended"}' \
      '{"id":"gX","type":"gemini","content":"answer X","model":"gemini-2.5-pro"}' \
      '{"$rewindTo":"gX"}' '{"id":"gY","type":"gemini","content":"needle-after-the-rewind"}' >>"$chat"
    # `transcript` finds a changed file by a scan (through the cache): timed apart.
    measure "$bin" sessions --json
    show "sessions --json after the append (the listing reads the changed chat)"
  fi
  measure "$bin" transcript bigjsonl --last 20 --json
  show "transcript --last 20, $run"
  want="needle-at-the-end"
  [ "$run" = "after a turn and a rewind appended" ] && want="needle-after-the-rewind"
  if ! grep -q "$want" "$work/out" || grep -q '"answer X"' "$work/out"; then
    echo "    its last page is wrong: $(head -c 300 "$work/out")"
    failed=1
  fi
done
# Paging back as the app does: serve --stdio, requests timed one by one.
env -i PATH="$PATH" HOME="$work/home" TZ=UTC SESSIONSCOPE_DATA_DIR="$work/data" \
  GEMINI_DATA_DIR="$work/gemini" CLAUDE_CONFIG_DIR="$work/none" CODEX_HOME="$work/none" \
  GPTME_LOGS_DIR="$work/none" OPENCODE_DATA_DIR="$work/none" COPILOT_STATE_DIR="$work/none" \
  python3 - "$bin" "$pages_back" "$work/time" <<'EOF' || failed=1
import json, subprocess, sys, time
binary, pages, timefile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
p = subprocess.Popen(["/usr/bin/time", "-o", timefile, "-f", "%e %M %U %S", binary, "serve", "--stdio"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def message():
    line = p.stdout.readline()
    if not line:
        sys.exit("serve ended")
    return json.loads(line)
while message().get("type") != "snapshot":
    pass
n = 0
def ask(**req):
    global n
    n += 1
    req = dict(kind="transcript", session="bigjsonl", max_text_bytes=16384, **req)
    t = time.monotonic()
    p.stdin.write((json.dumps({"id": n, "request": req}) + "\n").encode())
    p.stdin.flush()
    while True:
        m = message()
        if m.get("type") == "reply" and m.get("id") == n:
            if m.get("error"):
                sys.exit("error: " + m["error"])
            return m["answer"]["page"], (time.monotonic() - t) * 1000
tail, ms = ask(last=20)
times = [ms]
first = tail["entries"][0]["index"]
print("  serve: last page of 20 (entries %d..): %.0f ms" % (first, ms))
for _ in range(pages):
    page, ms = ask(last=500, before=first)
    times.append(ms)
    idx = [e["index"] for e in page["entries"]]
    if idx != list(range(first - len(idx), first)) or not idx:
        sys.exit("page before %d is wrong: %s" % (first, idx[:3]))
    first = idx[0]
back = sorted(times[1:])
print("  serve: %d pages of 500 back (to entry %d): median %.0f ms, max %.0f ms" % (pages, first, back[len(back) // 2], back[-1]))
mid, ms = ask(last=500, before=first // 2)
print("  serve: a page of 500 in the middle (before entry %d): %.0f ms" % (first // 2, ms))
print("  (each time includes this script's decoding of the answer: %d KiB for a page of 500)" % (len(json.dumps(mid)) >> 10))
p.stdin.close()
p.wait()
EOF
read -r secs kib user sys <"$work/time"
echo "  serve (start, scan through the cache, the requests above): $user s user + $sys s sys, peak RSS $((kib / 1024)) MiB"
echo "  offsets store: $(du -k "$work/data/transcript_offsets.sqlite3" | cut -f1) KiB"
exit "$failed"
