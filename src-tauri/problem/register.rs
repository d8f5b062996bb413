//! What the admin reads when "Set up for my organization" stops: each outcome with its next
//! step, the manual registration (README, and the steps beside the setup form) as the fallback.

use super::{Problem, ProblemKind};
use crate::auth::entra::EntraRefusal;
use crate::auth::AuthError;
use crate::register::{Change, RegisterError, Step, REGISTER_ROLE};

/// Where the manual steps are, for every hint that falls back on them.
const MANUAL: &str = "register NumberDesk by hand instead: choose “Enter the details myself” and follow the steps beside the form (or ask IT to do them)";

impl From<RegisterError> for Problem {
    fn from(error: RegisterError) -> Problem {
        match error {
            RegisterError::MayNotRegister(graph) => Problem::new(
                ProblemKind::SetupMayNotRegister,
                "This account may not create app registrations in your organisation, so NumberDesk could not register itself.",
                format!(
                    "Sign in to setup with an account that has the {REGISTER_ROLE}, Application Administrator or Cloud Application Administrator role (or ask an admin to turn on “Users can register applications” in Entra ID › User settings), or {MANUAL}."
                ),
            )
            .with_request_id(graph.exchange.request_id.clone()),
            RegisterError::PermissionsNotOffered(missing) => Problem::new(
                ProblemKind::SetupNotInThisCloud,
                format!(
                    "Microsoft Graph in this cloud does not offer {}, which NumberDesk needs.",
                    missing.join(", ")
                ),
                "Microsoft offers the Teams phone-number API in the Global cloud only. In the US Government and China clouds, NumberDesk can be registered but cannot manage numbers.",
            ),
            RegisterError::NotReplicated => Problem::new(
                ProblemKind::SetupNotReplicated,
                "Microsoft has not finished creating NumberDesk’s app registration yet.",
                "Wait a minute and choose “Set up for my organization” again: setup finds what it created and carries on from there.",
            ),
            RegisterError::Graph(graph) => super::graph::in_cloud(&graph, true),
            RegisterError::SignIn(auth) => bootstrap_sign_in(auth),
        }
    }
}

/// Setup's sign-in through Microsoft's client failed.
fn bootstrap_sign_in(error: AuthError) -> Problem {
    let blocked = match &error {
        AuthError::Entra(entra) => {
            let policy = entra
                .error_codes
                .iter()
                .any(|c| [53003, 53000, 53001, 530032, 65002, 7000112].contains(c));
            (policy || entra.refusal() == EntraRefusal::AppNotFound).then(|| {
                (
                    entra.correlation_id.clone(),
                    entra.error_codes.first().copied(),
                )
            })
        }
        _ => None,
    };
    match blocked {
        Some((correlation, code)) => Problem::new(
            ProblemKind::SetupBlocked,
            format!(
                "Your organisation blocks signing in through Microsoft’s Azure CLI app, which setup uses once to register NumberDesk (Conditional Access or a tenant policy{}).",
                code.map(|c| format!(", AADSTS{c}")).unwrap_or_default()
            ),
            format!("Ask IT whether setup may be allowed once, or {MANUAL}."),
        )
        .with_request_id(correlation),
        None => Problem::from(error),
    }
}

/// The line the progress view shows for a step of setup.
pub fn step_text(step: Step) -> String {
    match step {
        Step::ReadingPermissions => "Reading Microsoft Graph’s permissions…".into(),
        Step::LookingForRegistration => {
            "Looking for a NumberDesk registration made earlier…".into()
        }
        Step::CreatingRegistration => "Creating NumberDesk’s app registration…".into(),
        Step::FixingRegistration => "Putting the registration’s settings right…".into(),
        Step::CreatingServicePrincipal => "Adding NumberDesk to your organisation…".into(),
        Step::GrantingConsent => "Granting consent for your organisation…".into(),
        Step::WaitingForMicrosoft { attempt, of } => format!(
            "Microsoft is still creating the app; waiting for it (check {attempt} of {of})…"
        ),
    }
}

/// What a run did, in a sentence each (what the finished view lists).
pub fn change_text(change: &Change) -> String {
    match change {
        Change::Reused => "Found NumberDesk’s registration from an earlier setup; its settings were already right, so nothing was changed.".into(),
        Change::Created => "Created the app registration “NumberDesk” (your organisation only).".into(),
        Change::Fixed(settings) => format!(
            "Put right what had been changed in the registration: {}.",
            settings.join(", ")
        ),
        Change::ServicePrincipalCreated => "Added NumberDesk to your organisation’s enterprise applications.".into(),
        Change::ConsentGranted => "Granted consent for everyone in your organisation.".into(),
        Change::ConsentExtended(added) => format!(
            "Added consent for {}.",
            added.join(", ")
        ),
    }
}

/// The sign-in after setup: Microsoft still does not know the app setup made, after every wait.
pub fn app_not_known_yet(error: AuthError) -> Problem {
    let correlation = match &error {
        AuthError::Entra(entra) => entra.correlation_id.clone(),
        _ => None,
    };
    Problem::new(
        ProblemKind::SetupNotReplicated,
        "Microsoft has not finished creating NumberDesk’s app registration, so it cannot sign you in with it yet.",
        "Wait a minute, then press “Sign in with Microsoft” again. Nothing needs to be set up again.",
    )
    .with_request_id(correlation)
}

/// "Check again" or a setup step when nothing is waiting (cancelled, or NumberDesk restarted).
pub fn nothing_waiting() -> Problem {
    Problem::new(
        ProblemKind::Cancelled,
        "Setup is not waiting for anything any more.",
        "Choose “Set up for my organization” again: it finds what it created before and carries on from there.",
    )
}

/// Setup cannot fill in the tenant or client ID: IT's preset (or the launch) fixes them.
pub fn setup_fixed() -> Problem {
    Problem::new(
        ProblemKind::SetupLocked,
        "The tenant and app for NumberDesk are fixed on this computer, so setup cannot change them.",
        "They come from your IT department’s preset (or how NumberDesk was started). Sign in with them, or ask IT to change the preset.",
    )
}
