//! What is computed per key and window: `GroupByKey` or `CombinePerKey` with one of Beam
//! Python's combiners (`apache_beam/transforms/combiners.py`: `CountCombineFn`,
//! `MeanCombineFn`, `Top.LargestPerKey`; the builtins `sum`, `max`, `min` wrapped as
//! `CombineFn.from_callable`). On the DirectRunner in streaming mode the combine runs over
//! each pane's grouped values (`GroupByKey` then `CombineValues`), so an accumulating pane
//! combines every element so far and an empty pane combines nothing.

use crate::value::{SeqKind, Value};
use std::fmt;

/// The per-key computation of the pipeline's last stage.
#[derive(Clone, Debug, PartialEq)]
pub enum CombineFn {
    /// `GroupByKey()`: the pane's values as a list.
    GroupByKey,
    /// `CombinePerKey(sum)`.
    Sum,
    /// `CombinePerKey(CountCombineFn())` (= `combiners.Count.PerKey()`).
    Count,
    /// `CombinePerKey(MeanCombineFn())` (= `combiners.Mean.PerKey()`).
    Mean,
    /// `CombinePerKey(max)`.
    Max,
    /// `CombinePerKey(min)`.
    Min,
    /// `combiners.Top.LargestPerKey(n)`: the n largest, largest first.
    Top(usize),
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

impl CombineFn {
    /// The output for a pane's values.
    ///
    /// # Errors
    /// Python's `TypeError` text when a numeric combiner meets a non-number.
    pub fn apply(&self, values: &[Value]) -> Result<Value, String> {
        let numbers = || -> Result<Vec<f64>, String> {
            values
                .iter()
                .map(|v| {
                    as_f64(v).ok_or_else(|| {
                        format!("TypeError: unsupported operand type(s) for +: 'int' and '{v}'")
                    })
                })
                .collect()
        };
        Ok(match self {
            CombineFn::GroupByKey => Value::seq(SeqKind::List, values.to_vec()),
            CombineFn::Count => Value::Int(values.len() as i64),
            CombineFn::Sum => {
                if values.iter().all(|v| matches!(v, Value::Int(_))) {
                    Value::Int(
                        values
                            .iter()
                            .map(|v| if let Value::Int(i) = v { *i } else { 0 })
                            .sum(),
                    )
                } else {
                    Value::Float(numbers()?.iter().sum())
                }
            }
            CombineFn::Mean => {
                let n = numbers()?;
                if n.is_empty() {
                    // MeanCombineFn.extract_output of an empty accumulator: NaN.
                    Value::Float(f64::NAN)
                } else {
                    Value::Float(n.iter().sum::<f64>() / n.len() as f64)
                }
            }
            CombineFn::Max | CombineFn::Min => {
                let mut it = values.iter().cloned();
                let Some(first) = it.next() else {
                    return Err(format!(
                        "ValueError: {}() arg is an empty sequence",
                        if *self == CombineFn::Max {
                            "max"
                        } else {
                            "min"
                        }
                    ));
                };
                it.fold(first, |a, b| match self {
                    CombineFn::Max => a.max(b),
                    _ => a.min(b),
                })
            }
            CombineFn::Top(n) => {
                let mut v = values.to_vec();
                v.sort_by(|a, b| b.cmp(a));
                v.truncate(*n);
                Value::seq(SeqKind::List, v)
            }
        })
    }
}

/// The stage as written in Beam Python.
impl fmt::Display for CombineFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CombineFn::GroupByKey => write!(f, "GroupByKey()"),
            CombineFn::Sum => write!(f, "CombinePerKey(sum)"),
            CombineFn::Count => write!(f, "CombinePerKey(CountCombineFn())"),
            CombineFn::Mean => write!(f, "CombinePerKey(MeanCombineFn())"),
            CombineFn::Max => write!(f, "CombinePerKey(max)"),
            CombineFn::Min => write!(f, "CombinePerKey(min)"),
            CombineFn::Top(n) => write!(f, "Top.LargestPerKey({n})"),
        }
    }
}
