//! Text and serde forms of [`Process`]: a client is its integer id, the
//! fault injector is the string `nemesis` (in CSV, JSON Lines and output).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Process;

/// The name of the nemesis process in every text form.
pub const NEMESIS: &str = "nemesis";

impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Process::Client(id) => write!(f, "{id}"),
            Process::Nemesis => f.write_str(NEMESIS),
        }
    }
}

/// Why a text is not a process.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a non-negative integer or \"nemesis\", found {found:?}")]
pub struct ParseProcessError {
    /// The text that was rejected.
    pub found: String,
}

impl FromStr for Process {
    type Err = ParseProcessError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == NEMESIS {
            return Ok(Process::Nemesis);
        }
        // Only plain decimal digits: no sign, no spaces.
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(id) = text.parse::<u64>() {
                return Ok(Process::Client(id));
            }
        }
        Err(ParseProcessError {
            found: text.to_owned(),
        })
    }
}

impl Serialize for Process {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Process::Client(id) => serializer.serialize_u64(*id),
            Process::Nemesis => serializer.serialize_str(NEMESIS),
        }
    }
}

struct ProcessVisitor;

impl Visitor<'_> for ProcessVisitor {
    type Value = Process;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer or \"nemesis\"")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Process, E> {
        Ok(Process::Client(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Process, E> {
        u64::try_from(v)
            .map(Process::Client)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Process, E> {
        if v == NEMESIS {
            Ok(Process::Nemesis)
        } else {
            Err(E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
}

impl<'de> Deserialize<'de> for Process {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ProcessVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_serializes_as_integer_or_nemesis() {
        assert_eq!(serde_json::to_string(&Process::Client(7)).unwrap(), "7");
        assert_eq!(
            serde_json::to_string(&Process::Nemesis).unwrap(),
            "\"nemesis\""
        );
        let back: Process = serde_json::from_str("7").unwrap();
        assert_eq!(back, Process::Client(7));
        let back: Process = serde_json::from_str("\"nemesis\"").unwrap();
        assert_eq!(back, Process::Nemesis);
    }

    #[test]
    fn process_rejects_negative_and_other_names() {
        assert!(serde_json::from_str::<Process>("-1").is_err());
        assert!(serde_json::from_str::<Process>("\"client\"").is_err());
        assert!(serde_json::from_str::<Process>("1.5").is_err());
        assert!("+3".parse::<Process>().is_err());
        assert!("".parse::<Process>().is_err());
        assert_eq!("12".parse::<Process>(), Ok(Process::Client(12)));
        assert_eq!("nemesis".parse::<Process>(), Ok(Process::Nemesis));
    }
}
