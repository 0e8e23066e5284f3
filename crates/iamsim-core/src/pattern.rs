//! Patterns of policy text: literal runs, the wildcards `*` and `?`, and
//! policy variables `${key}` / `${key, 'default'}` (docs/evaluation.md L53–L61).
//!
//! A pattern is compiled once into tokens. Matching resolves variables from
//! the request context; a substituted value is always literal text, never a
//! wildcard (a modelling choice, README), and `${*}`, `${?}`, `${$}` are the
//! literal characters (L59).

/// One token of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Tok {
    /// Text that must appear as is.
    Lit(Box<str>),
    /// `*`: any run of characters, the empty one included.
    Star,
    /// `?`: exactly one character.
    One,
    /// A policy variable, resolved from the request context.
    Var(Var),
}

/// A policy variable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Var {
    /// The context key, lower-cased (key names ignore case).
    pub key: Box<str>,
    /// The default written `${key, 'default'}`.
    pub default: Option<Box<str>>,
}

/// How `${...}` and wildcards are read in one place of a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Syntax {
    /// `*` and `?` are wildcards (Like operators, Action, Resource).
    pub wildcards: bool,
    /// `${...}` are variables (Version 2012-10-17 and a place that takes them).
    pub variables: bool,
}

/// Compiles a pattern. Errors are AWS's: a malformed variable (L61).
pub fn compile(text: &str, syntax: Syntax) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if syntax.variables && rest.starts_with("${") {
            let close = rest
                .find('}')
                .ok_or_else(|| format!("missing '}}' in policy variable in \"{text}\""))?;
            let inner = rest.get(2..close).unwrap_or_default();
            rest = rest.get(close + 1..).unwrap_or_default();
            match inner {
                "*" | "?" | "$" => lit.push_str(inner),
                _ => {
                    flush(&mut toks, &mut lit);
                    toks.push(Tok::Var(parse_var(inner, text)?));
                }
            }
            continue;
        }
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
        match c {
            '*' if syntax.wildcards => {
                flush(&mut toks, &mut lit);
                if toks.last() != Some(&Tok::Star) {
                    toks.push(Tok::Star);
                }
            }
            '?' if syntax.wildcards => {
                flush(&mut toks, &mut lit);
                toks.push(Tok::One);
            }
            _ => lit.push(c),
        }
    }
    flush(&mut toks, &mut lit);
    Ok(toks)
}

fn flush(toks: &mut Vec<Tok>, lit: &mut String) {
    if !lit.is_empty() {
        toks.push(Tok::Lit(std::mem::take(lit).into_boxed_str()));
    }
}

fn parse_var(inner: &str, text: &str) -> Result<Var, String> {
    let (name, default) = match inner.split_once(',') {
        None => (inner, None),
        Some((name, d)) => {
            let d = d.trim_start();
            let quoted = d
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .filter(|_| d.len() >= 2)
                .ok_or_else(|| format!("the default of policy variable \"${{{inner}}}\" must be in single quotes, in \"{text}\""))?;
            (name, Some(quoted.into()))
        }
    };
    if name.is_empty() {
        return Err(format!("empty policy variable \"${{}}\" in \"{text}\""));
    }
    if name.chars().any(char::is_whitespace) {
        return Err(format!(
            "space inside policy variable \"${{{inner}}}\" in \"{text}\""
        ));
    }
    if !name.contains(':') {
        return Err(format!(
            "policy variable \"${{{name}}}\" is not a condition key written prefix:name, in \"{text}\""
        ));
    }
    Ok(Var {
        key: name.to_ascii_lowercase().into(),
        default,
    })
}

/// The tokens as policy text that compiles back to them: under
/// `syntax.variables`, literal `$` is written `${$}`, and where `*` and `?`
/// are wildcards their literal forms are `${*}` and `${?}` (L59).
pub fn to_text(toks: &[Tok], syntax: Syntax) -> String {
    let mut out = String::new();
    write_text(toks, syntax, &mut out);
    out
}

/// Appends [`to_text`] of `toks` to `out`.
pub fn write_text(toks: &[Tok], syntax: Syntax, out: &mut String) {
    for t in toks {
        match t {
            Tok::Star => out.push('*'),
            Tok::One => out.push('?'),
            Tok::Var(v) => match &v.default {
                None => out.push_str(&format!("${{{}}}", v.key)),
                Some(d) => out.push_str(&format!("${{{}, '{d}'}}", v.key)),
            },
            // Most literals hold nothing to escape: copied whole.
            Tok::Lit(s) if !s.contains(['$', '*', '?']) => out.push_str(s),
            Tok::Lit(s) => {
                for c in s.chars() {
                    match c {
                        '$' if syntax.variables => out.push_str("${$}"),
                        '*' | '?' if syntax.variables && syntax.wildcards => {
                            out.push_str(if c == '*' { "${*}" } else { "${?}" });
                        }
                        _ => out.push(c),
                    }
                }
            }
        }
    }
}

/// Looks up single-valued context keys (lower-cased) for variables.
pub trait Resolve {
    /// The value of a key, if the request carries exactly one.
    fn var(&self, key: &str) -> Option<&str>;
}

/// A resolver that knows no key: every variable uses its default or fails.
pub struct NoVars;

impl Resolve for NoVars {
    fn var(&self, _key: &str) -> Option<&str> {
        None
    }
}

fn literal<'a>(tok: &'a Tok, r: &'a dyn Resolve) -> Option<Option<&'a str>> {
    match tok {
        Tok::Lit(s) => Some(Some(s)),
        Tok::Var(v) => Some(r.var(&v.key).or(v.default.as_deref())),
        Tok::Star | Tok::One => None,
    }
}

/// Whole-text match of `text` against the tokens. `None` when a variable
/// has no value and no default: such a pattern matches nothing (L57), and
/// negated operators need to tell that apart from a plain mismatch.
pub fn matches(toks: &[Tok], text: &str, r: &dyn Resolve) -> Option<bool> {
    // The classic greedy matcher with one backtrack point (the last `*`),
    // run over tokens: a literal run fails or advances as a whole.
    let (mut ti, mut pos) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        let step = match toks.get(ti) {
            None => {
                if pos == text.len() {
                    return Some(true);
                }
                false
            }
            Some(Tok::Star) => {
                ti += 1;
                star = Some((ti, pos));
                continue;
            }
            Some(Tok::One) => match text.get(pos..).and_then(|t| t.chars().next()) {
                Some(c) => {
                    pos += c.len_utf8();
                    true
                }
                None => false,
            },
            Some(tok) => match literal(tok, r) {
                Some(Some(s)) if text.get(pos..).is_some_and(|t| t.starts_with(s)) => {
                    pos += s.len();
                    true
                }
                Some(Some(_)) => false,
                _ => return None,
            },
        };
        if step {
            ti += 1;
            continue;
        }
        match star {
            Some((sti, spos)) => match text.get(spos..).and_then(|t| t.chars().next()) {
                Some(c) => {
                    let next = spos + c.len_utf8();
                    star = Some((sti, next));
                    ti = sti;
                    pos = next;
                }
                None => return Some(false),
            },
            None => return Some(false),
        }
    }
}

/// The pattern's text with variables resolved, for patterns without
/// wildcards (equality operators). `None` when a variable has no value.
pub fn resolve_text<'a>(toks: &'a [Tok], r: &'a dyn Resolve) -> Option<std::borrow::Cow<'a, str>> {
    match toks {
        [] => Some("".into()),
        [Tok::Lit(s)] => Some(std::borrow::Cow::Borrowed(s)),
        _ => {
            let mut out = String::new();
            for t in toks {
                match t {
                    Tok::Star => out.push('*'),
                    Tok::One => out.push('?'),
                    other => out.push_str(literal(other, r)??),
                }
            }
            Some(out.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const LIKE: Syntax = Syntax {
        wildcards: true,
        variables: true,
    };

    struct Ctx(HashMap<&'static str, &'static str>);
    impl Resolve for Ctx {
        fn var(&self, key: &str) -> Option<&str> {
            self.0.get(key).copied()
        }
    }

    fn m(p: &str, t: &str) -> bool {
        let ctx = Ctx(HashMap::from([
            ("aws:username", "alice"),
            ("aws:principaltag/team", "a*"),
        ]));
        matches(&compile(p, LIKE).unwrap(), t, &ctx).unwrap_or(false)
    }

    #[test]
    fn wildcards_match_whole_text() {
        assert!(m("s3:Get*", "s3:GetObject"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "aXXbYYbc"));
        assert!(!m("s3:GetObjectAc?", "s3:GetObject"));
        assert!(m("s3:GetObjectAc?", "s3:GetObjectAcl"));
        assert!(m("B/*/test/*", "B//test/object.jpg"));
        assert!(!m("B/*/test/*", "B/1-test/object.jpg"));
        assert!(m("h?llo", "héllo"));
    }

    #[test]
    fn variables_substitute_as_literal_text() {
        assert!(m("home/${aws:username}/*", "home/alice/x"));
        assert!(m("home/${AWS:UserName}/*", "home/alice/x"));
        assert!(!m("home/${aws:username}/*", "home/bob/x"));
        // a substituted `*` is not a wildcard (a modelling choice, README)
        assert!(m("t/${aws:PrincipalTag/team}", "t/a*"));
        assert!(!m("t/${aws:PrincipalTag/team}", "t/abc"));
        assert!(m("${aws:missing, 'dflt'}/x", "dflt/x"));
    }

    #[test]
    fn special_characters_are_literal() {
        assert!(m("literal${*}", "literal*"));
        assert!(!m("literal${*}", "literalX"));
        assert!(m("a${?}", "a?"));
        assert!(!m("a${?}", "ab"));
        assert!(m("${$}5", "$5"));
    }

    #[test]
    fn unresolved_variable_is_none() {
        let toks = compile("home/${aws:nothere}", LIKE).unwrap();
        assert_eq!(matches(&toks, "home/", &NoVars), None);
    }

    #[test]
    fn malformed_variables_are_errors() {
        assert!(compile("${aws:username", LIKE).is_err());
        assert!(compile("${}", LIKE).is_err());
        assert!(compile("${aws: username}", LIKE).is_err());
        assert!(compile("${aws:username, default}", LIKE).is_err());
        // without variable syntax the text is literal (Version 2008-10-17)
        let lit = compile(
            "${aws:username",
            Syntax {
                wildcards: true,
                variables: false,
            },
        )
        .unwrap();
        assert_eq!(lit, vec![Tok::Lit("${aws:username".into())]);
    }

    #[test]
    fn agrees_with_wildmatch_on_plain_patterns() {
        let texts = [
            "", "a", "ab", "abc", "aab", "abab", "ba", "b/a", "a?b", "xyz*",
        ];
        let pats = [
            "*", "a*", "*b", "a?", "?b*", "*a*b", "a*b*", "??", "*?*?*", "a*?", "b/*", "xyz*",
        ];
        for p in pats {
            for t in texts {
                let ours = m(p, t);
                let oracle = wildmatch::WildMatch::new(p).matches(t);
                assert_eq!(ours, oracle, "pattern {p:?} text {t:?}");
            }
        }
    }
}
