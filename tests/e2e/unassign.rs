//! Unassigning through the window on the demo tenant: the card names the assignee, the
//! confirmation names the person, History follows the change to Succeeded, the record survives
//! a restart, and re-assign gives the number back.

use crate::harness::{App, Launch};
use numberdesk::sim;

async fn signed_in_demo(name: &str, data: &std::path::Path) -> App {
    let app = App::launch(name, Launch::demo(), data).await;
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    app.sign_in_through_ui(sim::ADMIN_UPN).await;
    app
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn unassign_follow_to_succeeded_survive_a_restart_and_reassign() {
    let data = tempfile::tempdir().unwrap();
    let mut app = signed_in_demo("unassign", data.path()).await;
    app.visible("#view-unassign").await;

    app.type_into("#lookup-input", "+1 (206) 555-0100\u{E007}")
        .await;
    let assignee = app.text("[data-part=card-assignee]").await;
    assert_eq!(assignee, "Adele Vance");
    assert_eq!(app.text("[data-part=card-upn]").await, sim::SAMPLE_USER_UPN);
    assert_eq!(app.text("[data-part=card-type]").await, "Calling Plan");
    app.shot("card").await;

    app.click("[data-part=unassign]").await;
    let question = app.text("[data-part=confirm-title]").await;
    assert!(
        question.starts_with("Remove +1 206") && question.ends_with("from Adele Vance?"),
        "{question}"
    );
    app.shot("confirm").await;
    app.click("[data-part=confirm-ok]").await;
    app.visible("[data-part=result]").await;
    app.text_until("[data-part=result-status]", |t| t.contains("Succeeded"))
        .await;
    app.shot("result-succeeded").await;

    app.click("[data-part=result-open]").await;
    app.visible("#history-detail").await;
    app.text_until("#detail-status", |t| t.contains("Succeeded"))
        .await;
    let facts = app.text("#detail-facts").await;
    assert!(
        facts.contains("Adele Vance") && facts.contains("callingPlan"),
        "{facts}"
    );
    assert!(
        facts.contains("/operations("),
        "the Location is shown: {facts}"
    );
    let row = app.text("#history-rows tr").await;
    assert!(
        row.contains("Succeeded") && row.contains("Unassign"),
        "{row}"
    );
    app.shot("history").await;

    // Copy diagnostics: the change's request ids, no name, no number, no token.
    app.click(".tab[data-view=settings]").await;
    app.click("#copy-diagnostics").await;
    app.text_until("#diagnostics-status", |t| {
        t.starts_with("Copied") || t.starts_with("Could not")
    })
    .await;
    let report = app
        .visible("#diagnostics-status")
        .await
        .attr("data-copied")
        .await
        .unwrap()
        .unwrap();
    assert!(
        report.contains("Recent changes") && report.contains("unassign succeeded"),
        "{report}"
    );
    assert!(
        report.contains("request-id ") && !report.contains("request-id none"),
        "{report}"
    );
    for secret in ["Adele", "adelev", "2065550100", "555-0100"] {
        assert!(!report.contains(secret), "{secret} in {report}");
    }
    app.shot("diagnostics").await;
    app.quit().await;
    crate::harness::assert_no_token_in_files(data.path());
    let log = crate::harness::log_text(data.path());
    assert!(
        log.contains("NumberDesk") && log.contains("succeeded"),
        "{log}"
    );
    assert!(!log.contains("Adele"), "{log}");

    // Quit and relaunch: the record is still there.
    let mut again = App::launch("unassign-relaunch", Launch::demo(), data.path()).await;
    again.visible("#shell").await;
    again.click(".tab[data-view=history]").await;
    let row = again.text("#history-rows tr").await;
    assert!(
        row.contains("Succeeded") && row.contains("Adele Vance"),
        "{row}"
    );
    again.click("#history-rows tr button").await;
    again.visible("#detail-reassign").await;
    again.shot("history-after-restart").await;

    // Re-assign it, confirmed in the page, and follow it to Succeeded.
    again.click("#detail-reassign").await;
    let question = again.text("#reassign-title").await;
    assert!(question.contains("back to Adele Vance"), "{question}");
    again.shot("reassign-confirm").await;
    again.click("#reassign-ok").await;
    again
        .text_until("#detail-title", |t| t.starts_with("Re-assign"))
        .await;
    again
        .text_until("#detail-status", |t| t.contains("Succeeded"))
        .await;
    again.shot("reassigned").await;

    // The lookup shows the assignee again.
    again.click(".tab[data-view=unassign]").await;
    again
        .type_into("#lookup-input", "+12065550100\u{E007}")
        .await;
    again
        .text_until("[data-part=card-assignee]", |t| t == "Adele Vance")
        .await;
    again.shot("lookup-again").await;
    again.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn garbage_and_unassigned_numbers_are_explained_and_nothing_is_offered() {
    let data = tempfile::tempdir().unwrap();
    let mut app = signed_in_demo("unassign-explained", data.path()).await;
    // Words that are no number are looked up as a name; nobody is called that, and the card
    // says how to type a number instead.
    app.type_into("#lookup-input", "call Adele\u{E007}").await;
    let reason = app
        .text_until("[data-part=person-reason]", |t| t.contains("No one"))
        .await;
    assert!(reason.contains("call Adele"), "{reason}");
    assert!(reason.contains("+1 206 555 0100"), "{reason}");
    assert!(!app.is_visible("[data-part=unassign-person]").await);
    app.shot("garbage").await;

    app.type_into("#lookup-input", "+1 206 555 0199\u{E007}")
        .await;
    let problem = app
        .text_until("[data-part=problem]", |t| t.contains("no number"))
        .await;
    assert!(problem.contains("nothing to remove"), "{problem}");
    assert!(!app.is_visible("[data-part=unassign]").await);
    app.shot("not-found").await;
    app.quit().await;
}
