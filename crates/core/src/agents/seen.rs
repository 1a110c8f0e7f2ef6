//! The ids a parser has already counted (Claude Code's `message.id:requestId`, Codex's
//! token events), kept as 128-bit fingerprints rather than as strings.
//!
//! Every line parser keeps such sets for as long as its file may still grow, and a
//! scan of 100k files keeps 100k parsers: as strings, a message's ids cost about
//! 190 bytes (the `String`s, their heap blocks and the table's slots), as
//! fingerprints 16 bytes and a control byte. A fingerprint is two keyed SipHash-2-4 values
//! of the key's bytes, the second over the bytes behind a marker byte; two distinct
//! keys of one file share one with probability about n² / 2¹²⁹ (n the keys of the
//! file: for a million, 10⁻²⁶), and then the second is taken for a repeat of the first.
//! Fingerprints are never stored or compared across processes.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// A set of keys, each given as the bytes of its parts in order ([`Seen::insert`]).
#[derive(Debug, Default, Clone)]
pub struct Seen {
    set: HashSet<u128, BuildHasherDefault<Spread>>,
}

impl Seen {
    /// Add the key made of `parts` (their bytes one after the other, nothing in
    /// between: the caller writes any separator as a part); `true` when it was new.
    pub fn insert(&mut self, parts: &[&[u8]]) -> bool {
        self.set.insert(fingerprint(parts))
    }
}

/// The 128-bit fingerprint of the bytes of `parts` one after the other.
fn fingerprint(parts: &[&[u8]]) -> u128 {
    // Deprecated only in favour of `DefaultHasher`, which takes no keys.
    #[allow(deprecated)]
    let mut a = std::hash::SipHasher::new_with_keys(0x5345_454e_0000_0001, 0x6964_7300_0000_0002);
    #[allow(deprecated)]
    let mut b = std::hash::SipHasher::new_with_keys(0x5345_454e_0000_0003, 0x6964_7300_0000_0004);
    b.write(&[0xff]);
    for p in parts {
        a.write(p);
        b.write(p);
    }
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// The table's hasher: a fingerprint is already uniform, so its low 64 bits are used as
/// they are.
#[derive(Default)]
struct Spread(u64);

impl Hasher for Spread {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_key_is_new_once_and_its_parts_may_be_cut_anywhere() {
        let mut s = Seen::default();
        assert!(s.insert(&[b"msg_1", b":", b"req_1"]));
        assert!(!s.insert(&[b"msg_1:req_1"]));
        assert!(!s.insert(&[b"msg_", b"1:r", b"eq_1"]));
        assert!(s.insert(&[b"msg_1:req_2"]));
        assert!(s.insert(&[b""]));
        assert!(!s.insert(&[]));
        assert_eq!(s.set.len(), 3);
    }

    proptest! {
        /// The set answers as a set of the joined strings does.
        #[test]
        fn it_agrees_with_a_set_of_strings(keys in proptest::collection::vec(
            proptest::collection::vec(proptest::sample::select(vec![b'a', b'b', b':', 0xff]), 0..6),
            0..200,
        )) {
            let mut seen = Seen::default();
            let mut strings = std::collections::HashSet::new();
            for k in &keys {
                let cut = k.len() / 2;
                prop_assert_eq!(seen.insert(&[&k[..cut], &k[cut..]]), strings.insert(k.clone()));
            }
            prop_assert_eq!(seen.set.len(), strings.len());
        }
    }
}
