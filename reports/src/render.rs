//! The entry points that write files: a run's report and plots.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::ReportError;
use std::borrow::Cow;

use crate::html::{render_page, Images, PageExtras};
use crate::input::ReportInput;
use crate::plot::render_plots;
use crate::style::Colours;

/// The report's file name inside a run directory.
pub const REPORT_HTML: &str = "report.html";

/// Writes `report.html`, `latency-raw.png`, `latency-quantiles.png` and
/// `rate.png` into the run directory `dir` (created if missing). The page
/// refers to the plots by relative name. Returns the page's path.
pub fn render_run(dir: &Path, input: &ReportInput) -> Result<PathBuf, ReportError> {
    fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
    let (input, extras) = rebased(input);
    let colours = Colours::for_input(&input);
    let plots = render_plots(&input, &colours)?;
    for (name, bytes) in plots.files() {
        write_atomically(&dir.join(name), bytes)?;
    }
    let page = render_page(&input, &colours, Images::Linked, &extras);
    let path = dir.join(REPORT_HTML);
    write_atomically(&path, page.as_bytes())?;
    Ok(path)
}

/// Writes one self-contained HTML file at `path` with the plots embedded as
/// `data:` URIs (for `faultline check --html OUT.html` on a foreign history).
pub fn render_standalone(path: &Path, input: &ReportInput) -> Result<(), ReportError> {
    let (input, extras) = rebased(input);
    let colours = Colours::for_input(&input);
    let plots = render_plots(&input, &colours)?;
    let page = render_page(&input, &colours, Images::Embedded(&plots), &extras);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| ReportError::io(parent, e))?;
    }
    write_atomically(path, page.as_bytes())
}

/// Histories stamped with wall-clock nanoseconds (a foreign history) would
/// lose precision in the page's JavaScript numbers and make unreadable axis
/// labels; times at or above this are shown relative to a base instead.
pub const ABSOLUTE_TIME_NS_MIN: u64 = 1_000_000_000_000_000;

/// The input with times made relative to the first second of the history,
/// when its timestamps look absolute (see [`ABSOLUTE_TIME_NS_MIN`]).
fn rebased(input: &ReportInput) -> (Cow<'_, ReportInput>, PageExtras) {
    let first = input
        .operations
        .iter()
        .map(|o| o.call_ns)
        .chain(input.faults.iter().map(|f| f.start_ns))
        .min()
        .unwrap_or(0);
    if first < ABSOLUTE_TIME_NS_MIN {
        return (Cow::Borrowed(input), PageExtras::default());
    }
    let base = first - first % 1_000_000_000;
    let mut shifted = input.clone();
    for op in &mut shifted.operations {
        op.call_ns = op.call_ns.saturating_sub(base);
        op.return_ns = op.return_ns.map(|r| r.saturating_sub(base));
    }
    for f in &mut shifted.faults {
        f.start_ns = f.start_ns.saturating_sub(base);
        f.end_ns = f.end_ns.map(|e| e.saturating_sub(base));
    }
    let extras = PageExtras { time_base_ns: base };
    (Cow::Owned(shifted), extras)
}

/// Writes via a temporary file and a rename, so a reader never sees half a
/// page.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    // Per process: runs of a suite write the same index side by side.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes).map_err(|e| ReportError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| ReportError::io(path, e))
}
