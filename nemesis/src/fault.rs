//! The fault catalogue as data: the kinds of fault, their families (which
//! name the history's `start-*` / `stop-*` actions), whom they target, and
//! the parsing of `--nemesis` lists. How big faults get and the concrete
//! [`Fault`] an executor applies live in [`crate::plan`] (re-exported here).
//! Pure: nothing here touches turmoil.

use std::collections::BTreeSet;
use std::str::FromStr;

use faultline_raft::NodeId;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::grudge::majority;
pub use crate::plan::{Fault, FaultError, FaultPlan, Magnitudes};

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
    /// Packet loss, delay, duplication, reordering and late delivery.
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
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    PartitionNewLeader => "partition-new-leader", Partition, 3,
        "Protocol-aware: isolate a newly elected leader before an entry of its term commits.";
    PartitionLeaderUncommitted => "partition-leader-uncommitted", Partition, 3,
        "Protocol-aware: isolate the leader while it holds uncommitted entries.";
    PartitionChaseLeader => "partition-chase-leader", Partition, 3,
        "Protocol-aware: isolate the leader, then each leader elected after it (healing the one before).";
    Kill => "kill", Kill, 1, "Crash targeted nodes (unsynced writes lost); restart on stop.";
    KillLeader => "kill-leader", Kill, 1, "Crash the leader; restart on stop.";
    KillMajority => "kill-majority", Kill, 1, "Crash a majority; restart on stop.";
    KillAll => "kill-all", Kill, 1, "Crash every node; restart on stop.";
    KillAfterVote => "kill-after-vote", Kill, 3,
        "Protocol-aware: crash a node right after it grants a vote; restart on stop.";
    KillNewLeader => "kill-new-leader", Kill, 3,
        "Protocol-aware: crash a newly elected leader before an entry of its term commits.";
    KillLeaderAfterCommit => "kill-leader-after-commit", Kill, 3,
        "Protocol-aware: crash the leader right after it commits, before followers learn the commit index.";
    Pause => "pause", Pause, 1, "Pause targeted nodes; resume on stop.";
    ClockBump => "clock-bump", Clock, 1, "Jump clocks by milliseconds to minutes, either way.";
    ClockStrobe => "clock-strobe", Clock, 1, "Make clocks flip back and forth rapidly.";
    ClockSkew => "clock-skew", Clock, 1, "Make clocks run fast or slow, per node.";
    ClockDrift => "clock-drift", Clock, 1,
        "Make clocks run fast or slow within the drift bound leases assume (--lease-drift).";
    PacketLoss => "packet-loss", Packet, 2, "Drop a fraction of packets on links of targeted nodes.";
    PacketDelay => "packet-delay", Packet, 2, "Delay packets with jitter on links of targeted nodes.";
    PacketDuplicate => "packet-duplicate", Packet, 2, "Duplicate packets on links of targeted nodes.";
    PacketReorder => "packet-reorder", Packet, 2, "Reorder packets on links of targeted nodes.";
    PacketLate => "packet-late", Packet, 2,
        "Deliver a few packets of targeted nodes seconds late, after terms moved on.";
    PacketLateReplies => "packet-late-replies", Packet, 2,
        "Deliver many answers (vote and append responses) of targeted nodes seconds late.";
    PacketStaleReplay => "packet-stale-replay", Packet, 2,
        "Protocol-aware: deliver old copies of granted votes and AppendEntries once their recipient moved to a later term.";
    DiskCorruption => "disk-corruption", Disk, 1, "Corrupt a fraction of disk writes on targeted nodes.";
    DiskIoError => "disk-io-error", Disk, 1, "Fail a fraction of disk operations on targeted nodes.";
}

impl FaultKind {
    /// Whether resolving this kind needs the current leader (for a
    /// protocol-aware kind: the node its trigger names).
    pub fn needs_leader(self) -> bool {
        matches!(
            self,
            FaultKind::PartitionIsolateLeader
                | FaultKind::PartitionLeaderInMinority
                | FaultKind::KillLeader
                | FaultKind::PartitionChaseLeader
        ) || self.trigger().is_some()
    }

    /// Whether the kind acts on cluster events (a [`Self::trigger`], the
    /// leader chase of [`crate::chase`], or the stale replay of
    /// [`crate::stale`]) rather than on the clock alone.
    pub fn is_protocol_aware(self) -> bool {
        self.trigger().is_some()
            || matches!(
                self,
                FaultKind::PartitionChaseLeader | FaultKind::PacketStaleReplay
            )
    }

    /// The cluster event a protocol-aware kind waits for before it strikes
    /// (clock-driven kinds have none).
    pub fn trigger(self) -> Option<crate::trigger::Trigger> {
        use crate::trigger::Trigger;
        match self {
            FaultKind::KillAfterVote => Some(Trigger::VoteGranted),
            FaultKind::KillNewLeader | FaultKind::PartitionNewLeader => {
                Some(Trigger::NewLeaderUncommitted)
            }
            FaultKind::PartitionLeaderUncommitted => Some(Trigger::LeaderUncommitted),
            FaultKind::KillLeaderAfterCommit => Some(Trigger::LeaderCommitted),
            _ => None,
        }
    }

    /// The fixed target of this kind, if it has one (`kill-leader`,
    /// `kill-majority`, `kill-all`); other targeted kinds draw a target from
    /// the configured set, and partitions have none.
    pub fn fixed_target(self) -> Option<Target> {
        match self {
            FaultKind::KillLeader
            | FaultKind::KillAfterVote
            | FaultKind::KillNewLeader
            | FaultKind::KillLeaderAfterCommit => Some(Target::Leader),
            FaultKind::KillMajority => Some(Target::Majority),
            FaultKind::KillAll | FaultKind::PacketStaleReplay => Some(Target::All),
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
        "protocol" => FaultKind::ALL
            .iter()
            .copied()
            .filter(|k| k.is_protocol_aware())
            .collect(),
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
         packet, disk, protocol, or a kind such as partition-majority, kill-leader, clock-bump"
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
