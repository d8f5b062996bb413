//! Reading many users at once: who holds the tenant's numbers, whether their accounts are
//! enabled, licensed for Teams Phone, or deleted (the leavers lens), and their names.
//!
//! Why JSON batching of `id in` filters: Graph takes at most 20 requests in one `$batch`
//! ([`BATCH_LIMIT`]) and, by default, at most 15 values in one `in (…)` ([`ID_IN_LIMIT`]). A
//! batch of 20 `GET /users?$filter=id in (15 ids)` therefore reads 300 users per HTTP request
//! ([`IDS_PER_REQUEST`]): 20,000 assignees are 67 requests, against 20,000 for one
//! `/users/{id}` each, 1,334 for `id in` filters sent one by one, or 1,000 for batches of
//! single-user reads. (Graph counts the requests inside a batch towards throttling one by one,
//! so batching saves round trips and time, not quota; a throttled part is answered 429 inside
//! a 200 batch and is sent again alone, after its `Retry-After`, which every other batch of
//! the read waits for too.)
//!
//! Ids that are no user are simply absent from the answer; the caller decides what absence
//! means (deleted, or a target that resolves to nothing). Absence is only evidence when the
//! answer was whole, so a read never lets an answer it could not take at its word pass for
//! one: a `200` part without `value`, a row that does not parse, a part that says there is
//! more (`@odata.nextLink`), or a read of deleted users cut short. The ids such an answer was
//! about are reported in [`UsersRead::unresolved`] (or [`DeletedUsers::complete`] is false),
//! never left to look like "no such user".

use super::TokenKind;
use super::{CancelToken, GraphClient, GraphError, GraphErrorKind, MAX_RETRY_AFTER};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Requests Graph takes in one JSON batch.
pub const BATCH_LIMIT: usize = 20;
/// Values Graph takes in one `in (…)` filter by default.
pub const ID_IN_LIMIT: usize = 15;
/// Users one batch reads: [`BATCH_LIMIT`] × [`ID_IN_LIMIT`].
pub const IDS_PER_REQUEST: usize = BATCH_LIMIT * ID_IN_LIMIT;
/// Batches in flight at once for one read. The directory meters a token bucket of resource
/// units per app and tenant, not a request rate (8,000 units per 10 s in a tenant of over
/// 500 users, MGDC `concepts/throttling-limits.md`, "Identity and access service limits"),
/// and each request inside a batch counts: 20,000 assignees are about 1,340 such requests,
/// well inside one bucket, so the batches need no spacing, only a bound on how many are open
/// at once. A throttled part holds every batch back (see [`GraphClient::users_by_ids`]).
const CONCURRENT_BATCHES: usize = 12;
/// How often a throttled or briefly unavailable part of a batch is tried again.
const PART_ATTEMPTS: usize = 5;

/// Which properties to read, and so which permission the read needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserDetail {
    /// `id`, `displayName`, `userPrincipalName`: `User.ReadBasic.All` (the names token).
    Basic,
    /// Also `accountEnabled` and `assignedPlans`: `User.Read.All` (the directory token).
    Full,
}

impl UserDetail {
    fn select(self) -> &'static str {
        match self {
            UserDetail::Basic => "id,displayName,userPrincipalName",
            UserDetail::Full => "id,displayName,userPrincipalName,accountEnabled,assignedPlans",
        }
    }

    fn token(self) -> TokenKind {
        match self {
            UserDetail::Basic => TokenKind::Names,
            UserDetail::Full => TokenKind::Directory,
        }
    }
}

/// One of a user's `assignedPlans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPlan {
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub service_plan_id: Option<String>,
    /// `Enabled`, `Warning` (in grace), `Suspended`, `Deleted`, `LockedOut`.
    #[serde(default)]
    pub capability_status: Option<String>,
}

/// A user (or resource account) as the directory reads give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryAccount {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// The primary email, when it was selected (people are looked up by it).
    #[serde(default)]
    pub mail: Option<String>,
    /// Only with [`UserDetail::Full`]; `None` when the answer did not say.
    #[serde(default)]
    pub account_enabled: Option<bool>,
    /// Only with [`UserDetail::Full`]. `None` when the answer did not carry the list (not
    /// selected, or `null`): not the same as `Some(vec![])`, a user with no plans at all.
    #[serde(default)]
    pub assigned_plans: Option<Vec<AccountPlan>>,
}

/// What a read of many users found.
#[derive(Debug, Clone, Default)]
pub struct UsersRead {
    /// By lower-cased object id.
    pub accounts: HashMap<String, DirectoryAccount>,
    /// HTTP requests the read took (batches, retries included).
    pub requests: usize,
    /// Parts of batches that were throttled and sent again.
    pub retried_parts: usize,
    /// Lower-cased ids the read cannot tell about: the answer for them came back whole in
    /// status but not in content (no `value`, a row that does not parse, a `nextLink` the
    /// read does not follow). Such an id is neither found nor known to be absent.
    pub unresolved: HashSet<String>,
    /// For reads by query (see `people.rs`): the lower-cased ids each part's answer listed,
    /// by part id, and the parts whose answer could not be taken at its word (no `value`, a
    /// row that does not parse, a `nextLink`).
    pub by_part: HashMap<String, Vec<String>>,
    pub unreadable_parts: HashSet<String>,
}

/// What a read of the deleted users found.
#[derive(Debug, Clone, Default)]
pub struct DeletedUsers {
    pub accounts: Vec<DirectoryAccount>,
    /// HTTP requests the read took.
    pub requests: usize,
    /// `false` when the read could not see every deleted user: it stopped after
    /// [`DELETED_USERS_MAX_PAGES`], or a page had no `value` or a row without a readable id.
    /// Then a user missing from `accounts` may still be among the deleted.
    pub complete: bool,
}

/// Pages of deleted users one read follows at most (999 a page: about 100,000 users deleted
/// within 30 days). A tenant with more is told the read stopped, never that it ended.
pub const DELETED_USERS_MAX_PAGES: usize = 100;

/// One inner request: its batch id and its URL relative to `/v1.0`.
pub(super) struct Part {
    pub(super) id: String,
    pub(super) url: String,
    pub(super) attempts: usize,
    /// The lower-cased ids the part asks for (empty for a query by anything else).
    pub(super) ids: Vec<String>,
    /// Sent with `ConsistencyLevel: eventual` in the part's headers, as Microsoft documents
    /// for advanced queries (`$search`) in a batch.
    pub(super) eventual: bool,
}

/// What one batch gave back.
/// The deleted users' collection, the only place its `nextLink` may point.
const DELETED_USERS_PATH: &str = "/v1.0/directory/deletedItems/microsoft.graph.user";

/// What one turn of a batch worker came to.
enum Step {
    Read,
    Empty,
    Cancelled,
}

struct BatchAnswer {
    accounts: Vec<DirectoryAccount>,
    by_part: Vec<(String, Vec<String>)>,
    unreadable_parts: Vec<String>,
    /// Ids whose answer could not be read (see [`UsersRead::unresolved`]).
    unresolved: Vec<String>,
    /// Parts to send again, and the longest `Retry-After` among them.
    again: Vec<Part>,
    wait: Option<Duration>,
}

fn encode(value: &str) -> String {
    super::encode_query_value(value)
}

impl GraphClient {
    /// Reads the users with these object ids, 300 per request ([`IDS_PER_REQUEST`]), a few
    /// batches at a time. Ids that are no user are absent. `Ok(None)` when cancelled.
    ///
    /// A part of a batch that is throttled (429) or briefly unavailable (503/504) is sent again
    /// after its `Retry-After`, and no other batch of the read leaves before then either (the
    /// directory throttles the app in the tenant, not one request); a refused part (403)
    /// fails the read with `Forbidden`, which for [`UserDetail::Full`] means `User.Read.All`
    /// is missing.
    pub async fn users_by_ids(
        &self,
        ids: &[String],
        detail: UserDetail,
        cancel: &CancelToken,
    ) -> Result<Option<UsersRead>, GraphError> {
        let mut distinct: Vec<&str> = ids.iter().map(String::as_str).collect();
        distinct.sort_unstable_by_key(|id| id.to_ascii_lowercase());
        distinct.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        let parts: Vec<Part> = distinct
            .chunks(ID_IN_LIMIT)
            .enumerate()
            .map(|(n, chunk)| {
                let list: Vec<String> = chunk
                    .iter()
                    .map(|id| format!("'{}'", id.replace('\'', "''")))
                    .collect();
                Part {
                    id: (n + 1).to_string(),
                    url: format!(
                        "/users?$filter={}&$select={}",
                        encode(&format!("id in ({})", list.join(","))),
                        detail.select()
                    ),
                    attempts: 0,
                    ids: chunk.iter().map(|id| id.to_ascii_lowercase()).collect(),
                    eventual: false,
                }
            })
            .collect();
        self.read_parts(parts, detail.token(), cancel).await
    }

    /// Sends `parts` in batches of [`BATCH_LIMIT`], a few at a time, and gathers what they
    /// found. `Ok(None)` when cancelled.
    pub(super) async fn read_parts(
        &self,
        parts: Vec<Part>,
        kind: TokenKind,
        cancel: &CancelToken,
    ) -> Result<Option<UsersRead>, GraphError> {
        let queue: Arc<Mutex<VecDeque<Vec<Part>>>> = Arc::new(Mutex::new(VecDeque::new()));
        {
            let mut queue = crate::locks::lock(&queue);
            let mut parts = parts.into_iter().peekable();
            while parts.peek().is_some() {
                queue.push_back(parts.by_ref().take(BATCH_LIMIT).collect());
            }
        }
        let result = Arc::new(Mutex::new(UsersRead::default()));
        let hold = Arc::new(Mutex::new(None));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..CONCURRENT_BATCHES {
            let client = self.clone();
            let queue = queue.clone();
            let result = result.clone();
            let hold = hold.clone();
            let cancel = cancel.clone();
            workers.spawn(async move {
                loop {
                    match client
                        .next_batch(&queue, &result, &hold, kind, &cancel)
                        .await?
                    {
                        Step::Read => {}
                        Step::Empty => return Ok(true),
                        Step::Cancelled => return Ok(false),
                    }
                }
            });
        }
        let mut completed = true;
        while let Some(joined) = workers.join_next().await {
            match joined {
                Ok(Ok(done)) => completed &= done,
                Ok(Err(error)) => {
                    workers.abort_all();
                    return Err(error);
                }
                Err(join) => {
                    workers.abort_all();
                    return Err(GraphError::new(
                        GraphErrorKind::Malformed,
                        format!("a user read stopped unexpectedly ({join})"),
                    ));
                }
            }
        }
        // A worker that found the queue empty while another's retries were waiting returned
        // early; whatever is still queued is read here, one batch after another.
        loop {
            match self
                .next_batch(&queue, &result, &hold, kind, cancel)
                .await?
            {
                Step::Read => {}
                Step::Empty => break,
                Step::Cancelled => return Ok(None),
            }
        }
        if !completed || cancel.is_cancelled() {
            return Ok(None);
        }
        let read = std::mem::take(&mut *crate::locks::lock(&result));
        Ok(Some(read))
    }

    /// The users deleted within the last 30 days (`/directory/deletedItems/microsoft.graph.user`),
    /// which needs `User.Read.All`, at most [`DELETED_USERS_MAX_PAGES`] pages. A row that does
    /// not parse but has an id still counts as deleted (its id is the evidence); a page
    /// without `value`, a row without an id, or a read cut short makes it incomplete.
    pub async fn deleted_users(
        &self,
        cancel: &CancelToken,
    ) -> Result<Option<DeletedUsers>, GraphError> {
        let mut url = self.url(&format!(
            "{DELETED_USERS_PATH}?$top=999&$select=id,displayName,userPrincipalName"
        ));
        let mut read = DeletedUsers {
            complete: true,
            ..DeletedUsers::default()
        };
        loop {
            let Some(answer) = cancel.run(self.get_json(&url, TokenKind::Directory)).await else {
                return Ok(None);
            };
            let (value, exchange) = answer?;
            read.requests += 1;
            match value.get("value").and_then(|v| v.as_array()) {
                Some(rows) => {
                    for row in rows {
                        match DirectoryAccount::deserialize(row) {
                            Ok(account) => read.accounts.push(account),
                            Err(_) => match row_id(row) {
                                Some(id) => read.accounts.push(DirectoryAccount {
                                    id,
                                    display_name: None,
                                    user_principal_name: None,
                                    mail: None,
                                    account_enabled: None,
                                    assigned_plans: None,
                                }),
                                None => read.complete = false,
                            },
                        }
                    }
                }
                None => read.complete = false,
            }
            match value.get("@odata.nextLink").and_then(|v| v.as_str()) {
                Some(_) if read.requests >= DELETED_USERS_MAX_PAGES => {
                    read.complete = false;
                    return Ok(Some(read));
                }
                Some(next) if self.is_home(next, |path| path == DELETED_USERS_PATH) => {
                    url = next.to_owned()
                }
                Some(next) => {
                    return Err(GraphError::new(
                        GraphErrorKind::ForeignLocation,
                        format!("the next page of deleted users is at {next}, outside the Graph root, so NumberDesk did not send your sign-in there"),
                    )
                    .with_exchange(&exchange))
                }
                None => return Ok(Some(read)),
            }
        }
    }

    /// Sends the next queued batch and files what came back: the accounts found, and the
    /// parts to send again (after their `Retry-After`) at the back of the queue. `hold` is
    /// when the read may send again after a throttled part: every batch waits for it.
    async fn next_batch(
        &self,
        queue: &Mutex<VecDeque<Vec<Part>>>,
        result: &Mutex<UsersRead>,
        hold: &Mutex<Option<tokio::time::Instant>>,
        kind: TokenKind,
        cancel: &CancelToken,
    ) -> Result<Step, GraphError> {
        let held = (*crate::locks::lock(hold))
            .map(|until| until.saturating_duration_since(tokio::time::Instant::now()))
            .filter(|wait| !wait.is_zero());
        if let Some(wait) = held {
            if cancel.run((self.options.sleeper)(wait)).await.is_none() {
                return Ok(Step::Cancelled);
            }
        }
        let next = crate::locks::lock(queue).pop_front();
        let Some(batch) = next else {
            return Ok(Step::Empty);
        };
        let Some(answer) = cancel.run(self.send_batch(batch, kind)).await else {
            return Ok(Step::Cancelled);
        };
        let answer = answer?;
        {
            let mut result = crate::locks::lock(result);
            result.requests += 1;
            result.retried_parts += answer.again.len();
            result.unresolved.extend(answer.unresolved);
            result.by_part.extend(answer.by_part);
            result.unreadable_parts.extend(answer.unreadable_parts);
            for account in answer.accounts {
                result
                    .accounts
                    .insert(account.id.to_ascii_lowercase(), account);
            }
        }
        if !answer.again.is_empty() {
            if let Some(wait) = answer.wait {
                {
                    let until = tokio::time::Instant::now() + wait;
                    let mut hold = crate::locks::lock(hold);
                    *hold = Some(hold.map_or(until, |h| h.max(until)));
                }
                if cancel.run((self.options.sleeper)(wait)).await.is_none() {
                    return Ok(Step::Cancelled);
                }
            }
            crate::locks::lock(queue).push_back(answer.again);
        }
        Ok(Step::Read)
    }

    /// One `$batch` of GETs. The batch itself is read-only, so it is retried as a GET is.
    async fn send_batch(
        &self,
        parts: Vec<Part>,
        kind: TokenKind,
    ) -> Result<BatchAnswer, GraphError> {
        let url = self.url("/v1.0/$batch");
        let body = serde_json::json!({
            "requests": parts
                .iter()
                .map(|p| {
                    let mut request = serde_json::json!({"id": p.id, "method": "GET", "url": p.url});
                    if p.eventual {
                        request["headers"] = serde_json::json!({"ConsistencyLevel": "eventual"});
                    }
                    request
                })
                .collect::<Vec<_>>()
        });
        let mut backoff = self.backoff(self.options.get_attempts);
        let reply = loop {
            let client_request_id = uuid::Uuid::new_v4().to_string();
            let error = match self
                .send(
                    reqwest::Method::POST,
                    &url,
                    Some(&body),
                    kind,
                    &client_request_id,
                    false,
                )
                .await
            {
                Ok(reply) if (200..300).contains(&reply.status) => break reply,
                Ok(reply) => reply.error(),
                Err(error) => error,
            };
            self.wait_before_retry(error, |e| e.get_may_retry(), &mut backoff)
                .await?;
        };
        let mut value: serde_json::Value = serde_json::from_slice(&reply.body).map_err(|e| {
            GraphError::new(
                GraphErrorKind::Malformed,
                format!("the batch answer is not JSON ({e})"),
            )
            .with_exchange(&reply.exchange)
        })?;
        // Taken out of the answer, not copied: a batch of 20 parts holds 300 users.
        let responses = match value.get_mut("responses").map(serde_json::Value::take) {
            Some(serde_json::Value::Array(responses)) => responses,
            _ => Vec::new(),
        };
        let mut by_id: HashMap<String, serde_json::Value> = responses
            .into_iter()
            .filter_map(|r| Some((r.get("id")?.as_str()?.to_owned(), r)))
            .collect();
        let mut answer = BatchAnswer {
            accounts: Vec::new(),
            by_part: Vec::new(),
            unreadable_parts: Vec::new(),
            unresolved: Vec::new(),
            again: Vec::new(),
            wait: None,
        };
        for mut part in parts {
            let Some(mut response) = by_id.remove(&part.id) else {
                return Err(GraphError::new(
                    GraphErrorKind::Malformed,
                    format!("the batch answer has no response for request {}", part.id),
                )
                .with_exchange(&reply.exchange));
            };
            let status = response.get("status").and_then(|s| s.as_u64()).unwrap_or(0) as u16;
            let inner_body = response
                .get_mut("body")
                .map(serde_json::Value::take)
                .unwrap_or_default();
            if (200..300).contains(&status) {
                let (accounts, unresolved) = accounts_in_part(&part.ids, &inner_body);
                let whole = unresolved.is_empty()
                    && inner_body.get("value").is_some_and(|v| v.is_array())
                    && inner_body.get("@odata.nextLink").is_none();
                if !whole {
                    answer.unreadable_parts.push(part.id.clone());
                }
                answer.by_part.push((
                    part.id.clone(),
                    accounts.iter().map(|a| a.id.to_ascii_lowercase()).collect(),
                ));
                answer.accounts.extend(accounts);
                answer.unresolved.extend(unresolved);
                continue;
            }
            let retry_after = response
                .get("headers")
                .and_then(|h| h.as_object())
                .and_then(|h| {
                    h.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                        .and_then(|(_, v)| v.as_str())
                })
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let bytes = serde_json::to_vec(&inner_body).unwrap_or_default();
            let error = GraphError::from_reply(status, &bytes, retry_after, &reply.exchange);
            part.attempts += 1;
            if error.get_may_retry() && part.attempts < PART_ATTEMPTS {
                let wait = retry_after
                    .unwrap_or(Duration::from_millis(500) * (1 << part.attempts.min(5)))
                    .min(MAX_RETRY_AFTER);
                answer.wait = Some(answer.wait.map_or(wait, |w| w.max(wait)));
                answer.again.push(part);
                continue;
            }
            return Err(error);
        }
        Ok(answer)
    }
}

/// The `id` of a row, when it has a readable one.
fn row_id(row: &serde_json::Value) -> Option<String> {
    row.get("id")
        .and_then(|v| v.as_str())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// The accounts a `2xx` part of a batch gives for `ids` (lower-cased), and the ids it leaves
/// unresolved: all of them when there is no `value` array; the id of a row that does not
/// parse; and, when a row without a readable id was there or the part says there is more
/// (`@odata.nextLink`), every id not found, since any of them may be the one missing.
fn accounts_in_part(
    ids: &[String],
    body: &serde_json::Value,
) -> (Vec<DirectoryAccount>, Vec<String>) {
    let Some(rows) = body.get("value").and_then(|v| v.as_array()) else {
        return (Vec::new(), ids.to_vec());
    };
    let mut accounts = Vec::with_capacity(rows.len());
    let mut unresolved = Vec::new();
    let mut unknown_missing = body.get("@odata.nextLink").is_some();
    for row in rows {
        match DirectoryAccount::deserialize(row) {
            Ok(account) => accounts.push(account),
            Err(_) => match row_id(row) {
                Some(id) => unresolved.push(id.to_ascii_lowercase()),
                None => unknown_missing = true,
            },
        }
    }
    if unknown_missing {
        let seen: HashSet<String> = accounts
            .iter()
            .map(|a| a.id.to_ascii_lowercase())
            .chain(unresolved.iter().cloned())
            .collect();
        unresolved.extend(ids.iter().filter(|id| !seen.contains(*id)).cloned());
    }
    (accounts, unresolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_part_without_value_leaves_every_id_unresolved() {
        let (accounts, unresolved) = accounts_in_part(&ids(&["a", "b"]), &json!({}));
        assert!(accounts.is_empty());
        assert_eq!(unresolved, ids(&["a", "b"]));
        let (_, unresolved) = accounts_in_part(&ids(&["a"]), &json!({"value": null}));
        assert_eq!(unresolved, ids(&["a"]));
    }

    #[test]
    fn a_row_that_does_not_parse_leaves_its_id_unresolved_and_no_other() {
        let body = json!({"value": [
            {"id": "A", "displayName": "Ann"},
            {"id": "B", "displayName": {"unexpected": true}},
        ]});
        let (accounts, unresolved) = accounts_in_part(&ids(&["a", "b", "c"]), &body);
        assert_eq!(accounts.len(), 1);
        assert_eq!(unresolved, ids(&["b"]), "c is absent: no user");
    }

    #[test]
    fn a_row_without_an_id_or_a_next_link_leaves_every_missing_id_unresolved() {
        let body = json!({"value": [{"id": "a"}, {"displayName": "who?"}]});
        let (accounts, unresolved) = accounts_in_part(&ids(&["a", "b", "c"]), &body);
        assert_eq!(accounts.len(), 1);
        assert_eq!(unresolved, ids(&["b", "c"]));
        let body = json!({"value": [{"id": "a"}], "@odata.nextLink": "https://graph/next"});
        let (_, unresolved) = accounts_in_part(&ids(&["a", "b"]), &body);
        assert_eq!(unresolved, ids(&["b"]));
    }

    #[test]
    fn assigned_plans_absent_or_null_is_not_an_empty_list() {
        let absent: DirectoryAccount = serde_json::from_value(json!({"id": "a"})).unwrap();
        assert_eq!(absent.assigned_plans, None);
        let null: DirectoryAccount =
            serde_json::from_value(json!({"id": "a", "assignedPlans": null})).unwrap();
        assert_eq!(null.assigned_plans, None);
        let none: DirectoryAccount =
            serde_json::from_value(json!({"id": "a", "assignedPlans": []})).unwrap();
        assert_eq!(none.assigned_plans, Some(Vec::new()));
    }
}
