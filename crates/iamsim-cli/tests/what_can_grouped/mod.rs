//! what-can's grouped output keeps every fact (issue 15): expanding each
//! group of `--format json` (every identity of the group, every action of
//! every grant, on every resource of the grant, with the grant's needs)
//! gives exactly the (identity, action, resource, needs) that deciding
//! every request one by one gives: every identity reached through
//! `sts:AssumeRole`, every catalog action of every type of every resource
//! of the world, and the actions that take no resource on `*`, each asked
//! of the evaluator without the shortcuts what-can takes (no pruning, no
//! classes of resources).

use super::{iamsim, stderr, stdout};
use iamsim_core::access::graph::{Graph, NodeId};
use iamsim_core::access::open::{Answer, Asker, Need};
use iamsim_core::catalog::Catalog;
use iamsim_core::context::Context;
use iamsim_core::diag::Sources;
use iamsim_core::request::{Clock, resolve_target};
use iamsim_core::world::{NoFiles, World, load_world};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// (identity, action, resource, needs in words).
type Fact = (String, String, String, Vec<String>);

/// The facts of the grouped JSON lines, and each identity's chain length.
fn expand(lines: &[Value]) -> (BTreeSet<Fact>, BTreeMap<String, usize>) {
    let mut facts = BTreeSet::new();
    let mut chains = BTreeMap::new();
    for line in lines {
        let identities = line["identities"].as_array().expect("identities");
        let grants = line["grants"].as_array().expect("grants");
        for id in identities {
            let arn = id["as"].as_str().expect("as").to_string();
            chains.insert(arn.clone(), id["chain"].as_array().expect("chain").len());
            for g in grants {
                assert_eq!(g["depends_on"], serde_json::json!([]), "{g}");
                let needs: Vec<String> = g["needs"]
                    .as_array()
                    .expect("needs")
                    .iter()
                    .map(|n| n.as_str().expect("a need").to_string())
                    .collect();
                for (service, names) in g["actions"].as_object().expect("actions") {
                    for name in names.as_array().expect("names") {
                        let action = format!("{service}:{}", name.as_str().expect("a name"));
                        for r in g["resources"].as_array().expect("resources") {
                            let r = r.as_str().expect("a resource").to_string();
                            let fact = (arn.clone(), action.clone(), r, needs.clone());
                            assert!(facts.insert(fact.clone()), "{fact:?} twice");
                        }
                    }
                }
            }
        }
    }
    (facts, chains)
}

/// Every resource of the world, as what-can asks them.
fn resources(world: &World) -> Vec<String> {
    let mut out = Vec::new();
    for b in world.buckets.values() {
        out.push(b.arn.clone());
        out.push(format!("{}/*", b.arn));
        for e in b.encryption.iter().filter(|e| !e.prefix.is_empty()) {
            out.push(format!("{}/{}*", b.arn, e.prefix));
        }
    }
    out.extend(world.users.keys().cloned());
    out.extend(world.roles.keys().cloned());
    out.extend(world.resources.keys().cloned());
    out
}

fn texts(needs: Option<Vec<Vec<Need>>>) -> Option<Vec<String>> {
    needs.map(|n| n.iter().flatten().map(Need::text).collect())
}

/// The facts found by deciding every request, and each identity's chain
/// length (breadth first over every role).
fn oracle(path: &str, principal: &str) -> (BTreeSet<Fact>, BTreeMap<String, usize>) {
    let text = std::fs::read_to_string(super::root().join(path)).expect("the world");
    let mut sources = Sources::new();
    let id = sources.add(path, &text);
    let world = load_world(&mut sources, id, &mut NoFiles).expect("a world");
    let graph = Graph::new(&world);
    let clock = Clock::new(jiff::Timestamp::now());
    let fixed = Context::new();
    let asker = Asker::new(&world, &clock, &fixed, None);
    let start = graph.node(principal).expect("the principal");
    let mut reached: Vec<(NodeId, usize)> = vec![(start, 0)];
    let mut queue = VecDeque::from([(start, 0)]);
    while let Some((from, depth)) = queue.pop_front() {
        for (role_id, node) in graph.nodes.iter().enumerate() {
            let Some(role) = node.role() else { continue };
            if reached.iter().any(|(r, _)| *r == role_id) {
                continue;
            }
            let caller = graph.nodes[from].caller();
            if let Answer::Allowed(_) = asker.ask_assume(caller, role).expect("an edge") {
                reached.push((role_id, depth + 1));
                queue.push_back((role_id, depth + 1));
            }
        }
    }
    let catalog = Catalog::get();
    let mut facts = BTreeSet::new();
    let mut chains = BTreeMap::new();
    for (id, depth) in reached {
        let node = &graph.nodes[id];
        let arn = node.arn().to_string();
        chains.insert(arn.clone(), depth);
        let caller = node.caller();
        for r in resources(&world) {
            for t in catalog.types_of(&r) {
                let target = resolve_target(&world, &t.service, &r, None, "").expect("a target");
                for name in &t.actions {
                    let action = format!("{}:{name}", t.service);
                    let asked = asker.ask_action(caller, &action, &target).expect("asked");
                    if let Some(needs) = texts(asked) {
                        facts.insert((arn.clone(), action, r.clone(), needs));
                    }
                }
            }
        }
        for action in catalog.actions_without_resource() {
            let service = action.split(':').next().unwrap_or_default();
            let target =
                resolve_target(&world, service, "*", None, graph.account(id)).expect("a target");
            let asked = asker.ask_action(caller, action, &target).expect("asked");
            if let Some(needs) = texts(asked) {
                facts.insert((arn.clone(), action.clone(), "*".to_string(), needs));
            }
        }
    }
    (facts, chains)
}

#[test]
fn grouped_what_can_expands_to_the_decisions_of_every_request() {
    for (world, principal) in [
        (
            "testdata/access/classes.world.json",
            "arn:aws:iam::111111111111:user/alice",
        ),
        (
            "testdata/access/world.json",
            "arn:aws:iam::444444444444:user/alice",
        ),
        (
            "testdata/access/world.json",
            "arn:aws:iam::222222222222:user/bob",
        ),
        (
            "testdata/rules/sse-kms.world.json",
            "arn:aws:iam::222222222222:user/bob",
        ),
    ] {
        let o = iamsim(&["what-can", principal, "--world", world, "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let lines: Vec<Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        let (got, got_chains) = expand(&lines);
        let (want, want_chains) = oracle(world, principal);
        assert_eq!(got_chains, want_chains, "{world} {principal}");
        let missing: Vec<_> = want.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(&want).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{world} {principal}: missing {missing:?}, extra {extra:?}"
        );
        assert!(!got.is_empty(), "{world} {principal}");
    }
}

/// The classes world groups what no statement distinguishes: the two
/// readers of team x share every grant, the reader of team y (whose
/// trust needs MFA) does not; the buckets of team x share one grant, the
/// other account's among them only when its policy grants this account,
/// and the bucket whose policy denies all but the admin is not among them.
#[test]
fn grouped_what_can_merges_identities_and_resources_alike() {
    let o = iamsim(&[
        "what-can",
        "arn:aws:iam::111111111111:user/alice",
        "--world",
        "testdata/access/classes.world.json",
        "--format",
        "json",
    ]);
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let readers = lines
        .iter()
        .find(|l| l["identities"][0]["as"] == "arn:aws:iam::111111111111:role/reader-a")
        .expect("the readers' group");
    let names: Vec<&str> = readers["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .map(|i| i["as"].as_str().expect("as"))
        .collect();
    assert_eq!(
        names,
        [
            "arn:aws:iam::111111111111:role/reader-a",
            "arn:aws:iam::111111111111:role/reader-b"
        ]
    );
    let list = readers["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .find(|g| g["actions"]["s3"] == serde_json::json!(["ListBucket"]))
        .expect("ListBucket");
    assert_eq!(
        list["resources"],
        serde_json::json!([
            "arn:aws:s3:::enc-1",
            "arn:aws:s3:::home-1",
            "arn:aws:s3:::home-2",
            "arn:aws:s3:::shared-1"
        ])
    );
}
