//! How NumberDesk lives in the background: what closing a window does, when the quick window
//! hides, what the tray menu lists, and what a notification says. Decisions only — no `tauri`
//! import — so they are tested on every OS; `tray.rs` and `lib.rs` carry them out.

use crate::desk::RecordView;
use crate::history::{OperationKind, RecordStatus};

/// What closing the main window does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseAction {
    /// Hide it; NumberDesk stays in the tray. `announce` the first time, so the admin knows
    /// where it went.
    HideToTray { announce: bool },
    /// No tray to come back from: closing the window quits.
    Exit,
}

pub fn on_main_close(tray_available: bool, announced_before: bool) -> CloseAction {
    if tray_available {
        CloseAction::HideToTray {
            announce: !announced_before,
        }
    } else {
        CloseAction::Exit
    }
}

/// Whether the quick window hides when it loses focus: not while a confirmation or a change in
/// progress is on screen, so a click elsewhere never loses it.
pub fn hide_quick_on_blur(busy: bool) -> bool {
    !busy
}

/// One line of the tray menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuEntry {
    Item {
        id: String,
        label: String,
        enabled: bool,
    },
    Separator,
}

pub const MENU_QUICK: &str = "quick";
pub const MENU_OPEN: &str = "open";
pub const MENU_SIGN_IN: &str = "sign-in";
pub const MENU_SIGN_OUT: &str = "sign-out";
pub const MENU_QUIT: &str = "quit";
/// Recent operations: `record:<id>`.
pub const MENU_RECORD_PREFIX: &str = "record:";
/// How many recent operations the menu lists.
pub const RECENT_IN_MENU: usize = 5;

fn item(id: &str, label: impl Into<String>) -> MenuEntry {
    MenuEntry::Item {
        id: id.to_owned(),
        label: label.into(),
        enabled: true,
    }
}

/// A status in a few words, as the menu and notifications say it.
pub fn status_words(status: &RecordStatus) -> String {
    match status {
        RecordStatus::Sending => "sending".into(),
        RecordStatus::Accepted | RecordStatus::NotStarted | RecordStatus::Running => {
            "in progress".into()
        }
        RecordStatus::Succeeded => "succeeded".into(),
        RecordStatus::Failed => "failed".into(),
        RecordStatus::Rejected => "refused".into(),
        RecordStatus::Skipped => "skipped".into(),
        RecordStatus::OutcomeUnknown => "outcome unknown".into(),
        RecordStatus::Stale => "not settled".into(),
        RecordStatus::Other(other) => other.clone(),
    }
}

fn who(record: &RecordView) -> Option<String> {
    let prior = &record.record.prior_assignee;
    prior
        .name
        .clone()
        .or_else(|| prior.upn.clone())
        .or_else(|| prior.id.clone())
}

/// The tray menu for the signed-in account (if any) and the newest operations.
pub fn tray_menu(account: Option<&str>, recent: &[RecordView]) -> Vec<MenuEntry> {
    let mut menu = vec![
        item(MENU_QUICK, "Quick unassign…"),
        item(MENU_OPEN, "Open NumberDesk"),
        MenuEntry::Separator,
    ];
    if recent.is_empty() {
        menu.push(MenuEntry::Item {
            id: "no-recent".into(),
            label: "No changes yet".into(),
            enabled: false,
        });
    }
    for record in recent.iter().take(RECENT_IN_MENU) {
        let verb = match record.record.kind {
            OperationKind::Unassign => "",
            OperationKind::Assign => "re-assign ",
        };
        let person = who(record).map(|w| format!(" — {w}")).unwrap_or_default();
        menu.push(item(
            &format!("{MENU_RECORD_PREFIX}{}", record.record.id),
            format!(
                "{verb}{}{person}: {}",
                record.number_display,
                status_words(&record.record.status)
            ),
        ));
    }
    menu.push(MenuEntry::Separator);
    match account {
        Some(account) => menu.push(item(MENU_SIGN_OUT, format!("Sign out ({account})"))),
        None => menu.push(item(MENU_SIGN_IN, "Sign in…")),
    }
    menu.push(MenuEntry::Separator);
    menu.push(item(MENU_QUIT, "Quit NumberDesk"));
    menu
}

/// What a tray menu item does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuAction {
    ShowQuick,
    ShowMain,
    SignIn,
    SignOut,
    Quit,
    OpenRecord(i64),
    Nothing,
}

pub fn menu_action(id: &str) -> MenuAction {
    match id {
        MENU_QUICK => MenuAction::ShowQuick,
        MENU_OPEN => MenuAction::ShowMain,
        MENU_SIGN_IN => MenuAction::SignIn,
        MENU_SIGN_OUT => MenuAction::SignOut,
        MENU_QUIT => MenuAction::Quit,
        other => other
            .strip_prefix(MENU_RECORD_PREFIX)
            .and_then(|id| id.parse().ok())
            .map(MenuAction::OpenRecord)
            .unwrap_or(MenuAction::Nothing),
    }
}

/// The tray icon's tooltip.
pub fn tooltip(account: Option<&str>) -> String {
    match account {
        Some(account) => format!("NumberDesk — signed in as {account}"),
        None => "NumberDesk — not signed in".into(),
    }
}

/// The notification for a change that just settled: "+1 206-555-0100 removed from Adele Vance"
/// or "… failed: <detail>".
pub fn settled_notification(record: &RecordView) -> Option<(String, String)> {
    if !record.record.status.is_settled() {
        return None;
    }
    let number = &record.number_display;
    let person = who(record);
    let title = match (&record.record.status, record.record.kind) {
        (RecordStatus::Succeeded, OperationKind::Unassign) => match &person {
            Some(p) => format!("{number} removed from {p}"),
            None => format!("{number} removed"),
        },
        (RecordStatus::Succeeded, OperationKind::Assign) => match &person {
            Some(p) => format!("{number} given back to {p}"),
            None => format!("{number} assigned again"),
        },
        (status, _) => format!("{number}: {}", status_words(status)),
    };
    let body = match &record.record.status {
        RecordStatus::Succeeded => "Microsoft confirmed the change.".to_owned(),
        _ => record
            .record
            .status_detail
            .clone()
            .or_else(|| record.record.error.as_ref().map(|e| e.message.clone()))
            .unwrap_or_else(|| "Open NumberDesk’s History for details.".into()),
    };
    Some((title, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Actor, Assignee, OperationRecord};

    fn record(id: i64, status: RecordStatus, name: Option<&str>) -> RecordView {
        RecordView::from(OperationRecord {
            id,
            kind: OperationKind::Unassign,
            telephone_number: "+12065550100".into(),
            number_type: Some("callingPlan".into()),
            prior_assignee: Assignee {
                name: name.map(str::to_owned),
                id: Some("oid-1".into()),
                ..Default::default()
            },
            actor: Actor::default(),
            requested_at: "2026-11-29T10:00:00Z".into(),
            client_request_id: "c".into(),
            request_id: None,
            response_date: None,
            location: None,
            status,
            status_detail: Some("The user has an active call queue membership".into()),
            settled_at: None,
            error: None,
            undo_of: None,
            batch_id: None,
            updated_at: "2026-11-29T10:00:00Z".into(),
        })
    }

    #[test]
    fn closing_hides_to_the_tray_and_says_so_once_or_quits_without_a_tray() {
        assert_eq!(
            on_main_close(true, false),
            CloseAction::HideToTray { announce: true }
        );
        assert_eq!(
            on_main_close(true, true),
            CloseAction::HideToTray { announce: false }
        );
        assert_eq!(on_main_close(false, false), CloseAction::Exit);
    }

    #[test]
    fn menu_items_lead_to_their_actions() {
        assert_eq!(menu_action("quick"), MenuAction::ShowQuick);
        assert_eq!(menu_action("quit"), MenuAction::Quit);
        assert_eq!(menu_action("record:42"), MenuAction::OpenRecord(42));
        assert_eq!(menu_action("record:x"), MenuAction::Nothing);
        assert_eq!(menu_action("no-recent"), MenuAction::Nothing);
    }

    #[test]
    fn the_quick_window_stays_while_busy() {
        assert!(hide_quick_on_blur(false));
        assert!(!hide_quick_on_blur(true));
    }

    #[test]
    fn the_menu_lists_the_five_newest_changes_and_the_right_sign_in_item() {
        let recent: Vec<RecordView> = (1..=7)
            .rev()
            .map(|id| record(id, RecordStatus::Succeeded, Some("Adele Vance")))
            .collect();
        let menu = tray_menu(Some("meganb@contoso.example"), &recent);
        let ids: Vec<String> = menu
            .iter()
            .filter_map(|e| match e {
                MenuEntry::Item { id, .. } => Some(id.clone()),
                MenuEntry::Separator => None,
            })
            .collect();
        assert_eq!(
            ids,
            vec![
                "quick", "open", "record:7", "record:6", "record:5", "record:4", "record:3",
                "sign-out", "quit"
            ]
        );
        let MenuEntry::Item { label, .. } = &menu[3] else {
            panic!()
        };
        assert_eq!(label, "+1 206-555-0100 — Adele Vance: succeeded");
        let signed_out = tray_menu(None, &[]);
        assert!(signed_out.contains(&MenuEntry::Item {
            id: "sign-in".into(),
            label: "Sign in…".into(),
            enabled: true
        }));
        assert!(signed_out
            .iter()
            .any(|e| matches!(e, MenuEntry::Item { enabled: false, .. })));
        assert_eq!(tooltip(None), "NumberDesk — not signed in");
    }

    #[test]
    fn notifications_name_the_person_or_the_failure() {
        let done =
            settled_notification(&record(1, RecordStatus::Succeeded, Some("Adele Vance"))).unwrap();
        assert_eq!(done.0, "+1 206-555-0100 removed from Adele Vance");
        let failed =
            settled_notification(&record(2, RecordStatus::Failed, Some("Adele Vance"))).unwrap();
        assert_eq!(failed.0, "+1 206-555-0100: failed");
        assert_eq!(failed.1, "The user has an active call queue membership");
        assert!(settled_notification(&record(3, RecordStatus::Running, None)).is_none());
        let other =
            settled_notification(&record(4, RecordStatus::Other("paused".into()), None)).unwrap();
        assert_eq!(other.0, "+1 206-555-0100: paused");
    }
}

/// The Settings › Background choices.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BackgroundSettings {
    /// A notification when a change settles.
    pub notifications: bool,
    /// Start NumberDesk when the user logs in (off by default).
    pub start_at_login: bool,
    /// A global shortcut opens the quick window (off by default).
    pub shortcut_enabled: bool,
    pub shortcut: String,
}

impl Default for BackgroundSettings {
    fn default() -> Self {
        BackgroundSettings {
            notifications: true,
            start_at_login: false,
            shortcut_enabled: false,
            shortcut: "CommandOrControl+Shift+U".into(),
        }
    }
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    #[test]
    fn background_choices_default_to_quiet_and_off() {
        let defaults = BackgroundSettings::default();
        assert!(defaults.notifications && !defaults.start_at_login && !defaults.shortcut_enabled);
        let partial: BackgroundSettings = serde_json::from_str(r#"{"startAtLogin":true}"#).unwrap();
        assert!(partial.start_at_login && partial.notifications);
    }
}
