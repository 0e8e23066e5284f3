//! Playing a scenario: the principal makes each step's request in turn; an
//! allowed `assume_role` step makes the caller the new session (role
//! chaining is several of them); the first denied step ends the scenario.

use super::{Expect, Scenario, SessionSetup, Step, StepKind};
use crate::context::Context;
use crate::diag::{Diagnostic, Location, SourceId};
use crate::eval::{self, Outcome, Request};
use crate::report::RequestTrace;
use crate::request::{Caller, Session, Target, base_context, resolve_target};
use crate::world::{Tags, User, World};
use jiff::Timestamp;

/// What one step decided: its requests (an `assume_role` step is
/// `sts:AssumeRole`, plus `sts:TagSession` and `sts:SetSourceIdentity`
/// when it passes tags or a source identity) and the step's decision.
#[derive(Clone, Debug)]
pub struct StepResult {
    /// The caller's ARN for this step.
    pub principal: String,
    /// Each request with its decision and explanation.
    pub requests: Vec<RequestTrace>,
    /// Allowed only if every request is; explicit deny wins.
    pub outcome: Outcome,
}

/// What a scenario decided, against what it expected.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    /// The scenario's name.
    pub name: String,
    /// What it expected.
    pub expect: Expect,
    /// `allow` if every step is allowed, else the first denied step's decision.
    pub outcome: Outcome,
    /// The index of the first denied step.
    pub denied_at: Option<usize>,
    /// The steps that ran (none after the first denial).
    pub steps: Vec<StepResult>,
    /// True when the outcome meets the expectation.
    pub pass: bool,
}

/// The principal as the scenario runs: who it is now.
enum Current<'w> {
    User(&'w User),
    Root { account: String, arn: String },
    Session(Session<'w>),
}

impl<'w> Current<'w> {
    fn caller(&self) -> Caller<'_> {
        match self {
            Current::User(u) => Caller::User(u),
            Current::Root { account, arn } => Caller::Root { account, arn },
            Current::Session(s) => Caller::Session(s),
        }
    }
}

struct Runner<'w, 's> {
    world: &'w World,
    source: SourceId,
    file_context: &'s Context,
    scenario: &'s Scenario,
    now: Timestamp,
}

impl Runner<'_, '_> {
    fn err(&self, node: &crate::json::Node, path: &str, message: String) -> Diagnostic {
        Diagnostic {
            location: Some(Location {
                source: self.source,
                span: node.span,
                path: path.to_string(),
            }),
            message,
        }
    }

    /// The context of a request: what AWS sets, then the file's, the
    /// scenario's and the step's context (later wins).
    fn context(&self, mut base: Context, step: &Step) -> Context {
        base.overlay(self.file_context);
        base.overlay(&self.scenario.context);
        base.overlay(&step.context);
        base
    }
}

/// Runs one scenario of a file whose source is `source`. Errors are bad
/// input (an unknown principal or role, a resource whose owner is unknown).
pub fn run_scenario(
    world: &World,
    source: SourceId,
    file_context: &Context,
    scenario: &Scenario,
    now: Timestamp,
) -> Result<ScenarioResult, Diagnostic> {
    let r = Runner {
        world,
        source,
        file_context,
        scenario,
        now,
    };
    let mut current = principal(&r)?;
    let mut steps = Vec::new();
    let mut outcome = Outcome::Allow;
    let mut denied_at = None;
    for (i, step) in scenario.steps.iter().enumerate() {
        let (result, next) = match &step.kind {
            StepKind::AssumeRole {
                role,
                session_name,
                external_id,
                setup,
            } => assume(
                &r,
                &current,
                step,
                role,
                session_name,
                external_id.as_deref(),
                setup,
            )?,
            StepKind::Action {
                action,
                resource,
                resource_account,
            } => {
                let caller = current.caller();
                let service = action
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let target = resolve_target(
                    world,
                    &service,
                    resource,
                    resource_account.as_deref(),
                    caller.account(),
                )
                .map_err(|e| r.err(&step.node, &step.path, e))?;
                let ctx = r.context(base_context(world, &caller, &target, now), step);
                let trace = decide(world, caller, action, &target, &ctx, false);
                (
                    StepResult {
                        principal: caller.arn().to_string(),
                        outcome: trace.outcome,
                        requests: vec![trace],
                    },
                    None,
                )
            }
        };
        let step_outcome = result.outcome;
        steps.push(result);
        if step_outcome != Outcome::Allow {
            outcome = step_outcome;
            denied_at = Some(i);
            break;
        }
        if let Some(session) = next {
            current = Current::Session(session);
        }
    }
    let pass = match scenario.expect {
        Expect::Allow => outcome == Outcome::Allow,
        Expect::Deny => outcome != Outcome::Allow,
        Expect::ImplicitDeny => outcome == Outcome::ImplicitDeny,
        Expect::ExplicitDeny => outcome == Outcome::ExplicitDeny,
    };
    Ok(ScenarioResult {
        name: scenario.name.clone(),
        expect: scenario.expect,
        outcome,
        denied_at,
        steps,
        pass,
    })
}

fn decide(
    world: &World,
    caller: Caller<'_>,
    action: &str,
    target: &Target<'_>,
    ctx: &Context,
    identity_required: bool,
) -> RequestTrace {
    let req = Request {
        caller,
        action,
        target,
        context: ctx,
        identity_required,
    };
    let d = eval::evaluate(world, &req);
    RequestTrace::new(caller.arn(), action, &target.arn, &d)
}

/// Explicit deny wins, then implicit deny, else allow.
fn combine(traces: &[RequestTrace]) -> Outcome {
    if traces.iter().any(|t| t.outcome == Outcome::ExplicitDeny) {
        Outcome::ExplicitDeny
    } else if traces.iter().any(|t| t.outcome != Outcome::Allow) {
        Outcome::ImplicitDeny
    } else {
        Outcome::Allow
    }
}

fn assume<'w>(
    r: &Runner<'w, '_>,
    current: &Current<'w>,
    step: &Step,
    role_arn: &str,
    session_name: &str,
    external_id: Option<&str>,
    setup: &SessionSetup,
) -> Result<(StepResult, Option<Session<'w>>), Diagnostic> {
    let world = r.world;
    let caller = current.caller();
    let role = world.roles.get(role_arn).ok_or_else(|| {
        r.err(
            &step.node,
            &step.path,
            format!("assume_role names {role_arn}, which is not a role of the world"),
        )
    })?;
    let target = resolve_target(world, "sts", role_arn, None, caller.account())
        .map_err(|e| r.err(&step.node, &step.path, e))?;
    let (inherited_tags, inherited_keys, carried_identity): (Tags, Vec<String>, Option<String>) =
        match current {
            Current::Session(s) => (
                s.tags
                    .iter()
                    .filter(|(k, _)| s.transitive_keys.iter().any(|t| t.eq_ignore_ascii_case(k)))
                    .cloned()
                    .collect(),
                s.transitive_keys.clone(),
                s.source_identity.clone(),
            ),
            _ => (Vec::new(), Vec::new(), None),
        };
    let principal = caller.arn().to_string();
    let refuse = |why: String| {
        let trace = RequestTrace::refused(&principal, "sts:AssumeRole", role_arn, why);
        Ok((
            StepResult {
                principal: principal.clone(),
                outcome: trace.outcome,
                requests: vec![trace],
            },
            None,
        ))
    };
    if let Some((k, _)) = setup
        .tags
        .iter()
        .find(|(k, _)| inherited_keys.iter().any(|t| t.eq_ignore_ascii_case(k)))
    {
        return refuse(format!(
            "session tag \"{k}\" is an inherited transitive tag of the calling session and cannot be set again (R31)"
        ));
    }
    let source_identity = match (&carried_identity, &setup.source_identity) {
        (Some(c), Some(p)) if c != p => {
            return refuse(format!(
                "the calling session's source identity \"{c}\" cannot be changed to \"{p}\" (R32)"
            ));
        }
        (c, p) => c.clone().or_else(|| p.clone()),
    };
    let mut base = base_context(world, &caller, &target, r.now);
    base.set("sts:RoleSessionName", session_name);
    if let Some(e) = external_id {
        base.set("sts:ExternalId", e);
    }
    if let Some(si) = &source_identity {
        base.set("sts:SourceIdentity", si.as_str());
    }
    for (k, v) in &setup.tags {
        base.set(&format!("aws:RequestTag/{k}"), v.as_str());
    }
    if !setup.tags.is_empty() {
        base.set_list(
            "aws:TagKeys",
            setup.tags.iter().map(|(k, _)| k.clone()).collect(),
        );
    }
    if !setup.transitive_keys.is_empty() {
        base.set_list("sts:TransitiveTagKeys", setup.transitive_keys.clone());
    }
    let ctx = r.context(base, step);
    let mut traces = vec![decide(
        world,
        caller,
        "sts:AssumeRole",
        &target,
        &ctx,
        false,
    )];
    // Tags passed, or transitive tags carried into the new session, need
    // sts:TagSession (R31, ambiguities A8).
    if !setup.tags.is_empty() || !inherited_tags.is_empty() {
        traces.push(decide(
            world,
            caller,
            "sts:TagSession",
            &target,
            &ctx,
            false,
        ));
    }
    // A source identity passed or carried needs sts:SetSourceIdentity; in a
    // role chain the caller's own policies must allow it too (R32, A3, A7).
    if source_identity.is_some() {
        let chained = matches!(current, Current::Session(_));
        traces.push(decide(
            world,
            caller,
            "sts:SetSourceIdentity",
            &target,
            &ctx,
            chained,
        ));
    }
    let outcome = combine(&traces);
    let next = (outcome == Outcome::Allow).then(|| {
        let mut s = Session::new(role, session_name);
        s.policy = setup.policy.clone();
        s.tags = inherited_tags;
        s.tags.extend(setup.tags.iter().cloned());
        s.transitive_keys = inherited_keys;
        s.transitive_keys
            .extend(setup.transitive_keys.iter().cloned());
        s.source_identity = source_identity;
        s.mfa = ctx
            .single("aws:MultiFactorAuthPresent")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        s
    });
    Ok((
        StepResult {
            principal,
            requests: traces,
            outcome,
        },
        next,
    ))
}

fn principal<'w>(r: &Runner<'w, '_>) -> Result<Current<'w>, Diagnostic> {
    let sc = r.scenario;
    let arn = sc.principal.as_str();
    let node = sc.node.get("principal").unwrap_or(&sc.node);
    let path = format!("{}.principal", sc.path);
    let err = |m: String| r.err(node, &path, m);
    let s = &sc.session;
    let has_setup =
        s.policy.is_some() || !s.tags.is_empty() || s.source_identity.is_some() || s.mfa;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let (service, account, res) = match parts.as_slice() {
        ["arn", _, service, "", account, res] => (*service, *account, *res),
        _ => {
            return Err(err(format!(
                "principal \"{arn}\" must be a user, account root, role or assumed-role session ARN"
            )));
        }
    };
    let session_of = |role: &'w crate::world::Role, name: &str| {
        let mut session = Session::new(role, name);
        session.policy = s.policy.clone();
        session.tags = s.tags.clone();
        session.transitive_keys = s.transitive_keys.clone();
        session.source_identity = s.source_identity.clone();
        session.mfa = s.mfa;
        session
    };
    let current = match (service, res) {
        ("iam", "root") => {
            if !r.world.accounts.contains_key(account) {
                return Err(err(format!(
                    "principal {arn}: account {account} is not in the world"
                )));
            }
            Current::Root {
                account: account.to_string(),
                arn: arn.to_string(),
            }
        }
        ("iam", res) if res.starts_with("user/") => Current::User(
            r.world
                .users
                .get(arn)
                .ok_or_else(|| err(format!("principal {arn} is not a user of the world")))?,
        ),
        ("iam", res) if res.starts_with("role/") => {
            let role = r
                .world
                .roles
                .get(arn)
                .ok_or_else(|| err(format!("principal {arn} is not a role of the world")))?;
            return Ok(Current::Session(session_of(role, "iamsim")));
        }
        ("sts", res) if res.starts_with("assumed-role/") => {
            let mut it = res.trim_start_matches("assumed-role/").split('/');
            let (Some(role_name), Some(session_name), None) = (it.next(), it.next(), it.next())
            else {
                return Err(err(format!(
                    "principal \"{arn}\": a session ARN ends in assumed-role/ROLE_NAME/SESSION_NAME"
                )));
            };
            let role = r.world.role_by_name(account, role_name).ok_or_else(|| {
                err(format!(
                    "principal {arn}: account {account} has no role named {role_name} in the world"
                ))
            })?;
            return Ok(Current::Session(session_of(role, session_name)));
        }
        _ => {
            return Err(err(format!(
                "principal \"{arn}\" must be a user, account root, role or assumed-role session ARN"
            )));
        }
    };
    if has_setup {
        return Err(err(format!(
            "session_policy, session_tags, source_identity and mfa describe how a session was made; {arn} is not a session (for a user, give aws:MultiFactorAuthPresent in context)"
        )));
    }
    Ok(current)
}
