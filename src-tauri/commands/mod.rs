//! Tauri commands: each reads its input, calls one core function and converts the result into
//! what the UI reads (a [`Problem`] for errors). Every command here must also be listed in
//! `build.rs` and granted in the capability file of each window that calls it.
//!
//! One managed [`App`] holds everything the commands share. File and database work runs on a
//! blocking thread ([`blocking`]): a command that is not `async` runs on the main thread.

mod announce;
mod background;
mod bulk;
mod diagnostics;
mod history;
mod numbers;
mod register;
mod session;
mod setup;
mod unassign;

pub use announce::{start_tray, TRAY_AT_LATEST};
pub use background::*;
pub use bulk::*;
pub use diagnostics::*;
pub use history::*;
pub use numbers::*;
pub use register::*;
pub use session::*;
pub use setup::*;
pub use unassign::*;

use crate::auth::session::SessionError;
use crate::auth::{SignInService, SignInTarget};
use crate::bulk::{BulkConfig, BulkDesk, BulkEvent};
use crate::context::AppContext;
use crate::context::StartupError;
use crate::desk::{Desk, DeskConfig, RecordView};
use crate::desktop::BackgroundState;
use crate::graph::{GraphClient, GraphOptions};
use crate::history::History;
use crate::inventory::ListOwner;
use crate::problem::Problem;
use crate::settings::Settings;
use crate::setup::Resolved;
use crate::vault::SecretStore;
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Runtime};

/// The event a bulk run's row and progress changes come with (payload: a [`BulkEvent`]).
pub const BULK_EVENT: &str = "bulk-event";

/// Everything the commands share, managed once as Tauri state.
pub struct App {
    pub context: AppContext,
    pub auth: AuthState,
    pub desks: DeskState,
    pub background: BackgroundState,
    /// The Numbers view: the kept inventory, prepared for queries.
    pub numbers: crate::inventory::NumbersDesk,
    /// "Set up for my organization" between its commands.
    pub register: RegisterState,
}

/// Sign-in state shared by every window.
pub struct AuthState {
    pub service: SignInService<Arc<dyn SecretStore>>,
    /// The saved session is read from the keyring once, at the first status request.
    restored: tokio::sync::OnceCell<()>,
}

impl AuthState {
    pub fn new(service: SignInService<Arc<dyn SecretStore>>) -> AuthState {
        AuthState {
            service,
            restored: tokio::sync::OnceCell::new(),
        }
    }
}

/// The history database and the workflows over it.
pub struct DeskState {
    pub history: Result<Arc<History>, StartupError>,
    /// Shown once in History when a damaged database was set aside.
    pub notice: Option<String>,
    desk: tokio::sync::Mutex<Option<(SignInTarget, Workflows)>>,
}

/// The single-number and bulk workflows for one tenant.
#[derive(Clone)]
struct Workflows {
    desk: Arc<Desk>,
    bulk: Arc<BulkDesk>,
    /// The Graph client the workflows share (the Numbers view reads the inventory with it).
    graph: GraphClient,
    telephone_api_available: bool,
}

impl DeskState {
    pub fn open(data_dir: &std::path::Path) -> DeskState {
        match History::open(data_dir) {
            Ok((history, notice)) => DeskState {
                history: Ok(Arc::new(history)),
                notice: notice.map(|n| n.message()),
                desk: tokio::sync::Mutex::new(None),
            },
            Err(error) => DeskState::unavailable(StartupError::History {
                reason: error.to_string(),
                hint: error.hint().to_owned(),
            }),
        }
    }

    /// No history this run (the data folder could not be settled); every use says why.
    pub fn unavailable(error: StartupError) -> DeskState {
        DeskState {
            history: Err(error),
            notice: None,
            desk: tokio::sync::Mutex::new(None),
        }
    }
}

/// Runs file or database work on a blocking thread, off the main thread and the async workers.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    crate::off_thread::off_thread(work, crate::problem::app::task_stopped).await
}

impl App {
    /// Where an export goes: Downloads, or the data folder when there is none.
    pub fn export_folder<R: Runtime>(&self, app: &AppHandle<R>) -> std::path::PathBuf {
        use tauri::Manager;
        crate::export_file::export_folder(app.path().download_dir().ok(), &self.context.data_dir)
    }

    pub fn settings<R: Runtime>(&self, app: &AppHandle<R>) -> Result<Settings<R>, Problem> {
        let folder = self
            .context
            .settings_folder()
            .map_err(crate::settings::SettingsError::from)?;
        Ok(Settings::open(app, folder)?)
    }

    /// The setup in force: launch, IT's preset, then what the admin saved.
    pub fn resolved_setup<R: Runtime>(&self, app: &AppHandle<R>) -> Result<Resolved, Problem> {
        Ok(self.context.resolve_setup(self.settings(app)?.setup()))
    }

    /// Where to sign in, or why NumberDesk cannot yet.
    pub fn target<R: Runtime>(&self, app: &AppHandle<R>) -> Result<SignInTarget, Problem> {
        Ok(self.resolved_setup(app)?.require_target()?)
    }

    /// Whose kept list of numbers the Numbers view may use: the signed-in account, in the
    /// tenant and cloud now set up (the demo is its own). Signed out: the problem says so.
    pub async fn list_owner<R: Runtime>(&self, app: &AppHandle<R>) -> Result<ListOwner, Problem> {
        let target = self.target(app)?;
        let status = self.auth.service.session().status().await;
        match status.account.filter(|_| status.signed_in) {
            Some(account) => Ok(ListOwner::signed_in(
                &target.cloud,
                &target.tenant,
                &account,
            )),
            None => Err(SessionError::SignedOut.into()),
        }
    }

    pub fn history(&self) -> Result<Arc<History>, Problem> {
        Ok(self.desks.history.clone()?)
    }

    /// The unassign workflow for the tenant now set up, built on first use and again when the
    /// setup changes. A new one picks up every open record of the history.
    pub async fn desk<R: Runtime>(&self, app: &AppHandle<R>) -> Result<Arc<Desk>, Problem> {
        Ok(self.workflows(app).await?.desk)
    }

    /// The bulk workflow for the tenant now set up.
    pub async fn bulk<R: Runtime>(&self, app: &AppHandle<R>) -> Result<Arc<BulkDesk>, Problem> {
        Ok(self.workflows(app).await?.bulk)
    }

    /// The Graph client for the tenant now set up, and whether its cloud has the numbers API.
    pub async fn graph<R: Runtime>(
        &self,
        app: &AppHandle<R>,
    ) -> Result<(GraphClient, bool), Problem> {
        let built = self.workflows(app).await?;
        Ok((built.graph, built.telephone_api_available))
    }

    async fn workflows<R: Runtime>(&self, app: &AppHandle<R>) -> Result<Workflows, Problem> {
        let target = self.target(app)?;
        let mut slot = self.desks.desk.lock().await;
        if let Some((built_for, built)) = slot.as_ref() {
            if *built_for == target {
                return Ok(built.clone());
            }
        }
        let history = self.history()?;
        let session = self.auth.service.session_handle();
        let graph = GraphClient::new(
            target.cloud.graph_url.clone(),
            session.clone(),
            GraphOptions::default(),
        )
        .map_err(|e| {
            crate::problem::graph::in_cloud(&e, target.cloud.telephone_numbers_available())
        })?;
        let emitter = app.clone();
        let desk = Arc::new(Desk::new(
            graph.clone(),
            history.clone(),
            session.clone(),
            target.cloud.clone(),
            Arc::new(move |record: &RecordView| announce::record_changed(&emitter, record)),
            DeskConfig::default(),
        ));
        let emitter = app.clone();
        let bulk = Arc::new(BulkDesk::new(
            graph.clone(),
            history,
            session,
            target.cloud.clone(),
            BulkConfig::default(),
            Arc::new(move |event: &BulkEvent| announce_bulk_event(&emitter, event)),
        ));
        if self.auth.service.session().status().await.signed_in {
            let resuming = desk.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(problem) = resuming.resume().await {
                    log::warn!(
                        "resuming open operations failed: {}",
                        Problem::from(problem).message
                    );
                }
            });
        }
        let built = Workflows {
            desk,
            bulk,
            graph,
            telephone_api_available: target.cloud.telephone_numbers_available(),
        };
        *slot = Some((target, built.clone()));
        Ok(built)
    }

    /// Makes sure open operations are followed once signed in (after sign-in or a restart).
    pub async fn follow_open_operations<R: Runtime>(&self, app: &AppHandle<R>) {
        let desk = {
            let slot = self.desks.desk.lock().await;
            slot.as_ref().map(|(_, built)| built.desk.clone())
        };
        match desk {
            Some(desk) => {
                tauri::async_runtime::spawn(async move {
                    let _ = desk.resume().await;
                });
            }
            None => {
                let _ = self.desk(app).await;
            }
        }
    }
}

fn announce_bulk_event<R: Runtime>(app: &AppHandle<R>, event: &BulkEvent) {
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
    let _ = app.emit(BULK_EVENT, crate::problem::records::worded_event(event));
}
