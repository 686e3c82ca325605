//! The bridge between `stateright::semantics::SequentialSpec` and the search:
//! a step that checks an expected return value without cloning the state
//! when the operation leaves it unchanged.

use stateright::semantics::SequentialSpec;
use std::fmt::Debug;
use std::hash::Hash;

/// What applying one operation to a state does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<S> {
    /// The operation is allowed here and leaves the state as it was.
    Same,
    /// The operation is allowed here and moves to this new state.
    Next(S),
    /// The operation cannot return the recorded value from this state.
    Reject,
}

/// A sequential specification the linearizability search can drive. Any
/// `SequentialSpec` that is `Clone + Hash + Eq` qualifies with an empty
/// `impl`; the built-in models override [`LinearizableSpec::step`] to avoid
/// cloning on reads.
pub trait LinearizableSpec:
    SequentialSpec<Op: Send + Sync, Ret: Send + Sync> + Clone + Hash + Eq + Debug + Send + Sync
{
    /// Applies `op` to this state. `expected` is the return value the history
    /// recorded, or `None` when it is unknown (an `info` operation), in which
    /// case any return value is accepted.
    fn step(&self, op: &Self::Op, expected: Option<&Self::Ret>) -> Step<Self> {
        let mut next = self.clone();
        let ret = next.invoke(op);
        if expected.is_some_and(|want| *want != ret) {
            Step::Reject
        } else if next == *self {
            Step::Same
        } else {
            Step::Next(next)
        }
    }
}
