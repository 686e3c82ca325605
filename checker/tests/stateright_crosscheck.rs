//! Cross-check of the search against stateright's `LinearizabilityTester`
//! (an independent, unmemoized depth-first search) on thousands of small
//! random histories: at most 8 operations from at most 3 client slots, with
//! `ok`, `fail` and `info` completions and operations left pending at the
//! end. Half the histories are linearizable by construction (produced by a
//! real object with linearization points inside each operation); the other
//! half have arbitrary outputs. Our verdict must equal stateright's on every
//! one, for the register, cas-register and set models.
//!
//! The oracle specifications here are written independently of the crate's
//! models (the register one is stateright's own `Register`).

use faultline_checker::history::{Operation, Outcome};
use faultline_checker::{check_operations, CheckOptions, ModelKind, Verdict};
use serde_json::{json, Value};
use stateright::semantics::register::{Register, RegisterOp, RegisterRet};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};
use std::collections::BTreeSet;

mod support;
use support::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    Register,
    CasRegister,
    Set,
}

/// The operations the generator produces, in oracle-friendly form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GenOp {
    Read,
    Write(i64),
    Cas(i64, i64),
    Add(i64),
}

/// The real object behind valid-by-construction histories.
#[derive(Debug, Clone, Default)]
struct Truth {
    register: Option<i64>,
    set: BTreeSet<i64>,
}

impl Truth {
    /// Applies `op`; returns the output and whether it took effect (a cas
    /// whose old value does not match does not).
    fn apply(&mut self, op: GenOp) -> (Value, bool) {
        match op {
            GenOp::Read => (json!(self.register), true),
            GenOp::Write(v) => {
                self.register = Some(v);
                (Value::Null, true)
            }
            GenOp::Cas(old, new) => {
                let matched = self.register == Some(old);
                if matched {
                    self.register = Some(new);
                }
                (Value::Null, matched)
            }
            GenOp::Add(x) => {
                self.set.insert(x);
                (Value::Null, true)
            }
        }
    }

    fn read_set(&self) -> Value {
        json!(self.set.iter().collect::<Vec<_>>())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Invoke,
    Ok,
    Fail,
    Info,
}

/// A generated history: operations plus the event sequence (op index, mark).
#[derive(Debug, Clone, Default)]
struct Generated {
    ops: Vec<Operation>,
    gen_ops: Vec<GenOp>,
    events: Vec<(usize, Mark)>,
}

struct Pending {
    op: usize,
    /// The output and whether it took effect, once applied.
    applied: Option<(Value, bool)>,
}

fn random_op(rng: &mut Rng, object: Object) -> GenOp {
    let value = |rng: &mut Rng| rng.below(3) as i64;
    match object {
        Object::Register => {
            if rng.chance(50) {
                GenOp::Read
            } else {
                GenOp::Write(value(rng))
            }
        }
        Object::CasRegister => match rng.below(3) {
            0 => GenOp::Read,
            1 => GenOp::Write(value(rng)),
            _ => GenOp::Cas(value(rng), value(rng)),
        },
        Object::Set => {
            if rng.chance(40) {
                GenOp::Read
            } else {
                GenOp::Add(value(rng) + 10 * rng.below(2) as i64)
            }
        }
    }
}

fn arbitrary_output(rng: &mut Rng, object: Object, op: GenOp) -> Value {
    match (object, op) {
        (Object::Set, GenOp::Read) => {
            let mut seen: Vec<i64> = (0..rng.below(4)).map(|_| rng.below(3) as i64).collect();
            seen.sort_unstable();
            seen.dedup();
            json!(seen)
        }
        (_, GenOp::Read) if rng.chance(25) => Value::Null,
        (_, GenOp::Read) => json!(rng.below(3)),
        _ => Value::Null,
    }
}

fn generate(rng: &mut Rng, object: Object, by_construction: bool) -> Generated {
    let op_count = 1 + rng.below(8) as usize;
    let slot_count = 1 + rng.below(3) as usize;
    let mut slots: Vec<(u64, Option<Pending>)> =
        (0..slot_count as u64).map(|p| (p, None)).collect();
    let mut next_process = slot_count as u64;
    let mut truth = Truth::default();
    let mut out = Generated::default();
    let mut time: u64 = 0;
    let read_output = |truth: &Truth, op: GenOp, object: Object, applied: Value| {
        if object == Object::Set && op == GenOp::Read {
            truth.read_set()
        } else {
            applied
        }
    };
    loop {
        let idle: Vec<usize> = (0..slot_count).filter(|&s| slots[s].1.is_none()).collect();
        let busy: Vec<usize> = (0..slot_count).filter(|&s| slots[s].1.is_some()).collect();
        let can_invoke = out.ops.len() < op_count && !idle.is_empty();
        if !can_invoke && (busy.is_empty() || out.ops.len() == op_count && rng.chance(15)) {
            break; // anything still pending stays pending (never returns)
        }
        time += 1;
        if can_invoke && (busy.is_empty() || rng.chance(45)) {
            let slot = idle[rng.below(idle.len() as u64) as usize];
            let op = random_op(rng, object);
            let (f, input) = match op {
                GenOp::Read => ("read", Value::Null),
                GenOp::Write(v) => ("write", json!(v)),
                GenOp::Cas(a, b) => ("cas", json!([a, b])),
                GenOp::Add(x) => ("add", json!(x)),
            };
            let id = out.ops.len();
            out.ops.push(Operation {
                id,
                process: slots[slot].0,
                f: f.to_string(),
                key: None,
                input,
                output: Value::Null,
                output_unknown: false,
                outcome: Outcome::Info,
                call_ns: time,
                return_ns: None,
                invoke_index: time,
                complete_index: None,
            });
            out.gen_ops.push(op);
            out.events.push((id, Mark::Invoke));
            slots[slot].1 = Some(Pending {
                op: id,
                applied: None,
            });
            continue;
        }
        let slot = busy[rng.below(busy.len() as u64) as usize];
        let pending = slots[slot].1.as_mut().expect("busy slot");
        let op = out.gen_ops[pending.op];
        if by_construction && pending.applied.is_none() && rng.chance(60) {
            // The linearization point: the op takes effect now.
            let (value, took_effect) = truth.apply(op);
            pending.applied = Some((read_output(&truth, op, object, value), took_effect));
            continue;
        }
        let pending = slots[slot].1.take().expect("busy slot");
        let id = pending.op;
        let mark = if by_construction {
            match pending.applied {
                Some((_, false)) => Mark::Fail,
                Some(_) if rng.chance(85) => Mark::Ok,
                Some(_) => Mark::Info,
                None if rng.chance(50) => {
                    // Takes effect at the moment it returns.
                    let (value, took_effect) = truth.apply(op);
                    if took_effect {
                        out.ops[id].output = read_output(&truth, op, object, value);
                        Mark::Ok
                    } else {
                        Mark::Fail
                    }
                }
                None => Mark::Info,
            }
        } else {
            match rng.below(10) {
                0 => Mark::Fail,
                1 => Mark::Info,
                _ => Mark::Ok,
            }
        };
        if mark == Mark::Ok {
            out.ops[id].output = match (by_construction, pending.applied) {
                (true, Some((value, _))) => value,
                (true, None) => out.ops[id].output.clone(),
                (false, _) => arbitrary_output(rng, object, op),
            };
        }
        let op_rec = &mut out.ops[id];
        op_rec.complete_index = Some(time);
        match mark {
            Mark::Ok => {
                op_rec.outcome = Outcome::Ok;
                op_rec.return_ns = Some(time);
            }
            Mark::Fail => {
                op_rec.outcome = Outcome::Fail;
                op_rec.return_ns = Some(time);
            }
            Mark::Info | Mark::Invoke => {
                op_rec.output = Value::Null;
                // An info process never issues again: the slot gets a new one.
                slots[slot].0 = next_process;
                next_process += 1;
            }
        }
        out.events.push((id, mark));
    }
    out
}

/// A compare-and-set register, independent of the crate's model.
#[derive(Debug, Clone, PartialEq)]
struct OracleCas(Option<i64>);

#[derive(Debug, Clone, PartialEq)]
enum OracleRet {
    Read(Option<i64>),
    Written,
    Swapped(bool),
    Set(Vec<i64>),
}

impl SequentialSpec for OracleCas {
    type Op = GenOp;
    type Ret = OracleRet;
    fn invoke(&mut self, op: &GenOp) -> OracleRet {
        match *op {
            GenOp::Read => OracleRet::Read(self.0),
            GenOp::Write(v) => {
                self.0 = Some(v);
                OracleRet::Written
            }
            GenOp::Cas(old, new) => {
                let ok = self.0 == Some(old);
                if ok {
                    self.0 = Some(new);
                }
                OracleRet::Swapped(ok)
            }
            GenOp::Add(_) => OracleRet::Written,
        }
    }
}

/// A grow-only set, independent of the crate's model.
#[derive(Debug, Clone, PartialEq)]
struct OracleSet(BTreeSet<i64>);

impl SequentialSpec for OracleSet {
    type Op = GenOp;
    type Ret = OracleRet;
    fn invoke(&mut self, op: &GenOp) -> OracleRet {
        match *op {
            GenOp::Add(x) => {
                self.0.insert(x);
                OracleRet::Written
            }
            _ => OracleRet::Set(self.0.iter().copied().collect()),
        }
    }
}

/// Feeds the history to stateright: failed ops are left out, `info` ops
/// are invoked and never return.
fn oracle_verdict<S>(
    h: &Generated,
    init: S,
    ret: impl Fn(&Operation, GenOp) -> S::Ret,
    op: impl Fn(GenOp) -> S::Op,
) -> bool
where
    S: SequentialSpec + Clone,
    S::Op: Clone + std::fmt::Debug,
    S::Ret: Clone + std::fmt::Debug + PartialEq,
{
    let mut tester = LinearizabilityTester::<u64, S>::new(init);
    for &(id, mark) in &h.events {
        let rec = &h.ops[id];
        if rec.outcome == Outcome::Fail {
            continue;
        }
        match mark {
            Mark::Invoke => {
                tester
                    .on_invoke(rec.process, op(h.gen_ops[id]))
                    .expect("one op in flight per process");
            }
            Mark::Ok => {
                tester
                    .on_return(rec.process, ret(rec, h.gen_ops[id]))
                    .expect("return matches an invoke");
            }
            Mark::Fail | Mark::Info => {}
        }
    }
    tester.is_consistent()
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64()
}

fn stateright_says_linearizable(object: Object, h: &Generated) -> bool {
    match object {
        Object::Register => oracle_verdict(
            h,
            Register(None::<i64>),
            |rec, op| match op {
                GenOp::Read => RegisterRet::ReadOk(int(&rec.output)),
                _ => RegisterRet::WriteOk,
            },
            |op| match op {
                GenOp::Write(v) => RegisterOp::Write(Some(v)),
                _ => RegisterOp::Read,
            },
        ),
        Object::CasRegister => oracle_verdict(
            h,
            OracleCas(None),
            |rec, op| match op {
                GenOp::Read => OracleRet::Read(int(&rec.output)),
                GenOp::Cas(..) => OracleRet::Swapped(true),
                _ => OracleRet::Written,
            },
            |op| op,
        ),
        Object::Set => oracle_verdict(
            h,
            OracleSet(BTreeSet::new()),
            |rec, op| match op {
                GenOp::Read => {
                    let mut seen: Vec<i64> = rec
                        .output
                        .as_array()
                        .map_or(Vec::new(), |a| a.iter().filter_map(int).collect());
                    seen.sort_unstable();
                    OracleRet::Set(seen)
                }
                _ => OracleRet::Written,
            },
            |op| op,
        ),
    }
}

fn our_verdict(object: Object, h: &Generated) -> Verdict {
    let model = match object {
        Object::Register => ModelKind::Register {
            initial: Value::Null,
        },
        Object::CasRegister => ModelKind::CasRegister {
            initial: Value::Null,
        },
        Object::Set => ModelKind::Set,
    };
    let opts = CheckOptions {
        threads: 1,
        ..CheckOptions::default()
    };
    check_operations(&h.ops, &model, &opts)
        .expect("generated ops fit the model")
        .verdict
}

/// Runs `count` histories of `object`, half valid by construction; returns
/// how many of the arbitrary ones were not linearizable.
fn cross_check(object: Object, seed: u64, count: usize) -> usize {
    let mut rng = Rng(seed);
    let mut invalid = 0;
    for n in 0..count {
        let by_construction = n % 2 == 0;
        let h = generate(&mut rng, object, by_construction);
        let theirs = stateright_says_linearizable(object, &h);
        let ours = our_verdict(object, &h);
        let want = if theirs {
            Verdict::Valid
        } else {
            Verdict::Invalid
        };
        assert_eq!(
            ours, want,
            "{object:?} history {n} (seed {seed}): {:#?}",
            h.ops
        );
        if by_construction {
            assert!(
                theirs,
                "{object:?} history {n} was built linearizable: {:#?}",
                h.ops
            );
        } else if !theirs {
            invalid += 1;
        }
    }
    invalid
}

#[test]
fn register_verdicts_match_stateright_on_1500_random_histories() {
    let invalid = cross_check(Object::Register, 0x5EED_0001, 1500);
    assert!(
        invalid > 100,
        "arbitrary histories must include invalid ones ({invalid})"
    );
}

#[test]
fn cas_register_verdicts_match_stateright_on_2500_random_histories() {
    let invalid = cross_check(Object::CasRegister, 0x5EED_0002, 2500);
    assert!(
        invalid > 100,
        "arbitrary histories must include invalid ones ({invalid})"
    );
}

#[test]
fn set_verdicts_match_stateright_on_1000_random_histories() {
    let invalid = cross_check(Object::Set, 0x5EED_0003, 1000);
    assert!(
        invalid > 50,
        "arbitrary histories must include invalid ones ({invalid})"
    );
}
