//! The fault-phase actions of the simulation: deliveries, ticks, client
//! proposals and reads, leadership transfers, crashes, foreign messages and
//! partitions. Each draws its details from the run's one seeded RNG.

use super::driver::describe;
use super::garbage::garbage_message;
use super::node::{ArmedCrash, CrashPoint, CrashTrigger, SimNode};
use super::sim::Simulation;
use faultline_raft::invariants::Violation;
use faultline_raft::{Input, Membership, MembershipChange, NodeId, ProposalOutcome};
use rand::Rng;

impl Simulation {
    pub(super) fn deliver(&mut self) -> Result<(), Violation> {
        let Some(message) = self.net.take_ready(self.now_tick, &mut self.rng) else {
            return Ok(());
        };
        let to = message.to;
        if !self.nodes.get(&to).is_some_and(SimNode::is_up) {
            self.net.count_down_drop();
            return Ok(());
        }
        self.net.count_delivered();
        if self.trace.enabled() {
            self.trace
                .record(format!("t{} deliver {}", self.now_tick, describe(&message)));
        }
        self.step(to, Input::Message(message))
    }

    pub(super) fn tick(&mut self) -> Result<(), Violation> {
        self.now_tick += 1;
        if self.trace.enabled() {
            self.trace.record(format!("t{} tick", self.now_tick));
        }
        if self
            .partition_until_tick
            .is_some_and(|until| until <= self.now_tick)
        {
            self.heal();
        }
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        for id in ids {
            let node = &self.nodes[&id];
            if !node.is_up() && node.restart_at_tick <= self.now_tick {
                self.restart(id)?;
            }
        }
        for id in self.live_nodes() {
            self.step(id, Input::Tick)?;
        }
        Ok(())
    }

    /// A client sends a small batch of proposals, to the leader it last
    /// heard of (usually) or to a random node, and follows one redirect.
    pub(super) fn propose(&mut self) -> Result<(), Violation> {
        let batch = self.rng.gen_range(1..=self.profile.proposal_batch_max);
        for _ in 0..batch {
            let hinted = self
                .client
                .leader_hint
                .filter(|id| self.nodes.get(id).is_some_and(SimNode::is_up));
            let target = match hinted {
                Some(id) if self.rng.gen_range(0..1000) < 800 => Some(id),
                _ => self.random_live_node(),
            };
            let Some(mut node) = target else {
                return Ok(());
            };
            for _attempt in 0..2 {
                let id = self.client.next_id();
                let (low, high) = self.profile.payload_bytes;
                let len = self.rng.gen_range(low..=high);
                let mut data = format!("p{id}:").into_bytes();
                data.extend((0..len).map(|_| self.rng.gen::<u8>()));
                self.client.proposed(id, node, data.clone());
                if self.trace.enabled() {
                    self.trace
                        .record(format!("t{} n{node} Propose {id}", self.now_tick));
                }
                self.step(node, Input::Propose { id, data })?;
                match self.client.last_outcome(id) {
                    Some(ProposalOutcome::Appended { .. }) => {
                        self.client.leader_hint = Some(node);
                        break;
                    }
                    Some(ProposalOutcome::NotLeader {
                        leader_hint: Some(hint),
                    }) if *hint != node && self.nodes.get(hint).is_some_and(SimNode::is_up) => {
                        let hint = *hint;
                        self.client.leader_hint = Some(hint);
                        node = hint;
                    }
                    _ => break,
                }
            }
        }
        Ok(())
    }

    pub(super) fn read(&mut self) -> Result<(), Violation> {
        let Some(id) = self.random_live_node() else {
            return Ok(());
        };
        let read = self.client.next_id();
        self.invariants.reads.issued(read, id);
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{id} Read {read} (acked up to {})",
                self.now_tick,
                self.invariants.reads.acked_max()
            ));
        }
        self.step(id, Input::Read { id: read })
    }

    pub(super) fn transfer(&mut self) -> Result<(), Violation> {
        let Some((leader, _)) = self.current_leader() else {
            return Ok(());
        };
        let others: Vec<NodeId> = self.nodes[&leader]
            .raft
            .as_ref()
            .map(|r| {
                r.membership()
                    .all_voters()
                    .filter(|&n| n != leader)
                    .collect()
            })
            .unwrap_or_default();
        if others.is_empty() {
            return Ok(());
        }
        let to = others[self.rng.gen_range(0..others.len())];
        self.stats.transfers += 1;
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{leader} TransferLeadership to {to}",
                self.now_tick
            ));
        }
        self.step(leader, Input::TransferLeadership { to })
    }

    pub(super) fn crash_random(&mut self) -> Result<(), Violation> {
        let live = self.live_nodes();
        if live.len() <= 1 {
            return Ok(());
        }
        let id = live[self.rng.gen_range(0..live.len())];
        let point = match self.rng.gen_range(0..3) {
            0 => CrashPoint::BeforeSync,
            1 => CrashPoint::AfterSync,
            _ => CrashPoint::AfterSend,
        };
        let trigger = match self.rng.gen_range(0..6) {
            0 => return self.crash(id, "between steps"),
            1 | 2 => CrashTrigger::NextOutput,
            3 => CrashTrigger::VoteGranted,
            _ => CrashTrigger::AppendAcked,
        };
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{id} crash armed ({:?}, {})",
                self.now_tick,
                trigger,
                point.as_str()
            ));
        }
        self.nodes.get_mut(&id).expect("node exists").armed = Some(ArmedCrash { trigger, point });
        Ok(())
    }

    /// Feeds a live node a message it must refuse without effect: from a
    /// node outside the cluster, or addressed to another node. Its body is
    /// random, so this also checks that no field value makes a core panic.
    pub(super) fn garbage(&mut self) -> Result<(), Violation> {
        let Some(id) = self.random_live_node() else {
            return Ok(());
        };
        let mut message = garbage_message(&mut self.rng);
        if self.rng.gen_bool(0.5) {
            message.from = self.rng.gen_range(100..200);
            message.to = id;
        } else {
            message.from = self.profile.nodes[self.rng.gen_range(0..self.profile.nodes.len())];
            message.to = self.rng.gen_range(100..200);
        }
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{id} garbage {}",
                self.now_tick,
                describe(&message)
            ));
        }
        let raft = self.nodes.get_mut(&id).and_then(|n| n.raft.as_mut());
        let Some(raft) = raft else {
            return Ok(());
        };
        let before = (
            raft.term(),
            raft.commit_index(),
            raft.last_index(),
            raft.role(),
        );
        let result = raft.step(Input::Message(message.clone()));
        let after = (
            raft.term(),
            raft.commit_index(),
            raft.last_index(),
            raft.role(),
        );
        let output = raft.take_output();
        if result.is_ok() || before != after || !output.messages.is_empty() {
            return Err(Violation::new(
                "bad input rejected",
                format!(
                    "node {id} accepted or acted on {} (result {result:?}, state {before:?} -> \
                     {after:?}, {} messages out)",
                    describe(&message),
                    output.messages.len()
                ),
            ));
        }
        self.stats.garbage_rejected += 1;
        // Whatever else the output holds (nothing is expected) is carried out.
        self.execute_output(id, output)
    }

    pub(super) fn partition(&mut self) {
        if self.net.is_partitioned() {
            return;
        }
        let nodes: Vec<NodeId> = self.nodes.keys().copied().collect();
        let side_size = self.rng.gen_range(1..nodes.len());
        let mut side = nodes.clone();
        // A random subset of `side_size` nodes (partial Fisher-Yates).
        for i in 0..side_size {
            let j = self.rng.gen_range(i..side.len());
            side.swap(i, j);
        }
        side.truncate(side_size);
        let one_way = self.rng.gen_bool(0.25);
        for &a in &side {
            for &b in nodes.iter().filter(|n| !side.contains(n)) {
                self.net.block(a, b);
                if !one_way {
                    self.net.block(b, a);
                }
            }
        }
        let (low, high) = self.profile.partition_ticks;
        let until = self.now_tick + self.rng.gen_range(low..=high);
        self.partition_until_tick = Some(until);
        self.stats.partitions += 1;
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} PARTITION {side:?} {} the rest until t{until}",
                self.now_tick,
                if one_way { "cannot reach" } else { "cut from" }
            ));
        }
    }

    pub(super) fn heal(&mut self) {
        self.net.heal();
        self.partition_until_tick = None;
        if self.trace.enabled() {
            self.trace.record(format!("t{} HEAL", self.now_tick));
        }
    }

    /// Asks the leader for a random configuration change: add a learner,
    /// promote one, add or remove a voter (the leader itself included), or
    /// move to a random whole configuration (through C_old,new when more
    /// than one voter changes).
    pub(super) fn change_membership(&mut self) -> Result<(), Violation> {
        let Some((leader, _)) = self.current_leader() else {
            return Ok(());
        };
        let Some(current) = self.nodes[&leader]
            .raft
            .as_ref()
            .map(|r| r.membership().clone())
        else {
            return Ok(());
        };
        let universe: Vec<NodeId> = self.nodes.keys().copied().collect();
        let outsiders: Vec<NodeId> = universe
            .iter()
            .copied()
            .filter(|&n| !current.contains(n))
            .collect();
        let non_voters: Vec<NodeId> = universe
            .iter()
            .copied()
            .filter(|&n| !current.is_voter(n))
            .collect();
        let members: Vec<NodeId> = current.members().collect();
        let learners: Vec<NodeId> = current.learners.iter().copied().collect();
        let change = match self.rng.gen_range(0..6) {
            0 if !outsiders.is_empty() => MembershipChange::AddLearner(self.pick(&outsiders)),
            1 if !learners.is_empty() => MembershipChange::Promote(self.pick(&learners)),
            2 if !non_voters.is_empty() => MembershipChange::AddVoter(self.pick(&non_voters)),
            3 => MembershipChange::Remove(self.pick(&members)),
            4 => MembershipChange::Remove(leader),
            _ => MembershipChange::Target(self.random_membership(&universe)),
        };
        self.stats.membership_changes += 1;
        let id = self.client.next_id();
        if self.trace.enabled() {
            self.trace.record(format!(
                "t{} n{leader} ChangeMembership {id} {change:?} (from {current})",
                self.now_tick
            ));
        }
        self.step(leader, Input::ChangeMembership { id, change })
    }

    /// One of `ids` (not empty), drawn from the run's RNG.
    fn pick(&mut self, ids: &[NodeId]) -> NodeId {
        ids[self.rng.gen_range(0..ids.len())]
    }

    /// A random configuration of 1 to 5 voters and up to one learner.
    fn random_membership(&mut self, universe: &[NodeId]) -> Membership {
        let mut ids = universe.to_vec();
        for i in 0..ids.len() {
            let j = self.rng.gen_range(i..ids.len());
            ids.swap(i, j);
        }
        let voters = self.rng.gen_range(1..=ids.len().min(5));
        let learners = self.rng.gen_range(0..=1).min(ids.len() - voters);
        let mut target = Membership::new(ids[..voters].iter().copied());
        target.learners = ids[voters..voters + learners].iter().copied().collect();
        target
    }
}
