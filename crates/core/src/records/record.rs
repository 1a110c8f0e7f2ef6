//! One line of the gptme-sessions store: [`Record`], its known fields typed, every other
//! key kept verbatim in [`Record::extra`], and the read-time rules of the Python
//! package (legacy `journal_path` migration, `run_type` normalisation, default ids).
//!
//! The field list and defaults mirror `SessionRecord` in gptme-sessions' `record.py`:
//! a key that is absent takes the dataclass default (`harness`, `model`, `run_type`
//! and `outcome` default to `"unknown"`), a key that is present as `null` stays null.
//! A known key whose value has an unexpected type is not lost either: its raw value is
//! kept in `extra` and written back unchanged unless the typed field is edited.
//!
//! Where we deliberately keep more than Python does: unknown keys starting with `_`
//! (Python drops them), `harm_category` / `dropout_depth` values outside Python's
//! lists (Python nulls them on read), and `deliverables: null` (read as empty).
//!
//! This module only converts between JSON and records; it never touches a file.

use chrono::{SecondsFormat, Utc};
use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

fn unknown() -> Option<String> {
    Some("unknown".to_string())
}

/// Converts a raw value to a typed field, handing the raw value back on a type mismatch.
fn typed<T: serde::de::DeserializeOwned>(raw: Value) -> Result<T, Value> {
    match T::deserialize(&raw) {
        Ok(v) => Ok(v),
        Err(_) => Err(raw),
    }
}

/// Declares the record struct, its defaults, and the (de)serialisation that keeps
/// unknown keys, from one list so the three can never disagree.
macro_rules! record_fields {
    ($( $(#[$doc:meta])* $name:ident : $ty:ty = $default:expr, )*) => {
        /// A session record. See the module documentation for the compatibility rules.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Record {
            $( $(#[$doc])* pub $name: $ty, )*
            /// Keys this version does not know, and known keys whose value had an
            /// unexpected type, exactly as read.
            pub extra: Map<String, Value>,
        }

        /// Every key [`Record`] types, in the order gptme-sessions writes them.
        pub const KNOWN_FIELDS: &[&str] = &[$(stringify!($name)),*];

        impl Default for Record {
            fn default() -> Self {
                Record { $( $name: $default, )* extra: Map::new() }
            }
        }

        impl Record {
            fn fill_from(&mut self, mut obj: Map<String, Value>) {
                $(
                    if let Some(raw) = obj.remove(stringify!($name)) {
                        match typed::<$ty>(raw) {
                            Ok(v) => self.$name = v,
                            Err(raw) => {
                                self.$name = $default;
                                self.extra.insert(stringify!($name).to_string(), raw);
                            }
                        }
                    }
                )*
                self.extra.extend(obj);
            }

            fn write_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                $(
                    // A mismatched raw value wins while the typed field still holds the
                    // placeholder it was given on read, i.e. until someone edits it.
                    let placeholder: $ty = $default;
                    let raw_kept = self.extra.contains_key(stringify!($name))
                        && self.$name == placeholder;
                    if !raw_kept {
                        map.serialize_entry(stringify!($name), &self.$name)?;
                    }
                )*
                for (k, v) in &self.extra {
                    let known_and_edited = KNOWN_FIELDS.contains(&k.as_str()) && !self.raw_kept(k);
                    if !known_and_edited {
                        map.serialize_entry(k, v)?;
                    }
                }
                Ok(())
            }

            fn raw_kept(&self, key: &str) -> bool {
                $(
                    if key == stringify!($name) {
                        let placeholder: $ty = $default;
                        return self.$name == placeholder;
                    }
                )*
                false
            }
        }
    };
}

record_fields! {
    // Identity
    /// 8 hex characters (from a uuid4) unless the writer chose one.
    session_id: String = String::new(),
    /// ISO 8601 creation time of the record.
    timestamp: String = String::new(),
    start_time: Option<String> = None,
    end_time: Option<String> = None,
    session_name: Option<String> = None,
    /// Workspace path.
    project: Option<String> = None,
    // Operational context
    harness: Option<String> = unknown(),
    /// The raw model string; see [`crate::records::normalize_model`] for grouping.
    model: Option<String> = unknown(),
    context_tier: Option<String> = None,
    ab_group: Option<String> = None,
    tier_version: Option<String> = None,
    /// Deprecated in favour of `trigger`, still grouped on by `stats`.
    run_type: Option<String> = unknown(),
    trigger: Option<String> = None,
    // Work classification
    category: Option<String> = None,
    recommended_category: Option<String> = None,
    selector_mode: Option<String> = None,
    cascade_intent: Option<Value> = None,
    // Outcome
    /// `productive`, `noop`, `violated_policy`, `failed` or `unknown`.
    outcome: Option<String> = unknown(),
    exit_code: Option<i64> = None,
    failure_reason: Option<String> = None,
    error: Option<String> = None,
    /// Seconds; `null` reads as 0 like the Python package.
    duration_seconds: i64 = 0,
    token_count: Option<i64> = None,
    input_tokens: Option<i64> = None,
    output_tokens: Option<i64> = None,
    cache_creation_tokens: Option<i64> = None,
    cache_read_tokens: Option<i64> = None,
    sys_prompt_tokens: Option<i64> = None,
    context_peak_tokens: Option<i64> = None,
    context_window: Option<i64> = None,
    sys_prompt_bytes: Option<i64> = None,
    first_turn_bytes: Option<i64> = None,
    context_peak_bytes: Option<i64> = None,
    session_total_bytes: Option<i64> = None,
    // Artifacts
    /// Commit SHAs and PR URLs.
    deliverables: Vec<String> = Vec::new(),
    deliverable_details: Vec<Value> = Vec::new(),
    /// The agent's own log; `sync` deduplicates on it.
    trajectory_path: Option<String> = None,
    /// A human-written Markdown journal entry.
    journal_path: Option<String> = None,
    // Grades
    grades: Map<String, Value> = Map::new(),
    grade_reasons: Map<String, Value> = Map::new(),
    trajectory_grade: Option<f64> = None,
    llm_judge_score: Option<f64> = None,
    llm_judge_reason: Option<String> = None,
    llm_judge_model: Option<String> = None,
    smell_score: Option<f64> = None,
    harm_category: Option<String> = None,
    dropout_selected: Option<bool> = None,
    dropout_reason: Option<String> = None,
    dropout_depth: Option<String> = None,
    span_aggregates: Option<Value> = None,
    summarizer_fired: Option<bool> = None,
    ttft_ms_avg: Option<f64> = None,
    ttft_ms_p50: Option<f64> = None,
    gen_ms_total: Option<f64> = None,
    tool_ms_total: Option<f64> = None,
}

/// Fields that Python turns from `null` into an empty value on read (`duration_seconds`
/// becomes 0, the collections become empty). `deliverables` is treated the same way
/// here; the Python package would keep it `null` and write `null` back.
const NULL_MEANS_EMPTY: &[&str] = &[
    "duration_seconds",
    "deliverables",
    "deliverable_details",
    "grades",
    "grade_reasons",
];

impl Record {
    /// A fresh record: a new 8-hex-character id and the current UTC time.
    pub fn new() -> Self {
        Record {
            session_id: new_session_id(),
            timestamp: now_iso(),
            ..Record::default()
        }
    }

    /// Build a record from one parsed JSON line; `None` when the line is not an object
    /// (such lines are treated as malformed, like Python's `from_dict` failing).
    pub fn from_value(value: Value) -> Option<Record> {
        let Value::Object(mut obj) = value else {
            return None;
        };
        migrate_legacy(&mut obj);
        for key in NULL_MEANS_EMPTY {
            if obj.get(*key).is_some_and(Value::is_null) {
                obj.remove(*key);
            }
        }
        let mut rec = Record::default();
        rec.fill_from(obj);
        rec.finish_read();
        Some(rec)
    }

    /// Parse one line of the store. `None` for anything that is not a JSON object.
    pub fn from_line(line: &[u8]) -> Option<Record> {
        let text = std::str::from_utf8(line).ok()?;
        let value: Value = serde_json::from_str(text.trim()).ok()?;
        Record::from_value(value)
    }

    /// One line of JSON, without the newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// The record as a JSON object (every known field plus every extra key).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The model name used for grouping (`opus`, `gpt-5.4`, ...).
    pub fn model_normalized(&self) -> Option<String> {
        self.model
            .as_deref()
            .map(|m| super::model_name::normalize_model(m).into_owned())
    }

    /// Set the LLM judge's verdict the way gptme-sessions' `set_alignment_grade` does:
    /// the legacy scalar fields plus the `alignment` dimension of `grades`.
    pub fn set_alignment_grade(&mut self, score: f64, reason: Option<String>, model: &str) {
        self.llm_judge_score = Some(score);
        self.grades.insert("alignment".into(), Value::from(score));
        match &reason {
            Some(r) => {
                self.grade_reasons
                    .insert("alignment".into(), Value::from(r.clone()));
            }
            None => {
                self.grade_reasons.remove("alignment");
            }
        }
        self.llm_judge_reason = reason;
        self.llm_judge_model = Some(model.to_string());
    }

    /// The rules `SessionRecord.__post_init__` applies to every record it reads.
    fn finish_read(&mut self) {
        if self.session_id.is_empty() {
            self.session_id = new_session_id();
        }
        if self.timestamp.is_empty() {
            self.timestamp = now_iso();
        } else if self.timestamp.contains("T24:") {
            self.timestamp = fix_hour_24(&self.timestamp);
        }
        if let Some(rt) = self.run_type.as_deref() {
            if let Some(n) = normalize_run_type(rt) {
                self.run_type = Some(n.to_string());
            }
        }
        if self.dropout_selected == Some(false) {
            self.dropout_reason = None;
            self.dropout_depth = None;
        }
    }
}

/// Legacy rules of `SessionRecord.from_dict`, applied to the raw object.
fn migrate_legacy(obj: &mut Map<String, Value>) {
    // Old `sync` stored the trajectory in `journal_path`; journals are always `.md`.
    if !obj.contains_key("trajectory_path") {
        if let Some(Value::String(j)) = obj.get("journal_path") {
            if !j.ends_with(".md") {
                let j = obj.remove("journal_path").unwrap_or_default();
                obj.insert("trajectory_path".into(), j);
            }
        }
    }
    // `dropout_selection` (bool) was replaced by `dropout_selected`/`dropout_reason`.
    if obj.contains_key("dropout_selection") && !obj.contains_key("dropout_selected") {
        if obj.get("dropout_selection").is_some_and(truthy) {
            obj.insert("dropout_selected".into(), Value::Bool(true));
            obj.insert("dropout_reason".into(), Value::from("random_sampling"));
        }
        obj.remove("dropout_selection");
    }
}

/// Python's truthiness of a JSON value.
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The harm categories gptme-sessions knows; it reads any other `harm_category` as
/// unset (we keep the value in the file, but rules that count fields follow Python).
pub const HARM_CATEGORY_LABELS: &[&str] = &[
    "deception",
    "evaluation_gaming",
    "reward_hacking",
    "scope_creep",
    "tool_misuse",
    "coordination_harm",
    "catastrophic",
];

/// `run_type` values that are session numbers or `autonomous-session*` mean
/// `autonomous`; anything else is kept. `None` means "unchanged".
pub fn normalize_run_type(raw: &str) -> Option<&'static str> {
    let all_digits = !raw.is_empty() && raw.chars().all(is_py_digit);
    if all_digits || raw.starts_with("autonomous-session") {
        Some("autonomous")
    } else {
        None
    }
}

/// `T24:00:00` (midnight written as hour 24) becomes `T23:59:59` wherever it occurs;
/// otherwise every `T24:HH:MM` (two digits each, any script's digits) becomes
/// `T23:HH:MM` — gptme-sessions' rule, so a `T24:30` without seconds is left alone.
fn fix_hour_24(ts: &str) -> String {
    if ts.contains("T24:00:00") {
        return ts.replace("T24:00:00", "T23:59:59");
    }
    static HOUR_24: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    HOUR_24
        .get_or_init(|| regex::Regex::new(r"T24:(\d{2}:\d{2})").expect("a valid pattern"))
        .replace_all(ts, "T23:$1")
        .into_owned()
}

/// Python's `str.isdigit()` for one character: a decimal digit of any script, or one
/// of the other digit characters (superscripts, circled digits, ...). Unlike
/// `char::is_numeric`, fractions and Roman numerals are not digits.
pub fn is_py_digit(c: char) -> bool {
    /// Characters with Numeric_Type=Digit (`isdigit() and not isdecimal()`), from
    /// Python 3.11's Unicode database.
    const DIGIT_TYPE: &[(u32, u32)] = &[
        (0xB2, 0xB3),
        (0xB9, 0xB9),
        (0x1369, 0x1371),
        (0x19DA, 0x19DA),
        (0x2070, 0x2070),
        (0x2074, 0x2079),
        (0x2080, 0x2089),
        (0x2460, 0x2468),
        (0x2474, 0x247C),
        (0x2488, 0x2490),
        (0x24EA, 0x24EA),
        (0x24F5, 0x24FD),
        (0x24FF, 0x24FF),
        (0x2776, 0x277E),
        (0x2780, 0x2788),
        (0x278A, 0x2792),
        (0x10A40, 0x10A43),
        (0x10E60, 0x10E68),
        (0x11052, 0x1105A),
        (0x1F100, 0x1F10A),
    ];
    static DECIMAL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let cp = c as u32;
    DIGIT_TYPE.iter().any(|(a, b)| (*a..=*b).contains(&cp))
        || DECIMAL
            .get_or_init(|| regex::Regex::new(r"^\p{Nd}$").expect("a valid pattern"))
            .is_match(c.encode_utf8(&mut [0u8; 4]))
}

/// 8 hex characters of a fresh uuid4, like `str(uuid.uuid4())[:8]`.
pub fn new_session_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

/// Now, as Python's `datetime.now(timezone.utc).isoformat()` writes it.
pub fn now_iso() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, false)
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.write_fields(&mut map)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Record::from_value(value).ok_or_else(|| D::Error::custom("a record must be a JSON object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> Record {
        Record::from_value(v).unwrap()
    }

    #[test]
    fn unknown_keys_survive_a_round_trip() {
        let r = read(json!({
            "session_id": "abc12345", "timestamp": "2026-01-01T00:00:00+00:00",
            "notes": "keep me", "inferred_category": {"deep": [1, 2]}, "_private": 1
        }));
        let back = r.to_value();
        assert_eq!(back["notes"], "keep me");
        assert_eq!(back["inferred_category"], json!({"deep": [1, 2]}));
        assert_eq!(back["_private"], 1);
        assert_eq!(back["session_id"], "abc12345");
    }

    #[test]
    fn absent_keys_take_defaults_but_null_stays_null() {
        let r = read(json!({"session_id": "a", "timestamp": "t", "model": null}));
        assert_eq!(r.harness.as_deref(), Some("unknown"));
        assert_eq!(r.model, None);
        assert_eq!(r.outcome.as_deref(), Some("unknown"));
        assert_eq!(r.to_value()["model"], Value::Null);
    }

    #[test]
    fn legacy_journal_path_becomes_trajectory_path() {
        let r = read(json!({"session_id": "a", "journal_path": "/logs/x/conversation.jsonl"}));
        assert_eq!(
            r.trajectory_path.as_deref(),
            Some("/logs/x/conversation.jsonl")
        );
        assert_eq!(r.journal_path, None);
        let md = read(json!({"session_id": "a", "journal_path": "/j/2026-01-01.md"}));
        assert_eq!(md.journal_path.as_deref(), Some("/j/2026-01-01.md"));
        assert_eq!(md.trajectory_path, None);
        // An explicit trajectory_path (even null) blocks the migration.
        let both =
            read(json!({"session_id": "a", "journal_path": "/x/dir", "trajectory_path": null}));
        assert_eq!(both.journal_path.as_deref(), Some("/x/dir"));
    }

    #[test]
    fn run_type_numbers_and_autonomous_sessions_normalise() {
        assert_eq!(
            read(json!({"run_type": "1234"})).run_type.as_deref(),
            Some("autonomous")
        );
        assert_eq!(
            read(json!({"run_type": "autonomous-session-7"}))
                .run_type
                .as_deref(),
            Some("autonomous")
        );
        assert_eq!(
            read(json!({"run_type": "monitoring"})).run_type.as_deref(),
            Some("monitoring")
        );
        // Python's str.isdigit(): digits of any script and superscripts are digits,
        // fractions and Roman numerals are not.
        for (raw, want) in [
            ("٣٤", "autonomous"),
            ("²", "autonomous"),
            ("①", "autonomous"),
            ("½", "½"),
            ("Ⅻ", "Ⅻ"),
        ] {
            assert_eq!(
                read(json!({"run_type": raw})).run_type.as_deref(),
                Some(want),
                "{raw}"
            );
        }
    }

    #[test]
    fn a_mistyped_known_field_is_kept_raw_until_edited() {
        let mut r = read(json!({"session_id": "a", "duration_seconds": 12.5, "exit_code": "x"}));
        assert_eq!(r.duration_seconds, 0);
        let v = r.to_value();
        assert_eq!(v["duration_seconds"], json!(12.5));
        assert_eq!(v["exit_code"], json!("x"));
        r.duration_seconds = 30;
        let v = r.to_value();
        assert_eq!(v["duration_seconds"], json!(30));
        assert_eq!(v["exit_code"], json!("x"));
    }

    #[test]
    fn null_duration_reads_as_zero_and_missing_ids_are_generated() {
        let r = read(json!({"duration_seconds": null}));
        assert_eq!(r.duration_seconds, 0);
        assert_eq!(r.session_id.len(), 8);
        assert!(r.session_id.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!r.timestamp.is_empty());
    }

    #[test]
    fn hour_24_timestamps_are_repaired() {
        assert_eq!(
            read(json!({"timestamp": "2026-01-01T24:00:00"})).timestamp,
            "2026-01-01T23:59:59"
        );
        assert_eq!(
            read(json!({"timestamp": "2026-01-01T24:15:00"})).timestamp,
            "2026-01-01T23:15:00"
        );
        // As gptme-sessions: hour 24 without seconds is left alone, every occurrence
        // is repaired, and digits of any script count.
        for (raw, want) in [
            ("2026-01-01T24:30+00:00", "2026-01-01T24:30+00:00"),
            (
                "2026-01-01T24:00:00/2026-01-02T24:00:00",
                "2026-01-01T23:59:59/2026-01-02T23:59:59",
            ),
            ("2026-01-01T24:١٥:٠٠", "2026-01-01T23:١٥:٠٠"),
        ] {
            assert_eq!(read(json!({"timestamp": raw})).timestamp, want, "{raw}");
        }
    }

    #[test]
    fn non_objects_and_bad_utf8_are_not_records() {
        assert!(Record::from_line(b"[1,2]").is_none());
        assert!(Record::from_line(b"\"x\"").is_none());
        assert!(Record::from_line(b"{\"session_id\": \"a\xff\"}").is_none());
        assert!(Record::from_line(b"{\"session_id\": \"tru").is_none());
        assert!(Record::from_line(b"  {\"session_id\": \"ok\"}  \r").is_some());
    }

    #[test]
    fn alignment_grade_sets_legacy_and_multivariate_fields() {
        let mut r = Record::new();
        r.set_alignment_grade(0.75, Some("Shipped a fix.".into()), "m");
        let v = r.to_value();
        assert_eq!(v["llm_judge_score"], json!(0.75));
        assert_eq!(v["grades"]["alignment"], json!(0.75));
        assert_eq!(v["grade_reasons"]["alignment"], "Shipped a fix.");
        assert_eq!(v["llm_judge_model"], "m");
    }

    #[test]
    fn every_known_field_is_written() {
        let v = Record::new().to_value();
        for k in KNOWN_FIELDS {
            assert!(v.get(*k).is_some(), "{k} missing");
        }
    }
}
