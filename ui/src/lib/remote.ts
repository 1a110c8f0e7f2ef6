// The remote hosts of Settings as the Sessions view shows them: a short state for each
// host's chip, and which of its rows to list (those not ended first, newest activity first).
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

/** How many of a host's sessions the panel lists. */
export const SHOWN_PER_HOST = 20;

/** A host's sessions as the panel lists them: those not ended first, then the rest,
 * each group by newest activity, at most [`SHOWN_PER_HOST`]. */
export function shownSessions(host: RemoteHost): Session[] {
  const ended = (s: Session) => (s.status === "ended" || s.status === "failed" ? 1 : 0);
  return [...host.sessions]
    .sort(
      (a, b) => ended(a) - ended(b) || (b.last_activity ?? "").localeCompare(a.last_activity ?? ""),
    )
    .slice(0, SHOWN_PER_HOST);
}
