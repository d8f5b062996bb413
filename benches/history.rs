//! How the operations history holds up at 50,000 records: `cargo bench --bench history`.
//!
//! Fills a history in a temporary folder (quick durability, so the fill takes seconds, not
//! minutes of fsyncs), reopens it as the app does (full durability, integrity check), then
//! times what the history view does. Each figure is the median and the worst of several runs.

use std::time::{Duration, Instant};

use numberdesk::history::{
    Actor, Assignee, Durability, History, HistoryQuery, NewOperation, OperationKind, RecordChange,
    RecordStatus,
};

const RECORDS: u64 = 50_000;

const FIRST: [&str; 12] = [
    "Adele",
    "Alex",
    "Diego",
    "Grady",
    "Henrietta",
    "Isaiah",
    "Johanna",
    "Lee",
    "Lidia",
    "Megan",
    "Nestor",
    "Patti",
];
const LAST: [&str; 10] = [
    "Vance",
    "Wilber",
    "Siciliani",
    "Archie",
    "Mueller",
    "Langer",
    "Lauridsen",
    "Gu",
    "Holloway",
    "Bowen",
];

fn operation(n: u64) -> NewOperation {
    let first = FIRST[(n % 12) as usize];
    let last = LAST[(n / 12 % 10) as usize];
    NewOperation {
        kind: if n.is_multiple_of(50) {
            OperationKind::Assign
        } else {
            OperationKind::Unassign
        },
        telephone_number: format!("+1425555{:04}", n % 10_000)
            + if n.is_multiple_of(40) { ";ext=12" } else { "" },
        number_type: Some("directRouting".into()),
        prior_assignee: Assignee {
            id: Some(format!(
                "{:08x}-0000-4000-8000-{:012x}",
                n * 2_654_435_761 % 0xffff_ffff,
                n
            )),
            name: Some(format!("{first} {last}")),
            upn: Some(format!(
                "{}.{}{}@contoso.com",
                first.to_lowercase(),
                last.to_lowercase(),
                n % 97
            )),
            target_kind: Some("userAssigned".into()),
            category: Some("primary".into()),
            location_id: Some("9a1b2c3d-loc".into()),
        },
        actor: Actor {
            upn: "admin@contoso.com".into(),
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            cloud: "global".into(),
        },
        client_request_id: format!("c{n:07}-5a5a-4b4b-8c8c-0123456789ab"),
        undo_of: None,
        batch_id: None,
    }
}

fn final_status(n: u64) -> RecordStatus {
    match n % 100 {
        0..=79 => RecordStatus::Succeeded,
        80..=89 => RecordStatus::Failed,
        90..=94 => RecordStatus::Skipped,
        95..=97 => RecordStatus::Rejected,
        98 => RecordStatus::Stale,
        _ => RecordStatus::Running,
    }
}

fn time<T>(runs: usize, mut work: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        last = Some(work());
        times.push(started.elapsed());
    }
    times.sort();
    let output = last.unwrap_or_else(|| unreachable!("runs > 0"));
    (times[times.len() / 2], times[times.len() - 1], output)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    {
        let (history, _) = History::open_with(dir.path(), Durability::ProcessCrash)?;
        for n in 0..RECORDS {
            let record = history.create(operation(n))?;
            history.update(
                record.id,
                RecordChange {
                    status: Some(final_status(n)),
                    request_id: Some(format!("r{n:07}-1111-2222-3333-444455556666")),
                    location: Some(format!(
                        "https://graph.microsoft.com/v1.0/admin/teams/telephoneNumberManagement/operations/{n}"
                    )),
                    ..RecordChange::default()
                },
            )?;
        }
    }
    let fill = started.elapsed();
    let size = std::fs::metadata(dir.path().join(numberdesk::history::FILE_NAME))?.len();
    println!(
        "filled {RECORDS} records in {fill:.1?} ({:.1} MB)\n",
        size as f64 / 1e6
    );

    let mut rows: Vec<(String, Duration, Duration, String)> = Vec::new();
    let (median, worst, _) = time(5, || History::open(dir.path()).map(|(h, _)| drop(h)));
    rows.push((
        "open (integrity check, migrations)".into(),
        median,
        worst,
        String::new(),
    ));

    let (history, notice) = History::open(dir.path())?;
    assert!(notice.is_none());
    let mut measure =
        |label: &str, query: HistoryQuery| -> Result<(), Box<dyn std::error::Error>> {
            let (median, worst, page) = time(20, || history.list(&query));
            rows.push((
                label.into(),
                median,
                worst,
                format!("{} rows", page?.records.len()),
            ));
            Ok(())
        };
    let page = |statuses: Vec<RecordStatus>, text: Option<&str>| HistoryQuery {
        statuses,
        text: text.map(str::to_owned),
        limit: 100,
        before_id: None,
        batch_id: None,
    };
    measure("newest page (100)", page(vec![], None))?;
    measure(
        "deep page (before id 1,000)",
        HistoryQuery {
            before_id: Some(1_000),
            ..page(vec![], None)
        },
    )?;
    measure("status: failed", page(vec![RecordStatus::Failed], None))?;
    measure(
        "status: running (1%)",
        page(vec![RecordStatus::Running], None),
    )?;
    measure(
        "status: failed+skipped+rejected",
        page(
            vec![
                RecordStatus::Failed,
                RecordStatus::Skipped,
                RecordStatus::Rejected,
            ],
            None,
        ),
    )?;
    measure(
        "text: name \"megan bowen\" (~0.8%)",
        page(vec![], Some("Megan Bowen")),
    )?;
    measure(
        "text: digits \"425-555-0042\" (5 rows)",
        page(vec![], Some("425-555-0042")),
    )?;
    measure(
        "text: one request-id (full scan)",
        page(vec![], Some("r0000123-1111-2222")),
    )?;
    measure(
        "text: no match (full scan)",
        page(vec![], Some("nobody-at-all")),
    )?;
    measure(
        "status failed + text \"vance\"",
        page(vec![RecordStatus::Failed], Some("vance")),
    )?;

    let (median, worst, counts) = time(20, || history.counts());
    rows.push((
        "counts".into(),
        median,
        worst,
        format!("{} total", counts?.total),
    ));
    let (median, worst, open) = time(20, || history.unsettled());
    rows.push((
        "unsettled".into(),
        median,
        worst,
        format!("{} rows", open?.len()),
    ));
    let (median, worst, found) = time(20, || history.in_flight_for("+14255550099"));
    rows.push((
        "in_flight_for".into(),
        median,
        worst,
        format!("{:?}", found?.map(|r| r.id)),
    ));
    let (median, worst, written) = time(3, || {
        let mut out = Vec::with_capacity(32 << 20);
        history
            .export_csv(&HistoryQuery::default(), &mut out)
            .map(|n| (n, out.len()))
    });
    let (written, bytes) = written?;
    rows.push((
        "export CSV (all)".into(),
        median,
        worst,
        format!("{written} rows, {:.1} MB", bytes as f64 / 1e6),
    ));

    println!(
        "{:<40} {:>10} {:>10}  result",
        "operation", "median", "worst"
    );
    for (label, median, worst, note) in rows {
        println!(
            "{label:<40} {:>7.2} ms {:>7.2} ms  {note}",
            median.as_secs_f64() * 1e3,
            worst.as_secs_f64() * 1e3
        );
    }
    Ok(())
}
