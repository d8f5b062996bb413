//! The import arrows between the files of `src-tauri/`, read from the source: every
//! `crate::…` and `super::…` path a file names (in `use` items and in code, with `{…}` groups),
//! resolved to the file that defines that module. From them: the cycles between files, and the
//! imports that run from a lower layer up to a higher one. `cargo xtask imports` prints both;
//! `cargo xtask test` fails when there is either.
//!
//! The layers, from the top (see the architecture notes in the README's "Where things live"):
//! the wiring (`lib.rs`, `main.rs`, `fuzzing.rs`), the commands (`commands/`), the words
//! (`problem/`), the desktop around the windows (`desktop.rs`, `tray.rs`, `settings.rs`), and
//! the core (everything else, the simulated tenant included). A file may import its own layer
//! or a lower one. Test modules (`#[cfg(test)] mod …` to the end of a file) are not read: a
//! test may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One file's module path (`["bulk", "run"]`) and its text.
struct Source {
    module: Vec<String>,
    text: String,
}

/// What was found.
pub struct Report {
    pub files: usize,
    pub arrows: usize,
    /// Each cycle's files, sorted.
    pub cycles: Vec<Vec<String>>,
    /// (from, to): an import from a lower layer to a higher one.
    pub upward: Vec<(String, String)>,
}

fn layer(file: &str) -> (u8, &'static str) {
    match file {
        "lib.rs" | "main.rs" | "fuzzing.rs" => (4, "wiring"),
        f if f.starts_with("commands/") => (3, "commands"),
        f if f.starts_with("problem/") => (2, "words (problem/)"),
        "desktop.rs" | "tray.rs" | "settings.rs" => (1, "desktop"),
        _ => (0, "core"),
    }
}

fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !(stem == "mod" || (parts.is_empty() && (stem == "lib" || stem == "main"))) {
        parts.push(stem.to_owned());
    }
    parts
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The text a file's arrows are read from: without its test module and its comments.
fn code_of(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed == "#[cfg(test)]"
            && lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
                .is_some_and(|next| next.starts_with("mod ") || next.starts_with("pub mod "))
        {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        // A comment after code: `//` at the start of a word (not `http://`).
        let mut cut = line.len();
        let bytes = line.as_bytes();
        for at in 0..bytes.len().saturating_sub(1) {
            if bytes[at] == b'/' && bytes[at + 1] == b'/' && (at == 0 || bytes[at - 1] == b' ') {
                cut = at;
                break;
            }
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths written from `at` on (after `crate::` or `super::`): one, or several for a `{…}`
/// group (nested groups included). Each is a list of segments.
fn paths_at(code: &str, at: usize) -> Vec<Vec<String>> {
    let rest = &code[at..];
    let mut segments = Vec::new();
    let mut i = 0;
    let chars: Vec<char> = rest.chars().collect();
    loop {
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        if i > start {
            segments.push(chars[start..i].iter().collect::<String>());
        }
        if i + 1 < chars.len() && chars[i] == ':' && chars[i + 1] == ':' {
            i += 2;
            if i < chars.len() && chars[i] == '{' {
                // A group: each top-level entry continues the path.
                let mut depth = 0;
                let mut entry = String::new();
                let mut entries = Vec::new();
                for &c in &chars[i + 1..] {
                    match c {
                        '{' => {
                            depth += 1;
                            entry.push(c);
                        }
                        '}' if depth == 0 => break,
                        '}' => {
                            depth -= 1;
                            entry.push(c);
                        }
                        ',' if depth == 0 => entries.push(std::mem::take(&mut entry)),
                        _ => entry.push(c),
                    }
                }
                entries.push(entry);
                let mut all = Vec::new();
                for entry in entries {
                    let entry = entry.trim();
                    if entry.is_empty() || entry == "self" || entry == "*" {
                        all.push(segments.clone());
                        continue;
                    }
                    for tail in paths_at(entry, 0) {
                        let mut path = segments.clone();
                        path.extend(tail);
                        all.push(path);
                    }
                }
                return all;
            }
            continue;
        }
        break;
    }
    vec![segments]
}

/// Every module path named in `code`, resolved against `module` (for `super::`).
fn named_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for keyword in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(pos) = code[from..].find(keyword) {
            let at = from + pos;
            from = at + keyword.len();
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| is_ident(c) || c == ':' || c == '$') {
                continue;
            }
            let base: Vec<String> = if keyword == "crate::" {
                Vec::new()
            } else {
                // `super` of `a/b.rs` (module a::b) is `a`; of `a/mod.rs` (module a) the crate.
                let mut base = module.to_vec();
                base.pop();
                let mut rest = &code[from..];
                while let Some(more) = rest.strip_prefix("super::") {
                    base.pop();
                    from += "super::".len();
                    rest = more;
                }
                base
            };
            for tail in paths_at(code, from) {
                let mut path = base.clone();
                path.extend(tail);
                found.push(path);
            }
        }
    }
    found
}

/// Reads `src` (the `src-tauri/` folder) and counts.
pub fn check(src: &Path) -> Report {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut sources: BTreeMap<String, Source> = BTreeMap::new();
    for path in &files {
        let relative = path.strip_prefix(src).unwrap_or(path);
        let name = relative.to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        sources.insert(
            name,
            Source {
                module: module_of(relative),
                text,
            },
        );
    }
    let by_module: BTreeMap<Vec<String>, String> = sources
        .iter()
        .filter(|(name, _)| name.as_str() != "main.rs")
        .map(|(name, s)| (s.module.clone(), name.clone()))
        .collect();
    let mut arrows: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, source) in &sources {
        let code = code_of(&source.text);
        for path in named_paths(&code, &source.module) {
            // The longest prefix that is a file's module.
            let target = (0..=path.len())
                .rev()
                .find_map(|n| by_module.get(&path[..n]));
            if let Some(target) = target.filter(|t| *t != name) {
                arrows
                    .entry(name.clone())
                    .or_default()
                    .insert(target.clone());
            }
        }
    }
    let upward = arrows
        .iter()
        .flat_map(|(from, tos)| tos.iter().map(move |to| (from.clone(), to.clone())))
        .filter(|(from, to)| layer(to).0 > layer(from).0)
        .collect();
    Report {
        files: sources.len(),
        arrows: arrows.values().map(BTreeSet::len).sum(),
        cycles: cycles(&arrows),
        upward,
    }
}

/// The layer's name, for messages.
pub fn layer_name(file: &str) -> &'static str {
    layer(file).1
}

/// The strongly connected groups of more than one file (Tarjan's algorithm).
fn cycles(arrows: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        arrows: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, file: &'a str) {
            self.index.insert(file, self.next);
            self.low.insert(file, self.next);
            self.next += 1;
            self.stack.push(file);
            self.on_stack.insert(file);
            if let Some(targets) = self.arrows.get(file) {
                for target in targets {
                    let target = target.as_str();
                    if !self.index.contains_key(target) {
                        self.visit(target);
                        let low = self.low[file].min(self.low[target]);
                        self.low.insert(file, low);
                    } else if self.on_stack.contains(target) {
                        let low = self.low[file].min(self.index[target]);
                        self.low.insert(file, low);
                    }
                }
            }
            if self.low[file] == self.index[file] {
                let mut group = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    group.push(top.to_owned());
                    if top == file {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        arrows,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for file in arrows.keys() {
        if !walk.index.contains_key(file.as_str()) {
            walk.visit(file);
        }
    }
    walk.found.sort();
    walk.found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn paths_groups_and_super_are_resolved() {
        let code = "use crate::graph::{GraphClient, error::Kind};\nuse super::preview::Row;\nlet x = crate::desk::f();";
        let found = named_paths(code, &modules(&["bulk", "run"]));
        assert!(found.contains(&modules(&["graph", "GraphClient"])));
        assert!(found.contains(&modules(&["graph", "error", "Kind"])));
        assert!(found.contains(&modules(&["bulk", "preview", "Row"])));
        assert!(found.contains(&modules(&["desk", "f"])));
    }

    #[test]
    fn comments_and_test_modules_draw_no_arrow() {
        let text = "use crate::a::B;\n// crate::c::D\nlet u = \"http://x\"; // crate::e\n#[cfg(test)]\nmod tests {\n    use crate::f::G;\n}\n";
        let code = code_of(text);
        assert!(code.contains("crate::a::B"));
        assert!(code.contains("http://x"));
        assert!(
            !code.contains("crate::c") && !code.contains("crate::e") && !code.contains("crate::f")
        );
    }

    #[test]
    fn a_cycle_is_found_and_an_arrow_up_a_layer_is_named() {
        let dir = std::env::temp_dir().join(format!("xtask-imports-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("problem")).unwrap();
        std::fs::write(dir.join("lib.rs"), "mod a; mod b; mod problem;").unwrap();
        std::fs::write(dir.join("a.rs"), "use crate::b::X;").unwrap();
        std::fs::write(dir.join("b.rs"), "use crate::a::Y;\nuse crate::problem::P;").unwrap();
        std::fs::write(dir.join("problem/mod.rs"), "pub struct P;").unwrap();
        let report = check(&dir);
        assert_eq!(report.cycles, vec![modules(&["a.rs", "b.rs"])]);
        assert_eq!(
            report.upward,
            vec![("b.rs".to_owned(), "problem/mod.rs".to_owned())]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
