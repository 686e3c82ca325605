//! Running the model checker within a time limit, and what it found: the
//! counts, whether the search completed, the shortest counterexample (with
//! breadth-first search) and which "sometimes" properties were reached.
//! The time limit is the only wall-clock read, and it never decides a
//! verdict: running out of time is reported as such (incomplete).

use std::time::{Duration, Instant};

use stateright::{Checker, HasDiscoveries, Model};

use crate::action::Action;
use crate::model::{RaftModel, SOMETIMES};
use crate::state::ClusterState;
use crate::trace::{Counterexample, Step};

/// The order in which states are explored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchOrder {
    /// Breadth-first: the counterexample found is a shortest one.
    Bfs,
    /// Depth-first: less memory, any counterexample.
    Dfs,
}

/// How to run the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchOptions {
    /// Worker threads.
    pub threads: usize,
    /// Breadth- or depth-first.
    pub order: SearchOrder,
    /// Give up (incomplete) after this long.
    pub time_limit: Duration,
}

/// What the search concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every state within the bounds was explored; every property holds.
    Holds,
    /// A property is violated: see the counterexample.
    Violated,
    /// The time limit ended the search first; nothing was violated so far.
    Incomplete,
}

/// The outcome of one search.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What it concluded.
    pub verdict: Verdict,
    /// States generated (with repeats).
    pub states_total: usize,
    /// Distinct states.
    pub states_unique: usize,
    /// The deepest path explored, in actions.
    pub depth_max: usize,
    /// How long it ran.
    pub elapsed: Duration,
    /// The violation found, if any.
    pub counterexample: Option<Counterexample>,
    /// Each "sometimes" property and whether some state reached it.
    pub reached: Vec<(&'static str, bool)>,
}

impl Outcome {
    /// Distinct states per second of search.
    pub fn states_per_sec(&self) -> f64 {
        self.states_unique as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Explores `model` until it is exhausted, a property fails, or time runs out.
pub fn check(model: RaftModel, options: SearchOptions) -> Outcome {
    let start = Instant::now();
    let builder = model
        .checker()
        .threads(options.threads.max(1))
        .timeout(options.time_limit)
        .finish_when(HasDiscoveries::AnyFailures);
    match options.order {
        SearchOrder::Bfs => summarize(builder.spawn_bfs().join(), start, options),
        SearchOrder::Dfs => summarize(builder.spawn_dfs().join(), start, options),
    }
}

/// The outcome of a finished checker.
fn summarize(checker: impl Checker<RaftModel>, start: Instant, options: SearchOptions) -> Outcome {
    let elapsed = start.elapsed();
    let model = checker.model();
    let failure = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation.discovery_is_failure())
        .find_map(|p| checker.discovery(p.name).map(|path| (p.name, path)));
    let counterexample = failure.map(|(name, path)| explain(model, name, &path.into_vec()));
    let reached = SOMETIMES
        .iter()
        .map(|&name| (name, checker.discovery(name).is_some()))
        .collect();
    let verdict = if counterexample.is_some() {
        Verdict::Violated
    } else if elapsed >= options.time_limit {
        Verdict::Incomplete
    } else {
        Verdict::Holds
    };
    Outcome {
        verdict,
        states_total: checker.state_count(),
        states_unique: checker.unique_state_count(),
        depth_max: checker.max_depth(),
        elapsed,
        counterexample,
        reached,
    }
}

/// Builds the counterexample of a path: each action with its index among
/// the actions its state offered (what [`replay`] takes), and each state.
fn explain(
    model: &RaftModel,
    property: &'static str,
    path: &[(ClusterState, Option<Action>)],
) -> Counterexample {
    let mut steps = Vec::new();
    let mut choices = Vec::new();
    for pair in path.windows(2) {
        let (state, action) = (&pair[0].0, pair[0].1.clone());
        let Some(action) = action else { break };
        let mut offered = Vec::new();
        model.actions(state, &mut offered);
        choices.push(offered.iter().position(|a| a == &action).unwrap_or(0));
        steps.push(Step::new(action, &pair[1].0));
    }
    let last = path.last().map(|(s, _)| s);
    let detail = last
        .and_then(|s| s.violation.as_ref())
        .map_or_else(|| property.to_string(), |v| v.to_string());
    Counterexample {
        property,
        detail,
        steps,
        choices,
    }
}

/// Replays a path given as the indices of the action taken at each state
/// (as a counterexample lists them); fails on an index out of range.
pub fn replay(model: &RaftModel, choices: &[usize]) -> Result<Counterexample, String> {
    let mut state = model.initial();
    let mut steps = Vec::new();
    for (n, &choice) in choices.iter().enumerate() {
        let mut offered = Vec::new();
        model.actions(&state, &mut offered);
        let action = offered.get(choice).cloned().ok_or_else(|| {
            format!(
                "step {}: action {choice} of {} offered does not exist",
                n + 1,
                offered.len()
            )
        })?;
        state = model
            .next_state(&state, action.clone())
            .ok_or_else(|| format!("step {}: {action} is not possible", n + 1))?;
        steps.push(Step::new(action, &state));
    }
    let property = match &state.violation {
        Some(v) => crate::model::ALWAYS
            .iter()
            .copied()
            .find(|&n| n == v.invariant)
            .unwrap_or(crate::model::OTHER),
        None => "",
    };
    Ok(Counterexample {
        property,
        detail: state
            .violation
            .as_ref()
            .map_or_else(String::new, |v| v.to_string()),
        steps,
        choices: choices.to_vec(),
    })
}
