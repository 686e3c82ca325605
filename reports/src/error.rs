//! The one error type of the reports crate.

use std::path::PathBuf;

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The plotting library failed while drawing a chart.
    #[error("plot {name}: {detail}")]
    Plot {
        /// Which plot (e.g. `latency-raw.png`).
        name: String,
        /// The plotting backend's message.
        detail: String,
    },
    /// Encoding a PNG image failed.
    #[error("encoding {name}: {detail}")]
    Encode {
        /// Which image.
        name: String,
        /// The encoder's message.
        detail: String,
    },
}

impl ReportError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.into(),
            source,
        }
    }
}
