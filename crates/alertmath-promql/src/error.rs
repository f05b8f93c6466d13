//! Errors of the PromQL engine: a parse error points at a span of the query text; an
//! evaluation error says what Prometheus would refuse and why.

use serde::Serialize;
use std::fmt;

/// A byte range of the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end: end.max(start) }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A query that is not valid PromQL (or uses what this engine does not implement), with
/// where and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParseError {
    pub span: Span,
    pub message: String,
}

impl ParseError {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        ParseError { span, message: message.into() }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {}–{})", self.message, self.span.start, self.span.end)
    }
}

impl std::error::Error for ParseError {}

/// A query that parses but that Prometheus refuses while evaluating it (many-to-many
/// matching, an invalid smoothing factor) or that would take too long here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalError {
    pub message: String,
}

impl EvalError {
    pub fn new(message: impl Into<String>) -> Self {
        EvalError { message: message.into() }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}
