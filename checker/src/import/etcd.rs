//! Porcupine's etcd Jepsen logs (Jepsen 2015): one event per line,
//!
//! ```text
//! INFO  jepsen.util - 2  :invoke  :cas  [3 0]
//! ```
//!
//! (tab-separated) — a log prefix ending in `jepsen.util - `, then the process, the type,
//! the function and an EDN value, separated by whitespace. `nil` is `null`,
//! a keyword (`:timed-out`) its name; functions are normalised (see
//! [`normalise_f`](super::convert::normalise_f)). The log has no times:
//! each event is one tick after the previous one. Blank lines are skipped;
//! a `:nemesis` process is skipped.

use super::convert::{edn_to_json, normalise_f, FUNCTIONS};
use super::edn::Reader;
use crate::error::{HistoryError, Location};
use crate::history::{Event, EventType, HistoryBuilder, Process, SourcedHistory};

/// The text that ends the log prefix of every event line.
pub const MARKER: &str = "jepsen.util - ";

/// Reads and validates an etcd Jepsen log; `source` names the input in
/// errors.
pub fn read(text: &str, source: &str) -> Result<SourcedHistory, HistoryError> {
    let mut builder = HistoryBuilder::line_ordered(source);
    let mut ordinal: u64 = 0;
    for (number, row) in text.lines().enumerate() {
        let line = number as u64 + 1;
        if row.trim().is_empty() {
            continue;
        }
        let at = Location::line(Some(source), line);
        if let Some(mut event) = parse_line(row, &at)? {
            event.index = ordinal;
            event.time_ns = ordinal;
            builder.push(event, line)?;
        }
        ordinal += 1;
    }
    Ok(builder.finish())
}

/// Splits off the first whitespace-separated word of `text`.
fn word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

/// The event of one log line (index and time still zero), or `None` for a
/// nemesis line.
fn parse_line(row: &str, at: &Location) -> Result<Option<Event>, HistoryError> {
    let err = |field: &str, reason: String| HistoryError::parse(at.clone(), field, reason);
    let Some(start) = row.find(MARKER) else {
        return Err(err(
            "line",
            format!("expected `INFO  {MARKER}PROCESS TYPE F VALUE`, found {row:?}"),
        ));
    };
    let rest = &row[start + MARKER.len()..];
    let (process_text, rest) = word(rest);
    let (type_text, rest) = word(rest);
    let (f_text, rest) = word(rest);
    let value_text = rest.trim();
    let process = match process_text {
        ":nemesis" => return Ok(None),
        text => text.parse::<u64>().map(Process::Client).map_err(|_| {
            err(
                "process",
                format!("expected a non-negative integer or :nemesis, found {text:?}"),
            )
        })?,
    };
    let kind = type_text
        .strip_prefix(':')
        .and_then(EventType::from_name)
        .ok_or_else(|| {
            err(
                "type",
                format!("unknown type {type_text:?} (expected :invoke, :ok, :fail or :info)"),
            )
        })?;
    let f = f_text
        .strip_prefix(':')
        .and_then(normalise_f)
        .ok_or_else(|| {
            err(
                "f",
                format!("unsupported function {f_text:?} (supported: {FUNCTIONS})"),
            )
        })?;
    if value_text.is_empty() {
        return Err(err("value", "missing".into()));
    }
    let value = Reader::new(value_text, at.line.unwrap_or(1))
        .single_value()
        .map_err(|e| err("value", e.reason))?;
    let value = edn_to_json(&value).map_err(|reason| err("value", reason))?;
    Ok(Some(Event {
        index: 0,
        time_ns: 0,
        process,
        kind,
        f: f.to_owned(),
        key: None,
        value,
        value_unknown: false,
    }))
}
