//! Offboarding a person (issue 24) in the real window: the tray's quick window takes a user
//! name, shows both of the person's numbers with their category and type, and one
//! confirmation that names the person takes both; a name two people share offers a choice.

use crate::harness::{App, Launch};
use crate::tray::{keys, open_quick};
use numberdesk::sim;

const ENTER: &str = "\u{E007}";

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn the_quick_window_takes_a_user_name_and_unassigns_both_numbers_after_one_confirmation() {
    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch("person-quick", Launch::demo(), data.path()).await;
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    app.sign_in_through_ui(sim::ADMIN_UPN).await;
    let main = open_quick(&app).await;
    app.visible("#quick-unassign [data-part=input]").await;

    keys(&app, &format!("{}{ENTER}", sim::TWO_NUMBERS_UPN)).await;
    assert_eq!(app.text("[data-part=person-name]").await, "Allan Deyoung");
    let rows = app.text("[data-part=person-rows]").await;
    // Both numbers, each with its category and type.
    assert!(
        rows.contains("+1 206-555-0105") && rows.contains("+1 206-555-0180"),
        "{rows}"
    );
    assert!(
        rows.contains("Primary number") && rows.contains("Private line"),
        "{rows}"
    );
    assert!(
        rows.contains("Calling Plan") && rows.contains("Operator Connect"),
        "{rows}"
    );
    app.shot("person-card").await;

    app.click("[data-part=unassign-person]").await;
    let question = app.text("[data-part=confirm-title]").await;
    assert_eq!(question, "Unassign all 2 numbers from Allan Deyoung?");
    app.shot("person-confirm").await;
    app.click("[data-part=confirm-ok]").await;
    app.text_until("[data-part=person-changes]", |t| {
        t.matches("Succeeded").count() == 2
    })
    .await;
    let changes = app.text("[data-part=person-changes]").await;
    assert_eq!(
        changes.matches("from Allan Deyoung").count(),
        2,
        "{changes}"
    );
    app.shot("person-succeeded").await;

    // A name two people share: a list to choose from, nothing to confirm until one is chosen.
    let field = app.visible("#quick-unassign [data-part=input]").await;
    field.clear().await.unwrap();
    field
        .send_keys(&format!("{}{ENTER}", sim::SHARED_NAME))
        .await
        .unwrap();
    let choices = app
        .text_until("[data-part=person-choices]", |t| {
            t.matches("Alex Wilber").count() == 2
        })
        .await;
    assert!(
        choices.contains("alexw@contoso.onmicrosoft.com"),
        "{choices}"
    );
    assert!(!app.is_visible("[data-part=unassign-person]").await);
    app.shot("person-choose").await;

    app.client.switch_to_window(main).await.unwrap();
    app.click(".tab[data-view=history]").await;
    let rows = app
        .text_until("#history-rows", |t| t.matches("Allan Deyoung").count() >= 2)
        .await;
    assert!(rows.contains("Succeeded"), "{rows}");
    app.shot("main-history").await;
    app.quit().await;
}
