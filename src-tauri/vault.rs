//! Secrets at rest: the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service).
//!
//! Only the refresh token and the account it belongs to are kept; access tokens live in memory.
//!
//! **Split only where the store needs it** ([`layout_for`]). Windows Credential Manager refuses
//! a secret over 2,560 bytes, and Microsoft's refresh tokens alone can pass 1,500 characters,
//! so on Windows a session is split into parts of at most [`PART_SIZE`] bytes, written to one
//! of two fixed slots (`a`/`b`), and a small manifest naming the slot, the part count and a
//! SHA-256 of the whole is written **last**. Reading follows the manifest and checks the hash,
//! so a save interrupted half-way reads as the previous session (the manifest still names the
//! old slot) and a damaged set reads as absent — never as a corrupt token. macOS Keychain and
//! the Secret Service take the whole session as one item (each write replaces it at once):
//! on macOS every item can raise its own Keychain prompt, so one item means the admin is asked
//! at most once. A session split by an earlier version is still read, and replaced by one item
//! at the next save. The names are fixed, so sign-out can delete every one of them and a test
//! can prove the keyring holds nothing of NumberDesk afterwards.
//!
//! **The keyring stays on this machine.** Windows credentials are written with local-machine
//! persistence ([`entry_modifiers`]); the store's default, Enterprise, roams with the profile.
//!
//! Chunking was chosen over "a key in the keyring encrypting a file" because it keeps every
//! secret byte inside the OS store, adds no cryptography of our own, and leaves nothing in the
//! data folder to leak or go stale.

use sha2::{Digest, Sha256};

/// The keyring "service" every NumberDesk entry is filed under.
pub const SERVICE: &str = "app.numberdesk.desktop";
/// Bytes per part: under Windows' `CRED_MAX_CREDENTIAL_BLOB_SIZE` of 2,560 bytes.
pub const PART_SIZE: usize = 2048;
const _: () = assert!(
    PART_SIZE <= 2560,
    "a part must fit CRED_MAX_CREDENTIAL_BLOB_SIZE"
);

/// How a store wants a session written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One entry holding the whole session.
    Whole,
    /// Parts of at most this many bytes, plus a manifest written last.
    Parts(usize),
}

/// The layout the OS keyring of `os` (as in [`std::env::consts::OS`]) needs: parts only on
/// Windows, whose Credential Manager refuses secrets over 2,560 bytes.
pub fn layout_for(os: &str) -> Layout {
    match os {
        "windows" => Layout::Parts(PART_SIZE),
        _ => Layout::Whole,
    }
}

/// Store-specific modifiers for every entry on `os`. Windows: `persistence = Local`
/// (`CRED_PERSIST_LOCAL_MACHINE`: kept on this computer, across sign-ins, never roamed);
/// `windows-native-keyring-store` otherwise writes `Enterprise`, which roams with the profile.
/// None elsewhere: the Keychain and Secret Service stores refuse modifier keys they do not
/// know, and neither roams the items NumberDesk writes (the login keychain is not iCloud's).
pub fn entry_modifiers(os: &str) -> &'static [(&'static str, &'static str)] {
    match os {
        "windows" => &[("persistence", "Local")],
        _ => &[],
    }
}
/// Parts per slot at most: 32 KiB, far above any Microsoft token bundle.
pub const MAX_PARTS: usize = 16;
const MANIFEST: &str = "manifest";
const SLOTS: [&str; 2] = ["a", "b"];

/// A store of named binary secrets. The OS keyring in the app; a size-limited in-memory store
/// in tests that reproduce Windows' limit on Linux.
pub trait SecretStore: Send + Sync {
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), VaultError>;
    /// `Ok(None)` when there is no such entry.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, VaultError>;
    /// Deleting an entry that does not exist is not an error.
    fn remove(&self, name: &str) -> Result<(), VaultError>;
    /// Whether sessions must be split to fit.
    fn layout(&self) -> Layout {
        Layout::Whole
    }
}

/// Why the keyring could not be used. Never carries secret bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the system keyring is locked or not available ({0})")]
    Unavailable(String),
    #[error("the system keyring refused an entry as too long (limit {0} bytes)")]
    TooLong(u32),
    #[error("the session is too large to keep in the system keyring ({0} bytes)")]
    SessionTooLarge(usize),
    #[error("the system keyring failed ({0})")]
    Failed(String),
}

/// A shared store is a store (tests keep a handle to look inside; the app holds
/// `Arc<dyn SecretStore>` so a test can hand it an in-memory one).
impl<T: SecretStore + ?Sized> SecretStore for std::sync::Arc<T> {
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        (**self).put(name, secret)
    }
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, VaultError> {
        (**self).get(name)
    }
    fn remove(&self, name: &str) -> Result<(), VaultError> {
        (**self).remove(name)
    }
    fn layout(&self) -> Layout {
        (**self).layout()
    }
}

/// The OS keyring through the `keyring` crate's native stores (never its mock store).
pub struct OsKeyring {
    service: String,
    layout: Layout,
    modifiers: &'static [(&'static str, &'static str)],
}

impl OsKeyring {
    pub fn new() -> OsKeyring {
        OsKeyring::with_service(SERVICE)
    }

    /// A keyring under another service name (tests use their own, so they never touch a real
    /// NumberDesk session on a developer's machine).
    pub fn with_service(service: &str) -> OsKeyring {
        OsKeyring {
            service: service.to_owned(),
            layout: layout_for(std::env::consts::OS),
            modifiers: entry_modifiers(std::env::consts::OS),
        }
    }

    /// The same keyring, written as Windows needs it (tests of the split on a real store).
    pub fn split_like_windows(self) -> OsKeyring {
        OsKeyring {
            layout: layout_for("windows"),
            ..self
        }
    }

    /// The same keyring with other store modifiers (tests of the modifier path on a store
    /// that is not Windows').
    pub fn with_modifiers(self, modifiers: &'static [(&'static str, &'static str)]) -> OsKeyring {
        OsKeyring { modifiers, ..self }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, VaultError> {
        // `keyring::Entry::new` also sets up the platform's default store the first time.
        let entry = keyring::Entry::new(&self.service, name).map_err(map_keyring_error)?;
        if self.modifiers.is_empty() {
            return Ok(entry);
        }
        let modifiers = self.modifiers.iter().copied().collect();
        let inner = keyring_core::Entry::new_with_modifiers(&self.service, name, &modifiers)
            .map_err(map_keyring_error)?;
        Ok(keyring::Entry { inner })
    }
}

impl Default for OsKeyring {
    fn default() -> Self {
        OsKeyring::new()
    }
}

/// Keyring errors, minus anything they carry of the secret itself (`BadEncoding` and
/// `BadDataFormat` hold the raw bytes, which must never reach a message or a log).
fn map_keyring_error(error: keyring::Error) -> VaultError {
    use keyring::Error as E;
    match error {
        E::NoStorageAccess(platform) => VaultError::Unavailable(platform.to_string()),
        E::NoDefaultStore => VaultError::Unavailable("no credential store on this system".into()),
        E::PlatformFailure(platform) => VaultError::Unavailable(platform.to_string()),
        E::TooLong(_, limit) => VaultError::TooLong(limit),
        E::BadEncoding(_) | E::BadDataFormat(_, _) => {
            VaultError::Failed("an entry could not be decoded".into())
        }
        E::NoEntry => VaultError::Failed("entry not found".into()),
        other => VaultError::Failed(match other {
            E::BadStoreFormat(what) => format!("the store is damaged: {what}"),
            E::Invalid(what, why) => format!("invalid {what}: {why}"),
            E::Ambiguous(_) => "more than one matching entry".into(),
            _ => "unexpected keyring error".into(),
        }),
    }
}

impl SecretStore for OsKeyring {
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        self.entry(name)?
            .set_secret(secret)
            .map_err(map_keyring_error)
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, VaultError> {
        match self.entry(name)?.get_secret() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(map_keyring_error(error)),
        }
    }

    fn remove(&self, name: &str) -> Result<(), VaultError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(map_keyring_error(error)),
        }
    }

    fn layout(&self) -> Layout {
        self.layout
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    version: u32,
    slot: String,
    parts: usize,
    len: usize,
    sha256: String,
}

/// The profile of the standard data folder. Another data folder (`NUMBERDESK_DATA_DIR`) gets
/// its own profile, so two installations on one account never share a session.
pub const DEFAULT_PROFILE: &str = "default";

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The profile name for a data folder: [`DEFAULT_PROFILE`] for the standard one, else a short
/// hash of the folder's path.
pub fn profile_for(data_dir: Option<&std::path::Path>) -> String {
    match data_dir {
        None => DEFAULT_PROFILE.to_owned(),
        Some(dir) => {
            // Absolute, not canonical: the folder may not exist yet on the first launch.
            let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
            format!(
                "dir-{}",
                &hex_sha256(dir.to_string_lossy().as_bytes())[..16]
            )
        }
    }
}

/// One saved session (opaque bytes, chosen by the caller) in a [`SecretStore`].
pub struct Vault<S: SecretStore> {
    store: S,
    profile: String,
    layout: Layout,
    /// Whole layout: the parts an earlier version may have left were deleted this run.
    split_cleared: std::sync::atomic::AtomicBool,
}

impl<S: SecretStore> Vault<S> {
    /// The vault of the standard data folder.
    pub fn new(store: S) -> Vault<S> {
        Vault::with_profile(store, DEFAULT_PROFILE)
    }

    /// The vault of a profile, laid out as its store needs ([`SecretStore::layout`]).
    pub fn with_profile(store: S, profile: &str) -> Vault<S> {
        let layout = store.layout();
        Vault::with_layout(store, profile, layout)
    }

    pub fn with_layout(store: S, profile: &str, layout: Layout) -> Vault<S> {
        Vault {
            store,
            profile: profile.to_owned(),
            layout,
            split_cleared: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn whole_name(&self) -> String {
        format!("{}.session", self.profile)
    }

    fn manifest_name(&self) -> String {
        format!("{}.session.{MANIFEST}", self.profile)
    }

    fn part_name(&self, slot: &str, index: usize) -> String {
        format!("{}.session.{slot}.{index}", self.profile)
    }

    /// Every entry name this vault may write in either layout; sign-out deletes them all.
    /// The manifest comes first, so a sign-out cut short never brings back an older split
    /// session.
    pub fn entry_names(&self) -> Vec<String> {
        let mut names = vec![self.manifest_name(), self.whole_name()];
        names.extend(self.split_names());
        names
    }

    fn split_names(&self) -> Vec<String> {
        SLOTS
            .iter()
            .flat_map(|slot| (0..MAX_PARTS).map(move |i| self.part_name(slot, i)))
            .collect()
    }

    fn manifest(&self) -> Result<Option<Manifest>, VaultError> {
        Ok(self
            .store
            .get(&self.manifest_name())?
            .and_then(|bytes| serde_json::from_slice::<Manifest>(&bytes).ok())
            .filter(|m| m.version == 1 && SLOTS.contains(&m.slot.as_str()) && m.parts <= MAX_PARTS))
    }

    /// Replaces the saved session. One write in the whole layout; in parts, the previous
    /// session stays valid until the manifest is written.
    pub fn save(&self, secret: &[u8]) -> Result<(), VaultError> {
        match self.layout {
            Layout::Whole => self.save_whole(secret),
            Layout::Parts(size) => self.save_parts(secret, size.max(1)),
        }
    }

    fn save_whole(&self, secret: &[u8]) -> Result<(), VaultError> {
        use std::sync::atomic::Ordering;
        if secret.len() > PART_SIZE * MAX_PARTS {
            return Err(VaultError::SessionTooLarge(secret.len()));
        }
        self.store.put(&self.whole_name(), secret)?;
        if !self.split_cleared.load(Ordering::SeqCst) {
            // An earlier version's split session: the whole one is complete, so a leftover
            // here would only be untidy (and is tried again at the next save).
            let names = std::iter::once(self.manifest_name()).chain(self.split_names());
            let cleared = names
                .map(|name| self.store.remove(&name))
                .fold(true, |all, done| all & done.is_ok());
            self.split_cleared.store(cleared, Ordering::SeqCst);
        }
        Ok(())
    }

    fn save_parts(&self, secret: &[u8], part_size: usize) -> Result<(), VaultError> {
        let parts: Vec<&[u8]> = secret.chunks(part_size).collect();
        if parts.len() > MAX_PARTS {
            return Err(VaultError::SessionTooLarge(secret.len()));
        }
        let old_slot = self.manifest()?.map(|m| m.slot);
        let slot = match old_slot.as_deref() {
            Some("a") => "b",
            _ => "a",
        };
        for (index, part) in parts.iter().enumerate() {
            self.store.put(&self.part_name(slot, index), part)?;
        }
        for index in parts.len()..MAX_PARTS {
            self.store.remove(&self.part_name(slot, index))?;
        }
        let manifest = Manifest {
            version: 1,
            slot: slot.to_owned(),
            parts: parts.len(),
            len: secret.len(),
            sha256: hex_sha256(secret),
        };
        let manifest = serde_json::to_vec(&manifest)
            .map_err(|e| VaultError::Failed(format!("manifest: {e}")))?;
        self.store.put(&self.manifest_name(), &manifest)?;
        if let Some(old) = old_slot.filter(|old| old != slot) {
            for index in 0..MAX_PARTS {
                // The new session is already complete; a leftover here is only untidy.
                let _ = self.store.remove(&self.part_name(&old, index));
            }
        }
        Ok(())
    }

    /// The saved session, or `None` when there is none or it is incomplete or damaged.
    pub fn load(&self) -> Result<Option<Vec<u8>>, VaultError> {
        if self.layout == Layout::Whole {
            if let Some(secret) = self.store.get(&self.whole_name())? {
                return Ok(Some(secret));
            }
            // Not saved whole yet: perhaps split, by an earlier version.
        }
        self.load_parts()
    }

    fn load_parts(&self) -> Result<Option<Vec<u8>>, VaultError> {
        let Some(manifest) = self.manifest()? else {
            return Ok(None);
        };
        let mut secret = Vec::with_capacity(manifest.len);
        for index in 0..manifest.parts {
            match self.store.get(&self.part_name(&manifest.slot, index))? {
                Some(part) => secret.extend_from_slice(&part),
                None => return Ok(None),
            }
        }
        if secret.len() != manifest.len || hex_sha256(&secret) != manifest.sha256 {
            return Ok(None);
        }
        Ok(Some(secret))
    }

    /// Deletes every entry the vault may have written: manifest first, then both slots.
    pub fn clear(&self) -> Result<(), VaultError> {
        for name in self.entry_names() {
            self.store.remove(&name)?;
        }
        Ok(())
    }
}

/// An in-memory store with a per-entry size limit, to test on any OS what Windows' Credential
/// Manager does (it refuses entries over 2,560 bytes).
#[derive(Default)]
pub struct LimitedMemoryStore {
    pub limit: usize,
    entries: std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>,
    /// When set, `put` fails after this many more successful writes (a crash mid-save).
    pub fail_after_puts: std::sync::Mutex<Option<usize>>,
}

impl LimitedMemoryStore {
    /// Windows Credential Manager's limit: 2,560 bytes per entry.
    pub fn windows_like() -> LimitedMemoryStore {
        LimitedMemoryStore {
            limit: 2560,
            ..Default::default()
        }
    }

    /// No limit, like the Keychain and the Secret Service: sessions are stored whole.
    pub fn unlimited() -> LimitedMemoryStore {
        LimitedMemoryStore {
            limit: usize::MAX,
            ..Default::default()
        }
    }

    /// The names of the entries present, for tests.
    pub fn names(&self) -> Vec<String> {
        crate::locks::lock(&self.entries).keys().cloned().collect()
    }
}

impl SecretStore for LimitedMemoryStore {
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        if secret.len() > self.limit {
            return Err(VaultError::TooLong(self.limit as u32));
        }
        let mut budget = crate::locks::lock(&self.fail_after_puts);
        if let Some(left) = budget.as_mut() {
            if *left == 0 {
                return Err(VaultError::Unavailable("simulated failure".into()));
            }
            *left -= 1;
        }
        crate::locks::lock(&self.entries).insert(name.to_owned(), secret.to_vec());
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, VaultError> {
        Ok(crate::locks::lock(&self.entries).get(name).cloned())
    }

    fn remove(&self, name: &str) -> Result<(), VaultError> {
        crate::locks::lock(&self.entries).remove(name);
        Ok(())
    }

    fn layout(&self) -> Layout {
        match self.limit {
            usize::MAX => Layout::Whole,
            limit => Layout::Parts(PART_SIZE.min(limit)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn a_5_kb_session_fits_under_windows_limit_by_splitting() {
        let vault = Vault::new(LimitedMemoryStore::windows_like());
        let secret = bundle(5 * 1024, 1);
        // Stored whole, it is refused, as Windows would.
        assert_eq!(
            vault.store.put("whole", &secret),
            Err(VaultError::TooLong(2560))
        );
        vault.save(&secret).unwrap();
        assert_eq!(vault.load().unwrap(), Some(secret));
    }

    #[test]
    fn saving_again_replaces_and_leaves_no_old_parts() {
        let vault = Vault::new(LimitedMemoryStore::windows_like());
        vault.save(&bundle(6000, 1)).unwrap();
        vault.save(&bundle(1000, 2)).unwrap();
        assert_eq!(vault.load().unwrap(), Some(bundle(1000, 2)));
        assert_eq!(
            vault.store.names(),
            vec![
                "default.session.b.0".to_string(),
                "default.session.manifest".to_string()
            ]
        );
    }

    #[test]
    fn an_interrupted_save_keeps_the_previous_session() {
        let vault = Vault::new(LimitedMemoryStore::windows_like());
        vault.save(&bundle(5000, 1)).unwrap();
        for fail_after in 0..4 {
            *vault.store.fail_after_puts.lock().unwrap() = Some(fail_after);
            assert!(vault.save(&bundle(5000, 9)).is_err());
            *vault.store.fail_after_puts.lock().unwrap() = None;
            assert_eq!(
                vault.load().unwrap(),
                Some(bundle(5000, 1)),
                "failed after {fail_after}"
            );
        }
    }

    #[test]
    fn a_damaged_or_partial_set_reads_as_absent() {
        let vault = Vault::new(LimitedMemoryStore::windows_like());
        vault.save(&bundle(5000, 1)).unwrap();
        vault.store.remove("default.session.a.1").unwrap();
        assert_eq!(vault.load().unwrap(), None);

        vault.save(&bundle(5000, 1)).unwrap();
        vault.store.put("default.session.b.0", b"tampered").unwrap();
        assert_eq!(vault.load().unwrap(), None);

        vault
            .store
            .put("default.session.manifest", b"{not json")
            .unwrap();
        assert_eq!(vault.load().unwrap(), None);
    }

    #[test]
    fn profiles_keep_sessions_apart() {
        let store = std::sync::Arc::new(LimitedMemoryStore::windows_like());
        let one = Vault::with_profile(
            store.clone(),
            &profile_for(Some(std::path::Path::new("/a"))),
        );
        let two = Vault::with_profile(
            store.clone(),
            &profile_for(Some(std::path::Path::new("/b"))),
        );
        one.save(b"first").unwrap();
        assert_eq!(two.load().unwrap(), None);
        two.save(b"second").unwrap();
        two.clear().unwrap();
        assert_eq!(one.load().unwrap().as_deref(), Some(&b"first"[..]));
        assert_eq!(profile_for(None), DEFAULT_PROFILE);
    }

    /// Windows' Credential Manager needs the split; Keychain and the Secret Service take the
    /// whole session, so on macOS it is one Keychain item and asks at most once.
    #[test]
    fn the_split_is_a_per_platform_policy_needed_only_on_windows() {
        assert_eq!(layout_for("windows"), Layout::Parts(PART_SIZE));
        assert_eq!(layout_for("macos"), Layout::Whole);
        assert_eq!(layout_for("linux"), Layout::Whole);
        assert_eq!(
            OsKeyring::new().layout(),
            layout_for(std::env::consts::OS),
            "the OS keyring follows the policy of the OS it was built for"
        );
    }

    /// Local-machine persistence on Windows (CRED_PERSIST_LOCAL_MACHINE): the default,
    /// Enterprise, roams with the profile. Other stores refuse modifiers they do not know, so
    /// they get none.
    #[test]
    fn windows_entries_stay_on_this_machine_and_other_stores_get_no_modifiers() {
        assert_eq!(entry_modifiers("windows"), &[("persistence", "Local")]);
        assert!(entry_modifiers("macos").is_empty());
        assert!(entry_modifiers("linux").is_empty());
    }

    #[test]
    fn a_whole_session_is_one_entry_and_replaces_an_earlier_split_one() {
        let store = std::sync::Arc::new(LimitedMemoryStore::unlimited());
        // What an earlier NumberDesk wrote on macOS and Linux: parts and a manifest.
        let split = Vault::with_layout(store.clone(), DEFAULT_PROFILE, Layout::Parts(PART_SIZE));
        split.save(&bundle(5000, 1)).unwrap();
        assert_eq!(store.names().len(), 4);

        let vault = Vault::new(store.clone());
        assert_eq!(vault.layout, Layout::Whole);
        assert_eq!(
            vault.load().unwrap(),
            Some(bundle(5000, 1)),
            "still signed in"
        );
        vault.save(&bundle(5000, 2)).unwrap();
        assert_eq!(store.names(), vec!["default.session".to_string()]);
        assert_eq!(vault.load().unwrap(), Some(bundle(5000, 2)));
        vault.save(&bundle(300, 3)).unwrap();
        assert_eq!(store.names(), vec!["default.session".to_string()]);
        assert_eq!(vault.load().unwrap(), Some(bundle(300, 3)));
        assert!(vault.entry_names().contains(&"default.session".to_string()));
        vault.clear().unwrap();
        assert!(store.names().is_empty());
        assert_eq!(vault.load().unwrap(), None);
    }

    #[test]
    fn clear_removes_everything_and_too_large_is_refused() {
        let vault = Vault::new(LimitedMemoryStore::windows_like());
        vault.save(&bundle(9000, 3)).unwrap();
        vault.clear().unwrap();
        assert!(vault.store.names().is_empty());
        assert_eq!(vault.load().unwrap(), None);
        assert_eq!(
            vault.save(&bundle(PART_SIZE * MAX_PARTS + 1, 0)),
            Err(VaultError::SessionTooLarge(PART_SIZE * MAX_PARTS + 1))
        );
    }
}
