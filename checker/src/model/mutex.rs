//! Knossos's `mutex`: a lock answering `acquire` and `release` (Jepsen's
//! lock tests). Acquiring a held lock and releasing a free one are
//! inconsistent; a `fail`ed acquire did not take the lock.

use super::{known, LinearizableSpec, Model, ModelError, Step, Translation, ValueTable};
use crate::history::Operation;
use stateright::semantics::SequentialSpec;

/// A lock, held or free.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MutexSpec {
    /// Whether some client holds the lock.
    pub locked: bool,
}

/// An operation on a [`MutexSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MutexOp {
    /// Takes the lock.
    Acquire,
    /// Gives the lock back.
    Release,
}

/// What a [`MutexOp`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MutexRet {
    /// The operation took effect.
    Done,
    /// The operation is impossible in this state (acquiring a held lock,
    /// releasing a free one); no `ok` operation may return this.
    Refused,
}

impl SequentialSpec for MutexSpec {
    type Op = MutexOp;
    type Ret = MutexRet;

    fn invoke(&mut self, op: &MutexOp) -> MutexRet {
        let want_locked = *op == MutexOp::Release;
        if self.locked != want_locked {
            return MutexRet::Refused;
        }
        self.locked = !self.locked;
        MutexRet::Done
    }
}

impl LinearizableSpec for MutexSpec {
    fn step(&self, op: &MutexOp, expected: Option<&MutexRet>) -> Step<Self> {
        let legal = self.locked == (*op == MutexOp::Release);
        match (legal, expected) {
            (true, None | Some(MutexRet::Done)) => Step::Next(MutexSpec {
                locked: !self.locked,
            }),
            (false, Some(MutexRet::Refused)) => Step::Same,
            _ => Step::Reject,
        }
    }
}

/// The mutex model; every partition (key) is one lock, starting free.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MutexModel;

impl Model for MutexModel {
    type Spec = MutexSpec;

    fn name(&self) -> String {
        "mutex".to_string()
    }

    fn initial(&self, _values: &mut ValueTable) -> MutexSpec {
        MutexSpec::default()
    }

    fn translate(
        &self,
        op: &Operation,
        _values: &mut ValueTable,
    ) -> Result<Translation<MutexSpec>, ModelError> {
        let spec_op = match op.f.as_str() {
            "acquire" => MutexOp::Acquire,
            "release" => MutexOp::Release,
            other => {
                return Err(ModelError::new(
                    op,
                    format!(
                        "the mutex model has no operation {other:?} (expected acquire or release)"
                    ),
                ))
            }
        };
        Ok(Translation::Apply {
            op: spec_op,
            expected: known(op, || MutexRet::Done),
        })
    }

    fn describe_state(&self, state: &MutexSpec, _values: &ValueTable) -> String {
        if state.locked { "held" } else { "free" }.to_string()
    }

    fn object_noun(&self) -> &'static str {
        "lock"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_cannot_be_acquired_and_a_free_one_not_released() {
        let free = MutexSpec::default();
        let held = MutexSpec { locked: true };
        let done = Some(&MutexRet::Done);
        assert_eq!(free.step(&MutexOp::Acquire, done), Step::Next(held));
        assert_eq!(held.step(&MutexOp::Acquire, done), Step::Reject);
        assert_eq!(held.step(&MutexOp::Release, None), Step::Next(free));
        assert_eq!(free.step(&MutexOp::Release, done), Step::Reject);
        let mut invoked = held;
        assert_eq!(invoked.invoke(&MutexOp::Acquire), MutexRet::Refused);
        assert_eq!(invoked, held);
    }
}
