//! The AST builder: pest's pairs turned into [`Program`](crate::scenario::ast::Program)
//! statements and [`Expr`] trees, resolving operator precedence by precedence climbing and
//! bounding the nesting depth.

use super::error::ParseError;
use super::grammar::Rule;
use super::lex::describe_token;
use super::print::precedence;
use super::scala::{close_placeholders, duration_call, resolve_named};
use super::source::{Builder, MAX_DEPTH};
use crate::scenario::ast::{BinOp, Expr, ExprKind, Ident, Literal, Statement, UnOp};
use crate::sim::Duration;
use pest::iterators::Pair;

// ---- building the AST ---------------------------------------------------------------------

/// A built expression and the depth of its tree.
type Built = (Expr, u32);

impl Builder<'_> {
    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair.as_span().start()),
        }
    }

    pub(super) fn statement(&self, pair: Pair<'_, Rule>) -> Result<Statement, ParseError> {
        let start = pair.as_span().start();
        let span = self.span(start);
        let Some(inner) = pair.into_inner().next() else {
            return Err(self.internal(start));
        };
        match inner.as_rule() {
            Rule::def_stmt | Rule::case_class => self.definition(inner, span),
            Rule::object_decl => self.object(inner),
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

    pub(super) fn expr(&self, pair: Pair<'_, Rule>, depth: u32) -> Result<Built, ParseError> {
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
                Rule::lambda_params => params.extend(self.params(p)),
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
                Rule::eta => {}
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
        let mut name: Option<Ident> = None;
        let mut args = None;
        let mut d = 0;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::method_name => name = Some(self.ident(&p)),
                Rule::call_args => {
                    let method = name.as_ref().map_or("", |n| n.name.as_str());
                    let (a, ad) = self.named_call_args(p, depth, method)?;
                    args = Some(a);
                    d = ad;
                }
                Rule::block => {
                    let (b, bd) = self.primary(p, depth + 1)?;
                    args = Some(vec![close_placeholders(b)]);
                    d = bd;
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

    /// The arguments of a call to `method`, named arguments (`numPartitions = 4`) put in
    /// Spark's order and placeholders (`_ + _`) made into lambdas, as Scala does.
    fn named_call_args(
        &self,
        pair: Pair<'_, Rule>,
        depth: u32,
        method: &str,
    ) -> Result<(Vec<Expr>, u32), ParseError> {
        let mut args = Vec::new();
        let mut d = 0;
        let mut pending: Option<Ident> = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::named_arg => {
                    pending = p
                        .into_inner()
                        .find(|q| q.as_rule() == Rule::arg_name)
                        .map(|q| self.ident(&q));
                }
                Rule::expr => {
                    let (e, ed) = self.expr(p, depth + 1)?;
                    d = d.max(ed);
                    args.push((pending.take(), close_placeholders(e)));
                }
                _ => {}
            }
        }
        Ok((resolve_named(method, args)?, d))
    }

    fn call_args(&self, pair: Pair<'_, Rule>, depth: u32) -> Result<(Vec<Expr>, u32), ParseError> {
        self.named_call_args(pair, depth, "")
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
            Rule::block => self.block(pair, depth),
            Rule::call | Rule::new_call => {
                let mut func = None;
                let mut args = if pair.as_rule() == Rule::new_call {
                    Some((Vec::new(), 0))
                } else {
                    None
                };
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
                    duration_call(Expr {
                        kind: ExprKind::Call { func, args },
                        span,
                    }),
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
