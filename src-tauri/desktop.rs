//! NumberDesk's life on the desktop around its windows: notifications, the global shortcut,
//! start at login, and the state they share. Wiring over Tauri plugins; the rules (what to
//! notify, what the menu shows) are in [`crate::lifecycle`], and what follows a record change
//! (the event, the tray menu, a notification) is announced by the commands.

use crate::lifecycle::BackgroundSettings;
use crate::settings::Settings;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use tauri::{AppHandle, Runtime};

/// The quick window's state and what the tray could do.
#[derive(Default)]
pub struct BackgroundState {
    /// A confirmation or a change in progress is on the quick window: do not hide it on blur.
    pub quick_busy: AtomicBool,
    /// False when the system has no tray: closing the main window then quits.
    pub tray_available: AtomicBool,
    /// The tray is still to be created (a desktop run, before its first screen was shown).
    pub tray_wanted: AtomicBool,
    /// Records already announced by a notification.
    notified: std::sync::Mutex<std::collections::HashSet<i64>>,
    /// Why the saved shortcut could not be registered at start, for Settings.
    shortcut_problem: std::sync::Mutex<Option<DesktopError>>,
}

impl BackgroundState {
    fn set_shortcut_problem(&self, problem: Option<DesktopError>) {
        *crate::locks::lock(&self.shortcut_problem) = problem;
    }

    /// Why the saved shortcut could not be registered at start, if it could not.
    pub fn shortcut_problem(&self) -> Option<DesktopError> {
        crate::locks::lock(&self.shortcut_problem).clone()
    }

    /// Whether record `id` is announced for the first time (and remembers that it was).
    pub fn first_notice(&self, id: i64) -> bool {
        crate::locks::lock(&self.notified).insert(id)
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

/// Applies Settings › Background (start at login, shortcut), then saves it in the settings
/// file of `data_dir`. A shortcut that cannot be set leaves the old one working and nothing
/// saved.
pub fn save_background<R: Runtime>(
    app: &AppHandle<R>,
    data_dir: &Path,
    background: &BackgroundState,
    settings: &BackgroundSettings,
) -> Result<(), DesktopError> {
    let store = Settings::open(app, data_dir)?;
    let before = store.background();
    if settings.start_at_login != before.start_at_login {
        set_start_at_login(app, settings.start_at_login)?;
    }
    if let Err(error) = apply_shortcut(app, settings) {
        // Keep the old shortcut working rather than none.
        let _ = apply_shortcut(app, &before);
        return Err(error);
    }
    background.set_shortcut_problem(None);
    store.set_background(settings)?;
    store.save()?;
    Ok(())
}
