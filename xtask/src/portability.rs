//! The portability check of `cargo xtask test`: the test suite must build on Windows and macOS
//! too (the GitHub workflow runs it there), so a Unix-only API (`libc::`, `std::os::unix`, …)
//! may appear in `src-tauri/` and `tests/` only inside a `#[cfg(unix)]` / `#[cfg(target_os =
//! …)]` scope: a file that starts with such an inner attribute, or an item (function, module,
//! `use`, statement) under such an attribute.
//!
//! It reads Rust source the way a careful grep would: strings, character literals and comments
//! are skipped, braces are counted, and a `cfg` attribute gates the item that follows it (up to
//! its `;`, or its whole `{ … }` block). `cfg!(unix)` in an `if` is not a gate: the other branch
//! still has to compile everywhere.

use std::path::{Path, PathBuf};

/// What no portable code may name.
const UNIX_ONLY: &[&str] = &[
    "libc::",
    "std::os::unix",
    "std::os::fd",
    "nix::",
    "process_group(",
];

/// One use outside a gate: the line (1-based) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub line: usize,
    pub text: String,
}

/// Whether an attribute's text (`cfg(…)`) limits the item to Unix or named systems. `not(…)`
/// turns it into the opposite, which is no gate for Unix APIs.
fn gates_unix(attribute: &str) -> bool {
    let attribute: String = attribute.chars().filter(|c| !c.is_whitespace()).collect();
    attribute.starts_with("cfg(")
        && !attribute.starts_with("cfg(not(")
        && (attribute.contains("unix") || attribute.contains("target_os="))
        && !attribute.contains("windows")
}

/// Whether `text` starts at `chars[i]`.
fn at(chars: &[char], i: usize, text: &str) -> bool {
    text.chars()
        .enumerate()
        .all(|(k, expected)| chars.get(i + k) == Some(&expected))
}

/// The uses of Unix-only APIs in `source` that no `cfg` gate covers.
pub fn ungated_uses(source: &str) -> Vec<Finding> {
    let chars: Vec<char> = source.chars().collect();
    let mut findings = Vec::new();
    let mut line = 1;
    let mut depth = 0usize;
    // Depths at which a gated block was opened.
    let mut gated: Vec<usize> = Vec::new();
    // A gate attribute was read; it applies to the next item.
    let mut pending = false;
    let mut file_gated = false;
    let mut seen_code = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
            continue;
        }
        if at(&chars, i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if at(&chars, i, "/*") {
            i += 2;
            while i < chars.len() && !at(&chars, i, "*/") {
                if chars[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 2;
            continue;
        }
        if c == '"' || (c == 'r' && matches!(chars.get(i + 1), Some('"') | Some('#'))) {
            // A string literal (raw strings with their hashes), skipped whole.
            let mut hashes = 0;
            let raw = c == 'r';
            if raw {
                i += 1;
                while chars.get(i) == Some(&'#') {
                    hashes += 1;
                    i += 1;
                }
                if chars.get(i) != Some(&'"') {
                    continue;
                }
            }
            i += 1;
            while i < chars.len() {
                match chars[i] {
                    '\\' if !raw => i += 2,
                    '"' => {
                        let closing = (1..=hashes).all(|k| chars.get(i + k) == Some(&'#'));
                        i += 1;
                        if closing {
                            i += hashes;
                            break;
                        }
                    }
                    '\n' => {
                        line += 1;
                        i += 1;
                    }
                    _ => i += 1,
                }
            }
            continue;
        }
        if c == '\'' {
            // A character literal ('x', '\n', '\''), or a lifetime ('a), which is left alone.
            if chars.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                continue;
            }
            if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                continue;
            }
            i += 1;
            continue;
        }
        if at(&chars, i, "#!") || at(&chars, i, "#[") {
            let inner = at(&chars, i, "#!");
            let start = i + if inner { 3 } else { 2 };
            let mut level = 0;
            let mut j = start;
            while j < chars.len() {
                match chars[j] {
                    '[' | '(' => level += 1,
                    ')' => level -= 1,
                    ']' if level == 0 => break,
                    ']' => level -= 1,
                    _ => {}
                }
                j += 1;
            }
            let attribute: String = chars[start..j.min(chars.len())].iter().collect();
            if gates_unix(&attribute) {
                if inner && depth == 0 && !seen_code {
                    file_gated = true;
                } else if !inner {
                    pending = true;
                }
            }
            line += chars[i..j.min(chars.len())]
                .iter()
                .filter(|&&ch| ch == '\n')
                .count();
            i = j + 1;
            continue;
        }
        if !c.is_whitespace() {
            seen_code = true;
        }
        match c {
            '{' => {
                depth += 1;
                if pending {
                    gated.push(depth);
                    pending = false;
                }
            }
            '}' => {
                if gated.last() == Some(&depth) {
                    gated.pop();
                }
                depth = depth.saturating_sub(1);
            }
            ';' => pending = false,
            _ => {}
        }
        if !file_gated && !pending && gated.is_empty() {
            if let Some(api) = UNIX_ONLY.iter().find(|api| at(&chars, i, api)) {
                let text = source.lines().nth(line - 1).unwrap_or_default().trim();
                findings.push(Finding {
                    line,
                    text: text.to_owned(),
                });
                i += api.len();
                continue;
            }
        }
        i += 1;
    }
    findings
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Checks every `.rs` file under `roots`; returns the files scanned and every finding.
pub fn check(roots: &[&Path]) -> (usize, Vec<(PathBuf, Finding)>) {
    let mut files = Vec::new();
    for root in roots {
        rust_files(root, &mut files);
    }
    files.sort();
    let mut found = Vec::new();
    for file in &files {
        let Ok(source) = std::fs::read_to_string(file) else {
            continue;
        };
        for finding in ungated_uses(&source) {
            found.push((file.clone(), finding));
        }
    }
    (files.len(), found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(source: &str) -> Vec<usize> {
        ungated_uses(source).into_iter().map(|f| f.line).collect()
    }

    #[test]
    fn an_ungated_use_is_found() {
        assert_eq!(
            lines("fn f() {\n    unsafe { libc::geteuid() };\n}\n"),
            vec![2]
        );
        assert_eq!(lines("use std::os::unix::fs::PermissionsExt;\n"), vec![1]);
        assert_eq!(
            lines("fn g(c: &mut Command) {\n    CommandExt::process_group(c, 0);\n}\n"),
            vec![2]
        );
    }

    #[test]
    fn gated_items_blocks_and_files_pass() {
        assert!(lines("#[cfg(unix)]\nfn f() {\n    libc::kill(1, 9);\n}\nfn g() {}\n").is_empty());
        assert!(lines("#[cfg(target_os = \"linux\")]\nuse libc::c_int;\n").is_empty());
        assert!(lines("#![cfg(unix)]\n//! docs\nfn f() { libc::kill(1, 9); }\n").is_empty());
        assert!(
            lines("fn f() {\n    #[cfg(unix)]\n    {\n        libc::kill(1, 9);\n    }\n}\n")
                .is_empty()
        );
        assert!(
            lines("#[cfg(all(unix, not(miri)))]\nmod m {\n    use libc::c_int;\n}\n").is_empty()
        );
    }

    #[test]
    fn a_gate_ends_with_its_item() {
        let source = "#[cfg(unix)]\nfn f() {\n    libc::kill(1, 9);\n}\nfn g() {\n    libc::kill(2, 9);\n}\n";
        assert_eq!(lines(source), vec![6]);
        let source = "#[cfg(unix)]\nuse libc::c_int;\nuse libc::pid_t;\n";
        assert_eq!(lines(source), vec![3]);
    }

    #[test]
    fn runtime_checks_and_opposite_gates_are_not_gates() {
        assert_eq!(
            lines("fn f() {\n    if cfg!(unix) { libc::kill(1, 9); }\n}\n"),
            vec![2]
        );
        assert_eq!(
            lines("#[cfg(not(unix))]\nfn f() { libc::kill(1, 9); }\n"),
            vec![2]
        );
        assert_eq!(
            lines("#[cfg(windows)]\nfn f() { libc::kill(1, 9); }\n"),
            vec![2]
        );
    }

    #[test]
    fn strings_comments_and_characters_are_not_code() {
        assert!(
            lines("// libc::kill\n/* std::os::unix */\nconst S: &str = \"libc::kill\";\n")
                .is_empty()
        );
        assert!(lines(
            "const R: &str = r#\"libc::\"#;\nconst C: char = '\"';\nfn f<'a>(x: &'a str) {}\n"
        )
        .is_empty());
        assert_eq!(
            lines("const C: char = '{';\nfn f() {\n    libc::kill(1, 9);\n}\n"),
            vec![3]
        );
    }

    #[test]
    fn the_project_itself_passes() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let (files, found) = check(&[&root.join("src-tauri"), &root.join("tests")]);
        assert!(files > 50, "{files} files");
        assert!(found.is_empty(), "{found:#?}");
    }
}
