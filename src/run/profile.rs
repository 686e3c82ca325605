//! Swarm profiles (`--profile`): per seed, and from the seed alone, draw
//! which workload runs, which fault families are on, how often and how many
//! at once faults strike, whom they target, how many clients send how fast
//! and to which nodes, how reads are confirmed, the election timeout and
//! lease window, the message latency and the snapshot frequency. Swarm
//! testing (Groce et al., ISSTA 2012) finds more bugs than switching every
//! feature on in every run: a run with only partitions and lease reads
//! reaches states that a run drowning in crashes never does.
//!
//! A setting given by a flag is pinned and not drawn (`--profile nightly
//! --workload kv` draws everything but the workload). The draw always takes
//! the same random numbers in the same order, pinned or not, so pinning one
//! setting leaves the others' draws unchanged. The drawn values are stored
//! in `config.json`; the replay command is the profile, the seed and the
//! pinned flags.

use super::config::{ClientRouting, RunConfig};
use super::sim::sub_seed;
use faultline_nemesis::fault::{FaultFamily, FaultKind, Target};
use faultline_raft::ReadMode;
use faultline_workloads::WorkloadKind;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The flags whose settings a profile draws (the others keep their values:
/// `--nodes`, `--time-limit`, `--quiet`, `--op-timeout`, `--test-name`).
pub const DRAWN_FLAGS: &[&str] = &[
    "workload",
    "nemesis",
    "nemesis-targets",
    "nemesis-interval",
    "nemesis-jitter",
    "nemesis-overlap",
    "concurrency",
    "rate",
    "clients",
    "keys",
    "read-mode",
    "election-timeout",
    "lease-drift",
    "snapshot-every",
    "entries-per-message",
];

/// A named swarm profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// The nightly robustness suite's draw (see [`draw_nightly`]).
    Nightly,
}

impl Profile {
    /// The `--profile` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Nightly => "nightly",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "nightly" => Ok(Profile::Nightly),
            other => Err(format!("{other:?} is not a profile (nightly)")),
        }
    }
}

/// Which profile drew a run's settings and which flags pinned theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileDraw {
    /// The profile.
    pub profile: Profile,
    /// The flags (of [`DRAWN_FLAGS`]) given explicitly, whose values were
    /// kept rather than drawn.
    #[serde(default)]
    pub pinned: BTreeSet<String>,
}

/// The random stream of the profile draw (apart from every other part's).
const DRAW_STREAM: u64 = 7;

/// The seed stream that picks the fault kinds within each enabled family
/// (its own stream, so the other draws stay as they were).
const KINDS_STREAM: u64 = 8;

/// Draws `config`'s unpinned settings from its seed, per its profile (a
/// config without one is left as it is).
pub fn apply(config: &mut RunConfig) {
    let Some(draw) = config.profile.clone() else {
        return;
    };
    match draw.profile {
        Profile::Nightly => draw_nightly(config, &draw.pinned),
    }
}

/// The nightly draw. Each setting's range covers the defaults and reaches
/// further in the directions where bugs hide: one hot key, bursts of 100
/// ops/s, three faults at once, one-second nemesis gaps, election timeouts
/// from 300 ms to 2 s, lease reads, latencies up to 50 ms, a snapshot every
/// 20 entries, AppendEntries of a single entry (so a follower's
/// acknowledgement can end on an earlier term's entry under a new leader);
/// one run in ten has no faults at all (stability).
pub fn draw_nightly(c: &mut RunConfig, pinned: &BTreeSet<String>) {
    let mut rng = ChaCha8Rng::seed_from_u64(sub_seed(c.seed, DRAW_STREAM));
    let free = |flag: &str| !pinned.contains(flag);
    let workload = *[
        WorkloadKind::Kv,
        WorkloadKind::Register,
        WorkloadKind::Set,
        WorkloadKind::Append,
    ]
    .choose(&mut rng)
    .unwrap_or(&WorkloadKind::Kv);
    let mut kinds_rng = ChaCha8Rng::seed_from_u64(sub_seed(c.seed, KINDS_STREAM));
    let nemesis = draw_nemesis(&mut rng, &mut kinds_rng, c.nodes);
    let targets = draw_targets(&mut rng);
    let interval_ms = *[1_000, 2_000, 3_000, 5_000, 10_000]
        .choose(&mut rng)
        .unwrap_or(&10_000);
    let overlap = rng.gen_range(1..=3usize);
    let concurrency = rng.gen_range(2..=10usize);
    let rate = *[10.0, 20.0, 50.0, 100.0].choose(&mut rng).unwrap_or(&20.0);
    let clients = if rng.gen_bool(0.75) {
        ClientRouting::Bound
    } else {
        ClientRouting::Leader
    };
    let keys = *[1, 2, 4, 8].choose(&mut rng).unwrap_or(&4);
    let lease = rng.gen_bool(0.5);
    let election_ms = *[300, 500, 1_000, 2_000].choose(&mut rng).unwrap_or(&1_000);
    let drift_pct = *[0, 10, 20, 40].choose(&mut rng).unwrap_or(&20);
    let snapshot_every = *[20, 50, 200, 1_000].choose(&mut rng).unwrap_or(&200);
    let latency_ms_min = rng.gen_range(0..=2u64);
    let latency_spread_ms = *[2, 5, 20, 50].choose(&mut rng).unwrap_or(&4);
    let entries_per_message = *[1, 2, 4, 64].choose(&mut rng).unwrap_or(&64);

    let set = |flag: &str, apply: &mut dyn FnMut()| {
        if free(flag) {
            apply();
        }
    };
    set("workload", &mut || c.workload = workload);
    set("nemesis", &mut || c.nemesis = nemesis.clone());
    set("nemesis-targets", &mut || {
        c.nemesis_targets = targets.clone()
    });
    set("nemesis-interval", &mut || {
        c.nemesis_interval_ms = interval_ms
    });
    set("nemesis-jitter", &mut || c.nemesis_interval_jitter = true);
    set("nemesis-overlap", &mut || c.nemesis_overlap = overlap);
    set("concurrency", &mut || c.concurrency = concurrency);
    set("rate", &mut || c.rate_per_s = rate);
    set("clients", &mut || c.clients = clients);
    set("keys", &mut || c.keys = keys);
    set("read-mode", &mut || {
        c.read_mode = if lease {
            ReadMode::Lease
        } else {
            ReadMode::ReadIndex
        }
    });
    set("election-timeout", &mut || {
        c.election_timeout_ms = election_ms
    });
    set("lease-drift", &mut || {
        c.lease_drift_ms = c.election_timeout_ms * drift_pct / 100
    });
    set("snapshot-every", &mut || {
        c.snapshot_every_entries = snapshot_every
    });
    set("entries-per-message", &mut || {
        c.entries_per_message_max = entries_per_message
    });
    c.sim.latency_ms_min = latency_ms_min;
    c.sim.latency_ms_max = latency_ms_min + latency_spread_ms;
}

/// One run in ten without faults; otherwise each family on with even odds
/// (at least one), and within each enabled family each kind that fits the
/// cluster on with even odds (at least one, drawn from `kinds_rng`): swarm
/// testing at both levels, so a run whose partitions are all leader chases,
/// or all one-way cuts, is as likely as a run of every shape.
fn draw_nemesis(
    rng: &mut ChaCha8Rng,
    kinds_rng: &mut ChaCha8Rng,
    nodes: usize,
) -> BTreeSet<FaultKind> {
    let quiet = rng.gen_bool(0.1);
    let families = [
        FaultFamily::Partition,
        FaultFamily::Kill,
        FaultFamily::Pause,
        FaultFamily::Clock,
        FaultFamily::Packet,
        FaultFamily::Disk,
    ];
    let mut on: Vec<FaultFamily> = families
        .iter()
        .copied()
        .filter(|_| rng.gen_bool(0.5))
        .collect();
    let fallback = *families.choose(rng).unwrap_or(&FaultFamily::Partition);
    if quiet {
        return BTreeSet::new();
    }
    if on.is_empty() {
        on.push(fallback);
    }
    let mut kinds = BTreeSet::new();
    for family in on {
        let fitting: Vec<FaultKind> = FaultKind::ALL
            .iter()
            .copied()
            .filter(|k| k.family() == family && k.min_nodes() <= nodes)
            .collect();
        let mut picked: Vec<FaultKind> = fitting
            .iter()
            .copied()
            .filter(|_| kinds_rng.gen_bool(0.5))
            .collect();
        if picked.is_empty() {
            picked.extend(fitting.choose(kinds_rng));
        }
        kinds.extend(picked);
    }
    kinds
}

/// A non-empty subset of the targets, each in with odds of 3 in 5.
fn draw_targets(rng: &mut ChaCha8Rng) -> Vec<Target> {
    let mut targets: Vec<Target> = Target::ALL
        .iter()
        .copied()
        .filter(|_| rng.gen_bool(0.6))
        .collect();
    let fallback = *Target::ALL.choose(rng).unwrap_or(&Target::One);
    if targets.is_empty() {
        targets.push(fallback);
    }
    targets
}

/// The fault kinds by family: a family whose every kind (that fits the
/// cluster) is on is named as the family, others kind by kind.
fn nemesis_summary(c: &RunConfig) -> String {
    if c.nemesis.is_empty() {
        return "none".to_string();
    }
    let mut parts: Vec<String> = Vec::new();
    let families: BTreeSet<FaultFamily> = c.nemesis.iter().map(|k| k.family()).collect();
    for family in families {
        let all: Vec<FaultKind> = FaultKind::ALL
            .iter()
            .copied()
            .filter(|k| k.family() == family && k.min_nodes() <= c.nodes)
            .collect();
        if all.iter().all(|k| c.nemesis.contains(k)) {
            parts.push(family.as_str().to_string());
        } else {
            parts.extend(
                c.nemesis
                    .iter()
                    .filter(|k| k.family() == family)
                    .map(|k| k.as_str().to_string()),
            );
        }
    }
    parts.join(",")
}

/// The drawn settings in one line, as `run` and `suite` print them.
pub fn describe(c: &RunConfig) -> String {
    format!(
        "{} workload, nemesis {} (targets {}, every {:.1} s{}, overlap {}), {} {} clients at \
         {} ops/s on {} key(s), {} reads, election timeout {} ms (lease drift {} ms), latency \
         {}-{} ms, snapshot every {}, at most {} entries per AppendEntries",
        c.workload,
        nemesis_summary(c),
        c.nemesis_targets_arg(),
        c.nemesis_interval_ms as f64 / 1000.0,
        if c.nemesis_interval_jitter {
            " ±50%"
        } else {
            ""
        },
        c.nemesis_overlap,
        c.concurrency,
        c.clients.as_str(),
        c.rate_per_s,
        c.keys,
        c.read_mode_arg(),
        c.election_timeout_ms,
        c.lease_drift_ms,
        c.sim.latency_ms_min,
        c.sim.latency_ms_max,
        c.snapshot_every_entries,
        c.entries_per_message_max
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nightly(seed: u64, pinned: &[&str]) -> RunConfig {
        let mut c = RunConfig::with_seed(seed);
        c.profile = Some(ProfileDraw {
            profile: Profile::Nightly,
            pinned: pinned.iter().map(|p| p.to_string()).collect(),
        });
        apply(&mut c);
        c
    }

    #[test]
    fn the_draw_is_a_function_of_the_seed_and_every_draw_is_valid() {
        for seed in 0..200 {
            let c = nightly(seed, &[]);
            assert_eq!(c, nightly(seed, &[]), "seed {seed}");
            c.validate().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
    }

    #[test]
    fn the_draw_varies_every_dimension_over_seeds() {
        let draws: Vec<RunConfig> = (0..200).map(|s| nightly(s, &[])).collect();
        let distinct =
            |f: &dyn Fn(&RunConfig) -> String| draws.iter().map(f).collect::<BTreeSet<_>>().len();
        assert_eq!(distinct(&|c| c.workload.to_string()), 4);
        assert!(distinct(&|c| c.nemesis_arg()) > 20);
        assert!(draws.iter().any(|c| c.nemesis.is_empty()));
        assert!(distinct(&|c| c.nemesis_targets_arg()) > 10);
        assert_eq!(distinct(&|c| c.nemesis_interval_ms.to_string()), 5);
        assert_eq!(distinct(&|c| c.nemesis_overlap.to_string()), 3);
        assert_eq!(distinct(&|c| c.clients.as_str().to_string()), 2);
        assert_eq!(distinct(&|c| c.read_mode_arg()), 2);
        assert_eq!(distinct(&|c| c.keys.to_string()), 4);
        assert_eq!(distinct(&|c| c.election_timeout_ms.to_string()), 4);
        assert_eq!(distinct(&|c| c.snapshot_every_entries.to_string()), 4);
        assert_eq!(distinct(&|c| c.entries_per_message_max.to_string()), 4);
        assert!(distinct(&|c| format!("{:?}", (c.sim.latency_ms_min, c.sim.latency_ms_max))) > 6);
        assert!(draws.iter().all(|c| c.nemesis_interval_jitter));
        // Kinds are drawn within families too: some runs have only part of
        // a family, and every kind is drawn somewhere.
        let partial = draws.iter().any(|c| {
            let partitions = c
                .nemesis
                .iter()
                .filter(|k| k.family() == FaultFamily::Partition);
            (1..11).contains(&partitions.count())
        });
        assert!(partial);
        for kind in FaultKind::ALL {
            assert!(draws.iter().any(|c| c.nemesis.contains(kind)), "{kind}");
        }
    }

    #[test]
    fn a_pinned_setting_keeps_its_value_and_leaves_the_other_draws_alone() {
        for seed in 0..50 {
            let mut pinned = RunConfig::with_seed(seed);
            pinned.workload = WorkloadKind::Set;
            pinned.profile = Some(ProfileDraw {
                profile: Profile::Nightly,
                pinned: ["workload".to_string()].into(),
            });
            apply(&mut pinned);
            let free = nightly(seed, &[]);
            assert_eq!(pinned.workload, WorkloadKind::Set);
            assert_eq!(
                RunConfig {
                    workload: free.workload,
                    profile: free.profile.clone(),
                    ..pinned
                },
                free
            );
        }
    }

    #[test]
    fn the_replay_arguments_name_the_profile_and_only_the_pinned_flags() {
        let c = nightly(9, &["keys"]);
        let args = c.run_args();
        let has = |flag: &str| args.iter().any(|a| a == flag);
        assert!(has("--profile") && has("--keys") && has("--nodes"));
        assert!(!has("--workload") && !has("--nemesis") && !has("--rate"));
        assert_eq!(args[..2], ["--seed".to_string(), "9".to_string()]);
    }

    #[test]
    fn the_description_names_whole_families() {
        let mut c = RunConfig::with_seed(1);
        c.nemesis = FaultKind::ALL
            .iter()
            .copied()
            .filter(|k| k.family() == FaultFamily::Kill)
            .chain([FaultKind::ClockSkew])
            .collect();
        let text = describe(&c);
        assert!(text.contains("nemesis kill,clock-skew"), "{text}");
    }
}
