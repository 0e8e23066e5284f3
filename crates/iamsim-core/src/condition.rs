//! The Condition block: operators, set qualifiers, `IfExists`, and how one
//! condition is decided against the request context (docs/evaluation.md
//! L26–L33, L34–L46, L47–L52).
//!
//! Each operator family keeps its value parsing and comparison in its own
//! module; this one holds what they share: the operator name grammar,
//! absent keys, negation and the set qualifiers.

mod binary;
mod date;
mod ip;
mod numeric;
mod string;

pub use date::parse_date;

/// True when a request value reads as a number for the Numeric operators.
pub fn is_number(s: &str) -> bool {
    numeric::parse(s).is_some()
}

/// True when a request value reads as an IP address for the IP operators.
pub fn is_ip_address(s: &str) -> bool {
    ip::parse_addr(s).is_some()
}

/// True when a request value reads as base64 for `BinaryEquals`.
pub fn is_base64(s: &str) -> bool {
    binary::decode(s).is_some()
}

use crate::arn::{Arn, ArnPattern};
use crate::context::Lookup;
use crate::pattern::Resolve;
use crate::pattern::Tok;
use std::cmp::Ordering;

/// A comparison of the Numeric and Date families.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `...Equals` (and, negated, `...NotEquals`).
    Eq,
    /// `...LessThan`
    Lt,
    /// `...LessThanEquals`
    Le,
    /// `...GreaterThan`
    Gt,
    /// `...GreaterThanEquals`
    Ge,
}

impl Cmp {
    fn holds(self, ord: Ordering) -> bool {
        match self {
            Cmp::Eq => ord == Ordering::Equal,
            Cmp::Lt => ord == Ordering::Less,
            Cmp::Le => ord != Ordering::Greater,
            Cmp::Gt => ord == Ordering::Greater,
            Cmp::Ge => ord != Ordering::Less,
        }
    }
}

/// The comparison an operator makes, with its compiled policy values.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// `StringEquals` / `StringNotEquals`: exact text.
    StringEquals(Vec<Vec<Tok>>),
    /// `StringEqualsIgnoreCase` / `StringNotEqualsIgnoreCase`.
    StringEqualsIgnoreCase(Vec<Vec<Tok>>),
    /// `StringLike` / `StringNotLike`: `*` and `?` wildcards.
    StringLike(Vec<Vec<Tok>>),
    /// The Numeric operators.
    Numeric(Cmp, Vec<f64>),
    /// The Date operators.
    Date(Cmp, Vec<jiff::Timestamp>),
    /// `Bool`; a value other than true/false never matches.
    Bool(Vec<Option<bool>>),
    /// `BinaryEquals`: bytes, base64 in the policy and in the request.
    Binary(Vec<Vec<u8>>),
    /// `IpAddress` / `NotIpAddress`.
    Ip(Vec<ipnet::IpNet>),
    /// `ArnEquals`, `ArnLike` and their negations.
    Arn(Vec<ArnPattern>),
    /// `Null`: true means "the key is absent".
    Null(Vec<bool>),
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetQualifier {
    /// Every request value must match (true when the key is absent).
    ForAllValues,
    /// Some request value must match (false when the key is absent).
    ForAnyValue,
}

/// One `operator: {key: values}` entry, compiled.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The operator as written, e.g. `ForAnyValue:StringNotEqualsIfExists`.
    pub operator: String,
    /// The key as written.
    pub key: String,
    /// The key lower-cased, for lookups.
    pub key_lower: String,
    /// The policy values as written.
    pub values: Vec<String>,
    /// The comparison.
    pub test: Test,
    /// A negated operator (`...Not...`): true when no policy value matches.
    pub negated: bool,
    /// `...IfExists`: true when the key is absent.
    pub if_exists: bool,
    /// The set qualifier, if any.
    pub set: Option<SetQualifier>,
}

/// What an operator name means, before its values are compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperatorName {
    /// The family and comparison.
    pub family: Family,
    /// A negated operator.
    pub negated: bool,
    /// Ends in `IfExists`.
    pub if_exists: bool,
    /// `ForAllValues:` / `ForAnyValue:`.
    pub set: Option<SetQualifier>,
}

/// The operator families of AWS's condition-operator reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// StringEquals
    StringEquals,
    /// StringEqualsIgnoreCase
    StringEqualsIgnoreCase,
    /// StringLike
    StringLike,
    /// Numeric*
    Numeric(Cmp),
    /// Date*
    Date(Cmp),
    /// Bool
    Bool,
    /// BinaryEquals
    Binary,
    /// IpAddress
    Ip,
    /// ArnEquals / ArnLike
    Arn,
    /// Null
    Null,
}

impl Family {
    /// Whether policy variables may appear in values (L55).
    pub fn takes_variables(self) -> bool {
        matches!(
            self,
            Family::StringEquals
                | Family::StringEqualsIgnoreCase
                | Family::StringLike
                | Family::Arn
        )
    }
}

const BASES: &[(&str, Family, bool)] = &[
    ("StringEquals", Family::StringEquals, false),
    ("StringNotEquals", Family::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Family::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Family::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Family::StringLike, false),
    ("StringNotLike", Family::StringLike, true),
    ("NumericEquals", Family::Numeric(Cmp::Eq), false),
    ("NumericNotEquals", Family::Numeric(Cmp::Eq), true),
    ("NumericLessThan", Family::Numeric(Cmp::Lt), false),
    ("NumericLessThanEquals", Family::Numeric(Cmp::Le), false),
    ("NumericGreaterThan", Family::Numeric(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Family::Numeric(Cmp::Ge), false),
    ("DateEquals", Family::Date(Cmp::Eq), false),
    ("DateNotEquals", Family::Date(Cmp::Eq), true),
    ("DateLessThan", Family::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Family::Date(Cmp::Le), false),
    ("DateGreaterThan", Family::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Family::Date(Cmp::Ge), false),
    ("Bool", Family::Bool, false),
    ("BinaryEquals", Family::Binary, false),
    ("IpAddress", Family::Ip, false),
    ("NotIpAddress", Family::Ip, true),
    ("ArnEquals", Family::Arn, false),
    ("ArnLike", Family::Arn, false),
    ("ArnNotEquals", Family::Arn, true),
    ("ArnNotLike", Family::Arn, true),
    ("Null", Family::Null, false),
];

/// Reads an operator name; names are case-sensitive (L33) and `Null` has no
/// `IfExists` form (L45). `None` for an unknown operator.
pub fn parse_operator(name: &str) -> Option<OperatorName> {
    let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
        (Some(SetQualifier::ForAllValues), r)
    } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (Some(SetQualifier::ForAnyValue), r)
    } else {
        (None, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let &(_, family, negated) = BASES.iter().find(|(n, _, _)| *n == base)?;
    if family == Family::Null && if_exists {
        return None;
    }
    Some(OperatorName {
        family,
        negated,
        if_exists,
        set,
    })
}

/// Compiles the policy values of one condition; `variables` says whether
/// `${...}` is a variable (Version 2012-10-17). Errors name the bad value.
pub fn compile_test(family: Family, values: &[String], variables: bool) -> Result<Test, String> {
    let vars = variables && family.takes_variables();
    if variables && !vars {
        if let Some(v) = values.iter().find(|v| v.contains("${")) {
            return Err(format!(
                "policy variables are not allowed with this operator (only String and Arn operators take them): \"{v}\""
            ));
        }
    }
    Ok(match family {
        Family::StringEquals => Test::StringEquals(string::compile(values, false, vars)?),
        Family::StringEqualsIgnoreCase => {
            Test::StringEqualsIgnoreCase(string::compile(values, false, vars)?)
        }
        Family::StringLike => Test::StringLike(string::compile(values, true, vars)?),
        Family::Numeric(c) => Test::Numeric(c, each(values, numeric::parse, "a number")?),
        Family::Date(c) => Test::Date(
            c,
            each(
                values,
                date::parse_date,
                "a date (ISO 8601 or epoch seconds)",
            )?,
        ),
        Family::Bool => Test::Bool(values.iter().map(|v| parse_bool(v)).collect()),
        Family::Binary => Test::Binary(each(values, binary::decode, "base64")?),
        Family::Ip => Test::Ip(each(values, ip::parse_net, "an IP address or CIDR range")?),
        Family::Arn => Test::Arn(
            values
                .iter()
                .map(|v| ArnPattern::compile(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Family::Null => Test::Null(
            values
                .iter()
                .map(|v| {
                    parse_bool(v)
                        .ok_or_else(|| format!("Null takes \"true\" or \"false\", not \"{v}\""))
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn each<T>(values: &[String], parse: fn(&str) -> Option<T>, what: &str) -> Result<Vec<T>, String> {
    values
        .iter()
        .map(|v| parse(v).ok_or_else(|| format!("\"{v}\" is not {what}")))
        .collect()
}

fn parse_bool(v: &str) -> Option<bool> {
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

impl Test {
    /// True when the request value matches at least one policy value.
    /// A value that cannot be read (not a number, an unresolved variable...)
    /// matches nothing.
    fn any_match(&self, v: &str, ctx: &dyn Resolve) -> bool {
        match self {
            Test::StringEquals(ps) => string::any_equal(ps, v, ctx),
            Test::StringEqualsIgnoreCase(ps) => string::any_equal_ignore_case(ps, v, ctx),
            Test::StringLike(ps) => string::any_like(ps, v, ctx),
            Test::Numeric(c, ps) => numeric::parse(v).is_some_and(|x| {
                ps.iter()
                    .any(|p| x.partial_cmp(p).is_some_and(|o| c.holds(o)))
            }),
            Test::Date(c, ps) => {
                date::parse_date(v).is_some_and(|x| ps.iter().any(|p| c.holds(x.cmp(p))))
            }
            Test::Bool(ps) => parse_bool(v).is_some_and(|x| ps.contains(&Some(x))),
            Test::Binary(ps) => binary::decode(v).is_some_and(|x| ps.contains(&x)),
            Test::Ip(ps) => ip::parse_addr(v).is_some_and(|a| ps.iter().any(|n| n.contains(&a))),
            Test::Arn(ps) => {
                Arn::parse(v).is_some_and(|a| ps.iter().any(|p| p.matches(&a, ctx) == Some(true)))
            }
            Test::Null(_) => false,
        }
    }
}

impl Condition {
    /// Decides this condition for the request.
    pub fn eval(&self, ctx: &dyn Lookup) -> bool {
        let found = ctx.lookup(&self.key_lower);
        if let Test::Null(ps) = &self.test {
            // ForAllValues:Null is always true and ForAnyValue:Null always
            // false (a modelling choice, README).
            return match self.set {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => ps.contains(&found.is_empty()),
            };
        }
        let base = |v: &str| self.test.any_match(v, ctx) != self.negated;
        match self.set {
            // L48/L49: an absent key or an empty set.
            Some(SetQualifier::ForAllValues) => found.values().all(base),
            Some(SetQualifier::ForAnyValue) => found.values().any(base),
            None => match found.len() {
                // L30 and L46: absent keys.
                0 => self.if_exists || self.negated,
                1 => found.single().is_some_and(base),
                // A plain operator on a key with several values does not
                // match, negated or not (a modelling choice, README).
                _ => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        let name = parse_operator(op).unwrap();
        let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
        Condition {
            operator: op.into(),
            key: key.into(),
            key_lower: key.to_ascii_lowercase(),
            test: compile_test(name.family, &values, true).unwrap(),
            values,
            negated: name.negated,
            if_exists: name.if_exists,
            set: name.set,
        }
    }

    use crate::context::Context;

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        let mut c = Context::new();
        for (k, v) in pairs {
            c.set(k, *v);
        }
        c
    }

    #[test]
    fn operator_names_are_exact() {
        assert!(parse_operator("StringEquals").is_some());
        assert!(parse_operator("stringEquals").is_none());
        assert!(parse_operator("NullIfExists").is_none());
        assert!(parse_operator("ForSomeValues:StringEquals").is_none());
        let n = parse_operator("ForAnyValue:StringNotEqualsIfExists").unwrap();
        assert!(n.negated && n.if_exists && n.set == Some(SetQualifier::ForAnyValue));
    }

    #[test]
    fn absent_keys() {
        let empty = Context::new();
        assert!(!cond("StringEquals", "aws:x", &["a"]).eval(&empty));
        assert!(cond("StringNotEquals", "aws:x", &["a"]).eval(&empty));
        assert!(cond("StringEqualsIfExists", "aws:x", &["a"]).eval(&empty));
        assert!(!cond("Bool", "aws:MultiFactorAuthPresent", &["false"]).eval(&empty));
        assert!(cond("BoolIfExists", "aws:MultiFactorAuthPresent", &["false"]).eval(&empty));
        assert!(cond("Null", "aws:x", &["true"]).eval(&empty));
        assert!(!cond("Null", "aws:x", &["false"]).eval(&empty));
    }

    #[test]
    fn negated_operators_are_nor() {
        let c = cond(
            "StringNotEquals",
            "aws:RequestedRegion",
            &["us-east-1", "eu-west-1"],
        );
        assert!(!c.eval(&ctx(&[("aws:RequestedRegion", "eu-west-1")])));
        assert!(c.eval(&ctx(&[("aws:RequestedRegion", "ap-south-1")])));
    }

    #[test]
    fn set_qualifiers() {
        let mut c = Context::new();
        c.set_list("aws:TagKeys", vec!["key1:legal".into()]);
        let all_not_like = cond("ForAllValues:StringNotLike", "aws:TagKeys", &["key1*"]);
        assert!(!all_not_like.eval(&c));
        c.set_list("aws:TagKeys", vec!["key2:audit".into()]);
        assert!(all_not_like.eval(&c));
        assert!(all_not_like.eval(&Context::new()));
        let any = cond("ForAnyValue:StringEquals", "aws:TagKeys", &["key2:audit"]);
        assert!(any.eval(&c));
        assert!(!any.eval(&Context::new()));
        c.set_list("aws:TagKeys", vec![]);
        assert!(!any.eval(&c));
        // a plain operator on several values matches nothing
        c.set_list("aws:TagKeys", vec!["a".into(), "b".into()]);
        assert!(!cond("StringNotEquals", "aws:TagKeys", &["z"]).eval(&c));
    }

    #[test]
    fn families_compare_typed_values() {
        let c = ctx(&[
            ("s3:max-keys", "10"),
            ("aws:CurrentTime", "2024-06-15T12:00:00Z"),
            ("aws:SourceIp", "203.0.113.7"),
        ]);
        assert!(cond("NumericLessThan", "s3:max-keys", &["11"]).eval(&c));
        assert!(!cond("NumericLessThan", "s3:max-keys", &["10"]).eval(&c));
        assert!(cond("NumericEquals", "s3:max-keys", &["10.0"]).eval(&c));
        assert!(
            cond(
                "DateEquals",
                "aws:CurrentTime",
                &["2024-06-15T14:00:00+02:00"]
            )
            .eval(&c)
        );
        assert!(cond("DateGreaterThanEquals", "aws:CurrentTime", &["2024-06-15"]).eval(&c));
        assert!(!cond("DateLessThan", "aws:CurrentTime", &["1718452800"]).eval(&c));
        assert!(cond("IpAddress", "aws:SourceIp", &["203.0.113.0/24"]).eval(&c));
        assert!(!cond("IpAddress", "aws:SourceIp", &["2001:db8::/32"]).eval(&c));
        assert!(cond("NotIpAddress", "aws:SourceIp", &["203.0.113.8"]).eval(&c));
    }

    #[test]
    fn unreadable_request_values_match_nothing() {
        let c = ctx(&[
            ("s3:max-keys", "ten"),
            ("aws:MultiFactorAuthPresent", "yes"),
        ]);
        assert!(!cond("NumericEquals", "s3:max-keys", &["10"]).eval(&c));
        assert!(cond("NumericNotEquals", "s3:max-keys", &["10"]).eval(&c));
        assert!(!cond("Bool", "aws:MultiFactorAuthPresent", &["true"]).eval(&c));
    }

    #[test]
    fn bad_policy_values_are_errors() {
        assert!(compile_test(Family::Numeric(Cmp::Eq), &["1x".into()], true).is_err());
        assert!(compile_test(Family::Date(Cmp::Eq), &["2024-13-01".into()], true).is_err());
        assert!(compile_test(Family::Ip, &["10.0.0.0/33".into()], true).is_err());
        assert!(compile_test(Family::Binary, &["***".into()], true).is_err());
        assert!(compile_test(Family::Numeric(Cmp::Eq), &["${aws:x}".into()], true).is_err());
    }
}
