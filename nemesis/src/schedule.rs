//! The fault schedule: a pure function from seed, configuration and node
//! ids to a timed list of nemesis actions.
//!
//! Every `interval_ms` the schedule alternates: start a fault (a random
//! kind among the enabled ones, a random target among the enabled targets
//! unless the kind fixes one), then stop it one interval later. At the time
//! limit it heals everything, whatever is still active. An executor (written
//! against turmoil elsewhere) walks the steps in order; for each start it
//! applies [`Step::fault`], or re-resolves the plan with the current leader
//! when [`FaultKind::needs_leader`] says so, and records the action in the
//! history under the nemesis process with [`Step::f`].

use std::collections::BTreeSet;

use faultline_raft::NodeId;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use thiserror::Error;

use crate::fault::{Fault, FaultError, FaultKind, FaultPlan, Magnitudes, Target};

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
    /// How big faults get.
    pub magnitudes: Magnitudes,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            kinds: FaultKind::ALL.iter().copied().collect(),
            interval_ms: 10_000,
            time_limit_ms: 60_000,
            targets: Target::ALL.to_vec(),
            magnitudes: Magnitudes::default(),
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
        let mut active: Option<(u64, Fault)> = None;
        let mut next_id = 0;
        let mut at_ms = config.interval_ms;
        while !kinds.is_empty() && at_ms < config.time_limit_ms {
            match active.take() {
                Some((id, fault)) => steps.push(Step {
                    at_ms,
                    action: Action::Stop { id, fault },
                }),
                None => {
                    let kind = *kinds.choose(&mut rng).unwrap_or(&kinds[0]);
                    let target = if kind.family() == crate::fault::FaultFamily::Partition {
                        None
                    } else {
                        let drawn = *config.targets.choose(&mut rng).unwrap_or(&Target::One);
                        Some(kind.fixed_target().unwrap_or(drawn))
                    };
                    let hold_ms = config.interval_ms.min(config.time_limit_ms - at_ms);
                    let plan = FaultPlan {
                        kind,
                        target,
                        seed: rng.gen(),
                        hold_ms,
                    };
                    let fault = plan.resolve(nodes, None, &config.magnitudes)?;
                    active = Some((next_id, fault.clone()));
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
            at_ms += config.interval_ms;
        }
        if !kinds.is_empty() {
            steps.push(Step {
                at_ms: config.time_limit_ms,
                action: Action::HealAll,
            });
        }
        Ok(Schedule {
            nodes: nodes.to_vec(),
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
