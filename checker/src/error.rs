//! Errors of reading, importing and validating histories.
//!
//! Every error names where it happened as `file:line: field: reason`
//! (DESIGN §4: "bad input gets a clear error naming the file, line and
//! field"). Histories built in memory have no file or line; their errors
//! name the event index instead (`history: event 12: process: ...`).

use std::fmt;

/// Where in an input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The input's name (usually a file path), if known.
    pub source: Option<String>,
    /// The 1-based line in the input, when the history came from text.
    pub line: Option<u64>,
    /// The history index of the event, used when no line is known.
    pub event_index: Option<u64>,
}

impl Location {
    /// A position in a named text input.
    pub fn line(source: Option<&str>, line: u64) -> Self {
        Location {
            source: source.map(str::to_owned),
            line: Some(line),
            event_index: None,
        }
    }

    /// An event of an in-memory history, named by its index.
    pub fn event(source: Option<&str>, event_index: u64) -> Self {
        Location {
            source: source.map(str::to_owned),
            line: None,
            event_index: Some(event_index),
        }
    }

    /// The whole input, with no finer position.
    pub fn whole(source: Option<&str>) -> Self {
        Location {
            source: source.map(str::to_owned),
            line: None,
            event_index: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = self.source.as_deref().unwrap_or("history");
        match (self.line, self.event_index) {
            (Some(line), _) => write!(f, "{source}:{line}"),
            (None, Some(index)) => write!(f, "{source}: event {index}"),
            (None, None) => write!(f, "{source}"),
        }
    }
}

/// Why a history could not be read, imported or paired into operations.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The input could not be read at all.
    #[error("{source_name}: cannot read: {error}")]
    Io {
        /// The input's name (usually a file path).
        source_name: String,
        /// The underlying I/O error.
        #[source]
        error: std::io::Error,
    },
    /// A row or field could not be parsed (syntax, types, unknown names).
    #[error("{location}: {field}: {reason}")]
    Parse {
        /// Where.
        location: Location,
        /// The field (column, EDN key) at fault, or `line` for a whole row.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The events parse but break the history contract (DESIGN §3): a
    /// completion without an invoke, two completions, a process that issues
    /// after its `info`, time going backwards, ...
    #[error("{location}: {field}: {reason}")]
    Invalid {
        /// Where.
        location: Location,
        /// The field at fault (`process`, `type`, `time_ns`, `index`, ...).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl HistoryError {
    /// A parse error at `location`.
    pub fn parse(location: Location, field: &str, reason: impl Into<String>) -> Self {
        HistoryError::Parse {
            location,
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    /// A contract violation at `location`.
    pub fn invalid(location: Location, field: &str, reason: impl Into<String>) -> Self {
        HistoryError::Invalid {
            location,
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    /// Where the problem is, if it is tied to a position in the input.
    pub fn location(&self) -> Option<&Location> {
        match self {
            HistoryError::Io { .. } => None,
            HistoryError::Parse { location, .. } | HistoryError::Invalid { location, .. } => {
                Some(location)
            }
        }
    }

    /// The field at fault, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            HistoryError::Io { .. } => None,
            HistoryError::Parse { field, .. } | HistoryError::Invalid { field, .. } => Some(field),
        }
    }

    /// The same error, naming `source` as the input (kept if already set).
    pub fn with_source(mut self, source: &str) -> Self {
        match &mut self {
            HistoryError::Io { .. } => {}
            HistoryError::Parse { location, .. } | HistoryError::Invalid { location, .. } => {
                if location.source.is_none() {
                    location.source = Some(source.to_owned());
                }
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_field_and_reason() {
        let err = HistoryError::parse(Location::line(Some("h.csv"), 7), "type", "unknown");
        assert_eq!(err.to_string(), "h.csv:7: type: unknown");
    }

    #[test]
    fn display_names_event_index_without_a_line() {
        let err = HistoryError::invalid(Location::event(None, 3), "process", "x");
        assert_eq!(err.to_string(), "history: event 3: process: x");
        let named = err.with_source("run");
        assert_eq!(named.to_string(), "run: event 3: process: x");
    }
}
