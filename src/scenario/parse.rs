//! The pipeline parser: text to [`Program`] / [`Expr`] (see `ast.rs` for the shapes).
//!
//! The grammar lives in `grammar.pest`; this module turns pest's pairs into the AST
//! (resolving operator precedence by precedence climbing) and pest's failures into
//! [`ParseError`]s that say what was found and what would have been valid, pointing at the
//! offending character. A few common mistakes get their own message: an unclosed string, an
//! unclosed or unmatched parenthesis, `=` where an expression belongs, and a statement that
//! starts with a number.
//!
//! The language, briefly (whitespace including newlines is insignificant; `// ...` and
//! `# ...` are comments; statements may be separated by `;`):
//!
//! ```text
//! counts = lines.flatMap(split(" ")).map(pair(1)).reduceByKey(sum)
//! errors = lines.filter(x => x.contains("ERROR") && x.length > 3)
//! totals = pairs.updateStateByKey((values, state) => Some(values.sum + state.getOrElse(0)))
//! windowed = pairs.reduceByKeyAndWindow(sum, 30s, 10s)
//! counts.print()
//! ```

use super::ast::{BinOp, Expr, ExprKind, Ident, Literal, Program, Span, Statement, UnOp};
use crate::sim::Duration;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::Parser;
use std::fmt;

mod grammar {
    //! The pest-generated parser (private: the rules are an implementation detail).
    #[derive(pest_derive::Parser)]
    #[grammar = "scenario/grammar.pest"]
    pub(super) struct PipelineParser;
}

use grammar::{PipelineParser, Rule};

/// The deepest nesting of expressions accepted. Deeper input is rejected with a
/// [`ParseError`] instead of risking the stack of the parser, the compiler or the evaluator.
pub const MAX_DEPTH: u32 = 200;

/// A syntax error, with the position of the offending character.
///
/// `Display` prints `line L, column C: <message>`, e.g.
/// `line 2, column 14: expected `)` or `,` after an argument, found `;``.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// Where the problem is (1-based line and column in characters, relative to the text
    /// given to the parser).
    pub span: Span,
    /// What was found there, as shown in the message: `` `;` ``, `` `foo` ``, `end of input`.
    pub found: String,
    /// What would have been valid there, as shown in the message: `` `)` or `,` after an
    /// argument ``, `an expression`.
    pub expected: String,
    /// The whole message (without the position).
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.span.line, self.span.col, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole pipeline program: statements `name = expr` or bare expressions such as
/// `counts.print()`, optionally separated by `;`.
///
/// # Errors
/// A [`ParseError`] at the first offending character, e.g. an unclosed string or
/// parenthesis, a misplaced `=`, a statement starting with a number, a duration that is not
/// a whole number of milliseconds (`0.5ms`), an integer beyond 64 bits, or nesting deeper than
/// [`MAX_DEPTH`].
pub fn parse_program(text: &str) -> Result<Program, ParseError> {
    let b = Builder::new(text);
    let mut pairs = PipelineParser::parse(Rule::program, text).map_err(|e| b.convert(e))?;
    let mut statements = Vec::new();
    let Some(program) = pairs.next() else {
        return Ok(Program { statements });
    };
    for pair in program.into_inner() {
        if pair.as_rule() == Rule::statement {
            statements.push(b.statement(pair)?);
        }
    }
    Ok(Program { statements })
}

/// Parses a single expression (the REPL's input), e.g. `x => x + 1` or `lines.count()`.
///
/// # Errors
/// As [`parse_program`], except that a number is a fine expression.
pub fn parse_expr(text: &str) -> Result<Expr, ParseError> {
    let b = Builder::new(text);
    let mut pairs = PipelineParser::parse(Rule::repl_expr, text).map_err(|e| b.convert(e))?;
    let Some(top) = pairs.next() else {
        return Err(b.internal(0));
    };
    match top.into_inner().find(|p| p.as_rule() == Rule::expr) {
        Some(e) => Ok(b.expr(e, 0)?.0),
        None => Err(b.internal(0)),
    }
}

/// Prints an expression back as source text that parses to the same tree (up to spans),
/// with the fewest parentheses: `lines.flatMap(split(" "))`, `(a, b) => a + b * 2`.
/// Used to name lambdas (`Func::name`) and in messages.
pub fn unparse(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr, 0);
    out
}

// ---- building the AST ---------------------------------------------------------------------

/// A built expression and the depth of its tree.
type Built = (Expr, u32);

struct Builder<'a> {
    text: &'a str,
    /// Byte offsets where lines start.
    line_starts: Vec<usize>,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str) -> Builder<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Builder { text, line_starts }
    }

    /// The 1-based line/column of a byte offset.
    fn span(&self, byte: usize) -> Span {
        let byte = byte.min(self.text.len());
        let line = match self.line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let col = self.text.get(start..byte).map_or(0, |s| s.chars().count());
        Span {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            col: u32::try_from(col + 1).unwrap_or(u32::MAX),
        }
    }

    fn error(&self, byte: usize, found: String, expected: String, message: String) -> ParseError {
        ParseError {
            span: self.span(byte),
            found,
            expected,
            message,
        }
    }

    fn internal(&self, byte: usize) -> ParseError {
        self.error(
            byte,
            describe_token(self.text, byte),
            "valid input".into(),
            "internal parser error (please report this input)".into(),
        )
    }

    fn too_deep(&self, byte: usize) -> ParseError {
        self.error(
            byte,
            describe_token(self.text, byte),
            format!("at most {MAX_DEPTH} levels of nesting"),
            format!("this expression is nested too deeply (more than {MAX_DEPTH} levels)"),
        )
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair.as_span().start()),
        }
    }

    fn statement(&self, pair: Pair<'_, Rule>) -> Result<Statement, ParseError> {
        let start = pair.as_span().start();
        let span = self.span(start);
        let Some(inner) = pair.into_inner().next() else {
            return Err(self.internal(start));
        };
        match inner.as_rule() {
            Rule::assign => {
                let mut target = None;
                let mut expr = None;
                for p in inner.into_inner() {
                    match p.as_rule() {
                        Rule::target => target = Some(self.ident(&p)),
                        Rule::expr => expr = Some(self.expr(p, 0)?.0),
                        _ => {}
                    }
                }
                match (target, expr) {
                    (Some(t), Some(e)) => Ok(Statement {
                        target: Some(t),
                        expr: e,
                        span,
                    }),
                    _ => Err(self.internal(start)),
                }
            }
            Rule::expr => {
                if self
                    .text
                    .get(start..)
                    .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_digit()))
                {
                    let found = describe_token(self.text, start);
                    return Err(self.error(
                        start,
                        found.clone(),
                        "a statement: `name = expression` or an output operation such as \
                         `counts.print()`"
                            .into(),
                        format!(
                            "expected a statement (`name = expression` or an output operation \
                             such as `counts.print()`), found the number {found}; a statement \
                             cannot start with a number (is an operator missing before it?)"
                        ),
                    ));
                }
                Ok(Statement {
                    target: None,
                    expr: self.expr(inner, 0)?.0,
                    span,
                })
            }
            _ => Err(self.internal(start)),
        }
    }

    fn expr(&self, pair: Pair<'_, Rule>, depth: u32) -> Result<Built, ParseError> {
        let start = pair.as_span().start();
        if depth > MAX_DEPTH {
            return Err(self.too_deep(start));
        }
        let Some(inner) = pair.into_inner().next() else {
            return Err(self.internal(start));
        };
        match inner.as_rule() {
            Rule::lambda => self.lambda(inner, depth),
            Rule::binary => self.binary(inner, depth),
            _ => Err(self.internal(start)),
        }
    }

    fn lambda(&self, pair: Pair<'_, Rule>, depth: u32) -> Result<Built, ParseError> {
        let start = pair.as_span().start();
        let mut params = Vec::new();
        let mut body = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::lambda_params => {
                    params.extend(
                        p.into_inner()
                            .filter(|q| q.as_rule() == Rule::param)
                            .map(|q| self.ident(&q)),
                    );
                }
                Rule::expr => body = Some(self.expr(p, depth + 1)?),
                _ => {}
            }
        }
        let Some((body, d)) = body else {
            return Err(self.internal(start));
        };
        Ok((
            Expr {
                kind: ExprKind::Lambda {
                    params,
                    body: Box::new(body),
                },
                span: self.span(start),
            },
            d + 1,
        ))
    }

    /// Precedence climbing (shunting-yard, iterative) over `operand (op operand)*`.
    fn binary(&self, pair: Pair<'_, Rule>, depth: u32) -> Result<Built, ParseError> {
        let start = pair.as_span().start();
        let mut operands: Vec<Built> = Vec::new();
        let mut ops: Vec<(BinOp, usize)> = Vec::new();
        for p in pair.into_inner() {
            if p.as_rule() == Rule::operand {
                operands.push(self.operand(p, depth)?);
                continue;
            }
            let Some(op) = binop(p.as_rule()) else {
                return Err(self.internal(p.as_span().start()));
            };
            while let Some(&(top, at)) = ops.last() {
                if precedence(top) < precedence(op) {
                    break;
                }
                ops.pop();
                self.reduce(&mut operands, top, at)?;
            }
            ops.push((op, p.as_span().start()));
        }
        while let Some((top, at)) = ops.pop() {
            self.reduce(&mut operands, top, at)?;
        }
        match (operands.pop(), operands.is_empty()) {
            (Some(built), true) => Ok(built),
            _ => Err(self.internal(start)),
        }
    }

    fn reduce(&self, operands: &mut Vec<Built>, op: BinOp, at: usize) -> Result<(), ParseError> {
        let (Some((rhs, dr)), Some((lhs, dl))) = (operands.pop(), operands.pop()) else {
            return Err(self.internal(at));
        };
        let d = dl.max(dr) + 1;
        if d > MAX_DEPTH {
            return Err(self.too_deep(at));
        }
        let span = lhs.span;
        operands.push((
            Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            },
            d,
        ));
        Ok(())
    }

    /// `prefix* primary method*`: methods bind tighter than prefix operators.
    fn operand(&self, pair: Pair<'_, Rule>, depth: u32) -> Result<Built, ParseError> {
        let start = pair.as_span().start();
        let mut prefixes: Vec<(UnOp, usize)> = Vec::new();
        let mut primary: Option<Pair<'_, Rule>> = None;
        let mut methods: Vec<Pair<'_, Rule>> = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::op_neg => prefixes.push((UnOp::Neg, p.as_span().start())),
                Rule::op_not => prefixes.push((UnOp::Not, p.as_span().start())),
                Rule::method => methods.push(p),
                _ => primary = Some(p),
            }
        }
        let Some(primary) = primary else {
            return Err(self.internal(start));
        };
        // `-3` and `-2.5` are literals (so that `-9223372036854775808` fits).
        let folded = match (prefixes.last(), primary.as_rule(), methods.is_empty()) {
            (Some(&(UnOp::Neg, at)), Rule::int | Rule::float, true) => {
                prefixes.pop();
                Some(self.number(&primary, true, at)?)
            }
            _ => None,
        };
        let (mut expr, mut d) = match folded {
            Some(e) => (e, 1),
            None => self.primary(primary, depth)?,
        };
        for m in methods {
            let (e, md) = self.method(m, expr, depth)?;
            expr = e;
            d = d.max(md) + 1;
            if d > MAX_DEPTH {
                return Err(self.too_deep(start));
            }
        }
        for (op, at) in prefixes.into_iter().rev() {
            d += 1;
            if d > MAX_DEPTH {
                return Err(self.too_deep(at));
            }
            expr = Expr {
                kind: ExprKind::Unary {
                    op,
                    expr: Box::new(expr),
                },
                span: self.span(at),
            };
        }
        Ok((expr, d))
    }

    /// `.name` or `.name(args)` applied to `recv`; returns the args' depth.
    fn method(&self, pair: Pair<'_, Rule>, recv: Expr, depth: u32) -> Result<Built, ParseError> {
        let start = pair.as_span().start();
        let mut name = None;
        let mut args = None;
        let mut d = 0;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::method_name => name = Some(self.ident(&p)),
                Rule::call_args => {
                    let (a, ad) = self.call_args(p, depth)?;
                    args = Some(a);
                    d = ad;
                }
                _ => {}
            }
        }
        let Some(name) = name else {
            return Err(self.internal(start));
        };
        let span = recv.span;
        Ok((
            Expr {
                kind: ExprKind::Method {
                    recv: Box::new(recv),
                    name,
                    args,
                },
                span,
            },
            d,
        ))
    }

    fn call_args(&self, pair: Pair<'_, Rule>, depth: u32) -> Result<(Vec<Expr>, u32), ParseError> {
        let mut args = Vec::new();
        let mut d = 0;
        for p in pair.into_inner() {
            if p.as_rule() == Rule::expr {
                let (e, ed) = self.expr(p, depth + 1)?;
                d = d.max(ed);
                args.push(e);
            }
        }
        Ok((args, d))
    }

    fn primary(&self, pair: Pair<'_, Rule>, depth: u32) -> Result<Built, ParseError> {
        let start = pair.as_span().start();
        let span = self.span(start);
        let lit = |l: Literal| -> Result<Built, ParseError> {
            Ok((
                Expr {
                    kind: ExprKind::Lit(l),
                    span,
                },
                1,
            ))
        };
        match pair.as_rule() {
            Rule::int | Rule::float => Ok((self.number(&pair, false, start)?, 1)),
            Rule::duration
                if pair
                    .as_str()
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(0)
                    > 12 =>
            {
                Err(self.error(
                    start,
                    format!("`{}`", pair.as_str()),
                    "a duration of at most 12 digits".into(),
                    format!("the duration `{}` is too long", pair.as_str()),
                ))
            }
            Rule::duration => match Duration::parse(pair.as_str()) {
                Ok(d) => lit(Literal::Duration(d)),
                Err(msg) => Err(self.error(
                    start,
                    format!("`{}`", pair.as_str()),
                    "a duration such as `200ms`, `30s`, `2.5s`, `2min` or `1h`".into(),
                    msg,
                )),
            },
            Rule::string => lit(Literal::Str(unescape(pair.as_str()))),
            Rule::kw_true => lit(Literal::Bool(true)),
            Rule::kw_false => lit(Literal::Bool(false)),
            Rule::kw_null => lit(Literal::Null),
            Rule::kw_none => lit(Literal::None),
            Rule::var => Ok((
                Expr {
                    kind: ExprKind::Var(pair.as_str().to_string()),
                    span,
                },
                1,
            )),
            Rule::call => {
                let mut func = None;
                let mut args = None;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::func_name => func = Some(self.ident(&p)),
                        Rule::call_args => args = Some(self.call_args(p, depth)?),
                        _ => {}
                    }
                }
                let (Some(func), Some((args, d))) = (func, args) else {
                    return Err(self.internal(start));
                };
                Ok((
                    Expr {
                        kind: ExprKind::Call { func, args },
                        span,
                    },
                    d + 1,
                ))
            }
            Rule::paren => {
                let mut items = Vec::new();
                let mut d = 0;
                for p in pair.into_inner() {
                    if p.as_rule() == Rule::expr {
                        let (e, ed) = self.expr(p, depth + 1)?;
                        d = d.max(ed);
                        items.push(e);
                    }
                }
                if items.len() == 1 {
                    match items.pop() {
                        Some(e) => Ok((e, d)),
                        None => Err(self.internal(start)),
                    }
                } else {
                    Ok((
                        Expr {
                            kind: ExprKind::Tuple(items),
                            span,
                        },
                        d + 1,
                    ))
                }
            }
            Rule::if_expr => {
                let mut parts = Vec::new();
                let mut d = 0;
                for p in pair.into_inner() {
                    if p.as_rule() == Rule::expr {
                        let (e, ed) = self.expr(p, depth + 1)?;
                        d = d.max(ed);
                        parts.push(Box::new(e));
                    }
                }
                let mut parts = parts.into_iter();
                let (Some(cond), Some(then_), Some(else_)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(self.internal(start));
                };
                Ok((
                    Expr {
                        kind: ExprKind::If { cond, then_, else_ },
                        span,
                    },
                    d + 1,
                ))
            }
            _ => Err(self.internal(start)),
        }
    }

    /// An `int` or `float` literal, negated when `negative` (the span is then the `-`).
    fn number(&self, pair: &Pair<'_, Rule>, negative: bool, at: usize) -> Result<Expr, ParseError> {
        let digits = pair.as_str();
        let text = if negative {
            format!("-{digits}")
        } else {
            digits.to_string()
        };
        let lit = if pair.as_rule() == Rule::int {
            match text.parse::<i64>() {
                Ok(i) => Literal::Int(i),
                Err(_) => {
                    return Err(self.error(
                        pair.as_span().start(),
                        format!("`{digits}`"),
                        "an integer between -9223372036854775808 and 9223372036854775807".into(),
                        format!(
                            "the integer `{text}` does not fit in 64 bits (the largest is \
                             9223372036854775807); write a decimal such as `{digits}.0` for a \
                             double"
                        ),
                    ))
                }
            }
        } else {
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Literal::Float(x),
                _ => {
                    return Err(self.error(
                        pair.as_span().start(),
                        format!("`{digits}`"),
                        "a finite double".into(),
                        format!("the number `{text}` is too large for a double"),
                    ))
                }
            }
        };
        Ok(Expr {
            kind: ExprKind::Lit(lit),
            span: self.span(at),
        })
    }

    // ---- errors -------------------------------------------------------------------------

    /// Turns pest's failure into a friendly [`ParseError`].
    fn convert(&self, e: pest::error::Error<Rule>) -> ParseError {
        let pos = match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        }
        .min(self.text.len());
        let positives = match &e.variant {
            ErrorVariant::ParsingError { positives, .. } => positives.clone(),
            ErrorVariant::CustomError { .. } => return self.too_deep(pos),
        };
        let lex = Lexed::scan(self.text);
        if let Some(err) = &lex.string_error {
            if err.quote <= pos {
                return self.string_error(err);
            }
        }
        let at_end = lex.significant.partition_point(|&i| i < pos) == lex.significant.len();
        if at_end {
            if let Some(&open) = lex.unclosed.last() {
                return self.error(
                    open,
                    "end of input".into(),
                    "`)`".into(),
                    "this `(` is never closed: expected a matching `)` before the end of the \
                     input"
                        .into(),
                );
            }
        }
        let found = describe_token(self.text, pos);
        let rest = self.text.get(pos..).unwrap_or("");
        if rest.starts_with(|c: char| c.is_ascii_digit()) && !is_number_like(rest) {
            return self.error(
                pos,
                found.clone(),
                "a number (`42`, `2.5`, `1e3`) or a duration (`200ms`, `30s`, `2min`, `1h`)".into(),
                format!(
                    "{found} is neither a number nor a duration; numbers are written `42`, \
                     `2.5` or `1e3`, durations a number followed by `ms`, `s`, `min` or `h` \
                     (`200ms`, `30s`, `2min`, `1h`)"
                ),
            );
        }
        let expected = self.describe_expected(&positives, pos, &lex);
        if lex.unmatched_close.contains(&pos) {
            return self.error(
                pos,
                found,
                expected.clone(),
                format!(
                    "unmatched `)`: there is no open `(` for it to close (expected {expected})"
                ),
            );
        }
        let mut message = format!("expected {expected}, found {found}");
        if rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>") {
            message.push_str(
                "; `=` only names a result at the start of a statement (`name = expression`); \
                 to compare two values write `==`",
            );
        } else if rest.starts_with('\'') {
            message.push_str("; strings are written in double quotes, e.g. \"Spark\"");
        } else if expected.contains('`') && expected.contains(')') {
            if let Some(&open) = lex.unclosed.iter().rev().find(|&&o| o < pos) {
                let s = self.span(open);
                message.push_str(&format!(
                    " (the `(` at line {}, column {} is still open)",
                    s.line, s.col
                ));
            }
        }
        self.error(pos, found, expected, message)
    }

    fn string_error(&self, err: &StringError) -> ParseError {
        match err.bad_escape {
            Some(at) => {
                let esc: String = self.text.get(at..).unwrap_or("").chars().take(2).collect();
                self.error(
                    at,
                    format!("`{esc}`"),
                    "one of the escapes `\\\"`, `\\\\`, `\\n`, `\\t`".into(),
                    format!(
                        "unknown escape `{esc}` in a string; the escapes are `\\\"`, `\\\\`, \
                         `\\n` and `\\t`"
                    ),
                )
            }
            None => self.error(
                err.quote,
                if err.at_eof {
                    "end of input".into()
                } else {
                    "end of line".into()
                },
                "`\"`".into(),
                "unclosed string: expected a closing `\"` before the end of the line".into(),
            ),
        }
    }

    fn describe_expected(&self, positives: &[Rule], pos: usize, lex: &Lexed) -> String {
        let has = |r: Rule| positives.contains(&r);
        let expr_like = positives.iter().any(|r| {
            matches!(
                r,
                Rule::expr
                    | Rule::lambda
                    | Rule::binary
                    | Rule::operand
                    | Rule::lambda_params
                    | Rule::var
                    | Rule::call
                    | Rule::paren
                    | Rule::if_expr
                    | Rule::int
                    | Rule::float
                    | Rule::string
                    | Rule::duration
            )
        });
        if has(Rule::args_close) || has(Rule::arg_sep) {
            return if expr_like {
                "an argument or `)`".into()
            } else {
                "`)` or `,` after an argument".into()
            };
        }
        if has(Rule::paren_close) || has(Rule::tuple_sep) {
            return "`)` or `,`".into();
        }
        if has(Rule::cond_close) {
            return "`)` after the condition of `if`".into();
        }
        if has(Rule::kw_else) {
            return "`else` (an `if` needs both branches: `if (c) a else b`)".into();
        }
        if expr_like {
            return match previous_token(self.text, pos, lex) {
                Some(prev) => format!("an expression after {prev}"),
                None => "an expression".into(),
            };
        }
        if has(Rule::program) || (has(Rule::statement) && !has(Rule::EOI)) {
            return "a statement: `name = expression` or an output operation such as \
                    `counts.print()`"
                .into();
        }
        if has(Rule::repl_expr) {
            return "an expression".into();
        }
        if has(Rule::param) {
            return "a parameter name".into();
        }
        if has(Rule::params_close) || has(Rule::param_sep) {
            return "`,` or `)` in the lambda's parameter list".into();
        }
        if has(Rule::cond_open) {
            return "`(` after `if`".into();
        }
        if has(Rule::method_name) {
            return "a method name after `.`".into();
        }
        if has(Rule::statement) || has(Rule::semi) {
            return "an operator, a method call `.name(...)`, `;` or a new statement".into();
        }
        if has(Rule::EOI) {
            return "an operator, a method call `.name(...)` or the end of the expression".into();
        }
        if has(Rule::arrow) {
            return "`=>`".into();
        }
        if positives.is_empty() {
            return "something else".into();
        }
        let names: Vec<String> = positives.iter().map(|r| format!("{r:?}")).collect();
        names.join(", ")
    }
}

fn binop(rule: Rule) -> Option<BinOp> {
    Some(match rule {
        Rule::op_or => BinOp::Or,
        Rule::op_and => BinOp::And,
        Rule::op_eq => BinOp::Eq,
        Rule::op_ne => BinOp::Ne,
        Rule::op_lt => BinOp::Lt,
        Rule::op_le => BinOp::Le,
        Rule::op_gt => BinOp::Gt,
        Rule::op_ge => BinOp::Ge,
        Rule::op_add => BinOp::Add,
        Rule::op_sub => BinOp::Sub,
        Rule::op_mul => BinOp::Mul,
        Rule::op_div => BinOp::Div,
        Rule::op_rem => BinOp::Rem,
        _ => return None,
    })
}

/// Binding strength of a binary operator (higher binds tighter).
fn precedence(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 1,
        BinOp::And => 2,
        BinOp::Eq | BinOp::Ne => 3,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
        BinOp::Add | BinOp::Sub => 5,
        BinOp::Mul | BinOp::Div | BinOp::Rem => 6,
    }
}

fn binop_text(op: BinOp) -> &'static str {
    op.symbol()
}

/// Resolves the escapes of a string literal (the grammar admits only valid ones).
fn unescape(quoted: &str) -> String {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(quoted);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---- a small lexical scan, only run on failure ----------------------------------------------

struct StringError {
    /// The opening quote.
    quote: usize,
    /// The backslash of an unknown escape, if that is the problem (else: unclosed).
    bad_escape: Option<usize>,
    /// Whether the unclosed string ran to the end of the input.
    at_eof: bool,
}

/// What a lexical scan of the whole text finds: string problems, parenthesis balance and the
/// positions of all significant (non-blank, non-comment) characters.
struct Lexed {
    string_error: Option<StringError>,
    /// Byte offsets of `(` never closed, outermost first.
    unclosed: Vec<usize>,
    /// Byte offsets of `)` with nothing to close.
    unmatched_close: Vec<usize>,
    /// Byte offsets of significant characters, ascending.
    significant: Vec<usize>,
}

impl Lexed {
    fn scan(text: &str) -> Lexed {
        let mut lx = Lexed {
            string_error: None,
            unclosed: Vec::new(),
            unmatched_close: Vec::new(),
            significant: Vec::new(),
        };
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                ' ' | '\t' | '\r' | '\n' => {}
                '#' => while chars.next_if(|&(_, c)| c != '\n').is_some() {},
                '/' if matches!(chars.peek(), Some((_, '/'))) => {
                    while chars.next_if(|&(_, c)| c != '\n').is_some() {}
                }
                '"' => {
                    lx.significant.push(i);
                    let mut closed = false;
                    let mut bad_escape = None;
                    while let Some((j, d)) = chars.next_if(|&(_, d)| d != '\n') {
                        lx.significant.push(j);
                        match d {
                            '"' => {
                                closed = true;
                                break;
                            }
                            '\\' => match chars.next_if(|&(_, e)| e != '\n') {
                                Some((k, e)) => {
                                    lx.significant.push(k);
                                    if !matches!(e, '"' | '\\' | 'n' | 't') && bad_escape.is_none()
                                    {
                                        bad_escape = Some(j);
                                    }
                                }
                                None => bad_escape = bad_escape.or(Some(j)),
                            },
                            _ => {}
                        }
                    }
                    let problem = if closed {
                        bad_escape.map(|b| (Some(b), false))
                    } else {
                        Some((None, chars.peek().is_none()))
                    };
                    if let (Some((bad_escape, at_eof)), None) = (problem, &lx.string_error) {
                        lx.string_error = Some(StringError {
                            quote: i,
                            bad_escape,
                            at_eof,
                        });
                    }
                }
                '(' => {
                    lx.significant.push(i);
                    lx.unclosed.push(i);
                }
                ')' => {
                    lx.significant.push(i);
                    if lx.unclosed.pop().is_none() {
                        lx.unmatched_close.push(i);
                    }
                }
                _ => lx.significant.push(i),
            }
        }
        lx
    }
}

/// The operator-like token just before `pos` (skipping blanks and comments), as
/// `` `+` ``, for "an expression after `+`".
fn previous_token(text: &str, pos: usize, lex: &Lexed) -> Option<String> {
    let idx = lex.significant.partition_point(|&i| i < pos);
    let at = *lex.significant.get(idx.checked_sub(1)?)?;
    let c = text.get(at..)?.chars().next()?;
    if text.get(..at + 1)?.ends_with("else") {
        return Some("`else`".into());
    }
    if !"=+-*/%<>!&|(,".contains(c) {
        return None;
    }
    let two = at
        .checked_sub(1)
        .and_then(|s| text.get(s..at + 1))
        .filter(|t| ["==", "!=", "<=", ">=", "&&", "||", "=>"].contains(t));
    Some(match two {
        Some(t) => format!("`{t}`"),
        None => format!("`{c}`"),
    })
}

/// Whether `text` starts with a well-formed number or duration (not running into a name).
fn is_number_like(text: &str) -> bool {
    let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let mut end = digits(text);
    let rest = &text[end..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = digits(frac);
        if n > 0 {
            end += 1 + n;
        }
    }
    let rest = &text[end..];
    let word = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(rest, |n| &rest[..n]);
    if word.is_empty() || ["ms", "s", "min", "h"].contains(&word) {
        return true;
    }
    // an exponent: `1e3`, or `1.5E` followed by a sign
    let Some(exp) = word.strip_prefix(['e', 'E']) else {
        return false;
    };
    if exp.is_empty() {
        let after = &rest[word.len()..];
        after.starts_with(['+', '-']) && after[1..].starts_with(|c: char| c.is_ascii_digit())
    } else {
        exp.chars().all(|c| c.is_ascii_digit())
    }
}

/// A short description of the token at `pos` for "found ...": `` `;` ``, `` `name` ``,
/// `` `42` ``, `` `"text"` ``, `end of input`.
fn describe_token(text: &str, pos: usize) -> String {
    let rest = text.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return "end of input".into();
    };
    let token: String = if c.is_ascii_digit() {
        // digits, an optional fraction, then a unit or whatever letters follow
        let mut end = rest
            .find(|d: char| !d.is_ascii_digit())
            .unwrap_or(rest.len());
        let tail = &rest[end..];
        if tail.starts_with('.') && tail[1..].starts_with(|d: char| d.is_ascii_digit()) {
            end += 1 + tail[1..]
                .find(|d: char| !d.is_ascii_digit())
                .unwrap_or(tail.len() - 1);
        }
        end += rest[end..]
            .find(|d: char| !(d.is_ascii_alphanumeric() || d == '_'))
            .unwrap_or(rest.len() - end);
        rest[..end].to_string()
    } else if c.is_ascii_alphanumeric() || c == '_' {
        rest.chars()
            .take_while(|d| d.is_ascii_alphanumeric() || *d == '_')
            .collect()
    } else if c == '"' {
        let mut s = String::from('"');
        for d in rest.chars().skip(1) {
            if d == '\n' {
                break;
            }
            s.push(d);
            if d == '"' {
                break;
            }
        }
        s
    } else if let Some(op) = ["==", "!=", "<=", ">=", "&&", "||", "=>"]
        .iter()
        .find(|op| rest.starts_with(**op))
    {
        (*op).to_string()
    } else {
        c.to_string()
    };
    let token = if token.chars().count() > 40 {
        let mut t: String = token.chars().take(37).collect();
        t.push_str("...");
        t
    } else {
        token
    };
    format!("`{token}`")
}

// ---- printing -----------------------------------------------------------------------------

/// Precedence level of an expression for printing: 0 for lambdas and `if` (their tail
/// extends as far as possible), 1..=6 for binary operators, 7 for prefix operators and
/// negative numbers, 8 for everything that binds tightest.
fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Lambda { .. } | ExprKind::If { .. } => 0,
        ExprKind::Binary { op, .. } => precedence(*op),
        ExprKind::Unary { .. } => 7,
        ExprKind::Lit(Literal::Int(i)) if *i < 0 => 7,
        ExprKind::Lit(Literal::Float(x)) if x.is_sign_negative() => 7,
        _ => 8,
    }
}

fn write_expr(out: &mut String, e: &Expr, min_level: u8) {
    if level(e) < min_level {
        out.push('(');
        write_expr(out, e, 0);
        out.push(')');
        return;
    }
    match &e.kind {
        ExprKind::Lit(l) => write_literal(out, l),
        ExprKind::Var(name) => out.push_str(name),
        ExprKind::Tuple(items) => {
            out.push('(');
            write_list(out, items);
            out.push(')');
        }
        ExprKind::Call { func, args } => {
            out.push_str(&func.name);
            out.push('(');
            write_list(out, args);
            out.push(')');
        }
        ExprKind::Method { recv, name, args } => {
            write_expr(out, recv, 8);
            out.push('.');
            out.push_str(&name.name);
            if let Some(args) = args {
                out.push('(');
                write_list(out, args);
                out.push(')');
            }
        }
        ExprKind::Lambda { params, body } => {
            if params.len() == 1 {
                out.push_str(&params[0].name);
            } else {
                out.push('(');
                for (i, p) in params.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&p.name);
                }
                out.push(')');
            }
            out.push_str(" => ");
            write_expr(out, body, 0);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let p = precedence(*op);
            write_expr(out, lhs, p);
            out.push(' ');
            out.push_str(binop_text(*op));
            out.push(' ');
            write_expr(out, rhs, p + 1);
        }
        ExprKind::Unary { op, expr } => {
            out.push(match op {
                UnOp::Not => '!',
                UnOp::Neg => '-',
            });
            write_expr(out, expr, 7);
        }
        ExprKind::If { cond, then_, else_ } => {
            out.push_str("if (");
            write_expr(out, cond, 0);
            out.push_str(") ");
            write_expr(out, then_, 1);
            out.push_str(" else ");
            write_expr(out, else_, 0);
        }
    }
}

fn write_list(out: &mut String, items: &[Expr]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, item, 0);
    }
}

fn write_literal(out: &mut String, l: &Literal) {
    match l {
        Literal::Int(i) => out.push_str(&i.to_string()),
        Literal::Float(x) => out.push_str(&format!("{x:?}")),
        Literal::Str(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Literal::Null => out.push_str("null"),
        Literal::None => out.push_str("None"),
        Literal::Duration(d) => out.push_str(&d.to_string()),
    }
}
