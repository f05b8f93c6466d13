//! Numerically careful building blocks shared by the methods: compensated sums, the
//! two-pass variance, medians, and the sample quantile definitions (Hyndman–Fan types
//! 1–9 and Tukey's hinges).
//!
//! Callers pass finite numbers (validation guarantees it); none of these panic on any
//! input, and empty input gives NaN.

/// Sum with Neumaier's compensation: exact to the last bit for the sizes used here,
/// and immune to the cancellation of values like 1e9 + noise.
pub fn sum(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut c = 0.0;
    for &x in xs {
        let t = s + x;
        if s.abs() >= x.abs() {
            c += (s - t) + x;
        } else {
            c += (x - t) + s;
        }
        s = t;
    }
    s + c
}

/// Arithmetic mean; NaN for no values.
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    sum(xs) / xs.len() as f64
}

/// Sum of squared deviations from the mean, by the corrected two-pass algorithm
/// (Chan, Golub & LeVeque): Σ(x − m)² − (Σ(x − m))² / n.
pub fn sum_sq_dev(xs: &[f64], m: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut ss = 0.0;
    let mut ss_c = 0.0;
    let mut d_sum = 0.0;
    for &x in xs {
        let d = x - m;
        d_sum += d;
        // Neumaier on the squares as well: the sum of 100,000 squares keeps its last bits.
        let sq = d * d;
        let t = ss + sq;
        if ss >= sq {
            ss_c += (ss - t) + sq;
        } else {
            ss_c += (sq - t) + ss;
        }
        ss = t;
    }
    let ss = ss + ss_c - d_sum * d_sum / xs.len() as f64;
    ss.max(0.0)
}

/// Which divisor a standard deviation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ddof {
    /// Divide by n: the population SD (numpy's default, Prometheus's `stddev_over_time`).
    Population,
    /// Divide by n − 1: the sample SD (R's `sd`, pandas' default, Grubbs' test).
    Sample,
}

impl Ddof {
    pub fn divisor(self, n: usize) -> f64 {
        match self {
            Ddof::Population => n as f64,
            Ddof::Sample => n as f64 - 1.0,
        }
    }
}

/// Standard deviation about a given mean; NaN when the divisor is not positive.
pub fn sd_about(xs: &[f64], m: f64, ddof: Ddof) -> f64 {
    let d = ddof.divisor(xs.len());
    if d <= 0.0 {
        return f64::NAN;
    }
    (sum_sq_dev(xs, m) / d).sqrt()
}

/// A sorted copy (validated input holds no NaN; `total_cmp` keeps this panic-free anyway).
pub fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// Median of sorted values; NaN for none.
pub fn median_sorted(s: &[f64]) -> f64 {
    let n = s.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        s[n / 2]
    } else {
        midpoint(s[n / 2 - 1], s[n / 2])
    }
}

/// Median of unsorted values in O(n), reordering the buffer.
pub fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, &mut upper, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return upper;
    }
    // The lower middle is the largest of the elements left of the upper middle.
    let lower = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    midpoint(lower, upper)
}

/// (a + b) / 2 without overflow; exact (halving is exact for normal doubles).
pub fn midpoint(a: f64, b: f64) -> f64 {
    if a == b {
        a
    } else {
        a / 2.0 + b / 2.0
    }
}

/// (1 − g)·a + g·b, the interpolation R and Prometheus use; `a` itself when a = b.
pub fn lerp(a: f64, b: f64, g: f64) -> f64 {
    if a == b || g == 0.0 {
        a
    } else if g == 1.0 {
        b
    } else {
        (1.0 - g) * a + g * b
    }
}

/// A sample quantile definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantileDef {
    /// Tukey's hinges (R's `fivenum`): the medians of the lower and upper halves, each
    /// half including the median when n is odd. Defined for the quartiles only.
    TukeyHinges,
    /// Hyndman & Fan (1996) type 1 to 9, as R's `quantile(type = …)`.
    HyndmanFan(u8),
}

/// A quantile with how it was found: between the order statistics at 1-based ranks
/// `lo` and `hi`, with weight `g` on the upper one.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileTrace {
    pub value: f64,
    pub lo: usize,
    pub hi: usize,
    pub g: f64,
    /// The position formula with numbers: `h = (n − 1)p + 1 = 2.25`.
    pub position: String,
}

/// The quantile `p` (in [0, 1]) of sorted values under `def`. For Tukey's hinges, p
/// must be 0.25 or 0.75 (other p fall back to type 7, the caller's choice list prevents it).
pub fn quantile(s: &[f64], p: f64, def: QuantileDef) -> QuantileTrace {
    let n = s.len();
    if n == 0 {
        return QuantileTrace { value: f64::NAN, lo: 0, hi: 0, g: 0.0, position: "no data".to_string() };
    }
    let at = |rank: usize| s[rank.clamp(1, n) - 1];
    match def {
        QuantileDef::TukeyHinges if p == 0.25 || p == 0.75 => {
            let n4 = ((n + 3) / 2) as f64 / 2.0;
            let d = if p == 0.25 { n4 } else { n as f64 + 1.0 - n4 };
            let lo = d.floor() as usize;
            let hi = d.ceil() as usize;
            QuantileTrace {
                value: midpoint(at(lo), at(hi)),
                lo,
                hi,
                g: if lo == hi { 0.0 } else { 0.5 },
                position: if p == 0.25 {
                    format!("depth d = ⌊(n + 3)/2⌋ / 2 = ⌊{}/2⌋ / 2 = {}", n + 3, crate::fmt::num(d))
                } else {
                    format!("rank n + 1 − d = {} − {} = {}", n + 1, crate::fmt::num(n4), crate::fmt::num(d))
                },
            }
        }
        QuantileDef::TukeyHinges => quantile(s, p, QuantileDef::HyndmanFan(7)),
        QuantileDef::HyndmanFan(t) => hyndman_fan(s, p, t),
    }
}

fn hyndman_fan(s: &[f64], p: f64, t: u8) -> QuantileTrace {
    let n = s.len();
    let rank = hf_rank(n, p, t);
    let (value, weight) = hf_pick(&rank, t, |r| s[r - 1]);
    let lo = rank.j.clamp(1, n as i64) as usize;
    let hi = (rank.j + 1).clamp(1, n as i64) as usize;
    let position = format!("{} = {} (n = {}, p = {})", hf_formula(t), crate::fmt::num(rank.pos), n, crate::fmt::num(p));
    QuantileTrace { value, lo, hi, g: weight, position }
}

/// Where a Hyndman–Fan quantile of `n` sorted values lies: the position `pos` (1-based,
/// fractional), its integer part `j` and fractional part `g` (after R's fuzz). Depends on
/// n, p and the type only, so a rolling window of fixed length computes it once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HfRank {
    /// The number of values.
    pub n: usize,
    pub pos: f64,
    pub j: i64,
    pub g: f64,
}

/// The position of the type-`t` quantile `p` among `n` values (see [`HfRank`]).
pub fn hf_rank(n: usize, p: f64, t: u8) -> HfRank {
    let nf = n as f64;
    // The position, computed in the same order of operations as R's quantile(): n·p
    // (minus 1/2 for type 3) for the discontinuous types, a + p·(n + 1 − a − b) for the
    // continuous ones.
    let pos = match t {
        1 | 2 => nf * p,
        3 => nf * p - 0.5,
        _ => {
            let (a, b) = hf_ab(t);
            a + p * (nf + 1.0 - a - b)
        }
    };
    // R's fuzz: a position within a few ulps of an integer counts as that integer, so
    // that 6 × 0.5 computed as 2.9999999999999996 still lands on rank 3. (R's fuzz is
    // absolute; this one scales with the position so that it also works for long series.)
    let fuzz = 4.0 * f64::EPSILON * pos.abs().max(1.0);
    let j = (pos + fuzz).floor();
    let mut g = pos - j;
    if g.abs() < fuzz {
        g = 0.0;
    }
    HfRank { n, pos, j: j as i64, g: g.clamp(0.0, 1.0) }
}

/// The type-`t` quantile at `rank`, reading the order statistic of 1-based rank r
/// (always within 1..=n) through `at`: the value and the weight on the upper of the two
/// order statistics it lies between. `at` may be a sorted slice or an order-statistic
/// structure (a rolling window); the arithmetic is the same either way.
pub fn hf_pick(rank: &HfRank, t: u8, at: impl Fn(usize) -> f64) -> (f64, f64) {
    let n = rank.n;
    if n == 0 {
        return (f64::NAN, 0.0);
    }
    let get = |r: i64| at(r.clamp(1, n as i64) as usize);
    let (j, g) = (rank.j, rank.g);
    match t {
        1 => {
            if g > 0.0 {
                (get(j + 1), 1.0)
            } else {
                (get(j), 0.0)
            }
        }
        2 => {
            if g > 0.0 {
                (get(j + 1), 1.0)
            } else {
                (midpoint(get(j), get(j + 1)), 0.5)
            }
        }
        3 => {
            if g == 0.0 && j % 2 == 0 {
                (get(j), 0.0)
            } else {
                (get(j + 1), 1.0)
            }
        }
        _ => (lerp(get(j), get(j + 1), g), g),
    }
}

/// The plotting-position constants (a, b) of the continuous types 4–9.
fn hf_ab(t: u8) -> (f64, f64) {
    match t {
        4 => (0.0, 1.0),
        5 => (0.5, 0.5),
        6 => (0.0, 0.0),
        8 => (1.0 / 3.0, 1.0 / 3.0),
        9 => (3.0 / 8.0, 3.0 / 8.0),
        _ => (1.0, 1.0),
    }
}

/// The position formula of type `t`, as the steps show it.
pub fn hf_formula(t: u8) -> String {
    match t {
        1 | 2 => "h = n·p".to_string(),
        3 => "h = n·p − 1/2".to_string(),
        7 => "h = 1 + p·(n − 1)".to_string(),
        4 => "h = a + p·(n + 1 − a − b), a = 0, b = 1".to_string(),
        5 => "h = a + p·(n + 1 − a − b), a = b = 1/2".to_string(),
        6 => "h = a + p·(n + 1 − a − b), a = b = 0".to_string(),
        8 => "h = a + p·(n + 1 − a − b), a = b = 1/3".to_string(),
        9 => "h = a + p·(n + 1 − a − b), a = b = 3/8".to_string(),
        _ => "h = a + p·(n + 1 − a − b), a = b = 1".to_string(),
    }
}

/// 1/Φ⁻¹(3/4): the factor that makes the MAD a consistent estimator of σ for normal data.
pub const MAD_TO_SD: f64 = 1.482_602_218_505_602;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_sum_survives_cancellation() {
        let xs = [1e16, 1.0, -1e16, 1.0];
        assert_eq!(sum(&xs), 2.0);
        let base: Vec<f64> = (0..1000).map(|i| 1e9 + (i % 7) as f64 * 0.1).collect();
        let m = mean(&base);
        let direct: f64 = base.iter().map(|x| (x - 1e9) * (x - 1e9)).sum::<f64>();
        assert!(sum_sq_dev(&base, m) > 0.0 && direct > 0.0);
    }

    #[test]
    fn variance_of_shifted_data_is_shift_invariant() {
        let small = [1.0, 2.0, 3.0, 4.0];
        let big: Vec<f64> = small.iter().map(|x| x + 1e9).collect();
        let a = sd_about(&small, mean(&small), Ddof::Sample);
        let b = sd_about(&big, mean(&big), Ddof::Sample);
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }

    #[test]
    fn median_in_place_matches_sorted_median() {
        for n in 1..40 {
            let xs: Vec<f64> = (0..n).map(|i| ((i * 7919) % 31) as f64 - 10.0).collect();
            let mut buf = xs.clone();
            assert_eq!(median_in_place(&mut buf), median_sorted(&sorted(&xs)), "n = {n}");
        }
    }

    #[test]
    fn tukey_hinges_of_the_guide_set() {
        let s = sorted(&[10.0, 12.0, 13.0, 15.0, 16.0, 1000.0]);
        assert_eq!(quantile(&s, 0.25, QuantileDef::TukeyHinges).value, 12.0);
        assert_eq!(quantile(&s, 0.75, QuantileDef::TukeyHinges).value, 16.0);
        // Odd n: the median belongs to both halves (fivenum(1:5) = 1 2 3 4 5).
        let odd = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&odd, 0.25, QuantileDef::TukeyHinges).value, 2.0);
        assert_eq!(quantile(&odd, 0.75, QuantileDef::TukeyHinges).value, 4.0);
    }

    #[test]
    fn type_7_is_prometheus_rank() {
        let s = sorted(&[100.0, 102.0, 98.0, 105.0, 101.0]);
        let q = quantile(&s, 0.99, QuantileDef::HyndmanFan(7));
        assert!((q.value - 104.88).abs() < 1e-12, "{}", q.value);
        assert_eq!((q.lo, q.hi), (4, 5));
    }

    #[test]
    fn mad_constant_is_the_normal_quantile() {
        use statrs::distribution::{ContinuousCDF, Normal};
        let normal = Normal::new(0.0, 1.0).unwrap();
        assert!((1.0 / normal.inverse_cdf(0.75) - MAD_TO_SD).abs() < 1e-15);
    }
}
