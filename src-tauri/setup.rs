//! Which tenant NumberDesk signs in to: cloud, tenant and the app registration's client ID.
//!
//! Three sources, strongest first: the test hooks (environment), a **managed preset** file that
//! IT places on the machine (it fills and locks the fields, so an MSI rollout needs no typing),
//! and what the admin typed on the first-run screen (tauri-plugin-store). A malformed preset is
//! reported to the admin, never ignored: ignoring it would quietly send a sign-in elsewhere.

use crate::cloud::CloudId;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The three answers of the first-run setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Setup {
    pub cloud: CloudId,
    pub tenant: String,
    pub client_id: String,
}

/// A field of [`Setup`] and what is wrong with it, for the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_domain(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    labels.len() >= 2
        && text.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic()))
}

/// Checks the tenant: a directory (tenant) ID, a domain, or `organizations` (accepted, with
/// [`tenant_warning`]).
pub fn check_tenant(tenant: &str) -> Result<(), String> {
    let tenant = tenant.trim();
    if tenant.is_empty() {
        return Err(
            "Enter your Directory (tenant) ID, your organisation’s domain, or “organizations”."
                .into(),
        );
    }
    if tenant.eq_ignore_ascii_case("common") || tenant.eq_ignore_ascii_case("consumers") {
        return Err(
            "Personal Microsoft accounts cannot manage Teams phone numbers: use your tenant ID, your domain, or “organizations”."
                .into(),
        );
    }
    if tenant.eq_ignore_ascii_case("organizations") || is_guid(tenant) || is_domain(tenant) {
        return Ok(());
    }
    if tenant.contains('@') {
        return Err("That looks like an email address: enter only the part after the @ (for example contoso.onmicrosoft.com).".into());
    }
    Err("Enter a tenant ID (like 72f988bf-86f1-41af-91ab-2d7cd011db47), a domain (like contoso.onmicrosoft.com), or “organizations”.".into())
}

/// The warnings for a tenant field, in the form the setup screen lists them.
fn tenant_warnings(tenant: &str) -> Vec<FieldProblem> {
    tenant_warning(tenant)
        .map(|message| FieldProblem {
            field: "tenant",
            message: message.into(),
        })
        .into_iter()
        .collect()
}

/// What to know about an accepted tenant: `organizations` works only for a multi-tenant app
/// registration; a single-tenant one (what the README describes) is refused by Microsoft with
/// AADSTS50194, on its own page in the browser.
pub fn tenant_warning(tenant: &str) -> Option<&'static str> {
    tenant.trim().eq_ignore_ascii_case("organizations").then_some(
        "“organizations” works only if your app registration is multi-tenant (Supported account types: accounts in any organizational directory). For a single-tenant registration, enter your tenant ID or your domain instead, or Microsoft will refuse the sign-in (AADSTS50194).",
    )
}

/// Checks the client ID: the app registration's Application (client) ID, a GUID.
pub fn check_client_id(client_id: &str) -> Result<(), String> {
    let client_id = client_id.trim();
    if client_id.is_empty() {
        return Err(
            "Enter the Application (client) ID from the app registration’s Overview page.".into(),
        );
    }
    if is_guid(client_id) {
        Ok(())
    } else {
        Err("The Application (client) ID is a GUID like 11111111-2222-3333-4444-555555555555 (copy it from the app registration’s Overview page).".into())
    }
}

impl Setup {
    /// Every field's problem, empty when the setup is usable.
    pub fn problems(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        if matches!(self.cloud, CloudId::Custom | CloudId::Demo) {
            problems.push(FieldProblem {
                field: "cloud",
                message: "Choose one of Microsoft’s clouds.".into(),
            });
        }
        if let Err(message) = check_tenant(&self.tenant) {
            problems.push(FieldProblem {
                field: "tenant",
                message,
            });
        }
        if let Err(message) = check_client_id(&self.client_id) {
            problems.push(FieldProblem {
                field: "clientId",
                message,
            });
        }
        problems
    }

    /// Things that are allowed but worth knowing, shown beside the field without blocking save.
    pub fn warnings(&self) -> Vec<FieldProblem> {
        tenant_warnings(&self.tenant)
    }

    /// The same setup with surrounding spaces removed.
    pub fn trimmed(&self) -> Setup {
        Setup {
            cloud: self.cloud,
            tenant: self.tenant.trim().to_owned(),
            client_id: self.client_id.trim().to_owned(),
        }
    }
}

/// Where IT places the managed preset on this OS.
pub fn managed_preset_path() -> PathBuf {
    if cfg!(target_os = "windows") {
        let base = std::env::var_os("ProgramData").unwrap_or_else(|| "C:\\ProgramData".into());
        PathBuf::from(base).join("NumberDesk").join("managed.json")
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/NumberDesk/managed.json")
    } else {
        PathBuf::from("/etc/numberdesk/managed.json")
    }
}

/// Why a managed preset could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresetError {
    #[error("the preset file {path} could not be read: {detail}")]
    Unreadable { path: String, detail: String },
    #[error("the preset file {path} is not valid: {detail}")]
    Malformed { path: String, detail: String },
}

/// The preset's text, in the encodings IT's tools write: UTF-8 with or without a byte-order
/// mark (PowerShell 7, `Set-Content -Encoding UTF8`, a shell), and UTF-16 with a mark, little
/// endian (Windows PowerShell 5.1's `Out-File` and `>`) or big endian. Anything else is refused
/// with the fix, never guessed at: a mis-decoded tenant would send the sign-in elsewhere.
pub fn decode_preset(bytes: &[u8]) -> Result<String, String> {
    const HOW: &str = "save it as UTF-8 (Set-Content -Encoding UTF8) or as UTF-16 with a \
                       byte-order mark (Out-File)";
    let utf16 = |body: &[u8], from: fn([u8; 2]) -> u16| {
        if !body.len().is_multiple_of(2) {
            return Err(format!(
                "it starts like UTF-16 but has an odd number of bytes; {HOW}"
            ));
        }
        let units = body.chunks_exact(2).map(|pair| from([pair[0], pair[1]]));
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| format!("it is not valid UTF-16; {HOW}"))
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, body @ ..] => String::from_utf8(body.to_vec())
            .map_err(|_| format!("it is not valid UTF-8 after its byte-order mark; {HOW}")),
        [0xFF, 0xFE, body @ ..] => utf16(body, u16::from_le_bytes),
        [0xFE, 0xFF, body @ ..] => utf16(body, u16::from_be_bytes),
        body if body.contains(&0) => Err(format!(
            "it looks like UTF-16 without a byte-order mark; {HOW}"
        )),
        body => String::from_utf8(body.to_vec()).map_err(|_| {
            format!("it is not UTF-8 (perhaps a Windows code page such as ANSI); {HOW}")
        }),
    }
}

/// Reads the managed preset at `path`: `Ok(None)` when there is none.
pub fn read_managed_preset(path: &Path) -> Result<Option<Setup>, PresetError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(PresetError::Unreadable {
                path: path.display().to_string(),
                detail: error.to_string(),
            })
        }
    };
    let malformed = |detail: String| PresetError::Malformed {
        path: path.display().to_string(),
        detail,
    };
    let text = decode_preset(&bytes).map_err(malformed)?;
    let setup: Setup = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
    let setup = setup.trimmed();
    if let Some(problem) = setup.problems().first() {
        return Err(malformed(format!("{}: {}", problem.field, problem.message)));
    }
    Ok(Some(setup))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_admins_type() {
        for ok in [
            "organizations",
            "Organizations",
            "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "contoso.onmicrosoft.com",
            " fabrikam.com ",
            "contoso.onmicrosoft.us",
        ] {
            assert_eq!(check_tenant(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "common",
            "consumers",
            "adele@contoso.com",
            "contoso",
            "contoso..com",
            "-x.com",
            "72f988bf-86f1-41af",
        ] {
            assert!(check_tenant(bad).is_err(), "{bad}");
        }
        assert!(check_tenant("adele@contoso.com")
            .unwrap_err()
            .contains("after the @"));
    }

    #[test]
    fn client_ids_are_guids() {
        assert_eq!(
            check_client_id("11111111-2222-3333-4444-555555555555"),
            Ok(())
        );
        assert_eq!(
            check_client_id(" ABCDEF01-2222-3333-4444-555555555555 "),
            Ok(())
        );
        for bad in [
            "",
            "NumberDesk",
            "11111111222233334444555555555555",
            "1111111-2222-3333-4444-555555555555x",
        ] {
            assert!(check_client_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn setup_lists_every_field_problem() {
        let setup = Setup {
            cloud: CloudId::Custom,
            tenant: "common".into(),
            client_id: "x".into(),
        };
        let fields: Vec<_> = setup.problems().iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["cloud", "tenant", "clientId"]);
    }

    #[test]
    fn organizations_is_accepted_with_a_multi_tenant_warning() {
        let with = |tenant: &str| Setup {
            cloud: CloudId::Global,
            tenant: tenant.into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
        };
        let organizations = with(" Organizations ");
        assert!(
            organizations.problems().is_empty(),
            "a warning, not a refusal"
        );
        let warnings = organizations.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].field, "tenant");
        assert!(warnings[0].message.contains("multi-tenant"), "{warnings:?}");
        assert!(warnings[0].message.contains("tenant ID"), "{warnings:?}");
        for tenant in [
            "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "contoso.onmicrosoft.com",
        ] {
            assert!(with(tenant).warnings().is_empty(), "{tenant}");
        }
    }

    const PRESET_TEXT: &str = "{\"cloud\":\"global\",\"tenant\":\"contoso.onmicrosoft.com\",\"clientId\":\"11111111-2222-3333-4444-555555555555\"}";

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|unit| {
                if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                }
            })
            .collect()
    }

    fn read_bytes(bytes: &[u8]) -> Result<Option<Setup>, PresetError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("managed.json");
        std::fs::write(&path, bytes).unwrap();
        read_managed_preset(&path)
    }

    /// What IT's scripts write: UTF-8 with or without a byte-order mark (PowerShell 7,
    /// `Set-Content -Encoding UTF8`, a shell heredoc), UTF-16 LE with a mark (Windows
    /// PowerShell 5.1's `Out-File` and `>`), and UTF-16 BE with a mark; CRLF or LF.
    #[test]
    fn managed_presets_are_read_in_every_encoding_it_scripts_write() {
        let with_crlf = format!("{PRESET_TEXT}\r\n");
        let encodings: [(&str, Vec<u8>); 5] = [
            ("UTF-8", with_crlf.clone().into_bytes()),
            ("UTF-8, LF", format!("{PRESET_TEXT}\n").into_bytes()),
            (
                "UTF-8 with BOM",
                [&b"\xEF\xBB\xBF"[..], with_crlf.as_bytes()].concat(),
            ),
            (
                "UTF-16 LE with BOM",
                [&b"\xFF\xFE"[..], &utf16(&with_crlf, false)].concat(),
            ),
            (
                "UTF-16 BE with BOM",
                [&b"\xFE\xFF"[..], &utf16(&with_crlf, true)].concat(),
            ),
        ];
        for (encoding, bytes) in encodings {
            let setup = read_bytes(&bytes)
                .unwrap_or_else(|e| panic!("{encoding}: {e}"))
                .unwrap_or_else(|| panic!("{encoding}: no preset"));
            assert_eq!(setup.cloud, CloudId::Global, "{encoding}");
            assert_eq!(setup.tenant, "contoso.onmicrosoft.com", "{encoding}");
            assert_eq!(
                setup.client_id, "11111111-2222-3333-4444-555555555555",
                "{encoding}"
            );
        }
    }

    /// The README's rollout script, as Windows PowerShell 5.1 writes it: the fixtures are the
    /// exact bytes of `'…' | Out-File` (UTF-16 LE, BOM, CRLF) and of the README's
    /// `'…' | Set-Content -Encoding UTF8` (UTF-8, BOM, CRLF) for the string in the README.
    #[test]
    fn the_readme_rollout_script_output_is_read_as_written_by_powershell_5_1() {
        let readme = include_str!("../README.md");
        let script_line = readme
            .lines()
            .find(|line| line.trim_start().starts_with("'{\"cloud\"") && line.contains("' |"))
            .expect("the README's PowerShell rollout script pipes the preset as a string");
        let preset = script_line.trim_start().trim_start_matches('\'');
        let preset = &preset[..preset.find("' |").unwrap()];
        assert_eq!(preset, PRESET_TEXT, "the fixtures below follow the README");

        let out_file = include_bytes!("../tests/fixtures/managed-preset/out-file-ps51.json");
        let expected = [&b"\xFF\xFE"[..], &utf16(&format!("{preset}\r\n"), false)].concat();
        assert_eq!(&out_file[..], &expected[..]);
        let set_content =
            include_bytes!("../tests/fixtures/managed-preset/set-content-utf8-ps51.json");
        let expected = [&b"\xEF\xBB\xBF"[..], format!("{preset}\r\n").as_bytes()].concat();
        assert_eq!(&set_content[..], &expected[..]);

        for bytes in [&out_file[..], &set_content[..]] {
            let setup = read_bytes(bytes).unwrap().unwrap();
            assert_eq!(setup.tenant, "contoso.onmicrosoft.com");
            assert_eq!(setup.client_id, "11111111-2222-3333-4444-555555555555");
        }
    }

    #[test]
    fn a_preset_in_another_encoding_is_reported_with_how_to_save_it() {
        let latin1 = b"{\"cloud\":\"global\",\"tenant\":\"m\xFCller.example.com\",\"clientId\":\"11111111-2222-3333-4444-555555555555\"}";
        let no_bom_utf16 = utf16(PRESET_TEXT, false);
        let odd_utf16 = [&b"\xFF\xFE"[..], &utf16(PRESET_TEXT, false), b"\x00"].concat();
        let lone_surrogate = [&b"\xFF\xFE"[..], &[0x00, 0xD8, 0x7B, 0x00][..]].concat();
        for bytes in [&latin1[..], &no_bom_utf16, &odd_utf16, &lone_surrogate] {
            match read_bytes(bytes) {
                Err(PresetError::Malformed { detail, .. }) => {
                    assert!(detail.contains("UTF-8"), "{detail}");
                    assert!(detail.contains("UTF-16"), "{detail}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn managed_presets_are_read_and_bad_ones_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("managed.json");
        assert_eq!(read_managed_preset(&path), Ok(None));

        std::fs::write(
            &path,
            "\u{feff}{\"cloud\":\"global\",\"tenant\":\"contoso.onmicrosoft.com\",\"clientId\":\"11111111-2222-3333-4444-555555555555\"}",
        )
        .unwrap();
        let setup = read_managed_preset(&path).unwrap().unwrap();
        assert_eq!(setup.cloud, CloudId::Global);
        assert_eq!(setup.tenant, "contoso.onmicrosoft.com");

        for bad in [
            "{\"cloud\":\"global\"",
            "{\"cloud\":\"mars\",\"tenant\":\"organizations\",\"clientId\":\"11111111-2222-3333-4444-555555555555\"}",
            "{\"cloud\":\"global\",\"tenant\":\"common\",\"clientId\":\"11111111-2222-3333-4444-555555555555\"}",
            "{\"cloud\":\"global\",\"tenant\":\"organizations\",\"clientId\":\"11111111-2222-3333-4444-555555555555\",\"extra\":1}",
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(
                matches!(read_managed_preset(&path), Err(PresetError::Malformed { .. })),
                "{bad}"
            );
        }
    }
}

/// Who fixed a field, so the form can say why it cannot be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LockedBy {
    /// `--demo`: the built-in demo tenant.
    Demo,
    /// The `NUMBERDESK_*` environment variables.
    TestHooks,
    /// IT's managed preset file.
    Managed,
}

/// Which fields are fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Locks {
    pub cloud: bool,
    pub tenant: bool,
    pub client_id: bool,
}

/// Fixed values from how the app was started (demo or test hooks).
#[derive(Debug, Clone, Default)]
pub struct LaunchFixed {
    pub cloud: Option<crate::cloud::Cloud>,
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub by: Option<LockedBy>,
    /// `NUMBERDESK_MANAGED_PRESET` was set but IT's preset file exists, so it was not used
    /// (see [`preset_location`]).
    pub preset_override_ignored: bool,
}

impl LaunchFixed {
    /// The `NUMBERDESK_*` variables behind these values (none for the demo).
    fn hook_variables(&self) -> Vec<&'static str> {
        use crate::config::{ENV_CLIENT_ID, ENV_GRAPH_URL, ENV_LOGIN_URL, ENV_TENANT};
        let mut names = Vec::new();
        if self.by == Some(LockedBy::TestHooks) {
            if self.cloud.is_some() {
                names.extend([ENV_LOGIN_URL, ENV_GRAPH_URL]);
            }
            if self.tenant.is_some() {
                names.push(ENV_TENANT);
            }
            if self.client_id.is_some() {
                names.push(ENV_CLIENT_ID);
            }
        }
        names
    }
}

/// Where to read the managed preset: IT's file at `os_path` whenever it exists, even when the
/// tests' `NUMBERDESK_MANAGED_PRESET` names another file — an environment variable must not
/// undo IT's lock. Returns the path and whether the variable was ignored.
pub fn preset_location(os_path: PathBuf, test_override: Option<PathBuf>) -> (PathBuf, bool) {
    match test_override {
        Some(_) if os_path.exists() => (os_path, true),
        Some(path) => (path, false),
        None => (os_path, false),
    }
}

/// The setup in force, where each part came from, and whether it is complete.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// `None` only when a saved setup names no usable cloud.
    pub cloud: Option<crate::cloud::Cloud>,
    pub tenant: String,
    pub client_id: String,
    pub locks: Locks,
    pub locked_by: Option<LockedBy>,
    pub preset_problem: Option<PresetError>,
    /// `NUMBERDESK_*` variables that were set but not used, because IT's preset locks the
    /// setup. The window says so.
    pub ignored_hooks: Vec<&'static str>,
}

impl Resolved {
    /// Accepted but worth a warning beside the field (see [`Setup::warnings`]).
    pub fn warnings(&self) -> Vec<FieldProblem> {
        tenant_warnings(&self.tenant)
    }

    /// Field problems; empty when NumberDesk can sign in with this setup.
    pub fn problems(&self) -> Vec<FieldProblem> {
        let as_setup = Setup {
            // A custom cloud (demo, test hooks) is fine here; only the admin cannot pick it.
            cloud: match &self.cloud {
                Some(cloud) if matches!(cloud.id, CloudId::Custom | CloudId::Demo) => {
                    CloudId::Global
                }
                Some(cloud) => cloud.id,
                None => CloudId::Custom,
            },
            tenant: self.tenant.clone(),
            client_id: self.client_id.clone(),
        };
        as_setup.problems()
    }

    /// Where to sign in, when the setup is complete.
    /// Where to sign in, or why NumberDesk cannot yet.
    pub fn require_target(&self) -> Result<crate::auth::SignInTarget, SetupIncomplete> {
        self.target().ok_or(SetupIncomplete)
    }

    pub fn target(&self) -> Option<crate::auth::SignInTarget> {
        let cloud = self.cloud.clone()?;
        self.problems()
            .is_empty()
            .then(|| crate::auth::SignInTarget {
                cloud,
                tenant: self.tenant.trim().to_owned(),
                client_id: self.client_id.trim().to_owned(),
            })
    }
}

/// The cloud, tenant or client ID is missing or not valid yet, so there is nowhere to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the setup is not complete")]
pub struct SetupIncomplete;

/// Why a setup from the form is not saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaveRefused {
    /// Every field is fixed (demo, test hooks or IT's preset).
    #[error("These settings are fixed and cannot be changed here.")]
    Locked,
    /// The first problem with a field the admin may change.
    #[error("{0}")]
    Invalid(String),
}

impl Resolved {
    /// Checks a setup typed into the form against the one in force: refused when every field
    /// is locked, or when a field the admin may change has a problem. Problems of locked
    /// fields do not count, as those fields keep their fixed value. Returns it trimmed.
    pub fn accept(&self, setup: &Setup) -> Result<Setup, SaveRefused> {
        let setup = setup.trimmed();
        if self.locks.cloud && self.locks.tenant && self.locks.client_id {
            return Err(SaveRefused::Locked);
        }
        let first = setup.problems().into_iter().find(|p| {
            !(p.field == "cloud" && self.locks.cloud
                || p.field == "tenant" && self.locks.tenant
                || p.field == "clientId" && self.locks.client_id)
        });
        match first {
            Some(problem) => Err(SaveRefused::Invalid(problem.message)),
            None => Ok(setup),
        }
    }
}

/// Combines, strongest first: the demo, IT's managed preset, the test hooks, and what the
/// admin saved. IT's preset beats the `NUMBERDESK_*` hooks: anyone can set a variable in a
/// shortcut, and a lock it could undo would be no lock. The demo beats the preset, as it signs
/// in to nothing real.
pub fn resolve(
    launch: &LaunchFixed,
    preset: Result<Option<Setup>, PresetError>,
    saved: Option<Setup>,
) -> Resolved {
    let (preset, preset_problem) = match preset {
        Ok(preset) => (preset, None),
        Err(error) => (None, Some(error)),
    };
    let mut ignored_hooks = Vec::new();
    if launch.preset_override_ignored {
        ignored_hooks.push(crate::config::ENV_MANAGED_PRESET);
    }
    match preset {
        Some(preset) if launch.by != Some(LockedBy::Demo) => {
            ignored_hooks.extend(launch.hook_variables());
            return Resolved {
                cloud: crate::cloud::Cloud::microsoft(preset.cloud),
                tenant: preset.tenant,
                client_id: preset.client_id,
                locks: Locks {
                    cloud: true,
                    tenant: true,
                    client_id: true,
                },
                locked_by: Some(LockedBy::Managed),
                preset_problem: None,
                ignored_hooks,
            };
        }
        _ => {}
    }
    if let Some(cloud) = &launch.cloud {
        // The demo fixes only where its simulated Microsoft is. Its tenant and client ID are
        // where the demo starts (its own ready-made app), not a lock: "Set up for my
        // organization" fills them in on the demo tenant, saved in the demo's own settings.
        let demo = launch.by == Some(LockedBy::Demo);
        let (tenant, client_id) = if demo {
            (None, None)
        } else {
            (launch.tenant.clone(), launch.client_id.clone())
        };
        let saved = saved.unwrap_or(Setup {
            cloud: CloudId::Global,
            tenant: launch.tenant.clone().filter(|_| demo).unwrap_or_default(),
            client_id: launch
                .client_id
                .clone()
                .filter(|_| demo)
                .unwrap_or_default(),
        });
        return Resolved {
            cloud: Some(cloud.clone()),
            locks: Locks {
                cloud: true,
                tenant: tenant.is_some(),
                client_id: client_id.is_some(),
            },
            tenant: tenant.unwrap_or(saved.tenant),
            client_id: client_id.unwrap_or(saved.client_id),
            locked_by: launch.by,
            preset_problem,
            ignored_hooks,
        };
    }
    let saved = saved.unwrap_or(Setup {
        cloud: CloudId::Global,
        tenant: launch.tenant.clone().unwrap_or_default(),
        client_id: launch.client_id.clone().unwrap_or_default(),
    });
    Resolved {
        cloud: crate::cloud::Cloud::microsoft(saved.cloud),
        tenant: launch.tenant.clone().unwrap_or(saved.tenant),
        client_id: launch.client_id.clone().unwrap_or(saved.client_id),
        locks: Locks {
            cloud: false,
            tenant: launch.tenant.is_some(),
            client_id: launch.client_id.is_some(),
        },
        locked_by: (launch.tenant.is_some() || launch.client_id.is_some())
            .then_some(LockedBy::TestHooks),
        preset_problem,
        ignored_hooks,
    }
}

#[cfg(test)]
mod resolve_tests {
    use super::*;
    use crate::cloud::Cloud;

    const CLIENT: &str = "11111111-2222-3333-4444-555555555555";

    fn saved() -> Setup {
        Setup {
            cloud: CloudId::UsGovL4,
            tenant: "fabrikam.onmicrosoft.us".into(),
            client_id: CLIENT.into(),
        }
    }

    #[test]
    fn what_the_admin_saved_is_used_when_nothing_stronger_is_set() {
        let resolved = resolve(&LaunchFixed::default(), Ok(None), Some(saved()));
        assert_eq!(resolved.cloud.as_ref().unwrap().id, CloudId::UsGovL4);
        assert_eq!(resolved.locks, Locks::default());
        assert_eq!(resolved.locked_by, None);
        let target = resolved.target().unwrap();
        assert_eq!(target.tenant, "fabrikam.onmicrosoft.us");

        let empty = resolve(&LaunchFixed::default(), Ok(None), None);
        assert_eq!(empty.cloud.as_ref().unwrap().id, CloudId::Global);
        assert!(empty.target().is_none());
        assert_eq!(empty.problems().len(), 2);
    }

    #[test]
    fn a_managed_preset_fills_and_locks_everything() {
        let preset = Setup {
            cloud: CloudId::Global,
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: CLIENT.into(),
        };
        let resolved = resolve(&LaunchFixed::default(), Ok(Some(preset)), Some(saved()));
        assert_eq!(resolved.cloud.as_ref().unwrap().id, CloudId::Global);
        assert_eq!(resolved.tenant, "contoso.onmicrosoft.com");
        assert_eq!(resolved.locked_by, Some(LockedBy::Managed));
        assert!(resolved.locks.cloud && resolved.locks.tenant && resolved.locks.client_id);
    }

    #[test]
    fn a_bad_preset_is_reported_and_the_saved_setup_stays_usable() {
        let problem = PresetError::Malformed {
            path: "/etc/numberdesk/managed.json".into(),
            detail: "x".into(),
        };
        let resolved = resolve(&LaunchFixed::default(), Err(problem.clone()), Some(saved()));
        assert_eq!(resolved.preset_problem, Some(problem));
        assert!(resolved.target().is_some());
    }

    const DEMO_TENANT: &str = "b3a8e2d4-6c1f-4e97-a5d2-0f7c9e14b628";

    fn demo() -> LaunchFixed {
        LaunchFixed {
            cloud: Some(Cloud::custom("http://127.0.0.1:1", "http://127.0.0.1:2").unwrap()),
            tenant: Some(DEMO_TENANT.into()),
            client_id: Some(CLIENT.into()),
            by: Some(LockedBy::Demo),
            ..Default::default()
        }
    }

    #[test]
    fn the_demo_fixes_its_endpoints_and_beats_a_preset() {
        let resolved = resolve(&demo(), Ok(Some(saved())), None);
        assert_eq!(resolved.cloud.as_ref().unwrap().id, CloudId::Custom);
        assert_eq!(resolved.locked_by, Some(LockedBy::Demo));
        // Nothing saved in the demo's folder: its own app, ready to sign in.
        assert_eq!(
            (resolved.tenant.as_str(), resolved.client_id.as_str()),
            (DEMO_TENANT, CLIENT)
        );
        assert!(resolved.target().is_some());
        assert!(resolved.locks.cloud);
    }

    /// "Set up for my organization" on the demo tenant saves the app it made in the demo's
    /// own settings: that is what the demo signs in with, on the demo's endpoints still.
    #[test]
    fn the_demo_signs_in_with_the_app_setup_made_there() {
        let resolved = resolve(&demo(), Ok(None), None);
        assert!(resolved.locks.cloud && !resolved.locks.tenant && !resolved.locks.client_id);
        let made = Setup {
            cloud: CloudId::Demo,
            tenant: DEMO_TENANT.into(),
            client_id: "99999999-8888-7777-6666-555555555555".into(),
        };
        let accepted = resolved.accept(&made).unwrap();
        let after = resolve(&demo(), Ok(None), Some(accepted));
        let target = after.target().unwrap();
        assert_eq!(target.client_id, made.client_id);
        assert_eq!(target.cloud.login_url, demo().cloud.unwrap().login_url);
        assert_eq!(after.locked_by, Some(LockedBy::Demo));
    }

    /// IT's lock wins over the `NUMBERDESK_*` hooks (which anyone can set in a shortcut); the
    /// demo still wins, since it signs in to nothing real.
    #[test]
    fn a_managed_preset_beats_the_test_hooks() {
        let preset = Setup {
            cloud: CloudId::Global,
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: CLIENT.into(),
        };
        let hooks = LaunchFixed {
            cloud: Some(Cloud::custom("http://127.0.0.1:1", "http://127.0.0.1:2").unwrap()),
            tenant: Some("fabrikam.onmicrosoft.com".into()),
            client_id: Some("99999999-2222-3333-4444-555555555555".into()),
            by: Some(LockedBy::TestHooks),
            ..Default::default()
        };
        let resolved = resolve(&hooks, Ok(Some(preset.clone())), Some(saved()));
        assert_eq!(resolved.cloud.as_ref().unwrap().id, CloudId::Global);
        assert_eq!(
            resolved.cloud.as_ref().unwrap().login_root(),
            "https://login.microsoftonline.com"
        );
        assert_eq!(resolved.tenant, "contoso.onmicrosoft.com");
        assert_eq!(resolved.client_id, CLIENT);
        assert_eq!(resolved.locked_by, Some(LockedBy::Managed));
        assert!(resolved.locks.cloud && resolved.locks.tenant && resolved.locks.client_id);
        assert_eq!(
            resolved.target().unwrap().cloud.graph_root(),
            "https://graph.microsoft.com"
        );
        assert_eq!(
            resolved.ignored_hooks,
            [
                "NUMBERDESK_LOGIN_URL",
                "NUMBERDESK_GRAPH_URL",
                "NUMBERDESK_TENANT",
                "NUMBERDESK_CLIENT_ID"
            ]
        );

        // Only a tenant hook: still IT's tenant.
        let tenant_only = LaunchFixed {
            tenant: Some("fabrikam.onmicrosoft.com".into()),
            by: Some(LockedBy::TestHooks),
            ..Default::default()
        };
        let resolved = resolve(&tenant_only, Ok(Some(preset)), None);
        assert_eq!(resolved.tenant, "contoso.onmicrosoft.com");
        assert_eq!(resolved.locked_by, Some(LockedBy::Managed));
        assert_eq!(resolved.ignored_hooks, ["NUMBERDESK_TENANT"]);

        // A bad preset does not lock anything, so the hooks apply as before.
        let problem = PresetError::Malformed {
            path: "/etc/numberdesk/managed.json".into(),
            detail: "x".into(),
        };
        let resolved = resolve(&hooks, Err(problem), None);
        assert_eq!(resolved.locked_by, Some(LockedBy::TestHooks));
        assert_eq!(resolved.tenant, "fabrikam.onmicrosoft.com");
        assert!(resolved.ignored_hooks.is_empty());
    }

    #[test]
    fn the_tests_preset_variable_cannot_replace_an_existing_it_preset() {
        let dir = tempfile::tempdir().unwrap();
        let os_path = dir.path().join("managed.json");
        let test_path = dir.path().join("test-preset.json");
        assert_eq!(
            preset_location(os_path.clone(), Some(test_path.clone())),
            (test_path.clone(), false),
            "no IT preset: the tests' file is used"
        );
        assert_eq!(
            preset_location(os_path.clone(), None),
            (os_path.clone(), false)
        );
        std::fs::write(&os_path, "{}").unwrap();
        assert_eq!(
            preset_location(os_path.clone(), Some(test_path)),
            (os_path, true),
            "IT's file wins and the variable is reported as ignored"
        );
        let launch = LaunchFixed {
            preset_override_ignored: true,
            ..Default::default()
        };
        let preset = Setup {
            cloud: CloudId::Global,
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: CLIENT.into(),
        };
        assert_eq!(
            resolve(&launch, Ok(Some(preset)), None).ignored_hooks,
            ["NUMBERDESK_MANAGED_PRESET"]
        );
    }

    #[test]
    fn test_hook_endpoints_without_tenant_leave_the_rest_to_the_admin() {
        let hooks = LaunchFixed {
            cloud: Some(Cloud::custom("http://127.0.0.1:1", "http://127.0.0.1:2").unwrap()),
            by: Some(LockedBy::TestHooks),
            ..Default::default()
        };
        let resolved = resolve(&hooks, Ok(None), None);
        assert!(resolved.locks.cloud && !resolved.locks.tenant);
        assert!(resolved.target().is_none());
        let resolved = resolve(&hooks, Ok(None), Some(saved()));
        assert_eq!(
            resolved.cloud.as_ref().unwrap().id,
            CloudId::Custom,
            "the hooks' endpoints win"
        );
        assert!(resolved.target().is_some());
    }
}

#[cfg(test)]
mod save_tests {
    use super::*;

    fn in_force(locks: Locks) -> Resolved {
        Resolved {
            cloud: None,
            tenant: String::new(),
            client_id: String::new(),
            locks,
            locked_by: Some(LockedBy::Managed),
            preset_problem: None,
            ignored_hooks: Vec::new(),
        }
    }

    fn typed(tenant: &str, client_id: &str) -> Setup {
        Setup {
            cloud: CloudId::Global,
            tenant: tenant.into(),
            client_id: client_id.into(),
        }
    }

    #[test]
    fn a_fully_locked_setup_is_refused_whatever_is_typed() {
        let all = Locks {
            cloud: true,
            tenant: true,
            client_id: true,
        };
        let good = typed(
            "contoso.onmicrosoft.com",
            "11111111-2222-3333-4444-555555555555",
        );
        assert_eq!(in_force(all).accept(&good), Err(SaveRefused::Locked));
    }

    #[test]
    fn problems_of_locked_fields_do_not_count_but_those_of_free_fields_do() {
        let tenant_locked = Locks {
            tenant: true,
            ..Locks::default()
        };
        // The tenant is fixed, so its blank value is no problem; the client ID is trimmed.
        let accepted = in_force(tenant_locked)
            .accept(&typed("", " 11111111-2222-3333-4444-555555555555 "))
            .unwrap();
        assert_eq!(accepted.client_id, "11111111-2222-3333-4444-555555555555");
        // A free field with a problem is refused with that field's message.
        let refused = in_force(tenant_locked).accept(&typed("", "not-a-guid"));
        let expected = typed("", "not-a-guid")
            .problems()
            .into_iter()
            .find(|p| p.field == "clientId")
            .unwrap()
            .message;
        assert_eq!(refused, Err(SaveRefused::Invalid(expected)));
        // Unlocked, the blank tenant counts.
        assert!(matches!(
            in_force(Locks::default()).accept(&typed("", "11111111-2222-3333-4444-555555555555")),
            Err(SaveRefused::Invalid(_))
        ));
    }
}
