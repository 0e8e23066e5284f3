//! Findings resolved to file, line and column, and their renderings: a
//! table a person reads at 80 columns, JSON lines, and SARIF 2.1.0 as
//! GitHub code scanning reads it
//! (<https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning>).

use iamsim_core::diag::{SourceId, Sources};
use iamsim_core::validate::{Finding, Level, Rule};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;

/// One finding, resolved.
#[derive(Clone, Debug)]
pub struct Located {
    /// Its rule.
    pub rule: Rule,
    /// What is wrong.
    pub message: String,
    /// What was probably meant, or how to fix it.
    pub suggestion: Option<String>,
    /// The file, relative to the working directory when under it, with
    /// forward slashes.
    pub file: String,
    /// 1-based line and column, when the finding has a place in a text.
    pub line_col: Option<(usize, usize)>,
    /// The JSON path, when it has one.
    pub path: Option<String>,
    /// The offending line, when short enough to show.
    pub line_text: Option<String>,
}

impl Located {
    /// Resolves a finding against the texts it points into; `input` is
    /// the file the user named, for findings with no place in a text.
    pub fn new(f: &Finding, sources: &Sources, input: &Path) -> Located {
        // The loader's errors end with their suggestion.
        let (message, suggestion) = match (
            &f.suggestion,
            f.diagnostic.message.split_once("; did you mean "),
        ) {
            (None, Some((m, name))) if name.ends_with('?') && !name.contains(' ') => {
                (m.to_string(), Some(name.trim_end_matches('?').to_string()))
            }
            _ => (f.diagnostic.message.clone(), f.suggestion.clone()),
        };
        let mut out = Located {
            rule: f.rule,
            message,
            suggestion,
            file: relative(&input.display().to_string()),
            line_col: None,
            path: None,
            line_text: None,
        };
        if let Some(loc) = &f.diagnostic.location {
            if let Some(file) = sources.get(loc.source) {
                let (line, col) = file.line_col(loc.span.start as usize);
                out.path = Some(loc.path.clone()).filter(|p| !p.is_empty());
                match embedded(&file.name) {
                    // A policy given as a JSON string: the place of the
                    // string in its file, and the place within it said.
                    Some((outer, at)) => {
                        out.file = relative(outer);
                        out.line_col = Some(at);
                        out.line_text = source_named(sources, outer)
                            .and_then(|id| sources.get(id))
                            .and_then(|f| shown(f.line_text(at.0)));
                        out.message = format!(
                            "{} (line {line}, column {col} of the embedded JSON string)",
                            out.message
                        );
                    }
                    None => {
                        out.file = relative(&file.name);
                        out.line_col = Some((line, col));
                        out.line_text = shown(file.line_text(line));
                    }
                }
            }
        }
        out
    }

    /// The help line: `did you mean X?` for a name, else the advice.
    fn help(&self) -> Option<String> {
        self.suggestion.as_ref().map(|s| {
            if s.contains(' ') {
                s.clone()
            } else {
                format!("did you mean {s}?")
            }
        })
    }
}

/// A line short enough to show under a finding (200 characters at most),
/// copied; a longer one (a world written on one line) is neither copied
/// nor counted past its 201st character.
fn shown(line: &str) -> Option<String> {
    line.chars().nth(200).is_none().then(|| line.to_string())
}

/// The file and place of a source that is a policy embedded as a JSON
/// string, named `FILE:LINE:COL (... as an embedded JSON string)` by the
/// world loader.
fn embedded(name: &str) -> Option<(&str, (usize, usize))> {
    let (place, rest) = name.split_once(" (")?;
    if !rest.ends_with("as an embedded JSON string)") {
        return None;
    }
    let mut parts = place.rsplitn(3, ':');
    let col = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    Some((parts.next()?, (line, col)))
}

/// The id of the registered source of that name.
pub(super) fn source_named(sources: &Sources, name: &str) -> Option<SourceId> {
    (0..)
        .map(SourceId)
        .map_while(|id| sources.get(id).map(|f| (id, f)))
        .find(|(_, f)| f.name == name)
        .map(|(id, _)| id)
}

/// A path relative to the working directory when under it, with forward
/// slashes and without a leading `./`.
fn relative(name: &str) -> String {
    let p = Path::new(name);
    // `a/../b.json` (a world named relative to its scenario file) is
    // written as `b.json`, so that one file has one name.
    let canonical = p
        .components()
        .any(|c| c == std::path::Component::ParentDir)
        .then(|| p.canonicalize().ok())
        .flatten();
    let p = canonical.as_deref().unwrap_or(p);
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|c| c.canonicalize().ok().or(Some(c)));
    let rel = cwd
        .as_deref()
        .and_then(|c| p.strip_prefix(c).ok())
        .unwrap_or(p);
    let s = rel.display().to_string().replace('\\', "/");
    s.strip_prefix("./").map_or(s.clone(), str::to_string)
}

/// Counts by level: errors, warnings, notes.
pub fn counts(found: &[Located]) -> (usize, usize, usize) {
    let n = |l: Level| found.iter().filter(|f| f.rule.level() == l).count();
    (n(Level::Error), n(Level::Warning), n(Level::Note))
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Words of `text` in lines of at most `width` characters, the first
/// after `first` characters already written, the others indented.
fn wrap(text: &str, first: usize, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut col = first;
    for (i, word) in text.split(' ').enumerate() {
        let len = word.chars().count();
        if i > 0 && col + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            col = indent.len();
        } else if i > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += len;
    }
    out
}

/// The table: each finding with its place, path, line, help and page,
/// then a closing count.
pub fn table(found: &[Located], files: usize) -> String {
    let mut out = String::new();
    for f in found {
        let place = match f.line_col {
            Some((l, c)) => format!("{}:{l}:{c}", f.file),
            None => f.file.clone(),
        };
        let head = format!("{place}: {}[{}]:", f.rule.level().as_str(), f.rule.id());
        let _ = writeln!(out, "{head}\n    {}", wrap(&f.message, 4, 80, "    "));
        if let Some(p) = &f.path {
            let _ = writeln!(out, "  at {p}");
        }
        if let (Some((line, col)), Some(text)) = (f.line_col, &f.line_text) {
            let _ = writeln!(out, "{line:>5} | {text}\n      | {}^", " ".repeat(col - 1));
        }
        if let Some(h) = f.help() {
            let _ = writeln!(out, "  help: {}", wrap(&h, 8, 80, "        "));
        }
        let _ = writeln!(out, "  see: {}\n", f.rule.help_uri());
    }
    let (e, w, n) = counts(found);
    let _ = writeln!(
        out,
        "{}, {}, {} in {}",
        plural(e, "error"),
        plural(w, "warning"),
        plural(n, "note"),
        plural(files, "file")
    );
    out
}

/// One JSON object per finding, one per line.
pub fn json_lines(found: &[Located]) -> String {
    found
        .iter()
        .map(|f| {
            let (line, column) = f.line_col.unzip();
            json!({
                "rule": f.rule.id(),
                "level": f.rule.level().as_str(),
                "message": f.message,
                "suggestion": f.suggestion,
                "help_uri": f.rule.help_uri(),
                "file": f.file,
                "line": line,
                "column": column,
                "path": f.path,
            })
            .to_string()
                + "\n"
        })
        .collect()
}

/// The SARIF 2.1.0 log: every rule of `iamsim validate` in the driver,
/// one result per finding.
pub fn sarif(found: &[Located]) -> Value {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "name": r.id(),
                "shortDescription": {"text": r.summary()},
                "help": {"text": format!("{} (see {})", r.summary(), r.help_uri())},
                "helpUri": r.help_uri(),
                "defaultConfiguration": {"level": r.level().as_str()},
            })
        })
        .collect();
    let results: Vec<Value> = found
        .iter()
        .map(|f| {
            let mut physical = serde_json::Map::new();
            physical.insert("artifactLocation".into(), json!({"uri": f.file}));
            if let Some((line, col)) = f.line_col {
                physical.insert(
                    "region".into(),
                    json!({"startLine": line, "startColumn": col}),
                );
            }
            let mut location = serde_json::Map::new();
            location.insert("physicalLocation".into(), Value::Object(physical));
            if let Some(p) = &f.path {
                location.insert(
                    "logicalLocations".into(),
                    json!([{"fullyQualifiedName": p}]),
                );
            }
            let text = match f.help() {
                Some(h) => format!("{} ({h})", f.message),
                None => f.message.clone(),
            };
            json!({
                "ruleId": f.rule.id(),
                "ruleIndex": Rule::ALL.iter().position(|r| *r == f.rule),
                "level": f.rule.level().as_str(),
                "message": {"text": text},
                "locations": [location],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "iamsim",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
