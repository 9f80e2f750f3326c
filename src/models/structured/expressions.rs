//! Column expressions: a small part of Catalyst's expressions
//! (`sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/expressions/`: `arithmetic.scala`,
//! `predicates.scala`, `Cast.scala`, `TimeWindow.scala`) with their result types, names and
//! null semantics (any NULL operand gives NULL; `AND`/`OR` use three-valued logic).

use super::types::{Cell, DataType, Field, Schema};
use crate::event_time::{sliding_windows, EventTime};

/// A binary operator, with Spark's SQL symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/` (always a double, as Spark's `Divide`).
    Div,
    /// `%`.
    Rem,
    /// `===` / `=`.
    Eq,
    /// `=!=` / `!=`.
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    LtEq,
    /// `>`.
    Gt,
    /// `>=`.
    GtEq,
    /// `&&` / `AND`.
    And,
    /// `||` / `OR`.
    Or,
}

impl BinOp {
    /// The operator as Spark's `sql` prints it.
    pub fn sql(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "=",
            BinOp::NotEq => "!=",
            BinOp::Lt => "<",
            BinOp::LtEq => "<=",
            BinOp::Gt => ">",
            BinOp::GtEq => ">=",
            BinOp::And => "AND",
            BinOp::Or => "OR",
        }
    }

    fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq
        )
    }
}

/// A scalar function.
#[derive(Clone, Debug, PartialEq)]
pub enum Func {
    /// `upper(s)`.
    Upper,
    /// `lower(s)`.
    Lower,
    /// `length(s)`.
    Length,
    /// `x.cast("type")`.
    Cast(DataType),
    /// `coalesce(a, b, ..)`.
    Coalesce,
}

/// A column expression before or after binding to a schema.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A column by name (`$"origin"`, `col("origin")`); `a.b` names a struct field.
    Col(String),
    /// A column bound to its index in the input schema.
    Ref(usize, String),
    /// A literal.
    Lit(Cell),
    /// An interval literal (`expr("interval 1 hour")`), in ms; only added to or subtracted
    /// from a timestamp.
    Interval(i64),
    /// A binary operation.
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `!x` / `NOT x`.
    Not(Box<Expr>),
    /// `x.isNull` (false) or `x.isNotNull` (true).
    IsNull(Box<Expr>, bool),
    /// A function call.
    Call(Func, Vec<Expr>),
    /// `window(time, size, slide, start)`: Spark's `TimeWindow`; a row is expanded into one
    /// row per window holding it (done by the aggregation, not by `eval`).
    Window {
        /// The time column.
        time: Box<Expr>,
        /// Window length, ms.
        size_ms: i64,
        /// Slide, ms.
        slide_ms: i64,
        /// Start offset, ms.
        offset_ms: i64,
    },
    /// `session_window(time, gap)`: Spark's `SessionWindow` (`SessionWindow.scala`); a row
    /// opens the session `[time, time + gap)`, which the aggregation merges with the key's
    /// overlapping sessions ([`super::session_window`]).
    SessionWindow {
        /// The time column.
        time: Box<Expr>,
        /// The gap duration, ms (> 0).
        gap_ms: i64,
    },
    /// `window.start` or `window.end` (a field of the window struct).
    WindowField(Box<Expr>, bool),
    /// `x.alias("name")` / `x.as("name")`.
    Alias(Box<Expr>, String),
}

/// What an expression's analysis found: its type and the column name it produces.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// The bound expression (columns replaced by indexes).
    pub expr: Expr,
    /// The output column (name, type, watermark metadata carried through).
    pub field: Field,
}

/// Spark 3.5's message for a column that does not exist.
///
/// The suggestions are ordered by similarity to `name` (Levenshtein distance, as
/// `StringUtils.orderSuggestedIdentifiersBySimilarity`).
pub fn unresolved_column(name: &str, schema: &Schema) -> String {
    let mut cands = schema.names();
    cands.sort_by_key(|c| levenshtein(&c.to_lowercase(), &name.to_lowercase()));
    let names: Vec<String> = cands.iter().map(|n| format!("`{n}`")).collect();
    format!(
        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `{name}` cannot be resolved. Did you mean one of the following? [{}].",
        names.join(", ")
    )
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The column indexes an expression reads.
pub fn references(e: &Expr, out: &mut Vec<usize>) {
    match e {
        Expr::Ref(i, _) => out.push(*i),
        Expr::Bin(_, a, b) => {
            references(a, out);
            references(b, out);
        }
        Expr::Not(a) | Expr::IsNull(a, _) | Expr::Alias(a, _) | Expr::WindowField(a, _) => {
            references(a, out)
        }
        Expr::Window { time, .. } | Expr::SessionWindow { time, .. } => references(time, out),
        Expr::Call(_, args) => args.iter().for_each(|a| references(a, out)),
        Expr::Col(_) | Expr::Lit(_) | Expr::Interval(_) => {}
    }
}

/// Whether a bound predicate is one a file source evaluates while reading (JSON
/// `filterPushdown`: a column compared with a literal, null tests, and `AND`/`OR`/`NOT` of
/// those), so that the rows it rejects are never counted as input.
pub fn is_pushable(e: &Expr) -> bool {
    match e {
        Expr::Bin(BinOp::And | BinOp::Or, a, b) => is_pushable(a) && is_pushable(b),
        Expr::Bin(op, a, b) if op.is_comparison() => matches!(
            (&**a, &**b),
            (Expr::Ref(..), Expr::Lit(_)) | (Expr::Lit(_), Expr::Ref(..))
        ),
        Expr::Not(a) => is_pushable(a),
        Expr::IsNull(a, _) => matches!(**a, Expr::Ref(..)),
        _ => false,
    }
}

/// Splits a predicate into its `AND`ed parts.
pub fn conjuncts(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::Bin(BinOp::And, a, b) => {
            conjuncts(*a, out);
            conjuncts(*b, out);
        }
        e => out.push(e),
    }
}

impl Expr {
    /// A column reference.
    pub fn col(name: &str) -> Expr {
        Expr::Col(name.to_string())
    }

    /// Binds the expression to `schema`: column names become indexes, types are checked.
    ///
    /// # Errors
    /// Spark's analysis messages: an unresolved column (`[UNRESOLVED_COLUMN.WITH_SUGGESTION]`),
    /// a type mismatch (`[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES]`), a window over a
    /// non-timestamp column.
    pub fn resolve(&self, schema: &Schema) -> Result<Resolved, String> {
        let field = |name: &str, t: DataType| Field::new(name, t);
        match self {
            Expr::Col(name) => {
                if let Some((base, sub)) = name.split_once('.') {
                    if let Some(i) = schema.index_of(base) {
                        if schema.fields[i].data_type == DataType::Window
                            && (sub == "start" || sub == "end")
                        {
                            let inner = Expr::Ref(i, schema.fields[i].name.clone());
                            return Ok(Resolved {
                                expr: Expr::WindowField(Box::new(inner), sub == "end"),
                                field: field(sub, DataType::Timestamp),
                            });
                        }
                    }
                }
                let i = schema
                    .index_of(name)
                    .ok_or_else(|| unresolved_column(name, schema))?;
                Ok(Resolved {
                    expr: Expr::Ref(i, schema.fields[i].name.clone()),
                    field: schema.fields[i].clone(),
                })
            }
            Expr::Ref(i, n) => Ok(Resolved {
                expr: self.clone(),
                field: schema
                    .fields
                    .get(*i)
                    .cloned()
                    .unwrap_or_else(|| field(n, DataType::Null)),
            }),
            Expr::Lit(c) => Ok(Resolved {
                expr: self.clone(),
                field: field(&self.sql(), c.data_type()),
            }),
            Expr::Interval(_) => Ok(Resolved {
                expr: self.clone(),
                field: field(&self.sql(), DataType::Long),
            }),
            Expr::Bin(op, a, b) => {
                let (ra, rb) = (a.resolve(schema)?, b.resolve(schema)?);
                let (ta, tb) = (ra.field.data_type, rb.field.data_type);
                let numeric = |t: DataType| matches!(t, DataType::Long | DataType::Double);
                let is_interval = |e: &Expr| matches!(e, Expr::Interval(_));
                let t = match op {
                    BinOp::And | BinOp::Or => {
                        for (t, e) in [(ta, &ra), (tb, &rb)] {
                            if t != DataType::Boolean && t != DataType::Null {
                                return Err(format!(
                                    "[DATATYPE_MISMATCH.BINARY_OP_WRONG_TYPE] Cannot resolve \"{}\" due to data type mismatch: the binary operator requires the input type \"BOOLEAN\", not \"{}\" ({}).",
                                    self.sql(), t.sql(), e.expr.sql()
                                ));
                            }
                        }
                        DataType::Boolean
                    }
                    _ if op.is_comparison() => {
                        let ok = ta == tb
                            || (numeric(ta) && numeric(tb))
                            || ta == DataType::Null
                            || tb == DataType::Null
                            || (ta == DataType::Timestamp && tb == DataType::String)
                            || (tb == DataType::Timestamp && ta == DataType::String);
                        if !ok {
                            return Err(self.diff_types(ta, tb));
                        }
                        DataType::Boolean
                    }
                    BinOp::Add | BinOp::Sub
                        if ta == DataType::Timestamp && is_interval(&rb.expr) =>
                    {
                        DataType::Timestamp
                    }
                    BinOp::Div if numeric(ta) && numeric(tb) => DataType::Double,
                    _ if numeric(ta) && numeric(tb) => {
                        if ta == DataType::Double || tb == DataType::Double {
                            DataType::Double
                        } else {
                            DataType::Long
                        }
                    }
                    _ => return Err(self.diff_types(ta, tb)),
                };
                let mut f = field(&self.sql(), t);
                if t == DataType::Timestamp {
                    f.watermark_delay_ms = None;
                }
                Ok(Resolved {
                    expr: Expr::Bin(*op, Box::new(ra.expr), Box::new(rb.expr)),
                    field: f,
                })
            }
            Expr::Not(a) => {
                let r = a.resolve(schema)?;
                Ok(Resolved {
                    expr: Expr::Not(Box::new(r.expr)),
                    field: field(&self.sql(), DataType::Boolean),
                })
            }
            Expr::IsNull(a, neg) => {
                let r = a.resolve(schema)?;
                Ok(Resolved {
                    expr: Expr::IsNull(Box::new(r.expr), *neg),
                    field: field(&self.sql(), DataType::Boolean),
                })
            }
            Expr::Call(f, args) => {
                let rs: Vec<Resolved> = args
                    .iter()
                    .map(|a| a.resolve(schema))
                    .collect::<Result<_, _>>()?;
                let t = match f {
                    Func::Upper | Func::Lower => DataType::String,
                    Func::Length => DataType::Long,
                    Func::Cast(t) => *t,
                    Func::Coalesce => rs
                        .iter()
                        .map(|r| r.field.data_type)
                        .find(|t| *t != DataType::Null)
                        .unwrap_or(DataType::Null),
                };
                let mut out = field(&self.sql(), t);
                if let (Func::Cast(_), Some(r)) = (f, rs.first()) {
                    out.name = r.field.name.clone();
                }
                Ok(Resolved {
                    expr: Expr::Call(f.clone(), rs.into_iter().map(|r| r.expr).collect()),
                    field: out,
                })
            }
            Expr::Window {
                time,
                size_ms,
                slide_ms,
                offset_ms,
            } => {
                let mut r = time.resolve(schema)?;
                if r.field.data_type == DataType::String {
                    // ImplicitTypeCasts: a string time column is cast to a timestamp.
                    r.expr = Expr::Call(Func::Cast(DataType::Timestamp), vec![r.expr]);
                    r.field.data_type = DataType::Timestamp;
                }
                if r.field.data_type != DataType::Timestamp {
                    return Err(format!(
                        "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"{}\" due to data type mismatch: The first parameter requires the \"TIMESTAMP\" type, however \"{}\" has the type \"{}\".",
                        self.sql(),
                        r.expr.sql(),
                        r.field.data_type.sql()
                    ));
                }
                crate::event_time::window::check_window(*size_ms, *slide_ms, *offset_ms)?;
                Ok(Resolved {
                    expr: Expr::Window {
                        time: Box::new(r.expr),
                        size_ms: *size_ms,
                        slide_ms: *slide_ms,
                        offset_ms: *offset_ms,
                    },
                    // TimeWindowing keeps the time column's watermark metadata on `window`.
                    field: Field {
                        name: "window".into(),
                        data_type: DataType::Window,
                        watermark_delay_ms: r.field.watermark_delay_ms,
                    },
                })
            }
            Expr::SessionWindow { time, gap_ms } => {
                let mut r = time.resolve(schema)?;
                if r.field.data_type == DataType::String {
                    r.expr = Expr::Call(Func::Cast(DataType::Timestamp), vec![r.expr]);
                    r.field.data_type = DataType::Timestamp;
                }
                if r.field.data_type != DataType::Timestamp {
                    return Err(format!(
                        "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"{}\" due to data type mismatch: The first parameter requires the \"TIMESTAMP\" type, however \"{}\" has the type \"{}\".",
                        self.sql(),
                        r.expr.sql(),
                        r.field.data_type.sql()
                    ));
                }
                if *gap_ms <= 0 {
                    return Err(format!(
                        "session_window's gap duration must be greater than zero, got {gap_ms} ms"
                    ));
                }
                Ok(Resolved {
                    expr: Expr::SessionWindow {
                        time: Box::new(r.expr),
                        gap_ms: *gap_ms,
                    },
                    // SessionWindowing keeps the time column's watermark metadata.
                    field: Field {
                        name: "session_window".into(),
                        data_type: DataType::Window,
                        watermark_delay_ms: r.field.watermark_delay_ms,
                    },
                })
            }
            Expr::WindowField(a, end) => {
                let r = a.resolve(schema)?;
                Ok(Resolved {
                    expr: Expr::WindowField(Box::new(r.expr), *end),
                    field: field(if *end { "end" } else { "start" }, DataType::Timestamp),
                })
            }
            Expr::Alias(a, name) => {
                let r = a.resolve(schema)?;
                let mut f = r.field;
                f.name = name.clone();
                Ok(Resolved {
                    expr: r.expr,
                    field: f,
                })
            }
        }
    }

    fn diff_types(&self, ta: DataType, tb: DataType) -> String {
        format!(
            "[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve \"{}\" due to data type mismatch: the left and right operands of the binary operator have incompatible types (\"{}\" and \"{}\").",
            self.sql(),
            ta.sql(),
            tb.sql()
        )
    }

    /// The expression as Spark's `sql` (and so the default column name) prints it:
    /// `(delay + 1)`, `upper(origin)`, `window`.
    pub fn sql(&self) -> String {
        match self {
            Expr::Col(n) | Expr::Ref(_, n) => n.clone(),
            Expr::Lit(Cell::Str(s)) => s.to_string(),
            Expr::Lit(c) => c.to_string(),
            Expr::Interval(ms) => format!("INTERVAL '{}' SECOND", ms / 1000),
            Expr::Bin(op, a, b) => format!("({} {} {})", a.sql(), op.sql(), b.sql()),
            Expr::Not(a) => format!("(NOT {})", a.sql()),
            Expr::IsNull(a, false) => format!("({} IS NULL)", a.sql()),
            Expr::IsNull(a, true) => format!("({} IS NOT NULL)", a.sql()),
            Expr::Call(Func::Cast(_), args) => args.first().map(Expr::sql).unwrap_or_default(),
            Expr::Call(f, args) => {
                let name = match f {
                    Func::Upper => "upper",
                    Func::Lower => "lower",
                    Func::Length => "length",
                    Func::Coalesce => "coalesce",
                    Func::Cast(_) => "cast",
                };
                let a: Vec<String> = args.iter().map(Expr::sql).collect();
                format!("{name}({})", a.join(", "))
            }
            Expr::Window { .. } => "window".into(),
            Expr::SessionWindow { .. } => "session_window".into(),
            Expr::WindowField(a, end) => {
                format!("{}.{}", a.sql(), if *end { "end" } else { "start" })
            }
            Expr::Alias(_, n) => n.clone(),
        }
    }

    /// Evaluates a bound expression on a row. `Window` evaluates to the latest window holding
    /// the time (the aggregation expands all of them with [`Expr::windows`]).
    pub fn eval(&self, row: &[Cell]) -> Cell {
        match self {
            Expr::Ref(i, _) => row.get(*i).cloned().unwrap_or(Cell::Null),
            Expr::Col(_) => Cell::Null,
            Expr::Lit(c) => c.clone(),
            Expr::Interval(ms) => Cell::Long(*ms),
            Expr::Alias(a, _) => a.eval(row),
            Expr::Not(a) => match a.eval(row) {
                Cell::Bool(b) => Cell::Bool(!b),
                _ => Cell::Null,
            },
            Expr::IsNull(a, neg) => Cell::Bool(a.eval(row).is_null() != *neg),
            Expr::Bin(op, a, b) => {
                let x = a.eval(row);
                if *op == BinOp::And || *op == BinOp::Or {
                    let y = b.eval(row);
                    let (bx, by) = (as_bool(&x), as_bool(&y));
                    return match (op, bx, by) {
                        (BinOp::And, Some(false), _) | (BinOp::And, _, Some(false)) => {
                            Cell::Bool(false)
                        }
                        (BinOp::And, Some(true), Some(true)) => Cell::Bool(true),
                        (BinOp::Or, Some(true), _) | (BinOp::Or, _, Some(true)) => Cell::Bool(true),
                        (BinOp::Or, Some(false), Some(false)) => Cell::Bool(false),
                        _ => Cell::Null,
                    };
                }
                let y = b.eval(row);
                binary(*op, &x, &y, matches!(**b, Expr::Interval(_)))
            }
            Expr::Call(f, args) => {
                let vals: Vec<Cell> = args.iter().map(|a| a.eval(row)).collect();
                call(f, vals)
            }
            Expr::Window {
                time,
                size_ms,
                slide_ms,
                offset_ms,
            } => match time.eval(row) {
                Cell::Timestamp(t) => sliding_windows(t, *size_ms, *slide_ms, *offset_ms)
                    .ok()
                    .and_then(|w| w.first().copied())
                    .map_or(Cell::Null, Cell::Window),
                _ => Cell::Null,
            },
            Expr::SessionWindow { time, gap_ms } => match time.eval(row) {
                Cell::Timestamp(t) => Cell::Window(session_of(t.0, *gap_ms)),
                _ => Cell::Null,
            },
            Expr::WindowField(a, end) => match a.eval(row) {
                Cell::Window(w) => Cell::Timestamp(if *end { w.end } else { w.start }),
                _ => Cell::Null,
            },
        }
    }

    /// For a `window(..)` expression (under aliases): every window holding the row's time,
    /// latest first, as Spark's `TimeWindowing` expands them; none for a NULL time. `None`
    /// when the expression is not a window.
    pub fn windows(&self, row: &[Cell]) -> Option<Vec<Cell>> {
        match self {
            Expr::Alias(a, _) => a.windows(row),
            Expr::Window {
                time,
                size_ms,
                slide_ms,
                offset_ms,
            } => Some(match time.eval(row) {
                Cell::Timestamp(t) => sliding_windows(t, *size_ms, *slide_ms, *offset_ms)
                    .unwrap_or_default()
                    .into_iter()
                    .map(Cell::Window)
                    .collect(),
                _ => Vec::new(),
            }),
            Expr::SessionWindow { .. } => Some(match self.eval(row) {
                Cell::Null => Vec::new(),
                w => vec![w],
            }),
            _ => None,
        }
    }

    /// For a `session_window(..)` expression (under aliases): its gap, ms.
    pub fn session_gap(&self) -> Option<i64> {
        match self {
            Expr::Alias(a, _) => a.session_gap(),
            Expr::SessionWindow { gap_ms, .. } => Some(*gap_ms),
            _ => None,
        }
    }
}

/// The session a single event at `t` (ms) opens: `[t, t + gap)` (`SessionWindow`).
pub fn session_of(t: i64, gap_ms: i64) -> crate::event_time::TimeWindow {
    crate::event_time::TimeWindow {
        start: crate::event_time::EventTime(t),
        end: crate::event_time::EventTime(t.saturating_add(gap_ms)),
    }
}

fn as_bool(c: &Cell) -> Option<bool> {
    match c {
        Cell::Bool(b) => Some(*b),
        _ => None,
    }
}

fn binary(op: BinOp, x: &Cell, y: &Cell, interval: bool) -> Cell {
    if x.is_null() || y.is_null() {
        return Cell::Null;
    }
    if op.is_comparison() {
        let (x, y) = (coerce_time(x, y), coerce_time(y, x));
        let ord = x.cmp(&y);
        use std::cmp::Ordering::*;
        return Cell::Bool(match op {
            BinOp::Eq => ord == Equal,
            BinOp::NotEq => ord != Equal,
            BinOp::Lt => ord == Less,
            BinOp::LtEq => ord != Greater,
            BinOp::Gt => ord == Greater,
            _ => ord != Less,
        });
    }
    if let (Cell::Timestamp(t), true, Cell::Long(ms)) = (x, interval, y) {
        return match op {
            BinOp::Add => Cell::Timestamp(EventTime(t.0 + ms)),
            BinOp::Sub => Cell::Timestamp(EventTime(t.0 - ms)),
            _ => Cell::Null,
        };
    }
    match (x, y) {
        (Cell::Long(a), Cell::Long(b)) if op != BinOp::Div => match op {
            BinOp::Add => Cell::Long(a.wrapping_add(*b)),
            BinOp::Sub => Cell::Long(a.wrapping_sub(*b)),
            BinOp::Mul => Cell::Long(a.wrapping_mul(*b)),
            BinOp::Rem if *b != 0 => Cell::Long(a % b),
            _ => Cell::Null,
        },
        _ => match (x.as_f64(), y.as_f64()) {
            (Some(a), Some(b)) => match op {
                BinOp::Add => Cell::Double(a + b),
                BinOp::Sub => Cell::Double(a - b),
                BinOp::Mul => Cell::Double(a * b),
                BinOp::Div if b != 0.0 => Cell::Double(a / b),
                BinOp::Rem if b != 0.0 => Cell::Double(a % b),
                _ => Cell::Null,
            },
            _ => Cell::Null,
        },
    }
}

/// A string compared with a timestamp is cast to a timestamp (Spark's implicit cast).
fn coerce_time(c: &Cell, other: &Cell) -> Cell {
    match (c, other) {
        (Cell::Str(s), Cell::Timestamp(_)) => EventTime::parse(s)
            .map(Cell::Timestamp)
            .unwrap_or(Cell::Null),
        _ => c.clone(),
    }
}

/// Casts a cell as Spark's `Cast` does (ANSI off): unparsable text gives NULL; a long cast
/// to a timestamp is seconds since the epoch.
pub fn cast(c: Cell, t: DataType) -> Cell {
    match (c, t) {
        (Cell::Null, _) => Cell::Null,
        (c, t) if c.data_type() == t => c,
        (Cell::Str(s), DataType::Timestamp) => EventTime::parse(&s)
            .map(Cell::Timestamp)
            .unwrap_or(Cell::Null),
        (Cell::Long(i), DataType::Timestamp) => Cell::Timestamp(EventTime(i * 1000)),
        (Cell::Str(s), DataType::Long) => s.trim().parse().map_or(Cell::Null, Cell::Long),
        (Cell::Str(s), DataType::Double) => s.trim().parse().map_or(Cell::Null, Cell::Double),
        (Cell::Long(i), DataType::Double) => Cell::Double(i as f64),
        (Cell::Double(x), DataType::Long) => Cell::Long(x.trunc() as i64),
        (Cell::Timestamp(t), DataType::Long) => Cell::Long(t.0.div_euclid(1000)),
        (c, DataType::String) => Cell::str(&c.to_string()),
        _ => Cell::Null,
    }
}

fn call(f: &Func, vals: Vec<Cell>) -> Cell {
    match f {
        Func::Coalesce => vals
            .into_iter()
            .find(|c| !c.is_null())
            .unwrap_or(Cell::Null),
        Func::Cast(t) => cast(vals.into_iter().next().unwrap_or(Cell::Null), *t),
        _ => match vals.first() {
            Some(Cell::Str(s)) => match f {
                Func::Upper => Cell::str(&s.to_uppercase()),
                Func::Lower => Cell::str(&s.to_lowercase()),
                _ => Cell::Long(s.chars().count() as i64),
            },
            _ => Cell::Null,
        },
    }
}
