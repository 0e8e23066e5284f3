//! The laws of AWS's evaluation, checked on generated worlds and requests
//! (issue "Reliability"): explicit deny wins, SCPs and RCPs never grant,
//! allows only add and denies only take away, cross-account needs both
//! sides, order does not matter, the fast and the explaining paths agree,
//! AWS's protections hold whatever the policies say, and printing a
//! compiled policy compiles back to it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly on anything unexpected"
)]

use iamsim_core::diag::{Doc, JsonPath, Sources};
use iamsim_core::eval::Outcome;
use iamsim_core::policy::{PolicyKind, parse, print};
use iamsim_core::report::RequestTrace;
use iamsim_core::request::Clock;
use iamsim_core::scenario::{self, Detail};
use iamsim_core::world::{self, NoFiles};
use proptest::prelude::*;
use serde_json::{Value, json};

const A: &str = "111111111111";
const B: &str = "222222222222";
const ALICE: &str = "arn:aws:iam::222222222222:user/alice";
const BOB: &str = "arn:aws:iam::111111111111:user/bob";

/// One generated statement, from a vocabulary with near misses.
fn statement(principal: bool) -> impl Strategy<Value = Value> {
    let actions = prop::sample::select(vec![
        "s3:GetObject",
        "s3:*",
        "s3:Get*",
        "*",
        "s3:PutObject",
        "ec2:*",
        "S3:getobject",
    ]);
    let resources = prop::sample::select(vec![
        "*",
        "arn:aws:s3:::b-data/*",
        "arn:aws:s3:::b-data/x*",
        "arn:aws:s3:::other/*",
        "arn:aws:s3:::b-*",
    ]);
    let principals = prop::sample::select(vec![
        json!("*"),
        json!({"AWS": A}),
        json!({"AWS": B}),
        json!({"AWS": ALICE}),
        json!({"AWS": BOB}),
        json!({"AWS": format!("arn:aws:iam::{B}:root")}),
    ]);
    let some_conditions = prop::sample::select(vec![
        Some(json!({"StringEquals": {"aws:PrincipalAccount": B}})),
        Some(json!({"Bool": {"aws:SecureTransport": "true"}})),
        Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
        Some(json!({"StringLikeIfExists": {"aws:PrincipalTag/team": "d*"}})),
        Some(json!({"NumericLessThan": {"s3:max-keys": "10"}})),
        Some(json!({"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}})),
        Some(json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}})),
    ]);
    // Mostly no condition, mostly Allow: enough allowed requests for the
    // laws about allows to bite.
    let conditions = prop_oneof![2 => Just(None), 1 => some_conditions];
    let effects = prop::sample::select(vec![
        true, true, true, true, true, true, true, true, true, false,
    ]);
    let rarely =
        || prop::sample::select(vec![false, false, false, false, false, false, false, true]);
    (
        effects,
        rarely(),
        actions,
        rarely(),
        resources,
        principals,
        any::<bool>(),
        conditions,
    )
        .prop_map(
            move |(
                allow,
                not_action,
                action,
                not_resource,
                resource,
                who,
                not_principal,
                condition,
            )| {
                let mut s = serde_json::Map::new();
                s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                s.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    json!(action),
                );
                s.insert(
                    if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    json!(resource),
                );
                if principal {
                    // NotPrincipal only with Deny, as AWS advises.
                    let key = if not_principal && !allow {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    };
                    s.insert(key.into(), who);
                }
                if let Some(c) = condition {
                    s.insert("Condition".into(), c);
                }
                Value::Object(s)
            },
        )
}

fn policy(principal: bool) -> impl Strategy<Value = Value> {
    prop::collection::vec(statement(principal), 1..4)
        .prop_map(|st| json!({"Version": "2012-10-17", "Statement": st}))
}

/// A world: alice in B and bob in A, a bucket of A, an organization.
#[derive(Clone, Debug)]
struct Case {
    alice: Vec<Value>,
    bob: Vec<Value>,
    bucket: Option<Value>,
    scps: Option<Vec<Value>>,
    rcps: Vec<Value>,
    principal: &'static str,
    action: &'static str,
    key: &'static str,
    context: Value,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(policy(false), 0..3),
        prop::collection::vec(policy(false), 0..3),
        prop::option::of(policy(true)),
        // SCP lists start with FullAWSAccess, as AWS attaches it.
        prop::option::weighted(0.3, prop::collection::vec(policy(false), 0..2).prop_map(|mut v| {
            v.insert(0, json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}));
            v
        })),
        prop::option::weighted(0.2, policy(true)).prop_map(|p| p.into_iter().collect::<Vec<_>>()),
        prop::sample::select(vec![ALICE, BOB]),
        prop::sample::select(vec!["s3:GetObject", "s3:PutObject", "s3:ListBucket"]),
        prop::sample::select(vec!["x1", "y/report.csv"]),
        (prop::sample::select(vec!["10.1.2.3", "203.0.113.7"]), any::<bool>(), prop::sample::select(vec!["5", "50"])),
    )
        .prop_map(|(alice, bob, bucket, scps, rcps, principal, action, key, (ip, tls, max))| Case {
            alice,
            bob,
            bucket,
            scps,
            // RCP statements name "*" as their principal.
            rcps: rcps
                .into_iter()
                .map(|mut p| {
                    for s in p["Statement"].as_array_mut().unwrap() {
                        let o = s.as_object_mut().unwrap();
                        o.remove("NotPrincipal");
                        o.insert("Principal".into(), json!("*"));
                    }
                    p
                })
                .collect(),
            principal,
            action,
            key,
            context: json!({"aws:SourceIp": ip, "aws:SecureTransport": tls, "s3:max-keys": max, "aws:RequestedRegion": "us-east-1"}),
        })
}

fn inline(policies: &[Value]) -> Value {
    Value::Object(
        policies
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("p{i}"), p.clone()))
            .collect(),
    )
}

impl Case {
    fn world(&self) -> Value {
        let mut a = json!({"ou": "ou-x", "users": {"bob": {"inline_policies": inline(&self.bob)}}, "buckets": {"b-data": {}}});
        if let Some(p) = &self.bucket {
            a["buckets"]["b-data"]["policy"] = p.clone();
        }
        if let Some(scps) = &self.scps {
            a["scps"] = json!(scps);
        }
        let b = json!({"ou": "ou-x", "users": {"alice": {"inline_policies": inline(&self.alice), "tags": {"team": "data"}}}});
        json!({
            "accounts": {A: a, B: b},
            "organization": {"id": "o-abc", "management_account": "999999999999", "root": {"rcps": self.rcps}, "ous": {"ou-x": {"parent": "root"}}},
        })
    }

    fn decide(&self) -> Outcome {
        decide_world(
            &self.world(),
            self.principal,
            self.action,
            self.key,
            &self.context,
        )
    }
}

fn decide_world(
    world: &Value,
    principal: &str,
    action: &str,
    key: &str,
    context: &Value,
) -> Outcome {
    let resource = if action == "s3:ListBucket" {
        "arn:aws:s3:::b-data".to_string()
    } else {
        format!("arn:aws:s3:::b-data/{key}")
    };
    decide_request(world, principal, action, &resource, context)
}

/// Decides one request on both paths, which must agree.
fn decide_request(
    world: &Value,
    principal: &str,
    action: &str,
    resource: &str,
    context: &Value,
) -> Outcome {
    // Keys of another service than the action's (`s3:max-keys` on an `iam:`
    // request) reach no request, which a scenario file refuses; they
    // decide nothing there.
    let service = action.split(':').next().unwrap_or_default();
    let mut context = context.clone();
    if let Some(keys) = context.as_object_mut() {
        keys.retain(|k, _| k.starts_with("aws:") || k.split(':').next() == Some(service));
    }
    let file = json!({"world": world, "context": context, "scenarios": [{"name": "p", "principal": principal, "steps": [{"action": action, "resource": resource}], "expect": "allow"}]});
    let mut sources = Sources::new();
    let id = sources.add("case.json", file.to_string());
    let parsed = scenario::parse_file(&mut sources, id, &mut NoFiles)
        .unwrap_or_else(|e| panic!("{}", e[0].render(&sources)));
    let wnode = iamsim_core::json::parse(&world.to_string()).unwrap();
    let wid = sources.add("world.json", world.to_string());
    let w = world::load_world_node(
        &mut sources,
        Doc { source: wid },
        &wnode,
        &JsonPath::ROOT,
        &mut NoFiles,
    )
    .unwrap_or_else(|e| panic!("{}", e[0].render(&sources)));
    let clock = Clock::new(jiff::Timestamp::UNIX_EPOCH);
    let sc = &parsed.scenarios[0];
    let fast = scenario::run_scenario(&w, &parsed, sc, &clock, Detail::Decisions).unwrap();
    let explained = scenario::run_scenario(&w, &parsed, sc, &clock, Detail::Explanations).unwrap();
    assert_eq!(
        fast.outcome, explained.outcome,
        "the fast and the explaining paths disagree"
    );
    // `run --format json`'s summaries are the explanations without gates.
    let summarized = scenario::run_scenario(&w, &parsed, sc, &clock, Detail::Summaries).unwrap();
    let traces = |r: &scenario::ScenarioResult| -> Vec<RequestTrace> {
        r.steps
            .iter()
            .flat_map(|s| s.requests.iter().cloned())
            .map(|t| RequestTrace {
                gates: Vec::new(),
                ..t
            })
            .collect()
    };
    assert_eq!(summarized.outcome, explained.outcome);
    assert_eq!(traces(&summarized), traces(&explained));
    assert!(!traces(&summarized).is_empty());
    fast.outcome
}

fn rank(o: Outcome) -> u8 {
    match o {
        Outcome::Allow => 2,
        Outcome::ImplicitDeny => 1,
        Outcome::ExplicitDeny => 0,
        Outcome::Indeterminate => panic!("these worlds hold nothing known only after apply"),
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 192,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// D02: a matching Deny, attached anywhere on the principal, wins.
    #[test]
    fn a_matching_deny_is_an_explicit_deny(c in case()) {
        let mut c = c;
        let deny = json!({"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": c.action, "Resource": "*"}});
        if c.principal == ALICE { c.alice.push(deny) } else { c.bob.push(deny) }
        prop_assert_eq!(c.decide(), Outcome::ExplicitDeny);
    }

    /// D18, D20: SCPs and RCPs only take away. With AWS's defaults at every
    /// level (FullAWSAccess, RCPFullAWSAccess), access is never smaller.
    #[test]
    fn scps_and_rcps_never_grant(c in case()) {
        let with = c.decide();
        let defaults = Case { scps: None, rcps: Vec::new(), ..c.clone() }.decide();
        prop_assert!(rank(with) <= rank(defaults), "{with:?} with SCPs/RCPs, {defaults:?} with the defaults");
    }

    /// What AWS protects (here a service-linked role's policies) is refused
    /// whatever the policies say, Allow * included, from either account;
    /// what it leaves editable (the description) is decided exactly as on
    /// an ordinary role.
    #[test]
    fn aws_protections_hold_whatever_the_policies_say(c in case(), allow_all in any::<bool>()) {
        let mut c = c;
        if allow_all {
            let all = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
            if c.principal == ALICE { c.alice.push(all) } else { c.bob.push(all) }
        }
        let trust = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "x.amazonaws.com"}, "Action": "sts:AssumeRole"}});
        let mut w = c.world();
        w["accounts"][A]["roles"] = json!({
            "AWSServiceRoleForX": {"path": "/aws-service-role/x.amazonaws.com/", "trust_policy": trust},
            "Plain": {"trust_policy": trust},
        });
        let slr = format!("arn:aws:iam::{A}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX");
        let plain = format!("arn:aws:iam::{A}:role/Plain");
        let ask = |action: &str, role: &str| decide_request(&w, c.principal, action, role, &c.context);
        prop_assert_eq!(ask("iam:PutRolePolicy", &slr), Outcome::ExplicitDeny);
        prop_assert_eq!(ask("iam:UpdateRoleDescription", &slr), ask("iam:UpdateRoleDescription", &plain));
    }

    /// Adding an Allow never turns allow into deny; adding a Deny never
    /// turns a deny into allow.
    #[test]
    fn allows_only_add_and_denies_only_take_away(c in case(), extra in statement(false)) {
        let before = c.decide();
        let mut after = c.clone();
        let allow = extra["Effect"] == "Allow";
        let p = json!({"Version": "2012-10-17", "Statement": extra});
        if after.principal == ALICE { after.alice.push(p) } else { after.bob.push(p) }
        let after = after.decide();
        if allow && before == Outcome::Allow {
            prop_assert_eq!(after, Outcome::Allow);
        }
        if !allow && before != Outcome::Allow {
            prop_assert!(after != Outcome::Allow);
        }
    }

    /// D12: across accounts, without the bucket policy or without any
    /// identity policy of the caller, nothing is allowed.
    #[test]
    fn cross_account_needs_both_sides(c in case()) {
        let alice = Case { principal: ALICE, ..c };
        let no_bucket_policy = Case { bucket: None, ..alice.clone() }.decide();
        prop_assert!(no_bucket_policy != Outcome::Allow);
        let no_identity = Case { alice: Vec::new(), ..alice }.decide();
        prop_assert!(no_identity != Outcome::Allow);
    }

    /// Decisions do not depend on the order of statements or policies, and
    /// the same request decides the same twice.
    #[test]
    fn order_does_not_matter(c in case()) {
        let before = c.decide();
        prop_assert_eq!(before, c.decide());
        let mut r = c.clone();
        r.alice.reverse();
        r.bob.reverse();
        for p in r.alice.iter_mut().chain(r.bob.iter_mut()).chain(r.bucket.iter_mut()) {
            p["Statement"].as_array_mut().unwrap().reverse();
        }
        prop_assert_eq!(before, r.decide());
    }

    /// Printing a compiled policy and compiling the text gives the same
    /// compiled policy, for every kind of attachment.
    #[test]
    fn print_then_parse_is_the_same_policy(p in policy(true), q in policy(false)) {
        for (doc, kind) in [(p, PolicyKind::Bucket), (q, PolicyKind::Identity)] {
            let compiled = compile(&doc.to_string(), kind);
            let printed = print::to_json(&compiled).to_string();
            prop_assert_eq!(&compile(&printed, kind), &compiled, "{}", printed);
        }
    }
}

fn compile(text: &str, kind: PolicyKind) -> iamsim_core::policy::Policy {
    let mut sources = Sources::new();
    let id = sources.add("p.json", text);
    let node = iamsim_core::json::parse(text).unwrap();
    parse::compile(&Doc { source: id }, &node, &JsonPath::ROOT, kind)
        .unwrap_or_else(|d| panic!("{}", d.render(&sources)))
}

#[test]
fn printing_keeps_literal_wildcards_and_variables() {
    let text = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:Get*",
        "Resource": ["arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/lit${*}${?}${$}"],
        "Condition": {"StringLike": {"s3:prefix": "home/${aws:UserName}/${*}"}}}}"#;
    let compiled = compile(text, PolicyKind::Identity);
    let printed = print::to_json(&compiled).to_string();
    assert!(
        printed.contains("arn:aws:s3:::b/lit${*}${?}${$}"),
        "{printed}"
    );
    assert_eq!(compile(&printed, PolicyKind::Identity), compiled);
}
