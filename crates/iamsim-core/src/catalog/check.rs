//! Checks that a question names real AWS things: its actions, the
//! condition keys of its context and their values, and its resources,
//! against the shipped service authorization reference
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html>)
//! and AWS's global condition keys
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>).
//!
//! The scenario loader and the command-line arguments call the same
//! checks; each returns a [`Finding`] without a location, which the caller
//! places (a JSON path, or the argument's name). Names unknown to the
//! reference are errors with a did-you-mean suggestion, or only warnings
//! when the question allows names newer than the shipped reference.

use super::{Base, Catalog, KeyDef};
use crate::arn::Arn;
use crate::condition;

/// How sure a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The question cannot be right: it is refused.
    Error,
    /// Almost certainly a mistake, or something the reference is unsure
    /// of: said, and the question still runs.
    Warning,
}

/// What a check found, as one sentence without a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
}

impl Finding {
    fn error(message: String) -> Finding {
        Finding {
            severity: Severity::Error,
            message,
        }
    }

    fn warning(message: String) -> Finding {
        Finding {
            severity: Severity::Warning,
            message,
        }
    }

    /// A name the reference does not know: an error, or a warning when
    /// unknown names are allowed.
    fn unknown(message: String, allow_unknown: bool) -> Finding {
        if allow_unknown {
            Finding::warning(format!("{message} (accepted: unknown names are allowed)"))
        } else {
            Finding::error(message)
        }
    }
}

/// Checks one action `service:Name` (its shape is checked by the caller):
/// no service of the reference defines it is an error, with the nearest
/// name, or a warning under `allow_unknown`.
pub fn action(action: &str, allow_unknown: bool) -> Option<Finding> {
    let (prefix, name) = action.split_once(':')?;
    let c = Catalog::get();
    let message = match c.service(prefix) {
        Some(s) if s.has_action(&name.to_ascii_lowercase()) => return None,
        Some(s) => format!(
            "{prefix} has no action {name} in the shipped service reference ({}){}",
            c.source,
            did_you_mean(
                action,
                s.action_names().iter().map(|n| format!("{prefix}:{n}")),
                all_actions(c),
            )
        ),
        None => format!(
            "no AWS service has the prefix \"{prefix}\" in the shipped service reference ({}){}",
            c.source,
            did_you_mean(action, std::iter::empty(), all_actions(c))
        ),
    };
    Some(Finding::unknown(message, allow_unknown))
}

/// Every action of the reference, written `service:Name`.
fn all_actions(c: &Catalog) -> impl Iterator<Item = String> + '_ {
    c.services()
        .flat_map(|(p, s)| s.action_names().iter().map(move |n| format!("{p}:{n}")))
}

/// The services whose requests a step on `action` makes: the action's
/// own, and KMS's for an S3 object read or write, which S3 turns into a
/// `kms:Decrypt` or `kms:GenerateDataKey` request when the object is
/// SSE-KMS encrypted
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html>).
pub fn services_of(action: &str) -> Vec<String> {
    let mut v = vec![
        action
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase(),
    ];
    if crate::sse_kms::kms_action(action).is_some() {
        v.push("kms".to_string());
    }
    v
}

/// The services of an `sts:AssumeRole` step: STS's, for `AssumeRole` and
/// the `sts:TagSession` and `sts:SetSourceIdentity` requests it may make.
pub fn services_of_assume_role() -> Vec<String> {
    vec!["sts".to_string()]
}

/// The definition of a key (lower-cased): a global key, a key of its
/// prefix's service, or a key another service lists (`iam:ResourceTag/x`
/// and `saml:aud` are keys of STS requests).
fn definition(lower_key: &str) -> Option<&'static KeyDef> {
    let c = Catalog::get();
    c.global_key(lower_key)
        .or_else(|| {
            let (prefix, _) = lower_key.split_once(':')?;
            c.service(prefix)?.key(lower_key)
        })
        .or_else(|| c.services().find_map(|(_, s)| s.key(lower_key)))
}

/// Checks a context key (written `prefix:name`, checked by the caller).
/// It must be a global key or a key some service lists; unless global, a
/// service whose requests the context applies to (`services`,
/// lower-cased; `None` when it applies to requests of any service) must
/// list it. A key with a tag part matches on its prefix
/// (`aws:PrincipalTag/team`).
pub fn key(key: &str, services: Option<&[String]>, allow_unknown: bool) -> Option<Finding> {
    let lower = key.to_ascii_lowercase();
    let c = Catalog::get();
    if c.global_key(&lower).is_some() {
        return None;
    }
    let reached = |list: &[String]| {
        list.iter()
            .any(|s| c.service(s).is_some_and(|s| s.key(&lower).is_some()))
    };
    if services.is_some_and(reached) {
        return None;
    }
    let (prefix, _) = lower.split_once(':')?;
    if let Some(def) = definition(&lower) {
        let list = services?;
        let owners: Vec<&str> = c
            .services()
            .filter(|(_, s)| s.key(&lower).is_some())
            .map(|(p, _)| p)
            .collect();
        return Some(Finding::error(format!(
            "{} is a key of requests to {}, but this context applies only to requests of {}, which never carry it",
            def.key,
            owners.join(", "),
            list.join(", ")
        )));
    }
    let own = c.service(prefix);
    let message = match own {
        _ if prefix == "aws" => format!(
            "{key} is not a global condition key{}",
            did_you_mean(&lower, global_names(c), std::iter::empty())
        ),
        Some(s) => format!(
            "{prefix} has no condition key {key} in the shipped service reference ({}){}",
            c.source,
            did_you_mean(
                &lower,
                s.keys().iter().map(|d| d.key.clone()),
                global_names(c),
            )
        ),
        None => format!(
            "{key} is not a global condition key, and no AWS service has the prefix \"{prefix}\"{}",
            did_you_mean(&lower, global_names(c), std::iter::empty())
        ),
    };
    Some(Finding::unknown(message, allow_unknown))
}

/// The global keys as written.
fn global_names(c: &Catalog) -> impl Iterator<Item = String> + '_ {
    c.global_keys().iter().map(|d| d.key.clone())
}

/// A warning when a key the action's service lists is not among the keys
/// the reference lists for the action: no policy condition sees it in
/// that request. Global keys, other services' keys and unknown names are
/// not its business.
pub fn key_for_action(key: &str, action: &str) -> Option<Finding> {
    let lower = key.to_ascii_lowercase();
    let (prefix, name) = action.split_once(':')?;
    let c = Catalog::get();
    let service = c.service(prefix)?;
    let name = name.to_ascii_lowercase();
    let def = service.key(&lower)?;
    if !service.has_action(&name)
        || service.action_takes(&name, def)
        || c.global_key(&lower).is_some()
    {
        return None;
    }
    Some(Finding::warning(format!(
        "the service reference does not list {} among the condition keys of {action}, so no policy condition sees it in this request",
        def.key
    )))
}

/// Checks a context value against its key's type: a list only for a
/// multivalued key (a single value for one is a one-element set, as AWS
/// reads it), and every value of the key's type. Unknown keys are
/// [`key`]'s business.
pub fn value(key: &str, values: &[String], is_list: bool) -> Option<Finding> {
    let def = definition(&key.to_ascii_lowercase())?;
    let ty = def.ty;
    if is_list && !ty.multi {
        return Some(Finding::error(format!(
            "{key} is single-valued ({}): give one value, not a list",
            ty.name()
        )));
    }
    let (reads, what) = match ty.base {
        Base::String => return None,
        Base::Arn => (
            (|v: &str| Arn::parse(v).is_some()) as fn(&str) -> bool,
            "an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)",
        ),
        Base::Bool => (
            (|v: &str| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"))
                as fn(&str) -> bool,
            "true or false",
        ),
        Base::Numeric => (condition::is_number as fn(&str) -> bool, "a number"),
        Base::Date => (
            (|v: &str| condition::parse_date(v).is_some()) as fn(&str) -> bool,
            "a date (2026-01-31, 2026-01-31T12:00:00Z) or epoch seconds",
        ),
        Base::IpAddress => (
            condition::is_ip_address as fn(&str) -> bool,
            "an IPv4 or IPv6 address",
        ),
        Base::Binary => (condition::is_base64 as fn(&str) -> bool, "base64 text"),
    };
    let bad = values.iter().find(|v| !reads(v))?;
    Some(Finding::error(format!(
        "\"{bad}\" is not a value of {key}, which is {}: give {what}",
        ty.name()
    )))
}

/// Checks that a step's resource can be of a type its action takes
/// (`resources.tsv`); `*` always can. An action that takes no resource
/// type is authorized on `*`: a specific ARN for it is a warning, since
/// the reference is unsure there. Unknown actions are [`action`]'s
/// business.
pub fn resource(action: &str, resource: &str) -> Option<Finding> {
    if resource == "*" {
        return None;
    }
    let (prefix, name) = action.split_once(':')?;
    let c = Catalog::get();
    if !c.service(prefix)?.has_action(&name.to_ascii_lowercase()) {
        return None;
    }
    let types = c.action_types(action);
    if types.is_empty() {
        return Some(Finding::warning(format!(
            "the service reference lists no resource type for {action}, which AWS then authorizes on \"*\"; {resource} is evaluated as given"
        )));
    }
    if types.iter().any(|t| c.is_of_type(t, resource)) {
        return None;
    }
    let takes: Vec<String> = types
        .iter()
        .map(|t| format!("{} ({})", t.name, t.arn))
        .collect();
    let is: Vec<String> = c
        .types_of(resource)
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let is = if is.is_empty() {
        "of none of these types".to_string()
    } else {
        format!("of type {}", is.join(" or "))
    };
    Some(Finding::error(format!(
        "{action} takes a resource of type {}; {resource} is {is}",
        takes.join(" or ")
    )))
}

/// Checks a resource pattern (`*` and `?` wildcards) for what is certain:
/// an ARN pattern whose service part has no wildcard must name a service
/// of the reference's ARN formats.
pub fn resource_pattern(pattern: &str) -> Option<Finding> {
    let service = pattern.strip_prefix("arn:")?.split(':').nth(1)?;
    if service.is_empty() || service.contains(['*', '?']) {
        return None;
    }
    let c = Catalog::get();
    if c.has_arn_service(service) {
        return None;
    }
    Some(Finding::error(format!(
        "no resource type of the shipped service reference has ARNs of the service \"{service}\"{}",
        did_you_mean(
            service,
            c.arn_services().map(str::to_string),
            std::iter::empty()
        )
    )))
}

/// The action nearest to `action` (`service:Name`): of its own service
/// first, then of any.
pub fn suggest_action(action: &str) -> Option<String> {
    let c = Catalog::get();
    let prefix = action.split_once(':').map_or("", |(p, _)| p);
    let own: Vec<String> = c.service(prefix).map_or_else(Vec::new, |s| {
        s.action_names()
            .iter()
            .map(|n| format!("{prefix}:{n}"))
            .collect()
    });
    nearest(action, own.into_iter()).or_else(|| nearest(action, all_actions(c)))
}

/// The condition key nearest to `key`: of `service` first when given,
/// then the global keys.
pub fn suggest_key(key: &str, service: Option<&super::Service>) -> Option<String> {
    let c = Catalog::get();
    let own = service.map_or_else(Vec::new, |s| {
        s.keys().iter().map(|d| d.key.clone()).collect()
    });
    nearest(key, own.into_iter()).or_else(|| nearest(key, global_names(c)))
}

/// `; did you mean "X"?` with the name nearest to `wanted` (ignoring
/// case): among `near` first (the same service), else among `far`;
/// nothing when no name is close.
fn did_you_mean(
    wanted: &str,
    near: impl Iterator<Item = String>,
    far: impl Iterator<Item = String>,
) -> String {
    match nearest(wanted, near).or_else(|| nearest(wanted, far)) {
        Some(n) => format!("; did you mean {n}?"),
        None => String::new(),
    }
}

/// The candidate nearest to `wanted` by edit distance, ignoring case and
/// a `${...}`/`<...>` tag part, if it is within a third of its length;
/// else one that `wanted` abbreviates (`aws:MFAPresent` for
/// `aws:MultiFactorAuthPresent`).
fn nearest(wanted: &str, candidates: impl Iterator<Item = String>) -> Option<String> {
    let candidates: Vec<String> = candidates.collect();
    by_distance(wanted, candidates.iter().cloned())
        .or_else(|| candidates.into_iter().find(|c| abbreviates(wanted, c)))
}

/// True when `wanted` is `candidate` with a run of two or more of its
/// capitalized words written as their initials, ignoring case:
/// `MFAPresent` for `MultiFactorAuthPresent`.
fn abbreviates(wanted: &str, candidate: &str) -> bool {
    let (Some((wp, wn)), Some((cp, cn))) = (wanted.split_once(':'), candidate.split_once(':'))
    else {
        return false;
    };
    if !wp.eq_ignore_ascii_case(cp) {
        return false;
    }
    let mut words: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, ch) in cn.char_indices().skip(1) {
        if ch.is_ascii_uppercase() {
            words.push(cn.get(start..i).unwrap_or_default());
            start = i;
        }
    }
    words.push(cn.get(start..).unwrap_or_default());
    (0..words.len()).any(|i| {
        (i + 2..=words.len()).any(|j| {
            let initials: String = words
                .get(i..j)
                .unwrap_or_default()
                .iter()
                .filter_map(|w| w.chars().next())
                .collect();
            let before = words.get(..i).unwrap_or_default().concat();
            let after = words.get(j..).unwrap_or_default().concat();
            format!("{before}{initials}{after}").eq_ignore_ascii_case(wn)
        })
    })
}

/// The candidate nearest by edit distance, within a third of the length.
fn by_distance(wanted: &str, candidates: impl Iterator<Item = String>) -> Option<String> {
    let wanted = wanted.to_ascii_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    candidates
        .map(|cand| {
            let stem = cand
                .find("${")
                .or_else(|| cand.find('<'))
                .map_or(cand.as_str(), |i| cand.get(..i).unwrap_or(&cand))
                .to_ascii_lowercase();
            // A tag key after the stem is the caller's own text.
            let compared = if stem.len() < cand.len() {
                wanted
                    .get(..stem.len().min(wanted.len()))
                    .unwrap_or(&wanted)
            } else {
                &wanted
            };
            (strsim::levenshtein(compared, &stem), cand)
        })
        .filter(|(d, c)| *d <= limit && !c.starts_with("${"))
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(f: Option<Finding>) -> String {
        match f {
            Some(Finding {
                severity: Severity::Error,
                message,
            }) => message,
            other => format!("not an error: {other:?}"),
        }
    }

    #[test]
    fn a_real_action_passes_and_a_typo_gets_the_nearest_name() {
        assert_eq!(action("s3:GetObject", false), None);
        assert_eq!(action("S3:getobject", false), None);
        let m = err(action("s3:GetObjekt", false));
        assert!(m.contains("did you mean s3:GetObject?"), "{m}");
        let m = err(action("s4:GetObject", false));
        assert!(m.contains("no AWS service has the prefix \"s4\""), "{m}");
        assert!(m.contains("did you mean s3:GetObject?"), "{m}");
        // Nothing close: no suggestion.
        let m = err(action("s3:Zzzzzzzzzzzzzzzzzz", false));
        assert!(!m.contains("did you mean"), "{m}");
    }

    #[test]
    fn a_key_written_with_initials_is_suggested_whole() {
        assert_eq!(
            suggest_key("aws:MFAPresent", None).as_deref(),
            Some("aws:MultiFactorAuthPresent")
        );
        assert_eq!(
            suggest_key("aws:RequestRegion", None).as_deref(),
            Some("aws:RequestedRegion")
        );
        // Initials of one word, or of words out of order, abbreviate nothing.
        assert!(!abbreviates("aws:MPresent", "aws:MultiFactorAuthPresent"));
        assert!(!abbreviates("aws:FMAPresent", "aws:MultiFactorAuthPresent"));
        assert!(abbreviates("aws:mfaage", "aws:MultiFactorAuthAge"));
        assert_eq!(suggest_key("aws:Zzzzzzzzzzzzzzzz", None), None);
        assert_eq!(
            suggest_action("s3:GetObjekt").as_deref(),
            Some("s3:GetObject")
        );
    }

    #[test]
    fn allowing_unknown_names_turns_the_error_into_a_warning() {
        let f = action("s3:GetObjekt", true).unwrap();
        assert_eq!(f.severity, Severity::Warning);
        let f = key("aws:MultiFactorAuthPresnt", None, true).unwrap();
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(action("s3:GetObject", true), None);
    }

    #[test]
    fn keys_are_global_or_of_a_service_the_context_applies_to() {
        let s3 = services_of("s3:GetObject");
        assert_eq!(s3, ["s3", "kms"]);
        assert_eq!(key("aws:MultiFactorAuthPresent", Some(&s3), false), None);
        let m = err(key("aws:MultiFactorAuthPresnt", Some(&s3), false));
        assert!(
            m.contains("did you mean aws:MultiFactorAuthPresent?"),
            "{m}"
        );
        assert_eq!(key("aws:PrincipalTag/team", Some(&s3), false), None);
        assert_eq!(key("s3:ExistingObjectTag/team", Some(&s3), false), None);
        assert_eq!(key("kms:ViaService", Some(&s3), false), None);
        let m = err(key("s3:prefixx", Some(&s3), false));
        assert!(m.contains("did you mean s3:prefix?"), "{m}");
        // A real key of a service the context does not reach.
        let sts = services_of_assume_role();
        assert_eq!(key("sts:ExternalId", Some(&sts), false), None);
        let m = err(key("s3:prefix", Some(&sts), false));
        assert!(
            m.contains("a key of requests to s3, but this context applies only to requests of sts"),
            "{m}"
        );
        // Keys STS lists under other prefixes: the role's tags, SAML's.
        assert_eq!(key("iam:ResourceTag/team", Some(&sts), false), None);
        assert_eq!(key("saml:aud", Some(&sts), false), None);
        assert_eq!(key("saml:aud", None, false), None);
        assert!(err(key("saml:aud", Some(&s3), false)).contains("requests to sts"));
        assert_eq!(key("s3:prefix", None, false), None);
        // Cross-service keys of the global page are global.
        assert_eq!(key("ec2:SourceInstanceArn", Some(&sts), false), None);
    }

    #[test]
    fn a_service_key_the_action_does_not_take_is_a_warning() {
        assert_eq!(key_for_action("s3:prefix", "s3:ListBucket"), None);
        let f = key_for_action("s3:prefix", "s3:GetObject").unwrap();
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(key_for_action("kms:ViaService", "s3:GetObject"), None);
        assert_eq!(key_for_action("aws:SourceIp", "s3:GetObject"), None);
    }

    #[test]
    fn values_have_their_keys_type() {
        let one = |v: &str| vec![v.to_string()];
        assert_eq!(
            value("aws:MultiFactorAuthPresent", &one("true"), false),
            None
        );
        assert_eq!(
            value("aws:MultiFactorAuthPresent", &one("FALSE"), false),
            None
        );
        let m = err(value("aws:MultiFactorAuthPresent", &one("yes"), false));
        assert!(m.contains("\"yes\"") && m.contains("true or false"), "{m}");
        assert_eq!(
            value("aws:CurrentTime", &one("2026-01-31T12:00:00Z"), false),
            None
        );
        assert!(err(value("aws:CurrentTime", &one("yesterday"), false)).contains("a date"));
        assert_eq!(value("aws:SourceIp", &one("203.0.113.7"), false), None);
        assert!(err(value("aws:SourceIp", &one("203.0.113"), false)).contains("address"));
        assert_eq!(value("aws:MultiFactorAuthAge", &one("3600"), false), None);
        assert!(err(value("aws:MultiFactorAuthAge", &one("1h"), false)).contains("number"));
        assert_eq!(
            value(
                "aws:SourceArn",
                &one("arn:aws:sns:us-east-1:111111111111:t"),
                false
            ),
            None
        );
        assert!(err(value("aws:SourceArn", &one("my-topic"), false)).contains("an ARN"));
        // Lists are for multivalued keys; one value for such a key is a set of one.
        let two = vec!["a".to_string(), "b".to_string()];
        assert_eq!(value("aws:TagKeys", &two, true), None);
        assert_eq!(value("aws:TagKeys", &one("a"), false), None);
        assert!(err(value("aws:SourceIp", &one("203.0.113.7"), true)).contains("single-valued"));
        // Tag keys take their pattern's type; unknown keys are not checked here.
        assert_eq!(value("aws:PrincipalTag/team", &one("x"), false), None);
        assert_eq!(value("aws:NoSuchKey", &one("x"), false), None);
    }

    #[test]
    fn resources_must_be_of_a_type_the_action_takes() {
        assert_eq!(resource("s3:GetObject", "arn:aws:s3:::b/k.csv"), None);
        let m = err(resource("s3:GetObject", "arn:aws:s3:::b"));
        assert!(
            m.contains("object (") && m.contains("is of type bucket"),
            "{m}"
        );
        assert_eq!(resource("s3:ListBucket", "arn:aws:s3:::b"), None);
        let m = err(resource("s3:ListBucket", "arn:aws:s3:::b/k"));
        assert!(
            m.contains("bucket (") && m.contains("is of type object"),
            "{m}"
        );
        // A qualifier after a Lambda function's name is part of the last part.
        let f = "arn:aws:lambda:us-east-1:111111111111:function:f";
        assert_eq!(resource("lambda:InvokeFunction", f), None);
        assert_eq!(
            resource("lambda:InvokeFunction", &format!("{f}:live")),
            None
        );
        assert_eq!(resource("lambda:InvokeFunction", &format!("{f}:7")), None);
        // No resource type: `*` passes, an ARN is only a warning.
        assert_eq!(resource("s3:ListAllMyBuckets", "*"), None);
        let w = resource("s3:ListAllMyBuckets", "arn:aws:s3:::b").unwrap();
        assert_eq!(w.severity, Severity::Warning);
        assert_eq!(resource("s3:GetObjekt", "arn:aws:s3:::b"), None);
    }

    #[test]
    fn resource_patterns_are_checked_where_certain() {
        assert_eq!(resource_pattern("arn:aws:s3:::prod-*"), None);
        assert_eq!(resource_pattern("arn:aws:*:::x"), None);
        assert_eq!(resource_pattern("*"), None);
        let m = err(resource_pattern("arn:aws:s4:::prod-*"));
        assert!(m.contains("did you mean s3?"), "{m}");
    }
}
