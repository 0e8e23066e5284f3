//! What an attribute unknown at plan time will be, when the configuration
//! makes it a single reference to an attribute known elsewhere
//! (`role = aws_iam_role.r.id`: a role's `id` is its name; a customer
//! managed policy's ARN follows from account, path and name; a bucket's
//! `id` is its name). `configuration` keeps references, not evaluated
//! expressions (<https://developer.hashicorp.com/terraform/internals/json-format#expression-representation>),
//! so an expression that names one resource attribute and nothing else is
//! taken as that attribute. What no reference settles gets a placeholder
//! name ([`placeholder`]) and stays unknown.

use super::accounts::Accounts;
use super::address::{indexed_reference, own_index, single_reference};
use super::plan::{Change, Plan};
use crate::json::{Node, Value};

/// How deep references are followed (`a = b.x`, `b.x = c.y`, ...).
const MAX_DEPTH: u8 = 8;

/// Resolves attributes against the plan.
pub struct Known<'a, 'p> {
    /// The plan.
    pub plan: &'a Plan<'p>,
    /// The accounts of its provider configurations.
    pub accounts: &'a Accounts,
}

/// The `references` of an expression.
fn references(expr: &Node) -> Option<Vec<&str>> {
    match &expr.get("references")?.value {
        Value::Array(items) => Some(items.iter().filter_map(Node::as_str).collect()),
        _ => None,
    }
}

/// A module instance address split into its parent and its last call
/// (`module.a["x"].module.b` into `module.a["x"]` and `module.b`).
fn split_module(module: &str) -> Option<(&str, &str)> {
    let i = module.rfind(".module.").map_or(0, |i| i + 1);
    let last = module.get(i..)?;
    let parent = module.get(..i.saturating_sub(1)).unwrap_or("");
    last.starts_with("module.").then_some((parent, last))
}

/// The module instance and output that references like `module.app.role`
/// (listed with `module.app`) name: `None` unless that is all they name.
fn module_output(refs: &[&str]) -> Option<(String, String)> {
    let mut found: Option<(String, String)> = None;
    let mut bases = Vec::new();
    for r in refs {
        let segs = super::address::segments(r);
        if segs.first() != Some(&"module") {
            return None;
        }
        let instance = segs.get(..2)?.join(".");
        match segs.get(2) {
            Some(out) => {
                let this = (instance, (*out).to_string());
                if found.as_ref().is_some_and(|f| *f != this) {
                    return None;
                }
                found = Some(this);
            }
            None => bases.push(instance),
        }
    }
    let (instance, output) = found?;
    let bare = instance.split('[').next().unwrap_or("");
    bases
        .iter()
        .all(|b| *b == instance || b == bare)
        .then_some((instance, output))
}

/// Attributes that hold a policy document (resources' and
/// `aws_iam_policy_document`'s).
fn is_document(attr: &str) -> bool {
    matches!(
        attr,
        "policy" | "assume_role_policy" | "content" | "json" | "minified_json"
    )
}

/// The attribute a reference without one (`aws_iam_policy.this[count.index]`,
/// whose attribute Terraform drops) must read for the referring attribute
/// to be valid at all: an ARN for `policy_arn` and `key_id`, a name for a
/// role, user, group or bucket, an id for `policy_id`, the document of a
/// policy document data source. `None` when no attribute is the only one
/// that fits.
fn implied_attribute(attr: &str, resource: &str) -> Option<&'static str> {
    let document_source = resource.starts_with("data.aws_iam_policy_document.");
    Some(match attr {
        "policy_arn" | "permissions_boundary" | "key_id" => "arn",
        "role" | "user" | "group" | "role_name" | "user_name" | "group_name" => "name",
        "bucket" => "bucket",
        "policy_id" => "id",
        "policy" | "assume_role_policy" | "content" if document_source => "json",
        _ => return None,
    })
}

/// Whether `after_unknown` marks an attribute (wholly) unknown.
pub fn is_unknown(ch: &Change<'_>, attr: &str) -> bool {
    ch.after_unknown
        .and_then(|u| u.get(attr))
        .is_some_and(|n| matches!(n.value, Value::Bool(true)))
}

/// A string attribute of `after` (or `before`), when known and not empty.
pub fn text<'n>(values: Option<&'n Node>, attr: &str) -> Option<&'n str> {
    values?.get(attr)?.as_str().filter(|s| !s.is_empty())
}

/// A placeholder name for an entity whose name is known only after apply:
/// valid for IAM (letters, digits and `+=,.@_-`, at most 64 characters) and
/// for S3 (`lower`: lowercase letters, digits and `-`), deterministic, and
/// plainly a placeholder: `PREFIX` (a `name_prefix`, if any), then
/// `tfunknown-`, then the resource address with other characters as `-`.
pub fn placeholder(prefix: &str, address: &str, lower: bool) -> String {
    let source = if lower {
        address.to_ascii_lowercase()
    } else {
        address.to_string()
    };
    let body: String = source
        .chars()
        .map(|c| {
            let keep = if lower {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
            } else {
                c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
            };
            if keep { c } else { '-' }
        })
        .collect();
    format!("{prefix}tfunknown-{body}")
        .chars()
        .take(if lower { 63 } else { 64 })
        .collect()
}

/// True for a name (or an ARN ending in one) that [`placeholder`] made.
pub fn is_placeholder(value: &str) -> bool {
    value.contains("tfunknown-")
}

impl Known<'_, '_> {
    /// The account of a change's provider configuration.
    pub fn account(&self, ch: &Change<'_>) -> Option<&str> {
        self.accounts.account(ch.provider_key())
    }

    /// The value a single-reference attribute will have, if known.
    pub fn resolve(&self, ch: &Change<'_>, attr: &str) -> Option<String> {
        self.resolve_at(ch, attr, 0)
    }

    fn resolve_at(&self, ch: &Change<'_>, attr: &str, depth: u8) -> Option<String> {
        let refs = references(ch.expression(attr)?)?;
        self.follow(&refs, &ch.module, own_index(&ch.address), attr, depth)
    }

    /// The value of an expression with references `refs`, written in module
    /// instance `module` (by the resource instance whose index is `index`),
    /// for an attribute `attr`: a single resource reference, or one module
    /// variable (`var.role`, followed to the module call's expression) or
    /// module output (`module.app.role`, followed to the output's
    /// expression) that leads to one.
    fn follow(
        &self,
        refs: &[&str],
        module: &str,
        index: &str,
        attr: &str,
        depth: u8,
    ) -> Option<String> {
        if depth > MAX_DEPTH {
            return None;
        }
        let within = |rest: &str| {
            if module.is_empty() {
                rest.to_string()
            } else {
                format!("{module}.{rest}")
            }
        };
        if let [only] = refs {
            if let Some(name) = only.strip_prefix("var.") {
                let (parent, _) = split_module(module)?;
                let call = self.plan.call(module)?;
                let inner = references(call.get("expressions")?.get(name)?)?;
                return self.follow(&inner, parent, "", attr, depth + 1);
            }
        }
        if let Some((instance, output)) = module_output(refs) {
            let instance = within(&instance);
            let call = self.plan.call(&instance)?;
            let expr = call
                .get("module")?
                .get("outputs")?
                .get(&output)?
                .get("expression")?;
            let inner = references(expr)?;
            return self.follow(&inner, &instance, "", attr, depth + 1);
        }
        let (resource, target_attr) = match single_reference(refs) {
            Some(r) => r,
            None => {
                let resource = indexed_reference(refs, index)?;
                let attr = implied_attribute(attr, &resource)?;
                (resource, attr.to_string())
            }
        };
        // `jsonencode({... Resource = aws_s3_bucket.b.arn ...})` names one
        // attribute too: a document is only ever another document.
        if is_document(attr) != is_document(&target_attr) {
            return None;
        }
        let target = self.plan.find(&within(&resource))?;
        self.value_at(target, &target_attr, depth + 1)
    }

    /// The value an attribute of a resource has after the plan: known in
    /// `after`, or following from what is known of the resource.
    fn value_at(&self, ch: &Change<'_>, attr: &str, depth: u8) -> Option<String> {
        if let Some(v) = text(ch.after, attr) {
            return Some(v.to_string());
        }
        if !is_unknown(ch, attr) && ch.data {
            return None;
        }
        let account = self.account(ch);
        match (ch.kind.as_str(), attr) {
            ("aws_iam_role" | "aws_iam_user" | "aws_iam_group", "name" | "id") => {
                Some(self.name_at(ch, depth).0)
            }
            ("aws_iam_policy", "name") => Some(self.name_at(ch, depth).0),
            ("aws_iam_role" | "aws_iam_user" | "aws_iam_group" | "aws_iam_policy", "arn")
            | ("aws_iam_policy", "id") => {
                let kind = match ch.kind.as_str() {
                    "aws_iam_role" => "role",
                    "aws_iam_user" => "user",
                    "aws_iam_group" => "group",
                    _ => "policy",
                };
                let path = text(ch.after, "path").unwrap_or("/");
                Some(format!(
                    "arn:aws:iam::{}:{kind}{path}{}",
                    account?,
                    self.name_at(ch, depth).0
                ))
            }
            ("aws_s3_bucket", "bucket" | "id") => Some(self.name_at(ch, depth).0),
            ("aws_s3_bucket", "arn") => Some(format!("arn:aws:s3:::{}", self.name_at(ch, depth).0)),
            ("aws_kms_key", "arn" | "id" | "key_id") => self.key_arn(ch),
            _ => self.resolve_at(ch, attr, depth),
        }
    }

    /// A KMS key's ARN: known, or a placeholder in the provider's region.
    pub fn key_arn(&self, ch: &Change<'_>) -> Option<String> {
        if let Some(a) = text(ch.after, "arn") {
            return Some(a.to_string());
        }
        let region = self
            .accounts
            .region(ch.provider_key())
            .unwrap_or("us-east-1");
        Some(format!(
            "arn:aws:kms:{region}:{}:key/{}",
            self.account(ch)?,
            placeholder("", &ch.address, false)
        ))
    }

    /// The name of an IAM entity or bucket after the plan, and whether it
    /// is a placeholder (known only after apply).
    pub fn name_of(&self, ch: &Change<'_>) -> (String, bool) {
        self.name_at(ch, 0)
    }

    fn name_at(&self, ch: &Change<'_>, depth: u8) -> (String, bool) {
        let (attr, prefix_attr, lower) = if ch.kind == "aws_s3_bucket" {
            ("bucket", "bucket_prefix", true)
        } else {
            ("name", "name_prefix", false)
        };
        if let Some(n) = text(ch.after, attr) {
            return (n.to_string(), false);
        }
        if let Some(n) = self.resolve_at(ch, attr, depth + 1) {
            return (n, false);
        }
        let prefix = text(ch.after, prefix_attr).unwrap_or("");
        (placeholder(prefix, &ch.address, lower), true)
    }
}

#[cfg(test)]
mod tests {
    use super::placeholder;

    #[test]
    fn placeholders_are_valid_names_that_say_what_they_are() {
        assert_eq!(
            placeholder("app-", r#"module.m.aws_iam_role.r["x y"]"#, false),
            "app-tfunknown-module.m.aws_iam_role.r--x-y--"
        );
        assert_eq!(
            placeholder("", "aws_s3_bucket.Data_1", true),
            "tfunknown-aws-s3-bucket-data-1"
        );
        assert!(placeholder("", &"a".repeat(100), false).len() <= 64);
    }
}
