//! The directory reads of the fake Graph: `/users/{id}`, `/users?$filter=id in (…)`, deleted
//! users, and JSON batching (`POST /v1.0/$batch`). A child module of `graph.rs`, so it uses the
//! same gates, errors and routing.
//!
//! Permissions, as Graph checks them:
//! - basic profile properties (`id`, `displayName`, `userPrincipalName`, `mail`, `givenName`,
//!   `surname`, …) need `User.ReadBasic.All` or `User.Read.All`;
//! - `accountEnabled` and `assignedPlans`, when selected, need `User.Read.All` (403
//!   `Authorization_RequestDenied` with only `User.ReadBasic.All`);
//! - `/directory/deletedItems/microsoft.graph.user` needs `User.Read.All`.
//!
//! Limits: `id in (…)` takes at most 15 values (Entra's default for `in`/`or` clauses); a batch
//! at most 20 requests. Each inner request of a batch goes through the same routing and
//! permission checks as on its own, with the batch's caller; a queue of refusals aimed at inner
//! requests (`SimTenant::fail_next_batch_parts`) lets tests throttle a part of a batch.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use hyper::body::Body as _;
use hyper::{HeaderMap, Method, Response, StatusCode};
use serde::ser::{SerializeMap as _, SerializeSeq as _};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::*;

/// Properties anyone with `User.ReadBasic.All` may read.
const BASIC: &[&str] = &[
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "givenName",
    "surname",
    "businessPhones",
    "jobTitle",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
];
/// Properties that need `User.Read.All`.
const FULL_ONLY: &[&str] = &[
    "accountEnabled",
    "assignedPlans",
    "deletedDateTime",
    "proxyAddresses",
    "userType",
];
/// The most requests one `$batch` takes.
pub(super) const MAX_BATCH: usize = 20;

fn may_read_basic(caller: &Caller) -> bool {
    caller.scopes.contains("User.ReadBasic.All") || caller.scopes.contains("User.Read.All")
}

fn may_read_all(caller: &Caller) -> bool {
    caller.scopes.contains("User.Read.All")
}

/// The `$select` list, checked: unknown names are a 400, as OData has it.
fn selected(req: &SimRequest) -> Result<Option<Vec<String>>, GraphError> {
    let Some(select) = req
        .query_pairs()
        .into_iter()
        .find(|(k, _)| k == "$select")
        .map(|(_, v)| v)
    else {
        return Ok(None);
    };
    let names: Vec<String> = select
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    for name in &names {
        if !BASIC.contains(&name.as_str()) && !FULL_ONLY.contains(&name.as_str()) {
            return Err(bad_request(format!(
                "Could not find a property named '{name}' on type 'microsoft.graph.user'."
            )));
        }
    }
    Ok(Some(names))
}

/// Refuses a selection the caller's scopes do not cover.
fn check_selection(caller: &Caller, select: &Option<Vec<String>>) -> Result<(), GraphError> {
    if !may_read_basic(caller) {
        return Err(insufficient_privileges());
    }
    let wants_full = select
        .as_ref()
        .is_some_and(|names| names.iter().any(|n| FULL_ONLY.contains(&n.as_str())));
    if wants_full && !may_read_all(caller) {
        return Err(insufficient_privileges());
    }
    Ok(())
}

/// The properties a user is served with when nothing is selected.
const DEFAULT_PROPERTIES: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/// A user as Graph serialises it: the default property set, or exactly the selected ones,
/// each once, in the order of their names. Written straight from the user (no tree built for
/// each of a batch's 300 rows: the sim's time is not Microsoft's).
struct Projected<'a> {
    user: &'a SimUser,
    /// Property names, sorted and each once.
    names: Vec<&'a str>,
    /// Read from the deleted items (`deletedDateTime` has a value).
    deleted: bool,
    /// `displayName` served as an object, which no client can read as the `Edm.String` it
    /// is (the `unreadable_user_rows` knob); served even when not selected.
    unreadable: bool,
    /// The `@odata.context` of a single entity, written first.
    context: Option<String>,
}

fn project<'a>(user: &'a SimUser, select: &'a Option<Vec<String>>, deleted: bool) -> Projected<'a> {
    let mut names: Vec<&str> = match select {
        Some(names) => names.iter().map(String::as_str).collect(),
        None => DEFAULT_PROPERTIES.to_vec(),
    };
    names.sort_unstable();
    names.dedup();
    Projected {
        user,
        names,
        deleted,
        unreadable: false,
        context: None,
    }
}

impl Projected<'_> {
    fn unreadable(mut self) -> Self {
        if let Err(at) = self.names.binary_search(&"displayName") {
            self.names.insert(at, "displayName");
        }
        self.unreadable = true;
        self
    }
}

/// One property's value, as Graph serialises it (`null` for one the sim does not keep).
struct Property<'a>(&'a Projected<'a>, &'a str);

impl Serialize for Property<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Property(row, name) = self;
        let user = row.user;
        match *name {
            "displayName" if row.unreadable => {
                let mut object = serializer.serialize_map(Some(1))?;
                object.serialize_entry("unexpected", &true)?;
                object.end()
            }
            "id" => user.id.serialize(serializer),
            "displayName" => user.display_name.serialize(serializer),
            "userPrincipalName" => user.user_principal_name.serialize(serializer),
            "mail" => user.mail.serialize(serializer),
            "proxyAddresses" => user.proxy_addresses.serialize(serializer),
            "userType" => user.user_type.serialize(serializer),
            "givenName" => user.given_name.serialize(serializer),
            "surname" => user.surname.serialize(serializer),
            "jobTitle" => user.job_title.serialize(serializer),
            "businessPhones" => serializer.serialize_seq(Some(0))?.end(),
            "accountEnabled" => user.account_enabled.serialize(serializer),
            "assignedPlans" => user.assigned_plans.serialize(serializer),
            "deletedDateTime" if row.deleted => "2025-05-30T09:12:00Z".serialize(serializer),
            _ => serializer.serialize_unit(),
        }
    }
}

impl Serialize for Projected<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_map(None)?;
        if let Some(context) = &self.context {
            object.serialize_entry("@odata.context", context)?;
        }
        for name in &self.names {
            object.serialize_entry(name, &Property(self, name))?;
        }
        object.end()
    }
}

fn entity(urls: &Urls, mut body: Projected<'_>) -> Response<SimBody> {
    body.context = Some(format!("{}/v1.0/$metadata#users/$entity", urls.graph));
    json_of(StatusCode::OK, &body)
}

/// A collection of users, its annotations first.
#[derive(Serialize)]
struct Collection<'a> {
    #[serde(rename = "@odata.context")]
    context: String,
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    count: Option<usize>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
    value: Vec<Projected<'a>>,
}

fn collection<'a>(
    urls: &Urls,
    context: &str,
    rows: Vec<Projected<'a>>,
    next_link: Option<String>,
) -> Collection<'a> {
    Collection {
        context: format!("{}/v1.0/$metadata#{context}", urls.graph),
        count: None,
        next_link,
        value: rows,
    }
}

/// `GET /users/{id-or-upn}`.
pub(super) fn get_user(
    state: &mut State,
    urls: &Urls,
    req: &SimRequest,
    caller: &Caller,
    id: &str,
) -> Result<Response<SimBody>, GraphError> {
    only_get(req)?;
    if let Some(status) = state.quirks.user_read_faults.pop_front() {
        return Err(scoped_fault(status));
    }
    let select = selected(req)?;
    check_selection(caller, &select)?;
    match state.directory.user(id) {
        Some(user) if select.is_none() => Ok(user_json(urls, user)),
        Some(user) => Ok(entity(urls, project(user, &select, false))),
        None => Err(error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects \
                 are not present."
            ),
        )),
    }
}

/// `GET /users?$filter=…` or `?$search="displayName:…"` (with `$select`), by the rules in
/// `user_query.rs`. Ids or addresses that are no user are simply not listed.
pub(super) fn list_users(
    state: &mut State,
    urls: &Urls,
    req: &SimRequest,
    caller: &Caller,
) -> Result<Response<SimBody>, GraphError> {
    only_get(req)?;
    let select = selected(req)?;
    check_selection(caller, &select)?;
    let pairs = req.query_pairs();
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let eventual = req
        .header("ConsistencyLevel")
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    let counted = param("$count").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let refused = |r: user_query::Refusal| error(StatusCode::BAD_REQUEST, r.code, r.message);
    let filter = param("$filter")
        .map(|f| user_query::parse_filter(&f, eventual && counted))
        .transpose()
        .map_err(refused)?;
    let search = param("$search")
        .map(|s| user_query::parse_search(&s, eventual))
        .transpose()
        .map_err(refused)?;
    if filter.is_none() && search.is_none() {
        return Err(bad_request(
            "The simulated tenant lists users by $filter or $search only (a whole directory \
             listing is not something NumberDesk needs).",
        ));
    }
    let proxy_readable =
        may_read_all(caller) || state.quirks.proxy_filter == user_query::ProxyFilter::Evaluated;
    let unreadable = &state.quirks.unreadable_user_rows;
    let passing = match &filter {
        Some(filter) => filter.select(&state.directory, proxy_readable),
        None => state.directory.users.iter().collect(),
    };
    let rows: Vec<Projected> = passing
        .into_iter()
        .filter(|u| search.as_ref().is_none_or(|s| s.matches(u)))
        .map(|u| {
            let row = project(u, &select, false);
            if unreadable.contains(&u.id.to_ascii_lowercase()) {
                row.unreadable()
            } else {
                row
            }
        })
        .collect();
    let count = rows.len();
    let mut body = collection(urls, "users", rows, None);
    // `$count=true` without the header is silently ignored, as Microsoft documents.
    if counted && eventual {
        body.count = Some(count);
    }
    Ok(json_of(StatusCode::OK, &body))
}

/// `GET /directory/deletedItems/microsoft.graph.user`, `$top` (≤ 999) and `$skiptoken` paging.
pub(super) fn deleted_users(
    state: &mut State,
    urls: &Urls,
    req: &SimRequest,
    caller: &Caller,
) -> Result<Response<SimBody>, GraphError> {
    only_get(req)?;
    if !may_read_all(caller) {
        return Err(insufficient_privileges());
    }
    let select = selected(req)?;
    let pairs = req.query_pairs();
    let top: usize = match pairs.iter().find(|(k, _)| k == "$top") {
        Some((_, v)) => v
            .parse()
            .ok()
            .filter(|t| (1..=999).contains(t))
            .ok_or_else(|| {
                bad_request(format!(
                    "Invalid page size specified: '{v}'. Must be between 1 and 999 inclusive."
                ))
            })?,
        None => 100,
    };
    // Server-driven paging: a page may hold fewer rows than `$top` asked for.
    let top = state
        .quirks
        .deleted_users_page_size
        .map_or(top, |size| top.min(size.max(1)));
    let skip: usize = pairs
        .iter()
        .find(|(k, _)| k == "$skiptoken")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let all = &state.directory.deleted_users;
    let rows = all
        .iter()
        .skip(skip)
        .take(top)
        .map(|u| project(u, &select, true))
        .collect();
    let next = (skip + top < all.len()).then(|| {
        let mut next = format!(
            "{}/v1.0/directory/deletedItems/microsoft.graph.user?$top={top}&$skiptoken={}",
            urls.graph,
            skip + top
        );
        if let Some(names) = &select {
            next.push_str(&format!("&$select={}", names.join(",")));
        }
        next
    });
    Ok(json_of(
        StatusCode::OK,
        &collection(
            urls,
            "directory/deletedItems/microsoft.graph.user",
            rows,
            next,
        ),
    ))
}

/// Reads a complete in-memory body (the sim never streams) without an executor.
fn body_bytes(mut body: SimBody) -> bytes::Bytes {
    let mut out = bytes::BytesMut::new();
    let mut context = Context::from_waker(Waker::noop());
    while let Poll::Ready(Some(Ok(frame))) = Pin::new(&mut body).poll_frame(&mut context) {
        if let Ok(data) = frame.into_data() {
            out.extend_from_slice(&data);
        }
    }
    out.freeze()
}

/// `POST /v1.0/$batch`: up to 20 requests, answered in one `{responses:[…]}`.
pub(super) fn batch(
    state: &mut State,
    urls: &Urls,
    req: &SimRequest,
    caller: &Caller,
    now: Instant,
) -> Result<Response<SimBody>, GraphError> {
    if req.method != Method::POST {
        return Err(method_not_allowed(&req.method));
    }
    let unreadable = || {
        bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and \
             payload is of valid JSON format.",
        )
    };
    let body: Value = serde_json::from_slice(&req.body).map_err(|_| unreadable())?;
    let requests = body
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_request("Invalid batch payload format: 'requests' is required."))?;
    if requests.len() > MAX_BATCH {
        return Err(bad_request(format!(
            "Number of batch request steps exceeds the limit {MAX_BATCH}."
        )));
    }
    let mut seen = std::collections::HashSet::new();
    let mut responses = Vec::with_capacity(requests.len());
    for inner in requests {
        let id = inner
            .get("id")
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_u64().map(|n| n.to_string()))
            })
            .ok_or_else(|| {
                bad_request("Invalid batch payload format: each request needs an 'id'.")
            })?;
        if !seen.insert(id.clone()) {
            return Err(bad_request(format!(
                "Invalid batch payload format: the request id '{id}' is used more than once."
            )));
        }
        let method = inner
            .get("method")
            .and_then(Value::as_str)
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .ok_or_else(|| {
                bad_request(format!(
                    "Invalid batch payload format: request '{id}' has no valid 'method'."
                ))
            })?;
        let url = inner.get("url").and_then(Value::as_str).ok_or_else(|| {
            bad_request(format!(
                "Invalid batch payload format: request '{id}' has no 'url'."
            ))
        })?;
        responses.push(answer_part(
            state,
            urls,
            caller,
            now,
            &id,
            method,
            url,
            inner.get("headers"),
            inner.get("body"),
        ));
    }
    Ok(json_of(StatusCode::OK, &BatchAnswer { responses }))
}

/// A `$batch` answer.
#[derive(Serialize)]
struct BatchAnswer {
    responses: Vec<PartAnswer>,
}

/// One inner request's answer, its members in the order of their names. Its body is the
/// inner answer's JSON as it was written (not read into a tree and written again), `null`
/// when it had none.
#[derive(Serialize)]
struct PartAnswer {
    body: Option<Box<RawValue>>,
    headers: Map<String, Value>,
    id: String,
    status: u16,
}

/// One inner request, through the same routing and checks as on its own.
#[allow(clippy::too_many_arguments)]
fn answer_part(
    state: &mut State,
    urls: &Urls,
    caller: &Caller,
    now: Instant,
    id: &str,
    method: Method,
    url: &str,
    part_headers: Option<&Value>,
    body: Option<&Value>,
) -> PartAnswer {
    let ctx = Ctx {
        request_id: new_guid(),
        client_request_id: new_guid(),
    };
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path = format!("/v1.0/{}", path.trim_start_matches('/'));
    let mut headers = HeaderMap::new();
    // An inner request's own headers (`ConsistencyLevel` for advanced queries, as Microsoft
    // documents for batches) apply to it alone.
    for (name, value) in part_headers
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let (Ok(name), Some(Ok(value))) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            value.as_str().map(hyper::header::HeaderValue::from_str),
        ) {
            headers.insert(name, value);
        }
    }
    let body = match body {
        Some(value) => {
            headers.insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/json"),
            );
            bytes::Bytes::from(value.to_string())
        }
        None => bytes::Bytes::new(),
    };
    let inner = SimRequest {
        method,
        path,
        query: query.to_string(),
        headers,
        body,
    };
    let response = if let Some((status, retry_after)) = state.quirks.batch_part_faults.pop_front() {
        let mut response = error_response(&scoped_fault(status), &ctx);
        if let Some(seconds) = retry_after {
            set_header(&mut response, RETRY_AFTER, &seconds.to_string());
        }
        response
    } else if inner.segments().get(1).is_some_and(|s| s == "$batch") {
        error_response(&bad_request("A batch cannot contain another batch."), &ctx)
    } else {
        match route(state, urls, &inner, caller, now) {
            Ok(response) => response,
            Err(e) => error_response(&e, &ctx),
        }
    };
    let (parts, body) = response.into_parts();
    let bytes = body_bytes(body);
    let lists_users =
        inner.segments().get(1).is_some_and(|s| s == "users") && inner.segments().len() == 2;
    let strip_value =
        parts.status.is_success() && lists_users && state.quirks.user_parts_without_value > 0;
    if strip_value {
        state.quirks.user_parts_without_value -= 1;
    }
    let mut headers = Map::new();
    for (name, value) in &parts.headers {
        if let Ok(text) = value.to_str() {
            let name = match name.as_str() {
                "retry-after" => "Retry-After".to_string(),
                "content-type" => "Content-Type".to_string(),
                "location" => "Location".to_string(),
                other => other.to_string(),
            };
            headers.insert(name, text.into());
        }
    }
    let body = if strip_value {
        serde_json::from_slice::<Value>(&bytes)
            .ok()
            .map(|mut body| {
                if let Some(object) = body.as_object_mut() {
                    object.remove("value");
                }
                body
            })
            .and_then(|body| serde_json::value::to_raw_value(&body).ok())
    } else {
        String::from_utf8(bytes.to_vec())
            .ok()
            .and_then(|text| RawValue::from_string(text).ok())
    };
    PartAnswer {
        body,
        headers,
        id: id.to_string(),
        status: parts.status.as_u16(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::AssignedPlan;
    use serde_json::json;

    fn someone() -> SimUser {
        SimUser {
            id: "0f1e2d3c-0000-4000-8000-00000000abcd".into(),
            display_name: "Zoë \"Q\" Müller".into(),
            given_name: Some("Zoë".into()),
            surname: None,
            user_principal_name: "zoe@contoso.onmicrosoft.com".into(),
            mail: "zoe.muller@contoso.com".into(),
            proxy_addresses: vec!["SMTP:zoe.muller@contoso.com".into()],
            user_type: "Member".into(),
            job_title: None,
            country: "DE".into(),
            kind: crate::directory::UserKind::Person,
            roles: Vec::new(),
            account_enabled: false,
            assigned_plans: vec![AssignedPlan {
                assigned_date_time: "2024-01-01T00:00:00Z".into(),
                capability_status: "Suspended".into(),
                service: "MicrosoftCommunicationsOnline".into(),
                service_plan_id: "4828c8ec-dc2e-4779-b502-87ac9ce28ab7".into(),
            }],
        }
    }

    /// The JSON a row is written as, checked to be what a tree of it would give (members in
    /// the order of their names, as the sim wrote them when it built trees).
    fn written(row: &Projected) -> Value {
        let text = serde_json::to_string(row).unwrap();
        let tree: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            text,
            tree.to_string(),
            "members in the order of their names"
        );
        tree
    }

    #[test]
    fn a_user_row_is_written_as_graph_serialises_it() {
        let user = someone();
        let all = Some(
            "userPrincipalName,id,assignedPlans,accountEnabled,displayName,id,deletedDateTime,proxyAddresses,userType,mail"
                .split(',')
                .map(str::to_string)
                .collect::<Vec<_>>(),
        );
        let expected = json!({
            "accountEnabled": false,
            "assignedPlans": [{
                "assignedDateTime": "2024-01-01T00:00:00Z",
                "capabilityStatus": "Suspended",
                "service": "MicrosoftCommunicationsOnline",
                "servicePlanId": "4828c8ec-dc2e-4779-b502-87ac9ce28ab7",
            }],
            "deletedDateTime": null,
            "displayName": "Zoë \"Q\" Müller",
            "id": "0f1e2d3c-0000-4000-8000-00000000abcd",
            "mail": "zoe.muller@contoso.com",
            "proxyAddresses": ["SMTP:zoe.muller@contoso.com"],
            "userPrincipalName": "zoe@contoso.onmicrosoft.com",
            "userType": "Member",
        });
        assert_eq!(written(&project(&user, &all, false)), expected);
        let mut gone = expected.clone();
        gone["deletedDateTime"] = json!("2025-05-30T09:12:00Z");
        assert_eq!(written(&project(&user, &all, true)), gone);

        let default = json!({
            "businessPhones": [],
            "displayName": "Zoë \"Q\" Müller",
            "givenName": "Zoë",
            "jobTitle": null,
            "mail": "zoe.muller@contoso.com",
            "mobilePhone": null,
            "officeLocation": null,
            "preferredLanguage": null,
            "surname": null,
            "userPrincipalName": "zoe@contoso.onmicrosoft.com",
            "id": "0f1e2d3c-0000-4000-8000-00000000abcd",
        });
        assert_eq!(written(&project(&user, &None, false)), default);
        let mut entity = project(&user, &None, false);
        entity.context = Some("https://graph/v1.0/$metadata#users/$entity".into());
        let text = serde_json::to_string(&entity).unwrap();
        assert!(
            text.starts_with(r#"{"@odata.context":"https://graph/v1.0/$metadata#users/$entity","#),
            "{text}"
        );

        // The unreadable row: `displayName` an object, selected or not.
        let basic = Some(vec!["id".to_string(), "mail".to_string()]);
        assert_eq!(
            written(&project(&user, &basic, false).unreadable()),
            json!({
                "displayName": {"unexpected": true},
                "id": "0f1e2d3c-0000-4000-8000-00000000abcd",
                "mail": "zoe.muller@contoso.com",
            })
        );
        assert_eq!(
            written(&project(&user, &all, false).unreadable())["displayName"],
            json!({"unexpected": true})
        );
    }

    #[test]
    fn a_collection_writes_its_annotations_first() {
        let user = someone();
        let select = Some(vec!["id".to_string()]);
        let urls = Urls {
            login: "https://login".into(),
            graph: "https://graph".into(),
        };
        let mut body = collection(
            &urls,
            "users",
            vec![project(&user, &select, false)],
            Some("https://graph/next".into()),
        );
        body.count = Some(1);
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"@odata.context":"https://graph/v1.0/$metadata#users","@odata.count":1,"@odata.nextLink":"https://graph/next","value":[{"id":"0f1e2d3c-0000-4000-8000-00000000abcd"}]}"#
        );
    }

    #[test]
    fn id_in_takes_up_to_fifteen_quoted_values() {
        assert!(user_query::parse_filter("id in ('a', 'b''c')", false).is_ok());
        let sixteen: Vec<String> = (0..16).map(|i| format!("'{i}'")).collect();
        let refusal = user_query::parse_filter(&format!("id in ({})", sixteen.join(",")), false)
            .err()
            .unwrap();
        assert!(
            refusal.message.contains("Max allowed: 15"),
            "{}",
            refusal.message
        );
        assert!(user_query::parse_filter("id in (a)", false).is_err());
    }
}
