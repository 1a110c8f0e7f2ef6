//! Flow control between a run's output and a terminal panel that renders slower than
//! the run prints (`yes`, `cat` of a large file): without it the backend queues every
//! byte for the web view, whose frames then take hundreds of milliseconds and whose
//! process memory grows with the backlog.
//!
//! The panel acknowledges what it has drawn. While more than `window` bytes are
//! unacknowledged, new output is held back; of what is held only the last `keep` bytes
//! are kept, cut at a line start, and the panel is told how much it did not get. What
//! goes out at once is also at most `keep_lines` lines: a terminal's cost is per line
//! as much as per byte (`yes` prints 128 thousand lines in 256 KiB, more than anyone
//! reads between two frames). The run's log file always has every byte: this only
//! decides what the panel shows. A panel that keeps up with output of ordinary density
//! loses nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// See the module documentation. One per attached panel.
pub struct OutputPacer {
    in_flight: Arc<AtomicUsize>,
    window: usize,
    keep: usize,
    keep_lines: usize,
    held: Vec<u8>,
    skipped: u64,
}

impl OutputPacer {
    pub fn new(window: usize, keep: usize, keep_lines: usize) -> Self {
        OutputPacer {
            in_flight: Arc::new(AtomicUsize::new(0)),
            window,
            keep: keep.max(1),
            keep_lines: keep_lines.max(1),
            held: Vec::new(),
            skipped: 0,
        }
    }

    /// Change how much is kept and how many lines go out at once (e.g. a whole
    /// scrollback for the replay when a panel opens, less for live output).
    pub fn limit(&mut self, keep: usize, keep_lines: usize) {
        self.keep = keep.max(1);
        self.keep_lines = keep_lines.max(1);
    }

    /// The counter the panel's acknowledgements go to ([`acknowledge`]).
    pub fn credit(&self) -> Arc<AtomicUsize> {
        self.in_flight.clone()
    }

    /// New output from the run.
    pub fn push(&mut self, bytes: &[u8]) {
        self.held.extend_from_slice(bytes);
        if self.held.len() > self.keep {
            // Drop the oldest bytes, then up to the next line start so the panel never
            // starts in the middle of a line (or of a character or escape sequence).
            let mut cut = self.held.len() - self.keep;
            if self.held[cut - 1] != b'\n' {
                if let Some(nl) = memchr::memchr(b'\n', &self.held[cut..]) {
                    cut += nl + 1;
                }
            }
            self.skipped += cut as u64;
            self.held.drain(..cut);
        }
    }

    /// Whether output is held back, waiting for the panel.
    pub fn holding(&self) -> bool {
        !self.held.is_empty() || self.skipped > 0
    }

    /// What to send now: everything held, preceded by a note of what was skipped, or
    /// `None` while the panel is more than a window behind (or nothing is held).
    pub fn take(&mut self) -> Option<Vec<u8>> {
        if !self.holding() || self.in_flight.load(Ordering::Acquire) >= self.window {
            return None;
        }
        // At most `keep_lines` lines: cut just after the newline that ends the line
        // before them (a last line without its newline yet counts as one of them).
        let complete = self.held.last() == Some(&b'\n');
        let wanted = self.keep_lines + usize::from(complete);
        if let Some(cut) = memchr::memrchr_iter(b'\n', &self.held).nth(wanted - 1) {
            self.skipped += cut as u64 + 1;
            self.held.drain(..=cut);
        }
        let mut out = Vec::with_capacity(self.held.len() + 96);
        if self.skipped > 0 {
            out.extend_from_slice(
                format!(
                    "\r\n\x1b[2m[… {} not shown here: the output came faster than the panel draws; the run's log has all of it]\x1b[0m\r\n",
                    human_bytes(self.skipped)
                )
                .as_bytes(),
            );
            self.skipped = 0;
        }
        out.append(&mut self.held);
        self.in_flight.fetch_add(out.len(), Ordering::AcqRel);
        Some(out)
    }
}

/// The paced streams open at once, by id: a panel's acknowledgement names its stream.
#[derive(Default)]
pub struct PacedStreams {
    next: std::sync::atomic::AtomicU64,
    credits: std::sync::Mutex<std::collections::HashMap<u64, Arc<AtomicUsize>>>,
}

impl PacedStreams {
    /// Register a pacer's credit; returns the id the panel acknowledges with.
    pub fn open(&self, credit: Arc<AtomicUsize>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.lock().insert(id, credit);
        id
    }

    /// An acknowledgement from the panel of stream `id` (ignored once it is closed).
    pub fn acknowledge(&self, id: u64, bytes: usize) {
        if let Some(credit) = self.lock().get(&id) {
            acknowledge(credit, bytes);
        }
    }

    pub fn close(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<u64, Arc<AtomicUsize>>> {
        self.credits.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The panel has drawn `bytes` of what it was sent.
pub fn acknowledge(credit: &AtomicUsize, bytes: usize) {
    let _ = credit.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
        Some(n.saturating_sub(bytes))
    });
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / 1e6),
        n if n >= 1 << 10 => format!("{:.0} KB", n as f64 / 1e3),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panel_that_keeps_up_gets_every_byte_in_order() {
        let mut p = OutputPacer::new(100, 50, 1000);
        let credit = p.credit();
        let mut got = Vec::new();
        for i in 0..1000u32 {
            p.push(format!("line {i}\n").as_bytes());
            let sent = p.take().unwrap();
            acknowledge(&credit, sent.len());
            got.extend(sent);
        }
        let want: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(String::from_utf8(got).unwrap(), want);
        assert!(!p.holding());
    }

    #[test]
    fn a_slow_panel_gets_the_newest_lines_and_a_note_of_what_it_missed() {
        let mut p = OutputPacer::new(10, 20, 1000);
        let credit = p.credit();
        p.push(b"0123456789ab\n");
        let first = p.take().unwrap();
        assert_eq!(first, b"0123456789ab\n");
        // The panel has not drawn it yet: everything after waits, bounded to 20 bytes.
        for i in 0..100 {
            p.push(format!("l{i:03}\n").as_bytes());
            assert!(p.take().is_none(), "window full");
        }
        assert!(p.holding());
        acknowledge(&credit, first.len());
        let text = String::from_utf8(p.take().unwrap()).unwrap();
        let (note, rest) = text.split_once("]\x1b[0m\r\n").unwrap();
        assert!(note.contains("480 bytes not shown"), "{note}");
        // Whole lines only, the newest ones, in order.
        assert_eq!(rest, "l096\nl097\nl098\nl099\n");
        assert!(!p.holding());
        assert_eq!(credit.load(Ordering::Acquire), text.len());
    }

    #[test]
    fn acknowledgements_reach_the_named_open_stream_only() {
        let streams = PacedStreams::default();
        let (mut a, mut b) = (
            OutputPacer::new(10, 100, 1000),
            OutputPacer::new(10, 100, 1000),
        );
        let (ia, ib) = (streams.open(a.credit()), streams.open(b.credit()));
        assert_ne!(ia, ib);
        a.push(b"0123456789\n");
        b.push(b"0123456789\n");
        let (sa, _) = (a.take().unwrap(), b.take().unwrap());
        a.push(b"more\n");
        b.push(b"more\n");
        streams.acknowledge(ia, sa.len());
        assert!(a.take().is_some(), "a was acknowledged");
        assert!(b.take().is_none(), "b was not");
        streams.close(ib);
        streams.acknowledge(ib, 100);
        assert!(
            b.take().is_none(),
            "a closed stream takes no acknowledgements"
        );
    }

    #[test]
    fn a_burst_of_more_lines_than_a_frame_shows_sends_only_the_newest() {
        let mut p = OutputPacer::new(1 << 20, 1 << 20, 3);
        p.push(b"y\ny\ny\ny\ny\nlast-but-two\nlast-but-one\nlast\n");
        let text = String::from_utf8(p.take().unwrap()).unwrap();
        assert!(text.contains("10 bytes not shown"), "{text}");
        assert!(
            text.ends_with("]\x1b[0m\r\nlast-but-two\nlast-but-one\nlast\n"),
            "{text}"
        );
        // A partial last line is one of the lines kept.
        p.push(b"a\nb\nc\npartial");
        let text = String::from_utf8(p.take().unwrap()).unwrap();
        assert!(text.ends_with("\r\nb\nc\npartial"), "{text}");
        // Within the limit nothing is cut.
        p.push(b"1\n2\n3\n");
        assert_eq!(p.take().unwrap(), b"1\n2\n3\n");
    }

    #[test]
    fn acknowledging_more_than_was_sent_never_underflows() {
        let p = OutputPacer::new(10, 10, 1000);
        acknowledge(&p.credit(), 5);
        assert_eq!(p.credit().load(Ordering::Acquire), 0);
    }

    #[test]
    fn a_line_longer_than_what_is_kept_is_cut_not_dropped_whole() {
        let mut p = OutputPacer::new(0, 8, 1000);
        p.push(&[b'y'; 100]);
        assert!(p.take().is_none(), "a zero window sends nothing");
        let mut q = OutputPacer::new(1, 8, 1000);
        q.push(&[b'y'; 100]);
        let text = String::from_utf8(q.take().unwrap()).unwrap();
        assert!(text.contains("92 bytes not shown"), "{text}");
        assert!(text.ends_with("yyyyyyyy"));
    }
}
