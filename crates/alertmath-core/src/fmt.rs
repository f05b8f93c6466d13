//! How numbers are written in traces, values and messages. The core formats every
//! number it shows, so the page, the JS API and the tests all read the same text.
//!
//! Shown numbers carry six significant digits (enough to check a hand calculation);
//! the full double is always available beside them.

/// A number for display: whole numbers as integers, others with six significant digits,
/// very large or small ones in scientific notation. NaN is written "undefined".
pub fn num(x: f64) -> String {
    sig(x, 6)
}

/// A number with `digits` significant digits (see [`num`]).
pub fn sig(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "undefined".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "∞".to_string() } else { "-∞".to_string() };
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let digits = digits.clamp(1, 17);
    let magnitude = x.abs();
    if x.fract() == 0.0 && magnitude < 1e15 {
        return format!("{:.0}", x);
    }
    if !(1e-4..1e15).contains(&magnitude) {
        let s = format!("{:.*e}", digits - 1, x);
        return match s.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{}", trim_zeros(mantissa), exp),
            None => s,
        };
    }
    let exponent = magnitude.log10().floor() as i32;
    let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
    trim_zeros(&format!("{:.*}", decimals, x)).to_string()
}

/// The shortest text that reads back as exactly the same double.
pub fn exact(x: f64) -> String {
    if x.is_nan() {
        "undefined".to_string()
    } else if x.is_infinite() {
        num(x)
    } else {
        format!("{}", x)
    }
}

/// A fraction shown as a percentage, e.g. `0.76` → `"76%"`.
pub fn pct(x: f64) -> String {
    format!("{}%", num(x * 100.0))
}

/// A count with thousands separators, e.g. `1000000` → `"1,000,000"`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A list of numbers, shortened to its first `max - 1` items and the last one when
/// longer than `max`: `"10, 12, 13, …, 1000 (100 values)"`.
pub fn list(xs: &[f64], max: usize) -> String {
    let max = max.max(2);
    if xs.len() <= max {
        return xs.iter().map(|&x| num(x)).collect::<Vec<_>>().join(", ");
    }
    let mut parts: Vec<String> = xs.iter().take(max - 1).map(|&x| num(x)).collect();
    parts.push("…".to_string());
    if let Some(&last) = xs.last() {
        parts.push(num(last));
    }
    format!("{} ({} values)", parts.join(", "), count(xs.len()))
}

/// An English ordinal: 1st, 2nd, 3rd, 4th, 11th, 22nd.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{}{}", n, suffix)
}

/// A number in a formula, in parentheses when negative: `3 − (-2)`.
pub fn paren(x: f64) -> String {
    if x < 0.0 {
        format!("({})", num(x))
    } else {
        num(x)
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_person_would_write_them() {
        let cases: &[(f64, &str)] = &[
            (17.5, "17.5"),
            (14.557130209760457, "14.5571"),
            (0.76, "0.76"),
            (10000.0, "10000"),
            (-3.0, "-3"),
            (2.2325, "2.2325"),
            (1.0 / 3.0, "0.333333"),
            (9.9999996, "10"),
            (1.5e-7, "1.5e-7"),
            (2.5e20, "2.5e20"),
            (0.0, "0"),
            (-0.0, "0"),
            (f64::NAN, "undefined"),
            (f64::INFINITY, "∞"),
        ];
        for &(x, want) in cases {
            assert_eq!(num(x), want, "num({x:?})");
        }
    }

    #[test]
    fn percentages_hide_binary_noise() {
        assert_eq!(pct(0.76), "76%");
        assert_eq!(pct(0.025), "2.5%");
        assert_eq!(pct(0.0001), "0.01%");
    }

    #[test]
    fn counts_are_grouped() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_000_000), "1,000,000");
    }

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].iter().map(|&n| ordinal(n)).collect();
        assert_eq!(got, ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]);
    }

    #[test]
    fn long_lists_are_shortened() {
        assert_eq!(list(&[1.0, 2.0, 3.0], 5), "1, 2, 3");
        assert_eq!(list(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 4), "1, 2, 3, …, 6 (6 values)");
    }

    #[test]
    fn exact_round_trips() {
        for x in [0.1, 1.0 / 3.0, 14.557130209760457, 1e-300] {
            assert_eq!(exact(x).parse::<f64>().ok(), Some(x));
        }
    }
}
