//! alertmath-charts: draws an alertmath [`Plot`] with plotters on any drawing backend —
//! an HTML canvas in the browser (through plotters-canvas), SVG in native tests.
//!
//! Layout, ticks, clipping and decimation are done here in pixel space, and plotters
//! elements draw the result. Three things make this fast enough to redraw 100,000 points
//! in a frame: long lines are reduced to at most four points per pixel column (first,
//! min, max, last), a long line that still zigzags within its columns is filled as the
//! outline of the pixels it covers instead of stroked, and dense markers are thinned to
//! one per small pixel cell. None changes what the eye sees.
//!
//! The backend measures text (`estimate_text_size`); the browser build wraps the canvas
//! so that this is `measureText` rather than a DOM reflow.

mod geometry;
mod theme;
mod ticks;

pub use theme::Theme;

use alertmath_core::plot::{Axis, Layer, LayerKind, Panel, Plot, Role};
use geometry::{clip_polyline, column_envelope, dash, decimate_columns, decimate_keeping_gaps, Rect};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use ticks::{format_tick, log_ticks, nice_ticks};

/// How to draw: the device-pixel ratio (fonts and strokes scale with it) and the theme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// Device pixels per CSS pixel (2 on most phones and laptops).
    pub scale: f64,
    pub dark: bool,
}

impl Default for View {
    fn default() -> Self {
        View { scale: 1.0, dark: false }
    }
}

/// A drawing failure (from the backend; the plot spec itself cannot fail to draw).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "drawing failed: {}", self.0)
    }
}

impl std::error::Error for ChartError {}

/// What was drawn, for tests and benchmarks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DrawStats {
    pub markers: usize,
    pub paths: usize,
    pub path_points: usize,
    pub texts: usize,
}

type Area<DB> = DrawingArea<DB, Shift>;

fn err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError(format!("{:?}", e))
}

/// Draws `plot` on the whole of `backend`.
pub fn draw<DB: DrawingBackend>(backend: DB, plot: &Plot, view: &View) -> Result<DrawStats, ChartError> {
    let root = backend.into_drawing_area();
    let theme = Theme::new(view);
    root.fill(&theme.background).map_err(err)?;
    let (width, height) = root.dim_in_pixel();
    let mut stats = DrawStats::default();
    let total: f64 = plot.panels.iter().map(|p| p.weight.max(0.1)).sum();
    let mut rects = Vec::with_capacity(plot.panels.len());
    let mut top = 0.0;
    for panel in &plot.panels {
        let h = f64::from(height) * panel.weight.max(0.1) / total.max(0.1);
        rects.push(Rect { x0: 0.0, y0: top, x1: f64::from(width), y1: top + h });
        top += h;
    }
    // Every panel of a figure keeps the same left margin (the widest y tick labels
    // decide), so that the same x lines up from panel to panel. Panels over one time axis
    // (`Plot::stacked`) also share the x range, and only the last draws the x labels.
    let stacked = plot.shared_x && plot.panels.len() > 1;
    let shared_x = if stacked { Some(shared_x_range(plot)) } else { None };
    let last = plot.panels.len().saturating_sub(1);
    let layouts: Vec<PanelLayout> = (0..plot.panels.len())
        .map(|i| PanelLayout {
            label_w: 0.0,
            x: shared_x,
            // Each panel's fitted y range, once: it scans every point of every layer.
            y: plot.panels.get(i).map_or(Scale { lo: 0.0, hi: 1.0, log: false }, |p| axis_range(&p.y, p, false)),
            x_labels: !stacked || i == last,
        })
        .collect();
    let mut label_w = 0.0f64;
    for ((panel, rect), layout) in plot.panels.iter().zip(&rects).zip(&layouts) {
        label_w = label_w.max(y_label_width(&root, panel, *rect, &theme, layout)?);
    }
    for ((panel, rect), layout) in plot.panels.iter().zip(rects).zip(layouts) {
        draw_panel(&root, panel, rect, &theme, &PanelLayout { label_w, ..layout }, &mut stats)?;
    }
    root.present().map_err(err)?;
    Ok(stats)
}

/// Maps data to pixels for one panel.
struct Mapper {
    plot: Rect,
    x: Scale,
    y: Scale,
}

#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Scale {
    fn t(&self, v: f64) -> f64 {
        if self.log {
            if v > 0.0 {
                v.log10()
            } else {
                f64::NAN
            }
        } else {
            v
        }
    }

    /// Position of `v` as a fraction of the axis (0 at lo, 1 at hi); NaN when not drawable.
    fn frac(&self, v: f64) -> f64 {
        let (a, b) = (self.t(self.lo), self.t(self.hi));
        (self.t(v) - a) / (b - a)
    }
}

impl Mapper {
    fn px(&self, x: f64) -> f64 {
        self.plot.x0 + self.x.frac(x) * self.plot.width()
    }

    fn py(&self, y: f64) -> f64 {
        self.plot.y1 - self.y.frac(y) * self.plot.height()
    }
}

/// How a panel sits in its figure: the width kept for y tick labels, the x range it
/// shares with the other panels (if any), and whether it draws the x tick labels and title.
#[derive(Clone, Copy)]
struct PanelLayout {
    label_w: f64,
    x: Option<Scale>,
    /// The panel's y range (see [`axis_range`]).
    y: Scale,
    x_labels: bool,
}

impl PanelLayout {
    /// Room under the plot: x labels and title, or a small gap above the next panel.
    fn bottom(&self, theme: &Theme) -> f64 {
        if self.x_labels {
            theme.px(40.0)
        } else {
            theme.px(8.0)
        }
    }
}

fn title_height(panel: &Panel, theme: &Theme) -> f64 {
    if panel.title.is_empty() {
        theme.px(6.0)
    } else {
        theme.px(20.0)
    }
}

/// The height a panel's plot area will have, before its labels are measured.
fn plot_height(panel: &Panel, rect: Rect, theme: &Theme, layout: &PanelLayout) -> f64 {
    (rect.height() - title_height(panel, theme) - layout.bottom(theme)).max(theme.px(20.0))
}

/// The union of the x ranges of a figure's panels (for panels over one time axis).
fn shared_x_range(plot: &Plot) -> Scale {
    let (mut lo, mut hi, mut log) = (f64::INFINITY, f64::NEG_INFINITY, false);
    for panel in &plot.panels {
        let x = axis_range(&panel.x, panel, true);
        lo = lo.min(x.lo);
        hi = hi.max(x.hi);
        log = x.log;
    }
    if lo.is_finite() && hi.is_finite() && hi > lo {
        Scale { lo, hi, log }
    } else {
        Scale { lo: 0.0, hi: 1.0, log: false }
    }
}

/// The y ticks of a panel with the y range `y` and a plot area `height` high: about one
/// per 36 CSS pixels, decades on a log axis, whole numbers only on an axis of counts.
fn y_ticks(panel: &Panel, y: &Scale, height: f64, theme: &Theme) -> Vec<f64> {
    let ticks = if y.log {
        log_ticks(y.lo, y.hi)
    } else {
        nice_ticks(y.lo, y.hi, (height / theme.px(36.0)).clamp(2.0, 10.0) as usize)
    };
    whole_if(panel.y.integer, ticks)
}

/// The width of the widest y tick label of a panel drawn in `rect`.
fn y_label_width<DB: DrawingBackend>(
    root: &Area<DB>,
    panel: &Panel,
    rect: Rect,
    theme: &Theme,
    layout: &PanelLayout,
) -> Result<f64, ChartError> {
    let ticks = y_ticks(panel, &layout.y, plot_height(panel, rect, theme, layout), theme);
    let font = theme.font(11.0);
    let mut width = 0.0f64;
    for &v in &ticks {
        let (w, _) = root.estimate_text_size(&format_tick(v, &ticks), &font).map_err(err)?;
        width = width.max(f64::from(w));
    }
    Ok(width)
}

/// Draws one panel in `rect`, laid out as `layout` says.
fn draw_panel<DB: DrawingBackend>(
    root: &Area<DB>,
    panel: &Panel,
    rect: Rect,
    theme: &Theme,
    layout: &PanelLayout,
    stats: &mut DrawStats,
) -> Result<(), ChartError> {
    let mut x = layout.x.unwrap_or_else(|| axis_range(&panel.x, panel, true));
    let mut y = layout.y;
    let font = theme.font(11.0);
    let title_font = theme.font(12.0);

    // Tick labels decide the margins.
    let height = plot_height(panel, rect, theme, layout);
    let y_ticks_of = |y: &Scale| y_ticks(panel, y, height, theme);
    let title_h = title_height(panel, theme);
    let bottom = layout.bottom(theme);
    let place = |y_ticks: &[f64]| -> Result<(Vec<String>, Rect), ChartError> {
        let y_labels: Vec<String> = y_ticks.iter().map(|&v| format_tick(v, y_ticks)).collect();
        let mut label_w = layout.label_w;
        for label in &y_labels {
            let (w, _) = root.estimate_text_size(label, &font).map_err(err)?;
            label_w = label_w.max(f64::from(w));
        }
        let plot = Rect {
            x0: rect.x0 + label_w + theme.px(30.0),
            y0: rect.y0 + title_h,
            x1: rect.x1 - theme.px(12.0),
            y1: rect.y1 - bottom,
        };
        Ok((y_labels, plot))
    };
    let mut y_ticks = y_ticks_of(&y);
    let (mut y_labels, mut plot) = place(&y_ticks)?;
    if panel.equal_aspect && layout.x.is_none() && !x.log && !y.log && plot.width() >= 4.0 && plot.height() >= 4.0 {
        // Equal units per pixel: widen the range that is too narrow, about its centre.
        // The new y ticks may change the label width, so the layout is done twice.
        for _ in 0..2 {
            let (x_span, y_span) = (x.hi - x.lo, y.hi - y.lo);
            let per_px = (x_span / plot.width()).max(y_span / plot.height());
            let (xc, yc) = ((x.lo + x.hi) / 2.0, (y.lo + y.hi) / 2.0);
            let (half_w, half_h) = (per_px * plot.width() / 2.0, per_px * plot.height() / 2.0);
            if !(half_w.is_finite() && half_h.is_finite() && half_w > 0.0 && half_h > 0.0) {
                break;
            }
            x = Scale { lo: xc - half_w, hi: xc + half_w, log: false };
            y = Scale { lo: yc - half_h, hi: yc + half_h, log: false };
            y_ticks = y_ticks_of(&y);
            (y_labels, plot) = place(&y_ticks)?;
        }
    }
    if plot.width() < 4.0 || plot.height() < 4.0 {
        return Ok(());
    }
    let map = Mapper { plot, x, y };
    let x_ticks = if x.log {
        log_ticks(x.lo, x.hi)
    } else {
        nice_ticks(x.lo, x.hi, (plot.width() / theme.px(90.0)).clamp(2.0, 12.0) as usize)
    };
    let x_ticks = whole_if(panel.x.integer, x_ticks);

    // Grid, axes, tick labels, axis titles.
    for &v in &y_ticks {
        let py = map.py(v).round();
        if py.is_finite() {
            line(root, &[(plot.x0, py), (plot.x1, py)], theme.grid, theme.stroke(1.0))?;
        }
    }
    for &v in &x_ticks {
        let px = map.px(v).round();
        if px.is_finite() {
            line(root, &[(px, plot.y0), (px, plot.y1)], theme.grid, theme.stroke(1.0))?;
        }
    }
    line(root, &[(plot.x0, plot.y0), (plot.x0, plot.y1), (plot.x1, plot.y1)], theme.axis, theme.stroke(1.0))?;
    for (v, label) in y_ticks.iter().zip(&y_labels) {
        let py = map.py(*v);
        if py.is_finite() {
            text(root, label, (plot.x0 - theme.px(5.0), py), &font.pos(Pos::new(HPos::Right, VPos::Center)), stats)?;
        }
    }
    for &v in x_ticks.iter().filter(|_| layout.x_labels) {
        let px = map.px(v);
        if px.is_finite() {
            text(
                root,
                &format_tick(v, &x_ticks),
                (px, plot.y1 + theme.px(4.0)),
                &font.pos(Pos::new(HPos::Center, VPos::Top)),
                stats,
            )?;
        }
    }
    if layout.x_labels {
        text(
            root,
            &panel.x.label,
            ((plot.x0 + plot.x1) / 2.0, rect.y1 - theme.px(4.0)),
            &font.pos(Pos::new(HPos::Center, VPos::Bottom)),
            stats,
        )?;
    }
    let rotated = font.clone().transform(FontTransform::Rotate270).pos(Pos::new(HPos::Center, VPos::Top));
    text(root, &panel.y.label, (rect.x0 + theme.px(3.0), (plot.y0 + plot.y1) / 2.0), &rotated, stats)?;
    if !panel.title.is_empty() {
        text(
            root,
            &panel.title,
            (plot.x0, rect.y0 + theme.px(3.0)),
            &title_font.pos(Pos::new(HPos::Left, VPos::Top)),
            stats,
        )?;
    }

    for layer in &panel.layers {
        draw_layer(root, layer, &map, theme, stats)?;
    }
    draw_legend(root, panel, &map, theme, stats)?;
    Ok(())
}

/// Keeps only the whole-number ticks of an axis of counts (1, 2, 3 rather than 1, 1.5, 2).
fn whole_if(integer: bool, ticks: Vec<f64>) -> Vec<f64> {
    if integer {
        ticks.into_iter().filter(|v| v.fract() == 0.0).collect()
    } else {
        ticks
    }
}

/// The range of an axis: fixed, or fitted to the layers (with 5% padding), never empty.
fn axis_range(axis: &Axis, panel: &Panel, is_x: bool) -> Scale {
    if let Some([lo, hi]) = axis.range {
        if lo.is_finite() && hi.is_finite() && hi > lo && (!axis.log || lo > 0.0) {
            return Scale { lo, hi, log: axis.log };
        }
    }
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    let mut take = |v: f64| {
        if v.is_finite() && (!axis.log || v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    };
    for layer in panel.layers.iter().filter(|l| l.fit) {
        match &layer.kind {
            LayerKind::Points { x, y }
            | LayerKind::Line { x, y }
            | LayerKind::Steps { x, y }
            | LayerKind::Polygon { x, y } => (if is_x { x } else { y }).iter().for_each(|&v| take(v)),
            LayerKind::Band { x, lo: l, hi: h } => {
                if is_x {
                    x.iter().for_each(|&v| take(v));
                } else {
                    l.iter().chain(h.iter()).for_each(|&v| take(v));
                }
            }
            LayerKind::HLine { y } if !is_x => take(*y),
            LayerKind::VLine { x } if is_x => take(*x),
            LayerKind::HSpan { lo: l, hi: h } if !is_x => {
                take(*l);
                take(*h);
            }
            LayerKind::Segment { x0, y0, x1, y1 } => {
                if is_x {
                    take(*x0);
                    take(*x1);
                } else {
                    take(*y0);
                    take(*y1);
                }
            }
            LayerKind::Text { x, y, .. } => take(if is_x { *x } else { *y }),
            _ => {}
        }
    }
    if !lo.is_finite() {
        return if axis.log { Scale { lo: 1.0, hi: 10.0, log: true } } else { Scale { lo: 0.0, hi: 1.0, log: false } };
    }
    if axis.log {
        let (a, b) = (lo.log10(), hi.log10());
        let pad = if b > a { (b - a) * 0.05 } else { 0.5 };
        return Scale { lo: 10f64.powf(a - pad), hi: 10f64.powf(b + pad), log: true };
    }
    let pad = if hi > lo {
        (hi - lo) * 0.06
    } else if lo != 0.0 {
        lo.abs() * 0.1
    } else {
        1.0
    };
    Scale { lo: lo - pad, hi: hi + pad, log: false }
}

fn draw_layer<DB: DrawingBackend>(
    root: &Area<DB>,
    layer: &Layer,
    map: &Mapper,
    theme: &Theme,
    stats: &mut DrawStats,
) -> Result<(), ChartError> {
    let style = theme.role(layer.role);
    let plot = map.plot;
    match &layer.kind {
        LayerKind::Points { x, y } => {
            let pts: Vec<(f64, f64)> = x.iter().zip(y.iter()).map(|(&a, &b)| (map.px(a), map.py(b))).collect();
            markers(root, &pts, layer.role, plot, theme, stats)?;
        }
        LayerKind::Line { x, y } => {
            let pts: Vec<(f64, f64)> = x.iter().zip(y.iter()).map(|(&a, &b)| (map.px(a), map.py(b))).collect();
            polyline(root, &pts, layer.role, plot, theme, stats)?;
        }
        LayerKind::Steps { x, y } => {
            let mut pts = Vec::with_capacity(2 * x.len() + 1);
            for (i, (&a, &b)) in x.iter().zip(y.iter()).enumerate() {
                let (px, py) = (map.px(a), map.py(b));
                if i > 0 {
                    if let Some(&(_, prev_y)) = pts.last() {
                        pts.push((px, prev_y));
                    }
                }
                pts.push((px, py));
            }
            if let Some(&(_, last_y)) = pts.last() {
                pts.push((plot.x1, last_y));
            }
            polyline(root, &pts, layer.role, plot, theme, stats)?;
        }
        LayerKind::HLine { y } => {
            let py = map.py(*y);
            if py >= plot.y0 && py <= plot.y1 {
                polyline(root, &[(plot.x0, py), (plot.x1, py)], layer.role, plot, theme, stats)?;
            }
        }
        LayerKind::VLine { x } => {
            let px = map.px(*x);
            if px >= plot.x0 && px <= plot.x1 {
                polyline(root, &[(px, plot.y0), (px, plot.y1)], layer.role, plot, theme, stats)?;
            }
        }
        LayerKind::HSpan { lo, hi } => {
            let (a, b) = (map.py(*hi).max(plot.y0), map.py(*lo).min(plot.y1));
            if a.is_finite() && b.is_finite() && b > a {
                fill(root, &[(plot.x0, a), (plot.x1, a), (plot.x1, b), (plot.x0, b)], style.fill)?;
            }
        }
        LayerKind::Band { x, lo, hi } => {
            let upper: Vec<(f64, f64)> =
                x.iter().zip(hi.iter()).map(|(&a, &b)| (map.px(a), map.py(b).clamp(plot.y0, plot.y1))).collect();
            let lower: Vec<(f64, f64)> =
                x.iter().zip(lo.iter()).map(|(&a, &b)| (map.px(a), map.py(b).clamp(plot.y0, plot.y1))).collect();
            // Split at gaps so that a NaN does not draw a spike; decimate each part.
            let mut start = 0;
            while start < upper.len() {
                let finite = |i: usize| {
                    upper.get(i).is_some_and(|p| p.0.is_finite() && p.1.is_finite())
                        && lower.get(i).is_some_and(|p| p.1.is_finite())
                };
                while start < upper.len() && !finite(start) {
                    start += 1;
                }
                let mut end = start;
                while end < upper.len() && finite(end) {
                    end += 1;
                }
                if end > start + 1 {
                    let top = decimate_columns(&upper[start..end]);
                    let bottom = decimate_columns(&lower[start..end]);
                    let mut poly: Vec<(f64, f64)> = top;
                    poly.extend(bottom.into_iter().rev());
                    let poly: Vec<(f64, f64)> = poly.into_iter().map(|(a, b)| (a.clamp(plot.x0, plot.x1), b)).collect();
                    fill(root, &poly, style.fill)?;
                }
                start = end.max(start + 1);
            }
        }
        LayerKind::Segment { x0, y0, x1, y1 } => {
            polyline(root, &[(map.px(*x0), map.py(*y0)), (map.px(*x1), map.py(*y1))], layer.role, plot, theme, stats)?;
        }
        LayerKind::Polygon { x, y } => {
            let pts: Vec<(f64, f64)> = x.iter().zip(y.iter()).map(|(&a, &b)| (map.px(a), map.py(b))).collect();
            if pts.iter().all(|p| p.0.is_finite() && p.1.is_finite()) && pts.len() >= 3 {
                let clamped: Vec<(f64, f64)> =
                    pts.iter().map(|&(a, b)| (a.clamp(plot.x0, plot.x1), b.clamp(plot.y0, plot.y1))).collect();
                fill(root, &clamped, style.fill)?;
                let mut closed = pts.clone();
                if let Some(&first) = pts.first() {
                    closed.push(first);
                }
                polyline(root, &closed, layer.role, plot, theme, stats)?;
            }
        }
        LayerKind::Text { x, y, text: label } => {
            let (px, py) = (map.px(*x), map.py(*y));
            if px.is_finite() && py.is_finite() {
                let font = theme.font(10.0).color(&theme.text);
                let (w, _) = root.estimate_text_size(label, &font).map_err(err)?;
                // Keep the label inside the plot: to the left of the point near the right edge.
                let right_room = plot.x1 - px;
                let (anchor_x, h) = if right_room < f64::from(w) + theme.px(8.0) {
                    (px - theme.px(6.0), HPos::Right)
                } else {
                    (px + theme.px(6.0), HPos::Left)
                };
                // (A plot lower than the label keeps the label at its bottom edge.)
                let ty = (py - theme.px(4.0)).clamp((plot.y0 + theme.px(10.0)).min(plot.y1), plot.y1);
                text(root, label, (anchor_x, ty), &font.pos(Pos::new(h, VPos::Bottom)), stats)?;
            }
        }
    }
    Ok(())
}

/// The top-left corner of the legend box: the corner of the plot whose box covers the
/// fewest drawn points and line vertices (top right when tied).
fn legend_corner(panel: &Panel, map: &Mapper, w: f64, h: f64, pad: f64) -> (f64, f64) {
    let p = map.plot;
    let corners = [
        (p.x1 - w - pad, p.y0 + pad),
        (p.x0 + pad, p.y0 + pad),
        (p.x1 - w - pad, p.y1 - h - pad),
        (p.x0 + pad, p.y1 - h - pad),
    ];
    let mut cost = [0usize; 4];
    let mut count = |px: f64, py: f64, weight: usize| {
        for (c, &(cx, cy)) in cost.iter_mut().zip(&corners) {
            if px >= cx && px <= cx + w && py >= cy && py <= cy + h {
                *c += weight;
            }
        }
    };
    for layer in &panel.layers {
        // A segment has no vertices in between: count points along it.
        if let LayerKind::Segment { x0, y0, x1, y1 } = &layer.kind {
            let (ax, ay, bx, by) = (map.px(*x0), map.py(*y0), map.px(*x1), map.py(*y1));
            for i in 0..=16 {
                let f = f64::from(i) / 16.0;
                count(ax + f * (bx - ax), ay + f * (by - ay), 1);
            }
            continue;
        }
        let (xs, ys, weight) = match &layer.kind {
            LayerKind::Points { x, y } => (x, y, 4),
            LayerKind::Line { x, y } | LayerKind::Steps { x, y } => (x, y, 1),
            _ => continue,
        };
        // A sample is enough to compare four corners.
        let stride = (xs.len() / 4000).max(1);
        for (&x, &y) in xs.iter().zip(ys.iter()).step_by(stride) {
            count(map.px(x), map.py(y), weight);
        }
    }
    let best = (0..4).min_by_key(|&i| (cost[i], i)).unwrap_or(0);
    corners[best]
}

fn to_i(p: (f64, f64)) -> (i32, i32) {
    (p.0.round() as i32, p.1.round() as i32)
}

fn line<DB: DrawingBackend>(
    root: &Area<DB>,
    pts: &[(f64, f64)],
    color: RGBAColor,
    width: u32,
) -> Result<(), ChartError> {
    let path: Vec<(i32, i32)> = pts.iter().map(|&p| to_i(p)).collect();
    root.draw(&PathElement::new(path, ShapeStyle { color, filled: false, stroke_width: width })).map_err(err)
}

fn fill<DB: DrawingBackend>(root: &Area<DB>, pts: &[(f64, f64)], color: RGBAColor) -> Result<(), ChartError> {
    let poly: Vec<(i32, i32)> = pts.iter().filter(|p| p.0.is_finite() && p.1.is_finite()).map(|&p| to_i(p)).collect();
    if poly.len() < 3 {
        return Ok(());
    }
    root.draw(&Polygon::new(poly, ShapeStyle { color, filled: true, stroke_width: 0 })).map_err(err)
}

fn text<DB: DrawingBackend>(
    root: &Area<DB>,
    s: &str,
    at: (f64, f64),
    style: &TextStyle,
    stats: &mut DrawStats,
) -> Result<(), ChartError> {
    if s.is_empty() || !at.0.is_finite() || !at.1.is_finite() {
        return Ok(());
    }
    stats.texts += 1;
    root.draw(&Text::new(s.to_string(), to_i(at), style.clone())).map_err(err)
}

/// Draws a polyline in the role's style: clipped to the plot, decimated to at most four
/// points per pixel column, dashed when the role is.
fn polyline<DB: DrawingBackend>(
    root: &Area<DB>,
    pts: &[(f64, f64)],
    role: Role,
    plot: Rect,
    theme: &Theme,
    stats: &mut DrawStats,
) -> Result<(), ChartError> {
    let style = theme.role(role);
    let decimated = if pts.len() > 2 * plot.width() as usize { decimate_keeping_gaps(pts) } else { Vec::new() };
    let pts = if decimated.is_empty() { pts } else { &decimated[..] };
    let long = !decimated.is_empty();
    for run in clip_polyline(pts, plot) {
        let run = if run.len() > 2 * plot.width() as usize { decimate_columns(&run) } else { run };
        // A long line that zigzags within its pixel columns is filled as the outline of
        // what it covers rather than stroked (see `column_envelope`).
        if long {
            if let Some(poly) = column_envelope(&run, f64::from(style.width) / 2.0, DENSE_PER_COLUMN) {
                stats.paths += 1;
                stats.path_points += poly.len();
                fill(root, &poly, style.stroke)?;
                continue;
            }
        }
        // A dense, jagged line (a rolling threshold over 100,000 points) would break into
        // thousands of dashes, each a separate path for the canvas; past that many, a
        // dash pattern cannot be seen anyway, and the line is drawn solid.
        let pieces = match style.dash {
            Some((on, off)) if path_length(&run) / theme.px(on + off) <= MAX_DASHES => {
                dash(&run, theme.px(on), theme.px(off))
            }
            _ => vec![run],
        };
        for piece in pieces {
            if piece.len() >= 2 {
                stats.paths += 1;
                stats.path_points += piece.len();
                line(root, &piece, style.stroke, style.width)?;
            }
        }
    }
    Ok(())
}

/// A long line with more points per pixel column than this, on average, after
/// decimation (which keeps at most four) is drawn as its column envelope.
const DENSE_PER_COLUMN: f64 = 2.5;

/// The most dashes one polyline is broken into (see [`polyline`]).
const MAX_DASHES: f64 = 1500.0;

/// The length of a polyline in pixels.
fn path_length(pts: &[(f64, f64)]) -> f64 {
    pts.windows(2).map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1)).sum()
}

/// Draws markers for points inside the plot. Dense layers are thinned to one marker per
/// cell of a few pixels, and drawn as squares, which the canvas fills fastest.
fn markers<DB: DrawingBackend>(
    root: &Area<DB>,
    pts: &[(f64, f64)],
    role: Role,
    plot: Rect,
    theme: &Theme,
    stats: &mut DrawStats,
) -> Result<(), ChartError> {
    let style = theme.role(role);
    let inside = |p: &(f64, f64)| {
        p.0.is_finite()
            && p.1.is_finite()
            && p.0 >= plot.x0 - 0.5
            && p.0 <= plot.x1 + 0.5
            && p.1 >= plot.y0 - 0.5
            && p.1 <= plot.y1 + 0.5
    };
    let dense = pts.len() > 2000;
    if dense {
        let cell = theme.px(2.0).max(1.0);
        let cols = (plot.width() / cell).ceil() as usize + 1;
        let rows = (plot.height() / cell).ceil() as usize + 1;
        let mut seen = vec![false; cols.saturating_mul(rows).min(16_000_000)];
        let size = cell.round().max(1.0) as i32;
        for p in pts.iter().filter(|p| inside(p)) {
            let c = ((p.0 - plot.x0) / cell).max(0.0) as usize;
            let r = ((p.1 - plot.y0) / cell).max(0.0) as usize;
            let Some(slot) = seen.get_mut(r * cols + c) else { continue };
            if *slot {
                continue;
            }
            *slot = true;
            stats.markers += 1;
            let (x, y) = to_i(*p);
            let half = size / 2;
            root.draw(&Rectangle::new(
                [(x - half, y - half), (x - half + size, y - half + size)],
                ShapeStyle { color: style.stroke, filled: true, stroke_width: 0 },
            ))
            .map_err(err)?;
        }
        return Ok(());
    }
    let r = theme.px(style.marker_size).round().max(2.0) as i32;
    for p in pts.iter().filter(|p| inside(p)) {
        stats.markers += 1;
        let (x, y) = to_i(*p);
        match role {
            Role::Flagged => {
                // A larger triangle with a ring: not colour alone marks a flagged point.
                let tri = vec![(x, y - r - 2), (x - r - 2, y + r), (x + r + 2, y + r)];
                root.draw(&Polygon::new(tri, ShapeStyle { color: style.stroke, filled: true, stroke_width: 0 }))
                    .map_err(err)?;
                root.draw(&Circle::new(
                    (x, y),
                    r + 4,
                    ShapeStyle { color: style.stroke, filled: false, stroke_width: style.width },
                ))
                .map_err(err)?;
            }
            Role::Highlight => {
                let diamond = vec![(x, y - r - 2), (x + r + 2, y), (x, y + r + 2), (x - r - 2, y)];
                root.draw(&Polygon::new(diamond, ShapeStyle { color: style.stroke, filled: true, stroke_width: 0 }))
                    .map_err(err)?;
            }
            _ => {
                root.draw(&Circle::new((x, y), r, ShapeStyle { color: style.stroke, filled: true, stroke_width: 0 }))
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// A legend of the labelled layers, in the top-right corner of the plot.
fn draw_legend<DB: DrawingBackend>(
    root: &Area<DB>,
    panel: &Panel,
    map: &Mapper,
    theme: &Theme,
    stats: &mut DrawStats,
) -> Result<(), ChartError> {
    let plot = &map.plot;
    let entries: Vec<&Layer> =
        panel.layers.iter().filter(|l| !(l.label.is_empty() || l.role == Role::Flagged && l.kind.is_empty())).collect();
    if entries.is_empty() {
        return Ok(());
    }
    let font = theme.font(10.5);
    let line_h = theme.px(15.0);
    let swatch = theme.px(18.0);
    let mut w = 0.0f64;
    for e in &entries {
        let (tw, _) = root.estimate_text_size(&e.label, &font).map_err(err)?;
        w = w.max(f64::from(tw));
    }
    let box_w = w + swatch + theme.px(16.0);
    let box_h = line_h * entries.len() as f64 + theme.px(8.0);
    if box_w > plot.width() * 0.9 || box_h > plot.height() * 0.9 {
        return Ok(());
    }
    let (x0, y0) = legend_corner(panel, map, box_w, box_h, theme.px(4.0));
    fill(root, &[(x0, y0), (x0 + box_w, y0), (x0 + box_w, y0 + box_h), (x0, y0 + box_h)], theme.legend_background)?;
    for (i, e) in entries.iter().enumerate() {
        let cy = y0 + theme.px(4.0) + line_h * (i as f64 + 0.5);
        let sx = x0 + theme.px(5.0);
        let style = theme.role(e.role);
        match e.kind {
            LayerKind::Points { .. } => {
                let pts = [(sx + swatch / 2.0, cy)];
                let inner = Rect { x0: sx, y0: cy - line_h, x1: sx + swatch, y1: cy + line_h };
                markers(root, &pts, e.role, inner, theme, stats)?;
            }
            LayerKind::Band { .. } | LayerKind::HSpan { .. } | LayerKind::Polygon { .. } => {
                let h = theme.px(5.0);
                fill(root, &[(sx, cy - h), (sx + swatch, cy - h), (sx + swatch, cy + h), (sx, cy + h)], style.fill)?;
            }
            _ => {
                let bounds = Rect { x0: sx - 1.0, y0: cy - 2.0, x1: sx + swatch + 1.0, y1: cy + 2.0 };
                polyline(root, &[(sx, cy), (sx + swatch, cy)], e.role, bounds, theme, stats)?;
            }
        }
        text(
            root,
            &e.label,
            (sx + swatch + theme.px(6.0), cy),
            &font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            stats,
        )?;
    }
    Ok(())
}
