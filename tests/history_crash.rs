//! Crash safety of the operations history: a writer killed with SIGKILL at a random moment
//! (mid-transaction, mid-checkpoint, mid-migration) leaves a history that opens without being
//! set aside and holds every change the writer acknowledged.
//!
//! The writer is this same test binary, re-run with `HISTORY_CRASH_CHILD` set so that only
//! [`crash_child_writer`] does anything. It prints `ack <id> <status>` after each commit
//! returns; the parent kills it after a random delay, then checks each acknowledged change.
//!
//! The kill is `Child::kill`: SIGKILL on Unix, `TerminateProcess` on Windows — abrupt on both,
//! no destructor or flush runs, so the property is tried on every OS.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use numberdesk::history::{
    Actor, Assignee, History, NewOperation, OperationKind, RecordChange, RecordStatus,
};
use rand::Rng;

const CHILD_ENV: &str = "HISTORY_CRASH_CHILD";
const ITERATIONS: usize = 200;

/// How far along a record is, in the order the writer moves it.
fn rank(status: &str) -> u8 {
    match status {
        "sending" => 0,
        "accepted" => 1,
        "running" => 2,
        "succeeded" | "failed" => 3,
        other => panic!("the writer never writes {other}"),
    }
}

fn new_operation(number: String, n: u64) -> NewOperation {
    NewOperation {
        kind: OperationKind::Unassign,
        telephone_number: number,
        number_type: Some("directRouting".into()),
        prior_assignee: Assignee {
            name: Some(format!("User {n}, \"crash\" test")),
            upn: Some(format!("user{n}@contoso.com")),
            ..Assignee::default()
        },
        actor: Actor {
            upn: "admin@contoso.com".into(),
            tenant_id: "tenant".into(),
            cloud: "global".into(),
        },
        client_request_id: format!("client-{n}"),
        undo_of: None,
        batch_id: None,
    }
}

/// The child: resumes what the last child left open, then writes until it is killed.
#[test]
fn crash_child_writer() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut out = std::io::stdout().lock();
    let mut ack = |id: i64, status: &RecordStatus| {
        writeln!(out, "ack {id} {status}").unwrap();
        out.flush().unwrap();
    };
    let (history, notice) = History::open(Path::new(&dir)).unwrap();
    assert!(notice.is_none(), "{notice:?}");
    for open in history.unsettled().unwrap() {
        let done = history
            .update(open.id, RecordChange::status(RecordStatus::Succeeded))
            .unwrap();
        ack(done.id, &done.status);
    }
    let pid = std::process::id();
    for n in 0u64.. {
        let number = format!("+1555{:05}{:04}", pid % 100_000, n % 10_000);
        let record = match history
            .create_unless_in_flight(new_operation(number, n))
            .unwrap()
        {
            Ok(record) => record,
            Err(open) => panic!("{} is still in flight", open.telephone_number),
        };
        ack(record.id, &record.status);
        let last = if n.is_multiple_of(2) {
            RecordStatus::Succeeded
        } else {
            RecordStatus::Failed
        };
        for status in [RecordStatus::Accepted, RecordStatus::Running, last] {
            let change = RecordChange {
                status: Some(status),
                request_id: Some(format!("request-{n}")),
                ..RecordChange::default()
            };
            let updated = history.update(record.id, change).unwrap();
            ack(updated.id, &updated.status);
        }
    }
}

#[test]
fn acknowledged_changes_survive_sigkill() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::thread_rng();
    // id -> the furthest status acknowledged for it.
    let mut acknowledged: HashMap<i64, u8> = HashMap::new();
    let mut kills_after_writes = 0;

    for iteration in 0..ITERATIONS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter(|line| line.starts_with("ack "))
                .collect::<Vec<_>>()
        });
        // Early kills land in start-up (open, integrity check, migration, resume).
        let delay = Duration::from_millis(rng.gen_range(0..60));
        std::thread::sleep(delay);
        // Our own child, not yet waited for: the kill cannot reach another process.
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "iteration {iteration}: the writer stopped by itself ({status})"
        );
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                status.signal(),
                Some(9),
                "iteration {iteration}: the writer stopped by itself ({status})"
            );
        }
        let acks = reader.join().unwrap();
        if !acks.is_empty() {
            kills_after_writes += 1;
        }
        for line in acks {
            let mut parts = line.split(' ').skip(1);
            let id: i64 = parts.next().unwrap().parse().unwrap();
            let status = rank(parts.next().unwrap());
            let furthest = acknowledged.entry(id).or_insert(status);
            *furthest = (*furthest).max(status);
        }

        let (history, notice) = History::open(dir.path()).unwrap();
        assert!(
            notice.is_none(),
            "iteration {iteration}: the history was set aside: {notice:?}"
        );
        for (&id, &furthest) in &acknowledged {
            let record = history
                .get(id)
                .unwrap()
                .unwrap_or_else(|| panic!("iteration {iteration}: acknowledged record {id} lost"));
            assert!(
                rank(record.status.as_str()) >= furthest,
                "iteration {iteration}: record {id} is {} but reached rank {furthest}",
                record.status
            );
        }
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|name| !name.contains("damaged")),
        "{names:?}"
    );
    assert!(
        kills_after_writes > ITERATIONS / 2,
        "most kills should land after some writes ({kills_after_writes}/{ITERATIONS})"
    );
    eprintln!(
        "{ITERATIONS} kills, {kills_after_writes} after writes, {} records checked, {:.1?}",
        acknowledged.len(),
        started.elapsed()
    );
}
