//! NumberDesk: take Microsoft Teams phone numbers away from users and resource accounts.
//!
//! This file is wiring only: plugins, managed state and commands. The same wiring
//! ([`register_commands`]) runs under Tauri's mock runtime in the tests below. The work lives in
//! modules with no `tauri` import (`cloud`, `config`, `context`, `sim`, …) so it can be tested
//! on every OS without a window.

pub mod auth;
pub mod cloud;
mod commands;
pub mod config;
pub mod context;
pub mod desk;
pub mod graph;
pub mod history;
pub mod phone;
pub mod problem;
pub mod setup;
pub mod sim;
pub mod vault;

use context::AppContext;
use std::time::Instant;
use tauri::{Manager, Runtime};

/// The demo tenant's state, in the data folder. Holds no usable token.
pub const DEMO_STATE_FILE: &str = "demo-tenant.json";

/// Registers every app command. Keep in step with `APP_COMMANDS` in `build.rs`.
pub fn register_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::complete_first_run,
        commands::ui_ready,
        commands::get_setup,
        commands::check_setup,
        commands::save_setup,
        commands::session_status,
        commands::sign_in_begin,
        commands::sign_in_wait,
        commands::sign_in_cancel,
        commands::device_sign_in_begin,
        commands::device_sign_in_wait,
        commands::sign_out,
        commands::lookup_number,
        commands::unassign_number,
        commands::reassign_number,
        commands::check_operation_again,
        commands::history_list,
        commands::history_get,
        commands::history_export,
    ])
}

/// Starts the desktop app.
pub fn run() {
    let started = Instant::now();
    let options =
        config::LaunchOptions::parse(std::env::args().skip(1), |name| std::env::var(name).ok());
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_opener::init());
    let app = register_commands(builder)
        .setup(move |app| {
            let default_dir = app.path().app_data_dir()?;
            let custom_dir = options.as_ref().ok().and_then(|o| o.data_dir.clone());
            let keyring_profile = vault::profile_for(custom_dir.as_deref());
            let data_dir = custom_dir.unwrap_or_else(|| default_dir.clone());
            let data_dir_problem = std::fs::create_dir_all(&data_dir).err().map(|error| {
                problem::Problem::new(
                    "startup",
                    format!(
                        "NumberDesk cannot create its data folder {}: {error}.",
                        data_dir.display()
                    ),
                    "Choose a folder you can write to (NUMBERDESK_DATA_DIR), or ask IT to \
                     check the permissions of your profile folder.",
                )
            });
            // The demo tenant runs on Tauri's own tokio runtime, so its server lives as long as
            // the app; its state is kept in the data folder so a relaunch finds it as it was.
            let demo = options.as_ref().is_ok_and(|o| o.demo).then(|| {
                tauri::async_runtime::block_on(sim::SimTenant::start(sim::SimConfig {
                    state_file: Some(data_dir.join(DEMO_STATE_FILE)),
                    ..sim::SimConfig::default()
                }))
            });
            let mut context = AppContext::new(started, options, demo, default_dir);
            if let Some(problem) = data_dir_problem {
                context.startup_problem.get_or_insert(problem);
            }
            app.manage(commands::DeskState::open(&context.data_dir));
            app.manage(context);
            let service =
                auth::SignInService::for_profile(vault::OsKeyring::new(), &keyring_profile)?;
            app.manage(commands::AuthState::new(service));
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(error) => {
            eprintln!("NumberDesk could not start its window: {error}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime};
    use tauri::webview::InvokeRequest;

    fn mock_app(
        context: AppContext,
    ) -> (tauri::App<MockRuntime>, tauri::WebviewWindow<MockRuntime>) {
        let app = register_commands(
            mock_builder().plugin(tauri_plugin_store::Builder::default().build()),
        )
        .manage(context)
        .build(mock_context(noop_assets()))
        .expect("mock app builds");
        let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("mock window builds");
        (app, window)
    }

    fn invoke(
        window: &tauri::WebviewWindow<MockRuntime>,
        cmd: &str,
    ) -> Result<serde_json::Value, serde_json::Value> {
        get_ipc_response(
            window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().expect("url"),
                body: tauri::ipc::InvokeBody::default(),
                headers: Default::default(),
                invoke_key: tauri::test::INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<serde_json::Value>().expect("json"))
    }

    fn context_in(
        dir: &std::path::Path,
        options: Result<config::LaunchOptions, config::LaunchError>,
    ) -> AppContext {
        AppContext::new(Instant::now(), options, None, dir.to_path_buf())
    }

    #[test]
    fn first_run_is_shown_once_and_remembered_in_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = mock_app(context_in(dir.path(), Ok(Default::default())));
        let info = invoke(&window, "app_info").unwrap();
        assert_eq!(info["firstRunDone"], false);
        assert_eq!(info["demo"], false);
        assert!(info["endpoints"].is_null());
        assert!(info["startupProblem"].is_null());

        invoke(&window, "complete_first_run").unwrap();
        assert_eq!(invoke(&window, "app_info").unwrap()["firstRunDone"], true);
        let saved = std::fs::read_to_string(dir.path().join(commands::SETTINGS_FILE)).unwrap();
        assert!(saved.contains("firstRunDone"), "{saved}");
    }

    #[test]
    fn a_bad_launch_setting_reaches_the_ui_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = mock_app(context_in(
            dir.path(),
            Err(config::LaunchError::LoginWithoutGraph),
        ));
        let info = invoke(&window, "app_info").unwrap();
        let problem = &info["startupProblem"];
        assert_eq!(problem["kind"], "startup");
        assert!(problem["message"]
            .as_str()
            .unwrap()
            .contains("NUMBERDESK_LOGIN_URL"));
        assert!(problem["hint"].as_str().unwrap().contains("Set both"));
    }

    #[test]
    fn custom_endpoints_are_reported_as_not_microsoft() {
        let dir = tempfile::tempdir().unwrap();
        let options = config::LaunchOptions {
            custom_cloud: Some(
                cloud::Cloud::custom("http://127.0.0.1:1", "http://127.0.0.1:2").unwrap(),
            ),
            ..Default::default()
        };
        let (_app, window) = mock_app(context_in(dir.path(), Ok(options)));
        let endpoints = &invoke(&window, "app_info").unwrap()["endpoints"];
        assert_eq!(endpoints["microsoft"], false);
        assert_eq!(endpoints["graphUrl"], "http://127.0.0.1:2");
    }

    #[test]
    fn unknown_commands_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = mock_app(context_in(dir.path(), Ok(Default::default())));
        assert!(invoke(&window, "delete_everything").is_err());
    }
}
