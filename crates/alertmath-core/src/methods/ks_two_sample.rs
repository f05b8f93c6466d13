//! The two-sample Kolmogorov–Smirnov test (Smirnov 1939): do a baseline and a current
//! sample come from the same distribution? D is the largest vertical distance between
//! their empirical distribution functions.
//!
//! The p-value is exact for small samples: the probability, over all C(n + m, n) equally
//! likely ways to split the pooled values into a baseline of n and a current of m, that
//! the statistic is at least the observed one. Ties are kept together: the ECDFs are only
//! compared after a run of equal values, as they are on the data. It is computed by the
//! lattice-path recursion over (i, j) = (baseline, current) values taken so far, in
//! probabilities rather than counts (no overflow), accumulating the mass that reaches
//! the critical region, so small p-values keep their digits. Above a size limit the
//! Kolmogorov limit distribution is used. The critical D is the smallest attainable D
//! whose exact tail probability is at most α.

use super::extreme::Frame;
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num, sig};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Layer, Panel, Plot, Role};
use crate::spec::{Choice, ColumnSpec, Domain, FieldSpec, MethodSpec, ParamKind, ParamSpec};
use crate::stats::{mean, sorted};

const VALUE: &[ColumnSpec] = &[ColumnSpec { id: "value", label: "value", unit: "", domain: Domain::Real }];

/// The key of the baseline values.
pub const BASELINE: &str = "baseline.value";
/// The key of the current values.
pub const CURRENT: &str = "current.value";

/// Exact p-values by default when n·m is at most this (a few milliseconds in the browser,
/// the critical value included).
pub const EXACT_AUTO_LIMIT: u64 = 10_000;
/// The largest n·m for which the exact computation may be forced.
pub const EXACT_MAX: u64 = 100_000;

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "ks-two-sample",
        name: "Two-sample Kolmogorov–Smirnov test",
        summary: "Compares the empirical distribution functions of a baseline and a current sample: D is their largest vertical gap, with an exact p-value for small samples, ties included.",
        fields: &[
            FieldSpec {
                id: "baseline",
                label: "Baseline",
                help: "the reference sample (e.g. last week's latencies), numbers separated by commas, spaces or new lines",
                columns: VALUE,
                timestamps: false,
                min_rows: 1,
                gaps: false,
                optional: false,
            },
            FieldSpec {
                id: "current",
                label: "Current",
                help: "the sample to compare (e.g. the last 10 minutes), any size",
                columns: VALUE,
                timestamps: false,
                min_rows: 1,
                gaps: false,
                optional: false,
            },
        ],
        params: &[
            ParamSpec {
                id: "alternative",
                label: "Alternative",
                unit: "",
                help: "Any difference (the guide's |F_b − F_c|), or only a shift of the current sample to larger or to smaller values.",
                kind: ParamKind::Choice {
                    default: "two-sided",
                    options: &[
                        Choice { id: "two-sided", label: "any difference: D = max |F_b − F_c|" },
                        Choice { id: "current-larger", label: "current larger (e.g. slower): D⁺ = max (F_b − F_c)" },
                        Choice { id: "current-smaller", label: "current smaller: D⁻ = max (F_c − F_b)" },
                    ],
                },
            },
            ParamSpec {
                id: "alpha",
                label: "Significance level α",
                unit: "",
                help: "The false-alarm rate allowed when both samples come from one distribution; sets the critical D.",
                kind: ParamKind::Number { default: 0.05, min: 0.0001, max: 0.5, step: 0.0001, integer: false, log: true },
            },
            ParamSpec {
                id: "p_method",
                label: "p-value",
                unit: "",
                help: "Exact (all splits of the pooled data, ties included) when n·m ≤ 10,000, else the Kolmogorov limit; or force one.",
                kind: ParamKind::Choice {
                    default: "auto",
                    options: &[
                        Choice { id: "auto", label: "auto: exact when n·m ≤ 10,000" },
                        Choice { id: "exact", label: "exact (n·m ≤ 100,000)" },
                        Choice { id: "asymptotic", label: "asymptotic (Kolmogorov limit)" },
                    ],
                },
            },
        ],
    },
    run,
};

/// Which difference the test looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    /// D = max |F_b − F_c|.
    TwoSided,
    /// D⁺ = max (F_b − F_c): the current values are larger.
    CurrentLarger,
    /// D⁻ = max (F_c − F_b): the current values are smaller.
    CurrentSmaller,
}

impl Alternative {
    /// Whether the scaled difference i·m − j·n (F_b − F_c times n·m) reaches `d`.
    fn reaches(self, diff: i64, d: i64) -> bool {
        match self {
            Alternative::TwoSided => diff.abs() >= d,
            Alternative::CurrentLarger => diff >= d,
            Alternative::CurrentSmaller => -diff >= d,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Alternative::TwoSided => "D",
            Alternative::CurrentLarger => "D⁺",
            Alternative::CurrentSmaller => "D⁻",
        }
    }
}

/// One distinct value of the pooled sample: how many baseline (i) and current (j)
/// values are at or below it.
#[derive(Debug, Clone, Copy)]
struct Row {
    x: f64,
    i: usize,
    j: usize,
}

/// P(statistic ≥ d / (n·m)) under the permutation null, ties kept together: `check[k]`
/// says whether the ECDFs are compared after the k-th pooled value (the end of a run of
/// equal values). O(n·m) time, O(n) memory.
pub fn exact_tail(n: usize, m: usize, check: &[bool], d: i64, alt: Alternative) -> f64 {
    let total = n + m;
    let (ni, mi) = (n as i64, m as i64);
    // u[i]: probability of being at (i, k − i) without having reached the region.
    let mut u = vec![0.0f64; n + 1];
    if let Some(first) = u.first_mut() {
        *first = 1.0;
    }
    let (mut p, mut comp) = (0.0f64, 0.0f64);
    for k in 0..total {
        let left = (total - k) as f64;
        let (lo, hi) = (k.saturating_sub(m), k.min(n));
        // Step to diagonal k + 1 in place, from the top: u[i + 1] already holds its new value.
        for i in (lo..=hi).rev() {
            let Some(&w) = u.get(i) else { continue };
            let j = k - i;
            if i < n {
                if let Some(next) = u.get_mut(i + 1) {
                    *next += w * ((n - i) as f64 / left);
                }
            }
            if let Some(here) = u.get_mut(i) {
                *here = w * (m.saturating_sub(j) as f64 / left);
            }
        }
        let k1 = k + 1;
        if check.get(k1).copied().unwrap_or(false) {
            let (lo1, hi1) = (k1.saturating_sub(m), k1.min(n));
            for i in lo1..=hi1 {
                let j = (k1 - i) as i64;
                if alt.reaches(i as i64 * mi - j * ni, d) {
                    if let Some(w) = u.get_mut(i) {
                        // Neumaier-compensated sum of the absorbed mass.
                        let t = p + *w;
                        comp += if p.abs() >= w.abs() { (p - t) + *w } else { (*w - t) + p };
                        p = t;
                        *w = 0.0;
                    }
                }
            }
        }
    }
    (p + comp).clamp(0.0, 1.0)
}

/// P(K > λ) for the Kolmogorov distribution (the limit of √(nm/(n+m))·D).
pub fn kolmogorov_sf(lambda: f64) -> f64 {
    if lambda.is_nan() {
        return f64::NAN;
    }
    if lambda <= 0.0 {
        return 1.0;
    }
    if lambda < 1.0 {
        // P(K ≤ λ) = √(2π)/λ · Σ exp(−(2k − 1)²π²/(8λ²)): tiny for small λ, so 1 − it is exact enough.
        let f = std::f64::consts::PI * std::f64::consts::PI / (8.0 * lambda * lambda);
        let mut cdf = 0.0;
        for k in 1..=20 {
            let odd = (2 * k - 1) as f64;
            let term = (-odd * odd * f).exp();
            cdf += term;
            if term < 1e-300 || term < cdf * 1e-17 {
                break;
            }
        }
        let cdf = (2.0 * std::f64::consts::PI).sqrt() / lambda * cdf;
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    // P(K > λ) = 2 Σ (−1)^(k−1) exp(−2k²λ²).
    let mut sum = 0.0;
    for k in 1..=100 {
        let kf = k as f64;
        let term = (-2.0 * kf * kf * lambda * lambda).exp();
        sum += if k % 2 == 1 { term } else { -term };
        if term < 1e-300 || term < sum.abs() * 1e-17 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// The λ with P(K > λ) = α (two-sided) or exp(−2λ²) = α (one-sided).
pub fn kolmogorov_isf(alpha: f64, two_sided: bool) -> f64 {
    if !(alpha > 0.0 && alpha < 1.0) {
        return f64::NAN;
    }
    if !two_sided {
        return (-alpha.ln() / 2.0).sqrt();
    }
    let (mut lo, mut hi) = (0.0f64, 10.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if kolmogorov_sf(mid) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-16 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The smallest value of |i·m − j·n| (0 ≤ i ≤ n, 0 ≤ j ≤ m) that is at least `d`: the
/// smallest statistic (times n·m) a split can attain at or above d.
fn attainable_at_least(n: usize, m: usize, d: i64) -> Option<i64> {
    let (ni, mi) = (n as i64, m as i64);
    let mut best: Option<i64> = None;
    for i in 0..=ni {
        let im = i * mi;
        // i·m − j·n ≥ d with j as large as possible.
        if im >= d {
            let j = ((im - d) / ni).min(mi);
            let v = im - j * ni;
            best = Some(best.map_or(v, |b: i64| b.min(v)));
        }
        // j·n − i·m ≥ d with j as small as possible.
        let need = im + d;
        let j = (need + ni - 1) / ni;
        if j <= mi {
            let v = j * ni - im;
            best = Some(best.map_or(v, |b: i64| b.min(v)));
        }
    }
    best
}

/// The largest attainable |i·m − j·n| strictly below `d`.
fn attainable_below(n: usize, m: usize, d: i64) -> Option<i64> {
    let (ni, mi) = (n as i64, m as i64);
    let mut best: Option<i64> = None;
    for i in 0..=ni {
        let im = i * mi;
        // i·m − j·n < d, as large as possible: the smallest j with i·m − j·n < d.
        let j = if im < d { 0 } else { (im - d) / ni + 1 };
        if j <= mi {
            let v = im - j * ni;
            if v >= 0 {
                best = Some(best.map_or(v, |b: i64| b.max(v)));
            }
        }
        // j·n − i·m < d, as large as possible.
        let j = (im + d - 1).div_euclid(ni).min(mi);
        let v = j * ni - im;
        if v >= 0 && v < d {
            best = Some(best.map_or(v, |b: i64| b.max(v)));
        }
    }
    best
}

/// The mean without overflow for values near ±1.8e308 (on data moved to a nearby origin).
fn robust_mean(xs: &[f64]) -> f64 {
    let frame = Frame::of(xs);
    frame.location(mean(&frame.apply(xs)))
}

/// C(n, k) as a float (for showing p as a count of splits when it is small enough).
fn binomial(n: usize, k: usize) -> f64 {
    let k = k.min(n - k.min(n));
    (0..k).fold(1.0, |acc, t| acc * (n - t) as f64 / (t + 1) as f64)
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let alt = match p.choice("alternative")? {
        "current-larger" => Alternative::CurrentLarger,
        "current-smaller" => Alternative::CurrentSmaller,
        _ => Alternative::TwoSided,
    };
    let alpha = p.num("alpha")?;
    let method = p.choice("p_method")?;
    let b = sorted(input.col(BASELINE));
    let c = sorted(input.col(CURRENT));
    let (n, m) = (b.len(), c.len());
    let nm = n as u64 * m as u64;
    if method == "exact" && nm > EXACT_MAX {
        return Err(InputError::unsupported(format!(
            "The exact p-value is computed for n·m up to {}; these samples have n·m = {} × {} = {}. Choose auto or asymptotic.",
            count(EXACT_MAX as usize),
            count(n),
            count(m),
            count(nm as usize)
        ))
        .in_param("p_method"));
    }
    let use_exact = method == "exact" || (method == "auto" && nm <= EXACT_AUTO_LIMIT);

    // Walk the pooled values in order: one row per distinct value.
    let mut rows: Vec<Row> = Vec::new();
    let (mut i, mut j) = (0usize, 0usize);
    while i < n || j < m {
        let next = match (b.get(i), c.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while b.get(i).is_some_and(|&x| x == next) {
            i += 1;
        }
        while c.get(j).is_some_and(|&y| y == next) {
            j += 1;
        }
        rows.push(Row { x: next, i, j });
    }
    let (ni, mi) = (n as i64, m as i64);
    let diff = |r: &Row| r.i as i64 * mi - r.j as i64 * ni;
    let d_plus_int = rows.iter().map(diff).max().unwrap_or(0).max(0);
    let d_minus_int = rows.iter().map(|r| -diff(r)).max().unwrap_or(0).max(0);
    let d_int = d_plus_int.max(d_minus_int);
    let stat_int = match alt {
        Alternative::TwoSided => d_int,
        Alternative::CurrentLarger => d_plus_int,
        Alternative::CurrentSmaller => d_minus_int,
    };
    let scale = nm as f64;
    let (d, d_plus, d_minus, stat) =
        (d_int as f64 / scale, d_plus_int as f64 / scale, d_minus_int as f64 / scale, stat_int as f64 / scale);
    let hits: Vec<usize> = (0..rows.len())
        .filter(|&k| rows.get(k).is_some_and(|r| stat_int > 0 && alt.reaches(diff(r), stat_int)))
        .collect();
    let at = hits.first().and_then(|&k| rows.get(k)).copied();
    let ties = rows.len() < n + m;

    let two_sided = alt == Alternative::TwoSided;
    let lambda = stat * (scale / (n + m) as f64).sqrt();
    let p_asym = if two_sided { kolmogorov_sf(lambda) } else { (-2.0 * lambda * lambda).exp() };
    let c_alpha = kolmogorov_isf(alpha, two_sided);
    let d_crit_asym = c_alpha * ((n + m) as f64 / scale).sqrt();

    let mut check = vec![false; n + m + 1];
    for r in &rows {
        if let Some(slot) = check.get_mut(r.i + r.j) {
            *slot = true;
        }
    }
    let tail = |d: i64| if d <= 0 { 1.0 } else { exact_tail(n, m, &check, d, alt) };
    let p_exact = if use_exact { Some(tail(stat_int)) } else { None };
    // The exact critical value: the smallest d with P(stat ≥ d) ≤ α, snapped to an attainable value.
    // With every pooled value equal, every split gives D = 0: there is no critical value.
    let all_tied = rows.len() <= 1;
    let exact_crit = if use_exact && !all_tied {
        let top = ni * mi;
        if tail(top) > alpha {
            None
        } else {
            let (mut lo, mut hi) = (1i64, top);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if tail(mid) <= alpha {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            let crit = attainable_at_least(n, m, lo).unwrap_or(lo);
            let below = attainable_below(n, m, crit).filter(|&v| v > 0);
            Some((crit, tail(crit), below.map(|v| (v, tail(v)))))
        }
    } else {
        None
    };
    let p_value = p_exact.unwrap_or(p_asym);
    let significant = p_value <= alpha;
    let d_crit = if use_exact { exact_crit.map(|(v, _, _)| v as f64 / scale) } else { Some(d_crit_asym) };

    let sym = alt.symbol();
    let mut steps = Steps::new();
    steps.text(
        "sizes",
        "Sample sizes",
        "n (baseline), m (current)",
        format!("{} distinct pooled values", count(rows.len())),
        format!("n = {}, m = {}", count(n), count(m)),
    );
    steps.text(
        "ecdf",
        "Empirical distribution functions",
        "F(x) = #{values ≤ x} / size",
        "at each distinct pooled value",
        "see the table",
    );
    // Where each maximum is first reached, for the substitutions.
    let first_where =
        |alt: Alternative, target: i64| rows.iter().find(|r| target > 0 && alt.reaches(diff(r), target)).copied();
    let where_text = |r: Option<Row>, sign: i8| match r {
        Some(r) => match sign {
            0 => format!("|{}/{} − {}/{}| at x = {}", r.i, n, r.j, m, num(r.x)),
            1 => format!("{}/{} − {}/{} at x = {}", r.i, n, r.j, m, num(r.x)),
            _ => format!("{}/{} − {}/{} at x = {}", r.j, m, r.i, n, num(r.x)),
        },
        None => "0: never positive".to_string(),
    };
    steps.num(
        "d",
        "Largest distance",
        "D = max |F_b(x) − F_c(x)|",
        match first_where(Alternative::TwoSided, d_int) {
            None => "the ECDFs never differ".to_string(),
            r => where_text(r, 0),
        },
        d,
    );
    steps.num(
        "d_plus",
        "Largest excess of the baseline ECDF (current values larger)",
        "D⁺ = max (F_b(x) − F_c(x))",
        where_text(first_where(Alternative::CurrentLarger, d_plus_int), 1),
        d_plus,
    );
    steps.num(
        "d_minus",
        "Largest excess of the current ECDF (current values smaller)",
        "D⁻ = max (F_c(x) − F_b(x))",
        where_text(first_where(Alternative::CurrentSmaller, d_minus_int), -1),
        d_minus,
    );
    steps.num(
        "lambda",
        "Scaled statistic",
        &format!("λ = {} · √(n·m / (n + m))", sym),
        format!("{} · √({} / {})", num(stat), count(nm as usize), count(n + m)),
        lambda,
    );
    let splits = binomial(n + m, n);
    match p_exact {
        Some(pe) => {
            let favourable = pe * splits;
            let as_count = splits <= 1e15 && (favourable - favourable.round()).abs() < 1e-6 * favourable.max(1.0);
            steps
                .num(
                    "p_exact",
                    "Exact p-value",
                    &format!("P({} ≥ {}) over all C(n + m, n) splits of the pooled data", sym, num(stat)),
                    if splits <= 1e15 {
                        format!(
                            "C({}, {}) = {} equally likely splits{}",
                            n + m,
                            n,
                            num(splits),
                            if ties { ", ties kept together" } else { "" }
                        )
                    } else {
                        format!(
                            "lattice paths from (0, 0) to ({}, {}){}",
                            n,
                            m,
                            if ties { ", ties kept together" } else { "" }
                        )
                    },
                    pe,
                )
                .shown(if as_count {
                    format!("{} / {} = {}", num(favourable.round()), num(splits), sig(pe, 4))
                } else {
                    sig(pe, 4)
                });
        }
        None => {
            steps.text(
                "p_exact",
                "Exact p-value",
                "all C(n + m, n) splits",
                format!("n·m = {} is above {}", count(nm as usize), count(EXACT_AUTO_LIMIT as usize)),
                "not computed: the asymptotic p-value is used",
            );
        }
    }
    steps
        .num(
            "p_asymptotic",
            "Asymptotic p-value (Kolmogorov limit)",
            if two_sided { "p ≈ 2 Σ (−1)^(k−1) e^(−2k²λ²)" } else { "p ≈ e^(−2λ²)" },
            format!("λ = {}", num(lambda)),
            p_asym,
        )
        .shown(sig(p_asym, 4));
    match (use_exact, exact_crit) {
        (true, Some((crit, size, below))) => {
            let crit_d = crit as f64 / scale;
            let below_text = match below {
                Some((v, pv)) => format!("; {} = {} has p = {}", sym, num(v as f64 / scale), sig(pv, 3)),
                None => String::new(),
            };
            steps.num(
                "d_crit",
                &format!("Critical {} at α = {} (exact)", sym, num(alpha)),
                &format!("smallest attainable {} with P({} ≥ it) ≤ α", sym, sym),
                format!("P({} ≥ {}) = {}{}", sym, num(crit_d), sig(size, 3), below_text),
                crit_d,
            );
        }
        (true, None) if all_tied => {
            steps.text(
                "d_crit",
                &format!("Critical {} at α = {} (exact)", sym, num(alpha)),
                &format!("smallest attainable {} with P({} ≥ it) ≤ α", sym, sym),
                "every split of the pooled data gives 0",
                "none: all values are equal",
            );
        }
        (true, None) => {
            steps.text(
                "d_crit",
                &format!("Critical {} at α = {} (exact)", sym, num(alpha)),
                &format!("smallest attainable {} with P({} ≥ it) ≤ α", sym, sym),
                format!("even {} = 1 has P = {} > α", sym, sig(tail(ni * mi), 3)),
                format!("none: {} vs {} values can never be significant at α = {}", count(n), count(m), num(alpha)),
            );
        }
        _ => {}
    }
    steps.num(
        "d_crit_asymptotic",
        &format!("Critical {} at α = {} (asymptotic)", sym, num(alpha)),
        &format!("{} ≈ c(α) · √((n + m) / (n·m))", sym),
        format!("{} · √({} / {})", num(c_alpha), count(n + m), count(nm as usize)),
        d_crit_asym,
    );
    steps
        .text(
            "decision",
            "Different distributions?",
            "p ≤ α",
            format!(
                "{} ≤ {}? ({} p-value)",
                sig(p_value, 4),
                num(alpha),
                if use_exact { "exact" } else { "asymptotic" }
            ),
            if significant { "yes: significant" } else { "no: not significant" },
        )
        .decisive();

    let verdict = if all_tied {
        Verdict::new(
            Level::Clear,
            format!("No difference: every value is {}", num(rows.first().map_or(f64::NAN, |r| r.x))),
            "The two ECDFs coincide, and every split of the pooled data gives D = 0: there is nothing to detect.",
        )
    } else if significant {
        Verdict::new(
            Level::Alert,
            format!("ALERT: the distributions differ ({} = {}, p = {})", sym, num(stat), sig(p_value, 3)),
            format!(
                "A gap this large arises with probability {} when both samples come from one distribution (α = {}).",
                sig(p_value, 3),
                num(alpha)
            ),
        )
    } else {
        let needed = match d_crit {
            Some(dc) => format!(
                " With {} and {} values, {} must reach {} to be significant at α = {}.",
                count(n),
                count(m),
                sym,
                num(dc),
                num(alpha)
            ),
            None => format!(
                " With {} and {} values no {} can be significant at α = {}.",
                count(n),
                count(m),
                sym,
                num(alpha)
            ),
        };
        Verdict::new(
            Level::Clear,
            format!("No significant difference ({} = {}, p = {})", sym, num(stat), sig(p_value, 3)),
            format!(
                "A gap of {} or more arises with probability {} when both samples come from one distribution.{}",
                num(stat),
                sig(p_value, 3),
                needed
            ),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    let not_computed = || Val::Undefined(format!("not computed: n·m = {}", count(nm as usize)));
    a.push_value("n_baseline", "baseline size n", Val::Int(n as i64), "");
    a.push_value("n_current", "current size m", Val::Int(m as i64), "");
    a.push_value("mean_baseline", "baseline mean", Val::num_or(robust_mean(&b), "no values"), "");
    a.push_value("mean_current", "current mean", Val::num_or(robust_mean(&c), "no values"), "");
    a.push_value("d", "D = max |F_b − F_c|", Val::Num(d), "");
    a.push_value("d_plus", "D⁺ = max (F_b − F_c)", Val::Num(d_plus), "");
    a.push_value("d_minus", "D⁻ = max (F_c − F_b)", Val::Num(d_minus), "");
    a.push_value("statistic", format!("the test statistic {}", sym), Val::Num(stat), "");
    a.push_value(
        "d_at",
        "where it occurs (first x)",
        at.map_or_else(|| Val::Undefined("the ECDFs never differ".to_string()), |r| Val::Num(r.x)),
        "",
    );
    a.push_value("lambda", "λ = statistic · √(nm/(n+m))", Val::num_or(lambda, "no values"), "");
    a.push_value("p_exact", "exact p-value", p_exact.map_or_else(not_computed, Val::Num), "");
    a.push_value("p_asymptotic", "asymptotic p-value", Val::num_or(p_asym, "no values"), "");
    a.push_value("p_value", "p-value used", Val::num_or(p_value, "no values"), "");
    a.push_value(
        "p_method",
        "p-value method",
        Val::Text(if use_exact { "exact" } else { "asymptotic" }.to_string()),
        "",
    );
    a.push_value(
        "d_crit",
        "critical value at α",
        d_crit.map_or_else(
            || {
                Val::Undefined(
                    if all_tied { "all values are equal" } else { "no value is significant at this α" }.to_string(),
                )
            },
            Val::Num,
        ),
        "",
    );
    a.push_value(
        "d_crit_size",
        "P(statistic ≥ critical value)",
        match exact_crit {
            Some((_, size, _)) => Val::Num(size),
            None if use_exact && all_tied => Val::Undefined("all values are equal".to_string()),
            None if use_exact => Val::Undefined("no value is significant at this α".to_string()),
            None => not_computed(),
        },
        "",
    );
    let below = exact_crit.and_then(|(_, _, below)| below);
    a.push_value(
        "d_below",
        "largest attainable value below the critical one",
        below.map_or_else(
            || Val::Undefined(if use_exact { "none" } else { "exact only" }.to_string()),
            |(v, _)| Val::Num(v as f64 / scale),
        ),
        "",
    );
    a.push_value(
        "p_below",
        "its p-value",
        below.map_or_else(
            || Val::Undefined(if use_exact { "none" } else { "exact only" }.to_string()),
            |(_, pv)| Val::Num(pv),
        ),
        "",
    );
    a.push_value("d_crit_asymptotic", "asymptotic critical value", Val::num_or(d_crit_asym, "α outside (0, 1)"), "");
    a.push_value("significant", "different at level α", Val::Bool(significant), "");

    if ties {
        a.note(
            NoteLevel::Info,
            if use_exact {
                format!(
                    "The pooled data have tied values ({} distinct among {}). The exact p-value keeps each run of equal values together, as the ECDFs do; a p-value that assumes continuous data ignores this and is conservative.",
                    count(rows.len()),
                    count(n + m)
                )
            } else {
                format!(
                    "The pooled data have tied values ({} distinct among {}). The asymptotic p-value assumes continuous data and is conservative with ties; the exact one (n·m ≤ {}) takes them into account.",
                    count(rows.len()),
                    count(n + m),
                    count(EXACT_MAX as usize)
                )
            },
        );
    }
    if !use_exact {
        a.note(
            NoteLevel::Info,
            format!(
                "The p-value comes from the Kolmogorov limit (n·m = {} > {}). At these sizes it is close to the exact value but not equal: the limit is approached slowly, and it assumes no ties.",
                count(nm as usize),
                count(EXACT_AUTO_LIMIT as usize)
            ),
        );
    }
    a.note(
        NoteLevel::Info,
        format!(
            "A fixed cut-off on D ignores the sample sizes: at α = {} the critical D is about {} here, and {} for 10,000 vs 10,000 values.",
            num(alpha),
            num(d_crit.unwrap_or(d_crit_asym)),
            sig(kolmogorov_isf(alpha, true) * (2.0f64 / 10_000.0).sqrt(), 3)
        ),
    );

    // The ECDF table, one row per distinct pooled value.
    let (col_diff, sign) = match alt {
        Alternative::TwoSided => ("|F_b − F_c|", 0),
        Alternative::CurrentLarger => ("F_b − F_c", 1),
        Alternative::CurrentSmaller => ("F_c − F_b", -1),
    };
    let mut table =
        Table::new("ecdf", "ECDFs at each distinct pooled value", &["x", "F_baseline", "F_current", col_diff]);
    table.fill(
        rows.len(),
        |k| rows.get(k).is_some_and(|r| stat_int > 0 && alt.reaches(diff(r), stat_int)),
        |k| {
            let Some(r) = rows.get(k) else { return vec![String::new(); 4] };
            let fb = r.i as f64 / n as f64;
            let fc = r.j as f64 / m as f64;
            let dv = diff(r) as f64 / scale;
            let shown = match sign {
                0 => dv.abs(),
                1 => dv,
                _ => -dv,
            };
            vec![
                num(r.x),
                format!("{}/{} = {}", count(r.i), count(n), num(fb)),
                format!("{}/{} = {}", count(r.j), count(m), num(fc)),
                num(shown),
            ]
        },
    );
    a.tables.push(table);

    // Plot: both ECDFs as steps with the gap marked; below, their difference against the critical value.
    let (first, last) = (rows.first().map_or(0.0, |r| r.x), rows.last().map_or(1.0, |r| r.x));
    // Halves first, so that the span of values near ±1.8e308 stays finite.
    let pad = if last > first { (last / 2.0 - first / 2.0) * 0.16 } else { first.abs().max(1.0) * 0.1 };
    let start = first - pad;
    let ecdf = |values: &[f64], size: usize| -> (Vec<f64>, Vec<f64>) {
        let (mut xs, mut ys) = (vec![start], vec![0.0]);
        let mut k = 0;
        while let Some(&v) = values.get(k) {
            while values.get(k).is_some_and(|&w| w == v) {
                k += 1;
            }
            xs.push(v);
            ys.push(k as f64 / size as f64);
        }
        (xs, ys)
    };
    let (bx, by) = ecdf(&b, n);
    let (cx, cy) = ecdf(&c, m);
    let mut top = Panel::new(
        "Empirical distribution functions",
        Axis::linear("value x"),
        Axis::linear("F(x)").with_range(-0.04, 1.08),
    );
    top.push(Layer::steps(bx.clone(), by.clone(), Role::Model, format!("baseline (n = {})", count(n))));
    top.push(Layer::steps(cx.clone(), cy.clone(), Role::Data, format!("current (m = {})", count(m))));
    top.push(Layer::points(bx.get(1..).unwrap_or(&[]).to_vec(), by.get(1..).unwrap_or(&[]).to_vec(), Role::Model, ""));
    top.push(Layer::points(cx.get(1..).unwrap_or(&[]).to_vec(), cy.get(1..).unwrap_or(&[]).to_vec(), Role::Data, ""));
    if let Some(r) = at {
        let (fb, fc) = (r.i as f64 / n as f64, r.j as f64 / m as f64);
        top.push(Layer::segment(
            r.x,
            fc,
            r.x,
            fb,
            Role::Flagged,
            format!("{} = {} at x = {}", sym, num(stat), num(r.x)),
        ));
        top.push(Layer::text(r.x, (fb + fc) / 2.0, format!("{} = {}", sym, num(stat))));
    }
    let mut bottom = Panel::new(
        "Difference F_b − F_c against the critical value",
        Axis::linear("value x"),
        Axis::linear("F_b − F_c").with_range(-1.0, 1.0),
    );
    bottom.weight = 0.6;
    let (mut dx, mut dy) = (vec![start], vec![0.0]);
    for r in &rows {
        dx.push(r.x);
        dy.push(diff(r) as f64 / scale);
    }
    bottom.push(Layer::hline(0.0, Role::Center, ""));
    if let Some(dc) = d_crit {
        let label = format!("critical {} (α = {})", sym, num(alpha));
        match alt {
            Alternative::TwoSided => {
                bottom.push(Layer::hline(dc, Role::Threshold, label));
                bottom.push(Layer::hline(-dc, Role::Threshold, ""));
            }
            Alternative::CurrentLarger => bottom.push(Layer::hline(dc, Role::Threshold, label)),
            Alternative::CurrentSmaller => bottom.push(Layer::hline(-dc, Role::Threshold, label)),
        }
    }
    bottom.push(Layer::steps(dx, dy, Role::Data, "F_b − F_c"));
    if let Some(r) = at {
        let v = diff(&r) as f64 / scale;
        bottom.push(Layer::segment(r.x, 0.0, r.x, v, Role::Flagged, ""));
    }
    a.plot = Plot::stacked(vec![top, bottom]);
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_ties(n: usize, m: usize) -> Vec<bool> {
        vec![true; n + m + 1]
    }

    #[test]
    fn exact_tail_of_five_against_five() {
        // Without ties: P(D ≥ 0.6) = 90/252, P(D ≥ 0.8) = 20/252, P(D ≥ 1) = 2/252.
        let check = no_ties(5, 5);
        let p = |d: i64| exact_tail(5, 5, &check, d, Alternative::TwoSided);
        assert!((p(15) - 90.0 / 252.0).abs() < 1e-15, "{}", p(15));
        assert!((p(20) - 20.0 / 252.0).abs() < 1e-15, "{}", p(20));
        assert!((p(25) - 2.0 / 252.0).abs() < 1e-15, "{}", p(25));
        // One-sided: P(D⁺ ≥ 1) = 1/252.
        assert!((exact_tail(5, 5, &check, 25, Alternative::CurrentLarger) - 1.0 / 252.0).abs() < 1e-15);
    }

    #[test]
    fn kolmogorov_distribution() {
        // scipy.stats.kstwobign.sf
        assert!((kolmogorov_sf(0.6 * 2.5f64.sqrt()) - 0.3291047890978151).abs() < 1e-14);
        assert!((kolmogorov_sf(1.0) - 0.26999967167735456).abs() < 1e-14);
        assert!((kolmogorov_sf(0.5) - 0.9639452436648751).abs() < 1e-14);
        assert!((kolmogorov_isf(0.05, true) - 1.3580986393225507).abs() < 1e-12);
    }

    #[test]
    fn bad_input_in_either_sample_is_named() {
        use crate::{analyze, ErrorKind, Input, Params};
        let input = Input::new().with("baseline", vec![1.0, 2.0]).with("current", vec![1.0, f64::NAN]);
        let e = analyze("ks-two-sample", input, &Params::new()).unwrap_err();
        assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::NotFinite, Some("current")));
        let big: Vec<f64> = (0..400).map(f64::from).collect();
        let input = Input::new().with("baseline", big.clone()).with("current", big);
        let e = analyze("ks-two-sample", input, &Params::new().with("p_method", "exact")).unwrap_err();
        assert_eq!((e.kind, e.param.as_deref()), (ErrorKind::Unsupported, Some("p_method")));
    }

    #[test]
    fn unequal_sizes_and_total_ties() {
        use crate::{analyze, Input, Level, Params};
        let input = Input::new().with("baseline", vec![10.0]).with("current", vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let a = analyze("ks-two-sample", input, &Params::new()).unwrap();
        assert_eq!(a.number("d"), Some(1.0));
        // D = 1 when the baseline's one value is above or below the six others: p = 2/7.
        assert!((a.number("p_exact").unwrap() - 2.0 / 7.0).abs() < 1e-15);
        let input = Input::new().with("baseline", vec![4.0; 3]).with("current", vec![4.0; 4]);
        let a = analyze("ks-two-sample", input, &Params::new()).unwrap();
        assert_eq!(a.verdict.level, Level::Clear);
        assert_eq!((a.number("d"), a.number("p_value")), (Some(0.0), Some(1.0)));
    }

    #[test]
    fn attainable_values() {
        // 5 vs 5: multiples of 5 (in 25ths).
        assert_eq!(attainable_at_least(5, 5, 16), Some(20));
        assert_eq!(attainable_below(5, 5, 25), Some(20));
        // 2 vs 3: |3i − 2j| ∈ {0, 1, 2, 3, 4, 6}; 5 cannot occur.
        assert_eq!(attainable_at_least(2, 3, 5), Some(6));
        assert_eq!(attainable_below(2, 3, 6), Some(4));
        assert_eq!(attainable_below(2, 3, 4), Some(3));
    }
}
