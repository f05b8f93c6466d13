//! The square-root law: an error-rate threshold that tightens as traffic grows,
//! T(n) = k/√n + B, with the guide's PromQL form k/√(n + 1) + B as a switch.
//!
//! For each scenario (requests, errors): the error rate, the threshold, whether it
//! alerts, and the smallest error count that would.

use super::common::{Compare, COMPARE};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Steps, Val, Verdict};
use crate::error::{ErrorKind, InputError};
use crate::fmt::{num, pct};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Layer, Panel, Plot, Role};
use crate::spec::{number, Choice, ColumnSpec, Domain, FieldSpec, MethodSpec, ParamKind, ParamSpec};

const REQUESTS: &str = "scenarios.requests";
const ERRORS: &str = "scenarios.errors";

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "square-root-law",
        name: "Square-root law",
        summary: "An error-rate threshold T(n) = k/√n + B that is loose at low traffic and tightens as traffic grows.",
        fields: &[FieldSpec {
            id: "scenarios",
            label: "Scenarios",
            help: "one scenario per line: requests, errors (e.g. 4, 1)",
            columns: &[
                ColumnSpec { id: "requests", label: "requests", unit: "", domain: Domain::NonNegative },
                ColumnSpec { id: "errors", label: "errors", unit: "", domain: Domain::NonNegative },
            ],
            timestamps: false,
            min_rows: 1,
            gaps: false,
            optional: false,
        }],
        params: &[
            ParamSpec {
                id: "k",
                label: "Sensitivity k",
                unit: "",
                help: "Scales the k/√n term; the guide's “balanced” setting is 1.5.",
                kind: number(1.5, 0.01, 10.0, 0.01),
            },
            ParamSpec {
                id: "floor",
                label: "Floor B",
                unit: "fraction",
                help: "The threshold's limit at infinite traffic: 0.01 is 1%.",
                kind: number(0.01, 0.0, 1.0, 0.001),
            },
            ParamSpec {
                id: "form",
                label: "Formula",
                unit: "",
                help: "The guide's equation uses √n; its PromQL adds 1 inside the root so that zero traffic does not divide by zero.",
                kind: ParamKind::Choice {
                    default: "guide",
                    options: &[
                        Choice { id: "guide", label: "k/√n + B (the guide's equation)" },
                        Choice { id: "promql", label: "k/√(n + 1) + B (the guide's PromQL)" },
                    ],
                },
            },
            COMPARE,
        ],
    },
    run,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Guide,
    PromQl,
}

impl Form {
    fn threshold(self, k: f64, b: f64, n: f64) -> f64 {
        match self {
            Form::Guide => k / n.sqrt() + b,
            Form::PromQl => k / (n + 1.0).sqrt() + b,
        }
    }

    fn formula(self) -> &'static str {
        match self {
            Form::Guide => "T(n) = k/√n + B",
            Form::PromQl => "T(n) = k/√(n + 1) + B",
        }
    }

    fn substitution(self, k: f64, b: f64, n: f64) -> String {
        match self {
            Form::Guide => format!("{}/√{} + {} = {}/{} + {}", num(k), num(n), num(b), num(k), num(n.sqrt()), num(b)),
            Form::PromQl => {
                format!("{}/√({} + 1) + {} = {}/{} + {}", num(k), num(n), num(b), num(k), num((n + 1.0).sqrt()), num(b))
            }
        }
    }

    fn other(self) -> Form {
        match self {
            Form::Guide => Form::PromQl,
            Form::PromQl => Form::Guide,
        }
    }
}

/// The smallest whole error count e ≤ n with e/n passing T, or None when even n errors
/// (100%) do not. The candidate ⌊T·n⌋ + 1 is corrected with the same comparison the
/// alert uses, so that rounding in T·n cannot make it off by one.
fn min_errors(n: f64, t: f64, cmp: Compare) -> Option<f64> {
    if n <= 0.0 {
        return None;
    }
    let passes = |e: f64| cmp.passes(e / n, t);
    let mut e = (t * n).floor().max(0.0);
    for _ in 0..4 {
        if e > 0.0 && passes(e - 1.0) {
            e -= 1.0;
        } else {
            break;
        }
    }
    for _ in 0..4 {
        if passes(e) {
            break;
        }
        e += 1.0;
    }
    (passes(e) && e <= n.floor()).then_some(e)
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let k = p.num("k")?;
    let b = p.num("floor")?;
    let form = if p.choice("form")? == "promql" { Form::PromQl } else { Form::Guide };
    let cmp = Compare::from_params(p)?;
    let requests = input.col(REQUESTS);
    let errors = input.col(ERRORS);

    for (i, (&n, &e)) in requests.iter().zip(errors).enumerate() {
        if e > n {
            return Err(InputError::new(
                ErrorKind::OutOfDomain,
                format!(
                    "Scenario {} has {} errors out of {} requests; errors cannot exceed requests.",
                    i + 1,
                    num(e),
                    num(n)
                ),
            )
            .in_field("scenarios")
            .at(i + 1));
        }
        if n == 0.0 && form == Form::Guide {
            return Err(InputError::new(
                ErrorKind::OutOfDomain,
                format!(
                    "Scenario {} has no requests: k/√0 is infinite. Give it traffic, or switch the formula to the PromQL form k/√(n + 1), which accepts zero.",
                    i + 1
                ),
            )
            .in_field("scenarios")
            .at(i + 1));
        }
    }

    let mut steps = Steps::new();
    let mut values = Vec::new();
    let mut alerting = Vec::new();
    let mut quiet = Vec::new();
    let rows = requests.len();
    let mut rates = Vec::with_capacity(rows);
    let mut alerts = Vec::with_capacity(rows);
    for (i, (&n, &e)) in requests.iter().zip(errors).enumerate() {
        let s = i + 1;
        let tag = format!("#{} ({} of {})", s, num(e), num(n));
        let t = form.threshold(k, b, n);
        let t_other = form.other().threshold(k, b, n);
        let rate = if n > 0.0 { e / n } else { f64::NAN };
        let alert = cmp.passes(rate, t);
        rates.push(rate);
        alerts.push(alert);

        if n > 0.0 {
            steps
                .num(
                    &format!("s{s}.rate"),
                    &format!("{tag}: error rate"),
                    "rate = errors / requests",
                    format!("{} / {}", num(e), num(n)),
                    rate,
                )
                .shown(format!("{} = {}", num(rate), pct(rate)));
        } else {
            steps.text(
                &format!("s{s}.rate"),
                &format!("{tag}: error rate"),
                "rate = errors / requests",
                "0 / 0",
                "undefined (no traffic; PromQL's 0/0 never alerts)",
            );
        }
        steps
            .num(
                &format!("s{s}.threshold"),
                &format!("{tag}: threshold"),
                form.formula(),
                form.substitution(k, b, n),
                t,
            )
            .shown(format!("{} = {}", num(t), pct(t)));
        let comparison = if n > 0.0 {
            format!("{} {} {}?", pct(rate), cmp.symbol(), pct(t))
        } else {
            "no rate to compare".to_string()
        };
        steps
            .text(
                &format!("s{s}.alert"),
                &format!("{tag}: alert?"),
                &format!("rate {} T(n)", cmp.symbol()),
                comparison,
                if alert { "ALERT" } else { "no alert" },
            )
            .decisive();
        let min_e = min_errors(n, t, cmp);
        match min_e {
            Some(m) => {
                steps.num(
                    &format!("s{s}.min_errors"),
                    &format!("{tag}: fewest errors that alert"),
                    &format!("smallest whole e with e/n {} T(n)", cmp.symbol()),
                    format!("T·n = {} × {} = {}", num(t), num(n), num(t * n)),
                    m,
                );
            }
            None => {
                steps.text(
                    &format!("s{s}.min_errors"),
                    &format!("{tag}: fewest errors that alert"),
                    &format!("smallest whole e ≤ n with e/n {} T(n)", cmp.symbol()),
                    format!("T(n) = {}", pct(t)),
                    if n > 0.0 { "none: even 100% errors stay below the threshold" } else { "none: no traffic" },
                );
            }
        }

        values.push((format!("rate.{s}"), format!("#{s} error rate"), Val::num_or(rate, "no requests"), "%"));
        values.push((format!("threshold.{s}"), format!("#{s} threshold T(n)"), Val::Num(t), "%"));
        values.push((
            format!("threshold_other.{s}"),
            format!("#{s} threshold, {} form", if form == Form::Guide { "PromQL" } else { "guide" }),
            Val::Num(t_other),
            "%",
        ));
        values.push((format!("alert.{s}"), format!("#{s} alerts"), Val::Bool(alert), ""));
        values.push((
            format!("min_errors.{s}"),
            format!("#{s} fewest errors that alert"),
            match min_e {
                Some(m) => Val::Num(m),
                None => Val::Undefined("no count alerts".to_string()),
            },
            "errors",
        ));
        let summary = if n > 0.0 {
            format!("#{} {} {} {}", s, pct(rate), if alert { cmp.symbol() } else { cmp.negated() }, pct(t))
        } else {
            format!("#{} has no traffic", s)
        };
        if alert {
            alerting.push(summary);
        } else {
            quiet.push(summary);
        }
    }

    let verdict = if alerting.is_empty() {
        Verdict::new(
            Level::Clear,
            if rows == 1 { "No alert".to_string() } else { format!("No alert in {} scenarios", rows) },
            quiet.join("; "),
        )
    } else {
        Verdict::new(
            Level::Alert,
            format!("ALERT in {} of {} {}", alerting.len(), rows, if rows == 1 { "scenario" } else { "scenarios" }),
            alerting.into_iter().chain(quiet).collect::<Vec<_>>().join("; "),
        )
    };
    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    for (id, label, value, unit) in values {
        if unit == "%" {
            a.push_fraction(id, label, value);
        } else {
            a.push_value(id, label, value, unit);
        }
    }
    a.push_fraction("limit", "threshold as n → ∞ (the floor B)", Val::Num(b));
    let single = cmp.passes(1.0, form.threshold(k, b, 1.0));
    a.push_value("single_error_can_alert", "can one error ever alert?", Val::Bool(single), "");
    a.push_value("z_at_half", "standard errors in k/√n at p = 50%", Val::Num(2.0 * k), "σ");
    let z_floor = if b > 0.0 && b < 1.0 { k / (b * (1.0 - b)).sqrt() } else { f64::NAN };
    a.push_value("z_at_floor", "standard errors in k/√n at p = B", Val::num_or(z_floor, "B is 0 or 1"), "σ");

    a.note(
        NoteLevel::Caveat,
        format!(
            "As traffic grows, T(n) falls toward the floor B = {}, never below it: no error rate at or below {} can alert, however many requests there are.",
            pct(b),
            pct(b)
        ),
    );
    a.note(
        NoteLevel::Info,
        if single {
            format!("A single error can alert at very low traffic: at n = 1, 100% {} T(1) = {}.", cmp.symbol(), pct(form.threshold(k, b, 1.0)))
        } else {
            format!(
                "A single error can never alert: one error is 1/n of the traffic, 1/n − T(n) is largest at n = 1, and there T(1) = {} already exceeds 100%.",
                pct(form.threshold(k, b, 1.0))
            )
        },
    );
    a.note(
        NoteLevel::Info,
        format!(
            "k is not a number of standard deviations. The standard error of a rate p over n requests is √(p(1 − p)/n), so the margin k/√n is k/√(p(1 − p)) standard errors: {} at p = 50%{}.",
            num(2.0 * k),
            if z_floor.is_finite() { format!(" and {} at p = B = {}", num(z_floor), pct(b)) } else { String::new() }
        ),
    );
    if requests.contains(&0.0) {
        a.note(NoteLevel::Info, "Scenarios with no traffic are not drawn on the logarithmic axis.");
    }
    a.plot = plot(requests, &rates, &alerts, k, b, form);
    Ok(a)
}

fn plot(requests: &[f64], rates: &[f64], alerts: &[bool], k: f64, b: f64, form: Form) -> Plot {
    let positive: Vec<f64> = requests.iter().copied().filter(|&n| n > 0.0).collect();
    let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = positive.iter().copied().fold(0.0, f64::max);
    let (lo, hi) = if lo.is_finite() { ((lo / 4.0).max(1.0), (hi * 4.0).max(10.0)) } else { (1.0, 100.0) };
    let steps = 240;
    let ns: Vec<f64> =
        (0..=steps).map(|i| 10f64.powf(lo.log10() + (hi.log10() - lo.log10()) * i as f64 / steps as f64)).collect();
    let curve: Vec<f64> = ns.iter().map(|&n| 100.0 * form.threshold(k, b, n)).collect();
    let other: Vec<f64> = ns.iter().map(|&n| 100.0 * form.other().threshold(k, b, n)).collect();
    let max_rate = rates.iter().copied().filter(|r| r.is_finite()).fold(0.0, f64::max) * 100.0;
    let top = (curve.first().copied().unwrap_or(100.0).max(max_rate) * 1.08).clamp(1.0, 105.0);

    let mut panel = Panel::new(
        "",
        Axis::log("requests n (log scale)").with_range(lo, hi),
        Axis::linear("error rate, %").with_range(0.0, top),
    );
    panel.push(Layer::hline(100.0 * b, Role::Center, format!("floor B = {}", pct(b))));
    panel.push(Layer::line(
        ns.clone(),
        other,
        Role::Alternative,
        if form == Form::Guide { "k/√(n + 1) + B (PromQL)" } else { "k/√n + B (guide)" },
    ));
    panel.push(Layer::line(ns, curve, Role::Threshold, form.formula()));
    let (mut qx, mut qy, mut ax, mut ay) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((&n, &r), &alert) in requests.iter().zip(rates).zip(alerts) {
        if n > 0.0 && r.is_finite() {
            if alert {
                ax.push(n);
                ay.push(100.0 * r);
            } else {
                qx.push(n);
                qy.push(100.0 * r);
            }
        }
    }
    panel.push(Layer::points(qx, qy, Role::Data, "scenario, no alert"));
    panel.push(Layer::points(ax, ay, Role::Flagged, "scenario, alert"));
    for (i, (&n, &r)) in requests.iter().zip(rates).enumerate() {
        if n > 0.0 && r.is_finite() && requests.len() <= 12 {
            panel.push(Layer::text(n, 100.0 * r, format!("#{} {}", i + 1, pct(r))));
        }
    }
    Plot::single(panel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_errors_is_exact_at_the_boundary() {
        // T(10 000) = 0.025 exactly: 250/10 000 is not above it, 251 is.
        assert_eq!(min_errors(10_000.0, 0.025, Compare::Gt), Some(251.0));
        assert_eq!(min_errors(10_000.0, 0.025, Compare::Ge), Some(250.0));
        assert_eq!(min_errors(4.0, 0.76, Compare::Gt), Some(4.0));
        assert_eq!(min_errors(4.0, 1.01, Compare::Gt), None);
        assert_eq!(min_errors(0.0, 0.5, Compare::Gt), None);
    }
}
