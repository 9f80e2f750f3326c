//! The parser's error type: a syntax error with the position of the offending character.

use crate::scenario::ast::Span;
use std::fmt;

/// A syntax error, with the position of the offending character.
///
/// `Display` prints `line L, column C: <message>`, e.g.
/// `line 2, column 14: expected `)` or `,` after an argument, found `;``.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// Where the problem is (1-based line and column in characters, relative to the text
    /// given to the parser).
    pub span: Span,
    /// What was found there, as shown in the message: `` `;` ``, `` `foo` ``, `end of input`.
    pub found: String,
    /// What would have been valid there, as shown in the message: `` `)` or `,` after an
    /// argument ``, `an expression`.
    pub expected: String,
    /// The whole message (without the position).
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.span.line, self.span.col, self.message
        )
    }
}

impl std::error::Error for ParseError {}
