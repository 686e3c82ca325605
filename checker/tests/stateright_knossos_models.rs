//! Cross-check of the Knossos models (mutex, fifo-queue, unordered-queue,
//! multi-register) against stateright's `LinearizabilityTester` on
//! thousands of small random histories: at most 7 operations from at most 3
//! client slots, with `ok`, `fail` and `info` completions and operations
//! left pending. Half are linearizable by construction (a real object
//! applies each operation at a point inside it); half have arbitrary
//! outputs. Our verdict must equal stateright's on every one.
//!
//! The oracle specifications are written here, independently of the
//! crate's models. One documented difference in how histories are fed: an
//! unordered-queue dequeue whose element is unknown (`info`) is left out of
//! the oracle's history, as the crate leaves it out (no operation observes
//! a missing element, so removing nothing is always at least as good).

use std::collections::{BTreeMap, VecDeque};

use faultline_checker::history::{Operation, Outcome};
use faultline_checker::{check_operations, CheckOptions, ModelKind, Verdict};
use serde_json::{json, Value};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};

mod support;
use support::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    Mutex,
    Fifo,
    Unordered,
    MultiRegister,
}

/// A micro-op: (is a write, key 0 or 1, value written).
type Micro = (bool, u8, i64);

#[derive(Debug, Clone, PartialEq, Eq)]
enum GenOp {
    Acquire,
    Release,
    Enqueue(i64),
    Dequeue,
    Txn(Vec<Micro>),
}

const KEYS: [&str; 2] = ["x", "y"];

fn random_op(rng: &mut Rng, object: Object) -> GenOp {
    match object {
        Object::Mutex if rng.chance(50) => GenOp::Acquire,
        Object::Mutex => GenOp::Release,
        Object::Fifo | Object::Unordered if rng.chance(55) => GenOp::Enqueue(rng.below(3) as i64),
        Object::Fifo | Object::Unordered => GenOp::Dequeue,
        Object::MultiRegister => GenOp::Txn(
            (0..1 + rng.below(2))
                .map(|_| (rng.chance(50), rng.below(2) as u8, rng.below(3) as i64))
                .collect(),
        ),
    }
}

/// The recorded form of a txn: reads carry `values[i]` (or `null`).
fn txn_value(micro: &[Micro], reads: &[Option<i64>]) -> Value {
    let mut reads = reads.iter();
    Value::Array(
        micro
            .iter()
            .map(|&(write, key, v)| {
                if write {
                    json!(["write", KEYS[key as usize], v])
                } else {
                    json!(["read", KEYS[key as usize], reads.next().copied().flatten()])
                }
            })
            .collect(),
    )
}

fn f_and_input(op: &GenOp) -> (&'static str, Value) {
    match op {
        GenOp::Acquire => ("acquire", Value::Null),
        GenOp::Release => ("release", Value::Null),
        GenOp::Enqueue(x) => ("enqueue", json!(x)),
        GenOp::Dequeue => ("dequeue", Value::Null),
        GenOp::Txn(micro) => ("txn", txn_value(micro, &[])),
    }
}

/// The real object behind valid-by-construction histories.
#[derive(Debug, Clone, Default)]
struct Truth {
    locked: bool,
    queue: VecDeque<i64>,
    registers: BTreeMap<u8, i64>,
}

impl Truth {
    /// Applies `op`: its output, or `None` if it is refused (recorded `fail`).
    fn apply(&mut self, rng: &mut Rng, object: Object, op: &GenOp) -> Option<Value> {
        match op {
            GenOp::Acquire | GenOp::Release => {
                let acquire = *op == GenOp::Acquire;
                (self.locked != acquire).then(|| {
                    self.locked = acquire;
                    Value::Null
                })
            }
            GenOp::Enqueue(x) => {
                self.queue.push_back(*x);
                Some(Value::Null)
            }
            GenOp::Dequeue if self.queue.is_empty() => None,
            GenOp::Dequeue => {
                let at = match object {
                    Object::Unordered => rng.below(self.queue.len() as u64) as usize,
                    _ => 0,
                };
                self.queue.remove(at).map(|x| json!(x))
            }
            GenOp::Txn(micro) => {
                let mut reads = Vec::new();
                for &(write, key, v) in micro {
                    if write {
                        self.registers.insert(key, v);
                    } else {
                        reads.push(self.registers.get(&key).copied());
                    }
                }
                Some(txn_value(micro, &reads))
            }
        }
    }
}

fn arbitrary_output(rng: &mut Rng, op: &GenOp) -> Value {
    match op {
        GenOp::Dequeue => json!(rng.below(3)),
        GenOp::Txn(micro) => {
            let reads: Vec<Option<i64>> = (0..micro.len())
                .map(|_| (!rng.chance(25)).then(|| rng.below(3) as i64))
                .collect();
            txn_value(micro, &reads)
        }
        _ => Value::Null,
    }
}

/// A generated history: the operations, the generator's ops, and the
/// event order as (op, is the invoke).
#[derive(Debug, Default)]
struct Generated {
    ops: Vec<Operation>,
    gen_ops: Vec<GenOp>,
    events: Vec<(usize, bool)>,
}

fn new_op(id: usize, process: u64, time: u64, op: &GenOp) -> Operation {
    let (f, input) = f_and_input(op);
    Operation {
        id,
        process,
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
    }
}

/// A slot's pending op and, once applied, its output (`None`: refused).
type Pending = (usize, Option<Option<Value>>);

fn generate(rng: &mut Rng, object: Object, by_construction: bool) -> Generated {
    let op_count = 1 + rng.below(7) as usize;
    let slot_count = 1 + rng.below(3) as usize;
    // Per slot: its process and the pending op with its applied output.
    let mut slots: Vec<(u64, Option<Pending>)> =
        (0..slot_count as u64).map(|p| (p, None)).collect();
    let mut next_process = slot_count as u64;
    let mut truth = Truth::default();
    let mut out = Generated::default();
    let mut time = 0;
    loop {
        let idle: Vec<usize> = (0..slot_count).filter(|&s| slots[s].1.is_none()).collect();
        let busy: Vec<usize> = (0..slot_count).filter(|&s| slots[s].1.is_some()).collect();
        let can_invoke = out.ops.len() < op_count && !idle.is_empty();
        if !can_invoke && (busy.is_empty() || rng.chance(15)) {
            break;
        }
        time += 1;
        if can_invoke && (busy.is_empty() || rng.chance(45)) {
            let slot = idle[rng.below(idle.len() as u64) as usize];
            let op = random_op(rng, object);
            let id = out.ops.len();
            out.ops.push(new_op(id, slots[slot].0, time, &op));
            out.gen_ops.push(op);
            out.events.push((id, true));
            slots[slot].1 = Some((id, None));
            continue;
        }
        let slot = busy[rng.below(busy.len() as u64) as usize];
        let (id, applied) = slots[slot].1.take().expect("busy");
        let op = out.gen_ops[id].clone();
        if by_construction && applied.is_none() && rng.chance(60) {
            let output = truth.apply(rng, object, &op);
            slots[slot].1 = Some((id, Some(output)));
            continue;
        }
        let outcome = if by_construction {
            let output = applied.unwrap_or_else(|| truth.apply(rng, object, &op));
            match output {
                None => Outcome::Fail,
                Some(_) if rng.chance(15) => Outcome::Info,
                Some(value) => {
                    out.ops[id].output = value;
                    Outcome::Ok
                }
            }
        } else {
            match rng.below(10) {
                0 => Outcome::Fail,
                1 => Outcome::Info,
                _ => {
                    out.ops[id].output = arbitrary_output(rng, &op);
                    Outcome::Ok
                }
            }
        };
        let rec = &mut out.ops[id];
        rec.outcome = outcome;
        rec.complete_index = Some(time);
        if outcome == Outcome::Info {
            slots[slot].0 = next_process;
            next_process += 1;
        } else {
            rec.return_ns = Some(time);
        }
        out.events.push((id, false));
    }
    out
}

/// The oracle: one reference object for all four models.
#[derive(Debug, Clone, Default, PartialEq)]
struct Oracle {
    locked: bool,
    queue: VecDeque<i64>,
    registers: BTreeMap<u8, i64>,
}

#[derive(Debug, Clone, PartialEq)]
enum OracleOp {
    Acquire,
    Release,
    Enqueue(i64),
    /// FIFO: take the head.
    Dequeue,
    /// Unordered: take this element.
    Take(i64),
    Txn(Vec<Micro>),
}

#[derive(Debug, Clone, PartialEq)]
enum OracleRet {
    Done,
    Refused,
    Got(Option<i64>),
    Reads(Vec<Option<i64>>),
}

impl SequentialSpec for Oracle {
    type Op = OracleOp;
    type Ret = OracleRet;

    fn invoke(&mut self, op: &OracleOp) -> OracleRet {
        match op {
            OracleOp::Acquire | OracleOp::Release => {
                let acquire = *op == OracleOp::Acquire;
                if self.locked == acquire {
                    return OracleRet::Refused;
                }
                self.locked = acquire;
                OracleRet::Done
            }
            OracleOp::Enqueue(x) => {
                self.queue.push_back(*x);
                OracleRet::Done
            }
            OracleOp::Dequeue => OracleRet::Got(self.queue.pop_front()),
            OracleOp::Take(x) => match self.queue.iter().position(|y| y == x) {
                Some(at) => OracleRet::Got(self.queue.remove(at)),
                None => OracleRet::Refused,
            },
            OracleOp::Txn(micro) => {
                let mut reads = Vec::new();
                for &(write, key, v) in micro {
                    if write {
                        self.registers.insert(key, v);
                    } else {
                        reads.push(self.registers.get(&key).copied());
                    }
                }
                OracleRet::Reads(reads)
            }
        }
    }
}

/// The oracle's op and expected return for a recorded op (`None`: left out).
fn oracle_op(object: Object, rec: &Operation, op: &GenOp) -> Option<(OracleOp, OracleRet)> {
    let ok = rec.outcome == Outcome::Ok;
    Some(match op {
        GenOp::Acquire => (OracleOp::Acquire, OracleRet::Done),
        GenOp::Release => (OracleOp::Release, OracleRet::Done),
        GenOp::Enqueue(x) => (OracleOp::Enqueue(*x), OracleRet::Done),
        GenOp::Dequeue if object == Object::Fifo => {
            (OracleOp::Dequeue, OracleRet::Got(rec.output.as_i64()))
        }
        GenOp::Dequeue if ok => {
            let x = rec.output.as_i64()?;
            (OracleOp::Take(x), OracleRet::Got(Some(x)))
        }
        GenOp::Dequeue => return None,
        GenOp::Txn(micro) => {
            let reads = rec
                .output
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter(|m| m[0] == "read")
                        .map(|m| m[2].as_i64())
                        .collect()
                })
                .unwrap_or_default();
            (OracleOp::Txn(micro.clone()), OracleRet::Reads(reads))
        }
    })
}

fn stateright_says_linearizable(object: Object, h: &Generated) -> bool {
    let mut tester = LinearizabilityTester::<u64, Oracle>::new(Oracle::default());
    for &(id, invoke) in &h.events {
        let rec = &h.ops[id];
        if rec.outcome == Outcome::Fail {
            continue;
        }
        let Some((op, ret)) = oracle_op(object, rec, &h.gen_ops[id]) else {
            continue;
        };
        if invoke {
            tester
                .on_invoke(rec.process, op)
                .expect("one op per process");
        } else if rec.outcome == Outcome::Ok {
            tester
                .on_return(rec.process, ret)
                .expect("a pending invoke");
        }
    }
    tester.is_consistent()
}

fn model(object: Object) -> ModelKind {
    let name = match object {
        Object::Mutex => "mutex",
        Object::Fifo => "fifo-queue",
        Object::Unordered => "unordered-queue",
        Object::MultiRegister => "multi-register",
    };
    name.parse().unwrap()
}

#[test]
fn knossos_models_agree_with_stateright_on_small_random_histories() {
    let objects = [
        Object::Mutex,
        Object::Fifo,
        Object::Unordered,
        Object::MultiRegister,
    ];
    for object in objects {
        let mut rng = Rng(0x5EED ^ object as u64);
        let (mut valid, mut invalid) = (0, 0);
        for case in 0..1500 {
            let h = generate(&mut rng, object, case % 2 == 0);
            let want = stateright_says_linearizable(object, &h);
            let report = check_operations(&h.ops, &model(object), &CheckOptions::default())
                .unwrap_or_else(|e| panic!("{object:?} case {case}: {e}"));
            let got = report.verdict == Verdict::Valid;
            assert_eq!(got, want, "{object:?} case {case}: {:#?}", h.ops);
            if want {
                valid += 1;
            } else {
                invalid += 1;
            }
        }
        // Both verdicts are exercised.
        assert!(
            valid > 300 && invalid > 100,
            "{object:?}: {valid} valid, {invalid} invalid"
        );
    }
}
