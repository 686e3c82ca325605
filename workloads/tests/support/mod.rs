//! A tiny discrete-event driver for tests: runs a generator's workers
//! against an in-memory store in simulated time and records the history.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use faultline_checker::history::{EventType, History, Outcome};
use faultline_workloads::{Generator, Next, Op, OpFn, Recorder};
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

/// How the simulated store and network behave.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// Op latency is drawn from `1..=latency_ns_max`.
    pub latency_ns_max: u64,
    /// Probability an op ends `info` (it takes effect or not, at random).
    pub info_probability: f64,
    /// Probability an op ends `fail` (it does not take effect).
    pub fail_probability: f64,
    /// A buggy store: forget every add/append whose element is divisible by this.
    pub forget_every: Option<i64>,
    /// A buggy store: a register read returns the value before the latest
    /// write with this probability.
    pub stale_read_probability: f64,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            latency_ns_max: 20_000_000,
            info_probability: 0.0,
            fail_probability: 0.0,
            forget_every: None,
            stale_read_probability: 0.0,
        }
    }
}

/// An in-memory, linearizable store: every op takes effect at its invoke.
#[derive(Debug, Default)]
struct Store {
    registers: BTreeMap<String, Value>,
    previous: BTreeMap<String, Value>,
    lists: BTreeMap<String, Vec<Value>>,
}

impl Store {
    fn apply(&mut self, op: &Op, forget_every: Option<i64>, stale: bool) -> (bool, Value) {
        let forget =
            |v: &Value| forget_every.is_some_and(|n| v.as_i64().is_some_and(|e| e % n == 0));
        match op.f {
            OpFn::Read => {
                let value = match self.lists.get(&op.key) {
                    Some(list) => Value::Array(list.clone()),
                    None if stale => self.previous.get(&op.key).cloned().unwrap_or(Value::Null),
                    None => self.registers.get(&op.key).cloned().unwrap_or(Value::Null),
                };
                (true, value)
            }
            OpFn::Write => {
                self.set_register(&op.key, op.value.clone());
                (true, op.value.clone())
            }
            OpFn::Cas => {
                let current = self.registers.get(&op.key).cloned().unwrap_or(Value::Null);
                if current == op.value[0] {
                    self.set_register(&op.key, op.value[1].clone());
                    (true, op.value.clone())
                } else {
                    (false, Value::Null)
                }
            }
            OpFn::Append | OpFn::Add => {
                if !forget(&op.value) {
                    self.lists
                        .entry(op.key.clone())
                        .or_default()
                        .push(op.value.clone());
                }
                (true, op.value.clone())
            }
        }
    }
}

impl Store {
    fn set_register(&mut self, key: &str, value: Value) {
        let old = self
            .registers
            .insert(key.to_string(), value)
            .unwrap_or(Value::Null);
        self.previous.insert(key.to_string(), old);
    }
}

/// What happened in a driven run.
pub struct Run {
    /// The recorded history.
    pub history: History,
    /// Every op the generator handed out, with its invoke time.
    pub ops: Vec<(u64, Op)>,
    /// When the final heal was reported.
    pub heal_ns: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Wake {
    Worker(usize),
    Complete(usize),
}

/// Drives `generator` to completion; panics only on harness misuse.
pub fn drive(generator: &mut Generator, config: &DriverConfig, seed: u64) -> Run {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut store = Store::default();
    let mut recorder = Recorder::new();
    let concurrency = generator.config().concurrency;
    let mut queue: BTreeSet<(u64, u64, Wake)> = BTreeSet::new();
    let mut seq = 0u64;
    let mut push = |queue: &mut BTreeSet<(u64, u64, Wake)>, t: u64, w: Wake| {
        seq += 1;
        queue.insert((t, seq, w));
    };
    for w in 0..concurrency {
        push(&mut queue, 0, Wake::Worker(w));
    }
    let mut pending: BTreeMap<usize, (EventType, Value)> = BTreeMap::new();
    let mut blocked: BTreeSet<usize> = BTreeSet::new();
    let mut ops = Vec::new();
    let mut heal_ns = None;
    let mut steps = 0u64;
    while let Some((t, _, wake)) = queue.pop_first() {
        steps += 1;
        assert!(steps < 10_000_000, "driver did not terminate");
        match wake {
            Wake::Worker(w) => match generator.next(w, t).expect("next") {
                Next::Op(op) => {
                    recorder.invoke_op(t, &op).expect("invoke");
                    let roll: f64 = rng.gen();
                    let stale = rng.gen_bool(config.stale_read_probability);
                    let (kind, value) = if roll < config.fail_probability {
                        (EventType::Fail, Value::Null)
                    } else if roll < config.fail_probability + config.info_probability {
                        if rng.gen_bool(0.5) {
                            store.apply(&op, config.forget_every, stale);
                        }
                        (EventType::Info, Value::Null)
                    } else {
                        let (ok, value) = store.apply(&op, config.forget_every, stale);
                        if ok {
                            (EventType::Ok, value)
                        } else {
                            (EventType::Fail, Value::Null)
                        }
                    };
                    pending.insert(w, (kind, value));
                    ops.push((t, op));
                    let latency = rng.gen_range(1..=config.latency_ns_max);
                    push(&mut queue, t + latency, Wake::Complete(w));
                }
                Next::WaitUntil(at) => {
                    assert!(at > t, "WaitUntil({at}) at {t} would spin");
                    push(&mut queue, at, Wake::Worker(w));
                }
                Next::Blocked => {
                    blocked.insert(w);
                }
                Next::Done => {}
            },
            Wake::Complete(w) => {
                let (kind, value) = pending.remove(&w).expect("pending op");
                let process = generator.process_of(w).expect("process");
                recorder
                    .complete(t, process, kind, value)
                    .expect("complete");
                let outcome = match kind {
                    EventType::Ok => Outcome::Ok,
                    EventType::Fail => Outcome::Fail,
                    _ => Outcome::Info,
                };
                generator.complete(w, t, outcome).expect("complete");
                push(&mut queue, t, Wake::Worker(w));
                for b in std::mem::take(&mut blocked) {
                    push(&mut queue, t, Wake::Worker(b));
                }
            }
        }
        generator.poll(t).expect("poll");
        if generator.heal_due() {
            recorder
                .nemesis(t, "stop-all", json!("final heal"))
                .expect("nemesis");
            generator.heal_done(t).expect("heal");
            heal_ns = Some(t);
            for b in std::mem::take(&mut blocked) {
                push(&mut queue, t, Wake::Worker(b));
            }
        }
    }
    Run {
        history: recorder.into_history(),
        ops,
        heal_ns,
    }
}

/// A seeded rng.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}
