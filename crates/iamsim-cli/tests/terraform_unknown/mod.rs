//! What every command does with a world that a Terraform plan leaves
//! partly unknown (README, "What the decisions mean"): `can` exits 3 on
//! indeterminate, `run` never passes one, JSON says what it depends on,
//! who-can lists such accesses apart, diffs report them, and explanations
//! name each statement's Terraform address. The world is
//! testdata/rules/terraform-unknown.world.json.

use super::{iamsim, root, stderr, stdout, tempdir};
use std::path::PathBuf;
use std::process::Output;

const WORLD: &str = "testdata/rules/terraform-unknown.world.json";
/// The determinate near misses, with expects.
const SCENARIOS: &str = "testdata/rules/terraform-unknown.json";
/// The indeterminate decisions, without.
const INDETERMINATE: &str = "crates/iamsim-cli/tests/terraform_unknown/indeterminate.json";
const APP: &str = "arn:aws:iam::111111111111:role/app";

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The world with `edit` applied, written to a temporary file.
fn edited_world(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let text = std::fs::read_to_string(root().join(WORLD)).unwrap();
    let mut w: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut w);
    let path = tempdir(name).join("world.json");
    std::fs::write(&path, w.to_string()).unwrap();
    path
}

/// The world before the plan: role app's inline policy is known and
/// reads app-data.
fn before_world() -> PathBuf {
    edited_world("unknown-before", |w| {
        w["accounts"]["111111111111"]["roles"]["app"]["inline_policies"]["p"] = serde_json::json!({
            "terraform": "aws_iam_role_policy.p",
            "document": {"Statement": {"Sid": "ReadAppData", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-data/*"}}
        });
    })
}

#[test]
fn can_exits_3_on_indeterminate_and_json_says_what_it_depends_on() {
    let read = |resource: &str, format: &str| {
        iamsim(&[
            "can",
            "--world",
            WORLD,
            APP,
            "s3:GetObject",
            resource,
            "--format",
            format,
        ])
    };
    let o = read("arn:aws:s3:::app-data/x", "table");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{out}{}", stderr(&o));
    assert!(
        out.contains(
            "indeterminate: depends on aws_iam_role_policy.p policy (known only after apply)"
        ),
        "{out}"
    );
    assert!(
        out.ends_with("Decision: indeterminate (depends on aws_iam_role_policy.p policy, known only after apply)\n"),
        "{out}"
    );
    let o = read("arn:aws:s3:::app-data/x", "json");
    assert_eq!(o.status.code(), Some(3));
    let v = &json_lines(&o)[0];
    assert_eq!(v["decision"], "indeterminate");
    assert_eq!(
        v["depends_on"],
        serde_json::json!(["aws_iam_role_policy.p policy"])
    );
    assert!(
        v.get("pass").is_none(),
        "a question has no expectation: {v}"
    );
    let step = &v["steps"][0];
    assert_eq!(step["decision"], "indeterminate");
    assert_eq!(
        step["depends_on"],
        serde_json::json!(["aws_iam_role_policy.p policy"])
    );
    let identity = step["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == "identity-based policies")
        .unwrap();
    assert_eq!(
        identity["statements"][0]["terraform"],
        "aws_iam_role_policy.p"
    );
    assert_eq!(
        identity["statements"][0]["unknown"],
        "aws_iam_role_policy.p policy"
    );
    // The near miss: the SCP's Deny decides whatever p holds.
    let o = read("arn:aws:s3:::locked-data/x", "json");
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v = &json_lines(&o)[0];
    assert_eq!(v["decision"], "explicit_deny");
    assert_eq!(v["depends_on"], serde_json::json!([]));
    assert!(
        v["steps"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("statement \"NoLockedReads\" of SCP \"LockData\" of ou-apps, from aws_organizations_policy.lock"),
        "{v}"
    );
}

/// Each indeterminate scenario (they carry no expect) and what it depends
/// on; their determinate near misses carry expects, which `iamsim run
/// testdata/` checks too.
#[test]
fn each_unknown_is_indeterminate_and_its_near_miss_is_not() {
    let o = iamsim(&["run", "--format", "json", INDETERMINATE, SCENARIOS]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines = json_lines(&o);
    let wanted = [
        ("unknown inline policy", "aws_iam_role_policy.p policy"),
        (
            "unknown bucket policy, identity side allows",
            "aws_s3_bucket_policy.shared policy",
        ),
        (
            "unknown trust policy",
            "aws_iam_role.deployer assume_role_policy",
        ),
        (
            "unknown managed-policy attachment",
            "aws_iam_role_policy_attachment.worker policy_arn",
        ),
        ("entity known only in part", "aws_iam_role.batch name"),
    ];
    for (name, depends) in wanted {
        let v = lines
            .iter()
            .find(|v| v["name"].as_str().unwrap().starts_with(name))
            .unwrap_or_else(|| panic!("no scenario {name}"));
        assert_eq!(v["decision"], "indeterminate", "{name}");
        assert_eq!(v["depends_on"], serde_json::json!([depends]), "{name}");
        assert_eq!(v["pass"], serde_json::Value::Null, "{name}");
    }
    let kinds: Vec<(&str, &str)> = lines
        .iter()
        .filter(|v| v["name"].as_str().unwrap().starts_with("near miss"))
        .map(|v| {
            (
                v["decision"].as_str().unwrap(),
                v["expect"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("explicit_deny", "explicit_deny"),
            ("implicit_deny", "deny"),
            ("implicit_deny", "deny"),
            ("explicit_deny", "explicit_deny"),
            ("allow", "allow")
        ]
    );
}

#[test]
fn an_indeterminate_scenario_never_passes_and_says_what_it_depends_on() {
    let dir = tempdir("unknown-expect");
    let file = dir.join("s.json");
    let world = root().join(WORLD);
    let scenario = |expect: &str| {
        format!(
            r#"{{"world": "{}", "scenarios": [
                {{"name": "read", "principal": "{APP}", "steps": [{{"action": "s3:GetObject", "resource": "arn:aws:s3:::app-data/x"}}], "expect": "{expect}"}},
                {{"name": "kind", "principal": "arn:aws:iam::222222222222:user/nobody", "steps": [{{"action": "s3:GetObject", "resource": "arn:aws:s3:::shared-data/x"}}], "expect": "implicit_deny"}}]}}"#,
            world.display()
        )
    };
    for expect in ["allow", "deny"] {
        std::fs::write(&file, scenario(expect)).unwrap();
        let o = iamsim(&["run", file.to_str().unwrap()]);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(
            out.contains(&format!("FAIL  indeterminate (want {expect})")),
            "{out}"
        );
        assert!(
            out.contains("read (depends on aws_iam_role_policy.p policy, known only after apply)"),
            "{out}"
        );
        // Denied either way, but whether explicitly depends on the bucket
        // policy: implicit_deny is not certain, so it does not hold.
        assert!(
            out.contains("FAIL  implicit_deny (want implicit_deny)"),
            "{out}"
        );
        assert!(out.ends_with("0 passed, 2 failed\n"), "{out}");
    }
    let o = iamsim(&["run", "--format", "junit", file.to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("expected deny, got indeterminate (depends on aws_iam_role_policy.p policy, known only after apply)"),
        "{out}"
    );
    std::fs::write(&file, scenario("indeterminate")).unwrap();
    let o = iamsim(&["run", file.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("s.json:2:"), "{err}");
    assert!(
        err.contains("expect \"indeterminate\" cannot be met"),
        "{err}"
    );
}

#[test]
fn who_can_and_what_can_list_indeterminate_access_apart() {
    let o = iamsim(&[
        "who-can",
        "s3:GetObject",
        "arn:aws:s3:::app-data/x",
        "--world",
        WORLD,
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    let (sure, unsure) = out
        .split_once("INDETERMINATE")
        .expect("an indeterminate section");
    assert!(sure.contains("role arn:aws:iam::111111111111:role/batch-known directly"));
    assert!(!sure.contains(APP), "{out}");
    assert!(
        unsure.contains(&format!(
            "role {APP} directly\n  depends on aws_iam_role_policy.p policy"
        )),
        "{out}"
    );
    assert!(
        out.ends_with("2 principals can s3:GetObject on arn:aws:s3:::app-data/x; 3 more indeterminate (can only if what is known only after apply allows it)\n"),
        "{out}"
    );
    // Only indeterminate readers: exit 3.
    let o = iamsim(&[
        "who-can",
        "s3:PutObject",
        "arn:aws:s3:::shared-data/x",
        "--world",
        WORLD,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    let lines = json_lines(&o);
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|v| v["decision"] == "indeterminate"));
    let o = iamsim(&[
        "what-can",
        "arn:aws:iam::222222222222:user/ci",
        "--world",
        WORLD,
        "--resource",
        "arn:aws:s3:::app-data/*",
    ]);
    let out = stdout(&o);
    assert!(
        out.contains("indeterminate: s3:PutObject (depends on aws_iam_role.deployer assume_role_policy, known only after apply)"),
        "{out}"
    );
    assert!(!out.contains("s3: PutObject"), "{out}");
}

#[test]
fn diffs_report_what_becomes_indeterminate() {
    let before = before_world();
    let before = before.to_str().unwrap();
    // With scenario files: the read became indeterminate.
    let o = iamsim(&[
        "diff",
        "--before",
        before,
        "--after",
        WORLD,
        INDETERMINATE,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let lines = json_lines(&o);
    let read = lines
        .iter()
        .find(|v| v["name"] == "unknown inline policy: indeterminate")
        .expect("the read changed");
    assert_eq!(read["before"]["decision"], "allow");
    assert_eq!(read["after"]["decision"], "indeterminate");
    assert_eq!(
        read["after"]["depends_on"],
        serde_json::json!(["aws_iam_role_policy.p policy"])
    );
    // The semantic diff: an indeterminate finding whose note names the
    // unknown; the cause on the before side names the Terraform address.
    let o = iamsim(&[
        "diff", "--before", before, "--after", WORLD, "--format", "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let lines = json_lines(&o);
    let f = lines
        .iter()
        .find(|v| {
            v["principal"] == APP
                && v["resource"] == "arn:aws:s3:::app-data/*"
                && v["actions"][0] == "s3:GetObject"
        })
        .expect("a finding for app's read");
    assert_eq!(f["change"], "indeterminate");
    assert!(
        f["note"]
            .as_str()
            .unwrap()
            .contains("after depends on aws_iam_role_policy.p policy"),
        "{f}"
    );
    assert!(
        f["cause"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["terraform"] == "aws_iam_role_policy.p" && c["side"] == "before"),
        "{f}"
    );
    assert!(lines.iter().all(|v| v["change"] == "indeterminate"));
    // Near miss: with p known in both worlds nothing differs.
    let o = iamsim(&["diff", "--before", before, "--after", before]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}
