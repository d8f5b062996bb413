//! Reading the whole inventory from Microsoft, with progress and Cancel, and putting names on
//! the assignees.
//!
//! Numbers: [`GraphClient::list_numbers_with`], pages of 1,000 (a 50,000-number tenant is 51
//! list requests: 50 full pages and the empty page that confirms the end). Names: the users
//! and resource accounts holding numbers, read 300 per request in `$batch`es of `id in`
//! filters with the names permission (`User.ReadBasic.All`); without it, assignees show as
//! object ids and nothing fails.

use super::{
    AssignmentKind, Inventory, InventoryError, InventoryRow, InventoryStore, ListOwner, StoreError,
};
use crate::graph::{CancelToken, GraphClient, GraphErrorKind, ListProgress, UserDetail};
use serde::Serialize;
use std::sync::Arc;

/// How far a read has come: "12,000 of about 30,000".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadProgress {
    pub rows: usize,
    /// The size of the kept inventory, when there is one: Graph does not say how many
    /// numbers a tenant has, so the last read is the best estimate.
    pub about: Option<usize>,
    pub requests: usize,
    /// `true` once the numbers are in and the names are being read.
    pub naming: bool,
}

impl ReadProgress {
    /// The progress line for the view.
    pub fn text(&self) -> String {
        if self.naming {
            return format!("{} numbers read; reading names", thousands(self.rows));
        }
        match self.about {
            Some(about) if about >= self.rows => {
                format!("{} of about {}", thousands(self.rows), thousands(about))
            }
            _ => format!("{} numbers read", thousands(self.rows)),
        }
    }
}

/// `30000` as "30,000".
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How a read ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    Read(Inventory),
    /// Cancelled by the admin: nothing was kept or changed.
    Cancelled,
}

fn now_rfc3339() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

/// Reads every number, then (when `with_names`) the names of the users and resource accounts
/// holding them. `about` is the expected count for the progress line.
pub async fn read_inventory(
    graph: &GraphClient,
    telephone_api_available: bool,
    about: Option<usize>,
    with_names: bool,
    progress: &(dyn Fn(ReadProgress) + Send + Sync),
    cancel: &CancelToken,
) -> Result<ReadOutcome, InventoryError> {
    let tell = |p: ListProgress| {
        progress(ReadProgress {
            rows: p.rows,
            about,
            requests: p.requests,
            naming: false,
        })
    };
    let listing = graph
        .list_numbers_with(&tell, cancel)
        .await
        .map_err(InventoryError::graph(telephone_api_available))?;
    let Some(listing) = listing else {
        return Ok(ReadOutcome::Cancelled);
    };
    let mut rows: Vec<InventoryRow> = listing
        .numbers
        .iter()
        .map(InventoryRow::from_graph)
        .collect();
    let mut name_requests = 0;
    if with_names {
        progress(ReadProgress {
            rows: rows.len(),
            about,
            requests: listing.requests,
            naming: true,
        });
        let ids: Vec<String> = rows
            .iter()
            .filter(|r| {
                matches!(
                    r.assignment,
                    AssignmentKind::User | AssignmentKind::ResourceAccount
                )
            })
            .filter_map(|r| r.assignee_id.clone())
            .collect();
        if !ids.is_empty() {
            match graph.users_by_ids(&ids, UserDetail::Basic, cancel).await {
                Ok(Some(read)) => {
                    name_requests = read.requests;
                    for row in &mut rows {
                        let Some(id) = &row.assignee_id else { continue };
                        if let Some(account) = read.accounts.get(&id.to_ascii_lowercase()) {
                            row.assignee_name = account.display_name.clone();
                            row.assignee_upn = account.user_principal_name.clone();
                        }
                    }
                }
                Ok(None) => return Ok(ReadOutcome::Cancelled),
                // Without the names permission NumberDesk still works: object ids are shown.
                Err(e) if matches!(e.kind, GraphErrorKind::Forbidden | GraphErrorKind::SignIn) => {}
                Err(e) => return Err(InventoryError::graph(telephone_api_available)(e)),
            }
        }
    }
    Ok(ReadOutcome::Read(Inventory {
        read_at: now_rfc3339(),
        rows,
        unreadable: listing.unreadable.len(),
        list_requests: listing.requests,
        name_requests,
    }))
}

/// "Refresh": reads the inventory (the size of the one kept for `owner` as the estimate) and
/// keeps it, stamped with `owner`. A cancelled read keeps the previous inventory as it was.
pub async fn refresh_inventory(
    graph: &GraphClient,
    store: &Arc<InventoryStore>,
    owner: &ListOwner,
    telephone_api_available: bool,
    with_names: bool,
    progress: &(dyn Fn(ReadProgress) + Send + Sync),
    cancel: &CancelToken,
) -> Result<ReadOutcome, InventoryError> {
    let counted = owner.clone();
    let about = on_store(store, move |store| store.kept_count(&counted)).await?;
    let outcome = read_inventory(
        graph,
        telephone_api_available,
        about,
        with_names,
        progress,
        cancel,
    )
    .await?;
    match outcome {
        ReadOutcome::Read(inventory) => Ok(ReadOutcome::Read(
            {
                let owner = owner.clone();
                on_store(store, move |store| {
                    store.save(&owner, &inventory).map(|()| inventory)
                })
            }
            .await?,
        )),
        ReadOutcome::Cancelled => Ok(ReadOutcome::Cancelled),
    }
}

/// `work` on the store, on a blocking thread ([`super::store::off_thread`]).
async fn on_store<T: Send + 'static>(
    store: &Arc<InventoryStore>,
    work: impl FnOnce(&InventoryStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    super::store::off_thread(move || work(&store)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_as_the_admin_expects() {
        let p = ReadProgress {
            rows: 12_000,
            about: Some(30_000),
            requests: 12,
            naming: false,
        };
        assert_eq!(p.text(), "12,000 of about 30,000");
        let first = ReadProgress { about: None, ..p };
        assert_eq!(first.text(), "12,000 numbers read");
        let grown = ReadProgress { rows: 31_000, ..p };
        assert_eq!(grown.text(), "31,000 numbers read");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
