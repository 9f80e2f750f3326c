//! The built-in functions that can be passed to operators: `split(" ")`, `pair(1)`, `sum`,
//! `runningSum`, ... Each is documented in [`builtins`](super::builtins()) with the number of
//! record arguments the resulting function takes.

use super::error::CompileError;
use super::methods::{method, Method};
use super::ops::{arith, describe, equal, java_split, seq_extreme, seq_sum, suggest};
use crate::func::{EvalError, EvalResult, Func};
use crate::scenario::ast::{BinOp, Span};
use crate::value::Value;

/// One built-in function, for `help` and completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinDoc {
    /// The name as written (`split`).
    pub name: &'static str,
    /// How it is written with its constant arguments (`split(sep)`).
    pub signature: &'static str,
    /// How many record arguments the resulting function takes (2 for `sum`, used by
    /// `reduceByKey`; `sum`, `max` and `min` also work with 1, over a sequence).
    pub arity: usize,
    /// One line saying what it does.
    pub doc: &'static str,
}

const fn doc(
    name: &'static str,
    signature: &'static str,
    arity: usize,
    doc: &'static str,
) -> BuiltinDoc {
    BuiltinDoc {
        name,
        signature,
        arity,
        doc,
    }
}

pub(crate) static DOCS: &[BuiltinDoc] = &[
    doc("split", "split(sep)", 1, "string -> List of the parts between the literal separator `sep` (Java's String.split: trailing empty parts dropped)"),
    doc("words", "words", 1, "string -> List of its words, split on whitespace, without empty strings"),
    doc("pair", "pair(v)", 1, "x -> (x, v), e.g. `map(pair(1))` for word counts"),
    doc("pair1", "pair1", 1, "x -> (x, 1), the same as `pair(1)`"),
    doc("sum", "sum", 2, "(a, b) -> a + b on numbers (int + int stays int); with 1 argument: the sum of a sequence"),
    doc("sub", "sub", 2, "(a, b) -> a - b on numbers, e.g. the inverse function of `reduceByKeyAndWindow`"),
    doc("max", "max", 2, "(a, b) -> the larger of two numbers, or of two strings (Scala's `if (a > b) a else b`); with 1 argument: the largest element of a sequence"),
    doc("min", "min", 2, "(a, b) -> the smaller of two numbers, or of two strings; with 1 argument: the smallest element of a sequence"),
    doc("identity", "identity", 1, "x -> x"),
    doc("toLower", "toLower", 1, "string -> the string in lower case"),
    doc("toUpper", "toUpper", 1, "string -> the string in upper case"),
    doc("trim", "trim", 1, "string -> the string without leading and trailing blanks"),
    doc("swap", "swap", 1, "(a, b) -> (b, a)"),
    doc("key", "key", 1, "(k, v) -> k"),
    doc("value", "value", 1, "(k, v) -> v"),
    doc("contains", "contains(s)", 1, "x -> whether the string x contains s (or the sequence x has the element s)"),
    doc("startsWith", "startsWith(s)", 1, "string x -> whether x starts with s"),
    doc("endsWith", "endsWith(s)", 1, "string x -> whether x ends with s"),
    doc("equals", "equals(v)", 1, "x -> whether x == v"),
    doc("length", "length", 1, "string or sequence -> its length"),
    doc("runningSum", "runningSum", 2, "(values, state) -> Some(values.sum + state.getOrElse(0)), for updateStateByKey"),
    doc("runningCount", "runningCount", 2, "(values, state) -> Some(values.size + state.getOrElse(0)), for updateStateByKey"),
    doc("runningAvg", "runningAvg", 2, "(values, state) -> Some((sum + values.sum, count + values.size)) with state (sum, count), for updateStateByKey"),
];

/// Whether `name` is a built-in function.
pub(crate) fn is_builtin(name: &str) -> bool {
    DOCS.iter().any(|d| d.name == name)
}

/// How many constant arguments the built-in takes (`split(" ")`: 1).
fn const_params(name: &str) -> usize {
    match name {
        "split" | "pair" | "contains" | "startsWith" | "endsWith" | "equals" => 1,
        _ => 0,
    }
}

/// The record arities the built-in supports.
fn arities(name: &str) -> &'static [usize] {
    match name {
        "sum" | "max" | "min" => &[2, 1],
        "sub" | "runningSum" | "runningCount" | "runningAvg" => &[2],
        _ => &[1],
    }
}

pub(crate) fn lambda_example(arity: usize) -> &'static str {
    match arity {
        0 => "`() => 1`",
        1 => "`x => x`",
        2 => "`(a, b) => a + b`",
        3 => "`(a, b, c) => ...`",
        _ => "`(a, b, c, d) => ...`",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "argument"
    } else {
        "arguments"
    }
}

/// "this operator passes 2 arguments, e.g. `(a, b) => a + b`".
pub(crate) fn passes(arity: usize) -> String {
    format!(
        "this operator passes {arity} {}, e.g. {}",
        plural(arity),
        lambda_example(arity)
    )
}

/// The message for a name that is neither a built-in nor in scope.
pub(crate) fn unknown_function_message(name: &str) -> String {
    let names: Vec<&str> = DOCS.iter().map(|d| d.name).collect();
    let mut message = format!(
        "unknown function `{name}`; the built-ins are: {} (and, inside lambdas, `Some(x)`, \
         `List(a, b)`, `None`)",
        names.join(", ")
    );
    let candidates = names.iter().copied().chain(["Some", "List", "None"]);
    if let Some(s) = suggest(name, candidates) {
        message.push_str(&format!(" (did you mean `{s}`?)"));
    }
    message
}

/// A built-in without constant arguments called directly inside a lambda with `nargs`
/// record arguments (`max(a, b)`, `toLower(s)`), if that is valid.
pub(crate) fn direct(name: &str, nargs: usize) -> Option<Func> {
    if const_params(name) == 0 && arities(name).contains(&nargs) {
        make(name, &[], nargs, Span::default()).ok()
    } else {
        None
    }
}

/// Why `name(args...)` with `nargs` arguments is not valid inside a lambda.
pub(crate) fn direct_call_hint(name: &str, nargs: usize) -> String {
    if const_params(name) > 0 {
        let method = match name {
            "pair" => "write the tuple instead: `(x, v)`".to_string(),
            "equals" => "compare instead: `x == v`".to_string(),
            other => format!("call the method instead: `x.{other}(...)`"),
        };
        return format!(
            "`{name}(...)` makes a function to pass to an operator (`map({name}(...))`); inside \
             a lambda {method}"
        );
    }
    let ar: Vec<String> = arities(name).iter().map(usize::to_string).collect();
    format!(
        "`{name}` takes {} {} when called inside a lambda, but {nargs} {} given",
        ar.join(" or "),
        plural(arities(name).first().copied().unwrap_or(1)),
        if nargs == 1 { "is" } else { "are" }
    )
}

/// Source text of a constant argument: strings quoted, as written.
fn source(v: &Value) -> String {
    match v {
        Value::Str(s) => {
            let mut out = String::from('"');
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
            out
        }
        Value::Tuple(items) => {
            let parts: Vec<String> = items.iter().map(source).collect();
            format!("({})", parts.join(", "))
        }
        Value::Opt(Some(x)) => format!("Some({})", source(x)),
        Value::Seq(_, items) => {
            let parts: Vec<String> = items.iter().map(source).collect();
            let full = Value::Seq(crate::value::SeqKind::List, items.clone()).to_string();
            let name = full.split('(').next().unwrap_or("List");
            format!("{name}({})", parts.join(", "))
        }
        other => other.to_string(),
    }
}

fn type_error(display: &str, need: &str, v: &Value) -> EvalError {
    EvalError {
        message: format!("`{display}` needs {need}, found {}", describe(v)),
    }
}

fn arity_error(display: &str, arity: usize, got: usize) -> EvalError {
    EvalError {
        message: format!(
            "`{display}` takes {arity} {}, but was given {got}",
            plural(arity)
        ),
    }
}

/// Builds the built-in `name` applied to constant arguments `consts` (each with its span), as
/// a function of `arity` record arguments.
///
/// # Errors
/// Wrong number or type of constant arguments, or an arity the built-in does not support.
pub(crate) fn make(
    name: &str,
    consts: &[(Value, Span)],
    arity: usize,
    span: Span,
) -> Result<Func, CompileError> {
    let cerr = |span: Span, message: String| CompileError { message, span };
    let want = const_params(name);
    if consts.len() != want {
        return Err(cerr(
            span,
            if want == 0 {
                format!("`{name}` takes no arguments of its own; write just `{name}`")
            } else if consts.is_empty() {
                let sig = DOCS
                    .iter()
                    .find(|d| d.name == name)
                    .map_or(name, |d| d.signature);
                format!(
                    "`{name}` needs an argument: `{sig}`, e.g. `{}`",
                    match name {
                        "split" => "split(\" \")",
                        "pair" => "pair(1)",
                        "equals" => "equals(0)",
                        "startsWith" => "startsWith(\"ERROR\")",
                        "endsWith" => "endsWith(\".log\")",
                        _ => "contains(\"Spark\")",
                    }
                )
            } else {
                format!(
                    "`{name}` takes {want} {}, but {} are given",
                    plural(want),
                    consts.len()
                )
            },
        ));
    }
    if matches!(name, "split" | "startsWith" | "endsWith") {
        if let Some((v, s)) = consts.first() {
            if !matches!(v, Value::Str(_)) {
                return Err(cerr(
                    *s,
                    format!(
                        "`{name}` needs a string, e.g. `{name}(\" \")`, but the argument is {}",
                        describe(v)
                    ),
                ));
            }
        }
    }
    let display = if consts.is_empty() {
        name.to_string()
    } else {
        let args: Vec<String> = consts.iter().map(|(v, _)| source(v)).collect();
        format!("{name}({})", args.join(", "))
    };
    if !arities(name).contains(&arity) {
        let has = arities(name).first().copied().unwrap_or(1);
        return Err(cerr(
            span,
            format!(
                "`{display}` is a function of {has} {}, but {}{}",
                plural(has),
                passes(arity),
                if arity == 2 && has == 1 {
                    " (to combine two values, use e.g. `sum`, `max` or a lambda)"
                } else {
                    ""
                }
            ),
        ));
    }
    let Some(b) = B::from_name(name) else {
        return Err(cerr(span, unknown_function_message(name)));
    };
    let c = consts.first().map(|(v, _)| v.clone()).unwrap_or_default();
    let d = display.clone();
    let sep = c.as_str().map(str::to_string);
    let c_pair = c.clone();
    let f = move |args: &[Value]| -> EvalResult { run(b, &d, &c, args) };
    let func = Func::native(&display, arity, f);
    // flatMap fast paths: push the pieces straight into the partition (same pieces, same
    // order as flattening the List that `run` builds).
    Ok(match (b, sep) {
        (B::Split, Some(sep)) if arity == 1 && !sep.is_empty() => {
            let d = display.clone();
            let tag = sep.clone();
            func.with_flat(move |x, out| {
                // Java's rules (trailing empty parts dropped), as `java_split` builds them
                crate::value::java_split_each(str_of(&d, x)?, &sep, |p| {
                    out.push(Value::str(p));
                    Ok::<(), EvalError>(())
                })
            })
            .with_split_literal(&tag)
        }
        (B::Words, _) if arity == 1 => {
            let d = display.clone();
            func.with_flat(move |x, out| {
                out.extend(str_of(&d, x)?.split_ascii_whitespace().map(Value::str));
                Ok(())
            })
        }
        // `x => (x, c)`: a pipelined reduceByKey takes x and c without the pair.
        (B::Pair, _) if arity == 1 => func.with_pair_const(c_pair),
        (B::Pair1, _) if arity == 1 => func.with_pair_const(Value::Int(1)),
        // `sum` of two Ints is `wrapping_add` (`arith`'s `Add`): reduceByKey adds in place.
        (B::Sum, _) if arity == 2 => func.with_adds_ints(),
        _ => func,
    })
}

/// The built-ins, resolved from their names once at compile time.
#[derive(Clone, Copy, PartialEq, Eq)]
enum B {
    Split,
    Words,
    Pair,
    Pair1,
    Identity,
    ToLower,
    ToUpper,
    Trim,
    Swap,
    Key,
    Val,
    Contains,
    StartsWith,
    EndsWith,
    Equals,
    Length,
    Sum,
    Sub,
    Max,
    Min,
    RunningSum,
    RunningCount,
    RunningAvg,
}

impl B {
    fn from_name(name: &str) -> Option<B> {
        Some(match name {
            "split" => B::Split,
            "words" => B::Words,
            "pair" => B::Pair,
            "pair1" => B::Pair1,
            "identity" => B::Identity,
            "toLower" => B::ToLower,
            "toUpper" => B::ToUpper,
            "trim" => B::Trim,
            "swap" => B::Swap,
            "key" => B::Key,
            "value" => B::Val,
            "contains" => B::Contains,
            "startsWith" => B::StartsWith,
            "endsWith" => B::EndsWith,
            "equals" => B::Equals,
            "length" => B::Length,
            "sum" => B::Sum,
            "sub" => B::Sub,
            "max" => B::Max,
            "min" => B::Min,
            "runningSum" => B::RunningSum,
            "runningCount" => B::RunningCount,
            "runningAvg" => B::RunningAvg,
            _ => return None,
        })
    }
}

fn str_of<'a>(display: &str, v: &'a Value) -> Result<&'a str, EvalError> {
    v.as_str().ok_or_else(|| type_error(display, "a string", v))
}

fn numbers(display: &str, a: &Value, b: &Value) -> Result<(), EvalError> {
    for v in [a, b] {
        if !matches!(v, Value::Int(_) | Value::Float(_)) {
            return Err(EvalError {
                message: format!(
                    "`{display}` works on numbers, found {} and {}{}",
                    describe(a),
                    describe(b),
                    if display == "sum" && (a.as_str().is_some() || b.as_str().is_some()) {
                        " (to concatenate strings use `(a, b) => a + b`)"
                    } else {
                        ""
                    }
                ),
            });
        }
    }
    Ok(())
}

fn state_number(display: &str, state: &Value) -> EvalResult {
    match state {
        Value::Opt(None) => Ok(Value::Int(0)),
        Value::Opt(Some(s)) => Ok((**s).clone()),
        other => Err(type_error(
            display,
            "an option as the state (second argument)",
            other,
        )),
    }
}

/// Runs a built-in on its record arguments.
fn run(b: B, display: &str, c: &Value, args: &[Value]) -> EvalResult {
    use Value::{Bool, Int, Opt, Seq, Str, Tuple};
    match args {
        [x] => Ok(match b {
            B::Split => java_split(str_of(display, x)?, c.as_str().unwrap_or(" ")),
            B::Words => Value::list(
                str_of(display, x)?
                    .split_ascii_whitespace()
                    .map(Value::str)
                    .collect(),
            ),
            B::Pair => Value::pair(x.clone(), c.clone()),
            B::Pair1 => Value::pair(x.clone(), Int(1)),
            B::Identity => x.clone(),
            B::ToLower => Value::str(&str_of(display, x)?.to_lowercase()),
            B::ToUpper => Value::str(&str_of(display, x)?.to_uppercase()),
            B::Trim => Value::str(str_of(display, x)?.trim_matches(|ch: char| ch <= ' ')),
            B::Swap => match x.as_pair() {
                Some((p, q)) => Value::pair(q.clone(), p.clone()),
                None => return Err(type_error(display, "a pair (a, b)", x)),
            },
            B::Key | B::Val => match x.as_pair() {
                Some((k, v)) => {
                    if b == B::Key {
                        k.clone()
                    } else {
                        v.clone()
                    }
                }
                None => return Err(type_error(display, "a pair (k, v)", x)),
            },
            B::Contains => match (x, c) {
                (Str(s), Str(t)) => Bool(s.contains(&**t)),
                (Seq(_, items), _) => Bool(items.iter().any(|i| equal(i, c))),
                (Opt(o), _) => Bool(o.as_deref().is_some_and(|i| equal(i, c))),
                _ => return Err(type_error(display, "a string (or a sequence)", x)),
            },
            B::StartsWith => Bool(str_of(display, x)?.starts_with(c.as_str().unwrap_or(""))),
            B::EndsWith => Bool(str_of(display, x)?.ends_with(c.as_str().unwrap_or(""))),
            B::Equals => Bool(equal(x, c)),
            B::Length => match x {
                Str(s) => Int(s.chars().count() as i64),
                Seq(_, items) => Int(items.len() as i64),
                _ => return Err(type_error(display, "a string or a sequence", x)),
            },
            B::Sum | B::Max | B::Min => match x {
                Seq(_, items) if b == B::Sum => seq_sum(display, items)?,
                Seq(_, items) => seq_extreme(display, items, b == B::Max)?,
                _ => return Err(type_error(display, "a sequence", x)),
            },
            _ => return Err(arity_error(display, 2, 1)),
        }),
        [a, y] => Ok(match b {
            B::Sum | B::Sub => {
                numbers(display, a, y)?;
                arith(if b == B::Sum { BinOp::Add } else { BinOp::Sub }, a, y)?
            }
            // Scala's `(a, b) => if (a > b) a else b`: strings (and other values of one
            // kind) compare by their natural order, as Spark's oracle case shows.
            B::Max | B::Min
                if !matches!(a, Int(_) | Value::Float(_))
                    && std::mem::discriminant(a) == std::mem::discriminant(y) =>
            {
                let a_wins = if b == B::Max { a > y } else { a < y };
                if a_wins {
                    a.clone()
                } else {
                    y.clone()
                }
            }
            B::Max | B::Min => {
                numbers(display, a, y)?;
                let m = if b == B::Max {
                    Method::Max
                } else {
                    Method::Min
                };
                method(m, display, a, std::slice::from_ref(y))?
            }
            B::RunningSum | B::RunningCount => {
                let Seq(_, values) = a else {
                    return Err(type_error(
                        display,
                        "a sequence of values (first argument)",
                        a,
                    ));
                };
                let base = state_number(display, y)?;
                let add = if b == B::RunningSum {
                    seq_sum(display, values)?
                } else {
                    Int(values.len() as i64)
                };
                numbers(display, &base, &add)?;
                Value::some(arith(BinOp::Add, &base, &add)?)
            }
            B::RunningAvg => {
                let Seq(_, values) = a else {
                    return Err(type_error(
                        display,
                        "a sequence of values (first argument)",
                        a,
                    ));
                };
                let (sum, count) = match y {
                    Opt(None) => (Int(0), Int(0)),
                    Opt(Some(s)) => match &**s {
                        Tuple(f) if f.len() == 2 => (f[0].clone(), f[1].clone()),
                        other => {
                            return Err(type_error(display, "a state Some((sum, count))", other))
                        }
                    },
                    other => {
                        return Err(type_error(
                            display,
                            "an option as the state (second argument)",
                            other,
                        ))
                    }
                };
                let sum = arith(BinOp::Add, &sum, &seq_sum(display, values)?)?;
                let count = arith(BinOp::Add, &count, &Int(values.len() as i64))?;
                Value::some(Value::pair(sum, count))
            }
            _ => return Err(arity_error(display, 1, 2)),
        }),
        _ => Err(arity_error(display, 1, args.len())),
    }
}
