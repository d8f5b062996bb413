//! App registrations in the fake tenant: the objects "Set up for my organization" creates, the
//! Microsoft clients it signs in through, and who may do what with them.
//!
//! Modelled on Microsoft's documentation of `application`, `servicePrincipal` and
//! `oauth2PermissionGrant` (Graph v1.0), of admin consent, and of the default user permissions:
//!
//! - **Bootstrap clients.** Microsoft's own public clients (the Azure CLI's and Azure
//!   PowerShell's) exist in every tenant, are multi-tenant, and are pre-authorized for a set of
//!   Microsoft Graph delegated permissions: `https://graph.microsoft.com/.default` through them
//!   gives a token with those scopes, without any consent prompt. What the signed-in person may
//!   then do is decided by their directory roles, as in Entra (a delegated token is never more
//!   than its user).
//! - **Microsoft Graph's service principal** (`appId` `00000003-0000-0000-c000-000000000000`)
//!   publishes its delegated permissions as `oauth2PermissionScopes`. Their ids here are the
//!   sim's own (derived from the names), so a client that hard-codes Microsoft's ids fails here
//!   as it should: clients must resolve them by name.
//! - **Creating apps.** `POST /applications` is allowed when the tenant setting "Users can
//!   register applications" is on, or for the roles that may create apps (Application
//!   Developer, Application Administrator, Cloud Application Administrator, Global
//!   Administrator). The demo tenant has the setting **off** (a common hardening), so its three
//!   setup accounts differ: Megan Bowen (Cloud Application Administrator) can do everything,
//!   Lee Gu (Application Developer) can register but not consent, Diego Siciliani can do
//!   neither.
//! - **Tenant-wide consent** (`consentType: AllPrincipals`) needs Global Administrator,
//!   Privileged Role Administrator, Cloud Application Administrator or Application Administrator.
//! - **Replication.** A new application or service principal is not visible everywhere at once:
//!   for [`Apps::replication_delay`] after its creation it is not listed, a service principal
//!   cannot be created for it, grants cannot name it, and sign-ins through it fail with
//!   `AADSTS700016`, as Microsoft documents for its eventually consistent directory.
//! - **Sign-in with a created app** follows its registration: single tenant (`AzureADMyOrg`)
//!   refuses `organizations`/`common` with `AADSTS50194`; only its registered public-client
//!   redirect URIs are accepted (the port of `http://localhost` is ignored); the device-code
//!   grant needs "Allow public client flows" (`isFallbackPublicClient`); its permissions are
//!   those granted to its service principal.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

use super::directory::SimUser;
use super::DEMO_CLIENT_ID;

/// The Azure CLI's public client, one of Microsoft's first-party apps in every tenant.
pub const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/// Azure PowerShell's public client.
pub const AZURE_POWERSHELL_CLIENT_ID: &str = "1950a258-227b-4e31-a9cf-717495945fc2";
/// Microsoft Graph's application id, the same in every tenant and cloud.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Microsoft Graph's delegated permissions this tenant knows: (name, admin consent needed).
pub(crate) const GRAPH_PERMISSIONS: &[(&str, bool)] = &[
    ("openid", false),
    ("profile", false),
    ("offline_access", false),
    ("email", false),
    ("User.Read", false),
    ("User.ReadBasic.All", false),
    ("User.Read.All", true),
    ("TeamsTelephoneNumber.Read.All", true),
    ("TeamsTelephoneNumber.ReadWrite.All", true),
    ("Application.Read.All", true),
    ("Application.ReadWrite.All", true),
    ("DelegatedPermissionGrant.ReadWrite.All", true),
    ("Directory.Read.All", true),
    ("Directory.AccessAsUser.All", true),
];

/// What the bootstrap clients are pre-authorized for in Microsoft Graph.
pub(crate) const BOOTSTRAP_SCOPES: &[&str] = &[
    "User.Read",
    "Application.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.AccessAsUser.All",
];

/// Roles that may create app registrations when users may not.
const MAY_REGISTER: &[&str] = &[
    "Application Developer",
    "Application Administrator",
    "Cloud Application Administrator",
    "Global Administrator",
];
/// Roles that may grant tenant-wide consent to delegated permissions.
pub const MAY_CONSENT: &[&str] = &[
    "Cloud Application Administrator",
    "Application Administrator",
    "Privileged Role Administrator",
    "Global Administrator",
];

/// The service principals every tenant has (appId, displayName): not made by anyone in it, so
/// regenerated rather than saved (see `persist.rs`).
const BUILTIN_SERVICE_PRINCIPALS: &[(&str, &str)] = &[
    (GRAPH_APP_ID, "Microsoft Graph"),
    (AZURE_CLI_CLIENT_ID, "Microsoft Azure CLI"),
    (AZURE_POWERSHELL_CLIENT_ID, "Microsoft Azure PowerShell"),
    (DEMO_CLIENT_ID, "NumberDesk (demo)"),
];

/// Whether `sp` is one of the service principals every tenant has.
pub(crate) fn is_builtin(sp: &SimServicePrincipal) -> bool {
    BUILTIN_SERVICE_PRINCIPALS
        .iter()
        .any(|(app_id, _)| sp.app_id.eq_ignore_ascii_case(app_id))
}

/// The id of one of Graph's permission scopes, as this tenant publishes it.
pub fn graph_scope_id(name: &str) -> String {
    let digest = Sha256::digest(format!("sim-graph-scope|{name}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// The name of one of Graph's permission scopes from its id.
pub(crate) fn graph_scope_name(id: &str) -> Option<&'static str> {
    GRAPH_PERMISSIONS
        .iter()
        .map(|(name, _)| *name)
        .find(|name| graph_scope_id(name).eq_ignore_ascii_case(id))
}

/// One entry of `requiredResourceAccess`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceAccess {
    pub resource_app_id: String,
    /// (id, type) pairs: type `Scope` (delegated) or `Role` (application).
    pub access: Vec<(String, String)>,
}

/// An app registration (`application`).
#[derive(Debug, Clone)]
pub struct SimApplication {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub sign_in_audience: String,
    pub public_client_redirect_uris: Vec<String>,
    pub is_fallback_public_client: Option<bool>,
    pub required_resource_access: Vec<ResourceAccess>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub owner_id: String,
    pub created_wall: SystemTime,
    /// When it was created, for the replication delay; `None` when this process's clock cannot
    /// express it (restored from a state file, created before this machine booted): long ago.
    pub(crate) created: Option<Instant>,
}

/// A service principal (an app's instance in this tenant).
#[derive(Debug, Clone)]
pub struct SimServicePrincipal {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    /// When it was created, for the replication delay; `None` for the service principals every
    /// tenant has, and for those created before this machine booted (restored from a state file).
    pub(crate) created: Option<Instant>,
}

/// A delegated permission grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimPermissionGrant {
    pub id: String,
    pub client_id: String,
    pub consent_type: String,
    pub principal_id: Option<String>,
    pub resource_id: String,
    pub scope: String,
}

/// The app registrations, service principals and grants of the tenant, and its app settings.
#[derive(Debug)]
pub struct Apps {
    pub applications: Vec<SimApplication>,
    pub service_principals: Vec<SimServicePrincipal>,
    pub grants: Vec<SimPermissionGrant>,
    /// "Users can register applications" (Entra ID › User settings). Off in the demo tenant.
    pub users_can_register_apps: bool,
    /// How long a new application or service principal stays invisible (default 0).
    pub replication_delay: Duration,
    /// Conditional Access blocks sign-ins through the bootstrap clients (`AADSTS53003`).
    pub bootstrap_blocked: bool,
}

impl Apps {
    pub fn new(tenant_id: &str) -> Apps {
        let sp = |app_id: &str, name: &str| SimServicePrincipal {
            id: derived_guid(&format!("{tenant_id}|sp|{app_id}")),
            app_id: app_id.to_string(),
            display_name: name.to_string(),
            created: None,
        };
        Apps {
            applications: Vec::new(),
            service_principals: BUILTIN_SERVICE_PRINCIPALS
                .iter()
                .map(|(app_id, name)| sp(app_id, name))
                .collect(),
            grants: Vec::new(),
            users_can_register_apps: false,
            replication_delay: Duration::ZERO,
            bootstrap_blocked: false,
        }
    }

    fn replicated(&self, created: Option<Instant>, now: Instant) -> bool {
        created.is_none_or(|at| now.saturating_duration_since(at) >= self.replication_delay)
    }

    /// An application visible now, by `appId`.
    pub fn application_by_app_id(&self, app_id: &str, now: Instant) -> Option<&SimApplication> {
        self.applications
            .iter()
            .find(|a| a.app_id.eq_ignore_ascii_case(app_id) && self.replicated(a.created, now))
    }

    /// Applications visible now.
    pub fn visible_applications(&self, now: Instant) -> impl Iterator<Item = &SimApplication> {
        self.applications
            .iter()
            .filter(move |a| self.replicated(a.created, now))
    }

    /// Service principals visible now.
    pub fn visible_service_principals(
        &self,
        now: Instant,
    ) -> impl Iterator<Item = &SimServicePrincipal> {
        self.service_principals
            .iter()
            .filter(move |sp| self.replicated(sp.created, now))
    }

    pub fn service_principal(&self, id: &str, now: Instant) -> Option<&SimServicePrincipal> {
        self.visible_service_principals(now)
            .find(|sp| sp.id.eq_ignore_ascii_case(id))
    }

    pub fn service_principal_for(
        &self,
        app_id: &str,
        now: Instant,
    ) -> Option<&SimServicePrincipal> {
        self.visible_service_principals(now)
            .find(|sp| sp.app_id.eq_ignore_ascii_case(app_id))
    }

    pub fn graph_service_principal_id(&self) -> String {
        self.service_principals
            .iter()
            .find(|sp| sp.app_id == GRAPH_APP_ID)
            .map(|sp| sp.id.clone())
            .unwrap_or_default()
    }

    /// The Graph permissions granted tenant-wide to the app `app_id` (through its service
    /// principal), plus those granted to `user_id` alone.
    pub fn granted_to(&self, app_id: &str, user_id: Option<&str>, now: Instant) -> Granted {
        let graph = self.graph_service_principal_id();
        let Some(sp) = self.service_principal_for(app_id, now) else {
            return Granted::default();
        };
        let mut granted = Granted::default();
        for grant in self.grants.iter().filter(|g| {
            g.client_id == sp.id
                && g.resource_id == graph
                && (g.consent_type == "AllPrincipals"
                    || user_id.is_some_and(|u| g.principal_id.as_deref() == Some(u)))
        }) {
            for name in grant.scope.split_whitespace() {
                if let Some((known, _)) = GRAPH_PERMISSIONS
                    .iter()
                    .find(|(p, _)| p.eq_ignore_ascii_case(name))
                {
                    granted.0.insert(known);
                }
            }
        }
        granted
    }
}

/// A stable GUID made from `text` (ids of the objects every tenant has).
fn derived_guid(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// Which delegated permissions an administrator has granted (admin consent) in the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent {
    /// `TeamsTelephoneNumber.ReadWrite.All` (and `.Read.All`). Without it sign-in ends in
    /// `AADSTS90094` (admin consent required).
    pub teams_telephone_number: bool,
    /// `User.ReadBasic.All`. Without it, asking for it ends in `AADSTS65001`.
    pub user_read_basic_all: bool,
    /// `User.Read.All` (`accountEnabled`, `assignedPlans`, deleted users: the leavers lens).
    /// Granted by default so the demo shows the lens; without it, asking ends in `AADSTS65001`.
    pub user_read_all: bool,
}

impl Default for Consent {
    fn default() -> Self {
        Self {
            teams_telephone_number: true,
            user_read_basic_all: true,
            user_read_all: true,
        }
    }
}

/// Entra's rule for native clients: `http` only to a loopback host, any port (RFC 8252: the
/// port is ignored when matching), any path; nothing else is registered for the demo app.
pub(crate) fn redirect_uri_allowed(uri: &str) -> bool {
    let Ok(parsed) = url::Url::parse(uri) else {
        return false;
    };
    parsed.scheme() == "http"
        && matches!(parsed.host_str(), Some("localhost") | Some("127.0.0.1"))
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && parsed.fragment().is_none()
}

/// Graph permissions a client may have in a token without asking anyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Granted(pub BTreeSet<&'static str>);

impl Granted {
    pub fn granted(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s.eq_ignore_ascii_case(scope))
    }
}

impl From<&Consent> for Granted {
    /// The demo app registration: what the tenant's consent knob says, and `User.Read`, which
    /// every app registration starts with.
    fn from(consent: &Consent) -> Granted {
        let mut set = BTreeSet::from(["User.Read"]);
        if consent.teams_telephone_number {
            set.extend([
                "TeamsTelephoneNumber.ReadWrite.All",
                "TeamsTelephoneNumber.Read.All",
            ]);
        }
        if consent.user_read_basic_all {
            set.insert("User.ReadBasic.All");
        }
        if consent.user_read_all {
            set.insert("User.Read.All");
        }
        Granted(set)
    }
}

/// How a client may sign in, from its registration.
#[derive(Debug, Clone)]
pub(crate) struct ClientInfo {
    pub display_name: String,
    pub multi_tenant: bool,
    /// "Allow public client flows": the device-code grant.
    pub public_client_flows: bool,
    /// Registered public-client redirect URIs; `None` for clients that take any loopback one.
    pub redirect_uris: Option<Vec<String>>,
    pub bootstrap: bool,
    pub granted: Granted,
}

impl ClientInfo {
    /// Whether `uri` is one of the registered redirect URIs (the port of a loopback one is
    /// ignored, RFC 8252 §7.3).
    pub fn redirect_registered(&self, uri: &str) -> bool {
        if !redirect_uri_allowed(uri) {
            return false;
        }
        let Some(registered) = &self.redirect_uris else {
            return true;
        };
        let Ok(asked) = url::Url::parse(uri) else {
            return false;
        };
        registered.iter().any(|r| {
            url::Url::parse(r).is_ok_and(|r| {
                r.scheme() == asked.scheme()
                    && r.host_str() == asked.host_str()
                    && r.path().trim_end_matches('/') == asked.path().trim_end_matches('/')
            })
        })
    }
}

/// The client `client_id` as Entra sees it now, if the tenant knows it.
pub(crate) fn client(
    state: &super::State,
    client_id: &str,
    user_id: Option<&str>,
    now: Instant,
) -> Option<ClientInfo> {
    if client_id.eq_ignore_ascii_case(DEMO_CLIENT_ID) {
        return Some(ClientInfo {
            display_name: "NumberDesk".into(),
            multi_tenant: state.auth.multi_tenant_app,
            public_client_flows: true,
            redirect_uris: None,
            bootstrap: false,
            granted: Granted::from(&state.auth.consent),
        });
    }
    if [AZURE_CLI_CLIENT_ID, AZURE_POWERSHELL_CLIENT_ID]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(client_id))
    {
        let name = if client_id.eq_ignore_ascii_case(AZURE_CLI_CLIENT_ID) {
            "Microsoft Azure CLI"
        } else {
            "Microsoft Azure PowerShell"
        };
        return Some(ClientInfo {
            display_name: name.into(),
            multi_tenant: true,
            public_client_flows: true,
            redirect_uris: None,
            bootstrap: true,
            granted: Granted(BOOTSTRAP_SCOPES.iter().copied().collect()),
        });
    }
    let app = state.apps.application_by_app_id(client_id, now)?;
    Some(ClientInfo {
        display_name: app.display_name.clone(),
        multi_tenant: app.sign_in_audience != "AzureADMyOrg",
        public_client_flows: app.is_fallback_public_client == Some(true),
        redirect_uris: Some(app.public_client_redirect_uris.clone()),
        bootstrap: false,
        granted: state.apps.granted_to(client_id, user_id, now),
    })
}

/// Whether `user` may create app registrations in a tenant with `apps`' settings.
pub(crate) fn may_register(apps: &Apps, user: &SimUser) -> bool {
    apps.users_can_register_apps || has_role(user, MAY_REGISTER)
}

/// Whether `user` may grant tenant-wide consent.
pub(crate) fn may_consent(user: &SimUser) -> bool {
    has_role(user, MAY_CONSENT)
}

/// Whether `user` may manage every app (not only those they own).
pub(crate) fn app_admin(user: &SimUser) -> bool {
    has_role(
        user,
        &[
            "Application Administrator",
            "Cloud Application Administrator",
            "Global Administrator",
        ],
    )
}

fn has_role(user: &SimUser, roles: &[&str]) -> bool {
    user.roles.iter().any(|r| roles.contains(&r.as_str()))
}

/// The directory roles of the setup accounts (see the module documentation).
pub(crate) fn give_setup_roles(users: &mut [SimUser]) {
    for user in users.iter_mut() {
        let extra: &[&str] = match user.user_principal_name.as_str() {
            super::ADMIN_UPN => &["Cloud Application Administrator"],
            super::DEVELOPER_UPN => &["Teams Telephony Administrator", "Application Developer"],
            _ => &[],
        };
        for role in extra {
            if !user.roles.iter().any(|r| r == role) {
                user.roles.push(role.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_redirects_are_allowed() {
        for ok in [
            "http://localhost",
            "http://localhost:53117/",
            "http://localhost/callback",
            "http://127.0.0.1:1234/auth/done?x=1",
        ] {
            assert!(redirect_uri_allowed(ok), "{ok}");
        }
        for bad in [
            "https://localhost/",
            "http://example.com/",
            "http://[::1]:1234/",
            "http://localhost.evil.com/",
            "http://user@localhost/",
            "not a url",
            "ms-app://x",
        ] {
            assert!(!redirect_uri_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn graph_scope_ids_are_stable_distinct_and_read_back() {
        let ids: BTreeSet<String> = GRAPH_PERMISSIONS
            .iter()
            .map(|(n, _)| graph_scope_id(n))
            .collect();
        assert_eq!(ids.len(), GRAPH_PERMISSIONS.len());
        let id = graph_scope_id("TeamsTelephoneNumber.ReadWrite.All");
        assert_eq!(id, graph_scope_id("TeamsTelephoneNumber.ReadWrite.All"));
        assert_eq!(
            graph_scope_name(&id.to_uppercase()),
            Some("TeamsTelephoneNumber.ReadWrite.All")
        );
        assert!(uuid::Uuid::try_parse(&id).is_ok());
    }

    #[test]
    fn loopback_redirects_match_whatever_the_port() {
        let info = ClientInfo {
            display_name: "x".into(),
            multi_tenant: false,
            public_client_flows: true,
            redirect_uris: Some(vec!["http://localhost".into()]),
            bootstrap: false,
            granted: Granted::default(),
        };
        assert!(info.redirect_registered("http://localhost:51234/"));
        assert!(info.redirect_registered("http://localhost"));
        assert!(!info.redirect_registered("http://127.0.0.1:51234/"));
        assert!(!info.redirect_registered("http://localhost:1/callback"));
        let none = ClientInfo {
            redirect_uris: Some(Vec::new()),
            ..info
        };
        assert!(!none.redirect_registered("http://localhost:51234/"));
    }
}
