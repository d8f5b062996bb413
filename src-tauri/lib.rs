//! NumberDesk: take Microsoft Teams phone numbers away from users and resource accounts.
//!
//! This file is wiring only: plugins, managed state, commands and the setup closure, put
//! together once by [`assemble`]. [`run`] hands it the desktop's builder and the OS keyring;
//! the tests hand it `tauri::test::mock_builder()` and an in-memory store, so they drive the
//! same app through IPC. The work lives in modules with no `tauri` import (`cloud`, `config`,
//! `context`, `desk`, `records`, `sim`, …) so it can be tested on every OS without a window.

pub mod auth;
pub mod bulk;
pub mod cloud;
mod commands;
pub mod config;
pub mod context;
pub mod count;
pub mod data_folder;
pub mod desk;
pub mod desktop;
pub mod diagnostics;
pub mod export_file;
#[doc(hidden)]
pub mod fuzzing;
pub mod graph;
pub mod held_file;
pub mod history;
pub mod inventory;
pub mod lifecycle;
pub mod locks;
pub mod net;
pub mod off_thread;
pub mod operation;
pub mod people;
pub mod phone;
pub mod problem;
pub mod records;
pub mod register;
pub mod relaunch;
pub mod settings;
pub mod setup;
/// The simulated tenant (the `numberdesk-sim` crate in `sim/`), behind `--demo` and the tests.
pub use numberdesk_sim as sim;
pub mod tray;
pub mod vault;

use context::AppContext;
use std::time::Instant;
use tauri::{Manager, Runtime};

/// The demo tenant's state, in the data folder. Holds no usable token.
pub const DEMO_STATE_FILE: &str = "demo-tenant.json";
/// How long the demo tenant keeps an app it just created out of sight (Microsoft's directory
/// replicates in seconds), so setup on the demo shows its wait as it would be on a real tenant.
const DEMO_REPLICATION_DELAY: std::time::Duration = std::time::Duration::from_secs(2);

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
        commands::sign_in_check,
        commands::try_demo,
        commands::leave_demo,
        commands::setup_begin,
        commands::setup_wait,
        commands::setup_check_again,
        commands::setup_cancel,
        commands::device_sign_in_begin,
        commands::device_sign_in_wait,
        commands::sign_out,
        commands::ask_for_names_again,
        commands::lookup_number,
        commands::lookup_person,
        commands::unassign_person,
        commands::unassign_number,
        commands::reassign_number,
        commands::check_operation_again,
        commands::history_list,
        commands::history_get,
        commands::history_export,
        commands::copy_diagnostics,
        commands::bulk_read,
        commands::bulk_preview,
        commands::bulk_select,
        commands::bulk_start,
        commands::bulk_control,
        commands::bulk_overview,
        commands::bulk_from_batch,
        commands::numbers_view,
        commands::numbers_query,
        commands::numbers_refresh,
        commands::numbers_cancel,
        commands::numbers_export,
        commands::numbers_export_leavers,
        commands::numbers_leavers,
        commands::numbers_ask_directory_again,
        commands::numbers_to_bulk,
        commands::show_quick_window,
        commands::hide_quick_window,
        commands::set_quick_busy,
        commands::open_record_in_main,
        commands::open_sign_in_in_main,
        commands::get_background_settings,
        commands::save_background_settings,
    ])
}

/// Event to the main window when another launch was folded into this one.
pub const SECOND_INSTANCE: &str = "second-instance";

/// What happened to a window, as far as NumberDesk's background life cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowTrigger {
    CloseRequested,
    LostFocus,
}

/// What NumberDesk does about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowAction {
    Nothing,
    /// Keep the window open (prevent the close) but hide it; `announce` the first time.
    HideMain {
        announce: bool,
    },
    /// Prevent the close of the quick window and hide it, or hide it on blur.
    HideQuick,
    Quit,
}

/// Decides, from the app's state, what a window trigger leads to (see [`lifecycle`]).
pub fn window_action<R: Runtime>(
    app: &tauri::AppHandle<R>,
    label: &str,
    trigger: WindowTrigger,
) -> WindowAction {
    use std::sync::atomic::Ordering;
    let state = app.try_state::<commands::App>();
    let background = state.as_ref().map(|state| &state.background);
    match (label, trigger) {
        (tray::MAIN_WINDOW, WindowTrigger::CloseRequested) => {
            let tray_available =
                background.is_some_and(|s| s.tray_available.load(Ordering::SeqCst));
            let announced = tray_available
                && state.as_ref().is_some_and(|state| {
                    state
                        .settings(app)
                        .is_ok_and(|settings| settings.take_tray_notice())
                });
            match lifecycle::on_main_close(tray_available, announced) {
                lifecycle::CloseAction::HideToTray { announce } => {
                    WindowAction::HideMain { announce }
                }
                lifecycle::CloseAction::Exit => WindowAction::Quit,
            }
        }
        (tray::QUICK_WINDOW, WindowTrigger::CloseRequested) => WindowAction::HideQuick,
        (tray::QUICK_WINDOW, WindowTrigger::LostFocus) => {
            let busy = background.is_some_and(|s| s.quick_busy.load(Ordering::SeqCst));
            if lifecycle::hide_quick_on_blur(busy) {
                WindowAction::HideQuick
            } else {
                WindowAction::Nothing
            }
        }
        _ => WindowAction::Nothing,
    }
}

/// Carries out [`window_action`] for Tauri's window events.
fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &tauri::WindowEvent) {
    use tauri::WindowEvent;
    let (trigger, close) = match event {
        WindowEvent::CloseRequested { api, .. } => (WindowTrigger::CloseRequested, Some(api)),
        WindowEvent::Focused(false) => (WindowTrigger::LostFocus, None),
        _ => return,
    };
    let app = window.app_handle();
    match window_action(app, window.label(), trigger) {
        WindowAction::Nothing => {}
        WindowAction::HideMain { announce } => {
            if let Some(api) = close {
                api.prevent_close();
            }
            let _ = window.hide();
            if announce {
                desktop::notify(
                    app,
                    "NumberDesk is still running",
                    "It keeps following your changes from the tray. Use Quit in the tray menu to exit.",
                );
            }
        }
        WindowAction::HideQuick => {
            if let Some(api) = close {
                api.prevent_close();
            }
            let _ = window.hide();
        }
        WindowAction::Quit => app.exit(0),
    }
}

/// The log: `numberdesk.log` in the platform's log folder (in `<data folder>/logs` when the data
/// folder is chosen with `NUMBERDESK_DATA_DIR`), rotated at 1 MB with the five newest kept.
/// NumberDesk's own messages from `info` up, other crates' from `warn` up: no request or
/// response bodies, headers or tokens are ever logged.
fn logger<R: Runtime>(data_dir: Option<std::path::PathBuf>) -> tauri::plugin::TauriPlugin<R> {
    use tauri_plugin_log::{RotationStrategy, Target, TargetKind};
    let file_name = Some("numberdesk".to_owned());
    let target = match data_dir {
        Some(dir) => TargetKind::Folder {
            path: dir.join("logs"),
            file_name,
        },
        None => TargetKind::LogDir { file_name },
    };
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .target(Target::new(target))
        .target(Target::new(TargetKind::Stderr))
        .rotation_strategy(RotationStrategy::KeepSome(5))
        .max_file_size(1_000_000)
        .level(log::LevelFilter::Warn)
        .level_for("numberdesk", log::LevelFilter::Info)
        .build()
}

/// How the app is started: what [`run`] reads from the command line and the environment, or
/// what a test chooses.
pub struct Launch {
    pub started: Instant,
    pub options: Result<config::LaunchOptions, config::LaunchError>,
    /// Where tokens are kept: the OS keyring in the app, an in-memory store in tests.
    pub secrets: std::sync::Arc<dyn vault::SecretStore>,
    /// The data folder when the options name none; `None`: the platform's folders (a test
    /// passes a temporary folder so it never touches the user's).
    pub data_dir: Option<std::path::PathBuf>,
    /// A real desktop session: see [`desktop_only`].
    pub desktop: bool,
}

/// What only a real desktop session runs, kept here in one place. The mock runtime has no
/// window system, no tray, no second process and one logger per process, so tests skip:
/// - tauri-plugin-single-instance (it talks to an earlier launch over D-Bus or a named pipe),
/// - tauri-plugin-log (a process has one logger; every test app would try to set it again),
/// - tauri-plugin-global-shortcut (it opens the window system's hot-key service),
/// - the tray icon and the saved shortcut, in the setup closure ([`assemble`] asks
///   `launch.desktop`).
fn desktop_only(
    builder: tauri::Builder<tauri::Wry>,
    data_dir: Option<std::path::PathBuf>,
    single_instance_id: String,
) -> tauri::Builder<tauri::Wry> {
    builder
        // First, so a second launch is folded into this one before anything else starts. The
        // demo has a name of its own (relaunch.rs): a real run and a demo never fold together.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .callback(|app, _args, _cwd| {
                    tray::show_main(app);
                    let _ = tauri::Emitter::emit_to(app, tray::MAIN_WINDOW, SECOND_INSTANCE, ());
                })
                .dbus_id(single_instance_id)
                .build(),
        )
        .plugin(logger(data_dir))
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(|app, _shortcut, event| {
                    if event.state == tauri_plugin_global_shortcut::ShortcutState::Pressed {
                        tray::show_quick(app);
                    }
                })
                .build(),
        )
}

/// The app, whatever runs it: plugins, commands, the window events and the setup closure that
/// opens the data folder and the history, builds the sign-in service over `launch.secrets` and
/// manages the one [`commands::App`] state.
pub fn assemble<R: Runtime>(builder: tauri::Builder<R>, launch: Launch) -> tauri::Builder<R> {
    let builder = builder
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_positioner::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ));
    register_commands(builder)
        .setup(move |app| set_up(app, launch))
        .on_window_event(on_window_event)
}

/// The setup closure of [`assemble`].
fn set_up<R: Runtime>(
    app: &mut tauri::App<R>,
    launch: Launch,
) -> Result<(), Box<dyn std::error::Error>> {
    let Launch {
        started,
        options,
        secrets,
        data_dir: fallback_dir,
        desktop,
    } = launch;
    let setup_began = Instant::now();
    // Local, not roaming: history, settings and logs stay on this computer. What an
    // earlier version kept in the roaming folder moves over once (data_folder.rs).
    let custom_dir = options.as_ref().ok().and_then(|o| o.data_dir.clone());
    let chosen = custom_dir.is_some();
    let demo_requested = options.as_ref().is_ok_and(|o| o.demo);
    let mut keyring_profile = vault::profile_for(custom_dir.as_deref());
    let settled = data_folder::settle(
        custom_dir.or(fallback_dir),
        &app.path().app_data_dir()?,
        &app.path().app_local_data_dir()?,
    );
    let mut data_dir = settled.dir.clone();
    if demo_requested && !chosen {
        // The demo's data never mixes with a real tenant's: a folder (and so a keyring
        // profile) of its own inside the usual one.
        data_dir = relaunch::demo_data_dir(&data_dir);
        keyring_profile = vault::profile_for(Some(&data_dir));
    }
    let data_dir_problem =
        std::fs::create_dir_all(&data_dir)
            .err()
            .map(|error| context::StartupError::DataFolder {
                dir: data_dir.clone(),
                reason: error.to_string(),
            });
    // The demo tenant runs on Tauri's own tokio runtime, so its server lives as long as
    // the app; its state is kept in the data folder so a relaunch finds it as it was.
    let demo = options.as_ref().is_ok_and(|o| o.demo).then(|| {
        let tenant = tauri::async_runtime::block_on(sim::SimTenant::start(sim::SimConfig {
            state_file: Some(data_dir.join(DEMO_STATE_FILE)),
            ..sim::SimConfig::default()
        }))?;
        // "Set up for my organization" on the demo shows the wait a real tenant has: a new
        // app is not found for a moment while Microsoft's directory replicates it.
        tenant.set_replication_delay(DEMO_REPLICATION_DELAY);
        Ok(tenant)
    });
    let mut context = AppContext::new(started, options, demo, data_dir.clone());
    log::info!(
        "NumberDesk {} starting on {}{}",
        app.package_info().version,
        diagnostics::os_name(),
        if context.demo.is_some() {
            " (demo tenant)"
        } else {
            ""
        }
    );
    if let Some(problem) = data_dir_problem {
        context.startup_problem.get_or_insert(problem);
    }
    let desks = match settled.unfinished {
        // Neither folder is safe this run: opening one would start an empty history, and the
        // settings store would write an empty settings.json on exit where the real one goes.
        Some(error) => {
            context.settings_withheld = true;
            let problem = if error.unreachable {
                context::StartupError::RoamingUnreachable {
                    dir: error.from.clone(),
                    reason: error.source.to_string(),
                }
            } else {
                context::StartupError::MoveUnfinished(error.to_string())
            };
            context.startup_problem.get_or_insert(problem.clone());
            commands::DeskState::unavailable(problem)
        }
        None => commands::DeskState::open(&context.data_dir),
    };
    let service = auth::SignInService::for_profile(secrets, &keyring_profile)?;
    let background = desktop::BackgroundState::default();
    if desktop {
        // The tray follows the first screen (commands::start_tray).
        background
            .tray_wanted
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let handle = app.handle().clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(commands::TRAY_AT_LATEST).await;
            commands::start_tray(&handle);
        });
        let store = context
            .settings_folder()
            .map_err(settings::SettingsError::from)
            .and_then(|dir| settings::Settings::open(app.handle(), dir));
        if let Ok(store) = store {
            desktop::apply_saved_shortcut(app.handle(), &store.background(), &background);
        }
    }
    app.manage(commands::App {
        context,
        auth: commands::AuthState::new(service),
        desks,
        background,
        numbers: inventory::NumbersDesk::default(),
        register: commands::RegisterState::default(),
    });
    log::info!(
        "set up {} ms after launch, in {} ms",
        started.elapsed().as_millis(),
        setup_began.elapsed().as_millis()
    );
    Ok(())
}

/// Starts the desktop app.
pub fn run() {
    let started = Instant::now();
    // Started again by the run before ("Try it on a demo tenant", "Leave the demo"): wait until
    // it has gone, so that this one is not handed over to it as a second instance.
    let handover = std::env::var_os(relaunch::ENV_HANDOVER).map(std::path::PathBuf::from);
    let handed_over = relaunch::wait_for_handover(handover.as_deref(), relaunch::HANDOVER_PATIENCE);
    let options =
        config::LaunchOptions::parse(std::env::args().skip(1), |name| std::env::var(name).ok());
    let log_dir = options.as_ref().ok().and_then(|o| o.data_dir.clone());
    let demo = options.as_ref().is_ok_and(|o| o.demo);
    let context = tauri::generate_context!();
    let single_instance_id = relaunch::single_instance_id(&context.config().identifier, demo);
    let launch = Launch {
        started,
        options,
        secrets: std::sync::Arc::new(vault::OsKeyring::new()),
        data_dir: None,
        desktop: true,
    };
    let app = assemble(
        desktop_only(tauri::Builder::default(), log_dir, single_instance_id),
        launch,
    )
    .build(context);
    match handed_over {
        relaunch::HandedOver::StillThere => log::warn!(
            "the run that started this one was still there after {} s; starting anyway",
            relaunch::HANDOVER_PATIENCE.as_secs()
        ),
        relaunch::HandedOver::Gone => log::info!("started again; the run before has gone"),
        relaunch::HandedOver::NotARelaunch => {}
    }
    match app {
        Ok(app) => app.run(|app, event| {
            // With only the tray left, NumberDesk keeps running (and following operations)
            // until Quit; `app.exit(0)` carries a code and is not held back.
            if let tauri::RunEvent::ExitRequested {
                code: None, api, ..
            } = event
            {
                let tray = app.try_state::<commands::App>().is_some_and(|s| {
                    s.background
                        .tray_available
                        .load(std::sync::atomic::Ordering::SeqCst)
                });
                if tray {
                    api.prevent_exit();
                }
            }
        }),
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

    /// The app as [`assemble`] builds it, under the mock runtime, with its data in `dir` and
    /// an in-memory keyring.
    fn mock_app_in(
        dir: &std::path::Path,
        options: Result<config::LaunchOptions, config::LaunchError>,
        label: &str,
    ) -> (tauri::App<MockRuntime>, tauri::WebviewWindow<MockRuntime>) {
        let launch = Launch {
            started: Instant::now(),
            options,
            secrets: std::sync::Arc::new(vault::LimitedMemoryStore::windows_like()),
            data_dir: Some(dir.to_path_buf()),
            desktop: false,
        };
        let mut app = assemble(mock_builder(), launch)
            .build(mock_context(noop_assets()))
            .expect("mock app builds");
        // Tauri runs the setup closure at the first turn of the event loop; the mock
        // runtime's turn does nothing else.
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        let window = tauri::WebviewWindowBuilder::new(&app, label, Default::default())
            .build()
            .expect("mock window builds");
        (app, window)
    }

    fn mock_app(
        dir: &std::path::Path,
        options: Result<config::LaunchOptions, config::LaunchError>,
    ) -> (tauri::App<MockRuntime>, tauri::WebviewWindow<MockRuntime>) {
        mock_app_in(dir, options, "main")
    }

    fn invoke(
        window: &tauri::WebviewWindow<MockRuntime>,
        cmd: &str,
    ) -> Result<serde_json::Value, serde_json::Value> {
        invoke_with(window, cmd, serde_json::json!({}))
    }

    fn invoke_with(
        window: &tauri::WebviewWindow<MockRuntime>,
        cmd: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        get_ipc_response(
            window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().expect("url"),
                body: tauri::ipc::InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: tauri::test::INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<serde_json::Value>().expect("json"))
    }

    #[test]
    fn first_run_is_shown_once_and_remembered_in_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = mock_app(dir.path(), Ok(Default::default()));
        let info = invoke(&window, "app_info").unwrap();
        assert_eq!(info["firstRunDone"], false);
        assert_eq!(info["demo"], false);
        assert!(info["endpoints"].is_null());
        assert!(info["startupProblem"].is_null());

        invoke(&window, "complete_first_run").unwrap();
        assert_eq!(invoke(&window, "app_info").unwrap()["firstRunDone"], true);
        let saved = std::fs::read_to_string(dir.path().join(settings::SETTINGS_FILE)).unwrap();
        assert!(saved.contains("firstRunDone"), "{saved}");
    }

    #[test]
    fn a_bad_launch_setting_reaches_the_ui_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = mock_app(dir.path(), Err(config::LaunchError::LoginWithoutGraph));
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
        let (_app, window) = mock_app(dir.path(), Ok(options));
        let endpoints = &invoke(&window, "app_info").unwrap()["endpoints"];
        assert_eq!(endpoints["microsoft"], false);
        assert_eq!(endpoints["graphUrl"], "http://127.0.0.1:2");
    }

    #[test]
    fn it_s_preset_beats_the_test_hooks_and_the_window_says_they_were_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let preset = dir.path().join("managed.json");
        std::fs::write(
            &preset,
            "{\"cloud\":\"global\",\"tenant\":\"contoso.onmicrosoft.com\",\"clientId\":\"11111111-2222-3333-4444-555555555555\"}",
        )
        .unwrap();
        let options = config::LaunchOptions {
            custom_cloud: Some(
                cloud::Cloud::custom("http://127.0.0.1:1", "http://127.0.0.1:2").unwrap(),
            ),
            tenant: Some("fabrikam.onmicrosoft.com".into()),
            managed_preset: Some(preset),
            ..Default::default()
        };
        let (_app, window) = mock_app(dir.path(), Ok(options));
        let info = invoke(&window, "app_info").unwrap();
        assert_eq!(info["endpoints"]["microsoft"], true, "{info}");
        assert_eq!(
            info["endpoints"]["loginUrl"],
            "https://login.microsoftonline.com"
        );
        let ignored = serde_json::json!([
            "NUMBERDESK_LOGIN_URL",
            "NUMBERDESK_GRAPH_URL",
            "NUMBERDESK_TENANT"
        ]);
        assert_eq!(info["ignoredHooks"], ignored);
        let view = invoke(&window, "get_setup").unwrap();
        assert_eq!(view["lockedBy"], "managed");
        assert_eq!(view["tenant"], "contoso.onmicrosoft.com");
        assert_eq!(view["ignoredHooks"], ignored);
    }

    fn background_app(
        dir: &std::path::Path,
        tray_available: bool,
    ) -> (tauri::App<MockRuntime>, tauri::WebviewWindow<MockRuntime>) {
        let (app, window) = mock_app_in(dir, Ok(Default::default()), "quick");
        app.state::<commands::App>()
            .background
            .tray_available
            .store(tray_available, std::sync::atomic::Ordering::SeqCst);
        (app, window)
    }

    #[test]
    fn closing_the_main_window_hides_it_in_the_tray_and_says_so_once() {
        let dir = tempfile::tempdir().unwrap();
        let (app, _window) = background_app(dir.path(), true);
        let handle = app.handle();
        assert_eq!(
            window_action(handle, "main", WindowTrigger::CloseRequested),
            WindowAction::HideMain { announce: true }
        );
        assert_eq!(
            window_action(handle, "main", WindowTrigger::CloseRequested),
            WindowAction::HideMain { announce: false }
        );
        let saved = std::fs::read_to_string(dir.path().join(settings::SETTINGS_FILE)).unwrap();
        assert!(saved.contains(settings::KEY_TRAY_NOTICE_SHOWN), "{saved}");
        assert_eq!(
            window_action(handle, "main", WindowTrigger::LostFocus),
            WindowAction::Nothing
        );
    }

    #[test]
    fn without_a_tray_closing_the_main_window_quits() {
        let dir = tempfile::tempdir().unwrap();
        let (app, _window) = background_app(dir.path(), false);
        assert_eq!(
            window_action(app.handle(), "main", WindowTrigger::CloseRequested),
            WindowAction::Quit
        );
    }

    #[test]
    fn the_quick_window_hides_on_blur_unless_it_says_it_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let (app, quick) = background_app(dir.path(), true);
        let handle = app.handle();
        assert_eq!(
            window_action(handle, "quick", WindowTrigger::LostFocus),
            WindowAction::HideQuick
        );
        invoke_with(
            &quick,
            "set_quick_busy",
            serde_json::json!({ "busy": true }),
        )
        .unwrap();
        assert_eq!(
            window_action(handle, "quick", WindowTrigger::LostFocus),
            WindowAction::Nothing
        );
        // Closing it only hides it, busy or not: it lives as long as the app.
        assert_eq!(
            window_action(handle, "quick", WindowTrigger::CloseRequested),
            WindowAction::HideQuick
        );
        invoke_with(
            &quick,
            "set_quick_busy",
            serde_json::json!({ "busy": false }),
        )
        .unwrap();
        assert_eq!(
            window_action(handle, "quick", WindowTrigger::LostFocus),
            WindowAction::HideQuick
        );
    }

    #[test]
    fn the_tray_menu_is_built_with_the_recent_operations() {
        use tauri::menu::MenuItemKind;
        let dir = tempfile::tempdir().unwrap();
        let (app, _window) = background_app(dir.path(), true);
        let recent: Vec<desk::RecordView> = (1..=6)
            .rev()
            .map(|id| {
                desk::RecordView::from(history::OperationRecord {
                    id,
                    kind: history::OperationKind::Unassign,
                    telephone_number: "+12065550100".into(),
                    number_type: None,
                    prior_assignee: history::Assignee {
                        name: Some("Adele Vance".into()),
                        ..Default::default()
                    },
                    actor: Default::default(),
                    requested_at: String::new(),
                    client_request_id: String::new(),
                    request_id: None,
                    response_date: None,
                    location: None,
                    status: history::RecordStatus::Succeeded,
                    status_detail: None,
                    settled_at: None,
                    error: None,
                    undo_of: None,
                    batch_id: None,
                    updated_at: String::new(),
                })
            })
            .collect();
        let entries = lifecycle::tray_menu(Some("meganb@contoso.example"), &recent);
        let menu = tray::build_menu(app.handle(), &entries).unwrap();
        let items: Vec<(String, String)> = menu
            .items()
            .unwrap()
            .into_iter()
            .filter_map(|item| match item {
                MenuItemKind::MenuItem(item) => Some((item.id().0.clone(), item.text().unwrap())),
                _ => None,
            })
            .collect();
        let ids: Vec<&str> = items.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "quick", "open", "record:6", "record:5", "record:4", "record:3", "record:2",
                "sign-out", "quit"
            ]
        );
        assert_eq!(items[2].1, "+1 206-555-0100 — Adele Vance: succeeded");
        assert_eq!(items[7].1, "Sign out (meganb@contoso.example)");
        assert_eq!(items[8].1, "Quit NumberDesk");
    }

    #[test]
    fn a_quick_window_that_cannot_be_opened_is_explained() {
        // The mock app's configuration has no quick window to build.
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = mock_app(dir.path(), Ok(Default::default()));
        let problem = invoke(&window, "show_quick_window").unwrap_err();
        assert_eq!(problem["kind"], "quickWindow");
        assert!(problem["message"]
            .as_str()
            .unwrap()
            .contains("could not be opened"));
        assert!(problem["hint"].as_str().unwrap().contains("Unassign tab"));
    }

    #[test]
    fn unknown_commands_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = mock_app(dir.path(), Ok(Default::default()));
        assert!(invoke(&window, "delete_everything").is_err());
    }
}
