//! The importer on small hand-made plans: one test per resource type and
//! per error, each with its near miss. The shapes of these plans are those
//! of `testdata/terraform/`'s real plans.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly on anything unexpected"
)]

use super::{AccountArg, Imported, Moment, Options, import};
use crate::diag::Sources;
use crate::world::{NoFiles, load_world};
use serde_json::{Value, json};

const A: &str = "111111111111";

fn doc(action: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}).to_string()
}

fn trust() -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}).to_string()
}

/// A resource change: address `TYPE.NAME`, its actions, before and after.
fn ch(address: &str, actions: &[&str], before: Value, after: Value) -> Value {
    let (kind, name) = address.split_once('.').unwrap();
    json!({"address": address, "mode": "managed", "type": kind, "name": name,
           "provider_name": "registry.terraform.io/hashicorp/aws",
           "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}}})
}

fn with_unknown(mut c: Value, unknown: Value) -> Value {
    c["change"]["after_unknown"] = unknown;
    c
}

/// A plan of `changes`, with configuration blocks `config` (address and
/// expressions).
fn plan(changes: &[Value], config: &[(&str, Value)]) -> String {
    let resources: Vec<Value> = config
        .iter()
        .map(|(a, e)| {
            let (kind, name) = a.split_once('.').unwrap();
            json!({"address": a, "mode": "managed", "type": kind, "name": name, "provider_config_key": "aws", "expressions": e})
        })
        .collect();
    json!({"format_version": "1.2", "terraform_version": "1.11.4", "resource_changes": changes,
           "configuration": {"provider_config": {"aws": {"name": "aws"}}, "root_module": {"resources": resources}}})
    .to_string()
}

fn run_with(
    text: &str,
    base: Option<Value>,
    moment: Moment,
    strict: bool,
) -> Result<Imported, String> {
    let mut sources = Sources::new();
    let id = sources.add("plan.json", text.to_string());
    let opts = Options {
        accounts: vec![AccountArg {
            provider: None,
            account: A.into(),
        }],
        strict,
    };
    match import(&mut sources, id, base, &opts, moment) {
        Ok(i) => {
            // Every world written loads.
            let wid = sources.add(
                "world.json",
                serde_json::to_string_pretty(&i.world).unwrap(),
            );
            if let Err(e) = load_world(&mut sources, wid, &mut NoFiles) {
                panic!("{}\n{}", e[0].render(&sources), i.world);
            }
            Ok(i)
        }
        Err(e) => Err(e
            .iter()
            .map(|d| d.render(&sources))
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

fn after(text: &str, base: Option<Value>) -> Result<Value, String> {
    run_with(text, base, Moment::After, false).map(|i| i.world)
}

fn role_change(name: &str, extra: Value) -> Value {
    let mut after = json!({"name": name, "path": "/", "assume_role_policy": trust(), "permissions_boundary": null, "tags": null});
    for (k, v) in extra.as_object().unwrap() {
        after[k] = v.clone();
    }
    ch(
        &format!("aws_iam_role.{name}"),
        &["create"],
        Value::Null,
        after,
    )
}

/// The names of a written entity's inline policies.
fn inline_names(entity: &Value) -> Vec<&str> {
    entity["inline_policies"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

fn base_with_role(inline: Value, managed: Value) -> Value {
    json!({"accounts": {A: {"policies": {"old": doc("s3:ListBucket")}, "roles": {"r": {"trust_policy": trust(), "inline_policies": inline, "managed_policies": managed}}}}})
}

#[test]
fn a_role_brings_its_trust_path_tags_and_boundary_with_provenance() {
    let w = after(&plan(&[role_change("r", json!({"path": "/app/", "tags": {"team": "data"}, "permissions_boundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"}))], &[]), None).unwrap();
    let r = &w["accounts"][A]["roles"]["r"];
    assert_eq!(r["path"], "/app/");
    assert_eq!(r["tags"], json!({"team": "data"}));
    assert_eq!(
        r["permissions_boundary"],
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    );
    assert_eq!(r["trust_policy"]["terraform"], "aws_iam_role.r");
    assert_eq!(
        r["trust_policy"]["document"]["Statement"][0]["Action"],
        "sts:AssumeRole"
    );
}

#[test]
fn a_configured_inline_policy_or_managed_policy_arns_replaces_the_whole_set() {
    let base = base_with_role(json!({"manual": doc("s3:GetObject")}), json!(["old"]));
    let update = |extra: Value| {
        let mut c = role_change("r", extra);
        c["change"]["actions"] = json!(["update"]);
        c["change"]["before"] = c["change"]["after"].clone();
        c
    };
    let configured = plan(
        &[update(
            json!({"inline_policy": [{"name": "tf", "policy": doc("s3:PutObject")}], "managed_policy_arns": []}),
        )],
        &[(
            "aws_iam_role.r",
            json!({"inline_policy": [{}], "managed_policy_arns": {"constant_value": []}}),
        )],
    );
    let w = after(&configured, Some(base.clone())).unwrap();
    let r = &w["accounts"][A]["roles"]["r"];
    assert_eq!(inline_names(r), vec!["tf"]);
    assert_eq!(r["managed_policies"], json!([]));
    // Near miss: not configured, the role's computed sets are not read and
    // what the base has stays.
    let unconfigured = plan(
        &[update(
            json!({"inline_policy": [{"name": "tf", "policy": doc("s3:PutObject")}]}),
        )],
        &[("aws_iam_role.r", json!({}))],
    );
    let w = after(&unconfigured, Some(base)).unwrap();
    let r = &w["accounts"][A]["roles"]["r"];
    assert_eq!(inline_names(r), vec!["manual"]);
    assert_eq!(r["managed_policies"], json!(["old"]));
}

#[test]
fn inline_policies_of_users_groups_and_roles_land_on_their_holder() {
    let changes = [
        role_change("r", json!({})),
        ch(
            "aws_iam_user.u",
            &["create"],
            Value::Null,
            json!({"name": "u", "path": "/"}),
        ),
        ch(
            "aws_iam_group.g",
            &["create"],
            Value::Null,
            json!({"name": "g", "path": "/"}),
        ),
        ch(
            "aws_iam_role_policy.p",
            &["create"],
            Value::Null,
            json!({"name": "rp", "role": "r", "policy": doc("s3:GetObject")}),
        ),
        ch(
            "aws_iam_user_policy.p",
            &["create"],
            Value::Null,
            json!({"name": "up", "user": "u", "policy": doc("s3:GetObject")}),
        ),
        ch(
            "aws_iam_group_policy.p",
            &["create"],
            Value::Null,
            json!({"name": "gp", "group": "g", "policy": doc("s3:GetObject")}),
        ),
    ];
    let w = after(&plan(&changes, &[]), None).unwrap();
    let acct = &w["accounts"][A];
    assert_eq!(
        acct["roles"]["r"]["inline_policies"]["rp"]["terraform"],
        "aws_iam_role_policy.p"
    );
    assert_eq!(
        acct["users"]["u"]["inline_policies"]["up"]["terraform"],
        "aws_iam_user_policy.p"
    );
    assert_eq!(
        acct["groups"]["g"]["inline_policies"]["gp"]["terraform"],
        "aws_iam_group_policy.p"
    );
}

#[test]
fn an_attachment_to_a_role_that_exists_nowhere_is_an_error_located_in_the_plan() {
    let att = ch(
        "aws_iam_role_policy_attachment.a",
        &["create"],
        Value::Null,
        json!({"role": "r", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    );
    let e = after(&plan(std::slice::from_ref(&att), &[]), None).unwrap_err();
    assert!(e.starts_with("plan.json:1:") && e.contains("aws_iam_role_policy_attachment.a: role \"r\" of account 111111111111 exists neither in the base world nor in the plan"), "{e}");
    // Near miss: the base has the role.
    let w = after(
        &plan(&[att], &[]),
        Some(base_with_role(json!({}), json!([]))),
    )
    .unwrap();
    assert_eq!(
        w["accounts"][A]["roles"]["r"]["managed_policies"],
        json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    );
}

#[test]
fn a_plan_whose_world_would_not_load_is_an_error_located_in_the_plan() {
    // Found by the terraform fuzz target: the importer wrote worlds the
    // loader refuses (fuzz/regressions/terraform/).
    let user = |name: &str| {
        ch(
            "aws_iam_user.u",
            &["create"],
            Value::Null,
            json!({"name": name, "path": "/"}),
        )
    };
    let e = after(&plan(&[user("ali`ce")], &[]), None).unwrap_err();
    assert!(
        e.starts_with("plan.json:1:")
            && e.lines().any(|l| l.trim() == "at $.resource_changes")
            && e.contains("\"ali`ce\" is not a valid user name"),
        "{e}"
    );
    // Near miss: a name IAM takes.
    assert!(after(&plan(&[user("alice")], &[]), None).is_ok());

    let attach = |arn: &str| {
        ch(
            "aws_iam_user_policy_attachment.a",
            &["create"],
            Value::Null,
            json!({"user": "alice", "policy_arn": arn}),
        )
    };
    let deploy = format!("arn:aws:iam::{A}:policy/deploy");
    let e = after(&plan(&[user("alice"), attach(&deploy)], &[]), None).unwrap_err();
    assert!(
        e.starts_with("plan.json:1:")
            && e.contains(&format!("unknown managed policy \"{deploy}\"")),
        "{e}"
    );
    // Near misses: the plan creates the policy; an AWS managed policy.
    let policy = ch(
        "aws_iam_policy.deploy",
        &["create"],
        Value::Null,
        json!({"name": "deploy", "path": "/", "policy": doc("s3:GetObject")}),
    );
    assert!(after(&plan(&[user("alice"), policy, attach(&deploy)], &[]), None).is_ok());
    let aws = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    assert!(after(&plan(&[user("alice"), attach(aws)], &[]), None).is_ok());
}

#[test]
fn an_address_the_world_format_refuses_is_an_error_at_the_address() {
    // Found by the terraform fuzz target: the address is each policy's
    // provenance in the world, which checks it.
    let mut c = ch(
        "aws_iam_policy.deploy",
        &["create"],
        Value::Null,
        json!({"name": "deploy", "path": "/", "policy": doc("s3:GetObject")}),
    );
    assert!(after(&plan(std::slice::from_ref(&c), &[]), None).is_ok());
    c["address"] = json!("aws_iam_polic\u{fffd}.deploy");
    let e = after(&plan(&[c], &[]), None).unwrap_err();
    assert!(
        e.contains("is not a Terraform resource address")
            && e.contains("at $.resource_changes[0].address"),
        "{e}"
    );
}

#[test]
fn a_destroyed_attachment_is_detached_and_a_customer_policy_matches_by_name() {
    let base = base_with_role(json!({}), json!(["old"]));
    let arn = format!("arn:aws:iam::{A}:policy/team/old");
    let del = ch(
        "aws_iam_role_policy_attachment.a",
        &["delete"],
        json!({"role": "r", "policy_arn": arn}),
        Value::Null,
    );
    let w = after(&plan(&[del], &[]), Some(base.clone())).unwrap();
    assert_eq!(
        w["accounts"][A]["roles"]["r"]["managed_policies"],
        json!([])
    );
    // Near miss: a no-op keeps it.
    let keep = ch(
        "aws_iam_role_policy_attachment.a",
        &["no-op"],
        json!({"role": "r", "policy_arn": arn}),
        json!({"role": "r", "policy_arn": arn}),
    );
    let w = after(&plan(&[keep], &[]), Some(base)).unwrap();
    assert_eq!(
        w["accounts"][A]["roles"]["r"]["managed_policies"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn aws_iam_policy_attachment_is_the_whole_set_of_its_policys_attachments() {
    let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let base = json!({"accounts": {A: {"users": {"a": {"managed_policies": [arn]}, "b": {"managed_policies": [arn]}}}}});
    let att = ch(
        "aws_iam_policy_attachment.p",
        &["create"],
        Value::Null,
        json!({"name": "p", "policy_arn": arn, "users": ["b"], "roles": [], "groups": []}),
    );
    let w = after(&plan(&[att], &[]), Some(base)).unwrap();
    assert_eq!(
        w["accounts"][A]["users"]["a"]["managed_policies"],
        json!([])
    );
    assert_eq!(
        w["accounts"][A]["users"]["b"]["managed_policies"],
        json!([arn])
    );
}

#[test]
fn group_membership_is_the_whole_set_and_user_group_membership_adds() {
    let base = json!({"accounts": {A: {"groups": {"g": {}, "h": {}}, "users": {"alice": {"groups": ["g"]}, "bob": {"groups": ["g"]}, "carol": {}}}}});
    let changes = [
        ch(
            "aws_iam_group_membership.m",
            &["create"],
            Value::Null,
            json!({"name": "m", "group": "g", "users": ["alice", "carol"]}),
        ),
        ch(
            "aws_iam_user_group_membership.c",
            &["create"],
            Value::Null,
            json!({"user": "carol", "groups": ["h"]}),
        ),
    ];
    let w = after(&plan(&changes, &[]), Some(base)).unwrap();
    let users = &w["accounts"][A]["users"];
    assert_eq!(users["alice"]["groups"], json!(["g"]));
    assert_eq!(users["bob"]["groups"], json!([]));
    let mut carol: Vec<String> = serde_json::from_value(users["carol"]["groups"].clone()).unwrap();
    carol.sort();
    assert_eq!(carol, vec!["g", "h"]);
}

#[test]
fn exclusive_resources_remove_what_they_do_not_list() {
    let base = base_with_role(
        json!({"keep": doc("s3:GetObject"), "drop": doc("s3:PutObject")}),
        json!(["old", "arn:aws:iam::aws:policy/ReadOnlyAccess"]),
    );
    let changes = [
        ch(
            "aws_iam_role_policies_exclusive.r",
            &["create"],
            Value::Null,
            json!({"role_name": "r", "policy_names": ["keep"]}),
        ),
        ch(
            "aws_iam_role_policy_attachments_exclusive.r",
            &["create"],
            Value::Null,
            json!({"role_name": "r", "policy_arns": [format!("arn:aws:iam::{A}:policy/old")]}),
        ),
    ];
    let w = after(&plan(&changes, &[]), Some(base)).unwrap();
    let r = &w["accounts"][A]["roles"]["r"];
    assert_eq!(inline_names(r), vec!["keep"]);
    assert_eq!(r["managed_policies"], json!(["old"]));
}

#[test]
fn a_bucket_policy_lands_on_its_bucket_and_the_computed_inline_policy_is_not_read() {
    let bucket = ch(
        "aws_s3_bucket.b",
        &["create"],
        Value::Null,
        json!({"bucket": "data-b", "tags": null}),
    );
    let bucket = with_unknown(
        bucket,
        json!({"policy": true, "region": true, "arn": true, "id": true}),
    );
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::data-b/*"}]}).to_string();
    let bp = ch(
        "aws_s3_bucket_policy.b",
        &["create"],
        Value::Null,
        json!({"bucket": "data-b", "policy": policy}),
    );
    let imported = run_with(
        &plan(
            &[bucket, bp.clone()],
            &[(
                "aws_s3_bucket.b",
                json!({"bucket": {"constant_value": "data-b"}}),
            )],
        ),
        None,
        Moment::After,
        true,
    )
    .unwrap();
    assert!(imported.unknowns.is_empty(), "{:?}", imported.unknowns);
    let b = &imported.world["accounts"][A]["buckets"]["data-b"];
    assert_eq!(b["policy"]["terraform"], "aws_s3_bucket_policy.b");
    // Near miss: a bucket policy on a bucket the world lacks.
    let e = after(&plan(&[bp], &[]), None).unwrap_err();
    assert!(
        e.contains("bucket \"data-b\" exists neither in the base world nor in the plan"),
        "{e}"
    );
}

#[test]
fn a_key_without_a_policy_gets_aws_default_key_policy_and_a_key_policy_replaces_it() {
    let key = with_unknown(
        ch(
            "aws_kms_key.k",
            &["create"],
            Value::Null,
            json!({"description": "k"}),
        ),
        json!({"arn": true, "id": true, "key_id": true, "policy": true}),
    );
    let w = after(
        &plan(std::slice::from_ref(&key), &[("aws_kms_key.k", json!({}))]),
        None,
    )
    .unwrap();
    let resources = w["accounts"][A]["resources"].as_object().unwrap();
    let (arn, k) = resources.iter().next().unwrap();
    assert!(
        arn.starts_with(&format!("arn:aws:kms:us-east-1:{A}:key/tfunknown-")),
        "{arn}"
    );
    let st = &k["policy"]["document"]["Statement"][0];
    assert_eq!(st["Principal"]["AWS"], format!("arn:aws:iam::{A}:root"));
    assert_eq!(st["Action"], "kms:*");
    // Near miss: aws_kms_key_policy sets it.
    let kp = with_unknown(
        ch(
            "aws_kms_key_policy.k",
            &["create"],
            Value::Null,
            json!({"policy": json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{A}:role/admin")}, "Action": "kms:Decrypt", "Resource": "*"}]}).to_string()}),
        ),
        json!({"key_id": true}),
    );
    let cfg = [
        ("aws_kms_key.k", json!({})),
        (
            "aws_kms_key_policy.k",
            json!({"key_id": {"references": ["aws_kms_key.k.id", "aws_kms_key.k"]}}),
        ),
    ];
    let w = after(&plan(&[key, kp], &cfg), None).unwrap();
    let k = w["accounts"][A]["resources"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    assert_eq!(k["policy"]["terraform"], "aws_kms_key_policy.k");
    assert_eq!(
        k["policy"]["document"]["Statement"][0]["Action"],
        "kms:Decrypt"
    );
}

#[test]
fn sse_kms_names_the_bucket_key_and_an_alias_is_refused() {
    let key_arn = format!("arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    let base = json!({"accounts": {A: {"buckets": {"data-b": {"region": "us-east-1"}}, "resources": {key_arn.clone(): {"policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{A}:root")}, "Action": "kms:*", "Resource": "*"}]}}}}}});
    let sse = |key: &str| {
        ch(
            "aws_s3_bucket_server_side_encryption_configuration.e",
            &["create"],
            Value::Null,
            json!({"bucket": "data-b", "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": key}]}]}),
        )
    };
    let w = after(&plan(&[sse(&key_arn)], &[]), Some(base.clone())).unwrap();
    assert_eq!(
        w["accounts"][A]["buckets"]["data-b"]["encryption"],
        json!({"kms_key": key_arn})
    );
    let e = after(&plan(&[sse("alias/data")], &[]), Some(base)).unwrap_err();
    assert!(
        e.contains("kms_master_key_id is the alias alias/data"),
        "{e}"
    );
}

fn org_base() -> Value {
    json!({"organization": {"id": "o-a1b2c3d4e5", "management_account": "999999999999", "ous": {"ou-a1b2-11111111": {"parent": "root"}}},
           "accounts": {A: {"ou": "ou-a1b2-11111111"}, "999999999999": {"ou": "root"}}})
}

fn org_plan(kind: &str, target: &str, attach_actions: &[&str], skip_destroy: bool) -> String {
    // RCPs name a principal; SCPs may not.
    let mut statement = json!({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"});
    if kind == "RESOURCE_CONTROL_POLICY" {
        statement["Principal"] = json!("*");
    }
    let content = json!({"Version": "2012-10-17", "Statement": [statement]}).to_string();
    let p = ch(
        "aws_organizations_policy.p",
        &["no-op"],
        json!({"id": "p-12345678", "name": "NoDelete", "type": kind, "content": content}),
        json!({"id": "p-12345678", "name": "NoDelete", "type": kind, "content": content}),
    );
    let att_values =
        json!({"policy_id": "p-12345678", "target_id": target, "skip_destroy": skip_destroy});
    let (before, after) = match attach_actions {
        ["delete"] => (att_values, Value::Null),
        ["create"] => (Value::Null, att_values),
        _ => (att_values.clone(), att_values),
    };
    plan(
        &[
            p,
            ch(
                "aws_organizations_policy_attachment.a",
                attach_actions,
                before,
                after,
            ),
        ],
        &[],
    )
}

#[test]
fn an_scp_attached_to_an_ou_keeps_full_aws_access_beside_it() {
    let w = after(
        &org_plan(
            "SERVICE_CONTROL_POLICY",
            "ou-a1b2-11111111",
            &["create"],
            false,
        ),
        Some(org_base()),
    )
    .unwrap();
    let scps = &w["organization"]["ous"]["ou-a1b2-11111111"]["scps"];
    assert_eq!(scps[0]["name"], "FullAWSAccess");
    assert_eq!(scps[1]["name"], "NoDelete");
    assert_eq!(scps[1]["policy"]["terraform"], "aws_organizations_policy.p");
    // An RCP on the root goes to the root's rcps.
    let w = after(
        &org_plan("RESOURCE_CONTROL_POLICY", "r-a1b2", &["create"], false),
        Some(org_base()),
    )
    .unwrap();
    assert_eq!(w["organization"]["root"]["rcps"][0]["name"], "NoDelete");
    // Near miss: a tag policy carries no IAM meaning and is skipped.
    let i = run_with(
        &org_plan("TAG_POLICY", "r-a1b2", &["create"], false),
        Some(org_base()),
        Moment::After,
        false,
    )
    .unwrap();
    assert!(i.world["organization"]["root"].get("rcps").is_none());
    assert_eq!(i.skipped, vec!["aws_organizations_policy_attachment.a"]);
}

#[test]
fn an_scp_detached_with_skip_destroy_stays_attached() {
    let mut base = org_base();
    base["organization"]["ous"]["ou-a1b2-11111111"]["scps"] = json!([{"name": "NoDelete", "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}}]);
    let w = after(
        &org_plan(
            "SERVICE_CONTROL_POLICY",
            "ou-a1b2-11111111",
            &["delete"],
            true,
        ),
        Some(base.clone()),
    )
    .unwrap();
    assert_eq!(
        w["organization"]["ous"]["ou-a1b2-11111111"]["scps"][0]["name"],
        "NoDelete"
    );
    // Near miss: without skip_destroy it is detached.
    let w = after(
        &org_plan(
            "SERVICE_CONTROL_POLICY",
            "ou-a1b2-11111111",
            &["delete"],
            false,
        ),
        Some(base),
    )
    .unwrap();
    assert_eq!(
        w["organization"]["ous"]["ou-a1b2-11111111"]["scps"],
        json!([])
    );
}

#[test]
fn an_scp_without_an_organization_is_an_error() {
    let e = after(
        &org_plan(
            "SERVICE_CONTROL_POLICY",
            "ou-a1b2-11111111",
            &["create"],
            false,
        ),
        None,
    )
    .unwrap_err();
    assert!(
        e.contains("the world has no organization: give --base"),
        "{e}"
    );
}

#[test]
fn a_policy_that_is_not_json_is_located_in_the_plan() {
    let p = ch(
        "aws_iam_policy.p",
        &["create"],
        Value::Null,
        json!({"name": "p", "path": "/", "policy": "{\"Version\": \"2012-10-17\", \"Statement\": ["}),
    );
    let e = after(&plan(&[p], &[]), None).unwrap_err();
    assert!(
        e.starts_with("plan.json:1:")
            && e.contains("embedded JSON string")
            && e.contains("invalid JSON"),
        "{e}"
    );
    // Near miss: the same text completed, with heredoc whitespace.
    let p = ch(
        "aws_iam_policy.p",
        &["create"],
        Value::Null,
        json!({"name": "p", "path": "/", "policy": format!("\t{}\r\n", doc("s3:GetObject"))}),
    );
    assert!(after(&plan(&[p], &[]), None).is_ok());
}

#[test]
fn what_is_not_a_plan_is_refused() {
    for (text, says) in [
        ("{\"accounts\": {}}", "not a Terraform plan"),
        (
            "{\"format_version\": \"2.0\", \"terraform_version\": \"9\"}",
            "unsupported plan format_version",
        ),
        (
            "{\"format_version\": \"1.2\", \"errored\": true}",
            "the plan is errored",
        ),
        (
            "{\"format_version\": \"1.0\", \"values\": {}}",
            "this is Terraform state, not a plan",
        ),
        ("[1,", "invalid JSON"),
    ] {
        let e = after(text, None).unwrap_err();
        assert!(
            e.starts_with("plan.json:1:") && e.contains(says),
            "{text}: {e}"
        );
    }
    // Near misses: majors 0 and 1 with no changes are empty worlds.
    for v in ["0.1", "1.2"] {
        let w = after(
            &format!("{{\"format_version\": \"{v}\", \"terraform_version\": \"1\"}}"),
            None,
        )
        .unwrap();
        assert_eq!(w["accounts"], json!({}));
    }
}

#[test]
fn an_action_the_format_does_not_define_is_an_error() {
    let c = ch(
        "aws_iam_user.u",
        &["explode"],
        Value::Null,
        json!({"name": "u"}),
    );
    let e = after(&plan(&[c], &[]), None).unwrap_err();
    assert!(
        e.contains("actions [\"explode\"] are none that Terraform's JSON Output Format defines"),
        "{e}"
    );
}

#[test]
fn forget_leaves_the_object_in_aws_and_delete_removes_it() {
    let user = json!({"name": "u", "path": "/"});
    let base = json!({"accounts": {A: {"users": {"u": {}}}}});
    let w = after(
        &plan(
            &[ch("aws_iam_user.u", &["forget"], user.clone(), Value::Null)],
            &[],
        ),
        Some(base.clone()),
    )
    .unwrap();
    assert!(w["accounts"][A]["users"].get("u").is_some());
    let w = after(
        &plan(&[ch("aws_iam_user.u", &["delete"], user, Value::Null)], &[]),
        Some(base),
    )
    .unwrap();
    assert!(w["accounts"][A]["users"].get("u").is_none());
}

#[test]
fn the_world_before_holds_what_existed_and_not_what_the_plan_creates() {
    let changes = [
        ch(
            "aws_iam_user.old",
            &["delete"],
            json!({"name": "old", "path": "/"}),
            Value::Null,
        ),
        ch(
            "aws_iam_user.new",
            &["create"],
            Value::Null,
            json!({"name": "new", "path": "/"}),
        ),
    ];
    let i = run_with(&plan(&changes, &[]), None, Moment::Before, false).unwrap();
    let users = i.world["accounts"][A]["users"].as_object().unwrap();
    assert_eq!(users.keys().collect::<Vec<_>>(), vec!["old"]);
}

#[test]
fn a_plan_at_odds_with_the_base_warns_and_wins() {
    let base = json!({"accounts": {A: {"users": {"u": {"path": "/old/"}}}}});
    let create = ch(
        "aws_iam_user.u",
        &["create"],
        Value::Null,
        json!({"name": "u", "path": "/new/"}),
    );
    let i = run_with(&plan(&[create], &[]), Some(base), Moment::After, false).unwrap();
    assert_eq!(i.world["accounts"][A]["users"]["u"]["path"], "/new/");
    assert!(i.warnings[0].message.contains("aws_iam_user.u creates user \"u\" of account 111111111111, which the base world already has"));
    let update = ch(
        "aws_iam_user.v",
        &["update"],
        json!({"name": "v", "path": "/"}),
        json!({"name": "v", "path": "/"}),
    );
    let i = run_with(
        &plan(&[update], &[]),
        Some(json!({"accounts": {}})),
        Moment::After,
        false,
    )
    .unwrap();
    assert!(
        i.warnings[0]
            .message
            .contains("updates user \"v\" of account 111111111111, which the base world lacks")
    );
}

#[test]
fn types_without_iam_meaning_are_skipped_and_unmodelled_policies_warned() {
    let changes = [
        ch(
            "aws_iam_access_key.k",
            &["create"],
            Value::Null,
            json!({"user": "u"}),
        ),
        ch(
            "aws_sqs_queue_policy.q",
            &["create"],
            Value::Null,
            json!({"policy": doc("sqs:SendMessage")}),
        ),
    ];
    let mut random = ch("random_id.r", &["create"], Value::Null, json!({}));
    random["provider_name"] = json!("registry.terraform.io/hashicorp/random");
    let mut all = changes.to_vec();
    all.push(random);
    let i = run_with(&plan(&all, &[]), None, Moment::After, false).unwrap();
    assert_eq!(i.skipped, vec!["aws_iam_access_key.k", "random_id.r"]);
    assert_eq!(i.warnings.len(), 1);
    assert!(
        i.warnings[0]
            .message
            .contains("iamsim does not model aws_sqs_queue_policy yet")
    );
}

#[test]
fn a_single_reference_resolves_and_anything_more_stays_unknown() {
    let policy = ch(
        "aws_iam_policy.p",
        &["create"],
        Value::Null,
        json!({"name": "p", "path": "/team/", "policy": doc("s3:GetObject")}),
    );
    let att = with_unknown(
        ch(
            "aws_iam_role_policy_attachment.a",
            &["create"],
            Value::Null,
            json!({"role": "r"}),
        ),
        json!({"policy_arn": true}),
    );
    let cfg = |refs: Value| {
        [(
            "aws_iam_role_policy_attachment.a",
            json!({"policy_arn": {"references": refs}}),
        )]
    };
    let text = plan(
        &[role_change("r", json!({})), policy.clone(), att.clone()],
        &cfg(json!(["aws_iam_policy.p.arn", "aws_iam_policy.p"])),
    );
    let i = run_with(&text, None, Moment::After, true).unwrap();
    assert_eq!(
        i.world["accounts"][A]["roles"]["r"]["managed_policies"],
        json!([format!("arn:aws:iam::{A}:policy/team/p")])
    );
    // Near miss: a variable beside the reference leaves it unknown.
    let text = plan(
        &[role_change("r", json!({})), policy, att],
        &cfg(json!([
            "aws_iam_policy.p.arn",
            "aws_iam_policy.p",
            "var.suffix"
        ])),
    );
    let i = run_with(&text, None, Moment::After, false).unwrap();
    assert_eq!(
        i.unknowns,
        vec!["aws_iam_role_policy_attachment.a policy_arn"]
    );
    assert_eq!(
        i.world["accounts"][A]["roles"]["r"]["managed_policies"],
        json!([{"terraform": "aws_iam_role_policy_attachment.a", "unknown": "policy_arn"}])
    );
    assert!(
        run_with(&text, None, Moment::After, true)
            .unwrap_err()
            .contains("(--strict)")
    );
}

#[test]
fn the_account_comes_from_the_provider_block_or_known_arns_else_the_flag_is_asked_for() {
    let user = ch(
        "aws_iam_user.u",
        &["create"],
        Value::Null,
        json!({"name": "u", "path": "/"}),
    );
    let mut text: Value = serde_json::from_str(&plan(
        std::slice::from_ref(&user),
        &[("aws_iam_user.u", json!({}))],
    ))
    .unwrap();
    text["configuration"]["provider_config"]["aws"]["expressions"] = json!({"assume_role": [{"role_arn": {"constant_value": "arn:aws:iam::222222222222:role/deploy"}}]});
    let mut sources = Sources::new();
    let id = sources.add("plan.json", text.to_string());
    let i = import(&mut sources, id, None, &Options::default(), Moment::After).unwrap();
    assert!(
        i.world["accounts"]["222222222222"]["users"]
            .get("u")
            .is_some()
    );
    // Known ARNs of existing resources.
    let known = ch(
        "aws_iam_user.v",
        &["no-op"],
        json!({"name": "v", "path": "/", "arn": "arn:aws:iam::333333333333:user/v"}),
        json!({"name": "v", "path": "/", "arn": "arn:aws:iam::333333333333:user/v"}),
    );
    let id = sources.add("plan2.json", plan(&[user.clone(), known], &[]));
    let i = import(&mut sources, id, None, &Options::default(), Moment::After).unwrap();
    assert!(
        i.world["accounts"]["333333333333"]["users"]
            .get("u")
            .is_some()
    );
    // Near miss: nothing says it.
    let id = sources.add("plan3.json", plan(&[user], &[]));
    let e = import(&mut sources, id, None, &Options::default(), Moment::After).unwrap_err();
    assert!(
        e[0].message
            .contains("give --terraform-account aws=ACCOUNT"),
        "{}",
        e[0].message
    );
}

#[test]
fn references_are_followed_through_module_variables_and_outputs() {
    // Root role `r`; module `m` attaches a policy to `var.role`, given
    // `aws_iam_role.r.id`; module `n` makes role `inner` and outputs its
    // name, to which a root attachment refers.
    let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let mut in_m = with_unknown(
        ch(
            "aws_iam_role_policy_attachment.a",
            &["create"],
            Value::Null,
            json!({"policy_arn": arn}),
        ),
        json!({"role": true}),
    );
    in_m["address"] = json!("module.m.aws_iam_role_policy_attachment.a");
    in_m["module_address"] = json!("module.m");
    let mut inner = with_unknown(role_change("inner", json!({})), json!({"name": true}));
    inner["address"] = json!("module.n.aws_iam_role.inner");
    inner["module_address"] = json!("module.n");
    inner["change"]["after"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let root_att = with_unknown(
        ch(
            "aws_iam_role_policy_attachment.b",
            &["create"],
            Value::Null,
            json!({"policy_arn": arn}),
        ),
        json!({"role": true}),
    );
    let mut text: Value = serde_json::from_str(&plan(
        &[role_change("r", json!({})), in_m, inner, root_att],
        &[(
            "aws_iam_role_policy_attachment.b",
            json!({"role": {"references": ["module.n.role_name", "module.n"]}}),
        )],
    ))
    .unwrap();
    let resource = |address: &str, expressions: Value| {
        let (kind, name) = address.split_once('.').unwrap();
        json!({"address": address, "mode": "managed", "type": kind, "name": name, "provider_config_key": "aws", "expressions": expressions})
    };
    text["configuration"]["root_module"]["module_calls"] = json!({
        "m": {"expressions": {"role": {"references": ["aws_iam_role.r.id", "aws_iam_role.r"]}},
              "module": {"resources": [resource("aws_iam_role_policy_attachment.a", json!({"role": {"references": ["var.role"]}}))]}},
        "n": {"expressions": {"name": {"references": ["var.prefix"]}},
              "module": {"resources": [resource("aws_iam_role.inner", json!({"name": {"references": ["var.name"]}}))],
                         "outputs": {"role_name": {"expression": {"references": ["aws_iam_role.inner.name", "aws_iam_role.inner"]}}}}}
    });
    let i = run_with(&text.to_string(), None, Moment::After, false).unwrap();
    let roles = &i.world["accounts"][A]["roles"];
    assert_eq!(roles["r"]["managed_policies"], json!([arn]));
    // The output leads to a role whose name is itself known only after
    // apply (a variable that is no reference): its placeholder, listed.
    let placeholder = roles
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.starts_with("tfunknown-"))
        .unwrap()
        .clone();
    assert_eq!(roles[&placeholder]["managed_policies"], json!([arn]));
    assert_eq!(
        i.unknowns,
        vec![
            "module.n.aws_iam_role.inner name",
            "aws_iam_role_policy_attachment.b role"
        ]
    );
}
