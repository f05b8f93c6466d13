//! The PromQL lexer: text → tokens with byte spans, so that every parse error can point
//! at the place it is about.
//!
//! Beyond PromQL it reads Grafana-style template variables (`$window`, `${window}`),
//! which the guide's queries use and the lessons substitute from their parameters.

use crate::error::{ParseError, Span};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Number(f64),
    /// A duration such as `5m` or `1h30m`, in milliseconds.
    Duration(i64),
    Str(String),
    Ident(String),
    /// `$name` or `${name}`.
    Var(String),
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    At,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eql,
    Neq,
    Gtr,
    Lss,
    Gte,
    Lte,
    /// `=` in a label matcher.
    Assign,
    EqlRegex,
    NeqRegex,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

impl Tok {
    /// How the token is written, for messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Number(x) => format!("number {}", x),
            Tok::Duration(_) => "duration".to_string(),
            Tok::Str(s) => format!("string \"{}\"", s),
            Tok::Ident(s) => format!("“{}”", s),
            Tok::Var(s) => format!("variable ${}", s),
            Tok::LParen => "“(”".into(),
            Tok::RParen => "“)”".into(),
            Tok::LBrace => "“{”".into(),
            Tok::RBrace => "“}”".into(),
            Tok::LBracket => "“[”".into(),
            Tok::RBracket => "“]”".into(),
            Tok::Comma => "“,”".into(),
            Tok::Colon => "“:”".into(),
            Tok::At => "“@”".into(),
            Tok::Add => "“+”".into(),
            Tok::Sub => "“-”".into(),
            Tok::Mul => "“*”".into(),
            Tok::Div => "“/”".into(),
            Tok::Mod => "“%”".into(),
            Tok::Pow => "“^”".into(),
            Tok::Eql => "“==”".into(),
            Tok::Neq => "“!=”".into(),
            Tok::Gtr => "“>”".into(),
            Tok::Lss => "“<”".into(),
            Tok::Gte => "“>=”".into(),
            Tok::Lte => "“<=”".into(),
            Tok::Assign => "“=”".into(),
            Tok::EqlRegex => "“=~”".into(),
            Tok::NeqRegex => "“!~”".into(),
            Tok::Eof => "the end of the query".into(),
        }
    }
}

/// The longest duration accepted (1000 years), so that time arithmetic cannot overflow.
pub const MAX_DURATION_MS: i64 = 1000 * 31_536_000_000;

/// The longest query text accepted (a guard against pasting a file by mistake).
pub const MAX_QUERY: usize = 20_000;

/// Splits `src` into tokens. Comments (`#` to the end of the line) and white space are
/// skipped.
pub fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    if src.len() > MAX_QUERY {
        return Err(ParseError::new(
            Span::new(0, 0),
            format!("The query is {} characters long; at most {} are accepted.", src.len(), MAX_QUERY),
        ));
    }
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let two = |a: u8, b: u8| c == a && bytes.get(i + 1) == Some(&b);
        let simple = match c {
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b'{' => Some(Tok::LBrace),
            b'}' => Some(Tok::RBrace),
            b'[' => Some(Tok::LBracket),
            b']' => Some(Tok::RBracket),
            b',' => Some(Tok::Comma),
            b':' => Some(Tok::Colon),
            b'@' => Some(Tok::At),
            b'+' => Some(Tok::Add),
            b'-' => Some(Tok::Sub),
            b'*' => Some(Tok::Mul),
            b'/' => Some(Tok::Div),
            b'%' => Some(Tok::Mod),
            b'^' => Some(Tok::Pow),
            _ => None,
        };
        if let Some(tok) = simple {
            i += 1;
            out.push(Token { tok, span: Span::new(start, i) });
            continue;
        }
        let pair = if two(b'=', b'=') {
            Some(Tok::Eql)
        } else if two(b'!', b'=') {
            Some(Tok::Neq)
        } else if two(b'>', b'=') {
            Some(Tok::Gte)
        } else if two(b'<', b'=') {
            Some(Tok::Lte)
        } else if two(b'=', b'~') {
            Some(Tok::EqlRegex)
        } else if two(b'!', b'~') {
            Some(Tok::NeqRegex)
        } else {
            None
        };
        if let Some(tok) = pair {
            i += 2;
            out.push(Token { tok, span: Span::new(start, i) });
            continue;
        }
        match c {
            b'>' => {
                i += 1;
                out.push(Token { tok: Tok::Gtr, span: Span::new(start, i) });
            }
            b'<' => {
                i += 1;
                out.push(Token { tok: Tok::Lss, span: Span::new(start, i) });
            }
            b'=' => {
                i += 1;
                out.push(Token { tok: Tok::Assign, span: Span::new(start, i) });
            }
            b'"' | b'\'' | b'`' => {
                let (s, end) = string(src, i)?;
                i = end;
                out.push(Token { tok: Tok::Str(s), span: Span::new(start, i) });
            }
            b'$' => {
                i += 1;
                let braced = bytes.get(i) == Some(&b'{');
                if braced {
                    i += 1;
                }
                let name_start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let name = src.get(name_start..i).unwrap_or("").to_string();
                if braced {
                    if bytes.get(i) != Some(&b'}') {
                        return Err(ParseError::new(Span::new(start, i), "A “${” variable needs its closing “}”."));
                    }
                    i += 1;
                }
                if name.is_empty() {
                    return Err(ParseError::new(
                        Span::new(start, i.max(start + 1)),
                        "“$” must be followed by a variable name, as in $window.",
                    ));
                }
                out.push(Token { tok: Tok::Var(name), span: Span::new(start, i) });
            }
            b'0'..=b'9' | b'.' => {
                let (tok, end) = number_or_duration(src, i)?;
                i = end;
                out.push(Token { tok, span: Span::new(start, i) });
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b':') {
                    i += 1;
                }
                let word = src.get(start..i).unwrap_or("");
                let tok = match word.to_ascii_lowercase().as_str() {
                    "inf" => Tok::Number(f64::INFINITY),
                    "nan" => Tok::Number(f64::NAN),
                    _ => Tok::Ident(word.to_string()),
                };
                out.push(Token { tok, span: Span::new(start, i) });
            }
            _ => {
                let ch = src.get(start..).and_then(|s| s.chars().next()).unwrap_or('?');
                let len = ch.len_utf8();
                let hint = match ch {
                    '−' => " (a typographic minus: use “-”)",
                    '×' => " (use “*” to multiply)",
                    '≥' => " (use “>=”)",
                    '≤' => " (use “<=”)",
                    '!' => " (PromQL has no “!”: use “unless” or “!=”)",
                    '|' | '&' => " (PromQL writes “or” and “and”)",
                    _ => "",
                };
                return Err(ParseError::new(
                    Span::new(start, start + len),
                    format!("Unexpected character “{}”{}.", ch, hint),
                ));
            }
        }
    }
    out.push(Token { tok: Tok::Eof, span: Span::new(src.len(), src.len()) });
    Ok(out)
}

fn string(src: &str, start: usize) -> Result<(String, usize), ParseError> {
    let bytes = src.as_bytes();
    let quote = bytes[start];
    let mut out = String::new();
    let mut i = start + 1;
    while i < bytes.len() {
        let c = bytes[i];
        if c == quote {
            return Ok((out, i + 1));
        }
        if c == b'\\' && quote != b'`' {
            let next = bytes.get(i + 1).copied();
            match next {
                Some(b'n') => out.push('\n'),
                Some(b't') => out.push('\t'),
                Some(b'\\') => out.push('\\'),
                Some(b'"') => out.push('"'),
                Some(b'\'') => out.push('\''),
                Some(b'.') => out.push_str("\\."),
                Some(other) => {
                    out.push('\\');
                    out.push(other as char);
                }
                None => break,
            }
            i += 2;
            continue;
        }
        // Copy one whole UTF-8 character.
        let ch = src.get(i..).and_then(|s| s.chars().next()).unwrap_or('?');
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    Err(ParseError::new(Span::new(start, src.len()), "This string is not closed."))
}

/// Milliseconds per duration unit.
fn unit_ms(unit: &str) -> Option<i64> {
    Some(match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        "y" => 31_536_000_000,
        _ => return None,
    })
}

fn number_or_duration(src: &str, start: usize) -> Result<(Tok, usize), ParseError> {
    let bytes = src.as_bytes();
    let mut i = start;
    // Hexadecimal.
    if bytes.get(i) == Some(&b'0') && matches!(bytes.get(i + 1), Some(b'x') | Some(b'X')) {
        i += 2;
        let digits_start = i;
        while i < bytes.len() && bytes[i].is_ascii_hexdigit() {
            i += 1;
        }
        let digits = src.get(digits_start..i).unwrap_or("");
        let value = i64::from_str_radix(digits, 16)
            .map_err(|_| ParseError::new(Span::new(start, i), "This hexadecimal number is not valid."))?;
        return Ok((Tok::Number(value as f64), i));
    }
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
        i += 1;
    }
    // A duration: digits followed by a unit, possibly several (1h30m).
    if i < bytes.len() && bytes[i].is_ascii_alphabetic() && !matches!(bytes[i], b'e' | b'E') {
        if src.get(start..i).unwrap_or("").contains('.') {
            return Err(ParseError::new(
                Span::new(start, i + 1),
                "A duration must be whole numbers with units, as in 90s or 1h30m (not 1.5h).",
            ));
        }
        let mut total: i64 = 0;
        let mut j = start;
        loop {
            let num_start = j;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            if j == num_start {
                break;
            }
            let n: i64 = src.get(num_start..j).and_then(|s| s.parse().ok()).unwrap_or(-1);
            let unit_start = j;
            while j < bytes.len() && bytes[j].is_ascii_alphabetic() {
                j += 1;
            }
            let unit = src.get(unit_start..j).unwrap_or("");
            let Some(ms) = unit_ms(unit) else {
                return Err(ParseError::new(
                    Span::new(start, j),
                    format!(
                        "“{}” is not a duration unit; PromQL durations use ms, s, m, h, d, w and y (as in 5m or 1h30m).",
                        unit
                    ),
                ));
            };
            if n < 0 {
                return Err(ParseError::new(
                    Span::new(start, j),
                    "A duration must be a whole number with a unit, as in 90s.",
                ));
            }
            total = total.saturating_add(n.saturating_mul(ms));
        }
        if j < bytes.len() && (bytes[j] == b'.' || bytes[j].is_ascii_alphanumeric()) {
            return Err(ParseError::new(
                Span::new(start, j + 1),
                "A duration must be whole numbers with units, as in 90s or 1h30m (not 1.5h).",
            ));
        }
        if total > MAX_DURATION_MS {
            return Err(ParseError::new(
                Span::new(start, j),
                "This duration is longer than this playground evaluates (at most 1000 years).",
            ));
        }
        return Ok((Tok::Duration(total), j));
    }
    // Exponent.
    if i < bytes.len() && matches!(bytes[i], b'e' | b'E') {
        let mut j = i + 1;
        if j < bytes.len() && matches!(bytes[j], b'+' | b'-') {
            j += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    let text = src.get(start..i).unwrap_or("");
    let value: f64 =
        text.parse().map_err(|_| ParseError::new(Span::new(start, i), format!("“{}” is not a number.", text)))?;
    Ok((Tok::Number(value), i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers_durations_and_variables() {
        assert_eq!(
            toks("1.5e3 0x1F 5m 1h30m $w ${k}"),
            vec![
                Tok::Number(1500.0),
                Tok::Number(31.0),
                Tok::Duration(300_000),
                Tok::Duration(5_400_000),
                Tok::Var("w".into()),
                Tok::Var("k".into()),
                Tok::Eof
            ]
        );
        assert_eq!(toks("5ms"), vec![Tok::Duration(5), Tok::Eof]);
    }

    #[test]
    fn operators_and_comments() {
        assert_eq!(
            toks("a >= 3 # comment\n!= =~"),
            vec![Tok::Ident("a".into()), Tok::Gte, Tok::Number(3.0), Tok::Neq, Tok::EqlRegex, Tok::Eof]
        );
    }

    #[test]
    fn bad_characters_are_named() {
        let e = lex("a − b").unwrap_err();
        assert!(e.message.contains("typographic minus"), "{}", e.message);
        assert_eq!(e.span.start, 2);
        assert!(lex("1.5h").unwrap_err().message.contains("whole numbers"));
    }
}
