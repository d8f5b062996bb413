//! A file another program holds open: on Windows an antivirus scan or a search indexer holds a
//! file for a moment, and a rename then fails with a sharing violation. Renames that must not
//! give up at the first refusal (setting a damaged history aside, moving the data folder) go
//! through [`rename_retrying`]: tried again after each of [`PAUSES`], then the error is
//! returned as it was.

use std::io;
use std::path::Path;
use std::time::Duration;

/// The pauses between tries when another program holds the file: short, growing, bounded
/// (1.5 s in all), so a scan that is just passing is waited out and a program that keeps the
/// file is reported soon.
pub const PAUSES: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
];

/// Whether an OS error code means another program holds the file open: on Windows
/// `ERROR_SHARING_VIOLATION` (32) and `ERROR_LOCK_VIOLATION` (33), what antivirus and search
/// indexers cause. Unix renames an open file without complaint (and 32 is `EPIPE` there).
pub fn is_in_use(code: Option<i32>, windows: bool) -> bool {
    windows && matches!(code, Some(32 | 33))
}

/// [`is_in_use`] for an error of this OS.
pub fn held_by_another_program(error: &io::Error) -> bool {
    is_in_use(error.raw_os_error(), cfg!(windows))
}

/// Renames `from` to `to` with `rename`; while `in_use` says the error is another program
/// holding the file, pauses (with `pause`) for each of [`PAUSES`] and tries again.
pub fn rename_retrying(
    from: &Path,
    to: &Path,
    rename: &mut dyn FnMut(&Path, &Path) -> io::Result<()>,
    in_use: &dyn Fn(&io::Error) -> bool,
    pause: &mut dyn FnMut(Duration),
) -> io::Result<()> {
    let mut pauses = PAUSES.iter();
    loop {
        match rename(from, to) {
            Err(error) if in_use(&error) => match pauses.next() {
                Some(wait) => pause(*wait),
                None => return Err(error),
            },
            done => return done,
        }
    }
}

/// [`rename_retrying`] with the file system's rename, this OS's test and a real pause.
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    rename_retrying(
        from,
        to,
        &mut |from: &Path, to: &Path| std::fs::rename(from, to),
        &held_by_another_program,
        &mut std::thread::sleep,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_sharing_and_lock_violations_mean_another_program_holds_the_file() {
        assert!(is_in_use(Some(32), true), "ERROR_SHARING_VIOLATION");
        assert!(is_in_use(Some(33), true), "ERROR_LOCK_VIOLATION");
        assert!(!is_in_use(Some(5), true), "access denied is not 'in use'");
        assert!(!is_in_use(None, true));
        assert!(!is_in_use(Some(32), false), "32 is EPIPE on Unix");
    }

    #[test]
    fn a_held_rename_is_tried_after_each_pause_then_given_up() {
        let mut attempts = 0;
        let mut pauses = Vec::new();
        let result = rename_retrying(
            Path::new("a"),
            Path::new("b"),
            &mut |_: &Path, _: &Path| {
                attempts += 1;
                Err(io::Error::other("held"))
            },
            &|_| true,
            &mut |pause| pauses.push(pause),
        );
        assert!(result.is_err());
        assert_eq!(attempts, PAUSES.len() + 1);
        assert_eq!(pauses, PAUSES);
    }
}
