//! Helpers for the corporate-network tests (`networks.rs`): a throwaway certificate authority,
//! a small proxy that logs what passes through it, the process environment through which
//! Linux states its proxy and trust settings (serialised: it is global to the process), and a
//! sign-in whose browser part trusts the test authority and bypasses every proxy.
#![allow(dead_code)]
#![cfg(target_os = "linux")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use numberdesk::auth::entra::SignInTarget;
use numberdesk::auth::SignInService;
use numberdesk::cloud::Cloud;
use numberdesk::sim::{self, SimConfig, SimTenant, SimTls};
use numberdesk::vault::LimitedMemoryStore;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

pub type TestService = SignInService<Arc<LimitedMemoryStore>>;

// ---- A throwaway certificate authority --------------------------------------------------

/// A certificate authority made for one test, and a server certificate it signed for
/// `127.0.0.1` and `localhost`. Nothing of it is ever installed on the machine.
pub struct TestCa {
    pub ca_pem: String,
    pub ca_der: Vec<u8>,
    pub server: SimTls,
}

impl TestCa {
    pub fn new(organisation: &str) -> TestCa {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::OrganizationName, organisation);
        ca_params.distinguished_name.push(
            DnType::CommonName,
            format!("{organisation} TLS inspection root"),
        );
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().expect("CA key");
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);

        let mut server_params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("server params");
        server_params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        server_params.use_authority_key_identifier_extension = true;
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate().expect("server key");
        let server_cert = server_params
            .signed_by(&server_key, &issuer)
            .expect("server certificate");
        TestCa {
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().to_vec(),
            server: SimTls {
                cert_chain: vec![server_cert.der().to_vec()],
                private_key_pkcs8: server_key.serialize_der(),
            },
        }
    }

    /// Writes the authority's certificate as a PEM bundle file, the form `SSL_CERT_FILE` names.
    pub fn write_bundle(&self, dir: &std::path::Path, name: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, &self.ca_pem).expect("bundle written");
        path
    }
}

/// A sim served over HTTPS with `ca`'s server certificate, with short operation phases.
pub async fn https_sim(ca: &TestCa) -> SimTenant {
    SimTenant::start(SimConfig {
        operation_not_started: Duration::ZERO,
        operation_running: Duration::from_millis(50),
        tls: Some(ca.server.clone()),
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts")
}

/// A plain-http sim with short operation phases.
pub async fn http_sim() -> SimTenant {
    SimTenant::start(SimConfig {
        operation_not_started: Duration::ZERO,
        operation_running: Duration::from_millis(50),
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts")
}

// ---- The process environment ------------------------------------------------------------

/// Held for the whole of a test that reads or sets the environment. Clients read it when they
/// are built, so a test sets what it needs, builds, and keeps the lock until it is done.
static ENVIRONMENT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const NETWORK_VARIABLES: [&str; 10] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

pub struct Environment {
    _held: tokio::sync::MutexGuard<'static, ()>,
}

impl Environment {
    /// Takes the environment for this test, with every proxy and trust variable cleared.
    pub async fn take() -> Environment {
        let held = ENVIRONMENT.lock().await;
        let environment = Environment { _held: held };
        environment.clear();
        environment
    }

    /// Clears every proxy and trust variable.
    pub fn clear(&self) {
        for name in NETWORK_VARIABLES {
            std::env::remove_var(name);
        }
    }

    /// Sets `name` (only while this test holds the environment).
    pub fn set(&self, name: &str, value: impl AsRef<std::ffi::OsStr>) {
        std::env::set_var(name, value);
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        self.clear();
    }
}

// ---- The browser ------------------------------------------------------------------------

/// The test's stand-in for the admin's browser: trusts the test authority (when given),
/// follows no redirects, and uses no proxy, so only NumberDesk's own requests reach the proxy.
pub fn browser(ca: Option<&TestCa>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20));
    if let Some(ca) = ca {
        builder = builder
            .add_root_certificate(reqwest::Certificate::from_der(&ca.ca_der).expect("CA cert"));
    }
    builder.build().expect("browser builds")
}

pub fn target(sim: &SimTenant) -> SignInTarget {
    SignInTarget {
        cloud: Cloud::custom(&sim.login_url(), &sim.graph_url()).unwrap(),
        tenant: sim::DEMO_TENANT_ID.into(),
        client_id: sim::DEMO_CLIENT_ID.into(),
    }
}

/// Opens the sign-in link, picks `account`, and returns where the sim sends the browser back.
pub async fn choose_account(
    browser: &reqwest::Client,
    sim: &SimTenant,
    link: &str,
    account: &str,
) -> String {
    let page = browser
        .get(link)
        .send()
        .await
        .expect("the sign-in page loads");
    assert_eq!(page.status(), 200, "the sign-in page is shown");
    let html = page.text().await.expect("page text");
    let form = crate::sim_support::forms(&html)
        .into_iter()
        .find(|f| f.field("account") == Some(account))
        .unwrap_or_else(|| panic!("the page offers {account}"));
    let submitted = browser
        .post(format!("{}{}", sim.login_url(), form.action))
        .form(&form.fields)
        .send()
        .await
        .expect("the form submits");
    assert_eq!(submitted.status(), 302);
    submitted.headers()["location"]
        .to_str()
        .expect("a Location")
        .to_owned()
}

/// A sign-in service built now (so its token client reads the environment as it is now).
pub fn service() -> Arc<TestService> {
    Arc::new(SignInService::new(Arc::new(LimitedMemoryStore::windows_like())).unwrap())
}

/// Signs `account` in through the app's interactive flow; the result of the app's wait.
pub async fn sign_in(
    service: &Arc<TestService>,
    browser: &reqwest::Client,
    sim: &SimTenant,
    account: &str,
) -> Result<(), numberdesk::problem::Problem> {
    let link = service
        .begin_interactive(&target(sim))
        .await
        .map_err(numberdesk::problem::Problem::from)?;
    let waiting = tokio::spawn({
        let service = service.clone();
        async move { service.wait_interactive().await }
    });
    let back = choose_account(browser, sim, &link, account).await;
    // The listener answers the browser whatever the token endpoint said.
    let _ = browser
        .get(&back)
        .send()
        .await
        .expect("the listener answers");
    match waiting.await.expect("the wait ends") {
        Ok(status) if status.signed_in => Ok(()),
        Ok(_) => panic!("the wait ended without a sign-in"),
        Err(error) => Err(numberdesk::problem::Problem::from(error)),
    }
}

// ---- A proxy ----------------------------------------------------------------------------

/// How the test proxy behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Tunnels CONNECT and forwards absolute-form requests.
    Open,
    /// Answers everything `407 Proxy Authentication Required`.
    RequiresAuthentication,
}

/// One request the proxy received.
#[derive(Debug, Clone)]
pub struct ProxyEntry {
    /// `CONNECT`, or the forwarded request's method.
    pub method: String,
    /// `host:port` for CONNECT, the absolute URL for a forward.
    pub target: String,
    /// Whether a forwarded request carried `Authorization` (visible only over plain http).
    pub authorization_seen: bool,
}

#[derive(Default)]
struct ProxyState {
    log: Vec<ProxyEntry>,
    /// Every byte clients sent into CONNECT tunnels: what the proxy could read of them.
    tunnelled: Vec<u8>,
    /// The proxy's own address on each tunnel's upstream connection, as the server sees it.
    tunnel_sources: Vec<SocketAddr>,
}

/// A small HTTP proxy on 127.0.0.1, started by a test: CONNECT tunnels for https, plain
/// forwards for http, and a log of both.
#[derive(Clone)]
pub struct TestProxy {
    pub addr: SocketAddr,
    state: Arc<Mutex<ProxyState>>,
}

impl TestProxy {
    pub async fn start(mode: ProxyMode) -> TestProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(ProxyState::default()));
        let forwarder = browser(None);
        tokio::spawn({
            let state = state.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let state = state.clone();
                    let forwarder = forwarder.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |req| {
                            handle(req, mode, state.clone(), forwarder.clone())
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .with_upgrades()
                            .await;
                    });
                }
            }
        });
        TestProxy { addr, state }
    }

    /// `http://127.0.0.1:port`, as HTTPS_PROXY/HTTP_PROXY take it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn log(&self) -> Vec<ProxyEntry> {
        self.state.lock().unwrap().log.clone()
    }

    /// Where the tunnels' upstream connections came from (the server's view of the proxy).
    pub fn tunnel_sources(&self) -> Vec<SocketAddr> {
        self.state.lock().unwrap().tunnel_sources.clone()
    }

    pub fn tunnelled_bytes(&self) -> Vec<u8> {
        self.state.lock().unwrap().tunnelled.clone()
    }

    /// Log entries whose method is `method` and whose target contains `part`.
    pub fn count(&self, method: &str, part: &str) -> usize {
        self.log()
            .iter()
            .filter(|e| e.method == method && e.target.contains(part))
            .count()
    }
}

/// A port on 127.0.0.1 that nothing listens on: a proxy that is down.
pub async fn dead_port() -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

type ProxyBody = Full<Bytes>;

fn plain(status: StatusCode, text: &str) -> Response<ProxyBody> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_owned())));
    *response.status_mut() = status;
    response
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    mode: ProxyMode,
    state: Arc<Mutex<ProxyState>>,
    forwarder: reqwest::Client,
) -> Result<Response<ProxyBody>, Infallible> {
    let connect = req.method() == Method::CONNECT;
    let target = if connect {
        req.uri()
            .authority()
            .map(|a| a.to_string())
            .unwrap_or_default()
    } else {
        req.uri().to_string()
    };
    state.lock().unwrap().log.push(ProxyEntry {
        method: req.method().to_string(),
        target: target.clone(),
        authorization_seen: req.headers().contains_key(hyper::header::AUTHORIZATION),
    });
    if mode == ProxyMode::RequiresAuthentication {
        let mut response = plain(
            StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            "Proxy sign-in required",
        );
        response.headers_mut().insert(
            "proxy-authenticate",
            hyper::header::HeaderValue::from_static("Negotiate, Basic realm=\"Contoso proxy\""),
        );
        return Ok(response);
    }
    if connect {
        let Ok(upstream) = TcpStream::connect(&target).await else {
            return Ok(plain(StatusCode::BAD_GATEWAY, "upstream unreachable"));
        };
        if let Ok(source) = upstream.local_addr() {
            state.lock().unwrap().tunnel_sources.push(source);
        }
        tokio::spawn(async move {
            if let Ok(upgraded) = hyper::upgrade::on(req).await {
                tunnel(TokioIo::new(upgraded), upstream, state).await;
            }
        });
        return Ok(Response::new(Full::new(Bytes::new())));
    }
    Ok(forward(req, forwarder).await)
}

/// Copies both ways, keeping what the client sent.
async fn tunnel(
    client: TokioIo<hyper::upgrade::Upgraded>,
    upstream: TcpStream,
    state: Arc<Mutex<ProxyState>>,
) {
    let (mut client_read, mut client_write) = tokio::io::split(client);
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    let up = async {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            match client_read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    state
                        .lock()
                        .unwrap()
                        .tunnelled
                        .extend_from_slice(&buffer[..n]);
                    if upstream_write.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = upstream_write.shutdown().await;
    };
    let down = async {
        let _ = tokio::io::copy(&mut upstream_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(up, down);
}

/// Forwards an absolute-form request and relays the answer.
async fn forward(
    req: Request<hyper::body::Incoming>,
    forwarder: reqwest::Client,
) -> Response<ProxyBody> {
    const HOP_BY_HOP: [&str; 9] = [
        "connection",
        "proxy-connection",
        "keep-alive",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    ];
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut request = forwarder.request(parts.method.clone(), parts.uri.to_string());
    for (name, value) in parts.headers.iter() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            request = request.header(name, value);
        }
    }
    let Ok(answer) = request.body(body).send().await else {
        return plain(StatusCode::BAD_GATEWAY, "upstream failed");
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap_or_default();
    let mut response = Response::new(Full::new(bytes));
    *response.status_mut() = status;
    for (name, value) in headers.iter() {
        if !HOP_BY_HOP.contains(&name.as_str()) && name != "content-length" {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}
