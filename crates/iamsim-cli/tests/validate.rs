//! `iamsim validate` end to end: each check with its near miss on each
//! side, exit statuses, never more lenient than `run`, and the JSON and
//! SARIF outputs read back (SARIF against the vendored 2.1.0 schema).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly on anything unexpected"
)]

use serde_json::{Value, json};
use std::path::{Path, PathBuf};

mod common;

use common::{iamsim, root, stdout};

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("iamsim-validate-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `doc` as `name` in a temporary directory; returns its path.
fn write(dir: &Path, name: &str, doc: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(doc).unwrap()).unwrap();
    p.display().to_string()
}

/// The exit status and the findings of `validate --format json`.
fn findings(paths: &[&str]) -> (Option<i32>, Vec<Value>) {
    let mut args = vec!["validate", "--format", "json"];
    args.extend_from_slice(paths);
    let o = iamsim(&args);
    let list = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (o.status.code(), list)
}

fn rules(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// A policy of one statement with a Version.
fn policy(statement: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// Each check: a policy that has the fault, its near miss that does not,
/// and the suggestion the fault gets.
#[test]
fn each_policy_check_fires_on_its_fault_and_not_on_the_near_miss() {
    let dir = tempdir("checks");
    let get = |cond: Value| {
        policy(
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": cond}),
        )
    };
    let cases: Vec<(&str, Value, Value, Option<&str>)> = vec![
        // Condition keys ignore case.
        (
            "unknown-global-condition-key",
            get(json!({"StringEquals": {"aws:RequestRegion": "eu-west-1"}})),
            get(json!({"StringEquals": {"AWS:requestedregion": "eu-west-1"}})),
            Some("aws:RequestedRegion"),
        ),
        // A wildcard region could be any: S3 ARNs with one are left alone.
        (
            "arn-region-not-allowed",
            policy(
                json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:eu-west-1::b/*"}),
            ),
            policy(
                json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:*::b/*"}),
            ),
            Some("arn:aws:s3:::b/*"),
        ),
        // A bucket action on the objects of a bucket, and its near miss.
        (
            "action-resource-mismatch",
            policy(
                json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/*"}),
            ),
            policy(
                json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b*"}),
            ),
            Some("arn:aws:s3:::b"),
        ),
        // A wildcard in the bucket name could reach objects.
        (
            "action-resource-mismatch",
            policy(
                json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}),
            ),
            policy(
                json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b*"}),
            ),
            Some("arn:aws:s3:::b/*"),
        ),
        // STS lists iam:ResourceTag/* among its keys: the role's tags.
        (
            "condition-key-of-other-service",
            policy(
                json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}),
            ),
            policy(
                json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {"StringEquals": {"iam:ResourceTag/team": "a"}}}),
            ),
            None,
        ),
        // One action of the statement that takes the key is enough.
        (
            "condition-key-not-for-actions",
            policy(
                json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringLike": {"s3:prefix": "home/"}}}),
            ),
            policy(
                json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*", "Condition": {"StringLike": {"s3:prefix": "home/"}}}),
            ),
            None,
        ),
        (
            "unknown-global-condition-key",
            get(json!({"StringEquals": {"aws:RequestRegion": "eu-west-1"}})),
            get(json!({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})),
            Some("aws:RequestedRegion"),
        ),
        (
            "unknown-global-condition-key",
            get(json!({"Bool": {"aws:MFAPresent": "true"}})),
            get(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
            Some("aws:MultiFactorAuthPresent"),
        ),
        (
            "unknown-service-condition-key",
            get(json!({"StringLike": {"s3:prefx": "home/"}})),
            get(json!({"StringLike": {"s3:prefix": "home/"}})),
            Some("s3:prefix"),
        ),
        (
            "condition-key-not-for-actions",
            policy(
                json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringLike": {"s3:prefix": "home/"}}}),
            ),
            get(json!({"StringLike": {"s3:prefix": "home/"}})),
            None,
        ),
        (
            "arn-region-not-allowed",
            policy(
                json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:us-east-1::b/*"}),
            ),
            policy(
                json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}),
            ),
            Some("arn:aws:s3:::b/*"),
        ),
        (
            "arn-account-not-allowed",
            policy(
                json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3::111122223333:b"}),
            ),
            policy(
                json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:us-east-1:111122223333:accesspoint/ap/object/*"}),
            ),
            Some("arn:aws:s3:::b"),
        ),
        (
            "arn-resource-format",
            policy(
                json!({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:111122223333:kee/1"}),
            ),
            policy(
                json!({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:111122223333:key/1"}),
            ),
            None,
        ),
        (
            "missing-version",
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}]}),
            policy(
                json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}),
            ),
            Some("add \"Version\": \"2012-10-17\""),
        ),
        (
            "action-resource-mismatch",
            policy(
                json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b"}),
            ),
            policy(
                json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::b"}),
            ),
            Some("arn:aws:s3:::b/*"),
        ),
        (
            "redundant-action",
            policy(
                json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:Get*"], "Resource": "*"}),
            ),
            policy(
                json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:Put*"], "Resource": "*"}),
            ),
            Some("remove it"),
        ),
    ];
    for (i, (rule, bad, near, suggestion)) in cases.iter().enumerate() {
        let bad_path = write(&dir, &format!("bad{i}.json"), bad);
        let near_path = write(&dir, &format!("near{i}.json"), near);
        let (_, found) = findings(&[&bad_path]);
        let hit = found
            .iter()
            .find(|f| f["rule"] == *rule)
            .unwrap_or_else(|| panic!("{rule}: not found in {found:?}"));
        assert!(hit["line"].as_u64().unwrap() >= 1, "{hit}");
        assert!(hit["path"].as_str().unwrap().starts_with('$'), "{hit}");
        assert!(
            hit["help_uri"]
                .as_str()
                .unwrap()
                .starts_with("https://docs.aws.amazon.com/"),
            "{hit}"
        );
        assert_eq!(hit["suggestion"].as_str(), *suggestion, "{rule}: {hit}");
        let (_, clean) = findings(&[&near_path]);
        assert!(
            !rules(&clean).contains(&rule.to_string()),
            "{rule}: the near miss is reported: {clean:?}"
        );
    }
}

/// An organization: SCP levels and RCPs.
#[test]
fn scp_levels_that_allow_nothing_and_rcps_that_deny_a_whole_service() {
    let dir = tempdir("org");
    let deny_s3 = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]});
    let deny_s3_outsiders = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}}]});
    let deny_only = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]});
    let full: Value = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let world = |ou_scps: Value, rcps: Value| {
        json!({"organization": {"id": "o-abc123", "management_account": "999999999999",
            "root": {"rcps": rcps},
            "ous": {"ou-prod": {"parent": "root", "scps": ou_scps}}},
          "accounts": {"111111111111": {"ou": "ou-prod"}, "999999999999": {"ou": "root"}}})
    };
    let bad = write(
        &dir,
        "bad.json",
        &world(json!([deny_only]), json!([deny_s3])),
    );
    let (code, found) = findings(&[&bad]);
    let r = rules(&found);
    assert!(r.contains(&"scp-allows-nothing".into()), "{found:?}");
    assert!(r.contains(&"rcp-deny-whole-service".into()), "{found:?}");
    assert_eq!(code, Some(1), "{found:?}");
    let near = write(
        &dir,
        "near.json",
        &world(json!([deny_only, full]), json!([deny_s3_outsiders])),
    );
    let (code, found) = findings(&[&near]);
    assert_eq!(code, Some(0), "{found:?}");
}

/// A scenario file is checked as `run` reads and runs it: duplicate
/// names warn (in `run` too), what `run` refuses is an error.
#[test]
fn scenario_files_are_checked_against_their_worlds() {
    let dir = tempdir("scenarios");
    let world =
        json!({"accounts": {"111111111111": {"users": {"alice": {}}, "buckets": {"bkt1": {}}}}});
    let scenario = |names: [&str; 2], principal: &str| {
        json!({"world": world, "scenarios": names.iter().map(|n| json!({"name": n,
            "principal": principal, "steps": [{"action": "s3:ListBucket", "resource": "arn:aws:s3:::bkt1"}],
            "expect": "implicit_deny"})).collect::<Vec<_>>()})
    };
    let alice = "arn:aws:iam::111111111111:user/alice";
    let dup = write(&dir, "dup.json", &scenario(["same", "same"], alice));
    let (code, found) = findings(&[&dup]);
    assert_eq!(rules(&found), vec!["duplicate-scenario-name"], "{found:?}");
    assert_eq!(code, Some(1));
    assert_eq!(found[0]["path"], "$.scenarios[1].name");
    let run = iamsim(&["run", &dup]);
    assert_eq!(run.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("is also the name of scenario 0"),
        "{run:?}"
    );
    let distinct = write(&dir, "distinct.json", &scenario(["one", "two"], alice));
    assert_eq!(findings(&[&distinct]), (Some(0), vec![]));
    let mallory = write(
        &dir,
        "mallory.json",
        &scenario(["one", "two"], "arn:aws:iam::111111111111:user/mallory"),
    );
    let (code, found) = findings(&[&mallory]);
    assert_eq!(code, Some(2));
    assert_eq!(
        rules(&found),
        vec!["scenario-run", "scenario-run"],
        "{found:?}"
    );
}

/// `validate` is never more lenient than `run`: every bad input `run`
/// refuses is an error of `validate`, located; every bundled scenario
/// file that `run` accepts has no error.
#[test]
fn validate_is_never_more_lenient_than_run() {
    let mut bad: Vec<String> = std::fs::read_dir(root().join("testdata/bad"))
        .unwrap()
        .map(|e| format!("testdata/bad/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    bad.sort();
    for b in &bad {
        assert_eq!(iamsim(&["run", b]).status.code(), Some(2), "{b}");
        let (code, found) = findings(&[b]);
        assert_eq!(code, Some(2), "{b}: {found:?}");
        assert!(
            found.iter().any(|f| f["level"] == "error"),
            "{b}: {found:?}"
        );
    }
    let mut invalid: Vec<String> =
        std::fs::read_dir(root().join("crates/iamsim-cli/tests/invalid"))
            .unwrap()
            .map(|e| {
                format!(
                    "crates/iamsim-cli/tests/invalid/{}",
                    e.unwrap().file_name().to_string_lossy()
                )
            })
            .filter(|p| p.ends_with(".json"))
            .collect();
    invalid.sort();
    for p in &invalid {
        let (code, found) = findings(&[p]);
        assert_eq!(code, Some(2), "{p}: {found:?}");
        let first = &found[0];
        assert_eq!(first["file"], p.as_str(), "{first}");
        assert!(first["line"].as_u64().is_some(), "{first}");
    }
    for dir in ["testdata/seeds", "testdata/conformance", "testdata/rules"] {
        let files = scenario_files(&root().join(dir));
        assert!(!files.is_empty());
        let names: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let (_, found) = findings(&refs);
        let errors: Vec<&Value> = found.iter().filter(|f| f["level"] == "error").collect();
        assert!(errors.is_empty(), "{dir}: {errors:?}");
    }
}

/// Every `*.json` with `scenarios` under `dir`.
fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(scenario_files(&p));
        } else if p.extension().is_some_and(|x| x == "json")
            && std::fs::read_to_string(&p)
                .unwrap()
                .contains("\"scenarios\"")
        {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Exit 0 clean (notes do not count), 1 warnings only, 2 errors or
/// unreadable input; every finding of a file is reported.
#[test]
fn exit_statuses_separate_errors_from_warnings() {
    let dir = tempdir("exit");
    let clean = write(
        &dir,
        "clean.json",
        &policy(
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}),
        ),
    );
    assert_eq!(findings(&[&clean]), (Some(0), vec![]));
    let note = write(
        &dir,
        "note.json",
        &policy(
            json!({"Effect": "Allow", "Action": ["s3:ListBucket", "s3:List*"], "Resource": "*"}),
        ),
    );
    let (code, found) = findings(&[&note]);
    assert_eq!(
        (code, rules(&found)),
        (Some(0), vec!["redundant-action".to_string()])
    );
    assert_eq!(found[0]["level"], "note");
    let warn = write(
        &dir,
        "warn.json",
        &policy(json!({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"})),
    );
    let (code, found) = findings(&[&warn]);
    assert_eq!(code, Some(1), "{found:?}");
    assert_eq!(found[0]["suggestion"], "s3:GetObject");
    // Two bad policies in one world: both reported, with a warning beside.
    let world = json!({"accounts": {"111111111111": {"users": {"alice": {"inline_policies": {
        "a": {"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}]},
        "b": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3GetObject", "Resource": "*"}]},
        "c": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}]}}}}}}});
    let two = write(&dir, "two.json", &world);
    let (code, found) = findings(&[&two, &warn]);
    assert_eq!(code, Some(2), "{found:?}");
    assert_eq!(
        rules(&found),
        vec![
            "policy-grammar",
            "policy-grammar",
            "unknown-action",
            "unknown-action"
        ],
        "{found:?}"
    );
    // Two bad statements of one policy: both reported, each at its place.
    let statements = write(
        &dir,
        "statements.json",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3GetObject", "Resource": "*"}]}),
    );
    let (code, found) = findings(&[&statements]);
    assert_eq!(code, Some(2));
    let paths: Vec<&str> = found.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["$.Statement[0].Effect", "$.Statement[2].Action"],
        "{found:?}"
    );
    let (code, found) = findings(&["no/such/file.json"]);
    assert_eq!(
        (code, rules(&found)),
        (Some(2), vec!["unreadable".to_string()])
    );
    // The table closes with the counts.
    let o = iamsim(&["validate", &two, &note]);
    assert!(
        stdout(&o).ends_with("2 errors, 1 warning, 1 note in 2 files\n"),
        "{}",
        stdout(&o)
    );
}

/// The table fits 80 columns, but for the offending line and the path.
#[test]
fn the_table_reads_at_80_columns() {
    let o = iamsim(&[
        "validate",
        "testdata/bad/scenarios-unknown-principal.json",
        "testdata/conformance/decision/s3-bucket-arn-does-not-match-getobject.json",
    ]);
    let out = stdout(&o);
    assert!(out.contains("warning[action-resource-mismatch]"), "{out}");
    assert!(out.contains("  help: did you mean arn:aws:s3:::"), "{out}");
    for line in out.lines() {
        let code = line.starts_with("  at ")
            || line.contains(" | ")
            || line.starts_with("  see: ")
            || line.ends_with("]:");
        assert!(code || line.chars().count() <= 80, "{line}");
    }
}

/// JSON lines: one object per finding with every field of its type.
#[test]
fn json_findings_have_their_shape() {
    let (_, found) = findings(&[
        "testdata/bad/world-policy-effect-lowercase.json",
        "testdata/conformance/decision/s3-bucket-arn-does-not-match-getobject.json",
        "no/such/file.json",
    ]);
    assert!(found.len() >= 3, "{found:?}");
    for f in &found {
        let o = f.as_object().unwrap();
        let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "column",
                "file",
                "help_uri",
                "level",
                "line",
                "message",
                "path",
                "rule",
                "suggestion"
            ]
        );
        assert!(["error", "warning", "note"].contains(&f["level"].as_str().unwrap()));
        for k in ["rule", "message", "help_uri", "file"] {
            assert!(f[k].is_string(), "{k}: {f}");
        }
        for k in ["line", "column"] {
            assert!(f[k].is_u64() || f[k].is_null(), "{k}: {f}");
        }
        for k in ["suggestion", "path"] {
            assert!(f[k].is_string() || f[k].is_null(), "{k}: {f}");
        }
    }
}

/// SARIF output validates against the SARIF 2.1.0 schema, and carries
/// what GitHub code scanning reads: rules with help, results with
/// levels, relative forward-slash URIs and 1-based regions.
#[test]
fn sarif_output_follows_the_sarif_2_1_0_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root().join("crates/iamsim-cli/tests/sarif/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let o = iamsim(&[
        "validate",
        "--format",
        "sarif",
        "testdata/bad/world-policy-effect-lowercase.json",
        "testdata/conformance/decision/s3-bucket-arn-does-not-match-getobject.json",
        "no/such/file.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    // A log the schema rejects, so that the check above can fail.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!validator.is_valid(&broken));
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for r in rules {
        assert!(
            r["helpUri"].as_str().unwrap().starts_with("https://"),
            "{r}"
        );
        assert!(!r["help"]["text"].as_str().unwrap().is_empty());
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{results:?}");
    for r in results {
        assert!(ids.contains(&r["ruleId"].as_str().unwrap()), "{r}");
        assert_eq!(ids[r["ruleIndex"].as_u64().unwrap() as usize], r["ruleId"]);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
    }
    let located = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        located["artifactLocation"]["uri"],
        "testdata/bad/world-policy-effect-lowercase.json"
    );
    assert!(located["region"]["startLine"].as_u64().unwrap() >= 1);
    assert!(located["region"]["startColumn"].as_u64().unwrap() >= 1);
}

/// The warnings `validate` had before rule ids keep their places, in
/// every form a world gives a policy (an object, a JSON string, a file).
#[test]
fn likely_mistakes_are_warned_in_every_form_of_policy() {
    let dir = tempdir("forms");
    let world = json!({"accounts": {"111111111111": {
        "users": {"alice": {"inline_policies": {
            "typo": {"Version": "2012-10-17", "Statement": [
                {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObjects", "Resource": "*"},
                {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
                {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*", "Condition": {"StringEquals": {"s3:nosuchkey": "x"}}},
                {"Effect": "Allow", "Action": "nosuchservice:Do", "Resource": "*"}]},
            "old": {"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}}}}},
        "roles": {"Open": {"trust_policy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}}}},
        "buckets": {"b-data": {"policy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotPrincipal": {"AWS": "111111111111"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b-data/*"}}}}}}});
    let path = write(&dir, "w.json", &world);
    let (code, found) = findings(&[&path]);
    assert_eq!(code, Some(1), "{found:?}");
    let mut got = rules(&found);
    got.sort();
    assert_eq!(
        got,
        [
            "allow-with-not-principal",
            "condition-key-of-other-service",
            "duplicate-sid",
            "pass-role-with-star",
            "trust-any-principal",
            "unknown-action",
            "unknown-service",
            "unknown-service-condition-key",
            "variable-in-old-version"
        ]
    );
    assert!(
        found.iter().all(|f| f["file"] == path.as_str()),
        "{found:?}"
    );
    let passrole = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}}"#;
    std::fs::write(dir.join("p.json"), passrole).unwrap();
    let world = json!({"accounts": {"111111111111": {"users": {"bob": {"inline_policies": {
        "as-string": passrole,
        "as-file": {"file": "p.json"}}}}}}});
    let path = write(&dir, "w2.json", &world);
    let (_, found) = findings(&[&path]);
    assert_eq!(
        rules(&found),
        ["pass-role-with-star", "pass-role-with-star"]
    );
    let files: Vec<&str> = found.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert!(files.iter().any(|f| f.ends_with("p.json")), "{files:?}");
    // The string's place in its file, and the place within it.
    let string = found
        .iter()
        .find(|f| f["file"] == path.as_str())
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(
        (string["line"].as_u64(), string["column"].as_u64()),
        (Some(10), Some(26)),
        "{string}"
    );
    assert!(
        string["message"]
            .as_str()
            .unwrap()
            .ends_with("(line 1, column 98 of the embedded JSON string)"),
        "{string}"
    );
    let clean = findings(&[
        "testdata/import/world.hand.json",
        "testdata/seeds/000-day7-trust-user-plakhera/world.json",
    ]);
    assert_eq!(clean, (Some(0), vec![]));
}

/// A directory means every JSON file in it, worlds included, but for AWS
/// CLI outputs, Terraform plans and folders named bad: the whole bundled
/// corpus has no error.
#[test]
fn a_directory_is_every_file_in_it() {
    let (code, found) = findings(&["testdata"]);
    assert!(found.iter().all(|f| f["level"] != "error"), "{found:?}");
    assert_eq!(code, Some(1), "the corpus keeps its deliberate mistakes");
    let o = iamsim(&["validate", "testdata/seeds"]);
    let out = stdout(&o);
    let files = std::fs::read_dir(root().join("testdata/seeds"))
        .unwrap()
        .flat_map(|e| std::fs::read_dir(e.unwrap().path()).into_iter().flatten())
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert!(out.ends_with(&format!(" in {files} files\n")), "{out}");
    let (code, found) = findings(&["no/such/dir"]);
    assert_eq!(
        (code, rules(&found)),
        (Some(2), vec!["unreadable".to_string()])
    );
}

/// A world with a bad policy, named by a scenario file and given itself:
/// each statement's error once, as the policy grammar's.
#[test]
fn a_world_named_twice_is_reported_once() {
    let dir = tempdir("named-twice");
    let world = json!({"accounts": {"111111111111": {"users": {"alice": {"inline_policies": {"p": {
        "Version": "2012-10-17", "Statement": [
            {"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3GetObject", "Resource": "*"}]}}}}}}});
    let w = write(&dir, "world.json", &world);
    let steps = json!([{"action": "s3:ListBucket", "resource": "arn:aws:s3:::bkt1", "resource_account": "111111111111"}]);
    let s = write(
        &dir,
        "s.json",
        &json!({"world": "world.json", "scenarios": [{"name": "a",
            "principal": "arn:aws:iam::111111111111:user/alice", "steps": steps}]}),
    );
    let (code, found) = findings(&[&s, &w]);
    assert_eq!(code, Some(2));
    assert_eq!(
        rules(&found),
        ["policy-grammar", "policy-grammar"],
        "{found:?}"
    );
    assert!(found.iter().all(|f| f["file"] == w.as_str()), "{found:?}");
}

/// What `run` refuses in a scenario file is the scenario format's, a
/// missing world file included; the loader's did-you-mean becomes the
/// finding's suggestion.
#[test]
fn run_refusals_keep_their_suggestion() {
    let (code, found) = findings(&[
        "testdata/bad/scenarios-world-file-missing.json",
        "testdata/bad/scenarios-context-key-unknown.json",
        "testdata/bad/world-dangling-ou.json",
    ]);
    assert_eq!(code, Some(2));
    assert_eq!(
        rules(&found),
        ["scenario-format", "scenario-format", "world-format"],
        "{found:?}"
    );
    assert_eq!(found[1]["suggestion"], "aws:MultiFactorAuthPresent");
    assert!(
        !found[1]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean"),
        "{}",
        found[1]
    );
}

/// A document written identically in several places is linted once, and
/// each finding is still reported at every place, with its own line,
/// column and path; a document differing by one character is linted on
/// its own.
#[test]
fn identical_documents_are_reported_at_every_place() {
    let dir = tempdir("identical");
    let warn = policy(json!({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}));
    let near = policy(json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}));
    let bad = policy(json!({"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}));
    let world = json!({"accounts": {"111111111111": {"users": {
        "alice": {"inline_policies": {"p": warn, "q": bad}},
        "bob": {"inline_policies": {"p": warn, "q": bad}},
        "carol": {"inline_policies": {"p": near}}}}}});
    let w = write(&dir, "world.json", &world);
    let (code, found) = findings(&[&w]);
    assert_eq!(code, Some(2), "{found:?}");
    let text = std::fs::read_to_string(&w).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (rule, key, written) in [
        ("unknown-action", "p", "\"s3:GetObjekt\""),
        ("policy-grammar", "q", "\"allow\""),
    ] {
        let at: Vec<&Value> = found.iter().filter(|f| f["rule"] == rule).collect();
        let paths: Vec<&str> = at.iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert_eq!(paths.len(), 2, "{rule}: {found:?}");
        for (f, user) in at.iter().zip(["alice", "bob"]) {
            let prefix =
                format!("$.accounts[\"111111111111\"].users.{user}.inline_policies.{key}.");
            assert!(f["path"].as_str().unwrap().starts_with(&prefix), "{f}");
            let line = lines[f["line"].as_u64().unwrap() as usize - 1];
            let column = f["column"].as_u64().unwrap() as usize - 1;
            assert!(line[column..].starts_with(written), "{f}: {line}");
        }
        assert_ne!(at[0]["line"], at[1]["line"], "{rule}: {found:?}");
    }
    assert_eq!(
        found.len(),
        4,
        "carol's near miss has no finding: {found:?}"
    );
}
