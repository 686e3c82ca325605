//! `faultline compare BASE NEW`: two summaries of the same suite run by
//! two builds (main and a branch; the correct Raft and one with a seeded
//! bug): the seeds that newly fail, newly pass or fail differently, and
//! how availability, recovery and latency moved. The exit status is 1 when
//! NEW has failures BASE did not, so CI can gate a change to the
//! consensus crate on it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::exit::{CliError, Exit};
use super::merge::first_difference;
use super::suite::SeedOutcome;
use super::summary::{finding_kind, read_summary, Build, SuiteSummary};

/// The raw arguments of `faultline compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The summary of the reference build (e.g. main).
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// The summary of the build under review (e.g. a branch).
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Also write the comparison as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Compare summaries whose flags differ (besides --inject-bug).
    #[arg(long)]
    pub allow_mixed: bool,
}

/// One seed whose outcome changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The seed.
    pub seed: u64,
    /// Its status in BASE and in NEW.
    pub base: String,
    /// See `base`.
    pub new: String,
    /// NEW's first failing checker and first finding (BASE's when NEW is
    /// valid).
    pub finding: Option<String>,
    /// The command that replays the seed on NEW's side.
    pub replay: String,
}

/// One statistic's mean over the seeds both summaries have it for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatDelta {
    /// BASE's mean.
    pub base: f64,
    /// NEW's mean.
    pub new: f64,
    /// `new - base`.
    pub delta: f64,
    /// Seeds the means are over.
    pub seeds: u64,
}

/// The comparison (what `--json` writes).
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// BASE's build and flags.
    pub base: Side,
    /// NEW's.
    pub new: Side,
    /// Seeds in both.
    pub common_seeds: u64,
    /// Seeds only BASE ran.
    pub only_base: Vec<u64>,
    /// Seeds only NEW ran.
    pub only_new: Vec<u64>,
    /// Valid in BASE, not valid in NEW.
    pub newly_failing: Vec<Change>,
    /// Not valid in BASE, valid in NEW.
    pub newly_passing: Vec<Change>,
    /// Not valid in both, but a different status, checker or finding kind.
    pub changed_finding: Vec<Change>,
    /// Availability, recovery, ops and latency: means and their change.
    pub stats: BTreeMap<String, StatDelta>,
}

/// One side of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The summary file.
    pub path: PathBuf,
    /// Its build.
    pub build: Build,
    /// Its flags.
    pub run_flags: String,
    /// Seeds by status.
    pub tally: BTreeMap<String, u64>,
}

/// The flags without `--inject-bug NAME` pairs: a seeded bug is part of
/// the code under test, like the build.
fn flags_without_bugs(flags: &str) -> String {
    let words: Vec<&str> = flags.split_whitespace().collect();
    words
        .chunks(2)
        .filter(|pair| pair[0] != "--inject-bug")
        .map(|pair| pair.join(" "))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a failing seed says about itself: `checker: finding`.
fn finding(o: &SeedOutcome) -> Option<String> {
    match (&o.checker, &o.first_finding) {
        (Some(c), Some(f)) => Some(format!("{c}: {f}")),
        _ => o.reason.clone().or_else(|| o.error.clone()),
    }
}

/// Compares two summaries (see the module docs).
pub fn compare(base: &SuiteSummary, new: &SuiteSummary, paths: (PathBuf, PathBuf)) -> Comparison {
    let by_seed = |s: &SuiteSummary| -> BTreeMap<u64, SeedOutcome> {
        s.seeds.iter().map(|o| (o.seed, o.clone())).collect()
    };
    let (b, n) = (by_seed(base), by_seed(new));
    let mut out = Comparison {
        base: side(base, paths.0),
        new: side(new, paths.1),
        common_seeds: 0,
        only_base: b.keys().filter(|s| !n.contains_key(s)).copied().collect(),
        only_new: n.keys().filter(|s| !b.contains_key(s)).copied().collect(),
        newly_failing: Vec::new(),
        newly_passing: Vec::new(),
        changed_finding: Vec::new(),
        stats: BTreeMap::new(),
    };
    let mut sums: BTreeMap<String, (f64, f64, u64)> = BTreeMap::new();
    for (seed, bo) in &b {
        let Some(no) = n.get(seed) else { continue };
        out.common_seeds += 1;
        let change = |finding: Option<String>| Change {
            seed: *seed,
            base: bo.status().to_string(),
            new: no.status().to_string(),
            finding,
            replay: no.replay.clone(),
        };
        let (b_ok, n_ok) = (bo.exit() == Exit::Valid, no.exit() == Exit::Valid);
        if b_ok && !n_ok {
            out.newly_failing.push(change(finding(no)));
        } else if !b_ok && n_ok {
            out.newly_passing.push(change(finding(bo)));
        } else if !b_ok && !n_ok {
            let kind = |o: &SeedOutcome| {
                (
                    o.status(),
                    o.checker.clone(),
                    finding_kind(o.first_finding.as_deref().unwrap_or("")),
                )
            };
            if kind(bo) != kind(no) {
                out.changed_finding.push(change(finding(no)));
            }
        }
        for (key, bv) in &bo.stats {
            if let Some(nv) = no.stats.get(key) {
                let e = sums.entry(key.clone()).or_default();
                e.0 += bv;
                e.1 += nv;
                e.2 += 1;
            }
        }
    }
    let round = |x: f64| (x * 1e4).round() / 1e4;
    out.stats = sums
        .into_iter()
        .map(|(key, (bs, ns, k))| {
            let (bm, nm) = (bs / k as f64, ns / k as f64);
            let delta = StatDelta {
                base: round(bm),
                new: round(nm),
                delta: round(nm - bm),
                seeds: k,
            };
            (key, delta)
        })
        .collect();
    out
}

fn side(s: &SuiteSummary, path: PathBuf) -> Side {
    Side {
        path,
        build: s.build.clone(),
        run_flags: s.run_flags.clone(),
        tally: s.tally.clone(),
    }
}

fn print_changes(title: &str, changes: &[Change]) {
    crate::say!("{title}: {}", changes.len());
    for c in changes {
        crate::say!("  seed {}: {} -> {}", c.seed, c.base, c.new);
        if let Some(f) = &c.finding {
            crate::say!("    {f}");
        }
        crate::say!("    replay: {}", c.replay);
    }
}

fn print(c: &Comparison) {
    let tally = |t: &BTreeMap<String, u64>| {
        t.iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    crate::say!(
        "base: {} ({}): {}",
        c.base.path.display(),
        c.base.build,
        tally(&c.base.tally)
    );
    crate::say!(
        "new:  {} ({}): {}",
        c.new.path.display(),
        c.new.build,
        tally(&c.new.tally)
    );
    if c.base.run_flags != c.new.run_flags {
        crate::say!(
            "flags: {}",
            first_difference(&c.base.run_flags, &c.new.run_flags)
        );
    }
    crate::say!("{} seeds in both", c.common_seeds);
    for (name, only) in [("base", &c.only_base), ("new", &c.only_new)] {
        if !only.is_empty() {
            crate::say!(
                "only in {name}: {} seeds ({})",
                only.len(),
                super::suite::seed_list(only, 10)
            );
        }
    }
    print_changes("newly failing", &c.newly_failing);
    print_changes("newly passing", &c.newly_passing);
    print_changes("changed finding", &c.changed_finding);
    if !c.stats.is_empty() {
        crate::say!("stats (mean over the seeds both have; base -> new, change):");
        for (key, d) in &c.stats {
            let pct = if d.base != 0.0 {
                format!(", {:+.1}%", d.delta / d.base.abs() * 100.0)
            } else {
                String::new()
            };
            crate::say!("  {key:<30} {} -> {} ({:+}{pct})", d.base, d.new, d.delta);
        }
    }
}

/// Runs `faultline compare`.
pub fn run(args: CompareArgs) -> Result<Exit, CliError> {
    if let Some(path) = &args.json {
        super::output::check_file("json", path)?;
    }
    let base = read_summary(&args.base)?;
    let new = read_summary(&args.new)?;
    if !args.allow_mixed
        && flags_without_bugs(&base.run_flags) != flags_without_bugs(&new.run_flags)
    {
        return Err(CliError::bad_input(format!(
            "{} and {} are not the same suite: flags differ: {} (--allow-mixed compares them anyway)",
            args.base.display(),
            args.new.display(),
            first_difference(&base.run_flags, &new.run_flags)
        )));
    }
    let c = compare(&base, &new, (args.base.clone(), args.new.clone()));
    print(&c);
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&c)
            .map_err(|e| CliError::Internal(anyhow::anyhow!("encoding the comparison: {e}")))?;
        super::output::write_file("json", path, &(text + "\n"))?;
        crate::say!("json: {}", path.display());
    }
    let differences = c.newly_failing.len() + c.newly_passing.len() + c.changed_finding.len();
    if c.newly_failing.is_empty() {
        crate::say!(
            "verdict: no new failures{}",
            if differences == 0 {
                " (no differences)"
            } else {
                ""
            }
        );
        Ok(Exit::Valid)
    } else {
        crate::say!(
            "verdict: {} seeds fail in new that did not in base",
            c.newly_failing.len()
        );
        Ok(Exit::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checker::Verdict;

    fn summary(seeds: &[(u64, Verdict, Option<&str>, f64)]) -> SuiteSummary {
        let outcomes = seeds
            .iter()
            .map(|&(seed, v, finding, availability)| SeedOutcome {
                seed,
                valid: Some(v),
                checker: finding.map(|_| "raft invariants".to_string()),
                first_finding: finding.map(str::to_string),
                stats: BTreeMap::from([("availability_during_faults".to_string(), availability)]),
                ..SeedOutcome::default()
            })
            .collect();
        let parts = super::super::summary::SummaryParts {
            config: crate::run::config::RunConfig::with_seed(1),
            seed_set: "1..=4".into(),
            seeds_total: 4,
            shard: None,
            keep: Default::default(),
            started_at: None,
        };
        super::super::summary::summarize(parts, outcomes, 0, 1.0)
    }

    #[test]
    fn seeds_that_change_are_sorted_into_failing_passing_and_changed() {
        use Verdict::*;
        let base = summary(&[
            (1, Valid, None, 0.5),
            (2, Invalid, Some("log-matching violated at 3 s"), 0.5),
            (3, Invalid, Some("log-matching violated at 3 s"), 0.5),
            (4, Invalid, Some("log-matching violated at 3 s"), 1.0),
        ]);
        let new = summary(&[
            (1, Invalid, Some("election-safety violated at 1 s"), 0.25),
            (2, Valid, None, 0.5),
            (3, Invalid, Some("election-safety violated at 2 s"), 0.5),
            (4, Invalid, Some("log-matching violated at 9 s"), 1.0),
            (5, Valid, None, 1.0),
        ]);
        let c = compare(&base, &new, ("b".into(), "n".into()));
        let seeds = |v: &[Change]| v.iter().map(|c| c.seed).collect::<Vec<_>>();
        assert_eq!(seeds(&c.newly_failing), [1]);
        assert_eq!(seeds(&c.newly_passing), [2]);
        assert_eq!(
            seeds(&c.changed_finding),
            [3],
            "seed 4 differs only in its numbers"
        );
        assert_eq!((c.common_seeds, c.only_new.clone()), (4, vec![5]));
        let d = &c.stats["availability_during_faults"];
        assert_eq!(
            (d.base, d.new, d.delta, d.seeds),
            (0.625, 0.5625, -0.0625, 4)
        );
        let same = compare(&base, &base, ("b".into(), "b".into()));
        assert!(same.newly_failing.is_empty() && same.newly_passing.is_empty());
        assert!(same.changed_finding.is_empty());
        assert_eq!(same.stats["availability_during_faults"].delta, 0.0);
    }

    #[test]
    fn a_seeded_bug_is_code_under_test_not_a_different_suite() {
        assert_eq!(
            flags_without_bugs("--nodes 5 --inject-bug a --keys 4 --inject-bug b"),
            "--nodes 5 --keys 4"
        );
    }
}
