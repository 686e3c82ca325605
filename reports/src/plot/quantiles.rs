//! `latency-quantiles.png`: p50 / p95 / p99 / max latency per time bucket,
//! one panel per quantile, one line per function.
//!
//! Every op with a completion time counts (ok, fail, and info ops whose
//! client gave up), bucketed by invocation time.

use plotters::prelude::*;

use super::common::{draw_fault_bands, encode_png, legend_entries, plot_err, rgb};
use super::frame::{secs, Buckets, Frame};
use super::latency_raw::{format_ms, log_range, LATENCY_MS_MIN};
use super::SIZE_TALL;
use crate::error::ReportError;
use crate::input::ReportInput;
use crate::style::Colours;

const NAME: &str = "latency-quantiles.png";

/// The quantiles plotted, with their panel titles.
pub const QUANTILES: [(f64, &str); 4] = [(0.5, "p50"), (0.95, "p95"), (0.99, "p99"), (1.0, "max")];

/// Nearest-rank quantile `q` of sorted, non-empty `values`.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// For each function: per bucket, the sorted latencies (ms) of its ops.
fn latencies_by_bucket(input: &ReportInput, colours: &Colours, b: &Buckets) -> Vec<Vec<Vec<f64>>> {
    colours
        .ops
        .iter()
        .map(|(f, _)| {
            let mut per = vec![Vec::new(); b.count];
            for op in input.operations.iter().filter(|o| &o.f == f) {
                if let Some(l) = op.latency_ns() {
                    per[b.index(secs(op.call_ns))].push((l as f64 / 1e6).max(LATENCY_MS_MIN));
                }
            }
            per.iter_mut().for_each(|v| v.sort_by(f64::total_cmp));
            per
        })
        .collect()
}

/// Renders the quantiles plot as PNG bytes.
pub fn render(input: &ReportInput, colours: &Colours) -> Result<Vec<u8>, ReportError> {
    let frame = Frame::of(input);
    let buckets = frame.buckets(60);
    let data = latencies_by_bucket(input, colours, &buckets);
    let (w, h) = SIZE_TALL;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err(NAME))?;
        let root = root
            .titled(
                &format!("Latency quantiles per {} s bucket", trim(buckets.width_s)),
                (crate::font::FAMILY, 20),
            )
            .map_err(plot_err(NAME))?;
        let panels = root.split_evenly((QUANTILES.len(), 1));
        for (panel_no, ((q, label), area)) in QUANTILES.iter().zip(panels.iter()).enumerate() {
            let lines: Vec<Vec<(f64, f64)>> = data
                .iter()
                .map(|per| {
                    per.iter()
                        .enumerate()
                        .filter(|(_, v)| !v.is_empty())
                        .map(|(i, v)| (buckets.mid_s(i), quantile(v, *q)))
                        .collect()
                })
                .collect();
            let (y_lo, y_hi) = log_range(lines.iter().flatten().map(|p| p.1));
            let mut chart = ChartBuilder::on(area)
                .margin(8)
                .x_label_area_size(if panel_no + 1 == QUANTILES.len() {
                    36
                } else {
                    20
                })
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
            let mut mesh = chart.configure_mesh();
            mesh.y_desc(format!("{label} (ms)"))
                .y_label_formatter(&|v| format_ms(*v))
                .y_labels(5)
                .light_line_style(WHITE.mix(0.0));
            if panel_no + 1 == QUANTILES.len() {
                mesh.x_desc("time (s)");
            }
            mesh.draw().map_err(plot_err(NAME))?;
            for ((_, c), line) in colours.ops.iter().zip(&lines) {
                let colour = rgb(*c);
                chart
                    .draw_series(LineSeries::new(
                        line.iter().copied(),
                        colour.stroke_width(2),
                    ))
                    .map_err(plot_err(NAME))?;
                chart
                    .draw_series(line.iter().map(|p| Circle::new(*p, 2, colour.filled())))
                    .map_err(plot_err(NAME))?;
            }
            if panel_no == 0 {
                legend_entries(&mut chart, colours, false, NAME)?;
            }
        }
        root.present().map_err(plot_err(NAME))?;
    }
    encode_png(NAME, &buf, (w, h))
}

/// A bucket width without trailing zeros.
pub fn trim(width_s: f64) -> String {
    let s = format!("{width_s:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn nearest_rank_quantiles_pick_recorded_values() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&[7.0], 0.95), 7.0);
    }
}
