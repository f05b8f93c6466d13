//! Colours, strokes and fonts. The palette is Okabe & Ito's, which stays distinguishable
//! with the common forms of colour blindness; flagged points also differ in shape, and
//! thresholds in dash, so no meaning rests on colour alone.

use crate::View;
use alertmath_core::plot::Role;
use plotters::prelude::*;

/// The drawing style of one role.
#[derive(Debug, Clone, Copy)]
pub struct RoleStyle {
    pub stroke: RGBAColor,
    pub fill: RGBAColor,
    pub width: u32,
    /// Dash and gap lengths in CSS pixels, for dashed roles.
    pub dash: Option<(f64, f64)>,
    /// Marker radius in CSS pixels.
    pub marker_size: f64,
}

/// Colours and sizes for one view (light or dark, at a device-pixel ratio).
#[derive(Debug, Clone)]
pub struct Theme {
    pub background: RGBAColor,
    pub text: RGBAColor,
    pub grid: RGBAColor,
    pub axis: RGBAColor,
    pub legend_background: RGBAColor,
    scale: f64,
    dark: bool,
}

const fn rgb(r: u8, g: u8, b: u8) -> RGBAColor {
    RGBAColor(r, g, b, 1.0)
}

const fn rgba(r: u8, g: u8, b: u8, a: f64) -> RGBAColor {
    RGBAColor(r, g, b, a)
}

impl Theme {
    pub fn new(view: &View) -> Self {
        let scale = if view.scale.is_finite() { view.scale.clamp(0.5, 4.0) } else { 1.0 };
        if view.dark {
            Theme {
                background: rgb(0x16, 0x1a, 0x1f),
                text: rgb(0xe6, 0xe8, 0xeb),
                grid: rgb(0x2c, 0x33, 0x3b),
                axis: rgb(0x8a, 0x93, 0x9e),
                legend_background: rgba(0x16, 0x1a, 0x1f, 0.85),
                scale,
                dark: true,
            }
        } else {
            Theme {
                background: rgb(0xff, 0xff, 0xff),
                text: rgb(0x1f, 0x23, 0x28),
                grid: rgb(0xe6, 0xe8, 0xeb),
                axis: rgb(0x6a, 0x73, 0x7d),
                legend_background: rgba(0xff, 0xff, 0xff, 0.85),
                scale,
                dark: false,
            }
        }
    }

    /// CSS pixels to device pixels.
    pub fn px(&self, v: f64) -> f64 {
        v * self.scale
    }

    /// A stroke width in device pixels, at least 1.
    pub fn stroke(&self, css: f64) -> u32 {
        self.px(css).round().max(1.0) as u32
    }

    pub fn font(&self, css_size: f64) -> TextStyle<'static> {
        let mut style = TextStyle::from(FontDesc::new(FontFamily::SansSerif, self.px(css_size), FontStyle::Normal));
        style.color = self.text.to_backend_color();
        style
    }

    pub fn role(&self, role: Role) -> RoleStyle {
        let d = self.dark;
        let (stroke, width, dash, marker_size) = match role {
            // Blue (light) or sky blue (dark).
            Role::Data => (if d { rgb(0x56, 0xb4, 0xe9) } else { rgb(0x00, 0x72, 0xb2) }, 1.5, None, 3.0),
            // Vermillion: the flagged triangle.
            Role::Flagged => (if d { rgb(0xff, 0x7f, 0x2a) } else { rgb(0xd5, 0x5e, 0x00) }, 1.5, None, 4.0),
            // Reddish purple diamond.
            Role::Highlight => (if d { rgb(0xe8, 0x9c, 0xc8) } else { rgb(0xcc, 0x79, 0xa7) }, 1.5, None, 4.0),
            // Orange, dashed.
            Role::Threshold => (rgb(0xe6, 0x9f, 0x00), 2.0, Some((7.0, 4.0)), 3.0),
            // Bluish green, solid.
            Role::Center => (if d { rgb(0x3c, 0xc0, 0x96) } else { rgb(0x00, 0x9e, 0x73) }, 1.5, None, 3.0),
            // Near-black or near-white: a model's fit.
            Role::Model => (if d { rgb(0xd0, 0xd4, 0xd9) } else { rgb(0x30, 0x36, 0x3d) }, 2.0, None, 3.0),
            // Reddish purple, dotted: the other convention.
            Role::Alternative => {
                (if d { rgb(0xe8, 0x9c, 0xc8) } else { rgb(0xcc, 0x79, 0xa7) }, 2.0, Some((3.0, 3.0)), 3.0)
            }
            Role::Band => (rgb(0x56, 0xb4, 0xe9), 1.0, None, 3.0),
            Role::Marker => (self.text, 2.0, None, 3.0),
        };
        let fill = match role {
            Role::Band => RGBAColor(stroke.0, stroke.1, stroke.2, if d { 0.22 } else { 0.25 }),
            _ => RGBAColor(stroke.0, stroke.1, stroke.2, 0.2),
        };
        RoleStyle { stroke, fill, width: self.stroke(width), dash, marker_size }
    }
}
