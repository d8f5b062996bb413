//! Talking to Microsoft Entra ID: the authorize URL with PKCE, redeeming a code, refreshing,
//! the device-code grant, and Entra's errors read into what they mean (their words for the admin
//! are made in `crate::problem::sign_in`).
//!
//! The `oauth2` crate builds the requests (PKCE S256, CSRF state) and the HTTP client it uses
//! never follows redirects: a token endpoint that redirects is not one to send a code to.
//! Polling for a device code is done here rather than by `oauth2`, whose poller reads Entra's
//! answers into a standard error type and drops what support needs (the AADSTS codes, trace
//! and correlation IDs); every Entra error keeps all of it, whichever flow it ends.

use crate::cloud::Cloud;
use oauth2::basic::{
    BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, DeviceAuthorizationUrl, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

/// The Graph permission every sign-in asks for.
pub const TELEPHONE_PERMISSION: &str = "TeamsTelephoneNumber.ReadWrite.All";
/// Asked for separately, so sign-in never fails for lack of it: assignee names on lookups.
pub const NAMES_PERMISSION: &str = "User.ReadBasic.All";
/// Asked for only when the admin opens the leavers lens: `accountEnabled`, licences, deleted users.
pub const DIRECTORY_PERMISSION: &str = "User.Read.All";

/// The fields Entra adds to a token response that the standard type drops.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct EntraTokenFields {
    #[serde(default)]
    pub id_token: Option<String>,
}
impl oauth2::ExtraTokenFields for EntraTokenFields {}

pub type EntraTokenResponse = StandardTokenResponse<EntraTokenFields, BasicTokenType>;

/// Entra's error body: `error`, `error_description` ("AADSTS…: …"), `error_codes`, IDs.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub struct EntraError {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<u64>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub trace_id: Option<String>,
}
impl oauth2::ErrorResponse for EntraError {}

impl EntraError {
    /// An error that came back to the redirect URI: Entra sends only `error` and
    /// `error_description`, and puts the IDs in the description ("AADSTS65004: …\r\n
    /// Trace ID: …\r\nCorrelation ID: …\r\nTimestamp: …").
    pub fn from_redirect(error: String, description: Option<String>) -> EntraError {
        let line = |label: &str| {
            description.as_deref().and_then(|text| {
                text.lines()
                    .find_map(|l| l.trim().strip_prefix(label))
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            })
        };
        EntraError {
            error_codes: description
                .as_deref()
                .and_then(aadsts_code)
                .into_iter()
                .collect(),
            trace_id: line("Trace ID:"),
            correlation_id: line("Correlation ID:"),
            error,
            error_description: description,
        }
    }

    /// One line for the log and "Copy diagnostics": the error, its AADSTS code and the IDs
    /// Microsoft support asks for. Not the description, which may quote an account name.
    pub fn support_line(&self) -> String {
        let mut line = self.error.clone();
        if let Some(code) = self.error_codes.first() {
            line.push_str(&format!(" AADSTS{code}"));
        }
        for (label, value) in [
            ("trace ID", &self.trace_id),
            ("correlation ID", &self.correlation_id),
        ] {
            if let Some(value) = value {
                line.push_str(&format!("; {label} {value}"));
            }
        }
        line
    }
}

/// The AADSTS number at the start of an Entra error description ("AADSTS65004: …").
pub fn aadsts_code(description: &str) -> Option<u64> {
    let digits: String = description
        .trim_start()
        .strip_prefix("AADSTS")?
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

impl std::fmt::Display for EntraError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)?;
        if let Some(code) = self.error_codes.first() {
            write!(f, " (AADSTS{code})")?;
        }
        Ok(())
    }
}

type EntraClient<HasAuth, HasDevice> = oauth2::Client<
    EntraError,
    EntraTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuth,
    HasDevice,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Where and as whom to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInTarget {
    pub cloud: Cloud,
    /// Tenant ID, domain, or `organizations`.
    pub tenant: String,
    pub client_id: String,
}

impl SignInTarget {
    /// Whether the tenant is `organizations` or `common`, which only a multi-tenant app
    /// registration may use (a single-tenant one is refused with AADSTS50194).
    pub fn through_multi_tenant_alias(&self) -> bool {
        ["organizations", "common"]
            .iter()
            .any(|alias| alias.eq_ignore_ascii_case(self.tenant.trim()))
    }

    fn endpoint(&self, name: &str) -> String {
        format!(
            "{}/{}/oauth2/v2.0/{name}",
            self.cloud.login_root(),
            self.tenant
        )
    }

    /// The scopes of a sign-in: identity, a refresh token, and the telephone-number permission
    /// in this cloud's form.
    pub fn sign_in_scopes(&self) -> Vec<String> {
        vec![
            "openid".into(),
            "profile".into(),
            "offline_access".into(),
            self.cloud.scope(TELEPHONE_PERMISSION),
        ]
    }

    pub fn telephone_scopes(&self) -> Vec<String> {
        vec![
            self.cloud.scope(TELEPHONE_PERMISSION),
            "offline_access".into(),
        ]
    }

    pub fn names_scopes(&self) -> Vec<String> {
        vec![self.cloud.scope(NAMES_PERMISSION), "offline_access".into()]
    }

    pub fn directory_scopes(&self) -> Vec<String> {
        vec![
            self.cloud.scope(DIRECTORY_PERMISSION),
            "offline_access".into(),
        ]
    }

    fn token_url(&self) -> Result<TokenUrl, AuthError> {
        TokenUrl::new(self.endpoint("token")).map_err(|e| AuthError::Protocol(e.to_string()))
    }

    fn client(&self) -> Result<EntraClient<EndpointNotSet, EndpointNotSet>, AuthError> {
        Ok(oauth2::Client::new(ClientId::new(self.client_id.clone()))
            .set_auth_type(oauth2::AuthType::RequestBody)
            .set_token_uri(self.token_url()?))
    }
}

/// An HTTP client for the token endpoint, from [`crate::net`]: the system's proxy, the OS
/// verifier, no redirects, bounded time.
pub fn token_http_client() -> Result<reqwest::Client, AuthError> {
    crate::net::http_client(TOKEN_TIMEOUT).map_err(|e| AuthError::Protocol(e.to_string()))
}

/// How long a token-endpoint request may take.
pub const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// Who signed in, read from the id_token (for display only, never for authorisation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub name: String,
    pub username: String,
    pub tenant_id: String,
    pub object_id: String,
}

/// Reads the claims of an id_token without verifying it: it only labels the account on screen.
pub fn account_from_id_token(id_token: &str) -> Option<Account> {
    use base64::Engine;
    let payload = id_token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    Some(Account {
        name: text("name"),
        username: text("preferred_username"),
        tenant_id: text("tid"),
        object_id: text("oid"),
    })
}

/// Tokens from one grant. The strings are oauth2's secret types: their `Debug` is redacted.
#[derive(Debug)]
pub struct Grant {
    pub access_token: oauth2::AccessToken,
    pub expires_at: SystemTime,
    pub refresh_token: Option<RefreshToken>,
    pub id_token: Option<String>,
    pub scopes: Vec<String>,
}

impl Grant {
    fn from_response(response: &EntraTokenResponse) -> Grant {
        let lifetime = response.expires_in().unwrap_or(Duration::from_secs(3600));
        Grant {
            access_token: response.access_token().clone(),
            expires_at: SystemTime::now() + lifetime,
            refresh_token: response.refresh_token().cloned(),
            id_token: response.extra_fields().id_token.clone(),
            scopes: response
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        }
    }
}

/// A started interactive sign-in: the URL for the browser, and what is needed to finish it.
pub struct PendingSignIn {
    pub url: String,
    pub state: String,
    verifier: PkceCodeVerifier,
    redirect_uri: String,
}

/// Builds the authorize URL with PKCE S256 and a random state.
pub fn start_sign_in(
    target: &SignInTarget,
    redirect_uri: &str,
) -> Result<PendingSignIn, AuthError> {
    start_sign_in_for(target, redirect_uri, target.sign_in_scopes())
}

/// [`start_sign_in`] with other scopes (setup's one sign-in through Microsoft's client).
pub fn start_sign_in_for(
    target: &SignInTarget,
    redirect_uri: &str,
    scopes: Vec<String>,
) -> Result<PendingSignIn, AuthError> {
    let auth_url = AuthUrl::new(target.endpoint("authorize"))
        .map_err(|e| AuthError::Protocol(e.to_string()))?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|e| AuthError::Protocol(e.to_string()))?;
    let client = target
        .client()?
        .set_auth_uri(auth_url)
        .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(scopes.into_iter().map(Scope::new))
        .set_pkce_challenge(challenge)
        .add_extra_param("prompt", "select_account")
        .url();
    Ok(PendingSignIn {
        url: url.to_string(),
        state: state.secret().clone(),
        verifier,
        redirect_uri: redirect_uri.to_owned(),
    })
}

/// Redeems the authorization code with the PKCE verifier.
pub async fn redeem_code(
    target: &SignInTarget,
    pending: PendingSignIn,
    code: String,
    http: &reqwest::Client,
) -> Result<Grant, AuthError> {
    let redirect =
        RedirectUrl::new(pending.redirect_uri).map_err(|e| AuthError::Protocol(e.to_string()))?;
    let client = target.client()?.set_redirect_uri(redirect);
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(pending.verifier)
        .request_async(http)
        .await
        .map_err(|e| AuthError::from_request(e, &target.endpoint("token")))?;
    Ok(Grant::from_response(&response))
}

/// Trades a refresh token for new tokens with `scopes`. Entra rotates the refresh token: the
/// returned grant carries the new one and the old one must be forgotten.
pub async fn refresh(
    target: &SignInTarget,
    refresh_token: &RefreshToken,
    scopes: &[String],
    http: &reqwest::Client,
) -> Result<Grant, AuthError> {
    let response = target
        .client()?
        .exchange_refresh_token(refresh_token)
        .add_scopes(scopes.iter().cloned().map(Scope::new))
        .request_async(http)
        .await
        .map_err(|e| AuthError::from_request(e, &target.endpoint("token")))?;
    Ok(Grant::from_response(&response))
}

/// What the device-code grant shows the admin.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    pub expires_in_secs: u64,
    pub message: Option<String>,
}

/// Starts the device-code grant; returns what to show and a future that polls to the end.
pub async fn device_code_sign_in(
    target: &SignInTarget,
    http: &reqwest::Client,
) -> Result<(DeviceCodePrompt, DeviceCodeWait), AuthError> {
    let device_url = DeviceAuthorizationUrl::new(target.endpoint("devicecode"))
        .map_err(|e| AuthError::Protocol(e.to_string()))?;
    let client = target.client()?.set_device_authorization_url(device_url);
    let details: oauth2::StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(target.sign_in_scopes().into_iter().map(Scope::new))
        .request_async(http)
        .await
        .map_err(|e| AuthError::from_request(e, &target.endpoint("devicecode")))?;
    let prompt = DeviceCodePrompt {
        user_code: details.user_code().secret().clone(),
        verification_uri: details.verification_uri().to_string(),
        expires_in_secs: details.expires_in().as_secs(),
        message: None,
    };
    Ok((
        prompt,
        DeviceCodeWait {
            target: target.clone(),
            details,
        },
    ))
}

/// The grant type of a device-code poll (RFC 8628).
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// How long past `expires_in` polling goes on when Entra never says `expired_token`.
const DEVICE_CODE_GRACE: Duration = Duration::from_secs(30);
/// The longest wait between polls after the token endpoint could not be reached.
const DEVICE_CODE_MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The polling half of the device-code grant.
pub struct DeviceCodeWait {
    target: SignInTarget,
    details: oauth2::StandardDeviceAuthorizationResponse,
}

/// What one poll of the token endpoint said.
enum Poll {
    Granted(Box<EntraTokenResponse>),
    Pending,
    SlowDown,
    Unreachable,
    Failed(AuthError),
}

impl DeviceCodeWait {
    /// Where the sign-in is going on.
    pub fn target(&self) -> &SignInTarget {
        &self.target
    }

    /// Polls at the interval Entra asked for (5 s longer after each `slow_down`, longer too
    /// while the endpoint cannot be reached) until the admin approves, declines, or the code
    /// expires. Entra's errors come back whole, as from the other grants.
    pub async fn finish(self, http: &reqwest::Client) -> Result<Grant, AuthError> {
        let token_url = self.target.token_url()?;
        let form = [
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", self.target.client_id.as_str()),
            ("device_code", self.details.device_code().secret().as_str()),
        ];
        let mut interval = self.details.interval();
        let give_up = tokio::time::Instant::now() + self.details.expires_in() + DEVICE_CODE_GRACE;
        loop {
            match poll_device_token(http, token_url.as_str(), &form).await {
                Poll::Granted(response) => return Ok(Grant::from_response(&response)),
                Poll::Failed(error) => return Err(error),
                Poll::Pending => {}
                Poll::SlowDown => interval += Duration::from_secs(5),
                Poll::Unreachable => {
                    interval = interval.max((interval * 2).min(DEVICE_CODE_MAX_BACKOFF));
                }
            }
            if tokio::time::Instant::now() >= give_up {
                return Err(AuthError::Entra(EntraError {
                    error: "expired_token".into(),
                    error_description: Some(
                        "The device code expired without an answer from Microsoft.".into(),
                    ),
                    ..Default::default()
                }));
            }
            tokio::time::sleep(interval).await;
        }
    }
}

async fn poll_device_token(http: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Poll {
    let response = match http
        .post(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form)
        .send()
        .await
    {
        Ok(response) => response,
        // A proxy that wants a sign-in or an untrusted certificate will not change while
        // the code is valid: say so now rather than when it expires.
        Err(error) => {
            return match crate::net::diagnose(&error, url) {
                Some(blocked) if !blocked.retry_may_help() => {
                    Poll::Failed(AuthError::Blocked(blocked))
                }
                _ => Poll::Unreachable,
            }
        }
    };
    let status = response.status();
    let Ok(body) = response.bytes().await else {
        return Poll::Unreachable;
    };
    if status.is_success() {
        return match serde_json::from_slice::<EntraTokenResponse>(&body) {
            Ok(response) => Poll::Granted(Box::new(response)),
            Err(e) => Poll::Failed(AuthError::Protocol(e.to_string())),
        };
    }
    match serde_json::from_slice::<EntraError>(&body) {
        Ok(entra) if entra.error == "authorization_pending" => Poll::Pending,
        Ok(entra) if entra.error == "slow_down" => Poll::SlowDown,
        Ok(entra) => Poll::Failed(AuthError::Entra(entra)),
        Err(_) => Poll::Failed(AuthError::Protocol(format!(
            "HTTP {} without an Entra error from the token endpoint",
            status.as_u16()
        ))),
    }
}

/// Why sign-in or a refresh failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Microsoft refused the sign-in: {0}")]
    Entra(EntraError),
    #[error("Microsoft's sign-in service could not be reached: {0}")]
    Network(String),
    /// The proxy or an untrusted certificate stopped the request on the way.
    #[error("the request to the sign-in service was stopped on the way: {0}")]
    Blocked(crate::net::Blocked),
    #[error("{0}")]
    Listener(#[from] super::loopback::ListenError),
    /// The browser never came back from a sign-in through `organizations` or `common`: most
    /// likely Microsoft showed AADSTS50194 on its own page (a single-tenant registration).
    #[error(
        "no answer came from the browser in time (signing in through a multi-tenant authority)"
    )]
    TimedOutThroughAlias,
    #[error("unexpected answer from the sign-in service: {0}")]
    Protocol(String),
}

impl AuthError {
    /// A failed token-endpoint request to `url`.
    fn from_request<RE: std::error::Error + 'static>(
        error: RequestTokenError<RE, EntraError>,
        url: &str,
    ) -> AuthError {
        match error {
            RequestTokenError::ServerResponse(entra) => AuthError::Entra(entra),
            RequestTokenError::Request(e) => {
                let transport = (&e as &(dyn std::error::Error + 'static))
                    .downcast_ref::<oauth2::HttpClientError<reqwest::Error>>();
                match transport {
                    Some(oauth2::HttpClientError::Reqwest(inner)) => {
                        match crate::net::diagnose(inner, url) {
                            Some(blocked) => AuthError::Blocked(blocked),
                            None => AuthError::Network(inner.to_string()),
                        }
                    }
                    _ => AuthError::Network(e.to_string()),
                }
            }
            RequestTokenError::Parse(e, _) => AuthError::Protocol(e.to_string()),
            RequestTokenError::Other(e) => AuthError::Protocol(e),
        }
    }

    /// Whether the admin must sign in again (the refresh token is no longer any good).
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, AuthError::Entra(e) if matches!(e.error.as_str(), "invalid_grant" | "interaction_required" | "consent_required"))
    }

    /// Whether Entra refused because a permission was not consented (not a dead sign-in).
    pub fn is_consent_missing(&self) -> bool {
        matches!(self, AuthError::Entra(e)
            if e.error == "consent_required"
                || e.error == "invalid_scope"
                || e.error_codes.iter().any(|c| [65001, 90094, 90008].contains(c)))
    }

    /// Whether Entra refused for lack of admin consent, as the admin is told (see
    /// [`EntraError::refusal`]).
    pub fn is_consent_required(&self) -> bool {
        matches!(self, AuthError::Entra(e) if e.refusal() == EntraRefusal::ConsentRequired)
    }
}

/// What an Entra refusal means for the admin, read from its AADSTS codes and `error` (in this
/// order of precedence). The words for each are made at the command boundary
/// (`crate::problem::sign_in`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntraRefusal {
    /// AADSTS50194: a single-tenant app registration asked through `organizations`.
    SingleTenantApp,
    /// AADSTS50076, 50079, 50074.
    MfaRequired,
    /// AADSTS65001, 90094, 90008, or `consent_required`.
    ConsentRequired,
    /// AADSTS700016: the client ID or the tenant is wrong.
    AppNotFound,
    /// AADSTS50011, 500113: the redirect URI is not registered.
    RedirectNotRegistered,
    /// AADSTS90002, 900023.
    TenantNotFound,
    /// AADSTS70008, 700082, 50173, 700084: expired or revoked.
    SignInExpired,
    /// `access_denied`: cancelled in the browser.
    Cancelled,
    /// `authorization_declined`: declined on the other device.
    Declined,
    /// `expired_token`: the device code expired.
    DeviceCodeExpired,
    /// `interaction_required`.
    InteractionRequired,
    /// `invalid_grant`.
    InvalidGrant,
    /// Anything else.
    Other,
}

impl EntraError {
    /// What this refusal means for the admin.
    pub fn refusal(&self) -> EntraRefusal {
        let code = self.error_codes.first().copied();
        let has = |c: u64| code == Some(c) || self.error_codes.contains(&c);
        let any = |codes: &[u64]| codes.iter().any(|c| has(*c));
        if has(50194) {
            EntraRefusal::SingleTenantApp
        } else if any(&[50076, 50079, 50074]) {
            EntraRefusal::MfaRequired
        } else if any(&[65001, 90094, 90008]) || self.error == "consent_required" {
            EntraRefusal::ConsentRequired
        } else if has(700016) {
            EntraRefusal::AppNotFound
        } else if any(&[50011, 500113]) {
            EntraRefusal::RedirectNotRegistered
        } else if any(&[90002, 900023]) {
            EntraRefusal::TenantNotFound
        } else if any(&[70008, 700082, 50173, 700084]) {
            EntraRefusal::SignInExpired
        } else {
            match self.error.as_str() {
                "access_denied" => EntraRefusal::Cancelled,
                "authorization_declined" => EntraRefusal::Declined,
                "expired_token" => EntraRefusal::DeviceCodeExpired,
                "interaction_required" => EntraRefusal::InteractionRequired,
                "invalid_grant" => EntraRefusal::InvalidGrant,
                _ => EntraRefusal::Other,
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Entra's refusal `error` with one AADSTS `code` (also for `crate::problem::sign_in`).
    pub(crate) fn entra(error: &str, code: u64) -> AuthError {
        AuthError::Entra(EntraError {
            error: error.into(),
            error_codes: vec![code],
            correlation_id: Some("corr-1".into()),
            ..Default::default()
        })
    }

    #[test]
    fn entra_codes_are_read_for_what_they_mean() {
        for (error, code, refusal) in [
            ("invalid_grant", 50076, EntraRefusal::MfaRequired),
            ("invalid_grant", 65001, EntraRefusal::ConsentRequired),
            ("invalid_request", 90094, EntraRefusal::ConsentRequired),
            ("unauthorized_client", 700016, EntraRefusal::AppNotFound),
            (
                "invalid_request",
                50011,
                EntraRefusal::RedirectNotRegistered,
            ),
            ("invalid_request", 50194, EntraRefusal::SingleTenantApp),
            ("invalid_grant", 70008, EntraRefusal::SignInExpired),
            ("access_denied", 65004, EntraRefusal::Cancelled),
            ("temporarily_unavailable", 1, EntraRefusal::Other),
        ] {
            let AuthError::Entra(entra) = entra(error, code) else {
                unreachable!()
            };
            assert_eq!(entra.refusal(), refusal, "AADSTS{code}");
        }
        assert!(entra("invalid_grant", 65001).is_consent_required());
        assert!(!entra("invalid_grant", 50076).is_consent_required());
        assert!(entra("invalid_grant", 70008).needs_sign_in());
        assert!(!entra("temporarily_unavailable", 1).needs_sign_in());
    }

    #[test]
    fn a_redirected_error_keeps_the_ids_from_its_description() {
        let entra = EntraError::from_redirect(
            "consent_required".into(),
            Some("AADSTS90094: The grant requires admin permission.\r\nTrace ID: t-1\r\nCorrelation ID: c-1\r\nTimestamp: 2026-03-01 10:00:00Z".into()),
        );
        assert_eq!(entra.error_codes, vec![90094]);
        assert_eq!(entra.trace_id.as_deref(), Some("t-1"));
        assert_eq!(entra.correlation_id.as_deref(), Some("c-1"));
        assert_eq!(
            entra.support_line(),
            "consent_required AADSTS90094; trace ID t-1; correlation ID c-1"
        );
        assert_eq!(entra.refusal(), EntraRefusal::ConsentRequired);
        let bare = EntraError::from_redirect("access_denied".into(), None);
        assert!(bare.error_codes.is_empty() && bare.correlation_id.is_none());
        assert_eq!(aadsts_code("AADSTS65004: User declined"), Some(65004));
        assert_eq!(aadsts_code("something else"), None);
    }

    #[test]
    fn only_organizations_and_common_are_multi_tenant_aliases() {
        let with = |tenant: &str| SignInTarget {
            cloud: Cloud::microsoft(crate::cloud::CloudId::Global).unwrap(),
            tenant: tenant.into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
        };
        assert!(with("organizations").through_multi_tenant_alias());
        assert!(with("Common").through_multi_tenant_alias());
        assert!(!with("contoso.onmicrosoft.com").through_multi_tenant_alias());
        assert!(!with("72f988bf-86f1-41af-91ab-2d7cd011db47").through_multi_tenant_alias());
    }

    #[test]
    fn the_account_is_read_from_the_id_token_claims() {
        use base64::Engine;
        let claims = serde_json::json!({"name":"Megan Bowen","preferred_username":"meganb@contoso.example","tid":"t-1","oid":"o-1"});
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
        let token = format!("eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln");
        let account = account_from_id_token(&token).unwrap();
        assert_eq!(account.name, "Megan Bowen");
        assert_eq!(account.username, "meganb@contoso.example");
        assert_eq!(account.tenant_id, "t-1");
        assert!(account_from_id_token("not-a-jwt").is_none());
    }

    #[test]
    fn the_authorize_url_carries_pkce_s256_state_and_the_clouds_scope() {
        let target = SignInTarget {
            cloud: Cloud::microsoft(crate::cloud::CloudId::UsGovL4).unwrap(),
            tenant: "contoso.onmicrosoft.us".into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
        };
        let pending = start_sign_in(&target, "http://localhost:5123").unwrap();
        let url = url::Url::parse(&pending.url).unwrap();
        assert_eq!(
            url.as_str().split('?').next().unwrap(),
            "https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/authorize"
        );
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["redirect_uri"], "http://localhost:5123");
        assert_eq!(q["state"], pending.state);
        assert!(
            q["scope"].contains("https://graph.microsoft.us/TeamsTelephoneNumber.ReadWrite.All")
        );
        assert!(q["scope"].contains("offline_access"));
        assert!(!q["scope"].contains("User.ReadBasic.All"));
    }
}
