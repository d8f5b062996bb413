//! The app shell: demo mode, the first-run screen, navigation, banners, startup problems.

use crate::harness::{App, Launch};

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn demo_first_run_then_navigation_and_the_choice_is_remembered() {
    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch("shell-first-run", Launch::demo(), data.path()).await;

    // The first-run screen, with the demo banner and the demo explanation.
    let title = app.text("#welcome-title").await;
    assert_eq!(title, "Welcome to NumberDesk");
    let banner = app.text(".banner-demo").await;
    assert!(banner.contains("Demo tenant"), "{banner}");
    assert!(app.is_visible("#welcome-demo").await);
    // The demo shows the whole setup too ("Set up for my organization" against the simulated
    // tenant), but not the way into the demo or the manual path.
    assert!(app.is_visible("#welcome-auto-setup").await);
    assert!(!app.is_visible("#welcome-try-demo").await);
    assert!(!app.is_visible("#welcome-manual-title").await);
    assert!(!app.is_visible("#shell").await);
    app.shot("welcome").await;

    // Past it, the demo needs no setup: sign in, and the shell opens on Unassign.
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    app.sign_in_through_ui(numberdesk::sim::ADMIN_UPN).await;
    app.visible("#view-unassign").await;
    let current = app
        .visible(".tab[data-view=unassign]")
        .await
        .attr("aria-current")
        .await
        .unwrap();
    assert_eq!(current.as_deref(), Some("page"));
    app.shot("unassign").await;

    // Each tab shows its own view and only that one.
    for (tab, heading) in [
        ("history", "History"),
        ("settings", "Settings"),
        ("unassign", "Unassign a number"),
    ] {
        app.click(&format!(".tab[data-view={tab}]")).await;
        assert_eq!(app.text(&format!("#{tab}-title")).await, heading);
        for other in ["unassign", "history", "settings"] {
            assert_eq!(
                app.is_visible(&format!("#view-{other}")).await,
                other == tab,
                "after clicking {tab}, view {other}"
            );
        }
        if tab != "unassign" {
            app.shot(tab).await;
        }
    }

    // Settings shows where the demo tenant really is: this computer.
    app.click(".tab[data-view=settings]").await;
    let login = app.text("#settings-login").await;
    assert!(login.starts_with("http://127.0.0.1:"), "{login}");
    let data_dir = app.text("#settings-data-dir").await;
    assert_eq!(data_dir, data.path().display().to_string());
    app.quit().await;

    // Started again with the same data folder, the first-run screen is not shown again, and
    // the session comes back from the keyring.
    let mut again = App::launch("shell-second-run", Launch::demo(), data.path()).await;
    again.visible("#view-unassign").await;
    assert_eq!(again.text("#account-chip").await, "Megan Bowen");
    assert!(!again.is_visible("#welcome").await);
    again.shot("second-launch").await;
    again.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn endpoints_that_are_not_microsofts_are_announced() {
    let data = tempfile::tempdir().unwrap();
    let launch = Launch::default()
        .env("NUMBERDESK_LOGIN_URL", "http://127.0.0.1:9")
        .env("NUMBERDESK_GRAPH_URL", "http://127.0.0.1:10");
    let mut app = App::launch("shell-custom-endpoints", launch, data.path()).await;
    let banner = app.text(".banner-custom").await;
    assert!(banner.contains("not Microsoft’s"), "{banner}");
    assert!(banner.contains("http://127.0.0.1:10"), "{banner}");
    assert!(app.is_visible("#welcome-real").await);
    // The endpoints are fixed; tenant and client ID are left to the admin.
    app.click("#welcome-continue").await;
    app.visible("#setup").await;
    assert!(!app
        .visible("#setup-cloud")
        .await
        .is_enabled()
        .await
        .unwrap());
    assert!(app
        .visible("#setup-tenant")
        .await
        .is_enabled()
        .await
        .unwrap());
    app.shot("banner").await;
    app.quit().await;
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_launch_setting_it_cannot_use_is_explained_not_ignored() {
    let data = tempfile::tempdir().unwrap();
    let launch = Launch::default().env("NUMBERDESK_LOGIN_URL", "http://10.1.2.3");
    let mut app = App::launch("shell-bad-setting", launch, data.path()).await;
    let message = app.text("#startup-problem-message").await;
    assert!(message.contains("NUMBERDESK_LOGIN_URL"), "{message}");
    let hint = app.text("#startup-problem-hint").await;
    assert!(hint.contains("Set both"), "{hint}");
    assert!(!app.is_visible("#welcome").await);
    app.shot("problem").await;
    app.quit().await;
}
