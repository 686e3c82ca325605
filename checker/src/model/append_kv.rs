//! Porcupine's key/value model: every key holds a string; `read` (get)
//! returns it, `write` (put) replaces it, `append` concatenates to it.
//! Keys are independent partitions.

use super::{known, LinearizableSpec, Model, ModelError, Step, Translation, ValueTable};
use crate::history::{Operation, Outcome};
use serde_json::Value;
use stateright::semantics::SequentialSpec;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The string one key holds. Shared (`Arc`) so that memoizing a state does
/// not copy the string, and carrying its own hash so that memoizing does not
/// rehash it.
#[derive(Debug, Clone, Eq)]
pub struct AppendKvSpec {
    value: Arc<str>,
    hash: u64,
}

impl AppendKvSpec {
    /// A key holding `value`.
    pub fn new(value: &str) -> Self {
        Self {
            value: value.into(),
            hash: extend_hash(0, value),
        }
    }

    /// The string the key holds.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// A polynomial rolling hash: `extend_hash(extend_hash(0, a), b)` equals
/// `extend_hash(0, a + b)`, so an append rehashes only the suffix.
fn extend_hash(hash: u64, text: &str) -> u64 {
    const BASE: u64 = 0x0000_0100_0000_01B3;
    text.bytes().fold(hash, |h, b| {
        h.wrapping_mul(BASE).wrapping_add(u64::from(b) + 1)
    })
}

impl PartialEq for AppendKvSpec {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.value == other.value
    }
}

impl Hash for AppendKvSpec {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.hash.hash(state);
    }
}

/// An operation on an [`AppendKvSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppendKvOp {
    /// Returns the string.
    Get,
    /// Replaces the string.
    Put(String),
    /// Appends to the string.
    Append(String),
}

/// What an [`AppendKvOp`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppendKvRet {
    /// A get's string.
    Value(String),
    /// A put or append completed.
    Done,
}

impl AppendKvSpec {
    fn appended(&self, suffix: &str) -> AppendKvSpec {
        let mut text = String::with_capacity(self.value.len() + suffix.len());
        text.push_str(&self.value);
        text.push_str(suffix);
        AppendKvSpec {
            value: text.into(),
            hash: extend_hash(self.hash, suffix),
        }
    }
}

impl SequentialSpec for AppendKvSpec {
    type Op = AppendKvOp;
    type Ret = AppendKvRet;

    fn invoke(&mut self, op: &AppendKvOp) -> AppendKvRet {
        match op {
            AppendKvOp::Get => AppendKvRet::Value(self.value.to_string()),
            AppendKvOp::Put(v) => {
                *self = AppendKvSpec::new(v);
                AppendKvRet::Done
            }
            AppendKvOp::Append(v) => {
                *self = self.appended(v);
                AppendKvRet::Done
            }
        }
    }
}

impl LinearizableSpec for AppendKvSpec {
    fn step(&self, op: &AppendKvOp, expected: Option<&AppendKvRet>) -> Step<Self> {
        match (op, expected) {
            (AppendKvOp::Get, None) => Step::Same,
            (AppendKvOp::Get, Some(AppendKvRet::Value(v))) if **v == *self.value => Step::Same,
            (AppendKvOp::Put(v), None | Some(AppendKvRet::Done)) => {
                if **v == *self.value {
                    Step::Same
                } else {
                    Step::Next(AppendKvSpec::new(v))
                }
            }
            (AppendKvOp::Append(v), None | Some(AppendKvRet::Done)) => {
                if v.is_empty() {
                    Step::Same
                } else {
                    Step::Next(self.appended(v))
                }
            }
            _ => Step::Reject,
        }
    }
}

/// Porcupine's append-string key/value model; every key starts as `""`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppendKvModel;

fn text<'a>(op: &Operation, value: &'a Value, what: &str) -> Result<&'a str, ModelError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(ModelError::new(
            op,
            format!("append-kv {what} must be a string, got {other}"),
        )),
    }
}

impl Model for AppendKvModel {
    type Spec = AppendKvSpec;

    fn name(&self) -> String {
        "append-kv".to_string()
    }

    fn initial(&self, _values: &mut ValueTable) -> AppendKvSpec {
        AppendKvSpec::new("")
    }

    fn translate(
        &self,
        op: &Operation,
        _values: &mut ValueTable,
    ) -> Result<Translation<AppendKvSpec>, ModelError> {
        match op.f.as_str() {
            "read" if op.outcome == Outcome::Ok => {
                // A missing key reads as the empty string, as in Porcupine.
                let value = match &op.output {
                    Value::Null => "",
                    other => text(op, other, "read output")?,
                };
                Ok(Translation::Apply {
                    op: AppendKvOp::Get,
                    expected: Some(AppendKvRet::Value(value.to_string())),
                })
            }
            "read" => Ok(Translation::Ignore),
            "write" => Ok(Translation::Apply {
                op: AppendKvOp::Put(text(op, &op.input, "write value")?.to_string()),
                expected: known(op, || AppendKvRet::Done),
            }),
            "append" => Ok(Translation::Apply {
                op: AppendKvOp::Append(text(op, &op.input, "append value")?.to_string()),
                expected: known(op, || AppendKvRet::Done),
            }),
            other => Err(ModelError::new(
                op,
                format!("the append-kv model has no operation {other:?}"),
            )),
        }
    }

    fn describe_state(&self, state: &AppendKvSpec, _values: &ValueTable) -> String {
        Value::String(state.value.to_string()).to_string()
    }

    fn object_noun(&self) -> &'static str {
        "value"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_concatenates_and_get_must_match_exactly() {
        let empty = AppendKvSpec::new("");
        let Step::Next(one) = empty.step(&AppendKvOp::Append("x 0 y".into()), None) else {
            panic!("append must change the state");
        };
        assert_eq!(one.value(), "x 0 y");
        assert_eq!(
            one,
            AppendKvSpec::new("x 0 y"),
            "an append hashes like the whole string"
        );
        let got = AppendKvRet::Value("x 0 y".into());
        assert_eq!(one.step(&AppendKvOp::Get, Some(&got)), Step::Same);
        assert_eq!(empty.step(&AppendKvOp::Get, Some(&got)), Step::Reject);
        let mut invoked = one.clone();
        assert_eq!(
            invoked.invoke(&AppendKvOp::Put("z".into())),
            AppendKvRet::Done
        );
        assert_eq!(invoked.value(), "z");
    }
}
