//! The async node: the driver that runs one Raft core on a network, a disk
//! and a clock, plus its TCP transport, KV service and client library.
//!
//! Enabled by the cargo feature `node` (the consensus core itself never
//! depends on tokio). See [`driver`] for how to start a node.

pub mod clock;
pub mod codec;
pub mod network;
pub mod protocol;
pub mod queue;
pub mod stats;
pub mod transport;
pub mod wire;

pub use clock::{Clock, PauseGate, TokioClock};
pub use network::{Network, TokioNetwork};
pub use protocol::{ClientRequest, ClientResponse, KvOp, KvReply, ResponseBody};
pub use stats::{NodeStats, NodeStatsSnapshot};
pub use transport::TransportConfig;
