//! The nemesis executor: walks a [`Schedule`] against a running cluster (a
//! [`FaultTarget`]), carrying out each step's [`Effect`]s between simulation
//! steps, and reports every action so the run can record it in the history
//! under the `nemesis` process.
//!
//! | fault | start | stop |
//! | --- | --- | --- |
//! | partition | cut each link a grudge names, one way | repair every link |
//! | kill | crash (power loss: unsynced writes lost) | restart |
//! | pause | close the node's pause gate | open it |
//! | clock bump / strobe / skew / drift | move the node's [`crate::clock::SimClock`] | reset it (a drift: back to the nominal rate from where it stands, no step) |
//! | packet loss | loss rate on every link of the node | rate 0 |
//! | packet delay | raise the links' latency (base + jitter) | restore it |
//! | packet duplicate / reorder / late / late replies | the node's [`crate::message_faults::MessageFaults`] | switch off |
//! | disk corruption / I/O error | the node's [`crate::disk_faults::DiskFaults`] | clear, then restart nodes the faults killed |
//!
//! A protocol-aware start ([`crate::trigger`]) is armed when due and carried
//! out at the first poll whose node states show its event. A leader chase
//! ([`crate::chase`]) starts like `partition-isolate-leader` and then moves
//! its cut to each new leader, recorded as a stop and a start.

use crate::chase::{isolated_node, Chase};
use crate::fault::{Fault, FaultError, FaultKind};
use crate::schedule::{Action, Effect, FaultLedger, Schedule, Step};
use crate::target::FaultTarget;
use crate::trigger::{NodeState, Trigger};
use faultline_raft::NodeId;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// One nemesis action as it happened, for the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NemesisEvent {
    /// Simulated time of the action.
    pub time_ns: u64,
    /// The history `f` (`start-partition`, `stop-kill`, `stop-all`, ...).
    pub f: String,
    /// What it touched: the fault as applied, with its nodes.
    pub value: Value,
}

/// Walks a schedule (see the module docs).
#[derive(Debug)]
pub struct Executor {
    schedule: Schedule,
    next: usize,
    ledger: FaultLedger,
    healed: bool,
    /// Protocol-aware starts that are due but whose event has not come.
    armed: Vec<Step>,
    /// Whether the schedule has protocol-aware kinds (then the nodes'
    /// state is read every poll, so each trigger compares two steps).
    watch: bool,
    /// The nodes' state at the previous poll.
    last_view: Vec<NodeState>,
    /// Leader chases in effect.
    chases: Vec<Chase>,
    /// Whether the schedule has a stale replay whose copies the nodes
    /// have not started keeping yet (they start at the first poll).
    stale_keeping_due: bool,
}

impl Executor {
    /// An executor for `schedule`, starting at its first step.
    pub fn new(schedule: Schedule) -> Self {
        let watch = starts_any(&schedule, FaultKind::is_protocol_aware);
        let stale_keeping_due = starts_any(&schedule, |k| k == FaultKind::PacketStaleReplay);
        Executor {
            schedule,
            next: 0,
            ledger: FaultLedger::new(),
            healed: false,
            armed: Vec::new(),
            watch,
            last_view: Vec::new(),
            chases: Vec::new(),
            stale_keeping_due,
        }
    }

    /// The schedule being executed.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// Whether the final heal has happened.
    pub fn healed(&self) -> bool {
        self.healed
    }

    /// Carries out every step due at or before `now`. The final heal of the
    /// schedule is held back: the run triggers it with [`Executor::heal_all`]
    /// once its clients have drained, so no fault starts or ends mid-drain.
    pub fn poll(
        &mut self,
        cluster: &mut dyn FaultTarget,
        now: Duration,
    ) -> Result<Vec<NemesisEvent>, FaultError> {
        let mut events = Vec::new();
        if std::mem::take(&mut self.stale_keeping_due) {
            // A stale replay delivers copies kept since the run began.
            for id in cluster.node_ids() {
                if let Some(m) = cluster.message_faults(id) {
                    m.keep_stale();
                }
            }
        }
        while let Some(step) = self.schedule.steps.get(self.next) {
            if self.healed || Duration::from_millis(step.at_ms) > now {
                break;
            }
            if matches!(step.action, Action::HealAll) {
                break;
            }
            let step = step.clone();
            self.next += 1;
            if armed_kind(&step).is_some() {
                self.armed.push(step);
                continue;
            }
            if let Action::Stop { id, .. } = &step.action {
                if let Some(pos) = self.armed.iter().position(|a| start_id(a) == Some(*id)) {
                    // Its event never came: nothing to undo, nothing to record.
                    self.armed.remove(pos);
                    continue;
                }
            }
            let leader = cluster.leader();
            events.extend(self.run_step(cluster, &step, now, leader)?);
        }
        if self.watch {
            let view = cluster.protocol_view();
            events.extend(self.fire_armed(cluster, now, &view)?);
            events.extend(self.chase(cluster, now, &view));
            deliver_stale(cluster, &view);
            self.last_view = view;
        }
        Ok(events)
    }

    /// Fires every armed protocol-aware fault whose event happened since
    /// the previous poll, against the node the event names.
    fn fire_armed(
        &mut self,
        cluster: &mut dyn FaultTarget,
        now: Duration,
        view: &[NodeState],
    ) -> Result<Vec<NemesisEvent>, FaultError> {
        let mut events = Vec::new();
        let mut i = 0;
        while i < self.armed.len() {
            let fired =
                armed_kind(&self.armed[i]).and_then(|trigger| trigger.fired(&self.last_view, view));
            match fired {
                Some(node) => {
                    let step = self.armed.remove(i);
                    events.extend(self.run_step(cluster, &step, now, Some(node))?);
                }
                None => i += 1,
            }
        }
        Ok(events)
    }

    /// Moves every leader chase whose move is due: heals the cut around the
    /// node it held and isolates the new leader, recording both.
    fn chase(
        &mut self,
        cluster: &mut dyn FaultTarget,
        now: Duration,
        view: &[NodeState],
    ) -> Vec<NemesisEvent> {
        let mut events = Vec::new();
        for chase in &mut self.chases {
            let Some(leader) = chase.poll(view, now) else {
                continue;
            };
            let Some(old) = self.ledger.active().get(&chase.id).cloned() else {
                continue;
            };
            let new = Fault::Partition {
                kind: FaultKind::PartitionChaseLeader,
                grudge: crate::grudge::isolate_node(&cluster.node_ids(), leader),
            };
            undo(cluster, &old, now);
            apply(cluster, &new, now);
            self.ledger.replace(chase.id, new.clone());
            let time_ns = now.as_nanos() as u64;
            for (fault, start) in [(old, false), (new, true)] {
                let family = fault.family();
                events.push(NemesisEvent {
                    time_ns,
                    f: if start {
                        family.start_f()
                    } else {
                        family.stop_f()
                    },
                    value: serde_json::to_value(&fault).unwrap_or(Value::Null),
                });
            }
        }
        events
    }

    /// Heals everything now (the schedule's final step), skipping whatever
    /// was still planned. Idempotent.
    pub fn heal_all(&mut self, cluster: &mut dyn FaultTarget, now: Duration) -> Vec<NemesisEvent> {
        if self.healed {
            return Vec::new();
        }
        self.healed = true;
        self.next = self.schedule.steps.len();
        self.armed.clear();
        self.chases.clear();
        let step = Step {
            at_ms: now.as_millis() as u64,
            action: Action::HealAll,
        };
        // HealAll never needs the leader, so resolving it cannot fail.
        self.run_step(cluster, &step, now, None).unwrap_or_default()
    }

    /// Carries out `step`, resolving leader-based kinds with `leader` (for
    /// a protocol-aware kind: the node its trigger named).
    fn run_step(
        &mut self,
        cluster: &mut dyn FaultTarget,
        step: &Step,
        now: Duration,
        leader: Option<NodeId>,
    ) -> Result<Vec<NemesisEvent>, FaultError> {
        let effects = self.ledger.effects(&self.schedule, step, leader)?;
        self.track_chase(step);
        let mut touched = Vec::new();
        for effect in &effects {
            match effect {
                Effect::Apply { fault } => {
                    apply(cluster, fault, now);
                    touched.push(serde_json::to_value(fault).unwrap_or(Value::Null));
                }
                Effect::Undo { fault } => {
                    undo(cluster, fault, now);
                    touched.push(serde_json::to_value(fault).unwrap_or(Value::Null));
                }
                Effect::RestoreEverything => restore_everything(cluster, now),
            }
        }
        let value = match touched.len() {
            0 => json!({ "healed": "everything" }),
            1 => touched.pop().unwrap_or(Value::Null),
            _ => Value::Array(touched),
        };
        Ok(vec![NemesisEvent {
            time_ns: now.as_nanos() as u64,
            f: step.f(),
            value,
        }])
    }
}

impl Executor {
    /// Starts following a leader chase that `step` started, or forgets the
    /// one it stopped.
    fn track_chase(&mut self, step: &Step) {
        match &step.action {
            Action::Start { id, plan, .. } if plan.kind == FaultKind::PartitionChaseLeader => {
                let isolated = match self.ledger.active().get(id) {
                    Some(Fault::Partition { grudge, .. }) => isolated_node(grudge),
                    _ => None,
                };
                if let Some(node) = isolated {
                    self.chases.push(Chase::new(*id, plan.seed, node));
                }
            }
            Action::Stop { id, .. } => self.chases.retain(|c| c.id != *id),
            _ => {}
        }
    }
}

/// Whether `schedule` starts a fault of a kind that `kind` picks.
fn starts_any(schedule: &Schedule, kind: impl Fn(FaultKind) -> bool) -> bool {
    schedule.steps.iter().any(|s| match &s.action {
        Action::Start { plan, .. } => kind(plan.kind),
        _ => false,
    })
}

/// The trigger of a protocol-aware start.
fn armed_kind(step: &Step) -> Option<Trigger> {
    match &step.action {
        Action::Start { plan, .. } => plan.kind.trigger(),
        _ => None,
    }
}

/// The fault id a start step starts.
fn start_id(step: &Step) -> Option<u64> {
    match &step.action {
        Action::Start { id, .. } => Some(*id),
        _ => None,
    }
}

fn others(cluster: &dyn FaultTarget, node: NodeId) -> Vec<NodeId> {
    cluster
        .node_ids()
        .into_iter()
        .filter(|&o| o != node)
        .collect()
}

fn apply(cluster: &mut dyn FaultTarget, fault: &Fault, now: Duration) {
    match fault {
        Fault::Partition { grudge, .. } => {
            for (&to, froms) in &grudge.drops {
                for &from in froms {
                    cluster.cut_link(from, to);
                }
            }
        }
        Fault::Kill { nodes } => nodes.iter().for_each(|&n| cluster.crash(n)),
        Fault::Pause { nodes } => {
            for n in nodes {
                cluster.pause(*n);
            }
        }
        Fault::ClockBump { deltas_ms } => {
            for (n, &d) in deltas_ms {
                if let Some(c) = cluster.clock(*n) {
                    c.bump(now, d);
                }
            }
        }
        Fault::ClockStrobe {
            nodes,
            delta_ms,
            period_ms,
            duration_ms,
        } => {
            for n in nodes {
                if let Some(c) = cluster.clock(*n) {
                    c.strobe(
                        now,
                        *delta_ms,
                        Duration::from_millis(*period_ms),
                        Duration::from_millis(*duration_ms),
                    );
                }
            }
        }
        Fault::ClockSkew { rates_ppm } => {
            for (n, &r) in rates_ppm {
                if let Some(c) = cluster.clock(*n) {
                    c.set_rate(now, r);
                }
            }
        }
        Fault::ClockDrift { rates_ppm } => {
            for (n, &r) in rates_ppm {
                if let Some(c) = cluster.clock(*n) {
                    c.drift_rate(now, r);
                }
            }
        }
        Fault::PacketLoss { nodes, probability } => {
            for &n in nodes {
                for o in others(cluster, n) {
                    cluster.set_link_loss(n, o, *probability);
                }
            }
        }
        Fault::PacketDelay {
            nodes,
            delay_ms,
            jitter_ms,
        } => {
            let max = Duration::from_millis(delay_ms + jitter_ms);
            for &n in nodes {
                for o in others(cluster, n) {
                    cluster.set_link_latency_max(n, o, max);
                }
            }
        }
        Fault::PacketDuplicate { nodes, probability } => {
            for n in nodes {
                if let Some(m) = cluster.message_faults(*n) {
                    m.set(*probability, 0.0, Duration::ZERO..=Duration::ZERO);
                }
            }
        }
        Fault::PacketReorder {
            nodes,
            probability,
            delay_ms_max,
        } => {
            for n in nodes {
                if let Some(m) = cluster.message_faults(*n) {
                    let max = Duration::from_millis(*delay_ms_max);
                    m.set(0.0, *probability, Duration::from_nanos(1)..=max);
                }
            }
        }
        Fault::PacketLate {
            nodes,
            probability,
            delay_ms_min,
            delay_ms_max,
        }
        | Fault::PacketLateReplies {
            nodes,
            probability,
            delay_ms_min,
            delay_ms_max,
        } => {
            let replies_only = matches!(fault, Fault::PacketLateReplies { .. });
            let holds = Duration::from_millis(*delay_ms_min)..=Duration::from_millis(*delay_ms_max);
            for n in nodes {
                match cluster.message_faults(*n) {
                    Some(m) if replies_only => m.set_late_replies(*probability, holds.clone()),
                    Some(m) => m.set(0.0, *probability, holds.clone()),
                    None => {}
                }
            }
        }
        Fault::PacketStaleReplay { nodes } => {
            for n in nodes {
                if let Some(m) = cluster.message_faults(*n) {
                    m.set_stale_replay(true);
                }
            }
        }
        Fault::DiskCorruption { nodes, probability } => {
            for n in nodes {
                if let Some(d) = cluster.disk_faults(*n) {
                    d.set_corruption_probability(*probability);
                }
            }
        }
        Fault::DiskIoError { nodes, probability } => {
            for n in nodes {
                if let Some(d) = cluster.disk_faults(*n) {
                    d.set_io_error_probability(*probability);
                }
            }
        }
    }
}

fn undo(cluster: &mut dyn FaultTarget, fault: &Fault, now: Duration) {
    match fault {
        Fault::Partition { .. } => cluster.heal_links(),
        Fault::Kill { nodes } => nodes.iter().for_each(|&n| cluster.restart(n)),
        Fault::Pause { nodes } => {
            for n in nodes {
                cluster.resume(*n);
            }
        }
        Fault::ClockBump { deltas_ms } => reset_clocks(cluster, deltas_ms.keys(), now),
        Fault::ClockSkew { rates_ppm } => reset_clocks(cluster, rates_ppm.keys(), now),
        // A drift ends as drift does: back to the nominal rate, no step.
        Fault::ClockDrift { rates_ppm } => {
            for n in rates_ppm.keys() {
                if let Some(c) = cluster.clock(*n) {
                    c.restore(now);
                }
            }
        }
        Fault::ClockStrobe { nodes, .. } => reset_clocks(cluster, nodes.iter(), now),
        Fault::PacketLoss { nodes, .. } => {
            for &n in nodes {
                for o in others(cluster, n) {
                    cluster.set_link_loss(n, o, 0.0);
                }
            }
        }
        Fault::PacketDelay { nodes, .. } => {
            let max = cluster.link_latency_max_nominal();
            for &n in nodes {
                for o in others(cluster, n) {
                    cluster.set_link_latency_max(n, o, max);
                }
            }
        }
        Fault::PacketDuplicate { nodes, .. }
        | Fault::PacketReorder { nodes, .. }
        | Fault::PacketLate { nodes, .. }
        | Fault::PacketLateReplies { nodes, .. } => {
            for n in nodes {
                if let Some(m) = cluster.message_faults(*n) {
                    m.clear();
                }
            }
        }
        Fault::PacketStaleReplay { nodes } => {
            for n in nodes {
                if let Some(m) = cluster.message_faults(*n) {
                    m.set_stale_replay(false);
                }
            }
        }
        Fault::DiskCorruption { nodes, .. } | Fault::DiskIoError { nodes, .. } => {
            for &n in nodes {
                if let Some(d) = cluster.disk_faults(n) {
                    d.clear();
                }
                cluster.revive(n);
            }
        }
    }
}

fn reset_clocks<'a>(
    cluster: &dyn FaultTarget,
    nodes: impl Iterator<Item = &'a NodeId>,
    now: Duration,
) {
    for n in nodes {
        if let Some(c) = cluster.clock(*n) {
            c.reset(now);
        }
    }
}

/// Hands each stale copy whose moment has come to its recipient's switch
/// (see [`crate::stale`]).
fn deliver_stale(cluster: &dyn FaultTarget, view: &[NodeState]) {
    for id in cluster.node_ids() {
        let due = cluster
            .message_faults(id)
            .map(|m| m.take_due(view))
            .unwrap_or_default();
        for msg in due {
            if let Some(to) = cluster.message_faults(msg.to) {
                to.deliver_late(msg);
            }
        }
    }
}

/// Undoes every kind of fault on every node, whatever the ledger says.
fn restore_everything(cluster: &mut dyn FaultTarget, now: Duration) {
    cluster.heal_links();
    let ids: BTreeSet<NodeId> = cluster.node_ids().into_iter().collect();
    let max = cluster.link_latency_max_nominal();
    for &n in &ids {
        cluster.restart(n);
        cluster.resume(n);
        if let Some(c) = cluster.clock(n) {
            c.restore(now);
        }
        if let Some(d) = cluster.disk_faults(n) {
            d.clear();
        }
        if let Some(m) = cluster.message_faults(n) {
            m.clear();
            m.forget_stale();
        }
        for o in others(cluster, n) {
            cluster.set_link_loss(n, o, 0.0);
            cluster.set_link_latency_max(n, o, max);
        }
        cluster.revive(n);
    }
}
