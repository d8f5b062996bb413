//! What Windows and macOS builds compile in, checked here on Linux from Cargo's own feature
//! resolution for those targets: reqwest's system-proxy support (Windows Internet Settings,
//! macOS System Configuration) and the OS certificate verifier. Without them a build for those
//! systems would silently ignore the proxy IT set, or trust only a bundled root list.

use std::process::Command;

/// `cargo tree` for one target: the inverted tree of `package`, with features.
fn features_for(target: &str, package: &str) -> String {
    let output = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "--edges",
            "normal,features",
            "--target",
            target,
            "--invert",
            package,
        ])
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree --target {target} -i {package} failed (it reads the crates already \
         downloaded; `cargo fetch` gets those of every target):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn assert_has(tree: &str, what: &str, target: &str) {
    assert!(
        tree.contains(what),
        "{what} is not compiled in for {target}:\n{tree}"
    );
}

const REQWEST: &str = "reqwest@0.12";

#[test]
fn windows_builds_read_the_system_proxy_and_verify_with_the_os() {
    let target = "x86_64-pc-windows-msvc";
    let reqwest = features_for(target, REQWEST);
    println!("{target}, reqwest:\n{reqwest}");
    assert_has(&reqwest, "reqwest feature \"system-proxy\"", target);
    // The proxy matcher reads HKCU\…\Internet Settings through windows-registry.
    let registry = features_for(target, "windows-registry");
    assert_has(
        &registry,
        "hyper-util feature \"client-proxy-system\"",
        target,
    );
    assert_has(&registry, "hyper-util v", target);
    let verifier = features_for(target, "rustls-platform-verifier");
    assert_has(&verifier, "numberdesk v", target);
}

#[test]
fn macos_builds_read_the_system_proxy_and_verify_with_the_os() {
    for target in ["aarch64-apple-darwin", "x86_64-apple-darwin"] {
        let reqwest = features_for(target, REQWEST);
        println!("{target}, reqwest:\n{reqwest}");
        assert_has(&reqwest, "reqwest feature \"system-proxy\"", target);
        // The proxy matcher reads the SCDynamicStore through system-configuration.
        let configuration = features_for(target, "system-configuration");
        assert_has(&configuration, "hyper-util v", target);
        let verifier = features_for(target, "rustls-platform-verifier");
        assert_has(&verifier, "numberdesk v", target);
        // …which asks the Security framework, as Safari does.
        let security = features_for(target, "security-framework");
        assert_has(&security, "rustls-platform-verifier v", target);
    }
}
