//! The async node: the driver that runs one Raft core on a network, a disk
//! and a clock, plus its TCP transport, KV service and client library.
//!
//! Enabled by the cargo feature `node` (the consensus core itself never
//! depends on tokio). See [`driver`] for how to start a node.

pub mod client;
pub mod clock;
pub mod codec;
pub mod driver;
pub mod network;
pub mod observe;
pub mod protocol;
pub mod queue;
pub mod shared_storage;
pub mod stats;
pub mod transport;
pub mod wire;

pub use client::{ClientConfig, KvClient, Outcome};
pub use clock::{Clock, PauseGate, TokioClock};
pub use driver::{run_node, run_node_on, NodeConfig, NodeError, NodeHandles};
pub use network::{Network, TokioNetwork};
pub use observe::{AppliedEntry, NodeObservation, ObservationHandle};
pub use protocol::{ClientRequest, ClientResponse, ResponseBody};
pub use shared_storage::SharedStorage;
pub use stats::{NodeStats, NodeStatsSnapshot};
pub use transport::TransportConfig;
