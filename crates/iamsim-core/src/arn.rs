//! ARNs: splitting request ARNs, and ARN patterns matched part by part
//! (docs/evaluation.md L16–L21, L43, L44).
//!
//! An ARN is split at its first five colons into `arn`, partition, service,
//! region, account and the resource part; the resource part keeps any
//! further `:` and `/`. A pattern's wildcards match within one part only.

use crate::pattern::{self, Resolve, Syntax, Tok};

/// The six parts of an ARN, borrowed from its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, ...
    pub partition: &'a str,
    /// The service prefix: `s3`, `iam`, `sts`...
    pub service: &'a str,
    /// The region, often empty.
    pub region: &'a str,
    /// The 12-digit account, empty for S3 buckets, `aws` for AWS managed
    /// policies.
    pub account: &'a str,
    /// Everything after the fifth colon.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `arn:partition:service:region:account:resource`; `None` when
    /// the text does not start with `arn:` or has fewer than six parts.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut it = text.splitn(6, ':');
        if it.next()? != "arn" {
            return None;
        }
        let arn = Arn {
            partition: it.next()?,
            service: it.next()?,
            region: it.next()?,
            account: it.next()?,
            resource: it.next()?,
        };
        if arn.partition.is_empty() || arn.service.is_empty() {
            return None;
        }
        Some(arn)
    }

    fn parts(&self) -> [&'a str; 5] {
        [
            self.partition,
            self.service,
            self.region,
            self.account,
            self.resource,
        ]
    }
}

/// True for a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account field of AWS managed policy ARNs: they belong to AWS, not to
/// a customer account.
pub const AWS_ACCOUNT: &str = "aws";

/// True for an AWS managed policy ARN, `arn:PARTITION:iam::aws:policy/NAME`
/// or with a path, `policy/service-role/NAME` (IAM user guide, "AWS managed
/// policies", <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies>;
/// "IAM identifiers", <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns>).
/// The only ARNs whose account field is not a 12-digit id.
pub fn is_aws_managed_policy(arn: &Arn<'_>) -> bool {
    arn.service == "iam"
        && arn.region.is_empty()
        && arn.account == AWS_ACCOUNT
        && arn
            .resource
            .strip_prefix("policy/")
            .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/'))
}

/// A compiled ARN pattern: five token lists, matched part by part.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArnPattern {
    parts: [Vec<Tok>; 5],
}

impl ArnPattern {
    /// Compiles `arn:...` with wildcards (and variables when `variables`).
    /// Variables may stand only in the resource part (L55; an error
    /// elsewhere is a modelling choice, README).
    pub fn compile(text: &str, variables: bool) -> Result<ArnPattern, String> {
        let toks = pattern::compile(
            text,
            Syntax {
                wildcards: true,
                variables,
            },
        )?;
        let mut parts: Vec<Vec<Tok>> = vec![Vec::new()];
        for tok in toks {
            match tok {
                Tok::Lit(s) if parts.len() < 6 && s.contains(':') => {
                    let mut pieces = s.split(':');
                    if let Some(first) = pieces.next() {
                        push_lit(&mut parts, first);
                    }
                    for piece in pieces {
                        if parts.len() < 6 {
                            parts.push(Vec::new());
                            push_lit(&mut parts, piece);
                        } else {
                            push_lit(&mut parts, ":");
                            push_lit(&mut parts, piece);
                        }
                    }
                }
                Tok::Var(_) if parts.len() < 6 => {
                    return Err(format!(
                        "\"{text}\": a policy variable may stand only in the resource part of an ARN (after the fifth colon)"
                    ));
                }
                t => {
                    if let Some(last) = parts.last_mut() {
                        last.push(t);
                    }
                }
            }
        }
        if parts.len() < 6 {
            return Err(format!(
                "\"{text}\" is not an ARN: it needs six parts, arn:partition:service:region:account:resource"
            ));
        }
        let mut it = parts.into_iter();
        if it.next() != Some(vec![Tok::Lit("arn".into())]) {
            return Err(format!(
                "\"{text}\" is not an ARN: it must start with \"arn:\""
            ));
        }
        let mut out: [Vec<Tok>; 5] = Default::default();
        for (slot, part) in out.iter_mut().zip(it) {
            *slot = part;
        }
        Ok(ArnPattern { parts: out })
    }

    /// The pattern as policy text.
    pub fn to_text(&self, variables: bool) -> String {
        let syntax = Syntax {
            wildcards: true,
            variables,
        };
        let mut out = String::with_capacity(64);
        out.push_str("arn");
        for part in &self.parts {
            out.push(':');
            pattern::write_text(part, syntax, &mut out);
        }
        out
    }

    /// True when [`ArnPattern::to_text`] with variables writes `${`: the
    /// pattern holds a variable, or a literal `$`, `*` or `?` it writes
    /// escaped. Tells so without writing the text.
    pub fn writes_braces(&self) -> bool {
        self.parts.iter().flatten().any(|t| match t {
            Tok::Var(_) => true,
            Tok::Lit(s) => s.contains(['$', '*', '?']),
            Tok::Star | Tok::One => false,
        })
    }

    /// True when `arn` matches every part.
    pub fn matches(&self, arn: &Arn<'_>, r: &dyn Resolve) -> Option<bool> {
        for (toks, text) in self.parts.iter().zip(arn.parts()) {
            if !pattern::matches(toks, text, r)? {
                return Some(false);
            }
        }
        Some(true)
    }
}

fn push_lit(parts: &mut [Vec<Tok>], s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(last) = parts.last_mut() {
        if let Some(Tok::Lit(prev)) = last.last_mut() {
            let mut joined = prev.to_string();
            joined.push_str(s);
            *prev = joined.into_boxed_str();
        } else {
            last.push(Tok::Lit(s.into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::NoVars;

    fn m(p: &str, t: &str) -> bool {
        let pat = ArnPattern::compile(p, true).unwrap();
        Arn::parse(t).is_some_and(|a| pat.matches(&a, &NoVars) == Some(true))
    }

    #[test]
    fn writes_braces_exactly_when_the_text_holds_them() {
        for p in [
            "arn:aws:s3:::b/${aws:username}/*",
            "arn:aws:s3:::b/${*}x",
            "arn:aws:s3:::b/${$}x",
            "arn:aws:s3:::b/${?}",
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::b-?/x",
            "arn:aws:iam::*:role/{x}$",
            "arn:aws:iam::111111111111:role/R",
        ] {
            let pat = ArnPattern::compile(p, true).unwrap();
            assert_eq!(pat.writes_braces(), pat.to_text(true).contains("${"), "{p}");
        }
        let wild = ArnPattern::compile("arn:aws:s3:::b/*", true).unwrap();
        assert!(!wild.writes_braces());
        let var = ArnPattern::compile("arn:aws:s3:::b/${aws:username}", true).unwrap();
        assert!(var.writes_braces());
    }

    #[test]
    fn splits_at_first_five_colons() {
        let a = Arn::parse("arn:aws:lambda:us-east-1:111111111111:function:f:prod").unwrap();
        assert_eq!(a.service, "lambda");
        assert_eq!(a.resource, "function:f:prod");
        assert!(Arn::parse("arn:aws:s3").is_none());
        assert!(Arn::parse("*").is_none());
    }

    #[test]
    fn wildcards_stay_inside_their_part() {
        // The ArnLike example of AWS's operators page (L43): StringLike
        // would match, ArnLike does not.
        let v = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        assert!(!m("arn:aws:someservice:*:111122223333:finance/*", v));
        assert!(m("arn:aws:someservice:*:*:store/*", v));
        assert!(m(
            "arn:aws:lambda:*:*:function:f:*",
            "arn:aws:lambda:us-east-1:111111111111:function:f:prod"
        ));
        assert!(!m("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/key"));
        assert!(m("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket/key"));
        assert!(!m(
            "arn:aws:iam::111111111111:role",
            "arn:aws:iam::111111111111:role/R"
        ));
    }

    #[test]
    fn only_iam_policies_may_have_the_account_aws() {
        let yes = |t: &str| Arn::parse(t).is_some_and(|a| is_aws_managed_policy(&a));
        assert!(yes("arn:aws:iam::aws:policy/ReadOnlyAccess"));
        assert!(yes("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"));
        assert!(!yes("arn:aws:iam::aws:role/ReadOnlyAccess"));
        assert!(!yes("arn:aws:iam::aws:policy/"));
        assert!(!yes("arn:aws:iam::aws:policy/path/"));
        assert!(!yes("arn:aws:iam:us-east-1:aws:policy/ReadOnlyAccess"));
        assert!(!yes("arn:aws:s3::aws:policy/ReadOnlyAccess"));
        assert!(!yes("arn:aws:iam::AWS:policy/ReadOnlyAccess"));
        assert!(!yes("arn:aws:iam::111111111111:policy/ReadOnlyAccess"));
    }

    #[test]
    fn matching_is_case_sensitive() {
        assert!(!m("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/k"));
    }

    #[test]
    fn rejects_short_arns_and_misplaced_variables() {
        assert!(ArnPattern::compile("arn:aws:s3:*", true).is_err());
        assert!(ArnPattern::compile("bucket/*", true).is_err());
        assert!(ArnPattern::compile("arn:aws:iam::${aws:PrincipalAccount}:role/x", true).is_err());
        assert!(ArnPattern::compile("arn:aws:s3:::b/${aws:username}/*", true).is_ok());
    }
}
