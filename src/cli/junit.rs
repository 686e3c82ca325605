//! `--junit FILE` on `suite` and `merge`: a suite summary as JUnit XML
//! (rendered by [`faultline_reports::junit`]), one test case per seed, so
//! CI systems list failing seeds natively. An invalid seed is a
//! `<failure>` whose type is the checker that caught it; unknown or not
//! run is an `<error>`; each carries its first finding, run directory and
//! replay command.

use std::path::Path;

use faultline_reports::junit::{self, Case, CaseOutcome, Suite};

use super::exit::{CliError, Exit};
use super::suite::SeedOutcome;
use super::summary::SuiteSummary;

/// A short label of the configuration: `kv, 5 nodes, nemesis all`, or the
/// profile, plus any injected bugs.
pub(crate) fn config_label(summary: &SuiteSummary) -> String {
    let c = &summary.config;
    let mut label = match &c.profile {
        Some(draw) => format!("profile {}, {} nodes", draw.profile.as_str(), c.nodes),
        None => format!(
            "{}, {} nodes, nemesis {}",
            c.workload,
            c.nodes,
            short(&c.nemesis_arg())
        ),
    };
    for bug in c.bugs.iter() {
        label.push_str(&format!(", bug {}", bug.name()));
    }
    label
}

/// A long list cut to its first 40 characters.
fn short(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_string()
    } else {
        text.chars().take(40).collect::<String>() + "…"
    }
}

fn case(summary: &SuiteSummary, label: &str, o: &SeedOutcome) -> Case {
    let finding = o
        .first_finding
        .clone()
        .or_else(|| o.reason.clone())
        .or_else(|| {
            o.error
                .as_deref()
                .and_then(|e| e.lines().last())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "no verdict".into());
    let mut text = String::new();
    if let Some(checker) = &o.checker {
        text.push_str(&format!("checker: {checker}\n"));
    }
    text.push_str(&format!("first finding: {finding}\n"));
    if let Some(e) = &o.error {
        text.push_str(&format!("error:\n{e}\n"));
    }
    if let Some(dir) = &o.run_dir {
        text.push_str(&format!("run directory: {}\n", dir.display()));
    }
    text.push_str(&format!("replay: {}\n", o.replay));
    let outcome = match o.exit() {
        Exit::Valid => CaseOutcome::Passed,
        Exit::Invalid => CaseOutcome::Failure {
            kind: o.checker.clone().unwrap_or_else(|| "invalid".into()),
            message: match &o.checker {
                Some(c) => format!("{c}: {finding}"),
                None => finding,
            },
            text,
        },
        exit => CaseOutcome::Error {
            kind: super::suite::status_name(exit).to_string(),
            message: finding,
            text,
        },
    };
    Case {
        name: format!("seed {} ({label})", o.seed),
        classname: format!("faultline.{}", summary.config.test_name),
        time_s: o.wall_s,
        outcome,
        system_out: None,
    }
}

/// The JUnit document of `summary`.
pub fn render(summary: &SuiteSummary) -> String {
    let label = config_label(summary);
    let mut properties = vec![
        (
            "faultline_version".to_string(),
            summary.build.faultline_version.clone(),
        ),
        (
            "git_commit".to_string(),
            summary
                .build
                .git_commit
                .clone()
                .unwrap_or_else(|| "unknown".into()),
        ),
        ("run_flags".to_string(), summary.run_flags.clone()),
        ("seed_set".to_string(), summary.seed_set.clone()),
    ];
    if let Some(shard) = &summary.shard {
        properties.push(("shard".to_string(), shard.to_string()));
    }
    for part in &summary.merged_from {
        let name = part.shard.as_ref().map_or_else(
            || part.path.display().to_string(),
            |s| format!("{}/{}", s.index, s.count),
        );
        properties.push((
            format!("merged {name}"),
            format!(
                "{} seeds on {}",
                part.seeds,
                part.hostname.as_deref().unwrap_or("?")
            ),
        ));
    }
    let shard = summary
        .shard
        .as_ref()
        .map_or(String::new(), |s| format!(" shard {}/{}", s.index, s.count));
    let suite = Suite {
        name: format!(
            "faultline suite {} ({label}){shard}",
            summary.config.test_name
        ),
        hostname: summary
            .hostname
            .clone()
            .unwrap_or_else(|| "localhost".into()),
        timestamp: summary.started_at.as_deref().map_or_else(
            || "1970-01-01T00:00:00".into(),
            |t| t.trim_end_matches('Z').to_string(),
        ),
        time_s: summary.wall_s,
        properties,
        cases: summary
            .seeds
            .iter()
            .map(|o| case(summary, &label, o))
            .collect(),
    };
    junit::render("faultline", &[suite])
}

/// Writes `summary` as JUnit XML to `path` (the flag `--junit`).
pub fn write(path: &Path, summary: &SuiteSummary) -> Result<(), CliError> {
    super::output::write_file("junit", path, &render(summary))
}
