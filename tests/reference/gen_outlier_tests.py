#!/usr/bin/env python3
"""Reference values for Grubbs' test, the generalized ESD and the two-sample
Kolmogorov-Smirnov test, computed independently in Python.

Run from the repository root:

    python3 tests/reference/gen_outlier_tests.py

It writes, next to this script, in the format of generate.py (see its docstring):

    tests/reference/grubbs.json
    tests/reference/generalized-esd.json
    tests/reference/ks-two-sample.json

How the numbers are obtained
----------------------------
* Means and sums of squares in exact rational arithmetic (``fractions.Fraction``) on
  the binary values of the data; square roots at 60 digits (``decimal``), rounded once.
* Student-t quantiles and tail probabilities with ``mpmath`` at 40 digits (the
  regularized incomplete beta function, inverted by ``mpmath.findroot``), checked
  against ``scipy.stats.t.isf`` / ``t.sf``. Parameters are the decimals as typed
  (alpha = 0.05 means 1/20).
* Decisions (G > G_crit, R_i > lambda_i, p <= alpha) compared at 40 digits.
* Generalized ESD: Rosner's procedure written from the paper's definition (remove the
  value furthest from the mean of what is left, exactly, pass after pass).
* Kolmogorov-Smirnov: the exact p-value by brute-force enumeration of every split of
  the pooled sample (``itertools.combinations``, exact fractions), which is the
  permutation distribution given the ties; for larger samples an exact lattice count
  in Python integers, itself checked against the enumeration (ties) and against
  ``scipy.stats.ks_2samp(method='exact')`` (no ties). Asymptotic p-values from
  ``scipy.stats.kstwobign``.
* Published worked examples: the NIST/SEMATECH e-Handbook (sections 1.3.5.17.1 and
  1.3.5.17.3: Grubbs on Tietjen and Moore's uranium data, the generalized ESD on
  Rosner's 54 values) and T. S. Ferguson's exact two-sample table value
  P(D_100,100 <= 0.1) = 0.41699; cited in each case's "reference".

The script also measures, with seeded Monte Carlo, the false-alarm rate of Grubbs'
and Rosner's critical values, and the accuracy of the Kolmogorov limit at the size
where the core switches to it; these are printed, and quoted in the lessons.

This script must stay independent of the Rust code: do not port formulas, shortcuts
or constants from crates/alertmath-core into it.
"""

from __future__ import annotations

import itertools
import json
import math
import platform
import sys
from decimal import Decimal, getcontext
from fractions import Fraction as F
from pathlib import Path

import mpmath as mp
import numpy as np
import scipy
from scipy import stats

getcontext().prec = 60
mp.mp.dps = 40
HERE = Path(__file__).resolve().parent
GENERATED_BY = "tests/reference/gen_outlier_tests.py"
VERSIONS = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "mpmath": mp.__version__}
TOL = 1e-12
REPORT: list[str] = []


# ---------------------------------------------------------------- helpers
def q(x) -> F:
    return x if isinstance(x, F) else F(float(x)) if not isinstance(x, int) else F(x)


def dec(x) -> F:
    """A parameter as the decimal the user types."""
    return F(repr(x)) if isinstance(x, float) else F(x)


def sqrt_f(r: F) -> float:
    assert r >= 0
    return float((Decimal(r.numerator) / Decimal(r.denominator)).sqrt())


def mpf(r: F):
    return mp.mpf(r.numerator) / r.denominator


def rel_close(a: float, b: float, rel: float) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def t_sf(t, df):
    """P(T > t), t >= 0, Student's t with df degrees of freedom, at mpmath precision."""
    df = mp.mpf(df)
    t = mp.mpf(t)
    return mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2


def t_upper(p, df):
    """The t with P(T > t) = p, at mpmath precision."""
    p = mp.mpf(p)
    start = mp.mpf(stats.t.isf(float(p), float(df)))
    t = mp.findroot(lambda x: t_sf(x, df) - p, start, tol=mp.mpf(10) ** -35)
    scipy_t = stats.t.isf(float(p), float(df))
    assert rel_close(float(t), scipy_t, 1e-12), (float(p), df, float(t), scipy_t)
    return t


def case(name, reference, inp, params, values, flags=None, scores=None, tolerance=TOL):
    c = {"name": name, "reference": reference, "input": inp, "params": params, "values": values,
         "tolerance": tolerance}
    if flags is not None:
        c["flags"] = [bool(b) for b in flags]
    if scores is not None:
        c["scores"] = scores
    return c


def data_out(xs):
    return [int(x) if float(x).is_integer() and abs(x) < 2 ** 53 else float(x) for x in xs]


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


# ---------------------------------------------------------------- Grubbs
def grubbs_crit(n: int, alpha, two_sided: bool):
    """(tail, t, G_crit) for the sample-SD statistic, at mpmath precision."""
    a = mpf(dec(alpha))
    tail = a / (2 * n) if two_sided else a / n
    t = t_upper(tail, n - 2)
    g = mp.mpf(n - 1) / mp.sqrt(n) * mp.sqrt(t * t / (n - 2 + t * t))
    return tail, t, g


def pick_suspect(xs: list[F], side: str) -> int:
    """The tested index: the largest (its last occurrence), the smallest (its first
    occurrence), or whichever is further from the mean (the largest on a tie)."""
    hi = max(xs)
    lo = min(xs)
    i_max = max(i for i, x in enumerate(xs) if x == hi)
    i_min = min(i for i, x in enumerate(xs) if x == lo)
    if side == "max":
        return i_max
    if side == "min":
        return i_min
    m = sum(xs) / len(xs)
    return i_max if hi - m >= m - lo else i_min


def grubbs_case(name, data, side="both", alpha=0.05, sd="sample", reference=None, tolerance=TOL):
    xs = [q(x) for x in data]
    n = len(xs)
    m = sum(xs) / n
    ss = sum((x - m) ** 2 for x in xs)
    equal = all(x == xs[0] for x in xs)
    i = pick_suspect(xs, side)
    d = xs[i] - m
    pop = sd != "sample"
    factor2 = F(n, n - 1) if pop else F(1)          # statistic factor squared
    crit_factor2 = F(n, n - 1) if sd == "population" else F(1)
    tail, t, gcrit_s = grubbs_crit(n, alpha, side == "both")
    gcrit = gcrit_s * mp.sqrt(mpf(crit_factor2))
    sd_used2 = ss / n if pop else ss / (n - 1)
    values = {
        "n": n,
        "mean": float(m),
        "sd": sqrt_f(sd_used2),
        "sd_sample": sqrt_f(ss / (n - 1)),
        "sd_population": sqrt_f(ss / n),
        "suspect": float(xs[i]),
        "suspect_position": i + 1,
        "g_ceiling": sqrt_f(F((n - 1) ** 2, n) * factor2),
        "t_crit": float(t),
        "g_crit": float(gcrit),
    }
    scores = None
    if equal:
        values.update({"g": None, "t_stat": None, "p_value": None, "p_exact": False, "significant": False,
                       "flagged": 0})
        flags = [False] * n
        scores = [None] * n
    else:
        g2_s = d * d * (n - 1) / ss              # G^2 with the sample SD, exact
        g2 = g2_s * factor2
        values["g"] = sqrt_f(g2)
        significant = mp.sqrt(mpf(g2)) > gcrit
        others = xs[:i] + xs[i + 1:]
        mo = sum(others) / (n - 1)
        ss_o = sum((x - mo) ** 2 for x in others)
        k = 2 * n if side == "both" else n
        if ss_o == 0:
            p = mp.mpf(0)
        else:
            t2 = F(n * (n - 2), n - 1) * d * d / ss_o
            values["t_stat"] = sqrt_f(t2)
            tt = mp.sqrt(mpf(t2))
            p = min(mp.mpf(1), k * t_sf(tt, n - 2))
            sp = min(1.0, k * stats.t.sf(float(tt), n - 2))
            assert rel_close(float(p), sp, 1e-9), (name, float(p), sp)
        values["p_value"] = float(p)
        bound = F(n - 1, 2) if side == "both" else F((n - 1) * (n - 2), 2 * n)
        values["p_exact"] = bool(g2_s >= bound)
        values["significant"] = bool(significant)
        values["flagged"] = int(significant)
        flags = [bool(significant) and j == i for j in range(n)]
        scores = [signed_ratio(x - m, sd_used2) for x in xs]
    return case(name, reference or "Exact rationals; t quantiles and tails by mpmath (40 digits), checked against scipy.stats.t.",
                {"data": data_out(data)}, {"side": side, "alpha": alpha, "sd": sd}, values, flags, scores, tolerance)


def signed_ratio(num: F, den_sq: F) -> float:
    v = sqrt_f(num * num / den_sq)
    return -v if num < 0 else v


def grubbs_cases() -> list[dict]:
    out = []
    guide = [10, 10, 10, 10, 50]
    for side in ["both", "max", "min"]:
        for sd in ["sample", "population", "population-unadjusted"]:
            out.append(grubbs_case(f"guide [10,10,10,10,50], {side}, {sd}", guide, side=side, sd=sd))
    out.append(grubbs_case("guide at the ceiling: [10,10,10,10,10.001]", [10, 10, 10, 10, 10.001]))
    out.append(grubbs_case("guide at the ceiling: [10,10,10,10,5000]", [10, 10, 10, 10, 5000]))
    for side in ["both", "max"]:
        out.append(grubbs_case(f"masking [10,10,10,50,50], {side}", [10, 10, 10, 50, 50], side=side))
    # NIST/SEMATECH e-Handbook 1.3.5.17.1: G = 2.4687, one-sided 5% critical value 2.032.
    uranium = [199.31, 199.53, 200.19, 200.82, 201.92, 201.95, 202.18, 245.57]
    c = grubbs_case("NIST uranium isotope, maximum, full precision", uranium, side="max")
    assert abs(c["values"]["g"] - 2.4687) < 1e-4 and abs(c["values"]["g_crit"] - 2.032) < 5e-4
    out.append(c)
    nist = grubbs_case("NIST uranium isotope, maximum, published figures", uranium, side="max",
                       reference="NIST/SEMATECH e-Handbook of Statistical Methods, 1.3.5.17.1 Grubbs' Test for Outliers "
                                 "(https://www.itl.nist.gov/div898/handbook/eda/section3/eda35h1.htm): G = 2.4687, "
                                 "critical value for an upper one-tailed test 2.032, reject (figures truncated: "
                                 "2.46876 and 2.03165 in full).",
                       tolerance=3e-4)
    nist["values"] = {"g": 2.4687, "g_crit": 2.032, "significant": True, "suspect": 245.57}
    nist.pop("scores", None)
    out.append(nist)
    # The guide's PromQL comment: N = 60, 3.2 (two-sided) and 3.0 (one-sided).
    rng = np.random.default_rng(20240601)
    window = [round(float(v), 2) for v in 100 + 5 * rng.standard_normal(59)] + [130.0]
    for side in ["both", "max"]:
        for sd in ["sample", "population", "population-unadjusted"]:
            out.append(grubbs_case(f"one-hour window, 60 points, {side}, {sd}", window, side=side, sd=sd))
    # n = 3: one degree of freedom, the Cauchy distribution.
    for alpha in [0.0001, 0.05, 0.5]:
        out.append(grubbs_case(f"n = 3, alpha {alpha}", [1, 2, 4], alpha=alpha))
    out.append(grubbs_case("n = 3 with a tie", [5, 5, 9], side="max"))
    # Zero variance and a tie of the two extremes.
    out.append(grubbs_case("all values equal", [7] * 12))
    out.append(grubbs_case("all values equal, n = 3, max", [7, 7, 7], side="max"))
    out.append(grubbs_case("symmetric extremes: the largest is tested", [0, 5, 5, 5, 10]))
    out.append(grubbs_case("minimum is the outlier", [-40, 0, 1, 2, 3, 4, 2, 1], side="both"))
    out.append(grubbs_case("minimum, one-sided", [-40, 0, 1, 2, 3, 4, 2, 1], side="min"))
    out.append(grubbs_case("large offset 1e9 + noise", [1e9 + v for v in [0.1, 0.3, 0.2, 0.4, 0.25, 3.0]]))
    out.append(grubbs_case("huge values", [1e300, -1e300, 3e299, 5e299, 2e299]))
    out.append(grubbs_case("tiny values", [1e-300, 2e-300, 1.5e-300, 9e-300]))
    # Seeded normal samples of several sizes and levels.
    rng = np.random.default_rng(7)
    for n, alpha, side in [(4, 0.05, "both"), (7, 0.01, "max"), (10, 0.1, "min"), (20, 0.05, "both"),
                           (100, 0.05, "both"), (1000, 0.001, "both")]:
        xs = [round(float(v), 3) for v in rng.standard_normal(n)]
        xs[n // 2] += 4.0
        out.append(grubbs_case(f"normal sample n = {n}, alpha {alpha}, {side}", xs, side=side, alpha=alpha,
                               tolerance=1e-12 if n <= 1000 else 1e-10))
    return out


def grubbs_monte_carlo():
    rng = np.random.default_rng(12345)
    for n, reps in [(5, 400_000), (60, 200_000)]:
        x = rng.standard_normal((reps, n))
        m = x.mean(axis=1, keepdims=True)
        s = x.std(axis=1, ddof=1, keepdims=True)
        g = np.abs(x - m).max(axis=1) / s[:, 0]
        gmax = (x - m).max(axis=1) / s[:, 0]
        crit2 = float(grubbs_crit(n, 0.05, True)[2])
        crit1 = float(grubbs_crit(n, 0.05, False)[2])
        REPORT.append(f"Grubbs size at alpha 0.05, n = {n} ({reps} normal samples, seed 12345): "
                      f"two-sided {np.mean(g > crit2):.4f}, one-sided (max) {np.mean(gmax > crit1):.4f}")


# ---------------------------------------------------------------- generalized ESD
def esd(data, r_max, alpha, sd="sample"):
    """Rosner's generalized ESD, directly from the definition, in exact arithmetic."""
    xs = [q(x) for x in data]
    n = len(xs)
    idx = list(range(n))
    r = min(r_max, n - 2)
    m1 = sum(xs) / n
    ss1 = sum((x - m1) ** 2 for x in xs)
    passes = []
    alive = list(idx)
    for i in range(1, r + 1):
        vals = [xs[j] for j in alive]
        left = len(vals)
        m = sum(vals) / left
        ss = sum((v - m) ** 2 for v in vals)
        a = mpf(dec(alpha))
        t = t_upper(a / (2 * left), left - 2)
        lam = mp.mpf(left - 1) * t / mp.sqrt((left - 2 + t * t) * left)
        if sd == "population":
            lam *= mp.sqrt(mp.mpf(left) / (left - 1))
        if ss == 0:
            passes.append({"left": left, "removed": None, "mean": m, "ss": ss, "lambda": lam, "exceeds": False})
            break
        hi, lo = max(vals), min(vals)
        take_high = hi - m >= m - lo
        if take_high:
            j = max(k for k in alive if xs[k] == hi)      # the last of the largest
        else:
            j = min(k for k in alive if xs[k] == lo)      # the first of the smallest
        d = abs(xs[j] - m)
        r2 = d * d * (left - 1) / ss
        if sd != "sample":
            r2 *= F(left, left - 1)
        exceeds = mp.sqrt(mpf(r2)) > lam
        passes.append({"left": left, "removed": j, "mean": m, "ss": ss, "r2": r2, "lambda": lam, "exceeds": exceeds})
        alive.remove(j)
    k = max([i + 1 for i, p in enumerate(passes) if p["exceeds"]], default=0)
    return n, m1, ss1, passes, k


def esd_case(name, data, r_max=2, alpha=0.05, sd="sample", reference=None, tolerance=TOL):
    n, m1, ss1, passes, k = esd(data, r_max, alpha, sd)
    xs = [q(x) for x in data]
    pop = sd != "sample"
    equal = all(x == xs[0] for x in xs)
    values = {"n": n, "passes": len(passes), "outliers": k, "mean": float(m1),
              "sd": sqrt_f(ss1 / n if pop else ss1 / (n - 1))}
    for i, p in enumerate(passes[:3], start=1):
        left = p["left"]
        values[f"mean.{i}"] = float(p["mean"])
        values[f"sd.{i}"] = sqrt_f(p["ss"] / left if pop else p["ss"] / (left - 1))
        values[f"lambda.{i}"] = float(p["lambda"])
        values[f"exceeds.{i}"] = bool(p["exceeds"])
        if p["removed"] is None:
            values[f"removed.{i}"] = None
            values[f"r.{i}"] = None
            values[f"z_full.{i}"] = None
        else:
            x = xs[p["removed"]]
            values[f"removed.{i}"] = float(x)
            values[f"r.{i}"] = sqrt_f(p["r2"])
            zf2 = (ss1 / n) if pop else (ss1 / (n - 1))
            values[f"z_full.{i}"] = signed_ratio(x - m1, zf2)
    flags = [False] * n
    for p in passes[:k]:
        flags[p["removed"]] = True
    if equal:
        scores = [None] * n
    else:
        scale2 = ss1 / n if pop else ss1 / (n - 1)
        scores = [signed_ratio(x - m1, scale2) for x in xs]
    return case(name, reference or "Rosner's procedure from its definition, exact rationals; lambda_i by mpmath t quantiles "
                                   "(40 digits), checked against scipy.stats.t.isf.",
                {"data": data_out(data)}, {"max_outliers": r_max, "alpha": alpha, "sd": sd}, values, flags, scores,
                tolerance)


ROSNER = [-0.25, 0.68, 0.94, 1.15, 1.20, 1.26, 1.26, 1.34, 1.38, 1.43, 1.49, 1.49, 1.55, 1.56, 1.58, 1.65, 1.69,
          1.70, 1.76, 1.77, 1.81, 1.91, 1.94, 1.96, 1.99, 2.06, 2.09, 2.10, 2.14, 2.15, 2.23, 2.24, 2.26, 2.35,
          2.37, 2.40, 2.47, 2.54, 2.62, 2.64, 2.90, 2.92, 2.92, 2.93, 3.21, 3.26, 3.30, 3.59, 3.68, 4.30, 4.64,
          5.34, 5.42, 6.01]
# NIST/SEMATECH e-Handbook 1.3.5.17.3, summary table: (R_i, lambda_i) for i = 1..10.
ROSNER_TABLE = [(3.118, 3.158), (2.942, 3.151), (3.179, 3.143), (2.810, 3.136), (2.815, 3.128),
                (2.848, 3.120), (2.279, 3.111), (2.310, 3.103), (2.101, 3.094), (2.067, 3.085)]


def esd_cases() -> list[dict]:
    out = []
    guide = [10, 10, 10, 50, 100]
    for sd in ["sample", "population", "population-unadjusted"]:
        out.append(esd_case(f"guide [10,10,10,50,100], r = 2, {sd}", guide, sd=sd))
    out.append(esd_case("guide, r = 3: the third pass has SD 0", guide, r_max=3))
    out.append(esd_case("guide, r = 10 is reduced to n - 2", guide, r_max=10))
    out.append(esd_case("guide, r = 1 (Grubbs two-sided)", guide, r_max=1))
    out.append(esd_case("masking [10,10,10,50,50], r = 2", [10, 10, 10, 50, 50]))
    # Rosner's data: full precision, and the published three-decimal table.
    full = esd_case("Rosner (1983) 54 values, r = 10, full precision", ROSNER, r_max=10)
    assert full["values"]["outliers"] == 3
    out.append(full)
    n, m1, ss1, passes, k = esd(ROSNER, 10, 0.05)
    for i, (rp, lp) in enumerate(ROSNER_TABLE, start=1):
        got_r = sqrt_f(passes[i - 1]["r2"])
        got_l = float(passes[i - 1]["lambda"])
        # The handbook's table shows three decimals, truncated (3.1189 appears as 3.118).
        assert math.floor(got_r * 1000) / 1000 == rp and math.floor(got_l * 1000) / 1000 == lp, (i, got_r, rp, got_l, lp)
    pub = {"outliers": 3, "passes": 10}
    for i, (rp, lp) in enumerate(ROSNER_TABLE[:3], start=1):
        pub[f"r.{i}"] = rp
        pub[f"lambda.{i}"] = lp
    out.append(case("Rosner (1983) 54 values, published table", "NIST/SEMATECH e-Handbook of Statistical Methods, "
                    "1.3.5.17.3 Generalized ESD Test for Outliers (https://www.itl.nist.gov/div898/handbook/eda/section3/"
                    "eda35h3.htm), data from Rosner (1983): R_i and lambda_i to three decimals, three outliers.",
                    {"data": data_out(ROSNER)}, {"max_outliers": 10, "alpha": 0.05, "sd": "sample"}, pub,
                    tolerance=4e-4))
    out.append(esd_case("n = 3, one pass", [1, 2, 40], r_max=5))
    out.append(esd_case("n = 3, all equal", [4, 4, 4]))
    out.append(esd_case("all values equal", [7] * 12, r_max=3))
    out.append(esd_case("ties at the top", [1, 2, 3, 2, 1, 9, 9, 2], r_max=3))
    out.append(esd_case("low and high outliers", [-30, 0, 1, 2, 1, 0, 2, 1, 35, 1], r_max=4))
    out.append(esd_case("large offset 1e9 + noise", [1e9 + v for v in [0.1, 0.3, 0.2, 0.4, 0.25, 3.0, -2.0]], r_max=3))
    out.append(esd_case("huge values", [1e300, -1e300, 3e299, 5e299, 2e299, 1e299], r_max=2))
    rng = np.random.default_rng(11)
    for n, r, alpha in [(10, 3, 0.05), (30, 5, 0.05), (200, 10, 0.01), (1000, 20, 0.05)]:
        xs = [round(float(v), 3) for v in rng.standard_normal(n)]
        for j in range(min(r, 3)):
            xs[(j * 7) % n] += (5 + j) * (-1) ** j
        out.append(esd_case(f"normal sample n = {n}, r = {r}, alpha {alpha}", xs, r_max=r, alpha=alpha))
    return out


def esd_monte_carlo():
    """False-alarm rate of Rosner's lambda on outlier-free normal samples (seeded)."""
    rng = np.random.default_rng(2024)
    for n, r, reps in [(5, 2, 200_000), (10, 2, 200_000), (25, 5, 200_000), (50, 5, 100_000)]:
        lam = [float(esd_lambda(n, i, 0.05)) for i in range(1, r + 1)]
        x = rng.standard_normal((reps, n))
        alive = np.ones_like(x, dtype=bool)
        any_hit = np.zeros(reps, dtype=bool)
        for i in range(r):
            cnt = alive.sum(axis=1)
            m = np.where(alive, x, 0).sum(axis=1) / cnt
            dev = np.where(alive, np.abs(x - m[:, None]), -1.0)
            ss = np.where(alive, (x - m[:, None]) ** 2, 0).sum(axis=1)
            s = np.sqrt(ss / (cnt - 1))
            j = dev.argmax(axis=1)
            rstat = dev[np.arange(reps), j] / s
            any_hit |= rstat > lam[i]
            alive[np.arange(reps), j] = False
        REPORT.append(f"Generalized ESD false-alarm rate, n = {n}, r = {r}, nominal 0.05 "
                      f"({reps} normal samples, seed 2024): {any_hit.mean():.4f}")


def esd_lambda(n, i, alpha):
    left = n - i + 1
    t = t_upper(mpf(dec(alpha)) / (2 * left), left - 2)
    return mp.mpf(left - 1) * t / mp.sqrt((left - 2 + t * t) * left)


# ---------------------------------------------------------------- two-sample K-S
def ks_stats(b, c):
    """D, D+ (max F_b - F_c), D- and the first x where each maximum occurs, from ECDFs."""
    b, c = sorted(b), sorted(c)
    n, m = len(b), len(c)
    pooled = sorted(set(b) | set(c))
    fb = np.searchsorted(b, pooled, side="right")
    fc = np.searchsorted(c, pooled, side="right")
    diff = [F(int(i), n) - F(int(j), m) for i, j in zip(fb, fc)]
    dp = max(max(diff), F(0))
    dm = max(max(-v for v in diff), F(0))
    return diff, pooled, dp, dm


def splits_tail(pooled_sorted, n, m, stat, alt):
    """P(stat' >= stat) over all C(n+m, n) splits of the pooled values, by enumeration."""
    N = n + m
    values = pooled_sorted
    hits = 0
    total = 0
    for chosen in itertools.combinations(range(N), n):
        cs = set(chosen)
        bb = [values[k] for k in range(N) if k in cs]
        cc = [values[k] for k in range(N) if k not in cs]
        diff, _, dp, dm = ks_stats(bb, cc)
        s = {"two-sided": max(dp, dm), "current-larger": dp, "current-smaller": dm}[alt]
        total += 1
        if s >= stat:
            hits += 1
    return F(hits, total)


def lattice_tail(pooled_sorted, n, m, stat, alt):
    """The same probability by counting lattice paths in Python integers (exact)."""
    N = n + m
    check = [False] * (N + 1)
    for k in range(1, N + 1):
        if k == N or pooled_sorted[k - 1] != pooled_sorted[k]:
            check[k] = True
    d = stat * n * m   # an integer
    assert d.denominator == 1
    d = d.numerator

    def hit(i, j):
        v = i * m - j * n
        return {"two-sided": abs(v) >= d, "current-larger": v >= d, "current-smaller": -v >= d}[alt]

    # ways[i][j]: paths from (0,0) to (i,j) that never hit the region at a checkpoint.
    ways = [[0] * (m + 1) for _ in range(n + 1)]
    ways[0][0] = 1
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            w = (ways[i - 1][j] if i else 0) + (ways[i][j - 1] if j else 0)
            if check[i + j] and hit(i, j):
                w = 0
            ways[i][j] = w
    return 1 - F(ways[n][m], math.comb(N, n))


def attainable(n, m):
    return sorted({abs(i * m - j * n) for i in range(n + 1) for j in range(m + 1)})


def ks_case(name, baseline, current, alternative="two-sided", alpha=0.05, p_method="auto", reference=None,
            enumerate_ok=None, tolerance=TOL):
    b = [q(x) for x in baseline]
    c = [q(x) for x in current]
    n, m = len(b), len(c)
    diff, pooled, dp, dm = ks_stats(b, c)
    d = max(dp, dm)
    stat = {"two-sided": d, "current-larger": dp, "current-smaller": dm}[alternative]
    two = alternative == "two-sided"
    lam = math.sqrt(float(stat) ** 2 * n * m / (n + m))
    lam_mp = mp.sqrt(mpf(stat * stat * F(n * m, n + m)))
    if two:
        p_asym = float(stats.kstwobign.sf(lam))
        c_alpha = float(stats.kstwobign.isf(float(alpha)))
    else:
        p_asym = float(mp.exp(-2 * lam_mp * lam_mp))
        c_alpha = float(mp.sqrt(-mp.log(mpf(dec(alpha))) / 2))
    d_crit_asym = c_alpha * math.sqrt((n + m) / (n * m))
    use_exact = p_method == "exact" or (p_method == "auto" and n * m <= 10_000)
    N = n + m
    pooled_all = sorted(b + c)
    first_at = None
    for x, v in zip(pooled, diff):
        s = {"two-sided": abs(v), "current-larger": v, "current-smaller": -v}[alternative]
        if stat > 0 and s == stat:
            first_at = x
            break
    values = {
        "n_baseline": n, "n_current": m,
        "mean_baseline": float(sum(b) / n), "mean_current": float(sum(c) / m),
        "d": float(d), "d_plus": float(dp), "d_minus": float(dm), "statistic": float(stat),
        "d_at": None if first_at is None else float(first_at),
        "lambda": float(lam_mp),
        "p_asymptotic": p_asym,
        "d_crit_asymptotic": d_crit_asym,
    }
    if use_exact:
        tail = lambda s: lattice_tail(pooled_all, n, m, s, alternative) if s > 0 else F(1)
        p = tail(stat)
        small = math.comb(N, n) <= 20_000 if enumerate_ok is None else enumerate_ok
        if small:
            assert splits_tail(pooled_all, n, m, stat, alternative) == p, name
        if not any(pooled_all[k] == pooled_all[k + 1] for k in range(N - 1)):
            sp = stats.ks_2samp([float(x) for x in b], [float(x) for x in c], method="exact",
                                alternative={"two-sided": "two-sided", "current-larger": "greater",
                                             "current-smaller": "less"}[alternative]).pvalue
            assert rel_close(float(p), sp, 1e-9), (name, float(p), sp)
        values["p_exact"] = float(p)
        values["p_value"] = float(p)
        att = [F(v, n * m) for v in attainable(n, m) if v > 0]
        # The smallest attainable value whose tail is at most alpha (the tail falls with D).
        lo, hi = 0, len(att)
        while lo < hi:
            mid = (lo + hi) // 2
            if tail(att[mid]) <= dec(alpha):
                hi = mid
            else:
                lo = mid + 1
        crit = att[lo] if lo < len(att) else None
        if len(set(pooled_all)) == 1:
            crit = None   # every split gives D = 0: no critical value
        if crit is None:
            values["d_crit"] = None
            values["d_crit_size"] = None
            values["d_below"] = None
            values["p_below"] = None
        else:
            values["d_crit"] = float(crit)
            values["d_crit_size"] = float(tail(crit))
            below = [v for v in att if 0 < v < crit]
            values["d_below"] = float(below[-1]) if below else None
            values["p_below"] = float(tail(below[-1])) if below else None
        significant = p <= dec(alpha)
    else:
        values["p_exact"] = None
        values["p_value"] = p_asym
        values["d_crit"] = d_crit_asym
        values["d_crit_size"] = None
        values["d_below"] = None
        values["p_below"] = None
        significant = p_asym <= float(alpha)
        if two:
            sp = stats.ks_2samp([float(x) for x in b], [float(x) for x in c], method="asymp")
            assert sp.statistic == float(stat) or rel_close(sp.statistic, float(stat), 1e-14)
    values["significant"] = bool(significant)
    return case(name, reference or "ECDFs and D in exact fractions; exact p by enumeration of every split (ties kept) "
                                   "and by an integer lattice count, equal to scipy.stats.ks_2samp(method='exact') "
                                   "without ties; asymptotic p from scipy.stats.kstwobign.",
                {"baseline": data_out(baseline), "current": data_out(current)},
                {"alternative": alternative, "alpha": alpha, "p_method": p_method}, values, tolerance=tolerance)


def ks_cases() -> list[dict]:
    out = []
    gb, gc = [100, 120, 140, 160, 180], [100, 180, 190, 190, 190]
    for alt in ["two-sided", "current-larger", "current-smaller"]:
        out.append(ks_case(f"guide latencies, {alt}", gb, gc, alternative=alt))
    out.append(ks_case("guide latencies, asymptotic", gb, gc, p_method="asymptotic"))
    out.append(ks_case("guide latencies, alpha 0.1", gb, gc, alpha=0.1))
    out.append(ks_case("guide latencies without ties", [100, 120, 140, 160, 180], [101, 181, 190, 191, 192]))
    out.append(ks_case("5 vs 5, complete separation", [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]))
    out.append(ks_case("5 vs 5, complete separation, one-sided", [1, 2, 3, 4, 5], [6, 7, 8, 9, 10],
                       alternative="current-larger"))
    out.append(ks_case("1 vs 1", [1], [2]))
    out.append(ks_case("1 vs 1, equal", [3], [3]))
    out.append(ks_case("1 vs 6", [10], [1, 2, 3, 4, 5, 6]))
    out.append(ks_case("3 vs 7, unequal sizes", [0.5, 2.5, 9.0], [1, 2, 3, 4, 5, 6, 7]))
    out.append(ks_case("3 vs 7, alpha 0.01: nothing can be significant", [0.5, 2.5, 9.0], [1, 2, 3, 4, 5, 6, 7],
                       alpha=0.01))
    out.append(ks_case("all values equal", [4, 4, 4], [4, 4, 4, 4]))
    out.append(ks_case("heavy ties, 6 vs 8", [1, 1, 2, 2, 3, 3], [2, 3, 3, 3, 3, 3, 4, 4]))
    out.append(ks_case("heavy ties, 6 vs 8, current-larger", [1, 1, 2, 2, 3, 3], [2, 3, 3, 3, 3, 3, 4, 4],
                       alternative="current-larger"))
    out.append(ks_case("negative values and zero", [-3, -1, 0, 0, 2], [-2, 0, 1, 5]))
    rng = np.random.default_rng(5)
    b = [round(float(v), 2) for v in rng.normal(100, 10, 40)]
    c = [round(float(v), 2) for v in rng.normal(108, 10, 30)]
    out.append(ks_case("normal samples 40 vs 30, shifted", b, c))
    out.append(ks_case("normal samples 40 vs 30, shifted, current-larger", b, c, alternative="current-larger"))
    b = [round(float(v), 1) for v in rng.normal(0, 1, 100)]
    c = [round(float(v), 1) for v in rng.normal(0.2, 1, 100)]
    out.append(ks_case("normal samples 100 vs 100, rounded (ties)", b, c))
    b = [float(v) for v in rng.normal(0, 1, 150)]
    c = [float(v) for v in rng.normal(0.3, 1, 120)]
    out.append(ks_case("normal samples 150 vs 120: asymptotic by default", b, c))
    out.append(ks_case("normal samples 150 vs 120, exact forced", b, c, p_method="exact", tolerance=1e-11))
    # T. S. Ferguson's exact table: P(D_100,100 <= 0.1) = 0.41699, so P(D >= 0.11) = 0.58301.
    base = list(range(100))
    cur = [10.5 + k for k in range(100)]
    full = ks_case("100 vs 100 with D = 0.11, exact", base, cur, p_method="exact")
    assert abs(full["values"]["p_exact"] - 0.58301) < 5e-6, full["values"]["p_exact"]
    out.append(full)
    pub = case("100 vs 100 with D = 0.11, published", "T. S. Ferguson, The Kolmogorov-Smirnov two-sample test "
               "(https://www.math.ucla.edu/~tom/distributions/KolSmir2.html): exact P(D_100,100 <= .1) = .41699, "
               "so P(D >= 0.11) = 0.58301.", {"baseline": base, "current": cur},
               {"alternative": "two-sided", "alpha": 0.05, "p_method": "exact"}, {"p_exact": 0.58301, "d": 0.11},
               tolerance=1e-5)
    out.append(pub)
    return out


def ks_asymptotic_accuracy():
    """How far the Kolmogorov limit is from the exact p-value near the switch (no ties)."""
    for n, m in [(100, 100), (80, 125), (5, 5)]:
        worst, where = 0.0, None
        for v in attainable(n, m):
            d = F(v, n * m)
            lam = float(d) * math.sqrt(n * m / (n + m))
            pa = float(stats.kstwobign.sf(lam))
            if not 0.01 <= pa <= 0.1:
                continue
            pe = float(lattice_tail(list(range(n + m)), n, m, d, "two-sided"))
            if abs(pa - pe) > worst:
                worst, where = abs(pa - pe), (round(float(d), 4), round(pe, 5), round(pa, 5))
        REPORT.append(f"Kolmogorov limit vs exact p, {n} vs {m}, for limit p between 0.01 and 0.1: largest gap "
                      f"{worst:.4f} at (D, exact, limit) = {where}")


def guide_promql_numbers():
    """Numbers the lessons quote about the guide's queries (checked here, printed)."""
    # Grubbs: `> 3.0` on the population-SD statistic with 60 samples.
    n = 60
    g_sample = 3.0 / math.sqrt(n / (n - 1))
    t = math.sqrt(n * (n - 2) * g_sample ** 2 / ((n - 1) ** 2 - n * g_sample ** 2))
    one_point = 2 * stats.t.sf(t, n - 2)
    REPORT.append(f"Grubbs PromQL `> 3.0` with stddev_over_time, N = 60: P(current sample crosses) = {one_point:.5f}, "
                  f"as a two-sided Grubbs test alpha <= {n * one_point:.3f}")
    # K-S: cumulative buckets divided by their sum over all `le` (the guide's query).
    b, c = [100, 120, 140, 160, 180], [100, 180, 190, 190, 190]
    le = [100, 120, 140, 160, 180, 190, math.inf]
    cb = [sum(x <= v for x in b) for v in le]
    cc = [sum(x <= v for x in c) for v in le]
    d_query = max(abs(F(x, sum(cb)) - F(y, sum(cc))) for x, y in zip(cb, cc))
    d_inf = max(abs(F(x, cb[-1]) - F(y, cc[-1])) for x, y in zip(cb, cc))
    assert d_query == F(9, 80) and d_inf == F(3, 5)
    REPORT.append(f"K-S PromQL on the guide's data: D as written = {float(d_query)}, divided by le=+Inf = {float(d_inf)}")


# ---------------------------------------------------------------- main
def main() -> int:
    for method, cases in [("grubbs", grubbs_cases()), ("generalized-esd", esd_cases()), ("ks-two-sample", ks_cases())]:
        path = write(method, cases)
        print(f"{path.relative_to(HERE.parent.parent)}: {len(cases)} cases")
    grubbs_monte_carlo()
    esd_monte_carlo()
    ks_asymptotic_accuracy()
    guide_promql_numbers()
    for line in REPORT:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
