//! Where NumberDesk keeps its data: the local app-data folder, never the roaming one.
//!
//! On Windows, `%APPDATA%` (Roaming) follows the user: roaming profiles copy it at sign-in and
//! sign-out, and folder redirection puts it on a network share, so a live SQLite file there is
//! written over SMB and may be replaced at sign-out by another computer's copy.
//! `%LOCALAPPDATA%` stays on this computer. On macOS and Linux both are one folder, so nothing
//! moves there.
//!
//! Earlier versions used the roaming folder; [`move_to_local`] carries its contents over once,
//! at start-up, before anything opens them. It is a copy with a single commit point:
//! 1. each item of the old folder is copied into a staging folder inside the new one
//!    ([`STAGING`]), each file flushed to disk; the old folder is not touched;
//! 2. a marker ([`MARKER`]) is written (to a temporary name, then renamed): from here on the new
//!    folder is the authority;
//! 3. the staged items are renamed into place (within one folder, so each rename is atomic);
//! 4. the originals are removed from the old folder; then the staging folder.
//!
//! A crash before 2 leaves the old folder whole: the next start throws the partial copy away
//! and starts again. A crash after 2 is finished by the next start, before the history is
//! opened. An error before 2 (or in 3, undone) leaves the old folder whole and in use for this
//! run. So at no point is the app left with only part of its history, or an empty one where a
//! full one existed. A new folder that already holds a history or settings is never
//! overwritten; an item whose name the new folder already has (a `logs` folder, say) stays
//! where it is.
//!
//! The renames go through [`crate::held_file`]: a file an antivirus or indexer holds for a
//! moment is tried again after a short pause, as when a damaged history is set aside.
//!
//! A roaming folder that **cannot be reached** (redirected to a network share that is offline,
//! a VPN not yet up) is not one that does not exist: Windows answers "not found" for a path on
//! an offline share just as for a missing folder. So "not found" means "nothing to move" only
//! when the folder's parent (the roaming root, `%APPDATA%`) can be read; otherwise, and on a
//! network error, the move stops before anything is made ([`reading_error`]): no history and
//! no settings are opened this run (an empty history would hide the real one for good), a
//! marker ([`UNREACHABLE`]) is left in the new folder, and the admin is told to connect and
//! start again. The next start that can read the roaming folder moves it in as usual and
//! removes the marker; while the marker stands, data found in the new folder is never taken as
//! a reason to keep it and leave the roaming folder where it is.
//!
//! `settings.json` is never opened while a move is unfinished (the app withholds the settings
//! store, which would write the file on exit). One written so by an earlier version is set
//! aside (`settings.json.written-while-moving`) so the staged settings take their place.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The settings file inside the data folder (tauri-plugin-store).
pub const SETTINGS_FILE: &str = "settings.json";
/// Where items are copied before the commit, inside the new folder.
pub const STAGING: &str = ".moving-in";
/// Written once everything is staged: the new folder is now the authority.
pub const MARKER: &str = ".moved-in";
const MARKER_TEMP: &str = ".moved-in.tmp";
/// Left in the new folder by a start that could not reach the roaming folder: its data is
/// still to come, so nothing in the new folder may stand in for it.
pub const UNREACHABLE: &str = ".roaming-unreachable";
/// Where a `settings.json` written while a move was unfinished is set aside.
const SETTINGS_WRITTEN_WHILE_MOVING: &str = "settings.json.written-while-moving";

/// What [`move_to_local`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveOutcome {
    /// The two folders are one (macOS, Linux): nothing to do.
    SameFolder,
    /// The old folder has nothing in it.
    NothingToMove,
    /// A previous start moved everything.
    AlreadyMoved,
    /// The new folder already has a history or settings: nothing was moved or overwritten.
    KeptExisting,
    /// These items now live in the new folder; `left_behind` stayed in the old one because the
    /// new folder already had an item of that name, or could not be removed there.
    Moved {
        moved: Vec<String>,
        left_behind: Vec<String>,
    },
}

/// The move failed. `old_is_whole`: the old folder still holds everything and nothing in the
/// new folder claims otherwise, so this run can use the old folder and the next start tries
/// again. `unreachable`: the old folder could not be reached (see the module docs); nothing
/// was moved and neither folder may be used this run.
#[derive(Debug, thiserror::Error)]
#[error("moving the data from {from} to {to} failed at {step}: {source}")]
pub struct MoveError {
    pub from: PathBuf,
    pub to: PathBuf,
    pub step: String,
    #[source]
    pub source: io::Error,
    pub old_is_whole: bool,
    pub unreachable: bool,
}

/// What reading the roaming folder's list of items gave.
#[derive(Debug)]
pub enum Reading {
    Items(Vec<String>),
    /// The folder does not exist, and its parent could be read: nothing to move.
    Absent,
    /// The folder could not be reached now; its data may well exist.
    Unreachable(io::Error),
    /// Another error (access denied, say): the old folder stays in use this run.
    Failed(io::Error),
}

/// What an error listing the roaming folder means (see the module docs). `parent` is what
/// reading the folder's parent gave: whether it is a folder, or the error. `windows`: whether
/// the OS error codes are Windows' ([`windows_network_code`]).
pub fn reading_error(error: io::Error, parent: Result<bool, io::Error>, windows: bool) -> Reading {
    if network_error(&error, windows) {
        return Reading::Unreachable(error);
    }
    if error.kind() != io::ErrorKind::NotFound {
        return Reading::Failed(error);
    }
    match parent {
        Ok(true) => Reading::Absent,
        // The roaming root itself is missing or unreadable: an offline share looks like this.
        Ok(false) => Reading::Unreachable(error),
        Err(parent_error) => Reading::Unreachable(parent_error),
    }
}

/// Whether an error says the network is in the way (on any OS, by its kind).
fn network_error(error: &io::Error, windows: bool) -> bool {
    use io::ErrorKind::*;
    matches!(
        error.kind(),
        NetworkUnreachable
            | NetworkDown
            | HostUnreachable
            | NotConnected
            | TimedOut
            | ConnectionRefused
            | ConnectionReset
            | ConnectionAborted
            | StaleNetworkFileHandle
    ) || (windows && error.raw_os_error().is_some_and(windows_network_code))
}

/// Windows' error codes for a network path that cannot be reached now: `ERROR_REM_NOT_LIST`
/// (51), `ERROR_BAD_NETPATH` (53), `ERROR_NETWORK_BUSY` (54), `ERROR_DEV_NOT_EXIST` (55),
/// `ERROR_UNEXP_NET_ERR` (59), `ERROR_NETNAME_DELETED` (64), `ERROR_BAD_NET_NAME` (67),
/// `ERROR_SEM_TIMEOUT` (121), `ERROR_NO_NET_OR_BAD_PATH` (1203), `ERROR_NO_NETWORK` (1222),
/// `ERROR_NETWORK_UNREACHABLE` (1231), `ERROR_HOST_UNREACHABLE` (1232) and
/// `ERROR_NOT_CONNECTED` (2250). Several of them `std` reports as "not found".
pub fn windows_network_code(code: i32) -> bool {
    matches!(
        code,
        51 | 53 | 54 | 55 | 59 | 64 | 67 | 121 | 1203 | 1222 | 1231 | 1232 | 2250
    )
}

/// Lists the roaming folder, telling "absent" from "cannot be reached".
fn read_roaming(old: &Path) -> Reading {
    match list(old) {
        Ok(items) => Reading::Items(items),
        Err(error) => {
            let parent = match old.parent() {
                Some(parent) => std::fs::metadata(parent).map(|m| m.is_dir()),
                None => Ok(false),
            };
            reading_error(error, parent, cfg!(windows))
        }
    }
}

/// What tests replace in a move: a hook before every step (to fail or stop it there), the
/// rename, the "held by another program" test and the pause between tries.
pub struct Hooks<'a> {
    pub before: &'a mut dyn FnMut(&Step) -> io::Result<()>,
    pub rename: &'a mut dyn FnMut(&Path, &Path) -> io::Result<()>,
    pub in_use: &'a dyn Fn(&io::Error) -> bool,
    pub pause: &'a mut dyn FnMut(Duration),
}

impl Hooks<'_> {
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        crate::held_file::rename_retrying(from, to, self.rename, self.in_use, self.pause)
    }
}

/// One step of the move, for tests that stop it (or make it fail) at every point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Read,
    Copy(String),
    Commit,
    Place(String),
    RemoveOld(String),
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Read => write!(f, "reading the roaming folder"),
            Step::Copy(item) => write!(f, "copying {item}"),
            Step::Commit => write!(f, "marking the move done"),
            Step::Place(item) => write!(f, "putting {item} in place"),
            Step::RemoveOld(item) => write!(f, "removing the old {item}"),
        }
    }
}

/// Moves NumberDesk's data from `old` (roaming) to `new` (local) once; see the module docs.
pub fn move_to_local(old: &Path, new: &Path) -> Result<MoveOutcome, MoveError> {
    move_with(old, new, &mut |_| Ok(()))
}

/// [`move_to_local`], calling `before` ahead of every step (tests fail or stop it there).
pub fn move_with(
    old: &Path,
    new: &Path,
    before: &mut dyn FnMut(&Step) -> io::Result<()>,
) -> Result<MoveOutcome, MoveError> {
    move_in(
        old,
        new,
        &mut Hooks {
            before,
            rename: &mut |from: &Path, to: &Path| std::fs::rename(from, to),
            in_use: &crate::held_file::held_by_another_program,
            pause: &mut std::thread::sleep,
        },
    )
}

/// [`move_to_local`] with every hook given.
pub fn move_in(old: &Path, new: &Path, hooks: &mut Hooks) -> Result<MoveOutcome, MoveError> {
    if same_folder(old, new) {
        return Ok(MoveOutcome::SameFolder);
    }
    let outcome = move_once(old, new, hooks)?;
    if outcome != MoveOutcome::KeptExisting {
        // The roaming folder was read (and moved, or found empty): nothing is still to come.
        if let Err(error) = std::fs::remove_file(new.join(UNREACHABLE)) {
            if error.kind() != io::ErrorKind::NotFound {
                log::warn!("data folder: {UNREACHABLE} not removed: {error}");
            }
        }
    }
    Ok(outcome)
}

fn move_once(old: &Path, new: &Path, hooks: &mut Hooks) -> Result<MoveOutcome, MoveError> {
    let fail = |step: &Step, source: io::Error, old_is_whole: bool| MoveError {
        from: old.to_path_buf(),
        to: new.to_path_buf(),
        step: step.to_string(),
        source,
        old_is_whole,
        unreachable: false,
    };
    let staging = new.join(STAGING);
    let marker = new.join(MARKER);
    if marker.exists() {
        if !staging.exists() {
            return Ok(MoveOutcome::AlreadyMoved);
        }
        // A start that had committed stopped before it finished: finish it now.
        let moved = read_marker(&marker).map_err(|e| fail(&Step::Commit, e, false))?;
        return finish(old, new, moved, Vec::new(), hooks)
            .map_err(|(step, e)| fail(&step, e, false));
    }
    if staging.exists() {
        // A partial copy from a start that stopped before its commit; the old folder is whole.
        std::fs::remove_dir_all(&staging)
            .map_err(|e| fail(&Step::Copy(STAGING.into()), e, true))?;
    }
    let still_to_come = new.join(UNREACHABLE).exists();
    let items = match read_roaming(old) {
        Reading::Items(items) => items,
        Reading::Absent => return Ok(MoveOutcome::NothingToMove),
        Reading::Unreachable(error) => {
            leave_unreachable_marker(old, new, &error);
            return Err(MoveError {
                unreachable: true,
                ..fail(&Step::Read, error, false)
            });
        }
        Reading::Failed(error) => return Err(fail(&Step::Read, error, true)),
    };
    if items.is_empty() {
        return Ok(MoveOutcome::NothingToMove);
    }
    if [crate::history::FILE_NAME, SETTINGS_FILE]
        .iter()
        .any(|name| new.join(name).exists())
    {
        if still_to_come {
            // Both hold data, and the roaming data was never read: keeping the new folder's
            // would strand it, moving it would overwrite. Neither is done; the admin is told.
            let error = io::Error::other(format!(
                "{} already holds NumberDesk data, and {} still holds the data of an earlier \
                 start that could not reach it; neither was changed",
                new.display(),
                old.display()
            ));
            return Err(fail(&Step::Read, error, false));
        }
        return Ok(MoveOutcome::KeptExisting);
    }
    let (moved, left_behind): (Vec<String>, Vec<String>) =
        items.into_iter().partition(|name| !new.join(name).exists());

    // 1. Copy into the staging folder. The old folder is not touched.
    let copied = (|| {
        std::fs::create_dir_all(&staging).map_err(|e| (Step::Copy(STAGING.into()), e))?;
        for name in &moved {
            let step = Step::Copy(name.clone());
            (hooks.before)(&step).map_err(|e| (step.clone(), e))?;
            copy_item(&old.join(name), &staging.join(name)).map_err(|e| (step, e))?;
        }
        // 2. The commit point.
        (hooks.before)(&Step::Commit).map_err(|e| (Step::Commit, e))?;
        write_marker(new, &moved, hooks).map_err(|e| (Step::Commit, e))
    })();
    if let Err((step, error)) = copied {
        let _ = std::fs::remove_file(new.join(MARKER_TEMP));
        let _ = std::fs::remove_dir_all(&staging);
        return Err(fail(&step, error, true));
    }
    // 3 and 4.
    finish(old, new, moved, left_behind, hooks).map_err(|(step, e)| {
        let undone = matches!(step, Step::Place(_)) && undo_placing(new, hooks).is_ok();
        fail(&step, e, undone)
    })
}

/// Says in the new folder that the roaming folder's data is still to come (see the module
/// docs). Best effort: the run is stopped either way.
fn leave_unreachable_marker(old: &Path, new: &Path, error: &io::Error) {
    let note = format!("{}\n{error}\n", old.display());
    let written =
        std::fs::create_dir_all(new).and_then(|()| std::fs::write(new.join(UNREACHABLE), note));
    if let Err(write_error) = written {
        log::warn!("data folder: {UNREACHABLE} not written: {write_error}");
    }
}

/// Steps 3 and 4: puts every staged item in place, removes the originals, then the staging
/// folder.
fn finish(
    old: &Path,
    new: &Path,
    moved: Vec<String>,
    mut left_behind: Vec<String>,
    hooks: &mut Hooks,
) -> Result<MoveOutcome, (Step, io::Error)> {
    let staging = new.join(STAGING);
    for name in list(&staging).map_err(|e| (Step::Place(STAGING.into()), e))? {
        let step = Step::Place(name.clone());
        (hooks.before)(&step).map_err(|e| (step.clone(), e))?;
        let target = new.join(&name);
        if target.exists() && name == SETTINGS_FILE && moved.contains(&name) {
            // It was not there when the move began (or nothing would have moved): a run while
            // the move was unfinished wrote it (an earlier version's settings store, on exit).
            // The staged settings are the admin's; that file is kept aside.
            let aside = free_name(new, SETTINGS_WRITTEN_WHILE_MOVING);
            hooks
                .rename(&target, &aside)
                .map_err(|e| (step.clone(), e))?;
            log::warn!(
                "data folder: {} was written while the move was unfinished; kept as {}",
                target.display(),
                aside.display()
            );
        }
        if target.exists() {
            // Never overwrite: it stays staged, and its original stays in the old folder.
            log::warn!(
                "data folder: {} exists; {name} left staged",
                target.display()
            );
            continue;
        }
        hooks
            .rename(&staging.join(&name), &target)
            .map_err(|e| (step, e))?;
    }
    let still_staged = list(&staging).unwrap_or_default();
    for name in &moved {
        if still_staged.contains(name) {
            left_behind.push(name.clone());
            continue;
        }
        let original = old.join(name);
        if !original.exists() {
            continue;
        }
        let removed = (hooks.before)(&Step::RemoveOld(name.clone())).and_then(|()| {
            if original.is_dir() {
                std::fs::remove_dir_all(&original)
            } else {
                std::fs::remove_file(&original)
            }
        });
        if let Err(error) = removed {
            // The copy is in place; an old copy left over is only untidy.
            log::warn!("data folder: {} not removed: {error}", original.display());
            left_behind.push(name.clone());
        }
    }
    if still_staged.is_empty() {
        let _ = std::fs::remove_dir(&staging);
    }
    let _ = std::fs::remove_dir(old); // only if empty
    let moved = moved
        .into_iter()
        .filter(|name| !left_behind.contains(name))
        .collect();
    Ok(MoveOutcome::Moved { moved, left_behind })
}

/// After a failed step 3: back into the staging folder with what was placed, then the staging
/// folder and the marker go, so the old folder is the authority again.
fn undo_placing(new: &Path, hooks: &mut Hooks) -> io::Result<()> {
    let staging = new.join(STAGING);
    for name in read_marker(&new.join(MARKER))? {
        let placed = new.join(&name);
        if !staging.join(&name).exists() && placed.exists() {
            hooks.rename(&placed, &staging.join(&name))?;
        }
    }
    std::fs::remove_file(new.join(MARKER))?;
    std::fs::remove_dir_all(&staging)
}

fn same_folder(old: &Path, new: &Path) -> bool {
    let canonical =
        |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let (old, new) = (canonical(old), canonical(new));
    old.starts_with(&new) || new.starts_with(&old)
}

/// The names in `dir`, sorted (so the steps come in a fixed order).
fn list(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

/// Copies a file (flushed to disk, length checked) or a folder, recursively.
fn copy_item(from: &Path, to: &Path) -> io::Result<()> {
    if from.is_dir() {
        std::fs::create_dir(to)?;
        for name in list(from)? {
            copy_item(&from.join(&name), &to.join(&name))?;
        }
        return Ok(());
    }
    let copied = std::fs::copy(from, to)?;
    let file = std::fs::File::open(to)?;
    file.sync_all()?;
    if copied != std::fs::metadata(from)?.len() {
        return Err(io::Error::other(format!(
            "{} changed while it was copied",
            from.display()
        )));
    }
    Ok(())
}

/// `name` in `dir`, or `name-2`, `name-3`, … when it is taken.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    (1..)
        .map(|n| match n {
            1 => dir.join(name),
            n => dir.join(format!("{name}-{n}")),
        })
        .find(|candidate| !candidate.exists())
        .unwrap_or_else(|| dir.join(name))
}

fn write_marker(new: &Path, moved: &[String], hooks: &mut Hooks) -> io::Result<()> {
    use std::io::Write;
    let temp = new.join(MARKER_TEMP);
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(moved.join("\n").as_bytes())?;
    file.sync_all()?;
    drop(file);
    hooks.rename(&temp, &new.join(MARKER))
}

fn read_marker(marker: &Path) -> io::Result<Vec<String>> {
    Ok(std::fs::read_to_string(marker)?
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The data folder for this run, and what the admin must be told.
#[derive(Debug)]
pub struct Settled {
    pub dir: PathBuf,
    /// Set when a move failed so that neither folder is safe to use this run: the history and
    /// settings must not be opened (an empty history would be created over the real one).
    pub unfinished: Option<MoveError>,
}

/// Chooses the data folder: `NUMBERDESK_DATA_DIR` when set (nothing moves), else the local
/// folder, after moving the roaming folder's contents there ([`move_to_local`]).
pub fn settle(custom: Option<PathBuf>, roaming: &Path, local: &Path) -> Settled {
    if let Some(dir) = custom {
        return Settled {
            dir,
            unfinished: None,
        };
    }
    match move_to_local(roaming, local) {
        Ok(outcome) => {
            match &outcome {
                MoveOutcome::Moved { moved, left_behind } => log::info!(
                    "data folder: moved {moved:?} from {} to {}{}",
                    roaming.display(),
                    local.display(),
                    if left_behind.is_empty() {
                        String::new()
                    } else {
                        format!("; left {left_behind:?} where it was")
                    }
                ),
                MoveOutcome::KeptExisting => log::warn!(
                    "data folder: {} already has NumberDesk data; {} was left as it is",
                    local.display(),
                    roaming.display()
                ),
                _ => {}
            }
            Settled {
                dir: local.to_path_buf(),
                unfinished: None,
            }
        }
        Err(error) if error.old_is_whole => {
            log::warn!(
                "data folder: {error}; using {} this time",
                roaming.display()
            );
            Settled {
                dir: roaming.to_path_buf(),
                unfinished: None,
            }
        }
        Err(error) => Settled {
            dir: local.to_path_buf(),
            unfinished: Some(error),
        },
    }
}

#[cfg(test)]
mod tests;
