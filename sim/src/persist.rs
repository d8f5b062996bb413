//! Optional persistence of the simulated tenant in one JSON file (`SimConfig::state_file`).
//!
//! Why: in `--demo` mode the admin quits and relaunches NumberDesk like any other app. With the
//! tenant only in memory, the relaunched sim would not know the refresh token the app kept in
//! the OS keyring (so the admin would have to sign in again), numbers the admin had unassigned
//! would be assigned again, and operations the app was following would be gone. A real tenant
//! remembers all of that, so the demo tenant must too.
//!
//! What survives a restart, and nothing else:
//! - every number's assignment state (the people, resource accounts and bridges are not
//!   stored: the seed regenerates them, and the file records the seed it belongs to);
//! - refresh tokens, known only by the SHA-256 (hex) of the token, with user, client, scopes,
//!   issue and expiry time (wall clock) and state (active, rotated, revoked);
//! - operations: id, number, action and target, wall-clock creation time, phase lengths,
//!   outcome, and whether their effect was applied; they reach their final status by the
//!   wall clock, restart or not;
//! - the consent knob;
//! - what "Set up for my organization" made (`apps.rs`): the app registrations with their
//!   wall-clock creation time, the service principals created in the tenant (those every tenant
//!   has are regenerated), the delegated permission grants (tenant-wide consent included), and
//!   the tenant setting "Users can register applications". The replication delay counts from
//!   the saved creation time, so an app made long ago is usable right after a restart. Files
//!   written before app registrations existed have no `apps` field: they load as a tenant where
//!   nobody has made one.
//!
//! Not stored: access tokens (the app refreshes), authorization and device codes, pending
//! sign-ins, the other fault knobs (the replication delay and the Conditional Access block
//! included), the request log, and the list of issued secrets. No raw
//! secret ever reaches the file: the app's tests grep its data folder for every secret the sim
//! issued, and the refresh-token table is keyed by hash in memory too (see `auth.rs`).
//!
//! When: after every request or knob, a snapshot of the above is serialised while the state
//! lock is held and compared with the last one written; only a different one is written.
//! Writes are atomic (`<file>.tmp` in the same folder, fsync, rename), and the persister's lock
//! is taken before the state lock is released, so snapshots reach the disk in the order they
//! were taken. A snapshot is some tens of kilobytes: cheaper than tracking what each request
//! changed, and it cannot forget a change. A failed write is logged and the sim goes on; the
//! next change tries again.
//!
//! Time: an `Instant` means nothing to another process, so the file holds unix milliseconds.
//! They are converted through one (`Instant`, `SystemTime`) pair taken when the sim starts
//! ([`Clock`]), which makes the conversion an exact round trip: an unchanged state serialises
//! to the same bytes, and loading then saving does not drift.
//!
//! A file that cannot be read or parsed, has another format version, or belongs to another
//! seed is moved aside to `<name>.damaged-<unix seconds>` (never deleted) and the sim starts
//! from the seed. If it cannot even be moved, the sim starts from the seed and saves nothing
//! this session, so the damaged file is left as it was. One file serves one sim at a time.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::apps::Consent;
use super::apps::{self, ResourceAccess, SimApplication, SimPermissionGrant, SimServicePrincipal};
use super::auth::{RefreshState, RefreshToken, Scopes};
use super::clock::{from_unix_millis, unix_millis, Clock};
use super::directory::{ACTIVATION_STATES, ASSIGNMENT_STATUSES};
use super::operations::OperationRecord;
use super::State;

/// The `format` field: says what the file is to whoever opens it.
const FORMAT: &str = "numberdesk-sim-state";
/// The `version` field; a file of another version is moved aside, not guessed at.
const VERSION: u32 = 1;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Snapshot {
    pub format: String,
    pub version: u32,
    /// The seed of the tenant the numbers, users and tokens belong to.
    pub seed: u64,
    pub consent: ConsentRecord,
    pub numbers: Vec<NumberRecord>,
    /// Sorted by `sha256`, so that the same tokens always serialise the same way.
    pub refresh_tokens: Vec<RefreshTokenRecord>,
    /// Oldest first.
    pub operations: Vec<OperationRecord>,
    /// Absent in files written before app registrations: none made, the setting off.
    #[serde(default)]
    pub apps: AppsRecord,
}

/// What was made with the app registration endpoints, and the tenant's app setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppsRecord {
    /// "Users can register applications".
    pub users_can_register_apps: bool,
    /// In creation order.
    pub applications: Vec<ApplicationRecord>,
    /// Only those created in the tenant, in creation order.
    pub service_principals: Vec<ServicePrincipalRecord>,
    /// In creation order.
    pub grants: Vec<GrantRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApplicationRecord {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub sign_in_audience: String,
    pub public_client_redirect_uris: Vec<String>,
    pub is_fallback_public_client: Option<bool>,
    pub required_resource_access: Vec<ResourceAccessRecord>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub owner_id: String,
    /// `createdDateTime`, unix milliseconds: where the replication delay counts from.
    pub created_at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResourceAccessRecord {
    pub resource_app_id: String,
    pub resource_access: Vec<AccessRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccessRecord {
    pub id: String,
    /// `Scope` (delegated) or `Role` (application).
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServicePrincipalRecord {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    /// Unix milliseconds; `None` when it was made so long ago that it no longer matters.
    pub created_at_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GrantRecord {
    pub id: String,
    /// The client's service principal id.
    pub client_id: String,
    pub consent_type: String,
    pub principal_id: Option<String>,
    /// The resource's (Microsoft Graph's) service principal id.
    pub resource_id: String,
    pub scope: String,
}

impl AppsRecord {
    fn capture(state: &apps::Apps, clock: &Clock) -> AppsRecord {
        AppsRecord {
            users_can_register_apps: state.users_can_register_apps,
            applications: state
                .applications
                .iter()
                .map(|a| ApplicationRecord {
                    id: a.id.clone(),
                    app_id: a.app_id.clone(),
                    display_name: a.display_name.clone(),
                    sign_in_audience: a.sign_in_audience.clone(),
                    public_client_redirect_uris: a.public_client_redirect_uris.clone(),
                    is_fallback_public_client: a.is_fallback_public_client,
                    required_resource_access: a
                        .required_resource_access
                        .iter()
                        .map(|r| ResourceAccessRecord {
                            resource_app_id: r.resource_app_id.clone(),
                            resource_access: r
                                .access
                                .iter()
                                .map(|(id, kind)| AccessRecord {
                                    id: id.clone(),
                                    kind: kind.clone(),
                                })
                                .collect(),
                        })
                        .collect(),
                    tags: a.tags.clone(),
                    notes: a.notes.clone(),
                    owner_id: a.owner_id.clone(),
                    created_at_ms: unix_millis(a.created_wall),
                })
                .collect(),
            service_principals: state
                .service_principals
                .iter()
                .filter(|sp| !apps::is_builtin(sp))
                .map(|sp| ServicePrincipalRecord {
                    id: sp.id.clone(),
                    app_id: sp.app_id.clone(),
                    display_name: sp.display_name.clone(),
                    created_at_ms: sp.created.map(|at| unix_millis(clock.wall_of(at))),
                })
                .collect(),
            grants: state
                .grants
                .iter()
                .map(|g| GrantRecord {
                    id: g.id.clone(),
                    client_id: g.client_id.clone(),
                    consent_type: g.consent_type.clone(),
                    principal_id: g.principal_id.clone(),
                    resource_id: g.resource_id.clone(),
                    scope: g.scope.clone(),
                })
                .collect(),
        }
    }

    /// Puts the records into a tenant's fresh `Apps`. A creation time this process's clock
    /// cannot express is before the machine booted: long replicated. Duplicates (of an object
    /// already there, or of one every tenant has) are skipped with a warning.
    fn restore_into(self, state: &mut apps::Apps, clock: &Clock) {
        state.users_can_register_apps = self.users_can_register_apps;
        for a in self.applications {
            if state.applications.iter().any(|b| {
                b.id.eq_ignore_ascii_case(&a.id) || b.app_id.eq_ignore_ascii_case(&a.app_id)
            }) {
                log::warn!(
                    "sim: state file has application {} twice; skipped it",
                    a.app_id
                );
                continue;
            }
            let created_wall = from_unix_millis(a.created_at_ms);
            state.applications.push(SimApplication {
                id: a.id,
                app_id: a.app_id,
                display_name: a.display_name,
                sign_in_audience: a.sign_in_audience,
                public_client_redirect_uris: a.public_client_redirect_uris,
                is_fallback_public_client: a.is_fallback_public_client,
                required_resource_access: a
                    .required_resource_access
                    .into_iter()
                    .map(|r| ResourceAccess {
                        resource_app_id: r.resource_app_id,
                        access: r
                            .resource_access
                            .into_iter()
                            .map(|x| (x.id, x.kind))
                            .collect(),
                    })
                    .collect(),
                tags: a.tags,
                notes: a.notes,
                owner_id: a.owner_id,
                created_wall,
                created: clock.instant_of(created_wall),
            });
        }
        for sp in self.service_principals {
            if state.service_principals.iter().any(|b| {
                b.id.eq_ignore_ascii_case(&sp.id) || b.app_id.eq_ignore_ascii_case(&sp.app_id)
            }) {
                log::warn!(
                    "sim: state file has a second service principal for {}; skipped it",
                    sp.app_id
                );
                continue;
            }
            state.service_principals.push(SimServicePrincipal {
                id: sp.id,
                app_id: sp.app_id,
                display_name: sp.display_name,
                created: sp
                    .created_at_ms
                    .and_then(|ms| clock.instant_of(from_unix_millis(ms))),
            });
        }
        for g in self.grants {
            if state.grants.iter().any(|b| b.id == g.id) {
                log::warn!("sim: state file has a permission grant twice; skipped it");
                continue;
            }
            state.grants.push(SimPermissionGrant {
                id: g.id,
                client_id: g.client_id,
                consent_type: g.consent_type,
                principal_id: g.principal_id,
                resource_id: g.resource_id,
                scope: g.scope,
            });
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConsentRecord {
    pub teams_telephone_number: bool,
    pub user_read_basic_all: bool,
    /// Absent in files written before the leavers lens: granted, as the default tenant has it.
    #[serde(default = "granted")]
    pub user_read_all: bool,
}

fn granted() -> bool {
    true
}

/// The part of a number that operations change; the rest comes from the seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NumberRecord {
    pub telephone_number: String,
    pub activation_state: String,
    pub assignment_status: String,
    pub assignment_target_id: Option<String>,
    pub assignment_category: Option<String>,
    pub location_id: Option<String>,
    pub civic_address_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RefreshTokenRecord {
    /// SHA-256 of the token, lower-case hex: the table key, not the token.
    pub sha256: String,
    pub user_id: String,
    pub client_id: String,
    /// As a token response's `scope` shows it.
    pub scope: String,
    pub issued_at_ms: u64,
    pub expires_at_ms: u64,
    pub state: RefreshState,
}

impl Snapshot {
    /// What must survive of `state`.
    pub fn capture(state: &State, seed: u64, clock: &Clock) -> Snapshot {
        let numbers = state
            .directory
            .numbers
            .iter()
            .map(|n| NumberRecord {
                telephone_number: n.telephone_number.clone(),
                activation_state: n.activation_state.clone(),
                assignment_status: n.assignment_status.clone(),
                assignment_target_id: n.assignment_target_id.clone(),
                assignment_category: n.assignment_category.clone(),
                location_id: n.location_id.clone(),
                civic_address_id: n.civic_address_id.clone(),
            })
            .collect();
        let mut refresh_tokens: Vec<RefreshTokenRecord> = state
            .auth
            .refresh
            .iter()
            .map(|(key, token)| RefreshTokenRecord {
                sha256: key.clone(),
                user_id: token.user_id.clone(),
                client_id: token.client_id.clone(),
                scope: token.scopes.to_scope_string(),
                issued_at_ms: unix_millis(token.issued_wall),
                expires_at_ms: unix_millis(clock.wall_of(token.expires_at)),
                state: token.state,
            })
            .collect();
        refresh_tokens.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        Snapshot {
            format: FORMAT.to_string(),
            version: VERSION,
            seed,
            consent: ConsentRecord {
                teams_telephone_number: state.auth.consent.teams_telephone_number,
                user_read_basic_all: state.auth.consent.user_read_basic_all,
                user_read_all: state.auth.consent.user_read_all,
            },
            numbers,
            refresh_tokens,
            operations: state.operations.records(),
            apps: AppsRecord::capture(&state.apps, clock),
        }
    }

    /// Puts the snapshot into a tenant freshly generated from the same seed. Entries that no
    /// longer make sense (a number the seed does not have, a scope this sim does not know) are
    /// skipped with a warning rather than failing the whole file.
    pub fn restore_into(self, state: &mut State, clock: &Clock) {
        state.auth.consent = Consent {
            teams_telephone_number: self.consent.teams_telephone_number,
            user_read_basic_all: self.consent.user_read_basic_all,
            user_read_all: self.consent.user_read_all,
        };
        for record in self.numbers {
            let known_states = ASSIGNMENT_STATUSES.contains(&record.assignment_status.as_str())
                && ACTIVATION_STATES.contains(&record.activation_state.as_str());
            let number = state
                .directory
                .numbers
                .iter_mut()
                .find(|n| n.telephone_number == record.telephone_number);
            let Some(number) = number.filter(|_| known_states) else {
                log::warn!(
                    "sim: state file entry for number {} skipped (unknown number or state)",
                    record.telephone_number
                );
                continue;
            };
            number.activation_state = record.activation_state;
            number.assignment_status = record.assignment_status;
            number.assignment_target_id = record.assignment_target_id;
            number.assignment_category = record.assignment_category;
            number.location_id = record.location_id;
            number.civic_address_id = record.civic_address_id;
        }
        for record in self.refresh_tokens {
            let key_ok = record.sha256.len() == 64
                && record
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            let scopes = Scopes::parse(&record.scope, "", &crate::apps::Granted::default()).ok();
            let (true, Some(scopes)) = (key_ok, scopes) else {
                log::warn!("sim: state file has a malformed refresh token entry; skipped it");
                continue;
            };
            // A time this process cannot express is long past: the token has expired.
            let expires_at = clock
                .instant_of(from_unix_millis(record.expires_at_ms))
                .unwrap_or(clock.instant());
            state.auth.refresh.insert(
                record.sha256,
                RefreshToken {
                    user_id: record.user_id,
                    client_id: record.client_id,
                    scopes,
                    issued_wall: from_unix_millis(record.issued_at_ms),
                    expires_at,
                    state: record.state,
                },
            );
        }
        state.operations.restore(self.operations, clock);
        self.apps.restore_into(&mut state.apps, clock);
    }
}

/// What was found at the state file's path when the sim started.
#[derive(Debug)]
pub(crate) enum Loaded {
    /// No file: start from the seed.
    Missing,
    /// A usable file.
    Found(Snapshot),
    /// A damaged file, now moved aside: start from the seed.
    MovedAside,
    /// A damaged file that could not be moved: start from the seed and do not save.
    Stuck,
}

/// Reads the state file at `path` for a tenant generated from `seed`.
pub(crate) fn load(path: &Path, seed: u64) -> Loaded {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Loaded::Missing,
        Err(e) => return move_aside(path, &format!("could not be read ({e})")),
    };
    let snapshot: Snapshot = match serde_json::from_slice(&bytes) {
        Ok(snapshot) => snapshot,
        Err(e) => return move_aside(path, &format!("is not a valid state file ({e})")),
    };
    if snapshot.format != FORMAT || snapshot.version != VERSION {
        return move_aside(
            path,
            &format!(
                "has format '{}' version {}, not '{FORMAT}' version {VERSION}",
                snapshot.format, snapshot.version
            ),
        );
    }
    if snapshot.seed != seed {
        return move_aside(
            path,
            &format!(
                "belongs to the tenant of seed {:#x}, not {seed:#x}",
                snapshot.seed
            ),
        );
    }
    Loaded::Found(snapshot)
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| OsString::from("state"));
    name.push(suffix);
    path.with_file_name(name)
}

/// Renames a damaged state file to `<name>.damaged-<unix seconds>` (plus `-2`, `-3`… if
/// that name is taken, so no earlier damaged file is overwritten).
fn move_aside(path: &Path, why: &str) -> Loaded {
    let seconds = unix_millis(SystemTime::now()) / 1000;
    let mut aside = with_suffix(path, &format!(".damaged-{seconds}"));
    let mut n = 2;
    while fs::symlink_metadata(&aside).is_ok() && n < 1000 {
        aside = with_suffix(path, &format!(".damaged-{seconds}-{n}"));
        n += 1;
    }
    match fs::rename(path, &aside) {
        Ok(()) => {
            log::warn!(
                "sim: state file {} {why}; moved it to {} and started the demo tenant from its seed",
                path.display(),
                aside.display()
            );
            Loaded::MovedAside
        }
        Err(e) => {
            log::warn!(
                "sim: state file {} {why}, and it could not be moved aside ({e}); started the \
                 demo tenant from its seed and will not save it this session",
                path.display()
            );
            Loaded::Stuck
        }
    }
}

/// Writes `bytes` to `path` so that a reader sees either the old file or the new one, whole.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        fs::create_dir_all(dir)?;
    }
    let tmp = with_suffix(path, ".tmp");
    let written = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        // Best effort: a leftover temporary file is harmless, the next write replaces it.
        let _ = fs::remove_file(&tmp);
    }
    written?;
    // Make the rename itself durable. Directories cannot be opened this way on Windows.
    #[cfg(unix)]
    if let Some(dir) = dir {
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Writes the state file when what must survive has changed.
#[derive(Debug)]
pub(crate) struct Persister {
    path: PathBuf,
    seed: u64,
    clock: Clock,
    /// What the file holds now (or, before the first write, what it would hold).
    last: Vec<u8>,
    /// Off when a damaged file could not be moved aside.
    enabled: bool,
    /// Whether the last write failed, so a stuck disk is reported once, not per request.
    failing: bool,
}

impl Persister {
    /// Loads the state file at `path` into `state` (a tenant just generated from `seed`).
    pub fn open(path: PathBuf, seed: u64, state: &mut State) -> Persister {
        let clock = Clock::now();
        let enabled = match load(&path, seed) {
            Loaded::Found(snapshot) => {
                snapshot.restore_into(state, &clock);
                log::info!("sim: demo tenant restored from {}", path.display());
                true
            }
            Loaded::Missing => {
                log::info!(
                    "sim: no state file at {} yet; demo tenant starts from its seed",
                    path.display()
                );
                true
            }
            Loaded::MovedAside => true,
            Loaded::Stuck => false,
        };
        let mut persister = Persister {
            path,
            seed,
            clock,
            last: Vec::new(),
            enabled,
            failing: false,
        };
        persister.last = persister.encode(state).unwrap_or_default();
        persister
    }

    fn encode(&self, state: &State) -> Option<Vec<u8>> {
        let snapshot = Snapshot::capture(state, self.seed, &self.clock);
        match serde_json::to_vec_pretty(&snapshot) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                log::warn!("sim: could not serialise the demo tenant's state: {e}");
                None
            }
        }
    }

    /// Serialises `state`; the caller writes it with [`Persister::write`] after letting go
    /// of the state lock (but not of this persister).
    pub fn snapshot(&self, state: &State) -> Option<Vec<u8>> {
        if self.enabled {
            self.encode(state)
        } else {
            None
        }
    }

    /// Writes `bytes` unless the file already holds them. Failures are logged, not returned:
    /// the demo goes on in memory.
    pub fn write(&mut self, bytes: Vec<u8>) {
        if bytes == self.last {
            return;
        }
        match write_atomically(&self.path, &bytes) {
            Ok(()) => {
                if self.failing {
                    log::info!("sim: state file {} written again", self.path.display());
                }
                self.failing = false;
                self.last = bytes;
            }
            Err(e) if !self.failing => {
                self.failing = true;
                log::warn!(
                    "sim: could not write the state file {}: {e}; the demo tenant goes on in \
                     memory and will try again at the next change",
                    self.path.display()
                );
            }
            Err(e) => log::debug!(
                "sim: state file {} still not written: {e}",
                self.path.display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn clock_conversions_round_trip_exactly() {
        let clock = Clock::now();
        let later = clock.instant() + Duration::from_millis(1234);
        let wall = clock.wall_of(later);
        assert_eq!(clock.instant_of(wall), Some(later));
        let ms = unix_millis(wall);
        let again = clock.instant_of(from_unix_millis(ms)).unwrap();
        assert_eq!(unix_millis(clock.wall_of(again)), ms);
        // Long before this machine booted: some platforms cannot express it as an Instant;
        // those that can must still put it in the past.
        if let Some(epoch) = clock.instant_of(UNIX_EPOCH) {
            assert!(epoch < clock.instant());
        }
    }

    #[test]
    fn atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("state.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert!(!with_suffix(&path, ".tmp").exists());
    }

    #[test]
    fn damaged_files_are_moved_aside_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, b"first").unwrap();
        assert!(matches!(load(&path, 1), Loaded::MovedAside));
        fs::write(&path, br#"{"format":"numberdesk-sim-state"}"#).unwrap();
        assert!(matches!(load(&path, 1), Loaded::MovedAside));
        assert!(!path.exists());
        let mut kept: Vec<Vec<u8>> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| fs::read(e.unwrap().path()).unwrap())
            .collect();
        kept.sort();
        assert_eq!(
            kept,
            [&b"first"[..], &br#"{"format":"numberdesk-sim-state"}"#[..]]
        );
        assert!(matches!(load(&path, 1), Loaded::Missing));
    }

    #[test]
    fn a_file_of_another_seed_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let snapshot = Snapshot {
            format: FORMAT.to_string(),
            version: VERSION,
            seed: 7,
            consent: ConsentRecord {
                teams_telephone_number: true,
                user_read_basic_all: true,
                user_read_all: true,
            },
            numbers: Vec::new(),
            refresh_tokens: Vec::new(),
            operations: Vec::new(),
            apps: AppsRecord::default(),
        };
        fs::write(&path, serde_json::to_vec(&snapshot).unwrap()).unwrap();
        assert!(matches!(load(&path, 7), Loaded::Found(_)));
        assert!(matches!(load(&path, 8), Loaded::MovedAside));
    }
}
