//! GARCH(1,1): the conditional variance σ²(t) = ω + α·ε²(t−1) + β·σ²(t−1) of a series of
//! shocks ε (the values themselves, or their deviations from a constant mean), given or
//! fitted by maximum likelihood, and the points whose standardised shock |ε/σ| is too
//! large.
//!
//! Two conventions the guide leaves open are parameters. The timing: the guide puts a
//! day's own shock into that day's variance (ω + α·ε²(t) + β·σ²(t−1)); the standard model
//! (Bollerslev 1986, the `arch` package) uses the previous day's shock. And the start:
//! the first variance given (the guide's 5), `arch`'s backcast (ω + (α + β)·b with b an
//! exponentially weighted mean of the first 75 squared shocks, λ = 0.94), or the mean
//! squared shock.
//!
//! The fit maximises the normal log-likelihood −½ Σ [ln 2π + ln σ²(t) + ε²(t)/σ²(t)],
//! conditional on the start, over ω > 0, α, β ≥ 0, α + β < 1 (and μ for a constant mean)
//! with BFGS on an unconstrained reparameterisation (ω = e^a, α + β = logistic(b),
//! α/(α + β) = logistic(c)) and the exact gradient of the recursion. A missing shock
//! enters the recursion as its expectation σ²(t−1) and is left out of the likelihood.

use super::common::{series_field, Compare, Series, COMPARE};
use super::series_models::{band as band_layer, cell, observed_points, rms, sub, Timeline};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num};
use crate::input::Input;
use crate::optimize::{bfgs, Options};
use crate::params::ResolvedParams;
use crate::plot::{Axis, Layer, Panel, Plot, Role};
use crate::spec::{integer, number, Choice, MethodSpec, ParamKind, ParamSpec};
// ln and exp from the libm crate: the same bits natively and in wasm (the platform's
// would differ in the last place, and a fit would drift apart between the two).
use crate::elementary::{exp, ln, LnSum};

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "garch",
        name: "GARCH(1,1) volatility",
        summary: "Models today's variance from yesterday's shock and yesterday's variance, and flags shocks that are large for the variance of their day.",
        fields: &[series_field(1)],
        params: &[
            ParamSpec {
                id: "omega",
                label: "ω (constant term)",
                unit: "",
                help: "The constant added to every day's variance. The guide calls its ω = 1 the “normal variance”; the long-run variance is ω/(1 − α − β).",
                kind: ParamKind::Number { default: 1.0, min: 1e-12, max: 1e12, step: 0.01, integer: false, log: true },
            },
            ParamSpec {
                id: "alpha",
                label: "α (reaction to shocks)",
                unit: "",
                help: "Weight of the squared shock; the guide uses 0.1.",
                kind: number(0.1, 0.0, 1.0, 0.01),
            },
            ParamSpec {
                id: "beta",
                label: "β (memory)",
                unit: "",
                help: "Weight of the previous variance; the guide uses 0.8.",
                kind: number(0.8, 0.0, 1.0, 0.01),
            },
            ParamSpec {
                id: "sigma2_1",
                label: "Variance of the first day σ²₁",
                unit: "",
                help: "The variance the recursion starts from, with Start: given (the guide's calm day 1: 5).",
                kind: ParamKind::Number { default: 5.0, min: 1e-12, max: 1e12, step: 0.1, integer: false, log: true },
            },
            ParamSpec {
                id: "timing",
                label: "Timing",
                unit: "",
                help: "Whether a day's variance uses that day's own shock (the guide) or the previous day's (the standard model, the arch package).",
                kind: ParamKind::Choice {
                    default: "guide",
                    options: &[
                        Choice { id: "guide", label: "guide: σ²(t) = ω + α·ε²(t) + β·σ²(t−1)" },
                        Choice { id: "standard", label: "standard: σ²(t) = ω + α·ε²(t−1) + β·σ²(t−1) (arch)" },
                    ],
                },
            },
            ParamSpec {
                id: "start",
                label: "Start",
                unit: "",
                help: "The first day's variance: given (the guide), arch's backcast ω + (α + β)·(EWMA of the first squared shocks), or the mean squared shock.",
                kind: ParamKind::Choice {
                    default: "given",
                    options: &[
                        Choice { id: "given", label: "given σ²₁ (the guide)" },
                        Choice { id: "backcast", label: "backcast, as the arch package" },
                        Choice { id: "sample", label: "the mean squared shock" },
                    ],
                },
            },
            ParamSpec {
                id: "estimate",
                label: "Parameters",
                unit: "",
                help: "ω, α, β as given (the guide), or fitted to the series by maximum likelihood (normal errors, standard timing).",
                kind: ParamKind::Choice {
                    default: "given",
                    options: &[
                        Choice { id: "given", label: "given ω, α, β (the guide)" },
                        Choice { id: "mle", label: "fit by maximum likelihood" },
                    ],
                },
            },
            ParamSpec {
                id: "mean",
                label: "Mean",
                unit: "",
                help: "The shocks are the values themselves (zero mean, as the guide's ε), or their deviations from a constant mean (the sample mean, or fitted with the rest).",
                kind: ParamKind::Choice {
                    default: "zero",
                    options: &[
                        Choice { id: "zero", label: "zero: ε = y" },
                        Choice { id: "constant", label: "constant: ε = y − μ" },
                    ],
                },
            },
            ParamSpec {
                id: "threshold",
                label: "Threshold",
                unit: "σ",
                help: "Flag a day whose standardised shock |ε/σ| passes this.",
                kind: number(3.0, 0.1, 20.0, 0.1),
            },
            ParamSpec {
                id: "horizon",
                label: "Horizon",
                unit: "steps",
                help: "How many days of the variance forecast to draw.",
                kind: integer(10.0, 1.0, 10000.0),
            },
            COMPARE,
        ],
    },
    run,
};

/// The two timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// σ²(t) = ω + α·ε²(t) + β·σ²(t−1).
    Guide,
    /// σ²(t) = ω + α·ε²(t−1) + β·σ²(t−1).
    Standard,
}

/// How the first variance is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StartVariance {
    /// σ²₁ itself.
    Given(f64),
    /// arch's backcast b: σ²₁ = ω + (α + β)·b.
    Backcast(f64),
    /// σ²₁ itself (the mean squared shock).
    Sample(f64),
}

/// arch's backcast: the EWMA (λ = 0.94) of the first min(75, n) squared shocks, missing
/// ones skipped.
pub fn backcast(eps: &[f64]) -> f64 {
    let mut num_ = 0.0;
    let mut den = 0.0;
    let mut w = 1.0;
    for e in eps.iter().take(75) {
        if e.is_finite() {
            num_ += w * e * e;
            den += w;
        }
        w *= 0.94;
    }
    if den > 0.0 {
        num_ / den
    } else {
        f64::NAN
    }
}

/// The variance of each day. A missing shock (NaN) enters as its expectation.
pub fn variances(eps: &[f64], omega: f64, alpha: f64, beta: f64, start: StartVariance, timing: Timing) -> Vec<f64> {
    let n = eps.len();
    let mut s2 = Vec::with_capacity(n);
    let first = match start {
        StartVariance::Given(v) | StartVariance::Sample(v) => v,
        StartVariance::Backcast(b) => omega + (alpha + beta) * b,
    };
    let mut prev = first;
    for t in 0..n {
        let v = if t == 0 {
            first
        } else {
            let shock_at = if timing == Timing::Guide { t } else { t - 1 };
            let e = eps[shock_at];
            let e2 = if e.is_nan() {
                if timing == Timing::Guide {
                    prev
                } else {
                    s2[t - 1]
                }
            } else {
                e * e
            };
            omega + alpha * e2 + beta * prev
        };
        s2.push(v);
        prev = v;
    }
    s2
}

/// The normal log-likelihood of the observed shocks given their variances:
/// −½ [n·ln 2π + Σ ln σ²(t) + Σ ε²(t)/σ²(t)], the logarithms summed as one (see
/// [`LnSum`]: one call of `ln` rather than n).
pub fn loglik(eps: &[f64], s2: &[f64]) -> f64 {
    let ln2pi = ln(2.0 * std::f64::consts::PI);
    let mut logs = LnSum::new();
    let mut ratios = Vec::with_capacity(eps.len());
    for (e, v) in eps.iter().zip(s2).filter(|(e, _)| e.is_finite()) {
        logs.add(*v);
        ratios.push(e * e / v);
    }
    -0.5 * (ratios.len() as f64 * ln2pi + logs.value() + crate::stats::sum(&ratios))
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub omega: f64,
    pub alpha: f64,
    pub beta: f64,
    pub mu: f64,
    pub loglik: f64,
    pub iterations: usize,
    pub evaluations: usize,
    pub converged: bool,
}

/// How the start is chosen during a fit (its value is fixed from the data at the
/// starting mean, as arch does).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FitStart {
    Given(f64),
    Backcast,
    Sample,
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + exp(-x))
}

fn logit(p: f64) -> f64 {
    ln(p / (1.0 - p))
}

/// The inputs of the last fit and its result (None: no variation), for [`fit_cached`].
type FitMemo = (Vec<u64>, bool, FitStart, Option<Fit>);

thread_local! {
    static LAST_FIT: std::cell::RefCell<Option<FitMemo>> = const { std::cell::RefCell::new(None) };
}

/// [`fit`], remembering the last one. The fit depends only on the values, the mean and
/// the start, so that a reader who moves the threshold, the horizon or the comparison
/// over a fitted series of 100,000 values does not wait for the same fit again. The
/// values are compared bit for bit: the result is always exactly what [`fit`] returns.
pub fn fit_cached(y: &[f64], constant_mean: bool, start: FitStart) -> Option<Fit> {
    let bits: Vec<u64> = y.iter().map(|v| v.to_bits()).collect();
    let hit = LAST_FIT.with(|memo| {
        memo.try_borrow().ok().and_then(|m| match m.as_ref() {
            Some((b, c, s, f)) if *b == bits && *c == constant_mean && *s == start => Some(f.clone()),
            _ => None,
        })
    });
    if let Some(f) = hit {
        return f;
    }
    let f = fit(y, constant_mean, start);
    LAST_FIT.with(|memo| {
        if let Ok(mut m) = memo.try_borrow_mut() {
            *m = Some((bits, constant_mean, start, f.clone()));
        }
    });
    f
}

/// Maximum-likelihood fit under the standard timing. `y` are the values; with
/// `constant_mean` the shocks are y − μ and μ is fitted too. Returns None when the
/// shocks have no variation.
pub fn fit(y: &[f64], constant_mean: bool, start: FitStart) -> Option<Fit> {
    let obs: Vec<f64> = y.iter().copied().filter(|v| v.is_finite()).collect();
    let mu0 = if constant_mean { crate::stats::mean(&obs) } else { 0.0 };
    let dev: Vec<f64> = obs.iter().map(|v| v - mu0).collect();
    let s = rms(&dev);
    if s.is_nan() || s <= 0.0 || !s.is_finite() {
        return None;
    }
    // Scaled shocks at the starting mean: their mean square is 1.
    let u0: Vec<f64> = y.iter().map(|v| (v - mu0) / s).collect();
    let n_obs = obs.len() as f64;
    let start_u = match start {
        FitStart::Given(v) => StartVariance::Given(v / (s * s)),
        FitStart::Backcast => StartVariance::Backcast(backcast(&u0)),
        FitStart::Sample => StartVariance::Sample({
            let sq: Vec<f64> = u0.iter().filter(|v| v.is_finite()).map(|v| v * v).collect();
            crate::stats::mean(&sq)
        }),
    };
    let k = if constant_mean { 4 } else { 3 };
    let ln2pi = ln(2.0 * std::f64::consts::PI);
    let y_scaled: Vec<f64> = y.iter().map(|v| v / s).collect();
    let mu0_u = mu0 / s;
    // Negative log-likelihood (scaled units) and its gradient in the free parameters.
    let nll_over = |ys: &[f64], theta: &[f64], grad: &mut [f64]| -> f64 {
        let omega = exp(theta[0]);
        let pers = logistic(theta[1]);
        let share = logistic(theta[2]);
        let alpha = pers * share;
        let beta = pers * (1.0 - share);
        let mu = if constant_mean { mu0_u + theta[3] } else { 0.0 };
        // d/d(ω, α, β, μ) of σ² and of the lagged shock.
        let (mut s2, mut ds2) = match start_u {
            StartVariance::Given(v) | StartVariance::Sample(v) => (v, [0.0; 4]),
            StartVariance::Backcast(b) => (omega + (alpha + beta) * b, [1.0, b, b, 0.0]),
        };
        let mut logs = LnSum::new();
        let mut quad = 0.0;
        let mut observed = 0usize;
        let mut g = [0.0f64; 4];
        for (t, &yt) in ys.iter().enumerate() {
            if t > 0 {
                let prev_y = ys[t - 1];
                let (e2, de2) = if prev_y.is_nan() {
                    (s2, ds2)
                } else {
                    let u = prev_y - mu;
                    (u * u, [0.0, 0.0, 0.0, -2.0 * u])
                };
                let new = omega + alpha * e2 + beta * s2;
                let mut dn = [1.0, e2, s2, 0.0];
                for j in 0..4 {
                    dn[j] += alpha * de2[j] + beta * ds2[j];
                }
                s2 = new;
                ds2 = dn;
            }
            if s2.is_nan() || s2 <= 0.0 || !s2.is_finite() {
                return f64::INFINITY;
            }
            if yt.is_nan() {
                continue;
            }
            let u = yt - mu;
            logs.add(s2);
            quad += u * u / s2;
            observed += 1;
            let dl_ds2 = -0.5 * (1.0 / s2 - u * u / (s2 * s2));
            for j in 0..4 {
                g[j] += dl_ds2 * ds2[j];
            }
            g[3] += u / s2;
        }
        let ll = -0.5 * (observed as f64 * ln2pi + logs.value() + quad);
        // Chain rule to (a, b, c, m) and negate.
        let dp = pers * (1.0 - pers);
        let ds = share * (1.0 - share);
        grad[0] = -(g[0] * omega);
        grad[1] = -(g[1] * dp * share + g[2] * dp * (1.0 - share));
        grad[2] = -(g[1] * pers * ds - g[2] * pers * ds);
        if constant_mean {
            grad[3] = -g[3];
        }
        -ll
    };
    let nll = |theta: &[f64], grad: &mut [f64]| nll_over(&y_scaled, theta, grad);
    // A small grid of starting points, as arch does; the best one starts BFGS. The grid is
    // judged on the first 2,000 samples only: it picks a start, not the answer.
    let prefix = &y_scaled[..y_scaled.len().min(2000)];
    let mut best: Option<(f64, Vec<f64>)> = None;
    let mut scratch = vec![0.0; k];
    let mut evaluations = 0;
    for &pers in &[0.5f64, 0.8, 0.9, 0.95, 0.98] {
        for &share in &[0.05, 0.1, 0.2, 0.4] {
            let mut theta = vec![ln(1.0 - pers), logit(pers), logit(share)];
            if constant_mean {
                theta.push(0.0);
            }
            let f = nll_over(prefix, &theta, &mut scratch);
            evaluations += 1;
            if f.is_finite() && best.as_ref().is_none_or(|(bf, _)| f < *bf) {
                best = Some((f, theta));
            }
        }
    }
    let (_, theta0) = best?;
    // 800 evaluations for up to 20,000 values, fewer (at least 160) beyond: a fit of
    // 100,000 values typically needs about 40.
    let budget = (800 * 20_000 / y.len().max(1)).clamp(160, 800);
    let opt = Options {
        max_iterations: 300,
        max_evaluations: budget,
        gradient_tolerance: 1e-7 * n_obs.max(1.0),
        f_tolerance: 1e-13,
    };
    let m = bfgs(nll, &theta0, &opt);
    let omega_u = exp(m.x[0]);
    let pers = logistic(m.x[1]);
    let share = logistic(m.x[2]);
    let mu = if constant_mean { (mu0_u + m.x[3]) * s } else { 0.0 };
    Some(Fit {
        omega: omega_u * s * s,
        alpha: pers * share,
        beta: pers * (1.0 - share),
        mu,
        loglik: -m.f - n_obs * ln(s),
        iterations: m.iterations,
        evaluations: evaluations + m.evaluations,
        converged: m.converged,
    })
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let threshold = p.num("threshold")?;
    let horizon = p.count("horizon")?.max(1);
    let cmp = Compare::from_params(p)?;
    let timing = if p.choice("timing")? == "standard" { Timing::Standard } else { Timing::Guide };
    let estimate = p.choice("estimate")? == "mle";
    let constant_mean = p.choice("mean")? == "constant";
    let start_kind = p.choice("start")?;
    let series = Series::read(input, &METHOD.spec.fields[0], 1.0);
    let tl = Timeline::of(&series);
    let y = &series.v;
    let n = y.len();
    let obs: Vec<f64> = y.iter().copied().filter(|v| v.is_finite()).collect();
    let sigma2_1 = p.num("sigma2_1")?;

    if estimate && timing == Timing::Guide {
        return Err(InputError::unsupported(
            "Maximum likelihood needs the standard timing: under the guide's timing a day's variance contains that day's own shock, so |ε/σ| can never exceed 1/√α and the normal likelihood does not describe the data. Set Timing to standard.",
        )
        .in_param("timing"));
    }

    let mut steps = Steps::new();
    let (omega, alpha, beta, mu, fitted) = if estimate {
        let fs = match start_kind {
            "backcast" => FitStart::Backcast,
            "sample" => FitStart::Sample,
            _ => FitStart::Given(sigma2_1),
        };
        match fit_cached(y, constant_mean, fs) {
            Some(f) => (f.omega, f.alpha, f.beta, f.mu, Some(f)),
            None => return Ok(no_variation(y, &tl, constant_mean)),
        }
    } else {
        let mu = if constant_mean { crate::stats::mean(&obs) } else { 0.0 };
        (p.num("omega")?, p.num("alpha")?, p.num("beta")?, mu, None)
    };
    let eps: Vec<f64> = y.iter().map(|v| v - mu).collect();
    let start = match start_kind {
        "backcast" => {
            // arch computes the backcast from the residuals at the starting mean.
            let m0 = if constant_mean { crate::stats::mean(&obs) } else { 0.0 };
            let e0: Vec<f64> = y.iter().map(|v| v - m0).collect();
            StartVariance::Backcast(backcast(&e0))
        }
        "sample" => {
            let m0 = if constant_mean { crate::stats::mean(&obs) } else { 0.0 };
            let sq: Vec<f64> = obs.iter().map(|v| (v - m0) * (v - m0)).collect();
            StartVariance::Sample(crate::stats::mean(&sq))
        }
        _ => StartVariance::Given(sigma2_1),
    };
    let s2 = variances(&eps, omega, alpha, beta, start, timing);
    let ll = loglik(&eps, &s2);
    let z: Vec<f64> = eps
        .iter()
        .zip(&s2)
        .map(|(e, v)| {
            if e.is_nan() {
                f64::NAN
            } else if *v > 0.0 {
                e / v.sqrt()
            } else if *e == 0.0 {
                f64::NAN
            } else {
                e.signum() * f64::INFINITY
            }
        })
        .collect();
    let flags: Vec<bool> = z.iter().map(|v| cmp.passes(v.abs(), threshold)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    let worst = (0..n).filter(|&i| !z[i].is_nan()).max_by(|&a, &b| z[a].abs().total_cmp(&z[b].abs()));
    let pers = alpha + beta;
    let long_run = if pers < 1.0 { omega / (1.0 - pers) } else { f64::NAN };
    let floor = if beta < 1.0 { omega / (1.0 - beta) } else { f64::NAN };
    let half_life = if pers > 0.0 && pers < 1.0 { ln(0.5) / ln(pers) } else { f64::NAN };
    let last_s2 = s2.last().copied().unwrap_or(f64::NAN);
    let last_e = eps.last().copied().unwrap_or(f64::NAN);
    let next = match timing {
        Timing::Standard => omega + alpha * if last_e.is_nan() { last_s2 } else { last_e * last_e } + beta * last_s2,
        Timing::Guide => omega + beta * last_s2,
    };
    let mut path = Vec::with_capacity(horizon);
    let mut v = next;
    for _ in 0..horizon {
        path.push(v);
        v = match timing {
            Timing::Standard => omega + pers * v,
            Timing::Guide => omega + beta * v,
        };
    }
    let max_s2 = s2.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ceiling = if timing == Timing::Guide && alpha > 0.0 { 1.0 / alpha.sqrt() } else { f64::NAN };

    // ---- Steps.
    if let Some(f) = &fitted {
        steps.num(
            "fit",
            "Maximum likelihood (normal errors, conditional on the start)",
            "max Σ −½[ln 2π + ln σ²(t) + ε²(t)/σ²(t)]",
            format!(
                "BFGS, {} iterations, {} evaluations{}",
                f.iterations,
                f.evaluations,
                if f.converged { "" } else { ", stopped at its budget" }
            ),
            f.loglik,
        );
        steps.text(
            "fit.params",
            "Fitted parameters",
            "ω, α, β",
            if constant_mean { format!("μ = {}", num(mu)) } else { "zero mean".into() },
            format!("ω = {}, α = {}, β = {}", num(omega), num(alpha), num(beta)),
        );
    }
    let formula = match timing {
        Timing::Guide => "σ²(t) = ω + α·ε²(t) + β·σ²(t−1)",
        Timing::Standard => "σ²(t) = ω + α·ε²(t−1) + β·σ²(t−1)",
    };
    steps.text(
        "recursion",
        "The variance recursion",
        formula,
        format!("ω = {}, α = {}, β = {}", num(omega), num(alpha), num(beta)),
        if timing == Timing::Guide { "a day's own shock (the guide)" } else { "the previous day's shock (standard)" },
    );
    match start {
        StartVariance::Given(v) => {
            steps.num("day1", "Day 1: the starting variance (given)", "σ²₁", num(v), v);
        }
        StartVariance::Backcast(b) => {
            steps.num(
                "backcast",
                "Backcast: EWMA of the first squared shocks",
                "b = Σ 0.94ⁱ ε²ᵢ / Σ 0.94ⁱ (i < 75)",
                format!("{} shocks", count(n.min(75))),
                b,
            );
            steps.num(
                "day1",
                "Day 1: the starting variance",
                "σ²₁ = ω + (α + β)·b",
                format!("{} + {} × {}", num(omega), num(pers), num(b)),
                s2.first().copied().unwrap_or(f64::NAN),
            );
        }
        StartVariance::Sample(v) => {
            steps.num(
                "day1",
                "Day 1: the mean squared shock",
                "σ²₁ = Σε² / n",
                format!("{} shocks", count(obs.len())),
                v,
            );
        }
    }
    let shown: Vec<usize> = if n <= 6 { (1..n).collect() } else { vec![1, 2, 3, n - 1] };
    for &t in &shown {
        let at = if timing == Timing::Guide { t } else { t - 1 };
        let e = eps[at];
        let e2_text = if e.is_nan() { format!("{} (missing: σ²)", num(s2[t - 1])) } else { num(e * e) };
        let shock_sub = if timing == Timing::Guide { sub(t + 1) } else { sub(t) };
        steps.num(
            &format!("day{}", t + 1),
            &format!("Day {}", t + 1),
            &format!("σ²{} = ω + α·ε²{} + β·σ²{}", sub(t + 1), shock_sub, sub(t)),
            format!("{} + {} × {} + {} × {}", num(omega), num(alpha), e2_text, num(beta), num(s2[t - 1])),
            s2[t],
        );
    }
    steps.num(
        "next",
        match timing {
            Timing::Standard => "The variance of the next day",
            Timing::Guide => "The next day's variance if it brings no shock",
        },
        match timing {
            Timing::Standard => "σ²(n+1) = ω + α·ε²(n) + β·σ²(n)",
            Timing::Guide => "σ²(n+1) = ω + β·σ²(n)",
        },
        match timing {
            Timing::Standard => format!(
                "{} + {} × {} + {} × {}",
                num(omega),
                num(alpha),
                if last_e.is_nan() { num(last_s2) } else { num(last_e * last_e) },
                num(beta),
                num(last_s2)
            ),
            Timing::Guide => format!("{} + {} × {}", num(omega), num(beta), num(last_s2)),
        },
        next,
    );
    steps.num("persistence", "Persistence", "α + β", format!("{} + {}", num(alpha), num(beta)), pers);
    steps.num(
        "long_run",
        "Long-run variance (where the expected variance settles)",
        "ω / (1 − α − β)",
        format!("{} / (1 − {})", num(omega), num(pers)),
        long_run,
    );
    steps.num(
        "floor",
        "Floor if no shock ever comes again",
        "ω / (1 − β)",
        format!("{} / (1 − {})", num(omega), num(beta)),
        floor,
    );
    steps.num(
        "half_life",
        "Half-life of a shock's effect",
        "ln ½ / ln(α + β)",
        format!("ln 0.5 / ln {}", num(pers)),
        half_life,
    );
    if let Some(w) = worst {
        steps
            .text(
                "compare",
                &format!("Largest standardised shock (day {})", w + 1),
                &format!("|ε/σ| {} threshold", cmp.symbol()),
                format!(
                    "|{}| / √{} = {} {} {}?",
                    num(eps[w]),
                    num(s2[w]),
                    num(z[w].abs()),
                    cmp.symbol(),
                    num(threshold)
                ),
                if flags[w] { "yes: flagged" } else { "no: not flagged" },
            )
            .decisive();
    }

    // ---- Verdict.
    let verdict = if flagged > 0 {
        let f0 = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} with a shock beyond {}σ", super::common::n_points(flagged), num(threshold)),
            format!(
                "Day {}: ε = {} against σ = {}, |ε/σ| = {}.",
                f0 + 1,
                num(eps[f0]),
                num(s2[f0].sqrt()),
                num(z[f0].abs())
            ),
        )
    } else if let Some(w) = worst {
        let mut detail = format!(
            "The largest standardised shock is {} on day {} ({} {}).",
            num(z[w].abs()),
            w + 1,
            cmp.negated(),
            num(threshold)
        );
        if ceiling.is_finite() && !cmp.passes(ceiling, threshold) {
            detail.push_str(&format!(" Under the guide's timing no day can pass 1/√α = {}.", num(ceiling)));
        }
        Verdict::new(
            Level::Clear,
            format!("No shock beyond {}σ; variance now {}", num(threshold), num(last_s2)),
            detail,
        )
    } else {
        Verdict::new(Level::Undefined, "No shock can be scored", "Every shock is missing or zero with zero variance.")
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    for (t, v) in s2.iter().enumerate().take(10) {
        a.push_value(
            format!("sigma2.{}", t + 1),
            format!("variance of day {}", t + 1),
            Val::num_or(*v, "overflow"),
            "",
        );
    }
    a.push_value("sigma2_last", "variance of the last day", Val::num_or(last_s2, "overflow"), "");
    a.push_value(
        "sigma2_next",
        if timing == Timing::Standard { "variance of the next day" } else { "next day's variance with no shock" },
        Val::num_or(next, "overflow"),
        "",
    );
    a.push_value("sigma2_max", "largest variance", Val::num_or(max_s2, "no data"), "");
    a.push_value("omega", "ω", Val::num_or(omega, "overflow"), "");
    a.push_value("alpha", "α", Val::num_or(alpha, "overflow"), "");
    a.push_value("beta", "β", Val::num_or(beta, "overflow"), "");
    if constant_mean {
        a.push_value("mu", "mean μ", Val::num_or(mu, "no data"), "");
    }
    a.push_value("persistence", "persistence α + β", Val::num_or(pers, "overflow"), "");
    a.push_value(
        "long_run_variance",
        "long-run variance ω/(1 − α − β)",
        Val::num_or(long_run, "α + β ≥ 1: no finite long-run variance"),
        "",
    );
    a.push_value("zero_shock_floor", "floor with no shocks ω/(1 − β)", Val::num_or(floor, "β = 1"), "");
    a.push_value(
        "half_life",
        "half-life of a shock (days)",
        Val::num_or(half_life, if pers >= 1.0 { "α + β ≥ 1: shocks never fade" } else { "α + β = 0: no memory" }),
        "",
    );
    a.push_value("loglik", "log-likelihood", Val::num_or(ll, "undefined"), "");
    a.push_value("z_max", "largest |ε/σ|", Val::num_or(worst.map_or(f64::NAN, |w| z[w].abs()), "no shock"), "σ");
    if timing == Timing::Guide {
        a.push_value(
            "z_ceiling",
            "largest |ε/σ| possible under the guide's timing, 1/√α",
            Val::num_or(ceiling, "α = 0"),
            "σ",
        );
    }
    a.push_value("flagged", "flagged days", Val::Int(flagged as i64), "");
    if let Some(f) = &fitted {
        a.push_value("iterations", "BFGS iterations", Val::Int(f.iterations as i64), "");
        a.push_value("converged", "converged", Val::Bool(f.converged), "");
    }

    if timing == Timing::Guide {
        a.note(
            NoteLevel::Info,
            "Under the guide's timing a day's variance already contains its own shock: the guide's 15 and 13 are, in the standard model (and the arch package), the variances of the day after the shock and the day after that.",
        );
        if ceiling.is_finite() {
            a.note(
                NoteLevel::Caveat,
                format!(
                    "Because the shock is inside its own variance, ε²/σ² < 1/α: no day can score more than 1/√α = {} standard deviations, however large its shock.",
                    num(ceiling)
                ),
            );
        }
    }
    if pers >= 1.0 {
        a.note(
            NoteLevel::Warning,
            "α + β ≥ 1: shocks never fade (integrated or explosive GARCH), and there is no long-run variance.",
        );
    } else {
        a.note(
            NoteLevel::Info,
            format!(
                "ω is not the normal variance: with no shocks the variance falls toward ω/(1 − β) = {}, and on average it settles at ω/(1 − α − β) = {}.",
                num(floor),
                num(long_run)
            ),
        );
    }
    if let Some(f) = &fitted {
        if !f.converged {
            a.note(
                NoteLevel::Warning,
                "The optimiser stopped at its budget before the likelihood settled; the estimates may be rough.",
            );
        }
        if f.alpha + f.beta > 0.999 {
            a.note(NoteLevel::Caveat, "The fit is at the edge α + β → 1: the data look more like a level shift or a trend in the variance than a stationary GARCH.");
        }
    }
    if series.gaps() > 0 {
        a.note(NoteLevel::Info, format!("{} missing day(s): the recursion uses the expected squared shock σ² there and leaves them out of the likelihood.", count(series.gaps())));
    }
    if let Some(note) = tl.irregular_note() {
        a.note(NoteLevel::Info, note);
    }

    // ---- Table.
    let mut table = Table::new("days", "Each day", &["#", tl.label, "y", "ε", "ε²", "σ²", "σ", "ε/σ", "flagged"]);
    table.fill(
        n,
        |i| flags.get(i).copied().unwrap_or(false),
        |i| {
            vec![
                (i + 1).to_string(),
                num(tl.x[i]),
                if y[i].is_nan() { "missing".into() } else { num(y[i]) },
                cell(eps[i]),
                cell(eps[i] * eps[i]),
                num(s2[i]),
                num(s2[i].sqrt()),
                cell(z[i]),
                if flags[i] { "yes".into() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);

    // ---- Plot: the shocks with ±threshold·σ; the variance with its forecast.
    let mut main = Panel::new(
        "",
        tl.axis_through(horizon),
        Axis::linear(if constant_mean { "shock ε = y − μ" } else { "shock ε" }),
    );
    let lo: Vec<f64> = s2.iter().map(|v| -threshold * v.sqrt()).collect();
    let hi: Vec<f64> = s2.iter().map(|v| threshold * v.sqrt()).collect();
    main.push(band_layer(&tl.x, &lo, &hi, format!("± {}σ(t)", num(threshold))));
    main.push(Layer::hline(0.0, Role::Center, ""));
    let (points, layers) = observed_points(&tl.x, &eps, &z, &flags, "ε / σ");
    for l in layers {
        main.push(l);
    }
    main.weight = 1.3;
    let mut var_panel = Panel::new("variance σ²", tl.axis_through(horizon), Axis::linear("variance σ²"));
    if long_run.is_finite() {
        var_panel.push(Layer::hline(long_run, Role::Center, "long-run ω/(1 − α − β)"));
    }
    if floor.is_finite() {
        var_panel.push(Layer::hline(floor, Role::Threshold, "no-shock floor ω/(1 − β)"));
    }
    var_panel.push(Layer::line(tl.x.clone(), s2.clone(), Role::Model, "σ²(t)"));
    let mut px = vec![tl.ahead(0)];
    px.extend((1..=horizon).map(|j| tl.ahead(j)));
    let mut py = vec![last_s2];
    py.extend_from_slice(&path);
    var_panel.push(Layer::line(
        px,
        py,
        Role::Highlight,
        if timing == Timing::Standard { "expected σ² ahead" } else { "σ² ahead with no shocks" },
    ));
    a.plot = Plot::stacked(vec![main, var_panel]);
    a.points = Some(points);
    Ok(a)
}

/// A series whose shocks are all zero: nothing to fit.
fn no_variation(y: &[f64], tl: &Timeline, constant_mean: bool) -> Analysis {
    let mut a = Analysis::new(
        METHOD.spec.id,
        Verdict::new(
            Level::Undefined,
            "No variation: GARCH cannot be fitted",
            if constant_mean {
                "Every value equals the mean, so every shock ε = y − μ is 0: the likelihood grows without bound as σ² → 0, and there is no volatility to model."
            } else {
                "Every value is 0, so every shock is 0: the likelihood grows without bound as σ² → 0, and there is no volatility to model."
            },
        ),
    );
    let mut steps = Steps::new();
    steps.text("shocks", "The shocks", "ε(t)", "every one is 0", "no variation").decisive();
    steps.text("fit", "Maximum likelihood", "σ² → 0", "unbounded", "no estimate");
    steps.num("n", "Days", "n", count(y.len()), y.len() as f64);
    a.steps = steps.0;
    a.push_value("omega", "ω", Val::Undefined("no variation".into()), "");
    a.push_value("flagged", "flagged days", Val::Int(0), "");
    let n = y.len();
    let (points, layers) = observed_points(&tl.x, y, &vec![f64::NAN; n], &vec![false; n], "ε / σ");
    let mut panel = Panel::new("", Axis::linear(tl.label), Axis::linear("value"));
    for l in layers {
        panel.push(l);
    }
    a.plot = Plot::single(panel);
    a.points = Some(points);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_days() {
        let eps = [0.0, 10.0, 0.0];
        let g = variances(&eps, 1.0, 0.1, 0.8, StartVariance::Given(5.0), Timing::Guide);
        assert_eq!(g, vec![5.0, 15.0, 13.0]);
        let s = variances(&[0.0, 10.0, 0.0, 0.0], 1.0, 0.1, 0.8, StartVariance::Given(5.0), Timing::Standard);
        assert_eq!(s, vec![5.0, 5.0, 15.0, 13.0]);
    }

    #[test]
    fn explained_refusals_and_outcomes() {
        use crate::{analyze, Params};
        let input = || Input::new().with("series.value", vec![0.0, 10.0, 0.0]);
        // Maximum likelihood under the guide's timing is refused with the reason.
        let e = analyze("garch", input(), &Params::new().with("estimate", "mle")).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("timing"));
        // A constant series has nothing to fit.
        let p = Params::new().with("estimate", "mle").with("timing", "standard").with("mean", "constant");
        let a = analyze("garch", Input::new().with("series.value", vec![3.0; 50]), &p).unwrap();
        assert_eq!(a.verdict.level, Level::Undefined);
        // α + β ≥ 1: no long-run variance, said so.
        let a = analyze("garch", input(), &Params::new().with("alpha", 0.3).with("beta", 0.7)).unwrap();
        assert!(matches!(a.value("long_run_variance"), Some(Val::Undefined(_))));
        // Under the guide's timing |ε/σ| < 1/√α however large the shock.
        let a = analyze("garch", Input::new().with("series.value", vec![0.0, 1e6]), &Params::new()).unwrap();
        assert!(a.number("z_max").unwrap() < a.number("z_ceiling").unwrap());
    }

    #[test]
    fn a_remembered_fit_is_the_fit() {
        let y: Vec<f64> = (0..300).map(|i| ((i * 37 % 101) as f64 - 50.0) * (1.0 + (i % 17) as f64 / 8.0)).collect();
        let direct = fit(&y, true, FitStart::Backcast);
        assert_eq!(fit_cached(&y, true, FitStart::Backcast), direct);
        assert_eq!(fit_cached(&y, true, FitStart::Backcast), direct);
        // Another start, mean or series is fitted afresh.
        assert_eq!(fit_cached(&y, false, FitStart::Backcast), fit(&y, false, FitStart::Backcast));
        assert_eq!(fit_cached(&y, true, FitStart::Sample), fit(&y, true, FitStart::Sample));
        let mut z = y.clone();
        z[7] += 1.0;
        assert_eq!(fit_cached(&z, true, FitStart::Sample), fit(&z, true, FitStart::Sample));
        assert_ne!(fit(&z, true, FitStart::Sample), fit(&y, true, FitStart::Sample));
    }

    #[test]
    fn backcast_is_a_normalised_ewma() {
        let b = backcast(&[1.0, 2.0]);
        assert!((b - (1.0 + 0.94 * 4.0) / 1.94).abs() < 1e-15);
    }

    #[test]
    fn the_fit_recovers_a_simulated_model() {
        // A deterministic pseudo-normal series from a GARCH(1,1) with ω = 0.1, α = 0.1, β = 0.85.
        let mut state = 42u64;
        let mut normal = || {
            let mut u = || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64
            };
            let (a, b) = (u().max(1e-300), u());
            (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
        };
        let (omega, alpha, beta) = (0.1, 0.1, 0.85);
        let mut s2: f64 = omega / (1.0 - alpha - beta);
        let mut y = Vec::new();
        for _ in 0..4000 {
            let e = s2.sqrt() * normal();
            y.push(e);
            s2 = omega + alpha * e * e + beta * s2;
        }
        let f = fit(&y, false, FitStart::Backcast).unwrap();
        assert!(f.converged, "{f:?}");
        assert!((f.alpha - alpha).abs() < 0.04 && (f.beta - beta).abs() < 0.06, "{f:?}");
    }
}
