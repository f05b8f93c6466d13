#!/usr/bin/env python3
"""Reference values for the smoothing methods of the guide's sections 9, 10 and 12:
STL, EWMA (with its control chart) and moving averages, computed independently.

Run from the repository root:

    python3 tests/reference/gen_smoothing.py            # writes the three JSON files
    python3 tests/reference/gen_smoothing.py --lesson   # prints the STL lesson's data blocks

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


# ================================================================ main
def main() -> None:
    if "--lesson" in sys.argv:
        print("# month (seed 0, rounded to 0.01)")
        print(lesson_text(lesson_month(), 2))
        print("# story (no noise)")
        print(lesson_text(story_series(), 0))
        return
    paths = [write("stl", stl_cases())]
    for p in paths:
        print("wrote", p.relative_to(ROOT))
    for line in REPORT:
        print("NOTE:", line)


if __name__ == "__main__":
    main()
