//! Located errors: the source texts they point into, JSON paths, and the
//! rendering `file:line:column: message` with the offending line.
//!
//! The library never opens files; whoever reads one registers its name and
//! text in [`Sources`] and gets a [`SourceId`] that every error keeps.

use crate::json::{Member, Node, Span, SyntaxError};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// Names one text registered in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SourceId(pub u32);

/// One registered text: its name (a path, or a label such as `<inline>`)
/// and its contents.
#[derive(Debug)]
pub struct SourceFile {
    /// The name errors show, usually the path as the user gave it.
    pub name: String,
    /// The whole text.
    pub text: String,
    line_starts: Vec<usize>,
    /// The characters before each [`BLOCK`] bytes of `text`, counted on
    /// the first column asked far into a line: a generated world is one
    /// line of tens of megabytes, and a semantic diff locates thousands
    /// of statements in it.
    blocks: OnceLock<Vec<usize>>,
}

/// The bytes of `text` between two counts of [`SourceFile::blocks`].
const BLOCK: usize = 1 << 16;

impl SourceFile {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let end = offset.min(self.text.len());
        let col = match self.text.get(start..end) {
            None => end.saturating_sub(start),
            Some(s) if s.len() < BLOCK => s.chars().count(),
            Some(_) => self.chars_before(end) - self.chars_before(start),
        };
        (line, col + 1)
    }

    /// The characters of `text` before byte `at`: the bytes that do not
    /// continue a UTF-8 sequence.
    fn chars_before(&self, at: usize) -> usize {
        let bytes = self.text.as_bytes();
        let blocks = self.blocks.get_or_init(|| {
            let mut n = 0;
            let mut v = vec![0];
            for chunk in bytes.chunks(BLOCK) {
                n += starts(chunk);
                v.push(n);
            }
            v
        });
        let block = at / BLOCK;
        let counted = blocks.get(block).copied().unwrap_or(0);
        counted + bytes.get(block * BLOCK..at).map_or(0, starts)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or_default()
            .trim_end_matches(['\n', '\r'])
    }
}

/// The characters that start in `bytes`: those not continuing a UTF-8
/// sequence (`10xxxxxx`).
fn starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Every text that errors may point into.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// An empty registry.
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Registers a text under a name.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> SourceId {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let id = SourceId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            name: name.into(),
            text,
            line_starts,
            blocks: OnceLock::new(),
        });
        id
    }

    /// Replaces the text of a registered source: a large file registered
    /// empty while it is streamed gets its text only when errors in it must
    /// be rendered.
    pub fn set_text(&mut self, id: SourceId, text: String) {
        if let Some(f) = self.files.get_mut(id.0 as usize) {
            f.line_starts = vec![0];
            f.line_starts
                .extend(text.match_indices('\n').map(|(i, _)| i + 1));
            f.text = text;
            f.blocks = OnceLock::new();
        }
    }

    /// The registered text of an id.
    pub fn get(&self, id: SourceId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }
}

/// One step of a JSON path.
#[derive(Clone, Copy, Debug)]
pub enum Seg<'a> {
    /// An object member.
    Key(&'a str),
    /// An array element.
    Index(usize),
}

/// A JSON path built on the stack while a document is read; it is only
/// turned into text when an error needs it.
#[derive(Clone, Copy, Debug)]
pub struct JsonPath<'a> {
    parent: Option<&'a JsonPath<'a>>,
    seg: Option<Seg<'a>>,
}

impl<'a> JsonPath<'a> {
    /// The document root, `$`.
    pub const ROOT: JsonPath<'static> = JsonPath {
        parent: None,
        seg: None,
    };

    /// The path of member `key` below this one.
    pub fn key(&'a self, key: &'a str) -> JsonPath<'a> {
        JsonPath {
            parent: Some(self),
            seg: Some(Seg::Key(key)),
        }
    }

    /// The path of element `i` below this one.
    pub fn index(&'a self, i: usize) -> JsonPath<'a> {
        JsonPath {
            parent: Some(self),
            seg: Some(Seg::Index(i)),
        }
    }

    /// The path as text: `$.accounts["111111111111"].users.alice`.
    pub fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            if let Some(s) = p.seg {
                segs.push(s);
            }
            cur = p.parent;
        }
        let mut out = String::from("$");
        for s in segs.iter().rev() {
            match s {
                Seg::Key(k) if is_plain_key(k) => {
                    let _ = write!(out, ".{k}");
                }
                Seg::Key(k) => {
                    let _ = write!(out, "[{}]", serde_json::Value::from(*k));
                }
                Seg::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        out
    }
}

/// The rendered path of member `key` below the rendered path `base`, as
/// [`JsonPath::render`] writes it.
pub fn member_path(base: &str, key: &str) -> String {
    if is_plain_key(key) {
        format!("{base}.{key}")
    } else {
        format!("{base}[{}]", serde_json::Value::from(key))
    }
}

fn is_plain_key(k: &str) -> bool {
    k.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Where an error points: a span of a source, and the JSON path there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The text.
    pub source: SourceId,
    /// The bytes of the offending value or key.
    pub span: Span,
    /// The JSON path of the value, `$` for the whole document.
    pub path: String,
}

/// An error with its location, when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where it is; `None` for errors about a command line or a missing file.
    pub location: Option<Location>,
    /// What is wrong, as one sentence.
    pub message: String,
}

impl Diagnostic {
    /// An error at a located value.
    pub fn at(
        source: SourceId,
        span: Span,
        path: &JsonPath<'_>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            location: Some(Location {
                source,
                span,
                path: path.render(),
            }),
            message: message.into(),
        }
    }

    /// An error with no place in any source.
    pub fn bare(message: impl Into<String>) -> Self {
        Diagnostic {
            location: None,
            message: message.into(),
        }
    }

    /// A JSON syntax error of a source.
    pub fn syntax(source: SourceId, e: &SyntaxError) -> Self {
        let span = Span {
            start: u32::try_from(e.offset).unwrap_or(u32::MAX),
            end: u32::try_from(e.offset + 1).unwrap_or(u32::MAX),
        };
        Diagnostic {
            location: Some(Location {
                source,
                span,
                path: String::new(),
            }),
            message: format!("invalid JSON: {}", e.message),
        }
    }

    /// `file:line:col: error: message`, then the JSON path and the line
    /// with a caret under the fault.
    pub fn render(&self, sources: &Sources) -> String {
        self.render_as(sources, "error")
    }

    /// The same, with another severity label (`warning`).
    pub fn render_as(&self, sources: &Sources, severity: &str) -> String {
        let Some(loc) = &self.location else {
            return format!("{severity}: {}", self.message);
        };
        let Some(file) = sources.get(loc.source) else {
            return format!("{severity}: {}", self.message);
        };
        let (line, col) = file.line_col(loc.span.start as usize);
        let mut out = format!("{}:{line}:{col}: {severity}: {}", file.name, self.message);
        if !loc.path.is_empty() {
            let _ = write!(out, "\n  at {}", loc.path);
        }
        let text = file.line_text(line);
        if text.chars().count() <= 200 {
            let _ = write!(
                out,
                "\n{line:>5} | {text}\n      | {}^",
                " ".repeat(col - 1)
            );
        }
        out
    }
}

/// Reading a located JSON document into typed values: the source it comes
/// from, and helpers that turn shape errors into located diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct Doc {
    /// The source the nodes come from.
    pub source: SourceId,
}

impl Doc {
    /// An error at `node`.
    pub fn err(&self, node: &Node, path: &JsonPath<'_>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(self.source, node.span, path, message)
    }

    /// An error at an object key.
    pub fn err_key(
        &self,
        m: &Member,
        path: &JsonPath<'_>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::at(self.source, m.key_span, path, message)
    }

    /// The members of an object whose keys must all be in `allowed`.
    pub fn object<'n>(
        &self,
        node: &'n Node,
        path: &JsonPath<'_>,
        what: &str,
        allowed: &[&str],
    ) -> Result<&'n [Member], Diagnostic> {
        let members = node.as_object().ok_or_else(|| {
            self.err(
                node,
                path,
                format!("{what} must be an object, found {}", node.kind_name()),
            )
        })?;
        for m in members {
            if !allowed.contains(&m.key.as_str()) {
                let p = path.key(&m.key);
                return Err(self.err_key(
                    m,
                    &p,
                    format!(
                        "unknown key \"{}\" in {what} (expected one of: {})",
                        m.key,
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(members)
    }

    /// The members of an object whose keys are free (names of users, roles...).
    pub fn map<'n>(
        &self,
        node: &'n Node,
        path: &JsonPath<'_>,
        what: &str,
    ) -> Result<&'n [Member], Diagnostic> {
        node.as_object().ok_or_else(|| {
            self.err(
                node,
                path,
                format!("{what} must be an object, found {}", node.kind_name()),
            )
        })
    }

    /// A string value.
    pub fn string<'n>(
        &self,
        node: &'n Node,
        path: &JsonPath<'_>,
        what: &str,
    ) -> Result<&'n str, Diagnostic> {
        node.as_str().ok_or_else(|| {
            self.err(
                node,
                path,
                format!("{what} must be a string, found {}", node.kind_name()),
            )
        })
    }

    /// A string or `null` (`None`).
    pub fn opt_string<'n>(
        &self,
        node: Option<&'n Node>,
        path: &JsonPath<'_>,
        what: &str,
    ) -> Result<Option<&'n str>, Diagnostic> {
        match node {
            None => Ok(None),
            Some(n) if matches!(n.value, crate::json::Value::Null) => Ok(None),
            Some(n) => self.string(n, path, what).map(Some),
        }
    }

    /// A string or an array of strings, each with its node.
    pub fn string_list<'n>(
        &self,
        node: &'n Node,
        path: &JsonPath<'_>,
        what: &str,
    ) -> Result<Vec<(&'n str, &'n Node)>, Diagnostic> {
        match &node.value {
            crate::json::Value::String(s) => Ok(vec![(s.as_str(), node)]),
            crate::json::Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let p = path.index(i);
                    self.string(n, &p, what).map(|s| (s, n))
                })
                .collect(),
            _ => Err(self.err(
                node,
                path,
                format!(
                    "{what} must be a string or an array of strings, found {}",
                    node.kind_name()
                ),
            )),
        }
    }

    /// A boolean.
    pub fn bool(&self, node: &Node, path: &JsonPath<'_>, what: &str) -> Result<bool, Diagnostic> {
        match node.value {
            crate::json::Value::Bool(b) => Ok(b),
            _ => Err(self.err(
                node,
                path,
                format!("{what} must be true or false, found {}", node.kind_name()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let mut s = Sources::new();
        let id = s.add("w.json", "{\n  \"é\": x\n}");
        let f = s.get(id).unwrap();
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(2), (2, 1));
        // the `x` after a two-byte character
        assert_eq!(f.line_col(10), (2, 8));
        assert_eq!(f.line_text(2), "  \"é\": x");
    }

    #[test]
    fn columns_far_into_a_long_line_count_characters_across_blocks() {
        // A line of three blocks and more after a first line of two bytes,
        // with a two-byte character on the first block boundary (bytes
        // BLOCK - 1 and BLOCK of the text), and a third line after.
        let mut line = "a".repeat(BLOCK - 3);
        line.push('é');
        line.push_str(&"b".repeat(2 * BLOCK));
        let text = format!("x\n{line}\ny");
        let mut s = Sources::new();
        let id = s.add("w.json", text.clone());
        let f = s.get(id).unwrap();
        for offset in [2, 3, BLOCK - 1, BLOCK + 1, BLOCK + 2, 2 * BLOCK, 3 * BLOCK] {
            let before = text.get(2..offset).unwrap();
            assert_eq!(
                f.line_col(offset),
                (2, before.chars().count() + 1),
                "{offset}"
            );
        }
        assert_eq!(f.line_col(text.len() - 1), (3, 1));
        // After the `a`s and the `é`: one character for its two bytes.
        assert_eq!(f.line_col(BLOCK + 1), (2, BLOCK - 1));
    }

    #[test]
    fn paths_render_quoted_when_needed() {
        let root = JsonPath::ROOT;
        let a = root.key("accounts");
        let b = a.key("111111111111");
        let c = b.key("users");
        let d = c.index(2);
        assert_eq!(d.render(), "$.accounts[\"111111111111\"].users[2]");
    }

    #[test]
    fn renders_file_line_column_and_caret() {
        let mut s = Sources::new();
        let id = s.add("p.json", "{\n  \"Effect\": \"allow\"\n}");
        let d = Diagnostic::at(
            id,
            Span { start: 14, end: 21 },
            &JsonPath::ROOT.key("Effect"),
            "bad effect",
        );
        assert_eq!(
            d.render(&s),
            "p.json:2:13: error: bad effect\n  at $.Effect\n    2 |   \"Effect\": \"allow\"\n      |             ^"
        );
    }
}
