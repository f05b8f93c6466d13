//! Pieces several methods share: the one-sample data field, the comparison switch, and
//! the usual "points by index, flagged ones highlighted" plot.

use crate::error::InputError;
use crate::params::ResolvedParams;
use crate::plot::{Column, Layer, Role};
use crate::spec::{Choice, ColumnSpec, Domain, FieldSpec, ParamKind, ParamSpec, COMPARE_CHOICES};

/// The key of the values of a one-sample method's `data` field.
pub const DATA: &str = "data.value";

const VALUE: &[ColumnSpec] = &[ColumnSpec { id: "value", label: "value", unit: "", domain: Domain::Real }];

/// The `data` field of a one-sample method that needs at least `min_rows` values.
pub const fn sample_field(min_rows: usize) -> FieldSpec {
    FieldSpec {
        id: "data",
        label: "Data",
        help: "numbers separated by commas, spaces or new lines",
        columns: VALUE,
        timestamps: false,
        min_rows,
        gaps: false,
        optional: false,
    }
}

/// The `compare` parameter: whether reaching the threshold exactly counts.
pub const COMPARE: ParamSpec = ParamSpec {
    id: "compare",
    label: "Comparison",
    unit: "",
    help: "Whether a score exactly at the threshold counts: the guide writes “>”.",
    kind: ParamKind::Choice { default: "gt", options: COMPARE_CHOICES },
};

/// Population or sample standard deviation.
pub const SD_CHOICES: &[Choice] =
    &[Choice { id: "population", label: "population (÷ n)" }, Choice { id: "sample", label: "sample (÷ n − 1)" }];

/// Strict or non-strict comparison of a score with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Gt,
    Ge,
}

impl Compare {
    pub fn from_params(p: &ResolvedParams) -> Result<Self, InputError> {
        Ok(match p.choice("compare")? {
            "ge" => Compare::Ge,
            _ => Compare::Gt,
        })
    }

    /// Whether `score` passes `threshold`. NaN never passes.
    ///
    /// Values within a few units in the last place of each other count as equal, so that
    /// a boundary that is exact in decimals is decided as it would be by hand: with
    /// k = 1.5 and B = 0.01, T(400) is 0.085 exactly, but as doubles 1.5/20 + 0.01 is
    /// 0.08499999999999999, and 34/400 would otherwise pass `>`.
    pub fn passes(self, score: f64, threshold: f64) -> bool {
        if ties(score, threshold) {
            return self == Compare::Ge;
        }
        match self {
            Compare::Gt => score > threshold,
            Compare::Ge => score >= threshold,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Compare::Gt => ">",
            Compare::Ge => "≥",
        }
    }

    /// The symbol of the negation, for "not flagged: 2.23 ≤ 3".
    pub fn negated(self) -> &'static str {
        match self {
            Compare::Gt => "≤",
            Compare::Ge => "<",
        }
    }
}

/// Whether two results are equal up to the rounding of a short double computation
/// (8 units in the last place of the larger).
pub fn ties(a: f64, b: f64) -> bool {
    a == b || (a.is_finite() && b.is_finite() && (a - b).abs() <= 8.0 * f64::EPSILON * a.abs().max(b.abs()))
}

/// 1-based positions 1, 2, …, n as plot x values.
pub fn positions(n: usize) -> Column {
    (1..=n).map(|i| i as f64).collect()
}

/// The data as points, and the flagged ones as a second, highlighted layer. The data
/// layer shares `x` and `y` with the caller.
pub fn flagged_points(x: &Column, y: &Column, flag: &[bool]) -> [Layer; 2] {
    let mut fx = Vec::new();
    let mut fy = Vec::new();
    for ((&xi, &yi), &f) in x.iter().zip(y.iter()).zip(flag) {
        if f {
            fx.push(xi);
            fy.push(yi);
        }
    }
    [Layer::points(x.clone(), y.clone(), Role::Data, "data"), Layer::points(fx, fy, Role::Flagged, "flagged")]
}

/// "1 point", "3 points".
pub fn n_points(n: usize) -> String {
    format!("{} {}", crate::fmt::count(n), crate::input::plural(n, "point", "points"))
}

/// The key of the values of a time-series method's `series` field.
pub const SERIES: &str = "series.value";

/// The `series` field of a time-series method: one value per line or separated by
/// commas, or `time, value` rows (time in seconds); `NaN` marks a missing sample.
pub const fn series_field(min_rows: usize) -> FieldSpec {
    FieldSpec {
        id: "series",
        label: "Series",
        help: "values, or one “time (s), value” row per line; NaN marks a missing sample",
        columns: VALUE,
        timestamps: true,
        min_rows,
        gaps: true,
        optional: false,
    }
}

/// The sample interval of a series typed without timestamps.
pub const STEP: ParamSpec = ParamSpec {
    id: "step",
    label: "Sample interval",
    unit: "s",
    help: "Seconds between samples when the series has no timestamps (60 = one sample a minute).",
    kind: ParamKind::Number { default: 60.0, min: 0.001, max: 10_000_000.0, step: 1.0, integer: false, log: true },
};

/// A validated series: times in seconds (given, or implied by the step) and values, NaN
/// where a sample is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub t: Vec<f64>,
    pub v: Vec<f64>,
    /// Whether the times came from the data rather than from the step.
    pub timestamped: bool,
}

impl Series {
    /// Reads `field` of `input`; without timestamps the i-th sample is at `i · step`.
    pub fn read(input: &crate::input::Input, field: &FieldSpec, step: f64) -> Series {
        let v = input.col(&field.key(VALUE[0].id)).to_vec();
        match input.times(field) {
            Some(t) => Series { t: t.to_vec(), v, timestamped: true },
            None => Series { t: (0..v.len()).map(|i| i as f64 * step).collect(), v, timestamped: false },
        }
    }

    pub fn len(&self) -> usize {
        self.v.len()
    }

    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// How many samples are missing (NaN).
    pub fn gaps(&self) -> usize {
        self.v.iter().filter(|x| x.is_nan()).count()
    }

    /// The observed samples only, with their plot positions: the timestamps, or the
    /// sample index t = 0, 1, 2, … (gaps included in the count) when the series has none.
    /// Without gaps the series' own columns are moved, not copied.
    pub fn into_observed(self) -> Observed {
        let Series { t, v, timestamped } = self;
        let gaps = v.iter().filter(|x| x.is_nan()).count();
        if gaps == 0 {
            let x = if timestamped { t.clone() } else { (0..v.len()).map(|i| i as f64).collect() };
            return Observed { t, v, x, gaps };
        }
        let kept = v.len() - gaps;
        let mut out =
            Observed { t: Vec::with_capacity(kept), v: Vec::with_capacity(kept), x: Vec::with_capacity(kept), gaps };
        for (i, (&ti, &vi)) in t.iter().zip(&v).enumerate() {
            if !vi.is_nan() {
                out.t.push(ti);
                out.v.push(vi);
                out.x.push(if timestamped { ti } else { i as f64 });
            }
        }
        out
    }
}

/// The observed samples of a [`Series`]: times (s), values, plot positions, and how many
/// samples were missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub t: Vec<f64>,
    pub v: Vec<f64>,
    pub x: Vec<f64>,
    pub gaps: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{parse_field, Input};

    #[test]
    fn a_series_reads_timestamps_or_implies_them() {
        let field = series_field(2);
        let mut input = Input::new();
        input.extend(parse_field(&field, "5, 6, NaN, 8").unwrap());
        let s = Series::read(&input, &field, 60.0);
        assert_eq!(s.t, vec![0.0, 60.0, 120.0, 180.0]);
        assert_eq!((s.timestamped, s.gaps()), (false, 1));

        let mut input = Input::new();
        input.extend(parse_field(&field, "0, 20\n60, 21\n120, 80").unwrap());
        let s = Series::read(&input, &field, 60.0);
        assert_eq!((s.t.clone(), s.v.clone(), s.timestamped), (vec![0.0, 60.0, 120.0], vec![20.0, 21.0, 80.0], true));
        assert_eq!(s.into_observed().x, vec![0.0, 60.0, 120.0]);
    }

    #[test]
    fn observed_samples_skip_gaps_and_keep_their_index() {
        let series = Series { t: vec![0.0, 60.0, 120.0, 180.0], v: vec![5.0, f64::NAN, 7.0, 8.0], timestamped: false };
        let o = series.into_observed();
        assert_eq!((o.t, o.v, o.x, o.gaps), (vec![0.0, 120.0, 180.0], vec![5.0, 7.0, 8.0], vec![0.0, 2.0, 3.0], 1));
    }

    #[test]
    fn ties_are_a_few_ulps() {
        assert!(Compare::Ge.passes(0.085, 1.5 / 20.0 + 0.01));
        assert!(!Compare::Gt.passes(0.085, 1.5 / 20.0 + 0.01));
        assert!(Compare::Gt.passes(0.0851, 0.085));
        assert!(!Compare::Gt.passes(f64::NAN, 0.0));
    }
}
