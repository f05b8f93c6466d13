//! The generalized extreme studentized deviate test (Rosner 1983): up to r outliers.
//!
//! Pass i removes the value furthest from the mean of what is left and records
//! Rᵢ = |x − x̄| / s; its critical value λᵢ is Grubbs' two-sided value for the
//! n − i + 1 values left. The number of outliers is the largest i with Rᵢ > λᵢ, so an
//! outlier masked in pass 1 is still caught when a later pass exceeds its λ.
//!
//! The data are sorted once: the value furthest from the mean is always the smallest or
//! the largest of what is left, so each pass costs O(1) to find it, and the mean and
//! sum of squares are updated in O(1), except when the removed value carries more than
//! a quarter of the sum of squares, where the update would cancel digits and the
//! remaining values are summed again.

use super::common::{flagged_points, positions, sample_field, Compare, DATA};
use super::extreme::{all_equal, grubbs_critical, moments, Critical, Frame, SdMode, ALPHA_PARAM, SD_PARAM};
use super::Method;
use crate::analysis::{Analysis, Level, NoteLevel, Points, Steps, Table, Val, Verdict};
use crate::error::InputError;
use crate::fmt::{count, num, paren};
use crate::input::Input;
use crate::params::ResolvedParams;
use crate::plot::{Axis, Column, Layer, Panel, Plot, Role};
use crate::spec::{MethodSpec, ParamKind, ParamSpec};

pub static METHOD: Method = Method {
    spec: MethodSpec {
        id: "generalized-esd",
        name: "Generalized ESD (Rosner)",
        summary: "Removes the most extreme value up to r times and counts as outliers all values up to the last pass whose statistic exceeds its critical value.",
        fields: &[sample_field(3)],
        params: &[
            ParamSpec {
                id: "max_outliers",
                label: "Most outliers r",
                unit: "",
                help: "The largest number of outliers to look for (passes); the guide's example makes 2 passes. At most n − 2.",
                kind: ParamKind::Number { default: 2.0, min: 1.0, max: 100.0, step: 1.0, integer: true, log: false },
            },
            ALPHA_PARAM,
            SD_PARAM,
        ],
    },
    run,
};

/// The detailed steps cover this many passes; the table covers all of them.
const DETAILED_PASSES: usize = 4;
/// Named values per pass are published for this many passes.
const NAMED_PASSES: usize = 3;
/// Passes labelled on the data plot.
const LABELLED_PASSES: usize = 12;

/// One pass of the procedure.
#[derive(Debug, Clone)]
struct Pass {
    /// Values left before this pass removes one: `order[lo..hi]`.
    left: usize,
    lo: usize,
    hi: usize,
    /// Index of the removed value in the input (None when the SD is 0 and nothing is removed).
    removed: Option<usize>,
    mean: f64,
    /// The SD in the chosen convention (original units).
    sd: f64,
    /// Rᵢ in the chosen convention; NaN when the SD is 0.
    r: f64,
    /// The critical value: Rosner's λᵢ, in the chosen convention.
    lambda: f64,
    crit: Critical,
    exceeds: bool,
    /// The removed value's (x − x̄)/s in the full sample, before any removal.
    z_full: f64,
}

fn run(input: &Input, p: &ResolvedParams) -> Result<Analysis, InputError> {
    let r_max = p.count("max_outliers")?;
    let alpha = p.num("alpha")?;
    let mode = SdMode::from_params(p)?;
    let xs = input.col(DATA);
    let n = xs.len();
    let nf = n as f64;
    let passes_possible = n.saturating_sub(2);
    let r = r_max.min(passes_possible);

    let frame = Frame::of(xs);
    let ys = frame.apply(xs);
    let mut order: Vec<usize> = (0..n).collect();
    // A stable sort (equal values keep their input order) by value, −0 equal to 0.
    order.sort_by(|&i, &j| {
        let (a, b) = (ys.get(i).copied().unwrap_or(0.0), ys.get(j).copied().unwrap_or(0.0));
        a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal)
    });
    let y = |i: usize| ys.get(i).copied().unwrap_or(f64::NAN);
    let at = |k: usize| order.get(k).copied().unwrap_or(0);

    let no_spread = all_equal(xs);
    let (m1, ss1) = moments(&ys);
    let ss1 = if no_spread { 0.0 } else { ss1 };
    let sd1_sample = (ss1 / (nf - 1.0)).sqrt();
    let z_of = |yi: f64| if no_spread { f64::NAN } else { (yi - m1) / sd1_sample * mode.stat_factor(n) };

    // The remaining values are order[lo..hi]; m and ss describe them.
    let (mut lo, mut hi) = (0usize, n);
    let (mut m, mut ss) = (m1, ss1);
    let mut passes: Vec<Pass> = Vec::with_capacity(r);
    for _ in 0..r {
        let left = hi - lo;
        let lf = left as f64;
        let crit = grubbs_critical(left, alpha, true);
        let lambda = crit.g * mode.crit_factor(left);
        let (first, last) = (at(lo), at(hi - 1));
        if y(first) == y(last) {
            // Every remaining value is the same: s = 0, Rᵢ = 0/0, and nothing is left to test.
            passes.push(Pass {
                left,
                lo,
                hi,
                removed: None,
                mean: frame.location(m),
                sd: 0.0,
                r: f64::NAN,
                lambda,
                crit,
                exceeds: false,
                z_full: f64::NAN,
            });
            break;
        }
        let s_sample = (ss / (lf - 1.0)).sqrt();
        let (d_low, d_high) = (m - y(first), y(last) - m);
        let take_high = d_high >= d_low;
        let idx = if take_high { last } else { first };
        let d = if take_high { d_high } else { d_low };
        let r_stat = d / s_sample * mode.stat_factor(left);
        let sd_shown = frame.spread(if mode.is_population() { (ss / lf).sqrt() } else { s_sample });
        passes.push(Pass {
            left,
            lo,
            hi,
            removed: Some(idx),
            mean: frame.location(m),
            sd: sd_shown,
            r: r_stat,
            lambda,
            crit,
            exceeds: Compare::Gt.passes(r_stat, lambda),
            z_full: z_of(y(idx)),
        });
        if take_high {
            hi -= 1;
        } else {
            lo += 1;
        }
        // Update the mean and sum of squares for the removal of y(idx).
        let dev = y(idx) - m;
        let share = dev * dev * lf / (lf - 1.0);
        if share > ss / 4.0 {
            let rest: Vec<f64> = order.get(lo..hi).unwrap_or(&[]).iter().map(|&i| y(i)).collect();
            (m, ss) = moments(&rest);
        } else {
            m -= dev / (lf - 1.0);
            ss = (ss - share).max(0.0);
        }
    }
    let outliers = passes.iter().rposition(|q| q.exceeds).map_or(0, |i| i + 1);
    let stopped = passes.last().is_some_and(|q| q.removed.is_none());

    let mut flags = vec![false; n];
    for q in passes.iter().take(outliers) {
        if let Some(f) = q.removed.and_then(|i| flags.get_mut(i)) {
            *f = true;
        }
    }
    let removed_list = |k: usize| -> String {
        passes
            .iter()
            .take(k)
            .filter_map(|q| q.removed)
            .map(|i| num(xs.get(i).copied().unwrap_or(f64::NAN)))
            .collect::<Vec<_>>()
            .join(", ")
    };

    let mut steps = Steps::new();
    steps.num("n", "Number of points", "n", count(n), nf);
    steps.num("passes", "Passes", "min(r, n − 2)", format!("min({}, {} − 2)", r_max, n), r as f64);
    for (k, q) in passes.iter().enumerate().take(DETAILED_PASSES) {
        let i = k + 1;
        let label = |what: &str| format!("Pass {}: {}", i, what);
        let id = |what: &str| format!("pass{}.{}", i, what);
        steps.num(
            &id("mean"),
            &label(&format!("mean of the {} values left", q.left)),
            "x̄ᵢ = Σx / nᵢ",
            mean_terms(xs, order.get(q.lo..q.hi).unwrap_or(&[])),
            q.mean,
        );
        let sd_step = steps.num(
            &id("sd"),
            &label("standard deviation"),
            &format!("sᵢ = √(Σ(x − x̄ᵢ)² / ({}))", if mode.is_population() { "nᵢ" } else { "nᵢ − 1" }),
            format!("over the {} values left", q.left),
            q.sd,
        );
        if q.removed.is_none() {
            sd_step.shown("0: the values left are all equal");
        }
        match q.removed {
            Some(idx) => {
                let x = xs.get(idx).copied().unwrap_or(f64::NAN);
                steps.num(
                    &id("r"),
                    &label(&format!("most extreme value {} (position {})", num(x), idx + 1)),
                    &format!("R{} = |x − x̄ᵢ| / sᵢ", sub(i)),
                    format!("|{} − {}| / {}", num(x), paren(q.mean), num(q.sd)),
                    q.r,
                );
            }
            None => {
                steps.text(
                    &id("r"),
                    &label("no value can be tested"),
                    &format!("R{} = |x − x̄ᵢ| / sᵢ", sub(i)),
                    "0 / 0",
                    "undefined: the procedure stops",
                );
            }
        }
        steps.num(
            &id("lambda"),
            &label("critical value"),
            &format!(
                "λ{} = (n − i)·t / √((n − i − 1 + t²)(n − i + 1)), t = t(p = {}; n − i − 1 d.f.){}",
                sub(i),
                "α / (2(n − i + 1))",
                if mode == SdMode::Population { " × √(nᵢ/(nᵢ − 1))" } else { "" }
            ),
            format!(
                "{} · {} / √(({} + {}²) · {}), t = t({}; {})",
                q.left - 1,
                num(q.crit.t),
                q.left - 2,
                num(q.crit.t),
                q.left,
                crate::fmt::sig(q.crit.tail, 4),
                q.left - 2
            ),
            q.lambda,
        );
        if q.removed.is_some() {
            steps.text(
                &id("compare"),
                &label("exceeds?"),
                &format!("R{} > λ{}", sub(i), sub(i)),
                format!("{} > {}?", num(q.r), num(q.lambda)),
                if q.exceeds { "yes" } else { "no" },
            );
        }
    }
    if passes.len() > DETAILED_PASSES {
        steps.text(
            "more",
            "Further passes",
            "",
            format!("passes {}–{}", DETAILED_PASSES + 1, passes.len()),
            "in the table",
        );
    }
    steps
        .text(
            "outliers",
            "Number of outliers",
            "the largest i with Rᵢ > λᵢ",
            match passes.iter().rposition(|q| q.exceeds) {
                Some(k) => format!("pass {} is the last with Rᵢ > λᵢ", k + 1),
                None => "no pass has Rᵢ > λᵢ".to_string(),
            },
            if outliers == 0 { "0".to_string() } else { format!("{} ({})", outliers, removed_list(outliers)) },
        )
        .decisive();

    let verdict = if no_spread {
        Verdict::new(
            Level::Undefined,
            "No spread: nothing to test",
            format!("Every value equals {}, so s = 0 and R₁ = |x − x̄|/s is 0/0.", num(frame.location(m1))),
        )
    } else if outliers > 0 {
        Verdict::new(
            Level::Alert,
            format!("ALERT: {} {}", count(outliers), if outliers == 1 { "outlier" } else { "outliers" }),
            format!(
                "{}: pass {} has R = {} > λ = {} (α = {}).",
                removed_list(outliers),
                outliers,
                num(passes.get(outliers - 1).map_or(f64::NAN, |q| q.r)),
                num(passes.get(outliers - 1).map_or(f64::NAN, |q| q.lambda)),
                num(alpha)
            ),
        )
    } else {
        Verdict::new(
            Level::Clear,
            "No outliers",
            format!(
                "In none of the {} {} does Rᵢ exceed λᵢ (α = {}).",
                passes.len(),
                if passes.len() == 1 { "pass" } else { "passes" },
                num(alpha)
            ),
        )
    };

    let mut a = Analysis::new(METHOD.spec.id, verdict);
    a.steps = steps.0;
    a.push_value("n", "n", Val::Int(n as i64), "");
    a.push_value("passes", "passes made", Val::Int(passes.len() as i64), "");
    a.push_value("outliers", "number of outliers", Val::Int(outliers as i64), "");
    a.push_value("mean", "mean of all values", Val::Num(frame.location(m1)), "");
    a.push_value(
        "sd",
        format!("SD of all values (÷ {})", mode.divisor()),
        Val::Num(frame.spread(if mode.is_population() { (ss1 / nf).sqrt() } else { sd1_sample })),
        "",
    );
    for (k, q) in passes.iter().enumerate().take(NAMED_PASSES) {
        let i = k + 1;
        let undefined = || Val::Undefined("s = 0".to_string());
        a.push_value(
            format!("removed.{}", i),
            format!("pass {}: removed value", i),
            q.removed.map_or_else(undefined, |j| Val::Num(xs.get(j).copied().unwrap_or(f64::NAN))),
            "",
        );
        a.push_value(format!("mean.{}", i), format!("pass {}: mean", i), Val::Num(q.mean), "");
        a.push_value(format!("sd.{}", i), format!("pass {}: SD", i), Val::Num(q.sd), "");
        a.push_value(
            format!("r.{}", i),
            format!("pass {}: R{}", i, sub(i)),
            if q.removed.is_some() { Val::num_or(q.r, "s = 0") } else { undefined() },
            "",
        );
        a.push_value(
            format!("lambda.{}", i),
            format!("pass {}: λ{}", i, sub(i)),
            Val::num_or(q.lambda, "outside the t table"),
            "",
        );
        a.push_value(
            format!("exceeds.{}", i),
            format!("pass {}: R{} > λ{}", i, sub(i), sub(i)),
            Val::Bool(q.exceeds),
            "",
        );
        a.push_value(
            format!("z_full.{}", i),
            format!("pass {}: its (x − x̄)/s in the full sample", i),
            if q.removed.is_some() { Val::num_or(q.z_full, "s = 0") } else { undefined() },
            "",
        );
    }

    if r_max > passes_possible {
        a.note(
            NoteLevel::Info,
            format!(
                "With n = {} at most n − 2 = {} passes are possible (the t-distribution of the last pass needs a degree of freedom); r = {} was reduced to {}.",
                n, passes_possible, r_max, passes_possible
            ),
        );
    }
    if stopped && !no_spread {
        a.note(
            NoteLevel::Caveat,
            format!(
                "Pass {}: the {} values left are all equal, so their SD is 0 and R is 0/0. No value can be tested; the procedure stops and the count uses the passes before it.",
                passes.len(),
                passes.last().map_or(0, |q| q.left)
            ),
        );
    }
    if passes.iter().take(outliers).any(|q| !q.exceeds) {
        a.note(
            NoteLevel::Info,
            "A pass with Rᵢ ≤ λᵢ still counts as an outlier when a later pass exceeds its λ: that is how the test sees through masking.",
        );
    }
    if !no_spread && n < 25 {
        a.note(
            NoteLevel::Caveat,
            "Rosner's λᵢ are approximations that are loose at small n: on normal data without outliers, the test flags something in about 9.5% of samples at n = 5 and 6.8% at n = 10 (r = 2), and 5.9% at n = 25 (r = 5), for a nominal 5%.",
        );
    }
    if mode == SdMode::PopulationUnadjusted {
        a.note(
            NoteLevel::Warning,
            "Rᵢ divides by the population SD but meets Rosner's sample-SD λᵢ (as some libraries do): Rᵢ is √(nᵢ/(nᵢ − 1)) times too large, so the test finds outliers more often than α allows.",
        );
    }

    // Passes table.
    let mut table = Table::new(
        "passes",
        "Passes",
        &[
            "i",
            "values left",
            "removed x",
            "position",
            "mean",
            "SD",
            "Rᵢ",
            "λᵢ",
            "Rᵢ > λᵢ",
            "(x − x̄)/s, full sample",
            "outlier",
        ],
    );
    table.fill(
        passes.len(),
        |k| k < outliers,
        |k| {
            let Some(q) = passes.get(k) else { return vec![String::new(); 11] };
            let x = q.removed.and_then(|j| xs.get(j).copied());
            vec![
                (k + 1).to_string(),
                count(q.left),
                x.map_or_else(|| "none".to_string(), num),
                q.removed.map_or_else(String::new, |j| (j + 1).to_string()),
                num(q.mean),
                num(q.sd),
                if q.removed.is_some() { num(q.r) } else { "undefined (s = 0)".to_string() },
                num(q.lambda),
                if q.removed.is_some() { (if q.exceeds { "yes" } else { "no" }).to_string() } else { String::new() },
                if q.removed.is_some() { num(q.z_full) } else { String::new() },
                if k < outliers { "yes".to_string() } else { String::new() },
            ]
        },
    );
    a.tables.push(table);

    // Plot: the data with the removed values numbered by pass, and Rᵢ against λᵢ.
    let x = positions(n);
    let mut data_panel =
        Panel::new("Data: values removed, numbered by pass", Axis::linear("position"), Axis::linear("value"));
    data_panel.push(Layer::hline(frame.location(m1), Role::Center, "mean of all values"));
    let yv: Column = xs.into();
    let [data_layer, flagged_layer] = flagged_points(&x, &yv, &flags);
    data_panel.push(data_layer);
    data_panel.push(flagged_layer);
    for (k, q) in passes.iter().enumerate().take(LABELLED_PASSES) {
        if let Some(j) = q.removed {
            data_panel.push(Layer::text((j + 1) as f64, xs.get(j).copied().unwrap_or(f64::NAN), format!("{}", k + 1)));
        }
    }
    // Each pass's margin Rᵢ − λᵢ as a bar from 0: above 0 the pass exceeds its critical
    // value. The passes counted as outliers (1 to the last that exceeds) are vermillion.
    let mut pass_panel = Panel::new(
        "Each pass: Rᵢ − λᵢ (above 0, Rᵢ exceeds its critical value)",
        Axis::linear("pass i").with_range(0.4, passes.len().max(1) as f64 + 0.6).integer(),
        Axis::linear("Rᵢ − λᵢ"),
    );
    pass_panel.weight = 0.8;
    let bars = |pick: &dyn Fn(usize) -> bool| -> (Vec<f64>, Vec<f64>) {
        // One polygon for all the bars, running along y = 0 between them.
        let (mut bx, mut by) = (Vec::new(), Vec::new());
        for (k, q) in passes.iter().enumerate() {
            let margin = q.r - q.lambda;
            if q.removed.is_none() || !pick(k) || !margin.is_finite() {
                continue;
            }
            let i = (k + 1) as f64;
            bx.extend([i - 0.3, i - 0.3, i + 0.3, i + 0.3]);
            by.extend([0.0, margin, margin, 0.0]);
        }
        (bx, by)
    };
    let (cx, cy) = bars(&|k| k >= outliers);
    if !cx.is_empty() {
        pass_panel.push(Layer::polygon(cx, cy, Role::Data, "not counted"));
    }
    let (ox, oy) = bars(&|k| k < outliers);
    if !ox.is_empty() {
        pass_panel.push(Layer::polygon(ox, oy, Role::Flagged, "counted as outliers"));
    }
    pass_panel.push(Layer::hline(0.0, Role::Threshold, "Rᵢ = λᵢ"));
    let margins = passes.iter().map(|q| q.r - q.lambda).filter(|m| m.is_finite());
    let (low, high) = margins.fold((0.0f64, 0.0f64), |(l, h), m| (l.min(m), h.max(m)));
    for (k, q) in passes.iter().enumerate() {
        if q.removed.is_none() {
            pass_panel.push(Layer::text((k + 1) as f64, (low + high) / 2.0, "s = 0: stop"));
        }
    }
    a.plot = Plot::independent(vec![data_panel, pass_panel]);
    let scores: Vec<f64> = ys.iter().map(|&yi| z_of(yi)).collect();
    a.points =
        Some(Points { x, y: yv, score: scores, flag: flags, score_label: "(x − x̄)/s, full sample".to_string() });
    Ok(a)
}

/// The mean's substitution: the values left in input order, summed, for small sets.
fn mean_terms(xs: &[f64], left: &[usize]) -> String {
    if left.len() > 8 {
        return format!("Σx / {}", count(left.len()));
    }
    let mut idx = left.to_vec();
    idx.sort_unstable();
    let terms: Vec<String> = idx.iter().map(|&i| num(xs.get(i).copied().unwrap_or(f64::NAN))).collect();
    format!("({}) / {}", terms.join(" + "), left.len())
}

/// A subscript for small pass numbers (R₁, λ₂), the plain number beyond 9.
fn sub(i: usize) -> String {
    const DIGITS: [&str; 10] = ["₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"];
    i.to_string().chars().map(|c| c.to_digit(10).and_then(|d| DIGITS.get(d as usize)).copied().unwrap_or("")).collect()
}

#[cfg(test)]
mod tests {
    use crate::{analyze, Input, Level, Params, Val};

    fn run(data: &[f64], r: f64) -> crate::Analysis {
        analyze("generalized-esd", Input::new().with("data", data.to_vec()), &Params::new().with("max_outliers", r))
            .unwrap()
    }

    #[test]
    fn a_pass_without_spread_stops_the_procedure() {
        let a = run(&[10.0, 10.0, 10.0, 50.0, 100.0], 3.0);
        assert_eq!(a.number("passes"), Some(3.0));
        assert_eq!(a.number("outliers"), Some(2.0));
        assert!(matches!(a.value("r.3"), Some(Val::Undefined(_))));
        assert_eq!(a.number("sd.3"), Some(0.0));
        assert!(a.notes.iter().any(|n| n.text.contains("SD is 0")));
        let flags = &a.points.as_ref().unwrap().flag;
        assert_eq!(flags, &[false, false, false, true, true]);
    }

    #[test]
    fn r_is_capped_at_n_minus_two_and_no_spread_is_explained() {
        let a = run(&[1.0, 2.0, 40.0], 5.0);
        assert_eq!(a.number("passes"), Some(1.0));
        assert!(a.notes.iter().any(|n| n.text.contains("reduced")));
        let b = run(&[7.0; 6], 2.0);
        assert_eq!(b.verdict.level, Level::Undefined);
        assert_eq!(b.number("outliers"), Some(0.0));
    }

    #[test]
    fn incremental_updates_agree_with_direct_sums() {
        // Geometric data make every removal dominant (direct sums) or not (updates).
        let data: Vec<f64> =
            (0..40).map(|i| 1e9 + (i as f64 * 0.37).sin() + if i % 9 == 0 { 2f64.powi(i / 9) } else { 0.0 }).collect();
        let a = run(&data, 20.0);
        for i in 1..=3 {
            let removed = a.number(&format!("removed.{i}")).unwrap();
            let pos = data.iter().position(|&x| x == removed).unwrap();
            // Recompute pass i directly: the earlier passes removed the i − 1 values before it.
            let earlier: Vec<f64> = (1..i).map(|k| a.number(&format!("removed.{k}")).unwrap()).collect();
            let left: Vec<f64> = data.iter().copied().filter(|x| !earlier.contains(x)).collect();
            let origin = left[0];
            let shifted: Vec<f64> = left.iter().map(|x| x - origin).collect();
            let m = crate::stats::mean(&shifted);
            let s = (crate::stats::sum_sq_dev(&shifted, m) / (left.len() as f64 - 1.0)).sqrt();
            let r = ((data[pos] - origin) - m).abs() / s;
            let got = a.number(&format!("r.{i}")).unwrap();
            assert!((got - r).abs() < 1e-9 * r, "pass {i}: {got} vs {r}");
        }
    }
}
