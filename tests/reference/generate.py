#!/usr/bin/env python3
"""Reference values for the alertmath core, computed independently in Python.

Run from the repository root:

    python3 tests/reference/generate.py

It writes one JSON file per method next to this script:

    tests/reference/square-root-law.json
    tests/reference/z-score.json
    tests/reference/iqr.json
    tests/reference/mad.json

Each file holds {"method", "generated_by", "versions", "cases"}; every case has
"name", "reference" (where the numbers come from), "input", "params" (all of the
method's parameters, by the core's ids), "values" (named values by the core's ids;
null where the core reports the value as undefined), optional per-point "flags"
and "scores", and the relative "tolerance" the Rust harness applies.

How the numbers are obtained
----------------------------
* Exact rational arithmetic (``fractions.Fraction``) on the binary values of the
  inputs, and on the *decimal* values of the parameters as typed (k = 1.5 means
  3/2, B = 0.01 means 1/100, a threshold of 2.236 means 2236/1000).  Square roots
  and the normal quantile are evaluated with ``decimal`` at 60 significant digits,
  and every result is rounded once to the nearest double.  Comparisons with a
  threshold (alerts, flags, the fewest errors that alert, the fewest points that
  can pass) are decided exactly: irrational sides are compared after squaring.
* Library cross-checks, asserted while generating: ``numpy.std``/``numpy.mean``
  and ``scipy.stats.zscore`` (z-score), ``numpy.quantile(method=...)`` for the
  nine Hyndman-Fan types and ``scipy.stats.mstats.mquantiles`` for types 4-9
  (iqr), ``numpy.median`` and ``scipy.stats.median_abs_deviation`` (mad).
* Published worked examples (R documentation, Microsoft's Excel documentation,
  the SciPy documentation, Wikipedia, R mailing-list output) are typed in by hand
  and cited in the case's ``reference``.

Libraries: Python standard library (fractions, decimal, json), numpy, scipy.
Random data come from ``numpy.random.default_rng`` with fixed seeds, keys are
sorted, so the output is deterministic.

This script must stay independent of the Rust code: do not port formulas,
shortcuts or constants from crates/alertmath-core into it.  The quantile types are
implemented from Hyndman & Fan (1996), Tukey's hinges from their definition
(medians of the two halves, the median in both halves when n is odd) and checked
against R's fivenum formula.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from decimal import Decimal, getcontext
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import scipy
from scipy import special, stats
from scipy.stats import mstats

getcontext().prec = 60
HERE = Path(__file__).resolve().parent
GENERATED_BY = "tests/reference/generate.py"
VERSIONS = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__}
TOL = 1e-12

# Everything worth mentioning in the final report (printed at the end).
REPORT: list[str] = []


# ---------------------------------------------------------------- exact helpers
def q(x) -> F:
    """Exact rational value of a number as a binary double (data values)."""
    if isinstance(x, F):
        return x
    if isinstance(x, int):
        return F(x)
    return F(float(x))


def dec(x) -> F:
    """Exact rational value of a parameter as the decimal the user types."""
    if isinstance(x, F):
        return x
    return F(repr(x)) if isinstance(x, float) else F(x)


def D(r: F) -> Decimal:
    return Decimal(r.numerator) / Decimal(r.denominator)


def f(r: F) -> float:
    """Nearest double to an exact rational (Fraction.__float__ rounds correctly)."""
    return float(r)


def sqrt_f(r: F) -> float:
    """Nearest double to sqrt(r), r >= 0 rational."""
    assert r >= 0
    return float(D(r).sqrt())


def signed_sqrt_ratio(num: F, den_sq: F) -> float:
    """num / sqrt(den_sq) rounded once: sign(num) * sqrt(num^2 / den_sq)."""
    v = float(D(num * num / den_sq).sqrt())
    return -v if num < 0 else v


def passes_sq(lhs_sq: F, rhs_sq: F, cmp: str) -> bool:
    """|a| > t (or >=) decided on squares, for a, t >= 0."""
    return lhs_sq > rhs_sq if cmp == "gt" else lhs_sq >= rhs_sq


def median_exact(xs: list[F]) -> F:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def close(a: float, b: float, rel: float = 1e-13, abs_: float = 1e-13) -> bool:
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)


def num_out(x):
    """JSON-friendly number: ints stay ints, everything else a float."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError("bool is not a number here")
    if isinstance(x, (int, np.integer)):
        return int(x)
    return float(x)


def data_out(xs) -> list:
    return [num_out(x) for x in xs]


def case(name, reference, inp, params, values, flags=None, scores=None, tolerance=TOL):
    c = {"name": name, "reference": reference, "input": inp, "params": params, "values": values,
         "tolerance": tolerance}
    if flags is not None:
        c["flags"] = [bool(b) for b in flags]
    if scores is not None:
        c["scores"] = scores
    return c


def write(method: str, cases: list[dict]) -> Path:
    names = [c["name"] for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate case names in {method}: {dup}"
    doc = {"method": method, "generated_by": GENERATED_BY, "versions": VERSIONS, "cases": cases}
    path = HERE / f"{method}.json"
    text = json.dumps(doc, indent=1, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    assert len(text.encode("utf-8")) < 300_000, f"{path} is too large"
    return path


# ---------------------------------------------------------------- normal quantile, high precision
def _pi() -> Decimal:
    """pi to the context precision (the series recipe from the decimal docs)."""
    getcontext().prec += 2
    three = Decimal(3)
    lasts, t, s, n, na, d, da = 0, three, 3, 1, 0, 0, 24
    while s != lasts:
        lasts = s
        n, na = n + na, na + 8
        d, da = d + da, da + 32
        t = (t * n) / d
        s += t
    getcontext().prec -= 2
    return +s


def _erf(z: Decimal) -> Decimal:
    """Maclaurin series of erf; fine for |z| < 2."""
    total, term, k = Decimal(0), z, 0
    z2 = z * z
    eps = Decimal(10) ** (-(getcontext().prec + 2))
    while True:
        add = term / (2 * k + 1)
        total += add
        if abs(add) < eps:
            break
        k += 1
        term = -term * z2 / k
    return 2 / _pi().sqrt() * total


def _phi_inv(p: Decimal) -> Decimal:
    """Standard normal quantile by Newton's method on Phi(x) - p."""
    x = Decimal(repr(float(special.ndtri(float(p)))))
    sqrt2 = Decimal(2).sqrt()
    norm = 1 / (2 * _pi()).sqrt()
    for _ in range(50):
        cdf = (1 + _erf(x / sqrt2)) / 2
        pdf = norm * (-(x * x) / 2).exp()
        step = (cdf - p) / pdf
        x -= step
        if abs(step) < Decimal(10) ** (-55):
            break
    return x


PHI_INV_075 = _phi_inv(Decimal("0.75"))  # 0.674489750196081743202227014541...
assert str(PHI_INV_075).startswith("0.6744897501960817432022270145"), PHI_INV_075
assert close(float(PHI_INV_075), float(special.ndtri(0.75)), rel=2e-16)


# ================================================================ square-root law
SQRT_PARAMS = ("k", "floor", "form", "compare")


class SqrtLaw:
    """T(n) = k/sqrt(m) + B with m = n (guide) or n + 1 (promql), exactly."""

    def __init__(self, k, floor, form, compare):
        self.k, self.b = dec(k), dec(floor)
        self.form, self.cmp = form, compare
        assert self.k > 0

    def m(self, n: int, form=None) -> int:
        return n if (form or self.form) == "guide" else n + 1

    def threshold(self, n: int, form=None) -> float:
        m = self.m(n, form)
        return float(D(self.k) / Decimal(m).sqrt() + D(self.b))

    def passes(self, e: int, n: int) -> bool:
        """e/n > T(n) (or >=), exactly: e/n - B vs k/sqrt(m), compared on squares."""
        if n == 0:
            return False  # 0/0 is NaN: never alerts
        d = F(e, n) - self.b
        if d <= 0:
            return False
        return passes_sq(d * d, self.k * self.k / self.m(n), self.cmp)

    def min_errors(self, n: int):
        """Smallest integer e in [0, n] that passes, by bisection on the exact test."""
        if n == 0 or not self.passes(n, n):
            return None
        lo, hi = 0, n  # passes(hi) holds
        if self.passes(0, n):
            return 0
        while hi - lo > 1:  # invariant: not passes(lo), passes(hi)
            mid = (lo + hi) // 2
            if self.passes(mid, n):
                hi = mid
            else:
                lo = mid
        return hi

    # The same questions answered in IEEE doubles, only to point out where rounding
    # of T(n) would change an answer (reported; never written as a reference value).
    def float_threshold(self, n: int) -> float:
        k, b = float(self.k), float(self.b)
        return k / math.sqrt(self.m(n)) + b

    def float_passes(self, e: int, n: int) -> bool:
        if n == 0:
            return False
        r, t = e / n, self.float_threshold(n)
        return r > t if self.cmp == "gt" else r >= t

    def float_min_errors(self, n: int):
        for e in range(0, n + 1):
            if self.float_passes(e, n):
                return e
        return None


def sqrt_case(name, requests, errors, k=1.5, floor=0.01, form="guide", compare="gt", reference=None,
              note=None):
    assert len(requests) == len(errors)
    law = SqrtLaw(k, floor, form, compare)
    other = "promql" if form == "guide" else "guide"
    values = {}
    float_diffs = []
    for i, (n, e) in enumerate(zip(requests, errors), start=1):
        assert isinstance(n, int) and isinstance(e, int) and 0 <= e <= n
        assert not (n == 0 and form == "guide")
        values[f"rate.{i}"] = f(F(e, n)) if n > 0 else None
        values[f"threshold.{i}"] = law.threshold(n)
        values[f"threshold_other.{i}"] = law.threshold(n, other) if not (n == 0 and other == "guide") else None
        values[f"alert.{i}"] = law.passes(e, n)
        values[f"min_errors.{i}"] = law.min_errors(n)
        if values[f"threshold_other.{i}"] is None:
            # k/sqrt(0) is infinite: the core still reports a number (inf), which JSON cannot hold.
            del values[f"threshold_other.{i}"]
        fa, fm = law.float_passes(e, n), law.float_min_errors(n) if n <= 200_000 else None
        if n <= 200_000 and fm != values[f"min_errors.{i}"]:
            float_diffs.append(f"min_errors.{i}: exact {values[f'min_errors.{i}']}, IEEE-double evaluation {fm}")
        if fa != values[f"alert.{i}"]:
            float_diffs.append(f"alert.{i}: exact {values[f'alert.{i}']}, IEEE-double evaluation {fa}")
    values["limit"] = f(law.b)
    values["single_error_can_alert"] = law.passes(1, 1)
    values["z_at_half"] = f(2 * law.k)
    values["z_at_floor"] = (float(D(law.k) / D(law.b * (1 - law.b)).sqrt())
                            if 0 < law.b < 1 else None)
    ref = reference or (
        "Exact rational arithmetic on the decimal parameters: T(n) = k/sqrt(n) + B (or k/sqrt(n+1) + B) "
        "rounded once to a double; alert and min_errors decided exactly (e/n - B compared with k/sqrt(m) "
        "after squaring; min_errors by bisection over integers, not by a floor formula).")
    if note:
        ref += " " + note
    if float_diffs:
        msg = ("Boundary: T(n)*n is a whole number, and evaluating T(n) in doubles rounds it off the exact "
               "decimal value, which changes " + "; ".join(float_diffs) + ". The values here are the exact ones.")
        ref += " " + msg
        REPORT.append(f"square-root-law / {name}: {'; '.join(float_diffs)}")
    params = {"k": k, "floor": floor, "form": form, "compare": compare}
    return case(name, ref, {"scenarios.requests": list(requests), "scenarios.errors": list(errors)}, params, values)


def square_root_law_cases() -> list[dict]:
    cases = []
    # --- the guide's scenarios (its numbers are the published example for this method)
    guide_ref = ("Published example: the anomaly-detection guide's Scenario A (4 requests, 1 error: rate 25%, "
                 "T = 76%, no alert) and Scenario B (10,000 requests, 1 error: rate 0.01%, T = 2.5%, no alert); "
                 "k = 1.5, B = 0.01 as reconstructed in seed-errata.md row 1-2. Values recomputed exactly.")
    for form in ("guide", "promql"):
        for cmp in ("gt", "ge"):
            cases.append(sqrt_case(f"guide scenarios A and B, {form} form, {cmp}", [4, 10000], [1, 1],
                                   form=form, compare=cmp, reference=guide_ref))
    # The guide's literal numbers, checked here as well.
    law = SqrtLaw(1.5, 0.01, "guide", "gt")
    assert law.threshold(4) == 0.76 and law.threshold(10000) == 0.025
    assert law.min_errors(4) == 4 and law.min_errors(10000) == 251
    assert SqrtLaw(1.5, 0.01, "guide", "ge").min_errors(10000) == 250
    assert SqrtLaw(2, 0.01, "guide", "gt").min_errors(4) is None

    # --- philosophy bullets: 5 users with 1 error; 50,000 requests at a 1% error rate
    for form in ("guide", "promql"):
        cases.append(sqrt_case(f"philosophy: 5 requests 1 error, 50000 requests 1% errors, {form} form",
                               [5, 50000], [1, 500], form=form,
                               note="seed-errata row 3: T(50000) = 1.671%, so 1% does not alert."))
    # --- errata tuning table: k in 1, 1.5, 2, 3 at n = 4 ... 50000.  Errors at ceil(exact T*n),
    # capped at n, so that whole-number T*n rows sit exactly on the threshold.
    ns = [4, 25, 100, 1000, 10000, 50000]
    for k in (1.0, 1.5, 2.0, 3.0):
        for form in ("guide", "promql"):
            for cmp in ("gt", "ge"):
                law = SqrtLaw(k, 0.01, form, cmp)
                errs = []
                for n in ns:
                    tn = (law.k / F(math.isqrt(law.m(n))) + law.b) * n if math.isqrt(law.m(n)) ** 2 == law.m(n) \
                        else None
                    if tn is not None:
                        e = math.ceil(tn)
                    else:
                        e = math.ceil(law.threshold(n) * n)
                    errs.append(min(e, n))
                cases.append(sqrt_case(f"tuning table k={k:g}, {form} form, {cmp}", ns, errs, k=k, form=form,
                                       compare=cmp,
                                       note="seed-errata row 4 / section 4 (errors per row: ceil(T(n)*n) capped "
                                            "at n, so rows with whole-number T(n)*n sit on the threshold)."))
    # errata section 4: fewest errors that alert at k = 1.5 (strict comparison).
    law = SqrtLaw(1.5, 0.01, "guide", "gt")
    errata = {4: 4, 25: 8, 100: 17, 1000: 58, 10000: 251, 50000: 836}
    for n, want in errata.items():
        got = law.min_errors(n)
        if got != want:
            REPORT.append(f"ERRATA DISAGREEMENT square-root-law min_errors n={n}: errata {want}, here {got}")
    # errata: PromQL form thresholds
    pl = SqrtLaw(1.5, 0.01, "promql", "gt")
    for n, want in ((4, 0.6808), (5, 0.6224), (10000, 0.0249993)):
        if abs(pl.threshold(n) - want) > 0.5e-4 * (1 if n < 100 else 1e-3):
            REPORT.append(f"ERRATA DISAGREEMENT square-root-law promql T({n}): errata {want}, here {pl.threshold(n)}")
    if abs(SqrtLaw(1.5, 0.01, "guide", "gt").threshold(50000) - 0.01671) > 0.5e-5:
        REPORT.append("ERRATA DISAGREEMENT square-root-law T(50000)")

    # --- boundary cases where T(n)*n is a whole number
    cases.append(sqrt_case("boundary: T(10000) = 2.5% exactly, 250 and 251 errors, gt", [10000, 10000], [250, 251]))
    cases.append(sqrt_case("boundary: T(10000) = 2.5% exactly, 250 and 251 errors, ge", [10000, 10000], [250, 251],
                           compare="ge"))
    for cmp in ("gt", "ge"):
        cases.append(sqrt_case(f"decimal boundary: k=1.5 n=400 (T = 8.5%), 34 errors, {cmp}", [400, 400], [34, 35],
                               compare=cmp))
        cases.append(sqrt_case(f"decimal boundary: k=2 n=100 (T = 21%), 21 errors, {cmp}", [100, 100], [21, 22], k=2.0,
                               compare=cmp))
        cases.append(sqrt_case(f"decimal boundary: k=1.5 n=1000000 (T = 1.15%), 11500 errors, {cmp}",
                               [1000000, 1000000], [11500, 11501], compare=cmp))
    # --- floor B = 0: the limit is 0 and z_at_floor is undefined; T(1) = k = 1 exactly
    for cmp in ("gt", "ge"):
        cases.append(sqrt_case(f"floor 0, k=1: T(1) = 100%, T(100) = 10%, {cmp}", [1, 100, 10000], [1, 10, 100],
                               k=1.0, floor=0.0, compare=cmp))
    # --- small k: a single error can alert
    for form in ("guide", "promql"):
        cases.append(sqrt_case(f"k=0.5: one error alerts at very low traffic, {form} form", [1, 2, 3, 4], [1, 1, 1, 1],
                               k=0.5, form=form))
    # --- zero traffic is accepted by the PromQL form (rate undefined, never alerts)
    cases.append(sqrt_case("promql form with zero traffic", [0, 1, 9, 99], [0, 1, 3, 10], form="promql",
                           note="Row 1 has no requests: the rate is 0/0 (null), it never alerts and no error "
                                "count can alert; threshold_other.1 (k/sqrt(0) + B) is infinite and left out."))
    # --- floor near 1 and other parameter corners
    cases.append(sqrt_case("k=0.01, floor=0.999", [1, 10, 1000], [1, 10, 1000], k=0.01, floor=0.999))
    cases.append(sqrt_case("k=10, floor=1: nothing can alert", [1, 100, 1000000], [1, 100, 1000000], k=10.0,
                           floor=1.0))
    # --- random scenarios (fixed seed)
    rng = np.random.default_rng(20240601)
    for form in ("guide", "promql"):
        for cmp in ("gt", "ge"):
            ns_r = [int(v) for v in np.unique(rng.integers(1, 2_000_000, size=12))]
            rates = rng.uniform(0.0, 0.2, size=len(ns_r))
            es = [int(min(n, round(n * r))) for n, r in zip(ns_r, rates)]
            kk = float(rng.choice([0.5, 1.0, 1.5, 2.25, 3.0]))
            bb = float(rng.choice([0.0, 0.005, 0.01, 0.02]))
            cases.append(sqrt_case(f"random scenarios seed 20240601, {form} form, {cmp}", ns_r, es, k=kk, floor=bb,
                                   form=form, compare=cmp))
    return cases


# ================================================================ z-score
def z_ceiling_sq(n: int, sd: str) -> F:
    return F(n - 1) if sd == "population" else F((n - 1) ** 2, n)


def z_points_needed(threshold, sd: str, cmp: str) -> int:
    t = dec(threshold)
    n = 2
    while not passes_sq(z_ceiling_sq(n, sd), t * t, cmp):
        n += 1
    return n


def _pick_extreme(keys: list, xs: list[F]):
    """Index of the largest key, or None when the largest key is shared by different x."""
    best = max(keys)
    idx = [i for i, k in enumerate(keys) if k == best]
    if len({xs[i] for i in idx}) > 1:
        return None
    return idx[0]


def zscore_case(name, data, threshold=3.0, sd="population", baseline="all", compare="gt", reference=None,
                tolerance=TOL, with_scores=True, library_check=True, note=None):
    xs = [q(v) for v in data]
    n = len(xs)
    t = dec(threshold)
    mean = sum(xs, F(0)) / n
    ss = sum(((x - mean) ** 2 for x in xs), F(0))
    var = {"population": ss / n, "sample": ss / (n - 1)}
    values = {
        "n": n,
        "mean": f(mean),
        "sd": sqrt_f(var[sd]),
        "sd_population": sqrt_f(var["population"]),
        "sd_sample": sqrt_f(var["sample"]),
        "points_needed": z_points_needed(threshold, sd, compare),
    }
    flags, scores = [], []
    infinite = False
    # key for "largest |Z|": (kind, value) with kind 2 = infinite, 1 = finite, 0 = undefined
    keys = []
    if baseline == "all":
        values["z_ceiling"] = sqrt_f(z_ceiling_sq(n, sd))
        v = var[sd]
        for x in xs:
            d = x - mean
            if v == 0:
                scores.append(None)
                flags.append(False)
                keys.append((0, F(0)))
            else:
                scores.append(signed_sqrt_ratio(d, v))
                flags.append(passes_sq(d * d, t * t * v, compare))
                keys.append((1, d * d / v))
    else:
        assert not (sd == "sample" and n < 3)
        values["z_ceiling"] = None
        for i, x in enumerate(xs):
            others = xs[:i] + xs[i + 1:]
            m_i = sum(others, F(0)) / len(others)
            ss_i = sum(((o - m_i) ** 2 for o in others), F(0))
            v_i = ss_i / (len(others) if sd == "population" else len(others) - 1)
            d = x - m_i
            if v_i == 0:
                if d == 0:
                    scores.append(None)
                    flags.append(False)
                    keys.append((0, F(0)))
                else:
                    infinite = True
                    scores.append(None)
                    flags.append(True)  # +-infinity passes any threshold
                    keys.append((2, F(0)))
            else:
                scores.append(signed_sqrt_ratio(d, v_i))
                flags.append(passes_sq(d * d, t * t * v_i, compare))
                keys.append((1, d * d / v_i))
    values["flagged"] = sum(flags)
    defined = [k for k in keys if k[0] > 0]
    if defined:
        test = _pick_extreme(keys, xs)
        if test is not None:
            values["x_max"] = f(xs[test])
            if keys[test][0] == 1:
                values["z_max"] = scores[test]
    else:
        # every Z undefined: the core names the point furthest from the mean, its Z is undefined
        test = _pick_extreme([abs(x - mean) for x in xs], xs)
        if test is not None:
            values["x_max"] = f(xs[test])
        values["z_max"] = None

    # ---- library cross-checks (plain baseline)
    lib_note = ""
    if library_check:
        arr = np.asarray([float(v) for v in data], dtype=float)
        ddof = 0 if sd == "population" else 1
        assert close(float(np.mean(arr)), values["mean"], rel=1e-14), (name, np.mean(arr), values["mean"])
        assert close(float(np.std(arr, ddof=0)), values["sd_population"], rel=1e-13), name
        assert close(float(np.std(arr, ddof=1)), values["sd_sample"], rel=1e-13), name
        if baseline == "all" and values["sd"] > 0:
            zs = stats.zscore(arr, ddof=ddof)
            for a, b in zip(zs, scores):
                assert close(float(a), b, rel=1e-12, abs_=1e-13), (name, a, b)
            lib_flags = [(abs(z) > float(threshold)) if compare == "gt" else (abs(z) >= float(threshold)) for z in zs]
            if lib_flags != flags:
                REPORT.append(f"z-score / {name}: exact flags {flags} differ from flags on scipy's rounded Z "
                              f"{lib_flags} (a point sits exactly on the threshold)")
            lib_note = "; agrees with numpy.mean, numpy.std(ddof=0/1) and scipy.stats.zscore(x, ddof) to <= 1e-12"
        elif baseline == "leave-one-out":
            for i, s in enumerate(scores):
                if s is None:
                    continue
                others = np.delete(arr, i)
                z = (arr[i] - np.mean(others)) / np.std(others, ddof=ddof)
                assert close(float(z), s, rel=1e-11, abs_=1e-12), (name, i, z, s)
            lib_note = "; agrees with numpy on numpy.delete(x, i) per point to <= 1e-11"
        else:
            lib_note = "; agrees with numpy.mean and numpy.std(ddof=0/1)"
    if reference is None:
        reference = ("Exact rational mean and sum of squares, square root to 60 digits, rounded once; "
                     + ("each point's mean and SD are those of the other points (deleted explicitly), "
                        f"dividing by {'n-1' if sd == 'population' else 'n-2'}; " if baseline == "leave-one-out" else "")
                     + "flags decided exactly ((x - mean)^2 vs t^2 * var)" + lib_note + ".")
    if note:
        reference += " " + note
    if infinite:
        reference += (" Some point's other values are all equal while it differs, so its Z is infinite: scores "
                      "and z_max are left out, flags given (infinite Z is flagged).")
    params = {"threshold": threshold, "sd": sd, "baseline": baseline, "compare": compare}
    return case(name, reference, {"data": data_out(data)}, params, values, flags,
                scores if (with_scores and not infinite) else None, tolerance)


def z_score_cases() -> list[dict]:
    cases = []
    guide = [10, 12, 10, 11, 12, 50]
    # --- the guide's masking example
    c = zscore_case("guide masking example, population SD", guide, 3.0, "population")
    v = c["values"]
    assert v["mean"] == 17.5 and abs(v["sd"] - 14.557357818871756) < 1e-14 and abs(v["z_max"] - 2.2325479942430144) < 1e-14
    if round(v["z_max"], 4) != 2.2325:
        REPORT.append(f"ERRATA DISAGREEMENT z-score guide Z: {v['z_max']}")
    if round(v["sd_sample"], 3) != 15.947:
        REPORT.append(f"ERRATA DISAGREEMENT z-score sample SD: {v['sd_sample']}")
    cases.append(c)
    c = zscore_case("guide masking example, sample SD", guide, 3.0, "sample")
    if round(c["values"]["z_max"], 3) != 2.038:
        REPORT.append(f"ERRATA DISAGREEMENT z-score sample Z: {c['values']['z_max']}")
    cases.append(c)
    for thr in (2.236, 2.0):
        for sd in ("population", "sample"):
            for cmp in ("gt", "ge"):
                cases.append(zscore_case(f"guide data, threshold {thr:g}, {sd} SD, {cmp}", guide, thr, sd, compare=cmp))
    for sd in ("population", "sample"):
        for thr in (3.0, 2.0):
            c = zscore_case(f"guide data, leave-one-out, {sd} SD, threshold {thr:g}", guide, thr, sd, "leave-one-out")
            cases.append(c)
            if sd == "sample" and round(c["values"]["z_max"], 6) != 39.0:
                REPORT.append(f"ERRATA DISAGREEMENT z-score leave-one-out Z: {c['values']['z_max']}")
    # errata: points needed for threshold 3 is 11 for either SD
    for sd in ("population", "sample"):
        if z_points_needed(3.0, sd, "gt") != 11:
            REPORT.append(f"ERRATA DISAGREEMENT z-score points_needed {sd}")
    # errata: replacing 50 by 1e6 gives Z = 2.23607 (the ceiling)
    c = zscore_case("guide data with 50 replaced by 1e6 (Z near the ceiling)", [10, 12, 10, 11, 12, 1_000_000], 3.0)
    cases.append(c)
    if abs(c["values"]["z_max"] - 2.23607) > 5e-6:
        REPORT.append(f"ERRATA DISAGREEMENT z-score 1e6 Z {c['values']['z_max']}")

    # --- published: Wikipedia, "Standard deviation", population SD of eight students' grades
    wiki = [2, 4, 4, 4, 5, 5, 7, 9]
    cases.append(case(
        "published: Wikipedia 'Standard deviation', grades of eight students",
        "Published example, typed in by hand: Wikipedia, 'Standard deviation', section 'Population standard "
        "deviation of grades of eight students': data 2, 4, 4, 4, 5, 5, 7, 9 have mean 5 and population standard "
        "deviation 2. Only the published numbers are checked here.",
        {"data": wiki}, {"threshold": 3.0, "sd": "population", "baseline": "all", "compare": "gt"},
        {"n": 8, "mean": 5.0, "sd": 2.0, "sd_population": 2.0}))
    chk = zscore_case("tmp", wiki)
    assert chk["values"]["mean"] == 5.0 and chk["values"]["sd"] == 2.0
    # The same data: Z(9) = 4/2 = 2 exactly, on a threshold of 2.
    for cmp in ("gt", "ge"):
        cases.append(zscore_case(f"eight grades: Z(9) = 2 exactly on threshold 2, {cmp}", wiki, 2.0, compare=cmp,
                                 note="Every intermediate is exact in doubles (mean 5, sum of squares 32, SD 2)."))
    cases.append(zscore_case("eight grades, sample SD, threshold 2", wiki, 2.0, "sample"))

    # --- SciPy documentation example of scipy.stats.zscore.  Its printed output (1.1273, -1.247, -0.0552,
    # ..., -1.3324) does NOT follow from its printed input to 4 decimals (direct computation: 1.1272, -0.0554,
    # 1.1665, -0.8558, -1.3323), presumably because the input was rounded for display.  So the published
    # scores cannot be verified and are left out; the data are used as an ordinary case.
    sp = [0.7972, 0.0767, 0.4383, 0.7866, 0.8091, 0.1954, 0.6307, 0.6599, 0.1065, 0.0508]
    sp_published = [1.1273, -1.247, -0.0552, 1.0923, 1.1664, -0.8559, 0.5786, 0.6748, -1.1488, -1.3324]
    mine = zscore_case("tmp", sp)["scores"]
    worst = max(abs(a - b) for a, b in zip(mine, sp_published))
    REPORT.append(f"z-score: SciPy's documented zscore example output differs from recomputation by up to "
                  f"{worst:.1e} (more than its 4-decimal rounding); not used as a published case")
    cases.append(zscore_case("SciPy documentation data, full precision", sp))

    # --- the ceiling reached exactly
    for sd in ("population", "sample"):
        cases.append(zscore_case(f"ceiling attained: five 0s and a 1, {sd} SD, threshold 2.236", [0, 0, 0, 0, 0, 1],
                                 2.236, sd))
    for cmp in ("gt", "ge"):
        cases.append(zscore_case(f"ceiling 3 attained exactly: nine 0s and a 1, population SD, {cmp}", [0] * 9 + [1],
                                 3.0, compare=cmp,
                                 note="Exactly Z = 0.9/0.3 = 3 = sqrt(n-1): gt does not flag, ge does."))
    # --- ties and degenerate data
    cases.append(zscore_case("all equal: SD 0, every Z undefined", [7, 7, 7, 7], 3.0))
    cases.append(zscore_case("all equal, sample SD", [7.5, 7.5, 7.5], 3.0, "sample"))
    cases.append(zscore_case("ties: two values, largest |Z| shared (x_max left out)", [1, 1, 1, 9, 9, 9], 1.0,
                             compare="ge"))
    cases.append(zscore_case("ties: many equal values and one outlier", [5] * 11 + [20], 3.0))
    cases.append(zscore_case("ties: many equal values and one outlier, sample SD", [5] * 11 + [20], 3.0, "sample"))
    # --- negative values
    neg = [-3.5, -1.25, -2.0, -40.0, -2.75, -1.5, -3.0, -2.25, -1.75, -2.5, -3.25]
    for sd in ("population", "sample"):
        cases.append(zscore_case(f"negative values with a low outlier, {sd} SD", neg, 3.0, sd))
    cases.append(zscore_case("negative and positive values, threshold 2", [-12.5, 3.25, -0.75, 8.0, -4.5, 0.0, 1.5, -2.0],
                             2.0))

    # --- random normal data, fixed seeds
    for n, seed in ((2, 11), (3, 12), (10, 13), (11, 14), (50, 15)):
        rng = np.random.default_rng(seed)
        x = [float(v) for v in rng.normal(100.0, 15.0, n)]
        for sd in ("population", "sample"):
            thr = 3.0 if n >= 10 else 1.0
            cases.append(zscore_case(f"random normal n={n} seed {seed}, {sd} SD, threshold {thr:g}", x, thr, sd))
        if n >= 3:
            cases.append(zscore_case(f"random normal n={n} seed {seed}, leave-one-out sample SD", x, 3.0, "sample",
                                     "leave-one-out"))
    rng = np.random.default_rng(16)
    x = [float(v) for v in rng.normal(0.0, 1.0, 10)] + [100.0]
    for sd in ("population", "sample"):
        for thr in (3.0, 2.236):
            cases.append(zscore_case(f"n=11: ten normals (seed 16) and 100, {sd} SD, threshold {thr:g}", x, thr, sd))
    cases.append(zscore_case("n=11: ten normals (seed 16) and 100, leave-one-out population SD", x, 3.0, "population",
                             "leave-one-out"))

    # --- leave-one-out corner cases
    for sd in ("population", "sample"):
        cases.append(zscore_case(f"leave-one-out: the others are constant (infinite Z), {sd} SD", [5, 5, 5, 5, 9], 3.0,
                                 sd, "leave-one-out"))
    cases.append(zscore_case("leave-one-out: all equal (every Z undefined)", [4, 4, 4, 4], 3.0, "population",
                             "leave-one-out"))
    cases.append(zscore_case("leave-one-out: n=3 with the sample SD (n-2 = 1)", [1.0, 2.0, 4.5], 3.0, "sample",
                             "leave-one-out", compare="ge"))
    cases.append(zscore_case("leave-one-out: n=2 with the population SD (others have one value)", [3, 8], 3.0,
                             "population", "leave-one-out"))

    # --- cancellation: values near 1e9
    # Dyadic noise and n a power of two: every sum, the mean and every deviation are exact in doubles,
    # so a two-pass implementation is exact to rounding and 1e-12 applies.  The one-pass formula
    # sum(x^2) - n*mean^2 loses everything here.
    for n, seed in ((8, 21), (16, 22)):
        rng = np.random.default_rng(seed)
        ks = rng.integers(-3000, 3000, size=n)
        x = [1e9 + int(k) / 1024 for k in ks]
        x[-1] = 1e9 + 5.0 if n == 8 else 1e9 - 7.25
        assert all(float(F(v)) == v for v in x)
        for sd in ("population", "sample"):
            cases.append(zscore_case(f"cancellation: 1e9 + dyadic noise, n={n} seed {seed}, {sd} SD", x, 2.0, sd,
                                     note="Data near 1e9 with spread ~1: tests that the SD is not computed as "
                                          "sqrt(mean(x^2) - mean^2). Reference exact (fractions)."))
        # Leave-one-out: one more point, so that each point's n - 1 others are a power of two and their
        # mean, deviations and sum of squares are again exact in doubles when computed directly.
        x9 = x + [1e9 + 1.5]
        cases.append(zscore_case(f"cancellation: 1e9 + dyadic noise, n={n + 1} seed {seed}, leave-one-out", x9, 2.0,
                                 "sample", "leave-one-out",
                                 note=f"Each point's {n} other values are summed and averaged exactly in doubles; "
                                      f"deriving the others' mean from the full mean (sum/{n + 1}, rounded) instead "
                                      f"loses digits (about 1e-9 relative in Z here)."))
    rng = np.random.default_rng(23)
    x = [1e9 + float(v) for v in rng.normal(0.0, 1.0, 10)]
    c = zscore_case("cancellation: 1e9 + normal noise, n=10 seed 23 (loose tolerance)", x, 1.5, "population",
                    tolerance=1e-6, with_scores=False, library_check=False,
                    note="Tolerance 1e-6: the reference is exact, but at 1e9 a double has spacing 1.2e-7, so even the "
                         "correctly rounded mean is off by up to 6e-8 and any double implementation's Z carries a "
                         "~1e-7 relative error; per-point scores (some near 0) are left out, flags kept "
                         "(no |Z| is within 1e-3 of the threshold).")
    arr = np.asarray(x)
    assert close(float(np.std(arr)), c["values"]["sd"], rel=1e-6)
    zs = stats.zscore(arr)
    assert min(abs(abs(z) - 1.5) for z in zs) > 1e-3
    cases.append(c)
    return cases


# ================================================================ IQR
NUMPY_METHOD = {1: "inverted_cdf", 2: "averaged_inverted_cdf", 3: "closest_observation",
                4: "interpolated_inverted_cdf", 5: "hazen", 6: "weibull", 7: "linear",
                8: "median_unbiased", 9: "normal_unbiased"}
# Hyndman & Fan (1996): continuous types 4-9, Q(p) = (1-g) x_j + g x_{j+1}, j = floor(p n + m),
# g = p n + m - j, m = a + p (1 - a - b).
HF_AB = {4: (F(0), F(1)), 5: (F(1, 2), F(1, 2)), 6: (F(0), F(0)), 7: (F(1), F(1)), 8: (F(1, 3), F(1, 3)),
         9: (F(3, 8), F(3, 8))}


def hf_quantile(xs: list[F], p: F, typ: int) -> F:
    s = sorted(xs)
    n = len(s)

    def x(j: int) -> F:  # 1-based order statistic, clamped to [1, n]
        return s[min(max(j, 1), n) - 1]

    if typ in (1, 2, 3):
        m = F(-1, 2) if typ == 3 else F(0)
        npm = p * n + m
        j = math.floor(npm)
        g = npm - j
        if typ == 1:
            gamma = F(1) if g > 0 else F(0)
        elif typ == 2:
            gamma = F(1) if g > 0 else F(1, 2)
        else:
            gamma = F(0) if (g == 0 and j % 2 == 0) else F(1)
    else:
        a, b = HF_AB[typ]
        m = a + p * (1 - a - b)
        npm = p * n + m
        j = math.floor(npm)
        gamma = npm - j
    return (1 - gamma) * x(j) + gamma * x(j + 1)


def tukey_hinges(xs: list[F]) -> tuple[F, F]:
    """Medians of the lower and upper halves; the median belongs to both halves when n is odd."""
    s = sorted(xs)
    n = len(s)
    h = (n + 1) // 2
    return median_exact(s[:h]), median_exact(s[n - h:])


def fivenum(xs: list[F]) -> list[F]:
    """R's fivenum (stats package), from its documented algorithm, as a cross-check of the hinges."""
    s = sorted(xs)
    n = len(s)
    n4 = F(math.floor(F(n + 3, 2)), 2)
    d = [F(1), n4, F(n + 1, 2), n + 1 - n4, F(n)]
    return [(s[math.floor(v) - 1] + s[math.ceil(v) - 1]) / 2 for v in d]


def quartiles(xs: list[F], quantile: str) -> tuple[F, F, str]:
    if quantile == "tukey":
        q1, q3 = tukey_hinges(xs)
        fn = fivenum(xs)
        assert (fn[1], fn[3]) == (q1, q3)
        return q1, q3, "Tukey's hinges from their definition (medians of the halves, median in both halves for odd n), equal to R's fivenum"
    typ = int(quantile)
    q1, q3 = hf_quantile(xs, F(1, 4), typ), hf_quantile(xs, F(3, 4), typ)
    arr = np.asarray([float(v) for v in xs])
    meth = NUMPY_METHOD[typ]
    for p, exact in ((0.25, q1), (0.75, q3)):
        npv = float(np.quantile(arr, p, method=meth))
        if not close(npv, f(exact), rel=1e-13, abs_=1e-13):
            REPORT.append(f"iqr: numpy.quantile(method={meth!r}) at p={p} gives {npv!r}, Hyndman-Fan type {typ} "
                          f"exact {f(exact)!r} for data {[float(v) for v in xs]}")
        if typ >= 4:
            a, b = HF_AB[typ]
            mq = float(mstats.mquantiles(arr, prob=[p], alphap=float(a), betap=float(b))[0])
            assert close(mq, f(exact), rel=1e-14, abs_=1e-14), (typ, p, mq, exact)
    return q1, q3, (f"Hyndman & Fan (1996) type {typ} implemented exactly; equals numpy.quantile(x, p, "
                    f"method='{meth}')" + (" and scipy.stats.mstats.mquantiles" if typ >= 4 else ""))


def iqr_case(name, data, quantile="tukey", multiplier=1.5, side="both", compare="gt", reference=None, note=None,
             tolerance=TOL):
    xs = [q(v) for v in data]
    c = dec(multiplier)
    q1, q3, how = quartiles(xs, quantile)
    iqr = q3 - q1
    lower, upper = q1 - c * iqr, q3 + c * iqr
    up_on, lo_on = side != "lower", side != "upper"
    flags = []
    scores = []
    infinite = False
    for x in xs:
        out_up = up_on and (x > upper if compare == "gt" else x >= upper)
        out_lo = lo_on and (x < lower if compare == "gt" else x <= lower)
        flags.append(out_up or out_lo)
        beyond = x - q3 if x > q3 else (x - q1 if x < q1 else F(0))
        if beyond == 0:
            scores.append(0.0)
        elif iqr > 0:
            scores.append(f(beyond / iqr))
        else:
            infinite = True
            scores.append(None)
    med = median_exact(xs)
    assert f(med) == float(np.median(np.asarray([float(v) for v in xs])))
    values = {"q1": f(q1), "q3": f(q3), "iqr": f(iqr), "lower_fence": f(lower), "upper_fence": f(upper),
              "median": f(med), "flagged": sum(flags)}
    ref = reference or (how + "; fences and flags in exact arithmetic; median = numpy.median.")
    if note:
        ref += " " + note
    if infinite:
        ref += " IQR = 0 and some point lies outside [Q1, Q3]: its score is infinite, so scores are left out."
    params = {"multiplier": multiplier, "quantile": quantile, "side": side, "compare": compare}
    return case(name, ref, {"data": data_out(data)}, params, values, flags, None if infinite else scores, tolerance)


ERRATA_IQR = {  # seed-errata row 6, [10, 12, 13, 15, 16, 1000], c = 1.5: (q1, q3, upper fence), 4 s.f.
    "tukey": (12, 16, 22), "1": (12, 16, None), "2": (12, 16, None), "5": (12, 16, None),
    "7": (12.25, 15.75, 21.0), "3": (12, 15, 19.5), "4": (11, 15.5, 22.25), "6": (11.5, 262, 637.75),
    "8": (11.83, 98, 227.25), "9": (11.875, 77.5, 175.9),
}


def iqr_cases() -> list[dict]:
    cases = []
    guide = [10, 12, 13, 15, 16, 1000]
    defs = ["tukey"] + [str(t) for t in range(1, 10)]
    for d in defs:
        c = iqr_case(f"guide data, quantile {d}", guide, d,
                     note="seed-errata row 6." if d in ERRATA_IQR else None)
        cases.append(c)
        v = c["values"]
        want = ERRATA_IQR[d]
        got = (v["q1"], v["q3"], v["upper_fence"])
        for w, g, lab in zip(want, got, ("Q1", "Q3", "upper fence")):
            if w is None:
                continue
            sig = 4
            if float(f"{g:.{sig}g}") != float(f"{w:.{sig}g}") and abs(g - w) > 1e-9:
                REPORT.append(f"ERRATA DISAGREEMENT iqr guide data type {d} {lab}: errata {w}, here {g!r}")
        assert v["flagged"] >= 1 and c["flags"][-1]
    for d in ("tukey", "7"):
        for cmp in ("gt", "ge"):
            for side in ("both", "upper", "lower"):
                cases.append(iqr_case(f"guide data, quantile {d}, multiplier 3, {side}, {cmp}", guide, d, 3.0, side,
                                      cmp))

    # --- odd and even n from 2 to 13, all ten definitions
    rng = np.random.default_rng(31)
    for n in range(2, 14):
        if n % 3 == 0:
            x = [float(v) for v in np.round(rng.normal(20.0, 4.0, n), 3)]
        else:
            x = [int(v) for v in rng.integers(0, 60, n)]
        if n >= 5:
            x[int(rng.integers(0, n))] = 250 if isinstance(x[0], int) else 250.5
        for d in defs:
            cases.append(iqr_case(f"n={n} (seed 31), quantile {d}", x, d))

    # --- published examples
    ms_exc = [6, 7, 15, 36, 39, 40, 41, 42, 43, 47, 49]
    q1, q3, _ = quartiles([q(v) for v in ms_exc], "6")
    assert (q1, q3) == (15, 43)
    cases.append(case(
        "published: Microsoft Excel QUARTILE.EXC example (type 6)",
        "Published example, typed in by hand: Microsoft Support, 'QUARTILE.EXC function' "
        "(support.microsoft.com/en-us/excel/quartile-exc-function): data 6, 7, 15, 36, 39, 40, 41, 42, 43, 47, 49; "
        "QUARTILE.EXC(...,1) = 15, QUARTILE.EXC(...,3) = 43. QUARTILE.EXC is Hyndman-Fan type 6 (p(n+1)).",
        {"data": ms_exc}, {"multiplier": 1.5, "quantile": "6", "side": "both", "compare": "gt"},
        {"q1": 15.0, "q3": 43.0}))
    ms_inc = [1, 2, 4, 7, 8, 9, 10, 12]
    q1, q3, _ = quartiles([q(v) for v in ms_inc], "7")
    assert q1 == F(7, 2)
    cases.append(case(
        "published: Microsoft Excel QUARTILE.INC example (type 7)",
        "Published example, typed in by hand: Microsoft Support, 'QUARTILE.INC function': data 1, 2, 4, 7, 8, 9, "
        "10, 12; QUARTILE.INC(A2:A9,1) = 3.5 (only Q1 is published). QUARTILE.INC is Hyndman-Fan type 7.",
        {"data": ms_inc}, {"multiplier": 1.5, "quantile": "7", "side": "both", "compare": "gt"},
        {"q1": 3.5}))
    caco3 = [130.8, 129.9, 131.5, 131.2, 129.5, 132.7, 131.5, 127.8, 133.7, 132.2, 134.8, 131.7, 133.9, 129.8, 131.4,
             128.8, 132.7, 132.8, 131.4, 131.3]
    fn = [f(v) for v in fivenum([q(v) for v in caco3])]
    assert [round(v, 2) for v in fn] == [127.8, 130.35, 131.45, 132.7, 134.8], fn
    cases.append(case(
        "published: R fivenum output on 20 CaCO3 values (r-devel PR#13164)",
        "Published example, typed in by hand: R's fivenum() output quoted in R bug report PR#13164 (r-devel, "
        "14-15 Oct 2008, 'fivenum accuracy'; closed as not a bug by Duncan Murdoch): 127.80 130.35 131.45 132.70 "
        "134.80 for the 20 CaCO3 values. Tukey's hinges 130.35 and 132.70, median 131.45.",
        {"data": caco3}, {"multiplier": 1.5, "quantile": "tukey", "side": "both", "compare": "gt"},
        {"q1": 130.35, "q3": 132.7, "median": 131.45}))
    cbio = [910, 1058, 929, 1103, 1056, 1022, 1255, 1121, 1111, 1192, 1074, 1415]
    fn = [f(v) for v in fivenum([q(v) for v in cbio])]
    assert fn == [910.0, 1039.0, 1088.5, 1156.5, 1415.0], fn
    cases.append(case(
        "published: R fivenum output on 12 biomass values (r-help)",
        "Published example, typed in by hand: R output in the r-help thread 'Quartiles and Inter-Quartile Range' "
        "(Girish A.R.): fivenum(cbiomass) = 910.0 1039.0 1088.5 1156.5 1415.0, and Hmisc describe() .25 = 1047.5 "
        "(type 7 Q1; its .75 is printed rounded, 1138.8, so it is not used).",
        {"data": cbio}, {"multiplier": 1.5, "quantile": "tukey", "side": "both", "compare": "gt"},
        {"q1": 1039.0, "q3": 1156.5, "median": 1088.5}))
    cases.append(case(
        "published: r-help biomass values, type 7 Q1",
        "Published example, typed in by hand: same r-help thread, Hmisc::describe(cbiomass) .25 = 1047.5 "
        "(R quantile type 7).",
        {"data": cbio}, {"multiplier": 1.5, "quantile": "7", "side": "both", "compare": "gt"},
        {"q1": 1047.5, "median": 1088.5}))
    assert hf_quantile([q(v) for v in cbio], F(1, 4), 7) == F(10475, 10)

    # --- ties, IQR = 0, fence boundaries
    ties = [5, 5, 5, 5, 6, 7, 8, 30]
    for d in defs:
        cases.append(iqr_case(f"ties: [5,5,5,5,6,7,8,30], quantile {d}", ties, d))
    zero = [3, 3, 3, 3, 3, 3, 10, 1]
    for d in ("tukey", "7", "6"):
        for cmp in ("gt", "ge"):
            cases.append(iqr_case(f"IQR = 0: six 3s with 10 and 1, quantile {d}, {cmp}", zero, d, compare=cmp))
    cases.append(iqr_case("IQR = 0: all equal (scores all 0)", [4, 4, 4, 4], "tukey"))
    cases.append(iqr_case("IQR = 0: all equal, ge flags every point", [4, 4, 4, 4], "7", compare="ge",
                          note="Both fences equal 4 and ge counts a value on a fence as outside."))
    edge = [-1, 2, 2, 3, 4, 4, 7]
    for side in ("both", "upper", "lower"):
        for cmp in ("gt", "ge"):
            cases.append(iqr_case(f"points exactly on both fences (-1 and 7), tukey, {side}, {cmp}", edge, "tukey", 1.5,
                                  side, cmp, note="Hinges 2 and 4, IQR 2: fences -1 and 7 are hit exactly."))
    cases.append(iqr_case("negative values with fractional quartiles, type 8", [-0.5, -7.25, -3.0, -2.5, -1.0, -30.0,
                                                                               -2.0, -4.75, -1.5], "8", 1.5))
    cases.append(iqr_case("two points, tukey (hinges are the two points)", [1.5, 4.0], "tukey"))
    for d in defs:
        cases.append(iqr_case(f"n=2, quantile {d}", [10, 20], d))
    return cases


# ================================================================ MAD
MAD_FACTOR_NAME = {"1.4826": "1.4826 x MAD", "exact": "MAD / Phi^-1(3/4) (Phi^-1(3/4) to 60 digits)",
                   "0.6745": "MAD / 0.6745", "raw": "MAD"}
MEAN_AD = F("1.253314")


def mad_case(name, data, threshold=3.5, scale="1.4826", zero_mad="undefined", compare="gt", reference=None, note=None,
             tolerance=TOL):
    xs = [q(v) for v in data]
    n = len(xs)
    t = dec(threshold)
    med = median_exact(xs)
    dev = [abs(x - med) for x in xs]
    mad = median_exact(dev)
    values = {"median": f(med), "mad": f(mad)}
    arr = np.asarray([float(v) for v in data])
    assert float(np.median(arr)) == f(med)
    assert float(stats.median_abs_deviation(arr)) == f(mad)
    # scale as an exact rational, or as a 60-digit decimal for the irrational normal constant
    undefined = False
    s_q = None  # rational scale
    s_d = None  # Decimal scale (exact choice)
    if mad > 0:
        if scale == "1.4826":
            s_q = F("1.4826") * mad
        elif scale == "0.6745":
            s_q = mad / F("0.6745")
        elif scale == "raw":
            s_q = mad
        else:
            s_d = D(mad) / PHI_INV_075
            sp = float(stats.median_abs_deviation(arr, scale="normal"))
            assert close(sp, float(s_d), rel=2e-16), (sp, s_d)
    else:
        if zero_mad == "mean-ad":
            mean_ad = sum(dev, F(0)) / n
            values["mean_ad"] = f(mean_ad)
            if mean_ad > 0:
                s_q = MEAN_AD * mean_ad
            else:
                undefined = True
        else:
            undefined = True
    scores, flags = [], []
    for x in xs:
        d = x - med
        if undefined:
            scores.append(None)
            flags.append(False)
        elif s_q is not None:
            z = d / s_q
            scores.append(f(z))
            flags.append(abs(z) > t if compare == "gt" else abs(z) >= t)
        else:
            z = D(d) / s_d
            scores.append(float(z))
            lhs, rhs = abs(z), D(t)
            assert d == 0 or abs(lhs - rhs) > Decimal(10) ** -40
            flags.append(lhs > rhs if compare == "gt" else lhs >= rhs)
    values["scale"] = None if undefined else (f(s_q) if s_q is not None else float(s_d))
    values["flagged"] = sum(flags)
    test = _pick_extreme(dev, xs)
    if test is not None:
        values["x_max"] = f(xs[test])
        values["score_max"] = scores[test]
    elif undefined:
        values["score_max"] = None
    ref = reference or ("Exact median and MAD (fractions), equal to numpy.median and "
                        "scipy.stats.median_abs_deviation(x); scale = " + MAD_FACTOR_NAME[scale] +
                        ("" if scale != "exact" else ", equal to median_abs_deviation(x, scale='normal')") +
                        "; score = (x - median)/scale rounded once; flags decided exactly.")
    if mad == 0:
        ref += (" MAD = 0: " + ("the scale falls back to 1.253314 x mean(|x - median|)." if zero_mad == "mean-ad"
                                else "scale, scores and score_max are undefined (null), nothing is flagged."))
    if note:
        ref += " " + note
    params = {"threshold": threshold, "scale": scale, "zero_mad": zero_mad, "compare": compare}
    return case(name, ref, {"data": data_out(data)}, params, values, flags, scores, tolerance)


def mad_cases() -> list[dict]:
    cases = []
    guide = [1, 1, 2, 2, 4, 6, 900]
    for scale in ("1.4826", "exact", "0.6745", "raw"):
        c = mad_case(f"guide data, scale {scale}, threshold 3.5", guide, 3.5, scale, note="seed-errata row 7.")
        cases.append(c)
        v = c["values"]
        assert v["median"] == 2 and v["mad"] == 1 and v["x_max"] == 900 and v["flagged"] == (2 if scale == "raw" else 1)
        if scale == "exact":
            if round(v["scale"], 6) != 1.482602 or round(v["score_max"], 1) != 605.7:
                REPORT.append(f"ERRATA DISAGREEMENT mad exact: {v['scale']} {v['score_max']}")
            if round(c["scores"][5], 3) != 2.698:
                REPORT.append(f"ERRATA DISAGREEMENT mad z(6): {c['scores'][5]}")
        if scale == "0.6745" and round(v["score_max"], 2) != 605.70:
            REPORT.append(f"ERRATA DISAGREEMENT mad 0.6745 form: {v['score_max']}")
        if scale == "1.4826" and round(v["score_max"], 2) != 605.69:
            REPORT.append(f"ERRATA DISAGREEMENT mad 1.4826 form: {v['score_max']}")
    cases.append(mad_case("guide data, threshold 3 (the guide's PromQL), ge", guide, 3.0, compare="ge"))
    # errata: breakdown demo [2,2,4,6,900,900,900] -> MAD 4
    c = mad_case("three of seven at 900: MAD moves to 4", [2, 2, 4, 6, 900, 900, 900])
    if c["values"]["mad"] != 4:
        REPORT.append(f"ERRATA DISAGREEMENT mad breakdown: {c['values']['mad']}")
    cases.append(c)
    cases.append(mad_case("four of seven equal: MAD collapses to 0", [1, 1, 2, 1e9, 1e9, 1e9, 1e9]))

    # --- published examples
    cases.append(case(
        "published: Wikipedia 'Median absolute deviation' example",
        "Published example, typed in by hand: Wikipedia, 'Median absolute deviation', section 'Example': data "
        "(1, 1, 2, 2, 4, 6, 9) have median 2, absolute deviations (1, 1, 0, 0, 2, 4, 7) and MAD 1.",
        {"data": [1, 1, 2, 2, 4, 6, 9]}, {"threshold": 3.5, "scale": "raw", "zero_mad": "undefined", "compare": "gt"},
        {"median": 2.0, "mad": 1.0, "scale": 1.0}))
    cases.append(mad_case("Wikipedia example data, scale 1.4826", [1, 1, 2, 2, 4, 6, 9], 3.5, "1.4826"))
    assert mad_case("t", list(range(1, 10)), scale="raw")["values"]["mad"] == 2
    assert mad_case("t", list(range(1, 9)) + [100], scale="raw")["values"]["mad"] == 2
    cases.append(case(
        "published: R documentation ?mad, mad(c(1:9), constant = 1)",
        "Published example, typed in by hand: R documentation for stats::mad, Examples: "
        "'print(mad(c(1:9), constant = 1)) == mad(c(1:8, 100), constant = 1)  # = 2 ; TRUE'. constant = 1 is "
        "the raw MAD.",
        {"data": list(range(1, 10))}, {"threshold": 3.5, "scale": "raw", "zero_mad": "undefined", "compare": "gt"},
        {"median": 5.0, "mad": 2.0, "scale": 2.0}))
    cases.append(case(
        "published: R documentation ?mad, mad(c(1:8, 100), constant = 1)",
        "Published example, typed in by hand: R documentation for stats::mad, Examples (same line): "
        "mad(c(1:8, 100), constant = 1) = 2.",
        {"data": list(range(1, 9)) + [100]}, {"threshold": 3.5, "scale": "raw", "zero_mad": "undefined",
                                               "compare": "gt"},
        {"mad": 2.0, "scale": 2.0}))
    cases.append(case(
        "published: R output mad(1:5) = 1.4826 (r-help)",
        "Published example, typed in by hand: R output quoted on r-help, 17 Sep 2007, thread '[R] MAD' "
        "(answered by Deepayan Sarkar): x <- seq(1:5); mad(x) gives 1.4826; mad(x, constant=1) gives 1.",
        {"data": [1, 2, 3, 4, 5]}, {"threshold": 3.5, "scale": "1.4826", "zero_mad": "undefined", "compare": "gt"},
        {"median": 3.0, "mad": 1.0, "scale": 1.4826}))
    cases.append(case(
        "published: R output mad(1:10, constant = 1) = 2.5 (r-help)",
        "Published example, typed in by hand: same r-help thread: x <- seq(1:10); mad(x, constant=1) gives 2.5.",
        {"data": list(range(1, 11))}, {"threshold": 3.5, "scale": "raw", "zero_mad": "undefined", "compare": "gt"},
        {"mad": 2.5, "scale": 2.5}))
    for d, want in (([1, 2, 3, 4, 5], (3, 1)), (list(range(1, 11)), (5.5, 2.5))):
        v = mad_case("t", d, scale="raw")["values"]
        assert (v["median"], v["mad"]) == want

    # --- MAD = 0
    for zm in ("undefined", "mean-ad"):
        c = mad_case(f"MAD = 0: [10,10,10,10,50], zero_mad {zm}", [10, 10, 10, 10, 50], 3.5, zero_mad=zm)
        cases.append(c)
        if zm == "mean-ad":
            assert c["values"]["mean_ad"] == 8.0
        cases.append(mad_case(f"MAD = 0: all equal, zero_mad {zm}", [3, 3, 3, 3], 3.5, zero_mad=zm))
        cases.append(mad_case(f"MAD = 0: [10,10,10,50,100] (the guide's ESD set), zero_mad {zm}",
                              [10, 10, 10, 50, 100], 3.5, "exact", zm))
    cases.append(mad_case("MAD = 0, mean-ad, ge", [2, 2, 2, 2, 2, 7], 2.0, zero_mad="mean-ad", compare="ge"))
    cases.append(mad_case("mean-ad chosen but MAD > 0 (no fallback)", guide, 3.5, zero_mad="mean-ad"))

    # --- exact threshold boundary with the raw MAD
    for cmp in ("gt", "ge"):
        cases.append(mad_case(f"boundary: raw score exactly 3.5, {cmp}", [0, 1, 2, 3, 4, 5, 10], 3.5, "raw", compare=cmp,
                              note="Median 3, MAD 2, (10 - 3)/2 = 3.5 exactly."))
    # --- even n, negative values, ties in the extreme
    cases.append(mad_case("even n: median and MAD average two middle values", [1.5, 2.0, 3.25, 4.0, 100.0, 6.5]))
    cases.append(mad_case("negative values", [-3.5, -1.25, -2.0, -40.0, -2.75, -1.5, -3.0, -2.25], 3.5, "exact"))
    cases.append(mad_case("symmetric extremes: x_max shared by two values (left out)", [-10, 0, 1, 2, 3, 13], 3.0))
    cases.append(mad_case("two points", [1.0, 4.0], 1.0, "raw", compare="ge"))
    # --- random data
    for n, seed in ((7, 41), (20, 42), (51, 43)):
        rng = np.random.default_rng(seed)
        x = [float(v) for v in rng.normal(50.0, 5.0, n)]
        x[int(rng.integers(0, n))] = 95.0
        for scale in ("1.4826", "exact", "0.6745", "raw"):
            cases.append(mad_case(f"random normal n={n} seed {seed} with one outlier, scale {scale}", x, 3.5, scale))
    rng = np.random.default_rng(44)
    x = [float(v) for v in rng.standard_t(2, 30)]
    cases.append(mad_case("heavy tails: Student t(2), n=30, seed 44, threshold 3", x, 3.0, "exact"))
    return cases


# ================================================================ main
def main() -> int:
    out = []
    for method, build in (("square-root-law", square_root_law_cases), ("z-score", z_score_cases),
                          ("iqr", iqr_cases), ("mad", mad_cases)):
        cases = build()
        path = write(method, cases)
        json.loads(path.read_text(encoding="utf-8"))
        out.append(f"{path.relative_to(HERE.parent.parent)}: {len(cases)} cases, {path.stat().st_size} bytes")
    print("\n".join(out))
    if REPORT:
        print("\nNotes:")
        for line in REPORT:
            print(" -", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
