//! One request: who calls ([`Caller`]), on what ([`Target`]), and the
//! context keys AWS sets itself from them (README, "Modelling choices";
//! docs/evaluation.md D30, D33), including the keys every real request
//! carries: `aws:RequestedRegion` (crate::region) and `aws:SecureTransport`.

use crate::arn::{Arn, is_account_id, is_aws_managed_policy};
use crate::context::{Found, Lookup};
use crate::pattern::Resolve;
use crate::policy::{Policy, PolicyKind, Who};
use crate::protection::Protected;
use crate::region::{RegionFrom, requested_region};
use crate::world::{PolicyId, Role, Tags, User, World};

/// A role session: what `AssumeRole` returned.
#[derive(Clone, Debug)]
pub struct Session<'w> {
    /// The role.
    pub role: &'w Role,
    /// The session name.
    pub name: String,
    /// `aws:userid`: `ROLE_ID:SESSION_NAME`.
    pub userid: String,
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
            userid: format!("{}:{name}", role.unique_id),
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
    /// session tags with the same key ignoring case (D31).
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

    /// `aws:PrincipalArn`: the role ARN for a session (D33).
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

/// The resource of a request, with what the world knows of it. Borrows
/// from the world and the request, so resolving it allocates nothing.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The resource ARN, or `*`.
    pub arn: &'a str,
    /// The account that owns it.
    pub account: &'a str,
    /// Its resource-based policy (bucket, trust or key policy) and the ARN
    /// of what carries it, if any.
    pub policy: Option<(PolicyId, PolicyKind, &'a str)>,
    /// True when the resource policy must allow even within one account:
    /// role trust policies and KMS key policies (D11, D22).
    pub policy_required: bool,
    /// The resource's tags (`aws:ResourceTag/*`).
    pub tags: Option<&'a Tags>,
    /// True when the resource is an IAM role or user (its tags are also
    /// `iam:ResourceTag/*`).
    pub iam_entity: bool,
    /// What AWS protects the resource as, whatever the policies say (see
    /// [`crate::protection`]).
    pub protected: Option<Protected>,
}

impl Target<'_> {
    /// True when a request of a caller of `caller_account` is decided by
    /// the same-account rule: the caller's account owns the resource, or
    /// the resource is an AWS managed policy, which belongs to no customer
    /// account and has no resource-based policy (the role trust policy is
    /// IAM's only one: "Policies and permissions in IAM",
    /// <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_resource-based>),
    /// so the caller's identity side decides alone.
    pub fn is_same_account(&self, caller_account: &str) -> bool {
        self.account == caller_account || self.is_aws_managed_policy()
    }

    /// True for an AWS managed policy, `arn:aws:iam::aws:policy/...`.
    pub fn is_aws_managed_policy(&self) -> bool {
        self.protected == Some(Protected::AwsManagedPolicy)
    }
}

/// Why a request's resource cannot be resolved. [`std::fmt::Display`]
/// words it for a scenario file, whose step key is `resource_account`;
/// a front end with other inputs words the variants its own way (`iamsim
/// can` names its `--resource-account` flag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// The account given for the resource is not a 12-digit id.
    BadAccount {
        /// The account as given.
        given: String,
    },
    /// The resource is neither an ARN nor `*`, or its account field is
    /// malformed: the whole sentence.
    BadResource(String),
    /// Neither the world nor the question says which account owns the
    /// resource.
    UnknownOwner {
        /// The resource ARN.
        resource: String,
    },
    /// The account given is not the one the ARN or the world names.
    Contradicts {
        /// The account as given.
        given: String,
        /// The resource ARN.
        resource: String,
        /// Its owner.
        owner: String,
    },
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetError::BadAccount { given } => write!(
                f,
                "resource_account \"{given}\" must be a 12-digit account id"
            ),
            TargetError::BadResource(text) => f.write_str(text),
            TargetError::UnknownOwner { resource } => write!(
                f,
                "the owner of \"{resource}\" is unknown: declare the bucket in the world or give \"resource_account\" on the step"
            ),
            TargetError::Contradicts {
                given,
                resource,
                owner,
            } => write!(
                f,
                "resource_account {given} contradicts the owner of \"{resource}\", account {owner}"
            ),
        }
    }
}

impl From<TargetError> for String {
    fn from(e: TargetError) -> String {
        e.to_string()
    }
}

/// Finds who owns a request's resource and which policy guards it.
/// `service` is the action's service prefix (lower-cased),
/// `resource_account` the step's, `default_account` the caller's (used for
/// `*`, whose owner is the caller's own account).
pub fn resolve_target<'a>(
    world: &'a World,
    service: &str,
    resource: &'a str,
    resource_account: Option<&'a str>,
    default_account: &'a str,
) -> Result<Target<'a>, TargetError> {
    if let Some(a) = resource_account.filter(|a| !is_account_id(a)) {
        return Err(TargetError::BadAccount {
            given: a.to_string(),
        });
    }
    let mut t = Target {
        arn: resource,
        account: "",
        policy: None,
        policy_required: false,
        tags: None,
        iam_entity: false,
        protected: None,
    };
    if resource == "*" {
        t.account = resource_account.unwrap_or(default_account);
        return Ok(t);
    }
    let arn = Arn::parse(resource).ok_or_else(|| {
        TargetError::BadResource(format!("resource \"{resource}\" is not an ARN (arn:partition:service:region:account:resource) nor \"*\""))
    })?;
    let mut owner = arn.account;
    let mut aws_managed_key = false;
    if !owner.is_empty() && !is_account_id(owner) && !is_aws_managed_policy(&arn) {
        return Err(TargetError::BadResource(format!(
            "resource \"{resource}\" has an account field \"{owner}\" that is not a 12-digit id"
        )));
    }
    if arn.service == "s3" && owner.is_empty() {
        let name = arn.resource.split('/').next().unwrap_or_default();
        if let Some(b) = world.buckets.get(name) {
            owner = &b.account;
            t.policy = b.policy.map(|p| (p, PolicyKind::Bucket, b.arn.as_str()));
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
            t.policy = role.map(|r| (r.trust, PolicyKind::Trust, r.arn.as_str()));
        }
    } else if let Some(u) = world.users.get(resource) {
        t.tags = Some(&u.tags);
        t.iam_entity = true;
    } else if let Some(r) = world.resources.get(resource) {
        aws_managed_key = r.aws_managed;
        t.tags = Some(&r.tags);
        // A KMS key policy or another resource's, as declared.
        t.policy = r.policy.map(|p| {
            let kind = world.policy(p).map_or(PolicyKind::Resource, |e| e.kind);
            (p, kind, r.arn.as_str())
        });
    }
    if arn.service == "kms" && arn.resource.starts_with("key/") {
        t.policy_required = true;
    }
    t.protected = Protected::classify(&arn, aws_managed_key);
    t.account = match (owner.is_empty(), resource_account) {
        (true, None) => {
            return Err(TargetError::UnknownOwner {
                resource: resource.to_string(),
            });
        }
        (true, Some(a)) => a,
        (false, Some(a)) if a != owner => {
            return Err(TargetError::Contradicts {
                given: a.to_string(),
                resource: resource.to_string(),
                owner: owner.to_string(),
            });
        }
        _ => owner,
    };
    Ok(t)
}

/// True for keys AWS sets from the world, the caller or the resource:
/// their absence is a fact of the world, not an open choice. MFA keys are
/// not among them: whether the caller signs in with MFA is the question's
/// to fix (crate::access::open).
fn derived_by_world(lower: &str) -> bool {
    matches!(
        lower,
        "aws:principalarn"
            | "aws:principalaccount"
            | "aws:principalisawsservice"
            | "aws:principaltype"
            | "aws:username"
            | "aws:userid"
            | "aws:principalorgid"
            | "aws:resourceorgid"
            | "aws:resourceaccount"
            | "aws:currenttime"
            | "aws:epochtime"
            | "aws:tokenissuetime"
            | "aws:sourceidentity"
            | "aws:viaawsservice"
            | "aws:securetransport"
            | "sts:rolesessionname"
    ) || [
        "aws:principaltag/",
        "aws:resourcetag/",
        "iam:resourcetag/",
        "kms:",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

/// True when a request key is the caller's choice: open unless fixed.
pub fn is_open(lower: &str) -> bool {
    !derived_by_world(lower)
}

/// The time of a run, as the context keys that carry it.
#[derive(Clone, Debug)]
pub struct Clock {
    /// `aws:CurrentTime` (and a new session's `aws:TokenIssueTime`).
    pub current_time: String,
    /// `aws:EpochTime`.
    pub epoch_time: String,
}

impl Clock {
    /// The clock of a run at `now`.
    pub fn new(now: jiff::Timestamp) -> Clock {
        Clock {
            current_time: now.to_string(),
            epoch_time: now.as_second().to_string(),
        }
    }
}

/// The keys an `AssumeRole` call puts in its own request context.
#[derive(Clone, Copy, Debug)]
pub struct AssumeCall<'a> {
    /// `sts:RoleSessionName`.
    pub session_name: &'a str,
    /// `sts:ExternalId`, when passed.
    pub external_id: Option<&'a str>,
    /// `sts:SourceIdentity`, passed or carried from the calling session.
    pub source_identity: Option<&'a str>,
    /// Session tags passed: `aws:RequestTag/*`.
    pub tags: &'a Tags,
    /// Their keys: `aws:TagKeys`.
    pub tag_keys: &'a [String],
    /// `sts:TransitiveTagKeys`.
    pub transitive_keys: &'a [String],
    /// True when the call passes an MFA code (`SerialNumber` and
    /// `TokenCode`): the request then carries `aws:MultiFactorAuthPresent`
    /// = `true` and `aws:MultiFactorAuthAge` (STS API reference,
    /// <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>,
    /// "Using MFA with AssumeRole").
    pub mfa: bool,
}

/// The context keys AWS sets itself for a request of `caller` on `target`
/// (README, "Modelling choices"; D30, D33), answered on lookup rather
/// than built: nothing is allocated per request.
#[derive(Clone, Copy)]
pub struct Derived<'a> {
    /// The world, for organization membership.
    pub world: &'a World,
    /// Who calls.
    pub caller: Caller<'a>,
    /// On what.
    pub target: &'a Target<'a>,
    /// When.
    pub clock: &'a Clock,
    /// For an `AssumeRole` call, what it passes.
    pub assume: Option<&'a AssumeCall<'a>>,
    /// The action's service prefix, any case ([`service_of`]).
    pub service: &'a str,
    /// The region the question names (`--region`, `region`), if any.
    pub region: Option<&'a str>,
}

/// The service prefix of an action (`s3` of `s3:GetObject`), as written.
pub fn service_of(action: &str) -> &str {
    action.split_once(':').map_or(action, |(s, _)| s)
}

/// `aws:SecureTransport` of a request the question says nothing of: the
/// AWS CLI and SDKs call HTTPS endpoints ("AWS global condition context
/// keys", <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport>:
/// true when the request was sent over TLS).
pub const SECURE_TRANSPORT: &str = "true";

/// How a question changes a key iamsim gave a value of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetWith {
    /// `--region` (`region` in a scenario file).
    Region,
    /// `--context KEY=VALUE` (`context` in a scenario file).
    Context,
}

/// A key of every real request that the question did not give, with the
/// value iamsim gave it and how to change it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defaulted {
    /// The key, as AWS spells it.
    pub key: &'static str,
    /// The value iamsim gave it.
    pub value: String,
    /// Why that value, in words.
    pub from: &'static str,
    /// How the question can change it; `None` when it cannot.
    pub set_with: Option<SetWith>,
}

fn tag<'t>(tags: &'t Tags, lower_key: &str) -> Option<&'t str> {
    tags.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(lower_key))
        .map(|(_, v)| v.as_str())
}

fn found(v: Option<&str>) -> Found<'_> {
    v.map_or(Found::Absent, Found::One)
}

impl Derived<'_> {
    /// `aws:RequestedRegion` of the request, and where it came from.
    pub fn region(&self) -> (&str, RegionFrom) {
        requested_region(self.world, self.service, self.target, self.region)
    }

    /// The keys of every real request that iamsim gives values of its own
    /// here, those for which `given` (the question's explicit context)
    /// says false: the region unless the question named it, and TLS.
    pub fn defaults(&self, given: &dyn Fn(&str) -> bool) -> Vec<Defaulted> {
        let mut out = Vec::new();
        let (region, from) = self.region();
        if from != RegionFrom::Question && !given("aws:requestedregion") {
            out.push(Defaulted {
                key: "aws:RequestedRegion",
                value: region.to_string(),
                from: from.phrase(),
                set_with: Some(if from == RegionFrom::Global {
                    SetWith::Context
                } else {
                    SetWith::Region
                }),
            });
        }
        if !given("aws:securetransport") {
            out.push(Defaulted {
                key: "aws:SecureTransport",
                value: SECURE_TRANSPORT.to_string(),
                from: "the AWS CLI and SDKs use TLS",
                set_with: Some(SetWith::Context),
            });
        }
        out
    }

    fn in_org(&self, account: &str) -> Option<&str> {
        let org = self.world.organization.as_ref()?;
        let member = org.management_account == account
            || self
                .world
                .accounts
                .get(account)
                .is_some_and(|a| !a.levels.is_empty());
        member.then_some(org.id.as_str())
    }

    /// True when the request is made with MFA: the caller is a session
    /// created with MFA, or the `AssumeRole` call passes an MFA code.
    fn mfa(&self) -> bool {
        let session = matches!(self.caller, Caller::Session(s) if s.mfa);
        session || self.assume.is_some_and(|a| a.mfa)
    }

    fn principal_tag(&self, lower_key: &str) -> Option<&str> {
        match self.caller {
            Caller::User(u) => tag(&u.tags, lower_key),
            Caller::Root { .. } => None,
            // Session tags override the role's tags with the same key (D31).
            Caller::Session(s) => tag(&s.tags, lower_key).or_else(|| tag(&s.role.tags, lower_key)),
        }
    }
}

impl Lookup for Derived<'_> {
    fn lookup(&self, lower_key: &str) -> Found<'_> {
        let session = match self.caller {
            Caller::Session(s) => Some(s),
            _ => None,
        };
        match lower_key {
            "aws:principalarn" => Found::One(self.caller.principal_arn()),
            "aws:principalaccount" => Found::One(self.caller.account()),
            "aws:principalisawsservice" => Found::One("false"),
            "aws:principaltype" => Found::One(match self.caller {
                Caller::User(_) => "User",
                Caller::Root { .. } => "Account",
                Caller::Session(_) => "AssumedRole",
            }),
            "aws:username" => match self.caller {
                Caller::User(u) => Found::One(&u.name),
                _ => Found::Absent,
            },
            "aws:userid" => Found::One(match self.caller {
                Caller::User(u) => &u.unique_id,
                Caller::Root { account, .. } => account,
                Caller::Session(s) => &s.userid,
            }),
            "aws:multifactorauthpresent" if self.mfa() => Found::One("true"),
            "aws:multifactorauthpresent" => found(session.map(|_| "false")),
            // Seconds since the MFA check: the session (or the AssumeRole
            // call's MFA code) is of this run; absent without MFA, as in AWS.
            "aws:multifactorauthage" => found(self.mfa().then_some("0")),
            "aws:tokenissuetime" => found(session.map(|_| self.clock.current_time.as_str())),
            "aws:sourceidentity" => found(session.and_then(|s| s.source_identity.as_deref())),
            "aws:principalorgid" => found(self.in_org(self.caller.account())),
            "aws:resourceorgid" => found(self.in_org(self.target.account)),
            // AWS's pages do not say what an AWS managed policy's
            // aws:ResourceAccount is (its ARN's account field is `aws`):
            // absent, so a decision that rests on it shows it missing.
            "aws:resourceaccount" if self.target.is_aws_managed_policy() => Found::Absent,
            "aws:resourceaccount" => Found::One(self.target.account),
            "aws:currenttime" => Found::One(&self.clock.current_time),
            "aws:epochtime" => Found::One(&self.clock.epoch_time),
            "aws:requestedregion" => Found::One(self.region().0),
            "aws:securetransport" => Found::One(SECURE_TRANSPORT),
            _ => {
                if let Some(k) = lower_key.strip_prefix("aws:principaltag/") {
                    return found(self.principal_tag(k));
                }
                if let Some(k) = lower_key.strip_prefix("aws:resourcetag/") {
                    return found(self.target.tags.and_then(|t| tag(t, k)));
                }
                if let Some(k) = lower_key.strip_prefix("iam:resourcetag/") {
                    return found(
                        self.target
                            .tags
                            .filter(|_| self.target.iam_entity)
                            .and_then(|t| tag(t, k)),
                    );
                }
                let Some(a) = self.assume else {
                    return Found::Absent;
                };
                match lower_key {
                    "sts:rolesessionname" => Found::One(a.session_name),
                    "sts:externalid" => found(a.external_id),
                    "sts:sourceidentity" => found(a.source_identity),
                    "aws:tagkeys" if !a.tag_keys.is_empty() => Found::Set(a.tag_keys),
                    "sts:transitivetagkeys" if !a.transitive_keys.is_empty() => {
                        Found::Set(a.transitive_keys)
                    }
                    _ => match lower_key.strip_prefix("aws:requesttag/") {
                        Some(k) => found(tag(a.tags, k)),
                        None => Found::Absent,
                    },
                }
            }
        }
    }
}

impl Resolve for Derived<'_> {
    fn var(&self, key: &str) -> Option<&str> {
        self.lookup(key).single()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root<'a>() -> Caller<'a> {
        Caller::Root {
            account: "111111111111",
            arn: "arn:aws:iam::111111111111:root",
        }
    }

    fn resource_account(world: &World, target: &Target<'_>) -> Option<String> {
        let clock = Clock::new(jiff::Timestamp::UNIX_EPOCH);
        let derived = Derived {
            world,
            caller: root(),
            target,
            clock: &clock,
            assume: None,
            service: "iam",
            region: None,
        };
        derived
            .lookup("aws:resourceaccount")
            .single()
            .map(str::to_string)
    }

    #[test]
    fn the_account_aws_is_accepted_for_aws_managed_policies_only() {
        let w = World::default();
        let resolve = |arn| resolve_target(&w, "iam", arn, None, "111111111111");
        let policy = resolve("arn:aws:iam::aws:policy/ReadOnlyAccess").unwrap();
        assert_eq!(policy.account, "aws");
        assert!(policy.is_aws_managed_policy());
        assert!(policy.is_same_account("111111111111"));
        assert_eq!(resource_account(&w, &policy), None);
        for bad in [
            "arn:aws:iam::aws:role/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/",
            "arn:aws:kms:us-east-1:aws:key/k",
        ] {
            let err = resolve(bad).unwrap_err();
            assert!(
                err.to_string().contains("not a 12-digit id"),
                "{bad}: {err}"
            );
        }
        let mine = resolve("arn:aws:iam::222222222222:policy/Mine").unwrap();
        assert!(!mine.is_same_account("111111111111"));
        assert_eq!(resource_account(&w, &mine).as_deref(), Some("222222222222"));
    }
}
