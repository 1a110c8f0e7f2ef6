//! Short session ids: the one rule the CLI and the app use to show an id in a few
//! characters, and to accept such a short id back on every command that takes one.
//!
//! Like git's short hashes, each id is shown by the shortest prefix (at least
//! [`MIN_LEN`] characters) that names it alone among the ids shown with it. The prefix
//! is taken *after* what ids of one agent share by construction: gptme's
//! `2026-11-20-quick-fox` and Gemini's `session-2026-11-20T10-00-aaaa1111` would all
//! read `2026-11-` otherwise. That part ([`distinct_part`]) is what a user sees and
//! types; the full id is accepted too ([`matches`]).
//!
//! When no prefix of the distinct part names an id alone (two ids differ only in their
//! date), the full id is shown, since it always does.

/// Shortest prefix shown, in characters: as many as a UUID's first group.
pub const MIN_LEN: usize = 8;

/// The part of `id` after a leading `session-` and a leading date (`2026-11-20`,
/// optionally with a time `T10-00` or `T10-00-00`) followed by `-` or `_`. The whole
/// id when nothing is left after them.
pub fn distinct_part(id: &str) -> &str {
    let rest = id.strip_prefix("session-").unwrap_or(id);
    let rest = strip_date(rest).unwrap_or(rest);
    if rest.is_empty() {
        id
    } else {
        rest
    }
}

/// `rest` after `YYYY-MM-DD[THH-MM[-SS]]` and one `-` or `_`, if it starts so.
fn strip_date(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| {
        b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    let is = |at: usize, c: u8| b.get(at) == Some(&c);
    if !(digits(0, 4) && is(4, b'-') && digits(5, 2) && is(7, b'-') && digits(8, 2)) {
        return None;
    }
    let mut end = 10;
    // An optional time: `THH-MM` or `THH-MM-SS`.
    if is(end, b'T') && digits(end + 1, 2) && is(end + 3, b'-') && digits(end + 4, 2) {
        end += 6;
        if is(end, b'-') && digits(end + 1, 2) {
            end += 3;
        }
    }
    match b.get(end) {
        Some(b'-' | b'_') => Some(&s[end + 1..]),
        _ => None,
    }
}

/// Does `query` name `id`: a prefix of the id itself or of its [`distinct_part`]?
pub fn matches(id: &str, query: &str) -> bool {
    !query.is_empty() && (id.starts_with(query) || distinct_part(id).starts_with(query))
}

/// The short id of each of `ids`, in the same order. An id listed twice gets the
/// same short id both times.
///
/// Every string a query is matched against (each id and its distinct part) is sorted
/// once; a prefix of an id's distinct part names it alone when no other id's string
/// starts with it, and in sorted order the longest prefix shared with any other id's
/// string is the one shared with the nearest such string on either side. At 100k ids
/// (issue 17) the sort is most of the work, so it compares the first eight bytes as
/// one integer and the rest only on a tie, and the neighbours are found by walking
/// the sorted list once, not by a search per id.
pub fn short_ids<S: AsRef<str>>(ids: &[S]) -> Vec<String> {
    let mut keys: Vec<Key> = Vec::with_capacity(ids.len() * 2);
    for (i, id) in ids.iter().enumerate() {
        let id = id.as_ref();
        let d = distinct_part(id);
        let i = i as u32;
        if d.len() == id.len() {
            keys.push(Key::new(id, i, Key::ID | Key::DISTINCT));
        } else {
            keys.push(Key::new(id, i, Key::ID));
            keys.push(Key::new(d, i, Key::DISTINCT));
        }
    }
    keys.sort_unstable_by(|a, b| a.head.cmp(&b.head).then_with(|| a.text.cmp(b.text)));
    // Duplicated ids are the same session: the first occurrence owns them all. Equal
    // strings are next to each other now; among them, the ids' own keys name one id.
    let mut owner: Vec<u32> = (0..ids.len() as u32).collect();
    let mut at = 0;
    while at < keys.len() {
        let run = keys[at..]
            .iter()
            .take_while(|k| k.text == keys[at].text)
            .count();
        let same = &keys[at..at + run];
        if let Some(first) = same.iter().filter(|k| k.is_id()).map(|k| k.owner).min() {
            for k in same.iter().filter(|k| k.is_id()) {
                owner[k.owner as usize] = first;
            }
        }
        at += run;
    }
    // Where each id's distinct part sits in the sorted list.
    let mut place = vec![0usize; ids.len()];
    for (p, k) in keys.iter().enumerate() {
        if k.flags & Key::DISTINCT != 0 {
            place[k.owner as usize] = p;
        }
    }
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            let id = id.as_ref();
            let me = owner[i];
            let d = distinct_part(id);
            let p = place[i];
            let other = |k: &&Key| owner[k.owner as usize] != me;
            let before = keys[..p].iter().rev().find(other);
            let after = keys[p + 1..].iter().find(other);
            let shared = [before, after]
                .into_iter()
                .flatten()
                .map(|k| common_prefix_len(d, k.text))
                .max()
                .unwrap_or(0);
            let want = (shared + 1).max(MIN_LEN.min(d.len()));
            if want > d.len() {
                return id.to_string();
            }
            let mut end = want;
            while !d.is_char_boundary(end) {
                end += 1;
            }
            d[..end].to_string()
        })
        .collect()
}

/// A string a query is matched against, for [`short_ids`]'s sort.
struct Key<'a> {
    /// The first eight bytes, big-endian, zero-padded: ordered as the strings are
    /// (a shorter string sorts first on a tie, which the full comparison then settles).
    head: u64,
    text: &'a str,
    owner: u32,
    flags: u8,
}

impl<'a> Key<'a> {
    /// The key is an id itself.
    const ID: u8 = 1;
    /// The key is the distinct part of its id (which may be the id itself).
    const DISTINCT: u8 = 2;

    fn new(text: &'a str, owner: u32, flags: u8) -> Self {
        let mut head = [0u8; 8];
        let n = text.len().min(8);
        head[..n].copy_from_slice(&text.as_bytes()[..n]);
        Key {
            head: u64::from_be_bytes(head),
            text,
            owner,
            flags,
        }
    }

    fn is_id(&self) -> bool {
        self.flags & Key::ID != 0
    }
}

/// The short ids of one set of sessions, looked up by full id.
pub struct ShortIds(foldhash::HashMap<String, String>);

impl ShortIds {
    pub fn new<S: AsRef<str>>(ids: &[S]) -> Self {
        let shorts = short_ids(ids);
        let mut map = foldhash::HashMap::with_capacity_and_hasher(ids.len(), Default::default());
        map.extend(ids.iter().map(|i| i.as_ref().to_string()).zip(shorts));
        ShortIds(map)
    }

    /// The short id of `id`; the id itself when it was not in the set.
    pub fn get<'a>(&'a self, id: &'a str) -> &'a str {
        self.0.get(id).map_or(id, String::as_str)
    }
}

fn common_prefix_len(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_session_prefixes_are_skipped() {
        assert_eq!(distinct_part("2026-11-20-quick-fox"), "quick-fox");
        assert_eq!(
            distinct_part("session-2026-11-20T10-00-aaaa1111"),
            "aaaa1111"
        );
        assert_eq!(distinct_part("2026-11-20T10-00-05_x"), "x");
        assert_eq!(
            distinct_part("5f0c7a8e-1111-4222-8333-944445555666"),
            "5f0c7a8e-1111-4222-8333-944445555666"
        );
        // Nothing after the date: the id is all there is.
        assert_eq!(distinct_part("2026-11-20"), "2026-11-20");
        assert_eq!(distinct_part("2026-1x-20-a"), "2026-1x-20-a");
    }

    #[test]
    fn ids_that_differ_early_are_shown_by_eight_characters() {
        let ids = [
            "5f0c7a8e-1111-4222-8333-944445555666",
            "9a0c7a8e-1111",
            "ses_abc",
        ];
        assert_eq!(short_ids(&ids), ["5f0c7a8e", "9a0c7a8e", "ses_abc"]);
    }

    #[test]
    fn ids_sharing_a_long_prefix_get_longer_until_each_is_unique() {
        // Codex's UUIDv7 ids start with the time: sessions of one minute share 8+ chars.
        let ids = [
            "019a0c11-aaaa-7000-8000-000000000001",
            "019a0c11-abcd-7000-8000-000000000002",
            "019a0c11-b000-7000-8000-000000000003",
        ];
        let short = short_ids(&ids);
        assert_eq!(short, ["019a0c11-aa", "019a0c11-ab", "019a0c11-b"]);
        for (s, id) in short.iter().zip(ids) {
            let named: Vec<_> = ids.iter().filter(|i| matches(i, s)).collect();
            assert_eq!(named, [&id], "{s} must name {id} alone");
        }
    }

    #[test]
    fn dated_ids_are_told_apart_after_the_date() {
        let ids = [
            "2026-11-20-quick-fox",
            "2026-11-21-quick-owl",
            "2026-11-21-slow-cat",
        ];
        let short = short_ids(&ids);
        assert_eq!(short, ["quick-fo", "quick-ow", "slow-cat"]);
        assert!(matches(ids[0], "quick-fo") && !matches(ids[1], "quick-fo"));
    }

    #[test]
    fn ids_equal_after_the_date_are_shown_whole() {
        let ids = ["2026-11-20-fox", "2026-11-21-fox", "2026-11-21-owl"];
        assert_eq!(short_ids(&ids), ["2026-11-20-fox", "2026-11-21-fox", "owl"]);
    }

    #[test]
    fn a_short_id_never_names_another_full_id() {
        // "aaaa1111" is the distinct part of the first and a prefix of the second id.
        let ids = ["session-2026-11-20T10-00-aaaa1111", "aaaa1111bbbb"];
        let short = short_ids(&ids);
        for (s, id) in short.iter().zip(ids) {
            let named: Vec<_> = ids.iter().filter(|i| matches(i, s)).collect();
            assert_eq!(named, [&id], "{s} must name {id} alone");
        }
    }

    /// The cases the window's `ui/src/lib/shortId.ts` is tested on too.
    #[test]
    fn the_cases_shared_with_the_window() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("short_id_cases.json")).unwrap();
        let cases = file["cases"].as_array().unwrap();
        assert!(cases.len() >= 10);
        for case in cases {
            let strings = |key: &str| -> Vec<String> {
                case[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            };
            let (ids, short) = (strings("ids"), strings("short"));
            assert_eq!(short_ids(&ids), short, "{ids:?}");
            for (s, id) in short.iter().zip(&ids) {
                assert!(matches(id, s), "{s} names {id}");
            }
        }
    }

    /// The first implementation (a binary search per id over the sorted strings), kept
    /// as the reference the faster one must agree with.
    fn reference(ids: &[String]) -> Vec<String> {
        let mut keys: Vec<(&str, usize)> = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            keys.push((id, i));
            let d = distinct_part(id);
            if d.len() != id.len() {
                keys.push((d, i));
            }
        }
        keys.sort_unstable();
        let mut owner: std::collections::HashMap<&str, usize> = Default::default();
        for (i, id) in ids.iter().enumerate() {
            owner.entry(id.as_str()).or_insert(i);
        }
        let owner_of = |i: usize| owner[ids[i].as_str()];
        ids.iter()
            .enumerate()
            .map(|(i, id)| {
                let me = owner_of(i);
                let d = distinct_part(id);
                let pos = keys.partition_point(|k| k.0 < d);
                let before = keys[..pos].iter().rev().find(|k| owner_of(k.1) != me);
                let after = keys[pos..].iter().find(|k| owner_of(k.1) != me);
                let shared = [before, after]
                    .into_iter()
                    .flatten()
                    .map(|k| common_prefix_len(d, k.0))
                    .max()
                    .unwrap_or(0);
                let want = (shared + 1).max(MIN_LEN.min(d.len()));
                if want > d.len() {
                    return id.clone();
                }
                let mut end = want;
                while !d.is_char_boundary(end) {
                    end += 1;
                }
                d[..end].to_string()
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Ids drawn from a few characters (so they share long prefixes and repeat),
        /// dated and `session-` ones, NUL bytes and non-ASCII included.
        #[test]
        fn the_fast_short_ids_are_the_reference_ones(
            ids in proptest::collection::vec(
                (
                    proptest::prop_oneof![
                        proptest::strategy::Just(""),
                        proptest::strategy::Just("2026-11-20-"),
                        proptest::strategy::Just("session-2026-11-20T10-00-"),
                        proptest::strategy::Just("2026-11-2"),
                    ],
                    "[ab\u{0}é0-]{0,12}",
                ),
                0..40,
            )
        ) {
            let ids: Vec<String> = ids.into_iter().map(|(p, s)| format!("{p}{s}")).collect();
            proptest::prop_assert_eq!(short_ids(&ids), reference(&ids));
            let shorts = ShortIds::new(&ids);
            for (id, short) in ids.iter().zip(reference(&ids)) {
                proptest::prop_assert_eq!(shorts.get(id), short.as_str());
            }
        }
    }

    #[test]
    fn the_same_id_twice_and_non_ascii_ids_are_fine() {
        assert_eq!(short_ids(&["abc", "abc"]), ["abc", "abc"]);
        assert_eq!(
            short_ids(&["ééééééééé1", "ééééééééé2"]),
            ["ééééééééé1", "ééééééééé2"]
        );
        assert_eq!(short_ids::<&str>(&[]), Vec::<String>::new());
    }
}
