//! Sign-in and the session in plain words: Entra's refusals, the listener, the keyring, and the
//! permissions NumberDesk asked for once and was refused.

use super::{Problem, ProblemKind};
use crate::auth::entra::{AuthError, EntraError, EntraRefusal};
use crate::auth::flow::SignInFailure;
use crate::auth::session::SessionError;
use crate::vault::VaultError;

impl From<&AuthError> for Problem {
    /// What happened, what to do, and Microsoft's correlation ID.
    fn from(error: &AuthError) -> Problem {
        use crate::auth::loopback::ListenError;
        let mut problem = match error {
            AuthError::Entra(entra) => entra_problem(entra),
            AuthError::Blocked(blocked) => Problem::from(blocked),
            AuthError::Network(_) => Problem::new(
                ProblemKind::Network,
                "NumberDesk could not reach Microsoft’s sign-in service.",
                "Check your internet connection (and proxy, if your organisation uses one), then try again.",
            ),
            AuthError::Listener(ListenError::TimedOut) => Problem::new(
                ProblemKind::SignInTimedOut,
                "No answer came back from the browser within 5 minutes, so sign-in was stopped.",
                "Start the sign-in again. If no browser window opened, use “Copy link” and paste it into your browser.",
            ),
            AuthError::TimedOutThroughAlias => Problem::new(
                ProblemKind::SignInTimedOut,
                "No answer came back from the browser within 5 minutes, so sign-in was stopped.",
                "If Microsoft’s page showed the error AADSTS50194, your app registration accepts sign-ins from your own tenant only: enter your tenant ID or your domain in Setup instead of “organizations”, then sign in again. Otherwise start the sign-in again; if no browser window opened, use “Copy link”.",
            ),
            AuthError::Listener(ListenError::Cancelled) => Problem::new(
                ProblemKind::Cancelled,
                "Sign-in was cancelled.",
                "Sign in again when you are ready.",
            ),
            AuthError::Listener(ListenError::Io(detail)) => Problem::new(
                ProblemKind::SignInListener,
                format!("NumberDesk could not listen for the sign-in answer on this computer ({detail})."),
                "Try again. If it keeps happening, a security tool may be blocking local connections; use “Sign in on another device” instead.",
            ),
            AuthError::Protocol(detail) => Problem::new(
                ProblemKind::SignInProtocol,
                format!("Microsoft’s sign-in service answered in a way NumberDesk did not expect ({detail})."),
                "Try again in a few minutes. If it keeps happening, check the sign-in address in Settings.",
            ),
        };
        if let AuthError::Entra(entra) = error {
            problem.request_id = entra.correlation_id.clone();
        }
        problem
    }
}

impl From<AuthError> for Problem {
    fn from(error: AuthError) -> Problem {
        Problem::from(&error)
    }
}

fn entra_problem(entra: &EntraError) -> Problem {
    let code = entra.error_codes.first().copied();
    match entra.refusal() {
        EntraRefusal::SingleTenantApp => Problem::new(
            ProblemKind::SingleTenantApp,
            "Your app registration accepts sign-ins from your own tenant only, so Microsoft refused the sign-in through “organizations”.",
            "In Setup, enter your tenant ID (the Directory (tenant) ID on the app registration’s Overview page) or your domain (for example contoso.onmicrosoft.com) instead of “organizations”, then sign in again. (Or, if the app is meant for several tenants, set its Supported account types to multitenant in Entra ID.)",
        ),
        EntraRefusal::MfaRequired => Problem::new(
            ProblemKind::MfaRequired,
            "Your organisation requires multi-factor authentication (MFA) for this sign-in.",
            "Sign in again and complete the MFA prompt in the browser.",
        ),
        EntraRefusal::ConsentRequired => Problem::new(
            ProblemKind::ConsentRequired,
            "An administrator has not yet granted consent for NumberDesk’s permissions in your organisation.",
            "Ask a Global Administrator to open the Entra admin center → App registrations → NumberDesk → API permissions and select “Grant admin consent”, then sign in again.",
        ),
        EntraRefusal::AppNotFound => Problem::new(
            ProblemKind::AppNotFound,
            "Microsoft does not know this app in your organisation: the client ID or the tenant is wrong.",
            "In Settings, compare the client ID and tenant with the app registration’s Overview page (Application (client) ID, Directory (tenant) ID).",
        ),
        EntraRefusal::RedirectNotRegistered => Problem::new(
            ProblemKind::RedirectNotRegistered,
            "The app registration does not allow NumberDesk’s sign-in address (redirect URI).",
            "In the app registration, open Authentication, add the platform “Mobile and desktop applications” with the redirect URI http://localhost, save, and sign in again.",
        ),
        EntraRefusal::TenantNotFound => Problem::new(
            ProblemKind::TenantNotFound,
            "Microsoft cannot find that tenant.",
            "Check the tenant in Settings: use the Directory (tenant) ID or your organisation’s domain, such as contoso.onmicrosoft.com.",
        ),
        EntraRefusal::SignInExpired => Problem::new(
            ProblemKind::SignInExpired,
            "Your sign-in has expired or was revoked (for example after a password change).",
            "Please sign in again. Your settings and history are kept.",
        ),
        EntraRefusal::Cancelled => Problem::new(
            ProblemKind::SignInCancelled,
            "Sign-in was cancelled in the browser.",
            "Sign in again when you are ready.",
        ),
        EntraRefusal::Declined => Problem::new(
            ProblemKind::SignInCancelled,
            "Sign-in was declined on the other device.",
            "Start “Sign in on another device” again and approve the request.",
        ),
        EntraRefusal::DeviceCodeExpired => Problem::new(
            ProblemKind::DeviceCodeExpired,
            "The sign-in code expired before it was used.",
            "Start “Sign in on another device” again and enter the new code within 15 minutes.",
        ),
        EntraRefusal::InteractionRequired => Problem::new(
            ProblemKind::SignInAgain,
            "Microsoft needs you to sign in again interactively.",
            "Please sign in again. Your settings and history are kept.",
        ),
        EntraRefusal::InvalidGrant => Problem::new(
            ProblemKind::SignInAgain,
            "Your sign-in is no longer valid.",
            "Please sign in again. Your settings and history are kept.",
        ),
        EntraRefusal::Other => Problem::new(
            ProblemKind::SignInFailed,
            format!(
                "Microsoft refused the sign-in ({}{}).",
                entra.error,
                code.map(|c| format!(", AADSTS{c}")).unwrap_or_default()
            ),
            "Try again. If it keeps happening, give the correlation ID below to your Microsoft 365 administrator or Microsoft support.",
        ),
    }
}

impl From<&SessionError> for Problem {
    fn from(error: &SessionError) -> Problem {
        match error {
            SessionError::SignedOut => Problem::new(
            ProblemKind::SignedOut,
                "You are not signed in.",
                "Sign in to your Microsoft 365 tenant first.",
            ),
            SessionError::Auth(auth) => Problem::from(auth),
            SessionError::Vault(vault) => Problem::from(vault),
            SessionError::OtherEndpoints => Problem::new(
            ProblemKind::SignInAgain,
                "The saved sign-in is for a different tenant or cloud than the one now set up.",
                "Please sign in again.",
            ),
            // Why names show as object IDs, and what to do about it.
            SessionError::NamesNotPermitted => Problem::new(
            ProblemKind::NamesNotPermitted,
                "Names are shown as object IDs: Microsoft refused the permission to read them (User.ReadBasic.All has no admin consent for this app registration). NumberDesk asked once and does not ask again on every lookup, because each refusal shows as a failed sign-in in your tenant's sign-in log.",
                "Ask a Global Administrator to grant admin consent for User.ReadBasic.All, then choose “Ask again” in Settings.",
            ),
            // Why the leavers lens cannot tell disabled, deleted or unlicensed accounts, and
            // what to grant.
            SessionError::DirectoryNotPermitted => Problem::new(
            ProblemKind::DirectoryNotPermitted,
                "NumberDesk cannot see which accounts are disabled, deleted or without a Teams Phone licence: Microsoft refused the permission to read them (User.Read.All has no admin consent for this app registration). Numbers on objects that no longer exist at all are still listed. NumberDesk asked once and does not ask again each time, because each refusal shows as a failed sign-in in your tenant's sign-in log.",
                "Ask a Global Administrator to grant admin consent for the delegated Microsoft Graph permission User.Read.All to NumberDesk's app registration (it adds read access to every user's account status and licences, nothing else), then choose “Ask again” in the leavers view.",
            ),
        }
    }
}

impl From<SessionError> for Problem {
    fn from(error: SessionError) -> Problem {
        Problem::from(&error)
    }
}

impl From<&VaultError> for Problem {
    /// A keyring error as the admin sees it.
    fn from(error: &VaultError) -> Problem {
        Problem::new(
            ProblemKind::Keyring,
            format!("NumberDesk could not use the system keyring, where it keeps your sign-in securely: {error}."),
            if cfg!(target_os = "windows") {
                "Make sure you are signed in to Windows with your own account, then try again."
            } else if cfg!(target_os = "macos") {
                "Unlock your login keychain (Keychain Access) and allow NumberDesk when macOS asks, then try again."
            } else {
                "Unlock your keyring (it usually unlocks when you log in to the desktop; a Secret Service such as GNOME Keyring or KWallet must be running), then try again."
            },
        )
    }
}

impl From<VaultError> for Problem {
    fn from(error: VaultError) -> Problem {
        Problem::from(&error)
    }
}

impl From<&SignInFailure> for Problem {
    /// What the admin was told when Microsoft refused the sign-in.
    fn from(failure: &SignInFailure) -> Problem {
        entra_problem(&failure.error).with_request_id(failure.error.correlation_id.clone())
    }
}

impl SignInFailure {
    /// One line for "Copy diagnostics": kind, message, AADSTS code and IDs (no token, and not
    /// Microsoft's description, which may name the account).
    pub fn diagnostic_line(&self) -> String {
        let problem = Problem::from(self);
        format!(
            "{}: {} ({})",
            problem.kind,
            problem.message,
            self.error.support_line()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::entra::tests::entra;

    #[test]
    fn entra_codes_become_plain_instructions_with_the_correlation_id() {
        for (error, code, kind) in [
            ("invalid_grant", 50076, "mfaRequired"),
            ("invalid_grant", 65001, "consentRequired"),
            ("invalid_request", 90094, "consentRequired"),
            ("unauthorized_client", 700016, "appNotFound"),
            ("invalid_request", 50011, "redirectNotRegistered"),
            ("invalid_request", 50194, "singleTenantApp"),
            ("invalid_grant", 70008, "signInExpired"),
            ("access_denied", 65004, "signInCancelled"),
            ("temporarily_unavailable", 1, "signInFailed"),
        ] {
            let problem = Problem::from(&entra(error, code));
            assert_eq!(problem.kind.name(), kind, "AADSTS{code}");
            assert_eq!(problem.request_id.as_deref(), Some("corr-1"));
            assert!(!problem.hint.is_empty());
        }
    }

    #[test]
    fn a_redirected_error_keeps_its_correlation_id_for_the_admin_and_for_support() {
        let entra = EntraError::from_redirect(
            "consent_required".into(),
            Some("AADSTS90094: The grant requires admin permission.\r\nTrace ID: t-1\r\nCorrelation ID: c-1\r\nTimestamp: 2026-03-01 10:00:00Z".into()),
        );
        let failure = SignInFailure {
            error: entra.clone(),
        };
        let problem = Problem::from(AuthError::Entra(entra));
        assert_eq!(problem.kind, ProblemKind::ConsentRequired);
        assert_eq!(problem.request_id.as_deref(), Some("c-1"));
        assert_eq!(Problem::from(&failure), problem);
        assert_eq!(
            failure.diagnostic_line(),
            format!(
                "consentRequired: {} (consent_required AADSTS90094; trace ID t-1; correlation ID c-1)",
                problem.message
            )
        );
    }

    #[test]
    fn a_refused_permission_is_said_once_and_counts_as_directory_refused() {
        assert_eq!(
            Problem::from(&SessionError::DirectoryNotPermitted).kind,
            ProblemKind::DirectoryNotPermitted
        );
        assert_eq!(
            Problem::from(&SessionError::NamesNotPermitted).kind,
            ProblemKind::NamesNotPermitted
        );
        // What the leavers lens treats as "User.Read.All is missing" is what the admin reads
        // as such.
        for error in [
            SessionError::DirectoryNotPermitted,
            SessionError::Auth(entra("invalid_grant", 65001)),
            SessionError::Auth(entra("consent_required", 1)),
        ] {
            assert!(error.is_directory_refused(), "{error:?}");
            assert!(matches!(
                Problem::from(&error).kind,
                ProblemKind::DirectoryNotPermitted | ProblemKind::ConsentRequired
            ));
        }
        for error in [
            SessionError::SignedOut,
            SessionError::NamesNotPermitted,
            SessionError::Auth(entra("invalid_grant", 50076)),
            SessionError::Auth(entra("invalid_request", 50194)),
        ] {
            assert!(!error.is_directory_refused(), "{error:?}");
            assert!(!matches!(
                Problem::from(&error).kind,
                ProblemKind::DirectoryNotPermitted | ProblemKind::ConsentRequired
            ));
        }
    }
}
