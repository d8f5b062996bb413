//! Launches the real NumberDesk binary under WebDriver (tauri-driver + WebKitWebDriver) and
//! cleans up after it, even when a test panics.
//!
//! tauri-driver only stops WebKitWebDriver on SIGTERM, and the app survives an unclosed session,
//! so the driver is started as a process-group leader and the whole group is signalled on drop.

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
    }
}

/// How to start the app.
#[derive(Default, Clone)]
pub struct Launch {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Launch {
    pub fn demo() -> Launch {
        Launch {
            args: vec!["--demo".into()],
            env: vec![],
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
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
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
        let client = ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
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

    /// Ends the session, which closes the app.
    pub async fn quit(self) {
        let App {
            client, _driver, ..
        } = self;
        let _ = client.close().await;
        drop(_driver);
    }
}
