//! The context classes of a semantic diff: for the open request keys
//! (crate::request::is_open) that matter to a request class, every
//! combination of absent and the values to try. The values tried for a key
//! are those the evaluator's absent-key check tries (crate::eval::absent):
//! each condition's own values made concrete, then a few generic ones,
//! from the conditions of both worlds' policies that the class may meet,
//! less those the key's type refuses, one per class of values the
//! conditions tell apart.

use crate::catalog::check::value;
use crate::condition::Condition;
use crate::context::{Context, Found, Lookup};
use crate::eval::absent::candidates;
use crate::request::is_open;
use crate::scenario::params;
use crate::semdiff::changes::ChangeSet;
use crate::world::{PolicyId, World};
use rustc_hash::FxHashMap;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What tells repeated tests apart cheaply: a condition's operator, key
/// and values as written, and the role whose trust policy holds it.
type TestKey<'w> = (&'w str, &'w str, &'w [String], Option<&'w str>);

/// A condition on an open key, with the role whose trust policy holds it,
/// if it is in one.
struct Test<'w> {
    condition: &'w Condition,
    trust_of: Option<&'w str>,
}

/// The conditions on each open key (lower-cased) that the question does
/// not fix, in both worlds, with the key as a policy writes it: what the
/// values to try are drawn from.
#[derive(Default)]
pub struct Trials<'w> {
    by_key: BTreeMap<String, (String, Vec<Test<'w>>)>,
    /// The values (lower-cased, each once) of those conditions that hold
    /// a policy variable (`${...}`).
    variables: Vec<String>,
}

impl<'w> Trials<'w> {
    /// The conditions of both worlds on the open keys the question does
    /// not fix; an after-world policy that says what the before world's
    /// says ([`ChangeSet::unchanged`]) is not read again.
    pub fn new(worlds: [&'w World; 2], fixed: &Context, set: &ChangeSet<'_>) -> Trials<'w> {
        let mut by_key: BTreeMap<String, (String, Vec<Test<'w>>)> = BTreeMap::new();
        // Thousands of policies repeat the same conditions, and the two
        // worlds hold mostly the same ones: each test is kept once (a
        // repeat adds no value to try and tells no values apart).
        let mut seen: FxHashMap<TestKey<'_>, Vec<&Condition>> = FxHashMap::default();
        let mut variables: Vec<String> = Vec::new();
        for (side, w) in worlds.into_iter().enumerate() {
            let trust_of: BTreeMap<usize, &str> = w
                .roles
                .values()
                .map(|r| (r.trust.0 as usize, r.arn.as_str()))
                .collect();
            for (i, entry) in w.policies.iter().enumerate() {
                let id = u32::try_from(i).map(PolicyId);
                if side == 1 && id.is_ok_and(|id| set.unchanged(id)) {
                    continue;
                }
                let conditions = entry.policy.statements.iter().flat_map(|st| &st.conditions);
                for c in conditions {
                    if !is_open(&c.key_lower) || fixed.lookup(&c.key_lower) != Found::Absent {
                        continue;
                    }
                    for v in c.values.iter().filter(|v| v.contains("${")) {
                        let v = v.to_ascii_lowercase();
                        if !variables.contains(&v) {
                            variables.push(v);
                        }
                    }
                    let trust_of = trust_of.get(&i).copied();
                    let same = seen
                        .entry((&c.operator, &c.key, &c.values, trust_of))
                        .or_default();
                    if same.contains(&c) {
                        continue;
                    }
                    same.push(c);
                    by_key
                        .entry(c.key_lower.clone())
                        .or_insert_with(|| (c.key.clone(), Vec::new()))
                        .1
                        .push(Test {
                            condition: c,
                            trust_of,
                        });
                }
            }
        }
        Trials { by_key, variables }
    }

    /// The values to try for a key (any case) on a request class whose
    /// chains may meet the trust policies of `roles` (ARNs): the key as
    /// written, then one value per class of values that its conditions
    /// tell apart ([`distinct`]), as the scenario format writes it (a
    /// string, or a one-element list for a multivalued key). A trust
    /// policy is read only on `sts:AssumeRole` of its role, so the
    /// conditions of other roles' trust policies are left out: the
    /// external ids of every role of a world would otherwise make more
    /// classes than can be tried.
    pub fn values(&self, key: &str, roles: &[&str]) -> Vec<(&str, Value)> {
        let lower = key.to_ascii_lowercase();
        let Some((written, tests)) = self.by_key.get(&lower) else {
            return Vec::new();
        };
        let conditions: Vec<&Condition> = tests
            .iter()
            .filter(|t| t.trust_of.is_none_or(|r| roles.contains(&r)))
            .map(|t| t.condition)
            .collect();
        let mut values: Vec<(String, bool)> = Vec::new();
        for c in &conditions {
            for v in candidates(c) {
                // A value the key's type refuses is no request AWS sees.
                if value(&c.key, std::slice::from_ref(&v), false).is_some() {
                    continue;
                }
                let tried = (v, c.set.is_some());
                if !values.contains(&tried) {
                    values.push(tried);
                }
            }
        }
        // A key a condition reads as a policy variable is told apart there
        // too: all its values are kept.
        let read = format!("${{{lower}}}");
        let variable = self.variables.iter().any(|v| v.contains(&read));
        if !variable {
            values = distinct(&lower, &conditions, &values);
        }
        values
            .into_iter()
            .map(|(v, multi)| {
                let value = if multi { json!([v]) } else { json!(v) };
                (written.as_str(), value)
            })
            .collect()
    }

    /// Every combination of the values to try of `keys` (any case) on a
    /// request class whose chains may meet the trust policies of `roles`,
    /// each key also absent, as (key as written, value) pairs: the context
    /// classes of a request class, fewest keys given first. `None` when
    /// they are more than [`MAX_CLASSES`]. A key with no value to try is
    /// only absent.
    pub fn combinations(
        &self,
        keys: &[String],
        roles: &[&str],
    ) -> Option<Vec<Vec<(String, Value)>>> {
        let mut out: Vec<Vec<(String, Value)>> = vec![Vec::new()];
        for key in keys {
            let values = self.values(key, roles);
            if out.len().saturating_mul(values.len() + 1) > MAX_CLASSES {
                return None;
            }
            let mut next = Vec::with_capacity(out.len() * (values.len() + 1));
            for combo in &out {
                next.push(combo.clone());
                for (written, v) in &values {
                    let mut c = combo.clone();
                    c.push(((*written).to_string(), v.clone()));
                    next.push(c);
                }
            }
            out = next;
        }
        out.sort_by_key(Vec::len);
        Some(out)
    }
}

/// One value of each class of `values` that the conditions on `key`
/// tell apart: two values for which every condition on the key, in both
/// worlds, is true alike or false alike are decided alike by every
/// statement, so only one is tried. A value a condition names is
/// preferred to the generic ones `iamsim`, then `true` and `false`
/// (crate::eval::absent::candidates), so that needs read as the policies
/// do.
fn distinct(
    key: &str,
    conditions: &[&Condition],
    values: &[(String, bool)],
) -> Vec<(String, bool)> {
    let rank = |v: &str| match v {
        "iamsim" => 1,
        "true" | "false" => 2,
        _ => 0,
    };
    let mut classes: Vec<(Vec<bool>, (String, bool))> = Vec::new();
    for (v, multi) in values {
        let mut ctx = Context::new();
        ctx.insert(key, vec![v.clone()], *multi);
        let class: Vec<bool> = conditions.iter().map(|c| c.eval(&ctx)).collect();
        match classes.iter_mut().find(|(c, _)| *c == class) {
            Some((_, kept)) if rank(v) < rank(&kept.0) => *kept = (v.clone(), *multi),
            Some(_) => {}
            None => classes.push((class, (v.clone(), *multi))),
        }
    }
    classes.into_iter().map(|(_, kept)| kept).collect()
}

/// The most context classes one request class is decided under; beyond,
/// it is indeterminate.
pub const MAX_CLASSES: usize = 64;

/// The keys, lower-cased and sorted, whose value would change the
/// decision of some request of a replay.
pub fn would_differ(r: &super::witness::Replay) -> Vec<String> {
    let mut out: Vec<String> = r
        .steps
        .iter()
        .flat_map(|s| &s.requests)
        .flat_map(|t| &t.would_differ)
        .map(|k| k.to_ascii_lowercase())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Sets a key in a witness: a global (`aws:`) key in its scenario-level
/// `context`, which reaches every step; a service's key (`sts:ExternalId`)
/// in the `context` of each step of that service (an `assume_role` step
/// is of `sts`), since the scenario format refuses a key where no request
/// carries it; an external id STS accepts is an `assume_role` step's
/// `external_id`.
pub fn set(witness: &mut Value, key: &str, value: Value) {
    let service = key
        .split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    if service == "aws" {
        insert(witness, key, value);
        return;
    }
    let steps = witness
        .get_mut("steps")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten();
    for step in steps {
        let of = if step.get("assume_role").is_some() {
            "sts".to_string()
        } else {
            let action = step.get("action").and_then(Value::as_str).unwrap_or("");
            action
                .split_once(':')
                .map(|(s, _)| s.to_ascii_lowercase())
                .unwrap_or_default()
        };
        if of != service {
            continue;
        }
        // An external id STS accepts is passed as a real call passes it.
        let id = value.as_str().filter(|v| params::external_id(v).is_ok());
        match (step.as_object_mut(), id) {
            (Some(obj), Some(id))
                if key.eq_ignore_ascii_case("sts:ExternalId")
                    && obj.contains_key("assume_role") =>
            {
                obj.insert("external_id".into(), json!(id));
            }
            _ => insert(step, key, value.clone()),
        }
    }
}

/// Sets a key in an object's `context`.
fn insert(node: &mut Value, key: &str, value: Value) {
    if let Some(obj) = node.as_object_mut() {
        let ctx = obj.entry("context").or_insert_with(|| json!({}));
        if let Some(ctx) = ctx.as_object_mut() {
            ctx.insert(key.to_string(), value);
        }
    }
}

/// A tried value as a need: `aws:SourceIp=192.0.2.0`.
pub fn text(key: &str, value: &Value) -> String {
    match value {
        Value::String(s) => format!("{key}={s}"),
        other => format!("{key}={other}"),
    }
}

/// Keys as a list in words.
pub fn list(keys: &[String]) -> String {
    if keys.is_empty() {
        "no key".into()
    } else {
        keys.join(", ")
    }
}
