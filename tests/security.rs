//! Security properties of the shipped configuration and web UI, checked from the files
//! themselves: the CSP, the pages (no inline script, handler or style), and that every window's
//! capability grants exactly the app commands its JavaScript calls — no more, no fewer. And
//! the sign-in's loopback listener, tried from this machine's own network addresses.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: impl AsRef<Path>) -> String {
    let path = root().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn config() -> serde_json::Value {
    serde_json::from_str(&read("tauri.conf.json")).unwrap()
}

/// The CSP's directives: name → sources.
fn csp() -> HashMap<String, Vec<String>> {
    let config = config();
    let csp = config["app"]["security"]["csp"]
        .as_str()
        .expect("tauri.conf.json sets a CSP string");
    csp.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|directive| {
            let mut words = directive.split_whitespace();
            let name = words.next().unwrap().to_owned();
            (name, words.map(str::to_owned).collect())
        })
        .collect()
}

#[test]
fn the_csp_starts_from_nothing_and_allows_no_inline_code_or_remote_origin() {
    let csp = csp();
    assert_eq!(csp["default-src"], ["'none'"], "{csp:?}");
    // Only these sources appear anywhere: the app's own files and Tauri's IPC.
    let allowed = ["'self'", "'none'", "ipc:", "http://ipc.localhost"];
    for (directive, sources) in &csp {
        for source in sources {
            assert!(
                allowed.contains(&source.as_str()),
                "{directive} allows {source}: no unsafe-inline, unsafe-eval, wildcard or remote origin"
            );
        }
    }
    for needed in ["script-src", "style-src", "img-src", "connect-src"] {
        assert!(csp.contains_key(needed), "{needed} is set explicitly");
    }
    assert!(!csp["script-src"].iter().any(|s| s.starts_with("http")));
    // Tauri adds nothing behind our back (dangerousDisableAssetCspModification stays off).
    let security = &config()["app"]["security"];
    assert!(security
        .get("dangerousDisableAssetCspModification")
        .is_none_or(|v| v == false));
    assert_eq!(security["freezePrototype"], true);
}

/// The UI's pages.
fn pages() -> Vec<PathBuf> {
    std::fs::read_dir(root().join("ui"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect()
}

#[test]
fn pages_have_no_inline_script_handler_or_style() {
    let pages = pages();
    assert!(pages.len() >= 2, "{pages:?}");
    for page in pages {
        let html = std::fs::read_to_string(&page).unwrap();
        let lower = html.to_ascii_lowercase();
        // Every <script> has a src and no body.
        for (at, _) in lower.match_indices("<script") {
            let tag_end = at + lower[at..].find('>').unwrap();
            let tag = &lower[at..=tag_end];
            assert!(
                tag.contains(" src="),
                "{}: inline script {tag}",
                page.display()
            );
            assert!(
                lower[tag_end + 1..].trim_start().starts_with("</script>"),
                "{}: a script with a body",
                page.display()
            );
        }
        // No on…= handler attributes, javascript: URLs, style attributes or <style> blocks.
        let mut in_tag = false;
        let bytes = lower.as_bytes();
        for (i, &c) in bytes.iter().enumerate() {
            match c {
                b'<' => in_tag = true,
                b'>' => in_tag = false,
                b' ' | b'\n' | b'\t' if in_tag => {
                    let rest = &lower[i + 1..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .collect();
                    let is_handler = name.starts_with("on") && name.len() > 2;
                    assert!(
                        !(is_handler && rest[name.len()..].starts_with('=')),
                        "{}: inline handler {name}",
                        page.display()
                    );
                    assert!(
                        !(name == "style" && rest[name.len()..].starts_with('=')),
                        "{}: style attribute",
                        page.display()
                    );
                }
                _ => {}
            }
        }
        assert!(!lower.contains("javascript:"), "{}", page.display());
        assert!(!lower.contains("<style"), "{}", page.display());
    }
}

/// The module script a page loads.
fn entry_module(page: &str) -> String {
    let html = read(Path::new("ui").join(page));
    let at = html
        .find("<script type=\"module\" src=\"")
        .expect("a module script");
    let rest = &html[at + "<script type=\"module\" src=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Which imports a module graph follows.
#[derive(Clone, Copy, PartialEq)]
enum Imports {
    /// `import … from '…'` only: what loads with the page (and what it preloads).
    Static,
    /// Also `import('./x.mjs')`: everything the page can ever run (views load when first
    /// opened), so every command it may call.
    Dynamic,
}

/// The modules a module imports directly: static `import … from '…'` lines and, with
/// [`Imports::Dynamic`], literal `import('…')` calls. A computed `import(…)` would escape the
/// capability test, so it fails.
fn imports_of(name: &str, source: &str, follow: Imports) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines() {
        let line = line.trim();
        if !line.starts_with("import ") {
            continue;
        }
        if let Some(from) = line.split(" from ").nth(1) {
            found.push(
                from.trim_matches(|c| c == '\'' || c == '"' || c == ';')
                    .to_owned(),
            );
        }
    }
    for (at, _) in source.match_indices("import(") {
        let rest = &source[at + "import(".len()..];
        assert!(
            rest.starts_with('\''),
            "{name}: import() with a computed module name: {}",
            &rest[..rest.len().min(40)]
        );
        if follow == Imports::Dynamic {
            found.push(rest[1..rest[1..].find('\'').unwrap() + 1].to_owned());
        }
    }
    found
        .into_iter()
        .map(|target| target.trim_start_matches("./").to_owned())
        .collect()
}

/// `module` and every module it imports, transitively (relative imports under ui/).
fn module_graph(module: &str, follow: Imports) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![module.trim_start_matches("./").to_owned()];
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let source = read(Path::new("ui").join(&name));
        todo.extend(imports_of(&name, &source, follow));
    }
    seen
}

/// App commands called with a literal name (`call('name'…)`) in these modules, and whether any
/// of them listens to events (`listen(EVENTS.x, …)`, the names in ui/contract.mjs). A call with
/// a computed name would escape this test, so it fails.
fn calls(modules: &BTreeSet<String>) -> (BTreeSet<String>, bool) {
    let mut commands = BTreeSet::new();
    let mut listens = false;
    for module in modules {
        let source = read(Path::new("ui").join(module));
        for (at, _) in source.match_indices("call(") {
            let before = &source[..at];
            if before.ends_with("function ") || before.ends_with(".") {
                continue; // the definition in ipc.mjs, or another object's call()
            }
            let rest = &source[at + "call(".len()..];
            assert!(
                rest.starts_with('\''),
                "{module}: call() with a computed command name: {}",
                &rest[..rest.len().min(40)]
            );
            let name = &rest[1..rest[1..].find('\'').unwrap() + 1];
            commands.insert(name.to_owned());
        }
        listens |= source.match_indices("listen(").any(|(at, _)| {
            let before = &source[..at];
            !(before.ends_with("function ") || before.ends_with('.'))
        });
    }
    (commands, listens)
}

fn capability(file: &str) -> (Vec<String>, BTreeSet<String>) {
    let value: serde_json::Value =
        serde_json::from_str(&read(Path::new("src-tauri/capabilities").join(file))).unwrap();
    let windows = value["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .collect();
    let permissions = value["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().expect("plain permission names").to_owned())
        .collect();
    (windows, permissions)
}

/// The command names `build.rs` declares.
fn declared_commands() -> BTreeSet<String> {
    let build = read("build.rs");
    let start = build.find("const APP_COMMANDS").unwrap();
    let list = &build[start..start + build[start..].find("];").unwrap()];
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn each_window_is_granted_exactly_the_commands_its_javascript_calls() {
    let declared = declared_commands();
    let registered = read("src-tauri/lib.rs");
    for command in &declared {
        assert!(
            registered.contains(&format!("commands::{command},")),
            "{command} is declared in build.rs but not registered"
        );
    }
    let mut granted_anywhere = BTreeSet::new();
    for (file, window, page) in [
        ("main.json", "main", "index.html"),
        ("quick.json", "quick", "quick.html"),
    ] {
        let (windows, permissions) = capability(file);
        assert_eq!(windows, [window], "{file} applies to its window only");
        let (called, listens) = calls(&module_graph(&entry_module(page), Imports::Dynamic));
        let granted: BTreeSet<String> = permissions
            .iter()
            .filter_map(|p| p.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        assert_eq!(
            granted, called,
            "{file}: granted commands (left) must be exactly those {page}'s modules call (right)"
        );
        for command in &granted {
            assert!(
                declared.contains(command),
                "{file}: unknown command {command}"
            );
        }
        granted_anywhere.extend(granted);
        // Besides app commands, only listening to events (when the page listens).
        let core: BTreeSet<&str> = permissions
            .iter()
            .filter(|p| !p.starts_with("allow-"))
            .map(String::as_str)
            .collect();
        let expected: BTreeSet<&str> = if listens {
            ["core:event:allow-listen", "core:event:allow-unlisten"].into()
        } else {
            BTreeSet::new()
        };
        assert_eq!(
            core, expected,
            "{file}: no plugin or window API from JavaScript"
        );
    }
    // Every declared command is used by some window (or it would be dead surface).
    let unused: Vec<&String> = declared.difference(&granted_anywhere).collect();
    assert!(
        unused.is_empty(),
        "declared but no window calls them: {unused:?}"
    );
}

#[test]
fn this_test_reads_the_calls_it_claims_to_read() {
    // The quick window's modules: quick.mjs, the shared unassign card and their helpers.
    let modules = module_graph(&entry_module("quick.html"), Imports::Dynamic);
    assert!(modules.contains("quick.mjs") && modules.contains("unassign.mjs"));
    assert!(!modules.contains("history.mjs"), "{modules:?}");
    let (called, listens) = calls(&modules);
    assert!(called.contains("lookup_number") && called.contains("unassign_number"));
    assert!(!called.contains("sign_out"));
    assert!(listens);
    // The main window's views load when first opened: the capability test follows them, the
    // first screen does not load them.
    let everything = module_graph(&entry_module("index.html"), Imports::Dynamic);
    let first_screen = module_graph(&entry_module("index.html"), Imports::Static);
    for view in [
        "bulk.mjs",
        "history.mjs",
        "settings.mjs",
        "setup.mjs",
        "signin.mjs",
    ] {
        assert!(everything.contains(view), "{view}: {everything:?}");
        assert!(!first_screen.contains(view), "{view}: {first_screen:?}");
    }
    let (called, _) = calls(&everything);
    assert!(called.contains("bulk_read") && called.contains("history_get"));
}

#[test]
fn each_page_preloads_exactly_the_modules_its_entry_imports_statically() {
    for page in ["index.html", "quick.html"] {
        let html = read(Path::new("ui").join(page));
        let preloaded: BTreeSet<String> = html
            .match_indices("<link rel=\"modulepreload\" href=\"")
            .map(|(at, tag)| {
                let rest = &html[at + tag.len()..];
                rest[..rest.find('"').unwrap()].to_owned()
            })
            .collect();
        let entry = entry_module(page);
        let mut imported = module_graph(&entry, Imports::Static);
        imported.remove(entry.trim_start_matches("./"));
        assert_eq!(preloaded, imported, "{page}: modulepreload links");
    }
}

/// This machine's own addresses other than loopback and link-local, from the OS's interface
/// list (`local-ip-address`: getifaddrs on Unix, GetAdaptersAddresses on Windows).
fn network_addresses() -> Vec<std::net::IpAddr> {
    use std::net::IpAddr;
    let mut found: Vec<IpAddr> = local_ip_address::list_afinet_netifas()
        .expect("the network interfaces can be listed")
        .into_iter()
        .map(|(_, ip)| ip)
        .collect();
    found.retain(|ip| match ip {
        IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_link_local(),
        // Link-local IPv6 needs a scope id to be reached at all; it proves nothing here.
        IpAddr::V6(v6) => !v6.is_loopback() && (v6.segments()[0] & 0xffc0) != 0xfe80,
    });
    found
}

#[tokio::test]
async fn the_sign_in_listener_answers_on_loopback_only() {
    use numberdesk::auth::loopback::LoopbackListener;
    use std::time::Duration;
    use tokio::net::TcpStream;

    let listener = LoopbackListener::bind().await.expect("binds");
    let port = listener.port();
    let bound = listener.local_addrs();
    assert!(!bound.is_empty());
    for address in &bound {
        assert!(
            address.ip().is_loopback(),
            "bound beyond loopback: {address}"
        );
        assert_eq!(address.port(), port);
    }
    TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("the browser on this machine reaches the listener");

    // From the machine's own network addresses (what another host on the network would reach),
    // the port is closed.
    let others = network_addresses();
    assert!(
        !others.is_empty(),
        "this test needs a network address besides loopback to try the listener from"
    );
    for ip in others {
        let attempt =
            tokio::time::timeout(Duration::from_secs(2), TcpStream::connect((ip, port))).await;
        assert!(
            !matches!(attempt, Ok(Ok(_))),
            "the sign-in listener accepted a connection on {ip}:{port}"
        );
    }
}
