//! What an `ok` read of `nil` means. In Jepsen's register models (Knossos's
//! `register`, `cas-register` and `multi-register`) a read whose value is
//! `nil` is consistent with every state: the client did not learn the
//! value. Systems whose registers really start at `nil` need the other
//! reading, where `nil` is a value like any other.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use super::Format;
use crate::history::{EventType, SourcedHistory};

/// How an `ok` read of `nil` (`null`) is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NilReads {
    /// Knossos's rule: the value is unknown and the read matches every
    /// state (the event is marked [`value_unknown`]); a `txn` read micro-op
    /// `[read k nil]` becomes `[read k]`, a read of unknown value.
    ///
    /// [`value_unknown`]: crate::history::Event::value_unknown
    Unknown,
    /// `nil` is a value: the register must hold `nil`.
    Value,
}

impl NilReads {
    /// The default of each format: [`NilReads::Unknown`] for `jepsen-edn`
    /// (Knossos's rule), [`NilReads::Value`] for the others (our own formats
    /// say "unknown" explicitly; Porcupine's models read `nil` as a value).
    pub fn default_for(format: Format) -> NilReads {
        match format {
            Format::JepsenEdn => NilReads::Unknown,
            _ => NilReads::Value,
        }
    }

    /// The command-line name: `unknown` or `value`.
    pub fn name(self) -> &'static str {
        match self {
            NilReads::Unknown => "unknown",
            NilReads::Value => "value",
        }
    }
}

impl fmt::Display for NilReads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NilReads {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "unknown" => Ok(NilReads::Unknown),
            "value" => Ok(NilReads::Value),
            other => Err(format!(
                "unknown meaning {other:?} (expected unknown or value)"
            )),
        }
    }
}

/// Whether a micro-op name is a read (`read` or Elle's `r`).
pub(crate) fn is_read_micro_op(name: &Value) -> bool {
    matches!(name.as_str(), Some("read" | "r"))
}

/// Applies Knossos's rule to every `ok` completion of `history`.
pub(super) fn mark_unknown(history: &mut SourcedHistory) {
    for event in &mut history.history.events {
        if event.kind != EventType::Ok {
            continue;
        }
        match (event.f.as_str(), &mut event.value) {
            ("read", Value::Null) => event.value_unknown = true,
            ("txn", Value::Array(micro_ops)) => {
                for micro_op in micro_ops {
                    if let Value::Array(parts) = micro_op {
                        if parts.len() == 3 && is_read_micro_op(&parts[0]) && parts[2].is_null() {
                            parts.truncate(2);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
