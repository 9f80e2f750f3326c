//! The value operations shared by the evaluator, the methods and the built-ins: Scala's binary
//! operators and numeric widening, equality and ordering, sums and extremes of sequences,
//! Java's `String.split`, and the wording of run-time errors ("did you mean", value
//! descriptions).

use crate::func::{EvalError, EvalResult};
use crate::scenario::ast::BinOp;
use crate::value::{SeqKind, Value};
use std::cmp::Ordering;

/// An [`EvalError`] with this message.
pub(crate) fn err(message: impl Into<String>) -> EvalError {
    EvalError {
        message: message.into(),
    }
}

/// The closest name within edit distance 2, for "did you mean".
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// The collection a transformed sequence becomes: Spark's `CompactBuffer` is a Scala `Seq`
/// whose transformations build `List`s; the others keep their kind.
pub(crate) fn derived(kind: SeqKind) -> SeqKind {
    match kind {
        SeqKind::CompactBuffer => SeqKind::List,
        other => other,
    }
}

/// Describes a value for an error message: `string "abc"`, `int 5`, `tuple (a,1)`.
pub(crate) fn describe(v: &Value) -> String {
    let text = match v {
        Value::Null => return "null".into(),
        Value::Str(s) => format!("{:?}", &**s),
        other => other.to_string(),
    };
    let text = if text.chars().count() > 60 {
        let mut t: String = text.chars().take(57).collect();
        t.push_str("...");
        t
    } else {
        text
    };
    format!("{} {text}", v.kind_name())
}

/// The error "`name` is not defined on" the described receiver.
pub(crate) fn not_defined(name: &str, recv: &Value) -> EvalError {
    err(format!("`{name}` is not defined on {}", describe(recv)))
}

// ---- numbers ------------------------------------------------------------------------------

/// A number: an integer or a double.
#[derive(Clone, Copy)]
pub(crate) enum Num {
    I(i64),
    F(f64),
}

/// The number in `v`, if it is one.
pub(crate) fn num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::I(*i)),
        Value::Float(x) => Some(Num::F(*x)),
        _ => None,
    }
}

/// The number as a double.
pub(crate) fn as_f64(n: Num) -> f64 {
    match n {
        Num::I(i) => i as f64,
        Num::F(x) => x,
    }
}

fn op_text(op: BinOp) -> &'static str {
    op.symbol()
}

fn verb(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "add",
        BinOp::Sub => "subtract",
        BinOp::Mul => "multiply",
        BinOp::Div => "divide",
        BinOp::Rem => "take the remainder of",
        _ => "compare",
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("{:?}", &**s),
        other => other.to_string(),
    }
}

/// Arithmetic on two numbers with Scala's rules: `Int op Int` stays an integer (wrapping on
/// overflow, `/` truncating, `/ by zero` on a zero divisor), anything with a double is a double.
pub(crate) fn arith(op: BinOp, a: &Value, b: &Value) -> EvalResult {
    let (Some(x), Some(y)) = (num(a), num(b)) else {
        return Err(err(format!(
            "cannot {} {} and {} (`{} {} {}`)",
            verb(op),
            a.kind_name(),
            b.kind_name(),
            short(a),
            op_text(op),
            short(b)
        )));
    };
    Ok(match (x, y) {
        (Num::I(i), Num::I(j)) => Value::Int(match op {
            BinOp::Add => i.wrapping_add(j),
            BinOp::Sub => i.wrapping_sub(j),
            BinOp::Mul => i.wrapping_mul(j),
            BinOp::Div | BinOp::Rem if j == 0 => return Err(err("/ by zero")),
            BinOp::Div => i.wrapping_div(j),
            BinOp::Rem => i.wrapping_rem(j),
            _ => return Err(err(format!("`{}` is not arithmetic", op_text(op)))),
        }),
        _ => {
            let (i, j) = (as_f64(x), as_f64(y));
            Value::Float(match op {
                BinOp::Add => i + j,
                BinOp::Sub => i - j,
                BinOp::Mul => i * j,
                BinOp::Div => i / j,
                BinOp::Rem => i % j,
                _ => return Err(err(format!("`{}` is not arithmetic", op_text(op)))),
            })
        }
    })
}

/// `==` with Scala's numeric widening (`1 == 1.0`), structural otherwise.
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    match (num(a), num(b)) {
        (Some(Num::I(i)), Some(Num::I(j))) => i == j,
        (Some(x), Some(y)) => as_f64(x) == as_f64(y),
        _ => a == b,
    }
}

/// Ordering for `<` and friends: numbers by value, other values of the same kind by their
/// natural order (strings lexicographically, `false < true`); `None` across kinds.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (num(a), num(b)) {
        (Some(Num::I(i)), Some(Num::I(j))) => Some(i.cmp(&j)),
        (Some(x), Some(y)) => as_f64(x).partial_cmp(&as_f64(y)),
        _ if std::mem::discriminant(a) == std::mem::discriminant(b) => Some(a.cmp(b)),
        _ => None,
    }
}

/// A total order for sorting and `max`/`min`: all-numeric mixes compare as doubles,
/// everything else by the value order.
pub(crate) fn total_order(items: &[Value]) -> impl Fn(&Value, &Value) -> Ordering {
    let mixed = items.iter().all(|v| num(v).is_some())
        && items.iter().any(|v| matches!(v, Value::Float(_)))
        && items.iter().any(|v| matches!(v, Value::Int(_)));
    move |a: &Value, b: &Value| match (mixed, num(a), num(b)) {
        (true, Some(x), Some(y)) => as_f64(x).total_cmp(&as_f64(y)),
        _ => a.cmp(b),
    }
}

/// A binary operator other than `&&`/`||` on two values.
pub(crate) fn binary(op: BinOp, a: &Value, b: &Value) -> EvalResult {
    match op {
        BinOp::Add => match (a, b) {
            (Value::Str(x), _) => Ok(Value::str(&format!("{x}{b}"))),
            (_, Value::Str(y)) => Ok(Value::str(&format!("{a}{y}"))),
            _ => arith(op, a, b),
        },
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => arith(op, a, b),
        BinOp::Eq => Ok(Value::Bool(equal(a, b))),
        BinOp::Ne => Ok(Value::Bool(!equal(a, b))),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let Some(ord) = compare(a, b) else {
                if num(a).is_some() && num(b).is_some() {
                    return Ok(Value::Bool(false)); // NaN
                }
                return Err(err(format!(
                    "cannot compare {} and {} (`{} {} {}`)",
                    a.kind_name(),
                    b.kind_name(),
                    short(a),
                    op_text(op),
                    short(b)
                )));
            };
            Ok(Value::Bool(match op {
                BinOp::Lt => ord == Ordering::Less,
                BinOp::Le => ord != Ordering::Greater,
                BinOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }))
        }
        BinOp::And | BinOp::Or => match (a, b) {
            (Value::Bool(x), Value::Bool(y)) => Ok(Value::Bool(if op == BinOp::And {
                *x && *y
            } else {
                *x || *y
            })),
            _ => Err(err(format!(
                "`{}` needs bool operands, found {} and {}",
                op_text(op),
                describe(a),
                describe(b)
            ))),
        },
    }
}

// ---- sequences ----------------------------------------------------------------------------

/// The sum of a sequence of numbers: an integer if all are integers, else a double; 0 if empty.
pub(crate) fn seq_sum(name: &str, items: &[Value]) -> EvalResult {
    let mut acc = Value::Int(0);
    for x in items {
        if num(x).is_none() {
            return Err(err(format!(
                "`{name}` needs numbers, found {} in the sequence",
                describe(x)
            )));
        }
        acc = arith(BinOp::Add, &acc, x)?;
    }
    Ok(acc)
}

/// The largest (or smallest) element; an error on an empty sequence (Scala's `empty.max`).
pub(crate) fn seq_extreme(name: &str, items: &[Value], largest: bool) -> EvalResult {
    let order = total_order(items);
    let found = if largest {
        items.iter().max_by(|a, b| order(a, b))
    } else {
        items.iter().min_by(|a, b| order(a, b))
    };
    found
        .cloned()
        .ok_or_else(|| err(format!("`{name}` of an empty sequence")))
}

/// Java's `String.split` with a literal separator: pieces between separators, trailing empty
/// strings removed (so `"a,b,,".split(",")` is `List(a, b)`), leading and inner ones kept; a
/// string without the separator (including `""`) is a list of itself. An empty separator
/// splits into characters.
pub(crate) fn java_split(s: &str, sep: &str) -> Value {
    let mut parts: Vec<Value> = if sep.is_empty() {
        if s.is_empty() {
            vec![Value::str("")]
        } else {
            s.chars()
                .map(|c| Value::str(c.encode_utf8(&mut [0; 4])))
                .collect()
        }
    } else {
        s.split(sep).map(Value::str).collect()
    };
    if parts.len() > 1 {
        while matches!(parts.last(), Some(Value::Str(p)) if p.is_empty()) {
            parts.pop();
        }
    }
    Value::list(parts)
}
