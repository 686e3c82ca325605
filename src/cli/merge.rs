//! `faultline merge SUMMARY...`: the shards of one suite (or several
//! summaries of disjoint seeds) put back together into one summary, one
//! tally, one JUnit file and one page. It refuses summaries of different
//! configurations, seed sets or builds unless `--allow-mixed`, names
//! missing and duplicated shards, and exits with the worst verdict (a
//! missing shard makes the merge at least `unknown`: its seeds never ran).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;

use super::exit::{CliError, Exit};
use super::output;
use super::suite::{print_summary, status_name};
use super::summary::{read_summary, write_summary, MergedPart, SuiteSummary, FORMAT};

/// The raw arguments of `faultline merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Suite summaries (`suite --summary`), or directories holding them
    /// (every `*.json` suite summary directly inside, e.g. downloaded CI
    /// artifacts; an earlier merge's summary there is skipped).
    #[arg(value_name = "SUMMARY", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Write the merged summary (JSON) here.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Write a JUnit XML file: one test case per seed.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the suite page (HTML) here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// The store the shards' run directories were copied into: seeds point
    /// to (and the page links) their runs there, and its index.html is
    /// refreshed.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Merge summaries of different configurations, seed sets or builds.
    #[arg(long)]
    pub allow_mixed: bool,
}

/// The summary files named by `inputs`: files as given, directories
/// expanded to the suite summaries directly inside them (in name order).
fn summary_files(inputs: &[PathBuf]) -> Result<Vec<(PathBuf, SuiteSummary)>, CliError> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| CliError::bad_input(format!("{}: cannot read: {e}", input.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
                .collect();
            found.sort();
            let before = out.len();
            for path in found {
                // Other JSON files (results, hunt tables) are not summaries,
                // and an earlier merge's output is not a shard.
                if let Ok(s) = read_summary(&path) {
                    if s.format == FORMAT && s.merged_from.is_empty() {
                        out.push((path, s));
                    }
                }
            }
            if out.len() == before {
                return Err(CliError::bad_input(format!(
                    "{}: holds no suite summary (*.json written by `suite --summary`)",
                    input.display()
                )));
            }
        } else {
            let s = read_summary(input)?;
            out.push((input.clone(), s));
        }
    }
    Ok(out)
}

/// Why two summaries are not parts of one suite, if they are not: the
/// first field that differs, with both values.
pub(crate) fn mismatch(a: &SuiteSummary, b: &SuiteSummary) -> Option<String> {
    let shard_count = |s: &SuiteSummary| s.shard.as_ref().map(|s| s.count);
    let fields: [(&str, String, String); 5] = [
        ("build", a.build.to_string(), b.build.to_string()),
        ("flags", a.run_flags.clone(), b.run_flags.clone()),
        ("seed set", a.seed_set.clone(), b.seed_set.clone()),
        (
            "shard count",
            format!("{:?}", shard_count(a)),
            format!("{:?}", shard_count(b)),
        ),
        ("config", config_key(a), config_key(b)),
    ];
    fields
        .into_iter()
        .find(|(_, x, y)| x != y)
        .map(|(what, x, y)| match what {
            "flags" => format!("flags differ: {}", first_difference(&x, &y)),
            _ => format!("{what} differs: {x} vs {y}"),
        })
}

/// The configuration without what varies per seed (the seed and, under a
/// profile, the drawn settings: the flags already say what was pinned).
fn config_key(s: &SuiteSummary) -> String {
    if s.config.profile.is_some() {
        return String::new();
    }
    let c = crate::run::config::RunConfig {
        seed: 0,
        ..s.config.clone()
    };
    serde_json::to_string(&c).unwrap_or_default()
}

/// The first flag (word pair) where two flag strings differ.
pub(crate) fn first_difference(a: &str, b: &str) -> String {
    let pairs = |s: &str| -> Vec<String> {
        let words: Vec<&str> = s.split_whitespace().collect();
        words.chunks(2).map(|c| c.join(" ")).collect()
    };
    let (pa, pb) = (pairs(a), pairs(b));
    let only_a: Vec<&String> = pa.iter().filter(|p| !pb.contains(p)).collect();
    let only_b: Vec<&String> = pb.iter().filter(|p| !pa.contains(p)).collect();
    let show = |v: &[&String]| {
        if v.is_empty() {
            "(nothing)".to_string()
        } else {
            v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
        }
    };
    format!("{} vs {}", show(&only_a), show(&only_b))
}

/// The merge of `parts`: one summary, plus the shards that are missing
/// (`I/N` each). Errors: mismatched parts (unless `allow_mixed`), a shard
/// or a seed given twice.
pub(crate) fn merge(
    parts: Vec<(PathBuf, SuiteSummary)>,
    allow_mixed: bool,
) -> Result<(SuiteSummary, Vec<String>), CliError> {
    let (first_path, first) = parts
        .first()
        .cloned()
        .ok_or_else(|| CliError::bad_input("merge: no summaries"))?;
    if !allow_mixed {
        for (path, s) in &parts[1..] {
            if let Some(why) = mismatch(&first, s) {
                return Err(CliError::bad_input(format!(
                    "{} and {} are not shards of one suite: {why} (--allow-mixed merges them anyway)",
                    first_path.display(),
                    path.display()
                )));
            }
        }
    }
    let mut shards: BTreeMap<u64, &Path> = BTreeMap::new();
    for (path, s) in &parts {
        if let Some(shard) = &s.shard {
            if let Some(other) = shards.insert(shard.index, path) {
                return Err(CliError::bad_input(format!(
                    "shard {}/{} is given twice: {} and {}",
                    shard.index,
                    shard.count,
                    other.display(),
                    path.display()
                )));
            }
        }
    }
    let mut seen: BTreeMap<u64, &Path> = BTreeMap::new();
    for (path, s) in &parts {
        for o in &s.seeds {
            if let Some(other) = seen.insert(o.seed, path) {
                return Err(CliError::bad_input(format!(
                    "seed {} is in both {} and {}",
                    o.seed,
                    other.display(),
                    path.display()
                )));
            }
        }
    }
    let missing: Vec<String> = match first.shard.as_ref().map(|s| s.count) {
        Some(count) if !shards.is_empty() => (1..=count)
            .filter(|i| !shards.contains_key(i))
            .map(|i| format!("{i}/{count}"))
            .collect(),
        _ => Vec::new(),
    };
    let mut hosts: Vec<&str> = parts
        .iter()
        .filter_map(|(_, s)| s.hostname.as_deref())
        .collect();
    hosts.sort_unstable();
    hosts.dedup();
    let mut merged = SuiteSummary {
        shard: None,
        hostname: (!hosts.is_empty()).then(|| hosts.join(",")),
        merged_from: parts
            .iter()
            .map(|(path, s)| MergedPart {
                path: path.clone(),
                shard: s.shard.clone(),
                hostname: s.hostname.clone(),
                seeds: s.seeds.len() as u64,
                wall_s: s.wall_s,
            })
            .collect(),
        started_at: parts.iter().filter_map(|(_, s)| s.started_at.clone()).min(),
        skipped: parts.iter().map(|(_, s)| s.skipped).sum(),
        wall_s: parts.iter().map(|(_, s)| s.wall_s).fold(0.0, f64::max),
        seeds: parts.iter().flat_map(|(_, s)| s.seeds.clone()).collect(),
        format: FORMAT.to_string(),
        ..first
    };
    merged.derive();
    Ok((merged, missing))
}

/// Points every seed's run directory into `store` when the run is there
/// (shard stores copied into one: `<store>/<test>/<run>`); a run that is
/// not there keeps the path it was stored at.
fn relocate_runs(summary: &mut SuiteSummary, store: &Path) {
    for o in &mut summary.seeds {
        let Some(dir) = &o.run_dir else { continue };
        let (Some(run), Some(test)) = (dir.file_name(), dir.parent().and_then(Path::file_name))
        else {
            continue;
        };
        let here = store.join(test).join(run);
        if here.is_dir() {
            o.run_dir = Some(here);
        }
    }
}

/// Runs `faultline merge`.
pub fn run(args: MergeArgs) -> Result<Exit, CliError> {
    for (flag, path) in [
        ("summary", &args.summary),
        ("junit", &args.junit),
        ("html", &args.html),
    ] {
        if let Some(path) = path {
            output::check_file(flag, path)?;
        }
    }
    if let Some(store) = &args.store {
        if !store.is_dir() {
            return Err(CliError::bad_input(format!(
                "--store: {} is not a directory",
                store.display()
            )));
        }
    }
    let parts = summary_files(&args.inputs)?;
    let count = parts.len();
    let (mut merged, missing) = merge(parts, args.allow_mixed)?;
    if let Some(store) = &args.store {
        relocate_runs(&mut merged, store);
        crate::store::list::refresh_index(store)
            .map_err(|e| CliError::Internal(e.context("refreshing the store's index")))?;
    }
    crate::say!(
        "merged {count} summaries: {} seeds of {} ({}), {}",
        merged.seeds.len(),
        merged.seeds_total,
        merged.seed_set,
        merged.build
    );
    print_summary(&merged);
    if !missing.is_empty() {
        crate::say!(
            "missing shards: {} (their seeds never ran: the merge is at least unknown)",
            missing.join(", ")
        );
    }
    if let Some(path) = &args.summary {
        write_summary(path, &merged)?;
        crate::say!("summary: {}", path.display());
    }
    super::suite::write_outputs(&merged, args.junit.as_deref(), args.html.as_deref())?;
    let mut exit = merged.exit();
    if !missing.is_empty() {
        exit = exit.worst(Exit::Unknown);
    }
    crate::say!("verdict: {}", status_name(exit));
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::suite::SeedOutcome;

    #[test]
    fn runs_copied_into_one_store_are_found_there() {
        let tmp = tempfile::tempdir().unwrap();
        let here = tmp.path().join("kv/20261206T190000Z-s1");
        std::fs::create_dir_all(&here).unwrap();
        let mut summary = super::super::summary::summarize(
            super::super::summary::SummaryParts {
                config: crate::run::config::RunConfig::with_seed(1),
                seed_set: "1,2".into(),
                seeds_total: 2,
                shard: None,
                keep: Default::default(),
                started_at: None,
            },
            vec![
                SeedOutcome {
                    seed: 1,
                    run_dir: Some("/runner/out/store/kv/20261206T190000Z-s1".into()),
                    ..SeedOutcome::default()
                },
                SeedOutcome {
                    seed: 2,
                    run_dir: Some("/runner/out/store/kv/20261206T190001Z-s2".into()),
                    ..SeedOutcome::default()
                },
            ],
            0,
            1.0,
        );
        relocate_runs(&mut summary, tmp.path());
        assert_eq!(summary.seeds[0].run_dir.as_deref(), Some(here.as_path()));
        // Not copied: the path it was stored at stays.
        assert_eq!(
            summary.seeds[1].run_dir.as_deref(),
            Some(Path::new("/runner/out/store/kv/20261206T190001Z-s2"))
        );
    }
}
