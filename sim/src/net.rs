//! The turmoil side of the node's network seam: [`TurmoilNetwork`]
//! implements [`faultline_raft::node::Network`] over turmoil's simulated TCP,
//! so the very same node driver, transport and client run inside a
//! simulation. Addresses are `host:port` with turmoil host names
//! (`n1:7000`); listeners bind `0.0.0.0:<port>`.

use faultline_raft::node::Network;
use std::io;
use std::net::SocketAddr;

/// Simulated TCP through turmoil. Use only inside a turmoil host or client.
#[derive(Debug, Clone, Copy, Default)]
pub struct TurmoilNetwork;

impl Network for TurmoilNetwork {
    type Listener = turmoil::net::TcpListener;
    type ReadHalf = turmoil::net::tcp::OwnedReadHalf;
    type WriteHalf = turmoil::net::tcp::OwnedWriteHalf;

    async fn bind(&self, addr: &str) -> io::Result<Self::Listener> {
        turmoil::net::TcpListener::bind(addr.to_string()).await
    }

    async fn accept(
        listener: &Self::Listener,
    ) -> io::Result<(Self::ReadHalf, Self::WriteHalf, SocketAddr)> {
        let (stream, peer) = listener.accept().await?;
        let (read, write) = stream.into_split();
        Ok((read, write, peer))
    }

    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    async fn connect(&self, addr: &str) -> io::Result<(Self::ReadHalf, Self::WriteHalf)> {
        let stream = turmoil::net::TcpStream::connect(addr.to_string()).await?;
        Ok(stream.into_split())
    }
}
