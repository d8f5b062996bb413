//! "Copy diagnostics": what support needs to find an admin's requests at Microsoft, and
//! nothing that identifies the people whose numbers were changed.
//!
//! The report holds the app version, the OS, the cloud and Graph address, and the last changes
//! with their status, Microsoft's `request-id`, NumberDesk's `client-request-id`, the date and
//! the error (kind and message). It never holds a token (the history has none to give), nor a
//! number's assignee: names, user names and object ids are not read into it, and an error
//! message that quotes one has it replaced by `[assignee]`. Phone numbers are left out as well;
//! the request ids find them at Microsoft.

use crate::history::{History, HistoryQuery, OperationRecord};
use std::fmt::Write as _;

/// How many of the newest changes the report lists.
pub const RECENT: u32 = 15;

/// What the app knows about itself, for the report's head.
#[derive(Debug, Clone)]
pub struct Facts {
    pub version: String,
    /// `Global`, `US Government L4 (GCC High)`, …, or `Demo tenant`; `None` before setup.
    pub cloud: Option<String>,
    pub graph_url: Option<String>,
    pub signed_in: bool,
}

/// The OS as people name it (`Debian GNU/Linux 12 (bookworm)`), else the target's names.
pub fn os_name() -> String {
    let generic = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    if cfg!(target_os = "linux") {
        if let Ok(release) = std::fs::read_to_string("/etc/os-release") {
            if let Some(name) = release
                .lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
            {
                return format!("{name} ({generic})");
            }
        }
    }
    generic
}

/// The message with every mention of the record's assignee replaced.
fn scrubbed(record: &OperationRecord, text: &str) -> String {
    let prior = &record.prior_assignee;
    let mut text = text.to_owned();
    for secret in [&prior.name, &prior.upn, &prior.id].into_iter().flatten() {
        if !secret.trim().is_empty() {
            text = text.replace(secret.as_str(), "[assignee]");
        }
    }
    text
}

/// The report, as plain text for a ticket.
/// [`report`], with the last refused sign-in (its AADSTS code, trace and correlation IDs; see
/// `auth::flow`) at the end when there was one.
pub fn report_with(
    facts: &Facts,
    os: &str,
    history: Result<&History, String>,
    last_refused_sign_in: Option<&str>,
) -> String {
    let mut out = report(facts, os, history);
    if let Some(line) = last_refused_sign_in {
        let _ = writeln!(out, "Last refused sign-in: {line}");
    }
    out
}

pub fn report(facts: &Facts, os: &str, history: Result<&History, String>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "NumberDesk {}", facts.version);
    let _ = writeln!(out, "OS: {os}");
    let _ = writeln!(
        out,
        "Cloud: {}",
        facts.cloud.as_deref().unwrap_or("not set up yet")
    );
    if let Some(graph) = &facts.graph_url {
        let _ = writeln!(out, "Microsoft Graph: {graph}");
    }
    let _ = writeln!(
        out,
        "Signed in: {}",
        if facts.signed_in { "yes" } else { "no" }
    );
    let history = match history {
        Ok(history) => history,
        Err(problem) => {
            let _ = writeln!(out, "History: cannot be read ({problem})");
            return out;
        }
    };
    match history.counts() {
        Ok(counts) => {
            let _ = writeln!(
                out,
                "History: {} changes, {} in progress",
                counts.total, counts.in_flight
            );
        }
        Err(error) => {
            let _ = writeln!(out, "History: cannot be read ({error})");
            return out;
        }
    }
    let page = history.list(&HistoryQuery {
        limit: RECENT,
        ..HistoryQuery::default()
    });
    let records = match page {
        Ok(page) => page.records,
        Err(error) => {
            let _ = writeln!(out, "Recent changes: cannot be read ({error})");
            return out;
        }
    };
    let _ = writeln!(out, "Recent changes (newest first):");
    for record in &records {
        let _ = write!(
            out,
            "- #{} {} {} at {}; request-id {}; client-request-id {}",
            record.id,
            record.kind.as_str(),
            record.status,
            record.requested_at,
            record.request_id.as_deref().unwrap_or("none"),
            record.client_request_id,
        );
        if let Some(date) = &record.response_date {
            let _ = write!(out, "; date {date}");
        }
        if let Some(batch) = &record.batch_id {
            let _ = write!(out, "; bulk run {batch}");
        }
        if let Some(error) = &record.error {
            // Support reads what came back: the facts when the record keeps them, else the
            // words it was stored with.
            let said = match &error.facts {
                Some(facts) => [
                    facts.status.map(|s| format!("HTTP {s}")),
                    facts.code.clone(),
                    facts.graph_message.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
                None => error.message.clone(),
            };
            let _ = write!(out, "; error {}: {}", error.kind, scrubbed(record, &said));
            if let Some(id) = &error.request_id {
                let _ = write!(out, " (request-id {id})");
            }
        }
        if let Some(detail) = &record.status_detail {
            let _ = write!(out, "; detail: {}", scrubbed(record, detail));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{
        Actor, Assignee, Durability, NewOperation, OperationKind, RecordChange, RecordError,
        RecordStatus,
    };

    #[test]
    fn the_report_has_request_ids_and_errors_but_no_assignee_or_number() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::open_with(dir.path(), Durability::ProcessCrash)
            .unwrap()
            .0;
        let record = history
            .create(NewOperation {
                kind: OperationKind::Unassign,
                telephone_number: "+12065550100".into(),
                number_type: Some("callingPlan".into()),
                prior_assignee: Assignee {
                    id: Some("3b1f0c2e-0000-4000-8000-00000000abcd".into()),
                    name: Some("Adele Vance".into()),
                    upn: Some("adelev@contoso.example".into()),
                    target_kind: Some("userAssigned".into()),
                    ..Assignee::default()
                },
                actor: Actor {
                    upn: "admin@contoso.example".into(),
                    tenant_id: "t".into(),
                    cloud: "global".into(),
                },
                client_request_id: "crid-1".into(),
                undo_of: None,
                batch_id: None,
            })
            .unwrap();
        history
            .update(
                record.id,
                RecordChange {
                    status: Some(RecordStatus::Failed),
                    request_id: Some("rid-42".into()),
                    status_detail: Some("Adele Vance still has a policy".into()),
                    error: Some(Some(RecordError {
                        kind: "refused".into(),
                        message: "Microsoft refused adelev@contoso.example (3b1f0c2e-0000-4000-8000-00000000abcd)".into(),
                        hint: None,
                        request_id: Some("rid-43".into()),
                        facts: None,
                    })),
                    ..RecordChange::default()
                },
            )
            .unwrap();
        let facts = Facts {
            version: "1.2.3".into(),
            cloud: Some("Global".into()),
            graph_url: Some("https://graph.microsoft.com/".into()),
            signed_in: true,
        };
        let report = report(&facts, "TestOS", Ok(&history));
        for needed in [
            "NumberDesk 1.2.3",
            "OS: TestOS",
            "Cloud: Global",
            "rid-42",
            "rid-43",
            "crid-1",
            "unassign failed",
            "error refused: Microsoft refused [assignee] ([assignee])",
            "detail: [assignee] still has a policy",
        ] {
            assert!(
                report.contains(needed),
                "{needed:?} missing from:\n{report}"
            );
        }
        for secret in [
            "Adele",
            "adelev@",
            "3b1f0c2e",
            "2065550100",
            "admin@contoso",
        ] {
            assert!(!report.contains(secret), "{secret:?} in:\n{report}");
        }
    }

    #[test]
    fn an_unreadable_history_is_said_not_hidden() {
        let facts = Facts {
            version: "1".into(),
            cloud: None,
            graph_url: None,
            signed_in: false,
        };
        let report = report(&facts, "X", Err("disk gone".into()));
        assert!(report.contains("Cloud: not set up yet"));
        assert!(report.contains("History: cannot be read (disk gone)"));
    }
}
