//! The tray's quick window and life in the background: a keyboard-only unassign in the quick
//! window (opened through the same command the tray uses), the record in the main window's
//! History, and a second launch folded into the first.

use crate::harness::{App, Launch, APP};
use fantoccini::Locator;
use numberdesk::sim;
use std::time::{Duration, Instant};

const ENTER: &str = "\u{E007}";
const TAB: &str = "\u{E004}";

async fn signed_in(name: &str, launch: Launch, data: &std::path::Path) -> App {
    let app = App::launch(name, launch, data).await;
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    app.sign_in_through_ui(sim::ADMIN_UPN).await;
    app
}

/// Opens the quick window through the command the tray uses (Settings › Open quick unassign),
/// and switches WebDriver to it. Returns the main window's handle.
pub(crate) async fn open_quick(app: &App) -> fantoccini::wd::WindowHandle {
    let main = app.client.window().await.unwrap();
    app.click(".tab[data-view=settings]").await;
    app.click("#open-quick").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for handle in app.client.windows().await.unwrap() {
            if handle == main {
                continue;
            }
            app.client.switch_to_window(handle.clone()).await.unwrap();
            if app.client.title().await.unwrap() == "NumberDesk — Quick unassign" {
                return main;
            }
        }
        app.client.switch_to_window(main.clone()).await.unwrap();
        assert!(Instant::now() < deadline, "the quick window did not appear");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn keys(app: &App, text: &str) {
    app.client
        .active_element()
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

async fn focused_part(app: &App) -> String {
    app.client
        .active_element()
        .await
        .unwrap()
        .attr("data-part")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn the_quick_window_unassigns_with_the_keyboard_alone_and_history_shows_it() {
    let data = tempfile::tempdir().unwrap();
    let mut app = signed_in("quick", Launch::demo(), data.path()).await;
    // The quick window is made on first use, not at start (its web process costs memory).
    assert_eq!(
        app.client.windows().await.unwrap().len(),
        1,
        "only the main window exists before the quick window is asked for"
    );
    let main = open_quick(&app).await;
    app.visible("#quick-unassign [data-part=input]").await;
    assert_eq!(
        focused_part(&app).await,
        "input",
        "the number field has focus at once"
    );

    keys(&app, &format!("+1 206 555 0100{ENTER}")).await;
    assert_eq!(app.text("[data-part=card-assignee]").await, "Adele Vance");
    assert_eq!(
        focused_part(&app).await,
        "unassign",
        "focus moves to the action"
    );
    app.shot("card").await;

    keys(&app, ENTER).await;
    let question = app.text("[data-part=confirm-title]").await;
    assert!(question.ends_with("from Adele Vance?"), "{question}");
    assert_eq!(
        focused_part(&app).await,
        "confirm-cancel",
        "Cancel is the safe default"
    );
    keys(&app, TAB).await;
    assert_eq!(focused_part(&app).await, "confirm-ok");
    app.shot("confirm").await;
    keys(&app, ENTER).await;
    app.text_until("[data-part=result-status]", |t| t.contains("Succeeded"))
        .await;
    app.shot("succeeded").await;

    // The main window's History shows the same record.
    app.client.switch_to_window(main).await.unwrap();
    app.click(".tab[data-view=history]").await;
    let row = app
        .text_until("#history-rows tr", |t| t.contains("Succeeded"))
        .await;
    assert!(
        row.contains("Adele Vance") && row.contains("Unassign"),
        "{row}"
    );
    app.shot("main-history").await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn the_quick_window_in_dark_mode_and_escape_closes_it() {
    let data = tempfile::tempdir().unwrap();
    let launch = Launch::demo().env("GTK_THEME", "Adwaita:dark");
    let mut app = signed_in("quick-dark", launch, data.path()).await;
    let main = open_quick(&app).await;
    app.visible("#quick-unassign [data-part=input]").await;
    keys(&app, &format!("+12065550100{ENTER}")).await;
    app.text("[data-part=card-assignee]").await;
    let dark = app.is_dark().await;
    app.shot(if dark { "dark" } else { "light-theme-only" })
        .await;
    // Esc hides the window: its page becomes hidden.
    keys(&app, "\u{E00C}").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state = app
            .client
            .execute("return document.visibilityState", vec![])
            .await
            .unwrap();
        if state.as_str() == Some("hidden") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Esc did not hide the quick window: {state}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.client.switch_to_window(main).await.unwrap();
    assert!(app.client.find(Locator::Css("#shell")).await.is_ok());
    app.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_second_launch_focuses_the_first_instead_of_starting_another() {
    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch("second-launch", Launch::demo(), data.path()).await;
    app.visible("#welcome").await;
    let started = Instant::now();
    let mut second = std::process::Command::new(APP)
        .arg("--demo")
        .env("NUMBERDESK_DATA_DIR", data.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = second.kill();
            panic!("the second launch kept running instead of handing over");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
    let counted = Instant::now() + Duration::from_secs(10);
    loop {
        let value = app
            .client
            .execute(
                "return document.documentElement.dataset.secondInstance || '0'",
                vec![],
            )
            .await
            .unwrap();
        if value.as_str() == Some("1") {
            break;
        }
        assert!(
            Instant::now() < counted,
            "the first instance was not told: {value}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.shot("focused").await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_shortcut_that_cannot_be_set_is_reported_and_a_good_one_is_saved() {
    let data = tempfile::tempdir().unwrap();
    let mut app = signed_in("shortcut", Launch::demo(), data.path()).await;
    app.click(".tab[data-view=settings]").await;
    assert!(
        !app.visible("#bg-shortcut-enabled")
            .await
            .is_selected()
            .await
            .unwrap(),
        "off by default"
    );
    assert!(
        !app.visible("#bg-start-at-login")
            .await
            .is_selected()
            .await
            .unwrap(),
        "off by default"
    );
    app.click("#bg-shortcut-enabled").await;
    app.type_into("#bg-shortcut", "Shift+Banana").await;
    app.click("#bg-save").await;
    let problem = app.text("#bg-problem").await;
    assert!(
        problem.contains("Shift+Banana") && problem.contains("could not be set"),
        "{problem}"
    );
    app.shot("shortcut-refused").await;

    app.type_into("#bg-shortcut", "CommandOrControl+Shift+U")
        .await;
    app.click("#bg-save").await;
    app.text_until("#bg-saved", |t| t == "Saved.").await;
    assert!(!app.is_visible("#bg-problem").await);
    let saved = std::fs::read_to_string(data.path().join("settings.json")).unwrap();
    assert!(
        saved.contains("CommandOrControl+Shift+U") && saved.contains("\"shortcutEnabled\": true"),
        "{saved}"
    );
    app.shot("shortcut-saved").await;
    app.quit().await;
}
