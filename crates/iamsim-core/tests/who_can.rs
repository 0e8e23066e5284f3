//! `who-can` against `can` (issue 7, "done when"): on generated worlds of
//! three accounts, every principal's shortest allowed chain found by
//! playing every chain of up to three roles as a scenario (what `iamsim
//! can --via` runs) must be the chain `who_can` reports, and a principal
//! `who_can` leaves out must have no allowed chain. `what_can` must agree
//! with both: the principal reads the objects as some identity it
//! reaches exactly when `who_can` lists it, the nearest such identity as
//! far as its chain.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly on anything unexpected"
)]

use iamsim_core::access::what_can::{self, what_can};
use iamsim_core::access::who_can::{Question, who_can};
use iamsim_core::context::Context;
use iamsim_core::diag::Sources;
use iamsim_core::eval::Outcome;
use iamsim_core::request::Clock;
use iamsim_core::world::World;
use proptest::prelude::*;
use serde_json::{Value, json};
use support::{chains, load};

mod support;

const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];
/// Roles: (account index, name).
const ROLES: [(usize, &str); 6] = [
    (0, "r0"),
    (0, "r1"),
    (0, "r2"),
    (1, "r3"),
    (1, "r4"),
    (2, "r5"),
];
const OBJECT: &str = "arn:aws:s3:::data/report.csv";

fn user_arn(a: usize) -> String {
    format!("arn:aws:iam::{}:user/u{a}", ACCOUNTS[a])
}

fn role_arn(r: usize) -> String {
    let (a, name) = ROLES[r];
    format!("arn:aws:iam::{}:role/{name}", ACCOUNTS[a])
}

/// Every principal a trust or bucket policy may name.
fn principal_pool() -> Vec<Value> {
    let mut v: Vec<Value> = (0..3).map(|a| json!(user_arn(a))).collect();
    v.extend((0..ROLES.len()).map(|r| json!(role_arn(r))));
    v.extend(ACCOUNTS.iter().map(|a| json!(a)));
    v.push(json!("*"));
    v
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop::sample::select(vec![
        None,
        None,
        None,
        Some(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
        Some(json!({"StringEquals": {"sts:ExternalId": "x"}})),
        Some(json!({"StringEquals": {"aws:PrincipalAccount": ACCOUNTS[1]}})),
    ])
}

fn trust() -> impl Strategy<Value = Value> {
    (
        prop::sample::subsequence(principal_pool(), 1..3),
        condition(),
    )
        .prop_map(|(who, cond)| {
            let mut st =
                json!({"Effect": "Allow", "Principal": {"AWS": who}, "Action": "sts:AssumeRole"});
            if let Some(c) = cond {
                st["Condition"] = c;
            }
            json!({"Version": "2012-10-17", "Statement": [st]})
        })
}

/// A principal's inline policy: which roles it may assume, and whether it
/// may read the object.
fn identity() -> impl Strategy<Value = Value> {
    let roles: Vec<Value> = (0..ROLES.len())
        .map(|r| json!(role_arn(r)))
        .chain([json!("*")])
        .collect();
    (
        prop::sample::subsequence(roles.clone(), 0..3),
        prop::option::weighted(0.15, prop::sample::select(roles)),
        prop::sample::select(vec![None, Some("arn:aws:s3:::data/*"), Some("*")]),
    )
        .prop_map(|(assume, deny, read)| {
            let mut st = Vec::new();
            if !assume.is_empty() {
                st.push(json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": assume}));
            }
            if let Some(d) = deny {
                st.push(json!({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": d}));
            }
            if let Some(r) = read {
                st.push(json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": r}));
            }
            if st.is_empty() {
                st.push(
                    json!({"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}),
                );
            }
            json!({"Version": "2012-10-17", "Statement": st})
        })
}

#[derive(Clone, Debug)]
struct Case {
    trusts: Vec<Value>,
    roles: Vec<Value>,
    users: Vec<Value>,
    bucket: Option<Value>,
    scp_denies_r1: bool,
    mfa: bool,
    external_id: &'static str,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(trust(), ROLES.len()),
        prop::collection::vec(identity(), ROLES.len()),
        prop::collection::vec(identity(), 3),
        prop::option::of(prop::sample::subsequence(principal_pool(), 1..3)),
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec!["x", "y"]),
    )
        .prop_map(|(trusts, roles, users, bucket, scp_denies_r1, mfa, external_id)| Case {
            trusts,
            roles,
            users,
            bucket: bucket.map(|who| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": who}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]})),
            scp_denies_r1,
            mfa,
            external_id,
        })
}

impl Case {
    fn world(&self) -> Value {
        let mut accounts = serde_json::Map::new();
        for (a, id) in ACCOUNTS.iter().enumerate() {
            let mut roles = serde_json::Map::new();
            for (r, (ra, name)) in ROLES.iter().enumerate() {
                if *ra == a {
                    roles.insert((*name).into(), json!({"trust_policy": self.trusts[r], "inline_policies": {"p": self.roles[r]}}));
                }
            }
            let mut acct = json!({
                "users": {format!("u{a}"): {"inline_policies": {"p": self.users[a]}}},
                "roles": roles,
            });
            if a == 1 {
                // Account B is a member whose SCPs may deny assuming r1.
                acct["ou"] = json!("root");
                if self.scp_denies_r1 {
                    acct["scps"] = json!([
                        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
                        {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": role_arn(1)}},
                    ]);
                }
            }
            if a == 0 {
                let mut b = json!({});
                if let Some(p) = &self.bucket {
                    b["policy"] = p.clone();
                }
                acct["buckets"] = json!({"data": b});
            }
            accounts.insert((*id).into(), acct);
        }
        json!({"accounts": accounts, "organization": {"id": "o-abc", "management_account": "999999999999", "root": {}}})
    }

    fn context(&self) -> Value {
        json!({"aws:MultiFactorAuthPresent": if self.mfa { "true" } else { "false" }, "sts:ExternalId": self.external_id})
    }
}

fn principals() -> Vec<String> {
    let mut v: Vec<String> = (0..3).map(user_arn).collect();
    v.extend((0..ROLES.len()).map(role_arn));
    v.extend(ACCOUNTS.iter().map(|a| format!("arn:aws:iam::{a}:root")));
    v
}

/// Plays each (principal, chain) as `can --via` does; the outcomes in order.
fn play(
    sources: &mut Sources,
    w: &World,
    context: &Value,
    questions: &[(String, Vec<String>)],
) -> Vec<Outcome> {
    let scenarios: Vec<Value> = questions
        .iter()
        .map(|(p, chain)| {
            let mut steps: Vec<Value> = chain
                .iter()
                .map(|r| json!({"assume_role": r, "session_name": "iamsim"}))
                .collect();
            steps.push(json!({"action": "s3:GetObject", "resource": OBJECT}));
            json!({"name": "q", "principal": p, "steps": steps, "expect": "allow"})
        })
        .collect();
    // A file whose questions assume no role makes no STS request: an
    // `sts:` key there would be refused as reaching no request, and would
    // decide nothing anyway.
    let mut context = context.clone();
    if let (true, Some(keys)) = (
        questions.iter().all(|(_, chain)| chain.is_empty()),
        context.as_object_mut(),
    ) {
        keys.retain(|k, _| !k.starts_with("sts:"));
    }
    support::play(
        sources,
        w,
        &json!({"context": context, "scenarios": scenarios}),
    )
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let mut sources = Sources::new();
    let w = load(&mut sources, &case.world());
    let mut fixed = Context::new();
    fixed.set(
        "aws:MultiFactorAuthPresent",
        if case.mfa { "true" } else { "false" },
    );
    fixed.set("sts:ExternalId", case.external_id);
    let clock = Clock::new(jiff::Timestamp::UNIX_EPOCH);
    let q = Question {
        action: "s3:GetObject",
        resource: OBJECT,
        resource_account: None,
        context: &fixed,
        region: None,
        clock: &clock,
    };
    let found = who_can(&w, &q).unwrap();
    let all_chains = chains(3, ROLES.len());
    for p in principals() {
        let questions: Vec<(String, Vec<String>)> = all_chains
            .iter()
            .map(|c| (p.clone(), c.iter().map(|&r| role_arn(r)).collect()))
            .collect();
        let outcomes = play(&mut sources, &w, &case.context(), &questions);
        let shortest = questions
            .iter()
            .zip(&outcomes)
            .find(|(_, o)| **o == Outcome::Allow)
            .map(|(q, _)| q.1.len());
        let reported = found.iter().find(|r| r.principal == p);
        match reported {
            None => prop_assert_eq!(
                shortest,
                None,
                "who-can leaves out {}, but can allows a chain",
                p
            ),
            Some(r) => {
                prop_assert!(
                    r.needs().next().is_none(),
                    "every key is fixed, yet {} needs {:?}",
                    p,
                    r.needs().collect::<Vec<_>>()
                );
                if r.chain.len() <= 3 {
                    prop_assert_eq!(
                        shortest,
                        Some(r.chain.len()),
                        "who-can's chain for {} is not the shortest",
                        p
                    );
                } else {
                    prop_assert_eq!(shortest, None);
                }
                let own = play(
                    &mut sources,
                    &w,
                    &case.context(),
                    &[(p.clone(), r.chain.clone())],
                );
                prop_assert_eq!(
                    own[0],
                    Outcome::Allow,
                    "can denies who-can's chain {:?} for {}",
                    r.chain,
                    p
                );
                prop_assert_eq!(r.steps.len(), r.chain.len() + 1);
            }
        }
    }
    for p in principals() {
        let q = what_can::Question {
            principal: &p,
            resource: Some("arn:aws:s3:::data/*"),
            context: &fixed,
            region: None,
            clock: &clock,
        };
        let reads = what_can(&w, &q)
            .unwrap()
            .into_iter()
            .filter(|a| {
                a.access
                    .iter()
                    .any(|r| r.actions.iter().any(|g| g.action == "s3:GetObject"))
            })
            .map(|a| a.chain.len())
            .min();
        let listed = found
            .iter()
            .find(|r| r.principal == p)
            .map(|r| r.chain.len());
        prop_assert_eq!(reads, listed, "what-can and who-can disagree on {}", p);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn who_can_agrees_with_can_on_every_chain(case in case()) {
        check(&case)?;
    }
}

/// The needs of one user reading `arn:aws:s3:::data/x` in a one-account
/// world whose user carries `user_policy` and whose bucket has `bucket_policy`.
fn needs_of(
    user_policy: Value,
    bucket_policy: Option<Value>,
    fixed: &Context,
) -> Option<Vec<String>> {
    let mut bucket = json!({});
    if let Some(p) = bucket_policy {
        bucket["policy"] = p;
    }
    let w = json!({"accounts": {ACCOUNTS[0]: {
        "users": {"u": {"inline_policies": {"p": user_policy}}},
        "buckets": {"data": bucket},
    }}});
    let mut sources = Sources::new();
    needs_in(&load(&mut sources, &w), fixed, None)
}

/// The needs of user `u` of the first account reading
/// `arn:aws:s3:::data/x` in `w`, with the question's keys and region;
/// `None` when it cannot.
fn needs_in(w: &World, fixed: &Context, region: Option<&str>) -> Option<Vec<String>> {
    let clock = Clock::new(jiff::Timestamp::UNIX_EPOCH);
    let q = Question {
        action: "s3:GetObject",
        resource: "arn:aws:s3:::data/x",
        resource_account: None,
        context: fixed,
        region,
        clock: &clock,
    };
    let user = format!("arn:aws:iam::{}:user/u", ACCOUNTS[0]);
    who_can(w, &q)
        .unwrap()
        .into_iter()
        .find(|r| r.principal == user)
        .map(|r| r.needs().map(|n| n.text()).collect())
}

fn read_with(extra: Value) -> Value {
    let mut st = vec![json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})];
    if !extra.is_null() {
        st.push(extra);
    }
    json!({"Version": "2012-10-17", "Statement": st})
}

#[test]
fn an_mfa_enforcing_deny_becomes_a_need_and_context_settles_it() {
    // The IAM user guide's "Allows MFA-authenticated IAM users to manage
    // their own credentials" example: Deny when BoolIfExists false.
    let deny = json!({"Effect": "Deny", "NotAction": "iam:ListUsers", "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}});
    let open = Context::new();
    assert_eq!(
        needs_of(read_with(deny.clone()), None, &open),
        Some(vec!["aws:MultiFactorAuthPresent=true".to_string()])
    );
    let mut with = Context::new();
    with.set("aws:MultiFactorAuthPresent", "true");
    assert_eq!(needs_of(read_with(deny.clone()), None, &with), Some(vec![]));
    let mut without = Context::new();
    without.set("aws:MultiFactorAuthPresent", "false");
    assert_eq!(needs_of(read_with(deny), None, &without), None);
}

#[test]
fn conditions_on_open_keys_are_named_with_their_operator() {
    let open = Context::new();
    let ip = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}, "NumericLessThan": {"s3:max-keys": "10"}}}]});
    assert_eq!(
        needs_of(ip, None, &open),
        Some(vec![
            "aws:SourceIp IpAddress 203.0.113.0/24".to_string(),
            "s3:max-keys NumericLessThan 10".to_string(),
        ])
    );
    // A bucket policy's Deny outside a network: to escape it, be inside.
    let fence = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]});
    assert_eq!(
        needs_of(read_with(Value::Null), Some(fence.clone()), &open),
        Some(vec!["aws:SourceIp IpAddress 10.0.0.0/8".to_string()])
    );
    let mut outside = Context::new();
    outside.set("aws:SourceIp", "192.0.2.1");
    assert_eq!(
        needs_of(read_with(Value::Null), Some(fence), &outside),
        None
    );
    // A condition on a key the world derives is a fact, never a need: the
    // user has no tag "team", so the allow never applies.
    let tagged = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "data"}}}]});
    assert_eq!(needs_of(tagged, None, &open), None);
}

#[test]
fn a_deny_that_does_not_apply_is_not_made_to() {
    // Found by the semantic diff's oracle: an Allow that needs a source
    // IP beside a Deny on MFA, which a caller without MFA escapes. The
    // Deny's false condition is no need; the source IP is the only one.
    let user = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]});
    // Near miss: with MFA fixed true, the Deny applies and no one can.
    needs_then_none_with_mfa(user, "aws:SourceIp IpAddress 203.0.113.0/24");
}

/// `user` needs exactly `need` when the question fixes nothing, and no
/// one can once the question fixes `aws:MultiFactorAuthPresent=true`.
fn needs_then_none_with_mfa(user: Value, need: &str) {
    assert_eq!(
        needs_of(user.clone(), None, &Context::new()),
        Some(vec![need.to_string()])
    );
    let mut mfa = Context::new();
    mfa.set("aws:MultiFactorAuthPresent", "true");
    assert_eq!(needs_of(user, None, &mfa), None);
}

/// Who reads `arn:aws:s3:::data/x` in a one-account world whose role `R`
/// (trusting everyone) carries `role_policy`: principal and needs.
fn readers_through_role(role_policy: Value) -> Vec<(String, Vec<String>)> {
    let w = json!({"accounts": {ACCOUNTS[0]: {
        "users": {"u": {"inline_policies": {"p": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}}}}},
        "roles": {"R": {
            "trust_policy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}},
            "inline_policies": {"p": role_policy}}},
        "buckets": {"data": {}},
    }}});
    let mut sources = Sources::new();
    let w = load(&mut sources, &w);
    let clock = Clock::new(jiff::Timestamp::UNIX_EPOCH);
    let open = Context::new();
    let q = Question {
        action: "s3:GetObject",
        resource: "arn:aws:s3:::data/x",
        resource_account: None,
        context: &open,
        region: None,
        clock: &clock,
    };
    who_can(&w, &q)
        .unwrap()
        .into_iter()
        .filter(|r| !r.principal.ends_with(":root"))
        .map(|r| (r.principal.clone(), r.needs().map(|n| n.text()).collect()))
        .collect()
}

#[test]
fn a_session_always_carries_mfa_so_its_absence_is_never_assumed() {
    // Found by the `access` fuzz target: ForAllValues is true on an absent
    // key, but a role session always carries aws:MultiFactorAuthPresent
    // (true or false), so nothing lets it through this condition.
    let only_when_absent = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"ForAllValues:StringLike": {"aws:MultiFactorAuthPresent": "alice"}}}});
    assert_eq!(readers_through_role(only_when_absent), vec![]);
    // The near miss on the other side: true is a value a session can carry.
    let with_mfa = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}});
    let role = format!("arn:aws:iam::{}:role/R", ACCOUNTS[0]);
    let user = format!("arn:aws:iam::{}:user/u", ACCOUNTS[0]);
    let mfa = vec!["aws:MultiFactorAuthPresent=true".to_string()];
    assert_eq!(
        readers_through_role(with_mfa),
        vec![(role, mfa.clone()), (user, mfa)]
    );
}

/// A one-account world whose user `u` may read any object of bucket
/// `data`, given as this bucket object.
fn regional(bucket: Value) -> World {
    let w = json!({"accounts": {ACCOUNTS[0]: {
        "users": {"u": {"inline_policies": {"p": read_with(Value::Null)}}},
        "buckets": {"data": bucket},
    }}});
    load(&mut Sources::new(), &w)
}

fn bucket_denying(key: &str, op: &str, value: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {op: {key: value}}}]})
}

#[test]
fn the_region_is_open_unless_fixed_and_tls_is_a_fact() {
    // A bucket of no known region that denies outside eu-west-1 and
    // without TLS: the region is the caller's choice, a need; TLS is not.
    let mut policy = bucket_denying("aws:RequestedRegion", "StringNotEquals", "eu-west-1");
    policy["Statement"].as_array_mut().unwrap().extend(
        bucket_denying("aws:SecureTransport", "Bool", "false")["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .cloned(),
    );
    let w = regional(json!({"policy": policy}));
    let open = Context::new();
    assert_eq!(
        needs_in(&w, &open, None),
        Some(vec![
            "aws:RequestedRegion StringEquals eu-west-1".to_string()
        ])
    );
    // --region fixes it, either way.
    assert_eq!(needs_in(&w, &open, Some("eu-west-1")), Some(vec![]));
    assert_eq!(needs_in(&w, &open, Some("us-east-1")), None);
    // --context aws:SecureTransport=false makes the TLS Deny apply.
    let mut no_tls = Context::new();
    no_tls.set("aws:SecureTransport", "false");
    assert_eq!(needs_in(&w, &no_tls, Some("eu-west-1")), None);
}

#[test]
fn an_allow_on_the_region_is_a_need_too() {
    let allow_eu = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]});
    assert_eq!(
        needs_of(allow_eu.clone(), None, &Context::new()),
        Some(vec!["aws:RequestedRegion=eu-west-1".to_string()])
    );
    let w = json!({"accounts": {ACCOUNTS[0]: {
        "users": {"u": {"inline_policies": {"p": allow_eu}}},
        "buckets": {"data": {}},
    }}});
    let w = load(&mut Sources::new(), &w);
    assert_eq!(needs_in(&w, &Context::new(), Some("us-east-1")), None);
}

#[test]
fn a_known_bucket_region_is_a_fact() {
    let policy = bucket_denying("aws:RequestedRegion", "StringNotEquals", "eu-west-1");
    let open = Context::new();
    // A bucket in eu-west-1: requests on it go there, nothing to choose.
    let w = regional(json!({"policy": policy.clone(), "region": "eu-west-1"}));
    assert_eq!(needs_in(&w, &open, None), Some(vec![]));
    // Near miss: in us-east-1, the user cannot.
    let w = regional(json!({"policy": policy, "region": "us-east-1"}));
    assert_eq!(needs_in(&w, &open, None), None);
}

/// Who reads `arn:aws:s3:::data/x` in a one-account world whose role `R`
/// carries `role_policy` and whose bucket has `bucket_policy`, with the
/// question's keys; the principals (no roots) and their needs.
fn readers_of(
    role_policy: &Value,
    bucket_policy: &Value,
    fixed: &Context,
) -> Vec<(String, Vec<String>)> {
    let w = json!({"accounts": {ACCOUNTS[0]: {
        "roles": {"R": {
            "trust_policy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": ACCOUNTS[0]}, "Action": "sts:AssumeRole"}},
            "inline_policies": {"p": role_policy}}},
        "buckets": {"data": {"policy": bucket_policy}},
    }}});
    let w = load(&mut Sources::new(), &w);
    let clock = Clock::new(jiff::Timestamp::UNIX_EPOCH);
    let q = Question {
        action: "s3:GetObject",
        resource: "arn:aws:s3:::data/x",
        resource_account: None,
        context: fixed,
        region: None,
        clock: &clock,
    };
    who_can(&w, &q)
        .unwrap()
        .into_iter()
        .filter(|r| !r.principal.ends_with(":root"))
        .map(|r| (r.principal.clone(), r.needs().map(|n| n.text()).collect()))
        .collect()
}

#[test]
fn a_need_one_statement_asks_for_does_not_hide_the_default_another_accepts() {
    // Found comparing who-can with `can` on generated worlds: the role's
    // own policy allows a session without MFA inside a network; the bucket
    // policy allows with MFA. Asked together, MFA=true (for the bucket)
    // broke the role's own allow and the role was left out, though
    // `can ROLE --context aws:SourceIp=203.0.113.5` allows it.
    let role = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]});
    let bucket = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Principal": {"AWS": ACCOUNTS[0]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}});
    let r = format!("arn:aws:iam::{}:role/R", ACCOUNTS[0]);
    let inside = vec!["aws:SourceIp IpAddress 203.0.113.0/24".to_string()];
    assert_eq!(
        readers_of(&role, &bucket, &Context::new()),
        vec![(r.clone(), inside)]
    );
    // Near misses: outside the network, or with MFA, the role cannot
    // (a bucket policy naming the account grants a same-account session
    // nothing its own policies do not).
    let mut outside = Context::new();
    outside.set("aws:SourceIp", "198.51.100.1");
    assert_eq!(readers_of(&role, &bucket, &outside), vec![]);
    let mut mfa = Context::new();
    mfa.set("aws:MultiFactorAuthPresent", "true");
    mfa.set("aws:SourceIp", "203.0.113.5");
    assert_eq!(readers_of(&role, &bucket, &mfa), vec![]);
    let mut without = Context::new();
    without.set("aws:MultiFactorAuthPresent", "false");
    without.set("aws:SourceIp", "203.0.113.5");
    assert_eq!(readers_of(&role, &bucket, &without), vec![(r, vec![])]);
}

#[test]
fn two_conditions_on_one_key_are_two_alternatives() {
    // Found comparing who-can with `can` on generated worlds: a Deny when
    // the MFA key is absent (escaped by any value) and an Allow only
    // without MFA. The Deny's value was kept, the Allow's dropped as a
    // second need on the same key, and the user was left out, though
    // `can USER --context aws:MultiFactorAuthPresent=false` allows it.
    let user = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"Null": {"aws:MultiFactorAuthPresent": "true"}}}]});
    // Near miss: with MFA, the Allow does not apply.
    needs_then_none_with_mfa(user, "aws:MultiFactorAuthPresent=false");
}
