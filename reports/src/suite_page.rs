//! The suite page (`suite --html`, `merge --html`): one self-contained
//! HTML page for many seeds. The facts of the suite (verdict, tally,
//! build, flags, shards), the matrix of seeds × verdict (one coloured
//! cell per seed, linking to its report when the run was kept), the
//! failures grouped by checker and finding kind (40 seeds that hit one
//! bug are one row), and every seed that was not valid with its finding,
//! report and replay command.
//!
//! This module only renders what the caller hands it ([`SuitePage`]).

use std::fmt::Write;

use faultline_checker::Verdict;

use crate::html::escape::html;

/// One seed of the matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedCell {
    /// The seed.
    pub seed: u64,
    /// `valid`, `invalid`, `unknown`, `bad-input` or `error`.
    pub status: String,
    /// A link to its report, relative to the page, when it was kept.
    pub link: Option<String>,
    /// For a seed that is not valid: `checker: first finding`.
    pub finding: Option<String>,
    /// The command that replays it.
    pub replay: String,
}

/// Seeds that failed the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    /// Their status.
    pub status: String,
    /// The checker (or `no verdict`).
    pub checker: String,
    /// The finding with what varies blanked out.
    pub kind: String,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// The first seed's finding.
    pub example: String,
    /// The first seed's replay command.
    pub replay: String,
}

/// What the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct SuitePage {
    /// The page's title.
    pub title: String,
    /// The suite's verdict.
    pub verdict: Verdict,
    /// Label / value lines under the title (tally, build, flags, ...).
    pub facts: Vec<(String, String)>,
    /// Every seed, in order.
    pub seeds: Vec<SeedCell>,
    /// The failure groups, biggest first.
    pub groups: Vec<GroupRow>,
}

const CSS: &str = "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif;color:#1d2330;background:#f6f7f9}\
main{max-width:1300px;margin:0 auto;padding:10px 20px 40px}h1{font-size:22px}h2{font-size:17px;margin:24px 0 8px}\
table{border-collapse:collapse;background:#fff;width:100%}td,th{border:1px solid #dde1e7;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#eef0f4}code{font-size:12px;word-break:break-all}.facts td:first-child{white-space:nowrap;color:#555;width:1%}\
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}\
.matrix{display:flex;flex-wrap:wrap;gap:3px;background:#fff;padding:8px;border:1px solid #dde1e7}\
.cell{display:inline-block;min-width:34px;padding:1px 3px;font-size:11px;text-align:center;border-radius:3px;color:#fff;text-decoration:none}\
.valid{background:#2e8540}.invalid{background:#c62828}.unknown{background:#e08a00}.bad-input,.error{background:#6b6f76}\
.legend span{margin-right:12px}";

fn status_class(status: &str) -> &'static str {
    match status {
        "valid" => "valid",
        "invalid" => "invalid",
        "unknown" => "unknown",
        "bad-input" => "bad-input",
        _ => "error",
    }
}

fn seed_link(cell: &SeedCell) -> String {
    match &cell.link {
        Some(link) => format!("<a href=\"{}\">{}</a>", html(link), cell.seed),
        None => cell.seed.to_string(),
    }
}

/// The page's HTML.
pub fn render_suite_page(page: &SuitePage) -> String {
    let verdict = match page.verdict {
        Verdict::Valid => "valid",
        Verdict::Invalid => "invalid",
        Verdict::Unknown => "unknown",
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body><main>\n<h1>{} <span class=\"badge {verdict}\">{verdict}</span></h1>\n<table class=\"facts\">",
        html(&page.title),
        html(&page.title)
    );
    for (label, value) in &page.facts {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            html(label),
            html(value)
        );
    }
    out.push_str("</table>\n");

    let _ = write!(
        out,
        "<h2>Seeds × verdict ({})</h2>\n<p class=\"legend\"><span class=\"cell valid\">valid</span><span class=\"cell invalid\">invalid</span><span class=\"cell unknown\">unknown</span><span class=\"cell error\">not run</span> a cell links to its report when the run was kept</p>\n<div class=\"matrix\" id=\"matrix\">",
        page.seeds.len()
    );
    for cell in &page.seeds {
        let title = match &cell.finding {
            Some(f) => format!("seed {}: {} — {f}", cell.seed, cell.status),
            None => format!("seed {}: {}", cell.seed, cell.status),
        };
        let class = status_class(&cell.status);
        match &cell.link {
            Some(link) => {
                let _ = write!(
                    out,
                    "<a class=\"cell {class}\" data-seed=\"{}\" href=\"{}\" title=\"{}\">{}</a>",
                    cell.seed,
                    html(link),
                    html(&title),
                    cell.seed
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<span class=\"cell {class}\" data-seed=\"{}\" title=\"{}\">{}</span>",
                    cell.seed,
                    html(&title),
                    cell.seed
                );
            }
        }
    }
    out.push_str("</div>\n");

    if !page.groups.is_empty() {
        out.push_str("<h2>Failures by checker and kind</h2>\n<table id=\"groups\"><tr><th>seeds</th><th>status</th><th>checker</th><th>kind</th><th>first finding</th><th>replay the first</th></tr>");
        for g in &page.groups {
            let seeds: Vec<String> = g
                .seeds
                .iter()
                .map(|s| {
                    page.seeds
                        .iter()
                        .find(|c| c.seed == *s)
                        .map_or_else(|| s.to_string(), seed_link)
                })
                .collect();
            let _ = write!(
                out,
                "<tr class=\"group\"><td><b>{}</b>: {}</td><td><span class=\"cell {}\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                g.seeds.len(),
                seeds.join(", "),
                status_class(&g.status),
                html(&g.status),
                html(&g.checker),
                html(&g.kind),
                html(&g.example),
                html(&g.replay)
            );
        }
        out.push_str("</table>\n");
    }

    let failing: Vec<&SeedCell> = page.seeds.iter().filter(|c| c.status != "valid").collect();
    if !failing.is_empty() {
        let _ = write!(
            out,
            "<h2>Seeds not valid ({})</h2>\n<table id=\"failing\"><tr><th>seed</th><th>status</th><th>finding</th><th>replay</th></tr>",
            failing.len()
        );
        for c in failing {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                seed_link(c),
                html(&c.status),
                html(c.finding.as_deref().unwrap_or("")),
                html(&c.replay)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</main></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_per_seed_a_row_per_group_and_everything_escaped() {
        let cell = |seed: u64, status: &str, link: Option<&str>| SeedCell {
            seed,
            status: status.into(),
            link: link.map(str::to_string),
            finding: (status != "valid").then(|| "raft invariants: <log-matching>".to_string()),
            replay: format!("faultline run --seed {seed}"),
        };
        let page = SuitePage {
            title: "suite <kv>".into(),
            verdict: Verdict::Invalid,
            facts: vec![("flags".into(), "--nodes 5 & more".into())],
            seeds: vec![
                cell(1, "valid", None),
                cell(2, "invalid", Some("kv/r-s2/report.html")),
                cell(3, "invalid", None),
            ],
            groups: vec![GroupRow {
                status: "invalid".into(),
                checker: "raft invariants".into(),
                kind: "<log-matching>".into(),
                seeds: vec![2, 3],
                example: "x".into(),
                replay: "faultline run --seed 2".into(),
            }],
        };
        let page = render_suite_page(&page);
        assert_eq!(page.matches("data-seed=").count(), 3);
        assert_eq!(page.matches("<tr class=\"group\">").count(), 1);
        assert!(
            page.contains("<b>2</b>: <a href=\"kv/r-s2/report.html\">2</a>, 3"),
            "{page}"
        );
        assert!(page.contains("suite &lt;kv&gt;") && !page.contains("<log-matching>"));
        assert!(page.contains("--nodes 5 &amp; more"));
        assert!(page.contains("Seeds not valid (2)"));
    }
}
