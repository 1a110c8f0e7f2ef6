"""A stand-in for the agents' model APIs on loopback (Python stdlib only).

The conformance suite points each real agent at this server (ANTHROPIC_BASE_URL, a
Codex `model_providers` entry, GOOGLE_GEMINI_BASE_URL, an OpenAI-compatible provider)
so the agent runs end to end offline and writes its own files. The server speaks:

    POST /v1/messages                         Anthropic Messages (SSE when stream=true)
    POST /v1/messages/count_tokens            Anthropic token counting
    POST /v1/responses                        OpenAI Responses (SSE when stream=true)
    POST /v1/chat/completions                 OpenAI Chat Completions (SSE when stream=true)
    POST /v1beta/models/<m>:streamGenerateContent   Gemini (SSE with alt=sse, else a JSON array)
    POST /v1beta/models/<m>:generateContent   Gemini, not streamed
    GET  /v1/models, /v1beta/models           model lists, so start-up probes succeed

What it answers comes from a script: a JSON list of steps, each answered to one "turn"
request (a request that offers the agent's tools; side requests such as title
generation or quota probes get a short fixed answer and do not consume a step; on the
Responses API a request that asks for a JSON-schema answer is a side request too:
Codex 0.171's TUI asks for its thread title with its tools offered):

    {"text": "...", "input_tokens": 120, "output_tokens": 40, "chunks": 8, "chunk_delay": 0.2}
    {"tool": "shell", "command": "sleep 2", ...tokens}   a call of the agent's shell tool
    {"call": "complete", "arguments": {}}   a call of a tool the agent offers by name
    {"hold": true, ...}     stream the first chunk, then wait for `release` on stdin
    {"error": 500} / {"error": 529} (Anthropic's overloaded) / {"error": 429}
    {"cut": true, ...}      send part of the message, then drop the connection
    {"repeat": true, ...}   answer every further turn with this step (an API that stays down)

When the script runs out, every further turn gets `{"text": "Done."}` with
`default_tokens`. The server prints one JSON line per event on stdout (`listening`
with the port first; `request`, `held`, `sent` with the exact usage it reported,
`error`, `cut`), so the runner knows what each agent was told and when, and reads
commands from stdin: `release` (let a held stream finish), `script <json>` (replace the
remaining steps), `quit`. Token counts are exactly what the script says; nothing is
estimated. Only 127.0.0.1 is bound.
"""

import argparse
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_STEP = {"text": "Done.", "input_tokens": 11, "output_tokens": 3}
SIDE_TEXT = "Stand-in title"
SIDE_USAGE = {"input_tokens": 5, "output_tokens": 2}
# Shell tools as the agents name them, most specific first.
SHELL_TOOL_NAMES = ["Bash", "bash", "shell", "exec_command", "local_shell", "run_shell_command", "shell_command"]


class Script:
    """The steps still to answer, shared by all connections, plus the hold gate."""

    def __init__(self, steps):
        self.lock = threading.Lock()
        self.steps = list(steps)
        self.served = 0
        self.release = threading.Semaphore(0)

    def next(self):
        with self.lock:
            index = self.served
            self.served += 1
            if self.steps and self.steps[0].get("repeat"):
                return index, dict(self.steps[0])
            step = self.steps.pop(0) if self.steps else dict(DEFAULT_STEP)
            return index, step

    def replace(self, steps):
        with self.lock:
            self.steps = list(steps)


OUT_LOCK = threading.Lock()


def emit(event, **fields):
    with OUT_LOCK:
        sys.stdout.write(json.dumps(dict(event=event, t=round(time.time(), 3), **fields)) + "\n")
        sys.stdout.flush()


def split_text(text, n):
    n = max(1, min(n, len(text) or 1))
    size = -(-len(text) // n) if text else 1
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def find_shell_tool(tools):
    """The agent's shell tool among those it offered: (name, argument schema) or None."""
    by_name = {}
    for tool in tools or []:
        if not isinstance(tool, dict):
            continue
        fn = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        name = fn.get("name")
        if name:
            schema = fn.get("input_schema") or fn.get("parameters") or fn.get("parametersJsonSchema") or {}
            by_name[name] = schema
        for decl in tool.get("functionDeclarations") or tool.get("function_declarations") or []:
            if isinstance(decl, dict) and decl.get("name"):
                by_name[decl["name"]] = decl.get("parameters") or decl.get("parametersJsonSchema") or {}
    for name in SHELL_TOOL_NAMES:
        if name in by_name:
            return name, by_name[name]
    # Codex 0.171: one freeform `exec` tool runs JavaScript that calls nested tools.
    for tool in tools or []:
        if isinstance(tool, dict) and tool.get("type") == "custom" and tool.get("name") == "exec":
            return "exec", {"custom": True}
    return None


def instance_of(schema):
    """A small value that satisfies a JSON schema, for side requests that ask for JSON
    (Gemini CLI's model router asks for a complexity score before each turn)."""
    if not isinstance(schema, dict):
        return "stand-in"
    if schema.get("enum"):
        return schema["enum"][0]
    kind = str(schema.get("type", "object")).lower()
    if kind == "object":
        return {k: instance_of(v) for k, v in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [instance_of(schema.get("items"))]
    if kind in ("integer", "number"):
        return max(1, int(schema.get("minimum", 1)))
    if kind == "boolean":
        return False
    return "stand-in"


def wanted_schema(req):
    """The JSON schema a request asks its answer to follow, if any."""
    config = req.get("generationConfig") or {}
    for key in ("responseJsonSchema", "responseSchema"):
        if config.get(key):
            return config[key]
    fmt = (req.get("text") or {}).get("format") or req.get("response_format") or {}
    if isinstance(fmt, dict):
        return fmt.get("schema") or (fmt.get("json_schema") or {}).get("schema")
    return None


def offered_tools(req):
    """The tools a request offers: its `tools`, plus the ones Codex (0.171) sends as an
    `additional_tools` input item grouped in namespaces."""
    tools = list(req.get("tools") or [])
    for item in req.get("input") or [] if isinstance(req.get("input"), list) else []:
        if isinstance(item, dict) and item.get("type") == "additional_tools":
            for group in item.get("tools") or []:
                tools += group.get("tools") or [group] if isinstance(group, dict) else []
    return tools


def tool_names(tools):
    names = []
    for tool in tools or []:
        if isinstance(tool, dict):
            fn = tool.get("function") if isinstance(tool.get("function"), dict) else tool
            names.append(fn.get("name") or fn.get("type"))
            names += [d.get("name") for d in tool.get("functionDeclarations") or [] if isinstance(d, dict)]
    return names


def shell_arguments(schema, command):
    """Arguments for a shell tool call, shaped by the tool's own schema (a string of
    JavaScript for Codex's freeform `exec`)."""
    if schema.get("custom"):
        return "// @exec: {\"yield_time_ms\": 600000}\nconst r = await tools.exec_command({cmd: %s, yield_time_ms: 600000});\ntext(r);" % json.dumps(command)
    props = (schema or {}).get("properties") or {}
    spec = props.get("command") or props.get("cmd") or {}
    key = "cmd" if "cmd" in props and "command" not in props else "command"
    kind = spec.get("type") if isinstance(spec, dict) else None
    value = ["bash", "-lc", command] if kind == "array" else command
    args = {key: value}
    if "description" in props:
        args["description"] = "Run the scripted command"
    return args


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script: Script = None  # set by main

    def log_message(self, *args):
        pass

    # -- plumbing -----------------------------------------------------------------

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return {}

    def send_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def sse(self, data, event=None):
        chunk = ""
        if event:
            chunk += f"event: {event}\n"
        chunk += "data: " + (data if isinstance(data, str) else json.dumps(data)) + "\n\n"
        self.wfile.write(chunk.encode())
        self.wfile.flush()

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.endswith("/models"):
            model = {"id": "stand-in", "object": "model", "name": "models/stand-in", "type": "model"}
            return self.send_json(200, {"data": [model], "object": "list", "models": [model]})
        return self.send_json(404, {"error": {"message": f"no route {path}"}})

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        path = self.path.split("?")[0]
        req = self.body()
        try:
            if path.endswith("/messages/count_tokens"):
                return self.send_json(200, {"input_tokens": 10})
            if path.endswith("/messages"):
                return self.turn("anthropic", req, bool(req.get("tools")), req.get("stream"))
            if path.endswith("/responses"):
                is_turn = bool(offered_tools(req)) and wanted_schema(req) is None
                return self.turn("responses", req, is_turn, req.get("stream"))
            if path.endswith("/chat/completions"):
                return self.turn("chat", req, bool(req.get("tools")), req.get("stream"))
            m = re.search(r"/models/([^/:]+):(streamGenerateContent|generateContent)$", path)
            if m:
                return self.turn("gemini", dict(req, model=m.group(1)), bool(req.get("tools")), m.group(2).startswith("stream"))
            if path.endswith(":countTokens"):
                return self.send_json(200, {"totalTokens": 10})
            return self.send_json(404, {"error": {"message": f"no route {path}"}})
        except (BrokenPipeError, ConnectionResetError):
            emit("disconnected", path=path)

    # -- one answer ---------------------------------------------------------------

    def turn(self, api, req, is_turn, stream):
        model = req.get("model") or "stand-in"
        if is_turn:
            index, step = self.script.next()
        else:
            schema = wanted_schema(req)
            text = json.dumps(instance_of(schema)) if schema else SIDE_TEXT
            index, step = None, dict(SIDE_USAGE, text=text, side=True)
        emit("request", api=api, model=model, step=index, side=not is_turn, stream=bool(stream), keys=sorted(req), tools=tool_names(offered_tools(req)))
        if step.get("error"):
            return self.fail(api, int(step["error"]), index)
        tool = None
        if step.get("tool"):
            found = find_shell_tool(offered_tools(req))
            if found is None:
                emit("error", step=index, reason="the agent offered no shell tool")
            else:
                tool = {"name": found[0], "arguments": shell_arguments(found[1], step["command"]), "id": "call_" + uuid.uuid4().hex[:20]}
        if step.get("call"):
            if step["call"] not in tool_names(offered_tools(req)):
                emit("error", step=index, reason=f"the agent did not offer {step['call']}")
            tool = {"name": step["call"], "arguments": step.get("arguments", {}), "id": "call_" + uuid.uuid4().hex[:20]}
        text = step.get("text", "" if tool else "Done.")
        usage = {"input_tokens": int(step.get("input_tokens", 11)), "output_tokens": int(step.get("output_tokens", 3))}
        chunks = split_text(text, int(step.get("chunks", 1))) if text else []
        writer = {"anthropic": self.write_anthropic, "responses": self.write_responses, "chat": self.write_chat, "gemini": self.write_gemini}[api]
        writer(step, model, chunks, tool, usage, bool(stream))
        if step.get("cut"):
            emit("cut", api=api, step=index)
        else:
            emit("sent", api=api, model=model, step=index, side=not is_turn, usage=usage, tool=tool and tool["name"], text=text)

    def pace(self, step, i):
        """Between chunks: the scripted delay, and the hold gate after the first chunk."""
        if i == 0 and step.get("hold"):
            emit("held")
            self.script.release.acquire()
            emit("released")
        elif step.get("chunk_delay"):
            time.sleep(float(step["chunk_delay"]))

    def cut_here(self, step, i, n):
        """A cut step drops the connection halfway through its chunks."""
        if step.get("cut") and i >= n // 2:
            self.wfile.flush()
            self.connection.shutdown(2)
            return True
        return False

    def fail(self, api, status, index):
        emit("error", api=api, step=index, status=status)
        if api == "anthropic":
            kind = {529: "overloaded_error", 429: "rate_limit_error", 400: "invalid_request_error"}.get(status, "api_error")
            message = {529: "Overloaded", 429: "Rate limited", 400: "Stand-in refuses this request"}.get(status, "Internal server error")
            body = {"type": "error", "error": {"type": kind, "message": message}}
        elif api == "gemini":
            body = {"error": {"code": status, "message": "Internal error", "status": {400: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED"}.get(status, "INTERNAL")}}
        else:
            kind = {400: "invalid_request_error", 429: "rate_limit_error"}.get(status, "server_error")
            message = {400: "Stand-in refuses this request", 429: "Rate limited", 529: "Overloaded"}.get(status, "Internal server error")
            body = {"error": {"message": message, "type": kind, "code": None}}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        # Agents retry 5xx/429 after a delay; ask for none so a test is not slowed down.
        self.send_header("retry-after", "0")
        self.send_header("x-should-retry", "false")
        self.end_headers()
        self.wfile.write(data)

    def write_anthropic(self, step, model, chunks, tool, usage, stream):
        mid = "msg_" + uuid.uuid4().hex[:24]
        stop = "tool_use" if tool else "end_turn"
        full_usage = dict(usage, cache_creation_input_tokens=0, cache_read_input_tokens=0)
        if not stream:
            content = [{"type": "text", "text": "".join(chunks)}] if chunks else []
            if tool:
                content.append({"type": "tool_use", "id": tool["id"], "name": tool["name"], "input": tool["arguments"]})
            return self.send_json(200, {"id": mid, "type": "message", "role": "assistant", "model": model, "content": content, "stop_reason": stop, "stop_sequence": None, "usage": full_usage})
        self.start_sse()
        start_usage = dict(full_usage, output_tokens=1)
        self.sse({"type": "message_start", "message": {"id": mid, "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_usage}}, "message_start")
        block = 0
        if chunks:
            self.sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}, "content_block_start")
            for i, piece in enumerate(chunks):
                self.sse({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}, "content_block_delta")
                if self.cut_here(step, i, len(chunks)):
                    return
                self.pace(step, i)
            self.sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
            block = 1
        if tool:
            self.sse({"type": "content_block_start", "index": block, "content_block": {"type": "tool_use", "id": tool["id"], "name": tool["name"], "input": {}}}, "content_block_start")
            self.sse({"type": "content_block_delta", "index": block, "delta": {"type": "input_json_delta", "partial_json": json.dumps(tool["arguments"])}}, "content_block_delta")
            self.sse({"type": "content_block_stop", "index": block}, "content_block_stop")
        self.sse({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": usage["output_tokens"]}}, "message_delta")
        self.sse({"type": "message_stop"}, "message_stop")

    def write_responses(self, step, model, chunks, tool, usage, stream):
        rid = "resp_" + uuid.uuid4().hex[:24]
        msg_id = "msg_" + uuid.uuid4().hex[:24]
        text = "".join(chunks)
        output = []
        if chunks:
            output.append({"type": "message", "id": msg_id, "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]})
        if tool and isinstance(tool["arguments"], str):
            output.append({"type": "custom_tool_call", "id": "ctc_" + tool["id"], "call_id": tool["id"], "name": tool["name"], "input": tool["arguments"], "status": "completed"})
        elif tool:
            output.append({"type": "function_call", "id": "fc_" + tool["id"], "call_id": tool["id"], "name": tool["name"], "arguments": json.dumps(tool["arguments"]), "status": "completed"})
        full_usage = {
            "input_tokens": usage["input_tokens"],
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": usage["output_tokens"],
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": usage["input_tokens"] + usage["output_tokens"],
        }
        done = {"id": rid, "object": "response", "created_at": int(time.time()), "status": "completed", "model": model, "output": output, "usage": full_usage}
        if not stream:
            return self.send_json(200, done)
        self.start_sse()
        seq = iter(range(1, 10_000))
        created = dict(done, status="in_progress", output=[], usage=None)
        self.sse({"type": "response.created", "sequence_number": 0, "response": created}, "response.created")
        self.sse({"type": "response.in_progress", "sequence_number": next(seq), "response": created}, "response.in_progress")
        index = 0
        if chunks:
            item = {"type": "message", "id": msg_id, "status": "in_progress", "role": "assistant", "content": []}
            self.sse({"type": "response.output_item.added", "sequence_number": next(seq), "output_index": 0, "item": item}, "response.output_item.added")
            self.sse({"type": "response.content_part.added", "sequence_number": next(seq), "item_id": msg_id, "output_index": 0, "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}, "response.content_part.added")
            for i, piece in enumerate(chunks):
                self.sse({"type": "response.output_text.delta", "sequence_number": next(seq), "item_id": msg_id, "output_index": 0, "content_index": 0, "delta": piece}, "response.output_text.delta")
                if self.cut_here(step, i, len(chunks)):
                    return
                self.pace(step, i)
            self.sse({"type": "response.output_text.done", "sequence_number": next(seq), "item_id": msg_id, "output_index": 0, "content_index": 0, "text": text}, "response.output_text.done")
            self.sse({"type": "response.content_part.done", "sequence_number": next(seq), "item_id": msg_id, "output_index": 0, "content_index": 0, "part": output[0]["content"][0]}, "response.content_part.done")
            self.sse({"type": "response.output_item.done", "sequence_number": next(seq), "output_index": 0, "item": output[0]}, "response.output_item.done")
            index = 1
        if tool and output[-1]["type"] == "custom_tool_call":
            item = output[-1]
            self.sse({"type": "response.output_item.added", "sequence_number": next(seq), "output_index": index, "item": dict(item, status="in_progress", input="")}, "response.output_item.added")
            self.sse({"type": "response.custom_tool_call_input.delta", "sequence_number": next(seq), "item_id": item["id"], "output_index": index, "delta": item["input"]}, "response.custom_tool_call_input.delta")
            self.sse({"type": "response.custom_tool_call_input.done", "sequence_number": next(seq), "item_id": item["id"], "output_index": index, "input": item["input"]}, "response.custom_tool_call_input.done")
            self.sse({"type": "response.output_item.done", "sequence_number": next(seq), "output_index": index, "item": item}, "response.output_item.done")
        elif tool:
            item = output[-1]
            self.sse({"type": "response.output_item.added", "sequence_number": next(seq), "output_index": index, "item": dict(item, status="in_progress", arguments="")}, "response.output_item.added")
            self.sse({"type": "response.function_call_arguments.delta", "sequence_number": next(seq), "item_id": item["id"], "output_index": index, "delta": item["arguments"]}, "response.function_call_arguments.delta")
            self.sse({"type": "response.function_call_arguments.done", "sequence_number": next(seq), "item_id": item["id"], "output_index": index, "arguments": item["arguments"]}, "response.function_call_arguments.done")
            self.sse({"type": "response.output_item.done", "sequence_number": next(seq), "output_index": index, "item": item}, "response.output_item.done")
        self.sse({"type": "response.completed", "sequence_number": next(seq), "response": done}, "response.completed")

    def write_chat(self, step, model, chunks, tool, usage, stream):
        cid = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        finish = "tool_calls" if tool else "stop"
        full_usage = {"prompt_tokens": usage["input_tokens"], "completion_tokens": usage["output_tokens"], "total_tokens": usage["input_tokens"] + usage["output_tokens"]}
        call = tool and {"id": tool["id"], "type": "function", "function": {"name": tool["name"], "arguments": json.dumps(tool["arguments"])}}
        if not stream:
            message = {"role": "assistant", "content": "".join(chunks) or None}
            if call:
                message["tool_calls"] = [call]
            return self.send_json(200, {"id": cid, "object": "chat.completion", "created": created, "model": model, "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": full_usage})
        self.start_sse()

        def chunk(delta, finish_reason=None, with_usage=None):
            obj = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
            if with_usage is not None:
                obj["usage"] = with_usage
            self.sse(obj)

        chunk({"role": "assistant", "content": ""})
        for i, piece in enumerate(chunks):
            chunk({"content": piece})
            if self.cut_here(step, i, len(chunks)):
                return
            self.pace(step, i)
        if call:
            chunk({"tool_calls": [dict(call, index=0)]})
        chunk({}, finish)
        self.sse({"id": cid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [], "usage": full_usage})
        self.sse("[DONE]")

    def write_gemini(self, step, model, chunks, tool, usage, stream):
        meta = {"promptTokenCount": usage["input_tokens"], "candidatesTokenCount": usage["output_tokens"], "totalTokenCount": usage["input_tokens"] + usage["output_tokens"]}

        def candidate(parts, finish=None):
            c = {"content": {"role": "model", "parts": parts}, "index": 0}
            if finish:
                c["finishReason"] = finish
            return c

        tool_part = tool and {"functionCall": {"name": tool["name"], "args": tool["arguments"], "id": tool["id"]}}
        if not stream:
            parts = ([{"text": "".join(chunks)}] if chunks else []) + ([tool_part] if tool_part else [])
            return self.send_json(200, {"candidates": [candidate(parts, "STOP")], "usageMetadata": meta, "modelVersion": model})
        sse = "alt=sse" in self.path
        if sse:
            self.start_sse()
        pieces = []
        for i, piece in enumerate(chunks):
            last = i == len(chunks) - 1 and not tool_part
            obj = {"candidates": [candidate([{"text": piece}], "STOP" if last else None)], "modelVersion": model}
            if last:
                obj["usageMetadata"] = meta
            if sse:
                self.sse(obj)
                if self.cut_here(step, i, len(chunks)):
                    return
                self.pace(step, i)
            else:
                pieces.append(obj)
        if tool_part:
            obj = {"candidates": [candidate([tool_part], "STOP")], "usageMetadata": meta, "modelVersion": model}
            if sse:
                self.sse(obj)
            else:
                pieces.append(obj)
        if not sse:
            self.send_json(200, pieces)


def read_commands(script, server):
    for line in sys.stdin:
        word, _, rest = line.strip().partition(" ")
        if word == "release":
            script.release.release()
        elif word == "script":
            script.replace(json.loads(rest))
        elif word == "quit":
            break
    server.shutdown()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--script", help="a JSON file with the list of steps (default: none, every turn answers Done.)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    steps = []
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            steps = json.load(f)
    Handler.script = Script(steps)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    emit("listening", port=server.server_address[1])
    threading.Thread(target=read_commands, args=(Handler.script, server), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
