//! The `append` workload: appends of unique integers to per-key lists and
//! reads of whole lists, on rotating keys (see [`crate::rotation`]) so lists
//! stay short. Checked by the append checker.

use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::error::WorkloadError;
use crate::mix::Mix;
use crate::op::{OpFn, OpSpec};
use crate::rotation::KeyRotation;
use crate::workload::{check_mix_fns, CheckerModel, Workload, WorkloadConfig};

/// The default mix: appends and reads equally often.
const APPEND_MIX: [(OpFn, u32); 2] = [(OpFn::Append, 1), (OpFn::Read, 1)];

/// Unique appends to per-key lists (see the module docs).
#[derive(Debug, Clone)]
pub struct AppendWorkload {
    mix: Mix,
    keys: KeyRotation,
    next_element: u64,
}

impl AppendWorkload {
    /// An append workload with the given settings.
    pub fn new(config: &WorkloadConfig) -> Result<Self, WorkloadError> {
        config.validate()?;
        let weights = config.mix.as_deref().unwrap_or(&APPEND_MIX);
        check_mix_fns(weights, &[OpFn::Append, OpFn::Read], "append")?;
        Ok(AppendWorkload {
            mix: Mix::new(weights)?,
            keys: KeyRotation::new(
                config.active_keys,
                config.ops_per_key_mean,
                config.run_length_max,
            ),
            next_element: 0,
        })
    }
}

impl Workload for AppendWorkload {
    fn name(&self) -> &'static str {
        "append"
    }

    fn checker(&self) -> CheckerModel {
        CheckerModel::Append
    }

    fn next_op(&mut self, worker: usize, rng: &mut ChaCha8Rng) -> OpSpec {
        let key = self.keys.next_key(worker, rng).to_string();
        match self.mix.pick(rng) {
            OpFn::Append => {
                let element = self.next_element;
                self.next_element += 1;
                OpSpec {
                    f: OpFn::Append,
                    key,
                    value: json!(element),
                }
            }
            _ => OpSpec::read(key),
        }
    }

    fn final_read_keys(&self) -> Vec<String> {
        self.keys.touched()
    }
}
