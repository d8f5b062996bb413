//! "Try it on a demo tenant" and the way back: NumberDesk starts itself again, with `--demo`
//! and a data folder of the demo's own, or without them.
//!
//! Why a new process rather than switching in place: the launch facts (endpoints, the demo's
//! server, the data folder, the keyring profile, the history database, the settings store) are
//! settled once at start and shared by every command and window; switching them under running
//! workflows, a bulk run or the tray would be a second, rarely used start-up path. Starting
//! again runs the one start-up path there is. The demo keeps its data in a `demo` folder inside
//! the real data folder, and so its own keyring profile (profiles follow the data folder), so
//! nothing of the demo mixes with a real tenant's.
//!
//! The new process must never be folded into the old one while that one is still exiting (it
//! would hand itself over to a dying window and leave the admin with none). The demo has a
//! single-instance name of its own ([`single_instance_id`]), but the plugin uses that name on
//! Linux only: on Windows and macOS a real run and a demo share the app's identifier. So the old
//! process holds a lock file until it has gone ([`hold_until_exit`]; the operating system lets
//! go of it when the process ends, however it ends) and passes its path on; the new process
//! waits for it ([`wait_for_handover`]) before anything else starts. File locks behave the same
//! on the three systems (`LockFileEx` on Windows, `flock` elsewhere), so this is tested here.

use crate::config::{ENV_CLIENT_ID, ENV_DATA_DIR, ENV_GRAPH_URL, ENV_LOGIN_URL, ENV_TENANT};
use std::ffi::OsString;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The demo's data folder, inside the real one.
pub const DEMO_FOLDER: &str = "demo";
/// Set on a demo started from the first screen: the `NUMBERDESK_DATA_DIR` to go back to (empty:
/// the usual place).
pub const ENV_DEMO_RETURN_DIR: &str = "NUMBERDESK_DEMO_RETURN_DIR";

/// Set on a process started again: the lock file the run before it holds until it has gone.
pub const ENV_HANDOVER: &str = "NUMBERDESK_HANDOVER";
/// How long a new process waits for the run before it to go; then it starts anyway.
pub const HANDOVER_PATIENCE: Duration = Duration::from_secs(10);

/// A lock file held by this process.
#[derive(Debug)]
pub struct Handover {
    path: PathBuf,
    _file: File,
}

impl Handover {
    /// Creates and locks `numberdesk-handover-<process id>.lock` in `dir`.
    pub fn hold(dir: &Path) -> std::io::Result<Handover> {
        let path = dir.join(format!("numberdesk-handover-{}.lock", std::process::id()));
        let file = File::create(&path)?;
        file.lock()?;
        Ok(Handover { path, _file: file })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Holds a handover lock in the temporary folder until this process ends, and gives its path.
pub fn hold_until_exit() -> std::io::Result<&'static Path> {
    static HELD: std::sync::OnceLock<Handover> = std::sync::OnceLock::new();
    if let Some(held) = HELD.get() {
        return Ok(held.path());
    }
    let held = Handover::hold(&std::env::temp_dir())?;
    Ok(HELD.get_or_init(|| held).path())
}

/// What the wait for the run before found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandedOver {
    /// This process was not started again by NumberDesk.
    NotARelaunch,
    /// The run before has gone (or its lock file could not be read: there is nothing to wait for).
    Gone,
    /// The run before still holds its lock after `patience`.
    StillThere,
}

/// Waits, at most `patience`, until the process that started this one has let go of its lock
/// file at `path` (from [`ENV_HANDOVER`]), then removes the file.
pub fn wait_for_handover(path: Option<&Path>, patience: Duration) -> HandedOver {
    let Some(path) = path.filter(|p| !p.as_os_str().is_empty()) else {
        return HandedOver::NotARelaunch;
    };
    let Ok(file) = File::open(path) else {
        return HandedOver::Gone;
    };
    let deadline = Instant::now() + patience;
    loop {
        match file.try_lock() {
            Ok(()) => {
                drop(file);
                let _ = std::fs::remove_file(path);
                return HandedOver::Gone;
            }
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(TryLockError::WouldBlock) => return HandedOver::StillThere,
            Err(TryLockError::Error(error)) => {
                log::warn!("could not wait for the run before: {error}");
                return HandedOver::Gone;
            }
        }
    }
}

/// How to start NumberDesk again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relaunch {
    pub args: Vec<String>,
    pub set: Vec<(&'static str, OsString)>,
    pub remove: Vec<&'static str>,
}

/// Into the demo, from a real run whose data folder is `data_dir` (`custom` when it was chosen
/// with `NUMBERDESK_DATA_DIR`). The endpoint and tenant variables are left out: the demo has
/// its own, and `--demo` refuses custom endpoints.
pub fn into_demo(data_dir: &Path, custom: Option<&Path>) -> Relaunch {
    Relaunch {
        args: vec!["--demo".into()],
        set: vec![
            (ENV_DATA_DIR, data_dir.join(DEMO_FOLDER).into_os_string()),
            (
                ENV_DEMO_RETURN_DIR,
                custom.map(|d| d.as_os_str().to_owned()).unwrap_or_default(),
            ),
        ],
        remove: vec![ENV_LOGIN_URL, ENV_GRAPH_URL, ENV_TENANT, ENV_CLIENT_ID],
    }
}

/// Out of the demo, back to the real setup: the data folder the demo was started from
/// (`return_dir`, from [`ENV_DEMO_RETURN_DIR`]; none or empty: the usual place).
pub fn out_of_demo(return_dir: Option<OsString>) -> Relaunch {
    let return_dir = return_dir.filter(|d| !d.is_empty());
    let mut relaunch = Relaunch {
        args: Vec::new(),
        set: Vec::new(),
        remove: vec![ENV_DEMO_RETURN_DIR],
    };
    match return_dir {
        Some(dir) => relaunch.set.push((ENV_DATA_DIR, dir)),
        None => relaunch.remove.push(ENV_DATA_DIR),
    }
    relaunch
}

/// The data folder of a demo started without `NUMBERDESK_DATA_DIR`: the `demo` folder inside
/// the usual one.
pub fn demo_data_dir(usual: &Path) -> PathBuf {
    usual.join(DEMO_FOLDER)
}

/// The single-instance name: the app's identifier, with `.demo` for the demo, so a real run
/// and a demo each have one instance and never fold into each other.
pub fn single_instance_id(identifier: &str, demo: bool) -> String {
    if demo {
        format!("{identifier}.demo")
    } else {
        identifier.to_owned()
    }
}

impl Relaunch {
    /// Starts `program` as described, detached from this process's standard streams; it waits
    /// for this process to end ([`hold_until_exit`]) before it starts its window. When no lock
    /// can be held (the temporary folder refuses the file) it starts all the same, as before
    /// there was one: the restart matters more than the wait.
    pub fn spawn(&self, program: &Path) -> std::io::Result<std::process::Child> {
        let handover = hold_until_exit()
            .inspect_err(|error| {
                log::warn!("starting again without waiting for this run to end: {error}")
            })
            .ok();
        let mut command = std::process::Command::new(program);
        command
            .args(&self.args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for name in &self.remove {
            command.env_remove(name);
        }
        for (name, value) in &self.set {
            command.env(name, value);
        }
        match handover {
            Some(path) => command.env(ENV_HANDOVER, path),
            None => command.env_remove(ENV_HANDOVER),
        };
        command.spawn()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_gets_its_own_folder_and_none_of_the_real_endpoints() {
        let into = into_demo(Path::new("/data/nd"), None);
        assert_eq!(into.args, ["--demo"]);
        assert!(into
            .set
            .contains(&(ENV_DATA_DIR, OsString::from("/data/nd/demo"))));
        assert!(into.set.contains(&(ENV_DEMO_RETURN_DIR, OsString::new())));
        for name in [ENV_LOGIN_URL, ENV_GRAPH_URL, ENV_TENANT, ENV_CLIENT_ID] {
            assert!(into.remove.contains(&name), "{name}");
        }
        // Back from it: the usual place, without --demo.
        let back = out_of_demo(Some(OsString::new()));
        assert!(back.args.is_empty());
        assert!(back.remove.contains(&ENV_DATA_DIR));
        assert!(back.set.is_empty());
    }

    #[test]
    fn a_chosen_data_folder_is_kept_for_the_way_back() {
        let into = into_demo(Path::new("/x/nd"), Some(Path::new("/x/nd")));
        assert!(into
            .set
            .contains(&(ENV_DEMO_RETURN_DIR, OsString::from("/x/nd"))));
        let back = out_of_demo(Some(OsString::from("/x/nd")));
        assert_eq!(back.set, vec![(ENV_DATA_DIR, OsString::from("/x/nd"))]);
        assert!(!back.remove.contains(&ENV_DATA_DIR));
    }

    #[test]
    fn a_new_run_waits_until_the_run_before_has_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let old = Handover::hold(dir.path()).unwrap();
        let path = old.path().to_owned();
        let waiting = std::thread::spawn({
            let path = path.clone();
            move || {
                let began = Instant::now();
                (
                    wait_for_handover(Some(&path), Duration::from_secs(20)),
                    began.elapsed(),
                )
            }
        });
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            !waiting.is_finished(),
            "started while the run before still held on"
        );
        drop(old); // what the end of the old process does
        let (found, waited) = waiting.join().unwrap();
        assert_eq!(found, HandedOver::Gone);
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        assert!(!path.exists(), "the lock file is removed once used");
    }

    #[test]
    fn a_run_before_that_never_lets_go_is_waited_for_only_so_long() {
        let dir = tempfile::tempdir().unwrap();
        let old = Handover::hold(dir.path()).unwrap();
        assert_eq!(
            wait_for_handover(Some(old.path()), Duration::from_millis(100)),
            HandedOver::StillThere
        );
        assert_eq!(
            wait_for_handover(None, Duration::from_secs(5)),
            HandedOver::NotARelaunch
        );
        // A file already gone: the run before removed nothing, but there is nothing to wait for.
        assert_eq!(
            wait_for_handover(Some(&dir.path().join("none.lock")), Duration::from_secs(5)),
            HandedOver::Gone
        );
    }

    #[test]
    fn the_demo_and_a_real_run_have_different_single_instance_names() {
        assert_eq!(single_instance_id("app.nd", false), "app.nd");
        assert_eq!(single_instance_id("app.nd", true), "app.nd.demo");
    }
}
