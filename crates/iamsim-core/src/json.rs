//! A strict JSON parser that keeps where every value stands.
//!
//! serde_json cannot give the span of each value nor reject duplicate keys,
//! and both are part of our contract: every error names line and column, and
//! IAM rejects a document with the same key twice (docs/evaluation.md L62).
//! This parser is RFC 8259 strict (no comments, no trailing commas), limits
//! nesting depth, and reports the byte offset of the first fault.

use std::collections::HashSet;

/// A byte range in a source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    fn new(start: usize, end: usize) -> Span {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }
}

/// A JSON value with the span it was read from.
#[derive(Clone, Debug)]
pub struct Node {
    /// The value itself.
    pub value: Value,
    /// Where it stands in the source.
    pub span: Span,
}

/// The JSON value kinds. Numbers keep their source text, so that `10` and
/// `10.0` print as written.
#[derive(Clone, Debug)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Node>),
    /// An object, its members in source order (keys are unique).
    Object(Vec<Member>),
}

/// One `"key": value` member of an object.
#[derive(Clone, Debug)]
pub struct Member {
    /// The key, unescaped.
    pub key: String,
    /// Where the key stands (quotes included).
    pub key_span: Span,
    /// The value.
    pub node: Node,
}

impl Node {
    /// A short name of the value's kind, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The value as serde_json's, for writing out (object keys sorted).
    pub fn to_value(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::from_str(n).unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_value).collect())
            }
            Value::Object(members) => serde_json::Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.clone(), m.node.to_value()))
                    .collect(),
            ),
        }
    }

    /// The member named `key`, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_object()?
            .iter()
            .find(|m| m.key == key)
            .map(|m| &m.node)
    }
}

/// Why a text is not valid JSON, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the fault.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// The deepest nesting of arrays and objects accepted; deeper input is an
/// error rather than a stack overflow.
pub const MAX_DEPTH: usize = 128;

/// Parses one JSON document from raw bytes (which must be UTF-8).
pub fn parse_bytes(bytes: &[u8]) -> Result<Node, SyntaxError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => Err(SyntaxError {
            offset: e.valid_up_to(),
            message: "the file is not valid UTF-8".to_string(),
        }),
    }
}

/// Parses one JSON document: a single value with only white space around it.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    parse_at(text, 0)
}

/// Parses one JSON value cut out of a larger text at byte offset `base`:
/// spans and error offsets are those of the larger text.
pub fn parse_at(text: &str, base: usize) -> Result<Node, SyntaxError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        base,
    };
    if p.s.starts_with(&[0xEF, 0xBB, 0xBF]) {
        p.pos = 3;
    }
    p.skip_ws();
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos < p.s.len() {
        return Err(p.err("unexpected text after the JSON value (only one value per file)"));
    }
    Ok(node)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    /// Offset of `text` in the source it was cut from.
    base: usize,
}

impl Parser<'_> {
    fn err(&self, message: &str) -> SyntaxError {
        SyntaxError {
            offset: self.base + self.pos,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let start = self.pos;
        let value = match self.peek() {
            None => return Err(self.err("unexpected end of input: a value is missing")),
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.err("expected a JSON value")),
        };
        Ok(Node {
            value,
            span: Span::new(self.base + start, self.base + self.pos),
        })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, SyntaxError> {
        if self.s.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.err("expected a JSON value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        if self.digits() == 0 {
            return Err(self.err("malformed number: a digit is expected"));
        }
        if self.s.get(int_start) == Some(&b'0') && self.pos - int_start > 1 {
            self.pos = int_start;
            return Err(self.err("malformed number: leading zeros are not allowed"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err("malformed number: a digit must follow the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("malformed number: the exponent has no digits"));
            }
        }
        Ok(Value::Number(
            self.text
                .get(start..self.pos)
                .unwrap_or_default()
                .to_string(),
        ))
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("malformed \\u escape: four hex digits expected")),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(run_start..self.pos).unwrap_or_default());
            match self.peek() {
                None => {
                    self.pos = open;
                    return Err(self.err("unterminated string"));
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.peek();
                    self.pos += 1;
                    match c {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => out.push(self.unicode_escape()?),
                        _ => {
                            self.pos -= 1;
                            return Err(self.err("invalid escape in string"));
                        }
                    }
                }
                Some(_) => return Err(self.err("control character in string (escape it)")),
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if self.s.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return Err(self.err("unpaired surrogate in \\u escape"));
            }
            self.pos += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.err("unpaired surrogate in \\u escape"))
    }

    fn enter(&self, depth: usize) -> Result<usize, SyntaxError> {
        if depth >= MAX_DEPTH {
            Err(self.err(&format!(
                "nesting deeper than {MAX_DEPTH} arrays and objects"
            )))
        } else {
            Ok(depth + 1)
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        let depth = self.enter(depth)?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(self.err("unexpected end of input: the array is not closed")),
                _ => return Err(self.err("expected ',' or ']' in array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        let depth = self.enter(depth)?;
        self.pos += 1;
        let mut members: Vec<Member> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.err("unexpected end of input: the object is not closed")),
                _ => return Err(self.err("expected a member name in double quotes")),
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = Span::new(self.base + key_start, self.base + self.pos);
            let duplicate = if members.len() < 16 {
                members.iter().any(|m| m.key == key)
            } else {
                if seen.is_empty() {
                    seen.extend(members.iter().map(|m| m.key.clone()));
                }
                !seen.insert(key.clone())
            };
            if duplicate {
                self.pos = key_start;
                return Err(self.err(&format!(
                    "duplicate key \"{key}\" in one object (IAM rejects documents that repeat an element)"
                )));
            }
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':' after the member name"));
            }
            self.pos += 1;
            self.skip_ws();
            let node = self.value(depth)?;
            members.push(Member {
                key,
                key_span,
                node,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                None => return Err(self.err("unexpected end of input: the object is not closed")),
                _ => return Err(self.err("expected ',' or '}' in object")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails_at(text: &str) -> usize {
        parse(text).expect_err("expected a syntax error").offset
    }

    #[test]
    fn parses_nested_values_with_spans() -> Result<(), SyntaxError> {
        let text = r#" {"a": [1, -2.5e3, "x\u00e9\n"], "b": null, "c": true} "#;
        let n = parse(text)?;
        let end = u32::try_from(text.len() - 1).unwrap();
        assert_eq!(n.span, Span { start: 1, end });
        let Some(Value::Array(items)) = n.get("a").map(|a| &a.value) else {
            panic!("a is not an array");
        };
        assert_eq!(items.len(), 3);
        assert!(matches!(&items[2].value, Value::String(s) if s == "xé\n"));
        assert!(matches!(&items[1].value, Value::Number(s) if s == "-2.5e3"));
        assert_eq!(items[1].span, Span { start: 11, end: 17 });
        Ok(())
    }

    #[test]
    fn rejects_duplicate_keys_at_the_second_key() {
        assert_eq!(fails_at(r#"{"Effect": "Deny", "Effect": "Allow"}"#), 19);
    }

    #[test]
    fn rejects_trailing_commas_comments_and_garbage() {
        assert_eq!(fails_at("[1,]"), 3);
        assert_eq!(fails_at("{} // x"), 3);
        assert_eq!(fails_at("{\"a\":1} {}"), 8);
        assert_eq!(fails_at("01"), 0);
        assert_eq!(fails_at("\"abc"), 0);
    }

    #[test]
    fn limits_depth() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(fails_at(&deep), MAX_DEPTH);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn reports_invalid_utf8_offset() {
        let e = parse_bytes(b"{\"a\": \"\xff\"}").err();
        assert_eq!(e.map(|e| e.offset), Some(7));
    }

    #[test]
    fn parse_at_keeps_offsets_of_the_larger_text() {
        let n = parse_at("{\"a\": 1}", 100).unwrap();
        assert_eq!(
            n.span,
            Span {
                start: 100,
                end: 108
            }
        );
        assert_eq!(
            n.get("a").map(|a| a.span),
            Some(Span {
                start: 106,
                end: 107
            })
        );
        assert_eq!(parse_at("[1,]", 10).unwrap_err().offset, 13);
    }

    #[test]
    fn decodes_surrogate_pairs() -> Result<(), SyntaxError> {
        let n = parse(r#""\ud83d\ude00""#)?;
        assert_eq!(n.as_str(), Some("😀"));
        assert_eq!(fails_at(r#""\ud83d""#), 7);
        Ok(())
    }
}
