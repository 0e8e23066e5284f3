//! String operators: `StringEquals`, `StringEqualsIgnoreCase`, `StringLike`
//! and their negations (docs/evaluation.md L34–L36). In the Equals operators
//! `*` and `?` are ordinary characters; variables are substituted first.

use crate::pattern::{self, Resolve, Syntax, Tok};

/// Compiles string values, with wildcards for the Like operators.
pub(super) fn compile(
    values: &[String],
    wildcards: bool,
    variables: bool,
) -> Result<Vec<Vec<Tok>>, String> {
    values
        .iter()
        .map(|v| {
            pattern::compile(
                v,
                Syntax {
                    wildcards,
                    variables,
                },
            )
        })
        .collect()
}

/// `StringEquals`: case-sensitive equality with any value.
pub(super) fn any_equal(ps: &[Vec<Tok>], v: &str, ctx: &dyn Resolve) -> bool {
    ps.iter()
        .any(|p| pattern::resolve_text(p, ctx).is_some_and(|t| t == v))
}

/// `StringEqualsIgnoreCase`: equality ignoring case.
pub(super) fn any_equal_ignore_case(ps: &[Vec<Tok>], v: &str, ctx: &dyn Resolve) -> bool {
    ps.iter().any(|p| {
        pattern::resolve_text(p, ctx).is_some_and(|t| {
            t.chars()
                .flat_map(char::to_lowercase)
                .eq(v.chars().flat_map(char::to_lowercase))
        })
    })
}

/// `StringLike`: whole-value wildcard match, case-sensitive.
pub(super) fn any_like(ps: &[Vec<Tok>], v: &str, ctx: &dyn Resolve) -> bool {
    ps.iter().any(|p| pattern::matches(p, v, ctx) == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;

    #[test]
    fn equals_treats_wildcards_literally_and_case_matters() {
        let ps = compile(&["a*".into(), "JohnDoe".into()], false, true).unwrap();
        let c = Context::new();
        assert!(any_equal(&ps, "a*", &c));
        assert!(!any_equal(&ps, "abc", &c));
        assert!(!any_equal(&ps, "johndoe", &c));
        assert!(any_equal_ignore_case(&ps, "johndoe", &c));
        assert!(any_equal_ignore_case(&ps, "A*", &c));
    }

    #[test]
    fn like_matches_whole_value() {
        let ps = compile(&["home/*".into()], true, true).unwrap();
        let c = Context::new();
        assert!(any_like(&ps, "home/x/y", &c));
        assert!(!any_like(&ps, "xhome/x", &c));
        assert!(!any_like(&ps, "HOME/x", &c));
    }
}
