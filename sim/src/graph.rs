//! The fake Microsoft Graph (v1.0) on the sim's Graph listener: telephone-number management
//! and the few `/users` reads the app needs to put names on assignees.
//!
//! Every request passes the same gates, in this order: injected faults (see `faults.rs`),
//! then the bearer token (401 `InvalidAuthenticationToken` with a `WWW-Authenticate`
//! challenge), then routing, then per-endpoint permission checks (403: the token's scopes
//! first, then the signed-in user's Teams role). Every response carries `request-id`,
//! `client-request-id` (the caller's, echoed, or a new one) and `date`; every error uses
//! Graph's envelope `{"error":{"code","message","innerError":{"date","request-id",
//! "client-request-id"}}}`.
//!
//! Choices the documentation leaves open:
//! - Both action paths are accepted, for `unassignNumber` and `assignNumber` alike: the
//!   documented `numberAssignments/unassignNumber` and the SDK's namespace-qualified
//!   `numberAssignments/microsoft.graph.teamsAdministration.unassignNumber` (graph-api.md §1.2
//!   marks which one the service takes as unconfirmed). Action and namespace names are
//!   case-sensitive, as in OData: `UnassignNumber` is read as a number's key (a POST there is
//!   405), a qualified name in the wrong case is an unknown segment (400).
//! - Action bodies are validated strictly, with OData's wording: unknown parameter, missing
//!   required parameter, wrong JSON type and unknown enum member are all 400 `BadRequest`.
//!   Parameter names and enum literals are case-sensitive, as in OData (graph-api.md §7):
//!   `NumberType` is an unknown parameter and `CallingPlan` an unknown member. A body that is
//!   not a JSON object, or a missing `application/json` content type, gets Graph's "Unable to
//!   read JSON request payload" 400.
//! - An unknown number, or a known number with the wrong `numberType`, is the real service's
//!   400 "Telephone Number '…' is not found from tenant '…'" (graph-api.md §4.3).
//! - `$filter`: see `filter.rs`. Unknown `$` query options are refused with a 400 rather than
//!   ignored, so a client never believes an option it sent was honoured. `$top` accepts
//!   0..=1000; `@odata.nextLink` is returned (absolute, on this listener) while more remain,
//!   with `$skip` by default, an opaque `$skiptoken` or not at all as `NumberNextLink` says.
//! - Operations GET: `operations('<id>')` and `operations/<id>`; optionally wrapped in
//!   `{"value": …}` as the documentation's example shows (the `operation_envelope` knob).
//! - `/users/{id}` takes an object id or UPN and needs `User.ReadBasic.All` (403
//!   `Authorization_RequestDenied` otherwise); `/me` also works with `User.Read`. The other
//!   directory reads (`id in` filters, deleted users, `$batch`) are in `users_api.rs`.

use std::time::{Instant, SystemTime};

use hyper::header::{HeaderName, CONTENT_TYPE, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::{Method, Response, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value};

use super::directory::{
    enum_member, normalize_number, NumberAssignment, SimUser, TargetKind, UserKind, NUMBER_TYPES,
};
use super::faults::{retry_after_seconds, InjectedFault};
use super::filter;
use super::http::{
    encode_query_value, graph_error_date, http_date_now, json, json_of, new_guid, respond,
    set_header, SimBody, SimRequest,
};
use super::operations::OperationKind;
use super::quirks::{ActionAnswer, LocationForm, NumberNextLink};
use super::user_query;
use super::{State, Urls};

#[path = "apps_api.rs"]
mod apps_api;
#[path = "users_api.rs"]
mod users_api;

const ROOT: &str = "admin/teams/telephoneNumberManagement";
const DEFAULT_TOP: usize = 500;
const MAX_TOP: usize = 1000;
/// The Graph resource's app id, as `WWW-Authenticate` names it.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Per-request values every response needs.
struct Ctx {
    request_id: String,
    client_request_id: String,
}

/// An error answer, before it becomes a response.
struct GraphError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> GraphError {
    GraphError {
        status,
        code,
        message: message.into(),
    }
}

fn bad_request(message: impl Into<String>) -> GraphError {
    error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

fn segment_not_found(segment: &str) -> GraphError {
    bad_request(format!("Resource not found for the segment '{segment}'."))
}

fn method_not_allowed(method: &Method) -> GraphError {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "BadRequest",
        format!("The HTTP method '{method}' is not allowed for this resource."),
    )
}

fn error_response(e: &GraphError, ctx: &Ctx) -> Response<SimBody> {
    let body = serde_json::json!({
        "error": {
            "code": e.code,
            "message": e.message,
            "innerError": {
                "date": graph_error_date(SystemTime::now()),
                "request-id": ctx.request_id,
                "client-request-id": ctx.client_request_id,
            }
        }
    });
    json(e.status, &body)
}

/// The signed-in caller.
struct Caller {
    user: SimUser,
    scopes: std::collections::BTreeSet<&'static str>,
}

/// Answers one Graph request. `now` is when the request is handled (after any latency).
pub(crate) fn handle(
    state: &mut State,
    urls: &Urls,
    req: &SimRequest,
    now: Instant,
) -> Response<SimBody> {
    let ctx = Ctx {
        request_id: new_guid(),
        client_request_id: req
            .header("client-request-id")
            .map(str::to_string)
            .unwrap_or_else(new_guid),
    };
    state.operations.settle(&mut state.directory, now);

    let fault = number_page_fault(state, req).or_else(|| state.faults.take(now));
    let mut response = match fault {
        Some(fault) => fault_response(fault, &ctx),
        None => match authenticate(state, req, now) {
            Err((e, challenge)) => {
                let mut response = error_response(&e, &ctx);
                set_header(
                    &mut response,
                    WWW_AUTHENTICATE,
                    &challenge_header(urls, challenge),
                );
                response
            }
            Ok(caller) => match route(state, urls, req, &caller, now) {
                Ok(response)
                    if req.method == Method::POST
                        && response.status().is_success()
                        && std::mem::take(&mut state.faults.gateway_timeout_next_post) =>
                {
                    // Acted on, but the gateway stopped waiting: the change goes ahead.
                    error_response(
                        &error(
                            StatusCode::GATEWAY_TIMEOUT,
                            "GatewayTimeout",
                            "The gateway timed out waiting for the service.",
                        ),
                        &ctx,
                    )
                }
                Ok(response) => response,
                Err(e) => error_response(&e, &ctx),
            },
        },
    };
    set_header(
        &mut response,
        HeaderName::from_static("request-id"),
        &ctx.request_id,
    );
    set_header(
        &mut response,
        HeaderName::from_static("client-request-id"),
        &ctx.client_request_id,
    );
    set_header(&mut response, hyper::header::DATE, &http_date_now());
    response
}

/// A fault queued for the list page this request asks for (`SimTenant::fail_number_page`).
fn number_page_fault(state: &mut State, req: &SimRequest) -> Option<InjectedFault> {
    let faults = &mut state.quirks.number_page_faults;
    if faults.is_empty()
        || req.method != Method::GET
        || !req.path.ends_with(&format!("{ROOT}/numberAssignments"))
    {
        return None;
    }
    let skip = req
        .query_pairs()
        .into_iter()
        .find(|(k, _)| k == "$skip")
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let at = faults.iter().position(|(s, _)| *s == skip)?;
    Some(faults.remove(at).1)
}

/// The Teams number backend's words when it is overloaded, exactly as admins report them
/// (office-docs-powershell issues 8992 and 9875): no full stop.
pub(crate) const OVERLOAD_MESSAGE: &str = "Service is unavailable. Please try again";

fn fault_response(fault: InjectedFault, ctx: &Ctx) -> Response<SimBody> {
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let (code, message) = match status.as_u16() {
        _ if fault.overload => ("BadRequest", OVERLOAD_MESSAGE),
        429 => (
            "TooManyRequests",
            "Too many requests. Retry after the number of seconds in the Retry-After header.",
        ),
        500 => (
            "InternalServerError",
            "An internal server error occurred. Please try again later.",
        ),
        502 => ("BadGateway", "Bad gateway."),
        503 => (
            "ServiceUnavailable",
            "Service is unavailable. Please try again.",
        ),
        504 => (
            "GatewayTimeout",
            "The gateway timed out waiting for the service.",
        ),
        401 => (
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        ),
        403 => ("Forbidden", "Access denied."),
        404 => ("NotFound", "The resource could not be found."),
        409 => (
            "Conflict",
            "The request conflicts with the current state of the resource.",
        ),
        _ => (
            "UnknownError",
            "An injected failure from the simulated tenant.",
        ),
    };
    let mut response = error_response(&error(status, code, message), ctx);
    if let Some(wait) = fault.retry_after {
        set_header(
            &mut response,
            RETRY_AFTER,
            &retry_after_seconds(wait).to_string(),
        );
    }
    response
}

/// Why authentication failed, for the `WWW-Authenticate` challenge.
#[derive(Clone, Copy)]
enum Challenge {
    NoToken,
    InvalidToken,
}

fn challenge_header(urls: &Urls, challenge: Challenge) -> String {
    let base = format!(
        "Bearer realm=\"\", authorization_uri=\"{}/common/oauth2/authorize\", client_id=\"{GRAPH_APP_ID}\"",
        urls.login
    );
    match challenge {
        Challenge::NoToken => base,
        Challenge::InvalidToken => format!(
            "{base}, error=\"invalid_token\", error_description=\"The access token is expired or invalid.\""
        ),
    }
}

fn authenticate(
    state: &State,
    req: &SimRequest,
    now: Instant,
) -> Result<Caller, (GraphError, Challenge)> {
    let token = req
        .header("authorization")
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err((
            error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Access token is empty.",
            ),
            Challenge::NoToken,
        ));
    };
    let invalid = || {
        (
            error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
            ),
            Challenge::InvalidToken,
        )
    };
    let access = state.auth.access_token(token, now).ok_or_else(invalid)?;
    let user = state
        .directory
        .user(&access.user_id)
        .cloned()
        .ok_or_else(invalid)?;
    Ok(Caller {
        user,
        scopes: access.scopes.clone(),
    })
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn route(
    state: &mut State,
    urls: &Urls,
    req: &SimRequest,
    caller: &Caller,
    now: Instant,
) -> Result<Response<SimBody>, GraphError> {
    let segments = req.segments();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let Some((version, rest)) = segments.split_first() else {
        return Err(bad_request(
            "Invalid version: the path must start with /v1.0.",
        ));
    };
    if !eq(version, "v1.0") {
        return Err(bad_request(format!("Invalid version: {version}")));
    }
    match rest {
        [admin, teams, management, tail @ ..]
            if eq(admin, "admin")
                && eq(teams, "teams")
                && eq(management, "telephoneNumberManagement") =>
        {
            telephone_numbers(state, urls, req, caller, tail, now)
        }
        [me] if eq(me, "me") => {
            only_get(req)?;
            if !caller.scopes.contains("User.Read") && !caller.scopes.contains("User.ReadBasic.All")
            {
                return Err(insufficient_privileges());
            }
            Ok(user_json(urls, &caller.user))
        }
        [users, id] if eq(users, "users") => users_api::get_user(state, urls, req, caller, id),
        [users] if eq(users, "users") => users_api::list_users(state, urls, req, caller),
        [directory, deleted, cast]
            if eq(directory, "directory")
                && eq(deleted, "deletedItems")
                && *cast == "microsoft.graph.user" =>
        {
            users_api::deleted_users(state, urls, req, caller)
        }
        [batch] if *batch == "$batch" => users_api::batch(state, urls, req, caller, now),
        [collection, ..] if apps_api::serves(collection) => {
            apps_api::route(state, urls, req, caller, rest, now)
        }
        [first, ..] => Err(segment_not_found(first)),
        [] => Err(bad_request(
            "The request URI is not valid: a resource is required after /v1.0.",
        )),
    }
}

fn only_get(req: &SimRequest) -> Result<(), GraphError> {
    if req.method == Method::GET {
        Ok(())
    } else {
        Err(method_not_allowed(&req.method))
    }
}

fn insufficient_privileges() -> GraphError {
    error(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
}

fn user_json(urls: &Urls, user: &SimUser) -> Response<SimBody> {
    let body = serde_json::json!({
        "@odata.context": format!("{}/v1.0/$metadata#users/$entity", urls.graph),
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": user.given_name,
        "jobTitle": user.job_title,
        "mail": user.mail,
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": null,
        "surname": user.surname,
        "userPrincipalName": user.user_principal_name,
        "id": user.id,
    });
    json(StatusCode::OK, &body)
}

/// Scope, then role: the gateway checks the token before the service checks the person.
fn may_use_numbers(caller: &Caller, write: bool) -> Result<(), GraphError> {
    let scope_ok = caller.scopes.contains("TeamsTelephoneNumber.ReadWrite.All")
        || (!write && caller.scopes.contains("TeamsTelephoneNumber.Read.All"));
    if !scope_ok {
        let needed = if write {
            "TeamsTelephoneNumber.ReadWrite.All"
        } else {
            "TeamsTelephoneNumber.Read.All, TeamsTelephoneNumber.ReadWrite.All"
        };
        let had: Vec<&str> = caller.scopes.iter().copied().collect();
        return Err(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "Missing scope permissions on the request. API requires one of '{needed}'. Scopes \
                 on the request '{}'.",
                had.join(" ")
            ),
        ));
    }
    if !caller.user.can_manage_numbers() {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Access denied. The signed-in user needs one of these roles to manage telephone \
             numbers: Teams Administrator, Teams Communications Administrator, Teams Telephony \
             Administrator.",
        ));
    }
    Ok(())
}

/// Strips `name('x')` to `x`, if `segment` has that shape.
fn key_in_parens<'a>(segment: &'a str, name: &str) -> Option<&'a str> {
    let head = segment.get(..name.len())?;
    if !eq(head, name) {
        return None;
    }
    let inner = segment[name.len()..].strip_prefix('(')?.strip_suffix(')')?;
    Some(strip_quotes(inner))
}

fn strip_quotes(value: &str) -> &str {
    value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .unwrap_or(value)
}

/// The action `segment` names, bare or qualified with its namespace, spelt exactly.
fn action_name<'a>(segment: &str, names: &[&'a str]) -> Option<&'a str> {
    let bare = segment
        .strip_prefix("microsoft.graph.teamsAdministration.")
        .unwrap_or(segment);
    names.iter().copied().find(|n| *n == bare)
}

fn telephone_numbers(
    state: &mut State,
    urls: &Urls,
    req: &SimRequest,
    caller: &Caller,
    tail: &[&str],
    now: Instant,
) -> Result<Response<SimBody>, GraphError> {
    match tail {
        [collection] if eq(collection, "numberAssignments") => {
            only_get(req)?;
            may_use_numbers(caller, false)?;
            list_numbers(state, urls, req)
        }
        [segment] if key_in_parens(segment, "numberAssignments").is_some() => {
            only_get(req)?;
            may_use_numbers(caller, false)?;
            get_number(
                state,
                urls,
                key_in_parens(segment, "numberAssignments").unwrap_or(""),
            )
        }
        [collection, segment] if eq(collection, "numberAssignments") => {
            match action_name(segment, &["unassignNumber", "assignNumber"]) {
                Some(action) => {
                    if req.method != Method::POST {
                        return Err(method_not_allowed(&req.method));
                    }
                    may_use_numbers(caller, true)?;
                    if action == "unassignNumber" {
                        unassign_number(state, urls, req, now)
                    } else {
                        assign_number(state, urls, req, now)
                    }
                }
                // A qualified name that is no action here (number ids have no dots).
                None if segment.contains('.') => Err(segment_not_found(segment)),
                None => {
                    only_get(req)?;
                    may_use_numbers(caller, false)?;
                    get_number(state, urls, strip_quotes(segment))
                }
            }
        }
        [segment] if key_in_parens(segment, "operations").is_some() => {
            only_get(req)?;
            may_use_numbers(caller, false)?;
            get_operation(
                state,
                urls,
                key_in_parens(segment, "operations").unwrap_or(""),
                now,
            )
        }
        [collection, id] if eq(collection, "operations") => {
            only_get(req)?;
            may_use_numbers(caller, false)?;
            get_operation(state, urls, strip_quotes(id), now)
        }
        [] => Err(bad_request(
            "Reading the telephoneNumberManagement root is not supported by the simulated tenant; \
             use numberAssignments or operations.",
        )),
        [first, ..] => Err(segment_not_found(first)),
    }
}

/// A page of `GET numberAssignments`, in Graph's order: annotations, then `value`.
#[derive(Serialize)]
struct NumberPage<'a> {
    #[serde(rename = "@odata.context")]
    context: String,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
    value: Vec<PageRow<'a>>,
}

/// One row of a list page: the number's own JSON, written straight from it (no tree built
/// for each of a page's 1,000 rows: the sim's time is not Microsoft's), or, for a number
/// with properties served as `null`, its adjusted JSON.
enum PageRow<'a> {
    Whole(&'a NumberAssignment),
    Adjusted(Value),
}

impl Serialize for PageRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            PageRow::Whole(number) => number.serialize(serializer),
            PageRow::Adjusted(value) => value.serialize(serializer),
        }
    }
}

/// One `numberAssignment` with its context annotation first.
#[derive(Serialize)]
struct NumberEntity {
    #[serde(rename = "@odata.context")]
    context: String,
    #[serde(flatten)]
    number: Map<String, Value>,
}

fn number_url(urls: &Urls) -> String {
    format!("{}/v1.0/{ROOT}/numberAssignments", urls.graph)
}

fn list_numbers(
    state: &State,
    urls: &Urls,
    req: &SimRequest,
) -> Result<Response<SimBody>, GraphError> {
    let mut filter_text: Option<String> = None;
    let mut top = DEFAULT_TOP;
    let mut skip = 0usize;
    let mut seen_top = false;
    let mut seen_skip = false;
    let mut skip_token = None;
    for (key, value) in req.query_pairs() {
        match key.as_str() {
            "$filter" if filter_text.is_none() => filter_text = Some(value),
            "$top" if !seen_top => {
                seen_top = true;
                top = value.trim().parse().map_err(|_| {
                    bad_request(format!(
                        "Invalid value '{value}' for $top query option found. The $top query \
                         option requires a non-negative integer value."
                    ))
                })?;
                if top > MAX_TOP {
                    return Err(bad_request(format!(
                        "The limit of '{MAX_TOP}' for Top query has been exceeded. The value from \
                         the incoming request is '{value}'."
                    )));
                }
            }
            "$skip" if !seen_skip => {
                seen_skip = true;
                skip = value.trim().parse().map_err(|_| {
                    bad_request(format!(
                        "Invalid value '{value}' for $skip query option found. The $skip query \
                         option requires a non-negative integer value."
                    ))
                })?;
            }
            // Only what this tenant handed out in a `nextLink`.
            "$skiptoken"
                if skip_token.is_none()
                    && state.quirks.number_next_link == NumberNextLink::SkipToken =>
            {
                skip_token = Some(skip_from_token(&value).ok_or_else(|| {
                    bad_request(format!("The skip token '{value}' is not valid."))
                })?);
            }
            "$filter" | "$top" | "$skip" | "$skiptoken" => {
                return Err(bad_request(format!(
                    "Query option '{key}' was specified more than once, but it must be specified at most once."
                )))
            }
            other if other.starts_with('$') => {
                return Err(bad_request(format!(
                    "Query option '{other}' is not supported on numberAssignments; supported are \
                     $filter, $top and $skip."
                )))
            }
            _ => {}
        }
    }
    if let Some(token) = skip_token {
        if seen_skip {
            return Err(bad_request("$skip and $skiptoken cannot be used together."));
        }
        skip = token;
    }
    let filter = filter_text
        .as_deref()
        .map(filter::parse)
        .transpose()
        .map_err(bad_request)?;
    let matching: Vec<&NumberAssignment> = state
        .directory
        .numbers
        .iter()
        .filter(|n| filter.as_ref().is_none_or(|f| f.matches(n)))
        .collect();
    // A capped page (the `page_cap` knob) is cut short and says nothing of what is left.
    let capped = state.quirks.page_cap.is_some_and(|cap| cap < top);
    let top = state.quirks.page_cap.map_or(top, |cap| cap.min(top));
    let more = !capped && top > 0 && skip.saturating_add(top) < matching.len();
    let next_link = match state.quirks.number_next_link {
        _ if !more => None,
        NumberNextLink::Absent => None,
        form => {
            let mut next = format!("{}?", number_url(urls));
            if let Some(text) = &filter_text {
                next.push_str(&format!("$filter={}&", encode_query_value(text)));
            }
            if form == NumberNextLink::SkipToken {
                next.push_str(&format!(
                    "$top={top}&$skiptoken={}",
                    token_for_skip(skip + top)
                ));
            } else {
                next.push_str(&format!("$top={top}&$skip={}", skip + top));
            }
            Some(next)
        }
    };
    let page = NumberPage {
        context: format!("{}/v1.0/$metadata#{ROOT}/numberAssignments", urls.graph),
        next_link,
        value: matching
            .into_iter()
            .skip(skip)
            .take(top)
            .map(|number| {
                if number.served_as_null.is_empty() {
                    PageRow::Whole(number)
                } else {
                    PageRow::Adjusted(number.to_graph_json())
                }
            })
            .collect(),
    };
    Ok(json_of(StatusCode::OK, &page))
}

/// An opaque-looking `$skiptoken` for a position (what a client must not read into).
fn token_for_skip(skip: usize) -> String {
    format!("N{:012x}", (skip as u64) ^ 0x5d3a_91c4_e7b2)
}

fn skip_from_token(token: &str) -> Option<usize> {
    let hex = token.strip_prefix('N').filter(|h| h.len() == 12)?;
    let value = u64::from_str_radix(hex, 16).ok()? ^ 0x5d3a_91c4_e7b2;
    usize::try_from(value).ok()
}

fn get_number(state: &State, urls: &Urls, id: &str) -> Result<Response<SimBody>, GraphError> {
    let number = state.directory.number_by_id(id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("Telephone number assignment '{id}' was not found."),
        )
    })?;
    let entity = NumberEntity {
        context: format!(
            "{}/v1.0/$metadata#{ROOT}/numberAssignments/$entity",
            urls.graph
        ),
        number: match number.to_graph_json() {
            Value::Object(map) => map,
            _ => Map::new(),
        },
    };
    Ok(json_of(StatusCode::OK, &entity))
}

fn get_operation(
    state: &mut State,
    urls: &Urls,
    id: &str,
    now: Instant,
) -> Result<Response<SimBody>, GraphError> {
    if let Some(status) = state.quirks.operation_read_faults.pop_front() {
        return Err(scoped_fault(status));
    }
    let operation = state.operations.get(id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("Long running operation '{id}' was not found."),
        )
    })?;
    let entity = operation.view(&urls.graph, now);
    if state.envelope {
        Ok(json_of(StatusCode::OK, &Envelope { value: entity }))
    } else {
        Ok(json_of(StatusCode::OK, &entity))
    }
}

/// The documentation's example wraps the operation in `value`.
#[derive(Serialize)]
struct Envelope<T> {
    value: T,
}

// ---- Action bodies --------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum ParamType {
    Text,
    Enum(&'static str, &'static [&'static str]),
}

struct Param {
    name: &'static str,
    kind: ParamType,
    required: bool,
}

const NUMBER_TYPE: ParamType = ParamType::Enum(
    "microsoft.graph.teamsAdministration.numberType",
    NUMBER_TYPES,
);
/// `unknownFutureValue` is a sentinel, never a category one can ask for.
const CATEGORIES: &[&str] = &["primary", "private", "alternate"];
const CATEGORY: ParamType = ParamType::Enum(
    "microsoft.graph.teamsAdministration.assignmentCategory",
    CATEGORIES,
);

const UNASSIGN_PARAMS: &[Param] = &[
    Param {
        name: "telephoneNumber",
        kind: ParamType::Text,
        required: true,
    },
    Param {
        name: "numberType",
        kind: NUMBER_TYPE,
        required: true,
    },
];

const ASSIGN_PARAMS: &[Param] = &[
    Param {
        name: "telephoneNumber",
        kind: ParamType::Text,
        required: true,
    },
    Param {
        name: "assignmentTargetId",
        kind: ParamType::Text,
        required: true,
    },
    Param {
        name: "numberType",
        kind: NUMBER_TYPE,
        required: true,
    },
    Param {
        name: "assignmentCategory",
        kind: CATEGORY,
        required: false,
    },
    Param {
        name: "locationId",
        kind: ParamType::Text,
        required: false,
    },
];

/// Validated action parameters: name → value, absent when omitted.
struct Params(Vec<(&'static str, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn literal(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn read_body(req: &SimRequest, action: &str, specs: &[Param]) -> Result<Params, GraphError> {
    let unreadable = || {
        bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and \
             payload is of valid JSON format.",
        )
    };
    let is_json = req
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        return Err(unreadable());
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&req.body) else {
        return Err(unreadable());
    };
    validate(&body, action, specs)
}

fn validate(
    body: &Map<String, Value>,
    action: &str,
    specs: &[Param],
) -> Result<Params, GraphError> {
    let mut params = Vec::new();
    for (key, value) in body {
        // Instance annotations such as "@odata.type" are allowed anywhere in OData payloads.
        if key.contains('@') {
            continue;
        }
        let Some(spec) = specs.iter().find(|s| s.name == key) else {
            return Err(bad_request(format!(
                "The parameter '{key}' in the request payload is not a valid parameter for the \
                 operation '{action}'."
            )));
        };
        if value.is_null() {
            continue;
        }
        let text = match (spec.kind, value) {
            (ParamType::Text, Value::String(s)) => s.clone(),
            (ParamType::Text, other) => {
                return Err(bad_request(format!(
                    "Cannot convert the literal '{}' to the expected type 'Edm.String'.",
                    literal(other)
                )))
            }
            (ParamType::Enum(type_name, members), value) => value
                .as_str()
                .and_then(|s| enum_member(members, s))
                .map(str::to_string)
                .ok_or_else(|| {
                    bad_request(format!(
                        "Cannot convert the literal '{}' to the expected type '{type_name}'.",
                        literal(value)
                    ))
                })?,
        };
        params.push((spec.name, text));
    }
    for spec in specs.iter().filter(|s| s.required) {
        if !params.iter().any(|(n, _)| *n == spec.name) {
            return Err(bad_request(format!(
                "The parameter '{}' is missing or null in the request payload; it is required by \
                 the operation '{action}'.",
                spec.name
            )));
        }
    }
    Ok(Params(params))
}

fn not_found_in_tenant(state: &State, telephone_number: &str) -> GraphError {
    bad_request(format!(
        "Telephone Number '{}' is not found from tenant '{}'.",
        normalize_number(telephone_number),
        state.directory.tenant_id
    ))
}

/// The number named by `telephoneNumber` + `numberType`, both of which must match.
fn find_number(state: &State, params: &Params) -> Result<usize, GraphError> {
    let telephone_number = params.get("telephoneNumber").unwrap_or("");
    let number_type = params.get("numberType").unwrap_or("");
    state
        .directory
        .number_index(telephone_number)
        .filter(|&i| state.directory.numbers[i].number_type == number_type)
        .ok_or_else(|| not_found_in_tenant(state, telephone_number))
}

/// An accepted action, answered as the `action_answer` and `location_form` knobs say.
fn accepted(state: &State, urls: &Urls, operation_id: &str) -> Response<SimBody> {
    match state.quirks.action_answer {
        ActionAnswer::NoContent => return respond(StatusCode::NO_CONTENT, None, bytes::Bytes::new()),
        ActionAnswer::Ok => {
            return respond(
                StatusCode::OK,
                Some("application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"),
                bytes::Bytes::from_static(b"{}"),
            )
        }
        ActionAnswer::Accepted => {}
    }
    let address = match state.quirks.location_form {
        LocationForm::Parentheses => format!("operations('{operation_id}')"),
        LocationForm::Segment => format!("operations/{operation_id}"),
    };
    let mut response = respond(StatusCode::ACCEPTED, None, bytes::Bytes::new());
    set_header(
        &mut response,
        LOCATION,
        &format!("{}/v1.0/{ROOT}/{address}", urls.graph),
    );
    response
}

/// A refusal queued for one kind of read (see `quirks.rs`), in Graph's words.
fn scoped_fault(status: u16) -> GraphError {
    match status {
        429 => error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests. Retry after the number of seconds in the Retry-After header.",
        ),
        503 => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "Service is unavailable. Please try again.",
        ),
        504 => error(
            StatusCode::GATEWAY_TIMEOUT,
            "GatewayTimeout",
            "The gateway timed out waiting for the service.",
        ),
        403 => error(StatusCode::FORBIDDEN, "Forbidden", "Access denied."),
        404 => error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "The resource could not be found.",
        ),
        other => error(
            StatusCode::from_u16(other).unwrap_or(StatusCode::BAD_REQUEST),
            "BadRequest",
            "The request could not be processed.",
        ),
    }
}

fn unassign_number(
    state: &mut State,
    urls: &Urls,
    req: &SimRequest,
    now: Instant,
) -> Result<Response<SimBody>, GraphError> {
    let params = read_body(req, "unassignNumber", UNASSIGN_PARAMS)?;
    let index = find_number(state, &params)?;
    let id = state
        .operations
        .start(&state.directory, index, OperationKind::Unassign, now);
    Ok(accepted(state, urls, &id))
}

fn assign_number(
    state: &mut State,
    urls: &Urls,
    req: &SimRequest,
    now: Instant,
) -> Result<Response<SimBody>, GraphError> {
    let params = read_body(req, "assignNumber", ASSIGN_PARAMS)?;
    let index = find_number(state, &params)?;
    let target_id = params.get("assignmentTargetId").unwrap_or("");
    let target = state
        .directory
        .users
        .iter()
        .find(|u| eq(&u.id, target_id))
        .ok_or_else(|| {
            bad_request(format!(
                "Assignment target '{target_id}' is not found from tenant '{}'.",
                state.directory.tenant_id
            ))
        })?;
    let number = &state.directory.numbers[index];
    if number.assignment_status != "unassigned" {
        return Err(bad_request(format!(
            "Telephone Number '{}' has already been assigned to another user.",
            number.telephone_number
        )));
    }
    let (target_kind, capability) = match target.kind {
        UserKind::Person => (TargetKind::Person, "userAssignment"),
        UserKind::ResourceAccount => (TargetKind::ResourceAccount, "voiceApplicationAssignment"),
    };
    if !number.capabilities.iter().any(|c| c == capability) {
        return Err(bad_request(format!(
            "Telephone Number '{}' cannot be assigned to '{}': the number does not have the \
             '{capability}' capability.",
            number.telephone_number, target.id
        )));
    }
    let kind = OperationKind::Assign {
        target_kind,
        target_id: target.id.clone(),
        category: params
            .get("assignmentCategory")
            .unwrap_or("primary")
            .to_string(),
        location_id: params.get("locationId").map(str::to_string),
    };
    let id = state.operations.start(&state.directory, index, kind, now);
    Ok(accepted(state, urls, &id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Map<String, Value> {
        match serde_json::from_str(text) {
            Ok(Value::Object(map)) => map,
            _ => panic!("not an object: {text}"),
        }
    }

    fn message(result: Result<Params, GraphError>) -> String {
        match result {
            Ok(_) => panic!("expected a validation error"),
            Err(e) => {
                assert_eq!(e.status, StatusCode::BAD_REQUEST);
                e.message
            }
        }
    }

    #[test]
    fn validation_accepts_good_bodies() {
        let params = validate(
            &body(
                r#"{"telephoneNumber":"12065550100","numberType":"callingPlan","@odata.type":"x"}"#,
            ),
            "unassignNumber",
            UNASSIGN_PARAMS,
        )
        .ok()
        .unwrap();
        assert_eq!(params.get("numberType"), Some("callingPlan"));
        assert_eq!(params.get("telephoneNumber"), Some("12065550100"));
    }

    #[test]
    fn validation_refuses_bad_bodies_with_odata_wording() {
        let m = message(validate(
            &body(r#"{"telephoneNumber":"1","numberType":"callingPlan","notify":true}"#),
            "unassignNumber",
            UNASSIGN_PARAMS,
        ));
        assert!(
            m.contains("'notify'") && m.contains("not a valid parameter"),
            "{m}"
        );
        let m = message(validate(
            &body(r#"{"telephoneNumber":"1"}"#),
            "unassignNumber",
            UNASSIGN_PARAMS,
        ));
        assert!(m.contains("'numberType' is missing"), "{m}");
        let m = message(validate(
            &body(r#"{"telephoneNumber":12065550100,"numberType":"callingPlan"}"#),
            "unassignNumber",
            UNASSIGN_PARAMS,
        ));
        assert!(m.contains("'Edm.String'"), "{m}");
        let m = message(validate(
            &body(r#"{"telephoneNumber":"1","numberType":"landline"}"#),
            "unassignNumber",
            UNASSIGN_PARAMS,
        ));
        assert!(m.contains("numberType'"), "{m}");
        let m = message(validate(
            &body(
                r#"{"telephoneNumber":"1","numberType":"callingPlan","assignmentTargetId":"x","assignmentCategory":"unknownFutureValue"}"#,
            ),
            "assignNumber",
            ASSIGN_PARAMS,
        ));
        assert!(m.contains("assignmentCategory"), "{m}");
    }

    #[test]
    fn validation_is_case_sensitive_for_names_and_enum_literals() {
        let m = message(validate(
            &body(r#"{"TelephoneNumber":"1","numberType":"callingPlan"}"#),
            "unassignNumber",
            UNASSIGN_PARAMS,
        ));
        assert_eq!(
            m,
            "The parameter 'TelephoneNumber' in the request payload is not a valid parameter \
             for the operation 'unassignNumber'."
        );
        let m = message(validate(
            &body(r#"{"telephoneNumber":"1","numberType":"CallingPlan"}"#),
            "unassignNumber",
            UNASSIGN_PARAMS,
        ));
        assert_eq!(
            m,
            "Cannot convert the literal 'CallingPlan' to the expected type \
             'microsoft.graph.teamsAdministration.numberType'."
        );
        let m = message(validate(
            &body(
                r#"{"telephoneNumber":"1","numberType":"callingPlan","assignmentTargetId":"x","assignmentCategory":"PRIMARY"}"#,
            ),
            "assignNumber",
            ASSIGN_PARAMS,
        ));
        assert!(m.contains("'PRIMARY'"), "{m}");
        assert_eq!(action_name("UnassignNumber", &["unassignNumber"]), None);
        assert_eq!(
            action_name(
                "Microsoft.Graph.TeamsAdministration.unassignNumber",
                &["unassignNumber"]
            ),
            None
        );
    }

    #[test]
    fn keys_in_parentheses() {
        assert_eq!(
            key_in_parens("operations('abc')", "operations"),
            Some("abc")
        );
        assert_eq!(key_in_parens("Operations(abc)", "operations"), Some("abc"));
        assert_eq!(key_in_parens("operations", "operations"), None);
        assert_eq!(key_in_parens("op", "operations"), None);
        assert_eq!(
            action_name(
                "microsoft.graph.teamsAdministration.unassignNumber",
                &["unassignNumber"]
            ),
            Some("unassignNumber")
        );
    }
}
