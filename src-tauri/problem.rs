//! The one error shape the UI receives.
//!
//! Core modules return their own typed errors; commands turn each into a [`Problem`] that says,
//! in plain words, what happened (`message`), what to do next (`hint`), and — when Microsoft
//! gave one — the request ID its support will ask for. The UI switches on `kind`.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A stable, machine-readable name (`startup`, `settings`, …).
    pub kind: String,
    /// What happened, in a sentence an admin understands.
    pub message: String,
    /// What to do next.
    pub hint: String,
    /// Microsoft's `request-id` (Graph) or correlation ID (sign-in), when there is one.
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(kind: &str, message: impl Into<String>, hint: impl Into<String>) -> Problem {
        Problem {
            kind: kind.to_owned(),
            message: message.into(),
            hint: hint.into(),
            request_id: None,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.message, self.hint)
    }
}
