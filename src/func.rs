//! `Func`: a named, compiled function over [`Value`]s, the unit every model's operators take.
//!
//! The scenario compiler (`scenario::expr`) produces them from built-ins and lambdas; a Rust
//! program wraps its own closures with [`Func::native`]. Living on the ground floor, below
//! every model, `Func` lets an engine call user functions without knowing the scenario
//! language that wrote them (ARCHITECTURE.md, "Layers").

use crate::value::Value;
use std::fmt;
use std::sync::Arc;

/// The result of calling a [`Func`].
pub type EvalResult = Result<Value, EvalError>;

/// A run-time failure of a function on a record, naming the operation and the value, e.g.
/// ``"cannot add bool and int (`true + 1`)"`` or `"/ by zero"`.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    /// The message (this is also its `Display`).
    pub message: String,
}

impl EvalError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> EvalError {
        EvalError {
            message: message.into(),
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

type NativeFn = dyn Fn(&[Value]) -> EvalResult + Send + Sync;

/// A compiled function of a fixed number of record arguments: a built-in such as
/// `split(" ")`, a lambda, or a native closure. Cheap to clone (shared).
#[derive(Clone)]
pub struct Func {
    name: Arc<str>,
    arity: usize,
    f: Arc<NativeFn>,
    flat: Option<Arc<FlatFn>>,
    /// The error context and the identity, rarely set (one thin pointer).
    tags: Option<Arc<Tags>>,
    /// `Some(c)` when the function is `x => (x, c)` (the built-in `pair(c)`), which never
    /// fails: a pipelined `reduceByKey` then takes `x` and `c` without building the pair.
    pair_const: Option<Value>,
    /// Whether the function is the built-in `sum` of two arguments, which adds two `Int`s
    /// as `wrapping_add` (see [`Func::adds_ints`]).
    adds_ints: bool,
}

/// What [`Func::with_error_context`], [`Func::with_identity`] and
/// [`Func::with_split_literal`] set.
#[derive(Clone, Default)]
struct Tags {
    /// Put before the message of every error (see [`Func::with_error_context`]).
    context: Option<Box<str>>,
    /// `Some(key)` for a pure function compiled from a scenario expression, identified by
    /// its kind and source text (see [`Func::same_as`]); `None` for a native closure.
    identity: Option<Box<str>>,
    /// `Some(sep)` when the function is the built-in `split(sep)`, `sep` non-empty (see
    /// [`Func::split_literal`]).
    split_literal: Option<Box<str>>,
}

/// A fast path for `flatMap`: pushes the elements of `f(x)` straight into the output
/// partition instead of building a collection value first (used by `split` and `words`).
pub type FlatFn = dyn Fn(&Value, &mut Vec<Value>) -> Result<(), EvalError> + Send + Sync;

impl Func {
    /// Wraps a Rust closure as a function named `name` taking `arity` arguments. The closure
    /// is only ever called with exactly `arity` arguments ([`Func::call`] checks).
    pub fn native(
        name: &str,
        arity: usize,
        f: impl Fn(&[Value]) -> EvalResult + Send + Sync + 'static,
    ) -> Func {
        Func {
            name: Arc::from(name),
            arity,
            f: Arc::new(f),
            flat: None,
            tags: None,
            pair_const: None,
            adds_ints: false,
        }
    }

    /// Declares the function pure (no randomness, no state, nothing read but its arguments:
    /// the same arguments always give the same result) and identified by `key`: two
    /// functions with the same key and arity compute the same thing. Only the scenario
    /// compiler sets it (`scenario::expr`, from a built-in's name and constant arguments or a
    /// lambda's source text); a [`Func::native`] closure has none.
    pub fn with_identity(mut self, key: &str) -> Func {
        let mut tags = self.tags.as_deref().cloned().unwrap_or_default();
        tags.identity = Some(Box::from(key));
        self.tags = Some(Arc::new(tags));
        self
    }

    /// The key given by [`Func::with_identity`], if any.
    pub fn identity(&self) -> Option<&str> {
        self.tags.as_ref().and_then(|t| t.identity.as_deref())
    }

    /// Whether both functions are pure and compute the same thing: same identity key and
    /// arity ([`Func::with_identity`]). A native closure is never the same as anything, not
    /// even itself. The error context ([`Func::with_error_context`]) does not count: it only
    /// changes the wording of a failure, and only a success is ever shared.
    pub fn same_as(&self, other: &Func) -> bool {
        match (self.identity(), other.identity()) {
            (Some(a), Some(b)) => a == b && self.arity == other.arity,
            _ => false,
        }
    }

    /// Declares that the function, given two `Int`s `a` and `b`, returns
    /// `Int(a.wrapping_add(b))` and never fails (the built-in `sum`: Scala's `Long` `+`).
    pub fn with_adds_ints(mut self) -> Func {
        self.adds_ints = true;
        self
    }

    /// Whether two `Int`s may be added with `wrapping_add` instead of calling the function
    /// ([`Func::with_adds_ints`]): a `reduceByKey(sum)` then neither calls it nor builds
    /// its arguments.
    pub fn adds_ints(&self) -> bool {
        self.adds_ints
    }

    /// Declares that the function is `x => (x, c)` (it must be, and must never fail).
    pub fn with_pair_const(mut self, c: Value) -> Func {
        self.pair_const = Some(c);
        self
    }

    /// `Some(c)` when the function is `x => (x, c)` ([`Func::with_pair_const`]).
    pub fn pair_const(&self) -> Option<&Value> {
        self.pair_const.as_ref()
    }

    /// Declares that the function is Java's `s.split(sep)` of a string `s` with the literal,
    /// non-empty separator `sep` ([`crate::value::java_split_each`]'s parts, as a `List`).
    pub fn with_split_literal(mut self, sep: &str) -> Func {
        let mut tags = self.tags.as_deref().cloned().unwrap_or_default();
        tags.split_literal = (!sep.is_empty()).then(|| Box::from(sep));
        self.tags = Some(Arc::new(tags));
        self
    }

    /// `Some(sep)` when the function is `s => s.split(sep)` ([`Func::with_split_literal`]):
    /// a pipelined `reduceByKey` then takes the parts as borrowed words.
    pub fn split_literal(&self) -> Option<&str> {
        self.tags.as_ref().and_then(|t| t.split_literal.as_deref())
    }

    /// Adds a `flatMap` fast path that must give the same elements, in the same order, as
    /// flattening the collection `call1` returns.
    pub fn with_flat(
        mut self,
        flat: impl Fn(&Value, &mut Vec<Value>) -> Result<(), EvalError> + Send + Sync + 'static,
    ) -> Func {
        self.flat = Some(Arc::new(flat));
        self
    }

    /// Runs the `flatMap` fast path if the function has one: `Ok(true)` when the elements
    /// were pushed to `out`, `Ok(false)` when the caller must use [`Func::call1`].
    ///
    /// # Errors
    /// The function's own error.
    pub fn call_flat(&self, a: &Value, out: &mut Vec<Value>) -> Result<bool, EvalError> {
        match &self.flat {
            Some(f) => f(a, out).map(|()| true).map_err(|e| self.in_context(e)),
            None => Ok(false),
        }
    }

    fn in_context(&self, e: EvalError) -> EvalError {
        match self.tags.as_ref().and_then(|t| t.context.as_deref()) {
            Some(c) => EvalError::new(format!("{c}{}", e.message)),
            None => e,
        }
    }

    /// The same function, with `context` (e.g. `"wc.toml:6:13: "`, the position of the
    /// operator that calls it) put before the message of every error it returns, so that a
    /// job failure names where the function was written. (Kept beside the function rather
    /// than wrapped around it: a call costs no second indirect call.)
    pub fn with_error_context(mut self, context: &str) -> Func {
        let mut tags = self.tags.as_deref().cloned().unwrap_or_default();
        tags.context = Some(match &tags.context {
            // the newer context goes first, as when wrapping
            Some(inner) => Box::from(format!("{context}{inner}")),
            None => Box::from(context),
        });
        self.tags = Some(Arc::new(tags));
        self
    }

    /// How many arguments the function takes.
    pub fn arity(&self) -> usize {
        self.arity
    }

    /// The function as written: the built-in's call (`split(" ")`, `sum`) or the lambda's
    /// source text (`x => x.contains("a")`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Calls the function.
    ///
    /// # Errors
    /// The function's own [`EvalError`], or one saying the number of arguments is wrong.
    pub fn call(&self, args: &[Value]) -> EvalResult {
        if args.len() != self.arity {
            return Err(EvalError::new(format!(
                "`{}` takes {} argument{}, but was called with {}",
                self.name,
                self.arity,
                if self.arity == 1 { "" } else { "s" },
                args.len()
            )));
        }
        (self.f)(args).map_err(|e| self.in_context(e))
    }

    /// Calls a function of one argument.
    ///
    /// # Errors
    /// As [`Func::call`].
    pub fn call1(&self, a: &Value) -> EvalResult {
        self.call(std::slice::from_ref(a))
    }

    /// Calls a function of two arguments.
    ///
    /// # Errors
    /// As [`Func::call`].
    pub fn call2(&self, a: &Value, b: &Value) -> EvalResult {
        self.call(&[a.clone(), b.clone()])
    }
}

impl fmt::Debug for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}
