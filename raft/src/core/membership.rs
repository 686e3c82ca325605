//! Configuration changes (Raft §6, thesis §4): the leader's side of
//! [`Input::ChangeMembership`](crate::Input::ChangeMembership), the
//! automatic exit from a joint configuration, and the removed leader's
//! step-down.
//!
//! The rules, each in one place here:
//!
//! * a configuration is in force on a node as soon as its entry is in the
//!   node's log, committed or not, and a truncated entry rolls it back
//!   ([`Raft::refresh_membership`]);
//! * a leader starts a change only once an entry of its own term has
//!   committed, and only while no other change is in flight (thesis §4.1);
//! * a change of at most one voter is appended directly; any other change
//!   of the voters goes through C_old,new (Raft §6), which the leader leaves
//!   by appending C_new as soon as C_old,new commits;
//! * a learner is promoted only once caught up
//!   ([`crate::Config::catch_up_entries_max`], thesis §4.2.1);
//! * a leader that is not a voter of the committed configuration steps
//!   down (thesis §4.2.2); until then it replicates without counting itself
//!   (the quorum arithmetic counts only voters).

use crate::bugs::Bug;
use crate::core::api::{MembershipChange, MembershipChangeOutcome, MembershipChangeResult};
use crate::core::quorum::{JointRule, Quorum};
use crate::core::raft::Raft;
use crate::types::{Entry, EntryPayload, Membership, NodeId};
use std::collections::BTreeSet;

impl Raft {
    /// The quorums of the configuration in force.
    pub(super) fn quorum(&self) -> Quorum<'_> {
        Quorum::new(&self.membership, self.joint_rule())
    }

    /// How the halves of a joint configuration combine on this node.
    pub(super) fn joint_rule(&self) -> JointRule {
        if self.bug(Bug::JointQuorumLargerMajority) {
            JointRule::LargerMajority
        } else {
            JointRule::BothMajorities
        }
    }

    /// Answers one [`crate::Input::ChangeMembership`].
    pub(super) fn change_membership(&mut self, id: u64, change: MembershipChange) {
        let outcome = self.try_change(&change);
        match &outcome {
            MembershipChangeOutcome::Accepted { index, term } => {
                self.counters.membership_changes_accepted += 1;
                tracing::info!(
                    index,
                    term,
                    ?change,
                    membership = %self.membership,
                    "membership change accepted"
                );
            }
            refused => {
                self.counters.membership_changes_refused += 1;
                tracing::debug!(?change, ?refused, "membership change refused");
            }
        }
        self.output
            .membership_changes
            .push(MembershipChangeResult { id, outcome });
    }

    /// Checks the leader may start `change` now and appends it if so.
    fn try_change(&mut self, change: &MembershipChange) -> MembershipChangeOutcome {
        if !self.role.is_leader() {
            return MembershipChangeOutcome::NotLeader {
                leader_hint: self.leader,
            };
        }
        let term_committed = self.log.term(self.commit) == Some(self.term);
        if !term_committed && !self.bug(Bug::ChangeBeforeTermCommit) {
            return MembershipChangeOutcome::ChangeInProgress;
        }
        let in_flight = self.latest_config_index > self.commit;
        if self.membership.is_joint() || (in_flight && !self.bug(Bug::TwoChangesInFlight)) {
            return MembershipChangeOutcome::ChangeInProgress;
        }
        match self.changed_membership(change) {
            Ok(target) => self.append_membership(target),
            Err(refused) => refused,
        }
    }

    /// The configuration `change` leads to from the one in force, or why
    /// it is refused.
    fn changed_membership(
        &self,
        change: &MembershipChange,
    ) -> Result<Membership, MembershipChangeOutcome> {
        let current = &self.membership;
        let mut next = current.clone();
        match *change {
            MembershipChange::AddVoter(id) if current.learners.contains(&id) => {
                return self.changed_membership(&MembershipChange::Promote(id));
            }
            MembershipChange::AddVoter(id) => {
                next.voters.insert(id);
            }
            MembershipChange::AddLearner(id) => {
                if current.contains(id) {
                    return Err(MembershipChangeOutcome::Unchanged);
                }
                next.learners.insert(id);
            }
            MembershipChange::Promote(id) => {
                if current.voters.contains(&id) {
                    return Err(MembershipChangeOutcome::Unchanged);
                }
                if !current.learners.contains(&id) {
                    return Err(MembershipChangeOutcome::UnknownNode(id));
                }
                if !self.caught_up(id) {
                    return Err(MembershipChangeOutcome::NotCaughtUp(id));
                }
                next.learners.remove(&id);
                next.voters.insert(id);
            }
            MembershipChange::Remove(id) => {
                if !current.contains(id) {
                    return Err(MembershipChangeOutcome::UnknownNode(id));
                }
                next.voters.remove(&id);
                next.learners.remove(&id);
            }
            MembershipChange::Target(ref target) => {
                next.voters = target.voters.clone();
                next.learners = target
                    .learners
                    .difference(&target.voters)
                    .copied()
                    .collect();
                let promoted = next
                    .voters
                    .iter()
                    .copied()
                    .filter(|v| current.learners.contains(v));
                if let Some(behind) = promoted.into_iter().find(|&v| !self.caught_up(v)) {
                    return Err(MembershipChangeOutcome::NotCaughtUp(behind));
                }
                let differing = current.voters.symmetric_difference(&next.voters).count();
                if differing > 1 {
                    next.outgoing = current.voters.clone();
                }
            }
        }
        if next.voters.is_empty() {
            return Err(MembershipChangeOutcome::NoVotersLeft);
        }
        if &next == current {
            return Err(MembershipChangeOutcome::Unchanged);
        }
        Ok(next)
    }

    /// Whether learner `id` is within the catch-up bound of our log.
    fn caught_up(&self, id: NodeId) -> bool {
        let Some(progress) = self.role.leader().and_then(|l| l.progress(id)) else {
            return false;
        };
        progress
            .match_index
            .saturating_add(self.config.catch_up_entries_max)
            >= self.log.last_index()
    }

    /// Appends `membership` as a new configuration entry; it is in force at
    /// once.
    fn append_membership(&mut self, membership: Membership) -> MembershipChangeOutcome {
        let entry = Entry {
            term: self.term,
            index: self.log.last_index().saturating_add(1),
            payload: EntryPayload::Membership(membership),
        };
        let index = entry.index;
        self.log.push(entry.clone());
        self.output.queue_entries(vec![entry]);
        self.refresh_membership();
        self.maybe_commit();
        self.broadcast_append();
        MembershipChangeOutcome::Accepted {
            index,
            term: self.term,
        }
    }

    /// After a step on a leader that has committed in its term: leaves a
    /// committed joint configuration (appending C_new), and steps down once
    /// a committed configuration no longer counts it as a voter.
    pub(super) fn advance_membership(&mut self) {
        let term_committed = self.log.term(self.commit) == Some(self.term);
        if !self.role.is_leader() || !term_committed || self.latest_config_index > self.commit {
            return;
        }
        if self.membership.is_joint() {
            let mut next = self.membership.clone();
            next.outgoing = BTreeSet::new();
            tracing::info!(
                index = self.latest_config_index,
                "joint configuration committed: leaving it"
            );
            self.append_membership(next);
        } else if !self.membership.voters.contains(&self.id) {
            tracing::info!(
                term = self.term,
                membership = %self.membership,
                "removed from the committed configuration: stepping down"
            );
            self.counters.removed_step_downs += 1;
            // Tell the followers the commit index before leaving them.
            self.broadcast_heartbeat();
            let term = self.term;
            self.become_follower(term, None);
        }
    }
}
