//! Converts the small subset of LaTeX math that lesson formulas use into a MathML Core
//! [`Node`] tree.
//!
//! Lesson formulas are compiled to MathML at build time, so the page needs no math
//! library and never parses HTML: it only turns the resulting tree into DOM nodes. This
//! is not a TeX engine. It understands exactly this subset and reports anything else as
//! a [`MathError`] with the byte offset of the problem:
//!
//! - Latin letters (one `mi` each), Greek letters and `\ell \partial \nabla \infty`,
//!   and Unicode letters typed directly.
//! - Numbers such as `3.14` (one `mn`).
//! - Operators: `+ - = < > ( ) [ ] , ; : ! / | . *`, relation and arrow commands such as
//!   `\le \approx \to`, delimiters such as `\langle \lfloor \{`, `\sum \prod`, and
//!   Unicode operators typed directly (`− × ≤ ≥ ≈ · ± → √`).
//! - Function names (`\max \min \lim \log \ln \exp \sin \cos \tan \arg \det`),
//!   `\operatorname{..}` and `\mathrm{..}`.
//! - Spacing: `\quad \qquad \, \: \; \!` and `\ ` (backslash space).
//! - Groups `{..}`, `\frac \dfrac \tfrac`, `\sqrt{..}`, `\sqrt[n]{..}`, `\text{..}`,
//!   accents `\hat \bar \overline \tilde`, and `\left ... \right` fences.
//! - Scripts `_` and `^` (and primes `'`); `\sum \prod \max \min \lim` put their
//!   limits under and over in display mode.
//! - The environments `cases`, `matrix`, `pmatrix`, `bmatrix` and `vmatrix`.

use crate::node::Node;
use std::fmt;

/// A formula the converter cannot handle, with the byte offset of the problem in the
/// source.
#[derive(Debug, Clone, PartialEq)]
pub struct MathError {
    /// What is wrong and, where it helps, what is supported instead.
    pub message: String,
    /// The byte offset in the source where the problem starts.
    pub offset: usize,
}

impl fmt::Display for MathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at offset {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for MathError {}

/// Converts the TeX formula `src` into a `math` element; `display` selects block layout.
pub fn tex_to_mathml(src: &str, display: bool) -> Result<Node, MathError> {
    let mut parser = Parser::new(src, display);
    let children = parser.parse_row(Until::End)?;
    let math = Node::el("math", children);
    Ok(if display { math.attr("display", "block") } else { math })
}

/// The deepest nesting accepted, so that hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 64;

/// Commands that become a single-character identifier.
#[rustfmt::skip]
const IDENTIFIERS: &[(&str, &str)] = &[
    ("alpha", "α"), ("beta", "β"), ("gamma", "γ"), ("delta", "δ"), ("epsilon", "ϵ"), ("varepsilon", "ε"),
    ("zeta", "ζ"), ("eta", "η"), ("theta", "θ"), ("kappa", "κ"), ("lambda", "λ"), ("mu", "μ"), ("nu", "ν"),
    ("xi", "ξ"), ("pi", "π"), ("rho", "ρ"), ("sigma", "σ"), ("tau", "τ"), ("phi", "ϕ"), ("varphi", "φ"),
    ("chi", "χ"), ("psi", "ψ"), ("omega", "ω"),
    ("Gamma", "Γ"), ("Delta", "Δ"), ("Theta", "Θ"), ("Lambda", "Λ"), ("Pi", "Π"), ("Sigma", "Σ"),
    ("Phi", "Φ"), ("Psi", "Ψ"), ("Omega", "Ω"),
    ("ell", "ℓ"), ("partial", "∂"), ("nabla", "∇"), ("infty", "∞"),
];

/// Commands that become an operator.
#[rustfmt::skip]
const OPERATORS: &[(&str, &str)] = &[
    ("times", "×"), ("cdot", "⋅"), ("pm", "±"), ("mp", "∓"),
    ("le", "≤"), ("leq", "≤"), ("ge", "≥"), ("geq", "≥"), ("ne", "≠"), ("neq", "≠"),
    ("approx", "≈"), ("sim", "∼"), ("in", "∈"), ("mid", "∣"),
    ("to", "→"), ("rightarrow", "→"), ("Rightarrow", "⇒"), ("leftarrow", "←"),
    ("ldots", "…"), ("cdots", "⋯"), ("sum", "∑"), ("prod", "∏"),
    ("lvert", "|"), ("rvert", "|"), ("lVert", "‖"), ("rVert", "‖"), ("|", "‖"), ("{", "{"), ("}", "}"),
    ("lfloor", "⌊"), ("rfloor", "⌋"), ("lceil", "⌈"), ("rceil", "⌉"), ("langle", "⟨"), ("rangle", "⟩"),
];

/// The operator commands that may follow `\left` and `\right`.
#[rustfmt::skip]
const DELIMITER_COMMANDS: &[&str] = &[
    "lvert", "rvert", "lVert", "rVert", "|", "{", "}", "lfloor", "rfloor", "lceil", "rceil", "langle", "rangle",
];

/// Plain characters that may follow `\left` and `\right` (`.` means no delimiter).
const DELIMITER_CHARS: &str = "()[]|/";

/// Commands that become an upright function name.
#[rustfmt::skip]
const FUNCTIONS: &[&str] = &["max", "min", "lim", "log", "ln", "exp", "sin", "cos", "tan", "arg", "det"];

/// Commands whose scripts become limits under and over them in display mode.
const LIMIT_COMMANDS: &[&str] = &["sum", "prod", "max", "min", "lim"];

/// Spacing commands and their widths; `None` means the command produces nothing.
#[rustfmt::skip]
const SPACES: &[(&str, Option<&str>)] = &[
    ("quad", Some("1em")), ("qquad", Some("2em")), (",", Some("0.1667em")), (":", Some("0.2222em")),
    (";", Some("0.2778em")), (" ", Some("0.25em")), ("!", None),
];

/// Accent commands and the mark placed over their argument.
const ACCENTS: &[(&str, &str)] = &[("hat", "^"), ("bar", "¯"), ("overline", "‾"), ("tilde", "~")];

/// Commands that take arguments or end a construct; `parse_structure` handles them.
#[rustfmt::skip]
const STRUCTURES: &[&str] = &[
    "frac", "dfrac", "tfrac", "sqrt", "text", "mathrm", "operatorname", "left", "right", "begin", "end",
];

/// ASCII characters that become an operator as typed (`-`, `*` and `'` are mapped).
const ASCII_OPERATORS: &str = "+=<>()[],;:!/|.";

/// Non-ASCII operators accepted as typed, besides the characters in [`OPERATORS`].
const UNICODE_OPERATORS: &str = "−×≤≥≈·±→√′";

const AMPERSAND_MESSAGE: &str =
    "& separates cells and is only allowed directly inside \\begin{cases}, {matrix}, {pmatrix}, {bmatrix} or {vmatrix}";
const NEWLINE_MESSAGE: &str =
    "\\\\ starts a new row and is only allowed directly inside \\begin{cases}, {matrix}, {pmatrix}, {bmatrix} or {vmatrix}";

/// A supported environment and how it is drawn.
#[derive(Debug)]
struct Environment {
    name: &'static str,
    open: Option<&'static str>,
    close: Option<&'static str>,
    align_left: bool,
}

#[rustfmt::skip]
const ENVIRONMENTS: &[Environment] = &[
    Environment { name: "cases", open: Some("{"), close: None, align_left: true },
    Environment { name: "matrix", open: None, close: None, align_left: false },
    Environment { name: "pmatrix", open: Some("("), close: Some(")"), align_left: false },
    Environment { name: "bmatrix", open: Some("["), close: Some("]"), align_left: false },
    Environment { name: "vmatrix", open: Some("|"), close: Some("|"), align_left: false },
];

/// What ends the row being parsed; each variant except `End` keeps the opener's offset.
#[derive(Debug, Clone, Copy)]
enum Until {
    End,
    Brace(usize),
    Bracket(usize),
    Right(usize),
    Cell { at: usize, env: &'static str },
}

/// A parsed node and whether its scripts become limits in display mode.
#[derive(Debug)]
struct Atom {
    node: Node,
    limits: bool,
}

impl Atom {
    fn plain(node: Node) -> Atom {
        Atom { node, limits: false }
    }
}

fn error(offset: usize, message: impl Into<String>) -> MathError {
    MathError { message: message.into(), offset }
}

fn lookup<K: PartialEq + Copy, T: Copy>(table: &[(K, T)], key: K) -> Option<T> {
    table.iter().find(|&&(k, _)| k == key).map(|&(_, value)| value)
}

fn mo(text: &str) -> Node {
    Node::leaf("mo", text)
}

/// An identifier; upper-case Greek letters are marked upright, as TeX draws them.
fn identifier(text: &str) -> Node {
    let mut chars = text.chars();
    let upper_greek = matches!((chars.next(), chars.next()), (Some('Α'..='Ω'), None));
    let node = Node::leaf("mi", text);
    if upper_greek {
        node.attr("mathvariant", "normal")
    } else {
        node
    }
}

/// The word of `\mathrm` or `\operatorname`, upright even when it is a single letter.
fn upright(word: &str) -> Node {
    let word: String = word.chars().filter(|c| !c.is_whitespace()).collect();
    match word.chars().count() {
        0 => Node::el("mrow", Vec::new()),
        1 => Node::leaf("mi", word).attr("mathvariant", "normal"),
        _ => Node::leaf("mi", word),
    }
}

/// A stretchy fence.
fn fence(text: &str) -> Node {
    mo(text).attr("fence", "true").attr("stretchy", "true")
}

/// One node for a list: the node itself when there is exactly one, an `mrow` otherwise.
fn row(mut nodes: Vec<Node>) -> Node {
    if nodes.len() == 1 {
        if let Some(only) = nodes.pop() {
            return only;
        }
    }
    Node::el("mrow", nodes)
}

/// The children to put inside an element that already acts as a row (like `msqrt`).
fn children_of(node: Node) -> Vec<Node> {
    match node {
        Node::Element { t: "mrow", a, c } if a.is_empty() => c,
        other => vec![other],
    }
}

fn is_unicode_identifier(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '∂' | '∇' | '∞')
}

fn is_unicode_operator(c: char) -> bool {
    let single = |s: &str| {
        let mut chars = s.chars();
        chars.next() == Some(c) && chars.next().is_none()
    };
    !c.is_ascii() && (UNICODE_OPERATORS.contains(c) || OPERATORS.iter().any(|(_, s)| single(s)))
}

fn unknown_command(name: &str, at: usize) -> MathError {
    let mut names: Vec<&str> = IDENTIFIERS.iter().map(|(n, _)| *n).collect();
    names.extend(OPERATORS.iter().map(|(n, _)| *n));
    names.extend(FUNCTIONS);
    names.extend(SPACES.iter().map(|(n, _)| *n));
    names.extend(ACCENTS.iter().map(|(n, _)| *n));
    names.extend(STRUCTURES);
    names.sort_unstable();
    names.dedup();
    let list: Vec<String> = names.iter().map(|n| format!("\\{n}")).collect();
    error(at, format!("unknown command \\{name}; supported: {}", list.join(" ")))
}

/// A recursive-descent parser over the characters of the source, with byte offsets.
#[derive(Debug)]
struct Parser {
    chars: Vec<(usize, char)>,
    len: usize,
    pos: usize,
    depth: usize,
    display: bool,
}

impl Parser {
    fn new(src: &str, display: bool) -> Parser {
        Parser { chars: src.char_indices().collect(), len: src.len(), pos: 0, depth: 0, display }
    }

    fn peek(&self) -> Option<char> {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos.saturating_add(ahead)).map(|&(_, c)| c)
    }

    /// The byte offset of the next character, or the source length at the end.
    fn offset(&self) -> usize {
        self.chars.get(self.pos).map_or(self.len, |&(offset, _)| offset)
    }

    fn bump(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// The name of the command starting at the next character, without consuming it: a
    /// run of ASCII letters, or else the single character after the backslash.
    fn peek_command(&self) -> Option<String> {
        if self.peek() != Some('\\') {
            return None;
        }
        let first = self.peek_at(1)?;
        if !first.is_ascii_alphabetic() {
            return Some(first.to_string());
        }
        let letters = self.chars.iter().skip(self.pos.saturating_add(1)).map(|&(_, c)| c);
        Some(letters.take_while(char::is_ascii_alphabetic).collect())
    }

    /// Consumes a command and returns its name and the offset of its backslash.
    fn read_command(&mut self) -> Result<(String, usize), MathError> {
        let at = self.offset();
        let name = self
            .peek_command()
            .ok_or_else(|| error(at, "a backslash must be followed by a command name, e.g. \\alpha"))?;
        self.pos = self.pos.saturating_add(1 + name.chars().count());
        Ok((name, at))
    }

    /// Parses nodes until the terminator of `until`, which is left unconsumed.
    fn parse_row(&mut self, until: Until) -> Result<Vec<Node>, MathError> {
        let mut nodes = Vec::new();
        loop {
            self.skip_whitespace();
            if self.at_row_end(until)? {
                return Ok(nodes);
            }
            if let Some(atom) = self.parse_atom()? {
                nodes.push(self.parse_scripts(atom)?);
            }
        }
    }

    /// Whether the next token ends a row of kind `until`; the end of input is an error
    /// for every row except the outermost one.
    fn at_row_end(&self, until: Until) -> Result<bool, MathError> {
        let Some(c) = self.peek() else {
            return match until {
                Until::End => Ok(true),
                _ => Err(Self::unclosed(until)),
            };
        };
        let command = self.peek_command();
        let command = command.as_deref();
        Ok(match until {
            Until::End => false,
            Until::Brace(_) => c == '}',
            Until::Bracket(_) => c == ']',
            Until::Right(_) => command == Some("right"),
            Until::Cell { .. } => c == '&' || matches!(command, Some("\\" | "end")),
        })
    }

    fn unclosed(until: Until) -> MathError {
        match until {
            // The outermost row ends cleanly at the end of input, so this is never used.
            Until::End => error(0, "unexpected end of formula"),
            Until::Brace(at) => error(at, "unbalanced brace: this { is never closed by }"),
            Until::Bracket(at) => error(at, "the [ of \\sqrt[..] is never closed by ]"),
            Until::Right(at) => error(at, "this \\left is never closed by \\right"),
            Until::Cell { at, env } => error(at, format!("\\begin{{{env}}} is never closed by \\end{{{env}}}")),
        }
    }

    /// Parses one atom, guarding the nesting depth; `None` means the input produced
    /// nothing (like `\!`).
    fn parse_atom(&mut self) -> Result<Option<Atom>, MathError> {
        if self.depth >= MAX_DEPTH {
            return Err(error(self.offset(), format!("formula is nested more than {MAX_DEPTH} levels deep")));
        }
        self.depth += 1;
        let result = self.parse_atom_inner();
        self.depth = self.depth.saturating_sub(1);
        result
    }

    fn parse_atom_inner(&mut self) -> Result<Option<Atom>, MathError> {
        let at = self.offset();
        let Some(c) = self.peek() else {
            return Err(error(at, "the formula ends where more was expected"));
        };
        let starts_number = c.is_ascii_digit() || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()));
        match c {
            '\\' => self.parse_command(),
            '{' => self.parse_group().map(|node| Some(Atom::plain(node))),
            // A script with no base attaches to an empty row; `parse_scripts` reads it.
            '_' | '^' => Ok(Some(Atom::plain(Node::el("mrow", Vec::new())))),
            _ if starts_number => Ok(Some(Atom::plain(self.parse_number()))),
            _ => {
                self.bump();
                Self::parse_char(c, at).map(Some)
            }
        }
    }

    /// Converts a single typed character other than `\`, `{`, `_`, `^` and digits.
    fn parse_char(c: char, at: usize) -> Result<Atom, MathError> {
        let node = match c {
            'a'..='z' | 'A'..='Z' => Node::leaf("mi", c.to_string()),
            '-' => mo("−"),
            '*' => mo("∗"),
            '\'' => mo("′"),
            '}' => return Err(error(at, "unbalanced brace: this } has no matching {")),
            '&' => return Err(error(at, AMPERSAND_MESSAGE)),
            _ if ASCII_OPERATORS.contains(c) => mo(&c.to_string()),
            _ if !c.is_ascii() && is_unicode_identifier(c) => identifier(&c.to_string()),
            _ if is_unicode_operator(c) => {
                return Ok(Atom { node: mo(&c.to_string()), limits: matches!(c, '∑' | '∏') });
            }
            _ => {
                return Err(error(
                    at,
                    format!("unsupported character {c:?}; use letters, digits, + - = < > ( ) [ ] , ; : ! / | ' . * or a command"),
                ))
            }
        };
        Ok(Atom::plain(node))
    }

    /// Digits with an optional decimal part, as one `mn`.
    fn parse_number(&mut self) -> Node {
        let mut text = String::new();
        self.take_digits(&mut text);
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
            text.push('.');
            self.bump();
            self.take_digits(&mut text);
        }
        Node::leaf("mn", text)
    }

    fn take_digits(&mut self, text: &mut String) {
        while let Some(d) = self.peek().filter(char::is_ascii_digit) {
            text.push(d);
            self.bump();
        }
    }

    /// Parses `{..}` starting at the opening brace.
    fn parse_group(&mut self) -> Result<Node, MathError> {
        let at = self.offset();
        self.bump();
        let nodes = self.parse_row(Until::Brace(at))?;
        self.bump();
        Ok(row(nodes))
    }

    /// Reads any `_`, `^` and `'` after `atom` and wraps it in the matching script element.
    fn parse_scripts(&mut self, atom: Atom) -> Result<Node, MathError> {
        let (mut sub, mut sup, mut primes) = (None, None, 0usize);
        loop {
            self.skip_whitespace();
            let at = self.offset();
            match self.peek() {
                Some('_') if sub.is_some() => return Err(error(at, "double subscript; put both parts in one {..}")),
                Some('^') if sup.is_some() => return Err(error(at, "double superscript; put both parts in one {..}")),
                Some('_') => {
                    self.bump();
                    sub = Some(self.parse_argument("subscript after _")?);
                }
                Some('^') => {
                    self.bump();
                    sup = Some(self.parse_argument("superscript after ^")?);
                }
                Some('\'') if sup.is_none() => {
                    self.bump();
                    primes += 1;
                }
                _ => break,
            }
        }
        if primes > 0 {
            let prime = mo(&"′".repeat(primes));
            sup = Some(match sup {
                Some(s) => Node::el("mrow", vec![prime, s]),
                None => prime,
            });
        }
        Ok(self.attach_scripts(atom, sub, sup))
    }

    fn attach_scripts(&self, atom: Atom, sub: Option<Node>, sup: Option<Node>) -> Node {
        let limits = self.display && atom.limits;
        let base = atom.node;
        match (sub, sup) {
            (None, None) => base,
            (Some(b), None) => Node::el(if limits { "munder" } else { "msub" }, vec![base, b]),
            (None, Some(p)) => Node::el(if limits { "mover" } else { "msup" }, vec![base, p]),
            (Some(b), Some(p)) => Node::el(if limits { "munderover" } else { "msubsup" }, vec![base, b, p]),
        }
    }

    /// Whether the next token cannot start an argument.
    fn at_argument_end(&self) -> bool {
        match self.peek() {
            None | Some('}' | '&' | '_' | '^') => true,
            Some('\\') => matches!(self.peek_command().as_deref(), None | Some("\\" | "right" | "end")),
            Some(_) => false,
        }
    }

    /// Parses a command or script argument: a `{..}` group, a single digit, or one atom.
    fn parse_argument(&mut self, what: &str) -> Result<Node, MathError> {
        self.skip_whitespace();
        let at = self.offset();
        let missing = || error(at, format!("missing {what}; write it in braces, e.g. {{x}}"));
        if self.at_argument_end() {
            return Err(missing());
        }
        match self.peek() {
            Some('{') => self.parse_group(),
            Some(d) if d.is_ascii_digit() => {
                self.bump();
                Ok(Node::leaf("mn", d.to_string()))
            }
            _ => self.parse_atom()?.map(|atom| atom.node).ok_or_else(missing),
        }
    }

    /// Parses the command at the next character and everything it takes.
    fn parse_command(&mut self) -> Result<Option<Atom>, MathError> {
        let (name, at) = self.read_command()?;
        let name = name.as_str();
        if let Some(text) = lookup(IDENTIFIERS, name) {
            return Ok(Some(Atom::plain(identifier(text))));
        }
        if let Some(text) = lookup(OPERATORS, name) {
            return Ok(Some(Atom { node: mo(text), limits: LIMIT_COMMANDS.contains(&name) }));
        }
        if FUNCTIONS.contains(&name) {
            return Ok(Some(Atom { node: Node::leaf("mi", name), limits: LIMIT_COMMANDS.contains(&name) }));
        }
        if let Some(width) = lookup(SPACES, name) {
            return Ok(width.map(|w| Atom::plain(Node::el("mspace", Vec::new()).attr("width", w))));
        }
        if let Some(mark) = lookup(ACCENTS, name) {
            let base = self.parse_argument(&format!("argument of \\{name}"))?;
            let accent = Node::el("mover", vec![base, mo(mark)]).attr("accent", "true");
            return Ok(Some(Atom::plain(accent)));
        }
        self.parse_structure(name, at).map(|node| Some(Atom::plain(node)))
    }

    fn parse_structure(&mut self, name: &str, at: usize) -> Result<Node, MathError> {
        match name {
            "frac" | "dfrac" | "tfrac" => {
                let numerator = self.parse_argument(&format!("numerator of \\{name}"))?;
                let denominator = self.parse_argument(&format!("denominator of \\{name}"))?;
                Ok(Node::el("mfrac", vec![numerator, denominator]))
            }
            "sqrt" => self.parse_sqrt(),
            "text" => Ok(Node::leaf("mtext", self.read_literal(name)?)),
            "mathrm" | "operatorname" => Ok(upright(&self.read_literal(name)?)),
            "left" => self.parse_left_right(at),
            "begin" => self.parse_environment(at),
            "right" => Err(error(at, "\\right has no matching \\left here (is a { still open?)")),
            "end" => Err(error(at, "\\end has no matching \\begin here (is a { or \\left still open?)")),
            "\\" => Err(error(at, NEWLINE_MESSAGE)),
            _ => Err(unknown_command(name, at)),
        }
    }

    /// Parses the rest of `\sqrt` or `\sqrt[n]`; MathML wants the base before the index.
    fn parse_sqrt(&mut self) -> Result<Node, MathError> {
        self.skip_whitespace();
        let mut index = None;
        if self.peek() == Some('[') {
            let at = self.offset();
            self.bump();
            index = Some(row(self.parse_row(Until::Bracket(at))?));
            self.bump();
        }
        let body = self.parse_argument("argument of \\sqrt")?;
        Ok(match index {
            Some(index) => Node::el("mroot", vec![body, index]),
            None => Node::el("msqrt", children_of(body)),
        })
    }

    /// Reads the braced literal argument of `\text` and friends; braces inside are
    /// dropped and `\{ \} \_ \% \& \$ \#` and `\ ` stand for the character itself.
    fn read_literal(&mut self, command: &str) -> Result<String, MathError> {
        self.skip_whitespace();
        let open = self.offset();
        if self.peek() != Some('{') {
            return Err(error(open, format!("\\{command} needs a braced argument, e.g. \\{command}{{word}}")));
        }
        self.bump();
        let (mut out, mut depth) = (String::new(), 0usize);
        loop {
            let at = self.offset();
            let Some(c) = self.peek() else {
                return Err(error(open, "unbalanced brace: this { is never closed by }"));
            };
            self.bump();
            match c {
                '}' if depth == 0 => return Ok(out),
                '}' => depth -= 1,
                '{' => depth += 1,
                '\\' => out.push(self.read_literal_escape(command, at)?),
                _ => out.push(c),
            }
        }
    }

    fn read_literal_escape(&mut self, command: &str, at: usize) -> Result<char, MathError> {
        match self.peek() {
            Some(c @ ('{' | '}' | '_' | '%' | '&' | '$' | '#' | ' ')) => {
                self.bump();
                Ok(c)
            }
            _ => Err(error(
                at,
                format!("inside \\{command}{{..}} a backslash may only escape {{ }} _ % & $ # or a space"),
            )),
        }
    }

    /// Parses `\left<d> .. \right<d>` after the `\left`, whose offset is `at`.
    fn parse_left_right(&mut self, at: usize) -> Result<Node, MathError> {
        let open = self.parse_delimiter("left")?;
        let mut nodes: Vec<Node> = open.into_iter().collect();
        nodes.extend(self.parse_row(Until::Right(at))?);
        self.read_command()?;
        let close = self.parse_delimiter("right")?;
        nodes.extend(close);
        Ok(Node::el("mrow", nodes))
    }

    /// Reads the delimiter after `\left` or `\right` and returns its fence; the null
    /// delimiter `.` gives none.
    fn parse_delimiter(&mut self, command: &str) -> Result<Option<Node>, MathError> {
        self.skip_whitespace();
        let at = self.offset();
        let text = match self.peek() {
            Some('.') => {
                self.bump();
                return Ok(None);
            }
            Some('\\') => {
                let (name, _) = self.read_command()?;
                let name = name.as_str();
                if DELIMITER_COMMANDS.contains(&name) {
                    lookup(OPERATORS, name).map(str::to_owned)
                } else {
                    None
                }
            }
            Some(c) if DELIMITER_CHARS.contains(c) => {
                self.bump();
                Some(c.to_string())
            }
            _ => None,
        };
        text.map(|t| Some(fence(&t))).ok_or_else(|| {
            let names: Vec<String> = DELIMITER_COMMANDS.iter().map(|n| format!("\\{n}")).collect();
            error(at, format!("\\{command} must be followed by a delimiter: ( ) [ ] | / . {}", names.join(" ")))
        })
    }

    /// Parses `\begin{name} .. \end{name}` after the `\begin`, whose offset is `at`.
    fn parse_environment(&mut self, at: usize) -> Result<Node, MathError> {
        let name = self.read_literal("begin")?;
        let name = name.trim();
        let Some(env) = ENVIRONMENTS.iter().find(|e| e.name == name) else {
            let names: Vec<&str> = ENVIRONMENTS.iter().map(|e| e.name).collect();
            return Err(error(at, format!("unknown environment {name}; supported: {}", names.join(", "))));
        };
        let rows = self.parse_table_rows(env, at)?;
        let mut nodes: Vec<Node> = env.open.map(fence).into_iter().collect();
        nodes.push(Node::el("mtable", rows));
        nodes.extend(env.close.map(fence));
        Ok(row(nodes))
    }

    /// Parses cells separated by `&` and rows separated by `\\` up to the `\end`.
    fn parse_table_rows(&mut self, env: &Environment, at: usize) -> Result<Vec<Node>, MathError> {
        let (mut rows, mut cells) = (Vec::new(), Vec::new());
        loop {
            cells.push(self.parse_row(Until::Cell { at, env: env.name })?);
            if self.peek() == Some('&') {
                self.bump();
                continue;
            }
            let (command, command_at) = self.read_command()?;
            match command.as_str() {
                "\\" => rows.push(Self::table_row(env, std::mem::take(&mut cells))),
                "end" => {
                    self.expect_end(env, command_at)?;
                    // A trailing `\\` before `\end` does not start a real row.
                    let trailing = cells.len() == 1 && cells.iter().all(Vec::is_empty);
                    if !trailing || rows.is_empty() {
                        rows.push(Self::table_row(env, cells));
                    }
                    return Ok(rows);
                }
                _ => return Err(error(command_at, "expected &, \\\\ or \\end")),
            }
        }
    }

    fn expect_end(&mut self, env: &Environment, at: usize) -> Result<(), MathError> {
        let name = self.read_literal("end")?;
        if name.trim() == env.name {
            Ok(())
        } else {
            Err(error(at, format!("\\begin{{{}}} is closed by \\end{{{}}}", env.name, name.trim())))
        }
    }

    fn table_row(env: &Environment, cells: Vec<Vec<Node>>) -> Node {
        let cell = |nodes: Vec<Node>| {
            let mtd = Node::el("mtd", nodes);
            if env.align_left {
                mtd.attr("columnalign", "left")
            } else {
                mtd
            }
        };
        Node::el("mtr", cells.into_iter().map(cell).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders a node as compact markup with sorted attributes, for readable expectations.
    fn render(node: &Node) -> String {
        match node {
            Node::Text(text) => text.clone(),
            Node::Element { t, a, c } => {
                let attrs: String = a.iter().map(|(k, v)| format!(" {k}=\"{v}\"")).collect();
                let inner: String = c.iter().map(render).collect();
                format!("<{t}{attrs}>{inner}</{t}>")
            }
        }
    }

    /// Renders the children of the `math` root produced for `tex`.
    fn inner(tex: &str, display: bool) -> String {
        let math = tex_to_mathml(tex, display).unwrap_or_else(|e| panic!("{tex:?} failed: {e}"));
        assert!(math.is_allowed(), "{tex:?} produced a disallowed tree");
        match math {
            Node::Element { c, .. } => c.iter().map(render).collect(),
            Node::Text(_) => panic!("the root is not an element"),
        }
    }

    const FENCE_OPEN: &str = "<mo fence=\"true\" stretchy=\"true\">";
    const MINUS_T_1: &str = "<mrow><mi>t</mi><mo>−</mo><mn>1</mn></mrow>";

    fn check(cases: &[(&str, &str, &str)], display: bool) {
        for (name, tex, expected) in cases {
            assert_eq!(inner(tex, display), *expected, "case {name}: {tex}");
        }
    }

    #[test]
    fn lesson_formulas() {
        let garch = format!(
            "<msubsup><mi>σ</mi><mi>t</mi><mn>2</mn></msubsup><mo>=</mo><mi>ω</mi><mo>+</mo><mi>α</mi>\
             <msubsup><mi>ϵ</mi>{MINUS_T_1}<mn>2</mn></msubsup><mo>+</mo><mi>β</mi>\
             <msubsup><mi>σ</mi>{MINUS_T_1}<mn>2</mn></msubsup>"
        );
        let cusum = format!(
            "<msub><mi>S</mi><mi>t</mi></msub><mo>=</mo><mi>max</mi><mo>(</mo><mn>0</mn><mo>,</mo>\
             <msub><mi>S</mi>{MINUS_T_1}</msub><mo>+</mo><msub><mi>x</mi><mi>t</mi></msub><mo>−</mo>\
             <mi>μ</mi><mo>−</mo><mi>C</mi><mo>)</mo>"
        );
        let jacobian = format!(
            "<mi>J</mi><mo>=</mo><mrow>{FENCE_OPEN}(</mo><mtable>\
             <mtr><mtd><mi>cos</mi><mi>θ</mi></mtd><mtd><mo>−</mo><mi>r</mi><mi>sin</mi><mi>θ</mi></mtd></mtr>\
             <mtr><mtd><mi>sin</mi><mi>θ</mi></mtd><mtd><mi>r</mi><mi>cos</mi><mi>θ</mi></mtd></mtr>\
             </mtable>{FENCE_OPEN})</mo></mrow>"
        );
        let left_right =
            format!("<mrow>{FENCE_OPEN}(</mo><mfrac><mi>a</mi><mi>b</mi></mfrac>{FENCE_OPEN})</mo></mrow>");
        let cases: &[(&str, &str, &str)] = &[
            (
                "sqrt rule",
                r"T(n) = \frac{k}{\sqrt{n}} + B",
                "<mi>T</mi><mo>(</mo><mi>n</mi><mo>)</mo><mo>=</mo>\
                 <mfrac><mi>k</mi><msqrt><mi>n</mi></msqrt></mfrac><mo>+</mo><mi>B</mi>",
            ),
            (
                "z-score",
                r"Z = \frac{x - \mu}{\sigma}",
                "<mi>Z</mi><mo>=</mo><mfrac><mrow><mi>x</mi><mo>−</mo><mi>μ</mi></mrow><mi>σ</mi></mfrac>",
            ),
            ("abs", r"|Z| > 3", "<mo>|</mo><mi>Z</mi><mo>|</mo><mo>></mo><mn>3</mn>"),
            (
                "iqr",
                r"IQR = Q_3 - Q_1",
                "<mi>I</mi><mi>Q</mi><mi>R</mi><mo>=</mo><msub><mi>Q</mi><mn>3</mn></msub><mo>−</mo>\
                 <msub><mi>Q</mi><mn>1</mn></msub>",
            ),
            ("cusum", r"S_t = \max(0, S_{t-1} + x_t - \mu - C)", &cusum),
            ("garch", r"\sigma^2_t = \omega + \alpha \epsilon^2_{t-1} + \beta \sigma^2_{t-1}", &garch),
            (
                "holt-winters",
                r"\hat{y}_{t+h} = \ell_t + h b_t + s_{t+h-m}",
                "<msub><mover accent=\"true\"><mi>y</mi><mo>^</mo></mover><mrow><mi>t</mi><mo>+</mo><mi>h</mi></mrow></msub>\
                 <mo>=</mo><msub><mi>ℓ</mi><mi>t</mi></msub><mo>+</mo><mi>h</mi><msub><mi>b</mi><mi>t</mi></msub><mo>+</mo>\
                 <msub><mi>s</mi><mrow><mi>t</mi><mo>+</mo><mi>h</mi><mo>−</mo><mi>m</mi></mrow></msub>",
            ),
            (
                "kolmogorov-smirnov",
                r"D = \max_x |F_1(x) - F_2(x)|",
                "<mi>D</mi><mo>=</mo><msub><mi>max</mi><mi>x</mi></msub><mo>|</mo><msub><mi>F</mi><mn>1</mn></msub>\
                 <mo>(</mo><mi>x</mi><mo>)</mo><mo>−</mo><msub><mi>F</mi><mn>2</mn></msub><mo>(</mo><mi>x</mi><mo>)</mo><mo>|</mo>",
            ),
            (
                "partial derivative",
                r"\frac{\partial f}{\partial x}",
                "<mfrac><mrow><mi>∂</mi><mi>f</mi></mrow><mrow><mi>∂</mi><mi>x</mi></mrow></mfrac>",
            ),
            ("jacobian", r"J = \begin{pmatrix} \cos\theta & -r\sin\theta \\ \sin\theta & r\cos\theta \end{pmatrix}", &jacobian),
            ("cube root", r"\sqrt[3]{\epsilon}", "<mroot><mi>ϵ</mi><mn>3</mn></mroot>"),
            (
                "text",
                r"\text{rate} = \frac{\text{errors}}{\text{requests}}",
                "<mtext>rate</mtext><mo>=</mo><mfrac><mtext>errors</mtext><mtext>requests</mtext></mfrac>",
            ),
            ("left right", r"\left( \frac{a}{b} \right)", &left_right),
        ];
        check(cases, false);
    }

    #[test]
    fn tokens() {
        let cases: &[(&str, &str, &str)] = &[
            ("letters are separate", "xy", "<mi>x</mi><mi>y</mi>"),
            ("decimal", "3.14 + 1000", "<mn>3.14</mn><mo>+</mo><mn>1000</mn>"),
            ("leading point", ".5", "<mn>.5</mn>"),
            ("trailing point", "1.", "<mn>1</mn><mo>.</mo>"),
            ("upper greek", r"\Delta x", "<mi mathvariant=\"normal\">Δ</mi><mi>x</mi>"),
            ("symbols", r"\nabla \infty", "<mi>∇</mi><mi>∞</mi>"),
            ("relations", r"a \le b \neq c \approx d", "<mi>a</mi><mo>≤</mo><mi>b</mi><mo>≠</mo><mi>c</mi><mo>≈</mo><mi>d</mi>"),
            ("arrows", r"\to \Rightarrow \leftarrow", "<mo>→</mo><mo>⇒</mo><mo>←</mo>"),
            ("floor", r"\lfloor x \rfloor", "<mo>⌊</mo><mi>x</mi><mo>⌋</mo>"),
            ("set braces", r"\{ a \}", "<mo>{</mo><mi>a</mi><mo>}</mo>"),
            ("functions", r"\log x", "<mi>log</mi><mi>x</mi>"),
            ("punctuation", "f'(x): a; b!", "<msup><mi>f</mi><mo>′</mo></msup><mo>(</mo><mi>x</mi><mo>)</mo><mo>:</mo><mi>a</mi><mo>;</mo><mi>b</mi><mo>!</mo>"),
            ("star", "a*b", "<mi>a</mi><mo>∗</mo><mi>b</mi>"),
            ("whitespace", " a \n+\tb ", "<mi>a</mi><mo>+</mo><mi>b</mi>"),
            ("empty", "", ""),
            ("unicode letters", "μσθΔ∂", "<mi>μ</mi><mi>σ</mi><mi>θ</mi><mi mathvariant=\"normal\">Δ</mi><mi>∂</mi>"),
            ("unicode operators", "−×≤≥≈·±→√", "<mo>−</mo><mo>×</mo><mo>≤</mo><mo>≥</mo><mo>≈</mo><mo>·</mo><mo>±</mo><mo>→</mo><mo>√</mo>"),
        ];
        check(cases, false);
    }

    #[test]
    fn spacing() {
        let cases: &[(&str, &str, &str)] = &[
            ("quad", r"a\quad b", "<mi>a</mi><mspace width=\"1em\"></mspace><mi>b</mi>"),
            ("qquad", r"\qquad", "<mspace width=\"2em\"></mspace>"),
            ("thin", r"\,", "<mspace width=\"0.1667em\"></mspace>"),
            ("thick", r"\;", "<mspace width=\"0.2778em\"></mspace>"),
            ("negative thin is dropped", r"a\!b", "<mi>a</mi><mi>b</mi>"),
        ];
        check(cases, false);
    }

    #[test]
    fn scripts_and_structures() {
        let cases: &[(&str, &str, &str)] = &[
            ("sup then sub", "x^2_i", "<msubsup><mi>x</mi><mi>i</mi><mn>2</mn></msubsup>"),
            (
                "braced scripts",
                "x_{i+1}^{2}",
                "<msubsup><mi>x</mi><mrow><mi>i</mi><mo>+</mo><mn>1</mn></mrow><mn>2</mn></msubsup>",
            ),
            ("single digit script", "x^23", "<msup><mi>x</mi><mn>2</mn></msup><mn>3</mn>"),
            ("script on number", "10^{-3}", "<msup><mn>10</mn><mrow><mo>−</mo><mn>3</mn></mrow></msup>"),
            ("script on group", "{a}^2", "<msup><mi>a</mi><mn>2</mn></msup>"),
            ("script on paren", "(a)^2", "<mo>(</mo><mi>a</mi><msup><mo>)</mo><mn>2</mn></msup>"),
            ("no base", "^2", "<msup><mrow></mrow><mn>2</mn></msup>"),
            ("double prime", "f''", "<msup><mi>f</mi><mo>′′</mo></msup>"),
            ("prime and sup", "f'^2", "<msup><mi>f</mi><mrow><mo>′</mo><mn>2</mn></mrow></msup>"),
            ("command script", r"e^\alpha", "<msup><mi>e</mi><mi>α</mi></msup>"),
            (
                "inline sum",
                r"\sum_{i=1}^n i",
                "<msubsup><mo>∑</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi></msubsup><mi>i</mi>",
            ),
            ("unbraced frac", r"\frac12", "<mfrac><mn>1</mn><mn>2</mn></mfrac>"),
            (
                "dfrac tfrac",
                r"\dfrac{a}{b}\tfrac a b",
                "<mfrac><mi>a</mi><mi>b</mi></mfrac><mfrac><mi>a</mi><mi>b</mi></mfrac>",
            ),
            ("sqrt of row", r"\sqrt{a+b}", "<msqrt><mi>a</mi><mo>+</mo><mi>b</mi></msqrt>"),
            ("empty group", "{}", "<mrow></mrow>"),
            ("bar", r"\bar{x}", "<mover accent=\"true\"><mi>x</mi><mo>¯</mo></mover>"),
            (
                "overline",
                r"\overline{xy}",
                "<mover accent=\"true\"><mrow><mi>x</mi><mi>y</mi></mrow><mo>‾</mo></mover>",
            ),
            ("tilde", r"\tilde x", "<mover accent=\"true\"><mi>x</mi><mo>~</mo></mover>"),
            ("text spaces", r"\text{ if  x > 0 }", "<mtext> if  x > 0 </mtext>"),
            ("text escapes", r"\text{a\_b \{c\}}", "<mtext>a_b {c}</mtext>"),
            ("mathrm single", r"\mathrm{d}x", "<mi mathvariant=\"normal\">d</mi><mi>x</mi>"),
            ("operatorname", r"\operatorname{median}(x)", "<mi>median</mi><mo>(</mo><mi>x</mi><mo>)</mo>"),
        ];
        check(cases, false);
    }

    #[test]
    fn fences_and_environments() {
        let fence = |open: &str, body: &str, close: &str| {
            format!("<mrow>{FENCE_OPEN}{open}</mo>{body}{FENCE_OPEN}{close}</mo></mrow>")
        };
        let norm = fence("‖", "<mi>x</mi>", "‖");
        let nested = fence("[", &fence("(", "<mi>a</mi>", ")"), "]");
        let half = format!("<mrow>{FENCE_OPEN}|</mo><mi>f</mi></mrow>");
        let set = fence("{", "<mi>x</mi><mo>∣</mo><mi>x</mi><mo>></mo><mn>0</mn>", "}");
        let cases_env = format!(
            "<mi>f</mi><mo>=</mo><mrow>{FENCE_OPEN}{{</mo><mtable>\
             <mtr><mtd columnalign=\"left\"><mn>1</mn></mtd><mtd columnalign=\"left\"><mi>x</mi><mo>></mo><mn>0</mn></mtd></mtr>\
             <mtr><mtd columnalign=\"left\"><mn>0</mn></mtd><mtd columnalign=\"left\"><mtext>otherwise</mtext></mtd></mtr>\
             </mtable></mrow>"
        );
        let bmatrix = format!(
            "<mrow>{FENCE_OPEN}[</mo><mtable><mtr><mtd><mi>a</mi></mtd><mtd><mi>b</mi></mtd></mtr>\
             <mtr><mtd><mi>c</mi></mtd><mtd><mi>d</mi></mtd></mtr></mtable>{FENCE_OPEN}]</mo></mrow>"
        );
        let cases: &[(&str, &str, &str)] = &[
            ("norm", r"\left\| x \right\|", &norm),
            ("nested", r"\left[ \left( a \right) \right]", &nested),
            ("null delimiter", r"\left| f \right.", &half),
            ("set builder", r"\left\{ x \mid x > 0 \right\}", &set),
            ("cases", r"f = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}", &cases_env),
            ("bmatrix with trailing newline", r"\begin{bmatrix} a & b \\ c & d \\ \end{bmatrix}", &bmatrix),
            ("plain matrix", r"\begin{matrix} a \end{matrix}", "<mtable><mtr><mtd><mi>a</mi></mtd></mtr></mtable>"),
        ];
        check(cases, false);
    }

    #[test]
    fn display_mode() {
        let math = tex_to_mathml("x", true).unwrap();
        assert_eq!(render(&math), "<math display=\"block\"><mi>x</mi></math>");
        assert_eq!(render(&tex_to_mathml("x", false).unwrap()), "<math><mi>x</mi></math>");
        let cases: &[(&str, &str, &str)] = &[
            ("max under", r"\max_x f", "<munder><mi>max</mi><mi>x</mi></munder><mi>f</mi>"),
            (
                "sum under over",
                r"\sum_{i=1}^{n}",
                "<munderover><mo>∑</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi></munderover>",
            ),
            ("prod over", r"\prod^n", "<mover><mo>∏</mo><mi>n</mi></mover>"),
            ("ordinary scripts stay", "x_i", "<msub><mi>x</mi><mi>i</mi></msub>"),
        ];
        check(cases, true);
    }

    /// Asserts that `tex` fails at `offset` with a message containing `needle`.
    fn check_error(tex: &str, offset: usize, needle: &str) {
        match tex_to_mathml(tex, false) {
            Ok(node) => panic!("{tex:?} should fail but gave {}", render(&node)),
            Err(e) => {
                assert_eq!(e.offset, offset, "offset for {tex:?}: {e}");
                assert!(e.message.contains(needle), "message for {tex:?} lacks {needle:?}: {e}");
            }
        }
    }

    #[test]
    fn errors() {
        let cases: &[(&str, usize, &str)] = &[
            (r"\foo", 0, "unknown command \\foo; supported: "),
            (r"x + \foo", 4, "unknown command \\foo"),
            (r"μ + \foo", 5, "unknown command \\foo"),
            (r"\costheta", 0, "unknown command \\costheta"),
            ("{a", 0, "unbalanced brace"),
            ("a}", 1, "unbalanced brace"),
            ("{a}}", 3, "unbalanced brace"),
            (r"\frac{a}", 8, "missing denominator of \\frac"),
            (r"\frac", 5, "missing numerator of \\frac"),
            (r"\dfrac{a}}", 9, "missing denominator of \\dfrac"),
            (r"\sqrt", 5, "missing argument of \\sqrt"),
            (r"\sqrt[3{x}", 5, "never closed by ]"),
            (r"\hat", 4, "missing argument of \\hat"),
            (r"a \\ b", 2, "only allowed directly inside"),
            ("a & b", 2, "only allowed directly inside"),
            (r"\begin{cases} {a & b} \end{cases}", 17, "& separates cells"),
            ("x^2^3", 3, "double superscript"),
            ("x_1_2", 3, "double subscript"),
            ("x_", 2, "missing subscript"),
            ("x^}", 2, "missing superscript"),
            (r"x^\!", 2, "missing superscript"),
            (r"\left( a", 0, "never closed by \\right"),
            (r"a \right)", 2, "\\right has no matching \\left"),
            (r"\left x \right)", 6, "must be followed by a delimiter"),
            (r"\left( x \right", 15, "must be followed by a delimiter"),
            (r"\left\alpha x \right)", 5, "must be followed by a delimiter"),
            (r"\begin{foo} a \end{foo}", 0, "unknown environment foo"),
            (r"\begin{cases} a", 0, "never closed by \\end{cases}"),
            (r"\begin{cases} a \end{pmatrix}", 16, "closed by \\end{pmatrix}"),
            (r"\end{cases}", 0, "\\end has no matching \\begin"),
            (r"\text rate", 6, "needs a braced argument"),
            (r"\text{abc", 5, "unbalanced brace"),
            (r"\text{a\b}", 7, "may only escape"),
            ("a # b", 2, "unsupported character '#'"),
            ("a € b", 2, "unsupported character '€'"),
            (r"x \", 2, "backslash must be followed"),
        ];
        for (tex, offset, needle) in cases {
            check_error(tex, *offset, needle);
        }
    }

    #[test]
    fn error_display_names_the_offset() {
        let e = tex_to_mathml(r"x + \foo", false).unwrap_err();
        assert!(e.to_string().starts_with("at offset 4: unknown command \\foo; supported: "));
        assert!(e.to_string().contains("\\frac"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        check_error(&"{".repeat(10_000), MAX_DEPTH, "nested more than");
        let fracs = r"\frac".repeat(10_000);
        assert!(tex_to_mathml(&fracs, false).unwrap_err().message.contains("nested more than"));
        let lefts = r"\left(".repeat(10_000);
        assert!(tex_to_mathml(&lefts, false).unwrap_err().message.contains("nested more than"));
        assert!(tex_to_mathml(&format!("{}x{}", "{".repeat(40), "}".repeat(40)), false).is_ok());
    }

    /// Feeds deterministic pseudo-random strings built from TeX fragments and checks that
    /// the converter never panics and only ever returns allowed trees.
    #[test]
    fn random_input_never_panics() {
        const PIECES: &[&str] = &[
            "\\",
            "{",
            "}",
            "_",
            "^",
            "&",
            "a",
            "1",
            "+",
            " ",
            "frac",
            "sqrt",
            "left",
            "right",
            "begin",
            "end",
            "\\frac",
            "\\sqrt",
            "\\left",
            "\\right",
            "\\begin",
            "\\end",
            "{cases}",
            "{pmatrix}",
            "\\\\",
            "(",
            ")",
            "[",
            "]",
            ".",
            "'",
            "\\text",
            "μ",
            "|",
            "\\{",
            "\\,",
            "\\!",
            "\\sum",
            "\\max",
            "x",
            "é",
            "\u{0}",
            "−",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(state >> 33).unwrap()
        };
        let (mut ok, mut failed) = (0, 0);
        for _ in 0..2_000 {
            let length = next() % 24;
            let tex: String = (0..length).map(|_| PIECES[next() % PIECES.len()]).collect();
            for display in [false, true] {
                match tex_to_mathml(&tex, display) {
                    Ok(node) => {
                        assert!(node.is_allowed(), "{tex:?} produced a disallowed tree");
                        ok += 1;
                    }
                    Err(e) => {
                        assert!(e.offset <= tex.len(), "{tex:?}: offset {} out of range", e.offset);
                        assert!(tex.is_char_boundary(e.offset), "{tex:?}: offset {} splits a character", e.offset);
                        failed += 1;
                    }
                }
            }
        }
        assert!(ok > 100 && failed > 100, "the generator should exercise both paths ({ok} ok, {failed} failed)");
    }
}
