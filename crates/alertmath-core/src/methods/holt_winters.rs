//! Holt-Winters with an additive trend and an additive season (or none): the level ℓ,
//! trend b and seasonal states s updated at every sample, the forecast
//! ŷ(t+h) = ℓ + h·b + s(t+h−m(⌊(h−1)/m⌋+1)), and a prediction band from the one-step
//! errors. An observation outside its one-step band is flagged.
//!
//! The component form follows Hyndman & Athanasopoulos (and statsmodels):
//!
//! ```text
//! ŷ(t)  = ℓ(t−1) + b(t−1) + s(t−m)
//! ℓ(t)  = α (y(t) − s(t−m)) + (1 − α)(ℓ(t−1) + b(t−1))
//! b(t)  = β (ℓ(t) − ℓ(t−1)) + (1 − β) b(t−1)
//! s(t)  = γ (y(t) − ℓ(t−1) − b(t−1)) + (1 − γ) s(t−m)      [or γ (y(t) − ℓ(t)) + …, Winters 1960]
//! ```
//!
//! Both seasonal updates are exactly the error-correction model ETS(A,A,A) with
//! β_ETS = αβ and γ_ETS = γ (or (1 − α)γ), which gives the variance of the h-step error
//! (Hyndman & Athanasopoulos, *Forecasting: principles and practice*, table of
//! prediction-interval variances):
//!
//! ```text
//! σ²(h) = σ² [1 + (h−1){α² + αβh + β²h(2h−1)/6} + γk{2α + γ + βm(k+1)}],  k = ⌊(h−1)/m⌋
//! ```
//!
//! with σ² the mean square of the one-step errors (statsmodels ETSModel's `mse`). A
//! missing sample advances the states by their prediction (the error is unknown, so it
//! is taken as 0), as a state-space model does.

use super::common::{series_field, Compare, Series, COMPARE};
use super::double_exponential_smoothing::{prometheus, prometheus_value, residual_kind, BAND_K, SIGMA};
use super::series_models::{
    band as band_layer, cell, error_segments, observed_points, residual_scale, sub, ResidualScale, Timeline,
    MAX_OVERLAY,
};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, list, num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Layer, Panel, Plot, Role};
use crate::spec::{integer, number, Choice, ColumnSpec, Domain, FieldSpec, MethodSpec, ParamKind, ParamSpec};

const SEASON_VALUES: &[ColumnSpec] = &[ColumnSpec { id: "value", label: "value", unit: "", domain: Domain::Real }];

/// The initial seasonal values, used with given initial states.
const SEASON_FIELD: FieldSpec = FieldSpec {
    id: "season",
    label: "Initial season",
    help: "m numbers: the seasonal effect of the 1st, 2nd, … step after the initial state (used with given initial states; empty means all 0)",
    columns: SEASON_VALUES,
    timestamps: false,
    min_rows: 1,
    gaps: false,
    optional: true,
};

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "holt-winters",
        name: "Holt-Winters (level, trend and season)",
        summary: "Tracks a level, a trend and a repeating season; forecasts ℓ + h·b + s and flags observations outside their one-step prediction band.",
        fields: &[series_field(1), SEASON_FIELD],
        params: &[
            ParamSpec {
                id: "alpha",
                label: "Level smoothing α",
                unit: "",
                help: "Weight of the newest observation in the level. The guide gives no value; its PromQL smooths with sf = 0.5.",
                kind: number(0.3, 0.0, 1.0, 0.01),
            },
            ParamSpec {
                id: "beta",
                label: "Trend smoothing β",
                unit: "",
                help: "Weight of the newest level change in the trend. The guide's PromQL uses tf = 0.1.",
                kind: number(0.1, 0.0, 1.0, 0.01),
            },
            ParamSpec {
                id: "gamma",
                label: "Season smoothing γ",
                unit: "",
                help: "Weight of the newest seasonal deviation in the seasonal state of that phase.",
                kind: number(0.2, 0.0, 1.0, 0.01),
            },
            ParamSpec {
                id: "period",
                label: "Period m",
                unit: "steps",
                help: "Steps in one season: 24 for hourly data with a daily cycle (the guide), 168 for a weekly one.",
                kind: integer(24.0, 1.0, 10080.0),
            },
            ParamSpec {
                id: "horizon",
                label: "Horizon h",
                unit: "steps",
                help: "Forecast this many steps after the last observation; the guide forecasts 3 hours ahead.",
                kind: integer(3.0, 1.0, 10000.0),
            },
            ParamSpec {
                id: "init",
                label: "Initial states",
                unit: "",
                help: "Given (the guide's ℓ, b and season), or estimated from the first periods as statsmodels does.",
                kind: ParamKind::Choice {
                    default: "given",
                    options: &[
                        Choice { id: "given", label: "given: ℓ₀, b₀ and the initial season (the guide)" },
                        Choice { id: "simple", label: "simple: from the first two periods (statsmodels 'simple')" },
                        Choice { id: "heuristic", label: "heuristic: moving-average decomposition (statsmodels 'heuristic')" },
                    ],
                },
            },
            ParamSpec {
                id: "level0",
                label: "Initial level ℓ₀",
                unit: "",
                help: "The level one step before the first observation (used with given initial states).",
                kind: number(990.0, -1e12, 1e12, 1.0),
            },
            ParamSpec {
                id: "trend0",
                label: "Initial trend b₀",
                unit: "per step",
                help: "The trend one step before the first observation (used with given initial states); the guide's +10 per hour.",
                kind: number(10.0, -1e12, 1e12, 0.1),
            },
            ParamSpec {
                id: "seasonal",
                label: "Season",
                unit: "",
                help: "Additive season (Holt-Winters), or none (Holt's linear trend, as Prometheus's double_exponential_smoothing).",
                kind: ParamKind::Choice {
                    default: "additive",
                    options: &[
                        Choice { id: "additive", label: "additive season (Holt-Winters)" },
                        Choice { id: "none", label: "no season (Holt's linear trend)" },
                    ],
                },
            },
            ParamSpec {
                id: "seasonal_update",
                label: "Seasonal update",
                unit: "",
                help: "What the seasonal state learns from: y − ℓ₋₁ − b₋₁ (Hyndman & Athanasopoulos, statsmodels) or y − ℓ (Winters 1960, R's HoltWinters).",
                kind: ParamKind::Choice {
                    default: "hyndman",
                    options: &[
                        Choice { id: "hyndman", label: "γ(y − ℓ₋₁ − b₋₁) + (1 − γ)s₋ₘ (statsmodels)" },
                        Choice { id: "winters", label: "γ(y − ℓ) + (1 − γ)s₋ₘ (Winters, R)" },
                    ],
                },
            },
            BAND_K,
            SIGMA,
            COMPARE,
        ],
    },
    run,
};

/// How the initial states are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    Given,
    Simple,
    Heuristic,
}

/// Which residual the seasonal state learns from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// γ(y − ℓ₋₁ − b₋₁) + (1 − γ)s₋ₘ.
    Hyndman,
    /// γ(y − ℓ) + (1 − γ)s₋ₘ.
    Winters,
}

/// The states before the first observation.
#[derive(Debug, Clone, PartialEq)]
pub struct States {
    pub level: f64,
    pub trend: f64,
    /// m values: the seasonal effect of the 1st, 2nd, … step (s(1−m), …, s(0)).
    pub season: Vec<f64>,
}

/// The model parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    /// The period; 1 with no season (the seasonal state is then always 0).
    pub m: usize,
    pub seasonal: bool,
    pub update: Update,
}

/// Every state after every observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Smoothed {
    /// The one-step prediction of each observation.
    pub fitted: Vec<f64>,
    /// y − ŷ, NaN for a missing observation.
    pub resid: Vec<f64>,
    pub level: Vec<f64>,
    pub trend: Vec<f64>,
    /// The m initial seasonal states followed by the one updated at each observation:
    /// index i holds s(i + 1 − m).
    pub season: Vec<f64>,
}

impl Model {
    /// Runs the recursion over `y` from `init`.
    pub fn smooth(&self, y: &[f64], init: &States) -> Smoothed {
        let n = y.len();
        let m = self.m.max(1);
        let mut season = Vec::with_capacity(n + m);
        if self.seasonal {
            season.extend((0..m).map(|i| init.season.get(i).copied().unwrap_or(0.0)));
        } else {
            season.resize(m, 0.0);
        }
        let mut fitted = Vec::with_capacity(n);
        let mut resid = Vec::with_capacity(n);
        let mut level = Vec::with_capacity(n);
        let mut trend = Vec::with_capacity(n);
        let (mut l, mut b) = (init.level, init.trend);
        let (a, bt, g) = (self.alpha, self.beta, self.gamma);
        for (t, &yt) in y.iter().enumerate() {
            let s_old = season.get(t).copied().unwrap_or(0.0);
            let f = l + b + s_old;
            fitted.push(f);
            let (l_new, b_new, s_new, e) = if yt.is_nan() {
                (l + b, b, s_old, f64::NAN)
            } else {
                let l_new = a * (yt - s_old) + (1.0 - a) * (l + b);
                let b_new = bt * (l_new - l) + (1.0 - bt) * b;
                let s_new = if !self.seasonal {
                    0.0
                } else {
                    match self.update {
                        Update::Hyndman => g * (yt - l - b) + (1.0 - g) * s_old,
                        Update::Winters => g * (yt - l_new) + (1.0 - g) * s_old,
                    }
                };
                (l_new, b_new, s_new, yt - f)
            };
            resid.push(e);
            level.push(l_new);
            trend.push(b_new);
            season.push(s_new);
            l = l_new;
            b = b_new;
        }
        Smoothed { fitted, resid, level, trend, season }
    }

    /// The seasonal term of the h-step forecast from the end of `sm`: s(n+h−m(k+1)).
    pub fn season_term(&self, sm: &Smoothed, h: usize) -> f64 {
        let n = sm.level.len();
        let m = self.m.max(1);
        sm.season.get(n + (h.max(1) - 1) % m).copied().unwrap_or(0.0)
    }

    /// The h-step forecast from the end of `sm` (or from `init` with no observation).
    pub fn forecast(&self, sm: &Smoothed, init: &States, h: usize) -> f64 {
        let (l, b) = (sm.level.last().copied().unwrap_or(init.level), sm.trend.last().copied().unwrap_or(init.trend));
        l + h as f64 * b + self.season_term(sm, h)
    }

    /// Whether the model forgets: the weights of old observations in the one-step
    /// forecast die out (Hyndman et al. 2008, the forecastability condition). The model is
    /// ARIMA(0, 1, m+1)(0, 1, 0)ₘ (ARIMA(0, 2, 2) with no season) with moving-average
    /// polynomial θ(z); it is forecastable when θ has all its roots outside the unit
    /// circle, checked by the Schur–Cohn step-down recursion. `None` for periods above
    /// 2,000, where the O(m²) check is not run.
    pub fn forecastable(&self) -> Option<bool> {
        let a = self.alpha;
        let b = self.alpha * self.beta;
        let theta: Vec<f64> = if !self.seasonal {
            vec![1.0, a + b - 2.0, 1.0 - a]
        } else {
            let m = self.m.max(1);
            if m > 2000 {
                return None;
            }
            let g = match self.update {
                Update::Hyndman => self.gamma,
                Update::Winters => (1.0 - self.alpha) * self.gamma,
            };
            // θ(z) = S(z)(αz + (β′ − α)z²) + β′z(1 − zᵐ) + γzᵐ(1 − z) + (1 − z)(1 − zᵐ),
            // with S(z) = 1 + z + … + zᵐ⁻¹.
            let mut t = vec![0.0; m + 2];
            for (k, c) in t.iter_mut().enumerate() {
                if (1..=m).contains(&k) {
                    *c += a;
                }
                if (2..=m + 1).contains(&k) {
                    *c += b - a;
                }
            }
            t[0] += 1.0;
            t[1] += b - 1.0;
            t[m] += g - 1.0;
            t[m + 1] += 1.0 - g - b;
            t
        };
        let phi: Vec<f64> = theta.iter().skip(1).map(|c| -c).collect();
        Some(super::arima::stationary(&phi))
    }

    /// σ²(h) / σ²: the growth of the forecast variance with the horizon, for ETS(A,A,A)
    /// (ETS(A,A,N) without a season).
    pub fn variance_factor(&self, h: usize) -> f64 {
        let hf = h.max(1) as f64;
        let a = self.alpha;
        let b = self.alpha * self.beta;
        let (g, k, m) = if self.seasonal {
            let g = match self.update {
                Update::Hyndman => self.gamma,
                Update::Winters => (1.0 - self.alpha) * self.gamma,
            };
            (g, ((h.max(1) - 1) / self.m.max(1)) as f64, self.m.max(1) as f64)
        } else {
            (0.0, 0.0, 1.0)
        };
        1.0 + (hf - 1.0) * (a * a + a * b * hf + b * b * hf * (2.0 * hf - 1.0) / 6.0)
            + g * k * (2.0 * a + g + b * m * (k + 1.0))
    }
}

fn mean(xs: &[f64]) -> f64 {
    crate::stats::mean(xs)
}

/// The first `need` observations, or an error naming what is missing.
fn head<'a>(y: &'a [f64], need: usize, what: &str) -> Result<&'a [f64], InputError> {
    let Some(part) = y.get(..need) else {
        return Err(InputError::unsupported(format!(
            "The {} initialisation needs at least {} observations; the series has {}. Give the initial states instead (Initial states: given), or shorten the period.",
            what,
            count(need),
            count(y.len())
        ))
        .in_param("init"));
    };
    if let Some(i) = part.iter().position(|v| v.is_nan()) {
        return Err(InputError::unsupported(format!(
            "The {} initialisation uses the first {} observations, and row {} is missing. Fill it in, or give the initial states instead.",
            what,
            count(need),
            i + 1
        ))
        .in_param("init"));
    }
    Ok(part)
}

/// statsmodels' "simple" initialisation (Hyndman & Athanasopoulos): the mean of the first
/// period, the mean per-step change between the first two periods, and the first
/// period's deviations from its mean. Without a season: ℓ₀ = y₁, b₀ = y₂ − y₁.
pub fn init_simple(y: &[f64], m: usize, seasonal: bool) -> Result<States, InputError> {
    if !seasonal {
        let part = head(y, 2, "simple")?;
        return Ok(States { level: part[0], trend: part[1] - part[0], season: Vec::new() });
    }
    let part = head(y, 2 * m, "simple")?;
    let (first, second) = part.split_at(m);
    let level = mean(first);
    let changes: Vec<f64> = second.iter().zip(first).map(|(b, a)| (b - a) / m as f64).collect();
    Ok(States { level, trend: mean(&changes), season: first.iter().map(|v| v - level).collect() })
}

/// statsmodels' "heuristic" initialisation (Hyndman et al. 2008, §2.6.1): a centred
/// 2×m moving average over up to five periods gives the trend; the detrended values
/// averaged by phase (then centred) give the season; a straight line through the first
/// ten trend values gives ℓ₀ (its value one step before them) and b₀. Without a season
/// the line goes through the first ten observations.
pub fn init_heuristic(y: &[f64], m: usize, seasonal: bool) -> Result<States, InputError> {
    let (base, season) = if seasonal {
        let min_obs = (2 * m).max(10 + 2 * (m / 2));
        let available = y.len();
        let k_cycles = (available / m).min(5).max(min_obs.div_ceil(m));
        let span = (k_cycles * m).min(available);
        let part = head(y, span.max(min_obs), "heuristic")?;
        let len = part.len();
        let half = m / 2;
        // Centred moving average of m values, then of two neighbours when m is even.
        let mut ma = vec![f64::NAN; len];
        if len >= m {
            let mut window: f64 = part[..m].iter().sum();
            for start in 0..=len - m {
                if start > 0 {
                    window += part[start + m - 1] - part[start - 1];
                }
                // Recompute exactly every so often to stop rounding from drifting.
                if start % 64 == 0 {
                    window = crate::stats::sum(&part[start..start + m]);
                }
                if let Some(slot) = ma.get_mut(start + half) {
                    *slot = window / m as f64;
                }
            }
        }
        let trend: Vec<f64> = if m % 2 == 0 {
            (0..len).map(|i| if i + 1 < len { (ma[i] + ma[i + 1]) / 2.0 } else { f64::NAN }).collect()
        } else {
            ma
        };
        let mut sums = vec![0.0; m];
        let mut counts = vec![0usize; m];
        for (i, (v, tr)) in part.iter().zip(&trend).enumerate() {
            let d = v - tr;
            if d.is_finite() {
                sums[i % m] += d;
                counts[i % m] += 1;
            }
        }
        let mut season: Vec<f64> =
            sums.iter().zip(&counts).map(|(s, &c)| if c > 0 { s / c as f64 } else { f64::NAN }).collect();
        let centre = mean(&season);
        season.iter_mut().for_each(|s| *s -= centre);
        let base: Vec<f64> = trend.into_iter().filter(|v| v.is_finite()).collect();
        (base, season)
    } else {
        (head(y, 10, "heuristic")?.to_vec(), Vec::new())
    };
    let Some(ten) = base.get(..10) else {
        return Err(InputError::unsupported(format!(
            "The heuristic initialisation needs ten values of the moving-average trend, and this series gives {}. Use more data, the simple initialisation, or given states.",
            base.len()
        ))
        .in_param("init"));
    };
    // Least squares of the ten values on 1, 2, …, 10: slope and the value at 0.
    let ybar = mean(ten);
    let sxy: f64 = ten.iter().enumerate().map(|(i, v)| (i as f64 + 1.0 - 5.5) * (v - ybar)).sum();
    let slope = sxy / 82.5;
    Ok(States { level: ybar - slope * 5.5, trend: slope, season })
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let alpha = p.num("alpha")?;
    let beta = p.num("beta")?;
    let gamma = p.num("gamma")?;
    let period = p.count("period")?;
    let h = p.count("horizon")?.max(1);
    let k = p.num("k")?;
    let scale_kind = residual_kind(p)?;
    let cmp = Compare::from_params(p)?;
    let seasonal = p.choice("seasonal")? == "additive";
    let update = if p.choice("seasonal_update")? == "winters" { Update::Winters } else { Update::Hyndman };
    let init_kind = match p.choice("init")? {
        "simple" => Init::Simple,
        "heuristic" => Init::Heuristic,
        _ => Init::Given,
    };
    if seasonal && period < 2 {
        return Err(InputError::unsupported(
            "A period of 1 has no season: every step is the same phase, so the seasonal state would only be a second level. Set the period to the length of the cycle (24 for hourly data with a daily cycle), or choose Season: none for Holt's linear trend.",
        )
        .in_param("period"));
    }
    let m = if seasonal { period } else { 1 };
    let series = Series::read(input, &METHOD.spec.fields[0], 1.0);
    let tl = Timeline::of(&series);
    let y = &series.v;
    let n = y.len();
    let season_input = input.col(&SEASON_FIELD.key("value"));

    let mut notes: Vec<(NoteLevel, String)> = Vec::new();
    let init = match init_kind {
        Init::Given => {
            let season = if !seasonal {
                Vec::new()
            } else if season_input.is_empty() {
                notes
                    .push((NoteLevel::Info, format!("No initial season given: all {} seasonal values start at 0.", m)));
                vec![0.0; m]
            } else if season_input.len() != m {
                return Err(InputError::new(
                    crate::error::ErrorKind::Ragged,
                    format!(
                        "The initial season has {} values but the period is {}. Give one value per step of the season (the first for the step after the initial state), or leave it empty for all 0.",
                        season_input.len(),
                        m
                    ),
                )
                .in_field("season"));
            } else {
                season_input.to_vec()
            };
            States { level: p.num("level0")?, trend: p.num("trend0")?, season }
        }
        Init::Simple => init_simple(y, m, seasonal)?,
        Init::Heuristic => init_heuristic(y, m, seasonal)?,
    };
    let model = Model { alpha, beta, gamma, m, seasonal, update };
    let sm = model.smooth(y, &init);
    let (sigma, n_res) = residual_scale(&sm.resid, scale_kind);
    let band = n_res >= 2 && sigma > 0.0 && sigma.is_finite();
    let scores: Vec<f64> = sm.resid.iter().map(|&e| if band { e / sigma } else { f64::NAN }).collect();
    let flags: Vec<bool> = scores.iter().map(|z| band && cmp.passes(z.abs(), k)).collect();
    let flagged = flags.iter().filter(|&&f| f).count();
    let worst = (0..n).filter(|&i| scores[i].is_finite()).max_by(|&a, &b| scores[a].abs().total_cmp(&scores[b].abs()));

    let l_n = sm.level.last().copied().unwrap_or(init.level);
    let b_n = sm.trend.last().copied().unwrap_or(init.trend);
    let s_h = model.season_term(&sm, h);
    let forecast = model.forecast(&sm, &init, h);
    let trend_only = l_n + h as f64 * b_n;
    let trend_one = l_n + b_n;
    let sigma_h = if band { sigma * model.variance_factor(h).sqrt() } else { f64::NAN };
    // Prometheus's value on the same samples; its states only when they will be drawn.
    let promql_ok = alpha > 0.0 && alpha < 1.0 && beta > 0.0 && beta < 1.0;
    let des = if promql_ok && n <= MAX_OVERLAY { prometheus(y, alpha, beta) } else { None };
    let des_value = if promql_ok { prometheus_value(y, alpha, beta) } else { None };
    let has_des = des_value.is_some();
    let des_value = des_value.unwrap_or(f64::NAN);

    // ---- Steps.
    let mut steps = Steps::new();
    let ms = sub(0);
    match init_kind {
        Init::Given => {
            steps.num("init.level", "Initial level (given)", &format!("ℓ{}", ms), num(init.level), init.level);
            steps.num("init.trend", "Initial trend (given)", &format!("b{}", ms), num(init.trend), init.trend);
        }
        Init::Simple => {
            if seasonal {
                steps.num(
                    "init.level",
                    "Initial level: mean of the first period",
                    "ℓ₀ = (y₁ + … + yₘ) / m",
                    format!("mean of {} values", m),
                    init.level,
                );
                steps.num(
                    "init.trend",
                    "Initial trend: mean change per step between the first two periods",
                    "b₀ = mean((yₘ₊ᵢ − yᵢ) / m)",
                    format!("over i = 1…{}", m),
                    init.trend,
                );
            } else {
                steps.num("init.level", "Initial level: the first observation", "ℓ₀ = y₁", num(init.level), init.level);
                steps.num("init.trend", "Initial trend: the first change", "b₀ = y₂ − y₁", num(init.trend), init.trend);
            }
        }
        Init::Heuristic => {
            steps.num(
                "init.level",
                "Initial level: a line through the first ten trend values, at step 0",
                "ℓ₀ = ȳ − 5.5·b₀",
                if seasonal { format!("2×{} moving average", m) } else { "the first ten observations".to_string() },
                init.level,
            );
            steps.num(
                "init.trend",
                "Initial trend: the slope of that line",
                "b₀ = Σ(i − 5.5)(yᵢ − ȳ) / 82.5",
                "least squares on i = 1…10",
                init.trend,
            );
        }
    }
    if seasonal {
        steps.text(
            "init.season",
            "Initial season",
            "s₁₋ₘ, …, s₀",
            match init_kind {
                Init::Given => "given".to_string(),
                Init::Simple => "sᵢ = yᵢ − ℓ₀ over the first period".to_string(),
                Init::Heuristic => "detrended values averaged by phase, centred".to_string(),
            },
            list(&init.season, 12),
        );
    }
    let push_update = |steps: &mut Steps, id: &str, t: usize| {
        let (l_prev, b_prev) = if t == 0 { (init.level, init.trend) } else { (sm.level[t - 1], sm.trend[t - 1]) };
        let s_old = sm.season.get(t).copied().unwrap_or(0.0);
        let i = sub(t + 1);
        let im = sub(t);
        let smi = if seasonal { format!(" + s{}₋ₘ", i) } else { String::new() };
        steps.num(
            &format!("{id}.predict"),
            &format!("Step {}: one-step prediction", t + 1),
            &format!("ŷ{} = ℓ{} + b{}{}", i, im, im, smi),
            if seasonal {
                format!("{} + {} + {}", num(l_prev), paren(b_prev), paren(s_old))
            } else {
                format!("{} + {}", num(l_prev), paren(b_prev))
            },
            sm.fitted[t],
        );
        let yt = y[t];
        if yt.is_nan() {
            steps.text(
                &format!("{id}.missing"),
                &format!("Step {}: missing observation", t + 1),
                &format!("ℓ{} = ℓ{} + b{}, b{} = b{}", i, im, im, i, im),
                "no error to learn from",
                format!("ℓ = {}, b = {}", num(sm.level[t]), num(sm.trend[t])),
            );
            return;
        }
        steps.num(
            &format!("{id}.error"),
            &format!("Step {}: error", t + 1),
            &format!("e{} = y{} − ŷ{}", i, i, i),
            format!("{} − {}", num(yt), paren(sm.fitted[t])),
            sm.resid[t],
        );
        steps.num(
            &format!("{id}.level"),
            &format!("Step {}: level", t + 1),
            &format!(
                "ℓ{} = α(y{}{}) + (1 − α)(ℓ{} + b{})",
                i,
                i,
                if seasonal { format!(" − s{}₋ₘ", i) } else { String::new() },
                im,
                im
            ),
            format!(
                "{} × ({}{}) + {} × ({} + {})",
                num(alpha),
                num(yt),
                if seasonal { format!(" − {}", paren(s_old)) } else { String::new() },
                num(1.0 - alpha),
                num(l_prev),
                paren(b_prev)
            ),
            sm.level[t],
        );
        steps.num(
            &format!("{id}.trend"),
            &format!("Step {}: trend", t + 1),
            &format!("b{} = β(ℓ{} − ℓ{}) + (1 − β)b{}", i, i, im, im),
            format!(
                "{} × ({} − {}) + {} × {}",
                num(beta),
                num(sm.level[t]),
                paren(l_prev),
                num(1.0 - beta),
                paren(b_prev)
            ),
            sm.trend[t],
        );
        if seasonal {
            let (formula, subst) = match update {
                Update::Hyndman => (
                    format!("s{} = γ(y{} − ℓ{} − b{}) + (1 − γ)s{}₋ₘ", i, i, im, im, i),
                    format!(
                        "{} × ({} − {} − {}) + {} × {}",
                        num(gamma),
                        num(yt),
                        paren(l_prev),
                        paren(b_prev),
                        num(1.0 - gamma),
                        paren(s_old)
                    ),
                ),
                Update::Winters => (
                    format!("s{} = γ(y{} − ℓ{}) + (1 − γ)s{}₋ₘ", i, i, i, i),
                    format!(
                        "{} × ({} − {}) + {} × {}",
                        num(gamma),
                        num(yt),
                        paren(sm.level[t]),
                        num(1.0 - gamma),
                        paren(s_old)
                    ),
                ),
            };
            steps.num(
                &format!("{id}.season"),
                &format!("Step {}: seasonal state", t + 1),
                &formula,
                subst,
                sm.season[t + m],
            );
        }
    };
    if n > 0 {
        push_update(&mut steps, "first", 0);
    }
    if n > 1 {
        push_update(&mut steps, "last", n - 1);
    }
    let nn = sub(n);
    let hh = sub(h);
    let k_cycles = (h - 1) / m;
    let s_index = if seasonal { format!(" + s{}₊{}₋{}", nn, hh, sub(m * (k_cycles + 1))) } else { String::new() };
    let forecast_step = steps.num(
        "forecast",
        &format!("Forecast {} {} ahead", h, if h == 1 { "step" } else { "steps" }),
        &format!("ŷ{}₊{} = ℓ{} + h·b{}{}", nn, hh, nn, nn, s_index),
        if seasonal {
            format!("{} + {} × {} + {}", num(l_n), h, paren(b_n), paren(s_h))
        } else {
            format!("{} + {} × {}", num(l_n), h, paren(b_n))
        },
        forecast,
    );
    if !band {
        forecast_step.decisive();
    }
    steps.num(
        "trend_only",
        "The same level and trend without the season",
        &format!("ℓ{} + h·b{}", nn, nn),
        format!("{} + {} × {}", num(l_n), h, paren(b_n)),
        trend_only,
    );
    if band {
        steps.num(
            "sigma",
            "Scale of the one-step errors",
            if scale_kind == ResidualScale::Mad { "σ̂ = 1.4826 · MAD(e)" } else { "σ̂ = √(Σe² / n)" },
            format!("{} errors", count(n_res)),
            sigma,
        );
        steps.num(
            "sigma_h",
            &format!("Forecast error scale at h = {}", h),
            "σ(h) = σ̂·√(1 + (h−1)(α² + αβ′h + β′²h(2h−1)/6) + γ′k(2α + γ′ + β′m(k+1)))",
            format!("β′ = αβ = {}, k = ⌊(h − 1)/m⌋ = {}", num(alpha * beta), k_cycles),
            sigma_h,
        );
        if let Some(w) = worst {
            steps
                .text(
                    "compare",
                    &format!("Largest one-step error (step {})", w + 1),
                    &format!("|e| / σ̂ {} k", cmp.symbol()),
                    format!(
                        "|{}| / {} = {} {} {}?",
                        num(sm.resid[w]),
                        num(sigma),
                        num(scores[w].abs()),
                        cmp.symbol(),
                        num(k)
                    ),
                    if flags[w] { "yes: flagged" } else { "no: not flagged" },
                )
                .decisive();
        }
    } else {
        steps.text(
            "sigma",
            "Scale of the one-step errors",
            "σ̂ = √(Σe² / n)",
            format!("{} {}", count(n_res), if n_res == 1 { "error" } else { "errors" }),
            if n_res < 2 { "too few errors for a band (needs 2)" } else { "σ̂ = 0: every prediction was exact" },
        );
    }
    steps.num(
        "promql",
        "Prometheus's double_exponential_smoothing on the same samples (sf = α, tf = β)",
        "last smoothed level, no season",
        if has_des {
            format!("sf = {}, tf = {}", num(alpha), num(beta))
        } else {
            "needs 0 < α, β < 1 and two samples".to_string()
        },
        des_value,
    );

    // ---- Verdict.
    let target_time = tl.ahead(h);
    let fc_text =
        format!("the forecast for {} {} ahead is {}", h, if h == 1 { "step" } else { "steps" }, num(forecast));
    let verdict = if flagged > 0 {
        let first = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} outside the band", super::common::n_points(flagged)),
            format!(
                "Step {} ({}) is {} σ̂ from its prediction {}; {}.",
                first + 1,
                num(y[first]),
                num(scores[first].abs()),
                num(sm.fitted[first]),
                fc_text
            ),
        )
    } else if band {
        let worst_text = worst.map_or(String::new(), |w| {
            format!(
                "The largest one-step error is {} σ̂ (step {}), {} {}; ",
                num(scores[w].abs()),
                w + 1,
                cmp.negated(),
                num(k)
            )
        });
        Verdict::new(Level::Clear, "No observation outside the band", format!("{}{}.", worst_text, fc_text))
    } else if n_res >= 2 {
        Verdict::new(
            Level::Undefined,
            "σ̂ = 0: every one-step prediction was exact",
            format!("The series follows the model exactly, so the band has no width and any deviation would be flagged; {}.", fc_text),
        )
    } else {
        Verdict::new(
            Level::Clear,
            format!("Forecast {} {} ahead: {}", h, if h == 1 { "step" } else { "steps" }, num(forecast)),
            format!(
                "{} one-step {}: too few to estimate σ̂, so there is no band and nothing is flagged.",
                count(n_res),
                if n_res == 1 { "error" } else { "errors" }
            ),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("forecast", format!("forecast ŷ(+{})", h), Val::num_or(forecast, "overflow"), "");
    a.push_value("level", "level ℓ at the last step", Val::num_or(l_n, "overflow"), "");
    a.push_value("trend", "trend b at the last step", Val::num_or(b_n, "overflow"), "");
    a.push_value("season_term", "seasonal term of the forecast", Val::num_or(s_h, "overflow"), "");
    a.push_value(
        "trend_only",
        format!("level + h·trend, no season (h = {})", h),
        Val::num_or(trend_only, "overflow"),
        "",
    );
    a.push_value("trend_one_step", "level + trend (one step ahead, no season)", Val::num_or(trend_one, "overflow"), "");
    a.push_value("level0", "initial level ℓ₀", Val::num_or(init.level, "overflow"), "");
    a.push_value("trend0", "initial trend b₀", Val::num_or(init.trend, "overflow"), "");
    let no_band = if n_res < 2 { "no band: fewer than 2 errors" } else { "no band: σ̂ = 0" };
    a.push_value(
        "sigma",
        "σ̂ of the one-step errors",
        if band { Val::Num(sigma) } else { Val::Undefined(no_band.into()) },
        "",
    );
    a.push_value(
        "sigma_h",
        format!("σ(h) at h = {}", h),
        if band { Val::num_or(sigma_h, "overflow") } else { Val::Undefined(no_band.into()) },
        "",
    );
    a.push_value(
        "forecast_lower",
        "forecast band, lower",
        if band { Val::num_or(forecast - k * sigma_h, "overflow") } else { Val::Undefined(no_band.into()) },
        "",
    );
    a.push_value(
        "forecast_upper",
        "forecast band, upper",
        if band { Val::num_or(forecast + k * sigma_h, "overflow") } else { Val::Undefined(no_band.into()) },
        "",
    );
    a.push_value("errors", "one-step errors", Val::Int(n_res as i64), "");
    let forecastable = model.forecastable();
    a.push_value(
        "forecastable",
        "old observations fade (forecastable)",
        forecastable.map_or(Val::Undefined("not checked for m > 2000".into()), Val::Bool),
        "",
    );
    a.push_value("flagged", "flagged observations", Val::Int(flagged as i64), "");
    a.push_value(
        "promql_des",
        "Prometheus double_exponential_smoothing(sf = α, tf = β)",
        if has_des {
            Val::num_or(des_value, "overflow")
        } else {
            Val::Undefined("needs 0 < α, β < 1 and two samples".into())
        },
        "",
    );

    if forecastable == Some(false) {
        a.note(
            NoteLevel::Caveat,
            format!(
                "With α = {}, β = {}{} this model is not forecastable (Hyndman et al. 2008): the weight of old observations and of the initial states grows instead of dying out, so over a long series the one-step errors drift. A smaller α or β brings it back.",
                num(alpha),
                num(beta),
                if seasonal { format!(", γ = {} and m = {}", num(gamma), m) } else { String::new() }
            ),
        );
    }
    for (level, text) in notes {
        a.note(level, text);
    }
    if seasonal && h > m {
        a.note(NoteLevel::Info, format!("h = {} is beyond one period (m = {}): the forecast reuses the last estimated seasonal state of that phase, s(n + h − m·{}).", h, m, k_cycles + 1));
    }
    if n < 2 * m && seasonal && init_kind != Init::Given {
        a.note(NoteLevel::Caveat, format!("The series is shorter than two periods ({} < {}): most seasonal states have been updated at most once, so the season is mostly the initial one.", n, 2 * m));
    }
    if band && scale_kind == ResidualScale::Rms && flagged > 0 {
        a.note(NoteLevel::Info, "The flagged errors are part of σ̂ (RMS), so a large anomaly widens its own band; the MAD scale is barely moved by it.");
    }
    if series.gaps() > 0 {
        a.note(
            NoteLevel::Info,
            format!(
                "{} missing step(s): the states advance by their own prediction there, and the gap is not scored.",
                count(series.gaps())
            ),
        );
    }
    if let Some(note) = tl.irregular_note() {
        a.note(NoteLevel::Info, note);
    }
    a.note(NoteLevel::Info, "The band assumes independent, normal one-step errors with a constant σ (ETS(A,A,A)); σ̂ is estimated from this series, which the band does not account for.");

    // ---- Tables.
    let mut table = Table::new(
        "states",
        "States at each step",
        &["#", tl.label, "y", "ŷ (one step)", "e = y − ŷ", "ℓ", "b", "s", "flagged"],
    );
    table.fill(
        n,
        |i| flags.get(i).copied().unwrap_or(false),
        |i| {
            vec![
                (i + 1).to_string(),
                num(tl.x[i]),
                if y[i].is_nan() { "missing".into() } else { num(y[i]) },
                num(sm.fitted[i]),
                cell(sm.resid[i]),
                num(sm.level[i]),
                num(sm.trend[i]),
                if seasonal { num(sm.season[i + m]) } else { String::new() },
                if flags[i] { "yes".into() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);
    let path = h.max(if seasonal { m } else { 1 }).min(20_000);
    let fx: Vec<f64> = (1..=path).map(|j| tl.ahead(j)).collect();
    let fy: Vec<f64> = (1..=path).map(|j| model.forecast(&sm, &init, j)).collect();
    let fsd: Vec<f64> =
        (1..=path).map(|j| if band { sigma * model.variance_factor(j).sqrt() } else { f64::NAN }).collect();
    let mut ftable = Table::new("forecast", "Forecast", &["h", tl.label, "ŷ", "lower", "upper"]);
    ftable.fill(
        path,
        |j| j + 1 == h,
        |j| vec![(j + 1).to_string(), num(fx[j]), num(fy[j]), cell(fy[j] - k * fsd[j]), cell(fy[j] + k * fsd[j])],
    );
    a.tables.push(ftable);

    // ---- Plot: data with the one-step band and the forecast; level; season.
    let xcol: crate::plot::Column = tl.x.clone().into();
    let mut main = Panel::new("", Axis::linear(tl.label), Axis::linear("value"));
    if band {
        let lo: Vec<f64> = sm.fitted.iter().map(|f| f - k * sigma).collect();
        let hi: Vec<f64> = sm.fitted.iter().map(|f| f + k * sigma).collect();
        main.push(band_layer(&tl.x, &lo, &hi, format!("prediction ± {}σ", num(k))));
        let lo: Vec<f64> = fy.iter().zip(&fsd).map(|(f, s)| f - k * s).collect();
        let hi: Vec<f64> = fy.iter().zip(&fsd).map(|(f, s)| f + k * s).collect();
        main.push(Layer::band(fx.clone(), lo, hi, ""));
    }
    if n > 0 {
        main.push(Layer::line(xcol.clone(), sm.fitted.clone(), Role::Model, "one-step prediction"));
        for l in error_segments(&tl.x, &sm.fitted, y, "one-step error").unwrap_or_default() {
            main.push(l);
        }
    }
    if let Some(d) = &des {
        let dx: Vec<f64> = d.index.iter().map(|&i| tl.x[i]).collect();
        main.push(Layer::line(dx, d.level.clone(), Role::Alternative, "PromQL double_exponential_smoothing"));
    }
    // The forecast path, joined to the last observation.
    let mut jx = Vec::with_capacity(fx.len() + 1);
    let mut jy = Vec::with_capacity(fx.len() + 1);
    if let Some(last) = (0..n).rev().find(|&i| y[i].is_finite()).filter(|&i| i + 1 == n) {
        jx.push(tl.x[last]);
        jy.push(y[last]);
    }
    jx.extend_from_slice(&fx);
    jy.extend_from_slice(&fy);
    main.push(Layer::line(jx, jy, Role::Highlight, format!("forecast (h = {})", h)));
    main.push(Layer::text(target_time, forecast, format!("ŷ(+{}) = {}", h, num(forecast))));
    let (points, layers) = observed_points(&tl.x, y, &scores, &flags, "e / σ̂");
    for l in layers {
        main.push(l);
    }
    main.weight = 2.2;
    let x0 = tl.before_first();
    let mut level_panel =
        Panel::new("level ℓ (and the forecast's level + h·trend)", Axis::linear(tl.label), Axis::linear("level ℓ"));
    // The initial level joins the first one by a segment, so the columns are shared.
    if let (Some(&x1), Some(&l1)) = (tl.x.first(), sm.level.first()) {
        level_panel.push(Layer::segment(x0, init.level, x1, l1, Role::Model, ""));
    }
    level_panel.push(Layer::line(xcol.clone(), sm.level.clone(), Role::Model, ""));
    level_panel.push(Layer::line(
        fx.clone(),
        (1..=path).map(|j| l_n + j as f64 * b_n).collect::<Vec<_>>(),
        Role::Highlight,
        "",
    ));
    let mut panels = vec![main, level_panel];
    if seasonal {
        // The seasonal state in force at each step: the initial ones, then the updates.
        let mut sx: Vec<f64> = (0..m).map(|j| x0 - (m - 1 - j) as f64 * tl.dx).collect();
        sx.extend_from_slice(&tl.x);
        let sy: Vec<f64> = sm.season.clone();
        let mut season_panel = Panel::new("seasonal state s", Axis::linear(tl.label), Axis::linear("season s"));
        season_panel.push(Layer::hline(0.0, Role::Center, ""));
        season_panel.push(Layer::line(sx, sy, Role::Model, ""));
        season_panel.push(Layer::line(
            fx,
            (1..=path).map(|j| model.season_term(&sm, j)).collect::<Vec<_>>(),
            Role::Highlight,
            "",
        ));
        panels.push(season_panel);
    }
    a.plot = Plot::stacked(panels);
    a.points = Some(points);
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, Params};

    fn run_guide(series: &str, extra: Params) -> Analysis {
        let mut input = Input::new();
        input.extend(crate::parse_field(&METHOD.spec.fields[0], series).unwrap());
        let mut season = vec![0.0; 24];
        season[3] = 500.0;
        input.insert("season.value", season);
        analyze("holt-winters", input, &extra).unwrap()
    }

    #[test]
    fn the_guide_forecast() {
        let a = run_guide("1000", Params::new());
        assert_eq!(a.number("level"), Some(1000.0));
        assert_eq!(a.number("trend"), Some(10.0));
        assert_eq!(a.number("forecast"), Some(1530.0));
        assert_eq!(a.number("trend_only"), Some(1030.0));
        assert_eq!(a.number("trend_one_step"), Some(1010.0));
    }

    #[test]
    fn a_surprise_moves_the_states_by_alpha() {
        let a = run_guide("1100", Params::new().with("alpha", 0.2));
        // ℓ = 0.2 × 1100 + 0.8 × 1000 = 1020.
        assert!((a.number("level").unwrap() - 1020.0).abs() < 1e-9);
    }

    #[test]
    fn forecasts_beyond_one_period_reuse_the_newest_season() {
        let model = Model { alpha: 0.3, beta: 0.1, gamma: 0.2, m: 4, seasonal: true, update: Update::Hyndman };
        let init = States { level: 18.0, trend: 0.5, season: vec![-8.0, 2.0, 12.0, -5.0] };
        let y = [10.0, 20.0, 30.0, 15.0, 12.0, 22.0];
        let sm = model.smooth(&y, &init);
        // h = m uses the state updated at the last observation of that phase.
        assert_eq!(model.season_term(&sm, 4), sm.season[6 + 3]);
        assert_eq!(model.season_term(&sm, 8), model.season_term(&sm, 4));
    }

    #[test]
    fn forecastability_matches_the_spectral_radius() {
        // Spectral radii of the discount matrix computed with numpy: 1.0000517 (not
        // forecastable), 0.9996414 and 0.9990084 (forecastable).
        let model = |alpha, beta, gamma| Model { alpha, beta, gamma, m: 24, seasonal: true, update: Update::Hyndman };
        assert_eq!(model(0.5, 0.1, 0.1).forecastable(), Some(false));
        assert_eq!(model(0.5, 0.05, 0.1).forecastable(), Some(true));
        assert_eq!(model(0.3, 0.1, 0.1).forecastable(), Some(true));
        let holt = Model { alpha: 0.5, beta: 0.1, gamma: 0.0, m: 1, seasonal: false, update: Update::Hyndman };
        assert_eq!(holt.forecastable(), Some(true));
    }

    fn series(values: Vec<f64>) -> Input {
        Input::new().with("series.value", values)
    }

    #[test]
    fn estimated_starts_need_two_clean_periods() {
        // Shorter than two periods.
        let e = analyze("holt-winters", series(vec![1.0; 30]), &Params::new().with("init", "simple")).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("init"));
        assert!(e.message.contains("at least 48"), "{}", e.message);
        let e = analyze("holt-winters", series(vec![1.0; 30]), &Params::new().with("init", "heuristic")).unwrap_err();
        assert!(e.message.contains("heuristic"), "{}", e.message);
        // A gap inside the span the start uses.
        let mut y: Vec<f64> = (0..60).map(|i| (i % 24) as f64).collect();
        y[5] = f64::NAN;
        let e = analyze("holt-winters", series(y), &Params::new().with("init", "simple")).unwrap_err();
        assert!(e.message.contains("row 6 is missing"), "{}", e.message);
        // With given states a single observation (and a gap) is enough.
        let a = analyze("holt-winters", series(vec![f64::NAN]), &Params::new()).unwrap();
        assert_eq!(a.number("forecast"), Some(990.0 + 4.0 * 10.0));
    }

    #[test]
    fn a_constant_series_has_no_band() {
        let a =
            analyze("holt-winters", series(vec![7.0; 12]), &Params::new().with("period", 3.0).with("init", "simple"))
                .unwrap();
        assert_eq!(a.verdict.level, Level::Undefined);
        assert_eq!(a.number("forecast"), Some(7.0));
        assert!(matches!(a.value("sigma"), Some(Val::Undefined(_))));
    }

    #[test]
    fn a_season_of_the_wrong_length_is_refused() {
        let input = series(vec![1.0, 2.0]).with("season.value", vec![0.0; 5]);
        let e = analyze("holt-winters", input, &Params::new()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("season"));
    }

    #[test]
    fn period_one_is_explained() {
        let mut input = Input::new();
        input.insert("series.value", vec![1.0, 2.0, 3.0]);
        let e = analyze("holt-winters", input, &Params::new().with("period", 1.0)).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("period"));
        assert!(e.message.contains("no season"), "{}", e.message);
    }
}
