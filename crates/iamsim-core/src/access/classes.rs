//! Resources that no statement distinguishes, for one identity: what-can
//! decides each class once and gives its answer to every member.
//!
//! A decision reads of its resource only what [`Class`] holds: the owner
//! account (the same-account rule, RCPs, `aws:ResourceAccount` and
//! `aws:ResourceOrgID`), the resource-based policy, the tags (when a
//! statement's condition may read them), what AWS protects it as, the
//! region of the request, and whether each Resource or NotResource of the
//! statements the caller's request can meet covers its ARN. Those are the
//! caller's identity policies and boundary, every SCP and RCP of the world
//! (more than one request meets, which only splits classes finer) and the
//! resource's own policy. A resource is a class of its own when a pattern
//! reads a variable, when it is an object of an SSE-KMS bucket (the KMS
//! request carries the object's ARN), and in a world with texts known only
//! after apply (what an access depends on names the resource).
//!
//! The actions asked on `*` (those that take no resource) are classed the
//! same way by [`action_class`]: on `*` a decision reads of its action only
//! its service (its region, whether RCPs govern it, which policies name
//! it) and whether each Action or NotAction of those statements covers it.

use crate::arn::Arn;
use crate::context::{Found, Lookup};
use crate::pattern::Resolve;
use crate::policy::{PolicyKind, RequestAction, RequestResource, Statement};
use crate::protection::Protected;
use crate::region::{RegionFrom, requested_region};
use crate::request::{Caller, Target};
use crate::world::{PolicyId, Tags, World};
use std::cell::Cell;

/// The statements a caller's requests can meet, but the resource's own
/// policy.
pub struct Statements<'w> {
    list: Vec<&'w Statement>,
    /// A condition may read a resource tag.
    reads_tags: bool,
}

/// True when a condition may read a resource tag: through its key or
/// through a variable in its values.
fn reads_tags(st: &Statement) -> bool {
    st.conditions.iter().any(|c| {
        c.key_lower.contains("resourcetag/")
            || c.values
                .iter()
                .any(|v| v.to_ascii_lowercase().contains("resourcetag/"))
    })
}

impl<'w> Statements<'w> {
    /// The statements of `caller`'s identity policies and boundary, and
    /// of every SCP and RCP of `world`.
    pub fn of(world: &'w World, caller: &Caller<'w>) -> Statements<'w> {
        let identity = match caller {
            Caller::User(u) => u.identity.as_slice(),
            Caller::Session(s) => s.role.identity.as_slice(),
            Caller::Root { .. } => &[],
        };
        let mut list: Vec<&'w Statement> = Vec::new();
        let attached = identity.iter().chain(caller.boundary());
        for e in attached.filter_map(|a| world.policy(a.policy)) {
            list.extend(&e.policy.statements);
        }
        for e in world
            .policies
            .iter()
            .filter(|e| matches!(e.kind, PolicyKind::Scp | PolicyKind::Rcp))
        {
            list.extend(&e.policy.statements);
        }
        let reads_tags = list.iter().any(|s| reads_tags(s));
        Statements { list, reads_tags }
    }
}

/// A lookup that knows no key and notes that one was asked for: a
/// pattern that reads a variable may cover resources differently under
/// the request's context.
#[derive(Default)]
struct Probe {
    read: Cell<bool>,
}

impl Resolve for Probe {
    fn var(&self, _: &str) -> Option<&str> {
        self.read.set(true);
        None
    }
}

impl Lookup for Probe {
    fn lookup(&self, _: &str) -> Found<'_> {
        self.read.set(true);
        Found::Absent
    }
}

/// What the decisions of one caller read of a resource: two resources of
/// one class are decided alike for every action of their type.
#[derive(PartialEq, Eq, Hash)]
pub struct Class<'w> {
    /// The resource's ARN when it is a class of its own.
    own: Option<&'w str>,
    account: &'w str,
    policy: Option<PolicyId>,
    policy_required: bool,
    tags: Option<&'w Tags>,
    iam_entity: bool,
    protected: Option<Protected>,
    region: (&'w str, RegionFrom),
    /// Per statement (the caller's, then the resource policy's): no
    /// Resource element (0), not covered (1), covered (2).
    covered: Vec<u8>,
}

/// The class of `target` for the requests of `service` of a caller whose
/// statements are `statements`; `region` is the question's.
pub fn class<'w>(
    world: &'w World,
    statements: &Statements<'w>,
    target: &Target<'w>,
    service: &str,
    region: Option<&'w str>,
) -> Class<'w> {
    let own_policy = target
        .policy
        .and_then(|(p, _, _)| world.policy(p))
        .map(|e| e.policy.statements.as_slice())
        .unwrap_or_default();
    let probe = Probe::default();
    let mut covered = Vec::with_capacity(statements.list.len() + own_policy.len());
    let res = RequestResource::parse(target.arn);
    for st in statements.list.iter().copied().chain(own_policy) {
        covered.push(match (&st.resources, &res) {
            (None, _) => 0,
            (Some(r), Some(res)) => 1 + u8::from(r.matches(res, &probe)),
            (Some(_), None) => 1,
        });
    }
    let reads_tags = statements.reads_tags || own_policy.iter().any(reads_tags);
    let encrypted = Arn::parse(target.arn)
        .filter(|a| a.service == "s3")
        .and_then(|a| a.resource.split_once('/'))
        .and_then(|(bucket, _)| world.buckets.get(bucket))
        .is_some_and(|b| !b.encryption.is_empty());
    let alone = probe.read.get() || encrypted || world.has_unknowns();
    Class {
        own: alone.then_some(target.arn),
        account: target.account,
        policy: target.policy.map(|(p, _, _)| p),
        policy_required: target.policy_required,
        tags: target.tags.filter(|_| reads_tags),
        iam_entity: target.iam_entity,
        protected: target.protected,
        region: requested_region(world, service, target, region),
        covered,
    }
}

/// What the decisions of one caller on `*` read of an action: its service,
/// and per statement whether its Action or NotAction covers it. `None`
/// in a world with texts known only after apply, where each action is
/// decided alone.
pub fn action_class(world: &World, statements: &Statements<'_>, action: &str) -> Option<Vec<u8>> {
    if world.has_unknowns() {
        return None;
    }
    let lower = action.to_ascii_lowercase();
    let parsed = RequestAction::parse(&lower)?;
    let mut key = Vec::with_capacity(parsed.service.len() + 1 + statements.list.len());
    key.extend_from_slice(parsed.service.as_bytes());
    key.push(b':');
    key.extend(
        statements
            .list
            .iter()
            .map(|st| u8::from(st.actions.matches(&parsed))),
    );
    Some(key)
}
