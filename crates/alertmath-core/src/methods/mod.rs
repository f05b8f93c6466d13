//! The registry: every method, in the order the site lists them.
//!
//! Adding a method is one file in this folder that exports a `pub static METHOD:
//! Method`, plus one line in `METHODS` below.

use crate::analysis::Analysis;
use crate::error::InputError;
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::spec::MethodSpec;

pub mod arima;
pub mod common;
pub mod cusum;
pub mod derivative;
pub mod double_exponential_smoothing;
pub mod ewma;
pub mod extreme;
pub mod finite_differences;
pub mod frozen_signal;
pub mod garch;
pub mod generalized_esd;
pub mod gradient;
pub mod grubbs;
pub mod holt_winters;
pub mod iqr;
pub mod jacobian;
pub mod ks_two_sample;
pub mod mad;
pub mod moving_average;
pub mod promql;
pub mod rates_common;
pub mod ratio_of_rates;
pub mod rolling_percentile;
pub mod seasonal_derivative;
pub mod series_models;
pub mod square_root_law;
pub mod stl;
pub mod timeseries;
pub mod velocity_z_score;
pub mod z_score;

/// A method: its declaration and its computation. `run` receives input already
/// validated against `spec.fields` and parameters already resolved against `spec.params`.
#[derive(Debug)]
pub struct Method {
    pub spec: MethodSpec,
    pub run: fn(&Input, &ResolvedParams) -> Result<Analysis, InputError>,
}

/// Every method, in the guide's order (the companion articles last).
pub static METHODS: &[&Method] = &[
    &square_root_law::METHOD,
    &z_score::METHOD,
    &iqr::METHOD,
    &mad::METHOD,
    &rolling_percentile::METHOD,
    &cusum::METHOD,
    &grubbs::METHOD,
    &generalized_esd::METHOD,
    &ks_two_sample::METHOD,
    &stl::METHOD,
    &ewma::METHOD,
    &garch::METHOD,
    &moving_average::METHOD,
    &holt_winters::METHOD,
    &double_exponential_smoothing::METHOD,
    &arima::METHOD,
    &derivative::METHOD,
    &seasonal_derivative::METHOD,
    &velocity_z_score::METHOD,
    &ratio_of_rates::METHOD,
    &frozen_signal::METHOD,
    &finite_differences::METHOD,
    &gradient::METHOD,
    &jacobian::METHOD,
];

/// The method with this id.
pub fn method(id: &str) -> Option<&'static Method> {
    METHODS.iter().copied().find(|m| m.spec.id == id)
}
