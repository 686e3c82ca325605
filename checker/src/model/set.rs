//! A grow-only set: `add` inserts an element, `read` returns the whole set.

use super::values::Atom;
use super::{known, LinearizableSpec, Model, ModelError, Step, Translation, ValueTable};
use crate::history::{Operation, Outcome};
use serde_json::Value;
use stateright::semantics::SequentialSpec;

/// The set's elements, sorted and distinct.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SetSpec {
    /// Sorted, distinct elements.
    pub elements: Vec<Atom>,
}

/// An operation on a [`SetSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SetOp {
    /// Inserts an element.
    Add(Atom),
    /// Returns all elements.
    Read,
}

/// What a [`SetOp`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SetRet {
    /// An add completed.
    Added,
    /// A read's elements, sorted (duplicates kept, so a read that saw an
    /// element twice matches no state).
    Elements(Vec<Atom>),
}

impl SequentialSpec for SetSpec {
    type Op = SetOp;
    type Ret = SetRet;

    fn invoke(&mut self, op: &SetOp) -> SetRet {
        match op {
            SetOp::Add(x) => {
                if let Err(at) = self.elements.binary_search(x) {
                    self.elements.insert(at, *x);
                }
                SetRet::Added
            }
            SetOp::Read => SetRet::Elements(self.elements.clone()),
        }
    }
}

impl LinearizableSpec for SetSpec {
    fn step(&self, op: &SetOp, expected: Option<&SetRet>) -> Step<Self> {
        match (op, expected) {
            (SetOp::Read, None) => Step::Same,
            (SetOp::Read, Some(SetRet::Elements(seen))) if *seen == self.elements => Step::Same,
            (SetOp::Add(x), None | Some(SetRet::Added)) => match self.elements.binary_search(x) {
                Ok(_) => Step::Same,
                Err(at) => {
                    let mut elements = Vec::with_capacity(self.elements.len() + 1);
                    elements.extend_from_slice(&self.elements[..at]);
                    elements.push(*x);
                    elements.extend_from_slice(&self.elements[at..]);
                    Step::Next(SetSpec { elements })
                }
            },
            _ => Step::Reject,
        }
    }
}

/// The set model; every partition starts empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetModel;

impl Model for SetModel {
    type Spec = SetSpec;

    fn name(&self) -> String {
        "set".to_string()
    }

    fn initial(&self, _values: &mut ValueTable) -> SetSpec {
        SetSpec::default()
    }

    fn translate(
        &self,
        op: &Operation,
        values: &mut ValueTable,
    ) -> Result<Translation<SetSpec>, ModelError> {
        match op.f.as_str() {
            "add" => Ok(Translation::Apply {
                op: SetOp::Add(values.intern(&op.input)),
                expected: known(op, || SetRet::Added),
            }),
            "read" if op.outcome == Outcome::Ok && !op.output_unknown => match &op.output {
                Value::Array(items) => {
                    let mut seen: Vec<Atom> = items.iter().map(|v| values.intern(v)).collect();
                    seen.sort_unstable();
                    Ok(Translation::Apply {
                        op: SetOp::Read,
                        expected: Some(SetRet::Elements(seen)),
                    })
                }
                other => Err(ModelError::new(
                    op,
                    format!("a set read must return an array, got {other}"),
                )),
            },
            "read" => Ok(Translation::Ignore),
            other => Err(ModelError::new(
                op,
                format!("the set model has no operation {other:?}"),
            )),
        }
    }

    fn describe_state(&self, state: &SetSpec, values: &ValueTable) -> String {
        let items: Vec<Value> = state
            .elements
            .iter()
            .map(|a| values.value(*a).clone())
            .collect();
        Value::Array(items).to_string()
    }

    fn object_noun(&self) -> &'static str {
        "set"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_must_see_exactly_the_added_elements() {
        let empty = SetSpec::default();
        let Step::Next(one) = empty.step(&SetOp::Add(Atom(5)), Some(&SetRet::Added)) else {
            panic!("add must change an empty set");
        };
        assert_eq!(one.step(&SetOp::Add(Atom(5)), None), Step::Same);
        assert_eq!(
            one.step(&SetOp::Read, Some(&SetRet::Elements(vec![Atom(5)]))),
            Step::Same
        );
        assert_eq!(
            one.step(&SetOp::Read, Some(&SetRet::Elements(vec![]))),
            Step::Reject
        );
        let twice = SetRet::Elements(vec![Atom(5), Atom(5)]);
        assert_eq!(one.step(&SetOp::Read, Some(&twice)), Step::Reject);
    }
}
