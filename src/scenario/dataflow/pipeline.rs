//! The Dataflow pipeline text: a Beam-Python-like chain of stages,
//! `scores | WindowInto(FixedWindows(120), trigger=AfterWatermark(early=AfterProcessingTime(60),
//! late=AfterCount(1)), accumulation_mode=ACCUMULATING, allowed_lateness=600) | CombinePerKey(sum)`.
//!
//! The syntax is a subset of Python (calls with positional and keyword arguments, dotted
//! names, numbers, strings), so the oracle script evaluates the same text with Beam; names
//! and argument orders are Beam Python's (`apache_beam/transforms/window.py`, `trigger.py`,
//! `core.py`). Durations are seconds, as in Beam Python; a number may also carry a unit
//! (`2 minutes`, `30s`, `1 hour`), which Python would not accept. Errors carry the offset
//! in the text and Beam's own words where Beam has them.

use crate::models::dataflow::{AccumulationMode, CombineFn, Trigger, WindowFn, Windowing};

/// A parse or build error at a byte offset of the pipeline text.
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineError {
    /// Byte offset in the pipeline text.
    pub offset: usize,
    /// What is wrong and what would be valid.
    pub message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, PipelineError> {
    Err(PipelineError {
        offset,
        message: message.into(),
    })
}

/// An expression of the pipeline text.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number, with an optional unit word (`2 minutes`).
    Num {
        /// Its value.
        value: f64,
        /// The unit, if written.
        unit: Option<String>,
        /// Offset.
        at: usize,
    },
    /// A quoted string.
    Str {
        /// Its text.
        value: String,
        /// Offset.
        at: usize,
    },
    /// A dotted name, called when `args` is `Some`.
    Call {
        /// `AfterWatermark`, `AccumulationMode.ACCUMULATING`.
        name: String,
        /// The arguments, when called.
        args: Option<Vec<Arg>>,
        /// Offset.
        at: usize,
    },
}

/// An argument: positional or `name=value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    /// The keyword, with its offset.
    pub keyword: Option<(String, usize)>,
    /// The value.
    pub value: Expr,
}

impl Expr {
    fn at(&self) -> usize {
        match self {
            Expr::Num { at, .. } | Expr::Str { at, .. } | Expr::Call { at, .. } => *at,
        }
    }
}

/// The most nested calls a pipeline may have (a bound on recursion).
pub const MAX_DEPTH: usize = 32;

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() {
            match self.s[self.i] {
                b' ' | b'\t' | b'\n' | b'\r' => self.i += 1,
                b'#' => {
                    while self.i < self.s.len() && self.s[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            if self.i == start && self.s[self.i].is_ascii_digit() {
                break;
            }
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, PipelineError> {
        if depth > MAX_DEPTH {
            return err(
                self.i,
                format!("more than {MAX_DEPTH} nested calls (MAX_DEPTH)"),
            );
        }
        let at = {
            self.ws();
            self.i
        };
        match self.peek() {
            Some(c) if c.is_ascii_digit() || c == b'.' || c == b'-' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_digit()
                        || self.s[self.i] == b'.'
                        || self.s[self.i] == b'_')
                {
                    self.i += 1;
                }
                let text: String = String::from_utf8_lossy(&self.s[start..self.i]).replace('_', "");
                let value: f64 = match text.parse() {
                    Ok(v) => v,
                    Err(_) => return err(start, format!("`{text}` is not a number")),
                };
                // A unit directly after (`30s`) or after spaces (`2 minutes`).
                let save = self.i;
                let unit = self.ident();
                let unit = match unit {
                    Some(u) if unit_ms(&u).is_some() => Some(u),
                    Some(_) => {
                        self.i = save;
                        None
                    }
                    None => None,
                };
                Ok(Expr::Num { value, unit, at })
            }
            Some(q @ (b'"' | b'\'')) => {
                self.i += 1;
                let start = self.i;
                while self.i < self.s.len() && self.s[self.i] != q {
                    self.i += 1;
                }
                if self.i >= self.s.len() {
                    return err(at, "unterminated string");
                }
                let value = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                self.i += 1;
                Ok(Expr::Str { value, at })
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let mut name = self.ident().unwrap_or_default();
                while self.peek() == Some(b'.') {
                    self.i += 1;
                    match self.ident() {
                        Some(n) => {
                            name.push('.');
                            name.push_str(&n);
                        }
                        None => return err(self.i, "expected a name after `.`"),
                    }
                }
                let args = if self.peek() == Some(b'(') {
                    self.i += 1;
                    let mut args = Vec::new();
                    loop {
                        if self.peek() == Some(b')') {
                            self.i += 1;
                            break;
                        }
                        // keyword?
                        let save = self.i;
                        let kw_at = {
                            self.ws();
                            self.i
                        };
                        let keyword = match self.ident() {
                            Some(k) if self.peek() == Some(b'=') => {
                                self.i += 1;
                                Some((k, kw_at))
                            }
                            _ => {
                                self.i = save;
                                None
                            }
                        };
                        let value = self.expr(depth + 1)?;
                        args.push(Arg { keyword, value });
                        match self.peek() {
                            Some(b',') => self.i += 1,
                            Some(b')') => {}
                            Some(c) => {
                                return err(
                                    self.i,
                                    format!(
                                    "expected `,` or `)` in the arguments of {name}, found `{}`",
                                    c as char
                                ),
                                )
                            }
                            None => return err(self.i, format!("`(` of {name} is never closed")),
                        }
                    }
                    Some(args)
                } else {
                    None
                };
                Ok(Expr::Call { name, args, at })
            }
            Some(c) => err(
                at,
                format!(
                    "expected a name, a number or a string, found `{}`",
                    c as char
                ),
            ),
            None => err(
                at,
                "expected a name, a number or a string, found the end of the pipeline",
            ),
        }
    }
}

/// Milliseconds per unit word.
fn unit_ms(u: &str) -> Option<f64> {
    Some(match u {
        "ms" | "millis" | "milliseconds" => 1.0,
        "s" | "sec" | "second" | "seconds" => 1000.0,
        "m" | "min" | "minute" | "minutes" => 60_000.0,
        "h" | "hour" | "hours" => 3_600_000.0,
        "d" | "day" | "days" => 86_400_000.0,
        _ => return None,
    })
}

/// Splits the text on top-level `|` and parses each stage. Returns `(source name, its
/// offset, stages)`.
///
/// # Errors
/// The first syntax error with its offset.
pub fn parse(text: &str) -> Result<(String, usize, Vec<Expr>), PipelineError> {
    let mut lx = Lexer {
        s: text.as_bytes(),
        i: 0,
    };
    let src_at = {
        lx.ws();
        lx.i
    };
    let source = match lx.ident() {
        Some(s) => s,
        None => return err(src_at, "a pipeline starts with the name of its source, e.g. `scores | WindowInto(FixedWindows(120)) | CombinePerKey(sum)`"),
    };
    let mut stages = Vec::new();
    loop {
        match lx.peek() {
            None => break,
            Some(b'|') => {
                lx.i += 1;
                stages.push(lx.expr(0)?);
            }
            Some(c) => {
                return err(
                    lx.i,
                    format!("expected `|` between stages, found `{}`", c as char),
                )
            }
        }
    }
    Ok((source, src_at, stages))
}

/// The built pipeline: windowing and the per-key computation.
#[derive(Clone, Debug, PartialEq)]
pub struct BuiltPipeline {
    /// The source's name.
    pub source: String,
    /// `WindowInto`'s windowing (the global window and default trigger when absent).
    pub windowing: Windowing,
    /// The last stage.
    pub combine: CombineFn,
}

const STAGES: &[&str] = &[
    "WindowInto",
    "CombinePerKey",
    "GroupByKey",
    "Top.LargestPerKey",
];
const WINDOW_FNS: &[&str] = &[
    "FixedWindows",
    "SlidingWindows",
    "Sessions",
    "GlobalWindows",
];
const TRIGGERS: &[&str] = &[
    "AfterWatermark",
    "AfterProcessingTime",
    "AfterCount",
    "Repeatedly",
    "AfterAny",
    "AfterAll",
    "AfterEach",
    "DefaultTrigger",
];

fn name_error(name: &str, at: usize, known: &[&str]) -> PipelineError {
    let hint = crate::scenario::expr::suggest_name(name, known.iter().copied())
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    PipelineError {
        offset: at,
        message: format!(
            "NameError: name '{name}' is not defined{hint}; valid here: {}",
            known.join(", ")
        ),
    }
}

/// Binds positional and keyword arguments to parameter names, Python style.
fn bind<'a>(
    func: &str,
    args: &'a [Arg],
    params: &[&str],
    at: usize,
) -> Result<Vec<Option<&'a Expr>>, PipelineError> {
    let mut out: Vec<Option<&Expr>> = vec![None; params.len()];
    for (i, a) in args.iter().enumerate() {
        match &a.keyword {
            None => {
                if i >= params.len() {
                    return err(
                        a.value.at(),
                        format!(
                            "TypeError: {func}() takes {} positional arguments but {} were given",
                            params.len(),
                            args.len()
                        ),
                    );
                }
                out[i] = Some(&a.value);
            }
            Some((k, kat)) => match params.iter().position(|p| p == k) {
                Some(p) => out[p] = Some(&a.value),
                None => {
                    return err(
                        *kat,
                        format!(
                            "TypeError: {func}() got an unexpected keyword argument '{k}'; its parameters: {}",
                            params.join(", ")
                        ),
                    )
                }
            },
        }
    }
    let _ = at;
    Ok(out)
}

/// A duration argument in ms: seconds, or a number with a unit, or `Duration(seconds=..)`.
fn duration_ms(e: &Expr, what: &str) -> Result<i64, PipelineError> {
    match e {
        Expr::Num { value, unit, .. } => {
            let per = unit.as_deref().and_then(unit_ms).unwrap_or(1000.0);
            Ok((value * per).round() as i64)
        }
        Expr::Call {
            name,
            args: Some(args),
            at,
        } if name == "Duration" => {
            let b = bind("Duration", args, &["seconds", "micros"], *at)?;
            let s = match b[0] {
                Some(x) => duration_ms(x, what)?,
                None => 0,
            };
            let us = match b[1] {
                Some(Expr::Num { value, .. }) => (*value / 1000.0).round() as i64,
                _ => 0,
            };
            Ok(s + us)
        }
        other => err(
            other.at(),
            format!("{what} must be a duration: seconds (`120`), a number with a unit (`2 minutes`) or `Duration(seconds=120)`"),
        ),
    }
}

fn int_arg(e: &Expr, what: &str) -> Result<i64, PipelineError> {
    match e {
        Expr::Num {
            value, unit: None, ..
        } if value.fract() == 0.0 => Ok(*value as i64),
        other => err(other.at(), format!("{what} must be an integer")),
    }
}

fn call_parts<'a>(
    e: &'a Expr,
    what: &str,
    known: &[&str],
) -> Result<(&'a str, &'a [Arg], usize), PipelineError> {
    match e {
        Expr::Call {
            name,
            args: Some(args),
            at,
        } => {
            if !known.contains(&name.as_str()) {
                return Err(name_error(name, *at, known));
            }
            Ok((name, args, *at))
        }
        Expr::Call {
            name,
            args: None,
            at,
        } => {
            if known.contains(&name.as_str()) {
                err(*at, format!("`{name}` must be called: `{name}(...)`"))
            } else {
                Err(name_error(name, *at, known))
            }
        }
        other => err(
            other.at(),
            format!("expected {what} ({}), found a literal", known.join(", ")),
        ),
    }
}

fn window_fn(e: &Expr) -> Result<WindowFn, PipelineError> {
    let (name, args, at) = call_parts(e, "a WindowFn", WINDOW_FNS)?;
    let f = match name {
        "FixedWindows" => {
            let b = bind(name, args, &["size", "offset"], at)?;
            let Some(size) = b[0] else {
                return err(at, "TypeError: FixedWindows.__init__() missing 1 required positional argument: 'size'");
            };
            WindowFn::Fixed {
                size_ms: duration_ms(size, "size")?,
                offset_ms: b[1]
                    .map(|o| duration_ms(o, "offset"))
                    .transpose()?
                    .unwrap_or(0),
            }
        }
        "SlidingWindows" => {
            let b = bind(name, args, &["size", "period", "offset"], at)?;
            let (Some(size), Some(period)) = (b[0], b[1]) else {
                return err(at, "TypeError: SlidingWindows.__init__() missing required positional arguments: 'size' and 'period'");
            };
            WindowFn::Sliding {
                size_ms: duration_ms(size, "size")?,
                period_ms: duration_ms(period, "period")?,
                offset_ms: b[2]
                    .map(|o| duration_ms(o, "offset"))
                    .transpose()?
                    .unwrap_or(0),
            }
        }
        "Sessions" => {
            let b = bind(name, args, &["gap_size"], at)?;
            let Some(gap) = b[0] else {
                return err(at, "TypeError: Sessions.__init__() missing 1 required positional argument: 'gap_size'");
            };
            WindowFn::Sessions {
                gap_ms: duration_ms(gap, "gap_size")?,
            }
        }
        _ => WindowFn::Global,
    };
    f.validate().map_err(|m| PipelineError {
        offset: at,
        message: format!("ValueError: {m}"),
    })?;
    Ok(f)
}

fn trigger(e: &Expr) -> Result<Trigger, PipelineError> {
    let (name, args, at) = call_parts(e, "a trigger", TRIGGERS)?;
    let sub = |x: Option<&Expr>| x.map(trigger).transpose();
    Ok(match name {
        "AfterWatermark" => {
            let b = bind(name, args, &["early", "late"], at)?;
            Trigger::after_watermark(sub(b[0])?, sub(b[1])?)
        }
        "AfterProcessingTime" => {
            let b = bind(name, args, &["delay"], at)?;
            Trigger::AfterProcessingTime {
                delay_ms: b[0]
                    .map(|d| duration_ms(d, "delay"))
                    .transpose()?
                    .unwrap_or(0),
            }
        }
        "AfterCount" => {
            let b = bind(name, args, &["count"], at)?;
            let Some(c) = b[0] else {
                return err(at, "TypeError: AfterCount.__init__() missing 1 required positional argument: 'count'");
            };
            let n = int_arg(c, "count")?;
            if n < 1 {
                return err(
                    c.at(),
                    format!("ValueError: count ({n}) must be a positive integer."),
                );
            }
            Trigger::AfterCount(n)
        }
        "Repeatedly" => {
            let b = bind(name, args, &["underlying"], at)?;
            let Some(u) = b[0] else {
                return err(at, "TypeError: Repeatedly.__init__() missing 1 required positional argument: 'underlying'");
            };
            Trigger::Repeatedly(Box::new(trigger(u)?))
        }
        "AfterAny" | "AfterAll" | "AfterEach" => {
            if let Some(a) = args.iter().find(|a| a.keyword.is_some()) {
                return err(
                    a.value.at(),
                    format!("TypeError: {name}() takes only positional triggers"),
                );
            }
            let ts = args
                .iter()
                .map(|a| trigger(&a.value))
                .collect::<Result<Vec<_>, _>>()?;
            match name {
                "AfterAny" => Trigger::AfterAny(ts),
                "AfterAll" => Trigger::AfterAll(ts),
                _ => Trigger::AfterEach(ts),
            }
        }
        _ => Trigger::Default,
    })
}

fn accumulation(e: &Expr) -> Result<AccumulationMode, PipelineError> {
    let known = [
        "DISCARDING",
        "ACCUMULATING",
        "ACCUMULATING_AND_RETRACTING",
        "AccumulationMode.DISCARDING",
        "AccumulationMode.ACCUMULATING",
        "AccumulationMode.ACCUMULATING_AND_RETRACTING",
    ];
    match e {
        Expr::Call {
            name,
            args: None,
            at,
        } => match name.trim_start_matches("AccumulationMode.") {
            "DISCARDING" => Ok(AccumulationMode::Discarding),
            "ACCUMULATING" => Ok(AccumulationMode::Accumulating),
            "ACCUMULATING_AND_RETRACTING" | "RETRACTING" => {
                Ok(AccumulationMode::AccumulatingAndRetracting)
            }
            _ => Err(name_error(name, *at, &known)),
        },
        other => err(
            other.at(),
            format!("accumulation_mode must be one of {}", known[..3].join(", ")),
        ),
    }
}

fn combine(e: &Expr) -> Result<CombineFn, PipelineError> {
    let (name, args, at) = call_parts(e, "a stage", STAGES)?;
    match name {
        "GroupByKey" => {
            if let Some(a) = args.first() {
                return err(a.value.at(), "TypeError: GroupByKey() takes no arguments");
            }
            Ok(CombineFn::GroupByKey)
        }
        "Top.LargestPerKey" => {
            let b = bind(name, args, &["n"], at)?;
            let Some(n) = b[0] else {
                return err(
                    at,
                    "TypeError: LargestPerKey() missing 1 required positional argument: 'n'",
                );
            };
            Ok(CombineFn::Top(int_arg(n, "n")?.max(0) as usize))
        }
        _ => {
            let b = bind(name, args, &["fn"], at)?;
            let Some(f) = b[0] else {
                return err(
                    at,
                    "TypeError: CombinePerKey() missing 1 required positional argument: 'fn'",
                );
            };
            let fns = ["sum", "max", "min", "CountCombineFn", "MeanCombineFn"];
            match f {
                Expr::Call { name, args, at } => match (name.as_str(), args.is_some()) {
                    ("sum", false) => Ok(CombineFn::Sum),
                    ("max", false) => Ok(CombineFn::Max),
                    ("min", false) => Ok(CombineFn::Min),
                    ("CountCombineFn", true) => Ok(CombineFn::Count),
                    ("MeanCombineFn", true) => Ok(CombineFn::Mean),
                    _ => Err(name_error(name, *at, &fns)),
                },
                other => err(
                    other.at(),
                    format!("CombinePerKey takes a combiner: {}", fns.join(", ")),
                ),
            }
        }
    }
}

/// Builds the parsed stages into a windowing and a combine, with Beam Python's checks:
/// the constructors' `ValueError`s, `Windowing`'s "accumulation_mode must be provided for
/// non-trivial triggers", and `GroupByKey.expand`'s unsafe-trigger and
/// unbounded-global-window refusals (`allow_unsafe_triggers` lifts both, as the flag does).
///
/// # Errors
/// The first problem with its offset.
pub fn build(text: &str, allow_unsafe_triggers: bool) -> Result<BuiltPipeline, PipelineError> {
    let (source, _src_at, stages) = parse(text)?;
    let mut windowing = Windowing {
        window_fn: WindowFn::Global,
        trigger: Trigger::Default,
        accumulation_mode: AccumulationMode::Discarding,
        allowed_lateness_ms: 0,
    };
    let mut combine_fn = None;
    let mut windowed = false;
    for st in &stages {
        let (name, args, at) = call_parts(st, "a stage", STAGES)?;
        if name == "WindowInto" {
            if combine_fn.is_some() || windowed {
                return err(
                    at,
                    "this model runs one WindowInto before one GroupByKey/CombinePerKey",
                );
            }
            let b = bind(
                "WindowInto",
                args,
                &[
                    "windowfn",
                    "trigger",
                    "accumulation_mode",
                    "timestamp_combiner",
                    "allowed_lateness",
                ],
                at,
            )?;
            let Some(wf) = b[0] else {
                return err(at, "TypeError: WindowInto.__init__() missing 1 required positional argument: 'windowfn'");
            };
            windowing.window_fn = window_fn(wf)?;
            if let Some(t) = b[1] {
                windowing.trigger = trigger(t)?;
            }
            if let Some(tc) = b[3] {
                return err(
                    tc.at(),
                    "timestamp_combiner: only Beam's default, OUTPUT_AT_EOW, is modelled",
                );
            }
            match b[2] {
                Some(a) => windowing.accumulation_mode = accumulation(a)?,
                None if windowing.trigger != Trigger::Default => {
                    return err(
                        at,
                        "ValueError: accumulation_mode must be provided for non-trivial triggers",
                    )
                }
                None => {}
            }
            if let Some(l) = b[4] {
                windowing.allowed_lateness_ms = duration_ms(l, "allowed_lateness")?;
            }
            windowed = true;
        } else {
            if combine_fn.is_some() {
                return err(
                    at,
                    "this model runs one GroupByKey/CombinePerKey, at the end",
                );
            }
            // Beam names the message after the GroupByKey's own label, also inside
            // CombinePerKey's expansion.
            let label = "GroupByKey";
            if !allow_unsafe_triggers {
                if windowing.window_fn == WindowFn::Global && windowing.trigger == Trigger::Default
                {
                    return err(at, "ValueError: GroupByKey cannot be applied to an unbounded PCollection with global windowing and a default trigger");
                }
                if windowing.trigger.may_finish(windowing.allowed_lateness_ms) {
                    return err(at, format!(
                        "ValueError: {label}: Unsafe trigger: `{}` may lose data. Reason: MAY_FINISH. This can be overriden with the --allow_unsafe_triggers flag.",
                        windowing.trigger
                    ));
                }
            }
            combine_fn = Some(combine(st)?);
        }
    }
    let Some(combine) = combine_fn else {
        return err(
            text.trim_end().len(),
            "the pipeline must end with GroupByKey() or CombinePerKey(...)",
        );
    };
    Ok(BuiltPipeline {
        source,
        windowing,
        combine,
    })
}
