//! The two ways to sign in, as the UI drives them: begin (get a link or a code to show), then
//! wait (until Microsoft answers, the admin cancels, or time runs out).
//!
//! Only one sign-in runs at a time: beginning a new one cancels the previous one.
//!
//! When Microsoft refuses a sign-in, in either flow, what support needs (error, AADSTS code,
//! trace and correlation IDs) is logged and kept for "Copy diagnostics".

use super::entra::{self, DeviceCodePrompt, DeviceCodeWait, PendingSignIn, SignInTarget};
use super::loopback::{Callback, CancelSignIn, ListenError, LoopbackListener};
use super::session::{SessionError, SessionManager, SessionStatus};
use super::AuthError;
use crate::vault::SecretStore;
use std::time::Duration;
use tokio::sync::{watch, Mutex};

/// How long an interactive sign-in waits for the browser.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(5 * 60);

struct Interactive {
    target: SignInTarget,
    listener: LoopbackListener,
    pending: PendingSignIn,
    cancelled: watch::Receiver<bool>,
}

struct Device {
    target: SignInTarget,
    wait: DeviceCodeWait,
    cancelled: watch::Receiver<bool>,
}

/// Sign-in as the UI sees it, over one [`SessionManager`].
pub struct SignInService<S: SecretStore + 'static> {
    session: std::sync::Arc<SessionManager<S>>,
    interactive: Mutex<Option<Interactive>>,
    /// Setup's sign-in through Microsoft's client (see [`super::bootstrap`]).
    bootstrap: Mutex<Option<Interactive>>,
    device: Mutex<Option<Device>>,
    cancel: std::sync::Mutex<Option<CancelSignIn>>,
    timeout: Duration,
    last_failure: std::sync::Mutex<Option<SignInFailure>>,
}

/// The last sign-in Microsoft refused: what support needs. What the admin was told is made
/// from it at the boundary, as is its line for "Copy diagnostics"
/// (`SignInFailure::diagnostic_line`, in `crate::problem::sign_in`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInFailure {
    pub error: entra::EntraError,
}

impl<S: SecretStore + 'static> SignInService<S> {
    pub fn new(store: S) -> Result<SignInService<S>, AuthError> {
        SignInService::for_profile(store, crate::vault::DEFAULT_PROFILE)
    }

    /// Sign-in whose session is kept under `profile` (one per data folder).
    pub fn for_profile(store: S, profile: &str) -> Result<SignInService<S>, AuthError> {
        Ok(SignInService {
            session: std::sync::Arc::new(SessionManager::for_profile(store, profile)?),
            interactive: Mutex::new(None),
            bootstrap: Mutex::new(None),
            device: Mutex::new(None),
            cancel: std::sync::Mutex::new(None),
            timeout: SIGN_IN_TIMEOUT,
            last_failure: std::sync::Mutex::new(None),
        })
    }

    /// The same service with another browser timeout (tests).
    pub fn with_timeout(mut self, timeout: Duration) -> SignInService<S> {
        self.timeout = timeout;
        self
    }

    pub fn session(&self) -> &SessionManager<S> {
        &self.session
    }

    /// A shared handle on the session, for the Graph client.
    pub fn session_handle(&self) -> std::sync::Arc<SessionManager<S>> {
        self.session.clone()
    }

    fn new_cancel(&self) -> watch::Receiver<bool> {
        let (cancel, receiver) = CancelSignIn::new();
        let previous = crate::locks::lock(&self.cancel).replace(cancel);
        if let Some(previous) = previous {
            previous.cancel();
        }
        receiver
    }

    /// The last sign-in Microsoft refused (either flow), for "Copy diagnostics".
    pub fn last_failure(&self) -> Option<SignInFailure> {
        crate::locks::lock(&self.last_failure).clone()
    }

    /// Keeps and logs what Microsoft said when it refused a sign-in; passes the error on.
    fn noted<T, E: MaybeAuthError>(&self, result: Result<T, E>) -> Result<T, E> {
        if let Err(error) = &result {
            if let Some(AuthError::Entra(entra)) = error.auth_error() {
                log::warn!("sign-in refused: {}", entra.support_line());
                let failure = SignInFailure {
                    error: entra.clone(),
                };
                *crate::locks::lock(&self.last_failure) = Some(failure);
            }
        }
        result
    }

    /// Cancels whichever sign-in is waiting.
    pub fn cancel(&self) {
        if let Some(cancel) = crate::locks::lock(&self.cancel).take() {
            cancel.cancel();
        }
    }

    /// Starts an interactive sign-in: binds the loopback listener and returns the link to open
    /// in the browser.
    /// Through `organizations` or `common`, Entra is asked first (a device-code request, which
    /// it answers at once) whether the app registration accepts that: a single-tenant one is
    /// refused with AADSTS50194, said here instead of on Microsoft's page in the browser.
    pub async fn begin_interactive(&self, target: &SignInTarget) -> Result<String, AuthError> {
        self.check_authority(target).await?;
        let cancelled = self.new_cancel();
        let listener = LoopbackListener::bind().await?;
        let pending = entra::start_sign_in(target, &listener.redirect_uri())?;
        let url = pending.url.clone();
        *self.interactive.lock().await = Some(Interactive {
            target: target.clone(),
            listener,
            pending,
            cancelled,
        });
        Ok(url)
    }

    /// Whether the app registration accepts `target`'s tenant: only `organizations` and
    /// `common` are checked (a device-code request that Entra answers at once and that
    /// starts no sign-in when refused). Only AADSTS50194 is an error here; any other answer,
    /// or none, leaves the browser sign-in to say what is wrong.
    pub async fn check_authority(&self, target: &SignInTarget) -> Result<(), AuthError> {
        if !target.through_multi_tenant_alias() {
            return Ok(());
        }
        match entra::device_code_sign_in(target, self.session.http_for(target)?).await {
            Err(AuthError::Entra(refusal))
                if refusal.refusal() == entra::EntraRefusal::SingleTenantApp =>
            {
                self.noted(Err::<(), _>(AuthError::Entra(refusal)))
            }
            _ => Ok(()),
        }
    }

    /// Waits until Entra knows `target`'s app registration, for the sign-in that follows
    /// "Set up for my organization": Microsoft's directory replicates a new app slowly, and
    /// until it has, Entra refuses it with AADSTS700016 — on its own page in the browser, which
    /// never comes back to NumberDesk. So Entra is asked first, with a device-code request that
    /// it answers at once and that starts no sign-in when refused, and asked again after each
    /// of `waits` while the answer is AADSTS700016 (`progress(attempt, of)` before each wait).
    /// Any other answer lets the browser sign-in go ahead and say what is wrong. Still unknown
    /// after the last wait: the refusal is returned.
    pub async fn wait_until_app_known(
        &self,
        target: &SignInTarget,
        waits: &[Duration],
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<(), AuthError> {
        let mut waits = waits.iter().enumerate();
        let of = waits.len();
        loop {
            match entra::device_code_sign_in(target, self.session.http_for(target)?).await {
                Err(AuthError::Entra(refusal))
                    if refusal.refusal() == entra::EntraRefusal::AppNotFound =>
                {
                    match waits.next() {
                        Some((i, wait)) => {
                            progress(i + 1, of);
                            tokio::time::sleep(*wait).await;
                        }
                        None => return self.noted(Err(AuthError::Entra(refusal))),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Starts setup's sign-in through Microsoft's client for `cloud`: returns the link for the
    /// browser. Cancels any other sign-in that is waiting.
    pub async fn begin_bootstrap(&self, cloud: &crate::cloud::Cloud) -> Result<String, AuthError> {
        let cancelled = self.new_cancel();
        let target = super::bootstrap::bootstrap_target(cloud);
        let listener = LoopbackListener::bind().await?;
        let pending = entra::start_sign_in_for(
            &target,
            &listener.redirect_uri(),
            super::bootstrap::bootstrap_scopes(cloud),
        )?;
        let url = pending.url.clone();
        *self.bootstrap.lock().await = Some(Interactive {
            target,
            listener,
            pending,
            cancelled,
        });
        Ok(url)
    }

    /// Waits for setup's sign-in to come back and returns its token, which is kept nowhere.
    pub async fn wait_bootstrap(&self) -> Result<super::bootstrap::BootstrapToken, AuthError> {
        let started = self
            .bootstrap
            .lock()
            .await
            .take()
            .ok_or(AuthError::Listener(ListenError::Cancelled))?;
        let grant = self.noted(self.receive_grant(started).await)?;
        super::bootstrap::BootstrapToken::from_grant(grant).ok_or_else(|| {
            AuthError::Protocol("the sign-in did not say which tenant it was for".into())
        })
    }

    /// The browser's answer to a started sign-in, redeemed.
    async fn receive_grant(&self, started: Interactive) -> Result<entra::Grant, AuthError> {
        let state = started.pending.state.clone();
        let through_alias = started.target.through_multi_tenant_alias();
        let callback = started
            .listener
            .wait(state, self.timeout, started.cancelled)
            .await
            .map_err(|error| match error {
                // A single-tenant app through `organizations` never comes back (AADSTS50194 is
                // shown on Microsoft's page), so the timeout says what to check.
                ListenError::TimedOut if through_alias => AuthError::TimedOutThroughAlias,
                error => AuthError::from(error),
            })?;
        let code = match callback {
            Callback::Code(code) => code,
            Callback::Error { error, description } => {
                return Err(AuthError::Entra(entra::EntraError::from_redirect(
                    error,
                    description,
                )))
            }
        };
        entra::redeem_code(
            &started.target,
            started.pending,
            code,
            self.session.http_for(&started.target)?,
        )
        .await
    }

    /// Waits for the browser to come back, redeems the code, and keeps the session.
    pub async fn wait_interactive(&self) -> Result<SessionStatus, SessionError> {
        let result = self.wait_interactive_inner().await;
        self.noted(result)
    }

    async fn wait_interactive_inner(&self) -> Result<SessionStatus, SessionError> {
        let started = self
            .interactive
            .lock()
            .await
            .take()
            .ok_or(AuthError::Listener(ListenError::Cancelled))?;
        let target = started.target.clone();
        let grant = self.receive_grant(started).await?;
        self.session.complete_sign_in(&target, grant).await
    }

    /// Starts "Sign in on another device": returns the code and link to show.
    pub async fn begin_device(&self, target: &SignInTarget) -> Result<DeviceCodePrompt, AuthError> {
        let cancelled = self.new_cancel();
        let (prompt, wait) =
            self.noted(entra::device_code_sign_in(target, self.session.http_for(target)?).await)?;
        *self.device.lock().await = Some(Device {
            target: target.clone(),
            wait,
            cancelled,
        });
        Ok(prompt)
    }

    /// Polls until the other device approves, declines, or the code expires.
    pub async fn wait_device(&self) -> Result<SessionStatus, SessionError> {
        let result = self.wait_device_inner().await;
        self.noted(result)
    }

    async fn wait_device_inner(&self) -> Result<SessionStatus, SessionError> {
        let Device {
            target,
            wait,
            mut cancelled,
        } = self
            .device
            .lock()
            .await
            .take()
            .ok_or(AuthError::Listener(ListenError::Cancelled))?;
        let http = self.session.http_for(wait.target())?.clone();
        let grant = tokio::select! {
            grant = wait.finish(&http) => grant?,
            _ = async {
                while !*cancelled.borrow() {
                    if cancelled.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            } => return Err(AuthError::Listener(ListenError::Cancelled).into()),
        };
        self.session.complete_sign_in(&target, grant).await
    }
}

/// The sign-in error inside the errors the flows return.
trait MaybeAuthError {
    fn auth_error(&self) -> Option<&AuthError>;
}

impl MaybeAuthError for AuthError {
    fn auth_error(&self) -> Option<&AuthError> {
        Some(self)
    }
}

impl MaybeAuthError for SessionError {
    fn auth_error(&self) -> Option<&AuthError> {
        match self {
            SessionError::Auth(auth) => Some(auth),
            _ => None,
        }
    }
}
