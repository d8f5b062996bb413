//! The vault against the real OS keyring: on Linux the Secret Service (gnome-keyring under a
//! private D-Bus session in the test rig). Run with `cargo xtask test`.

use numberdesk::vault::{Layout, OsKeyring, SecretStore, Vault};
use std::process::Command;

fn unique_service() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("app.numberdesk.test.{}.{nanos}", std::process::id())
}

/// The entries `secret-tool` finds under `service` (one line per item path).
fn items_in_secret_service(service: &str) -> usize {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", service])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by `cargo xtask test`");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .filter(|line| line.starts_with('['))
        .count()
}

#[test]
#[ignore = "needs a Secret Service: run with `cargo xtask test`"]
fn a_5_kb_session_is_saved_loaded_and_deleted_in_the_secret_service() {
    let service = unique_service();
    // Split as on Windows, to prove the split on a real store; see the next test for Linux's own.
    let vault = Vault::new(OsKeyring::with_service(&service).split_like_windows());
    let bundle: Vec<u8> = (0..5 * 1024).map(|i| (i % 251) as u8).collect();

    assert_eq!(vault.load().unwrap(), None, "a new service starts empty");
    vault.save(&bundle).unwrap();
    assert_eq!(vault.load().unwrap().as_deref(), Some(&bundle[..]));
    // Three parts of at most 2,048 bytes plus the manifest.
    assert_eq!(items_in_secret_service(&service), 4);

    let replacement = b"a much shorter session".to_vec();
    vault.save(&replacement).unwrap();
    assert_eq!(vault.load().unwrap(), Some(replacement));
    assert_eq!(
        items_in_secret_service(&service),
        2,
        "old parts are removed"
    );

    vault.clear().unwrap();
    assert_eq!(vault.load().unwrap(), None);
    assert_eq!(
        items_in_secret_service(&service),
        0,
        "nothing left after clear"
    );
}

#[test]
#[ignore = "needs a Secret Service: run with `cargo xtask test`"]
fn single_entries_round_trip_and_missing_ones_read_as_none() {
    let service = unique_service();
    let store = OsKeyring::with_service(&service);
    assert_eq!(store.get("nothing-here").unwrap(), None);
    store.put("one", b"\x00\x01binary\xff").unwrap();
    assert_eq!(
        store.get("one").unwrap().as_deref(),
        Some(&b"\x00\x01binary\xff"[..])
    );
    store.remove("one").unwrap();
    store.remove("one").unwrap();
    assert_eq!(store.get("one").unwrap(), None);
}

#[test]
#[ignore = "needs a Secret Service: run with `cargo xtask test`"]
fn here_a_session_is_one_secret_service_item_and_an_earlier_split_one_is_replaced() {
    let service = unique_service();
    let bundle: Vec<u8> = (0..5 * 1024).map(|i| (i % 251) as u8).collect();
    // What an earlier NumberDesk left: three parts and a manifest.
    Vault::new(OsKeyring::with_service(&service).split_like_windows())
        .save(&bundle)
        .unwrap();
    assert_eq!(items_in_secret_service(&service), 4);

    let vault = Vault::new(OsKeyring::with_service(&service));
    assert_eq!(
        OsKeyring::with_service(&service).layout(),
        Layout::Whole,
        "the Secret Service needs no split"
    );
    assert_eq!(vault.load().unwrap().as_deref(), Some(&bundle[..]));
    let replacement: Vec<u8> = (0..5 * 1024).map(|i| (i % 13) as u8).collect();
    vault.save(&replacement).unwrap();
    assert_eq!(vault.load().unwrap(), Some(replacement));
    assert_eq!(
        items_in_secret_service(&service),
        1,
        "one item, whole, where Windows would need three parts"
    );

    vault.clear().unwrap();
    assert_eq!(items_in_secret_service(&service), 0);
}

/// The path Windows takes for local-machine persistence (an entry built with store modifiers
/// in the default store), exercised with a modifier the Secret Service knows.
#[test]
#[ignore = "needs a Secret Service: run with `cargo xtask test`"]
fn entries_built_with_store_modifiers_round_trip() {
    let service = unique_service();
    let store = OsKeyring::with_service(&service).with_modifiers(&[("label", "NumberDesk test")]);
    store.put("one", b"secret bytes").unwrap();
    assert_eq!(
        store.get("one").unwrap().as_deref(),
        Some(&b"secret bytes"[..])
    );
    assert_eq!(items_in_secret_service(&service), 1);
    store.remove("one").unwrap();
    assert_eq!(store.get("one").unwrap(), None);
    let refused = OsKeyring::with_service(&service).with_modifiers(&[("persistence", "Local")]);
    assert!(
        refused.put("two", b"x").is_err(),
        "Windows' modifier is unknown here: that is why only Windows gets it"
    );
}
