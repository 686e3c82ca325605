//! The async node: the driver that runs one Raft core on a network, a disk
//! and a clock, plus its TCP transport, KV service and client library.
//!
//! Enabled by the cargo feature `node` (the consensus core itself never
//! depends on tokio). The same code runs on plain tokio ([`TokioNetwork`],
//! [`TokioClock`]) and inside turmoil (`faultline_sim::net::TurmoilNetwork`,
//! `faultline_nemesis::clock::SimClock`).
//!
//! # Running a cluster under turmoil
//!
//! ```text
//! let peers: BTreeMap<NodeId, String> = /* 1 => "n1:7000", 2 => "n2:7000", ... */;
//! for id in peers.keys() {
//!     // Outside the host factory (they survive crashes):
//!     let clock = SimClock::new();                       // nemesis moves it
//!     let handles = NodeHandles::new(id, Arc::new(clock.clone()));
//!     let disk = SharedStorage::new(MemStorage::new());  // or a Wal on the turmoil disk
//!     let config = NodeConfig::new(id, peers.clone(), "0.0.0.0:7000".into());
//!     sim.host(format!("n{id}"), move || {
//!         let (config, handles, disk) = (config.clone(), handles.clone(), disk.clone());
//!         async move { run_node(TurmoilNetwork, disk, config, handles).await?; Ok(()) }
//!     });
//! }
//! // Clients (in a sim.client): KvClient::new(TurmoilNetwork, ClientConfig::new(peers), client_id)
//! ```
//!
//! * [`NodeHandles::pause`]: [`PauseGate::pause`] / [`PauseGate::resume`]
//!   freeze and thaw the driver (SIGSTOP / SIGCONT); the state persists
//!   across a crash, so a node killed while paused restarts paused.
//! * [`NodeHandles::observation`]: after every step, role, hard state,
//!   leader, commit and applied indices, the durable log's terms and a
//!   drainable queue of applied entries (for a cluster observer). After
//!   `sim.crash`, call [`ObservationHandle::mark_down`].
//! * [`NodeHandles::stats`]: transport and driver counters (malformed
//!   frames, queue drops, reconnects, stalls, ticks, snapshots, ...).
//! * Raise turmoil's `tcp_capacity` (e.g. 4096): a full listener backlog
//!   panics inside turmoil.
//! * `run_node` returns only on a fatal error (storage failure, corrupt
//!   snapshot); propagate it or log it from the host.
//!
//! Modules: [`driver`] (the loop and the order of effects), [`transport`]
//! (peer links, listener), [`codec`] and [`wire`] (frames), [`protocol`]
//! (client requests and answers), [`client`] (outcomes), [`clock`] (time
//! and the pause gate), [`observe`], [`stats`], and the seams to the world
//! outside: [`network`] (sockets), [`clock`] (time, pause) and
//! [`outbound`] (the fate of each outbound message, for message faults).

pub mod client;
pub mod clock;
pub mod codec;
pub mod driver;
pub mod network;
pub mod observe;
pub mod outbound;
pub mod protocol;
pub mod queue;
pub mod shared_storage;
pub mod stats;
pub mod transport;
pub mod wire;

pub use client::{ClientConfig, ClientError, KvClient, OpResult};
pub use clock::{Clock, PauseGate, TokioClock};
pub use driver::{run_node, run_node_on, NodeConfig, NodeError, NodeHandles, NODE_SPAN};
pub use network::{Network, TokioNetwork};
pub use observe::{AppliedEntry, NodeObservation, ObservationHandle, SyncedLog};
pub use outbound::{Fate, OutboundFaults, SendAsIs};
pub use protocol::{ClientRequest, ClientResponse, ResponseBody};
pub use shared_storage::SharedStorage;
pub use stats::{NodeStats, NodeStatsSnapshot};
pub use transport::TransportConfig;
