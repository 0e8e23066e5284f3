//! One request: who calls ([`Caller`]), on what ([`Target`]), and the
//! context keys AWS sets itself from them (formats.md "Request context";
//! semantics-decision R30, R33).

use crate::arn::{Arn, is_account_id};
use crate::context::Context;
use crate::policy::{Policy, PolicyKind, Who};
use crate::world::{PolicyId, Role, Tags, User, World};

/// A role session: what `AssumeRole` returned.
#[derive(Clone, Debug)]
pub struct Session<'w> {
    /// The role.
    pub role: &'w Role,
    /// The session name.
    pub name: String,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE_NAME/SESSION_NAME`.
    pub arn: String,
    /// The session policy passed when it was created, if any.
    pub policy: Option<Policy>,
    /// Session tags: inherited transitive tags, then the tags passed.
    pub tags: Tags,
    /// Keys of the tags that pass on to chained sessions.
    pub transitive_keys: Vec<String>,
    /// The source identity, fixed for the session and its chain.
    pub source_identity: Option<String>,
    /// True when the credentials were obtained with MFA.
    pub mfa: bool,
}

impl<'w> Session<'w> {
    /// A session of `role` named `name`, with nothing else set.
    pub fn new(role: &'w Role, name: &str) -> Session<'w> {
        Session {
            role,
            name: name.to_string(),
            arn: format!(
                "arn:aws:sts::{}:assumed-role/{}/{name}",
                role.account, role.name
            ),
            policy: None,
            tags: Vec::new(),
            transitive_keys: Vec::new(),
            source_identity: None,
            mfa: false,
        }
    }

    /// The principal tags of the session: the role's tags, overridden by
    /// session tags with the same key ignoring case (R31).
    pub fn principal_tags(&self) -> Tags {
        let mut out: Tags = self
            .role
            .tags
            .iter()
            .filter(|(k, _)| !self.tags.iter().any(|(s, _)| s.eq_ignore_ascii_case(k)))
            .cloned()
            .collect();
        out.extend(self.tags.iter().cloned());
        out
    }
}

/// Who makes a request.
#[derive(Clone, Copy, Debug)]
pub enum Caller<'a> {
    /// An IAM user with long-term access keys.
    User(&'a User),
    /// An account's root user.
    Root {
        /// The account id.
        account: &'a str,
        /// `arn:aws:iam::ID:root`.
        arn: &'a str,
    },
    /// A role session.
    Session(&'a Session<'a>),
}

impl<'a> Caller<'a> {
    /// The caller's account.
    pub fn account(&self) -> &'a str {
        match self {
            Caller::User(u) => &u.account,
            Caller::Root { account, .. } => account,
            Caller::Session(s) => &s.role.account,
        }
    }

    /// The caller's own ARN (the session ARN for a session).
    pub fn arn(&self) -> &'a str {
        match self {
            Caller::User(u) => &u.arn,
            Caller::Root { arn, .. } => arn,
            Caller::Session(s) => &s.arn,
        }
    }

    /// `aws:PrincipalArn`: the role ARN for a session (R33).
    pub fn principal_arn(&self) -> &'a str {
        match self {
            Caller::Session(s) => &s.role.arn,
            other => other.arn(),
        }
    }

    /// The permissions boundary of the IAM entity.
    pub fn boundary(&self) -> Option<&'a crate::world::Attached> {
        match self {
            Caller::User(u) => u.boundary.as_ref(),
            Caller::Root { .. } => None,
            Caller::Session(s) => s.role.boundary.as_ref(),
        }
    }

    /// The caller as principal matching sees it.
    pub fn who(&self) -> Who<'a> {
        Who {
            account: self.account(),
            arn: self.arn(),
            role_arn: match self {
                Caller::Session(s) => Some(&s.role.arn),
                _ => None,
            },
            is_root: matches!(self, Caller::Root { .. }),
            has_boundary: self.boundary().is_some(),
        }
    }

    /// True for a session of a service-linked role (exempt from SCPs and RCPs).
    pub fn is_service_linked(&self) -> bool {
        matches!(self, Caller::Session(s) if s.role.is_service_linked())
    }
}

/// The resource of a request, with what the world knows of it.
#[derive(Clone, Debug)]
pub struct Target<'w> {
    /// The resource ARN, or `*`.
    pub arn: String,
    /// The account that owns it.
    pub account: String,
    /// Its resource-based policy (bucket, trust or key policy), if any.
    pub policy: Option<(PolicyId, PolicyKind, String)>,
    /// True when the resource policy must allow even within one account:
    /// role trust policies and KMS key policies (R11, R22).
    pub policy_required: bool,
    /// The resource's tags (`aws:ResourceTag/*`).
    pub tags: Option<&'w Tags>,
    /// True when the resource is an IAM role or user (its tags are also
    /// `iam:ResourceTag/*`).
    pub iam_entity: bool,
}

/// Finds who owns a request's resource and which policy guards it.
/// `resource_account` is the step's, `default_account` the caller's (used
/// for `*`, whose owner is the caller's own account).
pub fn resolve_target<'w>(
    world: &'w World,
    service: &str,
    resource: &str,
    resource_account: Option<&str>,
    default_account: &str,
) -> Result<Target<'w>, String> {
    if let Some(a) = resource_account.filter(|a| !is_account_id(a)) {
        return Err(format!(
            "resource_account \"{a}\" must be a 12-digit account id"
        ));
    }
    let mut t = Target {
        arn: resource.to_string(),
        account: String::new(),
        policy: None,
        policy_required: false,
        tags: None,
        iam_entity: false,
    };
    if resource == "*" {
        t.account = resource_account.unwrap_or(default_account).to_string();
        return Ok(t);
    }
    let arn = Arn::parse(resource).ok_or_else(|| format!("resource \"{resource}\" is not an ARN (arn:partition:service:region:account:resource) nor \"*\""))?;
    let mut owner = arn.account.to_string();
    if !owner.is_empty() && !is_account_id(&owner) {
        return Err(format!(
            "resource \"{resource}\" has an account field \"{owner}\" that is not a 12-digit id"
        ));
    }
    if arn.service == "s3" && owner.is_empty() {
        let name = arn.resource.split('/').next().unwrap_or_default();
        if let Some(b) = world.buckets.get(name) {
            owner = b.account.clone();
            if let Some(p) = b.policy {
                t.policy = Some((p, PolicyKind::Bucket, format!("arn:aws:s3:::{name}")));
            }
            // S3 evaluates aws:ResourceTag from the bucket's tags for bucket
            // and object requests alike (S3 user guide, buckets-tagging: ABAC
            // on general purpose buckets); iamsim treats declared tags as
            // ABAC enabled.
            t.tags = Some(&b.tags);
        }
    } else if arn.service == "iam" && arn.resource.starts_with("role/") {
        let role = world.roles.get(resource);
        if let Some(r) = role {
            t.tags = Some(&r.tags);
            t.iam_entity = true;
        }
        if service == "sts" {
            t.policy_required = true;
            t.policy = role.map(|r| (r.trust, PolicyKind::Trust, r.arn.clone()));
        }
    } else if let Some(u) = world.users.get(resource) {
        t.tags = Some(&u.tags);
        t.iam_entity = true;
    } else if let Some(r) = world.resources.get(resource) {
        t.tags = Some(&r.tags);
        t.policy = r.policy.map(|p| (p, PolicyKind::Resource, r.arn.clone()));
    }
    if arn.service == "kms" && arn.resource.starts_with("key/") {
        t.policy_required = true;
    }
    match (owner.is_empty(), resource_account) {
        (true, None) => {
            return Err(format!(
                "the owner of \"{resource}\" is unknown: declare the bucket in the world or give \"resource_account\" on the step"
            ));
        }
        (true, Some(a)) => owner = a.to_string(),
        (false, Some(a)) if a != owner => {
            return Err(format!(
                "resource_account {a} contradicts the owner of \"{resource}\", account {owner}"
            ));
        }
        _ => {}
    }
    t.account = owner;
    Ok(t)
}

/// The keys AWS sets itself for a request of `caller` on `target` at `now`.
pub fn base_context(
    world: &World,
    caller: &Caller<'_>,
    target: &Target<'_>,
    now: jiff::Timestamp,
) -> Context {
    let mut c = Context::new();
    c.set("aws:PrincipalArn", caller.principal_arn());
    c.set("aws:PrincipalAccount", caller.account());
    c.set("aws:PrincipalIsAWSService", "false");
    let tags: Tags = match caller {
        Caller::User(u) => {
            c.set("aws:PrincipalType", "User");
            c.set("aws:username", u.name.as_str());
            c.set("aws:userid", u.unique_id.as_str());
            u.tags.clone()
        }
        Caller::Root { account, .. } => {
            c.set("aws:PrincipalType", "Account");
            c.set("aws:userid", *account);
            Vec::new()
        }
        Caller::Session(s) => {
            c.set("aws:PrincipalType", "AssumedRole");
            c.set("aws:userid", format!("{}:{}", s.role.unique_id, s.name));
            c.set(
                "aws:MultiFactorAuthPresent",
                if s.mfa { "true" } else { "false" },
            );
            c.set("aws:TokenIssueTime", now.to_string());
            if let Some(si) = &s.source_identity {
                c.set("aws:SourceIdentity", si.as_str());
            }
            s.principal_tags()
        }
    };
    for (k, v) in &tags {
        c.set(&format!("aws:PrincipalTag/{k}"), v.as_str());
    }
    if let Some(org) = &world.organization {
        if in_org(world, caller.account()) {
            c.set("aws:PrincipalOrgID", org.id.as_str());
        }
        if in_org(world, &target.account) {
            c.set("aws:ResourceOrgID", org.id.as_str());
        }
    }
    c.set("aws:ResourceAccount", target.account.as_str());
    for (k, v) in target.tags.into_iter().flatten() {
        c.set(&format!("aws:ResourceTag/{k}"), v.as_str());
        if target.iam_entity {
            c.set(&format!("iam:ResourceTag/{k}"), v.as_str());
        }
    }
    c.set("aws:CurrentTime", now.to_string());
    c.set("aws:EpochTime", now.as_second().to_string());
    c
}

fn in_org(world: &World, account: &str) -> bool {
    world
        .organization
        .as_ref()
        .is_some_and(|o| o.management_account == account)
        || world
            .accounts
            .get(account)
            .is_some_and(|a| !a.levels.is_empty())
}
