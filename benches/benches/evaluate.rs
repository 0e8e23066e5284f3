//! Steady-state costs of the evaluator: compiling a policy, and deciding
//! the seed question (a user of B assumes a role of A, then reads an object
//! of A) against a world loaded once, with and without explanations.
#![allow(clippy::expect_used, reason = "a benchmark stops on broken fixtures")]
#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use criterion::{Criterion, criterion_group, criterion_main};

/// The CLI's allocator, so that figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use iamsim_core::diag::{Doc, JsonPath, Sources};
use iamsim_core::policy::{PolicyKind, parse};
use iamsim_core::request::Clock;
use iamsim_core::scenario::{self, Detail, ScenarioFile};
use iamsim_core::world::{self, NoFiles, World};
use std::hint::black_box;

const POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"],
     "Resource": ["arn:aws:s3:::data-${aws:PrincipalTag/team}", "arn:aws:s3:::data-${aws:PrincipalTag/team}/*"],
     "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]},
                   "Bool": {"aws:SecureTransport": "true"}}},
    {"Sid": "NoDelete", "Effect": "Deny", "NotAction": ["s3:Get*", "s3:List*"], "Resource": "*"}
  ]
}"#;

const SEED: &str = include_str!("../../testdata/seeds/000-day7-trust-user-plakhera/world.json");

const SCENARIO: &str = r#"{"scenarios": [{
  "name": "seed", "principal": "arn:aws:iam::222222222222:user/plakhera",
  "steps": [
    {"assume_role": "arn:aws:iam::111111111111:role/S3ReadOnlyAccesstoDevAccount", "session_name": "DevAccess"},
    {"action": "s3:GetObject", "resource": "arn:aws:s3:::prod-account-a-bucket/report.csv"}
  ],
  "expect": "allow"}]}"#;

fn compile(c: &mut Criterion) {
    c.bench_function("parse and compile a typical policy", |b| {
        b.iter(|| {
            let node = iamsim_core::json::parse(black_box(POLICY)).expect("policy JSON");
            let doc = Doc {
                source: iamsim_core::diag::SourceId(0),
            };
            parse::compile(&doc, &node, &JsonPath::ROOT, PolicyKind::Identity).expect("policy")
        });
    });
}

/// A world and a scenario file, loaded as a run loads them.
fn loaded(world_text: &str, scenario_text: &str) -> (World, ScenarioFile) {
    let mut sources = Sources::new();
    let wid = sources.add("world.json", world_text.to_string());
    let w = world::load_world(&mut sources, wid, &mut NoFiles).expect("world");
    let sid = sources.add("scenario.json", scenario_text.to_string());
    let file = scenario::parse_file(&mut sources, sid, &mut NoFiles).expect("scenario");
    (w, file)
}

fn seed_scenario(c: &mut Criterion) {
    let (w, file) = loaded(SEED, SCENARIO);
    let sc = file.scenarios.first().expect("one scenario");
    let clock = Clock::new(jiff::Timestamp::now());
    for (label, detail) in [
        ("decisions", Detail::Decisions),
        ("summarized (run --format json)", Detail::Summaries),
        ("explained", Detail::Explanations),
    ] {
        let name = format!("seed scenario, {label}: AssumeRole cross-account then GetObject");
        c.bench_function(&name, |b| {
            b.iter(|| {
                let r =
                    scenario::run_scenario(&w, &file, black_box(sc), &clock, detail).expect("runs");
                assert_eq!(r.pass, Some(true));
                r
            });
        });
    }
}

/// One statement of the typical policy against one request.
fn match_statement(c: &mut Criterion) {
    use iamsim_core::context::Context;
    use iamsim_core::policy::{RequestAction, RequestResource};
    let node = iamsim_core::json::parse(POLICY).expect("policy JSON");
    let doc = Doc {
        source: iamsim_core::diag::SourceId(0),
    };
    let policy =
        parse::compile(&doc, &node, &JsonPath::ROOT, PolicyKind::Identity).expect("policy");
    let st = policy.statements.first().expect("a statement");
    let mut ctx = Context::new();
    ctx.set("aws:PrincipalTag/team", "analytics");
    ctx.set("aws:SourceIp", "203.0.113.7");
    ctx.set("aws:SecureTransport", "true");
    let action = RequestAction::parse("s3:getobject").expect("action");
    let resource =
        RequestResource::parse("arn:aws:s3:::data-analytics/2024/report.csv").expect("arn");
    c.bench_function(
        "match one statement (wildcards, variable, IP and Bool conditions)",
        |b| {
            b.iter(|| {
                let hit = st.matches_request(black_box(&action), black_box(&resource), &ctx);
                assert!(hit);
                hit
            });
        },
    );
}

/// Fifty policies of realistic shape: wildcards, conditions, NotAction.
fn fifty_policies() -> String {
    let mut docs = Vec::new();
    for i in 0..50 {
        let doc = match i % 5 {
            0 => format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": ["arn:aws:s3:::team-{i}-*", "arn:aws:s3:::team-{i}-*/*"]}}]}}"#
            ),
            1 => format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*", "Condition": {{"StringEquals": {{"aws:RequestedRegion": ["us-east-1", "eu-west-{i}"]}}}}}}]}}"#
            ),
            2 => format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Deny", "NotAction": ["s3:*", "sts:*", "kms:Decrypt"], "Resource": "*", "Condition": {{"BoolIfExists": {{"aws:MultiFactorAuthPresent": "false"}}}}}}, {{"Sid": "P{i}", "Effect": "Allow", "Action": "dynamodb:Query", "Resource": "arn:aws:dynamodb:*:111111111111:table/t{i}"}}]}}"#
            ),
            3 => format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::uploads-{i}/${{aws:PrincipalTag/team}}/*", "Condition": {{"IpAddress": {{"aws:SourceIp": "10.{i}.0.0/16"}}}}}}]}}"#
            ),
            _ => format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": ["sqs:SendMessage", "sns:Publish"], "Resource": "arn:aws:sqs:us-east-1:111111111111:queue-{i}"}}]}}"#
            ),
        };
        docs.push(format!(r#""p{i}": {doc}"#));
    }
    let names: Vec<String> = (0..50).map(|i| format!(r#""p{i}""#)).collect();
    format!(
        r#"{{"accounts": {{
          "111111111111": {{
            "policies": {{{}}},
            "roles": {{"Wide": {{
              "trust_policy": {{"Statement": {{"Effect": "Allow", "Principal": {{"AWS": "222222222222"}}, "Action": "sts:AssumeRole"}}}},
              "managed_policies": [{}, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]}}}},
            "buckets": {{"prod-account-a-bucket": {{}}}}}},
          "222222222222": {{"users": {{"plakhera": {{"inline_policies": {{"assume": {{"Version": "2012-10-17",
            "Statement": {{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::111111111111:role/*"}}}}}}}}}}}}}}}}"#,
        docs.join(", "),
        names.join(", ")
    )
}

/// The seed scenario against a role carrying fifty policies.
fn fifty_policy_scenario(c: &mut Criterion) {
    let world_text = fifty_policies();
    let text = SCENARIO.replace("S3ReadOnlyAccesstoDevAccount", "Wide");
    let (w, file) = loaded(&world_text, &text);
    let sc = file.scenarios.first().expect("one scenario");
    let clock = Clock::new(jiff::Timestamp::now());
    c.bench_function("seed scenario, decisions, role with 50 policies", |b| {
        b.iter(|| {
            let r = scenario::run_scenario(&w, &file, black_box(sc), &clock, Detail::Decisions)
                .expect("runs");
            assert_eq!(r.pass, Some(true));
            r
        });
    });
}

/// The seed scenario 100,000 times over every core (rayon), as a batch run
/// decides them: the throughput figure of benches/README.md.
fn seed_scenario_parallel(c: &mut Criterion) {
    use rayon::prelude::*;
    const N: u64 = 100_000;
    let (w, file) = loaded(SEED, SCENARIO);
    let sc = file.scenarios.first().expect("one scenario");
    let clock = Clock::new(jiff::Timestamp::now());
    let mut group = c.benchmark_group("throughput");
    group.throughput(criterion::Throughput::Elements(N));
    group.sample_size(20);
    group.bench_function("seed scenario, decisions, 100k on all cores", |b| {
        b.iter(|| {
            let passed = (0..N)
                .into_par_iter()
                .filter(|_| {
                    scenario::run_scenario(&w, &file, sc, &clock, Detail::Decisions)
                        .is_ok_and(|r| r.pass == Some(true))
                })
                .count();
            assert_eq!(passed as u64, N);
        });
    });
    group.finish();
}

/// `what-can` of the generated worlds' principals, decided on every core
/// and grouped: the user who may assume 1,000 roles (200 buckets), and the
/// user at the head of a chain of 2,000 roles (`iamsim-generate
/// --what-can`, seed 1).
fn what_can(c: &mut Criterion) {
    use iamsim_core::access::grouped::group;
    use iamsim_core::access::what_can::{Question, what_can};
    use iamsim_core::context::Context;
    let clock = Clock::new(jiff::Timestamp::now());
    let context = Context::new();
    let mut group_ = c.benchmark_group("what-can");
    group_.sample_size(10);
    for (label, world, principal) in [
        (
            "1,000 roles and 200 buckets",
            iamsim_benches::what_can::fanout(1),
            "arn:aws:iam::100000000001:user/analyst",
        ),
        (
            "a chain of 2,000 roles",
            iamsim_benches::what_can::chain(1),
            "arn:aws:iam::200000000001:user/start",
        ),
    ] {
        let mut sources = Sources::new();
        let id = sources.add("world.json", world.to_string());
        let w = world::load_world(&mut sources, id, &mut NoFiles).expect("world");
        let q = Question {
            principal,
            resource: None,
            context: &context,
            region: None,
            clock: &clock,
        };
        group_.bench_function(label, |b| {
            b.iter(|| group(what_can(&w, &q).expect("an answer")).len());
        });
    }
    group_.finish();
}

criterion_group!(
    benches,
    compile,
    match_statement,
    seed_scenario,
    fifty_policy_scenario,
    seed_scenario_parallel,
    what_can
);
criterion_main!(benches);
