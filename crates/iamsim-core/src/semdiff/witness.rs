//! Witnesses: each finding of a semantic diff as one scenario object in
//! the scenario format, without `world` (README, "Formats"), and its
//! replay by the scenario runner, as `iamsim run --world W` plays it.
//!
//! The scenario's principal is the subject (a role ARN stands for its
//! session `iamsim`), then one `assume_role` step per role of the chain
//! (session name `iamsim`), then the request. The needs of each request go
//! into its step's `context`; the keys the diff fixes (`--context`) into
//! the scenario's, and `--region` into its `region`.

use super::Cause;
use super::Side as Which;
use super::reach::Access;
use crate::access::graph::SESSION_NAME;
use crate::access::open::Need;
use crate::diag::Sources;
use crate::eval::Outcome;
use crate::policy::Origin;
use crate::report::{MissRef, StatementRef};
use crate::request::Clock;
use crate::scenario::{
    Detail, Scenario, ScenarioFile, StepResult, params, parse_node, run_scenario,
};
use crate::world::{NoFiles, World};
use serde_json::{Map, Value, json};

/// The needs as a step's `context`: one value as a string, several as a
/// list (as the needs were decided); the first need of a key wins.
fn context_of<'a>(needs: impl Iterator<Item = &'a Need>) -> Map<String, Value> {
    let mut ctx = Map::new();
    for n in needs {
        if ctx.keys().any(|k| k.eq_ignore_ascii_case(&n.key)) {
            continue;
        }
        let v = match n.value.as_slice() {
            [one] => Value::String(one.clone()),
            many => Value::Array(many.iter().cloned().map(Value::String).collect()),
        };
        ctx.insert(n.key.clone(), v);
    }
    ctx
}

/// What a witness asks beyond its chain: the request and the keys the
/// diff fixes.
pub struct Request<'a> {
    /// The action.
    pub action: &'a str,
    /// The resource ARN, or `*`.
    pub resource: &'a str,
    /// For `*`, the account it stands for (`resource_account`).
    pub resource_account: Option<&'a str>,
    /// The keys the diff fixes, as the scenario's `context`.
    pub fixed: &'a crate::context::Context,
    /// The region the diff fixes.
    pub region: Option<&'a str>,
}

/// The parameters of an `assume_role` step that carry some of its needs
/// as a real `AssumeRole` call passes them: `sts:ExternalId` as
/// `external_id` (when STS would accept the value), `sts:SourceIdentity` as
/// `source_identity`, `aws:MultiFactorAuthPresent=true` as `"mfa": true`.
/// The other needs stay in the step's `context`.
fn assume_parameters<'a>(needs: &'a [Need], step: &mut Map<String, Value>) -> Vec<&'a Need> {
    let mut rest = Vec::new();
    for n in needs {
        let single = match n.value.as_slice() {
            [v] if n.to_match => Some(v.as_str()),
            _ => None,
        };
        let key = n.key.to_ascii_lowercase();
        match (key.as_str(), single) {
            ("sts:externalid", Some(v)) if params::external_id(v).is_ok() => {
                step.insert("external_id".into(), json!(v));
            }
            ("sts:sourceidentity", Some(v)) if params::source_identity(v).is_ok() => {
                step.insert("source_identity".into(), json!(v));
            }
            ("aws:multifactorauthpresent", Some(v)) if v.eq_ignore_ascii_case("true") => {
                step.insert("mfa".into(), json!(true));
            }
            _ => rest.push(n),
        }
    }
    rest
}

/// The scenario object that replays `access` of `principal`.
pub fn scenario(name: &str, principal: &str, access: &Access, r: &Request<'_>) -> Value {
    let mut steps = assume_steps(access);
    let mut last = Map::new();
    last.insert("action".into(), json!(r.action));
    last.insert("resource".into(), json!(r.resource));
    if let Some(a) = r.resource_account {
        last.insert("resource_account".into(), json!(a));
    }
    let ctx = context_of(access.request_needs.iter().flatten());
    if !ctx.is_empty() {
        last.insert("context".into(), Value::Object(ctx));
    }
    steps.push(Value::Object(last));
    wrap(name, principal, steps, r.fixed, r.region)
}

/// The scenario object in which `principal` only assumes the roles of
/// `via` in turn, with no needs: whether the chain itself is allowed.
pub fn chain_scenario(
    principal: &str,
    via: &[String],
    fixed: &crate::context::Context,
    region: Option<&str>,
) -> Value {
    let bare = Access {
        via: via.to_vec(),
        assume_needs: vec![Vec::new(); via.len()],
        request_needs: Vec::new(),
        reads: Vec::new(),
    };
    wrap("chain", principal, assume_steps(&bare), fixed, region)
}

/// One `assume_role` step per role of the access's chain, with the
/// needs of each.
fn assume_steps(access: &Access) -> Vec<Value> {
    let mut steps = Vec::new();
    for (role, needs) in access.via.iter().zip(&access.assume_needs) {
        let mut step = Map::new();
        step.insert("assume_role".into(), json!(role));
        step.insert("session_name".into(), json!(SESSION_NAME));
        let rest = assume_parameters(needs, &mut step);
        let ctx = context_of(rest.into_iter());
        if !ctx.is_empty() {
            step.insert("context".into(), Value::Object(ctx));
        }
        steps.push(Value::Object(step));
    }
    steps
}

/// A scenario object of these steps, with the keys and the region the
/// diff fixes.
fn wrap(
    name: &str,
    principal: &str,
    steps: Vec<Value>,
    fixed: &crate::context::Context,
    region: Option<&str>,
) -> Value {
    let mut s = Map::new();
    s.insert("name".into(), json!(name));
    s.insert("principal".into(), json!(principal));
    let fixed: Map<String, Value> = fixed
        .entries()
        .map(|v| {
            let value = if v.multi {
                Value::Array(v.values.iter().cloned().map(Value::String).collect())
            } else {
                json!(v.values.first().cloned().unwrap_or_default())
            };
            (v.key.clone(), value)
        })
        .collect();
    if !fixed.is_empty() {
        s.insert("context".into(), Value::Object(fixed));
    }
    if let Some(region) = region {
        s.insert("region".into(), json!(region));
    }
    s.insert("steps".into(), Value::Array(steps));
    Value::Object(s)
}

/// A witness played in one world.
pub struct Replay {
    /// `allow`, or the decision of the first denied step; a principal or
    /// role the world lacks is denied there.
    pub outcome: Outcome,
    /// The steps that ran, explained.
    pub steps: Vec<StepResult>,
    /// Why it could not run at all (the world lacks its principal or a
    /// role), if so.
    pub absent: Option<String>,
    /// What an `indeterminate` outcome depends on (README, "What the
    /// decisions mean").
    pub depends_on: Vec<String>,
}

/// Plays a witness in a world, as `iamsim run --world W` does. An error is
/// a witness the scenario format refuses: a bug of the diff.
pub fn replay(world: &World, witness: &Value, clock: &Clock) -> Result<Replay, String> {
    let (parsed, sc) = parse(witness)?;
    match run_scenario(world, &parsed, &sc, clock, Detail::Explanations) {
        Ok(r) => Ok(Replay {
            outcome: r.outcome,
            steps: r.steps,
            absent: None,
            depends_on: r.depends_on,
        }),
        Err(d) => Ok(Replay {
            outcome: Outcome::ImplicitDeny,
            steps: Vec::new(),
            absent: Some(d.message),
            depends_on: Vec::new(),
        }),
    }
}

/// Whether a witness is allowed in a world, played as [`replay`] plays it
/// but on the fast path, without explanations.
pub fn allows(world: &World, witness: &Value, clock: &Clock) -> Result<bool, String> {
    let (parsed, sc) = parse(witness)?;
    Ok(run_scenario(world, &parsed, &sc, clock, Detail::Decisions)
        .is_ok_and(|r| r.outcome == Outcome::Allow))
}

/// A witness read as the scenario loader reads a file holding it.
fn parse(witness: &Value) -> Result<(ScenarioFile, Scenario), String> {
    let file = json!({ "scenarios": [witness] }).to_string();
    let mut sources = Sources::new();
    let id = sources.add("witness", file.clone());
    let node = crate::json::parse(&file).map_err(|e| e.message.clone())?;
    let mut parsed = parse_node(&mut sources, id, &node, &mut NoFiles, false).map_err(|errs| {
        errs.iter()
            .map(|d| d.render(&sources))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    if parsed.scenarios.is_empty() {
        return Err("the witness holds no scenario".into());
    }
    let sc = parsed.scenarios.remove(0);
    Ok((parsed, sc))
}

/// The gates whose statements grant (SCPs and RCPs only permit).
const GRANTING: [&str; 4] = [
    "resource-based policy",
    "identity-based policies",
    "permissions boundary",
    "session policy",
];

/// A cause from a statement an explanation names: `statement "Sid" of
/// inline policy "read" of arn:...` splits into statement and policy.
fn cause(
    side: Which,
    text: &str,
    (source, span): (crate::diag::SourceId, crate::json::Span),
    terraform: Option<&String>,
    sources: Option<&Sources>,
) -> Cause {
    let (statement, policy) = text
        .strip_prefix("statement ")
        .and_then(|t| t.split_once(" of "))
        .unwrap_or((text, ""));
    Cause {
        side,
        policy: policy.to_string(),
        statement: statement.to_string(),
        location: sources.and_then(|all| Origin { source, span }.render(all)),
        terraform: terraform.cloned(),
    }
}

/// A statement that did not apply because a condition was false, as a
/// cause: `#0 (condition Bool aws:MultiFactorAuthPresent not met)`.
fn unmet_cause(side: Which, m: &MissRef, sources: Option<&Sources>) -> Cause {
    let mut c = cause(side, &m.text, m.written, m.terraform.as_ref(), sources);
    if let Some(f) = &m.condition {
        c.statement = format!(
            "{} (condition {} {} not met)",
            c.statement, f.operator, f.key
        );
    }
    c
}

/// Gates that only follow from the others: their failure names no
/// statement of its own.
const CONSEQUENT: [&str; 2] = ["same-account rule", "cross-account rule"];

/// The statements that decide the difference between a witness allowed in
/// one world and denied in the other, at the step where they part (the
/// denied replay's last): the statements that granted that step's
/// requests where it is allowed; where it is denied, the statements of its
/// first denied request's failing gates, or the gate itself when none of
/// its statements allows. A world that lacks the principal or a role is
/// the cause on its side.
pub fn causes(
    allowed: (Which, &Replay),
    denied: (Which, &Replay),
    sources: Option<&Sources>,
) -> Vec<Cause> {
    let mut out: Vec<Cause> = Vec::new();
    let at = denied.1.steps.len().saturating_sub(1);
    let grants = |r: &Replay| -> Vec<StatementRef> {
        let step = r.steps.get(at).into_iter().flat_map(|s| &s.requests);
        step.flat_map(|t| &t.gates)
            .filter(|g| g.verdict == "pass" && GRANTING.contains(&g.gate.as_str()))
            .flat_map(|g| g.statements.iter().cloned())
            .collect()
    };
    // A statement that grants on both sides decides nothing.
    let both = grants(denied.1);
    for s in grants(allowed.1) {
        if !both.iter().any(|b| b.text == s.text) {
            out.push(cause(
                allowed.0,
                &s.text,
                s.written,
                s.terraform.as_ref(),
                sources,
            ));
        }
    }
    let side = denied.0;
    if let Some(why) = &denied.1.absent {
        out.push(Cause {
            side,
            policy: why.clone(),
            statement: String::new(),
            location: None,
            terraform: None,
        });
    }
    let requests = denied.1.steps.last().into_iter().flat_map(|s| &s.requests);
    if let Some(t) = requests.into_iter().find(|t| t.outcome != Outcome::Allow) {
        for g in t
            .gates
            .iter()
            .filter(|g| g.verdict == "fail" && !CONSEQUENT.contains(&g.gate.as_str()))
        {
            // Allow statements that would have applied but for a
            // condition (a Deny whose condition is false denies nothing).
            let unmet: Vec<&MissRef> = g
                .misses
                .iter()
                .filter(|m| m.condition.is_some() && m.effect == "Allow")
                .collect();
            for m in &unmet {
                out.push(unmet_cause(side, m, sources));
            }
            if g.statements.is_empty() && unmet.is_empty() {
                out.push(Cause {
                    side,
                    policy: g.gate.clone(),
                    statement: "no Allow".into(),
                    location: None,
                    terraform: None,
                });
            }
            out.extend(
                g.statements
                    .iter()
                    .map(|s| cause(side, &s.text, s.written, s.terraform.as_ref(), sources)),
            );
        }
    }
    out.dedup_by(|a, b| a.side == b.side && a.policy == b.policy && a.statement == b.statement);
    out
}
