//! A checker's findings as groups ([`faultline_checker::FindingGroup`],
//! grouped by the results model, never here): per group its kind and
//! count, the span it covers, the first finding in full, and the rest as
//! one line each inside a `<details>` that expands.

use std::fmt::Write;

use super::escape::html;
use faultline_checker::CheckerResult;

/// Findings listed per group when expanded (the rest are counted), so a
/// report with thousands of findings stays a few hundred kilobytes.
pub const MEMBERS_SHOWN_MAX: usize = 200;

/// The callout of one checker that is not valid: its groups.
pub fn callout(checker: &CheckerResult, class: &str) -> String {
    let groups = checker.grouped();
    if groups.is_empty() {
        return String::new();
    }
    let total: u64 = groups.iter().map(|g| g.count).sum();
    let mut out = String::new();
    let _ = write!(
        out,
        "<div class=\"callout {class} grouped\" data-checker=\"{name}\"><h2>{name}: {summary}</h2>\
         <p class=\"muted\">{total} finding{s} in {n} group{gs}</p>",
        name = html(&checker.name),
        summary = html(&checker.summary),
        s = if total == 1 { "" } else { "s" },
        n = groups.len(),
        gs = if groups.len() == 1 { "" } else { "s" },
    );
    for g in groups.iter() {
        let span = g.span.describe();
        let _ = write!(
            out,
            "<div class=\"group\" data-kind=\"{k}\" data-count=\"{c}\"><h3><code>{k}</code> ×{c}\
             <span class=\"span\">{span}</span></h3><pre class=\"first\">{first}</pre>",
            k = html(&g.kind),
            c = g.count,
            span = html(&span),
            first = html(&g.first),
        );
        if let Some(rest) = g.rest_summary() {
            let _ = write!(
                out,
                "<details class=\"rest\"><summary>{}</summary><ul>",
                html(&rest)
            );
            let members = g.members.iter().skip(1);
            for &m in members.clone().take(MEMBERS_SHOWN_MAX) {
                let line = checker
                    .findings
                    .get(m)
                    .and_then(|f| f.lines().next())
                    .unwrap_or("");
                let _ = write!(out, "<li>{}</li>", html(line.trim()));
            }
            let listed = members.count().min(MEMBERS_SHOWN_MAX) as u64;
            let unlisted = g.count.saturating_sub(1 + listed);
            if unlisted > 0 {
                let _ = write!(out, "<li class=\"muted\">… and {unlisted} more</li>");
            }
            out.push_str("</ul></details>");
        }
        out.push_str("</div>");
    }
    out.push_str("</div>");
    out
}

/// One line per group for the checkers table: `kind ×count: span`.
pub fn brief(checker: &CheckerResult) -> String {
    let groups = checker.grouped();
    if groups.is_empty() {
        return String::new();
    }
    let mut out = String::from("<ul class=\"groups\">");
    for g in groups.iter() {
        let span = g.span.describe();
        let sep = if span.is_empty() { "" } else { ": " };
        let _ = write!(
            out,
            "<li><code>{}</code> ×{}{sep}{}</li>",
            html(&g.kind),
            g.count,
            html(&span)
        );
    }
    out.push_str("</ul>");
    out
}
