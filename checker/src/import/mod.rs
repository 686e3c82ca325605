//! Importers: read a history file in any supported format into the one
//! [`History`](crate::history::History) type, with the same validation for
//! all (DESIGN §3) and errors naming `file:line: field: reason`.
//!
//! Formats: our `csv` and `jsonl`, Jepsen's `history.edn` (`jepsen-edn`),
//! Porcupine's etcd logs (`porcupine-etcd`) and kv EDN lines
//! (`porcupine-kv`). [`detect`] picks one by content, falling back on the
//! file extension; callers can override it.

pub mod convert;
pub mod detect;
pub mod edn;
pub mod edn_history;
pub mod etcd;
pub mod input;
mod nil_reads;

pub use input::{InputLimits, STDIN};
pub use nil_reads::NilReads;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::{HistoryError, Location};
use crate::history::SourcedHistory;

/// A history file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Our CSV (`index,time_ns,process,type,f,key,value`).
    Csv,
    /// Our JSON Lines.
    Jsonl,
    /// Jepsen's `history.edn`.
    JepsenEdn,
    /// Porcupine's etcd Jepsen logs.
    PorcupineEtcd,
    /// Porcupine's kv EDN lines.
    PorcupineKv,
}

impl Format {
    /// Every format, in the order of their names in help texts.
    pub const ALL: [Format; 5] = [
        Format::Csv,
        Format::Jsonl,
        Format::JepsenEdn,
        Format::PorcupineEtcd,
        Format::PorcupineKv,
    ];

    /// The format's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::JepsenEdn => "jepsen-edn",
            Format::PorcupineEtcd => "porcupine-etcd",
            Format::PorcupineKv => "porcupine-kv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a text names no format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown format {found:?} (expected csv, jsonl, jepsen-edn, porcupine-etcd or porcupine-kv)"
)]
pub struct ParseFormatError {
    /// The rejected text.
    pub found: String,
}

impl FromStr for Format {
    type Err = ParseFormatError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == text)
            .ok_or_else(|| ParseFormatError {
                found: text.to_owned(),
            })
    }
}

/// A history read from a file, with the format it was read as.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The format used.
    pub format: Format,
    /// The history, its source name and the line of every event.
    pub history: SourcedHistory,
}

/// Picks the format of `text` (the content of the file `path`): by content,
/// else by extension, else an error asking for `--format`.
pub fn detect(text: &str, path: &Path) -> Result<Format, HistoryError> {
    if let Some(format) = detect::by_content(text).or_else(|| detect::by_extension(path)) {
        return Ok(format);
    }
    let source = path.display().to_string();
    let reason = if text.trim().is_empty() {
        "cannot detect the format of an empty input; pass --format".to_owned()
    } else {
        "cannot detect the format from the content or the file name; pass --format".to_owned()
    };
    Err(HistoryError::parse(
        Location::whole(Some(&source)),
        "format",
        reason,
    ))
}

/// How to import a file: its format (detected when `None`), what a `nil`
/// read means, and the bounds on reading it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The format, or `None` to detect it.
    pub format: Option<Format>,
    /// What an `ok` read of `nil`/`null` means; `None` takes the format's
    /// default ([`NilReads::default_for`]).
    pub nil_reads: Option<NilReads>,
    /// Bounds on the bytes read and on waiting for them.
    pub limits: InputLimits,
}

/// Parses `text` as `format`; `source` names the input in errors. A
/// leading UTF-8 byte order mark is ignored. `nil` reads take the format's
/// default meaning ([`NilReads::default_for`]).
pub fn read_str(text: &str, source: &str, format: Format) -> Result<SourcedHistory, HistoryError> {
    read_str_with(text, source, format, NilReads::default_for(format))
}

/// Parses `text` as `format` (see [`read_str`]), reading `ok` reads of
/// `nil`/`null` as `nil_reads` says.
pub fn read_str_with(
    text: &str,
    source: &str,
    format: Format,
    nil_reads: NilReads,
) -> Result<SourcedHistory, HistoryError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut history = parse(text, source, format)?;
    if nil_reads == NilReads::Unknown {
        nil_reads::mark_unknown(&mut history);
    }
    Ok(history)
}

fn parse(text: &str, source: &str, format: Format) -> Result<SourcedHistory, HistoryError> {
    match format {
        Format::Csv => crate::io::csv::read(text.as_bytes(), source),
        Format::Jsonl => crate::io::jsonl::read(text.as_bytes(), source),
        Format::JepsenEdn => edn_history::read(text, source, edn_history::Dialect::Jepsen),
        Format::PorcupineKv => edn_history::read(text, source, edn_history::Dialect::PorcupineKv),
        Format::PorcupineEtcd => etcd::read(text, source),
    }
}

/// Reads the file at `path` as `format`, or as the detected format when
/// `format` is `None`, with the default [`ImportOptions`] otherwise.
pub fn load(path: &Path, format: Option<Format>) -> Result<Imported, HistoryError> {
    load_with(
        path,
        &ImportOptions {
            format,
            ..ImportOptions::default()
        },
    )
}

/// Reads the file at `path` (standard input for `-`) as `options` say.
pub fn load_with(path: &Path, options: &ImportOptions) -> Result<Imported, HistoryError> {
    let source = path.display().to_string();
    let bytes = input::read_bounded(path, &options.limits)?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            return Err(HistoryError::parse(
                Location::line(Some(&source), line),
                "line",
                "not valid UTF-8",
            ));
        }
    };
    let format = match options.format {
        Some(format) => format,
        None => detect(&text, path)?,
    };
    let nil_reads = options
        .nil_reads
        .unwrap_or_else(|| NilReads::default_for(format));
    let history = read_str_with(&text, &source, format, nil_reads)?;
    Ok(Imported { format, history })
}
