//! The entry points that write files: a run's report and plots.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::ReportError;
use crate::html::{render_page, Images};
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
    let colours = Colours::for_input(input);
    let plots = render_plots(input, &colours)?;
    for (name, bytes) in plots.files() {
        write_atomically(&dir.join(name), bytes)?;
    }
    let page = render_page(input, &colours, Images::Linked);
    let path = dir.join(REPORT_HTML);
    write_atomically(&path, page.as_bytes())?;
    Ok(path)
}

/// Writes one self-contained HTML file at `path` with the plots embedded as
/// `data:` URIs (for `faultline check --html OUT.html` on a foreign history).
pub fn render_standalone(path: &Path, input: &ReportInput) -> Result<(), ReportError> {
    let colours = Colours::for_input(input);
    let plots = render_plots(input, &colours)?;
    let page = render_page(input, &colours, Images::Embedded(&plots));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| ReportError::io(parent, e))?;
    }
    write_atomically(path, page.as_bytes())
}

/// Writes via a temporary file and a rename, so a reader never sees half a
/// page.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes).map_err(|e| ReportError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| ReportError::io(path, e))
}
