//! `--mapping-file` patterns: Python's `fnmatch` globs, or substrings.

use super::MappingRule;

/// The first rule that matches one of `candidates` (lowercased, like the patterns).
pub fn match_override<'a>(
    rules: &'a [MappingRule],
    candidates: &[&str],
) -> Option<&'a MappingRule> {
    let lowered: Vec<String> = candidates
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| c.to_lowercase())
        .collect();
    rules.iter().find(|rule| {
        let pattern = rule.pattern.to_lowercase();
        let glob = rule.pattern.contains(['*', '?', '[']);
        lowered.iter().any(|c| {
            if glob {
                fnmatch(c, &pattern)
            } else {
                c.contains(&pattern)
            }
        })
    })
}

enum Token {
    Star,
    Any,
    Lit(char),
    /// `[...]`: negated?, single chars and inclusive ranges.
    Class(bool, Vec<(char, char)>),
}

/// Python's `fnmatch` patterns (POSIX: case as given): `*` any run (slashes too), `?`
/// one character, `[seq]` / `[!seq]` a set with ranges; a `[` without its `]` is itself.
fn tokens(pat: &str) -> Vec<Token> {
    let p: Vec<char> = pat.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '*' => {
                if !matches!(out.last(), Some(Token::Star)) {
                    out.push(Token::Star);
                }
            }
            '?' => out.push(Token::Any),
            '[' => {
                let mut j = i + 1;
                if j < p.len() && p[j] == '!' {
                    j += 1;
                }
                if j < p.len() && p[j] == ']' {
                    j += 1;
                }
                while j < p.len() && p[j] != ']' {
                    j += 1;
                }
                if j >= p.len() {
                    out.push(Token::Lit('['));
                } else {
                    let mut body = &p[i + 1..j];
                    let negated = body.first() == Some(&'!');
                    if negated {
                        body = &body[1..];
                    }
                    let mut set = Vec::new();
                    let mut k = 0;
                    while k < body.len() {
                        if k + 2 < body.len() && body[k + 1] == '-' {
                            if body[k] <= body[k + 2] {
                                set.push((body[k], body[k + 2]));
                            }
                            k += 3;
                        } else {
                            set.push((body[k], body[k]));
                            k += 1;
                        }
                    }
                    out.push(Token::Class(negated, set));
                    i = j;
                }
            }
            c => out.push(Token::Lit(c)),
        }
        i += 1;
    }
    out
}

/// Whether `name` matches the glob `pat` as a whole.
pub fn fnmatch(name: &str, pat: &str) -> bool {
    let toks = tokens(pat);
    let s: Vec<char> = name.chars().collect();
    let one = |t: &Token, c: char| match t {
        Token::Any => true,
        Token::Lit(l) => *l == c,
        Token::Class(neg, set) => set.iter().any(|(a, b)| (*a..=*b).contains(&c)) != *neg,
        Token::Star => false,
    };
    // Greedy with backtracking to the last star: every other token takes one char.
    let (mut ti, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if ti < toks.len() && matches!(toks[ti], Token::Star) {
            star = Some((ti, si));
            ti += 1;
        } else if ti < toks.len() && one(&toks[ti], s[si]) {
            ti += 1;
            si += 1;
        } else if let Some((st, ss)) = star {
            ti = st + 1;
            si = ss + 1;
            star = Some((st, ss + 1));
        } else {
            return false;
        }
    }
    toks[ti..].iter().all(|t| matches!(t, Token::Star))
}
