//! Opening the agents' files without trusting them.
//!
//! Anything can sit under a name that looks like a transcript: a FIFO (opening it for
//! reading blocks until a writer comes, forever if none does), a socket, a device, a
//! symlink to one of those, or a file too big to hold in memory. Every read of an
//! agent's file goes through here, so that the live thread never blocks and memory
//! stays bounded:
//! - [`open`] opens regular files only. It looks at the type first (without opening)
//!   and opens with `O_NONBLOCK` on Unix, then checks the opened handle again, so a
//!   file swapped for a FIFO between the look and the open cannot block either;
//! - [`read_whole`] reads a whole-file transcript (Gemini's chat JSON, opencode's
//!   message files) only up to [`MAX_WHOLE_FILE_BYTES`]; a bigger file is an error
//!   that says "too large to read" (a Gemini `.json` chat is then decoded from the
//!   file as a stream instead, see `agents::gemini`).

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// The largest file read whole and parsed at once (the same bound as the longest line
/// read from a line transcript, `tail::MAX_LINE_BYTES`): parsing it into a JSON tree
/// takes a few times its size.
pub const MAX_WHOLE_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What a path that is not a regular file is, for the message ("a FIFO").
pub fn special_kind(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// [`open`]'s refusal of a path that is not a regular file.
#[derive(Debug, thiserror::Error)]
#[error("skipped: {0}, not a regular file")]
pub struct NotRegular(pub &'static str);

fn not_regular(kind: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, NotRegular(kind))
}

/// Is this error [`open`]'s refusal of a special file?
pub fn is_not_regular(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<NotRegular>())
}

/// Open `path` for reading if it is a regular file (symlinks followed), never blocking.
pub fn open(path: &Path) -> io::Result<File> {
    if let Some(kind) = special_kind(&std::fs::metadata(path)?) {
        return Err(not_regular(kind));
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Reads of a regular file ignore O_NONBLOCK; it only keeps the open of a FIFO
        // that replaced the file a moment ago from waiting for a writer.
        options.custom_flags(nix::libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if let Some(kind) = special_kind(&file.metadata()?) {
        return Err(not_regular(kind));
    }
    Ok(file)
}

/// The error for a file over `max` bytes.
pub fn too_large(size: u64, max: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "too large to read ({} MiB; files over {} MiB are not read whole)",
            size.div_ceil(1 << 20),
            max >> 20
        ),
    )
}

/// The whole of a regular file of at most `max` bytes.
pub fn read_whole(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = open(path)?;
    let size = file.metadata()?.len();
    if size > max {
        return Err(too_large(size, max));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // It may grow while read: one byte over the limit is enough to know.
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64, max));
    }
    Ok(bytes)
}

/// The file's inode (0 where the OS has none to give): with its size and time, what
/// tells a rotated or replaced file from the one read before.
#[cfg(unix)]
pub fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

/// The file's inode (0 where the OS has none to give).
#[cfg(not(unix))]
pub fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

/// [`inode`] of an open file: on Windows its index on the volume (what Unix calls the
/// inode), so a chat replaced by a rename is told from the one indexed even when the
/// bytes at the indexed end happen to match.
#[cfg(windows)]
pub fn open_file_id(file: &File, meta: &std::fs::Metadata) -> u64 {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        GetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION,
    };
    // SAFETY: a plain-data struct, zero is its empty value.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: a handle of an open file and an out-pointer to the struct it fills.
    if unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) } == 0 {
        return inode(meta);
    }
    (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow)
}

/// [`inode`] of an open file.
#[cfg(not(windows))]
pub fn open_file_id(_file: &File, meta: &std::fs::Metadata) -> u64 {
    inode(meta)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn regular_files_open_and_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        std::fs::write(&p, b"{}").unwrap();
        assert!(open(&p).is_ok());
        assert_eq!(read_whole(&p, 10).unwrap(), b"{}");
        #[cfg(unix)]
        {
            let link = dir.path().join("link.json");
            std::os::unix::fs::symlink(&p, &link).unwrap();
            assert_eq!(read_whole(&link, 10).unwrap(), b"{}");
        }
    }

    #[test]
    fn a_file_over_the_limit_is_too_large_to_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.json");
        std::fs::write(&p, vec![b' '; 3 << 20]).unwrap();
        let e = read_whole(&p, 2 << 20).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(e.to_string().contains("too large to read (3 MiB"), "{e}");
    }

    #[cfg(unix)]
    pub(crate) fn mkfifo(path: &Path) {
        let ok = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap();
        assert!(ok.success());
    }

    #[cfg(unix)]
    #[test]
    fn fifos_sockets_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("s.jsonl");
        mkfifo(&fifo);
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        let sock = dir.path().join("sock.jsonl");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        for (path, kind) in [
            (fifo.as_path(), "a FIFO"),
            (link.as_path(), "a FIFO"),
            (sock.as_path(), "a socket"),
            (Path::new("/dev/null"), "a device"),
        ] {
            let e = open(path).unwrap_err();
            assert!(is_not_regular(&e), "{path:?}: {e}");
            assert!(e.to_string().contains(kind), "{e}");
            assert!(read_whole(path, 10).is_err());
        }
    }
}
