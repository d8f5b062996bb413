//! What the admin reads when "Set up for my organization" stops: each outcome with its next
//! step, the manual registration (README, and the steps beside the setup form) as the fallback.

use super::{Problem, ProblemKind};
use crate::auth::entra::EntraRefusal;
use crate::auth::AuthError;
use crate::register::{RegisterError, REGISTER_ROLE};

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
