import { beforeEach, describe, expect, it, vi } from "vitest";

// The backend, stood in for: invoke records its calls; Channel is a plain object whose
// onmessage the test calls as the backend's messages would.
const calls: { cmd: string; args: Record<string, unknown> }[] = [];
let resolveAttach: (stream: number) => void = () => {};
vi.mock("@tauri-apps/api/core", () => ({
  Channel: class {
    onmessage: (msg: unknown) => void = () => {};
  },
  invoke: (cmd: string, args: Record<string, unknown>) => {
    calls.push({ cmd, args });
    if (cmd === "attach_run") return new Promise((r) => (resolveAttach = r));
    return Promise.resolve();
  },
}));

const { attachRun } = await import("./api");

type Msg = { run_id: string; data: string; ack: number };
const channelOf = () =>
  calls.find((c) => c.cmd === "attach_run")!.args.onOutput as {
    onmessage: (m: Msg) => void;
  };
const acks = () => calls.filter((c) => c.cmd === "ack_run_output").map((c) => c.args);

describe("attachRun", () => {
  beforeEach(() => (calls.length = 0));

  it("acknowledges what the panel drew, also what it drew before the stream id came", async () => {
    const drawn: (() => void)[] = [];
    const seen: string[] = [];
    const attached = attachRun("r1", (data, done) => {
      seen.push(data);
      drawn.push(done);
    });
    // The replay arrives before attach_run answers: its ack waits for the id.
    channelOf().onmessage({ run_id: "r1", data: "replay", ack: 600 });
    drawn[0]();
    expect(acks()).toEqual([]);
    resolveAttach(7);
    await attached;
    expect(acks()).toEqual([{ stream: 7, bytes: 600 }]);
    // Later pieces are acknowledged as soon as they are drawn, not when they arrive.
    channelOf().onmessage({ run_id: "r1", data: "live", ack: 4 });
    expect(acks()).toHaveLength(1);
    drawn[1]();
    expect(acks()).toEqual([
      { stream: 7, bytes: 600 },
      { stream: 7, bytes: 4 },
    ]);
    expect(seen).toEqual(["replay", "live"]);
  });
});
