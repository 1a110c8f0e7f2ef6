// The remote hosts of Settings as the Sessions view shows them: a short state for each
// host's chip, and which host a row of the one table belongs to.
import type { HostState, Session } from "./bindings";
import { formatAgo } from "./format";

/** "live", "lost 12s ago: …", "retrying in 4s (attempt 2): …", or what to do. */
export function hostStateText(state: HostState, now: number): string {
  switch (state.state) {
    case "connecting":
      return "connecting…";
    case "live":
      return `live (sessionscope ${state.version})`;
    case "lost":
      return `lost ${formatAgo(state.since, now)}: ${state.reason}`;
    case "retrying": {
      const wait = Math.max(0, Math.ceil((Date.parse(state.next_at) - now) / 1000));
      const lost = state.lost_since ? `lost ${formatAgo(state.lost_since, now)}; ` : "";
      return `${lost}retrying in ${wait}s (attempt ${state.attempt}): ${state.reason}`;
    }
    case "needs-action":
      return state.message;
  }
}

/** The CSS class of a host's chip: live, trouble (lost or retrying), action, waiting. */
export function hostStateClass(state: HostState): string {
  switch (state.state) {
    case "live":
      return "live";
    case "lost":
    case "retrying":
      return "trouble";
    case "needs-action":
      return "action";
    default:
      return "waiting";
  }
}

/** The host of a row of the one table, from its key (`@HOST KEY`, as the backend's
 * `core::remote::rows::row_key` makes it); null for this machine's rows. */
export function hostOf(key: string): string | null {
  if (!key.startsWith("@")) return null;
  const space = key.indexOf(" ");
  return space > 1 ? key.slice(1, space) : null;
}

/** The host's own key of a row of the one table (`@HOST KEY` → `KEY`); the key itself
 * for this machine's rows. */
export function ownKey(key: string): string {
  return hostOf(key) === null ? key : key.slice(key.indexOf(" ") + 1);
}

/** The rows to kill grouped by machine: this one's keys, and each host's own ids. */
export function byHost(targets: Session[]): { local: string[]; hosts: Map<string, string[]> } {
  const local: string[] = [];
  const hosts = new Map<string, string[]>();
  for (const s of targets) {
    const host = hostOf(s.key);
    if (host === null) local.push(s.key);
    else hosts.set(host, [...(hosts.get(host) ?? []), s.id]);
  }
  return { local, hosts };
}
