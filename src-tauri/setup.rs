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
        tenant_warning(&self.tenant)
            .map(|message| FieldProblem {
                field: "tenant",
                message: message.into(),
            })
            .into_iter()
            .collect()
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

/// Reads the managed preset at `path`: `Ok(None)` when there is none.
pub fn read_managed_preset(path: &Path) -> Result<Option<Setup>, PresetError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
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
    let setup: Setup = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| malformed(e.to_string()))?;
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
}

impl Resolved {
    /// Accepted but worth a warning beside the field (see [`Setup::warnings`]).
    pub fn warnings(&self) -> Vec<FieldProblem> {
        tenant_warning(&self.tenant)
            .map(|message| FieldProblem {
                field: "tenant",
                message: message.into(),
            })
            .into_iter()
            .collect()
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

/// Combines, strongest first: the launch (demo or test hooks), the managed preset, and what
/// the admin saved.
pub fn resolve(
    launch: &LaunchFixed,
    preset: Result<Option<Setup>, PresetError>,
    saved: Option<Setup>,
) -> Resolved {
    let (preset, preset_problem) = match preset {
        Ok(preset) => (preset, None),
        Err(error) => (None, Some(error)),
    };
    if let Some(cloud) = &launch.cloud {
        let saved = saved.unwrap_or(Setup {
            cloud: CloudId::Global,
            tenant: String::new(),
            client_id: String::new(),
        });
        return Resolved {
            cloud: Some(cloud.clone()),
            tenant: launch.tenant.clone().unwrap_or(saved.tenant),
            client_id: launch.client_id.clone().unwrap_or(saved.client_id),
            locks: Locks {
                cloud: true,
                tenant: launch.tenant.is_some(),
                client_id: launch.client_id.is_some(),
            },
            locked_by: launch.by,
            preset_problem,
        };
    }
    if let Some(preset) = preset {
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

    #[test]
    fn the_demo_fixes_everything_and_beats_a_preset() {
        let demo = LaunchFixed {
            cloud: Some(Cloud::custom("http://127.0.0.1:1", "http://127.0.0.1:2").unwrap()),
            tenant: Some("b3a8e2d4-6c1f-4e97-a5d2-0f7c9e14b628".into()),
            client_id: Some(CLIENT.into()),
            by: Some(LockedBy::Demo),
        };
        let resolved = resolve(&demo, Ok(Some(saved())), None);
        assert_eq!(resolved.cloud.as_ref().unwrap().id, CloudId::Custom);
        assert_eq!(resolved.locked_by, Some(LockedBy::Demo));
        assert!(resolved.target().is_some());
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
