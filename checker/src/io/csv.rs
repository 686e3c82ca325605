//! The CSV form of a history: a header row `index,time_ns,process,type,f,
//! key,value`, then one event per row. `process` is an integer or
//! `nemesis`; an empty `key` cell means no key; `value` holds a JSON value,
//! or is empty on an `ok` completion whose output is unknown (see
//! [`Event::value_unknown`]). Numbers must be exact (integers within 64
//! bits, decimals the shortest form of their float) and objects may not
//! repeat a key.

use std::io::{Read, Write};

use super::COLUMNS;
use crate::error::{HistoryError, Location};
use crate::history::{Event, EventType, History, HistoryBuilder, Process, SourcedHistory};

/// Writes `history` as CSV. Fails with `InvalidInput` on an event whose key
/// is `Some("")`, which the CSV form cannot tell apart from no key.
pub fn write<W: Write>(history: &History, writer: W) -> std::io::Result<()> {
    let mut out = ::csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(writer);
    out.write_record(COLUMNS)?;
    for event in &history.events {
        if event.key.as_deref() == Some("") {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "event {}: an empty key cannot be written to CSV",
                    event.index
                ),
            ));
        }
        let value = if event.value_unknown {
            String::new()
        } else {
            serde_json::to_string(&event.value).map_err(std::io::Error::other)?
        };
        out.write_record([
            event.index.to_string().as_str(),
            event.time_ns.to_string().as_str(),
            event.process.to_string().as_str(),
            event.kind.as_str(),
            event.f.as_str(),
            event.key.as_deref().unwrap_or(""),
            value.as_str(),
        ])?;
    }
    out.flush()
}

/// Reads and validates a CSV history from `reader`; `source` names the input
/// in errors.
pub fn read<R: Read>(mut reader: R, source: &str) -> Result<SourcedHistory, HistoryError> {
    // The csv crate's line counter skips blank lines, so lines are computed
    // from byte offsets over the whole input instead.
    let mut data = Vec::new();
    reader
        .read_to_end(&mut data)
        .map_err(|error| HistoryError::Io {
            source_name: source.to_owned(),
            error,
        })?;
    let lines = LineIndex::new(&data);
    let mut input = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data.as_slice());
    let mut record = ::csv::StringRecord::new();
    let mut builder = HistoryBuilder::new(source);
    let mut header_seen = false;
    loop {
        let more = input
            .read_record(&mut record)
            .map_err(|err| csv_error(err, source, &lines))?;
        if !more {
            break;
        }
        let line = record.position().map_or(1, |p| lines.line_of(p.byte()));
        if !header_seen {
            check_header(&record, source, line)?;
            header_seen = true;
            continue;
        }
        let event = parse_row(&record, source, line)?;
        builder.push(event, line)?;
    }
    if !header_seen {
        return Err(HistoryError::parse(
            Location::line(Some(source), 1),
            "header",
            format!("missing header row `{}`", COLUMNS.join(",")),
        ));
    }
    Ok(builder.finish())
}

/// The 1-based line of every byte offset of a text, skipping blank lines
/// forward the way the csv reader does.
struct LineIndex<'a> {
    data: &'a [u8],
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(data: &'a [u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(
            data.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { data, starts }
    }

    /// The line of the first non-blank-line byte at or after `offset`.
    fn line_of(&self, offset: u64) -> u64 {
        let mut at = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        while at < self.data.len() && matches!(self.data[at], b'\n' | b'\r') {
            at += 1;
        }
        self.starts.partition_point(|start| *start <= at) as u64
    }
}

fn csv_error(err: ::csv::Error, source: &str, lines: &LineIndex<'_>) -> HistoryError {
    let line = err.position().map_or(1, |p| lines.line_of(p.byte()));
    match err.into_kind() {
        ::csv::ErrorKind::Io(error) => HistoryError::Io {
            source_name: source.to_owned(),
            error,
        },
        ::csv::ErrorKind::Utf8 { err, .. } => HistoryError::parse(
            Location::line(Some(source), line),
            COLUMNS.get(err.field()).copied().unwrap_or("line"),
            format!("not valid UTF-8: {err}"),
        ),
        other => HistoryError::parse(
            Location::line(Some(source), line),
            "line",
            format!("malformed CSV: {other:?}"),
        ),
    }
}

fn check_header(record: &::csv::StringRecord, source: &str, line: u64) -> Result<(), HistoryError> {
    let found: Vec<&str> = record
        .iter()
        .map(|c| c.trim_start_matches('\u{feff}'))
        .collect();
    if found != COLUMNS {
        return Err(HistoryError::parse(
            Location::line(Some(source), line),
            "header",
            format!(
                "expected `{}`, found `{}`",
                COLUMNS.join(","),
                record.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    }
    Ok(())
}

fn parse_row(record: &::csv::StringRecord, source: &str, line: u64) -> Result<Event, HistoryError> {
    let at = || Location::line(Some(source), line);
    if record.len() != COLUMNS.len() {
        return Err(HistoryError::parse(
            at(),
            "line",
            format!("expected {} cells, found {}", COLUMNS.len(), record.len()),
        ));
    }
    let cell = |i: usize| record.get(i).unwrap_or("");
    let number = |i: usize| -> Result<u64, HistoryError> {
        let text = cell(i).trim();
        text.parse::<u64>().map_err(|_| {
            HistoryError::parse(
                at(),
                COLUMNS[i],
                format!("expected a non-negative integer, found {text:?}"),
            )
        })
    };
    let index = number(0)?;
    let time_ns = number(1)?;
    let process = cell(2)
        .trim()
        .parse::<Process>()
        .map_err(|err| HistoryError::parse(at(), "process", err.to_string()))?;
    let type_text = cell(3).trim();
    let kind = EventType::from_name(type_text).ok_or_else(|| {
        HistoryError::parse(
            at(),
            "type",
            format!("unknown event type {type_text:?} (expected invoke, ok, fail or info)"),
        )
    })?;
    let f = cell(4).to_owned();
    let key = match cell(5) {
        "" => None,
        key => Some(key.to_owned()),
    };
    let value_unknown = cell(6).trim().is_empty();
    let value = if value_unknown {
        serde_json::Value::Null
    } else {
        crate::exact::check_json(cell(6))
            .map_err(|issue| HistoryError::parse(at(), "value", issue.reason))?;
        serde_json::from_str(cell(6))
            .map_err(|err| HistoryError::parse(at(), "value", format!("not a JSON value: {err}")))?
    };
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
