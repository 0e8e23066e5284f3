//! The brute-force oracle of the semantic diff (issue 12, "How to know it
//! is right"): it plays every question of a bounded universe, in both
//! worlds, through the scenario runner (what `iamsim run` does), and the
//! questions whose answer changed are the truth the diff must report.
//!
//! A question is a principal, an action and a resource under one context
//! of the universe; it is allowed in a world when some chain of up to
//! `max_chain` roles lets the principal make the request (the empty chain
//! included). Chains are extended only from chains the world allows, so
//! the search stays small without losing any.

use crate::support::{chains, play};
use iamsim_core::catalog::{Catalog, check};
use iamsim_core::diag::Sources;
use iamsim_core::eval::Outcome;
use iamsim_core::world::World;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// One context class: the request keys every request carries (file-level
/// `context`), and the external id passed to every STS request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ctx {
    /// Keys and values, e.g. `aws:MultiFactorAuthPresent` = `true`.
    pub keys: Vec<(String, String)>,
    /// `sts:ExternalId`, given on every AssumeRole and STS request.
    pub external_id: Option<String>,
}

/// What the oracle asks.
#[derive(Clone, Debug)]
pub struct Universe {
    /// Every subject, as a scenario names it.
    pub principals: Vec<String>,
    /// The roles chains may assume, by ARN.
    pub roles: Vec<String>,
    /// The most roles in one chain.
    pub max_chain: usize,
    /// (action, resource) pairs.
    pub requests: Vec<(String, String)>,
    /// The context classes.
    pub contexts: Vec<Ctx>,
}

/// Which way a question's answer changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flip {
    /// Denied before, allowed after, under some context.
    NewlyAllowed,
    /// Allowed before, denied after, under some context.
    NewlyDenied,
}

/// (principal, action, resource).
pub type Question = (String, String, String);

/// The flips of `before` → `after`: every (flip, question) that happens
/// under some context of the universe.
pub fn flips(
    sources: &mut Sources,
    before: &World,
    after: &World,
    u: &Universe,
) -> BTreeSet<(Flip, Question)> {
    let b = allowed(sources, before, u);
    let a = allowed(sources, after, u);
    let mut out = BTreeSet::new();
    for (_, q) in a.difference(&b) {
        out.insert((Flip::NewlyAllowed, q.clone()));
    }
    for (_, q) in b.difference(&a) {
        out.insert((Flip::NewlyDenied, q.clone()));
    }
    out
}

/// Every (context index, question) that some chain allows in `w`.
pub fn allowed(sources: &mut Sources, w: &World, u: &Universe) -> BTreeSet<(usize, Question)> {
    let mut out = BTreeSet::new();
    for (ci, ctx) in u.contexts.iter().enumerate() {
        for (p, chain) in reachable(sources, w, u, ctx) {
            let scenarios: Vec<Value> = u
                .requests
                .iter()
                .map(|(action, resource)| scenario(&p, &chain, Some((action, resource)), ctx))
                .collect();
            let outcomes = play(sources, w, &file(ctx, scenarios));
            for ((action, resource), o) in u.requests.iter().zip(outcomes) {
                if o == Outcome::Allow {
                    out.insert((ci, (p.clone(), action.clone(), resource.clone())));
                }
            }
        }
    }
    out
}

/// Every (principal, chain) the world allows under `ctx`, shortest first:
/// a chain is tried only when the chain one role shorter was allowed.
pub fn reachable(
    sources: &mut Sources,
    w: &World,
    u: &Universe,
    ctx: &Ctx,
) -> Vec<(String, Vec<String>)> {
    let mut ok: Vec<(String, Vec<String>)> = u
        .principals
        .iter()
        .map(|p| (p.clone(), Vec::new()))
        .collect();
    let all = chains(u.max_chain, u.roles.len());
    for len in 1..=u.max_chain {
        let tries: Vec<(String, Vec<String>)> = u
            .principals
            .iter()
            .flat_map(|p| {
                all.iter()
                    .filter(|c| c.len() == len)
                    .map(|c| (p.clone(), c.iter().map(|&r| u.roles[r].clone()).collect()))
            })
            .filter(|(p, c): &(String, Vec<String>)| {
                ok.iter()
                    .any(|(q, d)| q == p && d.as_slice() == &c[..c.len() - 1])
            })
            .collect();
        if tries.is_empty() {
            break;
        }
        let scenarios = tries
            .iter()
            .map(|(p, c)| scenario(p, c, None, ctx))
            .collect();
        let outcomes = play(sources, w, &file(ctx, scenarios));
        ok.extend(
            tries
                .into_iter()
                .zip(outcomes)
                .filter(|(_, o)| *o == Outcome::Allow)
                .map(|(t, _)| t),
        );
    }
    ok
}

/// A scenario: the principal assumes each role of the chain, then makes
/// the request, if any.
pub fn scenario(
    p: &str,
    chain: &[String],
    request: Option<(&String, &String)>,
    ctx: &Ctx,
) -> Value {
    let sts_context = || match &ctx.external_id {
        Some(id) => json!({"sts:ExternalId": id}),
        None => json!({}),
    };
    let mut steps: Vec<Value> = chain
        .iter()
        .map(|r| json!({"assume_role": r, "session_name": "iamsim", "context": sts_context()}))
        .collect();
    if let Some((action, resource)) = request {
        let mut step = json!({"action": action, "resource": resource});
        if action.starts_with("sts:") {
            step["context"] = sts_context();
        }
        steps.push(step);
    }
    json!({"name": "q", "principal": p, "steps": steps})
}

fn file(ctx: &Ctx, scenarios: Vec<Value>) -> Value {
    let context: Map<String, Value> = ctx
        .keys
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    json!({"context": context, "scenarios": scenarios})
}

/// Every action of the catalog that one of `patterns` (`service:Name`,
/// `*` and `?` wildcards, any case; `*` alone is refused as unbounded)
/// matches, as the reference writes it.
pub fn expand(patterns: &BTreeSet<String>) -> BTreeSet<String> {
    let catalog = Catalog::get();
    let mut out = BTreeSet::new();
    for p in patterns {
        let (prefix, name) = p
            .split_once(':')
            .unwrap_or_else(|| panic!("{p}: unbounded"));
        let service = catalog.service(prefix).unwrap();
        for a in service.action_names() {
            if glob(&name.to_ascii_lowercase(), &a.to_ascii_lowercase()) {
                out.insert(format!("{}:{a}", prefix.to_ascii_lowercase()));
            }
        }
    }
    out
}

/// Every (action, resource) of `actions` × `resources` whose resource is
/// of a type the action takes.
pub fn requests(actions: &BTreeSet<String>, resources: &[String]) -> Vec<(String, String)> {
    let catalog = Catalog::get();
    let mut out = Vec::new();
    for a in actions {
        for r in resources {
            if !catalog.action_types(a).is_empty() && check::resource(a, r).is_none() {
                out.push((a.clone(), r.clone()));
            }
        }
    }
    out
}

/// Every `Action` pattern of every statement of a world given as JSON.
pub fn action_patterns(world: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk(world, &mut |statement| {
        for a in one_or_many(statement.get("Action")) {
            out.insert(a);
        }
        assert!(
            statement.get("NotAction").is_none(),
            "NotAction is unbounded"
        );
    });
    out
}

/// The context classes of the condition keys a world given as JSON
/// tests: for each key, absent and each value the generator's conditions
/// flip on (`values`), and every combination of them.
pub fn contexts(worlds: &[&Value], values: &BTreeMap<&str, Vec<&str>>) -> Vec<Ctx> {
    let mut keys = BTreeSet::new();
    for w in worlds {
        walk(w, &mut |statement| {
            if let Some(Value::Object(ops)) = statement.get("Condition") {
                for cond in ops.values() {
                    if let Value::Object(k) = cond {
                        keys.extend(k.keys().cloned());
                    }
                }
            }
        });
    }
    let mut out = vec![Ctx::default()];
    for k in keys {
        let vals = values
            .get(k.as_str())
            .unwrap_or_else(|| panic!("no values for the condition key {k}"));
        out = out
            .into_iter()
            .flat_map(|c| {
                let mut v = vec![c.clone()];
                for val in vals {
                    let mut c = c.clone();
                    if k == "sts:ExternalId" {
                        c.external_id = Some((*val).to_string());
                    } else {
                        c.keys.push((k.clone(), (*val).to_string()));
                    }
                    v.push(c);
                }
                v
            })
            .collect();
    }
    out
}

fn one_or_many(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// Calls `f` on every statement object under a `Statement` key.
fn walk(v: &Value, f: &mut dyn FnMut(&Map<String, Value>)) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "Statement" {
                    match x {
                        Value::Array(a) => a.iter().filter_map(Value::as_object).for_each(&mut *f),
                        Value::Object(s) => f(s),
                        _ => {}
                    }
                } else {
                    walk(x, f);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, f)),
        _ => {}
    }
}

/// IAM's wildcard match: `*` any run, `?` one character.
pub fn glob(p: &str, s: &str) -> bool {
    match p.split_once('*') {
        None => p.len() == s.len() && p.chars().zip(s.chars()).all(|(a, b)| a == '?' || a == b),
        Some((head, rest)) => {
            s.len() >= head.len()
                && glob(head, &s[..head.len()])
                && (head.len()..=s.len()).any(|i| glob(rest, &s[i..]))
        }
    }
}
