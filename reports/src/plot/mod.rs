//! The three PNG plots of a run, drawn with plotters' bitmap backend and
//! encoded in memory (so they can be written next to the page or embedded),
//! the bar chart of a `faultline hunt` ([`detection`]) and the cost curve of
//! `faultline bench curve` ([`cost_curve`]).

mod common;
pub mod cost_curve;
pub mod detection;
pub mod frame;
pub mod latency_raw;
pub mod quantiles;
pub mod rate;

use crate::error::ReportError;
use crate::input::ReportInput;
use crate::style::Colours;

/// Pixel size of the wide single-chart plots.
pub const SIZE_WIDE: (u32, u32) = (1200, 520);
/// Pixel size of the four-panel quantiles plot.
pub const SIZE_TALL: (u32, u32) = (1200, 980);

/// File names of the plots, as written into a run directory.
pub const LATENCY_RAW_PNG: &str = "latency-raw.png";
/// See [`LATENCY_RAW_PNG`].
pub const LATENCY_QUANTILES_PNG: &str = "latency-quantiles.png";
/// See [`LATENCY_RAW_PNG`].
pub const RATE_PNG: &str = "rate.png";

/// The encoded plots of one run.
#[derive(Debug, Clone)]
pub struct Plots {
    /// `latency-raw.png`.
    pub latency_raw: Vec<u8>,
    /// `latency-quantiles.png`.
    pub latency_quantiles: Vec<u8>,
    /// `rate.png`.
    pub rate: Vec<u8>,
}

impl Plots {
    /// The plots with their file names, in page order.
    pub fn files(&self) -> [(&'static str, &[u8]); 3] {
        [
            (LATENCY_RAW_PNG, &self.latency_raw),
            (LATENCY_QUANTILES_PNG, &self.latency_quantiles),
            (RATE_PNG, &self.rate),
        ]
    }
}

/// Renders all three plots of `input`.
pub fn render_plots(input: &ReportInput, colours: &Colours) -> Result<Plots, ReportError> {
    common::font_ready()?;
    Ok(Plots {
        latency_raw: latency_raw::render(input, colours)?,
        latency_quantiles: quantiles::render(input, colours)?,
        rate: rate::render(input, colours)?,
    })
}
