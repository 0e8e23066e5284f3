//! Compiled policies back to policy JSON, such that compiling the text
//! again gives the same policy (a property test holds us to it). Action
//! names come out lower-cased, as they were compiled.

use super::action::NamePattern;
use super::{
    ActionPattern, Effect, Policy, PrincipalEntry, PrincipalSet, ResourcePattern, Statement,
};
use crate::pattern::{self, Syntax};
use serde_json::{Map, Value, json};

/// The policy as JSON.
pub fn to_json(policy: &Policy) -> Value {
    let variables = policy.version.as_deref() == Some(super::parse::VERSION_2012);
    let mut out = Map::new();
    if let Some(v) = &policy.version {
        out.insert("Version".into(), json!(v));
    }
    let statements = policy
        .statements
        .iter()
        .map(|s| statement(s, variables))
        .collect();
    out.insert("Statement".into(), Value::Array(statements));
    Value::Object(out)
}

fn statement(s: &Statement, variables: bool) -> Value {
    let mut out = Map::new();
    if let Some(sid) = &s.sid {
        out.insert("Sid".into(), json!(sid));
    }
    out.insert(
        "Effect".into(),
        json!(if s.effect == Effect::Allow {
            "Allow"
        } else {
            "Deny"
        }),
    );
    let actions: Vec<String> = s.actions.patterns.iter().map(action).collect();
    out.insert(
        if s.actions.negated {
            "NotAction"
        } else {
            "Action"
        }
        .into(),
        json!(actions),
    );
    if let Some(r) = &s.resources {
        let resources: Vec<String> = r
            .patterns
            .iter()
            .map(|p| match p {
                ResourcePattern::Any => "*".to_string(),
                ResourcePattern::Arn(a) => a.to_text(variables),
            })
            .collect();
        out.insert(
            if r.negated { "NotResource" } else { "Resource" }.into(),
            json!(resources),
        );
    }
    if let Some(p) = &s.principals {
        out.insert(
            if p.negated {
                "NotPrincipal"
            } else {
                "Principal"
            }
            .into(),
            principals(p),
        );
    }
    if !s.conditions.is_empty() {
        // Condition values are kept as written, and compile back the same.
        let mut block: Map<String, Value> = Map::new();
        for c in &s.conditions {
            if let Value::Object(keys) =
                block.entry(c.operator.clone()).or_insert_with(|| json!({}))
            {
                keys.insert(c.key.clone(), json!(c.values));
            }
        }
        out.insert("Condition".into(), Value::Object(block));
    }
    Value::Object(out)
}

fn action(p: &ActionPattern) -> String {
    match p {
        ActionPattern::Any => "*".to_string(),
        ActionPattern::Service { service, name } => {
            let name = match name {
                NamePattern::Any => "*".to_string(),
                NamePattern::Exact(n) => n.to_string(),
                NamePattern::Glob(toks) => pattern::to_text(
                    toks,
                    Syntax {
                        wildcards: true,
                        variables: false,
                    },
                ),
            };
            format!("{service}:{name}")
        }
    }
}

fn principals(p: &PrincipalSet) -> Value {
    if p.entries == [PrincipalEntry::Any] {
        return json!("*");
    }
    let mut by_kind: Map<String, Value> = Map::new();
    for e in &p.entries {
        let (kind, value) = match e {
            PrincipalEntry::Any => ("AWS".to_string(), "*".to_string()),
            PrincipalEntry::Account(id) => ("AWS".to_string(), id.clone()),
            PrincipalEntry::User(a) | PrincipalEntry::Role(a) | PrincipalEntry::Session(a) => {
                ("AWS".to_string(), a.clone())
            }
            PrincipalEntry::Other(o) if o.starts_with("arn:") => ("AWS".to_string(), o.clone()),
            PrincipalEntry::Other(o) => match o.split_once(':') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => ("AWS".to_string(), o.clone()),
            },
        };
        if let Some(list) = by_kind
            .entry(kind)
            .or_insert_with(|| json!([]))
            .as_array_mut()
        {
            list.push(json!(value));
        }
    }
    Value::Object(by_kind)
}
