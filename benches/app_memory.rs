//! Idle memory of the whole app (the NumberDesk process and WebKit's processes under it, PSS)
//! with the Numbers view's 50,000 numbers loaded, against the same app signed in without them:
//! `cargo xtask bench-memory` (which provides the virtual display, a private D-Bus session and a
//! Secret Service, as for the e2e tests).
//!
//! The real window is driven through WebDriver against a 50,000-number, 20,000-user simulated
//! tenant on loopback. Figures, each taken after 5 s of idling:
//! 1. signed in, Numbers never opened (what the app held before the Numbers view existed);
//! 2. after Refresh read all 50,000 numbers, the list on screen;
//! 3. on the next start, Numbers opened on the kept list (read from SQLite, no Graph calls).

#[cfg(target_os = "linux")]
#[path = "../tests/e2e/harness.rs"]
#[allow(dead_code)]
mod harness;
#[cfg(target_os = "linux")]
#[path = "../tests/sim_support/mod.rs"]
mod sim_support;

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("app_memory drives the WebKitGTK window through WebDriver: Linux only");
}

#[cfg(target_os = "linux")]
#[tokio::main]
async fn main() {
    linux::run().await
}

#[cfg(target_os = "linux")]
mod linux {
    use crate::harness::{App, Launch, APP};
    use numberdesk::sim::{self, SimConfig, SimTenant, TenantScale};
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    const SETTLE: Duration = Duration::from_secs(5);

    /// The parent of every process, from /proc.
    fn parents() -> Vec<(u32, u32)> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid …": the name may hold spaces, so read after its ')'.
            let after = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
            if let Some(ppid) = after.split(' ').nth(1).and_then(|p| p.parse().ok()) {
                all.push((pid, ppid));
            }
        }
        all
    }

    /// The running NumberDesk (the binary WebDriver started).
    fn app_pid() -> u32 {
        let binary = std::fs::canonicalize(APP).unwrap();
        let found: Vec<u32> = parents()
            .into_iter()
            .map(|(pid, _)| pid)
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary)
            })
            .collect();
        assert_eq!(found.len(), 1, "one NumberDesk running: {found:?}");
        found[0]
    }

    /// PSS of `root` and every process under it, in KiB.
    fn tree_pss_kib(root: u32) -> u64 {
        let all = parents();
        let mut tree = vec![root];
        let mut i = 0;
        while i < tree.len() {
            let parent = tree[i];
            tree.extend(all.iter().filter(|(_, p)| *p == parent).map(|(c, _)| *c));
            i += 1;
        }
        tree.iter()
            .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
            .filter_map(|rollup| {
                rollup
                    .lines()
                    .find_map(|l| l.strip_prefix("Pss:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .sum()
    }

    async fn idle_pss() -> u64 {
        tokio::time::sleep(SETTLE).await;
        tree_pss_kib(app_pid())
    }

    fn mib(kib: u64) -> String {
        format!("{:.1} MiB", kib as f64 / 1024.0)
    }

    fn launch(tenant: &SimTenant) -> Launch {
        Launch::default()
            .env("NUMBERDESK_LOGIN_URL", tenant.login_url())
            .env("NUMBERDESK_GRAPH_URL", tenant.graph_url())
            .env("NUMBERDESK_TENANT", sim::DEMO_TENANT_ID)
            .env("NUMBERDESK_CLIENT_ID", sim::DEMO_CLIENT_ID)
    }

    async fn open_numbers(app: &App) {
        app.click(".tab[data-view=numbers]").await;
        app.visible("#numbers-refresh").await;
    }

    pub async fn run() {
        let tenant = SimTenant::start(SimConfig {
            scale: Some(TenantScale::BENCHMARK),
            ..SimConfig::default()
        })
        .await
        .expect("sim");
        let numbers = tenant.numbers().len();
        let data = tempfile::tempdir().unwrap();
        let data_dir: PathBuf = data.path().to_path_buf();
        println!(
            "# Idle memory of the whole app: {numbers} numbers, {} users ({})",
            tenant.users().len(),
            Path::new(APP).display()
        );

        let app = App::launch("memory", launch(&tenant), &data_dir).await;
        app.click("#welcome-continue").await;
        app.visible("#signin").await;
        app.sign_in_through_ui(sim::ADMIN_UPN).await;
        let signed_in = idle_pss().await;

        open_numbers(&app).await;
        app.click("#numbers-refresh").await;
        let done = app
            .text_until("#numbers-progress-text", |t| t.starts_with("Read "))
            .await;
        let range = app.text("#numbers-range").await;
        assert!(shows_all(&range, numbers), "{range} ({done})");
        let after_read = idle_pss().await;
        app.quit().await;

        // The next start: the session is in the keyring, the list in the data folder.
        let app = App::launch("memory-next", launch(&tenant), &data_dir).await;
        app.visible("#shell").await;
        let next_start = idle_pss().await;
        open_numbers(&app).await;
        app.text_until("#numbers-range", |t| shows_all(t, numbers))
            .await;
        let kept = idle_pss().await;
        app.quit().await;

        let ratio = |a: u64, b: u64| format!("{:.2}×", a as f64 / b as f64);
        println!("| state (PSS after 5 s idle) | whole app | against signed in, no Numbers |");
        println!("|---|---|---|");
        println!(
            "| signed in, Numbers never opened | {} | 1.00× |",
            mib(signed_in)
        );
        println!(
            "| after Refresh read {numbers} numbers | {} | {} |",
            mib(after_read),
            ratio(after_read, signed_in)
        );
        println!(
            "| next start, before Numbers is opened | {} | {} |",
            mib(next_start),
            ratio(next_start, signed_in)
        );
        println!(
            "| next start, Numbers open on the kept list | {} | {} |",
            mib(kept),
            ratio(kept, signed_in)
        );
    }

    /// "1–50 of 50000" (or "of 50,000"): the whole list is in the view.
    fn shows_all(range: &str, numbers: usize) -> bool {
        range
            .rsplit("of ")
            .next()
            .is_some_and(|total| total.replace(',', "") == numbers.to_string())
    }
}
