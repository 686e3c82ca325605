//! `faultline check FILE... --model M`: import each history (any supported
//! format), check it for linearizability, print the verdict and its
//! explanation, and exit with the worst status over all files.
//!
//! Raw clap arguments ([`CheckArgs`]) are validated into a [`CheckConfig`]
//! first, so every bad flag is reported by name before any file is read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use faultline_checker::history::{History, Operation, SourcedHistory};
use faultline_checker::import::{self, Format, ImportOptions, InputLimits, NilReads};
use faultline_checker::linearizability::CheckError;
use faultline_checker::{
    check_operations, CheckOptions, CheckReport, ModelKind, RealTimeOrder, RunResults,
};
use faultline_reports::ReportInput;
use serde_json::Value;

use super::check_output::{self, FileResult, OpLocation};
use super::exit::{CliError, Exit};

/// The raw arguments of `faultline check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// History files to check (CSV, JSON Lines, Jepsen EDN, Porcupine logs);
    /// `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The model: register, cas-register, kv, append-kv, set, mutex,
    /// multi-register, unordered-queue or fifo-queue.
    #[arg(long, value_name = "MODEL")]
    pub model: String,
    /// The input format: auto, csv, jsonl, jepsen-edn, porcupine-etcd or
    /// porcupine-kv. `auto` detects it from the content, then the extension.
    #[arg(long, value_name = "FORMAT", default_value = "auto")]
    pub format: String,
    /// A register's starting value, as JSON (default `null`).
    #[arg(long, value_name = "JSON")]
    pub initial: Option<String>,
    /// Give up (verdict `unknown`) after this many seconds per file.
    #[arg(long, value_name = "SECS")]
    pub time_limit: Option<String>,
    /// Print machine-readable results (one JSON document) on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML report (plots embedded, no network)
    /// to this file. With several FILEs, one page per file:
    /// `OUT-<file stem>.html` next to OUT (e.g. `--html r.html a.csv b.csv`
    /// writes `r-a.html` and `r-b.html`).
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
    /// What an `ok` read of nil/null means: `unknown` (Knossos: the read
    /// matches every state; the default for jepsen-edn with the register
    /// models) or `value` (nil is a real value; the default otherwise).
    #[arg(long, value_name = "MEANING")]
    pub nil_reads: Option<String>,
    /// Accept a history with no operations (valid) instead of exiting 254.
    #[arg(long)]
    pub allow_empty: bool,
    /// Refuse an input larger than this many bytes (default 1 GiB).
    #[arg(long, value_name = "BYTES")]
    pub max_input_bytes: Option<String>,
    /// Give up on a pipe, FIFO or device that sends nothing for this many
    /// seconds (default 10).
    #[arg(long, value_name = "SECS")]
    pub input_timeout: Option<String>,
}

/// Validated settings of `faultline check`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckConfig {
    /// The files, in the order given.
    pub files: Vec<PathBuf>,
    /// The model, with its initial value.
    pub model: ModelKind,
    /// The forced format, or `None` to detect it per file.
    pub format: Option<Format>,
    /// Budgets for the search.
    pub options: CheckOptions,
    /// Print JSON instead of text.
    pub json: bool,
    /// Where each file's HTML report goes (parallel to `files`), if asked.
    pub html: Option<Vec<PathBuf>>,
    /// The forced meaning of nil reads, or `None` for the default of the
    /// format and model.
    pub nil_reads: Option<NilReads>,
    /// Whether a history with no operations is accepted.
    pub allow_empty: bool,
    /// Bounds on reading each input.
    pub limits: InputLimits,
}

impl CheckArgs {
    /// Validates the raw arguments; errors name the flag.
    pub fn into_config(self) -> Result<CheckConfig, CliError> {
        let mut model: ModelKind = self
            .model
            .parse()
            .map_err(|err| CliError::bad_input(format_args!("--model: {err}")))?;
        if let Some(text) = &self.initial {
            let initial: Value = serde_json::from_str(text).map_err(|err| {
                CliError::bad_input(format_args!(
                    "--initial: not a JSON value ({err}): {text:?}"
                ))
            })?;
            model = model
                .with_initial(initial)
                .map_err(|err| CliError::bad_input(format_args!("--initial: {err}")))?;
        }
        let format =
            match self.format.as_str() {
                "auto" => None,
                name => Some(name.parse::<Format>().map_err(|err| {
                    CliError::bad_input(format_args!("--format: {err} (or auto)"))
                })?),
            };
        let time_limit = match &self.time_limit {
            None => None,
            Some(text) => Some(parse_seconds(text).map_err(|reason| {
                CliError::bad_input(format_args!("--time-limit: {reason}: {text:?}"))
            })?),
        };
        if let Some(out) = &self.html {
            if out.is_dir() {
                return Err(CliError::bad_input(format_args!(
                    "--html: {} is a directory; give the path of the .html file to write",
                    out.display()
                )));
            }
        }
        let html = self.html.as_deref().map(|out| html_paths(out, &self.files));
        let nil_reads = match &self.nil_reads {
            None => None,
            Some(text) => Some(
                text.parse::<NilReads>()
                    .map_err(|reason| CliError::bad_input(format_args!("--nil-reads: {reason}")))?,
            ),
        };
        let mut limits = InputLimits::default();
        if let Some(text) = &self.max_input_bytes {
            limits.max_bytes = text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    CliError::bad_input(format_args!(
                        "--max-input-bytes: expected a positive number of bytes: {text:?}"
                    ))
                })?;
        }
        if let Some(text) = &self.input_timeout {
            limits.idle_timeout = parse_seconds(text).map_err(|reason| {
                CliError::bad_input(format_args!("--input-timeout: {reason}: {text:?}"))
            })?;
        }
        Ok(CheckConfig {
            nil_reads,
            allow_empty: self.allow_empty,
            limits,
            html,
            files: self.files,
            model,
            format,
            options: CheckOptions {
                time_limit,
                ..CheckOptions::default()
            },
            json: self.json,
        })
    }
}

/// The HTML report path of each file: `out` itself for one file; for
/// several, `<out without extension>-<file stem>.html`, with `-2`, `-3`,
/// ... appended when stems repeat, so no page overwrites another.
fn html_paths(out: &Path, files: &[PathBuf]) -> Vec<PathBuf> {
    if files.len() == 1 {
        return vec![out.to_path_buf()];
    }
    let base = out.with_extension("");
    let base = base.to_string_lossy();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    files
        .iter()
        .map(|file| {
            let stem = file.file_stem().map_or_else(
                || "history".to_owned(),
                |s| s.to_string_lossy().into_owned(),
            );
            let count = seen.entry(stem.clone()).or_default();
            *count += 1;
            let suffix = if *count == 1 {
                String::new()
            } else {
                format!("-{count}")
            };
            PathBuf::from(format!("{base}-{stem}{suffix}.html"))
        })
        .collect()
}

/// Parses a positive, finite number of seconds.
fn parse_seconds(text: &str) -> Result<Duration, &'static str> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| "expected a number of seconds")?;
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err("expected a positive number of seconds");
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| "too large")
}

/// Runs `faultline check` with raw arguments.
pub fn run(args: CheckArgs) -> Result<Exit, CliError> {
    let config = args.into_config()?;
    let results: Vec<FileResult> = config
        .files
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let html = config.html.as_ref().and_then(|paths| paths.get(i));
            check_file(path, html.map(PathBuf::as_path), &config)
        })
        .collect();
    let exit = results
        .iter()
        .fold(Exit::Valid, |worst, result| worst.worst(result.exit));
    if config.json {
        check_output::print_json(&results, &config.model, exit)?;
    } else {
        check_output::print_text(&results)?;
    }
    Ok(exit)
}

/// Imports and checks one file, writing its HTML report to `html` if
/// given; problems become a failed [`FileResult`].
fn check_file(path: &Path, html: Option<&Path>, config: &CheckConfig) -> FileResult {
    let file = path.display().to_string();
    // Knossos's nil-read rule belongs to its register models: with any
    // other model nil is a value, unless --nil-reads chose.
    let nil_reads = config
        .nil_reads
        .or_else(|| (!config.model.nil_reads_are_unknown()).then_some(NilReads::Value));
    let options = ImportOptions {
        format: config.format,
        nil_reads,
        limits: config.limits,
    };
    let imported = match import::load_with(path, &options) {
        Ok(imported) => imported,
        Err(err) => return FileResult::failed(file, None, Exit::BadInput, err.to_string()),
    };
    let format = imported.format;
    let events = imported.history.history.events.len();
    match check_history(&imported.history, config) {
        Ok((report, locations)) => {
            let written = html.map(|out| {
                write_html(
                    out,
                    &file,
                    format,
                    &imported.history.history,
                    &report,
                    config,
                )
            });
            let mut result = FileResult::checked(file, format, events, report, locations);
            match written {
                Some(Ok(())) => result.html = html.map(|p| p.display().to_string()),
                Some(Err(message)) => result.html_failed(message),
                None => {}
            }
            result
        }
        Err((exit, message)) => FileResult::failed(file, Some(format), exit, message),
    }
}

/// Renders the self-contained HTML report of one checked history.
fn write_html(
    out: &Path,
    file: &str,
    format: Format,
    history: &History,
    report: &CheckReport,
    config: &CheckConfig,
) -> Result<(), String> {
    let title = format!("{file} ({} model)", config.model);
    let mut results = RunResults {
        title,
        checkers: vec![report.checker_result()],
        linearizability_failures: report.failures(),
        config: serde_json::json!({
            "file": file,
            "format": format.name(),
            "model": config.model.name(),
        }),
        ..RunResults::default()
    };
    results.combine();
    results
        .stats
        .insert("events".into(), serde_json::json!(history.events.len()));
    results
        .stats
        .insert("operations".into(), serde_json::json!(report.operations));
    let input = ReportInput::new(results, history);
    faultline_reports::render_standalone(out, &input)
        .map_err(|err| format!("{}: cannot write the HTML report: {err}", out.display()))
}

/// The most operations of one explanation that are located in the file.
const LOCATED_PER_EXPLANATION_MAX: usize = 8;

fn check_history(
    history: &SourcedHistory,
    config: &CheckConfig,
) -> Result<(CheckReport, Vec<OpLocation>), (Exit, String)> {
    let operations = history
        .operations()
        .map_err(|err| (Exit::BadInput, err.to_string()))?;
    if operations.is_empty() && !config.allow_empty {
        let what = if history.history.events.is_empty() {
            "no events"
        } else {
            "no client operations (only nemesis events)"
        };
        return Err((
            Exit::BadInput,
            format!(
                "{}: the history is empty: {what}; pass --allow-empty to accept it",
                history.source
            ),
        ));
    }
    let options = CheckOptions {
        order: if history.line_order {
            RealTimeOrder::HistoryIndex
        } else {
            RealTimeOrder::Timestamps
        },
        ..config.options.clone()
    };
    let report =
        check_operations(&operations, &config.model, &options).map_err(|err| match err {
            CheckError::Model(err) => {
                let at = match history.line_of_index(err.invoke_index) {
                    Some(line) => format!("{}:{line}", history.source),
                    None => format!("{}: event {}", history.source, err.invoke_index),
                };
                let message = format!(
                    "{at}: f: operation {:?} of process {} does not fit the {} model: {}",
                    err.f, err.process, config.model, err.reason
                );
                (Exit::BadInput, message)
            }
            CheckError::History(err) => {
                (Exit::BadInput, err.with_source(&history.source).to_string())
            }
        })?;
    let locations = locate(&report, &operations, history);
    Ok((report, locations))
}

/// The file lines of the operations each explanation names: the one that
/// cannot be linearized first, then (a few of) those concurrent with it.
fn locate(
    report: &CheckReport,
    operations: &[Operation],
    history: &SourcedHistory,
) -> Vec<OpLocation> {
    let mut located = Vec::new();
    for explanation in report
        .partitions
        .iter()
        .filter_map(|p| p.explanation.as_ref())
    {
        let ids = std::iter::once(explanation.failed.id)
            .chain(explanation.concurrent.iter().map(|op| op.id))
            .take(LOCATED_PER_EXPLANATION_MAX);
        for id in ids {
            let Some(op) = operations.get(id).filter(|op| op.id == id) else {
                continue;
            };
            located.push(OpLocation {
                op: id,
                failed: id == explanation.failed.id,
                invoke_line: history.line_of_index(op.invoke_index),
                complete_line: op.complete_index.and_then(|i| history.line_of_index(i)),
            });
        }
    }
    located
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(model: &str) -> CheckArgs {
        CheckArgs {
            files: vec![PathBuf::from("h.csv")],
            model: model.to_owned(),
            format: "auto".to_owned(),
            initial: None,
            time_limit: None,
            json: false,
            html: None,
            nil_reads: None,
            allow_empty: false,
            max_input_bytes: None,
            input_timeout: None,
        }
    }

    #[test]
    fn valid_arguments_become_a_config() {
        let mut raw = args("cas-register");
        raw.initial = Some("0".into());
        raw.time_limit = Some("1.5".into());
        raw.format = "porcupine-etcd".into();
        let config = raw.into_config().unwrap();
        assert_eq!(
            config.model,
            ModelKind::CasRegister {
                initial: serde_json::json!(0)
            }
        );
        assert_eq!(config.format, Some(Format::PorcupineEtcd));
        assert_eq!(config.options.time_limit, Some(Duration::from_millis(1500)));
    }

    /// A flag's name and a way to make it bad.
    type BadFlag = (&'static str, fn(&mut CheckArgs));

    #[test]
    fn each_bad_flag_is_named() {
        let cases: [BadFlag; 6] = [
            ("--model", |a| a.model = "stack".into()),
            ("--initial", |a| a.initial = Some("{nope".into())),
            ("--initial", |a| {
                a.model = "set".into();
                a.initial = Some("1".into())
            }),
            ("--format", |a| a.format = "xml".into()),
            ("--time-limit", |a| a.time_limit = Some("-1".into())),
            ("--time-limit", |a| a.time_limit = Some("1e400".into())),
        ];
        for (flag, edit) in cases {
            let mut raw = args("register");
            edit(&mut raw);
            let err = raw.into_config().unwrap_err();
            assert_eq!(err.exit(), Exit::BadInput);
            assert!(
                err.error().to_string().starts_with(flag),
                "{flag}: {}",
                err.error()
            );
        }
    }
}
