//! The embedded font the plots draw their text with.
//!
//! plotters' `ab_glyph` backend loads no system fonts: every family must be
//! registered from bytes at run time. We register DejaVu Sans (Bitstream
//! Vera licence, a permissive font licence; the bytes and the licence ship in
//! the `dejavu` crate) under plotters' default family name `sans-serif`, so
//! every default label style finds it on a machine with no fonts installed.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle};

/// The family name our plots use for all text.
pub const FAMILY: &str = "sans-serif";

/// Registers the embedded fonts once per process; later calls are free.
/// Returns false if the font bytes were rejected (then text is not drawn,
/// which the plotting code surfaces as an error).
pub fn ensure_registered() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        let normal = register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular()).is_ok();
        let bold = register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold()).is_ok();
        normal && bold
    })
}
