//! Tauri commands: thin wrappers that read input, call the core, and turn errors into a
//! [`Problem`]. Every command here must also be listed in `build.rs` and granted in the
//! capability file of each window that calls it.

use crate::context::AppContext;
use crate::problem::Problem;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_store::StoreExt;

/// The settings file inside the data folder (tauri-plugin-store).
pub const SETTINGS_FILE: &str = "settings.json";
/// Set once the admin has gone past the first-run screen.
const KEY_FIRST_RUN_DONE: &str = "firstRunDone";

/// What the UI needs to draw its first screen.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub demo: bool,
    pub first_run_done: bool,
    pub endpoints: Option<EndpointsInfo>,
    pub data_dir: String,
    pub startup_problem: Option<Problem>,
}

/// The endpoints in use, so the UI can show where sign-in and Graph calls go.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointsInfo {
    pub cloud: String,
    pub login_url: String,
    pub graph_url: String,
    /// False for the demo tenant and for test-hook endpoints: the UI shows a banner.
    pub microsoft: bool,
}

fn settings_problem(error: impl std::fmt::Display) -> Problem {
    Problem::new(
        "settings",
        format!("NumberDesk could not read or save its settings: {error}."),
        "Check that the data folder shown in Settings exists and that you can write to it, \
         then try again.",
    )
}

fn settings_store<R: Runtime>(
    app: &AppHandle<R>,
    context: &AppContext,
) -> Result<std::sync::Arc<tauri_plugin_store::Store<R>>, Problem> {
    app.store(context.data_dir.join(SETTINGS_FILE))
        .map_err(settings_problem)
}

/// Facts for the first screen: version, demo or not, endpoints, first run or not.
#[tauri::command]
pub fn app_info<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
) -> Result<AppInfo, Problem> {
    let first_run_done = if context.startup_problem.is_some() {
        false
    } else {
        settings_store(&app, &context)?
            .get(KEY_FIRST_RUN_DONE)
            .and_then(|value| value.as_bool())
            .unwrap_or(false)
    };
    Ok(AppInfo {
        version: app.package_info().version.to_string(),
        demo: context.is_demo(),
        first_run_done,
        endpoints: context.cloud.as_ref().map(|cloud| EndpointsInfo {
            cloud: if context.is_demo() {
                "Demo tenant (simulated on this computer)".to_owned()
            } else {
                cloud.display_name().to_owned()
            },
            login_url: cloud.login_root(),
            graph_url: cloud.graph_root(),
            microsoft: cloud.is_microsoft(),
        }),
        data_dir: context.data_dir.display().to_string(),
        startup_problem: context.startup_problem.clone(),
    })
}

/// The admin went past the first-run screen; remember it.
#[tauri::command]
pub fn complete_first_run<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
) -> Result<(), Problem> {
    let store = settings_store(&app, &context)?;
    store.set(KEY_FIRST_RUN_DONE, true);
    store.save().map_err(settings_problem)
}

/// The UI has drawn its first screen. Logs the launch time; with the benchmark hook set,
/// prints it and exits so a script can time many launches.
#[tauri::command]
pub fn ui_ready<R: Runtime>(app: AppHandle<R>, context: State<'_, AppContext>) {
    let elapsed = context.started.elapsed();
    log::info!("first screen shown {} ms after launch", elapsed.as_millis());
    if std::env::var_os(crate::config::ENV_EXIT_WHEN_READY).is_some() {
        println!("ready_ms={}", elapsed.as_millis());
        app.exit(0);
    }
}
