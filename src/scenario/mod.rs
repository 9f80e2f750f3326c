//! Scenario files: a TOML file holding a Spark-like pipeline program, its sources, static
//! datasets and context settings.
//!
//! ```toml
//! name = "wordcount"
//! description = "The guide's NetworkWordCount over fortune texts."
//! pipeline = '''
//! words = lines.flatMap(split(" "))
//! counts = words.map(pair(1)).reduceByKey(sum)
//! counts.print()
//! '''
//!
//! [context]
//! batch_interval = "1s"
//!
//! [sources.lines]
//! type = "socketTextStream"
//! file = "data/fortunes/lines.txt"
//! rate = 20
//! ```
//!
//! Why TOML (ARCHITECTURE.md has the longer argument): comments, tables for the settings
//! with well-kept parsing and spans for errors, and a multi-line literal string for the
//! program, which is parsed by our own grammar (`grammar.pest`) so that it reads like Spark
//! code. Every error names the file, line and column ([`ScenarioError`]).

pub mod ast;
pub mod build;
pub mod dataflow;
mod error;
pub mod expr;
pub mod flink;
pub mod limits;
pub mod operators;
pub mod parse;
pub mod rdd_plan;
pub mod spec;
pub mod storm;
pub mod structured;
pub(crate) mod toml_errors;

pub use build::{Built, RunOptions};
pub use error::ScenarioError;
pub use spec::Scenario;

use std::path::{Path, PathBuf};

/// The folder of bundled scenarios: `scenarios/` under the current directory if it exists,
/// else the one next to this crate's manifest (so the binary works from any directory of a
/// clone).
pub fn scenarios_dir() -> PathBuf {
    let local = PathBuf::from("scenarios");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
    }
}

/// The bundled default scenario's name.
pub const DEFAULT_SCENARIO: &str = "wordcount";

/// Finds a scenario: an existing path, or the name of a bundled scenario (`flights` for
/// `scenarios/flights.toml`).
///
/// # Errors
/// When neither exists; the message lists the bundled scenarios.
pub fn resolve(name_or_path: &str) -> Result<PathBuf, ScenarioError> {
    let p = PathBuf::from(name_or_path);
    if p.is_file() {
        return Ok(p);
    }
    let bundled = scenarios_dir().join(format!("{name_or_path}.toml"));
    if bundled.is_file() {
        return Ok(bundled);
    }
    let dataflow = scenarios_dir()
        .join("dataflow")
        .join(format!("{name_or_path}.toml"));
    if dataflow.is_file() {
        return Ok(dataflow);
    }
    let names = bundled_names();
    let hint = expr::suggest_name(name_or_path, names.iter().map(String::as_str))
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Err(ScenarioError::at(
        &p,
        0,
        0,
        format!(
            "no such scenario file, and no bundled scenario of that name{hint}; bundled scenarios: {}",
            names.join(", ")
        ),
    ))
}

/// Finds a scenario of one model's folder: an existing path, or the name of a bundled one
/// in `dir` (`dir/NAME.toml`); `model` names the model in the error (`Storm`, `Flink`).
///
/// # Errors
/// When neither exists; the message lists the folder's scenarios.
pub fn resolve_in(dir: &Path, model: &str, name_or_path: &str) -> Result<PathBuf, ScenarioError> {
    let p = PathBuf::from(name_or_path);
    if p.is_file() {
        return Ok(p);
    }
    let bundled = dir.join(format!("{name_or_path}.toml"));
    if bundled.is_file() {
        return Ok(bundled);
    }
    Err(ScenarioError::at(
        &p,
        0,
        0,
        format!(
            "no such file, and no bundled {model} scenario of that name; bundled: {}",
            toml_names(dir).join(", ")
        ),
    ))
}

/// Reads a model's scenario TOML into its raw table type, a parse error positioned at its
/// file, line and column (the Storm, Flink and Structured Streaming loaders share it).
///
/// # Errors
/// The TOML error at its position.
pub fn from_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ScenarioError> {
    toml::from_str(text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|s| toml_errors::line_col(text, s.start))
            .unwrap_or((0, 0));
        ScenarioError::at(path, line, col, e.message().trim().to_string())
    })
}

/// A scenario file's text.
///
/// # Errors
/// A [`ScenarioError`] naming the file when it cannot be read.
pub fn read_text(path: &Path) -> Result<String, ScenarioError> {
    std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::at(path, 0, 0, format!("cannot read the file: {e}")))
}

/// Names of the bundled scenarios, sorted.
pub fn bundled_names() -> Vec<String> {
    toml_names(&scenarios_dir())
}

/// The stems of the `.toml` files directly in `dir`, sorted (none if it cannot be read).
pub fn toml_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    let p = e.path();
                    (p.extension().is_some_and(|x| x == "toml"))
                        .then(|| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                        .flatten()
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Reads and validates a scenario file (syntax, sources, durations, the program's syntax
/// and names), without running it.
///
/// # Errors
/// The first problem found, with its position.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = spec::read_bounded(path, limits::MAX_SCENARIO_BYTES, "MAX_SCENARIO_BYTES")
        .map_err(|e| ScenarioError::at(path, 0, 0, format!("the scenario file: {e}")))?;
    spec::parse_scenario(&text, path)
}
