// Every event the backend pushes, by name: the mirror of src-tauri/src/events.rs (a
// Rust test there reads this object and fails when the two disagree). api.ts listens
// through these names; nothing else calls `listen`.
export const EVENTS = {
  sessionsChanged: "sessions-changed",
  sessionsReset: "sessions-reset",
  indexProgress: "index-progress",
  indexNotices: "index-notices",
  searchProgress: "search-progress",
  runChanged: "run-changed",
  killProgress: "kill-progress",
  menuAction: "menu-action",
  focusSession: "focus-session",
  serverSessions: "server-sessions",
  remoteHosts: "remote-hosts",
  remoteSessions: "remote-sessions",
  remoteRunEnded: "remote-run-ended",
  recordsChanged: "records-changed",
  analyticsChanged: "analytics-changed",
} as const;

export type EventName = (typeof EVENTS)[keyof typeof EVENTS];
