//! The PromQL parser: precedence climbing over the lexer's tokens, then type checking
//! with Prometheus's rules. Errors say what is wrong in the reader's terms, and for the
//! mistakes the guide makes (MetricsQL's `with`, a range over an expression without
//! the subquery colon, an instant vector where a range vector is needed) how to fix it.

use crate::ast::*;
use crate::error::{ParseError, Span};
use crate::functions::{self, FuncDef};
use crate::lexer::{lex, Tok, Token};
use crate::Version;
use std::collections::BTreeMap;

/// Values for `$name` template variables: the text each stands for (`"1h"`, `"3"`).
pub type Vars = BTreeMap<String, String>;

/// Parses `src` as PromQL for `version`, substituting template variables from `vars`.
pub fn parse(src: &str, vars: &Vars, version: Version) -> Result<Expr, ParseError> {
    let raw = lex(src)?;
    let mut tokens = Vec::with_capacity(raw.len());
    for t in raw {
        if let Tok::Var(name) = &t.tok {
            let Some(value) = vars.get(name) else {
                let known: Vec<String> = vars.keys().map(|k| format!("${}", k)).collect();
                return Err(ParseError::new(
                    t.span,
                    format!(
                        "${} has no value here. Variables like it come from Grafana dashboards; PromQL itself has none.{}",
                        name,
                        if known.is_empty() {
                            " Write the value in its place.".to_string()
                        } else {
                            format!(" This lesson defines {}; or write the value in its place.", known.join(", "))
                        }
                    ),
                ));
            };
            let sub =
                lex(value).map_err(|e| ParseError::new(t.span, format!("${} = “{}”: {}", name, value, e.message)))?;
            for s in sub {
                if s.tok != Tok::Eof {
                    tokens.push(Token { tok: s.tok, span: t.span });
                }
            }
        } else {
            tokens.push(t);
        }
    }
    let mut p = Parser { tokens, pos: 0, version, src_len: src.len() };
    if matches!(p.peek(), Tok::Eof) {
        return Err(ParseError::new(Span::new(0, src.len()), "The query is empty."));
    }
    let expr = p.expr(0)?;
    if !matches!(p.peek(), Tok::Eof) {
        let t = p.token();
        let hint = match &t.tok {
            Tok::LBracket => " A range like [5m] applies to a metric selector; over an expression it is a subquery, written with a colon: (…)[1h:].",
            Tok::Ident(w) if w == "offset" => " offset follows a selector or a subquery, as in metric offset 1w.",
            Tok::RParen => " There is one “)” too many.",
            _ => "",
        };
        return Err(ParseError::new(t.span, format!("Unexpected {} here.{}", t.tok.describe(), hint)));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    version: Version,
    src_len: usize,
}

const KEYWORDS: &[&str] =
    &["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "atan2"];

impl Parser {
    fn token(&self) -> Token {
        self.tokens
            .get(self.pos)
            .cloned()
            .unwrap_or(Token { tok: Tok::Eof, span: Span::new(self.src_len, self.src_len) })
    }

    fn peek(&self) -> Tok {
        self.token().tok
    }

    fn peek_at(&self, k: usize) -> Tok {
        self.tokens.get(self.pos + k).map(|t| t.tok.clone()).unwrap_or(Tok::Eof)
    }

    fn next(&mut self) -> Token {
        let t = self.token();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn expect(&mut self, want: Tok, context: &str) -> Result<Span, ParseError> {
        let t = self.token();
        if t.tok == want {
            self.pos += 1;
            Ok(t.span)
        } else {
            Err(ParseError::new(
                t.span,
                format!("Expected {} {}, found {}.", want.describe(), context, t.tok.describe()),
            ))
        }
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w.eq_ignore_ascii_case(word))
    }

    fn binop(&self) -> Option<BinOp> {
        Some(match self.peek() {
            Tok::Add => BinOp::Add,
            Tok::Sub => BinOp::Sub,
            Tok::Mul => BinOp::Mul,
            Tok::Div => BinOp::Div,
            Tok::Mod => BinOp::Mod,
            Tok::Pow => BinOp::Pow,
            Tok::Eql => BinOp::Eql,
            Tok::Neq => BinOp::Neq,
            Tok::Gtr => BinOp::Gtr,
            Tok::Lss => BinOp::Lss,
            Tok::Gte => BinOp::Gte,
            Tok::Lte => BinOp::Lte,
            Tok::Ident(w) => match w.to_ascii_lowercase().as_str() {
                "and" => BinOp::And,
                "or" => BinOp::Or,
                "unless" => BinOp::Unless,
                "atan2" => BinOp::Atan2,
                _ => return None,
            },
            _ => return None,
        })
    }

    fn expr(&mut self, min_prec: u8) -> Result<Expr, ParseError> {
        let mut lhs = self.unary()?;
        while let Some(op) = self.binop() {
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            let op_span = self.next().span;
            let mut return_bool = false;
            if self.is_word("bool") {
                let t = self.next();
                if !op.is_comparison() {
                    return Err(ParseError::new(t.span, "bool modifier can only be used on comparison operators."));
                }
                return_bool = true;
            }
            let mut matching = VectorMatching::default();
            if op.is_set() {
                matching.card = Card::ManyToMany;
            }
            if self.is_word("on") || self.is_word("ignoring") {
                matching.on = self.is_word("on");
                self.next();
                matching.labels = self.label_list("after on/ignoring")?;
                if self.is_word("group_left") || self.is_word("group_right") {
                    let t = self.next();
                    if op.is_set() {
                        return Err(ParseError::new(
                            t.span,
                            "no grouping allowed for “and”, “or” and “unless” operations.",
                        ));
                    }
                    matching.card = if self
                        .tokens
                        .get(self.pos - 1)
                        .is_some_and(|t| matches!(&t.tok, Tok::Ident(w) if w.eq_ignore_ascii_case("group_left")))
                    {
                        Card::ManyToOne
                    } else {
                        Card::OneToMany
                    };
                    if matches!(self.peek(), Tok::LParen) {
                        matching.include = self.label_list("after group_left/group_right")?;
                    }
                }
            } else if self.is_word("group_left") || self.is_word("group_right") {
                let t = self.token();
                return Err(ParseError::new(
                    t.span,
                    "group_left and group_right need on(…) or ignoring(…) before them, as in / ignoring(le) group_left.",
                ));
            }
            // ^ is right-associative; the others are left-associative.
            let next_min = if op == BinOp::Pow { prec } else { prec + 1 };
            let rhs = self.expr(next_min)?;
            lhs = self.binary(op, lhs, rhs, return_bool, matching, op_span)?;
        }
        Ok(lhs)
    }

    fn label_list(&mut self, context: &str) -> Result<Vec<String>, ParseError> {
        self.expect(Tok::LParen, context)?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Tok::RParen => {
                    self.next();
                    return Ok(out);
                }
                Tok::Ident(w) => {
                    self.next();
                    out.push(w);
                    match self.peek() {
                        Tok::Comma => {
                            self.next();
                        }
                        Tok::RParen => {}
                        _ => {
                            let t = self.token();
                            return Err(ParseError::new(
                                t.span,
                                format!("Expected “,” or “)” in a label list, found {}.", t.tok.describe()),
                            ));
                        }
                    }
                }
                _ => {
                    let t = self.token();
                    return Err(ParseError::new(t.span, format!("Expected a label name, found {}.", t.tok.describe())));
                }
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Tok::Sub | Tok::Add => {
                let t = self.next();
                // Unary minus binds like multiplication: -a ^ b is -(a ^ b), -a * b is (-a) * b.
                let operand = self.expr(BinOp::Pow.precedence())?;
                let span = t.span.to(operand.span);
                if !matches!(operand.ty, Type::Scalar | Type::Vector) {
                    return Err(ParseError::new(
                        span,
                        format!(
                            "unary expression only allowed on expressions of type scalar or instant vector, got “{}”.",
                            operand.ty.name()
                        ),
                    ));
                }
                if t.tok == Tok::Add {
                    return Ok(operand);
                }
                if let ExprKind::Number(x) = operand.kind {
                    return Ok(Expr { kind: ExprKind::Number(-x), span, ty: Type::Scalar });
                }
                let ty = operand.ty;
                Ok(Expr { kind: ExprKind::Neg(Box::new(operand)), span, ty })
            }
            _ => {
                let primary = self.primary()?;
                self.postfix(primary)
            }
        }
    }

    fn duration(&mut self, context: &str) -> Result<(i64, Span), ParseError> {
        let t = self.next();
        match t.tok {
            Tok::Duration(ms) => Ok((ms, t.span)),
            Tok::Number(x) => Err(ParseError::new(
                t.span,
                format!(
                    "Expected a duration {} such as 5m or 1h, found the number {} (write {}s for seconds).",
                    context, x, x
                ),
            )),
            other => Err(ParseError::new(
                t.span,
                format!("Expected a duration {} such as 5m or 1h, found {}.", context, other.describe()),
            )),
        }
    }

    fn postfix(&mut self, mut e: Expr) -> Result<Expr, ParseError> {
        loop {
            match self.peek() {
                Tok::LBracket => {
                    let open = self.next().span;
                    let (range_ms, _) = self.duration("in [ ]")?;
                    if matches!(self.peek(), Tok::Colon) {
                        self.next();
                        let step_ms =
                            if matches!(self.peek(), Tok::RBracket) { 0 } else { self.duration("after “:”")?.0 };
                        let close = self.expect(Tok::RBracket, "to close the subquery")?;
                        if !matches!(e.ty, Type::Scalar | Type::Vector) {
                            return Err(ParseError::new(
                                e.span,
                                format!("subquery is only allowed on instant vector, got {}.", e.ty.name()),
                            ));
                        }
                        if range_ms <= 0 {
                            return Err(ParseError::new(open.to(close), "A subquery range must be longer than 0."));
                        }
                        let span = e.span.to(close);
                        e = Expr {
                            kind: ExprKind::Subquery { expr: Box::new(e), range_ms, step_ms, offset_ms: 0 },
                            span,
                            ty: Type::Matrix,
                        };
                    } else {
                        let close = self.expect(Tok::RBracket, "to close the range")?;
                        let ExprKind::Selector(sel) = &e.kind else {
                            return Err(ParseError::new(
                                e.span.to(close),
                                "Ranges like [5m] are only allowed on metric selectors. A range over an expression is a subquery and needs a colon: [1h:] (evaluated every evaluation interval) or [1h:1m].",
                            ));
                        };
                        if sel.offset_ms != 0 {
                            return Err(ParseError::new(
                                open,
                                "The range goes before offset: metric[5m] offset 1w, not metric offset 1w [5m].",
                            ));
                        }
                        if range_ms <= 0 {
                            return Err(ParseError::new(open.to(close), "A range must be longer than 0."));
                        }
                        let sel = sel.clone();
                        let span = e.span.to(close);
                        e = Expr { kind: ExprKind::Matrix { sel, range_ms }, span, ty: Type::Matrix };
                    }
                }
                Tok::Ident(w) if w.eq_ignore_ascii_case("offset") => {
                    let kw = self.next().span;
                    let negative = matches!(self.peek(), Tok::Sub);
                    if negative {
                        self.next();
                    }
                    let (d, span) = self.duration("after offset")?;
                    let d = if negative { -d } else { d };
                    let whole = e.span.to(span);
                    match &mut e.kind {
                        ExprKind::Selector(sel) | ExprKind::Matrix { sel, .. } if sel.offset_ms == 0 => sel.offset_ms = d,
                        ExprKind::Subquery { offset_ms, .. } if *offset_ms == 0 => *offset_ms = d,
                        ExprKind::Selector(_) | ExprKind::Matrix { .. } | ExprKind::Subquery { .. } => {
                            return Err(ParseError::new(kw, "offset may not be set multiple times."))
                        }
                        _ => {
                            return Err(ParseError::new(
                                kw,
                                "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery.",
                            ))
                        }
                    }
                    e.span = whole;
                }
                Tok::At => {
                    let t = self.token();
                    return Err(ParseError::new(
                        t.span,
                        "The @ modifier pins a selector to a fixed time; this playground evaluates alert rules, which do not use it.",
                    ));
                }
                _ => return Ok(e),
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let t = self.token();
        match t.tok.clone() {
            Tok::Number(x) => {
                self.next();
                Ok(Expr { kind: ExprKind::Number(x), span: t.span, ty: Type::Scalar })
            }
            Tok::Str(s) => {
                self.next();
                Ok(Expr { kind: ExprKind::Str(s), span: t.span, ty: Type::String })
            }
            Tok::Duration(_) => Err(ParseError::new(
                t.span,
                "A duration such as 5m belongs in [ ] or after offset; as a number, write seconds (300).",
            )),
            Tok::LParen => {
                self.next();
                let inner = self.expr(0)?;
                let close = self.expect(Tok::RParen, "to close the parenthesis")?;
                let ty = inner.ty;
                Ok(Expr { kind: ExprKind::Paren(Box::new(inner)), span: t.span.to(close), ty })
            }
            Tok::LBrace => {
                let (matchers, close) = self.matchers()?;
                if !matchers.iter().any(|m| !matches_empty(m)) {
                    return Err(ParseError::new(
                        t.span.to(close),
                        "vector selector must contain at least one non-empty matcher.",
                    ));
                }
                let name =
                    matchers.iter().find(|m| m.name == "__name__" && m.op == MatchOp::Equal).map(|m| m.value.clone());
                Ok(Expr {
                    kind: ExprKind::Selector(VectorSelector { name, matchers, offset_ms: 0 }),
                    span: t.span.to(close),
                    ty: Type::Vector,
                })
            }
            Tok::Ident(word) => self.identifier(word, t.span),
            other => Err(ParseError::new(t.span, format!("Expected an expression, found {}.", other.describe()))),
        }
    }

    fn identifier(&mut self, word: String, span: Span) -> Result<Expr, ParseError> {
        let lower = word.to_ascii_lowercase();
        let next = self.peek_at(1);
        if lower == "with" && next == Tok::LParen {
            return Err(ParseError::new(
                span,
                "`with (…)` is MetricsQL (VictoriaMetrics), not PromQL: Prometheus has no named sub-expressions. Write each expression out in full where it is used.",
            ));
        }
        if let Some(op) = AggOp::from_name(&word) {
            if matches!(next, Tok::LParen)
                || matches!(&next, Tok::Ident(w) if w.eq_ignore_ascii_case("by") || w.eq_ignore_ascii_case("without"))
            {
                return self.aggregate(op, span);
            }
        }
        if next == Tok::LParen {
            return self.call(&word, span);
        }
        if KEYWORDS.contains(&lower.as_str()) {
            return Err(ParseError::new(span, format!("“{}” is a keyword and cannot start an expression here.", word)));
        }
        self.next();
        let mut matchers = vec![Matcher { name: "__name__".into(), op: MatchOp::Equal, value: word.clone() }];
        let mut end = span;
        if matches!(self.peek(), Tok::LBrace) {
            let (more, close) = self.matchers()?;
            if more.iter().any(|m| m.name == "__name__") {
                return Err(ParseError::new(span.to(close), format!("metric name must not be set twice: “{}”.", word)));
            }
            matchers.extend(more);
            end = close;
        }
        Ok(Expr {
            kind: ExprKind::Selector(VectorSelector { name: Some(word), matchers, offset_ms: 0 }),
            span: span.to(end),
            ty: Type::Vector,
        })
    }

    fn matchers(&mut self) -> Result<(Vec<Matcher>, Span), ParseError> {
        self.expect(Tok::LBrace, "")?;
        let mut out = Vec::new();
        loop {
            let t = self.next();
            match t.tok {
                Tok::RBrace => return Ok((out, t.span)),
                Tok::Ident(name) | Tok::Str(name) => {
                    let op_tok = self.next();
                    let op = match op_tok.tok {
                        Tok::Assign => MatchOp::Equal,
                        Tok::Neq => MatchOp::NotEqual,
                        Tok::EqlRegex => MatchOp::Regex,
                        Tok::NeqRegex => MatchOp::NotRegex,
                        Tok::Eql => {
                            return Err(ParseError::new(
                                op_tok.span,
                                "Label matchers use a single “=”, as in {job=\"api\"}.",
                            ))
                        }
                        other => {
                            return Err(ParseError::new(
                                op_tok.span,
                                format!("Expected =, !=, =~ or !~ after the label name, found {}.", other.describe()),
                            ))
                        }
                    };
                    let v = self.next();
                    let Tok::Str(value) = v.tok else {
                        return Err(ParseError::new(
                            v.span,
                            "A label value must be a quoted string, as in {job=\"api\"}.",
                        ));
                    };
                    if matches!(op, MatchOp::Regex | MatchOp::NotRegex) {
                        crate::regex::Regex::new(&value).map_err(|e| ParseError::new(v.span, e))?;
                    }
                    out.push(Matcher { name, op, value });
                    match self.peek() {
                        Tok::Comma => {
                            self.next();
                        }
                        Tok::RBrace => {}
                        other => {
                            let s = self.token().span;
                            return Err(ParseError::new(
                                s,
                                format!("Expected “,” or “}}” in a selector, found {}.", other.describe()),
                            ));
                        }
                    }
                }
                other => {
                    return Err(ParseError::new(
                        t.span,
                        format!("Expected a label matcher or “}}”, found {}.", other.describe()),
                    ))
                }
            }
        }
    }

    fn aggregate(&mut self, op: AggOp, span: Span) -> Result<Expr, ParseError> {
        self.next();
        let mut grouping = Vec::new();
        let mut without = false;
        let mut have_grouping = false;
        if self.is_word("by") || self.is_word("without") {
            without = self.is_word("without");
            self.next();
            grouping = self.label_list("after by/without")?;
            have_grouping = true;
        }
        self.expect(Tok::LParen, &format!("after {}", op.name()))?;
        let mut args = Vec::new();
        if !matches!(self.peek(), Tok::RParen) {
            loop {
                args.push(self.expr(0)?);
                if matches!(self.peek(), Tok::Comma) {
                    self.next();
                    continue;
                }
                break;
            }
        }
        let close = self.expect(Tok::RParen, &format!("to close {}(…)", op.name()))?;
        let mut end = close;
        if !have_grouping && (self.is_word("by") || self.is_word("without")) {
            without = self.is_word("without");
            self.next();
            grouping = self.label_list("after by/without")?;
            end = self.tokens.get(self.pos.saturating_sub(1)).map_or(close, |t| t.span);
        }
        let whole = span.to(end);
        let wants_param = op == AggOp::Quantile;
        let expected = if wants_param { 2 } else { 1 };
        if args.len() != expected {
            return Err(ParseError::new(
                whole,
                if wants_param {
                    format!("quantile takes a quantile and an expression, as in quantile(0.75, metric); got {} argument(s).", args.len())
                } else {
                    format!("{} takes one expression; got {} argument(s).", op.name(), args.len())
                },
            ));
        }
        let expr = args.pop().ok_or_else(|| ParseError::new(whole, "missing expression"))?;
        let param = args.pop();
        if expr.ty != Type::Vector {
            let hint = if expr.ty == Type::Matrix {
                format!(" To aggregate over time, use {}_over_time(…).", op.name())
            } else {
                String::new()
            };
            return Err(ParseError::new(
                expr.span,
                format!("expected type instant vector in aggregation expression, got {}.{}", expr.ty.name(), hint),
            ));
        }
        if let Some(p) = &param {
            if p.ty != Type::Scalar {
                return Err(ParseError::new(
                    p.span,
                    format!("expected type scalar in aggregation parameter, got {}.", p.ty.name()),
                ));
            }
        }
        Ok(Expr {
            kind: ExprKind::Aggregate { op, param: param.map(Box::new), expr: Box::new(expr), grouping, without },
            span: whole,
            ty: Type::Vector,
        })
    }

    fn call(&mut self, name: &str, span: Span) -> Result<Expr, ParseError> {
        let func: &'static FuncDef = match functions::lookup(name, self.version) {
            Ok(f) => f,
            Err(message) => return Err(ParseError::new(span, message)),
        };
        self.next();
        self.expect(Tok::LParen, "")?;
        let mut args = Vec::new();
        if !matches!(self.peek(), Tok::RParen) {
            loop {
                args.push(self.expr(0)?);
                if matches!(self.peek(), Tok::Comma) {
                    self.next();
                    continue;
                }
                break;
            }
        }
        let close = self.expect(Tok::RParen, &format!("to close {}(…)", func.name))?;
        let whole = span.to(close);
        let min = func.args.len() - func.optional;
        if args.len() < min || args.len() > func.args.len() {
            let count =
                if func.optional > 0 { format!("{} to {}", min, func.args.len()) } else { func.args.len().to_string() };
            return Err(ParseError::new(
                whole,
                format!(
                    "expected {} argument(s) in call to “{}”, got {}. It takes {}.",
                    count,
                    func.name,
                    args.len(),
                    func.signature()
                ),
            ));
        }
        for (arg, want) in args.iter().zip(func.args) {
            if arg.ty != *want {
                let hint = match (want, arg.ty) {
                    (Type::Matrix, Type::Vector) => {
                        if matches!(arg.kind, ExprKind::Selector(_)) {
                            " Give it a range, as in metric[5m].".to_string()
                        } else {
                            " To apply it to an expression, make the expression a subquery: (…)[1h:].".to_string()
                        }
                    }
                    (Type::Vector, Type::Matrix) => {
                        format!(
                            " {} works on one value per series; drop the range or use a *_over_time function.",
                            func.name
                        )
                    }
                    _ => String::new(),
                };
                return Err(ParseError::new(
                    arg.span,
                    format!(
                        "expected type {} in call to function “{}”, got {}.{}",
                        want.name(),
                        func.name,
                        arg.ty.name(),
                        hint
                    ),
                ));
            }
        }
        Ok(Expr { kind: ExprKind::Call { func, args }, span: whole, ty: func.ret })
    }

    fn binary(
        &self,
        op: BinOp,
        lhs: Expr,
        rhs: Expr,
        return_bool: bool,
        matching: VectorMatching,
        op_span: Span,
    ) -> Result<Expr, ParseError> {
        let span = lhs.span.to(rhs.span);
        for side in [&lhs, &rhs] {
            if !matches!(side.ty, Type::Scalar | Type::Vector) {
                let hint = if side.ty == Type::Matrix {
                    " A range vector has many values per series; wrap it in a function such as avg_over_time(…) or rate(…)."
                } else {
                    ""
                };
                return Err(ParseError::new(
                    side.span,
                    format!(
                        "binary expression must contain only scalar and instant vector types, not {}.{}",
                        side.ty.name(),
                        hint
                    ),
                ));
            }
        }
        let both_scalar = lhs.ty == Type::Scalar && rhs.ty == Type::Scalar;
        if op.is_comparison() && both_scalar && !return_bool {
            return Err(ParseError::new(
                op_span,
                "comparisons between scalars must use BOOL modifier, as in 1 > bool 0.",
            ));
        }
        if op.is_set() && (lhs.ty == Type::Scalar || rhs.ty == Type::Scalar) {
            return Err(ParseError::new(
                op_span,
                format!("set operator “{}” not allowed in binary scalar expression.", op.symbol()),
            ));
        }
        let has_matching = !matching.labels.is_empty()
            || matching.on
            || matching.card != Card::OneToOne && matching.card != Card::ManyToMany;
        if has_matching && (lhs.ty == Type::Scalar || rhs.ty == Type::Scalar) {
            return Err(ParseError::new(op_span, "vector matching only allowed between instant vectors."));
        }
        if !matching.include.is_empty() {
            for l in &matching.include {
                if matching.on && matching.labels.contains(l) {
                    return Err(ParseError::new(
                        op_span,
                        format!("label “{}” must not occur in ON and GROUP clause at once.", l),
                    ));
                }
            }
        }
        let ty = if both_scalar { Type::Scalar } else { Type::Vector };
        Ok(Expr {
            kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs), return_bool, matching },
            span,
            ty,
        })
    }
}

fn matches_empty(m: &Matcher) -> bool {
    match m.op {
        MatchOp::Equal => m.value.is_empty(),
        MatchOp::NotEqual => !m.value.is_empty(),
        MatchOp::Regex => crate::regex::Regex::new(&m.value).map(|r| r.is_match("")).unwrap_or(false),
        MatchOp::NotRegex => crate::regex::Regex::new(&m.value).map(|r| !r.is_match("")).unwrap_or(false),
    }
}

/// The query text with every `$variable` replaced by its value: what Prometheus is given.
pub fn substitute(src: &str, vars: &Vars) -> Result<String, ParseError> {
    let tokens = lex(src)?;
    let mut out = String::with_capacity(src.len());
    let mut last = 0;
    for t in tokens {
        if let Tok::Var(name) = &t.tok {
            let value =
                vars.get(name).ok_or_else(|| ParseError::new(t.span, format!("${} has no value here.", name)))?;
            out.push_str(src.get(last..t.span.start).unwrap_or(""));
            out.push_str(value);
            last = t.span.end;
        }
    }
    out.push_str(src.get(last..).unwrap_or(""));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Expr, ParseError> {
        parse(s, &Vars::new(), Version::V3)
    }

    #[test]
    fn the_guides_z_score_query_parses() {
        let e = p("(abs(metric - avg_over_time(metric[1h])) / stddev_over_time(metric[1h])) > 3").unwrap();
        assert_eq!(e.ty, Type::Vector);
        let ExprKind::Binary { op, .. } = e.kind else { panic!() };
        assert_eq!(op, BinOp::Gtr);
    }

    #[test]
    fn precedence_and_associativity() {
        let e = p("2 ^ 3 ^ 2").unwrap();
        let ExprKind::Binary { lhs, .. } = e.kind else { panic!() };
        assert_eq!(lhs.kind, ExprKind::Number(2.0));
        let e = p("-2 ^ 2").unwrap();
        assert!(matches!(e.kind, ExprKind::Neg(_)));
        let e = p("1 + 2 * 3 > bool 6").unwrap();
        let ExprKind::Binary { op, return_bool, .. } = e.kind else { panic!() };
        assert_eq!((op, return_bool), (BinOp::Gtr, true));
    }

    #[test]
    fn the_guides_mistakes_get_explained() {
        let e = p("with (x = metric) x > 1").unwrap_err();
        assert!(e.message.contains("MetricsQL"), "{}", e.message);
        let e = p("quantile_over_time(0.5, abs(metric - 1)[1h])").unwrap_err();
        assert!(e.message.contains("colon"), "{}", e.message);
        let e = p("avg_over_time(quantile_over_time(0.5, metric[1h]))").unwrap_err();
        assert!(e.message.contains("expected type range vector"), "{}", e.message);
        assert!(e.message.contains("subquery"), "{}", e.message);
        let e = parse("holt_winters(m[10m], 0.5, 0.5)", &Vars::new(), Version::V3).unwrap_err();
        assert!(e.message.contains("double_exponential_smoothing"), "{}", e.message);
        assert!(parse("holt_winters(m[10m], 0.5, 0.5)", &Vars::new(), Version::V2).is_ok());
        let e = p("1 > 2").unwrap_err();
        assert!(e.message.contains("BOOL"), "{}", e.message);
    }

    #[test]
    fn variables_are_substituted_with_their_spans() {
        let mut vars = Vars::new();
        vars.insert("window".into(), "5m".into());
        vars.insert("k".into(), "1.5".into());
        let e = parse("$k / sqrt(sum(increase(m[$window])) + 1)", &vars, Version::V3).unwrap();
        assert_eq!(e.ty, Type::Vector);
        let err = parse("rate(m[$time_window])", &vars, Version::V3).unwrap_err();
        assert_eq!((err.span.start, err.span.end), (7, 19));
    }

    #[test]
    fn histogram_matching_parses() {
        let e = p("sum by (le) (rate(m_bucket[10m])) / ignoring(le) group_left sum(rate(m_count[10m]))").unwrap();
        let ExprKind::Binary { matching, .. } = e.kind else { panic!() };
        assert_eq!((matching.card, matching.on, matching.labels), (Card::ManyToOne, false, vec!["le".to_string()]));
        assert!(p("metric offset 1w").is_ok());
        assert!(p("sum_over_time((m - avg_over_time(m[1d]))[1h:1m])").is_ok());
        assert!(p("rate(m[5m] offset 1w)").is_ok());
    }
}
