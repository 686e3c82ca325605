//! The global rate limit with stagger: after each op the next may start
//! only after a random delay drawn uniformly from `[0, 2/rate)`, so ops
//! arrive at `rate` per second on average without marching in lockstep
//! (Jepsen's `stagger`). Slots never accumulate while nobody is asking, so
//! there are no catch-up bursts.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Spaces ops out in simulated time (see the module docs).
#[derive(Debug, Clone)]
pub struct Pacer {
    mean_gap_ns: u64,
    next_ns: u64,
}

impl Pacer {
    /// A pacer for `rate_per_s` ops per second; the caller validates that
    /// the rate is finite and positive.
    pub fn new(rate_per_s: f64) -> Self {
        let mean_gap_ns = (1e9 / rate_per_s).round().clamp(1.0, u64::MAX as f64 / 4.0) as u64;
        Pacer {
            mean_gap_ns,
            next_ns: 0,
        }
    }

    /// The earliest time the next op may start.
    pub fn ready_at_ns(&self) -> u64 {
        self.next_ns
    }

    /// The mean gap between ops.
    pub fn mean_gap_ns(&self) -> u64 {
        self.mean_gap_ns
    }

    /// Records an op started at `now_ns` (at or after [`Self::ready_at_ns`])
    /// and draws the gap before the next one.
    pub fn take(&mut self, now_ns: u64, rng: &mut ChaCha8Rng) {
        let gap = rng.gen_range(0..2 * self.mean_gap_ns);
        self.next_ns = self.next_ns.max(now_ns).saturating_add(gap);
    }
}
