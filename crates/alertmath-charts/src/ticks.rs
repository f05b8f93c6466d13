//! Tick positions and labels: "nice" steps (1, 2, 2.5, 5 × 10ᵏ) on linear axes, decades
//! (with 2 and 5 between them when the range is short) on logarithmic ones.

/// Ticks on a linear axis from `lo` to `hi`, about `target` of them.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|&s| s >= raw).unwrap_or(10.0 * mag);
    // Decide the count in floating point before converting: near the ends of the double
    // range (or of its subnormals) the step or the span is not finite, and a cast would
    // saturate.
    let (first, last) = ((lo / step).ceil(), (hi / step).floor());
    if !(step > 0.0 && step.is_finite() && first.is_finite() && last.is_finite())
        || last - first > 1000.0
        || last < first
    {
        return Vec::new();
    }
    let (first, last) = (first as i64, last as i64);
    (first..=last)
        .map(|i| {
            let v = i as f64 * step;
            // Snap values that are zero up to rounding (0.1 + 0.2 − 0.3).
            if v.abs() < step * 1e-9 {
                0.0
            } else {
                v
            }
        })
        .collect()
}

/// Ticks on a logarithmic axis: powers of ten, and 2× and 5× when there are few decades.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Vec::new();
    }
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let decades = b - a;
    let step = (decades / 8).max(1);
    let mults: &[f64] = if decades <= 3 { &[1.0, 2.0, 5.0] } else { &[1.0] };
    let mut out = Vec::new();
    let mut e = a;
    while e <= b {
        for &m in mults {
            let v = m * 10f64.powi(e);
            if v >= lo && v <= hi {
                out.push(v);
            }
        }
        e += step;
    }
    out
}

/// A tick label: as few digits as the spacing of the ticks needs; powers of ten at or
/// beyond 10⁵ (or below 10⁻³) as `1e5`.
pub fn format_tick(v: f64, ticks: &[f64]) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let e = a.log10().floor();
        let m = v / 10f64.powf(e);
        let m = (m * 100.0).round() / 100.0;
        return format!("{}e{}", trim(m), e as i32);
    }
    let spacing = ticks.windows(2).map(|w| (w[1] - w[0]).abs()).fold(f64::INFINITY, f64::min);
    let decimals = if spacing.is_finite() && spacing > 0.0 {
        (-(spacing.log10().floor())).clamp(0.0, 6.0) as usize + 1
    } else {
        3
    };
    trim_str(&format!("{:.*}", decimals, v))
}

fn trim(m: f64) -> String {
    trim_str(&format!("{:.2}", m))
}

fn trim_str(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_are_round() {
        assert_eq!(nice_ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_ticks(-0.3, 0.3, 3), vec![-0.2, 0.0, 0.2]);
        assert!(nice_ticks(1.0, 1.0, 5).is_empty());
    }

    #[test]
    fn extreme_ranges_give_no_ticks_rather_than_overflow() {
        assert!(nice_ticks(-1e308, 1e308, 5).is_empty() || nice_ticks(-1e308, 1e308, 5).len() <= 1001);
        assert!(nice_ticks(0.0, 5e-324, 5).len() <= 1001);
        assert!(nice_ticks(1e300, 1e300 * (1.0 + 1e-15), 5).len() <= 1001);
        assert!(nice_ticks(-1e300, 1e300, 8).len() <= 1001);
    }

    #[test]
    fn log_ticks_are_decades() {
        assert_eq!(log_ticks(1.0, 100_000.0), vec![1.0, 10.0, 100.0, 1000.0, 10_000.0, 100_000.0]);
        assert_eq!(log_ticks(1.0, 30.0), vec![1.0, 2.0, 5.0, 10.0, 20.0]);
    }

    #[test]
    fn labels_are_short() {
        let t = nice_ticks(0.0, 1.0, 5);
        assert_eq!(format_tick(0.2, &t), "0.2");
        assert_eq!(format_tick(1e5, &[1e4, 1e5]), "1e5");
        assert_eq!(format_tick(40000.0, &[20000.0, 40000.0]), "40000");
        assert_eq!(format_tick(2.5e-4, &[]), "2.5e-4");
    }
}
