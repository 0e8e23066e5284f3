//! `aws:RequestedRegion`: the region a request is sent to, which every
//! real request carries (IAM user guide, "AWS global condition context
//! keys", <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requestedregion>).
//!
//! A question names its region (`--region`, or `region` in a scenario
//! file); else the request goes to the resource's region: the region of its
//! ARN, a bucket's `region`, the world's `default_region`, else
//! [`DEFAULT_REGION`]. The services of [`GLOBAL_SERVICES`] have one
//! endpoint, in us-east-1, whatever the question says. STS is not among
//! them: the AWS CLI v2 and current SDKs call the regional STS endpoint of
//! the configured region.

use crate::arn::Arn;
use crate::diag::{Diagnostic, Doc, JsonPath};
use crate::json::Node;
use crate::request::Target;
use crate::world::World;

/// The region of a request when nothing else names one: the AWS CLI's and
/// SDKs' historical default, and where the global endpoints are.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Services whose single endpoint is in us-east-1, so that every request to
/// them has `aws:RequestedRegion` = us-east-1: CloudFront, IAM, Route 53
/// and Support, the services that AWS's example "AWS: Denies access to AWS
/// based on the requested Region" exempts for that reason
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-requested-region.html>;
/// the Organizations SCP example "Deny access to AWS based on the requested
/// AWS Region",
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html>,
/// exempts more services, several of which also have regional endpoints).
/// Sorted.
pub const GLOBAL_SERVICES: &[&str] = &["cloudfront", "iam", "route53", "support"];

/// True for a region name of AWS's shape: two letters, one or more words,
/// a number (`us-east-1`, `eu-central-1`, `us-gov-west-1`, `cn-north-1`).
pub fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [geo, words @ .., number] if !words.is_empty() => {
            geo.len() == 2
                && geo.bytes().all(|b| b.is_ascii_lowercase())
                && words
                    .iter()
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
                && !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// The error for a region name that is not of AWS's shape.
pub fn region_error(s: &str) -> String {
    format!("region \"{s}\" is not an AWS region name such as us-east-1 or eu-central-1")
}

/// Reads an optional `region` member (a file's, scenario's or step's
/// `region`, a bucket's `region`, a world's `default_region`): a region
/// name, checked, or an error located at it.
pub fn read_region(
    doc: Doc,
    node: Option<&Node>,
    path: &JsonPath<'_>,
    what: &str,
) -> Result<Option<String>, Diagnostic> {
    let Some(n) = node else { return Ok(None) };
    let s = doc.string(n, path, what)?;
    if !is_region_name(s) {
        return Err(doc.err(n, path, region_error(s)));
    }
    Ok(Some(s.to_string()))
}

/// Where a request's region came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionFrom {
    /// The question named it (`--region`, `region`).
    Question,
    /// The service has one endpoint, in us-east-1.
    Global,
    /// The region of the resource's ARN.
    ResourceArn,
    /// The bucket's `region`.
    Bucket,
    /// The world's `default_region`.
    WorldDefault,
    /// Nothing named one: [`DEFAULT_REGION`].
    Fallback,
}

impl RegionFrom {
    /// Where the value came from, in words.
    pub fn phrase(self) -> &'static str {
        match self {
            RegionFrom::Question => "the region the question names",
            RegionFrom::Global => "the service's only endpoint is in us-east-1",
            RegionFrom::ResourceArn => "the region of the resource's ARN",
            RegionFrom::Bucket => "the bucket's region",
            RegionFrom::WorldDefault => "the world's default_region",
            RegionFrom::Fallback => {
                "no region given, none in the resource's ARN, no default_region in the world"
            }
        }
    }

    /// True when the caller does not choose it: the question fixed it, the
    /// service is global, or the resource's region is known (a request on
    /// a regional resource goes to its region). A default (the world's or
    /// us-east-1) stands for a choice the question left open.
    pub fn is_fixed(self) -> bool {
        matches!(
            self,
            RegionFrom::Question
                | RegionFrom::Global
                | RegionFrom::ResourceArn
                | RegionFrom::Bucket
        )
    }
}

/// True when `service` (any case) is one of [`GLOBAL_SERVICES`].
pub fn is_global(service: &str) -> bool {
    GLOBAL_SERVICES
        .iter()
        .any(|g| g.eq_ignore_ascii_case(service))
}

/// The region a request for `service` (its prefix, any case) on `target`
/// goes to, given the question's region `asked`, and where it came from.
pub fn requested_region<'a>(
    world: &'a World,
    service: &str,
    target: &Target<'a>,
    asked: Option<&'a str>,
) -> (&'a str, RegionFrom) {
    if is_global(service) {
        return (DEFAULT_REGION, RegionFrom::Global);
    }
    if let Some(r) = asked {
        return (r, RegionFrom::Question);
    }
    let arn = Arn::parse(target.arn);
    if let Some(r) = arn.map(|a| a.region).filter(|r| !r.is_empty()) {
        return (r, RegionFrom::ResourceArn);
    }
    let bucket = arn
        .filter(|a| a.service == "s3")
        .and_then(|a| {
            world
                .buckets
                .get(a.resource.split('/').next().unwrap_or_default())
        })
        .and_then(|b| b.region.as_deref());
    if let Some(r) = bucket {
        return (r, RegionFrom::Bucket);
    }
    match world.default_region.as_deref() {
        Some(r) => (r, RegionFrom::WorldDefault),
        None => (DEFAULT_REGION, RegionFrom::Fallback),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_have_aws_shape() {
        for ok in ["us-east-1", "eu-central-1", "us-gov-west-1", "cn-north-1"] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in [
            "us-east",
            "useast1",
            "US-EAST-1",
            "us--1",
            "u-east-1",
            "us-east-1a",
            "",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }

    #[test]
    fn global_services_are_sorted() {
        assert!(GLOBAL_SERVICES.windows(2).all(|w| w[0] < w[1]));
        assert!(is_global("IAM"));
        assert!(!is_global("sts"));
    }
}
