//! The Microsoft clouds NumberDesk can talk to, and custom endpoints for tests and the demo.
//!
//! Each national cloud has its own sign-in authority and Graph root, and tokens from one are not
//! accepted by another. Microsoft documents the Teams telephone-number API for the Global cloud
//! only, so every cloud also says whether the API is there: the UI warns before an admin of
//! another cloud signs in, instead of letting them meet an obscure failure later.

use serde::Serialize;
use std::net::IpAddr;
use url::{Host, Url};

/// Which cloud a tenant lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CloudId {
    /// Worldwide Microsoft 365, including GCC (moderate).
    Global,
    /// US Government L4 (GCC High).
    UsGovL4,
    /// US Government L5 (DoD).
    UsGovL5,
    /// China, operated by 21Vianet.
    China,
    /// Endpoints given by the test hooks.
    Custom,
    /// The built-in demo tenant: simulated on this computer, on ports that change every launch.
    Demo,
}

impl CloudId {
    /// The cloud's short, stable name, as serde writes it (`global`, `usGovL4`, `demo`, …):
    /// what a kept list is stamped with.
    pub fn as_str(self) -> &'static str {
        match self {
            CloudId::Global => "global",
            CloudId::UsGovL4 => "usGovL4",
            CloudId::UsGovL5 => "usGovL5",
            CloudId::China => "china",
            CloudId::Custom => "custom",
            CloudId::Demo => "demo",
        }
    }
}

/// A cloud: where to sign in and where Graph lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cloud {
    pub id: CloudId,
    /// The sign-in authority root, without a trailing slash (`https://login.microsoftonline.com`).
    pub login_url: Url,
    /// The Graph root, without a trailing slash and without `/v1.0` (`https://graph.microsoft.com`).
    pub graph_url: Url,
}

/// An endpoint given by the admin or a test hook that NumberDesk will not use.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    #[error("“{0}” is not a web address")]
    NotAUrl(String),
    #[error(
        "“{0}” uses plain http on a host other than this computer; only https is allowed there"
    )]
    InsecureRemote(String),
    #[error("“{0}” must start with https:// (or http:// for this computer only)")]
    UnsupportedScheme(String),
    #[error("“{0}” must be just a scheme, host and port, with no user name, query or fragment")]
    ExtraParts(String),
}

impl Cloud {
    /// One of Microsoft's clouds (not `Custom`).
    pub fn microsoft(id: CloudId) -> Option<Cloud> {
        let (login, graph) = match id {
            CloudId::Global => (
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
            ),
            CloudId::UsGovL4 => (
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
            ),
            CloudId::UsGovL5 => (
                "https://login.microsoftonline.us",
                "https://dod-graph.microsoft.us",
            ),
            CloudId::China => (
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn",
            ),
            CloudId::Custom | CloudId::Demo => return None,
        };
        Some(Cloud {
            id,
            login_url: Url::parse(login).ok()?,
            graph_url: Url::parse(graph).ok()?,
        })
    }

    /// Custom endpoints (test hooks, the demo tenant). Plain `http` only for loopback hosts.
    pub fn custom(login_url: &str, graph_url: &str) -> Result<Cloud, EndpointError> {
        Ok(Cloud {
            id: CloudId::Custom,
            login_url: validate_endpoint(login_url)?,
            graph_url: validate_endpoint(graph_url)?,
        })
    }

    /// The built-in demo tenant at the addresses it got this launch.
    pub fn demo(login_url: &str, graph_url: &str) -> Result<Cloud, EndpointError> {
        Ok(Cloud {
            id: CloudId::Demo,
            ..Cloud::custom(login_url, graph_url)?
        })
    }

    /// Whether a session saved for `other` may be used here. The demo tenant moves to new
    /// ports at every launch, so for it only the kind counts; elsewhere the endpoints must match.
    pub fn same_service_as(&self, other: &Cloud) -> bool {
        match (self.id, other.id) {
            (CloudId::Demo, CloudId::Demo) => true,
            (a, b) => {
                a == b
                    && self.login_root() == other.login_root()
                    && self.graph_root() == other.graph_root()
            }
        }
    }

    /// A human name for the cloud, as Microsoft's docs call it.
    pub fn display_name(&self) -> &'static str {
        match self.id {
            CloudId::Global => "Global (worldwide)",
            CloudId::UsGovL4 => "US Government L4 (GCC High)",
            CloudId::UsGovL5 => "US Government L5 (DoD)",
            CloudId::China => "China (21Vianet)",
            CloudId::Custom => "Custom endpoints",
            CloudId::Demo => "Demo tenant (simulated on this computer)",
        }
    }

    /// Whether Microsoft offers the Teams telephone-number API in this cloud (Global only;
    /// custom endpoints are assumed to serve it, as the demo tenant does).
    pub fn telephone_numbers_available(&self) -> bool {
        matches!(self.id, CloudId::Global | CloudId::Custom | CloudId::Demo)
    }

    /// Whether both endpoints are Microsoft's own, so the UI can warn when they are not.
    pub fn is_microsoft(&self) -> bool {
        !matches!(self.id, CloudId::Custom | CloudId::Demo)
    }

    /// A Graph permission as this cloud's sign-in authority expects it in `scope`,
    /// e.g. `https://graph.microsoft.us/TeamsTelephoneNumber.ReadWrite.All`.
    pub fn scope(&self, permission: &str) -> String {
        format!("{}/{}", origin(&self.graph_url), permission)
    }

    /// The sign-in authority root as text, without a trailing slash.
    pub fn login_root(&self) -> String {
        origin(&self.login_url)
    }

    /// The Graph root as text, without a trailing slash.
    pub fn graph_root(&self) -> String {
        origin(&self.graph_url)
    }
}

fn origin(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// Checks an endpoint root: https anywhere, http only on this computer, nothing but
/// scheme, host, port and an optional path prefix.
pub fn validate_endpoint(raw: &str) -> Result<Url, EndpointError> {
    let trimmed = raw.trim();
    let url = Url::parse(trimmed).map_err(|_| EndpointError::NotAUrl(trimmed.to_owned()))?;
    if url.cannot_be_a_base()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(EndpointError::ExtraParts(trimmed.to_owned()));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(EndpointError::InsecureRemote(trimmed.to_owned())),
        _ => Err(EndpointError::UnsupportedScheme(trimmed.to_owned())),
    }
}

/// True when the URL's host is this computer: `localhost`, 127.0.0.0/8 or ::1.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_clouds_have_their_own_roots_and_scope_prefixes() {
        let l4 = Cloud::microsoft(CloudId::UsGovL4).unwrap();
        assert_eq!(
            l4.scope("TeamsTelephoneNumber.ReadWrite.All"),
            "https://graph.microsoft.us/TeamsTelephoneNumber.ReadWrite.All"
        );
        let l5 = Cloud::microsoft(CloudId::UsGovL5).unwrap();
        assert_eq!(l5.graph_root(), "https://dod-graph.microsoft.us");
        assert_eq!(l5.login_root(), "https://login.microsoftonline.us");
        let china = Cloud::microsoft(CloudId::China).unwrap();
        assert_eq!(
            china.graph_root(),
            "https://microsoftgraph.chinacloudapi.cn"
        );
        assert!(Cloud::microsoft(CloudId::Custom).is_none());
        assert!(Cloud::microsoft(CloudId::Demo).is_none());
    }

    #[test]
    fn only_global_offers_the_telephone_number_api() {
        for (id, available) in [
            (CloudId::Global, true),
            (CloudId::UsGovL4, false),
            (CloudId::UsGovL5, false),
            (CloudId::China, false),
        ] {
            assert_eq!(
                Cloud::microsoft(id).unwrap().telephone_numbers_available(),
                available,
                "{id:?}"
            );
        }
    }

    #[test]
    fn a_saved_session_matches_the_demo_on_any_port_but_custom_endpoints_exactly() {
        let demo1 = Cloud::demo("http://127.0.0.1:4100", "http://127.0.0.1:4101").unwrap();
        let demo2 = Cloud::demo("http://127.0.0.1:5100", "http://127.0.0.1:5101").unwrap();
        assert!(demo1.same_service_as(&demo2));
        assert!(!demo1.is_microsoft());
        let custom1 = Cloud::custom("http://127.0.0.1:4100", "http://127.0.0.1:4101").unwrap();
        let custom2 = Cloud::custom("http://127.0.0.1:5100", "http://127.0.0.1:5101").unwrap();
        assert!(!custom1.same_service_as(&custom2));
        assert!(custom1.same_service_as(&custom1.clone()));
        assert!(!demo1.same_service_as(&custom1));
        let global = Cloud::microsoft(CloudId::Global).unwrap();
        assert!(global.same_service_as(&Cloud::microsoft(CloudId::Global).unwrap()));
        assert!(!global.same_service_as(&Cloud::microsoft(CloudId::UsGovL4).unwrap()));
    }

    #[test]
    fn custom_endpoints_allow_http_only_on_loopback() {
        let ok = Cloud::custom("http://127.0.0.1:4100", "http://localhost:4101/").unwrap();
        assert_eq!(ok.graph_root(), "http://localhost:4101");
        assert!(!ok.is_microsoft());
        assert!(Cloud::custom("http://[::1]:80", "https://graph.example.org").is_ok());
        assert_eq!(
            Cloud::custom("http://10.0.0.5:4100", "http://127.0.0.1:1"),
            Err(EndpointError::InsecureRemote("http://10.0.0.5:4100".into()))
        );
        assert!(matches!(
            validate_endpoint("ftp://127.0.0.1"),
            Err(EndpointError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            validate_endpoint("https://user:pw@graph.example.org"),
            Err(EndpointError::ExtraParts(_))
        ));
        assert!(matches!(
            validate_endpoint("https://graph.example.org/?x=1"),
            Err(EndpointError::ExtraParts(_))
        ));
        assert!(matches!(
            validate_endpoint("graph"),
            Err(EndpointError::NotAUrl(_))
        ));
        // A host that merely starts with "localhost" is not this computer.
        assert!(matches!(
            validate_endpoint("http://localhost.example.org"),
            Err(EndpointError::InsecureRemote(_))
        ));
    }
}
