#!/usr/bin/env python3
"""Generate a heavy user's history for the scale benchmark (issue 17).

Usage: gen_scale.py OUT_DIR SIZE_MB FILES BIG_MB [--seed N]

Writes FILES session files of SIZE_MB in all (BIG_MB of it in one Claude Code
transcript), mixed the way a heavy user's disk is:
- Claude Code 70 % of the files (CLAUDE_CONFIG_DIR=OUT_DIR/claude, 200 project
  folders), Codex 25 % (CODEX_HOME=OUT_DIR/codex, one folder per day), and gptme,
  Gemini CLI and Copilot CLI the rest (GPTME_LOGS_DIR=OUT_DIR/gptme,
  GEMINI_DATA_DIR=OUT_DIR/gemini, COPILOT_STATE_DIR=OUT_DIR/copilot);
- two shapes, half of the Claude and Codex files each: "short" (tool outputs of
  64 B - 2 KB, so every line is under 4 KiB: the case where condensing long lines
  does not help) and "huge" (tool outputs of 1 KB - 1 MB, as gen_corpus.py writes);
- one Claude Code transcript of BIG_MB (the "1.2 GB file" of issue 17), written in
  16 MB parts so this script never holds it in memory; its session id is printed
  on the last line as "big: <id>".
Session sizes are exponential around what is left to write per file left, so the
total lands near SIZE_MB. Deterministic for a given seed and arguments. Writes only
under OUT_DIR.
"""

import argparse
import datetime as dt
import json
import math
import os
import random
import uuid

from gen_corpus import Text, claude_session, codex_session, dumps, iso, tool_output_size


def short_output(rng):
    return int(math.exp(rng.uniform(math.log(64), math.log(2048))))


def gptme_session(rng, text, target, start):
    """A gptme conversation.jsonl: system prompt, then user / assistant / tool turns."""
    name = f"{start:%Y-%m-%d}-{''.join(rng.choice('abcdefghijklmnop') for _ in range(10))}"
    t = start
    lines = [
        dumps({"role": "system", "content": "You are gptme.", "timestamp": t.isoformat() + "+00:00", "files": [], "pinned": True, "hide": True})
    ]
    size = len(lines[0])
    while size < target:
        t += dt.timedelta(seconds=rng.randint(2, 60))
        recs = [
            {"role": "user", "content": text.sentence(5, 30), "timestamp": t.isoformat() + "+00:00", "files": []},
            {
                "role": "assistant",
                "content": text.sentence(5, 40) + "\n```shell\nls\n```",
                "timestamp": (t + dt.timedelta(seconds=3)).isoformat() + "+00:00",
                "metadata": {
                    "model": "anthropic/claude-sonnet-4-5",
                    "usage": {"input_tokens": rng.randint(100, 5000), "output_tokens": rng.randint(10, 900), "cache_read_tokens": 0, "cache_creation_tokens": 0},
                },
            },
            {"role": "system", "content": "Ran command: `ls`\n```stdout\n" + text.take(short_output(rng)) + "\n```", "timestamp": (t + dt.timedelta(seconds=4)).isoformat() + "+00:00"},
        ]
        for r in recs:
            s = dumps(r)
            lines.append(s)
            size += len(s) + 1
    return os.path.join(name, "conversation.jsonl"), "\n".join(lines) + "\n"


def copilot_session(rng, text, target, start):
    """A Copilot CLI events.jsonl: session.start, then user messages, answers and tools."""
    sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    t = start
    n = 0
    lines = []
    size = 0

    def ev(kind, data):
        nonlocal n, size
        n += 1
        s = dumps({"type": kind, "data": data, "id": f"ev-{n}", "timestamp": iso(t), "parentId": f"ev-{n - 1}" if n > 1 else None})
        lines.append(s)
        size += len(s) + 1

    ev("session.start", {"sessionId": sid, "version": 1, "producer": "copilot-agent", "copilotVersion": "0.0.350", "startTime": iso(t), "selectedModel": "claude-sonnet-4.5", "context": {"cwd": "/home/dev/site"}})
    turn = 0
    while size < target:
        turn += 1
        t += dt.timedelta(seconds=rng.randint(2, 60))
        ev("user.message", {"content": text.sentence(5, 30), "attachments": []})
        ev("assistant.turn_start", {"turnId": str(turn)})
        call = f"tool-{turn}"
        ev("assistant.message", {"messageId": f"am-{turn}", "content": text.sentence(5, 30), "toolRequests": [{"toolCallId": call, "name": "bash", "arguments": {"command": "ls"}}]})
        ev("tool.execution_start", {"toolCallId": call, "toolName": "bash", "arguments": {"command": "ls"}})
        ev("tool.execution_complete", {"toolCallId": call, "success": True, "result": {"content": text.take(short_output(rng))}})
        ev("assistant.turn_end", {"turnId": str(turn)})
    return os.path.join(sid, "events.jsonl"), "\n".join(lines) + "\n"


def gemini_session(rng, text, target, start):
    """A Gemini CLI chat in its line format (a header, then user and gemini messages)."""
    sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    project = "%064x" % rng.getrandbits(256)
    t = start
    lines = [dumps({"sessionId": sid, "projectHash": project, "startTime": iso(t), "lastUpdated": iso(t), "kind": "main"})]
    size = len(lines[0])
    n = 0
    while size < target:
        n += 1
        t += dt.timedelta(seconds=rng.randint(2, 60))
        inp, out = rng.randint(100, 5000), rng.randint(10, 900)
        for r in (
            {"id": f"u{n}", "timestamp": iso(t), "type": "user", "content": [{"text": text.sentence(5, 30)}]},
            {"id": f"g{n}", "timestamp": iso(t + dt.timedelta(seconds=3)), "type": "gemini", "content": text.sentence(5, 60), "model": "gemini-2.5-flash", "tokens": {"input": inp, "output": out, "cached": 0, "thoughts": 0, "tool": 0, "total": inp + out}},
        ):
            s = dumps(r)
            lines.append(s)
            size += len(s) + 1
    return os.path.join(project, "chats", f"session-{t:%Y-%m-%dT%H-%M}-{sid[:8]}.jsonl"), "\n".join(lines) + "\n"


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("size_mb", type=float)
    ap.add_argument("files", type=int)
    ap.add_argument("big_mb", type=float)
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    text = Text(rng)
    out = args.out
    epoch = dt.datetime(2025, 1, 1, 8, 0, 0)
    projects = [f"-home-dev-proj{i:03d}" for i in range(200)]
    counts = {}
    written = 0

    # The one big transcript first, in parts of one session.
    big_bytes = int(args.big_mb * 1024 * 1024)
    sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    big = os.path.join(out, "claude", "projects", projects[0], sid + ".jsonl")
    os.makedirs(os.path.dirname(big), exist_ok=True)
    t = epoch
    part = 0
    with open(big, "wb") as f:
        while written < big_bytes:
            chunk = min(16 * 1024 * 1024, big_bytes - written)
            sizes = short_output if part % 2 else tool_output_size
            _, body, t = claude_session(rng, text, chunk, t, "proj000", out_size=sizes, sid=sid, turn0=(part + 1) * 100000, noise=False, tag=sid.replace("-", ""))
            data = body.encode()
            f.write(data)
            written += len(data)
            part += 1
    counts["claude"] = 1

    total = int(args.size_mb * 1024 * 1024)
    left_files = args.files - 1
    while left_files > 0:
        mean = max(2048, (total - written) / left_files)
        target = min(max(1024, rng.expovariate(1 / mean)), 8 * mean)
        start = epoch + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 700))
        sizes = short_output if rng.random() < 0.5 else tool_output_size
        r = rng.random()
        if r < 0.70:
            project = rng.choice(projects)
            sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            sid, body, _ = claude_session(rng, text, target, start, project[10:], out_size=sizes, sid=sid, tag=sid.replace("-", ""))
            n = write(os.path.join(out, "claude", "projects", project, sid + ".jsonl"), body.encode())
            agent = "claude"
        elif r < 0.95:
            sid, body, _ = codex_session(rng, text, target, start, out_size=sizes)
            name = f"rollout-{start:%Y-%m-%dT%H-%M-%S}-{sid}.jsonl"
            n = write(os.path.join(out, "codex", "sessions", f"{start:%Y/%m/%d}", name), body.encode())
            agent = "codex"
        else:
            agent = rng.choice(["gptme", "gemini", "copilot"])
            make = {"gptme": gptme_session, "gemini": gemini_session, "copilot": copilot_session}[agent]
            rel, body = make(rng, text, min(target, 256 * 1024), start)
            n = write(os.path.join(out, agent, rel), body.encode())
        counts[agent] = counts.get(agent, 0) + 1
        written += n
        left_files -= 1
    print("; ".join(f"{k}: {v} files" for k, v in sorted(counts.items())) + f"; {written / 1048576:.0f} MiB in all")
    print(f"big: {os.path.basename(big)[:-len('.jsonl')]}")


if __name__ == "__main__":
    main()
