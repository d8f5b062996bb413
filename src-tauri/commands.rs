//! Tauri commands: thin wrappers that read input, call the core, and turn errors into a
//! [`Problem`]. Every command here must also be listed in `build.rs` and granted in the
//! capability file of each window that calls it.

use crate::context::AppContext;
use crate::problem::Problem;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_store::StoreExt;

/// The settings file inside the data folder (tauri-plugin-store).
pub const SETTINGS_FILE: &str = "settings.json";
/// Set once the admin has gone past the first-run screen.
const KEY_FIRST_RUN_DONE: &str = "firstRunDone";

/// What the UI needs to draw its first screen.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub demo: bool,
    pub first_run_done: bool,
    pub endpoints: Option<EndpointsInfo>,
    pub data_dir: String,
    pub startup_problem: Option<Problem>,
}

/// The endpoints in use, so the UI can show where sign-in and Graph calls go.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointsInfo {
    pub cloud: String,
    pub login_url: String,
    pub graph_url: String,
    /// False for the demo tenant and for test-hook endpoints: the UI shows a banner.
    pub microsoft: bool,
}

fn settings_problem(error: impl std::fmt::Display) -> Problem {
    Problem::new(
        "settings",
        format!("NumberDesk could not read or save its settings: {error}."),
        "Check that the data folder shown in Settings exists and that you can write to it, \
         then try again.",
    )
}

fn settings_store<R: Runtime>(
    app: &AppHandle<R>,
    context: &AppContext,
) -> Result<std::sync::Arc<tauri_plugin_store::Store<R>>, Problem> {
    app.store(context.data_dir.join(SETTINGS_FILE))
        .map_err(settings_problem)
}

/// Facts for the first screen: version, demo or not, endpoints, first run or not.
#[tauri::command]
pub fn app_info<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
) -> Result<AppInfo, Problem> {
    let first_run_done = if context.startup_problem.is_some() {
        false
    } else {
        settings_store(&app, &context)?
            .get(KEY_FIRST_RUN_DONE)
            .and_then(|value| value.as_bool())
            .unwrap_or(false)
    };
    Ok(AppInfo {
        version: app.package_info().version.to_string(),
        demo: context.is_demo(),
        first_run_done,
        endpoints: context.cloud.as_ref().map(|cloud| EndpointsInfo {
            cloud: cloud.display_name().to_owned(),
            login_url: cloud.login_root(),
            graph_url: cloud.graph_root(),
            microsoft: cloud.is_microsoft(),
        }),
        data_dir: context.data_dir.display().to_string(),
        startup_problem: context.startup_problem.clone(),
    })
}

/// The admin went past the first-run screen; remember it.
#[tauri::command]
pub fn complete_first_run<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
) -> Result<(), Problem> {
    let store = settings_store(&app, &context)?;
    store.set(KEY_FIRST_RUN_DONE, true);
    store.save().map_err(settings_problem)
}

/// The UI has drawn its first screen. Logs the launch time; with the benchmark hook set,
/// prints it and exits so a script can time many launches.
#[tauri::command]
pub fn ui_ready<R: Runtime>(app: AppHandle<R>, context: State<'_, AppContext>) {
    let elapsed = context.started.elapsed();
    log::info!("first screen shown {} ms after launch", elapsed.as_millis());
    if std::env::var_os(crate::config::ENV_EXIT_WHEN_READY).is_some() {
        println!("ready_ms={}", elapsed.as_millis());
        app.exit(0);
    }
}

// ---------------------------------------------------------------------------------------------
// Setup and sign-in
// ---------------------------------------------------------------------------------------------

use crate::auth::entra::DeviceCodePrompt;
use crate::auth::{SessionStatus, SignInService};
use crate::cloud::CloudId;
use crate::setup::{self, FieldProblem, LockedBy, Locks, Resolved, Setup};
use crate::vault::OsKeyring;

/// The admin's setup as saved in the settings store.
const KEY_SETUP: &str = "setup";

/// Sign-in state shared by every window.
pub struct AuthState {
    pub service: SignInService<OsKeyring>,
    /// The saved session is read from the keyring once, at the first status request.
    restored: tokio::sync::OnceCell<()>,
}

impl AuthState {
    pub fn new(service: SignInService<OsKeyring>) -> AuthState {
        AuthState {
            service,
            restored: tokio::sync::OnceCell::new(),
        }
    }
}

/// The setup form's contents and rules.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupView {
    pub cloud: CloudId,
    pub cloud_name: String,
    pub tenant: String,
    pub client_id: String,
    pub locks: Locks,
    pub locked_by: Option<LockedBy>,
    pub preset_path: String,
    pub preset_problem: Option<Problem>,
    pub problems: Vec<FieldProblem>,
    pub complete: bool,
    /// False for the US Government and China clouds: the UI warns before sign-in.
    pub telephone_api_available: bool,
    /// What the admin registers in Entra ID, with copy buttons beside the fields.
    pub redirect_uri: &'static str,
    pub permission: &'static str,
    pub names_permission: &'static str,
}

fn resolved_setup<R: Runtime>(
    app: &AppHandle<R>,
    context: &AppContext,
) -> Result<Resolved, Problem> {
    let saved = settings_store(app, context)?
        .get(KEY_SETUP)
        .and_then(|value| serde_json::from_value::<Setup>(value).ok());
    let preset = setup::read_managed_preset(&context.managed_preset);
    Ok(setup::resolve(&context.launch_fixed(), preset, saved))
}

fn setup_view(resolved: &Resolved, context: &AppContext) -> SetupView {
    let problems = resolved.problems();
    SetupView {
        cloud: resolved.cloud.as_ref().map(|c| c.id).unwrap_or(CloudId::Global),
        cloud_name: resolved
            .cloud
            .as_ref()
            .map(|cloud| cloud.display_name().to_owned())
            .unwrap_or_else(|| "Not chosen".into()),
        tenant: resolved.tenant.clone(),
        client_id: resolved.client_id.clone(),
        locks: resolved.locks,
        locked_by: resolved.locked_by,
        preset_path: context.managed_preset.display().to_string(),
        preset_problem: resolved.preset_problem.as_ref().map(|error| {
            Problem::new(
                "managedPreset",
                format!("Your IT department’s NumberDesk preset could not be used: {error}."),
                "Ask IT to correct or remove the preset file. Until then you can fill in the fields yourself.",
            )
        }),
        complete: problems.is_empty() && resolved.cloud.is_some(),
        problems,
        telephone_api_available: resolved
            .cloud
            .as_ref()
            .map(|c| c.telephone_numbers_available())
            .unwrap_or(true),
        redirect_uri: "http://localhost",
        permission: crate::auth::entra::TELEPHONE_PERMISSION,
        names_permission: crate::auth::entra::NAMES_PERMISSION,
    }
}

fn target_or_problem(resolved: &Resolved) -> Result<crate::auth::SignInTarget, Problem> {
    resolved.target().ok_or_else(|| {
        Problem::new(
            "setupIncomplete",
            "NumberDesk does not know yet which tenant to sign in to.",
            "Fill in the cloud, tenant and client ID in Settings first.",
        )
    })
}

/// The setup in force, where it came from, and what is missing.
#[tauri::command]
pub fn get_setup<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
) -> Result<SetupView, Problem> {
    Ok(setup_view(&resolved_setup(&app, &context)?, &context))
}

/// Checks the form as it is typed: one entry per field with a problem.
#[tauri::command]
pub fn check_setup(setup: Setup) -> Vec<FieldProblem> {
    setup.problems()
}

/// Saves the admin's setup. Fields fixed by the demo, the test hooks or IT's preset stay as
/// they are. A changed tenant or app signs the current session out.
#[tauri::command]
pub async fn save_setup<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    setup: Setup,
) -> Result<SetupView, Problem> {
    let setup = setup.trimmed();
    let before = resolved_setup(&app, &context)?;
    if before.locks.cloud && before.locks.tenant && before.locks.client_id {
        return Err(Problem::new(
            "setupLocked",
            "These settings are fixed and cannot be changed here.",
            "They come from your IT department’s preset (or the demo). Ask IT to change the preset.",
        ));
    }
    let mut problems = setup.problems();
    problems.retain(|p| {
        !(p.field == "cloud" && before.locks.cloud
            || p.field == "tenant" && before.locks.tenant
            || p.field == "clientId" && before.locks.client_id)
    });
    if let Some(first) = problems.first() {
        return Err(Problem::new(
            "setupInvalid",
            first.message.clone(),
            "Correct the highlighted field and save again.",
        ));
    }
    let store = settings_store(&app, &context)?;
    store.set(
        KEY_SETUP,
        serde_json::to_value(&setup).map_err(settings_problem)?,
    );
    store.save().map_err(settings_problem)?;
    let after = resolved_setup(&app, &context)?;
    if before.target() != after.target() {
        auth.service.cancel();
        auth.service
            .session()
            .sign_out()
            .await
            .map_err(|e| crate::auth::session::vault_problem(&e))?;
    }
    Ok(setup_view(&after, &context))
}

/// Signed in or not, and as whom. The first call restores a saved session from the keyring
/// (no browser, no network).
#[tauri::command]
pub async fn session_status<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
) -> Result<SessionStatus, Problem> {
    if let Some(target) = resolved_setup(&app, &context)?.target() {
        let session = auth.service.session();
        auth.restored
            .get_or_try_init(|| async {
                session
                    .restore(&target)
                    .await
                    .map(|_| ())
                    .map_err(|e| crate::auth::session::vault_problem(&e))
            })
            .await?;
    }
    Ok(auth.service.session().status().await)
}

/// The link of an interactive sign-in, and whether the system browser opened it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInLink {
    pub url: String,
    pub browser_opened: bool,
}

/// Starts an interactive sign-in in the system browser; the UI also shows the link.
#[tauri::command]
pub async fn sign_in_begin<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
) -> Result<SignInLink, Problem> {
    let target = target_or_problem(&resolved_setup(&app, &context)?)?;
    let url = auth
        .service
        .begin_interactive(&target)
        .await
        .map_err(|e| e.to_problem())?;
    let browser_opened = {
        use tauri_plugin_opener::OpenerExt;
        match app.opener().open_url(url.clone(), None::<&str>) {
            Ok(()) => true,
            Err(error) => {
                log::warn!("the system browser did not open: {error}");
                false
            }
        }
    };
    Ok(SignInLink {
        url,
        browser_opened,
    })
}

/// Waits for the browser to come back (up to 5 minutes, or until Cancel).
#[tauri::command]
pub async fn sign_in_wait(auth: State<'_, AuthState>) -> Result<SessionStatus, Problem> {
    auth.service
        .wait_interactive()
        .await
        .map_err(|e| e.to_problem())
}

/// Cancels the sign-in that is waiting (either kind).
#[tauri::command]
pub fn sign_in_cancel(auth: State<'_, AuthState>) {
    auth.service.cancel();
}

/// Starts "Sign in on another device": the code and the link to show.
#[tauri::command]
pub async fn device_sign_in_begin<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
) -> Result<DeviceCodePrompt, Problem> {
    let target = target_or_problem(&resolved_setup(&app, &context)?)?;
    auth.service
        .begin_device(&target)
        .await
        .map_err(|e| e.to_problem())
}

/// Waits until the other device approves or declines, or the code expires.
#[tauri::command]
pub async fn device_sign_in_wait(auth: State<'_, AuthState>) -> Result<SessionStatus, Problem> {
    auth.service.wait_device().await.map_err(|e| e.to_problem())
}

/// Forgets every token, in memory and in the keyring.
#[tauri::command]
pub async fn sign_out(auth: State<'_, AuthState>) -> Result<SessionStatus, Problem> {
    auth.service.cancel();
    auth.service
        .session()
        .sign_out()
        .await
        .map_err(|e| crate::auth::session::vault_problem(&e))?;
    Ok(auth.service.session().status().await)
}
