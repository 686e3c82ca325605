//! The `kv` workload: many independent registers. A few keys are active at a
//! time; each gets a jittered op budget and workers hop between keys after
//! random runs (see [`crate::rotation`]), so keys drift out of step and each
//! key's history is checked on its own.

use rand_chacha::ChaCha8Rng;

use crate::error::WorkloadError;
use crate::mix::Mix;
use crate::op::OpSpec;
use crate::register::{register_mix, register_op};
use crate::rotation::KeyRotation;
use crate::workload::{CheckerModel, Workload, WorkloadConfig};

/// Independent compare-and-set registers on rotating keys.
#[derive(Debug, Clone)]
pub struct KvWorkload {
    mix: Mix,
    value_count: u32,
    keys: KeyRotation,
}

impl KvWorkload {
    /// A kv workload with the given settings.
    pub fn new(config: &WorkloadConfig) -> Result<Self, WorkloadError> {
        config.validate()?;
        Ok(KvWorkload {
            mix: register_mix(config, "kv")?,
            value_count: config.value_count,
            keys: KeyRotation::new(
                config.active_keys,
                config.ops_per_key_mean,
                config.run_length_max,
            ),
        })
    }
}

impl Workload for KvWorkload {
    fn name(&self) -> &'static str {
        "kv"
    }

    fn checker(&self) -> CheckerModel {
        CheckerModel::Kv
    }

    fn next_op(&mut self, worker: usize, rng: &mut ChaCha8Rng) -> OpSpec {
        let key = self.keys.next_key(worker, rng).to_string();
        let f = self.mix.pick(rng);
        register_op(f, &key, self.value_count, rng)
    }

    fn final_read_keys(&self) -> Vec<String> {
        self.keys.touched()
    }
}
