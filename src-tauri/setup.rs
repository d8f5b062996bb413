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

/// Checks the tenant: a directory (tenant) ID, a domain, or `organizations`.
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
        if self.cloud == CloudId::Custom {
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
