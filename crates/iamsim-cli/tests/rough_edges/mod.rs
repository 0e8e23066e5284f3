//! Regression tests for the rough edges of the CLI that issue 14 found by
//! trying it as a new user: each test failed on the behaviour it names, and
//! each pins the near miss that must not change.

use super::{iamsim, root, stderr, stdout, tempdir};
use serde_json::Value;
use std::path::{Path, PathBuf};

const SEED: &str = "testdata/seeds/000-day7-trust-user-plakhera/world.json";
const USER: &str = "arn:aws:iam::222222222222:user/plakhera";
const ROLE: &str = "arn:aws:iam::111111111111:role/S3ReadOnlyAccesstoDevAccount";
const OBJECT: &str = "arn:aws:s3:::prod-account-a-bucket/report.csv";

/// A world of one account with a bucket whose policy denies plain HTTP
/// and lets only bob read; alice's own policy reads anything and calls two
/// actions that take no resource; carol, of another account, reads
/// anything; dave has no policy.
const WORLD: &str = r#"{"accounts": {
  "111111111111": {
    "users": {
      "alice": {"inline_policies": {"read": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListAllMyBuckets", "ec2:DescribeInstances"], "Resource": "*"}]}}},
      "bob": {},
      "dave": {}
    },
    "buckets": {"shared": {"policy": {"Version": "2012-10-17", "Statement": [
      {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::shared/*",
       "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
      {"Sid": "BobReads", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:user/bob"},
       "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"},
      {"Sid": "CarolFromHome", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/carol"},
       "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*",
       "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}
    ]}}}
  },
  "222222222222": {
    "users": {"carol": {"inline_policies": {"read": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}}}
  }
}}"#;

fn world(name: &str) -> PathBuf {
    let dir = tempdir(name);
    let path = dir.join("world.json");
    std::fs::write(&path, WORLD).unwrap();
    path
}

/// `can --format json` for `user` reading `arn:aws:s3:::shared/x`.
fn can_json(world: &Path, user: &str, extra: &[&str]) -> Value {
    let principal = format!("arn:aws:iam::{user}");
    let mut args = vec![
        "can",
        "--world",
        world.to_str().unwrap(),
        &principal,
        "s3:GetObject",
        "arn:aws:s3:::shared/x",
        "--format",
        "json",
    ];
    args.extend(extra);
    let o = iamsim(&args);
    serde_json::from_str(stdout(&o).trim()).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)))
}

fn gate<'v>(line: &'v Value, name: &str) -> &'v Value {
    line["steps"][0]["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == name)
        .unwrap_or_else(|| panic!("no gate {name}: {line}"))
}

/// `can` errors name the argument the user typed, not a line of a JSON
/// document the user never wrote.
#[test]
fn can_errors_name_the_argument() {
    let wrong_user = "arn:aws:iam::222222222222:user/plakherra";
    let o = iamsim(&["can", "--world", SEED, wrong_user, "s3:GetObject", OBJECT]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!("error: argument PRINCIPAL '{wrong_user}': ")),
        "{err}"
    );
    assert!(
        !err.contains("<command line>") && !err.contains("$.scenarios"),
        "{err}"
    );
    let wrong_role = "arn:aws:iam::111111111111:role/S3ReadOnly";
    let o = iamsim(&[
        "can",
        "--world",
        SEED,
        USER,
        "s3:GetObject",
        OBJECT,
        "--via",
        ROLE,
        "--via",
        wrong_role,
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!("error: argument --via '{wrong_role}': ")),
        "{err}"
    );
    assert!(!err.contains("$.scenarios"), "{err}");
    // The near miss: errors in the world file keep their location there.
    let dir = tempdir("can-world-error");
    let bad = dir.join("world.json");
    std::fs::write(
        &bad,
        r#"{"accounts": {"111111111111": {"users": {"a": 1}}}}"#,
    )
    .unwrap();
    let o = iamsim(&[
        "can",
        "--world",
        bad.to_str().unwrap(),
        USER,
        "s3:GetObject",
        OBJECT,
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("world.json:1:"), "{err}");
}

/// An unknown owner asks for the flag on the command line, and for the
/// step key in a scenario file.
#[test]
fn an_unknown_owner_asks_for_resource_account_as_the_input_spells_it() {
    let resource = "arn:aws:s3:::nobody-declares-it/k";
    for args in [
        vec!["can", "--world", SEED, USER, "s3:GetObject", resource],
        vec!["who-can", "s3:GetObject", resource, "--world", SEED],
    ] {
        let o = iamsim(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.starts_with(&format!("error: argument RESOURCE '{resource}': ")),
            "{err}"
        );
        assert!(err.contains("give --resource-account"), "{err}");
        assert!(!err.contains("\"resource_account\""), "{err}");
    }
    // With the flag, the question is answered.
    let o = iamsim(&[
        "who-can",
        "s3:GetObject",
        resource,
        "--world",
        SEED,
        "--resource-account",
        "111111111111",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = iamsim(&[
        "can",
        "--world",
        SEED,
        USER,
        "s3:GetObject",
        resource,
        "--resource-account",
        "x1",
    ]);
    let err = stderr(&o);
    assert!(
        err.starts_with("error: argument --resource-account 'x1': "),
        "{err}"
    );
    // A scenario file names its own key.
    let dir = tempdir("owner-file");
    let file = dir.join("s.json");
    std::fs::write(
        &file,
        format!(
            r#"{{"world": "{}", "scenarios": [{{"name": "n", "principal": "{USER}",
                "steps": [{{"action": "s3:GetObject", "resource": "{resource}"}}]}}]}}"#,
            root().join(SEED).display()
        ),
    )
    .unwrap();
    let o = iamsim(&["run", file.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("give \"resource_account\" on the step"),
        "{err}"
    );
}

/// The root user's allow reads as a sentence.
#[test]
fn a_root_allow_reads_as_a_sentence() {
    let o = iamsim(&[
        "can",
        "--world",
        SEED,
        "arn:aws:iam::111111111111:root",
        "s3:GetObject",
        OBJECT,
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains(
            "allowed: arn:aws:iam::111111111111:root, the account's root user, allows it within the same account"
        ),
        "{out}"
    );
}

/// A question has no expectation: `can --format json` carries neither
/// `expect` nor `pass`, where `run` carries both.
#[test]
fn can_json_carries_no_expectation() {
    let w = world("can-json");
    let line = can_json(&w, "111111111111:user/alice", &[]);
    let obj = line.as_object().unwrap();
    assert!(
        !obj.contains_key("expect") && !obj.contains_key("pass"),
        "{line}"
    );
    assert_eq!(line["decision"], "allow");
    let o = iamsim(&[
        "run",
        "--format",
        "json",
        "testdata/seeds/000-day7-trust-user-plakhera/scenarios.json",
    ]);
    let first: Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert!(
        first.get("expect").is_some() && first.get("pass").is_some(),
        "{first}"
    );
}

/// Each command's `--help` lists only the formats it accepts.
#[test]
fn help_lists_only_the_formats_each_command_accepts() {
    for cmd in ["can", "who-can", "what-can", "diff"] {
        let help = stdout(&iamsim(&[cmd, "--help"]));
        assert!(help.contains("json"), "{cmd}: {help}");
        assert!(!help.contains("junit"), "{cmd}: {help}");
        let o = iamsim(&[cmd, "--format", "junit"]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert!(
            stderr(&o).contains("invalid value 'junit'"),
            "{cmd}: {}",
            stderr(&o)
        );
    }
    let help = stdout(&iamsim(&["run", "--help"]));
    assert!(help.contains("junit"), "{help}");
}

/// JUnit test cases carry the file as a dotted class name without its
/// extension, and their time in seconds.
#[test]
fn junit_cases_have_a_dotted_classname_and_a_time() {
    let o = iamsim(&[
        "run",
        "--format",
        "junit",
        "testdata/seeds/000-day7-trust-user-plakhera/scenarios.json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let xml = stdout(&o);
    let cases: Vec<&str> = xml
        .split("<testcase ")
        .skip(1)
        .map(|c| c.split('>').next().unwrap())
        .collect();
    assert!(!cases.is_empty(), "{xml}");
    for c in cases {
        assert!(
            c.contains(r#"classname="testdata.seeds.000-day7-trust-user-plakhera.scenarios""#),
            "{c}"
        );
        let time = c
            .split("time=\"")
            .nth(1)
            .expect("a time")
            .split('"')
            .next()
            .unwrap();
        let secs: f64 = time.parse().unwrap();
        assert!((0.0..60.0).contains(&secs), "{c}");
    }
    // The suite keeps the path as given.
    assert!(
        xml.contains(
            r#"<testsuite name="testdata/seeds/000-day7-trust-user-plakhera/scenarios.json""#
        ),
        "{xml}"
    );
}

/// A two-step scenario whose first step changes: both sides cite step 1,
/// not the last step of the scenario that was allowed.
#[test]
fn diff_cites_the_step_that_changed() {
    let dir = tempdir("diff-step");
    let world = |principal: &str| {
        format!(
            r#"{{"accounts": {{"111111111111": {{
              "users": {{"alice": {{"inline_policies": {{"p": {{"Version": "2012-10-17", "Statement": [
                {{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}}]}}}}}}}},
              "roles": {{"reader": {{
                "trust_policy": {{"Version": "2012-10-17", "Statement": [
                  {{"Effect": "Allow", "Principal": {{"AWS": "{principal}"}}, "Action": "sts:AssumeRole"}}]}},
                "inline_policies": {{"r": {{"Version": "2012-10-17", "Statement": [
                  {{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}]}}}}}}}},
              "buckets": {{"b-data": {{}}}}}}}}}}"#
        )
    };
    let before = dir.join("before.json");
    let after = dir.join("after.json");
    std::fs::write(&before, world("arn:aws:iam::111111111111:user/bob")).unwrap();
    std::fs::write(&after, world("arn:aws:iam::111111111111:user/alice")).unwrap();
    let file = dir.join("s.json");
    std::fs::write(
        &file,
        r#"{"scenarios": [{"name": "alice reads as reader", "principal": "arn:aws:iam::111111111111:user/alice",
            "steps": [{"assume_role": "arn:aws:iam::111111111111:role/reader"},
                      {"action": "s3:GetObject", "resource": "arn:aws:s3:::b-data/k"}]}]}"#,
    )
    .unwrap();
    let args = [
        "diff",
        "--before",
        before.to_str().unwrap(),
        "--after",
        after.to_str().unwrap(),
        file.to_str().unwrap(),
    ];
    let o = iamsim(&args);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(
        out.contains("      before: step 1: sts:AssumeRole"),
        "{out}"
    );
    assert!(
        out.contains("      after:  step 1: sts:AssumeRole"),
        "{out}"
    );
    assert!(!out.contains("step 2"), "{out}");
}

/// Across accounts, when no Allow of the bucket policy names the caller,
/// the summary does not blame a Deny statement's condition; when an Allow
/// names it but its condition fails, it names that condition.
#[test]
fn an_implicit_deny_blames_only_allow_conditions() {
    let w = world("implicit-deny");
    // carol is named by CarolFromHome, whose condition fails without a
    // source address: that condition is the reason.
    let line = can_json(&w, "222222222222:user/carol", &[]);
    let summary = line["steps"][0]["summary"].as_str().unwrap();
    assert_eq!(line["decision"], "implicit_deny");
    assert!(
        summary.contains("(condition IpAddress aws:SourceIp is false"),
        "{summary}"
    );
    assert!(!summary.contains("aws:SecureTransport"), "{summary}");
    // From the right address it is allowed.
    let line = can_json(
        &w,
        "222222222222:user/carol",
        &["--context", "aws:SourceIp=192.0.2.7"],
    );
    assert_eq!(line["decision"], "allow", "{line}");
    // dave of the same account: no Allow anywhere; the Deny's condition is
    // not the reason.
    let line = can_json(&w, "111111111111:user/dave", &[]);
    let summary = line["steps"][0]["summary"].as_str().unwrap();
    assert_eq!(line["decision"], "implicit_deny");
    assert!(!summary.contains("aws:SecureTransport"), "{summary}");
}

/// Within one account, an identity-side allow suffices (AWS's evaluation
/// logic), so a bucket policy that does not name the caller is no failed
/// gate; without the identity allow it still fails.
#[test]
fn a_same_account_identity_allow_does_not_fail_the_resource_gate() {
    let w = world("same-account");
    let line = can_json(&w, "111111111111:user/alice", &[]);
    assert_eq!(line["decision"], "allow");
    let g = gate(&line, "resource-based policy");
    assert_eq!(g["verdict"], "skip", "{g}");
    assert!(
        g["note"]
            .as_str()
            .unwrap()
            .contains("the identity-based allow suffices"),
        "{g}"
    );
    let line = can_json(&w, "111111111111:user/bob", &[]);
    assert_eq!(line["decision"], "allow");
    assert_eq!(gate(&line, "resource-based policy")["verdict"], "pass");
    let line = can_json(&w, "111111111111:user/dave", &[]);
    assert_eq!(line["decision"], "implicit_deny");
    assert_eq!(gate(&line, "resource-based policy")["verdict"], "fail");
}

/// One wrong OU parent is one error, located at that parent; the OUs
/// below it, which exist, are not reported. A cycle is reported on its
/// members only.
#[test]
fn a_wrong_ou_parent_is_reported_once() {
    let dir = tempdir("ou-parent");
    let path = dir.join("world.json");
    let load_errors = |ous: &str| {
        let world = format!(
            r#"{{"organization": {{"id": "o-abcdefghij", "management_account": "999999999999",
                "root": {{}}, "ous": {ous}}},
                "accounts": {{"111111111111": {{"ou": "ou-c"}}}}}}"#
        );
        std::fs::write(&path, world).unwrap();
        let args = ["what-can", "arn:aws:iam::111111111111:root", "--world"];
        let o = iamsim(&[&args[..], &[path.to_str().unwrap()]].concat());
        assert_eq!(o.status.code(), Some(2));
        stderr(&o)
    };
    let err = load_errors(
        r#"{"ou-a": {"parent": "ou-typo"}, "ou-b": {"parent": "ou-a"}, "ou-c": {"parent": "ou-b"},
            "ou-d": {"parent": "root"}}"#,
    );
    assert_eq!(err.matches(": error: ").count(), 1, "{err}");
    assert!(err.contains("parent \"ou-typo\""), "{err}");
    assert!(err.contains("$.organization.ous.ou-a.parent"), "{err}");
    let err = load_errors(
        r#"{"ou-a": {"parent": "ou-b"}, "ou-b": {"parent": "ou-a"}, "ou-c": {"parent": "ou-b"}}"#,
    );
    assert_eq!(err.matches(": error: ").count(), 2, "{err}");
    assert!(err.contains("\"ou-a\" is its own ancestor"), "{err}");
    assert!(err.contains("\"ou-b\" is its own ancestor"), "{err}");
    assert!(!err.contains("\"ou-c\" is its own ancestor"), "{err}");
}

/// what-can says how each role is reached without repeating it, and lists
/// the actions that take no resource under `*`.
#[test]
fn what_can_reads_well_and_lists_actions_without_resource() {
    let o = iamsim(&["what-can", USER, "--world", SEED]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let role_line = out
        .lines()
        .find(|l| l.starts_with(&format!("as {ROLE}")))
        .unwrap();
    assert_eq!(role_line.matches(ROLE).count(), 1, "{out}");
    assert_eq!(role_line, format!("as {ROLE} (assumed directly)"), "{out}");
    // A longer chain names the roles before the one reached.
    let o = iamsim(&[
        "what-can",
        "arn:aws:iam::444444444444:user/alice",
        "--world",
        "testdata/access/world.json",
    ]);
    let chain = stdout(&o);
    assert!(
        chain.contains(
            "\nas arn:aws:iam::222222222222:role/Tools (assumed through arn:aws:iam::333333333333:role/Jump)\n"
        ),
        "{chain}"
    );
    // AmazonS3ReadOnlyAccess grants s3:ListAllMyBuckets, which takes no resource.
    let star = out.find("\n    *\n").unwrap_or_else(|| panic!("{out}"));
    let grant = out[..star].rsplit('\n').next().unwrap_or_default();
    assert!(grant.contains("ListAllMyBuckets"), "{out}");
    let w = world("what-can");
    let o = iamsim(&[
        "what-can",
        "arn:aws:iam::111111111111:user/alice",
        "--world",
        w.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let line: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let star = line["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["resources"] == serde_json::json!(["*"]))
        .unwrap_or_else(|| panic!("{line}"));
    assert_eq!(
        star["actions"]["ec2"],
        serde_json::json!(["DescribeInstances"])
    );
    assert_eq!(
        star["actions"]["s3"],
        serde_json::json!(["ListAllMyBuckets"])
    );
    // bob's policy allows nothing without a resource.
    let o = iamsim(&[
        "what-can",
        "arn:aws:iam::111111111111:user/bob",
        "--world",
        w.to_str().unwrap(),
    ]);
    let out = stdout(&o);
    assert!(!out.contains("\n    *\n"), "{out}");
    // --resource filters `*` as any resource.
    let o = iamsim(&[
        "what-can",
        "arn:aws:iam::111111111111:user/alice",
        "--world",
        w.to_str().unwrap(),
        "--resource",
        "arn:aws:s3:::shared/*",
    ]);
    assert!(!stdout(&o).contains("\n    *\n"), "{}", stdout(&o));
}
