//! What a world written from a Terraform plan adds to the format (README,
//! "Formats", "Terraform provenance and unknown values"): a policy that
//! remembers the Terraform address it came from
//! (`{"terraform": ADDRESS, "document": DOC}`), a policy or attachment known
//! only after apply (`{"terraform": ADDRESS, "unknown": ATTRIBUTE}`), and the
//! placeholder documents iamsim reads such an unknown text as. What a plan
//! knows only after apply is what it marks in `after_unknown`
//! (<https://developer.hashicorp.com/terraform/internals/json-format>).
//!
//! Resource addresses follow Terraform's "Resource Addressing" page,
//! <https://developer.hashicorp.com/terraform/cli/state/resource-addressing>:
//! `[module.NAME[INDEX].]*[data.]TYPE.NAME[INDEX]`, `INDEX` a number or a
//! quoted string.

use crate::diag::{Diagnostic, Doc, JsonPath};
use crate::json::{Node, Value};
use crate::policy::{
    ActionPattern, ActionSet, Effect, Origin, Policy, PolicyKind, PrincipalEntry, PrincipalSet,
    ResourcePattern, ResourceSet, Statement,
};

/// The keys of a policy position written with its Terraform address
/// (exactly one of `document` and `unknown` beside `terraform`).
pub const POLICY_KEYS: &[&str] = &["terraform", "document", "unknown"];
/// The keys of an attachment known only after apply.
pub const ATTACHMENT_KEYS: &[&str] = &["terraform", "unknown"];

/// A policy position as the world gives it.
pub enum PolicyForm<'n> {
    /// A document in any of its forms, with the address it came from.
    Document {
        /// The document node (object, JSON string, URL-encoded, `{"file"}`).
        node: &'n Node,
        /// The Terraform address, when given.
        terraform: Option<String>,
    },
    /// A text known only after apply: `ADDRESS ATTRIBUTE`.
    Unknown(String),
}

/// True when `node` is an object of the Terraform forms: it has a
/// `"terraform"` key, which no policy document has.
pub fn is_terraform_form(node: &Node) -> bool {
    node.get("terraform").is_some()
}

/// Reads a policy position: a bare document, `{"terraform", "document"}`
/// or `{"terraform", "unknown"}`. Other keys beside `terraform`, neither or
/// both of `document` and `unknown`, and an implausible address are errors.
pub fn policy_form<'n>(
    doc: Doc,
    node: &'n Node,
    path: &JsonPath<'_>,
) -> Result<PolicyForm<'n>, Diagnostic> {
    if !is_terraform_form(node) {
        return Ok(PolicyForm::Document {
            node,
            terraform: None,
        });
    }
    let address = read(
        doc,
        node,
        path,
        "a policy with its Terraform address",
        POLICY_KEYS,
    )?;
    match (node.get("document"), node.get("unknown")) {
        (Some(d), None) => Ok(PolicyForm::Document {
            node: d,
            terraform: Some(address),
        }),
        (None, Some(u)) => Ok(PolicyForm::Unknown(unknown_label(doc, u, path, &address)?)),
        _ => Err(doc.err(
            node,
            path,
            "a policy with its Terraform address needs exactly one of \"document\" (the policy) and \"unknown\" (the attribute known only after apply)",
        )),
    }
}

/// Reads an attachment known only after apply, in a list of names or ARNs
/// (`managed_policies`, `groups`, `permissions_boundary`):
/// `{"terraform": ADDRESS, "unknown": ATTRIBUTE}`, as `ADDRESS ATTRIBUTE`.
pub fn unknown_attachment(
    doc: Doc,
    node: &Node,
    path: &JsonPath<'_>,
    what: &str,
) -> Result<String, Diagnostic> {
    let address = read(
        doc,
        node,
        path,
        &format!("{what} known only after apply"),
        ATTACHMENT_KEYS,
    )?;
    let Some(u) = node.get("unknown") else {
        return Err(doc.err(
            node,
            path,
            format!("{what} known only after apply needs \"unknown\" (the attribute, e.g. \"policy_arn\")"),
        ));
    };
    unknown_label(doc, u, path, &address)
}

/// Reads an entity's `"unknown"`: a list of `ADDRESS ATTRIBUTE` strings,
/// at least one.
pub fn unknown_list(doc: Doc, node: &Node, path: &JsonPath<'_>) -> Result<Vec<String>, Diagnostic> {
    let Value::Array(items) = &node.value else {
        return Err(doc.err(
            node,
            path,
            "\"unknown\" must be a list of \"ADDRESS ATTRIBUTE\" strings (e.g. \"aws_iam_role.app name\")",
        ));
    };
    if items.is_empty() {
        return Err(doc.err(
            node,
            path,
            "\"unknown\" is an empty list: leave it out when everything is known",
        ));
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let s = doc.string(item, &p, "an unknown value")?;
        let Some((address, attribute)) = s.split_once(' ') else {
            return Err(doc.err(
                item,
                &p,
                format!("\"{s}\" must be \"ADDRESS ATTRIBUTE\" (e.g. \"aws_iam_role.app name\")"),
            ));
        };
        check_address(address).map_err(|e| doc.err(item, &p, e))?;
        check_attribute(attribute).map_err(|e| doc.err(item, &p, e))?;
        out.push(s.to_string());
    }
    Ok(out)
}

/// Reads the `"terraform"` address of an object whose keys must be in
/// `keys`.
fn read(
    doc: Doc,
    node: &Node,
    path: &JsonPath<'_>,
    what: &str,
    keys: &[&str],
) -> Result<String, Diagnostic> {
    doc.object(node, path, what, keys)?;
    let tp = path.key("terraform");
    let Some(t) = node.get("terraform") else {
        return Err(doc.err(
            node,
            path,
            format!("{what} needs \"terraform\" (the resource address)"),
        ));
    };
    let address = doc.string(t, &tp, "a Terraform address")?;
    check_address(address).map_err(|e| doc.err(t, &tp, e))?;
    Ok(address.to_string())
}

/// Reads a Terraform address given beside a named SCP or RCP.
pub fn address(doc: Doc, node: &Node, path: &JsonPath<'_>) -> Result<String, Diagnostic> {
    let address = doc.string(node, path, "a Terraform address")?;
    check_address(address).map_err(|e| doc.err(node, path, e))?;
    Ok(address.to_string())
}

fn unknown_label(
    doc: Doc,
    node: &Node,
    path: &JsonPath<'_>,
    address: &str,
) -> Result<String, Diagnostic> {
    let up = path.key("unknown");
    let attribute = doc.string(node, &up, "the unknown attribute")?;
    check_attribute(attribute).map_err(|e| doc.err(node, &up, e))?;
    Ok(format!("{address} {attribute}"))
}

/// An attribute name: `policy`, `policy_arn`, `inline_policy[0].policy`.
fn check_attribute(attribute: &str) -> Result<(), String> {
    let ok = !attribute.is_empty()
        && attribute
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]\"-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "\"{attribute}\" is not a Terraform attribute name (e.g. \"policy\", \"policy_arn\", \"name\")"
        ))
    }
}

/// Checks an address lightly: `[module.NAME[INDEX].]*[data.]TYPE.NAME[INDEX]`.
pub fn check_address(address: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "\"{address}\" is not a Terraform resource address ({why}; expected [module.NAME[INDEX].]*TYPE.NAME[INDEX], e.g. module.app.aws_iam_role.reader or aws_iam_policy.p[\"x\"])"
        ))
    };
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let Some(after) = name(after).and_then(index) else {
            return bad("a module needs a name");
        };
        let Some(after) = after.strip_prefix('.') else {
            return bad("a module is followed by a resource");
        };
        rest = after;
    }
    let rest = rest.strip_prefix("data.").unwrap_or(rest);
    let Some(after_type) = name(rest) else {
        return bad("no resource type");
    };
    let Some(after_dot) = after_type.strip_prefix('.') else {
        return bad("no resource name after the type");
    };
    match name(after_dot).and_then(index) {
        Some("") => Ok(()),
        Some(_) => bad("unexpected text after the resource name"),
        None => bad("no resource name after the type"),
    }
}

/// Skips an identifier (a letter or `_`, then letters, digits, `_`, `-`);
/// `None` when there is none.
fn name(s: &str) -> Option<&str> {
    let first = s.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(s.len());
    s.get(end..)
}

/// Skips an optional `[0]` or `["key"]`; `None` when one is malformed.
fn index(s: &str) -> Option<&str> {
    let Some(inner) = s.strip_prefix('[') else {
        return Some(s);
    };
    if let Some(quoted) = inner.strip_prefix('"') {
        let mut escaped = false;
        for (i, c) in quoted.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => return quoted.get(i + 1..)?.strip_prefix(']'),
                _ => {}
            }
        }
        return None;
    }
    let end = inner.find(|c: char| !c.is_ascii_digit())?;
    if end == 0 {
        return None;
    }
    inner.get(end..)?.strip_prefix(']')
}

/// The document iamsim reads an unknown text of `kind` as: one statement
/// of `effect` on every action and resource, naming every principal where
/// the kind takes one. `Allow` is the reading that allows everything,
/// `Deny` the one that denies everything (README, "What the decisions mean").
pub fn placeholder(kind: PolicyKind, effect: Effect, origin: Origin) -> Policy {
    let statement = Statement {
        sid: None,
        index: 0,
        effect,
        actions: ActionSet {
            negated: false,
            patterns: vec![ActionPattern::Any],
        },
        resources: (kind != PolicyKind::Trust).then(|| ResourceSet {
            negated: false,
            patterns: vec![ResourcePattern::Any],
        }),
        principals: kind.is_resource_based().then(|| PrincipalSet {
            negated: false,
            entries: vec![PrincipalEntry::Any],
        }),
        conditions: Vec::new(),
        origin,
    };
    Policy::new(Some("2012-10-17".into()), vec![statement])
}

#[cfg(test)]
mod tests {
    use super::check_address;

    #[test]
    fn addresses_with_modules_and_indexes_are_plausible() {
        for ok in [
            "aws_iam_role.reader",
            "module.app.aws_iam_role.reader",
            "module.app[0].module.inner[\"a b\"].aws_iam_policy.p[\"x\"]",
            "aws_iam_policy.p[12]",
            "data.aws_iam_policy_document.d",
            "aws_iam_policy.p[\"with \\\"quote\\\"\"]",
        ] {
            assert_eq!(check_address(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "aws_iam_role",
            "aws_iam_role.",
            "module.app",
            "module.app.",
            "aws_iam_policy.p[]",
            "aws_iam_policy.p[x]",
            "aws_iam_policy.p[\"x]",
            "aws_iam_policy.p[0] extra",
            "1aws.x",
            "aws_iam_role.reader.name",
        ] {
            let e = check_address(bad).unwrap_err();
            assert!(
                e.contains("is not a Terraform resource address"),
                "{bad}: {e}"
            );
        }
    }
}
