//! The JSON Lines form of a history: one object per line with the fields
//! `index, time_ns, process, type, f, key, value`. `process` is an integer
//! or `"nemesis"`; `key` is a string or `null` (and may be left out, as may
//! a `null` value). `"value_unknown": true` marks an `ok` completion whose
//! output is unknown (see [`Event::value_unknown`]). Blank lines are
//! ignored; unknown fields, duplicate keys and inexact numbers (integers
//! beyond 64 bits, decimals that are not the shortest form of their float)
//! are errors.

use std::io::{BufRead, BufReader, Read, Write};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{HistoryError, Location};
use crate::history::{Event, EventType, History, HistoryBuilder, Process, SourcedHistory};

/// Writes `history` as JSON Lines.
pub fn write<W: Write>(history: &History, mut writer: W) -> std::io::Result<()> {
    for event in &history.events {
        serde_json::to_writer(&mut writer, event)?;
        writer.write_all(b"\n")?;
    }
    writer.flush()
}

/// Reads and validates a JSON Lines history from `reader`; `source` names
/// the input in errors.
pub fn read<R: Read>(reader: R, source: &str) -> Result<SourcedHistory, HistoryError> {
    let mut input = BufReader::new(reader);
    let mut builder = HistoryBuilder::new(source);
    let mut text = Vec::new();
    let mut line: u64 = 0;
    loop {
        text.clear();
        let read = input
            .read_until(b'\n', &mut text)
            .map_err(|error| HistoryError::Io {
                source_name: source.to_owned(),
                error,
            })?;
        if read == 0 {
            break;
        }
        line += 1;
        let at = Location::line(Some(source), line);
        let Ok(row) = std::str::from_utf8(&text) else {
            return Err(HistoryError::parse(at, "line", "not valid UTF-8"));
        };
        let row = if line == 1 {
            row.trim_start_matches('\u{feff}')
        } else {
            row
        };
        if row.trim().is_empty() {
            continue;
        }
        let event = parse_line(row, &at)?;
        builder.push(event, line)?;
    }
    Ok(builder.finish())
}

/// A well-formed row, read in one pass; anything it rejects is re-read by
/// the field-by-field path, which names the field at fault.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    index: u64,
    time_ns: u64,
    process: Process,
    #[serde(rename = "type")]
    kind: EventType,
    f: String,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    value_unknown: bool,
}

/// Parses one JSON Lines row into an event (no contract checks).
pub fn parse_line(row: &str, at: &Location) -> Result<Event, HistoryError> {
    crate::exact::check_json(row).map_err(|issue| {
        HistoryError::parse(
            at.clone(),
            issue.field.as_deref().unwrap_or("line"),
            issue.reason,
        )
    })?;
    if let Ok(Row {
        index,
        time_ns,
        process,
        kind,
        f,
        key,
        value,
        value_unknown,
    }) = serde_json::from_str(row)
    {
        return Ok(Event {
            index,
            time_ns,
            process,
            kind,
            f,
            key,
            value,
            value_unknown,
        });
    }
    parse_line_fieldwise(row, at)
}

/// The slow path of [`parse_line`]: precise errors.
fn parse_line_fieldwise(row: &str, at: &Location) -> Result<Event, HistoryError> {
    let err = |field: &str, reason: String| HistoryError::parse(at.clone(), field, reason);
    let value: Value =
        serde_json::from_str(row).map_err(|e| err("line", format!("not valid JSON: {e}")))?;
    let Value::Object(mut object) = value else {
        return Err(err("line", "expected a JSON object".into()));
    };
    let index = take_u64(&mut object, "index", at)?;
    let time_ns = take_u64(&mut object, "time_ns", at)?;
    let process = match object.remove("process") {
        None => return Err(err("process", "missing".into())),
        Some(v) => serde_json::from_value::<Process>(v.clone()).map_err(|_| {
            err(
                "process",
                format!("expected an integer or \"nemesis\", found {v}"),
            )
        })?,
    };
    let kind = match object.remove("type") {
        Some(Value::String(name)) => EventType::from_name(&name).ok_or_else(|| {
            err(
                "type",
                format!("unknown event type {name:?} (expected invoke, ok, fail or info)"),
            )
        })?,
        Some(other) => return Err(err("type", format!("expected a string, found {other}"))),
        None => return Err(err("type", "missing".into())),
    };
    let f = match object.remove("f") {
        Some(Value::String(f)) => f,
        Some(other) => return Err(err("f", format!("expected a string, found {other}"))),
        None => return Err(err("f", "missing".into())),
    };
    let key = match object.remove("key") {
        Some(Value::String(key)) => Some(key),
        Some(Value::Null) | None => None,
        Some(other) => {
            return Err(err(
                "key",
                format!("expected a string or null, found {other}"),
            ))
        }
    };
    let value = object.remove("value").unwrap_or(Value::Null);
    let value_unknown = match object.remove("value_unknown") {
        Some(Value::Bool(b)) => b,
        None => false,
        Some(other) => {
            return Err(err(
                "value_unknown",
                format!("expected true or false, found {other}"),
            ))
        }
    };
    if let Some(unknown) = object.keys().next() {
        return Err(err(
            unknown,
            "unknown field (expected index, time_ns, process, type, f, key, value, value_unknown)"
                .into(),
        ));
    }
    Ok(Event {
        index,
        time_ns,
        process,
        kind,
        f,
        key,
        value,
        value_unknown,
    })
}

fn take_u64(
    object: &mut Map<String, Value>,
    field: &str,
    at: &Location,
) -> Result<u64, HistoryError> {
    match object.remove(field) {
        Some(value) => value.as_u64().ok_or_else(|| {
            HistoryError::parse(
                at.clone(),
                field,
                format!("expected a non-negative integer, found {value}"),
            )
        }),
        None => Err(HistoryError::parse(at.clone(), field, "missing")),
    }
}
