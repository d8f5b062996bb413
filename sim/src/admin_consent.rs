//! The admin-consent endpoint (`/{tenant}/v2.0/adminconsent`), the link NumberDesk's "Ask an
//! admin" card hands over: an administrator opens it, signs in, and grants the app's
//! permissions for the whole organisation. A child module of `entra.rs`.
//!
//! As Microsoft documents it: `client_id`, `scope` (`https://graph.microsoft.com/.default`
//! asks for every permission the registration lists) and a `redirect_uri` registered for the
//! app; afterwards the browser goes to `redirect_uri` with `admin_consent=True`, `tenant`,
//! `scope` and `state`, or with `error`/`error_description` when it was refused. Someone who
//! may not grant tenant-wide consent is refused (`AADSTS90094`). Consent creates the app's
//! service principal when there is none yet.

use super::*;
use crate::apps::{self as app_rules, SimPermissionGrant, SimServicePrincipal, GRAPH_APP_ID};

pub(super) fn handle(
    state: &mut State,
    tenant: &str,
    method: Method,
    req: &SimRequest,
    now: Instant,
) -> Response<SimBody> {
    if !tenant_known(tenant) {
        return error_page(&tenant_not_found(tenant), req);
    }
    let pairs = match method {
        Method::GET => req.query_pairs(),
        Method::POST => req.form(),
        _ => return not_found(),
    };
    let get = |name| param(&pairs, name).filter(|v| !v.is_empty());
    let Some(client_id) = get("client_id") else {
        return error_page(&missing("client_id"), req);
    };
    let client = match known_client(state, client_id, now) {
        Ok(client) => client,
        Err(e) => return error_page(&e, req),
    };
    if let Err(e) = check_authority(&client, tenant, client_id) {
        return error_page(&e, req);
    }
    let redirect_uri = get("redirect_uri");
    if let Some(uri) = redirect_uri {
        if !client.redirect_registered(uri) {
            return error_page(
                &err(
                    "invalid_request",
                    50011,
                    format!(
                        "The redirect URI '{uri}' specified in the request does not match the \
                         redirect URIs configured for the application '{client_id}'."
                    ),
                ),
                req,
            );
        }
    }
    let app_state = get("state");
    if method == Method::GET {
        return consent_page(state, tenant, client_id, &client.display_name, &pairs);
    }
    let refused = |e: EntraError| match redirect_uri {
        Some(uri) => error_redirect(&e, uri, app_state, req),
        None => error_page(&e, req),
    };
    if get("action") == Some("cancel") {
        return refused(err(
            "access_denied",
            65004,
            "The administrator declined to consent to the app.",
        ));
    }
    let Some(user) = get("account")
        .and_then(|upn| state.directory.user(upn))
        .cloned()
    else {
        return error_page(&malformed("Pick one of the accounts offered."), req);
    };
    if !app_rules::may_consent(&user) {
        return refused(err(
            "access_denied",
            90094,
            format!(
                "The grant requires admin permission. {} cannot grant consent for the whole \
                 organisation: ask someone with one of the roles {}.",
                user.display_name,
                app_rules::MAY_CONSENT.join(", ")
            ),
        ));
    }
    grant_everything_listed(state, client_id, now);
    match redirect_uri {
        Some(uri) => {
            let mut pairs = vec![
                ("admin_consent", "True".to_string()),
                ("tenant", DEMO_TENANT_ID.to_string()),
                ("scope", "https://graph.microsoft.com/.default".to_string()),
            ];
            if let Some(s) = app_state {
                pairs.push(("state", s.to_string()));
            }
            redirect_with(uri, &pairs)
        }
        None => html(
            StatusCode::OK,
            page(
                "Permissions granted",
                "<h1>Permissions granted</h1>\n<p role=\"status\">You granted the permissions \
                 for your organisation. You may now close this window.</p>",
            ),
        ),
    }
}

fn consent_page(
    state: &State,
    tenant: &str,
    client_id: &str,
    name: &str,
    pairs: &[(String, String)],
) -> Response<SimBody> {
    let listed: Vec<String> = state
        .apps
        .applications
        .iter()
        .find(|a| a.app_id.eq_ignore_ascii_case(client_id))
        .map(|a| {
            listed_graph_scopes(a)
                .into_iter()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let hidden: String = pairs
        .iter()
        .filter(|(k, _)| ["client_id", "redirect_uri", "state", "scope"].contains(&k.as_str()))
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                html_escape(k),
                html_escape(v)
            )
        })
        .collect();
    let action = format!("/{}/v2.0/adminconsent", html_escape(tenant));
    let mut body = format!(
        "<h1>Permissions requested</h1>\n<p>Accept for your organisation: <strong>{}</strong> \
         wants to</p>\n<ul>{}</ul>\n<h2>Sign in as an administrator</h2>\n",
        html_escape(name),
        listed
            .iter()
            .map(|s| format!("<li>{}</li>", html_escape(s)))
            .collect::<String>()
    );
    body.push_str(&account_forms(state, None, &action, &hidden, "Accept as "));
    html(StatusCode::OK, page("Permissions requested", &body))
}

/// The Graph delegated permissions an app registration lists, by name.
fn listed_graph_scopes(app: &crate::apps::SimApplication) -> Vec<&'static str> {
    app.required_resource_access
        .iter()
        .filter(|r| r.resource_app_id.eq_ignore_ascii_case(GRAPH_APP_ID))
        .flat_map(|r| r.access.iter())
        .filter(|(_, kind)| kind == "Scope")
        .filter_map(|(id, _)| crate::apps::graph_scope_name(id))
        .collect()
}

/// Tenant-wide consent to every Graph permission the registration lists; creates the app's
/// service principal if it has none.
fn grant_everything_listed(state: &mut State, client_id: &str, now: Instant) {
    let Some(app) = state.apps.application_by_app_id(client_id, now).cloned() else {
        return;
    };
    let sp_id = match state
        .apps
        .service_principals
        .iter()
        .find(|sp| sp.app_id.eq_ignore_ascii_case(client_id))
    {
        Some(sp) => sp.id.clone(),
        None => {
            let id = new_guid();
            state.apps.service_principals.push(SimServicePrincipal {
                id: id.clone(),
                app_id: app.app_id.clone(),
                display_name: app.display_name.clone(),
                created: Some(now),
            });
            id
        }
    };
    let graph = state.apps.graph_service_principal_id();
    let scopes = listed_graph_scopes(&app);
    match state.apps.grants.iter_mut().find(|g| {
        g.client_id == sp_id && g.resource_id == graph && g.consent_type == "AllPrincipals"
    }) {
        Some(grant) => {
            for scope in scopes {
                if !grant.scope.split_whitespace().any(|s| s == scope) {
                    grant.scope = format!("{} {scope}", grant.scope).trim().to_string();
                }
            }
        }
        None => state.apps.grants.push(SimPermissionGrant {
            id: random_urlsafe(32),
            client_id: sp_id,
            consent_type: "AllPrincipals".into(),
            principal_id: None,
            resource_id: graph,
            scope: scopes.join(" "),
        }),
    }
}
