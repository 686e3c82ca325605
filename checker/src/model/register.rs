//! Registers: read/write, read/write/compare-and-set, and a map of
//! compare-and-set registers partitioned per key.

use super::values::Atom;
use super::{known, LinearizableSpec, Model, ModelError, Step, Translation, ValueTable};
use crate::history::{Operation, Outcome};
use serde_json::Value;
use stateright::semantics::SequentialSpec;

/// A register holding one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegisterSpec {
    /// The current value.
    pub value: Atom,
}

/// An operation on a [`RegisterSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    /// Returns the current value.
    Read,
    /// Replaces the value.
    Write(Atom),
    /// Replaces the value with `new` if it equals `old`.
    Cas {
        /// The value the register must hold.
        old: Atom,
        /// The value it then holds.
        new: Atom,
    },
}

/// What a [`RegisterOp`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisterRet {
    /// A read's value.
    Value(Atom),
    /// A write completed.
    Written,
    /// Whether a compare-and-set took effect.
    Swapped(bool),
}

impl SequentialSpec for RegisterSpec {
    type Op = RegisterOp;
    type Ret = RegisterRet;

    fn invoke(&mut self, op: &RegisterOp) -> RegisterRet {
        match *op {
            RegisterOp::Read => RegisterRet::Value(self.value),
            RegisterOp::Write(v) => {
                self.value = v;
                RegisterRet::Written
            }
            RegisterOp::Cas { old, new } => {
                let swapped = self.value == old;
                if swapped {
                    self.value = new;
                }
                RegisterRet::Swapped(swapped)
            }
        }
    }
}

impl LinearizableSpec for RegisterSpec {
    fn step(&self, op: &RegisterOp, expected: Option<&RegisterRet>) -> Step<Self> {
        let moved = |v: Atom| {
            if v == self.value {
                Step::Same
            } else {
                Step::Next(RegisterSpec { value: v })
            }
        };
        match (*op, expected) {
            (RegisterOp::Read, None) => Step::Same,
            (RegisterOp::Read, Some(RegisterRet::Value(v))) if *v == self.value => Step::Same,
            (RegisterOp::Write(v), None | Some(RegisterRet::Written)) => moved(v),
            (RegisterOp::Cas { old, new }, None) => {
                if old == self.value {
                    moved(new)
                } else {
                    Step::Same
                }
            }
            (RegisterOp::Cas { old, new }, Some(RegisterRet::Swapped(true)))
                if old == self.value =>
            {
                moved(new)
            }
            (RegisterOp::Cas { old, .. }, Some(RegisterRet::Swapped(false)))
                if old != self.value =>
            {
                Step::Same
            }
            _ => Step::Reject,
        }
    }
}

/// Which operations a [`RegisterModel`] accepts and how it partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterFlavor {
    /// `read` and `write`.
    Plain,
    /// `read`, `write` and `cas` (`[old, new]`, `ok` = it took effect).
    Cas,
    /// A map of compare-and-set registers: every operation needs a `key`.
    KeyValue,
}

/// The register models. Operations on different keys are independent
/// registers (operations without a key form one register of their own).
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterModel {
    /// Which operations are accepted.
    pub flavor: RegisterFlavor,
    /// The value every register starts with (`null` by default).
    pub initial: Value,
}

impl RegisterModel {
    /// A model of the given flavor starting at `initial`.
    pub fn new(flavor: RegisterFlavor, initial: Value) -> Self {
        Self { flavor, initial }
    }
}

impl Model for RegisterModel {
    type Spec = RegisterSpec;

    fn name(&self) -> String {
        match self.flavor {
            RegisterFlavor::Plain => "register",
            RegisterFlavor::Cas => "cas-register",
            RegisterFlavor::KeyValue => "kv",
        }
        .to_string()
    }

    fn partition_key(&self, op: &Operation) -> Result<Option<String>, ModelError> {
        if self.flavor == RegisterFlavor::KeyValue && op.key.is_none() {
            return Err(ModelError::new(
                op,
                "the kv model needs a key on every operation",
            ));
        }
        Ok(op.key.clone())
    }

    fn initial(&self, values: &mut ValueTable) -> RegisterSpec {
        RegisterSpec {
            value: values.intern(&self.initial),
        }
    }

    fn translate(
        &self,
        op: &Operation,
        values: &mut ValueTable,
    ) -> Result<Translation<RegisterSpec>, ModelError> {
        match op.f.as_str() {
            // Knossos: a read whose value the client did not learn matches
            // every state.
            "read" if op.outcome == Outcome::Ok && !op.output_unknown => Ok(Translation::Apply {
                op: RegisterOp::Read,
                expected: Some(RegisterRet::Value(values.intern(&op.output))),
            }),
            "read" => Ok(Translation::Ignore),
            "write" => Ok(Translation::Apply {
                op: RegisterOp::Write(values.intern(&op.input)),
                expected: known(op, || RegisterRet::Written),
            }),
            "cas" if self.flavor != RegisterFlavor::Plain => {
                let (old, new) = match &op.input {
                    Value::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1]),
                    other => {
                        return Err(ModelError::new(
                            op,
                            format!("cas value must be [old, new], got {other}"),
                        ))
                    }
                };
                Ok(Translation::Apply {
                    op: RegisterOp::Cas {
                        old: values.intern(old),
                        new: values.intern(new),
                    },
                    expected: known(op, || RegisterRet::Swapped(true)),
                })
            }
            other => Err(ModelError::new(
                op,
                format!("the {} model has no operation {other:?}", self.name()),
            )),
        }
    }

    fn describe_state(&self, state: &RegisterSpec, values: &ValueTable) -> String {
        values.value(state.value).to_string()
    }

    fn object_noun(&self) -> &'static str {
        "register"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom(n: u32) -> Atom {
        Atom(n)
    }

    #[test]
    fn step_agrees_with_invoke_for_every_op_and_return() {
        let ops = [
            RegisterOp::Read,
            RegisterOp::Write(atom(1)),
            RegisterOp::Write(atom(0)),
            RegisterOp::Cas {
                old: atom(0),
                new: atom(1),
            },
            RegisterOp::Cas {
                old: atom(1),
                new: atom(2),
            },
            RegisterOp::Cas {
                old: atom(0),
                new: atom(0),
            },
        ];
        let rets = [
            None,
            Some(RegisterRet::Value(atom(0))),
            Some(RegisterRet::Value(atom(1))),
            Some(RegisterRet::Written),
            Some(RegisterRet::Swapped(true)),
            Some(RegisterRet::Swapped(false)),
        ];
        let state = RegisterSpec { value: atom(0) };
        for op in ops {
            for ret in rets {
                let mut next = state;
                let actual = next.invoke(&op);
                let want = if ret.is_some_and(|r| r != actual) {
                    Step::Reject
                } else if next == state {
                    Step::Same
                } else {
                    Step::Next(next)
                };
                assert_eq!(state.step(&op, ret.as_ref()), want, "{op:?} {ret:?}");
            }
        }
    }
}
