//! The client side of a run: `concurrency` workers inside one turmoil client
//! host, each asking the shared generator for its next operation, carrying
//! it out through the KV client library, and recording the invocation and
//! completion in the shared history recorder.
//!
//! A worker whose operation ended `info` continues as a fresh process with a
//! fresh client session (Jepsen's rule: an `info` process never issues again).

use faultline_checker::history::Outcome;
use faultline_raft::kv::KvReply;
use faultline_raft::node::{ClientConfig, ClientError, KvClient, OpResult};
use faultline_sim::net::TurmoilNetwork;
use faultline_workloads::encoding::ok_value;
use faultline_workloads::{Generator, KvRequest, Next, Op, Recorder, WorkloadKind};
use serde_json::Value;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How long an idle worker waits before asking a blocked generator again.
const BLOCKED_POLL: Duration = Duration::from_millis(20);

/// The generator and recorder, shared by the workers and the run loop, with
/// one monotone clock for both.
#[derive(Debug)]
pub struct Shared {
    /// The generator.
    pub generator: Generator,
    /// The history being recorded.
    pub recorder: Recorder,
    /// The latest timestamp handed out.
    last_ns: u64,
    /// The first error a worker met (the run is then an internal error).
    pub error: Option<String>,
}

impl Shared {
    /// Shares a generator and a fresh recorder.
    pub fn new(generator: Generator) -> Arc<Mutex<Shared>> {
        Arc::new(Mutex::new(Shared {
            generator,
            recorder: Recorder::new(),
            last_ns: 0,
            error: None,
        }))
    }

    /// `now_ns`, or the latest stamp if `now_ns` is earlier: every event the
    /// run records is stamped in non-decreasing simulated time.
    pub fn stamp(&mut self, now_ns: u64) -> u64 {
        self.last_ns = self.last_ns.max(now_ns);
        self.last_ns
    }

    fn fail(&mut self, what: impl std::fmt::Display) {
        if self.error.is_none() {
            self.error = Some(what.to_string());
        }
    }
}

/// Locks the shared state (a worker that panicked cannot leave it half-written).
pub fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Simulated time now, in nanoseconds.
pub fn sim_now_ns() -> u64 {
    turmoil::sim_elapsed()
        .unwrap_or_default()
        .as_nanos()
        .min(u128::from(u64::MAX)) as u64
}

/// What every worker needs.
#[derive(Debug, Clone)]
pub struct ClientSetup {
    /// The cluster's client addresses and timeouts.
    pub config: ClientConfig,
    /// The workload (for decoding reads).
    pub workload: WorkloadKind,
}

/// Runs every worker to completion (the body of the client host).
pub async fn run_workers(shared: Arc<Mutex<Shared>>, setup: ClientSetup, concurrency: usize) {
    let mut tasks = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let (shared, setup) = (shared.clone(), setup.clone());
        tasks.push(tokio::spawn(run_worker(shared, setup, worker)));
    }
    for t in tasks {
        if t.await.is_err() {
            // A worker panicked: the run reports an internal error.
            return;
        }
    }
}

async fn run_worker(shared: Arc<Mutex<Shared>>, setup: ClientSetup, worker: usize) {
    let mut client: Option<(u64, KvClient<TurmoilNetwork>)> = None;
    loop {
        let next = {
            let mut s = lock(&shared);
            let now = s.stamp(sim_now_ns());
            match s.generator.next(worker, now) {
                Ok(next) => next,
                Err(e) => {
                    s.fail(format!("generator: {e}"));
                    return;
                }
            }
        };
        match next {
            Next::Done => return,
            Next::Blocked => tokio::time::sleep(BLOCKED_POLL).await,
            Next::WaitUntil(t) => {
                let wait = t.saturating_sub(sim_now_ns()).max(1_000_000);
                tokio::time::sleep(Duration::from_nanos(wait)).await;
            }
            Next::Op(op) => {
                // One session per process: a retired process's successor
                // must not be mistaken for a retry of its last command.
                let kv = match &mut client {
                    Some((p, kv)) if *p == op.process => kv,
                    slot => {
                        let id = op.process + 1;
                        let kv = KvClient::new(TurmoilNetwork, setup.config.clone(), id);
                        &mut slot.insert((op.process, kv)).1
                    }
                };
                run_op(&shared, &setup, kv, &op).await;
            }
        }
    }
}

async fn run_op(
    shared: &Mutex<Shared>,
    setup: &ClientSetup,
    kv: &mut KvClient<TurmoilNetwork>,
    op: &Op,
) {
    let request = {
        let mut s = lock(shared);
        let now = s.stamp(sim_now_ns());
        if let Err(e) = s.recorder.invoke_op(now, op) {
            s.fail(format!("recorder: {e}"));
            return;
        }
        KvRequest::for_op(op)
    };
    let (outcome, value) = match request {
        // The workload produced an op the store cannot express: it never
        // reached the cluster, so it certainly did not happen.
        Err(_) => (Outcome::Fail, op.value.clone()),
        Ok(request) => {
            let result = match request {
                KvRequest::Read { key } => kv.read(&key).await,
                KvRequest::Write { key, value } => kv.write(&key, &value).await,
                KvRequest::Cas { key, expected, new } => kv.cas(&key, &expected, &new).await,
                KvRequest::Append { key, suffix } => kv.append(&key, &suffix).await,
            };
            completion(setup.workload, op, result)
        }
    };
    let mut s = lock(shared);
    let now = s.stamp(sim_now_ns());
    if let Err(e) = s
        .recorder
        .complete(now, op.process, outcome.event_type(), value)
    {
        s.fail(format!("recorder: {e}"));
        return;
    }
    if let Err(e) = s.generator.complete(op.worker, now, outcome) {
        s.fail(format!("generator: {e}"));
    }
}

/// How a client's result is recorded: `ok` with the decoded value, `fail`
/// only when the operation certainly did not take effect, `info` otherwise.
pub fn completion(workload: WorkloadKind, op: &Op, result: OpResult) -> (Outcome, Value) {
    match result {
        Ok(KvReply::Read { value }) => (Outcome::Ok, ok_value(workload, op, value.as_deref())),
        Ok(KvReply::Done | KvReply::CasSucceeded) => (Outcome::Ok, ok_value(workload, op, None)),
        // The comparison failed on the leader: nothing changed.
        Ok(KvReply::CasFailed { .. }) => (Outcome::Fail, op.value.clone()),
        // A retry the state machine would not apply again, or a session it
        // forgot: an earlier attempt may have taken effect.
        Ok(_) => (Outcome::Info, op.value.clone()),
        Err(ClientError::NotApplied(_)) => (Outcome::Fail, op.value.clone()),
        Err(ClientError::Indeterminate(_)) => (Outcome::Info, op.value.clone()),
    }
}
