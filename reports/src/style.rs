//! Colours shared by the PNG plots and the HTML timeline, assigned in one
//! place so a fault kind or an operation has the same colour everywhere.

use std::collections::BTreeSet;

use crate::input::ReportInput;
use faultline_checker::history::Outcome;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`, for CSS.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// Strong, distinguishable colours for operation functions (`read`, ...).
const OP_COLOURS: [Rgb; 8] = [
    Rgb(31, 119, 180),
    Rgb(255, 127, 14),
    Rgb(44, 160, 44),
    Rgb(148, 103, 189),
    Rgb(140, 86, 75),
    Rgb(227, 119, 194),
    Rgb(23, 190, 207),
    Rgb(188, 189, 34),
];

/// Light colours for fault bands, drawn behind the data.
const FAULT_COLOURS: [Rgb; 8] = [
    Rgb(244, 165, 130),
    Rgb(146, 197, 222),
    Rgb(184, 225, 134),
    Rgb(194, 165, 207),
    Rgb(253, 220, 132),
    Rgb(128, 205, 193),
    Rgb(222, 119, 174),
    Rgb(186, 186, 186),
];

/// The colour of an outcome on the timeline.
pub fn outcome_colour(outcome: Outcome) -> Rgb {
    match outcome {
        Outcome::Ok => Rgb(76, 175, 80),
        Outcome::Fail => Rgb(229, 115, 115),
        Outcome::Info => Rgb(255, 183, 77),
    }
}

/// The colour assignment for one report: functions and fault kinds in
/// sorted order, cycling through the palettes.
#[derive(Debug, Clone, Default)]
pub struct Colours {
    /// Operation functions, sorted, with their colours.
    pub ops: Vec<(String, Rgb)>,
    /// Fault kinds, sorted, with their colours.
    pub faults: Vec<(String, Rgb)>,
}

impl Colours {
    /// Assigns colours to every function and fault kind in `input`.
    pub fn for_input(input: &ReportInput) -> Colours {
        let fs: BTreeSet<&str> = input.operations.iter().map(|o| o.f.as_str()).collect();
        let kinds: BTreeSet<&str> = input.faults.iter().map(|f| f.kind.as_str()).collect();
        Colours {
            ops: fs
                .into_iter()
                .zip(OP_COLOURS.iter().cycle())
                .map(|(f, c)| (f.to_string(), *c))
                .collect(),
            faults: kinds
                .into_iter()
                .zip(FAULT_COLOURS.iter().cycle())
                .map(|(k, c)| (k.to_string(), *c))
                .collect(),
        }
    }

    /// The colour of function `f` (black if unknown).
    pub fn op(&self, f: &str) -> Rgb {
        lookup(&self.ops, f)
    }

    /// The colour of fault kind `kind` (grey if unknown).
    pub fn fault(&self, kind: &str) -> Rgb {
        lookup(&self.faults, kind)
    }
}

fn lookup(table: &[(String, Rgb)], name: &str) -> Rgb {
    table
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, c)| *c)
        .unwrap_or(Rgb(128, 128, 128))
}
