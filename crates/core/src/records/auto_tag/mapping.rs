//! `--mapping-file`: a YAML mapping of `pattern: category`, read as PyYAML's
//! `safe_load` reads it (YAML 1.1 scalars: a plain `yes`, `off`, `12`, `1.5`, `~` or
//! `2026-01-01` is not a string, a quoted one is; a repeated key keeps its first place
//! and its last value), with gptme-sessions' messages for what it refuses.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use yaml_rust2::parser::{Event, EventReceiver, Parser};
use yaml_rust2::scanner::TScalarStyle;

use super::{AutoTagError, MappingRule};

/// Plain scalars PyYAML resolves to something other than a string (bool, int, float,
/// null, timestamp, merge key).
static NOT_A_STRING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
        r"|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?",
        r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        r"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+",
        r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
        r"|~|null|Null|NULL|<<|",
        r"|[0-9]{4}-[0-9]{2}-[0-9]{2}",
        r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?",
        r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$"
    ))
    .expect("a valid regex")
});

/// One node of the document, as far as a mapping of strings cares.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Str(String),
    /// Anything else; the text tells equal keys apart.
    Other(String),
}

#[derive(Default)]
struct Events(Vec<Event>);

impl EventReceiver for Events {
    fn on_event(&mut self, ev: Event) {
        self.0.push(ev);
    }
}

/// Reads one node starting at `events[*i]`, leaving `*i` after it.
fn node(events: &[Event], i: &mut usize) -> Node {
    let ev = events.get(*i).cloned().unwrap_or(Event::Nothing);
    *i += 1;
    match ev {
        Event::Scalar(v, style, _, tag) => {
            let is_str = match tag {
                Some(t) => t.suffix == "str" || t.suffix == "tag:yaml.org,2002:str",
                None => style != TScalarStyle::Plain || !NOT_A_STRING.is_match(&v),
            };
            if is_str {
                Node::Str(v)
            } else {
                Node::Other(format!("scalar:{v}"))
            }
        }
        Event::SequenceStart(..) | Event::MappingStart(..) => {
            // Skip to the matching end.
            let mut depth = 1;
            let start = *i;
            while depth > 0 && *i < events.len() {
                match events[*i] {
                    Event::SequenceStart(..) | Event::MappingStart(..) => depth += 1,
                    Event::SequenceEnd | Event::MappingEnd => depth -= 1,
                    _ => {}
                }
                *i += 1;
            }
            Node::Other(format!("collection@{start}"))
        }
        other => Node::Other(format!("{other:?}@{i}")),
    }
}

/// Load a mapping file. A document that is empty or null has no rules.
pub fn load_mapping(path: &Path) -> Result<Vec<MappingRule>, AutoTagError> {
    let shown = path.display();
    let read_err =
        |e: String| AutoTagError::Mapping(format!("Failed to read mapping file {shown}: {e}"));
    let bytes = std::fs::read(path).map_err(|e| read_err(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| read_err(e.to_string()))?;
    let parse_err = |e: String| {
        AutoTagError::Mapping(format!("Failed to parse YAML mapping file {shown}: {e}"))
    };
    let mut events = Events::default();
    Parser::new_from_str(&text)
        .load(&mut events, true)
        .map_err(|e| parse_err(e.to_string()))?;
    let events = events.0;
    let docs = events
        .iter()
        .filter(|e| matches!(e, Event::DocumentStart))
        .count();
    if docs > 1 {
        return Err(parse_err(
            "expected a single document in the stream, but found another document".into(),
        ));
    }
    let not_a_mapping = || {
        AutoTagError::Mapping(format!(
            "{shown} must contain a YAML mapping of 'pattern: category' entries."
        ))
    };
    let Some(mut i) = events
        .iter()
        .position(|e| matches!(e, Event::DocumentStart))
        .map(|p| p + 1)
    else {
        return Ok(Vec::new());
    };
    match events.get(i) {
        Some(Event::MappingStart(..)) => i += 1,
        Some(Event::Scalar(v, TScalarStyle::Plain, _, None))
            if matches!(v.as_str(), "" | "~" | "null" | "Null" | "NULL") =>
        {
            return Ok(Vec::new())
        }
        _ => return Err(not_a_mapping()),
    }
    // A dict: a repeated key keeps its place and takes the later value.
    let mut pairs: Vec<(Node, Node)> = Vec::new();
    while i < events.len() && !matches!(events[i], Event::MappingEnd) {
        let k = node(&events, &mut i);
        let v = node(&events, &mut i);
        match pairs.iter_mut().find(|(pk, _)| *pk == k) {
            Some(slot) => slot.1 = v,
            None => pairs.push((k, v)),
        }
    }
    let mut rules = Vec::new();
    for (k, v) in pairs {
        let Node::Str(raw) = k else {
            return Err(AutoTagError::Mapping(format!(
                "{shown} contains an empty or non-string pattern."
            )));
        };
        if raw.trim().is_empty() {
            return Err(AutoTagError::Mapping(format!(
                "{shown} contains an empty or non-string pattern."
            )));
        }
        let category = match &v {
            Node::Str(s) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                return Err(AutoTagError::Mapping(format!(
                    "{shown} maps pattern {} to an empty or non-string category.",
                    py_repr(&raw)
                )))
            }
        };
        rules.push(MappingRule {
            pattern: raw.trim().to_string(),
            category,
        });
    }
    Ok(rules)
}

/// Python's `repr` of a string, for messages.
fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}
