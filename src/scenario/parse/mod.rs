//! The pipeline parser: text to [`Program`] / [`Expr`] (see `ast.rs` for the shapes).
//!
//! The grammar lives in `grammar.pest`; this module turns pest's pairs into the AST
//! (resolving operator precedence by precedence climbing) and pest's failures into
//! [`ParseError`]s that say what was found and what would have been valid, pointing at the
//! offending character. A few common mistakes get their own message: an unclosed string, an
//! unclosed or unmatched parenthesis, `=` where an expression belongs, and a statement that
//! starts with a number.
//!
//! The language, briefly (whitespace including newlines is insignificant; `// ...` and
//! `# ...` are comments; statements may be separated by `;`):
//!
//! ```text
//! counts = lines.flatMap(split(" ")).map(pair(1)).reduceByKey(sum)
//! errors = lines.filter(x => x.contains("ERROR") && x.length > 3)
//! totals = pairs.updateStateByKey((values, state) => Some(values.sum + state.getOrElse(0)))
//! windowed = pairs.reduceByKeyAndWindow(sum, 30s, 10s)
//! counts.print()
//! ```

mod builder;
mod desugar;
mod error;
mod grammar;
mod lex;
mod messages;
mod object;
mod print;
mod scala;
mod source;

pub use error::ParseError;
pub use object::LAZY_SINGLETON;
pub use source::MAX_DEPTH;

use crate::scenario::ast::{Expr, Program};
use grammar::{PipelineParser, Rule};
use pest::Parser;
use source::Builder;

/// Parses a whole pipeline program: statements `name = expr` or bare expressions such as
/// `counts.print()`, optionally separated by `;`.
///
/// # Errors
/// A [`ParseError`] at the first offending character, e.g. an unclosed string or
/// parenthesis, a misplaced `=`, a statement starting with a number, a duration that is not
/// a whole number of milliseconds (`0.5ms`), an integer beyond 64 bits, or nesting deeper than
/// [`MAX_DEPTH`].
pub fn parse_program(text: &str) -> Result<Program, ParseError> {
    let b = Builder::new(text);
    let mut pairs = PipelineParser::parse(Rule::program, text).map_err(|e| b.convert(e))?;
    let mut statements = Vec::new();
    let mut scala_defs = Vec::new();
    let Some(program) = pairs.next() else {
        return Ok(Program { statements });
    };
    for pair in program.into_inner() {
        if pair.as_rule() == Rule::statement {
            // `val x = ...`, `def f(..) = ...` and `case class` are Scala's definitions: a
            // function, constant or dataset so defined is inlined where it is used
            let scala = pair.clone().into_inner().next().is_some_and(|s| {
                matches!(s.as_rule(), Rule::def_stmt | Rule::case_class)
                    || s.into_inner()
                        .next()
                        .is_some_and(|k| k.as_rule() == Rule::kw_val)
            });
            scala_defs.push(scala);
            statements.push(b.statement(pair)?);
        }
    }
    desugar::desugar(Program { statements }, &scala_defs)
}

/// Parses a single expression (the REPL's input), e.g. `x => x + 1` or `lines.count()`.
///
/// # Errors
/// As [`parse_program`], except that a number is a fine expression.
pub fn parse_expr(text: &str) -> Result<Expr, ParseError> {
    let b = Builder::new(text);
    let mut pairs = PipelineParser::parse(Rule::repl_expr, text).map_err(|e| b.convert(e))?;
    let Some(top) = pairs.next() else {
        return Err(b.internal(0));
    };
    match top.into_inner().find(|p| p.as_rule() == Rule::expr) {
        Some(e) => desugar::desugar_expr(b.expr(e, 0)?.0),
        None => Err(b.internal(0)),
    }
}

/// Prints an expression back as source text that parses to the same tree (up to spans),
/// with the fewest parentheses: `lines.flatMap(split(" "))`, `(a, b) => a + b * 2`.
/// Used to name lambdas (`Func::name`) and in messages.
pub fn unparse(expr: &Expr) -> String {
    print::unparse(expr)
}
