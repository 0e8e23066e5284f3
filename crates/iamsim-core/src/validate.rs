//! Warnings about policies that AWS accepts but that are almost certainly
//! mistakes (issue "validate"): an action no service defines, a condition
//! key unknown to its service or to the statement's actions, `NotPrincipal`
//! with `Allow`, `iam:PassRole` on `*`, variables that stay literal text, a
//! role trusting `*`, repeated Sids. Errors (what AWS rejects) come from
//! compiling; these come after, from the compiled policy and its JSON.

use crate::catalog::Catalog;
use crate::diag::{Diagnostic, Location, SourceId};
use crate::json::{Node, Value};
use crate::policy::action::NamePattern;
use crate::policy::parse::VERSION_2012;
use crate::policy::{
    ActionPattern, Effect, Policy, PolicyKind, PrincipalEntry, ResourcePattern, Statement,
};

/// Lints one compiled policy; `node` is its JSON, `path` the JSON path of
/// that node (rendered), `source` the text it stands in.
pub fn lint_policy(
    source: SourceId,
    node: &Node,
    path: &str,
    policy: &Policy,
    kind: PolicyKind,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let warn = |out: &mut Vec<Diagnostic>, n: &Node, p: String, message: String| {
        out.push(Diagnostic {
            location: Some(Location {
                source,
                span: n.span,
                path: p,
            }),
            message,
        });
    };
    let stmt_nodes: Vec<(&Node, String)> = match node.get("Statement").map(|n| &n.value) {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, n)| (n, format!("{path}.Statement[{i}]")))
            .collect(),
        Some(_) => node
            .get("Statement")
            .map(|n| vec![(n, format!("{path}.Statement"))])
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let variables = policy.version.as_deref() == Some(VERSION_2012);
    let catalog = Catalog::get();
    let mut sids: Vec<&str> = Vec::new();
    for (st, (sn, sp)) in policy.statements.iter().zip(&stmt_nodes) {
        let action_key = if st.actions.negated {
            "NotAction"
        } else {
            "Action"
        };
        if let Some(an) = sn.get(action_key) {
            for (i, p) in st.actions.patterns.iter().enumerate() {
                let (n, ap) = element(an, &format!("{sp}.{action_key}"), i);
                if let Some(msg) = unknown_action(catalog, p) {
                    warn(&mut out, n, ap, msg);
                }
            }
        }
        let services = action_services(st);
        for c in &st.conditions {
            let Some((prefix, _)) = c.key.split_once(':') else {
                continue;
            };
            let at: (&Node, String) = sn
                .get("Condition")
                .and_then(|cn| cn.get(&c.operator))
                .map_or((*sn, sp.clone()), |on| {
                    (on, format!("{sp}.Condition.{}", c.operator))
                });
            if prefix.eq_ignore_ascii_case("aws") {
                continue;
            }
            match catalog.service(prefix) {
                None => warn(
                    &mut out,
                    at.0,
                    at.1,
                    format!(
                        "condition key {}: \"{prefix}\" is not a service prefix of AWS's service authorization reference",
                        c.key
                    ),
                ),
                Some(s) if !s.has_condition_key(&c.key_lower) => {
                    warn(
                        &mut out,
                        at.0,
                        at.1,
                        format!(
                            "{} is not a condition key of {prefix} (AWS's service authorization reference)",
                            c.key
                        ),
                    );
                }
                Some(_)
                    if !services.is_empty()
                        && !services.iter().any(|x| x.eq_ignore_ascii_case(prefix)) =>
                {
                    warn(
                        &mut out,
                        at.0,
                        at.1,
                        format!(
                            "{} is a condition key of {prefix}, but this statement's actions are of {}: requests to them never carry it",
                            c.key,
                            services.join(", ")
                        ),
                    );
                }
                Some(_) => {}
            }
        }
        if st.effect == Effect::Allow && st.principals.as_ref().is_some_and(|p| p.negated) {
            if let Some(n) = sn.get("NotPrincipal") {
                warn(&mut out, n, format!("{sp}.NotPrincipal"), "Allow with NotPrincipal grants to everyone not listed, anonymous callers included; AWS advises against it".into());
            }
        }
        if st.effect == Effect::Allow
            && passes_role(st)
            && st
                .resources
                .as_ref()
                .is_some_and(|r| !r.negated && r.patterns.contains(&ResourcePattern::Any))
        {
            if let Some(n) = sn.get("Resource") {
                warn(&mut out, n, format!("{sp}.Resource"), "iam:PassRole on \"*\" lets the caller hand any role of the account to a service; name the roles".into());
            }
        }
        if !variables {
            let texts = ["Resource", "NotResource", "Condition"]
                .into_iter()
                .filter_map(|k| sn.get(k).map(|n| (k, n)));
            for (k, n) in texts {
                if contains_text(n, "${") {
                    warn(&mut out, n, format!("{sp}.{k}"), "this policy has no Version 2012-10-17, so \"${...}\" is literal text, not a policy variable".into());
                }
            }
        }
        if kind == PolicyKind::Trust
            && st.effect == Effect::Allow
            && st
                .principals
                .as_ref()
                .is_some_and(|p| !p.negated && p.entries.contains(&PrincipalEntry::Any))
        {
            if let Some(n) = sn.get("Principal") {
                warn(&mut out, n, format!("{sp}.Principal"), "the trust policy lets any principal of any account assume the role (conditions aside)".into());
            }
        }
        if let Some(sid) = st.sid.as_deref().filter(|s| !s.is_empty()) {
            if sids.contains(&sid) {
                if let Some(n) = sn.get("Sid") {
                    warn(
                        &mut out,
                        n,
                        format!("{sp}.Sid"),
                        format!("Sid \"{sid}\" is used twice in this policy"),
                    );
                }
            }
            sids.push(sid);
        }
    }
    out
}

/// The node of entry `i` of an element given as one string or a list.
fn element<'n>(n: &'n Node, path: &str, i: usize) -> (&'n Node, String) {
    match &n.value {
        Value::Array(items) => items
            .get(i)
            .map_or((n, path.to_string()), |e| (e, format!("{path}[{i}]"))),
        _ => (n, path.to_string()),
    }
}

fn unknown_action(catalog: &Catalog, p: &ActionPattern) -> Option<String> {
    let ActionPattern::Service { service, name } = p else {
        return None;
    };
    let Some(s) = catalog.service(service) else {
        return Some(format!(
            "\"{service}\" is not a service prefix of AWS's service authorization reference ({})",
            catalog.source
        ));
    };
    match name {
        NamePattern::Any => None,
        NamePattern::Exact(n) if !s.has_action(n) => Some(format!(
            "{service}:{n} is not an action of {service} (AWS's service authorization reference, {})",
            catalog.source
        )),
        NamePattern::Glob(toks) if !s.any_action_matches(toks) => {
            Some(format!("this pattern matches no action of {service}"))
        }
        _ => None,
    }
}

/// The services a statement's actions belong to; empty when it may cover
/// any service (`*`, or NotAction).
fn action_services(st: &Statement) -> Vec<String> {
    if st.actions.negated {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for p in &st.actions.patterns {
        match p {
            ActionPattern::Any => return Vec::new(),
            ActionPattern::Service { service, .. } if !out.iter().any(|s| **s == **service) => {
                out.push(service.to_string())
            }
            ActionPattern::Service { .. } => {}
        }
    }
    out
}

fn passes_role(st: &Statement) -> bool {
    let pass = crate::policy::RequestAction {
        service: "iam",
        name: "passrole",
    };
    !st.actions.negated
        && st
            .actions
            .patterns
            .iter()
            .any(|p| p.matches(&pass) && *p != ActionPattern::Any)
}

fn contains_text(n: &Node, needle: &str) -> bool {
    match &n.value {
        Value::String(s) => s.contains(needle),
        Value::Array(items) => items.iter().any(|i| contains_text(i, needle)),
        Value::Object(members) => members.iter().any(|m| contains_text(&m.node, needle)),
        _ => false,
    }
}
