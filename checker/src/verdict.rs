//! The three-valued verdict every checker returns (DESIGN §3 "Verdicts"),
//! its one combination rule and its one JSON encoding.
//!
//! `unknown` means a checker could not decide within its budget; it is never
//! silently turned into `valid`.
//!
//! # Combination
//!
//! When several verdicts are combined (the keys of one history, the checkers
//! of one run, the files of one `check`, the seeds of one suite), `invalid`
//! wins over `unknown` and `unknown` over `valid`. The empty combination is
//! `valid`: nothing was violated and nothing was left undecided. A caller
//! that may have checked nothing at all must say so itself (a run always
//! has its Raft-invariant and liveness checkers; `check` refuses an empty
//! history unless asked).
//!
//! # Encoding
//!
//! In JSON a verdict is written as Jepsen writes `:valid?`: `true`, `false`
//! or `"unknown"`. Reading also accepts the names `"valid"`, `"invalid"`
//! and `"unknown"` (any case), which results written by older builds use.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Verdict {
    /// The property holds.
    Valid,
    /// The property is violated; the checker has a counterexample.
    Invalid,
    /// The checker could not decide within its budget (also the default:
    /// nothing is valid until a checker says so).
    #[default]
    Unknown,
}

impl Verdict {
    /// How bad this verdict is: valid 0, unknown 1, invalid 2.
    fn severity(self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Unknown => 1,
            Verdict::Invalid => 2,
        }
    }

    /// Combines two verdicts: invalid wins over unknown, unknown over valid.
    #[must_use]
    pub fn combine(self, other: Verdict) -> Verdict {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// Combines any number of verdicts (see the module docs); the empty
    /// combination is valid.
    pub fn combine_all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().fold(Verdict::Valid, Verdict::combine)
    }

    /// The lowercase name used in text and on pages.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Unknown => "unknown",
        }
    }

    /// The JSON encoding: `true`, `false` or `"unknown"`.
    pub fn to_json(self) -> Value {
        match self {
            Verdict::Valid => Value::Bool(true),
            Verdict::Invalid => Value::Bool(false),
            Verdict::Unknown => Value::String("unknown".into()),
        }
    }

    /// Reads a JSON verdict: a boolean, or `valid` / `invalid` / `unknown`
    /// (also `true` / `false` as strings), any case. `None` for anything
    /// else: a verdict is never guessed.
    pub fn from_json(value: &Value) -> Option<Verdict> {
        match value {
            Value::Bool(true) => Some(Verdict::Valid),
            Value::Bool(false) => Some(Verdict::Invalid),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "valid" | "true" => Some(Verdict::Valid),
                "invalid" | "false" => Some(Verdict::Invalid),
                "unknown" => Some(Verdict::Unknown),
                _ => None,
            },
            _ => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Verdict::Valid => serializer.serialize_bool(true),
            Verdict::Invalid => serializer.serialize_bool(false),
            Verdict::Unknown => serializer.serialize_str("unknown"),
        }
    }
}

impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Verdict::from_json(&value).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "a verdict is true, false or \"unknown\" (or \"valid\" / \"invalid\"), not {value}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Verdict::{self, Invalid, Unknown, Valid};

    #[test]
    fn invalid_beats_unknown_beats_valid_in_any_order() {
        let all = [Valid, Invalid, Unknown];
        for a in all {
            for b in all {
                let expected = if a == Invalid || b == Invalid {
                    Invalid
                } else if a == Unknown || b == Unknown {
                    Unknown
                } else {
                    Valid
                };
                assert_eq!(a.combine(b), expected, "{a} + {b}");
                assert_eq!(Verdict::combine_all([a, b]), expected);
            }
        }
    }

    #[test]
    fn the_empty_combination_is_valid() {
        assert_eq!(Verdict::combine_all([]), Valid);
        assert_eq!(Verdict::combine_all([Valid, Unknown, Valid]), Unknown);
    }

    #[test]
    fn verdicts_are_written_as_jepsen_writes_them_and_read_in_both_forms() {
        let written: Vec<String> = [Valid, Invalid, Unknown]
            .iter()
            .map(|v| serde_json::to_string(v).unwrap())
            .collect();
        assert_eq!(written, ["true", "false", "\"unknown\""]);
        for (text, verdict) in [
            ("true", Valid),
            ("false", Invalid),
            ("\"unknown\"", Unknown),
            ("\"valid\"", Valid),
            ("\"INVALID\"", Invalid),
        ] {
            assert_eq!(serde_json::from_str::<Verdict>(text).unwrap(), verdict);
        }
        for bad in ["\"probably\"", "1", "null"] {
            assert!(serde_json::from_str::<Verdict>(bad).is_err(), "{bad}");
        }
        assert_eq!(Verdict::default(), Unknown);
    }
}
