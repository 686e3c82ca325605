//! Explicit fault plans: a run's fault schedule as data. A drawn
//! [`Schedule`] converts to an [`ExplicitPlan`] ([`ExplicitPlan::from_schedule`])
//! and back ([`ExplicitPlan::to_schedule`]) without loss, so a stored plan
//! replays the run it came from step for step; a plan can also be written
//! by hand or edited (the shrinker drops actions and shortens them).
//!
//! Each [`PlanAction`] is one fault: when it starts, when it stops (absent:
//! it lasts until the final heal at the time limit), its kind, its target
//! *rule* (`leader` stays "the leader at that moment": leader-based kinds
//! are resolved when they start, exactly as in a drawn schedule) and the
//! seed of its random choices (which nodes a `one` or `minority` target
//! picks, a partition's shape, magnitudes). Faults are numbered by their
//! position once ordered by start time.

use faultline_raft::NodeId;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::fault::{FaultError, FaultFamily, FaultKind, FaultPlan, Magnitudes, Target};
use crate::schedule::{Action, Schedule, Step};

/// Where a plan came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanOrigin {
    /// Drawn from the run's seed and nemesis settings (the flags reproduce
    /// it).
    Drawn,
    /// Given explicitly: written by hand, or edited by `faultline shrink`
    /// (only the plan itself reproduces it).
    #[default]
    Given,
}

/// A run's faults as data (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitPlan {
    /// Where the plan came from (absent: `given`).
    #[serde(default)]
    pub origin: PlanOrigin,
    /// The faults, ordered by start time.
    pub actions: Vec<PlanAction>,
}

/// One fault of an [`ExplicitPlan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawAction")]
pub struct PlanAction {
    /// When it starts, in simulated ms since the run began.
    pub start_ms: u64,
    /// When it stops, in simulated ms (absent: at the final heal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_ms: Option<u64>,
    /// The kind (`kill`, `partition-majority`, `clock-strobe`, ...).
    pub kind: FaultKind,
    /// The target rule of a targeted kind (`one`, `minority`, `majority`,
    /// `all`, `leader`); absent for partitions, whose shape decides, and
    /// for kinds that fix their own target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// Seeds the fault's random choices (nodes, shape, magnitudes).
    #[serde(default)]
    pub seed: u64,
    /// How long the fault is planned to last, in ms (a clock strobe lasts
    /// this long); absent: from its start to its stop (or the time limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_ms: Option<u64>,
}

/// A [`PlanAction`] as read, before its own fields are checked together.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    start_ms: u64,
    #[serde(default)]
    stop_ms: Option<u64>,
    kind: FaultKind,
    #[serde(default)]
    target: Option<Target>,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    hold_ms: Option<u64>,
}

impl TryFrom<RawAction> for PlanAction {
    type Error = String;

    /// Checks what one action can check alone (a JSON reader reports the
    /// error at the action's position).
    fn try_from(raw: RawAction) -> Result<Self, String> {
        let action = PlanAction {
            start_ms: raw.start_ms,
            stop_ms: raw.stop_ms,
            kind: raw.kind,
            target: raw.target,
            seed: raw.seed,
            hold_ms: raw.hold_ms,
        };
        action.check_alone()?;
        Ok(action)
    }
}

/// A plan that does not fit its run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// One action is wrong.
    #[error("fault_plan.actions[{index}]: {reason}")]
    Action {
        /// Its position in the plan's list.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// Resolving a fault failed.
    #[error(transparent)]
    Fault(#[from] FaultError),
}

impl PlanAction {
    /// The checks that need nothing but the action.
    fn check_alone(&self) -> Result<(), String> {
        if let Some(stop_ms) = self.stop_ms {
            if stop_ms <= self.start_ms {
                return Err(format!(
                    "stop_ms {stop_ms} is not after start_ms {}",
                    self.start_ms
                ));
            }
        }
        if self.hold_ms == Some(0) {
            return Err("hold_ms must be above 0".to_string());
        }
        match (self.kind.family(), self.target) {
            (FaultFamily::Partition, Some(t)) => Err(format!(
                "{} is a partition: its shape picks the nodes, so it takes no target (got {})",
                self.kind,
                t.as_str()
            )),
            _ => Ok(()),
        }
    }

    /// The planned fault of this action for a run whose main phase ends at
    /// `time_limit_ms`.
    pub fn fault_plan(&self, time_limit_ms: u64) -> FaultPlan {
        let end_ms = self.stop_ms.unwrap_or(time_limit_ms).min(time_limit_ms);
        FaultPlan {
            kind: self.kind,
            target: match self.kind.family() {
                FaultFamily::Partition => None,
                _ => Some(
                    self.kind
                        .fixed_target()
                        .or(self.target)
                        .unwrap_or(Target::One),
                ),
            },
            seed: self.seed,
            hold_ms: self
                .hold_ms
                .unwrap_or_else(|| end_ms.saturating_sub(self.start_ms).max(1)),
        }
    }

    /// How long the action lasts in a run whose main phase ends at
    /// `time_limit_ms`.
    pub fn duration_ms(&self, time_limit_ms: u64) -> u64 {
        self.stop_ms
            .unwrap_or(time_limit_ms)
            .min(time_limit_ms)
            .saturating_sub(self.start_ms)
    }
}

impl ExplicitPlan {
    /// The plan of a drawn schedule: every start with its stop (or none
    /// when the final heal ends it), in start order.
    pub fn from_schedule(schedule: &Schedule, time_limit_ms: u64) -> ExplicitPlan {
        let mut actions: Vec<(u64, PlanAction)> = Vec::new();
        for step in &schedule.steps {
            match &step.action {
                Action::Start { id, plan, .. } => {
                    let mut action = PlanAction {
                        start_ms: step.at_ms,
                        stop_ms: None,
                        kind: plan.kind,
                        target: plan.target,
                        seed: plan.seed,
                        hold_ms: Some(plan.hold_ms),
                    };
                    if action.kind.family() != FaultFamily::Partition
                        && action.kind.fixed_target() == action.target
                    {
                        action.target = None;
                    }
                    actions.push((*id, action));
                }
                Action::Stop { id, .. } => {
                    if let Some((_, a)) = actions.iter_mut().find(|(i, _)| i == id) {
                        a.stop_ms = Some(step.at_ms);
                    }
                }
                Action::HealAll => {}
            }
        }
        let mut actions: Vec<PlanAction> = actions.into_iter().map(|(_, a)| a).collect();
        for a in &mut actions {
            // Keep `hold_ms` only where the default would differ.
            let default_hold = PlanAction {
                hold_ms: None,
                ..a.clone()
            }
            .fault_plan(time_limit_ms)
            .hold_ms;
            if a.hold_ms == Some(default_hold) {
                a.hold_ms = None;
            }
        }
        ExplicitPlan {
            origin: PlanOrigin::Drawn,
            actions,
        }
    }

    /// Checks the plan against its run: every action starts before the
    /// time limit and its kind fits the cluster.
    pub fn validate(&self, nodes_count: usize, time_limit_ms: u64) -> Result<(), PlanError> {
        for (index, a) in self.actions.iter().enumerate() {
            let bad = |reason: String| PlanError::Action { index, reason };
            a.check_alone().map_err(bad)?;
            if a.start_ms >= time_limit_ms {
                return Err(bad(format!(
                    "start_ms {} is not before the time limit ({time_limit_ms} ms): faults \
                     start in the main phase only",
                    a.start_ms
                )));
            }
            if a.kind.min_nodes() > nodes_count {
                return Err(bad(format!(
                    "{} needs at least {} nodes (the run has {nodes_count})",
                    a.kind,
                    a.kind.min_nodes()
                )));
            }
        }
        Ok(())
    }

    /// The schedule this plan stands for: each action's start and stop
    /// (stops at or after the time limit are left to the final heal), then
    /// the final heal at the time limit. Faults are numbered in start
    /// order; at one instant stops come before starts.
    pub fn to_schedule(
        &self,
        nodes: &[NodeId],
        magnitudes: &Magnitudes,
        time_limit_ms: u64,
    ) -> Result<Schedule, PlanError> {
        self.validate(nodes.len(), time_limit_ms)?;
        let mut order: Vec<&PlanAction> = self.actions.iter().collect();
        order.sort_by_key(|a| a.start_ms);
        // (time, stops first, fault id) orders the steps.
        let mut steps: Vec<((u64, u8, u64), Step)> = Vec::new();
        for (id, a) in order.into_iter().enumerate() {
            let id = id as u64;
            let plan = a.fault_plan(time_limit_ms);
            let fault = plan.resolve(nodes, None, magnitudes)?;
            if let Some(stop_ms) = a.stop_ms.filter(|s| *s < time_limit_ms) {
                let stop = Step {
                    at_ms: stop_ms,
                    action: Action::Stop {
                        id,
                        fault: fault.clone(),
                    },
                };
                steps.push(((stop_ms, 0, id), stop));
            }
            let start = Step {
                at_ms: a.start_ms,
                action: Action::Start { id, plan, fault },
            };
            steps.push(((a.start_ms, 1, id), start));
        }
        steps.sort_by_key(|(key, _)| *key);
        let mut steps: Vec<Step> = steps.into_iter().map(|(_, s)| s).collect();
        steps.push(Step {
            at_ms: time_limit_ms,
            action: Action::HealAll,
        });
        Ok(Schedule {
            nodes: nodes.to_vec(),
            magnitudes: magnitudes.clone(),
            steps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ScheduleConfig;

    fn drawn(seed: u64, overlap: usize, jitter: bool) -> (Schedule, ScheduleConfig) {
        let config = ScheduleConfig {
            overlap,
            interval_jitter: jitter,
            ..ScheduleConfig::default()
        };
        let schedule = Schedule::plan(seed, &config, &[1, 2, 3, 4, 5]).unwrap();
        (schedule, config)
    }

    #[test]
    fn a_drawn_schedule_round_trips_through_its_explicit_plan() {
        for (seed, overlap, jitter) in [(1, 1, false), (7, 3, false), (42, 2, true), (9, 6, true)] {
            let (schedule, config) = drawn(seed, overlap, jitter);
            let plan = ExplicitPlan::from_schedule(&schedule, config.time_limit_ms);
            assert_eq!(plan.origin, PlanOrigin::Drawn);
            let text = serde_json::to_string_pretty(&plan).unwrap();
            let back: ExplicitPlan = serde_json::from_str(&text).unwrap();
            assert_eq!(back, plan);
            let rebuilt = back
                .to_schedule(&schedule.nodes, &config.magnitudes, config.time_limit_ms)
                .unwrap();
            assert_eq!(rebuilt, schedule, "seed {seed} overlap {overlap}");
        }
    }

    #[test]
    fn a_hand_written_action_needs_only_its_start_and_kind() {
        let plan: ExplicitPlan = serde_json::from_str(
            r#"{"actions": [{"start_ms": 2000, "stop_ms": 5000, "kind": "kill", "target": "leader"},
                            {"start_ms": 1000, "kind": "partition-majority", "seed": 3}]}"#,
        )
        .unwrap();
        assert_eq!(plan.origin, PlanOrigin::Given);
        let schedule = plan
            .to_schedule(&[1, 2, 3], &Magnitudes::default(), 10_000)
            .unwrap();
        let at: Vec<(u64, String)> = schedule.steps.iter().map(|s| (s.at_ms, s.f())).collect();
        assert_eq!(
            at,
            [
                (1000, "start-partition".to_string()),
                (2000, "start-kill".to_string()),
                (5000, "stop-kill".to_string()),
                (10_000, "stop-all".to_string()),
            ]
        );
    }

    #[test]
    fn bad_actions_are_refused_with_their_reason() {
        let cases = [
            (
                r#"{"actions": [{"start_ms": 5, "stop_ms": 5, "kind": "kill"}]}"#,
                "is not after",
            ),
            (
                r#"{"actions": [{"start_ms": 5, "kind": "partition-one", "target": "one"}]}"#,
                "takes no target",
            ),
            (
                r#"{"actions": [{"start_ms": 5, "kind": "explode"}]}"#,
                "explode",
            ),
            (
                r#"{"actions": [{"start_ms": 5, "kind": "kill", "when": 1}]}"#,
                "when",
            ),
        ];
        for (text, expected) in cases {
            let err = serde_json::from_str::<ExplicitPlan>(text).unwrap_err();
            assert!(err.to_string().contains(expected), "{text}: {err}");
            assert_eq!(err.line(), 1, "{err}");
        }
        let late: ExplicitPlan =
            serde_json::from_str(r#"{"actions": [{"start_ms": 9000, "kind": "kill"}]}"#).unwrap();
        let err = late
            .to_schedule(&[1, 2, 3], &Magnitudes::default(), 9000)
            .unwrap_err();
        assert!(
            err.to_string().starts_with("fault_plan.actions[0]"),
            "{err}"
        );
        let big: ExplicitPlan = serde_json::from_str(
            r#"{"actions": [{"start_ms": 10, "kind": "partition-majorities-ring"}]}"#,
        )
        .unwrap();
        assert!(big.validate(2, 1000).is_err());
    }
}
