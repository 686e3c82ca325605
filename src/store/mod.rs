//! The run store (DESIGN §3), in one place: the names of everything in it,
//! writing a run, reading it back and listing the runs.
//!
//! ```text
//! store/
//!   index.html                       every run (refreshed after each run)
//!   <test-name>/
//!     latest -> <run>                the newest *complete* run
//!     <timestamp>-s<seed>[-<n>]/     one run (`-2`, `-3`, ... when two runs
//!                                      of one seed start in the same second;
//!                                      `-shrunk` before it: made by
//!                                      `faultline shrink`)
//!       config.json
//!       history.csv  history.jsonl
//!       results.json                 the checker's results model
//!       report.html  latency-raw.png  latency-quantiles.png  rate.png
//!       nodes/n<id>.log
//!       shrink.json                  (a shrunk run) what `faultline shrink` did
//! ```
//!
//! [`write`] creates run directories and writes runs, [`read`] loads them
//! (with `file:line` errors), [`list`] scans the store for its index.

pub mod list;
pub mod read;
pub mod write;

use std::fmt;

use anyhow::Result;

/// A run's configuration.
pub const CONFIG_JSON: &str = "config.json";
/// A run's history, as CSV.
pub const HISTORY_CSV: &str = "history.csv";
/// A run's history, as JSON Lines.
pub const HISTORY_JSONL: &str = "history.jsonl";
/// A run's results (the checker's [`faultline_checker::RunResults`]).
pub const RESULTS_JSON: &str = "results.json";
/// The directory of a run's node logs.
pub const NODES_DIR: &str = "nodes";
/// The per-test link to the newest complete run.
pub const LATEST: &str = "latest";
/// The store's index page (written by the reports crate).
pub use faultline_reports::index::INDEX_HTML;
/// A run's report page (written by the reports crate).
pub use faultline_reports::REPORT_HTML;

/// The node log of node `id`, relative to its run directory.
pub fn node_log_path(id: u64) -> String {
    format!("{NODES_DIR}/n{id}.log")
}

/// A run directory's name: `<timestamp>-s<seed>`, then `-shrunk` for a run
/// made by `faultline shrink`, then `-<attempt>` when an earlier run of
/// the same seed took the name in the same second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunName {
    /// UTC, `YYYYMMDDTHHMMSSZ`.
    pub stamp: String,
    /// The run's seed.
    pub seed: u64,
    /// 1 for the first run with this stamp and seed, then 2, 3, ...
    pub attempt: u32,
    /// Whether `faultline shrink` made it (`-shrunk`).
    pub shrunk: bool,
}

impl fmt::Display for RunName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-s{}", self.stamp, self.seed)?;
        if self.shrunk {
            write!(f, "-shrunk")?;
        }
        if self.attempt > 1 {
            write!(f, "-{}", self.attempt)?;
        }
        Ok(())
    }
}

impl RunName {
    /// Parses a run directory's name; `None` for names the store did not
    /// make.
    pub fn parse(name: &str) -> Option<RunName> {
        // `-shrunk` holds `-s` too: take it out (keeping any `-<attempt>`)
        // before finding the seed.
        let (plain, shrunk) = match name.rfind("-shrunk") {
            Some(at) if name[at + 7..].is_empty() || name[at + 7..].starts_with('-') => {
                (format!("{}{}", &name[..at], &name[at + 7..]), true)
            }
            _ => (name.to_string(), false),
        };
        let (stamp, rest) = plain.rsplit_once("-s")?;
        let (seed, attempt) = match rest.split_once('-') {
            Some((seed, attempt)) => (seed, attempt.parse().ok().filter(|&a| a > 1)?),
            None => (rest, 1),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if stamp.is_empty() || !digits(seed) {
            return None;
        }
        Some(RunName {
            stamp: stamp.to_string(),
            seed: seed.parse().ok()?,
            attempt,
            shrunk,
        })
    }
}

/// Test names become directory names: keep them to a safe alphabet.
pub fn validate_test_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name != LATEST
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err(format!(
            "test name {name:?} must be non-empty and use only letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_names_round_trip_with_and_without_the_collision_suffix() {
        for (text, seed, attempt) in [
            ("20261123T104100Z-s42", 42, 1),
            ("20261123T104100Z-s42-2", 42, 2),
            ("20261123T104100Z-s0-17", 0, 17),
            ("20261123T104100Z-s42-shrunk", 42, 1),
            ("20261123T104100Z-s42-shrunk-3", 42, 3),
        ] {
            let name = RunName::parse(text).unwrap();
            assert_eq!((name.seed, name.attempt), (seed, attempt), "{text}");
            assert_eq!(name.shrunk, text.contains("-shrunk"), "{text}");
            assert_eq!(name.stamp, "20261123T104100Z");
            assert_eq!(name.to_string(), text);
        }
        for bad in [
            "weird-name",
            "t-sx",
            "-s4",
            "x-s4-1",
            "x-s4-y",
            "x-s-2",
            "x-s4-shrunkx",
            "x-s4-shrunk-1",
        ] {
            assert_eq!(RunName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn test_names_that_escape_the_store_are_rejected() {
        for bad in ["", "..", "a/b", "latest", "x y"] {
            assert!(validate_test_name(bad).is_err(), "{bad:?} accepted");
        }
        validate_test_name("kv-5.nodes_1").unwrap();
    }
}
