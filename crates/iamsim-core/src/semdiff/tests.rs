//! The semantic diff on the who-can example world (testdata/access) and
//! small changes to it, each with its near miss.

use super::*;
use crate::diag::{Doc, JsonPath};
use crate::world::{NoFiles, load_world_node};
use serde_json::{Value, json};

fn base() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/access/world.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn load(sources: &mut Sources, w: &Value) -> World {
    let text = w.to_string();
    let node = crate::json::parse(&text).unwrap();
    let id = sources.add("world.json", text);
    load_world_node(
        sources,
        Doc { source: id },
        &node,
        &JsonPath::ROOT,
        &mut NoFiles,
    )
    .unwrap()
}

fn diff_with(before: &Value, after: &Value, max_chain: usize) -> Vec<Finding> {
    let mut sources = Sources::new();
    let (b, a) = (load(&mut sources, before), load(&mut sources, after));
    let clock = Clock::new(jiff::Timestamp::now());
    let context = Context::new();
    let opts = Options {
        max_chain,
        context: &context,
        region: None,
        clock: &clock,
        sources: Some(&sources),
    };
    let found = semantic_diff(&b, &a, &opts).unwrap();
    // Every flip's witness replays as its change says.
    for f in found.iter().filter(|f| f.change != Change::Indeterminate) {
        let allowed = |w: &World| replay(w, &f.witness, &clock).unwrap().outcome == Outcome::Allow;
        let expect = match f.witness_world {
            Side::After => (false, true),
            Side::Before => (true, false),
        };
        assert_eq!((allowed(&b), allowed(&a)), expect, "{f:?}");
    }
    found
}

fn diff(before: &Value, after: &Value) -> Vec<Finding> {
    diff_with(before, after, 4)
}

/// (change, principal, first action, resource) of each finding.
fn keys(found: &[Finding]) -> Vec<(Change, String, String, String)> {
    let mut k: Vec<_> = found
        .iter()
        .map(|f| {
            let first = f.actions.first().cloned().unwrap_or_default();
            (f.change, f.principal.clone(), first, f.resource.clone())
        })
        .collect();
    k.sort();
    k
}

/// [`keys`] of the findings of the reverse diff, newly allowed and newly
/// denied swapped.
fn swapped_keys(found: &[Finding]) -> Vec<(Change, String, String, String)> {
    let mut k: Vec<_> = keys(found)
        .into_iter()
        .map(|(c, p, a, r)| {
            let c = match c {
                Change::NewlyAllowed => Change::NewlyDenied,
                Change::NewlyDenied => Change::NewlyAllowed,
                other => other,
            };
            (c, p, a, r)
        })
        .collect();
    k.sort();
    k
}

fn has(found: &[Finding], change: Change, principal: &str, action: &str) -> bool {
    found.iter().any(|f| {
        f.change == change
            && f.principal.ends_with(principal)
            && f.actions.iter().any(|a| a == action)
    })
}

fn role<'v>(w: &'v mut Value, account: &str, name: &str) -> &'v mut Value {
    &mut w["accounts"][account]["roles"][name]
}

#[test]
fn a_world_against_itself_differs_in_nothing() {
    let w = base();
    assert!(diff(&w, &w).is_empty());
}

#[test]
fn get_star_newly_allows_the_other_reads_and_not_getobject() {
    let before = base();
    let mut after = base();
    role(&mut after, "111111111111", "Reader")["inline_policies"]["read"]["Statement"][0]["Action"] =
        json!("s3:Get*");
    let found = diff(&before, &after);
    assert!(has(
        &found,
        Change::NewlyAllowed,
        "role/Reader",
        "s3:GetObjectTagging"
    ));
    assert!(has(
        &found,
        Change::NewlyAllowed,
        "user/alice",
        "s3:GetObjectVersion"
    ));
    // Near miss: s3:GetObject was allowed before and still is.
    assert!(
        !found
            .iter()
            .any(|f| f.actions.iter().any(|a| a == "s3:GetObject"))
    );
    // The cause is the changed statement, located in its file.
    let f = found
        .iter()
        .find(|f| f.principal.ends_with("role/Reader"))
        .unwrap();
    let after_cause = f.cause.iter().find(|c| c.side == Side::After).unwrap();
    assert_eq!(after_cause.statement, "\"ReadProdData\"");
    assert!(
        after_cause
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("world.json:"))
    );
    assert!(found.iter().all(|f| f.change == Change::NewlyAllowed));
}

#[test]
fn swapping_the_worlds_swaps_allowed_and_denied() {
    let before = base();
    let mut after = base();
    let trust = &mut role(&mut after, "111111111111", "BreakGlass")["trust_policy"]["Statement"][0];
    trust.as_object_mut().unwrap().remove("Condition");
    let forward = diff(&before, &after);
    let backward = diff(&after, &before);
    assert!(has(
        &forward,
        Change::NewlyAllowed,
        "user/bob",
        "sts:AssumeRole"
    ));
    let swapped = swapped_keys(&backward);
    let forward_flips: Vec<_> = keys(&forward)
        .into_iter()
        .filter(|k| k.0 != Change::NewlyReachable)
        .collect();
    let swapped: Vec<_> = swapped
        .into_iter()
        .filter(|k| k.0 != Change::NewlyReachable)
        .collect();
    assert_eq!(forward_flips, swapped);
}

#[test]
fn dropping_mfa_newly_allows_without_it_and_needs_nothing() {
    let before = base();
    let mut after = base();
    let trust = &mut role(&mut after, "111111111111", "BreakGlass")["trust_policy"]["Statement"][0];
    trust.as_object_mut().unwrap().remove("Condition");
    let found = diff(&before, &after);
    let f = found
        .iter()
        .find(|f| f.principal.ends_with("user/bob") && f.actions == ["s3:GetObject"])
        .unwrap();
    assert_eq!(f.change, Change::NewlyAllowed);
    assert!(f.needs.is_empty(), "{:?}", f.needs);
    assert_eq!(f.via, ["arn:aws:iam::111111111111:role/BreakGlass"]);
    // Near miss: erin, whom the SCP keeps out, stays out.
    assert!(!found.iter().any(|f| f.principal.ends_with("user/erin")));
}

#[test]
fn a_public_bucket_policy_lets_the_outsider_in_and_an_account_grant_does_not() {
    let before = base();
    let grant = |principal: Value| {
        let mut after = base();
        after["accounts"]["111111111111"]["buckets"]["prod-data"]["policy"] = json!({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "Share", "Effect": "Allow", "Principal": principal,
                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod-data/public/*"}]
        });
        diff(&before, &after)
    };
    let public = grant(json!("*"));
    let f = public
        .iter()
        .find(|f| f.principal.ends_with(":user/outsider"))
        .unwrap();
    assert_eq!(f.change, Change::NewlyAllowed);
    assert_eq!(f.resource, "arn:aws:s3:::prod-data/public/*");
    // Near miss: naming one account lets its root in, not the outsider,
    // and not objects outside public/.
    let shared = grant(json!({"AWS": "555555555555"}));
    assert!(has(
        &shared,
        Change::NewlyAllowed,
        "555555555555:root",
        "s3:GetObject"
    ));
    assert!(
        !shared
            .iter()
            .any(|f| f.principal.ends_with(":user/outsider"))
    );
    assert!(
        shared
            .iter()
            .all(|f| f.resource == "arn:aws:s3:::prod-data/public/*")
    );
}

#[test]
fn narrowing_a_source_ip_range_is_newly_denied_and_an_unchanged_one_is_nothing() {
    // aws:SourceIp, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
    let with_ip = |cidr: &str| {
        let mut w = base();
        role(&mut w, "111111111111", "Reader")["inline_policies"]["read"]["Statement"][0]["Condition"] =
            json!({"IpAddress": {"aws:SourceIp": cidr}});
        w
    };
    let reader = |found: &[Finding], change: Change| {
        found
            .iter()
            .find(|f| f.principal.ends_with("role/Reader") && f.change == change)
            .map(|f| f.needs.clone())
    };
    // 10.1.0.0, the address past 10.0.0.0/16, is in 10.0.0.0/8 only.
    let narrowed = diff(&with_ip("10.0.0.0/8"), &with_ip("10.0.0.0/16"));
    assert_eq!(
        reader(&narrowed, Change::NewlyDenied),
        Some(vec!["aws:SourceIp=10.1.0.0".to_string()])
    );
    assert_eq!(reader(&narrowed, Change::NewlyAllowed), None);
    let widened = diff(&with_ip("10.0.0.0/16"), &with_ip("10.0.0.0/8"));
    assert_eq!(
        reader(&widened, Change::NewlyAllowed),
        Some(vec!["aws:SourceIp=10.1.0.0".to_string()])
    );
    assert!(!widened.iter().any(|f| f.change == Change::Indeterminate));
    assert!(diff(&with_ip("10.0.0.0/8"), &with_ip("10.0.0.0/8")).is_empty());
}

#[test]
fn max_chain_bounds_the_chains_searched() {
    let before = base();
    let mut after = base();
    role(&mut after, "111111111111", "Reader")["inline_policies"]["read"]["Statement"][0]["Action"] =
        json!("s3:Get*");
    // alice reaches Reader through four roles: found at 4, not at 3.
    assert!(has(
        &diff_with(&before, &after, 4),
        Change::NewlyAllowed,
        "user/alice",
        "s3:GetObjectTagging"
    ));
    let three = diff_with(&before, &after, 3);
    assert!(!three.iter().any(|f| f.principal.ends_with("user/alice")));
    assert!(has(
        &three,
        Change::NewlyAllowed,
        "role/Jump",
        "s3:GetObjectTagging"
    ));
}

#[test]
fn a_deny_on_a_source_ip_newly_denies_that_context_class_only() {
    let before = base();
    let deny = |cidr: &str| {
        let mut after = base();
        after["accounts"]["111111111111"]["buckets"]["prod-data"]["policy"] = json!({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "BlockRange", "Effect": "Deny", "Principal": "*",
                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod-data/*",
                "Condition": {"IpAddress": {"aws:SourceIp": cidr}}}]
        });
        after
    };
    let after = deny("203.0.113.0/24");
    let found = diff(&before, &after);
    let f = found
        .iter()
        .find(|f| f.principal.ends_with("role/Reader"))
        .unwrap();
    assert_eq!(f.change, Change::NewlyDenied);
    assert_eq!(f.needs.len(), 1);
    assert!(
        f.needs[0].starts_with("aws:SourceIp=203.0.113."),
        "{:?}",
        f.needs
    );
    assert!(
        f.cause
            .iter()
            .any(|c| c.side == Side::After && c.statement == "\"BlockRange\"")
    );
    // Near miss: the same Deny in both worlds differs in nothing.
    assert!(diff(&after, &after).is_empty());
    // And the diff between two ranges finds the class between them.
    let moved = diff(&deny("203.0.113.0/24"), &deny("198.51.100.0/24"));
    assert!(moved.iter().any(|f| {
        f.change == Change::NewlyAllowed
            && f.needs
                .iter()
                .any(|n| n.starts_with("aws:SourceIp=203.0.113."))
    }));
    assert!(moved.iter().any(|f| {
        f.change == Change::NewlyDenied
            && f.needs
                .iter()
                .any(|n| n.starts_with("aws:SourceIp=198.51.100."))
    }));
}

#[test]
fn too_many_context_classes_are_indeterminate_and_few_are_decided() {
    // aws:SourceIp and aws:UserAgent, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
    // The read statement needs one range and one agent; other statements
    // of the role test other ranges and agents, each a condition of its
    // own, so each splits the keys' values into more classes.
    let with = |nets: usize, agents: usize, cidr: &str| {
        let mut w = base();
        let reader = role(&mut w, "111111111111", "Reader");
        let read = &mut reader["inline_policies"]["read"]["Statement"];
        read[0]["Condition"] = json!({"IpAddress": {"aws:SourceIp": cidr}, "StringEquals": {"aws:UserAgent": "agent-0"}});
        let list = |condition: Value| json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::prod-data", "Condition": condition});
        let statements = read.as_array_mut().unwrap();
        for i in 1..nets {
            statements.push(list(
                json!({"IpAddress": {"aws:SourceIp": format!("192.0.{i}.0/24")}}),
            ));
        }
        for i in 1..agents {
            statements.push(list(
                json!({"StringEquals": {"aws:UserAgent": format!("agent-{i}")}}),
            ));
        }
        w
    };
    let reader = |found: &[Finding]| {
        found
            .iter()
            .find(|f| f.principal.ends_with("role/Reader"))
            .map(|f| (f.change, f.note.clone()))
    };
    // Nine classes of source IPs (absent included) and nine of user
    // agents: 81 classes.
    let many = diff(&with(7, 7, "10.0.0.0/16"), &with(7, 7, "10.0.0.0/8"));
    let (change, note) = reader(&many).unwrap();
    assert_eq!(change, Change::Indeterminate);
    assert!(note.is_some_and(|n| n.contains("more than 64 context classes")));
    // Near miss: one range and one agent make few classes (4 × 3), decided.
    let few = diff(&with(1, 1, "10.0.0.0/16"), &with(1, 1, "10.0.0.0/8"));
    assert_eq!(reader(&few).map(|r| r.0), Some(Change::NewlyAllowed));
    // Near miss: many values in one condition are one class each way:
    // eleven addresses and ten agents to try, but 3 × 2 classes.
    let listed = |cidr: &str| {
        let mut w = base();
        let mut ips: Vec<String> = (1..5).map(|i| format!("192.0.{i}.0/24")).collect();
        ips.push(cidr.into());
        let agents: Vec<String> = (0..6).map(|i| format!("agent-{i}")).collect();
        role(&mut w, "111111111111", "Reader")["inline_policies"]["read"]["Statement"][0]["Condition"] =
            json!({"IpAddress": {"aws:SourceIp": ips}, "StringEquals": {"aws:UserAgent": agents}});
        w
    };
    let one = diff(&listed("10.0.0.0/16"), &listed("10.0.0.0/8"));
    assert_eq!(reader(&one).map(|r| r.0), Some(Change::NewlyAllowed));
}

#[test]
fn external_ids_are_tried_from_the_trust_policies_a_chain_meets() {
    // sts:ExternalId, https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
    // Seventy partner roles, each with its own external id; the Vendor
    // role loses its read policy, so erin (who needs abc-123) loses the read.
    let with = |partners_trust: &str| {
        let mut w = base();
        for i in 0..70 {
            w["accounts"]["111111111111"]["roles"][format!("Partner{i}")] = json!({
                "trust_policy": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": partners_trust}, "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": format!("partner-{i}")}}}]}
            });
        }
        // erin may assume any role.
        w["accounts"]["555555555555"]["users"]["erin"]["inline_policies"]["vendor"]["Statement"]
            [0]["Resource"] = json!("*");
        w
    };
    let erin = |found: &[Finding]| {
        found
            .iter()
            .find(|f| {
                f.principal.ends_with("user/erin") && f.actions.iter().any(|a| a == "s3:GetObject")
            })
            .map(|f| f.change)
    };
    let before = with("222222222222");
    let mut after = before.clone();
    role(&mut after, "111111111111", "Vendor")["inline_policies"] = json!({});
    assert_eq!(erin(&diff(&before, &after)), Some(Change::NewlyDenied));
    // Near miss: the partners trust erin's account, so her chains meet
    // their seventy external ids, more classes than are tried.
    let before = with("555555555555");
    let mut after = before.clone();
    role(&mut after, "111111111111", "Vendor")["inline_policies"] = json!({});
    assert_eq!(erin(&diff(&before, &after)), Some(Change::Indeterminate));
}

#[test]
fn the_space_of_a_change_keeps_every_touched_class_and_leaves_out_the_rest() {
    let mut before = base();
    before["accounts"]["111111111111"]["buckets"]["other-logs"] = json!({});
    let mut after = before.clone();
    role(&mut after, "111111111111", "Reader")["inline_policies"]["read"]["Statement"][0]["Resource"] =
        json!("arn:aws:s3:::prod-data/reports/*");
    let mut sources = Sources::new();
    let (b, a) = (load(&mut sources, &before), load(&mut sources, &after));
    let set = changes::changes(&b, &a);
    let touched = |space: &[space::ResourceClass]| {
        let mut t: Vec<(String, Option<String>, String)> = scope::touched(&set, space)
            .into_iter()
            .filter_map(|(ri, ai)| {
                let rc = space.get(ri)?;
                Some((
                    rc.arn.clone(),
                    rc.account.clone(),
                    rc.actions.get(ai)?.rep().to_string(),
                ))
            })
            .collect();
        t.sort();
        t
    };
    let whole = space::space(&b, &a, None);
    let kept = space::space(&b, &a, Some(&set));
    assert_eq!(touched(&kept), touched(&whole));
    // The changed pattern's own class is among them.
    assert!(
        touched(&kept)
            .iter()
            .any(|(arn, _, _)| arn == "arn:aws:s3:::prod-data/reports/x")
    );
    // Near miss: the bucket no change reaches is in the whole space only.
    let names_other = |s: &[space::ResourceClass]| {
        s.iter()
            .any(|r| r.arn.starts_with("arn:aws:s3:::other-logs"))
    };
    assert!(names_other(&whole));
    assert!(!names_other(&kept));
}

/// On the denying side, a Deny whose condition is false decided nothing:
/// a bucket's TLS Deny is no cause of a grant's absence; an Allow kept out
/// by its condition is.
#[test]
fn a_deny_that_did_not_apply_is_no_cause_and_an_unmet_allow_is() {
    let tls_deny = json!({"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*",
        "Action": "s3:*", "Resource": "arn:aws:s3:::prod-data/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
    let share = |condition: Option<Value>| {
        let mut s = json!({"Sid": "Share", "Effect": "Allow", "Principal": {"AWS": "555555555555"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod-data/public/*"});
        if let Some(c) = condition {
            s["Condition"] = c;
        }
        s
    };
    let with = |statements: Vec<Value>| {
        let mut w = base();
        w["accounts"]["111111111111"]["buckets"]["prod-data"]["policy"] =
            json!({"Version": "2012-10-17", "Statement": statements});
        w
    };
    let before_causes = |before: &Value, after: &Value| {
        let found = diff(before, after);
        let f = found
            .iter()
            .find(|f| {
                f.change == Change::NewlyAllowed && f.principal.ends_with("555555555555:root")
            })
            .unwrap()
            .clone();
        f.cause
            .into_iter()
            .filter(|c| c.side == Side::Before)
            .map(|c| c.statement)
            .collect::<Vec<_>>()
    };
    let after = with(vec![tls_deny.clone(), share(None)]);
    let causes = before_causes(&with(vec![tls_deny.clone()]), &after);
    assert_eq!(causes, ["no Allow"]);
    // Near miss: the grant was there, kept out by a tag the root lacks.
    let tagged = share(Some(
        json!({"StringEquals": {"aws:PrincipalTag/team": "data"}}),
    ));
    let causes = before_causes(&with(vec![tls_deny, tagged]), &after);
    assert_eq!(
        causes,
        ["\"Share\" (condition StringEquals aws:PrincipalTag/team not met)"]
    );
}

/// The way the change from `before` to `after` moves decisions, if one.
fn monotone_of(before: &Value, after: &Value) -> Option<changes::Monotone> {
    let mut sources = Sources::new();
    let (b, a) = (load(&mut sources, before), load(&mut sources, after));
    changes::changes(&b, &a).monotone()
}

#[test]
fn only_denies_added_narrow_and_an_allow_or_a_removed_deny_beside_them_does_not() {
    let statement = |effect: &str, action: &str| json!({"Effect": effect, "Action": action, "Resource": "arn:aws:s3:::prod-data/*"});
    let with = |reader: &[Value], deploy: &[Value]| {
        let mut w = base();
        for (name, extra) in [("Reader", reader), ("Deploy", deploy)] {
            let policies = &mut role(&mut w, "111111111111", name)["inline_policies"];
            // A statement in both worlds, since a policy needs one.
            let kept = json!({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"});
            let all: Vec<Value> = std::iter::once(kept).chain(extra.iter().cloned()).collect();
            policies["extra"] = json!({"Version": "2012-10-17", "Statement": all});
        }
        w
    };
    let deny = statement("Deny", "s3:GetObject");
    let none = with(&[], &[]);
    let denied = with(std::slice::from_ref(&deny), &[]);
    assert_eq!(
        monotone_of(&none, &denied),
        Some(changes::Monotone::Narrows)
    );
    assert_eq!(monotone_of(&denied, &none), Some(changes::Monotone::Widens));
    // Near misses: an Allow added beside the Deny may allow what was
    // denied; a Deny removed elsewhere as one is added moves both ways.
    let allowed = with(&[deny.clone(), statement("Allow", "s3:PutObject")], &[]);
    assert_eq!(monotone_of(&none, &allowed), None);
    let moved = with(&[], std::slice::from_ref(&deny));
    assert_eq!(monotone_of(&denied, &moved), None);
    // Each world is asked only where the other allows, and still finds
    // the flip: one way newly denied, the other newly allowed, the same.
    let narrowed = diff(&none, &denied);
    assert!(has(
        &narrowed,
        Change::NewlyDenied,
        "role/Reader",
        "s3:GetObject"
    ));
    assert_eq!(keys(&narrowed), swapped_keys(&diff(&denied, &none)));
}

#[test]
fn a_grant_to_an_account_outside_the_world_is_found_for_its_principals() {
    // 777777777777 is declared by neither world: its principals are
    // outsiders, which the stand-in of unnamed outsiders never matches.
    let before = base();
    let grant = |principal: Value, condition: Value| {
        let mut after = base();
        after["accounts"]["111111111111"]["buckets"]["prod-data"]["policy"] = json!({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "Partner", "Effect": "Allow", "Principal": principal,
                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod-data/shared/*",
                "Condition": condition}]
        });
        diff(&before, &after)
    };
    let unnamed = |found: &[Finding]| found.iter().any(|f| f.principal.contains("999999999999"));
    let account = grant(json!({"AWS": "777777777777"}), json!({}));
    assert!(has(
        &account,
        Change::NewlyAllowed,
        "777777777777:user/outsider",
        "s3:GetObject"
    ));
    assert!(!unnamed(&account));
    // A user ARN: that user, not another principal of its account.
    let user = grant(
        json!({"AWS": "arn:aws:iam::777777777777:user/partner"}),
        json!({}),
    );
    assert!(has(
        &user,
        Change::NewlyAllowed,
        "777777777777:user/partner",
        "s3:GetObject"
    ));
    assert!(!has(
        &user,
        Change::NewlyAllowed,
        "777777777777:user/outsider",
        "s3:GetObject"
    ));
    // Everyone, but only from the account a condition names.
    let condition = grant(
        json!("*"),
        json!({"StringEquals": {"aws:PrincipalAccount": "777777777777"}}),
    );
    assert!(has(
        &condition,
        Change::NewlyAllowed,
        "777777777777:user/outsider",
        "s3:GetObject"
    ));
    assert!(!unnamed(&condition));
    // Near miss: the same condition on another outside account lets
    // neither in.
    let other = grant(
        json!({"AWS": "777777777777"}),
        json!({"StringEquals": {"aws:PrincipalAccount": "888888888888"}}),
    );
    assert!(other.is_empty(), "{other:?}");
}

#[test]
fn a_role_outside_the_world_named_by_a_trust_policy_reads_through_it() {
    let before = base();
    let mut after = base();
    role(&mut after, "111111111111", "Reader")["trust_policy"]["Statement"][0]["Principal"] =
        json!({"AWS": "arn:aws:iam::777777777777:role/ci"});
    let found = diff(&before, &after);
    let f = found
        .iter()
        .find(|f| {
            f.principal.ends_with("777777777777:role/ci")
                && f.change == Change::NewlyAllowed
                && f.actions.iter().any(|a| a == "s3:GetObject")
        })
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(f.via, ["arn:aws:iam::111111111111:role/Reader"]);
    // Near miss: another role of that account is not let in.
    assert!(!found.iter().any(|f| f.principal.contains("777777777777:user/")
        && f.change == Change::NewlyAllowed));
}

#[test]
fn an_account_only_one_world_declares_is_empty_in_the_other_not_an_outsiders() {
    // The after world declares 777777777777, with a role that may read
    // prod-data's objects and a bucket policy letting that account in.
    let before = base();
    let mut after = base();
    after["accounts"]["777777777777"] = json!({"roles": {"Etl": {
        "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "inline_policies": {"read": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod-data/*"}]}}
    }}});
    after["accounts"]["111111111111"]["buckets"]["prod-data"]["policy"] = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "777777777777"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod-data/*"}]
    });
    let found = diff(&before, &after);
    assert!(
        found.iter().all(|f| f.change != Change::Indeterminate),
        "{found:?}"
    );
    assert!(has(
        &found,
        Change::NewlyAllowed,
        "777777777777:role/Etl",
        "s3:GetObject"
    ));
    // Near miss: the account's root, which may do anything on its own
    // account's resources in both readings, gains nothing there.
    assert!(
        !found
            .iter()
            .any(|f| f.principal.ends_with("777777777777:root")
                && f.resource_account.as_deref() == Some("777777777777"))
    );
}

#[test]
fn a_deny_reaches_a_user_allowed_by_the_bucket_policy_alone_and_not_one_it_does_not_name() {
    // eve has no identity-based policy: the bucket policy of her own
    // account alone allows her; frank (near miss) is named by nothing, and
    // neither may be skipped or decided otherwise by the pre-check of
    // `reach::Side::decide`.
    let mut before = base();
    let prod = &mut before["accounts"]["111111111111"];
    prod["users"] = json!({"eve": {}, "frank": {}});
    prod["buckets"]["prod-data"]["policy"] = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:user/eve"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::prod-data/*"
        }]
    });
    let mut after = before.clone();
    let denies = after["accounts"]["111111111111"]["scps"][1]["Statement"]
        .as_array_mut()
        .unwrap();
    denies.push(json!({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}));
    assert_eq!(
        monotone_of(&before, &after),
        Some(changes::Monotone::Narrows)
    );
    let found = diff(&before, &after);
    assert!(
        has(&found, Change::NewlyDenied, "user/eve", "s3:GetObject"),
        "{found:?}"
    );
    assert!(
        has(&found, Change::NewlyDenied, "role/Reader", "s3:GetObject"),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|f| f.principal.ends_with("user/frank")),
        "{found:?}"
    );
}

#[test]
fn the_after_side_reads_the_before_sides_trust_index_only_when_it_would_be_the_same() {
    let shared = |after: &Value| {
        let mut sources = Sources::new();
        let (b, a) = (load(&mut sources, &base()), load(&mut sources, after));
        let (clock, context) = (Clock::new(jiff::Timestamp::now()), Context::new());
        let opts = Options {
            max_chain: 4,
            context: &context,
            region: None,
            clock: &clock,
            sources: None,
        };
        let stand_ins = outsiders::outsiders(&b, &a, &outsider_in(&b, &a), None);
        let before = reach::Side::new(&b, &opts, &stand_ins);
        let mut after = reach::Side::new(&a, &opts, &stand_ins);
        after.share_trust(&before, changes::changes(&b, &a).changes_trust())
    };
    // Reader's inline policy gains a statement: no trust policy changed.
    let mut inline = base();
    role(&mut inline, "111111111111", "Reader")["inline_policies"]["read"]["Statement"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}));
    assert!(shared(&inline));
    // Near misses: Reader's trust policy names another caller; alice, the
    // only caller of 444444444444 that may call sts, loses that policy, so
    // a trust policy naming the account no longer lets any caller of it in.
    let mut trust = base();
    role(&mut trust, "111111111111", "Reader")["trust_policy"]["Statement"][0]["Principal"]["AWS"] =
        json!("arn:aws:iam::222222222222:role/Tools");
    assert!(!shared(&trust));
    let mut no_sts = base();
    let alice = &mut no_sts["accounts"]["444444444444"]["users"]["alice"];
    alice["inline_policies"]["jump"]["Statement"][0]["Action"] = json!("s3:GetObject");
    assert!(!shared(&no_sts));
}
