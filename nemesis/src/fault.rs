//! The fault catalogue as data: the kinds of fault, whom they target, how
//! big they are, and the concrete [`Fault`] an executor applies to the
//! cluster. Pure: nothing here touches turmoil; resolving a planned fault to
//! concrete nodes depends only on the plan's seed, the node list and the
//! leader.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use faultline_raft::NodeId;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use thiserror::Error;

use crate::grudge::{self, majority, Grudge};

/// The families of fault; each has one start and one stop action name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultFamily {
    /// Network partitions.
    Partition,
    /// Crashes with restart (turmoil `crash` then `bounce`).
    Kill,
    /// SIGSTOP/SIGCONT-style pauses.
    Pause,
    /// Clock bumps, strobes and rate skew.
    Clock,
    /// Packet loss, delay, duplication and reordering.
    Packet,
    /// Disk corruption and I/O errors.
    Disk,
}

impl FaultFamily {
    /// The family's name.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultFamily::Partition => "partition",
            FaultFamily::Kill => "kill",
            FaultFamily::Pause => "pause",
            FaultFamily::Clock => "clock",
            FaultFamily::Packet => "packet",
            FaultFamily::Disk => "disk",
        }
    }

    /// The history `f` of the action that starts a fault of this family
    /// (`start-partition`, `start-kill`, ...).
    pub fn start_f(self) -> String {
        format!("start-{}", self.as_str())
    }

    /// The history `f` of the action that undoes it (`stop-partition`:
    /// heal; `stop-kill`: restart; `stop-pause`: resume; `stop-clock`:
    /// reset; `stop-packet` and `stop-disk`: back to normal).
    pub fn stop_f(self) -> String {
        format!("stop-{}", self.as_str())
    }
}

macro_rules! fault_kinds {
    ($($variant:ident => $name:literal, $family:ident, $min_nodes:literal, $doc:literal;)*) => {
        /// Every kind of fault in the catalogue.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum FaultKind {
            $(#[doc = $doc] $variant,)*
        }

        impl FaultKind {
            /// Every kind, in catalogue order.
            pub const ALL: &'static [FaultKind] = &[$(FaultKind::$variant,)*];

            /// The kind's name, as `--nemesis` spells it.
            pub fn as_str(self) -> &'static str {
                match self { $(FaultKind::$variant => $name,)* }
            }

            /// The family the kind belongs to.
            pub fn family(self) -> FaultFamily {
                match self { $(FaultKind::$variant => FaultFamily::$family,)* }
            }

            /// The fewest nodes the kind makes sense on.
            pub fn min_nodes(self) -> usize {
                match self { $(FaultKind::$variant => $min_nodes,)* }
            }
        }
    };
}

fault_kinds! {
    PartitionOne => "partition-one", Partition, 2, "Isolate one random node.";
    PartitionMajority => "partition-majority", Partition, 2, "Random halves: a majority and a minority.";
    PartitionMajoritiesRing => "partition-majorities-ring", Partition, 3,
        "Every node sees a majority, no two the same one.";
    PartitionMinorityThird => "partition-minority-third", Partition, 2,
        "Cut off about a third of the nodes.";
    PartitionBridge => "partition-bridge", Partition, 3,
        "Two halves joined only through one bridge node.";
    PartitionOneWay => "partition-one-way", Partition, 2,
        "A minority nobody hears, that still hears everyone.";
    PartitionIsolateLeader => "partition-isolate-leader", Partition, 2, "Isolate the leader.";
    PartitionLeaderInMinority => "partition-leader-in-minority", Partition, 2,
        "Put the leader on the minority side.";
    Kill => "kill", Kill, 1, "Crash targeted nodes (unsynced writes lost); restart on stop.";
    KillLeader => "kill-leader", Kill, 1, "Crash the leader; restart on stop.";
    KillMajority => "kill-majority", Kill, 1, "Crash a majority; restart on stop.";
    KillAll => "kill-all", Kill, 1, "Crash every node; restart on stop.";
    Pause => "pause", Pause, 1, "Pause targeted nodes; resume on stop.";
    ClockBump => "clock-bump", Clock, 1, "Jump clocks by milliseconds to minutes, either way.";
    ClockStrobe => "clock-strobe", Clock, 1, "Make clocks flip back and forth rapidly.";
    ClockSkew => "clock-skew", Clock, 1, "Make clocks run fast or slow, per node.";
    PacketLoss => "packet-loss", Packet, 2, "Drop a fraction of packets on links of targeted nodes.";
    PacketDelay => "packet-delay", Packet, 2, "Delay packets with jitter on links of targeted nodes.";
    PacketDuplicate => "packet-duplicate", Packet, 2, "Duplicate packets on links of targeted nodes.";
    PacketReorder => "packet-reorder", Packet, 2, "Reorder packets on links of targeted nodes.";
    DiskCorruption => "disk-corruption", Disk, 1, "Corrupt a fraction of disk writes on targeted nodes.";
    DiskIoError => "disk-io-error", Disk, 1, "Fail a fraction of disk operations on targeted nodes.";
}

impl FaultKind {
    /// Whether resolving this kind needs the current leader.
    pub fn needs_leader(self) -> bool {
        matches!(
            self,
            FaultKind::PartitionIsolateLeader
                | FaultKind::PartitionLeaderInMinority
                | FaultKind::KillLeader
        )
    }

    /// The fixed target of this kind, if it has one (`kill-leader`,
    /// `kill-majority`, `kill-all`); other targeted kinds draw a target from
    /// the configured set, and partitions have none.
    pub fn fixed_target(self) -> Option<Target> {
        match self {
            FaultKind::KillLeader => Some(Target::Leader),
            FaultKind::KillMajority => Some(Target::Majority),
            FaultKind::KillAll => Some(Target::All),
            _ => None,
        }
    }

    /// Parses a `--nemesis` list: comma-separated kind names, family names
    /// (`partition`, `kill`-family is `process`, `clock`, `packet`, `disk`),
    /// the short partition shape names (`one`, `majority`, `majorities-ring`,
    /// `minority-third`, `bridge`, `one-way`, `isolate-leader`,
    /// `leader-in-minority`), `all`, or `none` on its own.
    pub fn parse_list(list: &str) -> Result<BTreeSet<FaultKind>, ParseFaultError> {
        let names: Vec<&str> = list.split(',').map(str::trim).collect();
        if names.iter().all(|n| n.is_empty()) {
            return Err(ParseFaultError::Empty);
        }
        if names.contains(&"none") {
            return if names.len() == 1 {
                Ok(BTreeSet::new())
            } else {
                Err(ParseFaultError::NoneWithOthers(list.to_string()))
            };
        }
        let mut kinds = BTreeSet::new();
        for name in names {
            kinds.extend(expand(name)?);
        }
        Ok(kinds)
    }
}

/// The kinds one `--nemesis` name stands for.
fn expand(name: &str) -> Result<Vec<FaultKind>, ParseFaultError> {
    let family = |f: FaultFamily| {
        FaultKind::ALL
            .iter()
            .copied()
            .filter(move |k| k.family() == f)
    };
    let kinds: Vec<FaultKind> = match name {
        "" => return Err(ParseFaultError::Unknown(name.to_string())),
        "all" => FaultKind::ALL.to_vec(),
        "partition" => family(FaultFamily::Partition).collect(),
        "process" => family(FaultFamily::Kill)
            .chain(family(FaultFamily::Pause))
            .collect(),
        "clock" => family(FaultFamily::Clock).collect(),
        "packet" => family(FaultFamily::Packet).collect(),
        "disk" => family(FaultFamily::Disk).collect(),
        _ => {
            let long = format!("partition-{name}");
            let found = FaultKind::ALL.iter().copied().find(|k| {
                k.as_str() == name || (k.family() == FaultFamily::Partition && k.as_str() == long)
            });
            match found {
                Some(kind) => vec![kind],
                None => return Err(ParseFaultError::Unknown(name.to_string())),
            }
        }
    };
    Ok(kinds)
}

impl FromStr for FaultKind {
    type Err = ParseFaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match expand(s.trim())?.as_slice() {
            [one] => Ok(*one),
            _ => Err(ParseFaultError::Unknown(s.to_string())),
        }
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--nemesis` value that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseFaultError {
    /// A name that is no kind, family, shape, `all` or `none`.
    #[error(
        "unknown nemesis {0:?}; expected a comma list of: all, none, partition, process, clock, \
         packet, disk, or a kind such as partition-majority, kill-leader, clock-bump"
    )]
    Unknown(String),
    /// `none` combined with other names.
    #[error("nemesis {0:?}: `none` cannot be combined with other names")]
    NoneWithOthers(String),
    /// The list is empty.
    #[error("empty nemesis list; use `none` for no faults")]
    Empty,
    /// A target name that is not one of the five.
    #[error("unknown target {0:?}; expected one of: one, minority, majority, all, leader")]
    UnknownTarget(String),
}

/// Whom a targeted fault (process, clock, packet, disk) touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// One random node.
    One,
    /// A random minority (at least one node).
    Minority,
    /// A random majority.
    Majority,
    /// Every node.
    All,
    /// The leader (a random node when no leader is known).
    Leader,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 5] = [
        Target::One,
        Target::Minority,
        Target::Majority,
        Target::All,
        Target::Leader,
    ];

    /// The target's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::One => "one",
            Target::Minority => "minority",
            Target::Majority => "majority",
            Target::All => "all",
            Target::Leader => "leader",
        }
    }

    /// The concrete nodes this target picks.
    pub fn pick(
        self,
        nodes: &[NodeId],
        leader: Option<NodeId>,
        rng: &mut ChaCha8Rng,
    ) -> BTreeSet<NodeId> {
        let mut order = nodes.to_vec();
        order.shuffle(rng);
        let n = order.len();
        let count = match self {
            Target::One => 1,
            Target::Minority => n.saturating_sub(majority(n)).max(1),
            Target::Majority => majority(n),
            Target::All => n,
            Target::Leader => match leader.filter(|l| nodes.contains(l)) {
                Some(l) => return BTreeSet::from([l]),
                None => 1,
            },
        };
        order.into_iter().take(count).collect()
    }
}

impl FromStr for Target {
    type Err = ParseFaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| ParseFaultError::UnknownTarget(s.to_string()))
    }
}

/// How big faults get; every range is inclusive and drawn uniformly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Magnitudes {
    /// Clock bumps: the magnitude is picked on a log scale in this range (ms),
    /// with a random sign, so milliseconds, seconds and minutes all occur.
    pub bump_ms: (u64, u64),
    /// Clock strobes: the alternate offset (ms, random sign).
    pub strobe_delta_ms: (u64, u64),
    /// Clock strobes: how long each offset holds (ms).
    pub strobe_period_ms: (u64, u64),
    /// Clock skew: per-node rate in parts per million of true time.
    pub skew_rate_ppm: (u64, u64),
    /// Packet loss probability.
    pub loss_probability: (f64, f64),
    /// Packet delay (ms); the jitter is drawn from `0..=delay`.
    pub delay_ms: (u64, u64),
    /// Packet duplication probability.
    pub duplicate_probability: (f64, f64),
    /// Packet reordering: probability a packet is held back.
    pub reorder_probability: (f64, f64),
    /// Packet reordering: the longest hold (ms).
    pub reorder_delay_ms_max: u64,
    /// Disk write corruption probability.
    pub corruption_probability: (f64, f64),
    /// Disk I/O error probability.
    pub io_error_probability: (f64, f64),
}

impl Default for Magnitudes {
    fn default() -> Self {
        Magnitudes {
            bump_ms: (1, 5 * 60 * 1000),
            strobe_delta_ms: (10, 2_000),
            strobe_period_ms: (5, 200),
            skew_rate_ppm: (500_000, 2_000_000),
            loss_probability: (0.05, 0.5),
            delay_ms: (5, 200),
            duplicate_probability: (0.05, 0.3),
            reorder_probability: (0.1, 0.5),
            reorder_delay_ms_max: 100,
            corruption_probability: (0.001, 0.05),
            io_error_probability: (0.01, 0.2),
        }
    }
}

impl Magnitudes {
    /// Checks that every range is ordered and probabilities lie in `[0, 1]`.
    pub fn validate(&self) -> Result<(), FaultError> {
        let ranges = [
            ("bump_ms", self.bump_ms),
            ("strobe_delta_ms", self.strobe_delta_ms),
            ("strobe_period_ms", self.strobe_period_ms),
            ("skew_rate_ppm", self.skew_rate_ppm),
            ("delay_ms", self.delay_ms),
        ];
        for (field, (lo, hi)) in ranges {
            if lo > hi
                || (field == "bump_ms" && lo == 0)
                || (field == "strobe_period_ms" && lo == 0)
            {
                return Err(FaultError::BadMagnitude {
                    field,
                    reason: format!("range {lo}..={hi}"),
                });
            }
        }
        let probabilities = [
            ("loss_probability", self.loss_probability),
            ("duplicate_probability", self.duplicate_probability),
            ("reorder_probability", self.reorder_probability),
            ("corruption_probability", self.corruption_probability),
            ("io_error_probability", self.io_error_probability),
        ];
        for (field, (lo, hi)) in probabilities {
            if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo > hi {
                return Err(FaultError::BadMagnitude {
                    field,
                    reason: format!("probabilities {lo}..={hi} must satisfy 0 <= lo <= hi <= 1"),
                });
            }
        }
        Ok(())
    }
}

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
            Fault::ClockBump { .. } | Fault::ClockStrobe { .. } | Fault::ClockSkew { .. } => {
                FaultFamily::Clock
            }
            Fault::PacketLoss { .. }
            | Fault::PacketDelay { .. }
            | Fault::PacketDuplicate { .. }
            | Fault::PacketReorder { .. } => FaultFamily::Packet,
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
            Fault::ClockSkew { rates_ppm } => rates_ppm.keys().copied().collect(),
            Fault::Kill { nodes }
            | Fault::Pause { nodes }
            | Fault::ClockStrobe { nodes, .. }
            | Fault::PacketLoss { nodes, .. }
            | Fault::PacketDelay { nodes, .. }
            | Fault::PacketDuplicate { nodes, .. }
            | Fault::PacketReorder { nodes, .. }
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
            FaultKind::Kill
            | FaultKind::KillLeader
            | FaultKind::KillMajority
            | FaultKind::KillAll => Fault::Kill {
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
