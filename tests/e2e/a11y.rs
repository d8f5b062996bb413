//! Accessibility: axe-core (WCAG 2.1 A/AA and best practices) on every screen of both windows,
//! in the light and the dark theme, with no serious or critical finding. The findings of each
//! screen are saved beside the screenshots (`axe-<test>-<screen>.json`).

use crate::harness::{App, Launch};
use crate::tray::{keys, open_quick};
use numberdesk::sim;

const ENTER: &str = "\u{E007}";

async fn every_screen(name: &str, launch: Launch, dark: bool) {
    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch(name, launch, data.path()).await;
    app.visible("#welcome").await;
    let is_dark = app.is_dark().await;
    assert_eq!(is_dark, dark, "the theme under test is the one on screen");
    let mut minor = Vec::new();
    minor.extend(app.assert_accessible("welcome").await);
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    minor.extend(app.assert_accessible("sign-in").await);
    app.sign_in_through_ui(sim::ADMIN_UPN).await;

    // Unassign: empty, with a card, with the confirmation open.
    app.visible("#lookup-input").await;
    minor.extend(app.assert_accessible("unassign").await);
    app.type_into("#lookup-input", &format!("{}{ENTER}", sim::SAMPLE_NUMBER))
        .await;
    app.visible("[data-part=card]").await;
    minor.extend(app.assert_accessible("unassign-card").await);
    app.click("[data-part=unassign]").await;
    app.visible("[data-part=confirm]").await;
    minor.extend(app.assert_accessible("unassign-confirm").await);
    app.click("[data-part=confirm-ok]").await;
    app.text_until("[data-part=result-status]", |t| t.contains("Succeeded"))
        .await;
    minor.extend(app.assert_accessible("unassign-result").await);

    // Bulk: the list, the preview, the run.
    app.click(".tab[data-view=bulk]").await;
    app.visible("#bulk-text").await;
    minor.extend(app.assert_accessible("bulk").await);
    app.type_into(
        "#bulk-text",
        &format!("+12065550101{ENTER}+12065550102{ENTER}not a number{ENTER}+12065550101"),
    )
    .await;
    app.click("#bulk-read").await;
    app.visible("#bulk-preview").await;
    minor.extend(app.assert_accessible("bulk-preview").await);
    app.click("#bulk-confirm").await;
    app.visible("#bulk-dialog").await;
    minor.extend(app.assert_accessible("bulk-confirm").await);
    app.click("#bulk-dialog-ok").await;
    app.text_until("#bulk-progress-text", |t| t.contains("finished"))
        .await;
    minor.extend(app.assert_accessible("bulk-finished").await);

    // Numbers: the list after a refresh, and the leavers lens.
    app.click(".tab[data-view=numbers]").await;
    app.visible("#numbers-refresh").await;
    app.click("#numbers-refresh").await;
    app.text_until("#numbers-progress-text", |t| t.starts_with("Read "))
        .await;
    minor.extend(app.assert_accessible("numbers").await);
    app.click("#numbers-lens-leavers").await;
    app.text_until("#numbers-leavers-busy", |t| t.starts_with("Checked"))
        .await;
    minor.extend(app.assert_accessible("numbers-leavers").await);

    // History with a record open; Settings.
    app.click(".tab[data-view=history]").await;
    app.click("#history-rows tr button").await;
    app.visible("#history-detail").await;
    minor.extend(app.assert_accessible("history").await);
    app.click(".tab[data-view=settings]").await;
    app.visible("#sign-out").await;
    minor.extend(app.assert_accessible("settings").await);

    // The quick window: empty, then with a card.
    open_quick(&app).await;
    app.visible("#quick-unassign [data-part=input]").await;
    minor.extend(app.assert_accessible("quick").await);
    keys(&app, &format!("+12065550104{ENTER}")).await;
    app.visible("#quick-unassign [data-part=card]").await;
    minor.extend(app.assert_accessible("quick-card").await);

    eprintln!(
        "{name}: no serious or critical findings; minor/moderate: {:?}",
        minor
            .iter()
            .map(|v| format!("{} ({})", v.id, v.impact.as_deref().unwrap_or("?")))
            .collect::<Vec<_>>()
    );
    app.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn every_screen_of_both_windows_passes_axe_in_the_light_theme() {
    every_screen(
        "a11y-light",
        Launch::demo().env("GTK_THEME", "Adwaita"),
        false,
    )
    .await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn every_screen_of_both_windows_passes_axe_in_the_dark_theme() {
    every_screen(
        "a11y-dark",
        Launch::demo().env("GTK_THEME", "Adwaita:dark"),
        true,
    )
    .await;
}
