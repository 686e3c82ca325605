//! A model-check counterexample as the reports crate's message-sequence
//! chart: one lane per node, each step's arrow or box, and each node's
//! state after every step.

use faultline_model::trace::render_node;
use faultline_model::{Action, Counterexample};
use faultline_reports::sequence_chart::{self, ChartStep, SequenceChart, StepKind};

/// The chart page of `cx`, titled `title`, with the model's flags under it.
pub fn render(title: &str, flags: &str, cx: &Counterexample) -> String {
    let lanes = cx
        .steps
        .first()
        .map(|s| s.nodes.iter().map(|n| format!("n{}", n.id)).collect())
        .unwrap_or_default();
    let steps = cx.steps.iter().map(chart_step).collect();
    sequence_chart::render(&SequenceChart {
        title: title.to_string(),
        subtitle: format!("faultline model-check {flags}"),
        lanes,
        steps,
        verdict: cx.detail.clone(),
    })
}

fn chart_step(step: &faultline_model::trace::Step) -> ChartStep {
    let lane = |id: u64| (id - 1) as usize;
    let (kind, from, to, label) = match &step.action {
        Action::Deliver(m) => (
            StepKind::Delivery,
            Some(lane(m.from)),
            lane(m.to),
            faultline_model::action::describe_body(m),
        ),
        Action::Drop(m) => (
            StepKind::Loss,
            Some(lane(m.from)),
            lane(m.to),
            format!("lost: {}", faultline_model::action::describe_body(m)),
        ),
        Action::Duplicate(m) => (
            StepKind::Duplication,
            Some(lane(m.from)),
            lane(m.to),
            format!("duplicated: {}", faultline_model::action::describe_body(m)),
        ),
        Action::Timeout(id) => (StepKind::Local, None, lane(*id), "election timeout".into()),
        Action::Heartbeat(id) => (StepKind::Local, None, lane(*id), "heartbeat".into()),
        Action::Propose(id) => (StepKind::Local, None, lane(*id), "client proposal".into()),
        Action::Crash(id) => (StepKind::Local, None, lane(*id), "crash + restart".into()),
    };
    ChartStep {
        label,
        kind,
        from,
        to,
        lane_states: step.nodes.iter().map(render_node).collect(),
    }
}
