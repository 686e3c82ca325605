//! The `register` workload: one key, read / write / compare-and-set over a
//! small range of values so that compare-and-set succeeds some of the time.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use crate::error::WorkloadError;
use crate::mix::Mix;
use crate::op::{OpFn, OpSpec};
use crate::workload::{check_mix_fns, CheckerModel, Workload, WorkloadConfig};

/// The single key the register workload uses.
pub const REGISTER_KEY: &str = "0";

/// The functions a register supports.
pub(crate) const REGISTER_FNS: [OpFn; 3] = [OpFn::Read, OpFn::Write, OpFn::Cas];

/// The default register mix: reads, writes and cas equally often.
pub(crate) const REGISTER_MIX: [(OpFn, u32); 3] =
    [(OpFn::Read, 1), (OpFn::Write, 1), (OpFn::Cas, 1)];

/// Builds the register mix from the settings (or the default).
pub(crate) fn register_mix(config: &WorkloadConfig, workload: &str) -> Result<Mix, WorkloadError> {
    let weights = config.mix.as_deref().unwrap_or(&REGISTER_MIX);
    check_mix_fns(weights, &REGISTER_FNS, workload)?;
    Mix::new(weights)
}

/// One register op on `key`: a read (`null`), a write (the value) or a cas
/// (`[old, new]`, with `new != old` when there are two values or more).
pub(crate) fn register_op(f: OpFn, key: &str, value_count: u32, rng: &mut ChaCha8Rng) -> OpSpec {
    let value: Value = match f {
        OpFn::Write => json!(rng.gen_range(0..value_count)),
        OpFn::Cas => {
            let old = rng.gen_range(0..value_count);
            let mut new = rng.gen_range(0..value_count);
            if value_count > 1 && new == old {
                new = (old + 1 + rng.gen_range(0..value_count - 1)) % value_count;
            }
            json!([old, new])
        }
        _ => Value::Null,
    };
    let f = if matches!(f, OpFn::Write | OpFn::Cas) {
        f
    } else {
        OpFn::Read
    };
    OpSpec {
        f,
        key: key.to_string(),
        value,
    }
}

/// One compare-and-set register (see the module docs).
#[derive(Debug, Clone)]
pub struct RegisterWorkload {
    mix: Mix,
    value_count: u32,
}

impl RegisterWorkload {
    /// A register workload with the given settings.
    pub fn new(config: &WorkloadConfig) -> Result<Self, WorkloadError> {
        config.validate()?;
        Ok(RegisterWorkload {
            mix: register_mix(config, "register")?,
            value_count: config.value_count,
        })
    }
}

impl Workload for RegisterWorkload {
    fn name(&self) -> &'static str {
        "register"
    }

    fn checker(&self) -> CheckerModel {
        CheckerModel::CasRegister
    }

    fn next_op(&mut self, _worker: usize, rng: &mut ChaCha8Rng) -> OpSpec {
        let f = self.mix.pick(rng);
        register_op(f, REGISTER_KEY, self.value_count, rng)
    }

    fn final_read_keys(&self) -> Vec<String> {
        vec![REGISTER_KEY.to_string()]
    }
}
