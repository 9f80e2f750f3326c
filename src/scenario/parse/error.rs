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
    /// The position of an unclosed `(` the message names (relative to the text given to
    /// the parser, like `span`), so that a caller that shifts `span` into file coordinates
    /// can shift this one too ([`ParseError::shifted`]).
    pub open: Option<Span>,
}

impl ParseError {
    /// The error with its positions moved by `shift` (e.g. from the pipeline string into
    /// the scenario file): `span`, and the unclosed `(` named in the message.
    pub fn shifted(&self, shift: impl Fn(Span) -> Span) -> ParseError {
        let mut e = self.clone();
        e.span = shift(self.span);
        if let Some(open) = self.open {
            let moved = shift(open);
            e.message = e.message.replace(&open_note(open), &open_note(moved));
            e.open = Some(moved);
        }
        e
    }
}

/// The note an error adds about an unclosed `(` at `s`.
pub(super) fn open_note(s: Span) -> String {
    format!(
        " (the `(` at line {}, column {} is still open)",
        s.line, s.col
    )
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
