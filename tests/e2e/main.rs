//! End-to-end tests: the real NumberDesk window, driven through WebDriver under a virtual
//! display, as a person would use it. Run them with `cargo xtask test` (which provides Xvfb,
//! a private D-Bus session, a real Secret Service and tauri-driver); a plain `cargo test` lists
//! them as ignored.
//!
//! Linux only: the harness drives WebKitWebDriver (the WebKitGTK build of the real window),
//! uses process groups and reads `/proc`. On Windows and macOS the same commands and windows are
//! exercised without a display by the mock-runtime tests in `src-tauri/lib.rs`.
#![cfg(target_os = "linux")]

#[path = "../sim_support/mod.rs"]
mod sim_support;

mod a11y;
mod bulk;
mod bulk_person;
mod changed_hands;
mod harness;
mod keyboard;
mod numbers;
mod person;
mod register;
mod shell;
mod sign_in;
mod tray;
mod unassign;
