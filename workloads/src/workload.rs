//! The workload trait, the built-in workload names and their shared settings.

use std::str::FromStr;

use faultline_checker::ModelKind;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::append::AppendWorkload;
use crate::error::WorkloadError;
use crate::kv::KvWorkload;
use crate::op::{OpFn, OpSpec};
use crate::register::RegisterWorkload;
use crate::set::SetWorkload;

/// A source of operations for the main phase, plus the keys to read at the
/// end. Implementations are pure: all randomness comes from the rng passed in.
pub trait Workload: std::fmt::Debug + Send {
    /// The workload's name (`register`, `kv`, `set`, `append`).
    fn name(&self) -> &'static str;

    /// The checker the recorded history must pass.
    fn checker(&self) -> CheckerModel;

    /// The next main-phase operation for `worker`.
    fn next_op(&mut self, worker: usize, rng: &mut ChaCha8Rng) -> OpSpec;

    /// The keys to read once each in the final-read phase, in order.
    fn final_read_keys(&self) -> Vec<String>;
}

/// Which checker a workload's history needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckerModel {
    /// Linearizability against a compare-and-set register per key (initial
    /// value `null`): the `cas-register` model.
    CasRegister,
    /// Linearizability per key against the key-value map of compare-and-set
    /// registers: the `kv` model.
    Kv,
    /// The set checker (lost / unexpected / duplicated elements).
    Set,
    /// The append checker (per-key lists growing in one real-time order).
    Append,
}

impl CheckerModel {
    /// The linearizability model for this history, if one applies (the
    /// append workload is judged by the append checker alone; the set
    /// workload by the set checker and, optionally, the `set` model).
    pub fn model_kind(self) -> Option<ModelKind> {
        match self {
            CheckerModel::CasRegister => Some(ModelKind::CasRegister {
                initial: Value::Null,
            }),
            CheckerModel::Kv => Some(ModelKind::Kv),
            CheckerModel::Set => Some(ModelKind::Set),
            CheckerModel::Append => None,
        }
    }

    /// The model's name as `faultline check --model` spells it, or the
    /// checker's name for the set and append checkers.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckerModel::CasRegister => "cas-register",
            CheckerModel::Kv => "kv",
            CheckerModel::Set => "set",
            CheckerModel::Append => "append",
        }
    }
}

/// The built-in workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    /// One register: read / write / cas over a few values.
    Register,
    /// Many independent registers whose op counts drift apart.
    Kv,
    /// Unique adds to a set, then final reads.
    Set,
    /// Unique appends to per-key lists; reads return whole lists.
    Append,
}

impl WorkloadKind {
    /// Every built-in workload.
    pub const ALL: [WorkloadKind; 4] = [
        WorkloadKind::Register,
        WorkloadKind::Kv,
        WorkloadKind::Set,
        WorkloadKind::Append,
    ];

    /// The workload's name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Register => "register",
            WorkloadKind::Kv => "kv",
            WorkloadKind::Set => "set",
            WorkloadKind::Append => "append",
        }
    }
}

impl FromStr for WorkloadKind {
    type Err = WorkloadError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WorkloadKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| WorkloadError::UnknownName(s.to_string()))
    }
}

impl std::fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings shared by the built-in workloads (each uses the ones it needs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadConfig {
    /// Keys in use at any one time (`kv`, `append`).
    pub active_keys: usize,
    /// Mean number of operations a key receives before it is retired and a
    /// fresh key takes its place (`kv`, `append`); each key's budget is drawn
    /// from `[mean/2, 3*mean/2]`, so keys drift out of step. Bounding each
    /// key's history keeps its linearizability check small.
    pub ops_per_key_mean: u32,
    /// Most consecutive operations a worker spends on one key before moving
    /// to another (`kv`, `append`); each run length is drawn from `1..=max`.
    pub run_length_max: u32,
    /// Register values are drawn from `0..value_count` (`register`, `kv`):
    /// small, so compare-and-set sometimes succeeds.
    pub value_count: u32,
    /// The op mix; `None` takes the workload's default.
    pub mix: Option<Vec<(OpFn, u32)>>,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            active_keys: 4,
            ops_per_key_mean: 60,
            run_length_max: 8,
            value_count: 5,
            mix: None,
        }
    }
}

impl WorkloadConfig {
    /// Checks the ranges every workload relies on.
    pub fn validate(&self) -> Result<(), WorkloadError> {
        let bad = |field, reason: &str| {
            Err(WorkloadError::InvalidSetting {
                field,
                reason: reason.to_string(),
            })
        };
        if self.active_keys == 0 {
            return bad("active_keys", "must be at least 1");
        }
        if self.ops_per_key_mean == 0 {
            return bad("ops_per_key_mean", "must be at least 1");
        }
        if self.run_length_max == 0 {
            return bad("run_length_max", "must be at least 1");
        }
        if self.value_count == 0 {
            return bad("value_count", "must be at least 1");
        }
        Ok(())
    }
}

/// Builds a built-in workload from its kind and settings.
pub fn build_workload(
    kind: WorkloadKind,
    config: &WorkloadConfig,
) -> Result<Box<dyn Workload>, WorkloadError> {
    config.validate()?;
    Ok(match kind {
        WorkloadKind::Register => Box::new(RegisterWorkload::new(config)?),
        WorkloadKind::Kv => Box::new(KvWorkload::new(config)?),
        WorkloadKind::Set => Box::new(SetWorkload::new(config)?),
        WorkloadKind::Append => Box::new(AppendWorkload::new(config)?),
    })
}

/// Checks that a mix only uses functions the workload supports.
pub(crate) fn check_mix_fns(
    mix: &[(OpFn, u32)],
    allowed: &[OpFn],
    workload: &str,
) -> Result<(), WorkloadError> {
    match mix.iter().find(|(f, w)| *w > 0 && !allowed.contains(f)) {
        Some((f, _)) => Err(WorkloadError::InvalidSetting {
            field: "mix",
            reason: format!("the {workload} workload has no {f} operation"),
        }),
        None => Ok(()),
    }
}
