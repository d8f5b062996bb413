//! What the running app knows about how it was started: endpoints, identity of the app
//! registration, the data folder, and any problem found while starting.
//!
//! Built once at launch and then read by the commands. It has no `tauri` import so that the
//! rules (which endpoints win, what the demo sets) are tested without a window.

use crate::cloud::Cloud;
use crate::config::{LaunchError, LaunchOptions};
use numberdesk_sim::SimTenant;
use std::path::PathBuf;
use std::time::Instant;

/// The running app's launch facts. Managed as Tauri state.
pub struct AppContext {
    /// When the process started, for the launch-time figure.
    pub started: Instant,
    /// The simulated tenant, when running `--demo`. Dropping it stops its server.
    pub demo: Option<SimTenant>,
    /// The endpoints in use, when known at launch (demo or test hooks).
    pub cloud: Option<Cloud>,
    /// The tenant (GUID, domain or `organizations`), when known at launch.
    pub tenant: Option<String>,
    /// The app registration's client ID, when known at launch.
    pub client_id: Option<String>,
    /// Where settings, history and logs live.
    pub data_dir: PathBuf,
    /// Set when the data folder's move is unfinished (or the roaming folder could not be
    /// reached): the settings file is not in place, so it is neither read nor written this run
    /// (the settings store would write it on exit and keep the real one from its place).
    pub settings_withheld: bool,
    /// A problem found while starting; the UI shows it instead of carrying on silently.
    pub startup_problem: Option<StartupError>,
    /// Where IT's managed preset is read from.
    pub managed_preset: PathBuf,
    /// `NUMBERDESK_MANAGED_PRESET` was set, but IT's preset file exists and was used instead.
    pub preset_override_ignored: bool,
}

/// What stops NumberDesk from working normally from the start (shown on the first screen).
#[derive(Debug, Clone, thiserror::Error)]
pub enum StartupError {
    /// A `NUMBERDESK_*` variable or argument it cannot use.
    #[error("started with a setting it cannot use: {0}")]
    Launch(LaunchError),
    /// The built-in demo tenant's server could not start.
    #[error("the demo tenant could not start: {0}")]
    DemoTenant(String),
    /// The data folder cannot be created.
    #[error("cannot create the data folder {dir}: {reason}")]
    DataFolder { dir: PathBuf, reason: String },
    /// Moving the data from the roaming to the local folder stopped half-way: neither folder
    /// is safe to use this run.
    #[error("moving the data folder did not finish: {0}")]
    MoveUnfinished(String),
    /// The roaming folder that holds the data of an earlier version cannot be reached (an
    /// offline network share): nothing was moved or created.
    #[error("the roaming folder {dir} cannot be reached: {reason}")]
    RoamingUnreachable { dir: PathBuf, reason: String },
    /// The history database cannot be opened.
    #[error("the history cannot be opened: {reason}")]
    History { reason: String, hint: String },
}

impl AppContext {
    /// Combines the launch options with the running demo tenant (if any) and the data folder.
    pub fn new(
        started: Instant,
        options: Result<LaunchOptions, LaunchError>,
        demo: Option<Result<SimTenant, std::io::Error>>,
        default_data_dir: PathBuf,
    ) -> AppContext {
        let mut context = AppContext {
            started,
            demo: None,
            cloud: None,
            tenant: None,
            client_id: None,
            data_dir: default_data_dir,
            settings_withheld: false,
            startup_problem: None,
            managed_preset: crate::setup::managed_preset_path(),
            preset_override_ignored: false,
        };
        let options = match options {
            Ok(options) => options,
            Err(error) => {
                context.startup_problem = Some(StartupError::Launch(error));
                return context;
            }
        };
        (context.managed_preset, context.preset_override_ignored) =
            crate::setup::preset_location(context.managed_preset, options.managed_preset);
        if let Some(dir) = options.data_dir {
            context.data_dir = dir;
        }
        context.cloud = options.custom_cloud;
        context.tenant = options.tenant;
        context.client_id = options.client_id;
        match demo {
            None => {}
            Some(Ok(tenant)) => {
                context.cloud = Cloud::demo(&tenant.login_url(), &tenant.graph_url()).ok();
                context.tenant = Some(numberdesk_sim::DEMO_TENANT_ID.to_owned());
                context.client_id = Some(numberdesk_sim::DEMO_CLIENT_ID.to_owned());
                context.demo = Some(tenant);
            }
            Some(Err(error)) => {
                context.startup_problem = Some(StartupError::DemoTenant(error.to_string()));
            }
        }
        context
    }

    /// What the launch fixes of the setup: in demo mode the demo's endpoints, with its own app's
    /// tenant and client ID as where it starts (setup may replace them in the demo's own
    /// settings, see [`crate::setup::resolve`]); what the test hooks set otherwise.
    pub fn launch_fixed(&self) -> crate::setup::LaunchFixed {
        use crate::setup::LockedBy;
        crate::setup::LaunchFixed {
            cloud: self.cloud.clone(),
            tenant: self.tenant.clone(),
            client_id: self.client_id.clone(),
            by: if self.is_demo() {
                Some(LockedBy::Demo)
            } else if self.cloud.is_some() || self.tenant.is_some() || self.client_id.is_some() {
                Some(LockedBy::TestHooks)
            } else {
                None
            },
            preset_override_ignored: self.preset_override_ignored,
        }
    }

    /// The folder the settings file may be opened in: none while the data folder's move is
    /// unfinished ([`AppContext::settings_withheld`]).
    pub fn settings_folder(&self) -> Result<&std::path::Path, SettingsWithheld> {
        if self.settings_withheld {
            return Err(SettingsWithheld);
        }
        Ok(&self.data_dir)
    }

    /// Whether the app runs against the built-in demo tenant.
    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }
}

/// The settings are not in place this run: the data folder's move did not finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("they are not in place yet, because moving the data folder did not finish")]
pub struct SettingsWithheld;

impl AppContext {
    /// The setup in force: the launch's fixed fields, IT's preset, then what the admin saved.
    pub fn resolve_setup(&self, saved: Option<crate::setup::Setup>) -> crate::setup::Resolved {
        let preset = crate::setup::read_managed_preset(&self.managed_preset);
        crate::setup::resolve(&self.launch_fixed(), preset, saved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// While the data folder's move is unfinished, no one gets a folder to open the settings
    /// store in (it would write `settings.json` on exit where the staged one must go).
    #[test]
    fn the_settings_folder_is_withheld_while_the_move_is_unfinished() {
        let dir = PathBuf::from("local-data");
        let options = LaunchOptions::parse(std::iter::empty::<String>(), |_| None);
        let mut context = AppContext::new(Instant::now(), options, None, dir.clone());
        assert_eq!(context.settings_folder().unwrap(), dir.as_path());
        context.settings_withheld = true;
        let refused = context.settings_folder().unwrap_err();
        assert!(
            refused.to_string().contains("moving the data folder"),
            "{refused}"
        );
    }
}
