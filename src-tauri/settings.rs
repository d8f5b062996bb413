//! The settings file (`settings.json` in the data folder, tauri-plugin-store): every key
//! NumberDesk keeps there, read and written here and nowhere else.
//!
//! Writes go to disk at once; callers on an async command run [`Settings::save`] on a
//! blocking thread.

use crate::lifecycle::BackgroundSettings;
use crate::setup::Setup;
use std::path::Path;
use std::sync::Arc;
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::{Store, StoreExt};

/// The settings file inside the data folder.
pub const SETTINGS_FILE: &str = crate::data_folder::SETTINGS_FILE;
/// Set once the admin has gone past the first-run screen.
const KEY_FIRST_RUN_DONE: &str = "firstRunDone";
/// The admin's setup (cloud, tenant, client ID).
const KEY_SETUP: &str = "setup";
/// Settings › Background.
const KEY_BACKGROUND: &str = "background";
/// Set once the admin has been told that closing the window keeps NumberDesk in the tray.
pub const KEY_TRAY_NOTICE_SHOWN: &str = "trayNoticeShown";

/// The settings file could not be read or written (the store's own words).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

impl SettingsError {
    fn of(error: impl std::fmt::Display) -> SettingsError {
        SettingsError(error.to_string())
    }
}

impl From<crate::context::SettingsWithheld> for SettingsError {
    fn from(withheld: crate::context::SettingsWithheld) -> SettingsError {
        SettingsError::of(withheld)
    }
}

/// The open settings file.
pub struct Settings<R: Runtime>(Arc<Store<R>>);

impl<R: Runtime> Settings<R> {
    pub fn open(app: &AppHandle<R>, data_dir: &Path) -> Result<Settings<R>, SettingsError> {
        app.store(data_dir.join(SETTINGS_FILE))
            .map(Settings)
            .map_err(SettingsError::of)
    }

    fn flag(&self, key: &str) -> bool {
        self.0.get(key).and_then(|v| v.as_bool()).unwrap_or(false)
    }

    fn set(&self, key: &str, value: impl serde::Serialize) -> Result<(), SettingsError> {
        self.0
            .set(key, serde_json::to_value(value).map_err(SettingsError::of)?);
        Ok(())
    }

    /// Writes the file (blocks on the disk).
    pub fn save(&self) -> Result<(), SettingsError> {
        self.0.save().map_err(SettingsError::of)
    }

    pub fn first_run_done(&self) -> bool {
        self.flag(KEY_FIRST_RUN_DONE)
    }

    pub fn set_first_run_done(&self) -> Result<(), SettingsError> {
        self.set(KEY_FIRST_RUN_DONE, true)
    }

    /// The saved setup; `None` when none was saved or it cannot be read.
    pub fn setup(&self) -> Option<Setup> {
        self.0
            .get(KEY_SETUP)
            .and_then(|value| serde_json::from_value(value).ok())
    }

    pub fn set_setup(&self, setup: &Setup) -> Result<(), SettingsError> {
        self.set(KEY_SETUP, setup)
    }

    /// The saved background choices (defaults when none were saved).
    pub fn background(&self) -> BackgroundSettings {
        self.0
            .get(KEY_BACKGROUND)
            .and_then(|value| serde_json::from_value(value).ok())
            .unwrap_or_default()
    }

    pub fn set_background(&self, settings: &BackgroundSettings) -> Result<(), SettingsError> {
        self.set(KEY_BACKGROUND, settings)
    }

    /// Whether the first-close notice was shown; marks it shown.
    pub fn take_tray_notice(&self) -> bool {
        let shown = self.flag(KEY_TRAY_NOTICE_SHOWN);
        if !shown {
            let _ = self.set(KEY_TRAY_NOTICE_SHOWN, true);
            let _ = self.save();
        }
        shown
    }
}
