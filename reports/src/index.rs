//! `store/index.html`: every stored run, newest first per test, with its
//! verdict colour and links. Runs whose `results.json` cannot be read are
//! listed as unreadable with the reason; they never stop the index.
//!
//! This module only renders: the store (the `faultline` binary's `store`
//! module) lists the runs and hands them over as [`RunEntry`]s.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use faultline_checker::Verdict;

use crate::error::ReportError;
use crate::html::escape::{html, url_segment};
use crate::html::summary::badge;
use crate::render::{write_atomically, REPORT_HTML};

/// The index's file name in the store root.
pub const INDEX_HTML: &str = "index.html";

/// What the index shows about one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEntry {
    /// The test's directory name.
    pub test: String,
    /// The run's directory name.
    pub run: String,
    /// When it ran.
    pub time: String,
    /// The seed, if known.
    pub seed: Option<u64>,
    /// The verdict and checker verdicts, or why results.json was unreadable.
    pub status: Result<RunStatus, String>,
    /// Whether `latest` points at this run.
    pub latest: bool,
    /// The run's files worth linking (names relative to the run directory).
    pub files: Vec<String>,
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

/// Writes `store_root/index.html` listing `entries` (in the order given).
/// Returns its path.
pub fn render_index(store_root: &Path, entries: &[RunEntry]) -> Result<PathBuf, ReportError> {
    let path = store_root.join(INDEX_HTML);
    write_atomically(&path, index_page(entries).as_bytes())?;
    Ok(path)
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
    let run_cell = if e.files.iter().any(|f| f == REPORT_HTML) {
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
