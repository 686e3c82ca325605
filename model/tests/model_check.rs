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

/// Bounds small enough for a debug build in CI.
fn small() -> Bounds {
    Bounds {
        nodes: 3,
        term_max: 2,
        log_len_max: 2,
        crashes_max: 1,
        proposals_max: 1,
        heartbeats_max: 1,
        duplicates_max: 0,
        in_flight_max: 4,
        loss: false,
        pre_vote: false,
        bugs: BugSet::NONE,
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
    assert!(outcome.states_unique > 1_000, "{}", outcome.states_unique);
    for (name, reached) in &outcome.reached {
        assert!(reached, "never reached: {name}");
    }
}
