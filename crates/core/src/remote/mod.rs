//! Remote hosts over SSH, with no listener anywhere.
//!
//! A remote machine runs `sessionscope serve --stdio`: the same live loop as the app,
//! headless, speaking the JSON-lines [`protocol`] on its stdin and stdout. This side
//! reaches it only by running the system's OpenSSH client ([`client`]), so keys, the
//! agent, `ProxyJump` and `ControlMaster` work as the user set them up, and
//! [`link`] keeps one host live: its state (connecting, live, lost, retrying, not
//! installed, version differs), reconnects with back-off, and a fresh snapshot each
//! time, and [`requests`] asks a live host things over that same link; [`table`]
//! folds a link's events into the rows and state the app shows, and [`rows`] puts
//! those rows into the app's one table.
//! [`hosts`] names the machines a command is about (`--host`, `--all-hosts`), and
//! [`run_stream`] carries a run's output over a link without letting it pile up.
//!
//! What it must never do: open a socket, run anything a remote says, or let a broken
//! or hostile remote (garbage, huge lines, a wrong version, a flood) crash or freeze
//! the local side. Everything a remote sends is data, read with a size cap and parsed
//! into the protocol's types or rejected as a per-host error.

pub mod client;
pub mod hosts;
pub mod link;
pub mod protocol;
pub mod requests;
pub mod rows;
pub mod run_stream;
pub mod table;
