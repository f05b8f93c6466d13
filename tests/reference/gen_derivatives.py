#!/usr/bin/env python3
"""Reference values for the rate-of-change methods, computed independently in Python.

Run from the repository root:

    python3 tests/reference/gen_derivatives.py            # writes the JSON files
    python3 tests/reference/gen_derivatives.py --series   # prints the lesson series

It writes, next to this script:

    tests/reference/derivative.json
    tests/reference/seasonal-derivative.json
    tests/reference/velocity-z-score.json
    tests/reference/ratio-of-rates.json
    tests/reference/frozen-signal.json

in the format of ``generate.py`` (see its docstring and ``tests/tests/references.rs``).
Missing samples travel as ``null`` in inputs; ``null`` in ``values`` or ``scores``
means the core must report the value as undefined.

Where the numbers come from
---------------------------
* Exact rational arithmetic (``fractions.Fraction``) on the binary values of the
  inputs: least-squares slopes and predictions as Σ(x−x̄)(y−ȳ)/Σ(x−x̄)², difference
  quotients, ratios and the seasonal differences, each rounded once to a double.
  ``numpy.polyfit`` agrees with every slope (asserted while generating).
* Prometheus's definitions, read in ``promql/functions.go`` (v3): a range ``[w]`` at
  time t holds the samples in (t − w, t] (Prometheus 2: [t − w, t]); ``deriv`` is the
  least-squares slope per second; ``predict_linear(v[w], h)`` is the fitted value at
  t + h; ``idelta`` is the last sample minus the one before; an instant lookup at τ
  takes the latest sample at or before τ within the lookback delta (5 minutes).
  Timestamps are whole milliseconds.
* Prometheus's published test values, typed in from
  ``promql/promqltest/testdata/functions.test`` in the Prometheus repository (cited in
  each case's ``reference``).
* Rolling means and standard deviations: ``numpy.mean``/``numpy.std(ddof=…)`` per
  window, cross-checked with ``pandas`` time-based rolling windows.

The lesson examples are read from ``lessons/*.toml`` (``tomllib``) so that the reference
covers exactly the data the lessons show; ``--series`` prints the deterministic series
those lessons were made from.

This script must stay independent of the Rust code: it does not port the core's
formulas (for instance, slopes here are exact rationals, not Kahan sums).
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GENERATED_BY = "tests/reference/gen_derivatives.py"
VERSIONS = {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__}
FUNCTIONS_TEST = ("Prometheus promql/promqltest/testdata/functions.test "
                  "(github.com/prometheus/prometheus)")


# ---------------------------------------------------------------- helpers
def q(x) -> F:
    return F(x) if isinstance(x, int) else F(float(x))


def num_out(x):
    if x is None:
        return None
    if isinstance(x, (bool, np.bool_)):
        raise TypeError("bool is not a number here")
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    if math.isnan(x):
        return None
    assert math.isfinite(x), "infinities have no JSON form"
    return x


def data_out(xs) -> list:
    return [num_out(x) for x in xs]


def case(name, reference, inp, params, values, flags=None, scores=None, tolerance=1e-12):
    c = {"name": name, "reference": reference, "input": inp, "params": params, "values": values,
         "tolerance": tolerance}
    if flags is not None:
        c["flags"] = [bool(b) for b in flags]
    if scores is not None:
        c["scores"] = data_out(scores)
    return c


def write(method: str, cases: list[dict]) -> Path:
    names = [c["name"] for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate case names in {method}: {dup}"
    doc = {"method": method, "generated_by": GENERATED_BY, "versions": VERSIONS, "cases": cases}
    path = HERE / f"{method}.json"
    text = json.dumps(doc, indent=1, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    assert len(text.encode("utf-8")) < 400_000, f"{path} is too large"
    return path


def to_ms(t: float) -> int:
    """Prometheus keeps whole milliseconds."""
    return int(round(t * 1000))


def parse_series(text: str):
    """The editor's reading of a one-column series: plain values, or `time, value` rows
    when every line holds exactly two numbers (two lines at least). NaN is a gap."""
    lines = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        toks = [t for t in line.replace(",", " ").replace(";", " ").split() if t]
        if toks:
            lines.append(toks)
    if len(lines) >= 2 and all(len(t) == 2 for t in lines):
        return [float(t[0]) for t in lines], [float(t[1]) for t in lines]
    return None, [float(t) for toks in lines for t in toks]


def parse_rows(text: str, width: int):
    rows = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        toks = [t for t in line.replace(",", " ").replace(";", " ").split() if t]
        if toks:
            rows.append([float(t) for t in toks])
    with_time = len(rows[0]) == width + 1
    t = [r[0] for r in rows] if with_time else None
    cols = [[r[i + (1 if with_time else 0)] for r in rows] for i in range(width)]
    return t, cols


def lesson(id_: str) -> dict:
    return tomllib.loads((ROOT / "lessons" / f"{id_}.toml").read_text(encoding="utf-8"))


def example(les: dict, ex_id: str) -> dict:
    return next(e for e in les["examples"] if e["id"] == ex_id)


def series_input(t, v) -> dict:
    inp = {"series": data_out(v)}
    if t is not None:
        inp["series.t"] = data_out(t)
    return inp


def present(t, v, step):
    """(time, value) of the present samples, times implied by the step when absent."""
    if t is None:
        t = [i * step for i in range(len(v))]
    return [(tt, vv) for tt, vv in zip(t, v) if not math.isnan(vv)]


def exact_fit(xs: list[F], ys: list[F]):
    """Least-squares slope and the means, exactly; None when every x is equal."""
    n = len(xs)
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if all(y == ys[0] for y in ys):
        return F(0), mx, my  # Prometheus: constant values have slope 0 without dividing
    if sxx == 0:
        return None, mx, my
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx, mx, my


def window_idx(ms: list[int], end: int, w_ms: int, closed: bool) -> list[int]:
    lo = ms[end] - w_ms
    return [j for j in range(end + 1) if (ms[j] >= lo if closed else ms[j] > lo)]


def check_polyfit(xs, ys, slope):
    if slope is None or len(xs) < 2 or len(set(xs)) < 2:
        return
    x = np.array([float(a) for a in xs])
    y = np.array([float(b) for b in ys])
    s = np.polyfit(x - x.mean(), y, 1)[0]
    assert abs(s - float(slope)) <= 1e-9 * max(1.0, abs(float(slope))), (s, float(slope))


# ---------------------------------------------------------------- derivative
UNITS = {"s": 1, "min": 60, "h": 3600}


def derivative_ref(t, v, params):
    """Everything the derivative method reports, from the definitions."""
    step = params.get("step", 60)
    unit = UNITS[params.get("unit", "s")]
    use_deriv = params.get("velocity", "deriv") == "deriv"
    w_ms = max(1, to_ms(params.get("window", 300)))
    closed = params.get("range", "open") == "closed"
    rule = params.get("rule", "velocity")
    vmax = F(str(params.get("max_velocity", 50)))
    amax = F(str(params.get("max_acceleration", 5)))
    ge = params.get("compare", "gt") == "ge"
    level = F(str(params.get("level", 90)))
    horizon = F(str(params.get("horizon", 3600)))
    pts = present(t, v, step)
    m = len(pts)
    ts = [q(a) for a, _ in pts]
    ys = [q(b) for _, b in pts]
    ms = [to_ms(a) for a, _ in pts]
    # Difference quotients and second differences, exactly.
    dv = [None] * m
    for k in range(1, m):
        dt = ts[k] - ts[k - 1]
        if dt > 0:
            dv[k] = (ys[k] - ys[k - 1]) / dt
    da = [None] * m
    for k in range(2, m):
        dtau = (ts[k] - ts[k - 2]) / 2
        if dtau > 0 and dv[k] is not None and dv[k - 1] is not None:
            da[k] = (dv[k] - dv[k - 1]) / dtau
    # deriv at every sample, exactly (x in seconds from whole milliseconds).
    dd = [None] * m
    for k in range(m):
        idx = window_idx(ms, k, w_ms, closed)
        if len(idx) >= 2:
            xs = [F(ms[j], 1000) for j in idx]
            yy = [ys[j] for j in idx]
            s, _, _ = exact_fit(xs, yy)
            check_polyfit(xs, yy, s)
            dd[k] = s
    dd_a = [None] * m
    for k in range(1, m):
        dt = ts[k] - ts[k - 1]
        if dt > 0 and dd[k] is not None and dd[k - 1] is not None:
            dd_a[k] = (dd[k] - dd[k - 1]) / dt
    vel = dd if use_deriv else dv
    acc = dd_a if use_deriv else da
    U = F(unit)
    vel_u = [None if x is None else x * U for x in vel]
    acc_u = [None if x is None else x * U * U for x in acc]

    def passes(a, lim):
        return a is not None and (abs(a) >= lim if ge else abs(a) > lim)

    flags = []
    for k in range(m):
        fv = rule != "acceleration" and passes(vel_u[k], vmax)
        fa = rule != "velocity" and passes(acc_u[k], amax)
        flags.append(fv or fa)
    vals = {"n": m, "flagged": sum(flags)}
    last = m - 1
    fl = lambda x: None if x is None else float(x)
    if m >= 1:
        vals["velocity_last"] = fl(vel_u[last])
        vals["acceleration_last"] = fl(acc_u[last])
        vals["static_alert"] = (ys[last] >= level) if ge else (ys[last] > level)
    if m >= 2:
        vals["velocity_prev"] = fl(vel_u[last - 1])
        idx = window_idx(ms, last, w_ms, closed)
        if len(idx) >= 2:
            xs = [F(ms[j], 1000) for j in idx]
            s, mx, my = exact_fit(xs, [ys[j] for j in idx])
            vals["deriv"] = fl(s)
            vals["deriv_in_unit"] = fl(None if s is None else s * U)
            if s is not None:
                t_eval = F(ms[last], 1000)
                vals["predict_linear"] = float(my + s * (t_eval + horizon - mx))
            vals["idelta"] = float(ys[last] - ys[last - 1]) if ts[last] > ts[last - 1] else None
        else:
            vals["deriv"] = None
            vals["idelta"] = None
            vals["predict_linear"] = None
        v_s = vel[last]
        if v_s is not None and v_s != 0 and (level - ys[last]) != 0 and ((level - ys[last]) > 0) == (v_s > 0):
            vals["time_to_level"] = float((level - ys[last]) / v_s)
        else:
            vals["time_to_level"] = None
        if vel_u[last] is None and acc_u[last] is None:
            vals["fires"] = None
        else:
            vals["fires"] = flags[last]
    defined = [x for x in vel_u if x is not None]
    if defined:
        vals["velocity_max"] = float(max(defined, key=abs))
    return vals, flags, [fl(x) for x in vel_u]


def derivative_cases():
    cases = []
    les = lesson("derivative")
    for ex in les["examples"]:
        t, v = parse_series(ex["data"]["series"])
        vals, flags, scores = derivative_ref(t, v, ex["params"])
        cases.append(case(f"lesson derivative/{ex['id']}",
                          "Exact rational differences and least-squares slopes of the lesson's data "
                          "(Prometheus's definitions of deriv, idelta, predict_linear; numpy.polyfit agrees).",
                          series_input(t, v), ex["params"], vals, flags, scores))

    # The guide's memory leak, checked against the seed errata's numbers too.
    vals, flags, scores = derivative_ref(None, [20, 21, 80], {"unit": "min", "velocity": "difference"})
    assert vals["velocity_last"] == 59 and vals["velocity_prev"] == 1 and vals["acceleration_last"] == 58
    assert vals["deriv"] == 0.5 and vals["deriv_in_unit"] == 30 and vals["idelta"] == 59
    assert abs(np.polyfit([0, 60, 120], [20, 21, 80], 1)[0] - 0.5) < 1e-15

    # Prometheus's published values (functions.test, "Tests for deriv() and predict_linear()").
    reset_middle = [0, 10, 20, 30, 40, 0, 10, 20, 30, 40, 50]  # load 5m: 0+10x4 0+10x5
    counter = [80 * i for i in range(11)]  # 0+80x10
    pub = [
        ("deriv(testcounter_reset_middle_total[100m]) at 50m = 0.010606060606060607",
         reset_middle, {"window": 6000}, {"deriv": 0.010606060606060607}),
        ("deriv(http_requests_total[50m]) at 50m = 0.26666666666666666",
         counter, {"window": 3000}, {"deriv": 0.26666666666666666}),
        ("predict_linear(testcounter_reset_middle_total[50m], 3600) at 50m = 70 (left-open range)",
         reset_middle, {"window": 3000, "horizon": 3600}, {"predict_linear": 70.0}),
        ("predict_linear(testcounter_reset_middle_total[55m] @ 3000, 3600) = 76.81818181818181",
         reset_middle, {"window": 3300, "horizon": 3600}, {"predict_linear": 76.81818181818181}),
        # The @ 3000 evaluated at 10m puts the intercept at 600 + 3600 = 4200 = 3000 + 1200.
        ("predict_linear(testcounter_reset_middle_total[55m] @ 3000, 3600) at 10m = 51.36363636363637 "
         "(the intercept at 600 + 3600 s, i.e. 1200 s after the range's end)",
         reset_middle, {"window": 3300, "horizon": 1200}, {"predict_linear": 51.36363636363637}),
        ("predict_linear(testcounter_reset_middle_total[55m] @ 3000, 3600) at 70m = 89.54545454545455 "
         "(the intercept at 4200 + 3600 s, i.e. 4800 s after the range's end)",
         reset_middle, {"window": 3300, "horizon": 4800}, {"predict_linear": 89.54545454545455}),
    ]
    for i, (what, data, extra, want) in enumerate(pub):
        params = {"step": 300, "velocity": "deriv", **extra}
        vals, flags, scores = derivative_ref(None, [float(x) for x in data], params)
        for k, w in want.items():
            assert abs(vals[k] - w) <= 1e-12 * max(1, abs(w)), (what, vals[k], w)
            vals[k] = w  # the published value itself
        cases.append(case(f"prometheus functions.test {i + 1}", f"{FUNCTIONS_TEST}: {what}.",
                          series_input(None, data), params, vals, flags, scores))
    # Prometheus 2's closed range keeps the sample at 0: all 11 samples, 76.81818181818181.
    params = {"step": 300, "velocity": "deriv", "window": 3000, "horizon": 3600, "range": "closed"}
    vals, flags, scores = derivative_ref(None, [float(x) for x in reset_middle], params)
    assert abs(vals["predict_linear"] - 76.81818181818181) < 1e-12
    cases.append(case("prometheus 2 closed range", f"{FUNCTIONS_TEST}, data of the predict_linear tests; "
                      "a closed range [t − 50m, t] holds all 11 samples (exact rational fit).",
                      series_input(None, reset_middle), params, vals, flags, scores))
    # idelta: load 5m http_requests{path="/foo"} 0 50 100 150, {path="/bar"} 0 50 100 50;
    # idelta(http_requests[20m]) at 20m = 50 and -50. http_requests_nan 1 NaN NaN 5 11 → 6
    # (a NaN is a missing sample here, so the last two present are 5 and 11, as there).
    for name, data, want in [("foo", [0, 50, 100, 150], 50.0), ("bar", [0, 50, 100, 50], -50.0),
                             ("nan", [1, float("nan"), float("nan"), 5, 11], 6.0)]:
        params = {"step": 300, "velocity": "deriv", "window": 1200}
        if name == "nan":
            params["window"] = 901  # [15m1s]
        vals, flags, scores = derivative_ref(None, [float(x) for x in data], params)
        assert vals["idelta"] == want, (name, vals["idelta"])
        cases.append(case(f"prometheus idelta {name}", f"{FUNCTIONS_TEST}: idelta(http_requests…) = {want:g}.",
                          series_input(None, data), params, vals, flags, scores))

    # Irregular timestamps, gaps, equal timestamps, one sample, large Unix times, units.
    rng = np.random.default_rng(20260515)
    t = np.cumsum(rng.choice([15.0, 30.0, 45.0, 60.0, 61.5], size=60))
    v = np.round(np.cumsum(rng.normal(0.4, 3.0, size=60)) + 500, 3)
    for unit, vel, w in [("s", "deriv", 300), ("min", "difference", 300), ("h", "deriv", 120), ("s", "deriv", 45)]:
        params = {"unit": unit, "velocity": vel, "window": w, "max_velocity": 0.2 * UNITS[unit],
                  "rule": "either", "max_acceleration": 0.001 * UNITS[unit] ** 2}
        vals, flags, scores = derivative_ref(list(t), list(v), params)
        cases.append(case(f"irregular timestamps, {vel}, per {unit}, w={w}",
                          "Seeded random irregular times (numpy default_rng 20260515); exact rational fits "
                          "and differences; numpy.polyfit agrees.", series_input(list(t), list(v)), params,
                          vals, flags, scores, tolerance=1e-10))
    vg = list(v)
    for i in (3, 4, 17, 40, 59):
        vg[i] = float("nan")
    params = {"velocity": "difference", "unit": "min", "max_velocity": 10}
    vals, flags, scores = derivative_ref(list(t), vg, params)
    cases.append(case("gaps are skipped", "NaN rows are missing samples: differences span them (exact).",
                      series_input(list(t), vg), params, vals, flags, scores, tolerance=1e-10))
    params = {"velocity": "deriv", "window": 600}
    vals, flags, scores = derivative_ref(list(t), vg, params)
    cases.append(case("gaps are skipped, deriv", "NaN rows are missing samples: deriv fits the others (exact).",
                      series_input(list(t), vg), params, vals, flags, scores, tolerance=1e-10))
    teq = [0.0, 60.0, 60.0, 120.0, 180.0]
    veq = [10.0, 12.0, 15.0, 15.0, 20.0]
    for vel in ("difference", "deriv"):
        params = {"velocity": vel, "window": 300, "max_velocity": 0.1}
        vals, flags, scores = derivative_ref(teq, veq, params)
        cases.append(case(f"equal timestamps, {vel}", "Δt = 0 leaves Δy/Δt undefined; a range with distinct "
                          "times still has a slope (exact).", series_input(teq, veq), params, vals, flags, scores))
    params = {"velocity": "deriv", "window": 300}
    vals, flags, scores = derivative_ref([0.0, 0.0, 0.0], [1.0, 2.0, 3.0], params)
    assert vals["deriv"] is None
    cases.append(case("every timestamp equal", "The x variance is 0: deriv is undefined (Prometheus: NaN).",
                      series_input([0.0, 0.0, 0.0], [1.0, 2.0, 3.0]), params, vals, flags, scores))
    params = {"velocity": "difference"}
    vals, flags, scores = derivative_ref(None, [float("nan"), 7.0, float("nan")], params)
    cases.append(case("one present sample", "One sample has no derivative: everything undefined, nothing fires.",
                      series_input(None, [float("nan"), 7.0, float("nan")]), params,
                      {"n": 1, "flagged": 0, "velocity_last": None, "deriv": None}, flags, scores))
    tu = [1.7e9 + 15.0 * i + (0.25 if i % 3 == 0 else 0.0) for i in range(40)]
    vu = [1e6 + 0.5 * i + ((i * 7) % 5) * 0.1 for i in range(40)]
    params = {"velocity": "deriv", "window": 200, "max_velocity": 0.6}
    vals, flags, scores = derivative_ref(tu, vu, params)
    cases.append(case("unix timestamps, values near 1e6", "Exact rational fits of times near 1.7e9 s "
                      "(fractional milliseconds kept) and values near 1e6.", series_input(tu, vu), params,
                      vals, flags, scores, tolerance=1e-9))
    return cases


# ---------------------------------------------------------------- seasonal derivative
def lookup(ms, at, lb):
    """Prometheus's instant lookup: latest sample at or before `at`, after `at − lb`."""
    i = int(np.searchsorted(np.array(ms, dtype=np.int64), at, side="right")) - 1
    if i < 0 or not ms[i] > at - lb:
        return None
    return i


def seasonal_ref(t, v, params):
    step = params.get("step", 60)
    lag = to_ms(params.get("lag", 120))
    season = to_ms(params.get("season", 604800))
    lb = to_ms(params.get("lookback", 300))
    buf = F(str(params.get("buffer", 500)))
    both = params.get("direction", "up") == "both"
    ge = params.get("compare", "gt") == "ge"
    pts = present(t, v, step)
    ms = [to_ms(a) for a, _ in pts]
    ys = [q(b) for _, b in pts]
    m = len(pts)
    now, hist, excess = [None] * m, [None] * m, [None] * m
    for k in range(m):
        b = lookup(ms, ms[k] - lag, lb)
        s = lookup(ms, ms[k] - season, lb)
        sb = lookup(ms, ms[k] - season - lag, lb)
        if b is not None:
            now[k] = ys[k] - ys[b]
        if s is not None and sb is not None:
            hist[k] = ys[s] - ys[sb]
        if now[k] is not None and hist[k] is not None:
            excess[k] = now[k] - hist[k]

    def passes(x):
        if x is None:
            return False
        x = abs(x) if both else x
        return x >= buf if ge else x > buf

    flags = [passes(x) for x in excess]
    naive = [passes(x) for x in now]
    vals = {"n": m, "evaluated": sum(x is not None for x in excess), "flagged": sum(flags),
            "naive_flagged": sum(naive)}
    cand = [k for k in range(m) if excess[k] is not None]
    if cand:
        key = (lambda k: abs(excess[k])) if both else (lambda k: excess[k])
        best = max(cand, key=key)  # ties keep the earliest
        best = min(k for k in cand if key(k) == key(best))
        vals.update({"excess_max": float(excess[best]), "excess_max_t": pts[best][0],
                     "change_now_at_max": float(now[best]), "change_season_at_max": float(hist[best])})
    else:
        vals.update({"excess_max": None, "excess_max_t": None})
    if m:
        vals["excess_last"] = None if excess[-1] is None else float(excess[-1])
        vals["fires"] = None if excess[-1] is None else flags[-1]
    return vals, flags, [None if x is None else float(x) for x in excess]


def seasonal_cases():
    cases = []
    les = lesson("seasonal-derivative")
    for ex in les["examples"]:
        t, v = parse_series(ex["data"]["series"])
        vals, flags, scores = seasonal_ref(t, v, ex["params"])
        cases.append(case(f"lesson seasonal-derivative/{ex['id']}",
                          "Exact differences of the lesson's series with Prometheus's offset lookup "
                          "(latest sample at or before, within the lookback delta; numpy.searchsorted).",
                          series_input(t, v), ex["params"], vals, flags, scores))
    # Irregular times and gaps: a daily pattern sampled every 4–6 minutes.
    rng = np.random.default_rng(7)
    t = list(np.cumsum(rng.choice([240.0, 300.0, 360.0], size=700)))
    hour = [(x % 86400) / 3600 for x in t]
    v = [float(round(1000 + (2500 if 9 <= h < 17 else 0) + rng.integers(-30, 31))) for h in hour]
    for i in rng.choice(len(v), size=25, replace=False):
        v[int(i)] = float("nan")
    for params in ({"season": 86400, "lag": 300, "buffer": 400},
                   {"season": 86400, "lag": 600, "buffer": 300, "direction": "both", "compare": "ge"},
                   {"season": 86400, "lag": 300, "buffer": 400, "lookback": 200}):
        vals, flags, scores = seasonal_ref(t, v, params)
        cases.append(case(f"irregular times with gaps {params}", "Exact differences; Prometheus's offset lookup "
                          "(numpy.searchsorted on whole milliseconds).", series_input(t, v), params, vals, flags,
                          scores))
    params = {"season": 604800, "lag": 120}
    vals, flags, scores = seasonal_ref(None, [1.0, 2.0, 3.0, 4.0], params)
    cases.append(case("no history one season back", "Four minutes of data cannot look a week back: nothing is "
                      "evaluated.", series_input(None, [1.0, 2.0, 3.0, 4.0]), params, vals, flags, scores))
    return cases


# ---------------------------------------------------------------- z-score of velocity
def vz_ref(t, v, params):
    step = params.get("step", 60)
    k_sig = F(str(params.get("threshold", 3)))
    w = params.get("window", 3600)
    per_s = params.get("velocity", "idelta") == "rate"
    use_mean = params.get("center", "zero") == "mean"
    ddof = 1 if params.get("sd", "population") == "sample" else 0
    incl = params.get("baseline", "included") == "included"
    min_count = params.get("min_count", 1)
    ge = params.get("compare", "gt") == "ge"
    pts = present(t, v, step)
    m = len(pts)
    ts = [a for a, _ in pts]
    vel = [float("nan")] * m
    for k in range(1, m):
        dy = q(pts[k][1]) - q(pts[k - 1][1])
        dt = q(ts[k]) - q(ts[k - 1])
        if per_s:
            vel[k] = float(dy / dt) if dt > 0 else float("nan")
        else:
            vel[k] = float(dy)
    arr = np.array(vel)
    score = [float("nan")] * m
    flags = [False] * m
    means = [float("nan")] * m
    sds = [float("nan")] * m
    for k in range(m):
        idx = [j for j in range(m) if ts[j] > ts[k] - w and (j <= k if incl else j < k) and not math.isnan(vel[j])]
        win = arr[idx]
        if len(win):
            means[k] = float(np.mean(win))
            if len(win) - ddof > 0:
                sds[k] = float(np.std(win, ddof=ddof))
        if math.isnan(vel[k]) or len(win) < max(1, min_count) or math.isnan(sds[k]):
            continue
        c = means[k] if use_mean else 0.0
        d = vel[k] - c
        sd = sds[k]
        if sd > 0:
            score[k] = d / sd
        elif d != 0:
            score[k] = math.copysign(math.inf, d)
        if not math.isnan(score[k]):
            a = abs(score[k])
            flags[k] = a >= float(k_sig) if ge else a > float(k_sig)
    # pandas time-window cross-check of the included, population case.
    if incl and ddof == 0 and m > 2:
        s = pd.Series(arr, index=pd.to_datetime(np.array(ts) * 1e9))
        ps = s.rolling(f"{int(w * 1000)}ms", closed="right").std(ddof=0)
        for k in range(m):
            if not math.isnan(vel[k]) and not math.isnan(sds[k]) and not math.isnan(ps.iloc[k]):
                assert abs(ps.iloc[k] - sds[k]) <= 1e-9 * max(1.0, sds[k]), (k, ps.iloc[k], sds[k])
    vals = {"n": m, "velocities": int(np.sum(~np.isnan(arr))), "flagged": sum(flags), "alert": any(flags)}
    cand = [k for k in range(m) if not math.isnan(score[k])]
    if cand:
        best = max(cand, key=lambda k: abs(score[k]))
        best = min(k for k in cand if abs(score[k]) == abs(score[best]))
        vals.update({"velocity_max": vel[best], "mean_at_max": means[best], "sd_at_max": sds[best]})
        if math.isfinite(score[best]):
            vals["score_max"] = score[best]
    if m:
        vals["velocity_last"] = vel[-1]
        vals["sd_last"] = sds[-1]
        if math.isfinite(score[-1]) or math.isnan(score[-1]):
            vals["score_last"] = score[-1]
    finite_scores = None if any(math.isinf(x) for x in score) else score
    return vals, flags, finite_scores


def vz_cases():
    cases = []
    les = lesson("velocity-z-score")
    for ex in les["examples"]:
        t, v = parse_series(ex["data"]["series"])
        vals, flags, scores = vz_ref(t, v, ex["params"])
        cases.append(case(f"lesson velocity-z-score/{ex['id']}",
                          "numpy.mean / numpy.std(ddof) over each trailing time window of exact velocities; "
                          "pandas time-based rolling std agrees.", series_input(t, v), ex["params"], vals, flags,
                          scores))
    # Prometheus: load 10s, metric 0 8 8 2 3; stddev_over_time(metric[1m]) at 1m = 3.249615.
    # As velocities: the series 0, 0, 8, 16, 18, 21 (10 s apart) has idelta 0, 8, 8, 2, 3.
    v = [0.0, 0.0, 8.0, 16.0, 18.0, 21.0]
    params = {"step": 10, "window": 60, "min_count": 1}
    vals, flags, scores = vz_ref(None, v, params)
    assert abs(vals["sd_last"] - 3.249615) < 5e-7
    cases.append(case("prometheus stddev_over_time", f"{FUNCTIONS_TEST}: stddev_over_time of 0 8 8 2 3 over 1m "
                      "is 3.249615 (population SD); here those are the velocities (numpy.std agrees).",
                      series_input(None, v), params, vals, flags, scores))
    rng = np.random.default_rng(99)
    t = list(np.cumsum(rng.choice([50.0, 60.0, 70.0], size=150)))
    v = list(np.round(np.cumsum(rng.normal(0, 1, size=150)) + 50, 2))
    v[60] += 12
    v[100] = float("nan")
    for params in ({"window": 1800}, {"window": 1800, "center": "mean", "sd": "sample"},
                   {"window": 900, "baseline": "excluded", "center": "mean", "velocity": "rate"},
                   {"window": 3600, "threshold": 2, "compare": "ge", "min_count": 10}):
        vals, flags, scores = vz_ref(t, v, params)
        cases.append(case(f"random walk with a jump {params}", "numpy.std(ddof) per trailing time window "
                          "(seeded default_rng 99); pandas rolling agrees.", series_input(t, v), params, vals,
                          flags, scores))
    return cases


# ---------------------------------------------------------------- ratio of rates
def ratio_ref(t, res, work, params):
    step = params.get("step", 60)
    n = len(res)
    if t is None:
        t = [i * step for i in range(n)]
    keep = [i for i in range(n) if not (math.isnan(res[i]) or math.isnan(work[i]))]
    ts = [t[i] for i in keep]
    ms = [to_ms(x) for x in ts]
    r = [q(res[i]) for i in keep]
    w = [q(work[i]) for i in keep]
    m = len(keep)
    ge = params.get("compare", "gt") == "ge"
    if params.get("check", "cost") == "latency":
        w_ms = max(1, to_ms(params.get("window", 300)))
        closed = params.get("range", "open") == "closed"
        tol = F(str(params.get("traffic_tolerance", 0)))
        dl, dq = [None] * m, [None] * m
        for k in range(m):
            idx = window_idx(ms, k, w_ms, closed)
            if len(idx) >= 2:
                xs = [F(ms[j], 1000) for j in idx]
                dl[k] = exact_fit(xs, [r[j] for j in idx])[0]
                dq[k] = exact_fit(xs, [w[j] for j in idx])[0]
                check_polyfit(xs, [r[j] for j in idx], dl[k])
        flags = [dl[k] is not None and dq[k] is not None and dl[k] > 0 and dq[k] <= tol for k in range(m)]
        vals = {"n": m, "flagged": sum(flags), "literal_flagged": 0, "literal_fires": False}
        if m:
            vals["deriv_latency"] = None if dl[-1] is None else float(dl[-1])
            vals["deriv_traffic"] = None if dq[-1] is None else float(dq[-1])
            vals["fires"] = flags[-1]
        return vals, flags, [None if x is None else float(x) for x in dl]
    factor = F(str(params.get("factor", 2)))
    season = to_ms(params.get("season", 604800))
    lb = to_ms(params.get("lookback", 300))

    inf, nan = float("inf"), float("nan")

    def ratio(a, b):
        """resource / workload: exact when the workload is positive, else ±inf or nan."""
        if b > 0:
            return a / b
        return nan if a == 0 else math.copysign(inf, a)

    def passes(a, lim):
        if isinstance(a, float) and math.isnan(a) or isinstance(lim, float) and math.isnan(lim):
            return False
        return a >= lim if ge else a > lim

    ratios = [ratio(r[k], w[k]) for k in range(m)]
    base = []
    for k in range(m):
        j = lookup(ms, ms[k] - season, lb)
        base.append(nan if j is None else ratios[j])
    limit = [b * factor if isinstance(b, F) else b for b in base]
    flags = [passes(ratios[k], limit[k]) for k in range(m)]
    finite = lambda x: isinstance(x, F)
    drawn = [k for k in range(m) if finite(ratios[k])]
    moved = sum(1 for k in range(1, m) if w[k] != w[k - 1])
    vals = {"n": m, "flagged": sum(flags), "intervals_moved": moved, "zero_workload": sum(1 for x in w if x == 0)}
    test = next((k for k in range(m - 1, -1, -1) if not (isinstance(base[k], float) and math.isnan(base[k]))),
                m - 1 if m else None)
    if test is not None:
        a, b = ratios[test], base[test]
        if finite(a) or math.isnan(a):
            vals["ratio"] = float(a) if finite(a) else None
        if finite(b) or math.isnan(b):
            vals["ratio_season"] = float(b) if finite(b) else None
        if finite(b):
            vals["limit"] = float(limit[test])
        if finite(a) and finite(b) and b != 0:
            vals["jump"] = float(a / b)
            vals["change"] = float(a / b - 1)
    if m:
        vals["fires"] = None if isinstance(base[-1], float) and math.isnan(base[-1]) else flags[-1]
        if m >= 2:
            vals["marginal"] = float((r[-1] - r[-2]) / (w[-1] - w[-2])) if w[-1] != w[-2] else None
    jump = []
    for k in drawn:
        b = base[k]
        if finite(b) and b != 0:
            jump.append(float(ratios[k] / b))
        elif finite(b) and ratios[k] == 0 or not finite(b) and math.isnan(b):
            jump.append(None)
        else:
            jump = None
            break
    return vals, [flags[k] for k in drawn], jump


def ratio_cases():
    cases = []
    les = lesson("ratio-of-rates")
    for ex in les["examples"]:
        t, (res, work) = parse_rows(ex["data"]["rates"], 2)
        vals, flags, scores = ratio_ref(t, res, work, ex["params"])
        inp = {"rates.resource": data_out(res), "rates.workload": data_out(work)}
        if t is not None:
            inp["rates.t"] = data_out(t)
        cases.append(case(f"lesson ratio-of-rates/{ex['id']}",
                          "Exact rational ratios, difference quotients and least-squares slopes of the lesson's "
                          "rows; Prometheus's offset lookup.", inp, ex["params"], vals, flags, scores))
    rng = np.random.default_rng(3)
    n = 300
    t = [60.0 * i for i in range(n)]
    rps = [float(round(800 + 400 * math.sin(i / 20) + rng.integers(-20, 21))) for i in range(n)]
    cpu = [round(5 + 0.01 * x + float(rng.normal(0, 0.2)) + (6 if i > 250 else 0), 3) for i, x in enumerate(rps)]
    rps[40] = 0.0
    cpu[41] = float("nan")
    for params in ({"season": 7200, "factor": 1.3}, {"season": 3600, "factor": 1.1, "compare": "ge"},
                   {"check": "latency", "window": 300}, {"check": "latency", "window": 600, "range": "closed",
                                                        "traffic_tolerance": 0.05}):
        vals, flags, scores = ratio_ref(t, cpu, rps, params)
        inp = {"rates.t": data_out(t), "rates.resource": data_out(cpu), "rates.workload": data_out(rps)}
        cases.append(case(f"cpu and traffic {params}", "Exact rational ratios and slopes (seeded default_rng 3).",
                          inp, params, vals, flags, scores, tolerance=1e-10))
    return cases


# ---------------------------------------------------------------- frozen signal
def frozen_ref(t, v, params):
    step = params.get("step", 60)
    eps = F(str(params.get("epsilon", 0.0001)))
    min_d = F(str(params.get("min_duration", 300)))
    use_deriv = params.get("estimator", "difference") == "deriv"
    w_ms = max(1, to_ms(params.get("window", 300)))
    closed = params.get("range", "open") == "closed"
    strict = params.get("compare", "lt") != "le"
    pts = present(t, v, step)
    m = len(pts)
    ts = [q(a) for a, _ in pts]
    ys = [q(b) for _, b in pts]
    ms = [to_ms(a) for a, _ in pts]
    diff = [None] * m
    for k in range(1, m):
        if ts[k] > ts[k - 1]:
            diff[k] = (ys[k] - ys[k - 1]) / (ts[k] - ts[k - 1])
    starts = [window_idx(ms, k, w_ms, closed)[0] for k in range(m)]
    if use_deriv:
        tested = []
        for k in range(m):
            idx = window_idx(ms, k, w_ms, closed)
            tested.append(exact_fit([F(ms[j], 1000) for j in idx], [ys[j] for j in idx])[0] if len(idx) >= 2 else None)
    else:
        tested = diff
    ok = [x is not None and (abs(x) < eps if strict else abs(x) <= eps) for x in tested]
    runs = []
    k = 0
    while k < m:
        if not ok[k]:
            k += 1
            continue
        a = k
        while k + 1 < m and ok[k + 1]:
            k += 1
        first = min(starts[a], a) if use_deriv else max(a - 1, 0)
        runs.append((first, k, ts[first], ts[k]))
        k += 1
    flags = [False] * m
    frozen = [r for r in runs if r[3] - r[2] >= min_d]
    for f0, f1, _, _ in frozen:
        for j in range(f0, f1 + 1):
            flags[j] = True
    sizes = [abs(float(x)) for x in diff if x is not None]
    vals = {"n": m, "runs": len(runs), "frozen_runs": len(frozen), "frozen": bool(frozen),
            "frozen_now": flags[-1] if m else False, "flagged": sum(flags),
            "typical_velocity": float(np.median(sizes)) if sizes else None}
    if runs:
        best = max(runs, key=lambda r: r[3] - r[2])
        best = next(r for r in runs if r[3] - r[2] == best[3] - best[2])
        vals.update({"longest": float(best[3] - best[2]), "longest_start": float(best[2]),
                     "longest_end": float(best[3]), "longest_samples": best[1] - best[0] + 1})
    else:
        vals["longest"] = None
    return vals, flags, [None if x is None else float(x) for x in tested]


def frozen_cases():
    cases = []
    les = lesson("frozen-signal")
    for ex in les["examples"]:
        t, v = parse_series(ex["data"]["series"])
        vals, flags, scores = frozen_ref(t, v, ex["params"])
        cases.append(case(f"lesson frozen-signal/{ex['id']}",
                          "Exact rational differences and least-squares slopes; runs found by a plain scan; "
                          "numpy.median of |Δy/Δt|.", series_input(t, v), ex["params"], vals, flags, scores))
    rng = np.random.default_rng(11)
    t = list(np.cumsum(rng.choice([10.0, 15.0, 20.0], size=400)))
    v = list(np.round(200 + np.cumsum(rng.normal(0, 1, size=400)), 1))
    for i in range(120, 170):
        v[i] = v[119]
    for i in range(300, 310):
        v[i] = v[299]
    v[150] = float("nan")
    for params in ({}, {"min_duration": 100, "compare": "le", "epsilon": 0.01},
                   {"estimator": "deriv", "window": 120, "min_duration": 200},
                   {"estimator": "deriv", "window": 60, "range": "closed", "epsilon": 0.001}):
        vals, flags, scores = frozen_ref(t, v, params)
        cases.append(case(f"random walk with stuck stretches {params}", "Exact differences and slopes; a plain "
                          "scan for runs (seeded default_rng 11).", series_input(t, v), params, vals, flags, scores))
    return cases


# ---------------------------------------------------------------- the lessons' series
def lcg(seed: int):
    x = seed
    while True:
        x = (1103515245 * x + 12345) % (1 << 31)
        yield x >> 16


def seasonal_series() -> list[int]:
    """Two days of requests per second at five-minute resolution (index 0 = day 1, 00:00):
    a login ramp at 9:00 on both days, the evening decline at 18:00, and on day 2 only a
    burst at 3:00."""
    noise = lcg(2024)
    out = []
    for k in range(2 * 288):
        minute = (k * 5) % 1440
        day = k // 288
        h = minute / 60
        if h < 9:
            base = 1000
        elif h < 9.25:
            base = 1000 + 1000 * round((minute - 540) / 5)
        elif h < 18:
            base = 4000
        elif h < 18.5:
            base = 4000 - 500 * round((minute - 1080) / 5)
        else:
            base = 1000
        if day == 1 and 3 * 60 < minute <= 3 * 60 + 30:
            base += min(2, (minute - 180) // 5) * 800
        out.append(base + next(noise) % 41 - 20)
    return out


def vz_series(jitter: float, steady_leak: float = 0.0) -> list[float]:
    """Three hours of an error rate at one-minute resolution; at minute 150 the rate steps
    up by 0.5 and stays there."""
    noise = lcg(77)
    out = []
    for k in range(180):
        base = 2.0 + steady_leak * k + (0.5 if k >= 150 else 0.0)
        out.append(round(base + jitter * ((next(noise) % 11) - 5), 3))
    return out


def frozen_series() -> list[float]:
    """Ninety minutes of requests per second at one-minute resolution; from minute 40 to
    minute 56 a zombie repeats 100."""
    noise = lcg(5)
    out = []
    for k in range(90):
        out.append(100.0 if 40 <= k <= 56 else round(100 + ((next(noise) % 61) - 30) / 10, 1))
    return out


def print_series():
    def rows(values, per_line, label):
        lines = []
        for i in range(0, len(values), per_line):
            lines.append(", ".join(f"{x:g}" for x in values[i:i + per_line]) + f"  # {label(i)}")
        return "\n".join(lines)

    s = seasonal_series()
    print("seasonal (5-min, two days):")
    print(rows(s, 12, lambda i: f"day {i // 288 + 1}, {(i % 288) * 5 // 60:02d}:00"))
    for name, series in [("calm", vz_series(0.01)), ("chaotic", vz_series(0.2)), ("steady leak", vz_series(0.01, 0.05))]:
        print(f"\nvelocity z ({name}):")
        print(rows(series, 15, lambda i: f"minute {i}"))
    print("\nfrozen:")
    print(rows(frozen_series(), 15, lambda i: f"minute {i}"))


def main():
    if "--series" in sys.argv:
        print_series()
        return
    written = []
    for method, make in [("derivative", derivative_cases), ("seasonal-derivative", seasonal_cases),
                         ("velocity-z-score", vz_cases), ("ratio-of-rates", ratio_cases),
                         ("frozen-signal", frozen_cases)]:
        cases = make()
        written.append((write(method, cases), len(cases)))
    for path, n in written:
        print(f"{path.relative_to(ROOT)}: {n} cases")


if __name__ == "__main__":
    main()
