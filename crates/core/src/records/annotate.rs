//! `annotate`: amend fields of one record, found by id or unique prefix, under the
//! store lock for the whole find → edit → write cycle (so a concurrent append or
//! rewrite is never lost). Only the fields given change; deliverables are added, never
//! removed, as in gptme-sessions.

use serde_json::Value;

use super::lookup::{find_by_prefix, LookupError};
use super::record::{normalize_run_type, Record};
use super::store::{Store, StoreError};

/// The changes to make; `None` / empty leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotation {
    pub model: Option<String>,
    pub harness: Option<String>,
    pub run_type: Option<String>,
    pub category: Option<String>,
    pub outcome: Option<String>,
    pub duration_seconds: Option<i64>,
    pub journal_path: Option<String>,
    pub selector_mode: Option<String>,
    pub trigger: Option<String>,
    pub token_count: Option<i64>,
    pub recommended_category: Option<String>,
    pub add_deliverables: Vec<String>,
    /// Free text kept under the `notes` key (a key gptme-sessions keeps but does not type).
    pub notes: Option<String>,
}

impl Annotation {
    pub fn is_empty(&self) -> bool {
        *self == Annotation::default()
    }

    /// Apply to one record.
    pub fn apply(&self, r: &mut Record) {
        let set = |slot: &mut Option<String>, v: &Option<String>| {
            if let Some(v) = v {
                *slot = Some(v.clone());
            }
        };
        set(&mut r.model, &self.model);
        set(&mut r.harness, &self.harness);
        if let Some(v) = &self.run_type {
            r.run_type = Some(normalize_run_type(v).map_or_else(|| v.clone(), str::to_string));
        }
        set(&mut r.category, &self.category);
        set(&mut r.outcome, &self.outcome);
        if let Some(d) = self.duration_seconds {
            r.duration_seconds = d;
        }
        set(&mut r.journal_path, &self.journal_path);
        set(&mut r.selector_mode, &self.selector_mode);
        set(&mut r.trigger, &self.trigger);
        if let Some(t) = self.token_count {
            r.token_count = Some(t);
        }
        set(&mut r.recommended_category, &self.recommended_category);
        for d in &self.add_deliverables {
            if !r.deliverables.contains(d) {
                r.deliverables.push(d.clone());
            }
        }
        if let Some(n) = &self.notes {
            r.extra.insert("notes".into(), Value::from(n.clone()));
        }
    }
}

/// Why an annotation was not made.
#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    #[error("No fields specified. Provide at least one option to update (e.g. --model, --outcome, --add-deliverable).")]
    Nothing,
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Amend the record `id_or_prefix` designates; returns it as written.
pub fn annotate(
    store: &Store,
    id_or_prefix: &str,
    a: &Annotation,
) -> Result<Record, AnnotateError> {
    if a.is_empty() {
        return Err(AnnotateError::Nothing);
    }
    let found = store.modify(|records| {
        Ok(find_by_prefix(records, id_or_prefix).map(|i| {
            a.apply(&mut records[i]);
            records[i].clone()
        }))
    })?;
    Ok(found?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_given_fields_change_and_deliverables_accumulate() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::new(d.path());
        let mut r = Record::new();
        r.session_id = "abcd0001".into();
        r.deliverables = vec!["x".into()];
        r.category = Some("code".into());
        store.append(&r).unwrap();
        let a = Annotation {
            outcome: Some("productive".into()),
            run_type: Some("42".into()),
            add_deliverables: vec!["x".into(), "y".into()],
            notes: Some("checked by hand".into()),
            ..Annotation::default()
        };
        let out = annotate(&store, "abcd", &a).unwrap();
        assert_eq!(out.outcome.as_deref(), Some("productive"));
        assert_eq!(out.run_type.as_deref(), Some("autonomous"));
        assert_eq!(out.category.as_deref(), Some("code"));
        assert_eq!(out.deliverables, ["x", "y"]);
        assert_eq!(store.load().unwrap().records[0], out);
        assert_eq!(out.to_value()["notes"], "checked by hand");
        assert!(matches!(
            annotate(&store, "abcd", &Annotation::default()),
            Err(AnnotateError::Nothing)
        ));
        assert!(matches!(
            annotate(&store, "zz", &a),
            Err(AnnotateError::Lookup(_))
        ));
    }
}
