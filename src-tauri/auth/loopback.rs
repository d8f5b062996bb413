//! The loopback listener that receives Microsoft's redirect after an interactive sign-in.
//!
//! It listens on `127.0.0.1` and on `::1`, on the same free port, because a browser may resolve
//! `localhost` to either: a port where another program holds `[::1]:port` would send such a
//! browser — and the authorization code — to that program, so it is given up for another one
//! (a few tries, then a plain error). Only a system without IPv6 at all (binding `::1` fails
//! with "address not available" or "not supported", never "in use") gets `127.0.0.1` alone.
//! It never binds a routable address.
//! A callback is checked in this order: `state` (a response that does not belong to this
//! sign-in is refused and the listener keeps waiting), then `error`, then `code`. The browser is
//! answered with a 302 to `/done`, so the code does not stay in the address bar or the history,
//! and `/done` serves a plain NumberDesk page that says what happened. After one valid callback
//! the listener serves `/done` for a few seconds and closes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

/// The largest request head accepted; a redirect with a code is well under 8 KiB.
const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `/done` stays reachable after the callback.
const GRACE: Duration = Duration::from_secs(10);
/// How many ports are tried before giving up on one free on both loopback addresses.
const BIND_ATTEMPTS: usize = 8;
/// The wait after a first failed `accept()`; it doubles with each failure in a row…
const ACCEPT_RETRY_FIRST: Duration = Duration::from_millis(10);
/// …up to this, so a connection is served at most this long after the cause went away.
const ACCEPT_RETRY_MAX: Duration = Duration::from_secs(1);

/// `EAFNOSUPPORT`: the system has no IPv6 sockets at all.
#[cfg(any(target_os = "linux", target_os = "android"))]
const EAFNOSUPPORT: i32 = 97;
#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd"
))]
const EAFNOSUPPORT: i32 = 47;
#[cfg(windows)]
const EAFNOSUPPORT: i32 = 10047;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    windows
)))]
const EAFNOSUPPORT: i32 = i32::MIN;

/// Whether binding `::1` failed because the system has no IPv6 (not because the port is taken,
/// nor for any other reason): only then may the listener do without `::1`.
fn means_no_ipv6(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::AddrNotAvailable | std::io::ErrorKind::Unsupported
    ) || error.raw_os_error() == Some(EAFNOSUPPORT)
}

/// What Microsoft sent back to the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// The authorization code, to redeem with the PKCE verifier.
    Code(String),
    /// The sign-in ended with an error (`access_denied` when the admin cancelled).
    Error {
        error: String,
        description: Option<String>,
    },
}

/// Why no callback arrived.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ListenError {
    #[error("no answer came from the browser in time")]
    TimedOut,
    #[error("sign-in was cancelled")]
    Cancelled,
    #[error("the sign-in listener could not start: {0}")]
    Io(String),
}

/// A request line parsed from a connection to the listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRequest {
    pub method: String,
    pub path: String,
    pub params: Vec<(String, String)>,
}

impl CallbackRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Why a request to the listener could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("the request is incomplete")]
    Incomplete,
    #[error("the request is not HTTP")]
    NotHttp,
}

/// Parses the request head (up to the blank line) of a browser's request to the listener.
pub fn parse_request_head(head: &[u8]) -> Result<CallbackRequest, ParseError> {
    let end = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or(ParseError::Incomplete)?;
    let line = std::str::from_utf8(&head[..end]).map_err(|_| ParseError::NotHttp)?;
    let mut words = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(ParseError::NotHttp);
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Err(ParseError::NotHttp);
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, query),
        None => (target, ""),
    };
    let params = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok(CallbackRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        params,
    })
}

/// What the listener answers to one request.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// A valid callback for this sign-in: redirect to `/done` and report it.
    Finish(Callback),
    /// Something else: answer with this status and page, keep waiting.
    Page(u16, Page),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Success,
    Cancelled,
    Failed,
    Foreign,
    NotFound,
}

fn decide(request: &CallbackRequest, expected_state: &str) -> Answer {
    if request.method != "GET" {
        return Answer::Page(405, Page::NotFound);
    }
    if request.path == "/done" {
        let page = match request.param("result") {
            Some("success") => Page::Success,
            Some("cancelled") => Page::Cancelled,
            _ => Page::Failed,
        };
        return Answer::Page(200, page);
    }
    if request.path != "/" {
        return Answer::Page(404, Page::NotFound);
    }
    // State first: an answer that is not for this sign-in must not end it.
    if !request
        .param("state")
        .is_some_and(|state| constant_time_eq(state.as_bytes(), expected_state.as_bytes()))
    {
        return Answer::Page(400, Page::Foreign);
    }
    if let Some(error) = request.param("error") {
        return Answer::Finish(Callback::Error {
            error: error.to_owned(),
            description: request.param("error_description").map(str::to_owned),
        });
    }
    match request.param("code").filter(|code| !code.is_empty()) {
        Some(code) => Answer::Finish(Callback::Code(code.to_owned())),
        None => Answer::Page(400, Page::Foreign),
    }
}

/// For the fuzzers (`crate::fuzzing`): parses `head` and decides on it as the listener would.
/// Panics if a callback that does not carry `expected_state` would end the sign-in.
#[doc(hidden)]
pub fn check_any_request(head: &[u8], expected_state: &str) {
    let Ok(request) = parse_request_head(head) else {
        return;
    };
    match decide(&request, expected_state) {
        Answer::Finish(callback) => {
            assert_eq!(request.param("state"), Some(expected_state));
            assert_eq!(request.path, "/");
            if let Callback::Code(code) = callback {
                assert!(!code.is_empty());
            }
        }
        Answer::Page(status, page) => {
            let (title, _) = page_html(page);
            assert!(!title.is_empty() && (200..600).contains(&status));
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn page_html(page: Page) -> (&'static str, &'static str) {
    match page {
        Page::Success => (
            "Signed in",
            "You are signed in to NumberDesk. You can close this tab and go back to NumberDesk.",
        ),
        Page::Cancelled => (
            "Sign-in cancelled",
            "Sign-in was cancelled. Go back to NumberDesk to try again.",
        ),
        Page::Failed => (
            "Sign-in did not finish",
            "Sign-in did not finish. Go back to NumberDesk: it says what went wrong and what to do next.",
        ),
        Page::Foreign => (
            "Not a NumberDesk sign-in",
            "This answer does not belong to the sign-in NumberDesk started, so it was ignored. Go back to NumberDesk and start the sign-in again if it is still waiting.",
        ),
        Page::NotFound => ("Not found", "There is nothing here."),
    }
}

fn respond(status: u16, page: Page) -> Vec<u8> {
    let (title, text) = page_html(page);
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>NumberDesk — {title}</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem}}\
         h1{{font-size:1.5rem}}</style></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn redirect_to_done(callback: &Callback) -> Vec<u8> {
    let result = match callback {
        Callback::Code(_) => "success",
        Callback::Error { error, .. } if error == "access_denied" => "cancelled",
        Callback::Error { .. } => "failed",
    };
    format!(
        "HTTP/1.1 302 Found\r\nLocation: /done?result={result}\r\nCache-Control: no-store\r\n\
         Referrer-Policy: no-referrer\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return Some(head);
        }
        if head.len() > MAX_HEAD {
            return None;
        }
    }
}

/// Serves one connection; returns the callback when it was a valid one for this sign-in.
async fn serve(mut stream: TcpStream, expected_state: &str, finished: bool) -> Option<Callback> {
    let peer_is_loopback = stream
        .peer_addr()
        .map(|addr| addr.ip().is_loopback())
        .unwrap_or(false);
    if !peer_is_loopback {
        return None;
    }
    let head = tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream))
        .await
        .ok()
        .flatten()?;
    let answer = match parse_request_head(&head) {
        Ok(request) => decide(&request, expected_state),
        Err(_) => Answer::Page(400, Page::NotFound),
    };
    let (bytes, callback) = match answer {
        // Once finished, further callbacks are not accepted; only `/done` is served.
        Answer::Finish(_) if finished => (respond(400, Page::Foreign), None),
        Answer::Finish(callback) => (redirect_to_done(&callback), Some(callback)),
        Answer::Page(status, page) => (respond(status, page), None),
    };
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
    callback
}

/// How long to wait before calling `accept()` again after `failures` failures in a row (1 and
/// up): 10 ms, doubling, never more than a second.
fn accept_retry_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(31);
    ACCEPT_RETRY_FIRST
        .saturating_mul(1 << doublings)
        .min(ACCEPT_RETRY_MAX)
}

/// The next connection to `listener`. An `accept()` error leaves the connection waiting in the
/// queue, so the next call fails again at once (EMFILE, when the process is out of file
/// descriptors, until some are closed): without a wait between tries the acceptor would spin on
/// a core. It waits ([`accept_retry_delay`]) and keeps listening; the sign-in's timeout or
/// Cancel ends it.
async fn accept_next(listener: &TcpListener) -> TcpStream {
    let mut failures = 0u32;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return stream,
            Err(error) => {
                failures = failures.saturating_add(1);
                if failures == 1 {
                    log::warn!("the sign-in listener could not accept a connection ({error}); it tries again shortly");
                }
                tokio::time::sleep(accept_retry_delay(failures)).await;
            }
        }
    }
}

/// A cancel switch for a waiting sign-in (the UI's Cancel button).
#[derive(Clone)]
pub struct CancelSignIn(watch::Sender<bool>);

impl CancelSignIn {
    pub fn new() -> (CancelSignIn, watch::Receiver<bool>) {
        let (tx, rx) = watch::channel(false);
        (CancelSignIn(tx), rx)
    }
    pub fn cancel(&self) {
        let _ = self.0.send(true);
    }
}

/// The bound listener, before the browser is sent to Microsoft.
pub struct LoopbackListener {
    port: u16,
    listeners: Vec<TcpListener>,
}

impl LoopbackListener {
    /// Binds `127.0.0.1` and `::1` on one free port (`127.0.0.1` alone only without IPv6).
    pub async fn bind() -> Result<LoopbackListener, ListenError> {
        LoopbackListener::bind_trying(|_| 0).await
    }

    /// [`LoopbackListener::bind`] with the port of each attempt chosen by `port_for_attempt`
    /// (0 lets the system choose), so a test can make an attempt collide.
    pub async fn bind_trying(
        mut port_for_attempt: impl FnMut(usize) -> u16,
    ) -> Result<LoopbackListener, ListenError> {
        let mut last_error = String::new();
        for attempt in 0..BIND_ATTEMPTS {
            let asked = port_for_attempt(attempt);
            let v4 =
                match TcpListener::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), asked))
                    .await
                {
                    Ok(v4) => v4,
                    Err(e) if asked != 0 && e.kind() == std::io::ErrorKind::AddrInUse => {
                        last_error = e.to_string();
                        continue;
                    }
                    Err(e) => return Err(ListenError::Io(e.to_string())),
                };
            let port = v4
                .local_addr()
                .map_err(|e| ListenError::Io(e.to_string()))?
                .port();
            match TcpListener::bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)).await {
                Ok(v6) => {
                    return Ok(LoopbackListener {
                        port,
                        listeners: vec![v4, v6],
                    })
                }
                Err(e) if means_no_ipv6(&e) => {
                    return Ok(LoopbackListener {
                        port,
                        listeners: vec![v4],
                    })
                }
                // Taken on ::1 (or refused there for another reason): drop 127.0.0.1 too and
                // try another port.
                Err(e) => last_error = e.to_string(),
            }
        }
        Err(ListenError::Io(format!(
            "no port was free on both 127.0.0.1 and ::1 after {BIND_ATTEMPTS} tries: {last_error}"
        )))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to send to Microsoft: `http://localhost:<port>` (Entra ignores the port
    /// when matching a registered `http://localhost`).
    pub fn redirect_uri(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// The addresses actually bound, for tests.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Waits for the one valid callback, the timeout, or cancel — whichever comes first.
    pub async fn wait(
        self,
        expected_state: String,
        timeout: Duration,
        mut cancelled: watch::Receiver<bool>,
    ) -> Result<Callback, ListenError> {
        let (found_tx, mut found_rx) = mpsc::channel::<Callback>(1);
        let (done_tx, done_rx) = watch::channel(false);
        let state = std::sync::Arc::new(expected_state);
        let mut acceptors = Vec::new();
        for listener in self.listeners {
            let found_tx = found_tx.clone();
            let done_rx = done_rx.clone();
            let state = state.clone();
            acceptors.push(tokio::spawn(async move {
                loop {
                    let stream = accept_next(&listener).await;
                    let found_tx = found_tx.clone();
                    let finished = *done_rx.borrow();
                    let state = state.clone();
                    tokio::spawn(async move {
                        if let Some(callback) = serve(stream, &state, finished).await {
                            let _ = found_tx.try_send(callback);
                        }
                    });
                }
            }));
        }
        let stop = |acceptors: Vec<tokio::task::JoinHandle<()>>| {
            for acceptor in acceptors {
                acceptor.abort();
            }
        };
        let outcome = tokio::select! {
            found = found_rx.recv() => found.ok_or(ListenError::Cancelled),
            _ = tokio::time::sleep(timeout) => Err(ListenError::TimedOut),
            _ = async {
                while !*cancelled.borrow() {
                    if cancelled.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            } => Err(ListenError::Cancelled),
        };
        match outcome {
            Ok(callback) => {
                // Keep answering `/done` briefly, then close.
                let _ = done_tx.send(true);
                tokio::spawn(async move {
                    tokio::time::sleep(GRACE).await;
                    drop(done_tx);
                    stop(acceptors);
                });
                Ok(callback)
            }
            Err(error) => {
                stop(acceptors);
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str) -> CallbackRequest {
        parse_request_head(format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .unwrap()
    }

    #[test]
    fn parses_a_redirect_with_code_and_state() {
        let r = request("/?code=0.AX%2Babc&state=s1&session_state=x");
        assert_eq!(r.path, "/");
        assert_eq!(r.param("code"), Some("0.AX+abc"));
        assert_eq!(
            decide(&r, "s1"),
            Answer::Finish(Callback::Code("0.AX+abc".into()))
        );
    }

    #[test]
    fn state_is_checked_before_anything_else() {
        // A wrong or missing state never ends the sign-in, even with an error or a code.
        for target in [
            "/?code=c&state=other",
            "/?code=c",
            "/?error=access_denied&state=x",
        ] {
            assert_eq!(
                decide(&request(target), "s1"),
                Answer::Page(400, Page::Foreign),
                "{target}"
            );
        }
        let denied = decide(
            &request("/?error=access_denied&error_description=AADSTS65004%3A+declined&state=s1"),
            "s1",
        );
        assert_eq!(
            denied,
            Answer::Finish(Callback::Error {
                error: "access_denied".into(),
                description: Some("AADSTS65004: declined".into())
            })
        );
    }

    #[test]
    fn other_paths_and_methods_are_not_callbacks() {
        assert_eq!(
            decide(&request("/favicon.ico"), "s"),
            Answer::Page(404, Page::NotFound)
        );
        assert_eq!(
            decide(&request("/done?result=success"), "s"),
            Answer::Page(200, Page::Success)
        );
        let post = parse_request_head(b"POST /?code=c&state=s HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(decide(&post, "s"), Answer::Page(405, Page::NotFound));
    }

    #[tokio::test]
    async fn a_taken_ipv6_port_moves_both_listeners_to_another_port() {
        // Another program holds [::1]:port. A browser resolving `localhost` to ::1 would reach
        // it, so NumberDesk must not listen on 127.0.0.1:port alone.
        let other_program = std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0))
            .expect("this test needs IPv6 on the loopback interface");
        let taken = other_program.local_addr().unwrap().port();
        let mut asked = Vec::new();
        let listener = LoopbackListener::bind_trying(|attempt| {
            asked.push(attempt);
            if attempt == 0 {
                taken
            } else {
                0
            }
        })
        .await
        .unwrap();
        assert_eq!(
            asked.first(),
            Some(&0),
            "the first attempt used the taken port"
        );
        let port = listener.port();
        assert_ne!(port, taken, "the taken port is given up");
        let mut addrs = listener.local_addrs();
        addrs.sort();
        assert_eq!(
            addrs,
            vec![
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
            ],
            "both loopback addresses on one port"
        );
        drop(other_program);
    }

    #[test]
    fn only_a_system_without_ipv6_may_listen_on_127_0_0_1_alone() {
        use std::io::{Error, ErrorKind};
        assert!(means_no_ipv6(&Error::from(ErrorKind::AddrNotAvailable)));
        assert!(means_no_ipv6(&Error::from(ErrorKind::Unsupported)));
        assert!(means_no_ipv6(&Error::from_raw_os_error(EAFNOSUPPORT)));
        for kind in [
            ErrorKind::AddrInUse,
            ErrorKind::PermissionDenied,
            ErrorKind::Other,
        ] {
            assert!(!means_no_ipv6(&Error::from(kind)), "{kind:?}");
        }
    }

    #[tokio::test]
    async fn a_port_taken_on_every_attempt_ends_in_a_plain_error() {
        let other_program = std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0))
            .expect("this test needs IPv6 on the loopback interface");
        let taken = other_program.local_addr().unwrap().port();
        let mut attempts = 0;
        let error = LoopbackListener::bind_trying(|_| {
            attempts += 1;
            taken
        })
        .await
        .err()
        .expect("never listens on 127.0.0.1 alone");
        assert_eq!(attempts, BIND_ATTEMPTS, "bounded");
        assert!(
            matches!(&error, ListenError::Io(detail) if detail.contains("::1")),
            "{error:?}"
        );
    }

    #[test]
    fn garbage_is_not_http() {
        assert_eq!(parse_request_head(b"GET /"), Err(ParseError::Incomplete));
        assert_eq!(
            parse_request_head(b"HELLO\r\n\r\n"),
            Err(ParseError::NotHttp)
        );
        assert_eq!(
            parse_request_head(b"GET x HTTP/1.1\r\n\r\n"),
            Err(ParseError::NotHttp)
        );
        assert_eq!(
            parse_request_head(b"\xff\xfe\r\n\r\n"),
            Err(ParseError::NotHttp)
        );
    }

    #[test]
    fn accept_errors_are_tried_again_after_a_wait_that_doubles_up_to_a_second() {
        let waits: Vec<u128> = (1..=9).map(|n| accept_retry_delay(n).as_millis()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1_000, 1_000]);
        for failures in [0, 31, 32, 1_000, u32::MAX] {
            assert!(
                accept_retry_delay(failures) <= ACCEPT_RETRY_MAX,
                "{failures}"
            );
            assert!(
                accept_retry_delay(failures) >= ACCEPT_RETRY_FIRST,
                "{failures}"
            );
        }
    }

    /// Set in the child process that runs [`out_of_file_descriptors_the_listener_waits_and_then_serves`]
    /// alone: the limit on open files is the whole process's.
    #[cfg(target_os = "linux")]
    const EMFILE_CHILD: &str = "NUMBERDESK_LOOPBACK_EMFILE_CHILD";

    /// Linux: with the process out of file descriptors, a connection waiting to be accepted
    /// makes `accept()` fail with EMFILE at once, again and again. The listener must wait
    /// between tries (not spin on a core) and serve the connection once descriptors are free.
    #[cfg(target_os = "linux")]
    #[test]
    fn out_of_file_descriptors_the_listener_waits_and_then_serves() {
        if std::env::var_os(EMFILE_CHILD).is_some() {
            return out_of_file_descriptors_in_this_process();
        }
        let name =
            "auth::loopback::tests::out_of_file_descriptors_the_listener_waits_and_then_serves";
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env(EMFILE_CHILD, "1")
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&child.stdout),
            String::from_utf8_lossy(&child.stderr)
        );
        assert!(child.status.success(), "{said}");
        assert!(said.contains("1 passed"), "the child ran no test: {said}");
    }

    /// CPU time this process has used (all threads).
    #[cfg(target_os = "linux")]
    fn cpu_time() -> Duration {
        // SAFETY: getrusage writes into the zeroed struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
        let time = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        time(usage.ru_utime) + time(usage.ru_stime)
    }

    #[cfg(target_os = "linux")]
    fn out_of_file_descriptors_in_this_process() {
        use std::io::Write;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let listener = LoopbackListener::bind().await.unwrap();
            let port = listener.port();
            let (_cancel, cancelled) = CancelSignIn::new();
            let waiting =
                tokio::spawn(listener.wait("s".into(), Duration::from_secs(30), cancelled));
            // A low limit, then every descriptor but one taken.
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit/setrlimit read and write the struct given.
            assert_eq!(
                unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
                0
            );
            limit.rlim_cur = limit.rlim_cur.min(256);
            assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
            let mut held = Vec::new();
            loop {
                match std::fs::File::open("/dev/null") {
                    Ok(file) => held.push(file),
                    Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
                    Err(e) => panic!("{e}"),
                }
            }
            held.pop();
            // The last descriptor: a browser's connection, waiting in the listen queue.
            let mut browser = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
            let before = cpu_time();
            tokio::time::sleep(Duration::from_millis(1_000)).await;
            let used = cpu_time() - before;
            drop(held);
            browser
                .write_all(b"GET /?state=s&code=c HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .unwrap();
            let answer = tokio::time::timeout(Duration::from_secs(10), waiting).await;
            println!("CPU used in 1 s of EMFILE: {used:?}");
            assert!(
                used < Duration::from_millis(200),
                "the listener spun on accept() errors: {used:?} of CPU in 1 s"
            );
            assert_eq!(
                answer.expect("served once descriptors were free").unwrap(),
                Ok(Callback::Code("c".into()))
            );
        });
        runtime.shutdown_background();
    }
}
