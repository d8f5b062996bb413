//! The history against real SQLite files in temporary folders.

use super::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier};

fn open_fast(dir: &Path) -> History {
    let (history, notice) = History::open_with(dir, Durability::ProcessCrash).unwrap();
    assert_eq!(notice, None);
    history
}

fn new_op(number: &str) -> NewOperation {
    NewOperation {
        kind: OperationKind::Unassign,
        telephone_number: number.to_owned(),
        number_type: Some("directRouting".to_owned()),
        prior_assignee: Assignee {
            id: Some("0b7e3c2a-1111-4a4a-9f9f-000000000001".to_owned()),
            name: Some("Adele Vance".to_owned()),
            upn: Some("AdeleV@contoso.com".to_owned()),
            target_kind: Some("userAssigned".to_owned()),
            category: Some("primary".to_owned()),
            location_id: Some("loc-1".to_owned()),
        },
        actor: Actor {
            upn: "admin@contoso.com".to_owned(),
            tenant_id: "tenant-1".to_owned(),
            cloud: "global".to_owned(),
        },
        client_request_id: uuid::Uuid::new_v4().to_string(),
        undo_of: None,
        batch_id: None,
    }
}

fn named(number: &str, name: &str, upn: &str) -> NewOperation {
    let mut new = new_op(number);
    new.prior_assignee.name = Some(name.to_owned());
    new.prior_assignee.upn = Some(upn.to_owned());
    new.prior_assignee.id = Some(format!("id-{name}"));
    new
}

fn ids(page: &HistoryPage) -> Vec<i64> {
    page.records.iter().map(|r| r.id).collect()
}

fn all_ids(history: &History, query: &HistoryQuery) -> Vec<i64> {
    let mut query = query.clone();
    let mut seen = Vec::new();
    loop {
        let page = history.list(&query).unwrap();
        seen.extend(ids(&page));
        match page.next_before_id {
            Some(next) => query.before_id = Some(next),
            None => return seen,
        }
    }
}

fn text(text: &str) -> HistoryQuery {
    HistoryQuery {
        text: Some(text.to_owned()),
        ..HistoryQuery::default()
    }
}

fn statuses(statuses: &[RecordStatus]) -> HistoryQuery {
    HistoryQuery {
        statuses: statuses.to_vec(),
        ..HistoryQuery::default()
    }
}

#[test]
fn a_new_history_starts_empty_at_the_current_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (history, notice) = History::open(&dir.path().join("nested")).unwrap();
    assert_eq!(notice, None);
    assert_eq!(history.path(), dir.path().join("nested").join(FILE_NAME));
    assert_eq!(history.counts().unwrap(), StatusCounts::default());
    assert_eq!(history.list(&HistoryQuery::default()).unwrap().records, []);
    assert_eq!(history.unsettled().unwrap(), []);
    let version: i64 = history
        .lock()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn a_record_round_trips_through_create_update_and_get() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let new = new_op("+15550100100;ext=12");
    let created = history.create(new.clone()).unwrap();
    assert!(created.id > 0);
    assert_eq!(created.status, RecordStatus::Sending);
    assert_eq!(created.telephone_number, new.telephone_number);
    assert_eq!(created.prior_assignee, new.prior_assignee);
    assert_eq!(created.actor, new.actor);
    assert_eq!(created.client_request_id, new.client_request_id);
    assert_eq!(created.requested_at, created.updated_at);
    assert_eq!(created.requested_at.len(), "2024-01-02T03:04:05.678Z".len());
    assert_eq!(created.settled_at, None);
    assert_eq!(history.get(created.id).unwrap().as_ref(), Some(&created));

    let accepted = history
        .update(
            created.id,
            RecordChange {
                status: Some(RecordStatus::Accepted),
                request_id: Some("req-1".into()),
                response_date: Some("Tue, 02 Jan 2024 03:04:05 GMT".into()),
                location: Some("https://graph.microsoft.com/v1.0/op/1".into()),
                ..RecordChange::default()
            },
        )
        .unwrap();
    assert_eq!(accepted.status, RecordStatus::Accepted);
    assert_eq!(accepted.request_id.as_deref(), Some("req-1"));
    assert_eq!(accepted.settled_at, None);
    assert!(accepted.updated_at >= created.updated_at);
    assert_eq!(history.get(created.id).unwrap().as_ref(), Some(&accepted));

    let failed = history
        .update(
            created.id,
            RecordChange {
                status: Some(RecordStatus::Failed),
                status_detail: Some("Number is in use by a call queue".into()),
                error: Some(Some(RecordError {
                    kind: "operationFailed".into(),
                    message: "Microsoft did not unassign it.".into(),
                    hint: Some("Remove it from the call queue first.".into()),
                    request_id: Some("req-1".into()),
                    facts: None,
                })),
                ..RecordChange::default()
            },
        )
        .unwrap();
    assert!(failed.settled_at.is_some());
    assert_eq!(failed.location, accepted.location, "kept when not changed");
    assert_eq!(history.get(created.id).unwrap().as_ref(), Some(&failed));

    let cleared = history
        .update(
            created.id,
            RecordChange {
                error: Some(None),
                ..RecordChange::default()
            },
        )
        .unwrap();
    assert_eq!(cleared.error, None);
    assert_eq!(
        cleared.settled_at, failed.settled_at,
        "same status: same settle time"
    );
    assert_eq!(history.get(created.id).unwrap().as_ref(), Some(&cleared));
}

#[test]
fn updates_refuse_sending_and_unknown_records() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let record = history.create(new_op("+15550100100")).unwrap();
    assert!(matches!(
        history.update(record.id, RecordChange::status(RecordStatus::Sending)),
        Err(HistoryError::Invalid(_))
    ));
    assert!(matches!(
        history.update(999, RecordChange::status(RecordStatus::Running)),
        Err(HistoryError::NotFound(999))
    ));
    assert_eq!(history.get(999).unwrap(), None);
    let mut nameless = new_op(" ");
    assert!(matches!(
        history.create(nameless.clone()),
        Err(HistoryError::Invalid(_))
    ));
    nameless.telephone_number = "+15550100100".into();
    nameless.client_request_id = String::new();
    assert!(matches!(
        history.create(nameless),
        Err(HistoryError::Invalid(_))
    ));
}

#[test]
fn an_undo_must_assign_back_the_number_its_unassign_took() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let unassign = history.create(new_op("+15550100100")).unwrap();
    let mut undo = new_op("+15550100100");
    undo.kind = OperationKind::Assign;
    undo.undo_of = Some(unassign.id);
    let assign = history.create(undo.clone()).unwrap();
    assert_eq!(assign.undo_of, Some(unassign.id));
    assert_eq!(assign.kind, OperationKind::Assign);

    let mut other_number = undo.clone();
    other_number.telephone_number = "+15550100199".into();
    assert!(matches!(
        history.create(other_number),
        Err(HistoryError::Invalid(_))
    ));
    let mut undo_of_assign = undo.clone();
    undo_of_assign.undo_of = Some(assign.id);
    assert!(matches!(
        history.create(undo_of_assign),
        Err(HistoryError::Invalid(_))
    ));
    let mut missing = undo;
    missing.undo_of = Some(12345);
    assert!(matches!(
        history.create(missing),
        Err(HistoryError::NotFound(12345))
    ));
}

#[test]
fn pages_are_newest_first_without_gaps_or_duplicates_even_while_records_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let mut created: Vec<i64> = (0..25)
        .map(|n| {
            history
                .create(new_op(&format!("+1555010{n:04}")))
                .unwrap()
                .id
        })
        .collect();
    let mut query = HistoryQuery {
        limit: 7,
        ..HistoryQuery::default()
    };
    let first = history.list(&query).unwrap();
    assert_eq!(first.records.len(), 7);
    assert_eq!(first.next_before_id, first.records.last().map(|r| r.id));
    // Newer records arriving between pages shift nothing.
    for n in 0..5 {
        history.create(new_op(&format!("+1555020{n:04}"))).unwrap();
    }
    let mut seen = ids(&first);
    query.before_id = first.next_before_id;
    seen.extend(all_ids(&history, &query));
    created.reverse();
    assert_eq!(seen, created);
    // An exact multiple of the page size ends with `None`, not an empty page.
    let query = HistoryQuery {
        limit: 5,
        ..HistoryQuery::default()
    };
    assert_eq!(all_ids(&history, &query).len(), 30);
}

#[test]
fn filters_match_status_sets_and_text_case_insensitively() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let adele = history
        .create(named("+15550100100", "Adele Vance", "AdeleV@contoso.com"))
        .unwrap();
    let asa = history
        .create(named("+15550100200;ext=77", "Åsa Öberg", "asa@contoso.com"))
        .unwrap();
    let percent = history
        .create(named("+4930123456", "100% Agent_1", "agent@fabrikam.com"))
        .unwrap();
    history
        .update(
            adele.id,
            RecordChange {
                status: Some(RecordStatus::Succeeded),
                request_id: Some("7F1C-REQ".into()),
                ..RecordChange::default()
            },
        )
        .unwrap();
    history
        .update(
            asa.id,
            RecordChange::status(RecordStatus::from_remote("paused")),
        )
        .unwrap();

    let found = |query: HistoryQuery| all_ids(&history, &query);
    assert_eq!(found(text("adele")), [adele.id]);
    assert_eq!(found(text("ADELEV@CONTOSO")), [adele.id]);
    assert_eq!(found(text("ÅSA")), [asa.id]);
    assert_eq!(found(text("öberg")), [asa.id]);
    assert_eq!(found(text("7f1c-req")), [adele.id], "request-id");
    assert_eq!(found(text("id-Adele Vance")), [adele.id], "assignee id");
    assert_eq!(
        found(text("+1 (555) 010-0100")),
        [adele.id],
        "formatted digits"
    );
    assert_eq!(found(text("0100")), [asa.id, adele.id], "digit fragment");
    assert_eq!(found(text(";ext=77")), [asa.id], "as written");
    assert_eq!(found(text("contoso")), [asa.id, adele.id]);
    assert_eq!(found(text("100%")), [percent.id], "% is literal");
    assert_eq!(found(text("t_1")), [percent.id], "_ is literal");
    assert_eq!(found(text("%")), [percent.id]);
    assert_eq!(found(text("nobody")), Vec::<i64>::new());
    assert_eq!(found(text("  ")).len(), 3, "blank is no filter");

    assert_eq!(found(statuses(&[RecordStatus::Succeeded])), [adele.id]);
    assert_eq!(
        found(statuses(&[RecordStatus::Sending, RecordStatus::Succeeded])),
        [percent.id, adele.id]
    );
    assert_eq!(
        found(statuses(&[RecordStatus::Other("paused".into())])),
        [asa.id]
    );
    assert_eq!(
        found(statuses(&[
            RecordStatus::Succeeded,
            RecordStatus::Succeeded
        ])),
        [adele.id],
        "a status twice counts once"
    );
    let mut both = statuses(&[RecordStatus::Sending, RecordStatus::Succeeded]);
    both.text = Some("contoso".into());
    assert_eq!(found(both), [adele.id]);
}

#[test]
fn status_set_pages_merge_in_id_order() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let mut expected = Vec::new();
    for n in 0..40 {
        let record = history.create(new_op(&format!("+1555030{n:04}"))).unwrap();
        let status = match n % 4 {
            0 => RecordStatus::Succeeded,
            1 => RecordStatus::Failed,
            2 => RecordStatus::Skipped,
            _ => RecordStatus::Running,
        };
        if n % 4 < 2 {
            expected.push(record.id);
        }
        history
            .update(record.id, RecordChange::status(status))
            .unwrap();
    }
    expected.reverse();
    let mut query = statuses(&[RecordStatus::Failed, RecordStatus::Succeeded]);
    query.limit = 3;
    assert_eq!(all_ids(&history, &query), expected);
}

#[test]
fn counts_cover_every_status_and_the_in_flight_total() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let plan = [
        RecordStatus::Sending,
        RecordStatus::Running,
        RecordStatus::Running,
        RecordStatus::OutcomeUnknown,
        RecordStatus::Succeeded,
        RecordStatus::Succeeded,
        RecordStatus::Succeeded,
        RecordStatus::Rejected,
        RecordStatus::Other("paused".into()),
    ];
    for (n, status) in plan.iter().enumerate() {
        let record = history.create(new_op(&format!("+1555040{n:04}"))).unwrap();
        if *status != RecordStatus::Sending {
            history
                .update(record.id, RecordChange::status(status.clone()))
                .unwrap();
        }
    }
    let counts = history.counts().unwrap();
    assert_eq!(counts.total, 9);
    assert_eq!(counts.in_flight, 4);
    let expected: BTreeMap<String, u64> = [
        ("sending", 1),
        ("running", 2),
        ("outcomeUnknown", 1),
        ("succeeded", 3),
        ("rejected", 1),
        ("paused", 1),
    ]
    .into_iter()
    .map(|(s, n)| (s.to_owned(), n))
    .collect();
    assert_eq!(counts.by_status, expected);
    let json = serde_json::to_value(&counts).unwrap();
    assert_eq!(json["inFlight"], 4);
    assert_eq!(json["byStatus"]["outcomeUnknown"], 1);
}

#[test]
fn a_number_in_flight_cannot_be_submitted_again_until_it_settles() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let number = "+15550100100";
    let Ok(first) = history.create_unless_in_flight(new_op(number)).unwrap() else {
        panic!("the first submission is recorded");
    };
    assert_eq!(
        history.in_flight_for(number).unwrap().as_ref(),
        Some(&first)
    );
    assert_eq!(history.in_flight_for("+15550100100;ext=1").unwrap(), None);
    for status in [
        RecordStatus::Accepted,
        RecordStatus::Running,
        RecordStatus::OutcomeUnknown,
    ] {
        history
            .update(first.id, RecordChange::status(status))
            .unwrap();
        let refused = history.create_unless_in_flight(new_op(number)).unwrap();
        assert_eq!(refused.err().map(|r| r.id), Some(first.id));
    }
    assert_eq!(
        history.counts().unwrap().total,
        1,
        "a refusal writes nothing"
    );
    history
        .update(first.id, RecordChange::status(RecordStatus::Succeeded))
        .unwrap();
    assert_eq!(history.in_flight_for(number).unwrap(), None);
    assert!(history
        .create_unless_in_flight(new_op(number))
        .unwrap()
        .is_ok());
    assert_eq!(history.unsettled().unwrap().len(), 1);
}

#[test]
fn racing_submissions_of_one_number_record_exactly_one() {
    let dir = tempfile::tempdir().unwrap();
    // Two windows sharing one History, and two copies of the app with a connection each.
    let shared = Arc::new(open_fast(dir.path()));
    let second = Arc::new(open_fast(dir.path()));
    for round in 0..20 {
        let number = format!("+1555050{round:04}");
        let barrier = Arc::new(Barrier::new(4));
        let racers: Vec<_> = [&shared, &shared, &second, &second]
            .into_iter()
            .map(|history| {
                let (history, barrier, number) =
                    (Arc::clone(history), Arc::clone(&barrier), number.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    // Ids only: (created, refused in favour of).
                    match history.create_unless_in_flight(new_op(&number)).unwrap() {
                        Ok(created) => (Some(created.id), None),
                        Err(existing) => (None, Some(existing.id)),
                    }
                })
            })
            .collect();
        let outcomes: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
        let created: Vec<i64> = outcomes.iter().filter_map(|o| o.0).collect();
        assert_eq!(created.len(), 1, "round {round}: {outcomes:?}");
        for refused in outcomes.iter().filter_map(|o| o.1) {
            assert_eq!(refused, created[0]);
        }
    }
    assert_eq!(shared.counts().unwrap().total, 20);
}

#[test]
fn open_operations_older_than_a_day_are_marked_stale_and_can_be_checked_again() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let open = history.create(new_op("+15550100100")).unwrap();
    history
        .update(
            open.id,
            RecordChange {
                status: Some(RecordStatus::Running),
                location: Some("https://graph.microsoft.com/v1.0/op/9".into()),
                ..RecordChange::default()
            },
        )
        .unwrap();
    let done = history.create(new_op("+15550100200")).unwrap();
    history
        .update(done.id, RecordChange::status(RecordStatus::Succeeded))
        .unwrap();

    let now = OffsetDateTime::now_utc();
    assert_eq!(history.mark_stale_older_than(STALE_AFTER, now).unwrap(), []);
    let later = now + time::Duration::hours(25);
    let marked = history.mark_stale_older_than(STALE_AFTER, later).unwrap();
    assert_eq!(marked.iter().map(|r| r.id).collect::<Vec<_>>(), [open.id]);
    let stale = history.get(open.id).unwrap().unwrap();
    assert_eq!(stale, marked[0]);
    assert_eq!(stale.status, RecordStatus::Stale);
    assert_eq!(stale.settled_at.as_deref(), Some(timestamp(later).as_str()));
    assert_eq!(
        stale.location.as_deref(),
        Some("https://graph.microsoft.com/v1.0/op/9")
    );
    assert_eq!(
        history.get(done.id).unwrap().unwrap().status,
        RecordStatus::Succeeded
    );
    assert_eq!(history.unsettled().unwrap(), []);
    assert_eq!(history.in_flight_for("+15550100100").unwrap(), None);
    assert_eq!(
        history.mark_stale_older_than(STALE_AFTER, later).unwrap(),
        []
    );

    // Checked again: still running, then finished.
    let running = history
        .update(open.id, RecordChange::status(RecordStatus::Running))
        .unwrap();
    assert_eq!(running.settled_at, None);
    let finished = history
        .update(open.id, RecordChange::status(RecordStatus::Succeeded))
        .unwrap();
    assert!(finished.settled_at.is_some());
}

#[test]
fn csv_export_has_a_header_quotes_awkward_text_and_every_matching_row() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let awkward = "Doe, \"JJ\"\nsecond line";
    let special = history
        .create(named("+15550100100", awkward, "=cmd|' /C calc'!A0"))
        .unwrap();
    history
        .update(
            special.id,
            RecordChange {
                status: Some(RecordStatus::Failed),
                error: Some(Some(RecordError {
                    kind: "operationFailed".into(),
                    message: "It failed, \"badly\".".into(),
                    hint: None,
                    request_id: None,
                    facts: None,
                })),
                ..RecordChange::default()
            },
        )
        .unwrap();
    // Enough rows for the export to take several pages.
    for n in 0..1_100 {
        history.create(new_op(&format!("+1555060{n:04}"))).unwrap();
    }

    let mut out = Vec::new();
    let written = history
        .export_csv(&HistoryQuery::default(), &mut out)
        .unwrap();
    assert_eq!(written, 1_101);
    let raw = String::from_utf8(out.clone()).unwrap();
    assert!(raw.starts_with("\u{feff}id,kind,telephoneNumber,"));
    assert!(
        raw.contains("\"Doe, \"\"JJ\"\"\nsecond line\""),
        "RFC 4180 quoting"
    );
    assert!(raw.contains("\"It failed, \"\"badly\"\".\""));
    assert!(raw.ends_with("\r\n"));

    let mut reader = csv::Reader::from_reader(out.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        CSV_HEADER
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1_101);
    let ids: Vec<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    let last = &rows[1_100];
    assert_eq!(&last[0], special.id.to_string());
    assert_eq!(&last[2], "+15550100100", "the number is exact");
    assert_eq!(&last[5], awkward);
    assert_eq!(&last[6], "'=cmd|' /C calc'!A0", "formula defused");
    assert_eq!(&last[18], "failed");
    assert_eq!(&last[22], "It failed, \"badly\".");

    let mut filtered = Vec::new();
    let query = HistoryQuery {
        statuses: vec![RecordStatus::Failed],
        before_id: Some(1),
        limit: 1,
        ..HistoryQuery::default()
    };
    assert_eq!(
        history.export_csv(&query, &mut filtered).unwrap(),
        1,
        "paging ignored"
    );
    assert_eq!(
        csv::Reader::from_reader(filtered.as_slice())
            .records()
            .count(),
        1
    );
}

/// Excel opens a CSV without a byte-order mark in the system's ANSI code page, which turns
/// "Zoë Müller" into "ZoÃ« MÃ¼ller"; with the UTF-8 mark it reads UTF-8. Checked on the bytes,
/// for the whole history and for one bulk run's rows (the same exporter).
#[test]
fn csv_exports_start_with_a_utf8_bom_and_end_every_line_with_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let names = ["Zoë Müller", "Łukasz Żółć", "山田 太郎", "Ådne Ørsted"];
    for (n, name) in names.iter().enumerate() {
        let mut new = named(&format!("+1555010010{n}"), name, "user@contoso.com");
        new.batch_id = (n % 2 == 0).then(|| "run-1".to_owned());
        history.create(new).unwrap();
    }
    let everything = HistoryQuery::default();
    let one_run = HistoryQuery {
        batch_id: Some("run-1".to_owned()),
        ..HistoryQuery::default()
    };
    for (query, rows) in [(&everything, 4), (&one_run, 2)] {
        let mut out = Vec::new();
        assert_eq!(history.export_csv(query, &mut out).unwrap(), rows);
        assert_eq!(&out[..3], b"\xEF\xBB\xBF", "UTF-8 byte-order mark first");
        assert!(out[3..].starts_with(b"id,kind,telephoneNumber,"));
        assert!(out.ends_with(b"\r\n"));
        let line_feeds = out.iter().filter(|&&b| b == b'\n').count();
        let crlfs = out.windows(2).filter(|w| w == b"\r\n").count();
        assert_eq!(line_feeds, rows + 1, "one line per row plus the header");
        assert_eq!(crlfs, line_feeds, "every line ends with CR LF");
        let text = std::str::from_utf8(&out[3..]).expect("the rest is UTF-8");
        for (n, name) in names.iter().enumerate() {
            assert_eq!(text.contains(name), query.batch_id.is_none() || n % 2 == 0);
        }
        // A reader that knows the mark still sees the header's first name unchanged.
        let mut reader = csv::Reader::from_reader(out.as_slice());
        assert_eq!(&reader.headers().unwrap()[0], "id");
    }
}

#[test]
fn a_file_that_is_not_a_database_is_set_aside_byte_for_byte() {
    for garbage in [
        b"definitely not sqlite".to_vec(),
        (0..10_000u32)
            .map(|n| (n * 7 % 251) as u8)
            .collect::<Vec<u8>>(),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, &garbage).unwrap();
        let (history, notice) = History::open(dir.path()).unwrap();
        let notice = notice.expect("the admin is told");
        assert_eq!(notice.reason, SetAsideReason::NotADatabase);
        let name = notice
            .set_aside_as
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(name.starts_with("history.sqlite3.damaged-"), "{name}");
        assert_eq!(name.len(), "history.sqlite3.damaged-20240506-070809".len());
        assert_eq!(notice.set_aside_as.parent(), Some(dir.path()));
        assert_eq!(std::fs::read(&notice.set_aside_as).unwrap(), garbage);
        assert!(notice
            .message()
            .contains(&*notice.set_aside_as.to_string_lossy()));
        // The new history works and is kept.
        let record = history.create(new_op("+15550100100")).unwrap();
        drop(history);
        let (history, again) = History::open(dir.path()).unwrap();
        assert_eq!(again, None);
        assert_eq!(history.get(record.id).unwrap(), Some(record));
        assert_eq!(std::fs::read(&notice.set_aside_as).unwrap(), garbage);
    }
}

#[test]
fn a_history_from_a_newer_version_is_set_aside_not_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    let record = history.create(new_op("+15550100100")).unwrap();
    history
        .lock()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(history);

    let (history, notice) = History::open(dir.path()).unwrap();
    let notice = notice.expect("the admin is told");
    assert_eq!(
        notice.reason,
        SetAsideReason::NewerSchema {
            found: SCHEMA_VERSION + 1,
            known: SCHEMA_VERSION
        }
    );
    assert_eq!(history.counts().unwrap().total, 0);
    let old = rusqlite::Connection::open(&notice.set_aside_as).unwrap();
    let number: String = old
        .query_row(
            "SELECT telephone_number FROM operations WHERE id = ?1",
            [record.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(number, "+15550100100");
}

#[test]
fn a_damaged_page_is_found_by_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    for n in 0..300 {
        history.create(new_op(&format!("+1555070{n:04}"))).unwrap();
    }
    drop(history); // checkpoints the WAL into the main file
    let path = dir.path().join(FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8 * 4096);
    for byte in &mut bytes[5 * 4096..7 * 4096] {
        *byte = 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();

    let (history, notice) = History::open(dir.path()).unwrap();
    let notice = notice.expect("the admin is told");
    assert!(
        matches!(
            notice.reason,
            SetAsideReason::Corrupt { .. } | SetAsideReason::NotADatabase
        ),
        "{notice:?}"
    );
    assert_eq!(std::fs::read(&notice.set_aside_as).unwrap(), bytes);
    assert_eq!(history.counts().unwrap().total, 0);
}

#[test]
fn another_programs_database_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    let (_history, notice) = History::open(dir.path()).unwrap();
    assert_eq!(notice.map(|n| n.reason), Some(SetAsideReason::NotOurs));
}

#[test]
fn the_view_queries_use_their_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let history = open_fast(dir.path());
    history.create(new_op("+15550100100")).unwrap();
    let conn = history.lock();
    let plan = |sql: &str| -> String {
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = statement.query_map([], |r| r.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join(" | ")
    };
    let by_status = plan(
        "SELECT id FROM operations WHERE 1 AND status = 'failed' AND id < 10 \
         ORDER BY id DESC LIMIT 101",
    );
    assert!(by_status.contains("operations_by_status"), "{by_status}");
    assert!(!by_status.contains("TEMP B-TREE"), "no sort: {by_status}");
    let in_flight = plan(&format!(
        "SELECT id FROM operations WHERE telephone_number = '+1' AND {IN_FLIGHT_SQL} \
         ORDER BY id DESC LIMIT 1"
    ));
    assert!(in_flight.contains("operations_in_flight"), "{in_flight}");
    let newest = plan("SELECT id FROM operations WHERE 1 ORDER BY id DESC LIMIT 101");
    assert!(!newest.contains("TEMP B-TREE"), "{newest}");
}

#[test]
fn the_history_is_shared_between_threads() {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<History>();
    // Async callers hold these across `.await`s on a multi-threaded runtime.
    is_send_sync::<HistoryError>();
    is_send_sync::<OperationRecord>();
    is_send_sync::<HistoryNotice>();
}

#[derive(Debug, Clone)]
enum Step {
    Create(u8),
    Update(usize, u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..6).prop_map(Step::Create),
        (any::<usize>(), 0u8..8).prop_map(|(which, status)| Step::Update(which, status)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever was written, paging through the whole history shows each record once,
    /// newest first, and so does paging through any status filter.
    #[test]
    fn list_shows_every_record_once_in_id_descending_order(
        steps in proptest::collection::vec(step(), 1..40),
        limit in 1u32..9,
        filter in proptest::collection::vec(0u8..8, 0..3),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let history = open_fast(dir.path());
        let status_of = |n: u8| match n {
            0 => RecordStatus::Accepted,
            1 => RecordStatus::Running,
            2 => RecordStatus::Succeeded,
            3 => RecordStatus::Failed,
            4 => RecordStatus::OutcomeUnknown,
            5 => RecordStatus::Stale,
            6 => RecordStatus::Rejected,
            _ => RecordStatus::Other("paused".into()),
        };
        let mut created: Vec<i64> = Vec::new();
        for step in steps {
            match step {
                Step::Create(number) => {
                    let record = history.create(new_op(&format!("+155501001{number:02}"))).unwrap();
                    created.push(record.id);
                }
                Step::Update(which, status) if !created.is_empty() => {
                    let id = created[which % created.len()];
                    history.update(id, RecordChange::status(status_of(status))).unwrap();
                }
                Step::Update(..) => {}
            }
        }
        let query = HistoryQuery { limit, ..HistoryQuery::default() };
        let listed = all_ids(&history, &query);
        let mut expected = created.clone();
        expected.reverse();
        prop_assert_eq!(&listed, &expected);

        let wanted: BTreeSet<RecordStatus> = filter.into_iter().map(status_of).collect();
        let query = HistoryQuery {
            limit,
            statuses: wanted.iter().cloned().collect(),
            ..HistoryQuery::default()
        };
        let filtered = all_ids(&history, &query);
        let expected: Vec<i64> = expected
            .into_iter()
            .filter(|id| {
                let status = history.get(*id).unwrap().unwrap().status;
                wanted.is_empty() || wanted.contains(&status)
            })
            .collect();
        prop_assert_eq!(filtered, expected);
    }
}

#[test]
fn an_error_kept_as_facts_round_trips_and_a_version_2_history_keeps_its_words() {
    // A history written before errors were kept as facts: version 2, an error in words.
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
        for migration in &schema::MIGRATIONS[..2] {
            conn.execute_batch(migration).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO operations (kind, telephone_number, actor_upn, actor_tenant_id, \
             actor_cloud, requested_at, client_request_id, status, error_kind, error_message, \
             error_hint, updated_at, search_text) VALUES ('unassign', '+15550100100', 'a', 't', \
             'global', '2024-01-01T00:00:00.000Z', 'c', 'rejected', 'forbidden', \
             'Microsoft refused (as worded then).', 'Ask an admin.', \
             '2024-01-01T00:00:00.000Z', '')",
            [],
        )
        .unwrap();
    }
    let history = open_fast(dir.path());
    let old = history.get(1).unwrap().unwrap();
    let error = old.error.unwrap();
    assert_eq!(error.message, "Microsoft refused (as worded then).");
    assert_eq!(error.facts, None);
    assert!(!error.needs_words());

    // A new record keeps facts, read back as written.
    let created = history.create(new_op("+15550100101")).unwrap();
    let facts = ErrorFacts {
        status: Some(403),
        code: Some("Forbidden".into()),
        graph_message: Some("Access denied".into()),
        detail: "HTTP 403".into(),
        cloud_lacks_api: false,
    };
    let kept = history
        .update(
            created.id,
            RecordChange {
                status: Some(RecordStatus::Rejected),
                error: Some(Some(RecordError {
                    kind: "forbidden".into(),
                    request_id: Some("r-1".into()),
                    facts: Some(facts.clone()),
                    ..RecordError::default()
                })),
                ..RecordChange::default()
            },
        )
        .unwrap();
    let read = history.get(created.id).unwrap().unwrap();
    assert_eq!(read, kept);
    assert_eq!(read.error.as_ref().unwrap().facts, Some(facts));
    assert!(read.error.unwrap().needs_words());
}
