//! The simulated tenant's optional state file (`SimConfig::state_file`), over real loopback
//! HTTP: what `--demo` needs to survive a relaunch of the app (refresh tokens, number
//! assignments, operations in flight, the app "Set up for my organization" made), that the file
//! holds no usable secret, and that a damaged file is moved aside rather than trusted or deleted.

#[path = "setup_support/mod.rs"]
mod setup_support;
#[path = "sim_support/mod.rs"]
mod sim_support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use numberdesk::register::{Change, Outcome};
use numberdesk::sim::{SimConfig, SimTenant, ADMIN_UPN, APP_SCOPES, SAMPLE_NUMBER};
use serde_json::{json, Value};
use setup_support::{a_second_run_changes_nothing, quick, run_setup, sign_in_and_look_up};
use sha2::{Digest, Sha256};
use sim_support::*;

const NUMBERS: &str = "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments";
const FILE_NAME: &str = "demo-tenant.json";

/// Fast operations, kept in `file`.
fn config(file: &Path) -> SimConfig {
    SimConfig {
        operation_not_started: Duration::ZERO,
        operation_running: Duration::from_millis(50),
        state_file: Some(file.to_path_buf()),
        ..SimConfig::default()
    }
}

fn state_file(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join(FILE_NAME)
}

async fn get_url(token: &str, url: &str) -> reqwest::Response {
    client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("Graph answers")
}

/// Starts unassigning `SAMPLE_NUMBER` and returns the operation's `Location`.
async fn unassign_sample(sim: &SimTenant, token: &str) -> String {
    let response = client()
        .post(format!("{}{NUMBERS}/unassignNumber", sim.graph_url()))
        .bearer_auth(token)
        .json(&json!({"telephoneNumber": SAMPLE_NUMBER, "numberType": "callingPlan"}))
        .send()
        .await
        .expect("Graph answers");
    assert_eq!(response.status(), 202);
    response.headers()["location"]
        .to_str()
        .expect("text Location")
        .to_string()
}

/// The operation at `location`, which must be found.
async fn operation(token: &str, location: &str) -> Value {
    let response = get_url(token, location).await;
    assert_eq!(response.status(), 200, "{location}");
    response.json().await.expect("operation JSON")
}

/// Polls until the operation leaves notStarted/running; returns the statuses seen (consecutive
/// duplicates removed) and the last body.
async fn follow(token: &str, location: &str) -> (Vec<String>, Value) {
    let started = Instant::now();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let body = operation(token, location).await;
        let status = body["status"].as_str().expect("status").to_string();
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

/// The same `Location` on another instance (each instance listens on its own port).
fn moved(location: &str, from: &SimTenant, to: &SimTenant) -> String {
    assert!(location.starts_with(&from.graph_url()), "{location}");
    location.replacen(&from.graph_url(), &to.graph_url(), 1)
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn token_response(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    response.json().await.expect("token JSON")
}

#[tokio::test]
async fn a_refresh_token_survives_a_restart_rotates_and_the_old_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = state_file(&dir);
    let first = start(config(&file)).await;
    let tokens = sign_in_with(&first, ADMIN_UPN, APP_SCOPES).await;
    let original = tokens["refresh_token"].as_str().unwrap().to_string();
    let old_access = tokens["access_token"].as_str().unwrap().to_string();
    first.shutdown();
    assert!(file.exists(), "signing in wrote the state file");

    let second = start(config(&file)).await;
    // Access tokens are not kept: the app gets a 401 and refreshes.
    let numbers_url = format!("{}{NUMBERS}", second.graph_url());
    assert_eq!(get_url(&old_access, &numbers_url).await.status(), 401);
    let refreshed = token_response(refresh_grant(&second, &original).await).await;
    let rotated = refreshed["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rotated, original);
    assert!(refreshed["scope"]
        .as_str()
        .unwrap()
        .contains("TeamsTelephoneNumber.ReadWrite.All"));
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(get_url(access, &numbers_url).await.status(), 200);
    let (status, error, aadsts, _) = entra_error(refresh_grant(&second, &original).await).await;
    assert_eq!(
        (status, error.as_str(), aadsts),
        (400, "invalid_grant", 70008)
    );
    second.shutdown();

    // The rotation itself is remembered by the next instance.
    let third = start(config(&file)).await;
    let (_, error, aadsts, _) = entra_error(refresh_grant(&third, &original).await).await;
    assert_eq!((error.as_str(), aadsts), ("invalid_grant", 70008));
    let newest = token_response(refresh_grant(&third, &rotated).await).await;
    let newest = newest["refresh_token"].as_str().unwrap().to_string();

    // So is a revocation through the knob.
    third.revoke_refresh_tokens();
    third.shutdown();
    let fourth = start(config(&file)).await;
    let (_, error, aadsts, _) = entra_error(refresh_grant(&fourth, &newest).await).await;
    assert_eq!((error.as_str(), aadsts), ("invalid_grant", 50173));
    fourth.shutdown();
}

#[tokio::test]
async fn an_unassigned_number_stays_unassigned_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = state_file(&dir);
    let first = start(config(&file)).await;
    let token = access_token(&first, ADMIN_UPN).await;
    let location = unassign_sample(&first, &token).await;
    let (seen, done) = follow(&token, &location).await;
    assert_eq!(seen.last().map(String::as_str), Some("succeeded"));
    assert_eq!(
        first.number(SAMPLE_NUMBER).unwrap().assignment_status,
        "unassigned"
    );
    first.shutdown();

    let second = start(config(&file)).await;
    let number = second.number(SAMPLE_NUMBER).unwrap();
    assert_eq!(number.assignment_status, "unassigned");
    assert!(number.assignment_target_id.is_none());

    // Graph says so too, and the finished operation can still be read.
    let token = access_token(&second, ADMIN_UPN).await;
    let url = format!("{}{NUMBERS}/{}", second.graph_url(), number.id);
    let shown: Value = get_url(&token, &url).await.json().await.unwrap();
    assert_eq!(shown["assignmentStatus"], "unassigned");
    assert!(shown["assignmentTargetId"].is_null());
    let again = operation(&token, &moved(&location, &first, &second)).await;
    assert_eq!(again["status"], "succeeded");
    assert_eq!(again["id"], done["id"]);
    assert_eq!(again["createdDateTime"], done["createdDateTime"]);

    // Every other number is as the seed made it.
    let memory_only = start(SimConfig::default()).await;
    let seeded = memory_only.numbers();
    let restored = second.numbers();
    assert_eq!(seeded.len(), restored.len());
    for (seed, now) in seeded.iter().zip(&restored) {
        if seed.telephone_number != SAMPLE_NUMBER {
            assert_eq!(seed, now);
        }
    }
    memory_only.shutdown();
    second.shutdown();
}

#[tokio::test]
async fn an_operation_in_flight_at_restart_reaches_succeeded_on_the_new_instance() {
    let dir = tempfile::tempdir().unwrap();
    let file = state_file(&dir);
    let slow = SimConfig {
        operation_running: Duration::from_secs(3),
        ..config(&file)
    };
    let first = start(slow.clone()).await;
    let token = access_token(&first, ADMIN_UPN).await;
    let location = unassign_sample(&first, &token).await;
    let before = operation(&token, &location).await;
    assert_eq!(before["status"], "running");
    first.shutdown();

    let second = start(slow).await;
    let token = access_token(&second, ADMIN_UPN).await;
    let location = moved(&location, &first, &second);
    let after = operation(&token, &location).await;
    assert_eq!(after["status"], "running", "{after}");
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["createdDateTime"], before["createdDateTime"]);
    assert_eq!(
        second.number(SAMPLE_NUMBER).unwrap().assignment_status,
        "userAssigned",
        "not yet"
    );

    let (seen, last) = follow(&token, &location).await;
    assert_eq!(seen, ["running", "succeeded"]);
    assert_eq!(last["numbers"][0]["status"], "succeeded");
    assert_eq!(
        second.number(SAMPLE_NUMBER).unwrap().assignment_status,
        "unassigned"
    );
    second.shutdown();
}

#[tokio::test]
async fn an_operation_that_finished_while_the_sim_was_down_takes_effect() {
    let dir = tempfile::tempdir().unwrap();
    let file = state_file(&dir);
    let config = SimConfig {
        operation_running: Duration::from_millis(300),
        ..config(&file)
    };
    let first = start(config.clone()).await;
    let token = access_token(&first, ADMIN_UPN).await;
    let location = unassign_sample(&first, &token).await;
    first.shutdown();
    // Kept: what is tested is time passing while the sim is down; the operation runs 300 ms.
    tokio::time::sleep(Duration::from_millis(400)).await;

    let second = start(config).await;
    assert_eq!(
        second.number(SAMPLE_NUMBER).unwrap().assignment_status,
        "unassigned"
    );
    let token = access_token(&second, ADMIN_UPN).await;
    let done = operation(&token, &moved(&location, &first, &second)).await;
    assert_eq!(done["status"], "succeeded");
    second.shutdown();
}

#[tokio::test]
async fn the_state_file_holds_none_of_the_issued_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = state_file(&dir);
    let sim = start(config(&file)).await;
    let tokens = sign_in_with(&sim, ADMIN_UPN, APP_SCOPES).await;
    let original = tokens["refresh_token"].as_str().unwrap().to_string();
    let refreshed = token_response(refresh_grant(&sim, &original).await).await;
    let rotated = refreshed["refresh_token"].as_str().unwrap().to_string();
    assert!(sim
        .mint_access_token(ADMIN_UPN, "offline_access User.Read")
        .is_some());
    let token = refreshed["access_token"].as_str().unwrap();
    let location = unassign_sample(&sim, token).await;
    follow(token, &location).await;
    sim.shutdown();

    let secrets = sim.issued_secrets();
    // A code, then access, refresh and id tokens at sign-in; access and refresh at the
    // refresh; access and refresh from the mint.
    assert!(secrets.len() >= 8, "{}", secrets.len());
    let text = std::fs::read_to_string(&file).expect("the state file was written");
    // The refresh tokens are in there, by hash only.
    assert!(text.contains(&sha256_hex(&original)));
    assert!(text.contains(&sha256_hex(&rotated)));
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        files += 1;
        let content = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for secret in &secrets {
            assert!(
                !content.contains(secret.as_str()),
                "{} holds an issued secret",
                path.display()
            );
        }
    }
    assert_eq!(files, 1, "only the state file, no temporary left behind");
}

#[tokio::test]
async fn a_malformed_state_file_is_moved_aside_and_the_sim_starts_from_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let file = state_file(&dir);
    let damaged = br#"{"format": "numberdesk-sim-state", "version": 1, "numb"#;
    std::fs::write(&file, damaged).unwrap();
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();

    let sim = start(config(&file)).await;
    assert!(!file.exists(), "the damaged file is no longer in the way");
    let prefix = format!("{FILE_NAME}.damaged-");
    let aside: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(std::fs::read(&aside[0]).unwrap(), damaged, "kept as it was");
    let name = aside[0].file_name().unwrap().to_str().unwrap();
    let seconds: u64 = name[prefix.len()..].parse().expect("unix seconds");
    assert!(seconds >= before && seconds <= before + 60, "{name}");

    // Started from the seed…
    let memory_only = start(SimConfig::default()).await;
    assert_eq!(sim.numbers(), memory_only.numbers());
    memory_only.shutdown();

    // …and saves again from there.
    let tokens = sign_in_with(&sim, ADMIN_UPN, APP_SCOPES).await;
    assert!(tokens["refresh_token"].is_string());
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("a new state file")).unwrap();
    assert_eq!(saved["format"], "numberdesk-sim-state");
    assert_eq!(saved["refreshTokens"].as_array().map(Vec::len), Some(1));
    sim.shutdown();
}

#[tokio::test]
async fn an_unusable_state_path_is_logged_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_folder = dir.path().join("plain-file");
    std::fs::write(&not_a_folder, b"keep me").unwrap();
    let sim = start(config(&not_a_folder.join(FILE_NAME))).await;
    let tokens = sign_in_with(&sim, ADMIN_UPN, APP_SCOPES).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    token_response(refresh_grant(&sim, refresh_token).await).await;
    assert_eq!(std::fs::read(&not_a_folder).unwrap(), b"keep me");
    sim.shutdown();
}

/// `file`'s JSON.
fn saved(file: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(file).expect("the state file")).expect("JSON")
}

/// Files next to the state file that a damaged one would have been moved to.
fn moved_aside(dir: &tempfile::TempDir) -> Vec<PathBuf> {
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".damaged-"))
        .collect()
}

#[tokio::test]
async fn the_app_setup_made_survives_a_restart_signs_in_at_once_and_a_second_setup_changes_nothing()
{
    let dir = tempfile::tempdir().unwrap();
    let file = state_file(&dir);
    let config = || SimConfig {
        device_code_interval: Duration::from_secs(1),
        ..config(&file)
    };
    let first = start(config()).await;
    let (outcome, _) = run_setup(&first, ADMIN_UPN, &quick()).await;
    let Outcome::Ready {
        registration,
        changes,
    } = outcome.unwrap()
    else {
        panic!("ready")
    };
    assert_eq!(
        changes,
        vec![
            Change::Created,
            Change::ServicePrincipalCreated,
            Change::ConsentGranted
        ]
    );
    let apps = first.applications();
    let service_principals = first.service_principals();
    let grants = first.permission_grants();
    let created = apps[0].created_wall;
    first.shutdown();
    let file_apps = &saved(&file)["apps"];
    assert_eq!(file_apps["applications"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        file_apps["servicePrincipals"].as_array().map(Vec::len),
        Some(1),
        "only the service principal setup made, not those every tenant has"
    );
    assert_eq!(file_apps["grants"].as_array().map(Vec::len), Some(1));

    // Restarted: the same objects, ids and creation time.
    let second = start(config()).await;
    assert!(moved_aside(&dir).is_empty());
    let restored = second.applications();
    assert_eq!(restored.len(), 1);
    assert_eq!(restored[0].app_id, registration.client_id);
    assert_eq!(restored[0].id, apps[0].id);
    assert_eq!(restored[0].sign_in_audience, apps[0].sign_in_audience);
    assert_eq!(
        restored[0].public_client_redirect_uris,
        apps[0].public_client_redirect_uris
    );
    assert_eq!(
        restored[0].is_fallback_public_client,
        apps[0].is_fallback_public_client
    );
    assert_eq!(
        restored[0].required_resource_access,
        apps[0].required_resource_access
    );
    assert_eq!(restored[0].owner_id, apps[0].owner_id);
    let millis = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_millis();
    assert_eq!(millis(restored[0].created_wall), millis(created));
    let ids = |sps: Vec<numberdesk::sim::SimServicePrincipal>| -> Vec<(String, String)> {
        sps.into_iter().map(|sp| (sp.id, sp.app_id)).collect()
    };
    assert_eq!(ids(second.service_principals()), ids(service_principals));
    assert_eq!(second.permission_grants(), grants);

    // The replication delay counts from the saved creation time, not from the restart: a
    // delay not over yet hides the app…
    second.set_replication_delay(Duration::from_secs(3600));
    let asked = client()
        .post(format!(
            "{}/{}/oauth2/v2.0/devicecode",
            second.login_url(),
            numberdesk::sim::DEMO_TENANT_ID
        ))
        .form(&[
            ("client_id", registration.client_id.as_str()),
            ("scope", "openid offline_access"),
        ])
        .send()
        .await
        .expect("Entra answers");
    let (status, _, code, _) = entra_error(asked).await;
    assert_eq!((status, code), (400, 700016), "not replicated yet");
    // …and one over since its creation lets it sign in right after the restart (a delay
    // counted from the restart would refuse it with AADSTS700016 for another moment).
    let age = created.elapsed().unwrap();
    if age < Duration::from_millis(900) {
        tokio::time::sleep(Duration::from_millis(900) - age).await;
    }
    let second = {
        second.shutdown();
        let third = start(config()).await;
        third.set_replication_delay(Duration::from_millis(800));
        third
    };
    sign_in_and_look_up(&second, &registration.client_id).await;

    // A second setup run finds everything in place and writes nothing.
    a_second_run_changes_nothing(&second, &registration.client_id, &grants).await;
    second.shutdown();
}

#[tokio::test]
async fn a_state_file_from_before_app_registrations_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let file = state_file(&dir);
    let first = start(config(&file)).await;
    first.set_users_can_register_apps(true);
    let token = access_token(&first, ADMIN_UPN).await;
    follow(&token, &unassign_sample(&first, &token).await).await;
    let numbers = first.numbers();
    first.shutdown();
    let mut old = saved(&file);
    assert_eq!(
        old["apps"]["usersCanRegisterApps"], true,
        "the setting is kept"
    );
    old.as_object_mut().unwrap().remove("apps");
    std::fs::write(&file, serde_json::to_vec(&old).unwrap()).unwrap();

    let second = start(config(&file)).await;
    assert!(moved_aside(&dir).is_empty(), "an older file is not damaged");
    assert_eq!(second.numbers(), numbers, "its state is loaded");
    assert!(second.applications().is_empty());
    assert!(second.permission_grants().is_empty());
    // The next save adds the apps part: nobody's apps, and the setting as the demo has it.
    second.set_users_can_register_apps(true);
    second.set_users_can_register_apps(false);
    let now = saved(&file);
    assert_eq!(now["apps"]["usersCanRegisterApps"], false);
    assert_eq!(now["apps"]["applications"], json!([]));
    second.shutdown();
}
