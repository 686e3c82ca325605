//! Network partitions as grudges: for every node, the set of nodes whose
//! messages it cannot hear. A grudge is directional, so one-way partitions
//! are expressed as naturally as symmetric ones. The partition shapes of the
//! catalogue (Jepsen's `one`, `majority`, `majorities-ring`, `minority-third`,
//! `bridge`, plus `one-way`, `isolate-leader`, `leader-in-minority`) compute
//! their grudge here from the node list, a seeded rng and the leader.

use std::collections::{BTreeMap, BTreeSet};

use faultline_raft::NodeId;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// For each node, the nodes it cannot hear from (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Grudge {
    /// `drops[n]` = the senders whose messages node `n` never receives.
    /// Every node of the cluster has an entry, possibly empty.
    pub drops: BTreeMap<NodeId, BTreeSet<NodeId>>,
}

impl Grudge {
    /// No node holds a grudge.
    pub fn none(nodes: &[NodeId]) -> Self {
        Grudge {
            drops: nodes.iter().map(|&n| (n, BTreeSet::new())).collect(),
        }
    }

    /// Nodes in different groups cannot hear each other; nodes in the same
    /// group (and nodes in no group) are unaffected among themselves.
    pub fn complete(nodes: &[NodeId], groups: &[BTreeSet<NodeId>]) -> Self {
        let mut grudge = Grudge::none(nodes);
        for (i, group) in groups.iter().enumerate() {
            for node in group {
                let others = groups
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, g)| g.iter().copied());
                grudge.drops.entry(*node).or_default().extend(others);
            }
        }
        grudge
    }

    /// Whether `to` receives messages sent by `from`.
    pub fn can_hear(&self, to: NodeId, from: NodeId) -> bool {
        self.drops.get(&to).is_none_or(|d| !d.contains(&from))
    }

    /// Every cut link as `(from, to)`: messages from `from` to `to` are
    /// dropped. An executor applies each with a one-way partition.
    pub fn cut_links(&self) -> Vec<(NodeId, NodeId)> {
        self.drops
            .iter()
            .flat_map(|(&to, froms)| froms.iter().map(move |&from| (from, to)))
            .collect()
    }

    /// Whether every cut link is cut in both directions.
    pub fn is_symmetric(&self) -> bool {
        self.cut_links()
            .into_iter()
            .all(|(from, to)| !self.can_hear(from, to))
    }

    /// The nodes `node` can hear, itself included.
    pub fn hears(&self, node: NodeId) -> BTreeSet<NodeId> {
        self.drops
            .keys()
            .copied()
            .filter(|&from| from == node || self.can_hear(node, from))
            .collect()
    }
}

/// The size of a strict majority of `n` nodes.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

/// A shuffled copy of the node list.
fn shuffled(nodes: &[NodeId], rng: &mut ChaCha8Rng) -> Vec<NodeId> {
    let mut order = nodes.to_vec();
    order.shuffle(rng);
    order
}

fn set(nodes: &[NodeId]) -> BTreeSet<NodeId> {
    nodes.iter().copied().collect()
}

/// Splits `order` after its first `first` nodes (clamped) into two sides.
fn split(order: &[NodeId], first: usize) -> [BTreeSet<NodeId>; 2] {
    let first = first.min(order.len());
    [set(&order[..first]), set(&order[first..])]
}

/// `order` with `pinned` moved to the front.
fn pin_first(mut order: Vec<NodeId>, pinned: NodeId) -> Vec<NodeId> {
    if let Some(pos) = order.iter().position(|&n| n == pinned) {
        order.remove(pos);
        order.insert(0, pinned);
    }
    order
}

/// `node` cut off from all others.
pub fn isolate_node(nodes: &[NodeId], node: NodeId) -> Grudge {
    Grudge::complete(nodes, &split(&pin_first(nodes.to_vec(), node), 1))
}

/// One node, at random, cut off from all others.
pub fn one(nodes: &[NodeId], rng: &mut ChaCha8Rng) -> Grudge {
    Grudge::complete(nodes, &split(&shuffled(nodes, rng), 1))
}

/// The given node (the leader, or a random node when it is unknown or not a
/// member) cut off from all others.
pub fn isolate(nodes: &[NodeId], node: Option<NodeId>, rng: &mut ChaCha8Rng) -> Grudge {
    let order = shuffled(nodes, rng);
    let order = match node.filter(|n| nodes.contains(n)) {
        Some(n) => pin_first(order, n),
        None => order,
    };
    Grudge::complete(nodes, &split(&order, 1))
}

/// Random halves: a majority and a minority that cannot hear each other.
pub fn majority_minority(nodes: &[NodeId], rng: &mut ChaCha8Rng) -> Grudge {
    Grudge::complete(nodes, &split(&shuffled(nodes, rng), majority(nodes.len())))
}

/// The size of the `minority-third` side: about a third of the cluster
/// (rounded up), never more than a minority, at least one node.
pub fn minority_third_size(n: usize) -> usize {
    n.div_ceil(3).min(n.saturating_sub(majority(n))).max(1)
}

/// About a third of the nodes cut off from the rest.
pub fn minority_third(nodes: &[NodeId], rng: &mut ChaCha8Rng) -> Grudge {
    let size = minority_third_size(nodes.len());
    Grudge::complete(nodes, &split(&shuffled(nodes, rng), size))
}

/// The leader (or a random node) plus random others forming a minority,
/// cut off from the majority.
pub fn leader_in_minority(
    nodes: &[NodeId],
    leader: Option<NodeId>,
    rng: &mut ChaCha8Rng,
) -> Grudge {
    let order = shuffled(nodes, rng);
    let order = match leader.filter(|n| nodes.contains(n)) {
        Some(n) => pin_first(order, n),
        None => order,
    };
    let minority = nodes.len().saturating_sub(majority(nodes.len())).max(1);
    Grudge::complete(nodes, &split(&order, minority))
}

/// Jepsen's majorities ring: the nodes in a random ring order; each node
/// hears itself and its `majority - 1` nearest ring neighbours, so every node
/// sees a majority but no two nodes see the same majority.
pub fn majorities_ring(nodes: &[NodeId], rng: &mut ChaCha8Rng) -> Grudge {
    let ring = shuffled(nodes, rng);
    let n = ring.len();
    if n == 0 {
        return Grudge::default();
    }
    let neighbours = majority(n) - 1;
    let left = neighbours / 2;
    let right = neighbours - left;
    let mut grudge = Grudge::none(nodes);
    for i in 0..n {
        let visible: BTreeSet<NodeId> = (0..=left + right)
            .map(|k| ring[(i + n - left + k) % n])
            .collect();
        let drops = ring
            .iter()
            .copied()
            .filter(|m| !visible.contains(m))
            .collect();
        grudge.drops.insert(ring[i], drops);
    }
    grudge
}

/// Two sides that cannot hear each other, joined by one bridge node that
/// hears and is heard by everyone.
pub fn bridge(nodes: &[NodeId], rng: &mut ChaCha8Rng) -> Grudge {
    let order = shuffled(nodes, rng);
    if order.len() < 3 {
        return Grudge::none(nodes);
    }
    let side = (order.len() - 1) / 2;
    let a = set(&order[1..=side]);
    let b = set(&order[side + 1..]);
    Grudge::complete(nodes, &[a, b])
}

/// An asymmetric partition: a random minority whose messages nobody else
/// receives, while it still hears everyone.
pub fn one_way(nodes: &[NodeId], rng: &mut ChaCha8Rng) -> Grudge {
    let order = shuffled(nodes, rng);
    let size = nodes
        .len()
        .saturating_sub(majority(nodes.len()))
        .max(1)
        .min(order.len());
    let muted = set(&order[..size]);
    let mut grudge = Grudge::none(nodes);
    for node in &order[size..] {
        grudge.drops.insert(*node, muted.clone());
    }
    grudge
}
