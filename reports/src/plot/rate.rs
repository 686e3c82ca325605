//! `rate.png`: completed operations per second over time, one line per
//! function and outcome (colour per function, marker per outcome).

use plotters::prelude::*;

use super::common::{draw_fault_bands, encode_png, legend_entries, marker, plot_err, rgb};
use super::frame::{secs, Frame};
use super::quantiles::trim;
use super::SIZE_WIDE;
use crate::error::ReportError;
use crate::input::ReportInput;
use crate::style::Colours;
use faultline_checker::history::Outcome;

const NAME: &str = "rate.png";

/// One plotted line: outcome, function index, (time, ops/s) points.
type Line = (Outcome, usize, Vec<(f64, f64)>);

/// Renders the throughput plot as PNG bytes. Ops are counted in the bucket
/// of their completion time (ops that never completed are not counted).
pub fn render(input: &ReportInput, colours: &Colours) -> Result<Vec<u8>, ReportError> {
    let frame = Frame::of(input);
    let buckets = frame.buckets(60);
    let mut lines: Vec<Line> = Vec::new();
    for outcome in Outcome::ALL {
        for (fi, (f, _)) in colours.ops.iter().enumerate() {
            let mut counts = vec![0u64; buckets.count];
            let mut any = false;
            for op in input
                .operations
                .iter()
                .filter(|o| o.outcome == outcome && &o.f == f)
            {
                if let Some(r) = op.return_ns {
                    counts[buckets.index(secs(r))] += 1;
                    any = true;
                }
            }
            if any {
                let points = counts
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (buckets.mid_s(i), *n as f64 / buckets.width_s))
                    .collect();
                lines.push((outcome, fi, points));
            }
        }
    }
    let y_hi = lines
        .iter()
        .flat_map(|l| l.2.iter().map(|p| p.1))
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.15;
    let (w, h) = SIZE_WIDE;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err(NAME))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "Throughput (completions per second, {} s buckets)",
                    trim(buckets.width_s)
                ),
                (crate::font::FAMILY, 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(frame.start_s..frame.end_s, 0.0..y_hi)
            .map_err(plot_err(NAME))?;
        draw_fault_bands(&mut chart, &input.faults, colours, frame, (0.0, y_hi), NAME)?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc("ops/s")
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(plot_err(NAME))?;
        for (outcome, fi, points) in &lines {
            let colour = rgb(colours.ops[*fi].1);
            let width = if *outcome == Outcome::Ok { 2 } else { 1 };
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(width),
                ))
                .map_err(plot_err(NAME))?;
            chart
                .draw_series(
                    points
                        .iter()
                        .filter(|p| p.1 > 0.0)
                        .map(|p| marker(*p, *outcome, colour)),
                )
                .map_err(plot_err(NAME))?;
        }
        legend_entries(&mut chart, colours, true, NAME)?;
        root.present().map_err(plot_err(NAME))?;
    }
    encode_png(NAME, &buf, (w, h))
}
