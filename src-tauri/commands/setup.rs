//! The first screen and the setup form.

use super::App;
use crate::context::AppInfo;
use crate::problem::Problem;
use crate::setup::{FieldProblem, Setup, SetupView};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

/// Facts for the first screen: version, demo or not, endpoints, first run or not.
#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>, state: State<'_, App>) -> Result<AppInfo, Problem> {
    let first_run_done =
        state.context.startup_problem.is_none() && state.settings(&app)?.first_run_done();
    let version = app.package_info().version.to_string();
    Ok(state.context.app_info(version, first_run_done))
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

/// The UI has drawn its first screen. Logs the launch time; with the benchmark hook set,
/// prints it and exits so a script can time many launches.
#[tauri::command]
pub fn ui_ready<R: Runtime>(app: AppHandle<R>, state: State<'_, App>) {
    let elapsed = state.context.started.elapsed();
    log::info!("first screen shown {} ms after launch", elapsed.as_millis());
    if std::env::var_os(crate::config::ENV_EXIT_WHEN_READY).is_some() {
        println!("ready_ms={}", elapsed.as_millis());
        app.exit(0);
    }
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
    let before = state.resolved_setup(&app)?;
    let setup = before.accept(&setup)?;
    let settings = state.settings(&app)?;
    super::blocking(move || {
        settings.set_setup(&setup)?;
        Ok(settings.save()?)
    })
    .await?;
    let after = state.resolved_setup(&app)?;
    if before.target() != after.target() {
        state.sign_out().await?;
    }
    Ok(SetupView::new(&after, &state.context.managed_preset))
}
