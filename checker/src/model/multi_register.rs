//! Knossos's `multi-register`: registers named by keys, read and written
//! by transactions that are linearizable as a whole. The one function is
//! `txn`; its value is a list of micro-ops `[f, k, v]` with `f` `read` (or
//! `r`) or `write` (or `w`), `k` a key (string or integer) and `v` a value:
//!
//! ```text
//! invoke  [["read","x",null],["write","y",2]]
//! ok      [["read","x",1],["write","y",2]]
//! ```
//!
//! An `ok` completion's micro-ops give the values read; a read micro-op
//! without a value (`["read","x"]`) read an unknown value and matches any,
//! as Knossos's `nil` reads do (the Jepsen importer turns `[:read :x nil]`
//! into that form). An `info` transaction's writes may take effect; its
//! reads constrain nothing. Registers start at `null` unless the initial
//! value (a JSON object of key to value) says otherwise.

use std::sync::Arc;

use super::values::Atom;
use super::{LinearizableSpec, Model, ModelError, Step, Translation, ValueTable};
use crate::history::{Operation, Outcome};
use serde_json::{Map, Value};
use stateright::semantics::SequentialSpec;

/// One micro-op of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MicroOp {
    /// Reads a register; the value read, if known.
    Read {
        /// The register.
        key: Atom,
        /// The value the history recorded, `None` if unknown.
        value: Option<Atom>,
    },
    /// Writes a register.
    Write {
        /// The register.
        key: Atom,
        /// The new value.
        value: Atom,
    },
}

/// A transaction: micro-ops applied in order, all at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Txn(pub Arc<[MicroOp]>);

/// What a [`Txn`] returns: the value of each read micro-op, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxnReads(pub Vec<Atom>);

/// The registers: every key that holds a value other than `nil`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MultiRegisterSpec {
    /// The value of a register that was never written.
    pub nil: Atom,
    /// (key, value) pairs sorted by key; keys holding `nil` are absent.
    pub registers: Vec<(Atom, Atom)>,
}

impl MultiRegisterSpec {
    /// The value of `key`.
    pub fn get(&self, key: Atom) -> Atom {
        match self.registers.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(at) => self.registers[at].1,
            Err(_) => self.nil,
        }
    }

    fn set(&mut self, key: Atom, value: Atom) {
        match self.registers.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(at) if value == self.nil => {
                self.registers.remove(at);
            }
            Ok(at) => self.registers[at].1 = value,
            Err(_) if value == self.nil => {}
            Err(at) => self.registers.insert(at, (key, value)),
        }
    }
}

impl SequentialSpec for MultiRegisterSpec {
    type Op = Txn;
    type Ret = TxnReads;

    fn invoke(&mut self, op: &Txn) -> TxnReads {
        let mut reads = Vec::new();
        for micro in op.0.iter() {
            match *micro {
                MicroOp::Read { key, .. } => reads.push(self.get(key)),
                MicroOp::Write { key, value } => self.set(key, value),
            }
        }
        TxnReads(reads)
    }
}

impl LinearizableSpec for MultiRegisterSpec {
    /// The recorded read values travel in the micro-ops themselves (so some
    /// may be unknown); `expected` is not consulted.
    fn step(&self, op: &Txn, _expected: Option<&TxnReads>) -> Step<Self> {
        let mut next: Option<MultiRegisterSpec> = None;
        for micro in op.0.iter() {
            let now = next.as_ref().unwrap_or(self);
            match *micro {
                MicroOp::Read {
                    key,
                    value: Some(seen),
                } if now.get(key) != seen => return Step::Reject,
                MicroOp::Read { .. } => {}
                MicroOp::Write { key, value } if now.get(key) != value => {
                    next.get_or_insert_with(|| self.clone()).set(key, value);
                }
                MicroOp::Write { .. } => {}
            }
        }
        match next {
            Some(state) if state != *self => Step::Next(state),
            _ => Step::Same,
        }
    }
}

/// Knossos's multi-register model.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiRegisterModel {
    /// The registers' starting values: `null`, or an object of key to value.
    pub initial: Value,
}

impl MultiRegisterModel {
    /// Registers starting at `initial` (`null` or a JSON object).
    pub fn new(initial: Value) -> Self {
        MultiRegisterModel { initial }
    }
}

fn key_atom(op: &Operation, key: &Value, values: &mut ValueTable) -> Result<Atom, ModelError> {
    let name = match key {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        other => {
            return Err(ModelError::new(
                op,
                format!("a micro-op's key must be a string or an integer, got {other}"),
            ))
        }
    };
    Ok(values.intern(&Value::String(name)))
}

/// Parses the micro-ops of `value`; reads keep their values only when
/// `with_reads` (an `ok` completion's value).
fn micro_ops(
    op: &Operation,
    value: &Value,
    with_reads: bool,
    values: &mut ValueTable,
) -> Result<Vec<MicroOp>, ModelError> {
    let Value::Array(items) = value else {
        return Err(ModelError::new(
            op,
            format!("a txn's value must be a list of [f, key, value] micro-ops, got {value}"),
        ));
    };
    let mut micro = Vec::with_capacity(items.len());
    for item in items {
        let parts = match item {
            Value::Array(parts) if (2..=3).contains(&parts.len()) => parts,
            other => {
                return Err(ModelError::new(
                    op,
                    format!("a micro-op must be [f, key] or [f, key, value], got {other}"),
                ))
            }
        };
        let key = key_atom(op, &parts[1], values)?;
        micro.push(match (parts[0].as_str(), parts.get(2)) {
            (Some("read" | "r"), seen) => MicroOp::Read {
                key,
                value: seen.filter(|_| with_reads).map(|v| values.intern(v)),
            },
            (Some("write" | "w"), Some(v)) => MicroOp::Write {
                key,
                value: values.intern(v),
            },
            _ => {
                return Err(ModelError::new(
                    op,
                    format!("a micro-op must be a read or a write [write, key, value], got {item}"),
                ))
            }
        });
    }
    Ok(micro)
}

impl Model for MultiRegisterModel {
    type Spec = MultiRegisterSpec;

    fn name(&self) -> String {
        "multi-register".to_string()
    }

    fn initial(&self, values: &mut ValueTable) -> MultiRegisterSpec {
        let mut state = MultiRegisterSpec {
            nil: values.intern(&Value::Null),
            registers: Vec::new(),
        };
        if let Value::Object(map) = &self.initial {
            for (k, v) in map {
                let key = values.intern(&Value::String(k.clone()));
                let value = values.intern(v);
                state.set(key, value);
            }
        }
        state
    }

    fn translate(
        &self,
        op: &Operation,
        values: &mut ValueTable,
    ) -> Result<Translation<MultiRegisterSpec>, ModelError> {
        if op.f != "txn" {
            return Err(ModelError::new(
                op,
                format!(
                    "the multi-register model has no operation {:?} (expected txn)",
                    op.f
                ),
            ));
        }
        let known = op.outcome == Outcome::Ok && !op.output_unknown;
        let micro = if known {
            micro_ops(op, &op.output, true, values)?
        } else {
            micro_ops(op, &op.input, false, values)?
        };
        let only_reads = micro
            .iter()
            .all(|m| matches!(m, MicroOp::Read { value: None, .. }));
        if only_reads {
            return Ok(Translation::Ignore);
        }
        Ok(Translation::Apply {
            op: Txn(micro.into()),
            expected: None,
        })
    }

    fn describe_state(&self, state: &MultiRegisterSpec, values: &ValueTable) -> String {
        let mut map = Map::new();
        for (k, v) in &state.registers {
            let key = values.value(*k).as_str().unwrap_or_default().to_owned();
            map.insert(key, values.value(*v).clone());
        }
        Value::Object(map).to_string()
    }

    fn object_noun(&self) -> &'static str {
        "registers"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> MultiRegisterSpec {
        MultiRegisterSpec {
            nil: Atom(0),
            registers: Vec::new(),
        }
    }

    fn txn(micro: &[MicroOp]) -> Txn {
        Txn(micro.into())
    }

    #[test]
    fn reads_see_the_writes_before_them_and_unknown_reads_match_anything() {
        let (x, y) = (Atom(10), Atom(11));
        let write = MicroOp::Write {
            key: x,
            value: Atom(1),
        };
        let read = |key, value| MicroOp::Read { key, value };
        let Step::Next(one) = spec().step(&txn(&[write, read(x, Some(Atom(1)))]), None) else {
            panic!("a read after a write in one txn sees it");
        };
        assert_eq!(one.get(x), Atom(1));
        assert_eq!(one.get(y), Atom(0));
        assert_eq!(
            one.step(&txn(&[read(x, Some(Atom(0)))]), None),
            Step::Reject
        );
        assert_eq!(
            one.step(&txn(&[read(x, None), read(y, Some(Atom(0)))]), None),
            Step::Same
        );
        let mut invoked = one.clone();
        let reads = invoked.invoke(&txn(&[
            read(y, None),
            MicroOp::Write {
                key: x,
                value: Atom(0),
            },
        ]));
        assert_eq!(reads, TxnReads(vec![Atom(0)]));
        assert_eq!(invoked, spec(), "writing nil back forgets the register");
    }
}
