#!/usr/bin/env python3
"""Reference values for the calculus methods of alertmath, computed independently.

Run from the repository root:

    python3 tests/reference/gen_calculus.py

It writes, next to this script:

    tests/reference/finite-differences.json
    tests/reference/gradient.json
    tests/reference/jacobian.json

in the format of generate.py (see its docstring and tests/tests/references.rs): each
case has "name", "reference", "input", "params" (every parameter of the method),
"values" (null where the core reports the value as undefined, "inf" for +infinity),
optional "scores"/"flags", and the relative "tolerance".

How the numbers are obtained
----------------------------
* Exact derivatives: sympy differentiates the functions symbolically, and the results
  are evaluated in exact rational arithmetic (fractions.Fraction) or at 60 digits.
* Elementary functions: exp with decimal.Decimal.exp, sin and cos by their Taylor
  series in decimal arithmetic with pi from Machin's formula, all at 70 digits and
  rounded once to the nearest double.  These are *correctly rounded* values; the
  script counts, for the lesson inputs, where the platform's libm (glibc) rounds
  differently, and asserts that it never differs by more than one ulp.
* Finite differences in floating point: the textbook formulas
  (f(x+h)-f(x))/h, (f(x)-f(x-h))/h, (f(x+h)-f(x-h))/(2h) evaluated in IEEE double
  with correctly rounded function values.  Round-off is part of what the lesson
  shows (the error curve at h = 1e-12), so these must agree bit for bit with any
  other IEEE evaluation of the same formulas on the same function values.  In the
  truncation regime they are also checked against the exact rational closed forms
  (M/M/1: 1/(20(20-h)), 1/(20(20+h)), 1/(400-h^2)).
* Sampled data: numpy.gradient (second order inside, first order at the ends) and
  numpy.diff; the numpy documentation's own example of numpy.gradient is a case.
* Linear algebra: exact determinants, singular values (the square roots of the
  eigenvalues of J^T J, from the characteristic polynomial at 60 digits) and
  condition numbers, cross-checked against numpy.linalg.svd, numpy.linalg.cond and
  numpy.linalg.det.
* Optimal steps: the published rules of thumb sqrt(eps) and eps^(1/3) (e.g. Press et
  al., Numerical Recipes, 3rd ed., section 5.7); with measurement noise the
  leading-order optimum is derived in the lesson and checked here by a seeded Monte
  Carlo simulation, and the exact minimiser of the RMS error comes from
  scipy.optimize.minimize_scalar.
* Worked numbers of the companion articles' instantiation
  (../shared/reference/seed-errata.md rows 29-31) are cited in the cases.

Libraries: Python standard library (fractions, decimal, math, json), numpy, scipy,
sympy.  Random numbers come from numpy.random.default_rng with fixed seeds.

Independence: nothing here is ported from crates/alertmath-core.  The functions are
the textbook ones, differentiated by sympy; the singular values come from the
characteristic polynomial, not from the core's closed form.
"""

from __future__ import annotations

import json
import math
import platform
from decimal import Decimal as D, getcontext
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import scipy
import sympy as sp
from scipy.optimize import minimize_scalar

getcontext().prec = 70
HERE = Path(__file__).resolve().parent
GENERATED_BY = "tests/reference/gen_calculus.py"
VERSIONS = {
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "sympy": sp.__version__,
}
EPS = float(np.finfo(float).eps)
REPORT: list[str] = []


# ---------------------------------------------------------------- exact elementary functions
def _pi() -> D:
    getcontext().prec = 90

    def atan_inv(n: int) -> D:
        x = D(1) / n
        total, term, k, sign, n2 = D(0), x, 1, 1, D(n) * n
        while True:
            t = term / k
            if t < D(10) ** -88:
                break
            total += sign * t
            term /= n2
            k += 2
            sign = -sign
        return total

    value = 16 * atan_inv(5) - 4 * atan_inv(239)
    getcontext().prec = 70
    return +value


PI = _pi()


def _reduce(x: D) -> D:
    two_pi = 2 * PI
    return x - two_pi * (x / two_pi).to_integral_value()


def _series(x: D, start: D, first_power: int) -> D:
    """sum of (-1)^k x^(2k+p)/(2k+p)! with p = first_power (0: cos, 1: sin)."""
    total = D(0)
    term = start
    k = first_power
    while True:
        total += term
        term = -term * x * x / ((k + 1) * (k + 2))
        k += 2
        if abs(term) < D(10) ** -75:
            return total


def dsin(x) -> D:
    x = _reduce(D(x))
    return _series(x, x, 1)


def dcos(x) -> D:
    x = _reduce(D(x))
    return _series(x, D(1), 0)


def cr_exp(x: float) -> float:
    return float(D(x).exp())


def cr_sin(x: float) -> float:
    return float(dsin(x))


def cr_cos(x: float) -> float:
    return float(dcos(x))


def deg(d) -> D:
    return D(d) * PI / 180


def ulps(a: float, b: float) -> int:
    return abs(int(np.float64(a).view(np.int64)) - int(np.float64(b).view(np.int64)))


LIBM_CHECKS = {"total": 0, "differ": 0}


def libm_check(mine: float, theirs: float) -> None:
    LIBM_CHECKS["total"] += 1
    d = ulps(mine, theirs)
    assert d <= 1, (mine, theirs)
    LIBM_CHECKS["differ"] += d > 0


# ---------------------------------------------------------------- output helpers
def clean(v):
    """JSON value: finite floats as they are, +inf as "inf", None as null."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = float(v)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    assert not math.isnan(v)
    return v


def write(method: str, cases: list[dict]) -> None:
    doc = {"method": method, "generated_by": GENERATED_BY, "versions": VERSIONS, "cases": cases}
    for c in cases:
        c["values"] = {k: clean(v) for k, v in c["values"].items()}
        if "scores" in c:
            c["scores"] = [clean(v) for v in c["scores"]]
    path = HERE / f"{method}.json"
    path.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    REPORT.append(f"{path.name}: {len(cases)} cases")


# ================================================================ finite differences
FD_DEFAULTS = {"function": "mm1", "x": 80.0, "mu": 100.0, "h": 1.0, "noise": 0.0, "scheme": "central",
               "threshold": 0.003, "efficiency": "accuracy"}
DECADES = [1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2,
           1e-1, 1e0, 1e1]

lam, t = sp.symbols("lam t")


class Fn:
    """A built-in function of one variable: float evaluation (correctly rounded) and
    exact derivatives from sympy."""

    def __init__(self, name: str, mu: float = 100.0):
        self.name, self.mu = name, mu
        if name == "mm1":
            expr = 1 / (sp.Rational(F(mu).numerator, F(mu).denominator) - t)
        elif name == "exp":
            expr = sp.exp(t)
        elif name == "sin":
            expr = sp.sin(t)
        else:
            expr = t ** 2
        self.derivs = [sp.diff(expr, t, k) for k in (1, 2, 3)]

    def defined(self, x: float) -> bool:
        return x < self.mu if self.name == "mm1" else True

    def f(self, x: float) -> float:
        if self.name == "mm1":
            return 1.0 / (self.mu - x) if x < self.mu else math.nan
        if self.name == "exp":
            v = cr_exp(x)
            libm_check(v, math.exp(x))
            return v
        if self.name == "sin":
            v = cr_sin(x)
            libm_check(v, math.sin(x))
            return v
        return x * x

    def d(self, k: int, x: float) -> float:
        if not self.defined(x):
            return math.nan
        e = self.derivs[k - 1]
        return float(sp.N(e.subs(t, sp.Rational(F(x).numerator, F(x).denominator)), 40))


def estimates(fn: Fn, x: float, h: float):
    fx, fp, fm = fn.f(x), fn.f(x + h), fn.f(x - h)
    return (fp - fx) / h, (fx - fm) / h, (fp - fm) / (2 * h)


def nan_to_none(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def fd_function_case(name: str, reference: str, tolerance: float = 1e-12, keys=None, **params) -> dict:
    p = dict(FD_DEFAULTS, **params)
    fn = Fn(p["function"], p["mu"])
    x, h, sigma = p["x"], p["h"], p["noise"]
    values: dict = {}
    if fn.name == "mm1" and x >= fn.mu:
        values["exact"] = None
        return {"name": name, "reference": reference, "input": {}, "params": p, "values": values,
                "tolerance": tolerance}
    exact = fn.d(1, x)
    d2, d3 = fn.d(2, x), fn.d(3, x)
    values["f_x"] = fn.f(x)
    values["exact"] = exact
    if h > 0:
        fwd, bwd, cen = estimates(fn, x, h)
    else:
        fwd = bwd = cen = math.nan
    for key, est in (("forward", fwd), ("backward", bwd), ("central", cen)):
        values[key] = nan_to_none(est)
        values[f"err_{key}"] = nan_to_none(est - exact)
        values[f"rel_{key}"] = None if exact == 0 else nan_to_none(est / exact - 1)
    # Best decade step.
    table = []
    for hh in DECADES:
        e = [abs(v - exact) for v in estimates(fn, x, hh)]
        table.append(e)
    for i, key in enumerate(("forward", "backward", "central")):
        best = (math.nan, math.inf)
        for hh, e in zip(DECADES, table):
            if not math.isnan(e[i]) and e[i] < best[1]:
                best = (hh, e[i])
        values[f"best_h_{key}"] = nan_to_none(best[0])
        values[f"best_err_{key}"] = None if math.isinf(best[1]) else best[1]
    # Slopes between h = 1e-3 and 1e-2, where truncation (not round-off) dominates:
    # sympy's third derivative vanishes for t^2, so the central difference of a
    # quadratic has no truncation error to measure.
    scale = abs(values["f_x"]) + abs(x * exact)
    for i, key, trunc, rnd in ((0, "forward", 1e-3 * abs(d2) / 2, EPS * scale / 1e-3),
                               (2, "central", 1e-6 * abs(d3) / 6, EPS * scale / 2e-3)):
        e1, e2 = table[13][i], table[14][i]
        ok = trunc > 100 * rnd and e1 > 0 and e2 > 0
        values[f"slope_{key}"] = math.log10(e2 / e1) if ok else None
    values["sqrt_eps"] = math.sqrt(EPS)
    values["cbrt_eps"] = float(D(EPS) ** (D(1) / D(3)))
    lag = x - h / 2
    values["slope_at_lag"] = fn.d(1, lag) if fn.defined(lag) else None
    if h > 0 and not math.isnan(cen):
        values["central_more_accurate"] = abs(cen - exact) < abs(fwd - exact) and abs(cen - exact) < abs(bwd - exact)
    if p["efficiency"] == "evaluations":
        values["forward_less_efficient"] = False  # n + 1 evaluations against 2n
    elif h > 0 and not math.isnan(fwd) and not math.isnan(cen):
        values["forward_less_efficient"] = abs(fwd - exact) > abs(cen - exact)
    chosen = {"forward": fwd, "backward": bwd, "central": cen}[p["scheme"]]
    if not math.isnan(chosen):
        values["alert"] = chosen > p["threshold"]
    values["exact_alert"] = exact > p["threshold"]
    if sigma > 0:
        values["noise_sd_forward"] = math.sqrt(2) * sigma / h
        values["noise_sd_central"] = sigma / (math.sqrt(2) * h)
        values["h_star_forward"] = math.sqrt(2 * math.sqrt(2) * sigma / abs(d2)) if d2 != 0 else None
        values["h_star_central"] = (3 * sigma / (math.sqrt(2) * abs(d3))) ** (1 / 3) if d3 != 0 else None
        values["h_star_central_rms"] = (3 * sigma / abs(d3)) ** (1 / 3) if d3 != 0 else None
    if keys is not None:
        values = {k: v for k, v in values.items() if k in keys}
    return {"name": name, "reference": reference, "input": {}, "params": p, "values": values,
            "tolerance": tolerance}


def noisy_minimisers(mu: float, x: float, sigma: float, tolerance: float) -> dict:
    """The exact RMS-optimal steps for the M/M/1 latency with noise sigma (scipy), and a
    seeded Monte Carlo simulation that checks them and the leading-order formulas."""
    fn = Fn("mm1", mu)
    exact = fn.d(1, x)
    room = mu - x

    def rms(h, central):
        est = estimates(fn, x, h)[2 if central else 0]
        var = sigma ** 2 / (2 * h * h) if central else 2 * sigma ** 2 / (h * h)
        return math.sqrt((est - exact) ** 2 + var)

    out = {}
    for key, central in (("h_rms_forward", False), ("h_rms_central", True)):
        r = minimize_scalar(lambda h: rms(h, central), bounds=(1e-3, room * (1 - 1e-9)), method="bounded",
                            options={"xatol": 1e-12})
        out[key] = float(r.x)

    # Seeded simulation: noisy measurements of W, RMS error of each scheme per step.
    rng = np.random.default_rng(20260223)
    n = 40_000
    hs = np.exp(np.linspace(np.log(0.5), np.log(room * 0.9), 400))
    noise = rng.normal(0.0, sigma, size=(3, n))  # at x - h, x, x + h (common random numbers)
    sim = {}
    for key, central in (("forward", False), ("central", True)):
        errs = []
        for h in hs:
            wp = 1 / (mu - (x + h)) + noise[2]
            w0 = 1 / (mu - x) + noise[1]
            wm = 1 / (mu - (x - h)) + noise[0]
            est = (wp - wm) / (2 * h) if central else (wp - w0) / h
            errs.append(float(np.sqrt(np.mean((est - exact) ** 2))))
        sim[key] = float(hs[int(np.argmin(errs))])
    d2, d3 = fn.d(2, x), fn.d(3, x)
    formula_f = math.sqrt(2 * math.sqrt(2) * sigma / d2)
    formula_c = (3 * sigma / (math.sqrt(2) * d3)) ** (1 / 3)
    formula_c_rms = (3 * sigma / d3) ** (1 / 3)
    # The simulation finds the exact minimisers (within its sampling and grid error)...
    assert abs(sim["forward"] / out["h_rms_forward"] - 1) < 0.06, (sim, out)
    assert abs(sim["central"] / out["h_rms_central"] - 1) < 0.06, (sim, out)
    # ... and the RMS error at the leading-order steps is within a few percent of the
    # minimum (the curve is flat there), which is what "about 3.4 and 3.8" claims.
    for h_formula, key, central in ((formula_f, "h_rms_forward", False), (formula_c, "h_rms_central", True),
                                    (formula_c_rms, "h_rms_central", True)):
        ratio = rms(h_formula, central) / rms(out[key], central)
        assert ratio < 1.05, (h_formula, ratio)
    REPORT.append(
        "M/M/1 with sigma = %g: leading-order best steps %.4f (forward) and %.4f (central; %.4f minimising the RMS); "
        "exact RMS minimisers %.4f and %.4f; seeded simulation (40,000 draws, 400 steps) %.4f and %.4f"
        % (sigma, formula_f, formula_c, formula_c_rms, out["h_rms_forward"], out["h_rms_central"], sim["forward"],
           sim["central"]))
    return out


def numpy_gradient_case(name: str, reference: str, xs, ys, threshold: float, scheme: str = "central") -> dict:
    xs = np.asarray(xs, float)
    ys = np.asarray(ys, float)
    central = np.gradient(ys, xs)  # second order inside, first order at the ends
    slopes = np.diff(ys) / np.diff(xs)
    forward = np.append(slopes, np.nan)
    backward = np.insert(slopes, 0, np.nan)
    chosen = {"central": central, "forward": forward, "backward": backward}[scheme]
    finite = [(v, i) for i, v in enumerate(chosen) if not math.isnan(v)]
    vmax, imax = max(finite)
    imax = min(i for v, i in finite if v == vmax)
    spacing = np.diff(xs)
    flags = [bool(v > threshold) for v in chosen]
    values = {"n": len(xs), "spacing_min": float(spacing.min()), "spacing_max": float(spacing.max()),
              "uniform": bool(spacing.max() - spacing.min() <= 1e-9 * spacing.max()),
              "interior": len(xs) - 2, "slope_max": float(vmax), "x_at_max": float(xs[imax]),
              "flagged": sum(flags)}
    p = dict(FD_DEFAULTS, threshold=threshold, scheme=scheme)
    return {"name": name, "reference": reference,
            "input": {"samples.x": xs.tolist(), "samples.y": ys.tolist()}, "params": p, "values": values,
            "scores": [None if math.isnan(v) else float(v) for v in chosen], "flags": flags,
            "tolerance": 1e-12}


def finite_difference_cases() -> list[dict]:
    cases = []
    errata = "seed-errata.md row 29 (companion article on partial derivatives)"
    c = fd_function_case(
        "M/M/1 latency W = 1/(mu - lambda), mu = 100, lambda = 80, h = 1",
        f"{errata}: dW/dlambda = 0.0025; forward 0.002632 (+5.3%), backward 0.002381 (-4.8%), central 0.002506 "
        "(+0.25%). Exact closed forms 1/(20(20-h)), 1/(20(20+h)), 1/(400-h^2) checked in rational arithmetic; "
        "derivatives by sympy; IEEE evaluation of the difference formulas.")
    v = c["values"]
    for key, closed in (("forward", F(1, 380)), ("backward", F(1, 420)), ("central", F(1, 399))):
        assert abs(v[key] / float(closed) - 1) < 1e-13, key
    assert round(v["forward"], 6) == 0.002632 and round(v["backward"], 6) == 0.002381
    assert round(v["central"], 6) == 0.002506 and round(v["rel_forward"], 3) == 0.053
    cases.append(c)
    cases.append(fd_function_case("M/M/1 at h = 1, per-evaluation efficiency", errata
                                  + ": a gradient costs n + 1 evaluations forward, 2n central.",
                                  efficiency="evaluations"))
    cases.append(fd_function_case(
        "M/M/1 at the threshold 0.0025: the truncation error fires the alert",
        "Exact derivative 1/400 equals the threshold and does not pass '>'; the central estimate 1/399 does.",
        threshold=0.0025))
    c = fd_function_case(
        "exp at x = 1: the best step, h = 1e-8",
        f"{errata}: best h 1e-8 forward (|error| 6.6e-9) and 1e-5 central (5.9e-11); sqrt(eps) = 1.5e-8 and "
        "eps^(1/3) = 6.1e-6 (Numerical Recipes 3rd ed., sec. 5.7). exp correctly rounded (decimal).",
        function="exp", x=1.0, h=1e-8, threshold=3.0)
    v = c["values"]
    assert v["best_h_forward"] == 1e-8 and v["best_h_central"] == 1e-5
    assert f"{v['best_err_forward']:.11e}" == "6.60275079056e-09", v["best_err_forward"]
    assert f"{v['best_err_central']:.11e}" == "5.85869130987e-11", v["best_err_central"]
    cases.append(c)
    cases.append(fd_function_case("exp at x = 1, h = 1e-3 (truncation regime)",
                                  "Exact derivative e; IEEE difference formulas on correctly rounded exp.",
                                  function="exp", x=1.0, h=1e-3))
    cases.append(fd_function_case("sin at x = 0.5, h = 0.01", "Exact derivative cos 0.5 (sympy); correctly rounded sin.",
                                  function="sin", x=0.5, h=0.01))
    cases.append(fd_function_case("sin at x = -2, h = 1e-6, backward scheme",
                                  "Exact derivative cos(-2); correctly rounded sin.", function="sin", x=-2.0, h=1e-6,
                                  scheme="backward"))
    c = fd_function_case(
        "t^2 at t = 10, h = 1: the backward difference lags",
        f"{errata}: the backward difference of t^2 at t = 10 with h = 1 is 19, the exact slope at t = 9.5 "
        "(for a quadratic (f(t) - f(t-h))/h = f'(t - h/2) exactly).", function="square", x=10.0)
    assert c["values"]["backward"] == 19 and c["values"]["slope_at_lag"] == 19
    cases.append(c)
    c = fd_function_case(
        "M/M/1 with 1 ms noise: best steps",
        f"{errata}: with 1 ms noise the best h is about 3.4 (forward) and 3.8 (central) req/s. Leading-order "
        "optimum of truncation + noise SD: sqrt(2 sqrt2 sigma/|W''|), (3 sigma/(sqrt2 |W'''|))^(1/3); the RMS "
        "optimum for central is (3 sigma/|W'''|)^(1/3). Exact RMS minimisers by scipy.optimize.minimize_scalar, "
        "checked by a seeded Monte Carlo simulation.", tolerance=1e-6, noise=0.001, h=3.4)
    c["values"].update(noisy_minimisers(100.0, 80.0, 0.001, 1e-6))
    assert round(c["values"]["h_star_forward"], 1) == 3.4 and round(c["values"]["h_star_central"], 1) == 3.8
    cases.append(c)
    cases.append(fd_function_case("exp with noise 1e-3 at x = 0", "Leading-order optimal steps with sympy derivatives.",
                                  tolerance=1e-12, function="exp", x=0.0, noise=0.001, h=0.05,
                                  keys={"noise_sd_forward", "noise_sd_central", "h_star_forward", "h_star_central",
                                        "h_star_central_rms", "exact"}))
    # Edge cases.
    cases.append(fd_function_case("h = 0: no estimate (0/0)", "Every difference quotient is 0/0 at h = 0.", h=0.0))
    c = fd_function_case(
        "M/M/1, lambda + h >= mu: forward and central undefined, backward defined",
        "At lambda = 95, h = 10 the forward point lambda + h = 105 exceeds mu = 100 (W infinite); the backward "
        "difference (W(95) - W(85))/10 = (1/5 - 1/15)/10 = 1/75.", x=95.0, h=10.0)
    assert abs(c["values"]["backward"] - 1 / 75) < 1e-15 and c["values"]["forward"] is None
    cases.append(c)
    cases.append(fd_function_case("M/M/1, lambda = mu: undefined", "W = 1/(mu - lambda) is infinite at lambda = mu.",
                                  x=100.0))
    # Sampled data.
    lams = np.arange(76.0, 85.0)
    cases.append(numpy_gradient_case(
        "samples of W at lambda = 76..84 (even spacing)",
        "numpy.gradient (second order inside, first order at the ends) and numpy.diff.",
        lams, 1.0 / (100.0 - lams), threshold=0.003))
    x_uneven = [0.0, 0.5, 1.5, 1.8, 3.0, 4.2, 4.3]
    cases.append(numpy_gradient_case(
        "uneven spacing, y = x^3", "numpy.gradient with coordinates (second-order formula on uneven spacing).",
        x_uneven, [v ** 3 for v in x_uneven], threshold=20.0))
    doc_x = [0.0, 1.0, 1.5, 3.5, 4.0, 6.0]
    doc_y = [1.0, 2.0, 4.0, 7.0, 11.0, 16.0]
    c = numpy_gradient_case(
        "numpy.gradient documentation example",
        "NumPy reference, numpy.gradient: f = [1, 2, 4, 7, 11, 16], x = [0, 1, 1.5, 3.5, 4, 6] gives "
        "[1, 3, 3.5, 6.7, 6.9, 2.5].", doc_x, doc_y, threshold=6.8)
    assert np.allclose(c["scores"], [1.0, 3.0, 3.5, 6.7, 6.9, 2.5])
    cases.append(c)
    c = numpy_gradient_case("forward scheme on the documentation example", "numpy.diff.", doc_x, doc_y, threshold=2.5,
                            scheme="forward")
    cases.append(c)
    return cases


# ================================================================ gradient and mixed partials
GR_DEFAULTS = {"function": "latency", "x": 4.0, "y": 320.0, "mu": 100.0, "direction": 0.0, "h": 1e-3,
               "h_inner": 1e-7}
X, Y = sp.symbols("x y")


def gr_expr(name: str, mu: float):
    if name == "latency":
        m = sp.Rational(F(mu).numerator, F(mu).denominator)
        return 1 / (m - Y / X)
    if name == "x2y3":
        return X ** 2 * Y ** 3
    return X * Y * (X ** 2 - Y ** 2) / (X ** 2 + Y ** 2)


def q(v: float):
    fr = F(v)
    return sp.Rational(fr.numerator, fr.denominator)


def gr_exact(name: str, mu: float, x: float, y: float, phi: float) -> dict:
    expr = gr_expr(name, mu)
    at = {X: q(x), Y: q(y)}
    if name == "clairaut" and x == 0 and y == 0:
        # At the origin the formula is 0/0: the partials come from the limits.
        # df/dx(0, y) = -y and df/dy(x, 0) = x (sympy, along the axes).
        fx_axis = sp.simplify(sp.diff(expr, X).subs(X, 0))
        fy_axis = sp.simplify(sp.diff(expr, Y).subs(Y, 0))
        assert fx_axis == -Y and fy_axis == X
        vals = {"f": 0, "fx": 0, "fy": 0, "fxx": 0, "fyy": 0,
                "fxy": sp.diff(fx_axis, Y), "fyx": sp.diff(fy_axis, X)}
    else:
        vals = {"f": expr, "fx": sp.diff(expr, X), "fy": sp.diff(expr, Y), "fxx": sp.diff(expr, X, 2),
                "fyy": sp.diff(expr, Y, 2), "fxy": sp.diff(expr, X, Y), "fyx": sp.diff(expr, Y, X)}
    out = {k: float(sp.N(sp.sympify(v).subs(at), 50)) for k, v in vals.items()}
    ph = sp.pi * q(phi) / 180
    out["directional"] = float(sp.N(sp.sympify(vals["fx"]).subs(at) * sp.cos(ph) + sp.sympify(vals["fy"]).subs(at)
                                    * sp.sin(ph), 50))
    out["grad_norm"] = math.hypot(out["fx"], out["fy"])
    out["clairaut_holds"] = out["fxy"] == out["fyx"]
    return out


def gr_fd_exact(name: str, mu: float, x: float, y: float, h: float, k: float) -> dict:
    """The finite-difference formulas in exact rational arithmetic on the binary inputs:
    the truncation error without round-off (round-off is covered by the tolerance)."""
    expr = gr_expr(name, mu)

    def f(a: F, b: F) -> F:
        if name == "clairaut" and a == 0 and b == 0:
            return F(0)
        if name == "latency" and not (a > 0 and F(mu) * a - b > 0):
            raise ValueError("outside the domain")
        v = sp.Rational(1) * expr.subs({X: sp.Rational(a.numerator, a.denominator),
                                        Y: sp.Rational(b.numerator, b.denominator)})
        v = sp.nsimplify(v)
        return F(int(v.p), int(v.q))

    xq, yq, hq, kq = F(x), F(y), F(h), F(k)
    out = {}
    try:
        out["fx_fd"] = float((f(xq + hq, yq) - f(xq - hq, yq)) / (2 * hq))
        out["fy_fd"] = float((f(xq, yq + hq) - f(xq, yq - hq)) / (2 * hq))
        out["stencil"] = float((f(xq + hq, yq + hq) - f(xq + hq, yq - hq) - f(xq - hq, yq + hq)
                                + f(xq - hq, yq - hq)) / (4 * hq * hq))
        gx = lambda a, b: (f(a + kq, b) - f(a - kq, b)) / (2 * kq)  # noqa: E731
        gy = lambda a, b: (f(a, b + kq) - f(a, b - kq)) / (2 * kq)  # noqa: E731
        out["nested_fxy"] = float((gx(xq, yq + hq) - gx(xq, yq - hq)) / (2 * hq))
        out["nested_fyx"] = float((gy(xq + hq, yq) - gy(xq - hq, yq)) / (2 * hq))
    except ValueError:
        pass
    return out


def gradient_cases() -> list[dict]:
    cases = []

    def case(name, reference, tolerance, values, **params):
        p = dict(GR_DEFAULTS, **params)
        cases.append({"name": name, "reference": reference, "input": {}, "params": p, "values": values,
                      "tolerance": tolerance})

    errata = "seed-errata.md row 30 (Clairaut)"
    for fn, x, y, phi, ref in (
        ("x2y3", 1.0, 2.0, 45.0, f"{errata}: x^2 y^3 at (1, 2), f_xy = f_yx = 24"),
        ("x2y3", -1.5, 0.5, 120.0, "x^2 y^3 elsewhere"),
        ("clairaut", 0.0, 0.0, 30.0, f"{errata}: the counterexample at the origin: d/dy(df/dx) = -1, "
                                       "d/dx(df/dy) = +1 (limits along the axes)"),
        ("clairaut", 1.0, 2.0, 0.0, "the counterexample away from the origin, where it is smooth"),
        ("latency", 4.0, 320.0, 0.0, "latency of n M/M/1 replicas sharing a load lambda: W = 1/(mu - lambda/n)"),
        ("latency", 8.0, 500.0, 90.0, "latency model, 8 replicas, 500 req/s"),
    ):
        exact = gr_exact(fn, 100.0, x, y, phi)
        case(f"{fn} at ({x:g}, {y:g}), exact partials", ref + "; sympy derivatives evaluated at 50 digits.", 1e-12,
             exact, function=fn, x=x, y=y, direction=phi)
        # The nested differences divide by k·h: their round-off is about eps·|f|/(k·h). For the
        # latency (|f| = 0.05 against mixed partials of 1e-3) the inner step is 1e-5 here.
        k = 1e-5 if fn == "latency" else 1e-7
        fd = gr_fd_exact(fn, 100.0, x, y, 1e-3, k)
        case(f"{fn} at ({x:g}, {y:g}), finite differences", ref + "; the difference formulas in exact rational "
             "arithmetic (no round-off), tolerance for the IEEE round-off of the nested differences.", 1e-6, fd,
             function=fn, x=x, y=y, direction=phi, h_inner=k)
    # The errata's numbers.
    fd = gr_fd_exact("x2y3", 100.0, 1.0, 2.0, 1e-3, 1e-7)
    assert f"{fd['stencil']:.10f}".startswith("24.000002"), fd
    fd = gr_fd_exact("clairaut", 100.0, 0.0, 0.0, 1e-3, 1e-7)
    assert round(fd["nested_fxy"], 8) == -0.99999998 and round(fd["nested_fyx"], 8) == 0.99999998, fd
    assert fd["stencil"] == 0.0
    case("counterexample at the origin: the stencil is exactly 0", f"{errata}: the symmetric stencil gives 0", 1e-12,
         {"stencil": 0.0, "clairaut_holds": False, "fxy": -1.0, "fyx": 1.0}, function="clairaut", x=0.0, y=0.0)
    # Edge cases.
    case("latency model, overloaded: undefined", "lambda/n = 125 >= mu = 100: W is infinite", 1e-12, {"f": None},
         function="latency", x=2.0, y=250.0)
    fy_edge = float(sp.N(sp.diff(gr_expr("latency", 100.0), Y).subs({X: q(4.0), Y: q(399.9)}), 50))
    case("latency model, the difference step crosses the overload boundary",
         "At n = 4, lambda = 399.9 (mu n - lambda = 0.1), n - h = 3.5 gives lambda/n > mu: the central "
         "differences are undefined; the exact partials are not.", 1e-12,
         {"fx_fd": None, "fy_fd": None, "stencil": None, "fy": fy_edge}, function="latency", x=4.0, y=399.9, h=0.5)
    return cases


# ================================================================ Jacobian
JA_DEFAULTS = {"map": "polar", "u": 2.0, "v": 60.0, "l1": 1.0, "l2": 1.0, "side": 0.2, "h": 1e-6,
               "threshold": 50.0, "compare": "gt"}


def exact_jacobian(m: str, u: float, v: float, l1: float = 1.0, l2: float = 1.0):
    """J as 60-digit decimals (angles in degrees, derivatives per radian)."""
    if m == "polar":
        r, th = D(u), deg(v)
        return [[dcos(th), -r * dsin(th)], [dsin(th), r * dcos(th)]]
    if m == "arm":
        t1, t12 = deg(u), deg(u) + deg(v)
        a, b = D(l1), D(l2)
        return [[-a * dsin(t1) - b * dsin(t12), -b * dsin(t12)], [a * dcos(t1) + b * dcos(t12), b * dcos(t12)]]
    if m == "square":
        return [[2 * D(u), D(0)], [D(v), D(u)]]
    if m == "swap":
        return [[D(0), D(1)], [D(1), D(0)]]
    if m == "mm1":
        lm, mu = D(u), D(v)
        w2 = 1 / ((mu - lm) ** 2)
        return [[w2, -w2], [1 / mu, -lm / mu ** 2]]
    raise ValueError(m)


def matrix_facts(J) -> dict:
    """det, trace, singular values (from the characteristic polynomial of J^T J) and the
    condition number, in decimal arithmetic."""
    (a, b), (c, d) = J
    det = a * d - b * c
    if abs(det) < D(10) ** -50:  # zero up to the 70-digit trigonometry (sin 180 deg)
        det = D(0)
    # J^T J = [[a^2 + c^2, ab + cd], [ab + cd, b^2 + d^2]]; eigenvalues of a symmetric 2x2.
    p, qq, r = a * a + c * c, a * b + c * d, b * b + d * d
    tr, disc = p + r, ((p - r) ** 2 + 4 * qq * qq).sqrt()
    l1 = (tr + disc) / 2
    l2 = (det * det) / l1 if l1 > 0 else D(0)  # product of the eigenvalues is det^2
    smax, smin = l1.sqrt(), l2.sqrt()
    cond = (math.nan if smax == 0 else (math.inf if smin == 0 else float(smax / smin)))
    out = {"det": float(det), "trace": float(a + d), "sigma_max": float(smax), "sigma_min": float(smin),
           "cond": None if math.isnan(cond) else cond,
           "invertible": det != 0, "orientation_preserved": None if det == 0 else det > 0,
           "log_abs_det": "-inf" if det == 0 else float(abs(det).ln())}
    # numpy cross-checks.
    Jf = np.array([[float(a), float(b)], [float(c), float(d)]])
    sv = np.linalg.svd(Jf, compute_uv=False)
    assert abs(sv[0] - out["sigma_max"]) <= 1e-12 * max(1.0, out["sigma_max"]), (sv, out)
    assert abs(sv[1] - out["sigma_min"]) <= 1e-12 * max(1.0, out["sigma_max"]), (sv, out)
    assert abs(np.linalg.det(Jf) - out["det"]) <= 1e-12 * max(1.0, abs(Jf).max() ** 2)
    if out["cond"] is not None and math.isfinite(out["cond"]) and out["cond"] < 1e8:
        assert abs(np.linalg.cond(Jf) / out["cond"] - 1) < 1e-10, (np.linalg.cond(Jf), out["cond"])
    return out


def jacobian_cases() -> list[dict]:
    cases = []

    def case(name, reference, tolerance, values, input_=None, **params):
        p = dict(JA_DEFAULTS, **params)
        cases.append({"name": name, "reference": reference, "input": input_ or {}, "params": p, "values": values,
                      "tolerance": tolerance})

    errata = "seed-errata.md row 31 (companion article on the Jacobian)"

    def builtin(name, ref, m, u, v, l1=1.0, l2=1.0, threshold=50.0, tolerance=1e-12, extra=None):
        J = exact_jacobian(m, u, v, l1, l2)
        vals = {"j11": float(J[0][0]), "j12": float(J[0][1]), "j21": float(J[1][0]), "j22": float(J[1][1])}
        vals.update(matrix_facts(J))
        if vals["cond"] is None:
            pass
        vals["guard_trips"] = (not vals["invertible"]) or (vals["cond"] is not None and vals["cond"] > threshold)
        vals["cond_below_threshold"] = bool(vals["invertible"] and vals["cond"] < threshold)
        # Forward mode: J e1 is column 1; a reverse pass with e1 would give row 1.
        vals["jvp_1"], vals["jvp_2"] = vals["j11"], vals["j21"]
        vals["jvp_is_column_1"] = True
        vals["jvp_is_row_1"] = vals["j21"] == vals["j12"]
        vals.update(extra or {})
        case(name, ref + " Exact trigonometry in decimal arithmetic; singular values from the eigenvalues of "
             "J^T J; numpy.linalg.svd, cond and det agree.", tolerance, vals, map=m, u=u, v=v, l1=l1, l2=l2,
             threshold=threshold)
        return vals

    v = builtin("polar at r = 2, theta = 60 deg", f"{errata}: det = 2 = r, sigma = (2, 1), cond 2; a JVP with e1 "
                "reproduces column 1.", "polar", 2.0, 60.0)
    assert abs(v["det"] - 2) < 1e-15 and abs(v["cond"] - 2) < 1e-15 and not v["jvp_is_row_1"]
    v = builtin("polar at r = 0.01", f"{errata}: cond 100 at r = 0.01.", "polar", 0.01, 60.0)
    assert abs(v["cond"] - 100) < 1e-9
    builtin("polar at r = 0: singular", "det = r = 0.", "polar", 0.0, 60.0)
    builtin("polar at r = 150: cond 150 (units!)", "sigma = (r, 1): the condition number depends on the units.",
            "polar", 150.0, -30.0)
    v = builtin("arm at theta2 = 90 deg", f"{errata}: det = sin theta2 = 1, cond 2.618.", "arm", 0.0, 90.0)
    assert round(v["cond"], 3) == 2.618
    v = builtin("arm at theta2 = 5 deg", f"{errata}: cond 57.26.", "arm", 0.0, 5.0)
    assert round(v["cond"], 2) == 57.26
    builtin("arm at theta2 = 0 deg: singular", f"{errata}: cond infinite at 0 deg.", "arm", 0.0, 0.0)
    builtin("arm folded, theta2 = 180 deg: singular", "det = sin 180 deg = 0.", "arm", 30.0, 180.0)
    builtin("arm at theta2 = -5 deg: orientation reversed", "det = sin(-5 deg) < 0.", "arm", 0.0, -5.0)
    builtin("arm with l1 = 2, l2 = 0.5 at (30, 45) deg", "det = l1 l2 sin theta2.", "arm", 30.0, 45.0, l1=2.0,
            l2=0.5)
    v = builtin("(x^2, xy) at (1, 2)", f"{errata}: det 2 against divergence (trace) 3.", "square", 1.0, 2.0)
    assert v["det"] == 2 and v["trace"] == 3
    v = builtin("swap map", f"{errata}: det -1, orientation flips.", "swap", 1.0, 2.0)
    assert v["det"] == -1 and v["orientation_preserved"] is False
    v = builtin("M/M/1 (lambda, mu) -> (W, rho) at (80, 100)", "seed-errata.md companion_jacobian: det 5e-6, "
                "cond 35.27.", "mm1", 80.0, 100.0)
    assert abs(v["cond"] - 35.2716486175) < 1e-8
    case("M/M/1 map, lambda >= mu: undefined", "W is infinite at lambda >= mu.", 1e-12, {"det": None}, map="mm1",
         u=100.0, v=100.0)

    # Typed matrices.
    def typed(name, ref, rows, tolerance=1e-12, **params):
        J = [[D(rows[0][0]), D(rows[0][1])], [D(rows[1][0]), D(rows[1][1])]]
        vals = matrix_facts(J)
        vals.update({"j11": rows[0][0], "j12": rows[0][1], "j21": rows[1][0], "j22": rows[1][1]})
        inp = {"matrix.c1": [rows[0][0], rows[1][0]], "matrix.c2": [rows[0][1], rows[1][1]]}
        case(name, ref + " Exact arithmetic on the typed doubles; numpy.linalg agrees.", tolerance, vals, inp,
             **params)

    typed("typed [[2, 1], [1, 1]]", "det 1, cond (3 + sqrt 5)/2.", [[2.0, 1.0], [1.0, 1.0]])
    typed("typed matrix with a zero row", "det 0, cond infinite, sigma_max = sqrt 5.", [[1.0, 2.0], [0.0, 0.0]])
    typed("typed zero matrix", "All singular values 0: cond is 0/0.", [[0.0, 0.0], [0.0, 0.0]])
    typed("typed nearly singular [[1, 1], [1, 1 + 1e-10]]",
          "det = 1e-10 (to the double nearest 1 + 1e-10): the products must not lose the digits.",
          [[1.0, 1.0], [1.0, 1.0 + 1e-10]], tolerance=1e-9)
    typed("typed rotation-and-scale [[0, -3], [3, 0]]", "det 9, sigma = (3, 3), cond 1.", [[0.0, -3.0], [3.0, 0.0]])

    # Finite differences against the exact J, and the area of the true image.
    for m, u, v, h, ref in (("polar", 2.0, 60.0, 1e-6, "polar"), ("arm", 20.0, 70.0, 1e-6, "arm"),
                            ("mm1", 80.0, 100.0, 1e-4, "M/M/1")):
        J = exact_jacobian(m, u, v)
        vals = {"fd_j11": float(J[0][0]), "fd_j12": float(J[0][1]), "fd_j21": float(J[1][0]),
                "fd_j22": float(J[1][1])}
        vals = {k: x for k, x in vals.items() if abs(x) > 1e-6}
        case(f"{ref}: central differences approximate J", f"Exact J; central differences at h = {h:g} carry "
             "truncation ~h^2 and round-off ~eps/h, within 1e-8 relative.", 1e-8, vals, map=m, u=u, v=v, h=h)
    # Area of the image of the square [r, r + s] x [theta, theta + s rad] under the polar map:
    # the integral of r dr dtheta = s (r + s/2) s, so the ratio to s^2 is r + s/2.
    case("polar: area of the true image of the square / s^2 = r + s/2",
         "Integral of r dr dtheta over the square; the chord polygon (16 points an edge) is within 1e-4.", 1e-4,
         {"area_ratio": 2.0 + 0.2 / 2}, map="polar", u=2.0, v=60.0, side=0.2)
    return cases


def main() -> None:
    write("finite-differences", finite_difference_cases())
    write("gradient", gradient_cases())
    write("jacobian", jacobian_cases())
    REPORT.append("libm check: %d correctly rounded values compared with glibc, %d differ by one ulp"
                  % (LIBM_CHECKS["total"], LIBM_CHECKS["differ"]))
    print("\n".join(REPORT))


if __name__ == "__main__":
    main()
