//! The golden-file runner shared by every translation suite: locate the repository, compare
//! (or, with `UPDATE_EXPECT` set, bless) an expected file, list case files, pretty-print JSON.
#![allow(dead_code, reason = "each suite uses the helpers it needs")]

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The repository root.
pub fn root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Whether expected files are being re-blessed (`UPDATE_EXPECT=1`, `cargo xtask bless`).
pub fn updating() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some()
}

/// Compares `actual` with the file at `path`; with `UPDATE_EXPECT` set, writes it instead.
/// Returns a failure description naming the first differing line.
pub fn check_file(path: &Path, actual: &str) -> Option<String> {
    match fs::read_to_string(path) {
        Ok(expected) if expected == actual => None,
        _ if updating() => {
            fs::write(path, actual).expect("write golden file");
            None
        }
        Ok(expected) => {
            let line = expected
                .lines()
                .zip(actual.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(expected.lines().count().min(actual.lines().count()));
            Some(format!(
                "{}: differs from line {} (run with UPDATE_EXPECT=1 to bless)",
                path.display(),
                line + 1
            ))
        }
        Err(_) => Some(format!(
            "{}: missing (run with UPDATE_EXPECT=1 to bless)",
            path.display()
        )),
    }
}

/// Appends every file under `dir` (recursively) whose name ends with `suffix` to `out`.
pub fn files(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, suffix, out);
        } else if path.to_string_lossy().ends_with(suffix) {
            out.push(path);
        }
    }
}

/// [`files`], sorted.
pub fn sorted_files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    files(dir, suffix, &mut out);
    out.sort();
    out
}

/// Pretty JSON with a trailing newline, as the expected files store it.
pub fn pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("json");
    s.push('\n');
    s
}
