//! The page's answer to "why is this run invalid": the failing operation of
//! each non-linearizable key, the faults active while it ran, the longest
//! linearizable prefix with its states, the concurrent operations, and the
//! findings of every other checker that is not valid (Raft invariants,
//! liveness, set, append).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::escape::html;
use super::timeline_data::short_value;
use crate::input::{FaultPeriod, OpView, ReportInput};
use crate::style::Colours;
use faultline_checker::{LinearizabilityFailure, Verdict};

/// Seconds with millisecond precision, e.g. `12.301 s`.
pub fn fmt_s(ns: u64) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}

/// One line naming an operation: `#17 write k3 5 → 3 (ok, process 4)`.
pub fn describe_op(op: &OpView) -> String {
    let mut s = format!("#{} {}", op.id, op.f);
    if let Some(k) = &op.key {
        let _ = write!(s, " {k}");
    }
    if !op.input.is_null() {
        let _ = write!(s, " {}", short_value(&op.input, 80));
    }
    if !op.output.is_null() {
        let _ = write!(s, " → {}", short_value(&op.output, 80));
    }
    let _ = write!(s, " ({}, process {})", op.outcome.as_str(), op.process);
    s
}

/// Faults whose period overlaps the op's [invoke, completion] interval (an
/// op with no completion runs to the end of the history).
pub fn faults_during<'a>(op: &OpView, faults: &'a [FaultPeriod]) -> Vec<&'a FaultPeriod> {
    let op_end = op.return_ns.unwrap_or(u64::MAX);
    faults
        .iter()
        .filter(|f| f.start_ns <= op_end && f.end_ns.unwrap_or(u64::MAX) >= op.call_ns)
        .collect()
}

fn fault_line(f: &FaultPeriod) -> String {
    let end = f
        .end_ns
        .map(fmt_s)
        .unwrap_or_else(|| "end of run".to_string());
    let mut s = format!("{} {} – {}", f.kind, fmt_s(f.start_ns), end);
    if !f.nodes.is_empty() {
        let _ = write!(s, " on {}", f.nodes.join(", "));
    }
    if !f.description.is_empty() {
        let _ = write!(s, " ({})", f.description);
    }
    s
}

/// The red box at the top of an invalid report: per failure, the op that
/// broke linearizability and the faults active while it ran; then the
/// findings of every other checker that is not valid. Empty when there is
/// nothing to show.
pub fn callout(input: &ReportInput, ops: &BTreeMap<u64, &OpView>, colours: &Colours) -> String {
    let mut out = String::new();
    let failures = &input.results.linearizability_failures;
    for (i, failure) in failures.iter().enumerate().take(FAILURES_SHOWN_MAX) {
        let key = failure.key.as_deref().unwrap_or("(unkeyed)");
        let _ = write!(
            out,
            "<div class=\"callout bad\" id=\"failure-{i}\"><h2>Not linearizable: key <code>{}</code></h2>",
            html(key)
        );
        match ops.get(&failure.failing_op_id) {
            Some(op) => {
                let ret = op
                    .return_ns
                    .map(fmt_s)
                    .unwrap_or_else(|| "never".to_string());
                let _ = write!(
                    out,
                    "<p class=\"culprit\">Operation <a href=\"#timeline\" class=\"oplink\" data-op=\"{id}\">\
                     <code>{desc}</code></a> cannot be linearized.</p>\
                     <p>Invoked at {call}, completed at {ret}.</p>",
                    id = op.id,
                    desc = html(&describe_op(op)),
                    call = fmt_s(op.call_ns),
                );
                let during = faults_during(op, &input.faults);
                if during.is_empty() {
                    let before = input
                        .faults
                        .iter()
                        .filter(|f| f.start_ns <= op.call_ns)
                        .max_by_key(|f| f.end_ns.unwrap_or(f.start_ns));
                    let _ = write!(out, "<p class=\"during\">No fault was active while it ran");
                    if let Some(f) = before {
                        let _ = write!(out, "; the last fault before it: {}", html(&fault_line(f)));
                    }
                    out.push_str(".</p>");
                } else {
                    out.push_str("<p class=\"during\">During: ");
                    let list: Vec<String> = during
                        .iter()
                        .map(|f| {
                            format!(
                                "<span class=\"fault-chip\" data-kind=\"{k}\" \
                                 style=\"background:{c}\">{l}</span>",
                                k = html(&f.kind),
                                c = colours.fault(&f.kind).hex(),
                                l = html(&fault_line(f))
                            )
                        })
                        .collect();
                    out.push_str(&list.join(" "));
                    out.push_str("</p>");
                }
            }
            None => {
                let _ = write!(
                    out,
                    "<p class=\"culprit\">Operation <code>#{}</code> cannot be linearized \
                     (it is not among the recorded operations).</p>",
                    failure.failing_op_id
                );
            }
        }
        out.push_str("</div>");
    }
    if failures.len() > FAILURES_SHOWN_MAX {
        let rest: Vec<String> = failures[FAILURES_SHOWN_MAX..]
            .iter()
            .map(|f| {
                format!(
                    "key <code>{}</code>: <a href=\"#timeline\" class=\"oplink\" data-op=\"{id}\">op #{id}</a>",
                    html(f.key.as_deref().unwrap_or("(unkeyed)")),
                    id = f.failing_op_id
                )
            })
            .collect();
        let _ = write!(
            out,
            "<div class=\"callout bad\"><h2>{} more keys are not linearizable</h2><p>{}</p></div>",
            rest.len(),
            rest.join(" · ")
        );
    }
    for checker in &input.results.checkers {
        let explained = checker.name.starts_with("linearizability") && !failures.is_empty();
        if checker.verdict == Verdict::Valid || explained {
            continue;
        }
        let class = if checker.verdict == Verdict::Invalid {
            "bad"
        } else {
            "warn"
        };
        out.push_str(&super::groups::callout(checker, class));
    }
    out
}

/// Failures shown in full (callout and explanation); the rest are listed.
pub const FAILURES_SHOWN_MAX: usize = 5;

/// Prefix steps listed in the table (the latest ones; earlier ones are counted).
const PREFIX_SHOWN_MAX: usize = 20;

/// The detailed explanation of one failure: prefix with states, concurrent
/// ops, and the checker's text.
/// `key_window` (the values allowed and the key's recent operations) is
/// shown after the prefix.
pub fn detail(
    failure: &LinearizabilityFailure,
    ops: &BTreeMap<u64, &OpView>,
    key_window: &str,
) -> String {
    let mut out = String::new();
    let key = failure.key.as_deref().unwrap_or("(unkeyed)");
    let _ = write!(
        out,
        "<section class=\"card explain\"><h3>Explanation for key <code>{}</code></h3>",
        html(key)
    );
    let op_cell = |id: u64| match ops.get(&id) {
        Some(op) => format!(
            "<a href=\"#timeline\" class=\"oplink\" data-op=\"{id}\"><code>{}</code></a>",
            html(&describe_op(op))
        ),
        None => format!("<code>#{id}</code> (not recorded)"),
    };
    let n = failure.prefix.len();
    let shown = n.min(PREFIX_SHOWN_MAX);
    let _ = write!(
        out,
        "<h4>Longest linearizable prefix: {n} op{s}{tail}, then the failing op</h4>\
         <table class=\"prefix\"><thead><tr><th>step</th><th>operation</th><th>state after</th></tr></thead><tbody>",
        s = if n == 1 { "" } else { "s" },
        tail = if shown < n { format!(" (the last {shown} shown)") } else { String::new() },
    );
    if shown < n {
        let _ = write!(
            out,
            "<tr class=\"elided\"><td>1–{}</td><td colspan=\"2\">… {} earlier ops</td></tr>",
            n - shown,
            n - shown
        );
    }
    for (i, step) in failure.prefix.iter().enumerate().skip(n - shown) {
        let state = step.state.as_deref().map(html).unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td><code>{state}</code></td></tr>",
            i + 1,
            op_cell(step.op_id),
        );
    }
    if let Some(state) = &failure.state_after {
        let _ = write!(
            out,
            "<tr class=\"state\"><td></td><td>state after the prefix</td><td><code>{}</code></td></tr>",
            html(state)
        );
    }
    let _ = write!(
        out,
        "<tr class=\"failing\"><td>✗</td><td>{}</td><td>cannot take effect next</td></tr></tbody></table>",
        op_cell(failure.failing_op_id)
    );
    out.push_str(key_window);
    if !failure.concurrent_op_ids.is_empty() {
        out.push_str("<h4>Operations concurrent with it</h4><ul class=\"concurrent\">");
        for id in &failure.concurrent_op_ids {
            let _ = write!(out, "<li>{}</li>", op_cell(*id));
        }
        out.push_str("</ul>");
    }
    if !failure.text.is_empty() {
        let _ = write!(
            out,
            "<h4>Checker's explanation</h4><pre class=\"text\">{}</pre>",
            html(&failure.text)
        );
    }
    out.push_str("</section>");
    out
}

/// Fault periods listed in full; a longer list is collapsed.
const FAULTS_OPEN_MAX: usize = 20;

/// The table of every fault period: kind (in its colour), start, end,
/// nodes and description.
pub fn fault_table(input: &ReportInput, colours: &Colours) -> String {
    let mut out = String::new();
    let n = input.faults.len();
    let open = if n <= FAULTS_OPEN_MAX { " open" } else { "" };
    let _ = write!(
        out,
        "<section class=\"card\" id=\"faults\"><h2>Faults ({n} period{s})</h2>",
        s = if n == 1 { "" } else { "s" }
    );
    if n == 0 {
        out.push_str("<p class=\"muted\">No faults were injected.</p></section>");
        return out;
    }
    let _ = write!(
        out,
        "<details{open}><summary>all fault periods</summary><table class=\"faults\"><thead><tr>\
         <th>fault</th><th>start</th><th>end</th><th>nodes</th><th>detail</th></tr></thead><tbody>"
    );
    for f in &input.faults {
        let _ = write!(
            out,
            "<tr><td><span class=\"fault-chip\" style=\"background:{c}\">{k}</span></td>\
             <td>{start}</td><td>{end}</td><td>{nodes}</td><td>{d}</td></tr>",
            c = colours.fault(&f.kind).hex(),
            k = html(&f.kind),
            start = fmt_s(f.start_ns),
            end = f
                .end_ns
                .map(fmt_s)
                .unwrap_or_else(|| "end of run".to_string()),
            nodes = html(&f.nodes.join(", ")),
            d = html(&f.description),
        );
    }
    out.push_str("</tbody></table></details></section>");
    out
}
