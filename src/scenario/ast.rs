//! The syntax tree of a pipeline: the Spark-like program inside a scenario file.
//!
//! A pipeline is a list of statements, each `name = expression` or a bare expression (an
//! output operation such as `counts.print()`). One expression grammar serves both the
//! DStream program (`lines.flatMap(split(" ")).map(pair(1))`) and the small functions passed
//! to operators (`x => x.contains("Spark")`, `(values, state) => Some(values.sum)`), so the
//! parser knows nothing about Spark: the builder (`scenario::build`) gives method calls on
//! streams their meaning, and `expr::compile` turns function arguments into closures.

use crate::sim::Duration;

/// A position in the source text: 1-based line and column (columns count characters).
///
/// Positions produced by the parser are relative to the text it was given; the scenario
/// loader shifts them to positions in the scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Span {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

/// A whole pipeline program.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// The statements in source order (output operations run in this order).
    pub statements: Vec<Statement>,
}

/// One statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// `Some(name)` for `name = expr`, `None` for a bare expression.
    pub target: Option<Ident>,
    /// The right-hand side (or the bare expression).
    pub expr: Expr,
    /// Where the statement starts.
    pub span: Span,
}

/// A name with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name as written.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// An expression with its position (the position of its first character).
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// Where it starts.
    pub span: Span,
}

/// A literal constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `42`, `-3` (64-bit).
    Int(i64),
    /// `2.5`, `1e3`.
    Float(f64),
    /// `"text"` with the escapes `\"`, `\\`, `\n`, `\t` resolved.
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `None`.
    None,
    /// `200ms`, `30s`, `2min`, `1h` (an integer immediately followed by a unit).
    Duration(Duration),
}

/// Binary operators, from loosest to tightest binding:
/// `||`; `&&`; `==` `!=`; `<` `<=` `>` `>=`; `+` `-`; `*` `/` `%`. All left-associative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+` (also string concatenation)
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (integer division on two integers, as in Scala)
    Div,
    /// `%`
    Rem,
}

impl BinOp {
    /// The operator as written (`||`, `+`, ...).
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `!x`
    Not,
    /// `-x`
    Neg,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A constant.
    Lit(Literal),
    /// A name: a stream, a dataset, a lambda parameter, or a built-in function used bare
    /// (`sum`).
    Var(String),
    /// `(a, b, ...)` with two or more elements (a single parenthesised expression is just
    /// that expression).
    Tuple(Vec<Expr>),
    /// `name(args)`: a built-in function with arguments (`split(" ")`, `pair(1)`,
    /// `Some(x)`, `List(1, 2)`).
    Call {
        /// The function's name.
        func: Ident,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// `recv.name` (`args == None`, e.g. `x._1`, `s.length`) or `recv.name(args)`
    /// (`lines.flatMap(split(" "))`, `x.contains("a")`).
    Method {
        /// The receiver.
        recv: Box<Expr>,
        /// The method's name.
        name: Ident,
        /// `None` without parentheses, `Some(args)` with them (possibly empty).
        args: Option<Vec<Expr>>,
    },
    /// `x => body` or `(a, b) => body` or `() => body`.
    Lambda {
        /// Parameter names.
        params: Vec<Ident>,
        /// The body.
        body: Box<Expr>,
    },
    /// `lhs op rhs`.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `op expr`.
    Unary {
        /// The operator.
        op: UnOp,
        /// The operand.
        expr: Box<Expr>,
    },
    /// `if (cond) then_ else else_`.
    If {
        /// The condition.
        cond: Box<Expr>,
        /// Value when true.
        then_: Box<Expr>,
        /// Value when false.
        else_: Box<Expr>,
    },
}
