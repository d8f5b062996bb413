//! Build script: generates the Tauri context and the access-control manifest.
//!
//! Every app command is listed here. Without this list Tauri allows every command in every
//! window (tauri-apps/tauri#9008); with it, each window may call only the commands its
//! capability file under `src-tauri/capabilities/` grants.

/// Every `#[tauri::command]` the app registers. A command missing here cannot be granted.
const APP_COMMANDS: &[&str] = &[
    "app_info",
    "complete_first_run",
    "ui_ready",
    "get_setup",
    "check_setup",
    "save_setup",
    "session_status",
    "sign_in_begin",
    "sign_in_wait",
    "sign_in_cancel",
    "sign_in_check",
    "try_demo",
    "leave_demo",
    "setup_begin",
    "setup_wait",
    "setup_check_again",
    "setup_cancel",
    "device_sign_in_begin",
    "device_sign_in_wait",
    "sign_out",
    "ask_for_names_again",
    "lookup_number",
    "lookup_person",
    "unassign_person",
    "unassign_number",
    "reassign_number",
    "check_operation_again",
    "history_list",
    "history_get",
    "history_export",
    "copy_diagnostics",
    "bulk_read",
    "bulk_preview",
    "bulk_select",
    "bulk_start",
    "bulk_control",
    "bulk_overview",
    "bulk_from_batch",
    "numbers_view",
    "numbers_query",
    "numbers_refresh",
    "numbers_cancel",
    "numbers_export",
    "numbers_export_leavers",
    "numbers_leavers",
    "numbers_ask_directory_again",
    "numbers_to_bulk",
    "show_quick_window",
    "hide_quick_window",
    "set_quick_busy",
    "open_record_in_main",
    "open_sign_in_in_main",
    "get_background_settings",
    "save_background_settings",
];

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(APP_COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; say what went wrong first.
        panic!("tauri-build failed: {error:#}");
    }
}
