//! `iamsim validate` of a mid-size world (20 accounts, 10,000 principals,
//! 15,000 policy documents of which about 900 are distinct), beside
//! the load of the same world by `iamsim can`: whole commands, as a user
//! runs them, so that the ratio of the two is the one issue 15 sets (within
//! two times). The world is built here, deterministically, with one
//! mistake in one of the shared documents so that findings are moved to
//! every place the document occurs.
#![allow(clippy::expect_used, reason = "a benchmark stops on broken fixtures")]
#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ACCOUNTS: usize = 20;
/// Users, and as many roles, per account.
const PER_ACCOUNT: usize = 250;

fn account_id(a: usize) -> String {
    format!("{}", 100_000_000_000 + a)
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// One of eight identity policies over the account's buckets and roles;
/// the last names an action S3 does not have.
fn identity(a: usize, k: usize) -> Value {
    let bucket = format!("arn:aws:s3:::data-{a}-{}", k % 5);
    let role = format!("arn:aws:iam::{}:role/worker-{}", account_id(a), k % 7);
    let statement = match k % 8 {
        0 => {
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("{bucket}/*")})
        }
        1 => json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket}),
        2 => {
            json!({"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": [bucket.clone(), format!("{bucket}/*")]})
        }
        3 => json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}),
        4 => json!({"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}),
        5 => json!({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        6 => json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
                    "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}),
        _ => {
            json!({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": format!("{bucket}/*")})
        }
    };
    doc(json!([statement]))
}

/// The world's JSON.
fn world() -> String {
    let mut accounts = Map::new();
    for a in 0..ACCOUNTS {
        let mut users = Map::new();
        let mut roles = Map::new();
        for i in 0..PER_ACCOUNT {
            let boundary = if i % 2 == 0 {
                json!("Boundary")
            } else {
                Value::Null
            };
            users.insert(
                format!("user-{i}"),
                json!({"inline_policies": {"work": identity(a, i)},
                       "managed_policies": ["Shared"], "permissions_boundary": boundary}),
            );
            let trusted = account_id((a + 1) % ACCOUNTS);
            roles.insert(
                format!("worker-{i}"),
                json!({"trust_policy": doc(json!([{"Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"AWS": format!("arn:aws:iam::{trusted}:root")}}])),
                       "inline_policies": {"work": identity(a, i + 3)}}),
            );
        }
        let buckets: Map<String, Value> = (0..5)
            .map(|k| {
                let b = format!("data-{a}-{k}");
                let policy = doc(
                    json!([{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [format!("arn:aws:s3:::{b}"), format!("arn:aws:s3:::{b}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]),
                );
                (b, json!({"policy": policy}))
            })
            .collect();
        accounts.insert(
            account_id(a),
            json!({"users": users, "roles": roles, "buckets": buckets, "policies": {
                "Shared": identity(a, 2),
                "Boundary": doc(json!([{"Effect": "Allow", "Action": ["s3:*", "sts:AssumeRole"], "Resource": "*"}])),
            }}),
        );
    }
    json!({"accounts": accounts}).to_string()
}

fn iamsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(args)
        .output()
        .expect("iamsim runs")
}

fn write_world() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamsim-bench-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let path = dir.join("world.json");
    std::fs::write(&path, world()).expect("world written");
    path
}

fn validate(c: &mut Criterion) {
    let path = write_world();
    let world = path.to_str().expect("UTF-8 path");
    let can = |w: &str| {
        let user = format!("arn:aws:iam::{}:user/user-0", account_id(0));
        iamsim(&[
            "can",
            "--world",
            w,
            &user,
            "s3:GetObject",
            "arn:aws:s3:::data-0-0/k",
        ])
    };
    // The fixture is what it says: a world that loads, whose shared
    // mistake validate reports as warnings.
    assert_eq!(can(world).status.code(), Some(0), "{:?}", can(world));
    let v = iamsim(&["validate", "--format", "json", world]);
    assert_eq!(v.status.code(), Some(1), "{v:?}");
    let mut group = c.benchmark_group("mid-size world, 10,000 principals");
    group.sample_size(10);
    group.bench_function("load (iamsim can, whole command)", |b| {
        b.iter(|| can(world))
    });
    group.bench_function("iamsim validate (whole command)", |b| {
        b.iter(|| iamsim(&["validate", "--format", "json", world]))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(path.parent().unwrap_or(Path::new("")));
}

criterion_group!(benches, validate);
criterion_main!(benches);
