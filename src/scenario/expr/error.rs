//! The compile error of function arguments: a message and the span of the offending
//! expression.

use crate::scenario::ast::Span;
use std::fmt;

/// A function argument that cannot be compiled: an unknown name, a lambda with the wrong
/// number of parameters, a built-in given arguments of the wrong kind, ...
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// The message (this is also its `Display`), e.g. ``"unknown function `splt`; ..."``.
    pub message: String,
    /// The start of the offending expression (relative to the text that was parsed).
    pub span: Span,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}
