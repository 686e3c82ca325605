//! `latency-raw.png`: every operation's latency against its invocation time,
//! colour per function, marker per outcome, log-scale latency axis.

use plotters::prelude::*;

use super::common::{draw_fault_bands, encode_png, legend_entries, marker, plot_err, rgb};
use super::frame::{secs, Frame};
use super::SIZE_WIDE;
use crate::error::ReportError;
use crate::input::ReportInput;
use crate::style::Colours;
use faultline_checker::history::Outcome;

const NAME: &str = "latency-raw.png";

/// The smallest latency plotted, milliseconds (a log axis cannot show 0).
pub const LATENCY_MS_MIN: f64 = 0.001;

/// Renders the raw latency plot as PNG bytes.
pub fn render(input: &ReportInput, colours: &Colours) -> Result<Vec<u8>, ReportError> {
    let frame = Frame::of(input);
    let points: Vec<(f64, f64, Outcome, &str)> = input
        .operations
        .iter()
        .filter_map(|op| {
            let latency_ms = op.latency_ns()? as f64 / 1e6;
            Some((
                secs(op.call_ns),
                latency_ms.max(LATENCY_MS_MIN),
                op.outcome,
                op.f.as_str(),
            ))
        })
        .collect();
    let (y_lo, y_hi) = log_range(points.iter().map(|p| p.1));
    let (w, h) = SIZE_WIDE;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err(NAME))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Latency of every operation ({} ops)", points.len()),
                (crate::font::FAMILY, 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(frame.start_s..frame.end_s, (y_lo..y_hi).log_scale())
            .map_err(plot_err(NAME))?;
        draw_fault_bands(
            &mut chart,
            &input.faults,
            colours,
            frame,
            (y_lo, y_hi),
            NAME,
        )?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc("latency (ms, log)")
            .y_label_formatter(&|v| format_ms(*v))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(plot_err(NAME))?;
        for outcome in Outcome::ALL {
            for (f, c) in &colours.ops {
                let colour = rgb(*c);
                let series = points
                    .iter()
                    .filter(|p| p.2 == outcome && p.3 == f)
                    .map(|p| marker((p.0, p.1), outcome, colour));
                chart.draw_series(series).map_err(plot_err(NAME))?;
            }
        }
        if points.is_empty() {
            let style = TextStyle::from((crate::font::FAMILY, 18).into_font()).color(&BLACK);
            let mid = (frame.start_s + frame.width_s() / 3.0, (y_lo * y_hi).sqrt());
            chart
                .draw_series(std::iter::once(Text::new(
                    "no completed operations",
                    mid,
                    style,
                )))
                .map_err(plot_err(NAME))?;
        }
        legend_entries(&mut chart, colours, true, NAME)?;
        root.present().map_err(plot_err(NAME))?;
    }
    encode_png(NAME, &buf, (w, h))
}

/// A log-axis range covering `values` with some margin, never degenerate.
pub fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return (0.1, 1000.0);
    }
    let lo = (lo / 2.0).max(LATENCY_MS_MIN / 2.0);
    let hi = (hi * 3.0).max(lo * 100.0);
    (lo, hi)
}

/// Milliseconds for an axis label: `0.01`, `5`, `250`, `12k`.
pub fn format_ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v >= 1.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').to_string()
    }
}
