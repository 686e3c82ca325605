//! The model checker over the real core: the correct core holds within
//! small bounds (and the "sometimes" properties are reached, so the search
//! is not vacuous), and every in-bounds core bug of the seeded-bug
//! catalogue is found, with a short counterexample that replays.

use std::time::Duration;

use faultline_model::{check, replay, Bounds, RaftModel, SearchOptions, SearchOrder, Verdict};
use faultline_raft::bugs::{Bug, BugSet};

/// A generous outer limit: the searches below finish far sooner, and a
/// search that hits it fails the test as incomplete rather than hanging.
const TIME_LIMIT: Duration = Duration::from_secs(600);

fn options() -> SearchOptions {
    SearchOptions {
        threads: 2,
        order: SearchOrder::Bfs,
        time_limit: TIME_LIMIT,
    }
}

/// Bounds small enough for a debug build in CI: one term, a no-op and a
/// client's command, one crash (about 25,000 states).
fn small() -> Bounds {
    Bounds {
        term_max: 1,
        crashes_max: 1,
        ..Bounds::default()
    }
}

#[test]
fn the_correct_core_holds_within_small_bounds_and_is_not_vacuous() {
    let outcome = check(RaftModel::new(small()), options());
    assert_eq!(
        outcome.verdict,
        Verdict::Holds,
        "{:?}",
        outcome.counterexample.map(|c| c.render_text())
    );
    assert!(outcome.states_unique > 10_000, "{}", outcome.states_unique);
    for (name, reached) in &outcome.reached {
        assert!(reached, "never reached: {name}");
    }
}

/// Each in-bounds core bug, the smallest bounds that expose it, and the
/// property that catches it first (breadth-first: at the shortest path).
fn bug_cases() -> Vec<(Bug, Bounds, &'static str)> {
    let elections = Bounds {
        term_max: 2,
        log_len_max: 1,
        proposals_max: 0,
        heartbeats_max: 0,
        crashes_max: 0,
        in_flight_max: 6,
        ..small()
    };
    vec![
        (
            Bug::VoteNotDurable,
            Bounds {
                crashes_max: 1,
                ..elections.clone()
            },
            "election-safety",
        ),
        (
            Bug::VoteFromEarlierTerm,
            elections.clone(),
            "election-quorum",
        ),
        (
            Bug::CommitQuorumOffByOne,
            elections.clone(),
            "state-machine-safety",
        ),
        (
            Bug::NoStepDownOnHigherTerm,
            elections.clone(),
            "term-adoption",
        ),
        (
            Bug::StaleTermAppendAccepted,
            elections.clone(),
            "stale-term-refused",
        ),
        (
            Bug::UpToDateByLength,
            Bounds {
                term_max: 3,
                in_flight_max: 8,
                ..elections
            },
            "vote-restriction",
        ),
    ]
}

#[test]
fn every_in_bounds_core_bug_is_found_with_a_short_counterexample_that_replays() {
    for (bug, bounds, property) in bug_cases() {
        let bounds = Bounds {
            bugs: BugSet::of([bug]),
            ..bounds
        };
        let model = RaftModel::new(bounds);
        let outcome = check(model.clone(), options());
        assert_eq!(outcome.verdict, Verdict::Violated, "{bug}: not found");
        let cx = outcome.counterexample.expect("a counterexample");
        assert_eq!(cx.property, property, "{bug}: {}", cx.detail);
        assert!(cx.steps.len() <= 25, "{bug}: {} steps", cx.steps.len());
        let again = replay(&model, &cx.choices).expect("the path replays");
        assert_eq!(again.detail, cx.detail, "{bug}");
    }
}
