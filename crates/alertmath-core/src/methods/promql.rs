//! Prometheus's own arithmetic for the range functions the derivative lessons use:
//! `deriv`, `predict_linear` and `idelta` over a range `[w]`, and the instant lookup
//! behind `metric offset d`. Written from the definitions in Prometheus's
//! `promql/functions.go` (v3): timestamps are whole milliseconds, a range `[w]`
//! evaluated at `t` holds the samples in `(t − w, t]` (Prometheus 2 used `[t − w, t]`),
//! and the least-squares slope is summed with Kahan–Neumaier compensation, with the
//! time origin at the first sample of the range for `deriv` and at the evaluation time
//! for `predict_linear`.
//!
//! Everything here works on the present samples of a series (gaps removed), in time
//! order; nothing panics on any input.

use crate::error::InputError;
use crate::fmt::num;

/// Timestamps Prometheus can hold: int64 milliseconds, about ±292 million years; we keep
/// to ±9 × 10¹² s so that milliseconds stay exact integers in a double.
pub const MAX_ABS_TIME: f64 = 9.0e12;

/// Whether a range includes a sample exactly `w` before the evaluation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeEdge {
    /// `(t − w, t]`: Prometheus 3 and later.
    Open,
    /// `[t − w, t]`: Prometheus 2.
    Closed,
}

impl RangeEdge {
    pub fn from_choice(id: &str) -> Self {
        if id == "closed" {
            RangeEdge::Closed
        } else {
            RangeEdge::Open
        }
    }

    /// The interval as written in a step: `(t − w, t]`.
    pub fn interval(self) -> &'static str {
        match self {
            RangeEdge::Open => "(t − w, t]",
            RangeEdge::Closed => "[t − w, t]",
        }
    }
}

/// Choices for a range-edge parameter.
pub const RANGE_EDGE_CHOICES: &[crate::spec::Choice] = &[
    crate::spec::Choice { id: "open", label: "(t − w, t]: Prometheus 3" },
    crate::spec::Choice { id: "closed", label: "[t − w, t]: Prometheus 2" },
];

/// A time in seconds as Prometheus stores it: whole milliseconds (as an exact double).
pub fn to_ms(t: f64) -> f64 {
    (t * 1000.0).round()
}

/// Refuses timestamps Prometheus could not store as int64 milliseconds.
pub fn check_times(t: &[f64], field: &str) -> Result<(), InputError> {
    if let Some((i, &x)) = t.iter().enumerate().find(|(_, x)| x.abs() > MAX_ABS_TIME) {
        return Err(InputError::unsupported(format!(
            "Timestamp {} is {} s; use seconds between −9e12 and 9e12 (Prometheus keeps milliseconds in 64 bits, and so do the calculations here).",
            i + 1,
            num(x)
        ))
        .in_field(field)
        .at(i + 1));
    }
    Ok(())
}

/// One step of Kahan summation with Neumaier's improvement, as Prometheus's
/// `kahansum.Inc`: returns the new sum and the new compensation (reset on overflow).
pub fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    if t.is_infinite() {
        (t, 0.0)
    } else if sum.abs() >= inc.abs() {
        (t, c + ((sum - t) + inc))
    } else {
        (t, c + ((inc - t) + sum))
    }
}

/// The sums of a least-squares fit, kept for the trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Regression {
    pub n: usize,
    pub sum_x: f64,
    pub sum_y: f64,
    pub sum_xy: f64,
    pub sum_x2: f64,
    pub cov_xy: f64,
    pub var_x: f64,
    /// Per second.
    pub slope: f64,
    /// The fitted value at the origin.
    pub intercept: f64,
    /// Whether every y was equal (Prometheus then answers slope 0 without dividing).
    pub constant_y: bool,
}

/// Prometheus's `linearRegression`: value on time in seconds from `origin_ms`, over the
/// samples `(ms[i], v[i])`. Needs at least one sample; with all times equal and the
/// values not, the slope is 0/0 or ±x/0 (NaN or ±∞), as in Prometheus.
pub fn linear_regression(ms: &[f64], v: &[f64], origin_ms: f64) -> Regression {
    regression(ms.iter().zip(v).map(|(&t, &y)| ((t - origin_ms) / 1e3, y)))
}

/// The least-squares fit behind `linear_regression`, over `(x, y)` pairs with x already
/// in seconds from the origin (the PromQL evaluator passes integer milliseconds).
pub fn regression(points: impl Iterator<Item = (f64, f64)>) -> Regression {
    let (mut n, mut sx, mut cx, mut sy, mut cy, mut sxy, mut cxy, mut sx2, mut cx2) =
        (0.0f64, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let mut first = f64::NAN;
    let mut constant_y = true;
    let mut count = 0usize;
    for (i, (x, y)) in points.enumerate() {
        if i == 0 {
            first = y;
        } else if constant_y && y != first {
            constant_y = false;
        }
        count += 1;
        n += 1.0;
        (sx, cx) = kahan_inc(x, sx, cx);
        (sy, cy) = kahan_inc(y, sy, cy);
        (sxy, cxy) = kahan_inc(x * y, sxy, cxy);
        (sx2, cx2) = kahan_inc(x * x, sx2, cx2);
    }
    if constant_y {
        let (slope, intercept) = if first.is_infinite() { (f64::NAN, f64::NAN) } else { (0.0, first) };
        return Regression {
            n: count,
            sum_x: sx + cx,
            sum_y: sy + cy,
            sum_xy: sxy + cxy,
            sum_x2: sx2 + cx2,
            cov_xy: 0.0,
            var_x: f64::NAN,
            slope,
            intercept,
            constant_y: true,
        };
    }
    let (sx, sy, sxy, sx2) = (sx + cx, sy + cy, sxy + cxy, sx2 + cx2);
    let cov_xy = sxy - sx * sy / n;
    let var_x = sx2 - sx * sx / n;
    let slope = cov_xy / var_x;
    let intercept = sy / n - slope * sx / n;
    Regression {
        n: count,
        sum_x: sx,
        sum_y: sy,
        sum_xy: sxy,
        sum_x2: sx2,
        cov_xy,
        var_x,
        slope,
        intercept,
        constant_y: false,
    }
}

/// The first index of the range `[w]` evaluated at `ms[end]`, for each `end`: the samples
/// `first[end]..=end` lie in `(t − w, t]` (or `[t − w, t]`). Samples after `end` with the
/// same timestamp are left out, as if the evaluation came between them. O(n).
pub fn range_starts(ms: &[f64], w_ms: f64, edge: RangeEdge) -> Vec<usize> {
    let mut out = Vec::with_capacity(ms.len());
    let mut lo = 0usize;
    for (end, &t) in ms.iter().enumerate() {
        let start = t - w_ms;
        while lo < end {
            let inside = match edge {
                RangeEdge::Open => ms[lo] > start,
                RangeEdge::Closed => ms[lo] >= start,
            };
            if inside {
                break;
            }
            lo += 1;
        }
        out.push(lo);
    }
    out
}

/// The index of the sample an instant selector returns at time `at_ms`: the latest one at
/// or before it and after `at_ms − lookback_ms` (Prometheus's lookback delta, 5 minutes by
/// default; left-open since Prometheus 3). `None` when there is none.
pub fn instant_at(ms: &[f64], at_ms: f64, lookback_ms: f64) -> Option<usize> {
    // The number of samples at or before `at_ms` (ms is sorted).
    let count = ms.partition_point(|&t| t <= at_ms);
    let i = count.checked_sub(1)?;
    (ms[i] > at_ms - lookback_ms).then_some(i)
}

/// [`instant_at`] for every sample at once: the sample an instant selector returns at
/// `ms[k] − offset_ms` for each `k`. The looked-up times increase with `k`, so one pointer
/// walks the series once: O(n) instead of a binary search per sample.
pub fn instant_at_offsets(ms: &[f64], offset_ms: f64, lookback_ms: f64) -> Vec<Option<usize>> {
    let mut out = Vec::with_capacity(ms.len());
    let mut count = 0usize; // samples at or before the current target
    for &t in ms {
        let at = t - offset_ms;
        while count < ms.len() && ms[count] <= at {
            count += 1;
        }
        out.push(count.checked_sub(1).filter(|&i| ms[i] > at - lookback_ms));
    }
    out
}

/// Sliding first and second co-moments of (x, y) over a window that gains samples at the
/// end and loses them at the start (Welford's updates): the fallback for per-point slopes
/// when recomputing each window would cost too much. Agrees with the exact sums to about
/// 1e-12 relative on ordinary data.
#[derive(Debug, Default, Clone, Copy)]
pub struct SlidingFit {
    n: f64,
    mx: f64,
    my: f64,
    sxx: f64,
    sxy: f64,
}

impl SlidingFit {
    pub fn add(&mut self, x: f64, y: f64) {
        self.n += 1.0;
        let dx = x - self.mx;
        self.mx += dx / self.n;
        self.my += (y - self.my) / self.n;
        self.sxx += dx * (x - self.mx);
        self.sxy += dx * (y - self.my);
    }

    pub fn remove(&mut self, x: f64, y: f64) {
        if self.n <= 1.0 {
            *self = SlidingFit::default();
            return;
        }
        let n = self.n - 1.0;
        let mx = self.mx - (x - self.mx) / n;
        let my = self.my - (y - self.my) / n;
        self.sxx -= (x - mx) * (x - self.mx);
        self.sxy -= (x - mx) * (y - self.my);
        self.n = n;
        self.mx = mx;
        self.my = my;
    }

    pub fn slope(&self) -> f64 {
        if self.sxx > 0.0 {
            self.sxy / self.sxx
        } else {
            f64::NAN
        }
    }
}

/// The most window-sample visits the exact per-point recomputation may take before the
/// sliding fallback is used (a few milliseconds of work).
pub const EXACT_BUDGET: usize = 3_000_000;

/// Per-point `deriv(v[w])` evaluated at every sample time: the exact Prometheus arithmetic
/// for each range when the total work is within [`EXACT_BUDGET`], sliding sums otherwise.
/// NaN where the range holds fewer than two samples or all its timestamps are equal.
/// Returns the slopes and whether they are exact.
pub fn deriv_series(ms: &[f64], v: &[f64], starts: &[usize]) -> (Vec<f64>, bool) {
    let n = ms.len().min(v.len()).min(starts.len());
    let work: usize = (0..n).map(|i| i + 1 - starts[i].min(i)).sum();
    let mut out = vec![f64::NAN; n];
    if work <= EXACT_BUDGET {
        for (end, slot) in out.iter_mut().enumerate() {
            let start = starts[end].min(end);
            if end > start {
                let r = linear_regression(&ms[start..=end], &v[start..=end], ms[start]);
                *slot = r.slope;
            }
        }
        return (out, true);
    }
    // Sliding fallback: x in seconds from the first sample, which keeps x exact for whole
    // milliseconds.
    let origin = ms.first().copied().unwrap_or(0.0);
    let x = |i: usize| (ms[i] - origin) / 1e3;
    let mut fit = SlidingFit::default();
    let mut lo = 0usize;
    let mut constant_run = 0usize; // length of the run of equal values ending at `end`
    for end in 0..n {
        fit.add(x(end), v[end]);
        constant_run = if end > 0 && v[end] == v[end - 1] { constant_run + 1 } else { 1 };
        let start = starts[end].min(end);
        while lo < start {
            fit.remove(x(lo), v[lo]);
            lo += 1;
        }
        if end > start {
            out[end] = if constant_run > end - start {
                if v[end].is_infinite() {
                    f64::NAN
                } else {
                    0.0
                }
            } else if ms[start] == ms[end] {
                f64::NAN
            } else {
                fit.slope()
            };
        }
    }
    (out, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Prometheus's promql/promqltest/testdata/functions.test: "load 5m" of
    // 0+10x4 0+10x5, i.e. 0, 10, 20, 30, 40, 0, 10, 20, 30, 40, 50 at 0, 5m, …, 50m.
    fn reset_middle() -> (Vec<f64>, Vec<f64>) {
        let ms: Vec<f64> = (0..11).map(|i| i as f64 * 300_000.0).collect();
        let v = vec![0.0, 10.0, 20.0, 30.0, 40.0, 0.0, 10.0, 20.0, 30.0, 40.0, 50.0];
        (ms, v)
    }

    #[test]
    fn deriv_and_predict_linear_match_prometheus_test_data() {
        let (ms, v) = reset_middle();
        // deriv(testcounter_reset_middle_total[100m]) at 50m = 0.010606060606060607
        let r = linear_regression(&ms, &v, ms[0]);
        assert_eq!(r.slope, 0.010606060606060607);
        // predict_linear(testcounter_reset_middle_total[50m], 3600) at 50m = 70: the
        // left-open range drops the sample at 0.
        let starts = range_starts(&ms, 3_000_000.0, RangeEdge::Open);
        assert_eq!(starts[10], 1);
        let r = linear_regression(&ms[1..], &v[1..], ms[10]);
        assert!((r.slope * 3600.0 + r.intercept - 70.0).abs() < 1e-12);
        // With the Prometheus 2 closed range all 11 samples count: 76.81818181818181.
        let r = linear_regression(&ms, &v, ms[10]);
        assert!((r.slope * 3600.0 + r.intercept - 76.81818181818181).abs() < 1e-12);
    }

    #[test]
    fn the_memory_leak_slope_is_half_a_percent_per_second() {
        let r = linear_regression(&[0.0, 60_000.0, 120_000.0], &[20.0, 21.0, 80.0], 0.0);
        assert_eq!(r.slope, 0.5);
    }

    #[test]
    fn constant_values_and_equal_times() {
        let r = linear_regression(&[0.0, 0.0], &[5.0, 5.0], 0.0);
        assert_eq!((r.slope, r.intercept, r.constant_y), (0.0, 5.0, true));
        let r = linear_regression(&[0.0, 0.0], &[5.0, 6.0], 0.0);
        assert!(r.slope.is_nan());
    }

    #[test]
    fn instant_lookup_uses_the_lookback() {
        let ms = [0.0, 60_000.0, 120_000.0];
        assert_eq!(instant_at(&ms, 90_000.0, 300_000.0), Some(1));
        assert_eq!(instant_at(&ms, 60_000.0, 300_000.0), Some(1));
        assert_eq!(instant_at(&ms, -1.0, 300_000.0), None);
        assert_eq!(instant_at(&ms, 500_000.0, 300_000.0), None);
    }

    #[test]
    fn offsets_in_one_pass_match_single_lookups() {
        let ms: Vec<f64> = (0..500).map(|i| (i * 60_000 + (i * 7919) % 50_000) as f64).collect();
        for (off, lb) in [(0.0, 1.0), (120_000.0, 300_000.0), (3_600_000.0, 90_000.0), (1e9, 300_000.0)] {
            let all = instant_at_offsets(&ms, off, lb);
            for (k, got) in all.iter().enumerate() {
                assert_eq!(*got, instant_at(&ms, ms[k] - off, lb), "offset {off}, k {k}");
            }
        }
    }

    #[test]
    fn sliding_slopes_agree_with_exact_ones() {
        let n = 3000;
        let ms: Vec<f64> = (0..n).map(|i| i as f64 * 1000.0 + if i % 7 == 0 { 250.0 } else { 0.0 }).collect();
        let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 + 1e6 + i as f64 * 0.5).collect();
        let starts = range_starts(&ms, 600_000.0, RangeEdge::Open);
        let (exact, is_exact) = deriv_series(&ms, &v, &starts);
        assert!(is_exact);
        let mut fit = SlidingFit::default();
        let mut lo = 0;
        for end in 0..n {
            fit.add(ms[end] / 1e3, v[end]);
            while lo < starts[end] {
                fit.remove(ms[lo] / 1e3, v[lo]);
                lo += 1;
            }
            if end > starts[end] {
                let rel = (fit.slope() - exact[end]).abs() / exact[end].abs().max(1e-3);
                assert!(rel < 1e-9, "{end}: {} vs {}", fit.slope(), exact[end]);
            }
        }
    }
}
