//! The simulated per-node clock: node-local time as an offset and a rate over
//! the simulation's true time, moved by the clock nemesis.
//!
//! ```text
//! local(t) = anchor_local + (t - anchor_true) * rate + strobe(t)
//! ```
//!
//! `t` is the simulation's global virtual time (`turmoil::sim_elapsed()`
//! inside a host). A [`SimClock`] is both the node's [`Clock`] and the
//! nemesis's handle: clone it, give one clone to the node (inside the host
//! factory) and keep one outside to bump, strobe, skew and reset it. Since it
//! lives outside the factory it survives crashes, like a machine's clock
//! survives a process restart.
//!
//! The node reads it as a wall clock: [`Clock::now`] is `local(t)` plus
//! [`WALL_EPOCH`] (the simulation's epoch), so a bump back by minutes early
//! in a run steps the clock back, as on a real machine, instead of stopping
//! it at zero. [`SimClock::local_at`] and [`SimClock::offset_ns_at`] stay
//! relative to the start of the run, for reports and logs.
//!
//! Every fault takes the true time `at` explicitly, so the nemesis can act
//! from the sim loop (`sim.elapsed()`) or from inside a host
//! ([`true_now`]). Integer nanoseconds and a rate in parts per million keep
//! the arithmetic exact and deterministic.

use faultline_raft::node::Clock;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What a node's clock reads at the start of a run: the simulation's epoch
/// (2023-11-14T22:13:20Z, as the cluster's turmoil builder sets it).
pub const WALL_EPOCH: Duration = Duration::from_secs(1_700_000_000);

/// A rate of exactly 1 (local time runs as fast as true time).
pub const RATE_PPM_NOMINAL: u64 = 1_000_000;

/// The simulation's true time, if called inside a turmoil host.
pub fn true_now() -> Option<Duration> {
    turmoil::sim_elapsed()
}

/// An oscillation of the clock: between `start` and `until` the offset
/// alternates every `period` between `0` and `delta_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strobe {
    /// True time the strobe began (ns).
    pub start_ns: i128,
    /// True time the strobe ends (ns).
    pub until_ns: i128,
    /// Half period (ns): how long each of the two offsets holds.
    pub period_ns: i128,
    /// The alternate offset (ns, may be negative).
    pub delta_ns: i128,
}

/// The current transformation from true to local time (for reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockState {
    /// True time of the last re-anchoring (ns).
    pub anchor_true_ns: i128,
    /// Local time at that moment (ns).
    pub anchor_local_ns: i128,
    /// Local nanoseconds per million true nanoseconds.
    pub rate_ppm: u64,
    /// An active oscillation, if any.
    pub strobe: Option<Strobe>,
    /// The latest true time the clock has seen (ns); used when it is read
    /// outside a host.
    pub last_true_ns: i128,
    /// Whether every change since the last reset kept the clock continuous
    /// and within the drift bound leases assume ([`SimClock::drift_rate`]
    /// only): such a clock is restored by returning to the nominal rate,
    /// never by a step back to true time.
    pub bounded: bool,
}

impl ClockState {
    fn nominal() -> Self {
        ClockState {
            anchor_true_ns: 0,
            anchor_local_ns: 0,
            rate_ppm: RATE_PPM_NOMINAL,
            strobe: None,
            last_true_ns: 0,
            bounded: true,
        }
    }

    /// Local time (ns, unclamped) at true time `t_ns`, without the strobe.
    fn base_local_ns(&self, t_ns: i128) -> i128 {
        self.anchor_local_ns + (t_ns - self.anchor_true_ns) * self.rate_ppm as i128 / 1_000_000
    }

    fn strobe_ns(&self, t_ns: i128) -> i128 {
        match self.strobe {
            Some(s)
                if t_ns >= s.start_ns
                    && t_ns < s.until_ns
                    && s.period_ns > 0
                    && ((t_ns - s.start_ns) / s.period_ns) % 2 == 1 =>
            {
                s.delta_ns
            }
            _ => 0,
        }
    }

    fn local_ns(&self, t_ns: i128) -> i128 {
        self.base_local_ns(t_ns) + self.strobe_ns(t_ns)
    }

    /// Moves the anchor to `t_ns` keeping local time continuous.
    fn reanchor(&mut self, t_ns: i128) {
        self.anchor_local_ns = self.base_local_ns(t_ns);
        self.anchor_true_ns = t_ns;
    }
}

fn ns(d: Duration) -> i128 {
    d.as_nanos() as i128
}

/// A skewable node clock and its nemesis handle (cheap to clone; all clones
/// share one state).
#[derive(Debug, Clone)]
pub struct SimClock {
    state: Arc<Mutex<ClockState>>,
}

impl Default for SimClock {
    fn default() -> Self {
        Self::new()
    }
}

impl SimClock {
    /// A clock that reads true time until a fault moves it.
    pub fn new() -> Self {
        SimClock {
            state: Arc::new(Mutex::new(ClockState::nominal())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Local time at true time `at` (clamped at zero).
    pub fn local_at(&self, at: Duration) -> Duration {
        let local = self.lock().local_ns(ns(at)).max(0);
        Duration::from_nanos(local.min(u64::MAX as i128) as u64)
    }

    /// Local minus true time at `at`, in nanoseconds.
    pub fn offset_ns_at(&self, at: Duration) -> i128 {
        self.lock().local_ns(ns(at)) - ns(at)
    }

    /// Jumps the clock by `delta_ms` (negative: backwards) at true time `at`.
    pub fn bump(&self, at: Duration, delta_ms: i64) {
        let mut s = self.lock();
        s.reanchor(ns(at));
        s.anchor_local_ns += delta_ms as i128 * 1_000_000;
        s.bounded = false;
    }

    /// From true time `at` on, local time runs at `rate_ppm` parts per
    /// million of true time (1,000,000 is nominal; 0 freezes the clock).
    pub fn set_rate(&self, at: Duration, rate_ppm: u64) {
        let mut s = self.lock();
        s.reanchor(ns(at));
        s.rate_ppm = rate_ppm;
        s.bounded = false;
    }

    /// Like [`SimClock::set_rate`], for a rate the caller keeps within the
    /// drift bound leases assume: the clock stays `bounded`, so
    /// [`SimClock::restore`] ends the drift without a step.
    pub fn drift_rate(&self, at: Duration, rate_ppm: u64) {
        let mut s = self.lock();
        s.reanchor(ns(at));
        s.rate_ppm = rate_ppm;
    }

    /// Ends whatever faults moved the clock: a bounded clock returns to the
    /// nominal rate from where it stands (keeping the offset its drift
    /// built up, as a clock whose drift ends does: a step back to true
    /// time would itself be a clock fault beyond the bound); any other is
    /// [`SimClock::reset`] to true time.
    pub fn restore(&self, at: Duration) {
        let bounded = {
            let mut s = self.lock();
            if s.bounded {
                s.reanchor(ns(at));
                s.rate_ppm = RATE_PPM_NOMINAL;
            }
            s.bounded
        };
        if !bounded {
            self.reset(at);
        }
    }

    /// From `at` for `duration`, the clock alternates every `period` between
    /// its normal reading and that reading plus `delta_ms`.
    pub fn strobe(&self, at: Duration, delta_ms: i64, period: Duration, duration: Duration) {
        let mut s = self.lock();
        s.strobe = Some(Strobe {
            start_ns: ns(at),
            until_ns: ns(at) + ns(duration),
            period_ns: ns(period).max(1),
            delta_ns: delta_ms as i128 * 1_000_000,
        });
        s.bounded = false;
    }

    /// Puts the clock back on true time: no offset, nominal rate, no strobe.
    pub fn reset(&self, at: Duration) {
        let mut s = self.lock();
        let last = s.last_true_ns.max(ns(at));
        *s = ClockState::nominal();
        s.anchor_true_ns = ns(at);
        s.anchor_local_ns = ns(at);
        s.last_true_ns = last;
    }

    /// A copy of the current transformation.
    pub fn state(&self) -> ClockState {
        *self.lock()
    }
}

impl Clock for SimClock {
    fn now(&self) -> Duration {
        let mut s = self.lock();
        let t = match true_now() {
            Some(t) => ns(t),
            None => s.last_true_ns,
        };
        s.last_true_ns = s.last_true_ns.max(t);
        let wall = s.local_ns(t) + ns(WALL_EPOCH);
        Duration::from_nanos(wall.clamp(0, u64::MAX as i128) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn an_untouched_clock_reads_true_time() {
        let c = SimClock::new();
        assert_eq!(c.local_at(ms(1234)), ms(1234));
        assert_eq!(c.offset_ns_at(ms(50)), 0);
    }

    #[test]
    fn a_bump_shifts_local_time_from_then_on_and_never_below_zero() {
        let c = SimClock::new();
        c.bump(ms(1000), 250);
        assert_eq!(c.local_at(ms(2000)), ms(2250));
        c.bump(ms(2000), -10_000);
        assert_eq!(c.local_at(ms(3000)), Duration::ZERO);
        assert_eq!(c.local_at(ms(10_000)), ms(250));
    }

    #[test]
    fn a_rate_skew_is_continuous_at_the_change_and_scales_afterwards() {
        let c = SimClock::new();
        c.set_rate(ms(1000), 2 * RATE_PPM_NOMINAL);
        assert_eq!(c.local_at(ms(1000)), ms(1000));
        assert_eq!(c.local_at(ms(1500)), ms(2000));
        c.set_rate(ms(1500), RATE_PPM_NOMINAL / 2);
        assert_eq!(c.local_at(ms(2500)), ms(2500));
    }

    #[test]
    fn a_strobe_alternates_within_its_window_only() {
        let c = SimClock::new();
        c.strobe(ms(1000), 300, ms(100), ms(1000));
        assert_eq!(c.local_at(ms(1050)), ms(1050));
        assert_eq!(c.local_at(ms(1150)), ms(1450));
        assert_eq!(c.local_at(ms(1250)), ms(1250));
        assert_eq!(c.local_at(ms(2150)), ms(2150));
    }

    #[test]
    fn a_drift_ends_without_a_step_but_a_bump_is_undone() {
        let c = SimClock::new();
        c.drift_rate(ms(0), 1_050_000);
        let before = c.offset_ns_at(ms(1_000));
        assert_eq!(before, 50_000_000);
        c.restore(ms(1_000));
        assert_eq!(c.offset_ns_at(ms(1_000)), before, "no step");
        assert_eq!(c.offset_ns_at(ms(3_000)), before, "nominal rate again");
        c.bump(ms(3_000), -40);
        c.restore(ms(3_000));
        assert_eq!(c.offset_ns_at(ms(3_000)), 0, "a bumped clock is reset");
        assert!(c.state().bounded);
        c.set_rate(ms(3_000), 1_500_000);
        c.restore(ms(4_000));
        assert_eq!(c.offset_ns_at(ms(4_000)), 0, "a skewed clock is reset");
    }

    #[test]
    fn reset_returns_to_true_time_for_every_clone() {
        let c = SimClock::new();
        let node_side = c.clone();
        c.bump(ms(10), 60_000);
        c.set_rate(ms(10), 3 * RATE_PPM_NOMINAL);
        assert_ne!(node_side.local_at(ms(5000)), ms(5000));
        c.reset(ms(5000));
        assert_eq!(node_side.local_at(ms(7000)), ms(7000));
        assert_eq!(node_side.state().rate_ppm, RATE_PPM_NOMINAL);
    }
}
