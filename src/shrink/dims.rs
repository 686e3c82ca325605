//! The dimensions a run shrinks along, each a list of candidate
//! configurations derived from the best run so far, most aggressive
//! first: the fault actions (by [`super::ddmin`]), each fault's duration,
//! when the faults start (all moved earlier together), the main phase and
//! the quiet period, clients and their rate, keys, and nodes. Every
//! candidate carries its fault plan explicitly (origin `given`), so the
//! workload is the seed's and the faults are exactly the edited list.

use std::collections::BTreeSet;

use faultline_nemesis::explicit::{ExplicitPlan, PlanAction, PlanOrigin};

use crate::run::config::RunConfig;

/// The shortest duration a fault is cut to, in ms.
const DURATION_MS_MIN: u64 = 200;

/// The earliest a shifted first fault starts, in ms (a leader has been
/// elected by then).
const FIRST_START_MS_MIN: u64 = 1_000;

/// A candidate: what changed, and the configuration.
pub type Candidate = (String, RunConfig);

/// The plan's actions of `config` (empty when it has none).
pub fn actions(config: &RunConfig) -> Vec<PlanAction> {
    config
        .fault_plan
        .as_ref()
        .map(|p| p.actions.clone())
        .unwrap_or_default()
}

/// `config` with exactly these fault actions, as a given plan; the
/// enabled kinds are the plan's.
pub fn with_actions(config: &RunConfig, actions: Vec<PlanAction>) -> RunConfig {
    let kinds: BTreeSet<_> = actions.iter().map(|a| a.kind).collect();
    RunConfig {
        nemesis: kinds,
        fault_plan: Some(ExplicitPlan {
            origin: PlanOrigin::Given,
            actions,
        }),
        profile: None,
        ..config.clone()
    }
}

/// Shorter durations of fault `index`: an eighth, a quarter, a half,
/// three quarters.
pub fn durations(config: &RunConfig, index: usize) -> Vec<Candidate> {
    let actions = actions(config);
    let Some(a) = actions.get(index) else {
        return Vec::new();
    };
    let time_limit_ms = config.time_limit_s * 1000;
    let d = a.duration_ms(time_limit_ms);
    let mut out: Vec<Candidate> = Vec::new();
    let mut seen: Vec<u64> = Vec::new();
    for shorter in [d / 8, d / 4, d / 2, 3 * d / 4] {
        if shorter < DURATION_MS_MIN || shorter >= d || seen.contains(&shorter) {
            continue;
        }
        seen.push(shorter);
        let mut edited = actions.clone();
        edited[index].stop_ms = Some(a.start_ms + shorter);
        edited[index].hold_ms = None;
        out.push((
            format!("fault {} ({}) lasts {d} → {shorter} ms", index + 1, a.kind),
            with_actions(config, edited),
        ));
    }
    out
}

/// Every fault moved earlier together, so the first starts at 1 s, 2 s,
/// half or three quarters of its time.
pub fn shift(config: &RunConfig) -> Vec<Candidate> {
    let actions = actions(config);
    let Some(first_ms) = actions.iter().map(|a| a.start_ms).min() else {
        return Vec::new();
    };
    let mut targets: Vec<u64> = vec![
        FIRST_START_MS_MIN,
        2 * FIRST_START_MS_MIN,
        first_ms / 2,
        3 * first_ms / 4,
    ];
    targets.retain(|t| *t >= FIRST_START_MS_MIN && *t < first_ms);
    targets.sort_unstable();
    targets.dedup();
    targets
        .into_iter()
        .map(|t| {
            let by = first_ms - t;
            let moved = actions
                .iter()
                .map(|a| PlanAction {
                    start_ms: a.start_ms - by,
                    stop_ms: a.stop_ms.map(|s| s - by),
                    ..a.clone()
                })
                .collect();
            (
                format!("faults start {by} ms earlier"),
                with_actions(config, moved),
            )
        })
        .collect()
}

/// Shorter main phases: just past the last fault's start, just past the
/// failure, a quarter, a half, three quarters.
pub fn time_limit(config: &RunConfig, failure_ms: Option<u64>) -> Vec<Candidate> {
    let actions = actions(config);
    let last_start_ms = actions.iter().map(|a| a.start_ms).max();
    let t = config.time_limit_s;
    let mut limits: Vec<u64> = vec![t / 4, t / 2, 3 * t / 4];
    if let Some(ms) = last_start_ms {
        limits.push(ms / 1000 + 1);
    }
    if let Some(ms) = failure_ms {
        limits.push(ms / 1000 + 1);
    }
    limits.retain(|l| *l >= 1 && *l < t && last_start_ms.is_none_or(|ms| l * 1000 > ms));
    limits.sort_unstable();
    limits.dedup();
    limits
        .into_iter()
        .map(|l| {
            // A fault that would stop after the new end stops at the final heal.
            let kept = actions
                .iter()
                .map(|a| PlanAction {
                    stop_ms: a.stop_ms.filter(|s| *s < l * 1000),
                    ..a.clone()
                })
                .collect();
            let c = RunConfig {
                time_limit_s: l,
                ..with_actions(config, kept)
            };
            (format!("main phase {t} → {l} s"), c)
        })
        .collect()
}

/// Smaller values of one numeric setting, smallest first.
fn smaller<T: Copy + PartialOrd + std::fmt::Display>(
    config: &RunConfig,
    name: &str,
    now: T,
    values: &[T],
    set: &dyn Fn(&mut RunConfig, T),
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut seen: Vec<T> = Vec::new();
    for &v in values {
        if v >= now || seen.contains(&v) {
            continue;
        }
        seen.push(v);
        let mut c = with_actions(config, actions(config));
        set(&mut c, v);
        out.push((format!("{name} {now} → {v}"), c));
    }
    out
}

/// A shorter quiet period.
pub fn quiet(config: &RunConfig) -> Vec<Candidate> {
    let q = config.quiet_s;
    smaller(config, "quiet s", q, &[0, q / 2], &|c, v| c.quiet_s = v)
}

/// Fewer clients.
pub fn concurrency(config: &RunConfig) -> Vec<Candidate> {
    let n = config.concurrency;
    smaller(config, "clients", n, &[1, 2, n / 2], &|c, v| {
        c.concurrency = v
    })
}

/// A lower rate: an eighth, a quarter, a half, three quarters.
pub fn rate(config: &RunConfig) -> Vec<Candidate> {
    let r = config.rate_per_s;
    let values: Vec<f64> = [r / 8.0, r / 4.0, r / 2.0, 3.0 * r / 4.0]
        .into_iter()
        .map(|v| (v * 100.0).round() / 100.0)
        .filter(|v| *v >= 0.5)
        .collect();
    smaller(config, "ops/s", r, &values, &|c, v| c.rate_per_s = v)
}

/// Fewer keys.
pub fn keys(config: &RunConfig) -> Vec<Candidate> {
    let k = config.keys;
    smaller(config, "keys", k, &[1, k / 2], &|c, v| c.keys = v)
}

/// A smaller cluster, when every fault left fits one.
pub fn nodes(config: &RunConfig) -> Vec<Candidate> {
    let n = config.nodes;
    let fits = |size: usize| actions(config).iter().all(|a| a.kind.min_nodes() <= size);
    let sizes: Vec<usize> = [3, n - 2.min(n)]
        .into_iter()
        .filter(|s| *s >= 3 && fits(*s))
        .collect();
    smaller(config, "nodes", n, &sizes, &|c, v| c.nodes = v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_nemesis::fault::FaultKind;

    fn action(start_ms: u64, stop_ms: Option<u64>, kind: FaultKind) -> PlanAction {
        PlanAction {
            start_ms,
            stop_ms,
            kind,
            target: None,
            seed: 1,
            hold_ms: None,
        }
    }

    fn base() -> RunConfig {
        let c = RunConfig::with_seed(1);
        with_actions(
            &c,
            vec![
                action(10_000, Some(20_000), FaultKind::PartitionMajority),
                action(30_000, None, FaultKind::KillLeader),
            ],
        )
    }

    #[test]
    fn every_candidate_is_valid_and_smaller_in_its_dimension() {
        let c = base();
        let all: Vec<Candidate> = [
            durations(&c, 0),
            durations(&c, 1),
            shift(&c),
            time_limit(&c, Some(31_500)),
            quiet(&c),
            concurrency(&c),
            rate(&c),
            keys(&c),
            nodes(&c),
        ]
        .concat();
        assert!(all.len() > 20, "{}", all.len());
        for (label, candidate) in &all {
            candidate
                .validate()
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_ne!(candidate, &c, "{label}");
            assert!(candidate.plan_is_given(), "{label}");
        }
    }

    #[test]
    fn the_main_phase_is_cut_no_earlier_than_just_past_the_last_fault() {
        let limits: Vec<u64> = time_limit(&base(), Some(31_500))
            .iter()
            .map(|(_, c)| c.time_limit_s)
            .collect();
        assert_eq!(limits, [31, 32, 45]);
        let durations: Vec<Option<u64>> = durations(&base(), 0)
            .iter()
            .map(|(_, c)| actions(c)[0].stop_ms)
            .collect();
        assert_eq!(
            durations,
            [Some(11_250), Some(12_500), Some(15_000), Some(17_500)]
        );
        let first: Vec<u64> = shift(&base())
            .iter()
            .map(|(_, c)| actions(c)[0].start_ms)
            .collect();
        assert_eq!(first, [1_000, 2_000, 5_000, 7_500]);
    }
}
