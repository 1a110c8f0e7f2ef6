// Killing agent sessions from the table: the backend shows the native dialog and does
// the work; this only names the targets and reports what came of it. This machine's
// rows and each remote host's are asked about separately (one dialog per machine, a
// host's naming it), since each machine stops only its own processes.
import { killRemoteSession, killSessions } from "./api";
import type { KillOutcome } from "./bindings";
import { byHost } from "./remote";
import type { SessionTable } from "./sessions.svelte";

export async function killTargets(table: SessionTable) {
  const targets = table.targets();
  if (targets.length === 0) return;
  table.killReport = null;
  const { local, hosts } = byHost(targets);
  const said: string[] = [];
  const report = (outcomes: KillOutcome[], host: string | null) => {
    for (const o of outcomes) said.push(host ? `${host}: ${o.message}` : o.message);
  };
  try {
    if (local.length) report(await killSessions(local), null);
    for (const [host, ids] of hosts) report(await killRemoteSession(host, ids), host);
  } catch (e) {
    said.push(String(e));
  }
  // Nothing said: the user said no to every question.
  if (said.length) table.killReport = said.join(" · ");
}
