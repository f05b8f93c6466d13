//! alertmath-core: every alerting technique of the guide, exact, with the trace of its
//! calculation.
//!
//! The entry point is [`analyze`]: a method id, named numeric columns and parameter
//! values in; an [`Analysis`] (verdict, named values, per-point scores and flags, steps,
//! tables, notes, plot) or an [`InputError`] out. Methods are declared in
//! [`methods::METHODS`]; each one is a file in `methods/` that exports a [`Method`].
//!
//! Invariants: no I/O, no randomness without a seed, no wasm, no HTML, and no input
//! reaches a panic.

pub mod analysis;
pub mod elementary;
pub mod error;
pub mod fmt;
pub mod input;
pub mod methods;
pub mod optimize;
pub mod params;
pub mod plot;
pub mod spec;
pub mod stats;

pub use analysis::{Analysis, Level, NamedValue, Note, NoteLevel, Points, Step, Steps, Summary, Table, Val, Verdict};
pub use error::{ErrorKind, InputError};
pub use input::{parse_field, Input, ParsedField, MAX_ROWS};
pub use methods::{method, Method, METHODS};
pub use params::{ParamValue, Params, ResolvedParams};
pub use spec::MethodSpec;

/// Runs method `id` on `input` with `params`: looks the method up, validates the input
/// against its declared fields, resolves the parameters, and runs it.
pub fn analyze(id: &str, input: Input, params: &Params) -> Result<Analysis, InputError> {
    let method = method(id).ok_or_else(|| {
        let ids: Vec<&str> = METHODS.iter().map(|m| m.spec.id).collect();
        InputError::new(
            ErrorKind::UnknownMethod,
            format!("There is no method “{}”. The methods are: {}.", id, ids.join(", ")),
        )
    })?;
    let input = input.normalised(&method.spec);
    input::validate(&method.spec, &input)?;
    let params = ResolvedParams::resolve(&method.spec, params)?;
    (method.run)(&input, &params)
}
