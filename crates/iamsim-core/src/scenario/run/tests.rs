//! What a run's explanation says of the keys every real request carries
//! and of decisions that rest on an absent key (issue 11, items 2 and 3):
//! the defaulted keys and how to change them, MissingContextValues (Deny
//! statements, SCPs and RCPs included) and the keys whose presence would
//! change the decision. How who-can treats the region and TLS is in
//! tests/who_can.rs.

use crate::diag::{Doc, JsonPath, Sources};
use crate::eval::Outcome;
use crate::report::RequestTrace;
use crate::request::{Clock, SetWith};
use crate::scenario::{self, Detail, ScenarioResult, WorldRef, run_scenario};
use crate::world::{NoFiles, load_world_node};
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
    let r = run(&file, Detail::Explanations);
    r.steps[0].requests[0].clone()
}

/// Runs the first scenario of a scenario file with an inline world.
pub(super) fn run(file: &Value, detail: Detail) -> ScenarioResult {
    let mut sources = Sources::new();
    let id = sources.add("s.json", file.to_string());
    let parsed = scenario::parse_file(&mut sources, id, &mut NoFiles)
        .unwrap_or_else(|e| panic!("{}", e[0].render(&sources)));
    let WorldRef::Inline(node) = &parsed.world else {
        panic!("inline world expected")
    };
    let w = load_world_node(
        &mut sources,
        Doc { source: id },
        node,
        &JsonPath::ROOT.key("world"),
        &mut NoFiles,
    )
    .unwrap_or_else(|e| panic!("{}", e[0].render(&sources)));
    let clock = Clock::new(jiff::Timestamp::UNIX_EPOCH);
    run_scenario(&w, &parsed, &parsed.scenarios[0], &clock, detail)
        .unwrap_or_else(|e| panic!("{}", e.render(&sources)))
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
