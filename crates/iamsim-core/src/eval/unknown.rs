//! What a request depends on when the world holds things known only after
//! `terraform apply` (README, "What the decisions mean"): the entities
//! known only in part that it names, and the policy texts known only after
//! apply among the policies it consults. The world reads such a text as
//! allowing everything and its deny reading as denying everything; the
//! callers decide in both and compare.

use super::scan::Source;
use super::{Request, caller_policies, input, org, resource_policy};
use crate::policy::PolicyKind;
use crate::world::World;

/// The unknowns of one request, each `ADDRESS ATTRIBUTE`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unknowns<'a> {
    /// Entries of the entities known only in part that the request names
    /// (its caller, the caller's role, its resource or the resource's
    /// bucket): the decision is indeterminate whatever the policies say.
    pub entities: Vec<&'a str>,
    /// Policy texts known only after apply that the request consults:
    /// the decision depends on them when the two readings differ.
    pub policies: Vec<&'a str>,
}

/// The unknowns `req` depends on in `world` (empty for a world without
/// any).
pub fn depends_on<'a>(world: &'a World, req: &Request<'a>) -> Unknowns<'a> {
    let mut out = Unknowns::default();
    if !world.has_unknowns() {
        return out;
    }
    for arn in [req.caller.principal_arn(), req.target.arn] {
        out.entities.extend(entities(world, arn));
    }
    let lower = req.action.to_ascii_lowercase();
    let input = input(req, &lower);
    let (identity, boundary, _) = caller_policies(world, &req.caller);
    let mut sources: Vec<Source<'a>> = identity.chain(boundary).collect();
    sources.extend(resource_policy(world, req));
    for level in org::rcp_levels(world, &input).unwrap_or_default() {
        sources.extend(Source::level(world, level, &level.rcps, PolicyKind::Rcp));
    }
    for level in org::scp_levels(world, &input).unwrap_or_default() {
        if let Some(ids) = &level.scps {
            sources.extend(Source::level(world, level, ids, PolicyKind::Scp));
        }
    }
    for s in sources {
        if let Some(u) = s.unknown {
            if !out.policies.contains(&u) {
                out.policies.push(u);
            }
        }
    }
    out.entities.dedup();
    out
}

/// The entries of the entity known only in part that `arn` names: a user,
/// group, role, bucket or resource, or an object of such a bucket.
pub fn entities<'a>(world: &'a World, arn: &str) -> impl Iterator<Item = &'a str> {
    let bucket = arn
        .strip_prefix("arn:aws:s3:::")
        .and_then(|r| r.split_once('/'))
        .and_then(|(b, _)| world.unknown_entities.get(&format!("arn:aws:s3:::{b}")));
    world
        .unknown_entities
        .get(arn)
        .into_iter()
        .chain(bucket)
        .flatten()
        .map(String::as_str)
}
