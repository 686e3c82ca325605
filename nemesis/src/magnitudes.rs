//! How big faults get: the ranges from which a [`crate::plan::FaultPlan`]
//! draws each fault's magnitudes (clock offsets and rates, packet
//! probabilities and delays, disk fault rates), with their validation.

use serde::Serialize;

use crate::clock::RATE_PPM_NOMINAL;
use crate::plan::FaultError;

/// How big faults get; every range is inclusive and drawn uniformly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Magnitudes {
    /// Clock bumps: the magnitude is picked on a log scale in this range (ms),
    /// with a random sign, so milliseconds, seconds and minutes all occur.
    pub bump_ms: (u64, u64),
    /// Clock strobes: the alternate offset (ms, random sign).
    pub strobe_delta_ms: (u64, u64),
    /// Clock strobes: how long each offset holds (ms).
    pub strobe_period_ms: (u64, u64),
    /// Clock skew: per-node rate in parts per million of true time.
    pub skew_rate_ppm: (u64, u64),
    /// Bounded clock drift: the most a node's rate departs from nominal, in
    /// parts per million (either way). The run sets it from the lease's
    /// drift allowance, so this fault stays within what leases assume.
    pub drift_rate_ppm_max: u64,
    /// Packet loss probability.
    pub loss_probability: (f64, f64),
    /// Packet delay (ms); the jitter is drawn from `0..=delay`.
    pub delay_ms: (u64, u64),
    /// Packet duplication probability.
    pub duplicate_probability: (f64, f64),
    /// Packet reordering: probability a packet is held back.
    pub reorder_probability: (f64, f64),
    /// Packet reordering: the longest hold (ms).
    pub reorder_delay_ms_max: u64,
    /// Late delivery: probability a packet is held back.
    pub late_probability: (f64, f64),
    /// Late delivery: how long a held packet is held (ms), drawn per packet;
    /// the default spans one to several election timeouts.
    pub late_delay_ms: (u64, u64),
    /// Late replies: probability an answer (vote or append response) is
    /// held back (for a time drawn from `late_delay_ms`).
    pub late_replies_probability: (f64, f64),
    /// Disk write corruption probability.
    pub corruption_probability: (f64, f64),
    /// Disk I/O error probability.
    pub io_error_probability: (f64, f64),
}

impl Default for Magnitudes {
    fn default() -> Self {
        Magnitudes {
            bump_ms: (1, 5 * 60 * 1000),
            strobe_delta_ms: (10, 2_000),
            strobe_period_ms: (5, 200),
            skew_rate_ppm: (500_000, 2_000_000),
            drift_rate_ppm_max: 0,
            loss_probability: (0.05, 0.5),
            delay_ms: (5, 200),
            duplicate_probability: (0.05, 0.3),
            reorder_probability: (0.1, 0.5),
            reorder_delay_ms_max: 100,
            late_probability: (0.02, 0.2),
            late_delay_ms: (500, 6_000),
            late_replies_probability: (0.2, 0.6),
            corruption_probability: (0.02, 0.1),
            io_error_probability: (0.01, 0.2),
        }
    }
}

impl Magnitudes {
    /// Checks that every range is ordered and probabilities lie in `[0, 1]`.
    pub fn validate(&self) -> Result<(), FaultError> {
        let ranges = [
            ("bump_ms", self.bump_ms),
            ("strobe_delta_ms", self.strobe_delta_ms),
            ("strobe_period_ms", self.strobe_period_ms),
            ("skew_rate_ppm", self.skew_rate_ppm),
            ("delay_ms", self.delay_ms),
            ("late_delay_ms", self.late_delay_ms),
        ];
        for (field, (lo, hi)) in ranges {
            if lo > hi
                || (field == "bump_ms" && lo == 0)
                || (field == "strobe_period_ms" && lo == 0)
            {
                return Err(FaultError::BadMagnitude {
                    field,
                    reason: format!("range {lo}..={hi}"),
                });
            }
        }
        if self.drift_rate_ppm_max > RATE_PPM_NOMINAL / 2 {
            return Err(FaultError::BadMagnitude {
                field: "drift_rate_ppm_max",
                reason: format!(
                    "{} ppm is over half the nominal rate",
                    self.drift_rate_ppm_max
                ),
            });
        }
        let probabilities = [
            ("loss_probability", self.loss_probability),
            ("duplicate_probability", self.duplicate_probability),
            ("reorder_probability", self.reorder_probability),
            ("late_probability", self.late_probability),
            ("late_replies_probability", self.late_replies_probability),
            ("corruption_probability", self.corruption_probability),
            ("io_error_probability", self.io_error_probability),
        ];
        for (field, (lo, hi)) in probabilities {
            if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo > hi {
                return Err(FaultError::BadMagnitude {
                    field,
                    reason: format!("probabilities {lo}..={hi} must satisfy 0 <= lo <= hi <= 1"),
                });
            }
        }
        Ok(())
    }
}
