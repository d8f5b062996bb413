//! History as the History view reads it: the status groups behind its chips, a page with the
//! counts, one record, and the CSV export (written through [`crate::export_file`]).
//!
//! No `tauri` import: the commands in `commands/history.rs` only call these. Everything here
//! blocks on SQLite or the disk, so the commands run it on a blocking thread.

use crate::desk::RecordView;
use crate::export_file::{write_export_file, ExportFileError, Exported};
use crate::history::{
    History, HistoryError, HistoryQuery, OperationRecord, RecordStatus, StatusCounts,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

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
    /// The export was not saved (nothing was left under its name).
    #[error(transparent)]
    Export(#[from] ExportFileError<HistoryError>),
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

/// Writes every record matching the view's filter (all pages) to a new CSV file in `folder`
/// (whole or not at all, never over another file: [`crate::export_file`]). `words` gives each
/// record its words before it is written (the boundary's; the history keeps facts).
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
    let mut query = query.to_query(&counts);
    query.before_id = None;
    let now = time::OffsetDateTime::now_utc();
    Ok(write_export_file(folder, what, now, |out| {
        history.export_csv_with(&query, out, words)
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export_file::export_file_name;
    use std::path::PathBuf;

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

    /// The files an export started now could be named (this second and the next two), each
    /// made beforehand with `text` as an earlier export's.
    fn earlier_exports(folder: &Path, what: &str, text: &str) -> Vec<PathBuf> {
        let now = time::OffsetDateTime::now_utc();
        (0..3)
            .map(|s| {
                let path = folder.join(export_file_name(what, now + time::Duration::seconds(s)));
                std::fs::write(&path, text).unwrap();
                path
            })
            .collect()
    }

    #[test]
    fn two_exports_in_the_same_second_never_overwrite_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let (history, _) = History::open(&dir.path().join("data")).unwrap();
        let folder = dir.path().join("Downloads");
        std::fs::create_dir(&folder).unwrap();
        let earlier = earlier_exports(&folder, "history", "an earlier export");
        let query = HistoryListQuery::default();
        let first = export(&history, &query, &folder, &|r| r).unwrap();
        let second = export(&history, &query, &folder, &|r| r).unwrap();
        for path in &earlier {
            assert_eq!(
                std::fs::read_to_string(path).unwrap(),
                "an earlier export",
                "{} was overwritten",
                path.display()
            );
        }
        assert_ne!(first.path, second.path);
        for exported in [&first, &second] {
            let text = std::fs::read_to_string(&exported.path).unwrap();
            assert!(text.starts_with("\u{feff}id,kind,"), "{text}");
        }
        let names: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 5, "{names:?}");
    }
}
