//! Reading a policy document into a [`Policy`], rejecting what IAM rejects
//! (docs/evaluation.md L01–L07 and L62–L75), each error located.

use super::{
    ActionPattern, ActionSet, Effect, Origin, Policy, PolicyKind, PrincipalEntry, PrincipalSet,
    ResourcePattern, ResourceSet, Statement,
};
use crate::arn::ArnPattern;
use crate::condition::{self, Condition};
use crate::diag::{Diagnostic, Doc, JsonPath};
use crate::json::{Node, Value};

/// The keys of a policy document.
pub const POLICY_KEYS: &[&str] = &["Version", "Id", "Statement"];
/// The keys of a statement.
pub const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];
/// The keys of a `Principal` or `NotPrincipal` given as an object.
pub const PRINCIPAL_KEYS: &[&str] = &["AWS", "Service", "Federated", "CanonicalUser"];

/// The Version that turns on policy variables.
pub const VERSION_2012: &str = "2012-10-17";

/// The largest policy document iamsim reads, in bytes of source text.
/// AWS's limits for customer policies are far smaller (20 KiB for a bucket
/// policy, 10 KiB for a role's inline policies, 6 KiB for a managed
/// policy) and its largest AWS managed policies are a few hundred KiB, so a
/// larger document cannot exist in AWS and is refused, not evaluated.
pub const MAX_POLICY_BYTES: u32 = 1024 * 1024;

/// Compiles a policy document attached as `kind`.
pub fn compile(
    doc: &Doc,
    node: &Node,
    path: &JsonPath<'_>,
    kind: PolicyKind,
) -> Result<Policy, Diagnostic> {
    let size = node.span.end.saturating_sub(node.span.start);
    if size > MAX_POLICY_BYTES {
        let msg = format!(
            "the policy document is {size} bytes, larger than any AWS accepts; iamsim reads at most {MAX_POLICY_BYTES} bytes"
        );
        return Err(doc.err(node, path, msg));
    }
    let members = doc.object(node, path, "a policy document", POLICY_KEYS)?;
    let mut version = None;
    for m in members {
        let p = path.key(&m.key);
        match m.key.as_str() {
            "Version" => {
                let v = doc.string(&m.node, &p, "Version")?;
                if v != VERSION_2012 && v != "2008-10-17" {
                    return Err(doc.err(
                        &m.node,
                        &p,
                        format!(
                            "invalid Version \"{v}\": only \"2012-10-17\" and \"2008-10-17\" exist"
                        ),
                    ));
                }
                version = Some(v.to_string());
            }
            "Id" => {
                doc.string(&m.node, &p, "Id")?;
            }
            _ => {}
        }
    }
    let variables = version.as_deref() == Some(VERSION_2012);
    let Some(stmt_node) = node.get("Statement") else {
        return Err(doc.err(node, path, "the policy has no Statement"));
    };
    let sp = path.key("Statement");
    let nodes: Vec<&Node> = match &stmt_node.value {
        Value::Array(items) if items.is_empty() => {
            return Err(doc.err(
                stmt_node,
                &sp,
                "Statement is an empty list: a policy needs at least one statement",
            ));
        }
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![stmt_node],
        _ => {
            return Err(doc.err(
                stmt_node,
                &sp,
                format!(
                    "Statement must be an object or a list of objects, found {}",
                    stmt_node.kind_name()
                ),
            ));
        }
    };
    let single = matches!(stmt_node.value, Value::Object(_));
    let mut statements = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.into_iter().enumerate() {
        let ip = sp.index(i);
        let p = if single { sp } else { ip };
        statements.push(statement(doc, n, &p, i, kind, variables)?);
    }
    if matches!(kind, PolicyKind::Scp | PolicyKind::Rcp) {
        for (i, s) in statements.iter().enumerate() {
            let dup = s.sid.as_ref().filter(|sid| {
                statements
                    .iter()
                    .take(i)
                    .any(|o| o.sid.as_ref() == Some(sid))
            });
            if let Some(sid) = dup {
                return Err(doc.err(
                    stmt_node,
                    &sp,
                    format!(
                        "Sid \"{sid}\" is used twice: {} Sids must be unique",
                        kind.label()
                    ),
                ));
            }
        }
    }
    Ok(Policy::new(version, statements))
}

fn statement(
    doc: &Doc,
    node: &Node,
    path: &JsonPath<'_>,
    index: usize,
    kind: PolicyKind,
    variables: bool,
) -> Result<Statement, Diagnostic> {
    doc.object(node, path, "a statement", STATEMENT_KEYS)?;
    let field = |k: &str| node.get(k);
    let mut sid = None;
    if let Some(n) = field("Sid") {
        let p = path.key("Sid");
        let s = doc.string(n, &p, "Sid")?;
        let strict = !matches!(
            kind,
            PolicyKind::Bucket | PolicyKind::Key | PolicyKind::Resource
        );
        if strict && !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(doc.err(
                n,
                &p,
                format!("Sid \"{s}\" must be alphanumeric ([A-Za-z0-9]) in an IAM policy"),
            ));
        }
        sid = Some(s.to_string());
    }
    let effect =
        match field("Effect") {
            None => return Err(doc.err(node, path, "the statement has no Effect")),
            Some(n) => {
                let p = path.key("Effect");
                match doc.string(n, &p, "Effect")? {
                    "Allow" => Effect::Allow,
                    "Deny" => Effect::Deny,
                    other => return Err(doc.err(
                        n,
                        &p,
                        format!(
                            "invalid Effect \"{other}\": it must be exactly \"Allow\" or \"Deny\""
                        ),
                    )),
                }
            }
        };
    let actions = match (field("Action"), field("NotAction")) {
        (Some(_), Some(_)) => {
            return Err(doc.err(node, path, "the statement has both Action and NotAction"));
        }
        (None, None) => {
            return Err(doc.err(node, path, "the statement has neither Action nor NotAction"));
        }
        (Some(n), None) => action_set(doc, n, &path.key("Action"), false)?,
        (None, Some(n)) => action_set(doc, n, &path.key("NotAction"), true)?,
    };
    let resources = match (field("Resource"), field("NotResource")) {
        (Some(_), Some(_)) => {
            return Err(doc.err(
                node,
                path,
                "the statement has both Resource and NotResource",
            ));
        }
        (Some(_), _) | (_, Some(_)) if kind == PolicyKind::Trust => {
            return Err(doc.err(
                node,
                path,
                "a trust policy cannot have Resource or NotResource (the role is the resource)",
            ));
        }
        (None, None) if kind == PolicyKind::Trust => None,
        (None, None) => {
            return Err(doc.err(
                node,
                path,
                "the statement has neither Resource nor NotResource",
            ));
        }
        (Some(n), None) => Some(resource_set(
            doc,
            n,
            &path.key("Resource"),
            false,
            variables,
        )?),
        (None, Some(n)) => Some(resource_set(
            doc,
            n,
            &path.key("NotResource"),
            true,
            variables,
        )?),
    };
    let principals = match (field("Principal"), field("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(doc.err(
                node,
                path,
                "the statement has both Principal and NotPrincipal",
            ));
        }
        (Some(_), _) | (_, Some(_)) if !kind.is_resource_based() => {
            return Err(doc.err(
                node,
                path,
                format!("{} should not specify a principal (Principal and NotPrincipal belong in resource-based policies)", kind.a_label()),
            ));
        }
        (None, None) if kind.is_resource_based() => {
            return Err(doc.err(
                node,
                path,
                format!("a statement of {} needs a Principal", kind.a_label()),
            ));
        }
        (None, None) => None,
        (Some(n), None) => Some(principal_set(doc, n, &path.key("Principal"), false)?),
        (None, Some(n)) => {
            let p = path.key("NotPrincipal");
            if matches!(kind, PolicyKind::Trust | PolicyKind::Rcp) {
                return Err(doc.err(
                    n,
                    &p,
                    format!("NotPrincipal is not allowed in {}", kind.a_label()),
                ));
            }
            Some(principal_set(doc, n, &p, true)?)
        }
    };
    if kind == PolicyKind::Rcp
        && principals
            .as_ref()
            .is_some_and(|p| p.entries != [PrincipalEntry::Any])
    {
        return Err(doc.err(node, path, "an RCP statement's Principal must be \"*\""));
    }
    let conditions = match field("Condition") {
        None => Vec::new(),
        Some(n) => conditions(doc, n, &path.key("Condition"), variables)?,
    };
    Ok(Statement {
        sid,
        index,
        effect,
        actions,
        resources,
        principals,
        conditions,
        origin: Origin {
            source: doc.source,
            span: node.span,
        },
    })
}

fn action_set(
    doc: &Doc,
    node: &Node,
    path: &JsonPath<'_>,
    negated: bool,
) -> Result<ActionSet, Diagnostic> {
    let patterns = doc
        .string_list(node, path, "an action")?
        .into_iter()
        .map(|(s, n)| ActionPattern::compile(s).map_err(|e| doc.err(n, path, e)))
        .collect::<Result<_, _>>()?;
    Ok(ActionSet { negated, patterns })
}

fn resource_set(
    doc: &Doc,
    node: &Node,
    path: &JsonPath<'_>,
    negated: bool,
    variables: bool,
) -> Result<ResourceSet, Diagnostic> {
    let patterns = doc
        .string_list(node, path, "a resource")?
        .into_iter()
        .map(|(s, n)| {
            if s == "*" {
                return Ok(ResourcePattern::Any);
            }
            ArnPattern::compile(s, variables)
                .map(ResourcePattern::Arn)
                .map_err(|e| {
                    doc.err(
                        n,
                        path,
                        format!("{e} (a resource must be in ARN format or \"*\")"),
                    )
                })
        })
        .collect::<Result<_, _>>()?;
    Ok(ResourceSet { negated, patterns })
}

fn principal_set(
    doc: &Doc,
    node: &Node,
    path: &JsonPath<'_>,
    negated: bool,
) -> Result<PrincipalSet, Diagnostic> {
    if node.as_str() == Some("*") {
        return Ok(PrincipalSet {
            negated,
            entries: vec![PrincipalEntry::Any],
        });
    }
    let members = doc.object(
        node,
        path,
        "a principal (\"*\" or an object)",
        PRINCIPAL_KEYS,
    )?;
    let mut entries = Vec::new();
    for m in members {
        let p = path.key(&m.key);
        for (s, n) in doc.string_list(&m.node, &p, "a principal")? {
            let entry = match m.key.as_str() {
                "AWS" => PrincipalEntry::parse_aws(s).map_err(|e| doc.err(n, &p, e))?,
                _ if s == "*" && m.key == "Service" => PrincipalEntry::Other("Service:*".into()),
                _ if s.is_empty() || s.contains('*') => {
                    return Err(doc.err(n, &p, format!("invalid {} principal \"{s}\"", m.key)));
                }
                key => PrincipalEntry::Other(format!("{key}:{s}")),
            };
            entries.push(entry);
        }
    }
    if entries.is_empty() {
        return Err(doc.err(node, path, "the principal names no one"));
    }
    Ok(PrincipalSet { negated, entries })
}

fn conditions(
    doc: &Doc,
    node: &Node,
    path: &JsonPath<'_>,
    variables: bool,
) -> Result<Vec<Condition>, Diagnostic> {
    let mut out = Vec::new();
    for op in doc.map(node, path, "Condition")? {
        let op_path = path.key(&op.key);
        let name = condition::parse_operator(&op.key).ok_or_else(|| {
            doc.err_key(
                op,
                &op_path,
                format!(
                    "unknown condition operator \"{}\" (operator names are case-sensitive)",
                    op.key
                ),
            )
        })?;
        for key in doc.map(&op.node, &op_path, "a condition operator's block")? {
            let key_path = op_path.key(&key.key);
            if !key
                .key
                .split_once(':')
                .is_some_and(|(pre, rest)| !pre.is_empty() && !rest.is_empty())
            {
                return Err(doc.err_key(
                    key,
                    &key_path,
                    format!(
                        "condition key \"{}\" must be written prefix:name (e.g. aws:SourceIp)",
                        key.key
                    ),
                ));
            }
            let values = condition_values(doc, &key.node, &key_path)?;
            let test = condition::compile_test(name.family, &values, variables)
                .map_err(|e| doc.err(&key.node, &key_path, e))?;
            out.push(Condition {
                operator: op.key.clone(),
                key: key.key.clone(),
                key_lower: key.key.to_ascii_lowercase(),
                values,
                test,
                negated: name.negated,
                if_exists: name.if_exists,
                set: name.set,
            });
        }
    }
    Ok(out)
}

fn condition_values(
    doc: &Doc,
    node: &Node,
    path: &JsonPath<'_>,
) -> Result<Vec<String>, Diagnostic> {
    let one = |n: &Node, p: &JsonPath<'_>| match &n.value {
        Value::String(s) | Value::Number(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(doc.err(
            n,
            p,
            format!(
                "a condition value must be a string, number or boolean, found {}",
                n.kind_name()
            ),
        )),
    };
    match &node.value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let p = path.index(i);
                one(n, &p)
            })
            .collect(),
        _ => one(node, path).map(|v| vec![v]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{SourceId, Sources};
    use crate::json;

    fn compile_text(text: &str, kind: PolicyKind) -> Result<Policy, String> {
        let mut sources = Sources::new();
        let id = sources.add("p.json", text);
        let node = json::parse(text).map_err(|e| e.message)?;
        compile(&Doc { source: id }, &node, &JsonPath::ROOT, kind).map_err(|d| d.render(&sources))
    }

    fn err(text: &str, kind: PolicyKind) -> String {
        compile_text(text, kind).expect_err("expected an error")
    }

    #[test]
    fn compiles_a_typical_policy() {
        let p = compile_text(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"A1","Effect":"Allow","Action":["s3:Get*"],
                "Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"Bool":{"aws:SecureTransport":true}}}}"#,
            PolicyKind::Identity,
        )
        .unwrap();
        assert_eq!(p.statements.len(), 1);
        assert_eq!(
            p.statements[0].conditions[0].values,
            vec!["true".to_string()]
        );
        let _ = SourceId(0);
    }

    #[test]
    fn rejects_what_iam_rejects_with_location() {
        let e = err(
            "{\"Version\":\"2012-10-17\",\n \"Statement\":[{\"Effect\":\"allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
            PolicyKind::Identity,
        );
        assert!(
            e.starts_with("p.json:2:25: error: invalid Effect \"allow\""),
            "{e}"
        );
        assert!(e.contains("at $.Statement[0].Effect"), "{e}");
        let cases = [
            (r#"{"Statement":[]}"#, "empty list"),
            (
                r#"{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
                "invalid Version",
            ),
            (r#"{"Statements":[]}"#, "unknown key \"Statements\""),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*"}}"#,
                "neither Resource",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}}"#,
                "both Action and NotAction",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}}"#,
                "should not specify a principal",
            ),
            (
                r#"{"Statement":{"Sid":"a-b","Effect":"Allow","Action":"*","Resource":"*"}}"#,
                "alphanumeric",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringEquals":{"aws:x":"a"}}}}"#,
                "unknown condition operator",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"username":"a"}}}}"#,
                "prefix:name",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:x":null}}}}"#,
                "found null",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket/*"}}"#,
                "ARN format",
            ),
        ];
        for (text, want) in cases {
            let e = err(text, PolicyKind::Identity);
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn resource_policies_need_principals_and_trust_policies_no_resource() {
        let no_principal = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        assert!(err(no_principal, PolicyKind::Bucket).contains("needs a Principal"));
        let with_resource = r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}"#;
        assert!(
            err(with_resource, PolicyKind::Trust).contains("trust policy cannot have Resource")
        );
        let wildcard = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/*"},"Action":"s3:*","Resource":"*"}}"#;
        assert!(err(wildcard, PolicyKind::Bucket).contains("invalid principal"));
        let sid_with_spaces = r#"{"Statement":{"Sid":"Allow get requests","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#;
        assert!(compile_text(sid_with_spaces, PolicyKind::Bucket).is_ok());
    }

    /// Registers `text` as `name` and compiles it as an identity policy.
    fn compile_in(sources: &mut Sources, name: &str, text: &str) -> Policy {
        let id = sources.add(name, text);
        let node = json::parse(text).unwrap();
        compile(
            &Doc { source: id },
            &node,
            &JsonPath::ROOT,
            PolicyKind::Identity,
        )
        .unwrap()
    }

    #[test]
    fn statements_remember_where_they_were_written_but_compare_without_it() {
        let mut sources = Sources::new();
        let text = "{\"Statement\": [\n  {\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"},\n    {\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}";
        let p = compile_in(&mut sources, "w.json", text);
        let at: Vec<_> = p
            .statements
            .iter()
            .map(|s| s.origin.render(&sources))
            .collect();
        assert_eq!(
            at,
            vec![
                Some("w.json:2:3".to_string()),
                Some("w.json:3:5".to_string())
            ]
        );
        // The same statements written elsewhere, on one line: equal.
        let moved = "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}";
        assert_eq!(p, compile_in(&mut sources, "v.json", moved));
        // The near miss: one action differs, and the statements do not.
        let changed = moved.replace("s3:GetObject", "s3:GetObjectAcl");
        let r = compile_in(&mut sources, "u.json", &changed);
        assert_ne!(p.statements.first(), r.statements.first());
        assert_eq!(p.statements.get(1), r.statements.get(1));
    }

    #[test]
    fn variables_only_under_2012() {
        let p = compile_text(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}"#,
            PolicyKind::Identity,
        )
        .unwrap();
        let Some(ResourceSet { patterns, .. }) = &p.statements[0].resources else {
            panic!()
        };
        assert_eq!(patterns.len(), 1);
        assert!(err(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username"}}"#, PolicyKind::Identity).contains("missing '}'"));
    }
}
