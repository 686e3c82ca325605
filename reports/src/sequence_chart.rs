//! A message-sequence chart of a model checker's counterexample: one
//! vertical lane per node, one row per step (an arrow for a delivered,
//! lost or duplicated message, a box for something a node did on its
//! own), and the nodes' states after each step in a table below. Plain
//! input, self-contained page (inline CSS and SVG): it renders what the
//! model checker found; it decides nothing.

use crate::html::escape::html;
use std::fmt::Write as _;

/// What one step of the chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// A message delivered from `from` to `to`.
    Delivery,
    /// A message lost on its way from `from` to `to`.
    Loss,
    /// A message from `from` to `to` duplicated in flight.
    Duplication,
    /// Something node `to` did on its own (a timeout, a proposal, a crash).
    Local,
}

/// One step: what happened, between which lanes, and every lane's state after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartStep {
    /// The step's description.
    pub label: String,
    /// The kind of step.
    pub kind: StepKind,
    /// The sending lane (messages only).
    pub from: Option<usize>,
    /// The receiving (or acting) lane.
    pub to: usize,
    /// Each lane's state after the step, in lane order.
    pub lane_states: Vec<String>,
}

/// A whole chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceChart {
    /// The page title.
    pub title: String,
    /// A line under it (the bounds, say).
    pub subtitle: String,
    /// The lane names, left to right.
    pub lanes: Vec<String>,
    /// The steps, top to bottom.
    pub steps: Vec<ChartStep>,
    /// The conclusion shown at the bottom (the broken property).
    pub verdict: String,
}

const LANE_WIDTH_PX: usize = 220;
const ROW_HEIGHT_PX: usize = 34;
const TOP_PX: usize = 40;
const LABEL_WIDTH_PX: usize = 40;

fn lane_x(lane: usize) -> usize {
    LABEL_WIDTH_PX + LANE_WIDTH_PX / 2 + lane * LANE_WIDTH_PX
}

/// The chart's SVG.
fn svg(chart: &SequenceChart) -> String {
    let width = LABEL_WIDTH_PX + chart.lanes.len() * LANE_WIDTH_PX;
    let height = TOP_PX + (chart.steps.len() + 1) * ROW_HEIGHT_PX;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"11\">\
         <defs><marker id=\"arrow\" markerWidth=\"8\" markerHeight=\"8\" refX=\"8\" refY=\"4\" \
         orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#333\"/></marker></defs>"
    );
    for (i, lane) in chart.lanes.iter().enumerate() {
        let x = lane_x(i);
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\
             <line x1=\"{x}\" y1=\"28\" x2=\"{x}\" y2=\"{height}\" stroke=\"#bbb\"/>",
            html(lane)
        );
    }
    for (row, step) in chart.steps.iter().enumerate() {
        let y = TOP_PX + row * ROW_HEIGHT_PX + ROW_HEIGHT_PX / 2;
        let _ = write!(
            out,
            "<text x=\"4\" y=\"{y}\" fill=\"#666\">{}</text>",
            row + 1
        );
        let to = lane_x(step.to);
        match (step.kind, step.from) {
            (StepKind::Local, _) | (_, None) => {
                let _ = write!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"20\" rx=\"4\" fill=\"#fff3c4\" \
                     stroke=\"#c9a227\"/><text x=\"{to}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    to - LANE_WIDTH_PX / 2 + 8,
                    y - 12,
                    LANE_WIDTH_PX - 16,
                    y + 2,
                    html(&short(&step.label, 34))
                );
            }
            (kind, Some(from)) => {
                let from = lane_x(from);
                let (dash, colour) = match kind {
                    StepKind::Loss => ("6,4", "#c0392b"),
                    StepKind::Duplication => ("2,3", "#7d3c98"),
                    _ => ("", "#333"),
                };
                let end = if kind == StepKind::Loss {
                    (from + to) / 2
                } else {
                    to
                };
                let _ = write!(
                    out,
                    "<line x1=\"{from}\" y1=\"{}\" x2=\"{end}\" y2=\"{}\" stroke=\"{colour}\" \
                     stroke-dasharray=\"{dash}\" marker-end=\"url(#arrow)\"/>\
                     <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{colour}\">{}</text>",
                    y - 4,
                    y + 8,
                    (from + to) / 2,
                    y - 8,
                    html(&short(&step.label, 44))
                );
            }
        }
    }
    out.push_str("</svg>");
    out
}

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{cut}…")
}

/// The whole page.
pub fn render(chart: &SequenceChart) -> String {
    let mut rows = String::new();
    for (i, step) in chart.steps.iter().enumerate() {
        let _ = write!(rows, "<tr><td>{}</td><td>{}</td>", i + 1, html(&step.label));
        for state in &step.lane_states {
            let _ = write!(rows, "<td><code>{}</code></td>", html(state));
        }
        rows.push_str("</tr>");
    }
    let heads: String = chart
        .lanes
        .iter()
        .map(|l| format!("<th>{}</th>", html(l)))
        .collect();
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;margin:2em;color:#222}}\
         .verdict{{background:#fdecea;border-left:4px solid #c0392b;padding:.6em 1em}}\
         table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #ddd;\
         padding:3px 6px;vertical-align:top;text-align:left}}code{{white-space:pre}}</style>\
         </head><body><h1>{title}</h1><p>{subtitle}</p><p class=\"verdict\">{verdict}</p>\
         {svg}<h2>States after each step</h2><table><tr><th>#</th><th>step</th>{heads}</tr>\
         {rows}</table></body></html>\n",
        title = html(&chart.title),
        subtitle = html(&chart.subtitle),
        verdict = html(&chart.verdict),
        svg = svg(chart),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_is_drawn_and_text_is_escaped() {
        let chart = SequenceChart {
            title: "two <leaders>".into(),
            subtitle: "3 nodes".into(),
            lanes: vec!["n1".into(), "n2".into()],
            steps: vec![
                ChartStep {
                    label: "n1: election timeout".into(),
                    kind: StepKind::Local,
                    from: None,
                    to: 0,
                    lane_states: vec!["Candidate t1".into(), "Follower t0".into()],
                },
                ChartStep {
                    label: "RequestVote t1".into(),
                    kind: StepKind::Loss,
                    from: Some(0),
                    to: 1,
                    lane_states: vec!["Candidate t1".into(), "Follower t0".into()],
                },
            ],
            verdict: "election-safety violated".into(),
        };
        let page = render(&chart);
        assert!(page.contains("two &lt;leaders&gt;") && !page.contains("<leaders>"));
        assert_eq!(page.matches("<rect").count(), 1);
        assert_eq!(page.matches("stroke-dasharray=\"6,4\"").count(), 1);
        assert_eq!(page.matches("<tr><td>").count(), 2);
        assert!(page.contains("election-safety violated"));
    }
}
