//! The `set` workload: adds of unique, increasing integers to one set,
//! occasionally a read of the whole set, and a final read once the cluster
//! has healed and settled. Checked by the set checker.

use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::error::WorkloadError;
use crate::mix::Mix;
use crate::op::{OpFn, OpSpec};
use crate::workload::{check_mix_fns, CheckerModel, Workload, WorkloadConfig};

/// The key holding the set.
pub const SET_KEY: &str = "0";

/// The default mix: adds, and a read of the whole set one op in fifty (reads
/// grow with the set, so they are kept rare; the final reads decide).
const SET_MIX: [(OpFn, u32); 2] = [(OpFn::Add, 49), (OpFn::Read, 1)];

/// Unique adds to one set (see the module docs).
#[derive(Debug, Clone)]
pub struct SetWorkload {
    mix: Mix,
    next_element: u64,
}

impl SetWorkload {
    /// A set workload with the given settings (only the mix applies).
    pub fn new(config: &WorkloadConfig) -> Result<Self, WorkloadError> {
        config.validate()?;
        let weights = config.mix.as_deref().unwrap_or(&SET_MIX);
        check_mix_fns(weights, &[OpFn::Add, OpFn::Read], "set")?;
        Ok(SetWorkload {
            mix: Mix::new(weights)?,
            next_element: 0,
        })
    }
}

impl Workload for SetWorkload {
    fn name(&self) -> &'static str {
        "set"
    }

    fn checker(&self) -> CheckerModel {
        CheckerModel::Set
    }

    fn next_op(&mut self, _worker: usize, rng: &mut ChaCha8Rng) -> OpSpec {
        match self.mix.pick(rng) {
            OpFn::Add => {
                let element = self.next_element;
                self.next_element += 1;
                OpSpec {
                    f: OpFn::Add,
                    key: SET_KEY.to_string(),
                    value: json!(element),
                }
            }
            _ => OpSpec::read(SET_KEY),
        }
    }

    fn final_read_keys(&self) -> Vec<String> {
        vec![SET_KEY.to_string()]
    }
}
