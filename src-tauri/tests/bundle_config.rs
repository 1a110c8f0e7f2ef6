//! Issue 19: the macOS (`.app`, `.dmg`) and Windows (`.msi`, NSIS) packages are
//! configured beside the Linux ones, although their bundlers cannot run on Linux. What
//! can be checked here is: the configuration is valid for Tauri itself (its own config
//! type, which refuses unknown keys), it names every target, and every file those
//! bundlers would take exists.

use std::path::Path;

use serde_json::Value;

const CONFIG: &str = include_str!("../tauri.conf.json");

fn config() -> Value {
    serde_json::from_str(CONFIG).expect("tauri.conf.json is JSON")
}

#[test]
fn the_configuration_is_valid_for_tauri_itself() {
    let parsed: Result<tauri::utils::config::Config, _> = serde_json::from_str(CONFIG);
    assert!(parsed.is_ok(), "{:?}", parsed.err());
}

#[test]
fn every_desktop_target_is_bundled() {
    let config = config();
    let targets: Vec<&str> = config["bundle"]["targets"]
        .as_array()
        .expect("a list of targets")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for want in ["deb", "rpm", "app", "dmg", "msi", "nsis"] {
        assert!(targets.contains(&want), "{want} missing from {targets:?}");
    }
    let bundle = &config["bundle"];
    assert!(bundle["macOS"]["dmg"].is_object(), "dmg settings");
    assert!(bundle["macOS"]["minimumSystemVersion"].is_string());
    assert!(bundle["windows"]["nsis"].is_object(), "NSIS settings");
    // An MSI upgrade code must never change between releases: it is how Windows
    // knows a new version replaces the installed one.
    assert_eq!(
        bundle["windows"]["wix"]["upgradeCode"],
        "6f3d2c8e-5b1a-4e7f-9c2d-1a8b7e4f3c60"
    );
}

#[test]
fn the_files_the_macos_and_windows_bundlers_take_exist() {
    let config = config();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bundle = &config["bundle"];
    let mut files: Vec<&str> = bundle["icon"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    files.extend(bundle["windows"]["nsis"]["installerIcon"].as_str());
    assert!(files.iter().any(|f| f.ends_with(".icns")), "a macOS icon");
    assert!(files.iter().any(|f| f.ends_with(".ico")), "a Windows icon");
    for f in files {
        let path = here.join(f);
        let len = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .len();
        assert!(len > 0, "{} is empty", path.display());
    }
}
