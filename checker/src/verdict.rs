//! The three-valued verdict every checker returns (DESIGN §3 "Verdicts").
//!
//! `unknown` means a checker ran out of its time or memory budget; it is never
//! silently turned into `valid`. When several results are combined, `invalid`
//! wins over `unknown`, and `unknown` over `valid`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The property holds.
    Valid,
    /// The property is violated; the checker has a counterexample.
    Invalid,
    /// The checker could not decide within its budget.
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

    /// Combines any number of verdicts; the empty combination is valid
    /// (nothing was violated and nothing was left undecided).
    pub fn combine_all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().fold(Verdict::Valid, Verdict::combine)
    }

    /// The process exit code Jepsen uses for this verdict: 0 valid,
    /// 1 invalid, 2 unknown.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Valid => 0,
            Verdict::Invalid => 1,
            Verdict::Unknown => 2,
        }
    }

    /// The lowercase name used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
            }
        }
        assert_eq!(Verdict::combine_all([]), Valid);
        assert_eq!(Verdict::combine_all([Valid, Unknown, Valid]), Unknown);
    }

    #[test]
    fn verdicts_serialize_lowercase() {
        assert_eq!(serde_json::to_string(&Unknown).unwrap(), "\"unknown\"");
        let parsed: Verdict = serde_json::from_str("\"invalid\"").unwrap();
        assert_eq!(parsed, Invalid);
        assert_eq!(
            (Valid.exit_code(), Invalid.exit_code(), Unknown.exit_code()),
            (0, 1, 2)
        );
    }
}
