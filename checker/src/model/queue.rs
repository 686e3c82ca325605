//! Knossos's queues: `unordered-queue` (a dequeue may return any pending
//! element) and `fifo-queue` (a dequeue returns the oldest). `enqueue`'s
//! value is the element; an `ok` dequeue's value is the element it got.
//!
//! A dequeue whose element is unknown (`info`, or `ok` with an unknown
//! value) is exact in both: in a FIFO queue it removes the head, if any; in
//! an unordered queue it is left out, because no operation observes that an
//! element is missing, so a linearization that removes nothing is valid
//! whenever one that removes something is.

use std::collections::VecDeque;

use super::values::Atom;
use super::{known, LinearizableSpec, Model, ModelError, Step, Translation, ValueTable};
use crate::history::{Operation, Outcome};
use serde_json::Value;
use stateright::semantics::SequentialSpec;

/// A FIFO queue's pending elements, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FifoQueueSpec {
    /// The pending elements, oldest first.
    pub items: VecDeque<Atom>,
}

/// An operation on a [`FifoQueueSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FifoOp {
    /// Adds an element at the back.
    Enqueue(Atom),
    /// Removes the front element.
    Dequeue,
}

/// What a [`FifoOp`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FifoRet {
    /// An enqueue completed.
    Enqueued,
    /// The element a dequeue removed, `None` if the queue was empty.
    Dequeued(Option<Atom>),
}

impl SequentialSpec for FifoQueueSpec {
    type Op = FifoOp;
    type Ret = FifoRet;

    fn invoke(&mut self, op: &FifoOp) -> FifoRet {
        match op {
            FifoOp::Enqueue(x) => {
                self.items.push_back(*x);
                FifoRet::Enqueued
            }
            FifoOp::Dequeue => FifoRet::Dequeued(self.items.pop_front()),
        }
    }
}

impl LinearizableSpec for FifoQueueSpec {
    fn step(&self, op: &FifoOp, expected: Option<&FifoRet>) -> Step<Self> {
        match (op, expected) {
            (FifoOp::Enqueue(x), None | Some(FifoRet::Enqueued)) => {
                let mut next = self.clone();
                next.items.push_back(*x);
                Step::Next(next)
            }
            (FifoOp::Dequeue, None) if self.items.is_empty() => Step::Same,
            (FifoOp::Dequeue, None) => {
                let mut next = self.clone();
                next.items.pop_front();
                Step::Next(next)
            }
            (FifoOp::Dequeue, Some(FifoRet::Dequeued(got)))
                if self.items.front() == got.as_ref() =>
            {
                if got.is_none() {
                    return Step::Same;
                }
                let mut next = self.clone();
                next.items.pop_front();
                Step::Next(next)
            }
            _ => Step::Reject,
        }
    }
}

/// An unordered queue's pending elements: a multiset, kept sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UnorderedQueueSpec {
    /// The pending elements, sorted (duplicates kept).
    pub items: Vec<Atom>,
}

/// An operation on an [`UnorderedQueueSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnorderedOp {
    /// Adds an element.
    Enqueue(Atom),
    /// Removes this element, if pending.
    Dequeue(Atom),
}

/// What an [`UnorderedOp`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnorderedRet {
    /// An enqueue completed.
    Enqueued,
    /// Whether the element was pending (and is now removed).
    Dequeued(bool),
}

impl SequentialSpec for UnorderedQueueSpec {
    type Op = UnorderedOp;
    type Ret = UnorderedRet;

    fn invoke(&mut self, op: &UnorderedOp) -> UnorderedRet {
        match op {
            UnorderedOp::Enqueue(x) => {
                let at = self.items.partition_point(|y| y < x);
                self.items.insert(at, *x);
                UnorderedRet::Enqueued
            }
            UnorderedOp::Dequeue(x) => match self.items.binary_search(x) {
                Ok(at) => {
                    self.items.remove(at);
                    UnorderedRet::Dequeued(true)
                }
                Err(_) => UnorderedRet::Dequeued(false),
            },
        }
    }
}

impl LinearizableSpec for UnorderedQueueSpec {}

/// Knossos's `fifo-queue`; every partition (key) is one queue, starting
/// empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FifoQueueModel;

/// Knossos's `unordered-queue`; every partition (key) is one queue,
/// starting empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnorderedQueueModel;

/// The element of an `ok` dequeue, or `None` when it is unknown.
fn dequeued(op: &Operation) -> Option<&Value> {
    (op.outcome == Outcome::Ok && !op.output_unknown).then_some(&op.output)
}

fn unknown_f(op: &Operation, model: &str) -> ModelError {
    ModelError::new(
        op,
        format!(
            "the {model} model has no operation {:?} (expected enqueue or dequeue)",
            op.f
        ),
    )
}

fn describe(items: impl Iterator<Item = Atom>, values: &ValueTable) -> String {
    Value::Array(items.map(|a| values.value(a).clone()).collect()).to_string()
}

impl Model for FifoQueueModel {
    type Spec = FifoQueueSpec;

    fn name(&self) -> String {
        "fifo-queue".to_string()
    }

    fn initial(&self, _values: &mut ValueTable) -> FifoQueueSpec {
        FifoQueueSpec::default()
    }

    fn translate(
        &self,
        op: &Operation,
        values: &mut ValueTable,
    ) -> Result<Translation<FifoQueueSpec>, ModelError> {
        match op.f.as_str() {
            "enqueue" => Ok(Translation::Apply {
                op: FifoOp::Enqueue(values.intern(&op.input)),
                expected: known(op, || FifoRet::Enqueued),
            }),
            "dequeue" => Ok(Translation::Apply {
                op: FifoOp::Dequeue,
                expected: dequeued(op).map(|v| FifoRet::Dequeued(Some(values.intern(v)))),
            }),
            _ => Err(unknown_f(op, "fifo-queue")),
        }
    }

    fn describe_state(&self, state: &FifoQueueSpec, values: &ValueTable) -> String {
        describe(state.items.iter().copied(), values)
    }

    fn object_noun(&self) -> &'static str {
        "queue"
    }
}

impl Model for UnorderedQueueModel {
    type Spec = UnorderedQueueSpec;

    fn name(&self) -> String {
        "unordered-queue".to_string()
    }

    fn initial(&self, _values: &mut ValueTable) -> UnorderedQueueSpec {
        UnorderedQueueSpec::default()
    }

    fn translate(
        &self,
        op: &Operation,
        values: &mut ValueTable,
    ) -> Result<Translation<UnorderedQueueSpec>, ModelError> {
        match op.f.as_str() {
            "enqueue" => Ok(Translation::Apply {
                op: UnorderedOp::Enqueue(values.intern(&op.input)),
                expected: known(op, || UnorderedRet::Enqueued),
            }),
            "dequeue" => Ok(match dequeued(op) {
                Some(v) => Translation::Apply {
                    op: UnorderedOp::Dequeue(values.intern(v)),
                    expected: Some(UnorderedRet::Dequeued(true)),
                },
                None => Translation::Ignore,
            }),
            _ => Err(unknown_f(op, "unordered-queue")),
        }
    }

    fn describe_state(&self, state: &UnorderedQueueSpec, values: &ValueTable) -> String {
        describe(state.items.iter().copied(), values)
    }

    fn object_noun(&self) -> &'static str {
        "queue"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_dequeue_must_take_the_oldest_element() {
        let mut q = FifoQueueSpec::default();
        q.invoke(&FifoOp::Enqueue(Atom(1)));
        q.invoke(&FifoOp::Enqueue(Atom(2)));
        let got = |a| Some(FifoRet::Dequeued(Some(Atom(a))));
        assert_eq!(q.step(&FifoOp::Dequeue, got(2).as_ref()), Step::Reject);
        let Step::Next(rest) = q.step(&FifoOp::Dequeue, got(1).as_ref()) else {
            panic!("the oldest element dequeues");
        };
        assert_eq!(rest.items, [Atom(2)]);
        assert_eq!(q.step(&FifoOp::Dequeue, None), Step::Next(rest));
        let empty = FifoQueueSpec::default();
        assert_eq!(empty.step(&FifoOp::Dequeue, None), Step::Same);
        assert_eq!(empty.step(&FifoOp::Dequeue, got(1).as_ref()), Step::Reject);
    }

    #[test]
    fn an_unordered_dequeue_takes_any_pending_element_once() {
        let mut q = UnorderedQueueSpec::default();
        q.invoke(&UnorderedOp::Enqueue(Atom(2)));
        q.invoke(&UnorderedOp::Enqueue(Atom(1)));
        q.invoke(&UnorderedOp::Enqueue(Atom(2)));
        assert_eq!(q.items, [Atom(1), Atom(2), Atom(2)]);
        let ok = Some(UnorderedRet::Dequeued(true));
        let Step::Next(one) = q.step(&UnorderedOp::Dequeue(Atom(2)), ok.as_ref()) else {
            panic!("a pending element dequeues");
        };
        assert_eq!(one.items, [Atom(1), Atom(2)]);
        assert_eq!(
            one.step(&UnorderedOp::Dequeue(Atom(3)), ok.as_ref()),
            Step::Reject
        );
    }
}
