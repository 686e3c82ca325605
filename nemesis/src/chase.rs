//! The leader chase (`partition-chase-leader`): a partition that isolates
//! the leader and, each time another node is elected, moves to isolate that
//! one instead, healing the node it held before, until the fault stops.
//!
//! The network never settles while it runs: every new leader is cut off
//! after a short, seeded delay (up to [`CHASE_DELAY_MS_MAX`], so it may or
//! may not have replicated its first entries), and the leader before it
//! rejoins with whatever uncommitted tail it took from its clients. That is
//! how Raft's hardest states arise without a hand-written script: logs that
//! diverge across several terms, deposed leaders rejoining a cluster whose
//! leader just vanished, split votes among nodes whose timers all started
//! together, and new leaders that must finish an earlier term's entries.
//!
//! A [`Chase`] decides *when* and *whom* to move; the executor applies the
//! move through its [`crate::target::FaultTarget`] and records it in the
//! history as a `stop-partition` of the old cut and a `start-partition` of
//! the new one at the same instant.

use crate::grudge::Grudge;
use crate::trigger::NodeState;
use faultline_raft::NodeId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// The longest a chase waits between seeing a new leader and isolating it.
pub const CHASE_DELAY_MS_MAX: u64 = 500;

/// One `partition-chase-leader` in effect (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chase {
    /// The fault's id in the schedule.
    pub id: u64,
    /// The node it isolates now.
    pub isolated: NodeId,
    seed: u64,
    moves: u64,
    /// A leader seen elsewhere, and when the chase moves to it.
    pending: Option<(NodeId, Duration)>,
}

impl Chase {
    /// A chase for fault `id` that isolates `isolated` now; its delays are
    /// drawn from `seed`.
    pub fn new(id: u64, seed: u64, isolated: NodeId) -> Self {
        Chase {
            id,
            isolated,
            seed,
            moves: 0,
            pending: None,
        }
    }

    /// The node to isolate now, if a move is due: the leader of the highest
    /// term among the running nodes other than the isolated one, once it has
    /// led for its drawn delay. A leader that stops leading before then
    /// (or is replaced) resets the wait.
    pub fn poll(&mut self, view: &[NodeState], now: Duration) -> Option<NodeId> {
        let leader = view
            .iter()
            .filter(|n| n.running && n.leads && n.id != self.isolated)
            .max_by_key(|n| (n.term, n.id))
            .map(|n| n.id);
        let Some(leader) = leader else {
            self.pending = None;
            return None;
        };
        let due = match self.pending {
            Some((node, due)) if node == leader => due,
            _ => {
                let due = now + self.delay();
                self.pending = Some((leader, due));
                due
            }
        };
        if now < due {
            return None;
        }
        self.pending = None;
        self.isolated = leader;
        self.moves += 1;
        Some(leader)
    }

    /// How many times the chase has moved.
    pub fn moves(&self) -> u64 {
        self.moves
    }

    /// The wait before the next move, drawn from the fault's seed and the
    /// number of moves so far.
    fn delay(&self) -> Duration {
        let stream = self.seed ^ self.moves.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = ChaCha8Rng::seed_from_u64(stream);
        Duration::from_millis(rng.gen_range(0..=CHASE_DELAY_MS_MAX))
    }
}

/// The node a grudge cuts off from every other node, if there is one.
pub fn isolated_node(grudge: &Grudge) -> Option<NodeId> {
    let nodes: Vec<NodeId> = grudge.drops.keys().copied().collect();
    nodes.iter().copied().find(|&n| {
        nodes
            .iter()
            .filter(|&&o| o != n)
            .all(|&o| !grudge.can_hear(n, o) && !grudge.can_hear(o, n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leader(id: NodeId, term: u64) -> NodeState {
        NodeState {
            id,
            running: true,
            leads: true,
            term,
            ..NodeState::default()
        }
    }

    fn follower(id: NodeId, term: u64) -> NodeState {
        NodeState {
            leads: false,
            ..leader(id, term)
        }
    }

    #[test]
    fn a_new_leader_is_chased_after_its_drawn_delay_and_the_chase_follows_on() {
        let mut chase = Chase::new(7, 42, 1);
        let t = Duration::from_millis;
        // The isolated node still believing it leads is not chased.
        let view = [leader(1, 2), follower(2, 2), follower(3, 2)];
        assert_eq!(chase.poll(&view, t(0)), None);
        let view = [leader(1, 2), leader(2, 3), follower(3, 3)];
        let delay = chase.delay();
        assert!(delay <= t(CHASE_DELAY_MS_MAX));
        let mut moved = None;
        let mut at = t(10);
        while moved.is_none() {
            moved = chase.poll(&view, at);
            at += t(1);
        }
        assert_eq!(moved, Some(2));
        assert!(
            at - t(11) >= delay,
            "moved after {:?}, delay {delay:?}",
            at - t(11)
        );
        assert_eq!((chase.isolated, chase.moves()), (2, 1));
        // The next leader is chased in turn; the old one is free again.
        let view = [leader(1, 4), leader(2, 3), follower(3, 4)];
        let mut moved = None;
        while moved.is_none() {
            moved = chase.poll(&view, at);
            at += t(1);
        }
        assert_eq!(moved, Some(1));
    }

    #[test]
    fn a_leader_that_steps_down_before_its_delay_is_not_chased() {
        let mut chase = Chase::new(0, 3, 1);
        let t = Duration::from_millis;
        while chase.delay().is_zero() {
            chase.seed += 1;
        }
        assert_eq!(chase.poll(&[leader(2, 2)], t(0)), None);
        assert_eq!(chase.poll(&[follower(2, 3)], t(1)), None);
        assert_eq!(chase.pending, None);
        // Crashed leaders are not chased either.
        let crashed = NodeState {
            running: false,
            ..leader(3, 5)
        };
        assert_eq!(chase.poll(&[crashed], t(10_000)), None);
    }

    #[test]
    fn the_isolated_node_of_a_grudge_is_found() {
        let nodes = [1, 2, 3, 4, 5];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let grudge = crate::grudge::isolate(&nodes, Some(4), &mut rng);
        assert_eq!(isolated_node(&grudge), Some(4));
        assert_eq!(isolated_node(&Grudge::none(&nodes)), None);
        let halves = crate::grudge::majority_minority(&nodes, &mut rng);
        assert_eq!(isolated_node(&halves), None);
    }
}
