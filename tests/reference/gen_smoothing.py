#!/usr/bin/env python3
"""Reference values for the smoothing methods of the guide's sections 9, 10 and 12:
STL, EWMA (with its control chart) and moving averages, computed independently.

Run from the repository root:

    python3 tests/reference/gen_smoothing.py            # checks the lessons' data, writes the JSON
    python3 tests/reference/gen_smoothing.py --lesson   # prints the lessons' data blocks

It writes, next to this script:

    tests/reference/stl.json
    tests/reference/ewma.json
    tests/reference/moving-average.json

in the format of generate.py (see its docstring): {"method", "generated_by",
"versions", "cases"}, each case with "name", "reference", "input", "params", "values",
optional per-point "flags" and "scores", and a relative "tolerance".

Where the numbers come from
---------------------------
* STL: statsmodels.tsa.seasonal.STL (the Cython port of the published Fortran), on
  statsmodels' co2 data set resampled monthly (the example of statsmodels' own
  documentation) and on the guide's ordering-app series. Gaps are filled by
  numpy.interp before the fit, as the core documents. Period 1 (no seasonal part),
  which statsmodels refuses, is checked against a LOESS written here from Cleveland et
  al.'s definition. The scales, the PromQL stand-in baseline (pandas shift) and the
  z-scores are computed here with numpy.
* EWMA: pandas ewm(adjust=False / adjust=True, ignore_na=True); the control limits from
  Roberts (1959) in closed form and, for the other starting rules, from the explicit
  weights of each EWMA value (variance = sigma^2 * sum of squared weights), computed
  here by brute force. Published examples: NIST/SEMATECH e-Handbook 6.3.2.4 (lambda =
  0.3, target 50, s = 2.0539, UCL 52.5884) and Montgomery's EWMA example (lambda = 0.1,
  L = 2.7, mu = 10, sigma = 1; data as in IMSL's documentation of the example).
* Moving averages: pandas rolling(n, min_periods).mean() and ewm; the fast/slow rule
  decided here; a 1e9 + noise series checked against exact rational sums.

The STL lesson's series follows seed-errata.md section 4: hourly, index 0 = Monday
00:00, y = 1000 + 500*[hour = 9] + N(0, 50^2) from numpy.random.default_rng(0), the value
at Wednesday 09:00 of week 3 (index 393) set to 1050; 4 weeks; rounded to 0.01 for the
lesson's text. Everything is deterministic.

This script must stay independent of the Rust code: do not port formulas or shortcuts
from crates/alertmath-core into it.
"""

from __future__ import annotations

import json
import math
import platform
import sys
import tomllib
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
from statsmodels.datasets import co2
from statsmodels.tsa.seasonal import STL

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GENERATED_BY = "tests/reference/gen_smoothing.py"
VERSIONS = {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__,
            "statsmodels": statsmodels.__version__}
REPORT: list[str] = []


def num_out(x):
    if isinstance(x, (bool, np.bool_)):
        raise TypeError("bool is not a number here")
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    return None if math.isnan(x) else x


def nums(xs):
    return [num_out(x) for x in xs]


def case(name, reference, inp, params, values, flags=None, scores=None, tolerance=1e-12, tolerance_abs=None):
    c = {"name": name, "reference": reference, "input": inp, "params": params, "values": values,
         "tolerance": tolerance}
    if tolerance_abs is not None:
        c["tolerance_abs"] = tolerance_abs
    if flags is not None:
        c["flags"] = [bool(b) for b in flags]
    if scores is not None:
        c["scores"] = nums(scores)
    return c


def write(method: str, cases: list[dict]) -> Path:
    names = [c["name"] for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate case names in {method}: {dup}"
    doc = {"method": method, "generated_by": GENERATED_BY, "versions": VERSIONS, "cases": cases}
    path = HERE / f"{method}.json"
    text = dumps(doc) + "\n"
    json.loads(text)
    path.write_text(text, encoding="utf-8")
    assert len(text.encode("utf-8")) < 600_000, f"{path} is too large"
    return path


def dumps(v, indent: int = 0) -> str:
    """JSON with sorted keys, one key per line, and lists of numbers on one line (the
    series here are long; one number per line would make the files several times larger)."""
    pad = " " * (indent + 1)
    if isinstance(v, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {dumps(v[k], indent + 1)}" for k in sorted(v)]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}" if items else "{}"
    if isinstance(v, list):
        if all(not isinstance(x, (dict, list)) for x in v):
            return "[" + ", ".join(json.dumps(x, allow_nan=False) for x in v) + "]"
        return "[\n" + ",\n".join(pad + dumps(x, indent + 1) for x in v) + "\n" + " " * indent + "]"
    return json.dumps(v, allow_nan=False, ensure_ascii=False)


def series_input(y) -> dict:
    """The series as the core takes it; NaN (a gap) travels as JSON null."""
    return {"series": [None if (isinstance(v, float) and math.isnan(v)) else num_out(v) for v in y]}


# ================================================================ data sets
def co2_monthly() -> np.ndarray:
    """statsmodels' Mauna Loa CO2 (weekly, 1958-2001) as monthly means, gaps carried
    forward: the example in statsmodels' STL documentation (526 months)."""
    d = co2.load().data
    return d.resample("MS").mean().ffill()["co2"].to_numpy(dtype=float)


def lesson_month(rounded: bool = True) -> np.ndarray:
    """seed-errata.md section 4, seed 0, four weeks."""
    n = 4 * 168
    hours = np.arange(n) % 24
    rng = np.random.default_rng(0)
    y = 1000.0 + np.where(hours == 9, 500.0, 0.0) + rng.normal(0, 50, n)
    y[(2 * 7 + 2) * 24 + 9] = 1050.0
    return np.round(y, 2) if rounded else y


TUESDAY_W4 = (3 * 7 + 1) * 24 + 9  # 537: Tuesday 09:00 of week 4
WEDNESDAY_W4 = (3 * 7 + 2) * 24 + 9  # 561
WEDNESDAY_W3 = (2 * 7 + 2) * 24 + 9  # 393


def story_series() -> np.ndarray:
    """The guide's idealised world: no noise, 1000 + 500 at 09:00, four weeks; a normal
    Tuesday reads 1520 and the Wednesday after reads 1050 (week 4, so that the same time
    1, 2 and 3 weeks back exist)."""
    n = 4 * 168
    y = 1000.0 + np.where(np.arange(n) % 24 == 9, 500.0, 0.0)
    y[TUESDAY_W4] = 1520.0
    y[WEDNESDAY_W4] = 1050.0
    return y


def step_series() -> np.ndarray:
    """Four hours of one-minute request rates around 100/s that step up by 30% after
    150 minutes: the moving-average lesson's series (numpy default_rng(5))."""
    rng = np.random.default_rng(5)
    x = np.round(100 + rng.normal(0, 3, 240), 1)
    x[150:] = np.round(x[150:] + 30, 1)
    return x


DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def lesson_text(y: np.ndarray, decimals: int) -> str:
    lines = []
    for d in range(len(y) // 24):
        day = y[d * 24:(d + 1) * 24]
        vals = ", ".join(f"{v:.{decimals}f}" for v in day)
        lines.append(f"{vals}  # week {d // 7 + 1} {DAYS[d % 7]}")
    return "\n".join(lines) + "\n"


# ================================================================ STL
STL_DEFAULTS = {"period": 24, "robust": False, "threshold": 3.0, "scale": "sd", "sigma": 1.0, "seasonal": 7,
                "trend": 0, "low_pass": 0, "seasonal_deg": "1", "trend_deg": "1", "low_pass_deg": "1",
                "inner": 0, "outer": 0, "jumps": "exact", "at": 0, "offsets": 3, "offset_period": 0,
                "compare": "gt", "step": 3600.0}


def odd_at_least(x: float) -> int:
    c = math.ceil(x)
    return c if c % 2 == 1 else c + 1


def loess_fit_py(y, xs, nleft, nright, h, degree, rw=None):
    """One local fit from the definition (Cleveland et al. 1990, section 2): tricube
    weights (|x - xs| / h), times robustness weights, and a weighted least-squares
    line (or constant) evaluated at xs. Positions are 1-based."""
    xs_ = np.arange(nleft, nright + 1, dtype=float)
    r = np.abs(xs_ - xs)
    w = np.where(r <= 0.999 * h, np.where(r <= 0.001 * h, 1.0, (1 - (r / h) ** 3) ** 3), 0.0)
    if rw is not None:
        w = w * rw[nleft - 1:nright]
    if w.sum() <= 0:
        return None
    yy = y[nleft - 1:nright]
    if degree == 0 or h <= 0:
        return float((w * yy).sum() / w.sum())
    # Weighted least squares for a line, solved directly; degenerate spread: constant.
    sw, swx = w.sum(), (w * xs_).sum()
    xbar = swx / sw
    sxx = (w * (xs_ - xbar) ** 2).sum() / sw
    if math.sqrt(sxx) <= 0.001 * (len(y) - 1):
        return float((w * yy).sum() / sw)
    ybar = (w * yy).sum() / sw
    slope = (w * (xs_ - xbar) * (yy - ybar)).sum() / sw / sxx
    return float(ybar + slope * (xs - xbar))


def loess_py(y, length, degree):
    """LOESS at every point with a window of `length` nearest points (no jumps)."""
    n = len(y)
    out = np.empty(n)
    for i in range(n):
        xs = i + 1
        if length >= n:
            nleft, nright = 1, n
        else:
            nleft = min(max(1, xs - (length - 1) // 2), n - length + 1)
            nright = nleft + length - 1
        h = max(xs - nleft, nright - xs)
        if length > n:
            h += (length - n) // 2
        v = loess_fit_py(y, xs, nleft, nright, h, degree)
        out[i] = y[i] if v is None else v
    return out


def stl_reference(y_in, params, note, tolerance=None, with_scores=True, probes=(0,), with_flags=True):
    """One or more STL cases (one per inspected point) from statsmodels.

    Tolerances: 1e-10 relative without robustness weights. The robust fit reweights by
    a bisquare with cut-offs at 0.001 and 0.999 of 6 x median|R|, so rounding that moves
    a point across a cut-off changes its weight by up to 2e-6, and 15 passes carry that
    on: robust cases agree to about 2e-10 of the remainder's scale, checked at 1e-8
    relative or 1e-9 absolute (scores are in units of that scale)."""
    p = dict(STL_DEFAULTS)
    p.update(params)
    if tolerance is None:
        tolerance = 1e-8 if p["robust"] else 1e-10
    tolerance_abs = 1e-9 if p["robust"] else None
    y_obs = np.asarray(y_in, dtype=float)
    n = len(y_obs)
    obs = ~np.isnan(y_obs)
    idx = np.arange(n)
    y_fit = np.interp(idx, idx[obs], y_obs[obs]) if (~obs).any() else y_obs.copy()
    period = p["period"]
    ns = p["seasonal"]
    nt = p["trend"] or odd_at_least(1.5 * period / (1 - 1.5 / ns))
    nl = p["low_pass"] or odd_at_least(period + 1)
    robust = p["robust"]
    inner = p["inner"] or (2 if robust else 5)
    outer = (p["outer"] or 15) if robust else 0
    jumped = p["jumps"] == "r" or (p["jumps"] == "auto" and n > 10_000)
    jump = (lambda w: math.ceil(w / 10)) if jumped else (lambda w: 1)
    if period >= 2:
        res = STL(y_fit, period=period, seasonal=ns, trend=nt, low_pass=nl, seasonal_deg=int(p["seasonal_deg"]),
                  trend_deg=int(p["trend_deg"]), low_pass_deg=int(p["low_pass_deg"]), robust=robust,
                  seasonal_jump=jump(ns), trend_jump=jump(nt), low_pass_jump=jump(nl)).fit(inner_iter=inner,
                                                                                           outer_iter=outer)
        trend, seasonal = np.asarray(res.trend), np.asarray(res.seasonal)
        source = "statsmodels.tsa.seasonal.STL(...).fit(inner_iter, outer_iter)"
    else:
        assert not robust and not jumped
        trend = loess_py(y_fit, nt, int(p["trend_deg"]))
        seasonal = np.zeros(n)
        source = "a LOESS written from Cleveland et al.'s definition (period 1: trend only)"
    rem = np.where(obs, y_obs - trend - seasonal, np.nan)
    r_obs = rem[obs]
    sd_r = float(np.std(r_obs, ddof=1))
    mad_r = float(1.4826 * np.median(np.abs(r_obs - np.median(r_obs))))
    scale = {"sd": sd_r, "mad": mad_r, "given": p["sigma"]}[p["scale"]]
    magnitude = np.abs(y_fit).max()
    scale_ok = p["scale"] == "given" or scale > 1e-9 * magnitude
    scores = rem / scale if scale_ok else np.full(n, np.nan)
    thr = p["threshold"]
    passes = (lambda z: abs(z) > thr) if p["compare"] == "gt" else (lambda z: abs(z) >= thr)
    flags = [bool(obs[i] and scale_ok and passes(scores[i])) for i in range(n)]
    # The PromQL stand-in: the same time 1..k offsets back (all observed), pandas shift.
    op = p["offset_period"] or period
    s = pd.Series(y_obs)
    backs = [s.shift(j * op) for j in range(1, p["offsets"] + 1)]
    base = sum(backs) / p["offsets"]  # NaN when any is missing, as in PromQL
    orem = (s - base).to_numpy()
    od = orem[~np.isnan(orem)]
    oscale = {"sd": np.std(od, ddof=1) if len(od) > 1 else np.nan,
              "mad": 1.4826 * np.median(np.abs(od - np.median(od))) if len(od) else np.nan,
              "given": p["sigma"]}[p["scale"]]
    oscale_ok = not np.isnan(oscale) and (p["scale"] == "given" or oscale > 1e-9 * magnitude)
    oscores = orem / oscale if oscale_ok else np.full(n, np.nan)
    first = (s - s.shift(op)) > 0.2 * s.shift(op)
    first_defined = s.notna() & s.shift(op).notna()
    obs_y = y_obs[obs]
    mu, sd_y = obs_y.mean(), obs_y.std()
    cases = []
    for at in probes:
        if at == 0:
            key = np.abs(scores) if scale_ok else np.abs(rem)
            probe = int(np.nanargmax(key))
        else:
            probe = at - 1
        yp = y_obs[probe]
        values = {
            "n": n, "period": period, "trend_window": nt, "low_pass_window": nl, "inner": inner, "outer": outer,
            "gaps": int((~obs).sum()), "flagged": sum(flags), "at": probe + 1,
            "trend": float(trend[probe]), "seasonal": float(seasonal[probe]),
            "expected": float(trend[probe] + seasonal[probe]),
            "remainder_sd": sd_r, "remainder_robust_sd": mad_r,
            "scale": scale if scale_ok else None,
            "offset.flagged": int(sum(1 for z in oscores if not np.isnan(z) and passes(z))),
            "promql_first.fired": int((first & first_defined).sum()),
            "z_whole": float((yp - mu) / sd_y) if obs[probe] else None,
        }
        if obs[probe]:
            values["remainder"] = float(rem[probe])
            values["observed"] = float(yp)
            values["score"] = float(scores[probe]) if scale_ok else None
            values["alert"] = flags[probe]
        b = base.iloc[probe]
        values["offset.expected"] = None if np.isnan(b) else float(b)
        if not np.isnan(b) and obs[probe]:
            values["offset.remainder"] = float(orem[probe])
            values["offset.score"] = float(oscores[probe]) if oscale_ok else None
        if first_defined.iloc[probe]:
            values["promql_first"] = bool(first.iloc[probe])
        full = dict(p)
        full["at"] = at
        ref = f"{source}; {note}. Scales, PromQL baseline and z-scores with numpy/pandas."
        name = f"{note}" + (f", inspecting point {at}" if at else "")
        # Per-point flags and scores once per series; further inspected points add values.
        first_probe = at == probes[0]
        cases.append(case(name, ref, series_input(y_in), full, values,
                          flags=flags if with_flags and first_probe else None,
                          scores=scores if with_scores and first_probe else None, tolerance=tolerance,
                          tolerance_abs=tolerance_abs))
    return cases


def stl_cases() -> list[dict]:
    cases = []
    y = co2_monthly()
    base = {"period": 12, "step": 2629800.0}
    cases += stl_reference(y, base, "co2 monthly, period 12, statsmodels defaults")
    cases += stl_reference(y, {**base, "scale": "given", "sigma": 1.0},
                           "co2 monthly, remainder itself as the score (sigma 1)")
    cases += stl_reference(y, {**base, "robust": True}, "co2 monthly, robust")
    cases += stl_reference(y, {**base, "robust": True, "scale": "mad", "inner": 1, "outer": 15},
                           "co2 monthly, robust with R's passes (1 inner, 15 outer), MAD scale")
    cases += stl_reference(y, {**base, "seasonal_deg": "0", "trend_deg": "1", "low_pass_deg": "1", "jumps": "r",
                               "inner": 2}, "co2 monthly, R's stl defaults (degree 0, jumps ceil(w/10), 2 passes)")
    cases += stl_reference(y, {**base, "seasonal": 13, "trend": 21, "low_pass": 13, "trend_deg": "0",
                               "low_pass_deg": "0"}, "co2 monthly, windows 13/21/13 and degree-0 trend and low-pass")
    # One remainder here is 0.003 sigma and differs by 1e-12 sigma: checked at 1e-9 relative.
    cases += stl_reference(y, {**base, "seasonal": 35, "trend": 1001},
                           "co2 monthly, windows longer than the subseries and than the data", tolerance=1e-9)

    month = lesson_month()
    cases += stl_reference(month, {}, "lesson month (seed 0), period 24, plain", probes=(0, WEDNESDAY_W3 + 1))
    cases += stl_reference(month, {"robust": True}, "lesson month (seed 0), period 24, robust",
                           probes=(0, WEDNESDAY_W3 + 1))
    cases += stl_reference(month, {"scale": "mad"}, "lesson month, robust SD scale",
                           probes=(WEDNESDAY_W3 + 1,), with_scores=False)
    cases += stl_reference(month, {"period": 168}, "lesson month, period 168 (weekly)", with_scores=False)
    cases += stl_reference(month, {"jumps": "r"}, "lesson month, R's jumps", with_scores=False)
    # The unrounded series reproduces seed-errata.md's seed-0 row exactly.
    raw = lesson_month(rounded=False)
    ref = STL(raw, period=24).fit()
    errata_plain = float(np.asarray(ref.resid)[WEDNESDAY_W3])
    assert abs(errata_plain - -321.145391199) < 1e-6, errata_plain
    ref_r = STL(raw, period=24, robust=True).fit()
    assert abs(float(np.asarray(ref_r.resid)[WEDNESDAY_W3]) - -478.101511632) < 1e-6

    story = story_series()
    story_params = {"scale": "given", "sigma": 50.0, "offset_period": 168}
    cases += stl_reference(story, story_params, "the guide's story without noise, weekly offsets",
                           probes=(WEDNESDAY_W4 + 1, TUESDAY_W4 + 1))

    # Gaps: filled by linear interpolation for the fit, never scored.
    gappy = month.copy()
    for i in (0, 1, 100, 101, 102, 393 - 24, 671):
        gappy[i] = np.nan
    cases += stl_reference(gappy, {}, "lesson month with gaps (ends and a run of three)",
                           probes=(0, 101, WEDNESDAY_W3 + 1))
    # Period 1: no seasonal part, a LOESS trend.
    rng = np.random.default_rng(7)
    walk = np.round(np.cumsum(rng.normal(0, 1, 60)) + 20, 3)
    walk[30] += 15
    cases += stl_reference(walk, {"period": 1}, "period 1: trend LOESS only", tolerance=1e-9)
    cases += stl_reference(walk, {"period": 1, "trend": 9, "trend_deg": "0"}, "period 1, trend window 9, degree 0",
                           tolerance=1e-9)
    # Short and constant series.
    short = [5.0, 7.0, 6.0, 9.0, 4.0]
    cases.append(case("shorter than two periods", "STL needs two cycles (R's stl refuses fewer); no decomposition, "
                      "nothing flagged.", series_input(short), {**STL_DEFAULTS, "period": 3},
                      {"n": 5, "flagged": 0}, flags=[False] * 5))
    const = [7.0] * 48
    cases.append(case("constant series", "Trend = 7 and season = 0 to rounding: no remainder spread, the scale and "
                      "every score undefined, nothing flagged.", series_input(const), {**STL_DEFAULTS, "period": 12},
                      {"n": 48, "flagged": 0, "scale": None}, flags=[False] * 48))
    # A long series: the automatic jumps switch to R's ceil(w/10) beyond 10,000 samples.
    rng = np.random.default_rng(11)
    n = 12_000
    long = 100 + 10 * np.sin(2 * np.pi * np.arange(n) / 24) + rng.normal(0, 1, n)
    long[7_777] += 25
    long = np.round(long, 3)
    cases += stl_reference(long, {"jumps": "auto"}, "12,000 points, automatic jumps (ceil(w/10))",
                           with_scores=False, with_flags=False)
    return cases


# ================================================================ EWMA
EWMA_DEFAULTS = {"alpha": 0.5, "init": "first", "baseline": "warmup", "warmup": 20, "mu": 0.0, "sigma": 1.0,
                 "L": 3.0, "limits": "exact", "sd": "sample", "sma_window": 4, "compare": "gt", "step": 60.0}


def ewma_weights(x, lam, init, k):
    """Each EWMA value as explicit weights on the observed values (NaN: held, not aged),
    plus the weight on the start value mu. Returns a list of (weights, mu_weight) per point,
    None where the EWMA is undefined. Brute force, O(n^2): independent of the closed forms."""
    out = []
    w = None  # weights over the observed values so far
    mu_w = 0.0
    obs = []
    for xv in x:
        if not math.isnan(xv):
            obs.append(xv)
            m = len(obs)
            if init == "adjust":
                raw = np.array([(1 - lam) ** (m - 1 - i) for i in range(m)])
                w, mu_w = raw / raw.sum(), 0.0
            elif init == "target":
                w = (np.zeros(0) if w is None else w * (1 - lam))
                w = np.append(w, lam)
                mu_w = (1 - lam) ** m
            elif init == "warmup":
                if m == k:
                    w = np.full(k, 1.0 / k)
                elif m > k:
                    w = np.append(w * (1 - lam), lam)
            else:  # first
                w = np.array([1.0]) if w is None else np.append(w * (1 - lam), lam)
        out.append(None if w is None else (w.copy(), mu_w))
    return out


def ewma_reference(x, params, name, reference, tolerance=1e-12):
    p = dict(EWMA_DEFAULTS)
    p.update(params)
    x = [float(v) for v in x]
    n = len(x)
    lam = p["alpha"]
    s = pd.Series(x)
    obs = [v for v in x if not math.isnan(v)]
    k = p["warmup"]
    warm = obs[:k]
    if p["baseline"] == "given":
        mu, sigma = p["mu"], p["sigma"]
    else:
        mu = float(np.mean(warm)) if warm else float("nan")
        ddof = 1 if p["sd"] == "sample" else 0
        sigma = float(np.std(warm, ddof=ddof)) if len(warm) > ddof else float("nan")
    init = p["init"]
    # The EWMA itself: pandas where pandas has the convention, a loop otherwise.
    if init == "first":
        z = s.ewm(alpha=lam, adjust=False, ignore_na=True).mean().to_numpy()
    elif init == "adjust":
        z = s.ewm(alpha=lam, adjust=True, ignore_na=True).mean().to_numpy()
    else:
        z = np.full(n, np.nan)
        cur = mu if init == "target" else float("nan")
        seen, acc = 0, []
        for i, v in enumerate(x):
            if not math.isnan(v):
                seen += 1
                if init == "target":
                    cur = lam * v + (1 - lam) * cur
                elif seen < k:
                    acc.append(v)
                elif seen == k:
                    acc.append(v)
                    cur = float(F(sum(F(a) for a in acc), k))
                else:
                    cur = lam * v + (1 - lam) * cur
            z[i] = cur
    # Variance factors from the explicit weights (or the asymptote).
    weights = ewma_weights(x, lam, init, k)
    asym = math.sqrt(lam / (2 - lam))
    fac = np.full(n, np.nan)
    for i, w in enumerate(weights):
        if w is None:
            continue
        fac[i] = math.sqrt(float((w[0] ** 2).sum())) if p["limits"] == "exact" else asym
    sigma_ok = sigma == sigma and sigma > 0
    scores = np.full(n, np.nan)
    for i in range(n):
        if not math.isnan(x[i]) and sigma_ok and fac[i] == fac[i] and fac[i] > 0:
            scores[i] = (z[i] - mu) / (sigma * fac[i])
    L = p["L"]
    flags = [bool(not math.isnan(zz) and (abs(zz) > L if p["compare"] == "gt" else abs(zz) >= L)) for zz in scores]
    sma = s.rolling(p["sma_window"], min_periods=1).mean().to_numpy()
    last = max((i for i in range(n) if not math.isnan(z[i])), default=None)
    values = {"n": n, "mu": mu if mu == mu else None, "sigma": sigma if sigma == sigma else None,
              "factor_asymptotic": asym, "flagged": sum(flags), "equivalent_window": 2 / lam - 1,
              "ucl_asymptotic": mu + L * sigma * asym if sigma == sigma else None,
              "lcl_asymptotic": mu - L * sigma * asym if sigma == sigma else None,
              "first_signal": (flags.index(True) + 1) if any(flags) else None}
    if n <= 12:
        for i in range(n):
            values[f"ewma.{i + 1}"] = None if math.isnan(z[i]) else float(z[i])
    if last is not None:
        values["ewma_last"] = float(z[last])
        values["sma"] = float(sma[last])
        if sigma == sigma:
            values["ucl_last"] = mu + L * sigma * fac[last] if fac[last] == fac[last] else None
            values["lcl_last"] = mu - L * sigma * fac[last] if fac[last] == fac[last] else None
        values["score_last"] = None if math.isnan(scores[last]) else float(scores[last])
    return case(name, reference, series_input(x), p, values, flags=flags, scores=scores, tolerance=tolerance)


NIST_EWMA = [52.0, 47.0, 53.0, 49.3, 50.1, 47.0, 51.0, 50.1, 51.2, 50.5, 49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6,
             52.4, 53.6, 52.1]
MONTGOMERY_EWMA = [9.45, 7.99, 9.29, 11.66, 12.16, 10.18, 8.04, 11.46, 9.20, 10.34, 9.03, 11.47, 10.51, 9.40, 10.08,
                   9.37, 10.62, 10.31, 8.52, 10.84, 10.90, 9.33, 12.29, 11.50, 10.60, 11.08, 10.38, 11.62, 11.31,
                   10.52]


def ewma_cases() -> list[dict]:
    cases = []
    guide = [10, 10, 10, 50]
    ref = ("Published example: the guide's section 10 (alpha = 0.5 on [10, 10, 10, 50]: 10, 10, 10, 30; SMA of 4 = "
           "20); pandas ewm(adjust=False) and rolling(4).mean(); limits from the explicit weights.")
    lesson = {"baseline": "given", "mu": 10.0, "sigma": 2.0}
    cases.append(ewma_reference(guide, lesson, "guide data, first-value start, given mu 10 sigma 2", ref))
    cases.append(ewma_reference(guide, {**lesson, "init": "adjust"}, "guide data, pandas adjust=True",
                                "pandas ewm(alpha=0.5) default adjust=True: 31.333 (seed-errata row 18)."))
    cases.append(ewma_reference(guide, {**lesson, "init": "target"}, "guide data, start at the target", ref))
    cases.append(ewma_reference(guide, {}, "guide data, defaults (warm-up covers every point)", ref))
    cases.append(ewma_reference(guide, {**lesson, "limits": "asymptotic", "compare": "ge"},
                                "guide data, asymptotic limits, ge", ref))
    # NIST/SEMATECH e-Handbook 6.3.2.4.
    nist = {"alpha": 0.3, "init": "target", "baseline": "given", "mu": 50.0, "sigma": 2.0539, "L": 3.0,
            "limits": "asymptotic"}
    c = ewma_reference(NIST_EWMA, nist, "NIST/SEMATECH EWMA example, asymptotic limits",
                       "Published example: NIST/SEMATECH e-Handbook of Statistical Methods, 6.3.2.4 EWMA Control "
                       "Charts (lambda = 0.3, EWMA_0 = target 50, s = 2.0539 from historical data, k = 3): "
                       "UCL = 52.5884, which the exact factor sqrt(0.3/1.7) = 0.420084 reproduces to 4 decimals (the "
                       "printed LCL 47.4115 uses the rounded factor 0.4201; exactly it is 47.41157). EWMA values "
                       "50.60, 49.52, 50.56, ... as printed; recomputed here.")
    assert abs(c["values"]["ucl_asymptotic"] - 52.5884) < 5e-5
    assert [round(v, 2) for v in [c["values"]["ewma_last"]]] == [51.99]
    cases.append(c)
    cases.append(ewma_reference(NIST_EWMA, {**nist, "limits": "exact"}, "NIST/SEMATECH data, exact limits",
                                "NIST data and parameters; Roberts' exact limits from the weights."))
    mont = {"alpha": 0.1, "init": "target", "baseline": "given", "mu": 10.0, "sigma": 1.0, "L": 2.7}
    c = ewma_reference(MONTGOMERY_EWMA, mont, "Montgomery's EWMA example, lambda 0.1, L 2.7",
                       "Published example: Montgomery, Introduction to Statistical Quality Control, the EWMA "
                       "example (lambda = 0.1, L = 2.7, mu0 = 10, sigma = 1; data as listed in IMSL's documentation "
                       "of the example): z1 = 9.945 with limits 10.27 / 9.73 at i = 1; exact time-varying limits.")
    assert abs(c["values"]["ewma.1" if False else "mu"] - 10) == 0
    cases.append(c)
    # Random series, pandas conventions, gaps.
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(100, 5, 80), 2)
    x[60:] += 6
    xg = x.copy()
    xg[[5, 6, 40]] = np.nan
    cases.append(ewma_reference(x, {"alpha": 0.2}, "80 points with a shift, alpha 0.2, warm-up 20",
                                "pandas ewm(adjust=False); numpy mean/std(ddof=1) of the warm-up."))
    cases.append(ewma_reference(xg, {"alpha": 0.2, "init": "adjust", "sd": "population", "compare": "ge"},
                                "gaps, pandas adjust=True, population warm-up SD",
                                "pandas ewm(adjust=True, ignore_na=True); numpy std(ddof=0)."))
    cases.append(ewma_reference(xg, {"alpha": 0.2, "init": "first"}, "gaps, first-value start",
                                "pandas ewm(adjust=False, ignore_na=True)."))
    cases.append(ewma_reference(x, {"alpha": 0.25, "init": "warmup", "warmup": 10}, "warm-up mean start, k = 10",
                                "A loop seeding S_10 with the exact mean of the first 10 points (TA-Lib's EMA seed)."))
    cases.append(ewma_reference(xg, {"alpha": 0.25, "init": "target", "warmup": 15, "limits": "asymptotic"},
                                "target start from a 15-point warm-up, asymptotic, gaps", "Loop from mu."))
    cases.append(ewma_reference(x, {"alpha": 1.0, "baseline": "given", "mu": 100.0, "sigma": 5.0},
                                "alpha 1: the Shewhart chart", "With lambda = 1 the EWMA is the data and the limits "
                                "mu +- L sigma."))
    cases.append(ewma_reference([7.0] * 10, {}, "constant series: sigma 0, no limits",
                                "The warm-up SD is 0: every score undefined, nothing flagged."))
    cases.append(ewma_reference([3.0, 5.0], {"warmup": 1}, "one warm-up point: sample SD undefined",
                                "A sample SD of one point is undefined: no limits."))
    big = 1e9 + np.round(rng.normal(0, 0.01, 50), 4)
    cases.append(ewma_reference(big, {"alpha": 0.1}, "1e9 + noise", "pandas; the small digits survive.",
                                tolerance=1e-9))
    return cases


# ================================================================ moving averages
MA_DEFAULTS = {"window": 4, "alpha": 0.5, "init": "first", "sma_start": "partial", "fast": "sma",
               "slow_window": 12, "factor": 1.2, "compare": "gt", "step": 60.0}


def exact_window_mean(x, i, n, full):
    vals = [F(v) for v in x[max(0, i + 1 - n):i + 1] if not math.isnan(v)]
    if not vals or (full and (len(vals) < n or i + 1 < n)):
        return None
    return sum(vals) / len(vals)


def ma_reference(x, params, name, reference, tolerance=1e-12):
    p = dict(MA_DEFAULTS)
    p.update(params)
    x = [float(v) for v in x]
    n = len(x)
    s = pd.Series(x)
    full = p["sma_start"] == "full"
    w, m = p["window"], p["slow_window"]
    sma_fast = s.rolling(w, min_periods=w if full else 1).mean().to_numpy()
    slow = s.rolling(m, min_periods=m if full else 1).mean().to_numpy()
    if p["init"] == "first":
        ema = s.ewm(alpha=p["alpha"], adjust=False, ignore_na=True).mean().to_numpy()
    elif p["init"] == "adjust":
        ema = s.ewm(alpha=p["alpha"], adjust=True, ignore_na=True).mean().to_numpy()
    else:
        ema = np.full(n, np.nan)
        seen, acc, cur = 0, [], float("nan")
        for i, v in enumerate(x):
            if not math.isnan(v):
                seen += 1
                if seen <= w:
                    acc.append(F(v))
                    if seen == w:
                        cur = float(sum(acc) / w)
                else:
                    cur = p["alpha"] * v + (1 - p["alpha"]) * cur
            ema[i] = cur
    # The rule, decided exactly: the SMAs as exact rationals, the factor as typed.
    factor = F(repr(p["factor"]))
    fires = []
    for i in range(n):
        if p["fast"] == "sma":
            fast_q = exact_window_mean(x, i, w, full)
        else:
            fast_q = None if math.isnan(ema[i]) else F(float(ema[i]))
        slow_q = exact_window_mean(x, i, m, full)
        if fast_q is None or slow_q is None:
            fires.append(False)
        else:
            fires.append(fast_q > factor * slow_q if p["compare"] == "gt" else fast_q >= factor * slow_q)
    fast = ema if p["fast"] == "ema" else sma_fast
    scores = np.array([fast[i] / slow[i] if slow[i] > 0 else np.nan for i in range(n)])
    crossings = sum(1 for i in range(n) if fires[i] and (i == 0 or not fires[i - 1]))
    end = max((i for i in range(n) if not (math.isnan(fast[i]) and math.isnan(slow[i]))), default=n - 1)
    values = {"n": n, "flagged": sum(fires), "crossings": crossings, "fires_last": fires[end],
              "equivalent_alpha": 2 / (w + 1),
              "sma": None if math.isnan(sma_fast[end]) else float(sma_fast[end]),
              "slow": None if math.isnan(slow[end]) else float(slow[end])}
    if n <= 12:
        for i in range(n):
            values[f"ema.{i + 1}"] = None if math.isnan(ema[i]) else float(ema[i])
    last_ema = [v for v in ema if not math.isnan(v)]
    if last_ema:
        values["ema_last"] = float(last_ema[-1])
    return case(name, reference, series_input(x), p, values, flags=fires, scores=scores, tolerance=tolerance)


def ma_cases() -> list[dict]:
    cases = []
    guide = [10, 10, 10, 90]
    ref = ("Published example: the guide's section 12 ([10, 10, 10, 90]: SMA of 4 = 30; EMA with alpha 0.5: "
           "10, 10, 10, 50); pandas rolling(4).mean() and ewm(adjust=False); the rule decided exactly.")
    cases.append(ma_reference(guide, {}, "guide data, defaults", ref))
    cases.append(ma_reference(guide, {"fast": "ema"}, "guide data, EMA against the slow SMA", ref))
    cases.append(ma_reference(guide, {"init": "adjust"}, "guide data, pandas adjust=True",
                              "pandas ewm(alpha=0.5) default adjust=True: 52.667 (seed-errata row 19)."))
    cases.append(ma_reference(guide, {"sma_start": "full"}, "guide data, full windows (slow window longer than the data)",
                              "pandas rolling(n) with min_periods = n: the slow SMA of 12 is never defined."))
    cases.append(ma_reference(guide, {"window": 10}, "guide data, window longer than the data (partial)",
                              "pandas rolling(10, min_periods=1)."))
    # The guide's PromQL rule on a series that steps up: 5 against 60 one-minute samples.
    x = step_series()
    promql = {"window": 5, "slow_window": 60, "factor": 1.2}
    cases.append(ma_reference(x, promql, "rate[5m] > 1.2 rate[1h] on a step of +30%", ref))
    cases.append(ma_reference(x, {**promql, "fast": "ema", "alpha": 2 / 6}, "EMA (alpha 1/3) against the slow SMA",
                              ref))
    cases.append(ma_reference(x, {**promql, "sma_start": "full", "init": "warmup"}, "full windows, SMA-seeded EMA",
                              "pandas rolling with min_periods = n; EMA seeded with the exact mean of the first n."))
    xg = x.copy()
    xg[[0, 1, 100, 101, 102, 200]] = np.nan
    cases.append(ma_reference(xg, promql, "gaps: windows average the samples present",
                              "pandas rolling(min_periods=1) skips NaN; ewm(ignore_na=True)."))
    cases.append(ma_reference(xg, {**promql, "sma_start": "full", "init": "adjust"}, "gaps, full windows, adjust",
                              "pandas rolling(min_periods=n), ewm(adjust=True, ignore_na=True)."))
    # Exactly on the boundary: SMA of 4 = 12 and SMA of 12 = 10, so fast = 1.2 x slow.
    tie = [9.0] * 8 + [12.0] * 4
    cases.append(ma_reference(tie, {}, "fast exactly 1.2 x slow, gt", "Exact rationals: 12 = 6/5 x 10, not above."))
    cases.append(ma_reference(tie, {"compare": "ge"}, "fast exactly 1.2 x slow, ge", "Exact rationals: 12 >= 12."))
    cases.append(ma_reference([5.0] * 20, {"fast": "ema"}, "constant series", "Nothing fires; ratio 1."))
    rng = np.random.default_rng(6)
    big = list(1e9 + np.round(rng.normal(0, 0.01, 3000), 4))
    c = ma_reference(big, {"window": 50, "slow_window": 500}, "1e9 + noise, 3000 points",
                     "pandas; the last SMAs also checked against exact rational means.", tolerance=1e-13)
    exact_last = exact_window_mean(big, 2999, 50, False)
    assert abs(float(exact_last) - c["values"]["sma"]) <= 2e-7, (float(exact_last), c["values"]["sma"])
    c["values"]["sma"] = float(exact_last)
    c["values"]["slow"] = float(exact_window_mean(big, 2999, 500, False))
    cases.append(c)
    return cases


# ================================================================ the lessons' data
def lesson_numbers(text: str) -> list[float]:
    """The numbers of a field as the core's parser reads them: separated by commas,
    semicolons or white space, '#' starting a comment."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        out += [float(t) for t in line.replace(",", " ").replace(";", " ").split()]
    return out


def check_lessons() -> None:
    """The series embedded in the lessons are the ones this script generates."""
    def example(lesson: str, ex: str) -> list[float]:
        doc = tomllib.loads((ROOT / "lessons" / f"{lesson}.toml").read_text(encoding="utf-8"))
        found = [e for e in doc["examples"] if e["id"] == ex]
        assert found, f"lessons/{lesson}.toml has no example {ex}"
        return lesson_numbers(found[0]["data"]["series"])
    assert example("stl", "month") == [float(v) for v in lesson_month()], "lessons/stl.toml: month differs"
    assert example("stl", "story") == [float(v) for v in story_series()], "lessons/stl.toml: story differs"
    assert example("moving-average", "promql") == [float(v) for v in step_series()], \
        "lessons/moving-average.toml: the step series differs"
    assert example("ewma", "nist") == NIST_EWMA and example("ewma", "shift") == MONTGOMERY_EWMA


# ================================================================ main
def main() -> None:
    if "--lesson" in sys.argv:
        print("# month (seed 0, rounded to 0.01)")
        print(lesson_text(lesson_month(), 2))
        print("# story (no noise)")
        print(lesson_text(story_series(), 0))
        print("# moving averages: one-minute rates with a step")
        x = step_series()
        for h in range(0, len(x), 20):
            print(", ".join(f"{v:.1f}" for v in x[h:h + 20]))
        return
    check_lessons()
    paths = [write("stl", stl_cases()), write("ewma", ewma_cases()), write("moving-average", ma_cases())]
    for p in paths:
        print("wrote", p.relative_to(ROOT))
    for line in REPORT:
        print("NOTE:", line)


if __name__ == "__main__":
    main()
