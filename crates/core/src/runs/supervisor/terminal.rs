//! What a terminal panel talks to: the replay buffer of a run's output, attaching to
//! it (a detached run's log is followed instead), reading its log back, typing into
//! it and resizing it.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use portable_pty::PtySize;

use super::{Supervisor, SupervisorError, SUBSCRIBER_QUEUE};
use crate::model::RunStatus;

/// Keeps the last `capacity` bytes written to it.
#[derive(Debug)]
pub struct RingBuffer {
    bytes: VecDeque<u8>,
    capacity: usize,
}

impl RingBuffer {
    pub fn new(capacity: usize) -> Self {
        RingBuffer {
            bytes: VecDeque::with_capacity(capacity.min(64 * 1024)),
            capacity,
        }
    }

    pub fn push(&mut self, data: &[u8]) {
        let data = if data.len() > self.capacity {
            &data[data.len() - self.capacity..]
        } else {
            data
        };
        let overflow = (self.bytes.len() + data.len()).saturating_sub(self.capacity);
        self.bytes.drain(..overflow);
        self.bytes.extend(data);
    }

    pub fn contents(&self) -> Vec<u8> {
        self.bytes.iter().copied().collect()
    }
}

/// Turns a byte stream into UTF-8 text without splitting a character across batches.
#[derive(Debug, Default)]
pub struct Utf8Stream {
    carry: Vec<u8>,
}

impl Utf8Stream {
    pub fn decode(&mut self, bytes: &[u8]) -> String {
        self.carry.extend_from_slice(bytes);
        let mut out = String::with_capacity(self.carry.len());
        let mut rest: &[u8] = &self.carry;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    out.push_str(std::str::from_utf8(good).unwrap_or_default());
                    match e.error_len() {
                        // Invalid bytes: replace and go on.
                        Some(n) => {
                            out.push('\u{fffd}');
                            rest = &bad[n..];
                        }
                        // An incomplete character at the end: keep it for next time.
                        None => {
                            rest = bad;
                            break;
                        }
                    }
                }
            }
        }
        self.carry = rest.to_vec();
        out
    }
}

impl Supervisor {
    /// The output so far and a stream of what comes next; the stream ends when the run
    /// ends. For a run this process started, "so far" is the ring buffer; for a
    /// detached one it is the tail of its log file, which is then followed.
    pub fn attach(&self, id: &str) -> Result<(Vec<u8>, Receiver<Vec<u8>>), SupervisorError> {
        let mut slots = self.slots();
        let slot = slots
            .get_mut(id)
            .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?;
        let (tx, rx) = mpsc::sync_channel(SUBSCRIBER_QUEUE);
        if slot.owned {
            if slot.info.status == RunStatus::Running {
                let sid = self.inner.next_subscriber.fetch_add(1, Ordering::Relaxed);
                slot.subscribers.push((sid, tx));
            }
            return Ok((slot.ring.contents(), rx));
        }
        let Some(path) = slot.info.log_path.clone().map(PathBuf::from) else {
            return Ok((Vec::new(), rx));
        };
        let running = slot.info.status == RunStatus::Running;
        drop(slots);
        let (backlog, offset) = read_log_tail_at(&path, self.ring_bytes())?;
        if running {
            self.follow_log(id.to_string(), path, offset, tx);
        }
        Ok((backlog, rx))
    }

    /// Send what is appended to a detached run's log until the run ends.
    fn follow_log(&self, id: String, path: PathBuf, mut offset: u64, tx: SyncSender<Vec<u8>>) {
        let weak = Arc::downgrade(&self.inner);
        let _ = thread::Builder::new()
            .name(format!("run-{id}-follow"))
            .spawn(move || loop {
                let running = match weak.upgrade() {
                    Some(inner) => Supervisor { inner }
                        .run(&id)
                        .is_some_and(|r| r.status == RunStatus::Running),
                    None => false,
                };
                if let Ok(mut f) = File::open(&path) {
                    if f.seek(SeekFrom::Start(offset)).is_ok() {
                        let mut buf = Vec::new();
                        if f.read_to_end(&mut buf).is_ok() && !buf.is_empty() {
                            offset += buf.len() as u64;
                            if tx.send(buf).is_err() {
                                return;
                            }
                        }
                    }
                }
                if !running {
                    return;
                }
                thread::sleep(Duration::from_millis(200));
            });
    }

    /// The last `max_bytes` of a run's log (the whole output when it is shorter): how
    /// a finished or restored run's output is reopened.
    pub fn log_tail(&self, id: &str, max_bytes: usize) -> Result<Vec<u8>, SupervisorError> {
        let path = self
            .run(id)
            .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?
            .log_path
            .ok_or_else(|| SupervisorError::NoLog(id.into()))?;
        match read_log_tail_at(Path::new(&path), max_bytes) {
            Ok((bytes, _)) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(SupervisorError::NoLog(id.into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Type into the run's terminal.
    pub fn write_input(&self, id: &str, data: &[u8]) -> Result<(), SupervisorError> {
        let mut slots = self.slots();
        let slot = slots
            .get_mut(id)
            .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?;
        if !slot.owned && slot.info.status == RunStatus::Running {
            return Err(SupervisorError::Detached(id.into()));
        }
        let input = slot
            .input
            .as_mut()
            .ok_or_else(|| SupervisorError::NotRunning(id.into()))?;
        input.write_all(data)?;
        input.flush()?;
        Ok(())
    }

    /// Resize the run's terminal to the panel's size (a detached run has none: no-op).
    pub fn resize(&self, id: &str, rows: u16, cols: u16) -> Result<(), SupervisorError> {
        let slots = self.slots();
        let slot = slots
            .get(id)
            .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?;
        if let Some(master) = slot.master.as_ref() {
            master
                .resize(PtySize {
                    rows: rows.max(1),
                    cols: cols.max(1),
                    pixel_width: 0,
                    pixel_height: 0,
                })
                .map_err(|e| SupervisorError::Spawn(e.to_string()))?;
        }
        Ok(())
    }
}

/// The last `max_bytes` of a file, and the file's length (where following resumes).
fn read_log_tail_at(path: &Path, max_bytes: usize) -> std::io::Result<(Vec<u8>, u64)> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    let start = len.saturating_sub(max_bytes as u64);
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::with_capacity((len - start) as usize);
    f.take(len - start).read_to_end(&mut buf)?;
    Ok((buf, len))
}
