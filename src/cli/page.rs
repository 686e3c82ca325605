//! `--html FILE` on `suite` and `merge`: a suite summary as the suite page
//! (rendered by [`faultline_reports::suite_page`]): the facts, the matrix
//! of seeds × verdict, the failures grouped by checker and finding kind,
//! links to each kept run's report and the replay commands.

use std::path::{Component, Path, PathBuf};

use faultline_reports::suite_page::{render_suite_page, GroupRow, SeedCell, SuitePage};

use super::exit::CliError;
use super::summary::SuiteSummary;

/// `target` relative to the directory `base` (both made absolute), for a
/// link; `None` when either cannot be resolved.
fn relative(target: &Path, base: &Path) -> Option<PathBuf> {
    let target = std::fs::canonicalize(target).ok()?;
    let base = std::fs::canonicalize(base).ok()?;
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c.as_os_str());
    }
    Some(rel)
}

/// The page of `summary`, to be written at `path` (links are relative to
/// its directory).
pub fn page(summary: &SuiteSummary, path: &Path) -> SuitePage {
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => p.to_path_buf(),
        None => PathBuf::from("."),
    };
    let tally: Vec<String> = summary
        .tally
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    let mut facts = vec![
        (
            "seeds".to_string(),
            format!("{} ({})", summary.seeds.len(), tally.join(", ")),
        ),
        (
            "configuration".to_string(),
            super::junit::config_label(summary),
        ),
        ("flags".to_string(), summary.run_flags.clone()),
        (
            "seed set".to_string(),
            format!("{} ({} seeds)", summary.seed_set, summary.seeds_total),
        ),
        ("build".to_string(), summary.build.to_string()),
    ];
    if let Some(shard) = &summary.shard {
        facts.push(("shard".to_string(), shard.to_string()));
    }
    for part in &summary.merged_from {
        let shard = part.shard.as_ref().map_or(String::new(), |s| {
            format!("shard {}/{}, ", s.index, s.count)
        });
        facts.push((
            "merged from".to_string(),
            format!(
                "{} ({shard}{} seeds in {:.0} s on {})",
                part.path.display(),
                part.seeds,
                part.wall_s,
                part.hostname.as_deref().unwrap_or("?")
            ),
        ));
    }
    if let Some(started) = &summary.started_at {
        facts.push(("started".to_string(), started.clone()));
    }
    facts.push((
        "wall time".to_string(),
        format!(
            "{:.1} s ({:.2} seeds/s)",
            summary.wall_s,
            summary.seeds.len() as f64 / summary.wall_s.max(1e-9)
        ),
    ));
    let seeds = summary
        .seeds
        .iter()
        .map(|o| SeedCell {
            seed: o.seed,
            status: o.status().to_string(),
            link: o
                .run_dir
                .as_ref()
                .and_then(|d| relative(&d.join(crate::store::REPORT_HTML), &dir))
                .map(|p| p.to_string_lossy().into_owned()),
            finding: match (&o.checker, &o.first_finding) {
                (Some(c), Some(f)) => Some(format!("{c}: {f}")),
                _ => o.reason.clone().or_else(|| o.error.clone()),
            },
            replay: o.replay.clone(),
        })
        .collect();
    let groups = summary
        .failure_groups
        .iter()
        .map(|g| GroupRow {
            status: g.status.clone(),
            checker: g.checker.clone().unwrap_or_else(|| "no verdict".into()),
            kind: g.kind.clone(),
            seeds: g.seeds.clone(),
            example: g.example.clone(),
            replay: g.replay.clone(),
        })
        .collect();
    SuitePage {
        title: format!("faultline suite: {}", summary.config.test_name),
        verdict: summary.valid,
        facts,
        seeds,
        groups,
    }
}

/// Writes the suite page of `summary` to `path` (the flag `--html`).
pub fn write(path: &Path, summary: &SuiteSummary) -> Result<(), CliError> {
    // The directory first: links are made relative to it.
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(parent);
    }
    super::output::write_file("html", path, &render_suite_page(&page(summary, path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_relative_to_the_page() {
        let tmp = tempfile::tempdir().unwrap();
        let run = tmp.path().join("store/kv/r-s1");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::write(run.join("report.html"), "").unwrap();
        std::fs::create_dir_all(tmp.path().join("pages")).unwrap();
        assert_eq!(
            relative(&run.join("report.html"), &tmp.path().join("pages")).unwrap(),
            Path::new("../store/kv/r-s1/report.html")
        );
        assert_eq!(
            relative(&run.join("report.html"), &tmp.path().join("store")).unwrap(),
            Path::new("kv/r-s1/report.html")
        );
        assert_eq!(relative(&tmp.path().join("gone"), tmp.path()), None);
    }
}
