//! Printing expressions back as source text ([`unparse`](super::unparse)) with the fewest
//! parentheses, by operator precedence.

use crate::scenario::ast::{BinOp, Expr, ExprKind, Literal, UnOp};

/// Binding strength of a binary operator (higher binds tighter).
pub(super) fn precedence(op: BinOp) -> u8 {
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

/// Prints an expression (see [`super::unparse`]).
pub(super) fn unparse(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr, 0);
    out
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
