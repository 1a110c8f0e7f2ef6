//! The compact binary form the index cache keeps a file's [`TranscriptFacts`] in.
//!
//! A warm start decodes the facts of every cached file (100k of them for a heavy
//! user, issue 17); as JSON that was a sixth of the start's CPU (dates parsed from
//! text, field names matched). Here every field is written in declaration order:
//! integers as LEB128 varints (signed ones zigzagged), floats as their 8 bytes,
//! strings as a length and their UTF-8 bytes, an `Option` as a 0/1 byte and the value,
//! a list or map as its length and its items. The first byte is the format's version.
//!
//! The bytes come from a file anyone could have damaged: [`decode`] checks every
//! length against what is left, every string's UTF-8, every date's range and that
//! nothing is left over, and returns `None` rather than panicking or allocating what
//! the input merely claims (the cache then reads the file again).
//! [`encode`] destructures [`TranscriptFacts`] without `..`, so a new field does not
//! compile until it is written here too.

use chrono::{DateTime, Utc};

use crate::agents::{TranscriptFacts, TurnState, UsageSlot};
use crate::model::Usage;

/// The format's version, the first byte of every encoding.
const VERSION: u8 = 1;

/// `facts` in the compact form (see the module documentation).
pub fn encode(facts: &TranscriptFacts) -> Vec<u8> {
    let TranscriptFacts {
        id,
        title,
        project,
        git_branch,
        model,
        models,
        started_at,
        last_activity,
        user_messages,
        assistant_messages,
        tool_calls,
        tool_errors,
        usage,
        parse_errors,
        turn,
        parent_id,
        project_hash,
        cost_usd,
        deliverables,
        files_written,
        usage_slots,
        agent_version,
        unknown,
        agent_cost_usd,
    } = facts;
    let mut w = Writer(Vec::with_capacity(256));
    w.0.push(VERSION);
    w.opt_str(id);
    w.opt_str(title);
    w.opt_str(project);
    w.opt_str(git_branch);
    w.opt_str(model);
    w.strings(models);
    w.opt_time(started_at);
    w.opt_time(last_activity);
    for n in [user_messages, assistant_messages, tool_calls, tool_errors] {
        w.uint(u64::from(*n));
    }
    w.usage(usage);
    w.uint(u64::from(*parse_errors));
    w.0.push(turn_code(*turn));
    w.opt_str(parent_id);
    w.opt_str(project_hash);
    w.opt_f64(cost_usd);
    w.strings(deliverables);
    w.strings(files_written);
    w.uint(usage_slots.len() as u64);
    for s in usage_slots {
        w.time(&s.slot);
        w.str(&s.model);
        w.usage(&s.usage);
        w.0.extend_from_slice(&s.cost_usd.to_le_bytes());
    }
    w.opt_str(agent_version);
    w.uint(unknown.len() as u64);
    for (k, n) in unknown {
        w.str(k);
        w.uint(u64::from(*n));
    }
    w.opt_f64(agent_cost_usd);
    w.0
}

/// The facts [`encode`] wrote, or `None` for bytes it did not write (damaged,
/// truncated, another version).
pub fn decode(bytes: &[u8]) -> Option<TranscriptFacts> {
    let mut r = Reader(bytes);
    if r.byte()? != VERSION {
        return None;
    }
    let facts = TranscriptFacts {
        id: r.opt_str()?,
        title: r.opt_str()?,
        project: r.opt_str()?,
        git_branch: r.opt_str()?,
        model: r.opt_str()?,
        models: r.strings()?,
        started_at: r.opt_time()?,
        last_activity: r.opt_time()?,
        user_messages: r.u32()?,
        assistant_messages: r.u32()?,
        tool_calls: r.u32()?,
        tool_errors: r.u32()?,
        usage: r.usage()?,
        parse_errors: r.u32()?,
        turn: turn_of(r.byte()?)?,
        parent_id: r.opt_str()?,
        project_hash: r.opt_str()?,
        cost_usd: r.opt_f64()?,
        deliverables: r.strings()?,
        files_written: r.strings()?,
        usage_slots: {
            let n = r.len()?;
            let mut slots = Vec::with_capacity(n);
            for _ in 0..n {
                slots.push(UsageSlot {
                    slot: r.time()?,
                    model: r.str()?,
                    usage: r.usage()?,
                    cost_usd: r.f64()?,
                });
            }
            slots
        },
        agent_version: r.opt_str()?,
        unknown: {
            let n = r.len()?;
            let mut map = std::collections::BTreeMap::new();
            for _ in 0..n {
                let k = r.str()?;
                map.insert(k, r.u32()?);
            }
            map
        },
        agent_cost_usd: r.opt_f64()?,
    };
    r.0.is_empty().then_some(facts)
}

fn turn_code(turn: TurnState) -> u8 {
    match turn {
        TurnState::Unknown => 0,
        TurnState::AwaitingModel => 1,
        TurnState::Streaming => 2,
        TurnState::ToolPending => 3,
        TurnState::TurnEnded => 4,
        TurnState::Errored => 5,
    }
}

fn turn_of(code: u8) -> Option<TurnState> {
    Some(match code {
        0 => TurnState::Unknown,
        1 => TurnState::AwaitingModel,
        2 => TurnState::Streaming,
        3 => TurnState::ToolPending,
        4 => TurnState::TurnEnded,
        5 => TurnState::Errored,
        _ => return None,
    })
}

struct Writer(Vec<u8>);

impl Writer {
    fn uint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    fn int(&mut self, n: i64) {
        self.uint(((n << 1) ^ (n >> 63)) as u64);
    }

    fn str(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    fn opt_str(&mut self, s: &Option<String>) {
        match s {
            None => self.0.push(0),
            Some(s) => {
                self.0.push(1);
                self.str(s);
            }
        }
    }

    fn strings(&mut self, list: &[String]) {
        self.uint(list.len() as u64);
        for s in list {
            self.str(s);
        }
    }

    fn time(&mut self, t: &DateTime<Utc>) {
        self.int(t.timestamp());
        self.uint(u64::from(t.timestamp_subsec_nanos()));
    }

    fn opt_time(&mut self, t: &Option<DateTime<Utc>>) {
        match t {
            None => self.0.push(0),
            Some(t) => {
                self.0.push(1);
                self.time(t);
            }
        }
    }

    fn opt_f64(&mut self, v: &Option<f64>) {
        match v {
            None => self.0.push(0),
            Some(v) => {
                self.0.push(1);
                self.0.extend_from_slice(&v.to_le_bytes());
            }
        }
    }

    fn usage(&mut self, u: &Usage) {
        let Usage {
            input_tokens,
            output_tokens,
            cache_creation_tokens,
            cache_read_tokens,
        } = u;
        for n in [
            input_tokens,
            output_tokens,
            cache_creation_tokens,
            cache_read_tokens,
        ] {
            self.uint(*n);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn uint(&mut self) -> Option<u64> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return None; // more than 64 bits
            }
            n |= bits << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn int(&mut self) -> Option<i64> {
        let z = self.uint()?;
        Some(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.uint()?).ok()
    }

    /// A count of items still to come: each takes at least one byte, so a count
    /// larger than what is left is damage (and nothing is allocated for it).
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.uint()?).ok()?;
        (n <= self.0.len()).then_some(n)
    }

    fn str(&mut self) -> Option<String> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).ok().map(str::to_owned)
    }

    fn opt_str(&mut self) -> Option<Option<String>> {
        self.opt(Self::str)
    }

    fn strings(&mut self) -> Option<Vec<String>> {
        let n = self.len()?;
        let mut list = Vec::with_capacity(n);
        for _ in 0..n {
            list.push(self.str()?);
        }
        Some(list)
    }

    fn time(&mut self) -> Option<DateTime<Utc>> {
        let secs = self.int()?;
        let nanos = self.u32()?;
        DateTime::from_timestamp(secs, nanos)
    }

    fn opt_time(&mut self) -> Option<Option<DateTime<Utc>>> {
        self.opt(Self::time)
    }

    fn f64(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn opt_f64(&mut self) -> Option<Option<f64>> {
        self.opt(Self::f64)
    }

    fn usage(&mut self) -> Option<Usage> {
        Some(Usage {
            input_tokens: self.uint()?,
            output_tokens: self.uint()?,
            cache_creation_tokens: self.uint()?,
            cache_read_tokens: self.uint()?,
        })
    }

    fn opt<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.byte()? {
            0 => Some(None),
            1 => read(self).map(Some),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![Just(String::new()), "[a-zé/ -]{1,12}", any::<String>()]
    }

    fn time() -> impl Strategy<Value = DateTime<Utc>> {
        (-62_000_000_000i64..250_000_000_000, 0u32..1_000_000_000)
            .prop_map(|(s, n)| DateTime::from_timestamp(s, n).unwrap_or_default())
    }

    fn usage() -> impl Strategy<Value = Usage> {
        (any::<u64>(), any::<u64>(), 0u64..1000, any::<u64>()).prop_map(|(a, b, c, d)| Usage {
            input_tokens: a,
            output_tokens: b,
            cache_creation_tokens: c,
            cache_read_tokens: d,
        })
    }

    fn money() -> impl Strategy<Value = f64> {
        prop_oneof![Just(0.0), Just(-0.0), -1e12f64..1e12, Just(f64::MAX)]
    }

    fn facts() -> impl Strategy<Value = TranscriptFacts> {
        let names = (
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::collection::vec(text(), 0..4),
            proptest::option::of(time()),
            proptest::option::of(time()),
        );
        let counts = (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            usage(),
            any::<u32>(),
            0u8..6,
            proptest::option::of(text()),
        );
        let rest = (
            proptest::option::of(text()),
            proptest::option::of(money()),
            proptest::collection::vec(text(), 0..3),
            proptest::collection::vec(text(), 0..3),
            proptest::collection::vec((time(), text(), usage(), money()), 0..4),
            proptest::option::of(text()),
            proptest::collection::btree_map(text(), any::<u32>(), 0..3),
            proptest::option::of(money()),
        );
        (names, counts, rest).prop_map(|(n, c, r)| TranscriptFacts {
            id: n.0,
            title: n.1,
            project: n.2,
            git_branch: n.3,
            model: n.4,
            models: n.5,
            started_at: n.6,
            last_activity: n.7,
            user_messages: c.0,
            assistant_messages: c.1,
            tool_calls: c.2,
            tool_errors: c.3,
            usage: c.4,
            parse_errors: c.5,
            turn: turn_of(c.6).unwrap_or_default(),
            parent_id: c.7,
            project_hash: r.0,
            cost_usd: r.1,
            deliverables: r.2,
            files_written: r.3,
            usage_slots: r
                .4
                .into_iter()
                .map(|(slot, model, usage, cost_usd)| UsageSlot {
                    slot,
                    model,
                    usage,
                    cost_usd,
                })
                .collect(),
            agent_version: r.5,
            unknown: r.6,
            agent_cost_usd: r.7,
        })
    }

    proptest! {
        #[test]
        fn facts_come_back_as_they_were_written(facts in facts()) {
            let bytes = encode(&facts);
            prop_assert_eq!(decode(&bytes), Some(facts));
        }

        /// Cut short or with a byte changed, the bytes decode to nothing or to some
        /// facts, never to a panic; cut short or extended, never to facts.
        #[test]
        fn damaged_bytes_are_refused_not_panicked_on(
            facts in facts(),
            cut in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
            to in any::<u8>(),
        ) {
            let bytes = encode(&facts);
            prop_assert_eq!(decode(&bytes[..cut.index(bytes.len())]), None);
            let mut longer = bytes.clone();
            longer.push(0);
            prop_assert_eq!(decode(&longer), None);
            let mut changed = bytes;
            let at = flip.index(changed.len());
            changed[at] = to;
            let _ = decode(&changed);
        }
    }

    #[test]
    fn the_default_and_other_versions() {
        let facts = TranscriptFacts::default();
        assert_eq!(decode(&encode(&facts)), Some(facts));
        let mut other = encode(&TranscriptFacts::default());
        other[0] = VERSION + 1;
        assert_eq!(decode(&other), None);
        assert_eq!(decode(&[]), None);
        // A count that claims more items than there are bytes allocates nothing.
        let mut huge = vec![VERSION, 0, 0, 0, 0, 0];
        huge.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
        assert_eq!(decode(&huge), None);
    }
}
