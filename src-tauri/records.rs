//! History as the History view reads it: the status groups behind its chips, a page with the
//! counts, one record, and the CSV export with its file name.
//!
//! No `tauri` import: the commands in `commands/history.rs` only call these. Everything here
//! blocks on SQLite or the disk, so the commands run it on a blocking thread.

use crate::desk::RecordView;
use crate::history::{
    History, HistoryError, HistoryQuery, OperationRecord, RecordStatus, StatusCounts,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A History chip. The wire values are the UI's: `all`, `inProgress`, `succeeded`, `failed`,
/// `other`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StatusGroup {
    #[default]
    All,
    InProgress,
    Succeeded,
    Failed,
    Other,
}

impl StatusGroup {
    /// Every chip but `all`, in the order the UI shows them.
    pub const CHIPS: [StatusGroup; 4] = [
        StatusGroup::InProgress,
        StatusGroup::Succeeded,
        StatusGroup::Failed,
        StatusGroup::Other,
    ];

    /// The wire name, as the counts are keyed.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusGroup::All => "all",
            StatusGroup::InProgress => "inProgress",
            StatusGroup::Succeeded => "succeeded",
            StatusGroup::Failed => "failed",
            StatusGroup::Other => "other",
        }
    }

    /// The chip a status shows under (never `all`).
    pub fn of(status: &RecordStatus) -> StatusGroup {
        match status {
            s if IN_PROGRESS.contains(s) => StatusGroup::InProgress,
            RecordStatus::Succeeded => StatusGroup::Succeeded,
            RecordStatus::Failed | RecordStatus::Rejected => StatusGroup::Failed,
            _ => StatusGroup::Other,
        }
    }
}

const IN_PROGRESS: [RecordStatus; 5] = [
    RecordStatus::Sending,
    RecordStatus::Accepted,
    RecordStatus::NotStarted,
    RecordStatus::Running,
    RecordStatus::OutcomeUnknown,
];

/// The History view's question: a status group, text, and the page.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HistoryListQuery {
    pub group: StatusGroup,
    pub text: Option<String>,
    pub before_id: Option<i64>,
    pub limit: u32,
    /// Only the rows of this bulk run.
    pub batch_id: Option<String>,
}

impl HistoryListQuery {
    /// The database query: the group's statuses (known ones and any stored ones that fall
    /// under it), the text when not blank, the page.
    pub fn to_query(&self, counts: &StatusCounts) -> HistoryQuery {
        let statuses = if self.group == StatusGroup::All {
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
                .filter(|s| StatusGroup::of(s) == self.group)
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
            text: self.text.clone().filter(|t| !t.trim().is_empty()),
            before_id: self.before_id,
            limit: self.limit,
            batch_id: self.batch_id.clone(),
        }
    }
}

/// The chips' counts: `all` and every group, zero included.
pub fn group_counts(counts: &StatusCounts) -> BTreeMap<String, u64> {
    let mut groups = BTreeMap::new();
    groups.insert(StatusGroup::All.as_str().to_owned(), counts.total);
    for group in StatusGroup::CHIPS {
        groups.insert(group.as_str().to_owned(), 0);
    }
    for (status, count) in &counts.by_status {
        *groups
            .entry(
                StatusGroup::of(&RecordStatus::from_stored(status))
                    .as_str()
                    .to_owned(),
            )
            .or_default() += count;
    }
    groups
}

/// A page of History with the counts for the status chips.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryListPage {
    pub records: Vec<RecordView>,
    pub next_before_id: Option<i64>,
    pub counts: BTreeMap<String, u64>,
    pub notice: Option<String>,
}

/// Why the History view could not be shown or exported. What the admin reads is made from it
/// at the command boundary (`crate::problem::records`).
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// The history could not be read.
    #[error("the history could not be read: {0}")]
    Read(#[from] HistoryError),
    /// No record with this id in the history.
    #[error("there is no operation record {0} in the history")]
    NotFound(i64),
    /// The export file could not be made.
    #[error("{} could not be created: {source}", path.display())]
    ExportCreate {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The records could not be written to the export file.
    #[error("{} could not be written: {source}", path.display())]
    ExportWrite {
        path: PathBuf,
        #[source]
        source: HistoryError,
    },
}

/// Newest first, filtered, one page, with the chips' counts and the damaged-file notice.
pub fn list_page(
    history: &History,
    query: &HistoryListQuery,
    notice: Option<String>,
) -> Result<HistoryListPage, RecordsError> {
    let counts = history.counts()?;
    let page = history.list(&query.to_query(&counts))?;
    Ok(HistoryListPage {
        records: page.records.into_iter().map(RecordView::from).collect(),
        next_before_id: page.next_before_id,
        counts: group_counts(&counts),
        notice,
    })
}

/// One record, for the detail panel.
pub fn record(history: &History, id: i64) -> Result<RecordView, RecordsError> {
    history
        .get(id)?
        .map(RecordView::from)
        .ok_or(RecordsError::NotFound(id))
}

/// Where an export went.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    pub path: String,
    pub count: usize,
}

/// `numberdesk-<what>-<stamp>.csv`: `what` is `history`, `bulk-run` (one bulk run),
/// `numbers` or `leavers` (the Numbers view).
pub fn export_file_name(what: &str, now: time::OffsetDateTime) -> String {
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_else(|_| "export".into());
    format!("numberdesk-{what}-{stamp}.csv")
}

/// The folder an export goes to: Downloads when it exists or can be made, else the data folder.
pub fn export_folder(downloads: Option<PathBuf>, data_dir: &Path) -> PathBuf {
    downloads
        .filter(|dir| std::fs::create_dir_all(dir).is_ok())
        .unwrap_or_else(|| data_dir.to_path_buf())
}

/// Writes every record matching the view's filter (all pages) to a new CSV file in `folder`.
/// Writes the records matching `query` to a CSV file in `folder`. `words` gives each record its
/// words before it is written (the boundary's; the history keeps facts).
pub fn export(
    history: &History,
    query: &HistoryListQuery,
    folder: &Path,
    words: &dyn Fn(OperationRecord) -> OperationRecord,
) -> Result<Exported, RecordsError> {
    let counts = history.counts()?;
    let what = if query.batch_id.is_some() {
        "bulk-run"
    } else {
        "history"
    };
    let path = folder.join(export_file_name(what, time::OffsetDateTime::now_utc()));
    let file = std::fs::File::create(&path).map_err(|source| RecordsError::ExportCreate {
        path: path.clone(),
        source,
    })?;
    let mut query = query.to_query(&counts);
    query.before_id = None;
    let count = history
        .export_csv_with(&query, std::io::BufWriter::new(file), words)
        .map_err(|source| RecordsError::ExportWrite {
            path: path.clone(),
            source,
        })?;
    Ok(Exported {
        path: path.display().to_string(),
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(by_status: &[(&str, u64)]) -> StatusCounts {
        StatusCounts {
            total: by_status.iter().map(|(_, n)| n).sum(),
            in_flight: 0,
            by_status: by_status.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
        }
    }

    fn group(wire: &str) -> StatusGroup {
        serde_json::from_value(serde_json::json!(wire)).expect("a known group")
    }

    #[test]
    fn the_groups_arrive_by_their_wire_names_and_an_unknown_one_is_refused() {
        assert_eq!(group("all"), StatusGroup::All);
        assert_eq!(group("inProgress"), StatusGroup::InProgress);
        assert_eq!(group("succeeded"), StatusGroup::Succeeded);
        assert_eq!(group("failed"), StatusGroup::Failed);
        assert_eq!(group("other"), StatusGroup::Other);
        assert!(serde_json::from_value::<StatusGroup>(serde_json::json!("everything")).is_err());
        let query: HistoryListQuery = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(query.group, StatusGroup::All);
    }

    #[test]
    fn each_group_asks_for_its_statuses_and_all_for_none() {
        let stored = counts(&[("succeeded", 2), ("paused", 1), ("outcomeUnknown", 1)]);
        let statuses = |wire: &str| {
            let query = HistoryListQuery {
                group: group(wire),
                ..Default::default()
            };
            query.to_query(&stored).statuses
        };
        assert!(statuses("all").is_empty());
        assert_eq!(statuses("succeeded"), vec![RecordStatus::Succeeded]);
        assert_eq!(
            statuses("failed"),
            vec![RecordStatus::Failed, RecordStatus::Rejected]
        );
        assert_eq!(statuses("inProgress"), IN_PROGRESS.to_vec());
        let other = statuses("other");
        assert!(other.contains(&RecordStatus::Skipped), "{other:?}");
        assert!(other.contains(&RecordStatus::Stale), "{other:?}");
        // A status only the database knows falls under `other`.
        assert!(
            other.contains(&RecordStatus::from_stored("paused")),
            "{other:?}"
        );
    }

    #[test]
    fn blank_text_is_no_filter_and_the_counts_have_every_chip() {
        let query = HistoryListQuery {
            text: Some("  ".into()),
            ..Default::default()
        };
        assert_eq!(query.to_query(&counts(&[])).text, None);
        let chips = group_counts(&counts(&[
            ("succeeded", 2),
            ("rejected", 1),
            ("sending", 3),
        ]));
        assert_eq!(chips["all"], 6);
        assert_eq!(chips["succeeded"], 2);
        assert_eq!(chips["failed"], 1);
        assert_eq!(chips["inProgress"], 3);
        assert_eq!(chips["other"], 0);
    }

    #[test]
    fn an_export_is_named_for_what_it_holds() {
        let when = time::macros::datetime!(2024-05-06 07:08:09 UTC);
        assert_eq!(
            export_file_name("history", when),
            "numberdesk-history-20240506-070809.csv"
        );
        assert_eq!(
            export_file_name("bulk-run", when),
            "numberdesk-bulk-run-20240506-070809.csv"
        );
    }
}
