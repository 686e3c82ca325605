//! Node-local time and the pause gate.
//!
//! A node reads time only through its [`Clock`]: the driver derives its tick
//! timer from it (and so the core's election timeouts, heartbeats and lease
//! reads, which are counted in ticks). Under simulation the clock is a
//! skewable, per-node clock (`faultline_nemesis::clock::SimClock`); on real
//! tokio it is [`TokioClock`].
//!
//! The [`PauseGate`] freezes a node's driver the way SIGSTOP freezes a
//! process: while paused the driver neither ticks nor handles frames or
//! requests (connections keep buffering, bounded). Create both handles
//! outside a turmoil host factory and clone them in, so they survive crashes.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A source of node-local time. It may jump backwards or forwards and run
/// fast or slow; it need not be monotonic.
pub trait Clock: Send + Sync + 'static {
    /// The node's current local time, as a duration since its own origin.
    fn now(&self) -> Duration;
}

/// The runtime's clock (`tokio::time::Instant`): real time on plain tokio,
/// the host's virtual time under turmoil. Create it inside the runtime.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        TokioClock {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

/// A cloneable switch that pauses and resumes one node's driver.
#[derive(Debug, Clone)]
pub struct PauseGate {
    state: Arc<watch::Sender<bool>>,
}

impl PauseGate {
    /// A gate that starts open (the node runs).
    pub fn new() -> Self {
        PauseGate {
            state: Arc::new(watch::Sender::new(false)),
        }
    }

    /// Freezes the node (idempotent).
    pub fn pause(&self) {
        self.state.send_replace(true);
    }

    /// Lets the node run again (idempotent).
    pub fn resume(&self) {
        self.state.send_replace(false);
    }

    /// Whether the node is currently frozen.
    pub fn is_paused(&self) -> bool {
        *self.state.borrow()
    }

    /// A receiver the driver watches.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.state.subscribe()
    }
}

impl Default for PauseGate {
    fn default() -> Self {
        Self::new()
    }
}

/// Waits while the gate reports paused; returns at once if it is open.
/// Returns `false` if the gate was dropped while paused.
pub async fn wait_until_resumed(rx: &mut watch::Receiver<bool>) -> bool {
    rx.wait_for(|paused| !*paused).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_paused_gate_blocks_until_resumed() {
        let gate = PauseGate::new();
        let mut rx = gate.subscribe();
        assert!(wait_until_resumed(&mut rx).await);
        gate.pause();
        assert!(gate.is_paused());
        let g2 = gate.clone();
        let waiter = tokio::spawn(async move {
            let mut rx = g2.subscribe();
            wait_until_resumed(&mut rx).await
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        gate.resume();
        assert!(waiter.await.unwrap());
    }
}
