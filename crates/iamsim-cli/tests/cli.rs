//! The `iamsim` binary end to end: the bundled corpus, the invalid corpus,
//! bad input and exit statuses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly on anything unexpected"
)]

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
mod rough_edges;
mod terraform_unknown;
mod what_can_grouped;

use common::{iamsim, root, stderr, stdout};

#[test]
fn every_bundled_scenario_meets_its_expectation() {
    let o = iamsim(&["run", "testdata"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    let last = out.lines().last().unwrap_or_default();
    let passed: usize = last.split(' ').next().unwrap_or("0").parse().unwrap_or(0);
    assert!(
        last.ends_with(" passed, 0 failed") && passed >= 335,
        "{last}"
    );
}

/// Each JSON line carries the decision, the expectation, each step's
/// summary and missing context keys; the gate-by-gate walk
/// (`explanation`) only with `--explain`.
#[test]
fn json_lines_carry_decision_and_summary_and_walk_with_explain() {
    let file = "testdata/conformance/decision/e2e-trust-account-root-then-getobject.json";
    let lines = |extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec!["run", "--format", "json"];
        args.extend_from_slice(extra);
        args.push(file);
        let o = iamsim(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    };
    let brief = lines(&[]);
    assert_eq!(brief.len(), 2);
    assert_eq!(brief[0]["decision"], "allow");
    assert_eq!(brief[0]["pass"], true);
    assert_eq!(brief[0]["steps"][0]["action"], "sts:AssumeRole");
    assert_eq!(brief[1]["decision"], "implicit_deny");
    assert_eq!(brief[1]["expect"], "implicit_deny");
    assert_eq!(brief[1]["denied_at"], 0);
    let step = &brief[1]["steps"][0];
    assert!(
        step["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("denied: ")),
        "{step}"
    );
    assert!(step["missing_context_values"].is_array(), "{step}");
    assert!(step.get("explanation").is_none(), "{step}");
    let walked = lines(&["--explain"]);
    let gates = walked[1]["steps"][0]["explanation"]
        .as_array()
        .expect("gates");
    assert!(
        gates
            .iter()
            .any(|g| g["gate"] == "identity-based policies" && g["verdict"] == "fail")
    );
    // The walk adds `explanation` and changes nothing else.
    let mut without = walked.clone();
    for line in &mut without {
        for step in line["steps"].as_array_mut().expect("steps") {
            step.as_object_mut().expect("a step").remove("explanation");
        }
    }
    assert_eq!(without, brief);
}

/// A scenario that misses its expectation carries the walk in JSON
/// without `--explain`, read whole or streamed; the one that meets its
/// expectation beside it does not.
#[test]
fn json_walks_through_the_gates_of_a_missed_expectation() {
    let file = alice_reads("json-missed", &["allow", "deny"]);
    let path = file.to_str().unwrap();
    for stream in [false, true] {
        let mut args = vec!["run", "--format", "json", path];
        if stream {
            args.push("--stream");
        }
        let o = iamsim(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let lines: Vec<serde_json::Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines[0]["pass"], false);
        let gates = lines[0]["steps"][0]["explanation"]
            .as_array()
            .expect("the walk of the missed expectation");
        assert!(
            gates
                .iter()
                .any(|g| g["gate"] == "identity-based policies" && g["verdict"] == "fail"),
            "{gates:?}"
        );
        assert_eq!(lines[1]["pass"], true);
        assert!(lines[1]["steps"][0].get("explanation").is_none());
        assert_eq!(
            lines[0]["steps"][0]["summary"],
            lines[1]["steps"][0]["summary"]
        );
    }
}

/// The AWS page of the step that decided the scenario of `file` whose name
/// starts with `name`: its first denied step, or its last if all allow.
/// Pages of the IAM user guide lose their common prefix.
fn deciding_page(file: &str, name: &str) -> String {
    let o = iamsim(&["run", "--format", "json", file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let v: serde_json::Value = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .find(|v: &serde_json::Value| v["name"].as_str().is_some_and(|n| n.starts_with(name)))
        .unwrap_or_else(|| panic!("no scenario {name} in {file}"));
    let steps = v["steps"].as_array().expect("steps");
    let step = steps
        .iter()
        .find(|s| s["decision"] != "allow")
        .or(steps.last())
        .expect("a step");
    let page = step["page"].as_str().expect("a page");
    page.strip_prefix("https://docs.aws.amazon.com/IAM/latest/UserGuide/")
        .unwrap_or(page)
        .to_string()
}

#[test]
fn explanations_give_the_aws_page_of_the_rule_that_decided() {
    let seed = "testdata/seeds/000-day7-trust-user-plakhera/scenarios-default-trust.json";
    // Allowed: the last step reads within the role's own account.
    assert_eq!(
        deciding_page(seed, "before the edit"),
        "reference_policies_evaluation-logic_policy-eval-denyallow.html"
    );
    // Near misses: across accounts the identity side lacks an allow; the
    // root user may not assume the role at all.
    assert_eq!(
        deciding_page(seed, "near miss: intern"),
        "reference_policies_evaluation-logic-cross-account.html"
    );
    assert_eq!(
        deciding_page(seed, "near miss: the root user"),
        "id_roles_use_switch-role-api.html"
    );
    // A request STS refuses before evaluating policies cites its own page;
    // its near miss is decided by the policies.
    let tags = "testdata/rules/chain-transitive-tag-key-conflict.json";
    assert_eq!(
        deciding_page(tags, "chained call passes team"),
        "id_session-tags.html"
    );
    assert_ne!(deciding_page(tags, "near miss"), "id_session-tags.html");
    // A request AWS refuses whatever the policies say cites the page of the
    // protection that refuses it; its near miss is decided by the policies.
    let slr = "testdata/rules/protect-service-linked-and-identity-center-roles.json";
    assert_eq!(
        deciding_page(slr, "service-linked role: PutRolePolicy"),
        "using-service-linked-roles.html"
    );
    assert_ne!(
        deciding_page(slr, "near miss: DeleteServiceLinkedRole"),
        "using-service-linked-roles.html"
    );
    // Every gate of a JSON explanation names its page too.
    let o = iamsim(&[
        "run",
        "--format",
        "json",
        "--explain",
        "testdata/seeds/000-day7-trust-user-plakhera/scenarios.json",
    ]);
    for l in stdout(&o).lines() {
        let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
        for gate in v["steps"][0]["explanation"].as_array().expect("gates") {
            assert!(
                gate["page"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("https://docs.aws.amazon.com/")),
                "{gate}"
            );
        }
    }
}

/// A scenario file in a fresh directory named after `name`: alice, with
/// no policy, reads an object of her own account's bucket, once per
/// expectation of `expects` (she is denied).
fn alice_reads(name: &str, expects: &[&str]) -> PathBuf {
    let file = tempdir(name).join("s.json");
    let scenarios: Vec<String> = expects
        .iter()
        .map(|e| {
            format!(
                r#"{{"name": "expects {e}", "principal": "arn:aws:iam::111111111111:user/alice",
                    "steps": [{{"action": "s3:GetObject", "resource": "arn:aws:s3:::b-data/k"}}], "expect": "{e}"}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"world": {{"accounts": {{"111111111111": {{"users": {{"alice": {{}}}}, "buckets": {{"b-data": {{}}}}}}}}}},
            "scenarios": [{}]}}"#,
        scenarios.join(",")
    );
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn a_failed_expectation_exits_1_and_says_why() {
    let file = alice_reads("expect", &["allow"]);
    let o = iamsim(&["run", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAIL  implicit_deny"), "{out}");
    assert!(
        out.contains(
            "no identity-based policy of arn:aws:iam::111111111111:user/alice allows s3:GetObject"
        ),
        "{out}"
    );
    assert!(out.ends_with("0 passed, 1 failed\n"), "{out}");
}

#[test]
fn can_names_the_three_deciding_statements() {
    let o = iamsim(&[
        "can",
        "--world",
        "testdata/seeds/000-day7-trust-user-plakhera/world.json",
        "arn:aws:iam::222222222222:user/plakhera",
        "s3:GetObject",
        "arn:aws:s3:::prod-account-a-bucket/report.csv",
        "--via",
        "arn:aws:iam::111111111111:role/S3ReadOnlyAccesstoDevAccount",
        "--explain",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("Allow statement #0 of trust policy of arn:aws:iam::111111111111:role/S3ReadOnlyAccesstoDevAccount"), "{out}");
    assert!(
        out.contains(
            "of inline policy \"AllowSwitchToProdRole\" of arn:aws:iam::222222222222:user/plakhera"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "Allow statement #0 of managed policy arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
        ),
        "{out}"
    );
    assert!(out.ends_with("Decision: allow\n"), "{out}");
}

#[test]
fn can_exits_1_when_denied() {
    let o = iamsim(&[
        "can",
        "--world",
        "testdata/seeds/000-day7-trust-user-plakhera/world.json",
        "arn:aws:iam::222222222222:root",
        "sts:AssumeRole",
        "arn:aws:iam::111111111111:role/S3ReadOnlyAccesstoDevAccount",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("root user cannot assume a role"),
        "{}",
        stdout(&o)
    );
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("iamsim-cli-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A world whose one user carries `policy` inline.
fn world_with_inline(policy: &str) -> String {
    format!(
        r#"{{"accounts": {{"111111111111": {{"users": {{"alice": {{"inline_policies": {{"p": {policy}}}}}}}}}}}}}"#
    )
}

/// Each invalid document (tests/invalid/, see its README) and the reason it
/// must be rejected for (docs/evaluation.md L62-L73).
const INVALID_REASONS: &[(&str, &str)] = &[
    ("bad-version.json", "invalid Version \"2012-10-18\""),
    (
        "condition-key-without-prefix.json",
        "condition key \"username\" must be written prefix:name",
    ),
    ("duplicate-effect-key.json", "duplicate key \"Effect\""),
    ("missing-effect.json", "the statement has no Effect"),
    (
        "resource-and-notresource.json",
        "both Resource and NotResource",
    ),
    ("sid-not-alphanumeric.json", "must be alphanumeric"),
    (
        "unknown-set-qualifier.json",
        "unknown condition operator \"ForSomeValues:StringEquals\"",
    ),
];

#[test]
fn every_invalid_policy_is_rejected_with_its_location() {
    let dir = root().join("crates/iamsim-cli/tests/invalid");
    let tmp = tempdir("invalid");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let doc = std::fs::read_to_string(&path).unwrap();
        let world = tmp.join(path.file_name().unwrap());
        let text = if path.to_string_lossy().ends_with(".world.json") {
            doc
        } else {
            world_with_inline(&doc)
        };
        std::fs::write(&world, text).unwrap();
        let o = iamsim(&[
            "can",
            "--world",
            world.to_str().unwrap(),
            "arn:aws:iam::111111111111:user/alice",
            "s3:GetObject",
            "*",
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", path.display());
        assert!(
            stdout(&o).is_empty(),
            "{}: printed a result",
            path.display()
        );
        let first = err.lines().next().unwrap_or_default();
        let loc = format!("{}:", world.display());
        assert!(
            first.starts_with(&loc) && first.contains(": error: "),
            "{}: {first}",
            path.display()
        );
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let reason = INVALID_REASONS
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, r)| *r);
        let reason =
            reason.unwrap_or_else(|| panic!("{name}: add its expected reason to INVALID_REASONS"));
        assert!(first.contains(reason), "{name}: {first}");
        checked += 1;
    }
    assert_eq!(checked, INVALID_REASONS.len());
}

#[test]
fn bad_input_is_located_and_exits_2() {
    let tmp = tempdir("bad");
    let cases = [
        (
            "truncated.json",
            r#"{"accounts": {"111111111111": {"#,
            "invalid JSON",
        ),
        (
            "unknown-key.json",
            r#"{"accounts": {"111111111111": {"userz": {}}}}"#,
            "unknown key \"userz\"",
        ),
        (
            "bad-account.json",
            r#"{"accounts": {"1111": {}}}"#,
            "must be 12 digits",
        ),
        (
            "missing-policy.json",
            r#"{"accounts": {"111111111111": {"users": {"a": {"managed_policies": ["Nope"]}}}}}"#,
            "unknown managed policy \"Nope\"",
        ),
        (
            "unknown-aws-managed.json",
            r#"{"accounts": {"111111111111": {"users": {"a": {"managed_policies": ["arn:aws:iam::aws:policy/NoSuchPolicy"]}}}}}"#,
            "unknown AWS managed policy",
        ),
        (
            "no-trust.json",
            r#"{"accounts": {"111111111111": {"roles": {"r": {}}}}}"#,
            "has no trust_policy",
        ),
        (
            "dup-bucket.json",
            r#"{"accounts": {"111111111111": {"buckets": {"b-one": {}}}, "222222222222": {"buckets": {"b-one": {}}}}}"#,
            "bucket names are global",
        ),
    ];
    for (name, text, want) in cases {
        let p = tmp.join(name);
        std::fs::write(&p, text).unwrap();
        let o = iamsim(&[
            "can",
            "--world",
            p.to_str().unwrap(),
            "arn:aws:iam::111111111111:root",
            "s3:GetObject",
            "*",
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(
            err.starts_with(&format!("{}:1:", p.display())),
            "{name}: {err}"
        );
    }
}

#[test]
fn a_principal_missing_from_the_world_is_bad_input() {
    let o = iamsim(&[
        "can",
        "--world",
        "testdata/seeds/000-day7-trust-user-plakhera/world.json",
        "arn:aws:iam::222222222222:user/nobody",
        "s3:GetObject",
        "*",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a user of the world"),
        "{}",
        stderr(&o)
    );
}

/// A principal of an account the world does not declare is an outsider
/// whose own account allows everything (README, "Formats"): the bucket
/// policy naming its account lets it in, a bucket without one does not,
/// and a name missing from a declared account is still bad input.
#[test]
fn a_principal_of_an_undeclared_account_is_an_outsider() {
    let ask = |principal: &str, object: &str| {
        iamsim(&[
            "can",
            "--world",
            "testdata/rules/outsider.world.json",
            principal,
            "s3:GetObject",
            object,
            "--explain",
        ])
    };
    let eve = "arn:aws:iam::999999999999:user/eve";
    let o = ask(eve, "arn:aws:s3:::shared-with-partner/x.csv");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            "account 999999999999 is not in the world: an outsider's own account allows everything"
        ),
        "{}",
        stdout(&o)
    );
    let o = ask(eve, "arn:aws:s3:::internal/x.csv");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = ask(
        "arn:aws:iam::222222222222:user/deb",
        "arn:aws:s3:::shared-with-partner/x.csv",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .contains("principal arn:aws:iam::222222222222:user/deb is not a user of the world"),
        "{}",
        stderr(&o)
    );
}

/// The explanation of every seed scenario, allowed and denied, as a reader
/// sees it (`iamsim run --explain`), one snapshot per seed tutorial.
#[test]
fn seed_explanations() {
    let seeds = root().join("testdata/seeds");
    let mut dirs: Vec<_> = std::fs::read_dir(&seeds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 5);
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let rel = format!("testdata/seeds/{name}");
        let o = iamsim(&["run", "--explain", &rel]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        insta::assert_snapshot!(format!("explain-{name}"), stdout(&o));
    }
}

/// Reading an SSE-KMS object across accounts when the key policy does not
/// name the reader's account: S3 allows, the KMS request S3 makes for the
/// reader is denied, and the explanation says which of the two failed.
#[test]
fn an_sse_kms_read_names_the_kms_request_that_failed() {
    let o = iamsim(&[
        "can",
        "--world",
        "testdata/rules/sse-kms.world.json",
        "arn:aws:iam::222222222222:user/bob",
        "s3:GetObject",
        "arn:aws:s3:::shared-reports/internal/q1.csv",
        "--explain",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("calls kms:Decrypt on arn:aws:kms:us-east-1:111111111111:key/own"),
        "{out}"
    );
    assert!(out.contains("=> S3 asked KMS for kms:Decrypt on key arn:aws:kms:us-east-1:111111111111:key/own on the caller's behalf"), "{out}");
    insta::assert_snapshot!("explain-sse-kms-cross-account", out);
}

/// Runs `file` with `--format json --explain`, which must meet every
/// expectation, and returns the line of the first scenario whose name
/// starts with `name`.
fn json_scenario(file: &str, name: &str) -> serde_json::Value {
    let o = iamsim(&["run", "--format", "json", "--explain", file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["name"].as_str().unwrap_or_default().starts_with(name))
        .unwrap_or_else(|| panic!("no scenario named {name}... in {file}"))
}

/// A request AWS refuses whatever the policies say (here PutRolePolicy on
/// a service-linked role, by an admin with `Allow *`) is explicit_deny, and
/// the explanation names AWS's protection with its page, not a policy; the
/// description of the same role stays editable, with no such gate.
#[test]
fn the_explanation_names_aws_protection() {
    let slr = "arn:aws:iam::111111111111:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk";
    let ask = |action: &str| {
        iamsim(&[
            "can",
            "--world",
            "testdata/rules/protect.world.json",
            "arn:aws:iam::111111111111:user/admin",
            action,
            slr,
            "--explain",
        ])
    };
    let o = ask("iam:PutRolePolicy");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("1. AWS protection"), "{out}");
    assert!(
        out.contains("=> denied by AWS's protection, not by a policy: AWS refuses iam:PutRolePolicy on the service-linked role"),
        "{out}"
    );
    assert!(out.contains("UnmodifiableEntity"), "{out}");
    assert!(out.contains("(policies cannot allow it); https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html"), "{out}");
    assert!(out.contains("Decision: explicit_deny"), "{out}");
    let o = ask("iam:UpdateRoleDescription");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("AWS protection"), "{}", stdout(&o));

    // Through SSE-KMS: S3 allows the cross-account read, and the kms:Decrypt
    // it makes on an AWS managed key is refused by the protection.
    let read = json_scenario(
        "testdata/rules/protect-kms-aws-managed-keys.json",
        "SSE-KMS",
    );
    let kms = read["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["action"] == "kms:Decrypt"))
        .expect("the kms:Decrypt request S3 makes");
    assert_eq!(kms["decision"], "explicit_deny");
    assert_eq!(kms["explanation"][0]["gate"], "AWS protection");
    let note = kms["explanation"][0]["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("to a principal of account 222222222222"),
        "{note}"
    );
}

/// Regression: a same-account trust policy naming the user directly needs no
/// identity policy, so a denial by the user's boundary must blame the
/// boundary, not a missing identity policy.
#[test]
fn a_direct_grant_limited_by_a_boundary_blames_the_boundary() {
    let bob = json_scenario(
        "testdata/rules/assume-same-acct-user-arn-trust-boundary.json",
        "bob",
    );
    let summary = bob["steps"][0]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(summary.contains("permissions boundary of arn:aws:iam::111111111111:user/bob does not allow sts:AssumeRole"), "{summary}");
    assert!(!summary.contains("identity-based"), "{summary}");
}

fn import_test_dumps(out: &Path) -> Output {
    let dumps = root().join("testdata/import/dumps");
    let mut args: Vec<String> = vec!["import".into(), "--out".into(), out.display().to_string()];
    for dir in [dumps.clone(), dumps.join("org")] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        args.extend(files.iter().map(|f| f.display().to_string()));
    }
    args.push("--bucket".into());
    args.push(format!(
        "prod-data-bucket=111111111111:{}",
        dumps
            .join("s3/bucket-policy.prod-data-bucket.json")
            .display()
    ));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    iamsim(&refs)
}

/// Decisions of a scenario file, by scenario name, under a world.
fn decisions(file: &str, world: Option<&Path>) -> Vec<(String, String)> {
    let mut args = vec!["run", "--format", "json"];
    let w = world.map(|w| w.display().to_string()).unwrap_or_default();
    if world.is_some() {
        args.extend(["--world", w.as_str()]);
    }
    args.push(file);
    let o = iamsim(&args);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_string(),
                v["decision"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn an_imported_world_answers_as_the_hand_written_one() {
    let tmp = tempdir("import");
    let out = tmp.join("world.json");
    let o = import_test_dumps(&out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let world = std::fs::read_to_string(&out).unwrap();
    insta::assert_snapshot!("imported-world", world);
    let by_hand = decisions("testdata/import/scenarios.json", None);
    let imported = decisions("testdata/import/scenarios.json", Some(&out));
    assert_eq!(by_hand.len(), 7);
    assert_eq!(imported, by_hand);
    // The world format reads the dumps directly, with the same answers.
    let direct = decisions("testdata/import/scenarios.from-dumps.json", None);
    assert_eq!(direct, by_hand);
    // The newcomer's question, on the imported world.
    let o = iamsim(&[
        "can",
        "--world",
        out.to_str().unwrap(),
        "arn:aws:iam::222222222222:user/plakhera",
        "s3:GetObject",
        "arn:aws:s3:::prod-data-bucket/report.csv",
        "--via",
        "arn:aws:iam::111111111111:role/cross-account/S3ReadOnlyAccesstoDevAccount",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // Imported SCPs keep their names, so the explanation says which denied.
    let o = iamsim(&[
        "can",
        "--world",
        out.to_str().unwrap(),
        "arn:aws:iam::222222222222:user/plakhera",
        "s3:DeleteObject",
        "arn:aws:s3:::prod-data-bucket/report.csv",
        "--via",
        "arn:aws:iam::111111111111:role/cross-account/S3ReadOnlyAccesstoDevAccount",
        "--explain",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("Deny statement \"DenyS3Delete\" of SCP \"DenyS3DeleteInProd\" of "),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_dumps_are_located_and_exit_2() {
    let tmp = tempdir("bad-dumps");
    let role = |extra: &str| {
        format!(
            r#"{{"RoleDetailList": [{{"RoleName": "R", "Path": "/", "Arn": "arn:aws:iam::111111111111:role/R"{extra}}}]}}"#
        )
    };
    let cases = [
        (
            "truncated.json",
            r#"{"UserDetailList": [{"UserName": "a""#.to_string(),
            "invalid JSON",
        ),
        ("no-trust.json", role(""), "has no AssumeRolePolicyDocument"),
        (
            "missing-policy.json",
            role(
                r#", "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}}, "AttachedManagedPolicies": [{"PolicyName": "P", "PolicyArn": "arn:aws:iam::111111111111:policy/P"}]"#,
            ),
            "the dumps do not hold that customer managed policy",
        ),
        (
            "unknown-field.json",
            role(r#", "Colour": "blue""#),
            "unknown key \"Colour\"",
        ),
        (
            "bad-document.json",
            role(r#", "AssumeRolePolicyDocument": "%7B%22Statement%22%3A%5B%5D%7D""#),
            "empty list",
        ),
        (
            "accounts.json",
            r#"{"Accounts": []}"#.to_string(),
            "put the parent id in the file name",
        ),
    ];
    for (name, text, want) in cases {
        let p = tmp.join(name);
        std::fs::write(&p, text).unwrap();
        let out = tmp.join("w.json");
        let o = iamsim(&[
            "import",
            "--out",
            out.to_str().unwrap(),
            p.to_str().unwrap(),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(
            err.contains(&format!("{}:1:", p.display())),
            "{name}: {err}"
        );
        assert!(!out.exists(), "{name}: wrote a world");
    }
}

/// The fast path (`run`'s table) and the explaining path (`--format json`)
/// decide every bundled scenario alike.
#[test]
fn fast_and_explained_runs_agree() {
    let table = iamsim(&["run", "testdata"]);
    let json = iamsim(&["run", "--format", "json", "testdata"]);
    assert_eq!(table.status.code(), Some(0));
    let fast: Vec<String> = stdout(&table)
        .lines()
        .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
        .map(|l| l.split_whitespace().nth(1).unwrap_or_default().to_string())
        .collect();
    let explained: Vec<String> = stdout(&json)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["decision"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(fast.len() >= 335);
    assert_eq!(fast, explained);
}

/// Files read scenario by scenario (`--stream`, automatic for large files)
/// give the same results, and their errors keep their line and column.
#[test]
fn streamed_runs_match_and_locate_errors() {
    for explain in [&[][..], &["--explain"][..]] {
        let whole = iamsim(&[&["run", "--format", "json"], explain, &["testdata"]].concat());
        let streamed = iamsim(
            &[
                &["run", "--stream", "--format", "json"],
                explain,
                &["testdata"],
            ]
            .concat(),
        );
        assert_eq!(streamed.status.code(), Some(0), "{}", stderr(&streamed));
        assert_eq!(stdout(&whole), stdout(&streamed));
    }
    let tmp = tempdir("stream");
    let file = tmp.join("s.json");
    let scenario = |name: &str, action: &str| {
        format!(
            r#"{{"name": "{name}", "principal": "arn:aws:iam::111111111111:root", "steps": [{{"action": "{action}", "resource": "*"}}], "expect": "allow"}}"#
        )
    };
    let world = r#""world": {"accounts": {"111111111111": {}}}"#;
    let one = scenario("a", "s3:ListAllMyBuckets");
    for (text, want, inside) in [
        // `scenarios` first: read in two passes; the bad action is located.
        (
            format!(
                "{{\"scenarios\": [\n  {one},\n  {one},\n  {}\n],\n{world}}}\n",
                scenario("c", "s3:*")
            ),
            ":4:",
            "$.scenarios[2].steps[0].action",
        ),
        // `scenarios` last: one pass; a member after it whose value is a
        // list is still refused, located, as is a second `scenarios`.
        (
            format!("{{{world},\n\"scenarios\": [{one}],\n\"bogus\": [1]}}\n"),
            ":3:1: error: unknown key \"bogus\"",
            "$.bogus",
        ),
        (
            format!("{{{world},\n\"scenarios\": [{one}],\n\"scenarios\": [{one}]}}"),
            ":3:1: error: invalid JSON: duplicate key \"scenarios\"",
            "",
        ),
    ] {
        std::fs::write(&file, &text).unwrap();
        let o = iamsim(&["run", "--stream", file.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            stdout(&o).is_empty(),
            "printed results before an input error"
        );
        assert!(
            err.starts_with(&format!("{}{want}", file.display())) && err.contains(inside),
            "{err}"
        );
    }
    std::fs::write(&file, format!("{{{world},\n\"scenarios\": [{one}]}}")).unwrap();
    let o = iamsim(&["run", "--stream", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).ends_with("1 passed, 0 failed\n"),
        "{}",
        stdout(&o)
    );
}

/// How a file of testdata/bad is fed to iamsim, by its name: worlds to
/// `can --world`, scenario files to `run`, AWS CLI dumps to `import`.
fn run_bad(name: &str, out: &Path) -> Output {
    let path = format!("testdata/bad/{name}");
    if name.starts_with("world-") {
        iamsim(&[
            "can",
            "--world",
            &path,
            "arn:aws:iam::111111111111:root",
            "s3:GetObject",
            "*",
        ])
    } else if name.starts_with("scenarios-") {
        iamsim(&["run", &path])
    } else if name.starts_with("dump-") {
        iamsim(&["import", "--out", out.to_str().unwrap(), &path])
    } else {
        panic!("{name}: testdata/bad files start with world-, scenarios- or dump-")
    }
}

/// testdata/bad: one file per class of bad input. Each exits 2, prints no
/// result and no world, and says what is wrong at file:line:column; the
/// snapshot pins every message.
#[test]
fn every_bad_input_is_refused_with_its_location() {
    let tmp = tempdir("bad-corpus");
    let mut names: Vec<String> = std::fs::read_dir(root().join("testdata/bad"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 40, "only {} bad inputs", names.len());
    let mut report = String::new();
    for name in &names {
        let out = tmp.join("world.json");
        let o = run_bad(name, &out);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(stdout(&o).is_empty(), "{name} printed a result");
        assert!(!out.exists(), "{name} wrote a world");
        let first = err.lines().next().unwrap_or_default();
        let rest = first
            .strip_prefix(&format!("testdata/bad/{name}:"))
            .unwrap_or_else(|| panic!("{name}: {first}"));
        let mut parts = rest.splitn(3, ':');
        let (line, col) = (parts.next().unwrap(), parts.next().unwrap());
        assert!(
            line.parse::<usize>().is_ok() && col.parse::<usize>().is_ok(),
            "{name}: {first}"
        );
        assert!(rest.contains(": error: "), "{name}: {first}");
        report.push_str(&format!("== {name}\n{err}\n"));
    }
    insta::assert_snapshot!("bad-corpus", report);
}

/// A 50 MB policy is larger than anything AWS accepts: refused, located,
/// without being evaluated.
#[test]
fn a_50_mb_policy_is_refused() {
    let tmp = tempdir("huge");
    let statement =
        r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b-data/*"}"#;
    let count = 50 * 1024 * 1024 / statement.len();
    let statements = vec![statement; count].join(",");
    let world = format!(
        r#"{{"accounts": {{"111111111111": {{"users": {{"alice": {{"inline_policies": {{"p": {{"Version": "2012-10-17", "Statement": [{statements}]}}}}}}}}}}}}}}"#
    );
    let path = tmp.join("huge.json");
    std::fs::write(&path, world).unwrap();
    let o = iamsim(&[
        "can",
        "--world",
        path.to_str().unwrap(),
        "arn:aws:iam::111111111111:user/alice",
        "s3:GetObject",
        "arn:aws:s3:::b-data/k",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("larger than any AWS accepts"), "{err}");
    assert!(err.starts_with(&format!("{}:1:", path.display())), "{err}");
    assert!(stdout(&o).is_empty());
}

/// `--format junit` is JUnit XML a real consumer reads: junit-parser finds
/// one suite per file, one case per scenario, and the failure with its why.
#[test]
fn junit_output_reads_in_a_junit_consumer() {
    let o = iamsim(&["run", "--format", "junit", "testdata/seeds"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let suites = junit_parser::from_reader(std::io::Cursor::new(o.stdout)).expect("JUnit XML");
    let cases: usize = suites.suites.iter().map(|s| s.cases.len()).sum();
    assert_eq!(suites.suites.len(), 15);
    assert_eq!(cases, 31);
    assert!(
        suites
            .suites
            .iter()
            .flat_map(|s| &s.cases)
            .all(|c| c.status.is_success())
    );
    let tmp = tempdir("junit");
    let file = tmp.join("s.json");
    std::fs::write(
        &file,
        r#"{"world": {"accounts": {"111111111111": {"users": {"alice": {}}, "buckets": {"b-data": {}}}}},
            "scenarios": [{"name": "wrong", "principal": "arn:aws:iam::111111111111:user/alice",
                           "steps": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::b-data/k"}], "expect": "allow"}]}"#,
    )
    .unwrap();
    let o = iamsim(&["run", "--format", "junit", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let suites = junit_parser::from_reader(std::io::Cursor::new(o.stdout)).expect("JUnit XML");
    let case = &suites.suites[0].cases[0];
    assert!(case.name.ends_with("::wrong"), "{}", case.name);
    let failure = case.status.failure_as_ref();
    assert!(
        failure
            .message
            .contains("expected allow, got implicit_deny"),
        "{}",
        failure.message
    );
    assert!(
        failure.text.contains("identity-based policies"),
        "{}",
        failure.text
    );
}

/// `iamsim diff` on two worlds that differ by one statement reports exactly
/// the scenarios that statement changes, with what decided each side.
#[test]
fn diff_reports_exactly_what_one_statement_changes() {
    let tmp = tempdir("diff");
    let before = root().join("testdata/import/world.hand.json");
    let mut world: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&before).unwrap()).unwrap();
    let statements =
        world["accounts"]["111111111111"]["buckets"]["prod-data-bucket"]["policy"]["Statement"]
            .as_array_mut()
            .unwrap();
    statements.push(serde_json::json!({
        "Sid": "AllowInternAllReads", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::222222222222:user/intern"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod-data-bucket/*"
    }));
    let after = tmp.join("after.json");
    std::fs::write(&after, world.to_string()).unwrap();
    let args = [
        "diff",
        "--before",
        before.to_str().unwrap(),
        "--after",
        after.to_str().unwrap(),
        "testdata/import/scenarios.json",
    ];
    let o = iamsim(&args);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    let changed: Vec<&str> = out.lines().filter(|l| l.starts_with("CHANGED")).collect();
    assert_eq!(changed.len(), 1, "{out}");
    assert!(
        changed[0].contains("implicit_deny -> allow")
            && changed[0].contains("intern reads report.csv directly"),
        "{out}"
    );
    assert!(
        out.contains("statement \"AllowInternAllReads\" of bucket policy"),
        "{out}"
    );
    assert!(out.ends_with("1 changed, 6 unchanged\n"), "{out}");
    // the same world on both sides: nothing changes, exit 0
    let same = iamsim(&[
        "diff",
        "--before",
        before.to_str().unwrap(),
        "--after",
        before.to_str().unwrap(),
        "testdata/import/scenarios.json",
    ]);
    assert_eq!(same.status.code(), Some(0));
    let json = iamsim(&[
        "diff",
        "--format",
        "json",
        "--before",
        before.to_str().unwrap(),
        "--after",
        after.to_str().unwrap(),
        "testdata/import/scenarios.json",
    ]);
    let line: serde_json::Value = serde_json::from_str(stdout(&json).trim()).unwrap();
    assert_eq!(line["before"]["decision"], "implicit_deny");
    assert_eq!(line["after"]["decision"], "allow");
}

/// JSON carries why statements did not apply, and the condition keys the
/// decision rests on that the request lacks (MissingContextValues).
#[test]
fn json_carries_misses_and_missing_context() {
    let o = iamsim(&[
        "run",
        "--format",
        "json",
        "--explain",
        "testdata/seeds/004-crossaccounts3readrole-devaccess/scenarios-mfa.json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let first: serde_json::Value =
        serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    let step = &first["steps"][0];
    assert_eq!(
        step["missing_context_values"],
        serde_json::json!(["aws:MultiFactorAuthPresent"])
    );
    let trust = step["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == "resource-based policy")
        .unwrap();
    let miss = &trust["not_applying"][0];
    assert_eq!(miss["part"], "condition");
    assert_eq!(miss["condition"]["operator"], "Bool");
    assert_eq!(
        miss["condition"]["policy_values"],
        serde_json::json!(["true"])
    );
    assert!(miss["condition"]["request_values"].is_null());
}

/// `can --region` wins over the region of the resource's ARN; the JSON
/// lists the keys iamsim defaulted with the flag that changes each; a
/// malformed `--region` is bad input naming the argument.
#[test]
fn can_region_wins_over_the_arn_and_json_lists_the_defaults() {
    let tmp = tempdir("region");
    let world = tmp.join("world.json");
    let policy = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}"#;
    std::fs::write(&world, world_with_inline(policy)).unwrap();
    let w = world.to_str().unwrap();
    let ask = |extra: &[&str]| {
        let mut args = vec![
            "can",
            "--world",
            w,
            "arn:aws:iam::111111111111:user/alice",
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:111111111111:jobs",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        iamsim(&args)
    };
    let o = ask(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        v["steps"][0]["defaults"],
        serde_json::json!([
            {"key": "aws:RequestedRegion", "value": "us-east-1",
             "from": "the region of the resource's ARN", "set_with": "--region",
             "decisive": true},
            {"key": "aws:SecureTransport", "value": "true",
             "from": "the AWS CLI and SDKs use TLS",
             "set_with": "--context aws:SecureTransport=...", "decisive": false}
        ])
    );
    let o = ask(&["--region", "eu-west-1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["steps"][0]["defaults"].as_array().unwrap().len(), 1);
    let o = ask(&["--region", "eu-west"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--region: region \"eu-west\""),
        "{}",
        stderr(&o)
    );
    // who-can: the queue's region is known, so alice's Deny is a fact...
    let alice_can = |extra: &[&str]| {
        let mut args = vec!["sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:jobs"];
        args.extend_from_slice(extra);
        let ((code, rows), _) = who_can_in(w, &args);
        assert_eq!(code, Some(0), "the account root can");
        rows.iter()
            .any(|(p, _, needs)| p.ends_with(":user/alice") && needs.is_empty())
    };
    assert!(!alice_can(&[]));
    // ...which --region changes.
    assert!(alice_can(&["--region", "eu-west-1"]));
}

/// The short answer names a value iamsim gave a key of every real request
/// when a statement that decided read it (a region SCP's Deny, a TLS Deny
/// escaped, an Allow kept out), and not when the question gave the key or
/// no deciding statement read it.
#[test]
fn the_short_answer_names_a_decisive_default() {
    let tmp = tempdir("decisive-default");
    let world = tmp.join("world.json");
    let policy = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
        {"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*"},
        {"Effect": "Deny", "Action": "sqs:ReceiveMessage", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}"#;
    std::fs::write(&world, world_with_inline(policy)).unwrap();
    let w = world.to_str().unwrap();
    let ask = |action: &str, extra: &[&str]| {
        let mut args = vec![
            "can",
            "--world",
            w,
            "arn:aws:iam::111111111111:user/alice",
            action,
            "arn:aws:sqs:us-east-1:111111111111:jobs",
        ];
        args.extend_from_slice(extra);
        let o = iamsim(&args);
        (o.status.code(), stdout(&o))
    };
    // An Allow kept out by the region of the resource's ARN.
    let (code, out) = ask("sqs:SendMessage", &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("  decided with aws:RequestedRegion = us-east-1 (default: the region of the resource's ARN; set with --region)\n"),
        "{out}"
    );
    assert!(!out.contains("aws:SecureTransport"), "{out}");
    // Near miss: the question names the region; nothing was defaulted.
    let (code, out) = ask("sqs:SendMessage", &["--region", "eu-west-1"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("decided with"), "{out}");
    // A Deny escaped because requests use TLS unless told otherwise.
    let (code, out) = ask("sqs:ReceiveMessage", &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("  decided with aws:SecureTransport = true (default: the AWS CLI and SDKs use TLS; set with --context aws:SecureTransport=...)\n"),
        "{out}"
    );
    assert!(!out.contains("aws:RequestedRegion"), "{out}");
    // Near miss: the question says TLS is off; the Deny applies, and the
    // key is the question's, not a default.
    let (code, out) = ask(
        "sqs:ReceiveMessage",
        &["--context", "aws:SecureTransport=false"],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(!out.contains("decided with"), "{out}");
}

/// Off a terminal, output is plain: no progress bar, no escape codes.
#[test]
fn off_a_terminal_output_is_plain() {
    let o = iamsim(&["run", "--stream", "testdata/seeds"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    assert!(!o.stdout.contains(&0x1b), "escape codes in the output");
}

/// A who-can row: principal, chain, needs.
type Row = (String, Vec<String>, Vec<String>);

/// `who-can --format json` on the access example world.
fn who_can(args: &[&str]) -> (Option<i32>, Vec<Row>) {
    who_can_in("testdata/access/world.json", args).0
}

/// Each principal's actions, request by request.
type Actions = Vec<Vec<String>>;

/// `who-can --format json` as principal → (chain, needs), and each
/// principal's actions, request by request.
fn who_can_in(world: &str, args: &[&str]) -> ((Option<i32>, Vec<Row>), Actions) {
    let mut full = vec!["who-can", "--format", "json", "--world", world];
    full.extend_from_slice(args);
    let o = iamsim(&full);
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let actions: Actions = lines
        .iter()
        .map(|v| {
            v["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["action"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    let rows = lines
        .iter()
        .map(|v| {
            let strings = |k: &str| -> Vec<String> {
                v[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect()
            };
            (
                v["principal"].as_str().unwrap().to_string(),
                strings("chain"),
                strings("needs"),
            )
        })
        .collect();
    ((o.status.code(), rows), actions)
}

#[test]
fn who_can_shows_the_exact_chains_across_four_accounts() {
    let (code, rows) = who_can(&["s3:GetObject", "arn:aws:s3:::prod-data/report.csv"]);
    assert_eq!(code, Some(0));
    let role = |a: &str, n: &str| format!("arn:aws:iam::{a}:role/{n}");
    let (reader, deploy, tools, jump) = (
        role("111111111111", "Reader"),
        role("111111111111", "Deploy"),
        role("222222222222", "Tools"),
        role("333333333333", "Jump"),
    );
    let glass = role("111111111111", "BreakGlass");
    let mfa = vec!["aws:MultiFactorAuthPresent=true".to_string()];
    let want: Vec<Row> = vec![
        (glass.clone(), vec![], vec![]),
        (reader.clone(), vec![], vec![]),
        (role("111111111111", "Vendor"), vec![], vec![]),
        ("arn:aws:iam::111111111111:root".into(), vec![], vec![]),
        (deploy.clone(), vec![reader.clone()], vec![]),
        (
            "arn:aws:iam::222222222222:user/bob".into(),
            vec![glass.clone()],
            mfa.clone(),
        ),
        // carol may assume any role; BreakGlass trusts her whole account.
        (
            "arn:aws:iam::222222222222:user/carol".into(),
            vec![glass.clone()],
            mfa.clone(),
        ),
        (
            "arn:aws:iam::555555555555:user/erin".into(),
            vec![role("111111111111", "Vendor")],
            vec!["sts:ExternalId=abc-123".into()],
        ),
        (tools.clone(), vec![deploy.clone(), reader.clone()], vec![]),
        (
            jump.clone(),
            vec![tools.clone(), deploy.clone(), reader.clone()],
            vec![],
        ),
        (
            "arn:aws:iam::444444444444:user/alice".into(),
            vec![jump, tools, deploy, reader],
            vec![],
        ),
    ];
    // dave is named by Tools' trust, but his account's SCP lets only roles
    // assume roles in 222222222222: he is left out.
    assert_eq!(rows, want);
}

#[test]
fn who_can_context_fixes_the_open_keys() {
    let bob = "arn:aws:iam::222222222222:user/bob";
    let (_, with_mfa) = who_can(&[
        "s3:GetObject",
        "arn:aws:s3:::prod-data/report.csv",
        "--context",
        "aws:MultiFactorAuthPresent=true",
    ]);
    let row = with_mfa.iter().find(|r| r.0 == bob).unwrap();
    assert!(row.2.is_empty(), "{row:?}");
    let (_, without) = who_can(&[
        "s3:GetObject",
        "arn:aws:s3:::prod-data/report.csv",
        "--context",
        "aws:MultiFactorAuthPresent=false",
        "--context",
        "sts:ExternalId=wrong",
    ]);
    let names: Vec<&str> = without.iter().map(|r| r.0.as_str()).collect();
    assert!(
        !names.contains(&bob) && !names.contains(&"arn:aws:iam::555555555555:user/erin"),
        "{names:?}"
    );
    // bob, carol and erin drop out; nobody else changes.
    assert!(!names.contains(&"arn:aws:iam::222222222222:user/carol"));
    assert_eq!(without.len(), 8);
}

#[test]
fn who_can_exits_1_when_nobody_can_and_2_on_bad_input() {
    // The account's SCP denies bucket deletion to everyone, root included.
    let (code, rows) = who_can(&["s3:DeleteBucket", "arn:aws:s3:::prod-data"]);
    assert_eq!((code, rows.len()), (Some(1), 0));
    let o = iamsim(&[
        "who-can",
        "GetObject",
        "arn:aws:s3:::prod-data/x",
        "--world",
        "testdata/access/world.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("must be SERVICE:ACTION"),
        "{}",
        stderr(&o)
    );
    let o = iamsim(&[
        "who-can",
        "s3:GetObject",
        "arn:aws:s3:::nowhere/x",
        "--world",
        "testdata/access/world.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("its owner is unknown"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn who_can_reads_of_sse_kms_objects_need_the_key_too() {
    // The key of shared-reports/* names only account 111111111111; the
    // key of shared-reports/shared/* also names 222222222222, where bob
    // may decrypt and ben may not (testdata/rules/sse-kms-cross-account.json).
    let world = "testdata/rules/sse-kms.world.json";
    let names = |object: &str| -> (Vec<String>, Vec<Vec<String>>) {
        let ((code, rows), actions) = who_can_in(world, &["s3:GetObject", object]);
        assert_eq!(code, Some(0));
        (rows.into_iter().map(|r| r.0).collect(), actions)
    };
    let bob = "arn:aws:iam::222222222222:user/bob".to_string();
    let ben = "arn:aws:iam::222222222222:user/ben".to_string();
    let (own_key, _) = names("arn:aws:s3:::shared-reports/q1.csv");
    assert!(
        !own_key.contains(&bob) && !own_key.contains(&ben),
        "{own_key:?}"
    );
    let (shared_key, actions) = names("arn:aws:s3:::shared-reports/shared/q1.csv");
    assert!(
        shared_key.contains(&bob) && !shared_key.contains(&ben),
        "{shared_key:?}"
    );
    let i = shared_key.iter().position(|p| *p == bob).unwrap();
    assert_eq!(actions[i], vec!["s3:GetObject", "kms:Decrypt"]);
}

/// `what-can --format json` as (as, chain length, resource → actions by service).
fn what_can(args: &[&str]) -> (Option<i32>, Vec<serde_json::Value>) {
    let mut full = vec!["what-can", "--format", "json"];
    full.extend_from_slice(args);
    let o = iamsim(&full);
    let lines = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    (o.status.code(), lines)
}

/// A grouped what-can line as resource → actions by service, every grant
/// on the resource together.
fn by_resource(line: &serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for g in line["grants"].as_array().unwrap() {
        for r in g["resources"].as_array().unwrap() {
            let entry = out
                .entry(r.as_str().unwrap().to_string())
                .or_insert_with(|| serde_json::json!({}));
            for (service, names) in g["actions"].as_object().unwrap() {
                let list = entry
                    .as_object_mut()
                    .unwrap()
                    .entry(service.clone())
                    .or_insert_with(|| serde_json::json!([]));
                list.as_array_mut()
                    .unwrap()
                    .extend(names.as_array().unwrap().iter().cloned());
            }
        }
    }
    out
}

#[test]
fn what_can_follows_the_chain_and_expands_to_catalog_actions() {
    let world = "testdata/access/world.json";
    let (code, lines) = what_can(&["arn:aws:iam::444444444444:user/alice", "--world", world]);
    assert_eq!(code, Some(0));
    let got: Vec<(String, usize, serde_json::Value)> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["identities"].as_array().unwrap().len(), 1, "{l}");
            let id = &l["identities"][0];
            (
                id["as"].as_str().unwrap().to_string(),
                id["chain"].as_array().unwrap().len(),
                serde_json::Value::Object(by_resource(l)),
            )
        })
        .collect();
    let want = vec![
        (
            "arn:aws:iam::444444444444:user/alice".to_string(),
            0,
            serde_json::json!({"arn:aws:iam::333333333333:role/Jump": {"sts": ["AssumeRole"]}}),
        ),
        (
            "arn:aws:iam::333333333333:role/Jump".to_string(),
            1,
            serde_json::json!({"arn:aws:iam::222222222222:role/Tools": {"sts": ["AssumeRole"]}}),
        ),
        (
            "arn:aws:iam::222222222222:role/Tools".to_string(),
            2,
            serde_json::json!({"arn:aws:iam::111111111111:role/Deploy": {"sts": ["AssumeRole"]}}),
        ),
        (
            "arn:aws:iam::111111111111:role/Deploy".to_string(),
            3,
            serde_json::json!({"arn:aws:iam::111111111111:role/Reader": {"sts": ["AssumeRole"]}}),
        ),
        (
            "arn:aws:iam::111111111111:role/Reader".to_string(),
            4,
            serde_json::json!({"arn:aws:s3:::prod-data/*": {"s3": ["GetObject"]}}),
        ),
    ];
    assert_eq!(got, want);

    // s3:* on the root: every object action of the catalog, but not the
    // bucket's actions on the objects, nor DeleteBucket, which the SCP denies.
    let (_, lines) = what_can(&[
        "arn:aws:iam::111111111111:root",
        "--world",
        world,
        "--resource",
        "arn:aws:s3:::prod-data*",
    ]);
    assert_eq!(lines.len(), 1);
    let res = by_resource(&lines[0]);
    let actions = |r: &str| -> Vec<&str> {
        res[r]["s3"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect()
    };
    let bucket = actions("arn:aws:s3:::prod-data");
    assert!(
        bucket.contains(&"ListBucket")
            && !bucket.contains(&"DeleteBucket")
            && !bucket.contains(&"GetObject")
    );
    let objects = actions("arn:aws:s3:::prod-data/*");
    assert!(
        objects.contains(&"GetObject")
            && objects.contains(&"PutObject")
            && !objects.contains(&"ListBucket")
    );
    assert!(objects.len() > 30, "{}", objects.len());
}

#[test]
fn what_can_reports_needs_and_sse_kms_keys() {
    let (_, lines) = what_can(&[
        "arn:aws:iam::222222222222:user/bob",
        "--world",
        "testdata/access/world.json",
        "--resource",
        "arn:aws:s3:::*",
    ]);
    let glass = lines
        .iter()
        .find(|l| l["identities"][0]["as"] == "arn:aws:iam::111111111111:role/BreakGlass")
        .unwrap();
    assert_eq!(
        glass["identities"][0]["needs"],
        serde_json::json!(["aws:MultiFactorAuthPresent=true"])
    );
    // bob reads only the objects whose key's policy names his account.
    let (_, lines) = what_can(&[
        "arn:aws:iam::222222222222:user/bob",
        "--world",
        "testdata/rules/sse-kms.world.json",
        "--resource",
        "arn:aws:s3:::shared-reports*",
    ]);
    let res: Vec<String> = by_resource(&lines[0]).keys().cloned().collect();
    assert_eq!(res, ["arn:aws:s3:::shared-reports/shared/*"]);
}

#[test]
fn what_can_refuses_an_unknown_principal() {
    let o = iamsim(&[
        "what-can",
        "arn:aws:iam::444444444444:user/nobody",
        "--world",
        "testdata/access/world.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a user, role or account root of the world"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn who_can_assume_a_role_is_the_chain_one_step_short() {
    // Asking for sts:AssumeRole itself passes what the search's edges pass
    // (session name iamsim), so the answers line up with the read's chains.
    let (code, rows) = who_can(&["sts:AssumeRole", "arn:aws:iam::111111111111:role/Reader"]);
    assert_eq!(code, Some(0));
    let got: Vec<(&str, usize)> = rows.iter().map(|r| (r.0.as_str(), r.1.len())).collect();
    assert_eq!(
        got,
        [
            ("arn:aws:iam::111111111111:role/Deploy", 0),
            ("arn:aws:iam::222222222222:role/Tools", 1),
            ("arn:aws:iam::333333333333:role/Jump", 2),
            ("arn:aws:iam::444444444444:user/alice", 3),
        ]
    );
}

/// Asserts that iamsim refused its input (exit 2, no result); its stderr.
fn refused(o: &Output) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(stdout(o).is_empty(), "printed a result: {}", stdout(o));
    err
}

/// `can` on the seed world with an action, a resource and context
/// arguments; the role assumed first makes STS keys legitimate too.
fn can_seed(action: &str, resource: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "can",
        "--world",
        "testdata/seeds/000-day7-trust-user-plakhera/world.json",
        "arn:aws:iam::222222222222:user/plakhera",
        action,
        resource,
        "--via",
        "arn:aws:iam::111111111111:role/S3ReadOnlyAccesstoDevAccount",
    ];
    args.extend_from_slice(extra);
    iamsim(&args)
}

const SEED_OBJECT: &str = "arn:aws:s3:::prod-account-a-bucket/report.csv";

/// A typo in an action is refused with the real name, where the real name
/// is evaluated; the escape hatch turns the error into a warning.
#[test]
fn an_unknown_action_argument_is_refused_with_a_suggestion() {
    let o = can_seed("s3:GetObject", SEED_OBJECT, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let o = can_seed("s3:GetObjekt", SEED_OBJECT, &[]);
    let err = refused(&o);
    assert!(
        err.starts_with("error: argument ACTION 's3:GetObjekt': ")
            && err.contains("did you mean s3:GetObject?"),
        "{err}"
    );
    let o = can_seed("s3:GetObjekt", SEED_OBJECT, &["--allow-unknown-names"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.starts_with("warning: argument ACTION 's3:GetObjekt': "),
        "{err}"
    );
    assert!(stdout(&o).contains("Decision: allow"), "{}", stdout(&o));
}

/// Context keys: a real key with a value of its type passes; a typo, a
/// wrong-typed value and a key given twice are refused, each naming its
/// argument.
#[test]
fn context_arguments_name_real_keys_with_values_of_their_type() {
    let ok = can_seed(
        "s3:GetObject",
        SEED_OBJECT,
        &[
            "--context",
            "aws:MultiFactorAuthPresent=true",
            "--context",
            "sts:ExternalId=x",
            "--context",
            "aws:PrincipalTag/team=a",
        ],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    for (arg, want) in [
        (
            "aws:MultiFactorAuthPresnt=true",
            "did you mean aws:MultiFactorAuthPresent?",
        ),
        ("aws:MultiFactorAuthPresent=yes", "give true or false"),
        ("aws:CurrentTime=yesterday", "give a date"),
        ("aws:SourceIp=10.0.0", "an IPv4 or IPv6 address"),
        (
            "ec2:Region=us-east-1",
            "applies only to requests of s3, kms, sts",
        ),
    ] {
        let o = can_seed("s3:GetObject", SEED_OBJECT, &["--context", arg]);
        let err = refused(&o);
        assert!(
            err.starts_with(&format!("error: argument --context '{arg}': ")) && err.contains(want),
            "{arg}: {err}"
        );
    }
    let o = can_seed(
        "s3:GetObject",
        SEED_OBJECT,
        &[
            "--context",
            "aws:SourceIp=203.0.113.7",
            "--context",
            "AWS:SOURCEIP=203.0.113.8",
        ],
    );
    let err = refused(&o);
    assert!(err.contains("is given twice"), "{err}");
}

/// Resources: an object action on an object passes and on a bucket is
/// refused naming the object type; an action that takes no resource type
/// only warns about a specific ARN.
#[test]
fn a_resource_argument_must_be_of_a_type_its_action_takes() {
    let o = can_seed("s3:GetObject", "arn:aws:s3:::prod-account-a-bucket", &[]);
    let err = refused(&o);
    assert!(
        err.starts_with("error: argument RESOURCE 'arn:aws:s3:::prod-account-a-bucket': ")
            && err.contains("object (arn:${Partition}:s3:::${BucketName}/${ObjectName})")
            && err.contains("is of type bucket"),
        "{err}"
    );
    let o = can_seed("s3:ListBucket", "arn:aws:s3:::prod-account-a-bucket", &[]);
    assert!(o.status.code() != Some(2), "{}", stderr(&o));
    let o = can_seed(
        "s3:ListAllMyBuckets",
        "arn:aws:s3:::prod-account-a-bucket",
        &[],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.starts_with("warning: argument RESOURCE"), "{err}");
}

/// who-can and what-can check their arguments with the same code.
#[test]
fn access_questions_check_their_names() {
    let world = "testdata/access/world.json";
    let who =
        |action: &str, resource: &str| iamsim(&["who-can", action, resource, "--world", world]);
    let err = refused(&who("s3:GetObjekt", "arn:aws:s3:::prod-data/report.csv"));
    assert!(err.contains("argument ACTION 's3:GetObjekt'"), "{err}");
    refused(&who("s3:GetObject", "arn:aws:s3:::prod-data"));
    let o = who("s3:GetObject", "arn:aws:s3:::prod-data/report.csv");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let what = |flag: &str, value: &str| {
        let bob = "arn:aws:iam::222222222222:user/bob";
        iamsim(&["what-can", bob, "--world", world, flag, value])
    };
    let err = refused(&what("--resource", "arn:aws:s4:::*"));
    assert!(err.contains("did you mean s3?"), "{err}");
    let o = what("--resource", "arn:aws:s3:::*");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = refused(&what("--context", "aws:SourceIpp=10.0.0.1"));
    assert!(err.contains("did you mean aws:SourceIp?"), "{err}");
}

/// A scenario file's unknown action is an error located at it; the file's
/// own `allow_unknown_names` or the flag makes it a located warning, and
/// the scenario runs.
#[test]
fn allow_unknown_names_in_a_file_or_on_the_command_line_warns_instead() {
    let tmp = tempdir("unknown-names");
    let file = tmp.join("s.json");
    let world = root().join("testdata/access/world.json");
    let scenario = |allow: &str| {
        format!(
            r#"{{"world": {world:?},{allow}
 "scenarios": [{{"name": "new", "principal": "arn:aws:iam::222222222222:user/bob",
   "steps": [{{"action": "s3:GetObjectNext", "resource": "arn:aws:s3:::prod-data/x"}}],
   "expect": "implicit_deny"}}]}}"#
        )
    };
    std::fs::write(&file, scenario("")).unwrap();
    let path = file.to_str().unwrap();
    let o = iamsim(&["run", path]);
    let err = refused(&o);
    assert!(
        err.starts_with(&format!("{path}:3:"))
            && err.contains(": error: s3 has no action GetObjectNext"),
        "{err}"
    );
    for (text, args) in [
        (scenario(""), vec!["run", "--allow-unknown-names", path]),
        (
            scenario(r#" "allow_unknown_names": true,"#),
            vec!["run", path],
        ),
        (
            scenario(r#" "allow_unknown_names": true,"#),
            vec!["run", "--stream", path],
        ),
    ] {
        std::fs::write(&file, text).unwrap();
        let o = iamsim(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("{path}:3:"))
                && err.contains(": warning: s3 has no action GetObjectNext"),
            "{args:?}: {err}"
        );
    }
}

/// Context keys above the steps belong to some request they apply to:
/// an `sts:` key beside an AssumeRole step and a `kms:` key beside an S3
/// read (SSE-KMS) pass; an `ec2:` key beside them fails, whether the file
/// is read whole or scenario by scenario.
#[test]
fn file_level_keys_must_reach_some_request() {
    let tmp = tempdir("file-keys");
    let file = tmp.join("s.json");
    let world = root().join("testdata/access/world.json");
    let path = file.to_str().unwrap();
    for (key, code) in [
        ("sts:ExternalId", 0),
        ("kms:ViaService", 0),
        ("ec2:Region", 2),
    ] {
        std::fs::write(
            &file,
            format!(
                r#"{{"world": {world:?}, "context": {{"{key}": "x"}},
 "scenarios": [{{"name": "n", "principal": "arn:aws:iam::222222222222:user/bob",
   "steps": [{{"assume_role": "arn:aws:iam::111111111111:role/BreakGlass"}},
             {{"action": "s3:GetObject", "resource": "arn:aws:s3:::prod-data/x"}}],
   "expect": "deny"}}]}}"#
            ),
        )
        .unwrap();
        for args in [vec!["run", path], vec!["run", "--stream", path]] {
            let o = iamsim(&args);
            assert_eq!(
                o.status.code(),
                Some(code),
                "{key} {args:?}: {}",
                stderr(&o)
            );
            if code == 2 {
                assert!(stdout(&o).is_empty(), "{key} {args:?} printed results");
                assert!(
                    stderr(&o).contains("applies only to requests of kms, s3, sts"),
                    "{}",
                    stderr(&o)
                );
            }
        }
    }
}

/// Asserts the exit status, and that stdout and stderr together hold `text`.
fn assert_exit(o: &Output, code: i32, text: &str) {
    let all = stdout(o) + &stderr(o);
    assert_eq!(o.status.code(), Some(code), "{all}");
    assert!(all.contains(text), "{text:?} not in: {all}");
}

/// The question of testdata/rules/assume-params.world.json: may `dev` of
/// account 222222222222 read `params-data`?
const CAN_DEV_READ: [&str; 6] = [
    "can",
    "--world",
    "testdata/rules/assume-params.world.json",
    "arn:aws:iam::222222222222:user/dev",
    "s3:GetObject",
    "arn:aws:s3:::params-data/x",
];

/// [`CAN_DEV_READ`] through a role whose trust policy tests one AssumeRole
/// parameter; returns the exit status, and stdout then stderr.
fn can_via(role: &str, flags: &[&str]) -> (Option<i32>, String) {
    let via = format!("arn:aws:iam::111111111111:role/{role}");
    let mut args = CAN_DEV_READ.to_vec();
    args.extend(["--via", &via]);
    args.extend_from_slice(flags);
    let o = iamsim(&args);
    (o.status.code(), stdout(&o) + &stderr(&o))
}

/// Each `can --via` flag is what the AssumeRole call passes: passed right,
/// it meets the trust policy's condition; passed wrong or left out, it
/// does not (near misses on both sides of every condition).
#[test]
fn can_via_flags_are_what_the_assume_role_call_passes() {
    let cases: &[(&str, &[&str], i32)] = &[
        ("Vendor", &["--external-id", "x-account-7Hq2p"], 0),
        ("Vendor", &["--external-id", "x-account-0000"], 1),
        ("Vendor", &[], 1),
        ("MfaOnly", &["--mfa"], 0),
        ("MfaOnly", &[], 1),
        (
            "MfaOnly",
            &["--context", "aws:MultiFactorAuthPresent=false", "--mfa"],
            1,
        ),
        ("NamedSessions", &["--session-name", "dev"], 0),
        ("NamedSessions", &["--session-name", "eve"], 1),
        ("NamedSessions", &[], 1),
        ("ProjectBlue", &["--session-tag", "Project=blue"], 0),
        ("ProjectBlue", &["--session-tag", "Project=red"], 1),
        ("ProjectBlue", &["--session-tag", "Team=blue"], 1),
        ("ProjectBlue", &[], 1),
        ("Traced", &["--source-identity", "dev"], 0),
        ("Traced", &["--source-identity", "eve"], 1),
        ("Traced", &[], 1),
    ];
    for (role, flags, want) in cases {
        let (code, out) = can_via(role, flags);
        assert_eq!(code, Some(*want), "{role} {flags:?}: {out}");
    }
    // Every --via step of a chain passes them: the second hop's trust
    // policy sees the session tag too.
    let (code, out) = can_via(
        "ProjectBlue",
        &[
            "--via",
            "arn:aws:iam::111111111111:role/ProjectBlue",
            "--session-tag",
            "Project=red",
        ],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("step 1: arn:aws:iam::222222222222:user/dev sts:AssumeRole")
            && !out.contains("step 2:"),
        "{out}"
    );
}

/// `--explain` and `--format json` show what each AssumeRole call passed.
#[test]
fn can_shows_the_assume_role_parameters_it_passed() {
    let flags = [
        "--session-tag",
        "Project=blue",
        "--mfa",
        "--external-id",
        "x-account-7Hq2p",
        "--session-name",
        "dev",
        "--source-identity",
        "dev",
    ];
    // ProjectBlue's trust policy does not allow sts:SetSourceIdentity, so
    // the call is denied; what it passed shows all the same.
    let mut explain = flags.to_vec();
    explain.push("--explain");
    let (code, out) = can_via("ProjectBlue", &explain);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("calls sts:SetSourceIdentity on arn:aws:iam::111111111111:role/ProjectBlue"),
        "{out}"
    );
    assert!(
        out.contains("  passing RoleSessionName=dev, ExternalId=x-account-7Hq2p, SerialNumber and TokenCode (MFA), SourceIdentity=dev, Tags Project=blue\n"),
        "{out}"
    );
    let mut json = flags.to_vec();
    json.extend(["--format", "json"]);
    let (code, out) = can_via("ProjectBlue", &json);
    assert_eq!(code, Some(1), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(
        v["steps"][0]["parameters"],
        serde_json::json!({"session_name": "dev", "external_id": "x-account-7Hq2p", "mfa": true,
            "source_identity": "dev", "session_tags": {"Project": "blue"},
            "transitive_tag_keys": [], "session_policy": false})
    );
    assert_eq!(v["steps"].as_array().map(Vec::len), Some(1), "{out}");
    let (code, out) = can_via("MfaOnly", &["--mfa", "--format", "json"]);
    assert_eq!(code, Some(0), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["steps"][0]["parameters"]["mfa"], true);
    assert_eq!(v["steps"][0]["parameters"]["session_name"], "iamsim");
    assert!(v["steps"][1].get("parameters").is_none(), "{out}");
    // A question states no expectation.
    assert!(
        v.get("expect").is_none() && v.get("pass").is_none(),
        "{out}"
    );
}

/// The AssumeRole flags are refused, naming the flag, without `--via`
/// (they would be ignored) and with values STS refuses.
#[test]
fn can_refuses_assume_role_flags_it_cannot_use() {
    for flags in [
        &["--mfa"][..],
        &["--external-id", "x-account-7Hq2p"],
        &["--session-name", "dev"],
        &["--source-identity", "dev"],
        &["--session-tag", "Project=blue"],
    ] {
        let o = iamsim(&[&CAN_DEV_READ[..], flags].concat());
        let message = format!(
            "{} describes the AssumeRole calls of --via, and there is no --via",
            flags[0]
        );
        assert_exit(&o, 2, &message);
        assert!(stdout(&o).is_empty());
    }
    let refused: &[(&[&str], &str)] = &[
        (
            &["--external-id", "x"],
            "--external-id \"x\" must be 2-1224 characters",
        ),
        (
            &["--external-id", "has space"],
            "--external-id \"has space\" must be",
        ),
        (
            &["--session-name", "a b"],
            "--session-name \"a b\" must be 1-64 characters",
        ),
        (
            &["--source-identity", "aws:dev"],
            "--source-identity \"aws:dev\" must be 2-64 characters",
        ),
        (
            &["--session-tag", "Project"],
            "--session-tag \"Project\" must be KEY=VALUE",
        ),
        (
            &["--session-tag", "a*b=c"],
            "--session-tag key \"a*b\" must be",
        ),
        (
            &[
                "--session-tag",
                "Project=blue",
                "--session-tag",
                "project=red",
            ],
            "--session-tag \"project\" is given twice ignoring case",
        ),
    ];
    for (flags, message) in refused {
        let (code, out) = can_via("ProjectBlue", flags);
        assert_eq!(code, Some(2), "{flags:?}: {out}");
        assert!(out.contains(message), "{flags:?}: {out}");
    }
    // The near miss: a two-character external id is accepted.
    let (code, out) = can_via("Vendor", &["--external-id", "ab"]);
    assert_eq!(code, Some(1), "{out}");
}

/// A scenario file mixing a met expectation, a missed one, and scenarios
/// without expectation; `alice` may read `b-data` only.
fn mixed_expectations(dir: &Path) -> PathBuf {
    let file = dir.join("mixed.json");
    std::fs::write(
        &file,
        r#"{"world": {"accounts": {"111111111111": {"users": {"alice": {"inline_policies": {"p":
              {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b-data/*"}]}}}},
              "buckets": {"b-data": {}, "c-data": {}}}}},
            "scenarios": [
              {"name": "met", "principal": "arn:aws:iam::111111111111:user/alice",
               "steps": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::b-data/k"}], "expect": "allow"},
              {"name": "open allowed", "principal": "arn:aws:iam::111111111111:user/alice",
               "steps": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::b-data/k"}]},
              {"name": "open denied", "principal": "arn:aws:iam::111111111111:user/alice",
               "steps": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::c-data/k"}]}]}"#,
    )
    .unwrap();
    file
}

/// Without `expect` a scenario reports its decision and counts as neither
/// passed nor failed, in the table, JSON lines, JUnit and streamed runs;
/// only a missed expectation makes the exit status 1.
#[test]
fn a_scenario_without_expectation_reports_its_decision() {
    let dir = tempdir("no-expect");
    let file = mixed_expectations(&dir);
    let path = file.to_str().unwrap();
    for stream in [false, true] {
        let mut args = vec!["run", path];
        if stream {
            args.push("--stream");
        }
        let o = iamsim(&args);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
        assert!(out.contains("PASS  allow         (want allow)"), "{out}");
        assert!(
            out.contains("----  allow         (no expectation)     "),
            "{out}"
        );
        assert!(
            out.contains("----  implicit_deny (no expectation)     "),
            "{out}"
        );
        assert!(
            out.ends_with("\n1 passed, 0 failed, 2 without expectation\n"),
            "{out}"
        );
    }
    let o = iamsim(&["run", "--format", "json", path]);
    assert_eq!(o.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines[0]["pass"], true);
    assert_eq!(lines[2]["decision"], "implicit_deny");
    assert_eq!(lines[2]["expect"], serde_json::Value::Null);
    assert_eq!(lines[2]["pass"], serde_json::Value::Null);
    let o = iamsim(&["run", "--format", "junit", path]);
    assert_eq!(o.status.code(), Some(0));
    let suites = junit_parser::from_reader(std::io::Cursor::new(o.stdout)).expect("JUnit XML");
    let cases = &suites.suites[0].cases;
    assert!(cases[0].status.is_success());
    assert!(cases[2].status.is_skipped());
    assert_eq!(
        cases[2].status.skipped_as_ref().message,
        "no expectation; decided implicit_deny"
    );
    // A missed expectation still fails the run beside them.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("\"expect\": \"allow\"", "\"expect\": \"deny\"", 1),
    )
    .unwrap();
    let o = iamsim(&["run", path]);
    assert_exit(&o, 1, "\n0 passed, 1 failed, 2 without expectation\n");
}

/// `diff` compares scenarios without expectation like any other.
#[test]
fn diff_runs_scenarios_without_expectation() {
    let dir = tempdir("diff-no-expect");
    let file = mixed_expectations(&dir);
    let before = dir.join("before.json");
    let after = dir.join("after.json");
    let world = |resource: &str| {
        format!(
            r#"{{"accounts": {{"111111111111": {{"users": {{"alice": {{"inline_policies": {{"p":
              {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "{resource}"}}]}}}}}}}},
              "buckets": {{"b-data": {{}}, "c-data": {{}}}}}}}}}}"#
        )
    };
    std::fs::write(&before, world("arn:aws:s3:::b-data/*")).unwrap();
    std::fs::write(&after, world("arn:aws:s3:::*-data/*")).unwrap();
    let o = iamsim(&[
        "diff",
        "--before",
        before.to_str().unwrap(),
        "--after",
        after.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(out.contains("CHANGED  implicit_deny -> allow"), "{out}");
    assert!(out.contains("open denied"), "{out}");
    assert!(out.ends_with("1 changed, 2 unchanged\n"), "{out}");
}

/// A batch that would run nothing is bad input: an empty directory, a
/// directory of worlds only, a file with no scenarios, read whole or
/// streamed; `diff` too.
#[test]
fn an_empty_batch_is_bad_input() {
    let dir = tempdir("empty-batch");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let worlds = dir.join("worlds");
    std::fs::create_dir_all(&worlds).unwrap();
    std::fs::write(worlds.join("w.json"), r#"{"accounts": {}}"#).unwrap();
    for d in [&empty, &worlds] {
        let p = d.to_str().unwrap();
        for args in [
            &["run", p][..],
            &["run", "--stream", p],
            &[
                "diff",
                "--before",
                "testdata/access/world.json",
                "--after",
                "testdata/access/world.json",
                p,
            ],
        ] {
            let o = iamsim(args);
            assert_exit(&o, 2, &format!("no scenario file under {p}"));
            assert!(stdout(&o).is_empty(), "{}", stdout(&o));
        }
    }
    // Near miss: the same directory with one scenario file in it runs.
    mixed_expectations(&worlds);
    let o = iamsim(&["run", worlds.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let none = dir.join("none.json");
    std::fs::write(&none, r#"{"world": {"accounts": {}}, "scenarios": []}"#).unwrap();
    let p = none.to_str().unwrap();
    let message =
        format!("{p}:1:42: error: scenarios is empty: a scenario file needs at least one scenario");
    assert_exit(&iamsim(&["run", p]), 2, &message);
    let o = iamsim(&["run", "--stream", p]);
    assert_exit(&o, 2, &format!("{p}: no scenarios"));
}

/// `iamsim diff` between the README's example worlds, with more arguments.
fn example_diff(extra: &[&str]) -> Output {
    let mut args = vec![
        "diff",
        "--before",
        "testdata/access/world.json",
        "--after",
        "testdata/access/world.after.json",
    ];
    args.extend_from_slice(extra);
    iamsim(&args)
}

/// The semantic diff of the README's example change: JSON lines with the
/// agreed fields, each witness replayed by `run` as its change says.
#[test]
fn semantic_diff_json_lines_carry_witnesses_that_run_replays() {
    let o = example_diff(&["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 6, "{}", stdout(&o));
    let tmp = tempdir("semdiff-json");
    for l in &lines {
        for field in [
            "change",
            "principal",
            "via",
            "actions",
            "resource",
            "needs",
            "cause",
            "witness",
        ] {
            assert!(l.get(field).is_some(), "{field} missing in {l}");
        }
        let (allowed, denied) = match l["change"].as_str() {
            Some("newly_allowed") => ("world.after.json", "world.json"),
            Some("newly_denied") => ("world.json", "world.after.json"),
            other => panic!("unexpected change {other:?}"),
        };
        let file = tmp.join("witness.json");
        let mut w = l["witness"].clone();
        w["expect"] = serde_json::json!("allow");
        std::fs::write(&file, serde_json::json!({"scenarios": [w]}).to_string()).unwrap();
        let run = |world: &str| {
            iamsim(&[
                "run",
                "--world",
                &format!("testdata/access/{world}"),
                file.to_str().unwrap(),
            ])
            .status
            .code()
        };
        assert_eq!((run(allowed), run(denied)), (Some(0), Some(1)), "{l}");
    }
    let erin = lines
        .iter()
        .find(|l| l["principal"] == "arn:aws:iam::555555555555:user/erin")
        .unwrap();
    assert_eq!(erin["change"], "newly_denied");
    assert_eq!(erin["needs"], serde_json::json!(["sts:ExternalId=abc-123"]));
    assert_eq!(erin["witness"]["steps"][0]["external_id"], "abc-123");
    let cause = &erin["cause"][0];
    assert_eq!(cause["side"], "before");
    assert_eq!(cause["statement"], "\"ReadProdData\"");
    assert!(
        cause["location"]
            .as_str()
            .unwrap()
            .starts_with("testdata/access/world.json:"),
        "{cause}"
    );
}

/// Exit statuses: nothing new is 0; newly denied alone fails only with
/// `--fail-on any-change`; the table groups by cause and counts.
#[test]
fn semantic_diff_exit_statuses_and_table() {
    let same = iamsim(&[
        "diff",
        "--before",
        "testdata/access/world.json",
        "--after",
        "testdata/access/world.json",
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    assert!(
        stdout(&same)
            .ends_with("0 newly allowed, 0 newly denied, 0 indeterminate, 0 newly reachable\n")
    );
    let tmp = tempdir("semdiff-exit");
    let mut narrowed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/access/world.json")).unwrap(),
    )
    .unwrap();
    narrowed["accounts"]["111111111111"]["roles"]["Vendor"]["inline_policies"] =
        serde_json::json!({});
    let after = tmp.join("narrowed.json");
    std::fs::write(&after, narrowed.to_string()).unwrap();
    let args = |extra: &[&str]| {
        let mut a = vec![
            "diff",
            "--before",
            "testdata/access/world.json",
            "--after",
            after.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        iamsim(&a)
    };
    let o = args(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.starts_with("NEWLY DENIED (2 findings)\n"), "{out}");
    assert!(out.contains("  cause before: \"ReadProdData\" of inline policy \"read\" of arn:aws:iam::111111111111:role/Vendor ("), "{out}");
    assert!(out.ends_with("0 newly allowed, 2 newly denied, 0 indeterminate, 0 newly reachable\n"));
    assert_eq!(args(&["--fail-on", "any-change"]).status.code(), Some(1));
    // Erin's chain is one role: with --max-chain 1 she is still found.
    let one = args(&["--max-chain", "1", "--format", "json"]);
    assert_eq!(stdout(&one).lines().count(), 2, "{}", stdout(&one));
}

/// Markdown is a pull-request comment: counts, then newly allowed before
/// newly denied, with witnesses folded.
#[test]
fn semantic_diff_markdown_puts_newly_allowed_first() {
    let o = example_diff(&["--format", "markdown"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("## iamsim semantic diff\n\n4 newly allowed, 2 newly denied, 0 indeterminate, 0 newly reachable\n"), "{out}");
    let allowed = out.find("### Newly allowed").unwrap();
    let denied = out.find("### Newly denied").unwrap();
    assert!(allowed < denied, "{out}");
    assert!(out.contains("| `arn:aws:iam::222222222222:user/bob` | via arn:aws:iam::111111111111:role/BreakGlass | s3:GetObject | `arn:aws:s3:::prod-data/*` |  |"), "{out}");
    assert!(out.contains("<details><summary>witnesses</summary>"));
}

/// Bad input exits 2 naming the argument: a flag of the semantic diff
/// with scenario files, an unknown context key, --max-chain 0.
#[test]
fn semantic_diff_refuses_bad_arguments() {
    let refused_with = |extra: &[&str], message: &str| {
        let err = refused(&example_diff(extra));
        assert!(err.contains(message), "{err}");
    };
    refused_with(
        &["--all", "testdata/seeds"],
        "--all is for the semantic diff",
    );
    refused_with(
        &["--context", "aws:SourceIpp=10.0.0.1"],
        "argument --context 'aws:SourceIpp=10.0.0.1'",
    );
    refused_with(&["--max-chain", "0"], "--max-chain must be at least 1");
    refused_with(&["--region", "mars-1"], "--region");
}

/// The semantic diff with the world's MFA need fixed by --context: bob's
/// break-glass access was already there with MFA, so only the access
/// without it is new, and with MFA fixed true nothing is.
#[test]
fn semantic_diff_context_fixes_keys_that_are_otherwise_needs() {
    let o = example_diff(&[
        "--context",
        "aws:MultiFactorAuthPresent=true",
        "--format",
        "json",
    ]);
    let out = stdout(&o);
    assert!(
        !out.contains("\"change\":\"newly_allowed\""),
        "with MFA the break-glass access is not new: {out}"
    );
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
}

#[test]
fn a_directory_run_skips_terraform_plans_and_a_named_plan_is_refused() {
    let tmp = tempdir("plans");
    let plan = tmp.join("plan.json");
    std::fs::copy(
        root().join("testdata/terraform/create-cross-account/plan.json"),
        &plan,
    )
    .unwrap();
    std::fs::write(
        tmp.join("s.json"),
        r#"{"world": {"accounts": {"111111111111": {}}}, "scenarios": [{"name": "a", "principal": "arn:aws:iam::111111111111:root", "steps": [{"action": "s3:ListAllMyBuckets", "resource": "*"}], "expect": "allow"}]}"#,
    )
    .unwrap();
    let o = iamsim(&["run", tmp.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).ends_with("1 passed, 0 failed\n"),
        "{}",
        stdout(&o)
    );
    for stream in [false, true] {
        let mut args = vec!["run"];
        if stream {
            args.push("--stream");
        }
        args.push(plan.to_str().unwrap());
        let o = iamsim(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.starts_with(&format!(
                "{}:1:1: error: a Terraform plan (terraform show -json), not a scenario file; use iamsim import --terraform",
                plan.display()
            )),
            "{err}"
        );
    }
    // Near miss: `format_version` alone is not a plan; the walk reads the
    // file as scenarios and refuses its key.
    std::fs::write(&plan, r#"{"format_version": "1.2"}"#).unwrap();
    let o = iamsim(&["run", tmp.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("unknown key \"format_version\""),
        "{}",
        stderr(&o)
    );
}

/// Every case of testdata/terraform holds what the importer's tests read:
/// the configuration, Terraform's plan, a hand-written world, questions on
/// it, and import arguments in flag/value pairs whose files exist.
#[test]
fn every_terraform_case_follows_the_test_data_layout() {
    let dir = root().join("testdata/terraform");
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let case = entry.unwrap().path();
        if !case.is_dir() || case.ends_with("shapes") {
            continue;
        }
        cases += 1;
        let name = case.display();
        assert!(case.join("main.tf").is_file(), "{name}: no main.tf");
        let plan: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("plan.json")).unwrap()).unwrap();
        assert!(
            plan["format_version"].is_string() && plan["terraform_version"].is_string(),
            "{name}: plan.json is not terraform show -json output"
        );
        assert!(
            plan["resource_changes"]
                .as_array()
                .is_some_and(|r| !r.is_empty()),
            "{name}: the plan changes nothing"
        );
        let questions: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("questions.json")).unwrap()).unwrap();
        assert_eq!(questions["world"], "world.json", "{name}");
        let n = questions["scenarios"].as_array().map_or(0, Vec::len);
        assert!((4..=10).contains(&n), "{name}: {n} questions");
        let args = std::fs::read_to_string(case.join("import.args")).unwrap();
        let args: Vec<&str> = args.lines().collect();
        assert_eq!(
            args.len() % 2,
            0,
            "{name}: import.args is not flag/value pairs"
        );
        for pair in args.chunks(2) {
            match pair {
                ["--base", file] => assert!(case.join(file).is_file(), "{name}: no {file}"),
                ["--terraform-account", account] => {
                    assert!(
                    account.rsplit('=').next().is_some_and(|a| a.len() == 12
                        && a.bytes().all(|b| b.is_ascii_digit())),
                    "{name}: --terraform-account {account}"
                )
                }
                other => panic!("{name}: unexpected import argument {other:?}"),
            }
        }
    }
    assert!(cases >= 5, "{cases} cases under {}", dir.display());
}
