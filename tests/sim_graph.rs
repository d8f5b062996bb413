//! The simulated tenant's Graph service over real loopback HTTP: listing and filtering
//! numbers, unassign/assign with their long-running operations, strict bodies, permissions,
//! and every fault knob the app's retry logic has to survive.

#[path = "sim_support/mod.rs"]
mod support;
#[path = "wait_support/mod.rs"]
mod wait_support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use numberdesk::sim::{
    OperationOutcome, SimConfig, SimTenant, ADMIN_UPN, DEMO_TENANT_ID, NO_ROLE_UPN, SAMPLE_NUMBER,
    SAMPLE_USER_UPN,
};
use serde_json::{json, Value};
use support::*;

const NUMBERS: &str = "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments";

async fn get(sim: &SimTenant, token: &str, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", sim.graph_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("Graph answers")
}

async fn get_url(token: &str, url: &str) -> reqwest::Response {
    client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("Graph answers")
}

async fn post(sim: &SimTenant, token: &str, action: &str, body: Value) -> reqwest::Response {
    client()
        .post(format!("{}{NUMBERS}/{action}", sim.graph_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("Graph answers")
}

/// Checks Graph's error envelope and returns (status, code, message).
async fn graph_error(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let client_request_id = response.headers()["client-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = response.json().await.expect("error JSON");
    let error = &body["error"];
    let inner = &error["innerError"];
    assert_eq!(inner["request-id"], request_id.as_str(), "{body}");
    assert_eq!(
        inner["client-request-id"],
        client_request_id.as_str(),
        "{body}"
    );
    assert!(
        inner["date"].as_str().is_some_and(|d| d.len() == 19),
        "{body}"
    );
    (
        status,
        error["code"].as_str().expect("code").to_string(),
        error["message"].as_str().expect("message").to_string(),
    )
}

async fn list(sim: &SimTenant, token: &str, query: &str) -> Value {
    let response = get(sim, token, &format!("{NUMBERS}?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

fn location_of(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

/// Polls an operation until its status stops being notStarted/running; returns every status
/// seen (consecutive duplicates removed) and the final body.
async fn follow(token: &str, location: &str) -> (Vec<String>, Value) {
    let started = Instant::now();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let response = get_url(token, location).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        let entity = if body.get("value").is_some() {
            body["value"].clone()
        } else {
            body.clone()
        };
        let status = entity["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status != "notStarted" && status != "running" {
            return (seen, body);
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "operation never finished"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

fn unassign_body(number: &str, number_type: &str) -> Value {
    json!({ "telephoneNumber": number, "numberType": number_type })
}

#[tokio::test]
async fn every_response_carries_request_id_client_request_id_and_date() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;

    let response = client()
        .get(format!("{}{NUMBERS}?$top=1", sim.graph_url()))
        .bearer_auth(&token)
        .header("client-request-id", "0f0e0d0c-0b0a-4009-8008-070605040302")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    uuid::Uuid::parse_str(headers["request-id"].to_str().unwrap()).expect("request-id is a GUID");
    assert_eq!(
        headers["client-request-id"],
        "0f0e0d0c-0b0a-4009-8008-070605040302"
    );
    httpdate::parse_http_date(headers["date"].to_str().unwrap()).expect("date is an HTTP date");

    // Without one, a fresh GUID; errors carry the same headers.
    let response = client()
        .get(format!("{}{NUMBERS}", sim.graph_url()))
        .send()
        .await
        .unwrap();
    let first = response.headers()["client-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    uuid::Uuid::parse_str(&first).expect("a generated client-request-id");
    assert!(response.headers().contains_key("date"));
    let (status, _, _) = graph_error(response).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn unauthenticated_requests_get_401_with_a_challenge() {
    let sim = start_fast().await;
    let response = client()
        .get(format!("{}{NUMBERS}", sim.graph_url()))
        .send()
        .await
        .unwrap();
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer "));
    let (status, code, message) = graph_error(response).await;
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (401, "InvalidAuthenticationToken", "Access token is empty.")
    );

    let (status, code, message) = graph_error(get(&sim, "not-a-token", NUMBERS).await).await;
    assert_eq!(status, 401);
    assert_eq!(code, "InvalidAuthenticationToken");
    assert_eq!(message, "Access token has expired or is not yet valid.");

    let token = access_token(&sim, ADMIN_UPN).await;
    assert_eq!(get(&sim, &token, NUMBERS).await.status(), 200);
    sim.expire_access_tokens();
    let response = get(&sim, &token, NUMBERS).await;
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    let (status, _, message) = graph_error(response).await;
    assert_eq!(
        (status, message.as_str()),
        (401, "Access token has expired or is not yet valid.")
    );
    // A fresh sign-in works again.
    let token = access_token(&sim, ADMIN_UPN).await;
    assert_eq!(get(&sim, &token, NUMBERS).await.status(), 200);
}

#[tokio::test]
async fn access_tokens_expire_after_their_lifetime() {
    let sim = start(SimConfig {
        access_token_lifetime: Duration::from_secs(1),
        ..SimConfig::default()
    })
    .await;
    let token = access_token(&sim, ADMIN_UPN).await;
    assert_eq!(get(&sim, &token, NUMBERS).await.status(), 200);
    // Kept: what is tested is expiry by time; the token lives one second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&sim, &token, NUMBERS).await.status(), 401);
}

#[tokio::test]
async fn the_account_without_a_teams_role_gets_403() {
    let sim = start_fast().await;
    let token = access_token(&sim, NO_ROLE_UPN).await;
    let (status, code, message) = graph_error(get(&sim, &token, NUMBERS).await).await;
    assert_eq!((status, code.as_str()), (403, "Forbidden"));
    assert!(
        message.contains("Teams Telephony Administrator"),
        "{message}"
    );
    let (status, _, _) = graph_error(
        post(
            &sim,
            &token,
            "unassignNumber",
            unassign_body(SAMPLE_NUMBER, "callingPlan"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        sim.number(SAMPLE_NUMBER).unwrap().assignment_status,
        "userAssigned"
    );
    // Reading people needs no Teams role.
    let adele = sim.user(SAMPLE_USER_UPN).unwrap();
    assert_eq!(
        get(&sim, &token, &format!("/v1.0/users/{}", adele.id))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn users_need_user_read_basic_all() {
    let sim = start_fast().await;
    let adele = sim.user(SAMPLE_USER_UPN).unwrap();
    let path = format!("/v1.0/users/{}", adele.id);

    let narrow = sign_in_with(
        &sim,
        ADMIN_UPN,
        "openid offline_access TeamsTelephoneNumber.ReadWrite.All",
    )
    .await;
    let narrow = narrow["access_token"].as_str().unwrap();
    let (status, code, message) = graph_error(get(&sim, narrow, &path).await).await;
    assert_eq!(
        (status, code.as_str()),
        (403, "Authorization_RequestDenied")
    );
    assert_eq!(
        message,
        "Insufficient privileges to complete the operation."
    );

    let token = access_token(&sim, ADMIN_UPN).await;
    let user: Value = get(&sim, &token, &path).await.json().await.unwrap();
    assert_eq!(user["id"], adele.id.as_str());
    assert_eq!(user["displayName"], "Adele Vance");
    assert_eq!(user["userPrincipalName"], SAMPLE_USER_UPN);
    assert_eq!(user["mail"], SAMPLE_USER_UPN);

    // Resource accounts are users; conference bridges are not.
    let account = sim
        .users()
        .into_iter()
        .find(|u| u.kind == numberdesk::sim::UserKind::ResourceAccount)
        .unwrap();
    assert_eq!(
        get(&sim, &token, &format!("/v1.0/users/{}", account.id))
            .await
            .status(),
        200
    );
    let bridge = &sim.conference_bridges()[0];
    let (status, code, _) =
        graph_error(get(&sim, &token, &format!("/v1.0/users/{}", bridge.id)).await).await;
    assert_eq!((status, code.as_str()), (404, "Request_ResourceNotFound"));
    // By UPN too, and /me.
    assert_eq!(
        get(&sim, &token, &format!("/v1.0/users/{SAMPLE_USER_UPN}"))
            .await
            .status(),
        200
    );
    let me: Value = get(&sim, &token, "/v1.0/me").await.json().await.unwrap();
    assert_eq!(me["userPrincipalName"], ADMIN_UPN);

    // A token with only User.ReadBasic.All cannot touch numbers.
    let (status, code, message) = graph_error(
        get(
            &sim,
            &sim.mint_access_token(ADMIN_UPN, "User.ReadBasic.All")
                .unwrap(),
            NUMBERS,
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (403, "Forbidden"));
    assert!(message.contains("Missing scope permissions"), "{message}");
}

#[tokio::test]
async fn an_unencoded_plus_matches_nothing_and_percent_2b_matches() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    // Written into the URL as is: the `+` travels unencoded and is decoded as a space.
    let raw = list(
        &sim,
        &token,
        &format!("$filter=telephoneNumber eq '{SAMPLE_NUMBER}'"),
    )
    .await;
    assert_eq!(raw["value"].as_array().unwrap().len(), 0);

    let encoded = list(
        &sim,
        &token,
        "$filter=telephoneNumber%20eq%20'%2B12065550100'",
    )
    .await;
    let value = encoded["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    let number = &value[0];
    assert_eq!(number["telephoneNumber"], SAMPLE_NUMBER);
    assert_eq!(number["numberType"], "callingPlan");
    assert_eq!(number["assignmentStatus"], "userAssigned");
    assert_eq!(number["assignmentCategory"], "primary");
    assert_eq!(
        number["assignmentTargetId"],
        sim.user(SAMPLE_USER_UPN).unwrap().id.as_str()
    );
    assert!(number["city"].is_string() && number["locationId"].is_string());
    for field in [
        "id",
        "telephoneNumber",
        "operatorId",
        "numberType",
        "activationState",
        "assignmentStatus",
        "assignmentTargetId",
        "assignmentCategory",
        "capabilities",
        "city",
        "isoCountryCode",
        "locationId",
        "civicAddressId",
        "networkSiteId",
        "numberSource",
        "portInStatus",
        "reverseNumberLookupOptions",
        "supportedCustomerActions",
    ] {
        assert!(!number[field].is_null(), "{field} is filled: {number}");
    }
    assert_eq!(
        encoded["@odata.context"],
        format!(
            "{}/v1.0/$metadata#admin/teams/telephoneNumberManagement/numberAssignments",
            sim.graph_url()
        )
        .as_str()
    );
}

#[tokio::test]
async fn startswith_and_and_filters() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    let body = list(
        &sim,
        &token,
        "$filter=startswith(telephoneNumber,'%2B44207946') and numberType eq 'callingPlan' and assignmentStatus eq 'unassigned'",
    )
    .await;
    let got: Vec<String> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["telephoneNumber"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = sim
        .numbers()
        .into_iter()
        .filter(|n| {
            n.telephone_number.starts_with("+44207946")
                && n.number_type == "callingPlan"
                && n.assignment_status == "unassigned"
        })
        .map(|n| n.telephone_number)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);

    let direct = list(&sim, &token, "$filter=numberType eq 'directRouting'").await;
    let direct = direct["value"].as_array().unwrap();
    assert!(direct.iter().all(|n| n["numberType"] == "directRouting"));
    assert!(direct
        .iter()
        .any(|n| n["telephoneNumber"].as_str().unwrap().contains(";ext=")));

    for bad in [
        "$filter=telephoneNumber eq '1' or numberType eq 'callingPlan'",
        "$filter=city eq 'Seattle'",
        "$filter=numberType eq 'landline'",
        "$filter=capabilities/any(c:c eq 'userAssignment')",
    ] {
        let (status, code, message) =
            graph_error(get(&sim, &token, &format!("{NUMBERS}?{bad}")).await).await;
        assert_eq!((status, code.as_str()), (400, "BadRequest"), "{bad}");
        assert!(message.starts_with("Invalid filter clause"), "{message}");
    }
}

#[tokio::test]
async fn paging_walks_all_numbers_without_gaps_or_duplicates() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    let all: Vec<String> = sim.numbers().into_iter().map(|n| n.id).collect();
    assert_eq!(all.len(), 200);

    let mut seen = Vec::new();
    let mut next = Some(format!("{}{NUMBERS}?$top=37", sim.graph_url()));
    let mut pages = 0;
    while let Some(url) = next {
        assert!(
            url.starts_with(&sim.graph_url()),
            "nextLink is absolute on the sim: {url}"
        );
        let body: Value = get_url(&token, &url).await.json().await.unwrap();
        let value = body["value"].as_array().unwrap();
        assert!(value.len() <= 37);
        seen.extend(value.iter().map(|n| n["id"].as_str().unwrap().to_string()));
        next = body["@odata.nextLink"].as_str().map(str::to_string);
        pages += 1;
    }
    assert_eq!(pages, 6);
    assert_eq!(seen, all, "same numbers, same order");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 200);

    // $skip by hand; the default page (500) holds everything, so no nextLink.
    let skipped = list(&sim, &token, "$top=10&$skip=195").await;
    assert_eq!(skipped["value"].as_array().unwrap().len(), 5);
    assert!(skipped.get("@odata.nextLink").is_none());
    let everything = list(&sim, &token, "").await;
    assert_eq!(everything["value"].as_array().unwrap().len(), 200);
    assert!(everything.get("@odata.nextLink").is_none());

    // A filtered walk keeps its filter in the nextLink.
    let mut count = 0;
    let mut next = Some(format!(
        "{}{NUMBERS}?$top=7&$filter=startswith(telephoneNumber,'%2B1206')",
        sim.graph_url()
    ));
    while let Some(url) = next {
        let body: Value = get_url(&token, &url).await.json().await.unwrap();
        for n in body["value"].as_array().unwrap() {
            assert!(n["telephoneNumber"].as_str().unwrap().starts_with("+1206"));
            count += 1;
        }
        next = body["@odata.nextLink"].as_str().map(str::to_string);
    }
    assert_eq!(count, 90);
}

#[tokio::test]
async fn top_above_1000_and_unknown_options_are_400() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    let (status, code, message) =
        graph_error(get(&sim, &token, &format!("{NUMBERS}?$top=1001")).await).await;
    assert_eq!((status, code.as_str()), (400, "BadRequest"));
    assert!(
        message.contains("'1000'") && message.contains("'1001'"),
        "{message}"
    );
    assert_eq!(
        list(&sim, &token, "$top=1000").await["value"]
            .as_array()
            .unwrap()
            .len(),
        200
    );
    for bad in [
        "$top=-1",
        "$top=many",
        "$skip=x",
        "$orderby=telephoneNumber",
        "$top=1&$top=2",
    ] {
        let (status, _, _) =
            graph_error(get(&sim, &token, &format!("{NUMBERS}?{bad}")).await).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test]
async fn a_number_can_be_read_by_its_opaque_id() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    let number = sim.number(SAMPLE_NUMBER).unwrap();
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(&number.id).unwrap()).unwrap();
    assert_eq!(decoded, format!("{DEMO_TENANT_ID}|{SAMPLE_NUMBER}"));
    let body: Value = get(&sim, &token, &format!("{NUMBERS}/{}", number.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["telephoneNumber"], SAMPLE_NUMBER);
    let body: Value = get(&sim, &token, &format!("{NUMBERS}('{}')", number.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["telephoneNumber"], SAMPLE_NUMBER);
    let (status, _, _) =
        graph_error(get(&sim, &token, &format!("{NUMBERS}/bm90LWEtbnVtYmVy")).await).await;
    assert_eq!(status, 404);
    let (status, _, message) = graph_error(
        get(
            &sim,
            &token,
            "/v1.0/admin/teams/telephoneNumberManagement/bogus",
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(message.contains("segment 'bogus'"));
}

#[tokio::test]
async fn unassign_then_assign_round_trip_through_operations() {
    let sim = start(SimConfig {
        operation_not_started: Duration::from_millis(400),
        operation_running: Duration::from_millis(400),
        ..SimConfig::default()
    })
    .await;
    let token = access_token(&sim, ADMIN_UPN).await;
    let adele = sim.user(SAMPLE_USER_UPN).unwrap();

    // Without the leading `+`, as the documentation's example sends it.
    let response = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body("12065550100", "callingPlan"),
    )
    .await;
    assert_eq!(response.status(), 202);
    let location = location_of(&response);
    assert!(response.headers().contains_key("request-id"));
    assert_eq!(
        response.bytes().await.unwrap().len(),
        0,
        "202 has an empty body"
    );
    let prefix = format!(
        "{}/v1.0/admin/teams/telephoneNumberManagement/operations('",
        sim.graph_url()
    );
    assert!(
        location.starts_with(&prefix) && location.ends_with("')"),
        "{location}"
    );
    let id = &location[prefix.len()..location.len() - 2];
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(id).unwrap()).unwrap();
    assert!(decoded.starts_with("Unassignment|"), "{decoded}");
    uuid::Uuid::parse_str(&decoded["Unassignment|".len()..]).unwrap();

    let first: Value = get_url(&token, &location).await.json().await.unwrap();
    assert_eq!(first["status"], "notStarted");
    assert_eq!(
        first["@odata.type"],
        "#microsoft.graph.teamsAdministration.telephoneNumberLongRunningOperation"
    );
    assert!(first["@odata.context"].is_string());
    assert_eq!(first["id"], id);
    assert!(first["createdDateTime"].as_str().unwrap().ends_with('Z'));
    let resource = first["numbers"][0]["resourceLocation"].as_str().unwrap();
    assert!(resource.ends_with(&sim.number(SAMPLE_NUMBER).unwrap().id));
    assert_eq!(
        sim.number(SAMPLE_NUMBER).unwrap().assignment_status,
        "userAssigned",
        "not yet"
    );

    let (seen, last) = follow(&token, &location).await;
    assert_eq!(seen, ["notStarted", "running", "succeeded"]);
    assert_eq!(last["numbers"][0]["status"], "succeeded");
    let listed = list(&sim, &token, "$filter=telephoneNumber eq '%2B12065550100'").await;
    let number = &listed["value"][0];
    assert_eq!(number["assignmentStatus"], "unassigned");
    assert!(number["assignmentTargetId"].is_null());
    assert!(number["assignmentCategory"].is_null());

    // Undo: give it back to Adele.
    let response = post(
        &sim,
        &token,
        "assignNumber",
        json!({
            "telephoneNumber": SAMPLE_NUMBER,
            "assignmentTargetId": adele.id,
            "numberType": "callingPlan",
        }),
    )
    .await;
    assert_eq!(response.status(), 202);
    let location = location_of(&response);
    let id = location
        .rsplit_once("('")
        .unwrap()
        .1
        .trim_end_matches("')")
        .to_string();
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(&id).unwrap()).unwrap();
    assert!(decoded.starts_with("Assignment|"), "{decoded}");
    let (seen, _) = follow(&token, &location).await;
    assert_eq!(seen.last().map(String::as_str), Some("succeeded"));
    let number = sim.number(SAMPLE_NUMBER).unwrap();
    assert_eq!(number.assignment_status, "userAssigned");
    assert_eq!(
        number.assignment_target_id.as_deref(),
        Some(adele.id.as_str())
    );
    assert_eq!(number.assignment_category.as_deref(), Some("primary"));
    assert_eq!(sim.post_count_for(SAMPLE_NUMBER), 2);
}

#[tokio::test]
async fn the_namespace_qualified_action_path_and_operations_slash_id_work() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    let response = post(
        &sim,
        &token,
        "microsoft.graph.teamsAdministration.unassignNumber",
        unassign_body(SAMPLE_NUMBER, "callingPlan"),
    )
    .await;
    assert_eq!(response.status(), 202);
    let location = location_of(&response);
    let id = location
        .rsplit_once("('")
        .unwrap()
        .1
        .trim_end_matches("')")
        .to_string();
    let url = format!(
        "{}/v1.0/admin/teams/telephoneNumberManagement/operations/{id}",
        sim.graph_url()
    );
    let (seen, _) = follow(&token, &url).await;
    assert_eq!(seen.last().map(String::as_str), Some("succeeded"));
    let (status, code, _) = graph_error(
        get(
            &sim,
            &token,
            "/v1.0/admin/teams/telephoneNumberManagement/operations('bm9wZQ')",
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (404, "NotFound"));
}

#[tokio::test]
async fn action_bodies_are_validated_strictly() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    let cases = [
        (
            json!({"telephoneNumber": SAMPLE_NUMBER, "numberType": "callingPlan", "notify": true}),
            "'notify'",
        ),
        (json!({"telephoneNumber": SAMPLE_NUMBER}), "'numberType'"),
        (json!({"numberType": "callingPlan"}), "'telephoneNumber'"),
        (
            json!({"telephoneNumber": 12065550100u64, "numberType": "callingPlan"}),
            "Edm.String",
        ),
        (
            json!({"telephoneNumber": SAMPLE_NUMBER, "numberType": "landline"}),
            "numberType",
        ),
        (
            json!({"telephoneNumber": SAMPLE_NUMBER, "numberType": "directRouting"}),
            "is not found from tenant",
        ),
        (
            json!({"telephoneNumber": "+19995550100", "numberType": "callingPlan"}),
            "is not found from tenant",
        ),
        (
            json!({"telephoneNumber": "+12065550199", "numberType": "directRouting"}),
            "is not found from tenant",
        ),
        (json!(["not", "an", "object"]), "Unable to read JSON"),
    ];
    for (body, expected) in cases {
        let (status, code, message) =
            graph_error(post(&sim, &token, "unassignNumber", body.clone()).await).await;
        assert_eq!((status, code.as_str()), (400, "BadRequest"), "{body}");
        assert!(message.contains(expected), "{body}: {message}");
    }
    let wrong_type = graph_error(
        post(
            &sim,
            &token,
            "unassignNumber",
            unassign_body(SAMPLE_NUMBER, "directRouting"),
        )
        .await,
    )
    .await;
    assert_eq!(
        wrong_type.2,
        format!("Telephone Number '{SAMPLE_NUMBER}' is not found from tenant '{DEMO_TENANT_ID}'.")
    );

    // Not JSON at all.
    let response = client()
        .post(format!("{}{NUMBERS}/unassignNumber", sim.graph_url()))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("telephoneNumber=+12065550100")
        .send()
        .await
        .unwrap();
    let (status, _, message) = graph_error(response).await;
    assert_eq!(status, 400);
    assert!(message.starts_with("Unable to read JSON request payload"));

    // assignNumber: already assigned, unknown target.
    let adele = sim.user(SAMPLE_USER_UPN).unwrap();
    let (status, _, message) = graph_error(
        post(&sim, &token, "assignNumber", json!({"telephoneNumber": SAMPLE_NUMBER, "numberType": "callingPlan", "assignmentTargetId": adele.id})).await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        message.contains("has already been assigned to another user"),
        "{message}"
    );
    let free = sim
        .numbers()
        .into_iter()
        .find(|n| n.assignment_status == "unassigned" && n.number_type == "callingPlan")
        .unwrap();
    let (status, _, message) = graph_error(
        post(&sim, &token, "assignNumber", json!({"telephoneNumber": free.telephone_number, "numberType": "callingPlan", "assignmentTargetId": "00000000-0000-0000-0000-000000000000"})).await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(message.contains("is not found"), "{message}");

    // Nothing was started by any of this.
    assert_eq!(
        sim.number(SAMPLE_NUMBER).unwrap().assignment_status,
        "userAssigned"
    );

    // An extension must match exactly, and then it works.
    let ext = sim
        .numbers()
        .into_iter()
        .find(|n| n.telephone_number.contains(";ext=") && n.assignment_status != "unassigned")
        .unwrap();
    let response = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(&ext.telephone_number, "directRouting"),
    )
    .await;
    assert_eq!(response.status(), 202);
}

#[tokio::test]
async fn throttling_returns_429_with_retry_after() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    sim.throttle_next(2, Duration::from_millis(1500));
    for _ in 0..2 {
        let response = get(&sim, &token, NUMBERS).await;
        assert_eq!(
            response.headers()["retry-after"],
            "2",
            "rounded up to whole seconds"
        );
        let (status, code, _) = graph_error(response).await;
        assert_eq!((status, code.as_str()), (429, "TooManyRequests"));
    }
    assert_eq!(get(&sim, &token, NUMBERS).await.status(), 200);

    sim.set_rate_limit(Some(2.0));
    let mut throttled = None;
    for _ in 0..6 {
        let response = get(&sim, &token, &format!("{NUMBERS}?$top=1")).await;
        if response.status() == 429 {
            throttled = Some(response);
            break;
        }
    }
    let throttled = throttled.expect("the rate limit throttles a burst");
    let wait: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    sim.set_rate_limit(None);
    assert_eq!(get(&sim, &token, NUMBERS).await.status(), 200);
}

#[tokio::test]
async fn outages_return_503_with_or_without_retry_after() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    sim.fail_next(1, 503, None);
    sim.fail_next(1, 503, Some(Duration::from_secs(3)));
    let response = get(&sim, &token, NUMBERS).await;
    assert!(response.headers().get("retry-after").is_none());
    let (status, code, _) = graph_error(response).await;
    assert_eq!((status, code.as_str()), (503, "ServiceUnavailable"));
    let response = get(&sim, &token, NUMBERS).await;
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(response.status(), 503);
    // A POST answered by a fault changes nothing.
    sim.fail_next(1, 503, None);
    let response = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(SAMPLE_NUMBER, "callingPlan"),
    )
    .await;
    assert_eq!(response.status(), 503);
    // Kept: this proves that nothing happens. An operation started by mistake would have
    // finished within these 100 ms (start_fast runs operations for 50 ms).
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        sim.number(SAMPLE_NUMBER).unwrap().assignment_status,
        "userAssigned"
    );
    assert_eq!(get(&sim, &token, NUMBERS).await.status(), 200);
}

#[tokio::test]
async fn latency_delays_graph_responses() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    sim.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(
        get(&sim, &token, &format!("{NUMBERS}?$top=1"))
            .await
            .status(),
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn the_operation_envelope_variant_wraps_in_value() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    sim.set_operation_envelope(true);
    let response = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(SAMPLE_NUMBER, "callingPlan"),
    )
    .await;
    let (_, body) = follow(&token, &location_of(&response)).await;
    assert_eq!(body["value"]["status"], "succeeded");
    assert!(body["value"]["id"].is_string());
    assert!(body.get("status").is_none());
}

#[tokio::test]
async fn operations_can_fail_skip_or_end_in_an_unknown_status() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    let assigned: Vec<_> = sim
        .numbers()
        .into_iter()
        .filter(|n| n.assignment_status == "userAssigned")
        .take(3)
        .collect();

    sim.end_next_operations(
        1,
        OperationOutcome::Failed("The carrier rejected the change.".into()),
    );
    let response = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(&assigned[0].telephone_number, &assigned[0].number_type),
    )
    .await;
    let (seen, body) = follow(&token, &location_of(&response)).await;
    assert_eq!(seen.last().map(String::as_str), Some("failed"));
    assert_eq!(body["numbers"][0]["status"], "failed");
    assert_eq!(
        body["numbers"][0]["statusDetail"],
        "The carrier rejected the change."
    );
    assert_eq!(
        sim.number(&assigned[0].telephone_number)
            .unwrap()
            .assignment_status,
        "userAssigned"
    );

    sim.set_number_outcome(
        &assigned[1].telephone_number,
        Some(OperationOutcome::Skipped("Held for porting.".into())),
    );
    let response = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(&assigned[1].telephone_number, &assigned[1].number_type),
    )
    .await;
    let (_, body) = follow(&token, &location_of(&response)).await;
    assert_eq!(body["status"], "skipped");
    assert_eq!(
        sim.number(&assigned[1].telephone_number)
            .unwrap()
            .assignment_status,
        "userAssigned"
    );

    sim.end_next_operations(
        1,
        OperationOutcome::Unknown {
            status: "paused".into(),
            detail: None,
        },
    );
    let response = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(&assigned[2].telephone_number, &assigned[2].number_type),
    )
    .await;
    let (_, body) = follow(&token, &location_of(&response)).await;
    assert_eq!(body["status"], "paused");
    assert_eq!(body["numbers"][0]["status"], "paused");
    assert_eq!(
        sim.number(&assigned[2].telephone_number)
            .unwrap()
            .assignment_status,
        "userAssigned"
    );
}

#[tokio::test]
async fn unassigning_twice_or_concurrently_fails_in_the_operation() {
    let sim = start(SimConfig {
        operation_not_started: Duration::ZERO,
        operation_running: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await;
    let token = access_token(&sim, ADMIN_UPN).await;
    let first = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(SAMPLE_NUMBER, "callingPlan"),
    )
    .await;
    let second = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(SAMPLE_NUMBER, "callingPlan"),
    )
    .await;
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (202, 202)
    );
    let (_, body) = follow(&token, &location_of(&second)).await;
    assert_eq!(body["status"], "failed");
    assert!(body["numbers"][0]["statusDetail"]
        .as_str()
        .unwrap()
        .contains("in progress"));
    let (_, body) = follow(&token, &location_of(&first)).await;
    assert_eq!(body["status"], "succeeded");

    let again = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(SAMPLE_NUMBER, "callingPlan"),
    )
    .await;
    assert_eq!(again.status(), 202);
    let (_, body) = follow(&token, &location_of(&again)).await;
    assert_eq!(body["status"], "failed");
    assert!(body["numbers"][0]["statusDetail"]
        .as_str()
        .unwrap()
        .contains("not assigned"));
}

#[tokio::test]
async fn a_dropped_connection_after_post_still_unassigns_exactly_once() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    sim.drop_connection_after_next_post();
    let result = client()
        .post(format!("{}{NUMBERS}/unassignNumber", sim.graph_url()))
        .bearer_auth(&token)
        .json(&unassign_body(SAMPLE_NUMBER, "callingPlan"))
        .send()
        .await;
    assert!(
        result.is_err(),
        "the client sees a transport error, not a response"
    );

    let started = Instant::now();
    while sim.number(SAMPLE_NUMBER).unwrap().assignment_status != "unassigned" {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the unassign went through anyway"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sim.post_count_for(SAMPLE_NUMBER), 1);
    let posts: Vec<_> = sim
        .graph_requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].status, None);
    assert!(posts[0].authorization_present);
    assert!(posts[0]
        .path_and_query
        .ends_with("/numberAssignments/unassignNumber"));

    // Only that one POST was affected.
    let next = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(SAMPLE_NUMBER, "callingPlan"),
    )
    .await;
    assert_eq!(next.status(), 202);
}

#[tokio::test]
async fn the_request_log_records_what_was_sent() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    sim.clear_requests();
    client()
        .get(format!("{}{NUMBERS}?$top=2", sim.graph_url()))
        .bearer_auth(&token)
        .header("client-request-id", "11111111-1111-4111-8111-111111111111")
        .send()
        .await
        .unwrap();
    client()
        .get(format!("{}{NUMBERS}", sim.graph_url()))
        .send()
        .await
        .unwrap();
    let log = sim.graph_requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path_and_query, format!("{NUMBERS}?$top=2"));
    assert!(log[0].authorization_present);
    assert_eq!(
        log[0].client_request_id.as_deref(),
        Some("11111111-1111-4111-8111-111111111111")
    );
    assert_eq!(log[0].status, Some(200));
    assert!(!log[1].authorization_present);
    assert_eq!(log[1].status, Some(401));
    assert!(log[0].received_at <= log[1].received_at);
}

#[tokio::test]
async fn shutdown_closes_both_listeners() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    sim.shutdown();
    wait_support::wait_until_closed(&sim.graph_url()).await;
    wait_support::wait_until_closed(&sim.login_url()).await;
    assert!(client()
        .get(format!("{}{NUMBERS}", sim.graph_url()))
        .bearer_auth(&token)
        .send()
        .await
        .is_err());
    assert!(client()
        .get(format!("{}/devicelogin", sim.login_url()))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn overload_answers_400_with_the_teams_backends_words_and_changes_nothing() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    sim.overload_next(2);
    let response = get(&sim, &token, NUMBERS).await;
    assert!(response.headers().get("retry-after").is_none());
    let (status, code, message) = graph_error(response).await;
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            400,
            "BadRequest",
            "Service is unavailable. Please try again"
        )
    );
    let (status, _, _) = graph_error(
        post(
            &sim,
            &token,
            "unassignNumber",
            unassign_body(SAMPLE_NUMBER, "callingPlan"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        sim.number(SAMPLE_NUMBER).unwrap().assignment_status,
        "userAssigned",
        "an overloaded backend did not act"
    );
    assert_eq!(get(&sim, &token, NUMBERS).await.status(), 200);
}

#[tokio::test]
async fn a_gateway_timeout_after_a_post_still_makes_the_change() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    sim.gateway_timeout_after_next_post();
    // A refused POST leaves the knob for the next one Microsoft acts on.
    let refused = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(SAMPLE_NUMBER, "directRouting"),
    )
    .await;
    assert_eq!(refused.status(), 400);
    let (status, code, _) = graph_error(
        post(
            &sim,
            &token,
            "unassignNumber",
            unassign_body(SAMPLE_NUMBER, "callingPlan"),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (504, "GatewayTimeout"));
    let started = Instant::now();
    while sim.number(SAMPLE_NUMBER).unwrap().assignment_status != "unassigned" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the change never happened"
        );
        // Reading the list lets the operation progress.
        list(&sim, &token, "$top=1").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let other = sim
        .numbers()
        .into_iter()
        .find(|n| n.assignment_status == "userAssigned" && n.telephone_number != SAMPLE_NUMBER)
        .unwrap();
    let next = post(
        &sim,
        &token,
        "unassignNumber",
        unassign_body(&other.telephone_number, &other.number_type),
    )
    .await;
    assert_eq!(next.status(), 202, "once only");
}

#[tokio::test]
async fn parameter_names_and_enum_literals_in_action_bodies_are_case_sensitive() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    let adele = sim.user(SAMPLE_USER_UPN).unwrap();
    let cases = [
        (
            "unassignNumber",
            json!({"TelephoneNumber": SAMPLE_NUMBER, "numberType": "callingPlan"}),
            "The parameter 'TelephoneNumber' in the request payload is not a valid parameter for the operation 'unassignNumber'.",
        ),
        (
            "unassignNumber",
            json!({"telephoneNumber": SAMPLE_NUMBER, "NumberType": "callingPlan"}),
            "The parameter 'NumberType' in the request payload is not a valid parameter for the operation 'unassignNumber'.",
        ),
        (
            "unassignNumber",
            json!({"telephoneNumber": SAMPLE_NUMBER, "numberType": "CallingPlan"}),
            "Cannot convert the literal 'CallingPlan' to the expected type 'microsoft.graph.teamsAdministration.numberType'.",
        ),
        (
            "assignNumber",
            json!({"telephoneNumber": SAMPLE_NUMBER, "assignmentTargetId": adele.id, "numberType": "callingPlan", "assignmentCategory": "Primary"}),
            "Cannot convert the literal 'Primary' to the expected type 'microsoft.graph.teamsAdministration.assignmentCategory'.",
        ),
        (
            "assignNumber",
            json!({"telephoneNumber": SAMPLE_NUMBER, "AssignmentTargetId": adele.id, "numberType": "callingPlan"}),
            "The parameter 'AssignmentTargetId' in the request payload is not a valid parameter for the operation 'assignNumber'.",
        ),
    ];
    for (action, body, expected) in cases {
        let (status, code, message) =
            graph_error(post(&sim, &token, action, body.clone()).await).await;
        assert_eq!((status, code.as_str()), (400, "BadRequest"), "{body}");
        assert_eq!(message, expected, "{body}");
    }
    let posts = sim.graph_requests();
    assert_eq!(posts.iter().filter(|r| r.method == "POST").count(), 5);
    assert_eq!(
        sim.number(SAMPLE_NUMBER).unwrap().assignment_status,
        "userAssigned",
        "nothing was done"
    );
}

#[tokio::test]
async fn property_names_and_enum_literals_in_filter_are_case_sensitive() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    for (filter, expected) in [
        (
            "NumberType eq 'callingPlan'",
            "Invalid filter clause: Could not find a property named 'NumberType' on type 'microsoft.graph.teamsAdministration.numberAssignment'.",
        ),
        (
            "TelephoneNumber eq '%2B12065550100'",
            "Invalid filter clause: Could not find a property named 'TelephoneNumber' on type 'microsoft.graph.teamsAdministration.numberAssignment'.",
        ),
        (
            "startswith(TelephoneNumber,'%2B1206')",
            "Invalid filter clause: Could not find a property named 'TelephoneNumber' on type 'microsoft.graph.teamsAdministration.numberAssignment'.",
        ),
        (
            "numberType eq 'CallingPlan'",
            "Invalid filter clause: The string 'CallingPlan' is not a valid enumeration type constant.",
        ),
        (
            "assignmentStatus eq 'Unassigned'",
            "Invalid filter clause: The string 'Unassigned' is not a valid enumeration type constant.",
        ),
    ] {
        let (status, code, message) =
            graph_error(get(&sim, &token, &format!("{NUMBERS}?$filter={filter}")).await).await;
        assert_eq!((status, code.as_str()), (400, "BadRequest"), "{filter}");
        assert_eq!(message, expected, "{filter}");
    }
    // The exact spelling works, and the keywords are not what this is about.
    let body = list(
        &sim,
        &token,
        "$filter=numberType eq 'callingPlan' and assignmentStatus eq 'unassigned'",
    )
    .await;
    assert!(!body["value"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn both_action_names_work_for_both_actions_and_their_case_is_strict() {
    let sim = start_fast().await;
    let token = access_token(&sim, ADMIN_UPN).await;
    let adele = sim.user(SAMPLE_USER_UPN).unwrap();
    let assign_body = json!({
        "telephoneNumber": SAMPLE_NUMBER,
        "assignmentTargetId": adele.id,
        "numberType": "callingPlan",
    });
    // Wrong case, bare or qualified, in the action or the namespace: never an action.
    for (action, status) in [
        ("UnassignNumber", 405),
        ("unassignnumber", 405),
        ("microsoft.graph.teamsAdministration.UnassignNumber", 400),
        ("Microsoft.Graph.TeamsAdministration.unassignNumber", 400),
        ("microsoft.graph.teamsadministration.unassignNumber", 400),
    ] {
        let response = post(
            &sim,
            &token,
            action,
            unassign_body(SAMPLE_NUMBER, "callingPlan"),
        )
        .await;
        let (got, _, _) = graph_error(response).await;
        assert_eq!(got, status, "{action}");
    }
    for (action, status) in [
        ("AssignNumber", 405),
        ("microsoft.graph.teamsAdministration.AssignNumber", 400),
    ] {
        let (got, _, _) = graph_error(post(&sim, &token, action, assign_body.clone()).await).await;
        assert_eq!(got, status, "{action}");
    }
    assert_eq!(
        sim.number(SAMPLE_NUMBER).unwrap().assignment_status,
        "userAssigned",
        "none of them acted"
    );
    // The documented bare names and the SDK's qualified ones, for both actions.
    for (unassign, assign) in [
        ("unassignNumber", "assignNumber"),
        (
            "microsoft.graph.teamsAdministration.unassignNumber",
            "microsoft.graph.teamsAdministration.assignNumber",
        ),
    ] {
        let response = post(
            &sim,
            &token,
            unassign,
            unassign_body(SAMPLE_NUMBER, "callingPlan"),
        )
        .await;
        assert_eq!(response.status(), 202, "{unassign}");
        let (seen, _) = follow(&token, &location_of(&response)).await;
        assert_eq!(seen.last().map(String::as_str), Some("succeeded"));
        let response = post(&sim, &token, assign, assign_body.clone()).await;
        assert_eq!(response.status(), 202, "{assign}");
        let (seen, _) = follow(&token, &location_of(&response)).await;
        assert_eq!(seen.last().map(String::as_str), Some("succeeded"));
    }
}

/// Finding people as Microsoft documents it: `userPrincipalName`/`mail` by `eq`/`in` by
/// default; an alias only through `proxyAddresses/any(…)`, which a caller with only
/// `User.ReadBasic.All` cannot read (the row is omitted) unless the knob says otherwise;
/// `$search` only with `ConsistencyLevel: eventual` (also inside a `$batch`); `endsWith` only
/// with the advanced query parameters.
#[tokio::test]
async fn people_are_found_by_user_name_email_alias_and_search() {
    use numberdesk::sim::{
        ProxyFilter, GUEST_UPN, SHARED_NAME, TWO_NUMBERS_ALIAS, TWO_NUMBERS_UPN,
    };
    let sim = start_fast().await;
    let basic = access_token(&sim, ADMIN_UPN).await;
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let users = |filter: &str| {
        format!(
            "/v1.0/users?$filter={}&$select=id,userPrincipalName,mail",
            encode(filter)
        )
    };
    let upns = |body: &Value| -> Vec<String> {
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userPrincipalName"].as_str().unwrap().to_string())
            .collect()
    };

    let by_mail: Value = get(&sim, &basic, &users("mail in ('ALLAN.DEYOUNG@contoso.com','nobody@contoso.com') or userPrincipalName in ('nobody@contoso.com')"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(upns(&by_mail), vec![TWO_NUMBERS_UPN]);
    let guest: Value = get(
        &sim,
        &basic,
        &users(&format!("userPrincipalName eq '{GUEST_UPN}'")),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(upns(&guest), vec![GUEST_UPN]);

    let alias = users(&format!(
        "proxyAddresses/any(p:p eq 'smtp:{TWO_NUMBERS_ALIAS}')"
    ));
    let omitted: Value = get(&sim, &basic, &alias).await.json().await.unwrap();
    assert!(
        upns(&omitted).is_empty(),
        "proxyAddresses is not a basic property"
    );
    sim.set_proxy_filter(ProxyFilter::Evaluated);
    let evaluated: Value = get(&sim, &basic, &alias).await.json().await.unwrap();
    assert_eq!(upns(&evaluated), vec![TWO_NUMBERS_UPN]);

    let (status, code, message) =
        graph_error(get(&sim, &basic, &users("endsWith(mail,'@contoso.com')")).await).await;
    assert_eq!((status, code.as_str()), (400, "Request_UnsupportedQuery"));
    assert!(message.contains("ConsistencyLevel:eventual"), "{message}");

    let search = format!(
        "/v1.0/users?$search={}&$select=id,displayName,userPrincipalName",
        encode(&format!("\"displayName:{SHARED_NAME}\""))
    );
    let (status, code, message) = graph_error(get(&sim, &basic, &search).await).await;
    assert_eq!((status, code.as_str()), (400, "Request_UnsupportedQuery"));
    assert!(message.contains("ConsistencyLevel: eventual"), "{message}");
    let found: Value = client()
        .get(format!("{}{search}", sim.graph_url()))
        .bearer_auth(&basic)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["value"].as_array().unwrap().len(), 2, "{found}");

    // In a batch, the header goes in the part.
    let batch: Value = client()
        .post(format!("{}/v1.0/$batch", sim.graph_url()))
        .bearer_auth(&basic)
        .json(&json!({"requests": [
            {"id": "1", "method": "GET", "url": search.trim_start_matches("/v1.0"), "headers": {"ConsistencyLevel": "eventual"}},
            {"id": "2", "method": "GET", "url": search.trim_start_matches("/v1.0")},
        ]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let status_of = |id: &str| {
        batch["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["status"]
            .as_u64()
    };
    assert_eq!((status_of("1"), status_of("2")), (Some(200), Some(400)));
}
