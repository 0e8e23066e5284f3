//! The world: the IAM state of one or more accounts, resolved and indexed
//! (README, "Formats"). Every policy is compiled once into an arena
//! and referenced by [`PolicyId`]; principals and resources are indexed by
//! ARN, buckets by name.

pub mod load;
pub mod terraform;

use crate::policy::{Policy, PolicyKind};
/// The maps of a world: Fx hashing, several times faster than SipHash on
/// ARNs; worlds are the user's own input, so flooding is no concern.
pub type Map<K, V> = rustc_hash::FxHashMap<K, V>;

pub use load::{
    Loader, NoFiles, compile_policy_doc, load_world, load_world_node, named_policy, parse_source,
    policy_node,
};

/// Index of a policy in [`World::policies`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyId(pub u32);

/// A compiled policy with the names explanations use.
#[derive(Clone, Debug)]
pub struct PolicyEntry {
    /// The compiled document.
    pub policy: Policy,
    /// Its name: the managed policy ARN, the inline policy name, or a label
    /// such as `SCP #0 of ou-prod`.
    pub name: String,
    /// How it was declared; the kind it is evaluated as comes from where it
    /// is attached (a managed policy can be a boundary).
    pub kind: PolicyKind,
    /// The Terraform resource address it came from, when the world says
    /// (`{"terraform": ADDRESS, ...}`).
    pub terraform: Option<String>,
    /// For a text known only after apply, what it waits for: `ADDRESS
    /// ATTRIBUTE`. `policy` is then the reading that allows everything, and
    /// [`World::deny_reading`] holds the one that denies everything.
    pub unknown: Option<String>,
}

/// A policy attached to a principal, and through what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attached {
    /// The policy.
    pub policy: PolicyId,
    /// The ARN of the user, group or role it is attached to.
    pub owner: String,
    /// `inline`, `managed`, or `boundary`.
    pub how: &'static str,
}

/// Tags, keys unique ignoring case, in declaration order.
pub type Tags = Vec<(String, String)>;

/// An IAM user.
#[derive(Clone, Debug)]
pub struct User {
    /// `arn:aws:iam::ID:user/PATH/NAME`.
    pub arn: String,
    /// The account id.
    pub account: String,
    /// The friendly name (`aws:username`).
    pub name: String,
    /// The unique id (`aws:userid`), derived from the ARN: `AIDA...`.
    pub unique_id: String,
    /// Inline and managed policies of the user and of its groups.
    pub identity: Vec<Attached>,
    /// The permissions boundary.
    pub boundary: Option<Attached>,
    /// The user's tags (`aws:PrincipalTag/*`).
    pub tags: Tags,
}

/// An IAM role.
#[derive(Clone, Debug)]
pub struct Role {
    /// `arn:aws:iam::ID:role/PATH/NAME`.
    pub arn: String,
    /// The account id.
    pub account: String,
    /// The name, without path.
    pub name: String,
    /// The path, `/` by default.
    pub path: String,
    /// The unique id: `AROA...`.
    pub unique_id: String,
    /// The trust policy: the role's resource-based policy.
    pub trust: PolicyId,
    /// Inline and managed permission policies.
    pub identity: Vec<Attached>,
    /// The permissions boundary.
    pub boundary: Option<Attached>,
    /// The role's tags.
    pub tags: Tags,
}

impl Role {
    /// Service-linked roles (path `/aws-service-role/`) are exempt from SCPs
    /// and RCPs (D19, D21; the path convention is a modelling choice, README).
    pub fn is_service_linked(&self) -> bool {
        self.path.starts_with("/aws-service-role/")
    }
}

/// An S3 bucket.
#[derive(Clone, Debug)]
pub struct Bucket {
    /// The bucket name.
    pub name: String,
    /// `arn:aws:s3:::NAME`.
    pub arn: String,
    /// The owning account.
    pub account: String,
    /// The bucket policy.
    pub policy: Option<PolicyId>,
    /// The bucket's tags.
    pub tags: Tags,
    /// Which KMS keys encrypt its objects (SSE-KMS), by key-name prefix
    /// (`""` for the whole bucket), in declaration order.
    pub encryption: Vec<SseKms>,
    /// The bucket's region, when the world gives it: the region of
    /// requests on it unless the question names one (crate::region).
    pub region: Option<String>,
}

/// One SSE-KMS rule of a bucket: objects whose key starts with `prefix`
/// are encrypted with the KMS key `key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseKms {
    /// The object-key prefix, `""` for every object.
    pub prefix: String,
    /// The KMS key ARN, `arn:aws:kms:REGION:ACCOUNT:key/ID`.
    pub key: String,
}

impl Bucket {
    /// The KMS key that encrypts the object `object_key`: the rule with the
    /// longest matching prefix wins; `None` when no rule matches.
    pub fn kms_key_for(&self, object_key: &str) -> Option<&str> {
        self.encryption
            .iter()
            .filter(|e| object_key.starts_with(e.prefix.as_str()))
            .max_by_key(|e| e.prefix.len())
            .map(|e| e.key.as_str())
    }
}

/// Another resource declared by ARN (a KMS key, a queue...).
#[derive(Clone, Debug)]
pub struct Resource {
    /// Its ARN.
    pub arn: String,
    /// The owning account.
    pub account: String,
    /// Its resource-based policy.
    pub policy: Option<PolicyId>,
    /// Its tags.
    pub tags: Tags,
    /// True for a KMS key declared `"aws_managed": true`: a key that an AWS
    /// service created and manages (see [`crate::protection`]).
    pub aws_managed: bool,
}

/// One level of the organization on an account's path: root, an OU, or
/// the account itself.
#[derive(Clone, Debug)]
pub struct OrgLevel {
    /// `root`, the OU id, or `account 111111111111`.
    pub target: String,
    /// SCPs attached; `None` when the level has no `scps` key and so keeps
    /// AWS's default FullAWSAccess.
    pub scps: Option<Vec<PolicyId>>,
    /// Customer RCPs attached beside the undetachable RCPFullAWSAccess.
    pub rcps: Vec<PolicyId>,
}

/// An account.
#[derive(Clone, Debug)]
pub struct Account {
    /// The 12-digit id.
    pub id: String,
    /// Its alias, if given.
    pub alias: Option<String>,
    /// The organization levels from the root down to the account, empty when
    /// the account is outside the organization.
    pub levels: Vec<OrgLevel>,
    /// True for the organization's management account (never restricted by
    /// SCPs or RCPs).
    pub is_management: bool,
}

impl Account {
    /// True when SCPs and RCPs apply to this account.
    pub fn is_restricted_member(&self) -> bool {
        !self.levels.is_empty() && !self.is_management
    }
}

/// The organization.
#[derive(Clone, Debug)]
pub struct Organization {
    /// `o-...`.
    pub id: String,
    /// The management account.
    pub management_account: String,
}

/// A resolved world.
#[derive(Clone, Debug, Default)]
pub struct World {
    /// Every compiled policy.
    pub policies: Vec<PolicyEntry>,
    /// Accounts by id.
    pub accounts: Map<String, Account>,
    /// Users by ARN.
    pub users: Map<String, User>,
    /// Roles by ARN (with path).
    pub roles: Map<String, Role>,
    /// Role ARNs by `ACCOUNT/NAME`, for session ARNs, which omit the path.
    pub role_names: Map<String, String>,
    /// Buckets by name.
    pub buckets: Map<String, Bucket>,
    /// Other resources by ARN.
    pub resources: Map<String, Resource>,
    /// The organization, if any.
    pub organization: Option<Organization>,
    /// The region of requests on resources of no known region
    /// (`default_region`; crate::region).
    pub default_region: Option<String>,
    /// The entries (`ADDRESS ATTRIBUTE`) of users, groups, roles, buckets and
    /// resources known only in part, by ARN: a decision about them is
    /// indeterminate.
    pub unknown_entities: Map<String, Vec<String>>,
    /// When some policy text is known only after apply: the same world with
    /// each such text read as denying everything (this world reads them as
    /// allowing everything).
    pub deny_reading: Option<Box<World>>,
}

impl World {
    /// True when something in the world is known only after apply.
    pub fn has_unknowns(&self) -> bool {
        self.deny_reading.is_some() || !self.unknown_entities.is_empty()
    }

    /// The world with every unknown policy text read as denying
    /// everything; the world itself when it has none.
    pub fn denying(&self) -> &World {
        self.deny_reading.as_deref().unwrap_or(self)
    }

    /// The policy behind an id.
    pub fn policy(&self, id: PolicyId) -> Option<&PolicyEntry> {
        self.policies.get(id.0 as usize)
    }

    /// The role whose name (no path) and account are given, as in a
    /// session ARN `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`.
    pub fn role_by_name(&self, account: &str, name: &str) -> Option<&Role> {
        let arn = self.role_names.get(&format!("{account}/{name}"))?;
        self.roles.get(arn)
    }
}

/// A deterministic AWS-style unique id (`AIDA` + 17 characters) for an
/// entity that the world does not give one.
pub fn unique_id(prefix: &str, arn: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    // FNV-1a over the ARN once, then splitmix64 steps for the characters.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in arn.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = String::with_capacity(prefix.len() + 17);
    out.push_str(prefix);
    for _ in 0..17 {
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let i = usize::try_from(z >> 59).unwrap_or(0);
        out.push(char::from(ALPHABET.get(i).copied().unwrap_or(b'A')));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_ids_are_stable_and_distinct() {
        let a = unique_id("AIDA", "arn:aws:iam::111111111111:user/alice");
        assert_eq!(a.len(), 21);
        assert_eq!(a, unique_id("AIDA", "arn:aws:iam::111111111111:user/alice"));
        assert_ne!(a, unique_id("AIDA", "arn:aws:iam::111111111111:user/bob"));
    }
}
