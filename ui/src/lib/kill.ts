// Killing agent sessions from the table: the backend shows the native dialog and does
// the work; this only names the targets and reports what came of it.
import { killSessions } from "./api";
import type { SessionTable } from "./sessions.svelte";

export async function killTargets(table: SessionTable) {
  const targets = table.targets();
  if (targets.length === 0) return;
  table.killReport = null;
  try {
    const outcomes = await killSessions(targets.map((s) => s.key));
    if (outcomes.length === 0) return; // The user said no.
    table.killReport = outcomes.map((o) => o.message).join(" · ");
  } catch (e) {
    table.killReport = String(e);
  }
}
