//! The methods of values (`s.toLowerCase`, `t._1`, `xs.mkString(",")`, `o.getOrElse(0)`):
//! the table of names resolved at compile time and the application of a (non-higher-order)
//! method to a receiver at run time.

use super::ops::{
    as_f64, compare, derived, describe, equal, err, java_split, not_defined, num, seq_extreme,
    seq_sum, total_order,
};
use crate::func::{EvalError, EvalResult};
use crate::value::{SeqKind, Value};
use std::cmp::Ordering;
use std::collections::HashSet;

/// The methods, resolved by name at compile time and dispatched on the receiver at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Field(usize),
    Swap,
    Contains,
    StartsWith,
    EndsWith,
    ToLowerCase,
    ToUpperCase,
    Trim,
    Length,
    IsEmpty,
    NonEmpty,
    Split,
    ToInt,
    ToLong,
    ToDouble,
    Substring,
    Replace,
    CharAt,
    Take,
    Drop,
    Abs,
    ToString,
    Max,
    Min,
    Sum,
    Head,
    Last,
    MkString,
    Sorted,
    Reverse,
    ToList,
    ToSeq,
    ToSet,
    ToMap,
    Distinct,
    Map,
    Filter,
    Exists,
    GetOrElse,
    IsDefined,
    Get,
    Equals,
}

/// Method names, what they resolve to, and how many arguments each accepts.
pub(crate) const METHODS: &[(&str, Method, &[usize])] = &[
    ("_1", Method::Field(0), &[0]),
    ("_2", Method::Field(1), &[0]),
    ("_3", Method::Field(2), &[0]),
    ("_4", Method::Field(3), &[0]),
    ("_5", Method::Field(4), &[0]),
    ("_6", Method::Field(5), &[0]),
    ("_7", Method::Field(6), &[0]),
    ("_8", Method::Field(7), &[0]),
    ("_9", Method::Field(8), &[0]),
    ("swap", Method::Swap, &[0]),
    ("contains", Method::Contains, &[1]),
    ("startsWith", Method::StartsWith, &[1]),
    ("endsWith", Method::EndsWith, &[1]),
    ("toLowerCase", Method::ToLowerCase, &[0]),
    ("toUpperCase", Method::ToUpperCase, &[0]),
    ("trim", Method::Trim, &[0]),
    ("length", Method::Length, &[0]),
    ("size", Method::Length, &[0]),
    ("isEmpty", Method::IsEmpty, &[0]),
    ("nonEmpty", Method::NonEmpty, &[0]),
    ("split", Method::Split, &[1]),
    ("toInt", Method::ToInt, &[0]),
    ("toLong", Method::ToLong, &[0]),
    ("toDouble", Method::ToDouble, &[0]),
    ("substring", Method::Substring, &[1, 2]),
    ("replace", Method::Replace, &[2]),
    ("charAt", Method::CharAt, &[1]),
    ("take", Method::Take, &[1]),
    ("drop", Method::Drop, &[1]),
    ("abs", Method::Abs, &[0]),
    ("toString", Method::ToString, &[0]),
    ("max", Method::Max, &[0, 1]),
    ("min", Method::Min, &[0, 1]),
    ("sum", Method::Sum, &[0]),
    ("head", Method::Head, &[0]),
    ("last", Method::Last, &[0]),
    ("mkString", Method::MkString, &[0, 1, 3]),
    ("sorted", Method::Sorted, &[0]),
    ("reverse", Method::Reverse, &[0]),
    ("toList", Method::ToList, &[0]),
    ("toSeq", Method::ToSeq, &[0]),
    ("toSet", Method::ToSet, &[0]),
    ("toMap", Method::ToMap, &[0]),
    ("distinct", Method::Distinct, &[0]),
    ("map", Method::Map, &[1]),
    ("filter", Method::Filter, &[1]),
    ("exists", Method::Exists, &[1]),
    ("getOrElse", Method::GetOrElse, &[1]),
    ("isDefined", Method::IsDefined, &[0]),
    ("get", Method::Get, &[0]),
    ("equals", Method::Equals, &[1]),
];

/// The names of all methods, for messages.
pub(crate) fn method_names() -> impl Iterator<Item = &'static str> {
    METHODS.iter().map(|m| m.0)
}

fn int_arg(name: &str, args: &[Value], i: usize) -> Result<i64, EvalError> {
    match args.get(i) {
        Some(Value::Int(n)) => Ok(*n),
        Some(other) => Err(err(format!(
            "`{name}` needs an int argument, found {}",
            describe(other)
        ))),
        None => Err(err(format!("`{name}` is missing an argument"))),
    }
}

fn str_arg<'a>(name: &str, args: &'a [Value], i: usize) -> Result<&'a str, EvalError> {
    match args.get(i) {
        Some(Value::Str(s)) => Ok(s),
        Some(other) => Err(err(format!(
            "`{name}` needs a string argument, found {}",
            describe(other)
        ))),
        None => Err(err(format!("`{name}` is missing an argument"))),
    }
}

fn clamp_count(n: i64, len: usize) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX).min(len)
}

fn number_format(target: &str, s: &str) -> EvalError {
    err(format!(
        "cannot convert string {s:?} to {target} (NumberFormatException: For input string: \
         {s:?})"
    ))
}

/// Java's `Double.parseDouble`: surrounding blanks ignored, `NaN`, `Infinity`, an optional
/// trailing `d`/`f`.
fn parse_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    match t {
        "NaN" | "+NaN" | "-NaN" => return Some(f64::NAN),
        "Infinity" | "+Infinity" => return Some(f64::INFINITY),
        "-Infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    if t.chars()
        .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        return None;
    }
    t.parse::<f64>().ok()
}

fn char_range(s: &str, from: usize, to: usize) -> &str {
    let start = s.char_indices().nth(from).map_or(s.len(), |(i, _)| i);
    let end = s.char_indices().nth(to).map_or(s.len(), |(i, _)| i);
    s.get(start..end).unwrap_or("")
}

/// Applies a (non-higher-order) method to a receiver.
pub(crate) fn method(m: Method, name: &str, recv: &Value, args: &[Value]) -> EvalResult {
    use Value::{Bool, Float, Int, Opt, Seq, Str, Tuple};
    let bad = || not_defined(name, recv);
    Ok(match (m, recv) {
        (Method::ToString, v) => Value::str(&v.to_string()),
        (Method::Equals, v) => Bool(args.first().is_some_and(|a| equal(v, a))),

        (Method::Field(i), Tuple(fields)) => fields.get(i).cloned().ok_or_else(bad)?,
        (Method::Swap, Tuple(f)) if f.len() == 2 => Value::pair(f[1].clone(), f[0].clone()),

        // strings
        (Method::Contains, Str(s)) => Bool(s.contains(str_arg(name, args, 0)?)),
        (Method::StartsWith, Str(s)) => Bool(s.starts_with(str_arg(name, args, 0)?)),
        (Method::EndsWith, Str(s)) => Bool(s.ends_with(str_arg(name, args, 0)?)),
        (Method::ToLowerCase, Str(s)) => Value::str(&s.to_lowercase()),
        (Method::ToUpperCase, Str(s)) => Value::str(&s.to_uppercase()),
        (Method::Trim, Str(s)) => Value::str(s.trim_matches(|c: char| c <= ' ')),
        (Method::Length, Str(s)) => Int(s.chars().count() as i64),
        (Method::IsEmpty, Str(s)) => Bool(s.is_empty()),
        (Method::NonEmpty, Str(s)) => Bool(!s.is_empty()),
        (Method::Split, Str(s)) => java_split(s, str_arg(name, args, 0)?),
        (Method::ToInt, Str(s)) => Int(i64::from(
            s.parse::<i32>().map_err(|_| number_format("int", s))?,
        )),
        (Method::ToLong, Str(s)) => Int(s.parse::<i64>().map_err(|_| number_format("long", s))?),
        (Method::ToDouble, Str(s)) => {
            Float(parse_double(s).ok_or_else(|| number_format("double", s))?)
        }
        (Method::Substring, Str(s)) => {
            let len = s.chars().count() as i64;
            let from = int_arg(name, args, 0)?;
            let to = if args.len() > 1 {
                int_arg(name, args, 1)?
            } else {
                len
            };
            if from < 0 || to > len || from > to {
                return Err(err(format!(
                    "`substring({from}{})` is out of range for string {s:?} of length {len}",
                    if args.len() > 1 {
                        format!(", {to}")
                    } else {
                        String::new()
                    }
                )));
            }
            Value::str(char_range(s, from as usize, to as usize))
        }
        (Method::Replace, Str(s)) => {
            Value::str(&s.replace(str_arg(name, args, 0)?, str_arg(name, args, 1)?))
        }
        (Method::CharAt, Str(s)) => {
            let i = int_arg(name, args, 0)?;
            let c = usize::try_from(i).ok().and_then(|i| s.chars().nth(i));
            match c {
                Some(c) => Value::str(c.encode_utf8(&mut [0; 4])),
                None => {
                    return Err(err(format!(
                        "`charAt({i})` is out of range for string {s:?} of length {}",
                        s.chars().count()
                    )))
                }
            }
        }
        (Method::Take, Str(s)) => {
            let n = clamp_count(int_arg(name, args, 0)?, usize::MAX);
            Value::str(char_range(s, 0, n))
        }
        (Method::Drop, Str(s)) => {
            let n = clamp_count(int_arg(name, args, 0)?, usize::MAX);
            Value::str(char_range(s, n, usize::MAX))
        }

        // numbers
        (Method::ToInt, Int(i)) => Int(i64::from(*i as i32)),
        (Method::ToInt, Float(x)) => Int(i64::from(*x as i32)),
        (Method::ToLong, Int(i)) => Int(*i),
        (Method::ToLong, Float(x)) => Int(*x as i64),
        (Method::ToDouble, Int(i)) => Float(*i as f64),
        (Method::ToDouble, Float(x)) => Float(*x),
        (Method::Abs, Int(i)) => Int(i.wrapping_abs()),
        (Method::Abs, Float(x)) => Float(x.abs()),
        (Method::Max | Method::Min, Int(_) | Float(_)) if args.len() == 1 => {
            let (a, b) = (recv, &args[0]);
            if num(b).is_none() {
                return Err(err(format!(
                    "`{name}` needs a number argument, found {}",
                    describe(b)
                )));
            }
            let pick_a = match compare(a, b) {
                Some(Ordering::Greater) => m == Method::Max,
                Some(Ordering::Less) => m == Method::Min,
                _ => true,
            };
            let winner = if pick_a { a } else { b };
            match (a, b) {
                (Int(_), Int(_)) => winner.clone(),
                _ => Float(num(winner).map_or(f64::NAN, as_f64)),
            }
        }

        // sequences
        (Method::Sum, Seq(_, items)) => seq_sum(name, items)?,
        (Method::Length, Seq(_, items)) => Int(items.len() as i64),
        (Method::IsEmpty, Seq(_, items)) => Bool(items.is_empty()),
        (Method::NonEmpty, Seq(_, items)) => Bool(!items.is_empty()),
        (Method::Head, Seq(_, items)) => items
            .first()
            .cloned()
            .ok_or_else(|| err("`head` of an empty sequence"))?,
        (Method::Last, Seq(_, items)) => items
            .last()
            .cloned()
            .ok_or_else(|| err("`last` of an empty sequence"))?,
        (Method::Max, Seq(_, items)) if args.is_empty() => seq_extreme(name, items, true)?,
        (Method::Min, Seq(_, items)) if args.is_empty() => seq_extreme(name, items, false)?,
        (Method::MkString, Seq(_, items)) => {
            let (start, sep, end) = match args.len() {
                0 => ("", "", ""),
                1 => ("", str_arg(name, args, 0)?, ""),
                _ => (
                    str_arg(name, args, 0)?,
                    str_arg(name, args, 1)?,
                    str_arg(name, args, 2)?,
                ),
            };
            let body: Vec<String> = items.iter().map(Value::to_string).collect();
            Value::str(&format!("{start}{}{end}", body.join(sep)))
        }
        (Method::Contains, Seq(_, items)) => {
            let x = args.first().ok_or_else(bad)?;
            Bool(items.iter().any(|i| equal(i, x)))
        }
        (Method::Sorted, Seq(kind, items)) => {
            let mut v = items.to_vec();
            let order = total_order(items);
            v.sort_by(|a, b| order(a, b));
            Value::seq(derived(*kind), v)
        }
        (Method::Reverse, Seq(kind, items)) => {
            Value::seq(derived(*kind), items.iter().rev().cloned().collect())
        }
        (Method::ToList, Seq(_, items)) => Value::Seq(SeqKind::List, items.clone()),
        // Scala: a Seq's toSeq is itself (a CompactBuffer stays one, and prints so).
        (Method::ToSeq, Seq(_, _)) => recv.clone(),
        (Method::ToSet, Seq(_, items)) => {
            let mut seen = HashSet::new();
            let mut v: Vec<Value> = items.iter().filter(|x| seen.insert(*x)).cloned().collect();
            // Scala 2.12: Set1..Set4 keep insertion order; from five elements on the set is a
            // HashSet, iterated in its hash trie's order.
            if v.len() > 4 {
                crate::value::murmur3::hash_trie_order(&mut v, |x| x);
            }
            Value::seq(SeqKind::Set, v)
        }
        // Scala's toMap: a later pair replaces an earlier one's value, in the earlier place.
        (Method::ToMap, Seq(_, items)) => {
            let mut out: Vec<Value> = Vec::new();
            for kv in items.iter() {
                let Tuple(f) = kv else {
                    return Err(err(format!("`toMap` needs pairs, found {}", describe(kv))));
                };
                if f.len() != 2 {
                    return Err(err(format!("`toMap` needs pairs, found {}", describe(kv))));
                }
                match out
                    .iter_mut()
                    .find(|o| matches!(o, Tuple(g) if g[0] == f[0]))
                {
                    Some(slot) => *slot = kv.clone(),
                    None => out.push(kv.clone()),
                }
            }
            // Map1..Map4 keep insertion order; a HashMap (five keys or more) its trie's.
            if out.len() > 4 {
                crate::value::murmur3::hash_trie_order(&mut out, |kv| match kv {
                    Tuple(f) => &f[0],
                    other => other,
                });
            }
            Value::seq(SeqKind::Map, out)
        }
        (Method::Distinct, Seq(kind, items)) => {
            let mut seen = HashSet::new();
            let v = items.iter().filter(|x| seen.insert(*x)).cloned().collect();
            Value::seq(derived(*kind), v)
        }
        (Method::Take, Seq(kind, items)) => {
            let n = clamp_count(int_arg(name, args, 0)?, items.len());
            Value::seq(derived(*kind), items[..n].to_vec())
        }
        (Method::Drop, Seq(kind, items)) => {
            let n = clamp_count(int_arg(name, args, 0)?, items.len());
            Value::seq(derived(*kind), items[n..].to_vec())
        }

        // options
        (Method::GetOrElse, Opt(o)) => match o {
            Some(x) => (**x).clone(),
            None => args.first().cloned().ok_or_else(bad)?,
        },
        (Method::IsDefined | Method::NonEmpty, Opt(o)) => Bool(o.is_some()),
        (Method::IsEmpty, Opt(o)) => Bool(o.is_none()),
        (Method::Get, Opt(o)) => match o {
            Some(x) => (**x).clone(),
            None => return Err(err("`get` on None (NoSuchElementException: None.get)")),
        },
        (Method::Contains, Opt(o)) => {
            let x = args.first().ok_or_else(bad)?;
            Bool(o.as_deref().is_some_and(|v| equal(v, x)))
        }
        _ => return Err(bad()),
    })
}
