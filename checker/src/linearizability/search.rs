//! The search for one partition: Wing & Gong's algorithm with Lowe's
//! just-in-time linearization, as Porcupine implements it.
//!
//! Calls and returns are laid out in a doubly linked list in time order. The
//! search walks the list from its head: at a call it tries to linearize that
//! operation now (the model must accept the recorded return value, and the
//! resulting (linearized set, state) pair must be new); if that works the
//! operation's call and return are lifted out of the list and the walk starts
//! over. Reaching a return means that operation should already have taken
//! effect, so the last choice is undone (unlifted) and the walk continues
//! after it. Operations that never returned (`info`) have no return in the
//! list: they may take effect any time after their call, or never, so the
//! search succeeds as soon as every operation that did return is linearized.

use super::bitset::{Forms, LinearizedSet};
use super::memo::{Insert, Memo};
use crate::model::{LinearizableSpec, Step};
use std::time::Instant;

const NIL: u32 = u32::MAX;

/// How often (in search steps) the clock is read for the time limit.
const STEPS_PER_CLOCK_READ: u64 = 4096;

/// One operation of a partition, ready for the search.
#[derive(Debug, Clone)]
pub(crate) struct SearchOp<S: LinearizableSpec> {
    /// The specification's operation.
    pub op: S::Op,
    /// The recorded return value; `None` accepts any.
    pub expected: Option<S::Ret>,
    /// When it was invoked: (time in ns, history index) — the index orders
    /// events that share a timestamp the way the recorder saw them.
    pub call: (u64, u64),
    /// When it returned; `None` if it never did (`info`).
    pub ret: Option<(u64, u64)>,
}

/// The limits a search must stay within.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// Give up after this instant.
    pub deadline: Option<Instant>,
    /// Give up once the memo holds this many pairs.
    pub max_memo_entries: usize,
    /// Give up rather than let the search's memory ([`Search::bytes`])
    /// grow past this many bytes.
    pub memory_bytes_max: usize,
    /// Give up after this many loop iterations (a deterministic bound).
    pub max_steps: u64,
}

/// Why a search gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exhausted {
    /// The deadline passed.
    Time,
    /// The memo reached its entry cap or the memory its byte cap. The
    /// search is left as it was before the step, so it may be resumed
    /// with larger caps.
    Memory,
    /// The step bound was reached.
    Steps,
}

/// How a search ended.
#[derive(Debug, Clone)]
pub(crate) enum Outcome<S> {
    /// Some order of the operations satisfies the model.
    Linearizable,
    /// No order does. `prefix` is the longest sequence of operations the
    /// search could linearize, `state` the model state after it, `stuck` the
    /// operation whose return the search could not get past, and
    /// `concurrent` the operations that overlapped it in real time (all
    /// indices into the partition's operations).
    NotLinearizable {
        prefix: Vec<usize>,
        state: S,
        stuck: usize,
        concurrent: Vec<usize>,
    },
    /// The budget ran out first.
    GaveUp(Exhausted),
}

/// What a search did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    /// Loop iterations.
    pub steps: u64,
    /// (linearized set, state) pairs memoized.
    pub memo_entries: usize,
    /// The search's memory in bytes ([`Search::bytes`]).
    pub memory_bytes: usize,
}

/// The time-ordered doubly linked list of calls and returns. Node `i` is the
/// call of operation `i`, node `n + i` its return, node `2n` the head.
struct Entries {
    next: Vec<u32>,
    prev: Vec<u32>,
    /// Position of each node in time order (for concurrency reports).
    position: Vec<u32>,
    n: u32,
}

impl Entries {
    fn new<S: LinearizableSpec>(ops: &[SearchOp<S>]) -> Self {
        let n = ops.len() as u32;
        // (time, index, kind, node): calls sort before returns on a full tie,
        // so operations that touch at one instant count as concurrent.
        let mut order: Vec<(u64, u64, u8, u32)> = Vec::with_capacity(ops.len() * 2);
        for (i, op) in ops.iter().enumerate() {
            order.push((op.call.0, op.call.1, 0, i as u32));
            if let Some(ret) = op.ret {
                // A return recorded before its call is treated as simultaneous.
                let ret = ret.max(op.call);
                order.push((ret.0, ret.1, 1, n + i as u32));
            }
        }
        order.sort_unstable();
        let nodes = 2 * n as usize + 1;
        let head = 2 * n;
        let mut next = vec![NIL; nodes];
        let mut prev = vec![NIL; nodes];
        let mut position = vec![u32::MAX; nodes];
        let mut last = head;
        for (pos, &(_, _, _, node)) in order.iter().enumerate() {
            next[last as usize] = node;
            prev[node as usize] = last;
            position[node as usize] = pos as u32;
            last = node;
        }
        Self {
            next,
            prev,
            position,
            n,
        }
    }

    fn head(&self) -> u32 {
        2 * self.n
    }

    /// The operations in invocation order (read off the unlifted list).
    fn by_call(&self) -> Vec<u32> {
        let mut order = Vec::with_capacity(self.n as usize);
        let mut at = self.next[self.head() as usize];
        while at != NIL {
            if at < self.n {
                order.push(at);
            }
            at = self.next[at as usize];
        }
        order
    }

    /// Bytes held.
    fn bytes(&self) -> usize {
        (self.next.capacity() + self.prev.capacity() + self.position.capacity()) * 4
    }

    fn unlink(&mut self, node: u32) {
        let (p, nx) = (self.prev[node as usize], self.next[node as usize]);
        self.next[p as usize] = nx;
        if nx != NIL {
            self.prev[nx as usize] = p;
        }
    }

    fn relink(&mut self, node: u32) {
        let (p, nx) = (self.prev[node as usize], self.next[node as usize]);
        self.next[p as usize] = node;
        if nx != NIL {
            self.prev[nx as usize] = node;
        }
    }

    /// Removes operation `i`'s call and (if any) return.
    fn lift(&mut self, i: u32, returned: bool) {
        self.unlink(i);
        if returned {
            self.unlink(self.n + i);
        }
    }

    /// Undoes the matching `lift` (lifts are undone in reverse order).
    fn unlift(&mut self, i: u32, returned: bool) {
        if returned {
            self.relink(self.n + i);
        }
        self.relink(i);
    }
}

/// One linearization choice on the search stack.
struct Frame<S> {
    op: u32,
    /// The state before this op, if the op changed it.
    saved: Option<S>,
}

/// The longest linearizable prefix seen so far. `best[..low_water]` always
/// equals the bottom of the current stack, so a new record copies only the
/// part that changed.
struct Longest<S> {
    best: Vec<u32>,
    state: Option<S>,
    stuck: Option<u32>,
    low_water: usize,
}

impl<S: Clone> Longest<S> {
    fn observe(&mut self, stack: &[Frame<S>], state: &S, stuck: u32) {
        if self.stuck.is_some() && stack.len() <= self.best.len() {
            return;
        }
        let keep = self.low_water.min(self.best.len()).min(stack.len());
        self.best.truncate(keep);
        self.best.extend(stack[keep..].iter().map(|f| f.op));
        self.state = Some(state.clone());
        self.stuck = Some(stuck);
        self.low_water = stack.len();
    }
}

/// A search in progress. It can be run in slices of steps ([`Search::run`])
/// and resumed, so partitions can share a deterministic step bound.
pub(crate) struct Search<'a, S: LinearizableSpec> {
    ops: &'a [SearchOp<S>],
    entries: Entries,
    linearized: LinearizedSet,
    memo: Memo<S>,
    /// Operations that returned and are not linearized yet.
    remaining: usize,
    stack: Vec<Frame<S>>,
    longest: Longest<S>,
    state: S,
    steps: u64,
    cur: u32,
    /// The bytes of the event list and the linearized set (fixed at start).
    fixed_bytes: usize,
}

impl<'a, S: LinearizableSpec> Search<'a, S> {
    /// A search of `ops` from `initial`, not yet started.
    pub(crate) fn new(ops: &'a [SearchOp<S>], initial: S) -> Self {
        Self::with_forms(ops, initial, Forms::Auto)
    }

    /// [`Search::new`], with the memo's forms of linearized sets chosen by
    /// `forms`.
    pub(crate) fn with_forms(ops: &'a [SearchOp<S>], initial: S, forms: Forms) -> Self {
        let entries = Entries::new(ops);
        let cur = entries.next[entries.head() as usize];
        let returned: Vec<bool> = ops.iter().map(|op| op.ret.is_some()).collect();
        let linearized = LinearizedSet::with_forms(&entries.by_call(), &returned, forms);
        let fixed_bytes = linearized.bytes()
            + entries.bytes()
            + ops.len() * (std::mem::size_of::<Frame<S>>() + 4);
        debug_assert!(fixed_bytes <= Self::bytes_at_start(ops));
        Self {
            fixed_bytes,
            ops,
            linearized,
            memo: Memo::new(),
            remaining: ops.iter().filter(|op| op.ret.is_some()).count(),
            stack: Vec::with_capacity(ops.len()),
            longest: Longest {
                best: Vec::with_capacity(ops.len()),
                state: None,
                stuck: None,
                low_water: 0,
            },
            state: initial,
            steps: 0,
            cur,
            entries,
        }
    }

    /// What the search has done so far.
    pub(crate) fn stats(&self) -> Stats {
        Stats {
            steps: self.steps,
            memo_entries: self.memo.len(),
            memory_bytes: self.bytes(),
        }
    }

    /// The bytes the search holds: its memo, the linearized set, the event
    /// list and the stacks (not the operations, which it borrows).
    pub(crate) fn bytes(&self) -> usize {
        self.memo.bytes() + self.bytes_besides_memo()
    }

    fn bytes_besides_memo(&self) -> usize {
        self.fixed_bytes
    }

    /// What [`Search::new`] allocates for `ops`, at most: the event list,
    /// the linearized set and both stacks (each at most one entry per
    /// operation, allocated at once), so that only the memo grows after.
    pub(crate) fn bytes_at_start(ops: &[SearchOp<S>]) -> usize {
        let n = ops.len();
        let events = 3 * (2 * n + 1) * 4;
        let set = (n.div_ceil(64) + 2) * 8 + n * 4 + n * 8;
        events + set + n * (std::mem::size_of::<Frame<S>>() + 4)
    }

    /// Continues the search until it decides or exhausts `budget`
    /// (`max_steps` counts all steps since the search began). After
    /// `GaveUp(Steps)` it may be run again with a larger bound.
    pub(crate) fn run(&mut self, budget: Budget) -> Outcome<S> {
        let max_memo_entries = budget.max_memo_entries.min(u32::MAX as usize - 1);
        let head = self.entries.head();
        loop {
            if self.remaining == 0 {
                return Outcome::Linearizable;
            }
            if self.steps >= budget.max_steps {
                return Outcome::GaveUp(Exhausted::Steps);
            }
            self.steps += 1;
            if self.steps.is_multiple_of(STEPS_PER_CLOCK_READ)
                && budget.deadline.is_some_and(|d| Instant::now() >= d)
            {
                return Outcome::GaveUp(Exhausted::Time);
            }
            let cur = self.cur;
            if cur != NIL && cur < self.entries.n {
                // A call: try to linearize this operation now.
                let i = cur as usize;
                let op = &self.ops[i];
                let next_state = match self.state.step(&op.op, op.expected.as_ref()) {
                    Step::Reject => {
                        self.cur = self.entries.next[i];
                        continue;
                    }
                    Step::Same => None,
                    Step::Next(s) => Some(s),
                };
                if self.memo.len() >= max_memo_entries {
                    self.steps -= 1;
                    return Outcome::GaveUp(Exhausted::Memory);
                }
                let besides = || budget.memory_bytes_max.saturating_sub(self.fixed_bytes);
                self.linearized.insert(i);
                let state = next_state.as_ref().unwrap_or(&self.state);
                match self.memo.insert(&self.linearized, state, besides) {
                    Insert::New => {}
                    Insert::Seen => {
                        self.linearized.remove(i);
                        self.cur = self.entries.next[i];
                        continue;
                    }
                    Insert::Full => {
                        self.linearized.remove(i);
                        self.steps -= 1;
                        return Outcome::GaveUp(Exhausted::Memory);
                    }
                }
                let saved = next_state.map(|s| std::mem::replace(&mut self.state, s));
                self.stack.push(Frame { op: cur, saved });
                let returned = op.ret.is_some();
                self.entries.lift(cur, returned);
                self.remaining -= usize::from(returned);
                self.cur = self.entries.next[head as usize];
            } else {
                // A return (or, defensively, the end of the list): the
                // operations linearized so far cannot be extended past it.
                if cur != NIL {
                    self.longest
                        .observe(&self.stack, &self.state, cur - self.entries.n);
                }
                let Some(frame) = self.stack.pop() else {
                    return self.not_linearizable();
                };
                self.longest.low_water = self.longest.low_water.min(self.stack.len());
                if let Some(prev) = frame.saved {
                    self.state = prev;
                }
                let i = frame.op as usize;
                self.linearized.remove(i);
                let returned = self.ops[i].ret.is_some();
                self.entries.unlift(frame.op, returned);
                self.remaining += usize::from(returned);
                self.cur = self.entries.next[i];
            }
        }
    }

    fn not_linearizable(&self) -> Outcome<S> {
        let stuck = self.longest.stuck.unwrap_or(0) as usize;
        let concurrent = overlapping(&self.entries, self.ops, stuck);
        Outcome::NotLinearizable {
            prefix: self.longest.best.iter().map(|&i| i as usize).collect(),
            state: self
                .longest
                .state
                .clone()
                .unwrap_or_else(|| self.state.clone()),
            stuck,
            concurrent,
        }
    }
}

/// Decides whether `ops` are linearizable with respect to a model starting at
/// `initial`, in one go.
#[cfg(test)]
pub(crate) fn search<S: LinearizableSpec>(
    ops: &[SearchOp<S>],
    initial: S,
    budget: Budget,
) -> (Outcome<S>, Stats) {
    let mut search = Search::new(ops, initial);
    let outcome = search.run(budget);
    (outcome, search.stats())
}

/// The operations other than `stuck` whose execution overlapped it in real
/// time (invoked before it returned, and returned after it was invoked, or
/// never), in invocation order.
fn overlapping<S: LinearizableSpec>(
    entries: &Entries,
    ops: &[SearchOp<S>],
    stuck: usize,
) -> Vec<usize> {
    if stuck >= ops.len() {
        return Vec::new();
    }
    let n = entries.n as usize;
    let call_of = |i: usize| entries.position[i];
    let return_of = |i: usize| ops[i].ret.map(|_| entries.position[n + i]);
    let stuck_call = call_of(stuck);
    let stuck_return = return_of(stuck).unwrap_or(u32::MAX);
    let mut overlapping: Vec<usize> = (0..ops.len())
        .filter(|&i| {
            i != stuck && call_of(i) < stuck_return && return_of(i).is_none_or(|r| r > stuck_call)
        })
        .collect();
    overlapping.sort_by_key(|&i| call_of(i));
    overlapping
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Atom, RegisterOp, RegisterRet, RegisterSpec};

    fn op(
        call: u64,
        ret: Option<u64>,
        op: RegisterOp,
        expected: Option<RegisterRet>,
    ) -> SearchOp<RegisterSpec> {
        SearchOp {
            op,
            expected,
            call: (call, call),
            ret: ret.map(|r| (r, r)),
        }
    }

    fn run(ops: &[SearchOp<RegisterSpec>]) -> Outcome<RegisterSpec> {
        let budget = Budget {
            deadline: None,
            max_memo_entries: 1 << 20,
            memory_bytes_max: usize::MAX,
            max_steps: u64::MAX,
        };
        search(ops, RegisterSpec { value: Atom(0) }, budget).0
    }

    const W1: RegisterOp = RegisterOp::Write(Atom(1));
    const R: RegisterOp = RegisterOp::Read;

    #[test]
    fn a_read_overlapping_a_write_may_see_either_value() {
        for seen in [0, 1] {
            let ops = [
                op(0, Some(10), W1, Some(RegisterRet::Written)),
                op(5, Some(15), R, Some(RegisterRet::Value(Atom(seen)))),
            ];
            assert!(matches!(run(&ops), Outcome::Linearizable), "read {seen}");
        }
    }

    #[test]
    fn a_stale_read_after_a_completed_write_is_stuck_on_the_read() {
        let ops = [
            op(0, Some(10), W1, Some(RegisterRet::Written)),
            op(20, Some(30), R, Some(RegisterRet::Value(Atom(0)))),
        ];
        let Outcome::NotLinearizable {
            prefix,
            state,
            stuck,
            concurrent,
        } = run(&ops)
        else {
            panic!("stale read must not linearize");
        };
        assert_eq!((prefix, state.value, stuck), (vec![0], Atom(1), 1));
        assert!(concurrent.is_empty());
    }

    #[test]
    fn an_info_write_may_take_effect_late_or_never() {
        let late = [
            op(0, None, W1, None),
            op(20, Some(30), R, Some(RegisterRet::Value(Atom(0)))),
            op(40, Some(50), R, Some(RegisterRet::Value(Atom(1)))),
        ];
        assert!(matches!(run(&late), Outcome::Linearizable));
        let never = [
            op(0, None, W1, None),
            op(20, Some(30), R, Some(RegisterRet::Value(Atom(0)))),
        ];
        assert!(matches!(run(&never), Outcome::Linearizable));
        let not_before_call = [
            op(0, Some(10), R, Some(RegisterRet::Value(Atom(1)))),
            op(20, None, W1, None),
        ];
        assert!(matches!(
            run(&not_before_call),
            Outcome::NotLinearizable { .. }
        ));
    }

    #[test]
    fn a_tiny_memo_cap_gives_up_instead_of_answering() {
        let ops = [
            op(0, Some(10), W1, Some(RegisterRet::Written)),
            op(5, Some(15), R, Some(RegisterRet::Value(Atom(1)))),
        ];
        let budget = Budget {
            deadline: None,
            max_memo_entries: 1,
            memory_bytes_max: usize::MAX,
            max_steps: u64::MAX,
        };
        let (outcome, _) = search(&ops, RegisterSpec { value: Atom(0) }, budget);
        assert!(matches!(outcome, Outcome::GaveUp(Exhausted::Memory)));
    }
}
