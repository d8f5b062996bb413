//! NumberDesk's life on the desktop around its windows: notifications, the global shortcut,
//! start at login, and what follows a record change (the event, the tray menu, a
//! notification). Wiring over Tauri plugins; the rules (what to notify, what the menu shows)
//! are in [`crate::lifecycle`].

use crate::commands::App;
use crate::desk::RecordView;
use crate::history::HistoryQuery;
use crate::lifecycle::BackgroundSettings;
use crate::problem::Problem;
use crate::settings::Settings;
use crate::tray;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// The event every record change is announced with (payload: a [`RecordView`]).
pub const OPERATION_UPDATED: &str = "operation-updated";

/// The quick window's state and what the tray could do.
#[derive(Default)]
pub struct BackgroundState {
    /// A confirmation or a change in progress is on the quick window: do not hide it on blur.
    pub quick_busy: AtomicBool,
    /// False when the system has no tray: closing the main window then quits.
    pub tray_available: AtomicBool,
    /// Records already announced by a notification.
    notified: std::sync::Mutex<std::collections::HashSet<i64>>,
    /// Why the saved shortcut could not be registered at start, for Settings.
    shortcut_problem: std::sync::Mutex<Option<DesktopError>>,
}

impl BackgroundState {
    fn set_shortcut_problem(&self, problem: Option<DesktopError>) {
        *self
            .shortcut_problem
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = problem;
    }
}

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
            shortcut_problem: state
                .shortcut_problem
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
                .map(Problem::from),
            tray_available: state.tray_available.load(Ordering::SeqCst),
        }
    }
}

/// Shows a desktop notification; refusals by the OS (no permission, no notification service)
/// are logged quietly.
pub fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    if let Err(error) = app.notification().builder().title(title).body(body).show() {
        log::info!("notification not shown: {error}");
    }
}

/// Why Settings › Background could not be applied.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DesktopError {
    /// The shortcut is not a key combination, or something else holds it.
    #[error("the shortcut {shortcut:?} could not be set: {why}")]
    Shortcut {
        shortcut: String,
        why: ShortcutRefusal,
    },
    #[error("start at login could not be changed: {0}")]
    StartAtLogin(String),
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
}

/// Why a shortcut could not be registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ShortcutRefusal {
    #[error("not a key combination")]
    NotUnderstood,
    #[error("already in use")]
    Taken,
}

/// Registers (or removes) the global shortcut that opens the quick window.
pub fn apply_shortcut<R: Runtime>(
    app: &AppHandle<R>,
    settings: &BackgroundSettings,
) -> Result<(), DesktopError> {
    use tauri_plugin_global_shortcut::GlobalShortcutExt;
    let shortcuts = app.global_shortcut();
    let _ = shortcuts.unregister_all();
    if !settings.shortcut_enabled {
        return Ok(());
    }
    let shortcut: tauri_plugin_global_shortcut::Shortcut =
        settings.shortcut.parse().map_err(|error| {
            log::info!("shortcut {:?} not understood: {error}", settings.shortcut);
            DesktopError::Shortcut {
                shortcut: settings.shortcut.clone(),
                why: ShortcutRefusal::NotUnderstood,
            }
        })?;
    shortcuts.register(shortcut).map_err(|error| {
        log::info!("shortcut {:?} not registered: {error}", settings.shortcut);
        DesktopError::Shortcut {
            shortcut: settings.shortcut.clone(),
            why: ShortcutRefusal::Taken,
        }
    })
}

/// At start: registers the saved shortcut; a failure is kept for Settings to show.
pub fn apply_saved_shortcut<R: Runtime>(
    app: &AppHandle<R>,
    settings: &BackgroundSettings,
    state: &BackgroundState,
) {
    if !settings.shortcut_enabled {
        // Nothing is registered yet at start; asking the shortcut thread to unregister all
        // would only wait for it (up to tens of milliseconds on X11) before the first screen.
        return;
    }
    if let Err(error) = apply_shortcut(app, settings) {
        log::warn!("{error}");
        state.set_shortcut_problem(Some(error));
    }
}

fn set_start_at_login<R: Runtime>(app: &AppHandle<R>, enabled: bool) -> Result<(), DesktopError> {
    use tauri_plugin_autostart::ManagerExt;
    let autolaunch = app.autolaunch();
    let result = if enabled {
        autolaunch.enable()
    } else {
        autolaunch.disable()
    };
    result.map_err(|error| DesktopError::StartAtLogin(error.to_string()))
}

/// Applies Settings › Background (start at login, shortcut), then saves it. A shortcut that
/// cannot be set leaves the old one working and nothing saved.
pub fn save_background<R: Runtime>(
    app: &AppHandle<R>,
    state: &App,
    settings: BackgroundSettings,
) -> Result<BackgroundView, DesktopError> {
    let store = Settings::open(app, state.context.settings_folder()?)?;
    let before = store.background();
    if settings.start_at_login != before.start_at_login {
        set_start_at_login(app, settings.start_at_login)?;
    }
    if let Err(error) = apply_shortcut(app, &settings) {
        // Keep the old shortcut working rather than none.
        let _ = apply_shortcut(app, &before);
        return Err(error);
    }
    state.background.set_shortcut_problem(None);
    store.set_background(&settings)?;
    store.save()?;
    Ok(BackgroundView::new(settings, &state.background))
}

/// Rebuilds the tray menu: the account and the five newest changes.
pub async fn refresh_tray<R: Runtime>(app: &AppHandle<R>) {
    let Some(state) = app.try_state::<App>() else {
        return;
    };
    let account = state
        .auth
        .service
        .session()
        .status()
        .await
        .account
        .map(|a| a.username);
    let history = state.desks.history.clone().ok();
    let recent: Vec<RecordView> = tauri::async_runtime::spawn_blocking(move || {
        history
            .and_then(|history| {
                history
                    .list(&HistoryQuery {
                        limit: crate::lifecycle::RECENT_IN_MENU as u32,
                        ..Default::default()
                    })
                    .ok()
            })
            .map(|page| {
                page.records
                    .into_iter()
                    .map(|r| RecordView::from(crate::problem::records::worded(r)))
                    .collect()
            })
            .unwrap_or_default()
    })
    .await
    .unwrap_or_default();
    tray::refresh(app, account.as_deref(), &recent);
}

/// Everything that follows a record change: the event for the windows, the tray menu, and a
/// notification when it has just settled.
pub fn record_changed<R: Runtime>(app: &AppHandle<R>, record: &RecordView) {
    let record = &crate::problem::records::worded_view(record.clone());
    // For support: ids and status only, never the number or the assignee.
    let r = &record.record;
    log::info!(
        "change #{} ({}) is {}; request-id {}, client-request-id {}",
        r.id,
        r.kind.as_str(),
        r.status,
        r.request_id.as_deref().unwrap_or("none"),
        r.client_request_id
    );
    if let Err(error) = app.emit(OPERATION_UPDATED, record) {
        log::warn!("could not announce a record change: {error}");
    }
    if let Some((title, body)) = crate::lifecycle::settled_notification(record) {
        if let Some(state) = app.try_state::<App>() {
            let first_time = state
                .background
                .notified
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(record.record.id);
            let wanted = state
                .context
                .settings_folder()
                .and_then(|dir| Settings::open(app, dir))
                .map(|s| s.background().notifications)
                .unwrap_or(false);
            if first_time && wanted {
                notify(app, &title, &body);
            }
        }
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move { refresh_tray(&app).await });
}
