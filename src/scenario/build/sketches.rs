//! The sketch operators of the pipeline language (`models::dstream::sketches`): their
//! arguments checked and positioned, then the `DStream` call. A child of `build` so that it
//! shares the builder's argument helpers.

use super::Builder;
use crate::models::dstream::{DStream, SparkError};
use crate::scenario::ast::{Expr, Span};
use crate::scenario::error::ScenarioError;
use crate::scenario::expr::eval_const;

impl Builder<'_> {
    /// Applies the sketch operator `name` to `s`: `sample`, `sampleByWindow`, `heavyHitters`,
    /// `heavyHittersByWindow`, `approxDistinct`, `approxDistinctByWindow`,
    /// `approxDistinctByKey`, `approxQuantile`, `approxQuantileByWindow`,
    /// `approxCountByValueAndWindow`, `weightedSample`, `freqItems`, `approxSumOverLast`.
    ///
    /// # Errors
    /// A positioned [`ScenarioError`] for a bad argument; the engine's own error is returned
    /// inside, for the caller to position.
    pub(super) fn sketch_op(
        &mut self,
        s: &DStream,
        name: &str,
        args: &[Expr],
        at: Span,
    ) -> Result<Result<DStream, SparkError>, ScenarioError> {
        Ok(match name {
            "sample" => {
                self.arity(name, args, at, 1, 1)?;
                s.sample(self.count_arg(&args[0], "k")?)
            }
            "sampleByWindow" | "heavyHittersByWindow" => {
                self.arity(name, args, at, 3, 3)?;
                let k = self.count_arg(&args[0], "k")?;
                let w = self.duration(&args[1], "windowLength")?;
                let sl = self.duration(&args[2], "slideInterval")?;
                if name == "sampleByWindow" {
                    s.sample_by_window(k, w, sl)
                } else {
                    s.heavy_hitters_by_window(k, w, sl)
                }
            }
            "heavyHitters" => {
                self.arity(name, args, at, 1, 1)?;
                s.heavy_hitters(self.count_arg(&args[0], "k")?)
            }
            "approxDistinct" | "approxDistinctByWindow" | "approxDistinctByKey" => {
                use crate::models::dstream::sketches::{precision, DEFAULT_PRECISION};
                let windowed = name == "approxDistinctByWindow";
                let first = if windowed { 2 } else { 0 };
                self.arity(name, args, at, first, first + 1)?;
                let p = match args.get(first) {
                    Some(a) => precision(self.count_arg(a, "precision")?),
                    None => Ok(DEFAULT_PRECISION),
                };
                if windowed {
                    let w = self.duration(&args[0], "windowLength")?;
                    let sl = self.duration(&args[1], "slideInterval")?;
                    p.and_then(|p| s.approx_distinct_by_window(w, sl, p))
                } else if name == "approxDistinctByKey" {
                    self.stateful_at.get_or_insert(at);
                    p.and_then(|p| s.approx_distinct_by_key(p))
                } else {
                    p.and_then(|p| s.approx_distinct(p))
                }
            }
            "approxQuantile" | "approxQuantileByWindow" => {
                use crate::models::dstream::sketches::{probabilities_of, DEFAULT_KLL_K};
                let last = if name == "approxQuantileByWindow" {
                    3
                } else {
                    1
                };
                self.arity(name, args, at, last, last + 1)?;
                let v = eval_const(&args[0]).map_err(|c| self.err(c.span, c.message))?;
                let probabilities = probabilities_of(&v).ok_or_else(|| {
                    let m = "the probabilities must be a list of numbers in [0, 1], e.g. List(0.5, 0.99)";
                    self.err(args[0].span, format!("{name}: {m}; found `{v}`"))
                })?;
                let k = match args.get(last) {
                    Some(a) => self.count_arg(a, "k")?,
                    None => DEFAULT_KLL_K,
                };
                if last == 3 {
                    let w = self.duration(&args[1], "windowLength")?;
                    let sl = self.duration(&args[2], "slideInterval")?;
                    s.approx_quantile_by_window(&probabilities, w, sl, k)
                } else {
                    s.approx_quantile(&probabilities, k)
                }
            }
            "approxCountByValueAndWindow" => {
                use crate::models::dstream::more_sketches::{DEFAULT_CM_DELTA, DEFAULT_CM_EPS};
                self.arity(name, args, at, 2, 4)?;
                self.stateful_at.get_or_insert(at);
                let w = self.duration(&args[0], "windowLength")?;
                let sl = self.duration(&args[1], "slideInterval")?;
                let number =
                    |b: &Self, i: usize, what: &str, default: f64| -> Result<f64, ScenarioError> {
                        match args.get(i) {
                            None => Ok(default),
                            Some(a) => match eval_const(a) {
                                Ok(crate::value::Value::Float(x)) => Ok(x),
                                Ok(crate::value::Value::Int(n)) => Ok(n as f64),
                                _ => Err(b.err(
                                    a.span,
                                    format!("{name}: {what} must be a number, e.g. 0.01"),
                                )),
                            },
                        }
                    };
                let eps = number(self, 2, "eps", DEFAULT_CM_EPS)?;
                let delta = number(self, 3, "delta", DEFAULT_CM_DELTA)?;
                s.approx_count_by_value_and_window(w, sl, eps, delta)
            }
            "freqItems" => {
                self.arity(name, args, at, 1, 1)?;
                s.freq_items(self.count_arg(&args[0], "k")?)
            }
            "approxSumOverLast" => {
                self.arity(name, args, at, 1, 2)?;
                self.stateful_at.get_or_insert(at);
                let n = self.count_arg(&args[0], "n")? as u64;
                let r = match args.get(1) {
                    Some(a) => self.count_arg(a, "r")? as u64,
                    None => 10,
                };
                s.approx_sum_over_last(n, r)
            }
            "weightedSample" => {
                self.arity(name, args, at, 1, 1)?;
                s.weighted_sample(self.count_arg(&args[0], "k")?)
            }
            other => Err(SparkError::InvalidArgument(format!(
                "`{other}` is not a sketch operator"
            ))),
        })
    }
}
