//! Generator tests: determinism, phase order, the rate limit, process
//! retirement after `info`, final reads, and misuse reported as errors.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use faultline_checker::history::{EventType, Outcome, Process};
use faultline_workloads::generator::PhaseChange;
use faultline_workloads::{
    build_workload, Generator, GeneratorConfig, GeneratorError, Next, OpFn, Phase, WorkloadConfig,
    WorkloadKind,
};
use support::{drive, rng, DriverConfig};

const S: u64 = 1_000_000_000;

fn generator(kind: WorkloadKind, config: GeneratorConfig, seed: u64) -> Generator {
    let workload = build_workload(kind, &WorkloadConfig::default()).unwrap();
    Generator::new(config, workload, rng(seed)).unwrap()
}

fn short_config() -> GeneratorConfig {
    GeneratorConfig {
        concurrency: 4,
        rate_per_s: 100.0,
        time_limit_ns: 10 * S,
        quiet_ns: 2 * S,
        ..GeneratorConfig::default()
    }
}

#[test]
fn same_seed_gives_identical_op_streams_and_histories() {
    for kind in WorkloadKind::ALL {
        let driver = DriverConfig {
            info_probability: 0.05,
            ..DriverConfig::default()
        };
        let a = drive(&mut generator(kind, short_config(), 7), &driver, 7);
        let b = drive(&mut generator(kind, short_config(), 7), &driver, 7);
        assert_eq!(a.ops, b.ops, "{kind}");
        assert_eq!(a.history, b.history, "{kind}");
        let c = drive(&mut generator(kind, short_config(), 8), &driver, 7);
        assert_ne!(
            a.ops, c.ops,
            "{kind}: a different seed should change the ops"
        );
    }
}

#[test]
fn phases_run_in_order_main_drain_heal_quiet_final_reads_done() {
    let config = short_config();
    let mut g = generator(WorkloadKind::Kv, config.clone(), 1);
    let run = drive(&mut g, &DriverConfig::default(), 1);
    let names: Vec<&str> = g.phase_log().iter().map(|c| c.phase.name()).collect();
    assert_eq!(
        names,
        [
            "main",
            "draining",
            "awaiting-heal",
            "quiet",
            "final-reads",
            "done"
        ]
    );
    let times: Vec<u64> = g
        .phase_log()
        .iter()
        .map(|c: &PhaseChange| c.at_ns)
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let heal = run.heal_ns.unwrap();
    assert!(heal >= config.time_limit_ns);
    for (t, op) in &run.ops {
        if op.final_read {
            assert!(
                *t >= heal + config.quiet_ns,
                "final read at {t} before quiet ended"
            );
        } else {
            assert!(
                *t < config.time_limit_ns,
                "main op at {t} after the time limit"
            );
        }
    }
    // Every main op completed before the heal: the drain waited for them.
    let main_ops = run.ops.iter().filter(|(_, op)| !op.final_read).count();
    let completions_before_heal = run
        .history
        .events
        .iter()
        .filter(|e| matches!(e.process, Process::Client(_)) && e.kind != EventType::Invoke)
        .filter(|e| e.time_ns <= heal)
        .count();
    assert_eq!(completions_before_heal, main_ops);
    assert_eq!(g.phase(), Phase::Done);
}

#[test]
fn every_touched_key_gets_a_final_read() {
    for kind in WorkloadKind::ALL {
        let mut g = generator(kind, short_config(), 3);
        let run = drive(&mut g, &DriverConfig::default(), 3);
        let main_keys: BTreeSet<&str> = run
            .ops
            .iter()
            .filter(|(_, op)| !op.final_read)
            .map(|(_, op)| op.key.as_str())
            .collect();
        let final_keys: Vec<&str> = run
            .ops
            .iter()
            .filter(|(_, op)| op.final_read)
            .map(|(_, op)| op.key.as_str())
            .collect();
        let final_set: BTreeSet<&str> = final_keys.iter().copied().collect();
        assert_eq!(main_keys, final_set, "{kind}");
        assert_eq!(
            final_keys.len(),
            final_set.len(),
            "{kind}: each key read once"
        );
        assert!(run
            .ops
            .iter()
            .filter(|(_, op)| op.final_read)
            .all(|(_, op)| op.f == OpFn::Read));
    }
}

#[test]
fn failed_final_reads_are_retried_until_attempts_run_out() {
    let config = GeneratorConfig {
        final_read_attempts: 3,
        ..short_config()
    };
    let mut g = generator(WorkloadKind::Register, config, 5);
    let driver = DriverConfig {
        fail_probability: 1.0,
        ..DriverConfig::default()
    };
    let run = drive(&mut g, &driver, 5);
    let finals = run.ops.iter().filter(|(_, op)| op.final_read).count();
    assert_eq!(finals, 3, "one key, three attempts");
    assert_eq!(g.stats().final_reads_abandoned, 1);
    assert_eq!(g.phase(), Phase::Done);
}

#[test]
fn global_rate_limit_is_respected_on_average() {
    let rate = 20.0;
    let config = GeneratorConfig {
        concurrency: 10,
        rate_per_s: rate,
        time_limit_ns: 100 * S,
        ..short_config()
    };
    let mut g = generator(WorkloadKind::Register, config, 11);
    // Latency far below the gap: the limiter, not the workers, sets the pace.
    let driver = DriverConfig {
        latency_ns_max: 1_000_000,
        ..DriverConfig::default()
    };
    let run = drive(&mut g, &driver, 11);
    let main: Vec<u64> = run
        .ops
        .iter()
        .filter(|(_, op)| !op.final_read)
        .map(|(t, _)| *t)
        .collect();
    let expected = rate * 100.0;
    let n = main.len() as f64;
    assert!(
        n <= expected * 1.1 && n >= expected * 0.9,
        "{n} ops, expected about {expected}"
    );
    // Stagger: gaps vary rather than marching in lockstep.
    let gaps: BTreeSet<u64> = main.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.len() > main.len() / 2, "gaps should be randomised");
    // No ten-second window exceeds the rate by more than half.
    for start in (0..90).map(|s| s * S) {
        let in_window = main
            .iter()
            .filter(|t| (start..start + 10 * S).contains(*t))
            .count();
        assert!(
            (in_window as f64) < rate * 10.0 * 1.5,
            "burst of {in_window} at {start}"
        );
    }
}

#[test]
fn info_retires_the_process_and_the_worker_continues_as_process_plus_concurrency() {
    let config = short_config();
    let concurrency = config.concurrency as u64;
    let mut g = generator(WorkloadKind::Kv, config, 21);
    let driver = DriverConfig {
        info_probability: 0.2,
        ..DriverConfig::default()
    };
    let run = drive(&mut g, &driver, 21);
    run.history
        .operations()
        .expect("the recorded history obeys the contract");
    let mut retired = BTreeSet::new();
    let mut per_worker: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    for (_, op) in &run.ops {
        assert!(
            !retired.contains(&op.process),
            "process {} issued after info",
            op.process
        );
        let seen = per_worker.entry(op.worker).or_default();
        if seen.last() != Some(&op.process) {
            seen.push(op.process);
        }
        assert_eq!(op.process % concurrency, op.worker as u64);
    }
    for e in &run.history.events {
        if let (Process::Client(p), EventType::Info) = (e.process, e.kind) {
            retired.insert(p);
        }
    }
    assert!(!retired.is_empty(), "20% info should retire someone");
    for (w, processes) in per_worker {
        for pair in processes.windows(2) {
            assert_eq!(pair[1], pair[0] + concurrency, "worker {w}: {processes:?}");
            assert!(retired.contains(&pair[0]));
        }
    }
    assert_eq!(g.stats().info as usize, retired.len());
}

#[test]
fn misuse_is_reported_as_errors() {
    let mut g = generator(WorkloadKind::Register, short_config(), 1);
    assert!(matches!(
        g.next(9, 0),
        Err(GeneratorError::NoSuchWorker { worker: 9, .. })
    ));
    assert!(matches!(
        g.complete(0, 0, Outcome::Ok),
        Err(GeneratorError::NothingInFlight { .. })
    ));
    let Ok(Next::Op(op)) = g.next(0, 0) else {
        panic!("first op is due at time 0")
    };
    assert_eq!((op.worker, op.process), (0, 0));
    assert!(matches!(
        g.next(0, 1),
        Err(GeneratorError::WorkerBusy {
            worker: 0,
            process: 0
        })
    ));
    assert!(matches!(
        g.heal_done(1),
        Err(GeneratorError::HealNotDue { phase: "main" })
    ));
    g.complete(0, 5, Outcome::Ok).unwrap();
    assert!(matches!(
        g.next(1, 4),
        Err(GeneratorError::TimeWentBackwards {
            now_ns: 4,
            last_ns: 5
        })
    ));
}

#[test]
fn bad_config_is_rejected_with_the_field_named() {
    for (config, field) in [
        (
            GeneratorConfig {
                concurrency: 0,
                ..GeneratorConfig::default()
            },
            "concurrency",
        ),
        (
            GeneratorConfig {
                rate_per_s: 0.0,
                ..GeneratorConfig::default()
            },
            "rate_per_s",
        ),
        (
            GeneratorConfig {
                rate_per_s: f64::NAN,
                ..GeneratorConfig::default()
            },
            "rate_per_s",
        ),
        (
            GeneratorConfig {
                final_read_attempts: 0,
                ..GeneratorConfig::default()
            },
            "final_read_attempts",
        ),
    ] {
        let workload = build_workload(WorkloadKind::Set, &WorkloadConfig::default()).unwrap();
        match Generator::new(config, workload, rng(0)) {
            Err(GeneratorError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected an error naming {field}, got {other:?}"),
        }
    }
}

#[test]
fn without_final_reads_the_generator_finishes_after_the_quiet_period() {
    let config = GeneratorConfig {
        final_reads: false,
        ..short_config()
    };
    let mut g = generator(WorkloadKind::Append, config, 2);
    let run = drive(&mut g, &DriverConfig::default(), 2);
    assert!(run.ops.iter().all(|(_, op)| !op.final_read));
    assert_eq!(g.phase(), Phase::Done);
}
