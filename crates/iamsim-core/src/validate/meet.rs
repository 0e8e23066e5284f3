//! Parts of a statement that cannot meet, by the service authorization
//! reference: actions and resources of no common type (an object action
//! on bucket ARNs), and a service condition key that none of the
//! statement's actions of that service supports (`s3:prefix` on
//! `s3:GetObject`).

use super::{Out, Rule, StatementAt};
use crate::catalog::{ArnTypes, Catalog, Service};
use crate::json::Value;
use crate::policy::action::NamePattern;
use crate::policy::{ActionPattern, RequestAction, Statement};

/// Visits the actions of a statement as `(service, lower-cased name)`,
/// in order, until `visit` returns true. `None` when the statement may
/// cover actions the reference does not list (`*`, `NotAction`, an unknown
/// service or action) and `visit` did not stop before; else whether it
/// stopped.
fn visit_actions(st: &Statement, mut visit: impl FnMut(&str, &str) -> bool) -> Option<bool> {
    if st.actions.negated {
        return None;
    }
    let c = Catalog::get();
    for p in &st.actions.patterns {
        let ActionPattern::Service { service, name } = p else {
            return None;
        };
        let s = c.service(service)?;
        match name {
            NamePattern::Exact(n) if s.has_action(n) => {
                if visit(service, n) {
                    return Some(true);
                }
            }
            NamePattern::Exact(_) => return None,
            NamePattern::Any | NamePattern::Glob(_) => {
                for lower in s.lower_action_names() {
                    let request = RequestAction {
                        service,
                        name: lower,
                    };
                    if p.matches(&request) && visit(service, lower) {
                        return Some(true);
                    }
                }
            }
        }
    }
    Some(false)
}

/// The actions of a statement as `(service, lower-cased name)`; `None`
/// when it may cover actions the reference does not list.
fn actions(st: &Statement) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    visit_actions(st, |s, n| {
        out.push((s.to_string(), n.to_string()));
        false
    })?;
    Some(out)
}

/// An ARN of the same types as every ARN `pattern` matches: the pattern
/// itself without wildcards, and `arn:aws:s3:::BUCKET/x` for an S3
/// pattern whose bucket has none (`arn:aws:s3:::b/*`), which matches only
/// objects of that bucket, since bucket names hold no `/`. `None` when a
/// wildcard could reach other types.
fn representative(pattern: &str) -> Option<String> {
    if !pattern.starts_with("arn:") {
        return None;
    }
    if !super::arns::wild(pattern) {
        return Some(pattern.to_string());
    }
    let mut it = pattern.splitn(6, ':');
    let (_, partition, service, region, account, resource) = (
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    );
    let (bucket, _) = resource.split_once('/')?;
    (service == "s3"
        && region.is_empty()
        && account.is_empty()
        && !partition.is_empty()
        && !super::arns::wild(partition)
        && !bucket.is_empty()
        && !super::arns::wild(bucket))
    .then(|| format!("arn:{partition}:s3:::{bucket}/x"))
}

/// A finding when no action of the statement takes a resource of a type
/// its resources (ARNs without wildcards, or objects of a named bucket)
/// can be.
pub(super) fn lint_meeting(out: &mut Out, st: &Statement, at: StatementAt<'_>) {
    let Some(rn) = at.node.get("Resource") else {
        return;
    };
    let written: Vec<&str> = match &rn.value {
        Value::Array(items) => items.iter().filter_map(|n| n.as_str()).collect(),
        Value::String(s) => vec![s.as_str()],
        _ => return,
    };
    let Some(resources) = written
        .iter()
        .map(|r| representative(r))
        .collect::<Option<Vec<String>>>()
    else {
        return;
    };
    if resources.is_empty() {
        return;
    }
    let resources: Vec<&str> = resources.iter().map(String::as_str).collect();
    let c = Catalog::get();
    let takes = |action: &str, resource: &ArnTypes<'_>| {
        let types = c.action_types(action);
        types.is_empty() || types.iter().any(|t| resource.has(t))
    };
    // Most statements meet at their first action: stop there.
    let typed: Vec<ArnTypes<'_>> = resources.iter().map(|r| c.arn_types(r)).collect();
    let mut action = String::new();
    let met = visit_actions(st, |s, n| {
        action.clear();
        action.push_str(s);
        action.push(':');
        action.push_str(n);
        typed.iter().any(|r| takes(&action, r))
    });
    if met != Some(false) {
        return;
    }
    let Some(actions) = actions(st) else {
        return;
    };
    let named: Vec<String> = actions.iter().map(|(s, n)| format!("{s}:{n}")).collect();
    if named.is_empty() {
        return;
    }
    let mut kinds: Vec<String> = named
        .iter()
        .flat_map(|a| c.action_types(a))
        .map(|t| t.name.clone())
        .collect();
    kinds.sort();
    kinds.dedup();
    let is: Vec<String> = resources
        .iter()
        .flat_map(|r| c.types_of(r))
        .map(|t| t.name.clone())
        .collect();
    let is = if is.is_empty() {
        "of none of the reference's types".to_string()
    } else {
        format!("of type {}", is.join(", "))
    };
    // A bucket action on objects: the bucket; an object action on a
    // bucket: its objects.
    let suggestion = written
        .iter()
        .map(|r| format!("{r}/*"))
        .chain(
            written
                .iter()
                .filter_map(|r| r.strip_suffix("/*"))
                .map(str::to_string),
        )
        .find(|r| named.iter().any(|a| takes(a, &c.arn_types(r))));
    out.add(
        Rule::ActionResourceMismatch,
        (rn, format!("{}.Resource", at.path)),
        format!(
            "no action of this statement can meet its resources: the actions take resources of type {}, and the resources are {is}",
            kinds.join(", ")
        ),
        suggestion,
    );
}

/// The message when none of the statement's actions of `prefix` takes the
/// key; `None` when one does, or when the statement's actions cannot be
/// listed.
pub(super) fn key_for_no_action(
    st: &Statement,
    prefix: &str,
    service: &Service,
    key_lower: &str,
    key: &str,
) -> Option<String> {
    let def = service.key(key_lower)?;
    let taken = visit_actions(st, |s, n| {
        s.eq_ignore_ascii_case(prefix) && service.action_takes(n, def)
    })?;
    if taken {
        return None;
    }
    let own: Vec<String> = actions(st)?
        .into_iter()
        .filter(|(s, _)| s.eq_ignore_ascii_case(prefix))
        .map(|(_, n)| n)
        .collect();
    if own.is_empty() {
        return None;
    }
    let names: Vec<String> = own
        .iter()
        .take(3)
        .map(|n| {
            let written = service.written_name(n).unwrap_or(n);
            format!("{prefix}:{written}")
        })
        .collect();
    let more = if own.len() > 3 {
        format!(" and {} more", own.len() - 3)
    } else {
        String::new()
    };
    Some(format!(
        "{key} is not a condition key of {}{more} in the service reference: requests for them never carry it",
        names.join(", ")
    ))
}
