//! "Set up for my organization": setup's sign-in through Microsoft's client, NumberDesk's
//! registration (`crate::register`), "Check again" while an administrator's consent is
//! awaited, and Cancel. On success the tenant and client ID are saved through the setup form's
//! own path, and the sign-in that follows waits until Microsoft knows the new app.
//!
//! The bootstrap token lives only inside the Graph client kept here while the "Ask an admin"
//! card waits for consent; it is dropped when setup succeeds, is cancelled or starts again.

use super::session::{open_in_browser, SignInLink};
use super::setup::SetupView;
use super::App;
use crate::cloud::{Cloud, CloudId};
use crate::graph::{GraphClient, GraphOptions};
use crate::problem::register::{change_text, nothing_waiting, setup_fixed, step_text};
use crate::problem::Problem;
use crate::register::{self, Outcome, Patience, RegisterError, Registration, Step};
use crate::setup::{LockedBy, Setup};
use serde::Serialize;
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Runtime, State};

/// The event each step of setup, and the wait before the sign-in that follows, comes with
/// (payload: a [`SetupProgress`]).
pub const SETUP_PROGRESS: &str = "setup-progress";

/// What "Set up for my organization" keeps between its commands.
#[derive(Default)]
pub struct RegisterState {
    /// The cloud setup's sign-in was started for.
    cloud: std::sync::Mutex<Option<Cloud>>,
    /// While consent is awaited: the registration and the Graph client holding the bootstrap
    /// token (in memory only).
    awaiting_consent: tokio::sync::Mutex<Option<AwaitingConsent>>,
    /// The client ID setup made or fixed this run: the sign-in that follows waits until
    /// Microsoft knows it.
    fresh_client_id: std::sync::Mutex<Option<String>>,
}

struct AwaitingConsent {
    graph: GraphClient,
    cloud: Cloud,
    registration: Registration,
}

impl RegisterState {
    /// Drops what an earlier setup kept (its bootstrap token with it).
    async fn forget(&self) {
        *self.awaiting_consent.lock().await = None;
        *crate::locks::lock(&self.cloud) = None;
    }

    /// Whether the sign-in for `client_id` is the first one after setup made that app.
    pub fn is_fresh(&self, client_id: &str) -> bool {
        crate::locks::lock(&self.fresh_client_id)
            .as_deref()
            .is_some_and(|fresh| fresh.eq_ignore_ascii_case(client_id))
    }

    /// The first sign-in with the new app got through: no more waiting for it.
    pub fn signed_in(&self) {
        *crate::locks::lock(&self.fresh_client_id) = None;
    }
}

impl App {
    /// The first sign-in after "Set up for my organization" made the app: waits (bounded, with
    /// progress) until Microsoft knows it, so the browser is not sent to AADSTS700016.
    pub(super) async fn wait_for_new_app<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        target: &crate::auth::SignInTarget,
    ) -> Result<(), Problem> {
        if !self.register.is_fresh(&target.client_id) {
            return Ok(());
        }
        let emitter = app.clone();
        self.auth
            .service
            .wait_until_app_known(
                target,
                &crate::register::Patience::default().waits,
                &move |attempt, of| {
                    announce_step(
                        &emitter,
                        crate::register::Step::WaitingForMicrosoft { attempt, of },
                    )
                },
            )
            .await
            .map_err(crate::problem::register::app_not_known_yet)
    }
}

/// One line of progress.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupProgress {
    #[serde(flatten)]
    pub step: Step,
    pub text: String,
}

/// Emits `step` to the windows.
pub fn announce_step<R: Runtime>(app: &AppHandle<R>, step: Step) {
    let _ = app.emit(
        SETUP_PROGRESS,
        SetupProgress {
            step,
            text: step_text(step),
        },
    );
}

/// Where setup ended, for the UI.
#[derive(Debug, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "outcome"
)]
pub enum SetupResult {
    /// Registered and consented; the setup is saved: sign in next.
    Ready {
        changes: Vec<String>,
        setup: Box<SetupView>,
    },
    /// Registered, but an administrator must grant consent: the "Ask an admin" card.
    ConsentNeeded {
        changes: Vec<String>,
        admin_consent_url: String,
        /// The roles that can approve.
        roles: Vec<&'static str>,
        missing: Vec<String>,
    },
}

/// The cloud setup signs in to: the one the launch or IT fixes, else the admin's choice (in
/// the demo, its simulated tenant). Refused when the tenant or client ID is fixed (IT's
/// preset, the test hooks): setup would have nowhere to put what it creates, and must not
/// offer to overwrite it. The demo fixes neither: setup fills them in its own settings.
fn setup_cloud<R: Runtime>(
    app: &AppHandle<R>,
    state: &App,
    chosen: CloudId,
) -> Result<Cloud, Problem> {
    let resolved = state.resolved_setup(app)?;
    if resolved.locked_by == Some(LockedBy::Managed)
        || resolved.locks.tenant
        || resolved.locks.client_id
    {
        return Err(setup_fixed());
    }
    let cloud = if resolved.locks.cloud {
        resolved.cloud
    } else {
        Cloud::microsoft(chosen)
    };
    cloud.ok_or_else(setup_fixed)
}

/// Starts setup's sign-in through Microsoft's client for `cloud` in the system browser; the
/// UI also shows the link.
#[tauri::command]
pub async fn setup_begin<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    cloud: CloudId,
) -> Result<SignInLink, Problem> {
    let cloud = setup_cloud(&app, &state, cloud)?;
    state.register.forget().await;
    let url = state
        .auth
        .service
        .begin_bootstrap(&cloud)
        .await
        .map_err(|e| Problem::from(RegisterError::from_bootstrap(e)))?;
    *crate::locks::lock(&state.register.cloud) = Some(cloud);
    let browser_opened = open_in_browser(&app, &url);
    Ok(SignInLink {
        url,
        browser_opened,
    })
}

/// Waits for setup's sign-in, then finds, fixes or creates NumberDesk's registration, with
/// progress as [`SETUP_PROGRESS`] events.
#[tauri::command]
pub async fn setup_wait<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<SetupResult, Problem> {
    let cloud = crate::locks::lock(&state.register.cloud)
        .clone()
        .ok_or_else(nothing_waiting)?;
    let token = state
        .auth
        .service
        .wait_bootstrap()
        .await
        .map_err(|e| Problem::from(RegisterError::from_bootstrap(e)))?;
    let tenant = token.tenant_id().to_owned();
    let graph = GraphClient::new(
        cloud.graph_url.clone(),
        Arc::new(token),
        GraphOptions::default(),
    )
    .map_err(|e| Problem::from(RegisterError::from(e)))?;
    let emitter = app.clone();
    let outcome = register::register(
        &graph,
        &cloud,
        &tenant,
        &Patience::default(),
        &move |step| announce_step(&emitter, step),
    )
    .await?;
    finish(&app, &state, outcome, graph, cloud).await
}

/// "Check again" on the "Ask an admin" card: reads whether consent has been granted since.
#[tauri::command]
pub async fn setup_check_again<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<SetupResult, Problem> {
    let mut slot = state.register.awaiting_consent.lock().await;
    let waiting = slot.take().ok_or_else(nothing_waiting)?;
    let checked =
        register::check_consent(&waiting.graph, &waiting.cloud, waiting.registration.clone()).await;
    match checked {
        Ok(outcome) => {
            drop(slot);
            finish(&app, &state, outcome, waiting.graph, waiting.cloud).await
        }
        Err(error) => {
            // Still waiting: the card stays, and so does what it needs.
            *slot = Some(waiting);
            Err(error.into())
        }
    }
}

/// Cancels setup: its sign-in if one is waiting, and what it kept (the bootstrap token).
#[tauri::command]
pub async fn setup_cancel(state: State<'_, App>) -> Result<(), Problem> {
    state.auth.service.cancel();
    state.register.forget().await;
    Ok(())
}

/// Saves what setup made (Ready), or keeps the token for "Check again" (ConsentNeeded).
async fn finish<R: Runtime>(
    app: &AppHandle<R>,
    state: &App,
    outcome: Outcome,
    graph: GraphClient,
    cloud: Cloud,
) -> Result<SetupResult, Problem> {
    match outcome {
        Outcome::Ready {
            registration,
            changes,
        } => {
            drop(graph);
            state.register.forget().await;
            let setup = state
                .save_setup(
                    app,
                    &Setup {
                        cloud: cloud.id,
                        tenant: registration.tenant_id.clone(),
                        client_id: registration.client_id.clone(),
                    },
                )
                .await?;
            *crate::locks::lock(&state.register.fresh_client_id) =
                Some(registration.client_id.clone());
            log::info!(
                "set up for the organisation: {}",
                changes
                    .iter()
                    .map(|c| format!("{c:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(SetupResult::Ready {
                changes: changes.iter().map(change_text).collect(),
                setup: Box::new(setup),
            })
        }
        Outcome::ConsentNeeded {
            registration,
            changes,
            admin_consent_url,
            missing,
        } => {
            *state.register.awaiting_consent.lock().await = Some(AwaitingConsent {
                graph,
                cloud,
                registration,
            });
            Ok(SetupResult::ConsentNeeded {
                changes: changes.iter().map(change_text).collect(),
                admin_consent_url,
                roles: register::CONSENT_ROLES.to_vec(),
                missing,
            })
        }
    }
}
