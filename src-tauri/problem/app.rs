//! The words for what goes wrong on this computer: starting, the data folder, settings, the
//! setup form, Settings › Background, the quick window, and a task that stopped.

use super::{Problem, ProblemKind};
use crate::context::StartupError;
use crate::desktop::{DesktopError, ShortcutRefusal};
use crate::settings::SettingsError;
use crate::setup::{PresetError, SaveRefused, SetupIncomplete};

impl From<StartupError> for Problem {
    fn from(error: StartupError) -> Problem {
        match error {
            StartupError::Launch(error) => Problem::new(
                ProblemKind::Startup,
                format!("NumberDesk was started with a setting it cannot use: {error}."),
                error.hint(),
            ),
            StartupError::DemoTenant(error) => Problem::new(
                ProblemKind::Startup,
                format!("The demo tenant could not start on this computer: {error}."),
                "Close other copies of NumberDesk and try again. If it keeps happening, \
                 a firewall or security tool may be blocking connections to this computer \
                 (127.0.0.1).",
            ),
            StartupError::DataFolder { dir, reason } => Problem::new(
                ProblemKind::Startup,
                format!(
                    "NumberDesk cannot create its data folder {}: {reason}.",
                    dir.display()
                ),
                "Choose a folder you can write to (NUMBERDESK_DATA_DIR), or ask IT to \
                 check the permissions of your profile folder.",
            ),
            StartupError::MoveUnfinished(error) => Problem::new(
                ProblemKind::Startup,
                format!(
                    "NumberDesk could not finish moving its data to this computer's local \
                     folder: {error}."
                ),
                "Nothing was deleted. Close programs that may be using files in those folders \
                 (backup, antivirus, another NumberDesk), then start NumberDesk again.",
            ),
            StartupError::RoamingUnreachable { dir, reason } => Problem::new(
                ProblemKind::Startup,
                format!(
                    "NumberDesk's history and settings from an earlier version are still in \
                     your roaming folder {}, which cannot be reached now ({reason}). Nothing \
                     was moved, and no new history was started, so none of it is left behind.",
                    dir.display()
                ),
                "Connect to your organisation's network (or VPN) so that folder can be \
                 reached, then close and start NumberDesk again: it moves your history to this \
                 computer then. Until that, NumberDesk makes no changes. If you must work now \
                 without that history, start NumberDesk with NUMBERDESK_DATA_DIR set to another \
                 folder; the old history still moves in at a normal start later.",
            ),
            StartupError::History { reason, hint } => Problem::new(
                ProblemKind::History,
                format!("NumberDesk could not open its history: {reason}."),
                hint,
            ),
        }
    }
}

impl From<SettingsError> for Problem {
    fn from(error: SettingsError) -> Problem {
        Problem::new(
            ProblemKind::Settings,
            format!("NumberDesk could not read or save its settings: {error}."),
            "Check that the data folder shown in Settings exists and that you can write to it, \
             then try again.",
        )
    }
}

impl From<SetupIncomplete> for Problem {
    fn from(_: SetupIncomplete) -> Problem {
        Problem::new(
            ProblemKind::SetupIncomplete,
            "NumberDesk does not know yet which tenant to sign in to.",
            "Fill in the cloud, tenant and client ID in Settings first.",
        )
    }
}

impl From<&PresetError> for Problem {
    fn from(error: &PresetError) -> Problem {
        Problem::new(
            ProblemKind::ManagedPreset,
            format!("Your IT department’s NumberDesk preset could not be used: {error}."),
            "Ask IT to correct or remove the preset file. Until then you can fill in the fields yourself.",
        )
    }
}

impl From<SaveRefused> for Problem {
    fn from(refused: SaveRefused) -> Problem {
        match refused {
            SaveRefused::Locked => Problem::new(
                ProblemKind::SetupLocked,
                refused.to_string(),
                "They come from your IT department’s preset (or the demo). Ask IT to change the preset.",
            ),
            SaveRefused::Invalid(message) => Problem::new(
                ProblemKind::SetupInvalid,
                message,
                "Correct the highlighted field and save again.",
            ),
        }
    }
}

impl From<DesktopError> for Problem {
    fn from(error: DesktopError) -> Problem {
        match error {
            DesktopError::Shortcut { shortcut, why } => {
                let why = match why {
                    ShortcutRefusal::NotUnderstood => {
                        "it is not a key combination NumberDesk understands (modifiers such as \
                         Ctrl, Alt, Shift, then one key, joined with +)"
                    }
                    ShortcutRefusal::Taken => "another app or the system already uses it",
                };
                Problem::new(
                    ProblemKind::Shortcut,
                    format!("The shortcut “{shortcut}” could not be set: {why}."),
                    "Choose another one, such as CommandOrControl+Shift+U or Ctrl+Alt+N, and save again.",
                )
            }
            DesktopError::StartAtLogin(error) => Problem::new(
                ProblemKind::StartAtLogin,
                format!("NumberDesk could not change whether it starts at login: {error}."),
                "Try again. Your organisation may manage start-up apps; ask IT if it keeps failing.",
            ),
            DesktopError::Settings(error) => error.into(),
        }
    }
}

/// The quick window could not be created or shown.
pub fn quick_window_failed(_why: impl std::fmt::Display) -> Problem {
    Problem::new(
        ProblemKind::QuickWindow,
        "The quick unassign window could not be opened.",
        "Unassign from the Unassign tab of this window instead. If the tray's quick window \
         keeps failing, restart NumberDesk.",
    )
}

/// A task on a blocking thread stopped before it finished (it panicked or was cancelled).
pub fn task_stopped(error: impl std::fmt::Display) -> Problem {
    Problem::new(
        ProblemKind::Internal,
        format!("NumberDesk stopped in the middle of the task: {error}."),
        "Try again. If it keeps happening, restart NumberDesk and copy the diagnostics \
         for support.",
    )
}

/// NumberDesk could not start itself again (for the demo, or back from it).
pub fn not_started_again(error: std::io::Error) -> Problem {
    Problem::new(
        ProblemKind::Internal,
        format!("NumberDesk could not start itself again: {error}."),
        "Close NumberDesk and start it again yourself (with --demo for the demo tenant).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shortcut_refusal_says_why_in_words_and_what_to_choose() {
        let problem = Problem::from(DesktopError::Shortcut {
            shortcut: "Ctrl+Nope".into(),
            why: ShortcutRefusal::NotUnderstood,
        });
        assert_eq!(problem.kind, ProblemKind::Shortcut);
        assert!(
            problem.message.contains("“Ctrl+Nope”")
                && problem.message.contains("not a key combination"),
            "{problem:?}"
        );
        let taken = Problem::from(DesktopError::Shortcut {
            shortcut: "Ctrl+U".into(),
            why: ShortcutRefusal::Taken,
        });
        assert!(taken.message.contains("already uses it"), "{taken:?}");
    }

    #[test]
    fn a_history_that_cannot_be_opened_is_a_history_problem_with_its_own_hint() {
        let problem = Problem::from(StartupError::History {
            reason: "disk I/O error".into(),
            hint: "Free some space.".into(),
        });
        assert_eq!(problem.kind, ProblemKind::History);
        assert_eq!(
            problem.message,
            "NumberDesk could not open its history: disk I/O error."
        );
        assert_eq!(problem.hint, "Free some space.");
    }

    #[test]
    fn an_unreachable_roaming_folder_says_to_connect_and_start_again() {
        let problem = Problem::from(StartupError::RoamingUnreachable {
            dir: r"\\files\users\alice\AppData\Roaming\app.numberdesk.desktop".into(),
            reason: "The network path was not found.".into(),
        });
        assert_eq!(problem.kind, ProblemKind::Startup);
        assert!(
            problem.message.contains("cannot be reached now"),
            "{problem:?}"
        );
        assert!(problem.message.contains("no new history"), "{problem:?}");
        assert!(problem.hint.contains("network (or VPN)"), "{problem:?}");
        assert!(
            problem.hint.contains("start NumberDesk again"),
            "{problem:?}"
        );
        assert!(problem.hint.contains("NUMBERDESK_DATA_DIR"), "{problem:?}");
    }
}
