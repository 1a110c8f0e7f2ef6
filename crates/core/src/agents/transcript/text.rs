//! Plain text for display: ANSI escape sequences removed, other control characters
//! dropped, long texts cut on a character boundary.
//!
//! Agents store tool output as the terminal saw it, colour codes included. The escape
//! parsing is `strip-ansi-escapes` (a `vte` state machine, so CSI, OSC, DCS and
//! two-byte escapes of any length are handled, including ones cut off at the end);
//! this module adds the rules of what a transcript keeps: newlines and tabs stay, a
//! carriage return becomes a newline (progress bars stay readable), and no other control character survives.
//! Nothing here produces or interprets HTML.

/// Extra raw bytes cleaned beyond the cut, so that escape sequences removed from the
/// kept part do not leave the text visibly shorter than the cut.
const CLEAN_SLACK: usize = 4096;

/// Clean `raw` and cut it to at most `max_bytes`; says whether anything was cut.
///
/// Only a prefix of a huge text is cleaned (the cut never needs more), so a 50 MB tool
/// output costs a few kilobytes of work.
pub fn clean_and_cut(raw: &str, max_bytes: usize) -> (String, bool) {
    let budget = raw_budget(max_bytes);
    let (head, cut_raw) = if raw.len() > budget {
        (&raw[..floor_char_boundary(raw, budget)], true)
    } else {
        (raw, false)
    };
    let mut clean = strip_controls(head);
    let cut_clean = clean.len() > max_bytes;
    if cut_clean {
        clean.truncate(floor_char_boundary(&clean, max_bytes));
    }
    (clean, cut_raw || cut_clean)
}

/// How many raw bytes a cut to `max_bytes` may need to look at.
pub fn raw_budget(max_bytes: usize) -> usize {
    max_bytes.saturating_mul(2).saturating_add(CLEAN_SLACK)
}

/// Remove ANSI escape sequences and control characters other than `\n` and `\t`.
pub fn strip_controls(s: &str) -> String {
    let needs_work = s
        .bytes()
        .any(|b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f)
        || s.contains(|c: char| ('\u{80}'..='\u{9f}').contains(&c));
    if !needs_work {
        return s.to_string();
    }
    let owned;
    let lines = if s.contains('\r') {
        owned = s.replace("\r\n", "\n").replace('\r', "\n");
        owned.as_str()
    } else {
        s
    };
    // The stripper drops tabs (it keeps only what a terminal prints and `\n`), so the
    // text is cleaned between them.
    let mut out = String::with_capacity(lines.len());
    for (i, piece) in lines.split('\t').enumerate() {
        if i > 0 {
            out.push('\t');
        }
        out.extend(
            strip_ansi_escapes::strip_str(piece)
                .chars()
                .filter(|c| *c == '\n' || !c.is_control()),
        );
    }
    out
}

/// The largest index `<= i` that is a character boundary of `s`.
pub fn floor_char_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    let mut i = i;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_and_cursor_moves_are_removed() {
        assert_eq!(
            strip_controls("\x1b[1;31merror\x1b[0m: \x1b[2Kdone"),
            "error: done"
        );
        // OSC hyperlink and window title, ended by BEL and by ST.
        assert_eq!(
            strip_controls("\x1b]8;;http://x\x07link\x1b]8;;\x07 \x1b]0;title\x1b\\ok"),
            "link ok"
        );
    }

    #[test]
    fn newlines_tabs_and_unicode_stay_other_controls_go() {
        assert_eq!(strip_controls("a\tb\r\nc\u{7}\u{0}d é ☕"), "a\tb\ncd é ☕");
        assert_eq!(strip_controls("plain text\nline 2"), "plain text\nline 2");
        // A C1 control character is dropped; as in a UTF-8 terminal it starts no
        // sequence, so what follows it is text.
        assert_eq!(strip_controls("x\u{9b}31my"), "x31my");
        assert_eq!(strip_controls("10%\r20%"), "10%\n20%");
    }

    #[test]
    fn an_escape_cut_off_at_the_end_does_not_leak() {
        assert_eq!(strip_controls("ok\x1b[38;5;"), "ok");
        assert_eq!(strip_controls("ok\x1b"), "ok");
    }

    #[test]
    fn html_is_left_as_text() {
        assert_eq!(
            strip_controls("<script>alert(1)</script>\x1b[0m"),
            "<script>alert(1)</script>"
        );
    }

    #[test]
    fn cuts_fall_on_character_boundaries() {
        let (t, cut) = clean_and_cut("ééé", 3);
        assert_eq!((t.as_str(), cut), ("é", true));
        let (t, cut) = clean_and_cut("abc", 3);
        assert_eq!((t.as_str(), cut), ("abc", false));
    }

    #[test]
    fn huge_texts_are_cut_from_a_cleaned_prefix() {
        let mut big = "\x1b[32m".repeat(10);
        big.push_str(&"y".repeat(5_000_000));
        let (t, cut) = clean_and_cut(&big, 1000);
        assert!(cut);
        assert_eq!(t, "y".repeat(1000));
    }
}
