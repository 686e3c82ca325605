//! Running candidates: each is one deterministic simulated run in its own
//! process ([`super::candidate`], nothing stored), `jobs` at a time,
//! within the shrink's budgets of runs and wall-clock seconds. A batch's
//! first candidate (in its order) that still fails for the reason sought
//! becomes the best so far; which one that is does not depend on `jobs`.
//! The run budget is read between groups of runs; a candidate still
//! running when the wall-clock budget ends is stopped and not counted.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::run::config::RunConfig;

use super::candidate::{CandidateRecord, Runner};
use super::ddmin::Batch;
use super::reason::Reason;
use super::Measures;

/// The search's bounds.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// The most candidate runs.
    pub runs_max: u64,
    /// The most wall-clock time the search may take.
    pub wall_max: Duration,
}

/// What the search reports as it goes.
#[derive(Debug, Clone)]
pub struct Tick<'a> {
    /// Candidate runs done.
    pub runs: u64,
    /// The budget of runs.
    pub runs_max: u64,
    /// The dimension being shrunk.
    pub dimension: &'a str,
    /// The best run so far.
    pub best: Measures,
    /// Whether the last batch made it smaller.
    pub accepted: Option<&'a str>,
}

/// The best run so far: its configuration and what its run reported.
#[derive(Debug, Clone)]
pub struct Best {
    /// The configuration.
    pub config: RunConfig,
    /// Its run's record.
    pub record: CandidateRecord,
}

/// The candidates tried so far and the best of them.
pub struct Trials<'p> {
    runner: &'p Runner,
    target: Reason,
    any_failure: bool,
    jobs: usize,
    budget: Budget,
    started: Instant,
    runs: u64,
    exhausted: bool,
    best: Best,
    /// Other reasons candidates failed for, with how many did.
    others: BTreeMap<String, u64>,
    /// Candidates that could not run (refused configurations, errors).
    errors: BTreeMap<String, u64>,
    /// Every accepted change, in order.
    accepted: Vec<String>,
    progress: &'p mut dyn FnMut(&Tick<'_>),
}

impl<'p> Trials<'p> {
    /// Trials starting from `best` (a run that fails for `target`), run by
    /// `runner`.
    pub fn new(
        runner: &'p Runner,
        best: Best,
        target: Reason,
        any_failure: bool,
        jobs: usize,
        budget: Budget,
        progress: &'p mut dyn FnMut(&Tick<'_>),
    ) -> Self {
        Trials {
            runner,
            target,
            any_failure,
            jobs: jobs.max(1),
            budget,
            started: Instant::now(),
            runs: 0,
            exhausted: false,
            best,
            others: BTreeMap::new(),
            errors: BTreeMap::new(),
            accepted: Vec::new(),
            progress,
        }
    }

    /// The best run so far.
    pub fn best(&self) -> &Best {
        &self.best
    }

    /// Whether a budget ran out.
    pub fn exhausted(&self) -> bool {
        self.exhausted
    }

    /// Candidate runs so far.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Other failures seen, with counts.
    pub fn others(&self) -> &BTreeMap<String, u64> {
        &self.others
    }

    /// Candidates that could not run, with counts.
    pub fn errors(&self) -> &BTreeMap<String, u64> {
        &self.errors
    }

    /// The accepted changes, in order.
    pub fn accepted(&self) -> &[String] {
        &self.accepted
    }

    /// The search's result.
    pub fn into_best(self) -> Best {
        self.best
    }

    /// Whether `results` count as the failure sought.
    fn matches(&self, r: &CandidateRecord) -> bool {
        if self.any_failure {
            r.results.verdict == faultline_checker::Verdict::Invalid
        } else {
            self.target.found_in(&r.results)
        }
    }

    /// Runs `candidates` (labelled) in order, `jobs` at a time, and makes
    /// the first that fails for the reason sought the best.
    pub fn test(&mut self, dimension: &str, candidates: Vec<(String, RunConfig)>) -> Batch {
        let candidates: Vec<(String, RunConfig)> = candidates
            .into_iter()
            .filter(|(_, c)| *c != self.best.config && c.validate().is_ok())
            .collect();
        let mut start = 0;
        while start < candidates.len() {
            let left = self.budget.runs_max.saturating_sub(self.runs);
            let wall_left = self.budget.wall_max.saturating_sub(self.started.elapsed());
            if left == 0 || wall_left.is_zero() {
                self.exhausted = true;
                return Batch::Exhausted;
            }
            let end = (start + self.jobs.min(left as usize)).min(candidates.len());
            let group = &candidates[start..end];
            let outcomes = run_group(self.runner, group, wall_left);
            if self.started.elapsed() >= self.budget.wall_max {
                // Runs the clock stopped part-way decided nothing.
                self.exhausted = true;
            }
            self.runs += group.len() as u64;
            let mut found = None;
            for (i, outcome) in outcomes.into_iter().enumerate() {
                match outcome {
                    Ok(record) if self.matches(&record) => {
                        if found.is_none() {
                            found = Some((start + i, record));
                        }
                    }
                    Ok(record) => {
                        if let Some(r) = Reason::primary(&record.results) {
                            *self.others.entry(r.to_string()).or_default() += 1;
                        }
                    }
                    Err(e) => *self.errors.entry(e).or_default() += 1,
                }
            }
            let accepted = found.map(|(i, record)| {
                self.best = Best {
                    config: candidates[i].1.clone(),
                    record,
                };
                self.accepted
                    .push(format!("{dimension}: {}", candidates[i].0));
                i
            });
            let label = accepted.map(|i| candidates[i].0.as_str());
            (self.progress)(&Tick {
                runs: self.runs,
                runs_max: self.budget.runs_max,
                dimension,
                best: self.best.record.measures,
                accepted: label,
            });
            if let Some(i) = accepted {
                return Batch::Pass(i);
            }
            if self.exhausted {
                return Batch::Exhausted;
            }
            start = end;
        }
        Batch::Fail
    }
}

/// Runs a group of candidates at once, each in its own process (stopped
/// after `limit`); results in order.
fn run_group(
    runner: &Runner,
    group: &[(String, RunConfig)],
    limit: std::time::Duration,
) -> Vec<Result<CandidateRecord, String>> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = group
            .iter()
            .map(|(_, config)| scope.spawn(move || runner.run(config, limit)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("the candidate's thread panicked".to_string()))
            })
            .collect()
    })
}
