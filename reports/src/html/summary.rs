//! The page's summary parts: header with the verdict, seed and replay
//! command; each checker's verdict; stats; situations reached;
//! configuration.

use std::fmt::Write;

use serde_json::Value;

use super::escape::html;
use crate::input::ReportInput;
use faultline_checker::Verdict;

/// A coloured verdict badge.
pub fn badge(verdict: Verdict) -> String {
    format!("<span class=\"badge {v}\">{v}</span>", v = verdict.as_str())
}

/// The page header.
pub fn header(input: &ReportInput) -> String {
    let mut out = String::new();
    let title = if input.results.title.is_empty() {
        "faultline run"
    } else {
        input.results.title.as_str()
    };
    let _ = write!(
        out,
        "<header class=\"top {v}\"><div class=\"verdict\">{b}</div><div><h1>{t}</h1><p class=\"meta\">",
        v = input.results.verdict.as_str(),
        b = badge(input.results.verdict),
        t = html(title)
    );
    let mut meta = Vec::new();
    if let Some(test) = &input.results.test_name {
        meta.push(format!("test <b>{}</b>", html(test)));
    }
    if let Some(at) = &input.results.started_at {
        meta.push(format!("started {}", html(at)));
    }
    if let Some(seed) = input.results.seed {
        meta.push(format!("seed <b class=\"seed\">{seed}</b>"));
    }
    let bugs: Vec<&str> = input
        .results
        .config
        .get("bugs")
        .and_then(|b| b.as_array())
        .map(|b| b.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if !bugs.is_empty() {
        meta.push(format!(
            "<b class=\"bugs\">seeded bugs: {}</b>",
            html(&bugs.join(", "))
        ));
    }
    meta.push(format!("{} operations", input.operations.len()));
    meta.push(format!("{} fault periods", input.faults.len()));
    out.push_str(&meta.join(" · "));
    out.push_str("</p>");
    if let Some(cmd) = &input.results.replay_command {
        let _ = write!(
            out,
            "<p class=\"replay\">replay: <code>{}</code></p>",
            html(cmd)
        );
    }
    if let Some(from) = input.results.config.get("shrunk_from") {
        let field = |name: &str| from.get(name).and_then(Value::as_str).unwrap_or("");
        let _ = write!(
            out,
            "<p class=\"shrunk\">shrunk by <code>faultline shrink</code> from \
             <a href=\"{}\">{}</a></p>",
            html(field("report")),
            html(field("run_dir"))
        );
    }
    out.push_str("</div></header>");
    out
}

/// The table of checkers and their verdicts.
pub fn checkers(input: &ReportInput) -> String {
    if input.results.checkers.is_empty() {
        return "<p class=\"muted\">No checker results were recorded.</p>".to_string();
    }
    let mut out = String::from(
        "<table class=\"checkers\"><thead><tr><th>checker</th><th>verdict</th><th>summary</th></tr></thead><tbody>",
    );
    for c in &input.results.checkers {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}",
            html(&c.name),
            badge(c.verdict),
            html(&c.summary)
        );
        out.push_str(&super::groups::brief(c));
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// The stats table.
pub fn stats(input: &ReportInput) -> String {
    if input.results.stats.is_empty() {
        return "<p class=\"muted\">No stats were recorded.</p>".to_string();
    }
    let mut out = String::from("<table class=\"stats\"><tbody>");
    for (name, value) in &input.results.stats {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() => format!("{f:.4}")
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .to_string(),
                _ => n.to_string(),
            },
            other => other.to_string(),
        };
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{}</td></tr>",
            html(name),
            html(&text)
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// The situations the run reached: occurrences and the first time, one
/// row each; those never reached are listed on one muted line.
pub fn situations(input: &ReportInput) -> String {
    let all = &input.results.situations;
    let mut out = String::from(
        "<table class=\"stats situations\"><thead><tr><th>situation</th><th>count</th><th>first at</th></tr></thead><tbody>",
    );
    for (name, c) in all.iter().filter(|(_, c)| c.count > 0) {
        let first = c
            .first_ms
            .map_or("–".to_string(), |ms| format!("{:.3} s", ms as f64 / 1e3));
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            html(name),
            c.count,
            first
        );
    }
    out.push_str("</tbody></table>");
    let never: Vec<&str> = all
        .iter()
        .filter(|(_, c)| c.count == 0)
        .map(|(n, _)| n.as_str())
        .collect();
    if !never.is_empty() {
        let _ = write!(
            out,
            "<p class=\"muted\">never reached: {}</p>",
            html(&never.join(", "))
        );
    }
    out
}

/// The configuration, pretty-printed.
pub fn config(input: &ReportInput) -> String {
    if input.results.config.is_null() {
        return "<p class=\"muted\">No configuration was recorded.</p>".to_string();
    }
    let text = serde_json::to_string_pretty(&input.results.config)
        .unwrap_or_else(|_| input.results.config.to_string());
    format!("<pre class=\"config\">{}</pre>", html(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checker::SituationCount;

    #[test]
    fn situations_list_the_reached_ones_with_their_first_time_and_name_the_rest() {
        let mut input = ReportInput::default();
        let reached = SituationCount {
            count: 3,
            first_ms: Some(1250),
        };
        input.results.situations = [
            ("two-leaders".to_string(), reached),
            ("snapshot-installed".to_string(), SituationCount::default()),
            ("leader-crashed".to_string(), SituationCount::default()),
        ]
        .into();
        let text = situations(&input);
        assert!(
            text.contains("<tr><th>two-leaders</th><td>3</td><td>1.250 s</td></tr>"),
            "{text}"
        );
        assert!(
            text.contains("never reached: leader-crashed, snapshot-installed"),
            "{text}"
        );
    }
}
