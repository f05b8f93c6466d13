//! Rolling percentiles: flag a point when it passes s × the p-th percentile of a window
//! of the series before it (the guide's hand example), or of a window that holds the
//! point itself (PromQL's `metric > quantile_over_time(0.99, metric[1h]) * 1.2`).
//!
//! Every convention the guide leaves open is a parameter: the window in samples or as a
//! duration (left-open as in Prometheus 3, or closed as in Prometheus 2), whether the
//! current point is in its own window, the quantile definition (Hyndman–Fan types 1–9;
//! type 7 is Prometheus's `quantile_over_time` and numpy's default), the multiplier and
//! `>` or `≥`.
//!
//! The windows slide over the whole series without sorting any of them. A window of up
//! to 2,048 values is a sorted vector: each step swaps the leaving value for the entering
//! one with two binary searches and one move of the values between them, all in the
//! cache. A longer window lives in a Fenwick tree over the ranks of the series' values,
//! sorted once, where adding a sample, removing one and finding the k-th smallest each
//! take O(log n). A series of n points costs O(n·min(w, 2048) + n log n) at most, with a
//! small constant on the first term.

use super::common::{flagged_points, n_points, series_field, Compare, Observed, Series, STEP};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, list, num, pct};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{number, Choice, MethodSpec, ParamKind, ParamSpec, COMPARE_CHOICES};
use crate::stats::{hf_pick, hf_rank, quantile, QuantileDef};

/// The fewest rows: one sample for the window and one to test.
const MIN_ROWS: usize = 2;

/// The quantile definitions, Hyndman & Fan's nine types (the IQR lesson's list without
/// Tukey's hinges, which are defined for quartiles only).
pub const PERCENTILE_CHOICES: &[Choice] = &[
    Choice { id: "1", label: "type 1: nearest rank, inverse of the ECDF" },
    Choice { id: "2", label: "type 2: inverse ECDF, averaged at steps" },
    Choice { id: "3", label: "type 3: nearest even order statistic (SAS)" },
    Choice { id: "4", label: "type 4: linear in the ECDF" },
    Choice { id: "5", label: "type 5: piecewise linear, midpoints" },
    Choice { id: "6", label: "type 6: p(n + 1) (Minitab, Excel PERCENTILE.EXC)" },
    Choice { id: "7", label: "type 7: 1 + p(n − 1) (Prometheus, numpy, pandas)" },
    Choice { id: "8", label: "type 8: median-unbiased" },
    Choice { id: "9", label: "type 9: normal-unbiased" },
];

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "rolling-percentile",
        name: "Rolling percentile",
        summary: "Flags a point that passes a multiple of a percentile of the window of samples before it.",
        fields: &[series_field(MIN_ROWS)],
        params: &[
            ParamSpec {
                id: "window",
                label: "Window",
                unit: "samples",
                help: "How many previous samples form the window when it is counted in samples; the guide's hand example uses 5.",
                kind: ParamKind::Number { default: 5.0, min: 1.0, max: 100_000.0, step: 1.0, integer: true, log: true },
            },
            ParamSpec {
                id: "percentile",
                label: "Percentile",
                unit: "%",
                help: "Which percentile of the window sets the threshold: the guide uses P99.",
                kind: number(99.0, 0.0, 100.0, 0.1),
            },
            ParamSpec {
                id: "sensitivity",
                label: "Multiplier s",
                unit: "×",
                help: "Alert when the value passes s × the percentile: the guide's hand example uses 1, its PromQL 1.2.",
                kind: number(1.0, 0.1, 10.0, 0.05),
            },
            ParamSpec {
                id: "quantile",
                label: "Quantile definition",
                unit: "",
                help: "Type 7 is Prometheus's quantile_over_time and numpy's default; the guide's “the max is roughly P99” is type 1 (nearest rank).",
                kind: ParamKind::Choice { default: "7", options: PERCENTILE_CHOICES },
            },
            ParamSpec {
                id: "current",
                label: "Current point",
                unit: "",
                help: "The guide's hand example tests 110 against the 5 values before it; in PromQL, metric[1h] holds the current sample too.",
                kind: ParamKind::Choice {
                    default: "exclude",
                    options: &[
                        Choice { id: "exclude", label: "not in its own window (the guide's hand example)" },
                        Choice { id: "include", label: "inside its own window (PromQL)" },
                    ],
                },
            },
            ParamSpec {
                id: "compare",
                label: "Comparison",
                unit: "",
                help: "Whether a value exactly at the threshold alerts: the guide and PromQL write “>”.",
                kind: ParamKind::Choice { default: "gt", options: COMPARE_CHOICES },
            },
            ParamSpec {
                id: "window_by",
                label: "Window counted in",
                unit: "",
                help: "A number of samples, or a duration as PromQL's [5m] (then gaps and uneven spacing change how many samples it holds).",
                kind: ParamKind::Choice {
                    default: "samples",
                    options: &[
                        Choice { id: "samples", label: "samples (the window parameter)" },
                        Choice { id: "time", label: "time (the duration parameter)" },
                    ],
                },
            },
            ParamSpec {
                id: "range",
                label: "Duration",
                unit: "s",
                help: "The length of a time window in seconds (300 = [5m], 3600 = [1h]); used when the window is counted in time.",
                kind: ParamKind::Number { default: 300.0, min: 0.001, max: 1e9, step: 1.0, integer: false, log: true },
            },
            ParamSpec {
                id: "range_edge",
                label: "Oldest edge of a time window",
                unit: "",
                help: "Prometheus 3 leaves out a sample exactly one duration old, (t − D, t]; Prometheus 2 kept it, [t − D, t].",
                kind: ParamKind::Choice {
                    default: "open",
                    options: &[
                        Choice { id: "open", label: "open: (t − D, t] (Prometheus 3)" },
                        Choice { id: "closed", label: "closed: [t − D, t] (Prometheus 2)" },
                    ],
                },
            },
            STEP,
            ParamSpec {
                id: "partial",
                label: "Score partial windows",
                unit: "",
                help: "Also score the first points, whose window is not yet full (PromQL does); off, they only fill the window.",
                kind: ParamKind::Flag { default: false },
            },
        ],
    },
    run,
};

/// How the window of each point is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WindowSpec {
    /// The `w` observed samples before the point.
    Samples(usize),
    /// The samples less than `range` seconds older than the point, or at most `range`
    /// seconds older when `closed`.
    Time { range: f64, closed: bool },
}

/// The rolling percentile of every observed sample: NaN where the point is not scored.
#[derive(Debug, Clone, PartialEq)]
pub struct Rolling {
    pub percentile: Vec<f64>,
    /// Index of the oldest sample of the point's window: the window of earlier samples is
    /// `start..k`, and it holds k − start values, one more when the point is in it.
    pub start: Vec<usize>,
    /// Whether the window covered its full length.
    pub full: Vec<bool>,
}

/// An order-statistic multiset of samples: every value of the series is sorted once, a
/// sample enters the window by the rank of its value, and a Fenwick tree counts the
/// samples at each rank, so that adding, removing and the k-th smallest are O(log n).
#[derive(Debug)]
struct RankWindow {
    sorted: Vec<f64>,
    /// 1-based Fenwick tree of counts per rank.
    tree: Vec<u32>,
    /// The highest power of two not above the number of ranks, for the k-th search.
    top: usize,
}

impl RankWindow {
    /// The window structure for `values`, and the 1-based rank slot of each value: equal
    /// values share one slot. Ranks come from one sort of (key, index) pairs rather than
    /// a binary search per value, which would miss the cache at every step.
    fn new(values: &[f64]) -> (Self, Vec<usize>) {
        // The integer key orders doubles as `f64::total_cmp` does.
        let key = |x: f64| {
            let b = x.to_bits() as i64;
            b ^ ((((b >> 63) as u64) >> 1) as i64)
        };
        let mut order: Vec<(i64, u32)> = values.iter().enumerate().map(|(i, &v)| (key(v), i as u32)).collect();
        order.sort_unstable();
        let m = values.len();
        let mut sorted = Vec::with_capacity(m);
        let mut ranks = vec![1; m];
        let mut slot = 0;
        let mut previous: Option<i64> = None;
        for (pos, &(k, i)) in order.iter().enumerate() {
            if previous != Some(k) {
                slot = pos + 1;
                previous = Some(k);
            }
            sorted.push(values.get(i as usize).copied().unwrap_or(f64::NAN));
            if let Some(r) = ranks.get_mut(i as usize) {
                *r = slot;
            }
        }
        let mut top = 1;
        while top * 2 <= m {
            top *= 2;
        }
        (RankWindow { sorted, tree: vec![0; m + 1], top }, ranks)
    }

    fn update(&mut self, rank: usize, add: bool) {
        let mut i = rank;
        while let Some(c) = self.tree.get_mut(i) {
            *c = if add { c.saturating_add(1) } else { c.saturating_sub(1) };
            if i == 0 {
                break;
            }
            i += i & i.wrapping_neg();
        }
    }

    /// The k-th smallest value in the window (1-based k, at most the window's size).
    fn kth(&self, k: usize) -> f64 {
        let mut pos = 0;
        let mut rem = k as u32;
        let mut step = self.top;
        while step > 0 {
            let next = pos + step;
            if let Some(&c) = self.tree.get(next) {
                if c < rem {
                    pos = next;
                    rem -= c;
                }
            }
            step /= 2;
        }
        self.sorted.get(pos).copied().unwrap_or(f64::NAN)
    }
}

/// Windows of up to this many values are kept as a sorted vector, which stays in the
/// processor's cache (two binary searches and one move of the values between the leaving
/// and the entering sample); longer ones in the Fenwick tree, whose cost does not grow
/// with the window. The two cost the same at about 2,000 values (100,000 samples,
/// measured natively).
const SMALL_WINDOW: usize = 2048;

/// The values of a window, as a multiset that answers “the k-th smallest”.
#[derive(Debug)]
enum Multiset {
    Small(Vec<f64>),
    Large(RankWindow, Vec<usize>),
}

impl Multiset {
    /// Adds (or removes) sample `i` of value `v`.
    fn update(&mut self, i: usize, v: f64, add: bool) {
        match self {
            Multiset::Small(sorted) => {
                let pos = sorted.partition_point(|a| a.total_cmp(&v).is_lt());
                if add {
                    sorted.insert(pos, v);
                } else if sorted.get(pos).is_some_and(|a| a.total_cmp(&v).is_eq()) {
                    sorted.remove(pos);
                }
            }
            Multiset::Large(tree, ranks) => {
                if let Some(&r) = ranks.get(i) {
                    tree.update(r, add);
                }
            }
        }
    }

    /// Removes sample `i` of value `old` and adds sample `j` of value `new`. In a sorted
    /// vector this moves only the values between the two positions, once.
    fn replace(&mut self, i: usize, old: f64, j: usize, new: f64) {
        if let Multiset::Small(sorted) = self {
            let at = sorted.partition_point(|a| a.total_cmp(&old).is_lt());
            if sorted.get(at).is_some_and(|a| a.total_cmp(&old).is_eq()) {
                let to = sorted.partition_point(|a| a.total_cmp(&new).is_lt());
                if to > at {
                    // The values between are below `new`: they move down into the gap.
                    sorted.copy_within(at + 1..to, at);
                    if let Some(slot) = sorted.get_mut(to - 1) {
                        *slot = new;
                    }
                } else {
                    sorted.copy_within(to..at, to + 1);
                    if let Some(slot) = sorted.get_mut(to) {
                        *slot = new;
                    }
                }
                return;
            }
        }
        self.update(i, old, false);
        self.update(j, new, true);
    }

    fn kth(&self, k: usize) -> f64 {
        match self {
            Multiset::Small(sorted) => sorted.get(k.saturating_sub(1)).copied().unwrap_or(f64::NAN),
            Multiset::Large(tree, _) => tree.kth(k),
        }
    }
}

/// The rolling type-`t` quantile `p` (in [0, 1]) of observed samples at times `ts` with
/// values `vs` (no NaN): for each sample k, of its window of earlier samples (and of
/// itself when `include`). A point is scored when its window is full, or, with
/// `partial`, whenever the window holds at least one value.
pub fn rolling(ts: &[f64], vs: &[f64], window: WindowSpec, include: bool, partial: bool, p: f64, t: u8) -> Rolling {
    rolling_with(ts, vs, window, include, partial, p, t, SMALL_WINDOW)
}

/// The oldest sample of the window of earlier samples of sample k, given that of k − 1.
fn window_start(ts: &[f64], window: WindowSpec, k: usize, lo: usize) -> usize {
    match window {
        WindowSpec::Samples(w) => k.saturating_sub(w).max(lo),
        WindowSpec::Time { range, closed } => {
            let edge = ts.get(k).copied().unwrap_or(0.0) - range;
            let mut i = lo;
            while i < k && ts.get(i).is_some_and(|&t| if closed { t < edge } else { t <= edge }) {
                i += 1;
            }
            i
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn rolling_with(
    ts: &[f64],
    vs: &[f64],
    window: WindowSpec,
    include: bool,
    partial: bool,
    p: f64,
    t: u8,
    small: usize,
) -> Rolling {
    let n = vs.len().min(ts.len());
    let mut out = Rolling { percentile: vec![f64::NAN; n], start: vec![0; n], full: vec![false; n] };
    let Some(&first_time) = ts.first() else { return out };
    // The largest window decides the structure.
    let largest = match window {
        WindowSpec::Samples(w) => w.min(n),
        WindowSpec::Time { .. } => {
            let mut lo = 0;
            (0..n)
                .map(|k| {
                    lo = window_start(ts, window, k, lo);
                    k - lo
                })
                .max()
                .unwrap_or(0)
        }
    } + usize::from(include);
    let mut win = if largest <= small {
        Multiset::Small(Vec::with_capacity(largest + 1))
    } else {
        let (tree, ranks) = RankWindow::new(vs.get(..n).unwrap_or(&[]));
        Multiset::Large(tree, ranks)
    };
    let value = |i: usize| vs.get(i).copied().unwrap_or(f64::NAN);
    let mut lo = 0;
    let mut cached = hf_rank(0, p, t);
    // The sample to add before the next query: the point itself (when it is in its own
    // window), or the previous point (when it is not). In the steady state one sample
    // leaves as one enters, and the two are swapped in one move.
    let mut pending: Option<usize> = None;
    for k in 0..n {
        if include {
            pending = Some(k);
        }
        // Drop the samples that have left the window of earlier samples.
        let new_lo = window_start(ts, window, k, lo);
        match pending.take() {
            Some(j) if new_lo == lo + 1 && j >= new_lo => win.replace(lo, value(lo), j, value(j)),
            other => {
                // Add first: a sample may enter and leave in the same step.
                if let Some(j) = other {
                    win.update(j, value(j), true);
                }
                for i in lo..new_lo {
                    win.update(i, value(i), false);
                }
            }
        }
        lo = new_lo;
        let full = match window {
            WindowSpec::Samples(w) => k >= w,
            WindowSpec::Time { range, .. } => ts.get(k).copied().unwrap_or(first_time) - first_time >= range,
        };
        let size = k - lo + usize::from(include);
        if size > 0 && (full || partial) {
            if cached.n != size {
                cached = hf_rank(size, p, t);
            }
            if let Some(slot) = out.percentile.get_mut(k) {
                *slot = hf_pick(&cached, t, |r| win.kth(r)).0;
            }
        }
        if let Some(slot) = out.start.get_mut(k) {
            *slot = lo;
        }
        if let Some(slot) = out.full.get_mut(k) {
            *slot = full;
        }
        if !include {
            pending = Some(k);
        }
    }
    out
}

/// The least value the tested point could take and still alert, given the other values
/// of its window (`prev`, sorted): with the point outside its window this is s × the
/// percentile; inside it, the percentile moves with the point. As x grows through the
/// gaps between the other values, the quantile is linear in x on each gap, Q = α + a·x,
/// so x − s·Q changes sign at most once per gap. `None` when no value alerts.
pub fn alert_level(prev: &[f64], include: bool, p: f64, t: u8, s: f64) -> Option<f64> {
    let m = prev.len();
    if !include {
        if m == 0 {
            return None;
        }
        let rank = hf_rank(m, p, t);
        return Some(s * hf_pick(&rank, t, |r| prev[r - 1]).0);
    }
    let n = m + 1;
    let rank = hf_rank(n, p, t);
    for r in 1..=n {
        // x sits at rank r: between prev[r − 2] and prev[r − 1].
        let lo = if r == 1 { f64::NEG_INFINITY } else { prev.get(r - 2).copied().unwrap_or(f64::NEG_INFINITY) };
        let hi = if r == n { f64::INFINITY } else { prev.get(r - 1).copied().unwrap_or(f64::INFINITY) };
        if lo > hi {
            continue;
        }
        let other = |i: usize| {
            if i < r {
                prev.get(i - 1).copied().unwrap_or(0.0)
            } else {
                prev.get(i.saturating_sub(2)).copied().unwrap_or(0.0)
            }
        };
        let alpha = hf_pick(&rank, t, |i| if i == r { 0.0 } else { other(i) }).0;
        let a = hf_pick(&rank, t, |i| if i == r { 1.0 } else { 0.0 }).0;
        // f(x) = x − s·(α + a·x) = c1·x + c0.
        let c1 = 1.0 - s * a;
        let c0 = -s * alpha;
        if c1 > 0.0 {
            let start = lo.max(s * alpha / c1);
            if start < hi {
                return Some(start);
            }
        } else if c1 < 0.0 {
            if lo < hi.min(s * alpha / c1) {
                return Some(lo);
            }
        } else if c0 > 0.0 && lo < hi {
            return Some(lo);
        }
    }
    None
}

fn window_words(window: WindowSpec, include: bool) -> String {
    match (window, include) {
        (WindowSpec::Samples(w), false) => {
            format!("the {} {} before it", count(w), if w == 1 { "sample" } else { "samples" })
        }
        (WindowSpec::Samples(w), true) => {
            format!("the {} {} before it and the point itself", count(w), if w == 1 { "sample" } else { "samples" })
        }
        (WindowSpec::Time { range, closed }, false) => {
            format!("the earlier samples with time in {}t − {}, t)", if closed { "[" } else { "(" }, num(range))
        }
        (WindowSpec::Time { range, closed }, true) => {
            format!(
                "the samples with time in {}t − {}, t], the point included",
                if closed { "[" } else { "(" },
                num(range)
            )
        }
    }
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let w = p.count("window")?;
    let percentile = p.num("percentile")?;
    let s = p.num("sensitivity")?;
    let qtype: u8 = p.choice("quantile")?.parse().unwrap_or(7);
    let include = p.choice("current")? == "include";
    let cmp = Compare::from_params(p)?;
    let by_time = p.choice("window_by")? == "time";
    let range = p.num("range")?;
    let closed = p.choice("range_edge")? == "closed";
    let step = p.num("step")?;
    let partial = p.flag("partial")?;
    let window = if by_time { WindowSpec::Time { range, closed } } else { WindowSpec::Samples(w) };
    let q = percentile / 100.0;
    let pname = format!("P{}", num(percentile));

    let series = Series::read(input, &series_field(MIN_ROWS), step);
    let timestamped = series.timestamped;
    // The observed samples: times, values, and the plot's x (the timestamps when given,
    // else the sample index t = 0, 1, 2, …).
    let Observed { t: ts, v: vs, x: px, gaps } = series.into_observed();
    let m = vs.len();

    let roll = rolling(&ts, &vs, window, include, partial, q, qtype);
    let thresholds: Vec<f64> = roll.percentile.iter().map(|&pc| s * pc).collect();
    let flags: Vec<bool> = vs.iter().zip(&thresholds).map(|(&x, &th)| !th.is_nan() && cmp.passes(x, th)).collect();
    let scores: Vec<f64> = vs
        .iter()
        .zip(&roll.percentile)
        .map(|(&x, &pc)| if pc > 0.0 && pc.is_finite() { x / pc } else { f64::NAN })
        .collect();
    let scored = roll.percentile.iter().filter(|x| !x.is_nan()).count();
    let flagged = flags.iter().filter(|&&f| f).count();
    let newest = roll.percentile.iter().rposition(|x| !x.is_nan());
    let t_label = |k: usize| -> String {
        let x = px.get(k).copied().unwrap_or(f64::NAN);
        if timestamped {
            format!("time {} s", num(x))
        } else {
            format!("t = {}", num(x))
        }
    };

    let mut steps = Steps::new();
    steps.num(
        "n",
        "Samples",
        "observed samples",
        if gaps > 0 {
            format!(
                "{} values; {} missing {} skipped",
                count(m),
                count(gaps),
                if gaps == 1 { "sample" } else { "samples" }
            )
        } else {
            format!("{} values", count(m))
        },
        m as f64,
    );
    let mut a_values: Vec<(&str, String, Val, &'static str)> = Vec::new();
    let mut newest_detail = String::new();
    let mut level: Option<f64> = None;
    let mut top_interval = false;
    let mut trace_window: Vec<f64> = Vec::new();
    if let Some(k) = newest {
        let x = vs.get(k).copied().unwrap_or(f64::NAN);
        let start = roll.start.get(k).copied().unwrap_or(0);
        let prev: Vec<f64> = vs.get(start..k).map(<[f64]>::to_vec).unwrap_or_default();
        trace_window = prev.clone();
        if include {
            trace_window.push(x);
        }
        let sorted = crate::stats::sorted(&trace_window);
        let qt = quantile(&sorted, q, QuantileDef::HyndmanFan(qtype));
        let pc = roll.percentile.get(k).copied().unwrap_or(f64::NAN);
        let th = s * pc;
        let size = sorted.len();
        top_interval = size > 1 && qt.hi == size;
        steps.text(
            "window",
            &format!("Window of the newest point ({}, value {})", t_label(k), num(x)),
            &window_words(window, include),
            list(&trace_window, 12),
            format!("{} {}", count(size), if size == 1 { "value" } else { "values" }),
        );
        steps.text(
            "sort",
            "Sort the window",
            "x₍₁₎ ≤ x₍₂₎ ≤ … ≤ x₍ₙ₎",
            format!("n = {}", count(size)),
            list(&sorted, 12),
        );
        let at = |r: usize| sorted.get(r.saturating_sub(1)).copied().unwrap_or(f64::NAN);
        let pick = if qt.lo == qt.hi || qt.g == 0.0 {
            format!("{}; x₍{}₎ = {}", qt.position, qt.lo, num(at(qt.lo)))
        } else if qt.g == 1.0 {
            format!("{}; x₍{}₎ = {}", qt.position, qt.hi, num(at(qt.hi)))
        } else {
            format!(
                "{}; x₍{}₎ + {}·(x₍{}₎ − x₍{}₎) = {} + {}·({} − {})",
                qt.position,
                qt.lo,
                num(qt.g),
                qt.hi,
                qt.lo,
                num(at(qt.lo)),
                num(qt.g),
                num(at(qt.hi)),
                num(at(qt.lo))
            )
        };
        steps.num("percentile", &format!("{} of the window", pname), &format!("{} by type {}", pname, qtype), pick, pc);
        steps.num("threshold", "Threshold", &format!("T = s · {}", pname), format!("{} × {}", num(s), num(pc)), th);
        let alert_now = flags.get(k).copied().unwrap_or(false);
        steps
            .text(
                "compare",
                "Does the newest point alert?",
                &format!("x {} T", cmp.symbol()),
                format!("{} {} {}?", num(x), cmp.symbol(), num(th)),
                if alert_now { "yes: alert" } else { "no" },
            )
            .decisive();
        level = alert_level(&crate::stats::sorted(&prev), include, q, qtype, s);
        let level_text = match level {
            Some(l) => format!("{} {}", if cmp == Compare::Ge { "at or above" } else { "above" }, num(l)),
            None => "none: no value alerts".to_string(),
        };
        let level_sub = if include {
            format!(
                "x {} {} × {}(the {} other values and x itself), solved for x",
                cmp.symbol(),
                num(s),
                pname,
                count(prev.len())
            )
        } else {
            format!("x {} {}", cmp.symbol(), num(th))
        };
        let level_formula = if include {
            format!("x {} s · {}(window with x)", cmp.symbol(), pname)
        } else {
            format!("x {} T", cmp.symbol())
        };
        match level {
            Some(l) => {
                steps
                    .num("alert_level", "Least value of the newest point that alerts", &level_formula, level_sub, l)
                    .shown(level_text.clone());
            }
            None => {
                steps.text(
                    "alert_level",
                    "Least value of the newest point that alerts",
                    &level_formula,
                    level_sub,
                    "none: however large x is, it lifts its own threshold faster",
                );
            }
        }
        newest_detail = format!(
            "The newest point, {} ({}), {} its threshold {} × {} = {}.",
            num(x),
            t_label(k),
            if alert_now { "passes" } else { "does not pass" },
            num(s),
            num(pc),
            num(th)
        );
        let window_max = sorted.last().copied().unwrap_or(f64::NAN);
        a_values.push(("value", "newest value x".to_string(), Val::Num(x), ""));
        a_values.push(("window_size", "values in its window".to_string(), Val::Int(size as i64), ""));
        a_values.push(("window_max", "largest value in its window".to_string(), Val::Num(window_max), ""));
        a_values.push(("percentile", format!("{} of its window", pname), Val::Num(pc), ""));
        a_values.push(("threshold", format!("threshold {} × {}", num(s), pname), Val::Num(th), ""));
        a_values.push((
            "ratio",
            format!("x / {}", pname),
            if pc > 0.0 { Val::Num(x / pc) } else { Val::Undefined(format!("{} ≤ 0", pname)) },
            "",
        ));
        a_values.push(("alert", "does the newest point alert?".to_string(), Val::Bool(alert_now), ""));
        a_values.push((
            "alert_level",
            "smallest newest value that would alert".to_string(),
            match level {
                Some(l) => Val::Num(l),
                None => Val::Undefined("no value can alert".to_string()),
            },
            "",
        ));
    } else {
        let reason = if m == 0 {
            "the series has no observed values".to_string()
        } else {
            no_window_reason(window, include, m, &ts)
        };
        steps.text(
            "window",
            "Window of the newest point",
            &window_words(window, include),
            reason.clone(),
            "no point has a full window",
        );
        for (id, label) in [
            ("value", "newest value x"),
            ("window_size", "values in its window"),
            ("window_max", "largest value in its window"),
            ("percentile", "percentile of its window"),
            ("threshold", "threshold"),
            ("ratio", "x / percentile"),
            ("alert", "does the newest point alert?"),
            ("alert_level", "smallest newest value that would alert"),
        ] {
            a_values.push((id, label.to_string(), Val::Undefined("no point has a full window".to_string()), ""));
        }
    }
    steps.text(
        "series",
        "Over the whole series",
        &format!("x {} s · {} at each scored point", cmp.symbol(), pname),
        format!("{} of {} points scored", count(scored), count(m)),
        format!("{} flagged", n_points(flagged)),
    );

    let verdict = if m == 0 {
        Verdict::new(
            Level::Undefined,
            "No data: every sample is missing",
            "Type at least two numbers; NaN marks a missing sample.",
        )
    } else if scored == 0 {
        Verdict::new(Level::Undefined, "No point has a full window", no_window_reason(window, include, m, &ts))
    } else if flagged > 0 {
        let first = flags.iter().position(|&f| f).unwrap_or(0);
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} above the rolling threshold", n_points(flagged)),
            format!(
                "First at {}: {} {} {}. {}",
                t_label(first),
                num(vs.get(first).copied().unwrap_or(f64::NAN)),
                cmp.symbol(),
                num(thresholds.get(first).copied().unwrap_or(f64::NAN)),
                newest_detail
            ),
        )
    } else {
        Verdict::new(Level::Clear, "No point above the rolling threshold", newest_detail.clone())
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("n", "observed samples", Val::Int(m as i64), "");
    a.push_value("gaps", "missing samples (gaps)", Val::Int(gaps as i64), "");
    a.push_value("scored", "points with a window", Val::Int(scored as i64), "");
    a.push_value("flagged", "points that alert", Val::Int(flagged as i64), "");
    for (id, label, value, unit) in a_values {
        a.push_value(id, label, value, unit);
    }

    // Notes.
    let unscored_warmup = roll.percentile.iter().zip(&roll.full).filter(|(pc, full)| pc.is_nan() && !**full).count();
    if scored > 0 && unscored_warmup > 0 && !partial {
        a.note(
            NoteLevel::Info,
            format!(
                "The first {} only fill the window and are not scored: {}. Turn on “Score partial windows” to score them as PromQL does, with fewer samples.",
                n_points(unscored_warmup),
                match window {
                    WindowSpec::Samples(w) => format!("each scored point needs {} earlier samples", count(w)),
                    WindowSpec::Time { range, .. } => format!("a scored point needs {} s of history", num(range)),
                }
            ),
        );
    }
    if newest.is_some() && top_interval && (0.9..1.0).contains(&q) {
        a.note(
            NoteLevel::Caveat,
            format!(
                "With {} values in the window, {} lies between its two largest values (or is the largest): it estimates the window's maximum, not a level exceeded {} of the time.",
                count(trace_window.len()),
                pname,
                pct(1.0 - q)
            ),
        );
    }
    if let (WindowSpec::Samples(w), false) = (window, include) {
        let positive = vs.iter().all(|&v| v >= 0.0);
        if s <= 1.0 && positive && scored > 0 {
            a.note(
                NoteLevel::Caveat,
                format!(
                    "Even with no change at all, this rule fires often: when the samples are independent draws from one distribution, the newest of {} is the largest with probability 1/{} = {}. s × {} is never above the window's maximum here, so at least {} of the points of pure noise alert.",
                    count(w + 1),
                    count(w + 1),
                    share(1.0 / (w as f64 + 1.0)),
                    pname,
                    share(1.0 / (w as f64 + 1.0))
                ),
            );
        }
    }
    if include && newest.is_some() && level.is_none() {
        a.note(
            NoteLevel::Caveat,
            format!(
                "No value of the newest point can alert. With the point inside its own window, a new maximum x raises {} too: the threshold grows by s × (weight of x) per unit of x, which here is at least 1, so x can never catch it. The guide's “20% above the P99 of the last hour” is not what the query computes.",
                pname
            ),
        );
    }
    if let (true, Some(l), Some(k)) = (include, level, newest) {
        let th = thresholds.get(k).copied().unwrap_or(f64::NAN);
        let start = roll.start.get(k).copied().unwrap_or(k);
        let prev_max = vs.get(start..k).and_then(|w| w.iter().copied().reduce(f64::max));
        if let Some(pm) = prev_max {
            if l > th && l > pm && pm > 0.0 {
                a.note(
                    NoteLevel::Caveat,
                    format!(
                        "With the point inside its own window, the threshold moves with it: the newest point alerts only from {}, which is {} above the largest of the other values in its window ({}). The threshold shown, {}, is the one its actual value, {}, produced.",
                        num(l),
                        share(l / pm - 1.0),
                        num(pm),
                        num(th),
                        num(vs.get(k).copied().unwrap_or(f64::NAN))
                    ),
                );
            }
        }
    }
    if (s - 1.0).abs() > 0.0 && roll.percentile.iter().any(|&pc| pc < 0.0) {
        a.note(
            NoteLevel::Caveat,
            "Some percentiles are negative, and a multiplier scales toward or away from zero: with s > 1 a negative threshold moves down, not up. Use an additive margin for metrics that can be negative.",
        );
    }
    if gaps > 0 {
        a.note(
            NoteLevel::Info,
            match window {
                WindowSpec::Samples(_) => {
                    format!("{} missing: skipped, the window counts observed samples only.", n_points(gaps))
                }
                WindowSpec::Time { .. } => {
                    format!("{} missing: a time window around a gap holds fewer samples.", n_points(gaps))
                }
            },
        );
    }
    if by_time && !timestamped {
        a.note(NoteLevel::Info, format!("The series has no timestamps: sample t is taken at t × {} s.", num(step)));
    }

    // The table, one row per observed sample.
    let time_col = if timestamped { "time (s)" } else { "t" };
    let p_col = pname.clone();
    let ratio_col = format!("x / {}", pname);
    let mut table = Table::new(
        "points",
        "Each point",
        &[time_col, "x", "window", p_col.as_str(), "threshold", ratio_col.as_str(), "alert"],
    );
    table.fill(
        m,
        |i| flags.get(i).copied().unwrap_or(false),
        |i| {
            let pc = roll.percentile.get(i).copied().unwrap_or(f64::NAN);
            let size = i.saturating_sub(roll.start.get(i).copied().unwrap_or(i)) + usize::from(include);
            let scored_here = !pc.is_nan();
            vec![
                num(px.get(i).copied().unwrap_or(f64::NAN)),
                num(vs.get(i).copied().unwrap_or(f64::NAN)),
                if scored_here { count(size) } else { format!("{} (filling)", count(size)) },
                if scored_here { num(pc) } else { String::new() },
                if scored_here { num(thresholds.get(i).copied().unwrap_or(f64::NAN)) } else { String::new() },
                match scores.get(i) {
                    Some(r) if !r.is_nan() => num(*r),
                    _ => String::new(),
                },
                if flags.get(i).copied().unwrap_or(false) { "yes".to_string() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);

    // The plot: the series, the rolling threshold over it, the flagged points.
    let x: Column = px.into();
    let y: Column = vs.into();
    let mut panel =
        Panel::new("", Axis::linear(if timestamped { "time (s)" } else { "sample t" }), Axis::linear("value"));
    let pcs: Column = roll.percentile.clone().into();
    let ths: Column = thresholds.into();
    if s != 1.0 {
        let (lo, hi): (Vec<f64>, Vec<f64>) = pcs.iter().zip(ths.iter()).map(|(&a, &b)| (a.min(b), a.max(b))).unzip();
        panel.push(Layer::band(x.clone(), lo, hi, "").no_fit());
        panel.push(Layer::line(x.clone(), pcs.clone(), Role::Alternative, format!("rolling {}", pname)));
        panel.push(Layer::line(x.clone(), ths.clone(), Role::Threshold, format!("threshold {} × {}", num(s), pname)));
    } else {
        panel.push(Layer::line(x.clone(), ths.clone(), Role::Threshold, format!("rolling {} (threshold)", pname)));
    }
    // With one or two scored points the rolling lines are too short to see: draw the
    // newest point's percentile and threshold across the window they come from.
    if let (Some(k), true) = (newest, scored <= 2) {
        let start = roll.start.get(k).copied().unwrap_or(k).min(k);
        let (x0, x1) = (x.get(start).copied().unwrap_or(f64::NAN), x.get(k).copied().unwrap_or(f64::NAN));
        if s != 1.0 {
            let pc = pcs.get(k).copied().unwrap_or(f64::NAN);
            panel.push(Layer::segment(x0, pc, x1, pc, Role::Alternative, ""));
        }
        let th = ths.get(k).copied().unwrap_or(f64::NAN);
        panel.push(Layer::segment(x0, th, x1, th, Role::Threshold, ""));
    }
    let [data, flagged_layer] = flagged_points(&x, &y, &flags);
    panel.push(data);
    panel.push(flagged_layer);
    a.plot = Plot::single(panel);
    a.points = Some(Points { x, y, score: scores, flag: flags, score_label: format!("x / {}", pname) });
    Ok(a)
}

/// A share as a rounded percentage for prose: 1/6 → "16.7%".
fn share(x: f64) -> String {
    format!("{}%", crate::fmt::sig(x * 100.0, 3))
}

/// Why no point has a full window, and what to change.
fn no_window_reason(window: WindowSpec, include: bool, m: usize, ts: &[f64]) -> String {
    match window {
        WindowSpec::Samples(w) => format!(
            "Each point needs {} earlier {} for its window, but the series has only {} observed {}. Shorten the window to at most {}, or turn on “Score partial windows”.",
            count(w),
            if w == 1 { "sample" } else { "samples" },
            count(m),
            if m == 1 { "value" } else { "values" },
            count(m.saturating_sub(1).max(1))
        ),
        WindowSpec::Time { range, .. } => {
            let span = match (ts.first(), ts.last()) {
                (Some(a), Some(b)) => b - a,
                _ => 0.0,
            };
            format!(
                "The series spans {} s, less than the {} s window{}. Shorten the duration, or turn on “Score partial windows”.",
                num(span),
                num(range),
                if include { "" } else { " of earlier samples" }
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    fn naive(ts: &[f64], vs: &[f64], window: WindowSpec, include: bool, partial: bool, p: f64, t: u8) -> Vec<f64> {
        (0..vs.len())
            .map(|k| {
                let mut win: Vec<f64> = (0..k)
                    .filter(|&j| match window {
                        WindowSpec::Samples(w) => j + w >= k,
                        WindowSpec::Time { range, closed } => {
                            if closed {
                                ts[j] >= ts[k] - range
                            } else {
                                ts[j] > ts[k] - range
                            }
                        }
                    })
                    .map(|j| vs[j])
                    .collect();
                if include {
                    win.push(vs[k]);
                }
                let full = match window {
                    WindowSpec::Samples(w) => k >= w,
                    WindowSpec::Time { range, .. } => ts[k] - ts[0] >= range,
                };
                if win.is_empty() || !(full || partial) {
                    return f64::NAN;
                }
                let s = crate::stats::sorted(&win);
                quantile(&s, p, QuantileDef::HyndmanFan(t)).value
            })
            .collect()
    }

    #[test]
    fn the_fenwick_window_equals_sorting_every_window() {
        // Ties, negative values and uneven, repeated timestamps.
        let vs: Vec<f64> = (0..120).map(|i| (((i * 7919) % 97) as f64 - 40.0) / 4.0).collect();
        let mut t = 0.0;
        let ts: Vec<f64> = (0..120)
            .map(|i| {
                t += [0.0, 1.0, 15.0, 60.0, 7.5][i % 5];
                t
            })
            .collect();
        for window in [
            WindowSpec::Samples(1),
            WindowSpec::Samples(5),
            WindowSpec::Samples(60),
            WindowSpec::Samples(200),
            WindowSpec::Time { range: 60.0, closed: false },
            WindowSpec::Time { range: 60.0, closed: true },
            WindowSpec::Time { range: 300.0, closed: false },
        ] {
            for include in [false, true] {
                for partial in [false, true] {
                    for t in [1u8, 2, 3, 6, 7, 9] {
                        for p in [0.0, 0.25, 0.99, 1.0] {
                            let want = naive(&ts, &vs, window, include, partial, p, t);
                            // Both structures: the sorted vector and the Fenwick tree.
                            for small in [0, usize::MAX] {
                                let got = rolling_with(&ts, &vs, window, include, partial, p, t, small).percentile;
                                for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                                    assert!(
                                        g == w || (g.is_nan() && w.is_nan()),
                                        "{window:?} include {include} partial {partial} type {t} p {p} small {small} at {k}: {g} vs {w}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_guide_window() {
        let vs = [100.0, 102.0, 98.0, 105.0, 101.0, 110.0];
        let ts: Vec<f64> = (0..6).map(|i| i as f64 * 60.0).collect();
        let r = rolling(&ts, &vs, WindowSpec::Samples(5), false, false, 0.99, 7);
        assert!((r.percentile[5] - 104.88).abs() < 1e-12);
        assert!(r.percentile[..5].iter().all(|x| x.is_nan()));
        let r = rolling(&ts, &vs, WindowSpec::Samples(5), true, false, 0.99, 7);
        assert!((r.percentile[5] - 109.75).abs() < 1e-12);
        let r = rolling(&ts, &vs, WindowSpec::Samples(5), false, false, 0.99, 1);
        assert_eq!(r.percentile[5], 105.0);
        // [5m] of one-minute samples: Prometheus 3 keeps 4 earlier samples, Prometheus 2 keeps 5.
        let open = rolling(&ts, &vs, WindowSpec::Time { range: 300.0, closed: false }, false, false, 0.99, 7);
        let closed = rolling(&ts, &vs, WindowSpec::Time { range: 300.0, closed: true }, false, false, 0.99, 7);
        assert_eq!((5 - open.start[5], 5 - closed.start[5]), (4, 5));
        assert!((closed.percentile[5] - 104.88).abs() < 1e-12);
    }

    #[test]
    fn the_alert_level_solves_the_self_inclusion() {
        let prev = crate::stats::sorted(&[100.0, 102.0, 98.0, 105.0, 101.0]);
        // Outside its window: the threshold itself.
        assert!((alert_level(&prev, false, 0.99, 7, 1.0).unwrap() - 104.88).abs() < 1e-12);
        // Inside, with s = 1: any new maximum alerts (the weight on x is 0.95 < 1).
        assert!((alert_level(&prev, true, 0.99, 7, 1.0).unwrap() - 105.0).abs() < 1e-9);
        // Inside, with the guide's 1.2: 1.2 × 0.95 ≥ 1, nothing alerts.
        assert_eq!(alert_level(&prev, true, 0.99, 7, 1.2), None);
        // Nearest rank inside the window: P99 of 6 values is the maximum, x itself.
        assert_eq!(alert_level(&prev, true, 0.99, 1, 1.0), None);
        // Brute force over a grid agrees wherever the level is defined.
        for s in [0.9, 1.0, 1.05, 1.2] {
            for t in [1u8, 2, 3, 6, 7, 9] {
                for p in [0.5, 0.99] {
                    let level = alert_level(&prev, true, p, t, s);
                    let alerts = |x: f64| {
                        let mut w = prev.clone();
                        w.push(x);
                        let sw = crate::stats::sorted(&w);
                        x > s * quantile(&sw, p, QuantileDef::HyndmanFan(t)).value
                    };
                    let first = (0..8_000).map(|i| i as f64 * 0.05).find(|&x| alerts(x));
                    match (level, first) {
                        (Some(l), Some(f)) => {
                            assert!(l <= f + 1e-9 && f - l <= 0.05 + 1e-9, "s {s} t {t} p {p}: {l} vs {f}")
                        }
                        (None, None) => {}
                        (Some(l), None) => assert!(l > 399.0, "s {s} t {t} p {p}: level {l} but nothing alerts"),
                        (None, Some(f)) => panic!("s {s} t {t} p {p}: no level but {f} alerts"),
                    }
                }
            }
        }
    }

    #[test]
    fn a_window_longer_than_the_data_is_explained() {
        let input = Input::new().with("series", vec![1.0, 2.0, 3.0]);
        let a = crate::analyze("rolling-percentile", input, &Params::new().with("window", 10.0)).unwrap();
        assert_eq!(a.verdict.level, Level::Undefined);
        assert!(a.verdict.detail.contains("at most 2"), "{}", a.verdict.detail);
    }
}
