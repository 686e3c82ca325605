//! Porcupine's key/value model: every key holds a string; `read` (get)
//! returns it, `write` (put) replaces it, `append` concatenates to it.
//! Keys are independent partitions.

use super::rope::Rope;
use super::{known, LinearizableSpec, Model, ModelError, Step, Translation, ValueTable};
use crate::history::{Operation, Outcome};
use serde_json::Value;
use stateright::semantics::SequentialSpec;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The string one key holds, as a persistent [`Rope`]: an append shares the
/// old string, so memoizing many long strings costs little memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendKvSpec {
    text: Rope,
}

impl AppendKvSpec {
    /// A key holding `value`.
    pub fn new(value: &str) -> Self {
        Self {
            text: Rope::from_piece(value.into()),
        }
    }

    /// The string the key holds.
    pub fn value(&self) -> String {
        self.text.to_string()
    }
}

impl Hash for AppendKvSpec {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.len().hash(state);
        self.text.content_hash().hash(state);
    }
}

/// An operation on an [`AppendKvSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppendKvOp {
    /// Returns the string.
    Get,
    /// Replaces the string.
    Put(Arc<str>),
    /// Appends to the string.
    Append(Arc<str>),
}

/// What an [`AppendKvOp`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppendKvRet {
    /// A get's string.
    Value(String),
    /// A put or append completed.
    Done,
}

impl SequentialSpec for AppendKvSpec {
    type Op = AppendKvOp;
    type Ret = AppendKvRet;

    fn invoke(&mut self, op: &AppendKvOp) -> AppendKvRet {
        match op {
            AppendKvOp::Get => AppendKvRet::Value(self.text.to_string()),
            AppendKvOp::Put(v) => {
                self.text = Rope::from_piece(Arc::clone(v));
                AppendKvRet::Done
            }
            AppendKvOp::Append(v) => {
                self.text = self.text.append(v);
                AppendKvRet::Done
            }
        }
    }
}

impl LinearizableSpec for AppendKvSpec {
    fn step(&self, op: &AppendKvOp, expected: Option<&AppendKvRet>) -> Step<Self> {
        match (op, expected) {
            (AppendKvOp::Get, None) => Step::Same,
            (AppendKvOp::Get, Some(AppendKvRet::Value(v))) if self.text.eq_str(v) => Step::Same,
            (AppendKvOp::Put(v), None | Some(AppendKvRet::Done)) => {
                if self.text.eq_str(v) {
                    Step::Same
                } else {
                    Step::Next(AppendKvSpec {
                        text: Rope::from_piece(Arc::clone(v)),
                    })
                }
            }
            (AppendKvOp::Append(v), None | Some(AppendKvRet::Done)) => {
                if v.is_empty() {
                    Step::Same
                } else {
                    Step::Next(AppendKvSpec {
                        text: self.text.append(v),
                    })
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
            "read" if op.outcome == Outcome::Ok && !op.output_unknown => {
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
                op: AppendKvOp::Put(text(op, &op.input, "write value")?.into()),
                expected: known(op, || AppendKvRet::Done),
            }),
            "append" => Ok(Translation::Apply {
                op: AppendKvOp::Append(text(op, &op.input, "append value")?.into()),
                expected: known(op, || AppendKvRet::Done),
            }),
            other => Err(ModelError::new(
                op,
                format!("the append-kv model has no operation {other:?}"),
            )),
        }
    }

    fn describe_state(&self, state: &AppendKvSpec, _values: &ValueTable) -> String {
        Value::String(state.value()).to_string()
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
