//! The way to Microsoft in plain words: what stopped a request on the way (the proxy, an
//! untrusted certificate) and what to tell IT, naming where this system keeps the setting.

use super::{Problem, ProblemKind};
use crate::net::{Blocked, Platform};

/// What the admin reads on `platform` (each platform's wording is tested on any machine).
pub fn blocked_on(blocked: &Blocked, platform: Platform) -> Problem {
    match blocked {
        Blocked::ProxyUnreachable { proxy, host } => Problem::new(
            ProblemKind::ProxyUnreachable,
            format!(
                "NumberDesk could not connect to the proxy server {proxy}, which this computer is set to use for {host}. Nothing was sent."
            ),
            format!(
                "If you are away from the office, connect to your organisation's VPN and try again. If it keeps happening, tell IT: “NumberDesk cannot reach the proxy {proxy} set in {}.”",
                platform.proxy_settings()
            ),
        ),
        Blocked::ProxyAuthentication { proxy, host } => Problem::new(
            ProblemKind::ProxyAuthentication,
            format!(
                "The proxy server {proxy} asked NumberDesk to sign in to it (407 Proxy Authentication Required), so nothing was sent to {host}."
            ),
            format!(
                "Tell IT: “The proxy {proxy} answers 407 to NumberDesk. Please let NumberDesk reach {host} without a proxy sign-in.” NumberDesk cannot sign in to a proxy with your {} account.",
                platform.account_name()
            ),
        ),
        Blocked::ProxyRefused { proxy, host } => Problem::new(
            ProblemKind::ProxyRefused,
            format!("The proxy server {proxy} refused to connect NumberDesk to {host}, so nothing was sent."),
            format!("Tell IT: “Please allow {host} through the proxy {proxy} for NumberDesk.”"),
        ),
        Blocked::Untrusted { host, proxy, reason } => Problem::new(
            ProblemKind::TlsUntrusted,
            format!(
                "NumberDesk stopped before sending anything: the secure connection to {host}{} is being intercepted, or its certificate is not trusted by this computer ({reason}).",
                proxy
                    .as_deref()
                    .map(|p| format!(" (through the proxy {p})"))
                    .unwrap_or_default()
            ),
            format!(
                "If your organisation inspects encrypted traffic, tell IT: “NumberDesk trusts the certificates this computer trusts; please install our inspection root certificate in {}.” Otherwise do not sign in on this network: someone may be listening in.",
                platform.trust_store()
            ),
        ),
    }
}

impl From<&Blocked> for Problem {
    /// What the admin reads on this computer.
    fn from(blocked: &Blocked) -> Problem {
        blocked_on(blocked, Platform::current())
    }
}

impl From<Blocked> for Problem {
    fn from(blocked: Blocked) -> Problem {
        Problem::from(&blocked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::blocked_by_status;

    #[test]
    fn an_untrusted_certificate_says_where_and_why_and_what_to_ask_it_for() {
        let via = Blocked::Untrusted {
            host: "login.microsoftonline.com".into(),
            proxy: Some("proxy.contoso.com:8080".into()),
            reason: "it has expired",
        };
        let problem = blocked_on(&via, Platform::Windows);
        assert_eq!(problem.kind, ProblemKind::TlsUntrusted);
        assert!(problem
            .message
            .contains("through the proxy proxy.contoso.com:8080"));
        assert!(problem.message.contains("it has expired"));
        assert!(problem
            .hint
            .contains("Trusted Root Certification Authorities"));
    }

    #[test]
    fn a_proxy_that_cannot_be_reached_is_named_as_such() {
        let blocked = Blocked::ProxyUnreachable {
            proxy: "10.0.0.8:3128".into(),
            host: "graph.microsoft.com".into(),
        };
        assert_eq!(
            blocked_on(&blocked, Platform::Linux).kind,
            ProblemKind::ProxyUnreachable
        );
    }

    #[test]
    fn each_platform_names_its_own_settings() {
        let unreachable = Blocked::ProxyUnreachable {
            proxy: "proxy.contoso.com:8080".into(),
            host: "graph.microsoft.com".into(),
        };
        for (platform, place) in [
            (Platform::Windows, "Settings › Network & internet › Proxy"),
            (
                Platform::MacOs,
                "System Settings › Network › Details › Proxies",
            ),
            (Platform::Linux, "HTTPS_PROXY"),
        ] {
            let problem = blocked_on(&unreachable, platform);
            assert!(
                problem.hint.contains(place),
                "{platform:?}: {}",
                problem.hint
            );
            assert!(problem.hint.contains("tell IT"));
            assert!(problem.message.contains("proxy.contoso.com:8080"));
        }
        let untrusted = Blocked::Untrusted {
            host: "graph.microsoft.com".into(),
            proxy: None,
            reason: "x",
        };
        assert!(blocked_on(&untrusted, Platform::MacOs)
            .hint
            .contains("System keychain"));
        assert!(blocked_on(&untrusted, Platform::Linux)
            .hint
            .contains("update-ca-certificates"));
    }

    #[test]
    fn a_407_names_the_proxy_and_is_not_worth_retrying() {
        let blocked = blocked_by_status(407, "http://127.0.0.1:4100/x").unwrap();
        assert!(!blocked.retry_may_help());
        let problem = blocked_on(&blocked, Platform::Windows);
        assert_eq!(problem.kind, ProblemKind::ProxyAuthentication);
        assert!(problem.message.contains("407"));
        assert!(problem.message.contains("127.0.0.1:4100"));
        assert!(problem.hint.contains("Windows account"));
        assert_eq!(blocked_by_status(403, "http://127.0.0.1:4100/x"), None);
    }
}
