//! JSON as gptme-sessions reads and prints it: objects keep their keys in file order
//! (Python dicts do; `serde_json::Value` sorts them), and [`PyValue::dumps`] writes
//! what Python's `json.dumps` writes — `", "` and `": "` separators, `\uXXXX` for
//! every non-ASCII character, floats as `repr` spells them (`1.0`, `1e-05`, `1e+16`).
//! Scripts that parse the text output of `transcript` or `replay` see the same bytes.

use std::fmt::Write;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value whose objects keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    List(Vec<PyValue>),
    Dict(Vec<(String, PyValue)>),
}

impl PyValue {
    /// Parse one JSON text; `None` when it is not JSON.
    pub fn parse(text: &str) -> Option<PyValue> {
        serde_json::from_str(text).ok()
    }

    /// `d.get(key)` on an object (the last duplicate key wins, as in Python).
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(items) => items.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[PyValue]> {
        match self {
            PyValue::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn is_dict(&self) -> bool {
        matches!(self, PyValue::Dict(_))
    }

    /// Python truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            PyValue::Null => false,
            PyValue::Bool(b) => *b,
            PyValue::Int(i) => *i != 0,
            PyValue::Float(f) => *f != 0.0,
            PyValue::Str(s) => !s.is_empty(),
            PyValue::List(l) => !l.is_empty(),
            PyValue::Dict(d) => !d.is_empty(),
        }
    }

    /// `str(value)` for the scalar cases gptme-sessions applies it to.
    pub fn py_str(&self) -> String {
        match self {
            PyValue::Null => "None".into(),
            PyValue::Bool(true) => "True".into(),
            PyValue::Bool(false) => "False".into(),
            PyValue::Int(i) => i.to_string(),
            PyValue::Float(f) => float_repr(*f),
            PyValue::Str(s) => s.clone(),
            other => other.py_repr(),
        }
    }

    /// `repr()` of lists and dicts (single-quoted strings), used by `str(dict)`.
    fn py_repr(&self) -> String {
        match self {
            PyValue::Str(s) => {
                let q = if s.contains('\'') && !s.contains('"') {
                    '"'
                } else {
                    '\''
                };
                let mut out = String::from(q);
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if c == q => {
                            out.push('\\');
                            out.push(c);
                        }
                        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                            let _ = write!(out, "\\x{:02x}", c as u32);
                        }
                        c => out.push(c),
                    }
                }
                out.push(q);
                out
            }
            PyValue::List(l) => {
                let items: Vec<String> = l.iter().map(PyValue::py_repr).collect();
                format!("[{}]", items.join(", "))
            }
            PyValue::Dict(d) => {
                let items: Vec<String> = d
                    .iter()
                    .map(|(k, v)| format!("{}: {}", PyValue::Str(k.clone()).py_repr(), v.py_repr()))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            other => other.py_str(),
        }
    }

    /// `json.dumps(value)`: one line.
    pub fn dumps(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, None, 0, false);
        out
    }

    /// `json.dumps(value, indent=2, sort_keys=sort_keys)`.
    pub fn dumps_pretty(&self, sort_keys: bool) -> String {
        let mut out = String::new();
        self.write(&mut out, Some(2), 0, sort_keys);
        out
    }

    fn write(&self, out: &mut String, indent: Option<usize>, depth: usize, sort: bool) {
        let newline = |out: &mut String, depth: usize| {
            if let Some(n) = indent {
                out.push('\n');
                out.push_str(&" ".repeat(n * depth));
            }
        };
        let sep = if indent.is_some() { "," } else { ", " };
        match self {
            PyValue::Null => out.push_str("null"),
            PyValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            PyValue::Int(i) => {
                let _ = write!(out, "{i}");
            }
            PyValue::Float(f) => out.push_str(&json_float(*f)),
            PyValue::Str(s) => write_str(out, s),
            PyValue::List(l) => {
                if l.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    newline(out, depth + 1);
                    v.write(out, indent, depth + 1, sort);
                }
                newline(out, depth);
                out.push(']');
            }
            PyValue::Dict(d) => {
                if d.is_empty() {
                    out.push_str("{}");
                    return;
                }
                let mut items: Vec<&(String, PyValue)> = d.iter().collect();
                if sort {
                    items.sort_by(|a, b| a.0.cmp(&b.0));
                }
                out.push('{');
                for (i, (k, v)) in items.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    newline(out, depth + 1);
                    write_str(out, k);
                    out.push_str(": ");
                    v.write(out, indent, depth + 1, sort);
                }
                newline(out, depth);
                out.push('}');
            }
        }
    }
}

/// A JSON string as Python's `json.dumps` (`ensure_ascii=True`) writes it.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `float.__repr__`: the shortest digits that read back, in fixed notation
/// for exponents -4..16 and scientific (`1e-05`, `1.5e+16`) outside.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            let (a, b) = digits.split_at(point as usize);
            format!("{a}.{b}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
    }
}

/// `json.dumps` of a float: `repr`, with `NaN`/`Infinity` spelled the JSON way.
fn json_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        float_repr(f)
    }
}

impl<'de> Deserialize<'de> for PyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PyValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<PyValue, E> {
                Ok(PyValue::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<PyValue, E> {
                Ok(PyValue::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<PyValue, E> {
                Ok(PyValue::Int(i.into()))
            }
            fn visit_u64<E>(self, i: u64) -> Result<PyValue, E> {
                Ok(PyValue::Int(i.into()))
            }
            fn visit_f64<E>(self, f: f64) -> Result<PyValue, E> {
                Ok(PyValue::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<PyValue, E> {
                Ok(PyValue::Str(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<PyValue, E> {
                Ok(PyValue::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PyValue, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element()? {
                    items.push(v);
                }
                Ok(PyValue::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PyValue, A::Error> {
                let mut items: Vec<(String, PyValue)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, PyValue>()? {
                    // A repeated key keeps its first place and takes the last value.
                    match items.iter_mut().find(|(key, _)| *key == k) {
                        Some(slot) => slot.1 = v,
                        None => items.push((k, v)),
                    }
                }
                Ok(PyValue::Dict(items))
            }
        }
        d.deserialize_any(V)
    }
}

impl serde::Serialize for PyValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            PyValue::Null => s.serialize_unit(),
            PyValue::Bool(b) => s.serialize_bool(*b),
            PyValue::Int(i) => match i64::try_from(*i) {
                Ok(v) => s.serialize_i64(v),
                Err(_) => s.serialize_f64(*i as f64),
            },
            PyValue::Float(f) => s.serialize_f64(*f),
            PyValue::Str(v) => s.serialize_str(v),
            PyValue::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            PyValue::Dict(d) => {
                let mut m = s.serialize_map(Some(d.len()))?;
                for (k, v) in d {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python_repr() {
        for (f, want) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (-2.5e-7, "-2.5e-07"),
            (123.456, "123.456"),
        ] {
            assert_eq!(float_repr(f), want);
        }
    }

    #[test]
    fn dumps_keeps_key_order_and_escapes_like_python() {
        let v = PyValue::parse(r#"{"z": 1, "a": [true, null, 2.50], "é": "ü\n"}"#).unwrap();
        assert_eq!(
            v.dumps(),
            r#"{"z": 1, "a": [true, null, 2.5], "\u00e9": "\u00fc\n"}"#
        );
        assert_eq!(
            v.dumps_pretty(true),
            "{\n  \"a\": [\n    true,\n    null,\n    2.5\n  ],\n  \"z\": 1,\n  \"\\u00e9\": \"\\u00fc\\n\"\n}"
        );
    }
}
