//! The exit statuses of `sessionscope`, in one place: the code uses these constants
//! and `--help`, the man page and the README print [`HELP`], so they cannot drift.

/// Everything asked for was done.
pub const OK: i32 = 0;
/// Something failed (unreadable file, unknown id, a process that did not stop, ...);
/// the reason is on stderr.
pub const ERROR: i32 = 1;
/// The command line was wrong (unknown flag, bad value): clap's usage error.
pub const USAGE: i32 = 2;
/// `kill` stopped nothing because nobody confirmed: no `--yes` while stdin is not a
/// terminal to ask on, or the answer was not yes.
pub const REFUSED: i32 = 3;

/// The table shown after the top-level `--help`.
pub const HELP: &str = "\
Exit status:
  0  success
  1  error (the reason is printed on stderr)
  2  usage error: unknown subcommand or flag, bad value
  3  kill refused: not confirmed (no --yes without a terminal, or the answer was no)
  `sessionscope run` exits with the command's own status (128+N when signal N ended it).";

// Keep the table and the constants in step.
const _: () = assert!(OK == 0 && ERROR == 1 && USAGE == 2 && REFUSED == 3);
