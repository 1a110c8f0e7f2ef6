//! Shrinking a long transcript line before serde reads it.
//!
//! Most bytes of a transcript are tool output, thinking text and the like: strings of
//! kilobytes to megabytes that the parsers never look at (`IgnoredAny`). serde_json
//! still walks them 8 bytes at a time. [`condense`] finds where strings end 32 bytes at
//! a time and copies the line with each long string the caller calls ignored replaced
//! by `""`, so serde then reads a few hundred bytes instead of a megabyte.
//!
//! Why the result is the same: a replaced string is checked here exactly as serde_json
//! checks a string it ignores (closed, valid escapes, no control characters), and only
//! strings at paths where the caller's serde types ignore the value are replaced. serde
//! therefore accepts the condensed line if and only if it accepts the original, and
//! reads the same values from it. Whatever this scanner does not follow (a syntax
//! error, deep nesting, a key written with escapes, a control character) makes it give
//! up, and the caller parses the original line as before.

/// Lines shorter than this are parsed as they are: condensing them gains nothing.
pub(crate) const MIN_LINE: usize = 4096;
/// Strings shorter than this are copied as they are.
const MIN_STRING: usize = 256;
/// Nesting deeper than this is not followed (the caller parses the original).
const MAX_DEPTH: usize = 24;

/// A scratch buffer larger than this is not kept for the next line.
const SCRATCH_KEEP: usize = 64 * 1024;

thread_local! {
    /// The buffer condensed lines are written to, one per thread rather than one per
    /// parser: a scan keeps thousands of parsers, and none needs it between lines.
    static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// This thread's scratch buffer for [`condense`] (an empty one if it is taken).
pub(crate) fn take_scratch() -> Vec<u8> {
    SCRATCH.with(std::cell::Cell::take)
}

/// Give the buffer of [`take_scratch`] back for the next line (dropped if it grew
/// large).
pub(crate) fn give_scratch(buf: Vec<u8>) {
    if buf.capacity() <= SCRATCH_KEEP {
        SCRATCH.with(|s| s.set(buf));
    }
}

/// One step of the path to a value: an object key (raw bytes, known to hold no
/// escape) or an array element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    Key(&'a [u8]),
    Index,
}

/// What to do with a long string value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Copy it as it is (the parser reads it).
    Keep,
    /// Replace it by `""` (the parser ignores it, or the caller kept what it needs).
    Drop,
    /// Give up condensing this line.
    GiveUp,
}

/// Copy `line` into `out` (cleared first) with every string value of at least
/// `MIN_STRING` bytes for which `decide(path, token)` says [`Decision::Drop`] replaced
/// by `""`; `token` is the string with its quotes, already checked to be one serde
/// would accept. Returns `true` when `out` holds a condensed line to parse in place of
/// `line`; `false` means parse `line` itself.
pub(crate) fn condense<'a>(
    line: &'a [u8],
    out: &mut Vec<u8>,
    decide: impl FnMut(&[Seg<'a>], &'a [u8]) -> Decision,
) -> bool {
    out.clear();
    #[cfg(test)]
    if tests::DISABLED.with(std::cell::Cell::get) {
        return false;
    }
    let mut w = Walker {
        line,
        pos: 0,
        copied: 0,
        out,
        path: [Seg::Index; MAX_DEPTH],
        depth: 0,
        decide,
        dropped: false,
    };
    if w.value().is_none() {
        return false;
    }
    w.ws();
    if w.pos != line.len() || !w.dropped {
        return false;
    }
    w.out.extend_from_slice(&line[w.copied..]);
    #[cfg(test)]
    tests::CONDENSED.with(|c| c.set(c.get() + 1));
    true
}

struct Walker<'a, 'o, F> {
    line: &'a [u8],
    pos: usize,
    /// Bytes of `line` before this index are already in `out`.
    copied: usize,
    out: &'o mut Vec<u8>,
    path: [Seg<'a>; MAX_DEPTH],
    depth: usize,
    decide: F,
    dropped: bool,
}

impl<'a, F: FnMut(&[Seg<'a>], &'a [u8]) -> Decision> Walker<'a, '_, F> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.line.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Option<()> {
        self.ws();
        match *self.line.get(self.pos)? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => {
                let start = self.pos;
                let end = string_end(self.line, start + 1)?;
                self.pos = end;
                if end - start >= MIN_STRING {
                    let token = &self.line[start..end];
                    match (self.decide)(&self.path[..self.depth], token) {
                        Decision::Keep => {}
                        Decision::GiveUp => return None,
                        Decision::Drop => {
                            self.out.extend_from_slice(&self.line[self.copied..start]);
                            self.out.extend_from_slice(b"\"\"");
                            self.copied = end;
                            self.dropped = true;
                        }
                    }
                }
                Some(())
            }
            _ => {
                // A number or a literal: copied as it is, for serde to judge.
                let start = self.pos;
                while let Some(&b) = self.line.get(self.pos) {
                    if matches!(
                        b,
                        b',' | b'}' | b']' | b' ' | b'\n' | b'\t' | b'\r' | b'"' | b'{' | b'['
                    ) {
                        break;
                    }
                    self.pos += 1;
                }
                (self.pos > start).then_some(())
            }
        }
    }

    fn push(&mut self, seg: Seg<'a>) -> Option<()> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.path[self.depth] = seg;
        self.depth += 1;
        Some(())
    }

    fn object(&mut self) -> Option<()> {
        self.pos += 1;
        self.ws();
        if self.line.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.ws();
            if self.line.get(self.pos) != Some(&b'"') {
                return None;
            }
            let start = self.pos + 1;
            let end = string_end(self.line, start)?;
            let key = &self.line[start..end - 1];
            if memchr::memchr(b'\\', key).is_some() {
                return None;
            }
            self.pos = end;
            self.ws();
            if self.line.get(self.pos) != Some(&b':') {
                return None;
            }
            self.pos += 1;
            self.push(Seg::Key(key))?;
            self.value()?;
            self.depth -= 1;
            self.ws();
            match self.line.get(self.pos)? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self) -> Option<()> {
        self.pos += 1;
        self.ws();
        if self.line.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Some(());
        }
        self.push(Seg::Index)?;
        loop {
            self.value()?;
            self.ws();
            match self.line.get(self.pos)? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// The body of [`string_end`], for each way of computing the 64-byte masks.
macro_rules! string_end_with {
    ($s:expr, $start:expr, $masks:ident) => {{
        const EVEN: u64 = 0x5555_5555_5555_5555;
        const ODD: u64 = !EVEN;
        let s: &[u8] = $s;
        let mut block: usize = $start;
        // 1 when the previous block ended inside an odd run of backslashes.
        let mut carry = 0u64;
        while block + 64 <= s.len() {
            let [quotes, backslashes, controls, simple, unicode] = $masks(s, block);
            // Characters escaped by an odd run of backslashes (simdjson's
            // `find_odd_backslash_sequences`).
            let starts = backslashes & !(backslashes << 1);
            let even_start_mask = EVEN ^ carry;
            let even_starts = starts & even_start_mask;
            let odd_starts = starts & !even_start_mask;
            let even_carries = backslashes.wrapping_add(even_starts);
            let (mut odd_carries, ends_odd) = backslashes.overflowing_add(odd_starts);
            odd_carries |= carry;
            carry = ends_odd as u64;
            let escaped = (even_carries & !backslashes & ODD) | (odd_carries & !backslashes & EVEN);
            let closing = quotes & !escaped;
            // Everything before the closing quote (the whole block when there is none).
            let inside = if closing == 0 {
                !0
            } else {
                (closing & closing.wrapping_neg()) - 1
            };
            if controls & inside != 0 {
                return None;
            }
            // Each escaped character must be one of `"\/bfnrt`, or `u` and four hex
            // digits (the rare `u` checked one by one).
            let check = escaped & inside;
            if check & !(simple | unicode) != 0 {
                return None;
            }
            let mut check = check & unicode;
            if check != 0 {
                while check != 0 {
                    let at = block + check.trailing_zeros() as usize;
                    if s[at] == b'u' && !s.get(at + 1..at + 5)?.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    check &= check - 1;
                }
            }
            if closing != 0 {
                return Some(block + closing.trailing_zeros() as usize + 1);
            }
            block += 64;
        }
        // The last bytes, one at a time; `block` may sit on the character a backslash
        // of the previous block escapes.
        let mut at = block;
        if carry != 0 {
            at -= 1; // back onto that backslash
        }
        while at < s.len() {
            match s[at] {
                b'"' => return Some(at + 1),
                b'\\' => at += escape_len(s, at)?,
                b if b < 0x20 => return None,
                _ => at += 1,
            }
        }
        None
    }};
}

/// From just after a string's opening quote, the index just after its closing quote.
/// `None` when the string is not closed, holds a control character or a bad escape:
/// the cases where serde_json rejects a string it ignores.
///
/// Works on 64-byte blocks without a branch per escape: bit masks of quotes,
/// backslashes and control characters (AVX-512, AVX2 or SSE2, whichever the CPU has),
/// and of the characters escaped by an odd run of backslashes (simdjson's carry
/// trick), so only those escaped characters are looked at one by one.
pub(crate) fn string_end(s: &[u8], start: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512bw") {
            // SAFETY: the CPU has AVX-512BW (checked just above).
            return unsafe { string_end_avx512(s, start) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { string_end_avx2(s, start) };
        }
    }
    string_end_portable(s, start)
}

/// [`string_end`] with SSE2 (part of x86_64) or plain code elsewhere.
fn string_end_portable(s: &[u8], start: usize) -> Option<usize> {
    string_end_with!(s, start, masks)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw")]
unsafe fn string_end_avx512(s: &[u8], start: usize) -> Option<usize> {
    string_end_with!(s, start, masks_avx512)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn string_end_avx2(s: &[u8], start: usize) -> Option<usize> {
    string_end_with!(s, start, masks_avx2)
}

/// [`masks`] with AVX-512BW: one load, three compares straight into bit masks.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw")]
fn masks_avx512(s: &[u8], at: usize) -> [u64; 5] {
    use std::arch::x86_64::*;
    let chunk = &s[at..at + 64];
    // SAFETY: `chunk` is 64 readable bytes; the load is unaligned.
    let v = unsafe { _mm512_loadu_si512(chunk.as_ptr() as *const __m512i) };
    let eq = |b: u8| _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b as i8));
    let quotes = eq(b'"');
    let backslashes = eq(b'\\');
    let simple = SIMPLE_ESCAPES[2..]
        .iter()
        .fold(quotes | backslashes, |m, &b| m | eq(b));
    [
        quotes,
        backslashes,
        _mm512_cmple_epu8_mask(v, _mm512_set1_epi8(0x1f)),
        simple,
        eq(b'u'),
    ]
}

/// [`masks`] with AVX2: two 32-byte halves.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn masks_avx2(s: &[u8], at: usize) -> [u64; 5] {
    use std::arch::x86_64::*;
    let chunk = &s[at..at + 64];
    let mut out = [0u64; 5];
    for (n, part) in chunk.chunks_exact(32).enumerate() {
        // SAFETY: `part` is 32 readable bytes; the load is unaligned.
        let v = unsafe { _mm256_loadu_si256(part.as_ptr() as *const __m256i) };
        let eq = |b: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b as i8));
        let ctrl = _mm256_set1_epi8(0x1f);
        let simple = SIMPLE_ESCAPES
            .iter()
            .fold(_mm256_setzero_si256(), |m, &b| _mm256_or_si256(m, eq(b)));
        let bits = [
            eq(b'"'),
            eq(b'\\'),
            _mm256_cmpeq_epi8(_mm256_max_epu8(v, ctrl), ctrl),
            simple,
            eq(b'u'),
        ];
        for (o, b) in out.iter_mut().zip(bits) {
            *o |= (_mm256_movemask_epi8(b) as u32 as u64) << (32 * n);
        }
    }
    out
}

/// The length of the escape sequence starting with the backslash at `at`, if valid.
#[inline]
fn escape_len(s: &[u8], at: usize) -> Option<usize> {
    match *s.get(at + 1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(2),
        b'u' => {
            let hex = s.get(at + 2..at + 6)?;
            hex.iter().all(u8::is_ascii_hexdigit).then_some(6)
        }
        _ => None,
    }
}

/// What may follow a backslash, besides `u`: quote and backslash first.
const SIMPLE_ESCAPES: [u8; 8] = *b"\"\\/bfnrt";

/// Bit masks of the 64 bytes at `at`: quotes, backslashes, control characters (below
/// 0x20), the characters of [`SIMPLE_ESCAPES`], and `u`. The caller guarantees 64
/// bytes at `at`.
#[inline]
fn masks(s: &[u8], at: usize) -> [u64; 5] {
    let chunk = &s[at..at + 64];
    let mut out = [0u64; 5];
    #[cfg(target_arch = "x86_64")]
    {
        // SSE2 is part of x86_64: no feature detection needed.
        use std::arch::x86_64::*;
        for (n, part) in chunk.chunks_exact(16).enumerate() {
            // SAFETY: `part` is 16 readable bytes; the load is unaligned; these are SSE2
            // intrinsics, always present on x86_64.
            unsafe {
                let v = _mm_loadu_si128(part.as_ptr() as *const __m128i);
                let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
                let ctrl = _mm_set1_epi8(0x1f);
                let simple = SIMPLE_ESCAPES
                    .iter()
                    .fold(_mm_setzero_si128(), |m, &b| _mm_or_si128(m, eq(b)));
                let bits = [
                    eq(b'"'),
                    eq(b'\\'),
                    _mm_cmpeq_epi8(_mm_max_epu8(v, ctrl), ctrl),
                    simple,
                    eq(b'u'),
                ];
                for (o, b) in out.iter_mut().zip(bits) {
                    *o |= ((_mm_movemask_epi8(b) as u32 as u64) & 0xffff) << (16 * n);
                }
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for (k, &b) in chunk.iter().enumerate() {
        out[0] |= u64::from(b == b'"') << k;
        out[1] |= u64::from(b == b'\\') << k;
        out[2] |= u64::from(b < 0x20) << k;
        out[3] |= u64::from(SIMPLE_ESCAPES.contains(&b)) << k;
        out[4] |= u64::from(b == b'u') << k;
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::Cell;
    use std::path::{Path, PathBuf};

    use crate::agents::agent;
    use crate::agents::fixture_support::fixture;
    use crate::model::Harness;

    thread_local! {
        /// Set by a test to parse every line as it is.
        pub(crate) static DISABLED: Cell<bool> = const { Cell::new(false) };
        /// Lines condensed on this thread.
        pub(crate) static CONDENSED: Cell<usize> = const { Cell::new(0) };
    }

    fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                files_under(&p, out);
            } else if p.extension().is_some_and(|x| x == "jsonl") {
                out.push(p);
            }
        }
    }

    /// Where each string of a line closes (the index of its closing quote).
    fn string_closings(line: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut i = 0;
        let mut inside = false;
        while i < line.len() {
            match (inside, line[i]) {
                (false, b'"') => inside = true,
                (true, b'\\') => i += 1,
                (true, b'"') => {
                    inside = false;
                    out.push(i);
                }
                _ => {}
            }
            i += 1;
        }
        out
    }

    /// Every fixture transcript of the two harnesses that condense lines, with a long
    /// escape-laden text inserted into the k-th string of every line (keys and values
    /// alike, read or ignored), whole or torn: folding it with and without condensing
    /// gives the same facts, parse errors included.
    #[test]
    fn condensed_lines_fold_to_the_same_facts_as_the_originals() {
        let pad = "ab \\\"quoted\\\" \\\\ caf\u{e9} \\u00e9\\n\\t".repeat(150);
        assert!(pad.len() > MIN_LINE);
        let mut condensed = 0;
        for (harness, dir) in [
            (Harness::ClaudeCode, "claude"),
            (Harness::ClaudeCode, "claude-cli"),
            (Harness::ClaudeCode, "records/claude"),
            (Harness::Codex, "codex"),
        ] {
            let mut files = Vec::new();
            files_under(&fixture(dir), &mut files);
            assert!(!files.is_empty(), "{dir}");
            for file in files {
                let text = std::fs::read(&file).unwrap();
                let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
                let ends: Vec<Vec<usize>> = lines.iter().map(|l| string_closings(l)).collect();
                let most = ends.iter().map(Vec::len).max().unwrap_or(0);
                for k in 0..most {
                    for torn in [None, Some(k % lines.len())] {
                        let variant: Vec<Vec<u8>> = lines
                            .iter()
                            .zip(&ends)
                            .enumerate()
                            .map(|(n, (l, e))| {
                                let mut v = match e.get(k) {
                                    Some(&q) => [&l[..q], pad.as_bytes(), &l[q..]].concat(),
                                    None => l.to_vec(),
                                };
                                if torn == Some(n) {
                                    v.truncate(v.len() * 2 / 3);
                                }
                                v
                            })
                            .collect();
                        let fold = |on: bool| {
                            DISABLED.with(|d| d.set(!on));
                            let mut p = agent(harness).parser(&file);
                            for l in &variant {
                                p.apply_line(l);
                            }
                            DISABLED.with(|d| d.set(false));
                            p.facts().clone()
                        };
                        let before = CONDENSED.with(Cell::get);
                        let fast = fold(true);
                        condensed += CONDENSED.with(Cell::get) - before;
                        assert_eq!(fast, fold(false), "{} string {k}", file.display());
                    }
                }
            }
        }
        assert!(condensed > 100, "the fast path ran ({condensed} lines)");
    }

    fn drop_all(line: &str) -> Option<String> {
        let mut out = Vec::new();
        condense(line.as_bytes(), &mut out, |_, _| Decision::Drop)
            .then(|| String::from_utf8(out).unwrap())
    }

    #[test]
    fn long_strings_are_replaced_and_the_rest_is_kept() {
        let long = "x\\n\\\"é".repeat(100);
        let line = format!(r#"{{"a":"{long}","b":[1, true,null,{{"c":"short"}}],"d":"{long}"}}"#);
        assert_eq!(
            drop_all(&line).as_deref(),
            Some(r#"{"a":"","b":[1, true,null,{"c":"short"}],"d":""}"#)
        );
    }

    #[test]
    fn paths_name_keys_and_array_elements() {
        let long = "y".repeat(300);
        let line = format!(r#"{{"m":{{"c":[{{"t":"{long}"}}]}},"k":"{long}"}}"#);
        let mut seen = Vec::new();
        let mut out = Vec::new();
        condense(line.as_bytes(), &mut out, |p, _| {
            seen.push(p.to_vec());
            Decision::Keep
        });
        assert_eq!(
            seen,
            vec![
                vec![Seg::Key(b"m"), Seg::Key(b"c"), Seg::Index, Seg::Key(b"t")],
                vec![Seg::Key(b"k")]
            ]
        );
    }

    #[test]
    fn anything_serde_would_reject_is_left_to_serde() {
        let long = "z".repeat(300);
        for bad in [
            format!(r#"{{"a":"{long}"#),
            format!(r#"{{"a":"{long}\q"}}"#),
            format!(r#"{{"a":"{long}\u12g4"}}"#),
            format!("{{\"a\":\"{long}\t\"}}"),
            format!(r#"{{"a":"{long}"}} x"#),
            format!(r#"{{"a":"{long}",}}"#),
            format!(r#"{{"a\u0062":"{long}"}}"#),
            format!(r#"{{"a" "{long}"}}"#),
        ] {
            assert_eq!(drop_all(&bad), None, "{bad}");
        }
        // Nothing long: nothing to gain, parse the original.
        assert_eq!(drop_all(r#"{"a":"b"}"#), None);
    }

    #[test]
    fn string_ends_agree_with_serde_on_every_cut() {
        let s = "ab\\\"cd\\\\\\u00e9\\n\u{1F680}x".repeat(20);
        let token = format!("\"{s}\"");
        for cut in 1..=token.len() {
            let piece = &token.as_bytes()[..cut];
            let ours = string_end(piece, 1).map(|e| e == piece.len());
            let serde = serde_json::from_slice::<serde::de::IgnoredAny>(piece).is_ok();
            assert_eq!(ours.unwrap_or(false), serde, "cut {cut}");
        }
    }

    proptest::proptest! {
        /// Random strings over the bytes that matter (quotes, backslashes, escape
        /// letters, hex digits, control characters, non-ASCII), long enough to cross
        /// the 64-byte blocks: accepted exactly when serde accepts them, ending where
        /// serde's does.
        #[test]
        fn string_end_matches_serde(body in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'a', b'a', b'"', b'\\', b'\\', b'\\', b'n', b'u', b'0', b'F', b'\t', 0xc3, 0xa9, b'/']),
            0..700,
        )) {
            let mut token = vec![b'"'];
            token.extend_from_slice(&body);
            let ours = string_end(&token, 1);
            proptest::prop_assert_eq!(ours, string_end_portable(&token, 1));
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: checked just above.
                    proptest::prop_assert_eq!(ours, unsafe { string_end_avx2(&token, 1) });
                }
            }
            let end = ours.unwrap_or(token.len());
            let serde = serde_json::from_slice::<serde::de::IgnoredAny>(&token[..end]).is_ok();
            proptest::prop_assert_eq!(ours.is_some(), serde);
            if ours.is_none() {
                // Then no prefix of the token is a string serde accepts either.
                for cut in 2..=token.len() {
                    proptest::prop_assert!(serde_json::from_slice::<serde::de::IgnoredAny>(&token[..cut]).is_err());
                }
            }
        }
    }
}
