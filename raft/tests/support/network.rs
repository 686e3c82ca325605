//! A simulated, lossy network between the cores: bounded per-link queues,
//! random delay (in ticks), drop, duplication, reordering and partitions.
//!
//! Every decision draws from the simulation's single seeded RNG, and links
//! are kept in a `BTreeMap`, so a seed fixes the whole delivery order.

use faultline_raft::{Message, NodeId};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How hostile the network is. Probabilities are per mille.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetFaults {
    /// Chance a sent message is lost.
    pub drop_per_mille: u32,
    /// Chance a sent message is delivered twice.
    pub duplicate_per_mille: u32,
    /// Chance a delivery takes a random ready message of the link instead of the oldest.
    pub reorder_per_mille: u32,
    /// Each message waits a uniform `0..=delay_ticks_max` ticks before it can arrive.
    pub delay_ticks_max: u64,
}

impl NetFaults {
    /// A quiet network: no loss, no duplication, no reordering, at most one tick of delay.
    pub fn quiet() -> Self {
        NetFaults {
            drop_per_mille: 0,
            duplicate_per_mille: 0,
            reorder_per_mille: 0,
            delay_ticks_max: 1,
        }
    }
}

/// One message on the wire.
#[derive(Debug, Clone)]
struct Envelope {
    message: Message,
    ready_at_tick: u64,
}

/// Counters of what the network did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Messages handed to the network.
    pub sent: u64,
    /// Messages delivered to a live node.
    pub delivered: u64,
    /// Messages lost to random drop.
    pub dropped_random: u64,
    /// Messages lost to a partition (at send or at delivery).
    pub dropped_partition: u64,
    /// Messages lost because the link's queue was full.
    pub dropped_overflow: u64,
    /// Messages lost because the recipient was down when they arrived.
    pub dropped_down: u64,
    /// Extra copies created.
    pub duplicated: u64,
}

/// The simulated network.
#[derive(Debug)]
pub struct SimNetwork {
    links: BTreeMap<(NodeId, NodeId), VecDeque<Envelope>>,
    blocked: BTreeSet<(NodeId, NodeId)>,
    faults: NetFaults,
    queue_capacity: usize,
    /// What happened so far.
    pub stats: NetStats,
}

impl SimNetwork {
    /// A network whose links each hold at most `queue_capacity` messages.
    pub fn new(faults: NetFaults, queue_capacity: usize) -> Self {
        SimNetwork {
            links: BTreeMap::new(),
            blocked: BTreeSet::new(),
            faults,
            queue_capacity,
            stats: NetStats::default(),
        }
    }

    /// Changes the fault profile for messages sent from now on.
    pub fn set_faults(&mut self, faults: NetFaults) {
        self.faults = faults;
    }

    /// Cuts the directed link `from -> to` until [`SimNetwork::heal`].
    pub fn block(&mut self, from: NodeId, to: NodeId) {
        self.blocked.insert((from, to));
    }

    /// Whether any link is cut.
    pub fn is_partitioned(&self) -> bool {
        !self.blocked.is_empty()
    }

    /// Restores every link.
    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    /// Puts a message on the wire (or loses it).
    pub fn send(&mut self, message: Message, now_tick: u64, rng: &mut ChaCha8Rng) {
        self.stats.sent += 1;
        let link = (message.from, message.to);
        if self.blocked.contains(&link) {
            self.stats.dropped_partition += 1;
            return;
        }
        if rng.gen_range(0..1000) < self.faults.drop_per_mille {
            self.stats.dropped_random += 1;
            return;
        }
        let copies = if rng.gen_range(0..1000) < self.faults.duplicate_per_mille {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let queue = self.links.entry(link).or_default();
            if queue.len() >= self.queue_capacity {
                self.stats.dropped_overflow += 1;
                continue;
            }
            let delay = rng.gen_range(0..=self.faults.delay_ticks_max);
            let envelope = Envelope {
                message: message.clone(),
                ready_at_tick: now_tick + delay,
            };
            queue.push_back(envelope);
        }
    }

    /// Whether any message may arrive at `now_tick`.
    pub fn has_ready(&self, now_tick: u64) -> bool {
        self.links
            .values()
            .any(|q| q.iter().any(|e| e.ready_at_tick <= now_tick))
    }

    /// Takes one message that may arrive now: a random link, then its
    /// oldest ready message, or with the reorder chance a random ready one.
    /// Messages over a cut link are dropped here (returned as `None` after
    /// counting). Returns `None` when nothing is ready.
    pub fn take_ready(&mut self, now_tick: u64, rng: &mut ChaCha8Rng) -> Option<Message> {
        let ready_links: Vec<(NodeId, NodeId)> = self
            .links
            .iter()
            .filter(|(_, q)| q.iter().any(|e| e.ready_at_tick <= now_tick))
            .map(|(link, _)| *link)
            .collect();
        if ready_links.is_empty() {
            return None;
        }
        let link = ready_links[rng.gen_range(0..ready_links.len())];
        let queue = self.links.get_mut(&link)?;
        let ready: Vec<usize> = queue
            .iter()
            .enumerate()
            .filter(|(_, e)| e.ready_at_tick <= now_tick)
            .map(|(i, _)| i)
            .collect();
        let position = if rng.gen_range(0..1000) < self.faults.reorder_per_mille {
            ready[rng.gen_range(0..ready.len())]
        } else {
            ready[0]
        };
        let envelope = queue.remove(position)?;
        if self.blocked.contains(&link) {
            self.stats.dropped_partition += 1;
            return None;
        }
        Some(envelope.message)
    }

    /// Counts a message that arrived at a down node.
    pub fn count_down_drop(&mut self) {
        self.stats.dropped_down += 1;
    }

    /// Counts a delivered message.
    pub fn count_delivered(&mut self) {
        self.stats.delivered += 1;
    }
}
