//! The simulated tenant: a stateful fake of Microsoft Entra ID (sign-in) and of the Microsoft
//! Graph telephone-number endpoints, served over real HTTP on 127.0.0.1.
//!
//! Why it exists: NumberDesk changes who can be phoned at work, so it must be tried end to end
//! without a real tenant — in tests, in `--demo` mode, on machines with no internet. A mock at
//! the function level would only test our assumptions against themselves; this fake speaks
//! the wire protocol (the same URLs, headers, status codes, JSON shapes and AADSTS codes as
//! Microsoft's services, per `graph-api.md`), so the app's real HTTP client, retry logic and
//! error mapping run unchanged against it.
//!
//! Shape:
//! - Two listeners on `127.0.0.1:0`, because Entra and Graph are two hosts: the app must never
//!   send a Graph token to the sign-in host or the reverse, and separate ports make such a
//!   mix-up fail loudly. [`SimTenant::login_url`] is the authority root (endpoints are
//!   `/{tenant}/oauth2/v2.0/...`, see `entra.rs`); [`SimTenant::graph_url`] is the Graph root
//!   (endpoints under `/v1.0/...`, see `graph.rs`).
//! - One mutex-guarded `State` holds everything; no lock is held across an `await`.
//! - The tenant is generated from a fixed seed (`seed.rs`), so demos and tests can name its
//!   numbers and people; see the constants below.
//! - Time-dependent behaviour (token expiry, operation progress) is computed from `Instant`s
//!   when requests arrive, not driven by timers.
//! - Optionally (`SimConfig::state_file`), what a real tenant would remember across a restart of
//!   the app — number assignments, refresh tokens (by hash only), operations, the app
//!   registrations, service principals and permission grants made in the tenant — is kept in a
//!   JSON file written after every change, so `--demo` survives a relaunch; see `persist.rs`.
//! - Fault knobs and inspection helpers live on [`SimTenant`] so tests can stage bad days
//!   (throttling, outages, expired tokens, failed operations, lost responses) and check what
//!   the app actually sent (the request log).
//!
//! No `tauri` here: the sim is plain tokio + hyper, usable from any test or tool.

mod apps;
mod auth;
mod clock;
mod directory;
mod entra;
mod faults;
mod filter;
mod graph;
mod http;
mod leavers;
mod operations;
mod persist;
mod quirks;
mod rng;
mod scale;
mod seed;
mod tls;
mod user_query;

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use apps::Consent;
pub use apps::{
    graph_scope_id, SimApplication, SimPermissionGrant, SimServicePrincipal, AZURE_CLI_CLIENT_ID,
    AZURE_POWERSHELL_CLIENT_ID, GRAPH_APP_ID, MAY_CONSENT,
};
pub use directory::{AssignedPlan, ConferenceBridge, NumberAssignment, SimUser, UserKind};
pub use leavers::{
    DELETED_LEAVER, DISABLED_LEAVERS, GHOST_LEAVER, MCOEVSMB_PLAN_ID, MCOEV_GOV_PLAN_ID,
    MCOEV_PLAN_ID, UNLICENSED_LEAVER,
};
pub use operations::OperationOutcome;
pub use quirks::{ActionAnswer, LocationForm, NumberNextLink};
pub use scale::TenantScale;
pub use seed::{
    GUEST_MAIL, GUEST_UPN, NO_NUMBER_UPN, SHARED_NAME, TWO_NUMBERS_ALIAS, TWO_NUMBERS_UPN,
};
pub use tls::SimTls;
pub use user_query::ProxyFilter;

use auth::{Auth, Lifetimes, RefreshState, Scopes};
use directory::{normalize_number, Directory};
use faults::{Faults, InjectedFault};
use http::{respond, SimBody, SimRequest};
use operations::Operations;
use persist::Persister;

/// The demo app registration (a public client) the tenant knows.
pub const DEMO_CLIENT_ID: &str = "5c1e7f3a-92d4-4b8e-a06f-d3e8b2c47a91";
/// The demo tenant's id. It also answers to [`DEMO_TENANT_DOMAIN`], and to `organizations` and
/// `common` when the demo app registration is multi-tenant ([`SimConfig::multi_tenant_app`]).
pub const DEMO_TENANT_ID: &str = "b3a8e2d4-6c1f-4e97-a5d2-0f7c9e14b628";
/// The demo tenant's verified domain.
pub const DEMO_TENANT_DOMAIN: &str = seed::DOMAIN;
/// Megan Bowen, a Teams Telephony Administrator: the account that can manage numbers.
pub const ADMIN_UPN: &str = "meganb@contoso.onmicrosoft.com";
/// Diego Siciliani, who can sign in but holds no Teams role: Graph answers him 403.
pub const NO_ROLE_UPN: &str = "diegos@contoso.onmicrosoft.com";
/// Lee Gu, a Teams Telephony Administrator and Application Developer: may register an app in
/// the demo tenant (where "Users can register applications" is off) but not consent to it.
pub const DEVELOPER_UPN: &str = "leeg@contoso.onmicrosoft.com";
/// Adele Vance, who holds [`SAMPLE_NUMBER`].
pub const SAMPLE_USER_UPN: &str = "adelev@contoso.onmicrosoft.com";
/// A Calling Plan number in Seattle, assigned (primary) to Adele Vance, with an emergency location.
pub const SAMPLE_NUMBER: &str = "+12065550100";
/// The scopes the app asks for at sign-in, in the form Microsoft documents.
pub const APP_SCOPES: &str = "openid profile offline_access \
    https://graph.microsoft.com/TeamsTelephoneNumber.ReadWrite.All \
    https://graph.microsoft.com/User.ReadBasic.All";

/// Request bodies larger than this are refused with 413; the real endpoints take a few hundred bytes.
const MAX_BODY: usize = 1 << 20;

/// How the simulated tenant starts. `Default` is the seeded sample tenant with Microsoft's
/// default lifetimes, operations that take 1 s to start and 2 s to run, no latency and no faults.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of the sample tenant; the same seed always gives the same people and numbers.
    pub seed: u64,
    /// Access token lifetime (`expires_in`); default 3600 s.
    pub access_token_lifetime: Duration,
    /// Refresh token lifetime; default 90 days, Entra's value for non-SPA clients.
    pub refresh_token_lifetime: Duration,
    /// Authorization code lifetime; default 10 minutes.
    pub auth_code_lifetime: Duration,
    /// Device code lifetime (`expires_in`); default 900 s.
    pub device_code_lifetime: Duration,
    /// Device code polling `interval` (whole seconds are announced); default 5 s. Polling
    /// sooner than this after the previous poll is answered `slow_down`.
    pub device_code_interval: Duration,
    /// How long a new operation reports `notStarted`.
    pub operation_not_started: Duration,
    /// How long it then reports `running` before its final status.
    pub operation_running: Duration,
    /// Added before every Graph response.
    pub latency: Duration,
    /// Which permissions the tenant's administrator has consented to.
    pub consent: Consent,
    /// Whether the demo app registration is multi-tenant ("Accounts in any organizational
    /// directory"). Default `false`: single-tenant, as the README tells admins to register it,
    /// so `organizations` and `common` are refused with `AADSTS50194` as Entra does.
    pub multi_tenant_app: bool,
    /// Wrap operation GETs in `{"value": …}`, as Microsoft's documentation shows.
    pub operation_envelope: bool,
    /// Requests per second over all Graph calls (token bucket); `None` = unlimited.
    pub rate_limit: Option<f64>,
    /// Where to keep the tenant's state across restarts; `None` (the default) keeps it in
    /// memory only. A missing file means "start from the seed"; a damaged one is moved aside
    /// to `<name>.damaged-<unix seconds>`. See `persist.rs` for what is kept.
    pub state_file: Option<PathBuf>,
    /// Serve both listeners over HTTPS with this certificate (`https://127.0.0.1:…`). Tests of
    /// TLS trust only; `None` (the default, and the demo) is plain http on loopback.
    pub tls: Option<SimTls>,
    /// Grow the tenant to this many numbers and users (benchmarks: [`TenantScale::BENCHMARK`]);
    /// `None` (the default) is the 200-number demo tenant.
    pub scale: Option<TenantScale>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 0x4e75_6d62_6572_4465, // "NumberDe"
            access_token_lifetime: Duration::from_secs(3600),
            refresh_token_lifetime: Duration::from_secs(90 * 24 * 3600),
            auth_code_lifetime: Duration::from_secs(600),
            device_code_lifetime: Duration::from_secs(900),
            device_code_interval: Duration::from_secs(5),
            operation_not_started: Duration::from_secs(1),
            operation_running: Duration::from_secs(2),
            latency: Duration::ZERO,
            consent: Consent::default(),
            multi_tenant_app: false,
            operation_envelope: false,
            rate_limit: None,
            state_file: None,
            tls: None,
            scale: None,
        }
    }
}

/// Which listener a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Entra,
    Graph,
}

/// One request as the sim received it. Only the presence of `Authorization` is kept.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub listener: Listener,
    pub method: String,
    pub path_and_query: String,
    pub authorization_present: bool,
    pub client_request_id: Option<String>,
    /// The body as text (lossy UTF-8).
    pub body: String,
    pub received_at: SystemTime,
    /// The status sent, or `None` when the connection was dropped on purpose.
    pub status: Option<u16>,
    /// Where the connection came from: how a test tells requests that came through a proxy
    /// (from the proxy's end of a tunnel) from those that came direct.
    pub peer: std::net::SocketAddr,
}

pub(crate) struct Urls {
    pub login: String,
    pub graph: String,
}

/// Everything the tenant knows and every knob, behind one lock.
pub(crate) struct State {
    pub directory: Directory,
    pub auth: Auth,
    pub operations: Operations,
    pub faults: Faults,
    pub log: Vec<LoggedRequest>,
    pub envelope: bool,
    pub quirks: quirks::Quirks,
    /// App registrations, service principals, permission grants and the tenant's app settings.
    pub apps: apps::Apps,
}

struct Inner {
    urls: Urls,
    state: Mutex<State>,
    /// Present when the config names a state file. Locked only while the state is locked
    /// or after it was, never the other way round.
    persister: Option<Mutex<Persister>>,
    shutdown: watch::Sender<bool>,
    /// Graph requests being served right now (read, not yet answered), and the most
    /// there ever were at once: how a test sees that a client keeps its concurrency bounded.
    graph_in_flight: AtomicUsize,
    graph_max_in_flight: AtomicUsize,
    /// TLS handshakes that failed (the client refused the certificate, or spoke plain http).
    tls_refused: AtomicUsize,
}

/// Counts one Graph request as in flight until dropped (answered, or the connection gone).
struct InFlight<'a>(&'a Inner);

impl<'a> InFlight<'a> {
    fn enter(inner: &'a Inner) -> InFlight<'a> {
        let now = inner.graph_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        inner.graph_max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(inner)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.graph_in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Saves what must survive a restart, if it changed, and lets go of the state. The
    /// snapshot is taken under the state lock and the persister is locked before the state is
    /// released, so files are written in the order the states they hold existed.
    fn save(&self, state: MutexGuard<'_, State>) {
        let Some(persister) = &self.persister else {
            return;
        };
        let mut persister = persister.lock().unwrap_or_else(|e| e.into_inner());
        let snapshot = persister.snapshot(&state);
        drop(state);
        if let Some(bytes) = snapshot {
            persister.write(bytes);
        }
    }
}

/// A running simulated tenant. Cheap to clone; every clone controls the same tenant.
#[derive(Clone)]
pub struct SimTenant {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SimTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimTenant")
            .field("login_url", &self.inner.urls.login)
            .field("graph_url", &self.inner.urls.graph)
            .finish_non_exhaustive()
    }
}

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
struct DroppedOnPurpose;

impl std::fmt::Display for DroppedOnPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose by the simulated tenant")
    }
}

impl std::error::Error for DroppedOnPurpose {}

impl SimTenant {
    /// Binds the two listeners on `127.0.0.1:0` and serves them on the current tokio runtime
    /// until [`SimTenant::shutdown`] (or until the runtime ends).
    pub async fn start(config: SimConfig) -> io::Result<SimTenant> {
        let login_listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let graph_listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let acceptor = config.tls.as_ref().map(tls::acceptor).transpose()?;
        let scheme = if acceptor.is_some() { "https" } else { "http" };
        let urls = Urls {
            login: format!("{scheme}://{}", login_listener.local_addr()?),
            graph: format!("{scheme}://{}", graph_listener.local_addr()?),
        };
        let now = Instant::now();
        let mut faults = Faults::default();
        faults.latency = config.latency;
        faults.set_rate_limit(config.rate_limit, now);
        let mut directory = seed::sample_tenant(DEMO_TENANT_ID, config.seed);
        apps::give_setup_roles(&mut directory.users);
        if let Some(scale) = config.scale {
            scale::grow(&mut directory, scale, config.seed);
        }
        let mut state = State {
            directory,
            auth: Auth::new(
                Lifetimes {
                    access_token: config.access_token_lifetime,
                    refresh_token: config.refresh_token_lifetime,
                    auth_code: config.auth_code_lifetime,
                    device_code: config.device_code_lifetime,
                    device_interval: config.device_code_interval,
                },
                config.consent,
                config.multi_tenant_app,
            ),
            operations: Operations::new(config.operation_not_started, config.operation_running),
            faults,
            log: Vec::new(),
            envelope: config.operation_envelope,
            quirks: quirks::Quirks::default(),
            apps: apps::Apps::new(DEMO_TENANT_ID),
        };
        let persister = config
            .state_file
            .map(|path| Mutex::new(Persister::open(path, config.seed, &mut state)));
        let (shutdown, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            urls,
            state: Mutex::new(state),
            persister,
            shutdown,
            graph_in_flight: AtomicUsize::new(0),
            graph_max_in_flight: AtomicUsize::new(0),
            tls_refused: AtomicUsize::new(0),
        });
        for (socket, listener) in [
            (login_listener, Listener::Entra),
            (graph_listener, Listener::Graph),
        ] {
            tokio::spawn(accept_loop(
                socket,
                inner.clone(),
                listener,
                acceptor.clone(),
                inner.shutdown.subscribe(),
            ));
        }
        Ok(SimTenant { inner })
    }

    /// The sign-in authority root, e.g. `http://127.0.0.1:41234`.
    pub fn login_url(&self) -> String {
        self.inner.urls.login.clone()
    }

    /// The Graph root, e.g. `http://127.0.0.1:41235`.
    pub fn graph_url(&self) -> String {
        self.inner.urls.graph.clone()
    }

    /// Delays every Graph answer by `delay` *after* the request was handled and logged (unlike
    /// [`SimTenant::set_latency`], which delays before): a client stopped meanwhile has
    /// changed the tenant without hearing so.
    pub fn set_answer_delay(&self, delay: Duration) {
        self.inner.lock().faults.answer_delay = delay;
    }

    /// TLS handshakes that failed on either listener (only with [`SimConfig::tls`]): how a
    /// test sees that a client reached the sim but refused its certificate.
    pub fn tls_handshakes_refused(&self) -> usize {
        self.inner.tls_refused.load(Ordering::SeqCst)
    }

    /// Stops accepting connections and closes the open ones.
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    // ---- Fault knobs ----------------------------------------------------------------------

    /// Delays every Graph response by `latency` (zero switches it off).
    pub fn set_latency(&self, latency: Duration) {
        self.inner.lock().faults.latency = latency;
    }

    /// The next `n` Graph requests get `429 TooManyRequests` with `Retry-After` (whole seconds,
    /// rounded up). Queued behind any faults already pending.
    pub fn throttle_next(&self, n: u32, retry_after: Duration) {
        self.inner
            .lock()
            .faults
            .inject(n, InjectedFault::status(429, Some(retry_after)));
    }

    /// The next `n` Graph requests get `status` (e.g. 503 `ServiceUnavailable`) in Graph's
    /// error envelope, with `Retry-After` when given. Nothing else happens for them.
    pub fn fail_next(&self, n: u32, status: u16, retry_after: Option<Duration>) {
        self.inner
            .lock()
            .faults
            .inject(n, InjectedFault::status(status, retry_after));
    }

    /// The next `n` Graph requests get the Teams number backend's overload answer, `400
    /// {"error":{"code":"BadRequest","message":"Service is unavailable. Please try again"}}`
    /// (office-docs-powershell issues 8992 and 9875), without `Retry-After`. Nothing else
    /// happens for them: like a 503, the service did not act. Queued with the other faults.
    pub fn overload_next(&self, n: u32) {
        self.inner
            .lock()
            .faults
            .inject(n, InjectedFault::overload());
    }

    /// The next Graph POST that the service acts on (an unassign or assign really starts) is
    /// answered `504 GatewayTimeout` instead of its 202: the gateway gave up waiting while the
    /// backend went on. The client cannot know from the answer whether the change was made.
    /// (A 504 that did not act is [`SimTenant::fail_next`] with 504.)
    pub fn gateway_timeout_after_next_post(&self) {
        self.inner.lock().faults.gateway_timeout_next_post = true;
    }

    /// Limits all Graph calls together to `per_second` (token bucket, burst of one second's
    /// worth); over the limit → 429 with the `Retry-After` that would have been enough.
    pub fn set_rate_limit(&self, per_second: Option<f64>) {
        self.inner
            .lock()
            .faults
            .set_rate_limit(per_second, Instant::now());
    }

    /// The next Graph POST is read and acted on (an unassign really starts), but its
    /// connection is closed without a response: the client sees a transport error and cannot
    /// know whether Microsoft accepted the order.
    pub fn drop_connection_after_next_post(&self) {
        self.inner.lock().faults.drop_next_post = true;
    }

    /// The next successful Graph answer is sent with its JSON body cut in half: what a broken
    /// proxy or a truncated transfer looks like. The request itself is handled as usual.
    pub fn garble_next_answer(&self) {
        self.inner.lock().faults.garble_next = true;
    }

    /// The next POST that is accepted (202) is answered without a `Location` header: the
    /// change starts, but the client gets no operation to follow.
    pub fn omit_location_on_next_post(&self) {
        self.inner.lock().faults.omit_next_location = true;
    }

    /// Every access token issued so far is expired from now on (Graph answers 401).
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for token in self.inner.lock().auth.access.values_mut() {
            token.expires_at = token.expires_at.min(now);
        }
    }

    /// Every refresh token issued so far is revoked (`invalid_grant`, AADSTS50173).
    pub fn revoke_refresh_tokens(&self) {
        let mut state = self.inner.lock();
        for token in state.auth.refresh.values_mut() {
            if token.state == RefreshState::Active {
                token.state = RefreshState::Revoked;
            }
        }
        self.inner.save(state);
    }

    /// Token lifetimes for tokens issued from now on.
    pub fn set_token_lifetimes(&self, access_token: Duration, refresh_token: Duration) {
        let mut state = self.inner.lock();
        state.auth.lifetimes.access_token = access_token;
        state.auth.lifetimes.refresh_token = refresh_token;
    }

    /// Phase durations for operations started from now on.
    pub fn set_operation_timings(&self, not_started: Duration, running: Duration) {
        let mut state = self.inner.lock();
        state.operations.not_started_for = not_started;
        state.operations.running_for = running;
    }

    /// The next `n` operations end with `outcome` instead of succeeding. Operations that fail
    /// on their own (see `operations.rs`) or have a per-number outcome don't use up the queue.
    pub fn end_next_operations(&self, n: u32, outcome: OperationOutcome) {
        self.inner.lock().operations.queue_outcomes(n, outcome);
    }

    /// Every operation on `telephone_number` ends with `outcome` until cleared with `None`.
    pub fn set_number_outcome(&self, telephone_number: &str, outcome: Option<OperationOutcome>) {
        self.inner
            .lock()
            .operations
            .set_number_outcome(normalize_number(telephone_number), outcome);
    }

    /// Wraps operation GETs in `{"value": {...}}` as the documentation's example does.
    pub fn set_operation_envelope(&self, on: bool) {
        self.inner.lock().envelope = on;
    }

    /// How accepted actions are answered from now on (202 + `Location`, 204 or 200).
    pub fn set_action_answer(&self, answer: ActionAnswer) {
        self.inner.lock().quirks.action_answer = answer;
    }

    /// Which address form `Location` headers take from now on.
    pub fn set_location_form(&self, form: LocationForm) {
        self.inner.lock().quirks.location_form = form;
    }

    /// Caps list pages at `rows` (below `$top`) without an `@odata.nextLink`; `None` lifts it.
    pub fn cap_pages(&self, rows: Option<usize>) {
        self.inner.lock().quirks.page_cap = rows;
    }

    /// Which `@odata.nextLink` list pages carry while more remain (see [`NumberNextLink`]).
    pub fn set_number_next_link(&self, form: NumberNextLink) {
        self.inner.lock().quirks.number_next_link = form;
    }

    /// The next `n` requests for the list page at `$skip = skip` (0: the first page) are
    /// answered `status` (e.g. 429 with `retry_after`, 503) in Graph's error envelope, however
    /// many other requests arrive meanwhile. Checked before the general fault queue.
    pub fn fail_number_page(
        &self,
        skip: usize,
        n: u32,
        status: u16,
        retry_after: Option<Duration>,
    ) {
        let fault = InjectedFault::status(status, retry_after);
        self.inner
            .lock()
            .quirks
            .number_page_faults
            .extend(std::iter::repeat_n((skip, fault), n as usize));
    }

    /// The next `n` reads of `/users/{id}` are answered `status` (e.g. 429, 503, 504) in
    /// Graph's error envelope; other requests are not affected.
    pub fn fail_next_user_reads(&self, n: u32, status: u16) {
        quirks::queue(&mut self.inner.lock().quirks.user_read_faults, n, status);
    }

    /// The next `n` requests inside `$batch` requests are answered `status` (e.g. 429 with
    /// `retry_after`, 403, 503) in Graph's error envelope; the batch itself is answered 200.
    pub fn fail_next_batch_parts(&self, n: u32, status: u16, retry_after: Option<Duration>) {
        let seconds = retry_after.map(|d| d.as_secs().max(1));
        self.inner
            .lock()
            .quirks
            .batch_part_faults
            .extend(std::iter::repeat_n((status, seconds), n as usize));
    }

    /// Users deleted within the last 30 days (`/directory/deletedItems/microsoft.graph.user`).
    pub fn deleted_users(&self) -> Vec<SimUser> {
        self.inner.lock().directory.deleted_users.clone()
    }

    /// The next `n` user lists (`GET /users?$filter=id in (…)`) inside a `$batch` are answered
    /// `200` with no `value` at all: an answer that says nothing about the users asked for.
    pub fn answer_next_user_parts_without_value(&self, n: u32) {
        self.inner.lock().quirks.user_parts_without_value += n;
    }

    /// From now on, the user `id_or_upn` is listed (in `GET /users?$filter=…`) with a
    /// `displayName` that is not a string, so the row cannot be read though its `id` can.
    /// Returns whether the user exists.
    pub fn send_unreadable_row_for(&self, id_or_upn: &str) -> bool {
        let mut state = self.inner.lock();
        let Some(id) = state
            .directory
            .user(id_or_upn)
            .map(|u| u.id.to_ascii_lowercase())
        else {
            return false;
        };
        state.quirks.unreadable_user_rows.insert(id);
        true
    }

    /// How a `proxyAddresses` clause of a users `$filter` is evaluated for a caller with only
    /// `User.ReadBasic.All` (Microsoft does not say; see [`ProxyFilter`]).
    pub fn set_proxy_filter(&self, rule: ProxyFilter) {
        self.inner.lock().quirks.proxy_filter = rule;
    }

    /// Serves at most `rows` deleted users a page, whatever `$top` asks (Graph's server-driven
    /// paging), with an `@odata.nextLink` to the rest; `None` honours `$top` again.
    pub fn page_deleted_users_by(&self, rows: Option<usize>) {
        self.inner.lock().quirks.deleted_users_page_size = rows;
    }

    /// Adds `count` users to the deleted items (deleted within 30 days, holding no number), after
    /// those already there.
    pub fn add_deleted_users(&self, count: usize) {
        let mut guard = self.inner.lock();
        let directory = &mut guard.directory;
        let mut rng = rng::SeededRng(0xde1e_7ed0 ^ directory.deleted_users.len() as u64);
        for i in 0..count {
            let local = format!("left{:05}", directory.deleted_users.len() + i);
            let upn = format!("{local}@{}", seed::DOMAIN);
            directory.deleted_users.push(SimUser {
                id: rng.guid(),
                display_name: format!("Former Employee {local}"),
                given_name: None,
                surname: None,
                proxy_addresses: vec![format!("SMTP:{upn}")],
                mail: upn.clone(),
                user_principal_name: upn,
                user_type: "Member".to_string(),
                job_title: None,
                country: "US".to_string(),
                kind: UserKind::Person,
                roles: Vec::new(),
                account_enabled: false,
                assigned_plans: Vec::new(),
            });
        }
        self.inner.save(guard);
    }

    /// Gives `id_or_upn` the Teams Phone service plan `service_plan_id` (e.g. [`MCOEV_PLAN_ID`],
    /// [`MCOEV_GOV_PLAN_ID`]) in `capability_status` (`Enabled`, `Warning`, `Suspended`,
    /// `Deleted`, `LockedOut`) in place of the Teams Phone plan they had, as a licence change in
    /// the Microsoft 365 admin center would. Returns whether the user exists.
    pub fn set_teams_phone_plan(
        &self,
        id_or_upn: &str,
        service_plan_id: &str,
        capability_status: &str,
    ) -> bool {
        const TEAMS_PHONE: &[&str] = &[MCOEV_PLAN_ID, MCOEV_GOV_PLAN_ID, MCOEVSMB_PLAN_ID];
        let mut guard = self.inner.lock();
        let directory = &mut guard.directory;
        let Some(index) = directory.user(id_or_upn).and_then(|u| {
            let id = u.id.clone();
            directory.users.iter().position(|x| x.id == id)
        }) else {
            return false;
        };
        let plans = &mut directory.users[index].assigned_plans;
        plans.retain(|p| !TEAMS_PHONE.contains(&p.service_plan_id.as_str()));
        plans.push(seed::plan(
            "MicrosoftCommunicationsOnline",
            service_plan_id,
            capability_status,
        ));
        self.inner.save(guard);
        true
    }

    /// The next `n` operation reads are answered `status` (e.g. 400, 403); other requests are
    /// not affected.
    pub fn fail_next_operation_reads(&self, n: u32, status: u16) {
        quirks::queue(
            &mut self.inner.lock().quirks.operation_read_faults,
            n,
            status,
        );
    }

    /// The next `n` operations report `overall` as their top-level status once final, while
    /// their entry for the number (`numbers[].status`) keeps the real outcome: an answer whose
    /// two statuses disagree. The number changes only as the real outcome says.
    pub fn disagree_next_operations(&self, n: u32, overall: &str) {
        self.inner.lock().operations.queue_disagreement(n, overall);
    }

    /// Changes which permissions the tenant has consented to; affects new sign-ins and refreshes.
    pub fn set_consent(&self, consent: Consent) {
        let mut state = self.inner.lock();
        state.auth.consent = consent;
        self.inner.save(state);
    }

    /// Makes the demo app registration multi-tenant (`true`) or single-tenant (`false`): whether
    /// sign-ins through `organizations` and `common` are accepted or refused (`AADSTS50194`).
    pub fn set_multi_tenant_app(&self, multi_tenant: bool) {
        self.inner.lock().auth.multi_tenant_app = multi_tenant;
    }

    // ---- App registrations ("Set up for my organization") ---------------------------------

    /// The tenant setting "Users can register applications" (off in the demo tenant).
    /// A tenant setting, so it is kept in the state file like the objects.
    pub fn set_users_can_register_apps(&self, allowed: bool) {
        let mut state = self.inner.lock();
        state.apps.users_can_register_apps = allowed;
        self.inner.save(state);
    }

    /// How long a new application or service principal stays invisible to reads, to service
    /// principal and grant creation, and to sign-in (Microsoft's replication delay).
    pub fn set_replication_delay(&self, delay: Duration) {
        self.inner.lock().apps.replication_delay = delay;
    }

    /// Conditional Access blocks sign-ins through Microsoft's bootstrap clients (AADSTS53003).
    pub fn block_bootstrap_clients(&self, blocked: bool) {
        self.inner.lock().apps.bootstrap_blocked = blocked;
    }

    /// Every app registration, including those not replicated yet.
    pub fn applications(&self) -> Vec<SimApplication> {
        self.inner.lock().apps.applications.clone()
    }

    /// Every service principal, including those not replicated yet.
    pub fn service_principals(&self) -> Vec<SimServicePrincipal> {
        self.inner.lock().apps.service_principals.clone()
    }

    /// Every delegated permission grant.
    pub fn permission_grants(&self) -> Vec<SimPermissionGrant> {
        self.inner.lock().apps.grants.clone()
    }

    /// Changes an app registration as someone in the Entra admin center would (tests of a
    /// registration that is not right): `edit` gets the stored object. Returns whether it exists.
    pub fn edit_application(&self, app_id: &str, edit: impl FnOnce(&mut SimApplication)) -> bool {
        let mut state = self.inner.lock();
        let found = match state
            .apps
            .applications
            .iter_mut()
            .find(|a| a.app_id.eq_ignore_ascii_case(app_id))
        {
            Some(app) => {
                edit(app);
                true
            }
            None => false,
        };
        self.inner.save(state);
        found
    }

    // ---- Inspection -----------------------------------------------------------------------

    /// Every request received so far, both listeners, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.inner.lock().log.clone()
    }

    /// The Graph requests received so far, oldest first.
    pub fn graph_requests(&self) -> Vec<LoggedRequest> {
        self.inner
            .lock()
            .log
            .iter()
            .filter(|r| r.listener == Listener::Graph)
            .cloned()
            .collect()
    }

    /// Graph requests received and not yet answered, right now.
    pub fn in_flight(&self) -> usize {
        self.inner.graph_in_flight.load(Ordering::SeqCst)
    }

    /// The most Graph requests ever in flight at once (received, not yet answered) since the
    /// start or the last [`SimTenant::reset_max_in_flight`].
    pub fn max_in_flight(&self) -> usize {
        self.inner.graph_max_in_flight.load(Ordering::SeqCst)
    }

    pub fn reset_max_in_flight(&self) {
        self.inner.graph_max_in_flight.store(
            self.inner.graph_in_flight.load(Ordering::SeqCst),
            Ordering::SeqCst,
        );
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.inner.lock().log.clear();
    }

    /// How many Graph POSTs (assign or unassign, whatever their outcome) named this number in
    /// their body; the number is compared with its `+` restored.
    pub fn post_count_for(&self, telephone_number: &str) -> usize {
        let wanted = normalize_number(telephone_number);
        self.inner
            .lock()
            .log
            .iter()
            .filter(|r| r.listener == Listener::Graph && r.method == "POST")
            .filter(|r| {
                serde_json::from_str::<serde_json::Value>(&r.body)
                    .ok()
                    .and_then(|body| {
                        body.get("telephoneNumber")
                            .and_then(|n| n.as_str())
                            .map(normalize_number)
                    })
                    .is_some_and(|n| n == wanted)
            })
            .count()
    }

    /// A number's current state (after applying every operation that has finished).
    pub fn number(&self, telephone_number: &str) -> Option<NumberAssignment> {
        let mut guard = self.inner.lock();
        let state = &mut *guard;
        state
            .operations
            .settle(&mut state.directory, Instant::now());
        let number = state
            .directory
            .number_index(telephone_number)
            .and_then(|index| state.directory.numbers.get(index).cloned());
        self.inner.save(guard);
        number
    }

    /// Takes `telephone_number` out of the tenant (as a release or a port-out does), so every
    /// number listed after it moves up one place. `false` when there is no such number.
    pub fn remove_number(&self, telephone_number: &str) -> bool {
        let mut guard = self.inner.lock();
        let before = guard.directory.numbers.len();
        guard
            .directory
            .numbers
            .retain(|n| n.telephone_number != telephone_number);
        let removed = guard.directory.numbers.len() < before;
        self.inner.save(guard);
        removed
    }

    /// Every number, in the order Graph lists them.
    pub fn numbers(&self) -> Vec<NumberAssignment> {
        let mut guard = self.inner.lock();
        let state = &mut *guard;
        state
            .operations
            .settle(&mut state.directory, Instant::now());
        let numbers = state.directory.numbers.clone();
        self.inner.save(guard);
        numbers
    }

    /// Adds `count` Direct Routing numbers (`+1 425 55x xxxx`), each assigned to one of the
    /// tenant's users in turn, and returns them: a tenant large enough for bulk runs. The seed
    /// has fewer than a hundred assigned numbers.
    pub fn add_assigned_numbers(&self, count: usize) -> Vec<String> {
        let mut guard = self.inner.lock();
        let directory = &mut guard.directory;
        let Some(template) = directory
            .numbers
            .iter()
            .find(|n| n.assignment_status == "userAssigned" && n.number_type == "directRouting")
            .cloned()
        else {
            return Vec::new();
        };
        let mut owners: Vec<String> = directory
            .numbers
            .iter()
            .filter(|n| n.assignment_status == "userAssigned")
            .filter_map(|n| n.assignment_target_id.clone())
            .collect();
        owners.sort();
        owners.dedup();
        let mut added = Vec::with_capacity(count);
        let mut candidate = 0u32;
        while added.len() < count && candidate < 10_000 {
            let number = format!("+1425550{candidate:04}");
            candidate += 1;
            if directory.number_index(&number).is_some() {
                continue;
            }
            let mut assignment = template.clone();
            assignment.id = http::base64url(&format!("{}|{number}", directory.tenant_id));
            assignment.telephone_number = number.clone();
            assignment.activation_state = "activated".into();
            assignment.assignment_target_id =
                owners.get(added.len() % owners.len().max(1)).cloned();
            directory.numbers.push(assignment);
            added.push(number);
        }
        self.inner.save(guard);
        added
    }

    /// Changes who holds a number at once, as another admin would in the Teams admin center
    /// while NumberDesk is looking elsewhere: `Some(user)` (object id or UPN) gives it to that
    /// user or resource account as their primary number, `None` unassigns it. Returns whether
    /// the number and the user exist.
    pub fn change_holder(&self, telephone_number: &str, to: Option<&str>) -> bool {
        let mut guard = self.inner.lock();
        let state = &mut *guard;
        state
            .operations
            .settle(&mut state.directory, Instant::now());
        let Some(index) = state.directory.number_index(telephone_number) else {
            return false;
        };
        match to {
            None => state.directory.unassign(index),
            Some(user) => {
                let Some(user) = state.directory.user(user).cloned() else {
                    return false;
                };
                let kind = match user.kind {
                    UserKind::ResourceAccount => directory::TargetKind::ResourceAccount,
                    _ => directory::TargetKind::Person,
                };
                state
                    .directory
                    .assign(index, kind, &user.id, "primary", None);
            }
        }
        self.inner.save(guard);
        true
    }

    /// A user or resource account by object id or UPN.
    pub fn user(&self, id_or_upn: &str) -> Option<SimUser> {
        self.inner.lock().directory.user(id_or_upn).cloned()
    }

    /// Every user and resource account.
    pub fn users(&self) -> Vec<SimUser> {
        self.inner.lock().directory.users.clone()
    }

    /// The conference bridges (assignment targets that are not users).
    pub fn conference_bridges(&self) -> Vec<ConferenceBridge> {
        self.inner.lock().directory.bridges.clone()
    }

    /// Every secret the tenant has handed out so far: authorization and device codes, access,
    /// refresh and id tokens. Tests grep the app's files and logs for them.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.inner.lock().auth.issued.clone()
    }

    /// Issues an access token for `upn` with `scopes` (same syntax as the `scope` parameter)
    /// without the sign-in dance, for tests that are about something else. `None` when the
    /// user or a scope is unknown. Consent is not checked.
    pub fn mint_access_token(&self, upn: &str, scopes: &str) -> Option<String> {
        let mut state = self.inner.lock();
        let user = state.directory.user(upn)?.clone();
        let granted = apps::Granted::from(&state.auth.consent);
        let scopes = Scopes::parse(scopes, &self.inner.urls.graph, &granted).ok()?;
        let issuer = auth::Issuer {
            login_url: &self.inner.urls.login,
            tenant_id: DEMO_TENANT_ID,
        };
        let body = state.auth.issue(
            &issuer,
            &user,
            DEMO_CLIENT_ID,
            &scopes,
            None,
            false,
            Instant::now(),
        );
        // `offline_access` among the scopes also issues a refresh token, which is kept.
        self.inner.save(state);
        body.get("access_token")
            .and_then(|t| t.as_str())
            .map(str::to_string)
    }
}

async fn accept_loop(
    socket: TcpListener,
    inner: Arc<Inner>,
    listener: Listener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow_and_update() {
            break;
        }
        tokio::select! {
            _ = shutdown.changed() => {}
            accepted = socket.accept() => match accepted {
                Ok((stream, peer)) => {
                    let inner = inner.clone();
                    let connection_shutdown = shutdown.clone();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let Some(acceptor) = acceptor else {
                            return serve_connection(stream, peer, inner, listener, connection_shutdown).await;
                        };
                        match acceptor.accept(stream).await {
                            Ok(tls) => serve_connection(tls, peer, inner, listener, connection_shutdown).await,
                            Err(e) => {
                                inner.tls_refused.fetch_add(1, Ordering::SeqCst);
                                log::debug!("sim: TLS handshake failed: {e}");
                            }
                        }
                    });
                }
                Err(e) => {
                    log::warn!("sim: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

/// Serves one connection (plain TCP or TLS) until it ends or the sim shuts down.
async fn serve_connection<IO>(
    io: IO,
    peer: std::net::SocketAddr,
    inner: Arc<Inner>,
    listener: Listener,
    mut shutdown: watch::Receiver<bool>,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let handler = service_fn(move |req| serve_one(inner.clone(), listener, peer, req));
    let connection = http1::Builder::new().serve_connection(TokioIo::new(io), handler);
    tokio::select! {
        result = connection => {
            if let Err(e) = result {
                log::debug!("sim: connection ended: {e}");
            }
        }
        _ = shutdown.changed() => {}
    }
}

async fn serve_one(
    inner: Arc<Inner>,
    listener: Listener,
    peer: std::net::SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<SimBody>, DroppedOnPurpose> {
    let received_at = SystemTime::now();
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(respond(
                StatusCode::PAYLOAD_TOO_LARGE,
                Some("text/plain; charset=utf-8"),
                "Request body too large.",
            ))
        }
    };
    let request = SimRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body,
    };
    let mut answer_delay = Duration::ZERO;
    // Counted once read: from here on the request is handled without waiting on the client.
    let _counted = (listener == Listener::Graph).then(|| InFlight::enter(&inner));
    let (response, dropped) = match listener {
        Listener::Entra => {
            let mut state = inner.lock();
            let response = entra::handle(&mut state, &inner.urls, &request, Instant::now());
            inner.save(state);
            (response, false)
        }
        Listener::Graph => {
            let latency = inner.lock().faults.latency;
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let (mut response, dropped, garble) = {
                let mut state = inner.lock();
                let mut response = graph::handle(&mut state, &inner.urls, &request, Instant::now());
                let garble =
                    response.status().is_success() && std::mem::take(&mut state.faults.garble_next);
                if response.status() == hyper::StatusCode::ACCEPTED
                    && std::mem::take(&mut state.faults.omit_next_location)
                {
                    response.headers_mut().remove(hyper::header::LOCATION);
                }
                let dropped = request.method == Method::POST
                    && std::mem::take(&mut state.faults.drop_next_post);
                answer_delay = state.faults.answer_delay;
                inner.save(state);
                (response, dropped, garble)
            };
            if garble {
                response = garbled(response).await;
            }
            (response, dropped)
        }
    };
    inner.lock().log.push(LoggedRequest {
        listener,
        method: request.method.to_string(),
        path_and_query: request.path_and_query(),
        authorization_present: request.headers.contains_key(hyper::header::AUTHORIZATION),
        client_request_id: request.header("client-request-id").map(str::to_string),
        body: String::from_utf8_lossy(&request.body).into_owned(),
        received_at,
        status: (!dropped).then(|| response.status().as_u16()),
        peer,
    });
    if !answer_delay.is_zero() {
        // Done and logged, not yet answered: a client that dies now has made a change it
        // never hears of.
        tokio::time::sleep(answer_delay).await;
    }
    if dropped {
        Err(DroppedOnPurpose)
    } else {
        Ok(response)
    }
}

/// The response with the first half of its body only.
async fn garbled(response: hyper::Response<SimBody>) -> hyper::Response<SimBody> {
    let (parts, body) = response.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    let mut response = hyper::Response::from_parts(parts, SimBody::new(half));
    response.headers_mut().remove(hyper::header::CONTENT_LENGTH);
    response
}
