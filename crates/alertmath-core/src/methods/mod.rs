//! The registry: every method, in the order the site lists them.
//!
//! Adding a method is one file in this folder that exports a `pub static METHOD:
//! Method`, plus one line in `METHODS` below.

use crate::analysis::Analysis;
use crate::error::InputError;
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::spec::MethodSpec;

pub mod common;
pub mod ewma;
pub mod iqr;
pub mod mad;
pub mod moving_average;
pub mod square_root_law;
pub mod stl;
pub mod timeseries;
pub mod z_score;

/// A method: its declaration and its computation. `run` receives input already
/// validated against `spec.fields` and parameters already resolved against `spec.params`.
#[derive(Debug)]
pub struct Method {
    pub spec: MethodSpec,
    pub run: fn(&Input, &ResolvedParams) -> Result<Analysis, InputError>,
}

/// Every method, in site order.
pub static METHODS: &[&Method] = &[
    &square_root_law::METHOD,
    &z_score::METHOD,
    &iqr::METHOD,
    &mad::METHOD,
    &stl::METHOD,
    &ewma::METHOD,
    &moving_average::METHOD,
];

/// The method with this id.
pub fn method(id: &str) -> Option<&'static Method> {
    METHODS.iter().copied().find(|m| m.spec.id == id)
}
