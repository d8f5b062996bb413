//! The tray icon, its menu, and the quick-unassign window it opens.
//!
//! What the menu lists and what closing or blurring does is decided in [`crate::lifecycle`];
//! this module only carries it out with Tauri's tray and window APIs.

use crate::lifecycle::{self, MenuEntry};
use tauri::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewWindow, WebviewWindowBuilder};

pub const TRAY_ID: &str = "numberdesk";
pub const QUICK_WINDOW: &str = "quick";
pub const MAIN_WINDOW: &str = "main";

/// Event to the main window: open this History record (payload: the record id).
pub const OPEN_RECORD: &str = "open-record";
/// Event to the main window: show the sign-in screen.
pub const SHOW_SIGN_IN: &str = "show-sign-in";
/// Event to the quick window: it was just shown (focus the number field).
pub const QUICK_OPENED: &str = "quick-opened";

/// Builds a Tauri menu from the menu model.
pub fn build_menu<R: Runtime, M: Manager<R>>(
    manager: &M,
    entries: &[MenuEntry],
) -> tauri::Result<Menu<R>> {
    let mut items: Vec<Box<dyn IsMenuItem<R>>> = Vec::new();
    for entry in entries {
        match entry {
            MenuEntry::Item { id, label, enabled } => items.push(Box::new(MenuItem::with_id(
                manager,
                id.as_str(),
                label,
                *enabled,
                None::<&str>,
            )?)),
            MenuEntry::Separator => items.push(Box::new(PredefinedMenuItem::separator(manager)?)),
        }
    }
    let refs: Vec<&dyn IsMenuItem<R>> = items.iter().map(|item| item.as_ref()).collect();
    Menu::with_items(manager, &refs)
}

/// Shows the main window and brings it to the front.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Shows the quick window (see [`try_show_quick`]); when it cannot be opened, the main window
/// comes up instead, so the tray click or the shortcut still leads somewhere to work from.
pub fn show_quick<R: Runtime>(app: &AppHandle<R>) {
    if try_show_quick(app).is_err() {
        show_main(app);
    }
}

/// Shows the quick window by the tray (centred when the tray's place is unknown), on top,
/// with the number field focused. The error is the technical reason it could not be opened
/// (already logged).
///
/// The window is not created at start (`"create": false` in `tauri.conf.json`): WebKitGTK gives
/// every web view a web process of its own (about 78 MiB), which an admin who never opens the
/// quick window should not pay for. The first call creates it hidden and shows it once its page
/// has loaded (no blank window); afterwards it is only hidden and shown again, so it opens at
/// once.
pub fn try_show_quick<R: Runtime>(app: &AppHandle<R>) -> Result<(), String> {
    if let Some(window) = app.get_webview_window(QUICK_WINDOW) {
        reveal_quick(&window);
        return Ok(());
    }
    let first_load = std::sync::atomic::AtomicBool::new(true);
    let built = app
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == QUICK_WINDOW)
        .ok_or_else(|| "tauri.conf.json has no quick window".to_owned())
        .and_then(|config| {
            WebviewWindowBuilder::from_config(app, config)
                .and_then(|builder| {
                    builder
                        .visible(false)
                        .on_page_load(move |window, payload| {
                            if payload.event() == PageLoadEvent::Finished
                                && first_load.swap(false, std::sync::atomic::Ordering::SeqCst)
                            {
                                reveal_quick(&window);
                            }
                        })
                        .build()
                })
                .map_err(|error| error.to_string())
        });
    match built {
        Ok(_) => Ok(()),
        Err(reason) => {
            log::warn!("the quick window could not be opened: {reason}");
            Err(reason)
        }
    }
}

fn reveal_quick<R: Runtime>(window: &WebviewWindow<R>) {
    {
        use tauri_plugin_positioner::{Position, WindowExt};
        if window
            .as_ref()
            .window()
            .move_window(Position::TrayCenter)
            .is_err()
        {
            let _ = window.as_ref().window().move_window(Position::Center);
        }
    }
    let _ = window.show();
    let _ = window.set_focus();
    let _ = window.emit(QUICK_OPENED, ());
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    use lifecycle::MenuAction;
    match lifecycle::menu_action(id) {
        MenuAction::ShowQuick => show_quick(app),
        MenuAction::ShowMain => show_main(app),
        action @ (MenuAction::SignIn | MenuAction::SignOut) => {
            show_main(app);
            let _ = app.emit_to(MAIN_WINDOW, SHOW_SIGN_IN, action == MenuAction::SignOut);
        }
        MenuAction::Quit => app.exit(0),
        MenuAction::OpenRecord(record) => {
            show_main(app);
            let _ = app.emit_to(MAIN_WINDOW, OPEN_RECORD, record);
        }
        MenuAction::Nothing => {}
    }
}

/// Creates the tray icon. `None` when the system has no tray (the app then works from its
/// main window, and closing it quits).
pub fn create<R: Runtime>(app: &AppHandle<R>) -> Option<()> {
    let menu = build_menu(app, &lifecycle::tray_menu(None, &[])).ok()?;
    let icon = if cfg!(target_os = "macos") {
        tauri::image::Image::from_bytes(include_bytes!("../icons/tray-template@2x.png")).ok()?
    } else {
        tauri::image::Image::from_bytes(include_bytes!("../icons/tray@2x.png")).ok()?
    };
    let builder = TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon)
        .icon_as_template(cfg!(target_os = "macos"))
        .tooltip(lifecycle::tooltip(None))
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .on_tray_icon_event(|tray, event| {
            tauri_plugin_positioner::on_tray_event(tray.app_handle(), &event);
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_quick(tray.app_handle());
            }
        });
    // On Linux the tray library is loaded at run time and its absence panics inside
    // `build`; treat that like any other missing tray.
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.build(app)));
    match built {
        Ok(Ok(_)) => Some(()),
        Ok(Err(error)) => {
            log::warn!("no tray icon: {error}; NumberDesk works from its main window");
            None
        }
        Err(_) => {
            log::warn!("no tray icon: the system tray library is missing; NumberDesk works from its main window");
            None
        }
    }
}

/// Refreshes the menu and tooltip: the account and the newest operations.
pub fn refresh<R: Runtime>(
    app: &AppHandle<R>,
    account: Option<&str>,
    recent: &[crate::desk::RecordView],
) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    if let Ok(menu) = build_menu(app, &lifecycle::tray_menu(account, recent)) {
        let _ = tray.set_menu(Some(menu));
    }
    let _ = tray.set_tooltip(Some(lifecycle::tooltip(account)));
}
