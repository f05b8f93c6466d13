//! A lesson's PromQL twin: the guide's query, evaluated as Prometheus would on the same
//! data the exact method sees, and compared flag by flag.
//!
//! A lesson declares its twin in TOML ([`TwinSpec`]): the query (a template whose
//! `$name`s are the method's current parameters or the twin's own variables), how the
//! lesson's data become Prometheus series ([`SeriesSpec`]), and which exact result each
//! evaluation is compared with. Nothing here is specific to a method.

use crate::ast::{BinOp, ExprKind};
use crate::error::{EvalError, ParseError, Span};
use crate::eval::{Engine, Labels, Options, Series, Storage, Value};
use crate::parser::{parse, substitute, Vars};
use crate::Version;
use alertmath_core::plot::{Axis, Layer, Panel, Plot, Role};
use alertmath_core::{Analysis, Input, Params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[promql]` table of a lesson.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwinSpec {
    /// The guide's query exactly as printed (shown beside ours; it may not be valid PromQL).
    pub guide: String,
    /// The query evaluated: PromQL with `$name` placeholders.
    pub query: String,
    /// Prose: why `query` differs from the guide's, when it does.
    #[serde(default)]
    pub correction: String,
    /// When the guide's query is not valid PromQL: a phrase of the parse error it gets
    /// (the lesson build checks that it really fails, and with this message).
    #[serde(default)]
    pub guide_error: Option<String>,
    pub series: SeriesSpec,
    /// The scrape interval of the series, and the rule evaluation interval ("1m"); or
    /// `$` and an expression of the method's parameters in seconds ("$step"), so that
    /// the mapping follows the lesson's sample interval.
    #[serde(default = "default_interval")]
    pub interval: String,
    /// Values of `$name`s that are not method parameters ("window" = "1h"), or that
    /// are derived from them ([`VarSpec`]).
    #[serde(default)]
    pub vars: BTreeMap<String, VarSpec>,
    /// What each evaluation is compared with: `"flags"` (the method's per-point flags)
    /// or a value-id pattern such as `"alert.{row}"` (a boolean per row).
    #[serde(default = "default_exact")]
    pub exact: String,
    /// The alerting rule's name.
    pub alert: String,
    /// The rule's `for` duration ("0s": fire at once).
    #[serde(default)]
    pub r#for: String,
    /// The rule's summary annotation.
    #[serde(default)]
    pub summary: String,
    /// `$name`s that are Prometheus durations computed from the method's parameters: an
    /// expression in seconds such as `"window"`, `"period * step"` or `"season + lag"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub durations: BTreeMap<String, String>,
    /// `$name`s that are numbers computed the same way (`"unit"`, `"2 * step"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub numbers: BTreeMap<String, String>,
    /// What each option of a choice parameter stands for in those expressions:
    /// `{ unit = { s = 1, min = 60, h = 3600 } }`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub choice_numbers: BTreeMap<String, BTreeMap<String, f64>>,
    /// When a choice parameter switches the technique (and the guide has a query for
    /// each): the first variant whose `when` matches the parameters replaces the fields
    /// it gives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    /// Prometheus's lookback delta (`--query.lookback-delta`, 5m unless set), as an
    /// expression of the method's parameters in seconds (`"lookback"`), for a method
    /// that models how far `metric offset d` looks back for a sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookback: Option<String>,
}

/// A variant of a twin, selected by parameter values (`when = { check = "latency" }`).
/// A variant that gives `guide` also gives its own `guide_error` (none if left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub when: BTreeMap<String, String>,
    #[serde(default)]
    pub guide: Option<String>,
    #[serde(default)]
    pub guide_error: Option<String>,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub correction: Option<String>,
    #[serde(default)]
    pub series: Option<SeriesSpec>,
    #[serde(default)]
    pub alert: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

/// A twin variable: fixed text, text built from the method's parameters
/// (`"${window}m"` becomes `5m` when the parameter `window` is 5), one text per value
/// of a choice or flag parameter (`{ param = "compare", gt = ">", ge = ">=" }`; a flag's
/// values are `true` and `false`), or a number the method computes from the data
/// (`{ value = "g_crit" }`: a critical value PromQL has no function for). The text is
/// PromQL tokens (a duration, a number, an operator, `offset 1m`, or nothing) and may
/// name parameters, other variables, and the twin's durations and numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VarSpec {
    Text(String),
    ByChoice {
        param: String,
        #[serde(flatten)]
        cases: BTreeMap<String, String>,
    },
    FromValue {
        value: String,
    },
}

fn default_interval() -> String {
    "1m".into()
}

fn default_exact() -> String {
    "flags".into()
}

/// How the lesson's data become Prometheus series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SeriesSpec {
    /// One value per scrape: the field's values become samples of the gauge `metric`,
    /// one every interval from time 0 (or at the field's own timestamps); NaN is a
    /// missed scrape.
    Gauge {
        field: String,
        #[serde(default = "default_metric")]
        metric: String,
    },
    /// Each row of a table field becomes one set of counters labelled `label="<row>"`:
    /// for each column named in `columns`, a counter that starts at 0 and grows evenly to
    /// the row's value over `span`, sampled every interval. The query is evaluated once,
    /// at the end of the span.
    Counters {
        field: String,
        #[serde(default = "default_row_label")]
        label: String,
        columns: BTreeMap<String, String>,
        span: String,
    },
    /// Two one-column fields (a baseline and a current sample) as one Prometheus classic
    /// histogram: for each bucket boundary `le`, a cumulative counter `<metric>{le="…"}`
    /// of the values at or below it, and `<metric>{le="+Inf"}` of all of them. The
    /// baseline's counts accrue evenly over `window` from time 0; the current sample's
    /// over the `window` that starts `offset` later, so that `<metric>[window] offset
    /// <offset>` reads the baseline. In between the counters hold still; every counter
    /// is scraped every interval. The query is evaluated once, at the end of the
    /// current window.
    Histogram {
        baseline: String,
        current: String,
        #[serde(default = "default_metric")]
        metric: String,
        window: String,
        offset: String,
        /// The finite bucket boundaries, separated by commas or spaces. Empty: every
        /// distinct value of the two samples, so that the bucket CDFs are the ECDFs.
        /// The page lets the reader edit it (see [`TwinResult::settings`]).
        #[serde(default)]
        buckets: String,
    },
    /// Several columns of a field, each a gauge: `columns` maps a column to its metric
    /// name. One evaluation per row, at the row's timestamp (or every interval from 0).
    Gauges {
        field: String,
        columns: BTreeMap<String, String>,
        /// The column plotted (default: the field's first).
        #[serde(default)]
        plot: Option<String>,
        /// Labels every series carries besides its name.
        #[serde(default)]
        labels: BTreeMap<String, String>,
    },
    /// A one-column field of per-second rates, as a counter: at each row the counter
    /// grows by the value × the time since the previous row (from 0 one interval before
    /// the first row), so that `rate()` gives the values back. One evaluation per row.
    RateCounter {
        field: String,
        #[serde(default = "default_metric")]
        metric: String,
        #[serde(default)]
        labels: BTreeMap<String, String>,
    },
}

fn default_metric() -> String {
    "metric".into()
}

fn default_row_label() -> String {
    "row".into()
}

/// A problem with the query (with where in its text) or with its evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwinError {
    /// "parse", "eval" or "spec".
    pub kind: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

impl From<ParseError> for TwinError {
    fn from(e: ParseError) -> Self {
        TwinError { kind: "parse", message: e.message, span: Some(e.span) }
    }
}

impl From<EvalError> for TwinError {
    fn from(e: EvalError) -> Self {
        TwinError { kind: "eval", message: e.message, span: None }
    }
}

fn spec_error(message: impl Into<String>) -> TwinError {
    TwinError { kind: "spec", message: message.into(), span: None }
}

/// One evaluation compared: a data point (gauge) or a row (counters).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Evaluation time in ms.
    pub t: i64,
    /// What the reader calls it ("12:05", "scenario 2").
    pub label: String,
    /// The plotted position and value.
    pub x: f64,
    pub y: f64,
    pub exact: bool,
    pub promql: bool,
    /// The query's value there, when it returned one.
    pub value: Option<f64>,
    /// For a top-level comparison: its two sides.
    pub lhs: Option<f64>,
    pub rhs: Option<f64>,
}

/// Counts of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Counts {
    /// Both flag, or both do not.
    pub agree: usize,
    pub both: usize,
    pub exact_only: usize,
    pub promql_only: usize,
}

/// The twin's result.
#[derive(Debug, Clone, Serialize)]
pub struct TwinResult {
    /// The query with the variables substituted: what Prometheus is given.
    pub query: String,
    /// The lesson's query template for these parameters and this version (a variant's,
    /// or with Prometheus 2's function names), and the guide's query beside it.
    pub template: String,
    pub guide: String,
    /// Which of the spec's variants is in force, if any.
    pub variant: Option<usize>,
    pub version: Version,
    /// The mapping from the lesson's data to series, in sentences.
    pub mapping: Vec<String>,
    /// Choices of the mapping the reader may change (a histogram's bucket boundaries):
    /// the page shows a text box for each and sends its text back as the field `key`
    /// of the `series` table.
    pub settings: Vec<Setting>,
    /// Each series as promtool's notation: descriptor and values.
    pub series: Vec<(String, String)>,
    pub evaluations: Vec<Evaluation>,
    pub counts: Counts,
    pub notes: Vec<String>,
    #[serde(skip)]
    pub plot: Plot,
    pub rule_yaml: String,
    pub test_yaml: String,
    /// File names for the downloads.
    pub rule_file: String,
    pub test_file: String,
}

/// A choice of the series mapping that the reader can change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    /// The field of the `series` table it sets.
    pub key: String,
    pub label: String,
    /// The text in effect (empty: the default, described by `placeholder`).
    pub value: String,
    pub placeholder: String,
    pub help: String,
}

/// Parses a duration such as "1m" into ms.
pub fn duration_ms(s: &str) -> Result<i64, TwinError> {
    let toks = crate::lexer::lex(s.trim()).map_err(TwinError::from)?;
    match toks.first().map(|t| &t.tok) {
        Some(crate::lexer::Tok::Duration(ms)) if toks.len() == 2 && *ms > 0 => Ok(*ms),
        _ => Err(spec_error(format!("“{}” is not a duration such as 1m.", s))),
    }
}

/// Writes ms as a Prometheus duration ("1h30m", "90s", "0s").
pub fn fmt_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms.abs();
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{}", rest / size, unit));
            rest %= size;
        }
    }
    if ms < 0 {
        format!("-{}", out)
    } else {
        out
    }
}

/// The variables of a query: the method's resolved parameters (numbers in shortest
/// exact form, choices by id), its durations and numbers (which win over a parameter
/// or variable of the same name), then the twin's own (with any `$name` in them
/// replaced). Variables that read the method's values need its
/// `analysis`: see [`variables_with`].
pub fn variables(spec: &TwinSpec, method: &str, params: &Params) -> Result<Vars, TwinError> {
    variables_with(spec, method, params, None)
}

/// [`variables`], with the method's analysis of the data for `{ value = … }` variables.
pub fn variables_with(
    spec: &TwinSpec,
    method: &str,
    params: &Params,
    analysis: Option<&Analysis>,
) -> Result<Vars, TwinError> {
    let m = alertmath_core::method(method).ok_or_else(|| spec_error(format!("no method “{}”", method)))?;
    let resolved = alertmath_core::ResolvedParams::resolve(&m.spec, params).map_err(|e| spec_error(e.message))?;
    let mut vars = Vars::new();
    for (id, v) in resolved.iter() {
        let text = match v {
            alertmath_core::params::Resolved::Number(x) => format!("{}", x),
            alertmath_core::params::Resolved::Choice(c) => c.to_string(),
            alertmath_core::params::Resolved::Flag(b) => b.to_string(),
        };
        vars.insert(id.to_string(), text);
    }
    // Durations and numbers depend only on the parameters: known before the variables
    // (which may name them, as in `{ param = "current", exclude = " offset $gap" }`),
    // and in force over a variable or a parameter of the same name.
    let mut computed = Vec::new();
    for (k, e) in &spec.durations {
        let secs = expression(e, &resolved, &spec.choice_numbers)?;
        computed.push((k.clone(), prom_duration(seconds_to_ms(secs, k)?)));
    }
    for (k, e) in &spec.numbers {
        computed.push((k.clone(), format!("{}", expression(e, &resolved, &spec.choice_numbers)?)));
    }
    vars.extend(computed.iter().cloned());
    // The twin's own, as raw text first (a parameter, duration or number of the same name wins).
    let mut pending: Vec<(String, String)> = Vec::new();
    for (k, v) in &spec.vars {
        if vars.contains_key(k) {
            continue;
        }
        let text = match v {
            VarSpec::Text(t) => t.clone(),
            VarSpec::ByChoice { param, cases } => {
                let value = vars
                    .get(param)
                    .ok_or_else(|| spec_error(format!("${} follows “{}”, which is not a parameter", k, param)))?;
                cases.get(value).cloned().ok_or_else(|| {
                    spec_error(format!(
                        "The PromQL twin has no form for {} = “{}” (${} has none); choose another value to compare.",
                        param, value, k
                    ))
                })?
            }
            VarSpec::FromValue { value } => {
                let Some(a) = analysis else {
                    return Err(spec_error(format!(
                        "${} reads the method's value “{}”, which needs the data",
                        k, value
                    )));
                };
                match a.number(value) {
                    Some(x) if x.is_finite() => format!("{}", x),
                    _ => {
                        return Err(spec_error(format!(
                        "${} is the method's “{}”, which is undefined on these data, so the query has no threshold.",
                        k, value
                    )))
                    }
                }
            }
        };
        pending.push((k.clone(), text));
    }
    // Resolve references between them: a few passes, each substituting what is known.
    for _ in 0..4 {
        if pending.is_empty() {
            break;
        }
        let mut left = Vec::new();
        for (k, text) in pending {
            match substitute(&text, &vars) {
                Ok(done) => {
                    vars.insert(k, done);
                }
                Err(_) => left.push((k, text)),
            }
        }
        pending = left;
    }
    if let Some((k, text)) = pending.first() {
        let e = substitute(text, &vars).err().map_or_else(String::new, |e| e.message);
        return Err(spec_error(format!("${}: {}", k, e)));
    }
    vars.extend(computed);
    Ok(vars)
}

/// The lookback delta in ms: an expression of the method's parameters in seconds.
fn lookback_ms(e: &str, method: &str, params: &Params) -> Result<i64, TwinError> {
    let m = alertmath_core::method(method).ok_or_else(|| spec_error(format!("no method “{}”", method)))?;
    let resolved = alertmath_core::ResolvedParams::resolve(&m.spec, params).map_err(|e| spec_error(e.message))?;
    seconds_to_ms(expression(e, &resolved, &BTreeMap::new())?, "lookback")
}

/// ms from seconds, refusing what is not a positive whole number of milliseconds.
fn seconds_to_ms(secs: f64, what: &str) -> Result<i64, TwinError> {
    let ms = (secs * 1000.0).round();
    if !(1.0..=1e15).contains(&ms) || ((secs * 1000.0) - ms).abs() > 1e-6 * ms.max(1.0) {
        return Err(TwinError {
            kind: "eval",
            message: format!(
                "${} would be {} s, which is not a positive whole number of milliseconds: Prometheus durations count milliseconds.",
                what,
                alertmath_core::fmt::num(secs)
            ),
            span: None,
        });
    }
    Ok(ms as i64)
}

/// A Prometheus duration: weeks when it is a whole number of them, then days, hours…
pub fn prom_duration(ms: i64) -> String {
    const WEEK: i64 = 604_800_000;
    if ms >= WEEK {
        let rest = ms % WEEK;
        let head = format!("{}w", ms / WEEK);
        if rest == 0 {
            head
        } else {
            head + &fmt_duration(rest)
        }
    } else {
        fmt_duration(ms)
    }
}

/// Evaluates `+ - * /` and parentheses over numbers and the method's parameters (a
/// choice parameter through `choice_numbers`, a flag as 1 or 0), and `a or b`, which is
/// `a` unless it is 0, then `b` (for a parameter whose 0 means "the other one":
/// `"(offset_period or period) * step"`); `or` binds loosest.
fn expression(
    text: &str,
    params: &alertmath_core::ResolvedParams,
    choices: &BTreeMap<String, BTreeMap<String, f64>>,
) -> Result<f64, TwinError> {
    use alertmath_core::params::Resolved;
    #[derive(Debug, Clone, PartialEq)]
    enum T {
        Num(f64),
        Op(char),
    }
    let bad = |why: String| spec_error(format!("the expression “{}”: {}", text, why));
    let mut toks = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_whitespace() {
            i += 1;
        } else if "+-*/()".contains(c) {
            toks.push(T::Op(c));
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while chars.get(i).is_some_and(|d| d.is_ascii_digit() || *d == '.') {
                i += 1;
            }
            let word: String = chars.get(start..i).unwrap_or_default().iter().collect();
            toks.push(T::Num(word.parse().map_err(|_| bad(format!("“{}” is not a number", word)))?));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while chars.get(i).is_some_and(|d| d.is_ascii_alphanumeric() || *d == '_') {
                i += 1;
            }
            let id: String = chars.get(start..i).unwrap_or_default().iter().collect();
            if id == "or" {
                toks.push(T::Op('|'));
                continue;
            }
            let value = match params.iter().find(|(p, _)| *p == id).map(|(_, v)| v) {
                Some(Resolved::Number(x)) => x,
                Some(Resolved::Flag(b)) => f64::from(u8::from(b)),
                Some(Resolved::Choice(c)) => *choices
                    .get(&id)
                    .and_then(|m| m.get(c))
                    .ok_or_else(|| bad(format!("the choice {} = {} has no number in choice_numbers", id, c)))?,
                None => return Err(bad(format!("the method has no parameter “{}”", id))),
            };
            toks.push(T::Num(value));
        } else {
            return Err(bad(format!("unexpected “{}”", c)));
        }
    }
    // Precedence climbing over the tokens.
    fn parse(t: &[T], pos: &mut usize, min: u8) -> Option<f64> {
        let mut lhs = match t.get(*pos)? {
            T::Num(x) => {
                *pos += 1;
                *x
            }
            T::Op('(') => {
                *pos += 1;
                let v = parse(t, pos, 0)?;
                if t.get(*pos) != Some(&T::Op(')')) {
                    return None;
                }
                *pos += 1;
                v
            }
            T::Op('-') => {
                *pos += 1;
                -parse(t, pos, 3)?
            }
            T::Op(_) => return None,
        };
        while let Some(T::Op(op)) = t.get(*pos) {
            let prec = match op {
                '|' => 0,
                '+' | '-' => 1,
                '*' | '/' => 2,
                _ => break,
            };
            if prec < min {
                break;
            }
            *pos += 1;
            let rhs = parse(t, pos, prec + 1)?;
            lhs = match op {
                '+' => lhs + rhs,
                '-' => lhs - rhs,
                '|' => {
                    if lhs != 0.0 {
                        lhs
                    } else {
                        rhs
                    }
                }
                '*' => lhs * rhs,
                _ => lhs / rhs,
            };
        }
        Some(lhs)
    }
    let mut pos = 0;
    match parse(&toks, &mut pos, 0) {
        Some(v) if pos == toks.len() && v.is_finite() => Ok(v),
        Some(v) if pos == toks.len() => Err(bad(format!("it is {}", v))),
        _ => Err(bad("not an expression of numbers, parameters, + − × ÷ and parentheses".into())),
    }
}

impl TwinSpec {
    /// The spec in force for `params`: the matching variant's fields in place of the
    /// base ones (variants dropped), and a `$` interval evaluated to a duration.
    pub fn select(&self, method: &str, params: &Params) -> Result<(TwinSpec, Option<usize>), TwinError> {
        let m = alertmath_core::method(method).ok_or_else(|| spec_error(format!("no method “{}”", method)))?;
        let resolved = alertmath_core::ResolvedParams::resolve(&m.spec, params).map_err(|e| spec_error(e.message))?;
        let mut out = self.clone();
        out.variants = Vec::new();
        let matches = |v: &Variant| {
            v.when.iter().all(|(id, want)| {
                resolved.iter().any(|(p, value)| {
                    p == id
                        && match value {
                            alertmath_core::params::Resolved::Choice(c) => c == want,
                            alertmath_core::params::Resolved::Flag(b) => b.to_string() == *want,
                            alertmath_core::params::Resolved::Number(x) => format!("{}", x) == *want,
                        }
                })
            })
        };
        let chosen = self.variants.iter().position(matches);
        if let Some(v) = chosen.and_then(|i| self.variants.get(i)) {
            if let Some(g) = &v.guide {
                out.guide = g.clone();
                out.guide_error = v.guide_error.clone();
            }
            if let Some(q) = &v.query {
                out.query = q.clone();
            }
            if let Some(c) = &v.correction {
                out.correction = c.clone();
            }
            if let Some(s) = &v.series {
                out.series = s.clone();
            }
            if let Some(a) = &v.alert {
                out.alert = a.clone();
            }
            if let Some(s) = &v.summary {
                out.summary = s.clone();
            }
        }
        if let Some(e) = self.interval.trim().strip_prefix('$') {
            let secs = expression(e, &resolved, &self.choice_numbers)?;
            out.interval = prom_duration(seconds_to_ms(secs, "interval")?);
        }
        Ok((out, chosen))
    }
}

/// The lesson's query for `version`: Prometheus 2 calls `double_exponential_smoothing`
/// `holt_winters`, so the lesson's own query is run under that name there.
pub fn template_for(query: &str, version: Version) -> String {
    if version != Version::V2 {
        return query.to_string();
    }
    let Ok(tokens) = crate::lexer::lex(query) else { return query.to_string() };
    let mut out = String::with_capacity(query.len());
    let mut last = 0;
    for t in tokens {
        if matches!(&t.tok, crate::lexer::Tok::Ident(w) if w == "double_exponential_smoothing") {
            out.push_str(query.get(last..t.span.start).unwrap_or(""));
            out.push_str("holt_winters");
            last = t.span.end;
        }
    }
    out.push_str(query.get(last..).unwrap_or(""));
    out
}

struct Mapped {
    storage: Storage,
    /// Evaluation times, with label, x and y, and the exact flag of each.
    points: Vec<(i64, String, f64, f64, bool)>,
    mapping: Vec<String>,
    /// For the promtool file: descriptor and the notation of its values on the interval grid.
    notation: Vec<(String, String)>,
    /// The label that names a row's series (counters), for matching output to rows.
    row_label: Option<String>,
    /// Whether the query is evaluated once, at `span_end`, for every row (counters, a
    /// histogram) rather than at every point's time.
    once: bool,
    span_end: i64,
    /// Panels of the mapping's own that show the data as the series hold them; they
    /// replace the panel of data and flags (a histogram has no data point per evaluation).
    panels: Option<Vec<Panel>>,
    settings: Vec<Setting>,
}

/// The method's flag at each row it judges: its own list when its points leave some
/// rows out, else its points' flags.
fn method_flags(analysis: &Analysis) -> &[bool] {
    match &analysis.row_flags {
        Some(flags) => flags,
        None => analysis.points.as_ref().map(|p| p.flag.as_slice()).unwrap_or_default(),
    }
}

impl Mapped {
    /// A mapping evaluated at every sample's time, with the default plot.
    fn per_sample(
        storage: Storage,
        points: Vec<(i64, String, f64, f64, bool)>,
        mapping: Vec<String>,
        notation: Vec<(String, String)>,
    ) -> Mapped {
        Mapped {
            storage,
            points,
            mapping,
            notation,
            row_label: None,
            once: false,
            span_end: 0,
            panels: None,
            settings: Vec::new(),
        }
    }
}

fn exact_flags(spec: &TwinSpec, analysis: &Analysis, n: usize) -> Result<Vec<bool>, TwinError> {
    if spec.exact == "flags" {
        let flags = method_flags(analysis).to_vec();
        if flags.len() != n {
            return Err(spec_error(format!(
                "the method flags {} points but the twin maps {} evaluations",
                flags.len(),
                n
            )));
        }
        return Ok(flags);
    }
    (1..=n)
        .map(|row| {
            let id = spec.exact.replace("{row}", &row.to_string());
            match analysis.value(&id) {
                Some(alertmath_core::Val::Bool(b)) => Ok(*b),
                Some(other) => Ok(other.as_f64().is_some_and(|x| x != 0.0)),
                None => Err(spec_error(format!("the analysis has no value “{}”", id))),
            }
        })
        .collect()
}

/// The exact flags of a field's rows: one per row, or one per present row (a method that
/// leaves missing samples out), spread over the rows with no flag at a missing one.
fn row_flags(spec: &TwinSpec, analysis: &Analysis, present: &[bool]) -> Result<Vec<bool>, TwinError> {
    let n_present = present.iter().filter(|&&p| p).count();
    if spec.exact == "flags" && n_present < present.len() {
        let flags = method_flags(analysis);
        if flags.len() == n_present {
            let mut it = flags.iter();
            return Ok(present.iter().map(|&p| p && it.next().copied().unwrap_or(false)).collect());
        }
    }
    exact_flags(spec, analysis, present.len())
}

/// The rows of a field as evaluation points: their times (the field's timestamps in ms,
/// or every interval from 0), whether each row is complete, and the mapping's sentence
/// about time. Rows whose timestamp is not after the previous kept one are dropped from
/// the series (Prometheus keeps one sample per timestamp), and said so.
struct Rows {
    times: Vec<i64>,
    keep: Vec<bool>,
    own_times: bool,
    dropped: usize,
}

fn rows_of(input: &Input, f: &alertmath_core::spec::FieldSpec, n: usize, interval: i64, present: &[bool]) -> Rows {
    let (times, own_times): (Vec<i64>, bool) = match input.times(f) {
        Some(ts) => (ts.iter().map(|&s| (s * 1000.0).round() as i64).collect(), true),
        None => ((0..n).map(|i| i as i64 * interval).collect(), false),
    };
    let mut keep = Vec::with_capacity(n);
    let mut last: Option<i64> = None;
    let mut dropped = 0;
    for (i, &t) in times.iter().enumerate() {
        let ok = present.get(i).copied().unwrap_or(false) && last.is_none_or(|l| t > l);
        if present.get(i).copied().unwrap_or(false) && !ok {
            dropped += 1;
        }
        if ok {
            last = Some(t);
        }
        keep.push(ok);
    }
    Rows { times, keep, own_times, dropped }
}

/// promtool's notation of samples on the interval grid, or None when they are not on it.
fn grid_notation(times: &[i64], values: &[Option<f64>], interval: i64) -> Option<String> {
    let on_grid = times.iter().zip(values).filter(|(_, v)| v.is_some()).all(|(t, _)| *t >= 0 && t % interval == 0);
    if !on_grid || interval <= 0 {
        return None;
    }
    let last = times.iter().zip(values).filter(|(_, v)| v.is_some()).map(|(t, _)| t / interval).max().unwrap_or(0);
    let mut grid: Vec<Option<f64>> = vec![None; (last + 1).clamp(0, 10_000_000) as usize];
    for (&t, v) in times.iter().zip(values) {
        if let (Some(v), Some(slot)) = (v, grid.get_mut((t / interval) as usize)) {
            *slot = Some(*v);
        }
    }
    Some(crate::notation::write(&grid))
}

fn with_labels(metric: &str, labels: &BTreeMap<String, String>) -> Labels {
    let mut pairs = vec![("__name__".to_string(), metric.to_string())];
    pairs.extend(labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    Labels::new(pairs)
}

fn time_sentence(rows: &Rows, interval: &str) -> String {
    let mut s = if rows.own_times {
        "at the row's own timestamp".to_string()
    } else {
        format!("one row every {} from time 0 (row k at (k − 1) × {})", interval, interval)
    };
    if rows.dropped > 0 {
        s.push_str(&format!(
            "; {} row(s) whose timestamp repeats or goes back are left out, because Prometheus keeps one sample per timestamp",
            rows.dropped
        ));
    }
    s
}

fn map_series(spec: &TwinSpec, method: &str, input: &Input, analysis: &Analysis) -> Result<Mapped, TwinError> {
    let interval = duration_ms(&spec.interval)?;
    let m = alertmath_core::method(method).ok_or_else(|| spec_error(format!("no method “{}”", method)))?;
    match &spec.series {
        SeriesSpec::Gauge { field, metric } => {
            let f = m.spec.field(field).ok_or_else(|| spec_error(format!("the method has no field “{}”", field)))?;
            let column = f.columns.first().ok_or_else(|| spec_error("the field has no column"))?;
            let values = input.col(&f.key(column.id));
            let times: Vec<i64> = match input.times(f) {
                Some(ts) => ts.iter().map(|&s| (s * 1000.0).round() as i64).collect(),
                None => (0..values.len()).map(|i| i as i64 * interval).collect(),
            };
            let present: Vec<bool> = values.iter().map(|v| !v.is_nan()).collect();
            let flags = row_flags(spec, analysis, &present)?;
            let labels = Labels::new(vec![("__name__".into(), metric.clone())]);
            let mut series = Series { labels, t: Vec::new(), v: Vec::new() };
            let mut points = Vec::with_capacity(values.len());
            for (i, (&t, &v)) in times.iter().zip(values).enumerate() {
                // Prometheus keeps one sample per timestamp (the first).
                if !v.is_nan() && series.t.last().is_none_or(|&l| t > l) {
                    series.t.push(t);
                    series.v.push(v);
                }
                points.push((
                    t,
                    format!("#{} at {}", i + 1, fmt_duration(t)),
                    t as f64 / 60_000.0,
                    v,
                    flags.get(i).copied().unwrap_or(false),
                ));
            }
            // promtool's notation needs a regular grid.
            let regular = times.iter().all(|t| t % interval == 0) && times.windows(2).all(|w| w[1] > w[0]);
            let mut notation = Vec::new();
            if regular {
                let last = times.last().copied().unwrap_or(0) / interval;
                let mut grid: Vec<Option<f64>> = vec![None; (last + 1).clamp(0, 10_000_000) as usize];
                for (&t, &v) in times.iter().zip(values) {
                    if let Some(slot) = grid.get_mut((t / interval) as usize) {
                        *slot = (!v.is_nan()).then_some(v);
                    }
                }
                notation.push((metric.clone(), crate::notation::write(&grid)));
            }
            let mapping = vec![
                format!(
                    "Each value is one scrape of the gauge {}: {}.",
                    metric,
                    if input.times(f).is_some() {
                        "at its own timestamp".to_string()
                    } else {
                        format!("one every {} from time 0 (sample k at (k − 1) × {})", spec.interval, spec.interval)
                    }
                ),
                "The rule is evaluated at every sample's time, as Prometheus evaluates an alerting rule every evaluation interval; each evaluation sees only the samples up to that time.".to_string(),
            ];
            Ok(Mapped::per_sample(Storage { series: vec![series] }, points, mapping, notation))
        }
        SeriesSpec::Histogram { baseline, current, metric, window, offset, buckets } => {
            let interval = duration_ms(&spec.interval)?;
            let column = |id: &str| -> Result<Vec<f64>, TwinError> {
                let f = m.spec.field(id).ok_or_else(|| spec_error(format!("the method has no field “{}”", id)))?;
                let c = f.columns.first().ok_or_else(|| spec_error("the field has no column"))?;
                Ok(input.col(&f.key(c.id)).to_vec())
            };
            let hist = Histogram {
                baseline: column(baseline)?,
                current: column(current)?,
                metric,
                window: duration_ms(window)?,
                offset: duration_ms(offset)?,
                interval,
                buckets,
            };
            let flags = exact_flags(spec, analysis, 1)?;
            hist.map(flags.first().copied().unwrap_or(false))
        }
        SeriesSpec::Counters { field, label, columns, span } => {
            let span_ms = duration_ms(span)?;
            let f = m.spec.field(field).ok_or_else(|| spec_error(format!("the method has no field “{}”", field)))?;
            let steps = span_ms / interval;
            if !(1..=100_000).contains(&steps) {
                return Err(spec_error("the span must hold between 1 and 100,000 intervals"));
            }
            let mut storage = Storage::default();
            let mut notation = Vec::new();
            let mut n_rows = 0;
            for (column, counter) in columns {
                let values = input.col(&f.key(column));
                n_rows = n_rows.max(values.len());
                for (row, &total) in values.iter().enumerate() {
                    let labels =
                        Labels::new(vec![("__name__".into(), counter.clone()), (label.clone(), (row + 1).to_string())]);
                    let mut s = Series { labels: labels.clone(), t: Vec::new(), v: Vec::new() };
                    let mut grid = Vec::with_capacity(steps as usize + 1);
                    for k in 0..=steps {
                        let v = total * k as f64 / steps as f64;
                        s.t.push(k * interval);
                        s.v.push(v);
                        grid.push(Some(v));
                    }
                    notation.push((labels.to_text(), crate::notation::write(&grid)));
                    storage.series.push(s);
                }
            }
            let flags = exact_flags(spec, analysis, n_rows)?;
            let first_col = columns.keys().next().cloned().unwrap_or_default();
            let ys = input.col(&f.key(&first_col));
            let points = (0..n_rows)
                .map(|r| {
                    (
                        span_ms,
                        format!("{} {}", label, r + 1),
                        (r + 1) as f64,
                        ys.get(r).copied().unwrap_or(f64::NAN),
                        flags.get(r).copied().unwrap_or(false),
                    )
                })
                .collect();
            let names: Vec<String> = columns.iter().map(|(c, n)| format!("{} → {}", c, n)).collect();
            let mapping = vec![
                format!(
                    "Each row becomes a set of counters labelled {}=\"<row number>\" ({}), each starting at 0 and growing evenly to the row's value over {}, scraped every {}.",
                    label,
                    names.join(", "),
                    span,
                    spec.interval
                ),
                format!(
                    "The rule is evaluated once, at the end of the {} window, for every row at the same time. With evenly growing counters, increase() recovers the row's totals up to rounding; real counters step in whole requests, and increase() then extrapolates them to non-integers.",
                    span
                ),
            ];
            Ok(Mapped {
                storage,
                points,
                mapping,
                notation,
                row_label: Some(label.clone()),
                once: true,
                span_end: span_ms,
                panels: None,
                settings: Vec::new(),
            })
        }
        SeriesSpec::Gauges { field, columns, plot, labels } => {
            let f = m.spec.field(field).ok_or_else(|| spec_error(format!("the method has no field “{}”", field)))?;
            for c in columns.keys() {
                if !f.columns.iter().any(|fc| fc.id == c) {
                    return Err(spec_error(format!("the field {} has no column “{}”", field, c)));
                }
            }
            let plotted = plot.clone().or_else(|| f.columns.first().map(|c| c.id.to_string())).unwrap_or_default();
            let cols: Vec<(&String, &[f64])> = columns.iter().map(|(c, name)| (name, input.col(&f.key(c)))).collect();
            let n = cols.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
            let present: Vec<bool> =
                (0..n).map(|i| cols.iter().all(|(_, v)| v.get(i).is_some_and(|x| !x.is_nan()))).collect();
            let rows = rows_of(input, f, n, interval, &present);
            let flags = row_flags(spec, analysis, &present)?;
            let mut storage = Storage::default();
            let mut notation = Vec::new();
            for (name, values) in &cols {
                let labels = with_labels(name, labels);
                let mut series = Series { labels: labels.clone(), t: Vec::new(), v: Vec::new() };
                let mut kept = Vec::with_capacity(n);
                for (i, &t) in rows.times.iter().enumerate() {
                    let v =
                        values.get(i).copied().filter(|x| !x.is_nan() && rows.keep.get(i).copied().unwrap_or(false));
                    if let Some(v) = v {
                        series.t.push(t);
                        series.v.push(v);
                    }
                    kept.push(v);
                }
                if let Some(text) = grid_notation(&rows.times, &kept, interval) {
                    notation.push((labels.to_text(), text));
                }
                storage.series.push(series);
            }
            if notation.len() != cols.len() {
                notation.clear();
            }
            let ys = input.col(&f.key(&plotted));
            let points = (0..n)
                .map(|i| {
                    let t = rows.times.get(i).copied().unwrap_or(0);
                    (
                        t,
                        format!("#{} at {}", i + 1, fmt_duration(t)),
                        t as f64 / 60_000.0,
                        ys.get(i).copied().unwrap_or(f64::NAN),
                        flags.get(i).copied().unwrap_or(false),
                    )
                })
                .collect();
            let names: Vec<String> =
                columns.iter().map(|(c, name)| format!("{} → {}", c, with_labels(name, labels).to_text())).collect();
            let mapping = vec![
                format!(
                    "Each row is one scrape of {} gauges ({}), {}. A missing value (NaN) is a missed scrape.",
                    columns.len(),
                    names.join(", "),
                    time_sentence(&rows, &spec.interval)
                ),
                format!("The plot shows the column {}. The rule is evaluated at every row's time; each evaluation sees only the samples up to that time.", plotted),
            ];
            Ok(Mapped::per_sample(storage, points, mapping, notation))
        }
        SeriesSpec::RateCounter { field, metric, labels } => {
            let f = m.spec.field(field).ok_or_else(|| spec_error(format!("the method has no field “{}”", field)))?;
            let column = f.columns.first().ok_or_else(|| spec_error("the field has no column"))?;
            let values = input.col(&f.key(column.id));
            let present: Vec<bool> = values.iter().map(|v| !v.is_nan()).collect();
            let rows = rows_of(input, f, values.len(), interval, &present);
            let flags = row_flags(spec, analysis, &present)?;
            let labels = with_labels(metric, labels);
            let mut series = Series { labels: labels.clone(), t: Vec::new(), v: Vec::new() };
            let mut kept = Vec::with_capacity(values.len());
            let mut prev_t = rows.times.first().map_or(0, |t| t - interval);
            // Compensated running total, so that a long counter keeps the rates' digits.
            let (mut total, mut comp) = (0.0_f64, 0.0_f64);
            for (i, (&t, &v)) in rows.times.iter().zip(values).enumerate() {
                if !rows.keep.get(i).copied().unwrap_or(false) {
                    kept.push(None);
                    continue;
                }
                if v < 0.0 {
                    return Err(TwinError {
                        kind: "eval",
                        message: format!(
                            "Row {} is {}: the twin reads the values as the per-second rate of a counter, and a counter cannot go down. Use rates of 0 or more here.",
                            i + 1,
                            alertmath_core::fmt::num(v)
                        ),
                        span: None,
                    });
                }
                let inc = v * ((t - prev_t) as f64 / 1000.0);
                let y = total + inc;
                comp += if total.abs() >= inc.abs() { (total - y) + inc } else { (inc - y) + total };
                total = y;
                prev_t = t;
                let c = total + comp;
                series.t.push(t);
                series.v.push(c);
                kept.push(Some(c));
            }
            let notation = grid_notation(&rows.times, &kept, interval)
                .map(|text| vec![(labels.to_text(), text)])
                .unwrap_or_default();
            let points = rows
                .times
                .iter()
                .enumerate()
                .map(|(i, &t)| {
                    (
                        t,
                        format!("#{} at {}", i + 1, fmt_duration(t)),
                        t as f64 / 60_000.0,
                        values.get(i).copied().unwrap_or(f64::NAN),
                        flags.get(i).copied().unwrap_or(false),
                    )
                })
                .collect();
            let mapping = vec![
                format!(
                    "Each value is a per-second rate, so the series becomes a counter, {}: at each row it grows by the value × the time since the row before (from 0, one interval before the first row), so that rate() over it gives the values back. Rows are scraped {}. A missing value (NaN) is a missed scrape; the next value's rate then counts for the whole gap.",
                    labels.to_text(),
                    time_sentence(&rows, &spec.interval)
                ),
                "The rule is evaluated at every row's time, as Prometheus evaluates an alerting rule every evaluation interval; each evaluation sees only the samples up to that time. The plot shows the rates.".to_string(),
            ];
            Ok(Mapped::per_sample(Storage { series: vec![series] }, points, mapping, notation))
        }
    }
}

/// The most samples a histogram's series may hold together (buckets × scrapes).
pub const MAX_HISTOGRAM_SAMPLES: usize = 4_000_000;

/// The most buckets a histogram mapping makes.
pub const MAX_BUCKETS: usize = 2_000;

/// Reads bucket boundaries: numbers separated by commas or spaces (`+Inf` may be
/// listed; it is always added). Sorted, without repeats.
pub fn parse_buckets(text: &str) -> Result<Vec<f64>, TwinError> {
    let mut out = Vec::new();
    for item in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
        if matches!(item, "+Inf" | "Inf" | "inf" | "+inf") {
            continue;
        }
        let x: f64 = item.replace('−', "-").parse().map_err(|_| {
            spec_error(format!(
                "Bucket boundaries: “{}” is not a number. List upper bounds such as 100, 250, 500.",
                item
            ))
        })?;
        if !x.is_finite() {
            return Err(spec_error(format!("Bucket boundaries: “{}” is not a finite number.", item)));
        }
        out.push(x);
    }
    out.sort_by(f64::total_cmp);
    out.dedup();
    if out.len() > MAX_BUCKETS {
        return Err(spec_error(format!(
            "Bucket boundaries: {} given; at most {} are kept here.",
            out.len(),
            MAX_BUCKETS
        )));
    }
    Ok(out)
}

/// How `le` values are written: the shortest text that reads back as the same number.
fn le_text(x: f64) -> String {
    format!("{}", x)
}

/// The two samples of a histogram mapping, and where they go.
struct Histogram<'a> {
    baseline: Vec<f64>,
    current: Vec<f64>,
    metric: &'a str,
    window: i64,
    offset: i64,
    interval: i64,
    buckets: &'a str,
}

impl Histogram<'_> {
    fn map(&self, exact: bool) -> Result<Mapped, TwinError> {
        let (w, o, step) = (self.window, self.offset, self.interval);
        if w % step != 0 || o % step != 0 {
            return Err(spec_error("the histogram's window and offset must be whole multiples of the interval"));
        }
        if o < w {
            return Err(spec_error(
                "the histogram's offset must be at least its window, so that the two windows do not overlap",
            ));
        }
        let mut b: Vec<f64> = self.baseline.iter().copied().filter(|x| !x.is_nan()).collect();
        let mut c: Vec<f64> = self.current.iter().copied().filter(|x| !x.is_nan()).collect();
        b.sort_by(f64::total_cmp);
        c.sort_by(f64::total_cmp);
        let pooled_default = self.buckets.trim().is_empty();
        let bounds: Vec<f64> = if pooled_default {
            let mut all: Vec<f64> = b.iter().chain(&c).copied().filter(|x| x.is_finite()).collect();
            all.sort_by(f64::total_cmp);
            all.dedup();
            all
        } else {
            parse_buckets(self.buckets)?
        };
        if bounds.len() > MAX_BUCKETS {
            return Err(spec_error(format!(
                "The two samples hold {} distinct values; a histogram here has at most {} buckets. Give bucket boundaries.",
                bounds.len(),
                MAX_BUCKETS
            )));
        }
        let (wn, on) = (w / step, o / step);
        let scrapes = (on + wn + 1) as usize;
        if scrapes.saturating_mul(bounds.len() + 1) > MAX_HISTOGRAM_SAMPLES {
            return Err(spec_error(format!(
                "{} buckets scraped {} times each is more than {} samples; give fewer bucket boundaries.",
                bounds.len() + 1,
                scrapes,
                MAX_HISTOGRAM_SAMPLES
            )));
        }
        let at_or_below = |xs: &[f64], le: f64| xs.partition_point(|&x| x <= le) as f64;
        let mut les: Vec<(String, f64, f64)> =
            bounds.iter().map(|&le| (le_text(le), at_or_below(&b, le), at_or_below(&c, le))).collect();
        les.push(("+Inf".to_string(), b.len() as f64, c.len() as f64));
        let mut storage = Storage::default();
        let mut notation = Vec::new();
        let times: Vec<i64> = (0..scrapes as i64).map(|k| k * step).collect();
        for (le, nb, nc) in &les {
            let labels = Labels::new(vec![("__name__".into(), self.metric.to_string()), ("le".into(), le.clone())]);
            let values: Vec<f64> = (0..scrapes as i64)
                .map(|k| {
                    if k <= wn {
                        nb * k as f64 / wn as f64
                    } else if k < on {
                        *nb
                    } else {
                        nb + nc * (k - on) as f64 / wn as f64
                    }
                })
                .collect();
            notation.push((labels.to_text(), crate::notation::write_runs(&values)));
            storage.series.push(Series { labels, t: times.clone(), v: values });
        }
        let end = o + w;
        let counts = |pick: &dyn Fn(&(String, f64, f64)) -> f64| -> String {
            les.iter().map(|r| format!("{}", pick(r))).collect::<Vec<_>>().join(", ")
        };
        let names: Vec<&str> = les.iter().map(|r| r.0.as_str()).collect();
        let mapping = vec![
            format!(
                "The two samples become one classic histogram: for each bucket boundary le, a cumulative counter {}{{le=\"…\"}} of the values at or below it; {}{{le=\"+Inf\"}} counts them all.",
                self.metric, self.metric
            ),
            format!(
                "Bucket boundaries (le): {}{}",
                crate::twin::shorten(&names, 24),
                if pooled_default {
                    " — every distinct value of the two samples, so that bucket ÷ +Inf bucket is exactly each sample's ECDF. Type boundaries above to see what coarser buckets do.".to_string()
                } else {
                    " — as typed above: the CDFs are known at these boundaries only.".to_string()
                }
            ),
            format!(
                "Counts at or below each boundary: baseline {}; current {}.",
                crate::twin::shorten_text(&counts(&|r| r.1), 24),
                crate::twin::shorten_text(&counts(&|r| r.2), 24)
            ),
            format!(
                "The baseline's {} values accrue evenly over the {} from time 0; the current {} over the {} from {} to {}. In between the counters hold still; every counter is scraped every {}, and the rule is evaluated once, at {}: {}[{}] reads the current window and {}[{}] offset {} the baseline.",
                b.len(),
                fmt_duration(w),
                c.len(),
                fmt_duration(w),
                fmt_duration(o),
                fmt_duration(end),
                fmt_duration(step),
                fmt_duration(end),
                self.metric,
                fmt_duration(w),
                self.metric,
                fmt_duration(w),
                fmt_duration(o)
            ),
        ];
        let points = vec![(end, format!("at {}: current window vs baseline", fmt_duration(end)), 1.0, f64::NAN, exact)];
        Ok(Mapped {
            storage,
            points,
            mapping,
            notation,
            row_label: None,
            once: true,
            span_end: end,
            panels: Some(vec![self.cdf_panel(&les)]),
            settings: vec![Setting {
                key: "buckets".into(),
                label: "Bucket boundaries (le)".into(),
                value: self.buckets.trim().to_string(),
                placeholder: format!("every distinct value ({})", bounds.len()),
                help: "Upper bounds of the histogram's buckets, separated by commas; +Inf is always added. Empty: every distinct value of the two samples.".into(),
            }],
        })
    }

    /// The buckets as CDFs, divided by the +Inf bucket and by the sum over all le.
    fn cdf_panel(&self, les: &[(String, f64, f64)]) -> Panel {
        let finite: Vec<&(String, f64, f64)> = les.iter().filter(|r| r.0 != "+Inf").collect();
        let xs: Vec<f64> = finite.iter().filter_map(|r| r.0.parse::<f64>().ok()).collect();
        let total = |pick: &dyn Fn(&(String, f64, f64)) -> f64| les.iter().map(pick).sum::<f64>();
        let (nb, nc) = les.last().map_or((0.0, 0.0), |r| (r.1, r.2));
        let (sb, sc) = (total(&|r| r.1), total(&|r| r.2));
        let frac = |num: f64, den: f64| if den > 0.0 { num / den } else { f64::NAN };
        let fb: Vec<f64> = finite.iter().map(|r| frac(r.1, nb)).collect();
        let fc: Vec<f64> = finite.iter().map(|r| frac(r.2, nc)).collect();
        let gb: Vec<f64> = finite.iter().map(|r| frac(r.1, sb)).collect();
        let gc: Vec<f64> = finite.iter().map(|r| frac(r.2, sc)).collect();
        let mut panel = Panel::new(
            "The histogram's buckets as CDFs: bucket ÷ +Inf bucket, and bucket ÷ sum over all le",
            Axis::linear("bucket boundary le"),
            Axis::linear("fraction").with_range(-0.04, 1.08),
        );
        panel.push(Layer::steps(xs.clone(), fb.clone(), Role::Model, "baseline ÷ +Inf"));
        panel.push(Layer::steps(xs.clone(), fc.clone(), Role::Data, "current ÷ +Inf"));
        panel.push(Layer::points(xs.clone(), fb.clone(), Role::Model, ""));
        panel.push(Layer::points(xs.clone(), fc.clone(), Role::Data, ""));
        // The guide's gap runs over every le, +Inf included (where it can be largest).
        let guide_gap = les
            .iter()
            .map(|r| (frac(r.1, sb) - frac(r.2, sc)).abs())
            .filter(|d| !d.is_nan())
            .fold(None::<f64>, |m, d| Some(m.map_or(d, |m| m.max(d))));
        let guide_label = match guide_gap {
            Some(d) => format!("baseline ÷ sum over all le (the guide's; largest gap with +Inf: {})", sig(d)),
            None => "baseline ÷ sum over all le (the guide's)".to_string(),
        };
        panel.push(Layer::steps(xs.clone(), gb, Role::Alternative, guide_label));
        panel.push(Layer::steps(xs.clone(), gc, Role::Center, "current ÷ sum over all le (the guide's)"));
        // The largest gap between the true CDFs at the boundaries.
        let gap = xs.iter().zip(fb.iter().zip(&fc)).filter(|(_, (a, b))| !a.is_nan() && !b.is_nan()).fold(
            None::<(f64, f64, f64)>,
            |best, (&x, (&a, &b))| match best {
                Some((_, ba, bb)) if (ba - bb).abs() >= (a - b).abs() => best,
                _ => Some((x, a, b)),
            },
        );
        if let Some((x, a, b)) = gap {
            if a != b {
                panel.push(Layer::segment(
                    x,
                    b,
                    x,
                    a,
                    Role::Flagged,
                    format!("largest gap ÷ +Inf: {}", sig((a - b).abs())),
                ));
            }
        }
        panel.weight = 2.0;
        panel
    }
}

fn sig(x: f64) -> String {
    alertmath_core::fmt::num(x)
}

/// At most `keep` items of a list, the rest counted ("1, 2, …, 9 and 14 more").
pub(crate) fn shorten(items: &[&str], keep: usize) -> String {
    if items.len() <= keep {
        return items.join(", ");
    }
    let head = items.get(..keep.saturating_sub(1)).unwrap_or(&[]).join(", ");
    let last = items.last().copied().unwrap_or("");
    format!("{}, … ({} more), {}", head, items.len() - keep, last)
}

pub(crate) fn shorten_text(list: &str, keep: usize) -> String {
    let items: Vec<&str> = list.split(", ").collect();
    shorten(&items, keep)
}

/// Runs the twin: the method on `input` and `params` (for the exact flags), and the
/// query (`query` if given, else the lesson's) under `version`.
pub fn run(
    spec: &TwinSpec,
    lesson: &str,
    method: &str,
    input: Input,
    params: &Params,
    query: Option<&str>,
    version: Version,
) -> Result<TwinResult, TwinError> {
    let analysis = alertmath_core::analyze(method, input.clone(), params).map_err(|e| spec_error(e.message))?;
    let m = alertmath_core::method(method).ok_or_else(|| spec_error("no such method"))?;
    let input = input.normalised(&m.spec);
    let (selected, variant) = spec.select(method, params)?;
    let spec = &selected;
    let lesson_template = template_for(&spec.query, version);
    let template = query.unwrap_or(&lesson_template);
    let vars = variables_with(spec, method, params, Some(&analysis))?;
    let expr = parse(template, &vars, version)?;
    let text = substitute(template, &vars)?;
    let mapped = map_series(spec, method, &input, &analysis)?;
    let interval = duration_ms(&spec.interval)?;
    let mut opts = Options::new(version);
    opts.default_step_ms = interval;
    if let Some(e) = &spec.lookback {
        opts.lookback_ms = lookback_ms(e, method, params)?;
    }
    let lookback = opts.lookback_ms;
    let engine = Engine::new(&mapped.storage, opts);
    // A top-level comparison (after parentheses) is shown by its two sides.
    let mut top = &expr;
    while let ExprKind::Paren(inner) = &top.kind {
        top = inner;
    }
    let sides = match &top.kind {
        ExprKind::Binary { op, lhs, rhs, return_bool: false, matching } if op.is_comparison() => {
            Some((lhs.as_ref(), rhs.as_ref(), *op, matching))
        }
        _ => None,
    };
    // Evaluates the query at t; for a top-level comparison, its two sides once each and
    // the comparison from them (the same operation the evaluator applies).
    let eval_at = |t: i64| -> Result<(Value, Option<(Value, Value)>), TwinError> {
        match sides {
            Some((l, r, op, matching)) => {
                let (lv, rv) = (engine.instant(l, t)?, engine.instant(r, t)?);
                let result = crate::eval::binary(op, lv.clone(), rv.clone(), false, matching)?;
                Ok((result, Some((lv, rv))))
            }
            None => Ok((engine.instant(&expr, t)?, None)),
        }
    };
    let mut evaluations = Vec::with_capacity(mapped.points.len());
    let mut counts = Counts::default();
    // Counters: one evaluation for all rows.
    let (single, single_sides) = if mapped.once {
        let (v, s) = eval_at(mapped.span_end)?;
        (Some(v), s)
    } else {
        (None, None)
    };
    // Only the latest evaluations are run on long series, so that an edit stays interactive.
    let skip = mapped.points.len().saturating_sub(MAX_EVALUATIONS);
    for (row, (t, label, x, y, exact)) in mapped.points.iter().enumerate().skip(skip) {
        let pick = |v: &Value| -> Option<f64> {
            match v {
                Value::Scalar(x) => Some(*x),
                Value::Vector(samples) => match &mapped.row_label {
                    Some(l) => samples.iter().find(|s| s.metric.get(l) == (row + 1).to_string()).map(|s| s.f),
                    None => samples.first().map(|s| s.f),
                },
                Value::String(_) => None,
            }
        };
        let (value, promql, lhs, rhs) = if let Some(result) = &single {
            let value = pick(result);
            let promql = match result {
                Value::Scalar(x) => *x != 0.0,
                _ => value.is_some(),
            };
            let (lhs, rhs) = match &single_sides {
                Some((l, r)) => (pick(l), pick(r)),
                None => (None, None),
            };
            (value, promql, lhs, rhs)
        } else {
            let (result, both) = eval_at(*t)?;
            let value = pick(&result);
            let promql = match &result {
                Value::Scalar(x) => *x != 0.0,
                Value::Vector(v) => !v.is_empty(),
                Value::String(_) => false,
            };
            let (lhs, rhs) = match &both {
                Some((l, r)) => (pick(l), pick(r)),
                None => (None, None),
            };
            (value, promql, lhs, rhs)
        };
        match (*exact, promql) {
            (true, true) => {
                counts.both += 1;
                counts.agree += 1;
            }
            (false, false) => counts.agree += 1,
            (true, false) => counts.exact_only += 1,
            (false, true) => counts.promql_only += 1,
        }
        // A row has no single data value: it is shown by the query's left side.
        let y = if mapped.once { lhs.or(value).unwrap_or(*y) } else { *y };
        evaluations.push(Evaluation { t: *t, label: label.clone(), x: *x, y, exact: *exact, promql, value, lhs, rhs });
    }
    let mut notes = Vec::new();
    if skip > 0 {
        notes.push(format!(
            "The series has {} samples; the query is evaluated at the latest {} of them (each over the full history), and the counts cover those.",
            mapped.points.len(),
            MAX_EVALUATIONS
        ));
    }
    if let Some((_, _, op, _)) = sides {
        if matches!(op, BinOp::Gtr | BinOp::Lss) {
            notes.push(format!(
                "The query compares with “{}”: a value exactly at the threshold does not fire.",
                op.symbol()
            ));
        }
    }
    if lookback != 300_000 {
        notes.push(format!(
            "The query looks back {} for a sample, as a Prometheus started with --query.lookback-delta={} would; the default is 5m, and promtool's test runs with the default.",
            fmt_duration(lookback),
            fmt_duration(lookback)
        ));
    }
    if mapped.notation.is_empty() {
        notes.push("The timestamps are not a regular grid of the interval, so the promtool test file cannot list the series; the rule file is still valid.".into());
    }
    let plot = match mapped.panels.clone() {
        Some(mut panels) => {
            // One evaluation's two sides are in the status line and the table; a strip
            // with a single point on it says nothing more.
            if evaluations.len() > 1 {
                panels.push(sides_panel(&evaluations, "evaluation", 1.0, true));
            }
            Plot::independent(panels)
        }
        None => plot(&evaluations, sides.is_some(), mapped.once),
    };
    let for_ms = if spec.r#for.trim().is_empty() {
        0
    } else {
        duration_ms(&spec.r#for).or_else(|e| if spec.r#for.trim() == "0s" { Ok(0) } else { Err(e) })?
    };
    let export = crate::export::Export {
        lesson,
        alert: &spec.alert,
        expr: &text,
        for_ms,
        summary: &spec.summary,
        version,
        interval_ms: interval,
        series: &mapped.notation,
        firing: firing_alerts(&engine, &expr, &mapped, interval, for_ms)?,
    };
    let (rule_yaml, test_yaml) = (export.rule_yaml(), export.test_yaml());
    if query.is_none() && lesson_template != spec.query {
        notes.push(
            "Prometheus 2 calls double_exponential_smoothing holt_winters: the lesson's query is run under that name."
                .into(),
        );
    }
    Ok(TwinResult {
        query: text.clone(),
        template: lesson_template.trim().to_string(),
        guide: spec.guide.trim().to_string(),
        variant,
        version,
        mapping: mapped.mapping,
        settings: mapped.settings,
        series: mapped.notation.clone(),
        evaluations,
        counts,
        notes,
        plot,
        rule_yaml,
        test_yaml,
        rule_file: format!("{}.rules.yml", lesson),
        test_file: format!("{}.test.yml", lesson),
    })
}

/// The most evaluations a twin runs (the latest ones), to keep an edit interactive.
pub const MAX_EVALUATIONS: usize = 2_000;

/// At most this many evaluation times go into the promtool test file.
pub const MAX_TEST_EVALS: usize = 400;

/// The alerts firing at each evaluation time the test checks: the rule's output label
/// sets, after `for` (a label set fires once it has been returned at every evaluation
/// for at least `for`).
fn firing_alerts(
    engine: &Engine,
    expr: &crate::ast::Expr,
    mapped: &Mapped,
    interval: i64,
    for_ms: i64,
) -> Result<Vec<(i64, Vec<Labels>)>, TwinError> {
    let check_times: Vec<i64> = mapped.points.iter().map(|p| p.0).take(MAX_TEST_EVALS).collect();
    let Some(&last) = check_times.iter().max() else { return Ok(Vec::new()) };
    let mut active: BTreeMap<Labels, i64> = BTreeMap::new();
    let mut out = Vec::new();
    // Without `for`, an alert fires exactly when the query returns it: only the checked
    // times need an evaluation (a histogram a week long has 10,000 evaluation times).
    let mut t = if for_ms == 0 { check_times.iter().copied().min().unwrap_or(0) } else { 0 };
    while t <= last {
        let present: Vec<Labels> = match engine.instant(expr, t)? {
            Value::Vector(v) => v.into_iter().map(|s| s.metric.without_name()).collect(),
            Value::Scalar(_) => vec![Labels::default()],
            Value::String(_) => Vec::new(),
        };
        active.retain(|l, _| present.contains(l));
        for l in &present {
            active.entry(l.clone()).or_insert(t);
        }
        if check_times.contains(&t) {
            let firing: Vec<Labels> =
                active.iter().filter(|(_, &since)| t - since >= for_ms).map(|(l, _)| l.clone()).collect();
            out.push((t, firing));
        }
        t = if for_ms == 0 {
            check_times.iter().copied().filter(|&c| c > t).min().unwrap_or(last + interval)
        } else {
            t + interval
        };
    }
    Ok(out)
}

fn plot(evals: &[Evaluation], has_sides: bool, rows: bool) -> Plot {
    // Evaluations are placed in minutes; a long series reads better in hours or days.
    let span = evals.iter().map(|e| e.x).fold(f64::NEG_INFINITY, f64::max)
        - evals.iter().map(|e| e.x).fold(f64::INFINITY, f64::min);
    let (x_label, per_unit) = if rows {
        ("row", 1.0)
    } else if span > 4.0 * 1440.0 {
        ("time (days)", 1440.0)
    } else if span > 6.0 * 60.0 {
        ("time (hours)", 60.0)
    } else {
        ("time (minutes)", 1.0)
    };
    let xs: Vec<f64> = evals.iter().map(|e| e.x / per_unit).collect();
    let ys: Vec<f64> = evals.iter().map(|e| e.y).collect();
    let pick = |f: &dyn Fn(&Evaluation) -> bool| -> (Vec<f64>, Vec<f64>) {
        evals.iter().filter(|e| f(e)).map(|e| (e.x / per_unit, e.y)).unzip()
    };
    let (ex, ey) = pick(&|e| e.exact);
    let (px, py) = pick(&|e| e.promql);
    let y_label = if rows { "the query's left side" } else { "value" };
    let mut top = Panel::new(
        "Data, with the exact method's flags and the PromQL query's",
        Axis::linear(x_label),
        Axis::linear(y_label),
    );
    if !rows {
        top.push(Layer::line(xs.clone(), ys.clone(), Role::Data, ""));
    }
    top.push(Layer::points(xs.clone(), ys, Role::Data, "data"));
    top.push(Layer::points(ex, ey, Role::Flagged, "exact method flags"));
    top.push(Layer::points(px, py, Role::Highlight, "PromQL flags"));
    let disagree: Vec<&Evaluation> = evals.iter().filter(|e| e.exact != e.promql).collect();
    for (i, e) in disagree.iter().take(200).enumerate() {
        top.push(Layer::vline(e.x / per_unit, Role::Marker, if i == 0 { "they disagree" } else { "" }));
    }
    top.weight = 2.0;
    let mut plot = Plot::stacked(vec![top]);
    if has_sides {
        plot.panels.push(sides_panel(evals, x_label, per_unit, rows));
    } else if !rows && evals.iter().any(|e| e.value.is_some()) {
        plot.panels.push(value_panel(evals, x_label, per_unit));
    }
    plot
}

/// A query with no top-level comparison (a smoother such as `double_exponential_smoothing`):
/// its value at each evaluation, over the data it was computed from.
fn value_panel(evals: &[Evaluation], x_label: &str, per_unit: f64) -> Panel {
    let xs: Vec<f64> = evals.iter().map(|e| e.x / per_unit).collect();
    let ys: Vec<f64> = evals.iter().map(|e| e.y).collect();
    let values: Vec<f64> = evals.iter().map(|e| e.value.unwrap_or(f64::NAN)).collect();
    let mut panel =
        Panel::new("The query's value at each evaluation", Axis::linear(x_label), Axis::linear("PromQL value"));
    panel.push(Layer::points(xs.clone(), ys, Role::Data, "data"));
    panel.push(Layer::line(xs, values, Role::Model, "the query's value"));
    panel
}

/// The query's top-level comparison at each evaluation: its left side against its right.
fn sides_panel(evals: &[Evaluation], x_label: &str, per_unit: f64, rows: bool) -> Panel {
    let xs: Vec<f64> = evals.iter().map(|e| e.x / per_unit).collect();
    let lhs: Vec<f64> = evals.iter().map(|e| e.lhs.unwrap_or(f64::NAN)).collect();
    let rhs: Vec<f64> = evals.iter().map(|e| e.rhs.unwrap_or(f64::NAN)).collect();
    let mut bottom = Panel::new(
        "The query's comparison: left side against right side",
        Axis::linear(x_label),
        Axis::linear("PromQL value"),
    );
    if rows {
        bottom.push(Layer::points(xs.clone(), rhs, Role::Threshold, "right side (threshold)"));
        bottom.push(Layer::points(xs, lhs, Role::Model, "left side"));
    } else {
        bottom.push(Layer::line(xs.clone(), rhs, Role::Threshold, "right side (threshold)"));
        bottom.push(Layer::line(xs, lhs, Role::Model, "left side"));
    }
    bottom
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// A variable may name a duration computed from the parameters, and a duration
    /// still wins over a variable of the same name.
    #[test]
    fn variables_may_name_durations() {
        let spec: TwinSpec = serde_json::from_value(serde_json::json!({
            "guide": "metric",
            "query": "metric > quantile_over_time(0.99, metric[$span]$own)",
            "series": { "kind": "gauge", "field": "series" },
            "alert": "A",
            "vars": { "own": { "param": "current", "exclude": " offset $gap", "include": "" }, "gap": "5m" },
            "durations": { "span": "window * step", "gap": "step" }
        }))
        .unwrap();
        let mut params = Params::new();
        params.0.insert("step".into(), alertmath_core::ParamValue::Number(30.0));
        let vars = variables(&spec, "rolling-percentile", &params).unwrap();
        assert_eq!(vars.get("own").map(String::as_str), Some(" offset 30s"));
        assert_eq!(vars.get("gap").map(String::as_str), Some("30s"));
        assert_eq!(vars.get("span").map(String::as_str), Some("2m30s"));
    }
}
