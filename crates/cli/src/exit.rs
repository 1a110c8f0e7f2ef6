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

/// An error in what the user asked for — a bad value, flags that exclude each other, a
/// path that is not there — found by a command rather than by clap: printed like any
/// error, but the exit status is [`USAGE`] (as gptme-sessions' `click` gives 2 for
/// these, so `sessionscope records` scripts see the same status).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Return early with a [`UsageError`], like `anyhow::bail!`.
#[macro_export]
macro_rules! usage_bail {
    ($($arg:tt)*) => {
        return Err($crate::exit::UsageError(format!($($arg)*)).into())
    };
}

/// The exit status for an error: [`USAGE`] when a [`UsageError`] is in its chain.
pub fn status_of(e: &anyhow::Error) -> i32 {
    if e.chain().any(|c| c.is::<UsageError>()) {
        USAGE
    } else {
        ERROR
    }
}

// Keep the table and the constants in step.
const _: () = assert!(OK == 0 && ERROR == 1 && USAGE == 2 && REFUSED == 3);

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_usage_error_anywhere_in_the_chain_exits_2() {
        let usage = anyhow::Error::from(UsageError("bad value".into()));
        assert_eq!(status_of(&usage), USAGE);
        let wrapped = Err::<(), _>(usage).context("while reading").unwrap_err();
        assert_eq!(status_of(&wrapped), USAGE);
        assert_eq!(status_of(&anyhow::anyhow!("disk full")), ERROR);
        fn bails() -> anyhow::Result<()> {
            crate::usage_bail!("--a and --{} exclude each other", "b");
        }
        let e = bails().unwrap_err();
        assert_eq!(
            (e.to_string(), status_of(&e)),
            ("--a and --b exclude each other".into(), USAGE)
        );
    }
}
