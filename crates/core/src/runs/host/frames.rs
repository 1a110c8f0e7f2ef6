//! What Sessionscope tells a run host over the host's standard input: one frame per
//! message, `tag (1 byte) | length (u32, little-endian) | payload`, and what the host
//! tells back over its standard error: one line per event.
//!
//! Frames: the run to start (`S`, JSON of [`HostSpec`]), keys typed into the run
//! (`I`), a new terminal size (`R`, rows and columns as two u16), and "Sessionscope is
//! letting go of the run" (`D`, empty). Nothing read here panics or allocates more than
//! [`MAX_FRAME`] on a bad length: a malformed stream is an error, and the host treats it
//! as Sessionscope gone.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};

/// The largest payload a frame may carry (a pasted text is far smaller).
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// The run a host starts: the command (for the shell, see `runs::launch`), where, with
/// which extra environment, in a terminal of which size, and the log its output goes
/// to once Sessionscope has let go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostSpec {
    pub command: String,
    pub cwd: Option<String>,
    pub env: Vec<(String, String)>,
    pub rows: u16,
    pub cols: u16,
    pub log: String,
}

/// One message from Sessionscope to the host.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Spec(HostSpec),
    Input(Vec<u8>),
    Resize { rows: u16, cols: u16 },
    Detach,
}

impl Frame {
    /// The bytes of this frame on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let (tag, payload): (u8, Vec<u8>) = match self {
            // A spec of strings and numbers always serializes.
            Frame::Spec(spec) => (b'S', serde_json::to_vec(spec).unwrap_or_default()),
            Frame::Input(bytes) => (b'I', bytes.clone()),
            Frame::Resize { rows, cols } => {
                let mut p = rows.to_le_bytes().to_vec();
                p.extend_from_slice(&cols.to_le_bytes());
                (b'R', p)
            }
            Frame::Detach => (b'D', Vec::new()),
        };
        let mut out = Vec::with_capacity(5 + payload.len());
        out.push(tag);
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// Write the frame in one call (so frames from two threads never interleave).
    pub fn send(&self, to: &mut dyn Write) -> io::Result<()> {
        to.write_all(&self.encode())?;
        to.flush()
    }

    /// The next frame; `None` at a clean end of the stream (between frames).
    pub fn read(from: &mut dyn Read) -> io::Result<Option<Frame>> {
        let mut head = [0u8; 5];
        match from.read(&mut head[..1])? {
            0 => return Ok(None),
            _ => from.read_exact(&mut head[1..])?,
        }
        let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
        if len > MAX_FRAME {
            return Err(bad(format!("a frame of {len} bytes")));
        }
        let mut payload = vec![0u8; len];
        from.read_exact(&mut payload)?;
        Ok(Some(match head[0] {
            b'S' => Frame::Spec(
                serde_json::from_slice(&payload).map_err(|e| bad(format!("a bad spec: {e}")))?,
            ),
            b'I' => Frame::Input(payload),
            b'R' if len == 4 => Frame::Resize {
                rows: u16::from_le_bytes([payload[0], payload[1]]),
                cols: u16::from_le_bytes([payload[2], payload[3]]),
            },
            b'D' if len == 0 => Frame::Detach,
            tag => return Err(bad(format!("an unknown frame {tag:#x} of {len} bytes"))),
        }))
    }
}

fn bad(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("run host: {what}"))
}

/// One event from the host to Sessionscope, a line each.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The run started with this PID; `job` is false when it could not be put in a job
    /// object (then a kill ends its tree by parent links), with why in `Warning`.
    Started {
        pid: u32,
        job: bool,
    },
    Warning(String),
    /// The run could not be started.
    Failed(String),
    Exited(u32),
}

impl Event {
    pub fn line(&self) -> String {
        let one_line = |s: &str| s.replace(['\r', '\n'], " ");
        match self {
            Event::Started { pid, job } => {
                format!("started {pid} {}\n", if *job { "job" } else { "nojob" })
            }
            Event::Warning(w) => format!("warning {}\n", one_line(w)),
            Event::Failed(e) => format!("failed {}\n", one_line(e)),
            Event::Exited(code) => format!("exited {code}\n"),
        }
    }

    /// The event a line says; `None` for a line that is none (ignored).
    pub fn parse(line: &str) -> Option<Event> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "started" => {
                let (pid, job) = rest.split_once(' ')?;
                Some(Event::Started {
                    pid: pid.parse().ok()?,
                    job: job == "job",
                })
            }
            "warning" => Some(Event::Warning(rest.to_string())),
            "failed" => Some(Event::Failed(rest.to_string())),
            "exited" => rest.parse().ok().map(Event::Exited),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_reads_back_as_written_and_the_stream_ends_cleanly() {
        let frames = [
            Frame::Spec(HostSpec {
                command: "echo \"hi there\" && exit 3".into(),
                cwd: Some("C:\\work".into()),
                env: vec![("TERM".into(), "xterm-256color".into())],
                rows: 30,
                cols: 120,
                log: "C:\\logs\\r.log".into(),
            }),
            Frame::Input(b"ls\r\n\x03".to_vec()),
            Frame::Input(Vec::new()),
            Frame::Resize {
                rows: 50,
                cols: u16::MAX,
            },
            Frame::Detach,
        ];
        let wire: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
        let mut r = &wire[..];
        for f in &frames {
            assert_eq!(Frame::read(&mut r).unwrap().as_ref(), Some(f));
        }
        assert_eq!(Frame::read(&mut r).unwrap(), None);
    }

    #[test]
    fn a_torn_oversized_or_unknown_frame_is_an_error_not_a_panic() {
        let whole = Frame::Input(b"abc".to_vec()).encode();
        for cut in 1..whole.len() {
            assert!(Frame::read(&mut &whole[..cut]).is_err(), "cut at {cut}");
        }
        let mut huge = vec![b'I'];
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(Frame::read(&mut &huge[..]).is_err());
        for bad in [
            &b"X\0\0\0\0"[..],
            b"R\x01\0\0\0\x05",
            b"D\x01\0\0\0x",
            b"S\x02\0\0\0{]",
        ] {
            assert!(Frame::read(&mut &bad[..]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn events_are_one_line_each_and_read_back() {
        let events = [
            Event::Started {
                pid: 4242,
                job: true,
            },
            Event::Started { pid: 7, job: false },
            Event::Warning("no job object (access denied)".into()),
            Event::Failed("CreateProcessW failed:\r\nnot found".into()),
            Event::Exited(3),
        ];
        for e in &events {
            let line = e.line();
            assert_eq!(line.matches('\n').count(), 1, "{line:?}");
            let back = Event::parse(&line).unwrap();
            match e {
                Event::Failed(_) => assert_eq!(
                    back,
                    Event::Failed("CreateProcessW failed:  not found".into())
                ),
                _ => assert_eq!(&back, e),
            }
        }
        for noise in ["", "exited", "exited x", "started 1", "hello world"] {
            assert_eq!(Event::parse(noise), None, "{noise:?}");
        }
    }
}
