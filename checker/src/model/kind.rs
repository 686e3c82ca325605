//! The built-in models by name, as the command line selects them.

use serde_json::Value;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A built-in model. Parses from the command-line names in
/// [`ModelKind::NAMES`]; registers start at `null` unless
/// [`ModelKind::with_initial`] says otherwise.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelKind {
    /// A read/write register per key.
    Register {
        /// The starting value.
        initial: Value,
    },
    /// A read/write/compare-and-set register per key.
    CasRegister {
        /// The starting value.
        initial: Value,
    },
    /// A map of compare-and-set registers starting at `null`; every
    /// operation must have a key.
    Kv,
    /// Porcupine's append-string key/value store (get / put / append).
    AppendKv,
    /// A grow-only set per key (add, read of the whole set): Knossos's
    /// `set`.
    Set,
    /// Knossos's `mutex` per key (acquire, release).
    Mutex,
    /// Knossos's `multi-register`: `txn`s of read/write micro-ops over
    /// several registers, linearizable as a whole.
    MultiRegister {
        /// The registers' starting values: `null` or an object of key to
        /// value.
        initial: Value,
    },
    /// Knossos's `unordered-queue` per key (enqueue, dequeue).
    UnorderedQueue,
    /// Knossos's `fifo-queue` per key (enqueue, dequeue).
    FifoQueue,
}

/// A model name that is not one of the built-in models, or an initial value
/// given to a model that has none.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseModelError {
    /// The name is unknown.
    #[error("unknown model {0:?}; expected one of: register, cas-register, kv, append-kv, set, mutex, multi-register, unordered-queue, fifo-queue")]
    UnknownName(String),
    /// Only the register models take an initial value.
    #[error("the {0} model does not take an initial value")]
    NoInitial(&'static str),
    /// The multi-register model's initial value must be an object.
    #[error("the multi-register model's initial value must be null or an object of key to value, got {0}")]
    NotAnObject(String),
}

impl ModelKind {
    /// All command-line names, in the order they are documented.
    pub const NAMES: [&'static str; 9] = [
        "register",
        "cas-register",
        "kv",
        "append-kv",
        "set",
        "mutex",
        "multi-register",
        "unordered-queue",
        "fifo-queue",
    ];

    /// The command-line name.
    pub fn name(&self) -> &'static str {
        match self {
            ModelKind::Register { .. } => "register",
            ModelKind::CasRegister { .. } => "cas-register",
            ModelKind::Kv => "kv",
            ModelKind::AppendKv => "append-kv",
            ModelKind::Set => "set",
            ModelKind::Mutex => "mutex",
            ModelKind::MultiRegister { .. } => "multi-register",
            ModelKind::UnorderedQueue => "unordered-queue",
            ModelKind::FifoQueue => "fifo-queue",
        }
    }

    /// Whether Knossos reads an `ok` read of `nil` as "value unknown" in
    /// this model (its register models); elsewhere `nil` is a value.
    pub fn nil_reads_are_unknown(&self) -> bool {
        matches!(
            self,
            ModelKind::Register { .. }
                | ModelKind::CasRegister { .. }
                | ModelKind::Kv
                | ModelKind::MultiRegister { .. }
        )
    }

    /// The same model starting from `initial` (register models only).
    pub fn with_initial(self, initial: Value) -> Result<ModelKind, ParseModelError> {
        match self {
            ModelKind::Register { .. } => Ok(ModelKind::Register { initial }),
            ModelKind::CasRegister { .. } => Ok(ModelKind::CasRegister { initial }),
            ModelKind::MultiRegister { .. } => match initial {
                Value::Null | Value::Object(_) => Ok(ModelKind::MultiRegister { initial }),
                other => Err(ParseModelError::NotAnObject(other.to_string())),
            },
            other => Err(ParseModelError::NoInitial(other.name())),
        }
    }
}

impl FromStr for ModelKind {
    type Err = ParseModelError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "register" => Ok(ModelKind::Register {
                initial: Value::Null,
            }),
            "cas-register" => Ok(ModelKind::CasRegister {
                initial: Value::Null,
            }),
            "kv" => Ok(ModelKind::Kv),
            "append-kv" => Ok(ModelKind::AppendKv),
            "set" => Ok(ModelKind::Set),
            "mutex" => Ok(ModelKind::Mutex),
            "multi-register" => Ok(ModelKind::MultiRegister {
                initial: Value::Null,
            }),
            "unordered-queue" => Ok(ModelKind::UnorderedQueue),
            "fifo-queue" => Ok(ModelKind::FifoQueue),
            other => Err(ParseModelError::UnknownName(other.to_string())),
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_cli_name_parses_and_prints_back() {
        for name in ModelKind::NAMES {
            let kind: ModelKind = name.parse().unwrap();
            assert_eq!(kind.to_string(), name);
        }
        assert!(matches!(
            "stack".parse::<ModelKind>(),
            Err(ParseModelError::UnknownName(_))
        ));
    }

    #[test]
    fn only_registers_take_an_initial_value() {
        let kind = ModelKind::CasRegister {
            initial: Value::Null,
        }
        .with_initial(json!(0))
        .unwrap();
        assert_eq!(kind, ModelKind::CasRegister { initial: json!(0) });
        assert_eq!(
            ModelKind::Set.with_initial(json!(0)),
            Err(ParseModelError::NoInitial("set"))
        );
    }
}
