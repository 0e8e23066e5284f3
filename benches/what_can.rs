//! The two worlds that time `iamsim what-can` at scale (issue 15), written
//! by `iamsim-generate --what-can` beside the large world:
//!
//! - `what-can-fanout.json`: the user `arn:aws:iam::100000000001:user/analyst`
//!   may assume 1,000 roles (`team-NNNN-KIND`, 250 in each of four workload
//!   accounts; every tenth asks for MFA in its trust policy), and the
//!   workload accounts hold 200 buckets (50 each: `data`, `logs`,
//!   `reports` and `archive` buckets; every fourth with a policy, every
//!   tenth SSE-KMS encrypted with its account's key). Each role carries
//!   one of five customer managed policies of its account, by its KIND:
//!   `reader` (`s3:Get*`, `s3:List*`), `writer` (object writes on its
//!   account's buckets, deletes only with MFA), `admin` (`*`, IAM deletes
//!   denied without MFA), `auditor` (AWS's `IAMReadOnlyAccess`) and `data`
//!   (`s3:*` on the `data` buckets, writes only from the office CIDR).
//!   Bucket policies deny plain HTTP, and some grant another workload
//!   account's `reader` roles. An SCP at the organization root denies
//!   bucket deletion.
//! - `what-can-chain.json`: the user `arn:aws:iam::200000000001:user/start`
//!   reaches a chain of 2,000 roles (`chain-0000` … `chain-1999`, in two
//!   accounts in turn): each role trusts the one before it and may assume
//!   the next, and reads the objects of the account's ten buckets.
//!
//! Both are fully determined by the seed (the choices of which bucket has
//! a policy, an encryption or tags come from it), and every map is ordered.

use crate::Rng;
use serde_json::{Map, Value, json};

/// The account of the fanout world's user.
const FANOUT_HOME: &str = "100000000001";
/// The fanout world's workload accounts.
const FANOUT_WORKLOADS: [&str; 4] = [
    "100000000002",
    "100000000003",
    "100000000004",
    "100000000005",
];
/// The fanout world's roles per workload account.
const ROLES_PER_ACCOUNT: usize = 250;
/// The fanout world's buckets per workload account.
const BUCKETS_PER_ACCOUNT: usize = 50;
/// The kinds of roles, each with its managed policy.
const KINDS: [&str; 5] = ["reader", "writer", "admin", "auditor", "data"];
/// The kinds of buckets.
const BUCKET_KINDS: [&str; 4] = ["data", "logs", "reports", "archive"];
/// The CIDR the `data` roles may write from.
const OFFICE_CIDR: &str = "203.0.113.0/24";
/// The chain world's accounts, which its roles alternate between.
const CHAIN_ACCOUNTS: [&str; 2] = ["200000000001", "200000000002"];
/// The chain's length.
const CHAIN_LENGTH: usize = 2000;
/// The chain world's buckets per account.
const CHAIN_BUCKETS: usize = 10;

/// A policy document from its statements.
fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Sets `key` of a JSON object.
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}

/// The managed policy of a role KIND in `account`.
fn kind_policy(kind: &str, account: &str) -> Value {
    let own = format!("arn:aws:s3:::{account}-*");
    let no_mfa = json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}});
    match kind {
        "reader" => doc(vec![
            json!({"Sid": "Read", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}),
        ]),
        "writer" => doc(vec![
            json!({"Sid": "List", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": own}),
            json!({"Sid": "Write", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:PutObjectTagging"], "Resource": format!("{own}/*")}),
            json!({"Sid": "Delete", "Effect": "Allow", "Action": "s3:DeleteObject", "Resource": format!("{own}/*"),
                   "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}),
        ]),
        "admin" => doc(vec![
            json!({"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}),
            json!({"Sid": "NoIamDeleteWithoutMFA", "Effect": "Deny", "Action": "iam:Delete*", "Resource": "*", "Condition": no_mfa}),
        ]),
        "data" => doc(vec![
            json!({"Sid": "Data", "Effect": "Allow", "Action": "s3:*",
                   "Resource": ["arn:aws:s3:::*-data-*", "arn:aws:s3:::*-data-*/*"]}),
            json!({"Sid": "WriteFromOffice", "Effect": "Deny", "Action": ["s3:Put*", "s3:Delete*"], "Resource": "*",
                   "Condition": {"NotIpAddress": {"aws:SourceIp": OFFICE_CIDR}}}),
        ]),
        _ => doc(vec![
            json!({"Sid": "Whoami", "Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}),
        ]),
    }
}

/// One workload account of the fanout world.
fn fanout_account(rng: &mut Rng, a: usize, account: &str) -> Value {
    let user = format!("arn:aws:iam::{FANOUT_HOME}:user/analyst");
    let mut policies = Map::new();
    for kind in KINDS {
        policies.insert(format!("team-{kind}"), kind_policy(kind, account));
    }
    let mut roles = Map::new();
    for i in 0..ROLES_PER_ACCOUNT {
        let n = a * ROLES_PER_ACCOUNT + i;
        let kind = KINDS.get(n % KINDS.len()).copied().unwrap_or("reader");
        let mut trust =
            json!({"Effect": "Allow", "Principal": {"AWS": user}, "Action": "sts:AssumeRole"});
        if n % 10 == 9 {
            set(
                &mut trust,
                "Condition",
                json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            );
        }
        let mut managed = vec![json!(format!("team-{kind}"))];
        if kind == "auditor" {
            managed.push(json!("arn:aws:iam::aws:policy/IAMReadOnlyAccess"));
        }
        roles.insert(
            format!("team-{n:04}-{kind}"),
            json!({"trust_policy": doc(vec![trust]), "managed_policies": managed,
                   "tags": {"team": format!("t{}", n % 20)}}),
        );
    }
    let key = format!("arn:aws:kms:us-east-1:{account}:key/{a:08}-0000-4000-8000-000000000000");
    let mut buckets = Map::new();
    for i in 0..BUCKETS_PER_ACCOUNT {
        let kind = BUCKET_KINDS
            .get(i % BUCKET_KINDS.len())
            .copied()
            .unwrap_or("data");
        let name = format!("{account}-{kind}-{i:02}");
        let arn = format!("arn:aws:s3:::{name}");
        let mut b = json!({"region": "us-east-1", "tags": {"classification": if rng.percent(30) { "restricted" } else { "internal" }}});
        if rng.percent(25) {
            let mut statements = vec![
                json!({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [arn.clone(), format!("{arn}/*")], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
            ];
            let partner = FANOUT_WORKLOADS
                .get((a + 1) % FANOUT_WORKLOADS.len())
                .copied()
                .unwrap_or(account);
            if kind == "reports" {
                statements.push(json!({"Sid": "PartnerReaders", "Effect": "Allow", "Principal": {"AWS": partner},
                    "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [arn.clone(), format!("{arn}/*")],
                    "Condition": {"ArnLike": {"aws:PrincipalArn": format!("arn:aws:iam::{partner}:role/team-*-reader")}}}));
            }
            set(&mut b, "policy", doc(statements));
        }
        if rng.percent(10) {
            set(&mut b, "encryption", json!({"kms_key": key}));
        }
        buckets.insert(name, b);
    }
    let key_policy = doc(vec![
        json!({"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
        "Action": "kms:*", "Resource": "*"}),
    ]);
    json!({"ou": "root", "policies": policies, "roles": roles, "buckets": buckets,
           "resources": {key: {"policy": key_policy}}})
}

/// The fanout world: one user, 1,000 roles it may assume, 200 buckets.
pub fn fanout(seed: u64) -> Value {
    let mut rng = Rng(seed);
    let mut accounts = Map::new();
    let home = json!({"ou": "root", "users": {"analyst": {"inline_policies": {"assume": doc(vec![
        json!({"Sid": "AssumeTeamRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/team-*"}),
        json!({"Sid": "ListBuckets", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}),
    ])}}}});
    accounts.insert(FANOUT_HOME.to_string(), home);
    for (a, account) in FANOUT_WORKLOADS.iter().enumerate() {
        accounts.insert((*account).to_string(), fanout_account(&mut rng, a, account));
    }
    let scps = json!([
        {"Version": "2012-10-17", "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]},
        {"Version": "2012-10-17", "Statement": [{"Sid": "ProtectBuckets", "Effect": "Deny", "Action": ["s3:DeleteBucket", "s3:DeleteBucketPolicy"], "Resource": "*"}]},
    ]);
    json!({"accounts": accounts, "organization": {"id": "o-whatcan0001", "management_account": "100000000009", "root": {"scps": scps}}})
}

/// The chain world: one user and a chain of 2,000 roles.
pub fn chain(seed: u64) -> Value {
    let mut rng = Rng(seed);
    let role_arn = |i: usize| {
        let account = CHAIN_ACCOUNTS.get(i % 2).copied().unwrap_or_default();
        format!("arn:aws:iam::{account}:role/chain-{i:04}")
    };
    let first = CHAIN_ACCOUNTS.first().copied().unwrap_or_default();
    let mut accounts = Map::new();
    for (a, account) in CHAIN_ACCOUNTS.iter().enumerate() {
        let mut roles = Map::new();
        for i in (a..CHAIN_LENGTH).step_by(2) {
            let before = match i {
                0 => format!("arn:aws:iam::{first}:user/start"),
                _ => role_arn(i - 1),
            };
            let mut statements = vec![
                json!({"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [format!("arn:aws:s3:::{account}-chain-*"), format!("arn:aws:s3:::{account}-chain-*/*")]}),
            ];
            if i + 1 < CHAIN_LENGTH {
                statements.push(json!({"Sid": "Next", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn(i + 1)}));
            }
            roles.insert(
                format!("chain-{i:04}"),
                json!({"trust_policy": doc(vec![json!({"Effect": "Allow", "Principal": {"AWS": before}, "Action": "sts:AssumeRole"})]),
                       "inline_policies": {"chain": doc(statements)}}),
            );
        }
        let mut buckets = Map::new();
        for b in 0..CHAIN_BUCKETS {
            let tier = if rng.percent(50) { "hot" } else { "cold" };
            buckets.insert(
                format!("{account}-chain-{b:02}"),
                json!({"tags": {"tier": tier}}),
            );
        }
        let mut acct = json!({"roles": roles, "buckets": buckets});
        if a == 0 {
            set(
                &mut acct,
                "users",
                json!({"start": {"inline_policies": {"first": doc(vec![
                    json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn(0)}),
                ])}}}),
            );
        }
        accounts.insert((*account).to_string(), acct);
    }
    json!({"accounts": accounts})
}
