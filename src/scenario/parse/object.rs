//! `object NAME { ... }`: the programming guide's lazily instantiated singleton ("Accumulators,
//! Broadcast Variables, and Checkpoints"), read as the broadcast it makes.
//!
//! ```text
//! object WordExcludeList {
//!   @volatile private var instance: Broadcast[Seq[String]] = null
//!   def getInstance(sc: SparkContext): Broadcast[Seq[String]] = {
//!     if (instance == null) synchronized {
//!       if (instance == null) instance = sc.broadcast(Seq("a", "the"))
//!     }
//!     instance
//!   }
//! }
//! ```
//!
//! The body is Scala the language does not otherwise read (annotations, `synchronized`,
//! assignment), so it is taken as text: it must define `getInstance` and call
//! `sc.broadcast(value)` once; `value` is parsed as an expression at its place in the file.
//! The statement becomes `NAME = lazySingleton(sc.broadcast(value))`, which the builder
//! (`build/broadcast.rs`) turns into a singleton whose `NAME.getInstance(sc).value` makes the
//! broadcast in whichever driver first asks.

use super::desugar;
use super::error::ParseError;
use super::grammar::{PipelineParser, Rule};
use super::lex::describe_token;
use super::source::Builder;
use crate::scenario::ast::{Expr, ExprKind, Ident, Statement};
use pest::iterators::Pair;
use pest::Parser;

/// The function the statement is rewritten to (`NAME = lazySingleton(sc.broadcast(v))`).
pub const LAZY_SINGLETON: &str = "lazySingleton";

impl Builder<'_> {
    /// `object NAME { ... }` as `NAME = lazySingleton(sc.broadcast(value))` (module doc).
    pub(super) fn object(&self, pair: Pair<'_, Rule>) -> Result<Statement, ParseError> {
        let start = pair.as_span().start();
        let span = self.span(start);
        let mut target = None;
        let mut body = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::target => {
                    target = Some(Ident {
                        name: p.as_str().to_string(),
                        span: self.span(p.as_span().start()),
                    })
                }
                Rule::object_body => body = Some((p.as_str(), p.as_span().start())),
                _ => {}
            }
        }
        let (Some(target), Some((text, at))) = (target, body) else {
            return Err(self.internal(start));
        };
        let refuse = |message: String| {
            self.error(
                at,
                describe_token(self.text, at),
                "the guide's singleton: `def getInstance(sc: SparkContext)` that makes \
                 `sc.broadcast(...)`"
                    .into(),
                message,
            )
        };
        if !text.contains("getInstance") {
            return Err(refuse(format!(
                "`object {}` has no `def getInstance(sc: SparkContext)`; the only object \
                 simulated is the guide's lazily instantiated singleton of a broadcast",
                target.name
            )));
        }
        let calls: Vec<usize> = text.match_indices(".broadcast(").map(|(i, _)| i).collect();
        let [call] = calls.as_slice() else {
            let accumulator = text.contains("ccumulator(");
            return Err(refuse(if accumulator {
                format!(
                    "`object {}` makes an accumulator; only broadcast singletons are simulated \
                     (the driver's records-processed accumulator stands for accumulators: \
                     chapter 7)",
                    target.name
                )
            } else {
                format!(
                    "`object {}` must call `sc.broadcast(value)` exactly once, found {}",
                    target.name,
                    calls.len()
                )
            }));
        };
        let open = at + call + ".broadcast(".len();
        let Some(close) = matching_paren(self.text, open) else {
            return Err(refuse("`sc.broadcast(` is not closed".into()));
        };
        let value = self.sub_expr(open, close)?;
        let callee = Expr {
            kind: ExprKind::Method {
                recv: Box::new(Expr {
                    kind: ExprKind::Var("sc".into()),
                    span: value.span,
                }),
                name: Ident {
                    name: "broadcast".into(),
                    span: value.span,
                },
                args: Some(vec![value]),
            },
            span,
        };
        Ok(Statement {
            target: Some(target),
            expr: Expr {
                kind: ExprKind::Call {
                    func: Ident {
                        name: LAZY_SINGLETON.into(),
                        span,
                    },
                    args: vec![callee],
                },
                span,
            },
            span,
        })
    }

    /// The expression in `text[from..to]`, parsed with positions in the whole text: the text
    /// before it is blanked (newlines kept) so that lines and columns stay those of the file.
    fn sub_expr(&self, from: usize, to: usize) -> Result<Expr, ParseError> {
        let blank: String = self.text[..from]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        let padded = format!("{blank}{}", &self.text[from..to]);
        let b = Builder::new(&padded);
        let mut pairs =
            PipelineParser::parse(Rule::repl_expr, &padded).map_err(|e| b.convert(e))?;
        let Some(top) = pairs.next() else {
            return Err(self.internal(from));
        };
        match top.into_inner().find(|p| p.as_rule() == Rule::expr) {
            Some(e) => desugar::desugar_expr(b.expr(e, 0)?.0),
            None => Err(self.internal(from)),
        }
    }
}

/// The byte offset of the `)` closing the parenthesis opened just before `from`, skipping
/// strings.
fn matching_paren(text: &str, from: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text[from..].char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(from + i);
                }
            }
            _ => {}
        }
    }
    None
}
