//! `sessionscope records …` against the real gptme-sessions' outputs.
//!
//! tests/golden/gptme-sessions/ holds, for each case of its `cases.tsv`, what the
//! Python tool (run from its source by `make.sh` there, not in CI) printed and how it
//! left the store. Each case runs here on a fresh copy of the same fixture, with the
//! same HOME (and the work folder's bin/ first on PATH), and must give the same exit status
//! (0, 1 or 2), the same stdout (JSON compared as
//! values, text byte for byte) and the same records in the store. A fixture with a
//! `dated` file has logs dated relative to today (its setup.sh); their dates are
//! compared as the days before today they are (`undate`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn golden() -> PathBuf {
    root().join("tests/golden/gptme-sessions")
}

struct Case {
    name: String,
    fixture: String,
    args: Vec<String>,
}

fn cases() -> Vec<Case> {
    std::fs::read_to_string(golden().join("cases.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut cols = l.split('\t').map(str::to_string);
            Case {
                name: cols.next().unwrap(),
                fixture: cols.next().unwrap(),
                args: cols.collect(),
            }
        })
        .collect()
}

/// Put the agents' fixture logs where a case's layout.tsv says (see make.sh).
fn place_layout(fixture: &Path, home: &Path) {
    let Ok(layout) = std::fs::read_to_string(fixture.join("layout.tsv")) else {
        return;
    };
    for line in layout
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (from, to) = line.split_once('\t').unwrap();
        copy_dir(&root().join("tests/fixtures").join(from), &home.join(to));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Records of a store by id as a reader sees them (a key that is absent, null, empty or
/// at its default reads the same; Python writes every default, Sessionscope leaves an
/// untouched line as it was), and its lines that are not records.
fn store_contents(text: &str) -> (BTreeMap<String, Value>, Vec<String>) {
    let mut records = BTreeMap::new();
    let mut other = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(mut m)) => {
                m.retain(|k, v| {
                    let default = match v {
                        Value::Null => true,
                        Value::Number(n) => k == "duration_seconds" && n.as_f64() == Some(0.0),
                        Value::Array(a) => a.is_empty(),
                        Value::Object(o) => o.is_empty(),
                        Value::String(s) => {
                            s == "unknown"
                                && ["harness", "model", "run_type", "outcome"].contains(&k.as_str())
                        }
                        _ => false,
                    };
                    // Python reads a harm category outside its labels as unset;
                    // Sessionscope keeps the value in the file (record.rs).
                    let unknown_harm = k == "harm_category"
                        && !v.as_str().is_some_and(|h| {
                            sessionscope_core::records::record::HARM_CATEGORY_LABELS.contains(&h)
                        });
                    !default && !unknown_harm
                });
                let id = m["session_id"].as_str().unwrap().to_string();
                records.insert(id, Value::Object(m));
            }
            _ => other.push(line.to_string()),
        }
    }
    other.sort();
    (records, other)
}

/// What make.sh does to the outputs of a fixture dated relative to today: a date N
/// days ago becomes @D-N@, a Codex YYYY/MM/DD folder of that day @P-N@.
fn undate(text: &str) -> String {
    let today = chrono::Utc::now().date_naive();
    let mut out = text.to_string();
    for n in 0..=60u64 {
        let d = today - chrono::Days::new(n);
        out = out
            .replace(&d.format("%Y-%m-%d").to_string(), &format!("@D-{n}@"))
            .replace(&d.format("%Y/%m/%d").to_string(), &format!("@P-{n}@"));
    }
    out
}

/// `append` names the random id it gave the record: written `<id>` on both sides.
fn unid(text: &str) -> String {
    const SAID: &str = "Appended session ";
    text.lines()
        .map(
            |l| match l.strip_prefix(SAID).and_then(|rest| rest.split_once(' ')) {
                Some((_, rest)) => format!("{SAID}<id> {rest}"),
                None => l.to_string(),
            },
        )
        .map(|l| l + "\n")
        .collect()
}

/// PATH with the work folder's bin/ (a fixture's stand-in programs) first.
fn path_with_bin(work: &Path) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(work.join("bin")).chain(std::env::split_paths(&rest));
    std::env::join_paths(dirs).unwrap()
}

#[test]
fn every_case_matches_the_real_gptme_sessions() {
    // The expected outputs are the Python tool's on Linux (Unix paths in them), and
    // some fixtures are set up by bash scripts.
    if cfg!(not(unix)) {
        eprintln!("SKIP: golden outputs recorded on Linux");
        return;
    }
    let fixtures = root().join("tests/fixtures/records");
    let mut failures = Vec::new();
    let all = cases();
    assert!(!all.is_empty());
    for case in &all {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&store).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let mut original = String::new();
        if case.fixture != "empty" {
            let from = fixtures.join(&case.fixture);
            if from.join("session-records.jsonl").exists() {
                std::fs::copy(
                    from.join("session-records.jsonl"),
                    store.join("session-records.jsonl"),
                )
                .unwrap();
                original = std::fs::read_to_string(from.join("session-records.jsonl")).unwrap();
            }
            if from.join("home").is_dir() {
                copy_dir(&from.join("home"), &home);
            }
            place_layout(&from, &home);
            if from.join("setup.sh").exists() {
                let ok = Command::new("bash")
                    .arg(from.join("setup.sh"))
                    .current_dir(dir.path())
                    .status()
                    .unwrap();
                assert!(ok.success(), "{}: setup.sh failed", case.name);
                // The store as the case starts: a setup.sh may write it.
                original = std::fs::read_to_string(store.join("session-records.jsonl"))
                    .unwrap_or_default();
            }
        }
        let cwd = match std::fs::read_to_string(fixtures.join(&case.fixture).join("cwd")) {
            Ok(sub) => dir.path().join(sub.trim()),
            Err(_) => dir.path().to_path_buf(),
        };
        let out = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
            .arg("records")
            .arg("--sessions-dir")
            .arg(&store)
            .args(&case.args)
            .current_dir(&cwd)
            .env_clear()
            .env("HOME", &home)
            .env("TZ", "UTC")
            .env("PATH", path_with_bin(dir.path()))
            .output()
            .unwrap();
        let expected_dir = golden().join(&case.name);
        let read = |f: &str| std::fs::read_to_string(expected_dir.join(f)).unwrap();
        // The same status: 0, 1 (an error) or 2 (a usage error: a bad value, flags that
        // exclude each other, a path that is not there).
        let want_code: i32 = read("exit").trim().parse().unwrap();
        if out.status.code() != Some(want_code) {
            failures.push(format!(
                "{}: exit {:?}, want {}; stderr: {}",
                case.name,
                out.status.code(),
                read("exit").trim(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        // Paths under the work folder print as @WORK@ in the golden files, dates
        // relative to today as make.sh writes them, and the command that is named
        // in advice by its gptme-sessions name.
        let work = dir.path().to_string_lossy().to_string();
        let dated = fixtures.join(&case.fixture).join("dated").exists();
        let normalize = |text: &str| {
            let text = text.replace(&work, "@WORK@");
            if dated {
                undate(&text)
            } else {
                text
            }
        };
        let mut got = normalize(&String::from_utf8_lossy(&out.stdout))
            .replace("'sessionscope records ", "'gptme-sessions ");
        let mut want = read("stdout");
        if case.args.first().map(String::as_str) == Some("append") {
            (got, want) = (unid(&got), unid(&want));
        }
        let same = match (
            serde_json::from_str::<Value>(&got),
            serde_json::from_str::<Value>(&want),
        ) {
            (Ok(g), Ok(w)) => g == w,
            _ => got == want,
        };
        if !same {
            failures.push(format!(
                "{}: stdout differs\n--- got\n{got}\n--- want\n{want}",
                case.name
            ));
        }
        // Warnings on stderr are part of what scripts see; the rest of stderr (error
        // wording, Python tracebacks) is not compared.
        let warnings = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| l.starts_with("warning:"))
                .map(normalize)
                .collect()
        };
        let (got_w, want_w) = (
            warnings(&String::from_utf8_lossy(&out.stderr)),
            warnings(&read("stderr")),
        );
        if got_w != want_w {
            failures.push(format!(
                "{}: warnings differ: got {got_w:?}, want {want_w:?}",
                case.name
            ));
        }
        let after =
            std::fs::read_to_string(store.join("session-records.jsonl")).unwrap_or_default();
        let want_store = expected_dir.join("store.jsonl");
        if want_store.exists() {
            let (mut got_r, got_o) = store_contents(&after);
            let (mut want_r, want_o) = store_contents(&read("store.jsonl"));
            let command = case.args.first().map(String::as_str);
            if command == Some("append") {
                // append gives the record a random id: the one not in the fixture.
                let (before, _) = store_contents(&original);
                for records in [&mut got_r, &mut want_r] {
                    let new: Vec<String> = records
                        .keys()
                        .filter(|id| !before.contains_key(*id))
                        .cloned()
                        .collect();
                    for (i, id) in new.into_iter().enumerate() {
                        let mut r = records.remove(&id).unwrap();
                        r["session_id"] = Value::String(format!("<new {i}>"));
                        records.insert(format!("<new {i}>"), r);
                    }
                }
            }
            if matches!(command, Some("post-session" | "append")) {
                // Both date the record at the time they run.
                for r in got_r.values_mut().chain(want_r.values_mut()) {
                    for k in ["timestamp", "start_time", "end_time"] {
                        if let Some(v) = r.get_mut(k) {
                            *v = Value::String("<now>".into());
                        }
                    }
                }
            }
            for (id, w) in &want_r {
                if got_r.get(id) != Some(w) {
                    failures.push(format!(
                        "{}: record {id} differs\n--- got\n{}\n--- want\n{w}",
                        case.name,
                        got_r.get(id).map(Value::to_string).unwrap_or_default()
                    ));
                }
            }
            if got_r.len() != want_r.len() || got_o != want_o {
                failures.push(format!(
                    "{}: store holds {} records and {:?}, want {} and {:?}",
                    case.name,
                    got_r.len(),
                    got_o,
                    want_r.len(),
                    want_o
                ));
            }
        } else if after != original {
            failures.push(format!(
                "{}: the store changed, want it unchanged",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
