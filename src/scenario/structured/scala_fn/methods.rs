//! The methods of the values: `GroupState`, `Row`, `Iterator`/`Seq`, `Option`, tuples, case
//! classes, numbers, strings and timestamps.

use super::eval::{
    arith, cell_to_v, cmp, decode, elems, encode, eq, kind, same_kind, show_v, Cx, R, V,
};
use super::parse::Op;
use crate::models::structured::Cell;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

impl Cx<'_> {
    pub(super) fn method(&mut self, r: &V, m: &str, a: Vec<V>, a2: Vec<V>) -> R {
        let long = |v: Option<&V>| match v {
            Some(V::Long(n)) => Ok(*n),
            Some(V::Ts(n)) => Ok(*n),
            other => Err(format!(
                "`{m}` takes a Long, found {}",
                other.map_or("nothing", kind)
            )),
        };
        let interval = |s: &str| {
            crate::scenario::structured::query::parse_interval(s).map_err(|_| {
                format!("IllegalArgumentException: Provided duration ({s}) is not valid.")
            })
        };
        match (r, m) {
            (V::State, _) => {
                let ty = self.state_ty.clone();
                match m {
                    "exists" => Ok(V::Bool(self.state()?.exists())),
                    "hasTimedOut" => Ok(V::Bool(self.state()?.has_timed_out())),
                    "get" => {
                        let row = self.state()?.get()?.clone();
                        Ok(decode(self, ty.as_ref(), &row))
                    }
                    "getOption" => {
                        let row = self.state()?.get_option().cloned();
                        Ok(V::Opt(row.map(|r| Rc::new(decode(self, ty.as_ref(), &r)))))
                    }
                    "update" => {
                        let v = a.first().ok_or("update takes the new state")?;
                        let row = if matches!(v, V::Null) { vec![Cell::Null] } else { encode(v)? };
                        self.state()?.update(row)?;
                        Ok(V::Unit)
                    }
                    "remove" => {
                        self.state()?.remove();
                        Ok(V::Unit)
                    }
                    "setTimeoutDuration" => {
                        let ms = match a.first() {
                            Some(V::Str(s)) => interval(s)?,
                            v => long(v)?,
                        };
                        self.state()?.set_timeout_duration(ms)?;
                        Ok(V::Unit)
                    }
                    "setTimeoutTimestamp" => {
                        let mut ms = long(a.first())?;
                        if let Some(V::Str(s)) = a.get(1) {
                            if self.state()?.timeout_conf()
                                == crate::models::structured::GroupStateTimeout::EventTimeTimeout
                            {
                                ms += interval(s)?;
                            }
                        }
                        self.state()?.set_timeout_timestamp(ms)?;
                        Ok(V::Unit)
                    }
                    "getCurrentWatermarkMs" => Ok(V::Long(self.state()?.current_watermark_ms()?)),
                    "getCurrentProcessingTimeMs" => {
                        Ok(V::Long(self.state()?.current_processing_time_ms()))
                    }
                    _ => Err(format!("value {m} is not a member of GroupState; use get, getOption, exists, update, remove, hasTimedOut, setTimeoutDuration, setTimeoutTimestamp, getCurrentWatermarkMs or getCurrentProcessingTimeMs")),
                }
            }
            (V::Row(row), _) => {
                let idx = |v: Option<&V>| -> Result<usize, String> {
                    match v {
                        Some(V::Str(n)) => self.schema.index_of(n).ok_or_else(|| {
                            format!(
                                "IllegalArgumentException: {n} does not exist. Available: {}",
                                self.schema.names().join(", ")
                            )
                        }),
                        Some(V::Long(i)) if *i >= 0 && (*i as usize) < row.len() => Ok(*i as usize),
                        _ => Err(format!("`{m}` takes a column name or index")),
                    }
                };
                match m {
                    "getAs" | "get" | "getString" | "getLong" | "getInt" | "getDouble"
                    | "getTimestamp" | "getBoolean" => {
                        let i = idx(a.first())?;
                        let c = &row[i];
                        if c.is_null() && matches!(m, "getLong" | "getInt" | "getDouble" | "getBoolean") {
                            return Err(format!("NullPointerException: Value at index {i} is null"));
                        }
                        Ok(cell_to_v(c))
                    }
                    "isNullAt" => Ok(V::Bool(row[idx(a.first())?].is_null())),
                    "fieldIndex" => Ok(V::Long(idx(a.first())? as i64)),
                    "length" | "size" => Ok(V::Long(row.len() as i64)),
                    _ => Err(format!("value {m} is not a member of Row; use getAs[T](name), getString, getLong, getDouble, getTimestamp, isNullAt")),
                }
            }
            (V::Obj("Iterator"), "empty") => Ok(V::Iter(Rc::new(RefCell::new(VecDeque::new())))),
            (V::Obj("Iterator"), "single") if a.len() == 1 => {
                Ok(V::Iter(Rc::new(RefCell::new(a.into()))))
            }
            (V::Obj("math"), "max" | "min") if a.len() == 2 => {
                let o = cmp(&a[0], &a[1])?;
                let first = if m == "max" { o.is_ge() } else { o.is_le() };
                Ok(if first { a[0].clone() } else { a[1].clone() })
            }
            (V::Obj("math"), "abs") if a.len() == 1 => self.method(&a[0], "abs", vec![], vec![]),
            (V::Tuple(t), _) if m.starts_with('_') => {
                let k: usize = m[1..]
                    .parse()
                    .map_err(|_| format!("value {m} is not a member of a tuple"))?;
                t.get(k.wrapping_sub(1))
                    .cloned()
                    .ok_or_else(|| format!("value {m} is not a member of a tuple of {}", t.len()))
            }
            (V::Rec(name, t), _) => {
                let fields = self
                    .fns
                    .classes
                    .get(name.as_ref())
                    .cloned()
                    .unwrap_or_default();
                match fields.iter().position(|f| f.0 == m) {
                    Some(i) => Ok(t[i].clone()),
                    None => Err(format!("value {m} is not a member of {name}")),
                }
            }
            (V::Ts(t), "getTime") => Ok(V::Long(*t)),
            (V::Ts(t), "before" | "after") => {
                let o = long(a.first())?;
                Ok(V::Bool(if m == "before" { *t < o } else { *t > o }))
            }
            (V::Opt(o), _) => match m {
                "getOrElse" => Ok(o.as_ref().map_or_else(
                    || a.first().cloned().unwrap_or(V::Unit),
                    |x| x.as_ref().clone(),
                )),
                "get" => o
                    .as_ref()
                    .map(|x| x.as_ref().clone())
                    .ok_or_else(|| "NoSuchElementException: None.get".to_string()),
                "isDefined" | "nonEmpty" => Ok(V::Bool(o.is_some())),
                "isEmpty" => Ok(V::Bool(o.is_none())),
                "map" => match o {
                    Some(x) => Ok(V::Opt(Some(Rc::new(
                        self.apply(a.first().unwrap_or(&V::Unit), vec![x.as_ref().clone()])?,
                    )))),
                    None => Ok(V::Opt(None)),
                },
                _ => self.collection(r, m, a, a2),
            },
            (V::Long(_) | V::Dbl(_), "max" | "min") if a.len() == 1 => {
                self.method(&V::Obj("math"), m, vec![r.clone(), a[0].clone()], vec![])
            }
            (V::Long(n), "abs") => Ok(V::Long(n.wrapping_abs())),
            (V::Dbl(x), "abs") => Ok(V::Dbl(x.abs())),
            (V::Long(n), "toLong" | "toInt") => Ok(V::Long(*n)),
            (V::Long(n), "toDouble") => Ok(V::Dbl(*n as f64)),
            (V::Dbl(x), "toLong" | "toInt") => Ok(V::Long(*x as i64)),
            (V::Dbl(x), "toDouble") => Ok(V::Dbl(*x)),
            (V::Str(s), "length") => Ok(V::Long(s.chars().count() as i64)),
            (V::Str(s), "toUpperCase") => Ok(V::Str(Rc::from(s.to_uppercase().as_str()))),
            (V::Str(s), "toLowerCase") => Ok(V::Str(Rc::from(s.to_lowercase().as_str()))),
            (V::Str(s), "contains" | "startsWith" | "endsWith") => {
                let Some(V::Str(x)) = a.first() else {
                    return Err(format!("`{m}` takes a String"));
                };
                Ok(V::Bool(match m {
                    "contains" => s.contains(x.as_ref()),
                    "startsWith" => s.starts_with(x.as_ref()),
                    _ => s.ends_with(x.as_ref()),
                }))
            }
            (_, "toString") => Ok(V::Str(Rc::from(show_v(r).as_str()))),
            _ => self.collection(r, m, a, a2),
        }
    }

    pub(super) fn collection(&mut self, r: &V, m: &str, a: Vec<V>, a2: Vec<V>) -> R {
        let Some(items) = elems(r) else {
            return Err(format!("value {m} is not a member of {}", kind(r)));
        };
        let f = a.first().cloned().unwrap_or(V::Unit);
        let num_fold = |items: &[V], op: &str| -> R {
            let mut it = items.iter();
            let Some(first) = it.next() else {
                return Err(format!("UnsupportedOperationException: empty.{op}"));
            };
            let mut acc = first.clone();
            for x in it {
                let o = cmp(x, &acc)?;
                if (op == "max" && o.is_gt()) || (op == "min" && o.is_lt()) {
                    acc = x.clone();
                }
            }
            Ok(acc)
        };
        match m {
            "size" | "length" => Ok(V::Long(items.len() as i64)),
            "isEmpty" => {
                let e = items.is_empty();
                self.put_back(r, items);
                Ok(V::Bool(e))
            }
            "nonEmpty" | "hasNext" => {
                let e = !items.is_empty();
                self.put_back(r, items);
                Ok(V::Bool(e))
            }
            "toSeq" | "toList" | "toVector" | "toArray" | "toIndexedSeq" => {
                Ok(V::Seq(Rc::new(items)))
            }
            "toIterator" | "iterator" => Ok(V::Iter(Rc::new(RefCell::new(items.into())))),
            "head" | "next" => items
                .first()
                .cloned()
                .ok_or_else(|| "NoSuchElementException: head of empty list".to_string()),
            "last" => items
                .last()
                .cloned()
                .ok_or_else(|| "NoSuchElementException: last of empty list".to_string()),
            "headOption" => Ok(V::Opt(items.first().map(|x| Rc::new(x.clone())))),
            "max" | "min" => num_fold(&items, m),
            "sum" => {
                let mut acc = V::Long(0);
                for x in &items {
                    acc = arith(Op::Add, &acc, x)?;
                }
                Ok(acc)
            }
            "map" | "filter" | "filterNot" | "count" | "exists" | "forall" | "maxBy" | "minBy"
            | "sortBy" | "flatMap" => {
                let mut out = Vec::new();
                let mut keyed = Vec::new();
                let n = items.len();
                for x in items {
                    let y = self.apply(&f, vec![x.clone()])?;
                    match m {
                        "map" => out.push(y),
                        "flatMap" => out.extend(elems(&y).ok_or_else(|| {
                            format!(
                                "flatMap's function must give a collection, found {}",
                                kind(&y)
                            )
                        })?),
                        "filter" | "count" | "exists" | "forall" if matches!(y, V::Bool(true)) => {
                            out.push(x)
                        }
                        "filterNot" if matches!(y, V::Bool(false)) => out.push(x),
                        "maxBy" | "minBy" | "sortBy" => keyed.push((y, x)),
                        _ => {}
                    }
                }
                match m {
                    "count" => Ok(V::Long(out.len() as i64)),
                    "exists" => Ok(V::Bool(!out.is_empty())),
                    "forall" => Ok(V::Bool(out.len() == n)),
                    "maxBy" | "minBy" => {
                        let mut best: Option<(V, V)> = None;
                        for (k, x) in keyed {
                            let better = match &best {
                                None => true,
                                Some((bk, _)) => {
                                    let o = cmp(&k, bk)?;
                                    if m == "maxBy" {
                                        o.is_gt()
                                    } else {
                                        o.is_lt()
                                    }
                                }
                            };
                            if better {
                                best = Some((k, x));
                            }
                        }
                        best.map(|b| b.1)
                            .ok_or_else(|| format!("UnsupportedOperationException: empty.{m}"))
                    }
                    "sortBy" => {
                        let mut err = None;
                        keyed.sort_by(|a, b| {
                            cmp(&a.0, &b.0).unwrap_or_else(|e| {
                                err = Some(e);
                                std::cmp::Ordering::Equal
                            })
                        });
                        if let Some(e) = err {
                            return Err(e);
                        }
                        Ok(same_kind(r, keyed.into_iter().map(|k| k.1).collect()))
                    }
                    _ => Ok(same_kind(r, out)),
                }
            }
            "sorted" => {
                let mut v = items;
                let mut err = None;
                v.sort_by(|a, b| {
                    cmp(a, b).unwrap_or_else(|e| {
                        err = Some(e);
                        std::cmp::Ordering::Equal
                    })
                });
                if let Some(e) = err {
                    return Err(e);
                }
                Ok(same_kind(r, v))
            }
            "foldLeft" => {
                let mut acc = f;
                let g = a2
                    .first()
                    .cloned()
                    .ok_or("foldLeft(zero)(f) takes a function in its second argument list")?;
                for x in items {
                    acc = self.apply(&g, vec![acc, x])?;
                }
                Ok(acc)
            }
            "reduce" => {
                let mut it = items.into_iter();
                let mut acc = it
                    .next()
                    .ok_or("UnsupportedOperationException: empty.reduce")?;
                for x in it {
                    acc = self.apply(&f, vec![acc, x])?;
                }
                Ok(acc)
            }
            "mkString" => {
                let sep = match a.first() {
                    Some(V::Str(s)) => s.to_string(),
                    _ => String::new(),
                };
                Ok(V::Str(Rc::from(
                    items
                        .iter()
                        .map(show_v)
                        .collect::<Vec<_>>()
                        .join(&sep)
                        .as_str(),
                )))
            }
            "distinct" => {
                let mut out: Vec<V> = Vec::new();
                for x in items {
                    if !out.iter().any(|y| eq(y, &x)) {
                        out.push(x);
                    }
                }
                Ok(same_kind(r, out))
            }
            _ => Err(format!("value {m} is not a member of {}", kind(r))),
        }
    }

    pub(super) fn put_back(&self, r: &V, items: Vec<V>) {
        if let V::Iter(it) = r {
            *it.borrow_mut() = items.into();
        }
    }
}
