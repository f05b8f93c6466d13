//! What Grubbs' test and the generalized ESD share: Student-t tail quantiles (from
//! statrs), Grubbs' critical value and ceiling, the standard-deviation convention, and
//! moments computed on data rescaled by a power of two so that no square overflows.
//!
//! Accuracy of the t quantiles, checked against mpmath at 40 digits (see
//! `tests/reference/gen_outlier_tests.py`): statrs's `StudentsT::inverse_cdf`, called on
//! the lower tail so that the tail probability is passed exactly, is within 1e-15
//! (relative) for up to 10 degrees of freedom, 2e-14 at 100, 1e-13 at 10,000 and 1e-11
//! at 200,000, for every tail α/n or α/(2n) these tests can ask for. With one degree of
//! freedom (n = 3) statrs's tail is inaccurate beyond 1e-7, so the Cauchy quantile
//! cot(πp) is used there: it is exact, and it is the one place where the t-distribution
//! of Grubbs' test is the Cauchy distribution.

use crate::error::InputError;
use crate::params::ResolvedParams;
use crate::spec::{Choice, ParamKind, ParamSpec};
use crate::stats::{mean, sum_sq_dev};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The t with P(T > t) = p for Student's t with `df` degrees of freedom; p in (0, 0.5].
/// NaN when p or df is outside that domain.
pub fn t_upper(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p <= 0.5 && df > 0.0 && df.is_finite()) {
        return f64::NAN;
    }
    if df == 1.0 {
        // The Cauchy distribution: P(T > t) = 1/2 − atan(t)/π, so t = cot(πp).
        return 1.0 / (std::f64::consts::PI * p).tan();
    }
    match StudentsT::new(0.0, 1.0, df) {
        // The lower tail: −F⁻¹(p) passes p itself, where F⁻¹(1 − p) would round 1 − p first.
        Ok(d) => -d.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// P(T > t) for Student's t with `df` degrees of freedom; 0 for t = ∞.
pub fn t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || !(df > 0.0 && df.is_finite()) {
        return f64::NAN;
    }
    if t == f64::INFINITY {
        return 0.0;
    }
    if df == 1.0 && t > 0.0 {
        return (1.0 / t).atan() / std::f64::consts::PI;
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => d.sf(t),
        Err(_) => f64::NAN,
    }
}

/// The largest G = |x − x̄| / s any point of n can reach, with the sample SD:
/// (n − 1)/√n, reached when the other n − 1 values are all equal.
pub fn grubbs_ceiling(n: usize) -> f64 {
    let n = n as f64;
    (n - 1.0) / n.sqrt()
}

/// Grubbs' critical value for n points and its ingredients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Critical {
    /// The upper-tail probability of t: α/n (one-sided) or α/(2n) (two-sided).
    pub tail: f64,
    /// Degrees of freedom, n − 2.
    pub df: f64,
    /// The t quantile with that upper tail.
    pub t: f64,
    /// G_crit = (n − 1)/√n · √(t² / (n − 2 + t²)), for G with the sample SD.
    pub g: f64,
}

/// Grubbs' critical value at level α for n ≥ 3 points: one-sided (the largest or the
/// smallest value is tested) or two-sided (the value furthest from the mean). Rosner's
/// λᵢ of the generalized ESD is the two-sided value for the n − i + 1 points left.
pub fn grubbs_critical(n: usize, alpha: f64, two_sided: bool) -> Critical {
    let nf = n as f64;
    let tail = if two_sided { alpha / (2.0 * nf) } else { alpha / nf };
    let df = nf - 2.0;
    let t = t_upper(tail, df);
    // √(t²/(ν + t²)) written as 1/√(1 + ν/t²): no overflow for huge t.
    let g = grubbs_ceiling(n) / (1.0 + df / (t * t)).sqrt();
    Critical { tail, df, t, g }
}

/// The t statistic equivalent to G for the tested point: its distance from the mean of
/// the other n − 1 points, studentized by their SD (n − 2 degrees of freedom):
/// t = |x − x̄| · √(n(n − 2) / ((n − 1) · SS₋ᵢ)), where SS₋ᵢ is the sum of squared
/// deviations of the others about their own mean. Infinite when the others are all equal.
pub fn equivalent_t(n: usize, deviation: f64, ss_others: f64) -> f64 {
    let nf = n as f64;
    if ss_others <= 0.0 {
        return if deviation == 0.0 { f64::NAN } else { f64::INFINITY };
    }
    deviation.abs() * (nf * (nf - 2.0) / ((nf - 1.0) * ss_others)).sqrt()
}

/// Which standard deviation the statistic divides by, and which critical value it meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdMode {
    /// The sample SD (÷ n − 1), as Grubbs and Rosner define the tests.
    Sample,
    /// The population SD (÷ n, PromQL's `stddev_over_time`), with the critical value
    /// converted by the same factor √(n/(n − 1)): the same test in other units.
    Population,
    /// The population SD against the sample-SD critical value: what a query that divides
    /// by `stddev_over_time` and compares with a Grubbs table does.
    PopulationUnadjusted,
}

impl SdMode {
    pub fn from_params(p: &ResolvedParams) -> Result<Self, InputError> {
        Ok(match p.choice("sd")? {
            "population" => SdMode::Population,
            "population-unadjusted" => SdMode::PopulationUnadjusted,
            _ => SdMode::Sample,
        })
    }

    /// The factor from the sample-SD statistic to this mode's statistic, for n points.
    pub fn stat_factor(self, n: usize) -> f64 {
        match self {
            SdMode::Sample => 1.0,
            _ => population_factor(n),
        }
    }

    /// The factor from the sample-SD critical value to the one this mode compares with.
    pub fn crit_factor(self, n: usize) -> f64 {
        match self {
            SdMode::Population => population_factor(n),
            _ => 1.0,
        }
    }

    /// The divisor's name for formulas: "n − 1" or "n".
    pub fn divisor(self) -> &'static str {
        match self {
            SdMode::Sample => "n − 1",
            _ => "n",
        }
    }

    pub fn is_population(self) -> bool {
        self != SdMode::Sample
    }
}

/// √(n/(n − 1)): the population-SD statistic over the sample-SD one.
pub fn population_factor(n: usize) -> f64 {
    let n = n as f64;
    (n / (n - 1.0)).sqrt()
}

/// The `sd` parameter of Grubbs' test and the generalized ESD.
pub const SD_PARAM: ParamSpec = ParamSpec {
    id: "sd",
    label: "Standard deviation",
    unit: "",
    help: "Grubbs and Rosner divide by n − 1. PromQL's stddev_over_time divides by n: converted, the test is the same; unconverted, it fires more often.",
    kind: ParamKind::Choice {
        default: "sample",
        options: &[
            Choice { id: "sample", label: "sample (÷ n − 1), as the test is defined" },
            Choice { id: "population", label: "population (÷ n, like PromQL), critical value converted" },
            Choice {
                id: "population-unadjusted",
                label: "population (÷ n) against the sample-SD critical value (the guide's query)",
            },
        ],
    },
};

/// The `alpha` parameter: the significance level.
pub const ALPHA_PARAM: ParamSpec = ParamSpec {
    id: "alpha",
    label: "Significance level α",
    unit: "",
    help: "The false-alarm rate the test allows on normal data without outliers; the guide's “95% confidence” is α = 0.05.",
    kind: ParamKind::Number { default: 0.05, min: 0.0001, max: 0.5, step: 0.0001, integer: false, log: true },
};

/// The data moved to a nearby origin and scaled by a power of two: y = (x − origin)·scale.
///
/// The origin is a data value, so x − origin is exact for values near it (Sterbenz) and
/// 1e9 + noise keeps its small digits in every deviation; the scale brings the largest
/// |y| near 1, so squares neither overflow (1e300) nor underflow (1e-300). When moving
/// the origin would overflow (values near ±1.8e308), the origin stays at 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub origin: f64,
    pub scale: f64,
}

impl Frame {
    pub fn of(xs: &[f64]) -> Frame {
        let first = xs.first().copied().unwrap_or(0.0);
        let origin = if xs.iter().all(|&x| (x - first).is_finite()) { first } else { 0.0 };
        let largest = xs.iter().fold(0.0f64, |m, &x| m.max((x - origin).abs()));
        let scale = if largest > 0.0 && largest.is_finite() {
            2f64.powi(-(largest.log2().floor().clamp(-1000.0, 1000.0) as i32))
        } else {
            1.0
        };
        Frame { origin, scale }
    }

    /// The data in this frame.
    pub fn apply(&self, xs: &[f64]) -> Vec<f64> {
        xs.iter().map(|&x| (x - self.origin) * self.scale).collect()
    }

    /// A location (a mean) back in the data's units.
    pub fn location(&self, y: f64) -> f64 {
        self.origin + y / self.scale
    }

    /// A difference or a spread back in the data's units.
    pub fn spread(&self, y: f64) -> f64 {
        y / self.scale
    }
}

/// Mean and sum of squared deviations of `ys` (two-pass, compensated).
pub fn moments(ys: &[f64]) -> (f64, f64) {
    let m = mean(ys);
    (m, sum_sq_dev(ys, m))
}

/// Whether every value is the same (no spread at all), decided exactly rather than from
/// a computed SD, which can come out as a few ulps for equal values such as 0.1.
pub fn all_equal(xs: &[f64]) -> bool {
    match xs.first() {
        Some(&first) => xs.iter().all(|&x| x == first),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_high_precision_values() {
        // Upper-tail quantiles from mpmath (40 digits): (p, df, t).
        let cases = [
            (0.01, 3.0, 4.5407028585681335),
            (0.005, 3.0, 5.840909309733357),
            (0.05 / 120.0, 58.0, 3.5253343935378285),
            (1e-7, 100000.0, 5.199701988365053),
            (1e-10, 3.0, 2225.7692846830932),
        ];
        for (p, df, want) in cases {
            let got = t_upper(p, df);
            assert!(((got - want) / want).abs() < 1e-11, "t({p}, {df}) = {got}, want {want}");
        }
        // One degree of freedom is the Cauchy distribution, exactly.
        assert!((t_upper(0.25, 1.0) - 1.0).abs() < 1e-15);
        assert!(((t_upper(1e-10, 1.0) - 3183098861.837907) / 3183098861.837907).abs() < 1e-14);
        assert!(t_upper(0.0, 5.0).is_nan() && t_upper(0.6, 5.0).is_nan() && t_upper(0.1, 0.0).is_nan());
    }

    #[test]
    fn grubbs_critical_values_of_the_guide() {
        let one = grubbs_critical(5, 0.05, false);
        let two = grubbs_critical(5, 0.05, true);
        assert!((one.g - 1.67138566948).abs() < 1e-10, "{}", one.g);
        assert!((two.g - 1.71503731234).abs() < 1e-10, "{}", two.g);
        // n = 4, two-sided: t has 2 degrees of freedom and G_crit = 1.5 · (1 − α/4) exactly.
        assert!((grubbs_critical(4, 0.05, true).g - 1.48125).abs() < 1e-14);
        assert!((grubbs_critical(60, 0.05, true).g - 3.19966182944).abs() < 1e-10);
        assert!((grubbs_critical(60, 0.05, false).g - 3.02686330078).abs() < 1e-10);
        // The critical value always stays below the ceiling.
        for n in [3, 4, 5, 10, 100, 10_000] {
            for alpha in [0.0001, 0.05, 0.5] {
                let c = grubbs_critical(n, alpha, true);
                assert!(c.g < grubbs_ceiling(n) && c.g > 0.0, "n {n} α {alpha}: {}", c.g);
            }
        }
    }

    #[test]
    fn equivalent_t_is_infinite_when_the_others_are_tied() {
        assert_eq!(equivalent_t(5, 32.0, 0.0), f64::INFINITY);
        // [10, 10, 10, 50, 50]: the tested 50 against [10, 10, 10, 50].
        let t = equivalent_t(5, 24.0, 1200.0);
        let g: f64 = 24.0 / (1920.0f64 / 4.0).sqrt();
        let via_g = (5.0 * 3.0 * g * g / (16.0 - 5.0 * g * g)).sqrt();
        assert!((t - via_g).abs() < 1e-12, "{t} vs {via_g}");
    }

    #[test]
    fn the_frame_keeps_huge_tiny_and_offset_data_exact() {
        let xs = [1e300, -1e300, 3e299];
        let f = Frame::of(&xs);
        let (_, ss) = moments(&f.apply(&xs));
        assert!(ss.is_finite() && ss > 0.0);
        let f = Frame::of(&[1.7e308, -1.7e308]);
        assert_eq!(f.origin, 0.0);
        let xs = [1e9 + 0.1, 1e9 + 0.3, 1e9 + 3.0];
        let f = Frame::of(&xs);
        let (m, _) = moments(&f.apply(&xs));
        // The deviation of the last value from the mean keeps its digits (the differences
        // of the doubles are exact by Sterbenz's lemma).
        let d = f.spread(f.apply(&xs)[2] - m);
        let want = ((xs[2] - xs[0]) + (xs[2] - xs[1])) / 3.0;
        assert!((d - want).abs() <= 4.0 * f64::EPSILON * want, "{d} vs {want}");
        assert_eq!(Frame::of(&[10.0, 50.0]).scale, 1.0 / 32.0);
        assert_eq!(Frame::of(&[2.0, 2.0]).scale, 1.0);
    }
}
