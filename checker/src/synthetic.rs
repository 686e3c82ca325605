//! Seeded synthetic register histories, for benchmarks and randomized tests.
//!
//! [`KvHistorySpec::generate`] lays out operations on a map of
//! compare-and-set registers (`read` / `write` / `cas`, the `kv` model)
//! the way concurrent clients produce them: each of the processes issues
//! operations back to back, and every operation takes effect at one moment
//! between its invocation and its completion, so operations overlap for
//! random stretches. Reads return the value the register held at that
//! moment, so the history is linearizable by construction. With
//! [`KvHistorySpec::stale_read`] one read is changed to an older value that
//! no linearization can explain, so the history is not linearizable.
//!
//! The same spec (seed included) gives the same history on every run and
//! machine: the only source of randomness is SplitMix64 seeded with
//! [`KvHistorySpec::seed`].

use crate::history::{Event, EventType, History, Operation, Outcome, Process};
use serde_json::{json, Value};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvHistorySpec {
    /// Operations issued (`fail`ed compare-and-sets included).
    pub ops: usize,
    /// Independent keys (registers), `"0"`, `"1"`, ...
    pub keys: u64,
    /// Client processes issuing operations concurrently.
    pub processes: usize,
    /// Written values are drawn from `0..values` (small domains are the hard
    /// case: many orders explain the same reads).
    pub values: u64,
    /// The seed of the only random stream.
    pub seed: u64,
    /// Plant one stale read (in the second half of the history).
    pub stale_read: bool,
}

impl Default for KvHistorySpec {
    /// 100,000 operations on 10 keys from 10 processes, values `0..5`, the
    /// seed the checker benchmark has always used, no stale read.
    fn default() -> Self {
        Self {
            ops: 100_000,
            keys: 10,
            processes: 10,
            values: 5,
            seed: 0x0FA1_711E,
            stale_read: false,
        }
    }
}

/// A generated history.
#[derive(Debug, Clone, PartialEq)]
pub struct KvHistory {
    /// The operations, in invocation order (ids `0..`).
    pub operations: Vec<Operation>,
    /// The id of the planted stale read, if one was asked for and found.
    pub stale_read: Option<usize>,
}

/// SplitMix64: a fixed, well-mixed sequence from one seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}

/// An operation's output and whether it took effect.
type Applied = (Value, bool);

impl KvHistorySpec {
    /// Generates the history. Time advances one tick per step; at every step
    /// one random process moves its operation on: invoke, take effect,
    /// complete (or, when idle and operations remain, invoke the next).
    pub fn generate(&self) -> KvHistory {
        let mut rng = Rng(self.seed);
        let processes = self.processes.max(1);
        let mut truth: Vec<Option<u64>> = vec![None; self.keys.max(1) as usize];
        // Per process: the pending op and, once it took effect, its output.
        let mut pending: Vec<Option<(usize, Option<Applied>)>> = vec![None; processes];
        // When each op took effect (its linearization point), by id.
        let mut effect_ns: Vec<u64> = Vec::with_capacity(self.ops);
        let mut out: Vec<Operation> = Vec::with_capacity(self.ops);
        let mut time: u64 = 0;
        while out.len() < self.ops || pending.iter().any(Option::is_some) {
            time += 1;
            let p = rng.below(processes as u64) as usize;
            match pending[p].take() {
                None if out.len() < self.ops => {
                    out.push(self.invoke(&mut rng, out.len(), p, time));
                    effect_ns.push(0);
                    pending[p] = Some((out.len() - 1, None));
                }
                None => {}
                Some((i, None)) => {
                    effect_ns[i] = time;
                    pending[p] = Some((i, Some(take_effect(&out[i], &mut truth))));
                }
                Some((i, Some((output, took_effect)))) => {
                    let op = &mut out[i];
                    op.outcome = if took_effect {
                        Outcome::Ok
                    } else {
                        Outcome::Fail
                    };
                    op.output = output;
                    op.return_ns = Some(time);
                    op.complete_index = Some(time);
                }
            }
        }
        let stale_read = if self.stale_read {
            let start = self.ops / 2 + rng.below((self.ops / 2).max(1) as u64) as usize;
            plant_stale_read(&mut out, start)
        } else {
            None
        };
        KvHistory {
            operations: out,
            stale_read,
        }
    }

    fn invoke(&self, rng: &mut Rng, id: usize, process: usize, time: u64) -> Operation {
        let key = rng.below(self.keys);
        let (f, input) = match rng.below(3) {
            0 => ("read", Value::Null),
            1 => ("write", json!(rng.below(self.values))),
            _ => (
                "cas",
                json!([rng.below(self.values), rng.below(self.values)]),
            ),
        };
        Operation {
            id,
            process: process as u64,
            f: f.to_string(),
            key: Some(key.to_string()),
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
}

/// Applies `op` to its register at its linearization point.
fn take_effect(op: &Operation, truth: &mut [Option<u64>]) -> Applied {
    let key: usize = op.key.as_deref().and_then(|k| k.parse().ok()).unwrap_or(0);
    let slot = &mut truth[key];
    match op.f.as_str() {
        "read" => (json!(*slot), true),
        "write" => {
            *slot = op.input.as_u64();
            (Value::Null, true)
        }
        _ => {
            let matched = *slot == op.input[0].as_u64();
            if matched {
                *slot = op.input[1].as_u64();
            }
            (Value::Null, matched)
        }
    }
}

/// The value an `ok` operation leaves in its register, if it writes one.
fn written(op: &Operation) -> Option<Value> {
    match (op.f.as_str(), op.outcome) {
        ("write", Outcome::Ok) => Some(op.input.clone()),
        ("cas", Outcome::Ok) => Some(op.input[1].clone()),
        _ => None,
    }
}

/// Changes the first `ok` read at or after `start` that allows it to a stale
/// value, and returns its id. A read `r` of value `v` is certainly stale
/// when some write `w` of another value completed before `r` was invoked
/// and no write of `v` may take effect between `w` and `r` (each completed
/// before `w` was invoked or was invoked after `r` completed): every
/// linearization then has `w` or a later write of another value in force
/// when `r` takes effect. `v` is the most recent such value held before `w`
/// (or the initial `null`).
fn plant_stale_read(ops: &mut [Operation], start: usize) -> Option<usize> {
    for r in start..ops.len() {
        if ops[r].f != "read" || ops[r].outcome != Outcome::Ok {
            continue;
        }
        if let Some(v) = stale_value(ops, r) {
            ops[r].output = v;
            return Some(r);
        }
    }
    None
}

fn stale_value(ops: &[Operation], r: usize) -> Option<Value> {
    let read = &ops[r];
    let (r_call, r_ret) = (read.call_ns, read.return_ns?);
    let same_key = |op: &&Operation| op.key == read.key;
    // The write that completed last before the read was invoked.
    let w = ops[..r]
        .iter()
        .filter(same_key)
        .filter(|op| written(op).is_some() && op.return_ns.is_some_and(|t| t < r_call))
        .max_by_key(|op| op.return_ns)?;
    let w_value = written(w)?;
    // Only operations invoked before the read completed can take effect
    // before it (ids are in invocation order).
    let window = &ops[..ops.partition_point(|op| op.call_ns <= r_ret)];
    let may_write_between = |v: &Value| {
        window
            .iter()
            .filter(same_key)
            .any(|x| written(x).as_ref() == Some(v) && x.return_ns.is_none_or(|t| t >= w.call_ns))
    };
    // Values held before `w`, newest first, then the initial null.
    let mut tried: Vec<Value> = Vec::new();
    let held_before = ops[..w.id]
        .iter()
        .rev()
        .filter(same_key)
        .filter(|op| op.return_ns.is_some_and(|t| t < w.call_ns))
        .filter_map(written)
        .chain(std::iter::once(Value::Null));
    for v in held_before {
        if v == w_value || v == read.output || tried.contains(&v) {
            continue;
        }
        if !may_write_between(&v) {
            return Some(v);
        }
        tried.push(v);
        if tried.len() > 8 {
            return None;
        }
    }
    None
}

impl KvHistory {
    /// The operations as a history of events (invoke, then `ok` / `fail`),
    /// renumbered densely from 0, with times in ticks.
    pub fn history(&self) -> History {
        let mut events: Vec<(u64, Event)> = Vec::with_capacity(2 * self.operations.len());
        for op in &self.operations {
            let event = |kind: EventType, value: Value| Event {
                index: 0,
                time_ns: 0,
                process: Process::Client(op.process),
                kind,
                f: op.f.clone(),
                key: op.key.clone(),
                value,
                value_unknown: false,
            };
            events.push((op.call_ns, event(EventType::Invoke, op.input.clone())));
            if let Some(ret) = op.return_ns {
                let value = match op.f.as_str() {
                    "read" => op.output.clone(),
                    _ => op.input.clone(),
                };
                events.push((ret, event(op.outcome.event_type(), value)));
            }
        }
        events.sort_by_key(|(time, _)| *time);
        let events = events
            .into_iter()
            .enumerate()
            .map(|(index, (time, mut event))| {
                event.index = index as u64;
                event.time_ns = time;
                event
            })
            .collect();
        History { events }
    }
}
