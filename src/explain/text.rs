//! The one-screen terminal summary of a run that is not valid, printed by
//! `faultline run` and `faultline report --text`: per checker that is not
//! valid, its first group of findings in three lines (what broke, where,
//! when), the event that most likely set it off, its other groups one line
//! each (the caller adds the replay command). CI logs say what broke without the page.

use std::fmt::Write;

use faultline_checker::Verdict;
use faultline_reports::ReportInput;

use super::events::RunEvent;
use super::{context, failures, Failure};

/// The longest line of a finding shown (the rest is in the report).
const LINE_CHARS_MAX: usize = 150;

/// Other groups listed per checker (the rest are counted).
const OTHER_GROUPS_MAX: usize = 4;

/// The summary; empty for a valid run.
pub fn summary(input: &ReportInput, events: &[RunEvent]) -> String {
    let r = &input.results;
    if r.verdict == Verdict::Valid {
        return String::new();
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", r.verdict.as_str().to_uppercase(), r.title);
    for f in failures(input) {
        checker(&mut out, &f, input, events);
    }
    out
}

fn checker(out: &mut String, f: &Failure<'_>, input: &ReportInput, events: &[RunEvent]) {
    let c = f.checker;
    let total: u64 = c.grouped().iter().map(|g| g.count).sum();
    let _ = writeln!(
        out,
        "{} {}: {} finding{} in {} group{}",
        c.name,
        c.verdict,
        total,
        plural(total),
        f.groups,
        plural(f.groups as u64)
    );
    let g = &f.group;
    let what = g.headline();
    let what = match what.split_once("): ") {
        Some((_, detail)) if what.contains(" violated at ") => format!("{}: {detail}", g.kind),
        _ if what.starts_with(&format!("{}:", g.kind)) => what.to_string(),
        _ => format!("{}: {what}", g.kind),
    };
    let _ = writeln!(out, "  what:    {}", cut(&what));
    let mut place = g.span.place().unwrap_or_else(|| "-".to_string());
    if g.count > 1 {
        let _ = write!(place, " ({} findings)", g.count);
    }
    let _ = writeln!(out, "  where:   {place}");
    let when = match (g.span.when(), f.time_ns) {
        (Some(w), _) => w,
        (None, Some(t)) => failing_op_when(input, t),
        (None, None) => "-".to_string(),
    };
    let _ = writeln!(out, "  when:    {when}");
    if let Some(e) = context(f, events) {
        let node = e
            .event
            .node
            .as_deref()
            .map_or(String::new(), |n| format!("{n} "));
        let _ = writeln!(
            out,
            "  context: {} {node}{}",
            secs(e.event.time_ns),
            cut(&e.event.text)
        );
    }
    let groups = c.grouped();
    for other in groups.iter().skip(1).take(OTHER_GROUPS_MAX) {
        let span = other.span.describe();
        let sep = if span.is_empty() { "" } else { ": " };
        let _ = writeln!(out, "  also:    {} ×{}{sep}{span}", other.kind, other.count);
    }
    if groups.len() > 1 + OTHER_GROUPS_MAX {
        let _ = writeln!(
            out,
            "  also:    {} more groups (see the report)",
            groups.len() - 1 - OTHER_GROUPS_MAX
        );
    }
}

/// `op #973 completed at 70.254 s`.
fn failing_op_when(input: &ReportInput, at_ns: u64) -> String {
    match input.results.linearizability_failures.first() {
        Some(f) => format!("op #{} at {}", f.failing_op_id, secs(at_ns)),
        None => secs(at_ns),
    }
}

fn secs(ns: u64) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn cut(s: &str) -> String {
    if s.chars().count() <= LINE_CHARS_MAX {
        return s.to_string();
    }
    let mut t: String = s.chars().take(LINE_CHARS_MAX - 1).collect();
    t.push('…');
    t
}
