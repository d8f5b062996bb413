//! Setup and sign-in through the window: the setup form's checks, IT's managed preset, a demo
//! sign-in that survives a restart and leaves nothing behind after sign-out, and proof that no
//! token reaches a file or the app's output.

use crate::harness::{numberdesk_keyring_items, App, Launch};
use numberdesk::sim::{self, SimConfig, SimTenant};

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn demo_sign_in_survives_a_restart_and_sign_out_empties_the_keyring() {
    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch("signin-demo", Launch::demo(), data.path()).await;
    app.click("#welcome-continue").await;
    let where_ = app.text("#signin-where").await;
    assert!(where_.contains("demo tenant"), "{where_}");
    app.shot("sign-in").await;

    app.click("#sign-in").await;
    app.visible("#signin-waiting").await;
    let link = app.value("#sign-in-link").await;
    assert!(link.contains("code_challenge_method=S256"), "{link}");
    app.shot("waiting-for-browser").await;
    let page = crate::harness::browser_signs_in(&link, sim::ADMIN_UPN).await;
    assert!(page.contains("You are signed in"), "{page}");
    app.text_until("#account-chip", |t| t == "Megan Bowen")
        .await;
    app.click(".tab[data-view=settings]").await;
    assert_eq!(app.text("#settings-account-upn").await, sim::ADMIN_UPN);
    assert!(app.text("#settings-names").await.starts_with("Shown"));
    app.shot("signed-in").await;
    assert!(
        numberdesk_keyring_items(data.path()) > 0,
        "the session is in the keyring"
    );
    app.quit().await;

    // Quit and relaunch: still signed in, no browser step.
    let mut again = App::launch("signin-demo-relaunch", Launch::demo(), data.path()).await;
    again.visible("#shell").await;
    assert_eq!(again.text("#account-chip").await, "Megan Bowen");
    again.shot("still-signed-in").await;

    // Sign out: back to the sign-in screen, and the keyring holds nothing of NumberDesk.
    again.click(".tab[data-view=settings]").await;
    again.click("#sign-out").await;
    again.visible("#signin").await;
    assert_eq!(
        numberdesk_keyring_items(data.path()),
        0,
        "sign-out leaves nothing in the keyring"
    );
    again.shot("signed-out").await;
    again.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn the_setup_form_checks_each_field_as_it_is_typed() {
    let data = tempfile::tempdir().unwrap();
    let preset = data.path().join("no-preset-here.json");
    let launch = Launch::default().env("NUMBERDESK_MANAGED_PRESET", preset.display().to_string());
    let mut app = App::launch("signin-setup-form", launch, data.path()).await;
    app.click("#welcome-continue").await;
    app.visible("#setup").await;
    assert_eq!(app.value("#setup-cloud").await, "global");
    assert!(!app.is_visible("#setup-cloud-warning").await);

    app.type_into("#setup-tenant", "adele@contoso.com").await;
    let error = app
        .text_until("#setup-tenant-error", |t| !t.is_empty())
        .await;
    assert!(error.contains("after the @"), "{error}");
    app.type_into("#setup-client-id", "NumberDesk").await;
    let error = app
        .text_until("#setup-client-id-error", |t| !t.is_empty())
        .await;
    assert!(error.contains("GUID"), "{error}");
    app.shot("errors-as-typed").await;

    // "organizations" is accepted, with the warning that the registration must be multi-tenant.
    app.type_into("#setup-tenant", "organizations").await;
    app.text_until("#setup-tenant-error", str::is_empty).await;
    let warning = app
        .text_until("#setup-tenant-warning", |t| !t.is_empty())
        .await;
    assert!(warning.contains("multi-tenant"), "{warning}");
    app.shot("organizations-warning").await;
    app.type_into("#setup-tenant", "adele@contoso.com").await;
    app.text_until("#setup-tenant-error", |t| !t.is_empty())
        .await;

    // Saving with problems says so and stays.
    app.click("#setup-save").await;
    app.visible("#setup-save-problem").await;
    assert!(app.is_visible("#setup").await);

    // Another cloud: warned before signing in that the API is Global-only.
    app.client
        .execute(
            "const s = document.getElementById('setup-cloud'); s.value = 'usGovL4'; s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await
        .unwrap();
    let warning = app.text("#setup-cloud-warning").await;
    assert!(warning.contains("Global cloud only"), "{warning}");

    app.type_into("#setup-tenant", "fabrikam.onmicrosoft.us")
        .await;
    app.type_into("#setup-client-id", "11111111-2222-3333-4444-555555555555")
        .await;
    app.text_until("#setup-tenant-error", str::is_empty).await;
    app.text_until("#setup-client-id-error", str::is_empty)
        .await;
    app.shot("valid").await;
    app.click("#setup-save").await;
    app.visible("#signin").await;
    assert!(app.is_visible("#signin-cloud-warning").await);
    let where_ = app.text("#signin-where").await;
    assert!(
        where_.contains("fabrikam.onmicrosoft.us") && where_.contains("GCC High"),
        "{where_}"
    );
    app.shot("sign-in-gcc-high").await;
    let saved = std::fs::read_to_string(data.path().join("settings.json")).unwrap();
    assert!(saved.contains("fabrikam.onmicrosoft.us"), "{saved}");
    app.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_managed_preset_fills_and_locks_the_fields_and_a_bad_one_is_reported() {
    let data = tempfile::tempdir().unwrap();
    let preset = data.path().join("managed.json");
    std::fs::write(
        &preset,
        r#"{"cloud":"global","tenant":"contoso.onmicrosoft.com","clientId":"11111111-2222-3333-4444-555555555555"}"#,
    )
    .unwrap();
    let launch = Launch::default().env("NUMBERDESK_MANAGED_PRESET", preset.display().to_string());
    let mut app = App::launch("signin-managed", launch.clone(), data.path()).await;
    app.click("#welcome-continue").await;
    // Complete and locked: straight to sign-in, and Settings cannot change it.
    app.visible("#signin").await;
    assert!(!app.is_visible("#signin-change-setup").await);
    let where_ = app.text("#signin-where").await;
    assert!(where_.contains("contoso.onmicrosoft.com"), "{where_}");
    app.shot("preset-sign-in").await;
    app.quit().await;

    std::fs::write(&preset, r#"{"cloud":"global","tenant":"#).unwrap();
    let mut app = App::launch("signin-managed-bad", launch, data.path()).await;
    app.visible("#setup").await;
    let alert = app.text("#setup-preset-problem").await;
    assert!(
        alert.contains("preset") && alert.contains("managed.json"),
        "{alert}"
    );
    assert!(app
        .visible("#setup-tenant")
        .await
        .is_enabled()
        .await
        .unwrap());
    app.shot("bad-preset").await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn no_token_reaches_a_file_or_the_apps_output_after_sign_in_refresh_and_sign_out() {
    let tenant = SimTenant::start(SimConfig::default()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let output = data.path().join("app-output.log");
    let launch = Launch {
        output: Some(output.clone()),
        ..Default::default()
    }
    .env("NUMBERDESK_LOGIN_URL", tenant.login_url())
    .env("NUMBERDESK_GRAPH_URL", tenant.graph_url())
    .env("NUMBERDESK_TENANT", sim::DEMO_TENANT_ID)
    .env("NUMBERDESK_CLIENT_ID", sim::DEMO_CLIENT_ID)
    .env("RUST_LOG", "trace");
    let mut app = App::launch("signin-no-leak", launch, data.path()).await;
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    app.sign_in_through_ui(sim::ADMIN_UPN).await;
    app.text_until("#account-chip", |t| t == "Megan Bowen")
        .await;
    app.click(".tab[data-view=settings]").await;
    app.click("#sign-out").await;
    app.visible("#signin").await;
    app.shot("signed-out").await;
    app.quit().await;

    let secrets = tenant.issued_secrets();
    // A code, an access token, a refresh token and an id_token at sign-in, then the refresh for
    // the names permission: at least six secrets were handed to the app.
    assert!(secrets.len() >= 6, "{}", secrets.len());
    let token_requests = tenant
        .requests()
        .into_iter()
        .filter(|r| r.path_and_query.ends_with("/oauth2/v2.0/token"))
        .count();
    assert!(token_requests >= 2, "sign-in and a refresh happened");
    let mut files = 0;
    for entry in walk(data.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a token was found in {}",
                entry.display()
            );
        }
        files += 1;
    }
    assert!(files >= 2, "settings and the app's output were checked");
    assert_eq!(numberdesk_keyring_items(data.path()), 0);
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn without_names_consent_the_window_says_why_and_ask_again_brings_the_names() {
    let tenant = SimTenant::start(SimConfig::default()).await.unwrap();
    tenant.set_consent(sim::Consent {
        user_read_basic_all: false,
        ..sim::Consent::default()
    });
    let data = tempfile::tempdir().unwrap();
    let launch = Launch::default()
        .env("NUMBERDESK_LOGIN_URL", tenant.login_url())
        .env("NUMBERDESK_GRAPH_URL", tenant.graph_url())
        .env("NUMBERDESK_TENANT", sim::DEMO_TENANT_ID)
        .env("NUMBERDESK_CLIENT_ID", sim::DEMO_CLIENT_ID);
    let mut app = App::launch("signin-names", launch, data.path()).await;
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    app.sign_in_through_ui(sim::ADMIN_UPN).await;
    let names_requests = || {
        tenant
            .requests()
            .iter()
            .filter(|r| r.path_and_query.ends_with("/oauth2/v2.0/token"))
            .filter(|r| r.body.contains("User.ReadBasic.All"))
            .count()
    };

    // The card shows the object ID and says why; more lookups ask Microsoft nothing more.
    let assigned: Vec<String> = tenant
        .numbers()
        .into_iter()
        .filter(|n| n.assignment_status == "userAssigned" && n.served_as_null.is_empty())
        .map(|n| n.telephone_number)
        .take(3)
        .collect();
    for number in &assigned {
        app.type_into("#lookup-input", &format!("{number}\u{E007}"))
            .await;
        let shown = numberdesk::phone::display_form(number);
        app.text_until("[data-part=card-number]", |t| t == shown)
            .await;
        let upn = app.text("[data-part=card-upn]").await;
        assert!(upn.contains("refused the permission"), "{upn}");
    }
    app.shot("card-without-names").await;
    assert_eq!(names_requests(), 1, "asked once, at sign-in");

    app.click(".tab[data-view=settings]").await;
    let said = app.text("#settings-names").await;
    assert!(
        said.contains("Not permitted") && said.contains("Ask again"),
        "{said}"
    );
    assert!(app.is_visible("#names-ask-again").await);
    app.shot("settings-names-refused").await;

    // An administrator grants consent; "Ask again" asks once and the names come.
    tenant.set_consent(sim::Consent::default());
    app.click("#names-ask-again").await;
    app.text_until("#settings-names", |t| t.starts_with("Shown"))
        .await;
    assert!(!app.is_visible("#names-ask-again").await);
    assert_eq!(names_requests(), 2);
    app.shot("settings-names-granted").await;
    app.click(".tab[data-view=unassign]").await;
    app.type_into("#lookup-input", "+1 (206) 555-0100\u{E007}")
        .await;
    app.text_until("[data-part=card-upn]", |t| t == sim::SAMPLE_USER_UPN)
        .await;
    app.quit().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}
