//! Prometheus's series notation, as in `promtool` test files and Prometheus's own test
//! data: `1 2 _ 4`, `0+10x5` (0, 10, …, 50), `1x3`, `-2-1x2`, `stale`.

use crate::eval::STALE_NAN;

/// Expands a notation string into values, `None` for a missing sample (`_`).
pub fn expand(text: &str) -> Result<Vec<Option<f64>>, String> {
    let mut out = Vec::new();
    for item in text.split_whitespace() {
        if item == "_" {
            out.push(None);
            continue;
        }
        if let Some(times) = item.strip_prefix("_x") {
            let n: usize = times.parse().map_err(|_| format!("bad repeat “{}”", item))?;
            out.extend(std::iter::repeat_n(None, n));
            continue;
        }
        if item == "stale" {
            out.push(Some(f64::from_bits(STALE_NAN)));
            continue;
        }
        if let Some((head, times)) = item.split_once('x') {
            let n: usize = times.parse().map_err(|_| format!("bad repeat in “{}”", item))?;
            // head is a, a+b or a-b (a may itself be negative).
            let (start, delta) = split_delta(head).ok_or_else(|| format!("bad series item “{}”", item))?;
            for k in 0..=n {
                out.push(Some(start + delta * k as f64));
            }
            continue;
        }
        out.push(Some(parse_num(item).ok_or_else(|| format!("“{}” is not a number", item))?));
    }
    Ok(out)
}

fn parse_num(s: &str) -> Option<f64> {
    match s {
        "Inf" | "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

fn split_delta(head: &str) -> Option<(f64, f64)> {
    // Find a + or - that is not the leading sign and not part of an exponent.
    let bytes = head.as_bytes();
    for i in 1..bytes.len() {
        let c = bytes[i];
        if (c == b'+' || c == b'-') && !matches!(bytes[i - 1], b'e' | b'E') {
            let a = parse_num(&head[..i])?;
            let b = parse_num(&head[i + 1..])?;
            return Some((a, if c == b'-' { -b } else { b }));
        }
    }
    Some((parse_num(head)?, 0.0))
}

/// Writes values in the notation (`_` for None), shortest exact form for each number.
pub fn write(values: &[Option<f64>]) -> String {
    values
        .iter()
        .map(|v| match v {
            None => "_".to_string(),
            Some(x) if x.to_bits() == STALE_NAN => "stale".to_string(),
            Some(x) if x.is_nan() => "NaN".to_string(),
            Some(x) if x.is_infinite() => {
                if *x > 0.0 {
                    "Inf".to_string()
                } else {
                    "-Inf".to_string()
                }
            }
            Some(x) => format!("{}", x),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes values like [`write`], but a run of three or more equal values as `a+0xn`
/// (a, then n more of it), as promtool reads it: a week of a counter holding still is
/// one item.
pub fn write_runs(values: &[f64]) -> String {
    let mut items = Vec::new();
    let mut i = 0;
    while let Some(&x) = values.get(i) {
        let mut j = i + 1;
        while values.get(j).is_some_and(|y| y.to_bits() == x.to_bits()) {
            j += 1;
        }
        let one = write(&[Some(x)]);
        if j - i >= 3 && x.is_finite() {
            items.push(format!("{}+0x{}", one, j - i - 1));
        } else {
            items.extend(std::iter::repeat_n(one, j - i));
        }
        i = j;
    }
    items.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_like_promtool() {
        assert_eq!(expand("0+10x3").unwrap(), vec![Some(0.0), Some(10.0), Some(20.0), Some(30.0)]);
        assert_eq!(expand("1 _ -2-1x2").unwrap(), vec![Some(1.0), None, Some(-2.0), Some(-3.0), Some(-4.0)]);
        assert_eq!(expand("5x2").unwrap(), vec![Some(5.0); 3]);
        assert_eq!(write(&[Some(0.1), None, Some(-3.0)]), "0.1 _ -3");
    }

    #[test]
    fn runs_are_written_short_and_read_back() {
        let values = [0.0, 0.5, 1.0, 1.0, 1.0, 1.0, -2.5, -2.5, 3.0];
        let text = write_runs(&values);
        assert_eq!(text, "0 0.5 1+0x3 -2.5 -2.5 3");
        let back: Vec<f64> = expand(&text).unwrap().into_iter().map(Option::unwrap).collect();
        assert_eq!(back, values);
        assert_eq!(write_runs(&[]), "");
    }
}
