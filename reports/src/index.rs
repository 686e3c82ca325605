//! `store/index.html`: every stored run, newest first per test, with its
//! verdict colour and links. Runs whose `results.json` cannot be read are
//! listed as unreadable with the reason; they never stop the index.
//!
//! The store layout (DESIGN §3) is `store/<test-name>/<timestamp>-s<seed>/`,
//! with `store/<test-name>/latest` pointing at the newest run.

use std::fmt::Write;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::ReportError;
use crate::html::escape::{html, url_segment};
use crate::html::summary::badge;
use crate::input::Verdict;
use crate::load::{read_json, HISTORY_CSV, RESULTS_JSON};
use crate::render::{write_atomically, REPORT_HTML};

/// The index's file name in the store root.
pub const INDEX_HTML: &str = "index.html";

/// The name of the link to a test's newest run.
pub const LATEST: &str = "latest";

/// What the index shows about one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEntry {
    /// The test's directory name.
    pub test: String,
    /// The run's directory name (`<timestamp>-s<seed>`).
    pub run: String,
    /// When it ran: `started_at` from results.json, else the name's timestamp.
    pub time: String,
    /// The seed, from results.json or the directory name.
    pub seed: Option<u64>,
    /// The verdict and checker verdicts, or why results.json was unreadable.
    pub status: Result<RunStatus, String>,
    /// Whether `latest` points at this run.
    pub latest: bool,
    /// Which of the run's files exist (relative names).
    pub files: Vec<&'static str>,
}

/// The readable part of a run's results.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStatus {
    /// The overall verdict.
    pub verdict: Verdict,
    /// The run's title, if any.
    pub title: String,
    /// Each checker's name and verdict.
    pub checkers: Vec<(String, Verdict)>,
}

/// Scans `store_root` and writes `store_root/index.html`. Returns its path.
pub fn render_index(store_root: &Path) -> Result<PathBuf, ReportError> {
    let entries = scan_store(store_root)?;
    let path = store_root.join(INDEX_HTML);
    write_atomically(&path, index_page(&entries).as_bytes())?;
    Ok(path)
}

/// Every run under `store_root`: tests by name, runs newest first.
pub fn scan_store(store_root: &Path) -> Result<Vec<RunEntry>, ReportError> {
    let mut entries = Vec::new();
    for test_dir in sorted_dirs(store_root)? {
        let test = file_name(&test_dir);
        let latest = fs::read_link(test_dir.join(LATEST))
            .ok()
            .and_then(|target| target.file_name().map(|n| n.to_string_lossy().into_owned()));
        let mut runs = match sorted_dirs(&test_dir) {
            Ok(runs) => runs,
            Err(_) => continue,
        };
        runs.reverse();
        for run_dir in runs {
            let run = file_name(&run_dir);
            if run == LATEST {
                continue;
            }
            entries.push(entry(
                &test,
                &run,
                &run_dir,
                latest.as_deref() == Some(run.as_str()),
            ));
        }
    }
    Ok(entries)
}

/// Real (non-symlink, non-hidden) subdirectories of `dir`, sorted by name.
fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let read = fs::read_dir(dir).map_err(|e| ReportError::io(dir, e))?;
    let mut dirs: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .map(|e| e.path())
        .filter(|p| !file_name(p).starts_with('.'))
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Splits `<timestamp>-s<seed>` into its parts.
pub fn parse_run_name(name: &str) -> (String, Option<u64>) {
    match name.rsplit_once("-s") {
        Some((time, seed)) => match seed.parse() {
            Ok(seed) => (time.to_string(), Some(seed)),
            Err(_) => (name.to_string(), None),
        },
        None => (name.to_string(), None),
    }
}

fn entry(test: &str, run: &str, dir: &Path, latest: bool) -> RunEntry {
    let (name_time, name_seed) = parse_run_name(run);
    let results = read_json::<Value>(&dir.join(RESULTS_JSON));
    let files = [REPORT_HTML, RESULTS_JSON, HISTORY_CSV]
        .into_iter()
        .filter(|f| dir.join(f).exists())
        .collect();
    let mut e = RunEntry {
        test: test.to_string(),
        run: run.to_string(),
        time: name_time,
        seed: name_seed,
        status: Err(String::new()),
        latest,
        files,
    };
    e.status = match results {
        Err(err) => Err(err.to_string()),
        Ok(v) => match v.get("valid").and_then(Verdict::from_json) {
            None => Err(format!(
                "{RESULTS_JSON} has no valid/invalid/unknown \"valid\" field"
            )),
            Some(verdict) => {
                if let Some(at) = v.get("started_at").and_then(Value::as_str) {
                    e.time = at.to_string();
                }
                if let Some(seed) = v.get("seed").and_then(Value::as_u64) {
                    e.seed = Some(seed);
                }
                let checkers = v
                    .get("checkers")
                    .and_then(Value::as_array)
                    .map(|cs| {
                        cs.iter()
                            .filter_map(|c| {
                                let name = c.get("name")?.as_str()?.to_string();
                                let verdict = c.get("valid").or_else(|| c.get("verdict"))?;
                                Some((name, Verdict::from_json(verdict)?))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let title = v
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                Ok(RunStatus {
                    verdict,
                    title,
                    checkers,
                })
            }
        },
    };
    e
}

const INDEX_CSS: &str = "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif;color:#1d2330;background:#f6f7f9}\
main{max-width:1300px;margin:0 auto;padding:10px 20px 40px}h1{font-size:22px}h2{font-size:17px;margin:22px 0 8px}\
table{border-collapse:collapse;width:100%;table-layout:fixed;background:#fff;border:1px solid #e3e6eb}\
th:nth-child(1){width:22%}th:nth-child(2){width:16%}th:nth-child(3){width:8%}th:nth-child(4){width:20%}th:nth-child(5){width:20%}th:nth-child(6){width:14%}td{overflow-wrap:anywhere}th,td{text-align:left;padding:5px 10px;border-bottom:1px solid #e3e6eb;vertical-align:top}\
tr.invalid td:first-child{border-left:5px solid #c62828}tr.valid td:first-child{border-left:5px solid #4caf50}tr.unknown td:first-child{border-left:5px solid #ef8f00}tr.unreadable td:first-child{border-left:5px solid #9ca3af}\
.badge{display:inline-block;padding:1px 9px;border-radius:999px;color:#fff;font-weight:700;text-transform:uppercase;font-size:11px}\
.badge.valid{background:#4caf50}.badge.invalid{background:#c62828}.badge.unknown{background:#ef8f00}.badge.unreadable{background:#9ca3af}\
.small{font-size:12px;color:#6b7280}.latest{font-size:11px;background:#e8f0fe;color:#1f5fbf;border-radius:4px;padding:0 5px;margin-left:6px}a{color:#1f5fbf}";

/// Renders the index page for `entries`.
pub fn index_page(entries: &[RunEntry]) -> String {
    let count = |pred: &dyn Fn(&RunEntry) -> bool| entries.iter().filter(|e| pred(e)).count();
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>faultline runs</title>\
         <style>{INDEX_CSS}</style></head><body><main><h1>faultline runs</h1><p>{} runs: {} valid, {} invalid, {} unknown, {} unreadable.</p>",
        entries.len(),
        count(&|e| matches!(&e.status, Ok(s) if s.verdict == Verdict::Valid)),
        count(&|e| matches!(&e.status, Ok(s) if s.verdict == Verdict::Invalid)),
        count(&|e| matches!(&e.status, Ok(s) if s.verdict == Verdict::Unknown)),
        count(&|e| e.status.is_err()),
    );
    if entries.is_empty() {
        out.push_str("<p class=\"small\">The store holds no runs yet.</p>");
    }
    let mut current_test: Option<&str> = None;
    for e in entries {
        if current_test != Some(e.test.as_str()) {
            if current_test.is_some() {
                out.push_str("</tbody></table>");
            }
            current_test = Some(e.test.as_str());
            let _ = write!(
                out,
                "<h2>{}</h2><table><thead><tr><th>run</th><th>time</th><th>seed</th><th>verdict</th><th>checkers</th><th>files</th></tr></thead><tbody>",
                html(&e.test)
            );
        }
        row(&mut out, e);
    }
    if current_test.is_some() {
        out.push_str("</tbody></table>");
    }
    out.push_str("</main></body></html>\n");
    out
}

fn row(out: &mut String, e: &RunEntry) {
    let href = |file: &str| format!("{}/{}/{}", url_segment(&e.test), url_segment(&e.run), file);
    let class = match &e.status {
        Ok(s) => s.verdict.as_str(),
        Err(_) => "unreadable",
    };
    let run_cell = if e.files.contains(&REPORT_HTML) {
        format!(
            "<a href=\"{}\">{}</a>",
            html(&href(REPORT_HTML)),
            html(&e.run)
        )
    } else {
        html(&e.run)
    };
    let latest = if e.latest {
        "<span class=\"latest\">latest</span>"
    } else {
        ""
    };
    let seed = e
        .seed
        .map(|s| s.to_string())
        .unwrap_or_else(|| "–".to_string());
    let _ = write!(
        out,
        "<tr class=\"{class}\"><td>{run_cell}{latest}</td><td>{}</td><td>{seed}</td>",
        html(&e.time)
    );
    match &e.status {
        Ok(s) => {
            let checkers: Vec<String> = s
                .checkers
                .iter()
                .map(|(n, v)| format!("{} {}", html(n), badge(*v)))
                .collect();
            let title = if s.title.is_empty() {
                String::new()
            } else {
                format!("<div class=\"small\">{}</div>", html(&s.title))
            };
            let _ = write!(
                out,
                "<td>{}{title}</td><td>{}</td>",
                badge(s.verdict),
                checkers.join(" ")
            );
        }
        Err(reason) => {
            let _ = write!(
                out,
                "<td><span class=\"badge unreadable\">unreadable</span></td><td class=\"small\">{}</td>",
                html(reason)
            );
        }
    }
    let links: Vec<String> = e
        .files
        .iter()
        .map(|f| format!("<a href=\"{}\">{}</a>", html(&href(f)), html(f)))
        .collect();
    let _ = write!(out, "<td>{}</td></tr>", links.join(" · "));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_names_split_into_time_and_seed() {
        assert_eq!(
            parse_run_name("20261123T104100-s42"),
            ("20261123T104100".to_string(), Some(42))
        );
        assert_eq!(
            parse_run_name("weird-name"),
            ("weird-name".to_string(), None)
        );
        assert_eq!(parse_run_name("t-sx"), ("t-sx".to_string(), None));
    }
}
