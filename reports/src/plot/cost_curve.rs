//! `cost-curve.png`: how one run's wall time and peak memory grow with one
//! knob at a time (the panels of `faultline bench curve`), wall seconds on
//! the left axis, peak resident MiB on the right one.

use plotters::prelude::*;

use super::common::{encode_png, plot_err};
use crate::error::ReportError;

const NAME: &str = "cost-curve.png";

/// Pixel size of the four-panel cost curve.
pub const SIZE_CURVE: (u32, u32) = (1200, 900);

/// One measured run: the knob's value, its wall time and peak memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    /// The knob's value (nodes, ops/s, workers, simulated seconds).
    pub x: f64,
    /// Wall seconds of the whole run (one process).
    pub wall_s: f64,
    /// Peak resident memory of that process, MiB.
    pub peak_mib: f64,
}

/// One panel: one knob varied, every other at its default.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePanel {
    /// What the x axis is, with its unit (`nodes`, `client ops/s`, ...).
    pub knob: String,
    /// The points, ascending in `x`.
    pub points: Vec<CurvePoint>,
}

/// The upper end of an axis holding `values`: 15 % headroom, never 0.
fn top(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0f64, f64::max).max(1e-3) * 1.15
}

/// Renders the panels (up to four, two by two) as PNG bytes.
pub fn render_cost_curve(panels: &[CurvePanel]) -> Result<Vec<u8>, ReportError> {
    super::common::font_ready()?;
    let (w, h) = SIZE_CURVE;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err(NAME))?;
        let areas = root.split_evenly((2, 2));
        for (panel, area) in panels.iter().zip(areas.iter()) {
            draw_panel(area, panel)?;
        }
        root.present().map_err(plot_err(NAME))?;
    }
    encode_png(NAME, &buf, (w, h))
}

fn draw_panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    panel: &CurvePanel,
) -> Result<(), ReportError> {
    let x_lo = panel.points.iter().map(|p| p.x).fold(f64::MAX, f64::min);
    let x_hi = panel.points.iter().map(|p| p.x).fold(0.0f64, f64::max);
    let (x_lo, x_hi) = if x_lo < x_hi {
        (x_lo, x_hi)
    } else {
        (0.0, x_hi.max(1.0))
    };
    let pad = (x_hi - x_lo) * 0.05;
    let wall_hi = top(panel.points.iter().map(|p| p.wall_s));
    let mib_hi = top(panel.points.iter().map(|p| p.peak_mib));
    let wall = RGBColor(31, 119, 180);
    let memory = RGBColor(214, 39, 40);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("wall time and peak memory vs {}", panel.knob),
            (crate::font::FAMILY, 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .right_y_label_area_size(60)
        .build_cartesian_2d(x_lo - pad..x_hi + pad, 0.0..wall_hi)
        .map_err(plot_err(NAME))?
        .set_secondary_coord(x_lo - pad..x_hi + pad, 0.0..mib_hi);
    chart
        .configure_mesh()
        .x_desc(panel.knob.as_str())
        .y_desc("wall s")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_err(NAME))?;
    chart
        .configure_secondary_axes()
        .y_desc("peak MiB")
        .draw()
        .map_err(plot_err(NAME))?;
    let walls: Vec<(f64, f64)> = panel.points.iter().map(|p| (p.x, p.wall_s)).collect();
    let mibs: Vec<(f64, f64)> = panel.points.iter().map(|p| (p.x, p.peak_mib)).collect();
    chart
        .draw_series(LineSeries::new(walls.iter().copied(), wall.stroke_width(2)))
        .map_err(plot_err(NAME))?
        .label("wall s")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], wall.stroke_width(2)));
    chart
        .draw_series(walls.iter().map(|&p| Circle::new(p, 4, wall.filled())))
        .map_err(plot_err(NAME))?;
    chart
        .draw_secondary_series(LineSeries::new(
            mibs.iter().copied(),
            memory.stroke_width(2),
        ))
        .map_err(plot_err(NAME))?
        .label("peak MiB")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], memory.stroke_width(2)));
    chart
        .draw_secondary_series(
            mibs.iter()
                .map(|&p| TriangleMarker::new(p, 5, memory.filled())),
        )
        .map_err(plot_err(NAME))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((crate::font::FAMILY, 14))
        .draw()
        .map_err(plot_err(NAME))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_panels_render_as_one_png_of_the_curve_size() {
        let panel = |knob: &str, xs: &[f64]| CurvePanel {
            knob: knob.to_string(),
            points: xs
                .iter()
                .map(|&x| CurvePoint {
                    x,
                    wall_s: x / 10.0,
                    peak_mib: 20.0 + x,
                })
                .collect(),
        };
        let panels = [
            panel("nodes", &[3.0, 5.0, 7.0, 9.0]),
            panel("client ops/s", &[20.0, 200.0, 1000.0]),
            panel("workers", &[5.0, 20.0, 100.0]),
            panel("one point", &[60.0]),
        ];
        let png_bytes = render_cost_curve(&panels).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), SIZE_CURVE);
    }
}
