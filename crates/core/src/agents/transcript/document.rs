//! Finding the messages of a transcript that is one JSON document (a Gemini `.json`
//! chat: `{header fields, "messages": [...], more fields}`, rewritten whole on every
//! change) by byte offset, without decoding the document around them.
//!
//! A [`Scanner`] walks the document's top level and hands over the raw bytes of each
//! element of the array under one key ([`super::Document::key`]), with the byte
//! offset where it starts; the caller decodes just those bytes. A scan can start at
//! the beginning of the file or at the start of any element found before (where the
//! scanner's state is always the same: inside the array, before an element), which is
//! what `offsets` stores for a page to seek to.
//!
//! The scan agrees with a serde decoding of the whole document: the top-level
//! structure is checked here, each other top-level value and each element is checked
//! by serde_json (the caller decodes elements; header values are decoded here), and
//! the first thing that does not decode ends the scan as [`End::Broken`] — as a file
//! cut short while it is rewritten does. A file of nothing but whitespace is an
//! empty, complete document. The scanner never panics on input and holds one element
//! (plus a read buffer) at a time.
//!
//! While hashing ([`Scanner::start_hash`]), every byte consumed also goes into a
//! SHA-256, so the bytes between two element starts can be recognised later without
//! decoding them again ([`hash_range`]).

use std::io::{self, Read};

use sha2::{Digest, Sha256};

const CHUNK: usize = 1 << 20;

#[cfg(test)]
thread_local! {
    /// Bytes scanners and range hashes read on this thread (tests check what a read
    /// touched).
    pub(crate) static BYTES_READ: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How a document ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// It closed properly (or was blank).
    Complete,
    /// Something did not decode, or the file ended inside the document.
    Broken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the document.
    Start,
    /// In the top-level object, before a member (`first`: `}` may close it here).
    Members {
        first: bool,
    },
    /// After a member's value: `,` or `}`.
    AfterMember,
    /// After the top-level object: only whitespace may follow.
    Trailing,
    /// In the array, before an element (`first`: `]` may close it here).
    InArray {
        first: bool,
    },
    /// After an element: `,` or `]`.
    AfterElement,
    Done(End),
}

/// A walk over one JSON document read from `src`; see the module documentation.
pub(crate) struct Scanner<R> {
    src: R,
    key: &'static str,
    buf: Vec<u8>,
    pos: usize,
    /// File offset of `buf[0]`.
    base: u64,
    state: State,
    hasher: Option<Sha256>,
    /// `buf[..hashed]` went into the hasher.
    hashed: usize,
    /// The other top-level members, decoded, when asked for ([`Scanner::keep_headers`]).
    headers: Option<Vec<(String, serde_json::Value)>>,
}

/// A SHA-256, shortened: enough to tell two runs of bytes apart.
pub(crate) type Digest16 = [u8; 16];

fn short(h: Sha256) -> Digest16 {
    let full = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

impl<R: Read> Scanner<R> {
    /// A scan of the document from its first byte (`src` at offset 0).
    pub fn new(src: R, key: &'static str) -> Self {
        Self::with_state(src, key, 0, State::Start)
    }

    /// A scan from the start of an element found by an earlier scan, at `offset`
    /// (`src` positioned there).
    pub fn at_element(src: R, key: &'static str, offset: u64) -> Self {
        Self::with_state(src, key, offset, State::InArray { first: false })
    }

    fn with_state(src: R, key: &'static str, offset: u64, state: State) -> Self {
        Scanner {
            src,
            key,
            buf: Vec::new(),
            pos: 0,
            base: offset,
            state,
            hasher: None,
            hashed: 0,
            headers: None,
        }
    }

    /// Keep every other top-level member, decoded, for [`Scanner::take_headers`].
    pub fn keep_headers(&mut self) {
        self.headers = Some(Vec::new());
    }

    /// The other top-level members read so far (with [`Scanner::keep_headers`]).
    pub fn take_headers(&mut self) -> Vec<(String, serde_json::Value)> {
        self.headers
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// How the document ended, once [`Scanner::next_start`] answered `None`.
    pub fn end(&self) -> Option<End> {
        match self.state {
            State::Done(end) => Some(end),
            _ => None,
        }
    }

    /// Hash every byte consumed from here on.
    pub fn start_hash(&mut self) {
        self.hasher = Some(Sha256::new());
        self.hashed = self.pos;
    }

    /// The hash of the bytes consumed since [`Scanner::start_hash`] (or the last
    /// call), starting a new one.
    pub fn take_hash(&mut self) -> Digest16 {
        let mut h = self.hasher.take().unwrap_or_default();
        h.update(&self.buf[self.hashed..self.pos]);
        self.hashed = self.pos;
        self.hasher = Some(Sha256::new());
        short(h)
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Make sure a byte is buffered; `false` at the end of the file.
    fn fill(&mut self) -> io::Result<bool> {
        if self.pos < self.buf.len() {
            return Ok(true);
        }
        if let Some(h) = self.hasher.as_mut() {
            h.update(&self.buf[self.hashed..]);
        }
        self.base += self.buf.len() as u64;
        self.buf.clear();
        self.pos = 0;
        self.hashed = 0;
        self.buf.resize(CHUNK, 0);
        let n = loop {
            match self.src.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.clear();
                    return Err(e);
                }
            }
        };
        self.buf.truncate(n);
        #[cfg(test)]
        BYTES_READ.with(|c| c.set(c.get() + n as u64));
        Ok(n > 0)
    }

    /// The next byte that is not whitespace, not consumed; `None` at the end.
    fn peek_token(&mut self) -> io::Result<Option<u8>> {
        loop {
            if !self.fill()? {
                return Ok(None);
            }
            let rest = &self.buf[self.pos..];
            match rest
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                Some(i) => {
                    self.pos += i;
                    return Ok(Some(self.buf[self.pos]));
                }
                None => self.pos = self.buf.len(),
            }
        }
    }

    /// Consume one JSON value starting at the current byte (not whitespace), copying
    /// its bytes into `out`. Only its extent is found here (strings, nesting); whether
    /// it is valid JSON is for serde to say. `false` when the file ends inside it.
    fn take_value(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut started = false;
        loop {
            if !self.fill()? {
                // A scalar may end with the file (serde reads it, then misses the rest).
                return Ok(started && depth == 0 && !in_string);
            }
            let from = self.pos;
            let buf = &self.buf;
            let mut i = self.pos;
            let mut done = false;
            while i < buf.len() {
                if in_string {
                    if escaped {
                        escaped = false;
                        i += 1;
                        continue;
                    }
                    match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                        None => i = buf.len(),
                        Some(j) => {
                            i += j;
                            if buf[i] == b'\\' {
                                escaped = true;
                            } else {
                                in_string = false;
                                if depth == 0 {
                                    done = true;
                                    i += 1;
                                    break;
                                }
                            }
                            i += 1;
                        }
                    }
                    continue;
                }
                let b = buf[i];
                if !started {
                    started = true;
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth = 1,
                        _ => {}
                    }
                    i += 1;
                    continue;
                }
                if depth == 0 {
                    // A scalar: it ends before whitespace or a delimiter.
                    if is_scalar_end(Some(b)) {
                        done = true;
                        break;
                    }
                    i += 1;
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            done = true;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            out.extend_from_slice(&self.buf[from..i]);
            self.pos = i;
            if done {
                return Ok(true);
            }
        }
    }

    /// Go on to the start of the next element of the array and answer its byte
    /// offset (not consumed: [`Scanner::element`] reads it); `None` when the document
    /// ended ([`Scanner::end`] says how).
    pub fn next_start(&mut self) -> io::Result<Option<u64>> {
        let mut scratch = Vec::new();
        loop {
            let token = match self.state {
                State::Done(_) => return Ok(None),
                _ => self.peek_token()?,
            };
            let broken = State::Done(End::Broken);
            self.state = match (self.state, token) {
                (State::Start, None) | (State::Trailing, None) => State::Done(End::Complete),
                (State::Start, Some(b'{')) => {
                    self.pos += 1;
                    State::Members { first: true }
                }
                (State::Members { first: true }, Some(b'}')) | (State::AfterMember, Some(b'}')) => {
                    self.pos += 1;
                    State::Trailing
                }
                (State::Members { .. }, Some(b'"')) => self.member(&mut scratch)?,
                (State::AfterMember, Some(b',')) => {
                    self.pos += 1;
                    State::Members { first: false }
                }
                (State::InArray { first: true }, Some(b']'))
                | (State::AfterElement, Some(b']')) => {
                    self.pos += 1;
                    State::AfterMember
                }
                (State::InArray { .. }, Some(_)) => return Ok(Some(self.offset())),
                (State::AfterElement, Some(b',')) => {
                    self.pos += 1;
                    State::InArray { first: false }
                }
                _ => broken,
            };
        }
    }

    /// One member of the top-level object, from its key: the array under our key is
    /// entered; any other value is decoded (and dropped) to check it.
    fn member(&mut self, scratch: &mut Vec<u8>) -> io::Result<State> {
        let broken = Ok(State::Done(End::Broken));
        scratch.clear();
        if !self.take_value(scratch)? {
            return broken;
        }
        let Ok(key) = serde_json::from_str::<String>(&String::from_utf8_lossy(scratch)) else {
            return broken;
        };
        if self.peek_token()? != Some(b':') {
            return broken;
        }
        self.pos += 1;
        let ours = key == self.key;
        match self.peek_token()? {
            None => broken,
            Some(b'[') if ours => {
                self.pos += 1;
                Ok(State::InArray { first: true })
            }
            Some(_) => {
                scratch.clear();
                if !self.take_value(scratch)? {
                    return broken;
                }
                let text = String::from_utf8_lossy(scratch);
                match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(v) => {
                        if let Some(h) = &mut self.headers {
                            h.push((key, v));
                        }
                        Ok(State::AfterMember)
                    }
                    Err(_) => broken,
                }
            }
        }
    }

    /// Read the element [`Scanner::next_start`] found into `out` (cleared first).
    /// `false` when the file ends inside it: the document is then broken.
    pub fn element(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        out.clear();
        if !matches!(self.state, State::InArray { .. }) {
            return Ok(false);
        }
        if self.take_value(out)? {
            self.state = State::AfterElement;
            Ok(true)
        } else {
            self.state = State::Done(End::Broken);
            Ok(false)
        }
    }

    /// The element just read did not decode: the document ends here, broken.
    pub fn broken(&mut self) {
        self.state = State::Done(End::Broken);
    }
}

/// Whether a scalar (number, `true`, ...) ends before `b` (the end of the file ends
/// it too, but then the document is cut short anyway).
fn is_scalar_end(b: Option<u8>) -> bool {
    matches!(
        b,
        None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}' | b'{' | b'[' | b'"' | b':')
    )
}

/// The hash of `file`'s bytes `start..end`, as [`Scanner::take_hash`] gives it for
/// the same bytes; `None` when the file ends before `end`.
pub(crate) fn hash_range(
    file: &mut std::fs::File,
    start: u64,
    end: u64,
) -> io::Result<Option<Digest16>> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(start))?;
    let mut h = Sha256::new();
    let mut left = end.saturating_sub(start);
    let mut buf = vec![0u8; CHUNK.min(left as usize).max(1)];
    while left > 0 {
        let want = buf.len().min(left as usize);
        let n = match file.read(&mut buf[..want]) {
            Ok(0) => return Ok(None),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        #[cfg(test)]
        BYTES_READ.with(|c| c.set(c.get() + n as u64));
        h.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(Some(short(h)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every element (offset, text) and how the document ended.
    fn scan(doc: &[u8]) -> (Vec<(u64, String)>, End) {
        let mut s = Scanner::new(doc, "messages");
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Some(at) = s.next_start().unwrap() {
            if !s.element(&mut buf).unwrap() {
                break;
            }
            let text = String::from_utf8_lossy(&buf).into_owned();
            if serde_json::from_str::<serde_json::Value>(&text).is_err() {
                s.broken();
                break;
            }
            out.push((at, text));
        }
        let end = s.end().unwrap();
        (out, end)
    }

    /// What serde says of the same document: the elements it hands over, and whether
    /// it decodes (the reference the scanner must agree with).
    fn serde_view(doc: &[u8]) -> (Vec<String>, End) {
        use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
        struct Chat<'a>(&'a mut Vec<String>);
        struct Msgs<'a>(&'a mut Vec<String>);
        impl<'de> DeserializeSeed<'de> for Chat<'_> {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_map(self)
            }
        }
        impl<'de> Visitor<'de> for Chat<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
                while let Some(k) = m.next_key::<String>()? {
                    if k == "messages" {
                        m.next_value_seed(Msgs(&mut *self.0))?;
                    } else {
                        m.next_value::<serde_json::Value>()?;
                    }
                }
                Ok(())
            }
        }
        impl<'de> DeserializeSeed<'de> for Msgs<'_> {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
        impl<'de> Visitor<'de> for Msgs<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("anything")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
                while let Some(v) = s.next_element::<serde_json::Value>()? {
                    self.0.push(v.to_string());
                }
                Ok(())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
                while m
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(())
            }
            fn visit_str<E>(self, _: &str) -> Result<(), E> {
                Ok(())
            }
            fn visit_u64<E>(self, _: u64) -> Result<(), E> {
                Ok(())
            }
            fn visit_i64<E>(self, _: i64) -> Result<(), E> {
                Ok(())
            }
            fn visit_f64<E>(self, _: f64) -> Result<(), E> {
                Ok(())
            }
            fn visit_bool<E>(self, _: bool) -> Result<(), E> {
                Ok(())
            }
            fn visit_unit<E>(self) -> Result<(), E> {
                Ok(())
            }
        }
        let text = String::from_utf8_lossy(doc);
        if text.trim().is_empty() {
            return (Vec::new(), End::Complete);
        }
        let mut got = Vec::new();
        let mut de = serde_json::Deserializer::from_str(&text);
        let ok = Chat(&mut got).deserialize(&mut de).and_then(|_| de.end());
        (
            got,
            if ok.is_ok() {
                End::Complete
            } else {
                End::Broken
            },
        )
    }

    fn agree(doc: &[u8]) {
        let (ours, end) = scan(doc);
        let (theirs, their_end) = serde_view(doc);
        let ours: Vec<String> = ours
            .iter()
            .map(|(_, t)| {
                serde_json::from_str::<serde_json::Value>(t)
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            (ours, end),
            (theirs, their_end),
            "{:?}",
            String::from_utf8_lossy(doc)
        );
    }

    const DOC: &str = r#"{
  "sessionId": "s\"1",
  "startTime": "2026-11-20T10:00:00.000Z",
  "messages": [
    {
      "id": "a",
      "type": "user",
      "content": "say \"]}\" and \\ then {"
    },
    {"id":"b","type":"gemini","toolCalls":[{"args":{"x":[1,2,{"y":"]"}]}}],"tokens":{"input":1}},
    7,
    "text",
    [1, [2]],
    null,
    -1.5e3
  ],
  "lastUpdated": "2026-11-20T10:03:00.000Z"
}
"#;

    #[test]
    fn elements_come_with_their_offsets_and_agree_with_serde() {
        let (elements, end) = scan(DOC.as_bytes());
        assert_eq!(end, End::Complete);
        assert_eq!(elements.len(), 7);
        for (at, text) in &elements {
            assert!(DOC[*at as usize..].starts_with(text.as_str()), "{text}");
        }
        assert!(elements[0].1.ends_with("then {\"\n    }"));
        assert_eq!(elements[6].1, "-1.5e3");
        agree(DOC.as_bytes());
    }

    #[test]
    fn every_cut_and_odd_document_agrees_with_serde_and_never_panics() {
        for cut in 0..DOC.len() {
            agree(&DOC.as_bytes()[..cut]);
        }
        for doc in [
            "",
            "  \n",
            "[1,2]",
            "{}",
            "{} x",
            "{\"messages\": 7}",
            "{\"messages\": {\"a\": [1]}}",
            "{\"messages\": []}",
            "{\"messages\": [1,]}",
            "{\"messages\": [1 2]}",
            "{\"messages\": [{\"a\":1}], }",
            "{\"messages\": [{\"a\" 1}]}",
            "{\"messages\": [{\"a\":1}]]}",
            "{\"messages\": [tru]}",
            "{\"messag\\u0065s\": [1, 2], \"b\": [3]}",
            "{\"messages\": [1], \"messages\": [2]}",
            "{\"x\": tru, \"messages\": [1]}",
            "{\"x\": \"\\q\", \"messages\": [1]}",
            "{\"messages\": [\"\\q\", 2]}",
            "{\"messages\": [\"\u{e9}\u{1F600}\", {\"k\": \"\u{0}\"}]}",
            "{\"messages\" [1]}",
            "{,}",
            "{\"a\":1,}",
            "\u{feff}{}",
        ] {
            agree(doc.as_bytes());
        }
        agree(b"{\"messages\": [\"\xff\xfe\", 1]}");
    }

    #[test]
    fn a_scan_resumes_at_any_element_start_and_hashes_what_it_consumed() {
        let (elements, _) = scan(DOC.as_bytes());
        for (i, (at, _)) in elements.iter().enumerate() {
            let mut s = Scanner::at_element(&DOC.as_bytes()[*at as usize..], "messages", *at);
            let mut rest = Vec::new();
            let mut buf = Vec::new();
            s.start_hash();
            while let Some(a) = s.next_start().unwrap() {
                assert!(s.element(&mut buf).unwrap());
                rest.push((a, String::from_utf8_lossy(&buf).into_owned()));
            }
            assert_eq!(s.end(), Some(End::Complete));
            assert_eq!(rest[..], elements[i..]);
        }
        // The hash of the bytes between two element starts, by scanning or by range.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.json");
        std::fs::write(&p, DOC).unwrap();
        let (a, b) = (elements[1].0, elements[4].0);
        let mut s = Scanner::at_element(&DOC.as_bytes()[a as usize..], "messages", a);
        s.start_hash();
        let mut buf = Vec::new();
        while let Some(at) = s.next_start().unwrap() {
            if at == b {
                break;
            }
            s.element(&mut buf).unwrap();
        }
        let scanned = s.take_hash();
        let mut f = std::fs::File::open(&p).unwrap();
        assert_eq!(hash_range(&mut f, a, b).unwrap(), Some(scanned));
        assert_ne!(hash_range(&mut f, a, b + 1).unwrap(), Some(scanned));
        assert_eq!(hash_range(&mut f, a, DOC.len() as u64 + 1).unwrap(), None);
    }
}
