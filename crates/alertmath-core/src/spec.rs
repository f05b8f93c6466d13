//! What a method declares about itself: its id, its input fields and its parameters.
//!
//! The page builds every editor and control from these declarations, the validator
//! checks input against them, and the JS API publishes them through `methods()`. A
//! method never validates generic things (emptiness, NaN, ranges) by hand.

use serde::Serialize;

/// The declaration of one method. Lives in a `static` next to the method's code.
#[derive(Debug, Serialize)]
pub struct MethodSpec {
    /// Kebab-case id, the same string in the registry, lesson files, URLs and the JS API.
    pub id: &'static str,
    /// Human name, e.g. "Z-score (3-sigma rule)".
    pub name: &'static str,
    /// One sentence: what the method does.
    pub summary: &'static str,
    /// The input fields, in the order the editor shows them.
    pub fields: &'static [FieldSpec],
    /// The parameters, in the order the editor shows them.
    pub params: &'static [ParamSpec],
}

impl MethodSpec {
    pub fn field(&self, id: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.id == id)
    }

    pub fn param(&self, id: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.id == id)
    }
}

/// One input field: a list of numbers, or a table whose rows have fixed columns.
#[derive(Debug, Serialize)]
pub struct FieldSpec {
    /// Id of the field, e.g. `"data"`, `"scenarios"`, `"baseline"`.
    pub id: &'static str,
    pub label: &'static str,
    /// What to type, shown under the editor.
    pub help: &'static str,
    /// The value columns of one row, in order. A field with one column is typed as a
    /// plain list of numbers separated by commas, spaces or new lines.
    pub columns: &'static [ColumnSpec],
    /// Whether each row may start with a timestamp (in seconds). When no row has one,
    /// the samples are taken as evenly spaced.
    pub timestamps: bool,
    /// The fewest rows the method can analyse.
    pub min_rows: usize,
    /// Whether `NaN` is accepted as a missing sample (a gap) rather than rejected.
    pub gaps: bool,
    /// Whether the field may be left empty (the method then works without it, e.g. on a
    /// built-in function instead of the reader's samples). `min_rows` applies when it is not.
    pub optional: bool,
}

impl FieldSpec {
    /// The key under which a column of this field travels in an [`crate::Input`]:
    /// `"<field>.<column>"`, and `"<field>.t"` for the timestamps.
    pub fn key(&self, column: &str) -> String {
        format!("{}.{}", self.id, column)
    }

    pub fn time_key(&self) -> String {
        self.key(TIME_COLUMN)
    }
}

/// The id of the optional timestamp column of a field.
pub const TIME_COLUMN: &str = "t";

/// One column of a field.
#[derive(Debug, Serialize)]
pub struct ColumnSpec {
    pub id: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub domain: Domain,
}

/// Which numbers a column accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    /// Any finite number.
    Real,
    /// Zero or more.
    NonNegative,
    /// More than zero.
    Positive,
}

/// One parameter of a method.
#[derive(Debug, Serialize)]
pub struct ParamSpec {
    pub id: &'static str,
    pub label: &'static str,
    /// Unit shown beside the control ("" for none).
    pub unit: &'static str,
    /// One line: what the parameter means and which value the guide uses.
    pub help: &'static str,
    #[serde(flatten)]
    pub kind: ParamKind,
}

/// The type, default and admissible values of a parameter.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ParamKind {
    /// A number in `[min, max]`, shown as a slider with a number field.
    Number {
        default: f64,
        min: f64,
        max: f64,
        /// Slider step; also the resolution of the number field.
        step: f64,
        /// Whether only whole numbers are accepted.
        integer: bool,
        /// Whether the slider moves on a logarithmic scale (for values spanning decades).
        log: bool,
    },
    /// One of a fixed list of options, shown as a select.
    Choice { default: &'static str, options: &'static [Choice] },
    /// On or off, shown as a checkbox.
    Flag { default: bool },
}

/// One option of a [`ParamKind::Choice`].
#[derive(Debug, Serialize)]
pub struct Choice {
    pub id: &'static str,
    pub label: &'static str,
}

/// Shorthand for a plain (linear, non-integer) number parameter.
pub const fn number(default: f64, min: f64, max: f64, step: f64) -> ParamKind {
    ParamKind::Number { default, min, max, step, integer: false, log: false }
}

/// Shorthand for a whole-number parameter.
pub const fn integer(default: f64, min: f64, max: f64) -> ParamKind {
    ParamKind::Number { default, min, max, step: 1.0, integer: true, log: false }
}

/// Shorthand for the common strict/non-strict comparison parameter.
pub const COMPARE_CHOICES: &[Choice] =
    &[Choice { id: "gt", label: "> (strictly beyond)" }, Choice { id: "ge", label: "≥ (at or beyond)" }];
