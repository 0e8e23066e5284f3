//! The keys every real request carries, and decisions that rest on an
//! absent key (issue 11, items 2 and 3): what a step's explanation says of
//! defaulted keys, of MissingContextValues (Deny statements, SCPs and RCPs
//! included) and of keys whose presence would change the decision; and how
//! who-can treats the region (open) and TLS (a fact).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly on anything unexpected"
)]

use iamsim_core::access::who_can::{Question, who_can};
use iamsim_core::context::Context;
use iamsim_core::diag::Sources;
use iamsim_core::eval::Outcome;
use iamsim_core::report::RequestTrace;
use iamsim_core::request::{Clock, SetWith};
use iamsim_core::scenario::{self, Detail};
use iamsim_core::world::{self, NoFiles, World};
use serde_json::{Value, json};

const ALICE: &str = "arn:aws:iam::111111111111:user/alice";
const OBJECT: &str = "arn:aws:s3:::data/report.csv";

fn policy(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow_s3() -> Value {
    policy(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]))
}

/// Account 111111111111 (a member of an organization whose root has these
/// SCPs and RCPs) with alice, allowed s3:*, and the bucket `data` with
/// this policy.
fn world_json(bucket_policy: Option<Value>, scps: Value, rcps: Value) -> Value {
    let mut bucket = json!({});
    if let Some(p) = bucket_policy {
        bucket["policy"] = p;
    }
    json!({
        "accounts": {
            "111111111111": {
                "ou": "root",
                "users": {"alice": {"inline_policies": {"s3": allow_s3()}}},
                "buckets": {"data": bucket}
            },
            "999999999999": {"ou": "root"}
        },
        "organization": {
            "id": "o-a1b2c3d4e5",
            "management_account": "999999999999",
            "root": {"scps": scps, "rcps": rcps},
            "ous": {}
        }
    })
}

fn full_access() -> Value {
    json!([policy(
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    )])
}

/// Runs alice's one step (with this step JSON) in the world, explained;
/// returns the step's first request.
fn trace(world: &Value, step: Value) -> RequestTrace {
    let file = json!({
        "world": world,
        "scenarios": [{"name": "s", "principal": ALICE, "steps": [step], "expect": "allow"}]
    });
    let mut sources = Sources::new();
    let id = sources.add("s.json", file.to_string());
    let parsed = scenario::parse_file(&mut sources, id, &mut NoFiles)
        .unwrap_or_else(|e| panic!("{}", e[0].render(&sources)));
    let scenario::WorldRef::Inline(node) = &parsed.world else {
        panic!("inline world expected")
    };
    let w = world::load_world_node(
        &mut sources,
        iamsim_core::diag::Doc { source: id },
        node,
        &iamsim_core::diag::JsonPath::ROOT.key("world"),
        &mut NoFiles,
    )
    .unwrap_or_else(|e| panic!("{}", e[0].render(&sources)));
    let clock = Clock::new(jiff::Timestamp::UNIX_EPOCH);
    let r = scenario::run_scenario(
        &w,
        &parsed,
        &parsed.scenarios[0],
        &clock,
        Detail::Explanations,
    )
    .unwrap_or_else(|e| panic!("{}", e.render(&sources)));
    r.steps[0].requests[0].clone()
}

fn get(context: Value) -> Value {
    json!({"action": "s3:GetObject", "resource": OBJECT, "context": context})
}

fn deny_outside(key: &str, op: &str, value: &str) -> Value {
    json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
           "Condition": {op: {key: value}}})
}

#[test]
fn a_deny_on_an_absent_source_ip_is_missing_context_and_would_differ() {
    let w = world_json(
        Some(policy(json!([deny_outside(
            "aws:SourceIp",
            "NotIpAddress",
            "203.0.113.0/24"
        )]))),
        full_access(),
        json!([]),
    );
    // No source IP: NotIpAddress on an absent key is true, the Deny applies.
    let t = trace(&w, get(json!({})));
    assert_eq!(t.outcome, Outcome::ExplicitDeny);
    assert_eq!(t.missing_context, ["aws:SourceIp"]);
    assert_eq!(t.would_differ, ["aws:SourceIp"]);
    assert!(
        t.summary
            .ends_with("; would differ if aws:SourceIp were present"),
        "{}",
        t.summary
    );
    // Near miss: an address inside the range escapes the Deny.
    let t = trace(&w, get(json!({"aws:SourceIp": "203.0.113.7"})));
    assert_eq!(t.outcome, Outcome::Allow);
    assert!(t.missing_context.is_empty());
    assert!(!t.summary.contains("would differ"), "{}", t.summary);
    // Near miss: an address outside is denied, and says nothing of absence.
    let t = trace(&w, get(json!({"aws:SourceIp": "198.51.100.1"})));
    assert_eq!(t.outcome, Outcome::ExplicitDeny);
    assert!(t.missing_context.is_empty());
    assert!(!t.summary.contains("would differ"), "{}", t.summary);
}

#[test]
fn scp_and_rcp_statements_are_on_the_decision_path() {
    let scp_deny = policy(json!([{
        "Effect": "Deny", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringLike": {"aws:UserAgent": "*curl*"}}
    }]));
    let mut scps = full_access();
    scps.as_array_mut().unwrap().push(scp_deny);
    let rcp_deny = policy(json!([{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}
    }]));
    let w = world_json(None, scps, json!([rcp_deny]));
    // Neither key is present: neither Deny applies, but the decision
    // rests on both absences.
    let t = trace(&w, get(json!({})));
    assert_eq!(t.outcome, Outcome::Allow);
    assert_eq!(t.missing_context, ["aws:SourceIp", "aws:UserAgent"]);
    assert_eq!(t.would_differ, ["aws:SourceIp", "aws:UserAgent"]);
    // Near miss: with both given, nothing is missing and nothing would differ.
    let t = trace(
        &w,
        get(json!({"aws:SourceIp": "198.51.100.1", "aws:UserAgent": "aws-cli/2"})),
    );
    assert_eq!(t.outcome, Outcome::Allow);
    assert!(t.missing_context.is_empty(), "{:?}", t.missing_context);
    assert!(t.would_differ.is_empty());
    // Near miss: a user agent the SCP denies.
    let t = trace(
        &w,
        get(json!({"aws:SourceIp": "198.51.100.1", "aws:UserAgent": "curl/8"})),
    );
    assert_eq!(t.outcome, Outcome::ExplicitDeny);
}

#[test]
fn an_absent_key_the_world_derives_is_missing_but_a_fact() {
    // A tag the bucket does not carry: its absence is the world's, so the
    // summary does not say the decision would differ.
    let tag_deny = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                          "Condition": {"StringNotEquals": {"aws:ResourceTag/team": "data"}}});
    let w = world_json(Some(policy(json!([tag_deny]))), full_access(), json!([]));
    let t = trace(&w, get(json!({})));
    assert_eq!(t.outcome, Outcome::ExplicitDeny);
    assert_eq!(t.missing_context, ["aws:ResourceTag/team"]);
    assert!(t.would_differ.is_empty());
    assert!(!t.summary.contains("would differ"), "{}", t.summary);
    // Near miss: a key the caller chooses, in the same place, would.
    let req_deny = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                          "Condition": {"StringNotEquals": {"aws:RequestTag/team": "data"}}});
    let w = world_json(Some(policy(json!([req_deny]))), full_access(), json!([]));
    let t = trace(&w, get(json!({})));
    assert_eq!(t.would_differ, ["aws:RequestTag/team"]);
}

#[test]
fn the_explanation_lists_the_defaulted_keys_and_how_to_change_them() {
    let w = world_json(None, full_access(), json!([]));
    let t = trace(&w, get(json!({})));
    let keys: Vec<(&str, &str, Option<SetWith>)> = t
        .defaults
        .iter()
        .map(|d| (d.key, d.value.as_str(), d.set_with))
        .collect();
    assert_eq!(
        keys,
        [
            ("aws:RequestedRegion", "us-east-1", Some(SetWith::Region)),
            ("aws:SecureTransport", "true", Some(SetWith::Context)),
        ]
    );
    // A region the question names, and a context key, are not defaults.
    let mut step = get(json!({"aws:SecureTransport": false}));
    step["region"] = json!("eu-west-1");
    let t = trace(&w, step);
    assert!(t.defaults.is_empty(), "{:?}", t.defaults);
    // IAM's region is fixed: only a context key changes it.
    let t = trace(
        &w,
        json!({"action": "iam:ListUsers", "resource": "*", "region": "eu-west-1"}),
    );
    let region = t.defaults.iter().find(|d| d.key == "aws:RequestedRegion");
    assert_eq!(
        region.map(|d| (d.value.as_str(), d.set_with)),
        Some(("us-east-1", Some(SetWith::Context)))
    );
}

fn load(world: &Value) -> World {
    let mut sources = Sources::new();
    let id = sources.add("world.json", world.to_string());
    world::load_world(&mut sources, id, &mut NoFiles)
        .unwrap_or_else(|e| panic!("{}", e[0].render(&sources)))
}

/// who-can s3:GetObject on the object: each principal with its needs.
fn who(w: &World, context: &Context, region: Option<&str>) -> Vec<(String, Vec<String>)> {
    let clock = Clock::new(jiff::Timestamp::UNIX_EPOCH);
    let q = Question {
        action: "s3:GetObject",
        resource: OBJECT,
        resource_account: None,
        context,
        region,
        clock: &clock,
    };
    who_can(w, &q)
        .unwrap()
        .into_iter()
        .filter(|r| !r.principal.ends_with(":root"))
        .map(|r| (r.principal.clone(), r.needs().map(|n| n.text()).collect()))
        .collect()
}

#[test]
fn who_can_leaves_the_region_open_and_takes_tls_as_a_fact() {
    let region_deny = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                             "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}});
    let tls_deny = deny_outside("aws:SecureTransport", "Bool", "false");
    let w = load(&world_json(
        Some(policy(json!([region_deny, tls_deny]))),
        full_access(),
        json!([]),
    ));
    let open = Context::new();
    // The region is the caller's choice: a need; TLS is not.
    assert_eq!(
        who(&w, &open, None),
        [(
            ALICE.to_string(),
            vec!["aws:RequestedRegion StringEquals eu-west-1".to_string()]
        )]
    );
    // --region fixes it, either way.
    assert_eq!(
        who(&w, &open, Some("eu-west-1")),
        [(ALICE.to_string(), vec![])]
    );
    assert!(who(&w, &open, Some("us-east-1")).is_empty());
    // --context aws:SecureTransport=false makes the TLS Deny apply.
    let mut no_tls = Context::new();
    no_tls.set("aws:SecureTransport", "false");
    assert!(who(&w, &no_tls, Some("eu-west-1")).is_empty());
}

#[test]
fn who_can_needs_the_region_of_an_allow_too() {
    let mut w = world_json(None, full_access(), json!([]));
    w["accounts"]["111111111111"]["users"]["alice"]["inline_policies"]["s3"] = policy(json!([{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    }]));
    let w = load(&w);
    let open = Context::new();
    assert_eq!(
        who(&w, &open, None),
        [(
            ALICE.to_string(),
            vec!["aws:RequestedRegion=eu-west-1".to_string()]
        )]
    );
    assert!(who(&w, &open, Some("us-east-1")).is_empty());
}

#[test]
fn who_can_takes_a_known_resource_region_as_a_fact() {
    let region_deny = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                             "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}});
    let mut w = world_json(Some(policy(json!([region_deny]))), full_access(), json!([]));
    // A bucket in eu-west-1: requests on it go there, nothing to choose.
    w["accounts"]["111111111111"]["buckets"]["data"]["region"] = json!("eu-west-1");
    let open = Context::new();
    assert_eq!(who(&load(&w), &open, None), [(ALICE.to_string(), vec![])]);
    // Near miss: in us-east-1, nobody can.
    w["accounts"]["111111111111"]["buckets"]["data"]["region"] = json!("us-east-1");
    assert!(who(&load(&w), &open, None).is_empty());
}
