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
//! use faultline_checker::{history::History, RunResults};
//! use faultline_reports::ReportInput;
//! # let (results, history) = (RunResults::default(), History::default());
//! let input = ReportInput::new(results, &history);   // results + the history's ops and faults
//! let run = Path::new("store/kv/20261123T104100Z-s42");
//! faultline_reports::render_run(run, &input)?;       // report.html + 3 PNGs
//! # Ok(()) }
//! ```
//!
//! * [`render_run`] writes `report.html` and the three PNGs into a run
//!   directory; the page links the PNGs by relative name.
//! * [`render_standalone`] writes one HTML file with the PNGs embedded as
//!   `data:` URIs (for `faultline check --html OUT.html`).
//! * [`render_index`] writes `store/index.html` from the runs the store
//!   lists ([`index::RunEntry`]).
//! * [`junit::render`] writes JUnit XML and [`suite_page::render_suite_page`]
//!   the page of a whole suite (seeds × verdict, failures grouped), from
//!   plain models the caller fills in.
//! * [`sequence_chart::render`] draws a model checker's counterexample
//!   as a message-sequence chart (from a plain [`sequence_chart::SequenceChart`]).
//! * [`ReportInput`] is what a page shows: the checker's
//!   [`faultline_checker::RunResults`] (the `results.json` model) plus the
//!   operations and fault periods ([`operations_from_history`],
//!   [`faults_from_history`]) the timeline and plots draw, and, for an
//!   invalid run, the [`Story`] before its first violation (worked out by
//!   the caller). Findings show in the groups of the results model
//!   ([`faultline_checker::FindingGroup`]); nothing here groups or judges.
//!
//! The page needs no network: CSS and JavaScript are inline, the timeline's
//! data is embedded as JSON, and the plots' text uses an embedded font.
//! The timeline is a canvas (one lane per process, only visible lanes are
//! drawn), tested with 100,000 operations. `tests/browser.rs` loads pages in
//! headless Chromium (Debian package `chromium`) and reads the result from
//! attributes the page sets: `data-op-bars` on `#timeline` (and, in
//! self-test mode, `data-selftest-groups`: grouped findings expanded), and
//! `data-console-error-count` / `data-console-errors` on `<html>`.

pub mod error;
pub mod font;
pub mod from_history;
pub mod html;
pub mod index;
pub mod input;
pub mod junit;
pub mod plot;
pub mod render;
pub mod sequence_chart;
pub mod style;
pub mod suite_page;

pub use error::ReportError;
pub use from_history::{faults_from_history, operations_from_history};
pub use index::render_index;
pub use input::{FaultPeriod, LogLine, OpView, ReportInput, Story, StoryBefore, StoryEvent};
pub use render::{render_run, render_standalone, REPORT_HTML};
