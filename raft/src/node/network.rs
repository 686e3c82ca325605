//! The network seam: the few socket operations the node driver, transport
//! and client need, as a trait with one implementation per runtime.
//!
//! [`TokioNetwork`] (here) uses real TCP sockets; the turmoil implementation
//! lives in `faultline-sim` (`sim/src/net.rs`) so that this crate
//! never depends on the simulator. Both hand out streams already split into
//! a read half and a write half, so that a reader task and a writer can work
//! on one connection independently.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncWrite};

/// The socket operations a node and a client need.
///
/// Addresses are strings in `host:port` form: `127.0.0.1:7000` on real TCP,
/// `n1:7000` (a turmoil host name) under simulation.
pub trait Network: Clone + Send + Sync + 'static {
    /// A bound listening socket.
    type Listener: Send + Sync + 'static;
    /// The receiving half of a connection.
    type ReadHalf: AsyncRead + Unpin + Send + 'static;
    /// The sending half of a connection.
    type WriteHalf: AsyncWrite + Unpin + Send + 'static;

    /// Binds a listener on `addr` (for example `0.0.0.0:7000`).
    fn bind(&self, addr: &str) -> impl Future<Output = io::Result<Self::Listener>> + Send;

    /// Waits for the next inbound connection on `listener`.
    fn accept(
        listener: &Self::Listener,
    ) -> impl Future<Output = io::Result<(Self::ReadHalf, Self::WriteHalf, SocketAddr)>> + Send;

    /// The address `listener` is bound to (useful after binding port 0).
    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr>;

    /// Opens a connection to `addr`.
    fn connect(
        &self,
        addr: &str,
    ) -> impl Future<Output = io::Result<(Self::ReadHalf, Self::WriteHalf)>> + Send;
}

/// Real TCP through tokio.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioNetwork;

impl Network for TokioNetwork {
    type Listener = tokio::net::TcpListener;
    type ReadHalf = tokio::net::tcp::OwnedReadHalf;
    type WriteHalf = tokio::net::tcp::OwnedWriteHalf;

    async fn bind(&self, addr: &str) -> io::Result<Self::Listener> {
        tokio::net::TcpListener::bind(addr).await
    }

    async fn accept(
        listener: &Self::Listener,
    ) -> io::Result<(Self::ReadHalf, Self::WriteHalf, SocketAddr)> {
        let (stream, peer) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        Ok((read, write, peer))
    }

    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    async fn connect(&self, addr: &str) -> io::Result<(Self::ReadHalf, Self::WriteHalf)> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream.into_split())
    }
}
