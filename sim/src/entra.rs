//! The fake Microsoft Entra ID (v2.0 endpoints) on the sim's login listener.
//!
//! It implements what a desktop public client uses: the authorization-code flow with PKCE
//! through a system browser and a loopback redirect, the refresh-token grant (with rotation),
//! and the device-code flow. The sign-in page is plain HTML with one `<form>` per account, so
//! a test can follow it the way a browser would.
//!
//! Errors copy Entra's shapes: before the redirect URI is trusted, an HTML error page (never
//! a redirect to an unregistered URI); after, a redirect carrying `error`/`error_description`;
//! at the token endpoint, Entra's JSON (`error`, `error_description` = "AADSTSnnnn: …" plus
//! trace and correlation ids, `error_codes`, `timestamp`, `trace_id`, `correlation_id`,
//! `error_uri`), HTTP 400, or 401 for `invalid_client`.
//!
//! AADSTS codes used (graph-api.md §3 where it lists them; the rest are the codes Entra
//! returns for these cases as far as we know them):
//!
//! | situation                                         | error                     | AADSTS  |
//! |---------------------------------------------------|---------------------------|---------|
//! | unknown tenant                                    | invalid_request / page    | 90002   |
//! | unknown client_id                                 | unauthorized_client / page| 700016  |
//! | `organizations`/`common` for a single-tenant app  | invalid_request / page    | 50194   |
//! | redirect_uri not a loopback `http` URI            | page                      | 50011   |
//! | required parameter missing                        | invalid_request           | 900144  |
//! | malformed request, unknown sign-in flow           | invalid_request / page    | 9002313 |
//! | unknown scope or resource                         | invalid_scope             | 70011   |
//! | response_type other than `code`                   | unsupported_response_type | 700054  |
//! | `prompt=none` (the sim keeps no browser session)  | interaction_required      | 50058   |
//! | user pressed Cancel                               | access_denied             | 65004   |
//! | Teams permission not admin-consented (authorize)  | consent_required          | 90094   |
//! | other permission not consented                    | consent_required/invalid_grant | 65001 |
//! | client secret or assertion sent by a public client| invalid_client (401)      | 700025  |
//! | unsupported grant_type                            | unsupported_grant_type    | 70003   |
//! | unknown or malformed code, code of another client | invalid_grant             | 70000   |
//! | code older than its lifetime (10 min)             | invalid_grant             | 70008   |
//! | code redeemed a second time                       | invalid_grant             | 54005   |
//! | redirect_uri differs from the authorize request   | invalid_grant             | 500112  |
//! | PKCE verifier does not match the challenge        | invalid_grant             | 501481  |
//! | unknown refresh token, or another client's        | invalid_grant             | 9002313 |
//! | refresh token already used (rotated away)         | invalid_grant             | 70008   |
//! | refresh token revoked                             | invalid_grant             | 50173   |
//! | refresh token past its lifetime                   | invalid_grant             | 700082  |
//! | device code: not yet approved                     | authorization_pending     | 70016   |
//! | device code: polled faster than `interval`        | slow_down                 | 70016   |
//! | device code: user declined                        | authorization_declined    | 70000   |
//! | device code: past `expires_in`                    | expired_token             | 70019   |
//! | device code: unknown, or already redeemed         | bad_verification_code / invalid_grant | 70000 |
//!
//! Deliberate differences: the sim insists on PKCE (a missing `code_challenge` is
//! `AADSTS900144`), because the app must always use it; a failed redemption (wrong verifier,
//! wrong redirect URI) does not burn the code; the device-code user codes are checked
//! case-insensitively with spaces and dashes ignored.

use std::time::Instant;

use hyper::header::{HeaderName, CACHE_CONTROL, PRAGMA};
use hyper::{Method, Response, StatusCode};

use super::apps::{self, ClientInfo};
use super::auth::{
    new_user_code, normalize_user_code, token_key, AuthCode, ChallengeMethod, DeviceGrant,
    DeviceState, Issuer, PendingSignIn, RefreshState, ScopeError, Scopes,
};
use super::directory::SimUser;
use super::http::{
    entra_timestamp, html, html_escape, json, new_guid, page, param, random_urlsafe, redirect,
    set_header, SimBody, SimRequest,
};
use super::seed::DOMAIN;
use super::{State, Urls, ADMIN_UPN, DEMO_TENANT_ID, DEVELOPER_UPN, NO_ROLE_UPN};

#[path = "admin_consent.rs"]
mod admin_consent;

/// The app registration's display name, as consent errors quote it.
const APP_NAME: &str = "NumberDesk";
/// How long a sign-in page stays usable.
const SIGN_IN_PAGE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(3600);

/// An Entra error, before it is rendered as JSON, a page or a redirect.
#[derive(Debug, Clone)]
struct EntraError {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
}

fn err(error: &'static str, code: u32, description: impl Into<String>) -> EntraError {
    EntraError {
        status: StatusCode::BAD_REQUEST,
        error,
        code,
        description: description.into(),
    }
}

fn tenant_not_found(tenant: &str) -> EntraError {
    err(
        "invalid_request",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are \
             signing into the correct cloud. Check with your subscription administrator, this may \
             happen if there are no active subscriptions for the tenant."
        ),
    )
}

/// A single-tenant app registration asked for through `organizations` or `common`. Entra
/// quotes `/common` whichever of the two was used.
fn not_multi_tenant(client_id: &str, name: &str) -> EntraError {
    err(
        "invalid_request",
        50194,
        format!(
            "Application '{client_id}'({name}) is not configured as a multi-tenant \
             application. Usage of the /common endpoint is not supported for such applications \
             created after '10/15/2018'. Use a tenant-specific endpoint or configure the \
             application to be multi-tenant."
        ),
    )
}

/// Whether `tenant` is one of the authorities that are not a tenant of their own.
fn is_multi_tenant_alias(tenant: &str) -> bool {
    ["organizations", "common"]
        .iter()
        .any(|alias| alias.eq_ignore_ascii_case(tenant))
}

/// Refuses a single-tenant app asked for through a multi-tenant alias (the app is known).
fn check_authority(client: &ClientInfo, tenant: &str, client_id: &str) -> Result<(), EntraError> {
    if is_multi_tenant_alias(tenant) && !client.multi_tenant {
        return Err(not_multi_tenant(client_id, &client.display_name));
    }
    Ok(())
}

/// The client, when the tenant knows it (a created app only once replicated).
fn known_client(state: &State, client_id: &str, now: Instant) -> Result<ClientInfo, EntraError> {
    apps::client(state, client_id, None, now).ok_or_else(|| unknown_client(client_id))
}

/// Conditional Access blocks Microsoft's bootstrap clients (the `bootstrap_blocked` knob).
fn conditional_access_blocked() -> EntraError {
    err(
        "access_denied",
        53003,
        "Access has been blocked by Conditional Access policies. The access policy does not \
         allow token issuance.",
    )
}

fn missing(name: &str) -> EntraError {
    err(
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

fn unknown_client(client_id: &str) -> EntraError {
    err(
        "unauthorized_client",
        700016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory 'Contoso'. \
             This can happen if the application has not been installed by the administrator of the \
             tenant or consented to by any user in the tenant. You may have sent your \
             authentication request to the wrong tenant."
        ),
    )
}

fn malformed(detail: &str) -> EntraError {
    err(
        "invalid_request",
        9002313,
        format!("Invalid request. Request is malformed or invalid. {detail}"),
    )
}

fn invalid_grant(code: u32, description: impl Into<String>) -> EntraError {
    err("invalid_grant", code, description)
}

fn scope_error(error: ScopeError) -> EntraError {
    match error {
        ScopeError::Missing => missing("scope"),
        ScopeError::Invalid(scope) => err(
            "invalid_scope",
            70011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value \
                 for the input parameter 'scope' is not valid. The scope '{scope}' is not valid."
            ),
        ),
    }
}

/// Consent refused for `scope`: Teams permissions need an administrator (90094), others
/// are merely not consented yet (65001).
fn consent_error(error: &'static str, scope: &str, client_id: &str) -> EntraError {
    if scope.starts_with("TeamsTelephoneNumber.") {
        err(
            error,
            90094,
            format!(
                "The grant requires admin permission. The permission '{scope}' of application \
                 '{APP_NAME}' ({client_id}) must be consented by an administrator of the tenant."
            ),
        )
    } else {
        err(
            error,
            65001,
            format!(
                "The user or administrator has not consented to use the application with ID \
                 '{client_id}' named '{APP_NAME}'. Send an interactive authorization request for \
                 this user and resource."
            ),
        )
    }
}

/// `AADSTSnnnn: text` plus the trailer Entra appends to every description.
fn full_description(
    e: &EntraError,
    trace_id: &str,
    correlation_id: &str,
    timestamp: &str,
) -> String {
    format!(
        "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
        e.code, e.description
    )
}

fn correlation_of(req: &SimRequest) -> String {
    req.header("client-request-id")
        .map(str::to_string)
        .unwrap_or_else(new_guid)
}

fn error_json(e: &EntraError, req: &SimRequest, urls: &Urls) -> Response<SimBody> {
    let trace_id = new_guid();
    let correlation_id = correlation_of(req);
    let timestamp = entra_timestamp(std::time::SystemTime::now());
    let body = serde_json::json!({
        "error": e.error,
        "error_description": full_description(e, &trace_id, &correlation_id, &timestamp),
        "error_codes": [e.code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("{}/error?code={}", urls.login, e.code),
    });
    no_store(json(e.status, &body))
}

fn error_page(e: &EntraError, req: &SimRequest) -> Response<SimBody> {
    let trace_id = new_guid();
    let correlation_id = correlation_of(req);
    let timestamp = entra_timestamp(std::time::SystemTime::now());
    let body = format!(
        "<h1>Sign in</h1>\n<p>Sorry, but we’re having trouble signing you in.</p>\n\
         <p role=\"alert\"><strong>AADSTS{code}:</strong> {text}</p>\n\
         <p class=\"muted\">Request Id: {trace}<br>Correlation Id: {corr}<br>Timestamp: {ts}</p>",
        code = e.code,
        text = html_escape(&e.description),
        trace = html_escape(&trace_id),
        corr = html_escape(&correlation_id),
        ts = html_escape(&timestamp),
    );
    html(e.status, page("Sign in to your account", &body))
}

/// Redirects an error to the (already validated) redirect URI.
fn error_redirect(
    e: &EntraError,
    redirect_uri: &str,
    state: Option<&str>,
    req: &SimRequest,
) -> Response<SimBody> {
    let trace_id = new_guid();
    let correlation_id = correlation_of(req);
    let timestamp = entra_timestamp(std::time::SystemTime::now());
    let description = full_description(e, &trace_id, &correlation_id, &timestamp);
    let mut pairs = vec![
        ("error", e.error.to_string()),
        ("error_description", description),
    ];
    if let Some(state) = state {
        pairs.push(("state", state.to_string()));
    }
    redirect_with(redirect_uri, &pairs)
}

fn redirect_with(redirect_uri: &str, pairs: &[(&str, String)]) -> Response<SimBody> {
    match url::Url::parse(redirect_uri) {
        Ok(mut target) => {
            {
                let mut query = target.query_pairs_mut();
                for (k, v) in pairs {
                    query.append_pair(k, v);
                }
            }
            redirect(target.as_str())
        }
        // Unreachable: redirect URIs are validated before anything is sent to them.
        Err(_) => html(
            StatusCode::BAD_REQUEST,
            page("Sign in", "<p>The redirect URI is not a valid URL.</p>"),
        ),
    }
}

fn no_store(mut response: Response<SimBody>) -> Response<SimBody> {
    set_header(&mut response, CACHE_CONTROL, "no-store, no-cache");
    set_header(&mut response, PRAGMA, "no-cache");
    response
}

/// Whether `tenant` names the demo tenant: its id, its domain, or a multi-tenant alias (which
/// only a multi-tenant app may use, see [`check_authority`]).
fn tenant_known(tenant: &str) -> bool {
    [DEMO_TENANT_ID, DOMAIN, "organizations", "common"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(tenant))
}

/// The accounts offered on the sign-in pages, `login_hint` first.
fn sign_in_accounts<'a>(state: &'a State, login_hint: Option<&str>) -> Vec<&'a SimUser> {
    let mut accounts: Vec<&SimUser> = [ADMIN_UPN, NO_ROLE_UPN, DEVELOPER_UPN]
        .iter()
        .filter_map(|upn| state.directory.user(upn))
        .collect();
    if let Some(hint) = login_hint {
        accounts.sort_by_key(|u| !u.user_principal_name.eq_ignore_ascii_case(hint));
    }
    accounts
}

/// One form per sign-in account (a button `{button_prefix}{account}`), then Cancel, each
/// posting `hidden` to `action`.
fn account_forms(
    state: &State,
    login_hint: Option<&str>,
    action: &str,
    hidden: &str,
    button_prefix: &str,
) -> String {
    let mut forms = String::new();
    for user in sign_in_accounts(state, login_hint) {
        forms.push_str(&format!(
            "<form method=\"post\" action=\"{action}\">{hidden}\
             <input type=\"hidden\" name=\"account\" value=\"{upn}\">\
             <button type=\"submit\">{button_prefix}{label}</button></form>\n",
            upn = html_escape(&user.user_principal_name),
            label = account_label(user),
        ));
    }
    forms.push_str(&format!(
        "<form method=\"post\" action=\"{action}\">{hidden}\
         <input type=\"hidden\" name=\"action\" value=\"cancel\">\
         <button type=\"submit\">Cancel</button></form>\n"
    ));
    forms
}

fn account_label(user: &SimUser) -> String {
    let role = user
        .roles
        .first()
        .map(String::as_str)
        .unwrap_or("no Teams administrator role");
    format!(
        "{}<br><span class=\"muted\">{} · {}</span>",
        html_escape(&user.display_name),
        html_escape(&user.user_principal_name),
        html_escape(role)
    )
}

/// Routes a request to the login listener.
pub(crate) fn handle(
    state: &mut State,
    urls: &Urls,
    req: &SimRequest,
    now: Instant,
) -> Response<SimBody> {
    let segments = req.segments();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let mut response = match (req.method.clone(), segments.as_slice()) {
        (Method::GET, ["devicelogin"]) => device_login_page(state, req),
        (Method::POST, ["devicelogin"]) => device_login_submit(state, req, now),
        (Method::GET, ["error"]) => error_help_page(req),
        (method, [tenant, version, endpoint])
            if version.eq_ignore_ascii_case("v2.0")
                && endpoint.eq_ignore_ascii_case("adminconsent") =>
        {
            admin_consent::handle(state, tenant, method, req, now)
        }
        (method, [tenant, oauth2, version, endpoint])
            if oauth2.eq_ignore_ascii_case("oauth2") && version.eq_ignore_ascii_case("v2.0") =>
        {
            match (method, endpoint.to_ascii_lowercase().as_str()) {
                (Method::GET, "authorize") => authorize_page(state, urls, tenant, req, now),
                (Method::POST, "authorize") => authorize_submit(state, tenant, req, now),
                (Method::POST, "token") => token(state, urls, tenant, req, now),
                (Method::POST, "devicecode") => device_code(state, urls, tenant, req, now),
                _ => not_found(),
            }
        }
        _ => not_found(),
    };
    set_header(
        &mut response,
        HeaderName::from_static("x-ms-request-id"),
        &new_guid(),
    );
    if let Some(id) = req.header("client-request-id") {
        set_header(
            &mut response,
            HeaderName::from_static("client-request-id"),
            id,
        );
    }
    response
}

fn not_found() -> Response<SimBody> {
    html(
        StatusCode::NOT_FOUND,
        page(
            "Not found",
            "<p>This page does not exist on the demo sign-in service.</p>",
        ),
    )
}

fn error_help_page(req: &SimRequest) -> Response<SimBody> {
    let pairs = req.query_pairs();
    let code = param(&pairs, "code").unwrap_or("");
    html(
        StatusCode::OK,
        page(
            "Error code lookup",
            &format!(
                "<h1>AADSTS{}</h1><p>This is the demo tenant. Real error codes are described at \
                 Microsoft Learn (Entra authentication and authorization error codes).</p>",
                html_escape(code)
            ),
        ),
    )
}

// ---- Authorization code flow ---------------------------------------------------------------

fn authorize_page(
    state: &mut State,
    urls: &Urls,
    tenant: &str,
    req: &SimRequest,
    now: Instant,
) -> Response<SimBody> {
    let pairs = req.query_pairs();
    let get = |name| param(&pairs, name).filter(|v| !v.is_empty());
    if !tenant_known(tenant) {
        return error_page(&tenant_not_found(tenant), req);
    }
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
    let Some(redirect_uri) = get("redirect_uri") else {
        return error_page(&missing("redirect_uri"), req);
    };
    if !client.redirect_registered(redirect_uri) {
        let e = err(
            "invalid_request",
            50011,
            format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the \
                 redirect URIs configured for the application '{client_id}'. Make sure the \
                 redirect URI sent in the request matches one added to your application in the \
                 Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more \
                 about how to fix this."
            ),
        );
        return error_page(&e, req);
    }
    // From here on, errors go back to the app through the redirect URI.
    let app_state = get("state");
    let fail = |e: EntraError| error_redirect(&e, redirect_uri, app_state, req);
    match get("response_type") {
        None => return fail(missing("response_type")),
        Some("code") => {}
        Some(other) => {
            return fail(err(
                "unsupported_response_type",
                700054,
                format!("response_type '{other}' is not enabled for the application."),
            ))
        }
    }
    if client.bootstrap && state.apps.bootstrap_blocked {
        return fail(conditional_access_blocked());
    }
    let scopes = match Scopes::parse(get("scope").unwrap_or(""), &urls.graph, &client.granted) {
        Ok(scopes) => scopes,
        Err(e) => return fail(scope_error(e)),
    };
    let Some(challenge) = get("code_challenge") else {
        return fail(missing("code_challenge"));
    };
    let method = match get("code_challenge_method") {
        None | Some("plain") => ChallengeMethod::Plain,
        Some("S256") => ChallengeMethod::S256,
        Some(other) => {
            return fail(malformed(&format!(
                "The code_challenge_method '{other}' is not supported; use 'S256'."
            )))
        }
    };
    if get("prompt") == Some("none") {
        return fail(err(
            "interaction_required",
            50058,
            "A silent sign-in request was sent but no user is signed in.",
        ));
    }
    if let Some(scope) = scopes.unconsented(&client.granted) {
        return fail(consent_error("consent_required", scope, client_id));
    }

    state
        .auth
        .pending
        .retain(|_, p| now.saturating_duration_since(p.created) < SIGN_IN_PAGE_LIFETIME);
    let flow = random_urlsafe(24);
    state.auth.pending.insert(
        flow.clone(),
        PendingSignIn {
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            scopes: scopes.clone(),
            state: app_state.map(str::to_string),
            challenge: challenge.to_string(),
            method,
            nonce: get("nonce").map(str::to_string),
            created: now,
        },
    );

    let action = format!("/{}/oauth2/v2.0/authorize", html_escape(tenant));
    let flow_input = format!(
        "<input type=\"hidden\" name=\"flow\" value=\"{}\">",
        html_escape(&flow)
    );
    let mut body = String::from(
        "<h1>Demo tenant — sign in to Contoso</h1>\n\
         <p>This is NumberDesk’s simulated tenant: nothing here reaches Microsoft.</p>\n",
    );
    body.push_str(&format!(
        "<p class=\"muted\">{APP_NAME} asks for: {}</p>\n<h2>Pick an account</h2>\n",
        html_escape(&scopes.to_scope_string())
    ));
    body.push_str(&account_forms(
        state,
        get("login_hint"),
        &action,
        &flow_input,
        "",
    ));
    html(StatusCode::OK, page("Sign in to Contoso", &body))
}

fn authorize_submit(
    state: &mut State,
    tenant: &str,
    req: &SimRequest,
    now: Instant,
) -> Response<SimBody> {
    if !tenant_known(tenant) {
        return error_page(&tenant_not_found(tenant), req);
    }
    let form = req.form();
    let Some(flow) = param(&form, "flow").and_then(|f| state.auth.pending.remove(f)) else {
        return error_page(
            &malformed(
                "This sign-in page has expired or was already used. Start the sign-in again.",
            ),
            req,
        );
    };
    if now.saturating_duration_since(flow.created) >= SIGN_IN_PAGE_LIFETIME {
        return error_page(
            &malformed("This sign-in page has expired. Start the sign-in again."),
            req,
        );
    }
    if param(&form, "action") == Some("cancel") {
        let e = err(
            "access_denied",
            65004,
            "User declined to consent to access the app.",
        );
        return error_redirect(&e, &flow.redirect_uri, flow.state.as_deref(), req);
    }
    let offered = sign_in_accounts(state, None);
    let Some(user) = param(&form, "account").and_then(|upn| {
        offered
            .iter()
            .find(|u| u.user_principal_name.eq_ignore_ascii_case(upn))
    }) else {
        return error_page(&malformed("Pick one of the accounts offered."), req);
    };
    let user_id = user.id.clone();
    let code = random_urlsafe(64);
    state.auth.issued.push(code.clone());
    state.auth.codes.insert(
        code.clone(),
        AuthCode {
            client_id: flow.client_id,
            redirect_uri: flow.redirect_uri.clone(),
            scopes: flow.scopes,
            challenge: flow.challenge,
            method: flow.method,
            nonce: flow.nonce,
            user_id,
            issued: now,
            redeemed: false,
        },
    );
    let mut pairs = vec![("code", code)];
    if let Some(app_state) = flow.state {
        pairs.push(("state", app_state));
    }
    pairs.push(("session_state", new_guid()));
    redirect_with(&flow.redirect_uri, &pairs)
}

// ---- Token endpoint -------------------------------------------------------------------------

fn token(
    state: &mut State,
    urls: &Urls,
    tenant: &str,
    req: &SimRequest,
    now: Instant,
) -> Response<SimBody> {
    match token_inner(state, urls, tenant, req, now) {
        Ok(body) => no_store(json(StatusCode::OK, &body)),
        Err(e) => error_json(&e, req, urls),
    }
}

fn token_inner(
    state: &mut State,
    urls: &Urls,
    tenant: &str,
    req: &SimRequest,
    now: Instant,
) -> Result<serde_json::Value, EntraError> {
    if !tenant_known(tenant) {
        return Err(tenant_not_found(tenant));
    }
    let form = req.form();
    let get = |name| param(&form, name).filter(|v| !v.is_empty());
    let client_id = get("client_id").ok_or_else(|| missing("client_id"))?;
    let client = known_client(state, client_id, now)?;
    check_authority(&client, tenant, client_id)?;
    if get("client_secret").is_some() || get("client_assertion").is_some() {
        return Err(EntraError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            code: 700025,
            description: "Client is public so neither 'client_assertion' nor 'client_secret' \
                          should be presented."
                .to_string(),
        });
    }
    let issuer = Issuer {
        login_url: &urls.login,
        tenant_id: DEMO_TENANT_ID,
    };
    match get("grant_type").ok_or_else(|| missing("grant_type"))? {
        "authorization_code" => {
            let code_value = get("code").ok_or_else(|| missing("code"))?;
            let redirect_uri = get("redirect_uri").ok_or_else(|| missing("redirect_uri"))?;
            let lifetime = state.auth.lifetimes.auth_code;
            let code = state
                .auth
                .codes
                .get(code_value)
                .filter(|c| c.client_id.eq_ignore_ascii_case(client_id))
                .ok_or_else(|| invalid_grant(70000, "Provided grant is invalid or malformed."))?;
            if code.redeemed {
                return Err(invalid_grant(
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new \
                     valid code or use an existing refresh token.",
                ));
            }
            if now.saturating_duration_since(code.issued) >= lifetime {
                return Err(invalid_grant(
                    70008,
                    "The provided authorization code or refresh token has expired due to \
                     inactivity. Send a new interactive authorization request for this user and \
                     resource.",
                ));
            }
            if code.redirect_uri != redirect_uri {
                return Err(invalid_grant(
                    500112,
                    format!(
                        "The reply address '{redirect_uri}' does not match the reply address '{}' \
                         provided when requesting Authorization code.",
                        code.redirect_uri
                    ),
                ));
            }
            let verifier = get("code_verifier").ok_or_else(|| missing("code_verifier"))?;
            if !code.method.verifies(&code.challenge, verifier) {
                return Err(invalid_grant(
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the \
                     authorization request.",
                ));
            }
            let code = code.clone();
            if let Some(stored) = state.auth.codes.get_mut(code_value) {
                stored.redeemed = true;
            }
            let user = state
                .directory
                .user(&code.user_id)
                .cloned()
                .ok_or_else(|| invalid_grant(70000, "Provided grant is invalid or malformed."))?;
            Ok(state.auth.issue(
                &issuer,
                &user,
                client_id,
                &code.scopes,
                code.nonce.as_deref(),
                false,
                now,
            ))
        }
        "refresh_token" => {
            let presented = get("refresh_token").ok_or_else(|| missing("refresh_token"))?;
            let stored = state
                .auth
                .refresh
                .get(&token_key(presented))
                .filter(|t| t.client_id.eq_ignore_ascii_case(client_id))
                .cloned()
                .ok_or_else(malformed_grant)?;
            match stored.state {
                RefreshState::Rotated => {
                    return Err(invalid_grant(
                        70008,
                        "The provided authorization code or refresh token has expired due to \
                         inactivity. Send a new interactive authorization request for this user \
                         and resource.",
                    ))
                }
                RefreshState::Revoked => {
                    return Err(invalid_grant(
                        50173,
                        "The provided grant has expired due to it being revoked, a fresh auth \
                         token is needed. The user might have changed or reset their password.",
                    ))
                }
                RefreshState::Active => {}
            }
            if now >= stored.expires_at {
                return Err(invalid_grant(
                    700082,
                    format!(
                        "The refresh token has expired due to inactivity. The token was issued on \
                         {} and was inactive for the configured lifetime.",
                        entra_timestamp(stored.issued_wall)
                    ),
                ));
            }
            let scopes = match get("scope") {
                Some(raw) => {
                    let scopes =
                        Scopes::parse(raw, &urls.graph, &client.granted).map_err(scope_error)?;
                    if let Some(scope) = scopes.unconsented(&client.granted) {
                        return Err(consent_error("invalid_grant", scope, client_id));
                    }
                    scopes
                }
                None => stored.scopes.clone(),
            };
            let user = state
                .directory
                .user(&stored.user_id)
                .cloned()
                .ok_or_else(malformed_grant)?;
            if let Some(old) = state.auth.refresh.get_mut(&token_key(presented)) {
                old.state = RefreshState::Rotated;
            }
            Ok(state
                .auth
                .issue(&issuer, &user, client_id, &scopes, None, true, now))
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let device_code = get("device_code").ok_or_else(|| missing("device_code"))?;
            let bad_code = || {
                err(
                    "bad_verification_code",
                    70000,
                    "The device_code sent to the /token endpoint wasn't recognized.",
                )
            };
            let grant = state
                .auth
                .devices
                .get_mut(device_code)
                .filter(|g| g.client_id.eq_ignore_ascii_case(client_id))
                .ok_or_else(bad_code)?;
            if now >= grant.expires_at {
                return Err(err("expired_token", 70019, "Verification code expired."));
            }
            match grant.state.clone() {
                DeviceState::Declined => Err(err(
                    "authorization_declined",
                    70000,
                    "The end user denied the authorization request.",
                )),
                DeviceState::Redeemed => Err(invalid_grant(
                    70000,
                    "Provided grant is invalid or malformed. The device code was already redeemed.",
                )),
                DeviceState::Pending => {
                    let too_fast = grant
                        .last_poll
                        .is_some_and(|last| now.saturating_duration_since(last) < grant.interval);
                    grant.last_poll = Some(now);
                    if too_fast {
                        Err(err(
                            "slow_down",
                            70016,
                            "OAuth 2.0 device flow error. Polling too fast; wait the interval \
                             between requests.",
                        ))
                    } else {
                        Err(err(
                            "authorization_pending",
                            70016,
                            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                        ))
                    }
                }
                DeviceState::Approved(user_id) => {
                    grant.state = DeviceState::Redeemed;
                    let scopes = grant.scopes.clone();
                    let user = state
                        .directory
                        .user(&user_id)
                        .cloned()
                        .ok_or_else(bad_code)?;
                    Ok(state
                        .auth
                        .issue(&issuer, &user, client_id, &scopes, None, false, now))
                }
            }
        }
        other => Err(err(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{other}'."),
        )),
    }
}

fn malformed_grant() -> EntraError {
    invalid_grant(9002313, "Invalid request. Request is malformed or invalid.")
}

// ---- Device code flow -----------------------------------------------------------------------

fn device_code(
    state: &mut State,
    urls: &Urls,
    tenant: &str,
    req: &SimRequest,
    now: Instant,
) -> Response<SimBody> {
    let result = (|| {
        if !tenant_known(tenant) {
            return Err(tenant_not_found(tenant));
        }
        let form = req.form();
        let get = |name| param(&form, name).filter(|v: &&str| !v.is_empty());
        let client_id = get("client_id").ok_or_else(|| missing("client_id"))?;
        let client = known_client(state, client_id, now)?;
        check_authority(&client, tenant, client_id)?;
        if !client.public_client_flows {
            // "Allow public client flows" is off: Entra takes the app for a confidential one.
            return Err(EntraError {
                status: StatusCode::UNAUTHORIZED,
                error: "invalid_client",
                code: 7000218,
                description: "The request body must contain the following parameter: \
                              'client_assertion' or 'client_secret'."
                    .to_string(),
            });
        }
        let scopes = Scopes::parse(get("scope").unwrap_or(""), &urls.graph, &client.granted)
            .map_err(scope_error)?;
        if let Some(scope) = scopes.unconsented(&client.granted) {
            return Err(consent_error("invalid_grant", scope, client_id));
        }
        let lifetimes = state.auth.lifetimes;
        let device_code = random_urlsafe(64);
        state.auth.issued.push(device_code.clone());
        let user_code = new_user_code();
        state.auth.devices.insert(
            device_code.clone(),
            DeviceGrant {
                client_id: client_id.to_string(),
                scopes,
                user_code: user_code.clone(),
                expires_at: now + lifetimes.device_code,
                interval: lifetimes.device_interval,
                last_poll: None,
                state: DeviceState::Pending,
            },
        );
        let verification_uri = format!("{}/devicelogin", urls.login);
        Ok(serde_json::json!({
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": verification_uri,
            "expires_in": lifetimes.device_code.as_secs(),
            "interval": lifetimes.device_interval.as_secs(),
            "message": format!(
                "To sign in, use a web browser to open the page {verification_uri} and enter the \
                 code {user_code} to authenticate."
            ),
        }))
    })();
    match result {
        Ok(body) => no_store(json(StatusCode::OK, &body)),
        Err(e) => error_json(&e, req, urls),
    }
}

fn device_login_page(state: &State, req: &SimRequest) -> Response<SimBody> {
    let pairs = req.query_pairs();
    let prefilled = param(&pairs, "otc").unwrap_or("");
    let mut accounts = String::new();
    for (i, user) in sign_in_accounts(state, None).iter().enumerate() {
        accounts.push_str(&format!(
            "<p><input type=\"radio\" id=\"account{i}\" name=\"account\" value=\"{upn}\"{checked}> \
             <label for=\"account{i}\">{label}</label></p>\n",
            upn = html_escape(&user.user_principal_name),
            checked = if i == 0 { " checked" } else { "" },
            label = account_label(user),
        ));
    }
    let body = format!(
        "<h1>Enter code</h1>\n<p>Enter the code displayed in NumberDesk to allow it to sign in \
         to the demo tenant (Contoso).</p>\n\
         <form method=\"post\" action=\"/devicelogin\">\n\
         <p><label for=\"code\">Code</label><br>\
         <input id=\"code\" name=\"code\" value=\"{code}\" autocomplete=\"off\" required></p>\n\
         <fieldset><legend>Sign in as</legend>\n{accounts}</fieldset>\n\
         <p><button type=\"submit\" name=\"action\" value=\"approve\">Continue</button></p>\n\
         <p><button type=\"submit\" name=\"action\" value=\"decline\">Cancel</button></p>\n\
         </form>",
        code = html_escape(prefilled),
    );
    html(StatusCode::OK, page("Enter code", &body))
}

fn device_login_submit(state: &mut State, req: &SimRequest, now: Instant) -> Response<SimBody> {
    let form = req.form();
    let typed = normalize_user_code(param(&form, "code").unwrap_or(""));
    let decline = param(&form, "action") == Some("decline");
    let account = param(&form, "account").unwrap_or("");
    let user_id = sign_in_accounts(state, None)
        .iter()
        .find(|u| u.user_principal_name.eq_ignore_ascii_case(account))
        .map(|u| u.id.clone());
    let message = |status: StatusCode, title: &str, text: &str| {
        html(
            status,
            page(
                title,
                &format!(
                    "<h1>{}</h1>\n<p role=\"status\">{}</p>",
                    html_escape(title),
                    html_escape(text)
                ),
            ),
        )
    };
    let Some(grant) = state
        .auth
        .devices
        .values_mut()
        .find(|g| g.user_code == typed && g.state == DeviceState::Pending)
    else {
        return message(
            StatusCode::BAD_REQUEST,
            "Code not recognised",
            "That code didn’t work. Check the code and try again.",
        );
    };
    if now >= grant.expires_at {
        return message(
            StatusCode::BAD_REQUEST,
            "Code expired",
            "That code has expired. Go back to NumberDesk to get a new one.",
        );
    }
    if decline {
        grant.state = DeviceState::Declined;
        return message(
            StatusCode::OK,
            "Sign-in cancelled",
            "You declined to sign in to NumberDesk on your device. You may now close this window.",
        );
    }
    let Some(user_id) = user_id else {
        return message(
            StatusCode::BAD_REQUEST,
            "Pick an account",
            "Choose one of the accounts offered.",
        );
    };
    grant.state = DeviceState::Approved(user_id);
    message(
        StatusCode::OK,
        "You’re signed in",
        "You have signed in to NumberDesk on your device. You may now close this window.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_aliases() {
        assert!(tenant_known("organizations"));
        assert!(tenant_known("Contoso.onmicrosoft.com"));
        assert!(tenant_known(DEMO_TENANT_ID));
        assert!(!tenant_known("consumers"));
        assert!(!tenant_known("fabrikam.onmicrosoft.com"));
        assert!(is_multi_tenant_alias("Common") && is_multi_tenant_alias("organizations"));
        assert!(!is_multi_tenant_alias(DOMAIN) && !is_multi_tenant_alias(DEMO_TENANT_ID));
    }
}
