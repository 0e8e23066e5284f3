//! `aws iam get-account-authorization-details` output, as AWS returns it,
//! into our account entries: users, groups, roles, customer managed
//! policies (their default version only), and the AWS managed policies a
//! dump carries. Several pages of one account merge.

use super::Reader;
use crate::arn::Arn;
use crate::diag::{Diagnostic, Doc, JsonPath};
use crate::json::{Node, Value};
use crate::managed;
use crate::policy::PolicyKind;
use serde_json::{Map, Value as Out, json};
use std::collections::BTreeMap;

const TOP_KEYS: &[&str] = &[
    "UserDetailList",
    "GroupDetailList",
    "RoleDetailList",
    "Policies",
    "IsTruncated",
    "Marker",
    "NextToken",
];
const USER_KEYS: &[&str] = &[
    "Path",
    "UserName",
    "UserId",
    "Arn",
    "CreateDate",
    "UserPolicyList",
    "GroupList",
    "AttachedManagedPolicies",
    "PermissionsBoundary",
    "Tags",
];
const GROUP_KEYS: &[&str] = &[
    "Path",
    "GroupName",
    "GroupId",
    "Arn",
    "CreateDate",
    "GroupPolicyList",
    "AttachedManagedPolicies",
];
const ROLE_KEYS: &[&str] = &[
    "Path",
    "RoleName",
    "RoleId",
    "Arn",
    "CreateDate",
    "AssumeRolePolicyDocument",
    "InstanceProfileList",
    "RolePolicyList",
    "AttachedManagedPolicies",
    "PermissionsBoundary",
    "Tags",
    "RoleLastUsed",
    "Description",
    "MaxSessionDuration",
];
const POLICY_KEYS: &[&str] = &[
    "PolicyName",
    "PolicyId",
    "Arn",
    "Path",
    "DefaultVersionId",
    "AttachmentCount",
    "PermissionsBoundaryUsageCount",
    "IsAttachable",
    "Description",
    "CreateDate",
    "UpdateDate",
    "PolicyVersionList",
];
const VERSION_KEYS: &[&str] = &["Document", "VersionId", "IsDefaultVersion", "CreateDate"];
const INLINE_KEYS: &[&str] = &["PolicyName", "PolicyDocument"];
const ATTACHED_KEYS: &[&str] = &["PolicyName", "PolicyArn"];
const BOUNDARY_KEYS: &[&str] = &["PermissionsBoundaryType", "PermissionsBoundaryArn"];
const TAG_KEYS: &[&str] = &["Key", "Value"];

/// True when a parsed file is `get-account-authorization-details` output.
pub fn is_authorization_details(node: &Node) -> bool {
    ["UserDetailList", "GroupDetailList", "RoleDetailList"]
        .iter()
        .any(|k| node.get(k).is_some())
        || node
            .get("Policies")
            .and_then(|p| match &p.value {
                Value::Array(items) => items.first(),
                _ => None,
            })
            .is_some_and(|first| {
                first.get("PolicyVersionList").is_some() || first.get("PolicyName").is_some()
            })
}

/// What the dumps say of one account.
#[derive(Default)]
pub struct AccountDump {
    /// Users by name, in world format.
    pub users: Map<String, Out>,
    /// Groups by name.
    pub groups: Map<String, Out>,
    /// Roles by name.
    pub roles: Map<String, Out>,
    /// Customer managed policies by name (default version).
    pub policies: Map<String, Out>,
    /// Customer managed policies attached, with where, to check they exist.
    attachments: Vec<(String, Diagnostic)>,
}

impl AccountDump {
    /// The account entry in world format.
    pub fn to_account(&self) -> Map<String, Out> {
        let mut out = Map::new();
        for (key, map) in [
            ("policies", &self.policies),
            ("users", &self.users),
            ("groups", &self.groups),
            ("roles", &self.roles),
        ] {
            if !map.is_empty() {
                out.insert(key.into(), Out::Object(map.clone()));
            }
        }
        out
    }

    /// Errors for attachments to customer policies the dumps do not hold.
    pub fn missing_policies(&self) -> Vec<Diagnostic> {
        self.attachments
            .iter()
            .filter(|(name, _)| !self.policies.contains_key(name))
            .map(|(_, d)| d.clone())
            .collect()
    }
}

/// Everything read from authorization-details dumps.
#[derive(Default)]
pub struct Dumps {
    /// By account id.
    pub accounts: BTreeMap<String, AccountDump>,
    /// AWS managed policies the dumps carry, by name (default version).
    pub aws_managed: Map<String, Out>,
}

impl Reader<'_> {
    /// Reads one authorization-details file into `out`.
    pub fn authorization_details(&mut self, doc: Doc, node: &Node, out: &mut Dumps) {
        let root = JsonPath::ROOT;
        if self
            .ok(doc.object(
                node,
                &root,
                "get-account-authorization-details output",
                TOP_KEYS,
            ))
            .is_none()
        {
            return;
        }
        for (key, what) in [
            ("UserDetailList", "user"),
            ("GroupDetailList", "group"),
            ("RoleDetailList", "role"),
            ("Policies", "policy"),
        ] {
            let Some(list) = node.get(key) else { continue };
            let p = root.key(key);
            let Value::Array(items) = &list.value else {
                self.errors
                    .push(doc.err(list, &p, format!("{key} must be a list")));
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                let ip = p.index(i);
                match what {
                    "user" => self.user(doc, item, &ip, out),
                    "group" => self.group(doc, item, &ip, out),
                    "role" => self.role(doc, item, &ip, out),
                    _ => self.managed_policy(doc, item, &ip, out),
                }
            }
        }
    }

    /// The account of an entity from its `Arn`.
    fn account_of<'o>(
        &mut self,
        doc: Doc,
        node: &Node,
        path: &JsonPath<'_>,
        out: &'o mut Dumps,
    ) -> Option<&'o mut AccountDump> {
        let p = path.key("Arn");
        let n = node.get("Arn").unwrap_or(node);
        let arn = self.ok(doc.string(n, &p, "Arn"))?;
        match Arn::parse(arn) {
            Some(a) if a.service == "iam" && crate::arn::is_account_id(a.account) => {
                Some(out.accounts.entry(a.account.to_string()).or_default())
            }
            _ => {
                self.errors.push(doc.err(
                    n,
                    &p,
                    format!("\"{arn}\" is not an IAM ARN with a 12-digit account"),
                ));
                None
            }
        }
    }

    fn name(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>, key: &str) -> Option<String> {
        match node.get(key) {
            Some(n) => {
                let p = path.key(key);
                self.ok(doc.string(n, &p, key)).map(str::to_string)
            }
            None => {
                self.errors
                    .push(doc.err(node, path, format!("missing \"{key}\"")));
                None
            }
        }
    }

    /// Adds an entry; one already there (from another page) is an error
    /// at `at` (the document, node and path of the second one).
    fn insert_unique(
        &mut self,
        at: (Doc, &Node, &JsonPath<'_>),
        map: &mut Map<String, Out>,
        name: String,
        value: Out,
        what: &str,
    ) {
        let (doc, node, path) = at;
        if map.contains_key(&name) {
            let msg = format!("{what} \"{name}\" appears twice in the dumps of this account");
            self.errors.push(doc.err(node, path, msg));
        } else {
            map.insert(name, value);
        }
    }

    fn entity_common(
        &mut self,
        doc: Doc,
        node: &Node,
        path: &JsonPath<'_>,
        list_key: &str,
        out: &mut Map<String, Out>,
        account: &mut AccountDump,
    ) {
        if let Some(p) = node.get("Path") {
            let pp = path.key("Path");
            if let Some(s) = self.ok(doc.string(p, &pp, "Path")) {
                out.insert("path".into(), json!(s));
            }
        }
        let mut inline = Map::new();
        if let Some(list) = node.get(list_key) {
            let lp = path.key(list_key);
            for (i, item) in self.list(doc, list, &lp).iter().enumerate() {
                let ip = lp.index(i);
                if self
                    .ok(doc.object(item, &ip, "an inline policy", INLINE_KEYS))
                    .is_none()
                {
                    continue;
                }
                let (Some(name), Some(d)) = (
                    self.name(doc, item, &ip, "PolicyName"),
                    item.get("PolicyDocument"),
                ) else {
                    self.errors.push(doc.err(
                        item,
                        &ip,
                        "an inline policy needs PolicyName and PolicyDocument",
                    ));
                    continue;
                };
                let dp = ip.key("PolicyDocument");
                if let Some(v) = self.document(doc, d, &dp, PolicyKind::Identity) {
                    inline.insert(name, v);
                }
            }
        }
        if !inline.is_empty() {
            out.insert("inline_policies".into(), Out::Object(inline));
        }
        let mut managed = Vec::new();
        if let Some(list) = node.get("AttachedManagedPolicies") {
            let lp = path.key("AttachedManagedPolicies");
            for (i, item) in self.list(doc, list, &lp).iter().enumerate() {
                let ip = lp.index(i);
                if self
                    .ok(doc.object(item, &ip, "an attached managed policy", ATTACHED_KEYS))
                    .is_none()
                {
                    continue;
                }
                if let Some(arn) = self.name(doc, item, &ip, "PolicyArn") {
                    managed.push(self.policy_reference(doc, item, &ip, &arn, account));
                }
            }
        }
        managed.sort();
        if !managed.is_empty() {
            out.insert("managed_policies".into(), json!(managed));
        }
    }

    /// A managed policy ARN as a world reference: customer policies of the
    /// account by name (recording the attachment to check it exists), AWS
    /// managed ones by ARN.
    fn policy_reference(
        &mut self,
        doc: Doc,
        node: &Node,
        path: &JsonPath<'_>,
        arn: &str,
        account: &mut AccountDump,
    ) -> String {
        if arn.starts_with(managed::ARN_PREFIX) {
            return arn.to_string();
        }
        let name = arn.rsplit('/').next().unwrap_or(arn).to_string();
        let d = doc.err(node, path, format!("{arn} is attached here but the dumps do not hold that customer managed policy (run get-account-authorization-details without --filter, or with LocalManagedPolicy)"));
        account.attachments.push((name.clone(), d));
        name
    }

    fn list<'n>(&mut self, doc: Doc, node: &'n Node, path: &JsonPath<'_>) -> &'n [Node] {
        match &node.value {
            Value::Array(items) => items,
            _ => {
                self.errors.push(doc.err(node, path, "expected a list"));
                &[]
            }
        }
    }

    fn tags_and_boundary(
        &mut self,
        doc: Doc,
        node: &Node,
        path: &JsonPath<'_>,
        out: &mut Map<String, Out>,
        account: &mut AccountDump,
    ) {
        if let Some(b) = node.get("PermissionsBoundary") {
            let bp = path.key("PermissionsBoundary");
            if self
                .ok(doc.object(b, &bp, "PermissionsBoundary", BOUNDARY_KEYS))
                .is_some()
            {
                if let Some(arn) = self.name(doc, b, &bp, "PermissionsBoundaryArn") {
                    let r = self.policy_reference(doc, b, &bp, &arn, account);
                    out.insert("permissions_boundary".into(), json!(r));
                }
            }
        }
        if let Some(tags) = node.get("Tags") {
            let tp = path.key("Tags");
            let mut map = Map::new();
            for (i, t) in self.list(doc, tags, &tp).iter().enumerate() {
                let ip = tp.index(i);
                if self.ok(doc.object(t, &ip, "a tag", TAG_KEYS)).is_none() {
                    continue;
                }
                if let (Some(k), Some(v)) = (
                    self.name(doc, t, &ip, "Key"),
                    self.name(doc, t, &ip, "Value"),
                ) {
                    map.insert(k, json!(v));
                }
            }
            if !map.is_empty() {
                out.insert("tags".into(), Out::Object(map));
            }
        }
    }

    fn user(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>, dumps: &mut Dumps) {
        if self
            .ok(doc.object(node, path, "a UserDetailList entry", USER_KEYS))
            .is_none()
        {
            return;
        }
        let Some(name) = self.name(doc, node, path, "UserName") else {
            return;
        };
        let Some(account) = self.account_of(doc, node, path, dumps) else {
            return;
        };
        let mut u = Map::new();
        self.entity_common(doc, node, path, "UserPolicyList", &mut u, account);
        if let Some(g) = node.get("GroupList") {
            let gp = path.key("GroupList");
            let listed = self
                .ok(doc.string_list(g, &gp, "a group name"))
                .unwrap_or_default();
            let mut groups: Vec<String> = listed.into_iter().map(|(s, _)| s.to_string()).collect();
            groups.sort();
            if !groups.is_empty() {
                u.insert("groups".into(), json!(groups));
            }
        }
        self.tags_and_boundary(doc, node, path, &mut u, account);
        self.insert_unique(
            (doc, node, path),
            &mut account.users,
            name,
            Out::Object(u),
            "user",
        );
    }

    fn group(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>, dumps: &mut Dumps) {
        if self
            .ok(doc.object(node, path, "a GroupDetailList entry", GROUP_KEYS))
            .is_none()
        {
            return;
        }
        let Some(name) = self.name(doc, node, path, "GroupName") else {
            return;
        };
        let Some(account) = self.account_of(doc, node, path, dumps) else {
            return;
        };
        let mut g = Map::new();
        self.entity_common(doc, node, path, "GroupPolicyList", &mut g, account);
        self.insert_unique(
            (doc, node, path),
            &mut account.groups,
            name,
            Out::Object(g),
            "group",
        );
    }

    fn role(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>, dumps: &mut Dumps) {
        if self
            .ok(doc.object(node, path, "a RoleDetailList entry", ROLE_KEYS))
            .is_none()
        {
            return;
        }
        let Some(name) = self.name(doc, node, path, "RoleName") else {
            return;
        };
        let Some(account) = self.account_of(doc, node, path, dumps) else {
            return;
        };
        let mut r = Map::new();
        match node.get("AssumeRolePolicyDocument") {
            Some(d) => {
                let dp = path.key("AssumeRolePolicyDocument");
                if let Some(v) = self.document(doc, d, &dp, PolicyKind::Trust) {
                    r.insert("trust_policy".into(), v);
                }
            }
            None => {
                let msg = format!(
                    "role \"{name}\" has no AssumeRolePolicyDocument: every role has a trust policy"
                );
                self.errors.push(doc.err(node, path, msg));
            }
        }
        self.entity_common(doc, node, path, "RolePolicyList", &mut r, account);
        self.tags_and_boundary(doc, node, path, &mut r, account);
        self.insert_unique(
            (doc, node, path),
            &mut account.roles,
            name,
            Out::Object(r),
            "role",
        );
    }

    /// A managed policy: only its default version counts.
    fn managed_policy(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>, dumps: &mut Dumps) {
        if self
            .ok(doc.object(node, path, "a Policies entry", POLICY_KEYS))
            .is_none()
        {
            return;
        }
        let (Some(name), Some(arn)) = (
            self.name(doc, node, path, "PolicyName"),
            self.name(doc, node, path, "Arn"),
        ) else {
            return;
        };
        let default_id = node.get("DefaultVersionId").and_then(Node::as_str);
        let vp = path.key("PolicyVersionList");
        let Some(versions) = node.get("PolicyVersionList") else {
            self.errors
                .push(doc.err(node, path, format!("policy {arn} has no PolicyVersionList")));
            return;
        };
        let default = self
            .list(doc, versions, &vp)
            .iter()
            .enumerate()
            .find(|(_, v)| {
                matches!(
                    v.get("IsDefaultVersion").map(|n| &n.value),
                    Some(Value::Bool(true))
                ) || (default_id.is_some()
                    && v.get("VersionId").and_then(Node::as_str) == default_id)
            });
        let Some((i, v)) = default else {
            self.errors.push(doc.err(
                versions,
                &vp,
                format!("policy {arn}: no version is the default version"),
            ));
            return;
        };
        let ip = vp.index(i);
        if self
            .ok(doc.object(v, &ip, "a policy version", VERSION_KEYS))
            .is_none()
        {
            return;
        }
        let Some(d) = v.get("Document") else {
            self.errors.push(doc.err(
                v,
                &ip,
                format!("the default version of {arn} has no Document"),
            ));
            return;
        };
        let dp = ip.key("Document");
        let Some(document) = self.document(doc, d, &dp, PolicyKind::Identity) else {
            return;
        };
        if arn.starts_with(managed::ARN_PREFIX) {
            dumps.aws_managed.insert(name, document);
        } else if let Some(account) = self.account_of(doc, node, path, dumps) {
            self.insert_unique(
                (doc, node, path),
                &mut account.policies,
                name,
                document,
                "managed policy",
            );
        }
    }
}
