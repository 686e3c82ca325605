//! Explaining a failed run: for each checker that is not valid, its first
//! group of findings (what broke, where, when) and the event that most
//! likely set it off; for the earliest violation, the story before it (the
//! events of the seconds before, on the nodes involved, and every node's
//! state at that moment). The groups are the results model's
//! ([`faultline_checker::results::groups`]); the events come from the node
//! logs ([`events`]). `faultline run` and `faultline report --text` print
//! [`text::summary`]; the report page shows the [`Story`].

pub mod events;
pub mod text;

use std::path::Path;

use faultline_checker::{CheckerResult, FindingGroup, NodeState, Verdict};
use faultline_reports::{ReportInput, Story};

use events::RunEvent;

/// How far before the first violation the story reaches.
pub const STORY_WINDOW_NS: u64 = 5_000_000_000;

/// The most events a story lists (the latest are kept).
pub const STORY_EVENTS_MAX: usize = 40;

/// One checker's first group of findings, located.
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    /// The checker.
    pub checker: &'a CheckerResult,
    /// Its first group.
    pub group: FindingGroup,
    /// How many groups it has.
    pub groups: usize,
    /// When the group's first finding happened, ns (for a linearizability
    /// failure: when the failing operation completed), if known.
    pub time_ns: Option<u64>,
}

/// The first group of every checker that is not valid, invalid ones first.
pub fn failures(input: &ReportInput) -> Vec<Failure<'_>> {
    let mut out: Vec<Failure<'_>> = Vec::new();
    for checker in input
        .results
        .checkers
        .iter()
        .filter(|c| c.verdict != Verdict::Valid)
    {
        let groups = checker.grouped();
        let Some(group) = groups.first().cloned() else {
            continue;
        };
        let time_ns = if checker.name.starts_with("linearizability") {
            failing_op_time(input)
        } else {
            group.span.first_ms.map(|ms| ms * 1_000_000)
        };
        out.push(Failure {
            checker,
            group,
            groups: groups.len(),
            time_ns,
        });
    }
    out.sort_by_key(|f| f.checker.verdict != Verdict::Invalid);
    out
}

/// When the first non-linearizable key's failing op completed (or was
/// invoked, if it never completed).
fn failing_op_time(input: &ReportInput) -> Option<u64> {
    let failure = input.results.linearizability_failures.first()?;
    let op = input
        .operations
        .iter()
        .find(|o| o.id == failure.failing_op_id)?;
    Some(op.return_ns.unwrap_or(op.call_ns))
}

/// The event that most likely set `failure` off: the last fault start,
/// leader change or crash before it that involves its nodes.
pub fn context<'e>(failure: &Failure<'_>, events: &'e [RunEvent]) -> Option<&'e RunEvent> {
    let at = failure.time_ns?;
    events
        .iter()
        .filter(|e| e.event.time_ns <= at && e.is_cause() && e.involves(&failure.group.span.nodes))
        .last()
}

/// Reads the run's node-log events and sets `input.story` to the story of
/// its earliest invalid finding (none for a valid run, or when no time is
/// known). Returns the events, for [`text::summary`].
pub fn attach(input: &mut ReportInput, dir: &Path) -> Vec<RunEvent> {
    let events = events::read(dir, &input.node_logs);
    input.story = story(input, &events);
    events
}

/// The story of the earliest invalid finding.
pub fn story(input: &ReportInput, events: &[RunEvent]) -> Option<Story> {
    let first = failures(input)
        .into_iter()
        .filter(|f| f.checker.verdict == Verdict::Invalid)
        .filter_map(|f| Some((f.time_ns?, f)))
        .min_by_key(|(t, _)| *t)?;
    let (at, failure) = first;
    let nodes = failure.group.span.nodes.clone();
    let start = at.saturating_sub(STORY_WINDOW_NS);
    let mut told: Vec<&RunEvent> = events
        .iter()
        .filter(|e| (start..=at).contains(&e.event.time_ns) && e.involves(&nodes))
        .collect();
    // The last fault started before the window opened.
    let earlier_fault = events
        .iter()
        .filter(|e| e.event.time_ns < start && e.event.kind == "nemesis" && e.is_cause())
        .last();
    // And the leader in office then, if no leader change came in it.
    let leader_in_window = told.iter().any(|e| e.event.kind == "leader");
    let earlier_leader = events
        .iter()
        .filter(|e| e.event.time_ns < start && e.event.kind == "leader")
        .last();
    if let (false, Some(l)) = (leader_in_window, earlier_leader) {
        told.insert(0, l);
    }
    if let Some(f) = earlier_fault {
        told.insert(0, f);
    }
    told.sort_by_key(|e| e.event.time_ns);
    if told.len() > STORY_EVENTS_MAX {
        told.drain(..told.len() - STORY_EVENTS_MAX);
    }
    Some(Story {
        checker: failure.checker.name.clone(),
        kind: failure.group.kind.clone(),
        failure_ns: at,
        window_start_ns: start,
        index: failure.group.span.index_min,
        strip: NodeState::parse_all(failure.group.first.lines().skip(1)),
        nodes,
        events: told.into_iter().map(|e| e.event.clone()).collect(),
    })
}
