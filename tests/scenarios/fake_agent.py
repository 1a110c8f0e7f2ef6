"""A stand-in coding agent for Sessionscope's status scenarios (Python stdlib only).

The test copies this file to a launcher named after the agent it plays (`claude`,
`codex`, `gptme`, `gemini`, `opencode`, `copilot`) with a direct interpreter shebang, so
the process's name (/proc/<pid>/comm) is the agent's name, exactly as the real agent's
would be. It runs in the session's working directory and writes that agent's on-disk
format under the root given with --root, the way the real agent does: appending JSONL,
or committing rows to opencode's SQLite database.

It moves through the phases of one turn when told to on stdin (one line per step), and
prints `at <phase>` on stdout once everything of that phase is written, so the test can
check the status Sessionscope reports at each checkpoint without guessing at timings:

    start   a prompt was sent              -> generating
    tool    the model asked for a tool     -> running tool
    answer  the tool ran, the turn ended   -> waiting for input
    error   the API failed                 -> (failed once the process is gone)
    exit    the process ends (exit code 1 after an error, else 0)

Within a phase, records are written a few hundred milliseconds apart, as a streaming
agent would. Nothing here is read by Sessionscope's code; it only produces files.
"""

import argparse
import hashlib
import json
import os
import sqlite3
import sys
import time
import uuid
from datetime import datetime, timezone

PAUSE = 0.15


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_ms():
    return int(time.time() * 1000)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"))


class JsonlWriter:
    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.f = open(path, "a", encoding="utf-8")

    def write(self, obj):
        self.f.write(compact(obj) + "\n")
        self.f.flush()
        time.sleep(PAUSE)


class Claude:
    def __init__(self, root, cwd):
        self.sid = str(uuid.uuid4())
        slug = cwd.replace("/", "-").replace(".", "-")
        self.out = JsonlWriter(os.path.join(root, "projects", slug, self.sid + ".jsonl"))
        self.base = {"sessionId": self.sid, "cwd": cwd, "gitBranch": "main", "version": "2.0.0"}

    def rec(self, **kw):
        r = dict(self.base, timestamp=now_iso(), uuid=str(uuid.uuid4()))
        r.update(kw)
        self.out.write(r)

    def start(self):
        self.rec(type="user", message={"role": "user", "content": "Fix the flaky test"})

    def assistant(self, mid, content, stop, **kw):
        usage = {"input_tokens": 10, "output_tokens": 5}
        self.rec(type="assistant", requestId="req_" + mid, message={"id": mid, "role": "assistant", "model": "claude-sonnet-4-5", "content": content, "stop_reason": stop, "usage": usage}, **kw)

    def tool(self):
        self.assistant("m1", [{"type": "text", "text": "Running it."}], None)
        self.assistant("m1", [{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "pytest"}}], "tool_use")

    def answer(self):
        self.rec(type="user", message={"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "1 passed"}]})
        self.assistant("m2", [{"type": "text", "text": "Fixed."}], "end_turn")

    def error(self):
        self.rec(type="assistant", isApiErrorMessage=True, message={"id": "err", "role": "assistant", "model": "<synthetic>", "content": [{"type": "text", "text": "API Error: 529 overloaded"}], "stop_reason": "stop_sequence"})

    def exit(self, failed):
        pass


class Codex:
    def __init__(self, root, cwd):
        self.sid = str(uuid.uuid4())
        t = datetime.now(timezone.utc)
        path = os.path.join(root, "sessions", t.strftime("%Y/%m/%d"), "rollout-%s-%s.jsonl" % (t.strftime("%Y-%m-%dT%H-%M-%S"), self.sid))
        self.out = JsonlWriter(path)
        self.cwd = cwd

    def rec(self, kind, payload):
        self.out.write({"timestamp": now_iso(), "type": kind, "payload": payload})

    def start(self):
        self.rec("session_meta", {"id": self.sid, "cwd": self.cwd, "originator": "codex_cli_rs", "cli_version": "0.60.0"})
        self.rec("turn_context", {"cwd": self.cwd, "model": "gpt-5-codex"})
        self.rec("event_msg", {"type": "user_message", "message": "Fix the flaky test"})
        self.rec("event_msg", {"type": "task_started"})

    def tool(self):
        self.rec("response_item", {"type": "reasoning", "summary": []})
        self.rec("response_item", {"type": "function_call", "name": "shell", "arguments": "{}", "call_id": "call_1"})

    def answer(self):
        self.rec("response_item", {"type": "function_call_output", "call_id": "call_1", "output": "Exit code: 0\nOutput: ok"})
        self.rec("event_msg", {"type": "token_count", "info": {"last_token_usage": {"input_tokens": 100, "cached_input_tokens": 0, "output_tokens": 10, "total_tokens": 110}}})
        self.rec("event_msg", {"type": "agent_message", "message": "Fixed."})
        self.rec("event_msg", {"type": "task_complete"})

    def error(self):
        self.rec("event_msg", {"type": "error", "message": "stream disconnected before completion"})

    def exit(self, failed):
        pass


class Gptme:
    def __init__(self, root, cwd):
        self.dir = os.path.join(root, datetime.now().strftime("%Y-%m-%d") + "-scenario-" + uuid.uuid4().hex[:6])
        os.makedirs(self.dir)
        with open(os.path.join(self.dir, "config.toml"), "w") as f:
            f.write('[chat]\nmodel = "anthropic/claude-sonnet-4-5"\nworkspace = "%s"\n' % cwd)
        self.out = JsonlWriter(os.path.join(self.dir, "conversation.jsonl"))

    def msg(self, role, content, **kw):
        self.out.write(dict({"role": role, "content": content, "timestamp": datetime.now().isoformat()}, **kw))

    def start(self):
        self.msg("system", "You are gptme.", hide=True)
        self.msg("user", "Fix the flaky test")

    def tool(self):
        self.msg("assistant", "Running it.\n```shell\npytest\n```", metadata={"usage": {"input_tokens": 100, "output_tokens": 10}})

    def answer(self):
        self.msg("system", "Ran command: `pytest`\n1 passed")
        self.msg("assistant", "Fixed.", metadata={"usage": {"input_tokens": 120, "output_tokens": 3}})

    def error(self):
        self.msg("system", "Error: API request failed: 529 overloaded")

    def exit(self, failed):
        pass


class Gemini:
    def __init__(self, root, cwd):
        self.sid = str(uuid.uuid4())
        project_hash = hashlib.sha256(cwd.encode()).hexdigest()
        path = os.path.join(root, project_hash, "chats", "session-%s-%s.jsonl" % (datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M"), self.sid[:8]))
        self.out = JsonlWriter(path)
        self.out.write({"sessionId": self.sid, "projectHash": project_hash, "startTime": now_iso(), "lastUpdated": now_iso(), "kind": "main"})

    def msg(self, mid, kind, content, **kw):
        self.out.write(dict({"id": mid, "timestamp": now_iso(), "type": kind, "content": content}, **kw))

    def start(self):
        self.msg("u1", "user", [{"text": "Fix the flaky test"}])

    def tool(self):
        self.msg("g1", "gemini", "", model="gemini-2.5-pro", toolCalls=[{"id": "t1", "name": "run_shell_command", "args": {}, "status": "executing"}], tokens={"input": 100, "output": 10, "cached": 0, "thoughts": 0, "tool": 0, "total": 110})

    def answer(self):
        self.msg("g1", "gemini", "", model="gemini-2.5-pro", toolCalls=[{"id": "t1", "name": "run_shell_command", "args": {}, "status": "success"}], tokens={"input": 100, "output": 10, "cached": 0, "thoughts": 0, "tool": 0, "total": 110})
        self.msg("g2", "gemini", "Fixed.", model="gemini-2.5-pro", tokens={"input": 120, "output": 3, "cached": 0, "thoughts": 0, "tool": 0, "total": 123})

    def error(self):
        self.msg("e1", "error", "[API Error: 503 model overloaded]")

    def exit(self, failed):
        pass


class Opencode:
    """Writes opencode's SQLite store the way opencode does: one row per message/part."""

    def __init__(self, root, cwd):
        os.makedirs(root, exist_ok=True)
        self.db = sqlite3.connect(os.path.join(root, "opencode.db"))
        self.db.executescript(
            "CREATE TABLE IF NOT EXISTS session (id TEXT PRIMARY KEY, project_id TEXT, parent_id TEXT, slug TEXT, directory TEXT, title TEXT, version TEXT, time_created INTEGER, time_updated INTEGER);"
            "CREATE TABLE IF NOT EXISTS message (id TEXT PRIMARY KEY, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);"
            "CREATE TABLE IF NOT EXISTS part (id TEXT PRIMARY KEY, message_id TEXT, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);"
        )
        self.sid = "ses_" + uuid.uuid4().hex[:20]
        self.cwd = cwd
        t = now_ms()
        self.db.execute("INSERT INTO session VALUES (?,?,?,?,?,?,?,?,?)", (self.sid, "prj", None, "scenario", cwd, "New session", "1.0.0", t, t))
        self.db.commit()

    def put(self, table, row_id, data, message_id=None):
        t = now_ms()
        if table == "message":
            self.db.execute("INSERT OR REPLACE INTO message VALUES (?,?,?,?,?)", (row_id, self.sid, t, t, compact(data)))
        else:
            self.db.execute("INSERT OR REPLACE INTO part VALUES (?,?,?,?,?,?)", (row_id, message_id, self.sid, t, t, compact(data)))
        self.db.execute("UPDATE session SET time_updated = ? WHERE id = ?", (t, self.sid))
        self.db.commit()
        time.sleep(PAUSE)

    def assistant(self, mid, completed, finish=None, error=None):
        data = {"role": "assistant", "time": {"created": now_ms()}, "modelID": "claude-sonnet-4-5", "providerID": "anthropic", "path": {"cwd": self.cwd, "root": self.cwd}, "tokens": {"input": 100, "output": 10, "reasoning": 0, "cache": {"read": 0, "write": 0}}, "cost": 0}
        if completed:
            data["time"]["completed"] = now_ms()
        if finish:
            data["finish"] = finish
        if error:
            data["error"] = error
        self.put("message", mid, data)

    def start(self):
        self.put("message", "msg_1", {"role": "user", "time": {"created": now_ms()}})
        self.put("part", "prt_1", {"type": "text", "text": "Fix the flaky test"}, "msg_1")

    def tool(self):
        self.assistant("msg_2", False)
        self.put("part", "prt_2", {"type": "tool", "callID": "c1", "tool": "bash", "state": {"status": "running"}}, "msg_2")

    def answer(self):
        self.put("part", "prt_2", {"type": "tool", "callID": "c1", "tool": "bash", "state": {"status": "completed"}}, "msg_2")
        self.assistant("msg_2", True, finish="tool-calls")
        self.assistant("msg_3", True, finish="stop")

    def error(self):
        self.assistant("msg_9", True, error={"name": "APIError", "data": {"message": "overloaded"}})

    def exit(self, failed):
        self.db.close()


class Copilot:
    def __init__(self, root, cwd):
        self.sid = str(uuid.uuid4())
        self.out = JsonlWriter(os.path.join(root, self.sid, "events.jsonl"))
        self.n = 0
        self.event("session.start", {"sessionId": self.sid, "version": 1, "producer": "copilot-agent", "copilotVersion": "0.0.350", "startTime": now_iso(), "selectedModel": "claude-sonnet-4.5", "context": {"cwd": cwd}})

    def event(self, kind, data):
        self.n += 1
        self.out.write({"type": kind, "data": data, "id": "ev-%d" % self.n, "timestamp": now_iso(), "parentId": None if self.n == 1 else "ev-%d" % (self.n - 1)})

    def start(self):
        self.event("user.message", {"content": "Fix the flaky test"})
        self.event("assistant.turn_start", {"turnId": "0"})

    def tool(self):
        self.event("assistant.message", {"messageId": "am1", "content": "", "toolRequests": [{"toolCallId": "t1", "name": "bash"}]})
        self.event("tool.execution_start", {"toolCallId": "t1", "toolName": "bash"})

    def answer(self):
        self.event("tool.execution_complete", {"toolCallId": "t1", "success": True})
        self.event("assistant.turn_end", {"turnId": "0"})
        self.event("assistant.turn_start", {"turnId": "1"})
        self.event("assistant.message", {"messageId": "am2", "content": "Fixed.", "toolRequests": []})
        self.event("assistant.turn_end", {"turnId": "1"})

    def error(self):
        self.event("session.error", {"errorType": "model", "message": "503 overloaded"})

    def exit(self, failed):
        self.event("session.shutdown", {"shutdownType": "error" if failed else "routine", "modelMetrics": {"claude-sonnet-4.5": {"requests": {"count": 2}, "usage": {"inputTokens": 300, "outputTokens": 20, "cacheReadTokens": 0, "cacheWriteTokens": 0}}}, "codeChanges": {}, "totalApiDurationMs": 1, "sessionStartTime": now_ms()})


AGENTS = {"claude": Claude, "codex": Codex, "gptme": Gptme, "gemini": Gemini, "opencode": Opencode, "copilot": Copilot}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    name = os.path.basename(sys.argv[0])
    agent = AGENTS[name](args.root, os.getcwd())
    failed = False
    for line in sys.stdin:
        step = line.strip()
        if step == "exit":
            break
        getattr(agent, step)()
        failed = failed or step == "error"
        print("at " + step, flush=True)
    agent.exit(failed)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
