//! The one place NumberDesk's HTTP clients are made (the sign-in service's token endpoint and
//! Microsoft Graph), so the network policy lives here and nowhere else:
//!
//! - **Proxy: the one the system is set to.** reqwest's `system-proxy` support reads
//!   HTTPS_PROXY/HTTP_PROXY/NO_PROXY everywhere, and also the Windows Internet Settings (what IT
//!   pushes by policy) and the macOS network settings. Without it, a managed desktop behind a
//!   proxy signs in in the browser and then fails at every request NumberDesk makes itself.
//!   An https request goes through a CONNECT tunnel, so the proxy never reads a token.
//! - **TLS: what the operating system trusts.** Proxies that inspect TLS re-sign it with the
//!   company's own root, which IT installs in the OS store, not in any bundled list. The
//!   platform verifier asks Windows (CryptoAPI) and macOS (the Security framework) as browsers
//!   do; on Linux it reads the system CA store (or `SSL_CERT_FILE`/`SSL_CERT_DIR`).
//! - **No redirects, bounded time**: a redirect could carry a token to another host.
//!
//! When a connection fails on the way — the proxy is down, wants a sign-in, refuses the host,
//! or the certificate is not trusted — [`diagnose`] says which, naming the proxy, and
//! `crate::problem::network` tells the admin what to tell IT. The platform differences are
//! only where those settings live, kept in [`Platform`] as plain text so each is tested
//! anywhere.

use std::sync::Arc;
use std::time::Duration;

/// What NumberDesk says it is: proxies that filter by client see a stable name.
pub const USER_AGENT: &str = concat!("NumberDesk/", env!("CARGO_PKG_VERSION"));

/// Why an HTTP client could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("the operating system's certificate verifier could not be set up: {0}")]
    Verifier(String),
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
}

/// An HTTP client with NumberDesk's network policy: the system's proxy, the OS verifier, no
/// redirects, `timeout` per request. Proxy and trust settings are read now, so a client made
/// after IT changed them uses the new ones.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, NetError> {
    build(timeout, true)
}

/// The client for requests to `url`: [`http_client`], except that plain http to this computer
/// (the demo tenant, test hooks) never goes through a proxy. A proxy cannot reach this
/// computer's loopback, and would read every token of an unencrypted request.
pub fn http_client_for(url: &str, timeout: Duration) -> Result<reqwest::Client, NetError> {
    build(timeout, !direct_only(url))
}

/// The token endpoint's clients, made before the sign-in authority is known: pick one per
/// request with [`HttpClients::for_url`].
#[derive(Clone)]
pub struct HttpClients {
    proxied: reqwest::Client,
    direct: reqwest::Client,
}

impl HttpClients {
    pub fn new(timeout: Duration) -> Result<HttpClients, NetError> {
        Ok(HttpClients {
            proxied: build(timeout, true)?,
            direct: build(timeout, false)?,
        })
    }

    /// The client for requests to `url` (see [`http_client_for`]).
    pub fn for_url(&self, url: &str) -> &reqwest::Client {
        if direct_only(url) {
            &self.direct
        } else {
            &self.proxied
        }
    }
}

/// Plain http to a loopback address: never through a proxy.
pub fn direct_only(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| u.scheme() == "http" && crate::cloud::is_loopback(&u))
}

fn build(timeout: Duration, through_system_proxy: bool) -> Result<reqwest::Client, NetError> {
    let mut builder = reqwest::Client::builder()
        .use_preconfigured_tls(tls_config()?)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(USER_AGENT);
    if !through_system_proxy {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| NetError::Client(e.to_string()))
}

/// rustls with the platform verifier (and no client certificate). When the OS gives no
/// verifier (a Linux machine without a CA store), the client trusts nothing: every https
/// connection is refused as untrusted, with the hint to install the roots, and plain http on
/// this computer (the demo) still works.
fn tls_config() -> Result<rustls::ClientConfig, NetError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Verifier(e.to_string()))?;
    match builder.clone().with_platform_verifier() {
        Ok(builder) => Ok(builder.with_no_client_auth()),
        Err(error) => {
            log::warn!("no certificate verifier from the operating system ({error}); https will be refused");
            Ok(builder
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth())
        }
    }
}

/// The proxy (`host:port`, never credentials) a request to `url` goes through as the system
/// is set now, or `None` for a direct connection. The same matcher reqwest uses, read again.
pub fn proxy_for(url: &str) -> Option<String> {
    if direct_only(url) {
        return None;
    }
    let uri: hyper::Uri = url.parse().ok()?;
    let matcher = hyper_util::client::proxy::matcher::Matcher::from_system();
    let intercept = matcher.intercept(&uri)?;
    let proxy = intercept.uri();
    let host = proxy.host()?;
    Some(match proxy.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// `host` or `host:port` of `url`, as an admin would recognise it.
pub fn host_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => match (parsed.host_str(), parsed.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => url.to_owned(),
        },
        Err(_) => url.to_owned(),
    }
}

/// What stood between NumberDesk and the service. In every case the request itself was not
/// sent to the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// The proxy the system names could not be reached.
    ProxyUnreachable { proxy: String, host: String },
    /// The proxy answered `407 Proxy Authentication Required`.
    ProxyAuthentication { proxy: String, host: String },
    /// The proxy would not open a tunnel to the host (it answered CONNECT with an error).
    ProxyRefused { proxy: String, host: String },
    /// The certificate the connection presented is not one the OS trusts.
    Untrusted {
        host: String,
        proxy: Option<String>,
        reason: &'static str,
    },
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocked::ProxyUnreachable { proxy, host } => {
                write!(f, "proxy {proxy} unreachable (for {host})")
            }
            Blocked::ProxyAuthentication { proxy, host } => {
                write!(f, "proxy {proxy} wants authentication (407, for {host})")
            }
            Blocked::ProxyRefused { proxy, host } => {
                write!(f, "proxy {proxy} refused a tunnel to {host}")
            }
            Blocked::Untrusted { host, reason, .. } => {
                write!(f, "certificate of {host} not trusted: {reason}")
            }
        }
    }
}

impl Blocked {
    /// Whether trying again soon may help (a proxy that is briefly down may come back; a proxy
    /// that wants a sign-in or a certificate the OS does not trust will not change).
    pub fn retry_may_help(&self) -> bool {
        matches!(self, Blocked::ProxyUnreachable { .. })
    }
}

/// Where each system keeps what this module reads: plain text, so every platform's wording
/// is tested on any machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Windows,
    MacOs,
    Linux,
}

impl Platform {
    pub fn current() -> Platform {
        if cfg!(target_os = "windows") {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
        }
    }

    /// Where the proxy is set.
    pub fn proxy_settings(self) -> &'static str {
        match self {
            Platform::Windows => {
                "this computer's Windows proxy settings (Settings › Network & internet › Proxy)"
            }
            Platform::MacOs => {
                "this Mac's network settings (System Settings › Network › Details › Proxies)"
            }
            Platform::Linux => {
                "this computer's HTTPS_PROXY, HTTP_PROXY or NO_PROXY environment variables"
            }
        }
    }

    /// Where a root certificate must be to be trusted.
    pub fn trust_store(self) -> &'static str {
        match self {
            Platform::Windows => "the Windows certificate store (Trusted Root Certification Authorities)",
            Platform::MacOs => "the System keychain, set to Always Trust",
            Platform::Linux => "the system certificate store (/usr/local/share/ca-certificates, then update-ca-certificates)",
        }
    }

    /// What the admin's account on this system is called.
    pub fn account_name(self) -> &'static str {
        match self {
            Platform::Windows => "Windows",
            Platform::MacOs => "Mac",
            Platform::Linux => "computer",
        }
    }
}

/// What went wrong on the way to `url`, if it was the proxy or the certificate; `None` for
/// anything else (the caller's own words apply then).
pub fn diagnose(error: &reqwest::Error, url: &str) -> Option<Blocked> {
    diagnose_chain(error, error.is_connect(), host_of(url), proxy_for(url))
}

/// A proxy's own answer to a plain-http request it was asked to forward: `407` means it wants
/// a sign-in and did not forward it. (For https the same answer comes to the CONNECT and is
/// read from the error by [`diagnose`].)
pub fn blocked_by_status(status: u16, url: &str) -> Option<Blocked> {
    (status == 407).then(|| Blocked::ProxyAuthentication {
        proxy: proxy_for(url).unwrap_or_else(|| "on the way".to_owned()),
        host: host_of(url),
    })
}

/// [`diagnose`] as plain logic: the error chain, whether reqwest called it a connect error,
/// the host and the proxy in use.
pub fn diagnose_chain(
    error: &(dyn std::error::Error + 'static),
    connect: bool,
    host: String,
    proxy: Option<String>,
) -> Option<Blocked> {
    let chain = error_chain(error);
    if let Some(reason) = chain.iter().find_map(|e| untrusted_reason(*e)) {
        return Some(Blocked::Untrusted {
            host,
            proxy,
            reason,
        });
    }
    let said = |words: &str| chain.iter().any(|e| e.to_string().contains(words));
    let proxy = proxy?;
    // hyper-util's tunnel errors are not public types; their texts are stable.
    if said("proxy authorization required") {
        return Some(Blocked::ProxyAuthentication { proxy, host });
    }
    if said("tunnel error: unsuccessful") {
        return Some(Blocked::ProxyRefused { proxy, host });
    }
    // With a proxy in use, the only connection NumberDesk opens is to the proxy.
    if connect {
        return Some(Blocked::ProxyUnreachable { proxy, host });
    }
    None
}

/// Every error in the chain, including those an `io::Error` wraps (whose `source` skips them;
/// a TLS failure arrives as an `io::Error` inside an `io::Error`).
fn error_chain<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut chain = Vec::new();
    let mut pending = vec![error];
    while let Some(current) = pending.pop() {
        if chain.len() >= 32 {
            break;
        }
        chain.push(current);
        if let Some(next) = current.source() {
            pending.push(next);
        }
        if let Some(inner) = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            let inner: &(dyn std::error::Error + 'static) = inner;
            pending.push(inner);
        }
    }
    chain
}

/// Why rustls (with the OS verifier) refused the certificate, in words.
fn untrusted_reason(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(certificate) = error.downcast_ref::<rustls::Error>()?
    else {
        return None;
    };
    Some(match certificate {
        C::UnknownIssuer => "it is signed by an authority this computer does not trust",
        C::NotValidForName | C::NotValidForNameContext { .. } => "it is made out for another name",
        C::Expired | C::ExpiredContext { .. } => "it has expired",
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "it is not valid yet; check this computer's date and time"
        }
        C::Revoked => "it has been revoked",
        C::BadSignature => "its signature is wrong",
        _ => "the operating system did not accept it",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As hyper-rustls reports it: an `io::Error` inside an `io::Error`.
    fn tls_failure(certificate: rustls::CertificateError) -> std::io::Error {
        std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(certificate),
        ))
    }

    #[test]
    fn an_untrusted_certificate_is_found_inside_an_io_error_with_or_without_a_proxy() {
        let error = tls_failure(rustls::CertificateError::UnknownIssuer);
        let blocked = diagnose_chain(&error, true, "graph.microsoft.com".into(), None).unwrap();
        assert_eq!(
            blocked,
            Blocked::Untrusted {
                host: "graph.microsoft.com".into(),
                proxy: None,
                reason: "it is signed by an authority this computer does not trust",
            }
        );
        assert!(!blocked.retry_may_help());
        let via = diagnose_chain(
            &tls_failure(rustls::CertificateError::Expired),
            true,
            "login.microsoftonline.com".into(),
            Some("proxy.contoso.com:8080".into()),
        )
        .unwrap();
        assert_eq!(
            via,
            Blocked::Untrusted {
                host: "login.microsoftonline.com".into(),
                proxy: Some("proxy.contoso.com:8080".into()),
                reason: "it has expired",
            }
        );
    }

    #[test]
    fn connect_errors_blame_the_proxy_only_when_one_is_in_use() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            diagnose_chain(&refused, true, "graph.microsoft.com".into(), None),
            None,
            "without a proxy the caller's own words apply"
        );
        let blocked = diagnose_chain(
            &refused,
            true,
            "graph.microsoft.com".into(),
            Some("10.0.0.8:3128".into()),
        )
        .unwrap();
        assert!(blocked.retry_may_help());
        assert!(matches!(blocked, Blocked::ProxyUnreachable { .. }));
        assert_eq!(
            diagnose_chain(&refused, false, "h".into(), Some("p:1".into())),
            None,
            "an error after connecting is not the proxy's"
        );
    }

    #[test]
    fn a_407_names_the_proxy_and_is_not_worth_retrying() {
        let blocked = blocked_by_status(407, "http://127.0.0.1:4100/x").unwrap();
        assert!(!blocked.retry_may_help());
        assert_eq!(
            blocked,
            Blocked::ProxyAuthentication {
                proxy: "on the way".into(),
                host: "127.0.0.1:4100".into(),
            }
        );
        assert_eq!(blocked_by_status(403, "http://127.0.0.1:4100/x"), None);
    }

    #[test]
    fn hosts_are_shown_with_their_port_only_when_it_is_not_the_default() {
        assert_eq!(
            host_of("https://graph.microsoft.com/v1.0/x"),
            "graph.microsoft.com"
        );
        assert_eq!(host_of("https://127.0.0.1:4443/token"), "127.0.0.1:4443");
    }

    #[test]
    fn only_plain_http_to_this_computer_skips_the_proxy() {
        assert!(direct_only("http://127.0.0.1:4100/token"));
        assert!(direct_only("http://localhost:4100"));
        assert!(direct_only("http://[::1]:4100"));
        assert!(
            !direct_only("https://127.0.0.1:4100"),
            "https is tunnelled, tokens stay sealed"
        );
        assert!(!direct_only("http://10.0.0.5:4100"));
        assert!(!direct_only("https://graph.microsoft.com"));
        assert_eq!(proxy_for("http://127.0.0.1:4100/x"), None);
    }

    #[test]
    fn a_client_is_built_with_the_os_verifier() {
        assert!(http_client(Duration::from_secs(5)).is_ok());
    }
}
