//! AWS Organizations outputs into the organization of a world: the OU tree
//! from `list-roots`, `list-organizational-units-for-parent` and
//! `list-accounts-for-parent`; SCPs and RCPs from `describe-policy` and
//! `list-targets-for-policy` (and optionally `list-policies` and
//! `describe-organization`).
//!
//! Three of these outputs do not say which parent or policy they answer
//! for; the id is then taken from a dot-separated part of the file name,
//! as the README's collection commands write them:
//! `ous.r-ab12.json`, `accounts.ou-ab12-cdef5678.json`, `targets.p-FullAWSAccess.json`.

use super::Reader;
use crate::arn::is_account_id;
use crate::diag::{Diagnostic, Doc, JsonPath};
use crate::json::{Node, Value};
use crate::policy::PolicyKind;
use serde_json::{Map, Value as Out, json};
use std::collections::BTreeMap;

/// The kinds of organization policy iamsim evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Scp,
    Rcp,
    /// Tag, backup and other policies: not permissions.
    Other,
}

struct Described {
    name: String,
    kind: Kind,
    aws_managed: bool,
    content: Out,
    at: Diagnostic,
}

/// What the Organizations outputs said.
#[derive(Default)]
pub struct OrgDumps {
    /// Root id, organization id, management account, SCPs and RCPs enabled.
    root: Option<(String, String, String, bool, bool)>,
    /// From describe-organization: id and management account.
    organization: Option<(String, String)>,
    /// OU id and parent id.
    ous: Vec<(String, String)>,
    /// Account id and parent id.
    accounts: Vec<(String, String)>,
    /// describe-policy outputs by policy id.
    policies: BTreeMap<String, Described>,
    /// list-policies entries: id, with where it was listed.
    listed: Vec<(String, Kind, Diagnostic)>,
    /// list-targets-for-policy by policy id: target ids with locations.
    targets: BTreeMap<String, Vec<(String, Diagnostic)>>,
}

fn kind_of(t: &str) -> Kind {
    match t {
        "SERVICE_CONTROL_POLICY" => Kind::Scp,
        "RESOURCE_CONTROL_POLICY" => Kind::Rcp,
        _ => Kind::Other,
    }
}

/// The id of the given prefix in a dot-separated part of a file name.
fn id_in_file_name(name: &str, prefix: &str) -> Option<String> {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    file.split('.')
        .find(|part| {
            part.strip_prefix(prefix).is_some_and(|rest| {
                rest.len() >= 4
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
        })
        .map(str::to_string)
}

impl Reader<'_> {
    fn file_name(&self, doc: Doc) -> String {
        self.sources
            .get(doc.source)
            .map(|f| f.name.clone())
            .unwrap_or_default()
    }

    fn field(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>, key: &str) -> Option<String> {
        let n = node.get(key);
        let p = path.key(key);
        match n {
            Some(n) => self.ok(doc.string(n, &p, key)).map(str::to_string),
            None => {
                self.errors
                    .push(doc.err(node, path, format!("missing \"{key}\"")));
                None
            }
        }
    }

    /// The entries of a top-level list, each checked for known keys.
    fn entries<'n>(
        &mut self,
        doc: Doc,
        node: &'n Node,
        key: &str,
        what: &str,
        keys: &[&str],
    ) -> Vec<(&'n Node, String)> {
        let root = JsonPath::ROOT;
        let Some(list) = node.get(key) else {
            return Vec::new();
        };
        let p = root.key(key);
        let Value::Array(items) = &list.value else {
            self.errors
                .push(doc.err(list, &p, format!("{key} must be a list")));
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let ip = p.index(i);
                self.ok(doc.object(n, &ip, what, keys))
                    .map(|_| (n, ip.render()))
            })
            .collect()
    }

    fn parent_from_name(
        &mut self,
        doc: Doc,
        node: &Node,
        command: &str,
        example: &str,
    ) -> Option<String> {
        let name = self.file_name(doc);
        let parent = id_in_file_name(&name, "r-").or_else(|| id_in_file_name(&name, "ou-"));
        if parent.is_none() {
            self.errors.push(doc.err(
                node,
                &JsonPath::ROOT,
                format!("{command} output does not say which parent it lists: put the parent id in the file name, e.g. {example}"),
            ));
        }
        parent
    }

    /// Reads one Organizations output; false when the file is none of them.
    pub fn organizations(&mut self, doc: Doc, node: &Node, out: &mut OrgDumps) -> bool {
        let root = JsonPath::ROOT;
        let top = |keys: &[&str]| {
            node.as_object()
                .is_some_and(|m| m.iter().any(|m| keys.contains(&m.key.as_str())))
        };
        if top(&["Roots"]) {
            self.ok(doc.object(node, &root, "list-roots output", &["Roots", "NextToken"]));
            for (n, p) in self.entries(
                doc,
                node,
                "Roots",
                "a root",
                &["Id", "Arn", "Name", "PolicyTypes"],
            ) {
                let jp = JsonPath::ROOT;
                let (Some(id), Some(arn)) = (
                    self.field(doc, n, &jp, "Id"),
                    self.field(doc, n, &jp, "Arn"),
                ) else {
                    continue;
                };
                // arn:aws:organizations::MANAGEMENT:root/o-ORG/r-ROOT
                let parts: Vec<&str> = arn.splitn(6, ':').collect();
                let (mgmt, org) = match (
                    parts.get(4),
                    parts.get(5).and_then(|r| r.split('/').nth(1)),
                ) {
                    (Some(m), Some(o)) if is_account_id(m) => (m.to_string(), o.to_string()),
                    _ => {
                        self.errors.push(Diagnostic::bare(format!("{}: root ARN \"{arn}\" at {p} is not arn:aws:organizations::ACCOUNT:root/o-ID/r-ID", self.file_name(doc))));
                        continue;
                    }
                };
                let enabled = |t: &str| {
                    n.get("PolicyTypes").and_then(|pt| match &pt.value {
                        Value::Array(items) => Some(items.iter().any(|i| {
                            i.get("Type").and_then(Node::as_str) == Some(t)
                                && i.get("Status").and_then(Node::as_str) == Some("ENABLED")
                        })),
                        _ => None,
                    })
                };
                let scp = enabled("SERVICE_CONTROL_POLICY").unwrap_or(true);
                let rcp = enabled("RESOURCE_CONTROL_POLICY").unwrap_or(true);
                out.root = Some((id, org, mgmt, scp, rcp));
            }
            return true;
        }
        if top(&["Organization"]) {
            self.ok(doc.object(
                node,
                &root,
                "describe-organization output",
                &["Organization"],
            ));
            let o = node.get("Organization").unwrap_or(node);
            let keys = [
                "Id",
                "Arn",
                "FeatureSet",
                "MasterAccountArn",
                "MasterAccountId",
                "MasterAccountEmail",
                "AvailablePolicyTypes",
            ];
            let op = root.key("Organization");
            if self
                .ok(doc.object(o, &op, "an organization", &keys))
                .is_some()
            {
                if let (Some(id), Some(m)) = (
                    self.field(doc, o, &op, "Id"),
                    self.field(doc, o, &op, "MasterAccountId"),
                ) {
                    out.organization = Some((id, m));
                }
            }
            return true;
        }
        if top(&["OrganizationalUnits"]) {
            self.ok(doc.object(
                node,
                &root,
                "list-organizational-units-for-parent output",
                &["OrganizationalUnits", "NextToken"],
            ));
            let Some(parent) = self.parent_from_name(
                doc,
                node,
                "list-organizational-units-for-parent",
                "ous.r-ab12.json",
            ) else {
                return true;
            };
            for (n, _) in self.entries(
                doc,
                node,
                "OrganizationalUnits",
                "an OU",
                &["Id", "Arn", "Name"],
            ) {
                if let Some(id) = self.field(doc, n, &JsonPath::ROOT, "Id") {
                    out.ous.push((id, parent.clone()));
                }
            }
            return true;
        }
        if top(&["Accounts"]) {
            self.ok(doc.object(
                node,
                &root,
                "list-accounts-for-parent output",
                &["Accounts", "NextToken"],
            ));
            let Some(parent) = self.parent_from_name(
                doc,
                node,
                "list-accounts-for-parent",
                "accounts.ou-ab12-cdef5678.json",
            ) else {
                return true;
            };
            let keys = [
                "Id",
                "Arn",
                "Email",
                "Name",
                "Status",
                "State",
                "JoinedMethod",
                "JoinedTimestamp",
                "Paths",
            ];
            for (n, _) in self.entries(doc, node, "Accounts", "an account", &keys) {
                if let Some(id) = self.field(doc, n, &JsonPath::ROOT, "Id") {
                    out.accounts.push((id, parent.clone()));
                }
            }
            return true;
        }
        if top(&["Targets"]) {
            self.ok(doc.object(
                node,
                &root,
                "list-targets-for-policy output",
                &["Targets", "NextToken"],
            ));
            let Some(policy) = id_in_file_name(&self.file_name(doc), "p-") else {
                let msg = "list-targets-for-policy output does not say which policy it lists: put the policy id in the file name, e.g. targets.p-FullAWSAccess.json";
                self.errors.push(doc.err(node, &root, msg));
                return true;
            };
            for (n, p) in self.entries(
                doc,
                node,
                "Targets",
                "a target",
                &["TargetId", "Arn", "Name", "Type"],
            ) {
                if let Some(id) = self.field(doc, n, &JsonPath::ROOT, "TargetId") {
                    let at = doc.err(n, &JsonPath::ROOT, format!("target {id} at {p}"));
                    out.targets
                        .entry(policy.clone())
                        .or_default()
                        .push((id, at));
                }
            }
            return true;
        }
        let summary_keys = ["Id", "Arn", "Name", "Description", "Type", "AwsManaged"];
        if node
            .get("Policy")
            .is_some_and(|p| p.get("PolicySummary").is_some())
        {
            self.ok(doc.object(node, &root, "describe-policy output", &["Policy"]));
            let pp = root.key("Policy");
            let Some(p) = node.get("Policy") else {
                return true;
            };
            if self
                .ok(doc.object(p, &pp, "a policy", &["PolicySummary", "Content"]))
                .is_none()
            {
                return true;
            }
            let sp = pp.key("PolicySummary");
            let Some(s) = p.get("PolicySummary") else {
                return true;
            };
            if self
                .ok(doc.object(s, &sp, "a policy summary", &summary_keys))
                .is_none()
            {
                return true;
            }
            let (Some(id), Some(name), Some(t)) = (
                self.field(doc, s, &sp, "Id"),
                self.field(doc, s, &sp, "Name"),
                self.field(doc, s, &sp, "Type"),
            ) else {
                return true;
            };
            let kind = kind_of(&t);
            let aws_managed = matches!(
                s.get("AwsManaged").map(|n| &n.value),
                Some(Value::Bool(true))
            );
            let content = match (p.get("Content"), kind) {
                (Some(c), Kind::Scp) => self.document(doc, c, &pp.key("Content"), PolicyKind::Scp),
                (Some(c), Kind::Rcp) => self.document(doc, c, &pp.key("Content"), PolicyKind::Rcp),
                (Some(_), Kind::Other) => Some(Out::Null),
                (None, _) => {
                    self.errors
                        .push(doc.err(p, &pp, format!("policy {id} has no Content")));
                    None
                }
            };
            if let Some(content) = content {
                let at = doc.err(s, &sp, String::new());
                out.policies.insert(
                    id,
                    Described {
                        name,
                        kind,
                        aws_managed,
                        content,
                        at,
                    },
                );
            }
            return true;
        }
        if node.get("Policies").is_some() {
            self.ok(doc.object(
                node,
                &root,
                "list-policies output",
                &["Policies", "NextToken"],
            ));
            for (n, _) in self.entries(doc, node, "Policies", "a policy summary", &summary_keys) {
                let jp = JsonPath::ROOT;
                if let (Some(id), Some(t)) = (
                    self.field(doc, n, &jp, "Id"),
                    self.field(doc, n, &jp, "Type"),
                ) {
                    let at = doc.err(n, &jp, String::new());
                    out.listed.push((id, kind_of(&t), at));
                }
            }
            return true;
        }
        false
    }

    /// Builds `organization` and sets each member account's `ou`, `scps`
    /// and `rcps` in `accounts`. `None` when no Organizations output was given.
    pub fn organization_tree(
        &mut self,
        o: &OrgDumps,
        accounts: &mut Map<String, Out>,
    ) -> Option<Out> {
        let any = o.root.is_some()
            || o.organization.is_some()
            || !o.ous.is_empty()
            || !o.accounts.is_empty()
            || !o.policies.is_empty();
        if !any {
            return None;
        }
        let Some((root_id, org_from_root, mgmt_from_root, scp_enabled, rcp_enabled)) =
            o.root.clone()
        else {
            self.errors.push(Diagnostic::bare("the Organizations outputs need list-roots output too (aws organizations list-roots)"));
            return None;
        };
        let (org_id, mgmt) = o
            .organization
            .clone()
            .unwrap_or((org_from_root, mgmt_from_root));
        for (id, kind, at) in &o.listed {
            if *kind != Kind::Other && !o.policies.contains_key(id) {
                self.errors.push(with_message(at, format!("list-policies names {id}, but no describe-policy output for it was given (aws organizations describe-policy --policy-id {id})")));
            }
        }
        let level = |id: &str| {
            if id == root_id {
                "root".to_string()
            } else {
                id.to_string()
            }
        };
        let known = |id: &str| {
            id == root_id
                || o.ous.iter().any(|(ou, _)| ou == id)
                || o.accounts.iter().any(|(a, _)| a == id)
        };
        // Policies attached to each target, by kind.
        let mut attached: BTreeMap<(String, &'static str), Vec<Out>> = BTreeMap::new();
        for (pid, d) in &o.policies {
            let key = match d.kind {
                Kind::Scp if scp_enabled => "scps",
                // RCPFullAWSAccess is implied by the world format (always attached).
                Kind::Rcp if rcp_enabled && !d.aws_managed => "rcps",
                _ => continue,
            };
            let Some(targets) = o.targets.get(pid) else {
                self.errors.push(with_message(&d.at, format!("no list-targets-for-policy output for {pid} ({}): name it targets.{pid}.json", d.name)));
                continue;
            };
            for (t, at) in targets {
                if !known(t) {
                    self.errors.push(with_message(at, format!("{} targets {t}, which no list-roots, list-organizational-units-for-parent or list-accounts-for-parent output names", d.name)));
                    continue;
                }
                // Named, so that explanations say which SCP or RCP decided.
                attached
                    .entry((level(t), key))
                    .or_default()
                    .push(json!({"name": d.name, "policy": d.content}));
            }
        }
        let mut levels_of = |id: &str, obj: &mut Map<String, Out>| {
            for key in ["scps", "rcps"] {
                let enabled = if key == "scps" {
                    scp_enabled
                } else {
                    rcp_enabled
                };
                match attached.remove(&(id.to_string(), key)) {
                    Some(list) => {
                        obj.insert(key.into(), Out::Array(list));
                    }
                    // With SCPs enabled, a level with none attached allows nothing.
                    None if key == "scps"
                        && enabled
                        && o.policies.values().any(|d| d.kind == Kind::Scp) =>
                    {
                        obj.insert(key.into(), json!([]));
                    }
                    None => {}
                }
            }
        };
        let mut root = Map::new();
        levels_of("root", &mut root);
        let mut ous = Map::new();
        for (ou, parent) in &o.ous {
            let mut entry = Map::new();
            entry.insert("parent".into(), json!(level(parent)));
            levels_of(ou, &mut entry);
            ous.insert(ou.clone(), Out::Object(entry));
        }
        for (acct, parent) in &o.accounts {
            if !is_account_id(acct) {
                self.errors.push(Diagnostic::bare(format!(
                    "list-accounts-for-parent names account \"{acct}\", which is not a 12-digit id"
                )));
                continue;
            }
            let entry = accounts.entry(acct.clone()).or_insert_with(|| json!({}));
            if let Some(obj) = entry.as_object_mut() {
                obj.insert("ou".into(), json!(level(parent)));
                levels_of(acct, obj);
            }
        }
        let mut org = Map::new();
        org.insert("id".into(), json!(org_id));
        org.insert("management_account".into(), json!(mgmt));
        org.insert("root".into(), Out::Object(root));
        if !ous.is_empty() {
            org.insert("ous".into(), Out::Object(ous));
        }
        Some(Out::Object(org))
    }
}

fn with_message(at: &Diagnostic, message: String) -> Diagnostic {
    Diagnostic {
        location: at.location.clone(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_dot_separated_file_name_parts() {
        assert_eq!(
            id_in_file_name("dumps/ous.r-ab12.json", "r-"),
            Some("r-ab12".into())
        );
        assert_eq!(
            id_in_file_name("accounts.ou-ab12-cdef5678.json", "ou-"),
            Some("ou-ab12-cdef5678".into())
        );
        assert_eq!(
            id_in_file_name("targets.p-FullAWSAccess.json", "p-"),
            Some("p-FullAWSAccess".into())
        );
        assert_eq!(id_in_file_name("targets.json", "p-"), None);
        assert_eq!(id_in_file_name("r-ab.json", "r-"), None);
    }
}
