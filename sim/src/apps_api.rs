//! `/applications`, `/servicePrincipals` and `/oauth2PermissionGrants` of the fake Graph: what
//! "Set up for my organization" reads and writes. A child module of `graph.rs` (same gates,
//! errors and routing); the objects and the rules of who may do what are in `apps.rs`.
//!
//! As documented for Graph v1.0:
//! - reading apps needs `Application.Read.All`, `Application.ReadWrite.All`,
//!   `Directory.Read.All` or `Directory.AccessAsUser.All`; writing them
//!   `Application.ReadWrite.All` or `Directory.AccessAsUser.All`; grants
//!   `DelegatedPermissionGrant.ReadWrite.All` or `Directory.AccessAsUser.All` (reading also
//!   `Directory.Read.All`). A token without one is refused before the person's roles are looked at.
//! - `POST /applications` answers 201 with the object; its `signInAudience` defaults to
//!   `AzureADandPersonalMicrosoftAccount`, so an app meant for one tenant must say
//!   `AzureADMyOrg`. Unknown properties are a 400. Permission ids in `requiredResourceAccess`
//!   must be ones the resource publishes.
//! - `POST /servicePrincipals` for an app that has not replicated yet is the documented 400
//!   ("… does not reference a valid application object"); a second one for the same app is 409.
//! - `POST /oauth2PermissionGrants` names the client and resource by service principal id; a
//!   client that has not replicated is a 400; tenant-wide consent by someone who may not give
//!   it is 403; a second `AllPrincipals` grant for the same pair is 409.
//! - `$filter` takes `prop eq 'value'` clauses joined by `and` (and `tags/any(t:t eq 'v')` on
//!   applications); other `$` options except `$select` and `$top` are refused.

use super::*;
use crate::apps::{
    self, graph_scope_id, graph_scope_name, ResourceAccess, SimApplication, SimPermissionGrant,
    SimServicePrincipal, GRAPH_APP_ID, GRAPH_PERMISSIONS,
};

const APP_READ: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.AccessAsUser.All",
];
const APP_WRITE: &[&str] = &["Application.ReadWrite.All", "Directory.AccessAsUser.All"];
const GRANT_READ: &[&str] = &[
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.Read.All",
    "Directory.AccessAsUser.All",
];
const GRANT_WRITE: &[&str] = &[
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.AccessAsUser.All",
];

/// Whether `collection` is one of this module's.
pub(super) fn serves(collection: &str) -> bool {
    [
        "applications",
        "servicePrincipals",
        "oauth2PermissionGrants",
    ]
    .iter()
    .any(|c| collection == *c || collection.starts_with(&format!("{c}(")))
}

fn scoped(caller: &Caller, any_of: &[&str]) -> Result<(), GraphError> {
    if any_of.iter().any(|s| caller.scopes.contains(s)) {
        Ok(())
    } else {
        Err(insufficient_privileges())
    }
}

pub(super) fn route(
    state: &mut State,
    urls: &Urls,
    req: &SimRequest,
    caller: &Caller,
    rest: &[&str],
    now: Instant,
) -> Result<Response<SimBody>, GraphError> {
    let method = req.method.clone();
    match (rest, method) {
        (["applications"], Method::GET) => {
            scoped(caller, APP_READ)?;
            let filter = filter_clauses(req, &["appId", "displayName", "tags"])?;
            let rows: Vec<Value> = state
                .apps
                .visible_applications(now)
                .filter(|a| filter.iter().all(|c| app_matches(a, c)))
                .map(application_json)
                .collect();
            Ok(collection(urls, "applications", rows))
        }
        (["applications"], Method::POST) => {
            scoped(caller, APP_WRITE)?;
            create_application(state, req, caller, now)
        }
        ([one], Method::GET) if one.starts_with("applications(") => {
            scoped(caller, APP_READ)?;
            let app_id = key_of(one, "applications", "appId")?;
            state
                .apps
                .application_by_app_id(&app_id, now)
                .map(|a| json(StatusCode::OK, &application_json(a)))
                .ok_or_else(|| not_found(&app_id))
        }
        (["applications", id], Method::GET) => {
            scoped(caller, APP_READ)?;
            state
                .apps
                .visible_applications(now)
                .find(|a| a.id.eq_ignore_ascii_case(id))
                .map(|a| json(StatusCode::OK, &application_json(a)))
                .ok_or_else(|| not_found(id))
        }
        (["applications", id], Method::PATCH) => {
            scoped(caller, APP_WRITE)?;
            update_application(state, req, caller, id, now)
        }
        (["servicePrincipals"], Method::GET) => {
            scoped(caller, APP_READ)?;
            let filter = filter_clauses(req, &["appId", "displayName"])?;
            let rows: Vec<Value> = state
                .apps
                .visible_service_principals(now)
                .filter(|sp| filter.iter().all(|c| sp_matches(sp, c)))
                .map(service_principal_json)
                .collect();
            Ok(collection(urls, "servicePrincipals", rows))
        }
        ([one], Method::GET) if one.starts_with("servicePrincipals(") => {
            scoped(caller, APP_READ)?;
            let app_id = key_of(one, "servicePrincipals", "appId")?;
            state
                .apps
                .service_principal_for(&app_id, now)
                .map(|sp| json(StatusCode::OK, &service_principal_json(sp)))
                .ok_or_else(|| not_found(&app_id))
        }
        (["servicePrincipals", id], Method::GET) => {
            scoped(caller, APP_READ)?;
            state
                .apps
                .service_principal(id, now)
                .map(|sp| json(StatusCode::OK, &service_principal_json(sp)))
                .ok_or_else(|| not_found(id))
        }
        (["servicePrincipals"], Method::POST) => {
            scoped(caller, APP_WRITE)?;
            create_service_principal(state, req, caller, now)
        }
        (["oauth2PermissionGrants"], Method::GET) => {
            scoped(caller, GRANT_READ)?;
            let filter = filter_clauses(
                req,
                &["clientId", "consentType", "resourceId", "principalId"],
            )?;
            let rows: Vec<Value> = state
                .apps
                .grants
                .iter()
                .filter(|g| filter.iter().all(|c| grant_matches(g, c)))
                .map(grant_json)
                .collect();
            Ok(collection(urls, "oauth2PermissionGrants", rows))
        }
        (["oauth2PermissionGrants"], Method::POST) => {
            scoped(caller, GRANT_WRITE)?;
            create_grant(state, req, caller, now)
        }
        (["oauth2PermissionGrants", id], Method::PATCH) => {
            scoped(caller, GRANT_WRITE)?;
            update_grant(state, req, caller, id)
        }
        (_, method) => Err(method_not_allowed(&method)),
    }
}

fn not_found(id: &str) -> GraphError {
    error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
    )
}

fn request_bad(message: impl Into<String>) -> GraphError {
    error(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

fn collection(urls: &Urls, name: &str, rows: Vec<Value>) -> Response<SimBody> {
    json(
        StatusCode::OK,
        &serde_json::json!({
            "@odata.context": format!("{}/v1.0/$metadata#{name}", urls.graph),
            "value": rows,
        }),
    )
}

/// `applications(appId='…')` → the key's value.
fn key_of(segment: &str, collection: &str, key: &str) -> Result<String, GraphError> {
    segment
        .strip_prefix(collection)
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.strip_suffix(')'))
        .and_then(|s| s.strip_prefix(key))
        .and_then(|s| s.strip_prefix('='))
        .and_then(|s| s.strip_prefix('\''))
        .and_then(|s| s.strip_suffix('\''))
        .map(str::to_string)
        .ok_or_else(|| segment_not_found(segment))
}

/// One `$filter` clause: a property and the value it must equal (`tags` means "one tag is").
struct Clause {
    property: String,
    value: String,
}

fn filter_clauses(req: &SimRequest, allowed: &[&str]) -> Result<Vec<Clause>, GraphError> {
    let mut clauses = Vec::new();
    for (key, value) in req.query_pairs() {
        match key.as_str() {
            "$select" | "$top" => {}
            "$filter" => {
                for part in value.split(" and ") {
                    clauses.push(clause(part.trim(), allowed)?);
                }
            }
            other if other.starts_with('$') => {
                return Err(bad_request(format!(
                    "Query option '{other}' is not supported on this resource."
                )))
            }
            _ => {}
        }
    }
    Ok(clauses)
}

fn clause(text: &str, allowed: &[&str]) -> Result<Clause, GraphError> {
    let invalid = || request_bad(format!("Invalid filter clause: {text}"));
    let quoted = |s: &str| -> Option<String> {
        let s = s.trim();
        s.strip_prefix('\'')?
            .strip_suffix('\'')
            .map(|v| v.replace("''", "'"))
    };
    if let Some(inner) = text
        .strip_prefix("tags/any(")
        .and_then(|s| s.strip_suffix(')'))
    {
        let (var, test) = inner.split_once(':').ok_or_else(invalid)?;
        let value = test
            .trim()
            .strip_prefix(var.trim())
            .and_then(|s| s.trim_start().strip_prefix("eq "))
            .and_then(quoted)
            .ok_or_else(invalid)?;
        if !allowed.contains(&"tags") {
            return Err(invalid());
        }
        return Ok(Clause {
            property: "tags".into(),
            value,
        });
    }
    let (property, value) = text.split_once(" eq ").ok_or_else(invalid)?;
    let property = property.trim();
    if !allowed.contains(&property) || property == "tags" {
        return Err(invalid());
    }
    Ok(Clause {
        property: property.to_string(),
        value: quoted(value).ok_or_else(invalid)?,
    })
}

fn app_matches(app: &SimApplication, c: &Clause) -> bool {
    match c.property.as_str() {
        "appId" => app.app_id.eq_ignore_ascii_case(&c.value),
        "displayName" => app.display_name == c.value,
        "tags" => app.tags.iter().any(|t| t.eq_ignore_ascii_case(&c.value)),
        _ => false,
    }
}

fn sp_matches(sp: &SimServicePrincipal, c: &Clause) -> bool {
    match c.property.as_str() {
        "appId" => sp.app_id.eq_ignore_ascii_case(&c.value),
        "displayName" => sp.display_name == c.value,
        _ => false,
    }
}

fn grant_matches(g: &SimPermissionGrant, c: &Clause) -> bool {
    match c.property.as_str() {
        "clientId" => g.client_id.eq_ignore_ascii_case(&c.value),
        "resourceId" => g.resource_id.eq_ignore_ascii_case(&c.value),
        "consentType" => g.consent_type == c.value,
        "principalId" => g
            .principal_id
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(&c.value)),
        _ => false,
    }
}

fn application_json(app: &SimApplication) -> Value {
    serde_json::json!({
        "id": app.id,
        "appId": app.app_id,
        "displayName": app.display_name,
        "signInAudience": app.sign_in_audience,
        "isFallbackPublicClient": app.is_fallback_public_client,
        "publicClient": { "redirectUris": app.public_client_redirect_uris },
        "requiredResourceAccess": app.required_resource_access.iter().map(|r| serde_json::json!({
            "resourceAppId": r.resource_app_id,
            "resourceAccess": r.access.iter().map(|(id, kind)| serde_json::json!({"id": id, "type": kind})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "tags": app.tags,
        "notes": app.notes,
        "createdDateTime": crate::http::iso_utc(app.created_wall),
    })
}

fn service_principal_json(sp: &SimServicePrincipal) -> Value {
    let scopes: Vec<Value> = if sp.app_id == GRAPH_APP_ID {
        GRAPH_PERMISSIONS
            .iter()
            .map(|(name, admin)| {
                serde_json::json!({
                    "id": graph_scope_id(name),
                    "value": name,
                    "type": if *admin { "Admin" } else { "User" },
                    "isEnabled": true,
                    "adminConsentDisplayName": name,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    serde_json::json!({
        "id": sp.id,
        "appId": sp.app_id,
        "displayName": sp.display_name,
        "servicePrincipalType": "Application",
        "accountEnabled": true,
        "appRoleAssignmentRequired": false,
        "oauth2PermissionScopes": scopes,
    })
}

fn grant_json(g: &SimPermissionGrant) -> Value {
    serde_json::json!({
        "id": g.id,
        "clientId": g.client_id,
        "consentType": g.consent_type,
        "principalId": g.principal_id,
        "resourceId": g.resource_id,
        "scope": g.scope,
    })
}

/// A JSON object body, or Graph's 400 for anything else.
fn object_body(req: &SimRequest) -> Result<Map<String, Value>, GraphError> {
    let is_json = req.header("content-type").is_some_and(|v| {
        v.trim()
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(body)) if is_json => Ok(body),
        _ => Err(bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and \
             payload is of valid JSON format.",
        )),
    }
}

fn unknown_properties(
    body: &Map<String, Value>,
    allowed: &[&str],
    entity: &str,
) -> Result<(), GraphError> {
    match body
        .keys()
        .find(|k| !k.contains('@') && !allowed.contains(&k.as_str()))
    {
        Some(key) => Err(request_bad(format!(
            "Property '{key}' does not exist on type 'microsoft.graph.{entity}'."
        ))),
        None => Ok(()),
    }
}

fn text(body: &Map<String, Value>, key: &str) -> Result<Option<String>, GraphError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(request_bad(format!(
            "Invalid value specified for property '{key}'."
        ))),
    }
}

const APP_PROPERTIES: &[&str] = &[
    "displayName",
    "signInAudience",
    "publicClient",
    "isFallbackPublicClient",
    "requiredResourceAccess",
    "tags",
    "notes",
    "description",
];

/// The parts of an application body that were given, checked.
#[derive(Default)]
struct AppFields {
    display_name: Option<String>,
    sign_in_audience: Option<String>,
    redirect_uris: Option<Vec<String>>,
    is_fallback_public_client: Option<Option<bool>>,
    required_resource_access: Option<Vec<ResourceAccess>>,
    tags: Option<Vec<String>>,
    notes: Option<Option<String>>,
}

fn app_fields(body: &Map<String, Value>) -> Result<AppFields, GraphError> {
    unknown_properties(body, APP_PROPERTIES, "application")?;
    let invalid = |key: &str| request_bad(format!("Invalid value specified for property '{key}'."));
    let mut fields = AppFields {
        display_name: text(body, "displayName")?,
        ..AppFields::default()
    };
    if let Some(audience) = text(body, "signInAudience")? {
        const AUDIENCES: &[&str] = &[
            "AzureADMyOrg",
            "AzureADMultipleOrgs",
            "AzureADandPersonalMicrosoftAccount",
            "PersonalMicrosoftAccount",
        ];
        if !AUDIENCES.contains(&audience.as_str()) {
            return Err(invalid("signInAudience"));
        }
        fields.sign_in_audience = Some(audience);
    }
    if let Some(public) = body.get("publicClient") {
        let uris = public
            .get("redirectUris")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("publicClient"))?;
        let mut list = Vec::new();
        for uri in uris {
            let uri = uri.as_str().ok_or_else(|| invalid("publicClient"))?;
            if url::Url::parse(uri).is_err() {
                return Err(invalid("publicClient.redirectUris"));
            }
            list.push(uri.to_string());
        }
        fields.redirect_uris = Some(list);
    }
    match body.get("isFallbackPublicClient") {
        None => {}
        Some(Value::Null) => fields.is_fallback_public_client = Some(None),
        Some(Value::Bool(b)) => fields.is_fallback_public_client = Some(Some(*b)),
        Some(_) => return Err(invalid("isFallbackPublicClient")),
    }
    if let Some(access) = body.get("requiredResourceAccess") {
        let entries = access
            .as_array()
            .ok_or_else(|| invalid("requiredResourceAccess"))?;
        let mut list = Vec::new();
        for entry in entries {
            let resource = entry
                .get("resourceAppId")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("requiredResourceAccess"))?;
            let mut pairs = Vec::new();
            for item in entry
                .get("resourceAccess")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("requiredResourceAccess"))?
            {
                let id = item.get("id").and_then(Value::as_str);
                let kind = item.get("type").and_then(Value::as_str);
                let (Some(id), Some(kind @ ("Scope" | "Role"))) = (id, kind) else {
                    return Err(invalid("requiredResourceAccess"));
                };
                if resource.eq_ignore_ascii_case(GRAPH_APP_ID)
                    && kind == "Scope"
                    && graph_scope_name(id).is_none()
                {
                    return Err(request_bad(format!(
                        "Permission (scope or role) '{id}' cannot be found in the resource \
                         application '{resource}'."
                    )));
                }
                pairs.push((id.to_ascii_lowercase(), kind.to_string()));
            }
            list.push(ResourceAccess {
                resource_app_id: resource.to_ascii_lowercase(),
                access: pairs,
            });
        }
        fields.required_resource_access = Some(list);
    }
    if let Some(tags) = body.get("tags") {
        let tags = tags.as_array().ok_or_else(|| invalid("tags"))?;
        fields.tags = Some(
            tags.iter()
                .map(|t| {
                    t.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| invalid("tags"))
                })
                .collect::<Result<_, _>>()?,
        );
    }
    if body.contains_key("notes") {
        fields.notes = Some(text(body, "notes")?);
    }
    Ok(fields)
}

fn create_application(
    state: &mut State,
    req: &SimRequest,
    caller: &Caller,
    now: Instant,
) -> Result<Response<SimBody>, GraphError> {
    let body = object_body(req)?;
    let fields = app_fields(&body)?;
    let Some(display_name) = fields.display_name.filter(|n| !n.trim().is_empty()) else {
        return Err(request_bad(
            "Property 'displayName' is required and cannot be empty.",
        ));
    };
    if !apps::may_register(&state.apps, &caller.user) {
        return Err(insufficient_privileges());
    }
    let app = SimApplication {
        id: new_guid(),
        app_id: new_guid(),
        display_name,
        sign_in_audience: fields
            .sign_in_audience
            .unwrap_or_else(|| "AzureADandPersonalMicrosoftAccount".into()),
        public_client_redirect_uris: fields.redirect_uris.unwrap_or_default(),
        is_fallback_public_client: fields.is_fallback_public_client.flatten(),
        required_resource_access: fields.required_resource_access.unwrap_or_default(),
        tags: fields.tags.unwrap_or_default(),
        notes: fields.notes.flatten(),
        owner_id: caller.user.id.clone(),
        created_wall: SystemTime::now(),
        created: Some(now),
    };
    let answer = application_json(&app);
    state.apps.applications.push(app);
    Ok(json(StatusCode::CREATED, &answer))
}

fn update_application(
    state: &mut State,
    req: &SimRequest,
    caller: &Caller,
    id: &str,
    now: Instant,
) -> Result<Response<SimBody>, GraphError> {
    let body = object_body(req)?;
    let fields = app_fields(&body)?;
    let visible = state
        .apps
        .visible_applications(now)
        .any(|a| a.id.eq_ignore_ascii_case(id));
    let Some(app) = state
        .apps
        .applications
        .iter_mut()
        .find(|a| visible && a.id.eq_ignore_ascii_case(id))
    else {
        return Err(not_found(id));
    };
    if app.owner_id != caller.user.id && !apps::app_admin(&caller.user) {
        return Err(insufficient_privileges());
    }
    if let Some(name) = fields.display_name {
        app.display_name = name;
    }
    if let Some(audience) = fields.sign_in_audience {
        app.sign_in_audience = audience;
    }
    if let Some(uris) = fields.redirect_uris {
        app.public_client_redirect_uris = uris;
    }
    if let Some(fallback) = fields.is_fallback_public_client {
        app.is_fallback_public_client = fallback;
    }
    if let Some(access) = fields.required_resource_access {
        app.required_resource_access = access;
    }
    if let Some(tags) = fields.tags {
        app.tags = tags;
    }
    if let Some(notes) = fields.notes {
        app.notes = notes;
    }
    Ok(respond(StatusCode::NO_CONTENT, None, ""))
}

fn create_service_principal(
    state: &mut State,
    req: &SimRequest,
    caller: &Caller,
    now: Instant,
) -> Result<Response<SimBody>, GraphError> {
    let body = object_body(req)?;
    unknown_properties(&body, &["appId", "tags"], "servicePrincipal")?;
    let Some(app_id) = text(&body, "appId")? else {
        return Err(request_bad("Property 'appId' is required."));
    };
    let Some(app) = state.apps.application_by_app_id(&app_id, now).cloned() else {
        return Err(request_bad(format!(
            "The appId '{app_id}' of the service principal does not reference a valid \
             application object."
        )));
    };
    if app.owner_id != caller.user.id && !apps::app_admin(&caller.user) {
        return Err(insufficient_privileges());
    }
    if state
        .apps
        .service_principals
        .iter()
        .any(|sp| sp.app_id.eq_ignore_ascii_case(&app_id))
    {
        return Err(error(
            StatusCode::CONFLICT,
            "Request_MultipleObjectsWithSameKeyValue",
            "The service principal cannot be created, updated, or restored because the service \
             principal name is already in use.",
        ));
    }
    let sp = SimServicePrincipal {
        id: new_guid(),
        app_id: app.app_id.clone(),
        display_name: app.display_name.clone(),
        created: Some(now),
    };
    let answer = service_principal_json(&sp);
    state.apps.service_principals.push(sp);
    Ok(json(StatusCode::CREATED, &answer))
}

/// The scope names of a grant, each one the resource publishes.
fn grant_scope(resource_is_graph: bool, scope: &str) -> Result<String, GraphError> {
    let mut names = Vec::new();
    for name in scope.split_whitespace() {
        let known = GRAPH_PERMISSIONS
            .iter()
            .map(|(n, _)| *n)
            .find(|n| n.eq_ignore_ascii_case(name));
        match known {
            Some(n) if resource_is_graph => names.push(n),
            _ => {
                return Err(request_bad(format!(
                    "Invalid value specified for property 'scope' of resource \
                     'OAuth2PermissionGrant': the permission '{name}' is not published by the \
                     resource."
                )))
            }
        }
    }
    Ok(names.join(" "))
}

fn create_grant(
    state: &mut State,
    req: &SimRequest,
    caller: &Caller,
    now: Instant,
) -> Result<Response<SimBody>, GraphError> {
    let body = object_body(req)?;
    unknown_properties(
        &body,
        &[
            "clientId",
            "consentType",
            "principalId",
            "resourceId",
            "scope",
        ],
        "oAuth2PermissionGrant",
    )?;
    let required = |key: &str| -> Result<String, GraphError> {
        text(&body, key)?.ok_or_else(|| request_bad(format!("Property '{key}' is required.")))
    };
    let client_id = required("clientId")?;
    let consent_type = required("consentType")?;
    let resource_id = required("resourceId")?;
    let scope = required("scope")?;
    let principal_id = text(&body, "principalId")?;
    match (consent_type.as_str(), &principal_id) {
        ("AllPrincipals", None) | ("Principal", Some(_)) => {}
        _ => {
            return Err(request_bad(
                "Invalid value specified for property 'consentType' or 'principalId' of resource \
                 'OAuth2PermissionGrant'.",
            ))
        }
    }
    if state.apps.service_principal(&client_id, now).is_none() {
        return Err(request_bad(
            "Invalid value specified for property 'clientId' of resource 'OAuth2PermissionGrant'.",
        ));
    }
    let Some(resource) = state.apps.service_principal(&resource_id, now).cloned() else {
        return Err(request_bad(
            "Invalid value specified for property 'resourceId' of resource \
             'OAuth2PermissionGrant'.",
        ));
    };
    let scope = grant_scope(resource.app_id == GRAPH_APP_ID, &scope)?;
    let may = match consent_type.as_str() {
        "AllPrincipals" => apps::may_consent(&caller.user),
        _ => apps::may_consent(&caller.user) || principal_id.as_deref() == Some(&caller.user.id),
    };
    if !may {
        return Err(insufficient_privileges());
    }
    if state.apps.grants.iter().any(|g| {
        g.client_id.eq_ignore_ascii_case(&client_id)
            && g.resource_id.eq_ignore_ascii_case(&resource_id)
            && g.consent_type == consent_type
            && g.principal_id == principal_id
    }) {
        return Err(error(
            StatusCode::CONFLICT,
            "Request_MultipleObjectsWithSameKeyValue",
            "Permission entry already exists.",
        ));
    }
    let grant = SimPermissionGrant {
        id: crate::http::random_urlsafe(32),
        client_id: client_id.to_ascii_lowercase(),
        consent_type,
        principal_id,
        resource_id: resource_id.to_ascii_lowercase(),
        scope,
    };
    let answer = grant_json(&grant);
    state.apps.grants.push(grant);
    Ok(json(StatusCode::CREATED, &answer))
}

fn update_grant(
    state: &mut State,
    req: &SimRequest,
    caller: &Caller,
    id: &str,
) -> Result<Response<SimBody>, GraphError> {
    let body = object_body(req)?;
    unknown_properties(&body, &["scope"], "oAuth2PermissionGrant")?;
    let Some(scope) = text(&body, "scope")? else {
        return Err(request_bad("Property 'scope' is required."));
    };
    let graph_sp = state.apps.graph_service_principal_id();
    let Some(grant) = state.apps.grants.iter_mut().find(|g| g.id == id) else {
        return Err(not_found(id));
    };
    let allowed = apps::may_consent(&caller.user)
        || (grant.consent_type == "Principal"
            && grant.principal_id.as_deref() == Some(&caller.user.id));
    if !allowed {
        return Err(insufficient_privileges());
    }
    grant.scope = grant_scope(grant.resource_id == graph_sp, &scope)?;
    Ok(respond(StatusCode::NO_CONTENT, None, ""))
}
