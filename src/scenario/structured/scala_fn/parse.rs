//! The `functions` text's lexer and parser: `def`s, `case class`es, and the expression
//! trees the evaluator ([`super::eval`]) runs.

use crate::scenario::parse::MAX_DEPTH;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A parse error: byte offset in the text and the message.
pub type FnError = (usize, String);

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Id(String),
    Str(String),
    Long(i64),
    Dbl(f64),
    P(&'static str),
}

pub(super) const PUNCT: [&str; 27] = [
    "=>", "==", "!=", "<=", ">=", "&&", "||", "(", ")", "{", "}", "[", "]", ",", ".", ":", ";",
    "=", "+", "-", "*", "/", "%", "<", ">", "!", "@",
];

/// Tokens with their offsets, and whether a line break precedes each.
pub(super) type Lexed = (Vec<(usize, Tok)>, Vec<bool>);

/// The tokens with their offsets, and for each whether a line break precedes it (Scala's
/// semicolon inference: `f(a)` then `(b)` on the next line are two statements).
pub(super) fn lex(text: &str, base: usize) -> Result<Lexed, FnError> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let mut nl = Vec::new();
    let mut saw_nl = false;
    while i < b.len() {
        let c = b[i] as char;
        while out.len() > nl.len() {
            nl.push(std::mem::take(&mut saw_nl));
        }
        if c == '\n' {
            saw_nl = true;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if text[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if text[i..].starts_with("/*") {
            match text[i + 2..].find("*/") {
                Some(e) => i += e + 4,
                None => return Err((base + i, "this comment is not closed".into())),
            }
            continue;
        }
        let start = i;
        if c == '"' {
            i += 1;
            let mut s = String::new();
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                    s.push(match b[i] {
                        b'n' => '\n',
                        b't' => '\t',
                        x => x as char,
                    });
                } else {
                    let ch = text[i..].chars().next().unwrap_or(' ');
                    s.push(ch);
                    i += ch.len_utf8() - 1;
                }
                i += 1;
            }
            if i >= b.len() {
                return Err((base + start, "this string is not closed".into()));
            }
            i += 1;
            out.push((base + start, Tok::Str(s)));
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
                i += 1;
            }
            let mut dbl = false;
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                dbl = true;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let num = text[start..i].replace('_', "");
            let bad = || (base + start, format!("`{num}` is not a number"));
            if i < b.len() && matches!(b[i], b'L' | b'l') && !dbl {
                i += 1;
            } else if i < b.len() && matches!(b[i], b'd' | b'D') {
                i += 1;
                dbl = true;
            }
            out.push((
                base + start,
                if dbl {
                    Tok::Dbl(num.parse().map_err(|_| bad())?)
                } else {
                    Tok::Long(num.parse().map_err(|_| bad())?)
                },
            ));
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '$' {
            while i < b.len() && ((b[i] as char).is_alphanumeric() || b[i] == b'_' || b[i] == b'$')
            {
                i += 1;
            }
            out.push((base + start, Tok::Id(text[start..i].to_string())));
            continue;
        }
        if let Some(p) = PUNCT.iter().find(|p| text[i..].starts_with(**p)) {
            i += p.len();
            out.push((base + start, Tok::P(p)));
            continue;
        }
        return Err((base + start, format!("unexpected character `{c}`")));
    }
    while out.len() > nl.len() {
        nl.push(std::mem::take(&mut saw_nl));
    }
    Ok((out, nl))
}

/// A Scala type as declared.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// `Long`, `java.sql.Timestamp`, `Iterator[T]`, `GroupState[S]`, `Session`.
    Named(String, Vec<Ty>),
    /// `(A, B)`.
    Tuple(Vec<Ty>),
}

impl Ty {
    pub(super) fn base(&self) -> &str {
        match self {
            Ty::Named(n, _) => n.rsplit('.').next().unwrap_or(n),
            Ty::Tuple(_) => "",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Clone, Debug)]
pub(super) enum E {
    Long(i64),
    Dbl(f64),
    Str(String),
    Bool(bool),
    Null,
    Var(String),
    Bin(Op, Box<E>, Box<E>),
    Not(Box<E>),
    Neg(Box<E>),
    If(Box<E>, Box<E>, Option<Box<E>>),
    Block(Vec<St>),
    Tuple(Vec<E>),
    Call(String, Vec<E>),
    Method(Box<E>, String, Option<Vec<E>>, Option<Vec<E>>),
    Lambda(Arc<Vec<String>>, Arc<E>),
}

#[derive(Clone, Debug)]
pub(super) enum St {
    Val(Vec<String>, E),
    Expr(E),
}

/// A `def`.
#[derive(Clone, Debug)]
pub(super) struct Def {
    pub(super) params: Vec<(String, Ty)>,
    pub(super) ret: Option<Ty>,
    pub(super) body: E,
    pub(super) pos: usize,
}

/// The parsed `functions` text: its `def`s and `case class`es.
#[derive(Clone, Debug, Default)]
pub struct Functions {
    pub(super) defs: BTreeMap<String, Arc<Def>>,
    pub(super) classes: BTreeMap<String, Vec<(String, Ty)>>,
}

pub(super) struct Parser {
    toks: Vec<(usize, Tok)>,
    nl: Vec<bool>,
    i: usize,
    end: usize,
    /// How many expressions enclose the parser's position: bounded by [`MAX_DEPTH`] so that
    /// deep input is an error, not a stack overflow of the parser or the interpreter.
    depth: u32,
}

pub(super) fn show(t: Option<&Tok>) -> String {
    match t {
        None => "the end of the text".into(),
        Some(Tok::Id(s)) => format!("`{s}`"),
        Some(Tok::Str(s)) => format!("\"{s}\""),
        Some(Tok::Long(n)) => format!("`{n}`"),
        Some(Tok::Dbl(x)) => format!("`{x}`"),
        Some(Tok::P(p)) => format!("`{p}`"),
    }
}

impl Parser {
    pub(super) fn at(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |t| t.0)
    }
    /// Whether a line break precedes the next token.
    fn newline(&self) -> bool {
        self.nl.get(self.i).copied().unwrap_or(false)
    }
    pub(super) fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.1)
    }
    pub(super) fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.i + k).map(|t| &t.1)
    }
    pub(super) fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::P(x)) if *x == p)
    }
    pub(super) fn is_id(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Id(x)) if x == s)
    }
    pub(super) fn eat(&mut self, p: &str) -> bool {
        if self.is(p) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    pub(super) fn expect(&mut self, p: &str) -> Result<(), FnError> {
        if self.eat(p) {
            Ok(())
        } else {
            Err((
                self.at(),
                format!("expected `{p}`, found {}", show(self.peek())),
            ))
        }
    }
    pub(super) fn ident(&mut self) -> Result<(usize, String), FnError> {
        match self.toks.get(self.i).cloned() {
            Some((at, Tok::Id(s))) => {
                self.i += 1;
                Ok((at, s))
            }
            _ => Err((
                self.at(),
                format!("expected a name, found {}", show(self.peek())),
            )),
        }
    }

    pub(super) fn ty(&mut self) -> Result<Ty, FnError> {
        self.nested("type", Self::ty_inner)
    }

    /// Counts one more level of nesting for the duration of `f`, refusing the
    /// [`MAX_DEPTH`]th: deep input is an error, not a stack overflow of the parser or the
    /// interpreter.
    fn nested<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Self) -> Result<T, FnError>,
    ) -> Result<T, FnError> {
        if self.depth >= MAX_DEPTH {
            return Err((
                self.at(),
                format!("this {what} is nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn ty_inner(&mut self) -> Result<Ty, FnError> {
        if self.eat("(") {
            let mut v = vec![self.ty()?];
            while self.eat(",") {
                v.push(self.ty()?);
            }
            self.expect(")")?;
            return Ok(if v.len() == 1 {
                v.remove(0)
            } else {
                Ty::Tuple(v)
            });
        }
        let (_, mut name) = self.ident()?;
        while self.is(".") && matches!(self.peek_at(1), Some(Tok::Id(_))) {
            self.i += 1;
            name.push('.');
            name.push_str(&self.ident()?.1);
        }
        let mut args = Vec::new();
        if self.eat("[") {
            args.push(self.ty()?);
            while self.eat(",") {
                args.push(self.ty()?);
            }
            self.expect("]")?;
        }
        Ok(Ty::Named(name, args))
    }

    pub(super) fn params(&mut self) -> Result<Vec<(String, Ty)>, FnError> {
        self.expect("(")?;
        let mut v = Vec::new();
        if !self.eat(")") {
            loop {
                let (_, n) = self.ident()?;
                self.expect(":")?;
                v.push((n, self.ty()?));
                if !self.eat(",") {
                    break;
                }
            }
            self.expect(")")?;
        }
        Ok(v)
    }

    pub(super) fn program(&mut self, f: &mut Functions) -> Result<(), FnError> {
        while self.i < self.toks.len() {
            if self.eat(";") {
                continue;
            }
            if self.is_id("import") {
                // `import org.apache.spark.sql.streaming._`: read and ignored.
                self.i += 1;
                while matches!(self.peek(), Some(Tok::Id(_)) | Some(Tok::P("."))) {
                    self.i += 1;
                    if self.is_id("import") || self.is_id("def") || self.is_id("case") {
                        break;
                    }
                }
                continue;
            }
            if self.is_id("case") {
                self.i += 1;
                if !self.is_id("class") {
                    return Err((self.at(), "expected `class` after `case`".into()));
                }
                self.i += 1;
                let (_, name) = self.ident()?;
                let fields = self.params()?;
                f.classes.insert(name, fields);
                continue;
            }
            if self.is_id("def") {
                self.i += 1;
                let (pos, name) = self.ident()?;
                let params = self.params()?;
                let ret = if self.eat(":") {
                    Some(self.ty()?)
                } else {
                    None
                };
                self.expect("=")?;
                let body = self.expr()?;
                f.defs.insert(
                    name,
                    Arc::new(Def {
                        params,
                        ret,
                        body,
                        pos,
                    }),
                );
                continue;
            }
            return Err((
                self.at(),
                format!(
                    "expected `def`, `case class` or `import`, found {}",
                    show(self.peek())
                ),
            ));
        }
        Ok(())
    }

    /// Whether a lambda starts here: `x =>`, `(a, b) =>`, `(a: T, b: U) =>`.
    pub(super) fn lambda_ahead(&self) -> bool {
        if matches!(self.peek(), Some(Tok::Id(_))) && matches!(self.peek_at(1), Some(Tok::P("=>")))
        {
            return true;
        }
        if !self.is("(") {
            return false;
        }
        let mut depth = 0;
        let mut k = 0;
        while let Some(t) = self.peek_at(k) {
            match t {
                Tok::P("(") => depth += 1,
                Tok::P(")") => {
                    depth -= 1;
                    if depth == 0 {
                        return matches!(self.peek_at(k + 1), Some(Tok::P("=>")));
                    }
                }
                Tok::Id(_)
                | Tok::P(",")
                | Tok::P(":")
                | Tok::P("[")
                | Tok::P("]")
                | Tok::P(".") => {}
                _ => return false,
            }
            k += 1;
        }
        false
    }

    pub(super) fn expr(&mut self) -> Result<E, FnError> {
        self.nested("expression", Self::expr_inner)
    }

    fn expr_inner(&mut self) -> Result<E, FnError> {
        if self.lambda_ahead() {
            let mut names = Vec::new();
            if self.eat("(") {
                if !self.eat(")") {
                    loop {
                        names.push(self.ident()?.1);
                        if self.eat(":") {
                            self.ty()?;
                        }
                        if !self.eat(",") {
                            break;
                        }
                    }
                    self.expect(")")?;
                }
            } else {
                names.push(self.ident()?.1);
            }
            self.expect("=>")?;
            let body = self.expr()?;
            return Ok(E::Lambda(Arc::new(names), Arc::new(body)));
        }
        self.binary(0)
    }

    pub(super) fn op_at(&self) -> Option<(u8, Op)> {
        Some(match self.peek()? {
            Tok::P("||") => (1, Op::Or),
            Tok::P("&&") => (2, Op::And),
            Tok::P("==") => (3, Op::Eq),
            Tok::P("!=") => (3, Op::Ne),
            Tok::P("<") => (4, Op::Lt),
            Tok::P("<=") => (4, Op::Le),
            Tok::P(">") => (4, Op::Gt),
            Tok::P(">=") => (4, Op::Ge),
            Tok::P("+") => (5, Op::Add),
            Tok::P("-") => (5, Op::Sub),
            Tok::P("*") => (6, Op::Mul),
            Tok::P("/") => (6, Op::Div),
            Tok::P("%") => (6, Op::Rem),
            _ => return None,
        })
    }

    pub(super) fn binary(&mut self, min: u8) -> Result<E, FnError> {
        let mut lhs = self.unary()?;
        while let Some((prec, op)) = self.op_at() {
            if prec <= min {
                break;
            }
            self.i += 1;
            let rhs = self.binary(prec)?;
            lhs = E::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    /// Prefix operators (`!`, `-`), read in a loop and counted as levels of nesting
    /// ([`MAX_DEPTH`]), then applied innermost first.
    pub(super) fn unary(&mut self) -> Result<E, FnError> {
        let mut prefix = Vec::new();
        loop {
            if self.eat("!") {
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
            e = match (not, e) {
                (true, e) => E::Not(Box::new(e)),
                (false, E::Long(n)) => E::Long(-n),
                (false, E::Dbl(x)) => E::Dbl(-x),
                (false, e) => E::Neg(Box::new(e)),
            };
        }
        Ok(e)
    }

    pub(super) fn args(&mut self) -> Result<Vec<E>, FnError> {
        self.expect("(")?;
        let mut v = Vec::new();
        if self.eat(")") {
            return Ok(v);
        }
        loop {
            v.push(self.arg()?);
            if !self.eat(",") {
                break;
            }
        }
        self.expect(")")?;
        Ok(v)
    }

    /// An argument; `_.m(..)` is the lambda `x => x.m(..)`.
    pub(super) fn arg(&mut self) -> Result<E, FnError> {
        if self.is_id("_") {
            self.i += 1;
            let e = self.postfix(E::Var("_".into()))?;
            let mut rest = e;
            while let Some((prec, op)) = self.op_at() {
                self.i += 1;
                let rhs = self.binary(prec)?;
                rest = E::Bin(op, Box::new(rest), Box::new(rhs));
            }
            return Ok(E::Lambda(Arc::new(vec!["_".into()]), Arc::new(rest)));
        }
        self.expr()
    }

    pub(super) fn postfix(&mut self, mut e: E) -> Result<E, FnError> {
        while self.is(".") {
            self.i += 1;
            let (_, m) = self.ident()?;
            if self.eat("[") {
                // `getAs[Long]`: the type argument only documents the cast.
                self.ty()?;
                while self.eat(",") {
                    self.ty()?;
                }
                self.expect("]")?;
            }
            let a1 = if self.is("(") && !self.newline() {
                Some(self.args()?)
            } else if self.is("{") {
                Some(vec![self.block_or_lambda()?])
            } else {
                None
            };
            let a2 = if a1.is_some() && self.is("(") && !self.newline() {
                Some(self.args()?)
            } else {
                None
            };
            e = E::Method(Box::new(e), m, a1, a2);
        }
        Ok(e)
    }

    pub(super) fn block_or_lambda(&mut self) -> Result<E, FnError> {
        self.expect("{")?;
        if self.lambda_ahead() {
            let e = self.expr()?;
            self.expect("}")?;
            return Ok(e);
        }
        let mut st = Vec::new();
        loop {
            while self.eat(";") {}
            if self.eat("}") {
                break;
            }
            if self.i >= self.toks.len() {
                return Err((self.end, "this block is not closed: `}` is missing".into()));
            }
            if self.is_id("val") || self.is_id("var") {
                self.i += 1;
                let names = if self.eat("(") {
                    let mut v = vec![self.ident()?.1];
                    while self.eat(",") {
                        v.push(self.ident()?.1);
                    }
                    self.expect(")")?;
                    v
                } else {
                    vec![self.ident()?.1]
                };
                if self.eat(":") {
                    self.ty()?;
                }
                self.expect("=")?;
                st.push(St::Val(names, self.expr()?));
            } else {
                st.push(St::Expr(self.expr()?));
            }
        }
        Ok(E::Block(st))
    }

    pub(super) fn primary(&mut self) -> Result<E, FnError> {
        let Some((at, t)) = self.toks.get(self.i).cloned() else {
            return Err((self.end, "the expression is missing".into()));
        };
        match t {
            Tok::Long(n) => {
                self.i += 1;
                Ok(E::Long(n))
            }
            Tok::Dbl(x) => {
                self.i += 1;
                Ok(E::Dbl(x))
            }
            Tok::Str(s) => {
                self.i += 1;
                Ok(E::Str(s))
            }
            Tok::P("{") => self.block_or_lambda(),
            Tok::P("(") => {
                self.i += 1;
                if self.eat(")") {
                    return Ok(E::Tuple(Vec::new()));
                }
                let mut v = vec![self.expr()?];
                while self.eat(",") {
                    v.push(self.expr()?);
                }
                self.expect(")")?;
                Ok(if v.len() == 1 {
                    v.remove(0)
                } else {
                    E::Tuple(v)
                })
            }
            Tok::Id(id) => {
                self.i += 1;
                match id.as_str() {
                    "true" => Ok(E::Bool(true)),
                    "false" => Ok(E::Bool(false)),
                    "null" => Ok(E::Null),
                    "if" => {
                        self.expect("(")?;
                        let c = self.expr()?;
                        self.expect(")")?;
                        let a = self.expr()?;
                        while self.eat(";") {}
                        let b = if self.is_id("else") {
                            self.i += 1;
                            Some(Box::new(self.expr()?))
                        } else {
                            None
                        };
                        Ok(E::If(Box::new(c), Box::new(a), b))
                    }
                    "new" => {
                        let ty = self.ty()?;
                        let args = if self.is("(") {
                            self.args()?
                        } else {
                            Vec::new()
                        };
                        Ok(E::Call(ty.base().to_string(), args))
                    }
                    _ => {
                        if self.is("[") {
                            self.i += 1;
                            self.ty()?;
                            self.expect("]")?;
                        }
                        if self.is("(") && !self.newline() {
                            let args = self.args()?;
                            Ok(E::Call(id, args))
                        } else {
                            Ok(E::Var(id))
                        }
                    }
                }
            }
            t => Err((
                at,
                format!("expected an expression, found {}", show(Some(&t))),
            )),
        }
    }
}

/// Parses the `functions` text; `base` is its offset in the file (errors are offsets in the
/// file).
///
/// # Errors
/// The first syntax error.
pub fn parse_functions(text: &str, base: usize) -> Result<Functions, FnError> {
    let (toks, nl) = lex(text, base)?;
    let mut p = Parser {
        toks,
        nl,
        i: 0,
        end: base + text.trim_end().len(),
        depth: 0,
    };
    let mut f = Functions::default();
    p.program(&mut f)?;
    Ok(f)
}

/// A key function for `groupByKey(..)`: a one-parameter lambda (`r => r.getAs[String]("k")`,
/// `_.getAs[String]("k")`) or the name of a one-parameter `def`.
#[derive(Clone, Debug)]
pub struct KeyFn(pub(super) E);

/// Parses `groupByKey`'s argument text at offset `base`.
///
/// # Errors
/// A syntax error, or an argument that is not a function of one row.
pub fn parse_key_fn(text: &str, base: usize) -> Result<KeyFn, FnError> {
    let (toks, nl) = lex(text, base)?;
    let mut p = Parser {
        toks,
        nl,
        i: 0,
        end: base + text.trim_end().len(),
        depth: 0,
    };
    let e = p.arg()?;
    if p.i < p.toks.len() {
        return Err((
            p.at(),
            format!("unexpected {} in groupByKey(..)", show(p.peek())),
        ));
    }
    match &e {
        E::Lambda(ps, _) if ps.len() == 1 => Ok(KeyFn(e)),
        E::Var(..) => Ok(KeyFn(e)),
        _ => Err((base, "groupByKey takes a function of the row, e.g. `r => r.getAs[String](\"origin\")` or `_.getAs[String](\"origin\")`".into())),
    }
}
