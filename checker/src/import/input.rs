//! Reading an input with bounds: at most a number of bytes, and never
//! waiting forever for the next byte (a FIFO with no writer, a stalled
//! pipe). `-` names standard input.
//!
//! A regular file is read directly (its size is known in advance). Anything
//! else (standard input, a FIFO, a device such as `/dev/zero`) is opened and
//! read on a helper thread that hands chunks over a bounded channel; when no
//! chunk arrives within the idle limit the read fails. The helper may stay
//! blocked in the operating system after that (a FIFO's open blocks until a
//! writer appears); it holds nothing but the file and ends with the process.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use crate::error::{HistoryError, Location};

/// The name that reads standard input.
pub const STDIN: &str = "-";

/// Bounds on reading one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLimits {
    /// The most bytes read; a larger input is refused.
    pub max_bytes: u64,
    /// The longest wait for the next chunk of a pipe, FIFO or device.
    pub idle_timeout: Duration,
}

impl Default for InputLimits {
    /// 1 GiB and 10 seconds.
    fn default() -> Self {
        InputLimits {
            max_bytes: 1 << 30,
            idle_timeout: Duration::from_secs(10),
        }
    }
}

const CHUNK_BYTES: usize = 1 << 16;

fn io_error(source: &str, error: std::io::Error) -> HistoryError {
    HistoryError::Io {
        source_name: source.to_owned(),
        error,
    }
}

fn too_large(source: &str, limits: &InputLimits) -> HistoryError {
    HistoryError::parse(
        Location::whole(Some(source)),
        "input",
        format!(
            "larger than the limit of {} bytes (raise it with --max-input-bytes)",
            limits.max_bytes
        ),
    )
}

/// Reads all of `path` (standard input for `-`) within `limits`.
pub fn read_bounded(path: &Path, limits: &InputLimits) -> Result<Vec<u8>, HistoryError> {
    let source = path.display().to_string();
    if path.as_os_str() == STDIN {
        return read_streamed(None, &source, limits);
    }
    let metadata = std::fs::metadata(path).map_err(|e| io_error(&source, e))?;
    if metadata.is_dir() {
        return Err(io_error(
            &source,
            std::io::Error::other("is a directory, not a history file"),
        ));
    }
    if !metadata.is_file() {
        return read_streamed(Some(path), &source, limits);
    }
    if metadata.len() > limits.max_bytes {
        return Err(too_large(&source, limits));
    }
    let file = File::open(path).map_err(|e| io_error(&source, e))?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    // The file may grow while it is read: never take more than the limit.
    file.take(limits.max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&source, e))?;
    if bytes.len() as u64 > limits.max_bytes {
        return Err(too_large(&source, limits));
    }
    Ok(bytes)
}

/// Reads standard input (`path` `None`) or a non-regular file on a helper
/// thread, chunk by chunk, within `limits`.
fn read_streamed(
    path: Option<&Path>,
    source: &str,
    limits: &InputLimits,
) -> Result<Vec<u8>, HistoryError> {
    let (sender, receiver) = mpsc::sync_channel::<std::io::Result<Vec<u8>>>(4);
    let path = path.map(Path::to_path_buf);
    std::thread::spawn(move || {
        let mut input: Box<dyn Read> = match &path {
            None => Box::new(std::io::stdin()),
            Some(path) => match File::open(path) {
                Ok(file) => Box::new(file),
                Err(error) => {
                    let _ = sender.send(Err(error));
                    return;
                }
            },
        };
        loop {
            let mut chunk = vec![0; CHUNK_BYTES];
            match input.read(&mut chunk) {
                Ok(0) => {
                    let _ = sender.send(Ok(Vec::new()));
                    return;
                }
                Ok(n) => {
                    chunk.truncate(n);
                    if sender.send(Ok(chunk)).is_err() {
                        return;
                    }
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => {
                    let _ = sender.send(Err(error));
                    return;
                }
            }
        }
    });
    let mut bytes = Vec::new();
    loop {
        let chunk = match receiver.recv_timeout(limits.idle_timeout) {
            Ok(chunk) => chunk.map_err(|e| io_error(source, e))?,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(HistoryError::parse(
                    Location::whole(Some(source)),
                    "input",
                    format!(
                        "no data for {:.1} s (a FIFO or pipe with no writer?); raise the wait with --input-timeout",
                        limits.idle_timeout.as_secs_f64()
                    ),
                ))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(io_error(
                    source,
                    std::io::Error::other("the reader stopped unexpectedly"),
                ))
            }
        };
        if chunk.is_empty() {
            return Ok(bytes);
        }
        if (bytes.len() + chunk.len()) as u64 > limits.max_bytes {
            return Err(too_large(source, limits));
        }
        bytes.extend_from_slice(&chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_device_stops_at_the_byte_limit() {
        let limits = InputLimits {
            max_bytes: 1 << 20,
            idle_timeout: Duration::from_secs(5),
        };
        let path = Path::new("/dev/zero");
        if !path.exists() {
            return;
        }
        let err = read_bounded(path, &limits).unwrap_err();
        assert!(err.to_string().contains("larger than the limit"), "{err}");
    }
}
