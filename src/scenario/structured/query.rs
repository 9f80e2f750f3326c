//! The DataFrame-API query text of a Structured Streaming scenario, parsed into the model's
//! `LogicalPlan`. It reads as Scala or as PySpark (the oracle script evaluates the same text
//! in PySpark):
//!
//! ```text
//! flights
//!   .withWatermark("sched_dep", "30 minutes")
//!   .where($"dep_delay" > 0)                    // or col("dep_delay") > 0
//!   .groupBy(window($"sched_dep", "10 minutes", "5 minutes"), $"origin")
//!   .agg(count("*").alias("n"), avg("dep_delay"))
//! ```
//!
//! Methods: `select`, `where`/`filter`, `withColumn`, `withWatermark`, `groupBy(..)` then
//! `count()`/`sum`/`avg`/`min`/`max`/`agg(..)`, `dropDuplicates`, `join(other, cond, type)`,
//! and Scala's `groupByKey(r => ..)` then `flatMapGroupsWithState(OutputMode.Update,
//! GroupStateTimeout.EventTimeTimeout)(f)` or `mapGroupsWithState(timeout)(f)`, `f` being a
//! `def` of the scenario's `functions` ([`super::scala_fn`]).
//! Expressions: `$"c"`, `col("c")`, `lit(v)`, numbers, strings, `expr("interval 1 hour")`,
//! `window(t, size[, slide[, start]])`, `upper`/`lower`/`length`/`coalesce`, `.cast("t")`,
//! `.alias("n")`/`.as("n")`, `.isNull`/`.isNotNull`, `+ - * / %`, comparisons
//! (`===`/`==`, `=!=`/`!=`, `<`, ...), `&&`/`&`/`and`, `||`/`|`/`or`, `!`/`~`.
//! `//` and `#` start comments. Errors carry the byte offset in the text.

use super::scala_fn::{parse_key_fn, Functions, ScalaGroupFn};
use crate::models::structured::dataset::GroupsWithState;
use crate::models::structured::{
    AggExpr, AggFunc, BinOp, Cell, DataType, Expr, Func, FuncOutputMode, GroupFn,
    GroupStateTimeout, JoinType, LogicalPlan, Node, Row, Schema,
};
use crate::scenario::parse::MAX_DEPTH;
use std::sync::Arc;

/// A parse error: byte offset in the query text and the message.
pub type QueryError = (usize, String);

/// The relations a query may name.
#[derive(Debug)]
pub struct Catalog<'a> {
    /// Streaming sources: name and schema, by index.
    pub streams: &'a [(String, Schema)],
    /// Static DataFrames: name, schema, rows.
    pub statics: &'a [(String, Schema, Vec<Row>)],
    /// The Scala `def`s that `[flat]mapGroupsWithState` may name.
    pub functions: &'a Functions,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Dollar(String),
    Num(String),
    P(&'static str),
}

const PUNCT: [&str; 23] = [
    "===", "=!=", "=>", "&&", "||", "==", "!=", "<=", ">=", "<>", ".", "(", ")", ",", "+", "-",
    "*", "/", "%", "<", ">", "[", "]",
];
const PUNCT1: [&str; 5] = ["&", "|", "!", "~", ":"];

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, QueryError> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' || text[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        if c == '"' || c == '\'' || (c == '$' && i + 1 < b.len() && b[i + 1] == b'"') {
            let dollar = c == '$';
            if dollar {
                i += 1;
            }
            let q = b[i];
            i += 1;
            let s0 = i;
            while i < b.len() && b[i] != q {
                i += 1;
            }
            if i >= b.len() {
                return Err((start, "this string is not closed".into()));
            }
            let s = text[s0..i].to_string();
            i += 1;
            out.push((start, if dollar { Tok::Dollar(s) } else { Tok::Str(s) }));
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i < b.len() && (b[i] == b'L' || b[i] == b'd') {
                i += 1;
            }
            out.push((
                start,
                Tok::Num(text[start..i].trim_end_matches(['L', 'd']).into()),
            ));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            while i < b.len() && ((b[i] as char).is_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((start, Tok::Ident(text[start..i].to_string())));
            continue;
        }
        if let Some(p) = PUNCT
            .iter()
            .chain(PUNCT1.iter())
            .find(|p| text[i..].starts_with(**p))
        {
            i += p.len();
            out.push((start, Tok::P(p)));
            continue;
        }
        return Err((start, format!("unexpected character `{c}`")));
    }
    Ok(out)
}

/// Parses a Spark interval string (`"10 minutes"`, `"1 hour"`, `"30 seconds"`,
/// `"interval 2 hours 30 minutes"`) into milliseconds.
///
/// # Errors
/// The text and the units accepted.
pub fn parse_interval(s: &str) -> Result<i64, String> {
    let words: Vec<&str> = s
        .split_whitespace()
        .filter(|w| !w.eq_ignore_ascii_case("interval"))
        .collect();
    let bad = || {
        format!("The provided interval ({s}) did not match: write `<number> <unit>` pairs such as \"10 minutes\" or \"1 hour 30 minutes\"; units are milliseconds, seconds, minutes, hours, days, weeks")
    };
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return Err(bad());
    }
    let mut ms = 0i64;
    for pair in words.chunks(2) {
        let n: f64 = pair[0].parse().map_err(|_| bad())?;
        let unit = pair[1].to_lowercase();
        let per = match unit.trim_end_matches('s') {
            "millisecond" | "m" if unit.starts_with("milli") => 1,
            "second" | "sec" => 1000,
            "minute" | "min" => 60_000,
            "hour" => 3_600_000,
            "day" => 86_400_000,
            "week" => 604_800_000,
            _ => return Err(bad()),
        };
        ms += (n * per as f64).round() as i64;
    }
    Ok(ms)
}

struct P<'a> {
    toks: Vec<(usize, Tok)>,
    i: usize,
    end: usize,
    cat: &'a Catalog<'a>,
    text: &'a str,
    /// How many `pipeline`s and expressions enclose the parser's position: bounded by
    /// [`MAX_DEPTH`] so that deep input is an error, not a stack overflow.
    depth: u32,
}

/// Parses `text` into a plan over `catalog`.
///
/// # Errors
/// `(offset, message)` of the first problem.
pub fn parse_query(text: &str, catalog: &Catalog<'_>) -> Result<LogicalPlan, QueryError> {
    let toks = lex(text)?;
    let mut p = P {
        toks,
        i: 0,
        end: text.trim_end().len(),
        cat: catalog,
        text,
        depth: 0,
    };
    // PySpark text may be wrapped in parentheses.
    let plan = p.pipeline()?;
    if let Some((at, t)) = p.toks.get(p.i) {
        return Err((*at, format!("unexpected {} after the query", show(t))));
    }
    Ok(plan)
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Dollar(s) => format!("$\"{s}\""),
        Tok::Num(s) => format!("`{s}`"),
        Tok::P(s) => format!("`{s}`"),
    }
}

impl P<'_> {
    fn at(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |t| t.0)
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.1)
    }
    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Tok::P(x)) if *x == p) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, p: &str) -> Result<(), QueryError> {
        if self.eat(p) {
            Ok(())
        } else {
            let found = self.peek().map_or("the end of the query".to_string(), show);
            Err((self.at(), format!("expected `{p}`, found {found}")))
        }
    }
    fn ident(&mut self) -> Result<(usize, String), QueryError> {
        match self.toks.get(self.i).cloned() {
            Some((at, Tok::Ident(s))) => {
                self.i += 1;
                Ok((at, s))
            }
            other => Err((
                self.at(),
                format!(
                    "expected a name, found {}",
                    other.map_or("the end of the query".into(), |t| show(&t.1))
                ),
            )),
        }
    }
    fn string(&mut self, what: &str) -> Result<(usize, String), QueryError> {
        match self.toks.get(self.i).cloned() {
            Some((at, Tok::Str(s))) => {
                self.i += 1;
                Ok((at, s))
            }
            other => Err((
                self.at(),
                format!(
                    "{what}: expected a string, found {}",
                    other.map_or("the end of the query".into(), |t| show(&t.1))
                ),
            )),
        }
    }

    fn relation(&mut self) -> Result<LogicalPlan, QueryError> {
        if self.eat("(") {
            let p = self.pipeline()?;
            self.expect(")")?;
            return Ok(p);
        }
        let (at, name) = self.ident()?;
        if let Some(i) = self.cat.streams.iter().position(|s| s.0 == name) {
            return Ok(LogicalPlan {
                node: Node::StreamingRelation {
                    source: i,
                    name,
                    schema: self.cat.streams[i].1.clone(),
                },
                pos: at,
            });
        }
        if let Some(s) = self.cat.statics.iter().find(|s| s.0 == name) {
            return Ok(LogicalPlan {
                node: Node::LocalRelation {
                    name,
                    schema: s.1.clone(),
                    rows: s.2.clone(),
                },
                pos: at,
            });
        }
        let mut known: Vec<&str> = self.cat.streams.iter().map(|s| s.0.as_str()).collect();
        known.extend(self.cat.statics.iter().map(|s| s.0.as_str()));
        Err((
            at,
            format!(
                "[TABLE_OR_VIEW_NOT_FOUND] The table or view `{name}` cannot be found; the query can read: {}",
                known.join(", ")
            ),
        ))
    }

    /// Counts one more level of nesting for the duration of `f`, refusing the
    /// [`MAX_DEPTH`]th.
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, QueryError>,
    ) -> Result<T, QueryError> {
        if self.depth >= MAX_DEPTH {
            return Err((
                self.at(),
                format!("this query is nested too deeply (more than {MAX_DEPTH} levels of parentheses, queries or expressions)"),
            ));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn pipeline(&mut self) -> Result<LogicalPlan, QueryError> {
        self.nested(Self::pipeline_inner)
    }

    fn pipeline_inner(&mut self) -> Result<LogicalPlan, QueryError> {
        let mut plan = self.relation()?;
        while self.eat(".") {
            let (at, m) = self.ident()?;
            self.expect("(")?;
            let wrap = |node: Node| LogicalPlan { node, pos: at };
            plan = match m.as_str() {
                "withWatermark" => {
                    let (_, c) = self.string("withWatermark's event-time column")?;
                    self.expect(",")?;
                    let (dat, d) = self.string("withWatermark's delay")?;
                    let ms = parse_interval(&d).map_err(|e| (dat, e))?;
                    if ms < 0 {
                        return Err((dat, format!("Delay threshold ({d}) should not be negative.")));
                    }
                    self.expect(")")?;
                    wrap(Node::EventTimeWatermark(Box::new(plan), c, ms))
                }
                "select" => {
                    let cols = self.columns()?;
                    wrap(Node::Project(Box::new(plan), cols))
                }
                "where" | "filter" => {
                    let e = self.expr()?;
                    self.expect(")")?;
                    wrap(Node::Filter(Box::new(plan), e))
                }
                "withColumn" => {
                    let (_, name) = self.string("withColumn's column name")?;
                    self.expect(",")?;
                    let e = self.expr()?;
                    self.expect(")")?;
                    let schema = self.schema_of(&plan)?;
                    let mut cols: Vec<Expr> = Vec::new();
                    let mut replaced = false;
                    for f in &schema.fields {
                        if f.name.eq_ignore_ascii_case(&name) {
                            cols.push(Expr::Alias(Box::new(e.clone()), name.clone()));
                            replaced = true;
                        } else {
                            cols.push(Expr::col(&f.name));
                        }
                    }
                    if !replaced {
                        cols.push(Expr::Alias(Box::new(e), name));
                    }
                    wrap(Node::Project(Box::new(plan), cols))
                }
                "groupBy" => {
                    let keys = self.columns()?;
                    self.expect(".")?;
                    let (aat, agg) = self.ident()?;
                    self.expect("(")?;
                    let aggs = match agg.as_str() {
                        "count" => {
                            self.expect(")")?;
                            vec![AggExpr {
                                func: AggFunc::CountStar,
                                arg: None,
                                alias: None,
                                default_name: "count".into(),
                            }]
                        }
                        "agg" => {
                            let mut v = vec![self.agg_expr()?];
                            while self.eat(",") {
                                v.push(self.agg_expr()?);
                            }
                            self.expect(")")?;
                            v
                        }
                        "sum" | "avg" | "mean" | "min" | "max" => {
                            let mut v = Vec::new();
                            loop {
                                let (_, c) = self.string(&agg)?;
                                v.push(agg_of(&agg, Some(Expr::col(&c)), &c)
                                    .ok_or((aat, format!("unknown aggregate `{agg}`")))?);
                                if !self.eat(",") {
                                    break;
                                }
                            }
                            self.expect(")")?;
                            v
                        }
                        _ => {
                            return Err((
                                aat,
                                format!("after groupBy(..) write count(), agg(..), sum, avg, min or max; found `{agg}`"),
                            ))
                        }
                    };
                    LogicalPlan {
                        node: Node::Aggregate(Box::new(plan), keys, aggs),
                        pos: at,
                    }
                }
                "dropDuplicates" | "drop_duplicates" => {
                    let mut cols = Vec::new();
                    let list = self.eat("[");
                    while let Some(Tok::Str(_)) = self.peek() {
                        cols.push(self.string("dropDuplicates")?.1);
                        if !self.eat(",") {
                            break;
                        }
                    }
                    if list {
                        self.expect("]")?;
                    }
                    self.expect(")")?;
                    wrap(Node::Deduplicate(Box::new(plan), cols))
                }
                "groupByKey" => {
                    let (node, at) = self.groups_with_state(plan)?;
                    LogicalPlan { node, pos: at }
                }
                "join" => {
                    let other = self.pipeline()?;
                    self.expect(",")?;
                    let cond = self.expr()?;
                    let mut jt = JoinType::Inner;
                    if self.eat(",") {
                        let (jat, t) = self.string("the join type")?;
                        jt = match t.to_lowercase().replace('_', "").as_str() {
                            "inner" => JoinType::Inner,
                            "left" | "leftouter" => JoinType::LeftOuter,
                            "right" | "rightouter" => JoinType::RightOuter,
                            "full" | "outer" | "fullouter" => JoinType::FullOuter,
                            _ => return Err((jat, format!("[UNSUPPORTED_JOIN_TYPE] Unsupported join type '{t}'. Supported join types include: 'inner', 'left_outer', 'right_outer', 'full_outer'."))),
                        };
                    }
                    self.expect(")")?;
                    wrap(Node::Join(Box::new(plan), Box::new(other), cond, jt))
                }
                _ => {
                    return Err((
                        at,
                        format!("`{m}` is not a DataFrame method this model runs; use select, where, filter, withColumn, withWatermark, groupBy, groupByKey, dropDuplicates or join"),
                    ))
                }
            };
        }
        Ok(plan)
    }

    /// After `groupByKey(`: the key function, then `.flatMapGroupsWithState(mode, timeout)(f)`
    /// or `.mapGroupsWithState([timeout])(f)`; returns the node and the operator's position.
    fn groups_with_state(&mut self, plan: LogicalPlan) -> Result<(Node, usize), QueryError> {
        let open = self.i;
        let mut depth = 1;
        let mut j = self.i;
        while j < self.toks.len() {
            match self.toks[j].1 {
                Tok::P("(") => depth += 1,
                Tok::P(")") => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        if j >= self.toks.len() || j == open {
            return Err((
                self.at(),
                "groupByKey takes a function of the row, e.g. groupByKey(r => r.getAs[String](\"origin\"))".into(),
            ));
        }
        let (start, end) = (self.toks[open].0, self.toks[j].0);
        let key = parse_key_fn(&self.text[start..end], start)?;
        self.i = j + 1;
        self.expect(".")?;
        let (at, m) = self.ident()?;
        let is_map = match m.as_str() {
            "flatMapGroupsWithState" => false,
            "mapGroupsWithState" => true,
            _ => {
                return Err((
                    at,
                    format!("after groupByKey(..) write flatMapGroupsWithState(outputMode, timeout)(f) or mapGroupsWithState(timeout)(f); found `{m}`"),
                ))
            }
        };
        if self.eat("[") {
            // Explicit type arguments `[S, U]`: the types come from the def.
            let mut depth = 1;
            while depth > 0 {
                match self.peek() {
                    None => return Err((self.at(), "`[` is not closed".into())),
                    Some(Tok::P("[")) => depth += 1,
                    Some(Tok::P("]")) => depth -= 1,
                    _ => {}
                }
                self.i += 1;
            }
        }
        self.expect("(")?;
        let mut func_mode = FuncOutputMode::Update;
        let mut timeout = GroupStateTimeout::NoTimeout;
        let mut name = None;
        if !is_map {
            func_mode = self
                .qualified("OutputMode", &["Append", "Update"])
                .map(|(_, v)| {
                    if v == "Append" {
                        FuncOutputMode::Append
                    } else {
                        FuncOutputMode::Update
                    }
                })?;
            self.expect(",")?;
        }
        if is_map && !matches!(self.peek(), Some(Tok::Ident(s)) if s == "GroupStateTimeout") {
            name = Some(self.ident()?);
        } else {
            timeout = match self
                .qualified(
                    "GroupStateTimeout",
                    &["NoTimeout", "ProcessingTimeTimeout", "EventTimeTimeout"],
                )?
                .1
                .as_str()
            {
                "NoTimeout" => GroupStateTimeout::NoTimeout,
                "ProcessingTimeTimeout" => GroupStateTimeout::ProcessingTimeTimeout,
                _ => GroupStateTimeout::EventTimeTimeout,
            };
        }
        self.expect(")")?;
        let (fat, fname) = match name {
            Some(n) => n,
            None => {
                self.expect("(")?;
                let f = self.ident().map_err(|(a, _)| {
                    (a, format!("{m}(..)(f): name a `def` of the scenario's `functions`, with its parameter and result types (Spark derives the state and output encoders from them)"))
                })?;
                self.expect(")")?;
                f
            }
        };
        let (f, output) = ScalaGroupFn::new(self.cat.functions, &fname, key, is_map, fat)
            .map_err(|(_, msg)| (fat, msg))?;
        Ok((
            Node::FlatMapGroupsWithState(
                Box::new(plan),
                GroupsWithState {
                    func: GroupFn(Arc::new(f)),
                    output,
                    func_mode,
                    timeout,
                    is_map,
                },
            ),
            at,
        ))
    }

    /// `Object.Value` or `Object.Value()` with `Value` among `values`.
    fn qualified(&mut self, object: &str, values: &[&str]) -> Result<(usize, String), QueryError> {
        let (at, o) = self.ident()?;
        let wrong = |at: usize| {
            (
                at,
                format!(
                    "expected {}",
                    values
                        .iter()
                        .map(|v| format!("{object}.{v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        };
        if o != object {
            return Err(wrong(at));
        }
        self.expect(".")?;
        let (vat, v) = self.ident()?;
        if !values.contains(&v.as_str()) {
            return Err(wrong(vat));
        }
        if self.eat("(") {
            self.expect(")")?;
        }
        Ok((vat, v))
    }

    fn schema_of(&self, plan: &LogicalPlan) -> Result<Schema, QueryError> {
        plan.analyze()
            .map(|a| a.plan.schema)
            .map_err(|e| (e.pos, e.message))
    }

    /// Column list of select/groupBy: strings are column names, else expressions.
    fn columns(&mut self) -> Result<Vec<Expr>, QueryError> {
        let mut v = Vec::new();
        if self.eat(")") {
            return Ok(v);
        }
        loop {
            let e = match self.peek() {
                Some(Tok::Str(_)) => {
                    let (_, s) = self.string("a column")?;
                    self.postfix(Expr::col(&s))?
                }
                _ => self.expr()?,
            };
            v.push(e);
            if !self.eat(",") {
                break;
            }
        }
        self.expect(")")?;
        Ok(v)
    }

    fn agg_expr(&mut self) -> Result<AggExpr, QueryError> {
        let (at, f) = self.ident()?;
        self.expect("(")?;
        let (arg, name) = match self.peek() {
            Some(Tok::Str(s)) if s == "*" => {
                self.i += 1;
                (None, "1".to_string())
            }
            Some(Tok::Str(_)) => {
                let (_, c) = self.string(&f)?;
                (Some(Expr::col(&c)), c)
            }
            _ => {
                let e = self.expr()?;
                let n = e.sql();
                (Some(e), n)
            }
        };
        self.expect(")")?;
        let mut a = agg_of(&f, arg, &name).ok_or((
            at,
            format!("`{f}` is not an aggregate function; use count, sum, avg, mean, min or max"),
        ))?;
        while self.eat(".") {
            let (mat, m) = self.ident()?;
            self.expect("(")?;
            if m != "alias" && m != "as" && m != "name" {
                return Err((
                    mat,
                    format!("after an aggregate write .alias(\"name\"), found `{m}`"),
                ));
            }
            a.alias = Some(self.string("alias")?.1);
            self.expect(")")?;
        }
        Ok(a)
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        self.nested(|p| p.binary(0))
    }

    fn op_at(&self) -> Option<(u8, BinOp)> {
        let t = self.peek()?;
        let (prec, op) = match t {
            Tok::P("||") | Tok::P("|") => (1, BinOp::Or),
            Tok::Ident(s) if s == "or" => (1, BinOp::Or),
            Tok::P("&&") | Tok::P("&") => (2, BinOp::And),
            Tok::Ident(s) if s == "and" => (2, BinOp::And),
            Tok::P("===") | Tok::P("==") => (3, BinOp::Eq),
            Tok::P("=!=") | Tok::P("!=") | Tok::P("<>") => (3, BinOp::NotEq),
            Tok::P("<") => (4, BinOp::Lt),
            Tok::P("<=") => (4, BinOp::LtEq),
            Tok::P(">") => (4, BinOp::Gt),
            Tok::P(">=") => (4, BinOp::GtEq),
            Tok::P("+") => (5, BinOp::Add),
            Tok::P("-") => (5, BinOp::Sub),
            Tok::P("*") => (6, BinOp::Mul),
            Tok::P("/") => (6, BinOp::Div),
            Tok::P("%") => (6, BinOp::Rem),
            _ => return None,
        };
        Some((prec, op))
    }

    fn binary(&mut self, min: u8) -> Result<Expr, QueryError> {
        let mut lhs = self.unary()?;
        while let Some((prec, op)) = self.op_at() {
            if prec <= min {
                break;
            }
            self.i += 1;
            let rhs = self.binary(prec)?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    /// Prefix operators (`!`, `~`, `-`), read in a loop and counted as levels of
    /// nesting ([`MAX_DEPTH`]), then applied innermost first.
    fn unary(&mut self) -> Result<Expr, QueryError> {
        let mut prefix = Vec::new();
        loop {
            if self.eat("!") || self.eat("~") {
                prefix.push(true);
            } else if self.eat("-") {
                prefix.push(false);
            } else {
                break;
            }
            if self.depth as usize + prefix.len() > MAX_DEPTH as usize {
                return Err((
                    self.at(),
                    format!("this expression is nested too deeply (more than {MAX_DEPTH} levels, counting each prefix operator)"),
                ));
            }
        }
        let e = self.primary()?;
        let mut e = self.postfix(e)?;
        for not in prefix.into_iter().rev() {
            e = if not {
                Expr::Not(Box::new(e))
            } else {
                match e {
                    Expr::Lit(Cell::Long(i)) => Expr::Lit(Cell::Long(-i)),
                    Expr::Lit(Cell::Double(x)) => Expr::Lit(Cell::Double(-x)),
                    e => Expr::Bin(BinOp::Sub, Box::new(Expr::Lit(Cell::Long(0))), Box::new(e)),
                }
            };
        }
        Ok(e)
    }

    fn postfix(&mut self, mut e: Expr) -> Result<Expr, QueryError> {
        while matches!(self.peek(), Some(Tok::P("."))) {
            let (at, m) = match self.toks.get(self.i + 1) {
                Some((at, Tok::Ident(m))) => (*at, m.clone()),
                _ => break,
            };
            self.i += 2;
            let call = self.eat("(");
            e = match m.as_str() {
                "alias" | "as" | "name" if call => {
                    let n = self.string("alias")?.1;
                    Expr::Alias(Box::new(e), n)
                }
                "cast" | "astype" if call => {
                    let (tat, t) = self.string("cast")?;
                    Expr::Call(Func::Cast(data_type(&t).ok_or((tat, format!("unknown type `{t}`; use string, long, bigint, int, double, timestamp, boolean")))?), vec![e])
                }
                "isNull" => Expr::IsNull(Box::new(e), false),
                "isNotNull" => Expr::IsNull(Box::new(e), true),
                _ => return Err((at, format!("`{m}` is not a column method this model knows; use alias, as, cast, isNull or isNotNull"))),
            };
            if call {
                self.expect(")")?;
            }
        }
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let Some((at, t)) = self.toks.get(self.i).cloned() else {
            return Err((self.end, "the expression is missing".into()));
        };
        self.i += 1;
        match t {
            Tok::Dollar(c) => Ok(Expr::col(&c)),
            Tok::Str(s) => Ok(Expr::Lit(Cell::str(&s))),
            Tok::Num(n) => {
                if n.contains('.') {
                    n.parse()
                        .map(|x| Expr::Lit(Cell::Double(x)))
                        .map_err(|_| (at, format!("`{n}` is not a number")))
                } else {
                    n.parse()
                        .map(|x| Expr::Lit(Cell::Long(x)))
                        .map_err(|_| (at, format!("`{n}` is not a number")))
                }
            }
            Tok::P("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Ident(f) => match f.as_str() {
                "true" | "True" => Ok(Expr::Lit(Cell::Bool(true))),
                "false" | "False" => Ok(Expr::Lit(Cell::Bool(false))),
                "null" | "None" => Ok(Expr::Lit(Cell::Null)),
                _ => {
                    self.expect("(")?;
                    self.call(at, &f)
                }
            },
            t => Err((at, format!("expected an expression, found {}", show(&t)))),
        }
    }

    fn call(&mut self, at: usize, f: &str) -> Result<Expr, QueryError> {
        let e = match f {
            "col" | "column" => Expr::col(&self.string("col")?.1),
            "lit" => {
                let e = self.expr()?;
                if !matches!(e, Expr::Lit(_)) {
                    return Err((at, "lit(..) takes a number, a string or a boolean".into()));
                }
                e
            }
            "expr" => {
                let (sat, s) = self.string("expr")?;
                let ms = parse_interval(&s).map_err(|_| {
                    (sat, format!("expr(\"{s}\"): this model reads only interval literals in expr(..), such as \"interval 1 hour\"; write other expressions with columns and operators"))
                })?;
                Expr::Interval(ms)
            }
            "window" => {
                let time = self.expr()?;
                self.expect(",")?;
                let mut d = Vec::new();
                loop {
                    let (sat, s) = self.string("window's durations")?;
                    d.push(parse_interval(&s).map_err(|e| (sat, e))?);
                    if !self.eat(",") {
                        break;
                    }
                }
                if d.len() > 3 {
                    return Err((at, "window(time, size[, slide[, start]]) takes at most three durations".into()));
                }
                Expr::Window {
                    time: Box::new(time),
                    size_ms: d[0],
                    slide_ms: d.get(1).copied().unwrap_or(d[0]),
                    offset_ms: d.get(2).copied().unwrap_or(0),
                }
            }
            "session_window" => {
                let time = self.expr()?;
                self.expect(",")?;
                let (sat, s) = self.string("session_window's gap duration")?;
                let gap_ms = parse_interval(&s).map_err(|e| (sat, e))?;
                if gap_ms <= 0 {
                    return Err((sat, format!("session_window(time, \"{s}\"): the gap duration must be greater than zero, such as \"10 minutes\"")));
                }
                Expr::SessionWindow {
                    time: Box::new(time),
                    gap_ms,
                }
            }
            "upper" | "lower" | "length" | "coalesce" => {
                let mut args = vec![self.fn_arg()?];
                while self.eat(",") {
                    args.push(self.fn_arg()?);
                }
                let func = match f {
                    "upper" => Func::Upper,
                    "lower" => Func::Lower,
                    "length" => Func::Length,
                    _ => Func::Coalesce,
                };
                Expr::Call(func, args)
            }
            _ => {
                return Err((at, format!("`{f}` is not a function this model knows; use col, lit, expr, window, session_window, upper, lower, length or coalesce (aggregates go in agg(..))")))
            }
        };
        self.expect(")")?;
        Ok(e)
    }

    fn fn_arg(&mut self) -> Result<Expr, QueryError> {
        match self.peek() {
            Some(Tok::Str(_)) => Ok(Expr::col(&self.string("argument")?.1)),
            _ => self.expr(),
        }
    }
}

fn agg_of(f: &str, arg: Option<Expr>, name: &str) -> Option<AggExpr> {
    let (func, label) = match (f, &arg) {
        ("count", None) => (AggFunc::CountStar, "count"),
        ("count", Some(_)) => (AggFunc::Count, "count"),
        ("sum", _) => (AggFunc::Sum, "sum"),
        ("avg" | "mean", _) => (AggFunc::Avg, "avg"),
        ("min", _) => (AggFunc::Min, "min"),
        ("max", _) => (AggFunc::Max, "max"),
        _ => return None,
    };
    if func != AggFunc::CountStar && arg.is_none() {
        return None;
    }
    Some(AggExpr {
        func,
        arg,
        alias: None,
        default_name: format!("{label}({name})"),
    })
}

/// A type name as `cast` and schema strings take it.
pub fn data_type(t: &str) -> Option<DataType> {
    Some(match t.to_lowercase().as_str() {
        "string" => DataType::String,
        "long" | "bigint" | "int" | "integer" => DataType::Long,
        "double" | "float" => DataType::Double,
        "timestamp" => DataType::Timestamp,
        "boolean" | "bool" => DataType::Boolean,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::structured::Field;

    fn catalog() -> Vec<(String, Schema)> {
        vec![(
            "words".into(),
            Schema {
                fields: vec![
                    Field::new("time", DataType::Timestamp),
                    Field::new("word", DataType::String),
                ],
            },
        )]
    }

    fn catalog_of<'a>(s: &'a [(String, Schema)], fns: &'a Functions) -> Catalog<'a> {
        Catalog {
            streams: s,
            statics: &[],
            functions: fns,
        }
    }

    #[test]
    fn scala_and_python_spellings_give_the_same_plan() {
        let (s, fns) = (catalog(), Functions::default());
        let cat = catalog_of(&s, &fns);
        let a = parse_query(r#"words.withWatermark("time", "10 minutes").groupBy(window($"time", "10 minutes", "5 minutes"), $"word").count()"#, &cat).unwrap();
        let b = parse_query(
            r#"(words.withWatermark("time", "10 minutes")
            .groupBy(window(col("time"), "10 minutes", "5 minutes"), col("word")).count())"#,
            &cat,
        )
        .unwrap();
        let key = |p: &LogicalPlan| match p.analyze().unwrap().plan.op {
            crate::models::structured::dataset::ExecOp::Aggregate { keys, aggs, .. } => {
                format!("{keys:?} {aggs:?}")
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(key(&a), key(&b));
        let names = a.analyze().unwrap().plan.schema.names();
        assert_eq!(names, ["window", "word", "count"]);
    }

    #[test]
    fn precedence_and_errors_are_positioned() {
        let (s, fns) = (catalog(), Functions::default());
        let cat = catalog_of(&s, &fns);
        let p = parse_query(
            r#"words.where(length($"word") > 1 + 2 && $"word" =!= "a")"#,
            &cat,
        )
        .unwrap();
        let Node::Filter(_, e) = &p.node else {
            panic!()
        };
        assert_eq!(e.sql(), "((length(word) > (1 + 2)) AND (word != a))");
        let (at, msg) = parse_query("words.groupBy($\"word\").median()", &cat).unwrap_err();
        assert_eq!(at, 23);
        assert!(msg.contains("median"), "{msg}");
        assert_eq!(parse_interval("1 hour 30 minutes"), Ok(5_400_000));
        assert!(parse_interval("ten minutes").is_err());
    }
}
