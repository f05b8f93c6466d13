//! alertmath-promql: PromQL as Prometheus evaluates it, on the lessons' data.
//!
//! - [`parser::parse`] reads a query (with Grafana-style `$variables` substituted) and
//!   type-checks it, with messages that explain the guide's mistakes;
//! - [`eval::Engine`] evaluates it at an instant or over a range, with Prometheus's
//!   window rules for the chosen [`Version`];
//! - [`twin`] runs a lesson's query beside the exact method and compares their flags;
//! - [`export`] writes the alerting rule and a `promtool test rules` file.
//!
//! Like the core: no I/O, no panics on any input.

pub mod ast;
pub mod error;
pub mod eval;
pub mod export;
pub mod functions;
pub mod lexer;
pub mod notation;
pub mod parser;
pub mod regex;
pub mod twin;

pub use error::{EvalError, ParseError, Span};
pub use eval::{Engine, Labels, Options, Sample, Series, Storage, Value};
pub use parser::{parse, substitute, Vars};

/// Which Prometheus the evaluation follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Version {
    /// Prometheus 2.x: range windows and the lookback closed on the left,
    /// `holt_winters`, plain sums.
    #[serde(rename = "2")]
    V2,
    /// Prometheus 3.x (the default): windows open on the left, `double_exponential_smoothing`,
    /// Kahan sums.
    #[serde(rename = "3")]
    V3,
}

impl Version {
    pub fn from_id(s: &str) -> Option<Version> {
        match s {
            "2" | "2.x" | "v2" => Some(Version::V2),
            "3" | "3.x" | "v3" => Some(Version::V3),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Version::V2 => "Prometheus 2.x",
            Version::V3 => "Prometheus 3.x",
        }
    }
}
