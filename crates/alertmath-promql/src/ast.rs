//! The syntax tree of a PromQL expression.

use crate::error::Span;
use crate::functions::FuncDef;

/// The type of a PromQL expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Scalar,
    Vector,
    Matrix,
    String,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Scalar => "scalar",
            Type::Vector => "instant vector",
            Type::Matrix => "range vector",
            Type::String => "string",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VectorSelector {
    pub name: Option<String>,
    pub matchers: Vec<Matcher>,
    pub offset_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Atan2,
    Eql,
    Neq,
    Gtr,
    Lss,
    Gte,
    Lte,
    And,
    Or,
    Unless,
}

impl BinOp {
    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Eql | BinOp::Neq | BinOp::Gtr | BinOp::Lss | BinOp::Gte | BinOp::Lte)
    }

    pub fn is_set(self) -> bool {
        matches!(self, BinOp::And | BinOp::Or | BinOp::Unless)
    }

    /// Whether the result loses the metric name (arithmetic does; filtering does not).
    pub fn drops_name(self) -> bool {
        matches!(self, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Pow | BinOp::Atan2)
    }

    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And | BinOp::Unless => 2,
            BinOp::Eql | BinOp::Neq | BinOp::Gtr | BinOp::Lss | BinOp::Gte | BinOp::Lte => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Atan2 => 5,
            BinOp::Pow => 6,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "^",
            BinOp::Atan2 => "atan2",
            BinOp::Eql => "==",
            BinOp::Neq => "!=",
            BinOp::Gtr => ">",
            BinOp::Lss => "<",
            BinOp::Gte => ">=",
            BinOp::Lte => "<=",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Unless => "unless",
        }
    }
}

/// How the two sides of a binary operation between vectors are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    OneToOne,
    /// `group_left`: many on the left, one on the right.
    ManyToOne,
    /// `group_right`.
    OneToMany,
    /// Set operators.
    ManyToMany,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VectorMatching {
    pub card: Card,
    /// The labels of `on(…)` or `ignoring(…)`.
    pub labels: Vec<String>,
    /// Whether `labels` came from `on` (true) or `ignoring` (false).
    pub on: bool,
    /// Extra labels copied from the "one" side by `group_left(…)`/`group_right(…)`.
    pub include: Vec<String>,
}

impl Default for VectorMatching {
    fn default() -> Self {
        VectorMatching { card: Card::OneToOne, labels: Vec::new(), on: false, include: Vec::new() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggOp {
    Sum,
    Avg,
    Min,
    Max,
    Count,
    Stddev,
    Stdvar,
    Quantile,
    Group,
}

impl AggOp {
    pub fn from_name(s: &str) -> Option<AggOp> {
        Some(match s.to_ascii_lowercase().as_str() {
            "sum" => AggOp::Sum,
            "avg" => AggOp::Avg,
            "min" => AggOp::Min,
            "max" => AggOp::Max,
            "count" => AggOp::Count,
            "stddev" => AggOp::Stddev,
            "stdvar" => AggOp::Stdvar,
            "quantile" => AggOp::Quantile,
            "group" => AggOp::Group,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            AggOp::Sum => "sum",
            AggOp::Avg => "avg",
            AggOp::Min => "min",
            AggOp::Max => "max",
            AggOp::Count => "count",
            AggOp::Stddev => "stddev",
            AggOp::Stdvar => "stdvar",
            AggOp::Quantile => "quantile",
            AggOp::Group => "group",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Str(String),
    Selector(VectorSelector),
    /// A range selector `sel[range]`.
    Matrix {
        sel: VectorSelector,
        range_ms: i64,
    },
    /// `expr[range:step] offset o`; `step_ms` 0 means the default evaluation interval.
    Subquery {
        expr: Box<Expr>,
        range_ms: i64,
        step_ms: i64,
        offset_ms: i64,
    },
    Call {
        func: &'static FuncDef,
        args: Vec<Expr>,
    },
    Aggregate {
        op: AggOp,
        param: Option<Box<Expr>>,
        expr: Box<Expr>,
        grouping: Vec<String>,
        without: bool,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        return_bool: bool,
        matching: VectorMatching,
    },
    Neg(Box<Expr>),
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    pub ty: Type,
}

impl Expr {
    /// Every function name used in the expression, in order of appearance.
    pub fn functions(&self, out: &mut Vec<&'static str>) {
        match &self.kind {
            ExprKind::Call { func, args } => {
                out.push(func.name);
                args.iter().for_each(|a| a.functions(out));
            }
            ExprKind::Subquery { expr, .. } | ExprKind::Neg(expr) | ExprKind::Paren(expr) => expr.functions(out),
            ExprKind::Aggregate { op, param, expr, .. } => {
                out.push(op.name());
                if let Some(p) = param {
                    p.functions(out);
                }
                expr.functions(out);
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.functions(out);
                rhs.functions(out);
            }
            _ => {}
        }
    }

    /// The metric names the expression selects.
    pub fn metric_names(&self, out: &mut Vec<String>) {
        match &self.kind {
            ExprKind::Selector(s) | ExprKind::Matrix { sel: s, .. } => {
                if let Some(n) = &s.name {
                    if !out.contains(n) {
                        out.push(n.clone());
                    }
                }
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| a.metric_names(out)),
            ExprKind::Subquery { expr, .. } | ExprKind::Neg(expr) | ExprKind::Paren(expr) => expr.metric_names(out),
            ExprKind::Aggregate { param, expr, .. } => {
                if let Some(p) = param {
                    p.metric_names(out);
                }
                expr.metric_names(out);
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.metric_names(out);
                rhs.metric_names(out);
            }
            _ => {}
        }
    }
}
