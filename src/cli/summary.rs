//! A suite's machine-readable summary (`suite --summary FILE`), the one
//! document `merge`, `compare`, the JUnit file and the suite page read:
//! the configuration, the build, the shard, every seed's verdict, first
//! finding, run directory, statistics and timings, the tally, the
//! situations and the failures grouped by checker and finding kind.
//!
//! Summaries written before shards existed (no `format`, no build) still
//! load: every field added since has a default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::exit::{CliError, Exit};
use super::shard::Shard;
use super::situations::{self, SituationTally};
use super::suite::SeedOutcome;
use crate::run::config::RunConfig;
use crate::store;
use faultline_checker::history::{History, Outcome};
use faultline_checker::Verdict;

/// The `format` of a suite summary (a merged one has the same).
pub const FORMAT: &str = "faultline-suite-summary/2";

/// What a suite keeps of each seed's run directory (`--keep`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Keep {
    /// Full artifacts for seeds that are not valid; valid seeds keep only
    /// their summary line (re-create one with `faultline replay` or its
    /// replay command).
    #[default]
    Failing,
    /// Every seed's full run directory.
    All,
    /// No run directory at all: the summary lines only.
    None,
}

impl Keep {
    /// Whether a seed with this status keeps its run directory.
    pub fn keeps(self, exit: Exit) -> bool {
        match self {
            Keep::All => true,
            Keep::None => false,
            Keep::Failing => exit != Exit::Valid,
        }
    }
}

/// The build that ran a suite: the code under test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    /// faultline's version (`Cargo.toml`).
    #[serde(default)]
    pub faultline_version: String,
    /// The git commit the binary was built from, `-dirty` with uncommitted
    /// changes; `null` when unknown (built outside git).
    #[serde(default)]
    pub git_commit: Option<String>,
}

impl Build {
    /// This binary's build.
    pub fn current() -> Build {
        Build {
            faultline_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: option_env!("FAULTLINE_GIT_COMMIT").map(str::to_string),
        }
    }
}

impl std::fmt::Display for Build {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "faultline {} ({})",
            self.faultline_version,
            self.git_commit.as_deref().unwrap_or("commit unknown")
        )
    }
}

/// Seeds that failed the same way: one checker, one kind of finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureGroup {
    /// `invalid`, `unknown`, `bad-input` or `error`.
    pub status: String,
    /// The first checker that was not valid (`null`: the run gave no
    /// verdict).
    pub checker: Option<String>,
    /// The finding with its numbers, nodes and keys blanked out, so the
    /// same bug on different seeds reads the same.
    pub kind: String,
    /// The seeds, in order.
    pub seeds: Vec<u64>,
    /// The first seed's finding, in full.
    pub example: String,
    /// The command that replays the first seed.
    pub replay: String,
}

/// One shard a merged summary was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedPart {
    /// The summary file.
    pub path: PathBuf,
    /// Its shard, when it was one.
    pub shard: Option<Shard>,
    /// The machine it ran on, when known.
    pub hostname: Option<String>,
    /// Seeds it ran.
    pub seeds: u64,
    /// Its wall-clock seconds.
    pub wall_s: f64,
}

/// The whole suite's outcome (what `--summary` writes and `merge` reads).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuiteSummary {
    /// [`FORMAT`] (absent in summaries of earlier builds).
    #[serde(default)]
    pub format: String,
    /// The build that ran it.
    #[serde(flatten)]
    pub build: Build,
    /// The configuration every seed ran with (its `seed` is the first's;
    /// under a profile, the first seed's draw).
    pub config: RunConfig,
    /// The flags every seed ran with (the replay command without `--seed`):
    /// what makes two summaries the same suite.
    #[serde(default)]
    pub run_flags: String,
    /// The whole suite's seed set, as given (`--seeds`), and its size;
    /// a shard runs its slice of it.
    #[serde(default)]
    pub seed_set: String,
    /// How many seeds the whole set holds.
    #[serde(default)]
    pub seeds_total: u64,
    /// Which shard this is (`null`: the whole set, or a merge).
    #[serde(default)]
    pub shard: Option<Shard>,
    /// For a merged summary: the summaries it was made from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<MergedPart>,
    /// What was kept of each seed's run directory.
    #[serde(default)]
    pub keep: Keep,
    /// The machine the suite ran on, when known.
    #[serde(default)]
    pub hostname: Option<String>,
    /// When it started (UTC, RFC 3339).
    #[serde(default)]
    pub started_at: Option<String>,
    /// The suite's verdict: every seed's, combined (`unknown` also when a
    /// seed could not be run).
    pub valid: Verdict,
    /// Seeds by status (`valid`, `invalid`, `unknown`, `bad-input`, `error`).
    pub tally: BTreeMap<String, u64>,
    /// Failures grouped by status, checker and finding kind.
    #[serde(default)]
    pub failure_groups: Vec<FailureGroup>,
    /// Every situation: how many seeds reached it, how often, how soon.
    pub situations: BTreeMap<String, SituationTally>,
    /// Every seed that ran, in seed order.
    pub seeds: Vec<SeedOutcome>,
    /// Seeds not started because of `--fail-fast`.
    pub skipped: u64,
    /// Wall-clock seconds for the whole suite (a merge: its longest shard).
    pub wall_s: f64,
}

impl SuiteSummary {
    /// The exit status: the worst seed's.
    pub fn exit(&self) -> Exit {
        self.seeds
            .iter()
            .fold(Exit::Valid, |worst, o| worst.worst(o.exit()))
    }

    /// Recomputes everything derived from the seeds: verdict, tally,
    /// failure groups, situations.
    pub fn derive(&mut self) {
        self.seeds.sort_by_key(|o| o.seed);
        let mut tally: BTreeMap<String, u64> = BTreeMap::new();
        for o in &self.seeds {
            *tally.entry(o.status().to_string()).or_insert(0) += 1;
        }
        self.tally = tally;
        self.valid = Verdict::combine_all(
            self.seeds
                .iter()
                .map(|o| o.valid.unwrap_or(Verdict::Unknown)),
        );
        self.failure_groups = group_failures(&self.seeds);
        self.situations = situations::tally(&self.seeds);
    }
}

/// The flags of `config` every seed shares: its replay command's flags
/// without `--seed`.
pub fn run_flags(config: &RunConfig) -> String {
    config.run_args()[2..].join(" ")
}

/// The summary of a finished suite (or shard): the seeds' outcomes with
/// the tally, verdict, groups and situations derived from them.
pub struct SummaryParts {
    /// The configuration.
    pub config: RunConfig,
    /// The whole set, as given.
    pub seed_set: String,
    /// Its size.
    pub seeds_total: u64,
    /// The shard, if one.
    pub shard: Option<Shard>,
    /// What was kept.
    pub keep: Keep,
    /// When it started.
    pub started_at: Option<String>,
}

/// Builds the summary of `seeds` (see [`SummaryParts`]).
pub fn summarize(
    parts: SummaryParts,
    seeds: Vec<SeedOutcome>,
    skipped: u64,
    wall_s: f64,
) -> SuiteSummary {
    let mut summary = SuiteSummary {
        format: FORMAT.to_string(),
        build: Build::current(),
        run_flags: run_flags(&parts.config),
        config: parts.config,
        seed_set: parts.seed_set,
        seeds_total: parts.seeds_total,
        shard: parts.shard,
        merged_from: Vec::new(),
        keep: parts.keep,
        hostname: hostname(),
        started_at: parts.started_at,
        valid: Verdict::Valid,
        tally: BTreeMap::new(),
        failure_groups: Vec::new(),
        situations: BTreeMap::new(),
        seeds,
        skipped,
        wall_s,
    };
    summary.derive();
    summary
}

/// Writes the summary as JSON to `path`, creating missing parent
/// directories (as `check --html` does); errors name `--summary`.
pub fn write_summary(path: &Path, summary: &SuiteSummary) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(summary)
        .map_err(|e| CliError::Internal(anyhow::anyhow!("encoding the summary: {e}")))?;
    super::output::write_file("summary", path, &(text + "\n"))
}

/// Reads a suite summary; errors name the file (and the line and field of
/// bad JSON).
pub fn read_summary(path: &Path) -> Result<SuiteSummary, CliError> {
    store::read::read_json(path).map_err(|e| CliError::bad_input(e.to_string()))
}

/// The machine's name, when it can be read.
pub fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A finding with what varies between seeds blanked: numbers become `#`
/// (times, indices, terms, node ids `n#`, keys), quoted values `"…"`, and
/// it is cut after 120 characters. Findings of one bug on many seeds then
/// share a kind.
pub fn finding_kind(finding: &str) -> String {
    let mut out = String::new();
    let mut chars = finding.lines().next().unwrap_or("").chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            // The whole token: `37.180`, `0x9c9e13df`, `0001.wal`.
            while chars
                .peek()
                .is_some_and(|d| d.is_ascii_alphanumeric() || *d == '.')
            {
                chars.next();
            }
            out.push('#');
        } else if c == '"' {
            for d in chars.by_ref() {
                if d == '"' {
                    break;
                }
            }
            out.push_str("\"…\"");
        } else {
            out.push(c);
        }
        if out.chars().count() >= 120 {
            out.push('…');
            break;
        }
    }
    // A trailing `.` of a number (`at 3.`) leaves nothing to compare.
    out.trim().to_string()
}

/// Groups the seeds that are not valid by status, checker and finding
/// kind; groups come in order of size, then of their first seed.
pub fn group_failures(seeds: &[SeedOutcome]) -> Vec<FailureGroup> {
    let mut groups: BTreeMap<(String, Option<String>, String), FailureGroup> = BTreeMap::new();
    for o in seeds.iter().filter(|o| o.exit() != Exit::Valid) {
        let finding = o
            .first_finding
            .clone()
            .or_else(|| o.reason.clone())
            .or_else(|| o.error.clone())
            .unwrap_or_default();
        let kind = finding_kind(&finding);
        let key = (o.status().to_string(), o.checker.clone(), kind.clone());
        groups
            .entry(key)
            .or_insert_with(|| FailureGroup {
                status: o.status().to_string(),
                checker: o.checker.clone(),
                kind,
                seeds: Vec::new(),
                example: finding,
                replay: o.replay.clone(),
            })
            .seeds
            .push(o.seed);
    }
    let mut groups: Vec<FailureGroup> = groups.into_values().collect();
    groups.sort_by_key(|g| (std::cmp::Reverse(g.seeds.len()), g.seeds[0]));
    groups
}

/// The statistics a summary keeps per seed, from `results.json`'s stats.
const STATS_KEPT: [&str; 6] = [
    "availability_during_faults",
    "availability_outside_faults",
    "recovery_s_after_final_heal",
    "ops_ok",
    "ops_fail",
    "ops_info",
];

/// Fills in what a seed's summary line holds from its stored run: the
/// first failing checker and its first finding, and the statistics
/// (availability, recovery, ops by outcome, and the latency of `ok`
/// operations in ms: `latency_ms_p50`, `_p99`, `_max`). A run directory
/// that cannot be read leaves them empty.
pub fn digest_run(dir: &Path, outcome: &mut SeedOutcome) {
    let Ok(results) = store::read::read_results(dir) else {
        return;
    };
    if let Some(c) = results.first_failing() {
        outcome.checker = Some(c.name.clone());
        let finding = c.findings.first().unwrap_or(&c.summary);
        outcome.first_finding = Some(finding.lines().next().unwrap_or("").to_string());
    }
    for key in STATS_KEPT {
        if let Some(v) = results.stats.get(key).and_then(|v| v.as_f64()) {
            outcome.stats.insert(key.to_string(), v);
        }
    }
    if let Ok(Some(history)) = store::read::read_history(dir) {
        outcome.stats.extend(latency_ms(&history));
    }
}

/// Quantiles of the latency of `ok` client operations, in ms (the
/// history's operations, paired as the checker pairs them).
fn latency_ms(history: &History) -> BTreeMap<String, f64> {
    let mut latencies: Vec<u64> = history
        .operations_lenient()
        .iter()
        .filter(|op| op.outcome == Outcome::Ok)
        .filter_map(|op| op.return_ns.map(|r| r.saturating_sub(op.call_ns)))
        .collect();
    if latencies.is_empty() {
        return BTreeMap::new();
    }
    latencies.sort_unstable();
    let at = |q: f64| {
        let i = ((latencies.len() - 1) as f64 * q).round() as usize;
        (latencies[i] as f64 / 1e6 * 1000.0).round() / 1000.0
    };
    BTreeMap::from([
        ("latency_ms_p50".to_string(), at(0.5)),
        ("latency_ms_p99".to_string(), at(0.99)),
        ("latency_ms_max".to_string(), at(1.0)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_of_one_bug_on_different_seeds_share_a_kind() {
        let a = finding_kind("election-safety violated at 37.180 s: n1 and n3 both lead term 4");
        let b = finding_kind("election-safety violated at 2.5 s: n2 and n5 both lead term 11");
        assert_eq!(a, b);
        assert_eq!(
            a,
            "election-safety violated at # s: n# and n# both lead term #"
        );
        assert_eq!(
            finding_kind("key \"k3\": read 7 but the model allows \"x\""),
            "key \"…\": read # but the model allows \"…\""
        );
        assert!(finding_kind(&"x".repeat(500)).chars().count() <= 121);
        assert_eq!(
            finding_kind("checksum mismatch (stored 0x9c9e13df) in 0001.wal"),
            "checksum mismatch (stored #) in #"
        );
    }

    fn seed(
        seed: u64,
        valid: Option<Verdict>,
        checker: Option<&str>,
        finding: &str,
    ) -> SeedOutcome {
        SeedOutcome {
            seed,
            valid,
            checker: checker.map(str::to_string),
            first_finding: (!finding.is_empty()).then(|| finding.to_string()),
            replay: format!("faultline run --seed {seed}"),
            ..SeedOutcome::default()
        }
    }

    #[test]
    fn failures_group_by_checker_and_kind_biggest_first() {
        let seeds = [
            seed(1, Some(Verdict::Valid), None, ""),
            seed(
                2,
                Some(Verdict::Invalid),
                Some("raft invariants"),
                "log-matching violated at 3.1 s",
            ),
            seed(
                3,
                Some(Verdict::Invalid),
                Some("linearizability (kv)"),
                "key 4 not linearizable",
            ),
            seed(
                4,
                Some(Verdict::Invalid),
                Some("raft invariants"),
                "log-matching violated at 9.0 s",
            ),
            seed(
                5,
                Some(Verdict::Unknown),
                Some("bounds"),
                "message storm at 3 s",
            ),
            seed(6, None, None, ""),
        ];
        let groups = group_failures(&seeds);
        let rows: Vec<(&str, Option<&str>, &[u64])> = groups
            .iter()
            .map(|g| (g.status.as_str(), g.checker.as_deref(), g.seeds.as_slice()))
            .collect();
        assert_eq!(
            rows,
            [
                ("invalid", Some("raft invariants"), &[2, 4][..]),
                ("invalid", Some("linearizability (kv)"), &[3][..]),
                ("unknown", Some("bounds"), &[5][..]),
                ("error", None, &[6][..]),
            ]
        );
        assert_eq!(groups[0].example, "log-matching violated at 3.1 s");
        assert_eq!(groups[0].replay, "faultline run --seed 2");
    }

    #[test]
    fn keep_failing_keeps_what_is_not_valid() {
        assert!(!Keep::Failing.keeps(Exit::Valid));
        assert!(Keep::Failing.keeps(Exit::Invalid) && Keep::Failing.keeps(Exit::Unknown));
        assert!(Keep::All.keeps(Exit::Valid));
        assert!(!Keep::None.keeps(Exit::Invalid));
    }

    #[test]
    fn summaries_of_earlier_builds_still_load() {
        let old = serde_json::json!({
            "config": RunConfig::with_seed(3),
            "valid": true,
            "tally": {"valid": 1},
            "situations": {},
            "seeds": [{"seed": 3, "valid": true, "exit_code": 0, "run_dir": "/s/kv/r",
                       "replay": "faultline run --seed 3", "wall_s": 1.0, "error": null,
                       "reason": null, "situations": {}}],
            "skipped": 0,
            "wall_s": 1.5
        });
        let s: SuiteSummary = serde_json::from_value(old).unwrap();
        assert_eq!(s.seeds[0].seed, 3);
        assert_eq!(s.build.git_commit, None);
        assert_eq!(s.shard, None);
    }
}
