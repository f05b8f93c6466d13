//! PromQL functions and the numerics of aggregation, as Prometheus computes them.
//!
//! Where Prometheus 2.x and 3.x compute differently (the order of the extrapolation
//! steps in `rate`, Kahan summation, direct or incremental means), both are here,
//! chosen by [`Version`]. Timestamps are milliseconds, as in Prometheus.

use crate::ast::Type;
use crate::Version;

/// What a function is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Abs,
    Sqrt,
    Ceil,
    Floor,
    Exp,
    Ln,
    Log2,
    Log10,
    Sgn,
    Round,
    ClampMin,
    ClampMax,
    Clamp,
    Time,
    Vector,
    Scalar,
    Rate,
    Increase,
    Delta,
    Irate,
    Idelta,
    Deriv,
    PredictLinear,
    AvgOverTime,
    SumOverTime,
    MinOverTime,
    MaxOverTime,
    CountOverTime,
    StddevOverTime,
    StdvarOverTime,
    QuantileOverTime,
    LastOverTime,
    Changes,
    Resets,
    DoubleExponentialSmoothing,
}

/// A function's signature.
#[derive(Debug)]
pub struct FuncDef {
    pub name: &'static str,
    pub func: Func,
    pub args: &'static [Type],
    /// How many trailing arguments may be left out.
    pub optional: usize,
    pub ret: Type,
}

impl PartialEq for FuncDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl FuncDef {
    /// `rate(range vector)`, for messages.
    pub fn signature(&self) -> String {
        let args: Vec<&str> = self.args.iter().map(|t| t.name()).collect();
        format!("{}({})", self.name, args.join(", "))
    }
}

use Type::{Matrix as M, Scalar as S, Vector as V};

macro_rules! def {
    ($name:literal, $func:ident, [$($arg:expr),*], $opt:literal, $ret:expr) => {
        FuncDef { name: $name, func: Func::$func, args: &[$($arg),*], optional: $opt, ret: $ret }
    };
}

/// Every supported function. `holt_winters` and `double_exponential_smoothing` are the
/// same function under its Prometheus 2 and 3 names.
pub static FUNCTIONS: &[FuncDef] = &[
    def!("abs", Abs, [V], 0, V),
    def!("sqrt", Sqrt, [V], 0, V),
    def!("ceil", Ceil, [V], 0, V),
    def!("floor", Floor, [V], 0, V),
    def!("exp", Exp, [V], 0, V),
    def!("ln", Ln, [V], 0, V),
    def!("log2", Log2, [V], 0, V),
    def!("log10", Log10, [V], 0, V),
    def!("sgn", Sgn, [V], 0, V),
    def!("round", Round, [V, S], 1, V),
    def!("clamp_min", ClampMin, [V, S], 0, V),
    def!("clamp_max", ClampMax, [V, S], 0, V),
    def!("clamp", Clamp, [V, S, S], 0, V),
    def!("time", Time, [], 0, S),
    def!("vector", Vector, [S], 0, V),
    def!("scalar", Scalar, [V], 0, S),
    def!("rate", Rate, [M], 0, V),
    def!("increase", Increase, [M], 0, V),
    def!("delta", Delta, [M], 0, V),
    def!("irate", Irate, [M], 0, V),
    def!("idelta", Idelta, [M], 0, V),
    def!("deriv", Deriv, [M], 0, V),
    def!("predict_linear", PredictLinear, [M, S], 0, V),
    def!("avg_over_time", AvgOverTime, [M], 0, V),
    def!("sum_over_time", SumOverTime, [M], 0, V),
    def!("min_over_time", MinOverTime, [M], 0, V),
    def!("max_over_time", MaxOverTime, [M], 0, V),
    def!("count_over_time", CountOverTime, [M], 0, V),
    def!("stddev_over_time", StddevOverTime, [M], 0, V),
    def!("stdvar_over_time", StdvarOverTime, [M], 0, V),
    def!("quantile_over_time", QuantileOverTime, [S, M], 0, V),
    def!("last_over_time", LastOverTime, [M], 0, V),
    def!("changes", Changes, [M], 0, V),
    def!("resets", Resets, [M], 0, V),
    def!("double_exponential_smoothing", DoubleExponentialSmoothing, [M, S, S], 0, V),
    def!("holt_winters", DoubleExponentialSmoothing, [M, S, S], 0, V),
];

/// Looks a function up under `version`'s names, or says why it is not available.
pub fn lookup(name: &str, version: Version) -> Result<&'static FuncDef, String> {
    match (name, version) {
        ("holt_winters", Version::V3) => {
            return Err("holt_winters was renamed double_exponential_smoothing in Prometheus 3.0 (and needs --enable-feature=promql-experimental-functions there). Switch the Prometheus version to 2.x, or use the new name.".into())
        }
        ("double_exponential_smoothing", Version::V2) => {
            return Err("double_exponential_smoothing is Prometheus 3's name; Prometheus 2 calls it holt_winters.".into())
        }
        _ => {}
    }
    if let Some(f) = FUNCTIONS.iter().find(|f| f.name == name) {
        return Ok(f);
    }
    let known = [
        "histogram_quantile",
        "absent",
        "absent_over_time",
        "label_replace",
        "label_join",
        "topk",
        "bottomk",
        "sort",
        "sort_desc",
        "timestamp",
        "present_over_time",
        "mad_over_time",
        "count_values",
        "day_of_week",
        "hour",
    ];
    if known.contains(&name) {
        return Err(format!(
            "{} is PromQL, but this playground does not evaluate it. It evaluates: {}.",
            name,
            supported_names(version).join(", ")
        ));
    }
    Err(format!("unknown function with name “{}”.", name))
}

/// The names of the functions `version` accepts, in table order.
pub fn supported_names(version: Version) -> Vec<&'static str> {
    FUNCTIONS
        .iter()
        .map(|f| f.name)
        .filter(|n| match version {
            Version::V2 => *n != "double_exponential_smoothing",
            Version::V3 => *n != "holt_winters",
        })
        .collect()
}

/// One step of Kahan–Neumaier summation, as Prometheus's `kahanSumInc` (the core's, so
/// the derivative lessons and the PromQL twin sum identically).
pub use alertmath_core::methods::promql::kahan_inc;

/// The samples of one series in a window: timestamps (ms) and values.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    pub t: &'a [i64],
    pub v: &'a [f64],
    /// The window's bounds (ms): (start, end] in Prometheus 3, [start, end] in 2.
    pub start: i64,
    pub end: i64,
    /// The range of the selector, in seconds (for `rate`).
    pub range_s: f64,
}

/// `rate`, `increase` and `delta`: the difference between the last and the first sample,
/// corrected for counter resets, extrapolated towards the window's edges.
pub fn extrapolated_rate(w: Window, is_counter: bool, is_rate: bool, version: Version) -> Option<f64> {
    let n = w.v.len();
    if n < 2 {
        return None;
    }
    let (first_t, last_t) = (w.t[0], w.t[n - 1]);
    let first = w.v[0];
    let mut result = w.v[n - 1] - first;
    if is_counter {
        match version {
            Version::V3 => {
                for i in 1..n {
                    if w.v[i] < w.v[i - 1] {
                        result += w.v[i - 1];
                    }
                }
            }
            Version::V2 => {
                let mut last = 0.0;
                for &x in w.v {
                    if x < last {
                        result += last;
                    }
                    last = x;
                }
            }
        }
    }
    let mut to_start = (first_t - w.start) as f64 / 1000.0;
    let mut to_end = (w.end - last_t) as f64 / 1000.0;
    let sampled = (last_t - first_t) as f64 / 1000.0;
    let average = sampled / (n - 1) as f64;
    let threshold = average * 1.1;
    match version {
        Version::V3 => {
            if to_start >= threshold {
                to_start = average / 2.0;
            }
            if is_counter && result > 0.0 && first >= 0.0 {
                let to_zero = sampled * (first / result);
                if to_zero < to_start {
                    to_start = to_zero;
                }
            }
            if to_end >= threshold {
                to_end = average / 2.0;
            }
            let mut factor = (sampled + to_start + to_end) / sampled;
            if is_rate {
                factor /= w.range_s;
            }
            Some(result * factor)
        }
        Version::V2 => {
            if is_counter && result > 0.0 && first >= 0.0 {
                let to_zero = sampled * (first / result);
                if to_zero < to_start {
                    to_start = to_zero;
                }
            }
            let mut interval = sampled;
            interval += if to_start < threshold { to_start } else { average / 2.0 };
            interval += if to_end < threshold { to_end } else { average / 2.0 };
            let mut factor = interval / sampled;
            if is_rate {
                factor /= w.range_s;
            }
            let value = result * factor;
            Some(value)
        }
    }
}

/// `irate` and `idelta`: the last two samples.
pub fn instant_value(w: Window, is_rate: bool) -> Option<f64> {
    let n = w.v.len();
    if n < 2 {
        return None;
    }
    let (prev, last) = (w.v[n - 2], w.v[n - 1]);
    let interval = w.t[n - 1] - w.t[n - 2];
    if interval == 0 {
        return None;
    }
    let mut value = if is_rate && last < prev { last } else { last - prev };
    if is_rate {
        value /= interval as f64 / 1000.0;
    }
    Some(value)
}

/// Least-squares slope and the intercept at `intercept_ms`, with Kahan sums: the core's
/// regression (shared with the derivative lessons) on integer-millisecond times.
pub fn linear_regression(t: &[i64], v: &[f64], intercept_ms: i64) -> (f64, f64) {
    let r = alertmath_core::methods::promql::regression(
        t.iter().zip(v).map(|(&ti, &y)| ((ti - intercept_ms) as f64 / 1e3, y)),
    );
    (r.slope, r.intercept)
}

/// `avg_over_time`.
pub fn avg_over_time(v: &[f64], version: Version) -> f64 {
    match version {
        Version::V3 => {
            let Some((&first, rest)) = v.split_first() else { return f64::NAN };
            let (mut sum, mut count, mut mean, mut c) = (first, 1.0, 0.0, 0.0);
            let mut incremental = false;
            for (i, &x) in rest.iter().enumerate() {
                count = (i + 2) as f64;
                if !incremental {
                    let (ns, nc) = kahan_inc(x, sum, c);
                    if !ns.is_infinite() {
                        sum = ns;
                        c = nc;
                        continue;
                    }
                    incremental = true;
                    mean = sum / (count - 1.0);
                    c /= count - 1.0;
                }
                let q = (count - 1.0) / count;
                (mean, c) = kahan_inc(x / count, q * mean, q * c);
            }
            if incremental {
                mean + c
            } else {
                sum / count + c / count
            }
        }
        Version::V2 => {
            // Incremental mean with Kahan compensation (Prometheus 2.4x).
            let (mut mean, mut count, mut c) = (0.0f64, 0.0, 0.0);
            for &x in v {
                count += 1.0;
                if mean.is_infinite() {
                    if x.is_infinite() && (mean > 0.0) == (x > 0.0) {
                        continue;
                    }
                    if !x.is_infinite() && !x.is_nan() {
                        continue;
                    }
                }
                (mean, c) = kahan_inc(x / count - mean / count, mean, c);
            }
            if mean.is_infinite() {
                mean
            } else {
                mean + c
            }
        }
    }
}

/// `sum_over_time`.
pub fn sum_over_time(v: &[f64], _version: Version) -> f64 {
    // Kahan-compensated in both 2.4x and 3.x (checked against promtool 2.42).
    {
        {
            let (mut sum, mut c) = (0.0, 0.0);
            for &x in v {
                (sum, c) = kahan_inc(x, sum, c);
            }
            if sum.is_infinite() {
                sum
            } else {
                sum + c
            }
        }
    }
}

/// The variance of `stddev_over_time` and `stdvar_over_time` (population: divides by n).
pub fn variance_over_time(v: &[f64]) -> f64 {
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &x in v {
        count += 1.0;
        let delta = x - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (x - (mean + c_mean)), aux, c_aux);
    }
    (aux + c_aux) / count
}

/// Prometheus's quantile (`quantile`, `quantile_over_time`): rank q·(n − 1) over the
/// sorted values, linear interpolation between neighbours (Hyndman–Fan type 7).
pub fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    // NaN sorts first, as in Prometheus.
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.total_cmp(b),
    });
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    let at = |i: f64| values.get(i as usize).copied().unwrap_or(f64::NAN);
    at(lower) * (1.0 - weight) + at(upper) * weight
}

/// `min_over_time` / `max_over_time`: the first value, replaced by any larger (smaller)
/// one, or by any value while it is NaN.
pub fn extreme(v: &[f64], max: bool) -> f64 {
    let Some(&first) = v.first() else { return f64::NAN };
    v.iter().fold(first, |m, &x| if (max && x > m) || (!max && x < m) || m.is_nan() { x } else { m })
}

/// `double_exponential_smoothing` (`holt_winters`): level and trend smoothing with
/// factors sf and tf, both strictly between 0 and 1. Prometheus's NaN is a value here,
/// whereas the core's `double_exponential_smoothing::prometheus_value` skips NaN as a
/// missing sample; on NaN-free data the two must agree (tested below).
pub fn double_exponential_smoothing(v: &[f64], sf: f64, tf: f64) -> Option<f64> {
    let l = v.len();
    if l < 2 {
        return None;
    }
    let (mut s0, mut s1) = (0.0, v[0]);
    let mut b = v[1] - v[0];
    for (i, &x) in v.iter().enumerate().skip(1) {
        let scaled = sf * x;
        b = if i == 1 { b } else { tf * (s1 - s0) + (1.0 - tf) * b };
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = scaled + y;
    }
    Some(s1)
}

/// Go's `math.Mod` (the sign of the dividend, as C's fmod).
pub fn go_mod(a: f64, b: f64) -> f64 {
    a % b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_exponential_smoothing_agrees_with_the_core_lesson() {
        let mut x = 7u64;
        for n in 2..40 {
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (x >> 40) as f64 / 1000.0
                })
                .collect();
            for (sf, tf) in [(0.5, 0.5), (0.1, 0.9), (0.3, 0.1)] {
                let ours = double_exponential_smoothing(&v, sf, tf);
                let core = alertmath_core::methods::double_exponential_smoothing::prometheus_value(&v, sf, tf);
                assert_eq!(ours.map(f64::to_bits), core.map(f64::to_bits), "n = {n}, sf = {sf}, tf = {tf}");
            }
        }
    }

    #[test]
    fn quantile_is_type_7() {
        let mut v = vec![100.0, 102.0, 98.0, 105.0, 101.0];
        assert!((quantile(0.99, &mut v) - 104.88).abs() < 1e-12);
        let mut v = vec![10.0, 12.0, 13.0, 15.0, 16.0, 1000.0];
        assert_eq!(quantile(0.25, &mut v), 12.25);
        assert_eq!(quantile(0.75, &mut v), 15.75);
    }

    #[test]
    fn population_sd() {
        let v = [10.0, 12.0, 10.0, 11.0, 12.0, 50.0];
        assert!((variance_over_time(&v).sqrt() - 14.557357818871756).abs() < 1e-12);
    }

    #[test]
    fn lookup_by_version() {
        assert!(lookup("holt_winters", Version::V2).is_ok());
        assert!(lookup("holt_winters", Version::V3).is_err());
        assert!(lookup("histogram_quantile", Version::V3).unwrap_err().contains("does not evaluate"));
    }
}
