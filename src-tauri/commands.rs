//! Tauri commands: thin wrappers that read input, call the core, and turn errors into a
//! [`Problem`]. Every command here must also be listed in `build.rs` and granted in the
//! capability file of each window that calls it.

use crate::context::AppContext;
use crate::problem::Problem;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_store::StoreExt;

/// The settings file inside the data folder (tauri-plugin-store).
pub const SETTINGS_FILE: &str = crate::data_folder::SETTINGS_FILE;
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
    /// `NUMBERDESK_*` variables set but not used because IT's preset locks the setup.
    pub ignored_hooks: Vec<&'static str>,
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
    // IT's preset beats the hooks' endpoints: show where sign-in really goes.
    let launch = setup::resolve(
        &context.launch_fixed(),
        setup::read_managed_preset(&context.managed_preset),
        None,
    );
    let cloud = if launch.ignored_hooks.contains(&crate::config::ENV_LOGIN_URL) {
        launch.cloud.as_ref()
    } else {
        context.cloud.as_ref()
    };
    Ok(AppInfo {
        version: app.package_info().version.to_string(),
        demo: context.is_demo(),
        first_run_done,
        endpoints: cloud.map(|cloud| EndpointsInfo {
            cloud: cloud.display_name().to_owned(),
            login_url: cloud.login_root(),
            graph_url: cloud.graph_root(),
            microsoft: cloud.is_microsoft(),
        }),
        data_dir: context.data_dir.display().to_string(),
        startup_problem: context.startup_problem.clone(),
        ignored_hooks: launch.ignored_hooks,
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
    /// `NUMBERDESK_*` variables set but not used because IT's preset locks the setup.
    pub ignored_hooks: Vec<&'static str>,
    pub problems: Vec<FieldProblem>,
    /// Accepted, but worth knowing (e.g. `organizations` needs a multi-tenant app).
    pub warnings: Vec<FieldProblem>,
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
        ignored_hooks: resolved.ignored_hooks.clone(),
        complete: problems.is_empty() && resolved.cloud.is_some(),
        problems,
        warnings: resolved.warnings(),
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

/// What the setup form shows as it is typed: problems block saving, warnings do not.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupCheck {
    pub problems: Vec<FieldProblem>,
    pub warnings: Vec<FieldProblem>,
}

/// Checks the form as it is typed: one entry per field with a problem or a warning.
#[tauri::command]
pub fn check_setup(setup: Setup) -> SetupCheck {
    SetupCheck {
        problems: setup.problems(),
        warnings: setup.warnings(),
    }
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
    desks: State<'_, DeskState>,
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
    let status = auth.service.session().status().await;
    if status.signed_in {
        // Built once per setup; building it picks up operations left open by the last run.
        if let Err(problem) = desk(&app, &context, &auth, &desks).await {
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
pub async fn sign_in_wait<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    desks: State<'_, DeskState>,
) -> Result<SessionStatus, Problem> {
    let status = auth
        .service
        .wait_interactive()
        .await
        .map_err(|e| e.to_problem())?;
    follow_open_operations(&app, &context, &auth, &desks).await;
    refresh_tray(&app).await;
    Ok(status)
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
pub async fn device_sign_in_wait<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    desks: State<'_, DeskState>,
) -> Result<SessionStatus, Problem> {
    let status = auth
        .service
        .wait_device()
        .await
        .map_err(|e| e.to_problem())?;
    follow_open_operations(&app, &context, &auth, &desks).await;
    refresh_tray(&app).await;
    Ok(status)
}

/// Forgets every token, in memory and in the keyring.
#[tauri::command]
pub async fn sign_out<R: Runtime>(
    app: AppHandle<R>,
    auth: State<'_, AuthState>,
) -> Result<SessionStatus, Problem> {
    auth.service.cancel();
    auth.service
        .session()
        .sign_out()
        .await
        .map_err(|e| crate::auth::session::vault_problem(&e))?;
    refresh_tray(&app).await;
    Ok(auth.service.session().status().await)
}

/// Settings › "Ask again": asks Microsoft once more for the names permission (after an
/// administrator granted consent). Still refused is not an error; the status says so.
#[tauri::command]
pub async fn ask_for_names_again(auth: State<'_, AuthState>) -> Result<SessionStatus, Problem> {
    auth.service
        .session()
        .ask_for_names_again()
        .await
        .map_err(|e| e.to_problem())
}

// ---------------------------------------------------------------------------------------------
// Unassign, history, undo
// ---------------------------------------------------------------------------------------------

use crate::desk::{Desk, DeskConfig, LookupCard, RecordView};
use crate::graph::{GraphClient, GraphOptions};
use crate::history::{History, HistoryQuery, RecordStatus};
use tauri::Emitter;

/// The event every record change is announced with (payload: a [`RecordView`]).
pub const OPERATION_UPDATED: &str = "operation-updated";

/// The history database and the workflow over it.
pub struct DeskState {
    pub history: Result<Arc<History>, Problem>,
    /// Shown once in History when a damaged database was set aside.
    pub notice: Option<String>,
    desk: tokio::sync::Mutex<Option<(crate::auth::SignInTarget, Workflows)>>,
}

/// The single-number and bulk workflows for one tenant.
#[derive(Clone)]
struct Workflows {
    desk: Arc<Desk<OsKeyring>>,
    bulk: Arc<BulkDesk<OsKeyring>>,
}

use std::sync::Arc;

impl DeskState {
    pub fn open(data_dir: &std::path::Path) -> DeskState {
        match History::open(data_dir) {
            Ok((history, notice)) => DeskState {
                history: Ok(Arc::new(history)),
                notice: notice.map(|n| n.message()),
                desk: tokio::sync::Mutex::new(None),
            },
            Err(error) => DeskState {
                history: Err(Problem::new(
                    "history",
                    format!("NumberDesk could not open its history: {error}."),
                    error.hint(),
                )),
                notice: None,
                desk: tokio::sync::Mutex::new(None),
            },
        }
    }

    /// No history this run (the data folder could not be settled); every use says why.
    pub fn unavailable(problem: Problem) -> DeskState {
        DeskState {
            history: Err(problem),
            notice: None,
            desk: tokio::sync::Mutex::new(None),
        }
    }

    fn history(&self) -> Result<Arc<History>, Problem> {
        self.history.clone()
    }
}

/// The workflow for the tenant now set up, built on first use and again when the setup changes.
/// A new one picks up every open record of the history.
async fn desk<R: Runtime>(
    app: &AppHandle<R>,
    context: &AppContext,
    auth: &AuthState,
    state: &DeskState,
) -> Result<Arc<Desk<OsKeyring>>, Problem> {
    Ok(workflows(app, context, auth, state).await?.desk)
}

/// The bulk workflow for the tenant now set up.
async fn bulk<R: Runtime>(
    app: &AppHandle<R>,
    context: &AppContext,
    auth: &AuthState,
    state: &DeskState,
) -> Result<Arc<BulkDesk<OsKeyring>>, Problem> {
    Ok(workflows(app, context, auth, state).await?.bulk)
}

async fn workflows<R: Runtime>(
    app: &AppHandle<R>,
    context: &AppContext,
    auth: &AuthState,
    state: &DeskState,
) -> Result<Workflows, Problem> {
    let target = target_or_problem(&resolved_setup(app, context)?)?;
    let mut slot = state.desk.lock().await;
    if let Some((built_for, built)) = slot.as_ref() {
        if *built_for == target {
            return Ok(built.clone());
        }
    }
    let history = state.history()?;
    let graph = GraphClient::new(
        target.cloud.graph_url.clone(),
        auth.service.session_handle(),
        GraphOptions::default(),
    )
    .map_err(|e| e.to_problem(target.cloud.telephone_numbers_available()))?;
    let emitter = app.clone();
    let desk = Arc::new(Desk::new(
        graph.clone(),
        history.clone(),
        auth.service.session_handle(),
        target.cloud.clone(),
        Arc::new(move |record: &RecordView| record_changed(&emitter, record)),
        DeskConfig::default(),
    ));
    let emitter = app.clone();
    let bulk = Arc::new(BulkDesk::new(
        graph,
        history,
        auth.service.session_handle(),
        target.cloud.clone(),
        BulkConfig::default(),
        Arc::new(move |event: &BulkEvent| {
            if let BulkEvent::Row(row) = event {
                if row.phase.is_final() {
                    // For support: ids and outcome only, never the number or the assignee.
                    log::info!(
                        "bulk row {} ended {:?} (change #{})",
                        row.row,
                        row.phase,
                        row.record_id.map_or("none".into(), |id| id.to_string())
                    );
                }
            }
            let _ = emitter.emit(BULK_EVENT, event);
        }),
    ));
    if auth.service.session().status().await.signed_in {
        let resuming = desk.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(problem) = resuming.resume().await {
                log::warn!("resuming open operations failed: {}", problem.message);
            }
        });
    }
    let built = Workflows { desk, bulk };
    *slot = Some((target, built.clone()));
    Ok(built)
}

/// Makes sure open operations are followed once signed in (after sign-in or a restart).
pub async fn follow_open_operations<R: Runtime>(
    app: &AppHandle<R>,
    context: &AppContext,
    auth: &AuthState,
    state: &DeskState,
) {
    let desk = {
        state
            .desk
            .lock()
            .await
            .as_ref()
            .map(|(_, built)| built.desk.clone())
    };
    match desk {
        Some(desk) => {
            tauri::async_runtime::spawn(async move {
                let _ = desk.resume().await;
            });
        }
        None => {
            let _ = self::desk(app, context, auth, state).await;
        }
    }
}

/// Looks a number up: who has it, what kind, whether it can be removed.
#[tauri::command]
pub async fn lookup_number<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
    input: String,
) -> Result<LookupCard, Problem> {
    desk(&app, &context, &auth, &state)
        .await?
        .lookup(&input)
        .await
}

/// Unassigns the number of a confirmed lookup (at most one request per confirmation).
#[tauri::command]
pub async fn unassign_number<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
    lookup_id: String,
) -> Result<RecordView, Problem> {
    desk(&app, &context, &auth, &state)
        .await?
        .unassign(&lookup_id)
        .await
}

/// Undo: gives the number of a succeeded unassignment back to its prior assignee.
#[tauri::command]
pub async fn reassign_number<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
    record_id: i64,
) -> Result<RecordView, Problem> {
    desk(&app, &context, &auth, &state)
        .await?
        .reassign(record_id)
        .await
}

/// "Check again" for a stale or unknown outcome.
#[tauri::command]
pub async fn check_operation_again<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
    record_id: i64,
) -> Result<RecordView, Problem> {
    desk(&app, &context, &auth, &state)
        .await?
        .check_again(record_id)
        .await
}

/// The History view's question: a status group, text, and the page.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HistoryListQuery {
    /// `all`, `inProgress`, `succeeded`, `failed` or `other`.
    pub group: String,
    pub text: Option<String>,
    pub before_id: Option<i64>,
    pub limit: u32,
    /// Only the rows of this bulk run.
    pub batch_id: Option<String>,
}

const IN_PROGRESS: [RecordStatus; 5] = [
    RecordStatus::Sending,
    RecordStatus::Accepted,
    RecordStatus::NotStarted,
    RecordStatus::Running,
    RecordStatus::OutcomeUnknown,
];

fn group_of(status: &RecordStatus) -> &'static str {
    match status {
        s if IN_PROGRESS.contains(s) => "inProgress",
        RecordStatus::Succeeded => "succeeded",
        RecordStatus::Failed | RecordStatus::Rejected => "failed",
        _ => "other",
    }
}

fn history_query(query: &HistoryListQuery, counts: &crate::history::StatusCounts) -> HistoryQuery {
    let statuses = if query.group.is_empty() || query.group == "all" {
        Vec::new()
    } else {
        let mut known: Vec<RecordStatus> = IN_PROGRESS.to_vec();
        known.extend([
            RecordStatus::Succeeded,
            RecordStatus::Failed,
            RecordStatus::Rejected,
            RecordStatus::Skipped,
            RecordStatus::Stale,
        ]);
        known.extend(
            counts
                .by_status
                .keys()
                .map(|k| RecordStatus::from_stored(k)),
        );
        let mut chosen: Vec<RecordStatus> = known
            .into_iter()
            .filter(|s| group_of(s) == query.group)
            .collect();
        chosen.dedup();
        if chosen.is_empty() {
            // A group with no status yet: match nothing rather than everything.
            chosen.push(RecordStatus::Other("(none)".into()));
        }
        chosen
    };
    HistoryQuery {
        statuses,
        text: query.text.clone().filter(|t| !t.trim().is_empty()),
        before_id: query.before_id,
        limit: query.limit,
        batch_id: query.batch_id.clone(),
    }
}

/// A page of History with the counts for the status chips.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryListPage {
    pub records: Vec<RecordView>,
    pub next_before_id: Option<i64>,
    pub counts: std::collections::BTreeMap<String, u64>,
    pub notice: Option<String>,
}

fn history_problem(error: crate::history::HistoryError) -> Problem {
    Problem::new(
        "history",
        format!("NumberDesk could not read its history: {error}."),
        error.hint(),
    )
}

/// Newest first, filtered, one page at a time.
#[tauri::command]
pub fn history_list(
    state: State<'_, DeskState>,
    query: HistoryListQuery,
) -> Result<HistoryListPage, Problem> {
    let history = state.history()?;
    let counts = history.counts().map_err(history_problem)?;
    let page = history
        .list(&history_query(&query, &counts))
        .map_err(history_problem)?;
    let mut groups = std::collections::BTreeMap::new();
    groups.insert("all".to_owned(), counts.total);
    for group in ["inProgress", "succeeded", "failed", "other"] {
        groups.insert(group.to_owned(), 0);
    }
    for (status, count) in &counts.by_status {
        *groups
            .entry(group_of(&RecordStatus::from_stored(status)).to_owned())
            .or_default() += count;
    }
    Ok(HistoryListPage {
        records: page.records.into_iter().map(RecordView::from).collect(),
        next_before_id: page.next_before_id,
        counts: groups,
        notice: state.notice.clone(),
    })
}

/// One record, for the detail panel.
#[tauri::command]
pub fn history_get(state: State<'_, DeskState>, id: i64) -> Result<RecordView, Problem> {
    state
        .history()?
        .get(id)
        .map_err(history_problem)?
        .map(RecordView::from)
        .ok_or_else(|| {
            Problem::new(
                "notFound",
                "That change is not in the history.",
                "Refresh the History view.",
            )
        })
}

/// Where an export went.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    pub path: String,
    pub count: usize,
}

/// Writes every record matching the view's filter to a CSV file in Downloads.
#[tauri::command]
pub fn history_export<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    state: State<'_, DeskState>,
    query: HistoryListQuery,
) -> Result<Exported, Problem> {
    use tauri::Manager;
    let history = state.history()?;
    let counts = history.counts().map_err(history_problem)?;
    let folder = app
        .path()
        .download_dir()
        .ok()
        .filter(|dir| std::fs::create_dir_all(dir).is_ok())
        .unwrap_or_else(|| context.data_dir.clone());
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_else(|_| "export".into());
    let name = if query.batch_id.is_some() {
        "bulk-run"
    } else {
        "history"
    };
    let path = folder.join(format!("numberdesk-{name}-{stamp}.csv"));
    let export_problem = |error: &dyn std::fmt::Display| {
        Problem::new(
            "export",
            format!("NumberDesk could not write {}: {error}.", path.display()),
            "Check that the Downloads folder exists and has free space, then try again.",
        )
    };
    let file = std::fs::File::create(&path).map_err(|e| export_problem(&e))?;
    let mut query = history_query(&query, &counts);
    query.before_id = None;
    let count = history
        .export_csv(&query, std::io::BufWriter::new(file))
        .map_err(|e| export_problem(&e))?;
    Ok(Exported {
        path: path.display().to_string(),
        count,
    })
}

/// The text behind "Copy diagnostics": version, OS, cloud, the last request ids and errors;
/// never a token or an assignee (see `diagnostics.rs`).
#[tauri::command]
pub async fn copy_diagnostics<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
) -> Result<String, Problem> {
    let resolved = resolved_setup(&app, &context).ok();
    let cloud = resolved.as_ref().and_then(|r| r.cloud.clone());
    let facts = crate::diagnostics::Facts {
        version: app.package_info().version.to_string(),
        cloud: cloud.as_ref().map(|c| c.display_name().to_owned()),
        graph_url: cloud.as_ref().map(|c| c.graph_url.to_string()),
        signed_in: auth.service.session().status().await.signed_in,
    };
    let history = state.history();
    let mut report = crate::diagnostics::report(
        &facts,
        &crate::diagnostics::os_name(),
        history.as_deref().map_err(|p| p.message.clone()),
    );
    if let Some(failure) = auth.service.last_failure() {
        report.push_str(&format!(
            "Last refused sign-in: {}\n",
            failure.diagnostic_line()
        ));
    }
    log::info!("diagnostics copied");
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Bulk unassign
// ---------------------------------------------------------------------------------------------

use crate::bulk::{
    BatchView, BulkConfig, BulkDesk, BulkEvent, InputSource, InputView, PreviewView, RunView,
    Selection,
};

/// The event a bulk run's row and progress changes come with (payload: a [`BulkEvent`]).
pub const BULK_EVENT: &str = "bulk-event";

/// The header that names a file sent as the raw body of `bulk_read` (percent-encoded, as a
/// header value is ASCII).
pub const FILE_NAME_HEADER: &str = "x-numberdesk-file-name";

/// Reads a pasted list or a CSV file's bytes; nothing is sent. A file comes as the raw IPC
/// body (its bytes, not a JSON array of numbers four times their size) with its name in
/// [`FILE_NAME_HEADER`]; pasted text comes as JSON `{ source: { kind: "text", text } }`.
#[tauri::command]
pub async fn bulk_read<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
    request: tauri::ipc::Request<'_>,
) -> Result<InputView, Problem> {
    let source = input_source(&request)?;
    bulk(&app, &context, &auth, &state).await?.read(source)
}

/// What `bulk_read` was given: raw bytes are a file; JSON is an [`InputSource`] (or, when
/// the webview fell back from the IPC protocol to `postMessage`, the file's bytes as an array).
fn input_source(request: &tauri::ipc::Request<'_>) -> Result<InputSource, Problem> {
    let file = |bytes: Vec<u8>| {
        let name = request
            .headers()
            .get(FILE_NAME_HEADER)
            .and_then(|value| value.to_str().ok())
            // encodeURIComponent's output: `&`, `=` and `+` are escaped, so the whole value
            // reads back as one form key.
            .and_then(|value| url::form_urlencoded::parse(value.as_bytes()).next())
            .map(|(name, _)| name.into_owned())
            .unwrap_or_else(|| "the file".to_owned());
        InputSource::Csv { bytes, name }
    };
    let unreadable = |error: serde_json::Error| {
        Problem::new(
            "unexpected",
            format!("NumberDesk’s window sent a list it could not read ({error})."),
            "Try again. If it keeps happening, restart NumberDesk.",
        )
    };
    match request.body() {
        tauri::ipc::InvokeBody::Raw(bytes) => Ok(file(bytes.clone())),
        tauri::ipc::InvokeBody::Json(value @ serde_json::Value::Array(_)) => Ok(file(
            serde_json::from_value(value.clone()).map_err(unreadable)?,
        )),
        tauri::ipc::InvokeBody::Json(value) => {
            serde_json::from_value(value.get("source").cloned().unwrap_or_default())
                .map_err(unreadable)
        }
    }
}

/// Looks every row of the list up (a few list calls) and says what will be sent.
#[tauri::command]
pub async fn bulk_preview<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
    input_id: String,
    column: usize,
) -> Result<PreviewView, Problem> {
    bulk(&app, &context, &auth, &state)
        .await?
        .preview(&input_id, column)
        .await
}

/// The confirmation for the rows left ticked.
#[tauri::command]
pub async fn bulk_select<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
    preview_id: String,
    unticked: Vec<usize>,
) -> Result<Selection, Problem> {
    bulk(&app, &context, &auth, &state)
        .await?
        .select(&preview_id, &unticked)
}

/// Runs a confirmed preview (once).
#[tauri::command]
pub async fn bulk_start<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
    preview_id: String,
    unticked: Vec<usize>,
) -> Result<RunView, Problem> {
    bulk(&app, &context, &auth, &state)
        .await?
        .start(&preview_id, &unticked)
        .await
}

/// Pause, resume or cancel the run; or, with `resume` and a batch id, pick up a batch a
/// crash cut off.
#[tauri::command]
pub async fn bulk_control<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
    action: String,
    batch_id: Option<String>,
) -> Result<RunView, Problem> {
    let bulk = bulk(&app, &context, &auth, &state).await?;
    match (action.as_str(), batch_id) {
        ("pause", _) => bulk.pause().await,
        ("resume", Some(batch_id)) => bulk.resume_interrupted(&batch_id).await,
        ("resume", None) => bulk.resume().await,
        ("cancel", _) => bulk.cancel().await,
        (other, _) => Err(Problem::new(
            "bulk",
            format!("Unknown bulk action {other:?}."),
            "Reload the window.",
        )),
    }
}

/// The run of this session (if any) and the recent batches.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOverview {
    pub run: Option<RunView>,
    pub batches: Vec<BatchView>,
}

#[tauri::command]
pub async fn bulk_overview<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
) -> Result<BulkOverview, Problem> {
    let bulk = bulk(&app, &context, &auth, &state).await?;
    Ok(BulkOverview {
        run: bulk.status().await,
        batches: bulk.batches(5).await?,
    })
}

/// A preview of a batch's failed rows (`retry`) or of giving its numbers back (`undo`).
#[tauri::command]
pub async fn bulk_from_batch<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    auth: State<'_, AuthState>,
    state: State<'_, DeskState>,
    batch_id: String,
    what: String,
) -> Result<PreviewView, Problem> {
    let bulk = bulk(&app, &context, &auth, &state).await?;
    match what.as_str() {
        "retry" => bulk.retry_failed(&batch_id).await,
        "undo" => bulk.undo(&batch_id).await,
        other => Err(Problem::new(
            "bulk",
            format!("Unknown choice {other:?}."),
            "Reload the window.",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Tray, quick window, background life
// ---------------------------------------------------------------------------------------------

use crate::lifecycle::BackgroundSettings;
use crate::tray;
use std::sync::atomic::{AtomicBool, Ordering};

const KEY_BACKGROUND: &str = "background";
/// Set once the admin has been told that closing the window keeps NumberDesk in the tray.
pub const KEY_TRAY_NOTICE_SHOWN: &str = "trayNoticeShown";

/// The quick window's state and what the tray could do.
pub struct BackgroundState {
    /// A confirmation or a change in progress is on the quick window: do not hide it on blur.
    pub quick_busy: AtomicBool,
    /// False when the system has no tray: closing the main window then quits.
    pub tray_available: AtomicBool,
    /// Records already announced by a notification.
    notified: std::sync::Mutex<std::collections::HashSet<i64>>,
    /// Why the saved shortcut could not be registered at start, for Settings.
    shortcut_problem: std::sync::Mutex<Option<Problem>>,
}

impl Default for BackgroundState {
    fn default() -> Self {
        BackgroundState {
            quick_busy: AtomicBool::new(false),
            tray_available: AtomicBool::new(false),
            notified: std::sync::Mutex::new(std::collections::HashSet::new()),
            shortcut_problem: std::sync::Mutex::new(None),
        }
    }
}

/// The saved background choices (defaults when none were saved).
pub fn background_settings<R: Runtime>(
    app: &AppHandle<R>,
    context: &AppContext,
) -> BackgroundSettings {
    settings_store(app, context)
        .ok()
        .and_then(|store| store.get(KEY_BACKGROUND))
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or_default()
}

/// Whether the first-close notice was shown; marks it shown.
pub fn take_tray_notice<R: Runtime>(app: &AppHandle<R>, context: &AppContext) -> bool {
    let Ok(store) = settings_store(app, context) else {
        return false;
    };
    let shown = store
        .get(KEY_TRAY_NOTICE_SHOWN)
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if !shown {
        store.set(KEY_TRAY_NOTICE_SHOWN, true);
        let _ = store.save();
    }
    shown
}

/// Shows a desktop notification; refusals by the OS (no permission, no notification service)
/// are logged quietly.
pub fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    if let Err(error) = app.notification().builder().title(title).body(body).show() {
        log::info!("notification not shown: {error}");
    }
}

/// Rebuilds the tray menu: the account and the five newest changes.
pub async fn refresh_tray<R: Runtime>(app: &AppHandle<R>) {
    use tauri::Manager;
    let account = match app.try_state::<AuthState>() {
        Some(auth) => auth
            .service
            .session()
            .status()
            .await
            .account
            .map(|a| a.username),
        None => None,
    };
    let recent: Vec<RecordView> = app
        .try_state::<DeskState>()
        .and_then(|state| state.history.clone().ok())
        .and_then(|history| {
            history
                .list(&HistoryQuery {
                    limit: crate::lifecycle::RECENT_IN_MENU as u32,
                    ..Default::default()
                })
                .ok()
        })
        .map(|page| page.records.into_iter().map(RecordView::from).collect())
        .unwrap_or_default();
    tray::refresh(app, account.as_deref(), &recent);
}

/// Everything that follows a record change: the event for the windows, the tray menu, and a
/// notification when it has just settled.
fn record_changed<R: Runtime>(app: &AppHandle<R>, record: &RecordView) {
    use tauri::Manager;
    // For support: ids and status only, never the number or the assignee.
    let r = &record.record;
    log::info!(
        "change #{} ({}) is {}; request-id {}, client-request-id {}",
        r.id,
        r.kind.as_str(),
        r.status,
        r.request_id.as_deref().unwrap_or("none"),
        r.client_request_id
    );
    if let Err(error) = app.emit(OPERATION_UPDATED, record) {
        log::warn!("could not announce a record change: {error}");
    }
    if let Some((title, body)) = crate::lifecycle::settled_notification(record) {
        let first_time = app.try_state::<BackgroundState>().is_some_and(|state| {
            state
                .notified
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(record.record.id)
        });
        let wanted = app
            .try_state::<AppContext>()
            .map(|context| background_settings(app, &context).notifications)
            .unwrap_or(false);
        if first_time && wanted {
            notify(app, &title, &body);
        }
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move { refresh_tray(&app).await });
}

/// Opens the quick window (what the tray's left click and menu do). Async, because the first
/// call creates the window, which must not happen inside a synchronous command (WebView2
/// deadlocks there on Windows).
#[tauri::command]
pub async fn show_quick_window<R: Runtime>(app: AppHandle<R>) -> Result<(), Problem> {
    tray::try_show_quick(&app).map_err(|_| {
        Problem::new(
            "quickWindow",
            "The quick unassign window could not be opened.",
            "Unassign from the Unassign tab of this window instead. If the tray's quick window \
             keeps failing, restart NumberDesk.",
        )
    })
}

/// Hides the quick window (Esc, Close).
#[tauri::command]
pub fn hide_quick_window<R: Runtime>(app: AppHandle<R>, state: State<'_, BackgroundState>) {
    use tauri::Manager;
    state.quick_busy.store(false, Ordering::SeqCst);
    if let Some(window) = app.get_webview_window(tray::QUICK_WINDOW) {
        let _ = window.hide();
    }
}

/// The quick window says whether something is on screen that must not vanish.
#[tauri::command]
pub fn set_quick_busy(state: State<'_, BackgroundState>, busy: bool) {
    state.quick_busy.store(busy, Ordering::SeqCst);
}

/// Opens a History record in the main window.
#[tauri::command]
pub fn open_record_in_main<R: Runtime>(app: AppHandle<R>, id: i64) {
    use tauri::Manager;
    tray::show_main(&app);
    let _ = app.emit_to(tray::MAIN_WINDOW, tray::OPEN_RECORD, id);
    if let Some(window) = app.get_webview_window(tray::QUICK_WINDOW) {
        let _ = window.hide();
    }
}

/// Hands over to the main window's sign-in screen.
#[tauri::command]
pub fn open_sign_in_in_main<R: Runtime>(app: AppHandle<R>) {
    use tauri::Manager;
    tray::show_main(&app);
    let _ = app.emit_to(tray::MAIN_WINDOW, tray::SHOW_SIGN_IN, false);
    if let Some(window) = app.get_webview_window(tray::QUICK_WINDOW) {
        let _ = window.hide();
    }
}

/// Settings › Background, with a problem to show if the saved shortcut could not be set.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackgroundView {
    #[serde(flatten)]
    pub settings: BackgroundSettings,
    pub shortcut_problem: Option<Problem>,
    pub tray_available: bool,
}

#[tauri::command]
pub fn get_background_settings<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    state: State<'_, BackgroundState>,
) -> BackgroundView {
    BackgroundView {
        settings: background_settings(&app, &context),
        shortcut_problem: state
            .shortcut_problem
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone(),
        tray_available: state.tray_available.load(Ordering::SeqCst),
    }
}

fn shortcut_problem(shortcut: &str, why: &str) -> Problem {
    Problem::new(
        "shortcut",
        format!("The shortcut “{shortcut}” could not be set: {why}."),
        "Choose another one, such as CommandOrControl+Shift+U or Ctrl+Alt+N, and save again.",
    )
}

/// Registers (or removes) the global shortcut that opens the quick window.
pub fn apply_shortcut<R: Runtime>(
    app: &AppHandle<R>,
    settings: &BackgroundSettings,
) -> Result<(), Problem> {
    use tauri_plugin_global_shortcut::GlobalShortcutExt;
    let shortcuts = app.global_shortcut();
    let _ = shortcuts.unregister_all();
    if !settings.shortcut_enabled {
        return Ok(());
    }
    let shortcut: tauri_plugin_global_shortcut::Shortcut =
        settings.shortcut.parse().map_err(|error| {
            log::info!("shortcut {:?} not understood: {error}", settings.shortcut);
            shortcut_problem(
                &settings.shortcut,
                "it is not a key combination NumberDesk understands (modifiers such as Ctrl, Alt, Shift, then one key, joined with +)",
            )
        })?;
    shortcuts.register(shortcut).map_err(|error| {
        log::info!("shortcut {:?} not registered: {error}", settings.shortcut);
        shortcut_problem(
            &settings.shortcut,
            "another app or the system already uses it",
        )
    })
}

/// Saves Settings › Background and applies it (start at login, shortcut).
#[tauri::command]
pub fn save_background_settings<R: Runtime>(
    app: AppHandle<R>,
    context: State<'_, AppContext>,
    state: State<'_, BackgroundState>,
    settings: BackgroundSettings,
) -> Result<BackgroundView, Problem> {
    use tauri_plugin_autostart::ManagerExt;
    let before = background_settings(&app, &context);
    if settings.start_at_login != before.start_at_login {
        let autolaunch = app.autolaunch();
        let result = if settings.start_at_login {
            autolaunch.enable()
        } else {
            autolaunch.disable()
        };
        result.map_err(|error| {
            Problem::new(
                "startAtLogin",
                format!("NumberDesk could not change whether it starts at login: {error}."),
                "Try again. Your organisation may manage start-up apps; ask IT if it keeps failing.",
            )
        })?;
    }
    if let Err(problem) = apply_shortcut(&app, &settings) {
        // Keep the old shortcut working rather than none.
        let _ = apply_shortcut(&app, &before);
        return Err(problem);
    }
    *state
        .shortcut_problem
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = None;
    let store = settings_store(&app, &context)?;
    store.set(
        KEY_BACKGROUND,
        serde_json::to_value(&settings).map_err(settings_problem)?,
    );
    store.save().map_err(settings_problem)?;
    Ok(get_background_settings(app, context, state))
}

/// At start: registers the saved shortcut; a failure is kept for Settings to show.
pub fn apply_saved_shortcut<R: Runtime>(
    app: &AppHandle<R>,
    context: &AppContext,
    state: &BackgroundState,
) {
    let settings = background_settings(app, context);
    if !settings.shortcut_enabled {
        // Nothing is registered yet at start; asking the shortcut thread to unregister all
        // would only wait for it (up to tens of milliseconds on X11) before the first screen.
        return;
    }
    if let Err(problem) = apply_shortcut(app, &settings) {
        log::warn!("{}", problem.message);
        *state
            .shortcut_problem
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(problem);
    }
}
