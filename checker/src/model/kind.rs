//! The built-in models by name, as the command line selects them.

use serde_json::Value;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A built-in model. Parses from the command-line names `register`,
/// `cas-register`, `kv`, `append-kv` and `set`; registers start at `null`
/// unless [`ModelKind::with_initial`] says otherwise.
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
    /// A grow-only set per key (add, read of the whole set).
    Set,
}

/// A model name that is not one of the built-in models, or an initial value
/// given to a model that has none.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseModelError {
    /// The name is unknown.
    #[error("unknown model {0:?}; expected one of: register, cas-register, kv, append-kv, set")]
    UnknownName(String),
    /// Only the register models take an initial value.
    #[error("the {0} model does not take an initial value")]
    NoInitial(&'static str),
}

impl ModelKind {
    /// All command-line names, in the order they are documented.
    pub const NAMES: [&'static str; 5] = ["register", "cas-register", "kv", "append-kv", "set"];

    /// The command-line name.
    pub fn name(&self) -> &'static str {
        match self {
            ModelKind::Register { .. } => "register",
            ModelKind::CasRegister { .. } => "cas-register",
            ModelKind::Kv => "kv",
            ModelKind::AppendKv => "append-kv",
            ModelKind::Set => "set",
        }
    }

    /// Whether Knossos reads an `ok` read of `nil` as "value unknown" in
    /// this model (its register models); elsewhere `nil` is a value.
    pub fn nil_reads_are_unknown(&self) -> bool {
        matches!(
            self,
            ModelKind::Register { .. } | ModelKind::CasRegister { .. } | ModelKind::Kv
        )
    }

    /// The same model starting from `initial` (register models only).
    pub fn with_initial(self, initial: Value) -> Result<ModelKind, ParseModelError> {
        match self {
            ModelKind::Register { .. } => Ok(ModelKind::Register { initial }),
            ModelKind::CasRegister { .. } => Ok(ModelKind::CasRegister { initial }),
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
