//! Error messages for pest's failures: what was found and what would have been valid at the
//! offending character, with dedicated messages for common mistakes (an unclosed string or
//! parenthesis, `=` where an expression belongs, a statement that starts with a number).

use super::error::ParseError;
use super::grammar::Rule;
use super::lex::{describe_token, is_number_like, previous_token, Lexed, StringError};
use super::source::Builder;
use pest::error::{ErrorVariant, InputLocation};

impl Builder<'_> {
    /// Turns pest's failure into a friendly [`ParseError`].
    pub(super) fn convert(&self, e: pest::error::Error<Rule>) -> ParseError {
        let pos = match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        }
        .min(self.text.len());
        let positives = match &e.variant {
            ErrorVariant::ParsingError { positives, .. } => positives.clone(),
            ErrorVariant::CustomError { .. } => return self.too_deep(pos),
        };
        let lex = Lexed::scan(self.text);
        if let Some(err) = &lex.string_error {
            if err.quote <= pos {
                return self.string_error(err);
            }
        }
        let at_end = lex.significant.partition_point(|&i| i < pos) == lex.significant.len();
        if at_end {
            if let Some(&open) = lex.unclosed.last() {
                return self.error(
                    open,
                    "end of input".into(),
                    "`)`".into(),
                    "this `(` is never closed: expected a matching `)` before the end of the \
                     input"
                        .into(),
                );
            }
        }
        let found = describe_token(self.text, pos);
        let rest = self.text.get(pos..).unwrap_or("");
        if rest.starts_with(|c: char| c.is_ascii_digit()) && !is_number_like(rest) {
            return self.error(
                pos,
                found.clone(),
                "a number (`42`, `2.5`, `1e3`) or a duration (`200ms`, `30s`, `2min`, `1h`)".into(),
                format!(
                    "{found} is neither a number nor a duration; numbers are written `42`, \
                     `2.5` or `1e3`, durations a number followed by `ms`, `s`, `min` or `h` \
                     (`200ms`, `30s`, `2min`, `1h`)"
                ),
            );
        }
        let expected = self.describe_expected(&positives, pos, &lex);
        if lex.unmatched_close.contains(&pos) {
            return self.error(
                pos,
                found,
                expected.clone(),
                format!(
                    "unmatched `)`: there is no open `(` for it to close (expected {expected})"
                ),
            );
        }
        let mut message = format!("expected {expected}, found {found}");
        if rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>") {
            message.push_str(
                "; `=` only names a result at the start of a statement (`name = expression`); \
                 to compare two values write `==`",
            );
        } else if rest.starts_with('\'') {
            message.push_str("; strings are written in double quotes, e.g. \"Spark\"");
        } else if expected.contains('`') && expected.contains(')') {
            if let Some(&open) = lex.unclosed.iter().rev().find(|&&o| o < pos) {
                let s = self.span(open);
                message.push_str(&super::error::open_note(s));
                let mut e = self.error(pos, found, expected, message);
                e.open = Some(s);
                return e;
            }
        }
        self.error(pos, found, expected, message)
    }

    fn string_error(&self, err: &StringError) -> ParseError {
        match err.bad_escape {
            Some(at) => {
                let esc: String = self.text.get(at..).unwrap_or("").chars().take(2).collect();
                self.error(
                    at,
                    format!("`{esc}`"),
                    "one of the escapes `\\\"`, `\\\\`, `\\n`, `\\t`".into(),
                    format!(
                        "unknown escape `{esc}` in a string; the escapes are `\\\"`, `\\\\`, \
                         `\\n` and `\\t`"
                    ),
                )
            }
            None => self.error(
                err.quote,
                if err.at_eof {
                    "end of input".into()
                } else {
                    "end of line".into()
                },
                "`\"`".into(),
                "unclosed string: expected a closing `\"` before the end of the line".into(),
            ),
        }
    }

    fn describe_expected(&self, positives: &[Rule], pos: usize, lex: &Lexed) -> String {
        let has = |r: Rule| positives.contains(&r);
        let expr_like = positives.iter().any(|r| {
            matches!(
                r,
                Rule::expr
                    | Rule::lambda
                    | Rule::binary
                    | Rule::operand
                    | Rule::lambda_params
                    | Rule::var
                    | Rule::call
                    | Rule::paren
                    | Rule::if_expr
                    | Rule::int
                    | Rule::float
                    | Rule::string
                    | Rule::duration
            )
        });
        if has(Rule::args_close) || has(Rule::arg_sep) {
            return if expr_like {
                "an argument or `)`".into()
            } else {
                "`)` or `,` after an argument".into()
            };
        }
        if has(Rule::paren_close) || has(Rule::tuple_sep) {
            return "`)` or `,`".into();
        }
        if has(Rule::cond_close) {
            return "`)` after the condition of `if`".into();
        }
        if has(Rule::kw_else) {
            return "`else` (an `if` needs both branches: `if (c) a else b`)".into();
        }
        if expr_like {
            return match previous_token(self.text, pos, lex) {
                Some(prev) => format!("an expression after {prev}"),
                None => "an expression".into(),
            };
        }
        if has(Rule::program) || (has(Rule::statement) && !has(Rule::EOI)) {
            return "a statement: `name = expression` or an output operation such as \
                    `counts.print()`"
                .into();
        }
        if has(Rule::repl_expr) {
            return "an expression".into();
        }
        if has(Rule::param) {
            return "a parameter name".into();
        }
        if has(Rule::params_close) || has(Rule::param_sep) {
            return "`,` or `)` in the lambda's parameter list".into();
        }
        if has(Rule::cond_open) {
            return "`(` after `if`".into();
        }
        if has(Rule::method_name) {
            return "a method name after `.`".into();
        }
        if has(Rule::statement) || has(Rule::semi) {
            return "an operator, a method call `.name(...)`, `;` or a new statement".into();
        }
        if has(Rule::EOI) {
            return "an operator, a method call `.name(...)` or the end of the expression".into();
        }
        if has(Rule::arrow) {
            return "`=>`".into();
        }
        if positives.is_empty() {
            return "something else".into();
        }
        let names: Vec<String> = positives.iter().map(|r| format!("{r:?}")).collect();
        names.join(", ")
    }
}
