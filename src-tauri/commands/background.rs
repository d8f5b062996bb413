//! The tray's quick window and Settings › Background.

use super::App;
use crate::desktop::{BackgroundState, DesktopError};
use crate::lifecycle::BackgroundSettings;
use crate::problem::Problem;
use crate::tray;
use serde::Serialize;
use std::sync::atomic::Ordering;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

/// Settings › Background, with a problem to show if the saved shortcut could not be set.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackgroundView {
    #[serde(flatten)]
    pub settings: BackgroundSettings,
    pub shortcut_problem: Option<Problem>,
    pub tray_available: bool,
}

impl BackgroundView {
    pub fn new(settings: BackgroundSettings, state: &BackgroundState) -> BackgroundView {
        BackgroundView {
            settings,
            shortcut_problem: state.shortcut_problem().map(Problem::from),
            tray_available: state.tray_available.load(Ordering::SeqCst),
        }
    }
}

/// Opens the quick window (what the tray's left click and menu do). Async, because the first
/// call creates the window, which must not happen inside a synchronous command (WebView2
/// deadlocks there on Windows).
#[tauri::command]
pub async fn show_quick_window<R: Runtime>(app: AppHandle<R>) -> Result<(), Problem> {
    tray::try_show_quick(&app).map_err(crate::problem::app::quick_window_failed)
}

fn hide_quick<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(tray::QUICK_WINDOW) {
        let _ = window.hide();
    }
}

/// Hides the quick window (Esc, Close).
#[tauri::command]
pub fn hide_quick_window<R: Runtime>(app: AppHandle<R>, state: State<'_, App>) {
    state.background.quick_busy.store(false, Ordering::SeqCst);
    hide_quick(&app);
}

/// The quick window says whether something is on screen that must not vanish.
#[tauri::command]
pub fn set_quick_busy(state: State<'_, App>, busy: bool) {
    state.background.quick_busy.store(busy, Ordering::SeqCst);
}

/// Opens a History record in the main window.
#[tauri::command]
pub fn open_record_in_main<R: Runtime>(app: AppHandle<R>, id: i64) {
    tray::show_main(&app);
    let _ = app.emit_to(tray::MAIN_WINDOW, tray::OPEN_RECORD, id);
    hide_quick(&app);
}

/// Hands over to the main window's sign-in screen.
#[tauri::command]
pub fn open_sign_in_in_main<R: Runtime>(app: AppHandle<R>) {
    tray::show_main(&app);
    let _ = app.emit_to(tray::MAIN_WINDOW, tray::SHOW_SIGN_IN, false);
    hide_quick(&app);
}

/// Settings › Background.
#[tauri::command]
pub fn get_background_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> BackgroundView {
    let settings = state
        .settings(&app)
        .map(|s| s.background())
        .unwrap_or_default();
    BackgroundView::new(settings, &state.background)
}

/// Saves Settings › Background and applies it (start at login, shortcut), on a blocking
/// thread: it writes the settings file and the login item (the shortcut plugin hands its part
/// to the main thread itself).
#[tauri::command]
pub async fn save_background_settings<R: Runtime>(
    app: AppHandle<R>,
    settings: BackgroundSettings,
) -> Result<BackgroundView, Problem> {
    super::blocking(move || {
        let state = app.state::<App>();
        crate::desktop::save_background(
            &app,
            state
                .context
                .settings_folder()
                .map_err(|w| DesktopError::from(crate::settings::SettingsError::from(w)))?,
            &state.background,
            &settings,
        )?;
        Ok(BackgroundView::new(settings, &state.background))
    })
    .await
}
