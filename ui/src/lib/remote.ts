// The remote hosts of Settings as the Sessions view shows them: a short state for each
// host's chip, and which of its rows to list (those not ended, newest activity first).
import type { HostState, RemoteHost, Session } from "./bindings";
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

/** A host's sessions that are not ended, the most recently active first. */
export function shownSessions(host: RemoteHost): Session[] {
  return host.sessions
    .filter((s) => s.status !== "ended" && s.status !== "failed")
    .sort((a, b) => (b.last_activity ?? "").localeCompare(a.last_activity ?? ""));
}
