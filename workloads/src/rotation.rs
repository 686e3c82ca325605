//! Key rotation for multi-key workloads, after Jepsen's `independent`
//! generator: a few keys are active at a time, each with a jittered op
//! budget; when a key's budget is spent a fresh key replaces it. Workers
//! stick to one key for a random run of ops, then move on, so keys drift out
//! of step and every key's history stays small enough to check.

use std::collections::BTreeSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// An active key and the ops it has left (drawn on first use).
#[derive(Debug, Clone)]
struct Slot {
    key: u64,
    remaining: Option<u32>,
}

/// A worker's current run on one key.
#[derive(Debug, Clone, Copy)]
struct Run {
    key: u64,
    left: u32,
}

/// Hands out keys to workers (see the module docs).
#[derive(Debug, Clone)]
pub struct KeyRotation {
    slots: Vec<Slot>,
    next_key: u64,
    runs: Vec<Option<Run>>,
    touched: BTreeSet<u64>,
    ops_per_key_mean: u32,
    run_length_max: u32,
}

impl KeyRotation {
    /// `active_keys` keys at a time (at least one), budgets around
    /// `ops_per_key_mean`, runs of `1..=run_length_max` ops.
    pub fn new(active_keys: usize, ops_per_key_mean: u32, run_length_max: u32) -> Self {
        let active_keys = active_keys.max(1);
        KeyRotation {
            slots: (0..active_keys as u64)
                .map(|key| Slot {
                    key,
                    remaining: None,
                })
                .collect(),
            next_key: active_keys as u64,
            runs: Vec::new(),
            touched: BTreeSet::new(),
            ops_per_key_mean: ops_per_key_mean.max(1),
            run_length_max: run_length_max.max(1),
        }
    }

    /// The key `worker`'s next op touches; spends one op of its budget.
    pub fn next_key(&mut self, worker: usize, rng: &mut ChaCha8Rng) -> u64 {
        if self.runs.len() <= worker {
            self.runs.resize(worker + 1, None);
        }
        let current = self.runs[worker]
            .filter(|run| run.left > 0)
            .and_then(|run| self.slots.iter().position(|s| s.key == run.key));
        let slot = match current {
            Some(slot) => slot,
            None => {
                let slot = rng.gen_range(0..self.slots.len());
                let left = rng.gen_range(1..=self.run_length_max);
                self.runs[worker] = Some(Run {
                    key: self.slots[slot].key,
                    left,
                });
                slot
            }
        };
        if let Some(run) = self.runs[worker].as_mut() {
            run.left -= 1;
        }
        let mean = self.ops_per_key_mean;
        let key = self.slots[slot].key;
        let budget = self.slots[slot]
            .remaining
            .get_or_insert_with(|| rng.gen_range((mean / 2).max(1)..=mean + mean / 2));
        *budget -= 1;
        if *budget == 0 {
            self.slots[slot] = Slot {
                key: self.next_key,
                remaining: None,
            };
            self.next_key += 1;
        }
        self.touched.insert(key);
        key
    }

    /// Every key that received at least one op, in ascending order.
    pub fn touched(&self) -> Vec<String> {
        self.touched.iter().map(u64::to_string).collect()
    }
}
