//! The inbound half of the transport: the listener accepts peers and
//! clients alike; the first frame (a [`Hello`]) says which.

use super::{write_with_timeout, ClientCall, TaskSet, TransportConfig};
use crate::node::codec::{encode_frame, read_frame, FrameDecoder};
use crate::node::network::Network;
use crate::node::protocol::ClientResponse;
use crate::node::stats::NodeStats;
use crate::node::wire::{Frame, Hello};
use crate::types::{Message, NodeId};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant, MissedTickBehavior};
use tracing::Instrument;

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
