//! The JSON Schemas of `schema/` against the loader (issue 14, part 3):
//! every bundled world and scenario file (inline worlds included) and every
//! example of docs/formats.md validates; every closed object of the
//! schemas has exactly the keys its loader list accepts, each described;
//! and on one document that holds every object, a key the loader does not
//! know, or a value at the edge of what it accepts, is rejected or accepted
//! by both.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly on anything unexpected"
)]

use iamsim_core::diag::{Doc, JsonPath, SourceId, Sources};
use iamsim_core::policy::parse as policy;
use iamsim_core::scenario::{self, WorldRef};
use iamsim_core::world::load::{self as world, Loader};
use iamsim_core::world::terraform;
use jsonschema::{Retrieve, Uri, Validator};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema(name: &str) -> Value {
    read_json(&root().join("schema").join(name))
}

/// Where the schemas stand for `$ref` resolution: `scenario.schema.json`
/// refers to `world.schema.json` beside it, as an editor resolves it.
const BASE: &str = "file:///iamsim/schema/";

/// Serves `world.schema.json` from memory, so that validation stays
/// offline.
struct Schemas(Value);

impl Retrieve for Schemas {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str() == format!("{BASE}world.schema.json") {
            Ok(self.0.clone())
        } else {
            Err(format!("no schema {uri} offline").into())
        }
    }
}

/// A draft 2020-12 validator of `schema`, read as if it stood at
/// `schema/NAME`; building it checks the schema against the meta-schema.
fn validator(schema: &Value, name: &str) -> Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_base_uri(format!("{BASE}{name}"))
        .with_retriever(Schemas(self::schema("world.schema.json")))
        .build(schema)
        .unwrap_or_else(|e| panic!("schema/{name}: {e}"))
}

struct Validators {
    world: Validator,
    scenario: Validator,
}

fn validators() -> Validators {
    Validators {
        world: validator(&schema("world.schema.json"), "world.schema.json"),
        scenario: validator(&schema("scenario.schema.json"), "scenario.schema.json"),
    }
}

/// The schema's complaints about `doc`, one per line.
fn errors(v: &Validator, doc: &Value) -> String {
    v.iter_errors(doc)
        .map(|e| format!("  {} at {}", e, e.instance_path()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `*.json` under `dir`, except under the folders in `skip`.
fn json_files(dir: &Path, skip: &[&str], out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            if !skip.contains(&name.as_str()) {
                json_files(&p, skip, out);
            }
        } else if name.ends_with(".json") {
            out.push(p);
        }
    }
}

#[test]
fn every_bundled_world_and_scenario_file_validates() {
    let v = validators();
    let mut files = Vec::new();
    // `bad/` and `invalid/` hold the inputs iamsim must refuse.
    json_files(&root().join("testdata"), &["bad"], &mut files);
    json_files(
        &root().join("crates/iamsim-cli/tests"),
        &["invalid"],
        &mut files,
    );
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for f in &files {
        let doc = read_json(f);
        // What `iamsim run` and `validate` take each file for; AWS CLI
        // dumps and Terraform plans are other formats.
        let (kind, v) = if doc.get("scenarios").is_some() {
            ("scenario", &v.scenario)
        } else if doc.get("accounts").is_some() {
            ("world", &v.world)
        } else {
            continue;
        };
        *counts.entry(kind).or_default() += 1;
        let e = errors(v, &doc);
        if !e.is_empty() {
            failures.push(format!("{} ({kind}):\n{e}", f.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The corpus holds many of each: a walk that found none is broken.
    for kind in ["scenario", "world"] {
        assert!(counts.get(kind).copied().unwrap_or(0) >= 5, "{counts:?}");
    }
}

#[test]
fn the_bad_corpus_files_with_a_stray_key_are_refused_by_the_schemas() {
    // The loader refuses every file of testdata/bad (crates/iamsim-cli's
    // bad-corpus snapshot); those whose fault is a key it does not have
    // must fail the schemas too.
    let v = validators();
    let mut files = Vec::new();
    json_files(&root().join("testdata/bad"), &[], &mut files);
    let stray: Vec<_> = files
        .iter()
        .filter(|f| {
            let name = f.file_name().unwrap().to_string_lossy();
            name.contains("unknown-key") || name.contains("extra-key")
        })
        .collect();
    assert!(stray.len() >= 4, "{stray:?}");
    for f in stray {
        let doc = read_json(f);
        let schema = if doc.get("scenarios").is_some() {
            &v.scenario
        } else {
            &v.world
        };
        assert!(!schema.is_valid(&doc), "{} passes its schema", f.display());
    }
}

/// Every object of `schema` closed with `"additionalProperties": false`,
/// by JSON pointer, with its property names.
fn closed_objects(schema: &Value, pointer: &str, out: &mut BTreeMap<String, BTreeSet<String>>) {
    match schema {
        Value::Object(m) => {
            if m.get("additionalProperties") == Some(&Value::Bool(false)) {
                let keys = m
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default();
                out.insert(pointer.to_string(), keys);
            }
            for (k, v) in m {
                let k = k.replace('~', "~0").replace('/', "~1");
                closed_objects(v, &format!("{pointer}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                closed_objects(v, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Each closed object of each schema, with the loader's list of the keys
/// it accepts there.
fn loader_keys() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    let w = "world.schema.json";
    let s = "scenario.schema.json";
    vec![
        (w, "", world::WORLD_KEYS.to_vec()),
        (w, "/$defs/account", world::ACCOUNT_KEYS.to_vec()),
        (w, "/$defs/user", world::USER_KEYS.to_vec()),
        (w, "/$defs/group", world::GROUP_KEYS.to_vec()),
        (w, "/$defs/role", world::ROLE_KEYS.to_vec()),
        (w, "/$defs/bucket", world::BUCKET_KEYS.to_vec()),
        (w, "/$defs/encryption_rule", world::ENCRYPTION_KEYS.to_vec()),
        (w, "/$defs/resource", world::RESOURCE_KEYS.to_vec()),
        (w, "/$defs/organization", world::ORG_KEYS.to_vec()),
        (w, "/$defs/org_root", world::LEVEL_KEYS.to_vec()),
        (w, "/$defs/ou", world::OU_KEYS.to_vec()),
        (w, "/$defs/named_policy", world::NAMED_POLICY_KEYS.to_vec()),
        (
            w,
            "/$defs/terraform_policy",
            terraform::POLICY_KEYS.to_vec(),
        ),
        (
            w,
            "/$defs/unknown_attachment",
            terraform::ATTACHMENT_KEYS.to_vec(),
        ),
        (w, "/$defs/policy_file", vec![world::POLICY_FILE_KEY]),
        (w, "/$defs/policy_document", policy::POLICY_KEYS.to_vec()),
        (w, "/$defs/statement", policy::STATEMENT_KEYS.to_vec()),
        (
            w,
            "/$defs/principal/anyOf/1",
            policy::PRINCIPAL_KEYS.to_vec(),
        ),
        (s, "", scenario::FILE_KEYS.to_vec()),
        (s, "/$defs/scenario", scenario::SCENARIO_KEYS.to_vec()),
        (s, "/$defs/assume_role_step", scenario::ASSUME_KEYS.to_vec()),
        (s, "/$defs/action_step", scenario::ACTION_KEYS.to_vec()),
    ]
}

#[test]
fn every_closed_object_has_the_keys_the_loader_accepts_there() {
    let expected = loader_keys();
    for name in ["world.schema.json", "scenario.schema.json"] {
        let mut closed = BTreeMap::new();
        closed_objects(&schema(name), "", &mut closed);
        let listed: BTreeMap<String, BTreeSet<String>> = expected
            .iter()
            .filter(|(n, _, _)| *n == name)
            .map(|(_, p, keys)| (p.to_string(), keys.iter().map(|k| k.to_string()).collect()))
            .collect();
        // A closed object the table does not pair with a loader list (or
        // a pairing whose object is gone or open) fails here.
        assert_eq!(
            closed.keys().collect::<Vec<_>>(),
            listed.keys().collect::<Vec<_>>(),
            "{name}: closed objects"
        );
        for (pointer, keys) in &closed {
            assert_eq!(keys, &listed[pointer], "{name}#{pointer}: keys");
        }
    }
}

/// The schema a `$ref` of `name` points at (`#/$defs/x` or
/// `world.schema.json#/$defs/x`).
fn target(name: &str, reference: &str) -> Value {
    let (file, pointer) = reference.split_once('#').unwrap();
    let file = if file.is_empty() { name } else { file };
    schema(file)
        .pointer(pointer)
        .cloned()
        .unwrap_or_else(|| panic!("{name}: {reference}"))
}

#[test]
fn every_key_of_iamsims_own_objects_is_described_for_editors() {
    // Policy documents are AWS's: their keys are documented by AWS.
    let aws = [
        "/$defs/policy_document",
        "/$defs/statement",
        "/$defs/principal/anyOf/1",
    ];
    let mut bare = Vec::new();
    for (name, pointer, _) in loader_keys() {
        if aws.contains(&pointer) {
            continue;
        }
        let object = schema(name).pointer(pointer).cloned().unwrap();
        for (key, property) in object["properties"].as_object().unwrap() {
            let described = property.get("description").is_some()
                || property
                    .get("$ref")
                    .and_then(Value::as_str)
                    .is_some_and(|r| target(name, r).get("description").is_some());
            if !described {
                bare.push(format!("{name}#{pointer}/properties/{key}"));
            }
        }
    }
    assert!(bare.is_empty(), "keys without a description: {bare:?}");
}

/// Serves the files the documents below and the examples of
/// docs/formats.md name: any `read.json` from memory, other paths from
/// `testdata/import` (the dumps an `authorization_details` names).
struct Files;

impl Loader for Files {
    fn load(
        &mut self,
        sources: &mut Sources,
        _: SourceId,
        relative: &str,
    ) -> Result<SourceId, String> {
        let text = if relative.ends_with("read.json") {
            statement_doc("s3:GetObject").to_string()
        } else {
            let path = root().join("testdata/import").join(relative);
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?
        };
        Ok(sources.add(relative, text))
    }
}

fn statement_doc(action: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow", "Action": action, "Resource": "*"}]})
}

/// A world that holds every object of the format at least once.
fn full_world() -> Value {
    let allow_all = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
    json!({
        "$schema": "../schema/world.schema.json",
        "description": "every object of the format",
        "default_region": "eu-west-1",
        "accounts": {
            "111111111111": {
                "alias": "prod",
                "ou": "ou-prod",
                "policies": {"Read": statement_doc("s3:GetObject")},
                "users": {
                    "alice": {
                        "path": "/staff/",
                        "groups": ["devs", {"terraform": "aws_iam_user_group_membership.m", "unknown": "groups"}],
                        "managed_policies": ["Read", "arn:aws:iam::aws:policy/ReadOnlyAccess"],
                        "inline_policies": {"from-file": {"file": "read.json"}},
                        "permissions_boundary": "Read",
                        "tags": {"team": "data"}
                    },
                    "planned": {"unknown": ["aws_iam_user.planned name"]}
                },
                "groups": {"devs": {"path": "/", "managed_policies": [], "inline_policies": {"list": statement_doc("s3:ListBucket")}}},
                "roles": {
                    "reader": {
                        "trust_policy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}},
                        "inline_policies": {
                            "text": {"terraform": "aws_iam_role_policy.text", "document": statement_doc("s3:GetObject").to_string()},
                            "later": {"terraform": "aws_iam_role_policy.later", "unknown": "policy"}
                        },
                        "permissions_boundary": null,
                        "tags": {}
                    }
                },
                "buckets": {
                    "data-bucket": {
                        "policy": null,
                        "tags": {},
                        "encryption": {"kms_key": "arn:aws:kms:eu-west-1:111111111111:key/k1", "prefix": "x/"},
                        "region": "eu-west-1"
                    }
                },
                "resources": {
                    "arn:aws:kms:eu-west-1:111111111111:key/k1": {
                        "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"}]},
                        "tags": {},
                        "aws_managed": false
                    }
                },
                "scps": [{"name": "All", "policy": allow_all, "terraform": "aws_organizations_policy.all"}],
                "rcps": []
            }
        },
        "aws_managed_policies": {},
        "organization": {
            "id": "o-a1b2c3d4e5",
            "management_account": "999999999999",
            "root": {"scps": [allow_all], "rcps": []},
            "ous": {"ou-prod": {"parent": "root", "scps": [allow_all]}}
        }
    })
}

/// A scenario file that holds every object of the format at least once.
fn full_scenarios() -> Value {
    json!({
        "$schema": "../schema/scenario.schema.json",
        "world": "world.json",
        "context": {"aws:SourceIp": "203.0.113.7"},
        "region": "eu-west-1",
        "description": "every object of the format",
        "source": "issue 14",
        "rule": "D01",
        "allow_unknown_names": false,
        "scenarios": [{
            "name": "reads through the role",
            "description": "d",
            "source": "s",
            "rule": "D01",
            "principal": "arn:aws:sts::111111111111:assumed-role/reader/first",
            "context": {"aws:SourceIp": "203.0.113.7"},
            "region": "eu-west-1",
            "expect": "allow",
            "session_policy": null,
            "session_tags": {"project": "x"},
            "transitive_tag_keys": ["project"],
            "source_identity": "alice",
            "mfa": true,
            "steps": [
                {
                    "assume_role": "arn:aws:iam::111111111111:role/reader",
                    "session_name": "second",
                    "external_id": "ext-123",
                    "session_policy": statement_doc("s3:GetObject"),
                    "session_tags": {"k": "v"},
                    "transitive_tag_keys": [],
                    "source_identity": "alice",
                    "mfa": false,
                    "context": {},
                    "region": "eu-west-1"
                },
                {
                    "action": "s3:GetObject",
                    "resource": "arn:aws:s3:::data-bucket/k",
                    "resource_account": "111111111111",
                    "context": {"aws:SourceIp": "203.0.113.7"},
                    "region": "eu-west-1"
                }
            ]
        }]
    })
}

/// The loader's verdict on `doc` as a world or a scenario file: `Err`
/// with its errors.
fn load(doc: &Value, is_world: bool) -> Result<(), String> {
    let mut sources = Sources::new();
    let id = sources.add("doc.json", serde_json::to_string_pretty(doc).unwrap());
    let result = if is_world {
        world::load_world(&mut sources, id, &mut Files).map(drop)
    } else {
        // An inline world is read as `iamsim run` reads it.
        scenario::parse_file(&mut sources, id, &mut Files).and_then(|f| match f.world {
            WorldRef::Inline(node) => {
                let at = JsonPath::ROOT.key("world");
                world::load_world_node(&mut sources, Doc { source: id }, &node, &at, &mut Files)
                    .map(drop)
            }
            _ => Ok(()),
        })
    };
    result.map_err(|es| {
        es.iter()
            .map(|e| e.render(&sources))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// The schema's and the loader's verdicts on `doc` (true: accepted).
fn verdicts(v: &Validators, doc: &Value, is_world: bool) -> (bool, bool, String) {
    let schema = if is_world { &v.world } else { &v.scenario };
    let e = errors(schema, doc);
    let loaded = load(doc, is_world);
    let why = format!("schema:\n{e}\nloader: {loaded:?}");
    (e.is_empty(), loaded.is_ok(), why)
}

#[test]
fn the_full_documents_are_accepted_by_both() {
    let v = validators();
    for (doc, is_world) in [(full_world(), true), (full_scenarios(), false)] {
        let (schema, loader, why) = verdicts(&v, &doc, is_world);
        assert!(schema && loader, "{why}");
    }
}

/// Where each closed object stands in the full documents.
const PLACES: &[(&str, &str, &str)] = &[
    ("world.schema.json", "", ""),
    (
        "world.schema.json",
        "/$defs/account",
        "/accounts/111111111111",
    ),
    (
        "world.schema.json",
        "/$defs/user",
        "/accounts/111111111111/users/alice",
    ),
    (
        "world.schema.json",
        "/$defs/group",
        "/accounts/111111111111/groups/devs",
    ),
    (
        "world.schema.json",
        "/$defs/role",
        "/accounts/111111111111/roles/reader",
    ),
    (
        "world.schema.json",
        "/$defs/bucket",
        "/accounts/111111111111/buckets/data-bucket",
    ),
    (
        "world.schema.json",
        "/$defs/encryption_rule",
        "/accounts/111111111111/buckets/data-bucket/encryption",
    ),
    (
        "world.schema.json",
        "/$defs/resource",
        "/accounts/111111111111/resources/arn:aws:kms:eu-west-1:111111111111:key~1k1",
    ),
    ("world.schema.json", "/$defs/organization", "/organization"),
    ("world.schema.json", "/$defs/org_root", "/organization/root"),
    (
        "world.schema.json",
        "/$defs/ou",
        "/organization/ous/ou-prod",
    ),
    (
        "world.schema.json",
        "/$defs/named_policy",
        "/accounts/111111111111/scps/0",
    ),
    (
        "world.schema.json",
        "/$defs/terraform_policy",
        "/accounts/111111111111/roles/reader/inline_policies/text",
    ),
    (
        "world.schema.json",
        "/$defs/unknown_attachment",
        "/accounts/111111111111/users/alice/groups/1",
    ),
    (
        "world.schema.json",
        "/$defs/policy_file",
        "/accounts/111111111111/users/alice/inline_policies/from-file",
    ),
    (
        "world.schema.json",
        "/$defs/policy_document",
        "/accounts/111111111111/policies/Read",
    ),
    (
        "world.schema.json",
        "/$defs/statement",
        "/accounts/111111111111/policies/Read/Statement/0",
    ),
    (
        "world.schema.json",
        "/$defs/principal/anyOf/1",
        "/accounts/111111111111/roles/reader/trust_policy/Statement/Principal",
    ),
    ("scenario.schema.json", "", ""),
    ("scenario.schema.json", "/$defs/scenario", "/scenarios/0"),
    (
        "scenario.schema.json",
        "/$defs/assume_role_step",
        "/scenarios/0/steps/0",
    ),
    (
        "scenario.schema.json",
        "/$defs/action_step",
        "/scenarios/0/steps/1",
    ),
];

#[test]
fn a_key_the_loader_does_not_know_is_rejected_by_both_in_every_object() {
    // Every closed object is tried.
    let places: BTreeSet<_> = PLACES.iter().map(|(n, p, _)| (*n, *p)).collect();
    let closed: BTreeSet<_> = loader_keys().iter().map(|(n, p, _)| (*n, *p)).collect();
    assert_eq!(places, closed);
    let v = validators();
    for (name, def, at) in PLACES {
        let is_world = *name == "world.schema.json";
        let mut doc = if is_world {
            full_world()
        } else {
            full_scenarios()
        };
        let object = doc
            .pointer_mut(at)
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("{at}"));
        object.insert("unknwon".into(), json!("x"));
        let (schema, loader, why) = verdicts(&v, &doc, is_world);
        assert!(!schema && !loader, "{name}#{def} at {at}: {why}");
    }
}

/// A near miss: a change to a full document, and whether both must accept it.
type Case = (&'static str, bool, fn(&mut Value));

/// Sets the member at `at` (its object must exist), adding it if needed.
fn set(doc: &mut Value, at: &str, value: Value) {
    let (parent, key) = at.rsplit_once('/').unwrap();
    let key = key.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent).unwrap_or_else(|| panic!("{at}")) {
        Value::Object(m) => {
            m.insert(key, value);
        }
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
        _ => panic!("{at}"),
    }
}

fn rename(doc: &mut Value, at: &str, from: &str, to: &str) {
    let m = doc.pointer_mut(at).and_then(Value::as_object_mut).unwrap();
    let v = m.remove(from).unwrap();
    m.insert(to.into(), v);
}

const ALICE: &str = "/accounts/111111111111/users/alice";
const TEXT: &str = "/accounts/111111111111/roles/reader/inline_policies/text";
const STATEMENT: &str = "/accounts/111111111111/policies/Read/Statement/0";

const WORLD_CASES: &[Case] = &[
    ("$schema is a string", true, |d| {
        set(d, "/$schema", json!("https://example.com/w.json"))
    }),
    ("$schema is not a string", false, |d| {
        set(d, "/$schema", json!(1))
    }),
    ("region us-gov-west-1", true, |d| {
        set(d, "/default_region", json!("us-gov-west-1"))
    }),
    ("region without a number", false, |d| {
        set(d, "/default_region", json!("eu-west"))
    }),
    ("account id of 11 digits", false, |d| {
        rename(d, "/accounts", "111111111111", "11111111111")
    }),
    ("user name with a space", false, |d| {
        rename(d, "/accounts/111111111111/users", "alice", "al ice")
    }),
    ("user name of 64 characters", true, |d| {
        rename(d, "/accounts/111111111111/users", "alice", &"a".repeat(64))
    }),
    ("user name of 65 characters", false, |d| {
        rename(d, "/accounts/111111111111/users", "alice", &"a".repeat(65))
    }),
    ("path /a/b/", true, |d| {
        set(d, &format!("{ALICE}/path"), json!("/a/b/"))
    }),
    ("path without its last slash", false, |d| {
        set(d, &format!("{ALICE}/path"), json!("/a"))
    }),
    ("path with //", false, |d| {
        set(d, &format!("{ALICE}/path"), json!("/a//b/"))
    }),
    ("groups as one name", true, |d| {
        set(d, &format!("{ALICE}/groups"), json!("devs"))
    }),
    ("boundary as a document", true, |d| {
        set(
            d,
            &format!("{ALICE}/permissions_boundary"),
            statement_doc("s3:*"),
        )
    }),
    ("bucket name in capitals", false, |d| {
        rename(
            d,
            "/accounts/111111111111/buckets",
            "data-bucket",
            "Data-bucket",
        )
    }),
    ("bucket name ending in -", false, |d| {
        rename(
            d,
            "/accounts/111111111111/buckets",
            "data-bucket",
            "data-bucket-",
        )
    }),
    ("encryption as a list", true, |d| {
        let rule = d
            .pointer(&format!(
                "{}/encryption",
                "/accounts/111111111111/buckets/data-bucket"
            ))
            .unwrap()
            .clone();
        set(
            d,
            "/accounts/111111111111/buckets/data-bucket/encryption",
            json!([rule]),
        );
    }),
    ("encryption rule without kms_key", false, |d| {
        set(
            d,
            "/accounts/111111111111/buckets/data-bucket/encryption",
            json!({"prefix": "x/"}),
        )
    }),
    ("an OU named root", false, |d| {
        rename(d, "/organization/ous", "ou-prod", "root")
    }),
    ("an OU without parent", false, |d| {
        set(d, "/organization/ous/ou-prod", json!({"scps": []}))
    }),
    ("organization without id", false, |d| {
        set(
            d,
            "/organization",
            json!({"management_account": "999999999999"}),
        )
    }),
    ("role without trust_policy", false, |d| {
        d.pointer_mut("/accounts/111111111111/roles/reader")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("trust_policy");
    }),
    ("address with module and index", true, |d| {
        set(
            d,
            &format!("{TEXT}/terraform"),
            json!("module.app[0].module.inner[\"a b\"].aws_iam_role_policy.p[\"x\"]"),
        )
    }),
    ("address of a data source", true, |d| {
        set(
            d,
            &format!("{TEXT}/terraform"),
            json!("data.aws_iam_policy_document.d"),
        )
    }),
    ("address without a name", false, |d| {
        set(
            d,
            &format!("{TEXT}/terraform"),
            json!("aws_iam_role_policy"),
        )
    }),
    ("address with an unquoted key", false, |d| {
        set(
            d,
            &format!("{TEXT}/terraform"),
            json!("aws_iam_role_policy.p[x]"),
        )
    }),
    ("address with an attribute", false, |d| {
        set(
            d,
            &format!("{TEXT}/terraform"),
            json!("aws_iam_role.reader.name"),
        )
    }),
    ("both document and unknown", false, |d| {
        d.pointer_mut(TEXT)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert("unknown".into(), json!("policy"));
    }),
    ("terraform alone", false, |d| {
        set(d, TEXT, json!({"terraform": "aws_iam_role_policy.text"}))
    }),
    ("attribute with a space", false, |d| {
        set(
            d,
            &format!("{ALICE}/groups/1/unknown"),
            json!("group names"),
        )
    }),
    ("unknown entry with an index", true, |d| {
        set(
            d,
            "/accounts/111111111111/users/planned/unknown",
            json!(["aws_iam_user.u[\"k\"] name"]),
        )
    }),
    ("unknown entry with a space in its index", false, |d| {
        set(
            d,
            "/accounts/111111111111/users/planned/unknown",
            json!(["aws_iam_user.u[\"a b\"] name"]),
        )
    }),
    ("unknown entry without attribute", false, |d| {
        set(
            d,
            "/accounts/111111111111/users/planned/unknown",
            json!(["aws_iam_user.u"]),
        )
    }),
    ("unknown as an empty list", false, |d| {
        set(d, "/accounts/111111111111/users/planned/unknown", json!([]))
    }),
    ("policy as URL-encoded text", true, |d| {
        set(
            d,
            "/accounts/111111111111/policies/Read",
            json!(
                "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%7D"
            ),
        )
    }),
    ("Version 2008-10-17", true, |d| {
        set(
            d,
            "/accounts/111111111111/policies/Read/Version",
            json!("2008-10-17"),
        )
    }),
    ("Version 2012-10-18", false, |d| {
        set(
            d,
            "/accounts/111111111111/policies/Read/Version",
            json!("2012-10-18"),
        )
    }),
    ("Statement as an empty list", false, |d| {
        set(
            d,
            "/accounts/111111111111/policies/Read/Statement",
            json!([]),
        )
    }),
    ("Effect in lower case", false, |d| {
        set(d, &format!("{STATEMENT}/Effect"), json!("allow"))
    }),
    ("both Action and NotAction", false, |d| {
        set(d, &format!("{STATEMENT}/NotAction"), json!("s3:PutObject"))
    }),
    ("neither Action nor NotAction", false, |d| {
        d.pointer_mut(STATEMENT)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("Action");
    }),
    ("Action as a list", true, |d| {
        set(
            d,
            &format!("{STATEMENT}/Action"),
            json!(["s3:GetObject", "s3:ListBucket"]),
        )
    }),
    ("a condition value list", true, |d| {
        set(
            d,
            &format!("{STATEMENT}/Condition"),
            json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}),
        )
    }),
    ("a condition key without prefix", false, |d| {
        set(
            d,
            &format!("{STATEMENT}/Condition"),
            json!({"StringEquals": {"username": "a"}}),
        )
    }),
    ("a condition value object", false, |d| {
        set(
            d,
            &format!("{STATEMENT}/Condition"),
            json!({"StringEquals": {"aws:username": {"a": 1}}}),
        )
    }),
    ("Principal \"*\"", true, |d| {
        set(
            d,
            "/accounts/111111111111/roles/reader/trust_policy/Statement/Principal",
            json!("*"),
        )
    }),
    ("Principal as a list", false, |d| {
        set(
            d,
            "/accounts/111111111111/roles/reader/trust_policy/Statement/Principal",
            json!(["*"]),
        )
    }),
];

const ASSUME: &str = "/scenarios/0/steps/0";
const ACTION: &str = "/scenarios/0/steps/1";

const SCENARIO_CASES: &[Case] = &[
    ("$schema is not a string", false, |d| {
        set(d, "/$schema", json!(null))
    }),
    ("an inline world", true, |d| set(d, "/world", full_world())),
    ("an inline world with a bad key", false, |d| {
        let mut w = full_world();
        w.as_object_mut()
            .unwrap()
            .insert("acounts".into(), json!({}));
        set(d, "/world", w);
    }),
    ("world as a number", false, |d| set(d, "/world", json!(1))),
    ("scenarios as an empty list", false, |d| {
        set(d, "/scenarios", json!([]))
    }),
    ("steps as an empty list", false, |d| {
        set(d, "/scenarios/0/steps", json!([]))
    }),
    ("a scenario without principal", false, |d| {
        d.pointer_mut("/scenarios/0")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("principal");
    }),
    ("expect deny", true, |d| {
        set(d, "/scenarios/0/expect", json!("deny"))
    }),
    ("expect indeterminate", false, |d| {
        set(d, "/scenarios/0/expect", json!("indeterminate"))
    }),
    ("region in capitals", false, |d| {
        set(d, "/region", json!("EU-west-1"))
    }),
    ("a context key without prefix", false, |d| {
        set(d, "/context", json!({"SourceIp": "203.0.113.7"}))
    }),
    ("a context value object", false, |d| {
        set(d, "/context", json!({"aws:SourceIp": {"ip": 1}}))
    }),
    ("an action with a wildcard", false, |d| {
        set(d, &format!("{ACTION}/action"), json!("s3:Get*"))
    }),
    ("an action without service", false, |d| {
        set(d, &format!("{ACTION}/action"), json!("GetObject"))
    }),
    ("a step without resource", false, |d| {
        d.pointer_mut(ACTION)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("resource");
    }),
    ("a step that assumes and acts", false, |d| {
        set(d, &format!("{ASSUME}/action"), json!("s3:GetObject"))
    }),
    ("a step that does neither", false, |d| {
        set(d, ACTION, json!({"context": {}}))
    }),
    ("session name of one letter", true, |d| {
        set(d, &format!("{ASSUME}/session_name"), json!("a"))
    }),
    ("session name of 65 letters", false, |d| {
        set(d, &format!("{ASSUME}/session_name"), json!("a".repeat(65)))
    }),
    ("session name with a space", false, |d| {
        set(d, &format!("{ASSUME}/session_name"), json!("a b"))
    }),
    ("external id of one letter", false, |d| {
        set(d, &format!("{ASSUME}/external_id"), json!("x"))
    }),
    ("external id with : and /", true, |d| {
        set(d, &format!("{ASSUME}/external_id"), json!("arn:aws:x/y"))
    }),
    ("source identity aws:x", false, |d| {
        set(d, &format!("{ASSUME}/source_identity"), json!("aws:x"))
    }),
    ("51 session tags", false, |d| {
        let tags: serde_json::Map<String, Value> =
            (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
        set(d, &format!("{ASSUME}/session_tags"), Value::Object(tags));
    }),
    ("50 session tags", true, |d| {
        let tags: serde_json::Map<String, Value> =
            (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
        set(d, &format!("{ASSUME}/session_tags"), Value::Object(tags));
    }),
    ("a session tag value of 257 characters", false, |d| {
        set(
            d,
            &format!("{ASSUME}/session_tags/k"),
            json!("v".repeat(257)),
        )
    }),
    ("a session policy with its Terraform address", false, |d| {
        set(
            d,
            &format!("{ASSUME}/session_policy"),
            json!({"terraform": "aws_iam_policy.p", "document": statement_doc("s3:*")}),
        );
    }),
    ("a session policy from a file", true, |d| {
        set(
            d,
            &format!("{ASSUME}/session_policy"),
            json!({"file": "read.json"}),
        )
    }),
    ("mfa as a string", false, |d| {
        set(d, "/scenarios/0/mfa", json!("true"))
    }),
];

#[test]
fn near_misses_are_decided_alike_by_the_schema_and_the_loader() {
    let v = validators();
    let mut wrong = Vec::new();
    for (cases, is_world) in [(WORLD_CASES, true), (SCENARIO_CASES, false)] {
        for (what, accepted, change) in cases {
            let mut doc = if is_world {
                full_world()
            } else {
                full_scenarios()
            };
            change(&mut doc);
            let (schema, loader, why) = verdicts(&v, &doc, is_world);
            if schema != *accepted || loader != *accepted {
                wrong.push(format!(
                    "{what}: expected accepted={accepted}, schema {schema}, loader {loader}\n{why}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// The JSON examples of docs/formats.md, with the line each begins on: a
/// block fenced ```` ```json ```` is a whole world or scenario file, one
/// fenced ```` ```json account ```` an account of a world.
fn doc_examples() -> Vec<(usize, Value)> {
    let path = root().join("docs/formats.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = Vec::new();
    let mut block: Option<(usize, &str, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match (&mut block, line.strip_prefix("```")) {
            (None, Some(info)) if info.split_whitespace().next() == Some("json") => {
                let tag = info.trim_start_matches("json").trim();
                block = Some((i + 1, tag, String::new()));
            }
            (Some((start, tag, body)), Some("")) => {
                let value: Value = serde_json::from_str(body)
                    .unwrap_or_else(|e| panic!("docs/formats.md:{start}: {e}"));
                let value = match *tag {
                    "" => value,
                    "account" => json!({"accounts": {"111111111111": value}}),
                    other => panic!("docs/formats.md:{start}: unknown example kind {other:?}"),
                };
                out.push((*start, value));
                block = None;
            }
            (Some((_, _, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

#[test]
fn every_example_of_the_format_reference_is_accepted_by_both() {
    let v = validators();
    let examples = doc_examples();
    // The page shows a dozen; a parser that found none would pass vacuously.
    assert!(examples.len() >= 10, "{} examples", examples.len());
    for (line, doc) in examples {
        let is_world = doc.get("scenarios").is_none();
        assert!(
            is_world == doc.get("accounts").is_some(),
            "docs/formats.md:{line}: neither a world nor a scenario file"
        );
        let (schema, loader, why) = verdicts(&v, &doc, is_world);
        assert!(schema && loader, "docs/formats.md:{line}: {why}");
    }
}
