//! The "LLM smell" score of a journal entry, as gptme-sessions' `smell.py` computes it
//! at post-session time: weighted regex hits of bland-AI tells (hedging, ChatGPT
//! vocabulary, negative parallelism, canned enthusiasm, em-dash abuse) per 1000 words,
//! scaled to 0.0–1.0 by `1 - exp(-raw / 15)`.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::signals::common::py_round;

/// (weight, pattern) — the Python list in its order, case-insensitive, multi-line.
const PATTERNS: &[(u32, &str)] = &[
    (3, r"\bit(?:'s| is) worth (?:noting|mentioning)\b"),
    (
        3,
        r"\bit(?:'s| is) important to (?:note|remember|understand)\b",
    ),
    (2, r"\bneedless to say\b"),
    (2, r"\bthat (?:being |)said,?\b"),
    (2, r"\bat the end of the day\b"),
    (3, r"\bdelv(?:e|ing|es)\b"),
    // `(?!\s+of\b)` follows; checked in `count`.
    (3, r"\btapestr(?:y|ies)\b"),
    (3, r"\b(?:a |)testament to\b"),
    (3, r"\bin the realm of\b"),
    (
        3,
        r"\bnavigat(?:e|ing) the (?:complexit|landscape|intricac)",
    ),
    (3, r"\bever-(?:evolving|changing|growing)\b"),
    (2, r"\b(?:rich |)tapestry of\b"),
    (2, r"\bunderscor(?:e|es|ing)\b"),
    (2, r"\bshowcas(?:e|es|ing)\b"),
    (2, r"\bboast(?:s|ing|)\b"),
    (2, r"\bgame[- ]chang(?:er|ing)\b"),
    (1, r"\bleverag(?:e|es|ing)\b"),
    (1, r"\brobust\b"),
    (1, r"\bseamless(?:ly|)\b"),
    (1, r"\bcrucial\b"),
    (1, r"\bpivotal\b"),
    (1, r"\bcomprehensive\b"),
    (1, r"\bintricate\b"),
    (1, r"\bmeticulous(?:ly|)\b"),
    (
        3,
        r"\bit(?:'s| is) not just .{1,40}?,? (?:it(?:'s| is)|but)\b",
    ),
    (3, r"\bisn(?:'t| not) (?:merely|just) .{1,40}? but\b"),
    (2, r"\bnot only .{1,40}? but (?:also|)\b"),
    (3, r"(?:^|\.\s+)(?:Certainly|Absolutely|Of course)[!,]"),
    (3, r"\bgreat question\b"),
    (3, r"\bI(?:'d| would) be (?:happy|glad) to\b"),
    (2, r"\bI hope this helps\b"),
    (2, r"\bdive (?:in|into)\b"),
    (2, r"\bin conclusion\b"),
    (2, r"\bin summary\b"),
    (2, r"\bto sum (?:up|it up)\b"),
    (1, r"(?:^|\n)\s*Overall,"),
    (1, r"(?:^|\n)\s*Moreover,"),
    (1, r"(?:^|\n)\s*Furthermore,"),
    (1, r"(?:^|\n)\s*Additionally,"),
];

const TAPESTRY: usize = 6;

static COMPILED: LazyLock<Vec<(u32, Regex)>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|(w, p)| (*w, Regex::new(&format!("(?im){p}")).unwrap()))
        .collect()
});
static NOT_OF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^\s+of\b").unwrap());
static EM_DASH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s—\s|\w—\w|—").unwrap());
static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\w+\b").unwrap());

/// Python's `round(x)` of a non-negative float: halves go to the even neighbour.
fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

fn count(i: usize, rx: &Regex, text: &str) -> u32 {
    if i != TAPESTRY {
        return rx.find_iter(text).count() as u32;
    }
    // `tapestr(?:y|ies)\b(?!\s+of\b)`: a match followed by " of" does not count, and
    // the search goes on from the next character.
    let mut n = 0;
    let mut at = 0;
    while let Some(m) = rx.find_at(text, at) {
        if !NOT_OF.is_match(&text[m.end()..]) {
            n += 1;
            at = m.end();
        } else {
            at = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
        if at > text.len() {
            break;
        }
    }
    n
}

/// The raw weighted score: weighted hits per 1000 words, two decimals.
pub fn weighted_score(text: &str) -> f64 {
    let words = WORD.find_iter(text).count();
    let mut weighted = 0u64;
    for (i, (w, rx)) in COMPILED.iter().enumerate() {
        weighted += u64::from(count(i, rx, text) * w);
    }
    let dashes = EM_DASH.find_iter(text).count() as f64;
    let per_1k = if words > 0 {
        1000.0 / words as f64
    } else {
        0.0
    };
    let tolerated = round_half_even(words as f64 / 1000.0);
    weighted += (dashes - tolerated).max(0.0) as u64;
    py_round(weighted as f64 * per_1k, 2)
}

/// `compute_smell_score`: `None` when the file cannot be read or is blank.
pub fn smell_score(journal: &Path) -> Option<f64> {
    let bytes = std::fs::read(journal).ok()?;
    let text = String::from_utf8_lossy(&bytes)
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    if text.trim().is_empty() {
        return None;
    }
    let raw = weighted_score(&text);
    Some(py_round(1.0 - (-raw / 15.0).exp(), 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_prose_scores_zero_and_tells_score() {
        assert_eq!(weighted_score("Fixed the parser. Tests pass now."), 0.0);
        // 10 words, "delve" (3) + "robust" (1) = 4 weighted hits: 400 per 1000 words.
        let t = "Let us delve into this robust and simple parser change today";
        assert_eq!(WORD.find_iter(t).count(), 11);
        assert_eq!(weighted_score(t), py_round(4.0 * 1000.0 / 11.0, 2));
        // "tapestry of" counts as the weight-2 pattern only.
        assert_eq!(
            weighted_score("a tapestry of code"),
            py_round(2.0 * 250.0, 2)
        );
        assert_eq!(
            weighted_score("a tapestry here"),
            py_round(3.0 * 1000.0 / 3.0, 2)
        );
    }

    #[test]
    fn em_dashes_beyond_one_per_thousand_words_count() {
        // 3 words, 2 dashes, round(0.003) = 0 tolerated.
        assert_eq!(weighted_score("a — b — c"), py_round(2.0 * 1000.0 / 3.0, 2));
        assert_eq!(round_half_even(2.5), 2.0);
        assert_eq!(round_half_even(1.5), 2.0);
    }

    #[test]
    fn score_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.md");
        std::fs::write(&p, "  \n").unwrap();
        assert_eq!(smell_score(&p), None);
        std::fs::write(&p, "Plain words only here.").unwrap();
        assert_eq!(smell_score(&p), Some(0.0));
        assert_eq!(smell_score(&dir.path().join("none.md")), None);
    }
}
