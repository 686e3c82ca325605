//! `hunt.png`: a `faultline hunt` as a bar chart, one horizontal bar per
//! row (the control first, then each bug) showing the share of its seeds
//! that were invalid, with the share that was unknown stacked after it, and
//! each row's note (e.g. seeds to the first invalid run and the checker that
//! caught it) beside the plot.

use plotters::prelude::*;

use super::common::{encode_png, font_ready, plot_err, rgb};
use crate::error::ReportError;
use crate::style::outcome_colour;
use faultline_checker::history::Outcome;

const NAME: &str = "hunt.png";

/// Pixel width of the chart.
pub const DETECTION_WIDTH: u32 = 1200;
/// Pixel height of the chart's title, axis and margins.
const FRAME_HEIGHT: u32 = 110;
/// Pixel height of one bar's row.
const ROW_HEIGHT: u32 = 28;
/// Pixels to the right of the plot kept for the notes.
const NOTES_WIDTH: u32 = 420;

/// One bar: a row of the hunt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectionBar {
    /// The row's name (`none` for the control, else the bug).
    pub label: String,
    /// Seeds run.
    pub seeds: u64,
    /// Seeds whose run was invalid.
    pub invalid: u64,
    /// Seeds whose run was unknown.
    pub unknown: u64,
    /// Printed beside the bar (may be empty).
    pub note: String,
}

/// The chart's pixel size for `rows` bars.
pub fn detection_size(rows: usize) -> (u32, u32) {
    (
        DETECTION_WIDTH,
        FRAME_HEIGHT + ROW_HEIGHT * rows.max(1) as u32,
    )
}

/// Renders the bars (top to bottom in the given order) as PNG bytes, of
/// [`detection_size`]`(bars.len())`.
pub fn render_detection(title: &str, bars: &[DetectionBar]) -> Result<Vec<u8>, ReportError> {
    font_ready()?;
    let (w, h) = detection_size(bars.len());
    let rows = bars.len().max(1) as u32;
    // plotters' segments of `0..n` are the n + 1 values `0..=n`.

    // Bar i is drawn in the segment rows-1-i, so the first bar is on top.
    let label_of = |v: &SegmentValue<u32>| match v {
        SegmentValue::CenterOf(y) | SegmentValue::Exact(y) => (rows - 1)
            .checked_sub(*y)
            .and_then(|i| bars.get(i as usize))
            .map_or(String::new(), |b| b.label.clone()),
        SegmentValue::Last => String::new(),
    };
    let share = |n: u64, b: &DetectionBar| n as f64 / b.seeds.max(1) as f64;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err(NAME))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (crate::font::FAMILY, 20))
            .margin(12)
            .margin_right(NOTES_WIDTH)
            .x_label_area_size(36)
            .y_label_area_size(280)
            .build_cartesian_2d(0.0..1.0, (0u32..rows - 1).into_segmented())
            .map_err(plot_err(NAME))?;
        chart
            .configure_mesh()
            .x_desc("seeds invalid (unknown stacked after)")
            .x_label_formatter(&|x| format!("{:.0}%", x * 100.0))
            .y_labels(rows as usize)
            .y_label_formatter(&label_of)
            .disable_y_mesh()
            .light_line_style(WHITE.mix(0.0))
            .label_style((crate::font::FAMILY, 14))
            .draw()
            .map_err(plot_err(NAME))?;
        let (invalid, unknown) = (
            rgb(outcome_colour(Outcome::Fail)),
            rgb(outcome_colour(Outcome::Info)),
        );
        let note_style = TextStyle::from((crate::font::FAMILY, 14).into_font()).color(&BLACK);
        for (i, b) in bars.iter().enumerate() {
            let y = rows - 1 - i as u32;
            let (lo, hi) = (SegmentValue::Exact(y), SegmentValue::Exact(y + 1));
            let x_invalid = share(b.invalid, b);
            let x_unknown = (x_invalid + share(b.unknown, b)).min(1.0);
            let segments = [(0.0, x_invalid, invalid), (x_invalid, x_unknown, unknown)];
            chart
                .draw_series(segments.iter().filter(|s| s.1 > s.0).map(|&(a, z, c)| {
                    let mut r = Rectangle::new([(a, lo.clone()), (z, hi.clone())], c.filled());
                    r.set_margin(4, 4, 0, 0);
                    r
                }))
                .map_err(plot_err(NAME))?;
            let (_, y_px) = chart.backend_coord(&(0.0, SegmentValue::CenterOf(y)));
            let (x_px, _) = chart.backend_coord(&(1.0, SegmentValue::CenterOf(y)));
            let note = clip(&format!("{}/{}  {}", b.invalid, b.seeds, b.note));
            root.draw(&Text::new(note, (x_px + 12, y_px - 8), note_style.clone()))
                .map_err(plot_err(NAME))?;
        }
        root.present().map_err(plot_err(NAME))?;
    }
    encode_png(NAME, &buf, (w, h))
}

/// The most characters of a note that fit beside the bars (the JSON and
/// the table keep the whole text).
const NOTE_CHARS_MAX: usize = 62;

/// `note`, cut to [`NOTE_CHARS_MAX`] characters with an ellipsis.
fn clip(note: &str) -> String {
    if note.chars().count() <= NOTE_CHARS_MAX {
        return note.to_string();
    }
    let kept: String = note.chars().take(NOTE_CHARS_MAX - 1).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(png_bytes);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn bar(label: &str, invalid: u64, unknown: u64) -> DetectionBar {
        DetectionBar {
            label: label.to_string(),
            seeds: 20,
            invalid,
            unknown,
            note: format!("caught by raft invariants {invalid}"),
        }
    }

    #[test]
    fn long_notes_are_clipped_to_fit_beside_the_bars() {
        assert_eq!(clip("4/20  short"), "4/20  short");
        let long = "x".repeat(100);
        let cut = clip(&long);
        assert_eq!(cut.chars().count(), NOTE_CHARS_MAX);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn the_chart_has_one_row_per_bar_and_draws_invalid_and_unknown_shares() {
        let bars = [
            bar("none", 0, 0),
            bar("vote-not-durable", 20, 0),
            bar("ack-before-durable", 9, 3),
        ];
        let png_bytes = render_detection("hunt: 20 seeds", &bars).unwrap();
        let (w, h, pixels) = decode(&png_bytes);
        assert_eq!((w, h), detection_size(3));
        assert_eq!(detection_size(3), (1200, 110 + 3 * 28));
        let count = |c: crate::style::Rgb| {
            pixels
                .chunks(3)
                .filter(|p| (p[0], p[1], p[2]) == (c.0, c.1, c.2))
                .count()
        };
        let red = count(outcome_colour(Outcome::Fail));
        let orange = count(outcome_colour(Outcome::Info));
        // 29 of 60 seed-widths are invalid, 3 unknown: red dominates.
        assert!(red > 5 * orange && orange > 0, "red {red}, orange {orange}");
        let empty = render_detection("nothing", &[]).unwrap();
        assert_eq!(decode(&empty).0, DETECTION_WIDTH);
        let one = render_detection("one", &bars[1..2]).unwrap();
        assert_eq!(decode(&one).1, detection_size(1).1);
    }
}
