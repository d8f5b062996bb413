//! A number that changed hands after the admin looked is never taken from its new holder: in
//! the quick window and the main window (each after the other window changed the number and
//! another admin gave it to Bob), and from the leavers lens (a leaver's number given to a new
//! hire after the lens was read). The app runs against a simulated tenant the test holds, so
//! the test can play the other admin.

use crate::harness::{App, Launch};
use crate::tray::{keys, open_quick};
use numberdesk::sim::{self, SimConfig, SimTenant};

const ENTER: &str = "\u{E007}";

async fn signed_in(name: &str, tenant: &SimTenant, data: &std::path::Path) -> App {
    let launch = Launch::default()
        .env("NUMBERDESK_LOGIN_URL", tenant.login_url())
        .env("NUMBERDESK_GRAPH_URL", tenant.graph_url())
        .env("NUMBERDESK_TENANT", sim::DEMO_TENANT_ID)
        .env("NUMBERDESK_CLIENT_ID", sim::DEMO_CLIENT_ID);
    let app = App::launch(name, launch, data).await;
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    app.sign_in_through_ui(sim::ADMIN_UPN).await;
    app
}

/// An enabled person other than `than`.
fn someone_else(tenant: &SimTenant, than: &str) -> sim::SimUser {
    tenant
        .users()
        .into_iter()
        .find(|u| {
            u.kind == sim::UserKind::Person
                && u.account_enabled
                && !u.id.eq_ignore_ascii_case(than)
                && u.user_principal_name != sim::ADMIN_UPN
        })
        .unwrap()
}

async fn look_up(app: &App, number: &str) {
    app.client
        .find(fantoccini::Locator::Css("[data-part=input]"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    app.type_into("[data-part=input]", &format!("{number}{ENTER}"))
        .await;
    app.visible("[data-part=unassign]").await;
}

async fn confirm(app: &App) {
    app.click("[data-part=unassign]").await;
    app.visible("[data-part=confirm-ok]").await;
    app.click("[data-part=confirm-ok]").await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_card_whose_number_changed_hands_is_not_sent_in_either_window() {
    let tenant = SimTenant::start(SimConfig::default()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut app = signed_in("changed-hands", &tenant, data.path()).await;
    let adele = tenant.user(sim::SAMPLE_USER_UPN).unwrap();
    let bob = someone_else(&tenant, &adele.id);
    let second = tenant
        .numbers()
        .into_iter()
        .find(|n| {
            n.assignment_target_id.as_deref() != Some(adele.id.as_str())
                && n.assignment_status == "userAssigned"
                && !n.telephone_number.contains(";ext=")
        })
        .unwrap();
    let second_holder = second.assignment_target_id.clone().unwrap();
    let carol = someone_else(&tenant, &second_holder);

    // The quick window shows Adele's card and is left open.
    let main = open_quick(&app).await;
    let quick = app.client.window().await.unwrap();
    app.visible("#quick-unassign [data-part=input]").await;
    keys(&app, &format!("{}{ENTER}", sim::SAMPLE_NUMBER)).await;
    assert_eq!(app.text("[data-part=card-assignee]").await, "Adele Vance");

    // The main window takes the number from Adele, then another admin gives it to Bob.
    app.client.switch_to_window(main.clone()).await.unwrap();
    app.click(".tab[data-view=unassign]").await;
    look_up(&app, sim::SAMPLE_NUMBER).await;
    confirm(&app).await;
    app.text_until("#view-unassign [data-part=result-status]", |t| {
        t.contains("Succeeded")
    })
    .await;
    assert!(tenant.change_holder(sim::SAMPLE_NUMBER, Some(&bob.id)));
    // Meanwhile the main window shows the second number's card.
    look_up(&app, &second.telephone_number).await;

    // The quick window's confirmation: not sent, and the card now names Bob.
    app.client.switch_to_window(quick.clone()).await.unwrap();
    confirm(&app).await;
    let said = app
        .text_until("#quick-unassign [data-part=problem]", |t| {
            t.contains("now held by")
        })
        .await;
    assert!(
        said.contains(&bob.display_name) && said.contains("Adele Vance"),
        "{said}"
    );
    app.text_until("#quick-unassign [data-part=card-assignee]", |t| {
        t == bob.display_name
    })
    .await;
    app.shot("quick-changed-hands").await;
    assert_eq!(
        tenant.post_count_for(sim::SAMPLE_NUMBER),
        1,
        "only the main window's"
    );

    // The quick window takes the second number; another admin gives it to Carol; the main
    // window's card for the second number is not sent either.
    look_up(&app, &second.telephone_number).await;
    confirm(&app).await;
    app.text_until("#quick-unassign [data-part=result-status]", |t| {
        t.contains("Succeeded")
    })
    .await;
    assert!(tenant.change_holder(&second.telephone_number, Some(&carol.id)));
    app.client.switch_to_window(main).await.unwrap();
    confirm(&app).await;
    let said = app
        .text_until("#view-unassign [data-part=problem]", |t| {
            t.contains("now held by")
        })
        .await;
    assert!(said.contains(&carol.display_name), "{said}");
    app.shot("main-changed-hands").await;
    assert_eq!(tenant.post_count_for(&second.telephone_number), 1);
    assert_eq!(
        tenant
            .number(sim::SAMPLE_NUMBER)
            .unwrap()
            .assignment_target_id
            .as_deref(),
        Some(bob.id.as_str())
    );
    assert_eq!(
        tenant
            .number(&second.telephone_number)
            .unwrap()
            .assignment_target_id
            .as_deref(),
        Some(carol.id.as_str())
    );
    app.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_leavers_number_given_to_a_new_hire_after_the_lens_is_skipped_in_bulk() {
    let tenant = SimTenant::start(SimConfig::default()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut app = signed_in("leaver-handed-over", &tenant, data.path()).await;
    app.click(".tab[data-view=numbers]").await;
    app.click("#numbers-refresh").await;
    app.text_until("#numbers-progress-text", |t| t.starts_with("Read "))
        .await;
    app.click("#numbers-lens-leavers").await;
    app.text_until("#numbers-leavers-busy", |t| t.starts_with("Checked"))
        .await;
    let listed = app
        .client
        .find_all(fantoccini::Locator::Css("#numbers-leavers-rows tr"))
        .await
        .unwrap()
        .len();

    // Later that week: a disabled leaver's number went to a new hire.
    let leaver = tenant
        .users()
        .into_iter()
        .find(|u| u.display_name == sim::DISABLED_LEAVERS[0])
        .unwrap();
    let number = tenant
        .numbers()
        .into_iter()
        .find(|n| n.assignment_target_id.as_deref() == Some(leaver.id.as_str()))
        .unwrap()
        .telephone_number;
    let new_hire = someone_else(&tenant, &leaver.id);
    assert!(tenant.change_holder(&number, Some(&new_hire.id)));

    app.click("#numbers-leavers-unassign").await;
    app.visible("#bulk-preview").await;
    let counts = app.text("#bulk-preview-counts").await;
    assert!(
        counts.contains(&format!("{} to unassign", listed - 1))
            && counts.contains("1 now held by someone else"),
        "{counts}"
    );
    let table = app.text("#bulk-preview-rows").await;
    assert!(
        table.contains("Holder changed") && table.contains(&new_hire.display_name),
        "{table}"
    );
    app.shot("leaver-preview").await;
    app.click("#bulk-confirm").await;
    app.click("#bulk-dialog-ok").await;
    app.text_until("#bulk-progress-text", |t| t.contains("finished"))
        .await;
    app.shot("leaver-run").await;
    assert_eq!(
        tenant.post_count_for(&number),
        0,
        "never taken from the new hire"
    );
    assert_eq!(
        tenant
            .number(&number)
            .unwrap()
            .assignment_target_id
            .as_deref(),
        Some(new_hire.id.as_str())
    );
    app.quit().await;
}
