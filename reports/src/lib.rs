//! # faultline-reports
//!
//! Turns what the checkers decided about a run into pages and pictures:
//! `report.html` (summary, plots, an interactive timeline, the explanation of
//! a linearizability failure), `latency-raw.png`, `latency-quantiles.png`,
//! `rate.png`, and the store's `index.html`. It renders; it never decides.
//!
//! ```no_run
//! # fn main() -> Result<(), faultline_reports::ReportError> {
//! use std::path::Path;
//! let run = Path::new("store/kv/20261123T104100-s42");
//! let input = faultline_reports::load_run(run)?;      // results.json + history + config
//! faultline_reports::render_run(run, &input)?;        // report.html + 3 PNGs
//! faultline_reports::render_index(Path::new("store"))?; // store/index.html
//! # Ok(()) }
//! ```

pub mod error;
pub mod font;
pub mod from_history;
pub mod html;
pub mod index;
pub mod input;
pub mod load;
pub mod plot;
pub mod render;
pub mod style;

pub use error::ReportError;
pub use from_history::{faults_from_history, operations_from_history};
pub use index::render_index;
pub use input::{
    CheckerView, FailureView, FaultPeriod, OpOutcome, OpView, PrefixStep, ReportInput, Verdict,
};
pub use load::load_run;
pub use render::{render_run, render_standalone, REPORT_HTML};
