//! The signed-in session.
//!
//! Access tokens stay in memory. The refresh token and the account it belongs to are saved in
//! the OS keyring through [`Vault`] after every grant, because Entra rotates refresh tokens: the
//! old one stops working once used, so the new one must be kept before anything else happens.
//! All refreshes go through one lock, so two callers never spend the same refresh token.
//! When Entra says the grant is dead (`invalid_grant`, `interaction_required`), the session is
//! forgotten — keyring included — and the admin is asked to sign in again; settings and history
//! are untouched.

use super::entra::{self, Account, AuthError, Grant, SignInTarget};
use crate::cloud::{Cloud, CloudId};
use crate::vault::{SecretStore, Vault, VaultError};
use oauth2::{AccessToken, RefreshToken};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

/// Refresh an access token this long before it expires.
const EARLY_REFRESH: Duration = Duration::from_secs(5 * 60);

/// Which access token a call needs (Graph's client declares them; the session provides them).
pub use crate::graph::TokenKind;

/// What is kept in the keyring (JSON). Holds the refresh token: never written anywhere else.
#[derive(Serialize, Deserialize)]
struct StoredSession {
    version: u32,
    cloud: CloudId,
    login_url: String,
    graph_url: String,
    tenant: String,
    client_id: String,
    account: Account,
    refresh_token: String,
    names_permitted: Option<bool>,
    #[serde(default)]
    directory_permitted: Option<bool>,
}

struct Live {
    target: SignInTarget,
    account: Account,
    refresh_token: RefreshToken,
    telephone: Option<(AccessToken, SystemTime)>,
    names: Option<(AccessToken, SystemTime)>,
    names_permitted: Option<bool>,
    directory: Option<(AccessToken, SystemTime)>,
    directory_permitted: Option<bool>,
}

/// The session as the UI sees it. No token in here.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SessionStatus {
    pub signed_in: bool,
    pub account: Option<Account>,
    /// `Some(false)` when `User.ReadBasic.All` is not consented: names show as object IDs.
    pub names_permitted: Option<bool>,
    /// `Some(false)` when `User.Read.All` was refused: the leavers lens says what to grant.
    /// `None` until the lens first asks for it.
    pub directory_permitted: Option<bool>,
}

/// Why a token could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("not signed in")]
    SignedOut,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("the session belongs to other endpoints than the ones configured")]
    OtherEndpoints,
    /// Names were refused once in this sign-in (no consent for `User.ReadBasic.All`): they are
    /// not asked for again until the admin chooses "Ask again", because every refused request
    /// is a failed sign-in in the tenant's sign-in log.
    #[error("names are not permitted for this sign-in")]
    NamesNotPermitted,
    /// `User.Read.All` was refused once in this sign-in; asked again only on "Ask again".
    #[error("reading accounts (User.Read.All) is not permitted for this sign-in")]
    DirectoryNotPermitted,
}

impl SessionError {
    /// Whether `User.ReadBasic.All` was refused: remembered as not permitted, or Entra
    /// answered that it has no admin consent.
    pub fn is_names_refused(&self) -> bool {
        match self {
            SessionError::NamesNotPermitted => true,
            SessionError::Auth(auth) => auth.is_consent_required(),
            _ => false,
        }
    }

    /// Whether `User.Read.All` was refused: remembered as not permitted, or Entra answered
    /// that it has no admin consent.
    pub fn is_directory_refused(&self) -> bool {
        match self {
            SessionError::DirectoryNotPermitted => true,
            SessionError::Auth(auth) => auth.is_consent_required(),
            _ => false,
        }
    }
}

/// What the workflows ask of the signed-in session besides tokens: who is signed in, and
/// whether names may be read. [`SessionManager`] is the app's; tests may bring their own.
pub trait Session: crate::graph::TokenSource {
    fn status(&self) -> BoxFuture<'_, SessionStatus>;
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

impl<S: SecretStore + 'static> crate::graph::TokenSource for SessionManager<S> {
    fn access_token(
        &self,
        kind: TokenKind,
    ) -> BoxFuture<'_, Result<AccessToken, crate::graph::TokenError>> {
        Box::pin(async move {
            SessionManager::access_token(self, kind)
                .await
                .map_err(|e| Arc::new(e) as crate::graph::TokenError)
        })
    }

    fn token_rejected(&self, kind: TokenKind) -> BoxFuture<'_, ()> {
        Box::pin(SessionManager::token_rejected(self, kind))
    }
}

impl<S: SecretStore + 'static> Session for SessionManager<S> {
    fn status(&self) -> BoxFuture<'_, SessionStatus> {
        Box::pin(SessionManager::status(self))
    }
}

/// The signed-in session, shared by every window and command.
pub struct SessionManager<S: SecretStore + 'static> {
    vault: Arc<Vault<S>>,
    /// Made at the first token request, not at start: building them (TLS with the system's
    /// certificate verifier, twice) took the main thread 15–19 ms before the first screen.
    http: std::sync::OnceLock<Result<crate::net::HttpClients, String>>,
    live: Mutex<Option<Live>>,
}

impl<S: SecretStore + 'static> SessionManager<S> {
    pub fn new(store: S) -> Result<SessionManager<S>, AuthError> {
        SessionManager::for_profile(store, crate::vault::DEFAULT_PROFILE)
    }

    /// A session kept under `profile` (see [`crate::vault::profile_for`]).
    pub fn for_profile(store: S, profile: &str) -> Result<SessionManager<S>, AuthError> {
        Ok(SessionManager {
            vault: Arc::new(Vault::with_profile(store, profile)),
            http: std::sync::OnceLock::new(),
            live: Mutex::new(None),
        })
    }

    /// The HTTP client for `target`'s token endpoint (see [`crate::net::http_client_for`]).
    pub fn http_for(&self, target: &SignInTarget) -> Result<&reqwest::Client, AuthError> {
        let clients = self.http.get_or_init(|| {
            crate::net::HttpClients::new(entra::TOKEN_TIMEOUT).map_err(|e| e.to_string())
        });
        match clients {
            Ok(clients) => Ok(clients.for_url(&target.cloud.login_root())),
            Err(error) => Err(AuthError::Protocol(error.clone())),
        }
    }

    async fn vault_call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Vault<S>) -> Result<T, VaultError> + Send + 'static,
    ) -> Result<T, VaultError> {
        let vault = self.vault.clone();
        // Keyring back-ends block (D-Bus, Keychain prompts); keep them off the async threads.
        crate::off_thread::off_thread(move || call(&vault), VaultError::Failed).await
    }

    async fn persist(&self, live: &Live) -> Result<(), VaultError> {
        let stored = StoredSession {
            version: 1,
            cloud: live.target.cloud.id,
            login_url: live.target.cloud.login_root(),
            graph_url: live.target.cloud.graph_root(),
            tenant: live.target.tenant.clone(),
            client_id: live.target.client_id.clone(),
            account: live.account.clone(),
            refresh_token: live.refresh_token.secret().clone(),
            names_permitted: live.names_permitted,
            directory_permitted: live.directory_permitted,
        };
        let bytes = serde_json::to_vec(&stored).map_err(|e| VaultError::Failed(e.to_string()))?;
        self.vault_call(move |vault| vault.save(&bytes)).await
    }

    /// Loads a saved session from the keyring, if it is for `target`'s endpoints, tenant and
    /// app. Returns whether one was found. No network call: tokens are refreshed when needed.
    pub async fn restore(&self, target: &SignInTarget) -> Result<bool, VaultError> {
        let Some(bytes) = self.vault_call(|vault| vault.load()).await? else {
            return Ok(false);
        };
        let Ok(stored) = serde_json::from_slice::<StoredSession>(&bytes) else {
            return Ok(false);
        };
        let saved_cloud = Cloud::custom(&stored.login_url, &stored.graph_url).map(|c| Cloud {
            id: stored.cloud,
            ..c
        });
        let same_target = saved_cloud.is_ok_and(|saved| saved.same_service_as(&target.cloud))
            && stored.tenant == target.tenant
            && stored.client_id == target.client_id;
        if !same_target {
            return Ok(false);
        }
        *self.live.lock().await = Some(Live {
            target: target.clone(),
            account: stored.account,
            refresh_token: RefreshToken::new(stored.refresh_token),
            telephone: None,
            names: None,
            names_permitted: stored.names_permitted,
            directory: None,
            directory_permitted: stored.directory_permitted,
        });
        Ok(true)
    }

    /// Takes the tokens of a finished sign-in, keeps the refresh token in the keyring, then asks
    /// (separately, with the refresh token) for the names permission; its absence is not an
    /// error, it only means names show as object IDs.
    pub async fn complete_sign_in(
        &self,
        target: &SignInTarget,
        grant: Grant,
    ) -> Result<SessionStatus, SessionError> {
        let refresh_token = grant.refresh_token.clone().ok_or_else(|| {
            AuthError::Protocol("no refresh token was issued (offline_access missing)".into())
        })?;
        let account = grant
            .id_token
            .as_deref()
            .and_then(entra::account_from_id_token)
            .unwrap_or_default();
        let live = Live {
            target: target.clone(),
            account,
            refresh_token,
            telephone: Some((grant.access_token, grant.expires_at)),
            names: None,
            names_permitted: None,
            directory: None,
            directory_permitted: None,
        };
        self.persist(&live).await?;
        *self.live.lock().await = Some(live);
        match self.access_token(TokenKind::Names).await {
            // Without the names permission NumberDesk still works; names show as object IDs.
            Ok(_) | Err(SessionError::Auth(_)) => {}
            Err(other) => return Err(other),
        }
        Ok(self.status().await)
    }

    /// Signed in or not, and as whom.
    pub async fn status(&self) -> SessionStatus {
        let live = self.live.lock().await;
        SessionStatus {
            signed_in: live.is_some(),
            account: live.as_ref().map(|l| l.account.clone()),
            names_permitted: live.as_ref().and_then(|l| l.names_permitted),
            directory_permitted: live.as_ref().and_then(|l| l.directory_permitted),
        }
    }

    /// A valid access token of `kind`, refreshed (and the rotated refresh token saved) when it
    /// is missing or close to expiry. A dead grant signs the session out.
    pub async fn access_token(&self, kind: TokenKind) -> Result<AccessToken, SessionError> {
        let mut guard = self.live.lock().await;
        let live = guard.as_mut().ok_or(SessionError::SignedOut)?;
        let cached = match kind {
            TokenKind::Telephone => &live.telephone,
            TokenKind::Names => &live.names,
            TokenKind::Directory => &live.directory,
        };
        if let Some((token, expires_at)) = cached {
            if *expires_at > SystemTime::now() + EARLY_REFRESH {
                return Ok(token.clone());
            }
        }
        if kind == TokenKind::Names && live.names_permitted == Some(false) {
            // Refused once already: asking again would only add a failed sign-in to the log.
            return Err(SessionError::NamesNotPermitted);
        }
        if kind == TokenKind::Directory && live.directory_permitted == Some(false) {
            return Err(SessionError::DirectoryNotPermitted);
        }
        let scopes = match kind {
            TokenKind::Telephone => live.target.telephone_scopes(),
            TokenKind::Names => live.target.names_scopes(),
            TokenKind::Directory => live.target.directory_scopes(),
        };
        let result = entra::refresh(
            &live.target,
            &live.refresh_token,
            &scopes,
            self.http_for(&live.target)?,
        )
        .await;
        let grant = match result {
            Ok(grant) => grant,
            Err(error) => {
                if kind == TokenKind::Names && error.is_consent_missing() {
                    // Names are optional: remember they are not permitted, stay signed in.
                    live.names_permitted = Some(false);
                    let _ = self.persist(live).await;
                } else if kind == TokenKind::Directory && error.is_consent_missing() {
                    // Optional as well: the lens says what to grant and lists the ghosts.
                    live.directory_permitted = Some(false);
                    let _ = self.persist(live).await;
                } else if error.needs_sign_in() {
                    *guard = None;
                    let _ = self.vault_call(|vault| vault.clear()).await;
                }
                return Err(error.into());
            }
        };
        if let Some(rotated) = grant.refresh_token.clone() {
            live.refresh_token = rotated;
        }
        let token = grant.access_token.clone();
        match kind {
            TokenKind::Telephone => live.telephone = Some((grant.access_token, grant.expires_at)),
            TokenKind::Names => {
                live.names = Some((grant.access_token, grant.expires_at));
                live.names_permitted = Some(true);
            }
            TokenKind::Directory => {
                live.directory = Some((grant.access_token, grant.expires_at));
                live.directory_permitted = Some(true);
            }
        }
        self.persist(live).await?;
        Ok(token)
    }

    /// "Ask again" (Settings): forgets that names were refused and asks Microsoft once, now.
    /// Still refused is not an error: the status says `names_permitted: Some(false)` again.
    pub async fn ask_for_names_again(&self) -> Result<SessionStatus, SessionError> {
        {
            let mut guard = self.live.lock().await;
            let live = guard.as_mut().ok_or(SessionError::SignedOut)?;
            live.names_permitted = None;
            live.names = None;
        }
        match self.access_token(TokenKind::Names).await {
            Ok(_) | Err(SessionError::Auth(_)) => {}
            Err(other) => return Err(other),
        }
        Ok(self.status().await)
    }

    /// "Ask again" (leavers lens): forgets that `User.Read.All` was refused and asks once, now.
    /// Still refused is not an error: the status says `directory_permitted: Some(false)`.
    pub async fn ask_for_directory_again(&self) -> Result<SessionStatus, SessionError> {
        {
            let mut guard = self.live.lock().await;
            let live = guard.as_mut().ok_or(SessionError::SignedOut)?;
            live.directory_permitted = None;
            live.directory = None;
        }
        match self.access_token(TokenKind::Directory).await {
            Ok(_) | Err(SessionError::Auth(_)) => {}
            Err(other) => return Err(other),
        }
        Ok(self.status().await)
    }

    /// Graph answered 401: forget the cached token of `kind` so the next call refreshes.
    pub async fn token_rejected(&self, kind: TokenKind) {
        if let Some(live) = self.live.lock().await.as_mut() {
            match kind {
                TokenKind::Telephone => live.telephone = None,
                TokenKind::Names => live.names = None,
                TokenKind::Directory => live.directory = None,
            }
        }
    }

    /// Forgets every token, in memory and in the keyring.
    pub async fn sign_out(&self) -> Result<(), VaultError> {
        *self.live.lock().await = None;
        self.vault_call(|vault| vault.clear()).await
    }

    /// The endpoints of the signed-in session, if any.
    pub async fn cloud(&self) -> Option<Cloud> {
        self.live
            .lock()
            .await
            .as_ref()
            .map(|l| l.target.cloud.clone())
    }
}
