//! Tab completion for the terminal REPL: command names first, then stream names for the
//! commands that take one, `help` topics, and `until` after `run`.

use super::help::COMMANDS;
use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

/// The rustyline helper: knows the command names and the scenario's stream names.
pub struct ReplHelper {
    streams: Vec<String>,
}

impl ReplHelper {
    /// A helper completing these stream names.
    pub fn new(streams: Vec<String>) -> ReplHelper {
        ReplHelper { streams }
    }

    /// The candidates for the word being typed at byte `pos` of `line`, and where that word
    /// starts.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = line.get(..pos).unwrap_or(line);
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        let word = &before[start..];
        let previous: Vec<&str> = before[..start].split_whitespace().collect();
        let pool: Vec<String> = match previous.as_slice() {
            [] | ["help"] => COMMANDS.iter().map(|c| c.name.to_string()).collect(),
            ["run"] => vec!["until".to_string()],
            [cmd] if COMMANDS.iter().any(|c| c.name == *cmd && c.takes_stream) => {
                self.streams.clone()
            }
            _ => Vec::new(),
        };
        let found = pool.into_iter().filter(|c| c.starts_with(word)).collect();
        (start, found)
    }
}

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(self.candidates(line, pos))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_commands_streams_and_topics() {
        let h = ReplHelper::new(vec!["lines".into(), "words".into()]);
        assert_eq!(
            h.candidates("st", 2),
            (0, vec!["step".into(), "streams".into(), "state".into()])
        );
        assert_eq!(h.candidates("show w", 6), (5, vec!["words".into()]));
        assert_eq!(h.candidates("help wi", 7), (5, vec!["window".into()]));
        assert_eq!(h.candidates("run u", 5), (4, vec!["until".into()]));
        assert_eq!(h.candidates("step 3 x", 8), (7, Vec::<String>::new()));
    }
}
