//! The move from the roaming to the local folder, on real files in temporary folders, stopped
//! (as by a crash) and failed at every step.

use super::*;
use std::collections::BTreeMap;

type Snapshot = BTreeMap<String, Vec<u8>>;

/// What an earlier NumberDesk left in `%APPDATA%\app.numberdesk.desktop`.
fn roaming_folder(dir: &Path) -> Snapshot {
    let files: [(&str, &[u8]); 8] = [
        ("history.sqlite3", b"main database pages"),
        ("history.sqlite3-wal", b"committed but not checkpointed"),
        ("history.sqlite3-shm", b"wal index"),
        (
            "history.sqlite3.damaged-20240506-070809",
            b"an old damaged file",
        ),
        ("settings.json", b"{\"firstRunDone\":true}"),
        ("demo-tenant.json", b"{\"numbers\":[]}"),
        ("logs/numberdesk.log", b"today"),
        ("logs/numberdesk_2024-05-06.log", b"earlier"),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    snapshot(dir)
}

/// Every file under `dir` (paths relative, `/`-separated) and its bytes; the marker aside.
fn snapshot(dir: &Path) -> Snapshot {
    fn walk(base: &Path, dir: &Path, into: &mut Snapshot) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, into);
            } else {
                let name = path.strip_prefix(base).unwrap().to_string_lossy();
                into.insert(name.replace('\\', "/"), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut files = Snapshot::new();
    walk(dir, dir, &mut files);
    files.remove(MARKER);
    files
}

fn folders() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let old = root.path().join("Roaming").join("app.numberdesk.desktop");
    let new = root.path().join("Local").join("app.numberdesk.desktop");
    (root, old, new)
}

fn steps_of_a_full_move() -> Vec<Step> {
    let (_root, old, new) = folders();
    roaming_folder(&old);
    let mut steps = Vec::new();
    move_with(&old, &new, &mut |step| {
        steps.push(step.clone());
        Ok(())
    })
    .unwrap();
    steps
}

#[test]
fn everything_arrives_byte_for_byte_and_the_old_folder_goes() {
    let (_root, old, new) = folders();
    let before = roaming_folder(&old);
    let outcome = move_to_local(&old, &new).unwrap();
    let MoveOutcome::Moved { moved, left_behind } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(left_behind.is_empty(), "{left_behind:?}");
    assert_eq!(moved.len(), 7, "{moved:?}");
    assert_eq!(snapshot(&new), before);
    assert!(!old.exists(), "the roaming folder is gone once empty");
    assert!(!new.join(STAGING).exists());
}

#[test]
fn a_real_history_opens_in_the_new_folder_with_its_records() {
    let (_root, old, new) = folders();
    let (history, _) = crate::history::History::open(&old).unwrap();
    let record = history
        .create(crate::history::NewOperation {
            kind: crate::history::OperationKind::Unassign,
            telephone_number: "+12065550100".into(),
            number_type: None,
            prior_assignee: Default::default(),
            actor: Default::default(),
            client_request_id: "c-1".into(),
            undo_of: None,
            batch_id: None,
        })
        .unwrap();
    drop(history);
    assert!(matches!(
        move_to_local(&old, &new).unwrap(),
        MoveOutcome::Moved { .. }
    ));
    let (history, notice) = crate::history::History::open(&new).unwrap();
    assert_eq!(notice, None);
    assert_eq!(history.get(record.id).unwrap(), Some(record));
}

#[test]
fn a_second_start_does_nothing() {
    let (_root, old, new) = folders();
    let before = roaming_folder(&old);
    move_to_local(&old, &new).unwrap();
    assert_eq!(
        move_to_local(&old, &new).unwrap(),
        MoveOutcome::AlreadyMoved
    );
    assert_eq!(snapshot(&new), before);
    assert!(!old.exists());

    // Even if something wrote to the old folder since (an older NumberDesk), it is left alone.
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(old.join("settings.json"), b"older version").unwrap();
    assert_eq!(
        move_to_local(&old, &new).unwrap(),
        MoveOutcome::AlreadyMoved
    );
    assert_eq!(snapshot(&new), before);
    assert_eq!(
        std::fs::read(old.join("settings.json")).unwrap(),
        b"older version"
    );
}

#[test]
fn a_new_folder_with_data_is_never_overwritten() {
    for existing in ["history.sqlite3", "settings.json"] {
        let (_root, old, new) = folders();
        let before_old = roaming_folder(&old);
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join(existing), b"already here").unwrap();
        let before_new = snapshot(&new);
        assert_eq!(
            move_to_local(&old, &new).unwrap(),
            MoveOutcome::KeptExisting
        );
        assert_eq!(snapshot(&new), before_new, "{existing}");
        assert_eq!(snapshot(&old), before_old, "{existing}");
    }
}

/// On Windows the local folder exists before the move: WebView2's profile and the log plugin's
/// folder are made before NumberDesk's own set-up runs.
#[test]
fn a_new_folder_holding_other_things_gets_the_data_and_keeps_its_own() {
    let (_root, old, new) = folders();
    let before = roaming_folder(&old);
    std::fs::create_dir_all(new.join("EBWebView")).unwrap();
    std::fs::write(new.join("EBWebView").join("Local State"), b"webview").unwrap();
    std::fs::create_dir_all(new.join("logs")).unwrap();
    std::fs::write(new.join("logs").join("numberdesk.log"), b"this run").unwrap();
    let outcome = move_to_local(&old, &new).unwrap();
    assert_eq!(
        outcome,
        MoveOutcome::Moved {
            moved: vec![
                "demo-tenant.json".into(),
                "history.sqlite3".into(),
                "history.sqlite3-shm".into(),
                "history.sqlite3-wal".into(),
                "history.sqlite3.damaged-20240506-070809".into(),
                "settings.json".into(),
            ],
            left_behind: vec!["logs".into()],
        }
    );
    let after = snapshot(&new);
    assert_eq!(after["EBWebView/Local State"], b"webview");
    assert_eq!(after["logs/numberdesk.log"], b"this run", "not overwritten");
    for (name, bytes) in &before {
        if !name.starts_with("logs/") {
            assert_eq!(&after[name], bytes, "{name}");
        }
    }
    assert_eq!(
        std::fs::read(old.join("logs/numberdesk.log")).unwrap(),
        b"today"
    );
}

#[test]
fn one_folder_for_both_is_left_alone() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("app.numberdesk.desktop");
    let before = roaming_folder(&dir);
    assert_eq!(move_to_local(&dir, &dir).unwrap(), MoveOutcome::SameFolder);
    assert_eq!(snapshot(&dir), before);
    let settled = settle(None, &dir, &dir);
    assert_eq!(settled.dir, dir);
    assert!(settled.unfinished.is_none());
    assert_eq!(snapshot(&dir), before);
}

/// The roaming root (`%APPDATA%`) is there; only NumberDesk's folder in it is not.
#[test]
fn nothing_in_the_old_folder_means_nothing_to_do() {
    let (_root, old, new) = folders();
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    assert_eq!(
        move_to_local(&old, &new).unwrap(),
        MoveOutcome::NothingToMove
    );
    std::fs::create_dir_all(&old).unwrap();
    assert_eq!(
        move_to_local(&old, &new).unwrap(),
        MoveOutcome::NothingToMove
    );
    assert!(!new.exists());
}

#[test]
fn the_data_dir_variable_still_wins_and_nothing_moves() {
    let (root, old, new) = folders();
    let before = roaming_folder(&old);
    let custom = root.path().join("custom");
    let settled = settle(Some(custom.clone()), &old, &new);
    assert_eq!(settled.dir, custom);
    assert!(settled.unfinished.is_none());
    assert_eq!(snapshot(&old), before);
    assert!(!new.exists());

    let settled = settle(None, &old, &new);
    assert_eq!(settled.dir, new);
    assert_eq!(snapshot(&new), before);
}

/// A crash (here: a panic) before any step, then the next start: everything arrives, whatever
/// the step. Before the commit the old folder is whole; after it, the next start finishes.
#[test]
fn a_move_cut_short_at_any_step_is_completed_by_the_next_start() {
    let steps = steps_of_a_full_move();
    assert!(steps.len() >= 16, "{steps:?}");
    for stop in &steps {
        let (_root, old, new) = folders();
        let before = roaming_folder(&old);
        let cut = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            move_with(&old, &new, &mut |step| {
                if step == stop {
                    panic!("simulated crash before {step}");
                }
                Ok(())
            })
        }));
        assert!(cut.is_err(), "stopped before {stop}");
        // Whatever the crash left, one of the folders still holds the whole history.
        let history_whole = |dir: &Path| {
            [
                "history.sqlite3",
                "history.sqlite3-wal",
                "history.sqlite3-shm",
            ]
            .iter()
            .all(|name| std::fs::read(dir.join(name)).ok() == before.get(*name).cloned())
        };
        assert!(
            history_whole(&old) || history_whole(&new) || history_whole(&new.join(STAGING)),
            "stopped before {stop}"
        );

        let outcome = move_to_local(&old, &new).unwrap();
        assert!(
            matches!(outcome, MoveOutcome::Moved { ref left_behind, .. } if left_behind.is_empty()),
            "stopped before {stop}: {outcome:?}"
        );
        assert_eq!(snapshot(&new), before, "stopped before {stop}");
        assert!(!new.join(STAGING).exists(), "stopped before {stop}");
        assert!(snapshot(&old).is_empty(), "stopped before {stop}");
        assert_eq!(
            move_to_local(&old, &new).unwrap(),
            MoveOutcome::AlreadyMoved
        );
    }
}

/// An error at any step: until the commit (and while putting things in place, undone) the old
/// folder stays whole and is used this time; a failed removal of an old copy is only noted.
#[test]
fn a_move_that_fails_at_any_step_loses_nothing_and_is_tried_again() {
    for failing in steps_of_a_full_move() {
        let (_root, old, new) = folders();
        let before = roaming_folder(&old);
        let result = move_with(&old, &new, &mut |step| {
            if *step == failing {
                return Err(io::Error::other("simulated failure"));
            }
            Ok(())
        });
        match (&failing, result) {
            (Step::RemoveOld(name), Ok(MoveOutcome::Moved { left_behind, .. })) => {
                assert_eq!(left_behind, std::slice::from_ref(name));
                assert_eq!(snapshot(&new), before, "failing at {failing}");
                assert!(old.join(name).exists());
            }
            (_, Err(error)) => {
                assert!(error.old_is_whole, "failing at {failing}: {error}");
                assert!(error.to_string().contains("simulated failure"));
                assert_eq!(snapshot(&old), before, "failing at {failing}");
                assert!(
                    !new.join("history.sqlite3").exists(),
                    "failing at {failing}"
                );
                assert!(!new.join("settings.json").exists(), "failing at {failing}");
                assert!(!new.join(STAGING).exists(), "failing at {failing}");
                assert!(!new.join(MARKER).exists(), "failing at {failing}");
                let settled_again = move_to_local(&old, &new).unwrap();
                assert!(matches!(settled_again, MoveOutcome::Moved { .. }));
                assert_eq!(snapshot(&new), before, "failing at {failing}, then again");
            }
            (_, other) => panic!("failing at {failing}: {other:?}"),
        }
    }
}

/// What the app does with a settled folder at start: open (so create) the history there,
/// unless the move is unfinished.
fn start_app(roaming: &Path, local: &Path) -> Settled {
    let settled = settle(None, roaming, local);
    if settled.unfinished.is_none() {
        drop(crate::history::History::open(&settled.dir).unwrap());
    }
    settled
}

fn history_with_one_record(dir: &Path) -> crate::history::OperationRecord {
    let (history, _) = crate::history::History::open(dir).unwrap();
    history
        .create(crate::history::NewOperation {
            kind: crate::history::OperationKind::Unassign,
            telephone_number: "+12065550100".into(),
            number_type: None,
            prior_assignee: Default::default(),
            actor: Default::default(),
            client_request_id: "c-1".into(),
            undo_of: None,
            batch_id: None,
        })
        .unwrap()
}

/// A roaming folder on a network share that is offline at start: Windows answers "not found"
/// for the whole path, the roaming root included. Here the root is simply not there at the
/// first start and comes back (with the old history) before the second.
#[test]
fn a_roaming_folder_unreachable_at_first_start_is_moved_when_reachable_again() {
    let (root, old, new) = folders();
    let share = root.path().join("share-while-offline");
    let record = history_with_one_record(&share);

    let first = start_app(&old, &new);
    assert!(
        first.unfinished.is_some(),
        "an unreachable roaming folder is not 'nothing to move': {first:?}"
    );
    assert!(
        !new.join(crate::history::FILE_NAME).exists(),
        "no empty history is started beside the real one"
    );
    assert!(!new.join(SETTINGS_FILE).exists());

    // The network is back.
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    std::fs::rename(&share, &old).unwrap();
    let second = start_app(&old, &new);
    assert!(second.unfinished.is_none(), "{second:?}");
    assert_eq!(second.dir, new);
    let (history, _) = crate::history::History::open(&new).unwrap();
    assert_eq!(history.get(record.id).unwrap(), Some(record));
}

/// A start stopped after the commit; the next one cannot finish (a file stays refused) and the
/// settings store of that run writes `settings.json` on exit; the start after that must still
/// put the staged settings (tenant, client ID) in place, and keep the other file aside.
#[test]
fn the_settings_staged_during_an_unfinished_move_reach_their_place() {
    let (_root, old, new) = folders();
    let before = roaming_folder(&old);
    let place_history = Step::Place("history.sqlite3".into());
    let cut = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        move_with(&old, &new, &mut |step| {
            if *step == place_history {
                panic!("simulated crash before {step}");
            }
            Ok(())
        })
    }));
    assert!(cut.is_err());
    let unfinished = move_with(&old, &new, &mut |step| {
        if *step == place_history {
            return Err(io::Error::other("refused"));
        }
        Ok(())
    });
    let Err(error) = unfinished else {
        panic!("{unfinished:?}")
    };
    assert!(!error.old_is_whole);
    // What the settings store of a run in this state writes on exit, where it was opened.
    if !new.join(SETTINGS_FILE).exists() {
        std::fs::write(new.join(SETTINGS_FILE), b"{}").unwrap();
    }

    move_to_local(&old, &new).unwrap();
    assert_eq!(
        std::fs::read(new.join(SETTINGS_FILE)).unwrap(),
        before["settings.json"],
        "the staged settings are in place"
    );
    assert!(!new.join(STAGING).exists());
}

/// Windows' sharing violation, as `std::fs::rename` reports it there.
fn sharing_violation() -> io::Error {
    io::Error::from_raw_os_error(32)
}

/// Killed after the commit; at the next start an antivirus holds the staged history for a
/// moment: the rename is tried again after a pause and the move completes.
#[test]
fn a_move_killed_after_its_commit_finishes_past_a_briefly_held_file() {
    let (_root, old, new) = folders();
    let before = roaming_folder(&old);
    let place_history = Step::Place("history.sqlite3".into());
    let cut = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        move_with(&old, &new, &mut |step| {
            if *step == place_history {
                panic!("simulated crash before {step}");
            }
            Ok(())
        })
    }));
    assert!(cut.is_err());
    let held = new.join(STAGING).join("history.sqlite3");
    let mut refusals_left = 2;
    let mut pauses = Vec::new();
    let outcome = move_in(
        &old,
        &new,
        &mut Hooks {
            before: &mut |_| Ok(()),
            rename: &mut |from: &Path, to: &Path| {
                if from == held && refusals_left > 0 {
                    refusals_left -= 1;
                    return Err(sharing_violation());
                }
                std::fs::rename(from, to)
            },
            in_use: &|error: &io::Error| crate::held_file::is_in_use(error.raw_os_error(), true),
            pause: &mut |pause| pauses.push(pause),
        },
    );
    assert!(
        matches!(outcome, Ok(MoveOutcome::Moved { ref left_behind, .. }) if left_behind.is_empty()),
        "{outcome:?}"
    );
    assert_eq!(pauses, crate::held_file::PAUSES[..2]);
    assert_eq!(snapshot(&new), before);
    assert!(!new.join(STAGING).exists());
    assert!(snapshot(&old).is_empty());
}

/// Still unreachable at the second start: stopped again, nothing made; then reachable but
/// empty: nothing to move, and the marker goes.
#[test]
fn an_unreachable_roaming_folder_stops_every_start_until_it_is_read() {
    let (_root, old, new) = folders();
    for _ in 0..2 {
        let settled = start_app(&old, &new);
        let Some(error) = settled.unfinished else {
            panic!("{settled:?}")
        };
        assert!(error.unreachable, "{error}");
        assert!(new.join(UNREACHABLE).exists());
        assert!(!new.join(crate::history::FILE_NAME).exists());
    }
    std::fs::create_dir_all(&old).unwrap();
    let settled = start_app(&old, &new);
    assert!(settled.unfinished.is_none(), "{settled:?}");
    assert!(!new.join(UNREACHABLE).exists());
    assert!(new.join(crate::history::FILE_NAME).exists());
}

/// While the roaming data is still to come, data in the new folder is not a reason to keep it
/// (that would strand the roaming data) nor overwritten: the start stops and says so.
#[test]
fn data_found_locally_while_the_roaming_data_is_still_to_come_stops_the_start() {
    let (_root, old, new) = folders();
    assert!(start_app(&old, &new).unfinished.is_some());
    let before_old = roaming_folder(&old);
    std::fs::write(new.join(SETTINGS_FILE), b"written meanwhile").unwrap();
    let settled = settle(None, &old, &new);
    let Some(error) = settled.unfinished else {
        panic!("{settled:?}")
    };
    assert!(!error.old_is_whole && !error.unreachable, "{error}");
    assert!(error.to_string().contains("neither was changed"), "{error}");
    assert_eq!(snapshot(&old), before_old);
    assert_eq!(
        std::fs::read(new.join(SETTINGS_FILE)).unwrap(),
        b"written meanwhile"
    );
    assert!(new.join(UNREACHABLE).exists());
}

fn os_error(kind: io::ErrorKind) -> io::Error {
    io::Error::from(kind)
}

#[test]
fn not_found_means_absent_only_when_the_roaming_root_can_be_read() {
    use io::ErrorKind::{NotFound, PermissionDenied};
    let absent = reading_error(os_error(NotFound), Ok(true), false);
    assert!(matches!(absent, Reading::Absent), "{absent:?}");
    for parent in [
        Err(os_error(NotFound)),
        Err(os_error(PermissionDenied)),
        Ok(false),
    ] {
        let reading = reading_error(os_error(NotFound), parent, false);
        assert!(matches!(reading, Reading::Unreachable(_)), "{reading:?}");
    }
    let refused = reading_error(os_error(PermissionDenied), Ok(true), false);
    assert!(matches!(refused, Reading::Failed(_)), "{refused:?}");
}

#[test]
fn network_errors_mean_unreachable_whatever_the_parent_says() {
    use io::ErrorKind::*;
    for kind in [
        NetworkUnreachable,
        HostUnreachable,
        TimedOut,
        NotConnected,
        StaleNetworkFileHandle,
    ] {
        let reading = reading_error(os_error(kind), Ok(true), false);
        assert!(
            matches!(reading, Reading::Unreachable(_)),
            "{kind:?}: {reading:?}"
        );
    }
    // ERROR_BAD_NETPATH, which std calls "not found" on Windows, even with the root readable
    // (an offline-files cache): only counted as Windows' code on Windows.
    let bad_netpath = || io::Error::from_raw_os_error(53);
    let reading = reading_error(bad_netpath(), Ok(true), true);
    assert!(matches!(reading, Reading::Unreachable(_)), "{reading:?}");
    let reading = reading_error(bad_netpath(), Ok(true), false);
    assert!(
        !matches!(reading, Reading::Unreachable(_)),
        "53 is another errno on Unix"
    );
}

#[test]
fn windows_network_codes_are_told_apart_from_not_found() {
    for code in [
        51, 53, 54, 55, 59, 64, 67, 121, 1203, 1222, 1231, 1232, 2250,
    ] {
        assert!(windows_network_code(code), "{code}");
    }
    // ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND, ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION.
    for code in [2, 3, 5, 32] {
        assert!(!windows_network_code(code), "{code}");
    }
}
