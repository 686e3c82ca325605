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
use faultline_reports::{ReportInput, Story, StoryBefore};

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
/// leader change or crash before it that involves the nodes its first
/// finding names.
pub fn context<'e>(failure: &Failure<'_>, events: &'e [RunEvent]) -> Option<&'e RunEvent> {
    let at = failure.time_ns?;
    let nodes = failure.group.first_span().nodes;
    events
        .iter()
        .rev()
        .find(|e| e.event.time_ns <= at && e.is_cause() && e.involves(&nodes))
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
    let first = failure.group.first_span();
    let nodes = first.nodes;
    let start = at.saturating_sub(STORY_WINDOW_NS);
    let mut told: Vec<&RunEvent> = events
        .iter()
        .filter(|e| e.event.kind != "state")
        .filter(|e| (start..=at).contains(&e.event.time_ns) && e.involves(&nodes))
        .collect();
    // The last fault started before the window opened.
    let earlier_fault = events
        .iter()
        .rev()
        .find(|e| e.event.time_ns < start && e.event.kind == "nemesis" && e.is_cause());
    // And the leader in office then, if no leader change came in it.
    let leader_in_window = told.iter().any(|e| e.event.kind == "leader");
    let earlier_leader = events
        .iter()
        .rev()
        .find(|e| e.event.time_ns < start && e.event.kind == "leader");
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
        index: first.index_min,
        strip: NodeState::parse_all(failure.group.first.lines().skip(1)),
        before: before(events, at, &nodes),
        nodes,
        events: told.into_iter().map(|e| e.event.clone()).collect(),
    })
}

/// The last fault to start at or before `at` on `nodes`, with every
/// node's state as it started (the `state` events the run noted then);
/// none when no fault started or the logs hold no states for it.
fn before(events: &[RunEvent], at: u64, nodes: &[String]) -> Option<StoryBefore> {
    let fault = events.iter().rev().find(|e| {
        e.event.time_ns <= at && e.event.kind == "nemesis" && e.is_cause() && e.involves(nodes)
    })?;
    let time_ns = fault.event.time_ns;
    let mut strip: Vec<NodeState> = events
        .iter()
        .filter(|e| e.event.kind == "state" && e.event.time_ns == time_ns)
        .filter_map(|e| NodeState::parse(&e.event.text))
        .collect();
    strip.sort_by_key(|n| n.id);
    strip.dedup_by_key(|n| n.id);
    (!strip.is_empty()).then(|| StoryBefore {
        time_ns,
        fault: fault.event.text.clone(),
        strip,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checker::CheckerResult;
    use faultline_reports::StoryEvent;

    fn event(ms: u64, node: Option<&str>, kind: &str, text: &str) -> RunEvent {
        RunEvent {
            event: StoryEvent {
                time_ns: ms * 1_000_000,
                node: node.map(String::from),
                kind: kind.into(),
                text: text.into(),
                log: None,
            },
            touched: node.map(|n| vec![n.to_string()]).unwrap_or_default(),
        }
    }

    fn input() -> ReportInput {
        let finding = |at: &str, detail: &str| {
            format!(
                "state-machine-safety violated at {at} s (step 1): {detail}\n    n1 Follower term=1 \
                 commit=9 applied=9 snapshot=0 last=9 starts=1 log=[t1:1..=9]"
            )
        };
        let mut raft = CheckerResult {
            name: "raft invariants".into(),
            verdict: Verdict::Invalid,
            summary: "2 violation(s)".into(),
            findings: vec![
                finding(
                    "20.000",
                    "index 9: node 1 holds it committed as term 1 but node 3 as term 2",
                ),
                finding(
                    "21.000",
                    "index 10: node 1 holds it committed as term 1 but node 2 as term 2",
                ),
            ],
            groups: vec![],
        };
        raft.group();
        let mut input = ReportInput::default();
        input.results.verdict = Verdict::Invalid;
        input.results.title = "kv, 5 nodes, seed 1".into();
        input.results.checkers = vec![
            CheckerResult::from_explanation("liveness", Verdict::Valid, "fine"),
            raft,
        ];
        input
    }

    #[test]
    fn the_story_is_the_window_before_the_first_violation_on_its_nodes() {
        let input = input();
        let events = vec![
            event(1_000, Some("n1"), "leader", "became leader of term 1"),
            event(
                10_000,
                None,
                "nemesis",
                "start-partition (partition-majority: n1 n4 | n2 n3 n5)",
            ),
            event(14_000, Some("n4"), "leader", "became leader of term 5"),
            event(16_000, Some("n3"), "leader", "became leader of term 2"),
            event(
                17_000,
                Some("n5"),
                "crash",
                "process stopped (crashed or killed)",
            ),
            event(
                19_000,
                Some("n3"),
                "truncation",
                "conflicting entries: truncating the log",
            ),
            event(
                22_000,
                Some("n3"),
                "crash",
                "process stopped (crashed or killed)",
            ),
        ];
        let mut events = events;
        for id in [1, 3] {
            let mut state = event(
                10_000,
                Some(&format!("n{id}")),
                "state",
                &format!("n{id} Follower term=1 commit=8 applied=8 snapshot=0 last=8 starts=1 log=[t1:1..=8]"),
            );
            state.event.text = state
                .event
                .text
                .replace("Follower", if id == 1 { "Leader" } else { "Follower" });
            events.insert(2, state);
        }
        let story = story(&input, &events).expect("a story");
        let before = story.before.as_ref().expect("the strip before the fault");
        assert_eq!(before.time_ns, 10_000_000_000);
        assert!(before.fault.starts_with("start-partition"));
        let roles: Vec<(u64, &str)> = before
            .strip
            .iter()
            .map(|n| (n.id, n.role.as_str()))
            .collect();
        assert_eq!(roles, [(1, "Leader"), (3, "Follower")]);
        assert_eq!((story.failure_ns, story.index), (20_000_000_000, Some(9)));
        assert_eq!(story.nodes, ["n1", "n3"]);
        assert_eq!(story.strip.len(), 1);
        let told: Vec<&str> = story.events.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            told,
            [
                "start-partition (partition-majority: n1 n4 | n2 n3 n5)",
                "became leader of term 2",
                "conflicting entries: truncating the log"
            ],
            "the fault in force, then n1 and n3's events of the 5 s before; n4 and n5 are not involved"
        );
        let f = &failures(&input)[0];
        assert_eq!(
            context(f, &events).unwrap().event.text,
            "became leader of term 2"
        );
        let text = text::summary(&input, &events);
        assert_eq!(
            text,
            "INVALID: kv, 5 nodes, seed 1\n\
             raft invariants invalid: 2 findings in 1 group\n  \
             what:    state-machine-safety: index 9: node 1 holds it committed as term 1 but node 3 as term 2\n  \
             where:   indices 9–10 on n1 vs n2, n3 (2 findings)\n  \
             when:    20.000–21.000 s\n  \
             context: 16.000 s n3 became leader of term 2\n"
        );
    }

    #[test]
    fn a_valid_run_has_no_story_and_no_summary() {
        let mut input = input();
        input.results.checkers.truncate(1);
        input.results.verdict = Verdict::Valid;
        assert!(story(&input, &[]).is_none());
        assert_eq!(text::summary(&input, &[]), "");
    }
}
