//! Structure-aware inputs for the `evaluate` target: a small world and one
//! scenario, built with `arbitrary` from small vocabularies (a few
//! accounts, users, roles, buckets, actions, resources, principals and
//! condition operators/keys/values), written out as the JSON of
//! the README's "Formats" so that the real loaders read them.
//!
//! The generator aims at worlds that load: policies get a Principal only
//! where their kind needs one, trust policies get no Resource, references
//! to managed policies pick one the world declares. What still fails to
//! load (a condition value of the wrong type, a duplicate Sid in an SCP...)
//! is skipped and counted by the target.

use arbitrary::Arbitrary;
use serde_json::{Map, Value, json};

/// The accounts of generated worlds (the third only when asked).
pub const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];
const USERS: [&str; 3] = ["alice", "bob", "carol"];
const ROLES: [&str; 3] = ["R1", "R2", "Admin"];
const BUCKETS: [&str; 2] = ["data-b", "data-c"];
const OBJECT_KEYS: [&str; 3] = ["report.csv", "alice/notes.txt", "bob/x"];
const SESSIONS: [&str; 3] = ["s0", "s1", "DevAccess"];
const TAG_KEYS: [&str; 3] = ["team", "project", "env"];
const TAG_VALUES: [&str; 3] = ["data", "prod", "x"];
const ORG_ID: &str = "o-a1b2c3d4e5";
const OUTSIDE_ACCOUNT: &str = "999999999999";
const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

const MAX_ENTITIES: usize = 4;
const MAX_STATEMENTS: usize = 3;
const MAX_LIST: usize = 3;

fn pick<T: Copy>(list: &[T], i: u8) -> T {
    // The lists above are never empty.
    list[usize::from(i) % list.len()]
}

fn capped<T>(v: &[T], n: usize) -> &[T] {
    &v[..v.len().min(n)]
}

/// One or a list: a single element is written as a plain value (both
/// forms are valid IAM JSON).
fn one_or_list(mut v: Vec<Value>) -> Value {
    if v.len() == 1 {
        v.remove(0)
    } else {
        Value::Array(v)
    }
}

/// Where a policy is attached: decides whether it gets a Principal and a
/// Resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Identity,
    Trust,
    Bucket,
    Key,
    Scp,
    Rcp,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum VersionSpec {
    V2012,
    V2008,
    Missing,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum EffectSpec {
    Allow,
    Deny,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ActionSpec {
    S3GetObject,
    S3PutObject,
    S3ListBucket,
    S3Star,
    S3GetStar,
    StsAssumeRole,
    StsTagSession,
    StsSetSourceIdentity,
    StsStar,
    KmsDecrypt,
    IamStar,
    Ec2Describe,
    Star,
}

impl ActionSpec {
    fn text(self) -> &'static str {
        match self {
            ActionSpec::S3GetObject => "s3:GetObject",
            ActionSpec::S3PutObject => "s3:PutObject",
            ActionSpec::S3ListBucket => "s3:ListBucket",
            ActionSpec::S3Star => "s3:*",
            ActionSpec::S3GetStar => "s3:Get*",
            ActionSpec::StsAssumeRole => "sts:AssumeRole",
            ActionSpec::StsTagSession => "sts:TagSession",
            ActionSpec::StsSetSourceIdentity => "sts:SetSourceIdentity",
            ActionSpec::StsStar => "sts:*",
            ActionSpec::KmsDecrypt => "kms:Decrypt",
            ActionSpec::IamStar => "iam:*",
            ActionSpec::Ec2Describe => "ec2:Describe*",
            ActionSpec::Star => "*",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ResourceSpec {
    Star,
    Objects(u8),
    Bucket(u8),
    AllDataBuckets,
    AllObjects,
    UserPrefix(u8),
    Role(u8, u8),
    AnyRole,
    AccountRoles(u8),
    KmsKey(u8),
    User(u8, u8),
}

impl ResourceSpec {
    fn text(self, accounts: &[&str]) -> String {
        match self {
            ResourceSpec::Star => "*".into(),
            ResourceSpec::Objects(b) => format!("arn:aws:s3:::{}/*", pick(&BUCKETS, b)),
            ResourceSpec::Bucket(b) => format!("arn:aws:s3:::{}", pick(&BUCKETS, b)),
            ResourceSpec::AllDataBuckets => "arn:aws:s3:::data-*".into(),
            ResourceSpec::AllObjects => "arn:aws:s3:::*/*".into(),
            ResourceSpec::UserPrefix(b) => {
                format!("arn:aws:s3:::{}/${{aws:username}}/*", pick(&BUCKETS, b))
            }
            ResourceSpec::Role(a, r) => {
                format!(
                    "arn:aws:iam::{}:role/{}",
                    pick(accounts, a),
                    pick(&ROLES, r)
                )
            }
            ResourceSpec::AnyRole => "arn:aws:iam::*:role/*".into(),
            ResourceSpec::AccountRoles(a) => format!("arn:aws:iam::{}:role/*", pick(accounts, a)),
            ResourceSpec::KmsKey(a) => key_arn(pick(accounts, a)),
            ResourceSpec::User(a, u) => {
                format!(
                    "arn:aws:iam::{}:user/{}",
                    pick(accounts, a),
                    pick(&USERS, u)
                )
            }
        }
    }
}

fn key_arn(account: &str) -> String {
    format!("arn:aws:kms:us-east-1:{account}:key/{KEY_ID}")
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum PrincipalSpec {
    Star,
    AnyAws,
    Account(u8),
    Root(u8),
    User(u8, u8),
    Role(u8, u8),
    Session(u8, u8, u8),
    Service,
    Outside,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum SetPrefix {
    None,
    ForAnyValue,
    ForAllValues,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum OpSpec {
    StringEquals,
    StringNotEquals,
    StringLike,
    StringNotLike,
    StringEqualsIgnoreCase,
    ArnLike,
    ArnEquals,
    ArnNotLike,
    Bool,
    Null,
    NumericLessThan,
    NumericGreaterThanEquals,
    DateGreaterThan,
    DateLessThan,
    IpAddress,
    NotIpAddress,
}

const STRING_VALUES: [&str; 12] = [
    "alice",
    "data",
    "111111111111",
    "222222222222",
    ORG_ID,
    "ext-1",
    "${aws:username}",
    "*",
    "prod",
    "R1",
    "src-1",
    "team",
];
const ARN_VALUES: [&str; 6] = [
    "arn:aws:iam::111111111111:role/*",
    "arn:aws:iam::222222222222:user/alice",
    "arn:aws:iam::*:root",
    "arn:aws:sts::111111111111:assumed-role/R1/*",
    "arn:aws:s3:::data-b/*",
    "arn:aws:iam::111111111111:role/${aws:username}",
];
const BOOL_VALUES: [&str; 3] = ["true", "false", "TRUE"];
const NUMERIC_VALUES: [&str; 4] = ["0", "10", "3600", "-1.5"];
const DATE_VALUES: [&str; 4] = [
    "2020-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "1700000000",
    "2100-01-01",
];
const IP_VALUES: [&str; 4] = ["203.0.113.0/24", "10.0.0.0/8", "::/0", "203.0.113.7"];

impl OpSpec {
    fn name(self) -> &'static str {
        match self {
            OpSpec::StringEquals => "StringEquals",
            OpSpec::StringNotEquals => "StringNotEquals",
            OpSpec::StringLike => "StringLike",
            OpSpec::StringNotLike => "StringNotLike",
            OpSpec::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            OpSpec::ArnLike => "ArnLike",
            OpSpec::ArnEquals => "ArnEquals",
            OpSpec::ArnNotLike => "ArnNotLike",
            OpSpec::Bool => "Bool",
            OpSpec::Null => "Null",
            OpSpec::NumericLessThan => "NumericLessThan",
            OpSpec::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            OpSpec::DateGreaterThan => "DateGreaterThan",
            OpSpec::DateLessThan => "DateLessThan",
            OpSpec::IpAddress => "IpAddress",
            OpSpec::NotIpAddress => "NotIpAddress",
        }
    }

    /// The values that make sense for the operator's family.
    fn values(self) -> &'static [&'static str] {
        match self {
            OpSpec::StringEquals
            | OpSpec::StringNotEquals
            | OpSpec::StringLike
            | OpSpec::StringNotLike
            | OpSpec::StringEqualsIgnoreCase => &STRING_VALUES,
            OpSpec::ArnLike | OpSpec::ArnEquals | OpSpec::ArnNotLike => &ARN_VALUES,
            OpSpec::Bool | OpSpec::Null => &BOOL_VALUES,
            OpSpec::NumericLessThan | OpSpec::NumericGreaterThanEquals => &NUMERIC_VALUES,
            OpSpec::DateGreaterThan | OpSpec::DateLessThan => &DATE_VALUES,
            OpSpec::IpAddress | OpSpec::NotIpAddress => &IP_VALUES,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum KeySpec {
    PrincipalArn,
    PrincipalAccount,
    Username,
    UserId,
    PrincipalType,
    PrincipalTagTeam,
    ResourceTagTeam,
    RequestTagProject,
    TagKeys,
    SourceIp,
    Mfa,
    PrincipalOrgId,
    ExternalId,
    CurrentTime,
    EpochTime,
    SecureTransport,
    S3Prefix,
    ResourceAccount,
    SourceIdentity,
    StsSourceIdentity,
    MfaAge,
}

impl KeySpec {
    fn text(self) -> &'static str {
        match self {
            KeySpec::PrincipalArn => "aws:PrincipalArn",
            KeySpec::PrincipalAccount => "aws:PrincipalAccount",
            KeySpec::Username => "aws:username",
            KeySpec::UserId => "aws:userid",
            KeySpec::PrincipalType => "aws:PrincipalType",
            KeySpec::PrincipalTagTeam => "aws:PrincipalTag/team",
            KeySpec::ResourceTagTeam => "aws:ResourceTag/team",
            KeySpec::RequestTagProject => "aws:RequestTag/project",
            KeySpec::TagKeys => "aws:TagKeys",
            KeySpec::SourceIp => "aws:SourceIp",
            KeySpec::Mfa => "aws:MultiFactorAuthPresent",
            KeySpec::PrincipalOrgId => "aws:PrincipalOrgID",
            KeySpec::ExternalId => "sts:ExternalId",
            KeySpec::CurrentTime => "aws:CurrentTime",
            KeySpec::EpochTime => "aws:EpochTime",
            KeySpec::SecureTransport => "aws:SecureTransport",
            KeySpec::S3Prefix => "s3:prefix",
            KeySpec::ResourceAccount => "aws:ResourceAccount",
            KeySpec::SourceIdentity => "aws:SourceIdentity",
            KeySpec::StsSourceIdentity => "sts:SourceIdentity",
            KeySpec::MfaAge => "aws:MultiFactorAuthAge",
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
struct CondSpec {
    prefix: SetPrefix,
    op: OpSpec,
    if_exists: bool,
    key: KeySpec,
    values: Vec<u8>,
    /// Bool values as JSON booleans rather than strings.
    json_bool: bool,
}

#[derive(Arbitrary, Debug, Clone)]
struct StatementSpec {
    sid: Option<u8>,
    effect: EffectSpec,
    not_action: bool,
    actions: Vec<ActionSpec>,
    not_resource: bool,
    resources: Vec<ResourceSpec>,
    not_principal: bool,
    principals: Vec<PrincipalSpec>,
    conditions: Vec<CondSpec>,
}

/// A policy document.
#[derive(Arbitrary, Debug, Clone)]
pub struct PolicySpec {
    version: VersionSpec,
    statements: Vec<StatementSpec>,
    /// `Statement` as a single object rather than a list.
    single: bool,
}

impl PolicySpec {
    /// The document as JSON, for a policy attached as `kind`.
    pub fn to_json(&self, kind: Kind, accounts: &[&str]) -> Value {
        let mut doc = Map::new();
        match self.version {
            VersionSpec::V2012 => {
                doc.insert("Version".into(), "2012-10-17".into());
            }
            VersionSpec::V2008 => {
                doc.insert("Version".into(), "2008-10-17".into());
            }
            VersionSpec::Missing => {}
        }
        let mut stmts: Vec<Value> = capped(&self.statements, MAX_STATEMENTS)
            .iter()
            .enumerate()
            .map(|(i, s)| s.to_json(kind, accounts, i))
            .collect();
        if stmts.is_empty() {
            stmts.push(default_statement(kind));
        }
        let statement = if self.single && stmts.len() == 1 {
            stmts.remove(0)
        } else {
            Value::Array(stmts)
        };
        doc.insert("Statement".into(), statement);
        Value::Object(doc)
    }
}

fn default_statement(kind: Kind) -> Value {
    match kind {
        Kind::Trust => json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}),
        Kind::Bucket | Kind::Key | Kind::Rcp => {
            json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
        }
        Kind::Identity | Kind::Scp => json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    }
}

impl StatementSpec {
    fn to_json(&self, kind: Kind, accounts: &[&str], index: usize) -> Value {
        let mut st = Map::new();
        if let Some(n) = self.sid {
            // SCP and RCP Sids must be unique in their policy.
            let sid = if matches!(kind, Kind::Scp | Kind::Rcp) {
                format!("S{}x{index}", n % 4)
            } else {
                format!("S{}", n % 4)
            };
            st.insert("Sid".into(), sid.into());
        }
        let effect = match self.effect {
            EffectSpec::Allow => "Allow",
            EffectSpec::Deny => "Deny",
        };
        st.insert("Effect".into(), effect.into());
        let mut actions: Vec<Value> = capped(&self.actions, MAX_LIST)
            .iter()
            .map(|a| Value::from(a.text()))
            .collect();
        if actions.is_empty() {
            let default = if kind == Kind::Trust {
                "sts:AssumeRole"
            } else {
                "s3:GetObject"
            };
            actions.push(default.into());
        }
        let akey = if self.not_action {
            "NotAction"
        } else {
            "Action"
        };
        st.insert(akey.into(), one_or_list(actions));
        if kind != Kind::Trust {
            let mut res: Vec<Value> = capped(&self.resources, MAX_LIST)
                .iter()
                .map(|r| Value::from(r.text(accounts)))
                .collect();
            if res.is_empty() {
                res.push("*".into());
            }
            let rkey = if self.not_resource {
                "NotResource"
            } else {
                "Resource"
            };
            st.insert(rkey.into(), one_or_list(res));
        }
        match kind {
            Kind::Identity | Kind::Scp => {}
            Kind::Rcp => {
                st.insert("Principal".into(), "*".into());
            }
            Kind::Trust | Kind::Bucket | Kind::Key => {
                let negate = self.not_principal && kind != Kind::Trust;
                let pkey = if negate { "NotPrincipal" } else { "Principal" };
                st.insert(
                    pkey.into(),
                    principal_json(capped(&self.principals, MAX_LIST), accounts),
                );
            }
        }
        if !self.conditions.is_empty() {
            let mut cond: Map<String, Value> = Map::new();
            for c in capped(&self.conditions, 2) {
                let prefix = match c.prefix {
                    SetPrefix::None => "",
                    SetPrefix::ForAnyValue => "ForAnyValue:",
                    SetPrefix::ForAllValues => "ForAllValues:",
                };
                let if_exists = if c.if_exists && !matches!(c.op, OpSpec::Null) {
                    "IfExists"
                } else {
                    ""
                };
                let op = format!("{prefix}{}{if_exists}", c.op.name());
                let vocab = c.op.values();
                let mut values: Vec<Value> = capped(&c.values, MAX_LIST)
                    .iter()
                    .map(|&v| {
                        let s = pick(vocab, v);
                        if c.json_bool && (s == "true" || s == "false") {
                            Value::Bool(s == "true")
                        } else {
                            Value::from(s)
                        }
                    })
                    .collect();
                if values.is_empty() {
                    values.push(Value::from(pick(vocab, 0)));
                }
                let block = cond.entry(op).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(b) = block {
                    b.insert(c.key.text().into(), one_or_list(values));
                }
            }
            st.insert("Condition".into(), Value::Object(cond));
        }
        Value::Object(st)
    }
}

fn principal_json(ps: &[PrincipalSpec], accounts: &[&str]) -> Value {
    let mut aws = Vec::new();
    let mut service = Vec::new();
    for p in ps {
        match *p {
            PrincipalSpec::Star => return "*".into(),
            PrincipalSpec::AnyAws => aws.push("*".to_string()),
            PrincipalSpec::Account(a) => aws.push(pick(accounts, a).to_string()),
            PrincipalSpec::Root(a) => aws.push(format!("arn:aws:iam::{}:root", pick(accounts, a))),
            PrincipalSpec::User(a, u) => aws.push(format!(
                "arn:aws:iam::{}:user/{}",
                pick(accounts, a),
                pick(&USERS, u)
            )),
            PrincipalSpec::Role(a, r) => aws.push(format!(
                "arn:aws:iam::{}:role/{}",
                pick(accounts, a),
                pick(&ROLES, r)
            )),
            PrincipalSpec::Session(a, r, s) => aws.push(format!(
                "arn:aws:sts::{}:assumed-role/{}/{}",
                pick(accounts, a),
                pick(&ROLES, r),
                pick(&SESSIONS, s)
            )),
            PrincipalSpec::Service => service.push("ec2.amazonaws.com".to_string()),
            PrincipalSpec::Outside => aws.push(format!("arn:aws:iam::{OUTSIDE_ACCOUNT}:root")),
        }
    }
    if aws.is_empty() && service.is_empty() {
        return "*".into();
    }
    let mut m = Map::new();
    if !aws.is_empty() {
        m.insert(
            "AWS".into(),
            one_or_list(aws.into_iter().map(Value::from).collect()),
        );
    }
    if !service.is_empty() {
        m.insert(
            "Service".into(),
            one_or_list(service.into_iter().map(Value::from).collect()),
        );
    }
    Value::Object(m)
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct TagSpec {
    key: u8,
    value: u8,
}

fn tags_json(tags: &[TagSpec]) -> Value {
    let mut m = Map::new();
    for t in capped(tags, MAX_LIST) {
        m.insert(
            pick(&TAG_KEYS, t.key).into(),
            pick(&TAG_VALUES, t.value).into(),
        );
    }
    Value::Object(m)
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum AwsManaged {
    AdministratorAccess,
    AmazonS3ReadOnlyAccess,
    IamReadOnlyAccess,
    PowerUserAccess,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ManagedRef {
    /// One of the world's customer managed policies, by index.
    Customer(u8),
    /// The same, by its ARN.
    CustomerArn(u8),
    Aws(AwsManaged),
}

#[derive(Arbitrary, Debug, Clone)]
enum BoundarySpec {
    Managed(ManagedRef),
    Document(PolicySpec),
    Null,
}

#[derive(Arbitrary, Debug, Clone)]
struct ManagedSpec {
    account: u8,
    name: u8,
    policy: PolicySpec,
}

#[derive(Arbitrary, Debug, Clone)]
struct UserSpec {
    account: u8,
    name: u8,
    inline: Vec<PolicySpec>,
    managed: Vec<ManagedRef>,
    boundary: Option<BoundarySpec>,
    tags: Vec<TagSpec>,
}

#[derive(Arbitrary, Debug, Clone)]
struct RoleSpec {
    account: u8,
    name: u8,
    with_path: bool,
    trust: PolicySpec,
    inline: Vec<PolicySpec>,
    managed: Vec<ManagedRef>,
    boundary: Option<BoundarySpec>,
    tags: Vec<TagSpec>,
}

#[derive(Arbitrary, Debug, Clone)]
struct BucketSpec {
    account: u8,
    name: u8,
    policy: Option<PolicySpec>,
    tags: Vec<TagSpec>,
    encrypted: bool,
}

#[derive(Arbitrary, Debug, Clone)]
struct KeySpecRes {
    account: u8,
    policy: PolicySpec,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Membership {
    Outside,
    Root,
    OuProd,
    OuDev,
}

#[derive(Arbitrary, Debug, Clone)]
struct OrgSpec {
    /// An account of the world (by index) or, past them, one outside it.
    management: u8,
    membership: [Membership; 3],
    root_scps: Option<Vec<PolicySpec>>,
    root_rcps: Vec<PolicySpec>,
    prod_scps: Option<Vec<PolicySpec>>,
    dev_scps: Option<Vec<PolicySpec>>,
    dev_under_prod: bool,
    account_scps: [Option<Vec<PolicySpec>>; 3],
}

/// A world: 2 or 3 accounts, their principals, buckets, a KMS key and an
/// optional organization.
#[derive(Arbitrary, Debug, Clone)]
pub struct WorldSpec {
    three_accounts: bool,
    org: Option<OrgSpec>,
    managed: Vec<ManagedSpec>,
    users: Vec<UserSpec>,
    roles: Vec<RoleSpec>,
    buckets: Vec<BucketSpec>,
    key: Option<KeySpecRes>,
}

/// What the scenario generator needs to know of the world it was made for.
#[derive(Debug, Default)]
pub struct Names {
    users: Vec<String>,
    roles: Vec<String>,
    buckets: Vec<&'static str>,
}

fn scp_list(list: &[PolicySpec], kind: Kind, accounts: &[&str]) -> Value {
    Value::Array(
        capped(list, 2)
            .iter()
            .map(|p| p.to_json(kind, accounts))
            .collect(),
    )
}

impl WorldSpec {
    /// The accounts of this world.
    pub fn accounts(&self) -> &'static [&'static str] {
        if self.three_accounts {
            &ACCOUNTS
        } else {
            &ACCOUNTS[..2]
        }
    }

    /// The world file, and the ARNs of its users and roles.
    pub fn to_json(&self) -> (Value, Names) {
        let accounts = self.accounts();
        let mut names = Names::default();
        let mut accts: Map<String, Value> = Map::new();
        for a in accounts {
            accts.insert((*a).into(), Value::Object(Map::new()));
        }
        fn account_in<'m>(
            accts: &'m mut Map<String, Value>,
            accounts: &[&'static str],
            i: u8,
        ) -> (&'static str, &'m mut Map<String, Value>) {
            let id = pick(accounts, i);
            let Some(Value::Object(m)) = accts.get_mut(id) else {
                unreachable!("every account was inserted above")
            };
            (id, m)
        }
        fn section<'m>(m: &'m mut Map<String, Value>, key: &str) -> &'m mut Map<String, Value> {
            let v = m
                .entry(key.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            match v {
                Value::Object(o) => o,
                _ => unreachable!("sections are objects"),
            }
        }

        // Customer managed policies, by (account, name).
        let mut managed: Vec<(String, String)> = Vec::new();
        for m in capped(&self.managed, 3) {
            let (id, acct) = account_in(&mut accts, accounts, m.account);
            let name = format!("P{}", m.name % 3);
            section(acct, "policies")
                .insert(name.clone(), m.policy.to_json(Kind::Identity, accounts));
            if !managed.contains(&(id.to_string(), name.clone())) {
                managed.push((id.to_string(), name));
            }
        }
        let managed_ref = |r: ManagedRef, owner: &str| -> Option<Value> {
            match r {
                ManagedRef::Aws(a) => {
                    let name = match a {
                        AwsManaged::AdministratorAccess => "AdministratorAccess",
                        AwsManaged::AmazonS3ReadOnlyAccess => "AmazonS3ReadOnlyAccess",
                        AwsManaged::IamReadOnlyAccess => "IAMReadOnlyAccess",
                        AwsManaged::PowerUserAccess => "PowerUserAccess",
                    };
                    Some(format!("arn:aws:iam::aws:policy/{name}").into())
                }
                ManagedRef::Customer(i) | ManagedRef::CustomerArn(i) => {
                    if managed.is_empty() {
                        return None;
                    }
                    let (acct, name) = &managed[usize::from(i) % managed.len()];
                    let by_name = matches!(r, ManagedRef::Customer(_)) && acct == owner;
                    Some(if by_name {
                        name.clone().into()
                    } else {
                        format!("arn:aws:iam::{acct}:policy/{name}").into()
                    })
                }
            }
        };
        let boundary = |b: &BoundarySpec, owner: &str| -> Option<Value> {
            match b {
                BoundarySpec::Managed(r) => managed_ref(*r, owner),
                BoundarySpec::Document(p) => Some(p.to_json(Kind::Identity, accounts)),
                BoundarySpec::Null => Some(Value::Null),
            }
        };

        for u in capped(&self.users, MAX_ENTITIES) {
            let (id, acct) = account_in(&mut accts, accounts, u.account);
            let name = pick(&USERS, u.name);
            let mut user = Map::new();
            let mut inline = Map::new();
            for (i, p) in capped(&u.inline, 2).iter().enumerate() {
                inline.insert(format!("inline{i}"), p.to_json(Kind::Identity, accounts));
            }
            if !inline.is_empty() {
                user.insert("inline_policies".into(), Value::Object(inline));
            }
            let refs: Vec<Value> = capped(&u.managed, 2)
                .iter()
                .filter_map(|r| managed_ref(*r, id))
                .collect();
            if !refs.is_empty() {
                user.insert("managed_policies".into(), Value::Array(refs));
            }
            if let Some(b) = u.boundary.as_ref().and_then(|b| boundary(b, id)) {
                user.insert("permissions_boundary".into(), b);
            }
            if !u.tags.is_empty() {
                user.insert("tags".into(), tags_json(&u.tags));
            }
            section(acct, "users").insert(name.into(), Value::Object(user));
            let arn = format!("arn:aws:iam::{id}:user/{name}");
            if !names.users.contains(&arn) {
                names.users.push(arn);
            }
        }
        for r in capped(&self.roles, MAX_ENTITIES) {
            let (id, acct) = account_in(&mut accts, accounts, r.account);
            let name = pick(&ROLES, r.name);
            let mut role = Map::new();
            let path = if r.with_path { "/team/" } else { "/" };
            if r.with_path {
                role.insert("path".into(), path.into());
            }
            role.insert(
                "trust_policy".into(),
                r.trust.to_json(Kind::Trust, accounts),
            );
            let mut inline = Map::new();
            for (i, p) in capped(&r.inline, 2).iter().enumerate() {
                inline.insert(format!("inline{i}"), p.to_json(Kind::Identity, accounts));
            }
            if !inline.is_empty() {
                role.insert("inline_policies".into(), Value::Object(inline));
            }
            let refs: Vec<Value> = capped(&r.managed, 2)
                .iter()
                .filter_map(|m| managed_ref(*m, id))
                .collect();
            if !refs.is_empty() {
                role.insert("managed_policies".into(), Value::Array(refs));
            }
            if let Some(b) = r.boundary.as_ref().and_then(|b| boundary(b, id)) {
                role.insert("permissions_boundary".into(), b);
            }
            if !r.tags.is_empty() {
                role.insert("tags".into(), tags_json(&r.tags));
            }
            // A role redeclared under the same name replaces the first.
            let roles = section(acct, "roles");
            let prefix = format!("arn:aws:iam::{id}:role/");
            names
                .roles
                .retain(|a| !(a.starts_with(&prefix) && a.rsplit('/').next() == Some(name)));
            roles.insert(name.into(), Value::Object(role));
            names
                .roles
                .push(format!("arn:aws:iam::{id}:role{path}{name}"));
        }
        // Every world has a user and a role to play with: alice and R1 of
        // the first account (R1 trusts the second account) unless the
        // input declared some.
        if names.users.is_empty() {
            let (id, acct) = account_in(&mut accts, accounts, 0);
            section(acct, "users").insert("alice".into(), json!({}));
            names.users.push(format!("arn:aws:iam::{id}:user/alice"));
        }
        if names.roles.is_empty() {
            let (id, acct) = account_in(&mut accts, accounts, 0);
            let trust = json!({
                "Version": "2012-10-17",
                "Statement": {"Effect": "Allow", "Principal": {"AWS": accounts[1]}, "Action": "sts:AssumeRole"},
            });
            section(acct, "roles").insert("R1".into(), json!({"trust_policy": trust}));
            names.roles.push(format!("arn:aws:iam::{id}:role/R1"));
        }
        let mut declared_buckets: Vec<&str> = Vec::new();
        let key_account = self.key.as_ref().map(|k| pick(accounts, k.account));
        for b in capped(&self.buckets, 2) {
            let name = pick(&BUCKETS, b.name);
            if declared_buckets.contains(&name) {
                // Bucket names are global: declare each once.
                continue;
            }
            declared_buckets.push(name);
            names.buckets.push(name);
            let (_, acct) = account_in(&mut accts, accounts, b.account);
            let mut bucket = Map::new();
            if let Some(p) = &b.policy {
                bucket.insert("policy".into(), p.to_json(Kind::Bucket, accounts));
            }
            if !b.tags.is_empty() {
                bucket.insert("tags".into(), tags_json(&b.tags));
            }
            // An SSE-KMS key must be declared in the world, so only a world
            // with a key encrypts buckets.
            if let Some(ka) = key_account.filter(|_| b.encrypted) {
                bucket.insert("encryption".into(), json!({"kms_key": key_arn(ka)}));
            }
            section(acct, "buckets").insert(name.into(), Value::Object(bucket));
        }
        if names.buckets.is_empty() {
            let (_, acct) = account_in(&mut accts, accounts, 0);
            section(acct, "buckets").insert(BUCKETS[0].into(), json!({}));
            names.buckets.push(BUCKETS[0]);
        }
        if let Some(k) = &self.key {
            let (id, acct) = account_in(&mut accts, accounts, k.account);
            section(acct, "resources").insert(
                key_arn(id),
                json!({"policy": k.policy.to_json(Kind::Key, accounts)}),
            );
        }

        let mut world = Map::new();
        if let Some(org) = &self.org {
            let management = usize::from(org.management) % (accounts.len() + 1);
            let management = accounts.get(management).copied().unwrap_or(OUTSIDE_ACCOUNT);
            let mut root = Map::new();
            if let Some(s) = &org.root_scps {
                root.insert("scps".into(), scp_list(s, Kind::Scp, accounts));
            }
            if !org.root_rcps.is_empty() {
                root.insert("rcps".into(), scp_list(&org.root_rcps, Kind::Rcp, accounts));
            }
            let mut prod = Map::new();
            prod.insert("parent".into(), "root".into());
            if let Some(s) = &org.prod_scps {
                prod.insert("scps".into(), scp_list(s, Kind::Scp, accounts));
            }
            let mut dev = Map::new();
            let parent = if org.dev_under_prod {
                "ou-prod"
            } else {
                "root"
            };
            dev.insert("parent".into(), parent.into());
            if let Some(s) = &org.dev_scps {
                dev.insert("scps".into(), scp_list(s, Kind::Scp, accounts));
            }
            world.insert(
                "organization".into(),
                json!({
                    "id": ORG_ID,
                    "management_account": management,
                    "root": Value::Object(root),
                    "ous": {"ou-prod": Value::Object(prod), "ou-dev": Value::Object(dev)},
                }),
            );
            for (i, id) in accounts.iter().enumerate() {
                let ou = match org.membership[i] {
                    Membership::Outside => continue,
                    Membership::Root => "root",
                    Membership::OuProd => "ou-prod",
                    Membership::OuDev => "ou-dev",
                };
                if let Some(Value::Object(acct)) = accts.get_mut(*id) {
                    acct.insert("ou".into(), ou.into());
                    if let Some(s) = &org.account_scps[i] {
                        acct.insert("scps".into(), scp_list(s, Kind::Scp, accounts));
                    }
                }
            }
        }
        world.insert("accounts".into(), Value::Object(accts));
        (Value::Object(world), names)
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Who {
    User(u8),
    Role(u8),
    Session(u8, u8),
    Root(u8),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum CtxValue {
    Str(u8),
    Ip(u8),
    Date(u8),
    Bool(bool),
    Number(u8),
    List(u8, u8),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct CtxSpec {
    key: KeySpec,
    value: CtxValue,
}

fn context_json(ctx: &[CtxSpec]) -> Value {
    let mut m = Map::new();
    for c in capped(ctx, MAX_LIST) {
        let v = match c.value {
            CtxValue::Str(i) => Value::from(pick(&STRING_VALUES, i)),
            CtxValue::Ip(i) => Value::from(pick(&IP_VALUES, i)),
            CtxValue::Date(i) => Value::from(pick(&DATE_VALUES, i)),
            CtxValue::Bool(b) => Value::Bool(b),
            CtxValue::Number(n) => Value::from(u64::from(n)),
            CtxValue::List(a, b) => json!([pick(&TAG_KEYS, a), pick(&TAG_KEYS, b)]),
        };
        m.insert(c.key.text().into(), v);
    }
    Value::Object(m)
}

#[derive(Arbitrary, Debug, Clone)]
struct SessionSpec {
    policy: Option<PolicySpec>,
    tags: Vec<TagSpec>,
    transitive: Vec<u8>,
    source_identity: Option<u8>,
}

impl SessionSpec {
    fn fill(&self, m: &mut Map<String, Value>, accounts: &[&str]) {
        if let Some(p) = &self.policy {
            m.insert("session_policy".into(), p.to_json(Kind::Identity, accounts));
        }
        let tags = capped(&self.tags, 2);
        if !tags.is_empty() {
            m.insert("session_tags".into(), tags_json(tags));
            let keys: Vec<Value> = capped(&self.transitive, 2)
                .iter()
                .filter_map(|&i| tags.get(usize::from(i) % tags.len()))
                .map(|t| Value::from(pick(&TAG_KEYS, t.key)))
                .collect();
            if !keys.is_empty() {
                m.insert("transitive_tag_keys".into(), Value::Array(keys));
            }
        }
        if let Some(s) = self.source_identity {
            m.insert(
                "source_identity".into(),
                pick(&["src-1", "src-2"], s).into(),
            );
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
struct AssumeSpec {
    role: u8,
    session_name: u8,
    external_id: Option<bool>,
    session: SessionSpec,
    context: Vec<CtxSpec>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ReqAction {
    S3GetObject,
    S3PutObject,
    S3ListBucket,
    S3DeleteObject,
    KmsDecrypt,
    IamListUsers,
    Ec2DescribeInstances,
    StsGetCallerIdentity,
    StsAssumeRole,
}

impl ReqAction {
    fn text(self) -> &'static str {
        match self {
            ReqAction::S3GetObject => "s3:GetObject",
            ReqAction::S3PutObject => "s3:PutObject",
            ReqAction::S3ListBucket => "s3:ListBucket",
            ReqAction::S3DeleteObject => "s3:DeleteObject",
            ReqAction::KmsDecrypt => "kms:Decrypt",
            ReqAction::IamListUsers => "iam:ListUsers",
            ReqAction::Ec2DescribeInstances => "ec2:DescribeInstances",
            ReqAction::StsGetCallerIdentity => "sts:GetCallerIdentity",
            ReqAction::StsAssumeRole => "sts:AssumeRole",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ReqResource {
    Object(u8, u8),
    Bucket(u8),
    UnknownBucketObject,
    Role(u8),
    Star,
    KmsKey(u8),
    User(u8),
}

impl ReqResource {
    /// The request's resource ARN in a world with `names`.
    fn text(self, names: &Names, accounts: &[&str]) -> String {
        // A bucket of the world when it has some (else its owner is unknown).
        let bucket = |b: u8| -> &str {
            if names.buckets.is_empty() {
                pick(&BUCKETS, b)
            } else {
                names.buckets[usize::from(b) % names.buckets.len()]
            }
        };
        match self {
            ReqResource::Object(b, k) => {
                format!("arn:aws:s3:::{}/{}", bucket(b), pick(&OBJECT_KEYS, k))
            }
            ReqResource::Bucket(b) => format!("arn:aws:s3:::{}", bucket(b)),
            ReqResource::UnknownBucketObject => "arn:aws:s3:::other-bucket/k".into(),
            ReqResource::Role(i) => pick_name(&names.roles, i)
                .map_or_else(|| format!("arn:aws:iam::{}:role/R1", accounts[0]), str::to_string),
            ReqResource::Star => "*".into(),
            ReqResource::KmsKey(a) => key_arn(pick(accounts, a)),
            ReqResource::User(i) => pick_name(&names.users, i)
                .map_or_else(|| format!("arn:aws:iam::{}:user/alice", accounts[0]), str::to_string),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
struct ActionStepSpec {
    action: ReqAction,
    resource: ReqResource,
    resource_account: Option<u8>,
    /// Give `resource_account` even where the world knows the owner (it
    /// may contradict it: an error).
    force_account: bool,
    context: Vec<CtxSpec>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ExpectSpec {
    Allow,
    Deny,
    ImplicitDeny,
    ExplicitDeny,
}

/// One scenario: a principal, up to three `assume_role` steps, then one
/// or two action steps.
#[derive(Arbitrary, Debug, Clone)]
pub struct ScenarioSpec {
    who: Who,
    session: Option<SessionSpec>,
    mfa: Option<bool>,
    file_context: Vec<CtxSpec>,
    context: Vec<CtxSpec>,
    assumes: Vec<AssumeSpec>,
    actions: Vec<ActionStepSpec>,
    expect: ExpectSpec,
}

fn pick_name(list: &[String], i: u8) -> Option<&str> {
    if list.is_empty() {
        None
    } else {
        Some(&list[usize::from(i) % list.len()])
    }
}

impl ScenarioSpec {
    /// The scenario file (without its world) for a world with `names`.
    pub fn to_json(&self, names: &Names, accounts: &[&str]) -> Value {
        let fallback_user = format!("arn:aws:iam::{}:user/alice", accounts[0]);
        let fallback_role = format!("arn:aws:iam::{}:role/R1", accounts[0]);
        let role_of = |i: u8| -> String {
            pick_name(&names.roles, i)
                .unwrap_or(&fallback_role)
                .to_string()
        };
        let mut sc = Map::new();
        sc.insert("name".into(), "generated".into());
        let (principal, is_session) = match self.who {
            Who::User(i) => (
                pick_name(&names.users, i)
                    .unwrap_or(&fallback_user)
                    .to_string(),
                false,
            ),
            Who::Role(i) => (role_of(i), true),
            Who::Session(i, s) => {
                // arn:aws:iam::ACCT:role/PATH/NAME -> assumed-role/NAME/SESSION
                let role = role_of(i);
                let account = role.split(':').nth(4).unwrap_or(accounts[0]).to_string();
                let name = role.rsplit('/').next().unwrap_or("R1").to_string();
                (
                    format!(
                        "arn:aws:sts::{account}:assumed-role/{name}/{}",
                        pick(&SESSIONS, s)
                    ),
                    true,
                )
            }
            Who::Root(a) => (format!("arn:aws:iam::{}:root", pick(accounts, a)), false),
        };
        sc.insert("principal".into(), principal.into());
        if is_session {
            if let Some(s) = &self.session {
                s.fill(&mut sc, accounts);
            }
            if let Some(m) = self.mfa {
                sc.insert("mfa".into(), m.into());
            }
        }
        if !self.context.is_empty() {
            sc.insert("context".into(), context_json(&self.context));
        }
        let mut steps = Vec::new();
        for a in capped(&self.assumes, 3) {
            let mut st = Map::new();
            st.insert("assume_role".into(), role_of(a.role).into());
            st.insert(
                "session_name".into(),
                pick(&SESSIONS, a.session_name).into(),
            );
            if let Some(good) = a.external_id {
                st.insert(
                    "external_id".into(),
                    if good { "ext-1" } else { "wrong" }.into(),
                );
            }
            a.session.fill(&mut st, accounts);
            if !a.context.is_empty() {
                st.insert("context".into(), context_json(&a.context));
            }
            steps.push(Value::Object(st));
        }
        let mut actions = capped(&self.actions, 2).to_vec();
        if actions.is_empty() {
            actions.push(ActionStepSpec {
                action: ReqAction::S3GetObject,
                resource: ReqResource::Object(0, 0),
                resource_account: None,
                force_account: false,
                context: Vec::new(),
            });
        }
        for a in &actions {
            let mut st = Map::new();
            st.insert("action".into(), a.action.text().into());
            let resource = a.resource.text(names, accounts);
            st.insert("resource".into(), resource.into());
            let unknown_owner = matches!(a.resource, ReqResource::UnknownBucketObject);
            if let Some(ra) = a
                .resource_account
                .filter(|_| unknown_owner || a.force_account)
            {
                st.insert("resource_account".into(), pick(accounts, ra).into());
            }
            if !a.context.is_empty() {
                st.insert("context".into(), context_json(&a.context));
            }
            steps.push(Value::Object(st));
        }
        sc.insert("steps".into(), Value::Array(steps));
        let expect = match self.expect {
            ExpectSpec::Allow => "allow",
            ExpectSpec::Deny => "deny",
            ExpectSpec::ImplicitDeny => "implicit_deny",
            ExpectSpec::ExplicitDeny => "explicit_deny",
        };
        sc.insert("expect".into(), expect.into());
        let mut file = Map::new();
        if !self.file_context.is_empty() {
            file.insert("context".into(), context_json(&self.file_context));
        }
        file.insert("scenarios".into(), json!([Value::Object(sc)]));
        Value::Object(file)
    }
}

/// The whole input of the `evaluate` target.
#[derive(Arbitrary, Debug, Clone)]
pub struct Input {
    /// The world.
    pub world: WorldSpec,
    /// The scenario played in it.
    pub scenario: ScenarioSpec,
}

/// A request asked of the access analyses (`who_can`, `what_can`): the
/// action and resource vocabularies of the scenario steps above.
#[derive(Arbitrary, Debug, Clone)]
pub struct RequestSpec {
    action: ReqAction,
    resource: ReqResource,
    /// Used only for a resource the world does not own (another bucket).
    resource_account: Option<u8>,
}

/// A request of [`RequestSpec`], resolved in one world.
#[derive(Debug, Clone)]
pub struct Request {
    /// `service:Action`.
    pub action: &'static str,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// The owner given for a resource the world does not declare.
    pub resource_account: Option<&'static str>,
    /// `arn:aws:s3:::NAME/*` when the resource is an object of bucket NAME.
    pub objects: Option<String>,
}

impl RequestSpec {
    /// The request in a world with `names` and `accounts`.
    pub fn resolve(&self, names: &Names, accounts: &'static [&'static str]) -> Request {
        let resource = self.resource.text(names, accounts);
        let resource_account = self
            .resource_account
            .filter(|_| matches!(self.resource, ReqResource::UnknownBucketObject))
            .map(|a| pick(accounts, a));
        let objects = match self.resource {
            ReqResource::Object(..) | ReqResource::UnknownBucketObject => resource
                .strip_prefix("arn:aws:s3:::")
                .and_then(|r| r.split_once('/'))
                .map(|(b, _)| format!("arn:aws:s3:::{b}/*")),
            _ => None,
        };
        Request {
            action: self.action.text(),
            resource,
            resource_account,
            objects,
        }
    }
}

impl Names {
    /// The ARNs of the world's users (never empty after `to_json`).
    pub fn users(&self) -> &[String] {
        &self.users
    }

    /// A user of the world, by index.
    pub fn user(&self, i: u8) -> Option<&str> {
        pick_name(&self.users, i)
    }
}

/// The fixed request keys of the second `who_can` run.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct FixedSpec {
    /// `aws:MultiFactorAuthPresent`.
    pub mfa: bool,
    external_id: bool,
    source_ip: u8,
}

impl FixedSpec {
    /// The keys and their values: `aws:MultiFactorAuthPresent`,
    /// `sts:ExternalId`, `aws:SourceIp`.
    pub fn pairs(&self) -> [(&'static str, &'static str); 3] {
        [
            (
                "aws:MultiFactorAuthPresent",
                if self.mfa { "true" } else { "false" },
            ),
            (
                "sts:ExternalId",
                if self.external_id { "ext-1" } else { "wrong" },
            ),
            (
                "aws:SourceIp",
                pick(&["203.0.113.7", "10.1.2.3", "192.0.2.1"], self.source_ip),
            ),
        ]
    }
}

/// The whole input of the `access` target: the world of `evaluate` first
/// (so that `evaluate`'s corpus makes the same worlds), then the request,
/// the user asked about by `what_can`, and the fixed keys.
#[derive(Arbitrary, Debug, Clone)]
pub struct AccessInput {
    /// The world.
    pub world: WorldSpec,
    /// The request asked of `who_can`.
    pub request: RequestSpec,
    /// The user asked about by `what_can`, by index.
    pub user: u8,
    /// The fixed keys of the second run.
    pub fixed: FixedSpec,
}
