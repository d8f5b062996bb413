//! End-to-end tests: the real NumberDesk window, driven through WebDriver under a virtual
//! display, as a person would use it. Run them with `cargo xtask test` (which provides Xvfb,
//! a private D-Bus session, a real Secret Service and tauri-driver); a plain `cargo test` lists
//! them as ignored.

#[path = "../sim_support/mod.rs"]
mod sim_support;

mod a11y;
mod bulk;
mod harness;
mod keyboard;
mod shell;
mod sign_in;
mod tray;
mod unassign;
