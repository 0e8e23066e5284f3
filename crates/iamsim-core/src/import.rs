//! Importing real accounts: AWS CLI outputs in, a world out.
//!
//! Reads, as AWS returns them, `aws iam get-account-authorization-details`
//! ([`authz`]), `aws s3api get-bucket-policy`, and the AWS Organizations
//! outputs that give the OU tree with its SCPs and RCPs ([`org`]). Every
//! policy document is checked while reading, so errors point into the dump
//! that holds it. The world is plain JSON with sorted keys, so that two
//! imports of the same accounts diff cleanly.

pub mod authz;
pub mod org;

use crate::diag::{Diagnostic, Doc, JsonPath, SourceId, Sources};
use crate::json::{Node, Value};
use crate::managed;
use crate::policy::{PolicyKind, parse};
use crate::world::{NoFiles, parse_source, policy_node};
use serde_json::{Map, Value as Out, json};

pub use authz::{AccountDump, Dumps, is_authorization_details};

/// A bucket to declare: its name, the account that owns it, and the
/// `get-bucket-policy` output holding its policy, if it has one.
#[derive(Clone, Debug)]
pub struct BucketSpec {
    /// The bucket name.
    pub name: String,
    /// The owning account.
    pub account: String,
    /// The registered `get-bucket-policy` output.
    pub policy: Option<SourceId>,
}

/// Reads dumps, collecting every located error.
pub struct Reader<'s> {
    /// Where the dumps and the documents embedded in them are registered.
    pub sources: &'s mut Sources,
    /// Errors so far.
    pub errors: Vec<Diagnostic>,
}

impl<'s> Reader<'s> {
    /// A reader over `sources`.
    pub fn new(sources: &'s mut Sources) -> Reader<'s> {
        Reader {
            sources,
            errors: Vec::new(),
        }
    }

    fn ok<T>(&mut self, r: Result<T, Diagnostic>) -> Option<T> {
        r.map_err(|e| self.errors.push(e)).ok()
    }

    /// A policy document (an object, a JSON string or a URL-encoded
    /// string), checked as `kind`, as plain JSON.
    pub fn document(
        &mut self,
        doc: Doc,
        node: &Node,
        path: &JsonPath<'_>,
        kind: PolicyKind,
    ) -> Option<Out> {
        if !matches!(node.value, Value::Object(_) | Value::String(_)) {
            self.errors.push(doc.err(
                node,
                path,
                format!(
                    "a policy document must be an object or a string, found {}",
                    node.kind_name()
                ),
            ));
            return None;
        }
        let resolved = policy_node(self.sources, &mut NoFiles, doc, node, path);
        match self.ok(resolved)? {
            Some((d, n)) => {
                self.ok(parse::compile(&d, &n, &JsonPath::ROOT, kind))?;
                Some(n.to_value())
            }
            None => {
                self.ok(parse::compile(&doc, node, path, kind))?;
                Some(node.to_value())
            }
        }
    }

    /// `aws s3api get-bucket-policy` output: `{"Policy": "<json string>"}`.
    fn bucket_policy(&mut self, id: SourceId) -> Option<Out> {
        let doc = Doc { source: id };
        let node = self.ok(parse_source(self.sources, id))?;
        let root = JsonPath::ROOT;
        self.ok(doc.object(&node, &root, "get-bucket-policy output", &["Policy"]))?;
        let Some(p) = node.get("Policy") else {
            self.errors.push(doc.err(
                &node,
                &root,
                "get-bucket-policy output has a \"Policy\" string",
            ));
            return None;
        };
        self.document(doc, p, &root.key("Policy"), PolicyKind::Bucket)
    }
}

/// True for the AWS CLI outputs `import` reads: directory runs of scenario
/// files skip them, as they skip worlds.
pub fn is_dump(node: &Node) -> bool {
    let has = |k: &str| node.get(k).is_some();
    is_authorization_details(node)
        || [
            "Roots",
            "Organization",
            "OrganizationalUnits",
            "Accounts",
            "Targets",
            "Policies",
        ]
        .iter()
        .any(|k| has(k))
        || node
            .get("Policy")
            .is_some_and(|p| p.as_str().is_some() || p.get("PolicySummary").is_some())
}

/// Turns dumps (registered sources) and bucket declarations into a world.
pub fn import(
    sources: &mut Sources,
    dumps: &[SourceId],
    buckets: &[BucketSpec],
) -> Result<Out, Vec<Diagnostic>> {
    let mut r = Reader::new(sources);
    let mut iam = Dumps::default();
    let mut orgs = org::OrgDumps::default();
    for &id in dumps {
        let Some(node) = r.ok(parse_source(r.sources, id)) else {
            continue;
        };
        let doc = Doc { source: id };
        if is_authorization_details(&node) {
            r.authorization_details(doc, &node, &mut iam);
        } else if !r.organizations(doc, &node, &mut orgs) {
            let msg = if node.get("Policy").is_some_and(|p| p.as_str().is_some()) {
                "this is get-bucket-policy output: give it with --bucket NAME=ACCOUNT:FILE, so iamsim knows the bucket and its owner"
            } else {
                "not an output iamsim imports (get-account-authorization-details, get-bucket-policy, or an AWS Organizations list/describe output)"
            };
            r.errors.push(doc.err(&node, &JsonPath::ROOT, msg));
        }
    }
    let mut accounts = Map::new();
    for (id, dump) in &iam.accounts {
        r.errors.extend(dump.missing_policies());
        accounts.insert(id.clone(), Out::Object(dump.to_account()));
    }
    for b in buckets {
        if !crate::arn::is_account_id(&b.account) {
            r.errors.push(Diagnostic::bare(format!(
                "--bucket {}: \"{}\" is not a 12-digit account id",
                b.name, b.account
            )));
            continue;
        }
        let mut entry = Map::new();
        if let Some(id) = b.policy {
            match r.bucket_policy(id) {
                Some(p) => {
                    entry.insert("policy".into(), p);
                }
                None => continue,
            }
        }
        let account = accounts
            .entry(b.account.clone())
            .or_insert_with(|| json!({}));
        if let Some(obj) = account.as_object_mut() {
            let list = obj.entry("buckets").or_insert_with(|| json!({}));
            if let Some(list) = list.as_object_mut() {
                list.insert(b.name.clone(), Out::Object(entry));
            }
        }
    }
    let organization = r.organization_tree(&orgs, &mut accounts);
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    let mut world = Map::new();
    world.insert("accounts".into(), Out::Object(accounts));
    let used = referenced_aws_policies(&world);
    let aws: Map<String, Out> = iam
        .aws_managed
        .into_iter()
        .filter(|(name, _)| used.contains(name))
        .collect();
    if !aws.is_empty() {
        world.insert("aws_managed_policies".into(), Out::Object(aws));
    }
    if let Some(o) = organization {
        world.insert("organization".into(), o);
    }
    Ok(Out::Object(world))
}

/// Names of the AWS managed policies a world attaches (as managed policies
/// or boundaries), so that only those of a dump are kept.
fn referenced_aws_policies(world: &Map<String, Out>) -> Vec<String> {
    let mut out = Vec::new();
    let mut visit = |v: &Out| {
        if let Some(name) = v.as_str().and_then(|s| s.strip_prefix(managed::ARN_PREFIX)) {
            out.push(name.rsplit('/').next().unwrap_or(name).to_string());
        }
    };
    for account in world
        .get("accounts")
        .and_then(Out::as_object)
        .into_iter()
        .flat_map(|a| a.values())
    {
        for kind in ["users", "groups", "roles"] {
            for entity in account
                .get(kind)
                .and_then(Out::as_object)
                .into_iter()
                .flat_map(|m| m.values())
            {
                entity
                    .get("managed_policies")
                    .and_then(Out::as_array)
                    .into_iter()
                    .flatten()
                    .for_each(&mut visit);
                entity
                    .get("permissions_boundary")
                    .into_iter()
                    .for_each(&mut visit);
            }
        }
    }
    out
}
