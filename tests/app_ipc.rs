//! The whole app, as `numberdesk::assemble` builds it, under Tauri's mock runtime, driven
//! through IPC like the window drives it, against the simulated tenant on loopback.

mod sim_support;

use numberdesk::auth::SignInService;
use numberdesk::history::{Actor, Assignee, Durability, History, NewOperation, OperationKind};
use numberdesk::sim::{self, SimTenant};
use numberdesk::vault::{self, LimitedMemoryStore, SecretStore};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::webview::InvokeRequest;

type Window = tauri::WebviewWindow<MockRuntime>;

fn invoke(window: &Window, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: tauri::test::INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("json"))
}

/// A command called with a raw body (what `invoke(cmd, uint8array, { headers })` sends).
fn invoke_raw(
    window: &Window,
    cmd: &str,
    bytes: Vec<u8>,
    headers: &[(&str, &str)],
) -> Result<Value, Value> {
    let mut map = tauri::http::HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            tauri::http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            tauri::http::HeaderValue::from_str(value).expect("header value"),
        );
    }
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: tauri::ipc::InvokeBody::Raw(bytes),
            headers: map,
            invoke_key: tauri::test::INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("json"))
}

/// The app with its data in `dir`, pointed at `sim` by the same launch options the
/// `NUMBERDESK_*` hooks set, with `secrets` as its keyring.
fn app_for(
    sim: &SimTenant,
    dir: &Path,
    secrets: Arc<dyn SecretStore>,
) -> (tauri::App<MockRuntime>, Window) {
    let options = numberdesk::config::LaunchOptions {
        custom_cloud: Some(
            numberdesk::cloud::Cloud::custom(&sim.login_url(), &sim.graph_url()).unwrap(),
        ),
        tenant: Some(sim::DEMO_TENANT_ID.into()),
        client_id: Some(sim::DEMO_CLIENT_ID.into()),
        data_dir: Some(dir.to_path_buf()),
        ..Default::default()
    };
    let launch = numberdesk::Launch {
        started: Instant::now(),
        options: Ok(options),
        secrets,
        data_dir: None,
        desktop: false,
    };
    let mut app = numberdesk::assemble(mock_builder(), launch)
        .build(mock_context(noop_assets()))
        .expect("mock app builds");
    // Tauri runs the setup closure at the first turn of the event loop.
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window builds");
    (app, window)
}

/// A keyring holding a session for `account`, signed in through the app's own flow (the
/// browser's part done over HTTP) under the profile the app uses for `dir`.
fn keyring_signed_in(sim: &SimTenant, dir: &Path, account: &str) -> Arc<dyn SecretStore> {
    let store = Arc::new(LimitedMemoryStore::windows_like());
    let profile = vault::profile_for(Some(dir));
    let service = Arc::new(SignInService::for_profile(store.clone(), &profile).unwrap());
    let target = numberdesk::auth::SignInTarget {
        cloud: numberdesk::cloud::Cloud::custom(&sim.login_url(), &sim.graph_url()).unwrap(),
        tenant: sim::DEMO_TENANT_ID.into(),
        client_id: sim::DEMO_CLIENT_ID.into(),
    };
    tauri::async_runtime::block_on(async {
        let link = service.begin_interactive(&target).await.unwrap();
        let waiting = tokio::spawn({
            let service = service.clone();
            async move { service.wait_interactive().await }
        });
        let back = sim_support::choose_on_sign_in_page(sim, &link, account).await;
        let answer = sim_support::client().get(&back).send().await.unwrap();
        assert_eq!(answer.status(), 302);
        assert!(waiting.await.unwrap().unwrap().signed_in);
    });
    store
}

fn fast_sim() -> SimTenant {
    tauri::async_runtime::block_on(sim_support::start_fast())
}

/// Calls `cmd` until `done` says its answer is final (bounded).
fn until(window: &Window, cmd: &str, args: Value, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = invoke(window, cmd, args.clone()).expect(cmd);
        if done(&answer) {
            return answer;
        }
        assert!(Instant::now() < deadline, "{cmd} never settled: {answer}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn lookup_unassign_and_history_through_ipc() {
    let sim = fast_sim();
    let dir = tempfile::tempdir().unwrap();
    let keyring = keyring_signed_in(&sim, dir.path(), sim::ADMIN_UPN);
    let (_app, window) = app_for(&sim, dir.path(), keyring);

    let status = invoke(&window, "session_status", json!({})).unwrap();
    assert_eq!(status["signedIn"], true, "{status}");
    let card = invoke(
        &window,
        "lookup_number",
        json!({ "input": "+1 (206) 555-0100" }),
    )
    .unwrap();
    let lookup_id = card["lookupId"]
        .as_str()
        .expect("a removable number")
        .to_owned();
    let record = invoke(&window, "unassign_number", json!({ "lookupId": lookup_id })).unwrap();
    let id = record["id"].as_i64().expect("a record id");

    let settled = until(&window, "history_get", json!({ "id": id }), |r| {
        r["status"] == "succeeded"
    });
    assert_eq!(settled["telephoneNumber"], "+12065550100", "{settled}");

    let succeeded = invoke(
        &window,
        "history_list",
        json!({ "query": { "group": "succeeded", "limit": 50 } }),
    )
    .unwrap();
    assert_eq!(
        succeeded["records"].as_array().unwrap().len(),
        1,
        "{succeeded}"
    );
    assert_eq!(succeeded["counts"]["succeeded"], 1);
    assert_eq!(succeeded["counts"]["all"], 1);
    let failed = invoke(
        &window,
        "history_list",
        json!({ "query": { "group": "failed", "limit": 50 } }),
    )
    .unwrap();
    assert!(failed["records"].as_array().unwrap().is_empty(), "{failed}");
    // A group the UI does not have is refused, not read as "all".
    assert!(invoke(
        &window,
        "history_list",
        json!({ "query": { "group": "everything", "limit": 50 } }),
    )
    .is_err());
    let missing = invoke(&window, "history_get", json!({ "id": id + 1000 })).unwrap_err();
    assert_eq!(missing["kind"], "notFound");
}

#[test]
fn a_refused_change_is_kept_as_facts_and_reaches_the_window_in_words() {
    let sim = fast_sim();
    let dir = tempfile::tempdir().unwrap();
    let keyring = keyring_signed_in(&sim, dir.path(), sim::ADMIN_UPN);
    let (_app, window) = app_for(&sim, dir.path(), keyring);
    let status = invoke(&window, "session_status", json!({})).unwrap();
    assert_eq!(status["signedIn"], true, "{status}");
    let card = invoke(
        &window,
        "lookup_number",
        json!({ "input": sim::SAMPLE_NUMBER }),
    )
    .unwrap();
    // Microsoft refuses the POST itself (403 on every try).
    sim.fail_next(5, 403, None);
    let record = invoke(
        &window,
        "unassign_number",
        json!({ "lookupId": card["lookupId"] }),
    )
    .unwrap();
    assert_eq!(record["status"], "rejected", "{record}");
    for shown in [
        record.clone(),
        invoke(&window, "history_get", json!({ "id": record["id"] })).unwrap(),
    ] {
        let error = &shown["error"];
        assert_eq!(error["kind"], "forbidden", "{shown}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("not allowed to manage phone numbers"),
            "{shown}"
        );
        assert!(error["hint"]
            .as_str()
            .unwrap()
            .contains("Teams Administrator"));
    }
    // The history file keeps what Microsoft answered, not those words.
    let history = numberdesk::history::History::open(dir.path()).unwrap().0;
    let kept = history
        .get(record["id"].as_i64().unwrap())
        .unwrap()
        .unwrap()
        .error
        .unwrap();
    assert!(kept.message.is_empty(), "{kept:?}");
    assert_eq!(kept.facts.unwrap().status, Some(403));
}

#[test]
fn a_small_bulk_run_through_ipc() {
    let sim = fast_sim();
    let dir = tempfile::tempdir().unwrap();
    let keyring = keyring_signed_in(&sim, dir.path(), sim::ADMIN_UPN);
    let (_app, window) = app_for(&sim, dir.path(), keyring);
    invoke(&window, "session_status", json!({})).unwrap();

    // A CSV file comes as its own bytes (a BOM, a header, a name with an accent in the header).
    let csv = "\u{feff}Name,Phone\r\nAdele,+12065550100\r\nZoë,+12065550101\r\n";
    let file = invoke_raw(
        &window,
        "bulk_read",
        csv.as_bytes().to_vec(),
        &[("x-numberdesk-file-name", "numbers%20%C3%A9t%C3%A9.csv")],
    )
    .unwrap();
    assert_eq!(file["rows"], 2, "{file}");
    assert_eq!(file["column"], 1, "the number column is found: {file}");
    assert!(
        file["source"]
            .as_str()
            .unwrap_or_default()
            .contains("numbers été.csv"),
        "{file}"
    );

    let input = invoke(
        &window,
        "bulk_read",
        json!({ "source": { "kind": "text", "text": "+12065550100\n+12065550101\nnot a number" } }),
    );
    let input = input.unwrap();

    let preview = invoke(
        &window,
        "bulk_preview",
        json!({ "inputId": input["inputId"], "column": input["column"].as_u64().unwrap_or(0) }),
    )
    .unwrap();
    let preview_id = preview["previewId"].clone();
    // An action the UI does not send is refused before anything runs.
    let refused = invoke(&window, "bulk_control", json!({ "action": "stop" })).unwrap_err();
    assert!(refused.is_string(), "{refused}");
    invoke(
        &window,
        "bulk_start",
        json!({ "previewId": preview_id, "unticked": [] }),
    )
    .unwrap();
    let overview = until(&window, "bulk_overview", json!({}), |o| {
        o["run"]["progress"]["state"] == "finished"
    });
    assert!(
        !overview["batches"].as_array().unwrap().is_empty(),
        "{overview}"
    );
    let batch_id = overview["batches"][0]["id"].clone();
    let page = invoke(
        &window,
        "history_list",
        json!({ "query": { "batchId": batch_id, "limit": 50 } }),
    )
    .unwrap();
    assert!(!page["records"].as_array().unwrap().is_empty(), "{page}");
    // `undo` and `retry` arrive by name; an unknown choice is refused.
    // (A Problem is an object with a `kind`; a refused argument is Tauri's plain string.)
    for what in ["undo", "retry"] {
        let answer = invoke(
            &window,
            "bulk_from_batch",
            json!({ "batchId": batch_id, "what": what }),
        );
        if let Err(problem) = &answer {
            assert!(
                problem.get("kind").is_some(),
                "{what} was not dispatched: {problem}"
            );
        }
    }
    let refused = invoke(
        &window,
        "bulk_from_batch",
        json!({ "batchId": batch_id, "what": "redo" }),
    )
    .unwrap_err();
    assert!(refused.is_string(), "{refused}");
}

fn operation(n: u64) -> NewOperation {
    NewOperation {
        kind: OperationKind::Unassign,
        telephone_number: format!("+1425555{:04}", n % 10_000),
        number_type: Some("directRouting".into()),
        prior_assignee: Assignee {
            name: Some(format!("Person {n}")),
            ..Default::default()
        },
        actor: Actor {
            upn: "admin@contoso.com".into(),
            tenant_id: sim::DEMO_TENANT_ID.into(),
            cloud: "global".into(),
        },
        client_request_id: format!("c{n:07}"),
        undo_of: None,
        batch_id: None,
    }
}

/// Prints the latency of a trivial command while a 50,000-row export runs (run with
/// `--nocapture` to read the figures). The export runs on a blocking thread, so the other
/// commands keep answering.
#[test]
fn the_app_keeps_answering_during_a_50_000_row_export() {
    const ROWS: u64 = 50_000;
    let sim = fast_sim();
    let dir = tempfile::tempdir().unwrap();
    {
        let (history, _) = History::open_with(dir.path(), Durability::ProcessCrash).unwrap();
        for n in 0..ROWS {
            history.create(operation(n)).unwrap();
        }
    }
    let keyring: Arc<dyn SecretStore> = Arc::new(LimitedMemoryStore::windows_like());
    let (_app, window) = app_for(&sim, dir.path(), keyring);

    let exporting = std::thread::spawn({
        let window = window.clone();
        move || {
            let started = Instant::now();
            let answer = invoke(&window, "history_export", json!({ "query": {} }));
            (answer, started.elapsed())
        }
    });
    let mut latencies = Vec::new();
    while !exporting.is_finished() {
        let asked = Instant::now();
        invoke(&window, "app_info", json!({})).unwrap();
        latencies.push(asked.elapsed());
        std::thread::sleep(Duration::from_millis(5));
    }
    let (answer, export_took) = exporting.join().unwrap();
    let exported = answer.expect("the export");
    assert_eq!(exported["count"], ROWS);
    latencies.sort();
    let worst = *latencies
        .last()
        .expect("app_info answered during the export");
    let median = latencies[latencies.len() / 2];
    println!(
        "export of {ROWS} rows took {} ms; app_info answered {} times meanwhile, median {:.2} ms, max {:.2} ms",
        export_took.as_millis(),
        latencies.len(),
        median.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0
    );
    assert!(
        latencies.len() > 1,
        "app_info answered only once in {export_took:?}"
    );
    assert!(
        worst < export_took / 2,
        "app_info waited {worst:?} of {export_took:?}"
    );
    let _ = std::fs::remove_file(exported["path"].as_str().unwrap());
}

#[test]
fn numbers_view_refresh_leavers_and_bulk_preview_through_ipc() {
    let sim = fast_sim();
    let dir = tempfile::tempdir().unwrap();
    let keyring = keyring_signed_in(&sim, dir.path(), sim::ADMIN_UPN);
    let (_app, window) = app_for(&sim, dir.path(), keyring);
    let status = invoke(&window, "session_status", json!({})).unwrap();
    assert_eq!(status["signedIn"], true, "{status}");

    // Nothing kept yet: an empty list with a note, at once.
    let first = invoke(&window, "numbers_view", json!({})).unwrap();
    assert!(first["readAt"].is_null(), "{first}");
    assert_eq!(first["total"], 0);
    assert!(first["note"].as_str().unwrap().contains("Refresh"));
    assert!(invoke(&window, "numbers_query", json!({ "query": {} })).is_ok());

    let refreshed = invoke(
        &window,
        "numbers_refresh",
        json!({ "query": { "limit": 25 } }),
    )
    .unwrap();
    assert_eq!(refreshed["cancelled"], false);
    let page = &refreshed["page"];
    let total = page["total"].as_u64().unwrap() as usize;
    assert_eq!(total, sim.numbers().len());
    assert_eq!(page["rows"].as_array().unwrap().len(), 25, "one page only");
    assert!(page["readAt"].is_string());
    assert!(page["counts"]["assignment"]["user"].as_u64().unwrap() > 0);

    // Chips, search and sort.
    let users = invoke(
        &window,
        "numbers_query",
        json!({ "query": { "assignment": ["user"], "sort": "assignee", "descending": true, "limit": 10 } }),
    )
    .unwrap();
    assert_eq!(users["matching"], page["counts"]["assignment"]["user"]);
    let searched = invoke(
        &window,
        "numbers_query",
        json!({ "query": { "search": "206 555-0100" } }),
    )
    .unwrap();
    assert_eq!(searched["matching"], 1, "{searched}");

    // The kept list is shown again by a new view (the same app), with its time.
    let again = invoke(&window, "numbers_view", json!({})).unwrap();
    assert_eq!(again["readAt"], page["readAt"]);

    // The CSV export of a filter.
    let exported = invoke(
        &window,
        "numbers_export",
        json!({ "query": { "assignment": ["user"] } }),
    )
    .unwrap();
    assert_eq!(exported["count"], users["matching"]);
    let text = std::fs::read_to_string(exported["path"].as_str().unwrap()).unwrap();
    assert_eq!(
        text.lines().count(),
        exported["count"].as_u64().unwrap() as usize + 1
    );

    // The leavers lens, its export, and "Unassign all listed…" → the Bulk preview.
    let report = invoke(
        &window,
        "numbers_leavers",
        json!({ "includeUnlicensed": false }),
    )
    .unwrap();
    assert_eq!(report["complete"], true, "{report}");
    let listed = report["leavers"].as_array().unwrap().len();
    assert!(listed >= sim::DISABLED_LEAVERS.len() + 2, "{report}");
    let tab = invoke(&window, "numbers_query", json!({ "query": {} })).unwrap();
    assert_eq!(tab["leavers"]["numbers"], listed);
    let ticket = invoke(&window, "numbers_export_leavers", json!({})).unwrap();
    assert_eq!(ticket["count"], listed);
    let preview = invoke(
        &window,
        "numbers_to_bulk",
        json!({ "selection": { "kind": "leavers" } }),
    )
    .unwrap();
    assert_eq!(preview["counts"]["toSend"], listed, "{preview}");
    assert!(preview["previewId"].is_string());

    // A selection of two rows, and "all that match".
    let picked = invoke(
        &window,
        "numbers_to_bulk",
        json!({ "selection": { "kind": "numbers", "numbers": ["+12065550100", "+12065550101"] } }),
    )
    .unwrap();
    assert_eq!(picked["counts"]["rows"], 2, "{picked}");
    let matching = invoke(
        &window,
        "numbers_to_bulk",
        json!({ "selection": { "kind": "matching", "query": { "assignment": ["user"] } } }),
    )
    .unwrap();
    assert_eq!(matching["counts"]["rows"], users["matching"]);
    // Cancel with nothing going on is harmless.
    invoke(&window, "numbers_cancel", json!({})).unwrap();
}

// ---- The kept list belongs to one tenant, cloud and account --------------------------------

/// `inventory.sqlite3` and its write-ahead log, as bytes (what is left on disk).
fn kept_list_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in ["inventory.sqlite3", "inventory.sqlite3-wal"] {
        if let Ok(mut read) = std::fs::read(dir.join(name)) {
            bytes.append(&mut read);
        }
    }
    bytes
}

fn holds(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

/// Signs `account` in to `sim` and opens the Numbers view (after the session is restored).
fn numbers_view_as(
    sim: &SimTenant,
    dir: &Path,
    account: &str,
) -> (tauri::App<MockRuntime>, Window, Value) {
    let keyring = keyring_signed_in(sim, dir, account);
    let (app, window) = app_for(sim, dir, keyring);
    let status = invoke(&window, "session_status", json!({})).unwrap();
    assert_eq!(status["signedIn"], true, "{status}");
    let page = invoke(&window, "numbers_view", json!({})).unwrap();
    (app, window, page)
}

/// Not shown, not exported, not counted, not given to the lens or to Bulk.
fn assert_kept_list_withheld(window: &Window, page: &Value) {
    let seen = format!("total {}, note {}", page["total"], page["note"]);
    assert_eq!(page["total"], 0, "{seen}");
    assert!(page["rows"].as_array().unwrap().is_empty(), "{seen}");
    assert!(page["readAt"].is_null(), "{seen}");
    let note = page["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("another") && note.contains("Refresh"),
        "the view says the list was read for someone else: {seen}"
    );
    let query = invoke(window, "numbers_query", json!({ "query": {} })).unwrap();
    assert_eq!(query["total"], 0, "numbers_query showed the list");
    assert!(
        invoke(window, "numbers_export", json!({ "query": {} })).is_err(),
        "exported"
    );
    assert!(
        invoke(
            window,
            "numbers_leavers",
            json!({ "includeUnlicensed": false })
        )
        .is_err(),
        "given to the leavers lens"
    );
    let matching = json!({ "selection": { "kind": "matching", "query": {} } });
    assert!(
        invoke(window, "numbers_to_bulk", matching).is_err(),
        "sent to Bulk"
    );
}

#[test]
fn a_kept_list_is_shown_only_to_the_tenant_and_account_that_read_it() {
    let sim = fast_sim();
    let dir = tempfile::tempdir().unwrap();
    {
        let (_app, window, _) = numbers_view_as(&sim, dir.path(), sim::ADMIN_UPN);
        let refreshed = invoke(&window, "numbers_refresh", json!({})).unwrap();
        assert_eq!(refreshed["page"]["total"], sim.numbers().len());
    }
    // Another account of the same tenant.
    {
        let (_app, window, page) = numbers_view_as(&sim, dir.path(), sim::NO_ROLE_UPN);
        assert_kept_list_withheld(&window, &page);
    }
    // Another tenant, at other endpoints.
    let other = fast_sim();
    {
        let (_app, window, page) = numbers_view_as(&other, dir.path(), sim::ADMIN_UPN);
        assert_kept_list_withheld(&window, &page);
    }
    // The account that read it sees it again, without asking Microsoft.
    let (_app, _window, page) = numbers_view_as(&sim, dir.path(), sim::ADMIN_UPN);
    assert_eq!(page["total"], sim.numbers().len(), "{}", page["note"]);
}

#[test]
fn sign_out_leaves_no_name_or_user_name_of_the_kept_list_on_disk() {
    let sim = fast_sim();
    let dir = tempfile::tempdir().unwrap();
    let (_app, window, _) = numbers_view_as(&sim, dir.path(), sim::ADMIN_UPN);
    invoke(&window, "numbers_refresh", json!({})).unwrap();
    invoke(
        &window,
        "numbers_leavers",
        json!({ "includeUnlicensed": true }),
    )
    .unwrap();
    let kept = kept_list_bytes(dir.path());
    let names = [
        sim::SAMPLE_USER_UPN,
        "Adele Vance",
        "alexw@contoso.onmicrosoft.com",
    ];
    for name in names {
        assert!(holds(&kept, name), "{name} is kept before sign-out");
    }

    invoke(&window, "sign_out", json!({})).unwrap();
    let left = kept_list_bytes(dir.path());
    for name in names {
        assert!(
            !holds(&left, name),
            "{name} is still on disk after sign-out"
        );
    }
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("inventory"))
        .collect();
    for name in &files {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        assert!(!holds(&bytes, sim::SAMPLE_USER_UPN), "{name} holds a UPN");
    }
    // Nothing of it is shown either, and the lens's answer is gone.
    let tab = invoke(&window, "numbers_query", json!({ "query": {} }));
    assert!(
        tab.as_ref().map_or(true, |page| page["total"] == 0),
        "numbers_query still shows the list after sign-out"
    );
    assert!(invoke(&window, "numbers_export_leavers", json!({})).is_err());
}

#[test]
fn a_list_kept_by_an_older_numberdesk_has_no_owner_and_is_never_shown() {
    let sim = fast_sim();
    let dir = tempfile::tempdir().unwrap();
    {
        // The first version's file: no tenant, cloud or account beside the list.
        let conn = rusqlite::Connection::open(dir.path().join("inventory.sqlite3")).unwrap();
        conn.execute_batch(
            "CREATE TABLE snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), read_at TEXT NOT NULL,
                unreadable INTEGER NOT NULL, list_requests INTEGER NOT NULL,
                name_requests INTEGER NOT NULL);
             CREATE TABLE numbers (position INTEGER PRIMARY KEY, id TEXT NOT NULL,
                telephone_number TEXT NOT NULL, number_type TEXT NOT NULL,
                assignment TEXT NOT NULL, assignment_status TEXT, assignee_id TEXT,
                assignee_name TEXT, assignee_upn TEXT, category TEXT, city TEXT, country TEXT,
                activation_state TEXT, location_id TEXT);
             INSERT INTO snapshot VALUES (1, '2025-06-01T10:42:00.000Z', 0, 1, 1);
             INSERT INTO numbers VALUES (0, 'n1', '+14255550199', 'callingPlan', 'user',
                'userAssigned', 'u1', 'Someone Elsewhere', 'someone@fabrikam.example', NULL,
                'Redmond', 'US', 'activated', NULL);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let (_app, _window, page) = numbers_view_as(&sim, dir.path(), sim::ADMIN_UPN);
    let seen = format!("total {}, note {}", page["total"], page["note"]);
    assert_eq!(page["total"], 0, "{seen}");
    assert!(page["readAt"].is_null(), "{seen}");
    assert!(
        !holds(&kept_list_bytes(dir.path()), "someone@fabrikam.example"),
        "the ownerless rows are deleted"
    );
}

/// The app pointed at `sim` (its endpoints only, as `NUMBERDESK_LOGIN_URL`/`_GRAPH_URL` set
/// them), with `edit` changing the other launch options.
fn app_at_endpoints(
    sim: &SimTenant,
    dir: &Path,
    edit: impl FnOnce(&mut numberdesk::config::LaunchOptions),
) -> (tauri::App<MockRuntime>, Window) {
    let mut options = numberdesk::config::LaunchOptions {
        custom_cloud: Some(
            numberdesk::cloud::Cloud::custom(&sim.login_url(), &sim.graph_url()).unwrap(),
        ),
        data_dir: Some(dir.to_path_buf()),
        managed_preset: Some(dir.join("no-preset.json")),
        ..Default::default()
    };
    edit(&mut options);
    let launch = numberdesk::Launch {
        started: Instant::now(),
        options: Ok(options),
        secrets: Arc::new(LimitedMemoryStore::windows_like()),
        data_dir: None,
        desktop: false,
    };
    let mut app = numberdesk::assemble(mock_builder(), launch)
        .build(mock_context(noop_assets()))
        .expect("mock app builds");
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window builds");
    (app, window)
}

#[test]
fn set_up_for_my_organization_never_overwrites_a_setup_that_it_or_the_launch_fixes() {
    let sim = fast_sim();
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("managed.json");
    std::fs::write(
        &preset,
        r#"{"cloud":"global","tenant":"contoso.onmicrosoft.com","clientId":"11111111-2222-3333-4444-555555555555"}"#,
    )
    .unwrap();
    let (_app, window) = app_at_endpoints(&sim, dir.path(), |o| {
        o.managed_preset = Some(preset.clone());
    });
    let refused = invoke(&window, "setup_begin", json!({ "cloud": "global" })).unwrap_err();
    assert_eq!(refused["kind"], "setupLocked", "{refused}");
    assert!(
        refused["hint"].as_str().unwrap().contains("preset"),
        "{refused}"
    );
    assert!(sim.requests().is_empty(), "no sign-in was started");
    let setup = invoke(&window, "get_setup", json!({})).unwrap();
    assert_eq!(setup["tenant"], "contoso.onmicrosoft.com");

    // A tenant fixed by NUMBERDESK_TENANT: refused too, the setup as it was.
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_at_endpoints(&sim, dir.path(), |o| {
        o.tenant = Some(sim::DEMO_TENANT_ID.into());
    });
    let refused = invoke(&window, "setup_begin", json!({ "cloud": "global" })).unwrap_err();
    assert_eq!(refused["kind"], "setupLocked", "{refused}");

    // "Check again" with nothing waiting says how to carry on.
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_at_endpoints(&sim, dir.path(), |_| {});
    let nothing = invoke(&window, "setup_check_again", json!({})).unwrap_err();
    assert_eq!(nothing["kind"], "cancelled", "{nothing}");
    assert!(
        nothing["hint"]
            .as_str()
            .unwrap()
            .contains("Set up for my organization"),
        "{nothing}"
    );
    invoke(&window, "setup_cancel", json!({})).unwrap();
}

#[test]
fn the_sign_in_screen_learns_of_an_organizations_dead_end_before_any_browser_opens() {
    let sim = fast_sim();
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_at_endpoints(&sim, dir.path(), |o| {
        o.tenant = Some("organizations".into());
        o.client_id = Some(sim::DEMO_CLIENT_ID.into());
    });
    let problem = invoke(&window, "sign_in_check", json!({})).unwrap_err();
    assert_eq!(problem["kind"], "singleTenantApp", "{problem}");
    let words = format!("{} {}", problem["message"], problem["hint"]);
    assert!(words.contains("tenant ID"), "{words}");
    let asked: Vec<String> = sim
        .requests()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect();
    assert_eq!(asked, vec!["POST /organizations/oauth2/v2.0/devicecode"]);

    // A tenant ID is not asked about at all; a multi-tenant app through organizations passes.
    sim.set_multi_tenant_app(true);
    invoke(&window, "sign_in_check", json!({})).unwrap();
    let dir = tempfile::tempdir().unwrap();
    sim.clear_requests();
    let (_app, window) = app_at_endpoints(&sim, dir.path(), |o| {
        o.tenant = Some(sim::DEMO_TENANT_ID.into());
        o.client_id = Some(sim::DEMO_CLIENT_ID.into());
    });
    invoke(&window, "sign_in_check", json!({})).unwrap();
    assert!(sim.requests().is_empty());
}
