//! The evaluator: an expression at one instant (as an alerting rule is evaluated), or at
//! every step of a range, over a set of stored series.
//!
//! Window rules follow the chosen [`Version`]: Prometheus 3 selects (t − range, t] and
//! looks back (t − 5m, t]; Prometheus 2 closes both on the left. Stale markers end a
//! series. Subqueries are evaluated at absolute multiples of their step, and each inner
//! evaluation is cached, so overlapping windows cost nothing twice.

use crate::ast::*;
use crate::error::EvalError;
use crate::functions::{self, Func, Window};
use crate::regex::Regex;
use crate::Version;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// Prometheus's stale marker: a NaN with this bit pattern ends a series.
pub const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

pub fn is_stale(x: f64) -> bool {
    x.to_bits() == STALE_NAN
}

/// A label set, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Labels(pub Vec<(String, String)>);

impl Labels {
    pub fn new(mut pairs: Vec<(String, String)>) -> Self {
        pairs.retain(|(_, v)| !v.is_empty());
        pairs.sort();
        pairs.dedup_by(|a, b| a.0 == b.0);
        Labels(pairs)
    }

    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    pub fn name(&self) -> &str {
        self.get("__name__")
    }

    pub fn without_name(&self) -> Labels {
        Labels(self.0.iter().filter(|(k, _)| k != "__name__").cloned().collect())
    }

    /// Only the labels in `keep`.
    pub fn keep(&self, keep: &[String]) -> Labels {
        Labels(self.0.iter().filter(|(k, _)| keep.contains(k)).cloned().collect())
    }

    /// All but the labels in `drop` (and the name).
    pub fn drop(&self, drop: &[String]) -> Labels {
        Labels(self.0.iter().filter(|(k, _)| k != "__name__" && !drop.contains(k)).cloned().collect())
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.0.retain(|(k, _)| k != name);
        if !value.is_empty() {
            self.0.push((name.to_string(), value.to_string()));
            self.0.sort();
        }
    }

    /// `{a="1", b="2"}`, or `metric{a="1"}` with the name in front.
    pub fn to_text(&self) -> String {
        let inner: Vec<String> =
            self.0.iter().filter(|(k, _)| k != "__name__").map(|(k, v)| format!("{}=\"{}\"", k, escape(v))).collect();
        format!("{}{{{}}}", self.name(), inner.join(", "))
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// One stored series: labels (with `__name__`), timestamps in ms, values.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub t: Vec<i64>,
    pub v: Vec<f64>,
}

/// The series a query runs over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Storage {
    pub series: Vec<Series>,
}

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub metric: Labels,
    pub f: f64,
}

/// The value of an expression at one instant.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(f64),
    Vector(Vec<Sample>),
    String(String),
}

/// A range query's result: each output series with its (time, value) points.
pub type RangeResult = Vec<(Labels, Vec<(i64, f64)>)>;

/// A range vector: each series with its samples in the window.
pub type Matrix = Vec<(Labels, Vec<i64>, Vec<f64>)>;

/// How the engine evaluates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub version: Version,
    /// How far an instant selector looks back for a sample (Prometheus: 5m).
    pub lookback_ms: i64,
    /// The step of subqueries written without one (`[1h:]`): the evaluation interval.
    pub default_step_ms: i64,
    /// The most samples one evaluation may touch (a guard for the browser).
    pub budget: u64,
}

impl Options {
    pub fn new(version: Version) -> Self {
        Options { version, lookback_ms: 300_000, default_step_ms: 60_000, budget: 200_000_000 }
    }
}

/// Evaluates expressions over one storage; caches subquery points between calls.
#[derive(Debug)]
pub struct Engine<'a> {
    storage: &'a Storage,
    opts: Options,
    regexes: RefCell<HashMap<String, Rc<Regex>>>,
    subquery_cache: RefCell<HashMap<(usize, i64), Rc<Value>>>,
    work: Cell<u64>,
}

impl<'a> Engine<'a> {
    pub fn new(storage: &'a Storage, opts: Options) -> Self {
        Engine {
            storage,
            opts,
            regexes: RefCell::new(HashMap::new()),
            subquery_cache: RefCell::new(HashMap::new()),
            work: Cell::new(0),
        }
    }

    fn charge(&self, n: usize) -> Result<(), EvalError> {
        let w = self.work.get().saturating_add(n as u64);
        self.work.set(w);
        if w > self.opts.budget {
            return Err(EvalError::new(
                "This query touches too many samples to evaluate here at every step (a long range or a fine subquery over a long series). Shorten the data, the range, or coarsen the subquery step.",
            ));
        }
        Ok(())
    }

    /// The expression at instant `t` (ms), as an alerting rule evaluates it.
    pub fn instant(&self, e: &Expr, t: i64) -> Result<Value, EvalError> {
        self.eval(e, t)
    }

    /// The expression at every `step` from `start` to `end` (ms): per output series, its
    /// points.
    pub fn range(&self, e: &Expr, start: i64, end: i64, step: i64) -> Result<RangeResult, EvalError> {
        let mut out: RangeResult = Vec::new();
        let mut index: HashMap<Labels, usize> = HashMap::new();
        let step = step.max(1);
        let mut t = start;
        while t <= end {
            match self.eval(e, t)? {
                Value::Scalar(f) => push(&mut out, &mut index, Labels::default(), t, f),
                Value::Vector(v) => {
                    for s in v {
                        push(&mut out, &mut index, s.metric, t, s.f);
                    }
                }
                Value::String(_) => {}
            }
            t += step;
        }
        Ok(out)
    }

    fn eval(&self, e: &Expr, t: i64) -> Result<Value, EvalError> {
        match &e.kind {
            ExprKind::Number(x) => Ok(Value::Scalar(*x)),
            ExprKind::Str(s) => Ok(Value::String(s.clone())),
            ExprKind::Paren(inner) => self.eval(inner, t),
            ExprKind::Neg(inner) => Ok(match self.eval(inner, t)? {
                Value::Scalar(x) => Value::Scalar(-x),
                Value::Vector(v) => {
                    Value::Vector(v.into_iter().map(|s| Sample { metric: s.metric.without_name(), f: -s.f }).collect())
                }
                other => other,
            }),
            ExprKind::Selector(sel) => Ok(Value::Vector(self.select_instant(sel, t)?)),
            ExprKind::Matrix { .. } | ExprKind::Subquery { .. } => {
                Err(EvalError::new("A range vector cannot be the result of a rule; wrap it in a function."))
            }
            ExprKind::Call { func, args } => self.call(func.func, args, t),
            ExprKind::Aggregate { op, param, expr, grouping, without } => {
                let p = match param {
                    Some(p) => match self.eval(p, t)? {
                        Value::Scalar(x) => Some(x),
                        _ => None,
                    },
                    None => None,
                };
                let Value::Vector(v) = self.eval(expr, t)? else {
                    return Err(EvalError::new("aggregation over a non-vector"));
                };
                Ok(Value::Vector(aggregate(*op, p, v, grouping, *without, self.opts.version)))
            }
            ExprKind::Binary { op, lhs, rhs, return_bool, matching } => {
                let l = self.eval(lhs, t)?;
                let r = self.eval(rhs, t)?;
                binary(*op, l, r, *return_bool, matching)
            }
        }
    }

    fn regex(&self, pattern: &str) -> Result<Rc<Regex>, EvalError> {
        if let Some(r) = self.regexes.borrow().get(pattern) {
            return Ok(r.clone());
        }
        let r = Rc::new(Regex::new(pattern).map_err(EvalError::new)?);
        self.regexes.borrow_mut().insert(pattern.to_string(), r.clone());
        Ok(r)
    }

    fn matches(&self, sel: &VectorSelector, labels: &Labels) -> Result<bool, EvalError> {
        for m in &sel.matchers {
            let v = labels.get(&m.name);
            let ok = match m.op {
                MatchOp::Equal => v == m.value,
                MatchOp::NotEqual => v != m.value,
                MatchOp::Regex => self.regex(&m.value)?.is_match(v),
                MatchOp::NotRegex => !self.regex(&m.value)?.is_match(v),
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Index of the first sample inside the window starting at `start`: after it in
    /// Prometheus 3, at or after it in Prometheus 2.
    fn first_in(&self, t: &[i64], start: i64) -> usize {
        match self.opts.version {
            Version::V3 => t.partition_point(|&x| x <= start),
            Version::V2 => t.partition_point(|&x| x < start),
        }
    }

    fn select_instant(&self, sel: &VectorSelector, t: i64) -> Result<Vec<Sample>, EvalError> {
        let ref_t = t - sel.offset_ms;
        let mut out = Vec::new();
        for s in &self.storage.series {
            if !self.matches(sel, &s.labels)? {
                continue;
            }
            self.charge(1)?;
            let end = s.t.partition_point(|&x| x <= ref_t);
            if end == 0 {
                continue;
            }
            let i = end - 1;
            let first = self.first_in(&s.t, ref_t - self.opts.lookback_ms);
            if i < first || is_stale(s.v[i]) {
                continue;
            }
            out.push(Sample { metric: s.labels.clone(), f: s.v[i] });
        }
        Ok(out)
    }

    fn select_matrix(&self, sel: &VectorSelector, range_ms: i64, t: i64) -> Result<Matrix, EvalError> {
        let end_t = t - sel.offset_ms;
        let start_t = end_t - range_ms;
        let mut out = Vec::new();
        for s in &self.storage.series {
            if !self.matches(sel, &s.labels)? {
                continue;
            }
            let end = s.t.partition_point(|&x| x <= end_t);
            let first = self.first_in(&s.t, start_t).min(end);
            self.charge(end - first)?;
            let mut ts = Vec::with_capacity(end - first);
            let mut vs = Vec::with_capacity(end - first);
            for i in first..end {
                if !is_stale(s.v[i]) {
                    ts.push(s.t[i]);
                    vs.push(s.v[i]);
                }
            }
            if !ts.is_empty() {
                out.push((s.labels.clone(), ts, vs));
            }
        }
        Ok(out)
    }

    /// A range-vector argument at `t`, with its window bounds and range in seconds.
    fn matrix(&self, e: &Expr, t: i64) -> Result<(Matrix, i64, i64, f64), EvalError> {
        match &e.kind {
            ExprKind::Matrix { sel, range_ms } => {
                let end = t - sel.offset_ms;
                Ok((self.select_matrix(sel, *range_ms, t)?, end - range_ms, end, *range_ms as f64 / 1000.0))
            }
            ExprKind::Subquery { expr, range_ms, step_ms, offset_ms } => {
                let step = if *step_ms > 0 { *step_ms } else { self.opts.default_step_ms.max(1) };
                let end = t - offset_ms;
                let start = end - range_ms;
                // The first multiple of the step inside the window.
                let mut ts = step * (start / step);
                let inside = |x: i64| match self.opts.version {
                    Version::V3 => x > start,
                    Version::V2 => x >= start,
                };
                while !inside(ts) {
                    ts += step;
                }
                if (end - ts) / step > 1_000_000 {
                    return Err(EvalError::new(format!(
                        "This subquery evaluates its inner expression {} times for each step; make its step coarser than {} ms.",
                        (end - ts) / step + 1,
                        step
                    )));
                }
                let key = expr.as_ref() as *const Expr as usize;
                let mut series: Vec<(Labels, Vec<i64>, Vec<f64>)> = Vec::new();
                let mut index: HashMap<Labels, usize> = HashMap::new();
                while ts <= end {
                    self.charge(1)?;
                    let cached = self.subquery_cache.borrow().get(&(key, ts)).cloned();
                    let value = match cached {
                        Some(v) => v,
                        None => {
                            let v = Rc::new(self.eval(expr, ts)?);
                            self.subquery_cache.borrow_mut().insert((key, ts), v.clone());
                            v
                        }
                    };
                    match value.as_ref() {
                        Value::Scalar(f) => add_point(&mut series, &mut index, Labels::default(), ts, *f),
                        Value::Vector(v) => {
                            for s in v {
                                add_point(&mut series, &mut index, s.metric.clone(), ts, s.f);
                            }
                        }
                        Value::String(_) => {}
                    }
                    ts += step;
                }
                Ok((series, start, end, *range_ms as f64 / 1000.0))
            }
            ExprKind::Paren(inner) => self.matrix(inner, t),
            _ => Err(EvalError::new("expected a range vector")),
        }
    }

    fn scalar_arg(&self, e: Option<&Expr>, t: i64) -> Result<Option<f64>, EvalError> {
        match e {
            None => Ok(None),
            Some(e) => match self.eval(e, t)? {
                Value::Scalar(x) => Ok(Some(x)),
                _ => Ok(None),
            },
        }
    }

    fn call(&self, func: Func, args: &[Expr], t: i64) -> Result<Value, EvalError> {
        use Func::*;
        let version = self.opts.version;
        let simple = |f: &dyn Fn(f64) -> f64| -> Result<Value, EvalError> {
            let Some(arg) = args.first() else { return Ok(Value::Vector(Vec::new())) };
            let Value::Vector(v) = self.eval(arg, t)? else { return Ok(Value::Vector(Vec::new())) };
            Ok(Value::Vector(v.into_iter().map(|s| Sample { metric: s.metric.without_name(), f: f(s.f) }).collect()))
        };
        match func {
            Abs => simple(&f64::abs),
            Sqrt => simple(&f64::sqrt),
            Ceil => simple(&f64::ceil),
            Floor => simple(&f64::floor),
            Exp => simple(&f64::exp),
            Ln => simple(&f64::ln),
            Log2 => simple(&f64::log2),
            Log10 => simple(&f64::log10),
            Sgn => simple(&|x: f64| {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    x
                }
            }),
            Round => {
                let to = self.scalar_arg(args.get(1), t)?.unwrap_or(1.0);
                let inv = 1.0 / to;
                simple(&|x: f64| (x * inv + 0.5).floor() / inv)
            }
            ClampMin => {
                let lo = self.scalar_arg(args.get(1), t)?.unwrap_or(f64::NAN);
                simple(&|x: f64| lo.max(x.min(f64::INFINITY)))
            }
            ClampMax => {
                let hi = self.scalar_arg(args.get(1), t)?.unwrap_or(f64::NAN);
                simple(&|x: f64| f64::NEG_INFINITY.max(hi.min(x)))
            }
            Clamp => {
                let lo = self.scalar_arg(args.get(1), t)?.unwrap_or(f64::NAN);
                let hi = self.scalar_arg(args.get(2), t)?.unwrap_or(f64::NAN);
                if hi < lo {
                    return Ok(Value::Vector(Vec::new()));
                }
                simple(&|x: f64| go_max(lo, go_min(hi, x)))
            }
            Time => Ok(Value::Scalar(t as f64 / 1000.0)),
            Vector => {
                let x = self.scalar_arg(args.first(), t)?.unwrap_or(f64::NAN);
                Ok(Value::Vector(vec![Sample { metric: Labels::default(), f: x }]))
            }
            Scalar => {
                let Some(arg) = args.first() else { return Ok(Value::Scalar(f64::NAN)) };
                match self.eval(arg, t)? {
                    Value::Vector(v) if v.len() == 1 => Ok(Value::Scalar(v[0].f)),
                    _ => Ok(Value::Scalar(f64::NAN)),
                }
            }
            _ => self.range_function(func, args, t, version),
        }
    }

    fn range_function(&self, func: Func, args: &[Expr], t: i64, version: Version) -> Result<Value, EvalError> {
        use Func::*;
        let (matrix_arg, scalars): (Option<&Expr>, Vec<&Expr>) = match func {
            QuantileOverTime => (args.get(1), args.first().into_iter().collect()),
            _ => (args.first(), args.iter().skip(1).collect()),
        };
        let Some(matrix_arg) = matrix_arg else { return Ok(Value::Vector(Vec::new())) };
        let mut scalar_values = Vec::with_capacity(scalars.len());
        for s in scalars {
            scalar_values.push(self.scalar_arg(Some(s), t)?.unwrap_or(f64::NAN));
        }
        if func == DoubleExponentialSmoothing {
            let sf = scalar_values.first().copied().unwrap_or(f64::NAN);
            let tf = scalar_values.get(1).copied().unwrap_or(f64::NAN);
            if !(sf > 0.0 && sf < 1.0) {
                return Err(EvalError::new(format!("invalid smoothing factor. Expected: 0 < sf < 1, got: {:.6}", sf)));
            }
            if !(tf > 0.0 && tf < 1.0) {
                return Err(EvalError::new(format!("invalid trend factor. Expected: 0 < tf < 1, got: {:.6}", tf)));
            }
        }
        let (matrix, start, end, range_s) = self.matrix(matrix_arg, t)?;
        let mut out = Vec::with_capacity(matrix.len());
        for (labels, ts, vs) in &matrix {
            let w = Window { t: ts, v: vs, start, end, range_s };
            let value = match func {
                Rate => functions::extrapolated_rate(w, true, true, version),
                Increase => functions::extrapolated_rate(w, true, false, version),
                Delta => functions::extrapolated_rate(w, false, false, version),
                Irate => functions::instant_value(w, true),
                Idelta => functions::instant_value(w, false),
                Deriv => (vs.len() >= 2).then(|| functions::linear_regression(ts, vs, ts[0]).0),
                PredictLinear => (vs.len() >= 2).then(|| {
                    let (slope, intercept) = functions::linear_regression(ts, vs, t);
                    slope * scalar_values.first().copied().unwrap_or(f64::NAN) + intercept
                }),
                AvgOverTime => Some(functions::avg_over_time(vs, version)),
                SumOverTime => Some(functions::sum_over_time(vs, version)),
                MinOverTime => Some(functions::extreme(vs, false)),
                MaxOverTime => Some(functions::extreme(vs, true)),
                CountOverTime => Some(vs.len() as f64),
                StddevOverTime => Some(functions::variance_over_time(vs).sqrt()),
                StdvarOverTime => Some(functions::variance_over_time(vs)),
                QuantileOverTime => {
                    let mut copy = vs.clone();
                    Some(functions::quantile(scalar_values.first().copied().unwrap_or(f64::NAN), &mut copy))
                }
                LastOverTime => vs.last().copied(),
                Changes => {
                    Some(vs.windows(2).filter(|w| w[0] != w[1] && !(w[0].is_nan() && w[1].is_nan())).count() as f64)
                }
                Resets => Some(vs.windows(2).filter(|w| w[1] < w[0]).count() as f64),
                DoubleExponentialSmoothing => functions::double_exponential_smoothing(
                    vs,
                    scalar_values.first().copied().unwrap_or(f64::NAN),
                    scalar_values.get(1).copied().unwrap_or(f64::NAN),
                ),
                _ => None,
            };
            if let Some(f) = value {
                let metric = if func == LastOverTime { labels.clone() } else { labels.without_name() };
                out.push(Sample { metric, f });
            }
        }
        Ok(Value::Vector(out))
    }
}

fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

fn push(out: &mut RangeResult, index: &mut HashMap<Labels, usize>, l: Labels, t: i64, f: f64) {
    match index.get(&l) {
        Some(&i) => {
            if let Some(s) = out.get_mut(i) {
                s.1.push((t, f));
            }
        }
        None => {
            index.insert(l.clone(), out.len());
            out.push((l, vec![(t, f)]));
        }
    }
}

fn add_point(out: &mut Matrix, index: &mut HashMap<Labels, usize>, l: Labels, t: i64, f: f64) {
    match index.get(&l) {
        Some(&i) => {
            if let Some(s) = out.get_mut(i) {
                s.1.push(t);
                s.2.push(f);
            }
        }
        None => {
            index.insert(l.clone(), out.len());
            out.push((l, vec![t], vec![f]));
        }
    }
}

/// The value of `l op r` and whether a comparison keeps it.
fn elem(op: BinOp, l: f64, r: f64) -> (f64, bool) {
    match op {
        BinOp::Add => (l + r, true),
        BinOp::Sub => (l - r, true),
        BinOp::Mul => (l * r, true),
        BinOp::Div => (l / r, true),
        BinOp::Mod => (functions::go_mod(l, r), true),
        BinOp::Pow => (l.powf(r), true),
        BinOp::Atan2 => (l.atan2(r), true),
        BinOp::Eql => (l, l == r),
        BinOp::Neq => (l, l != r),
        BinOp::Gtr => (l, l > r),
        BinOp::Lss => (l, l < r),
        BinOp::Gte => (l, l >= r),
        BinOp::Lte => (l, l <= r),
        BinOp::And | BinOp::Or | BinOp::Unless => (l, true),
    }
}

fn signature(l: &Labels, m: &VectorMatching) -> Labels {
    if m.on {
        l.keep(&m.labels)
    } else {
        l.drop(&m.labels)
    }
}

/// A binary operation on two evaluated operands, as the evaluator applies it.
pub fn binary(op: BinOp, l: Value, r: Value, return_bool: bool, m: &VectorMatching) -> Result<Value, EvalError> {
    match (l, r) {
        (Value::Scalar(a), Value::Scalar(b)) => {
            let (v, keep) = elem(op, a, b);
            Ok(Value::Scalar(if op.is_comparison() { f64::from(u8::from(keep)) } else { v }))
        }
        (Value::Vector(v), Value::Scalar(s)) => Ok(Value::Vector(vector_scalar(op, v, s, false, return_bool))),
        (Value::Scalar(s), Value::Vector(v)) => Ok(Value::Vector(vector_scalar(op, v, s, true, return_bool))),
        (Value::Vector(a), Value::Vector(b)) => match op {
            BinOp::And => {
                let keys: std::collections::HashSet<Labels> = b.iter().map(|s| signature(&s.metric, m)).collect();
                Ok(Value::Vector(a.into_iter().filter(|s| keys.contains(&signature(&s.metric, m))).collect()))
            }
            BinOp::Unless => {
                let keys: std::collections::HashSet<Labels> = b.iter().map(|s| signature(&s.metric, m)).collect();
                Ok(Value::Vector(a.into_iter().filter(|s| !keys.contains(&signature(&s.metric, m))).collect()))
            }
            BinOp::Or => {
                let keys: std::collections::HashSet<Labels> = a.iter().map(|s| signature(&s.metric, m)).collect();
                let mut out = a;
                out.extend(b.into_iter().filter(|s| !keys.contains(&signature(&s.metric, m))));
                Ok(Value::Vector(out))
            }
            _ => vector_vector(op, a, b, return_bool, m).map(Value::Vector),
        },
        _ => Err(EvalError::new("operands of a binary operation must be scalars or instant vectors")),
    }
}

fn vector_scalar(op: BinOp, v: Vec<Sample>, s: f64, swap: bool, return_bool: bool) -> Vec<Sample> {
    let mut out = Vec::with_capacity(v.len());
    for sample in v {
        let (l, r) = if swap { (s, sample.f) } else { (sample.f, s) };
        let (mut value, mut keep) = elem(op, l, r);
        // A comparison keeps the vector's value even when the scalar is on the left.
        if op.is_comparison() && swap {
            value = r;
        }
        if return_bool {
            value = f64::from(u8::from(keep));
            keep = true;
        }
        if keep {
            let metric = if op.drops_name() || return_bool { sample.metric.without_name() } else { sample.metric };
            out.push(Sample { metric, f: value });
        }
    }
    out
}

fn vector_vector(
    op: BinOp,
    lhs: Vec<Sample>,
    rhs: Vec<Sample>,
    return_bool: bool,
    m: &VectorMatching,
) -> Result<Vec<Sample>, EvalError> {
    let swapped = m.card == Card::OneToMany;
    let (many, one) = if swapped { (rhs, lhs) } else { (lhs, rhs) };
    let mut one_side: HashMap<Labels, Sample> = HashMap::new();
    for s in one {
        let sig = signature(&s.metric, m);
        if one_side.contains_key(&sig) {
            let side = if swapped { "left" } else { "right" };
            return Err(EvalError::new(format!(
                "found duplicate series for the match group {} on the {} hand-side of the operation: many-to-many matching not allowed: matching labels must be unique on one side",
                sig.to_text(),
                side
            )));
        }
        one_side.insert(sig, s);
    }
    let mut out = Vec::new();
    let mut seen_one_to_one: HashMap<Labels, ()> = HashMap::new();
    let mut seen_results: HashMap<Labels, ()> = HashMap::new();
    for s in many {
        let sig = signature(&s.metric, m);
        let Some(o) = one_side.get(&sig) else { continue };
        if m.card == Card::OneToOne && seen_one_to_one.insert(sig.clone(), ()).is_some() {
            return Err(EvalError::new(format!(
                "multiple matches for labels {}: many-to-one matching must be explicit (group_left/group_right)",
                sig.to_text()
            )));
        }
        let (fl, fr) = if swapped { (o.f, s.f) } else { (s.f, o.f) };
        let (mut value, keep) = elem(op, fl, fr);
        if return_bool {
            value = f64::from(u8::from(keep));
        } else if !keep {
            continue;
        }
        let mut metric = s.metric.clone();
        if op.drops_name() || return_bool {
            metric = metric.without_name();
        }
        if m.card == Card::OneToOne {
            metric = if m.on {
                metric.keep(&m.labels)
            } else {
                Labels(metric.0.into_iter().filter(|(k, _)| !m.labels.contains(k)).collect())
            };
        }
        for l in &m.include {
            let v = o.metric.get(l).to_string();
            metric.set(l, &v);
        }
        if m.card != Card::OneToOne && seen_results.insert(metric.clone(), ()).is_some() {
            return Err(EvalError::new(format!(
                "multiple matches for labels: grouping labels must ensure unique matches ({})",
                metric.to_text()
            )));
        }
        out.push(Sample { metric, f: value });
    }
    Ok(out)
}

struct Group {
    metric: Labels,
    count: f64,
    value: f64,
    c: f64,
    mean: f64,
    incremental: bool,
    values: Vec<f64>,
}

fn aggregate(
    op: AggOp,
    param: Option<f64>,
    v: Vec<Sample>,
    grouping: &[String],
    without: bool,
    version: Version,
) -> Vec<Sample> {
    let mut order: Vec<Labels> = Vec::new();
    let mut groups: HashMap<Labels, Group> = HashMap::new();
    for s in v {
        let key = if without { s.metric.drop(grouping) } else { s.metric.keep(grouping) };
        match groups.get_mut(&key) {
            None => {
                order.push(key.clone());
                let value = match op {
                    AggOp::Count | AggOp::Group => 1.0,
                    AggOp::Stddev | AggOp::Stdvar => 0.0,
                    _ => s.f,
                };
                groups.insert(
                    key.clone(),
                    Group { metric: key, count: 1.0, value, c: 0.0, mean: s.f, incremental: false, values: vec![s.f] },
                );
            }
            Some(g) => {
                g.count += 1.0;
                let x = s.f;
                match op {
                    AggOp::Sum => match version {
                        Version::V3 => (g.value, g.c) = functions::kahan_inc(x, g.value, g.c),
                        Version::V2 => g.value += x,
                    },
                    AggOp::Avg => match version {
                        Version::V3 => {
                            if !g.incremental {
                                let (ns, nc) = functions::kahan_inc(x, g.value, g.c);
                                if !ns.is_infinite() {
                                    g.value = ns;
                                    g.c = nc;
                                    continue;
                                }
                                g.incremental = true;
                                g.mean = g.value / (g.count - 1.0);
                                g.c /= g.count - 1.0;
                            }
                            let q = (g.count - 1.0) / g.count;
                            (g.mean, g.c) = functions::kahan_inc(x / g.count, q * g.mean, q * g.c);
                        }
                        Version::V2 => {
                            if g.mean.is_infinite() {
                                if x.is_infinite() && (g.mean > 0.0) == (x > 0.0) {
                                    continue;
                                }
                                if !x.is_infinite() && !x.is_nan() {
                                    continue;
                                }
                            }
                            g.mean += x / g.count - g.mean / g.count;
                        }
                    },
                    AggOp::Max => {
                        if g.value < x || g.value.is_nan() {
                            g.value = x;
                        }
                    }
                    AggOp::Min => {
                        if g.value > x || g.value.is_nan() {
                            g.value = x;
                        }
                    }
                    AggOp::Count | AggOp::Group => {}
                    AggOp::Stddev | AggOp::Stdvar => {
                        let delta = x - g.mean;
                        g.mean += delta / g.count;
                        g.value += delta * (x - g.mean);
                    }
                    AggOp::Quantile => g.values.push(x),
                }
            }
        }
    }
    let mut out = Vec::with_capacity(order.len());
    for key in order {
        let Some(mut g) = groups.remove(&key) else { continue };
        let f = match op {
            AggOp::Sum => {
                if version == Version::V3 && !g.value.is_infinite() {
                    g.value + g.c
                } else {
                    g.value
                }
            }
            AggOp::Avg => match version {
                Version::V3 if g.incremental => g.mean + g.c,
                Version::V3 => g.value / g.count + g.c / g.count,
                Version::V2 => g.mean,
            },
            AggOp::Count => g.count,
            AggOp::Group => 1.0,
            AggOp::Stddev => (g.value / g.count).sqrt(),
            AggOp::Stdvar => g.value / g.count,
            AggOp::Quantile => functions::quantile(param.unwrap_or(f64::NAN), &mut g.values),
            AggOp::Min | AggOp::Max => g.value,
        };
        out.push(Sample { metric: g.metric, f });
    }
    out
}
