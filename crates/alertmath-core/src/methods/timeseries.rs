//! Pieces the smoothing methods (STL, EWMA, moving averages) share: the time axis of a
//! series, linear interpolation across gaps, a compensated sliding-window mean, and the
//! exponential moving average with its starting conventions.
//!
//! These methods work on the order of the samples, as pandas and statsmodels do: a
//! window of n points is n samples, a period of 24 is 24 samples. Timestamps, when the
//! reader gives them, only place the samples on the time axis.

use super::common::Series;
use crate::fmt::num;
use crate::plot::Column;
use crate::spec::Choice;

/// The unit of a time axis: its label and how many seconds it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeUnit {
    pub name: &'static str,
    pub seconds: f64,
}

const UNITS: [TimeUnit; 5] = [
    TimeUnit { name: "s", seconds: 1.0 },
    TimeUnit { name: "min", seconds: 60.0 },
    TimeUnit { name: "h", seconds: 3600.0 },
    TimeUnit { name: "days", seconds: 86_400.0 },
    TimeUnit { name: "weeks", seconds: 604_800.0 },
];

/// The largest unit of which the series spans at least two (seconds when it spans less).
pub fn time_unit(span_seconds: f64) -> TimeUnit {
    let mut unit = UNITS[0];
    for u in UNITS {
        // Weeks only for long series: days read better up to about two months.
        let needed = if u.name == "weeks" { 9.0 } else { 2.0 };
        if span_seconds.is_finite() && span_seconds >= needed * u.seconds {
            unit = u;
        }
    }
    unit
}

/// The x values of a series: time since its first sample, in `unit`.
pub fn elapsed(series: &Series, unit: TimeUnit) -> Column {
    let t0 = series.t.first().copied().unwrap_or(0.0);
    series.t.iter().map(|&t| (t - t0) / unit.seconds).collect()
}

/// The time axis of a series: its unit, the x column, and the axis label.
pub fn time_axis(series: &Series) -> (TimeUnit, Column, String) {
    let span = match (series.t.first(), series.t.last()) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    let unit = time_unit(span);
    let label = if series.timestamped {
        format!("time since the first sample ({})", unit.name)
    } else {
        format!("time ({})", unit.name)
    };
    (unit, elapsed(series, unit), label)
}

/// A sentence when the timestamps are not evenly spaced: these methods count samples,
/// so uneven spacing changes what a window or a period means.
pub fn spacing_caveat(series: &Series) -> Option<String> {
    if !series.timestamped || series.t.len() < 3 {
        return None;
    }
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for w in series.t.windows(2) {
        let d = w[1] - w[0];
        lo = lo.min(d);
        hi = hi.max(d);
    }
    if hi - lo <= 1e-9 * hi.abs().max(1.0) {
        return None;
    }
    Some(format!(
        "The timestamps are not evenly spaced (from {} s to {} s apart). Windows and periods here count samples, not seconds, so a missing scrape shortens a window in time; put NaN where a sample is missing to keep the count right.",
        num(lo),
        num(hi)
    ))
}

/// The values with every NaN replaced by linear interpolation between its observed
/// neighbours (the nearest observed value before the first or after the last
/// observation), and how many were filled. All NaN stays all NaN.
pub fn interpolate_gaps(v: &[f64]) -> (Vec<f64>, usize) {
    let mut out = v.to_vec();
    let observed: Vec<usize> = v.iter().enumerate().filter(|(_, x)| !x.is_nan()).map(|(i, _)| i).collect();
    let filled = v.len() - observed.len();
    let (Some(&first), Some(&last)) = (observed.first(), observed.last()) else {
        return (out, filled);
    };
    if filled == 0 {
        return (out, 0);
    }
    let first_value = v[first];
    let last_value = v[last];
    for x in out.iter_mut().take(first) {
        *x = first_value;
    }
    for x in out.iter_mut().skip(last + 1) {
        *x = last_value;
    }
    for pair in observed.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if b > a + 1 {
            let (ya, yb) = (v[a], v[b]);
            let span = (b - a) as f64;
            for (k, x) in out.iter_mut().enumerate().take(b).skip(a + 1) {
                let g = (k - a) as f64 / span;
                *x = crate::stats::lerp(ya, yb, g);
            }
        }
    }
    (out, filled)
}

/// A running sum with Neumaier's compensation that values can be added to and removed
/// from: the sliding window of a moving average keeps its last digits over 100,000
/// steps (1e9 + noise included).
#[derive(Debug, Clone, Copy, Default)]
pub struct RunningSum {
    sum: f64,
    compensation: f64,
}

impl RunningSum {
    pub fn add(&mut self, x: f64) {
        // The rounding error of sum + x, exactly, by Knuth's branch-free TwoSum: the same
        // number as Neumaier's two-case form (both are the exact error), without a branch
        // on the magnitudes that a noisy series mispredicts half the time.
        let t = self.sum + x;
        let b = t - self.sum;
        self.compensation += (self.sum - (t - b)) + (x - b);
        self.sum = t;
    }

    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// Whether a simple moving average needs a full window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowStart {
    /// The mean of the samples so far until the window fills (PromQL's avg_over_time).
    Partial,
    /// Undefined until the window holds n observed samples (pandas' rolling(n).mean()).
    Full,
}

pub const WINDOW_START_CHOICES: &[Choice] = &[
    Choice { id: "partial", label: "mean of what is there (PromQL avg_over_time)" },
    Choice { id: "full", label: "undefined until n samples (pandas rolling)" },
];

impl WindowStart {
    pub fn from_id(id: &str) -> Self {
        if id == "full" {
            WindowStart::Full
        } else {
            WindowStart::Partial
        }
    }
}

/// The simple moving average of the last `n` samples at every point, in O(len): the
/// mean of the observed samples among the last n (NaN are left out). NaN where the
/// window holds no observed sample, or, with [`WindowStart::Full`], fewer than n.
pub fn sma(v: &[f64], n: usize, start: WindowStart) -> Vec<f64> {
    let n = n.max(1);
    let mut out = Vec::with_capacity(v.len());
    let mut sum = RunningSum::default();
    let mut count = 0usize;
    // Re-summing the window from scratch now and then keeps the running sum from
    // drifting when values of very different sizes pass through it.
    let refresh = n.max(1024);
    for i in 0..v.len() {
        let x = v[i];
        if !x.is_nan() {
            sum.add(x);
            count += 1;
        }
        if i >= n {
            let old = v[i - n];
            if !old.is_nan() {
                sum.add(-old);
                count -= 1;
            }
        }
        if i % refresh == refresh - 1 {
            let lo = (i + 1).saturating_sub(n);
            let mut fresh = RunningSum::default();
            for &y in &v[lo..=i] {
                if !y.is_nan() {
                    fresh.add(y);
                }
            }
            sum = fresh;
        }
        let defined = match start {
            WindowStart::Partial => count > 0,
            WindowStart::Full => count == n && i + 1 >= n,
        };
        out.push(if defined { sum.value() / count as f64 } else { f64::NAN });
    }
    out
}

/// How an exponential moving average starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EmaStart {
    /// S₁ = x₁ (the guide; pandas `ewm(adjust=False)`).
    First,
    /// S₀ = a given value (an EWMA chart's target μ₀), then the recursion from x₁.
    Value(f64),
    /// S_k = the mean of the first k observed samples; undefined before (TA-Lib's seed).
    WarmupMean(usize),
    /// pandas' default `ewm(adjust=True)`: the weighted mean with weights (1 − α)^age
    /// over the samples so far, normalised by their sum.
    Adjusted,
}

/// The exponential moving average of `v` with smoothing factor `alpha`. A missing
/// sample (NaN) leaves the average where it was and does not age it (pandas'
/// `ignore_na=True`); the output there is the held value.
pub fn ema(v: &[f64], alpha: f64, start: EmaStart) -> Vec<f64> {
    let mut out = Vec::with_capacity(v.len());
    let decay = 1.0 - alpha;
    match start {
        EmaStart::Adjusted => {
            // S_t = Σ (1−α)^i x_{t−i} / Σ (1−α)^i, by the recursion on numerator and
            // denominator that pandas uses (weights of older samples decay by 1 − α).
            let mut weighted = f64::NAN;
            let mut old_weight = 0.0;
            for &x in v {
                if !x.is_nan() {
                    if weighted.is_nan() {
                        weighted = x;
                        old_weight = 1.0;
                    } else {
                        old_weight *= decay;
                        if weighted != x {
                            weighted = (old_weight * weighted + x) / (old_weight + 1.0);
                        }
                        old_weight += 1.0;
                    }
                }
                out.push(weighted);
            }
        }
        EmaStart::First | EmaStart::Value(_) => {
            let mut s = match start {
                EmaStart::Value(s0) => s0,
                _ => f64::NAN,
            };
            for &x in v {
                if !x.is_nan() {
                    s = if s.is_nan() { x } else { alpha * x + decay * s };
                }
                out.push(s);
            }
        }
        EmaStart::WarmupMean(k) => {
            let k = k.max(1);
            let mut seen = 0usize;
            let mut sum = RunningSum::default();
            let mut s = f64::NAN;
            for &x in v {
                if !x.is_nan() {
                    seen += 1;
                    if seen < k {
                        sum.add(x);
                    } else if seen == k {
                        sum.add(x);
                        s = sum.value() / k as f64;
                    } else {
                        s = alpha * x + decay * s;
                    }
                }
                out.push(s);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_sum_keeps_neumaiers_compensation_bit_for_bit() {
        // Neumaier's two-case form, as the sum was first written.
        let (mut s, mut c) = (0.0f64, 0.0f64);
        let mut sum = RunningSum::default();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for i in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            let x = if i % 3 == 0 { 1e9 + u } else { (u - 0.5) * 10f64.powi((i % 40) - 20) };
            let x = if i % 7 == 0 { -x } else { x };
            let t = s + x;
            if s.abs() >= x.abs() {
                c += (s - t) + x;
            } else {
                c += (x - t) + s;
            }
            s = t;
            sum.add(x);
            assert_eq!(sum.value().to_bits(), (s + c).to_bits(), "step {i}");
        }
    }

    #[test]
    fn gaps_are_filled_linearly_and_ends_by_the_nearest_value() {
        let (v, filled) = interpolate_gaps(&[f64::NAN, 2.0, f64::NAN, f64::NAN, 8.0, f64::NAN]);
        assert_eq!(filled, 4);
        assert_eq!(v, vec![2.0, 2.0, 4.0, 6.0, 8.0, 8.0]);
        let (v, filled) = interpolate_gaps(&[f64::NAN, f64::NAN]);
        assert_eq!(filled, 2);
        assert!(v.iter().all(|x| x.is_nan()));
    }

    #[test]
    fn the_guide_ema_and_sma() {
        let x = [10.0, 10.0, 10.0, 50.0];
        assert_eq!(ema(&x, 0.5, EmaStart::First), vec![10.0, 10.0, 10.0, 30.0]);
        let adjusted = ema(&x, 0.5, EmaStart::Adjusted);
        assert!((adjusted[3] - 94.0 / 3.0).abs() < 1e-13, "{adjusted:?}");
        assert_eq!(sma(&x, 4, WindowStart::Partial), vec![10.0, 10.0, 10.0, 20.0]);
        let full = sma(&x, 4, WindowStart::Full);
        assert!(full[..3].iter().all(|v| v.is_nan()) && full[3] == 20.0);
    }

    #[test]
    fn the_sliding_sum_keeps_small_digits_of_large_values() {
        let v: Vec<f64> = (0..5000).map(|i| 1e9 + (i % 7) as f64 * 0.1).collect();
        let got = sma(&v, 50, WindowStart::Full);
        for i in 49..v.len() {
            let direct: f64 = v[i + 1 - 50..=i].iter().map(|x| x - 1e9).sum::<f64>() / 50.0 + 1e9;
            assert!((got[i] - direct).abs() < 1e-6, "{i}: {} vs {}", got[i], direct);
        }
    }

    #[test]
    fn time_units_fit_the_span() {
        assert_eq!(time_unit(180.0).name, "min");
        assert_eq!(time_unit(671.0 * 3600.0).name, "days");
        assert_eq!(time_unit(0.0).name, "s");
    }
}
