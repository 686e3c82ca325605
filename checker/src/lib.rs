//! # faultline-checker
//!
//! Decides whether recorded histories are linearizable, and checks other
//! properties of them. Depends on no other faultline crate, so it can check a
//! history that came from any system.
//!
//! ## Checking a history from your own tests
//!
//! Record what your clients did as Jepsen-style [`history::Event`]s (an
//! `invoke`, then `ok` / `fail` / `info` from the same process), or load a
//! file with [`import::load`] or [`io::jsonl::read`], and check it against
//! a built-in model ([`ModelKind`]). The verdict is
//! [`Verdict::Valid`], [`Verdict::Invalid`] or [`Verdict::Unknown`] (a
//! budget ran out); the report's `Display` explains an invalid one.
//!
//! ```
//! use faultline_checker::history::{Event, EventType, History, Process};
//! use faultline_checker::{check_history, CheckOptions, ModelKind, Verdict};
//! use serde_json::{json, Value};
//!
//! // Process 0 writes 1 to key "x"; after the write returned, process 1
//! // reads the old value: a stale read.
//! let mut history = History::new();
//! let mut record = |process: u64, kind: EventType, f: &str, value: Value| {
//!     let index = history.events.len() as u64;
//!     history.events.push(Event {
//!         index,
//!         time_ns: index * 1_000_000,
//!         process: Process::Client(process),
//!         kind,
//!         f: f.to_string(),
//!         key: Some("x".to_string()),
//!         value,
//!         value_unknown: false,
//!     });
//! };
//! record(0, EventType::Invoke, "write", json!(1));
//! record(0, EventType::Ok, "write", json!(1));
//! record(1, EventType::Invoke, "read", Value::Null);
//! record(1, EventType::Ok, "read", Value::Null);
//!
//! let report = check_history(&history, &ModelKind::Kv, &CheckOptions::default())?;
//! assert_eq!(report.verdict, Verdict::Invalid);
//! let explanation = report.partitions[0].explanation.as_ref().unwrap();
//! assert_eq!(explanation.failed.text, "read null");
//! assert_eq!(explanation.state_after, "1");
//! // "invalid: 2 operations in 1 partition checked against the kv model
//! //  Key "x": no linearization. The longest linearizable prefix has 1
//! //  operation: [write 1 (op 0)]; after it the register is 1, but read null
//! //  (op 1, ...) cannot take effect next; ..."
//! println!("{report}");
//!
//! // The same history as JSON Lines (what `faultline run` stores).
//! let text = r#"{"index":0,"time_ns":0,"process":0,"type":"invoke","f":"write","key":"x","value":1}
//! {"index":1,"time_ns":1,"process":0,"type":"ok","f":"write","key":"x","value":1}
//! {"index":2,"time_ns":2,"process":1,"type":"invoke","f":"read","key":"x","value":null}
//! {"index":3,"time_ns":3,"process":1,"type":"ok","f":"read","key":"x","value":1}
//! "#;
//! let loaded = faultline_checker::io::jsonl::read(text.as_bytes(), "history.jsonl")?;
//! let report = check_history(&loaded.history, &ModelKind::Kv, &CheckOptions::default())?;
//! assert_eq!(report.verdict, Verdict::Valid);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`CheckOptions`] holds the budgets: a deterministic step bound
//! (`max_search_steps`), one memory budget for all keys together
//! (`memory_bytes_max`, 1 GiB by default) and a wall-clock safety net
//! (`time_limit`).
//!
//! ## Your own model
//!
//! Any object with a sequential specification can be checked: write the
//! specification as a [`model::SequentialSpec`] (plus an empty
//! [`model::LinearizableSpec`] impl), and say how recorded operations map
//! onto it with a [`Model`]; then call [`check_with_model`].
//!
//! ```
//! use faultline_checker::history::{Operation, Outcome};
//! use faultline_checker::model::{
//!     LinearizableSpec, ModelError, SequentialSpec, Translation, ValueTable,
//! };
//! use faultline_checker::{check_with_model, CheckOptions, Model, Verdict};
//! use serde_json::{json, Value};
//!
//! /// A counter: `incr` adds one, `read` returns the count.
//! #[derive(Debug, Clone, PartialEq, Eq, Hash)]
//! struct Counter(u64);
//!
//! #[derive(Debug, Clone, PartialEq, Eq, Hash)]
//! enum CounterOp { Incr, Read }
//!
//! #[derive(Debug, Clone, PartialEq, Eq, Hash)]
//! enum CounterRet { Done, Count(u64) }
//!
//! impl SequentialSpec for Counter {
//!     type Op = CounterOp;
//!     type Ret = CounterRet;
//!     fn invoke(&mut self, op: &CounterOp) -> CounterRet {
//!         match op {
//!             CounterOp::Incr => { self.0 += 1; CounterRet::Done }
//!             CounterOp::Read => CounterRet::Count(self.0),
//!         }
//!     }
//! }
//! impl LinearizableSpec for Counter {}
//!
//! struct CounterModel;
//!
//! impl Model for CounterModel {
//!     type Spec = Counter;
//!     fn name(&self) -> String { "counter".into() }
//!     fn initial(&self, _: &mut ValueTable) -> Counter { Counter(0) }
//!     fn translate(&self, op: &Operation, _: &mut ValueTable)
//!         -> Result<Translation<Counter>, ModelError>
//!     {
//!         // An `info` operation's return value is unknown: `None`.
//!         let ok = op.outcome == Outcome::Ok;
//!         match op.f.as_str() {
//!             "incr" => Ok(Translation::Apply {
//!                 op: CounterOp::Incr,
//!                 expected: ok.then_some(CounterRet::Done),
//!             }),
//!             "read" if !ok => Ok(Translation::Ignore),
//!             "read" => match op.output.as_u64() {
//!                 Some(n) => Ok(Translation::Apply {
//!                     op: CounterOp::Read,
//!                     expected: Some(CounterRet::Count(n)),
//!                 }),
//!                 None => Err(ModelError::new(op, "a read returns a count")),
//!             },
//!             _ => Err(ModelError::new(op, "expected incr or read")),
//!         }
//!     }
//!     fn describe_state(&self, state: &Counter, _: &ValueTable) -> String {
//!         state.0.to_string()
//!     }
//!     fn object_noun(&self) -> &'static str { "counter" }
//! }
//!
//! /// One operation of `process` from `call_ns` to `return_ns`, `ok`.
//! fn op(id: usize, process: u64, f: &str, output: Value, call_ns: u64, return_ns: u64) -> Operation {
//!     Operation {
//!         id, process, f: f.into(), key: None, input: Value::Null, output,
//!         output_unknown: false, outcome: Outcome::Ok, call_ns,
//!         return_ns: Some(return_ns), invoke_index: 2 * id as u64,
//!         complete_index: Some(2 * id as u64 + 1),
//!     }
//! }
//!
//! // Two concurrent increments; a read overlapping both may see 0, 1 or 2,
//! // but a read after both returned must see 2.
//! let mut ops = vec![
//!     op(0, 0, "incr", Value::Null, 0, 10),
//!     op(1, 1, "incr", Value::Null, 2, 12),
//!     op(2, 2, "read", json!(1), 5, 15),
//! ];
//! let report = check_with_model(&ops, &CounterModel, &CheckOptions::default())?;
//! assert_eq!(report.verdict, Verdict::Valid);
//!
//! ops.push(op(3, 2, "read", json!(1), 20, 30));
//! let report = check_with_model(&ops, &CounterModel, &CheckOptions::default())?;
//! assert_eq!(report.verdict, Verdict::Invalid);
//! assert!(report.to_string().contains("after it the counter is 2"), "{report}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod append;
mod elements;
pub mod error;
pub(crate) mod exact;
pub mod history;
pub mod import;
pub mod io;
pub mod linearizability;
pub mod model;
pub mod results;
pub mod set;
pub mod synthetic;
pub mod verdict;

pub use linearizability::{
    check_history, check_operations, check_with_model, CheckError, CheckOptions, CheckReport,
    RealTimeOrder,
};
pub use model::{Model, ModelKind};
pub use results::{
    CheckerResult, FindingGroup, GroupSpan, LinearizabilityFailure, NodeState, RunResults,
    SituationCount,
};
pub use verdict::Verdict;
