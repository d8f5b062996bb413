//! Graph's error envelope (`{"error": {"code", "message", "innerError": {...}}}`) and transport
//! failures, as one typed error that knows whether a retry is safe. What the admin reads is made
//! from it in `crate::problem::graph`.

use super::Exchange;
use std::time::Duration;

/// What went wrong, as far as retrying and the admin are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphErrorKind {
    /// The connection never opened: the request was certainly not sent.
    NotSent,
    /// The connection broke; the request may have reached Microsoft.
    Network,
    /// No answer in time; the request may have reached Microsoft.
    Timeout,
    /// 429.
    Throttled,
    /// 503 / 504, and the Teams number backend's overload answer: `400 BadRequest` "Service
    /// is unavailable. Please try again" (see [`is_overload_answer`]).
    Unavailable,
    /// 401 even after a fresh token.
    Unauthorized,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// 400 and other refusals of the request itself.
    BadRequest,
    /// 409.
    Conflict,
    /// Other 5xx.
    Server,
    /// An answer NumberDesk cannot read.
    Malformed,
    /// An operation address outside the Graph root: not followed.
    ForeignLocation,
    /// No usable sign-in.
    SignIn,
}

impl GraphErrorKind {
    /// Every kind, for tests and for reading a stored name back.
    pub const ALL: [GraphErrorKind; 14] = [
        GraphErrorKind::NotSent,
        GraphErrorKind::Network,
        GraphErrorKind::Timeout,
        GraphErrorKind::Throttled,
        GraphErrorKind::Unavailable,
        GraphErrorKind::Unauthorized,
        GraphErrorKind::Forbidden,
        GraphErrorKind::NotFound,
        GraphErrorKind::BadRequest,
        GraphErrorKind::Conflict,
        GraphErrorKind::Server,
        GraphErrorKind::Malformed,
        GraphErrorKind::ForeignLocation,
        GraphErrorKind::SignIn,
    ];

    /// A stable name, as the history stores it.
    pub fn name(self) -> &'static str {
        match self {
            GraphErrorKind::NotSent => "notSent",
            GraphErrorKind::Network => "network",
            GraphErrorKind::Timeout => "timeout",
            GraphErrorKind::Throttled => "throttled",
            GraphErrorKind::Unavailable => "unavailable",
            GraphErrorKind::Unauthorized => "unauthorized",
            GraphErrorKind::Forbidden => "forbidden",
            GraphErrorKind::NotFound => "notFound",
            GraphErrorKind::BadRequest => "badRequest",
            GraphErrorKind::Conflict => "conflict",
            GraphErrorKind::Server => "server",
            GraphErrorKind::Malformed => "malformed",
            GraphErrorKind::ForeignLocation => "foreignLocation",
            GraphErrorKind::SignIn => "signIn",
        }
    }

    /// The kind [`GraphErrorKind::name`] names.
    pub fn from_name(name: &str) -> Option<GraphErrorKind> {
        GraphErrorKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A failed Graph call. Boxed inside, so `Result<_, GraphError>` stays small.
#[derive(Debug, Clone)]
pub struct GraphError(Box<GraphErrorDetail>);

impl std::ops::Deref for GraphError {
    type Target = GraphErrorDetail;
    fn deref(&self) -> &GraphErrorDetail {
        &self.0
    }
}

#[derive(Debug, Clone)]
pub struct GraphErrorDetail {
    pub kind: GraphErrorKind,
    /// Technical detail (never a token).
    pub detail: String,
    pub status: Option<u16>,
    /// Graph's `error.code` and `error.message`.
    pub code: Option<String>,
    pub graph_message: Option<String>,
    pub retry_after: Option<Duration>,
    pub exchange: Exchange,
    /// For `SignIn`: why the session had no token (shared, so the error stays `Clone`).
    pub session: Option<super::TokenError>,
    /// For `NotSent`: the proxy or an untrusted certificate stopped the request on the way.
    pub blocked: Option<crate::net::Blocked>,
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.kind)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        write!(
            f,
            ": {}",
            self.graph_message.as_deref().unwrap_or(&self.detail)
        )
    }
}

impl std::error::Error for GraphError {}

impl GraphError {
    pub fn new(kind: GraphErrorKind, detail: impl Into<String>) -> GraphError {
        GraphError(Box::new(GraphErrorDetail {
            kind,
            detail: detail.into(),
            status: None,
            code: None,
            graph_message: None,
            retry_after: None,
            exchange: Exchange::default(),
            session: None,
            blocked: None,
        }))
    }

    /// A failed call rebuilt from what a history record kept of it (its facts), so its words
    /// can be made again: what a proxy or the session said at the time is not kept.
    pub fn from_facts(
        kind: GraphErrorKind,
        status: Option<u16>,
        code: Option<String>,
        graph_message: Option<String>,
        detail: String,
        request_id: Option<String>,
    ) -> GraphError {
        let mut error = GraphError::new(kind, detail);
        error.0.status = status;
        error.0.code = code;
        error.0.graph_message = graph_message;
        error.0.exchange.request_id = request_id;
        error
    }

    /// What stopped the request on the way (see [`crate::net::Blocked`]).
    pub fn blocked_by(mut self, blocked: crate::net::Blocked) -> GraphError {
        self.0.blocked = Some(blocked);
        self
    }

    /// Whether what stopped the request on the way will stop it again (a proxy that wants a
    /// sign-in, an untrusted certificate): then a retry only adds traffic and waiting.
    fn blocked_for_good(&self) -> bool {
        self.blocked.as_ref().is_some_and(|b| !b.retry_may_help())
    }

    pub fn retry_after(mut self, after: Duration) -> GraphError {
        self.0.retry_after = Some(after);
        self
    }

    pub fn with_exchange(mut self, exchange: &Exchange) -> GraphError {
        self.0.exchange = exchange.clone();
        self
    }

    pub fn with_client_request_id(mut self, id: &str) -> GraphError {
        self.0.exchange.client_request_id = id.to_owned();
        self
    }

    pub(crate) fn from_token_error(error: super::TokenError) -> GraphError {
        let mut graph = GraphError::new(GraphErrorKind::SignIn, error.to_string());
        graph.0.session = Some(error);
        graph
    }

    /// For `SignIn`: the token source's own error (the app's session says why in its words).
    pub fn token_error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.session.as_deref()
    }

    /// An HTTP error answer, with Graph's envelope when there is one.
    pub(crate) fn from_reply(
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
        exchange: &Exchange,
    ) -> GraphError {
        let kind = match status {
            429 => GraphErrorKind::Throttled,
            503 | 504 => GraphErrorKind::Unavailable,
            400 if is_overload_answer(status, body) => GraphErrorKind::Unavailable,
            401 => GraphErrorKind::Unauthorized,
            403 => GraphErrorKind::Forbidden,
            404 => GraphErrorKind::NotFound,
            409 => GraphErrorKind::Conflict,
            500..=599 => GraphErrorKind::Server,
            200..=299 => GraphErrorKind::Malformed,
            _ => GraphErrorKind::BadRequest,
        };
        let envelope: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let error = envelope.as_ref().and_then(|v| v.get("error"));
        let text = |name: &str| {
            error
                .and_then(|e| e.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let mut exchange = exchange.clone();
        if exchange.request_id.is_none() {
            exchange.request_id = error
                .and_then(|e| e.get("innerError"))
                .and_then(|i| i.get("request-id"))
                .and_then(|v| v.as_str())
                .map(str::to_owned);
        }
        GraphError(Box::new(GraphErrorDetail {
            kind,
            detail: format!("HTTP {status}"),
            status: Some(status),
            code: text("code"),
            graph_message: text("message"),
            retry_after,
            exchange,
            session: None,
            blocked: None,
        }))
    }

    /// A GET may be tried again: throttled, briefly unavailable, or never sent.
    pub fn get_may_retry(&self) -> bool {
        !self.blocked_for_good()
            && matches!(
                self.kind,
                GraphErrorKind::Throttled | GraphErrorKind::Unavailable | GraphErrorKind::NotSent
            )
    }

    /// A POST may be tried again only when Microsoft clearly did not take it: 429 (throttled
    /// before the service looked at it), 503 (the service said it is unavailable), the Teams
    /// backend's overload 400 (a refusal that did not act, in the backend's own words), or a
    /// connection that never opened.
    ///
    /// Not a 504: a gateway timeout says the gateway stopped waiting, not that the backend did
    /// not act. The unassign may be under way behind it, so a 504 to a POST is
    /// [`GraphError::outcome_unknown`]: recorded as such and settled by looking the number up,
    /// never sent again blindly.
    pub fn post_may_retry(&self) -> bool {
        if self.blocked_for_good() {
            return false;
        }
        match self.kind {
            GraphErrorKind::Throttled | GraphErrorKind::NotSent => true,
            GraphErrorKind::Unavailable => self.status != Some(504),
            _ => false,
        }
    }

    /// For a POST: after sending, the answer was lost (a broken connection, no answer in
    /// time, or a gateway's 504): Microsoft may or may not have acted.
    pub fn outcome_unknown(&self) -> bool {
        match self.kind {
            GraphErrorKind::Network | GraphErrorKind::Timeout => true,
            GraphErrorKind::Unavailable => self.status == Some(504),
            _ => false,
        }
    }
}

/// Whether an answer is the Teams number backend's way of saying it is overloaded: `400
/// {"error":{"code":"BadRequest","message":"Service is unavailable. Please try again"}}`, as
/// admins report it from the same backend through Teams PowerShell (office-docs-powershell
/// issues 8992 and 9875). It is a 400 only in name: the backend did not act, and asks to be
/// asked again, so NumberDesk treats it as a 503 (retried with backoff, and a signal to the
/// bulk pacer to slow down). Matching on the message is the only way to tell it from a real
/// refusal; the message must start with "Service is unavailable" (in any case, so a final
/// full stop or more words after it change nothing).
pub fn is_overload_answer(status: u16, body: &[u8]) -> bool {
    if status != 400 {
        return false;
    }
    let Ok(envelope) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    let error = &envelope["error"];
    let code = error["code"].as_str().unwrap_or_default();
    let message = error["message"].as_str().unwrap_or_default().trim();
    code.eq_ignore_ascii_case("BadRequest")
        && message
            .to_ascii_lowercase()
            .starts_with("service is unavailable")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> GraphError {
        GraphError::from_reply(status, body.as_bytes(), None, &Exchange::default())
    }

    #[test]
    fn the_envelope_is_read_and_the_request_id_kept() {
        let error = reply(
            400,
            r#"{"error":{"code":"BadRequest","message":"Telephone Number '+1' is not found from tenant 't'","innerError":{"request-id":"r-1","date":"d"}}}"#,
        );
        assert_eq!(error.kind, GraphErrorKind::BadRequest);
        assert_eq!(error.code.as_deref(), Some("BadRequest"));
        assert_eq!(error.exchange.request_id.as_deref(), Some("r-1"));
    }

    #[test]
    fn retry_rules_differ_for_gets_and_posts() {
        for (status, get, post) in [
            (429, true, true),
            (503, true, true),
            (504, true, false),
            (500, false, false),
            (400, false, false),
            (403, false, false),
        ] {
            let error = reply(status, "");
            assert_eq!(error.get_may_retry(), get, "GET {status}");
            assert_eq!(error.post_may_retry(), post, "POST {status}");
        }
        let timeout = GraphError::new(GraphErrorKind::Timeout, "t");
        assert!(!timeout.post_may_retry() && timeout.outcome_unknown());
        assert!(GraphError::new(GraphErrorKind::NotSent, "refused").post_may_retry());
    }

    #[test]
    fn the_teams_backends_overload_400_is_unavailable_and_may_be_retried() {
        for body in [
            r#"{"error":{"code":"BadRequest","message":"Service is unavailable. Please try again"}}"#,
            r#"{"error":{"code":"BadRequest","message":"Service is unavailable. Please try again."}}"#,
        ] {
            let error = reply(400, body);
            assert_eq!(error.kind, GraphErrorKind::Unavailable, "{body}");
            assert!(error.get_may_retry() && error.post_may_retry(), "{body}");
            assert!(!error.outcome_unknown());
        }
        // Other 400s stay refusals, even with similar words elsewhere.
        let refusal = reply(
            400,
            r#"{"error":{"code":"BadRequest","message":"Telephone Number '+1' has already been assigned to another user"}}"#,
        );
        assert_eq!(refusal.kind, GraphErrorKind::BadRequest);
        assert!(!refusal.post_may_retry());
        let not_graphs = reply(
            404,
            r#"{"error":{"code":"BadRequest","message":"Service is unavailable. Please try again"}}"#,
        );
        assert_eq!(not_graphs.kind, GraphErrorKind::NotFound);
    }

    #[test]
    fn a_504_on_a_post_is_outcome_unknown_not_a_refusal() {
        let timeout = reply(
            504,
            r#"{"error":{"code":"GatewayTimeout","message":"The gateway timed out waiting for the service."}}"#,
        );
        assert!(timeout.get_may_retry());
        assert!(!timeout.post_may_retry(), "Microsoft may have acted");
        assert!(timeout.outcome_unknown(), "settled by a lookup");
        assert!(!reply(503, "").outcome_unknown());
    }
}
