//! Sign-in and the session.

use super::{App, AuthState};
use crate::auth::entra::DeviceCodePrompt;
use crate::auth::SessionStatus;
use crate::problem::Problem;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

impl AuthState {
    /// Cancels a waiting sign-in and forgets every token, in memory and in the keyring.
    pub async fn sign_out(&self) -> Result<(), Problem> {
        self.service.cancel();
        self.service
            .session()
            .sign_out()
            .await
            .map_err(Problem::from)
    }

    /// Reads the saved session for `target` from the keyring, once per run.
    async fn restore_once(&self, target: &crate::auth::SignInTarget) -> Result<(), Problem> {
        let session = self.service.session();
        self.restored
            .get_or_try_init(|| async {
                session
                    .restore(target)
                    .await
                    .map(|_| ())
                    .map_err(Problem::from)
            })
            .await
            .copied()
    }
}

impl App {
    /// Signs out: forgets every token (memory and keyring), then removes the kept list of
    /// numbers, with its names and user names, from memory and from disk. The list goes even
    /// when the keyring could not be cleared.
    pub async fn sign_out(&self) -> Result<(), Problem> {
        let signed_out = self.auth.sign_out().await;
        self.numbers.forget(&self.context.data_dir).await?;
        signed_out
    }

    /// After a sign-in: follow what was left open, and show the account in the tray.
    async fn signed_in<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        status: SessionStatus,
    ) -> SessionStatus {
        self.register.signed_in();
        self.follow_open_operations(app).await;
        super::announce::refresh_tray(app).await;
        status
    }
}

/// Signed in or not, and as whom. The first call restores a saved session from the keyring
/// (no browser, no network).
#[tauri::command]
pub async fn session_status<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<SessionStatus, Problem> {
    if let Some(target) = state.resolved_setup(&app)?.target() {
        state.auth.restore_once(&target).await?;
    }
    let status = state.auth.service.session().status().await;
    if status.signed_in {
        // Built once per setup; building it picks up operations left open by the last run.
        if let Err(problem) = state.desk(&app).await {
            log::warn!("the unassign workflow is not ready: {}", problem.message);
        }
    }
    Ok(status)
}

/// The link of an interactive sign-in, and whether the system browser opened it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInLink {
    pub url: String,
    pub browser_opened: bool,
}

pub(super) fn open_in_browser<R: Runtime>(app: &AppHandle<R>, url: &str) -> bool {
    use tauri_plugin_opener::OpenerExt;
    match app.opener().open_url(url, None::<&str>) {
        Ok(()) => true,
        Err(error) => {
            log::warn!("the system browser did not open: {error}");
            false
        }
    }
}

/// Starts an interactive sign-in in the system browser; the UI also shows the link.
#[tauri::command]
pub async fn sign_in_begin<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<SignInLink, Problem> {
    let target = state.target(&app)?;
    state.wait_for_new_app(&app, &target).await?;
    let service = &state.auth.service;
    let url = service
        .begin_interactive(&target)
        .await
        .map_err(Problem::from)?;
    let browser_opened = open_in_browser(&app, &url);
    Ok(SignInLink {
        url,
        browser_opened,
    })
}

/// Waits for the browser to come back (up to 5 minutes, or until Cancel).
#[tauri::command]
pub async fn sign_in_wait<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<SessionStatus, Problem> {
    let service = &state.auth.service;
    let status = service.wait_interactive().await.map_err(Problem::from)?;
    Ok(state.signed_in(&app, status).await)
}

/// Cancels the sign-in that is waiting (either kind).
#[tauri::command]
pub fn sign_in_cancel(state: State<'_, App>) {
    state.auth.service.cancel();
}

/// Starts "Sign in on another device": the code and the link to show.
#[tauri::command]
pub async fn device_sign_in_begin<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<DeviceCodePrompt, Problem> {
    let target = state.target(&app)?;
    state.wait_for_new_app(&app, &target).await?;
    let service = &state.auth.service;
    service.begin_device(&target).await.map_err(Problem::from)
}

/// Waits until the other device approves or declines, or the code expires.
#[tauri::command]
pub async fn device_sign_in_wait<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<SessionStatus, Problem> {
    let service = &state.auth.service;
    let status = service.wait_device().await.map_err(Problem::from)?;
    Ok(state.signed_in(&app, status).await)
}

/// Forgets every token, in memory and in the keyring, and removes the kept list of numbers.
#[tauri::command]
pub async fn sign_out<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<SessionStatus, Problem> {
    state.sign_out().await?;
    super::announce::refresh_tray(&app).await;
    Ok(state.auth.service.session().status().await)
}

/// Settings › "Ask again": asks Microsoft once more for the names permission (after an
/// administrator granted consent). Still refused is not an error; the status says so.
#[tauri::command]
pub async fn ask_for_names_again(state: State<'_, App>) -> Result<SessionStatus, Problem> {
    let session = state.auth.service.session();
    session.ask_for_names_again().await.map_err(Problem::from)
}

/// Asks Entra, before any browser opens, whether the app registration accepts the tenant set
/// up (only `organizations` and `common` are asked about; see `check_authority`): the sign-in
/// screen calls it as it opens, so a dead end is said before the admin presses Sign in.
#[tauri::command]
pub async fn sign_in_check<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<(), Problem> {
    let target = state.target(&app)?;
    state
        .auth
        .service
        .check_authority(&target)
        .await
        .map_err(Problem::from)
}
