// A stand-in agent for the kill tests: `sleep` copied under the name `claude`,
// running in a fresh cwd, so the process scan matches it to a Claude Code session
// whose cwd is that folder, and the test can see how it ended.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** Starts the stand-in under `work`; `exited` resolves with its exit code and signal. */
export function startStandInClaude(work) {
  const agentCwd = fs.mkdtempSync(path.join(work, "agent-"));
  const bin = path.join(work, "bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync("/bin/sleep", path.join(bin, "claude"));
  fs.chmodSync(path.join(bin, "claude"), 0o755);
  const agent = spawn(path.join(bin, "claude"), ["1000"], {
    cwd: agentCwd,
    stdio: "ignore",
  });
  const exited = new Promise((resolve) =>
    agent.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { agent, agentCwd, exited };
}
