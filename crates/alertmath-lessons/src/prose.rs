//! The lesson prose format: a small, strict subset of Markdown with TeX math, compiled
//! to [`Node`] trees at build time.
//!
//! Blocks are separated by blank lines:
//! - `## Heading`, `### Heading`;
//! - `- item` lines (a bullet list) and `1. item` lines (a numbered list);
//! - `> text` (a quotation);
//! - `[erratum] text`, `[note] text`, `[caveat] text` (a callout box);
//! - a fenced code block between lines of three backticks (PromQL, shown verbatim);
//! - `$$ … $$` (display math);
//! - anything else is a paragraph.
//!
//! Inline: `$…$` math, `**strong**`, `*emphasis*`, `` `code` ``, `[text](url)`, and `\$`
//! for a literal dollar sign. Anything malformed is an error with its line number.

use crate::math::tex_to_mathml;
use crate::node::Node;

/// A prose error with the 1-based line it is on (within the prose string).
#[derive(Debug, Clone, PartialEq)]
pub struct ProseError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ProseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Compiles prose into block nodes.
pub fn blocks(src: &str) -> Result<Vec<Node>, ProseError> {
    let lines: Vec<&str> = src.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        if line.trim().is_empty() {
            i += 1;
            continue;
        }
        let start = i + 1;
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                code.push(lines[i]);
                i += 1;
            }
            if i >= lines.len() {
                return Err(ProseError { line: start, message: "code block is not closed with ```".to_string() });
            }
            i += 1;
            out.push(Node::el("pre", vec![Node::leaf("code", code.join("\n"))]));
            continue;
        }
        // Collect the block: consecutive non-blank lines.
        let mut block = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() && !lines[i].trim_start().starts_with("```") {
            block.push(lines[i].trim());
            i += 1;
        }
        out.push(block_node(&block, start)?);
    }
    Ok(out)
}

fn block_node(lines: &[&str], line: usize) -> Result<Node, ProseError> {
    let first = lines.first().copied().unwrap_or("");
    let joined = lines.join(" ");
    let wrap = |e: String| ProseError { line, message: e };
    if let Some(rest) = first.strip_prefix("### ") {
        return Ok(Node::el("h3", inline(rest).map_err(wrap)?));
    }
    if let Some(rest) = first.strip_prefix("## ") {
        return Ok(Node::el("h2", inline(rest).map_err(wrap)?));
    }
    if joined.starts_with("$$") {
        let body = joined.trim_start_matches("$$").trim_end();
        let Some(body) = body.strip_suffix("$$") else {
            return Err(wrap("display math must end with $$".to_string()));
        };
        let math = tex_to_mathml(body.trim(), true).map_err(|e| wrap(format!("in display math: {}", e)))?;
        return Ok(Node::el("div", vec![math]).attr("class", "display-math"));
    }
    if first.starts_with("- ") {
        return list("ul", lines, line, |l| l.strip_prefix("- "));
    }
    if numbered(first).is_some() {
        return list("ol", lines, line, numbered);
    }
    if first.starts_with("> ") || first == ">" {
        let text: Vec<&str> = lines.iter().map(|l| l.trim_start_matches('>').trim()).collect();
        return Ok(Node::el("blockquote", vec![Node::el("p", inline(&text.join(" ")).map_err(wrap)?)]));
    }
    for kind in ["erratum", "note", "caveat"] {
        let tag = format!("[{}]", kind);
        if let Some(rest) = joined.strip_prefix(&tag) {
            let title = match kind {
                "erratum" => "Where the guide is wrong",
                "caveat" => "Caveat",
                _ => "Note",
            };
            return Ok(Node::el(
                "aside",
                vec![Node::leaf("strong", title), Node::el("p", inline(rest.trim()).map_err(wrap)?)],
            )
            .attr("class", kind));
        }
    }
    Ok(Node::el("p", inline(&joined).map_err(wrap)?))
}

fn numbered(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    line.get(digits..).and_then(|rest| rest.strip_prefix(". "))
}

fn list<'a>(
    tag: &'static str,
    lines: &[&'a str],
    line: usize,
    item: impl Fn(&'a str) -> Option<&'a str>,
) -> Result<Node, ProseError> {
    let mut items: Vec<String> = Vec::new();
    for l in lines {
        match item(l) {
            Some(text) => items.push(text.to_string()),
            None => match items.last_mut() {
                // A continuation line of the previous item.
                Some(last) => {
                    last.push(' ');
                    last.push_str(l);
                }
                None => return Err(ProseError { line, message: "list item expected".to_string() }),
            },
        }
    }
    let children = items
        .iter()
        .map(|t| inline(t).map(|c| Node::el("li", c)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ProseError { line, message: e })?;
    Ok(Node::el(tag, children))
}

/// Compiles one line of inline prose.
pub fn inline(src: &str) -> Result<Vec<Node>, String> {
    let mut out: Vec<Node> = Vec::new();
    let mut text = String::new();
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let flush = |text: &mut String, out: &mut Vec<Node>| {
        if !text.is_empty() {
            out.push(Node::text(std::mem::take(text)));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\\' if next == Some('$') || next == Some('*') || next == Some('`') || next == Some('[') => {
                text.push(next.unwrap_or('\\'));
                i += 2;
            }
            '$' => {
                let end = find(&chars, i + 1, '$')
                    .ok_or_else(|| format!("unclosed $ math starting at “{}”", excerpt(&chars, i)))?;
                let tex: String = chars[i + 1..end].iter().collect();
                flush(&mut text, &mut out);
                out.push(tex_to_mathml(tex.trim(), false).map_err(|e| format!("in ${}$: {}", tex, e))?);
                i = end + 1;
            }
            '`' => {
                let end = find(&chars, i + 1, '`')
                    .ok_or_else(|| format!("unclosed ` starting at “{}”", excerpt(&chars, i)))?;
                flush(&mut text, &mut out);
                out.push(Node::leaf("code", chars[i + 1..end].iter().collect::<String>()));
                i = end + 1;
            }
            '*' if next == Some('*') => {
                let end = find_pair(&chars, i + 2, '*')
                    .ok_or_else(|| format!("unclosed ** starting at “{}”", excerpt(&chars, i)))?;
                flush(&mut text, &mut out);
                let inner: String = chars[i + 2..end].iter().collect();
                out.push(Node::el("strong", inline(&inner)?));
                i = end + 2;
            }
            '*' => {
                let end = find(&chars, i + 1, '*')
                    .ok_or_else(|| format!("unclosed * starting at “{}”", excerpt(&chars, i)))?;
                flush(&mut text, &mut out);
                let inner: String = chars[i + 1..end].iter().collect();
                out.push(Node::el("em", inline(&inner)?));
                i = end + 1;
            }
            '[' => match link(&chars, i) {
                Some((label, href, end)) => {
                    if !(href.starts_with("https://")
                        || href.starts_with("http://")
                        || href.starts_with('#')
                        || href.starts_with("lesson.html")
                        || href.starts_with("./"))
                    {
                        return Err(format!(
                            "link target “{}” must be http(s), a #fragment or a lesson.html link",
                            href
                        ));
                    }
                    flush(&mut text, &mut out);
                    out.push(Node::el("a", inline(&label)?).attr("href", href));
                    i = end;
                }
                None => {
                    text.push(c);
                    i += 1;
                }
            },
            _ => {
                text.push(c);
                i += 1;
            }
        }
    }
    flush(&mut text, &mut out);
    Ok(out)
}

fn find(chars: &[char], from: usize, target: char) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == '\\' {
            i += 2;
            continue;
        }
        if chars[i] == target {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn find_pair(chars: &[char], from: usize, target: char) -> Option<usize> {
    (from..chars.len().saturating_sub(1)).find(|&i| chars[i] == target && chars.get(i + 1) == Some(&target))
}

fn link(chars: &[char], start: usize) -> Option<(String, String, usize)> {
    let close = find(chars, start + 1, ']')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = find(chars, close + 2, ')')?;
    Some((chars[start + 1..close].iter().collect(), chars[close + 2..end].iter().collect(), end + 1))
}

fn excerpt(chars: &[char], at: usize) -> String {
    chars[at..].iter().take(24).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(nodes: &[Node]) -> String {
        nodes
            .iter()
            .map(|n| match n {
                Node::Text(t) => t.clone(),
                Node::Element { t, c, .. } => format!("<{t}>{}</{t}>", render(c)),
            })
            .collect()
    }

    #[test]
    fn paragraphs_lists_and_callouts() {
        let src = "First *one*\nstill first.\n\n- a\n- **b**\n\n[erratum] It says `41`.\n\n```\nrate(x[5m])\n```";
        let out = blocks(src).unwrap();
        assert_eq!(
            render(&out),
            "<p>First <em>one</em> still first.</p><ul><li>a</li><li><strong>b</strong></li></ul><aside><strong>Where the guide is wrong</strong><p>It says <code>41</code>.</p></aside><pre><code>rate(x[5m])</code></pre>"
        );
    }

    #[test]
    fn inline_math_becomes_mathml() {
        let out = inline("so $x$ is").unwrap();
        assert_eq!(out.get(1).and_then(Node::tag), Some("math"));
    }

    #[test]
    fn links_are_restricted() {
        assert!(inline("[x](javascript:alert(1))").is_err());
        assert!(inline("[x](https://prometheus.io)").is_ok());
    }

    #[test]
    fn unclosed_markup_is_an_error_with_a_line() {
        let e = blocks("ok\n\nbad *emphasis").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(inline("$x").is_err());
        assert!(blocks("```\nno end").is_err());
    }

    #[test]
    fn escaped_dollar_is_text() {
        assert_eq!(render(&inline(r"costs \$5").unwrap()), "costs $5");
    }
}
