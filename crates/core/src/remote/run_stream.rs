//! A run's output over the remote link, bounded on both sides.
//!
//! On the host, [`LogFollower`] reads a run's log from an offset in chunks of at most
//! [`MAX_OUTPUT_CHUNK`] bytes. The log is the one place every byte is kept, so the
//! follower never holds output of its own: when it has fallen more than
//! [`MAX_BEHIND`] bytes behind (a run printing faster than ssh carries it) it jumps
//! ahead, keeping the last [`KEEP_WHEN_SKIPPING`] bytes, and the jump shows as a gap
//! in the offsets.
//!
//! On this side, [`RunFeed`] turns the chunks that arrive (some possibly dropped by a
//! full queue) into output in order, "skipped N bytes" for every gap and nothing twice
//! (a chunk overlapping what was already shown is cut).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

pub use crate::remote::protocol::MAX_OUTPUT_CHUNK;

/// How far a follower may lag behind the end of the log before it skips ahead.
pub const MAX_BEHIND: u64 = 8 << 20;

/// What a follower that skips ahead still sends of the end of the log.
pub const KEEP_WHEN_SKIPPING: u64 = 256 << 10;

/// Reads one run's log from an offset on (see the module documentation).
pub struct LogFollower {
    path: PathBuf,
    offset: u64,
    file: Option<File>,
}

impl LogFollower {
    pub fn new(path: impl Into<PathBuf>, offset: u64) -> LogFollower {
        LogFollower {
            path: path.into(),
            offset,
            file: None,
        }
    }

    /// The offset of the next byte to read.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next chunk and its offset, or `None` when the log has nothing new (or does
    /// not exist yet).
    pub fn read(&mut self) -> io::Result<Option<(u64, Vec<u8>)>> {
        if self.file.is_none() {
            match File::open(&self.path) {
                Ok(f) => self.file = Some(f),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(None);
        };
        let len = file.metadata()?.len();
        if len < self.offset {
            // Asked for more than there is (or the log was cut): from its end on.
            self.offset = len;
        }
        if len - self.offset > MAX_BEHIND {
            self.offset = len - KEEP_WHEN_SKIPPING;
        }
        if len == self.offset {
            return Ok(None);
        }
        let want = (len - self.offset).min(MAX_OUTPUT_CHUNK as u64) as usize;
        let mut buf = vec![0u8; want];
        file.seek(SeekFrom::Start(self.offset))?;
        let mut got = 0;
        while got < want {
            match file.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(got);
        if got == 0 {
            return Ok(None);
        }
        let at = self.offset;
        self.offset += got as u64;
        Ok(Some((at, buf)))
    }
}

/// What a follower shows next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedItem {
    /// Output bytes, in order.
    Output(Vec<u8>),
    /// This many bytes were not carried (they are in the log on the host).
    Skipped(u64),
}

/// Chunks as they arrive, in order, with gaps said and overlaps cut.
#[derive(Debug, Clone)]
pub struct RunFeed {
    next: u64,
}

impl RunFeed {
    /// A feed expecting the output from byte `from` of the log.
    pub fn new(from: u64) -> RunFeed {
        RunFeed { next: from }
    }

    /// The offset of the next byte expected.
    pub fn offset(&self) -> u64 {
        self.next
    }

    /// What the chunk at `offset` adds (nothing when it was all shown already).
    pub fn take(&mut self, offset: u64, bytes: &[u8]) -> Vec<FeedItem> {
        let end = offset.saturating_add(bytes.len() as u64);
        if end <= self.next {
            return Vec::new();
        }
        let mut items = Vec::new();
        if offset > self.next {
            items.push(FeedItem::Skipped(offset - self.next));
            items.push(FeedItem::Output(bytes.to_vec()));
        } else {
            let from = (self.next - offset) as usize;
            items.push(FeedItem::Output(bytes[from..].to_vec()));
        }
        self.next = end;
        items
    }
}

/// The line a terminal shows for a gap.
pub fn skipped_notice(bytes: u64) -> String {
    format!(
        "\r\n[sessionscope: output skipped {bytes} bytes (the run printed faster than it \
         could be carried); the whole of it is in the run's log on the host]\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_follower_reads_in_chunks_and_picks_up_what_is_appended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.log");
        let mut f = LogFollower::new(&path, 0);
        assert_eq!(f.read().unwrap(), None, "no log yet");
        let mut log = File::create(&path).unwrap();
        log.write_all(&vec![b'a'; MAX_OUTPUT_CHUNK + 10]).unwrap();
        let (at, first) = f.read().unwrap().unwrap();
        assert_eq!((at, first.len()), (0, MAX_OUTPUT_CHUNK));
        let (at, rest) = f.read().unwrap().unwrap();
        assert_eq!((at, rest.len()), (MAX_OUTPUT_CHUNK as u64, 10));
        assert_eq!(f.read().unwrap(), None);
        log.write_all(b"more").unwrap();
        assert_eq!(
            f.read().unwrap(),
            Some((MAX_OUTPUT_CHUNK as u64 + 10, b"more".to_vec()))
        );
        // From an offset past the end: from the end on.
        let mut late = LogFollower::new(&path, 1 << 40);
        assert_eq!(late.read().unwrap(), None);
        log.write_all(b"x").unwrap();
        assert_eq!(late.read().unwrap().unwrap().1, b"x");
    }

    #[test]
    fn a_follower_far_behind_skips_ahead_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.log");
        std::fs::write(&path, vec![b'z'; (MAX_BEHIND + 1000) as usize]).unwrap();
        let mut f = LogFollower::new(&path, 0);
        let (at, _) = f.read().unwrap().unwrap();
        let len = MAX_BEHIND + 1000;
        assert_eq!(at, len - KEEP_WHEN_SKIPPING);
        let mut feed = RunFeed::new(0);
        let items = feed.take(at, b"zz");
        assert_eq!(items[0], FeedItem::Skipped(at));
    }

    #[test]
    fn a_feed_says_gaps_and_never_shows_a_byte_twice() {
        let mut feed = RunFeed::new(0);
        assert_eq!(feed.take(0, b"abc"), [FeedItem::Output(b"abc".to_vec())]);
        // Again (a re-follow from an older offset): nothing new.
        assert!(feed.take(0, b"abc").is_empty());
        // Overlapping: only the new part.
        assert_eq!(feed.take(2, b"cde"), [FeedItem::Output(b"de".to_vec())]);
        // A dropped chunk: the gap, then the bytes.
        assert_eq!(
            feed.take(10, b"k"),
            [FeedItem::Skipped(5), FeedItem::Output(b"k".to_vec())]
        );
        assert_eq!(feed.offset(), 11);
        // A hostile offset does not overflow.
        assert_eq!(feed.take(u64::MAX, b"q").len(), 2);
        assert!(skipped_notice(5).contains("skipped 5 bytes"));
    }
}
