//! A small lexical scan of the program text, only run on failure: string problems,
//! parenthesis balance, the significant characters, and short descriptions of tokens.

// ---- a small lexical scan, only run on failure ----------------------------------------------

pub(super) struct StringError {
    /// The opening quote.
    pub(super) quote: usize,
    /// The backslash of an unknown escape, if that is the problem (else: unclosed).
    pub(super) bad_escape: Option<usize>,
    /// Whether the unclosed string ran to the end of the input.
    pub(super) at_eof: bool,
}

/// What a lexical scan of the whole text finds: string problems, parenthesis balance and the
/// positions of all significant (non-blank, non-comment) characters.
pub(super) struct Lexed {
    pub(super) string_error: Option<StringError>,
    /// Byte offsets of `(` never closed, outermost first.
    pub(super) unclosed: Vec<usize>,
    /// Byte offsets of `)` with nothing to close.
    pub(super) unmatched_close: Vec<usize>,
    /// Byte offsets of significant characters, ascending.
    pub(super) significant: Vec<usize>,
}

impl Lexed {
    pub(super) fn scan(text: &str) -> Lexed {
        let mut lx = Lexed {
            string_error: None,
            unclosed: Vec::new(),
            unmatched_close: Vec::new(),
            significant: Vec::new(),
        };
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                ' ' | '\t' | '\r' | '\n' => {}
                '#' => while chars.next_if(|&(_, c)| c != '\n').is_some() {},
                '/' if matches!(chars.peek(), Some((_, '/'))) => {
                    while chars.next_if(|&(_, c)| c != '\n').is_some() {}
                }
                '"' => {
                    lx.significant.push(i);
                    let mut closed = false;
                    let mut bad_escape = None;
                    while let Some((j, d)) = chars.next_if(|&(_, d)| d != '\n') {
                        lx.significant.push(j);
                        match d {
                            '"' => {
                                closed = true;
                                break;
                            }
                            '\\' => match chars.next_if(|&(_, e)| e != '\n') {
                                Some((k, e)) => {
                                    lx.significant.push(k);
                                    if !matches!(e, '"' | '\\' | 'n' | 't') && bad_escape.is_none()
                                    {
                                        bad_escape = Some(j);
                                    }
                                }
                                None => bad_escape = bad_escape.or(Some(j)),
                            },
                            _ => {}
                        }
                    }
                    let problem = if closed {
                        bad_escape.map(|b| (Some(b), false))
                    } else {
                        Some((None, chars.peek().is_none()))
                    };
                    if let (Some((bad_escape, at_eof)), None) = (problem, &lx.string_error) {
                        lx.string_error = Some(StringError {
                            quote: i,
                            bad_escape,
                            at_eof,
                        });
                    }
                }
                '(' => {
                    lx.significant.push(i);
                    lx.unclosed.push(i);
                }
                ')' => {
                    lx.significant.push(i);
                    if lx.unclosed.pop().is_none() {
                        lx.unmatched_close.push(i);
                    }
                }
                _ => lx.significant.push(i),
            }
        }
        lx
    }
}

/// The operator-like token just before `pos` (skipping blanks and comments), as
/// `` `+` ``, for "an expression after `+`".
pub(super) fn previous_token(text: &str, pos: usize, lex: &Lexed) -> Option<String> {
    let idx = lex.significant.partition_point(|&i| i < pos);
    let at = *lex.significant.get(idx.checked_sub(1)?)?;
    let c = text.get(at..)?.chars().next()?;
    if text.get(..at + 1)?.ends_with("else") {
        return Some("`else`".into());
    }
    if !"=+-*/%<>!&|(,".contains(c) {
        return None;
    }
    let two = at
        .checked_sub(1)
        .and_then(|s| text.get(s..at + 1))
        .filter(|t| ["==", "!=", "<=", ">=", "&&", "||", "=>"].contains(t));
    Some(match two {
        Some(t) => format!("`{t}`"),
        None => format!("`{c}`"),
    })
}

/// Whether `text` starts with a well-formed number or duration (not running into a name).
pub(super) fn is_number_like(text: &str) -> bool {
    let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let mut end = digits(text);
    let rest = &text[end..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = digits(frac);
        if n > 0 {
            end += 1 + n;
        }
    }
    let rest = &text[end..];
    let word = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(rest, |n| &rest[..n]);
    if word.is_empty() || ["ms", "s", "min", "h"].contains(&word) {
        return true;
    }
    // an exponent: `1e3`, or `1.5E` followed by a sign
    let Some(exp) = word.strip_prefix(['e', 'E']) else {
        return false;
    };
    if exp.is_empty() {
        let after = &rest[word.len()..];
        after.starts_with(['+', '-']) && after[1..].starts_with(|c: char| c.is_ascii_digit())
    } else {
        exp.chars().all(|c| c.is_ascii_digit())
    }
}

/// A short description of the token at `pos` for "found ...": `` `;` ``, `` `name` ``,
/// `` `42` ``, `` `"text"` ``, `end of input`.
pub(super) fn describe_token(text: &str, pos: usize) -> String {
    let rest = text.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return "end of input".into();
    };
    let token: String = if c.is_ascii_digit() {
        // digits, an optional fraction, then a unit or whatever letters follow
        let mut end = rest
            .find(|d: char| !d.is_ascii_digit())
            .unwrap_or(rest.len());
        let tail = &rest[end..];
        if tail.starts_with('.') && tail[1..].starts_with(|d: char| d.is_ascii_digit()) {
            end += 1 + tail[1..]
                .find(|d: char| !d.is_ascii_digit())
                .unwrap_or(tail.len() - 1);
        }
        end += rest[end..]
            .find(|d: char| !(d.is_ascii_alphanumeric() || d == '_'))
            .unwrap_or(rest.len() - end);
        rest[..end].to_string()
    } else if c.is_ascii_alphanumeric() || c == '_' {
        rest.chars()
            .take_while(|d| d.is_ascii_alphanumeric() || *d == '_')
            .collect()
    } else if c == '"' {
        let mut s = String::from('"');
        for d in rest.chars().skip(1) {
            if d == '\n' {
                break;
            }
            s.push(d);
            if d == '"' {
                break;
            }
        }
        s
    } else if let Some(op) = ["==", "!=", "<=", ">=", "&&", "||", "=>"]
        .iter()
        .find(|op| rest.starts_with(**op))
    {
        (*op).to_string()
    } else {
        c.to_string()
    };
    let token = if token.chars().count() > 40 {
        let mut t: String = token.chars().take(37).collect();
        t.push_str("...");
        t
    } else {
        token
    };
    format!("`{token}`")
}
