#!/usr/bin/env python3
"""Compare `sessionscope usage --by session --json` with a ccusage `session --json`.

Usage: compare_totals.py OURS.json THEIRS.json [--per-session claude|codex | --tokens-only]
Prints one line: "identical" (every token total equal, costs equal to 1e-9 relative)
or what differs. With --per-session, sessions are matched one by one too (ccusage 20
keys Claude sessions by file name and Codex sessions by rollout path); without, only
the grand totals are compared (ccusage 18 groups Claude sessions by project folder).
--tokens-only notes a cost difference instead of failing: ccusage 18 charges 1-hour
cache writes at the 5-minute price, which ccusage 20 and sessionscope do not.
Exit status 1 when something differs.
"""

import json
import sys

KEYS = ["inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens"]


def cost(row):
    return row.get("totalCost", row.get("costUSD", 0.0)) or 0.0


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def main():
    ours = json.load(open(sys.argv[1]))
    theirs = json.load(open(sys.argv[2]))
    mode = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--per-session" else None
    tokens_only = "--tokens-only" in sys.argv
    problems = []
    note = ""
    for k in KEYS:
        if ours["totals"].get(k, 0) != theirs["totals"].get(k, 0):
            problems.append(f"total {k}: ours {ours['totals'].get(k, 0)} vs {theirs['totals'].get(k, 0)}")
    if not close(cost(ours["totals"]), cost(theirs["totals"])):
        diff = f"cost ours ${cost(ours['totals']):.2f} vs ${cost(theirs['totals']):.2f}"
        if tokens_only:
            note = f"; {diff} (1-hour cache writes priced differently)"
        else:
            problems.append("total " + diff)
    if mode:
        mine = {s["sessionId"]: s for s in ours["sessions"]}
        matched = 0
        for s in theirs["sessions"]:
            sid = s["sessionId"]
            if mode == "codex":
                sid = next((k for k in mine if sid.endswith(k)), sid)
            m = mine.get(sid)
            if m is None:
                problems.append(f"session {sid}: missing in ours")
                continue
            bad = [k for k in KEYS if m.get(k, 0) != s.get(k, 0)]
            if bad or not close(cost(m), cost(s)):
                problems.append(f"session {sid}: {bad or 'cost'} differ")
            matched += 1
        if len(theirs["sessions"]) != len(ours["sessions"]):
            problems.append(f"session count: ours {len(ours['sessions'])} vs {len(theirs['sessions'])}")
    if problems:
        print("DIFFERENT: " + "; ".join(problems[:5]))
        sys.exit(1)
    n = len(theirs["sessions"])
    what = "identical" if not note else "tokens identical"
    print(f"{what} ({n} {'sessions' if mode else 'groups'}, {ours['totals']['totalTokens']} tokens){note}")


if __name__ == "__main__":
    main()
