//! Scenario files: TOML with a Spark-like pipeline program inside.
pub mod ast;
pub mod parse;
