//! The error of scenario files: where it is (file, line, column) and what is wrong.

use std::fmt;
use std::path::{Path, PathBuf};

/// An error in a scenario file: where it is and what is wrong.
///
/// `Display` prints `file:line:col: message` (line and column 1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// The scenario file.
    pub file: PathBuf,
    /// 1-based line (0 when the error is about the file as a whole).
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// What was found and what would be valid.
    pub message: String,
}

impl ScenarioError {
    /// An error at a position.
    pub fn at(file: &Path, line: u32, col: u32, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: file.to_path_buf(),
            line,
            col,
            message: message.into(),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.col,
                self.message
            )
        }
    }
}

impl std::error::Error for ScenarioError {}
