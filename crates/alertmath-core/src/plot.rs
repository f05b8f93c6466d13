//! The plot a method asks for, as plain data: panels of layers with semantic roles.
//! `alertmath-charts` turns it into pixels; the core never draws.

use serde::Serialize;
use std::sync::Arc;

/// A column of plot data. Shared, so that a layer and the analysis's per-point data
/// can hold the same 100,000 values without copying them.
pub type Column = Arc<[f64]>;

/// A figure: one or more panels stacked vertically, sharing the width.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plot {
    pub panels: Vec<Panel>,
    /// Whether the panels share one x axis (a decomposition, a chart over the same
    /// time): one x range for all, aligned plot areas, and tick labels and the axis
    /// title under the last panel only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shared_x: bool,
}

impl Plot {
    pub fn single(panel: Panel) -> Self {
        Plot { panels: vec![panel], shared_x: false }
    }

    /// Panels with x axes of their own (an error-vs-step curve under a function, say).
    pub fn independent(panels: Vec<Panel>) -> Self {
        Plot { panels, shared_x: false }
    }

    /// Panels stacked over one shared x axis (see [`Plot::shared_x`]).
    pub fn stacked(panels: Vec<Panel>) -> Self {
        Plot { panels, shared_x: true }
    }

    /// One sentence per panel for screen readers: what is on each axis and how many
    /// points are highlighted.
    pub fn describe(&self) -> String {
        self.panels
            .iter()
            .map(|p| {
                let flagged: usize = p.layers.iter().filter(|l| l.role == Role::Flagged).map(|l| l.kind.len()).sum();
                let points: usize = p.layers.iter().filter(|l| l.role == Role::Data).map(|l| l.kind.len()).sum();
                let title = if p.title.is_empty() { String::new() } else { format!("{}: ", p.title) };
                format!("{}{} against {}, {} data points, {} flagged.", title, p.y.label, p.x.label, points, flagged)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One panel: two axes and the layers drawn in order (later layers on top).
#[derive(Debug, Clone, Serialize)]
pub struct Panel {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub layers: Vec<Layer>,
    /// Relative height among the panels of a plot.
    pub weight: f64,
    /// Whether a unit on the x axis is drawn as long as a unit on the y axis (for shapes,
    /// such as a square and its image under a map). The chart widens whichever range is
    /// needed, about its centre; it applies when both axes are linear.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub equal_aspect: bool,
}

impl Panel {
    pub fn new(title: impl Into<String>, x: Axis, y: Axis) -> Self {
        Panel { title: title.into(), x, y, layers: Vec::new(), weight: 1.0, equal_aspect: false }
    }

    /// Draws the panel with equal units on both axes (see [`Panel::equal_aspect`]).
    pub fn equal_aspect(mut self) -> Self {
        self.equal_aspect = true;
        self
    }

    pub fn layer(mut self, layer: Layer) -> Self {
        self.layers.push(layer);
        self
    }

    pub fn push(&mut self, layer: Layer) {
        self.layers.push(layer);
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Axis {
    pub label: String,
    /// Logarithmic (base 10) scale; values that are not positive are not drawn.
    pub log: bool,
    /// A fixed range; otherwise the range fits the layers that have `fit` set.
    pub range: Option<[f64; 2]>,
    /// Ticks only at whole numbers (counts: passes, lags, windows).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub integer: bool,
}

impl Axis {
    pub fn linear(label: impl Into<String>) -> Self {
        Axis { label: label.into(), log: false, range: None, integer: false }
    }

    pub fn log(label: impl Into<String>) -> Self {
        Axis { label: label.into(), log: true, range: None, integer: false }
    }

    pub fn with_range(mut self, lo: f64, hi: f64) -> Self {
        self.range = Some([lo, hi]);
        self
    }

    /// Puts ticks at whole numbers only.
    pub fn integer(mut self) -> Self {
        self.integer = true;
        self
    }
}

/// One thing drawn in a panel.
#[derive(Debug, Clone, Serialize)]
pub struct Layer {
    #[serde(flatten)]
    pub kind: LayerKind,
    pub role: Role,
    /// Legend text; empty for no legend entry.
    pub label: String,
    /// Whether the automatic axis ranges include this layer.
    pub fit: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LayerKind {
    /// Markers at (x, y).
    Points { x: Column, y: Column },
    /// A polyline; a NaN breaks it.
    Line { x: Column, y: Column },
    /// A right-continuous step function (an ECDF): y[i] holds from x[i] to x[i+1].
    Steps { x: Column, y: Column },
    /// A horizontal line across the panel.
    HLine { y: f64 },
    /// A vertical line across the panel.
    VLine { x: f64 },
    /// A shaded band between lo and hi along x.
    Band { x: Column, lo: Column, hi: Column },
    /// A shaded horizontal span across the panel.
    HSpan { lo: f64, hi: f64 },
    /// A straight segment (the K-S distance, a forecast step).
    Segment { x0: f64, y0: f64, x1: f64, y1: f64 },
    /// A closed polygon (the image of a square under a Jacobian).
    Polygon { x: Column, y: Column },
    /// A text label anchored at (x, y).
    Text { x: f64, y: f64, text: String },
}

impl LayerKind {
    /// How many data items the layer holds.
    pub fn len(&self) -> usize {
        match self {
            LayerKind::Points { x, .. }
            | LayerKind::Line { x, .. }
            | LayerKind::Steps { x, .. }
            | LayerKind::Band { x, .. }
            | LayerKind::Polygon { x, .. } => x.len(),
            _ => 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a layer means; the chart maps roles to colours, marker shapes and dashes that
/// stay distinguishable for colour-blind readers and in dark mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The reader's data.
    Data,
    /// Points the method flags.
    Flagged,
    /// A point the lesson singles out (the guide's test point, a forecast).
    Highlight,
    /// A decision threshold or fence.
    Threshold,
    /// A centre line (mean, median, target).
    Center,
    /// A model's fit or forecast.
    Model,
    /// The same quantity under another convention (the PromQL form, another quantile type).
    Alternative,
    /// A shaded region (interquartile box, prediction band).
    Band,
    /// Annotation (labels, the K-S distance marker).
    Marker,
}

impl Layer {
    fn new(kind: LayerKind, role: Role, label: impl Into<String>) -> Self {
        Layer { kind, role, label: label.into(), fit: true }
    }

    pub fn points(x: impl Into<Column>, y: impl Into<Column>, role: Role, label: impl Into<String>) -> Self {
        Layer::new(LayerKind::Points { x: x.into(), y: y.into() }, role, label)
    }

    pub fn line(x: impl Into<Column>, y: impl Into<Column>, role: Role, label: impl Into<String>) -> Self {
        Layer::new(LayerKind::Line { x: x.into(), y: y.into() }, role, label)
    }

    pub fn steps(x: impl Into<Column>, y: impl Into<Column>, role: Role, label: impl Into<String>) -> Self {
        Layer::new(LayerKind::Steps { x: x.into(), y: y.into() }, role, label)
    }

    pub fn hline(y: f64, role: Role, label: impl Into<String>) -> Self {
        Layer::new(LayerKind::HLine { y }, role, label)
    }

    pub fn vline(x: f64, role: Role, label: impl Into<String>) -> Self {
        Layer::new(LayerKind::VLine { x }, role, label)
    }

    pub fn band(x: impl Into<Column>, lo: impl Into<Column>, hi: impl Into<Column>, label: impl Into<String>) -> Self {
        Layer::new(LayerKind::Band { x: x.into(), lo: lo.into(), hi: hi.into() }, Role::Band, label)
    }

    pub fn hspan(lo: f64, hi: f64, label: impl Into<String>) -> Self {
        Layer::new(LayerKind::HSpan { lo, hi }, Role::Band, label)
    }

    pub fn segment(x0: f64, y0: f64, x1: f64, y1: f64, role: Role, label: impl Into<String>) -> Self {
        Layer::new(LayerKind::Segment { x0, y0, x1, y1 }, role, label)
    }

    pub fn polygon(x: impl Into<Column>, y: impl Into<Column>, role: Role, label: impl Into<String>) -> Self {
        Layer::new(LayerKind::Polygon { x: x.into(), y: y.into() }, role, label)
    }

    pub fn text(x: f64, y: f64, text: impl Into<String>) -> Self {
        Layer::new(LayerKind::Text { x, y, text: text.into() }, Role::Marker, "")
    }

    /// Leaves the layer out of the automatic axis ranges.
    pub fn no_fit(mut self) -> Self {
        self.fit = false;
        self
    }
}
