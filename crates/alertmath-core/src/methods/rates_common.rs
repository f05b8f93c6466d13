//! Pieces the rate-of-change methods share: the present samples of a series (gaps
//! removed), the per-second / per-minute unit switch, a readable time axis, rolling
//! mean and standard deviation over a time window, and plot helpers for piecewise
//! quantities (a difference quotient holds over its whole interval).

use super::common::Series;
use super::promql::{check_times, to_ms};
use crate::error::InputError;
use crate::fmt::num;
use crate::plot::{Axis, Role};
use crate::spec::{Choice, ParamKind, ParamSpec};
use crate::stats::{mean, sum_sq_dev, Ddof};

/// The samples of a series that are present (not NaN), in time order, with their row
/// numbers and their times in Prometheus's whole milliseconds.
#[derive(Debug, Clone)]
pub struct Present {
    /// 0-based row of each present sample in the input.
    pub row: Vec<usize>,
    /// Time in seconds, as given or implied by the step.
    pub t: Vec<f64>,
    /// Time in whole milliseconds.
    pub ms: Vec<f64>,
    pub v: Vec<f64>,
    /// Whether some time was not a whole number of milliseconds (and was rounded).
    pub rounded_times: bool,
}

impl Present {
    pub fn of(series: &Series, field: &str) -> Result<Present, InputError> {
        check_times(&series.t, field)?;
        let mut p = Present { row: Vec::new(), t: Vec::new(), ms: Vec::new(), v: Vec::new(), rounded_times: false };
        for (i, (&t, &v)) in series.t.iter().zip(&series.v).enumerate() {
            if v.is_nan() {
                continue;
            }
            let ms = to_ms(t);
            if ms != t * 1000.0 {
                p.rounded_times = true;
            }
            p.row.push(i);
            p.t.push(t);
            p.ms.push(ms);
            p.v.push(v);
        }
        Ok(p)
    }

    pub fn len(&self) -> usize {
        self.v.len()
    }

    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// Pairs of neighbouring present samples with the same timestamp (1-based rows).
    pub fn equal_times(&self) -> Vec<(usize, usize)> {
        self.t
            .windows(2)
            .zip(self.row.windows(2))
            .filter(|(t, _)| t[0] == t[1])
            .map(|(_, r)| (r[0] + 1, r[1] + 1))
            .collect()
    }
}

/// The unit a rate is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    Second,
    Minute,
    Hour,
}

pub const UNIT_CHOICES: &[Choice] = &[
    Choice { id: "s", label: "per second (Prometheus)" },
    Choice { id: "min", label: "per minute" },
    Choice { id: "h", label: "per hour" },
];

/// The `unit` parameter with a default.
pub const fn unit_param(default: &'static str, help: &'static str) -> ParamSpec {
    ParamSpec {
        id: "unit",
        label: "Rate unit",
        unit: "",
        help,
        kind: ParamKind::Choice { default, options: UNIT_CHOICES },
    }
}

impl RateUnit {
    pub fn from_choice(id: &str) -> Self {
        match id {
            "min" => RateUnit::Minute,
            "h" => RateUnit::Hour,
            _ => RateUnit::Second,
        }
    }

    /// Seconds in one unit.
    pub fn seconds(self) -> f64 {
        match self {
            RateUnit::Second => 1.0,
            RateUnit::Minute => 60.0,
            RateUnit::Hour => 3600.0,
        }
    }

    /// "s", "min", "h".
    pub fn symbol(self) -> &'static str {
        match self {
            RateUnit::Second => "s",
            RateUnit::Minute => "min",
            RateUnit::Hour => "h",
        }
    }

    /// "/s", "/min"; and the square for accelerations.
    pub fn per(self) -> &'static str {
        match self {
            RateUnit::Second => "/s",
            RateUnit::Minute => "/min",
            RateUnit::Hour => "/h",
        }
    }

    /// "per second", "per minute", "per hour".
    pub fn per_word(self) -> &'static str {
        match self {
            RateUnit::Second => "per second",
            RateUnit::Minute => "per minute",
            RateUnit::Hour => "per hour",
        }
    }

    pub fn per_squared(self) -> &'static str {
        match self {
            RateUnit::Second => "/s²",
            RateUnit::Minute => "/min²",
            RateUnit::Hour => "/h²",
        }
    }
}

/// How times are shown on a plot: `(t − origin) / scale`, with a label.
#[derive(Debug, Clone)]
pub struct TimeAxis {
    pub origin: f64,
    pub scale: f64,
    pub unit: &'static str,
    pub label: String,
}

impl TimeAxis {
    /// Picks seconds, minutes, hours or days by the span; times that look like Unix
    /// timestamps are shown from the first sample.
    pub fn fit(t: &[f64]) -> TimeAxis {
        let first = t.iter().copied().find(|x| x.is_finite()).unwrap_or(0.0);
        let last = t.iter().rev().copied().find(|x| x.is_finite()).unwrap_or(first);
        let span = (last - first).abs();
        let (scale, unit) = if span < 600.0 {
            (1.0, "s")
        } else if span < 36_000.0 {
            (60.0, "min")
        } else if span < 4.0 * 86_400.0 {
            (3600.0, "h")
        } else {
            (86_400.0, "d")
        };
        let from_first = first.abs() >= 1e6;
        let origin = if from_first { first } else { 0.0 };
        let label =
            if from_first { format!("time since the first sample ({})", unit) } else { format!("time ({})", unit) };
        TimeAxis { origin, scale, unit, label }
    }

    pub fn x(&self, t: f64) -> f64 {
        (t - self.origin) / self.scale
    }

    /// The x axis, with a fixed range (so that stacked panels line up).
    pub fn axis(&self, t: &[f64]) -> Axis {
        let lo = t.iter().copied().filter(|x| x.is_finite()).fold(f64::INFINITY, f64::min);
        let hi = t.iter().copied().filter(|x| x.is_finite()).fold(f64::NEG_INFINITY, f64::max);
        let axis = Axis::linear(self.label.clone());
        if !(lo.is_finite() && hi.is_finite()) {
            return axis;
        }
        let (a, b) = (self.x(lo), self.x(hi));
        let pad = if b > a { (b - a) * 0.03 } else { 1.0 };
        axis.with_range(a - pad, b + pad)
    }
}

/// "1 sample", "3 samples".
pub fn n_samples(n: usize) -> String {
    format!("{} {}", crate::fmt::count(n), crate::input::plural(n, "sample", "samples"))
}

/// A duration for text: "90 s", "5 min", "1.5 h", "7 d".
pub fn duration(seconds: f64) -> String {
    let s = seconds.abs();
    if s.is_nan() {
        return "undefined".to_string();
    }
    if s < 120.0 {
        format!("{} s", num(seconds))
    } else if s < 7200.0 {
        format!("{} min", num(seconds / 60.0))
    } else if s < 2.0 * 86_400.0 {
        format!("{} h", num(seconds / 3600.0))
    } else {
        format!("{} d", num(seconds / 86_400.0))
    }
}

/// A time of day for times counted from a midnight: " (day 2, 09:00)"; empty for times
/// under an hour or that look like Unix timestamps.
pub fn clock(t: f64) -> String {
    if !(3600.0..1e8).contains(&t) {
        return String::new();
    }
    let day = (t / 86_400.0).floor();
    let rem = t - day * 86_400.0;
    let (h, m) = ((rem / 3600.0).floor(), ((rem % 3600.0) / 60.0).floor());
    format!(" (day {}, {:02}:{:02})", day as i64 + 1, h as i64, m as i64)
}

/// A quantity that holds over intervals `[x0[i], x1[i]]` with value `y[i]`, as plot data:
/// horizontal dashes with breaks between them when there are few, a line through the
/// interval midpoints when there are many (the dashes would be sub-pixel anyway).
pub fn piecewise(x0: &[f64], x1: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = x0.len().min(x1.len()).min(y.len());
    if n > 600 {
        let xs = (0..n).map(|i| (x0[i] + x1[i]) / 2.0).collect();
        return (xs, y[..n].to_vec());
    }
    let mut xs = Vec::with_capacity(3 * n);
    let mut ys = Vec::with_capacity(3 * n);
    for i in 0..n {
        if !y[i].is_finite() {
            continue;
        }
        // A zero-length interval still shows as a short dash.
        let (a, b) = if x1[i] > x0[i] { (x0[i], x1[i]) } else { (x0[i], x0[i]) };
        if !xs.is_empty() {
            xs.push(f64::NAN);
            ys.push(f64::NAN);
        }
        xs.push(a);
        ys.push(y[i]);
        xs.push(b);
        ys.push(y[i]);
    }
    (xs, ys)
}

/// Δv/Δt over the interval ending at each sample: NaN for the first sample and where
/// Δt is not positive.
pub fn difference_quotients(t: &[f64], v: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(v.len());
    if !v.is_empty() {
        out.push(f64::NAN);
    }
    out.extend(t.windows(2).zip(v.windows(2)).map(|(t, v)| {
        let dt = t[1] - t[0];
        if dt > 0.0 {
            (v[1] - v[0]) / dt
        } else {
            f64::NAN
        }
    }));
    out
}

/// The role for a secondary line through `n` points: its own dashed role for short series,
/// and the solid centre-line role for long ones. A dashed line through thousands of noisy
/// points turns into tens of thousands of dash strokes (seconds to draw), and at that
/// density the dashes would not be visible anyway.
pub fn solid_if_long(role: Role, n: usize) -> Role {
    if n > 1500 && matches!(role, Role::Alternative | Role::Threshold) {
        Role::Center
    } else {
        role
    }
}

/// Mean and standard deviation of `v` over trailing time windows: for each `i`, the values
/// `j` with `t[j]` in `(t[i] − w, t[i]]` (or `(t[i] − w, t[i])` when `include_current` is
/// off), skipping NaN. Exact two-pass per window when the work is small enough, sliding
/// Welford updates otherwise (with exact detection of constant windows).
#[derive(Debug, Clone)]
pub struct Rolling {
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
    pub count: Vec<usize>,
    /// Whether every window was computed directly (not by the sliding updates).
    pub exact: bool,
}

pub fn rolling(t: &[f64], v: &[f64], w: f64, include_current: bool, ddof: Ddof) -> Rolling {
    let n = t.len().min(v.len());
    // Window bounds over the indices: [lo, hi) with hi = i + 1 (or i when excluding).
    let mut lo = 0usize;
    let mut bounds = Vec::with_capacity(n);
    for i in 0..n {
        let start = t[i] - w;
        while lo < i && t[lo] <= start {
            lo += 1;
        }
        // Samples after i with the same time are not part of the past.
        bounds.push((lo, if include_current { i + 1 } else { i }));
    }
    let work: usize = bounds.iter().map(|&(a, b)| b.saturating_sub(a)).sum();
    let mut out = Rolling { mean: vec![f64::NAN; n], sd: vec![f64::NAN; n], count: vec![0; n], exact: true };
    if work <= super::promql::EXACT_BUDGET {
        let mut buf = Vec::new();
        for (i, &(a, b)) in bounds.iter().enumerate() {
            buf.clear();
            buf.extend(v[a.min(b)..b].iter().copied().filter(|x| !x.is_nan()));
            fill(&mut out, i, &buf, ddof);
        }
        return out;
    }
    out.exact = false;
    // Welford add/remove over the non-NaN values, plus monotone deques of the window's
    // minimum and maximum so that a constant window gets σ = 0 exactly.
    let (mut cnt, mut m, mut m2) = (0.0f64, 0.0f64, 0.0f64);
    let mut min_q: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut max_q: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let (mut a_prev, mut b_prev) = (0usize, 0usize);
    for (i, &(a, b)) in bounds.iter().enumerate() {
        while b_prev < b {
            let x = v[b_prev];
            if !x.is_nan() {
                cnt += 1.0;
                let d = x - m;
                m += d / cnt;
                m2 += d * (x - m);
                while max_q.back().is_some_and(|&j| v[j] <= x) {
                    max_q.pop_back();
                }
                max_q.push_back(b_prev);
                while min_q.back().is_some_and(|&j| v[j] >= x) {
                    min_q.pop_back();
                }
                min_q.push_back(b_prev);
            }
            b_prev += 1;
        }
        while a_prev < a.min(b_prev) {
            let x = v[a_prev];
            if !x.is_nan() {
                if cnt <= 1.0 {
                    cnt = 0.0;
                    m = 0.0;
                    m2 = 0.0;
                } else {
                    let c = cnt - 1.0;
                    let m_new = m - (x - m) / c;
                    m2 -= (x - m_new) * (x - m);
                    m = m_new;
                    cnt = c;
                }
            }
            a_prev += 1;
        }
        while min_q.front().is_some_and(|&j| j < a) {
            min_q.pop_front();
        }
        while max_q.front().is_some_and(|&j| j < a) {
            max_q.pop_front();
        }
        let k = cnt as usize;
        out.count[i] = k;
        if k == 0 {
            continue;
        }
        let constant = match (min_q.front(), max_q.front()) {
            (Some(&lo_i), Some(&hi_i)) => v[lo_i] == v[hi_i],
            _ => false,
        };
        out.mean[i] = if constant { min_q.front().map_or(m, |&j| v[j]) } else { m };
        let d = ddof.divisor(k);
        out.sd[i] = if d <= 0.0 {
            f64::NAN
        } else if constant {
            0.0
        } else {
            (m2.max(0.0) / d).sqrt()
        };
    }
    out
}

fn fill(out: &mut Rolling, i: usize, window: &[f64], ddof: Ddof) {
    let k = window.len();
    out.count[i] = k;
    if k == 0 {
        return;
    }
    let m = mean(window);
    out.mean[i] = m;
    let d = ddof.divisor(k);
    out.sd[i] = if d > 0.0 { (sum_sq_dev(window, m) / d).sqrt() } else { f64::NAN };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_windows_by_time() {
        let t = [0.0, 10.0, 20.0, 30.0, 40.0];
        let v = [0.0, 8.0, 8.0, 2.0, 3.0];
        // Prometheus's functions.test: stddev_over_time of 0 8 8 2 3 is 3.249615…
        let r = rolling(&t, &v, 60.0, true, Ddof::Population);
        assert!((r.sd[4] - 3.249_615_361_854_384).abs() < 1e-14, "{}", r.sd[4]);
        assert_eq!(r.count[4], 5);
        let r = rolling(&t, &v, 25.0, false, Ddof::Population);
        assert_eq!(r.count[4], 2); // 20 and 30: (15, 40)
        assert_eq!(r.mean[4], 5.0);
        assert_eq!(r.count[0], 0);
    }

    #[test]
    fn sliding_rolling_agrees_with_direct() {
        let n = 4000;
        let t: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let v: Vec<f64> =
            (0..n).map(|i| if (1000..1800).contains(&i) { 5.0 } else { ((i * 7919) % 97) as f64 * 0.1 }).collect();
        let direct = rolling(&t, &v, 300.0, true, Ddof::Population);
        assert!(direct.exact);
        // Force the sliding path with a window large enough to pass the budget.
        let big_t: Vec<f64> = (0..n).map(|i| i as f64 * 0.001).collect();
        let slid = rolling(&big_t, &v, 1e9, true, Ddof::Population);
        let whole = rolling(&big_t[..1], &v[..1], 1.0, true, Ddof::Population);
        assert_eq!(whole.count[0], 1);
        // The expanding window up to i = n − 1 is the whole series.
        let m = mean(&v);
        let sd = (sum_sq_dev(&v, m) / n as f64).sqrt();
        if !slid.exact {
            assert!((slid.sd[n - 1] - sd).abs() < 1e-10 * sd);
        }
        // Inside the constant stretch a 300-s window has σ = 0 exactly.
        assert_eq!(direct.sd[1500], 0.0);
    }

    #[test]
    fn piecewise_dashes_and_midpoints() {
        let (x, y) = piecewise(&[0.0, 1.0], &[1.0, 2.0], &[5.0, f64::NAN]);
        assert_eq!(x, vec![0.0, 1.0]);
        assert_eq!(y, vec![5.0, 5.0]);
    }
}
