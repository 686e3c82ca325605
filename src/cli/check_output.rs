//! How `faultline check` prints its results: text for people (the verdict
//! and the checker's explanation per file) or one JSON document.

use std::io::Write;

use faultline_checker::import::Format;
use faultline_checker::{CheckReport, ModelKind, Verdict};
use serde::Serialize;
use serde_json::json;

use super::exit::{CliError, Exit};

/// The outcome for one file.
#[derive(Debug, Serialize)]
pub struct FileResult {
    /// The file as given.
    pub file: String,
    /// The format it was read as, if it got that far.
    pub format: Option<&'static str>,
    /// The file's verdict (`true`, `false` or `"unknown"`); absent when
    /// the file could not be checked (see `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid: Option<Verdict>,
    /// This file's exit status.
    #[serde(rename = "exit_code", serialize_with = "serialize_exit")]
    pub exit: Exit,
    /// Events read, if the file was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<usize>,
    /// The checker's report, if it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<CheckReport>,
    /// What went wrong, if the file could not be checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where the operations the explanations name are in the file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<OpLocation>,
    /// The HTML report written for this file (`check --html`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// The lines of one operation an explanation names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpLocation {
    /// The operation's id (as the explanation shows it).
    pub op: usize,
    /// Whether it is the operation that could not be linearized.
    pub failed: bool,
    /// The line of its invoke event.
    pub invoke_line: Option<u64>,
    /// The line of its completion event, if it completed.
    pub complete_line: Option<u64>,
}

impl OpLocation {
    /// `op 43 (cannot be linearized): lines 170-172`.
    fn text(&self, file: &str) -> String {
        let role = if self.failed {
            " (cannot be linearized)"
        } else {
            ""
        };
        let line = |l: Option<u64>| l.map_or("?".to_owned(), |l| l.to_string());
        match self.complete_line {
            Some(_) => format!(
                "op {}{role}: {file}:{} (invoke), line {} (completion)",
                self.op,
                line(self.invoke_line),
                line(self.complete_line)
            ),
            None => format!(
                "op {}{role}: {file}:{} (invoke, never completed)",
                self.op,
                line(self.invoke_line)
            ),
        }
    }
}

fn serialize_exit<S: serde::Serializer>(exit: &Exit, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u8(exit.code())
}

impl FileResult {
    /// A file that was checked.
    pub fn checked(
        file: String,
        format: Format,
        events: usize,
        report: CheckReport,
        locations: Vec<OpLocation>,
    ) -> Self {
        FileResult {
            locations,
            file,
            format: Some(format.name()),
            valid: Some(report.verdict),
            exit: Exit::from(report.verdict),
            events: Some(events),
            report: Some(report),
            error: None,
            html: None,
        }
    }

    /// The HTML report of a checked file could not be written: the verdict
    /// stays, the error is reported and the status becomes internal (255).
    pub fn html_failed(&mut self, message: String) {
        self.error = Some(message);
        self.exit = self.exit.worst(Exit::Internal);
    }

    /// A file that could not be checked.
    pub fn failed(file: String, format: Option<Format>, exit: Exit, error: String) -> Self {
        FileResult {
            file,
            format: format.map(Format::name),
            valid: None,
            exit,
            events: None,
            report: None,
            error: Some(error),
            locations: Vec::new(),
            html: None,
        }
    }
}

fn output_error(err: std::io::Error) -> CliError {
    CliError::Internal(anyhow::Error::new(err).context("cannot write the results"))
}

/// Prints each file's verdict and explanation; errors go to stderr.
pub fn print_text(results: &[FileResult]) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for result in results {
        match (&result.report, &result.error) {
            (Some(report), _) => {
                let text = report.to_string();
                let mut lines = text.lines();
                let first = lines.next().unwrap_or_default();
                let format = result.format.unwrap_or("?");
                writeln!(out, "{} ({format}): {first}", result.file).map_err(output_error)?;
                for line in lines {
                    writeln!(out, "  {line}").map_err(output_error)?;
                }
                if !result.locations.is_empty() {
                    writeln!(out, "  Where to look:").map_err(output_error)?;
                }
                for location in &result.locations {
                    writeln!(out, "    {}", location.text(&result.file)).map_err(output_error)?;
                }
                if let Some(html) = &result.html {
                    writeln!(out, "  HTML report: {html}").map_err(output_error)?;
                }
                if let Some(error) = &result.error {
                    eprintln!("faultline: error: {error}");
                }
            }
            (None, Some(error)) => {
                writeln!(out, "{}: error", result.file).map_err(output_error)?;
                eprintln!("faultline: error: {error}");
            }
            (None, None) => {}
        }
    }
    out.flush().map_err(output_error)
}

/// Prints one JSON document: the combined `valid` field (`true`, `false`
/// or `"unknown"`, as Jepsen writes it), the exit code, and every file's
/// result. Errors are also repeated on stderr.
pub fn print_json(results: &[FileResult], model: &ModelKind, exit: Exit) -> Result<(), CliError> {
    for result in results {
        if let Some(error) = &result.error {
            eprintln!("faultline: error: {error}");
        }
    }
    let checked = results
        .iter()
        .filter_map(|r| r.report.as_ref().map(|report| report.verdict));
    let mut verdict = Verdict::combine_all(checked);
    if results.iter().any(|r| r.error.is_some()) {
        verdict = verdict.combine(Verdict::Unknown);
    }
    let document = json!({
        "valid": verdict,
        "exit_code": exit.code(),
        "model": model.name(),
        "files": results,
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    serde_json::to_writer_pretty(&mut out, &document)
        .map_err(|err| output_error(std::io::Error::other(err)))?;
    writeln!(out).map_err(output_error)?;
    out.flush().map_err(output_error)
}
