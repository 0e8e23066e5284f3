//! The plan file itself: its version, its resource changes each with the
//! configuration block that made it, and the caller identities of the
//! prior state. Follows Terraform's "JSON Output Format"
//! (<https://developer.hashicorp.com/terraform/internals/json-format>):
//! unknown properties are ignored, as the page asks of readers.

use super::address::config_key;
use crate::diag::{Diagnostic, Doc, JsonPath};
use crate::json::{Node, Value};
use crate::world::terraform::check_address;
use rustc_hash::FxHashMap;

/// What one resource change does, read from its `actions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `["no-op"]`: the object stays as it is.
    NoOp,
    /// `["create"]`.
    Create,
    /// `["update"]`, in place.
    Update,
    /// `["delete"]`.
    Delete,
    /// `["delete","create"]` or `["create","delete"]`: replaced.
    Replace,
    /// `["read"]`: a data source read.
    Read,
    /// `["forget"]` (and `["create","forget"]`): Terraform stops managing
    /// the object, which stays in AWS.
    Forget,
}

impl Action {
    /// True when the object exists before the plan.
    pub fn existed(self) -> bool {
        !matches!(self, Action::Create | Action::Read)
    }
}

/// One entry of `resource_changes`.
#[derive(Debug)]
pub struct Change<'p> {
    /// Its position in `resource_changes`.
    pub index: usize,
    /// The resource change object, for locating errors.
    pub node: &'p Node,
    /// `address`, e.g. `module.app.aws_iam_role.reader`.
    pub address: String,
    /// `module_address`, empty at the root.
    pub module: String,
    /// `type`, e.g. `aws_iam_role`.
    pub kind: String,
    /// True for a data source (`mode` `data`).
    pub data: bool,
    /// True when `provider_name` is the AWS provider.
    pub aws: bool,
    /// What the plan does to it.
    pub action: Action,
    /// `change.before`, when it is an object.
    pub before: Option<&'p Node>,
    /// `change.after`, when it is an object.
    pub after: Option<&'p Node>,
    /// `change.after_unknown`, when it is an object.
    pub after_unknown: Option<&'p Node>,
    /// The `configuration` block of the resource, when the plan has one.
    pub config: Option<&'p Node>,
}

impl Change<'_> {
    /// An error (or warning) at this change, or at `node` inside it whose
    /// path below the change is `below` (`change.after_unknown.policy`).
    pub fn located(
        &self,
        doc: Doc,
        node: Option<&Node>,
        below: &str,
        msg: impl Into<String>,
    ) -> Diagnostic {
        let mut path = format!("resource_changes[{}]", self.index);
        if !below.is_empty() {
            path = format!("{path}.{below}");
        }
        err(doc, node.unwrap_or(self.node), &path, msg)
    }

    /// The provider configuration key of its block (`aws`, `aws.west`,
    /// `module.app:aws.edge`), `aws` when the plan has no configuration.
    pub fn provider_key(&self) -> &str {
        self.config
            .and_then(|c| c.get("provider_config_key"))
            .and_then(Node::as_str)
            .unwrap_or("aws")
    }

    /// The `expressions` of an attribute in the configuration block.
    pub fn expression(&self, attr: &str) -> Option<&Node> {
        self.config?.get("expressions")?.get(attr)
    }
}

/// A plan read and checked.
pub struct Plan<'p> {
    /// The plan's source.
    pub doc: Doc,
    /// Every resource change, in plan order.
    pub changes: Vec<Change<'p>>,
    /// `configuration.provider_config`, by key.
    pub providers: Vec<(String, &'p Node)>,
    /// `data.aws_caller_identity` of the prior state: provider key and
    /// account id.
    pub identities: Vec<(String, String)>,
    by_address: FxHashMap<String, usize>,
    configs: FxHashMap<String, &'p Node>,
}

impl<'p> Plan<'p> {
    /// The change of a resource address.
    pub fn find(&self, address: &str) -> Option<&Change<'p>> {
        self.changes.get(*self.by_address.get(address)?)
    }

    /// The `module_calls` entry that made a module instance
    /// (`module.app["x"]`), with its `expressions` and `module`.
    pub fn call(&self, module_address: &str) -> Option<&'p Node> {
        self.configs.get(&config_key(module_address, "")).copied()
    }

    /// Every provider configuration key the plan names.
    pub fn provider_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.providers.iter().map(|(k, _)| k.clone()).collect();
        for c in &self.changes {
            let k = c.provider_key();
            if !keys.iter().any(|x| x == k) {
                keys.push(k.to_string());
            }
        }
        keys.sort();
        keys
    }
}

/// An error at `node`, whose JSON path below the root is `path` (the
/// path is built as text: plan paths are short and known where they fail).
fn err(doc: Doc, node: &Node, path: &str, msg: impl Into<String>) -> Diagnostic {
    let mut d = doc.err(node, &JsonPath::ROOT, msg);
    if let Some(l) = d.location.as_mut() {
        l.path = if path.is_empty() {
            String::new()
        } else {
            format!("$.{path}")
        };
    }
    d
}

/// Reads and checks a plan: a `format_version` of major 0 or 1, not
/// `errored`, `resource_changes` a list of changes with known actions.
pub fn read(doc: Doc, root: &Node) -> Result<Plan<'_>, Vec<Diagnostic>> {
    let version = match root.get("format_version") {
        Some(v) => v,
        None => {
            return Err(vec![err(
                doc,
                root,
                "",
                "not a Terraform plan: no \"format_version\" (give the output of `terraform show -json PLANFILE`)",
            )]);
        }
    };
    let major = version
        .as_str()
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    if !matches!(major, Some(0 | 1)) {
        return Err(vec![err(
            doc,
            version,
            "format_version",
            format!(
                "unsupported plan format_version {}: iamsim reads majors 0 and 1, as Terraform's JSON Output Format page asks readers to refuse other majors",
                version.to_value()
            ),
        )]);
    }
    if let Some(e) = root.get("errored") {
        if matches!(e.value, Value::Bool(true)) {
            return Err(vec![err(
                doc,
                e,
                "errored",
                "the plan is errored (Terraform could not finish planning): fix the errors `terraform plan` printed and plan again",
            )]);
        }
    }
    if root.get("resource_changes").is_none()
        && root.get("planned_values").is_none()
        && root.get("values").is_some()
    {
        return Err(vec![err(
            doc,
            root,
            "",
            "this is Terraform state, not a plan: give `terraform show -json PLANFILE`",
        )]);
    }
    let mut errors = Vec::new();
    let configs = config_blocks(root);
    let mut changes = Vec::new();
    let list: &[Node] = match root.get("resource_changes").map(|n| &n.value) {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(vec![err(
                doc,
                root.get("resource_changes").unwrap_or(root),
                "resource_changes",
                "resource_changes must be a list",
            )]);
        }
    };
    for (index, node) in list.iter().enumerate() {
        match change(doc, index, node, &configs) {
            Ok(c) => changes.push(c),
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let providers = root
        .get("configuration")
        .and_then(|c| c.get("provider_config"))
        .and_then(Node::as_object)
        .unwrap_or(&[])
        .iter()
        .map(|m| (m.key.clone(), &m.node))
        .collect();
    let identities = caller_identities(root, &configs);
    let by_address = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.address.clone(), i))
        .collect();
    Ok(Plan {
        doc,
        changes,
        providers,
        identities,
        by_address,
        configs,
    })
}

fn object(node: Option<&Node>) -> Option<&Node> {
    node.filter(|n| matches!(n.value, Value::Object(_)))
}

fn change<'p>(
    doc: Doc,
    index: usize,
    node: &'p Node,
    configs: &FxHashMap<String, &'p Node>,
) -> Result<Change<'p>, Diagnostic> {
    let here = format!("resource_changes[{index}]");
    let text = |k: &str| node.get(k).and_then(Node::as_str);
    let (Some(address), Some(kind)) = (text("address"), text("type")) else {
        return Err(err(
            doc,
            node,
            &here,
            "a resource change needs \"address\" and \"type\" strings",
        ));
    };
    // The world format keeps the address as each policy's provenance and
    // checks it; an address it would refuse is refused here, where it is.
    if let Err(e) = check_address(address) {
        let at = node.get("address").unwrap_or(node);
        return Err(err(doc, at, &format!("{here}.address"), e));
    }
    let module = text("module_address").unwrap_or("").to_string();
    let data = text("mode") == Some("data");
    let aws = text("provider_name").is_none_or(|p| p == "aws" || p.ends_with("/aws"));
    let ch = node.get("change");
    let actions_node = ch.and_then(|c| c.get("actions"));
    let actions: Vec<&str> = match actions_node.map(|a| &a.value) {
        Some(Value::Array(items)) => items.iter().filter_map(Node::as_str).collect(),
        _ => Vec::new(),
    };
    let action = match actions.as_slice() {
        ["no-op"] => Action::NoOp,
        ["create"] => Action::Create,
        ["update"] => Action::Update,
        ["delete"] => Action::Delete,
        ["delete", "create"] | ["create", "delete"] => Action::Replace,
        ["read"] => Action::Read,
        ["forget"] | ["create", "forget"] => Action::Forget,
        _ => {
            return Err(err(
                doc,
                actions_node.or(ch).unwrap_or(node),
                &format!("{here}.change.actions"),
                format!(
                    "{address}: actions {} are none that Terraform's JSON Output Format defines (no-op, create, read, update, delete, forget, or a replacement)",
                    actions_node.map_or("missing".into(), |a| a.to_value().to_string())
                ),
            ));
        }
    };
    let name = text("name").unwrap_or("");
    let resource = if data {
        format!("data.{kind}.{name}")
    } else {
        format!("{kind}.{name}")
    };
    Ok(Change {
        index,
        node,
        address: address.to_string(),
        config: configs.get(&config_key(&module, &resource)).copied(),
        module,
        kind: kind.to_string(),
        data,
        aws,
        action,
        before: object(ch.and_then(|c| c.get("before"))),
        after: object(ch.and_then(|c| c.get("after"))),
        after_unknown: object(ch.and_then(|c| c.get("after_unknown"))),
    })
}

/// Every resource block of `configuration`, by [`config_key`], and every
/// module call, by the key of its module with an empty resource part.
fn config_blocks(root: &Node) -> FxHashMap<String, &Node> {
    let mut out = FxHashMap::default();
    if let Some(m) = root.get("configuration").and_then(|c| c.get("root_module")) {
        walk_config(m, "", &mut out);
    }
    out
}

fn walk_config<'p>(module: &'p Node, prefix: &str, out: &mut FxHashMap<String, &'p Node>) {
    if let Some(Value::Array(items)) = module.get("resources").map(|r| &r.value) {
        for r in items {
            if let Some(a) = r.get("address").and_then(Node::as_str) {
                out.insert(format!("{prefix}|{a}"), r);
            }
        }
    }
    for call in module
        .get("module_calls")
        .and_then(Node::as_object)
        .unwrap_or(&[])
    {
        let inner = if prefix.is_empty() {
            call.key.clone()
        } else {
            format!("{prefix}.{}", call.key)
        };
        // The call itself, under an empty resource part.
        out.insert(format!("{inner}|"), &call.node);
        if let Some(m) = call.node.get("module") {
            walk_config(m, &inner, out);
        }
    }
}

/// `data.aws_caller_identity` in `prior_state`, at any module depth.
fn caller_identities(root: &Node, configs: &FxHashMap<String, &Node>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<&Node> = root
        .get("prior_state")
        .and_then(|s| s.get("values"))
        .and_then(|v| v.get("root_module"))
        .into_iter()
        .collect();
    while let Some(m) = stack.pop() {
        if let Some(Value::Array(items)) = m.get("child_modules").map(|c| &c.value) {
            stack.extend(items.iter());
        }
        let Some(Value::Array(items)) = m.get("resources").map(|r| &r.value) else {
            continue;
        };
        for r in items {
            let text = |k: &str| r.get(k).and_then(Node::as_str);
            if text("mode") != Some("data") || text("type") != Some("aws_caller_identity") {
                continue;
            }
            let Some(account) = r
                .get("values")
                .and_then(|v| v.get("account_id"))
                .and_then(Node::as_str)
            else {
                continue;
            };
            let module = m.get("address").and_then(Node::as_str).unwrap_or("");
            let resource = format!("data.aws_caller_identity.{}", text("name").unwrap_or(""));
            let key = configs
                .get(&config_key(module, &resource))
                .and_then(|c| c.get("provider_config_key"))
                .and_then(Node::as_str)
                .unwrap_or("aws");
            out.push((key.to_string(), account.to_string()));
        }
    }
    out
}
