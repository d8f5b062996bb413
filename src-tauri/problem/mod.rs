//! The one error shape the UI receives, and the one place that makes it.
//!
//! Core modules return their own typed errors; the files of this module turn each into a
//! [`Problem`] that says, in plain words, what happened (`message`), what to do next (`hint`),
//! and — when Microsoft gave one — the request ID its support will ask for. Commands return
//! `Result<_, Problem>` and `?` does the conversion. The UI switches on `kind`, a
//! [`ProblemKind`] whose names `ui/contract.mjs` shares (checked by `tests/contract.rs`).

use serde::Serialize;

pub mod app;
mod bulk;
pub mod desk;
mod export;
pub mod graph;
mod inventory;
pub mod network;
pub mod records;
pub mod register;
pub mod sign_in;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A stable, machine-readable name.
    pub kind: ProblemKind,
    /// What happened, in a sentence an admin understands.
    pub message: String,
    /// What to do next.
    pub hint: String,
    /// Microsoft's `request-id` (Graph) or correlation ID (sign-in), when there is one.
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(kind: ProblemKind, message: impl Into<String>, hint: impl Into<String>) -> Problem {
        Problem {
            kind,
            message: message.into(),
            hint: hint.into(),
            request_id: None,
        }
    }

    /// The same problem with Microsoft's request or correlation ID.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Problem {
        self.request_id = request_id;
        self
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.message, self.hint)
    }
}

impl std::error::Error for Problem {}

/// Declares [`ProblemKind`] and its list of names in one go, so the list cannot miss a kind.
macro_rules! problem_kinds {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// What kind of problem it is, by a stable name the UI may switch on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum ProblemKind {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl ProblemKind {
            /// Every kind with its name as the UI receives it.
            pub const ALL: &'static [(ProblemKind, &'static str)] =
                &[$((ProblemKind::$variant, $name),)*];

            /// The name the UI receives.
            pub fn name(self) -> &'static str {
                match self {
                    $(ProblemKind::$variant => $name,)*
                }
            }
        }
    };
}

problem_kinds! {
    // Sign-in.
    /// Not signed in at all.
    SignedOut = "signedOut",
    /// The sign-in is no longer accepted; signing in again fixes it.
    SignInAgain = "signInAgain",
    /// Expired or revoked (a password change, for example).
    SignInExpired = "signInExpired",
    SignInCancelled = "signInCancelled",
    SignInTimedOut = "signInTimedOut",
    SignInListener = "signInListener",
    SignInProtocol = "signInProtocol",
    SignInFailed = "signInFailed",
    /// The admin stopped something on purpose (a sign-in, a read).
    Cancelled = "cancelled",
    DeviceCodeExpired = "deviceCodeExpired",
    SingleTenantApp = "singleTenantApp",
    MfaRequired = "mfaRequired",
    ConsentRequired = "consentRequired",
    AppNotFound = "appNotFound",
    RedirectNotRegistered = "redirectNotRegistered",
    TenantNotFound = "tenantNotFound",
    NamesNotPermitted = "namesNotPermitted",
    /// People (user names, emails, names) cannot be looked up without `User.ReadBasic.All`.
    PeopleNotPermitted = "peopleNotPermitted",
    DirectoryNotPermitted = "directoryNotPermitted",
    Keyring = "keyring",
    // The way to Microsoft.
    Network = "network",
    Timeout = "timeout",
    ProxyUnreachable = "proxyUnreachable",
    ProxyAuthentication = "proxyAuthentication",
    ProxyRefused = "proxyRefused",
    TlsUntrusted = "tlsUntrusted",
    // Microsoft Graph's answers.
    Throttled = "throttled",
    Unavailable = "unavailable",
    Forbidden = "forbidden",
    NumberNotFound = "numberNotFound",
    Refused = "refused",
    Malformed = "malformed",
    ForeignLocation = "foreignLocation",
    NotInThisCloud = "notInThisCloud",
    // One number.
    BadNumber = "badNumber",
    ConfirmationUsed = "confirmationUsed",
    InFlight = "inFlight",
    /// The number is no longer held as the admin confirmed; nothing was sent.
    HolderChanged = "holderChanged",
    CannotReassign = "cannotReassign",
    NotFound = "notFound",
    // Bulk runs.
    Input = "input",
    StaleInput = "staleInput",
    StalePreview = "stalePreview",
    Bulk = "bulk",
    BulkBusy = "bulkBusy",
    NoRun = "noRun",
    NothingToSend = "nothingToSend",
    NothingToRetry = "nothingToRetry",
    NotInterrupted = "notInterrupted",
    // The Numbers view.
    NumbersBusy = "numbersBusy",
    NumbersNotRead = "numbersNotRead",
    /// The kept list belongs to another tenant, cloud or account (or the demo).
    NumbersReadForAnother = "numbersReadForAnother",
    /// The kept list is a Refresh cut off before the end: not used as the whole list.
    NumbersPartial = "numbersPartial",
    InventoryStore = "inventoryStore",
    SelectionTooLarge = "selectionTooLarge",
    LeaversNotChecked = "leaversNotChecked",
    LeaversNotPermitted = "leaversNotPermitted",
    // This computer.
    History = "history",
    Export = "export",
    Settings = "settings",
    Startup = "startup",
    SetupIncomplete = "setupIncomplete",
    SetupInvalid = "setupInvalid",
    SetupLocked = "setupLocked",
    /// "Set up for my organization": this account may not register applications.
    SetupMayNotRegister = "setupMayNotRegister",
    /// Setup's sign-in through Microsoft's client was blocked (Conditional Access, a policy).
    SetupBlocked = "setupBlocked",
    /// Microsoft Graph in this cloud lacks a permission NumberDesk needs.
    SetupNotInThisCloud = "setupNotInThisCloud",
    /// Microsoft did not finish creating the app in the time setup waits.
    SetupNotReplicated = "setupNotReplicated",
    ManagedPreset = "managedPreset",
    QuickWindow = "quickWindow",
    Shortcut = "shortcut",
    StartAtLogin = "startAtLogin",
    Internal = "internal",
    /// Something NumberDesk did not foresee (also made by `ui/ipc.mjs` for an answer that is
    /// not a Problem).
    Unexpected = "unexpected",
    /// Made by `ui/ipc.mjs` only: the window could not reach the app at all. Listed so the UI's
    /// names and these stay one set.
    Bridge = "bridge",
}

impl std::fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_serialised_by_its_listed_name_and_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (kind, name) in ProblemKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), *name);
            assert_eq!(kind.name(), *name);
            assert!(seen.insert(*name), "{name} twice");
        }
    }
}
