//! The Numbers view on the demo tenant: the kept list (empty at first, with a note), Refresh
//! with progress, a chip, the leavers lens with a reason on every row, "Unassign all listed…"
//! through the Bulk view's one confirmation, and the batch found in History. Axe runs on each
//! Numbers screen; the short dark-theme test looks at the same screens in the dark.

use crate::harness::{App, Launch};
use numberdesk::sim;

async fn rows(app: &App, css: &str) -> Vec<fantoccini::elements::Element> {
    app.client
        .find_all(fantoccini::Locator::Css(css))
        .await
        .unwrap()
}

/// Signs in, opens Numbers, refreshes and opens the leavers lens; returns the leavers listed.
async fn open_numbers_and_leavers(app: &mut App) -> usize {
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    app.sign_in_through_ui(sim::ADMIN_UPN).await;
    app.click(".tab[data-view=numbers]").await;
    app.visible("#numbers-refresh").await;
    let note = app.text("#numbers-note").await;
    assert!(note.contains("Refresh"), "{note}");
    assert_eq!(app.text("#numbers-as-of").await, "Not read yet");
    app.shot("numbers-empty").await;
    app.assert_accessible("numbers-empty").await;

    app.click("#numbers-refresh").await;
    let done = app
        .text_until("#numbers-progress-text", |t| t.starts_with("Read "))
        .await;
    assert!(done.ends_with("numbers."), "{done}");
    let as_of = app.text("#numbers-as-of").await;
    assert!(as_of.contains("as of"), "{as_of}");
    assert_eq!(
        rows(app, "#numbers-rows tr").await.len(),
        50,
        "one page on screen"
    );
    let range = app.text("#numbers-range").await;
    assert!(range.starts_with("1–50 of "), "{range}");
    app.shot("numbers-refreshed").await;
    app.assert_accessible("numbers-list").await;

    // A chip: users only; its count is what the list then shows.
    let chip = app
        .text(".chip-filter[data-group=assignment][data-value=user]")
        .await;
    app.click(".chip-filter[data-group=assignment][data-value=user]")
        .await;
    let count = chip
        .rsplit('(')
        .next()
        .unwrap()
        .trim_end_matches(')')
        .to_owned();
    app.text_until("#numbers-range", |t| t.ends_with(&format!("of {count}")))
        .await;
    let pressed = app
        .visible(".chip-filter[data-group=assignment][data-value=user]")
        .await
        .attr("aria-pressed")
        .await
        .unwrap();
    assert_eq!(pressed.as_deref(), Some("true"));
    app.shot("numbers-users").await;

    // The leavers lens: disabled, deleted and ghost users, each with why.
    app.click("#numbers-lens-leavers").await;
    app.text_until("#numbers-leavers-busy", |t| t.starts_with("Checked"))
        .await;
    let listed = rows(app, "#numbers-leavers-rows tr").await;
    assert!(
        listed.len() >= sim::DISABLED_LEAVERS.len() + 2,
        "{}",
        listed.len()
    );
    let all = app.text("#numbers-leavers-rows").await;
    assert!(
        all.contains("Disabled") && all.contains("Deleted") && all.contains("Points at nothing"),
        "{all}"
    );
    for leaver in sim::DISABLED_LEAVERS {
        assert!(all.contains(leaver), "{leaver} in {all}");
    }
    let tab = app.text(".tab[data-view=numbers]").await;
    assert!(tab.contains(&listed.len().to_string()), "{tab}");
    app.shot("numbers-leavers").await;
    app.assert_accessible("numbers-leavers").await;
    listed.len()
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn leavers_are_found_unassigned_through_bulk_and_listed_in_history() {
    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch(
        "numbers",
        Launch::demo().env("GTK_THEME", "Adwaita"),
        data.path(),
    )
    .await;
    let listed = open_numbers_and_leavers(&mut app).await;

    // The change ticket's CSV.
    app.click("#numbers-leavers-export").await;
    let notice = app
        .text_until("#numbers-leavers-notice", |t| t.starts_with("Exported"))
        .await;
    let path = notice
        .trim_start_matches(&format!("Exported {listed} rows to "))
        .trim()
        .to_owned();
    let csv = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{notice}: {e}"));
    assert_eq!(csv.lines().count(), listed + 1, "{csv}");
    let _ = std::fs::remove_file(&path);

    // "Unassign all listed…": the Bulk view's preview, its one confirmation, the run.
    app.click("#numbers-leavers-unassign").await;
    app.visible("#bulk-preview").await;
    let counts = app.text("#bulk-preview-counts").await;
    assert!(
        counts.contains(&format!("{listed} to unassign")),
        "{counts}"
    );
    assert_eq!(rows(&app, "#bulk-preview-rows tr").await.len(), listed);
    let table = app.text("#bulk-preview-rows").await;
    assert!(
        table.contains(sim::DELETED_LEAVER),
        "the deleted user is named as the lens named them: {table}"
    );
    app.shot("bulk-preview").await;
    app.click("#bulk-confirm").await;
    let question = app.text("#bulk-dialog-title").await;
    assert!(
        question.starts_with(&format!("Unassign {listed} numbers from ")),
        "{question}"
    );
    app.shot("bulk-confirm").await;
    app.click("#bulk-dialog-ok").await;
    let progress = app
        .text_until("#bulk-progress-text", |t| t.contains("finished"))
        .await;
    assert!(
        progress.starts_with(&format!("{listed} of {listed} done")),
        "{progress}"
    );
    let run_counts = app.text("#bulk-run-counts").await;
    assert!(
        run_counts.contains(&format!("{listed} succeeded")),
        "{run_counts}"
    );
    app.shot("bulk-finished").await;

    // History: the batch's rows, each succeeded.
    app.click(".tab[data-view=history]").await;
    app.visible("#history-rows tr").await;
    let history = rows(&app, "#history-rows tr").await;
    assert_eq!(history.len(), listed);
    for row in history {
        let text = row.text().await.unwrap();
        assert!(
            text.contains("Unassign") && text.contains("Succeeded"),
            "{text}"
        );
    }
    app.shot("history").await;

    // The recent runs in Bulk name the batch.
    app.click(".tab[data-view=bulk]").await;
    app.visible("#bulk-batch-list li").await;
    let batch = app.text("#bulk-batch-list li").await;
    assert!(
        batch.contains(&format!("Unassign {listed} numbers")),
        "{batch}"
    );
    app.quit().await;
    let (_, files) = crate::harness::assert_no_token_in_files(data.path());
    assert!(files >= 3, "{files} files");
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn the_numbers_view_and_the_leavers_lens_in_the_dark_theme() {
    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch(
        "numbers-dark",
        Launch::demo().env("GTK_THEME", "Adwaita:dark"),
        data.path(),
    )
    .await;
    app.visible("#welcome").await;
    assert!(app.is_dark().await);
    open_numbers_and_leavers(&mut app).await;
    app.quit().await;
}
