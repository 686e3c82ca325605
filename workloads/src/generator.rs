//! The generator: a pure, seeded state machine that tells each worker what
//! to do next in simulated time (Jepsen's generator model, flattened).
//!
//! The orchestrator runs `concurrency` workers. Each asks
//! [`Generator::next`] with the current simulated time and gets one of:
//! an [`Op`] to run, [`Next::WaitUntil`] a later time, [`Next::Blocked`]
//! (ask again after any completion or the heal signal), or [`Next::Done`].
//! When the op ends, the worker reports it with [`Generator::complete`].
//!
//! Phases, in order ([`Phase`]):
//!
//! 1. **main**: ops from the workload, paced by the global rate limit, until
//!    the time limit;
//! 2. **draining**: no new ops until every op in flight has completed (each
//!    client op has its own timeout, so this is bounded);
//! 3. **awaiting-heal**: the nemesis must heal everything and then call
//!    [`Generator::heal_done`] (poll [`Generator::heal_due`]);
//! 4. **quiet**: nothing for `quiet_ns`, so the cluster can recover;
//! 5. **final-reads**: each key the workload names is read once by some
//!    worker (retried up to `final_read_attempts` times if it does not end
//!    `ok`);
//! 6. **done**.
//!
//! Processes follow Jepsen's numbering: worker `w` starts as process `w`;
//! when its op ends `info`, the process is retired and the worker continues
//! as process `p + concurrency`.

use std::collections::VecDeque;

use faultline_checker::history::Outcome;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::error::GeneratorError;
use crate::op::{Op, OpSpec};
use crate::pacer::Pacer;
use crate::workload::Workload;

const NS_PER_S: u64 = 1_000_000_000;

/// Settings of the generator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneratorConfig {
    /// Number of concurrent workers (client slots), at least 1.
    pub concurrency: usize,
    /// Global rate limit in ops per second over all workers (finite, > 0).
    pub rate_per_s: f64,
    /// Simulated time at which the main phase stops issuing ops.
    pub time_limit_ns: u64,
    /// Quiet period between the final heal and the final reads.
    pub quiet_ns: u64,
    /// Whether to run the final-read phase at all.
    pub final_reads: bool,
    /// Attempts per final read (at least 1): a final read that ends `fail`
    /// or `info` is retried, by whichever worker is free, up to this many times.
    pub final_read_attempts: u32,
}

impl Default for GeneratorConfig {
    /// The defaults of `faultline run` (its `RunConfig` sets every field
    /// explicitly; these are for library users).
    fn default() -> Self {
        GeneratorConfig {
            concurrency: 5,
            rate_per_s: 20.0,
            time_limit_ns: 60 * NS_PER_S,
            quiet_ns: 10 * NS_PER_S,
            final_reads: true,
            final_read_attempts: 5,
        }
    }
}

impl GeneratorConfig {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), GeneratorError> {
        let bad = |field, reason: &str| {
            Err(GeneratorError::InvalidConfig {
                field,
                reason: reason.to_string(),
            })
        };
        if self.concurrency == 0 {
            return bad("concurrency", "must be at least 1");
        }
        if !(self.rate_per_s.is_finite() && self.rate_per_s > 0.0) {
            return bad("rate_per_s", "must be a finite number above 0");
        }
        if self.final_read_attempts == 0 {
            return bad("final_read_attempts", "must be at least 1");
        }
        Ok(())
    }
}

/// What a worker should do next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Next {
    /// Run this op now (and report it with [`Generator::complete`]).
    Op(Op),
    /// Nothing before this simulated time; ask again then.
    WaitUntil(u64),
    /// Nothing until another op completes or the final heal is reported.
    Blocked,
    /// This worker is finished.
    Done,
}

/// The generator's phase (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Workload ops until the time limit.
    Main,
    /// Waiting for the ops in flight to complete.
    Draining,
    /// Waiting for the nemesis to heal everything.
    AwaitingHeal,
    /// Letting the cluster recover until the given time.
    Quiet {
        /// When the quiet period ends.
        until_ns: u64,
    },
    /// Reading every key once.
    FinalReads,
    /// Nothing left to do.
    Done,
}

impl Phase {
    /// The phase's name.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Main => "main",
            Phase::Draining => "draining",
            Phase::AwaitingHeal => "awaiting-heal",
            Phase::Quiet { .. } => "quiet",
            Phase::FinalReads => "final-reads",
            Phase::Done => "done",
        }
    }
}

/// When the generator entered a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PhaseChange {
    /// The phase entered.
    pub phase: Phase,
    /// Simulated time of the change.
    pub at_ns: u64,
}

/// A final read waiting for a worker.
#[derive(Debug, Clone)]
struct FinalRead {
    key: String,
    attempts_left: u32,
}

/// What a worker is running.
#[derive(Debug, Clone)]
struct InFlight {
    final_read: Option<FinalRead>,
}

/// One client slot.
#[derive(Debug, Clone)]
struct Worker {
    process: u64,
    in_flight: Option<InFlight>,
}

/// Counts of what the generator handed out and heard back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GeneratorStats {
    /// Main-phase ops issued.
    pub main_ops: u64,
    /// Final-read ops issued (including retries).
    pub final_read_ops: u64,
    /// Completions by outcome.
    pub ok: u64,
    /// Completions that failed.
    pub fail: u64,
    /// Completions with unknown outcome (each retired a process).
    pub info: u64,
    /// Final reads abandoned after their last attempt did not end `ok`.
    pub final_reads_abandoned: u64,
}

/// The generator (see the module docs).
#[derive(Debug)]
pub struct Generator {
    config: GeneratorConfig,
    workload: Box<dyn Workload>,
    rng: ChaCha8Rng,
    pacer: Pacer,
    workers: Vec<Worker>,
    phase: Phase,
    phase_log: Vec<PhaseChange>,
    final_queue: VecDeque<FinalRead>,
    in_flight: usize,
    last_now_ns: u64,
    stats: GeneratorStats,
}

impl Generator {
    /// A generator over `workload`, drawing all randomness from `rng`.
    pub fn new(
        config: GeneratorConfig,
        workload: Box<dyn Workload>,
        rng: ChaCha8Rng,
    ) -> Result<Self, GeneratorError> {
        config.validate()?;
        let workers = (0..config.concurrency as u64)
            .map(|p| Worker {
                process: p,
                in_flight: None,
            })
            .collect();
        Ok(Generator {
            pacer: Pacer::new(config.rate_per_s),
            config,
            workload,
            rng,
            workers,
            phase: Phase::Main,
            phase_log: vec![PhaseChange {
                phase: Phase::Main,
                at_ns: 0,
            }],
            final_queue: VecDeque::new(),
            in_flight: 0,
            last_now_ns: 0,
            stats: GeneratorStats::default(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// The workload driving the main phase.
    pub fn workload(&self) -> &dyn Workload {
        self.workload.as_ref()
    }

    /// The current phase (as of the latest call).
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Every phase change so far, in order, starting with `main` at 0.
    pub fn phase_log(&self) -> &[PhaseChange] {
        &self.phase_log
    }

    /// Counts so far.
    pub fn stats(&self) -> GeneratorStats {
        self.stats
    }

    /// The process `worker` currently runs as.
    pub fn process_of(&self, worker: usize) -> Result<u64, GeneratorError> {
        Ok(self.worker(worker)?.process)
    }

    /// Ops handed out and not yet completed.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Brings the phase up to date with `now_ns` and returns it.
    pub fn poll(&mut self, now_ns: u64) -> Result<Phase, GeneratorError> {
        self.observe(now_ns)?;
        self.advance(now_ns);
        Ok(self.phase)
    }

    /// Whether the nemesis should heal everything now (then call
    /// [`Self::heal_done`]).
    pub fn heal_due(&self) -> bool {
        self.phase == Phase::AwaitingHeal
    }

    /// Reports that the final heal happened at `now_ns`; starts the quiet
    /// period.
    pub fn heal_done(&mut self, now_ns: u64) -> Result<(), GeneratorError> {
        self.observe(now_ns)?;
        self.advance(now_ns);
        if self.phase != Phase::AwaitingHeal {
            return Err(GeneratorError::HealNotDue {
                phase: self.phase.name(),
            });
        }
        self.enter(
            Phase::Quiet {
                until_ns: now_ns.saturating_add(self.config.quiet_ns),
            },
            now_ns,
        );
        self.advance(now_ns);
        Ok(())
    }

    /// What `worker` should do at simulated time `now_ns`.
    pub fn next(&mut self, worker: usize, now_ns: u64) -> Result<Next, GeneratorError> {
        self.observe(now_ns)?;
        let w = self.worker(worker)?;
        if w.in_flight.is_some() {
            return Err(GeneratorError::WorkerBusy {
                worker,
                process: w.process,
            });
        }
        self.advance(now_ns);
        match self.phase {
            Phase::Main => {
                let ready = self.pacer.ready_at_ns();
                if ready > now_ns {
                    return Ok(Next::WaitUntil(ready.min(self.config.time_limit_ns)));
                }
                self.pacer.take(now_ns, &mut self.rng);
                let spec = self.workload.next_op(worker, &mut self.rng);
                self.stats.main_ops += 1;
                Ok(Next::Op(self.hand_out(worker, spec, None)))
            }
            Phase::Draining | Phase::AwaitingHeal => Ok(Next::Blocked),
            Phase::Quiet { until_ns } => Ok(Next::WaitUntil(until_ns)),
            Phase::FinalReads => match self.final_queue.pop_front() {
                Some(read) => {
                    self.stats.final_read_ops += 1;
                    let spec = OpSpec::read(read.key.clone());
                    Ok(Next::Op(self.hand_out(worker, spec, Some(read))))
                }
                // Another worker's read may still be retried.
                None => Ok(Next::Blocked),
            },
            Phase::Done => Ok(Next::Done),
        }
    }

    /// Reports how `worker`'s op ended at `now_ns`. An `info` outcome
    /// retires the worker's process: its next op runs as `process + concurrency`.
    pub fn complete(
        &mut self,
        worker: usize,
        now_ns: u64,
        outcome: Outcome,
    ) -> Result<(), GeneratorError> {
        self.observe(now_ns)?;
        let concurrency = self.config.concurrency as u64;
        let w = self.worker_mut(worker)?;
        let Some(done) = w.in_flight.take() else {
            return Err(GeneratorError::NothingInFlight { worker });
        };
        if outcome == Outcome::Info {
            w.process += concurrency;
        }
        self.in_flight -= 1;
        match outcome {
            Outcome::Ok => self.stats.ok += 1,
            Outcome::Fail => self.stats.fail += 1,
            Outcome::Info => self.stats.info += 1,
        }
        if let Some(read) = done.final_read {
            if outcome != Outcome::Ok {
                if read.attempts_left > 1 {
                    self.final_queue.push_back(FinalRead {
                        key: read.key,
                        attempts_left: read.attempts_left - 1,
                    });
                } else {
                    self.stats.final_reads_abandoned += 1;
                }
            }
        }
        self.advance(now_ns);
        Ok(())
    }

    fn hand_out(&mut self, worker: usize, spec: OpSpec, final_read: Option<FinalRead>) -> Op {
        let is_final = final_read.is_some();
        let w = &mut self.workers[worker];
        w.in_flight = Some(InFlight { final_read });
        self.in_flight += 1;
        Op {
            worker,
            process: w.process,
            f: spec.f,
            key: spec.key,
            value: spec.value,
            final_read: is_final,
        }
    }

    fn worker(&self, worker: usize) -> Result<&Worker, GeneratorError> {
        let concurrency = self.config.concurrency;
        self.workers
            .get(worker)
            .ok_or(GeneratorError::NoSuchWorker {
                worker,
                concurrency,
            })
    }

    fn worker_mut(&mut self, worker: usize) -> Result<&mut Worker, GeneratorError> {
        let concurrency = self.config.concurrency;
        self.workers
            .get_mut(worker)
            .ok_or(GeneratorError::NoSuchWorker {
                worker,
                concurrency,
            })
    }

    fn observe(&mut self, now_ns: u64) -> Result<(), GeneratorError> {
        if now_ns < self.last_now_ns {
            return Err(GeneratorError::TimeWentBackwards {
                now_ns,
                last_ns: self.last_now_ns,
            });
        }
        self.last_now_ns = now_ns;
        Ok(())
    }

    fn enter(&mut self, phase: Phase, now_ns: u64) {
        self.phase = phase;
        self.phase_log.push(PhaseChange {
            phase,
            at_ns: now_ns,
        });
    }

    /// Takes every transition that is due at `now_ns`.
    fn advance(&mut self, now_ns: u64) {
        loop {
            let next = match self.phase {
                Phase::Main if now_ns >= self.config.time_limit_ns => Phase::Draining,
                Phase::Draining if self.in_flight == 0 => Phase::AwaitingHeal,
                Phase::Quiet { until_ns } if now_ns >= until_ns => {
                    if self.config.final_reads {
                        let attempts_left = self.config.final_read_attempts;
                        self.final_queue = self
                            .workload
                            .final_read_keys()
                            .into_iter()
                            .map(|key| FinalRead { key, attempts_left })
                            .collect();
                    }
                    Phase::FinalReads
                }
                Phase::FinalReads if self.final_queue.is_empty() && self.in_flight == 0 => {
                    Phase::Done
                }
                _ => return,
            };
            self.enter(next, now_ns);
        }
    }
}
