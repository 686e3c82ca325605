//! Planned and concrete faults: a [`FaultPlan`] (kind, target, seed) resolves
//! deterministically, given the node list and the leader, into a [`Fault`]
//! with concrete nodes and magnitudes drawn from [`Magnitudes`]. Pure:
//! nothing here touches turmoil.

use std::collections::{BTreeMap, BTreeSet};

use faultline_raft::NodeId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use thiserror::Error;

use crate::clock::RATE_PPM_NOMINAL;
use crate::fault::{FaultFamily, FaultKind, Target};
use crate::grudge::{self, Grudge};
pub use crate::magnitudes::Magnitudes;

/// A fault that cannot be planned or resolved.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FaultError {
    /// The cluster is too small for the kind.
    #[error("nemesis {kind} needs at least {needed} nodes, the cluster has {nodes}")]
    TooFewNodes {
        /// The kind.
        kind: FaultKind,
        /// Nodes it needs.
        needed: usize,
        /// Nodes there are.
        nodes: usize,
    },
    /// A magnitude range is malformed.
    #[error("nemesis magnitude {field}: {reason}")]
    BadMagnitude {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// A concrete fault with concrete nodes: what an executor applies on start
/// and undoes on stop.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "fault", rename_all = "kebab-case")]
pub enum Fault {
    /// Drop messages per the grudge; stop heals every link.
    Partition {
        /// The shape that produced the grudge.
        kind: FaultKind,
        /// For each node, the nodes it cannot hear.
        grudge: Grudge,
    },
    /// Crash these nodes; stop restarts them.
    Kill {
        /// The nodes.
        nodes: BTreeSet<NodeId>,
    },
    /// Pause these nodes; stop resumes them.
    Pause {
        /// The nodes.
        nodes: BTreeSet<NodeId>,
    },
    /// Jump each node's clock by its delta; stop resets the clocks.
    ClockBump {
        /// Per-node jump in milliseconds (negative: backwards).
        deltas_ms: BTreeMap<NodeId, i64>,
    },
    /// Alternate these clocks between normal and `+delta_ms` every
    /// `period_ms`, for `duration_ms`; stop resets them.
    ClockStrobe {
        /// The nodes.
        nodes: BTreeSet<NodeId>,
        /// The alternate offset.
        delta_ms: i64,
        /// How long each offset holds.
        period_ms: u64,
        /// How long the strobe lasts.
        duration_ms: u64,
    },
    /// Run each node's clock at its rate; stop resets the clocks.
    ClockSkew {
        /// Per-node rate in ppm of true time (1,000,000 is nominal).
        rates_ppm: BTreeMap<NodeId, u64>,
    },
    /// Run each node's clock at a rate within the drift bound leases
    /// assume; stop resets the clocks.
    ClockDrift {
        /// Per-node rate in ppm of true time (1,000,000 is nominal).
        rates_ppm: BTreeMap<NodeId, u64>,
    },
    /// Drop packets on every link touching these nodes.
    PacketLoss {
        /// The nodes.
        nodes: BTreeSet<NodeId>,
        /// Drop probability per packet.
        probability: f64,
    },
    /// Delay packets on every link touching these nodes.
    PacketDelay {
        /// The nodes.
        nodes: BTreeSet<NodeId>,
        /// Base delay.
        delay_ms: u64,
        /// Extra delay drawn from `0..=jitter_ms` per packet.
        jitter_ms: u64,
    },
    /// Duplicate packets on every link touching these nodes.
    PacketDuplicate {
        /// The nodes.
        nodes: BTreeSet<NodeId>,
        /// Duplication probability per packet.
        probability: f64,
    },
    /// Reorder packets on every link touching these nodes by holding some back.
    PacketReorder {
        /// The nodes.
        nodes: BTreeSet<NodeId>,
        /// Probability a packet is held back.
        probability: f64,
        /// The longest hold.
        delay_ms_max: u64,
    },
    /// Deliver some of these nodes' answers (vote and append responses)
    /// late, as [`Fault::PacketLate`] does: a candidate gets a vote after
    /// it moved to a newer campaign, a leader an acknowledgement after it
    /// moved on. Other messages pass as they are.
    PacketLateReplies {
        /// The nodes whose answers are held.
        nodes: BTreeSet<NodeId>,
        /// Probability an answer is held back.
        probability: f64,
        /// The shortest hold.
        delay_ms_min: u64,
        /// The longest hold.
        delay_ms_max: u64,
    },
    /// Keep copies of these nodes' granted votes and AppendEntries and
    /// deliver each once more when its recipient has moved to a later term
    /// (a vote: when its candidate campaigns again), as a network may
    /// deliver any message at any later time; see [`crate::stale`]. Copies
    /// kept before the stop are still delivered; the final heal drops them.
    PacketStaleReplay {
        /// The nodes whose messages are copied.
        nodes: BTreeSet<NodeId>,
    },
    /// Deliver some packets sent by these nodes late: each held back with
    /// `probability` for a delay drawn from `delay_ms_min..=delay_ms_max`,
    /// long enough that the cluster has moved to a newer term when it lands
    /// (Raft assumes an asynchronous network: any message may be late).
    PacketLate {
        /// The nodes.
        nodes: BTreeSet<NodeId>,
        /// Probability a packet is held back.
        probability: f64,
        /// The shortest hold.
        delay_ms_min: u64,
        /// The longest hold.
        delay_ms_max: u64,
    },
    /// Corrupt disk writes on these nodes.
    DiskCorruption {
        /// The nodes.
        nodes: BTreeSet<NodeId>,
        /// Corruption probability per write.
        probability: f64,
    },
    /// Fail disk operations on these nodes.
    DiskIoError {
        /// The nodes.
        nodes: BTreeSet<NodeId>,
        /// Error probability per operation.
        probability: f64,
    },
}

impl Fault {
    /// The family, which names the start and stop actions.
    pub fn family(&self) -> FaultFamily {
        match self {
            Fault::Partition { .. } => FaultFamily::Partition,
            Fault::Kill { .. } => FaultFamily::Kill,
            Fault::Pause { .. } => FaultFamily::Pause,
            Fault::ClockBump { .. }
            | Fault::ClockStrobe { .. }
            | Fault::ClockSkew { .. }
            | Fault::ClockDrift { .. } => FaultFamily::Clock,
            Fault::PacketLoss { .. }
            | Fault::PacketDelay { .. }
            | Fault::PacketDuplicate { .. }
            | Fault::PacketReorder { .. }
            | Fault::PacketLate { .. }
            | Fault::PacketLateReplies { .. }
            | Fault::PacketStaleReplay { .. } => FaultFamily::Packet,
            Fault::DiskCorruption { .. } | Fault::DiskIoError { .. } => FaultFamily::Disk,
        }
    }

    /// A one-line description a person can read in a history or report,
    /// e.g. `partition-majority: 1 drops 4,5; 2 drops 4,5; ...` or
    /// `kill 2,5`.
    pub fn describe(&self) -> String {
        let list = |nodes: &BTreeSet<NodeId>| {
            nodes
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let per_node = |entries: Vec<(NodeId, String)>| {
            entries
                .into_iter()
                .map(|(n, v)| format!("{n}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Fault::Partition { kind, grudge } => {
                let cuts: Vec<String> = grudge
                    .drops
                    .iter()
                    .filter(|(_, d)| !d.is_empty())
                    .map(|(n, d)| format!("{n} drops {}", list(d)))
                    .collect();
                format!("{kind}: {}", cuts.join("; "))
            }
            Fault::Kill { nodes } => format!("kill {}", list(nodes)),
            Fault::Pause { nodes } => format!("pause {}", list(nodes)),
            Fault::ClockBump { deltas_ms } => format!(
                "clock bump (ms) {}",
                per_node(
                    deltas_ms
                        .iter()
                        .map(|(n, d)| (*n, format!("{d:+}")))
                        .collect()
                )
            ),
            Fault::ClockStrobe {
                nodes,
                delta_ms,
                period_ms,
                duration_ms,
            } => format!(
                "clock strobe {} by {delta_ms:+} ms every {period_ms} ms for {duration_ms} ms",
                list(nodes)
            ),
            Fault::ClockSkew { rates_ppm } => format!(
                "clock rate (ppm) {}",
                per_node(rates_ppm.iter().map(|(n, r)| (*n, r.to_string())).collect())
            ),
            Fault::ClockDrift { rates_ppm } => format!(
                "bounded clock drift, rate (ppm) {}",
                per_node(rates_ppm.iter().map(|(n, r)| (*n, r.to_string())).collect())
            ),
            Fault::PacketLoss { nodes, probability } => {
                format!("packet loss {probability:.3} on links of {}", list(nodes))
            }
            Fault::PacketDelay {
                nodes,
                delay_ms,
                jitter_ms,
            } => format!(
                "packet delay {delay_ms} ms + jitter {jitter_ms} ms on links of {}",
                list(nodes)
            ),
            Fault::PacketDuplicate { nodes, probability } => {
                format!(
                    "packet duplication {probability:.3} on links of {}",
                    list(nodes)
                )
            }
            Fault::PacketReorder {
                nodes,
                probability,
                delay_ms_max,
            } => format!(
                "packet reordering {probability:.3} (holds up to {delay_ms_max} ms) on links of {}",
                list(nodes)
            ),
            Fault::PacketLate {
                nodes,
                probability,
                delay_ms_min,
                delay_ms_max,
            } => format!(
                "late delivery {probability:.3} (holds {delay_ms_min}-{delay_ms_max} ms) of \
                 packets from {}",
                list(nodes)
            ),
            Fault::PacketLateReplies {
                nodes,
                probability,
                delay_ms_min,
                delay_ms_max,
            } => format!(
                "late delivery {probability:.3} (holds {delay_ms_min}-{delay_ms_max} ms) of \
                 the answers of {}",
                list(nodes)
            ),
            Fault::PacketStaleReplay { nodes } => format!(
                "stale replay of the granted votes and AppendEntries of {}",
                list(nodes)
            ),
            Fault::DiskCorruption { nodes, probability } => {
                format!("disk corruption {probability:.4} on {}", list(nodes))
            }
            Fault::DiskIoError { nodes, probability } => {
                format!("disk I/O errors {probability:.3} on {}", list(nodes))
            }
        }
    }

    /// Every node the fault touches, ascending.
    pub fn nodes(&self) -> BTreeSet<NodeId> {
        match self {
            Fault::Partition { grudge, .. } => grudge
                .drops
                .iter()
                .filter(|(_, d)| !d.is_empty())
                .flat_map(|(n, d)| std::iter::once(*n).chain(d.iter().copied()))
                .collect(),
            Fault::ClockBump { deltas_ms } => deltas_ms.keys().copied().collect(),
            Fault::ClockSkew { rates_ppm } | Fault::ClockDrift { rates_ppm } => {
                rates_ppm.keys().copied().collect()
            }
            Fault::Kill { nodes }
            | Fault::Pause { nodes }
            | Fault::ClockStrobe { nodes, .. }
            | Fault::PacketLoss { nodes, .. }
            | Fault::PacketDelay { nodes, .. }
            | Fault::PacketDuplicate { nodes, .. }
            | Fault::PacketReorder { nodes, .. }
            | Fault::PacketLate { nodes, .. }
            | Fault::PacketLateReplies { nodes, .. }
            | Fault::PacketStaleReplay { nodes }
            | Fault::DiskCorruption { nodes, .. }
            | Fault::DiskIoError { nodes, .. } => nodes.clone(),
        }
    }
}

/// A planned fault: its kind, target and a seed. Resolving it to a
/// concrete [`Fault`] is deterministic given the node list and the leader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultPlan {
    /// The kind.
    pub kind: FaultKind,
    /// Whom it touches (`None` for partitions, whose shape decides).
    pub target: Option<Target>,
    /// Seeds every random choice of the resolution.
    pub seed: u64,
    /// How long it stays active before its stop action (ms).
    pub hold_ms: u64,
}

impl FaultPlan {
    /// Resolves the plan: picks the nodes (using `leader` for the
    /// leader-based kinds; a random node when it is unknown), the partition
    /// grudge and the magnitudes.
    pub fn resolve(
        &self,
        nodes: &[NodeId],
        leader: Option<NodeId>,
        magnitudes: &Magnitudes,
    ) -> Result<Fault, FaultError> {
        let needed = self.kind.min_nodes();
        if nodes.len() < needed {
            return Err(FaultError::TooFewNodes {
                kind: self.kind,
                needed,
                nodes: nodes.len(),
            });
        }
        magnitudes.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let rng = &mut rng;
        let partition = |grudge| Fault::Partition {
            kind: self.kind,
            grudge,
        };
        let targets =
            |rng: &mut ChaCha8Rng| self.target.unwrap_or(Target::One).pick(nodes, leader, rng);
        let m = magnitudes;
        Ok(match self.kind {
            FaultKind::PartitionOne => partition(grudge::one(nodes, rng)),
            FaultKind::PartitionMajority => partition(grudge::majority_minority(nodes, rng)),
            FaultKind::PartitionMajoritiesRing => partition(grudge::majorities_ring(nodes, rng)),
            FaultKind::PartitionMinorityThird => partition(grudge::minority_third(nodes, rng)),
            FaultKind::PartitionBridge => partition(grudge::bridge(nodes, rng)),
            FaultKind::PartitionOneWay => partition(grudge::one_way(nodes, rng)),
            FaultKind::PartitionIsolateLeader => partition(grudge::isolate(nodes, leader, rng)),
            FaultKind::PartitionLeaderInMinority => {
                partition(grudge::leader_in_minority(nodes, leader, rng))
            }
            FaultKind::PartitionNewLeader
            | FaultKind::PartitionLeaderUncommitted
            | FaultKind::PartitionChaseLeader => partition(grudge::isolate(nodes, leader, rng)),
            FaultKind::Kill
            | FaultKind::KillLeader
            | FaultKind::KillMajority
            | FaultKind::KillAll
            | FaultKind::KillAfterVote
            | FaultKind::KillNewLeader
            | FaultKind::KillLeaderAfterCommit => Fault::Kill {
                nodes: targets(rng),
            },
            FaultKind::Pause => Fault::Pause {
                nodes: targets(rng),
            },
            FaultKind::ClockBump => {
                let chosen = targets(rng);
                let deltas_ms = chosen
                    .into_iter()
                    .map(|n| (n, bump_ms(m.bump_ms, rng)))
                    .collect();
                Fault::ClockBump { deltas_ms }
            }
            FaultKind::ClockStrobe => Fault::ClockStrobe {
                nodes: targets(rng),
                delta_ms: signed(range(m.strobe_delta_ms, rng), rng),
                period_ms: range(m.strobe_period_ms, rng),
                duration_ms: self.hold_ms,
            },
            FaultKind::ClockSkew => {
                let chosen = targets(rng);
                let rates_ppm = chosen
                    .into_iter()
                    .map(|n| (n, range(m.skew_rate_ppm, rng)))
                    .collect();
                Fault::ClockSkew { rates_ppm }
            }
            FaultKind::ClockDrift => {
                let chosen = targets(rng);
                let max = m.drift_rate_ppm_max;
                let rates_ppm = chosen
                    .into_iter()
                    .map(|n| {
                        let off = rng.gen_range(0..=max);
                        let rate = if rng.gen_bool(0.5) {
                            RATE_PPM_NOMINAL + off
                        } else {
                            RATE_PPM_NOMINAL - off
                        };
                        (n, rate)
                    })
                    .collect();
                Fault::ClockDrift { rates_ppm }
            }
            FaultKind::PacketLoss => Fault::PacketLoss {
                nodes: targets(rng),
                probability: probability(m.loss_probability, rng),
            },
            FaultKind::PacketDelay => {
                let nodes = targets(rng);
                let delay_ms = range(m.delay_ms, rng);
                Fault::PacketDelay {
                    nodes,
                    delay_ms,
                    jitter_ms: rng.gen_range(0..=delay_ms),
                }
            }
            FaultKind::PacketDuplicate => Fault::PacketDuplicate {
                nodes: targets(rng),
                probability: probability(m.duplicate_probability, rng),
            },
            FaultKind::PacketReorder => Fault::PacketReorder {
                nodes: targets(rng),
                probability: probability(m.reorder_probability, rng),
                delay_ms_max: m.reorder_delay_ms_max,
            },
            FaultKind::PacketLate => Fault::PacketLate {
                nodes: targets(rng),
                probability: probability(m.late_probability, rng),
                delay_ms_min: m.late_delay_ms.0,
                delay_ms_max: m.late_delay_ms.1,
            },
            FaultKind::PacketLateReplies => Fault::PacketLateReplies {
                nodes: targets(rng),
                probability: probability(m.late_replies_probability, rng),
                delay_ms_min: m.late_delay_ms.0,
                delay_ms_max: m.late_delay_ms.1,
            },
            FaultKind::PacketStaleReplay => Fault::PacketStaleReplay {
                nodes: targets(rng),
            },
            FaultKind::DiskCorruption => Fault::DiskCorruption {
                nodes: targets(rng),
                probability: probability(m.corruption_probability, rng),
            },
            FaultKind::DiskIoError => Fault::DiskIoError {
                nodes: targets(rng),
                probability: probability(m.io_error_probability, rng),
            },
        })
    }
}

fn range((lo, hi): (u64, u64), rng: &mut ChaCha8Rng) -> u64 {
    rng.gen_range(lo..=hi.max(lo))
}

fn probability((lo, hi): (f64, f64), rng: &mut ChaCha8Rng) -> f64 {
    if hi > lo {
        rng.gen_range(lo..=hi)
    } else {
        lo
    }
}

fn signed(magnitude: u64, rng: &mut ChaCha8Rng) -> i64 {
    let magnitude = i64::try_from(magnitude).unwrap_or(i64::MAX);
    if rng.gen_bool(0.5) {
        magnitude
    } else {
        -magnitude
    }
}

/// A clock bump magnitude drawn on a log scale, so small and huge bumps are
/// equally likely per decade; random sign.
fn bump_ms((lo, hi): (u64, u64), rng: &mut ChaCha8Rng) -> i64 {
    let (lo, hi) = (lo.max(1) as f64, hi.max(lo.max(1)) as f64);
    let exponent = rng.gen_range(lo.ln()..=hi.ln());
    let magnitude = exponent.exp().round().clamp(lo, hi) as u64;
    signed(magnitude, rng)
}
