//! Launches the real NumberDesk binary under WebDriver (tauri-driver + WebKitWebDriver) and
//! cleans up after it, even when a test panics.
//!
//! tauri-driver only stops WebKitWebDriver on SIGTERM, and the app survives an unclosed session,
//! so the driver is started as a process-group leader and the whole group is signalled on drop.
#![cfg(target_os = "linux")]

use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One app window at a time: the display is shared, and the app will be single-instance.
static ONE_APP_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub const APP: &str = env!("CARGO_BIN_EXE_numberdesk");

/// How long to wait for something to appear before failing.
pub const PATIENCE: Duration = Duration::from_secs(20);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn tauri_driver() -> PathBuf {
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("tauri-driver"))
            .find(|p| p.is_file())
    });
    let from_cargo = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cargo/bin/tauri-driver"))
        .filter(|p| p.is_file());
    from_path.or(from_cargo).expect(
        "tauri-driver is not installed: run the tests with `cargo xtask test`, which installs it",
    )
}

/// Where every e2e test leaves its screenshots: `target/e2e-screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

struct DriverGroup {
    child: Child,
}

impl Drop for DriverGroup {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        unsafe {
            libc::kill(-pgid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.child.wait();
        // The app must be gone before the next one starts: one that outlived its driver
        // (NumberDesk stays in the tray when its window closes) still holds the single-instance
        // name, and a new one would hand itself over to it and exit. Only one app runs at a
        // time in this suite, so every live process of the test binary is this test's.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = running_apps();
            if left.is_empty() || Instant::now() > deadline {
                break;
            }
            for pid in left {
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // A process on its way out has already lost its `/proc/<pid>/exe` (so it is not listed
        // above) while the bus may still name it as the single-instance owner: a new app that
        // asks it then gets "NoReply" and exits. Wait until the bus has let the names go.
        let deadline = Instant::now() + Duration::from_secs(10);
        while single_instance_names()
            .iter()
            .any(|name| bus_name_taken(name))
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The single-instance plugin's bus names: the app's identifier (`tauri.conf.json`) and the
/// demo's (`relaunch::single_instance_id`), each with `.SingleInstance`.
fn single_instance_names() -> Vec<String> {
    let conf =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tauri.conf.json"))
            .expect("tauri.conf.json");
    let conf: serde_json::Value = serde_json::from_str(&conf).expect("tauri.conf.json is JSON");
    let identifier = conf["identifier"].as_str().expect("an identifier");
    [false, true]
        .map(|demo| {
            format!(
                "{}.SingleInstance",
                numberdesk::relaunch::single_instance_id(identifier, demo)
            )
        })
        .to_vec()
}

/// Whether `name` has an owner on the session bus (false when the bus cannot be asked).
fn bus_name_taken(name: &str) -> bool {
    Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            &format!("string:{name}"),
        ])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"))
}

/// Live (not zombie) processes running the app binary.
fn running_apps() -> Vec<i32> {
    let app = std::fs::canonicalize(APP).unwrap_or_else(|_| PathBuf::from(APP));
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe == app)
                && std::fs::read_to_string(entry.path().join("stat"))
                    .is_ok_and(|stat| !stat.contains(") Z "))
        })
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect()
}

/// The browser's part of a sign-in: open the link, choose `account` on the (simulated)
/// Microsoft page, follow the redirect to the app's listener and on to its `/done` page.
/// Returns the text of the page the browser ends on.
pub async fn browser_signs_in(link: &str, account: &str) -> String {
    let http = crate::sim_support::client();
    let page = http
        .get(link)
        .send()
        .await
        .expect("sign-in page")
        .text()
        .await
        .unwrap();
    let form = crate::sim_support::forms(&page)
        .into_iter()
        .find(|f| f.field("account") == Some(account))
        .unwrap_or_else(|| panic!("the sign-in page offers {account}"));
    let login = url::Url::parse(link).unwrap();
    let login_origin = login.origin().ascii_serialization();
    let chosen = http
        .post(format!("{login_origin}{}", form.action))
        .form(&form.fields)
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), 302);
    let back = chosen.headers()["location"].to_str().unwrap().to_owned();
    let answer = http
        .get(&back)
        .send()
        .await
        .expect("the app's listener answers");
    assert_eq!(answer.status(), 302);
    let done = answer.headers()["location"].to_str().unwrap().to_owned();
    let app_origin = url::Url::parse(&back)
        .unwrap()
        .origin()
        .ascii_serialization();
    http.get(format!("{app_origin}{done}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The Secret Service items NumberDesk (its real service name) holds for the data folder
/// `data_dir`, as `secret-tool` prints them: each data folder keeps its session under its own
/// profile.
fn numberdesk_keyring_entries(data_dir: &Path) -> Vec<String> {
    let profile = numberdesk::vault::profile_for(Some(data_dir));
    let out = Command::new("secret-tool")
        .args([
            "search",
            "--all",
            "--unlock",
            "service",
            "app.numberdesk.desktop",
        ])
        .output()
        .expect("secret-tool");
    let text = String::from_utf8_lossy(&out.stdout).into_owned()
        + "\n"
        + &String::from_utf8_lossy(&out.stderr);
    text.split("\n[")
        .filter(|item| {
            item.lines().any(|line| {
                line.strip_prefix("attribute.username = ")
                    .is_some_and(|name| name.starts_with(&format!("{profile}.")))
            })
        })
        .map(str::to_owned)
        .collect()
}

/// How many such items there are.
pub fn numberdesk_keyring_items(data_dir: &Path) -> usize {
    numberdesk_keyring_entries(data_dir).len()
}

/// How to start the app.
#[derive(Default, Clone)]
pub struct Launch {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// When set, the app's (and its drivers') stdout and stderr go to this file.
    pub output: Option<PathBuf>,
}

impl Launch {
    pub fn demo() -> Launch {
        Launch {
            args: vec!["--demo".into()],
            ..Default::default()
        }
    }
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Launch {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// A running app under WebDriver.
pub struct App {
    pub client: Client,
    name: String,
    shots: usize,
    _driver: DriverGroup,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl App {
    /// Starts the app with its data in `data_dir`; `name` prefixes the screenshots.
    pub async fn launch(name: &str, launch: Launch, data_dir: &Path) -> App {
        let turn = ONE_APP_AT_A_TIME.lock().await;
        let port = free_port();
        let native_port = free_port();
        let mut command = Command::new(tauri_driver());
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("NUMBERDESK_DATA_DIR", data_dir)
            .envs(launch.env.iter().map(|(k, v)| (k, v)));
        match &launch.output {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .expect("output file");
                command
                    .stdout(file.try_clone().expect("output file"))
                    .stderr(file);
            }
            None => {
                command.stdout(Stdio::null()).stderr(Stdio::inherit());
            }
        }
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = DriverGroup {
            child: command.spawn().expect("tauri-driver starts"),
        };

        let status_url = format!("http://127.0.0.1:{port}/status");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let ready = reqwest::get(&status_url)
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "tauri-driver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "wry".into());
        capabilities.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": APP, "args": launch.args }),
        );
        // A window that never comes up (the app exited at once) must fail the test, not hang it.
        let client = tokio::time::timeout(
            PATIENCE * 3,
            ClientBuilder::native()
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{port}")),
        )
        .await
        .expect("the app's window came up in time")
        .expect("a WebDriver session with the app");
        App {
            client,
            name: name.to_owned(),
            shots: 0,
            _driver: driver,
            _turn: turn,
        }
    }

    /// Waits until an element matching `css` is displayed, and returns it.
    pub async fn visible(&self, css: &str) -> Element {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if element.is_displayed().await.unwrap_or(false) {
                    return element;
                }
            }
            if Instant::now() > deadline {
                self.screenshot("timeout").await;
                panic!("{css} did not become visible within {PATIENCE:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether an element matching `css` exists and is displayed right now.
    pub async fn is_visible(&self, css: &str) -> bool {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        }
    }

    /// The visible text of the element matching `css` (waits for it).
    pub async fn text(&self, css: &str) -> String {
        self.visible(css).await.text().await.expect("element text")
    }

    /// Clicks the element matching `css` once it is visible.
    pub async fn click(&self, css: &str) {
        self.visible(css).await.click().await.expect("click");
    }

    /// Whether the page is in the dark theme (`prefers-color-scheme: dark`).
    pub async fn is_dark(&self) -> bool {
        self.client
            .execute(
                "return matchMedia('(prefers-color-scheme: dark)').matches",
                vec![],
            )
            .await
            .unwrap()
            .as_bool()
            .unwrap()
    }

    /// Saves `target/e2e-screenshots/<test>-<n>-<label>.png`.
    pub async fn screenshot(&self, label: &str) -> PathBuf {
        // WebKit may hand back the last painted frame; let two frames paint first.
        let _ = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\n\
                 requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![],
            )
            .await;
        let png = self.client.screenshot().await.expect("screenshot");
        let path = screenshot_dir().join(format!("{}-{:02}-{label}.png", self.name, self.shots));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Like [`App::screenshot`], numbering the shots in order.
    pub async fn shot(&mut self, label: &str) -> PathBuf {
        self.shots += 1;
        self.screenshot(label).await
    }

    /// The current value of a form field.
    pub async fn value(&self, css: &str) -> String {
        self.visible(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// Types into the field matching `css`, replacing what is there.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.visible(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Waits until the element's text satisfies `check`; returns the text.
    pub async fn text_until(&self, css: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if check(&text) {
                return text;
            }
            if Instant::now() > deadline {
                self.screenshot("timeout").await;
                panic!("{css} never had the expected text; last: {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signs in through the UI as a person would: press "Sign in with Microsoft", take the
    /// link the window shows, and do the browser's part over HTTP with `account`.
    pub async fn sign_in_through_ui(&self, account: &str) {
        self.click("#sign-in").await;
        self.visible("#signin-waiting").await;
        let link = self.value("#sign-in-link").await;
        let page = browser_signs_in(&link, account).await;
        assert!(page.contains("You are signed in"), "{page}");
        self.visible("#shell").await;
    }

    /// Ends the session, which closes the app.
    pub async fn quit(self) {
        let App {
            client, _driver, ..
        } = self;
        let _ = client.close().await;
        drop(_driver);
    }
}

/// The secrets NumberDesk keeps in the Secret Service for `data_dir` (the session's chunks).
fn numberdesk_keyring_secrets(data_dir: &Path) -> Vec<String> {
    numberdesk_keyring_entries(data_dir)
        .iter()
        .filter_map(|item| item.lines().find_map(|l| l.strip_prefix("secret = ")))
        .map(str::to_owned)
        .collect()
}

/// Checks that no token of the session in the keyring appears in any file under `data_dir`
/// (settings, history, the demo tenant's state, the logs). Token-like runs of 24 or more
/// characters (GUIDs aside) are taken from the keyring's secrets; a token cut between two
/// chunks still leaves long runs on each side. Returns how many runs and files were compared.
pub fn assert_no_token_in_files(data_dir: &Path) -> (usize, usize) {
    let secrets = numberdesk_keyring_secrets(data_dir);
    assert!(
        !secrets.is_empty(),
        "signed in: the session is in the keyring"
    );
    let mut runs = std::collections::BTreeSet::new();
    for secret in &secrets {
        for run in secret.split(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c))) {
            // Identifiers kept beside the tokens (tenant, client and object ids) are GUIDs and
            // no secret: History records the tenant on purpose.
            if run.len() >= 24 && uuid::Uuid::try_parse(run).is_err() {
                runs.insert(run.to_owned());
            }
        }
    }
    assert!(!runs.is_empty(), "the session holds tokens");
    let mut files = 0;
    let mut todo = vec![data_dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for run in &runs {
                if let Some(at) = text.find(run.as_str()) {
                    let context: String = text[at.saturating_sub(60)..at]
                        .chars()
                        .filter(|c| !c.is_control())
                        .collect();
                    panic!(
                        "a secret from the keyring ({} chars, starting {:?}) is in {} after {:?}",
                        run.len(),
                        &run[..6],
                        path.display(),
                        context
                    );
                }
            }
        }
    }
    (runs.len(), files)
}

/// NumberDesk's log files under `data_dir` and their text.
pub fn log_text(data_dir: &Path) -> String {
    let dir = data_dir.join("logs");
    let mut text = String::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    text
}

/// One accessibility finding of axe-core.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct AxeViolation {
    pub id: String,
    pub impact: Option<String>,
    pub help: String,
    pub nodes: Vec<String>,
}

/// axe-core's script, installed from npm by `cargo xtask test` (NUMBERDESK_AXE_JS).
fn axe_source() -> String {
    let path = std::env::var("NUMBERDESK_AXE_JS").expect(
        "NUMBERDESK_AXE_JS names axe-core's axe.min.js: run the e2e tests with `cargo xtask test`",
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

impl App {
    /// Runs axe-core (WCAG 2.1 A/AA and best practices) on what the window shows now, saves
    /// the findings as `<screenshots>/axe-<test>-<label>.json`, and returns them.
    pub async fn axe(&self, label: &str) -> Vec<AxeViolation> {
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object'", vec![])
            .await
            .unwrap();
        if loaded.as_bool() != Some(true) {
            self.client
                .execute(&format!("{}\n;return true;", axe_source()), vec![])
                .await
                .expect("axe-core injected");
        }
        let answer = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\n\
                 axe.run(document, { runOnly: { type: 'tag', values: \
                   ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })\n\
                   .then((r) => done(JSON.stringify(r.violations.map((v) => ({ id: v.id, \
                     impact: v.impact, help: v.help, \
                     nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })))))\n\
                   .catch((e) => done(JSON.stringify({ error: String(e) })));",
                vec![],
            )
            .await
            .expect("axe.run");
        let text = answer.as_str().expect("axe answers with JSON text");
        let violations: Vec<AxeViolation> = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("axe did not run on {label}: {text} ({e})"));
        let path = screenshot_dir().join(format!("axe-{}-{label}.json", self.name));
        std::fs::write(&path, serde_json::to_string_pretty(&violations).unwrap()).unwrap();
        violations
    }

    /// [`App::axe`], failing on any serious or critical finding; returns the minor ones.
    pub async fn assert_accessible(&mut self, label: &str) -> Vec<AxeViolation> {
        let violations = self.axe(label).await;
        self.shot(label).await;
        let (bad, rest): (Vec<_>, Vec<_>) = violations
            .into_iter()
            .partition(|v| matches!(v.impact.as_deref(), Some("serious") | Some("critical")));
        assert!(bad.is_empty(), "{label}: {bad:#?}");
        rest
    }
}
