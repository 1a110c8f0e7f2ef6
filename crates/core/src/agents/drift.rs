//! Drift guard: record types and fields a parser does not know, counted per session
//! so that a new agent release that changes its format shows up at once (in the
//! session's detail and in `sessionscope doctor`) instead of as quietly wrong numbers.
//!
//! Each parser names what it knows: the record types it reads or deliberately skips,
//! and per record type the top-level fields the pinned agent version writes. A record
//! type outside that list is counted on every line (`type foo`). Fields are checked on
//! the first line of each record type in a file (one extra small parse per type, not
//! per line; long lines are skipped to keep the check cheap): each unknown field is
//! counted once per file (`field user.foo`). The map is bounded, so hostile input with
//! endless new type names cannot grow it without limit.

use std::collections::{BTreeMap, HashSet};

/// At most this many distinct unknown names are kept per session; the rest are
/// counted under [`OTHERS`].
const MAX_NAMES: usize = 64;
/// Where names beyond [`MAX_NAMES`] are counted.
pub const OTHERS: &str = "other unknown names";
/// Lines longer than this are not parsed a second time for their field names.
const FIELD_CHECK_MAX_LINE: usize = 64 * 1024;

/// Count one more sighting of `name` in `unknown`.
pub fn count(unknown: &mut BTreeMap<String, u32>, name: &str) {
    if let Some(n) = unknown.get_mut(name) {
        *n = n.saturating_add(1);
        return;
    }
    let key = if unknown.len() < MAX_NAMES {
        name.to_string()
    } else {
        OTHERS.to_string()
    };
    let n = unknown.entry(key).or_insert(0);
    *n = n.saturating_add(1);
}

/// Remembers which record types of one file had their fields checked.
#[derive(Debug, Default)]
pub struct FieldCheck {
    checked: HashSet<String>,
}

impl FieldCheck {
    /// Has `kind` been checked in this file already?
    pub fn done(&self, kind: &str) -> bool {
        self.checked.contains(kind)
    }

    /// On the first line of record type `kind`, count every top-level field of
    /// `object` (a JSON object's bytes) that `known` does not name.
    pub fn check(
        &mut self,
        unknown: &mut BTreeMap<String, u32>,
        kind: &str,
        object: &[u8],
        known: &[&str],
    ) {
        if self.done(kind) || self.checked.len() >= MAX_NAMES {
            return;
        }
        self.checked.insert(kind.to_string());
        if object.len() > FIELD_CHECK_MAX_LINE {
            return;
        }
        let Ok(UnknownKeys(mut names)) = serde_json::from_slice::<UnknownKeys>(object) else {
            return;
        };
        // In name order, each once, as from a map of the object: which names go
        // under `OTHERS` when the map is full does not depend on the line's order.
        names.retain(|n| !known.contains(&n.as_ref()));
        names.sort_unstable();
        names.dedup();
        self.count_unknown(unknown, kind, names.iter().map(|k| k.as_ref()), known);
    }

    /// Like [`FieldCheck::check`], for a record already decoded into a map.
    pub fn check_keys<'k>(
        &mut self,
        unknown: &mut BTreeMap<String, u32>,
        kind: &str,
        keys: impl Iterator<Item = &'k str>,
        known: &[&str],
    ) {
        if self.done(kind) || self.checked.len() >= MAX_NAMES {
            return;
        }
        self.checked.insert(kind.to_string());
        self.count_unknown(unknown, kind, keys, known);
    }

    fn count_unknown<'k>(
        &self,
        unknown: &mut BTreeMap<String, u32>,
        kind: &str,
        keys: impl Iterator<Item = &'k str>,
        known: &[&str],
    ) {
        for name in keys {
            if !known.contains(&name) {
                count(unknown, &format!("field {kind}.{name}"));
            }
        }
    }
}

/// The top-level keys of a JSON object (values skipped, nothing else kept); the keys
/// are filtered by the caller. The object must decode as a map of string keys would.
struct UnknownKeys<'a>(Vec<std::borrow::Cow<'a, str>>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for UnknownKeys<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = UnknownKeys<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<UnknownKeys<'a>, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(UnknownKeys(keys))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_counted_once_per_type_and_names_are_bounded() {
        let mut unknown = BTreeMap::new();
        let mut check = FieldCheck::default();
        check.check(
            &mut unknown,
            "user",
            br#"{"a":1,"b":2,"new":3}"#,
            &["a", "b"],
        );
        check.check(&mut unknown, "user", br#"{"other":1}"#, &["a", "b"]);
        assert_eq!(unknown.get("field user.new"), Some(&1));
        assert_eq!(unknown.len(), 1, "second line of the type is not checked");
        check.check(&mut unknown, "x", b"not json", &[]);
        for i in 0..200 {
            count(&mut unknown, &format!("type t{i}"));
        }
        assert_eq!(unknown.len(), MAX_NAMES + 1);
        assert!(unknown[OTHERS] > 100);
    }

    /// The check as it was: the object decoded into a map, its keys counted in order.
    fn check_by_map(
        unknown: &mut BTreeMap<String, u32>,
        kind: &str,
        object: &[u8],
        known: &[&str],
    ) {
        let Ok(fields) = serde_json::from_slice::<
            BTreeMap<std::borrow::Cow<'_, str>, serde::de::IgnoredAny>,
        >(object) else {
            return;
        };
        for name in fields.keys() {
            if !known.contains(&name.as_ref()) {
                count(unknown, &format!("field {kind}.{name}"));
            }
        }
    }

    proptest::proptest! {
        /// Reading only the keys counts what decoding the object into a map counted:
        /// the same names (duplicate keys once, escaped keys decoded), the same
        /// overflow into `OTHERS`, nothing for what is not an object.
        #[test]
        fn reading_keys_counts_what_a_map_of_the_object_counted(
            keys in proptest::collection::vec("[abk\\\"é]{0,3}", 0..12),
            already in 0usize..70,
            tail in proptest::sample::select(vec!["", "x", "}", " ", "\u{ff}"]),
        ) {
            let known = ["a", "b"];
            let body: Vec<String> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| format!("{}:{i}", serde_json::to_string(k).unwrap_or_default()))
                .collect();
            let mut object = format!("{{{}}}", body.join(",")).into_bytes();
            object.extend_from_slice(tail.as_bytes());
            let mut before = BTreeMap::new();
            for i in 0..already {
                count(&mut before, &format!("type t{i}"));
            }
            let mut by_map = before.clone();
            check_by_map(&mut by_map, "user", &object, &known);
            let mut by_keys = before;
            FieldCheck::default().check(&mut by_keys, "user", &object, &known);
            proptest::prop_assert_eq!(by_keys, by_map);
        }
    }
}
