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
//!
//! [`feed_panel`] is the whole feeding loop (replay, then live output gathered in
//! [`PANEL_BATCH`] periods), so the app only says where each message goes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::runs::supervisor::Utf8Stream;

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

/// Output is gathered this long before one message goes to the panel, so a command
/// printing thousands of lines a second costs a few messages, not thousands.
pub const PANEL_BATCH: Duration = Duration::from_millis(16);
/// How far the panel may be behind before output is held back, and how much of the
/// held output is kept for it (the newest; the log has all of it).
pub const PANEL_WINDOW: usize = 512 * 1024;
pub const PANEL_KEEP: usize = 256 * 1024;
/// At most this many lines of live output go to the panel at once.
pub const PANEL_LINES: usize = 2000;
/// The panel's scrollback (the app's Terminal.svelte): what a replay may fill.
pub const PANEL_SCROLLBACK: usize = 10_000;
/// After the run ended, held output waits this many batch periods for a panel that
/// may have been closed.
const ENDED_GRACE_TICKS: u32 = 300;

/// Feed one terminal panel on its own thread: the run's recent output (`backlog`, which
/// may fill the panel's whole scrollback), then what `live` brings until the run ends
/// or `send` says the panel is gone, paced to what the panel acknowledges through
/// `streams` (with the id returned). `send` gets the text (UTF-8 kept whole across
/// chunks) and the byte count the panel acknowledges once it has drawn it.
pub fn feed_panel(
    streams: &Arc<PacedStreams>,
    backlog: Vec<u8>,
    live: Receiver<Vec<u8>>,
    send: impl FnMut(u32, String) -> bool + Send + 'static,
) -> u64 {
    let pacer = OutputPacer::new(
        PANEL_WINDOW,
        backlog.len().max(PANEL_KEEP),
        PANEL_SCROLLBACK,
    );
    let stream = streams.open(pacer.credit());
    let streams = Arc::clone(streams);
    std::thread::spawn(move || {
        run_feed(pacer, &backlog, &live, send, PANEL_BATCH);
        streams.close(stream);
    });
    stream
}

/// The loop of [`feed_panel`], on the caller's thread; returns when the run has ended
/// and its output is out (or given up on), or the panel is gone.
pub fn run_feed(
    mut pacer: OutputPacer,
    backlog: &[u8],
    live: &Receiver<Vec<u8>>,
    mut send: impl FnMut(u32, String) -> bool,
    batch: Duration,
) {
    let mut text = Utf8Stream::default();
    let mut send = |pacer: &mut OutputPacer| match pacer.take() {
        None => true,
        Some(bytes) => send(bytes.len() as u32, text.decode(&bytes)),
    };
    pacer.push(backlog);
    let mut open = send(&mut pacer);
    pacer.limit(PANEL_KEEP, PANEL_LINES);
    let mut grace = ENDED_GRACE_TICKS;
    while open {
        // While output is held for a panel that is behind, wake up to look at its
        // acknowledgements even when the run prints nothing more.
        let first = if pacer.holding() {
            live.recv_timeout(batch)
        } else {
            live.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match first {
            Ok(chunk) => {
                pacer.push(&chunk);
                // Gather for one batch period (bounded by time, not by what arrives:
                // a firehose always has more).
                let deadline = Instant::now() + batch;
                loop {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match live.recv_timeout(left) {
                        Ok(more) if !left.is_zero() => pacer.push(&more),
                        Ok(more) => {
                            pacer.push(&more);
                            break;
                        }
                        Err(_) => break,
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) if pacer.holding() && grace > 0 => {
                // The run ended: what is held still goes out once there is room.
                grace -= 1;
                std::thread::sleep(batch);
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
        open = send(&mut pacer);
    }
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

    /// Run [`run_feed`] on `live` with a panel that acknowledges at once when `acks`.
    fn feed(backlog: &str, live: Receiver<Vec<u8>>, acks: bool, window: usize) -> String {
        let pacer = OutputPacer::new(window, PANEL_KEEP, PANEL_SCROLLBACK);
        let credit = pacer.credit();
        let mut got = String::new();
        let send = |ack: u32, text: String| {
            if acks {
                acknowledge(&credit, ack as usize);
            }
            got.push_str(&text);
            true
        };
        run_feed(
            pacer,
            backlog.as_bytes(),
            &live,
            send,
            Duration::from_millis(1),
        );
        got
    }

    #[test]
    fn the_feed_replays_then_streams_until_the_run_ends() {
        let (tx, rx) = std::sync::mpsc::channel();
        let writer = std::thread::spawn(move || {
            for i in 0..500 {
                tx.send(format!("line {i}\n").into_bytes()).unwrap();
            }
            // A character split across two chunks arrives whole.
            tx.send(vec![0xc3]).unwrap();
            tx.send(vec![0xa9, b'\n']).unwrap();
        });
        let got = feed("replayed\n", rx, true, PANEL_WINDOW);
        writer.join().unwrap();
        let want: String = (0..500).map(|i| format!("line {i}\n")).collect();
        assert_eq!(got, format!("replayed\n{want}é\n"));
    }

    #[test]
    fn the_feed_stops_when_the_panel_is_gone_though_the_run_goes_on() {
        let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let pacer = OutputPacer::new(PANEL_WINDOW, PANEL_KEEP, PANEL_SCROLLBACK);
        let mut calls = 0;
        run_feed(
            pacer,
            b"replay",
            &rx,
            |_, _| {
                calls += 1;
                false
            },
            Duration::from_millis(1),
        );
        assert_eq!(calls, 1);
        drop(tx);
    }

    #[test]
    fn held_output_of_an_ended_run_is_given_up_on_for_a_panel_that_never_draws() {
        let (tx, rx) = std::sync::mpsc::channel();
        let writer = std::thread::spawn(move || {
            let line = "x".repeat(99) + "\n";
            for _ in 0..100 {
                tx.send(line.clone().into_bytes()).unwrap();
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let started = Instant::now();
        // A 1 KB window the panel never acknowledges: after the first batches the rest
        // is held, then given up on once the run has ended.
        let got = feed("", rx, false, 1000);
        writer.join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(got.len() < 100 * 100, "{} bytes sent", got.len());
    }

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
