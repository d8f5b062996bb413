//! The vault against the real OS keyring: on Linux the Secret Service (gnome-keyring under a
//! private D-Bus session in the test rig). Run with `cargo xtask test`.

use numberdesk::vault::{OsKeyring, SecretStore, Vault};
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
    let vault = Vault::new(OsKeyring::with_service(&service));
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
