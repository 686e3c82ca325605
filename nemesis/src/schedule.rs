//! The fault schedule: a pure function from seed, configuration and node
//! ids to a timed list of nemesis actions.
//!
//! Every `interval_ms` the schedule takes one action. With `overlap` 1 (the
//! default) it alternates: start a fault (a random kind among the enabled
//! ones, a random target among the enabled targets unless the kind fixes
//! one), then stop it one interval later. With `overlap` N up to N faults are
//! in effect at once, at most one per family (a partition, a kill, a pause,
//! a clock fault, a packet fault and a disk fault compose without undoing
//! each other): when none is active it starts one, when N are (or no
//! family is free) it stops the oldest, otherwise a coin decides between
//! starting another and stopping the oldest. Compound faults are what some
//! bugs need: a lagging node that wins an election needs a partition and a
//! crash at once; a lease read that goes stale needs a skewed clock on a
//! partitioned leader. At the time limit it heals everything, whatever is
//! still active. An executor (written
//! against turmoil elsewhere) walks the steps in order, asks a
//! [`FaultLedger`] for each step's [`Effect`]s (it re-resolves leader-based
//! kinds with the current leader and remembers what was really applied, so
//! the stop undoes exactly that), carries them out, and records the action
//! in the history under the nemesis process with [`Step::f`].

use std::collections::{BTreeMap, BTreeSet};

use faultline_raft::NodeId;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use thiserror::Error;

use crate::fault::{Fault, FaultError, FaultFamily, FaultKind, FaultPlan, Magnitudes, Target};

/// Settings of a schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleConfig {
    /// The kinds to draw from; empty means no faults (and no heal).
    pub kinds: BTreeSet<FaultKind>,
    /// Time between consecutive actions (default 10 s).
    pub interval_ms: u64,
    /// When the main phase ends: the final heal happens here and no fault
    /// starts at or after it.
    pub time_limit_ms: u64,
    /// Targets that targeted kinds draw from (default all five).
    pub targets: Vec<Target>,
    /// The most faults in effect at once (default 1: start and stop
    /// alternate); at most one per family.
    pub overlap: usize,
    /// How big faults get.
    pub magnitudes: Magnitudes,
    /// Draw each gap from `[interval_ms / 2, 3 * interval_ms / 2]` instead
    /// of keeping it fixed (default off: the fixed grid).
    pub interval_jitter: bool,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            kinds: FaultKind::ALL.iter().copied().collect(),
            interval_ms: 10_000,
            time_limit_ms: 60_000,
            targets: Target::ALL.to_vec(),
            overlap: 1,
            magnitudes: Magnitudes::default(),
            interval_jitter: false,
        }
    }
}

/// A schedule that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    /// The node list is empty or repeats a node.
    #[error("nemesis nodes: {0}")]
    BadNodes(String),
    /// The interval is zero.
    #[error("nemesis interval must be above 0 ms")]
    ZeroInterval,
    /// No targets to draw from.
    #[error("nemesis targets: the list is empty")]
    NoTargets,
    /// Overlap 0 would never start a fault.
    #[error("nemesis overlap must be at least 1")]
    ZeroOverlap,
    /// A kind or magnitude does not fit the cluster.
    #[error(transparent)]
    Fault(#[from] FaultError),
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Start fault number `id`.
    Start {
        /// Numbers faults from 0; its stop carries the same id.
        id: u64,
        /// The plan (re-resolve with the leader if the kind needs it).
        plan: FaultPlan,
        /// The plan resolved without knowledge of the leader.
        fault: Fault,
    },
    /// Undo fault number `id` (heal, restart, resume, reset, restore).
    Stop {
        /// The fault's number.
        id: u64,
        /// The fault being undone.
        fault: Fault,
    },
    /// Undo everything: heal all links, restart and resume every node,
    /// reset every clock, restore packets and disks.
    HealAll,
}

/// One timed action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Simulated time of the action (ms since the run began).
    pub at_ms: u64,
    /// The action.
    pub action: Action,
}

impl Step {
    /// The history `f` for this action: `start-<family>`, `stop-<family>`
    /// or `stop-all` for the final heal.
    pub fn f(&self) -> String {
        match &self.action {
            Action::Start { fault, .. } => fault.family().start_f(),
            Action::Stop { fault, .. } => fault.family().stop_f(),
            Action::HealAll => "stop-all".to_string(),
        }
    }

    /// The fault this step starts or stops, if any.
    pub fn fault(&self) -> Option<&Fault> {
        match &self.action {
            Action::Start { fault, .. } | Action::Stop { fault, .. } => Some(fault),
            Action::HealAll => None,
        }
    }
}

/// A whole schedule, in time order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    /// The nodes it was planned for.
    pub nodes: Vec<NodeId>,
    /// The magnitudes its faults were drawn with (leader-based kinds are
    /// re-resolved with them).
    pub magnitudes: Magnitudes,
    /// The steps, ordered by time.
    pub steps: Vec<Step>,
}

impl Schedule {
    /// Plans the schedule for `nodes` from `seed` (see the module docs).
    pub fn plan(
        seed: u64,
        config: &ScheduleConfig,
        nodes: &[NodeId],
    ) -> Result<Self, ScheduleError> {
        validate(config, nodes)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let kinds: Vec<FaultKind> = config.kinds.iter().copied().collect();
        let mut steps = Vec::new();
        // Faults in effect, oldest first.
        let mut active: std::collections::VecDeque<(u64, Fault)> = Default::default();
        let mut next_id = 0;
        let mut at_ms = config.interval_ms;
        while !kinds.is_empty() && at_ms < config.time_limit_ms {
            let busy: BTreeSet<FaultFamily> = active.iter().map(|(_, f)| f.family()).collect();
            let free: Vec<FaultKind> = kinds
                .iter()
                .copied()
                .filter(|k| !busy.contains(&k.family()))
                .collect();
            // No random draw unless there is a real choice, so overlap 1
            // plans exactly the alternating schedule.
            let start = if active.is_empty() {
                true
            } else if active.len() >= config.overlap || free.is_empty() {
                false
            } else {
                rng.gen_bool(0.5)
            };
            match active.front().cloned().filter(|_| !start) {
                Some((id, fault)) => {
                    active.pop_front();
                    steps.push(Step {
                        at_ms,
                        action: Action::Stop { id, fault },
                    })
                }
                None => {
                    let kind = *free.choose(&mut rng).unwrap_or(&free[0]);
                    let target = if kind.family() == FaultFamily::Partition {
                        None
                    } else {
                        let drawn = *config.targets.choose(&mut rng).unwrap_or(&Target::One);
                        Some(kind.fixed_target().unwrap_or(drawn))
                    };
                    // At most `overlap` intervals (the oldest goes first).
                    let hold_ms = (config.interval_ms * config.overlap as u64)
                        .min(config.time_limit_ms - at_ms);
                    let plan = FaultPlan {
                        kind,
                        target,
                        seed: rng.gen(),
                        hold_ms,
                    };
                    let fault = plan.resolve(nodes, None, &config.magnitudes)?;
                    active.push_back((next_id, fault.clone()));
                    steps.push(Step {
                        at_ms,
                        action: Action::Start {
                            id: next_id,
                            plan,
                            fault,
                        },
                    });
                    next_id += 1;
                }
            }
            at_ms += if config.interval_jitter {
                let half = (config.interval_ms / 2).max(1);
                rng.gen_range(half..=config.interval_ms + half)
            } else {
                config.interval_ms
            };
        }
        if !kinds.is_empty() {
            steps.push(Step {
                at_ms: config.time_limit_ms,
                action: Action::HealAll,
            });
        }
        Ok(Schedule {
            nodes: nodes.to_vec(),
            magnitudes: config.magnitudes.clone(),
            steps,
        })
    }
}

fn validate(config: &ScheduleConfig, nodes: &[NodeId]) -> Result<(), ScheduleError> {
    if nodes.is_empty() {
        return Err(ScheduleError::BadNodes("the list is empty".into()));
    }
    let unique: BTreeSet<NodeId> = nodes.iter().copied().collect();
    if unique.len() != nodes.len() {
        return Err(ScheduleError::BadNodes(format!("{nodes:?} repeats a node")));
    }
    if config.interval_ms == 0 {
        return Err(ScheduleError::ZeroInterval);
    }
    if config.targets.is_empty() {
        return Err(ScheduleError::NoTargets);
    }
    if config.overlap == 0 {
        return Err(ScheduleError::ZeroOverlap);
    }
    config.magnitudes.validate()?;
    for kind in &config.kinds {
        if nodes.len() < kind.min_nodes() {
            return Err(FaultError::TooFewNodes {
                kind: *kind,
                needed: kind.min_nodes(),
                nodes: nodes.len(),
            }
            .into());
        }
    }
    Ok(())
}

/// What an executor must do for one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "effect", rename_all = "kebab-case")]
pub enum Effect {
    /// Inflict this fault.
    Apply {
        /// The fault, with the nodes actually chosen.
        fault: Fault,
    },
    /// Undo this fault (exactly what was applied).
    Undo {
        /// The fault.
        fault: Fault,
    },
    /// Restore everything to normal, whatever may still be in effect.
    RestoreEverything,
}

/// The executor's bookkeeping: which faults are in effect, as actually
/// applied. Leader-based kinds are resolved against the leader at the
/// moment they start, so a stop must undo what was applied, not what was
/// planned; the ledger remembers it by fault id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultLedger {
    active: BTreeMap<u64, Fault>,
}

impl FaultLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        FaultLedger::default()
    }

    /// The faults in effect, by id.
    pub fn active(&self) -> &BTreeMap<u64, Fault> {
        &self.active
    }

    /// Records that fault `id` is now in effect as `fault` (a leader chase
    /// that moved), so its stop undoes what is really applied.
    pub fn replace(&mut self, id: u64, fault: Fault) {
        if let Some(slot) = self.active.get_mut(&id) {
            *slot = fault;
        }
    }

    /// The effects of `step` given the current `leader` (if known).
    pub fn effects(
        &mut self,
        schedule: &Schedule,
        step: &Step,
        leader: Option<NodeId>,
    ) -> Result<Vec<Effect>, FaultError> {
        Ok(match &step.action {
            Action::Start { id, plan, fault } => {
                let applied = if plan.kind.needs_leader() {
                    plan.resolve(&schedule.nodes, leader, &schedule.magnitudes)?
                } else {
                    fault.clone()
                };
                self.active.insert(*id, applied.clone());
                vec![Effect::Apply { fault: applied }]
            }
            Action::Stop { id, .. } => match self.active.remove(id) {
                Some(fault) => vec![Effect::Undo { fault }],
                None => Vec::new(),
            },
            Action::HealAll => {
                let mut effects: Vec<Effect> = std::mem::take(&mut self.active)
                    .into_values()
                    .map(|fault| Effect::Undo { fault })
                    .collect();
                effects.push(Effect::RestoreEverything);
                effects
            }
        })
    }
}
