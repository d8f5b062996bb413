//! Microsoft Graph's answers in plain words. The same refusal reads differently in a cloud where
//! Microsoft does not offer the telephone-number API, so the conversion takes that as context.

use super::{Problem, ProblemKind};
use crate::graph::{GraphError, GraphErrorKind};

/// What the admin reads. `telephone_api_available` is false in clouds where Microsoft does not
/// offer the telephone-number API, which explains refusals there.
pub fn in_cloud(error: &GraphError, telephone_api_available: bool) -> Problem {
    use GraphErrorKind as K;
    let session = error
        .token_error()
        .and_then(|e| e.downcast_ref::<crate::auth::session::SessionError>());
    if let (K::SignIn, Some(session)) = (error.kind, session) {
        return Problem::from(session);
    }
    if let Some(blocked) = &error.blocked {
        return Problem::from(blocked);
    }
    if !telephone_api_available && matches!(error.kind, K::BadRequest | K::NotFound | K::Forbidden)
    {
        let mut problem = Problem::new(
            ProblemKind::NotInThisCloud,
            "Microsoft offers the Teams phone-number API in the Global cloud only, so your cloud refused this request.",
            "Use the Teams admin center or PowerShell for numbers in this cloud.",
        );
        problem.request_id = error.exchange.request_id.clone();
        return problem;
    }
    let said = error
        .graph_message
        .as_deref()
        .map(|m| format!(" Microsoft said: “{m}”"))
        .unwrap_or_default();
    let (kind, message, hint) = match error.kind {
        K::NotSent | K::Network => (
            ProblemKind::Network,
            "NumberDesk could not reach Microsoft Graph.".to_owned(),
            "Check your internet connection (and proxy, if your organisation uses one), then try again.",
        ),
        K::Timeout => (
            ProblemKind::Timeout,
            "Microsoft Graph did not answer in time.".to_owned(),
            "Try again in a minute. If it keeps happening, Microsoft may be having problems.",
        ),
        K::Throttled => (
            ProblemKind::Throttled,
            "Microsoft is limiting how fast NumberDesk may send requests, and did not ease off in time.".to_owned(),
            "Wait a minute, then try again.",
        ),
        K::Unavailable | K::Server => (
            ProblemKind::Unavailable,
            format!("Microsoft Graph is having a temporary problem.{said}"),
            "Try again in a few minutes. If it keeps happening, give the request ID below to Microsoft support.",
        ),
        K::Unauthorized => (
            ProblemKind::SignInAgain,
            "Microsoft did not accept your sign-in for this request.".to_owned(),
            "Sign out and sign in again.",
        ),
        K::Forbidden => (
            ProblemKind::Forbidden,
            format!("Microsoft refused: your account is not allowed to manage phone numbers.{said}"),
            "Ask a Global Administrator to give your account the Teams Administrator, Teams Communications Administrator or Teams Telephony Administrator role, and to grant admin consent for TeamsTelephoneNumber.ReadWrite.All.",
        ),
        K::NotFound | K::BadRequest | K::Conflict => {
            let not_in_tenant = error
                .graph_message
                .as_deref()
                .is_some_and(|m| m.contains("is not found from tenant"));
            if not_in_tenant {
                (
                    ProblemKind::NumberNotFound,
                    "Microsoft does not find this number in your tenant (or not with this number type).".to_owned(),
                    "Look the number up again; it may have been changed or released meanwhile.",
                )
            } else {
                (
                    ProblemKind::Refused,
                    format!("Microsoft refused the request.{said}"),
                    "Check the number and try again. If it keeps happening, give the request ID below to Microsoft support.",
                )
            }
        }
        K::Malformed => (
            ProblemKind::Malformed,
            format!("Microsoft Graph answered in a way NumberDesk does not understand ({}).", error.detail),
            "Try again. If it keeps happening, give the request ID below to Microsoft support.",
        ),
        K::ForeignLocation => (
            ProblemKind::ForeignLocation,
            format!("NumberDesk stopped following this change: {}.", error.detail),
            "Check the number in the Teams admin center to see whether the change happened.",
        ),
        K::SignIn => (
            ProblemKind::SignInAgain,
            "You are not signed in.".to_owned(),
            "Sign in again.",
        ),
    };
    let mut problem = Problem::new(kind, message, hint);
    problem.request_id = error.exchange.request_id.clone();
    problem
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Exchange;

    fn reply(status: u16, body: &str) -> GraphError {
        GraphError::from_reply(status, body.as_bytes(), None, &Exchange::default())
    }

    #[test]
    fn a_number_not_in_the_tenant_is_said_so_with_the_request_id() {
        let error = reply(
            400,
            r#"{"error":{"code":"BadRequest","message":"Telephone Number '+1' is not found from tenant 't'","innerError":{"request-id":"r-1","date":"d"}}}"#,
        );
        let problem = in_cloud(&error, true);
        assert_eq!(problem.kind, ProblemKind::NumberNotFound);
        assert_eq!(problem.request_id.as_deref(), Some("r-1"));
    }

    #[test]
    fn the_teams_backends_overload_400_reads_as_unavailable_in_its_own_words() {
        for body in [
            r#"{"error":{"code":"BadRequest","message":"Service is unavailable. Please try again"}}"#,
            r#"{"error":{"code":"BadRequest","message":"Service is unavailable. Please try again."}}"#,
        ] {
            let problem = in_cloud(&reply(400, body), true);
            assert_eq!(problem.kind, ProblemKind::Unavailable);
            assert!(
                problem.message.contains("Service is unavailable"),
                "{problem:?}"
            );
        }
    }

    #[test]
    fn forbidden_names_the_roles_and_other_clouds_get_their_own_sentence() {
        let forbidden = reply(
            403,
            r#"{"error":{"code":"Forbidden","message":"Access denied"}}"#,
        );
        assert!(in_cloud(&forbidden, true)
            .hint
            .contains("Teams Telephony Administrator"));
        assert_eq!(
            in_cloud(&forbidden, false).kind,
            ProblemKind::NotInThisCloud
        );
        assert_eq!(
            in_cloud(&reply(500, "not json"), true).kind,
            ProblemKind::Unavailable
        );
    }

    #[test]
    fn a_sign_in_error_reads_as_the_sessions_own_words() {
        let error = GraphError::from_token_error(std::sync::Arc::new(
            crate::auth::session::SessionError::NamesNotPermitted,
        ));
        assert_eq!(error.kind, GraphErrorKind::SignIn);
        assert_eq!(in_cloud(&error, true).kind, ProblemKind::NamesNotPermitted);
        assert_eq!(
            in_cloud(&GraphError::new(GraphErrorKind::SignIn, "x"), true).kind,
            ProblemKind::SignInAgain
        );
    }
}
