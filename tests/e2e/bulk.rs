//! Bulk unassign through the window on the demo tenant: a pasted list of 20 lines (two not
//! numbers, one duplicate), the preview with a reason on every skipped row, one row unticked,
//! one confirmation, the run followed to the end, and the results exported to CSV.

use crate::harness::{App, Launch};
use numberdesk::sim::{self, SimConfig, SimTenant};

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn paste_twenty_numbers_preview_untick_run_and_export() {
    // The demo tenant is generated from a fixed seed: a tenant from the same seed names the
    // numbers the app's demo tenant has.
    let seed = SimTenant::start(SimConfig::default()).await.unwrap();
    let assigned: Vec<String> = seed
        .numbers()
        .into_iter()
        .filter(|n| {
            matches!(
                n.assignment_status.as_str(),
                "userAssigned" | "voiceApplicationAssigned"
            )
        })
        .map(|n| n.telephone_number)
        .filter(|n| !n.contains(";ext="))
        .take(17)
        .collect();
    seed.shutdown();
    assert_eq!(assigned.len(), 17);
    // 20 lines: 17 numbers written as admins paste them, a duplicate of the first (written
    // differently), and two that are not numbers.
    let mut lines: Vec<String> = assigned.clone();
    lines[1] = format!("tel:{}", lines[1]);
    lines.insert(5, "call me maybe".into());
    lines.insert(9, format!("  {}  ", assigned[0].trim_start_matches('+')));
    lines.insert(14, "12-34".into());
    assert_eq!(lines.len(), 20);

    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch("bulk", Launch::demo(), data.path()).await;
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    app.sign_in_through_ui(sim::ADMIN_UPN).await;
    app.click(".tab[data-view=bulk]").await;
    app.visible("#bulk-text").await;
    // Line breaks typed as the Enter key (WebKitWebDriver drops a "\n" in typed text).
    app.type_into("#bulk-text", &lines.join("\u{E007}")).await;
    app.shot("pasted").await;
    app.click("#bulk-read").await;

    // The preview: every row, 17 to send, 3 skipped each with its reason.
    app.visible("#bulk-preview").await;
    let rows = app
        .client
        .find_all(fantoccini::Locator::Css("#bulk-preview-rows tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 20);
    let counts = app.text("#bulk-preview-counts").await;
    assert!(counts.contains("17 to unassign"), "{counts}");
    assert!(counts.contains("2 not numbers"), "{counts}");
    assert!(counts.contains("1 duplicate"), "{counts}");
    // Assignees are named (the demo tenant grants the names permission).
    let first = app.text("#bulk-preview-rows tr:nth-child(1)").await;
    assert!(
        first.contains("Adele Vance") && first.contains("User"),
        "{first}"
    );
    let duplicate = app.text("#bulk-preview-rows tr:nth-child(10)").await;
    assert!(
        duplicate.contains("Duplicate") && duplicate.contains("same number as line 1"),
        "{duplicate}"
    );
    let invalid = app.text("#bulk-preview-rows tr:nth-child(6)").await;
    assert!(invalid.contains("Not a number"), "{invalid}");
    let confirm = app.text("#bulk-confirm").await;
    assert!(
        confirm.starts_with("Unassign 17 numbers from "),
        "{confirm}"
    );
    app.shot("preview").await;

    // Untick line 3: it stays assigned and is not in the run.
    let kept = assigned[2].clone();
    app.click("#bulk-preview-rows tr:nth-child(3) input[type=checkbox]")
        .await;
    app.text_until("#bulk-confirm", |t| {
        t.starts_with("Unassign 16 numbers from ")
    })
    .await;
    app.click("#bulk-confirm").await;
    let question = app.text("#bulk-dialog-title").await;
    assert!(
        question.starts_with("Unassign 16 numbers from "),
        "{question}"
    );
    app.shot("confirm").await;
    app.click("#bulk-dialog-ok").await;

    // The run, row by row, to the end.
    app.visible("#bulk-run").await;
    app.shot("running").await;
    let progress = app
        .text_until("#bulk-progress-text", |t| t.contains("finished"))
        .await;
    assert!(progress.starts_with("16 of 16 done"), "{progress}");
    let counts = app.text("#bulk-run-counts").await;
    assert!(counts.contains("16 succeeded"), "{counts}");
    let run_rows = app
        .client
        .find_all(fantoccini::Locator::Css("#bulk-run-rows tr"))
        .await
        .unwrap();
    assert_eq!(run_rows.len(), 16);
    for row in run_rows {
        let text = row.text().await.unwrap();
        assert!(text.contains("Succeeded") && text.contains('#'), "{text}");
    }
    app.shot("finished").await;

    // Export: one row per number sent, with what an audit needs.
    app.click("#bulk-export").await;
    let notice = app
        .text_until("#bulk-run-notice", |t| t.starts_with("Exported"))
        .await;
    assert!(notice.starts_with("Exported 16 rows to "), "{notice}");
    let path = notice.trim_start_matches("Exported 16 rows to ").trim();
    let csv = std::fs::read_to_string(path).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 16);
    let mut exported: Vec<&str> = records
        .iter()
        .map(|r| &r[column("telephoneNumber")])
        .collect();
    exported.sort();
    let mut expected: Vec<&str> = assigned
        .iter()
        .map(String::as_str)
        .filter(|n| *n != kept)
        .collect();
    expected.sort();
    assert_eq!(exported, expected);
    for record in &records {
        assert_eq!(&record[column("status")], "succeeded");
        assert!(!record[column("priorAssigneeId")].is_empty());
        assert!(!record[column("requestId")].is_empty());
        assert!(record[column("location")].contains("/operations"));
        assert!(!record[column("settledAt")].is_empty());
    }
    let _ = std::fs::remove_file(path);
    app.shot("exported").await;

    // The run is listed under recent runs, with undo offered.
    app.visible("#bulk-batch-list li").await;
    let listed = app.text("#bulk-batch-list li").await;
    assert!(
        listed.contains("Unassign 16 numbers") && listed.contains("16 succeeded"),
        "{listed}"
    );
    assert!(listed.contains("Undo"), "{listed}");
    app.quit().await;

    // Nothing of the session reached a file: settings, history, demo state, logs.
    let (runs, files) = crate::harness::assert_no_token_in_files(data.path());
    assert!(files >= 3, "{files} files");
    assert!(runs >= 1, "the refresh token at least: {runs}");
    let log = crate::harness::log_text(data.path());
    assert!(!log.is_empty(), "the log is written");
}
