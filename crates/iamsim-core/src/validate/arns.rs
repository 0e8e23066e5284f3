//! Resource ARNs malformed for their service, against the ARN formats of
//! the service authorization reference (`resources.tsv`): a region or an
//! account where the resource type has none (S3 bucket and object ARNs),
//! none where it has one (S3 access points), or no format at all.

use super::{Out, Rule, StatementAt, element, element_node};
use crate::catalog::{Catalog, ResourceType};
use crate::json::Value;

/// Lints every ARN of a statement's `Resource` or `NotResource`.
pub(super) fn lint_resources(out: &mut Out, at: StatementAt<'_>) {
    for key in ["Resource", "NotResource"] {
        let Some(n) = at.node.get(key) else {
            continue;
        };
        let count = match &n.value {
            Value::Array(items) => items.len(),
            _ => 1,
        };
        for i in 0..count {
            let e = element_node(n, i);
            if let Some(arn) = e.as_str() {
                for (rule, message, suggestion) in check(arn) {
                    // The path is written only for a finding.
                    let path = element(n, &format!("{}.{key}", at.path), i).1;
                    out.add(rule, (e, path), message, suggestion);
                }
            }
        }
    }
}

/// The six fields of an ARN.
struct Fields<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn fields(arn: &str) -> Option<Fields<'_>> {
    let mut it = arn.splitn(6, ':');
    if it.next()? != "arn" {
        return None;
    }
    Some(Fields {
        partition: it.next()?,
        service: it.next()?,
        region: it.next()?,
        account: it.next()?,
        resource: it.next()?,
    })
}

/// True when an ARN part holds a wildcard or a policy variable.
pub(super) fn wild(s: &str) -> bool {
    s.contains(['*', '?']) || s.contains("${")
}

/// A value of a format's field: empty, a sample for a `${...}` part, or
/// the literal.
fn sample<'a>(field: &'a str, example: &'a str) -> &'a str {
    if field.starts_with("${") {
        example
    } else {
        field
    }
}

/// The findings of one ARN (or ARN pattern).
fn check(arn: &str) -> Vec<(Rule, String, Option<String>)> {
    let Some(f) = fields(arn) else {
        return Vec::new();
    };
    if f.service.is_empty() || wild(f.service) {
        return Vec::new();
    }
    let formats = Catalog::get().arn_formats(f.service);
    if formats.is_empty() {
        return Vec::new();
    }
    // The ARN itself when its region and account are kept.
    let with = |t: &ResourceType, region: &str, account: &str| {
        if (region, account) == (f.region, f.account) {
            return t.matches(arn);
        }
        t.matches(&format!(
            "arn:{}:{}:{region}:{account}:{}",
            f.partition, f.service, f.resource
        ))
    };
    fn format_fields(t: &ResourceType) -> (&str, &str) {
        (t.region_field(), t.account_field())
    }
    // Its own region and account, a wildcard standing for what the format has.
    // A `${...}` part of a format may not be empty.
    let present = |format_field: &str, field: &str| {
        wild(field) || format_field.is_empty() == field.is_empty()
    };
    let fits = formats.iter().any(|t| {
        let (fr, fa) = format_fields(t);
        if !present(fr, f.region) || !present(fa, f.account) {
            return false;
        }
        let r = if wild(f.region) {
            sample(fr, "us-east-1")
        } else {
            f.region
        };
        let a = if wild(f.account) {
            sample(fa, "123456789012")
        } else {
            f.account
        };
        with(t, r, a)
    });
    if fits {
        return Vec::new();
    }
    // The formats its resource part fits, whatever its region and account.
    let shaped: Vec<(&ResourceType, &str, &str)> = formats
        .iter()
        .filter_map(|t| {
            let (fr, fa) = format_fields(t);
            with(t, sample(fr, "us-east-1"), sample(fa, "123456789012")).then_some((*t, fr, fa))
        })
        .collect();
    if shaped.is_empty() {
        // STS session ARNs (assumed-role/, federated-user/) name callers,
        // not resource types of the reference.
        if wild(arn) || f.service == "sts" {
            return Vec::new();
        }
        return vec![(
            Rule::ArnResourceFormat,
            format!(
                "{arn} has the ARN format of no resource type of {} in the service reference",
                f.service
            ),
            None,
        )];
    }
    let names = shaped
        .iter()
        .map(|(t, _, _)| t.name.as_str())
        .collect::<Vec<_>>()
        .join(" or ");
    let all = |p: &dyn Fn(&str, &str) -> bool| shaped.iter().all(|(_, r, a)| p(r, a));
    let mut out = Vec::new();
    let fixed = |region: &str, account: &str| {
        Some(format!(
            "arn:{}:{}:{region}:{account}:{}",
            f.partition, f.service, f.resource
        ))
    };
    let region_ok = all(&|r, _| r.is_empty()) == f.region.is_empty() || wild(f.region);
    let account_ok = all(&|_, a| a.is_empty()) == f.account.is_empty() || wild(f.account);
    let (fix_region, fix_account) = (
        if region_ok { f.region } else { "" },
        if account_ok { f.account } else { "" },
    );
    if !f.region.is_empty() && !wild(f.region) && all(&|r, _| r.is_empty()) {
        out.push((
            Rule::ArnRegionNotAllowed,
            format!(
                "{arn}: an ARN of {} {names} has no region, so this one matches no resource",
                f.service
            ),
            fixed(fix_region, fix_account),
        ));
    }
    if !f.account.is_empty() && !wild(f.account) && all(&|_, a| a.is_empty()) {
        out.push((
            Rule::ArnAccountNotAllowed,
            format!(
                "{arn}: an ARN of {} {names} has no account, so this one matches no resource",
                f.service
            ),
            fixed(fix_region, fix_account),
        ));
    }
    if f.region.is_empty() && all(&|r, _| !r.is_empty()) {
        out.push((
            Rule::ArnMissingRegion,
            format!(
                "{arn}: an ARN of {} {names} has a region, so this one matches no resource",
                f.service
            ),
            None,
        ));
    }
    if f.account.is_empty() && all(&|_, a| !a.is_empty()) {
        out.push((
            Rule::ArnMissingAccount,
            format!(
                "{arn}: an ARN of {} {names} has an account, so this one matches no resource",
                f.service
            ),
            None,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(arn: &str) -> Vec<Rule> {
        check(arn).into_iter().map(|(r, _, _)| r).collect()
    }

    #[test]
    fn s3_bucket_and_object_arns_carry_no_region_nor_account() {
        assert_eq!(rules("arn:aws:s3:::my-bucket"), vec![]);
        assert_eq!(rules("arn:aws:s3:::my-bucket/*"), vec![]);
        assert_eq!(
            rules("arn:aws:s3:us-east-1::my-bucket"),
            vec![Rule::ArnRegionNotAllowed]
        );
        assert_eq!(
            rules("arn:aws:s3::111122223333:my-bucket/*"),
            vec![Rule::ArnAccountNotAllowed]
        );
        let both = check("arn:aws:s3:us-east-1:111122223333:my-bucket/x");
        assert_eq!(both.len(), 2, "{both:?}");
        assert_eq!(
            both.first().and_then(|b| b.2.clone()).as_deref(),
            Some("arn:aws:s3:::my-bucket/x")
        );
    }

    #[test]
    fn access_point_arns_carry_both() {
        assert_eq!(
            rules("arn:aws:s3:us-east-1:111122223333:accesspoint/ap"),
            vec![]
        );
        assert_eq!(rules("arn:aws:s3:*:*:accesspoint/*"), vec![]);
        // Without region and account, "accesspoint/ap" reads as an object
        // key of a bucket named "accesspoint": a valid object ARN.
        assert_eq!(rules("arn:aws:s3:::accesspoint/ap"), vec![]);
        // Without a region, it is a multi-region access point.
        assert_eq!(rules("arn:aws:s3::111122223333:accesspoint/ap"), vec![]);
        assert_eq!(
            rules("arn:aws:kms::111122223333:key/1234"),
            vec![Rule::ArnMissingRegion]
        );
    }

    #[test]
    fn other_services_are_checked_against_their_formats() {
        assert_eq!(rules("arn:aws:iam::111122223333:role/admin"), vec![]);
        assert_eq!(
            rules("arn:aws:iam:us-east-1:111122223333:role/admin"),
            vec![Rule::ArnRegionNotAllowed]
        );
        assert_eq!(
            rules("arn:aws:iam:::role/admin"),
            vec![Rule::ArnMissingAccount]
        );
        assert_eq!(rules("arn:aws:kms:us-east-1:111122223333:key/1234"), vec![]);
        assert_eq!(
            rules("arn:aws:kms:us-east-1:111122223333:kee/1234"),
            vec![Rule::ArnResourceFormat]
        );
        // A session's ARN is a caller's, of no resource type.
        assert_eq!(rules("arn:aws:sts::111122223333:assumed-role/r/s"), vec![]);
        // A wildcard could be anything: no finding.
        assert_eq!(rules("arn:aws:kms:us-east-1:111122223333:*"), vec![]);
    }
}
