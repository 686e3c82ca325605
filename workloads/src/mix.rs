//! Weighted choice among operation functions (an op mix).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::error::WorkloadError;
use crate::op::OpFn;

/// A weighted mix of functions, e.g. reads 2 : writes 1 : cas 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    weights: Vec<(OpFn, u32)>,
    total: u64,
}

impl Mix {
    /// Builds a mix; zero-weight entries are dropped. Errors when nothing is
    /// left to choose.
    pub fn new(weights: &[(OpFn, u32)]) -> Result<Self, WorkloadError> {
        let weights: Vec<(OpFn, u32)> = weights.iter().copied().filter(|(_, w)| *w > 0).collect();
        let total = weights.iter().map(|(_, w)| u64::from(*w)).sum();
        if total == 0 {
            return Err(WorkloadError::InvalidSetting {
                field: "mix",
                reason: "every weight is zero".into(),
            });
        }
        Ok(Mix { weights, total })
    }

    /// Picks a function with probability proportional to its weight.
    pub fn pick(&self, rng: &mut ChaCha8Rng) -> OpFn {
        let mut roll = rng.gen_range(0..self.total);
        for &(f, w) in &self.weights {
            if roll < u64::from(w) {
                return f;
            }
            roll -= u64::from(w);
        }
        // Unreachable by construction (roll < total); keep a defined answer.
        self.weights[self.weights.len() - 1].0
    }

    /// The weight of `f` (0 if absent).
    pub fn weight(&self, f: OpFn) -> u32 {
        self.weights
            .iter()
            .find(|(g, _)| *g == f)
            .map_or(0, |(_, w)| *w)
    }
}
