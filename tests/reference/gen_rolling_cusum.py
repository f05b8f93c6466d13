#!/usr/bin/env python3
"""Reference values for the rolling-percentile and CUSUM methods, computed independently.

Run from the repository root:

    python3 tests/reference/gen_rolling_cusum.py

It writes, next to this script:

    tests/reference/rolling-percentile.json
    tests/reference/cusum.json

in the format of generate.py ({"method", "generated_by", "versions", "cases"}; each case
has "name", "reference", "input", "params" (every parameter of the method, by the core's
ids), "values" (named values; null where the core reports them undefined), "flags",
"scores" (null where a score is undefined) and the relative "tolerance").

How the numbers are obtained
----------------------------
Rolling percentiles
* Each window is built from its definition (the w observed samples before the point, or
  the samples less than, or at most, D seconds older), and its quantile is computed
  exactly in rational arithmetic from Hyndman & Fan (1996), with p taken as the decimal
  the reader types (99 % = 99/100). Flags are decided exactly: x > s * P with s as typed.
* Cross-checks asserted while generating: numpy.quantile(window, p, method=...) for all
  nine types; pandas Series.rolling(w).quantile(p, interpolation="linear") (type 7,
  shifted by one when the point is not in its own window) and time-based
  rolling("300s", closed=...) for duration windows ("right" = Prometheus 3's (t - D, t],
  "both" = Prometheus 2's [t - D, t], "neither"/"left" without the current point);
  pandas' interpolation="higher" equals type 1 (nearest rank) for a P99 of at most 100
  values, both being the window's maximum; and Prometheus's quantile_over_time written
  from its documented rule (rank q * (n - 1), linear between the neighbours).
* The least alerting value with the point in its own window is found by evaluating
  x - s * Q(window with x) with numpy at the window's values and far beyond them, and
  interpolating the first sign change (Q is piecewise linear in x between those values).
* Published worked examples: Wikipedia, "Percentile" (nearest-rank and the linear
  interpolation variants, list 15, 20, 35, 40, 50); DolphinDB's documentation of
  percentile and cumpercentile (type-7 examples).

CUSUM
* A plain-Python tabular CUSUM (Page 1954; Montgomery's form), in the same floating-point
  order as the definition ((x - mu) - C), and the guide's case again in exact rationals.
* Baseline estimates: statistics.mean and statistics.stdev, and the average moving range
  divided by d2 = 2/sqrt(pi) (Montgomery's 1.128).
* Run lengths: Siegmund's approximation in closed form (math.exp); the run length of
  normal data by the Markov-chain method of Brook & Evans (1972) with numpy (m states on
  [0, h], Richardson-extrapolated in m), a different discretisation from the core's
  integral equation.
* Published worked examples: Montgomery & Runger, Applied Statistics and Probability for
  Engineers, Example 16-6 and Table 16-8 (two-sided tabular CUSUM of 20 concentration
  readings, target 99, K = 1, H = 10) and Table 16-9 (ARL of the CUSUM with k = 1/2,
  h = 4 and 5; also Montgomery, Introduction to Statistical Quality Control, Table 9.3).

Libraries: Python standard library (fractions, statistics, math, json), numpy, pandas.
Random data come from numpy.random.default_rng with fixed seeds; keys are sorted, so the
output is deterministic. This script does not port code from crates/alertmath-core.
"""

from __future__ import annotations

import json
import math
import platform
import statistics
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
GENERATED_BY = "tests/reference/gen_rolling_cusum.py"
VERSIONS = {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__}
TOL = 1e-12


def dec(x) -> F:
    """A parameter as the reader types it: 1.2 means 6/5."""
    return F(str(x))


def fx(x: float) -> F:
    """The exact value of a double (data values)."""
    return F(x)


def num_out(x):
    if x is None:
        return None
    if isinstance(x, F):
        x = float(x)
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def write(method: str, cases: list[dict]) -> Path:
    path = HERE / f"{method}.json"
    doc = {"method": method, "generated_by": GENERATED_BY, "versions": VERSIONS, "cases": cases}
    path.write_text(json.dumps(doc, indent=1, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n")
    return path


# ================================================================ quantiles
NUMPY_METHOD = {1: "inverted_cdf", 2: "averaged_inverted_cdf", 3: "closest_observation",
                4: "interpolated_inverted_cdf", 5: "hazen", 6: "weibull", 7: "linear",
                8: "median_unbiased", 9: "normal_unbiased"}
# Hyndman & Fan's plotting positions p_k = (k - a) / (n + 1 - a - b) for types 4 to 9.
PLOT_AB = {4: (F(0), F(1)), 5: (F(1, 2), F(1, 2)), 6: (F(0), F(0)), 7: (F(1), F(1)),
           8: (F(1, 3), F(1, 3)), 9: (F(3, 8), F(3, 8))}


def hf(values: list[F], p: F, typ: int) -> F:
    """Sample quantile of Hyndman & Fan (1996), type 1 to 9, in exact arithmetic."""
    s = sorted(values)
    n = len(s)

    def order(k: int) -> F:
        return s[min(max(k, 1), n) - 1]

    if typ == 1:  # inverse of the empirical CDF: the smallest x with F_n(x) >= p
        k = math.ceil(n * p)
        return order(max(k, 1))
    if typ == 2:  # the same, averaging where F_n is flat
        np_ = n * p
        if np_ == int(np_):
            return (order(int(np_)) + order(int(np_) + 1)) / 2
        return order(math.ceil(np_))
    if typ == 3:  # nearest even order statistic
        pos = n * p - F(1, 2)
        j = math.floor(pos)
        if pos == j and j % 2 == 0:
            return order(j)
        return order(j + 1)
    a, b = PLOT_AB[typ]
    pos = a + p * (n + 1 - a - b)  # the fractional rank at which the plotting position is p
    j = math.floor(pos)
    g = pos - j
    return order(j) + g * (order(j + 1) - order(j))


def prometheus_quantile(q: float, values: list[float]) -> float:
    """quantile_over_time as Prometheus documents it: rank q*(n-1) in the sorted values,
    linear interpolation between the neighbouring samples."""
    s = sorted(values)
    n = len(s)
    rank = q * (n - 1)
    lo = max(0, math.floor(rank))
    hi = min(n - 1, lo + 1)
    w = rank - math.floor(rank)
    return s[lo] * (1 - w) + s[hi] * w


# ================================================================ rolling percentile
ROLL_DEFAULTS = {"window": 5, "percentile": 99, "sensitivity": 1, "quantile": "7", "current": "exclude",
                 "compare": "gt", "window_by": "samples", "range": 300, "range_edge": "open", "step": 60,
                 "partial": False}


def windows_of(ts, vs, params):
    """For each observed sample k: the values of its window (in series order), whether the
    window is full, or None when the sample is not scored."""
    obs = [i for i, v in enumerate(vs) if not math.isnan(v)]
    include = params["current"] == "include"
    out = []
    for pos, k in enumerate(obs):
        if params["window_by"] == "samples":
            w = params["window"]
            before = obs[max(0, pos - w):pos]
            full = pos >= w
        else:
            D = params["range"]
            edge = ts[k] - D
            closed = params["range_edge"] == "closed"
            before = [j for j in obs[:pos] if (ts[j] >= edge if closed else ts[j] > edge)]
            full = ts[k] - ts[obs[0]] >= D
        win = [vs[j] for j in before] + ([vs[k]] if include else [])
        scored = len(win) > 0 and (full or params["partial"])
        out.append((k, win if scored else None, before))
    return obs, out


def rolling_case(name, reference, series, times=None, tolerance=TOL, check_pandas=True, **over):
    params = dict(ROLL_DEFAULTS)
    params.update(over)
    vs = [float(v) for v in series]
    ts = [float(t) for t in times] if times is not None else [i * float(params["step"]) for i in range(len(vs))]
    p = dec(params["percentile"]) / 100
    s = dec(params["sensitivity"])
    typ = int(params["quantile"])
    obs, wins = windows_of(ts, vs, params)
    flags, scores, pct = [], [], []
    for k, win, _ in wins:
        x = fx(vs[k])
        if win is None:
            flags.append(False)
            scores.append(None)
            pct.append(None)
            continue
        P = hf([fx(v) for v in win], p, typ)
        npv = float(np.quantile(np.asarray(win), float(p), method=NUMPY_METHOD[typ]))
        assert close(npv, float(P), 1e-13), (name, typ, win, npv, P)
        T = s * P
        passes = x > T if params["compare"] == "gt" else x >= T
        if x != T:
            assert abs(float(x - T)) > 1e-9 * max(1.0, abs(float(T))), (name, "a near tie", vs[k], float(T))
        flags.append(passes)
        scores.append(float(x / P) if P > 0 else None)
        pct.append(P)
    # pandas, type 7, windows counted in samples or time.
    if check_pandas and typ == 7:
        ser = pd.Series(vs)
        observed = ser.dropna()
        q = float(p)
        if params["window_by"] == "samples":
            w = params["window"] + (1 if params["current"] == "include" else 0)
            minp = 1 if params["partial"] else w
            r = observed.rolling(w, min_periods=minp).quantile(q, interpolation="linear")
            if params["current"] == "exclude":
                r = observed.rolling(params["window"], min_periods=1 if params["partial"] else params["window"]) \
                    .quantile(q, interpolation="linear").shift(1)
            got = list(r.values)
        else:
            idx = pd.to_datetime([ts[i] for i in obs], unit="s")
            tser = pd.Series([vs[i] for i in obs], index=idx)
            closed = {("include", "open"): "right", ("include", "closed"): "both",
                      ("exclude", "open"): "neither", ("exclude", "closed"): "left"}[(params["current"], params["range_edge"])]
            r = tser.rolling(f"{params['range']}s", closed=closed, min_periods=1).quantile(q, interpolation="linear")
            got = list(r.values)
            # Prometheus's own rule on the same windows.
            for (k, win, _), g in zip(wins, got):
                if win is not None:
                    assert close(prometheus_quantile(q, win), g, 1e-12), (name, "prometheus", win, g)
        for (k, win, _), g, P in zip(wins, got, pct):
            if win is None:
                continue
            assert close(float(P), float(g), 1e-12), (name, "pandas", k, float(P), g)
    # Named values for the newest scored point.
    scored = [(k, win, before) for k, win, before in wins if win is not None]
    values = {"n": len(obs), "gaps": len(vs) - len(obs), "scored": len(scored), "flagged": sum(flags)}
    if scored:
        k, win, before = scored[-1]
        i = [kk for kk, _, _ in wins].index(k)
        P = pct[i]
        x = fx(vs[k])
        values.update({
            "value": vs[k], "window_size": len(win), "window_max": max(win), "percentile": float(P),
            "threshold": float(s * P), "ratio": float(x / P) if P > 0 else None, "alert": flags[i],
        })
        if params["current"] == "exclude":
            values["alert_level"] = float(s * P)
        else:
            values["alert_level"] = least_alerting([vs[j] for j in before], float(p), typ, float(s))
    else:
        for key in ("value", "window_size", "window_max", "percentile", "threshold", "ratio", "alert", "alert_level"):
            values[key] = None
    inp = {"series": [None if math.isnan(v) else num_out(v) for v in vs]}
    if times is not None:
        inp["series.t"] = [num_out(t) for t in ts]
    return {"name": name, "reference": reference, "input": inp, "params": params,
            "values": {k: (v if isinstance(v, bool) or v is None else num_out(v)) for k, v in values.items()},
            "flags": flags, "scores": [num_out(v) for v in scores], "tolerance": tolerance}


def least_alerting(prev: list[float], p: float, typ: int, s: float):
    """The least x with x > s * Q(prev + [x]), Q evaluated with numpy. Between two
    neighbouring values of prev (and beyond the largest) Q is linear in x, so the first
    sign change of f(x) = x - s * Q is found exactly by interpolation."""
    def f(x):
        return x - s * float(np.quantile(np.asarray(prev + [x]), p, method=NUMPY_METHOD[typ]))
    pts = sorted(set(prev))
    span = pts[-1] - pts[0] + 1.0
    assert f(pts[0] - span) <= 0 and f(pts[0]) <= 0, "alerts for very low values too"
    vals = [f(x) for x in pts]
    for (a, fa), (b, fb) in zip(zip(pts, vals), zip(pts[1:], vals[1:])):
        if fa <= 0 < fb:
            return a + (b - a) * (-fa) / (fb - fa)
    a, fa = pts[-1], vals[-1]
    slope = (f(a + span) - fa) / span
    return a - fa / slope if slope > 0 else None


def rolling_cases() -> list[dict]:
    cases = []
    guide = [100, 102, 98, 105, 101, 110]
    g = "The guide's rolling-percentile example; seed-errata row 8."
    cases.append(rolling_case("guide: P99 of the 5 previous values, type 7", g + " Type 7 = Prometheus/numpy: 104.88.", guide))
    for t in range(1, 10):
        cases.append(rolling_case(f"guide window, type {t}",
                                  f"Hyndman-Fan type {t} in exact arithmetic = numpy.quantile(method='{NUMPY_METHOD[t]}'). {g}",
                                  guide, quantile=str(t)))
    cases.append(rolling_case("guide with the PromQL multiplier 1.2", g + " 1.2 x 104.88 = 125.856: 110 does not alert.",
                              guide, sensitivity=1.2))
    cases.append(rolling_case("guide, current point in its own window (PromQL)",
                              g + " The window holds 110 as well: P99 = 109.75.", guide, current="include"))
    cases.append(rolling_case("guide, in its own window, x 1.2: nothing can alert",
                              g + " 1.2 x 0.95 >= 1: no value of the newest point can alert.", guide, current="include",
                              sensitivity=1.2))
    cases.append(rolling_case("guide, nearest rank in its own window", g + " P99 of 6 values by nearest rank is the maximum.",
                              guide, current="include", quantile="1"))
    # pandas 'higher' = nearest rank = the maximum, for a P99 of at most 100 values.
    hi = pd.Series([100.0, 102, 98, 105, 101]).rolling(5).quantile(0.99, interpolation="higher").iloc[-1]
    assert hi == 105.0
    # Time windows: one-minute samples and [5m].
    ts = [0, 60, 120, 180, 240, 300]
    cases.append(rolling_case("[5m] of one-minute samples, Prometheus 3 (left-open)",
                              "Window (t - 300, t]: pandas rolling('300s', closed='right') and Prometheus's quantile rule.",
                              guide, times=ts, window_by="time", range=300, current="include"))
    cases.append(rolling_case("[5m] of one-minute samples, Prometheus 2 (closed)",
                              "Window [t - 300, t]: pandas rolling('300s', closed='both').", guide, times=ts,
                              window_by="time", range=300, range_edge="closed", current="include"))
    cases.append(rolling_case("[5m] before the point, closed edge = the guide's window",
                              "Window [t - 300, t): pandas closed='left'; the 5 values before 110.", guide, times=ts,
                              window_by="time", range=300, range_edge="closed"))
    # Drift: the guide's claim that the threshold follows a rise to 200.
    drift = [100, 102, 98, 105, 101, 110, 115, 122, 128, 135, 141, 148, 155, 161, 168, 175, 181, 188, 194,
             196, 200, 198, 200, 197]
    cases.append(rolling_case("drift to 200, then 210", "Exact windows; pandas rolling type 7.", drift + [210]))
    cases.append(rolling_case("drift to 200, then 110", "Exact windows; pandas rolling type 7.", drift + [110]))
    cases.append(rolling_case("drift with x 1.2", "Exact windows; pandas rolling type 7.", drift + [210], sensitivity=1.2))
    # Random series: lengths, windows, types, both window modes.
    rng = np.random.default_rng(20240611)
    for seed_case in range(6):
        n = int(rng.integers(40, 160))
        base = 100 + np.cumsum(rng.normal(0, 1, n))
        vals = [round(float(v), 2) for v in base + rng.normal(0, 3, n)]
        for j in rng.choice(n, 3, replace=False):
            vals[int(j)] = round(vals[int(j)] * 1.3, 2)
        w = int(rng.choice([1, 3, 5, 20]))
        pctl = float(rng.choice([50, 90, 95, 99, 99.9]))
        for t in (7, 1, int(rng.integers(2, 10))):
            cur = "include" if (seed_case + t) % 2 else "exclude"
            sens = float(rng.choice([1, 1.05, 1.2]))
            cases.append(rolling_case(f"random walk {seed_case}, w = {w}, P{pctl:g}, type {t}, {cur}, s = {sens:g}",
                                      "Exact windows, numpy.quantile per window" + ("; pandas rolling" if t == 7 else "") + ".",
                                      vals, window=w, percentile=pctl, quantile=str(t), current=cur, sensitivity=sens,
                                      compare="ge" if seed_case % 3 == 0 else "gt"))
    # Uneven timestamps with gaps, duration windows.
    t, times = 0.0, []
    vals = []
    for i in range(80):
        t += float(rng.choice([15, 30, 60, 60, 60, 120, 300]))
        times.append(t)
        vals.append(round(float(50 + 10 * math.sin(i / 7) + rng.normal(0, 2)), 2))
    for edge in ("open", "closed"):
        for cur in ("include", "exclude"):
            cases.append(rolling_case(f"uneven timestamps, [10m], {edge} edge, {cur}",
                                      "Windows from the definition; pandas time-based rolling with closed='right'/'both'/'neither'/'left'; Prometheus's quantile rule when the point is included.",
                                      vals, times=times, window_by="time", range=600, range_edge=edge, current=cur))
    cases.append(rolling_case("uneven timestamps, [10m], partial windows", "pandas time-based rolling, min_periods=1.",
                              vals, times=times, window_by="time", range=600, current="include", partial=True))
    # Gaps: NaN samples are skipped.
    gappy = [100, 102, float("nan"), 98, 105, float("nan"), 101, 110, 104, float("nan"), 150]
    cases.append(rolling_case("NaN gaps, samples window", "The window counts observed samples: pandas on the series without NaN.", gappy))
    cases.append(rolling_case("NaN gaps, time window", "A gap leaves fewer samples in (t - 300, t].", gappy, window_by="time",
                              range=300, current="include"))
    # Edge cases.
    cases.append(rolling_case("window longer than the data", "No point has 10 earlier samples: nothing is scored.",
                              [1, 2, 3], window=10))
    cases.append(rolling_case("window longer than the data, partial windows", "pandas min_periods=1.", [1, 2, 3],
                              window=10, partial=True))
    cases.append(rolling_case("n = 3, window 2", "Exact.", [5, 7, 9], window=2))
    cases.append(rolling_case("window of 1: the previous value", "P of one value is that value, for every type.",
                              [3, 5, 4, 8, 8, 2], window=1))
    cases.append(rolling_case("all values equal, >", "x = P: not above.", [7] * 8, window=3))
    cases.append(rolling_case("all values equal, >=", "x = P: at the threshold.", [7] * 8, window=3, compare="ge"))
    cases.append(rolling_case("ties at the top of the window", "Ties: P99 of [5, 9, 9, 9] is 9.", [5, 9, 9, 9, 9, 10],
                              window=4, percentile=99))
    cases.append(rolling_case("negative values, x 1.2", "A multiplier moves a negative threshold down.",
                              [-10, -12, -9, -11, -10, -5, -20], window=4, sensitivity=1.2))
    # Published worked examples.
    wiki = [15, 20, 35, 40, 50]
    for pc, want in ((5, 15), (30, 20), (40, 20), (50, 35), (100, 50)):
        c = rolling_case(f"Wikipedia nearest rank: P{pc} of 15, 20, 35, 40, 50", "Wikipedia, “Percentile”, nearest-rank method: "
                         f"the {pc}th percentile of 15, 20, 35, 40, 50 is {want}.", wiki + [60], quantile="1", percentile=pc)
        assert c["values"]["percentile"] == want
        cases.append(c)
    for typ, want, who in ((7, 29, "the C = 1 variant (Excel PERCENTILE.INC, numpy)"), (6, 26, "the C = 0 variant (NIST's primary method)"),
                           (5, 27.5, "the C = 1/2 variant")):
        c = rolling_case(f"Wikipedia P40, type {typ}", f"Wikipedia, “Percentile”, linear interpolation between closest ranks, {who}: "
                         f"the 40th percentile of 15, 20, 35, 40, 50 is {want}.", wiki + [60], quantile=str(typ), percentile=40)
        assert c["values"]["percentile"] == want, c["values"]
        cases.append(c)
    dolphin = [6, 47, 49, 15, 42, 41, 7, 39, 43, 40, 36]
    for pc, want in ((50, 40), (54, 40.4)):
        c = rolling_case(f"DolphinDB percentile(a, {pc})", f"DolphinDB documentation, percentile: a = {dolphin}, percentile(a, {pc}) = {want} (linear).",
                         dolphin + [45], window=11, percentile=pc)
        assert close(c["values"]["percentile"], want), c["values"]
        cases.append(c)
    c = rolling_case("DolphinDB cumpercentile(1..10, 25)", "DolphinDB documentation, cumpercentile: cumpercentile(1..10, 25) = "
                     "[1, 1.25, 1.5, ..., 3.25] (an expanding window: every earlier sample and the point itself).",
                     list(range(1, 11)), window=10, percentile=25, current="include", partial=True)
    assert c["scores"] == [num_out(x / (1 + 0.25 * (x - 1))) for x in range(1, 11)]
    cases.append(c)
    return cases


# ================================================================ CUSUM
CUSUM_DEFAULTS = {"target": "given", "mu": 100, "baseline": 10, "sigma_from": "given", "sigma": 1, "units": "data",
                  "slack": 0, "h": 5, "side": "upper", "compare": "ge", "reset": False, "shift": 1}
D2 = 2 / math.sqrt(math.pi)


def tabular_cusum(xs, mu, C, H, side, compare, reset):
    up = down = 0.0
    rows = []
    for x in xs:
        up = max(0.0, up + ((x - mu) - C))
        down = max(0.0, down + ((mu - x) - C))
        hit = lambda s: s > H or (compare == "ge" and s == H)
        alarm = (side != "lower" and hit(up)) or (side != "upper" and hit(down))
        for sv in (up, down):
            assert sv == H or abs(sv - H) > 1e-9 * max(1.0, abs(H)), ("a near tie with h", sv, H)
        rows.append((up, down, alarm))
        if alarm and reset:
            up = down = 0.0
    return rows


def siegmund(k, h, delta):
    d = delta - k
    b = h + 1.166
    if d == 0:
        return b * b
    return (math.exp(-2 * d * b) + 2 * d * b - 1) / (2 * d * d)


def phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def brook_evans(k, h, delta, m):
    """One-sided CUSUM ARL by Brook & Evans's Markov chain: state 0 is S = 0, states
    1..m-1 the midpoints of m-1... here m intervals of width w = 2h/(2m-1) (Lucas &
    Crosier's discretisation): state i stands for S in ((i-1/2)w, (i+1/2)w]."""
    w = 2 * h / (2 * m - 1)
    Pm = np.zeros((m, m))
    for i in range(m):
        u = i * w
        # next S = max(0, u + z - k), z ~ N(delta, 1)
        Pm[i, 0] = phi((w / 2) - u + k - delta)
        for j in range(1, m):
            Pm[i, j] = phi((j + 0.5) * w - u + k - delta) - phi((j - 0.5) * w - u + k - delta)
    L = np.linalg.solve(np.eye(m) - Pm, np.ones(m))
    return float(L[0])


def arl_markov(k, h, delta):
    a, b = brook_evans(k, h, delta, 400), brook_evans(k, h, delta, 800)
    return b + (b - a) / 3  # Richardson: the error falls as 1/m^2


def arl_sides(fn, side, delta):
    if side in ("upper", "lower"):
        return fn(delta)
    return 1 / (1 / fn(delta) + 1 / fn(-delta))


def cusum_case(name, reference, series, times=None, tolerance=TOL, **over):
    params = dict(CUSUM_DEFAULTS)
    params.update(over)
    vs = [float(v) for v in series]
    obs = [v for v in vs if not math.isnan(v)]
    k_base = params["baseline"]
    base = obs[:k_base]
    needs_base = params["target"] != "given" or params["sigma_from"] != "given"
    values = {"n": len(obs)}
    problem = needs_base and k_base > len(obs)
    mu = statistics.fmean(base) if params["target"] == "baseline" else float(params["mu"])
    if params["sigma_from"] == "baseline-sd":
        sigma = statistics.stdev(base) if len(base) > 1 else float("nan")
    elif params["sigma_from"] == "baseline-mr":
        mr = [abs(b - a) for a, b in zip(base, base[1:])]
        sigma = statistics.fmean(mr) / D2 if mr else float("nan")
    else:
        sigma = float(params["sigma"])
    in_sigma = params["units"] == "sigma"
    if in_sigma and not (sigma > 0):
        problem = True
    C = params["slack"] * sigma if in_sigma else float(params["slack"])
    H = params["h"] * sigma if in_sigma else float(params["h"])
    xcoord = [float(t) for t in times] if times is not None else [float(i) for i in range(len(vs))]
    obs_x = [xcoord[i] for i, v in enumerate(vs) if not math.isnan(v)]
    if not problem:
        values.update({"mu": mu, "sigma": sigma, "slack": C, "h": H})
    rows = [] if problem else tabular_cusum(obs, mu, C, H, params["side"], params["compare"], params["reset"])
    flags = [r[2] for r in rows] if rows else [False] * len(obs)
    side = params["side"]
    watched = [(r[0] if side == "upper" else r[1] if side == "lower" else max(r[0], r[1])) for r in rows]
    values["alarm"] = any(flags)
    values["alarms"] = sum(flags)
    first = flags.index(True) if any(flags) else None
    values["first_alarm"] = obs_x[first] if first is not None and not problem else None
    if not problem:
        values["s_upper"] = rows[-1][0] if side != "lower" else None
        values["s_lower"] = rows[-1][1] if side != "upper" else None
        values["s_max"] = max(watched)
    if first is not None and not problem:
        up_fired = side == "upper" or (side == "both" and rows[first][0] >= rows[first][1])
        sums = [r[0] if up_fired else r[1] for r in rows]
        start = 0
        for j in range(first - 1, -1, -1):
            if sums[j] == 0:
                start = j + 1
                break
        n_climb = first + 1 - start
        s_at = sums[first]
        values["change_start"] = obs_x[start]
        values["new_mean"] = mu + C + s_at / n_climb if up_fired else mu - C - s_at / n_climb
    elif not problem:
        values["change_start"] = None
        values["new_mean"] = None
        values["linear_growth"] = None
    if sigma > 0 and not problem:
        k, h = C / sigma, H / sigma
        values["k_sigma"], values["h_sigma"] = k, h
        values["arl0_siegmund"] = arl_sides(lambda d: siegmund(k, h, d), side, 0.0)
        values["arl1_siegmund"] = arl_sides(lambda d: siegmund(k, h, d), side, float(params["shift"]))
    inp = {"series": [None if math.isnan(v) else num_out(v) for v in vs]}
    if times is not None:
        inp["series.t"] = [num_out(t) for t in times]
    case = {"name": name, "reference": reference, "input": inp, "params": params,
            "values": {k: (v if isinstance(v, bool) or v is None else num_out(v)) for k, v in values.items()},
            "flags": flags, "scores": [num_out(v) for v in watched] if rows else [None] * len(obs),
            "tolerance": tolerance}
    return case


def arl_only_case(name, reference, k, h, side, shift, values, tolerance):
    """A case that checks run lengths only (published tables): σ = 1 given, k and h in σ."""
    params = dict(CUSUM_DEFAULTS)
    params.update({"units": "sigma", "slack": k, "h": h, "side": side, "shift": shift})
    return {"name": name, "reference": reference, "input": {"series": [0, 0, 0]}, "params": params,
            "values": values, "tolerance": tolerance}


def cusum_cases() -> list[dict]:
    cases = []
    guide = [100, 101, 101, 101, 101, 101]
    g = "The guide's CUSUM example (seed-errata row 9): plain-Python tabular CUSUM"
    # The guide's table again in exact arithmetic.
    s, exact = F(0), []
    for x in guide:
        s = max(F(0), s + (F(x) - 100 - 0))
        exact.append(s)
    assert exact == [0, 1, 2, 3, 4, 5]
    c = cusum_case("guide, S >= h", g + "; S = 0, 1, 2, 3, 4, 5 exactly; alarm at t = 5 with >=.", guide)
    c["values"]["linear_growth"] = True
    cases.append(c)
    c = cusum_case("guide, Page's S > h", g + "; with > the sum must pass 5: no alarm in six points.", guide, compare="gt")
    c["values"]["linear_growth"] = None
    cases.append(c)
    c = cusum_case("guide plus one more 101, S > h", g + "; with > the alarm comes at t = 6.", guide + [101], compare="gt")
    c["values"]["linear_growth"] = True
    cases.append(c)
    slow = [100] + [101] * 12
    c = cusum_case("slack 0.5 sigma (sigma = 1)", g + " with C = 0.5: alarm at t = 10.", slow, units="sigma", slack=0.5, h=5)
    assert c["values"]["first_alarm"] == 10
    c["values"]["linear_growth"] = True
    cases.append(c)
    # Montgomery & Runger, Example 16-6 / Table 16-8.
    mr = [102.0, 94.8, 98.3, 98.4, 102.0, 98.5, 99.0, 97.7, 100.0, 98.1, 101.3, 98.7, 101.1, 98.4, 97.0, 96.7,
          100.3, 101.4, 97.2, 101.0]
    published_sh = [2.0, 0, 0, 0, 2.0, 0.5, 0, 0, 0, 0, 1.3, 0, 1.1, 0, 0, 0, 0.3, 1.7, 0, 1.0]
    published_sl = [0, 3.2, 2.9, 2.5, 0, 0, 0, 0.3, 0, 0, 0, 0, 0, 0, 1.0, 2.3, 0, 0, 0.8, 0]
    rows = tabular_cusum(mr, 99.0, 1.0, 10.0, "both", "gt", False)
    for (su, sl, _), a, b in zip(rows, published_sh, published_sl):
        assert round(su, 1) == a and round(sl, 1) == b, (su, sl, a, b)
    c = cusum_case("Montgomery & Runger Example 16-6 (two-sided)",
                   "Montgomery & Runger, Applied Statistics and Probability for Engineers, Example 16-6, Table 16-8: "
                   "target 99, K = 1, H = 10, sH and sL to one decimal (checked); no signal. Values from the plain-Python CUSUM.",
                   mr, mu=99, slack=1, h=10, side="both", compare="gt", sigma=1)
    cases.append(c)
    # Lower side and two sides, reset.
    drop = [50, 51, 49, 50, 48, 47, 46, 47, 45, 46, 44, 45, 50, 51, 49]
    cases.append(cusum_case("lower side", "Plain-Python tabular CUSUM, S- only.", drop, mu=50, slack=0.5, h=4, side="lower"))
    cases.append(cusum_case("two-sided, reset after each alarm", "Plain-Python tabular CUSUM with both sums restarted at 0 after an alarm.",
                            [10, 11, 12, 12, 13, 12, 13, 12, 13, 12, 8, 7, 8, 7, 8, 7], mu=10, slack=0.5, h=3, side="both", reset=True))
    cases.append(cusum_case("upper side, no reset: every later point alarms", "Plain-Python tabular CUSUM.",
                            [10, 11, 12, 12, 13, 12, 13, 12, 13, 12], mu=10, slack=0.5, h=3))
    # Baseline estimates.
    rng = np.random.default_rng(7)
    noisy = [round(float(v), 3) for v in np.concatenate([rng.normal(20, 2, 30), rng.normal(22, 2, 30)])]
    for sf in ("baseline-sd", "baseline-mr"):
        c = cusum_case(f"mu and sigma from a 20-point baseline ({sf}), k = 0.5, h = 5",
                       "statistics.fmean / statistics.stdev, or the mean moving range / (2/sqrt(pi)); plain-Python CUSUM; "
                       "Siegmund in closed form; ARL of normal data by Brook-Evans Markov chains.",
                       noisy, target="baseline", baseline=20, sigma_from=sf, units="sigma", slack=0.5, h=5, side="both")
        c["values"].pop("linear_growth", None)
        cases.append(c)
    # Gaps and timestamps.
    gappy = [100, float("nan"), 101, 101, float("nan"), 101, 101, 101, 99]
    c = cusum_case("NaN gaps carry the sum over", "Plain-Python CUSUM over the observed values.", gappy)
    c["values"].pop("linear_growth", None)
    cases.append(c)
    c = cusum_case("timestamps: the alarm is reported at its time", "Plain-Python CUSUM; the first alarm's timestamp.",
                   [100, 101, 101, 101, 101, 101], times=[0, 60, 120, 240, 300, 420])
    c["values"]["linear_growth"] = True
    cases.append(c)
    # Edge cases.
    c = cusum_case("n = 3", "Plain-Python CUSUM.", [100, 104, 103])
    c["values"].pop("linear_growth", None)
    cases.append(c)
    c = cusum_case("all values equal to the target", "S stays 0.", [100] * 8)
    cases.append(c)
    c = cusum_case("zero-variance baseline with sigma units: undefined", "sigma = 0 makes k*sigma and h*sigma 0: no analysis.",
                   [5] * 12, target="baseline", sigma_from="baseline-sd", units="sigma", slack=0.5, h=5)
    c["values"] = {"n": 12, "alarm": False, "alarms": 0, "first_alarm": None}
    c["scores"] = [None] * 12
    cases.append(c)
    c = cusum_case("baseline longer than the series: undefined", "The baseline span cannot be filled.", [1, 2, 3, 4],
                   target="baseline", baseline=10)
    c["values"] = {"n": 4, "alarm": False, "alarms": 0, "first_alarm": None}
    c["scores"] = [None] * 4
    cases.append(c)
    # Run lengths against independent Markov chains and Siegmund.
    for k, h, side, shift in ((0.5, 5, "upper", 1), (0.5, 5, "both", 1), (0.5, 4, "both", 0.5), (0, 5, "upper", 1),
                              (1, 2.5, "both", 2), (0.25, 8, "upper", 0.5)):
        vals = {"arl0_siegmund": arl_sides(lambda d: siegmund(k, h, d), side, 0.0),
                "arl1_siegmund": arl_sides(lambda d: siegmund(k, h, d), side, shift),
                "arl0": arl_sides(lambda d: arl_markov(k, h, d), side, 0.0),
                "arl1": arl_sides(lambda d: arl_markov(k, h, d), side, shift)}
        cases.append(arl_only_case(f"ARL, k = {k}, h = {h}, {side}, shift {shift}",
                                   "Siegmund (closed form); ARL of normal data by Brook & Evans's Markov chain (400 and 800 states, Richardson).",
                                   k, h, side, shift, {kk: num_out(v) for kk, v in vals.items()}, 1e-6))
    # Montgomery's published ARL table (two-sided, k = 1/2), to three significant digits.
    table = [(0.0, 168, 465), (0.25, 74.2, 139), (0.5, 26.6, 38.0), (0.75, 13.3, 17.0), (1.0, 8.38, 10.4),
             (1.5, 4.75, 5.75), (2.0, 3.34, 4.01), (2.5, 2.62, 3.11), (3.0, 2.19, 2.57), (4.0, 1.71, 2.01)]
    for shift, h4, h5 in table:
        for h, want in ((4, h4), (5, h5)):
            key = "arl0" if shift == 0 else "arl1"
            cases.append(arl_only_case(f"Montgomery's ARL table, h = {h}, shift {shift}",
                                       "Montgomery & Runger, Applied Statistics and Probability for Engineers, Table 16-9 "
                                       "(= Montgomery, Introduction to Statistical Quality Control, Table 9.3): two-sided "
                                       f"tabular CUSUM, k = 1/2, h = {h}, shift {shift} sigma: ARL {want} (three digits).",
                                       0.5, h, "both", shift if shift > 0 else 1, {key: want}, 0.006))
    # The errata's Siegmund figures.
    cases.append(arl_only_case("Siegmund, k = 0.5, h = 5 (seed-errata)", "seed-errata row 9: one-sided 938, two-sided 469, 1 sigma 10.3.",
                               0.5, 5, "both", 1, {"arl0_siegmund": num_out(siegmund(0.5, 5, 0) / 2),
                                                   "arl1_siegmund": num_out(arl_sides(lambda d: siegmund(0.5, 5, d), "both", 1.0))}, 1e-12))
    assert round(siegmund(0.5, 5, 0)) == 938 and round(siegmund(0.5, 5, 0) / 2) == 469
    return cases


def main():
    paths = [write("rolling-percentile", rolling_cases()), write("cusum", cusum_cases())]
    for p in paths:
        doc = json.loads(p.read_text())
        print(f"{p.relative_to(HERE.parent.parent)}: {len(doc['cases'])} cases")


if __name__ == "__main__":
    main()
