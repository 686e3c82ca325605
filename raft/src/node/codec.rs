//! Length-prefixed, versioned frames over a byte stream.
//!
//! Every frame is a 7-byte header followed by a bincode payload:
//!
//! ```text
//! +------+------+---------+----------------------+-------------------+
//! | 0x46 | 0x4C | version | payload length (u32, | payload (bincode) |
//! | 'F'  | 'L'  |  (= 1)  |   big endian)        |                   |
//! +------+------+---------+----------------------+-------------------+
//! ```
//!
//! A frame longer than the configured maximum, a wrong magic or version, or a
//! payload that does not decode is a [`CodecError`]: the connection carrying it
//! is closed and the error counted by the caller. Nothing here panics on bad
//! bytes, and nothing allocates more than the maximum frame size up front.

use bincode::Options;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The two magic bytes that open every frame ("FL").
pub const FRAME_MAGIC: [u8; 2] = *b"FL";
/// The frame format version this code speaks.
pub const FRAME_VERSION: u8 = 1;
/// Bytes before the payload: magic, version, length.
pub const FRAME_HEADER_BYTES: usize = 7;
/// The default bound on one frame's payload.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;

/// How much a reader asks the socket for at once.
const READ_CHUNK_BYTES: usize = 16 * 1024;

/// Why bytes could not be turned into a frame (or a frame into bytes).
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The stream does not start with the frame magic.
    #[error("bad frame magic {found:02x?}")]
    BadMagic {
        /// The two bytes found instead.
        found: [u8; 2],
    },
    /// The frame was written by an incompatible version.
    #[error("unsupported frame version {found} (this node speaks {FRAME_VERSION})")]
    UnsupportedVersion {
        /// The version byte found.
        found: u8,
    },
    /// The declared payload length exceeds the bound.
    #[error("frame of {len_bytes} bytes exceeds the maximum of {max_bytes}")]
    Oversized {
        /// The declared payload length.
        len_bytes: usize,
        /// The configured maximum.
        max_bytes: usize,
    },
    /// The payload did not decode as the expected type.
    #[error("malformed frame payload: {0}")]
    Malformed(String),
    /// The stream ended in the middle of a frame.
    #[error("stream ended inside a frame ({buffered_bytes} bytes buffered)")]
    Truncated {
        /// How many bytes of the partial frame had arrived.
        buffered_bytes: usize,
    },
    /// A value could not be encoded (it would exceed the maximum size).
    #[error("cannot encode frame: {0}")]
    Encode(String),
}

impl CodecError {
    /// Whether the peer sent bytes that are not a valid frame (as opposed to
    /// the connection failing or ending).
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            CodecError::BadMagic { .. }
                | CodecError::UnsupportedVersion { .. }
                | CodecError::Oversized { .. }
                | CodecError::Malformed(_)
                | CodecError::Truncated { .. }
        )
    }
}

fn bincode_options(max_bytes: usize) -> impl Options {
    bincode::DefaultOptions::new()
        .with_limit(max_bytes as u64)
        .reject_trailing_bytes()
}

/// Encodes `value` as one complete frame (header and payload).
pub fn encode_frame<T: Serialize>(value: &T, max_bytes: usize) -> Result<Vec<u8>, CodecError> {
    let payload = bincode_options(max_bytes)
        .serialize(value)
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    if payload.len() > max_bytes || payload.len() > u32::MAX as usize {
        return Err(CodecError::Oversized {
            len_bytes: payload.len(),
            max_bytes,
        });
    }
    let mut frame = Vec::with_capacity(FRAME_HEADER_BYTES + payload.len());
    frame.extend_from_slice(&FRAME_MAGIC);
    frame.push(FRAME_VERSION);
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(&payload);
    Ok(frame)
}

/// An incremental decoder: push bytes as they arrive, pop whole frames.
///
/// After an error the decoder is poisoned (every later call repeats a
/// `Malformed` error): a stream that carried one bad frame cannot be trusted
/// to be aligned on a frame boundary again.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    start: usize,
    max_bytes: usize,
    poisoned: bool,
}

impl FrameDecoder {
    /// A decoder accepting payloads of at most `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        FrameDecoder {
            buf: Vec::new(),
            start: 0,
            max_bytes,
            poisoned: false,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    /// Drops the bytes already returned as frames once they are all of the
    /// buffer or most of a large one.
    fn compact(&mut self) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > READ_CHUNK_BYTES && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// Reads what `reader` has straight into the buffer's spare capacity
    /// (at least [`READ_CHUNK_BYTES`] of it), with no zeroed scratch buffer in
    /// between; returns the count, 0 at the end of the stream. Cancel-safe:
    /// bytes are appended only when a read completes.
    async fn fill<R: AsyncRead + Unpin>(&mut self, reader: &mut R) -> std::io::Result<usize> {
        self.compact();
        self.buf.reserve(READ_CHUNK_BYTES);
        reader.read_buf(&mut self.buf).await
    }

    /// Bytes received but not yet returned as a frame.
    pub fn buffered_bytes(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed.
    pub fn next_frame<T: DeserializeOwned>(&mut self) -> Result<Option<T>, CodecError> {
        if self.poisoned {
            return Err(CodecError::Malformed("stream already failed".into()));
        }
        let result = self.try_next();
        if result.is_err() {
            self.poisoned = true;
        }
        result
    }

    fn try_next<T: DeserializeOwned>(&mut self) -> Result<Option<T>, CodecError> {
        let avail = &self.buf[self.start..];
        if avail.len() >= 2 && avail[..2] != FRAME_MAGIC {
            return Err(CodecError::BadMagic {
                found: [avail[0], avail[1]],
            });
        }
        if avail.len() >= 3 && avail[2] != FRAME_VERSION {
            return Err(CodecError::UnsupportedVersion { found: avail[2] });
        }
        if avail.len() < FRAME_HEADER_BYTES {
            return Ok(None);
        }
        let len_bytes = u32::from_be_bytes([avail[3], avail[4], avail[5], avail[6]]) as usize;
        if len_bytes > self.max_bytes {
            return Err(CodecError::Oversized {
                len_bytes,
                max_bytes: self.max_bytes,
            });
        }
        if avail.len() < FRAME_HEADER_BYTES + len_bytes {
            return Ok(None);
        }
        let payload = &avail[FRAME_HEADER_BYTES..FRAME_HEADER_BYTES + len_bytes];
        let value = bincode_options(self.max_bytes)
            .deserialize(payload)
            .map_err(|e| CodecError::Malformed(e.to_string()))?;
        self.start += FRAME_HEADER_BYTES + len_bytes;
        Ok(Some(value))
    }
}

/// Reads the next frame from `reader`, `Ok(None)` at a clean end of stream.
///
/// Cancel-safe: bytes read before a cancellation stay in `decoder`.
pub async fn read_frame<R, T>(
    reader: &mut R,
    decoder: &mut FrameDecoder,
) -> Result<Option<T>, CodecError>
where
    R: AsyncRead + Unpin,
    T: DeserializeOwned,
{
    loop {
        if let Some(frame) = decoder.next_frame()? {
            return Ok(Some(frame));
        }
        if decoder.fill(reader).await? == 0 {
            let buffered_bytes = decoder.buffered_bytes();
            if buffered_bytes == 0 {
                return Ok(None);
            }
            return Err(CodecError::Truncated { buffered_bytes });
        }
    }
}

/// Encodes `value` and writes it as one frame.
pub async fn write_frame<W, T>(
    writer: &mut W,
    value: &T,
    max_bytes: usize,
) -> Result<(), CodecError>
where
    W: AsyncWrite + Unpin,
    T: Serialize,
{
    let frame = encode_frame(value, max_bytes)?;
    writer.write_all(&frame).await?;
    writer.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    enum Sample {
        A { key: String, value: Vec<u8> },
        B(u64, Option<i32>),
        C,
    }

    fn samples() -> Vec<Sample> {
        vec![
            Sample::A {
                key: "k".into(),
                value: vec![1, 2, 3],
            },
            Sample::B(u64::MAX, Some(-5)),
            Sample::C,
            Sample::A {
                key: String::new(),
                value: vec![0; 5000],
            },
        ]
    }

    #[test]
    fn frames_round_trip_when_split_at_every_byte_boundary() {
        let mut bytes = Vec::new();
        for s in samples() {
            bytes.extend(encode_frame(&s, 1 << 20).unwrap());
        }
        for split in 0..bytes.len() {
            let mut dec = FrameDecoder::new(1 << 20);
            let mut out = Vec::new();
            dec.push(&bytes[..split]);
            while let Some(f) = dec.next_frame::<Sample>().unwrap() {
                out.push(f);
            }
            dec.push(&bytes[split..]);
            while let Some(f) = dec.next_frame::<Sample>().unwrap() {
                out.push(f);
            }
            assert_eq!(out, samples(), "split at {split}");
            assert_eq!(dec.buffered_bytes(), 0);
        }
    }

    #[test]
    fn oversized_declared_length_is_rejected_before_buffering_the_payload() {
        let mut dec = FrameDecoder::new(100);
        let mut header = FRAME_MAGIC.to_vec();
        header.push(FRAME_VERSION);
        header.extend_from_slice(&(101u32).to_be_bytes());
        dec.push(&header);
        assert!(matches!(
            dec.next_frame::<Sample>(),
            Err(CodecError::Oversized {
                len_bytes: 101,
                max_bytes: 100
            })
        ));
        // The decoder stays failed.
        assert!(dec.next_frame::<Sample>().is_err());
    }

    #[test]
    fn encoding_a_value_larger_than_the_maximum_is_an_error() {
        let big = Sample::A {
            key: "k".into(),
            value: vec![7; 1000],
        };
        assert!(encode_frame(&big, 100).is_err());
    }

    #[test]
    fn wrong_magic_and_wrong_version_are_rejected() {
        let mut frame = encode_frame(&Sample::C, 100).unwrap();
        frame[0] = b'X';
        let mut dec = FrameDecoder::new(100);
        dec.push(&frame);
        assert!(matches!(
            dec.next_frame::<Sample>(),
            Err(CodecError::BadMagic { .. })
        ));

        let mut frame = encode_frame(&Sample::C, 100).unwrap();
        frame[2] = 9;
        let mut dec = FrameDecoder::new(100);
        dec.push(&frame);
        let err = dec.next_frame::<Sample>().unwrap_err();
        assert!(matches!(err, CodecError::UnsupportedVersion { found: 9 }));
        assert!(err.is_malformed());
    }

    #[test]
    fn random_bytes_never_panic_and_never_yield_frames_after_an_error() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..2000 {
            let len = rng.gen_range(0..64);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            // Half of the cases get a valid header so the payload decoder is exercised.
            if rng.gen_bool(0.5) && bytes.len() >= FRAME_HEADER_BYTES {
                bytes[..2].copy_from_slice(&FRAME_MAGIC);
                bytes[2] = FRAME_VERSION;
                let body = (bytes.len() - FRAME_HEADER_BYTES) as u32;
                bytes[3..7].copy_from_slice(&body.to_be_bytes());
            }
            let mut dec = FrameDecoder::new(1024);
            dec.push(&bytes);
            let mut failed = false;
            for _ in 0..4 {
                match dec.next_frame::<Sample>() {
                    Ok(Some(_)) => assert!(!failed),
                    Ok(None) => break,
                    Err(_) => failed = true,
                }
            }
        }
    }

    #[test]
    fn corrupted_valid_frames_decode_to_an_error_or_a_value_but_never_panic() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let frames: Vec<Vec<u8>> = samples()
            .iter()
            .map(|s| encode_frame(s, 1 << 16).unwrap())
            .collect();
        let mut errors = 0;
        for i in 0..3000 {
            let mut bytes = frames[i % frames.len()].clone();
            let flips = rng.gen_range(1..4);
            for _ in 0..flips {
                let at = rng.gen_range(0..bytes.len());
                bytes[at] ^= 1 << rng.gen_range(0..8);
            }
            if rng.gen_bool(0.3) {
                bytes.truncate(rng.gen_range(0..bytes.len()));
            }
            let mut dec = FrameDecoder::new(1 << 16);
            dec.push(&bytes);
            match dec.next_frame::<Sample>() {
                Ok(_) => {}
                Err(e) => {
                    assert!(e.is_malformed());
                    errors += 1;
                }
            }
        }
        assert!(errors > 0, "corruption was never detected");
    }

    #[tokio::test]
    async fn a_stream_ending_inside_a_frame_is_reported_as_truncated() {
        let frame = encode_frame(&Sample::B(3, None), 1024).unwrap();
        let mut reader: &[u8] = &frame[..frame.len() - 1];
        let mut dec = FrameDecoder::new(1024);
        let err = read_frame::<_, Sample>(&mut reader, &mut dec)
            .await
            .unwrap_err();
        assert!(matches!(err, CodecError::Truncated { .. }));

        let mut reader: &[u8] = &frame[..];
        let mut dec = FrameDecoder::new(1024);
        let got: Option<Sample> = read_frame(&mut reader, &mut dec).await.unwrap();
        assert_eq!(got, Some(Sample::B(3, None)));
        let end: Option<Sample> = read_frame(&mut reader, &mut dec).await.unwrap();
        assert_eq!(end, None);
    }
}
