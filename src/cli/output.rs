//! Where commands write: standard output that may close under them, and
//! output paths checked before any work starts.
//!
//! * [`say!`](crate::say) prints a line like `println!`, but a standard
//!   output that is gone (`faultline run | head -1`, a CI log collector
//!   that quit) makes it quiet instead of panicking: the run or suite
//!   finishes, is stored, and exits with its verdict.
//! * [`check_store`] and [`check_file`] try an output location before a
//!   command starts, so a path that cannot be written is a bad argument
//!   (exit 254, naming the flag and the path), never noticed after an hour
//!   of simulation.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::exit::CliError;

/// Set once a write to standard output failed; later lines are dropped.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// Prints a line to standard output; a closed or failing standard output
/// makes this and every later line a no-op (see the module docs).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::line(format_args!($($arg)*))
    };
}

/// Writes one line to standard output unless it already failed once.
pub fn line(args: std::fmt::Arguments<'_>) {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .is_err()
    {
        STDOUT_GONE.store(true, Ordering::Relaxed);
    }
}

/// Checks that `root` can hold a store: it is (or can be created as) a
/// directory in which files can be created. The error names `--store`.
pub fn check_store(root: &Path) -> Result<(), CliError> {
    let refuse = |why: String| {
        CliError::bad_input(format!(
            "--store: cannot store runs in {}: {why}",
            root.display()
        ))
    };
    if root.exists() && !root.is_dir() {
        return Err(refuse("it is not a directory".into()));
    }
    std::fs::create_dir_all(root).map_err(|e| refuse(e.to_string()))?;
    let probe = root.join(format!(".faultline-probe-{}", std::process::id()));
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .map_err(|e| refuse(e.to_string()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Checks that the file `path` given with `--flag` can be written: not a
/// directory, its missing parent directories creatable, the file itself
/// openable for writing. A file that did not exist is not left behind.
pub fn check_file(flag: &str, path: &Path) -> Result<(), CliError> {
    let refuse = |why: String| {
        CliError::bad_input(format!("--{flag}: cannot write {}: {why}", path.display()))
    };
    if path.is_dir() {
        return Err(refuse("it is a directory".into()));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| refuse(e.to_string()))?;
    }
    let existed = path.exists();
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| refuse(e.to_string()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Writes `text` to `path` (given with `--flag`), creating missing parent
/// directories; the error names the flag and the path.
pub fn write_file(flag: &str, path: &Path, text: &str) -> Result<(), CliError> {
    let cannot = |e: std::io::Error| {
        CliError::bad_input(format!("--{flag}: cannot write {}: {e}", path.display()))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(cannot)?;
    }
    std::fs::write(path, text).map_err(cannot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_that_cannot_be_written_are_refused_naming_the_flag() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, "x").unwrap();
        for (flag, path) in [
            ("summary", tmp.path().to_path_buf()),
            ("summary", file.join("below-a-file.json")),
            (
                "junit",
                Path::new("/proc/no-such-dir/junit.xml").to_path_buf(),
            ),
        ] {
            let err = check_file(flag, &path).unwrap_err();
            let text = err.error().to_string();
            assert!(text.starts_with(&format!("--{flag}: ")), "{text}");
            assert!(text.contains(&path.display().to_string()), "{text}");
        }
        // A writable path passes and leaves nothing behind.
        let fresh = tmp.path().join("a/b/summary.json");
        check_file("summary", &fresh).unwrap();
        assert!(!fresh.exists());
        assert!(fresh.parent().unwrap().is_dir());
        // An existing file is kept as it was.
        check_file("summary", &file).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    }

    #[test]
    fn a_store_must_be_a_writable_directory() {
        let tmp = tempfile::tempdir().unwrap();
        check_store(&tmp.path().join("new/store")).unwrap();
        assert!(tmp.path().join("new/store").is_dir());
        assert_eq!(
            std::fs::read_dir(tmp.path().join("new/store"))
                .unwrap()
                .count(),
            0
        );
        for bad in [Path::new("/dev/null"), Path::new("/proc/version")] {
            let err = check_store(bad).unwrap_err();
            let text = err.error().to_string();
            assert!(
                text.contains("--store") && text.contains(&bad.display().to_string()),
                "{text}"
            );
        }
    }
}
