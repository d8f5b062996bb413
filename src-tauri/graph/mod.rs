//! A thin client for the Microsoft Graph endpoints NumberDesk uses: look a number up, read a
//! user's name, unassign, assign, and read an operation.
//!
//! What it takes care of, so callers don't:
//! - a `client-request-id` on every call, and the response's `request-id` and `date` kept for
//!   the history and for Microsoft support;
//! - GETs retried on 429/503/504 and on the Teams number backend's overload answer (a `400`
//!   "Service is unavailable. Please try again"), with exponential backoff and jitter, or
//!   `Retry-After` when given (capped, with jitter); POSTs retried only when Microsoft clearly
//!   did not take them (429, 503, the overload 400, or a connection that never opened). A POST
//!   whose answer was lost, or that a gateway answered 504, is **outcome unknown**, never
//!   resent;
//! - an expired access token refreshed and the call tried once more;
//! - a `Location` followed only when it points at the configured Graph root's operations path,
//!   so the token never goes anywhere else;
//! - Graph's error envelope turned into a typed error with a sentence for the admin;
//! - optionally, every request (retries included) paced by a shared [`Pacer`], so a bulk run
//!   has one rate for all its workers and a 429 (or a 503, 504 or overload 400) seen by one
//!   slows them all.

mod error;
mod listing;
mod model;
mod people;
mod progress;
mod users;

pub use error::{is_overload_answer, GraphError, GraphErrorDetail, GraphErrorKind};
pub use listing::{NUMBERS_PER_PAGE, PAGES_IN_FLIGHT};
pub use model::{
    Assignment, DirectoryUser, NumberAssignment, OperationNumber, OperationStatus, RemoteStatus,
    UnreadableRow,
};
pub use people::{PeopleRead, PersonQuery};
pub use progress::{CancelToken, ListProgress, ProgressFn};
pub use users::{
    AccountPlan, DeletedUsers, DirectoryAccount, UserDetail, UsersRead, BATCH_LIMIT,
    DELETED_USERS_MAX_PAGES, IDS_PER_REQUEST, ID_IN_LIMIT,
};

use backon::{BackoffBuilder, ExponentialBuilder};
use oauth2::AccessToken;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The path every operation `Location` must live under.
pub const OPERATIONS_PATH: &str = "/v1.0/admin/teams/telephoneNumberManagement/operations";
const NUMBERS_PATH: &str = "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments";

/// The longest `Retry-After` NumberDesk waits for before giving up on a call.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// How the client waits between retries (real time in the app, recorded in tests).
pub type Sleeper = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A rate shared by everything that uses a paced client (see [`GraphClient::paced`]).
///
/// `admit` is awaited before every request leaves, retries included; `observe` hears every
/// answer's status (`None`: no answer), `Retry-After`, and whether Microsoft said it was
/// overloaded: 429, 503, 504, or the Teams number backend's overload 400 (which only its body
/// tells from a refusal, see [`is_overload_answer`]).
pub trait Pacer: Send + Sync {
    fn admit(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
    fn observe(&self, status: Option<u16>, retry_after: Option<Duration>, overloaded: bool);
}

/// Which access token a call needs: each is asked for with its own permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `TeamsTelephoneNumber.ReadWrite.All`: lookups, unassign, assign, operations.
    Telephone,
    /// `User.ReadBasic.All`: assignee names.
    Names,
    /// `User.Read.All`: whether accounts are enabled, licensed, or deleted (the leavers lens).
    /// Asked for incrementally, only when the lens is opened.
    Directory,
}

/// Why a token source had no token: its own error (the app's is the session's), kept whole so
/// the boundary can say it in the source's words; this client only carries it.
pub type TokenError = Arc<dyn std::error::Error + Send + Sync>;

/// Where the client gets its bearer tokens: the signed-in session in the app
/// ([`crate::auth::SessionManager`], over the keyring), anything else in a test or a bench.
/// The client never sees how tokens are kept.
pub trait TokenSource: Send + Sync {
    /// A valid access token of `kind` (refreshed when it is close to expiry).
    fn access_token(
        &self,
        kind: TokenKind,
    ) -> Pin<Box<dyn Future<Output = Result<AccessToken, TokenError>> + Send + '_>>;
    /// Graph answered 401 to this token: forget it so the next call gets a fresh one.
    fn token_rejected(&self, kind: TokenKind) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Whether an answer says Microsoft is overloaded (see [`Pacer::observe`]).
fn says_overloaded(status: u16, body: &[u8]) -> bool {
    matches!(status, 429 | 503 | 504) || is_overload_answer(status, body)
}

/// Tuning for the client.
#[derive(Clone)]
pub struct GraphOptions {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Attempts for a GET (first try included).
    pub get_attempts: usize,
    /// Attempts for a POST that Microsoft clearly refused to take (429/503/overload 400).
    pub post_attempts: usize,
    pub sleeper: Sleeper,
}

impl Default for GraphOptions {
    fn default() -> Self {
        GraphOptions {
            timeout: Duration::from_secs(30),
            get_attempts: 5,
            post_attempts: 4,
            sleeper: Arc::new(|duration| Box::pin(tokio::time::sleep(duration))),
        }
    }
}

/// What Microsoft said when it accepted a POST: 202 with a `Location` as documented, or
/// 204/200 without one, OData's usual answer for an action with no return type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    /// The HTTP status (202, 204, 200, …).
    pub status: u16,
    pub location: Option<String>,
    pub request_id: Option<String>,
    pub client_request_id: String,
    pub date: Option<String>,
}

/// The tenant's numbers as [`GraphClient::list_numbers`] read them.
#[derive(Debug, Clone, Default)]
pub struct NumberListing {
    pub numbers: Vec<NumberAssignment>,
    /// Rows Microsoft sent that NumberDesk could not read (a required field missing or of the
    /// wrong type). Never acted on; shown as such.
    pub unreadable: Vec<UnreadableRow>,
    /// The pages read and used, one request each (retries not counted).
    pub requests: usize,
    /// Requests sent for pages (retries not counted): `requests`, plus pages read side by
    /// side that the listing did not need after all (past the end of the list, after a page
    /// shorter than the ones before it, or after the page Microsoft refused).
    pub sent: usize,
}

/// Where [`GraphClient::list_numbers_from`] starts, and how many pages it may read at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingStart {
    /// Rows already read: the `$skip` of the next page (0: the first page).
    pub skip: usize,
    /// The id of the last row already read, checked again before going on.
    pub seam_id: Option<String>,
    /// Pages read side by side at most (0 or 1: one after another; at most
    /// [`PAGES_IN_FLIGHT`]). More than one only through a paced client
    /// ([`GraphClient::paced`]), so that a `429` holds every page back.
    pub in_flight: usize,
    /// How many numbers the tenant is expected to have, counted from its first (the kept
    /// list's size): no page starting beyond it is asked for until the pages before it show
    /// the list goes on, so a list as long as expected costs no request more than reading
    /// it page after page.
    pub about: Option<usize>,
}

/// How [`GraphClient::list_numbers_from`] ended.
#[derive(Debug)]
pub enum NumberPages {
    /// Every page from the start through the empty page that ends the list.
    Complete(NumberListing),
    /// Stopped before the end: what was read is a part of the list, never the whole.
    CutOff(CutOffListing),
    /// The row before the seam is not the one read last: the list moved; nothing was kept.
    SeamMoved,
}

/// The pages read before a listing stopped.
#[derive(Debug)]
pub struct CutOffListing {
    /// The rows read from the start up to where it stopped (`requests`: the pages read).
    pub read: NumberListing,
    /// Where the next page starts (`$skip`), counted from the tenant's first number.
    pub next_skip: usize,
    /// The id of the last row read (the seam for the next start), when it had one.
    pub last_id: Option<String>,
    pub cause: CutOffCause,
}

/// Why a listing stopped before its end.
#[derive(Debug)]
pub enum CutOffCause {
    /// A page still refused after its retries (or a `Retry-After` over [`MAX_RETRY_AFTER`]).
    Refused(GraphError),
    Cancelled,
}

/// The identifiers of one exchange, kept whatever its outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    pub client_request_id: String,
    pub request_id: Option<String>,
    pub date: Option<String>,
}

/// The Graph client for one signed-in session.
pub struct GraphClient {
    http: reqwest::Client,
    root: Url,
    session: Arc<dyn TokenSource>,
    options: GraphOptions,
    pacer: Option<Arc<dyn Pacer>>,
}

impl Clone for GraphClient {
    /// The same connections, session, options and pacer.
    fn clone(&self) -> Self {
        GraphClient {
            http: self.http.clone(),
            root: self.root.clone(),
            session: self.session.clone(),
            options: self.options.clone(),
            pacer: self.pacer.clone(),
        }
    }
}

/// One response, read whole.
struct Reply {
    status: u16,
    body: Vec<u8>,
    retry_after: Option<Duration>,
    location: Option<String>,
    exchange: Exchange,
}

impl Reply {
    /// The failure this answer tells of (a status outside what the caller accepts).
    fn error(&self) -> GraphError {
        GraphError::from_reply(self.status, &self.body, self.retry_after, &self.exchange)
    }
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Retry-After` as seconds or as an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Percent-encodes a query value: everything but unreserved characters, so `+` is `%2B` (a raw
/// `+` would arrive as a space and match nothing) and spaces are `%20`.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The `$filter` for one number, quotes doubled as OData requires.
pub fn number_filter(telephone_number: &str) -> String {
    format!(
        "telephoneNumber eq '{}'",
        telephone_number.replace('\'', "''")
    )
}

impl GraphClient {
    pub fn new(
        root: Url,
        session: Arc<dyn TokenSource>,
        options: GraphOptions,
    ) -> Result<GraphClient, GraphError> {
        // The system's proxy, the OS verifier, and no redirects: a redirect could carry the
        // token elsewhere, and Graph does not redirect these calls.
        let http = crate::net::http_client_for(root.as_str(), options.timeout)
            .map_err(|e| GraphError::new(GraphErrorKind::Network, e.to_string()))?;
        Ok(GraphClient {
            http,
            root,
            session,
            options,
            pacer: None,
        })
    }

    /// The same client (same connections, session and options) with every request going
    /// through `pacer` first.
    pub fn paced(&self, pacer: Arc<dyn Pacer>) -> GraphClient {
        GraphClient {
            http: self.http.clone(),
            root: self.root.clone(),
            session: self.session.clone(),
            options: self.options.clone(),
            pacer: Some(pacer),
        }
    }

    /// Whether this client paces its requests.
    pub fn is_paced(&self) -> bool {
        self.pacer.is_some()
    }

    fn url(&self, path_and_query: &str) -> String {
        format!(
            "{}{}",
            self.root.as_str().trim_end_matches('/'),
            path_and_query
        )
    }

    /// Whether `location` may receive the token: same scheme, host and port as the Graph root,
    /// and a path under the operations collection.
    pub fn location_is_trusted(&self, location: &str) -> bool {
        self.is_home(location, |path| {
            path.starts_with(OPERATIONS_PATH)
                && !path.contains("/../")
                && !path.contains("%2e%2e")
                && !path.contains("%2E%2E")
        })
    }

    /// Whether `link` may receive the token: same scheme, host and port as the Graph root, no
    /// user information, and a path `path_ok` accepts. Every address Graph hands back (an
    /// operation's `Location`, a `nextLink`) goes through here before it is followed.
    pub(crate) fn is_home(&self, link: &str, path_ok: impl Fn(&str) -> bool) -> bool {
        let Ok(url) = Url::parse(link) else {
            return false;
        };
        url.scheme() == self.root.scheme()
            && url.host_str() == self.root.host_str()
            && url.port_or_known_default() == self.root.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none()
            && path_ok(url.path())
    }

    /// Sends one request with the current token; a 401 refreshes the token and tries once more.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&serde_json::Value>,
        kind: TokenKind,
        client_request_id: &str,
        mut admitted: bool,
    ) -> Result<Reply, GraphError> {
        let mut refreshed = false;
        loop {
            if let Some(pacer) = self.pacer.as_ref().filter(|_| !admitted) {
                pacer.admit().await;
            }
            admitted = false;
            let token = self
                .session
                .access_token(kind)
                .await
                .map_err(GraphError::from_token_error)?;
            let mut request = self
                .http
                .request(method.clone(), url)
                .bearer_auth(token.secret())
                .header("client-request-id", client_request_id)
                .header("Accept", "application/json");
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.map_err(|error| {
                if let Some(pacer) = &self.pacer {
                    pacer.observe(None, None, false);
                }
                // The proxy or an untrusted certificate stopped it before it left.
                if let Some(blocked) = crate::net::diagnose(&error, url) {
                    return GraphError::new(GraphErrorKind::NotSent, error.to_string())
                        .with_client_request_id(client_request_id)
                        .blocked_by(blocked);
                }
                let kind = if error.is_connect() {
                    GraphErrorKind::NotSent
                } else if error.is_timeout() {
                    GraphErrorKind::Timeout
                } else {
                    GraphErrorKind::Network
                };
                GraphError::new(kind, error.to_string()).with_client_request_id(client_request_id)
            })?;
            let status = response.status().as_u16();
            let exchange = Exchange {
                client_request_id: client_request_id.to_owned(),
                request_id: header(&response, "request-id"),
                date: header(&response, "date"),
            };
            let retry_after = header(&response, "retry-after").and_then(|v| parse_retry_after(&v));
            let location = header(&response, "location");
            if let Some(blocked) = crate::net::blocked_by_status(status, url) {
                // A forwarding proxy that wants a sign-in did not pass the request on.
                if let Some(pacer) = &self.pacer {
                    pacer.observe(Some(status), retry_after, false);
                }
                return Err(
                    GraphError::new(GraphErrorKind::NotSent, "HTTP 407 from a proxy")
                        .with_exchange(&exchange)
                        .blocked_by(blocked),
                );
            }
            if status == 401 && !refreshed {
                if let Some(pacer) = &self.pacer {
                    pacer.observe(Some(status), retry_after, false);
                }
                self.session.token_rejected(kind).await;
                refreshed = true;
                continue;
            }
            // The pacer hears the answer once its body is in: only the body tells the Teams
            // backend's overload 400 from a refusal.
            let body = response.bytes().await.map_err(|error| {
                if let Some(pacer) = &self.pacer {
                    pacer.observe(Some(status), retry_after, matches!(status, 429 | 503 | 504));
                }
                let kind = if error.is_timeout() {
                    GraphErrorKind::Timeout
                } else {
                    GraphErrorKind::Network
                };
                GraphError::new(kind, error.to_string()).with_exchange(&exchange)
            })?;
            if let Some(pacer) = &self.pacer {
                pacer.observe(Some(status), retry_after, says_overloaded(status, &body));
            }
            return Ok(Reply {
                status,
                body: body.to_vec(),
                retry_after,
                location,
                exchange,
            });
        }
    }

    /// A GET with retries on 429/503/504, the overload 400, and connections that never opened.
    async fn get_json(
        &self,
        url: &str,
        kind: TokenKind,
    ) -> Result<(serde_json::Value, Exchange), GraphError> {
        self.get_json_with(url, kind, false).await
    }

    /// [`GraphClient::get_json`]; `admitted` as for [`GraphClient::unassign_admitted`]: the
    /// caller already took the first attempt's turn from the pacer.
    async fn get_json_with(
        &self,
        url: &str,
        kind: TokenKind,
        admitted: bool,
    ) -> Result<(serde_json::Value, Exchange), GraphError> {
        self.get_read_with(url, kind, admitted, |body| serde_json::from_slice(body))
            .await
    }

    /// A page of the number list, read from its bytes (see [`model::read_number_page`]), with
    /// the retries of [`GraphClient::get_json_with`].
    async fn get_number_page_with(
        &self,
        url: &str,
        admitted: bool,
    ) -> Result<(model::NumberPage, Exchange), GraphError> {
        self.get_read_with(url, TokenKind::Telephone, admitted, model::read_number_page)
            .await
    }

    /// A GET with retries, its answer read by `read`: an answer that is not JSON is
    /// `Malformed`, never retried.
    async fn get_read_with<T>(
        &self,
        url: &str,
        kind: TokenKind,
        mut admitted: bool,
        read: impl Fn(&[u8]) -> Result<T, serde_json::Error>,
    ) -> Result<(T, Exchange), GraphError> {
        let mut backoff = self.backoff(self.options.get_attempts);
        loop {
            let client_request_id = uuid::Uuid::new_v4().to_string();
            let error = match self
                .send(
                    reqwest::Method::GET,
                    url,
                    None,
                    kind,
                    &client_request_id,
                    std::mem::take(&mut admitted),
                )
                .await
            {
                Ok(reply) if (200..300).contains(&reply.status) => {
                    return read(&reply.body)
                        .map(|value| (value, reply.exchange.clone()))
                        .map_err(|e| {
                            GraphError::new(
                                GraphErrorKind::Malformed,
                                format!("the answer is not JSON ({e})"),
                            )
                            .with_exchange(&reply.exchange)
                        });
                }
                Ok(reply) => reply.error(),
                Err(error) => error,
            };
            self.wait_before_retry(error, |e| e.get_may_retry(), &mut backoff)
                .await?;
        }
    }

    /// Waits as `error` and the backoff say, or gives the error back when no retry is allowed.
    async fn wait_before_retry(
        &self,
        error: GraphError,
        may_retry: impl Fn(&GraphError) -> bool,
        backoff: &mut backon::ExponentialBackoff,
    ) -> Result<(), GraphError> {
        if !may_retry(&error) {
            return Err(error);
        }
        match adjust_delay(&error, backoff.next()) {
            Some(delay) => {
                (self.options.sleeper)(delay).await;
                Ok(())
            }
            None => Err(error),
        }
    }

    fn backoff(&self, attempts: usize) -> backon::ExponentialBackoff {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(Duration::from_secs(30))
            .with_jitter()
            .with_max_times(attempts.saturating_sub(1))
            .build()
    }

    /// Looks a number up (`$filter=telephoneNumber eq '+…'`). `None` when the tenant has no
    /// such number. When Microsoft's entry for the number cannot be read (a required field is
    /// missing), the answer is a `Malformed` error that says which, never a wrong guess.
    pub async fn lookup_number(
        &self,
        telephone_number: &str,
    ) -> Result<(Option<NumberAssignment>, Exchange), GraphError> {
        let url = self.url(&format!(
            "{NUMBERS_PATH}?$filter={}",
            encode_query_value(&number_filter(telephone_number))
        ));
        let (value, exchange) = self.get_json(&url, TokenKind::Telephone).await?;
        let (numbers, unreadable) = number_page(value, &exchange)?;
        let found = numbers
            .into_iter()
            .find(|n| n.telephone_number.eq_ignore_ascii_case(telephone_number));
        if found.is_none() {
            // The filter names one number: a row that came back for it and cannot be read is
            // that number's entry.
            if let Some(row) = unreadable.into_iter().find(|r| {
                r.telephone_number
                    .as_deref()
                    .is_none_or(|n| n.eq_ignore_ascii_case(telephone_number))
            }) {
                return Err(GraphError::new(
                    GraphErrorKind::Malformed,
                    format!(
                        "Microsoft's entry for this number could not be read: {}",
                        row.reason
                    ),
                )
                .with_exchange(&exchange));
            }
        }
        Ok((found, exchange))
    }

    /// Every number of the tenant, in pages of 1,000 (`$top=1000`): one request per thousand
    /// numbers, however many a bulk list names. Follows `@odata.nextLink` when Graph gives one
    /// (only under the Graph root's number collection, so the token stays home), else `$skip`.
    ///
    /// Paging never stops early: Microsoft does not document `@odata.nextLink` here, and a
    /// service may cap a page below `$top` without one, so a page without a link is followed
    /// by one more `$skip` page; only an empty page ends the listing. Rows that cannot be read
    /// are returned apart (see [`NumberListing::unreadable`]).
    pub async fn list_numbers(&self) -> Result<NumberListing, GraphError> {
        let listing = self.list_numbers_with(&|_| {}, &CancelToken::new()).await?;
        // Never cancelled: the token is this call's own.
        Ok(listing.unwrap_or_default())
    }

    /// [`GraphClient::list_numbers`], telling `progress` after every page and stopping when
    /// `cancel` is cancelled: `Ok(None)` then (what was read so far is dropped, so a partial
    /// inventory is never mistaken for the whole).
    pub async fn list_numbers_with(
        &self,
        progress: ProgressFn<'_>,
        cancel: &CancelToken,
    ) -> Result<Option<NumberListing>, GraphError> {
        match self
            .list_numbers_from(&ListingStart::default(), progress, cancel)
            .await
        {
            NumberPages::Complete(listing) => Ok(Some(listing)),
            NumberPages::CutOff(cut) => match cut.cause {
                CutOffCause::Cancelled => Ok(None),
                CutOffCause::Refused(error) => Err(error),
            },
            // Only a start with a seam is checked.
            NumberPages::SeamMoved => Err(GraphError::new(
                GraphErrorKind::Malformed,
                "the number list moved while it was read",
            )),
        }
    }

    /// A user's (or resource account's) name and UPN. `Ok(None)` when there is no such user
    /// or the names permission is missing; the caller then shows the object ID.
    pub async fn user(&self, id: &str) -> Result<Option<DirectoryUser>, GraphError> {
        let url = self.url(&format!(
            "/v1.0/users/{}?$select=id,displayName,userPrincipalName",
            encode_query_value(id)
        ));
        match self.get_json(&url, TokenKind::Names).await {
            Ok((value, _)) => Ok(serde_json::from_value(value).ok()),
            Err(error)
                if matches!(
                    error.kind,
                    GraphErrorKind::NotFound | GraphErrorKind::Forbidden | GraphErrorKind::SignIn
                ) =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// A directory read (app registrations, service principals, permission grants), with the
    /// usual GET retries. `path_and_query` starts with `/v1.0/`.
    pub async fn get_directory(
        &self,
        path_and_query: &str,
    ) -> Result<serde_json::Value, GraphError> {
        let url = self.url(path_and_query);
        self.get_json(&url, TokenKind::Directory)
            .await
            .map(|(value, _)| value)
    }

    /// A directory write (`POST` to create, `PATCH` to change). Sent again only when Microsoft
    /// clearly did not take it (429, 503); any other failure is returned as it is. The answer's
    /// JSON, if it has a body (a `PATCH` answers 204 without one).
    pub async fn write_directory(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> Result<Option<serde_json::Value>, GraphError> {
        let url = self.url(path);
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut backoff = self.backoff(self.options.post_attempts);
        loop {
            let error = match self
                .send(
                    method.clone(),
                    &url,
                    Some(&body),
                    TokenKind::Directory,
                    &client_request_id,
                    false,
                )
                .await
            {
                Ok(reply) if (200..300).contains(&reply.status) => {
                    if reply.body.iter().all(u8::is_ascii_whitespace) {
                        return Ok(None);
                    }
                    return serde_json::from_slice(&reply.body).map(Some).map_err(|e| {
                        GraphError::new(
                            GraphErrorKind::Malformed,
                            format!("the answer is not JSON ({e})"),
                        )
                        .with_exchange(&reply.exchange)
                    });
                }
                Ok(reply) => reply.error(),
                Err(error) => error,
            };
            self.wait_before_retry(error, |e| e.post_may_retry(), &mut backoff)
                .await?;
        }
    }

    /// A POST of an action that answers 202 + Location (or 204/200). Retried only when Microsoft clearly
    /// did not take it; any other failure after sending is reported as is (the caller records
    /// outcome unknown for timeouts and dropped connections).
    async fn post_action(
        &self,
        path: &str,
        body: serde_json::Value,
        client_request_id: &str,
        mut admitted: bool,
    ) -> Result<Accepted, GraphError> {
        let url = self.url(path);
        let mut backoff = self.backoff(self.options.post_attempts);
        loop {
            let first_admitted = std::mem::take(&mut admitted);
            let error = match self
                .send(
                    reqwest::Method::POST,
                    &url,
                    Some(&body),
                    TokenKind::Telephone,
                    client_request_id,
                    first_admitted,
                )
                .await
            {
                // Any 2xx took the action: the actions declare no return type, so a body, if
                // any, carries nothing to read.
                Ok(reply) if (200..300).contains(&reply.status) => {
                    return Ok(Accepted {
                        status: reply.status,
                        location: reply.location,
                        request_id: reply.exchange.request_id,
                        client_request_id: client_request_id.to_owned(),
                        date: reply.exchange.date,
                    });
                }
                Ok(reply) => reply.error(),
                Err(error) => error,
            };
            self.wait_before_retry(error, |e| e.post_may_retry(), &mut backoff)
                .await?;
        }
    }

    /// `unassignNumber` with exactly `{telephoneNumber, numberType}`.
    pub async fn unassign(
        &self,
        telephone_number: &str,
        number_type: &str,
        client_request_id: &str,
    ) -> Result<Accepted, GraphError> {
        self.unassign_with(telephone_number, number_type, client_request_id, false)
            .await
    }

    /// [`GraphClient::unassign`] for a caller that already took this request's turn from the
    /// pacer (so it could write its history record just before the POST leaves, not before a
    /// wait): the first attempt goes straight out; retries are paced as usual.
    pub async fn unassign_admitted(
        &self,
        telephone_number: &str,
        number_type: &str,
        client_request_id: &str,
    ) -> Result<Accepted, GraphError> {
        self.unassign_with(telephone_number, number_type, client_request_id, true)
            .await
    }

    async fn unassign_with(
        &self,
        telephone_number: &str,
        number_type: &str,
        client_request_id: &str,
        admitted: bool,
    ) -> Result<Accepted, GraphError> {
        self.post_action(
            &format!("{NUMBERS_PATH}/unassignNumber"),
            serde_json::json!({ "telephoneNumber": telephone_number, "numberType": number_type }),
            client_request_id,
            admitted,
        )
        .await
    }

    /// `assignNumber` (undo): the prior assignee, number type, category and location.
    pub async fn assign(
        &self,
        telephone_number: &str,
        target_id: &str,
        number_type: &str,
        category: Option<&str>,
        location_id: Option<&str>,
        client_request_id: &str,
    ) -> Result<Accepted, GraphError> {
        self.assign_paced(
            telephone_number,
            target_id,
            number_type,
            category,
            location_id,
            client_request_id,
            false,
        )
        .await
    }

    /// [`GraphClient::assign`]; `admitted` as for [`GraphClient::unassign_admitted`].
    #[allow(clippy::too_many_arguments)]
    pub async fn assign_paced(
        &self,
        telephone_number: &str,
        target_id: &str,
        number_type: &str,
        category: Option<&str>,
        location_id: Option<&str>,
        client_request_id: &str,
        admitted: bool,
    ) -> Result<Accepted, GraphError> {
        let mut body = serde_json::json!({
            "telephoneNumber": telephone_number,
            "assignmentTargetId": target_id,
            "numberType": number_type,
        });
        // Only a category one can ask for: `unknownFutureValue` (or a newer word) read from a
        // listing is left out, and Microsoft applies its default.
        if let Some(category) = category.filter(|c| ["primary", "private", "alternate"].contains(c))
        {
            body["assignmentCategory"] = category.into();
        }
        if let Some(location) = location_id.filter(|l| !l.is_empty()) {
            body["locationId"] = location.into();
        }
        self.post_action(
            &format!("{NUMBERS_PATH}/assignNumber"),
            body,
            client_request_id,
            admitted,
        )
        .await
    }

    /// Reads an operation from its `Location`, which must be trusted (see
    /// [`GraphClient::location_is_trusted`]); otherwise no request is made.
    pub async fn operation(
        &self,
        location: &str,
    ) -> Result<(OperationStatus, Exchange), GraphError> {
        if !self.location_is_trusted(location) {
            return Err(GraphError::new(
                GraphErrorKind::ForeignLocation,
                format!(
                    "the operation address {location} is not under {}{OPERATIONS_PATH}, so NumberDesk did not send your sign-in there",
                    self.root.as_str().trim_end_matches('/')
                ),
            ));
        }
        let (value, exchange) = self.get_json(location, TokenKind::Telephone).await?;
        let status = OperationStatus::from_json(value).map_err(|detail| {
            GraphError::new(GraphErrorKind::Malformed, detail).with_exchange(&exchange)
        })?;
        Ok((status, exchange))
    }
}

/// One page of `numberAssignments`, read row by row.
fn number_page(
    value: serde_json::Value,
    exchange: &Exchange,
) -> Result<(Vec<NumberAssignment>, Vec<UnreadableRow>), GraphError> {
    model::number_page_from_tree(value)
        .into_rows()
        .map_err(|reason| not_a_number_list(&reason, exchange))
}

/// A page of `numberAssignments` that is no list of rows.
fn not_a_number_list(reason: &str, exchange: &Exchange) -> GraphError {
    GraphError::new(
        GraphErrorKind::Malformed,
        format!("unexpected number list ({reason})"),
    )
    .with_exchange(exchange)
}

/// For the fuzzers (`crate::fuzzing`): every parser of Graph's answers on one body. Panics only
/// when a property the app relies on breaks. Returns the body read as an error answer, whose
/// words the fuzzer checks too.
#[doc(hidden)]
pub fn parse_any_answer(status: u16, body: &[u8]) -> GraphError {
    let error = GraphError::from_reply(status, body, None, &Exchange::default());
    let straight = model::read_number_page(body);
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => {
            if let Ok(operation) = OperationStatus::from_json(value.clone()) {
                let _ = operation.status.is_settled();
            }
            if let Ok(page) = serde_json::from_value::<model::Page>(value.clone()) {
                let rows = page.value.len();
                let (read, unreadable) = model::read_rows(page.value);
                assert_eq!(
                    read.len() + unreadable.len(),
                    rows,
                    "every row is accounted for"
                );
            }
            let tree = model::number_page_from_tree(value);
            assert_eq!(
                straight.ok().as_ref(),
                Some(&tree),
                "a number page read from its bytes is what its tree gives"
            );
        }
        Err(not_json) => assert_eq!(
            straight.err().map(|e| e.to_string()),
            Some(not_json.to_string()),
            "bytes that are not JSON are refused in the same words"
        ),
    }
    error
}

/// Retry-After wins over the planned backoff (capped, plus a little jitter so many callers do
/// not return at once); no planned retry left means no retry.
fn adjust_delay(error: &GraphError, planned: Option<Duration>) -> Option<Duration> {
    let planned = planned?;
    match error.retry_after {
        Some(after) if after > MAX_RETRY_AFTER => None,
        Some(after) => {
            let jitter = Duration::from_millis(rand::random::<u64>() % 250);
            Some(after + jitter)
        }
        None => Some(planned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plus_is_encoded_so_graph_does_not_read_a_space() {
        let filter = encode_query_value(&number_filter("+12065550100;ext=524"));
        assert_eq!(
            filter,
            "telephoneNumber%20eq%20%27%2B12065550100%3Bext%3D524%27"
        );
        assert!(!filter.contains('+'));
        assert_eq!(number_filter("+1'2"), "telephoneNumber eq '+1''2'");
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        let soon = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(30));
        let parsed = parse_retry_after(&soon).unwrap();
        assert!(parsed > Duration::from_secs(25) && parsed <= Duration::from_secs(30));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn retry_after_replaces_the_backoff_but_never_adds_attempts() {
        let throttled =
            GraphError::new(GraphErrorKind::Throttled, "x").retry_after(Duration::from_secs(3));
        let delay = adjust_delay(&throttled, Some(Duration::from_millis(500))).unwrap();
        assert!(delay >= Duration::from_secs(3) && delay < Duration::from_millis(3250));
        assert_eq!(adjust_delay(&throttled, None), None);
        let too_long =
            GraphError::new(GraphErrorKind::Throttled, "x").retry_after(Duration::from_secs(3600));
        assert_eq!(adjust_delay(&too_long, Some(Duration::from_secs(1))), None);
    }
}
