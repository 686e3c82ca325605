//! How workload operations travel over a string key-value store (the Raft
//! KV service stores strings and supports read, write, cas and string
//! append), and how replies become history values (DESIGN §3).
//!
//! * Registers hold decimal integers: write `3` stores `"3"`; cas `[0, 1]`
//!   compares with `"0"` and stores `"1"`; a missing key reads as `null`.
//! * Sets and lists are strings of comma-terminated elements: adding or
//!   appending `12` appends `"12,"`; a read decodes `"3,12,"` to `[3, 12]`
//!   and a missing key to `null` (the checkers read it as empty).
//! * Text that is not a number decodes to a JSON string, so a corrupted value
//!   shows up as an unexpected element or an impossible register value and
//!   is caught by the checker rather than silently dropped.

use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

use crate::op::{Op, OpFn};
use crate::workload::WorkloadKind;

/// An op as a request to a string KV store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum KvRequest {
    /// Read `key`.
    Read {
        /// The key.
        key: String,
    },
    /// Store `value` at `key`.
    Write {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// Store `new` if `key` holds `expected` (a missing key never matches).
    Cas {
        /// The key.
        key: String,
        /// The value it must hold.
        expected: String,
        /// The value to store.
        new: String,
    },
    /// Append `suffix` to the string at `key` (missing counts as empty).
    Append {
        /// The key.
        key: String,
        /// The text appended.
        suffix: String,
    },
}

/// An op whose value does not have the shape its function requires.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{f} on key {key:?}: value {value} is not {expected}")]
pub struct EncodingError {
    /// The function.
    pub f: OpFn,
    /// The key.
    pub key: String,
    /// The offending value, as JSON text.
    pub value: String,
    /// What was expected.
    pub expected: &'static str,
}

/// The separator after every element of an encoded set or list.
const SEPARATOR: char = ',';

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.contains(SEPARATOR) => Some(s.clone()),
        _ => None,
    }
}

impl KvRequest {
    /// The request that carries out `op`.
    pub fn for_op(op: &Op) -> Result<Self, EncodingError> {
        let key = op.key.clone();
        let bad = |expected| EncodingError {
            f: op.f,
            key: op.key.clone(),
            value: op.value.to_string(),
            expected,
        };
        Ok(match op.f {
            OpFn::Read => KvRequest::Read { key },
            OpFn::Write => {
                let value = scalar(&op.value).ok_or_else(|| bad("a number"))?;
                KvRequest::Write { key, value }
            }
            OpFn::Cas => {
                let pair = op.value.as_array().filter(|p| p.len() == 2);
                let pair = pair.ok_or_else(|| bad("[old, new]"))?;
                let expected = scalar(&pair[0]).ok_or_else(|| bad("[old, new] numbers"))?;
                let new = scalar(&pair[1]).ok_or_else(|| bad("[old, new] numbers"))?;
                KvRequest::Cas { key, expected, new }
            }
            OpFn::Append | OpFn::Add => {
                let element = scalar(&op.value).ok_or_else(|| bad("a number"))?;
                KvRequest::Append {
                    key,
                    suffix: format!("{element}{SEPARATOR}"),
                }
            }
        })
    }
}

/// Decodes one stored token: an integer if it parses, else the text.
fn decode_token(token: &str) -> Value {
    match token.parse::<i64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::String(token.to_string()),
    }
}

/// Decodes a register's stored string (`None`: the key is missing).
pub fn decode_register(stored: Option<&str>) -> Value {
    stored.map_or(Value::Null, decode_token)
}

/// Decodes a set's or list's stored string (`None`: the key is missing).
pub fn decode_list(stored: Option<&str>) -> Value {
    match stored {
        None => Value::Null,
        Some(text) => Value::Array(
            text.split(SEPARATOR)
                .filter(|t| !t.is_empty())
                .map(decode_token)
                .collect(),
        ),
    }
}

/// The value recorded on an `ok` completion of `op` in a `workload` run: a
/// read's decoded result (`stored` is what the store returned), otherwise
/// the op's own input (DESIGN §3).
pub fn ok_value(workload: WorkloadKind, op: &Op, stored: Option<&str>) -> Value {
    match (op.f, workload) {
        (OpFn::Read, WorkloadKind::Set | WorkloadKind::Append) => decode_list(stored),
        (OpFn::Read, WorkloadKind::Register | WorkloadKind::Kv) => decode_register(stored),
        _ => op.value.clone(),
    }
}
