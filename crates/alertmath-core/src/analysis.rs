//! What a method returns: the verdict, named values, per-point scores and flags, the
//! ordered steps of the calculation, tables, notes, and the plot to draw.

use crate::fmt::{exact, num};
use crate::plot::Plot;
use serde::{Serialize, Serializer};

/// The full result of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// Id of the method that produced it.
    pub method: &'static str,
    pub verdict: Verdict,
    /// Named results (`"mean"`, `"threshold.1"`), in the order the page lists them.
    pub values: Vec<NamedValue>,
    /// The calculation, step by step, as the guide's "manual math" would write it.
    pub steps: Vec<Step>,
    /// Per-row detail (the K-S table, CUSUM sums, each point's score), bounded in size.
    pub tables: Vec<Table>,
    pub notes: Vec<Note>,
    /// Per-point positions, scores and flags, when the method scores points.
    pub points: Option<Points>,
    pub plot: Plot,
    /// The method's flag at every row it judges, when its points leave some of those rows
    /// out (a ratio that is infinite at zero workload is judged but not drawn as a point).
    /// The PromQL twin compares these rather than the points' flags.
    #[serde(skip)]
    pub row_flags: Option<Vec<bool>>,
}

impl Analysis {
    pub fn new(method: &'static str, verdict: Verdict) -> Self {
        Analysis {
            method,
            verdict,
            values: Vec::new(),
            steps: Vec::new(),
            tables: Vec::new(),
            notes: Vec::new(),
            points: None,
            plot: Plot::default(),
            row_flags: None,
        }
    }

    /// A named value by id.
    pub fn value(&self, id: &str) -> Option<&Val> {
        self.values.iter().find(|v| v.id == id).map(|v| &v.value)
    }

    /// A named numeric value by id (integers included).
    pub fn number(&self, id: &str) -> Option<f64> {
        self.value(id).and_then(Val::as_f64)
    }

    /// Adds a named value.
    pub fn push_value(&mut self, id: impl Into<String>, label: impl Into<String>, value: Val, unit: &'static str) {
        self.values.push(NamedValue::new(id, label, value, unit));
    }

    /// Adds a named value that is a fraction, shown as a percentage (0.76 → "76%").
    pub fn push_fraction(&mut self, id: impl Into<String>, label: impl Into<String>, value: Val) {
        let mut v = NamedValue::new(id, label, value, "");
        if let Val::Num(x) = v.value {
            v.display = crate::fmt::pct(x);
        }
        self.values.push(v);
    }

    pub fn note(&mut self, level: NoteLevel, text: impl Into<String>) {
        self.notes.push(Note { level, text: text.into() });
    }

    /// Everything but the bulky parts (per-point arrays and the plot): what the page
    /// renders as text on every redraw.
    pub fn summary(&self) -> Summary<'_> {
        Summary {
            method: self.method,
            verdict: &self.verdict,
            values: &self.values,
            steps: &self.steps,
            tables: &self.tables,
            notes: &self.notes,
            points: self.points.as_ref().map_or(0, |p| p.x.len()),
            flagged: self.points.as_ref().map_or(0, |p| p.flag.iter().filter(|&&f| f).count()),
            plot_description: self.plot.describe(),
            panels: self.plot.panels.len(),
        }
    }
}

/// The text part of an [`Analysis`]; see [`Analysis::summary`].
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    pub method: &'static str,
    pub verdict: &'a Verdict,
    pub values: &'a [NamedValue],
    pub steps: &'a [Step],
    pub tables: &'a [Table],
    pub notes: &'a [Note],
    /// How many points carry a score.
    pub points: usize,
    /// How many of them are flagged.
    pub flagged: usize,
    /// A sentence describing the plot, for screen readers.
    pub plot_description: String,
    /// How many panels the plot stacks (the page gives each its own height).
    pub panels: usize,
}

/// The answer in one line, and whether it is an alert.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub level: Level,
    pub headline: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl Verdict {
    pub fn new(level: Level, headline: impl Into<String>, detail: impl Into<String>) -> Self {
        Verdict { level, headline: headline.into(), detail: detail.into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// The rule fires.
    Alert,
    /// The rule does not fire.
    Clear,
    /// The rule cannot be evaluated on this data (no spread, MAD = 0, …); the detail says why.
    Undefined,
}

/// A named result.
#[derive(Debug, Clone, Serialize)]
pub struct NamedValue {
    pub id: String,
    pub label: String,
    pub value: Val,
    /// The value as the page shows it.
    pub display: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub unit: &'static str,
}

impl NamedValue {
    pub fn new(id: impl Into<String>, label: impl Into<String>, value: Val, unit: &'static str) -> Self {
        let display = value.display();
        NamedValue { id: id.into(), label: label.into(), value, display, unit }
    }
}

/// A result value. Serialised as a plain JSON number, boolean or string, or `null` when
/// undefined (the display text then says why).
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Num(f64),
    Int(i64),
    Bool(bool),
    Text(String),
    /// Not defined for this data, with the reason ("σ = 0").
    Undefined(String),
}

impl Val {
    /// A number, or `Undefined` with the given reason when it is NaN.
    pub fn num_or(x: f64, reason: &str) -> Val {
        if x.is_nan() {
            Val::Undefined(reason.to_string())
        } else {
            Val::Num(x)
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::Num(x) => Some(*x),
            Val::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn display(&self) -> String {
        match self {
            Val::Num(x) => num(*x),
            Val::Int(i) => i.to_string(),
            Val::Bool(true) => "yes".to_string(),
            Val::Bool(false) => "no".to_string(),
            Val::Text(s) => s.clone(),
            Val::Undefined(why) => format!("undefined ({})", why),
        }
    }
}

impl Serialize for Val {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // Infinities have no JSON form; they travel as text ("∞").
            Val::Num(x) if x.is_finite() => s.serialize_f64(*x),
            Val::Num(x) => s.serialize_str(&num(*x)),
            Val::Int(i) => s.serialize_i64(*i),
            Val::Bool(b) => s.serialize_bool(*b),
            Val::Text(t) => s.serialize_str(t),
            Val::Undefined(_) => s.serialize_none(),
        }
    }
}

/// One line of the calculation.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Stable id within the method (`"mean"`, `"pass2.R"`), for tests and links.
    pub id: String,
    pub label: String,
    /// The formula in symbols: `μ = Σx / n`.
    pub formula: String,
    /// The formula with the reader's numbers in it: `105 / 6`.
    pub substitution: String,
    /// The result as shown: `17.5`.
    pub result: String,
    /// The result as a full double, when it is a number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The full double as text (shortest round-trip form), for checking by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    /// Whether this step decides the verdict (the page highlights it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub decisive: bool,
}

/// Collects steps in order; keeps each method's trace code short.
#[derive(Debug, Default)]
pub struct Steps(pub Vec<Step>);

impl Steps {
    pub fn new() -> Self {
        Steps(Vec::new())
    }

    /// A step whose result is a number.
    pub fn num(
        &mut self,
        id: &str,
        label: &str,
        formula: &str,
        substitution: impl Into<String>,
        value: f64,
    ) -> &mut Step {
        self.0.push(Step {
            id: id.to_string(),
            label: label.to_string(),
            formula: formula.to_string(),
            substitution: substitution.into(),
            result: num(value),
            value: value.is_finite().then_some(value),
            exact: value.is_finite().then(|| exact(value)),
            decisive: false,
        });
        self.last()
    }

    /// A step whose result is text (a comparison, a sorted list, a verdict).
    pub fn text(
        &mut self,
        id: &str,
        label: &str,
        formula: &str,
        substitution: impl Into<String>,
        result: impl Into<String>,
    ) -> &mut Step {
        self.0.push(Step {
            id: id.to_string(),
            label: label.to_string(),
            formula: formula.to_string(),
            substitution: substitution.into(),
            result: result.into(),
            value: None,
            exact: None,
            decisive: false,
        });
        self.last()
    }

    fn last(&mut self) -> &mut Step {
        let i = self.0.len() - 1;
        &mut self.0[i]
    }
}

impl Step {
    /// Marks the step as the one that decides the verdict.
    pub fn decisive(&mut self) -> &mut Self {
        self.decisive = true;
        self
    }

    /// Replaces the shown result (the exact value stays), e.g. to add a percentage.
    pub fn shown(&mut self, result: impl Into<String>) -> &mut Self {
        self.result = result.into();
        self
    }
}

/// Per-row detail, bounded: `rows` holds at most a few hundred of `total` rows.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub id: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    /// How many rows the full table has.
    pub total: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub cells: Vec<String>,
    /// Whether the row is flagged (the page highlights it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub flag: bool,
    /// Whether rows were left out just before this one (the page shows "…").
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub gap_before: bool,
}

/// The most rows a table carries, so that 100,000 points still redraw in a frame.
pub const MAX_TABLE_ROWS: usize = 200;

impl Table {
    pub fn new(id: &str, title: &str, columns: &[&str]) -> Self {
        Table {
            id: id.to_string(),
            title: title.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
            total: 0,
        }
    }

    /// Fills the table from `total` rows, keeping the first rows and every flagged row
    /// up to [`MAX_TABLE_ROWS`] in all; `cells(i)` is called only for kept rows.
    pub fn fill(&mut self, total: usize, flagged: impl Fn(usize) -> bool, cells: impl Fn(usize) -> Vec<String>) {
        self.total = total;
        let keep = pick_rows(total, &flagged, MAX_TABLE_ROWS);
        let mut previous: Option<usize> = None;
        for i in keep {
            let gap_before = match previous {
                None => i > 0,
                Some(p) => i > p + 1,
            };
            self.rows.push(Row { cells: cells(i), flag: flagged(i), gap_before });
            previous = Some(i);
        }
    }
}

/// Which of `n` rows to show: every row when `n <= cap`; otherwise the first rows and
/// up to half the cap of flagged rows, in order.
pub fn pick_rows(n: usize, flagged: &impl Fn(usize) -> bool, cap: usize) -> Vec<usize> {
    if n <= cap {
        return (0..n).collect();
    }
    let flagged_rows: Vec<usize> = (0..n).filter(|&i| flagged(i)).take(cap / 2).collect();
    let head = cap - flagged_rows.len();
    let mut rows: Vec<usize> = (0..head.min(n)).collect();
    rows.extend(flagged_rows.into_iter().filter(|&i| i >= head));
    rows
}

#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub level: NoteLevel,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteLevel {
    /// Background that helps read the result.
    Info,
    /// A limit of the method on this data (the |Z| ceiling, MAD = 0).
    Caveat,
    /// Something that makes the result unreliable.
    Warning,
}

/// Per-point positions, scores and flags. Not part of the summary: the browser reads
/// them as typed arrays when it needs them.
#[derive(Debug, Clone, Serialize)]
pub struct Points {
    pub x: crate::plot::Column,
    pub y: crate::plot::Column,
    /// The method's score of each point (Z, modified z, …); NaN where undefined.
    pub score: Vec<f64>,
    pub flag: Vec<bool>,
    /// What the score is called ("Z", "modified z").
    pub score_label: String,
}
