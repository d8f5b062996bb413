//! HR's list in Bulk (issue 24) through the real window on the demo tenant: a CSV of 20 user
//! names and emails (one nobody has, one of a person without a number, one name two people
//! share) opened from a file; the preview shows each person with the numbers that will go and
//! every row's outcome; the run takes the numbers, each from the person named, and Undo gives
//! them back.

use crate::harness::{App, Launch};
use fantoccini::Locator;
use numberdesk::sim::{self, SimConfig, SimTenant, UserKind};
use std::collections::{BTreeMap, BTreeSet};

#[tokio::test]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn bulk_person_csv_of_twenty_people_shows_each_outcome_runs_and_undoes() {
    // The demo tenant comes from a fixed seed: one started from the same seed names its people.
    let seed = SimTenant::start(SimConfig::default()).await.unwrap();
    let mut held: BTreeMap<String, usize> = BTreeMap::new();
    for number in seed.numbers() {
        if let Some(id) = number.assignment_target_id.clone() {
            if matches!(
                number.assignment_status.as_str(),
                "userAssigned" | "voiceApplicationAssigned"
            ) {
                *held.entry(id).or_default() += 1;
            }
        }
    }
    let users = seed.users();
    let allan = seed.user(sim::TWO_NUMBERS_UPN).unwrap();
    let queue = users
        .iter()
        .find(|u| {
            u.kind == UserKind::ResourceAccount && u.user_principal_name.starts_with("cq-support")
        })
        .unwrap()
        .clone();
    let mut people = vec![allan.clone(), queue.clone()];
    people.extend(
        users
            .iter()
            .filter(|u| {
                u.kind == UserKind::Person
                    && u.display_name != sim::SHARED_NAME
                    && u.id != allan.id
                    && !u.is_guest()
                    && held.contains_key(&u.id)
            })
            .take(15)
            .cloned(),
    );
    seed.shutdown();
    assert_eq!(people.len(), 17);
    let numbers: usize = people.iter().map(|p| held[&p.id]).sum();
    // HR's export: the name, and the user name or the email (every other row), as lists mix.
    let mut csv = String::from("Employee,User,Last day\n");
    for (i, p) in people.iter().enumerate() {
        let address = if i % 2 == 0 {
            &p.user_principal_name
        } else {
            &p.mail
        };
        csv.push_str(&format!("{},{address},2026-12-11\n", p.display_name));
        if i == 4 {
            csv.push_str("Pat Nobody,pat.nobody@contoso.com,2026-12-11\n");
        }
        if i == 9 {
            csv.push_str(&format!("Nina Larsen,{},2026-12-11\n", sim::NO_NUMBER_UPN));
        }
        if i == 12 {
            csv.push_str(&format!("{0},{0},2026-12-11\n", sim::SHARED_NAME));
        }
    }
    assert_eq!(csv.lines().count(), 21);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leavers-december.csv");
    std::fs::write(&file, &csv).unwrap();

    let data = tempfile::tempdir().unwrap();
    let mut app = App::launch("bulk-person", Launch::demo(), data.path()).await;
    app.click("#welcome-continue").await;
    app.visible("#signin").await;
    app.sign_in_through_ui(sim::ADMIN_UPN).await;
    app.click(".tab[data-view=bulk]").await;
    app.visible("#bulk-text").await;
    // Open the file as the file dialog would.
    app.client
        .find(Locator::Css("#bulk-file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();

    // The column is found by its name, and each row says what came of it.
    app.visible("#bulk-preview").await;
    let column = app.value("#bulk-column").await;
    assert_eq!(column, "1", "the User column");
    let counts = app.text("#bulk-preview-counts").await;
    assert!(
        counts.contains(&format!("{numbers} to unassign")),
        "{counts}"
    );
    for said in [
        "1 no such user",
        "1 person without a number",
        "1 name of several people",
        "20 people in the list",
    ] {
        assert!(counts.contains(said), "{said}: {counts}");
    }
    let headings = app
        .client
        .find_all(Locator::Css("#bulk-preview-rows tr.bulk-person"))
        .await
        .unwrap();
    assert_eq!(headings.len(), 17, "each person with numbers has a line");
    let allans = app.text("#bulk-preview-rows tr.bulk-person").await;
    assert!(
        allans.contains("Allan Deyoung") && allans.contains("2 numbers"),
        "{allans}"
    );
    let text = app.text("#bulk-preview-rows").await;
    assert!(
        text.contains("No such user") && text.contains("pat.nobody@contoso.com"),
        "{text}"
    );
    assert!(
        text.contains("No number") && text.contains("Nina Larsen holds no phone number"),
        "{text}"
    );
    assert!(
        text.contains("Several people")
            && text.contains("alexw@contoso.onmicrosoft.com")
            && text.contains("alex.wilber@contoso.onmicrosoft.com"),
        "{text}"
    );
    assert!(text.contains("A resource account"), "{text}");
    assert!(
        text.contains("Primary number") && text.contains("Private line"),
        "{text}"
    );
    let confirm = app.text("#bulk-confirm").await;
    assert!(
        confirm.starts_with(&format!(
            "Unassign {numbers} numbers from 16 users and 1 resource account"
        )),
        "{confirm}"
    );
    // axe-core on the preview with people in it (a shot is taken too).
    app.assert_accessible("preview").await;
    for selector in [
        "#bulk-preview-rows tr[data-skipped=noSuchUser]",
        "#bulk-preview-rows tr[data-skipped=severalPeople]",
    ] {
        app.client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
                vec![selector.into()],
            )
            .await
            .unwrap();
        app.shot(if selector.contains("several") {
            "preview-several"
        } else {
            "preview-unknown"
        })
        .await;
    }

    // Run: every number goes, each taken from the person the list named.
    app.click("#bulk-confirm").await;
    app.click("#bulk-dialog-ok").await;
    app.visible("#bulk-run").await;
    let progress = app
        .text_until("#bulk-progress-text", |t| t.contains("finished"))
        .await;
    assert!(
        progress.starts_with(&format!("{numbers} of {numbers} done")),
        "{progress}"
    );
    let counts = app.text("#bulk-run-counts").await;
    assert!(counts.contains(&format!("{numbers} succeeded")), "{counts}");
    let run = app.text("#bulk-run-rows").await;
    assert_eq!(run.matches("Allan Deyoung").count(), 2, "{run}");
    let named: BTreeSet<&str> = people.iter().map(|p| p.display_name.as_str()).collect();
    for name in &named {
        assert!(run.contains(name), "{name}: {run}");
    }
    app.shot("finished").await;

    // Undo: every number back to its person.
    app.click("#bulk-undo").await;
    app.visible("#bulk-preview").await;
    let confirm = app
        .text_until("#bulk-confirm", |t| t.starts_with("Give back"))
        .await;
    assert!(
        confirm.starts_with(&format!(
            "Give back {numbers} numbers to 16 users and 1 resource account"
        )),
        "{confirm}"
    );
    app.shot("undo-preview").await;
    app.click("#bulk-confirm").await;
    app.click("#bulk-dialog-ok").await;
    app.visible("#bulk-run").await;
    app.text_until("#bulk-progress-text", |t| t.contains("finished"))
        .await;
    let counts = app.text("#bulk-run-counts").await;
    assert!(counts.contains(&format!("{numbers} succeeded")), "{counts}");
    app.shot("undone").await;
    app.quit().await;
}
