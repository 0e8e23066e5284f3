//! Steady-state costs of the evaluator: compiling a policy, and deciding
//! the seed question (a user of B assumes a role of A, then reads an object
//! of A) against a world loaded once, with and without explanations.
#![allow(clippy::expect_used, reason = "a benchmark stops on broken fixtures")]
#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use iamsim_core::diag::{Doc, JsonPath, Sources};
use iamsim_core::policy::{PolicyKind, parse};
use iamsim_core::request::Clock;
use iamsim_core::scenario::{self, Detail};
use iamsim_core::world::{self, NoFiles};
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

fn seed_scenario(c: &mut Criterion) {
    let mut sources = Sources::new();
    let wid = sources.add("world.json", SEED);
    let w = world::load_world(&mut sources, wid, &mut NoFiles).expect("seed world");
    let sid = sources.add("scenario.json", SCENARIO);
    let file = scenario::parse_file(&mut sources, sid, &mut NoFiles).expect("scenario");
    let sc = file.scenarios.first().expect("one scenario");
    let clock = Clock::new(jiff::Timestamp::now());
    for (label, detail) in [
        ("decisions", Detail::Decisions),
        ("explained", Detail::Explanations),
    ] {
        let name = format!("seed scenario, {label}: AssumeRole cross-account then GetObject");
        c.bench_function(&name, |b| {
            b.iter(|| {
                let r =
                    scenario::run_scenario(&w, sid, &file.context, black_box(sc), &clock, detail)
                        .expect("runs");
                assert!(r.pass);
                r
            });
        });
    }
}

criterion_group!(benches, compile, seed_scenario);
criterion_main!(benches);
