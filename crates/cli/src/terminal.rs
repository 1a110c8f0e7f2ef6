//! The user's own terminal during an interactive `sessionscope run`: raw mode (so keys,
//! Ctrl-C included, go to the run's terminal as typed, and echo comes from the run)
//! and its size (so the run's terminal matches). Restores the previous mode when
//! dropped. Does nothing when stdin or stdout is not a terminal, and never touches the
//! run itself.

#[cfg(unix)]
mod imp {
    use rustix::termios::{self, OptionalActions, Termios};
    use std::io::IsTerminal;

    /// Raw mode on stdin, undone on drop.
    pub struct RawMode {
        saved: Termios,
    }

    impl RawMode {
        /// Enter raw mode when both stdin and stdout are terminals.
        pub fn enter() -> Option<RawMode> {
            if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
                return None;
            }
            let stdin = std::io::stdin();
            let saved = termios::tcgetattr(&stdin).ok()?;
            let mut raw = saved.clone();
            raw.make_raw();
            termios::tcsetattr(&stdin, OptionalActions::Flush, &raw).ok()?;
            Some(RawMode { saved })
        }

        /// Restore the previous mode now (as dropping it does).
        pub fn leave(self) {
            drop(self);
        }
    }

    impl Drop for RawMode {
        fn drop(&mut self) {
            let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Flush, &self.saved);
        }
    }

    /// Rows and columns of the terminal on stdout.
    pub fn size() -> Option<(u16, u16)> {
        let stdout = std::io::stdout();
        if !stdout.is_terminal() {
            return None;
        }
        let ws = termios::tcgetwinsize(&stdout).ok()?;
        (ws.ws_row > 0 && ws.ws_col > 0).then_some((ws.ws_row, ws.ws_col))
    }
}

#[cfg(not(unix))]
mod imp {
    pub struct RawMode;

    impl RawMode {
        pub fn enter() -> Option<RawMode> {
            None
        }

        pub fn leave(self) {}
    }

    pub fn size() -> Option<(u16, u16)> {
        None
    }
}

pub use imp::{size, RawMode};
