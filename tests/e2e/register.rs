//! "Set up for my organization" through the window, against a simulated tenant started by the
//! test (the app reaches it through the `NUMBERDESK_LOGIN_URL`/`_GRAPH_URL` hooks, as IT could
//! point it at a national cloud): a new admin from the first screen to a looked-up number; an
//! account that may not consent, ending on the "Ask an admin" card, then Check again after
//! another admin consented; the bootstrap token in no file; the `organizations` dead end said
//! as the sign-in screen opens; and "Try it on a demo tenant".

use crate::harness::{browser_signs_in, numberdesk_keyring_items, App, Launch};
use numberdesk::sim::{self, SimConfig, SimTenant};
use std::path::Path;
use std::time::Duration;

/// The app pointed at `tenant`'s endpoints, with no tenant or app set up and no IT preset.
fn at(tenant: &SimTenant, data: &Path) -> Launch {
    Launch {
        output: Some(data.join("app-output.log")),
        ..Default::default()
    }
    .env("NUMBERDESK_LOGIN_URL", tenant.login_url())
    .env("NUMBERDESK_GRAPH_URL", tenant.graph_url())
    .env(
        "NUMBERDESK_MANAGED_PRESET",
        data.join("no-preset.json").display().to_string(),
    )
}

/// Counts the admin's clicks in the window and choices on Microsoft's page.
#[derive(Default)]
struct Effort {
    clicks: usize,
    account_choices: usize,
}

impl Effort {
    async fn click(&mut self, app: &App, css: &str) {
        app.click(css).await;
        self.clicks += 1;
    }

    async fn choose_account(&mut self, link: &str, account: &str) -> String {
        self.account_choices += 1;
        browser_signs_in(link, account).await
    }
}

/// Looks the sample number up (typed, then Enter) and waits for its card.
async fn look_up_sample_number(app: &App) {
    app.type_into("#lookup-input", &format!("{}\u{E007}", sim::SAMPLE_NUMBER))
        .await;
    let shown = numberdesk::phone::display_form(sim::SAMPLE_NUMBER);
    app.text_until("[data-part=card-number]", |t| t == shown)
        .await;
    app.text_until("[data-part=card-upn]", |t| t == sim::SAMPLE_USER_UPN)
        .await;
}

/// The link in the read-only field `css`, once the app has put it there.
async fn link_in(app: &App, css: &str) -> String {
    let deadline = std::time::Instant::now() + crate::harness::PATIENCE;
    loop {
        let link = app.value(css).await;
        if !link.is_empty() {
            return link;
        }
        assert!(std::time::Instant::now() < deadline, "no link in {css}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_new_admin_sets_up_for_the_organization_and_looks_up_a_number_and_the_bootstrap_token_is_in_no_file(
) {
    let tenant = SimTenant::start(SimConfig::default()).await.unwrap();
    // Microsoft's directory is slow to replicate a new app: setup waits it out on screen.
    tenant.set_replication_delay(Duration::from_millis(1500));
    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch("register-admin", at(&tenant, data.path()), data.path()).await;
    let mut effort = Effort::default();

    app.visible("#welcome-auto-setup").await;
    assert!(app.is_visible("#welcome-continue").await, "the manual path");
    assert!(app.is_visible("#welcome-try-demo").await);
    app.shot("first-screen").await;

    effort.click(&app, "#welcome-auto-setup").await;
    app.visible("#register-waiting").await;
    let link = link_in(&app, "#register-link").await;
    assert!(
        link.contains(numberdesk::auth::bootstrap::BOOTSTRAP_CLIENT_ID),
        "{link}"
    );
    app.shot("setup-sign-in").await;
    let before_setup = tenant.issued_secrets().len();
    effort.choose_account(&link, sim::ADMIN_UPN).await;

    // Registered, consented and saved: the normal sign-in follows, saying what was done.
    let note = app
        .text_until("#signin-note", |t| t.contains("set up"))
        .await;
    assert!(note.contains("Created the app registration"), "{note}");
    assert!(note.contains("Granted consent"), "{note}");
    app.shot("set-up-now-sign-in").await;
    let bootstrap_secrets: Vec<String> = tenant.issued_secrets()[before_setup..].to_vec();
    assert!(!bootstrap_secrets.is_empty());
    let apps = tenant.applications();
    assert_eq!(apps.len(), 1);
    let client_id = apps[0].app_id.clone();
    let saved = std::fs::read_to_string(data.path().join("settings.json")).unwrap();
    assert!(
        saved.contains(&client_id) && saved.contains(sim::DEMO_TENANT_ID),
        "{saved}"
    );
    let where_ = app.text("#signin-where").await;
    assert!(where_.contains(sim::DEMO_TENANT_ID), "{where_}");

    // The normal sign-in with the new app, then a lookup.
    effort.click(&app, "#sign-in").await;
    app.visible("#signin-waiting").await;
    let link = link_in(&app, "#sign-in-link").await;
    assert!(link.contains(&client_id), "{link}");
    let page = effort.choose_account(&link, sim::ADMIN_UPN).await;
    assert!(page.contains("You are signed in"), "{page}");
    app.visible("#shell").await;
    look_up_sample_number(&app).await;
    app.shot("number-looked-up").await;

    // From the first screen to a looked-up number: two clicks in NumberDesk ("Set up for my
    // organization", "Sign in with Microsoft") and two account choices on Microsoft's page,
    // then the number typed with Enter.
    assert_eq!(effort.clicks, 2);
    assert_eq!(effort.account_choices, 2);
    assert!(numberdesk_keyring_items(data.path()) > 0, "signed in");
    app.quit().await;

    // The bootstrap token (and everything else issued to setup's sign-in) is in no file of the
    // data folder — settings, history, logs — nor in the app's output.
    let mut checked = 0;
    for file in files(data.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        for secret in &bootstrap_secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a setup secret is in {}",
                file.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 3, "settings, logs and output: {checked} files");
    let log = crate::harness::log_text(data.path());
    assert!(log.contains("set up for the organisation"), "{log}");
}

/// The built-in demo tenant shows the whole flow: `--demo`, its first screen offers "Set up for
/// my organization" beside Get started, which registers NumberDesk in the demo's simulated
/// tenant (through the sim's Azure CLI client), saves the new app in the demo's own settings,
/// and the normal sign-in with that app leads to a looked-up number.
#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn the_demo_tenant_shows_the_whole_setup_from_the_first_screen_to_a_looked_up_number() {
    let data = tempfile::tempdir().unwrap();
    let launch = crate::harness::Launch {
        output: Some(data.path().join("app-output.log")),
        ..crate::harness::Launch::demo()
    };
    let mut app = App::launch("register-demo", launch, data.path()).await;
    let mut effort = Effort::default();

    app.visible("#welcome-auto-setup").await;
    assert!(
        app.is_visible("#welcome-demo").await,
        "it says it is the demo"
    );
    assert!(app.is_visible("#welcome-auto-demo").await);
    assert!(
        app.is_visible("#welcome-continue").await,
        "the demo's own app"
    );
    assert!(
        !app.is_visible("#welcome-try-demo").await,
        "already the demo"
    );
    assert!(!app.is_visible("#welcome-cloud").await, "the demo's cloud");
    app.shot("demo-first-screen").await;

    effort.click(&app, "#welcome-auto-setup").await;
    app.visible("#register-waiting").await;
    let link = link_in(&app, "#register-link").await;
    assert!(
        link.contains(numberdesk::auth::bootstrap::BOOTSTRAP_CLIENT_ID),
        "{link}"
    );
    assert!(
        link.starts_with("http://127.0.0.1:"),
        "the demo's sim: {link}"
    );
    app.shot("demo-setup-sign-in").await;
    effort.choose_account(&link, sim::ADMIN_UPN).await;

    let note = app
        .text_until("#signin-note", |t| t.contains("set up"))
        .await;
    assert!(note.contains("Created the app registration"), "{note}");
    assert!(note.contains("Granted consent"), "{note}");
    app.shot("demo-set-up-now-sign-in").await;
    // Saved in the demo's own settings: a new app, not the demo's ready-made one.
    let saved = std::fs::read_to_string(data.path().join("settings.json")).unwrap();
    let settings: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let client_id = settings["setup"]["clientId"]
        .as_str()
        .unwrap_or_else(|| panic!("{saved}"))
        .to_owned();
    assert_ne!(client_id, sim::DEMO_CLIENT_ID);
    assert_eq!(settings["setup"]["tenant"], sim::DEMO_TENANT_ID, "{saved}");

    effort.click(&app, "#sign-in").await;
    app.visible("#signin-waiting").await;
    let link = link_in(&app, "#sign-in-link").await;
    assert!(link.contains(&client_id), "{link}");
    let page = effort.choose_account(&link, sim::ADMIN_UPN).await;
    assert!(page.contains("You are signed in"), "{page}");
    app.visible("#shell").await;
    assert!(app.is_visible("#leave-demo").await, "still the demo");
    look_up_sample_number(&app).await;
    app.shot("demo-number-looked-up").await;
    // As on a real tenant: "Set up for my organization" and "Sign in with Microsoft" in
    // NumberDesk, and the account chosen twice on the (simulated) Microsoft page.
    assert_eq!(effort.clicks, 2);
    assert_eq!(effort.account_choices, 2);
    app.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn an_account_that_cannot_consent_gets_the_ask_an_admin_card_and_check_again_carries_on() {
    let tenant = SimTenant::start(SimConfig::default()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch("register-ask-admin", at(&tenant, data.path()), data.path()).await;
    let mut effort = Effort::default();

    effort.click(&app, "#welcome-auto-setup").await;
    let link = link_in(&app, "#register-link").await;
    effort.choose_account(&link, sim::DEVELOPER_UPN).await;

    app.visible("#register-ask-admin").await;
    let roles = app.text("#register-roles").await;
    for role in numberdesk::register::CONSENT_ROLES {
        assert!(roles.contains(role), "{roles}");
    }
    let consent_link = link_in(&app, "#register-consent-link").await;
    assert!(consent_link.contains("/adminconsent?"), "{consent_link}");
    assert!(app.is_visible("#register-copy-consent").await);
    assert!(app.is_visible("#register-manual").await, "the manual path");
    app.shot("ask-an-admin").await;

    // Not approved yet: said, and the card stays.
    effort.click(&app, "#register-check-again").await;
    app.text_until("#register-check-result", |t| {
        t.contains("granted consent yet")
    })
    .await;
    assert!(app.is_visible("#register-ask-admin").await);
    app.shot("not-yet").await;

    // Another admin opens the link and approves (as they would in their browser).
    let approved =
        crate::sim_support::choose_on_sign_in_page(&tenant, &consent_link, sim::ADMIN_UPN).await;
    assert!(approved.contains("admin_consent=True"), "{approved}");

    effort.click(&app, "#register-check-again").await;
    let note = app
        .text_until("#signin-note", |t| t.contains("set up"))
        .await;
    assert!(note.contains("Granted consent"), "{note}");
    app.shot("consented-now-sign-in").await;
    effort.click(&app, "#sign-in").await;
    app.visible("#signin-waiting").await;
    let link = link_in(&app, "#sign-in-link").await;
    let page = effort.choose_account(&link, sim::ADMIN_UPN).await;
    assert!(page.contains("You are signed in"), "{page}");
    app.visible("#shell").await;
    look_up_sample_number(&app).await;
    app.shot("number-looked-up").await;
    // Set up, Check again before and after consent, Sign in.
    assert_eq!(effort.clicks, 4);
    assert_eq!(effort.account_choices, 2);
    app.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn an_account_that_may_not_register_is_told_which_role_helps_and_can_go_the_manual_way() {
    let tenant = SimTenant::start(SimConfig::default()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch("register-no-role", at(&tenant, data.path()), data.path()).await;
    app.click("#welcome-auto-setup").await;
    let link = link_in(&app, "#register-link").await;
    browser_signs_in(&link, sim::NO_ROLE_UPN).await;
    let said = app.text("#register-problem").await;
    assert!(
        said.contains("Application Developer") && said.contains("by hand"),
        "{said}"
    );
    assert!(tenant.applications().is_empty());
    app.shot("may-not-register").await;
    app.click("#register-manual").await;
    app.visible("#setup").await;
    app.shot("manual-setup").await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn organizations_for_a_single_tenant_app_is_said_as_the_sign_in_screen_opens() {
    let tenant = SimTenant::start(SimConfig::default()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let launch = at(&tenant, data.path())
        .env("NUMBERDESK_TENANT", "organizations")
        .env("NUMBERDESK_CLIENT_ID", sim::DEMO_CLIENT_ID);
    let mut app = App::launch("register-organizations", launch, data.path()).await;
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    let said = app.text("#signin-problem").await;
    assert!(said.contains("tenant ID"), "{said}");
    app.shot("organizations-said").await;
    // Asked with a device-code request only: no sign-in page, no browser.
    assert!(
        !tenant
            .requests()
            .iter()
            .any(|r| r.path_and_query.contains("/authorize")),
        "no sign-in page was asked for"
    );
    app.quit().await;
}

/// Live processes of the app binary started with `--demo`, with their environment.
fn demo_processes() -> Vec<String> {
    let app = std::fs::canonicalize(crate::harness::APP).unwrap();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let path = entry.path();
        if std::fs::read_link(path.join("exe")).ok() != Some(app.clone()) {
            continue;
        }
        let cmdline = std::fs::read(path.join("cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains("--demo") {
            continue;
        }
        let environ = std::fs::read(path.join("environ")).unwrap_or_default();
        found.push(String::from_utf8_lossy(&environ).replace('\0', "\n"));
    }
    found
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn try_it_on_a_demo_tenant_starts_the_demo_in_a_folder_of_its_own() {
    let tenant = SimTenant::start(SimConfig::default()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = App::launch("register-try-demo", at(&tenant, data.path()), data.path()).await;
    // The app ends as it starts the demo, so the click may not be answered.
    let _ = app.visible("#welcome-try-demo").await.click().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let demo = loop {
        if let Some(found) = demo_processes().into_iter().next() {
            break found;
        }
        assert!(std::time::Instant::now() < deadline, "no demo was started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let demo_dir = data.path().join("demo");
    assert!(
        demo.lines()
            .any(|l| l == format!("NUMBERDESK_DATA_DIR={}", demo_dir.display())),
        "{demo}"
    );
    assert!(
        !demo.lines().any(|l| l.starts_with("NUMBERDESK_LOGIN_URL=")),
        "the demo has its own endpoints"
    );
    // The demo sets itself up in its own folder; the real one keeps none of its state.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !demo_dir.join("logs").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the demo runs in {}",
            demo_dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!data.path().join(numberdesk::DEMO_STATE_FILE).exists());
    // It waited for the run that started it to go before it started its own window (on
    // Windows and macOS both share one single-instance name).
    assert!(
        demo.lines().any(|l| l.starts_with("NUMBERDESK_HANDOVER=")),
        "{demo}"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let logs: String = std::fs::read_dir(demo_dir.join("logs"))
            .unwrap()
            .flatten()
            .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
            .collect();
        if logs.contains("started again; the run before has gone") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{logs}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.quit().await;
}
