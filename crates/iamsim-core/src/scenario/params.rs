//! The parameters an `AssumeRole` call passes, checked as STS checks them
//! (STS API reference, AssumeRole:
//! <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>,
//! and Tag: <https://docs.aws.amazon.com/STS/latest/APIReference/API_Tag.html>),
//! so that a scenario file and `iamsim can` refuse alike what AWS refuses.
//! Each check returns what the value must be, for the caller to name where
//! the value came from (a JSON path or a command-line flag).

/// At most this many session tags in one call (API_Tag.html).
pub const MAX_SESSION_TAGS: usize = 50;

/// Checks `value` with `check`; the error names the value as `what` (a
/// key of a scenario file, or a command-line flag).
pub fn checked(
    what: &str,
    value: &str,
    check: fn(&str) -> Result<(), &'static str>,
) -> Result<(), String> {
    check(value).map_err(|why| format!("{what} \"{value}\" {why}"))
}

/// True when `tags` already holds `key`, ignoring case: "tag key-value
/// pairs are not case sensitive ... you cannot have separate Department and
/// department tag keys" (AssumeRole API reference, `Tags`), so a call may
/// not pass one twice.
pub fn tag_given(tags: &[(String, String)], key: &str) -> bool {
    tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key))
}

/// `\w` of the STS patterns: ASCII letters, digits and `_`.
fn word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `RoleSessionName`: `[\w+=,.@-]*`, 1 to 64 characters. AWS's minimum
/// is 2, but one documented case uses a single letter (README,
/// "Modelling choices").
pub fn session_name(name: &str) -> Result<(), &'static str> {
    let ok =
        (1..=64).contains(&name.len()) && name.chars().all(|c| word(c) || "+=,.@-".contains(c));
    ok.then_some(())
        .ok_or("must be 1-64 characters of letters, digits and _+=,.@-")
}

/// `ExternalId`: `[\w+=,.@:/-]*`, 2 to 1224 characters.
pub fn external_id(id: &str) -> Result<(), &'static str> {
    let ok =
        (2..=1224).contains(&id.len()) && id.chars().all(|c| word(c) || "+=,.@:/-".contains(c));
    ok.then_some(())
        .ok_or("must be 2-1224 characters of letters, digits and _+=,.@:/-")
}

/// `SourceIdentity`: `[\w+=,.@-]*`, 2 to 64 characters; the pattern has no
/// colon, so the reserved prefix `aws:` is refused with it.
pub fn source_identity(id: &str) -> Result<(), &'static str> {
    let ok = (2..=64).contains(&id.len()) && id.chars().all(|c| word(c) || "+=,.@-".contains(c));
    ok.then_some(()).ok_or(
        "must be 2-64 characters of letters, digits and _+=,.@- (so it cannot start with aws:)",
    )
}

/// A tag character, `[\p{L}\p{Z}\p{N}_.:/=+\-@]`: letters, separators
/// (whitespace that is not a control character) and numbers of any script.
fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}

/// A session tag key: 1 to 128 tag characters.
pub fn session_tag_key(key: &str) -> Result<(), &'static str> {
    let ok = (1..=128).contains(&key.chars().count()) && key.chars().all(tag_char);
    ok.then_some(())
        .ok_or("must be 1-128 letters, digits, spaces or _.:/=+-@")
}

/// A session tag value: 0 to 256 tag characters.
pub fn session_tag_value(value: &str) -> Result<(), &'static str> {
    let ok = value.chars().count() <= 256 && value.chars().all(tag_char);
    ok.then_some(())
        .ok_or("must be at most 256 letters, digits, spaces or _.:/=+-@")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_characters_follow_the_sts_api_reference() {
        type Check = fn(&str) -> Result<(), &'static str>;
        let a = |n: usize| "a".repeat(n);
        let cases: &[(Check, String, bool)] = &[
            (session_name, a(1), true),
            (session_name, a(64), true),
            (session_name, a(65), false),
            (session_name, "has space".into(), false),
            (session_name, String::new(), false),
            (external_id, "x".into(), false),
            (external_id, "ab".into(), true),
            (external_id, "arn:aws:x/y".into(), true),
            (external_id, a(1224), true),
            (external_id, a(1225), false),
            (external_id, "no space".into(), false),
            (source_identity, "alice".into(), true),
            (source_identity, "a".into(), false),
            (source_identity, "aws:alice".into(), false),
            (source_identity, a(65), false),
            (session_tag_key, "Project".into(), true),
            (session_tag_key, "équipe 1".into(), true),
            (session_tag_key, String::new(), false),
            (session_tag_key, "a*b".into(), false),
            (session_tag_key, "k".repeat(129), false),
            (session_tag_value, String::new(), true),
            (session_tag_value, "a\tb".into(), false),
            (session_tag_value, "v".repeat(256), true),
            (session_tag_value, "v".repeat(257), false),
        ];
        for (check, value, ok) in cases {
            assert_eq!(check(value).is_ok(), *ok, "{value:?}");
        }
    }
}
