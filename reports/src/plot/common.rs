//! Pieces every plot shares: canvas set-up, fault bands, legends, PNG encoding.

use std::fmt::Display;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::frame::{secs, Frame};
use crate::error::ReportError;
use crate::input::FaultPeriod;
use crate::style::{Colours, Rgb};
use faultline_checker::history::Outcome;

/// A plotters colour from ours.
pub fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Makes sure the embedded font is registered: without it no text draws.
pub fn font_ready() -> Result<(), ReportError> {
    if crate::font::ensure_registered() {
        return Ok(());
    }
    Err(ReportError::Plot {
        name: "font".to_string(),
        detail: "the embedded DejaVu Sans font was rejected".to_string(),
    })
}

/// Maps any plotters error to a [`ReportError::Plot`] for plot `name`.
pub fn plot_err<E: Display>(name: &'static str) -> impl Fn(E) -> ReportError {
    move |e| ReportError::Plot {
        name: name.to_string(),
        detail: e.to_string(),
    }
}

/// Draws each fault period as a translucent band from `y_lo` to `y_hi`,
/// labelled with its kind at the top when there is room.
pub fn draw_fault_bands<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    faults: &[FaultPeriod],
    colours: &Colours,
    frame: Frame,
    (y_lo, y_hi): (f64, f64),
    name: &'static str,
) -> Result<(), ReportError>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let mut last_label_px: Vec<(String, i32)> = Vec::new();
    for fault in faults {
        let x0 = secs(fault.start_ns).max(frame.start_s);
        let x1 = fault
            .end_ns
            .map(secs)
            .unwrap_or(frame.end_s)
            .min(frame.end_s);
        let colour = rgb(colours.fault(&fault.kind));
        // Instantaneous faults get a visible sliver: 0.3% of the frame.
        let x1 = x1.max(x0 + frame.width_s() * 0.003);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, y_lo), (x1, y_hi)],
                colour.mix(0.45).filled(),
            )))
            .map_err(plot_err(name))?;
        let (px, _) = chart.backend_coord(&(x0, y_hi));
        let crowded = last_label_px
            .iter()
            .any(|(k, p)| k == &fault.kind && px - p < 90);
        if !crowded {
            last_label_px.retain(|(k, _)| k != &fault.kind);
            last_label_px.push((fault.kind.clone(), px));
            let label_colour = rgb(darken(colours.fault(&fault.kind)));
            let style = TextStyle::from((crate::font::FAMILY, 13).into_font()).color(&label_colour);
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((x0, y_hi)) + Text::new(fault.kind.clone(), (3, 2), style),
                ))
                .map_err(plot_err(name))?;
        }
    }
    Ok(())
}

/// A darker shade of a band colour, for its label.
fn darken(c: Rgb) -> Rgb {
    Rgb(c.0 / 2, c.1 / 2, c.2 / 2)
}

/// Adds legend entries: one per function (its colour), one per outcome (its
/// marker, when `with_outcomes`), one per fault kind (its band colour).
pub fn legend_entries<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    colours: &Colours,
    with_outcomes: bool,
    name: &'static str,
) -> Result<(), ReportError>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    for (f, c) in &colours.ops {
        let c = rgb(*c);
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(plot_err(name))?
            .label(f.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 14, y + 4)], c.filled()));
    }
    if with_outcomes {
        for outcome in Outcome::ALL {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(plot_err(name))?
                .label(outcome.as_str())
                .legend(move |(x, y)| marker((x + 7, y), outcome, BLACK));
        }
    }
    for (kind, c) in &colours.faults {
        let c = rgb(*c);
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(plot_err(name))?
            .label(format!("fault: {kind}"))
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.mix(0.6).filled())
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((crate::font::FAMILY, 13))
        .draw()
        .map_err(plot_err(name))
}

/// The marker for an outcome at a pixel or data position: a filled circle
/// for ok, a cross for fail, a hollow triangle for info.
pub fn marker<DB, C>(at: C, outcome: Outcome, colour: RGBColor) -> DynElement<'static, DB, C>
where
    DB: DrawingBackend,
    C: Clone + 'static,
{
    let style = colour;
    match outcome {
        Outcome::Ok => Circle::new(at, 3, style.filled()).into_dyn(),
        Outcome::Fail => Cross::new(at, 4, style.stroke_width(2)).into_dyn(),
        Outcome::Info => TriangleMarker::new(at, 5, style.stroke_width(2)).into_dyn(),
    }
}

/// Encodes an RGB8 buffer as a PNG.
pub fn encode_png(
    name: &'static str,
    rgb8: &[u8],
    (w, h): (u32, u32),
) -> Result<Vec<u8>, ReportError> {
    let err = |e: png::EncodingError| ReportError::Encode {
        name: name.to_string(),
        detail: e.to_string(),
    };
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(err)?;
        writer.write_image_data(rgb8).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}
