//! The story before the first violation ([`crate::Story`], told by the
//! caller): every node's state at that moment, and as the fault that
//! started it began, as strips (one row per node:
//! role, term, commit, applied, and its log as segments coloured by term,
//! the snapshot grey, entries past the commit index faded, the index the
//! finding is about marked), then the events of the seconds before it, each
//! linked to its node-log line. For each linearizability failure
//! ([`key_window`]), the operations on the failing key in the seconds
//! before it and the values the model allows next to the value read.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::escape::{html, url_segment};
use super::explain::{describe_op, fmt_s};
use crate::input::{OpView, ReportInput, Story};
use faultline_checker::{LinearizabilityFailure, NodeState};

/// Operations on the failing key listed (the latest are kept).
const KEY_OPS_MAX: usize = 30;

/// How far before a non-linearizable op's completion its key's
/// operations are listed.
pub const KEY_WINDOW_NS: u64 = 5_000_000_000;

/// The story's card; empty without a story.
pub fn section(input: &ReportInput) -> String {
    let Some(story) = &input.story else {
        return String::new();
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"card\" id=\"story\"><h2>Before the first violation: <code>{}</code> at {}</h2>",
        html(&story.kind),
        fmt_s(story.failure_ns)
    );
    let on = if story.nodes.is_empty() {
        "every node".to_string()
    } else {
        story.nodes.join(", ")
    };
    let _ = write!(
        out,
        "<p class=\"muted\">{}: the events from {} on, on {on} (faults on any node), \
         after the fault and the leader in force then.</p>",
        html(&story.checker),
        fmt_s(story.window_start_ns)
    );
    if !story.strip.is_empty() {
        let _ = write!(
            out,
            "<h3>Node states at {}</h3><div class=\"strip\">{}</div>",
            fmt_s(story.failure_ns),
            strip_svg(&story.strip, story.index)
        );
        legend(&mut out, &story.strip);
    }
    if let Some(before) = &story.before {
        let _ = write!(
            out,
            "<h3>Node states as <code>{}</code> started, at {}</h3><div class=\"strip\" \
             id=\"strip-before\">{}</div>",
            html(&before.fault),
            fmt_s(before.time_ns),
            strip_svg(&before.strip, story.index)
        );
        if story.strip.is_empty() {
            legend(&mut out, &before.strip);
        }
    }
    events(&mut out, story);
    out.push_str("</section>");
    out
}

fn events(out: &mut String, story: &Story) {
    out.push_str(
        "<table class=\"story\"><thead><tr><th>time</th><th>node</th><th>event</th><th>log line</th></tr></thead><tbody>",
    );
    for e in &story.events {
        let log = e.log.as_ref().map_or(String::new(), |l| {
            let href: Vec<String> = l.path.split('/').map(url_segment).collect();
            let name = l.path.rsplit('/').next().unwrap_or(&l.path);
            format!(
                "<a href=\"{}#:~:text={}\">{}:{}</a>",
                html(&href.join("/")),
                url_segment(&l.stamp),
                html(name),
                l.line
            )
        });
        let _ = write!(
            out,
            "<tr data-kind=\"{k}\"><td class=\"t\">{t}</td><td>{n}</td><td><span class=\"kind {k}\">{k}</span> {text}</td><td>{log}</td></tr>",
            t = fmt_s(e.time_ns),
            n = html(e.node.as_deref().unwrap_or("nemesis")),
            k = html(&e.kind),
            text = html(&e.text),
        );
    }
    let _ = write!(
        out,
        "<tr class=\"failure\"><td class=\"t\">{}</td><td>{}</td><td colspan=\"2\">{}: {}</td></tr></tbody></table>",
        fmt_s(story.failure_ns),
        html(&story.nodes.join(", ")),
        html(&story.checker),
        html(&story.kind)
    );
}

/// The value an operation leaves behind if it takes effect: a write's
/// input, a compare-and-set's new value (its input is `[old, new]`).
fn written_value(op: &OpView) -> Option<&serde_json::Value> {
    match op.f.as_str() {
        "write" => Some(&op.input).filter(|v| !v.is_null()),
        "cas" => op.input.as_array().and_then(|pair| pair.get(1)),
        _ => None,
    }
}

/// For a linearizability failure: what the model allowed next to what
/// was read, and the operations on its key in the [`KEY_WINDOW_NS`] before
/// the failing one completed. Empty when the failing op is not recorded.
pub fn key_window(failure: &LinearizabilityFailure, ops: &BTreeMap<u64, &OpView>) -> String {
    let Some(failing) = ops.get(&failure.failing_op_id) else {
        return String::new();
    };
    let mut out = String::new();
    let mut allowed: Vec<String> = failure.state_after.iter().cloned().collect();
    for op in failure
        .concurrent_op_ids
        .iter()
        .filter_map(|id| ops.get(id))
    {
        if let Some(value) = written_value(op) {
            allowed.push(format!("{value} (if #{} took effect first)", op.id));
        }
    }
    let read = if failing.output.is_null() {
        "nothing".to_string()
    } else {
        failing.output.to_string()
    };
    let allowed = if allowed.is_empty() {
        "nothing".to_string()
    } else {
        allowed.join(" or ")
    };
    let _ = write!(
        out,
        "<p class=\"allowed\">The model allows <b>{}</b> here; <code>#{} {}</code> returned <b>{}</b>.</p>",
        html(&allowed),
        failing.id,
        html(&failing.f),
        html(&read),
    );
    let end = failing.return_ns.unwrap_or(failing.call_ns);
    let start = end.saturating_sub(KEY_WINDOW_NS);
    let on_key: Vec<&&OpView> = ops
        .values()
        .filter(|o| {
            o.key == failing.key && o.call_ns <= end && o.return_ns.unwrap_or(u64::MAX) >= start
        })
        .collect();
    let skip = on_key.len().saturating_sub(KEY_OPS_MAX);
    let _ = write!(
        out,
        "<h4>Operations on the key from {} to {}</h4><table class=\"story ops\"><thead><tr><th>invoked</th>\
         <th>completed</th><th>operation</th></tr></thead><tbody>",
        fmt_s(start),
        fmt_s(end)
    );
    if skip > 0 {
        let _ = write!(
            out,
            "<tr><td colspan=\"3\" class=\"muted\">… {skip} earlier</td></tr>"
        );
    }
    for op in on_key.into_iter().skip(skip) {
        let class = if op.id == failing.id {
            " class=\"failure\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr{class}><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{}</td></tr>",
            fmt_s(op.call_ns),
            op.return_ns.map(fmt_s).unwrap_or_else(|| "never".into()),
            html(&describe_op(op))
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// The strip's key: each term's colour, the snapshot's, faded = uncommitted.
fn legend(out: &mut String, nodes: &[NodeState]) {
    let mut terms: Vec<u64> = nodes
        .iter()
        .flat_map(|n| n.log.iter().map(|r| r.term))
        .collect();
    terms.sort_unstable();
    terms.dedup();
    out.push_str("<p class=\"legend\">");
    for t in terms {
        let _ = write!(
            out,
            "<span><span class=\"sw\" style=\"background:{}\"></span>term {t}</span>",
            TERM_COLOURS[(t % 8) as usize]
        );
    }
    out.push_str(
        "<span><span class=\"sw\" style=\"background:#9ca3af\"></span>snapshot</span>\
         <span>faded: past the node's commit index · red line: the index the finding names</span></p>",
    );
}

/// Term colours, cycled.
const TERM_COLOURS: [&str; 8] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f",
];

/// Log entries drawn at most; a longer log is drawn around the marked index.
const INDICES_SHOWN_MAX: u64 = 64;

/// The strip as inline SVG: one row per node, its log's runs of terms as
/// coloured segments over one index axis (at most [`INDICES_SHOWN_MAX`]
/// entries, around the marked index, the cut ends marked `…`).
pub fn strip_svg(nodes: &[NodeState], mark: Option<u64>) -> String {
    const LABEL_W: f64 = 330.0;
    const BAR_W: f64 = 620.0;
    const ROW_H: f64 = 24.0;
    let full_lo = nodes
        .iter()
        .flat_map(|n| n.log.first())
        .map(|r| r.first)
        .min()
        .unwrap_or(1)
        .min(mark.unwrap_or(u64::MAX));
    let full_hi = nodes
        .iter()
        .map(|n| n.last)
        .max()
        .unwrap_or(full_lo)
        .max(mark.unwrap_or(0))
        .max(full_lo);
    // A long log is shown around the marked index, one cell per entry.
    let (lo, hi) = match mark {
        Some(m) if full_hi - full_lo >= INDICES_SHOWN_MAX => {
            let lo = m.saturating_sub(INDICES_SHOWN_MAX / 3).max(full_lo);
            (lo, (lo + INDICES_SHOWN_MAX - 1).min(full_hi))
        }
        _ => (full_lo, full_hi),
    };
    let span = (hi - lo + 1) as f64;
    let x = |i: u64| LABEL_W + (i.saturating_sub(lo)) as f64 / span * BAR_W;
    let height = ROW_H * nodes.len() as f64 + 34.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" data-indices=\"{lo}-{hi}\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" \
         role=\"img\" aria-label=\"node states\" font-family=\"ui-monospace, DejaVu Sans Mono, monospace\" font-size=\"12\">",
        w = LABEL_W + BAR_W + 10.0
    );
    for (row, n) in nodes.iter().enumerate() {
        let y = 4.0 + row as f64 * ROW_H;
        let label = format!(
            "{} {}{} t{} c{} a{}",
            n.name(),
            if n.running { "" } else { "DOWN " },
            n.role,
            n.term,
            n.commit,
            n.applied
        );
        let _ = write!(
            out,
            "<g class=\"node\" data-node=\"{name}\" data-term-at-mark=\"{tm}\"><text x=\"0\" y=\"{ty}\">{label}</text>",
            name = n.name(),
            tm = mark.and_then(|m| n.term_at(m)).map_or(String::new(), |t| t.to_string()),
            ty = y + 14.0,
            label = html(&label)
        );
        let mut segments: Vec<(u64, u64, &str, f64, String)> = Vec::new();
        if n.snapshot > 0 {
            let what = format!("snapshot ..={}", n.snapshot);
            segments.push((full_lo, n.snapshot, "#9ca3af", 1.0, what));
        }
        for r in &n.log {
            let first = r.first.max(n.snapshot + 1);
            let colour = TERM_COLOURS[(r.term % 8) as usize];
            // Committed part solid, the rest faded.
            let committed = (first, r.last.min(n.commit), 1.0, "");
            let uncommitted = (first.max(n.commit + 1), r.last, 0.4, " (uncommitted)");
            for (a, b, opacity, note) in [committed, uncommitted] {
                if a <= b {
                    segments.push((
                        a,
                        b,
                        colour,
                        opacity,
                        format!("t{}: {a}..={b}{note}", r.term),
                    ));
                }
            }
        }
        for (a, b, fill, opacity, what) in segments {
            let (a, b) = (a.max(lo), b.min(hi));
            if a > b {
                continue;
            }
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{fill}\" \
                 fill-opacity=\"{opacity}\"><title>{} {}</title></rect>",
                x(a),
                (x(b + 1) - x(a)).max(1.0),
                n.name(),
                html(&what),
                h = ROW_H - 6.0
            );
        }
        out.push_str("</g>");
    }
    let axis_y = 4.0 + nodes.len() as f64 * ROW_H + 12.0;
    if BAR_W / span >= 5.0 {
        // Cell borders: entries read one by one.
        let mut path = String::new();
        for i in lo + 1..=hi {
            let _ = write!(path, "M{:.1} 0V{:.1}", x(i), axis_y - 10.0);
        }
        let _ = write!(
            out,
            "<path d=\"{path}\" stroke=\"#fff\" stroke-width=\"1\"/>"
        );
    }
    let before = if lo > full_lo { "… " } else { "" };
    let after = if hi < full_hi { " …" } else { "" };
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{axis_y:.1}\">{before}{lo}</text><text x=\"{:.1}\" y=\"{axis_y:.1}\" text-anchor=\"end\">{hi}{after}</text>",
        LABEL_W,
        LABEL_W + BAR_W
    );
    if let Some(m) = mark {
        let mx = (x(m) + x(m + 1)) / 2.0;
        // The label stays inside the picture at either end.
        let anchor = if mx > LABEL_W + BAR_W - 40.0 {
            "end"
        } else if mx < LABEL_W + 40.0 {
            "start"
        } else {
            "middle"
        };
        let _ = write!(
            out,
            "<line class=\"mark\" data-index=\"{m}\" x1=\"{mx:.1}\" x2=\"{mx:.1}\" y1=\"0\" y2=\"{:.1}\" stroke=\"#c62828\" stroke-width=\"2\"/>\
             <text x=\"{mx:.1}\" y=\"{:.1}\" fill=\"#c62828\" text-anchor=\"{anchor}\">index {m}</text>",
            axis_y - 10.0,
            axis_y + 14.0
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checker::history::Outcome;
    use serde_json::json;

    fn op(id: u64, f: &str, input: serde_json::Value, output: serde_json::Value) -> OpView {
        OpView {
            id,
            process: id,
            f: f.into(),
            key: Some("k".into()),
            input,
            output,
            outcome: Outcome::Ok,
            call_ns: id * 1_000_000,
            return_ns: Some(id * 1_000_000 + 500_000),
        }
    }

    #[test]
    fn the_values_allowed_include_what_concurrent_writes_and_cas_would_leave() {
        let ops = [
            op(1, "write", json!(3), json!(null)),
            op(2, "cas", json!([3, 4]), json!(null)),
            op(3, "read", json!(null), json!(9)),
        ];
        let by_id: BTreeMap<u64, &OpView> = ops.iter().map(|o| (o.id, o)).collect();
        let failure = LinearizabilityFailure {
            key: Some("k".into()),
            failing_op_id: 3,
            prefix: Vec::new(),
            state_after: Some("2".into()),
            concurrent_op_ids: vec![1, 2],
            text: String::new(),
        };
        let html = key_window(&failure, &by_id);
        assert!(
            html.contains(
                "The model allows <b>2 or 3 (if #1 took effect first) or 4 (if #2 took effect first)</b>"
            ),
            "{html}"
        );
        assert!(html.contains("returned <b>9</b>"), "{html}");
    }
}
