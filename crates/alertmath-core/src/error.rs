//! The one error type of the core: input a person can fix.
//!
//! Every way a reader's data or parameters can be wrong ends here as a value with a
//! message that says what is wrong and what would be accepted. Nothing in the core
//! panics on input; a bug in the core shows up as `ErrorKind::Internal`.

use serde::Serialize;
use std::fmt;

/// What kind of problem the input has. Serialised in kebab-case (`"too-few"`), so the
/// page and the JS API can branch on it without parsing the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// No method has this id.
    UnknownMethod,
    /// A field was given no values at all.
    Empty,
    /// Fewer values than the method needs.
    TooFew,
    /// More values than the playground analyses.
    TooMany,
    /// A token in the data is not a number.
    NotANumber,
    /// NaN or an infinity where the method needs a finite number.
    NotFinite,
    /// A number outside what the column accepts (a negative count, errors above requests).
    OutOfDomain,
    /// Rows of a table field have different numbers of columns.
    Ragged,
    /// Timestamps that go backwards.
    Unordered,
    /// A field the method does not take, or a required field that is missing.
    Field,
    /// A parameter is unknown, of the wrong type, or out of range.
    Param,
    /// The combination of data and parameters cannot be analysed (window longer than the data).
    Unsupported,
    /// A bug in alertmath, not in the input. Please report it.
    Internal,
}

/// A problem with the input, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputError {
    pub kind: ErrorKind,
    /// One or two sentences: what is wrong, and what would be accepted.
    pub message: String,
    /// The input field the problem is in (`"data"`, `"scenarios"`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The parameter the problem is in, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// 1-based position of the offending value or row within its field, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
}

impl InputError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        InputError { kind, message: message.into(), field: None, param: None, position: None }
    }

    pub fn in_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    pub fn in_param(mut self, param: &str) -> Self {
        self.param = Some(param.to_string());
        self
    }

    pub fn at(mut self, position: usize) -> Self {
        self.position = Some(position);
        self
    }

    /// A combination of data and parameters the method cannot analyse.
    pub fn unsupported(message: impl Into<String>) -> Self {
        InputError::new(ErrorKind::Unsupported, message)
    }

    /// A bug in alertmath reached through valid input.
    pub fn internal(message: impl Into<String>) -> Self {
        InputError::new(
            ErrorKind::Internal,
            format!("Internal error in alertmath (please report it): {}", message.into()),
        )
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InputError {}
