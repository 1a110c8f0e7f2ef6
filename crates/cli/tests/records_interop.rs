//! Runs tests/records_interop.py: the Python gptme-sessions lock protocol and
//! `sessionscope records` writing one store at the same time (4 writers × 10k records,
//! annotations from both tools during the appends, SIGKILL mid-write and mid-rewrite). Skipped, with a
//! message, where python3 is not installed.

use std::path::Path;
use std::process::Command;

#[test]
fn python_and_sessionscope_share_one_store_without_loss() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipping records interop test: python3 not found");
        return;
    }
    if cfg!(not(unix)) {
        eprintln!("skipping records interop test: it needs fcntl (Unix)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("python3")
        .arg(root.join("tests/records_interop.py"))
        .arg(env!("CARGO_BIN_EXE_sessionscope"))
        .current_dir(&root)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "interop failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("nothing lost or torn"), "{stdout}");
    assert!(
        stdout.contains("SIGKILL mid-write leaves a readable store"),
        "{stdout}"
    );
    assert!(stdout.contains("SIGKILL mid-rewrite"), "{stdout}");
}
