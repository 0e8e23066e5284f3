//! The neutral requests file both sides read, and its seeded generator.
//!
//! One request is one single-step question: an IAM user of account
//! 222222222222 calls an S3 action on a bucket or object of account
//! 111111111111 (cross-account) or of its own account. Every request carries
//! its own policies: the user's identity-based policy, the bucket policy (or
//! none), and the SCPs on the path from the organization root down to the
//! principal's account. The request context comes in two parts: `context`,
//! the keys the request itself carries (`aws:SourceIp`, `s3:prefix`...), and
//! `aws_context`, the keys AWS sets itself from the principal, the resource
//! and the time. iamsim derives the latter on its own (and `run` checks that
//! it derives exactly these values); they are written out, as iamsim-core
//! derives them at generation time, for a peer that does not derive keys
//! itself (iam-simulate does not), so that both see the same context.
//!
//! ```json
//! {
//!   "format": "iamsim-peer-requests/1",
//!   "seed": 42, "now": "2026-06-15T12:00:00Z",
//!   "organization": {"id": "o-a1b2c3d4e5", "management_account": "999999999999"},
//!   "requests": [{
//!     "id": 0,
//!     "principal": "arn:aws:iam::222222222222:user/dev/user-0000",
//!     "principal_tags": {"team": "red"},
//!     "action": "s3:GetObject",
//!     "resource": "arn:aws:s3:::bkt-0000-data/reports/q1.csv",
//!     "resource_account": "111111111111",
//!     "resource_tags": {"team": "red"},
//!     "identity_policy": {...},
//!     "resource_policy": {...} or null,
//!     "scp_levels": [{"target": "root", "policies": [...]},
//!                    {"target": "222222222222", "policies": [...]}],
//!     "context": {"aws:SourceIp": "203.0.113.10", "aws:SecureTransport": "true"},
//!     "aws_context": {"aws:PrincipalArn": "...", "aws:CurrentTime": "..."}
//!   }]
//! }
//! ```

use iamsim_benches::Rng;
use iamsim_core::context::{Context, Found, Lookup};
use iamsim_core::diag::Sources;
use iamsim_core::request::{Caller, Clock, Derived, Target, resolve_target};
use iamsim_core::world::{NoFiles, User, World, load_world};
use serde_json::{Map, Value, json};

/// The `format` field of a requests file.
pub const FORMAT: &str = "iamsim-peer-requests/1";
/// The principal's account.
pub const PRINCIPAL_ACCOUNT: &str = "222222222222";
/// The other account, owner of cross-account buckets.
pub const RESOURCE_ACCOUNT: &str = "111111111111";
/// The organization both accounts belong to.
pub const ORG_ID: &str = "o-a1b2c3d4e5";
/// The organization's management account (owns nothing here).
pub const MANAGEMENT_ACCOUNT: &str = "999999999999";
/// The fixed request time (`aws:CurrentTime`).
pub const NOW: &str = "2026-06-15T12:00:00Z";

/// What an action acts on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum On {
    Object,
    Bucket,
}

const ACTIONS: &[(&str, On)] = &[
    ("s3:GetObject", On::Object),
    ("s3:GetObject", On::Object),
    ("s3:PutObject", On::Object),
    ("s3:DeleteObject", On::Object),
    ("s3:GetObjectTagging", On::Object),
    ("s3:ListBucket", On::Bucket),
    ("s3:ListBucket", On::Bucket),
    ("s3:GetBucketPolicy", On::Bucket),
    ("s3:PutBucketPolicy", On::Bucket),
    ("s3:DeleteBucket", On::Bucket),
];

const SOURCE_IPS: &[&str] = &["203.0.113.10", "198.51.100.7", "192.0.2.44"];
const REGIONS: &[&str] = &["us-east-1", "eu-west-1", "ap-southeast-2"];
const TEAMS: &[&str] = &["red", "blue"];

fn full_aws_access() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}
    ]})
}

/// The identity-based policy of the user: one to three allows (some
/// conditional) and zero to two denies.
fn identity_policy(rng: &mut Rng, bucket: &str) -> Value {
    let b = format!("arn:aws:s3:::{bucket}");
    let bo = format!("arn:aws:s3:::{bucket}/*");
    let allows = [
        json!({"Sid": "ReadBucket", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": [b, bo]}),
        json!({"Sid": "OwnHome", "Effect": "Allow", "Action": "s3:*",
               "Resource": format!("arn:aws:s3:::{bucket}/home/${{aws:username}}/*")}),
        json!({"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}),
        json!({"Sid": "PowerUser", "Effect": "Allow",
               "NotAction": ["iam:*", "organizations:*", "s3:PutBucketPolicy"], "Resource": "*"}),
        json!({"Sid": "FromOffice", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bkt-*",
               "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}}),
        json!({"Sid": "SameTeam", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": bo,
               "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}),
        json!({"Sid": "ListOwnPrefix", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": b,
               "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "reports/*"]}}}),
        json!({"Sid": "ReadUntilYearEnd", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*",
               "Condition": {"DateLessThan": {"aws:CurrentTime": "2026-12-31T23:59:59Z"},
                             "Bool": {"aws:SecureTransport": "true"}}}),
        json!({"Sid": "PutEncrypted", "Effect": "Allow", "Action": "s3:PutObject", "Resource": bo,
               "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}),
        json!({"Sid": "AllButDeleteOutsideTmp", "Effect": "Allow", "NotAction": "s3:Delete*",
               "NotResource": format!("arn:aws:s3:::{bucket}/tmp/*")}),
        json!({"Sid": "DevsWriteOwnBucket", "Effect": "Allow", "Action": "s3:*", "Resource": bo,
               "Condition": {"ArnLike": {"aws:PrincipalArn": format!("arn:aws:iam::{PRINCIPAL_ACCOUNT}:user/dev/*")}}}),
        json!({"Sid": "ListSmallPages", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": b,
               "Condition": {"NumericLessThanEquals": {"s3:max-keys": "100"}}}),
        json!({"Sid": "TeamFolderOrShared", "Effect": "Allow", "Action": "s3:GetObject",
               "Resource": format!("arn:aws:s3:::{bucket}/${{aws:PrincipalTag/team, 'shared'}}/*")}),
        json!({"Sid": "ReadIfRegionAllowed", "Effect": "Allow", "Action": ["s3:GetObject*", "s3:ListBucket"],
               "Resource": [b, bo],
               "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}),
    ];
    let denies = [
        json!({"Sid": "NoDeleteObject", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}),
        json!({"Sid": "TlsOnly", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        json!({"Sid": "ReportsReadOnly", "Effect": "Deny", "NotAction": ["s3:Get*", "s3:List*"],
               "Resource": format!("arn:aws:s3:::{bucket}/reports/*")}),
        json!({"Sid": "OnlyKnownNetworks", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
               "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"]}}}),
        json!({"Sid": "NoBucketAdmin", "Effect": "Deny", "Action": ["s3:PutBucketPolicy", "s3:DeleteBucket"],
               "Resource": "*"}),
        json!({"Sid": "DeleteNeedsMfa", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*",
               "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}),
        json!({"Sid": "DenyUnencryptedPut", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*",
               "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}),
        json!({"Sid": "OtherTeamsWriteNot", "Effect": "Deny", "Action": ["s3:Put*", "s3:Delete*"], "Resource": "*",
               "Condition": {"StringNotEqualsIfExists": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}),
    ];
    let mut statements = Vec::new();
    let n_allow = 1 + rng.below(3);
    for _ in 0..n_allow {
        if let Some(s) = rng.pick(&allows) {
            if !statements.contains(s) {
                statements.push(s.clone());
            }
        }
    }
    let n_deny = if rng.chance(0.45) {
        0
    } else {
        1 + rng.below(2)
    };
    for _ in 0..n_deny {
        if let Some(s) = rng.pick(&denies) {
            if !statements.contains(s) {
                statements.push(s.clone());
            }
        }
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The bucket policy: one to three statements, or none at all.
fn resource_policy(rng: &mut Rng, bucket: &str, owner: &str, user_arn: &str) -> Option<Value> {
    let same_account = owner == PRINCIPAL_ACCOUNT;
    if rng.chance(if same_account { 0.4 } else { 0.1 }) {
        return None;
    }
    let b = format!("arn:aws:s3:::{bucket}");
    let bo = format!("arn:aws:s3:::{bucket}/*");
    let statements = [
        json!({"Sid": "AccountRead", "Effect": "Allow",
               "Principal": {"AWS": format!("arn:aws:iam::{PRINCIPAL_ACCOUNT}:root")},
               "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [b, bo]}),
        json!({"Sid": "UserFull", "Effect": "Allow", "Principal": {"AWS": user_arn},
               "Action": "s3:*", "Resource": [b, bo]}),
        json!({"Sid": "OrgRead", "Effect": "Allow", "Principal": "*", "Action": "s3:Get*", "Resource": bo,
               "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}),
        json!({"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [b, bo],
               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        json!({"Sid": "AccountPutKms", "Effect": "Allow", "Principal": {"AWS": PRINCIPAL_ACCOUNT},
               "Action": ["s3:PutObject", "s3:GetObject"], "Resource": bo,
               "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}),
        json!({"Sid": "OnlyOwnerAndUserDelete", "Effect": "Deny",
               "NotPrincipal": {"AWS": [format!("arn:aws:iam::{owner}:root"), user_arn]},
               "Action": "s3:Delete*", "Resource": bo}),
        json!({"Sid": "DevsList", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:ListBucket",
               "Resource": b,
               "Condition": {"StringLike": {"aws:PrincipalArn": format!("arn:aws:iam::{PRINCIPAL_ACCOUNT}:user/dev/*")}}}),
        json!({"Sid": "ReportsOwnerWritesOnly", "Effect": "Deny", "Principal": "*",
               "NotAction": ["s3:Get*", "s3:List*"], "Resource": format!("arn:aws:s3:::{bucket}/reports/*"),
               "Condition": {"StringNotEquals": {"aws:PrincipalAccount": owner}}}),
        json!({"Sid": "DenyNonKmsPut", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": bo,
               "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}),
        json!({"Sid": "RedTeamAnyCase", "Effect": "Allow",
               "Principal": {"AWS": format!("arn:aws:iam::{PRINCIPAL_ACCOUNT}:root")},
               "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], "Resource": [b, bo],
               "Condition": {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "RED"}}}),
        json!({"Sid": "OtherAccount", "Effect": "Allow",
               "Principal": {"AWS": "arn:aws:iam::333333333333:root"}, "Action": "s3:*", "Resource": [b, bo]}),
    ];
    let mut chosen = Vec::new();
    for _ in 0..1 + rng.below(3) {
        if let Some(s) = rng.pick(&statements) {
            if !chosen.contains(s) {
                chosen.push(s.clone());
            }
        }
    }
    Some(json!({"Version": "2012-10-17", "Statement": chosen}))
}

/// The SCP attached to the principal's account: FullAWSAccess or an
/// allow-list, plus zero to two deny guardrails.
fn scp(rng: &mut Rng) -> Value {
    let mut statements = Vec::new();
    if rng.chance(0.8) {
        statements.push(
            json!({"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}),
        );
    } else {
        statements.push(json!({"Sid": "AllowListS3", "Effect": "Allow",
                               "Action": ["s3:Get*", "s3:List*", "s3:PutObject"], "Resource": "*"}));
    }
    let denies = [
        json!({"Sid": "ProtectBuckets", "Effect": "Deny", "Action": ["s3:PutBucketPolicy", "s3:DeleteBucket"],
               "Resource": "*"}),
        json!({"Sid": "RegionLock", "Effect": "Deny",
               "NotAction": ["iam:*", "sts:*", "organizations:*", "support:*"], "Resource": "*",
               "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}),
        json!({"Sid": "TlsOnly", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        json!({"Sid": "UntaggedNoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*",
               "Condition": {"Null": {"aws:PrincipalTag/team": "true"}}}),
        json!({"Sid": "KeepReports", "Effect": "Deny", "Action": "s3:DeleteObject",
               "Resource": "arn:aws:s3:::*/reports/*"}),
    ];
    let n = match rng.below(4) {
        0 | 1 => 0,
        2 => 1,
        _ => 2,
    };
    for _ in 0..n {
        if let Some(s) = rng.pick(&denies) {
            if !statements.contains(s) {
                statements.push(s.clone());
            }
        }
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Generates `count` distinct requests (without their context, which
/// [`complete_contexts`] adds).
pub fn generate(count: usize, seed: u64) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!("user-{i:04}");
        let path = if rng.chance(0.5) { "dev/" } else { "" };
        let user_arn = format!("arn:aws:iam::{PRINCIPAL_ACCOUNT}:user/{path}{name}");
        let bucket = format!("bkt-{i:04}-data");
        let owner = if rng.chance(0.6) {
            RESOURCE_ACCOUNT
        } else {
            PRINCIPAL_ACCOUNT
        };
        let (action, on) = rng
            .pick(ACTIONS)
            .copied()
            .unwrap_or(("s3:GetObject", On::Object));
        let keys = [
            "reports/2026/q1.csv".to_string(),
            format!("home/{name}/notes.txt"),
            "public/index.html".to_string(),
            "tmp/upload.bin".to_string(),
            "shared/readme.txt".to_string(),
            "red/plan.txt".to_string(),
        ];
        let resource = match on {
            On::Bucket => format!("arn:aws:s3:::{bucket}"),
            On::Object => {
                let key = rng.pick(&keys).cloned().unwrap_or_default();
                format!("arn:aws:s3:::{bucket}/{key}")
            }
        };
        let mut principal_tags = Map::new();
        if rng.chance(0.7) {
            let team = rng.pick(TEAMS).copied().unwrap_or("red");
            principal_tags.insert("team".into(), team.into());
        }
        let mut resource_tags = Map::new();
        if rng.chance(0.5) {
            let team = rng.pick(TEAMS).copied().unwrap_or("red");
            resource_tags.insert("team".into(), team.into());
        }
        let mut extra = Map::new();
        let ip = rng.pick(SOURCE_IPS).copied().unwrap_or("203.0.113.10");
        extra.insert("aws:SourceIp".into(), ip.into());
        let tls = if rng.chance(0.85) { "true" } else { "false" };
        extra.insert("aws:SecureTransport".into(), tls.into());
        let region = rng.pick(REGIONS).copied().unwrap_or("us-east-1");
        extra.insert("aws:RequestedRegion".into(), region.into());
        if action == "s3:ListBucket" {
            let prefixes = [format!("home/{name}/"), "reports/".into(), String::new()];
            let prefix = rng.pick(&prefixes).cloned().unwrap_or_default();
            extra.insert("s3:prefix".into(), prefix.into());
            if rng.chance(0.6) {
                let max_keys = if rng.chance(0.5) { "50" } else { "1000" };
                extra.insert("s3:max-keys".into(), max_keys.into());
            }
        }
        if action == "s3:PutObject" && rng.chance(0.7) {
            let sse = if rng.chance(0.6) { "aws:kms" } else { "AES256" };
            extra.insert("s3:x-amz-server-side-encryption".into(), sse.into());
        }
        let identity = identity_policy(&mut rng, &bucket);
        let rbp = resource_policy(&mut rng, &bucket, owner, &user_arn);
        let account_scp = scp(&mut rng);
        out.push(json!({
            "id": i,
            "principal": user_arn,
            "principal_tags": principal_tags,
            "action": action,
            "resource": resource,
            "resource_account": owner,
            "resource_tags": resource_tags,
            "identity_policy": identity,
            "resource_policy": rbp,
            "scp_levels": [
                {"target": "root", "policies": [full_aws_access()]},
                {"target": PRINCIPAL_ACCOUNT, "policies": [account_scp]},
            ],
            "context": extra,
        }));
    }
    out
}

/// The world of one request: the user, its bucket, the organization with
/// the request's SCPs.
pub fn world_json(req: &Value) -> Result<Value, String> {
    let principal = str_field(req, "principal")?;
    let (user_account, path, name) = split_user_arn(principal)?;
    let resource = str_field(req, "resource")?;
    let owner = str_field(req, "resource_account")?;
    let bucket = resource
        .strip_prefix("arn:aws:s3:::")
        .and_then(|r| r.split('/').next())
        .ok_or_else(|| format!("resource {resource} is not an S3 ARN"))?;
    let identity = req
        .get("identity_policy")
        .ok_or("request without identity_policy")?;
    let mut user = json!({"path": path, "inline_policies": {"identity": identity}});
    if let (Some(tags), Some(u)) = (req.get("principal_tags"), user.as_object_mut()) {
        u.insert("tags".into(), tags.clone());
    }
    let mut bucket_node = Map::new();
    if let Some(p) = req.get("resource_policy").filter(|p| !p.is_null()) {
        bucket_node.insert("policy".into(), p.clone());
    }
    if let Some(t) = req.get("resource_tags") {
        bucket_node.insert("tags".into(), t.clone());
    }
    let mut accounts = Map::new();
    accounts.insert(owner.to_string(), json!({"ou": "root"}));
    accounts.insert(user_account.to_string(), json!({"ou": "root"}));
    let levels = req
        .get("scp_levels")
        .and_then(Value::as_array)
        .ok_or("request without scp_levels")?;
    let mut org =
        json!({"id": ORG_ID, "management_account": MANAGEMENT_ACCOUNT, "root": {}, "ous": {}});
    let mut parent = "root".to_string();
    let mut account_ou = "root".to_string();
    for (i, level) in levels.iter().enumerate() {
        let target = str_field(level, "target")?;
        let policies = level.get("policies").cloned().unwrap_or(json!([]));
        if i == 0 {
            if target != "root" {
                return Err(format!("the first SCP level must be root, not {target}"));
            }
            if let Some(r) = org.get_mut("root").and_then(Value::as_object_mut) {
                r.insert("scps".into(), policies);
            }
        } else if target == user_account {
            if let Some(a) = accounts
                .get_mut(user_account)
                .and_then(Value::as_object_mut)
            {
                a.insert("scps".into(), policies);
            }
        } else if target.starts_with("ou-") {
            if let Some(o) = org.get_mut("ous").and_then(Value::as_object_mut) {
                o.insert(target.into(), json!({"parent": parent, "scps": policies}));
            }
            parent = target.to_string();
            account_ou = target.to_string();
        } else {
            return Err(format!(
                "SCP level {target}: only root, OUs and the principal's account are supported"
            ));
        }
    }
    if let Some(a) = accounts
        .get_mut(user_account)
        .and_then(Value::as_object_mut)
    {
        a.insert("ou".into(), account_ou.into());
    }
    let user_acct = accounts
        .get_mut(user_account)
        .and_then(Value::as_object_mut)
        .ok_or("no principal account")?;
    user_acct.insert("users".into(), json!({ name: user }));
    let owner_acct = accounts
        .get_mut(owner)
        .and_then(Value::as_object_mut)
        .ok_or("no resource account")?;
    owner_acct.insert("buckets".into(), json!({ bucket: bucket_node }));
    Ok(json!({"accounts": accounts, "organization": org}))
}

/// A string field of a JSON object.
pub fn str_field<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing string field \"{key}\""))
}

/// `arn:aws:iam::ACCOUNT:user/PATH/NAME` → (account, `/PATH/`, name).
fn split_user_arn(arn: &str) -> Result<(&str, String, &str), String> {
    let rest = arn
        .strip_prefix("arn:aws:iam::")
        .ok_or_else(|| format!("{arn} is not an IAM user ARN"))?;
    let (account, res) = rest
        .split_once(":user/")
        .ok_or_else(|| format!("{arn} is not an IAM user ARN"))?;
    let (path, name) = match res.rsplit_once('/') {
        Some((p, n)) => (format!("/{p}/"), n),
        None => ("/".to_string(), res),
    };
    Ok((account, path, name))
}

/// Loads the world of one request; diagnostics are rendered into the error.
pub fn load(sources: &mut Sources, req: &Value) -> Result<World, String> {
    let id = req.get("id").and_then(Value::as_u64).unwrap_or_default();
    let text = world_json(req)?.to_string();
    let sid = sources.add(format!("request-{id}.world.json"), text);
    load_world(sources, sid, &mut NoFiles).map_err(|ds| {
        ds.iter()
            .map(|d| d.render(sources))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// The keys AWS sets itself for an IAM user's request, as AWS spells
/// them; `aws:PrincipalTag/*` and `aws:ResourceTag/*` are added per tag.
const DERIVED_KEYS: &[&str] = &[
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalType",
    "aws:username",
    "aws:userid",
    "aws:MultiFactorAuthPresent",
    "aws:TokenIssueTime",
    "aws:SourceIdentity",
    "aws:PrincipalOrgID",
    "aws:ResourceOrgID",
    "aws:ResourceAccount",
    "aws:CurrentTime",
    "aws:EpochTime",
];

/// The user who makes a request, in the request's world.
pub fn user_of<'w>(world: &'w World, req: &Value) -> Result<&'w User, String> {
    let principal = str_field(req, "principal")?;
    world
        .users
        .get(principal)
        .ok_or_else(|| format!("user {principal} missing from its world"))
}

/// The resource of a request, resolved in its world.
pub fn target_of<'a>(
    world: &'a World,
    user: &'a User,
    req: &'a Value,
) -> Result<Target<'a>, String> {
    let caller = Caller::User(user);
    resolve_target(
        world,
        "s3",
        str_field(req, "resource")?,
        Some(str_field(req, "resource_account")?),
        caller.account(),
    )
    .map_err(String::from)
}

/// The keys AWS sets itself for a request, as iamsim-core derives them
/// (`request::Derived`), spelled as AWS documents them.
pub fn derived_context(
    world: &World,
    user: &User,
    target: &Target<'_>,
    clock: &Clock,
    req: &Value,
) -> Result<Map<String, Value>, String> {
    let derived = Derived {
        world,
        caller: Caller::User(user),
        target,
        clock,
        assume: None,
        service: iamsim_core::request::service_of(
            req.get("action")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        ),
        region: None,
    };
    let tag_keys = |field: &str, prefix: &str| -> Vec<String> {
        req.get(field)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, _)| format!("{prefix}{k}"))
            .collect()
    };
    let mut keys: Vec<String> = DERIVED_KEYS.iter().map(|k| (*k).to_string()).collect();
    keys.extend(tag_keys("principal_tags", "aws:PrincipalTag/"));
    keys.extend(tag_keys("resource_tags", "aws:ResourceTag/"));
    let mut out = Map::new();
    for key in keys {
        let value = match derived.lookup(&key.to_ascii_lowercase()) {
            Found::Absent => continue,
            Found::One(v) => Value::String(v.to_string()),
            Found::Set(vs) => Value::Array(vs.iter().map(|v| Value::String(v.clone())).collect()),
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// Fills every request's `aws_context` with the keys AWS sets itself, as
/// iamsim-core derives them on the request's world.
pub fn complete_contexts(requests: &mut [Value], clock: &Clock) -> Result<(), String> {
    let mut sources = Sources::new();
    for req in requests.iter_mut() {
        let world = load(&mut sources, req)?;
        let user = user_of(&world, req)?;
        let target = target_of(&world, user, req)?;
        let aws = derived_context(&world, user, &target, clock, req)?;
        if let Some(o) = req.as_object_mut() {
            o.insert("aws_context".into(), Value::Object(aws));
        }
    }
    Ok(())
}

/// The `context` of a request as an iamsim [`Context`]: a string is a
/// single-valued key, a list of strings a multivalued one.
pub fn file_context(req: &Value) -> Result<Context, String> {
    let mut ctx = Context::new();
    let Some(map) = req.get("context").and_then(Value::as_object) else {
        return Ok(ctx);
    };
    for (k, v) in map {
        match v {
            Value::String(s) => ctx.set(k, s.as_str()),
            Value::Array(items) => {
                let values = items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| format!("context key {k}: list of non-strings"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                ctx.set_list(k, values);
            }
            other => return Err(format!("context key {k}: {other} is not a string or list")),
        }
    }
    Ok(ctx)
}
