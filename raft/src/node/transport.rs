//! The TCP transport between nodes, and the node's inbound listener.
//!
//! **Outbound**: one link task per peer owns one connection at a time,
//! opened when there is something to send. Raft
//! messages wait in a bounded drop-oldest queue ([`PeerLinks::send`] never
//! blocks the driver). The link connects with a timeout, retries with
//! bounded, jittered exponential backoff, writes every frame with a timeout,
//! and watches the receiver's cumulative [`Frame::Ack`]s: when frames stay
//! unacknowledged longer than `ack_timeout` the stream is presumed silently
//! stalled (simulated TCP never retransmits) and the link reconnects. While a
//! peer is unreachable its queue is cleared (and the loss counted) so that a
//! repaired link does not replay a backlog of stale messages.
//!
//! **Inbound**: the listener accepts peers and clients alike; the first frame
//! (a [`Hello`]) says which. A peer connection feeds Raft messages into the
//! driver's bounded inbox (full = drop and count) and acknowledges them; a
//! client connection forwards requests to the driver (bounded, with
//! backpressure) and writes the responses back.
//!
//! A malformed frame or a protocol violation closes the connection and is
//! counted in [`NodeStats`]; nothing here panics on bad bytes.

use crate::node::codec::{encode_frame, read_frame, FrameDecoder};
use crate::node::network::Network;
use crate::node::protocol::{ClientRequest, ClientResponse};
use crate::node::queue::DropOldestQueue;
use crate::node::stats::NodeStats;
use crate::node::wire::{Frame, Hello};
use crate::types::{Message, NodeId};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant, MissedTickBehavior};
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

/// Why an outbound peer connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkClosed {
    ByPeer,
    ReadFailed,
    WriteFailed,
    Stalled,
    MalformedFrame,
    ProtocolViolation,
}

impl LinkClosed {
    fn as_str(self) -> &'static str {
        match self {
            LinkClosed::ByPeer => "closed by the peer",
            LinkClosed::ReadFailed => "read failed",
            LinkClosed::WriteFailed => "write failed or timed out",
            LinkClosed::Stalled => "stalled: frames not acknowledged in time",
            LinkClosed::MalformedFrame => "malformed frame from the peer",
            LinkClosed::ProtocolViolation => "protocol violation",
        }
    }

    /// Whether the peer sent bytes it should not have (not a network fault).
    fn is_fault(self) -> bool {
        matches!(
            self,
            LinkClosed::MalformedFrame | LinkClosed::ProtocolViolation
        )
    }
}

struct Link<N: Network> {
    net: N,
    me: NodeId,
    peer: NodeId,
    addr: String,
    queue: Arc<DropOldestQueue<Message>>,
    config: Arc<TransportConfig>,
    stats: Arc<NodeStats>,
    rng: ChaCha8Rng,
}

impl<N: Network> Link<N> {
    async fn run(mut self) {
        let mut backoff = self.config.backoff_min;
        // Whether the last attempt reached the peer: only changes are logged,
        // so a long partition costs two lines, not one per retry.
        let mut reachable = true;
        loop {
            // Connect lazily: an idle link (closed by the peer's idle
            // timeout) stays down until there is something to send.
            self.queue.wait_nonempty().await;
            match timeout(self.config.connect_timeout, self.net.connect(&self.addr)).await {
                Ok(Ok((read, write))) => {
                    NodeStats::bump(&self.stats.connects);
                    backoff = self.config.backoff_min;
                    if !reachable {
                        tracing::debug!(peer = self.peer, "peer reachable again");
                    }
                    reachable = true;
                    let closed = self.drive(read, write).await;
                    if closed.is_fault() {
                        tracing::warn!(
                            peer = self.peer,
                            reason = closed.as_str(),
                            "peer link closed"
                        );
                    } else {
                        tracing::debug!(
                            peer = self.peer,
                            reason = closed.as_str(),
                            "peer link closed"
                        );
                    }
                }
                _ => {
                    NodeStats::bump(&self.stats.connect_failures);
                    if reachable {
                        tracing::debug!(peer = self.peer, "cannot connect to peer");
                    }
                    reachable = false;
                    // The peer is unreachable: what is queued would be lost
                    // in the network anyway, and replaying it later is noise.
                    let stale = self.queue.len() as u64;
                    self.queue.clear();
                    self.stats
                        .peer_queue_drops
                        .fetch_add(stale, std::sync::atomic::Ordering::Relaxed);
                }
            }
            let half = backoff / 2;
            let jitter_ms = self.rng.gen_range(0..=half.as_millis() as u64);
            tokio::time::sleep(half + Duration::from_millis(jitter_ms)).await;
            backoff = (backoff * 2).min(self.config.backoff_max);
        }
    }

    /// Runs one connection until it fails, stalls or is closed; says why.
    async fn drive(&mut self, mut read: N::ReadHalf, mut write: N::WriteHalf) -> LinkClosed {
        let cfg = self.config.clone();
        let hello = Frame::Hello(Hello::Peer {
            from: self.me,
            to: self.peer,
        });
        let Ok(bytes) = encode_frame(&hello, cfg.max_frame_bytes) else {
            return LinkClosed::ProtocolViolation;
        };
        if !self.write_bytes(&mut write, &bytes).await {
            return LinkClosed::WriteFailed;
        }
        let mut decoder = FrameDecoder::new(cfg.max_frame_bytes);
        let mut sent: u64 = 0;
        let mut acked: u64 = 0;
        let mut waiting_since: Option<Instant> = None;
        let mut check = tokio::time::interval(cfg.ack_timeout / 4);
        check.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                frame = read_frame::<_, Frame>(&mut read, &mut decoder) => match frame {
                    Ok(Some(Frame::Ack { frames })) if frames <= sent => {
                        if frames > acked {
                            acked = frames;
                            waiting_since = (acked < sent).then(Instant::now);
                        }
                    }
                    Ok(Some(_)) => {
                        NodeStats::bump(&self.stats.protocol_violations);
                        return LinkClosed::ProtocolViolation;
                    }
                    Ok(None) => return LinkClosed::ByPeer,
                    Err(e) => {
                        if e.is_malformed() {
                            NodeStats::bump(&self.stats.malformed_frames);
                            return LinkClosed::MalformedFrame;
                        }
                        return LinkClosed::ReadFailed;
                    }
                },
                msg = self.queue.pop() => {
                    let bytes = match encode_frame(&Frame::Raft(msg), cfg.max_frame_bytes) {
                        Ok(bytes) => bytes,
                        Err(_) => {
                            // A message larger than a frame: the core's batch
                            // bounds are misconfigured. Drop it, keep the link.
                            NodeStats::bump(&self.stats.protocol_violations);
                            continue;
                        }
                    };
                    if !self.write_bytes(&mut write, &bytes).await {
                        return LinkClosed::WriteFailed;
                    }
                    sent += 1;
                    NodeStats::bump(&self.stats.peer_frames_sent);
                    self.stats
                        .peer_bytes_sent
                        .fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    if waiting_since.is_none() {
                        waiting_since = Some(Instant::now());
                    }
                },
                _ = check.tick() => {
                    if let Some(since) = waiting_since {
                        if since.elapsed() > cfg.ack_timeout {
                            NodeStats::bump(&self.stats.stalls_detected);
                            return LinkClosed::Stalled;
                        }
                    }
                },
            }
        }
    }

    async fn write_bytes(&self, write: &mut N::WriteHalf, bytes: &[u8]) -> bool {
        write_with_timeout(write, bytes, self.config.write_timeout, &self.stats).await
    }
}

/// Writes `bytes` fully within `limit`; counts a timeout; `false` on failure.
async fn write_with_timeout<W: AsyncWrite + Unpin>(
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

/// Where inbound connections deliver what they read.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// This node's id (peers must address it).
    pub me: NodeId,
    /// The driver's inbox of peer messages.
    pub peer_tx: mpsc::Sender<Message>,
    /// The driver's inbox of client requests.
    pub client_tx: mpsc::Sender<ClientCall>,
    /// Bounds and timeouts.
    pub config: Arc<TransportConfig>,
    /// Counters.
    pub stats: Arc<NodeStats>,
}

/// Accepts connections on `listener` forever, serving each in its own task.
/// Returns only if accepting fails.
pub async fn run_listener<N: Network>(listener: N::Listener, inbound: Inbound) {
    let mut conns = TaskSet::default();
    loop {
        match N::accept(&listener).await {
            Ok((read, write, _peer)) => {
                let inbound = inbound.clone();
                conns.push(tokio::spawn(
                    serve_connection::<N>(read, write, inbound).in_current_span(),
                ));
            }
            Err(_) => {
                // Transient accept failures (resource limits) must not spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        conns.handles.retain(|h| !h.is_finished());
    }
}

async fn serve_connection<N: Network>(
    mut read: N::ReadHalf,
    write: N::WriteHalf,
    inbound: Inbound,
) {
    let cfg = inbound.config.clone();
    let mut decoder = FrameDecoder::new(cfg.max_frame_bytes);
    let first = timeout(
        cfg.hello_timeout,
        read_frame::<_, Frame>(&mut read, &mut decoder),
    )
    .await;
    match first {
        Ok(Ok(Some(Frame::Hello(Hello::Peer { from, to })))) if to == inbound.me => {
            serve_peer(read, write, decoder, from, inbound).await
        }
        Ok(Ok(Some(Frame::Hello(Hello::Client { client_id })))) => {
            serve_client(read, write, decoder, client_id, inbound).await
        }
        Ok(Ok(Some(_))) => {
            NodeStats::bump(&inbound.stats.protocol_violations);
            tracing::warn!("inbound connection: unexpected first frame, closed");
        }
        Ok(Err(e)) if e.is_malformed() => {
            NodeStats::bump(&inbound.stats.malformed_frames);
            tracing::warn!(error = %e, "inbound connection: malformed hello, closed");
        }
        Ok(Ok(None)) | Ok(Err(_)) | Err(_) => {}
    }
}

async fn serve_peer<R, W>(
    mut read: R,
    mut write: W,
    mut decoder: FrameDecoder,
    from: NodeId,
    inbound: Inbound,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let cfg = inbound.config.clone();
    let stats = inbound.stats.clone();
    let mut received: u64 = 0;
    let mut acknowledged: u64 = 0;
    let mut last_frame = Instant::now();
    let mut ack_timer = tokio::time::interval(cfg.ack_interval);
    ack_timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            frame = read_frame::<_, Frame>(&mut read, &mut decoder) => match frame {
                Ok(Some(Frame::Raft(msg))) if msg.from == from && msg.to == inbound.me => {
                    received += 1;
                    last_frame = Instant::now();
                    match inbound.peer_tx.try_send(msg) {
                        Ok(()) => NodeStats::bump(&stats.peer_frames_received),
                        Err(mpsc::error::TrySendError::Full(_)) => NodeStats::bump(&stats.inbox_drops),
                        Err(mpsc::error::TrySendError::Closed(_)) => return,
                    }
                }
                Ok(Some(_)) => {
                    NodeStats::bump(&stats.protocol_violations);
                    tracing::warn!("protocol violation, connection closed");
                    return;
                }
                Ok(None) => return,
                Err(e) => {
                    if e.is_malformed() {
                        NodeStats::bump(&stats.malformed_frames);
                        tracing::warn!(error = %e, "malformed frame, connection closed");
                    }
                    return;
                }
            },
            _ = ack_timer.tick() => {
                if received > acknowledged {
                    let Ok(bytes) = encode_frame(&Frame::Ack { frames: received }, cfg.max_frame_bytes) else {
                        return;
                    };
                    if !write_with_timeout(&mut write, &bytes, cfg.write_timeout, &stats).await {
                        return;
                    }
                    acknowledged = received;
                }
                if last_frame.elapsed() > cfg.peer_idle_timeout {
                    NodeStats::bump(&stats.idle_closes);
                    return;
                }
            },
        }
    }
}

async fn serve_client<R, W>(
    mut read: R,
    mut write: W,
    mut decoder: FrameDecoder,
    client_id: u64,
    inbound: Inbound,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let cfg = inbound.config.clone();
    let stats = inbound.stats.clone();
    let (reply_tx, mut reply_rx) = mpsc::channel::<ClientResponse>(cfg.client_response_queue);
    let writer_cfg = cfg.clone();
    let writer_stats = stats.clone();
    let mut tasks = TaskSet::default();
    tasks.push(tokio::spawn(
        async move {
            while let Some(resp) = reply_rx.recv().await {
                let Ok(bytes) = encode_frame(&Frame::Response(resp), writer_cfg.max_frame_bytes)
                else {
                    NodeStats::bump(&writer_stats.protocol_violations);
                    continue;
                };
                if !write_with_timeout(&mut write, &bytes, writer_cfg.write_timeout, &writer_stats)
                    .await
                {
                    return;
                }
            }
        }
        .in_current_span(),
    ));
    loop {
        let frame = match timeout(
            cfg.client_idle_timeout,
            read_frame::<_, Frame>(&mut read, &mut decoder),
        )
        .await
        {
            Ok(frame) => frame,
            Err(_) => {
                NodeStats::bump(&stats.idle_closes);
                return;
            }
        };
        match frame {
            Ok(Some(Frame::Request(request))) if request.client_id == client_id => {
                NodeStats::bump(&stats.client_requests);
                let call = ClientCall {
                    request,
                    reply: reply_tx.clone(),
                };
                if inbound.client_tx.send(call).await.is_err() {
                    return;
                }
            }
            Ok(Some(_)) => {
                NodeStats::bump(&stats.protocol_violations);
                tracing::warn!("protocol violation, connection closed");
                return;
            }
            Ok(None) => break,
            Err(e) => {
                if e.is_malformed() {
                    NodeStats::bump(&stats.malformed_frames);
                    tracing::warn!(error = %e, "malformed frame, connection closed");
                }
                return;
            }
        }
    }
    // The client finished sending: let the writer deliver the answers still
    // owed (it ends once the driver has dropped every reply handle).
    drop(reply_tx);
    if let Some(handle) = tasks.handles.pop() {
        let _ = handle.await;
    }
}
