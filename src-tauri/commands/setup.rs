//! The first screen and the setup form.

use super::App;
use crate::cloud::CloudId;
use crate::context::AppContext;
use crate::problem::Problem;
use crate::setup::{FieldProblem, LockedBy, Locks, Resolved, Setup};
use serde::Serialize;
use std::path::Path;
use tauri::{AppHandle, Runtime, State};

/// What the UI needs to draw its first screen.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub demo: bool,
    pub first_run_done: bool,
    pub endpoints: Option<EndpointsInfo>,
    pub data_dir: String,
    pub startup_problem: Option<Problem>,
    /// `NUMBERDESK_*` variables set but not used because IT's preset locks the setup.
    pub ignored_hooks: Vec<&'static str>,
}

/// The endpoints in use, so the UI can show where sign-in and Graph calls go.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointsInfo {
    pub cloud: String,
    pub login_url: String,
    pub graph_url: String,
    /// False for the demo tenant and for test-hook endpoints: the UI shows a banner.
    pub microsoft: bool,
}

/// Facts for the first screen. `first_run_done` is what the settings say (never true while a
/// startup problem stands).
fn app_info_of(context: &AppContext, version: String, first_run_done: bool) -> AppInfo {
    // IT's preset beats the hooks' endpoints: show where sign-in really goes.
    let launch = context.resolve_setup(None);
    let cloud = if launch.ignored_hooks.contains(&crate::config::ENV_LOGIN_URL) {
        launch.cloud.as_ref()
    } else {
        context.cloud.as_ref()
    };
    AppInfo {
        version,
        demo: context.is_demo(),
        first_run_done: first_run_done && context.startup_problem.is_none(),
        endpoints: cloud.map(|cloud| EndpointsInfo {
            cloud: cloud.display_name().to_owned(),
            login_url: cloud.login_root(),
            graph_url: cloud.graph_root(),
            microsoft: cloud.is_microsoft(),
        }),
        data_dir: context.data_dir.display().to_string(),
        startup_problem: context.startup_problem.clone().map(Problem::from),
        ignored_hooks: launch.ignored_hooks,
    }
}

/// The setup form's contents and rules.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupView {
    pub cloud: CloudId,
    pub cloud_name: String,
    pub tenant: String,
    pub client_id: String,
    pub locks: Locks,
    pub locked_by: Option<LockedBy>,
    pub preset_path: String,
    pub preset_problem: Option<Problem>,
    /// `NUMBERDESK_*` variables set but not used because IT's preset locks the setup.
    pub ignored_hooks: Vec<&'static str>,
    pub problems: Vec<FieldProblem>,
    /// Accepted, but worth knowing (e.g. `organizations` needs a multi-tenant app).
    pub warnings: Vec<FieldProblem>,
    pub complete: bool,
    /// False for the US Government and China clouds: the UI warns before sign-in.
    pub telephone_api_available: bool,
    /// What the admin registers in Entra ID, with copy buttons beside the fields.
    pub redirect_uri: &'static str,
    pub permission: &'static str,
    pub names_permission: &'static str,
}

impl SetupView {
    pub fn new(resolved: &Resolved, preset_path: &Path) -> SetupView {
        let problems = resolved.problems();
        SetupView {
            cloud: resolved
                .cloud
                .as_ref()
                .map(|c| c.id)
                .unwrap_or(CloudId::Global),
            cloud_name: resolved
                .cloud
                .as_ref()
                .map(|cloud| cloud.display_name().to_owned())
                .unwrap_or_else(|| "Not chosen".into()),
            tenant: resolved.tenant.clone(),
            client_id: resolved.client_id.clone(),
            locks: resolved.locks,
            locked_by: resolved.locked_by,
            preset_path: preset_path.display().to_string(),
            preset_problem: resolved.preset_problem.as_ref().map(Problem::from),
            ignored_hooks: resolved.ignored_hooks.clone(),
            complete: problems.is_empty() && resolved.cloud.is_some(),
            problems,
            warnings: resolved.warnings(),
            telephone_api_available: resolved
                .cloud
                .as_ref()
                .map(|c| c.telephone_numbers_available())
                .unwrap_or(true),
            redirect_uri: "http://localhost",
            permission: crate::auth::entra::TELEPHONE_PERMISSION,
            names_permission: crate::auth::entra::NAMES_PERMISSION,
        }
    }
}

/// Facts for the first screen: version, demo or not, endpoints, first run or not.
#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>, state: State<'_, App>) -> Result<AppInfo, Problem> {
    let first_run_done =
        state.context.startup_problem.is_none() && state.settings(&app)?.first_run_done();
    let version = app.package_info().version.to_string();
    Ok(app_info_of(&state.context, version, first_run_done))
}

/// The admin went past the first-run screen; remember it (written on a blocking thread).
#[tauri::command]
pub async fn complete_first_run<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<(), Problem> {
    let settings = state.settings(&app)?;
    super::blocking(move || {
        settings.set_first_run_done()?;
        Ok(settings.save()?)
    })
    .await
}

/// The UI has drawn its first screen. Logs the launch time and puts NumberDesk in the tray;
/// with the benchmark hook set, prints the time and exits so a script can time many launches.
#[tauri::command]
pub fn ui_ready<R: Runtime>(app: AppHandle<R>, state: State<'_, App>) {
    let elapsed = state.context.started.elapsed();
    log::info!("first screen shown {} ms after launch", elapsed.as_millis());
    if std::env::var_os(crate::config::ENV_EXIT_WHEN_READY).is_some() {
        println!("ready_ms={}", elapsed.as_millis());
        app.exit(0);
        return;
    }
    super::start_tray(&app);
}

/// The setup in force, where it came from, and what is missing.
#[tauri::command]
pub fn get_setup<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<SetupView, Problem> {
    let resolved = state.resolved_setup(&app)?;
    Ok(SetupView::new(&resolved, &state.context.managed_preset))
}

/// What the setup form shows as it is typed: problems block saving, warnings do not.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupCheck {
    pub problems: Vec<FieldProblem>,
    pub warnings: Vec<FieldProblem>,
}

/// Checks the form as it is typed: one entry per field with a problem or a warning.
#[tauri::command]
pub fn check_setup(setup: Setup) -> SetupCheck {
    SetupCheck {
        problems: setup.problems(),
        warnings: setup.warnings(),
    }
}

/// Saves the admin's setup. Fields fixed by the demo, the test hooks or IT's preset stay as
/// they are. A changed tenant or app signs the current session out (and removes the kept list
/// of numbers).
#[tauri::command]
pub async fn save_setup<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    setup: Setup,
) -> Result<SetupView, Problem> {
    state.save_setup(&app, &setup).await
}

impl App {
    /// Saves a setup (from the form, or what "Set up for my organization" created): fields
    /// fixed by the demo, the test hooks or IT's preset stay as they are; a changed tenant or
    /// app signs the current session out (and removes the kept list of numbers).
    pub async fn save_setup<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        setup: &Setup,
    ) -> Result<SetupView, Problem> {
        let before = self.resolved_setup(app)?;
        let setup = before.accept(setup)?;
        let settings = self.settings(app)?;
        super::blocking(move || {
            settings.set_setup(&setup)?;
            Ok(settings.save()?)
        })
        .await?;
        let after = self.resolved_setup(app)?;
        if before.target() != after.target() {
            self.sign_out().await?;
        }
        Ok(SetupView::new(&after, &self.context.managed_preset))
    }
}

/// "Try it on a demo tenant": starts NumberDesk again on the demo, with a data folder of its
/// own (see `relaunch.rs` for why a new process), and ends this run.
#[tauri::command]
pub fn try_demo<R: Runtime>(app: AppHandle<R>, state: State<'_, App>) -> Result<(), Problem> {
    if state.context.is_demo() {
        return Ok(());
    }
    let chosen = std::env::var_os(crate::config::ENV_DATA_DIR).map(std::path::PathBuf::from);
    start_again(
        &app,
        crate::relaunch::into_demo(&state.context.data_dir, chosen.as_deref()),
    )
}

/// The demo banner's way back: starts NumberDesk again on the real setup, and ends the demo.
#[tauri::command]
pub fn leave_demo<R: Runtime>(app: AppHandle<R>, state: State<'_, App>) -> Result<(), Problem> {
    if !state.context.is_demo() {
        return Ok(());
    }
    start_again(
        &app,
        crate::relaunch::out_of_demo(std::env::var_os(crate::relaunch::ENV_DEMO_RETURN_DIR)),
    )
}

fn start_again<R: Runtime>(
    app: &AppHandle<R>,
    how: crate::relaunch::Relaunch,
) -> Result<(), Problem> {
    let program = std::env::current_exe().map_err(crate::problem::app::not_started_again)?;
    how.spawn(&program)
        .map_err(crate::problem::app::not_started_again)?;
    log::info!("started again ({:?}); this run ends", how.args);
    app.exit(0);
    Ok(())
}
