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

use std::io;
use std::path::{Path, PathBuf};

/// The settings file inside the data folder (tauri-plugin-store).
pub const SETTINGS_FILE: &str = "settings.json";
/// Where items are copied before the commit, inside the new folder.
pub const STAGING: &str = ".moving-in";
/// Written once everything is staged: the new folder is now the authority.
pub const MARKER: &str = ".moved-in";
const MARKER_TEMP: &str = ".moved-in.tmp";

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
/// again.
#[derive(Debug, thiserror::Error)]
#[error("moving the data from {from} to {to} failed at {step}: {source}")]
pub struct MoveError {
    pub from: PathBuf,
    pub to: PathBuf,
    pub step: String,
    #[source]
    pub source: io::Error,
    pub old_is_whole: bool,
}

/// One step of the move, for tests that stop it (or make it fail) at every point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Copy(String),
    Commit,
    Place(String),
    RemoveOld(String),
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
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
    if same_folder(old, new) {
        return Ok(MoveOutcome::SameFolder);
    }
    let fail = |step: &Step, source: io::Error, old_is_whole: bool| MoveError {
        from: old.to_path_buf(),
        to: new.to_path_buf(),
        step: step.to_string(),
        source,
        old_is_whole,
    };
    let staging = new.join(STAGING);
    let marker = new.join(MARKER);
    if marker.exists() {
        if !staging.exists() {
            return Ok(MoveOutcome::AlreadyMoved);
        }
        // A start that had committed stopped before it finished: finish it now.
        let moved = read_marker(&marker).map_err(|e| fail(&Step::Commit, e, false))?;
        return finish(old, new, moved, Vec::new(), before)
            .map_err(|(step, e)| fail(&step, e, false));
    }
    if staging.exists() {
        // A partial copy from a start that stopped before its commit; the old folder is whole.
        std::fs::remove_dir_all(&staging)
            .map_err(|e| fail(&Step::Copy(STAGING.into()), e, true))?;
    }
    let items = match list(old) {
        Ok(items) => items,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Ok(MoveOutcome::NothingToMove)
        }
        Err(error) => return Err(fail(&Step::Copy(String::new()), error, true)),
    };
    if items.is_empty() {
        return Ok(MoveOutcome::NothingToMove);
    }
    if [crate::history::FILE_NAME, SETTINGS_FILE]
        .iter()
        .any(|name| new.join(name).exists())
    {
        return Ok(MoveOutcome::KeptExisting);
    }
    let (moved, left_behind): (Vec<String>, Vec<String>) =
        items.into_iter().partition(|name| !new.join(name).exists());

    // 1. Copy into the staging folder. The old folder is not touched.
    let copied = (|| {
        std::fs::create_dir_all(&staging).map_err(|e| (Step::Copy(STAGING.into()), e))?;
        for name in &moved {
            let step = Step::Copy(name.clone());
            before(&step).map_err(|e| (step.clone(), e))?;
            copy_item(&old.join(name), &staging.join(name)).map_err(|e| (step, e))?;
        }
        // 2. The commit point.
        before(&Step::Commit).map_err(|e| (Step::Commit, e))?;
        write_marker(new, &moved).map_err(|e| (Step::Commit, e))
    })();
    if let Err((step, error)) = copied {
        let _ = std::fs::remove_file(new.join(MARKER_TEMP));
        let _ = std::fs::remove_dir_all(&staging);
        return Err(fail(&step, error, true));
    }
    // 3 and 4.
    finish(old, new, moved, left_behind, before).map_err(|(step, e)| {
        let undone = matches!(step, Step::Place(_)) && undo_placing(new).is_ok();
        fail(&step, e, undone)
    })
}

/// Steps 3 and 4: puts every staged item in place, removes the originals, then the staging
/// folder.
fn finish(
    old: &Path,
    new: &Path,
    moved: Vec<String>,
    mut left_behind: Vec<String>,
    before: &mut dyn FnMut(&Step) -> io::Result<()>,
) -> Result<MoveOutcome, (Step, io::Error)> {
    let staging = new.join(STAGING);
    for name in list(&staging).map_err(|e| (Step::Place(STAGING.into()), e))? {
        let step = Step::Place(name.clone());
        before(&step).map_err(|e| (step.clone(), e))?;
        let target = new.join(&name);
        if target.exists() {
            // Never overwrite: it stays staged, and its original stays in the old folder.
            log::warn!(
                "data folder: {} exists; {name} left staged",
                target.display()
            );
            continue;
        }
        std::fs::rename(staging.join(&name), &target).map_err(|e| (step, e))?;
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
        let removed = before(&Step::RemoveOld(name.clone())).and_then(|()| {
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
fn undo_placing(new: &Path) -> io::Result<()> {
    let staging = new.join(STAGING);
    for name in read_marker(&new.join(MARKER))? {
        let placed = new.join(&name);
        if !staging.join(&name).exists() && placed.exists() {
            std::fs::rename(&placed, staging.join(&name))?;
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

fn write_marker(new: &Path, moved: &[String]) -> io::Result<()> {
    use std::io::Write;
    let temp = new.join(MARKER_TEMP);
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(moved.join("\n").as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temp, new.join(MARKER))
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
