//! Loads a stored run directory back into a [`ReportInput`], so a run can
//! be re-rendered from its files without running it again.
//!
//! `results.json` is required (see [`crate::input`] for its layout). When it
//! has no `config`, `config.json` fills it in; when it has no `operations`
//! (or no `faults`), they are rebuilt from `history.jsonl`, or from
//! `history.csv` if there is no JSON Lines file.

use std::fs;
use std::path::Path;

use faultline_checker::history::History;
use serde_json::Value;

use crate::error::ReportError;
use crate::from_history::{faults_from_history, operations_from_history};
use crate::input::ReportInput;

/// File names inside a run directory (DESIGN §3).
pub const RESULTS_JSON: &str = "results.json";
/// See [`RESULTS_JSON`].
pub const CONFIG_JSON: &str = "config.json";
/// See [`RESULTS_JSON`].
pub const HISTORY_JSONL: &str = "history.jsonl";
/// See [`RESULTS_JSON`].
pub const HISTORY_CSV: &str = "history.csv";

/// Reads `results.json` (and, as needed, `config.json` and the history) of
/// the run directory `dir`.
pub fn load_run(dir: &Path) -> Result<ReportInput, ReportError> {
    let mut input: ReportInput = read_json(&dir.join(RESULTS_JSON))?;
    if input.config.is_null() {
        let path = dir.join(CONFIG_JSON);
        if path.exists() {
            input.config = read_json::<Value>(&path)?;
        }
    }
    if input.operations.is_empty() || input.faults.is_empty() {
        if let Some(history) = read_history(dir)? {
            if input.operations.is_empty() {
                input.operations = operations_from_history(&history);
            }
            if input.faults.is_empty() {
                input.faults = faults_from_history(&history);
            }
        }
    }
    Ok(input)
}

/// Parses a JSON file into `T`, naming the file, line and column on error.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    let text = fs::read_to_string(path).map_err(|e| ReportError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| ReportError::Parse {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// The run's history, from `history.jsonl` or else `history.csv`; `None`
/// when the directory holds neither.
pub fn read_history(dir: &Path) -> Result<Option<History>, ReportError> {
    type Reader = fn(
        fs::File,
        &str,
    ) -> Result<
        faultline_checker::history::SourcedHistory,
        faultline_checker::error::HistoryError,
    >;
    let readers: [(&str, Reader); 2] = [
        (HISTORY_JSONL, |f, s| {
            faultline_checker::io::jsonl::read(f, s)
        }),
        (HISTORY_CSV, |f, s| faultline_checker::io::csv::read(f, s)),
    ];
    for (name, read) in readers {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let file = fs::File::open(&path).map_err(|e| ReportError::io(&path, e))?;
        let sourced = read(file, &path.display().to_string()).map_err(|e| ReportError::Parse {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        return Ok(Some(sourced.history));
    }
    Ok(None)
}
