// A stand-in for `sessionscope serve --stdio` on a remote host (benchmarks only): says
// the hello it is given, sends a snapshot of SESSIONS generated Claude Code sessions,
// then CHANGES_PER_S changes a second (a random row's activity and status), and a beat
// after each second of silence. Requests are not answered. Ends when stdin closes or
// stdout breaks, as a serve behind ssh does.
//
//   FAKE_HELLO='{"type":"hello",...}' node tests/bench/fake_host.mjs HOST [sessions=1000] [changes_per_s=1]
const [host = "box", SESSIONS = 1000, RATE = 1] = process.argv
  .slice(2)
  .map((a, i) => (i === 0 ? a : Number(a)));
const hello = process.env.FAKE_HELLO;
if (!hello) throw new Error("FAKE_HELLO: the hello line of the real serve");

const STATUSES = ["idle", "generating", "running-tool", "waiting-for-input", "ended"];
const id = (i) => `${host.replace(/[^a-z0-9]/gi, "").slice(0, 8).padEnd(8, "0")}-0000-4000-8000-${String(i).padStart(12, "0")}`;
const old = new Date(Date.now() - 86_400_000).toISOString();

function session(i, at, status) {
  const sid = id(i);
  return {
    key: `claude-code:${sid}`,
    id: sid,
    harness: "claude-code",
    title: `Task ${i} on ${host}`,
    project: `/srv/p${i % 50}`,
    git_branch: "main",
    model: "claude-sonnet-4-5",
    models: ["claude-sonnet-4-5"],
    started_at: old,
    last_activity: at,
    status_since: at,
    user_messages: 1 + (i % 7),
    assistant_messages: 1 + (i % 7),
    tool_calls: i % 5,
    tool_errors: 0,
    usage: { input_tokens: 1000 + i, output_tokens: 200, cache_creation_tokens: 0, cache_read_tokens: 0 },
    cost_usd: 0.006,
    price_unknown: false,
    parse_errors: 0,
    status,
    pid: null,
    ambiguous: false,
    agent_name: null,
    agent_version: null,
    unknown_records: {},
    path: `/home/u/.claude/projects/-srv-p${i % 50}/${sid}.jsonl`,
    gone: false,
    parent_id: null,
  };
}

const rows = Array.from({ length: SESSIONS }, (_, i) => session(i, old, i % 10 === 0 ? "idle" : "ended"));

function counts() {
  const c = { total: rows.length, active: 0, idle: 0, generating: 0, running_tool: 0, waiting: 0, ended: 0 };
  for (const s of rows) {
    if (s.status === "idle") c.idle++;
    else if (s.status === "generating") c.generating++;
    else if (s.status === "running-tool") c.running_tool++;
    else if (s.status === "waiting-for-input") c.waiting++;
    else c.ended++;
  }
  c.active = c.generating + c.running_tool + c.waiting;
  return c;
}

let lastWrite = Date.now();
function send(message) {
  lastWrite = Date.now();
  process.stdout.write((typeof message === "string" ? message : JSON.stringify(message)) + "\n");
}
process.stdout.on("error", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.on("data", () => {});

send(hello);
send({ type: "snapshot", snapshot: { sessions: rows, counts: counts(), roots: [], scanning: false, notices: [] } });
if (RATE > 0) {
  setInterval(() => {
    const i = Math.floor(Math.random() * rows.length);
    rows[i] = session(i, new Date().toISOString(), STATUSES[Math.floor(Math.random() * 4)]);
    send({ type: "changed", change: { upserted: [rows[i]], removed: [] }, counts: counts() });
  }, 1000 / RATE);
}
setInterval(() => {
  if (Date.now() - lastWrite >= 1000) send({ type: "beat" });
}, 250);
