//! The text being parsed: byte offsets turned into line/column spans, and [`ParseError`]s
//! built at a position (the parser's own errors: internal failures and too-deep nesting).

use super::error::ParseError;
use super::lex::describe_token;
use crate::scenario::ast::Span;

/// The deepest nesting of expressions accepted. Deeper input is rejected with a
/// [`ParseError`] instead of risking the stack of the parser, the compiler or the evaluator.
pub const MAX_DEPTH: u32 = 200;

/// The text being parsed and where its lines start. The AST builder (`builder.rs`) and the
/// error messages for pest's failures (`messages.rs`) are further `impl` blocks of this type.
pub(super) struct Builder<'a> {
    pub(super) text: &'a str,
    /// Byte offsets where lines start.
    line_starts: Vec<usize>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(text: &'a str) -> Builder<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Builder { text, line_starts }
    }

    /// The 1-based line/column of a byte offset.
    pub(super) fn span(&self, byte: usize) -> Span {
        let byte = byte.min(self.text.len());
        let line = match self.line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let col = self.text.get(start..byte).map_or(0, |s| s.chars().count());
        Span {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            col: u32::try_from(col + 1).unwrap_or(u32::MAX),
        }
    }

    pub(super) fn error(
        &self,
        byte: usize,
        found: String,
        expected: String,
        message: String,
    ) -> ParseError {
        ParseError {
            span: self.span(byte),
            found,
            expected,
            message,
            open: None,
        }
    }

    pub(super) fn internal(&self, byte: usize) -> ParseError {
        self.error(
            byte,
            describe_token(self.text, byte),
            "valid input".into(),
            "internal parser error (please report this input)".into(),
        )
    }

    pub(super) fn too_deep(&self, byte: usize) -> ParseError {
        self.error(
            byte,
            describe_token(self.text, byte),
            format!("at most {MAX_DEPTH} levels of nesting"),
            format!("this expression is nested too deeply (more than {MAX_DEPTH} levels)"),
        )
    }
}
