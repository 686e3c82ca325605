//! Message faults for the packet nemesis: a per-node switch, plugged into
//! the node's outbound-message seam ([`OutboundFaults`]), that makes the
//! driver send some outbound Raft messages twice (duplication) or hold some
//! back for a while so later ones overtake them (reordering; held for
//! seconds, late delivery: the message lands after newer terms). TCP itself
//! never duplicates or reorders, but a Raft node must tolerate both from
//! retries, reconnects and stale connections, so the nemesis injects them
//! at the message level.
//!
//! The switch is created with the node's other handles (outside a turmoil
//! host factory) and draws from its own RNG, seeded from the run's seed and
//! the node's id: the same run seed gives the same faults, another gives
//! others.

use crate::stale::StaleStash;
use crate::trigger::NodeState;
use faultline_raft::node::{Fate, OutboundFaults};
use faultline_raft::{Message, MessageBody};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

#[derive(Debug)]
struct State {
    duplicate: f64,
    reorder: f64,
    /// Only answers (vote and append responses) are duplicated or held;
    /// other messages pass as they are, without a draw.
    replies_only: bool,
    holds: RangeInclusive<Duration>,
    rng: ChaCha8Rng,
    duplicated: u64,
    held: u64,
    /// Copies kept for `packet-stale-replay`.
    stale: StaleStash,
}

/// A shared, cloneable switch for one node's message faults.
#[derive(Debug, Clone)]
pub struct MessageFaults {
    state: Arc<Mutex<State>>,
}

impl MessageFaults {
    /// No faults; randomness from `seed` (derive it from the run's seed).
    pub fn new(seed: u64) -> Self {
        MessageFaults {
            state: Arc::new(Mutex::new(State {
                duplicate: 0.0,
                reorder: 0.0,
                replies_only: false,
                holds: Duration::ZERO..=Duration::ZERO,
                rng: ChaCha8Rng::seed_from_u64(seed),
                duplicated: 0,
                held: 0,
                stale: StaleStash::default(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Duplicates each message with probability `duplicate`, and holds each
    /// back with probability `reorder` for a time drawn from `holds` (a
    /// zero-length hold is no hold). Zeros switch the faults off.
    pub fn set(&self, duplicate: f64, reorder: f64, holds: RangeInclusive<Duration>) {
        let mut s = self.lock();
        s.duplicate = duplicate.clamp(0.0, 1.0);
        s.reorder = reorder.clamp(0.0, 1.0);
        s.replies_only = false;
        s.holds = holds;
    }

    /// Holds back each answer (a vote or append response) with
    /// probability `late` for a time drawn from `holds`, and nothing else:
    /// a candidate counts its votes, and a leader its acknowledgements,
    /// long after they were given.
    pub fn set_late_replies(&self, late: f64, holds: RangeInclusive<Duration>) {
        self.set(0.0, late, holds);
        self.lock().replies_only = true;
    }

    /// Starts keeping copies of this node's granted votes and AppendEntries
    /// for a stale replay (see [`crate::stale`]), until the final heal.
    pub fn keep_stale(&self) {
        self.lock().stale.set_keeping(true);
    }

    /// Starts (or stops) delivering this node's kept copies when their
    /// moments come: `packet-stale-replay` in effect.
    pub fn set_stale_replay(&self, delivering: bool) {
        self.lock().stale.set_delivering(delivering);
    }

    /// Drops every kept copy and stops keeping and delivering (the final
    /// heal).
    pub fn forget_stale(&self) {
        self.lock().stale.forget();
    }

    /// Takes out the kept copies whose moment has come, given every node's
    /// state now (see [`crate::stale`]); hand each to its recipient's
    /// switch with [`MessageFaults::deliver_late`].
    pub fn take_due(&self, view: &[NodeState]) -> Vec<Message> {
        self.lock().stale.take_due(view)
    }

    /// Queues an old copy addressed to this node: its driver takes it as
    /// input before its next one.
    pub fn deliver_late(&self, message: Message) {
        self.lock().stale.arrive(message);
    }

    /// Old copies this node received from `packet-stale-replay` so far.
    pub fn replayed(&self) -> u64 {
        self.lock().stale.replayed()
    }

    /// Switches the duplication and hold faults off (a stale replay has
    /// its own switch, [`MessageFaults::set_stale_replay`]).
    pub fn clear(&self) {
        self.set(0.0, 0.0, Duration::ZERO..=Duration::ZERO);
    }

    /// (messages duplicated, messages held back) so far.
    pub fn injected(&self) -> (u64, u64) {
        let s = self.lock();
        (s.duplicated, s.held)
    }
}

impl OutboundFaults for MessageFaults {
    fn decide(&self, message: &Message) -> Fate {
        let mut s = self.lock();
        s.stale.keep(message);
        if s.duplicate <= 0.0 && s.reorder <= 0.0 {
            return Fate::AS_IS;
        }
        if s.replies_only && !is_reply(&message.body) {
            return Fate::AS_IS;
        }
        let (dup, reorder) = (s.duplicate, s.reorder);
        let copies = if dup > 0.0 && s.rng.gen_bool(dup) {
            s.duplicated += 1;
            2
        } else {
            1
        };
        let ns = |d: &Duration| d.as_nanos().min(u128::from(u64::MAX)) as u64;
        let max_ns = ns(s.holds.end());
        let min_ns = ns(s.holds.start()).clamp(1, max_ns.max(1));
        let hold = if reorder > 0.0 && max_ns > 0 && s.rng.gen_bool(reorder) {
            s.held += 1;
            Some(Duration::from_nanos(s.rng.gen_range(min_ns..=max_ns)))
        } else {
            None
        };
        Fate { copies, hold }
    }

    fn delivered_late(&self) -> Vec<Message> {
        self.lock().stale.deliver()
    }
}

/// Whether a message answers another (the kinds a late-replies fault holds).
fn is_reply(body: &MessageBody) -> bool {
    matches!(
        body,
        MessageBody::RequestVoteResponse { .. }
            | MessageBody::AppendEntriesResponse { .. }
            | MessageBody::InstallSnapshotResponse { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heartbeat() -> Message {
        Message {
            from: 1,
            to: 2,
            term: 1,
            body: MessageBody::AppendEntries {
                prev_log_index: 0,
                prev_log_term: 0,
                entries: Vec::new(),
                leader_commit: 0,
                read_round: 0,
            },
        }
    }

    fn vote() -> Message {
        Message {
            from: 2,
            to: 1,
            term: 1,
            body: MessageBody::RequestVoteResponse {
                pre_vote: false,
                granted: true,
            },
        }
    }

    #[test]
    fn late_replies_hold_answers_only() {
        let f = MessageFaults::new(5);
        let hold = Duration::from_millis(1_000)..=Duration::from_millis(3_000);
        f.set_late_replies(1.0, hold.clone());
        assert_eq!(f.decide(&heartbeat()), Fate::AS_IS);
        let late = f.decide(&vote()).hold.expect("the vote is held");
        assert!(hold.contains(&late));
        assert_eq!(f.injected(), (0, 1));
        // A plain reorder fault afterwards holds every kind again.
        f.set(0.0, 1.0, hold);
        assert!(f.decide(&heartbeat()).hold.is_some());
    }

    #[test]
    fn off_by_default_and_seeded_when_on() {
        let f = MessageFaults::new(7);
        assert_eq!(f.decide(&heartbeat()), Fate::AS_IS);
        let up_to_30 = Duration::from_nanos(1)..=Duration::from_millis(30);
        f.set(0.5, 0.5, up_to_30.clone());
        let a: Vec<Fate> = (0..50).map(|_| f.decide(&heartbeat())).collect();
        let g = MessageFaults::new(7);
        g.set(0.5, 0.5, up_to_30);
        let b: Vec<Fate> = (0..50).map(|_| g.decide(&heartbeat())).collect();
        assert_eq!(a, b);
        assert!(a.iter().any(|x| x.copies == 2));
        assert!(a.iter().any(|x| x.hold.is_some()));
        assert!(a
            .iter()
            .all(|x| x.hold.is_none_or(|d| d <= Duration::from_millis(30))));
        f.clear();
        assert_eq!(f.decide(&heartbeat()), Fate::AS_IS);
    }

    #[test]
    fn late_delivery_holds_within_its_range() {
        let f = MessageFaults::new(3);
        let (lo, hi) = (Duration::from_millis(500), Duration::from_millis(6_000));
        f.set(0.0, 1.0, lo..=hi);
        let holds: Vec<Duration> = (0..200)
            .filter_map(|_| f.decide(&heartbeat()).hold)
            .collect();
        assert_eq!(holds.len(), 200);
        assert!(holds.iter().all(|&d| lo <= d && d <= hi));
        assert!(holds.iter().any(|&d| d > Duration::from_secs(3)));
        assert_eq!(f.injected(), (0, 200));
    }
}
