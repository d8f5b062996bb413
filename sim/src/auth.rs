//! The sign-in state of the fake Entra: scopes, consent, pending sign-ins, codes and tokens.
//!
//! Tokens are opaque random strings looked up in these tables, not signed JWTs: the app must
//! treat access tokens as opaque anyway (Microsoft says so for Graph tokens), and a table
//! makes "expire every access token now" or "revoke every refresh token" one line. The
//! id_token alone is JWT-shaped, because clients do read its claims; its signature is random
//! bytes, which also makes sure nobody starts trusting it.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::apps::{Consent, Granted};
use super::directory::SimUser;
use super::http::{random_urlsafe, unix_seconds};

/// Delegated Graph permissions a client can ask for, in Microsoft's spelling (the OpenID
/// Connect scopes aside): see `apps::GRAPH_PERMISSIONS`.
fn graph_scopes() -> impl Iterator<Item = &'static str> {
    super::apps::GRAPH_PERMISSIONS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !OIDC_SCOPES.contains(name))
}
/// OpenID Connect scopes, which are about the sign-in itself rather than Graph.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "offline_access", "email"];
/// The ways a client may name the real Graph resource in a scope.
const GRAPH_RESOURCES: &[&str] = &[
    "https://graph.microsoft.com",
    "00000003-0000-0000-c000-000000000000",
];

/// A parsed `scope` parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scopes {
    pub graph: BTreeSet<&'static str>,
    pub oidc: BTreeSet<&'static str>,
}

/// Why a `scope` parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScopeError {
    Missing,
    Invalid(String),
}

impl Scopes {
    pub fn has_oidc(&self, scope: &str) -> bool {
        self.oidc.contains(scope)
    }

    /// The `scope` of a token response: Graph permissions bare, then the OpenID scopes.
    pub fn to_scope_string(&self) -> String {
        let mut parts: Vec<&str> = self.graph.iter().copied().collect();
        for scope in OIDC_SCOPES {
            if self.oidc.contains(scope) {
                parts.push(scope);
            }
        }
        parts.join(" ")
    }

    /// The first Graph permission the client has not been granted, if any.
    pub fn unconsented(&self, consent: &Granted) -> Option<&'static str> {
        self.graph.iter().copied().find(|s| !consent.granted(s))
    }

    /// Parses a space-separated scope list. Graph permissions may be bare
    /// (`TeamsTelephoneNumber.ReadWrite.All`), prefixed with the real Graph resource, or
    /// prefixed with the sim's own Graph root; `<resource>/.default` means "everything the
    /// client has been granted".
    pub fn parse(raw: &str, graph_url: &str, consent: &Granted) -> Result<Scopes, ScopeError> {
        let mut scopes = Scopes::default();
        let mut any = false;
        for item in raw.split_whitespace() {
            any = true;
            if let Some(oidc) = OIDC_SCOPES.iter().find(|s| s.eq_ignore_ascii_case(item)) {
                scopes.oidc.insert(oidc);
                continue;
            }
            let name = match item.rsplit_once('/') {
                Some((resource, name)) => {
                    let resource = resource.trim_end_matches('/');
                    let known = GRAPH_RESOURCES
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(resource))
                        || resource.eq_ignore_ascii_case(graph_url.trim_end_matches('/'));
                    if !known {
                        return Err(ScopeError::Invalid(item.to_string()));
                    }
                    name
                }
                None => item,
            };
            if name == ".default" {
                scopes
                    .graph
                    .extend(graph_scopes().filter(|s| consent.granted(s)));
                continue;
            }
            match graph_scopes().find(|s| s.eq_ignore_ascii_case(name)) {
                Some(scope) => {
                    scopes.graph.insert(scope);
                }
                None => return Err(ScopeError::Invalid(item.to_string())),
            }
        }
        if any {
            Ok(scopes)
        } else {
            Err(ScopeError::Missing)
        }
    }
}

/// PKCE challenge methods (RFC 7636).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChallengeMethod {
    Plain,
    S256,
}

impl ChallengeMethod {
    pub fn verifies(self, challenge: &str, verifier: &str) -> bool {
        match self {
            Self::Plain => challenge == verifier,
            Self::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge,
        }
    }
}

/// An authorize request waiting for the person to pick an account.
#[derive(Debug, Clone)]
pub(crate) struct PendingSignIn {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub state: Option<String>,
    pub challenge: String,
    pub method: ChallengeMethod,
    pub nonce: Option<String>,
    pub created: Instant,
}

/// An authorization code.
#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub challenge: String,
    pub method: ChallengeMethod,
    pub nonce: Option<String>,
    pub user_id: String,
    pub issued: Instant,
    pub redeemed: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub user_id: String,
    pub scopes: BTreeSet<&'static str>,
    pub expires_at: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum RefreshState {
    Active,
    /// Used once; rotation replaced it.
    Rotated,
    /// Revoked by the administrator (the `revoke_refresh_tokens` knob).
    Revoked,
}

#[derive(Debug, Clone)]
pub(crate) struct RefreshToken {
    pub user_id: String,
    pub client_id: String,
    pub scopes: Scopes,
    pub issued_wall: SystemTime,
    pub expires_at: Instant,
    pub state: RefreshState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeviceState {
    Pending,
    Approved(String),
    Declined,
    Redeemed,
}

#[derive(Debug, Clone)]
pub(crate) struct DeviceGrant {
    pub client_id: String,
    pub scopes: Scopes,
    pub user_code: String,
    pub expires_at: Instant,
    pub interval: Duration,
    pub last_poll: Option<Instant>,
    pub state: DeviceState,
}

/// How long things live; from [`super::SimConfig`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetimes {
    pub access_token: Duration,
    pub refresh_token: Duration,
    pub auth_code: Duration,
    pub device_code: Duration,
    pub device_interval: Duration,
}

/// All sign-in state.
#[derive(Debug)]
pub(crate) struct Auth {
    pub lifetimes: Lifetimes,
    pub consent: Consent,
    /// Whether the demo app registration accepts sign-ins through `organizations`/`common`.
    pub multi_tenant_app: bool,
    pub pending: HashMap<String, PendingSignIn>,
    pub codes: HashMap<String, AuthCode>,
    pub access: HashMap<String, AccessToken>,
    /// By [`token_key`] of the token, never the token itself: this table is what the state
    /// file keeps (see `persist.rs`), and a hash cannot be presented to the token endpoint.
    pub refresh: HashMap<String, RefreshToken>,
    /// By device code.
    pub devices: HashMap<String, DeviceGrant>,
    /// Every secret ever handed out (codes, device codes, access, refresh and id tokens), so
    /// tests can prove none of them reached a file or a log of the app.
    pub issued: Vec<String>,
}

/// Where the issued tokens say they come from.
pub(crate) struct Issuer<'a> {
    pub login_url: &'a str,
    pub tenant_id: &'a str,
}

impl Auth {
    pub fn new(lifetimes: Lifetimes, consent: Consent, multi_tenant_app: bool) -> Self {
        Self {
            lifetimes,
            consent,
            multi_tenant_app,
            pending: HashMap::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            devices: HashMap::new(),
            issued: Vec::new(),
        }
    }

    /// A valid (known, unexpired) access token.
    pub fn access_token(&self, token: &str, now: Instant) -> Option<&AccessToken> {
        self.access.get(token).filter(|t| now < t.expires_at)
    }

    /// Issues tokens and returns the token response body. A refresh token comes only with
    /// `offline_access` (or `always_refresh`, for the refresh grant); an id_token only with
    /// `openid`.
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        &mut self,
        issuer: &Issuer<'_>,
        user: &SimUser,
        client_id: &str,
        scopes: &Scopes,
        nonce: Option<&str>,
        always_refresh: bool,
        now: Instant,
    ) -> serde_json::Value {
        let lifetime = self.lifetimes.access_token;
        let access_token = random_urlsafe(48);
        self.issued.push(access_token.clone());
        self.access.insert(
            access_token.clone(),
            AccessToken {
                user_id: user.id.clone(),
                scopes: scopes.graph.clone(),
                expires_at: now + lifetime,
            },
        );
        let mut body = serde_json::json!({
            "token_type": "Bearer",
            "scope": scopes.to_scope_string(),
            "expires_in": lifetime.as_secs(),
            "ext_expires_in": lifetime.as_secs(),
            "access_token": access_token,
        });
        if always_refresh || scopes.has_oidc("offline_access") {
            let refresh_token = random_urlsafe(96);
            self.issued.push(refresh_token.clone());
            let mut kept = scopes.clone();
            kept.oidc.insert("offline_access");
            self.refresh.insert(
                token_key(&refresh_token),
                RefreshToken {
                    user_id: user.id.clone(),
                    client_id: client_id.to_string(),
                    scopes: kept,
                    issued_wall: SystemTime::now(),
                    expires_at: now + self.lifetimes.refresh_token,
                    state: RefreshState::Active,
                },
            );
            body["refresh_token"] = refresh_token.into();
        }
        if scopes.has_oidc("openid") {
            let id_token = id_token(issuer, user, client_id, scopes, nonce, lifetime);
            self.issued.push(id_token.clone());
            body["id_token"] = id_token.into();
        }
        body
    }
}

/// How a refresh token is known to the tenant: the SHA-256 of the token, in lower-case hex.
/// Tokens are 96 random bytes, so a plain hash is enough (no salt or stretching needed).
pub(crate) fn token_key(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A JWT-shaped id_token: real claims, random signature.
fn id_token(
    issuer: &Issuer<'_>,
    user: &SimUser,
    client_id: &str,
    scopes: &Scopes,
    nonce: Option<&str>,
    lifetime: Duration,
) -> String {
    let iat = unix_seconds(SystemTime::now());
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": random_urlsafe(20)});
    // `sub` is pairwise: the same person gets a different subject in every app.
    let sub = URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{}|{client_id}", user.id)));
    let mut claims = serde_json::json!({
        "aud": client_id,
        "iss": format!("{}/{}/v2.0", issuer.login_url, issuer.tenant_id),
        "iat": iat,
        "nbf": iat,
        "exp": iat + lifetime.as_secs(),
        "oid": user.id,
        "sub": sub,
        "tid": issuer.tenant_id,
        "uti": random_urlsafe(16),
        "ver": "2.0",
    });
    if scopes.has_oidc("profile") {
        claims["name"] = user.display_name.clone().into();
        claims["preferred_username"] = user.user_principal_name.clone().into();
    }
    if scopes.has_oidc("email") {
        claims["email"] = user.mail.clone().into();
    }
    if let Some(nonce) = nonce {
        claims["nonce"] = nonce.into();
    }
    let mut signature = [0u8; 256];
    rand::thread_rng().fill(&mut signature[..]);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// A user code as people type it: nine characters, none that look alike.
pub(crate) fn new_user_code() -> String {
    const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ23456789";
    let mut rng = rand::thread_rng();
    (0..9)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// How a user code typed on the device login page is compared.
pub(crate) fn normalize_user_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRAPH: &str = "http://127.0.0.1:4000";

    #[test]
    fn scopes_accept_bare_prefixed_and_sim_prefixed_names() {
        let consent = Granted::from(&Consent::default());
        let scopes = Scopes::parse(
            "openid profile offline_access https://graph.microsoft.com/TeamsTelephoneNumber.ReadWrite.All \
             http://127.0.0.1:4000/User.ReadBasic.All user.read",
            GRAPH,
            &consent,
        )
        .unwrap();
        assert_eq!(
            scopes.graph.iter().copied().collect::<Vec<_>>(),
            vec![
                "TeamsTelephoneNumber.ReadWrite.All",
                "User.Read",
                "User.ReadBasic.All"
            ]
        );
        assert!(scopes.has_oidc("offline_access"));
        assert_eq!(
            scopes.to_scope_string(),
            "TeamsTelephoneNumber.ReadWrite.All User.Read User.ReadBasic.All openid profile offline_access"
        );
    }

    #[test]
    fn scopes_refuse_unknown_names_and_resources() {
        let consent = Granted::from(&Consent::default());
        assert_eq!(
            Scopes::parse("Mail.Read", GRAPH, &consent),
            Err(ScopeError::Invalid("Mail.Read".into()))
        );
        assert!(matches!(
            Scopes::parse("https://outlook.office.com/User.Read", GRAPH, &consent),
            Err(ScopeError::Invalid(_))
        ));
        assert_eq!(
            Scopes::parse("  ", GRAPH, &consent),
            Err(ScopeError::Missing)
        );
    }

    #[test]
    fn default_scope_expands_to_consented_permissions_only() {
        let consent = Granted::from(&Consent {
            teams_telephone_number: true,
            user_read_basic_all: false,
            user_read_all: false,
        });
        let scopes =
            Scopes::parse("https://graph.microsoft.com/.default", GRAPH, &consent).unwrap();
        assert!(scopes.graph.contains("TeamsTelephoneNumber.ReadWrite.All"));
        assert!(!scopes.graph.contains("User.ReadBasic.All"));
        let asked = Scopes::parse("User.ReadBasic.All", GRAPH, &consent).unwrap();
        assert_eq!(asked.unconsented(&consent), Some("User.ReadBasic.All"));
    }

    #[test]
    fn pkce_s256_matches_the_rfc_example() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(ChallengeMethod::S256.verifies(challenge, verifier));
        assert!(!ChallengeMethod::S256.verifies(challenge, "nope"));
        assert!(ChallengeMethod::Plain.verifies(verifier, verifier));
    }

    #[test]
    fn user_codes_are_typed_forgivingly() {
        let code = new_user_code();
        assert_eq!(code.len(), 9);
        assert_eq!(
            normalize_user_code(&format!(" {}-{} ", &code[..4], &code[4..]).to_lowercase()),
            code
        );
    }
}
