//! ARIMA(p, d, q) with p ≤ 3, d ≤ 1, q ≤ 1: one-step predictions, forecasts and
//! residual-based anomaly flags, for given coefficients (the guide's memory example) or
//! coefficients fitted to the reader's series.
//!
//! With w the series (d = 0) or its differences (d = 1), the model is
//!
//! ```text
//! w(t) = C + φ₁ w(t−1) + … + φₚ w(t−p) + θ₁ ε(t−1) + ε(t)
//! ```
//!
//! and the one-step prediction drops ε(t). What the recursion uses for the residuals
//! before the first prediction is a convention the guide leaves open (it hand-feeds
//! them), so it is a parameter: the residuals as typed, a given first residual with the
//! model's own after it, zero (conditional least squares), or the exact start of a
//! Kalman filter from the stationary distribution (statsmodels' `ARIMA.filter`).
//!
//! Fitting: AR(p) by Yule–Walker (statsmodels' `yule_walker`, "adjusted" or "mle"
//! autocovariances) and ARMA(p, q) by conditional least squares (Levenberg–Marquardt on
//! the residuals above, with the pre-sample residual 0). A missing sample is replaced by
//! its prediction (its error is unknown, taken as 0) and is not scored.

use super::common::{series_field, Compare, Series, COMPARE};
use super::double_exponential_smoothing::BAND_K;
use super::series_models::{
    band as band_layer, cell, error_layers, error_segments, observed_points, rms, sub, Timeline,
};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Steps, Table, Val, Verdict};
use crate::error::{ErrorKind, InputError};
use crate::fmt::{count, list, num, paren};
use crate::input::Input;
use crate::optimize::solve;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Layer, Panel, Plot, Role};
use crate::spec::{integer, number, Choice, ColumnSpec, Domain, FieldSpec, MethodSpec, ParamKind, ParamSpec};

const RESIDUAL_VALUES: &[ColumnSpec] = &[ColumnSpec { id: "value", label: "ε", unit: "", domain: Domain::Real }];

/// The residuals as the guide hand-feeds them, one per observation.
const ERRORS_FIELD: FieldSpec = FieldSpec {
    id: "errors",
    label: "Typed residuals ε",
    help: "residuals as the guide hand-feeds them, one per observation (2, 1); used when Residuals is “as typed”; where none is typed (or NaN), the model's own error is used",
    columns: RESIDUAL_VALUES,
    timestamps: false,
    min_rows: 1,
    gaps: true,
    optional: true,
};

/// The largest AR order.
pub const MAX_P: usize = 3;

/// Per-step predictions, errors, prediction-error variances (in units of σ²), forecasts
/// and forecast variances.
type Tracks = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "arima",
        name: "ARIMA (autoregressive integrated moving average)",
        summary: "Predicts each value from the previous values and the previous prediction error; forecasts ahead and flags values whose prediction error is too large.",
        fields: &[series_field(1), ERRORS_FIELD],
        params: &[
            ParamSpec {
                id: "phi1",
                label: "AR coefficient φ₁",
                unit: "",
                help: "Weight of the previous value (of the previous difference when d = 1); the guide uses 0.9.",
                kind: number(0.9, -2.0, 2.0, 0.01),
            },
            ParamSpec {
                id: "theta1",
                label: "MA coefficient θ₁",
                unit: "",
                help: "Weight of the previous prediction error; the guide uses 0.5.",
                kind: number(0.5, -2.0, 2.0, 0.01),
            },
            ParamSpec {
                id: "constant",
                label: "Constant C",
                unit: "",
                help: "The intercept of the equation (not the mean: the mean is C/(1 − Σφ)). The guide's example has none (0).",
                kind: number(0.0, -1e9, 1e9, 0.1),
            },
            ParamSpec { id: "p", label: "AR order p", unit: "", help: "How many previous values enter the prediction (0 to 3); the guide's equation has 1.", kind: integer(1.0, 0.0, 3.0) },
            ParamSpec { id: "d", label: "Differencing d", unit: "", help: "0: model the values (the guide's equation); 1: model the changes y(t) − y(t−1).", kind: integer(0.0, 0.0, 1.0) },
            ParamSpec { id: "q", label: "MA order q", unit: "", help: "Whether the previous prediction error enters (0 or 1); the guide's equation has 1.", kind: integer(1.0, 0.0, 1.0) },
            ParamSpec { id: "phi2", label: "AR coefficient φ₂", unit: "", help: "Weight of the value two steps back (used when p ≥ 2).", kind: number(0.0, -2.0, 2.0, 0.01) },
            ParamSpec { id: "phi3", label: "AR coefficient φ₃", unit: "", help: "Weight of the value three steps back (used when p = 3).", kind: number(0.0, -2.0, 2.0, 0.01) },
            ParamSpec {
                id: "estimate",
                label: "Coefficients",
                unit: "",
                help: "As given (the guide), or fitted to the series: AR(p) by Yule–Walker, or ARMA(p, q) by conditional least squares.",
                kind: ParamKind::Choice {
                    default: "given",
                    options: &[
                        Choice { id: "given", label: "given: C, φ, θ as set (the guide)" },
                        Choice { id: "yule-walker", label: "fit AR(p) by Yule–Walker" },
                        Choice { id: "css", label: "fit ARMA(p, q) by conditional least squares" },
                    ],
                },
            },
            ParamSpec {
                id: "yw",
                label: "Yule–Walker autocovariances",
                unit: "",
                help: "Divide the lag-k sum by n − k (“adjusted”, statsmodels' default) or by n (“mle”, always stationary).",
                kind: ParamKind::Choice {
                    default: "adjusted",
                    options: &[
                        Choice { id: "adjusted", label: "adjusted (÷ n − k)" },
                        Choice { id: "mle", label: "mle (÷ n)" },
                    ],
                },
            },
            ParamSpec {
                id: "residuals",
                label: "Residuals",
                unit: "",
                help: "The ε the recursion uses: as typed (the guide), a given first residual then the model's own, zero before the first prediction (CSS), or the exact Kalman-filter start.",
                kind: ParamKind::Choice {
                    default: "typed",
                    options: &[
                        Choice { id: "typed", label: "as typed (the guide's hand-fed ε)" },
                        Choice { id: "first", label: "given first ε, then the model's own" },
                        Choice { id: "zero", label: "0 before the first prediction, then the model's own (CSS)" },
                        Choice { id: "exact", label: "exact: Kalman filter from the stationary start (statsmodels)" },
                    ],
                },
            },
            ParamSpec {
                id: "eps1",
                label: "First residual ε",
                unit: "",
                help: "The residual of the last observation before the first prediction (the guide's day 1: 40 − 38 = 2).",
                kind: number(2.0, -1e9, 1e9, 0.1),
            },
            ParamSpec {
                id: "horizon",
                label: "Horizon h",
                unit: "steps",
                help: "Forecast this many steps after the last observation (future errors are taken as 0).",
                kind: integer(1.0, 1.0, 10000.0),
            },
            BAND_K,
            COMPARE,
        ],
    },
    run,
};

/// The coefficients of w(t) = C + Σ φᵢ w(t−i) + θ ε(t−1) + ε(t).
#[derive(Debug, Clone, PartialEq)]
pub struct Arma {
    pub c: f64,
    pub phi: Vec<f64>,
    /// θ₁, or 0 when q = 0.
    pub theta: f64,
    pub q: usize,
}

impl Arma {
    fn p(&self) -> usize {
        self.phi.len()
    }

    /// The mean of w: C / (1 − Σφ), NaN when Σφ = 1.
    pub fn mean(&self) -> f64 {
        let s: f64 = self.phi.iter().sum();
        if s == 1.0 {
            f64::NAN
        } else {
            self.c / (1.0 - s)
        }
    }
}

/// What the recursion takes as the residuals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Start {
    /// The typed residuals, everywhere.
    Typed,
    /// This residual for the last conditioning observation (the pre-sample one when
    /// p = 0), the model's own after it.
    First(f64),
    /// Zero before the first prediction, the model's own after it.
    Zero,
}

/// One pass of the conditional recursion over y.
#[derive(Debug, Clone, PartialEq)]
pub struct Recursion {
    /// The one-step prediction of y(t) (NaN where the recursion is still conditioning).
    pub predicted: Vec<f64>,
    /// y(t) − prediction (NaN where missing or conditioning).
    pub error: Vec<f64>,
    /// The ε the recursion used at t.
    pub eps: Vec<f64>,
    /// y with missing values replaced by their predictions.
    pub filled: Vec<f64>,
    /// Forecasts of y for h = 1, 2, …
    pub forecast: Vec<f64>,
    /// The AR and MA parts of the first forecast (of the differences when d = 1).
    pub ar_term: f64,
    pub ma_term: f64,
    /// The residual before the first observation (used when p + d = 0).
    pub pre: f64,
}

/// The conditional recursion: the first p + d observations start it; after that each
/// value is predicted from the (filled) previous values and the residuals as `start`
/// says. `typed` holds the typed residuals (same length as y, NaN where absent).
pub fn conditional(y: &[f64], d: usize, model: &Arma, start: Start, typed: &[f64], horizon: usize) -> Recursion {
    let n = y.len();
    let p = model.p();
    let first = p + d; // index of the first predicted observation
    let mut predicted = vec![f64::NAN; n];
    let mut error = vec![f64::NAN; n];
    let mut eps = vec![0.0; n];
    let mut filled = y.to_vec();
    let typed_at = |t: usize| typed.get(t).copied().filter(|v| v.is_finite()).unwrap_or(0.0);
    // The residual before the first prediction.
    let mut pre = 0.0;
    match start {
        Start::Typed => {
            for (t, e) in eps.iter_mut().enumerate().take(first.min(n)) {
                *e = typed_at(t);
            }
            if first > 0 {
                pre = typed_at(first - 1);
            }
        }
        Start::First(e1) => {
            if first > 0 {
                if let Some(slot) = eps.get_mut(first - 1) {
                    *slot = e1;
                }
            }
            pre = e1;
        }
        Start::Zero => {}
    }
    let w_at = |filled: &[f64], t: usize| -> f64 {
        if d == 1 {
            filled[t] - filled[t - 1]
        } else {
            filled[t]
        }
    };
    for t in first..n {
        let mut w_hat = model.c;
        for (i, phi) in model.phi.iter().enumerate() {
            w_hat += phi * w_at(&filled, t - 1 - i);
        }
        // The residual of the previous step: set above for the conditioning observations,
        // the pre-sample one before the first observation.
        let prev_eps = if t == 0 { pre } else { eps[t - 1] };
        if model.q > 0 {
            w_hat += model.theta * prev_eps;
        }
        let y_hat = if d == 1 { filled[t - 1] + w_hat } else { w_hat };
        predicted[t] = y_hat;
        if y[t].is_nan() {
            filled[t] = y_hat;
            eps[t] = 0.0;
        } else {
            error[t] = y[t] - y_hat;
            eps[t] = match start {
                // Where no residual is typed, the model's own error is used.
                Start::Typed => typed.get(t).copied().filter(|v| v.is_finite()).unwrap_or(error[t]),
                _ => error[t],
            };
        }
    }
    // Forecasts: future residuals are 0. Past values come from the filled series, future
    // ones from the forecasts made so far (no copy of the series).
    let mut forecast: Vec<f64> = Vec::with_capacity(horizon);
    let (mut ar_term, mut ma_term) = (f64::NAN, f64::NAN);
    for j in 0..horizon {
        let t = n + j;
        let value = |s: usize, fc: &[f64]| if s < n { filled.get(s).copied() } else { fc.get(s - n).copied() };
        let mut ar = 0.0;
        for (i, phi) in model.phi.iter().enumerate() {
            let lag = t - 1 - i;
            let w = if d == 1 {
                match (lag.checked_sub(1).and_then(|l| value(l, &forecast)), value(lag, &forecast)) {
                    (Some(a), Some(b)) => b - a,
                    _ => f64::NAN,
                }
            } else {
                value(lag, &forecast).unwrap_or(f64::NAN)
            };
            ar += phi * w;
        }
        let last_eps = if t == 0 {
            pre
        } else if t - 1 < n {
            eps.get(t - 1).copied().unwrap_or(0.0)
        } else {
            0.0
        };
        let ma = if model.q > 0 { model.theta * last_eps } else { 0.0 };
        if j == 0 {
            ar_term = ar;
            ma_term = ma;
        }
        let w_hat = model.c + ar + ma;
        let y_hat =
            if d == 1 { t.checked_sub(1).and_then(|s| value(s, &forecast)).unwrap_or(f64::NAN) + w_hat } else { w_hat };
        forecast.push(y_hat);
    }
    Recursion { predicted, error, eps, filled, forecast, ar_term, ma_term, pre }
}

/// ψ-weights of the model for y (cumulated once when d = 1): the forecast error variance
/// at horizon h is σ² Σ_{j<h} ψⱼ².
pub fn psi_weights(model: &Arma, d: usize, h: usize) -> Vec<f64> {
    let mut psi = vec![0.0; h.max(1)];
    psi[0] = 1.0;
    for j in 1..psi.len() {
        let mut v = if j == 1 && model.q > 0 { model.theta } else { 0.0 };
        for (i, phi) in model.phi.iter().enumerate() {
            if j > i {
                v += phi * psi[j - 1 - i];
            }
        }
        psi[j] = v;
    }
    if d == 1 {
        let mut acc = 0.0;
        for v in psi.iter_mut() {
            acc += *v;
            *v = acc;
        }
    }
    psi
}

/// Whether the AR polynomial 1 − φ₁z − … − φₚzᵖ has all its roots outside the unit
/// circle, by the step-down (Schur–Cohn) recursion: every reflection coefficient |κ| < 1.
pub fn stationary(phi: &[f64]) -> bool {
    let mut a = phi.to_vec();
    while let Some(&kappa) = a.last() {
        if kappa.is_nan() || kappa.abs() >= 1.0 {
            return false;
        }
        let m = a.len();
        let denom = 1.0 - kappa * kappa;
        let next: Vec<f64> = (0..m - 1).map(|i| (a[i] + kappa * a[m - 2 - i]) / denom).collect();
        a = next;
    }
    true
}

/// The Kalman filter of the exact (Gaussian) model with unit innovation variance: the
/// state-space form of Harvey with state dimension r = max(p, q + 1), started from the
/// stationary distribution (the Lyapunov equation), augmented with the previous value
/// when d = 1 (conditioning on the first observation).
#[derive(Debug, Clone, PartialEq)]
pub struct Filtered {
    pub predicted: Vec<f64>,
    /// The prediction-error variance in units of σ² (F).
    pub f: Vec<f64>,
    pub error: Vec<f64>,
    pub forecast: Vec<f64>,
    pub forecast_f: Vec<f64>,
}

pub fn kalman(y: &[f64], d: usize, model: &Arma, horizon: usize) -> Option<Filtered> {
    let p = model.p();
    let r = p.max(model.q + 1);
    // Transition T (r × r), R, and the stationary P.
    let mut t_mat = vec![0.0; r * r];
    for (i, phi) in model.phi.iter().enumerate() {
        t_mat[i * r] = *phi;
    }
    for i in 0..r - 1 {
        t_mat[i * r + i + 1] = 1.0;
    }
    let mut rv = vec![0.0; r];
    rv[0] = 1.0;
    if model.q > 0 && r > 1 {
        rv[1] = model.theta;
    }
    let rr = r * r;
    let mut lhs = vec![0.0; rr * rr];
    let mut rhs = vec![0.0; rr];
    for i in 0..r {
        for j in 0..r {
            let row = i * r + j;
            rhs[row] = rv[i] * rv[j];
            for k in 0..r {
                for l in 0..r {
                    lhs[row * rr + k * r + l] -= t_mat[i * r + k] * t_mat[j * r + l];
                }
            }
            lhs[row * rr + row] += 1.0;
        }
    }
    if !solve(&mut lhs, &mut rhs, rr) {
        return None;
    }
    // The full state: [previous y] (when d = 1) followed by the ARMA state.
    let s = r + d;
    let mut tt = vec![0.0; s * s];
    let mut zz = vec![0.0; s];
    let mut cc = vec![0.0; s];
    let mut qq = vec![0.0; s * s];
    let mu = model.mean();
    if !mu.is_finite() {
        return None;
    }
    for i in 0..r {
        for j in 0..r {
            tt[(i + d) * s + j + d] = t_mat[i * r + j];
            qq[(i + d) * s + j + d] = rv[i] * rv[j];
        }
    }
    zz[d] = 1.0;
    if d == 1 {
        tt[0] = 1.0;
        tt[1] = 1.0; // y(t) = y(t−1) + μ + Z α(t)
        zz[0] = 1.0;
        cc[0] = mu;
    }
    let mut a = vec![0.0; s];
    let mut pm = vec![0.0; s * s];
    for i in 0..r {
        for j in 0..r {
            pm[(i + d) * s + j + d] = rhs[i * r + j];
        }
    }
    let n = y.len();
    let start = d.min(n);
    if d == 1 {
        let y0 = y.first().copied().unwrap_or(f64::NAN);
        if !y0.is_finite() {
            return None;
        }
        a[0] = y0;
    }
    let mut predicted = vec![f64::NAN; n];
    let mut fv = vec![f64::NAN; n];
    let mut error = vec![f64::NAN; n];
    let mut tp = vec![0.0; s * s];
    let step = |a: &mut Vec<f64>, pm: &mut Vec<f64>, tp: &mut Vec<f64>, gain: Option<(&[f64], f64, f64)>| {
        // a ← T a + c (+ K v); P ← T P Tᵀ + Q (− K F Kᵀ).
        let mut na = vec![0.0; s];
        for i in 0..s {
            na[i] = cc[i] + (0..s).map(|j| tt[i * s + j] * a[j]).sum::<f64>();
        }
        for i in 0..s {
            for j in 0..s {
                tp[i * s + j] = (0..s).map(|k| tt[i * s + k] * pm[k * s + j]).sum();
            }
        }
        let mut np = vec![0.0; s * s];
        for i in 0..s {
            for j in 0..s {
                np[i * s + j] = qq[i * s + j] + (0..s).map(|k| tp[i * s + k] * tt[j * s + k]).sum::<f64>();
            }
        }
        if let Some((pz, f, v)) = gain {
            // K = T P Zᵀ / F.
            let k: Vec<f64> = (0..s).map(|i| (0..s).map(|j| tt[i * s + j] * pz[j]).sum::<f64>() / f).collect();
            for i in 0..s {
                na[i] += k[i] * v;
                for j in 0..s {
                    np[i * s + j] -= k[i] * k[j] * f;
                }
            }
        }
        *a = na;
        *pm = np;
    };
    for t in start..n {
        let pred = (0..s).map(|i| zz[i] * a[i]).sum::<f64>() + if d == 0 { mu } else { 0.0 };
        let pz: Vec<f64> = (0..s).map(|i| (0..s).map(|j| pm[i * s + j] * zz[j]).sum()).collect();
        let f = (0..s).map(|i| zz[i] * pz[i]).sum::<f64>();
        let pred = if d == 1 { pred + mu } else { pred };
        predicted[t] = pred;
        fv[t] = f;
        if y[t].is_nan() || f.is_nan() || f <= 0.0 {
            step(&mut a, &mut pm, &mut tp, None);
        } else {
            let v = y[t] - pred;
            error[t] = v;
            step(&mut a, &mut pm, &mut tp, Some((&pz, f, v)));
        }
    }
    let mut forecast = Vec::with_capacity(horizon);
    let mut forecast_f = Vec::with_capacity(horizon);
    for _ in 0..horizon {
        let pred = (0..s).map(|i| zz[i] * a[i]).sum::<f64>() + mu;
        let pz: Vec<f64> = (0..s).map(|i| (0..s).map(|j| pm[i * s + j] * zz[j]).sum()).collect();
        forecast.push(pred);
        forecast_f.push((0..s).map(|i| zz[i] * pz[i]).sum::<f64>());
        step(&mut a, &mut pm, &mut tp, None);
    }
    Some(Filtered { predicted, f: fv, error, forecast, forecast_f })
}

/// The series the model sees: y itself, or its differences (NaN where either value is
/// missing), aligned so that w[t] belongs to y[t] (w[0] is NaN when d = 1).
fn differences(y: &[f64], d: usize) -> Vec<f64> {
    if d == 0 {
        return y.to_vec();
    }
    let mut w = vec![f64::NAN; y.len()];
    for t in 1..y.len() {
        w[t] = y[t] - y[t - 1];
    }
    w
}

/// Yule–Walker estimates: the sample autocovariances of w about its mean (pairs with a
/// gap skipped), divided by n ("mle") or by the number of pairs ("adjusted"), and the
/// Toeplitz system for φ. Returns (φ, mean, σ², autocovariances), or None when the
/// system is singular (no variation).
pub fn yule_walker(w: &[f64], p: usize, adjusted: bool) -> Option<(Vec<f64>, f64, f64, Vec<f64>)> {
    let obs: Vec<f64> = w.iter().copied().filter(|v| v.is_finite()).collect();
    let n = obs.len();
    if n <= p {
        return None;
    }
    let mean = crate::stats::mean(&obs);
    let centred: Vec<f64> = w.iter().map(|v| v - mean).collect();
    let mut r = vec![0.0; p + 1];
    for (k, rk) in r.iter_mut().enumerate() {
        let mut terms = Vec::with_capacity(centred.len());
        for t in 0..centred.len().saturating_sub(k) {
            let prod = centred[t] * centred[t + k];
            if prod.is_finite() {
                terms.push(prod);
            }
        }
        let pairs = terms.len();
        let divisor = if adjusted { pairs } else { n };
        if divisor == 0 {
            return None;
        }
        *rk = crate::stats::sum(&terms) / divisor as f64;
    }
    if r[0].is_nan() || r[0] <= 0.0 {
        return None;
    }
    if p == 0 {
        return Some((Vec::new(), mean, r[0], r));
    }
    let mut a = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            a[i * p + j] = r[i.abs_diff(j)];
        }
    }
    let mut b: Vec<f64> = r[1..=p].to_vec();
    if !solve(&mut a, &mut b, p) {
        return None;
    }
    let sigma2 = r[0] - b.iter().zip(&r[1..]).map(|(f, rk)| f * rk).sum::<f64>();
    Some((b, mean, sigma2, r))
}

/// Conditional least squares: the sum of squared one-step errors with the pre-sample
/// residual 0, minimised over (C, φ, θ) by Levenberg–Marquardt with the exact Jacobian
/// of the recursion (missing values are filled by their predictions, and differentiated
/// as such). Returns the model, the sum of squares and the iterations used.
pub fn css(y: &[f64], d: usize, p: usize, q: usize, start: &Arma) -> (Arma, f64, usize, bool) {
    let k = 1 + p + q;
    let pack = |m: &Arma| {
        let mut v = vec![m.c];
        v.extend_from_slice(&m.phi);
        if q > 0 {
            v.push(m.theta);
        }
        v
    };
    let unpack = |v: &[f64]| Arma { c: v[0], phi: v[1..=p].to_vec(), theta: if q > 0 { v[p + 1] } else { 0.0 }, q };
    let mut beta = pack(start);
    let (mut sse, mut jtj, mut jte) = css_normal(y, d, &unpack(&beta), k);
    let mut lambda = 1e-3;
    let mut iterations = 0;
    let mut converged = false;
    // 200 iterations for up to 20,000 values, fewer (at least 40) beyond, so that a fit
    // of 100,000 values stays well under a second.
    let budget = (200 * 20_000 / y.len().max(1)).clamp(40, 200);
    while iterations < budget {
        iterations += 1;
        if !sse.is_finite() {
            break;
        }
        let mut a = jtj.clone();
        for i in 0..k {
            a[i * k + i] += lambda * jtj[i * k + i].max(1e-12);
        }
        let mut delta: Vec<f64> = jte.iter().map(|g| -g).collect();
        if !solve(&mut a, &mut delta, k) {
            lambda *= 10.0;
            if lambda > 1e16 {
                break;
            }
            continue;
        }
        let trial: Vec<f64> = beta.iter().zip(&delta).map(|(b, dl)| b + dl).collect();
        let (s_new, jtj_new, jte_new) = css_normal(y, d, &unpack(&trial), k);
        if s_new.is_finite() && s_new <= sse {
            let gain = sse - s_new;
            let small_step = delta.iter().zip(&trial).all(|(dl, b)| dl.abs() <= 1e-10 * (b.abs() + 1e-10));
            beta = trial;
            sse = s_new;
            jtj = jtj_new;
            jte = jte_new;
            lambda = (lambda / 10.0).max(1e-15);
            if gain <= 1e-13 * (sse + 1e-300) || small_step {
                converged = true;
                break;
            }
        } else {
            lambda *= 10.0;
            if lambda > 1e16 {
                converged = true; // no direction lowers the sum: a (numerical) minimum
                break;
            }
        }
    }
    (unpack(&beta), sse, iterations, converged)
}

/// The CSS sum of squares, JᵀJ and Jᵀe at `model` (k unknowns: C, φ…, θ).
fn css_normal(y: &[f64], d: usize, model: &Arma, k: usize) -> (f64, Vec<f64>, Vec<f64>) {
    let n = y.len();
    let p = model.p();
    let first = p + d;
    let mut filled = y.to_vec();
    // Derivatives of the filled values and of ε with respect to the k unknowns.
    let mut dfill = vec![[0.0f64; 5]; n];
    let mut eps_prev = 0.0;
    let mut deps_prev = [0.0f64; 5];
    let mut sse = 0.0;
    let mut jtj = vec![0.0; k * k];
    let mut jte = vec![0.0; k];
    for t in first..n {
        // ŵ and its gradient.
        let mut w_hat = model.c;
        let mut dw = [0.0f64; 5];
        dw[0] = 1.0;
        for (i, phi) in model.phi.iter().enumerate() {
            let lag = t - 1 - i;
            let (w, dwl) = if d == 1 {
                let mut g = [0.0f64; 5];
                for j in 0..k {
                    g[j] = dfill[lag][j] - dfill[lag - 1][j];
                }
                (filled[lag] - filled[lag - 1], g)
            } else {
                (filled[lag], dfill[lag])
            };
            w_hat += phi * w;
            dw[1 + i] += w;
            for j in 0..k {
                dw[j] += phi * dwl[j];
            }
        }
        if model.q > 0 {
            w_hat += model.theta * eps_prev;
            dw[1 + p] += eps_prev;
            for j in 0..k {
                dw[j] += model.theta * deps_prev[j];
            }
        }
        let (y_hat, mut dy) = if d == 1 {
            let mut g = dw;
            for j in 0..k {
                g[j] += dfill[t - 1][j];
            }
            (filled[t - 1] + w_hat, g)
        } else {
            (w_hat, dw)
        };
        if y[t].is_nan() {
            filled[t] = y_hat;
            dfill[t] = dy;
            eps_prev = 0.0;
            deps_prev = [0.0; 5];
        } else {
            let e = y[t] - y_hat;
            for v in dy.iter_mut() {
                *v = -*v;
            }
            sse += e * e;
            for i in 0..k {
                jte[i] += dy[i] * e;
                for j in 0..k {
                    jtj[i * k + j] += dy[i] * dy[j];
                }
            }
            eps_prev = e;
            deps_prev = dy;
        }
    }
    (sse, jtj, jte)
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let ar_order = p.count("p")?.min(MAX_P);
    let d = p.count("d")?.min(1);
    let q = p.count("q")?.min(1);
    let h = p.count("horizon")?.max(1);
    let k = p.num("k")?;
    let cmp = Compare::from_params(p)?;
    let estimate = p.choice("estimate")?;
    let adjusted = p.choice("yw")? == "adjusted";
    let residual_mode = p.choice("residuals")?;
    let series = Series::read(input, &METHOD.spec.fields[0], 1.0);
    let tl = Timeline::of(&series);
    let y = &series.v;
    let n = y.len();
    let typed_in = input.col(&ERRORS_FIELD.key("value"));
    let phi_given: Vec<f64> =
        ["phi1", "phi2", "phi3"].iter().take(ar_order).map(|id| p.num(id)).collect::<Result<_, _>>()?;
    let given = Arma { c: p.num("constant")?, phi: phi_given, theta: if q > 0 { p.num("theta1")? } else { 0.0 }, q };

    if estimate == "yule-walker" && q > 0 {
        return Err(InputError::unsupported(
            "Yule–Walker fits a pure AR(p) model: set the MA order q to 0, or fit ARMA(p, q) by conditional least squares.",
        )
        .in_param("q"));
    }
    let first = ar_order + d;
    if n < first.max(1) {
        return Err(InputError::new(
            ErrorKind::TooFew,
            format!(
                "ARIMA({}, {}, {}) needs at least {} observations to start its recursion (p + d); the series has {}. Add values or lower p or d.",
                ar_order, d, q, first, n
            ),
        )
        .in_field("series"));
    }
    if let Some(t) = (0..first.min(n)).find(|&t| y[t].is_nan()) {
        return Err(InputError::unsupported(format!(
            "The first {} observation(s) start the recursion (p + d = {}), and row {} is missing. Fill it in or drop the leading rows.",
            first,
            first,
            t + 1
        ))
        .in_field("series")
        .at(t + 1));
    }
    if residual_mode == "typed" {
        if typed_in.is_empty() {
            return Err(InputError::new(
                ErrorKind::Empty,
                "Residuals are set to “as typed”, but no residuals were typed. Type one per observation (the guide: 2, 1), or choose another residual convention.",
            )
            .in_field("errors"));
        }
        if typed_in.len() > n {
            return Err(InputError::new(
                ErrorKind::Ragged,
                format!(
                    "There are {} typed residuals for {} observations; type at most one per observation (the model's own error is used where none is typed).",
                    typed_in.len(),
                    n
                ),
            )
            .in_field("errors"));
        }
    }

    // ---- Fit.
    let w = differences(y, d);
    let mut steps = Steps::new();
    if d == 1 {
        let shown: Vec<f64> = w.iter().skip(1).copied().collect();
        steps.text(
            "difference",
            "Differences",
            "w(t) = y(t) − y(t−1)",
            format!("{} {}", count(n.saturating_sub(1)), if n == 2 { "difference" } else { "differences" }),
            if shown.is_empty() { "none: one value has no difference".to_string() } else { list(&shown, 10) },
        );
    }
    let mut fit_note: Option<String> = None;
    let mut yw_sigma2 = f64::NAN;
    let mut css_info: Option<(f64, usize, bool)> = None;
    let model = match estimate {
        "yule-walker" | "css" => {
            // CSS starts from the always-stationary "mle" Yule–Walker estimate.
            let Some((phi, mean, s2, r)) = yule_walker(&w, ar_order, adjusted && estimate == "yule-walker") else {
                return Ok(no_variation(y, &tl, estimate));
            };
            let c = mean * (1.0 - phi.iter().sum::<f64>());
            let yw_model = Arma { c, phi, theta: 0.0, q: if estimate == "css" { q } else { 0 } };
            if estimate == "yule-walker" {
                yw_sigma2 = s2;
                steps.num(
                    "mean",
                    if d == 1 { "Mean of the differences" } else { "Mean" },
                    "w̄",
                    format!("{} values", count(w.iter().filter(|v| v.is_finite()).count())),
                    mean,
                );
                steps.text(
                    "autocov",
                    "Autocovariances",
                    if adjusted {
                        "r(k) = Σ(w(t) − w̄)(w(t+k) − w̄) / (n − k)"
                    } else {
                        "r(k) = Σ(w(t) − w̄)(w(t+k) − w̄) / n"
                    },
                    format!("k = 0…{}", ar_order),
                    list(&r, 6),
                );
                steps.text(
                    "yw",
                    "Solve the Yule–Walker equations",
                    "Σⱼ φⱼ r(|i − j|) = r(i), i = 1…p",
                    format!("p = {}", ar_order),
                    phi_list(&yw_model.phi),
                );
                steps.num(
                    "constant",
                    "Constant from the mean",
                    "C = w̄ (1 − Σφ)",
                    format!("{} × (1 − {})", num(mean), num(yw_model.phi.iter().sum())),
                    yw_model.c,
                );
                yw_model
            } else {
                let (fitted, sse, iterations, converged) = css(y, d, ar_order, q, &yw_model);
                css_info = Some((sse, iterations, converged));
                steps.text(
                    "css.start",
                    "Start",
                    "Yule–Walker (mle) for φ, θ = 0",
                    format!("C = {}", num(yw_model.c)),
                    phi_list(&yw_model.phi),
                );
                steps.num(
                    "css.sse",
                    "Minimise the sum of squared one-step errors (ε before the first prediction = 0)",
                    "S(C, φ, θ) = Σ e(t)²",
                    format!(
                        "Levenberg–Marquardt, {} iterations{}",
                        iterations,
                        if converged { "" } else { ", stopped at its budget" }
                    ),
                    sse,
                );
                if !converged {
                    fit_note = Some("Conditional least squares stopped at its iteration budget before the sum of squares settled; the coefficients may be rough.".into());
                }
                fitted
            }
        }
        _ => given.clone(),
    };
    let mu = model.mean();

    // ---- Predictions.
    let exact = residual_mode == "exact";
    let start = match residual_mode {
        "typed" => Start::Typed,
        "first" => Start::First(p.num("eps1")?),
        _ => Start::Zero,
    };
    // Forecasts are drawn for at least 12 steps, so that the pull toward the mean shows.
    let path = h.max(12);
    let rec = conditional(y, d, &model, start, typed_in, path);
    let filtered = if exact {
        if !stationary(&model.phi) {
            return Err(InputError::unsupported(format!(
                "The exact (Kalman) start needs a stationary AR part, and φ = {} is not (|φ₁| < 1 for AR(1)). Use another residual convention, or AR coefficients inside the stationary region.",
                phi_list(&model.phi)
            ))
            .in_param("residuals"));
        }
        match kalman(y, d, &model, path) {
            Some(f) => Some(f),
            None => {
                return Err(InputError::unsupported("The exact start has no stationary distribution for these coefficients (C/(1 − Σφ) or the state covariance is undefined). Use another residual convention.").in_param("residuals"));
            }
        }
    } else {
        None
    };
    let (predicted, errors, fvar, forecast, forecast_f): Tracks = match &filtered {
        Some(f) => (f.predicted.clone(), f.error.clone(), f.f.clone(), f.forecast.clone(), f.forecast_f.clone()),
        None => {
            let psi = psi_weights(&model, d, path);
            let mut acc = 0.0;
            let ff: Vec<f64> = psi
                .iter()
                .map(|v| {
                    acc += v * v;
                    acc
                })
                .collect();
            (rec.predicted.clone(), rec.error.clone(), vec![1.0; n], rec.forecast.clone(), ff)
        }
    };
    let std_err: Vec<f64> = errors
        .iter()
        .zip(&fvar)
        .map(|(e, f)| if e.is_finite() && *f > 0.0 { e / f.sqrt() } else { f64::NAN })
        .collect();
    let finite: Vec<f64> = std_err.iter().copied().filter(|v| v.is_finite()).collect();
    let n_err = finite.len();
    let sigma = rms(&finite);
    let band = n_err >= 2 && sigma > 0.0 && sigma.is_finite();
    let scores: Vec<f64> = std_err.iter().map(|&e| if band { e / sigma } else { f64::NAN }).collect();
    let flags: Vec<bool> = scores.iter().map(|z| band && cmp.passes(z.abs(), k)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    let worst = (0..n).filter(|&i| scores[i].is_finite()).max_by(|&a, &b| scores[a].abs().total_cmp(&scores[b].abs()));
    let target = forecast.get(h - 1).copied().unwrap_or(f64::NAN);
    let target_sd =
        if band { sigma * forecast_f.get(h - 1).copied().unwrap_or(f64::NAN).max(0.0).sqrt() } else { f64::NAN };
    let model_residual_forecast = if residual_mode == "typed" {
        let first_eps =
            if first > 0 { typed_in.get(first - 1).copied().filter(|v| v.is_finite()).unwrap_or(0.0) } else { 0.0 };
        conditional(y, d, &model, Start::First(first_eps), typed_in, 1).forecast.first().copied().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    };

    // ---- Steps: the first prediction, the last one, the forecast.
    let eq = model_equation(&model, d);
    steps.text(
        "model",
        "The model",
        if d == 1 {
            "w(t) = y(t) − y(t−1) = C + Σφᵢ·w(t−i) + θ₁·ε(t−1) + ε(t)"
        } else {
            "y(t) = C + Σφᵢ·y(t−i) + θ₁·ε(t−1) + ε(t)"
        },
        format!("ARIMA({}, {}, {})", ar_order, d, q),
        eq,
    );
    let show_prediction = |steps: &mut Steps, id: &str, t: usize| {
        if let Some(f) = &filtered {
            steps.num(
                &format!("{id}.predict"),
                &format!("Step {}: Kalman prediction", t + 1),
                "ŷ = E[y(t) | earlier values]",
                format!("prediction variance F = {} σ²", num(f.f[t])),
                f.predicted[t],
            );
        } else {
            let mut parts = vec![num(model.c)];
            for (i, phi) in model.phi.iter().enumerate() {
                let lag = t - 1 - i;
                let wl = if d == 1 { rec.filled[lag] - rec.filled[lag - 1] } else { rec.filled[lag] };
                parts.push(format!("{} × {}", num(*phi), paren(wl)));
            }
            if model.q > 0 {
                let e_prev = if t == 0 { rec.pre } else { rec.eps[t - 1] };
                parts.push(format!("{} × {}", num(model.theta), paren(e_prev)));
            }
            let lhs = if d == 1 {
                format!("ŷ{} = y{} + C + Σφ·w + θ·ε", sub(t + 1), sub(t))
            } else {
                format!("ŷ{} = C + Σφ·y + θ·ε", sub(t + 1))
            };
            let subst =
                if d == 1 { format!("{} + {}", num(rec.filled[t - 1]), parts.join(" + ")) } else { parts.join(" + ") };
            steps.num(&format!("{id}.predict"), &format!("Step {}: prediction", t + 1), &lhs, subst, rec.predicted[t]);
        }
        if errors[t].is_finite() {
            steps.num(
                &format!("{id}.error"),
                &format!("Step {}: its error", t + 1),
                &format!("e{} = y{} − ŷ{}", sub(t + 1), sub(t + 1), sub(t + 1)),
                format!("{} − {}", num(y[t]), paren(predicted[t])),
                errors[t],
            );
            if residual_mode == "typed" && filtered.is_none() {
                let typed = typed_in.get(t).copied().unwrap_or(f64::NAN);
                if typed.is_finite() && typed != errors[t] {
                    steps.text(
                        &format!("{id}.typed"),
                        &format!("Step {}: the typed residual instead", t + 1),
                        &format!("ε{} as typed", sub(t + 1)),
                        format!("the model's own error is {}", num(errors[t])),
                        format!("{} (used, as the guide does)", num(typed)),
                    );
                }
            }
        }
    };
    let first_pred = (0..n).find(|&t| predicted[t].is_finite());
    if let Some(t) = first_pred {
        show_prediction(&mut steps, "first", t);
        if n - 1 > t {
            show_prediction(&mut steps, "last", n - 1);
        }
    }
    if filtered.is_none() {
        let last_w = |i: usize| -> f64 {
            let t = n as isize - 1 - i as isize;
            if t < d as isize {
                return f64::NAN;
            }
            let t = t as usize;
            if d == 1 {
                rec.filled[t] - rec.filled[t - 1]
            } else {
                rec.filled[t]
            }
        };
        let ar_sub: Vec<String> =
            model.phi.iter().enumerate().map(|(i, phi)| format!("{} × {}", num(*phi), paren(last_w(i)))).collect();
        if !model.phi.is_empty() {
            steps.num(
                "ar",
                "AR part of the next prediction",
                if d == 1 { "Σ φᵢ·w(n+1−i)" } else { "Σ φᵢ·y(n+1−i)" },
                ar_sub.join(" + "),
                rec.ar_term,
            );
        }
        if model.q > 0 {
            let last_eps = if n > 0 { rec.eps.get(n - 1).copied().unwrap_or(0.0) } else { 0.0 };
            steps.num(
                "ma",
                "MA part of the next prediction",
                "θ₁·ε(n)",
                format!("{} × {}", num(model.theta), paren(last_eps)),
                rec.ma_term,
            );
        }
    }
    let nn = sub(n);
    let fc_formula = if filtered.is_some() {
        "ŷ = Z·a (the filter's state after the last observation)".to_string()
    } else if d == 1 {
        format!("ŷ{}₊₁ = y{} + C + AR + MA", nn, nn)
    } else {
        format!("ŷ{}₊₁ = C + AR + MA", nn)
    };
    let one = forecast.first().copied().unwrap_or(f64::NAN);
    let subst = if filtered.is_some() {
        format!("from {} observations", count(n))
    } else if d == 1 {
        format!(
            "{} + {} + {} + {}",
            num(rec.filled.last().copied().unwrap_or(f64::NAN)),
            num(model.c),
            paren(rec.ar_term),
            paren(rec.ma_term)
        )
    } else {
        format!("{} + {} + {}", num(model.c), paren(rec.ar_term), paren(rec.ma_term))
    };
    let fstep = steps.num("forecast1", "Forecast one step ahead", &fc_formula, subst, one);
    if !band && h == 1 {
        fstep.decisive();
    }
    if h > 1 {
        let hs = steps.num(
            "forecast",
            &format!("Forecast {} steps ahead", h),
            "iterate, with future errors 0",
            format!("h = {}", h),
            target,
        );
        if !band {
            hs.decisive();
        }
    }
    if model_residual_forecast.is_finite() {
        steps.num(
            "forecast_model_residuals",
            "The same forecast with the model's own errors after the first",
            "ε(t) = y(t) − ŷ(t) instead of the typed ε",
            "only the first residual typed",
            model_residual_forecast,
        );
    }
    if d == 0 {
        steps.num(
            "mean",
            "Where the forecasts settle: the long-run mean",
            "μ = C / (1 − Σφ)",
            format!("{} / (1 − {})", num(model.c), num(model.phi.iter().sum())),
            mu,
        );
    }
    if band {
        steps.num(
            "sigma",
            "Scale of the one-step errors",
            if exact { "σ̂ = √(Σ e²/F / n)" } else { "σ̂ = √(Σe² / n)" },
            format!("{} errors", count(n_err)),
            sigma,
        );
        if let Some(wi) = worst {
            steps
                .text(
                    "compare",
                    &format!("Largest one-step error (step {})", wi + 1),
                    &format!("|e| / σ̂ {} k", cmp.symbol()),
                    format!(
                        "|{}| / {} = {} {} {}?",
                        num(errors[wi]),
                        num(sigma * fvar[wi].sqrt()),
                        num(scores[wi].abs()),
                        cmp.symbol(),
                        num(k)
                    ),
                    if flags[wi] { "yes: flagged" } else { "no: not flagged" },
                )
                .decisive();
        }
    } else {
        steps.text(
            "sigma",
            "Scale of the one-step errors",
            "σ̂ = √(Σe² / n)",
            format!("{} {}", count(n_err), if n_err == 1 { "error" } else { "errors" }),
            if n_err < 2 {
                "too few errors to estimate σ̂ (needs 2)"
            } else {
                "σ̂ = 0: every prediction was exact"
            },
        );
    }

    // ---- Verdict.
    let fc_text = format!("the forecast for {} {} ahead is {}", h, if h == 1 { "step" } else { "steps" }, num(target));
    let verdict = if flagged > 0 {
        let f0 = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} with a large prediction error", super::common::n_points(flagged)),
            format!(
                "Step {} ({}) was predicted as {}: |e| = {} σ̂; {}.",
                f0 + 1,
                num(y[f0]),
                num(predicted[f0]),
                num(scores[f0].abs()),
                fc_text
            ),
        )
    } else if band {
        let wt = worst.map_or(String::new(), |wi| {
            format!(
                "The largest prediction error is {} σ̂ (step {}), {} {}; ",
                num(scores[wi].abs()),
                wi + 1,
                cmp.negated(),
                num(k)
            )
        });
        Verdict::new(Level::Clear, "No value with a large prediction error", format!("{}{}.", wt, fc_text))
    } else if n_err >= 2 {
        Verdict::new(
            Level::Undefined,
            "σ̂ = 0: every prediction was exact",
            format!("The errors have no spread, so no error can be judged large; {}.", fc_text),
        )
    } else {
        Verdict::new(
            Level::Clear,
            format!("Forecast {} {} ahead: {}", h, if h == 1 { "step" } else { "steps" }, num(target)),
            format!(
                "{} one-step {}: too few to estimate σ̂, so nothing is flagged.",
                count(n_err),
                if n_err == 1 { "error" } else { "errors" }
            ),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("forecast", format!("forecast ŷ(+{})", h), Val::num_or(target, "overflow"), "");
    a.push_value("forecast1", "forecast one step ahead", Val::num_or(one, "overflow"), "");
    if filtered.is_none() {
        a.push_value("ar_term", "AR part of the next prediction", Val::num_or(rec.ar_term, "no AR term"), "");
        a.push_value("ma_term", "MA part of the next prediction", Val::num_or(rec.ma_term, "no MA term"), "");
    }
    if residual_mode == "typed" {
        a.push_value(
            "forecast_model_residuals",
            "forecast with the model's own errors",
            Val::num_or(model_residual_forecast, "overflow"),
            "",
        );
    }
    for t in 0..n.min(10) {
        let label_t = t + 1;
        a.push_value(
            format!("prediction.{}", label_t),
            format!("prediction of step {}", label_t),
            if predicted[t].is_finite() {
                Val::Num(predicted[t])
            } else {
                Val::Undefined("starts the recursion".into())
            },
            "",
        );
        a.push_value(
            format!("error.{}", label_t),
            format!("error of step {}", label_t),
            if errors[t].is_finite() {
                Val::Num(errors[t])
            } else {
                Val::Undefined(if y[t].is_nan() { "missing".into() } else { "no prediction".into() })
            },
            "",
        );
    }
    a.push_value("constant", "constant C", Val::num_or(model.c, "overflow"), "");
    for (i, phi) in model.phi.iter().enumerate() {
        a.push_value(format!("phi.{}", i + 1), format!("φ{}", sub(i + 1)), Val::num_or(*phi, "overflow"), "");
    }
    if q > 0 {
        a.push_value("theta.1", "θ₁", Val::num_or(model.theta, "overflow"), "");
    }
    a.push_value(
        "mean",
        if d == 1 { "mean change C/(1 − Σφ)" } else { "long-run mean C/(1 − Σφ)" },
        Val::num_or(mu, "Σφ = 1"),
        "",
    );
    let no_band = if n_err < 2 { "no band: fewer than 2 errors" } else { "no band: σ̂ = 0" };
    a.push_value(
        "sigma",
        "σ̂ of the one-step errors",
        if band { Val::Num(sigma) } else { Val::Undefined(no_band.into()) },
        "",
    );
    a.push_value(
        "forecast_lower",
        "forecast band, lower",
        if band { Val::num_or(target - k * target_sd, "overflow") } else { Val::Undefined(no_band.into()) },
        "",
    );
    a.push_value(
        "forecast_upper",
        "forecast band, upper",
        if band { Val::num_or(target + k * target_sd, "overflow") } else { Val::Undefined(no_band.into()) },
        "",
    );
    if estimate == "yule-walker" {
        a.push_value(
            "yw_sigma",
            "Yule–Walker σ = √(r(0) − Σφ r(k))",
            Val::num_or(yw_sigma2.max(0.0).sqrt(), "undefined"),
            "",
        );
    }
    if let Some((sse, it, _)) = css_info {
        a.push_value("css_sse", "CSS sum of squares", Val::num_or(sse, "overflow"), "");
        a.push_value("iterations", "Levenberg–Marquardt iterations", Val::Int(it as i64), "");
    }
    a.push_value("flagged", "flagged values", Val::Int(flagged as i64), "");

    if let Some(note) = fit_note {
        a.note(NoteLevel::Warning, note);
    }
    if d == 0 && estimate == "given" && mu.is_finite() && n > 0 {
        let last = y.iter().rev().find(|v| v.is_finite()).copied().unwrap_or(f64::NAN);
        if last.is_finite() && ((last > mu && one < last) || (last < mu && one > last)) {
            a.note(
                NoteLevel::Caveat,
                format!(
                    "This model pulls every forecast toward its long-run mean C/(1 − Σφ) = {}: from the last value {} the next forecast is {}. A series that keeps growing needs a constant (C = {} makes {} the mean) or differencing (d = 1).",
                    num(mu),
                    num(last),
                    num(one),
                    num(last * (1.0 - model.phi.iter().sum::<f64>())),
                    num(last)
                ),
            );
        }
    }
    if ar_order == 1 && q == 1 && d == 0 {
        a.note(NoteLevel::Info, "With one AR and one MA term this is ARMA(1, 1), not AR(1); nothing is differenced (d = 0), so it is not “integrated” either.");
    }
    if exact {
        a.note(NoteLevel::Info, "Exact start: the Kalman filter begins from the stationary distribution of the model (mean C/(1 − Σφ)), as statsmodels' ARIMA does, so the first predictions lean on the long-run mean and have a larger variance F.");
    }
    if series.gaps() > 0 {
        a.note(
            NoteLevel::Info,
            format!(
                "{} missing value(s) are replaced by their predictions (error 0) and not scored.",
                count(series.gaps())
            ),
        );
    }
    if let Some(note) = tl.irregular_note() {
        a.note(NoteLevel::Info, note);
    }

    // ---- Tables.
    let mut table = Table::new(
        "steps",
        "Each step",
        &["#", tl.label, "y", "ŷ (one step)", "e = y − ŷ", "ε used", "e / σ̂", "flagged"],
    );
    table.fill(
        n,
        |i| flags.get(i).copied().unwrap_or(false),
        |i| {
            vec![
                (i + 1).to_string(),
                num(tl.x[i]),
                if y[i].is_nan() { "missing".into() } else { num(y[i]) },
                cell(predicted[i]),
                cell(errors[i]),
                if filtered.is_none() && (predicted[i].is_finite() || i + 1 == first) {
                    num(rec.eps[i])
                } else {
                    String::new()
                },
                cell(scores[i]),
                if flags[i] { "yes".into() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);
    let fx: Vec<f64> = (1..=forecast.len()).map(|j| tl.ahead(j)).collect();
    let mut ftable = Table::new("forecast", "Forecast", &["h", tl.label, "ŷ", "lower", "upper"]);
    let fsd: Vec<f64> = (0..forecast.len())
        .map(|j| if band { sigma * forecast_f.get(j).copied().unwrap_or(f64::NAN).max(0.0).sqrt() } else { f64::NAN })
        .collect();
    ftable.fill(
        forecast.len(),
        |j| j + 1 == h,
        |j| {
            vec![
                (j + 1).to_string(),
                num(tl.ahead(j + 1)),
                num(forecast[j]),
                cell(forecast[j] - k * fsd[j]),
                cell(forecast[j] + k * fsd[j]),
            ]
        },
    );
    a.tables.push(ftable);

    // ---- Plot.
    let mut main = Panel::new("", tl.axis_through(forecast.len()), Axis::linear("value"));
    if band {
        let lo: Vec<f64> = predicted.iter().zip(&fvar).map(|(f, v)| f - k * sigma * v.sqrt()).collect();
        let hi: Vec<f64> = predicted.iter().zip(&fvar).map(|(f, v)| f + k * sigma * v.sqrt()).collect();
        main.push(band_layer(&tl.x, &lo, &hi, format!("prediction ± {}σ̂", num(k))));
        let lo: Vec<f64> = forecast.iter().zip(&fsd).map(|(f, s)| f - k * s).collect();
        let hi: Vec<f64> = forecast.iter().zip(&fsd).map(|(f, s)| f + k * s).collect();
        main.push(Layer::band(fx.clone(), lo, hi, ""));
    }
    if d == 0 && mu.is_finite() {
        main.push(Layer::hline(mu, Role::Center, "long-run mean C/(1 − Σφ)"));
    }
    main.push(Layer::line(tl.x.clone(), predicted.clone(), Role::Model, "one-step prediction"));
    for l in error_segments(&tl.x, &predicted, y, "one-step error").unwrap_or_default() {
        main.push(l);
    }
    let mut join_x = vec![tl.ahead(0)];
    join_x.extend_from_slice(&fx);
    let mut join_y = vec![rec.filled.last().copied().unwrap_or(f64::NAN)];
    join_y.extend_from_slice(&forecast);
    main.push(Layer::line(join_x, join_y, Role::Highlight, "forecast"));
    main.push(Layer::text(tl.ahead(h), target, format!("ŷ(+{}) = {}", h, num(target))));
    let (points, layers) = observed_points(&tl.x, y, &scores, &flags, "e / σ̂");
    for l in layers {
        main.push(l);
    }
    main.weight = 2.0;
    // With the exact start each error has its own variance F·σ²: the panel shows e/√F,
    // which the threshold applies to.
    let (err_title, err_axis, shown_errors) = if exact {
        ("one-step errors, standardised by √F", "e / √F", &std_err)
    } else {
        ("one-step errors", "error e", &errors)
    };
    let mut err_panel = Panel::new(err_title, tl.axis_through(forecast.len()), Axis::linear(err_axis));
    err_panel.push(Layer::hline(0.0, Role::Center, ""));
    if band {
        err_panel.push(Layer::hline(k * sigma, Role::Threshold, format!("± {}σ̂", num(k))));
        err_panel.push(Layer::hline(-k * sigma, Role::Threshold, ""));
    }
    for l in error_layers(&tl.x, shown_errors) {
        err_panel.push(l);
    }
    a.plot = Plot::stacked(vec![main, err_panel]);
    a.points = Some(points);
    Ok(a)
}

/// The AR coefficients as a list, or a word when there are none.
fn phi_list(phi: &[f64]) -> String {
    if phi.is_empty() {
        "none (p = 0)".to_string()
    } else {
        list(phi, 6)
    }
}

/// The model with its numbers: "y(t) = 0 + 0.9·y(t−1) + 0.5·ε(t−1) + ε(t)".
fn model_equation(m: &Arma, d: usize) -> String {
    let v = if d == 1 { "w" } else { "y" };
    let mut s = format!("{}(t) = {}", v, num(m.c));
    for (i, phi) in m.phi.iter().enumerate() {
        s.push_str(&format!(" + {}·{}(t−{})", paren(*phi), v, i + 1));
    }
    if m.q > 0 {
        s.push_str(&format!(" + {}·ε(t−1)", paren(m.theta)));
    }
    s.push_str(" + ε(t)");
    s
}

/// The analysis of a series a model cannot be fitted to (no variation).
fn no_variation(y: &[f64], tl: &Timeline, estimate: &str) -> Analysis {
    let value = y.iter().copied().find(|v| v.is_finite()).unwrap_or(f64::NAN);
    let mut a = Analysis::new(
        METHOD.spec.id,
        Verdict::new(
            Level::Undefined,
            "No variation: the model cannot be fitted",
            format!(
                "Every {} is the same ({}), so the autocovariances are 0 and {} has no solution. A constant series is predicted by itself; there is nothing to flag.",
                "value",
                num(value),
                if estimate == "css" { "the least-squares start (Yule–Walker)" } else { "Yule–Walker" }
            ),
        ),
    );
    let mut steps = Steps::new();
    steps.text("autocov", "Autocovariances", "r(0) = Σ(w − w̄)² / n", "every value equals the mean", "0").decisive();
    steps.text("fit", "Fit", "solve for φ", "singular system", "undefined");
    steps.num("value", "The constant value", "y", num(value), value);
    a.steps = steps.0;
    a.push_value("forecast", "forecast", Val::Undefined("no model could be fitted".into()), "");
    a.push_value("flagged", "flagged values", Val::Int(0), "");
    let n = y.len();
    let (points, layers) = observed_points(&tl.x, y, &vec![f64::NAN; n], &vec![false; n], "e / σ̂");
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

    fn guide() -> Arma {
        Arma { c: 0.0, phi: vec![0.9], theta: 0.5, q: 1 }
    }

    #[test]
    fn the_guide_with_typed_residuals() {
        let r = conditional(&[40.0, 42.0], 0, &guide(), Start::Typed, &[2.0, 1.0], 1);
        assert!((r.forecast[0] - 38.3).abs() < 1e-12);
        assert!((r.ar_term - 37.8).abs() < 1e-12 && (r.ma_term - 0.5).abs() < 1e-12);
        // The model's own prediction of day 2 is 37, not the guide's 41.
        assert!((r.predicted[1] - 37.0).abs() < 1e-12);
        // A day with no typed residual uses the model's own error: 50 − 38.3.
        let r = conditional(&[40.0, 42.0, 50.0], 0, &guide(), Start::Typed, &[2.0, 1.0], 1);
        assert!((r.eps[2] - 11.7).abs() < 1e-12 && (r.forecast[0] - (45.0 + 0.5 * 11.7)).abs() < 1e-12);
    }

    #[test]
    fn the_consistent_recursion_and_the_variants() {
        let r = conditional(&[40.0, 42.0], 0, &guide(), Start::First(2.0), &[], 1);
        assert!((r.forecast[0] - 40.3).abs() < 1e-12, "{:?}", r.forecast);
        let c4 = Arma { c: 4.0, ..guide() };
        let r = conditional(&[40.0, 42.0], 0, &c4, Start::Typed, &[2.0, 1.0], 1);
        assert!((r.forecast[0] - 42.3).abs() < 1e-12);
        let r = conditional(&[40.0, 42.0], 1, &guide(), Start::Typed, &[2.0, 1.0], 1);
        assert!((r.forecast[0] - 44.3).abs() < 1e-12, "{:?}", r.forecast);
    }

    #[test]
    fn the_kalman_filter_matches_statsmodels() {
        let f = kalman(&[40.0, 42.0], 0, &guide(), 1).unwrap();
        assert!((f.forecast[0] - 39.523_484_848_5).abs() < 1e-9, "{:?}", f.forecast);
    }

    fn run(values: Vec<f64>, params: crate::Params) -> Result<Analysis, InputError> {
        crate::analyze("arima", Input::new().with("series.value", values), &params)
    }

    #[test]
    fn explained_refusals_and_outcomes() {
        use crate::Params;
        // Typed residuals, none typed.
        let e = run(vec![40.0, 42.0], Params::new()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("errors"));
        // Yule–Walker with an MA term.
        let e = run(vec![1.0, 2.0, 3.0, 2.0], Params::new().with("estimate", "yule-walker").with("residuals", "zero"))
            .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("q"));
        // Too few observations to start the recursion.
        let e = run(vec![1.0, 2.0], Params::new().with("p", 2.0).with("d", 1.0).with("residuals", "zero")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooFew);
        // The exact start needs a stationary AR part.
        let e = run(vec![1.0, 2.0, 3.0], Params::new().with("phi1", 1.2).with("residuals", "exact")).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("residuals"));
        // A constant series cannot be fitted: an explained outcome.
        let a =
            run(vec![5.0; 20], Params::new().with("estimate", "yule-walker").with("q", 0.0).with("residuals", "zero"))
                .unwrap();
        assert_eq!(a.verdict.level, Level::Undefined);
        // A missing first value (which starts the recursion) is refused; later gaps are filled.
        let e = run(vec![f64::NAN, 1.0, 2.0], Params::new().with("residuals", "zero")).unwrap_err();
        assert_eq!(e.position, Some(1));
        let a = run(vec![1.0, f64::NAN, 2.0, 3.0], Params::new().with("residuals", "zero")).unwrap();
        assert_eq!(a.number("prediction.2"), Some(0.9 * 1.0));
    }

    #[test]
    fn stationarity() {
        assert!(stationary(&[0.9]) && !stationary(&[1.0]) && stationary(&[0.5, 0.3]) && !stationary(&[0.5, 0.6]));
        assert!(stationary(&[]));
    }
}
