//! The time frame every plot shares, and bucketing of operations by time.

use crate::input::ReportInput;

/// The plotted time range, in seconds, never empty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Left edge, seconds.
    pub start_s: f64,
    /// Right edge, seconds (always > `start_s`).
    pub end_s: f64,
}

/// Nanoseconds to seconds.
pub fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

impl Frame {
    /// Spans every op (call to return) and every fault of `input`; a run
    /// with no data, or all data at one instant, gets a one-second frame.
    pub fn of(input: &ReportInput) -> Frame {
        let mut lo = u64::MAX;
        let mut hi = 0u64;
        for op in &input.operations {
            lo = lo.min(op.call_ns);
            hi = hi.max(op.return_ns.unwrap_or(op.call_ns)).max(op.call_ns);
        }
        for f in &input.faults {
            lo = lo.min(f.start_ns);
            hi = hi.max(f.end_ns.unwrap_or(f.start_ns)).max(f.start_ns);
        }
        if lo > hi {
            return Frame {
                start_s: 0.0,
                end_s: 1.0,
            };
        }
        let (start_s, end_s) = (secs(lo), secs(hi));
        if end_s - start_s < 1e-6 {
            return Frame {
                start_s: (start_s - 0.5).max(0.0),
                end_s: (start_s - 0.5).max(0.0) + 1.0,
            };
        }
        Frame { start_s, end_s }
    }

    /// The frame's width in seconds.
    pub fn width_s(&self) -> f64 {
        self.end_s - self.start_s
    }

    /// Buckets of equal width covering the frame: about `target` of them,
    /// each a "nice" width (1, 2 or 5 times a power of ten seconds).
    pub fn buckets(&self, target: usize) -> Buckets {
        let raw = self.width_s() / target.max(1) as f64;
        let magnitude = 10f64.powf(raw.log10().floor());
        let width_s = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|w| *w >= raw)
            .unwrap_or(raw);
        let start_s = (self.start_s / width_s).floor() * width_s;
        let count = (((self.end_s - start_s) / width_s).floor() as usize + 1).max(1);
        Buckets {
            start_s,
            width_s,
            count,
        }
    }
}

/// Equal-width time buckets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Buckets {
    /// Left edge of bucket 0, seconds.
    pub start_s: f64,
    /// Width of each bucket, seconds.
    pub width_s: f64,
    /// Number of buckets.
    pub count: usize,
}

impl Buckets {
    /// The bucket holding time `t_s` (clamped into range).
    pub fn index(&self, t_s: f64) -> usize {
        let i = ((t_s - self.start_s) / self.width_s).floor();
        if i.is_finite() && i > 0.0 {
            (i as usize).min(self.count - 1)
        } else {
            0
        }
    }

    /// The middle of bucket `i`, seconds.
    pub fn mid_s(&self, i: usize) -> f64 {
        self.start_s + (i as f64 + 0.5) * self.width_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_gets_a_one_second_frame() {
        let f = Frame::of(&ReportInput::default());
        assert_eq!((f.start_s, f.end_s), (0.0, 1.0));
        let b = f.buckets(50);
        assert!(b.count >= 1 && b.width_s > 0.0);
    }

    #[test]
    fn buckets_have_nice_widths_and_cover_the_frame() {
        let f = Frame {
            start_s: 0.3,
            end_s: 61.0,
        };
        let b = f.buckets(50);
        assert_eq!(b.width_s, 2.0);
        assert_eq!(b.index(0.3), 0);
        assert_eq!(b.index(61.0), b.count - 1);
        assert!(b.start_s + b.width_s * b.count as f64 >= 61.0);
    }
}
