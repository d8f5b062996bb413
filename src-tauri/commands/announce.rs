//! What follows a record change, for every window and the tray: the event the windows hear
//! (in the admin's words), the tray menu's newest changes, and a notification when a change
//! has just settled. The rules (what to notify, what the menu shows) are in
//! [`crate::lifecycle`]; the desktop primitives in [`crate::desktop`].

use super::App;
use crate::desk::RecordView;
use crate::history::HistoryQuery;
use crate::settings::Settings;
use crate::tray;
use std::sync::atomic::Ordering;
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// The event every record change is announced with (payload: a [`RecordView`]).
pub const OPERATION_UPDATED: &str = "operation-updated";

/// Puts NumberDesk in the tray, once, on the main thread: when the main window has shown its
/// first screen, or [`TRAY_AT_LATEST`] after start when it shows none. Creating the tray takes
/// the main thread for 8–20 ms, which the first screen no longer waits for; until then a
/// closed main window quits, as it does on a system without a tray.
pub fn start_tray<R: Runtime>(app: &AppHandle<R>) {
    let handle = app.clone();
    let posted = app.run_on_main_thread(move || {
        let Some(state) = handle.try_state::<App>() else {
            return;
        };
        let background = &state.background;
        if !background.tray_wanted.swap(false, Ordering::SeqCst) {
            return;
        }
        let has_tray = tray::create(&handle).is_some();
        background.tray_available.store(has_tray, Ordering::SeqCst);
        let handle = handle.clone();
        tauri::async_runtime::spawn(async move { refresh_tray(&handle).await });
    });
    if let Err(error) = posted {
        log::warn!("no tray icon: {error}; NumberDesk works from its main window");
    }
}

/// How long after start the tray is created when the main window shows no first screen.
pub const TRAY_AT_LATEST: std::time::Duration = std::time::Duration::from_secs(3);

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
            let first_time = state.background.first_notice(record.record.id);
            let wanted = state
                .context
                .settings_folder()
                .map_err(crate::settings::SettingsError::from)
                .and_then(|dir| Settings::open(app, dir))
                .map(|s| s.background().notifications)
                .unwrap_or(false);
            if first_time && wanted {
                crate::desktop::notify(app, &title, &body);
            }
        }
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move { refresh_tray(&app).await });
}
