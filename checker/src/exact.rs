//! Exact values: the checks that keep two different values in a history
//! from reading as one.
//!
//! JSON numbers are held as 64-bit integers or floats. An integer literal
//! beyond the 64-bit range, or a decimal literal that is not the shortest
//! decimal of the float it rounds to, would silently become a neighbouring
//! value (`100000000000000000001` reads as `1e20`), so two different values
//! could compare equal and a violation would be missed. Such literals are
//! rejected with the advice to quote them as strings. The same scan rejects
//! objects with a duplicate key, which JSON parsers otherwise resolve
//! silently by keeping the last.

use std::collections::BTreeSet;

/// The deepest nesting the scan follows; deeper input is left to the JSON
/// parser, which has its own limit.
const DEPTH_MAX: usize = 128;

/// A problem found in a JSON text: the top-level field it is in (if the
/// text is an object) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonIssue {
    /// The top-level key whose value holds the problem, or the duplicated
    /// top-level key itself; `None` outside any top-level field.
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
}

/// A decimal number as (negative, significant digits without leading or
/// trailing zeros, power of ten of the last digit).
fn normalize(literal: &str) -> Option<(bool, String, i64)> {
    let (negative, body) = match literal.as_bytes().first()? {
        b'-' => (true, &literal[1..]),
        b'+' => (false, &literal[1..]),
        _ => (false, literal),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], body[at + 1..].parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !(int_part.bytes().chain(frac_part.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits: String = format!("{int_part}{frac_part}");
    let mut exp = exponent.checked_sub(frac_part.len() as i64)?;
    let trimmed = digits.trim_start_matches('0').len();
    digits.drain(..digits.len() - trimmed);
    while digits.ends_with('0') {
        digits.pop();
        exp += 1;
    }
    if digits.is_empty() {
        exp = 0;
    }
    Some((negative, digits, exp))
}

/// The most significant digits a decimal may have and still be told apart
/// from every other decimal of at most as many digits after reading it as a
/// 64-bit float (C's `DBL_DIG`).
const FLOAT_DIGITS_DISTINCT: usize = 15;

/// Checks that no other accepted literal reads as the same float as the
/// decimal `literal` (read as `parsed`): it has at most 15 significant
/// digits, or it is the shortest form JSON writers print for `parsed`.
/// Two different accepted literals are therefore never equal after reading.
pub(crate) fn exact_float(literal: &str, parsed: f64) -> Result<(), String> {
    let written = serde_json::Number::from_f64(parsed).map(|n| n.to_string());
    match (normalize(literal), written.as_deref().and_then(normalize)) {
        (Some(given), _) if given.1.len() <= FLOAT_DIGITS_DISTINCT => return Ok(()),
        (Some(given), Some(shortest)) if given == shortest => return Ok(()),
        _ => {}
    }
    Err(format!(
        "{literal} is not exactly a 64-bit float (it would read as {}); \
         quote it as a string to compare it exactly",
        written.unwrap_or_else(|| format!("{parsed:?}"))
    ))
}

/// Checks one JSON number literal: integers must fit in 64 bits (signed or
/// unsigned), decimals must be exact (see [`exact_float`]).
pub(crate) fn exact_number(literal: &str) -> Result<(), String> {
    let is_float = literal.contains(['.', 'e', 'E']);
    if !is_float {
        if literal.parse::<i64>().is_ok() || literal.parse::<u64>().is_ok() {
            return Ok(());
        }
        return Err(format!(
            "integer {literal} is outside the 64-bit range; quote it as a string to compare it exactly"
        ));
    }
    match literal.parse::<f64>() {
        Ok(x) if x.is_finite() => exact_float(literal, x),
        // Out of range: the JSON parser reports it.
        _ => Ok(()),
    }
}

/// Scans a JSON text for inexact numbers and duplicate object keys. Syntax
/// errors are not reported here (the scan stops; the JSON parser names
/// them).
pub(crate) fn check_json(text: &str) -> Result<(), JsonIssue> {
    let mut scan = Scan {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        field: None,
    };
    scan.value(0).map(|_| ())
}

struct Scan<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    field: Option<String>,
}

/// `Ok(false)` means the scan stopped at text it does not understand.
type Scanned = Result<bool, JsonIssue>;

impl Scan<'_> {
    fn issue(&self, reason: String) -> JsonIssue {
        JsonIssue {
            field: self.field.clone(),
            reason,
        }
    }

    fn blank(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Scanned {
        self.blank();
        if depth > DEPTH_MAX {
            return Ok(false);
        }
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(self.string().is_some()),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't' | b'f' | b'n') => {
                while self
                    .bytes
                    .get(self.pos)
                    .is_some_and(u8::is_ascii_alphabetic)
                {
                    self.pos += 1;
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn number(&mut self) -> Scanned {
        let start = self.pos;
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
        {
            self.pos += 1;
        }
        exact_number(&self.text[start..self.pos]).map_err(|reason| self.issue(reason))?;
        Ok(true)
    }

    /// Skips a string; returns its (start, end) byte range including the
    /// quotes, or `None` if it is not closed.
    fn string(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.bytes.get(self.pos)? {
                b'"' => {
                    self.pos += 1;
                    return Some((start, self.pos));
                }
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Scanned {
        self.pos += 1;
        loop {
            self.blank();
            if self.bytes.get(self.pos) == Some(&b']') {
                self.pos += 1;
                return Ok(true);
            }
            if !self.value(depth + 1)? {
                return Ok(false);
            }
            self.blank();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {}
                _ => return Ok(false),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Scanned {
        self.pos += 1;
        let mut keys = BTreeSet::new();
        loop {
            self.blank();
            match self.bytes.get(self.pos) {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(true);
                }
                Some(b'"') => {}
                _ => return Ok(false),
            }
            let Some((start, end)) = self.string() else {
                return Ok(false);
            };
            let raw = &self.text[start..end];
            let key = if raw.contains('\\') {
                match serde_json::from_str::<String>(raw) {
                    Ok(key) => key,
                    Err(_) => return Ok(false),
                }
            } else {
                raw[1..raw.len() - 1].to_owned()
            };
            if depth == 0 {
                self.field = Some(key.clone());
            }
            if !keys.insert(key.clone()) {
                return Err(self.issue(format!("duplicate key {key:?} in a JSON object")));
            }
            self.blank();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Ok(false);
            }
            self.pos += 1;
            if !self.value(depth + 1)? {
                return Ok(false);
            }
            if depth == 0 {
                self.field = None;
            }
            self.blank();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Ok(false),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_beyond_64_bits_are_rejected() {
        assert!(exact_number("18446744073709551615").is_ok());
        assert!(exact_number("-9223372036854775808").is_ok());
        assert!(exact_number("18446744073709551616").is_err());
        assert!(exact_number("100000000000000000001").is_err());
        assert!(exact_number("-9223372036854775809").is_err());
    }

    #[test]
    fn decimals_must_be_the_shortest_form_of_their_float() {
        for ok in [
            "0.1",
            "0.10",
            "1.5e3",
            "1500.0",
            "-0.0",
            "2.5E-3",
            "1e20",
            "0.30000000000000004",
        ] {
            assert!(exact_number(ok).is_ok(), "{ok}");
        }
        for bad in [
            "1.0000000000000001",
            "0.1000000000000000055511",
            "9007199254740993.0",
        ] {
            assert!(exact_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn duplicate_keys_are_found_at_any_depth_and_named_by_top_level_field() {
        let issue = check_json(r#"{"index":0,"value":{"a":1,"a":2}}"#).unwrap_err();
        assert_eq!(issue.field.as_deref(), Some("value"));
        assert!(issue.reason.contains("duplicate key \"a\""));
        let issue = check_json(r#"{"f":"read","f":"write"}"#).unwrap_err();
        assert_eq!(issue.field.as_deref(), Some("f"));
        assert!(check_json(r#"{"a":{"b":1},"b":{"a":1},"\u0061x":1}"#).is_ok());
        assert!(check_json(r#"{"a":1,"\u0061":2}"#).is_err());
        let issue = check_json(r#"[1, {"v": 100000000000000000001}]"#).unwrap_err();
        assert_eq!(issue.field, None);
    }

    #[test]
    fn malformed_text_is_left_to_the_parser() {
        for text in [
            "",
            "{",
            "[1,",
            "{\"a\" 1}",
            "\"open",
            "{\"a\":[}",
            "nul",
            "@",
        ] {
            assert!(check_json(text).is_ok(), "{text}");
        }
    }
}
