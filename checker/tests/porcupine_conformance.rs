//! Conformance with Porcupine's published verdicts: every history under
//! `../shared/data/porcupine/test_data` that `VERDICTS.tsv` gives a verdict
//! must get the same verdict from our checker (etcd logs against the
//! cas-register model, kv files against the append-kv model). Skipped, with
//! a message, when the shared data folder is absent.

use faultline_checker::import::{self, Format};
use faultline_checker::{check_operations, CheckOptions, ModelKind, Verdict};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/porcupine"
    ))
}

/// (relative path, expected verdict) for every row with a verdict.
fn expected_verdicts(dir: &Path) -> Vec<(String, Verdict)> {
    let table =
        std::fs::read_to_string(dir.join("VERDICTS.tsv")).expect("VERDICTS.tsv is readable");
    table
        .lines()
        .skip(1)
        .filter_map(|row| {
            let mut cols = row.split('\t');
            let file = cols.next()?.to_string();
            let _model = cols.next()?;
            let verdict = match cols.next()? {
                "ok" => Verdict::Valid,
                "fail" => Verdict::Invalid,
                _ => return None,
            };
            Some((file, verdict))
        })
        .collect()
}

fn check_file(dir: &Path, file: &str) -> Verdict {
    let (format, model) = if file.contains("/jepsen/") {
        (
            Format::PorcupineEtcd,
            ModelKind::CasRegister {
                initial: Value::Null,
            },
        )
    } else {
        (Format::PorcupineKv, ModelKind::AppendKv)
    };
    let imported = import::load(&dir.join(file), Some(format))
        .unwrap_or_else(|e| panic!("{file} imports: {e}"));
    let ops = imported
        .history
        .operations()
        .unwrap_or_else(|e| panic!("{file} pairs: {e}"));
    let report = check_operations(&ops, &model, &CheckOptions::default())
        .unwrap_or_else(|e| panic!("{file} fits the model: {e}"));
    if report.verdict == Verdict::Invalid {
        // Every invalid verdict comes with an explanation a person can read.
        let text = report.to_string();
        assert!(text.contains("no linearization"), "{file}: {text}");
    }
    report.verdict
}

#[test]
fn all_porcupine_histories_with_a_verdict_get_the_same_verdict() {
    let dir = data_dir();
    if !dir.join("VERDICTS.tsv").exists() {
        println!("skipped: {} is absent", dir.display());
        return;
    }
    let expected = expected_verdicts(&dir);
    assert_eq!(
        expected.len(),
        108,
        "VERDICTS.tsv lists 108 histories with a verdict"
    );
    let mismatches: Vec<String> = expected
        .iter()
        .filter_map(|(file, want)| {
            let got = check_file(&dir, file);
            (got != *want).then(|| format!("{file}: expected {want}, got {got}"))
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} disagree:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
