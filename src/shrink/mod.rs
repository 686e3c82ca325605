//! `faultline shrink`: from a failing run to the smallest run found that
//! still fails for the same reason ([`reason`]). The search re-runs the
//! run deterministically with smaller configurations ([`dims`]): fault
//! actions first (delta debugging, [`ddmin`]), then each fault's duration,
//! when the faults start and how long the main phase and the quiet period
//! last, then clients, their rate, keys and nodes; rounds repeat while
//! one of them still cuts something. Candidates run in parallel, each in
//! its own process ([`candidate`]), within budgets ([`trials`]); the
//! search always ends with the best run found.

pub mod candidate;
pub mod ddmin;
pub mod dims;
pub mod reason;
pub mod summary;
pub mod trials;

use serde::{Deserialize, Serialize};

use crate::run::Evaluated;
use dims::Candidate;
use trials::Trials;

/// The most rounds over every dimension.
const ROUNDS_MAX: usize = 4;

/// How big a run is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Measures {
    /// Fault actions in its plan.
    pub faults_count: usize,
    /// Client operations in its history.
    pub operations_count: usize,
    /// Simulated seconds it ran for.
    pub sim_s: f64,
}

impl Measures {
    /// The measures of an evaluated run.
    pub fn of(e: &Evaluated) -> Measures {
        Measures {
            faults_count: e.config.fault_plan.as_ref().map_or(0, |p| p.actions.len()),
            operations_count: e.out.history.invocation_count(),
            sim_s: e.out.sim_end_ns as f64 / 1e9,
        }
    }
}

/// Searches for the smallest run that still fails as `trials` seeks,
/// until no round cuts anything more or a budget runs out.
pub fn search(trials: &mut Trials<'_>) {
    for _ in 0..ROUNDS_MAX {
        let before = trials.accepted().len();
        faults(trials);
        durations(trials);
        once(trials, "fault start", &|t| dims::shift(&t.best().config));
        once(trials, "main phase", &|t| {
            dims::time_limit(&t.best().config, failure_ms(&t.best().record.results))
        });
        once(trials, "quiet period", &|t| dims::quiet(&t.best().config));
        once(trials, "clients", &|t| dims::concurrency(&t.best().config));
        once(trials, "rate", &|t| dims::rate(&t.best().config));
        once(trials, "keys", &|t| dims::keys(&t.best().config));
        once(trials, "nodes", &|t| dims::nodes(&t.best().config));
        if trials.exhausted() || trials.accepted().len() == before {
            return;
        }
    }
}

/// Drops fault actions (ddmin over the plan's list).
fn faults(trials: &mut Trials<'_>) {
    let base = trials.best().config.clone();
    let actions = dims::actions(&base);
    if trials.exhausted() || actions.is_empty() {
        return;
    }
    let total = actions.len();
    let mut test = |batch: Vec<Vec<faultline_nemesis::explicit::PlanAction>>| {
        // Each candidate keeps its actions in plan order, so it is built
        // on the best run's other settings.
        let base = trials.best().config.clone();
        let candidates: Vec<Candidate> = batch
            .into_iter()
            .map(|kept| {
                let label = format!("keep {} of {total} faults", kept.len());
                (label, dims::with_actions(&base, kept))
            })
            .collect();
        trials.test("faults", candidates)
    };
    ddmin::ddmin(actions, &mut test);
}

/// Shortens each fault in turn.
fn durations(trials: &mut Trials<'_>) {
    let count = dims::actions(&trials.best().config).len();
    for index in 0..count {
        if trials.exhausted() {
            return;
        }
        let candidates = dims::durations(&trials.best().config, index);
        trials.test("durations", candidates);
    }
}

/// One batch of one dimension's candidates.
fn once(trials: &mut Trials<'_>, dimension: &str, make: &dyn Fn(&Trials<'_>) -> Vec<Candidate>) {
    if trials.exhausted() {
        return;
    }
    let candidates = make(trials);
    if !candidates.is_empty() {
        trials.test(dimension, candidates);
    }
}

/// When a run's first invalid finding happened, in ms, if known.
fn failure_ms(results: &faultline_checker::RunResults) -> Option<u64> {
    results
        .checkers
        .iter()
        .filter(|c| c.verdict == faultline_checker::Verdict::Invalid)
        .flat_map(|c| {
            c.grouped()
                .iter()
                .filter_map(|g| g.span.first_ms)
                .collect::<Vec<_>>()
        })
        .min()
}
