//! "Try it on a demo tenant" and the way back: NumberDesk starts itself again, with `--demo`
//! and a data folder of the demo's own, or without them.
//!
//! Why a new process rather than switching in place: the launch facts (endpoints, the demo's
//! server, the data folder, the keyring profile, the history database, the settings store) are
//! settled once at start and shared by every command and window; switching them under running
//! workflows, a bulk run or the tray would be a second, rarely used start-up path. Starting
//! again runs the one start-up path there is. The demo keeps its data in a `demo` folder inside
//! the real data folder, and so its own keyring profile (profiles follow the data folder), so
//! nothing of the demo mixes with a real tenant's. The demo runs under its own single-instance
//! name ([`single_instance_id`]), so the new process is never folded into the old one while that
//! one is still exiting.

use crate::config::{ENV_CLIENT_ID, ENV_DATA_DIR, ENV_GRAPH_URL, ENV_LOGIN_URL, ENV_TENANT};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The demo's data folder, inside the real one.
pub const DEMO_FOLDER: &str = "demo";
/// Set on a demo started from the first screen: the `NUMBERDESK_DATA_DIR` to go back to (empty:
/// the usual place).
pub const ENV_DEMO_RETURN_DIR: &str = "NUMBERDESK_DEMO_RETURN_DIR";

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
    /// Starts `program` as described, detached from this process's standard streams.
    pub fn spawn(&self, program: &Path) -> std::io::Result<std::process::Child> {
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
    fn the_demo_and_a_real_run_have_different_single_instance_names() {
        assert_eq!(single_instance_id("app.nd", false), "app.nd");
        assert_eq!(single_instance_id("app.nd", true), "app.nd.demo");
    }
}
