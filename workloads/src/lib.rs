//! # faultline-workloads
//!
//! What the clients do during a run, and how it is written down:
//!
//! * [`generator`]: a pure, seeded, Jepsen-style generator. The orchestrator
//!   asks "what is the next operation for worker `w` at simulated time `t`?"
//!   and gets an operation, a time to wait until, "blocked" or "done". It owns
//!   the process numbering (a process whose op ended `info` is retired), the
//!   global rate limit with stagger, the time limit and the phases
//!   (main → final heal → quiet → final reads).
//! * [`workload`] and its implementations [`register`], [`kv`], [`set`] and
//!   [`append`]: operation mixes in the checker's `(f, key, value)` vocabulary
//!   (DESIGN §3), each naming the checker it needs.
//! * [`encoding`]: ops as requests to a string KV store, and replies back
//!   as history values.
//! * [`recorder`]: turns invocations, completions and nemesis actions into a
//!   [`faultline_checker::history::History`], enforcing the history contract.
//!
//! Nothing here reads a clock or performs I/O; all randomness comes from a
//! `ChaCha8Rng` passed in, so one seed always yields one op stream.

pub mod append;
pub mod encoding;
pub mod error;
pub mod generator;
pub mod kv;
pub mod mix;
pub mod op;
pub mod pacer;
pub mod recorder;
pub mod register;
pub mod rotation;
pub mod set;
pub mod workload;

pub use encoding::{EncodingError, KvRequest};
pub use error::{GeneratorError, RecordError, WorkloadError};
pub use generator::{Generator, GeneratorConfig, Next, Phase};
pub use op::{Op, OpFn, OpSpec};
pub use recorder::Recorder;
pub use workload::{build_workload, CheckerModel, Workload, WorkloadConfig, WorkloadKind};
