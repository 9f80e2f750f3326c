//! Where a TOML error is, in the user's terms: the line and column of a byte offset, the
//! key an error is about, and `toml`'s messages rewritten in plain words (no parser
//! internals such as "expected struct RawEventTime").

use super::ast::Span;
use super::error::ScenarioError;
use std::path::Path;

/// A TOML/serde error message in the scenario format's words: no Rust type names
/// (`f64`, `i128`, `struct RawEventTime`), and an example where one helps.
pub(super) fn plain_toml_message(message: &str) -> String {
    let mut m = message.to_string();
    for (rust, plain) in [
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected usize", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected bool", "expected true or false"),
        (
            "expected a sequence",
            "expected a list, e.g. [\"a\", \"b\"]",
        ),
        (
            "expected struct RawEventTime",
            "expected a table like { day = [\"year\", \"month\", \"day\"], hhmm = \"dep_time\" }",
        ),
        (
            "expected struct RawRates",
            "expected a table like { worker_kills_per_min = 0.5 }",
        ),
        (
            "expected an array of length 3",
            "expected a list of 3 column names",
        ),
    ] {
        m = m.replace(rust, plain);
    }
    if let Some(i) = m.find(" as i128") {
        // `invalid type: integer `99999999999999999999` as i128, expected any value`
        let number = m[..i].rsplit(' ').next().unwrap_or("").to_string();
        return format!(
            "the integer {number} is out of range: TOML integers are 64-bit (at most 9223372036854775807)"
        );
    }
    if m.contains("expected struct ") {
        if let Some(i) = m.find("expected struct ") {
            m.replace_range(i.., "expected a table");
        }
    }
    m
}

/// For an error that TOML reports at a table's header (`[sources.lines]`), the key of that
/// table it is about: an unknown field by its name, a wrong value by the value the message
/// quotes (`invalid type: string "fast", expected a number`). Returns the key's offset and
/// name, or `None` to keep the header.
pub(super) fn locate_key(text: &str, at: usize, message: &str) -> Option<(usize, String)> {
    let rest = text.get(at..)?;
    if !rest.starts_with('[') {
        return None;
    }
    let wanted_key = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next());
    let wanted_value = ["string ", "integer `", "float `", "boolean `"]
        .iter()
        .find_map(|p| {
            let i = message.find(p)?;
            let v = &message[i + p.len()..];
            if p.ends_with('`') {
                v.split('`').next().map(str::to_string)
            } else {
                // string "fast", expected ...
                let v = v.strip_prefix('"')?;
                let end = v.find("\", ")?;
                Some(format!("\"{}\"", &v[..end]))
            }
        });
    let mut offset = at + rest.find('\n')? + 1;
    for line in text.get(offset..)?.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            break;
        }
        if let Some((key, value)) = trimmed.split_once('=') {
            let key = key.trim();
            let value = value.split(" #").next().unwrap_or("").trim();
            let indent = line.len() - trimmed.len();
            if wanted_key == Some(key) || wanted_value.as_deref().is_some_and(|v| v == value) {
                let at_key = if wanted_key.is_some() {
                    offset + indent
                } else {
                    offset
                        + line.find('=').map_or(indent, |i| {
                            i + 1 + (line.len() - i - 1 - line[i + 1..].trim_start().len())
                        })
                };
                return Some((at_key, key.to_string()));
            }
        }
        offset += line.len();
    }
    None
}

/// Line and column (1-based) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0) as u32
        + 1;
    (line, col)
}

pub(super) fn span_of(text: &str, offset: usize) -> Span {
    let (line, col) = line_col(text, offset);
    Span { line, col }
}

/// The error for a Storm or Flink scenario given to the DStream loader (`stream-sim run`,
/// `check`, `sweep`): those models have their own commands, and their fields (`spouts`,
/// `bolts`, `job`) would otherwise be reported as unknown DStream fields.
pub(super) fn other_model(text: &str, path: &Path) -> Option<ScenarioError> {
    let table: toml::Table = text.parse().ok()?;
    let model = table.get("model")?.as_str()?;
    let (label, command) = match model {
        "storm" => ("a Storm topology", "stream-sim storm"),
        "flink" => ("a Flink job", "stream-sim flink"),
        _ => return None,
    };
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("model"))
        .map_or(0, |i| i as u32 + 1);
    Some(ScenarioError::at(
        path,
        line,
        1,
        format!(
            "this is {label} scenario (model = \"{model}\"): run it with `{command} {}`; \
             `stream-sim run` runs Spark Streaming (DStream), Structured Streaming and Dataflow scenarios",
            path.display()
        ),
    ))
}
