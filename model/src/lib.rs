//! # faultline-model
//!
//! Exhaustive, bounded exploration of the **real** Raft core
//! (`faultline-raft`'s sans-I/O [`faultline_raft::Raft`]) with stateright's
//! model checker: no second, hand-written model of the protocol to drift
//! from the code.
//!
//! * [`bounds`]: what keeps the state space finite (nodes, terms, log
//!   length, messages in flight, crashes, proposals, heartbeats,
//!   duplications), validated once.
//! * [`network`]: the messages in flight, a canonical multiset.
//! * [`state`]: one state of the cluster: each node's core, its durable
//!   state and its applied-entry chain, the network, the budgets spent and
//!   the shared invariants' memory ([`faultline_raft::invariants`]).
//! * [`action`]: the transitions (deliver, drop or duplicate a message, an
//!   election timeout, a leader's heartbeat, a client proposal, a crash and
//!   restart from durable state) and how they read.
//! * [`exec`]: carrying out a core's output the way a node driver does
//!   (persist, then send, then apply), and running the invariants.
//! * [`model`]: the stateright [`stateright::Model`] with its properties.
//! * [`search`]: running the checker within a time limit and summarising
//!   the outcome; [`trace`]: a counterexample as numbered steps.

pub mod action;
pub mod bounds;
pub mod exec;
pub mod model;
pub mod network;
pub mod search;
pub mod state;
pub mod trace;

pub use action::Action;
pub use bounds::{Bounds, BoundsError};
pub use model::RaftModel;
pub use search::{check, replay, Outcome, SearchOptions, SearchOrder, Verdict};
pub use state::ClusterState;
pub use trace::Counterexample;
