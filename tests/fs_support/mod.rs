//! A small, real filesystem for fault tests: a tmpfs of a given size mounted on a temporary
//! directory, which can be filled up or remounted read-only, and is unmounted on drop.
//!
//! Mounting needs root (the test rig runs as root; elsewhere `sudo -n` is tried). Without it
//! the test fails and says so: it does not skip itself.
#![allow(dead_code)]
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct SmallFs {
    dir: tempfile::TempDir,
}

fn privileged(args: &[&str]) -> std::io::Result<std::process::ExitStatus> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        Command::new(args[0]).args(&args[1..]).status()
    } else {
        Command::new("sudo").arg("-n").args(args).status()
    }
}

fn run(args: &[&str]) {
    let status = privileged(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        status.success(),
        "{args:?} failed ({status}). These tests mount a small tmpfs: run them as root or \
         with passwordless sudo, as `cargo xtask test` does in CI."
    );
}

impl SmallFs {
    /// A tmpfs of `kib` KiB.
    pub fn mount(kib: u32) -> SmallFs {
        let dir = tempfile::tempdir().unwrap();
        let size = format!("size={kib}k,mode=0777");
        run(&[
            "mount",
            "-t",
            "tmpfs",
            "-o",
            &size,
            "numberdesk-test",
            dir.path().to_str().unwrap(),
        ]);
        SmallFs { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the filesystem is full; returns its path (delete it to free space).
    pub fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 4096];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        path
    }

    pub fn read_only(&self, on: bool) {
        let options = if on { "remount,ro" } else { "remount,rw" };
        run(&["mount", "-o", options, self.path().to_str().unwrap()]);
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = privileged(&["umount", "-l", self.dir.path().to_str().unwrap()]);
    }
}
