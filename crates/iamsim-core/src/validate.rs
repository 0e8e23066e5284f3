//! What `iamsim validate` finds in a compiled policy beyond what compiling
//! rejects: each [`Finding`] names its [`Rule`] (a stable id, a level and
//! the AWS page it follows), where it is, and a did-you-mean suggestion
//! where one exists. Errors (what AWS rejects) come from compiling; these
//! come after, from the compiled policy and its JSON.

mod arns;
mod meet;
pub mod rules;

pub use rules::{Level, Rule};

use crate::catalog::Catalog;
use crate::catalog::check::{suggest_action, suggest_key};
use crate::diag::{Diagnostic, Location, SourceId, member_path};
use crate::json::{Node, Value};
use crate::policy::action::NamePattern;
use crate::policy::parse::VERSION_2012;
use crate::policy::{
    ActionPattern, Effect, Policy, PolicyKind, PrincipalEntry, ResourcePattern, Statement,
};

/// One finding: its rule, where it is and what is wrong, and what was
/// probably meant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule, which gives the level and the page.
    pub rule: Rule,
    /// Where and what.
    pub diagnostic: Diagnostic,
    /// A name that was probably meant (`aws:RequestedRegion`), or a fix.
    pub suggestion: Option<String>,
}

impl Finding {
    /// A finding of `rule` without suggestion.
    pub fn new(rule: Rule, diagnostic: Diagnostic) -> Finding {
        Finding {
            rule,
            diagnostic,
            suggestion: None,
        }
    }

    /// Its level, the rule's.
    pub fn level(&self) -> Level {
        self.rule.level()
    }
}

/// Collects the findings of one policy text.
struct Out {
    source: SourceId,
    findings: Vec<Finding>,
}

impl Out {
    fn add(
        &mut self,
        rule: Rule,
        at: (&Node, String),
        message: String,
        suggestion: Option<String>,
    ) {
        self.add_span(rule, (at.0.span, at.1), message, suggestion);
    }

    fn add_span(
        &mut self,
        rule: Rule,
        (span, path): (crate::json::Span, String),
        message: String,
        suggestion: Option<String>,
    ) {
        self.findings.push(Finding {
            rule,
            diagnostic: Diagnostic {
                location: Some(Location {
                    source: self.source,
                    span,
                    path,
                }),
                message,
            },
            suggestion,
        });
    }
}

/// Lints one compiled policy; `node` is its JSON, `path` the JSON path of
/// that node (rendered), `source` the text it stands in.
pub fn lint_policy(
    source: SourceId,
    node: &Node,
    path: &str,
    policy: &Policy,
    kind: PolicyKind,
) -> Vec<Finding> {
    let mut out = Out {
        source,
        findings: Vec::new(),
    };
    if policy.version.is_none() {
        out.add(
            Rule::MissingVersion,
            (node, path.to_string()),
            "the policy has no Version, so it is read as 2008-10-17: policy variables stay literal text".into(),
            Some("add \"Version\": \"2012-10-17\"".into()),
        );
    }
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
    let mut sids: Vec<&str> = Vec::new();
    for (st, (sn, sp)) in policy.statements.iter().zip(&stmt_nodes) {
        let at = StatementAt { node: sn, path: sp };
        lint_actions(&mut out, st, at);
        lint_conditions(&mut out, st, at);
        arns::lint_resources(&mut out, at);
        meet::lint_meeting(&mut out, st, at);
        lint_grants(&mut out, st, at, kind);
        if !variables {
            let texts = ["Resource", "NotResource", "Condition"]
                .into_iter()
                .filter_map(|k| sn.get(k).map(|n| (k, n)));
            for (k, n) in texts {
                if contains_text(n, "${") {
                    out.add(Rule::VariableInOldVersion, (n, format!("{sp}.{k}")), "this policy has no Version 2012-10-17, so \"${...}\" is literal text, not a policy variable".into(), Some("add \"Version\": \"2012-10-17\"".into()));
                }
            }
        }
        if let Some(sid) = st.sid.as_deref().filter(|s| !s.is_empty()) {
            if sids.contains(&sid) {
                if let Some(n) = sn.get("Sid") {
                    out.add(
                        Rule::DuplicateSid,
                        (n, format!("{sp}.Sid")),
                        format!("Sid \"{sid}\" is used twice in this policy"),
                        None,
                    );
                }
            }
            sids.push(sid);
        }
    }
    out.findings
}

/// A statement's JSON and its rendered path.
#[derive(Clone, Copy)]
struct StatementAt<'a> {
    node: &'a Node,
    path: &'a str,
}

/// Unknown actions and services, and actions listed twice or covered by
/// a wildcard beside them.
fn lint_actions(out: &mut Out, st: &Statement, at: StatementAt<'_>) {
    let key = if st.actions.negated {
        "NotAction"
    } else {
        "Action"
    };
    let Some(an) = at.node.get(key) else {
        return;
    };
    let catalog = Catalog::get();
    for (i, p) in st.actions.patterns.iter().enumerate() {
        // The path is written only for a finding.
        let node = element_node(an, i);
        let n = || element(an, &format!("{}.{key}", at.path), i);
        if let Some((rule, msg, suggestion)) = unknown_action(catalog, p, node) {
            out.add(rule, n(), msg, suggestion);
        }
        let covered = st
            .actions
            .patterns
            .iter()
            .enumerate()
            .find(|&(j, q)| j != i && covers(q, p) && (j < i || !covers(p, q)));
        if let Some((j, _)) = covered {
            let by = element_node(an, j);
            out.add(
                Rule::RedundantAction,
                n(),
                format!(
                    "{} is already covered by {} in this statement",
                    text(an, i),
                    text(by, 0)
                ),
                Some("remove it".into()),
            );
        }
    }
}

/// The text of entry `i` of a string or list of strings.
fn text(n: &Node, i: usize) -> String {
    match &n.value {
        Value::Array(items) => items.get(i).and_then(Node::as_str).unwrap_or("").into(),
        _ => n.as_str().unwrap_or("").into(),
    }
}

/// True when every action `b` matches, `a` matches too.
fn covers(a: &ActionPattern, b: &ActionPattern) -> bool {
    match (a, b) {
        (ActionPattern::Any, _) => true,
        (ActionPattern::Service { .. }, ActionPattern::Any) => false,
        (
            ActionPattern::Service {
                service: sa,
                name: na,
            },
            ActionPattern::Service {
                service: sb,
                name: nb,
            },
        ) => {
            sa == sb
                && match (na, nb) {
                    (NamePattern::Any, _) => true,
                    (_, NamePattern::Any) => false,
                    (_, NamePattern::Exact(name)) => {
                        a.matches(&crate::policy::RequestAction { service: sb, name })
                    }
                    (NamePattern::Exact(_), NamePattern::Glob(_)) => false,
                    (NamePattern::Glob(x), NamePattern::Glob(y)) => x == y,
                }
        }
    }
}

/// Condition keys unknown to AWS or to the statement's actions.
fn lint_conditions(out: &mut Out, st: &Statement, at: StatementAt<'_>) {
    let catalog = Catalog::get();
    let services = action_services(st);
    for c in &st.conditions {
        let Some((prefix, _)) = c.key.split_once(':') else {
            continue;
        };
        let op_path = member_path(&format!("{}.Condition", at.path), &c.operator);
        let key_at = at
            .node
            .get("Condition")
            .and_then(|cn| cn.get(&c.operator))
            .and_then(Node::as_object)
            .and_then(|ms| ms.iter().find(|m| m.key == c.key))
            .map_or((at.node.span, at.path.to_string()), |m| {
                (m.key_span, member_path(&op_path, &c.key))
            });
        if prefix.eq_ignore_ascii_case("aws") {
            if catalog.global_key(&c.key_lower).is_none() {
                out.add_span(
                    Rule::UnknownGlobalConditionKey,
                    key_at,
                    format!(
                        "{} is not a global condition key, so no request carries it",
                        c.key
                    ),
                    suggest_key(&c.key, None),
                );
            }
            continue;
        }
        match catalog.service(prefix) {
            None => out.add_span(
                Rule::UnknownServiceConditionKey,
                key_at,
                format!(
                    "condition key {}: \"{prefix}\" is not a service prefix of AWS's service authorization reference",
                    c.key
                ),
                suggest_key(&c.key, None),
            ),
            Some(s) if !s.has_condition_key(&c.key_lower) => out.add_span(
                Rule::UnknownServiceConditionKey,
                key_at,
                format!(
                    "{} is not a condition key of {prefix} (AWS's service authorization reference)",
                    c.key
                ),
                suggest_key(&c.key, Some(s)),
            ),
            // A service may list another prefix's keys: STS lists
            // iam:ResourceTag/* (the role's tags).
            Some(_)
                if !services.is_empty()
                    && !services.iter().any(|x| {
                        x.eq_ignore_ascii_case(prefix)
                            || catalog
                                .service(x)
                                .is_some_and(|s| s.key(&c.key_lower).is_some())
                    }) =>
            {
                out.add_span(
                    Rule::ConditionKeyOfOtherService,
                    key_at,
                    format!(
                        "{} is a condition key of {prefix}, but this statement's actions are of {}: requests to them never carry it",
                        c.key,
                        services.join(", ")
                    ),
                    None,
                );
            }
            Some(s) => {
                if let Some(message) = meet::key_for_no_action(st, prefix, s, &c.key_lower, &c.key) {
                    out.add_span(Rule::ConditionKeyNotForActions, key_at, message, None);
                }
            }
        }
    }
}

/// What a statement grants too widely: Allow with NotPrincipal,
/// iam:PassRole on `*`, a trust policy for anyone, an RCP Deny over a
/// whole service.
fn lint_grants(out: &mut Out, st: &Statement, at: StatementAt<'_>, kind: PolicyKind) {
    let (sn, sp) = (at.node, at.path);
    if st.effect == Effect::Allow && st.principals.as_ref().is_some_and(|p| p.negated) {
        if let Some(n) = sn.get("NotPrincipal") {
            out.add(Rule::AllowWithNotPrincipal, (n, format!("{sp}.NotPrincipal")), "Allow with NotPrincipal grants to everyone not listed, anonymous callers included; AWS advises against it".into(), None);
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
            out.add(
                Rule::PassRoleWithStar,
                (n, format!("{sp}.Resource")),
                "iam:PassRole on \"*\" lets the caller hand any role of the account to a service"
                    .into(),
                Some("name the roles".into()),
            );
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
            out.add(
                Rule::TrustAnyPrincipal,
                (n, format!("{sp}.Principal")),
                "the trust policy lets any principal of any account assume the role (conditions aside)"
                    .into(),
                None,
            );
        }
    }
    if kind == PolicyKind::Rcp && st.effect == Effect::Deny && st.conditions.is_empty() {
        if let Some(service) = whole_service(st) {
            let key = if st.actions.negated {
                "NotAction"
            } else {
                "Action"
            };
            let n = sn.get(key).unwrap_or(sn);
            out.add(
                Rule::RcpDenyWholeService,
                (n, format!("{sp}.{key}")),
                format!("this RCP denies every {service} on the resources of its accounts, from their own principals too, since it has no Condition"),
                Some("add a condition, such as aws:PrincipalOrgID or aws:SourceIp, that spares your own callers".into()),
            );
        }
    }
}

/// The service a Deny's actions cover whole (`s3:*`), if they cover one
/// that RCPs govern (`crate::eval::RCP_SERVICES`: an RCP has no effect on
/// the others); `*` covers them all.
fn whole_service(st: &Statement) -> Option<String> {
    if st.actions.negated {
        return None;
    }
    st.actions.patterns.iter().find_map(|p| match p {
        ActionPattern::Any => Some("request to a service RCPs govern".to_string()),
        ActionPattern::Service {
            service,
            name: NamePattern::Any,
        } if crate::eval::RCP_SERVICES.contains(&&**service) => Some(format!("{service} request")),
        ActionPattern::Service { .. } => None,
    })
}

/// The node of entry `i` of an element given as one string or a list,
/// with its path.
fn element<'n>(n: &'n Node, path: &str, i: usize) -> (&'n Node, String) {
    match &n.value {
        Value::Array(items) => items
            .get(i)
            .map_or((n, path.to_string()), |e| (e, format!("{path}[{i}]"))),
        _ => (n, path.to_string()),
    }
}

/// The node of entry `i` of an element given as one string or a list.
fn element_node(n: &Node, i: usize) -> &Node {
    match &n.value {
        Value::Array(items) => items.get(i).unwrap_or(n),
        _ => n,
    }
}

/// The rule, message and suggestion for an action the reference does not
/// have.
fn unknown_action(
    catalog: &Catalog,
    p: &ActionPattern,
    node: &Node,
) -> Option<(Rule, String, Option<String>)> {
    let ActionPattern::Service { service, name } = p else {
        return None;
    };
    let written = node.as_str().unwrap_or_default();
    let Some(s) = catalog.service(service) else {
        return Some((
            Rule::UnknownService,
            format!(
                "\"{service}\" is not a service prefix of AWS's service authorization reference ({})",
                catalog.source
            ),
            suggest_action(written),
        ));
    };
    match name {
        NamePattern::Any => None,
        NamePattern::Exact(n) if !s.has_action(n) => Some((
            Rule::UnknownAction,
            format!(
                "{written} is not an action of {service} (AWS's service authorization reference, {})",
                catalog.source
            ),
            suggest_action(written),
        )),
        NamePattern::Glob(toks) if !s.any_action_matches(toks) => Some((
            Rule::UnknownAction,
            format!("{written} matches no action of {service}"),
            None,
        )),
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

/// True when the SCPs of one level of the organization (as compiled)
/// allow nothing: no statement of any of them is an Allow, so every
/// request of the accounts under that level is denied
/// (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html>).
pub fn scp_level_allows_nothing(policies: &[&Policy]) -> bool {
    !policies
        .iter()
        .any(|p| p.statements.iter().any(|s| s.effect == Effect::Allow))
}

/// The compile error of each statement of a policy document compiled
/// alone (with the document's Version), each located in the document:
/// compiling stops at a document's first error, and a linter reports
/// every statement's.
pub fn statement_errors(doc: &crate::diag::Doc, node: &Node, kind: PolicyKind) -> Vec<Diagnostic> {
    let Some(Value::Array(items)) = node.get("Statement").map(|n| &n.value) else {
        return Vec::new();
    };
    let version = node
        .as_object()
        .and_then(|ms| ms.iter().find(|m| m.key == "Version"))
        .cloned();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let statement = crate::json::Member {
            key: "Statement".into(),
            key_span: item.span,
            node: Node {
                value: Value::Array(vec![item.clone()]),
                span: item.span,
            },
        };
        let alone = Node {
            value: Value::Object(version.clone().into_iter().chain([statement]).collect()),
            span: item.span,
        };
        let root = crate::diag::JsonPath::ROOT;
        if let Err(mut d) = crate::policy::parse::compile(doc, &alone, &root, kind) {
            if let Some(l) = &mut d.location {
                if let Some(rest) = l.path.strip_prefix("$.Statement[0]") {
                    l.path = format!("$.Statement[{i}]{rest}");
                }
            }
            out.push(d);
        }
    }
    out
}
