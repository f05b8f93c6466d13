//! Pieces the forecasting models share (Holt-Winters, Prometheus's double exponential
//! smoothing, ARIMA, GARCH): where each sample sits on the x axis, how the residual
//! scale is estimated, and the "observed points, flagged ones highlighted" layers for a
//! series with gaps.
//!
//! These models step from one sample to the next: they assume equally spaced samples
//! and treat a `NaN` as a missing step. Timestamps, when given, only place the samples
//! and the forecasts on the x axis.

use super::common::Series;
use crate::analysis::Points;
use crate::plot::{Column, Layer, Role};
use crate::stats::median_in_place;

/// The x position of every sample and of the steps after the last one.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The sample's time in seconds when the series has timestamps, else its 1-based
    /// position (the initial state of a model sits at 0).
    pub x: Vec<f64>,
    /// The axis label.
    pub label: &'static str,
    /// The distance between two steps on that axis (the median spacing of the timestamps).
    pub dx: f64,
    /// Whether the timestamps are unevenly spaced (the models ignore the spacing).
    pub irregular: bool,
}

impl Timeline {
    pub fn of(series: &Series) -> Timeline {
        let n = series.len();
        if !series.timestamped {
            return Timeline { x: (1..=n).map(|i| i as f64).collect(), label: "step", dx: 1.0, irregular: false };
        }
        let mut diffs: Vec<f64> = series.t.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0.0).collect();
        let dx = if diffs.is_empty() { 1.0 } else { median_in_place(&mut diffs) };
        let dx = if dx.is_finite() && dx > 0.0 { dx } else { 1.0 };
        let irregular = series.t.windows(2).any(|w| ((w[1] - w[0]) - dx).abs() > 1e-6 * dx.abs().max(1e-300));
        Timeline { x: series.t.clone(), label: "time (s)", dx, irregular }
    }

    /// The x of the h-th step after the last sample (h = 0 is the last sample itself,
    /// or the initial state when there is none).
    pub fn ahead(&self, h: usize) -> f64 {
        let last = self.x.last().copied().unwrap_or(0.0);
        last + h as f64 * self.dx
    }

    /// The x of the step before the first sample (where an initial state sits).
    pub fn before_first(&self) -> f64 {
        self.x.first().map_or(0.0, |&x0| x0 - self.dx)
    }

    /// An x axis from the first sample to `h` steps after the last, padded as the charts
    /// pad a fitted axis, so that stacked panels line up.
    pub fn axis_through(&self, h: usize) -> crate::plot::Axis {
        let lo = self.x.first().copied().unwrap_or(0.0);
        let hi = self.ahead(h);
        let axis = crate::plot::Axis::linear(self.label);
        if hi > lo && lo.is_finite() && hi.is_finite() {
            let pad = (hi - lo) * 0.06;
            axis.with_range(lo - pad, hi + pad)
        } else {
            axis
        }
    }

    /// A note for unevenly spaced timestamps, if they are.
    pub fn irregular_note(&self) -> Option<String> {
        self.irregular.then(|| {
            format!(
                "The timestamps are unevenly spaced. The model steps from one sample to the next as if they were equally spaced (median spacing {} s); mark a missing scrape with a NaN row instead of leaving it out.",
                crate::fmt::num(self.dx)
            )
        })
    }
}

/// How the scale of the one-step residuals is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidualScale {
    /// √(Σe²/n): the maximum-likelihood σ of normal errors (statsmodels' ETS `mse`).
    Rms,
    /// 1.4826 × median |e − median(e)|: barely moved by the anomalies it should find.
    Mad,
}

/// The scale of the finite residuals and how many there were. NaN when there are none.
pub fn residual_scale(residuals: &[f64], kind: ResidualScale) -> (f64, usize) {
    let finite: Vec<f64> = residuals.iter().copied().filter(|e| e.is_finite()).collect();
    let n = finite.len();
    if n == 0 {
        return (f64::NAN, 0);
    }
    match kind {
        ResidualScale::Rms => (rms(&finite), n),
        ResidualScale::Mad => {
            let mut buf = finite.clone();
            let med = median_in_place(&mut buf);
            buf.clear();
            buf.extend(finite.iter().map(|e| (e - med).abs()));
            (crate::stats::MAD_TO_SD * median_in_place(&mut buf), n)
        }
    }
}

/// √(Σx²/n), scaled by the largest |x| first so that squares of 1e200 do not overflow.
pub fn rms(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let big = xs.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if big == 0.0 || !big.is_finite() {
        return big;
    }
    let squares: Vec<f64> = xs.iter().map(|x| (x / big) * (x / big)).collect();
    big * (crate::stats::sum(&squares) / xs.len() as f64).sqrt()
}

/// The per-point data of an analysis over a series with gaps: only the observed samples
/// (a gap has no value to score or draw), with the data and flagged layers sharing the
/// same columns.
pub fn observed_points(x: &[f64], y: &[f64], score: &[f64], flag: &[bool], score_label: &str) -> (Points, [Layer; 2]) {
    let keep: Vec<usize> = (0..y.len().min(x.len())).filter(|&i| y[i].is_finite()).collect();
    let px: Column = keep.iter().map(|&i| x[i]).collect();
    let py: Column = keep.iter().map(|&i| y[i]).collect();
    let ps: Vec<f64> = keep.iter().map(|&i| score.get(i).copied().unwrap_or(f64::NAN)).collect();
    let pf: Vec<bool> = keep.iter().map(|&i| flag.get(i).copied().unwrap_or(false)).collect();
    let fx: Vec<f64> = keep.iter().filter(|&&i| flag.get(i).copied().unwrap_or(false)).map(|&i| x[i]).collect();
    let fy: Vec<f64> = keep.iter().filter(|&&i| flag.get(i).copied().unwrap_or(false)).map(|&i| y[i]).collect();
    let layers = [
        Layer::points(px.clone(), py.clone(), Role::Data, "observed"),
        Layer::points(fx, fy, Role::Flagged, "flagged"),
    ];
    (Points { x: px, y: py, score: ps, flag: pf, score_label: score_label.to_string() }, layers)
}

/// The most segments of a band over a long series (see [`band`]).
pub const BAND_BUCKETS: usize = 2000;

/// A shaded band along a series. Beyond [`BAND_BUCKETS`] samples it is reduced to its
/// envelope over that many runs of consecutive samples (each run drawn from its first to
/// its last x at the run's lowest `lo` and highest `hi`), a gap breaking the run: the
/// canvas then fills a simple polygon instead of one that zigzags within every pixel
/// column, and no sample of the band is left outside it.
pub fn band(x: &[f64], lo: &[f64], hi: &[f64], label: impl Into<String>) -> Layer {
    let n = x.len().min(lo.len()).min(hi.len());
    if n <= BAND_BUCKETS {
        return Layer::band(x[..n].to_vec(), lo[..n].to_vec(), hi[..n].to_vec(), label);
    }
    let per = n.div_ceil(BAND_BUCKETS);
    let mut bx = Vec::with_capacity(2 * BAND_BUCKETS + 16);
    let mut blo = Vec::with_capacity(bx.capacity());
    let mut bhi = Vec::with_capacity(bx.capacity());
    let mut start = 0;
    while start < n {
        let end = (start + per).min(n);
        // Split the run at gaps so that the band still breaks where the data do.
        let mut i = start;
        while i < end {
            while i < end && !(lo[i].is_finite() && hi[i].is_finite()) {
                i += 1;
            }
            if i >= end {
                break;
            }
            let first = i;
            let (mut l, mut h) = (f64::INFINITY, f64::NEG_INFINITY);
            while i < end && lo[i].is_finite() && hi[i].is_finite() {
                l = l.min(lo[i]);
                h = h.max(hi[i]);
                i += 1;
            }
            bx.push(x[first]);
            blo.push(l);
            bhi.push(h);
            bx.push(x[i - 1]);
            blo.push(l);
            bhi.push(h);
            if i < end || end < n && !(lo[end].is_finite() && hi[end].is_finite()) {
                // A gap follows: break the band.
                bx.push(x[i.min(n - 1)]);
                blo.push(f64::NAN);
                bhi.push(f64::NAN);
            }
        }
        start = end;
    }
    Layer::band(bx, blo, bhi, label)
}

/// The longest series on which a comparison line (a dashed overlay) is drawn: beyond it
/// the dashes cost tens of thousands of canvas paths and add nothing the eye can follow.
/// Its value is still reported.
pub const MAX_OVERLAY: usize = 5000;

/// The most prediction errors drawn one by one, as segments; beyond it a line is clearer.
pub const MAX_STEMS: usize = 60;

/// Each one-step error as a segment from the prediction to the observation (short series
/// only; None beyond [`MAX_STEMS`] errors). The first segment carries the legend label.
pub fn error_segments(x: &[f64], predicted: &[f64], y: &[f64], label: &str) -> Option<Vec<Layer>> {
    let idx: Vec<usize> = (0..x.len().min(y.len()).min(predicted.len()))
        .filter(|&i| y[i].is_finite() && predicted[i].is_finite())
        .collect();
    if idx.is_empty() || idx.len() > MAX_STEMS {
        return None;
    }
    Some(
        idx.iter()
            .enumerate()
            .map(|(j, &i)| {
                Layer::segment(x[i], predicted[i], x[i], y[i], Role::Threshold, if j == 0 { label } else { "" })
                    .no_fit()
            })
            .collect(),
    )
}

/// The one-step errors for an error panel: stems from 0 for a short series, a line for a
/// long one.
pub fn error_layers(x: &[f64], errors: &[f64]) -> Vec<Layer> {
    let finite = errors.iter().filter(|e| e.is_finite()).count();
    if finite > 0 && finite <= MAX_STEMS {
        (0..x.len().min(errors.len()))
            .filter(|&i| errors[i].is_finite())
            .map(|i| Layer::segment(x[i], 0.0, x[i], errors[i], Role::Model, ""))
            .collect()
    } else {
        vec![Layer::line(x.to_vec(), errors.to_vec(), Role::Model, "")]
    }
}

/// A number as Unicode subscript digits, for state names: ℓ₁₂.
pub fn sub(n: usize) -> String {
    n.to_string()
        .chars()
        .map(|c| match c {
            '0' => '₀',
            '1' => '₁',
            '2' => '₂',
            '3' => '₃',
            '4' => '₄',
            '5' => '₅',
            '6' => '₆',
            '7' => '₇',
            '8' => '₈',
            '9' => '₉',
            other => other,
        })
        .collect()
}

/// A cell for a table: the number, or empty for a missing one.
pub fn cell(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        crate::fmt::num(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_survives_huge_values() {
        assert_eq!(rms(&[3.0, -4.0]), (12.5f64).sqrt());
        assert!((rms(&[1e200, 1e200]) - 1e200).abs() < 1e186);
        assert!(rms(&[]).is_nan());
    }

    #[test]
    fn timeline_of_a_plain_series_counts_steps() {
        let s = Series { t: vec![0.0, 60.0, 120.0], v: vec![1.0, 2.0, 3.0], timestamped: false };
        let tl = Timeline::of(&s);
        assert_eq!((tl.ahead(0), tl.dx), (3.0, 1.0));
        assert_eq!(tl.x, vec![1.0, 2.0, 3.0]);
        let s = Series { t: vec![0.0, 60.0, 180.0, 240.0], v: vec![1.0; 4], timestamped: true };
        let tl = Timeline::of(&s);
        assert_eq!((tl.dx, tl.irregular, tl.ahead(2)), (60.0, true, 360.0));
    }

    #[test]
    fn a_long_band_becomes_its_envelope() {
        let n = 10_000;
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let lo: Vec<f64> = (0..n).map(|i| -((i % 7) as f64)).collect();
        let hi: Vec<f64> = (0..n).map(|i| (i % 5) as f64).collect();
        let layer = band(&x, &lo, &hi, "b");
        let crate::plot::LayerKind::Band { x: bx, lo: blo, hi: bhi } = &layer.kind else { panic!("not a band") };
        assert!(bx.len() <= 2 * BAND_BUCKETS + 2, "{}", bx.len());
        assert_eq!(blo.iter().copied().fold(f64::INFINITY, f64::min), -6.0);
        assert_eq!(bhi.iter().copied().fold(f64::NEG_INFINITY, f64::max), 4.0);
        // A short band is kept as it is.
        let short = band(&x[..10], &lo[..10], &hi[..10], "");
        assert_eq!(short.kind.len(), 10);
    }

    #[test]
    fn subscripts() {
        assert_eq!(sub(120), "₁₂₀");
    }
}
