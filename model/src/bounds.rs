//! The bounds that keep the model finite, and the core configuration the
//! model runs each node with.
//!
//! Every bound is a budget spent along one path of the search: a state
//! whose budget is spent simply offers no more actions of that kind.

use faultline_raft::bugs::{Bug, BugSet};
use faultline_raft::{Config, LogIndex, Membership, NodeId, ReadMode, Term};
use thiserror::Error;

/// The most nodes the model takes (the core allows more; the search does not).
pub const NODES_MAX: u8 = 5;

/// The election timeout base of every node, in ticks. Timeouts are not
/// modelled tick by tick: an election-timeout action ticks a node until it
/// campaigns, a heartbeat action ticks a leader until it broadcasts.
pub const ELECTION_TICKS: u64 = 10;

/// What keeps the exploration finite, set by the user. The defaults are
/// exhausted in about 15 s on two cores (README, "Model checking").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    /// Cluster size (node ids `1..=nodes`).
    pub nodes: u8,
    /// No node campaigns for a term above this.
    pub term_max: Term,
    /// A leader takes proposals only while its log is shorter than this.
    pub log_len_max: LogIndex,
    /// Crash-and-restart actions along one path.
    pub crashes_max: u8,
    /// Client proposals along one path.
    pub proposals_max: u8,
    /// Heartbeat rounds (leader ticks) along one path.
    pub heartbeats_max: u8,
    /// Message duplications along one path.
    pub duplicates_max: u8,
    /// Messages in flight; a message sent into a full network is lost.
    pub in_flight_max: usize,
    /// Whether messages may be dropped (lost) as an action of their own.
    pub loss: bool,
    /// Run the pre-vote round before real elections (thesis §9.6).
    pub pre_vote: bool,
    /// Also check the per-input rules of Figure 2 and §5.1–§5.4.2
    /// ([`faultline_raft::invariants::rules`]), which name a broken rule at
    /// the step that breaks it, before any cluster-wide damage.
    pub rules: bool,
    /// Seeded core bugs switched on in every node (empty: correct Raft).
    pub bugs: BugSet,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            nodes: 3,
            term_max: 2,
            log_len_max: 2,
            crashes_max: 0,
            proposals_max: 1,
            heartbeats_max: 0,
            duplicates_max: 0,
            in_flight_max: 3,
            loss: false,
            pre_vote: false,
            rules: true,
            bugs: BugSet::NONE,
        }
    }
}

/// A bound out of range, or a bug the model cannot run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BoundsError {
    /// A bound outside its range.
    #[error("{flag}: {value} is out of range ({range})")]
    OutOfRange {
        /// The flag's name.
        flag: &'static str,
        /// The value given.
        value: u64,
        /// The allowed range, in words.
        range: &'static str,
    },
    /// A catalogue bug that does not live in the core (the model runs only
    /// the core: no driver, storage engine, state machine or client).
    #[error(
        "--inject-bug {0}: a {1}-layer bug; the model runs the Raft core alone \
         (core bugs: faultline bugs)"
    )]
    NotCoreBug(Bug, &'static str),
}

impl Bounds {
    /// Checks every bound is in range and every bug lives in the core.
    pub fn validate(&self) -> Result<(), BoundsError> {
        let check = |flag, value: u64, low: u64, high: u64, range| {
            if value < low || value > high {
                Err(BoundsError::OutOfRange { flag, value, range })
            } else {
                Ok(())
            }
        };
        check("--nodes", self.nodes.into(), 1, NODES_MAX.into(), "1 to 5")?;
        check("--max-term", self.term_max, 1, 16, "1 to 16")?;
        check("--max-log", self.log_len_max, 1, 32, "1 to 32")?;
        check(
            "--max-in-flight",
            self.in_flight_max as u64,
            1,
            64,
            "1 to 64",
        )?;
        for bug in self.bugs.iter() {
            if bug.layer() != "core" {
                return Err(BoundsError::NotCoreBug(bug, bug.layer()));
            }
        }
        Ok(())
    }

    /// The node ids, ascending.
    pub fn ids(&self) -> impl Iterator<Item = NodeId> {
        1..=NodeId::from(self.nodes)
    }

    /// The configuration every node starts in.
    pub fn membership(&self) -> Membership {
        Membership::new(self.ids())
    }

    /// The core configuration of node `id`: a fixed election timeout (no
    /// jitter: the model's timeout action is the choice point), a heartbeat
    /// every tick, ReadIndex reads, and no check-quorum (it is a rule about
    /// elapsed time, which the untimed model does not have).
    pub fn config(&self, id: NodeId) -> Config {
        let mut config = Config::new(id);
        config.election_ticks = ELECTION_TICKS;
        config.heartbeat_ticks = 1;
        config.election_jitter = false;
        config.pre_vote = self.pre_vote;
        config.check_quorum = false;
        config.read_mode = ReadMode::ReadIndex;
        config.max_inflight_msgs = 4;
        config.max_entries_per_msg = 1;
        config.bugs = self.bugs;
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_out_of_range_values_are_named() {
        assert_eq!(Bounds::default().validate(), Ok(()));
        let six = Bounds {
            nodes: 6,
            ..Bounds::default()
        };
        let err = six.validate().unwrap_err();
        assert!(err.to_string().starts_with("--nodes: 6"), "{err}");
        let zero_terms = Bounds {
            term_max: 0,
            ..Bounds::default()
        };
        assert!(zero_terms.validate().is_err());
    }

    #[test]
    fn only_core_bugs_are_accepted() {
        for &bug in Bug::ALL {
            let bounds = Bounds {
                bugs: BugSet::of([bug]),
                ..Bounds::default()
            };
            assert_eq!(bounds.validate().is_ok(), bug.layer() == "core", "{bug}");
        }
    }

    #[test]
    fn every_node_config_is_valid_and_deterministic() {
        let bounds = Bounds::default();
        for id in bounds.ids() {
            let config = bounds.config(id);
            assert_eq!(config.validate(), Ok(()));
            assert!(!config.election_jitter && !config.check_quorum);
        }
    }
}
