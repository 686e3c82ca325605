//! The TCP transport between nodes, and the node's inbound listener.
//!
//! **Outbound**: one link task per peer owns one connection at a time,
//! opened when there is something to send. Raft
//! messages wait in a bounded drop-oldest queue ([`PeerLinks::send`] never
//! blocks the driver). The link connects with a timeout, retries with
//! bounded, jittered exponential backoff, writes every frame with a timeout,
//! and watches the receiver's cumulative [`Frame::Ack`](crate::node::wire::Frame::Ack)s: when frames stay
//! unacknowledged longer than `ack_timeout` the stream is presumed silently
//! stalled (simulated TCP never retransmits) and the link reconnects. While a
//! peer is unreachable its queue is cleared (and the loss counted) so that a
//! repaired link does not replay a backlog of stale messages.
//!
//! **Inbound**: the listener accepts peers and clients alike; the first frame
//! (a [`Hello`](crate::node::wire::Hello)) says which. A peer connection feeds Raft messages into the
//! driver's bounded inbox (full = drop and count) and acknowledges them; a
//! client connection forwards requests to the driver (bounded, with
//! backpressure) and writes the responses back.
//!
//! A malformed frame or a protocol violation closes the connection and is
//! counted in [`NodeStats`]; nothing here panics on bad bytes.

mod inbound;
mod link;

pub use inbound::{run_listener, Inbound};
use link::Link;

use crate::node::network::Network;
use crate::node::protocol::{ClientRequest, ClientResponse};
use crate::node::queue::DropOldestQueue;
use crate::node::stats::NodeStats;
use crate::types::{Message, NodeId};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tracing::Instrument;

/// Bounds and timeouts of the transport. Durations are runtime time (the
/// host's virtual time under turmoil), not node-local clock time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportConfig {
    /// The largest frame payload accepted or sent.
    pub max_frame_bytes: usize,
    /// Outbound messages queued per peer before the oldest is dropped.
    pub peer_queue_frames: usize,
    /// Inbound peer messages queued for the driver before new ones are dropped.
    pub inbox_frames: usize,
    /// Client requests queued for the driver (senders wait when full).
    pub client_inbox_requests: usize,
    /// Responses queued per client connection before they are dropped.
    pub client_response_queue: usize,
    /// How long a connection attempt may take.
    pub connect_timeout: Duration,
    /// The first reconnect delay.
    pub backoff_min: Duration,
    /// The largest reconnect delay.
    pub backoff_max: Duration,
    /// How long writing one frame may take.
    pub write_timeout: Duration,
    /// How often a peer link's receiver acknowledges what it read.
    pub ack_interval: Duration,
    /// Frames unacknowledged this long mark the stream as stalled.
    pub ack_timeout: Duration,
    /// An inbound peer connection silent this long is closed.
    pub peer_idle_timeout: Duration,
    /// An inbound client connection silent this long is closed.
    pub client_idle_timeout: Duration,
    /// How long a new inbound connection may take to say hello.
    pub hello_timeout: Duration,
}

impl Default for TransportConfig {
    /// Suits the default 10 ms tick (100 ms heartbeats, ≥ 1 s election
    /// timeouts): a stalled link is replaced well within an election timeout.
    fn default() -> Self {
        TransportConfig {
            max_frame_bytes: crate::node::codec::DEFAULT_MAX_FRAME_BYTES,
            peer_queue_frames: 1024,
            inbox_frames: 4096,
            client_inbox_requests: 1024,
            client_response_queue: 1024,
            connect_timeout: Duration::from_millis(500),
            backoff_min: Duration::from_millis(20),
            backoff_max: Duration::from_millis(500),
            write_timeout: Duration::from_millis(500),
            ack_interval: Duration::from_millis(50),
            ack_timeout: Duration::from_millis(400),
            peer_idle_timeout: Duration::from_secs(5),
            client_idle_timeout: Duration::from_secs(60),
            hello_timeout: Duration::from_secs(1),
        }
    }
}

/// A client request handed to the driver, with where to send the answer.
#[derive(Debug)]
pub struct ClientCall {
    /// The request.
    pub request: ClientRequest,
    /// The requesting connection's response queue.
    pub reply: mpsc::Sender<ClientResponse>,
}

/// Aborts the wrapped tasks when dropped, so a stopped node leaves no
/// background tasks behind (under turmoil a crash drops them anyway).
#[derive(Debug, Default)]
pub struct TaskSet {
    handles: Vec<JoinHandle<()>>,
}

impl TaskSet {
    /// Adds a task.
    pub fn push(&mut self, handle: JoinHandle<()>) {
        self.handles.push(handle);
    }
}

impl Drop for TaskSet {
    fn drop(&mut self) {
        for h in &self.handles {
            h.abort();
        }
    }
}

/// The outbound side: one queue and one link task per peer.
#[derive(Debug)]
pub struct PeerLinks {
    queues: BTreeMap<NodeId, Arc<DropOldestQueue<Message>>>,
    stats: Arc<NodeStats>,
    _tasks: TaskSet,
}

impl PeerLinks {
    /// Starts a link task for every peer in `peers` (id → `host:port`),
    /// skipping `me`. `seed` drives the backoff jitter.
    pub fn start<N: Network>(
        net: N,
        me: NodeId,
        peers: &BTreeMap<NodeId, String>,
        config: Arc<TransportConfig>,
        stats: Arc<NodeStats>,
        seed: u64,
    ) -> Self {
        let mut queues = BTreeMap::new();
        let mut tasks = TaskSet::default();
        for (&peer, addr) in peers {
            if peer == me {
                continue;
            }
            let queue = Arc::new(DropOldestQueue::new(
                config.peer_queue_frames,
                stats.peer_queue_drops.clone(),
            ));
            queues.insert(peer, queue.clone());
            let link = Link {
                net: net.clone(),
                me,
                peer,
                addr: addr.clone(),
                queue,
                config: config.clone(),
                stats: stats.clone(),
                rng: ChaCha8Rng::seed_from_u64(seed ^ peer.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            };
            tasks.push(tokio::spawn(link.run().in_current_span()));
        }
        PeerLinks {
            queues,
            stats,
            _tasks: tasks,
        }
    }

    /// Queues `msg` for `msg.to`; returns `false` (and counts a protocol
    /// violation) if that is not a known peer.
    pub fn send(&self, msg: Message) -> bool {
        match self.queues.get(&msg.to) {
            Some(q) => {
                q.push(msg);
                true
            }
            None => {
                NodeStats::bump(&self.stats.protocol_violations);
                false
            }
        }
    }

    /// Queues `msg` for `msg.to` after `delay` (message reordering): later
    /// messages overtake it. Dropped silently if the node stops first.
    pub fn send_later(&self, msg: Message, delay: Duration) {
        match self.queues.get(&msg.to) {
            Some(q) => {
                let q = q.clone();
                tokio::spawn(
                    async move {
                        tokio::time::sleep(delay).await;
                        q.push(msg);
                    }
                    .in_current_span(),
                );
            }
            None => NodeStats::bump(&self.stats.protocol_violations),
        }
    }
}

/// Writes `bytes` fully within `limit`; counts a timeout; `false` on failure.
pub(super) async fn write_with_timeout<W: AsyncWrite + Unpin>(
    write: &mut W,
    bytes: &[u8],
    limit: Duration,
    stats: &NodeStats,
) -> bool {
    match timeout(limit, async {
        write.write_all(bytes).await?;
        write.flush().await
    })
    .await
    {
        Ok(Ok(())) => true,
        Ok(Err(_)) => false,
        Err(_) => {
            NodeStats::bump(&stats.write_timeouts);
            false
        }
    }
}
