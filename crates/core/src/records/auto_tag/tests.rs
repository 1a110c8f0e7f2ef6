//! `auto-tag` rules, each checked against what gptme-sessions does.

use std::path::{Path, PathBuf};

use super::*;

fn rec(id: &str, ts: &str, category: Option<&str>, traj: Option<&str>) -> Record {
    Record {
        session_id: id.into(),
        timestamp: ts.into(),
        category: category.map(str::to_string),
        trajectory_path: traj.map(str::to_string),
        ..Record::default()
    }
}

fn rule(p: &str, c: &str) -> MappingRule {
    MappingRule {
        pattern: p.into(),
        category: c.into(),
    }
}

#[test]
fn targets_are_the_newest_untagged_records_unparseable_times_last() {
    let records = vec![
        rec("old", "2026-01-01T00:00:00Z", None, None),
        rec("tagged", "2026-06-01T00:00:00Z", Some("code"), None),
        rec("b-bad", "yesterday", Some("unknown"), None),
        rec("new", "2026-05-01T00:00:00+02:00", Some(""), None),
        rec("z-bad", "", None, None),
        rec("same", "2026-05-01T00:00:00+02:00", None, None),
    ];
    let ids = |idx: Vec<usize>| -> Vec<&str> {
        idx.iter()
            .map(|&i| records[i].session_id.as_str())
            .collect()
    };
    // Equal times keep store order; ids without a time sort descending, after.
    assert_eq!(
        ids(select_targets(&records, 10, false)),
        ["new", "same", "old", "z-bad", "b-bad"]
    );
    assert_eq!(ids(select_targets(&records, 2, false)), ["new", "same"]);
    assert_eq!(
        ids(select_targets(&records, 3, true)),
        ["tagged", "new", "same"]
    );
}

#[test]
fn fnmatch_follows_python() {
    assert!(fnmatch("/home/u/lessons/x.md", "*/lessons/*"));
    assert!(fnmatch("a/b/c", "a*c"), "* crosses slashes");
    assert!(!fnmatch("xa/b/c", "a*c"), "the whole name must match");
    assert!(fnmatch("abc", "a?c"));
    assert!(!fnmatch("ac", "a?c"));
    assert!(fnmatch("a1", "a[0-9]"));
    assert!(!fnmatch("ax", "a[0-9]"));
    assert!(fnmatch("ax", "a[!0-9]"));
    assert!(fnmatch("a]", "a[]]"));
    assert!(fnmatch("a[b", "a[b"), "an unclosed [ is literal");
    assert!(fnmatch("", "*"));
    assert!(fnmatch("ünï/ç", "ü*ç"));
    assert!(!fnmatch("b", "a[z-a]"), "a reversed range matches nothing");
}

#[test]
fn the_first_rule_matching_any_candidate_wins_case_insensitively() {
    let rules = vec![
        rule("Infra/", "infrastructure"),
        rule("*/LESSONS/*.md", "knowledge"),
    ];
    assert_eq!(
        match_override(&rules, &["/Work/infra/deploy.sh"]).map(|r| &r.category[..]),
        Some("infrastructure")
    );
    assert_eq!(
        match_override(&rules, &["", "/w/lessons/a.md"]).map(|r| &r.pattern[..]),
        Some("*/LESSONS/*.md")
    );
    assert_eq!(match_override(&rules, &["lessons/a.md"]), None);
    assert_eq!(match_override(&[], &["x"]), None);
}

fn mapping(text: &str) -> Result<Vec<MappingRule>, String> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.yaml");
    std::fs::write(&p, text).unwrap();
    load_mapping(&p).map_err(|e| e.to_string().replace(&p.display().to_string(), "M"))
}

#[test]
fn mapping_files_are_read_like_pyyaml_safe_load() {
    assert_eq!(
        mapping("# rules\n' lessons/ ': knowledge \n\"*.sh\": infrastructure\n").unwrap(),
        [
            rule("lessons/", "knowledge"),
            rule("*.sh", "infrastructure")
        ]
    );
    assert_eq!(mapping("").unwrap(), []);
    assert_eq!(mapping("~\n").unwrap(), []);
    assert_eq!(mapping("{a: b}").unwrap(), [rule("a", "b")]);
    assert_eq!(
        mapping("- a\n- b\n").unwrap_err(),
        "M must contain a YAML mapping of 'pattern: category' entries."
    );
    assert_eq!(
        mapping("12: code\n").unwrap_err(),
        "M contains an empty or non-string pattern."
    );
    assert_eq!(
        mapping("'  ': code\n").unwrap_err(),
        "M contains an empty or non-string pattern."
    );
    assert_eq!(
        mapping("x/: 3\n").unwrap_err(),
        "M maps pattern 'x/' to an empty or non-string category."
    );
    assert_eq!(
        mapping("\"it's\": ''\n").unwrap_err(),
        "M maps pattern \"it's\" to an empty or non-string category."
    );
    assert!(mapping("a: [b\n")
        .unwrap_err()
        .starts_with("Failed to parse YAML mapping file M: "));
    assert!(mapping("a: b\n---\nc: d\n")
        .unwrap_err()
        .starts_with("Failed to parse YAML mapping file M: "));
    // YAML 1.1, as PyYAML: plain yes/off/12/1.5/~/dates are not strings, quoted ones are.
    assert_eq!(
        mapping("yes: code\n").unwrap_err(),
        "M contains an empty or non-string pattern."
    );
    assert_eq!(
        mapping("a: off\n").unwrap_err(),
        "M maps pattern 'a' to an empty or non-string category."
    );
    for plain in [
        "1.5",
        "0x1f",
        "~",
        "null",
        "2026-01-01",
        "1_000",
        "[x]",
        "{x: y}",
    ] {
        assert_eq!(
            mapping(&format!("a: {plain}\n")).unwrap_err(),
            "M maps pattern 'a' to an empty or non-string category.",
            "{plain}"
        );
    }
    assert_eq!(
        mapping("'yes': '12'\n\"2026-01-01\": !!str off\n").unwrap(),
        [rule("yes", "12"), rule("2026-01-01", "off")]
    );
    // A repeated key keeps its first place and its last value.
    assert_eq!(
        mapping("a: 3\nd: e\na: c\n").unwrap(),
        [rule("a", "c"), rule("d", "e")]
    );
    assert_eq!(
        mapping("\u{ff}: \u{e9}\n").unwrap(),
        [rule("\u{ff}", "\u{e9}")]
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bin.yaml"), b"a: \xff\n").unwrap();
    assert!(load_mapping(&dir.path().join("bin.yaml"))
        .unwrap_err()
        .to_string()
        .starts_with("Failed to read mapping file "));
    let err = load_mapping(Path::new("/nonexistent/m.yaml")).unwrap_err();
    assert!(err
        .to_string()
        .starts_with("Failed to read mapping file /nonexistent/m.yaml: "));
}

/// A store in a temp folder with `records`, and trajectory files for the ids in
/// `trajectories` (their path is the record's `trajectory_path`).
fn store_with(records: &[Record]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("store"));
    for r in records {
        store.append(r).unwrap();
    }
    (dir, store)
}

fn traj(dir: &Path, name: &str) -> String {
    let p: PathBuf = dir.join(name);
    std::fs::write(&p, "{}\n").unwrap();
    p.display().to_string()
}

/// An extractor answering by file name: `code*` → code, `none*` → nothing,
/// `bad*` → an error; every one wrote `/w/scripts/x.sh`.
fn by_name(p: &Path) -> Result<Extracted, String> {
    let name = p.file_name().unwrap().to_string_lossy().to_string();
    if name.starts_with("bad") {
        return Err("not a transcript".into());
    }
    Ok(Extracted {
        inferred_category: name.starts_with("code").then(|| "code".to_string()),
        file_writes: vec!["/w/scripts/x.sh".into()],
        journal_paths: vec![],
    })
}

fn statuses(out: &Outcome) -> Vec<(String, &'static str, Option<String>)> {
    let Outcome::Rows(rows) = out else {
        panic!("{out:?}")
    };
    rows.iter()
        .map(|r| {
            (
                r.session_id.clone(),
                r.status.as_str(),
                r.reason.clone().or(r.source.clone()),
            )
        })
        .collect()
}

#[test]
fn every_skip_reason_and_an_update_that_reaches_the_store() {
    let t = tempfile::tempdir().unwrap();
    let records = vec![
        rec(
            "a-code",
            "2026-05-06T00:00:00Z",
            None,
            Some(&traj(t.path(), "code1")),
        ),
        rec(
            "b-none",
            "2026-05-05T00:00:00Z",
            None,
            Some(&traj(t.path(), "none1")),
        ),
        rec(
            "c-bad",
            "2026-05-04T00:00:00Z",
            None,
            Some(&traj(t.path(), "bad1")),
        ),
        rec(
            "d-gone",
            "2026-05-03T00:00:00Z",
            None,
            Some("/nonexistent/x.jsonl"),
        ),
        rec("e-notraj", "2026-05-02T00:00:00Z", Some("unknown"), None),
        rec(
            "f-same",
            "2026-05-01T00:00:00Z",
            Some("code"),
            Some(&traj(t.path(), "code2")),
        ),
    ];
    let (_d, store) = store_with(&records);
    let opts = Options {
        limit: 10,
        retag_all: true,
        ..Options::default()
    };
    let out = auto_tag(&store, &opts, &by_name).unwrap();
    let sig = Some("signals".to_string());
    assert_eq!(
        statuses(&out),
        [
            ("a-code".into(), "updated", sig.clone()),
            (
                "b-none".into(),
                "skipped",
                Some("no category inferred".into())
            ),
            (
                "c-bad".into(),
                "skipped",
                Some("signal extraction failed: not a transcript".into())
            ),
            (
                "d-gone".into(),
                "skipped",
                Some("trajectory_path does not exist".into())
            ),
            (
                "e-notraj".into(),
                "skipped",
                Some("missing trajectory_path".into())
            ),
            ("f-same".into(), "unchanged", sig),
        ]
    );
    let after = store.load().unwrap().records;
    assert_eq!(after[0].category.as_deref(), Some("code"));
    assert_eq!(after[1..], records[1..], "only a-code changed");
    let Outcome::Rows(rows) = &out else { panic!() };
    assert_eq!(
        render_text(rows, false),
        "a-code        updated      ?              -> code            [signals]\n\
         b-none        skipped      no category inferred\n\
         c-bad         skipped      signal extraction failed: not a transcript\n\
         d-gone        skipped      trajectory_path does not exist\n\
         e-notraj      skipped      missing trajectory_path\n\
         f-same        unchanged    code           -> code            [signals]\n\
         \nTagged 1 record(s); 1 unchanged; 4 skipped.\n"
    );
}

#[test]
fn a_mapping_overrides_the_inference_and_dry_run_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let records = vec![rec(
        "a",
        "2026-05-06T00:00:00Z",
        None,
        Some(&traj(t.path(), "none1")),
    )];
    let (_d, store) = store_with(&records);
    let before = store.read_bytes().unwrap();
    let mapping = t.path().join("m.yaml");
    std::fs::write(&mapping, "nothing-matches: x\nSCRIPTS/: infrastructure\n").unwrap();
    let opts = Options {
        limit: 10,
        dry_run: true,
        mapping_file: Some(mapping),
        ..Options::default()
    };
    let out = auto_tag(&store, &opts, &by_name).unwrap();
    assert_eq!(
        statuses(&out),
        [(
            "a".into(),
            "would-update",
            Some("mapping:SCRIPTS/".to_string())
        )]
    );
    assert_eq!(store.read_bytes().unwrap(), before);
    let Outcome::Rows(rows) = &out else { panic!() };
    assert!(render_text(rows, true).ends_with("\nWould tag 1 record(s); 0 unchanged; 0 skipped.\n"));
    assert_eq!(
        to_py(rows).dumps(),
        format!(
            "[{{\"session_id\": \"a\", \"previous_category\": null, \"trajectory_path\": \"{}\", \
             \"category\": \"infrastructure\", \"source\": \"mapping:SCRIPTS/\", \"status\": \
             \"would-update\"}}]",
            // As JSON writes it (`\\` between the parts of a Windows path).
            serde_json::to_string(records[0].trajectory_path.as_deref().unwrap())
                .unwrap()
                .trim_matches('"')
        )
    );
}

#[test]
fn a_bad_mapping_file_matters_only_once_a_record_is_selected() {
    let (_d, store) = store_with(&[rec("a", "", Some("code"), None)]);
    let opts = Options {
        limit: 10,
        mapping_file: Some(PathBuf::from("/nonexistent/m.yaml")),
        ..Options::default()
    };
    assert_eq!(
        auto_tag(&store, &opts, &by_name).unwrap(),
        Outcome::NoTargets { retag_all: false }
    );
    let opts = Options {
        retag_all: true,
        ..opts
    };
    let err = auto_tag(&store, &opts, &by_name).unwrap_err();
    assert!(matches!(err, AutoTagError::Mapping(_)), "{err}");
}

#[test]
fn nothing_to_do_is_said_so() {
    let (_d, store) = store_with(&[]);
    let opts = Options {
        limit: 10,
        ..Options::default()
    };
    assert_eq!(
        auto_tag(&store, &opts, &by_name).unwrap(),
        Outcome::NoRecords
    );
    let (_d, store) = store_with(&[rec("a", "", Some("code"), None)]);
    assert_eq!(
        auto_tag(&store, &opts, &by_name).unwrap(),
        Outcome::NoTargets { retag_all: false }
    );
}

#[test]
fn writes_by_another_program_while_tagging_are_kept() {
    let t = tempfile::tempdir().unwrap();
    let records = vec![
        rec(
            "a",
            "2026-05-06T00:00:00Z",
            None,
            Some(&traj(t.path(), "code1")),
        ),
        rec(
            "b",
            "2026-05-05T00:00:00Z",
            None,
            Some(&traj(t.path(), "code2")),
        ),
    ];
    let (_d, store) = store_with(&records);
    let other = Store::new(store.dir());
    // While the trajectories are read, another writer tags `b` by hand, adds a note to
    // `a` and appends a new record.
    let extract = |p: &Path| {
        if p.ends_with("code1") {
            other
                .modify(|rs| {
                    rs[1].category = Some("triage".into());
                    rs[0].project = Some("by hand".into());
                    Ok(())
                })
                .unwrap();
            other
                .append(&rec("c", "2026-05-07T00:00:00Z", None, None))
                .unwrap();
        }
        by_name(p)
    };
    let opts = Options {
        limit: 10,
        ..Options::default()
    };
    let out = auto_tag(&store, &opts, &extract).unwrap();
    let st = statuses(&out);
    assert_eq!(st[0].1, "updated");
    assert_eq!(st[1].1, "skipped", "b was tagged by the other writer");
    let after = store.load().unwrap().records;
    let got: Vec<_> = after
        .iter()
        .map(|r| {
            (
                r.session_id.as_str(),
                r.category.as_deref(),
                r.project.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a", Some("code"), Some("by hand")),
            ("b", Some("triage"), None),
            ("c", None, None)
        ]
    );
}

#[test]
fn of_two_records_with_one_id_the_selected_one_is_tagged() {
    let t = tempfile::tempdir().unwrap();
    let records = vec![
        rec("dup", "2026-05-01T00:00:00Z", Some("triage"), None),
        rec("other", "2026-05-02T00:00:00Z", Some("code"), None),
        rec(
            "dup",
            "2026-05-03T00:00:00Z",
            None,
            Some(&traj(t.path(), "code1")),
        ),
    ];
    let (_d, store) = store_with(&records);
    let opts = Options {
        limit: 10,
        ..Options::default()
    };
    let out = auto_tag(&store, &opts, &by_name).unwrap();
    assert_eq!(
        statuses(&out),
        [("dup".into(), "updated", Some("signals".into()))]
    );
    let cats: Vec<_> = store
        .load()
        .unwrap()
        .records
        .iter()
        .map(|r| r.category.clone())
        .collect();
    assert_eq!(
        cats,
        [
            Some("triage".into()),
            Some("code".into()),
            Some("code".into())
        ]
    );
}
