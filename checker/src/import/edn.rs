//! A small, strict reader for the subset of EDN that Jepsen and Porcupine
//! histories use: maps, vectors, lists, sets, keywords, symbols, strings
//! with escapes, characters, integers (with an optional `N`), floats (with
//! an optional `M`), `nil`, `true`/`false`, tagged values (`#tag value`),
//! `#_` discards and `;` comments. Commas are whitespace.
//!
//! Nesting is bounded ([`MAX_DEPTH`]) so hostile input cannot overflow the
//! stack; every error carries the 1-based line where it was found.

/// The deepest nesting of collections accepted.
pub const MAX_DEPTH: usize = 128;

/// An EDN value.
#[derive(Debug, Clone, PartialEq)]
pub enum Edn {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A finite floating-point number.
    Float(f64),
    /// A string, escapes resolved.
    Str(String),
    /// A character such as `\a` or `\newline`.
    Char(char),
    /// A keyword, without its leading colon (`:ok` is `Keyword("ok")`).
    Keyword(String),
    /// A symbol.
    Symbol(String),
    /// `( ... )`.
    List(Vec<Edn>),
    /// `[ ... ]`.
    Vector(Vec<Edn>),
    /// `#{ ... }`, in written order.
    Set(Vec<Edn>),
    /// `{ ... }`, pairs in written order.
    Map(Vec<(Edn, Edn)>),
    /// `#tag value`.
    Tagged(String, Box<Edn>),
}

impl Edn {
    /// The value under keyword key `name` of a map, if this is a map.
    pub fn get(&self, name: &str) -> Option<&Edn> {
        match self {
            Edn::Map(pairs) => pairs.iter().find_map(|(k, v)| match k {
                Edn::Keyword(k) if k == name => Some(v),
                _ => None,
            }),
            _ => None,
        }
    }

    /// A short description of the value's kind, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Edn::Nil => "nil",
            Edn::Bool(_) => "a boolean",
            Edn::Int(_) => "an integer",
            Edn::Float(_) => "a float",
            Edn::Str(_) => "a string",
            Edn::Char(_) => "a character",
            Edn::Keyword(_) => "a keyword",
            Edn::Symbol(_) => "a symbol",
            Edn::List(_) => "a list",
            Edn::Vector(_) => "a vector",
            Edn::Set(_) => "a set",
            Edn::Map(_) => "a map",
            Edn::Tagged(..) => "a tagged value",
        }
    }
}

/// A syntax error, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdnError {
    /// The line of the error.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

/// Reads EDN values one at a time from a text.
#[derive(Debug)]
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    line: u64,
    /// The closer of an entered top-level collection (see
    /// [`Reader::enter_collection`]).
    closer: Option<char>,
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | ';')
}

impl<'a> Reader<'a> {
    /// A reader over `text`, whose first line is line `first_line`.
    pub fn new(text: &'a str, first_line: u64) -> Self {
        Reader {
            text,
            pos: 0,
            line: first_line,
            closer: None,
        }
    }

    /// If the text starts with a vector or list, steps inside it, so that
    /// [`Reader::next_value`] yields its elements one by one (each with its
    /// own line) and consumes the closing bracket silently. Returns whether
    /// it did.
    pub fn enter_collection(&mut self) -> bool {
        self.skip_blank();
        let closer = match self.peek() {
            Some('[') => ']',
            Some('(') => ')',
            _ => return false,
        };
        self.bump();
        self.closer = Some(closer);
        true
    }

    /// The current line.
    pub fn line(&self) -> u64 {
        self.line
    }

    fn error<T>(&self, reason: impl Into<String>) -> Result<T, EdnError> {
        Err(EdnError {
            line: self.line,
            reason: reason.into(),
        })
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ',' {
                self.bump();
            } else if c == ';' {
                while let Some(c) = self.peek() {
                    if c == '\n' {
                        break;
                    }
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    /// The next top-level value and the line it starts on, or `None` at the
    /// end of the text.
    pub fn next_value(&mut self) -> Result<Option<(u64, Edn)>, EdnError> {
        loop {
            self.skip_blank();
            let Some(c) = self.peek() else {
                if let Some(closer) = self.closer {
                    return self.error(format!(
                        "unexpected end of input: the top-level collection is not closed with {closer:?}"
                    ));
                }
                return Ok(None);
            };
            if Some(c) == self.closer {
                self.bump();
                self.closer = None;
                continue;
            }
            let line = self.line;
            if let Some(value) = self.value(0)? {
                return Ok(Some((line, value)));
            }
        }
    }

    /// Reads exactly one value and requires nothing but blanks after it.
    pub fn single_value(mut self) -> Result<Edn, EdnError> {
        let Some((_, value)) = self.next_value()? else {
            return self.error("expected a value, found nothing");
        };
        self.skip_blank();
        if self.peek().is_some() {
            return self.error(format!(
                "unexpected text after the value: {:?}",
                self.rest_preview()
            ));
        }
        Ok(value)
    }

    fn rest_preview(&self) -> String {
        self.text[self.pos..].chars().take(20).collect()
    }

    /// Reads one value; `None` when a `#_` discard consumed the form.
    fn value(&mut self, depth: usize) -> Result<Option<Edn>, EdnError> {
        if depth > MAX_DEPTH {
            return self.error(format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        let Some(c) = self.peek() else {
            return self.error("unexpected end of input");
        };
        let value = match c {
            '(' => {
                self.bump();
                Edn::List(self.sequence(')', depth)?)
            }
            '[' => {
                self.bump();
                Edn::Vector(self.sequence(']', depth)?)
            }
            '{' => {
                self.bump();
                self.map(depth)?
            }
            ')' | ']' | '}' => return self.error(format!("unexpected {c:?}")),
            '"' => {
                self.bump();
                Edn::Str(self.string()?)
            }
            '\\' => {
                self.bump();
                Edn::Char(self.character()?)
            }
            '#' => {
                self.bump();
                return self.dispatch(depth);
            }
            ':' => {
                self.bump();
                let token = self.token();
                if token.is_empty() {
                    return self.error("empty keyword");
                }
                Edn::Keyword(token.to_owned())
            }
            _ => self.atom()?,
        };
        Ok(Some(value))
    }

    fn dispatch(&mut self, depth: usize) -> Result<Option<Edn>, EdnError> {
        match self.peek() {
            Some('{') => {
                self.bump();
                Ok(Some(Edn::Set(self.sequence('}', depth)?)))
            }
            Some('_') => {
                self.bump();
                self.skip_blank();
                // The discarded form may itself be a discard; either way it
                // yields nothing.
                self.value(depth + 1)?;
                Ok(None)
            }
            Some(c) if c.is_alphabetic() => {
                let tag = self.token().to_owned();
                self.skip_blank();
                let line = self.line;
                match self.value(depth + 1)? {
                    Some(value) => Ok(Some(Edn::Tagged(tag, Box::new(value)))),
                    None => Err(EdnError {
                        line,
                        reason: format!("tag #{tag} has no value"),
                    }),
                }
            }
            Some('#') => {
                // Symbolic values: ##Inf, ##-Inf, ##NaN (kept as symbols; they
                // have no JSON form).
                self.bump();
                let name = self.token();
                match name {
                    "Inf" | "-Inf" | "NaN" => Ok(Some(Edn::Symbol(format!("##{name}")))),
                    other => self.error(format!("unknown symbolic value ##{other}")),
                }
            }
            Some('"') => {
                // A regular expression: kept as its source text.
                self.bump();
                Ok(Some(Edn::Str(self.string()?)))
            }
            Some(c) => self.error(format!("unsupported dispatch #{c}")),
            None => self.error("unexpected end of input after #"),
        }
    }

    fn sequence(&mut self, close: char, depth: usize) -> Result<Vec<Edn>, EdnError> {
        let start = self.line;
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            match self.peek() {
                None => {
                    return self.error(format!(
                        "unterminated collection opened at line {start} (expected {close:?})"
                    ))
                }
                Some(c) if c == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(_) => {
                    if let Some(item) = self.value(depth + 1)? {
                        items.push(item);
                    }
                }
            }
        }
    }

    fn map(&mut self, depth: usize) -> Result<Edn, EdnError> {
        let start = self.line;
        let items = self.sequence('}', depth)?;
        if items.len() % 2 != 0 {
            return Err(EdnError {
                line: start,
                reason: "map has a key without a value".into(),
            });
        }
        let mut pairs = Vec::with_capacity(items.len() / 2);
        let mut items = items.into_iter();
        while let (Some(k), Some(v)) = (items.next(), items.next()) {
            pairs.push((k, v));
        }
        Ok(Edn::Map(pairs))
    }

    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if is_delimiter(c) {
                break;
            }
            self.bump();
        }
        &self.text[start..self.pos]
    }

    fn string(&mut self) -> Result<String, EdnError> {
        let start = self.line;
        let mut out = String::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(EdnError {
                    line: start,
                    reason: "unterminated string".into(),
                });
            };
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let escaped = match self.bump() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('u') => self.unicode_escape()?,
                        Some(other) => {
                            return self.error(format!("unknown string escape \\{other}"))
                        }
                        None => return self.error("unterminated string"),
                    };
                    out.push(escaped);
                }
                c => out.push(c),
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char, EdnError> {
        let start = self.pos;
        for _ in 0..4 {
            match self.bump() {
                Some(c) if c.is_ascii_hexdigit() => {}
                _ => return self.error("\\u needs four hex digits"),
            }
        }
        let code = u32::from_str_radix(&self.text[start..self.pos], 16).unwrap_or(u32::MAX);
        match char::from_u32(code) {
            Some(c) => Ok(c),
            None => self.error(format!("\\u{:04x} is not a character", code)),
        }
    }

    fn character(&mut self) -> Result<char, EdnError> {
        // The first character is taken even if it is a delimiter (`\(`).
        let Some(first) = self.bump() else {
            return self.error("unexpected end of input after \\");
        };
        let rest = self.token();
        if rest.is_empty() {
            return Ok(first);
        }
        let name = format!("{first}{rest}");
        match name.as_str() {
            "newline" => Ok('\n'),
            "space" => Ok(' '),
            "tab" => Ok('\t'),
            "return" => Ok('\r'),
            "backspace" => Ok('\u{8}'),
            "formfeed" => Ok('\u{c}'),
            _ if first == 'u' && rest.len() == 4 => {
                let code = u32::from_str_radix(rest, 16).ok().and_then(char::from_u32);
                match code {
                    Some(c) => Ok(c),
                    None => self.error(format!("bad character literal \\{name}")),
                }
            }
            _ => self.error(format!("unknown character literal \\{name}")),
        }
    }

    fn atom(&mut self) -> Result<Edn, EdnError> {
        let token = self.token();
        if token.is_empty() {
            // A delimiter we do not start values with (should not happen).
            let c = self.peek().unwrap_or(' ');
            return self.error(format!("unexpected {c:?}"));
        }
        let first = token.chars().next().unwrap_or(' ');
        let second = token.chars().nth(1);
        let numeric = first.is_ascii_digit()
            || (matches!(first, '+' | '-') && second.is_some_and(|c| c.is_ascii_digit()));
        if numeric {
            return self.number(token);
        }
        Ok(match token {
            "nil" => Edn::Nil,
            "true" => Edn::Bool(true),
            "false" => Edn::Bool(false),
            symbol => Edn::Symbol(symbol.to_owned()),
        })
    }

    fn number(&self, token: &str) -> Result<Edn, EdnError> {
        let unsigned = token.trim_start_matches(['+', '-']);
        if let Some(hex) = unsigned
            .strip_prefix("0x")
            .or_else(|| unsigned.strip_prefix("0X"))
        {
            let negative = token.starts_with('-');
            return match i64::from_str_radix(hex, 16) {
                Ok(n) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    Ok(Edn::Int(if negative { -n } else { n }))
                }
                _ => self.error(format!("malformed number {token:?}")),
            };
        }
        let is_float = token.contains(['.', 'e', 'E']) || token.ends_with('M');
        if is_float {
            let digits = token.strip_suffix('M').unwrap_or(token);
            return match digits.parse::<f64>() {
                Ok(x) if x.is_finite() && !digits.contains(['i', 'I', 'n', 'N']) => {
                    match crate::exact::exact_float(digits, x) {
                        Ok(()) => Ok(Edn::Float(x)),
                        Err(reason) => self.error(reason),
                    }
                }
                _ => self.error(format!("malformed number {token:?}")),
            };
        }
        if let Some((numerator, denominator)) = token.split_once('/') {
            // Only ratios a float holds exactly: a power-of-two denominator
            // and a numerator within 53 bits.
            let ratio = match (numerator.parse::<i64>(), denominator.parse::<i64>()) {
                (Ok(n), Ok(d)) if d > 0 && (d as u64).is_power_of_two() && n.unsigned_abs() < 1 << 53 => {
                    Some(n as f64 / d as f64)
                }
                (Ok(_), Ok(d)) if d > 0 => {
                    return self.error(format!(
                        "ratio {token:?} is not exactly a 64-bit float; quote it as a string to compare it exactly"
                    ))
                }
                _ => None,
            };
            return match ratio {
                Some(x) => Ok(Edn::Float(x)),
                None => self.error(format!("malformed ratio {token:?}")),
            };
        }
        let digits = token.strip_suffix('N').unwrap_or(token);
        let digits = digits.strip_prefix('+').unwrap_or(digits);
        if !digits
            .strip_prefix('-')
            .unwrap_or(digits)
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            return self.error(format!("malformed number {token:?}"));
        }
        match digits.parse::<i64>() {
            Ok(n) => Ok(Edn::Int(n)),
            Err(_) => self.error(format!("integer {token} does not fit in 64 bits")),
        }
    }
}

#[cfg(test)]
#[path = "edn_tests.rs"]
mod tests;
