//! How NumberDesk was started: the `--demo` flag and the test hooks.
//!
//! The hooks are environment variables so that tests, scripts and IT can point the app somewhere
//! without a settings screen: `NUMBERDESK_DATA_DIR` (settings, history, logs),
//! `NUMBERDESK_LOGIN_URL` + `NUMBERDESK_GRAPH_URL` (custom endpoints; plain http only for this
//! computer), `NUMBERDESK_TENANT` and `NUMBERDESK_CLIENT_ID`. Bad values are reported to the admin
//! in the window rather than ignored, because a silently ignored endpoint would send a sign-in
//! somewhere the admin did not intend.

use crate::cloud::{Cloud, EndpointError};
use std::path::PathBuf;

pub const ENV_DATA_DIR: &str = "NUMBERDESK_DATA_DIR";
pub const ENV_LOGIN_URL: &str = "NUMBERDESK_LOGIN_URL";
pub const ENV_GRAPH_URL: &str = "NUMBERDESK_GRAPH_URL";
pub const ENV_TENANT: &str = "NUMBERDESK_TENANT";
pub const ENV_CLIENT_ID: &str = "NUMBERDESK_CLIENT_ID";
/// Tests only: read the managed preset from this file instead of the OS location.
pub const ENV_MANAGED_PRESET: &str = "NUMBERDESK_MANAGED_PRESET";
/// Benchmarks only: print the time from process start to the first screen, then exit.
pub const ENV_EXIT_WHEN_READY: &str = "NUMBERDESK_EXIT_WHEN_READY";

/// What the command line and the environment asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LaunchOptions {
    /// `--demo`: run against the built-in simulated tenant.
    pub demo: bool,
    /// `NUMBERDESK_DATA_DIR`, when set.
    pub data_dir: Option<PathBuf>,
    /// `NUMBERDESK_LOGIN_URL` + `NUMBERDESK_GRAPH_URL`, when set.
    pub custom_cloud: Option<Cloud>,
    /// `NUMBERDESK_TENANT`, when set.
    pub tenant: Option<String>,
    /// `NUMBERDESK_CLIENT_ID`, when set.
    pub client_id: Option<String>,
    /// `NUMBERDESK_MANAGED_PRESET`, when set.
    pub managed_preset: Option<PathBuf>,
    /// Arguments NumberDesk does not know (some launchers add their own); kept for the log.
    pub ignored_args: Vec<String>,
}

/// A launch setting NumberDesk cannot honour.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LaunchError {
    #[error("{ENV_LOGIN_URL} is set but {ENV_GRAPH_URL} is not")]
    LoginWithoutGraph,
    #[error("{ENV_GRAPH_URL} is set but {ENV_LOGIN_URL} is not")]
    GraphWithoutLogin,
    #[error("--demo runs the built-in demo tenant, so it cannot be combined with {ENV_LOGIN_URL} and {ENV_GRAPH_URL}")]
    DemoWithCustomEndpoints,
    #[error("{variable}: {source}")]
    BadEndpoint {
        variable: &'static str,
        source: EndpointError,
    },
    #[error("{ENV_DATA_DIR} is set but empty")]
    EmptyDataDir,
}

impl LaunchError {
    /// What the admin (or whoever set the variables) should do about it.
    pub fn hint(&self) -> String {
        match self {
            LaunchError::LoginWithoutGraph | LaunchError::GraphWithoutLogin => format!(
                "Set both {ENV_LOGIN_URL} and {ENV_GRAPH_URL}, or neither, then start NumberDesk again."
            ),
            LaunchError::DemoWithCustomEndpoints => format!(
                "Start NumberDesk without --demo, or unset {ENV_LOGIN_URL} and {ENV_GRAPH_URL}."
            ),
            LaunchError::BadEndpoint { variable, .. } => format!(
                "Correct {variable} (for example https://login.microsoftonline.com), or unset it, then start NumberDesk again."
            ),
            LaunchError::EmptyDataDir => format!(
                "Set {ENV_DATA_DIR} to a folder, or unset it to use the usual place, then start NumberDesk again."
            ),
        }
    }
}

impl LaunchOptions {
    /// Reads the arguments (without the program name) and the environment through `env`.
    pub fn parse<I, F>(args: I, env: F) -> Result<LaunchOptions, LaunchError>
    where
        I: IntoIterator<Item = String>,
        F: Fn(&str) -> Option<String>,
    {
        let mut options = LaunchOptions::default();
        for arg in args {
            match arg.as_str() {
                "--demo" => options.demo = true,
                _ => options.ignored_args.push(arg),
            }
        }
        let non_empty = |name: &str| env(name).filter(|value| !value.trim().is_empty());

        if let Some(dir) = env(ENV_DATA_DIR) {
            if dir.trim().is_empty() {
                return Err(LaunchError::EmptyDataDir);
            }
            options.data_dir = Some(PathBuf::from(dir));
        }
        options.custom_cloud = match (non_empty(ENV_LOGIN_URL), non_empty(ENV_GRAPH_URL)) {
            (None, None) => None,
            (Some(_), None) => return Err(LaunchError::LoginWithoutGraph),
            (None, Some(_)) => return Err(LaunchError::GraphWithoutLogin),
            (Some(login), Some(graph)) => {
                if options.demo {
                    return Err(LaunchError::DemoWithCustomEndpoints);
                }
                let login = crate::cloud::validate_endpoint(&login).map_err(|source| {
                    LaunchError::BadEndpoint {
                        variable: ENV_LOGIN_URL,
                        source,
                    }
                })?;
                let graph = crate::cloud::validate_endpoint(&graph).map_err(|source| {
                    LaunchError::BadEndpoint {
                        variable: ENV_GRAPH_URL,
                        source,
                    }
                })?;
                Some(Cloud {
                    id: crate::cloud::CloudId::Custom,
                    login_url: login,
                    graph_url: graph,
                })
            }
        };
        options.managed_preset = non_empty(ENV_MANAGED_PRESET).map(PathBuf::from);
        options.tenant = non_empty(ENV_TENANT).map(|t| t.trim().to_owned());
        options.client_id = non_empty(ENV_CLIENT_ID).map(|c| c.trim().to_owned());
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<LaunchOptions, LaunchError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LaunchOptions::parse(args.iter().map(|a| a.to_string()), |k| env.get(k).cloned())
    }

    #[test]
    fn nothing_set_means_a_normal_launch() {
        let options = parse(&[], &[]).unwrap();
        assert_eq!(options, LaunchOptions::default());
    }

    #[test]
    fn demo_flag_and_unknown_arguments() {
        let options = parse(&["-psn_0_123", "--demo"], &[]).unwrap();
        assert!(options.demo);
        assert_eq!(options.ignored_args, vec!["-psn_0_123".to_string()]);
    }

    #[test]
    fn custom_endpoints_need_both_variables_and_loopback_for_http() {
        let options = parse(
            &[],
            &[
                (ENV_LOGIN_URL, "http://127.0.0.1:5000"),
                (ENV_GRAPH_URL, "http://127.0.0.1:5001"),
                (ENV_TENANT, " contoso.onmicrosoft.com "),
                (ENV_CLIENT_ID, "11111111-2222-3333-4444-555555555555"),
                (ENV_DATA_DIR, "/tmp/nd"),
            ],
        )
        .unwrap();
        let cloud = options.custom_cloud.unwrap();
        assert_eq!(cloud.graph_root(), "http://127.0.0.1:5001");
        assert_eq!(options.tenant.as_deref(), Some("contoso.onmicrosoft.com"));
        assert_eq!(options.data_dir, Some(PathBuf::from("/tmp/nd")));

        assert_eq!(
            parse(&[], &[(ENV_LOGIN_URL, "http://127.0.0.1:5000")]),
            Err(LaunchError::LoginWithoutGraph)
        );
        assert_eq!(
            parse(&[], &[(ENV_GRAPH_URL, "http://127.0.0.1:5000")]),
            Err(LaunchError::GraphWithoutLogin)
        );
        let remote_http = parse(
            &[],
            &[
                (ENV_LOGIN_URL, "http://login.example.org"),
                (ENV_GRAPH_URL, "https://graph.example.org"),
            ],
        );
        assert!(matches!(
            remote_http,
            Err(LaunchError::BadEndpoint {
                variable: ENV_LOGIN_URL,
                source: EndpointError::InsecureRemote(_)
            })
        ));
    }

    #[test]
    fn demo_and_custom_endpoints_conflict() {
        let err = parse(
            &["--demo"],
            &[
                (ENV_LOGIN_URL, "http://127.0.0.1:5000"),
                (ENV_GRAPH_URL, "http://127.0.0.1:5001"),
            ],
        )
        .unwrap_err();
        assert_eq!(err, LaunchError::DemoWithCustomEndpoints);
        assert!(err.hint().contains("without --demo"));
    }

    #[test]
    fn empty_data_dir_is_refused() {
        assert_eq!(
            parse(&[], &[(ENV_DATA_DIR, "  ")]),
            Err(LaunchError::EmptyDataDir)
        );
    }
}
