//! The crate's one binary encoding: bincode with its default options
//! (variable-length little-endian integers, trailing bytes rejected).
//!
//! Encoding is deterministic: the same value always gives the same bytes, as
//! long as the value holds ordered collections (`BTreeMap`, `Vec`), never
//! hash maps. Decoding is bounded: a length prefix can never make it allocate
//! more than the input's own size, so hostile or corrupt bytes give an error,
//! not an out-of-memory abort or a panic.

use bincode::Options;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why encoding or decoding failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(String);

fn options() -> impl Options {
    bincode::DefaultOptions::new()
}

/// Encodes `value`. Fails only for types serde cannot describe to bincode
/// (sequences of unknown length), which no type of this crate is.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    options()
        .serialize(value)
        .map_err(|e| CodecError(e.to_string()))
}

/// Decodes exactly one `T` from `bytes`; trailing bytes are an error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    options()
        .with_limit(bytes.len() as u64)
        .deserialize(bytes)
        .map_err(|e| CodecError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn round_trip_is_exact_and_deterministic() {
        let value: BTreeMap<String, Vec<u64>> = [("b".into(), vec![1, 300]), ("a".into(), vec![])]
            .into_iter()
            .collect();
        let bytes = encode(&value).unwrap();
        assert_eq!(bytes, encode(&value.clone()).unwrap());
        assert_eq!(decode::<BTreeMap<String, Vec<u64>>>(&bytes).unwrap(), value);
    }

    #[test]
    fn huge_length_prefix_is_an_error_not_an_allocation() {
        // A string claiming u64::MAX bytes, followed by nothing.
        let mut bytes = vec![0xff];
        bytes.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode::<String>(&bytes).is_err());
        assert!(decode::<Vec<u64>>(&bytes).is_err());
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut bytes = encode(&7u32).unwrap();
        bytes.push(0);
        assert!(decode::<u32>(&bytes).is_err());
    }
}
