//! "Copy diagnostics".

use super::App;
use crate::problem::Problem;
use tauri::{AppHandle, Runtime, State};

impl App {
    /// What the diagnostics report needs to know of the running app.
    async fn facts<R: Runtime>(&self, app: &AppHandle<R>) -> crate::diagnostics::Facts {
        let resolved = self.resolved_setup(app).ok();
        let cloud = resolved.as_ref().and_then(|r| r.cloud.clone());
        crate::diagnostics::Facts {
            version: app.package_info().version.to_string(),
            cloud: cloud.as_ref().map(|c| c.display_name().to_owned()),
            graph_url: cloud.as_ref().map(|c| c.graph_url.to_string()),
            signed_in: self.auth.service.session().status().await.signed_in,
        }
    }

    /// The report, put together off the main thread.
    async fn diagnostics_report<R: Runtime>(&self, app: &AppHandle<R>) -> Result<String, Problem> {
        let facts = self.facts(app).await;
        let history = self.history().map_err(|p| p.message);
        let last_refusal = self
            .auth
            .service
            .last_failure()
            .map(|f| f.diagnostic_line());
        super::blocking(move || {
            let os = crate::diagnostics::os_name();
            let history = history.as_deref().map_err(String::clone);
            Ok(crate::diagnostics::report_with(
                &facts,
                &os,
                history,
                last_refusal.as_deref(),
            ))
        })
        .await
    }
}

/// The text behind "Copy diagnostics": version, OS, cloud, the last request ids and errors;
/// never a token or an assignee (see `diagnostics.rs`).
#[tauri::command]
pub async fn copy_diagnostics<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
) -> Result<String, Problem> {
    let report = state.diagnostics_report(&app).await?;
    log::info!("diagnostics copied");
    Ok(report)
}
