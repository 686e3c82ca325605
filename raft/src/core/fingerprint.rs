//! A fingerprint of the core's protocol state, for explorers that must tell
//! distinct states apart and merge equal ones (a model checker).
//!
//! It covers everything that decides what the core does next when it is
//! driven without counting ticks (timeouts fired as events, check-quorum
//! and leases off, the election timeout fixed with
//! [`crate::Config::election_jitter`] off): the role and its state, the
//! term and vote, the log, commit, applied and persisted indices, the
//! configuration, a snapshot being received and the last hard state. It
//! leaves out what only counts or times: the counters, the tick clocks
//! (`ticks`, the election timer, the lease stamps of read rounds), the RNG
//! and the undrained output. The static configuration is the explorer's
//! to hash if it varies.

use crate::core::raft::Raft;
use std::hash::{Hash, Hasher};

impl Raft {
    /// Feeds the protocol state (see the module documentation) to `state`.
    pub fn hash_protocol_state<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
        self.membership.hash(state);
        self.term.hash(state);
        self.voted_for.hash(state);
        self.role.hash(state);
        self.leader.hash(state);
        self.log.hash(state);
        self.commit.hash(state);
        self.applied.hash(state);
        self.persisted.hash(state);
        self.incoming_snapshot.hash(state);
        self.last_hard_state.hash(state);
    }
}
