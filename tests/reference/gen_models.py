#!/usr/bin/env python3
"""Reference values for the forecasting models of the alertmath core, computed
independently in Python: Holt-Winters, Prometheus's double_exponential_smoothing,
ARIMA and GARCH(1,1).

Run from the repository root:

    python3 tests/reference/gen_models.py

It writes, next to this script:

    tests/reference/holt-winters.json
    tests/reference/double-exponential-smoothing.json
    tests/reference/arima.json
    tests/reference/garch.json

in the format of generate.py ({"method", "generated_by", "versions", "cases"}; each
case has "name", "reference", "input", "params" (every parameter of the method),
"values", optional "flags"/"scores" over the observed samples, and "tolerance").

Where the numbers come from
---------------------------
* Deterministic recursions with fixed parameters and fixed initial states are
  computed in exact rational arithmetic (fractions.Fraction; decimal parameters as
  typed, data as their binary values) and rounded once, then compared with the
  libraries: statsmodels ExponentialSmoothing and ETSModel (Holt-Winters, including
  ETSModel's analytic prediction intervals), statsmodels ARIMA.filter (the exact
  Kalman start), statsmodels yule_walker, and arch's GARCH recursion and
  log-likelihood.
* Published worked examples: the guide's numbers (section 11, 13, 14) and the
  Prometheus test file promql/promqltest/testdata/functions.test (the
  double_exponential_smoothing cases), and InfluxData Flux's test of its
  PromQL-compatible holtWinters (stdlib/testing/promql/holtWinters_test.flux).
* Fitted parameters: AR(p) by statsmodels' yule_walker ("adjusted" and "mle");
  ARMA by conditional least squares with scipy.optimize.least_squares on our own
  residual function (statsmodels has no CSS estimator any more); GARCH(1,1) by
  arch_model(...).fit(). Fitted values carry looser, stated tolerances: optimisers
  stop at slightly different points, and the log-likelihood is compared as well.

Not ported from the Rust code: every recursion here is written from the model
equations in the docstrings, with Prometheus's order of updates read from
promql/functions.go.

Findings printed at the end are worth reading (e.g. a statsmodels ExponentialSmoothing
forecast bug at h = m).
"""

from __future__ import annotations

import json
import math
import platform
import warnings
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import statsmodels
import arch
from scipy import optimize

warnings.simplefilter("ignore")

HERE = Path(__file__).resolve().parent
GENERATED_BY = "tests/reference/gen_models.py"
VERSIONS = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__, "arch": arch.__version__, "pandas": pd.__version__}
REPORT: list[str] = []
Z95 = 1.959963984540054  # Phi^-1(0.975): ETSModel's 95% interval in units of sigma(h)


# ---------------------------------------------------------------- helpers
def q(x) -> F:
    """Exact value of a double (data)."""
    return F(x) if isinstance(x, int) else F(float(x))


def dec(x) -> F:
    """Exact value of a parameter as typed in decimal."""
    return F(repr(x)) if isinstance(x, float) else F(x)


def out(x):
    if x is None:
        return None
    if isinstance(x, F):
        return float(x)
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return int(x)
    return float(x)


def series_out(xs):
    return [None if (isinstance(x, float) and math.isnan(x)) else out(x) for x in xs]


def close(a, b, rel=1e-10, abs_=1e-10):
    return abs(float(a) - float(b)) <= max(rel * max(abs(float(a)), abs(float(b))), abs_)


def case(name, reference, inp, params, values, flags=None, scores=None, tolerance=1e-12):
    c = {"name": name, "reference": reference, "input": inp, "params": params,
         "values": {k: out(v) if not isinstance(v, bool) else v for k, v in values.items()},
         "tolerance": tolerance}
    if flags is not None:
        c["flags"] = [bool(b) for b in flags]
    if scores is not None:
        c["scores"] = [None if s is None else float(s) for s in scores]
    return c


def write(method, cases):
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names), f"duplicate names in {method}"
    doc = {"method": method, "generated_by": GENERATED_BY, "versions": VERSIONS, "cases": cases}
    text = json.dumps(doc, indent=1, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"
    assert len(text.encode()) < 300_000, f"{method}.json is too large"
    (HERE / f"{method}.json").write_text(text, encoding="utf-8")


def rng_series(seed, n, f):
    rng = np.random.default_rng(seed)
    return [round(float(f(i, rng)), 3) for i in range(n)]


def rms_exact(errs):
    """sqrt(sum e^2 / n) of exact errors, rounded once."""
    n = len(errs)
    s = sum(e * e for e in errs) / n
    from decimal import Decimal, getcontext
    getcontext().prec = 50
    return float((Decimal(s.numerator) / Decimal(s.denominator)).sqrt())


# ================================================================ Holt-Winters
HW_DEFAULTS = {"alpha": 0.3, "beta": 0.1, "gamma": 0.2, "period": 24, "horizon": 3, "init": "given",
               "level0": 990.0, "trend0": 10.0, "seasonal": "additive", "seasonal_update": "hyndman",
               "k": 3.0, "sigma": "rms", "compare": "gt"}


def hw_exact(y, alpha, beta, gamma, l0, b0, s0, m, seasonal=True, winters=False):
    """Additive Holt-Winters in the component form of Hyndman & Athanasopoulos, exact.

    yhat_t = l_{t-1} + b_{t-1} + s_{t-m}
    l_t = a (y_t - s_{t-m}) + (1-a)(l_{t-1} + b_{t-1})
    b_t = b (l_t - l_{t-1}) + (1-b) b_{t-1}
    s_t = g (y_t - l_{t-1} - b_{t-1}) + (1-g) s_{t-m}      (Winters: g (y_t - l_t) + ...)
    A missing y (None) advances l by b and keeps b and s.
    """
    a, bb, g = dec(alpha), dec(beta), dec(gamma)
    l, b = q(l0), q(b0)
    hist = [q(v) for v in s0] if seasonal else [F(0)] * m  # s_{1-m} ... s_0, then s_1, ...
    fitted, errs, levels, trends = [], [], [], []
    for t, yt in enumerate(y):
        s_old = hist[t]
        f_ = l + b + s_old
        fitted.append(f_)
        if yt is None:
            errs.append(None)
            l, b = l + b, b
            hist.append(s_old)
        else:
            yv = q(yt)
            errs.append(yv - f_)
            ln = a * (yv - s_old) + (1 - a) * (l + b)
            bn = bb * (ln - l) + (1 - bb) * b
            if not seasonal:
                sn = F(0)
            elif winters:
                sn = g * (yv - ln) + (1 - g) * s_old
            else:
                sn = g * (yv - l - b) + (1 - g) * s_old
            l, b = ln, bn
            hist.append(sn)
        levels.append(l)
        trends.append(b)
    n = len(y)

    def forecast(h):
        k = (h - 1) // m
        return l + h * b + hist[n + h - m * (k + 1) + m - 1]

    return fitted, errs, levels, trends, hist, forecast


def hw_var_factor(alpha, beta, gamma, m, h, seasonal, winters):
    """sigma^2(h)/sigma^2 for ETS(A,A,A) (Hyndman & Athanasopoulos), with the
    component-form smoothing translated: beta_ETS = alpha*beta, gamma_ETS = gamma
    (Winters form: (1 - alpha) * gamma)."""
    a, b = alpha, alpha * beta
    g = (gamma if not winters else (1 - alpha) * gamma) if seasonal else 0.0
    k = (h - 1) // m if seasonal else 0
    mm = m if seasonal else 1
    return 1 + (h - 1) * (a * a + a * b * h + b * b * h * (2 * h - 1) / 6) + g * k * (2 * a + g + b * mm * (k + 1))


def hw_spectral_radius(alpha, beta, gamma, m, seasonal, winters):
    """Largest |eigenvalue| of the discount matrix D = F - g w' of the error-correction
    form (Hyndman et al. 2008, ch. 10), leaving out the eigenvalue 1 that the redundant
    seasonal state always contributes; the model is forecastable when it is below 1."""
    if not seasonal:
        F = np.array([[1.0, 1.0], [0.0, 1.0]])
        w = np.array([1.0, 1.0])
        g = np.array([alpha, alpha * beta])
        return max(abs(np.linalg.eigvals(F - np.outer(g, w))))
    k = 2 + m
    F = np.zeros((k, k))
    F[0, 0] = F[0, 1] = F[1, 1] = 1.0
    F[2, k - 1] = 1.0
    for i in range(3, k):
        F[i, i - 1] = 1.0
    w = np.zeros(k)
    w[0] = w[1] = w[k - 1] = 1.0
    g = np.zeros(k)
    g[0], g[1], g[2] = alpha, alpha * beta, (1 - alpha) * gamma if winters else gamma
    ev = np.linalg.eigvals(F - np.outer(g, w))
    ev = sorted(ev, key=lambda z: abs(z - 1))[1:]  # drop the structural unit root
    return max(abs(e) for e in ev)


def hw_case(name, reference, y, params, season=None, check=None, tol=1e-12, timestamps=None):
    p = dict(HW_DEFAULTS, **params)
    m = p["period"] if p["seasonal"] == "additive" else 1
    seasonal = p["seasonal"] == "additive"
    winters = p["seasonal_update"] == "winters"
    if p["init"] == "given":
        l0, b0 = p["level0"], p["trend0"]
        s0 = season if season is not None else [0.0] * m
    elif p["init"] == "simple":
        l0, b0, s0 = hw_init_simple(y, m, seasonal)
    else:
        l0, b0, s0 = hw_init_heuristic(y, m, seasonal)
    fitted, errs, levels, trends, hist, forecast = hw_exact(y, p["alpha"], p["beta"], p["gamma"], l0, b0, s0, m,
                                                           seasonal, winters)
    h = p["horizon"]
    fc = forecast(h)
    obs_err = [e for e in errs if e is not None]
    values = {"forecast": fc, "level": levels[-1], "trend": trends[-1],
              "trend_only": levels[-1] + h * trends[-1], "trend_one_step": levels[-1] + trends[-1],
              "season_term": fc - levels[-1] - h * trends[-1], "errors": len(obs_err)}
    flags = scores = None
    if len(obs_err) >= 2 and any(e != 0 for e in obs_err):
        assert p["sigma"] == "rms"
        sigma = rms_exact(obs_err)
        vf = hw_var_factor(p["alpha"], p["beta"], p["gamma"], m, h, seasonal, winters)
        sh = sigma * math.sqrt(vf)
        values.update({"sigma": sigma, "sigma_h": sh, "forecast_lower": float(fc) - p["k"] * sh,
                       "forecast_upper": float(fc) + p["k"] * sh})
        scores = [float(e) / sigma for e in obs_err]
        flags = [abs(s) > p["k"] if p["compare"] == "gt" else abs(s) >= p["k"] for s in scores]
        values["flagged"] = sum(flags)
    elif len(obs_err) >= 2:
        values.update({"sigma": None, "flagged": 0})
    rho = hw_spectral_radius(p["alpha"], p["beta"], p["gamma"], m, seasonal, winters)
    if abs(rho - 1) > 1e-7:
        values["forecastable"] = bool(rho < 1)
    if check:
        check(fitted, errs, levels, trends, hist, forecast, values)
    inp = {"series": series_out(y)}
    if timestamps is not None:
        inp["series.t"] = timestamps
    if season is not None:
        inp["season"] = [out(v) for v in season]
    return case(name, reference, inp, p, values, flags=flags, scores=scores, tolerance=tol)


def hw_init_simple(y, m, seasonal):
    """Hyndman & Athanasopoulos' simple start (as statsmodels' _initialization_simple)."""
    if not seasonal:
        return y[0], q(y[1]) - q(y[0]), []
    first = [q(v) for v in y[:m]]
    second = [q(v) for v in y[m:2 * m]]
    l0 = sum(first) / m
    b0 = sum((b - a) / m for a, b in zip(first, second)) / m
    return l0, b0, [v - l0 for v in first]


def hw_init_heuristic(y, m, seasonal):
    """statsmodels' heuristic start, called directly (Hyndman et al. 2008, 2.6.1)."""
    from statsmodels.tsa.exponential_smoothing.initialization import _initialization_heuristic
    lvl, trend, seas = _initialization_heuristic(np.asarray(y, dtype=float), "add",
                                                 "add" if seasonal else None, m if seasonal else None)
    return float(lvl), float(trend), ([float(s) for s in seas] if seasonal else [])


def ets_check(y, p, l0, b0, s0, m, seasonal):
    """statsmodels ETSModel with known states: fitted values, forecasts (h beyond m) and the
    analytic 95% prediction interval, against the exact recursion."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    def check(fitted, errs, levels, trends, hist, forecast, values):
        mod = ETSModel(pd.Series(y), error="add", trend="add", seasonal="add" if seasonal else None,
                       seasonal_periods=m if seasonal else None, initialization_method="known",
                       initial_level=float(l0), initial_trend=float(b0),
                       initial_seasonal=[float(v) for v in s0] if seasonal else None)
        pars = [p["alpha"], p["alpha"] * p["beta"]] + ([p["gamma"]] if seasonal else [])
        r = mod.smooth(pars)
        assert all(close(a, b, 1e-9) for a, b in zip(r.fittedvalues, fitted)), "ETSModel fitted values"
        H = p["horizon"]
        fc = r.forecast(max(H, 2 * m))
        assert all(close(fc.iloc[h - 1], forecast(h), 1e-9) for h in range(1, max(H, 2 * m) + 1)), "ETSModel forecasts"
        if "sigma" in values and values["sigma"] is not None:
            n = len(y)
            pr = r.get_prediction(start=n, end=n + H - 1).summary_frame(alpha=0.05)
            half = (pr["pi_upper"].iloc[-1] - pr["pi_lower"].iloc[-1]) / 2
            assert close(half, Z95 * values["sigma_h"], 1e-8), (half, Z95 * values["sigma_h"])

    return check


def holt_winters_cases():
    cases = []
    season24 = [0.0] * 24
    season24[3] = 500.0
    ref_guide = ("The guide, section 13: level 1000, trend 10, season +500 at 8 PM, h = 3 -> 1530; a linear trend "
                 "at h = 3 gives 1030 (1010 is h = 1). Initial states one hour earlier (990, 10) and the 5 PM reading "
                 "1000 (no error). Exact rational recursion; statsmodels ExponentialSmoothing with known states gives "
                 "1530.0 on the errata's 48-point series.")
    cases.append(hw_case("guide: level 1000, trend 10, season 500, h = 3", ref_guide, [1000.0], {}, season=season24))
    # statsmodels' own check of the guide's numbers on a noise-free series (errata 21).
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    t = np.arange(48)
    seas = np.zeros(24)
    seas[(47 + 3) % 24] = 500.0
    lev0 = 1000.0 - 10.0 * 47
    ys = lev0 + 10.0 * t + seas[t % 24]
    es = ExponentialSmoothing(ys, trend="add", seasonal="add", seasonal_periods=24, initialization_method="known",
                              initial_level=lev0 - 10.0, initial_trend=10.0, initial_seasonal=seas)
    fc_es = float(es.fit(smoothing_level=0.3, smoothing_trend=0.1, smoothing_seasonal=0.2,
                         optimized=False).forecast(3)[-1])
    assert fc_es == 1530.0
    cases.append(hw_case(
        "guide on a noise-free 48-hour series (statsmodels check)",
        "errata 21: statsmodels ExponentialSmoothing(trend='add', seasonal='add', m=24, initialization_method='known') "
        f"on a noise-free series ending at level 1000, trend 10, +500 at the target hour returns {fc_es} at h = 3.",
        [float(v) for v in ys], {"alpha": 0.3, "beta": 0.1, "gamma": 0.2, "level0": lev0 - 10.0, "trend0": 10.0},
        season=[float(v) for v in seas]))
    cases[-1]["values"]["forecast"] = fc_es
    cases.append(hw_case("guide: the 5 PM reading is 1100, alpha 0.2", ref_guide + " The reading changed to 1100.",
                         [1100.0], {"alpha": 0.2, "beta": 0.3, "gamma": 0.4}, season=season24))
    cases.append(hw_case("guide: the 5 PM reading is 1100, default smoothing", ref_guide + " The reading changed to 1100: "
                         "level 0.3*1100 + 0.7*1000 = 1030, trend 0.1*40 + 0.9*10 = 13, forecast 1030 + 39 + 500.",
                         [1100.0], {}, season=season24))

    # A noisy quarterly-like series (m = 4) with known states: statsmodels ETSModel.
    y4 = rng_series(4, 40, lambda i, r: 20 + 0.4 * i + [-8, 2, 12, -5][i % 4] + r.normal(0, 1.5))
    y4[29] += 9.0
    s4 = [-8.0, 2.0, 12.0, -5.0]
    for (a, b, g, h) in [(0.3, 0.1, 0.2, 8), (0.7, 0.3, 0.05, 5), (0.05, 0.05, 0.5, 4), (1.0, 0.0, 1.0, 9)]:
        p = {"alpha": a, "beta": b, "gamma": g, "period": 4, "horizon": h, "level0": 18.0, "trend0": 0.5, "k": Z95}
        pp = dict(HW_DEFAULTS, **p)
        cases.append(hw_case(
            f"m = 4, known states, alpha {a} beta {b} gamma {g}, h = {h}",
            "Exact rational recursion; statsmodels ETSModel(error='add', trend='add', seasonal='add', "
            "initialization_method='known').smooth([alpha, alpha*beta, gamma]) gives the same fitted values and "
            "forecasts to 1e-9, and its analytic 95% prediction interval equals forecast +/- 1.959964*sigma(h) "
            "(Hyndman & Athanasopoulos' variance, sigma^2 = SSE/n).",
            y4, p, season=s4, check=ets_check(y4, pp, 18.0, 0.5, s4, 4, True) if a < 1 else None, tol=1e-10))
        if a == 1:
            cases[-1]["reference"] = ("Exact rational recursion at the edge alpha = 1, gamma = 1 (the level is the "
                                      "deseasonalised observation); ETSModel returns NaN forecasts there (outside "
                                      "its admissible region), so only the exact values are used.")
    # The Winters seasonal update (R's HoltWinters form).
    cases.append(hw_case(
        "m = 4, Winters seasonal update", "Exact rational recursion of Winters' form s = g(y - l) + (1 - g)s[-m]; "
        "prediction variance with gamma_ETS = (1 - alpha)gamma.",
        y4, {"alpha": 0.4, "beta": 0.2, "gamma": 0.3, "period": 4, "horizon": 6, "level0": 18.0, "trend0": 0.5,
             "seasonal_update": "winters", "k": 2.5}, season=s4, tol=1e-10))
    cases.append(hw_case("guide's PromQL factors with a daily season: not forecastable",
                         "alpha 0.5, beta 0.1, gamma 0.1, m = 24: the discount matrix has spectral radius 1.0000517 "
                         "(numpy.linalg.eigvals; Hyndman et al. 2008's forecastability condition fails). Exact recursion.",
                         [1000.0, 1012.0, 1019.0], {"alpha": 0.5, "beta": 0.1, "gamma": 0.1}, season=season24))
    # Simple and heuristic initialisations.
    y12 = rng_series(12, 84, lambda i, r: 100 + 0.8 * i + 15 * math.sin(2 * math.pi * i / 12) + r.normal(0, 3))
    for init in ["simple", "heuristic"]:
        p = {"alpha": 0.35, "beta": 0.05, "gamma": 0.15, "period": 12, "horizon": 14, "init": init, "k": Z95}
        pp = dict(HW_DEFAULTS, **p)
        l0, b0, s0 = (hw_init_simple if init == "simple" else hw_init_heuristic)(y12, 12, True)
        cases.append(hw_case(
            f"m = 12, {init} initial states",
            f"Initial states from statsmodels' _initialization_{init} (statsmodels.tsa.exponential_smoothing."
            "initialization); then the exact recursion, checked against ETSModel with those states.",
            y12, p, check=ets_check(y12, pp, l0, b0, s0, 12, True), tol=1e-9))
        values = cases[-1]["values"]
        values["level0"], values["trend0"] = float(l0), float(b0)
    # Odd period, heuristic (the moving average without the 2x step; the padded cycle).
    y5 = rng_series(5, 14, lambda i, r: 50 + [5, -3, 0, 4, -6][i % 5] + r.normal(0, 1))
    p = {"alpha": 0.5, "beta": 0.2, "gamma": 0.3, "period": 5, "horizon": 5, "init": "heuristic"}
    l0, b0, s0 = hw_init_heuristic(y5, 5, True)
    cases.append(hw_case("m = 5 (odd), heuristic with 14 observations",
                         "statsmodels' _initialization_heuristic (k_cycles = 3 > n/m: the last cycle is padded), "
                         "then the exact recursion checked with ETSModel.", y5, p,
                         check=ets_check(y5, dict(HW_DEFAULTS, **p), l0, b0, s0, 5, True), tol=1e-9))
    cases[-1]["values"]["level0"], cases[-1]["values"]["trend0"] = float(l0), float(b0)
    # No season: Holt's linear trend (ETS(A,A,N)).
    yl = rng_series(7, 30, lambda i, r: 10 + 2 * i + r.normal(0, 2))
    for init in ["given", "simple", "heuristic"]:
        p = {"alpha": 0.6, "beta": 0.2, "seasonal": "none", "horizon": 4, "init": init, "level0": 9.0,
             "trend0": 1.5, "k": Z95}
        pp = dict(HW_DEFAULTS, **p)
        l0, b0, _ = ((9.0, 1.5, []) if init == "given" else
                     (hw_init_simple if init == "simple" else hw_init_heuristic)(yl, 1, False))
        cases.append(hw_case(f"no season (Holt), {init} start",
                             "Exact recursion; ETSModel(error='add', trend='add', seasonal=None) with the same "
                             "initial states gives the same fit, forecasts and 95% interval.", yl, p,
                             check=ets_check(yl, pp, l0, b0, [], 1, False), tol=1e-9))
    # Gaps, timestamps, a flagged anomaly, the guide's compare switch.
    yg = list(y4)
    yg[6] = float("nan")
    yg[17] = float("nan")
    cases.append(hw_case("gaps advance the states by their prediction",
                         "Exact recursion; a missing observation sets l = l + b, keeps b and s (the state-space "
                         "treatment of a missing value; statsmodels does not accept NaN).",
                         [None if (isinstance(v, float) and math.isnan(v)) else v for v in yg],
                         {"alpha": 0.3, "beta": 0.1, "gamma": 0.2, "period": 4, "horizon": 3, "level0": 18.0,
                          "trend0": 0.5}, season=s4, tol=1e-10,
                         timestamps=[60.0 * i for i in range(len(yg))]))
    cases.append(hw_case("constant series, simple start: sigma = 0",
                         "Every one-step error is exactly 0 (level = the constant, trend 0, season 0).",
                         [7.0] * 12, {"period": 3, "init": "simple", "horizon": 2}))
    REPORT.append("statsmodels ExponentialSmoothing.forecast uses s(n-m) instead of s(n) at h = m (and 2m, ...): "
                  "it overwrites the newest seasonal state before forecasting; ETSModel is correct, and the "
                  "references use ETSModel.")
    check_es_bug()
    return cases


def check_es_bug():
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    y = [10., 20, 30, 15, 12, 22, 33, 16]
    s0 = [-8., 2, 12, -5]
    fit = ExponentialSmoothing(np.array(y), trend="add", seasonal="add", seasonal_periods=4,
                               initialization_method="known", initial_level=18.0, initial_trend=0.5,
                               initial_seasonal=np.array(s0)).fit(smoothing_level=0.3, smoothing_trend=0.1,
                                                                  smoothing_seasonal=0.2, optimized=False)
    _, _, levels, trends, hist, forecast = hw_exact(y, 0.3, 0.1, 0.2, 18.0, 0.5, s0, 4)
    es4 = float(fit.forecast(4)[-1])
    assert not close(es4, forecast(4), 1e-6), "the statsmodels h = m discrepancy is gone: update the report"
    assert close(es4, float(levels[-1] + 4 * trends[-1] + hist[len(y) - 1]), 1e-12)


# ================================================================ Prometheus double_exponential_smoothing
DES_DEFAULTS = {"sf": 0.5, "tf": 0.1, "k": 3.0, "sigma": "rms", "compare": "gt"}


def des_exact(xs, sf, tf):
    """Prometheus promql/functions.go, funcDoubleExponentialSmoothing: s1 = x0, b = x1 - x0;
    for i >= 1: the trend is updated first (except at i = 1) from the two previous smoothed
    values, b = tf (s1 - s0) + (1 - tf) b; then s = sf x_i + (1 - sf)(s1 + b). Returns s1."""
    sf, tf = dec(sf), dec(tf)
    x = [q(v) for v in xs if v is not None]
    s0, s1, b = F(0), x[0], x[1] - x[0]
    levels, preds, trends = [s1], [None], [None]
    for i in range(1, len(x)):
        if i > 1:
            b = tf * (s1 - s0) + (1 - tf) * b
        preds.append(s1 + b)
        s0, s1 = s1, sf * x[i] + (1 - sf) * (s1 + b)
        levels.append(s1)
        trends.append(b)
    return s1, b, levels, preds, x


def promql_load(expr, count):
    """promqltest's load notation 'a+bxN' / 'a-bxN': N+1 values a, a+b, ..., a+N*b."""
    out_ = []
    for part in expr.split():
        start, rest = (part.split("+") if "+" in part[1:] else part.rsplit("-", 1))
        sign = 1 if "+" in part[1:] else -1
        step, n = rest.split("x")
        out_ += [float(start) + sign * float(step) * i for i in range(int(n) + 1)]
    return out_[:count] if count else out_


def des_case(name, reference, xs, params, values=None, tol=1e-12, band=True):
    p = dict(DES_DEFAULTS, **params)
    s1, b, levels, preds, x = des_exact(xs, p["sf"], p["tf"])
    v = {"smoothed": s1, "trend": b, "samples": len(x), "forecast_next": None}
    # Holt's next step (not returned by Prometheus): trend from the last two levels.
    nb = dec(p["tf"]) * (levels[-1] - levels[-2]) + (1 - dec(p["tf"])) * b
    v["forecast_next"] = levels[-1] + nb
    ema = x[0]
    for xi in x[1:]:
        ema = dec(p["sf"]) * xi + (1 - dec(p["sf"])) * ema
    v["ema"] = ema
    scores = flags = None
    errs = [x[i] - preds[i] for i in range(2, len(x))]
    if band and len(errs) >= 2 and any(e != 0 for e in errs):
        sigma = rms_exact(errs)
        v["sigma"] = sigma
        sc = [None, None] + [float(e) / sigma for e in errs]
        flags = [s is not None and abs(s) > p["k"] for s in sc]
        v["flagged"] = sum(flags)
        scores = sc
    if values:
        v.update(values)
    return case(name, reference, {"series": series_out(xs)}, p, v, flags=flags, scores=scores, tolerance=tol)


def des_cases():
    cases = []
    ref = ("Prometheus promql/promqltest/testdata/functions.test, 'Tests for double_exponential_smoothing': "
           "load 10s, eval instant at {t} double_exponential_smoothing(http_requests[1m], 0.01, 0.1) -> {want}. "
           "The [1m] range holds the samples at {t}-50s ... {t}.")
    series = [("positive trends, production 0", "0+10x1000 100+30x1000", 8000, 8000),
              ("positive trends, production 1", "0+20x1000 200+30x1000", 8000, 16000),
              ("positive trends, canary 0", "0+30x1000 300+80x1000", 8000, 24000),
              ("positive trends, canary 1", "0+40x2000", 8000, 32000),
              ("mixed range, production 0", "0+10x1000 100+30x1000", 20010, 30100),
              ("mixed range, production 1", "0+20x1000 200+30x1000", 20010, 30200),
              ("mixed range, canary 0", "0+30x1000 300+80x1000", 20010, 80300),
              ("mixed range, canary 1", "0+40x2000", 20010, 80000),
              ("negative trends, production 0", "8000-10x1000", 8000, 0),
              ("negative trends, production 1", "0-20x1000", 8000, -16000),
              ("negative trends, canary 0", "0+30x1000 300-80x1000", 8000, 24000),
              ("negative trends, canary 1", "0-40x1000 0+40x1000", 8000, -32000)]
    for label, load, t, want in series:
        vals = promql_load(load, 0)
        idx = [i for i in range(len(vals)) if t - 60 < 10 * i <= t]
        window = [vals[i] for i in idx]
        s1 = des_exact(window, 0.01, 0.1)[0]
        assert close(float(s1), want, 1e-12, 1e-9), (label, float(s1), want)
        cases.append(des_case(f"Prometheus functions.test: {label}", ref.format(t=t, want=want), window,
                              {"sf": 0.01, "tf": 0.1}, {"smoothed": want}, tol=1e-12, band=False))
        # Straight lines: every error is 0 after the start.
    flux = "InfluxData Flux stdlib/testing/promql/holtWinters_test.flux (PromQL-compatible holtWinters, sf 0.1, tf 0.2): {}."
    cases.append(des_case("Flux: 1 1 1 100 100 100", flux.format("32.78296"), [1.0, 1, 1, 100, 100, 100],
                          {"sf": 0.1, "tf": 0.2}, {"smoothed": 32.78296}, tol=1e-12))
    cases.append(des_case("Flux: 100 200 300 200 300 400", flux.format("535.7920000000001"),
                          [100.0, 200, 300, 200, 300, 400], {"sf": 0.1, "tf": 0.2},
                          {"smoothed": 535.7920000000001}, tol=1e-12))
    cases.append(des_case("the guide's EMA data, holt_winters(x, 0.5, 0.5)",
                          "The guide, section 12: [10, 10, 10, 90] with 'holt_winters(..., 0.5, 0.5)' as its EMA; "
                          "the EMA (alpha 0.5) is 50 and so is the double exponential smoothing (zero trend until "
                          "the last sample). Exact rational recursion.", [10.0, 10, 10, 90], {"sf": 0.5, "tf": 0.5}))
    cases.append(des_case("one more sample: 10 10 10 90 90", "Exact recursion: DES 80, EMA 70.",
                          [10.0, 10, 10, 90, 90], {"sf": 0.5, "tf": 0.5}))
    noisy = rng_series(21, 60, lambda i, r: 200 + 1.5 * i + r.normal(0, 4))
    noisy[41] += 40
    cases.append(des_case("noisy trend with a spike, sf 0.3 tf 0.2",
                          "Exact rational port of Prometheus's loop; errors from the third sample on; "
                          "sigma = RMS of the errors.", noisy, {"sf": 0.3, "tf": 0.2}, tol=1e-11))
    gappy = list(noisy[:20])
    gappy[3] = None
    gappy[11] = None
    cases.append(des_case("gaps are skipped like absent scrapes", "Exact recursion over the samples that exist.",
                          gappy, {"sf": 0.5, "tf": 0.1}, tol=1e-11))
    return cases


# ================================================================ ARIMA
AR_DEFAULTS = {"phi1": 0.9, "theta1": 0.5, "constant": 0.0, "p": 1, "d": 0, "q": 1, "phi2": 0.0, "phi3": 0.0,
               "estimate": "given", "yw": "adjusted", "residuals": "typed", "eps1": 2.0, "horizon": 1,
               "k": 3.0, "compare": "gt"}


def arma_conditional(y, d, c, phi, theta, start, typed=None, eps1=0.0, horizon=1):
    """The conditional recursion, exact. w is y (d = 0) or its differences; the first p + d
    values start the recursion; then yhat = (y[t-1] if d) + C + sum phi_i w[t-i] + theta eps[t-1].
    eps: typed values ('typed'; the model's own where none is typed), a given first residual then the model's own ('first'), or 0
    before the first prediction then the model's own ('zero'). Missing y: filled by its
    prediction, eps 0."""
    C, ph, th = dec(c), [dec(v) for v in phi], dec(theta)
    p = len(ph)
    n = len(y)
    first = p + d
    yf = [None if v is None else q(v) for v in y]
    eps = [F(0)] * n
    pre = F(0)
    if start == "typed":
        for t in range(min(first, n)):
            eps[t] = q(typed[t]) if typed[t] is not None else F(0)
        pre = eps[first - 1] if first > 0 else F(0)
    elif start == "first":
        if first > 0:
            eps[first - 1] = dec(eps1)
        pre = dec(eps1)

    def w(vals, t):
        return vals[t] - vals[t - 1] if d == 1 else vals[t]

    preds, errs = [None] * n, [None] * n
    for t in range(first, n):
        wh = C + sum(ph[i] * w(yf, t - 1 - i) for i in range(p))
        wh += th * (pre if t == 0 else eps[t - 1])
        yh = (yf[t - 1] if d == 1 else 0) + wh
        preds[t] = yh
        if y[t] is None:
            yf[t] = yh
            eps[t] = F(0)
        else:
            errs[t] = q(y[t]) - yh
            typed_t = typed[t] if typed is not None and t < len(typed) else None
            eps[t] = q(typed_t) if (start == "typed" and typed_t is not None) else errs[t]
    ext, ext_eps, fc = list(yf), list(eps), []
    ar1 = ma1 = None
    for j in range(horizon):
        t = n + j
        ar = sum(ph[i] * w(ext, t - 1 - i) for i in range(p))
        ma = th * (pre if t == 0 else ext_eps[t - 1])
        if j == 0:
            ar1, ma1 = ar, ma
        yh = (ext[t - 1] if d == 1 else 0) + C + ar + ma
        ext.append(yh)
        ext_eps.append(F(0))
        fc.append(yh)
    return preds, errs, fc, ar1, ma1


def psi_var(phi, theta, d, h):
    psi = [1.0]
    for j in range(1, h):
        v = theta if j == 1 else 0.0
        for i, ph in enumerate(phi):
            if j > i:
                v += ph * psi[j - 1 - i]
        psi.append(v)
    if d == 1:
        psi = list(np.cumsum(psi))
    return float(np.sum(np.square(psi)))


def arima_given_case(name, reference, y, params, typed=None, extra=None, tol=1e-12, band=True):
    p = dict(AR_DEFAULTS, **params)
    order = p["p"]
    phi = [p["phi1"], p["phi2"], p["phi3"]][:order]
    theta = p["theta1"] if p["q"] else 0.0
    preds, errs, fc, ar1, ma1 = arma_conditional(y, p["d"], p["constant"], phi, theta, p["residuals"], typed,
                                                 p["eps1"], max(p["horizon"], 12))
    h = p["horizon"]
    v = {"forecast": fc[h - 1], "forecast1": fc[0], "ar_term": ar1 if phi else None, "ma_term": ma1,
         "constant": dec(p["constant"])}
    if not phi:
        del v["ar_term"]
    for i, ph in enumerate(phi):
        v[f"phi.{i + 1}"] = dec(ph)
    if p["q"]:
        v["theta.1"] = dec(theta)
    for t in range(min(len(y), 10)):
        v[f"prediction.{t + 1}"] = preds[t]
        v[f"error.{t + 1}"] = errs[t]
    if p["residuals"] == "typed":
        first = order + p["d"]
        e1 = typed[first - 1] if first > 0 and typed[first - 1] is not None else 0.0
        v["forecast_model_residuals"] = arma_conditional(y, p["d"], p["constant"], phi, theta, "first", typed, e1, 1)[2][0]
    s = sum(dec(x) for x in phi)
    if p["d"] == 0 or True:
        v["mean"] = dec(p["constant"]) / (1 - s) if s != 1 else None
    errs_obs = [e for e in errs if e is not None]
    scores = flags = None
    if band and len(errs_obs) >= 2 and any(e != 0 for e in errs_obs):
        sigma = rms_exact(errs_obs)
        v["sigma"] = sigma
        sd = sigma * math.sqrt(psi_var(phi, theta, p["d"], h))
        v["forecast_lower"] = float(fc[h - 1]) - p["k"] * sd
        v["forecast_upper"] = float(fc[h - 1]) + p["k"] * sd
        scores = [None if e is None else float(e) / sigma for e, yy in zip(errs, y) if yy is not None]
        flags = [s_ is not None and abs(s_) > p["k"] for s_ in scores]
        v["flagged"] = sum(flags)
    if extra:
        v.update(extra)
    inp = {"series": series_out(y)}
    if typed is not None:
        inp["errors"] = series_out(typed)
    return case(name, reference, inp, p, v, flags=flags, scores=scores, tolerance=tol)


def sm_filter(y, d, mu, phi, theta, q_):
    """statsmodels ARIMA.filter with fixed coefficients (unit variance): the exact Kalman
    filter from the stationary start (d = 1: diffuse for the integrated part)."""
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    params = list(phi) + ([theta] if q_ else [])
    if d == 1:
        # The integrated state gets the exact diffuse start (statsmodels' default is an
        # approximate diffuse one, variance 1e6, which moves results by about 1e-7).
        mod = SARIMAX(np.asarray(y, float), order=(len(phi), 1, q_), trend="n", concentrate_scale=True)
        mod.ssm.initialization.set(0, "diffuse")
        return mod.filter(np.array(params))
    trend = "c" if mu != 0 else "n"
    mod = ARIMA(np.asarray(y, float), order=(len(phi), 0, q_), trend=trend, concentrate_scale=True)
    return mod.filter(np.array(([mu] if trend == "c" else []) + params))


def arima_cases():
    cases = []
    guide = ("The guide, section 14: Y = 40, 42, hand-fed errors 2, 1; phi = 0.9, theta = 0.5, C = 0: "
             "0.9*42 + 0.5*1 = 38.3. The same model predicts day 2 as 0.9*40 + 0.5*2 = 37 (not the guide's 41). "
             "Exact rational arithmetic.")
    cases.append(arima_given_case("guide: typed residuals", guide, [40.0, 42.0], {}, typed=[2.0, 1.0]))
    cases.append(arima_given_case("guide: a third day of 50 with no typed residual",
                                  guide + " Day 3 = 50 has no typed residual, so its own error (50 - 38.3) is used; "
                                  "the band needs at least two errors (5 and 11.7).",
                                  [40.0, 42.0, 50.0], {"horizon": 2}, typed=[2.0, 1.0, None]))
    cases.append(arima_given_case("guide: the model's own residuals after the first",
                                  guide + " With eps_2 = 42 - 37 = 5: 37.8 + 2.5 = 40.3 (errata 22).",
                                  [40.0, 42.0], {"residuals": "first"}))
    cases.append(arima_given_case("guide: with a constant C = 4 (mean 40)", guide + " C = 4: 42.3 (errata 22).",
                                  [40.0, 42.0], {"constant": 4.0}, typed=[2.0, 1.0]))
    cases.append(arima_given_case("guide: ARIMA(1,1,1) on the differences",
                                  guide + " d = 1: 42 + 0.9*2 + 0.5*1 = 44.3 (errata 22).",
                                  [40.0, 42.0], {"d": 1}, typed=[2.0, 1.0]))
    # The exact Kalman start: statsmodels (errata 22: 39.52).
    res = sm_filter([40.0, 42.0], 0, 0.0, [0.9], 0.5, 1)
    fc_sm = float(res.forecast(1)[0])
    assert close(fc_sm, 39.5234848485, 1e-10)
    cases.append(case("guide: exact start (statsmodels ARIMA.filter)",
                      "statsmodels ARIMA(order=(1,0,1), trend='n').filter([0.9, 0.5]) on [40, 42]: forecast "
                      f"{fc_sm!r} (errata 22: 39.52).",
                      {"series": [40.0, 42.0]}, dict(AR_DEFAULTS, residuals="exact"),
                      {"forecast": fc_sm, "forecast1": fc_sm}, tolerance=1e-12))
    # A longer ARMA(1,1) series: exact start against statsmodels, with the band.
    rng = np.random.default_rng(31)
    e = rng.normal(0, 2, 400)
    ys = [50.0]
    for t in range(1, 120):
        ys.append(round(20 * 0.4 + 0.6 * ys[-1] + 0.3 * e[t - 1] + e[t], 3))
    ys[77] += 15.0
    for d_, hz in [(0, 5), (1, 3)]:
        res = sm_filter(ys, d_, 20.0 if d_ == 0 else 0.0, [0.6], 0.3, 1)
        f = res.get_forecast(hz)
        mean = float(f.predicted_mean[-1])
        se = float(np.sqrt(f.var_pred_mean[-1]))
        pred = np.asarray(res.fittedvalues)
        resid = np.asarray(res.resid)
        fvar = np.asarray(res.filter_results.forecasts_error_cov[0, 0])
        scale = float(res.scale)
        burn = d_
        z = [(resid[t] / math.sqrt(fvar[t])) for t in range(burn, len(ys))]  # fvar already includes the scale
        scores = ([None] if d_ else []) + z
        cases.append(case(
            f"ARMA(1,1) series, exact start, d = {d_}",
            "statsmodels ARIMA(order=(1,%d,1), concentrate_scale=True).filter(...) (SARIMAX with an exact diffuse "
            "start for the integrated state when d = 1): forecast, its standard error "
            "sqrt(F_h * scale) and the standardised errors v/sqrt(F*scale); scale = mean(v^2/F) (statsmodels reports F*scale) (burn-in 1 when d = 1)."
            % d_,
            {"series": ys},
            dict(AR_DEFAULTS, phi1=0.6, theta1=0.3, constant=(8.0 if d_ == 0 else 0.0), d=d_, residuals="exact",
                 horizon=hz, k=Z95),
            {"forecast": mean, "sigma": math.sqrt(scale), "forecast_lower": mean - Z95 * se,
             "forecast_upper": mean + Z95 * se, "prediction.5": float(pred[4]), "error.5": float(resid[4])},
            scores=scores, flags=[s is not None and abs(s) > Z95 for s in scores], tolerance=1e-8))
    # Conditional recursions with the band: first residual, zero residuals, gaps, MA(1), AR(2).
    cases.append(arima_given_case("ARMA(1,1) series, zero start (CSS residuals)",
                                  "Exact conditional recursion; sigma = RMS of the one-step errors; forecast "
                                  "variance from the psi-weights.", ys,
                                  {"phi1": 0.6, "theta1": 0.3, "constant": 8.0, "residuals": "zero", "horizon": 4},
                                  tol=1e-10))
    gy = list(ys[:40])
    gy[10] = None
    gy[25] = None
    cases.append(arima_given_case("gaps are filled by their predictions",
                                  "Exact conditional recursion; a missing value is replaced by its prediction with "
                                  "error 0 and is not scored.", gy,
                                  {"phi1": 0.6, "theta1": 0.3, "constant": 8.0, "residuals": "first", "eps1": 0.0,
                                   "horizon": 2}, tol=1e-10))
    cases.append(arima_given_case("MA(1) with a given pre-sample residual", "Exact recursion, p = 0.", ys[:30],
                                  {"p": 0, "q": 1, "theta1": -0.4, "constant": 20.0, "residuals": "first",
                                   "eps1": 1.5, "horizon": 3}, tol=1e-10))
    cases.append(arima_given_case("AR(2) on differences", "Exact recursion, p = 2, d = 1.", ys[:50],
                                  {"p": 2, "d": 1, "q": 0, "phi1": 0.5, "phi2": -0.2, "residuals": "zero",
                                   "horizon": 6}, tol=1e-10))
    # Yule-Walker against statsmodels.
    from statsmodels.regression.linear_model import yule_walker
    ar2 = [10.0, 11.0]
    for t in range(2, 300):
        ar2.append(round(5 + 0.5 * ar2[-1] + 0.3 * ar2[-2] + rng.normal(0, 1), 3))
    for order in [1, 2, 3]:
        for method in ["adjusted", "mle"]:
            rho, sigma = yule_walker(np.array(ar2), order=order, method=method, demean=True)
            mean = float(np.mean(ar2))
            c = mean * (1 - float(np.sum(rho)))
            v = {f"phi.{i + 1}": float(r) for i, r in enumerate(rho)}
            v.update({"constant": c, "yw_sigma": float(sigma)})
            fc1 = c + sum(float(rho[i]) * ar2[-1 - i] for i in range(order))
            v["forecast1"] = fc1
            cases.append(case(f"Yule-Walker AR({order}), {method}",
                              f"statsmodels.regression.linear_model.yule_walker(x, order={order}, method='{method}', "
                              "demean=True); C = mean*(1 - sum(phi)); one-step forecast C + sum phi_i y(n+1-i).",
                              {"series": ar2}, dict(AR_DEFAULTS, p=order, q=0, estimate="yule-walker", yw=method,
                                                    residuals="zero"), v, tolerance=1e-10))
    diffs = np.diff(ar2)
    rho, sigma = yule_walker(diffs, order=2, method="mle", demean=True)
    cases.append(case("Yule-Walker AR(2) on differences", "statsmodels yule_walker on np.diff(x), method='mle'.",
                      {"series": ar2}, dict(AR_DEFAULTS, p=2, d=1, q=0, estimate="yule-walker", yw="mle",
                                            residuals="zero"),
                      {"phi.1": float(rho[0]), "phi.2": float(rho[1]), "yw_sigma": float(sigma),
                       "constant": float(np.mean(diffs)) * (1 - float(np.sum(rho)))}, tolerance=1e-10))
    # CSS against scipy least squares on our own residuals.
    for (label, series_, p_, d_, q_) in [("ARMA(1,1)", ys, 1, 0, 1), ("AR(2)", ar2, 2, 0, 0),
                                        ("ARIMA(1,1,1)", ar2[:150], 1, 1, 1), ("MA(1)", ys, 0, 0, 1)]:
        est = css_fit(series_, p_, d_, q_)
        v = {"constant": est[0], "css_sse": est[-1]}
        for i in range(p_):
            v[f"phi.{i + 1}"] = est[1 + i]
        if q_:
            v["theta.1"] = est[1 + p_]
        cases.append(case(f"CSS {label}",
                          "Conditional least squares: scipy.optimize.least_squares(method='lm', xtol=ftol=gtol=1e-15) "
                          "on the one-step errors with the pre-sample residual 0 (the first p + d values condition). "
                          "Tolerance 1e-6: two optimisers.",
                          {"series": series_}, dict(AR_DEFAULTS, p=p_, d=d_, q=q_, estimate="css", residuals="zero"),
                          v, tolerance=1e-6))
    return cases


def css_fit(y, p, d, q_):
    y = np.asarray(y, float)
    w = np.diff(y) if d else y

    def resid(beta):
        c, ph = beta[0], beta[1:1 + p]
        th = beta[1 + p] if q_ else 0.0
        e = np.zeros(len(w))
        for t in range(p, len(w)):
            e[t] = w[t] - c - sum(ph[i] * w[t - 1 - i] for i in range(p)) - th * (e[t - 1] if t > p else 0.0)
        return e[p:]

    x0 = [float(np.mean(w))] + [0.0] * p + ([0.0] if q_ else [])
    r = optimize.least_squares(resid, x0, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=20000)
    sse = float(np.sum(resid(r.x) ** 2))
    return list(map(float, r.x)) + [sse]


# ================================================================ GARCH
G_DEFAULTS = {"omega": 1.0, "alpha": 0.1, "beta": 0.8, "sigma2_1": 5.0, "timing": "guide", "start": "given",
              "estimate": "given", "mean": "zero", "threshold": 3.0, "horizon": 10, "compare": "gt"}


def garch_exact(eps, omega, alpha, beta, s1, timing):
    """sigma2_1 = s1; sigma2_t = w + a*e2 + b*sigma2_{t-1} with e2 = eps_t^2 (guide) or
    eps_{t-1}^2 (standard); exact."""
    w, a, b = dec(omega), dec(alpha), dec(beta)
    s = [s1]
    for t in range(1, len(eps)):
        e = eps[t] if timing == "guide" else eps[t - 1]
        s.append(w + a * e * e + b * s[-1])
    return s


def garch_cases():
    cases = []
    # The guide's days.
    eps = [F(0), F(10), F(0)]
    s = garch_exact(eps, 1.0, 0.1, 0.8, F(5), "guide")
    half = math.log(0.5) / math.log(0.9)
    base = {"long_run_variance": 10.0, "zero_shock_floor": 5.0, "persistence": 0.9, "half_life": half,
            "z_ceiling": 1 / math.sqrt(0.1)}
    cases.append(case("guide: days 1-3, the guide's timing",
                      "The guide, section 11: omega 1, alpha 0.1, beta 0.8, day 1 variance 5, shock eps^2 = 100 on "
                      "day 2: 1 + 10 + 4 = 15; day 3: 1 + 0 + 12 = 13 (errata 20). Long-run variance "
                      "omega/(1-alpha-beta) = 10, floor omega/(1-beta) = 5, half-life ln 0.5/ln 0.9.",
                      {"series": [0.0, 10.0, 0.0]}, G_DEFAULTS,
                      dict(base, **{"sigma2.1": s[0], "sigma2.2": s[1], "sigma2.3": s[2], "sigma2_next": 1 + 0.8 * 13,
                                    "sigma2_max": 15.0, "flagged": 0}), tolerance=1e-12))
    # Standard timing: arch's recursion gives 5, 5, 15, 13.
    from arch.univariate import GARCH
    vol = GARCH(p=1, q=1)
    resids = np.array([0.0, 10.0, 0.0, 0.0])
    sig = np.zeros(4)
    vol.compute_variance(np.array([1.0, 0.1, 0.8]), resids, sig, (5 - 1.0) / 0.9, np.array([[0.0, 1e12]] * 4))
    assert list(sig) == [5.0, 5.0, 15.0, 13.0]
    cases.append(case("guide: standard timing (arch)",
                      "arch.univariate.GARCH(p=1, q=1).compute_variance([1, 0.1, 0.8], resids [0, 10, 0, 0], "
                      "backcast 4/0.9 so that day 1 is 5): sigma2 = 5, 5, 15, 13 (errata 20).",
                      {"series": [0.0, 10.0, 0.0, 0.0]}, dict(G_DEFAULTS, timing="standard"),
                      dict(base, **{f"sigma2.{i + 1}": float(v) for i, v in enumerate(sig)}, sigma2_next=1 + 0.8 * 13),
                      tolerance=1e-12))
    cases[-1]["values"].pop("z_ceiling")
    # A simulated series: the recursion, the backcast start and the log-likelihood against arch.
    from arch import arch_model
    rng = np.random.default_rng(11)
    n = 1500
    w_, a_, b_ = 0.2, 0.12, 0.8
    s2 = w_ / (1 - a_ - b_)
    y = []
    for _ in range(n):
        e = math.sqrt(s2) * rng.standard_normal()
        y.append(round(e, 4))
        s2 = w_ + a_ * e * e + b_ * s2
    y[900] = 9.0
    am = arch_model(np.array(y), mean="Zero", vol="GARCH", p=1, q=1, rescale=False)
    fixed = am.fix([0.25, 0.1, 0.85])
    cv = np.asarray(fixed.conditional_volatility) ** 2
    z = np.array(y) / np.sqrt(cv)
    cases.append(case("simulated, given parameters, arch backcast",
                      "arch_model(y, mean='Zero', vol='GARCH', p=1, q=1).fix([0.25, 0.1, 0.85]): conditional variances, "
                      "log-likelihood and standardised residuals (backcast start, standard timing).",
                      {"series": y}, dict(G_DEFAULTS, omega=0.25, alpha=0.1, beta=0.85, timing="standard",
                                          start="backcast"),
                      {"sigma2.1": float(cv[0]), "sigma2.2": float(cv[1]), "sigma2.10": float(cv[9]),
                       "sigma2_last": float(cv[-1]), "loglik": float(fixed.loglikelihood),
                       "flagged": int(np.sum(np.abs(z) > 3)), "z_max": float(np.max(np.abs(z)))},
                      scores=[float(v) for v in z], flags=list(np.abs(z) > 3), tolerance=1e-10))
    # Maximum likelihood against arch's fit: log-likelihood tightly, parameters more loosely.
    for mean in ["Zero", "Constant"]:
        yy = y if mean == "Zero" else [round(v + 3.0, 4) for v in y]
        res = arch_model(np.array(yy), mean=mean, vol="GARCH", p=1, q=1, rescale=False).fit(disp="off")
        prm = res.params
        params = dict(G_DEFAULTS, timing="standard", start="backcast", estimate="mle", mean=mean.lower())
        vals = {"omega": float(prm["omega"]), "alpha": float(prm["alpha[1]"]), "beta": float(prm["beta[1]"])}
        if mean == "Constant":
            vals["mu"] = float(prm["mu"])
        ll = float(res.loglikelihood)
        cases.append(case(f"MLE, {mean.lower()} mean: log-likelihood",
                          f"arch_model(y, mean='{mean}', vol='GARCH', p=1, q=1, rescale=False).fit(disp='off') "
                          f"(SLSQP): log-likelihood {ll!r}. Ours must reach it to 1e-7 relative (or beat it).",
                          {"series": yy}, params, {"loglik": ll}, tolerance=1e-7))
        cases.append(case(f"MLE, {mean.lower()} mean: parameters",
                          "The same arch fit: omega, alpha, beta (and mu). Two optimisers on a flat likelihood: "
                          "tolerance 2e-3 relative.", {"series": yy}, params, vals, tolerance=2e-3))
        REPORT.append(f"arch {mean} fit: " + ", ".join(f"{k} = {v:.6g}" for k, v in vals.items()) + f", loglik {ll:.8f}")
    # Gaps: the expected squared shock in the recursion.
    yg = list(y[:30])
    yg[5] = None
    yg[6] = None
    e = [None if v is None else q(v) for v in yg]
    s = [F(5)]
    w, a, b = dec(0.25), dec(0.1), dec(0.85)
    for t in range(1, len(e)):
        e2 = s[-1] if e[t - 1] is None else e[t - 1] ** 2
        s.append(w + a * e2 + b * s[-1])
    cases.append(case("gaps enter as their expected squared shock",
                      "Exact recursion (standard timing): a missing shock contributes sigma2(t-1), the expectation of "
                      "its square.", {"series": series_out(yg)},
                      dict(G_DEFAULTS, omega=0.25, alpha=0.1, beta=0.85, timing="standard"),
                      {f"sigma2.{i + 1}": s[i] for i in range(10)} | {"sigma2_last": s[-1]}, tolerance=1e-12))
    return cases


if __name__ == "__main__":
    for method, fn in [("holt-winters", holt_winters_cases), ("double-exponential-smoothing", des_cases),
                       ("arima", arima_cases), ("garch", garch_cases)]:
        cs = fn()
        write(method, cs)
        print(f"{method}: {len(cs)} cases")
    for line in REPORT:
        print("-", line)
