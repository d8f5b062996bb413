//! "Set up for my organization": NumberDesk registers itself in the admin's own tenant.
//!
//! With the bootstrap token (see `auth::bootstrap`) this module finds the registration an
//! earlier run made (by its tag) and reuses it when its settings are right, fixes what is not,
//! or creates it: single tenant, a public client with `http://localhost`, public client flows
//! allowed, and the delegated permissions NumberDesk uses, resolved by name from Microsoft
//! Graph's own service principal. Then it creates the app's service principal and grants
//! tenant-wide consent (`AllPrincipals`). A second run changes nothing that is already right.
//!
//! Microsoft's directory replicates slowly: an app created a moment ago may not be usable for
//! seconds. Every step that depends on an earlier one is retried on exactly the answer that
//! says "not there yet", a bounded number of times, with progress reported.
//!
//! Outcomes are facts ([`Outcome`], [`RegisterError`]); the admin's words are made at the
//! boundary (`problem/register.rs`).

use crate::cloud::Cloud;
use crate::graph::{GraphClient, GraphError, GraphErrorKind};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// The registration's display name.
pub const APP_NAME: &str = "NumberDesk";
/// The tag that marks a registration made by this flow.
pub const SETUP_TAG: &str = "NumberDesk:setup";
/// The redirect URI (public client; Entra ignores the port of `localhost`).
pub const REDIRECT_URI: &str = "http://localhost";
/// Microsoft Graph's application id, the same everywhere.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// The delegated permissions NumberDesk uses.
pub const PERMISSIONS: &[&str] = &[
    "TeamsTelephoneNumber.ReadWrite.All",
    "User.ReadBasic.All",
    "User.Read.All",
    "offline_access",
    "openid",
    "profile",
];
/// Who can grant tenant-wide consent, as Microsoft documents it.
pub const CONSENT_ROLES: &[&str] = &[
    "Cloud Application Administrator",
    "Application Administrator",
    "Privileged Role Administrator",
    "Global Administrator",
];
/// The role that lets an account register apps when "Users can register applications" is off.
pub const REGISTER_ROLE: &str = "Application Developer";

/// How long to wait, in turn, for a new object to replicate before giving up.
#[derive(Debug, Clone)]
pub struct Patience {
    pub waits: Vec<Duration>,
}

impl Default for Patience {
    fn default() -> Self {
        Patience {
            waits: [1, 2, 3, 5, 8, 13]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
        }
    }
}

/// A step, as the progress on screen follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase", tag = "step")]
pub enum Step {
    ReadingPermissions,
    LookingForRegistration,
    CreatingRegistration,
    FixingRegistration,
    CreatingServicePrincipal,
    GrantingConsent,
    /// Microsoft has not replicated the new app yet: waiting `attempt` of `of`.
    WaitingForMicrosoft {
        attempt: usize,
        of: usize,
    },
}

/// What a run did (or found already right).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase", tag = "change", content = "detail")]
pub enum Change {
    /// An earlier run's registration was right as it was.
    Reused,
    Created,
    /// These settings of an earlier registration were put right.
    Fixed(Vec<&'static str>),
    ServicePrincipalCreated,
    ConsentGranted,
    /// Consent existed for some permissions; these were added.
    ConsentExtended(Vec<String>),
}

/// The registration NumberDesk signs in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub tenant_id: String,
    pub client_id: String,
    app_object_id: String,
}

/// Where a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Registered and consented: sign in with it.
    Ready {
        registration: Registration,
        changes: Vec<Change>,
    },
    /// Registered, but this account may not grant consent: an administrator must.
    ConsentNeeded {
        registration: Registration,
        changes: Vec<Change>,
        /// The admin-consent link to send.
        admin_consent_url: String,
        missing: Vec<String>,
    },
}

/// Why setup stopped.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The account may not create (or change) app registrations.
    #[error("this account may not register applications: {0}")]
    MayNotRegister(GraphError),
    /// Microsoft Graph in this cloud does not offer these permissions.
    #[error("Microsoft Graph does not offer {0:?} here")]
    PermissionsNotOffered(Vec<String>),
    /// The new app did not replicate within the waits.
    #[error("Microsoft did not finish creating the app in time")]
    NotReplicated,
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// Setup's sign-in through Microsoft's client did not succeed (refused, blocked by
    /// Conditional Access or a tenant policy, cancelled).
    #[error("setup's sign-in did not succeed: {0}")]
    SignIn(crate::auth::AuthError),
}

impl RegisterError {
    /// Setup's sign-in failed.
    pub fn from_bootstrap(error: crate::auth::AuthError) -> RegisterError {
        RegisterError::SignIn(error)
    }
}

/// Graph's permission ids by name, and its service principal's id.
struct GraphPermissions {
    service_principal_id: String,
    ids: Vec<(&'static str, String)>,
}

fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn first(value: &Value) -> Option<&Value> {
    value.get("value").and_then(Value::as_array)?.first()
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

async fn graph_permissions(graph: &GraphClient) -> Result<GraphPermissions, RegisterError> {
    let list = graph
        .get_directory(&format!(
            "/v1.0/servicePrincipals?$filter=appId eq {}",
            quoted(GRAPH_APP_ID)
        ))
        .await?;
    let sp = first(&list).ok_or_else(|| {
        RegisterError::PermissionsNotOffered(PERMISSIONS.iter().map(|p| p.to_string()).collect())
    })?;
    let published = sp
        .get("oauth2PermissionScopes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut ids = Vec::new();
    let mut missing = Vec::new();
    for name in PERMISSIONS {
        match published
            .iter()
            .find(|s| text(s, "value").eq_ignore_ascii_case(name))
        {
            Some(scope) => ids.push((*name, text(scope, "id").to_ascii_lowercase())),
            None => missing.push(name.to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(RegisterError::PermissionsNotOffered(missing));
    }
    Ok(GraphPermissions {
        service_principal_id: text(sp, "id").to_owned(),
        ids,
    })
}

/// The settings of `app` that are not as NumberDesk needs them, and the body that fixes them.
fn wrong_settings(app: &Value, permissions: &GraphPermissions) -> (Vec<&'static str>, Value) {
    let mut wrong = Vec::new();
    let mut fix = serde_json::Map::new();
    if text(app, "signInAudience") != "AzureADMyOrg" {
        wrong.push("signInAudience");
        fix.insert("signInAudience".into(), "AzureADMyOrg".into());
    }
    let uris: Vec<String> = app
        .pointer("/publicClient/redirectUris")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if !uris.iter().any(|u| u.trim_end_matches('/') == REDIRECT_URI) {
        wrong.push("publicClient.redirectUris");
        let mut all = uris;
        all.push(REDIRECT_URI.into());
        fix.insert("publicClient".into(), json!({ "redirectUris": all }));
    }
    if app.get("isFallbackPublicClient").and_then(Value::as_bool) != Some(true) {
        wrong.push("isFallbackPublicClient");
        fix.insert("isFallbackPublicClient".into(), true.into());
    }
    let mut access: Vec<Value> = app
        .get("requiredResourceAccess")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let graph_entry = access
        .iter()
        .position(|r| text(r, "resourceAppId").eq_ignore_ascii_case(GRAPH_APP_ID));
    let listed: Vec<String> = graph_entry
        .and_then(|i| access[i].get("resourceAccess").and_then(Value::as_array))
        .map(|a| {
            a.iter()
                .filter(|x| text(x, "type") == "Scope")
                .map(|x| text(x, "id").to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let absent: Vec<&String> = permissions
        .ids
        .iter()
        .map(|(_, id)| id)
        .filter(|id| !listed.contains(id))
        .collect();
    if !absent.is_empty() {
        wrong.push("requiredResourceAccess");
        let entry = graph_access(permissions);
        match graph_entry {
            Some(i) => {
                // Keep what else the registration lists for Graph; add what is missing.
                let mut items = access[i]
                    .get("resourceAccess")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for id in absent {
                    items.push(json!({ "id": id, "type": "Scope" }));
                }
                access[i] = json!({ "resourceAppId": GRAPH_APP_ID, "resourceAccess": items });
            }
            None => access.push(entry),
        }
        fix.insert("requiredResourceAccess".into(), access.into());
    }
    (wrong, Value::Object(fix))
}

fn graph_access(permissions: &GraphPermissions) -> Value {
    json!({
        "resourceAppId": GRAPH_APP_ID,
        "resourceAccess": permissions
            .ids
            .iter()
            .map(|(_, id)| json!({ "id": id, "type": "Scope" }))
            .collect::<Vec<_>>(),
    })
}

/// Whether `error` is Microsoft saying an object it just made is not there yet: a 404, or the
/// 400 that says a referenced object is not valid (what a service principal or grant for an
/// app that has not replicated gets).
fn not_replicated_yet(error: &GraphError) -> bool {
    match error.kind {
        GraphErrorKind::NotFound => true,
        GraphErrorKind::BadRequest => error.graph_message.as_deref().is_some_and(|m| {
            m.contains("does not reference a valid application object")
                || m.contains("Invalid value specified for property 'clientId'")
                || m.contains("does not exist")
        }),
        _ => false,
    }
}

/// Runs `attempt` until it succeeds, waiting between tries while Microsoft has not replicated
/// what it needs; other errors end it at once.
async fn patiently<T, F, Fut>(
    patience: &Patience,
    progress: &(dyn Fn(Step) + Send + Sync),
    mut attempt: F,
) -> Result<T, RegisterError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, GraphError>>,
{
    let mut waits = patience.waits.iter().enumerate();
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) if not_replicated_yet(&error) => match waits.next() {
                Some((i, wait)) => {
                    progress(Step::WaitingForMicrosoft {
                        attempt: i + 1,
                        of: patience.waits.len(),
                    });
                    tokio::time::sleep(*wait).await;
                }
                None => return Err(RegisterError::NotReplicated),
            },
            Err(error) => return Err(error.into()),
        }
    }
}

/// The admin-consent link for `registration` in `cloud`: what the "Ask an admin" card shows.
pub fn admin_consent_url(cloud: &Cloud, registration: &Registration) -> String {
    let mut url = cloud.login_url.clone();
    url.set_path(&format!("/{}/v2.0/adminconsent", registration.tenant_id));
    url.query_pairs_mut()
        .append_pair("client_id", &registration.client_id)
        .append_pair("scope", &cloud.scope(".default"))
        .append_pair("redirect_uri", REDIRECT_URI);
    url.to_string()
}

/// Finds, fixes or creates NumberDesk's registration in `tenant_id`, its service principal,
/// and tenant-wide consent. `graph` carries the bootstrap token.
pub async fn register(
    graph: &GraphClient,
    cloud: &Cloud,
    tenant_id: &str,
    patience: &Patience,
    progress: &(dyn Fn(Step) + Send + Sync),
) -> Result<Outcome, RegisterError> {
    progress(Step::ReadingPermissions);
    let permissions = graph_permissions(graph).await?;
    progress(Step::LookingForRegistration);
    let found = graph
        .get_directory(&format!(
            "/v1.0/applications?$filter=tags/any(t:t eq {})",
            quoted(SETUP_TAG)
        ))
        .await?;
    let mut changes = Vec::new();
    let app = match first(&found) {
        Some(app) => {
            let (wrong, fix) = wrong_settings(app, &permissions);
            if wrong.is_empty() {
                changes.push(Change::Reused);
            } else {
                progress(Step::FixingRegistration);
                graph
                    .write_directory(
                        Method::PATCH,
                        &format!("/v1.0/applications/{}", text(app, "id")),
                        fix,
                    )
                    .await
                    .map_err(may_not_register)?;
                changes.push(Change::Fixed(wrong));
            }
            app.clone()
        }
        None => {
            progress(Step::CreatingRegistration);
            let body = json!({
                "displayName": APP_NAME,
                "signInAudience": "AzureADMyOrg",
                "publicClient": { "redirectUris": [REDIRECT_URI] },
                "isFallbackPublicClient": true,
                "requiredResourceAccess": [graph_access(&permissions)],
                "tags": [SETUP_TAG],
                "notes": "Created by NumberDesk's \"Set up for my organization\". NumberDesk signs \
                          in with it to manage Teams phone numbers (delegated permissions only).",
            });
            let created = graph
                .write_directory(Method::POST, "/v1.0/applications", body)
                .await
                .map_err(may_not_register)?
                .ok_or_else(|| {
                    GraphError::new(GraphErrorKind::Malformed, "no application in the answer")
                })?;
            changes.push(Change::Created);
            created
        }
    };
    let registration = Registration {
        tenant_id: tenant_id.to_owned(),
        client_id: text(&app, "appId").to_owned(),
        app_object_id: text(&app, "id").to_owned(),
    };
    let sp_id = service_principal(graph, &registration, patience, progress, &mut changes).await?;
    progress(Step::GrantingConsent);
    consent(
        graph,
        cloud,
        registration,
        &sp_id,
        &permissions,
        patience,
        progress,
        changes,
    )
    .await
}

fn may_not_register(error: GraphError) -> RegisterError {
    if matches!(error.kind, GraphErrorKind::Forbidden) {
        RegisterError::MayNotRegister(error)
    } else {
        RegisterError::Graph(error)
    }
}

async fn find_service_principal(
    graph: &GraphClient,
    client_id: &str,
) -> Result<Option<String>, GraphError> {
    let list = graph
        .get_directory(&format!(
            "/v1.0/servicePrincipals?$filter=appId eq {}",
            quoted(client_id)
        ))
        .await?;
    Ok(first(&list).map(|sp| text(sp, "id").to_owned()))
}

async fn service_principal(
    graph: &GraphClient,
    registration: &Registration,
    patience: &Patience,
    progress: &(dyn Fn(Step) + Send + Sync),
    changes: &mut Vec<Change>,
) -> Result<String, RegisterError> {
    if let Some(id) = find_service_principal(graph, &registration.client_id).await? {
        return Ok(id);
    }
    progress(Step::CreatingServicePrincipal);
    let created = patiently(patience, progress, || {
        graph.write_directory(
            Method::POST,
            "/v1.0/servicePrincipals",
            json!({ "appId": registration.client_id }),
        )
    })
    .await;
    match created {
        Ok(Some(sp)) => {
            changes.push(Change::ServicePrincipalCreated);
            Ok(text(&sp, "id").to_owned())
        }
        // Made meanwhile (another run, or consent given in the browser): use it.
        Err(RegisterError::Graph(e)) if e.kind == GraphErrorKind::Conflict => {
            find_service_principal(graph, &registration.client_id)
                .await?
                .ok_or(RegisterError::NotReplicated)
        }
        Ok(None) => Err(GraphError::new(
            GraphErrorKind::Malformed,
            "no service principal in the answer",
        )
        .into()),
        Err(e) => Err(e),
    }
}

/// The tenant-wide grant of the app's service principal to Graph, if any: (id, scopes).
async fn find_grant(
    graph: &GraphClient,
    sp_id: &str,
    graph_sp: &str,
) -> Result<Option<(String, Vec<String>)>, GraphError> {
    let list = graph
        .get_directory(&format!(
            "/v1.0/oauth2PermissionGrants?$filter=clientId eq {} and consentType eq 'AllPrincipals' and resourceId eq {}",
            quoted(sp_id),
            quoted(graph_sp)
        ))
        .await?;
    Ok(first(&list).map(|g| {
        (
            text(g, "id").to_owned(),
            text(g, "scope")
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        )
    }))
}

#[allow(clippy::too_many_arguments)]
async fn consent(
    graph: &GraphClient,
    cloud: &Cloud,
    registration: Registration,
    sp_id: &str,
    permissions: &GraphPermissions,
    patience: &Patience,
    progress: &(dyn Fn(Step) + Send + Sync),
    mut changes: Vec<Change>,
) -> Result<Outcome, RegisterError> {
    let graph_sp = &permissions.service_principal_id;
    let existing = find_grant(graph, sp_id, graph_sp).await?;
    let missing = missing_scopes(existing.as_ref().map(|(_, s)| s.as_slice()));
    if missing.is_empty() {
        return Ok(Outcome::Ready {
            registration,
            changes,
        });
    }
    let written = match &existing {
        Some((id, scopes)) => {
            let mut all = scopes.clone();
            all.extend(missing.iter().cloned());
            graph
                .write_directory(
                    Method::PATCH,
                    &format!("/v1.0/oauth2PermissionGrants/{id}"),
                    json!({ "scope": all.join(" ") }),
                )
                .await
                .map_err(RegisterError::from)
        }
        None => {
            patiently(patience, progress, || {
                graph.write_directory(
                    Method::POST,
                    "/v1.0/oauth2PermissionGrants",
                    json!({
                        "clientId": sp_id,
                        "consentType": "AllPrincipals",
                        "resourceId": graph_sp,
                        "scope": PERMISSIONS.join(" "),
                    }),
                )
            })
            .await
        }
    };
    match written {
        Ok(_) => {
            changes.push(match existing {
                Some(_) => Change::ConsentExtended(missing),
                None => Change::ConsentGranted,
            });
            Ok(Outcome::Ready {
                registration,
                changes,
            })
        }
        Err(RegisterError::Graph(e)) if e.kind == GraphErrorKind::Forbidden => {
            Ok(Outcome::ConsentNeeded {
                admin_consent_url: admin_consent_url(cloud, &registration),
                registration,
                changes,
                missing,
            })
        }
        Err(e) => Err(e),
    }
}

/// The permissions of [`PERMISSIONS`] a grant with `granted` lacks (all without a grant).
fn missing_scopes(granted: Option<&[String]>) -> Vec<String> {
    PERMISSIONS
        .iter()
        .filter(|p| !granted.is_some_and(|g| g.iter().any(|s| s.eq_ignore_ascii_case(p))))
        .map(|p| p.to_string())
        .collect()
}

/// "Check again": whether an administrator has granted consent to `registration` since.
/// Reads only; changes nothing.
pub async fn check_consent(
    graph: &GraphClient,
    cloud: &Cloud,
    registration: Registration,
) -> Result<Outcome, RegisterError> {
    let permissions = graph_permissions(graph).await?;
    let missing = match find_service_principal(graph, &registration.client_id).await? {
        Some(sp) => missing_scopes(
            find_grant(graph, &sp, &permissions.service_principal_id)
                .await?
                .as_ref()
                .map(|(_, s)| s.as_slice()),
        ),
        None => missing_scopes(None),
    };
    if missing.is_empty() {
        Ok(Outcome::Ready {
            registration,
            changes: vec![Change::ConsentGranted],
        })
    } else {
        Ok(Outcome::ConsentNeeded {
            admin_consent_url: admin_consent_url(cloud, &registration),
            registration,
            changes: Vec::new(),
            missing,
        })
    }
}

impl Registration {
    /// The registration a check or a later step is about (`app_object_id` is not needed there).
    pub fn known(tenant_id: &str, client_id: &str) -> Registration {
        Registration {
            tenant_id: tenant_id.to_owned(),
            client_id: client_id.to_owned(),
            app_object_id: String::new(),
        }
    }

    /// The app registration's object id (not its client id), when this run read it.
    pub fn object_id(&self) -> &str {
        &self.app_object_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_scopes_compares_names_without_case() {
        assert_eq!(missing_scopes(None).len(), PERMISSIONS.len());
        let all: Vec<String> = PERMISSIONS.iter().map(|p| p.to_lowercase()).collect();
        assert!(missing_scopes(Some(&all)).is_empty());
        let some = vec!["openid".to_string(), "profile".into()];
        assert!(missing_scopes(Some(&some)).contains(&"User.Read.All".to_string()));
    }

    #[test]
    fn the_admin_consent_link_names_the_tenant_app_and_clouds_graph() {
        let cloud = Cloud::microsoft(crate::cloud::CloudId::UsGovL4).unwrap();
        let url = admin_consent_url(&cloud, &Registration::known("t-1", "c-1"));
        assert!(
            url.starts_with("https://login.microsoftonline.us/t-1/v2.0/adminconsent?client_id=c-1&scope=https%3A%2F%2Fgraph.microsoft.us%2F.default"),
            "{url}"
        );
    }
}
