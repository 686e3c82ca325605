//! Reading runs back: `results.json`, `config.json`, the history, and the
//! whole report input a re-render needs. Every error names the file (and,
//! for JSON, the line and column) so a corrupted run directory is reported
//! as bad input, never as a crash.

use std::fs;
use std::path::{Path, PathBuf};

use faultline_checker::history::History;
use faultline_checker::RunResults;
use faultline_reports::ReportInput;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{CONFIG_JSON, HISTORY_CSV, HISTORY_JSONL, NODES_DIR, RESULTS_JSON};

/// A stored file that is missing or does not parse. It displays as
/// `file:line: reason` (or `file: reason` when no line applies).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file that cannot be read or is not the JSON expected.
    #[error("{}{}: {detail}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    File {
        /// The file.
        path: PathBuf,
        /// The 1-based line the problem is on, when known.
        line: Option<usize>,
        /// What is wrong.
        detail: String,
    },
    /// A history file that does not parse (the error names file and line).
    #[error(transparent)]
    History(#[from] faultline_checker::error::HistoryError),
}

impl StoreError {
    /// What is wrong, without the file's name (for a listing of runs).
    pub fn reason(&self) -> String {
        match self {
            StoreError::File { line, detail, .. } => match line {
                Some(l) => format!("line {l}: {detail}"),
                None => detail.clone(),
            },
            StoreError::History(e) => e.to_string(),
        }
    }

    fn file(path: &Path, detail: String) -> Self {
        StoreError::File {
            path: path.to_path_buf(),
            line: None,
            detail,
        }
    }
}

/// Parses a JSON file into `T`, naming the file, line and column on error.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, StoreError> {
    let text = fs::read_to_string(path)
        .map_err(|e| StoreError::file(path, format!("cannot read: {e}")))?;
    serde_json::from_str(&text).map_err(|e| {
        // serde_json's message ends with " at line L column C"; keep the
        // reason and state the position once.
        let message = e.to_string();
        let reason = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(reason, _)| reason);
        StoreError::File {
            path: path.to_path_buf(),
            line: Some(e.line()),
            detail: format!("column {}: {reason}", e.column()),
        }
    })
}

/// A run's `results.json` (either encoding of verdicts).
pub fn read_results(dir: &Path) -> Result<RunResults, StoreError> {
    read_json(&dir.join(RESULTS_JSON))
}

/// The run's history, from `history.jsonl` or else `history.csv`; `None`
/// when the directory holds neither.
pub fn read_history(dir: &Path) -> Result<Option<History>, StoreError> {
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
        let file = fs::File::open(&path)
            .map_err(|e| StoreError::file(&path, format!("cannot open: {e}")))?;
        let sourced = read(file, &path.display().to_string())?;
        return Ok(Some(sourced.history));
    }
    Ok(None)
}

/// Everything a report of the stored run shows: its results (with
/// `config.json` filled in when the results lack it), the operations and
/// faults of its history, and its node logs.
pub fn load_report(dir: &Path) -> Result<ReportInput, StoreError> {
    let mut results = read_results(dir)?;
    if results.config.is_null() {
        let path = dir.join(CONFIG_JSON);
        if path.exists() {
            results.config = read_json::<Value>(&path)?;
        }
    }
    let history = read_history(dir)?.unwrap_or_default();
    let mut input = ReportInput::new(results, &history);
    input.node_logs = node_logs(dir);
    Ok(input)
}

/// The node logs of a run (`nodes/*.log`), relative to it, sorted.
pub fn node_logs(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir.join(NODES_DIR)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .map(|n| format!("{NODES_DIR}/{n}"))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history_jsonl() -> Vec<u8> {
        let csv = "index,time_ns,process,type,f,key,value\n\
                   0,1000,0,invoke,write,k,1\n\
                   1,2000,0,ok,write,k,1\n\
                   2,3000,nemesis,info,start-partition,,\"{\"\"id\"\":1}\"\n";
        let history = faultline_checker::io::csv::read(csv.as_bytes(), "t.csv")
            .unwrap()
            .history;
        let mut jsonl = Vec::new();
        faultline_checker::io::jsonl::write(&history, &mut jsonl).unwrap();
        jsonl
    }

    #[test]
    fn a_run_written_by_an_older_build_loads_with_its_string_verdicts() {
        let dir = tempfile::tempdir().unwrap();
        let results = r#"{"valid": "invalid", "title": "old",
            "checkers": [{"name": "raft invariants", "valid": "invalid", "summary": "1", "findings": ["x"]}],
            "operations": [{"id": 0}], "raft_violations": ["x"], "extra_field_from_a_newer_runner": 1}"#;
        fs::write(dir.path().join(RESULTS_JSON), results).unwrap();
        fs::write(dir.path().join(CONFIG_JSON), r#"{"seed": 4}"#).unwrap();
        fs::write(dir.path().join(HISTORY_JSONL), history_jsonl()).unwrap();
        fs::create_dir_all(dir.path().join(NODES_DIR)).unwrap();
        for name in ["n2.log", "n1.log", "notes.txt"] {
            fs::write(dir.path().join(NODES_DIR).join(name), "x").unwrap();
        }
        let input = load_report(dir.path()).unwrap();
        assert_eq!(input.results.verdict, faultline_checker::Verdict::Invalid);
        assert_eq!(input.results.config["seed"], 4);
        assert_eq!(input.operations.len(), 1);
        assert_eq!(input.faults.len(), 1);
        assert_eq!(input.node_logs, ["nodes/n1.log", "nodes/n2.log"]);
    }

    #[test]
    fn a_corrupted_run_names_the_file_that_did_not_parse() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_report(dir.path()).unwrap_err().to_string();
        assert!(err.contains("results.json: cannot read"), "{err}");
        fs::write(dir.path().join(RESULTS_JSON), "{\"valid\": \"maybe\"}").unwrap();
        let err = load_report(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("results.json") && err.contains("maybe"),
            "{err}"
        );
        fs::write(dir.path().join(RESULTS_JSON), "{\"valid\": true}").unwrap();
        fs::write(dir.path().join(HISTORY_JSONL), "{\"index\": \"x\"}\n").unwrap();
        let err = load_report(dir.path()).unwrap_err().to_string();
        assert!(err.contains("history.jsonl"), "{err}");
    }
}
