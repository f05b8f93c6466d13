//! A small regular-expression matcher for label matchers (`=~`, `!~`). Prometheus
//! anchors these at both ends; so does this. It covers literals, `.`, classes
//! (`[a-z]`, `[^0-9]`, `\d`, `\w`, `\s`), groups, alternation and the `*`, `+`, `?`
//! quantifiers.

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Char(char),
    Any,
    Class { ranges: Vec<(char, char)>, negated: bool },
    Group(Vec<Vec<Node>>),
    Repeat { node: Box<Node>, min: usize, max: Option<usize> },
}

/// A compiled pattern: a Thompson NFA, simulated state set by state set, so matching
/// takes time linear in the input whatever the pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Regex {
    prog: Vec<Inst>,
}

#[derive(Debug, Clone, PartialEq)]
enum Inst {
    /// Consume one character matching the node (Char, Any or Class).
    One(Node),
    Split(usize, usize),
    Jmp(usize),
    Match,
}

impl Regex {
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let alternatives = parse_alt(&chars, &mut pos, 0)?;
        if pos != chars.len() {
            return Err(format!("The regular expression “{}” has an unmatched “)”.", pattern));
        }
        let mut prog = Vec::new();
        emit(&Node::Group(alternatives), &mut prog);
        prog.push(Inst::Match);
        if prog.len() > 10_000 {
            return Err("The regular expression is too long.".into());
        }
        Ok(Regex { prog })
    }

    /// Whether the whole of `s` matches.
    pub fn is_match(&self, s: &str) -> bool {
        let n = self.prog.len();
        let mut current = vec![false; n];
        let mut list = Vec::new();
        add(&self.prog, 0, &mut current, &mut list);
        for ch in s.chars() {
            let mut next = vec![false; n];
            let mut next_list = Vec::new();
            for &pc in &list {
                if let Some(Inst::One(node)) = self.prog.get(pc) {
                    if single(node, ch) {
                        add(&self.prog, pc + 1, &mut next, &mut next_list);
                    }
                }
            }
            if next_list.is_empty() {
                return false;
            }
            current = next;
            list = next_list;
        }
        let _ = current;
        list.iter().any(|&pc| matches!(self.prog.get(pc), Some(Inst::Match)))
    }
}

/// Adds `pc` and everything reachable from it without consuming input.
fn add(prog: &[Inst], pc: usize, on: &mut [bool], list: &mut Vec<usize>) {
    let mut stack = vec![pc];
    while let Some(pc) = stack.pop() {
        if pc >= on.len() || on[pc] {
            continue;
        }
        on[pc] = true;
        match &prog[pc] {
            Inst::Jmp(a) => stack.push(*a),
            Inst::Split(a, b) => {
                stack.push(*b);
                stack.push(*a);
            }
            _ => list.push(pc),
        }
    }
}

fn emit(node: &Node, prog: &mut Vec<Inst>) {
    match node {
        Node::Group(alts) => {
            // alt1 | alt2 | … as a chain of splits.
            let mut jumps = Vec::new();
            for (i, alt) in alts.iter().enumerate() {
                let last = i + 1 == alts.len();
                let split = prog.len();
                if !last {
                    prog.push(Inst::Split(0, 0));
                }
                for n in alt {
                    emit(n, prog);
                }
                if !last {
                    jumps.push(prog.len());
                    prog.push(Inst::Jmp(0));
                    let next = prog.len();
                    prog[split] = Inst::Split(split + 1, next);
                }
            }
            let end = prog.len();
            for j in jumps {
                prog[j] = Inst::Jmp(end);
            }
        }
        Node::Repeat { node, min, max } => {
            for _ in 0..*min {
                emit(node, prog);
            }
            match max {
                None => {
                    let split = prog.len();
                    prog.push(Inst::Split(0, 0));
                    emit(node, prog);
                    prog.push(Inst::Jmp(split));
                    let end = prog.len();
                    prog[split] = Inst::Split(split + 1, end);
                }
                Some(m) => {
                    for _ in *min..*m {
                        let split = prog.len();
                        prog.push(Inst::Split(0, 0));
                        emit(node, prog);
                        let end = prog.len();
                        prog[split] = Inst::Split(split + 1, end);
                    }
                }
            }
        }
        other => prog.push(Inst::One(other.clone())),
    }
}

fn parse_alt(c: &[char], pos: &mut usize, depth: usize) -> Result<Vec<Vec<Node>>, String> {
    if depth > 50 {
        return Err("The regular expression nests too deeply.".into());
    }
    let mut alts = vec![Vec::new()];
    while *pos < c.len() {
        let ch = c[*pos];
        match ch {
            '|' => {
                *pos += 1;
                alts.push(Vec::new());
                continue;
            }
            ')' => break,
            _ => {}
        }
        let atom = parse_atom(c, pos, depth)?;
        let atom = parse_quant(c, pos, atom)?;
        if let Some(last) = alts.last_mut() {
            last.push(atom);
        }
    }
    Ok(alts)
}

fn parse_quant(c: &[char], pos: &mut usize, atom: Node) -> Result<Node, String> {
    let (min, max) = match c.get(*pos) {
        Some('*') => (0, None),
        Some('+') => (1, None),
        Some('?') => (0, Some(1)),
        _ => return Ok(atom),
    };
    *pos += 1;
    // A lazy marker changes nothing for a full match.
    if c.get(*pos) == Some(&'?') {
        *pos += 1;
    }
    Ok(Node::Repeat { node: Box::new(atom), min, max })
}

fn escape_class(ch: char) -> Option<(Vec<(char, char)>, bool)> {
    Some(match ch {
        'd' => (vec![('0', '9')], false),
        'D' => (vec![('0', '9')], true),
        'w' => (vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], false),
        'W' => (vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], true),
        's' => (vec![(' ', ' '), ('\t', '\t'), ('\n', '\n'), ('\r', '\r')], false),
        'S' => (vec![(' ', ' '), ('\t', '\t'), ('\n', '\n'), ('\r', '\r')], true),
        _ => return None,
    })
}

fn parse_atom(c: &[char], pos: &mut usize, depth: usize) -> Result<Node, String> {
    let ch = c[*pos];
    *pos += 1;
    match ch {
        '.' => Ok(Node::Any),
        '(' => {
            // Non-capturing groups read the same.
            if c.get(*pos) == Some(&'?') && c.get(*pos + 1) == Some(&':') {
                *pos += 2;
            }
            let alts = parse_alt(c, pos, depth + 1)?;
            if c.get(*pos) != Some(&')') {
                return Err("A “(” in the regular expression is not closed.".into());
            }
            *pos += 1;
            Ok(Node::Group(alts))
        }
        '[' => {
            let negated = c.get(*pos) == Some(&'^');
            if negated {
                *pos += 1;
            }
            let mut ranges = Vec::new();
            let mut first = true;
            loop {
                let Some(&x) = c.get(*pos) else {
                    return Err("A “[” in the regular expression is not closed.".into());
                };
                *pos += 1;
                if x == ']' && !first {
                    break;
                }
                first = false;
                let lo = if x == '\\' {
                    let Some(&e) = c.get(*pos) else { return Err("A “\\” ends the regular expression.".into()) };
                    *pos += 1;
                    if let Some((rs, false)) = escape_class(e) {
                        ranges.extend(rs);
                        continue;
                    }
                    e
                } else {
                    x
                };
                if c.get(*pos) == Some(&'-') && c.get(*pos + 1).is_some_and(|&n| n != ']') {
                    let hi = c[*pos + 1];
                    *pos += 2;
                    ranges.push((lo, hi));
                } else {
                    ranges.push((lo, lo));
                }
            }
            Ok(Node::Class { ranges, negated })
        }
        '\\' => {
            let Some(&e) = c.get(*pos) else { return Err("A “\\” ends the regular expression.".into()) };
            *pos += 1;
            Ok(match escape_class(e) {
                Some((ranges, negated)) => Node::Class { ranges, negated },
                None => Node::Char(match e {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                }),
            })
        }
        '*' | '+' | '?' => Err(format!("“{}” in the regular expression has nothing to repeat.", ch)),
        '^' | '$' => Ok(Node::Group(vec![Vec::new()])),
        other => Ok(Node::Char(other)),
    }
}

fn single(node: &Node, ch: char) -> bool {
    match node {
        Node::Char(c) => *c == ch,
        Node::Any => ch != '\n',
        Node::Class { ranges, negated } => ranges.iter().any(|&(lo, hi)| lo <= ch && ch <= hi) != *negated,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::Regex;

    #[test]
    fn anchored_matches() {
        let r = Regex::new("5.*").unwrap();
        assert!(r.is_match("500") && r.is_match("5") && !r.is_match("404"));
        let r = Regex::new("a|b(c|d)+").unwrap();
        assert!(r.is_match("a") && r.is_match("bcdc") && !r.is_match("b") && !r.is_match("ab"));
        let r = Regex::new("[^0-9]x?\\d").unwrap();
        assert!(r.is_match("a1") && r.is_match("ax1") && !r.is_match("11"));
        assert!(Regex::new("(a").is_err());
        let r = Regex::new("(a*)*b").unwrap();
        assert!(!r.is_match(&"a".repeat(40)));
    }
}
