#!/usr/bin/env python3
"""Generate a synthetic Claude Code + Codex history of a given size for benchmarks.

Usage: gen_corpus.py OUT_DIR SIZE_MB [--seed N] [--codex-share 0.2]

Writes OUT_DIR/claude/projects/<slug>/<uuid>.jsonl (CLAUDE_CONFIG_DIR=OUT_DIR/claude)
and OUT_DIR/codex/sessions/YYYY/MM/DD/rollout-*.jsonl (CODEX_HOME=OUT_DIR/codex).

Shapes follow what the agents write (compact JSON, one record per line):
- Claude: prompts, streamed assistant messages written as 1-3 lines sharing
  `message.id` + `requestId` with identical usage (counted once), tool calls and
  tool results of 1 KB - 1 MB (log-uniform, so most are small), thinking blocks,
  summaries and file-history snapshots, non-ASCII text, and in a few files a torn
  line (cut mid-record) or a malformed one.
- Codex: session_meta, turn_context, user/agent messages, function calls with
  outputs of 1 KB - 1 MB, token_count events with last and total usage.
Deterministic for a given seed. Nothing here reads or writes outside OUT_DIR.
"""

import argparse
import datetime as dt
import json
import math
import os
import random
import uuid

WORDS = (
    "the a fix test build error cargo rust parser index cache session token usage "
    "file line read write async await struct enum impl trait match Result Option "
    "unwrap panic thread mutex channel sqlite query migration schema offset inode "
    "déjà vu naïve café straße Ελληνικά русский текст 日本語のテキスト 中文 한국어 "
    "emoji 🚀 ✅ ❌ → ≤ ≥ “quotes” 'single' \"double\" back\\slash tab\t"
).split(" ")

CLAUDE_MODELS = [
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-1-20250805",
    "claude-haiku-4-5-20251001",
]
CODEX_MODELS = ["gpt-5", "gpt-5-codex", "gpt-5-mini"]


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class Text:
    """Slices of one big pool of code-like text: cheap to produce at any size."""

    def __init__(self, rng):
        parts = []
        size = 0
        # Code has a long tail of identifiers: a vocabulary of 50k of them.
        idents = [
            rng.choice(["fn_", "get", "set", "parse", "Index", "err", "tmp", ""])
            + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randint(4, 9)))
            for _ in range(50_000)
        ]
        while size < 3_000_000:
            n = rng.randint(3, 14)
            line = " ".join(rng.choice(WORDS) if rng.random() < 0.7 else rng.choice(idents) for _ in range(n))
            if rng.random() < 0.3:
                line = "    " + line + ";"
            parts.append(line)
            size += len(line) + 1
        self.pool = "\n".join(parts)
        self.rng = rng

    def take(self, nbytes):
        # Characters, not bytes: close enough, non-ASCII makes some a little longer.
        nbytes = max(1, int(nbytes))
        out = []
        while nbytes > 0:
            n = min(nbytes, len(self.pool) - 1)
            start = self.rng.randrange(0, len(self.pool) - n)
            out.append(self.pool[start : start + n])
            nbytes -= n
        return "".join(out)

    def sentence(self, lo=4, hi=30):
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(lo, hi)))


def tool_output_size(rng):
    # 1 KB - 1 MB, skewed small as real tool output is: nine in ten are 1-16 KB
    # (log-uniform), one in ten 16 KB - 1 MB.
    lo, hi = (1024, 16 * 1024) if rng.random() < 0.9 else (16 * 1024, 1024 * 1024)
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def claude_session(rng, text, target_bytes, start, project, out_size=tool_output_size, sid=None, turn0=0, noise=True, tag=None):
    """One Claude Code session of about `target_bytes`: (session id, body, end time).

    `out_size(rng)` draws tool output sizes; `sid` and `turn0` continue an earlier
    part of the same session (a big file written in parts); `noise` allows the summary
    line and the torn or malformed lines of a few files. Message and request ids are
    built from `tag` (default: the first 8 characters of the session id, which two of
    100k sessions share: pass the whole id there so ids stay unique)."""
    sid = sid or str(uuid.UUID(int=rng.getrandbits(128), version=4))
    tag = tag or sid[:8]
    cwd = "/home/dev/" + project
    base = {
        "parentUuid": None,
        "isSidechain": False,
        "userType": "external",
        "cwd": cwd,
        "sessionId": sid,
        "version": "2.0.30",
        "gitBranch": rng.choice(["main", "feat/ünïcode", "fix/parser"]),
    }
    lines = []
    size = 0
    t = start
    model = rng.choice(CLAUDE_MODELS)
    n = 0

    def rec(kind, extra):
        nonlocal size, n
        n += 1
        d = dict(base)
        d["type"] = kind
        d["uuid"] = f"{sid[:8]}-{turn0:06d}-{n:06d}" if turn0 else f"{sid[:8]}-{n:06d}"
        d["timestamp"] = iso(t)
        d.update(extra)
        s = dumps(d)
        lines.append(s)
        size += len(s.encode()) + 1

    rec("user", {"message": {"role": "user", "content": text.sentence(5, 40)}})
    turn = turn0
    while size < target_bytes:
        turn += 1
        t += dt.timedelta(seconds=rng.randint(2, 90))
        req = f"req_{tag}_{turn:05d}"
        mid = f"msg_{tag}_{turn:05d}"
        cache_write = rng.randint(0, 30000)
        # As Claude Code writes it: the cache writes split into 5-minute and 1-hour
        # parts that add up to cache_creation_input_tokens.
        one_hour = cache_write // 3 if rng.random() < 0.1 else 0
        usage = {
            "input_tokens": rng.randint(1, 5000),
            "cache_creation_input_tokens": cache_write,
            "cache_read_input_tokens": rng.randint(0, 150000),
            "cache_creation": {
                "ephemeral_5m_input_tokens": cache_write - one_hour,
                "ephemeral_1h_input_tokens": one_hour,
            },
            "output_tokens": rng.randint(1, 4000),
            "service_tier": "standard",
        }
        use_tool = rng.random() < 0.7
        blocks = [{"type": "thinking", "thinking": text.sentence(10, 60), "signature": "sig"}]
        # Streaming: the same message written as 1-3 lines with identical usage.
        for i in range(rng.randint(1, 3)):
            if i > 0:
                blocks = [{"type": "text", "text": text.sentence(5, 50)}]
            last = i == 2 or rng.random() < 0.5
            stop = ("tool_use" if use_tool else "end_turn") if last else None
            if last and use_tool:
                blocks = [
                    {
                        "type": "tool_use",
                        "id": f"toolu_{sid[:8]}_{turn:05d}",
                        "name": rng.choice(["Bash", "Read", "Edit", "Grep"]),
                        "input": {"command": text.sentence(2, 8)},
                    }
                ]
            rec(
                "assistant",
                {
                    "requestId": req,
                    "message": {
                        "id": mid,
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": blocks,
                        "stop_reason": stop,
                        "stop_sequence": None,
                        "usage": usage,
                    },
                },
            )
            if last:
                break
        t += dt.timedelta(seconds=rng.randint(1, 30))
        if use_tool:
            rec(
                "user",
                {
                    "message": {
                        "role": "user",
                        "content": [
                            {
                                "tool_use_id": f"toolu_{sid[:8]}_{turn:05d}",
                                "type": "tool_result",
                                "content": text.take(out_size(rng)),
                                "is_error": rng.random() < 0.05,
                            }
                        ],
                    },
                    "toolUseResult": {"stdout": "", "stderr": "", "interrupted": False},
                },
            )
        elif rng.random() < 0.5:
            rec("user", {"message": {"role": "user", "content": text.sentence(5, 60)}})
        if rng.random() < 0.02:
            lines.append(dumps({"type": "file-history-snapshot", "messageId": mid, "snapshot": {"trackedFileBackups": {}}}))
    if not noise:
        return sid, "\n".join(lines) + "\n", t
    if rng.random() < 0.3:
        lines.insert(0, dumps({"type": "summary", "summary": text.sentence(3, 10), "leafUuid": f"{sid[:8]}-000001"}))
    # A few torn or malformed lines, as a crash or a concurrent write leaves them.
    r = rng.random()
    if r < 0.03:
        i = rng.randrange(len(lines))
        lines[i] = lines[i][: len(lines[i]) // 2]
    elif r < 0.05:
        lines.insert(rng.randrange(len(lines)), '{"type":"assistant","message":{"id":')
    return sid, "\n".join(lines) + "\n", t


def codex_session(rng, text, target_bytes, start, out_size=tool_output_size):
    sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    model = rng.choice(CODEX_MODELS)
    t = start
    lines = []
    size = 0

    def rec(kind, payload):
        nonlocal size
        s = dumps({"timestamp": iso(t), "type": kind, "payload": payload})
        lines.append(s)
        size += len(s.encode()) + 1

    rec(
        "session_meta",
        {
            "id": sid,
            "timestamp": iso(t),
            "cwd": "/home/dev/" + rng.choice(["api", "web", "ößcli"]),
            "originator": "codex_cli_rs",
            "cli_version": "0.60.0",
            "instructions": None,
            "git": {"branch": "main"},
        },
    )
    rec("turn_context", {"cwd": "/home/dev/api", "approval_policy": "on-request", "model": model, "effort": "medium"})
    total = {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0, "reasoning_output_tokens": 0, "total_tokens": 0}
    turn = 0
    while size < target_bytes:
        turn += 1
        t += dt.timedelta(seconds=rng.randint(2, 60))
        prompt = text.sentence(5, 40)
        rec("response_item", {"type": "message", "role": "user", "content": [{"type": "input_text", "text": prompt}]})
        rec("event_msg", {"type": "user_message", "message": prompt, "images": []})
        call = f"call_{sid[:8]}_{turn:05d}"
        rec("response_item", {"type": "function_call", "name": "shell", "arguments": dumps({"command": ["bash", "-lc", text.sentence(2, 6)]}), "call_id": call})
        t += dt.timedelta(seconds=rng.randint(1, 20))
        out = dumps({"output": text.take(out_size(rng)), "metadata": {"exit_code": 0, "duration_seconds": 0.1}})
        rec("response_item", {"type": "function_call_output", "call_id": call, "output": out})
        answer = text.sentence(5, 50)
        rec("response_item", {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": answer}]})
        rec("event_msg", {"type": "agent_message", "message": answer})
        inp = rng.randint(1000, 60000)
        last = {
            "input_tokens": inp,
            "cached_input_tokens": rng.randint(0, inp),
            "output_tokens": rng.randint(10, 3000),
            "reasoning_output_tokens": rng.randint(0, 500),
        }
        last["total_tokens"] = last["input_tokens"] + last["output_tokens"]
        for k in total:
            total[k] += last[k]
        rec("event_msg", {"type": "token_count", "info": {"total_token_usage": dict(total), "last_token_usage": last, "model_context_window": 272000}, "rate_limits": None})
    return sid, "\n".join(lines) + "\n", t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("size_mb", type=float)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--codex-share", type=float, default=0.2)
    ap.add_argument("--session-mb", type=float, default=0.55, help="mean session size")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    text = Text(rng)
    total = int(args.size_mb * 1024 * 1024)
    epoch = dt.datetime(2026, 9, 1, 8, 0, 0)
    projects = ["api", "web", "cli-tool", "données", "infra", "docs"]
    written = {"claude": 0, "codex": 0}
    files = {"claude": 0, "codex": 0}
    budget = {"codex": int(total * args.codex_share)}
    budget["claude"] = total - budget["codex"]
    mean = args.session_mb * 1024 * 1024
    for agent in ("claude", "codex"):
        while written[agent] < budget[agent]:
            target = min(rng.expovariate(1 / mean), 8 * mean, budget[agent] - written[agent])
            start = epoch + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 80))
            if agent == "claude":
                project = rng.choice(projects)
                sid, body, _ = claude_session(rng, text, target, start, project)
                d = os.path.join(args.out, "claude", "projects", "-home-dev-" + project)
                path = os.path.join(d, sid + ".jsonl")
            else:
                sid, body, _ = codex_session(rng, text, target, start)
                d = os.path.join(args.out, "codex", "sessions", start.strftime("%Y/%m/%d"))
                path = os.path.join(d, f"rollout-{start.strftime('%Y-%m-%dT%H-%M-%S')}-{sid}.jsonl")
            os.makedirs(d, exist_ok=True)
            data = body.encode()
            with open(path, "wb") as f:
                f.write(data)
            written[agent] += len(data)
            files[agent] += 1
    print(
        f"claude: {files['claude']} files, {written['claude'] / 1e6:.1f} MB; "
        f"codex: {files['codex']} files, {written['codex'] / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
