//! The names the Rust side and the web UI share, in one place on each side: ui/contract.mjs
//! (events, statuses, the file-name header) and ui/words.mjs's number types are read here and
//! checked against the Rust constants, so renaming either side fails this test, not the app.

use numberdesk::bulk::{BatchChoice, BulkAction, RowPhase, RunState};
use numberdesk::history::OperationKind;
use numberdesk::history::RecordStatus;
use numberdesk::problem::ProblemKind;
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn ui(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("ui")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of `export const NAME = …;` (up to the first line that closes it).
fn export<'a>(source: &'a str, name: &str) -> &'a str {
    let start = source
        .find(&format!("export const {name} = "))
        .unwrap_or_else(|| panic!("ui/contract.mjs exports {name}"));
    let rest = &source[start..];
    &rest[..rest.find(";\n").expect("the export ends with ;")]
}

/// The single-quoted strings in `text`, comments left out.
fn quoted(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split("//").next().unwrap())
        .flat_map(|line| {
            line.split('\'')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `key: 'value'` pairs of an object literal, comments left out.
fn pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|line| line.split("//").next().unwrap().trim())
        .filter_map(|line| {
            let (key, value) = line.split_once(": '")?;
            Some((key.to_owned(), value[..value.find('\'')?].to_owned()))
        })
        .collect()
}

/// The value of `const NAME: &str = "…"` wherever it is under src-tauri/ (the commands module
/// is private to the crate, so its constants are read from the source; exactly one definition).
fn rust_const(name: &str) -> String {
    let needle = format!("const {name}: &str = \"");
    let mut found = Vec::new();
    let mut todo = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src-tauri")];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                for (at, _) in source.match_indices(&needle) {
                    let rest = &source[at + needle.len()..];
                    found.push(rest[..rest.find('"').unwrap()].to_owned());
                }
            }
        }
    }
    assert_eq!(
        found.len(),
        1,
        "{name} is defined once under src-tauri/: {found:?}"
    );
    found.remove(0)
}

#[test]
fn ui_contract_names_match_the_rust_constants() {
    let contract = ui("contract.mjs");

    let events: BTreeSet<String> = pairs(export(&contract, "EVENTS"))
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    let emitted: BTreeSet<String> = [
        &rust_const("OPERATION_UPDATED"),
        &rust_const("BULK_EVENT"),
        &rust_const("NUMBERS_PROGRESS"),
        &rust_const("SETUP_PROGRESS"),
        numberdesk::tray::OPEN_RECORD,
        numberdesk::tray::SHOW_SIGN_IN,
        numberdesk::tray::QUICK_OPENED,
        numberdesk::SECOND_INSTANCE,
    ]
    .map(|name| name.to_owned())
    .into();
    assert_eq!(events, emitted, "EVENTS (left) and the events Rust emits");

    let statuses = quoted(export(&contract, "RECORD_STATUSES"));
    let known: Vec<String> = RecordStatus::KNOWN
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    assert_eq!(statuses, known, "RECORD_STATUSES and RecordStatus::KNOWN");

    let in_flight = quoted(export(&contract, "IN_FLIGHT_STATUSES"));
    let rust_in_flight: Vec<String> = RecordStatus::KNOWN
        .iter()
        .filter(|s| s.is_in_flight())
        .map(|s| s.as_str().to_owned())
        .collect();
    assert_eq!(
        in_flight, rust_in_flight,
        "IN_FLIGHT_STATUSES and is_in_flight"
    );

    assert_eq!(
        quoted(export(&contract, "SUCCEEDED")),
        [RecordStatus::Succeeded.as_str()]
    );
    assert_eq!(
        quoted(export(&contract, "FILE_NAME_HEADER")),
        [rust_const("FILE_NAME_HEADER")]
    );

    let problems = pairs(export(&contract, "PROBLEMS"));
    assert!(problems.len() >= 5, "{problems:?}");
    for (key, name) in problems {
        assert_eq!(key, name, "PROBLEMS.{key}");
        assert!(
            ProblemKind::ALL.iter().any(|(_, known)| *known == name),
            "PROBLEMS.{key} = {name:?} is not a ProblemKind"
        );
    }
}

/// Each name of the object `export` is its key and reads as a `T` that is written back the same.
fn names_of<T: DeserializeOwned + std::fmt::Debug>(contract: &str, name: &str) -> usize {
    let pairs = pairs(export(contract, name));
    for (key, value) in &pairs {
        assert_eq!(key, value, "{name}.{key}");
        let read: Result<T, _> = serde_json::from_value(serde_json::json!(value));
        assert!(
            read.is_ok(),
            "{name}.{key} = {value:?} is not a Rust name: {read:?}"
        );
    }
    pairs.len()
}

#[test]
fn ui_control_words_are_the_rust_enums_names() {
    let contract = ui("contract.mjs");
    assert_eq!(names_of::<OperationKind>(&contract, "OPERATIONS"), 2);
    assert_eq!(names_of::<RunState>(&contract, "RUN_STATES"), 4);
    assert_eq!(names_of::<BulkAction>(&contract, "BULK_ACTIONS"), 3);
    assert_eq!(names_of::<BatchChoice>(&contract, "BATCH_CHOICES"), 2);

    // The Bulk view's words per row phase are keyed by RowPhase's names, one for each.
    let bulk = ui("bulk.mjs");
    let start = bulk.find("const PHASES = {").expect("PHASES");
    let table = &bulk[start..start + bulk[start..].find("};").unwrap()];
    let keys: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|line| line.trim().split_once(": ["))
        .map(|(key, _)| key)
        .collect();
    assert_eq!(keys.len(), 11, "{keys:?}");
    for key in keys {
        let phase: Result<RowPhase, _> = serde_json::from_value(serde_json::json!(key));
        assert!(phase.is_ok(), "PHASES.{key} is not a RowPhase");
    }
}

#[test]
fn contract_names_are_written_nowhere_else_in_the_ui() {
    let contract = ui("contract.mjs");
    let mut names: Vec<String> = pairs(export(&contract, "EVENTS"))
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    names.extend(quoted(export(&contract, "IN_FLIGHT_STATUSES")));
    names.extend(quoted(export(&contract, "FILE_NAME_HEADER")));
    for object in ["PROBLEMS", "RUN_STATES", "BULK_ACTIONS", "BATCH_CHOICES"] {
        names.extend(pairs(export(&contract, object)).into_iter().map(|(_, n)| n));
    }
    // "unassign" is also a view's and a button's name; the operation "assign" is not.
    names.push(OperationKind::Assign.as_str().to_owned());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui");
    let mut modules = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if !file.ends_with(".mjs") || file == "contract.mjs" {
            continue;
        }
        modules += 1;
        let source = std::fs::read_to_string(&path).unwrap();
        for name in &names {
            for quote in ['\'', '"', '`'] {
                assert!(
                    !source.contains(&format!("{quote}{name}{quote}")),
                    "ui/{file} spells {name:?}: import it from contract.mjs"
                );
            }
        }
    }
    assert!(modules >= 8, "read {modules} modules");
}

#[test]
fn ui_number_type_words_match_the_rust_labels() {
    let words = ui("words.mjs");
    let start = words.find("const NUMBER_TYPES = {").expect("NUMBER_TYPES");
    let table = &words[start..start + words[start..].find("};").unwrap()];
    let pairs = pairs(table);
    assert!(pairs.len() >= 5, "{pairs:?}");
    for (value, label) in pairs {
        assert_eq!(
            numberdesk::desk::number_type_label(&value),
            label,
            "{value}"
        );
    }
}
