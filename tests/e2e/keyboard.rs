//! The keyboard alone (Tab, Enter, Esc — and typing the number): sign in, unassign, open the
//! change in History, sign out. At every stop the focused control shows a visible focus ring.

use crate::harness::{browser_signs_in, App, Launch};
use crate::tray::keys;
use numberdesk::sim;
use std::time::Duration;

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ESC: &str = "\u{E00C}";

/// The focused element's id, data-part or text, and whether its focus can be seen (an outline
/// or a box shadow drawn for :focus-visible).
async fn focus(app: &App) -> (String, bool) {
    let answer = app
        .client
        .execute(
            "const el = document.activeElement;\n\
             if (!el || el === document.body) return ['', true];\n\
             const style = getComputedStyle(el);\n\
             const seen = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)\n\
               || style.boxShadow !== 'none';\n\
             const name = el.id ? '#' + el.id : el.dataset.part ? '[data-part=' + el.dataset.part + ']'\n\
               : el.dataset.view ? '.tab[data-view=' + el.dataset.view + ']' : el.textContent.trim();\n\
             return [name, seen];",
            vec![],
        )
        .await
        .unwrap();
    let pair = answer.as_array().unwrap();
    (
        pair[0].as_str().unwrap().to_owned(),
        pair[1].as_bool().unwrap(),
    )
}

/// Presses Tab until `target` (as [`focus`] names it) has the focus; every stop on the way must
/// show its focus. Returns the number of presses.
async fn tab_to(app: &App, target: &str) -> usize {
    for presses in 1..=80 {
        keys(app, TAB).await;
        let (name, seen) = focus(app).await;
        assert!(seen, "focus on {name:?} cannot be seen");
        if name == target {
            return presses;
        }
    }
    app.screenshot("keyboard-lost").await;
    panic!("Tab never reached {target}");
}

async fn focused_is(app: &App, target: &str) {
    for _ in 0..100 {
        if focus(app).await.0 == target {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{target} never got the focus; it is on {:?}",
        focus(app).await.0
    );
}

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn keyboard_only_sign_in_unassign_history_and_sign_out() {
    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch("keyboard", Launch::demo(), data.path()).await;
    app.visible("#welcome").await;
    focused_is(&app, "#welcome-continue").await;
    keys(&app, ENTER).await;

    // Sign-in: the primary button has the focus; the browser's part is done over HTTP.
    app.visible("#signin").await;
    focused_is(&app, "#sign-in").await;
    keys(&app, ENTER).await;
    app.visible("#signin-waiting").await;
    let link = app.value("#sign-in-link").await;
    let page = browser_signs_in(&link, sim::ADMIN_UPN).await;
    assert!(page.contains("You are signed in"), "{page}");
    app.visible("#shell").await;

    // Unassign: Tab to the field, type, Enter; Tab… to the remove button; the confirmation
    // opens on Cancel, Esc closes it, Enter again, Tab to confirm, Enter.
    tab_to(&app, "#lookup-input").await;
    keys(&app, &format!("{}{ENTER}", sim::SAMPLE_NUMBER)).await;
    app.visible("[data-part=card]").await;
    focused_is(&app, "[data-part=unassign]").await;
    keys(&app, ENTER).await;
    app.visible("[data-part=confirm]").await;
    focused_is(&app, "[data-part=confirm-cancel]").await;
    app.shot("confirm").await;
    keys(&app, ESC).await;
    focused_is(&app, "[data-part=unassign]").await;
    keys(&app, ENTER).await;
    focused_is(&app, "[data-part=confirm-cancel]").await;
    tab_to(&app, "[data-part=confirm-ok]").await;
    keys(&app, ENTER).await;
    app.text_until("[data-part=result-status]", |t| t.contains("Succeeded"))
        .await;
    focused_is(&app, "[data-part=result-open]").await;
    app.shot("done").await;

    // Open it in History.
    keys(&app, ENTER).await;
    app.visible("#history-detail").await;
    app.text_until("#detail-status", |t| t.contains("Succeeded"))
        .await;
    app.shot("history").await;

    // Settings, then Sign out, by Tab and Enter.
    tab_to(&app, ".tab[data-view=settings]").await;
    keys(&app, ENTER).await;
    app.visible("#view-settings").await;
    tab_to(&app, "#sign-out").await;
    keys(&app, ENTER).await;
    app.visible("#signin").await;
    app.shot("signed-out").await;
    assert_eq!(crate::harness::numberdesk_keyring_items(data.path()), 0);
    app.quit().await;
}
