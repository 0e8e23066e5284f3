//! Playing a scenario: the principal makes each step's request in turn; an
//! allowed `assume_role` step makes the caller the new session (role
//! chaining is several of them); the first denied step ends the scenario.

use super::{Expect, Scenario, ScenarioFile, SessionSetup, Step, StepKind};
use crate::context::{Found, Layered, Lookup};
use crate::diag::{Diagnostic, Location};
use crate::eval::{self, Depth, Outcome, Request, pages};
use crate::json::Span;
use crate::outsider::{self, is_outsider};
use crate::report::RequestTrace;
use crate::request::{
    AssumeCall, Caller, Clock, Defaulted, Derived, Session, Target, resolve_target,
};
use crate::sse_kms::{self, KmsContext};
use crate::world::{Role, Tags, User, World};
use std::cell::{OnceCell, RefCell};
use unknowns::{Depends, Possible, Readings};

mod unknowns;

/// How much a run keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Only decisions: the fast path, no explanation built.
    Decisions,
    /// Every request's decision with its one-line summary, its AWS page,
    /// the missing context keys, those that would change it and the keys
    /// iamsim gave values of its own; no gate-by-gate walk
    /// ([`RequestTrace::gates`] stays empty).
    Summaries,
    /// Every request's explanation, gate by gate.
    Explanations,
}

impl Detail {
    /// True when steps and their requests' traces are kept.
    fn keeps_steps(self) -> bool {
        self != Detail::Decisions
    }
}

/// What an `assume_role` step passed to `AssumeRole`, as its result
/// shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssumeParams {
    /// `RoleSessionName`.
    pub session_name: String,
    /// `ExternalId`, if passed.
    pub external_id: Option<String>,
    /// True when an MFA code was passed (`SerialNumber` and `TokenCode`).
    pub mfa: bool,
    /// `SourceIdentity`, if passed (not carried from the calling session).
    pub source_identity: Option<String>,
    /// `Tags` passed.
    pub tags: Tags,
    /// `TransitiveTagKeys` passed.
    pub transitive_keys: Vec<String>,
    /// True when a session policy was passed.
    pub session_policy: bool,
}

impl AssumeParams {
    /// The parameters of an `assume_role` step; `None` for an action step.
    fn of(step: &Step) -> Option<AssumeParams> {
        let StepKind::AssumeRole {
            session_name,
            external_id,
            setup,
            ..
        } = &step.kind
        else {
            return None;
        };
        Some(AssumeParams {
            session_name: session_name.clone(),
            external_id: external_id.clone(),
            mfa: setup.mfa,
            source_identity: setup.source_identity.clone(),
            tags: setup.tags.clone(),
            transitive_keys: setup.transitive_keys.clone(),
            session_policy: setup.policy.is_some(),
        })
    }
}

/// What one step decided: its requests (an `assume_role` step is
/// `sts:AssumeRole`, plus `sts:TagSession` and `sts:SetSourceIdentity`
/// when it passes tags or a source identity) and the step's decision.
#[derive(Clone, Debug)]
pub struct StepResult {
    /// The caller's ARN for this step.
    pub principal: String,
    /// For an `assume_role` step, the parameters it passed.
    pub assume: Option<AssumeParams>,
    /// Each request with its decision and explanation.
    pub requests: Vec<RequestTrace>,
    /// Allowed only if every request is; explicit deny wins;
    /// `indeterminate` when a request is.
    pub outcome: Outcome,
}

/// What a scenario decided, against what it expected.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    /// The scenario's name.
    pub name: String,
    /// What it expected, if it states an expectation.
    pub expect: Option<Expect>,
    /// `allow` if every step is allowed, else the first denied step's
    /// decision; `indeterminate` when that rests on what is known only
    /// after apply (README, "What the decisions mean").
    pub outcome: Outcome,
    /// The unknowns (`ADDRESS ATTRIBUTE`) the decision depends on: for
    /// `indeterminate`, what it waits for; for a deny, what decides
    /// whether it is explicit (`outcome` is then the deny when they hold
    /// no Deny that applies). Empty for a decision that rests on nothing
    /// unknown.
    pub depends_on: Vec<String>,
    /// The index of the first denied step (with unknowns, the first that
    /// may be denied).
    pub denied_at: Option<usize>,
    /// The steps that ran, with their requests' traces
    /// ([`Detail::Summaries`] and [`Detail::Explanations`]; empty with
    /// [`Detail::Decisions`]).
    pub steps: Vec<StepResult>,
    /// True when the outcome meets the expectation; `None` without one.
    pub pass: Option<bool>,
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
    file: &'s ScenarioFile,
    scenario: &'s Scenario,
    clock: &'s Clock,
    detail: Detail,
    /// What the requests so far depend on, when the world has unknowns.
    depends: RefCell<Depends>,
}

/// A step's outcome, with its explanation when kept, and the session an
/// allowed `assume_role` step makes.
struct Stepped<'w> {
    outcome: Readings,
    result: Option<StepResult>,
    next: Option<Session<'w>>,
}

impl Runner<'_, '_> {
    fn err(&self, span: Span, path: String, message: String) -> Diagnostic {
        Diagnostic {
            location: Some(Location {
                source: self.file.source,
                span,
                path,
            }),
            message,
        }
    }

    /// The request context: the step's, the scenario's and the file's
    /// keys, over what AWS derives (later wins, README "Formats").
    fn context<'a>(&'a self, step: &'a Step, derived: Derived<'a>) -> Layered<'a, Derived<'a>> {
        Layered {
            layers: [&step.context, &self.scenario.context, &self.file.context],
            base: derived,
        }
    }

    /// The region the question names for a step: the step's, else the
    /// scenario's, else the file's.
    fn region<'a>(&'a self, step: &'a Step) -> Option<&'a str> {
        step.region
            .as_deref()
            .or(self.scenario.region.as_deref())
            .or(self.file.region.as_deref())
    }

    /// The keys iamsim gives a step's request values of its own: those
    /// its contexts do not give.
    fn defaults(&self, step: &Step, derived: &Derived<'_>) -> Vec<Defaulted> {
        let given = |k: &str| {
            [&step.context, &self.scenario.context, &self.file.context]
                .iter()
                .any(|c| c.lookup(k) != Found::Absent)
        };
        derived.defaults(&given)
    }

    /// A step's outcome, with its requests' traces (and, for an
    /// `assume_role` step, its parameters) when kept, and the session it
    /// makes.
    fn stepped<'w>(
        &self,
        step: &Step,
        caller: Caller<'_>,
        traces: Vec<RequestTrace>,
        outcome: Readings,
        next: Option<Session<'w>>,
    ) -> Stepped<'w> {
        let result = self.detail.keeps_steps().then(|| StepResult {
            principal: caller.arn().to_string(),
            assume: AssumeParams::of(step),
            outcome: if traces.iter().any(|t| t.outcome == Outcome::Indeterminate) {
                Outcome::Indeterminate
            } else {
                outcome.outcome()
            },
            requests: traces,
        });
        Stepped {
            outcome,
            result,
            next,
        }
    }

    /// One request: its decision in both readings of the world's
    /// unknowns, and its explanation when kept, with the keys iamsim gave
    /// values of its own (`defaults`). A world without unknowns is decided
    /// once.
    fn request(
        &self,
        caller: Caller<'_>,
        action: &str,
        target: &Target<'_>,
        ctx: &dyn Lookup,
        identity_required: bool,
        defaults: &dyn Fn() -> Vec<Defaulted>,
    ) -> (Readings, Option<RequestTrace>) {
        let req = Request {
            caller,
            action,
            target,
            context: ctx,
            identity_required,
        };
        let unknowns = self.world.has_unknowns().then(|| {
            let u = eval::unknown::depends_on(self.world, &req);
            self.depends.borrow_mut().add(&u);
            u
        });
        let denying = self.world.denying();
        match self.detail {
            Detail::Decisions => {
                let allowing = eval::decide(self.world, &req);
                let denying = match unknowns {
                    Some(_) => eval::decide(denying, &req),
                    None => allowing,
                };
                (Readings { allowing, denying }, None)
            }
            Detail::Summaries | Detail::Explanations => {
                let walk = self.detail == Detail::Explanations;
                let depth = if walk { Depth::Walk } else { Depth::Summary };
                let d = eval::evaluate_to(self.world, &req, depth);
                let mut trace = if walk {
                    RequestTrace::new(caller.arn(), action, target.arn, &d)
                } else {
                    RequestTrace::summary(caller.arn(), action, target.arn, &d)
                };
                trace.defaults = defaults();
                trace.decided_with = trace
                    .defaults
                    .iter()
                    .filter(|df| d.decided_by_key(df.key))
                    .map(|df| df.key)
                    .collect();
                let Some(u) = unknowns else {
                    return (Readings::both(d.outcome), Some(trace));
                };
                let other = eval::evaluate_to(denying, &req, depth);
                let readings = Readings {
                    allowing: d.outcome,
                    denying: other.outcome,
                };
                unknowns::annotate(&mut trace, readings, &u, &other.summary);
                (readings, Some(trace))
            }
        }
    }
}

/// Runs one scenario of `file` (whose scenarios it need not hold). Errors are bad
/// input (an unknown principal or role, a resource whose owner is unknown).
pub fn run_scenario(
    world: &World,
    file: &ScenarioFile,
    scenario: &Scenario,
    clock: &Clock,
    detail: Detail,
) -> Result<ScenarioResult, Diagnostic> {
    let r = Runner {
        world,
        file,
        scenario,
        clock,
        detail,
        depends: RefCell::default(),
    };
    let outsiders = Outsiders::default();
    let mut current = principal(&r, &outsiders)?;
    let mut steps = Vec::new();
    let mut possible = Possible::default();
    let mut denied_at = None;
    let mut all_allowed = true;
    for (i, step) in scenario.steps.iter().enumerate() {
        let stepped = match &step.kind {
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
                service,
                resource,
                resource_account,
            } => {
                let caller = current.caller();
                let target = resolve_target(
                    world,
                    service,
                    resource,
                    resource_account.as_deref(),
                    caller.account(),
                )
                .map_err(|e| r.err(step.span, step.path(), e.into()))?;
                act(&r, caller, step, action, &target)?
            }
        };
        steps.extend(stepped.result);
        // A step that may be denied may end the scenario; the reading
        // that allows goes on with the session until it is denied.
        possible.step(stepped.outcome);
        if stepped.outcome.denying != Outcome::Allow {
            denied_at.get_or_insert(i);
        }
        if stepped.outcome.allowing != Outcome::Allow {
            all_allowed = false;
            break;
        }
        if let Some(session) = stepped.next {
            current = Current::Session(session);
        }
    }
    if all_allowed {
        possible.allow();
    }
    let (outcome, depends_on) = r.depends.into_inner().decide(possible);
    // An expectation holds only if it holds whatever the unknowns turn
    // out to be: never for indeterminate, and a kind of deny only when
    // nothing unknown decides the kind.
    let determinate = depends_on.is_empty();
    let pass = scenario.expect.map(|expect| match expect {
        Expect::Allow => outcome == Outcome::Allow,
        Expect::Deny => matches!(outcome, Outcome::ImplicitDeny | Outcome::ExplicitDeny),
        Expect::ImplicitDeny => outcome == Outcome::ImplicitDeny && determinate,
        Expect::ExplicitDeny => outcome == Outcome::ExplicitDeny && determinate,
    });
    Ok(ScenarioResult {
        name: scenario.name.clone(),
        expect: scenario.expect,
        outcome,
        depends_on,
        denied_at,
        steps,
        pass,
    })
}

/// Explicit deny wins, then implicit deny, else allow.
fn combine(outcomes: &[Outcome]) -> Outcome {
    if outcomes.contains(&Outcome::ExplicitDeny) {
        Outcome::ExplicitDeny
    } else if outcomes.iter().any(|o| *o != Outcome::Allow) {
        Outcome::ImplicitDeny
    } else {
        Outcome::Allow
    }
}

/// An action step: the request itself and, for an SSE-KMS encrypted
/// object, the KMS request S3 then makes with the caller's credentials
/// (crate::sse_kms). S3 authorizes its own request first, so KMS is asked
/// only when S3 allows ("Forward access sessions" in the IAM user guide).
fn act<'w>(
    r: &Runner<'w, '_>,
    caller: Caller<'_>,
    step: &Step,
    action: &str,
    target: &Target<'_>,
) -> Result<Stepped<'w>, Diagnostic> {
    let world = r.world;
    let derived = Derived {
        world,
        caller,
        target,
        clock: r.clock,
        assume: None,
        service: crate::request::service_of(action),
        region: r.region(step),
    };
    let defaults = || r.defaults(step, &derived);
    let (s3, s3_trace) = r.request(
        caller,
        action,
        target,
        &r.context(step, derived),
        false,
        &defaults,
    );
    let mut outcome = s3;
    let mut traces: Vec<RequestTrace> = s3_trace.into_iter().collect();
    let s3_allows = s3.allowing == Outcome::Allow;
    if let Some(call) = sse_kms::kms_call(world, action, target).filter(|_| s3_allows) {
        let key = call
            .target(world, caller.account())
            .map_err(|e| r.err(step.span, step.path(), e))?;
        let derived = Derived {
            target: &key,
            service: "kms",
            ..derived
        };
        let ctx = KmsContext {
            call: &call,
            caller_account: caller.account(),
            base: r.context(step, derived),
        };
        let defaults = || call.defaults(r.defaults(step, &derived));
        let (kms, trace) = r.request(caller, call.action, &key, &ctx, false, &defaults);
        outcome = s3.then(kms);
        traces.extend(trace.map(|mut t| {
            t.summary = format!("{}: {}", call.reason(), t.summary);
            t
        }));
    }
    Ok(r.stepped(step, caller, traces, outcome, None))
}

fn assume<'w>(
    r: &Runner<'w, '_>,
    current: &Current<'w>,
    step: &Step,
    role_arn: &str,
    session_name: &str,
    external_id: Option<&str>,
    setup: &SessionSetup,
) -> Result<Stepped<'w>, Diagnostic> {
    let world = r.world;
    let caller = current.caller();
    let role = world.roles.get(role_arn).ok_or_else(|| {
        r.err(
            step.span,
            step.path(),
            format!("assume_role names {role_arn}, which is not a role of the world"),
        )
    })?;
    let target = resolve_target(world, "sts", role_arn, None, caller.account())
        .map_err(|e| r.err(step.span, step.path(), e.into()))?;
    let (inherited_tags, inherited_keys, carried_identity): (Tags, &[String], Option<&str>) =
        match current {
            Current::Session(s) => (
                s.tags
                    .iter()
                    .filter(|(k, _)| s.transitive_keys.iter().any(|t| t.eq_ignore_ascii_case(k)))
                    .cloned()
                    .collect(),
                &s.transitive_keys,
                s.source_identity.as_deref(),
            ),
            _ => (Vec::new(), &[], None),
        };
    let refuse = |why: String, page: &'static str| {
        let outcome = Readings::both(Outcome::ImplicitDeny);
        let result = r.detail.keeps_steps().then(|| {
            let trace = RequestTrace::refused(caller.arn(), "sts:AssumeRole", role_arn, why, page);
            StepResult {
                principal: caller.arn().to_string(),
                assume: AssumeParams::of(step),
                requests: vec![trace],
                outcome: outcome.outcome(),
            }
        });
        Ok(Stepped {
            outcome,
            result,
            next: None,
        })
    };
    if let Some((k, _)) = setup
        .tags
        .iter()
        .find(|(k, _)| inherited_keys.iter().any(|t| t.eq_ignore_ascii_case(k)))
    {
        return refuse(
            format!(
                "session tag \"{k}\" is an inherited transitive tag of the calling session and cannot be set again"
            ),
            pages::SESSION_TAGS,
        );
    }
    let source_identity = match (carried_identity, setup.source_identity.as_deref()) {
        (Some(c), Some(p)) if c != p => {
            return refuse(
                format!(
                    "the calling session's source identity \"{c}\" cannot be changed to \"{p}\""
                ),
                pages::SOURCE_IDENTITY,
            );
        }
        (c, p) => c.or(p),
    };
    let tag_keys: Vec<String> = setup.tags.iter().map(|(k, _)| k.clone()).collect();
    let call = AssumeCall {
        session_name,
        external_id,
        source_identity,
        tags: &setup.tags,
        tag_keys: &tag_keys,
        transitive_keys: &setup.transitive_keys,
        mfa: setup.mfa,
    };
    let derived = Derived {
        world,
        caller,
        target: &target,
        clock: r.clock,
        assume: Some(&call),
        service: "sts",
        region: r.region(step),
    };
    let ctx = r.context(step, derived);
    let defaults = || r.defaults(step, &derived);
    // At most three requests: AssumeRole, TagSession, SetSourceIdentity.
    let mut outcomes = [Readings::both(Outcome::Allow); 3];
    let mut asked = 0;
    let mut traces = Vec::new();
    let mut ask = |action: &str, identity_required: bool| {
        let (o, t) = r.request(caller, action, &target, &ctx, identity_required, &defaults);
        if let Some(slot) = outcomes.get_mut(asked) {
            *slot = o;
        }
        asked += 1;
        traces.extend(t);
    };
    ask("sts:AssumeRole", false);
    // Tags passed, or transitive tags carried into the new session, need
    // sts:TagSession (D31; a modelling choice, README).
    if !setup.tags.is_empty() || !inherited_tags.is_empty() {
        ask("sts:TagSession", false);
    }
    // A source identity passed or carried needs sts:SetSourceIdentity; in a
    // role chain the caller's own policies must allow it too (D32; modelling choices, README).
    if source_identity.is_some() {
        ask(
            "sts:SetSourceIdentity",
            matches!(current, Current::Session(_)),
        );
    }
    let outcome = Readings::combine(&outcomes);
    let mfa = ctx
        .lookup("aws:multifactorauthpresent")
        .single()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let next = (outcome.allowing == Outcome::Allow).then(|| {
        let mut s = Session::new(role, session_name);
        s.policy = setup.policy.clone();
        s.tags = inherited_tags;
        s.tags.extend(setup.tags.iter().cloned());
        s.transitive_keys = inherited_keys.to_vec();
        s.transitive_keys
            .extend(setup.transitive_keys.iter().cloned());
        s.source_identity = source_identity.map(str::to_string);
        s.mfa = mfa;
        s
    });
    Ok(r.stepped(step, caller, traces, outcome, next))
}

/// The principal of a scenario when its account is not in the world
/// (crate::outsider), made once for the run.
#[derive(Default)]
struct Outsiders {
    user: OnceCell<User>,
    role: OnceCell<Role>,
}

fn principal<'w>(r: &Runner<'w, '_>, outsiders: &'w Outsiders) -> Result<Current<'w>, Diagnostic> {
    let sc = r.scenario;
    let arn = sc.principal.as_str();
    let err = |m: String| {
        r.err(
            sc.principal_span,
            format!("$.scenarios[{}].principal", sc.index),
            m,
        )
    };
    let s = &sc.session;
    let has_setup =
        s.policy.is_some() || !s.tags.is_empty() || s.source_identity.is_some() || s.mfa;
    let mut parts = arn.splitn(6, ':');
    let parts = [(); 6].map(|_| parts.next());
    let (service, account, res) = match parts {
        [
            Some("arn"),
            Some(_),
            Some(service),
            Some(""),
            Some(account),
            Some(res),
        ] => (service, account, res),
        _ => {
            return Err(err(format!(
                "principal \"{arn}\" must be a user, account root, role or assumed-role session ARN"
            )));
        }
    };
    let outsider = is_outsider(r.world, account);
    let session_of = |role: &'w Role, name: &str| {
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
            if !r.world.accounts.contains_key(account) && !outsider {
                return Err(err(format!(
                    "principal {arn}: account {account} is not in the world"
                )));
            }
            Current::Root {
                account: account.to_string(),
                arn: arn.to_string(),
            }
        }
        ("iam", res) if res.starts_with("user/") => Current::User(match r.world.users.get(arn) {
            Some(u) => u,
            None if outsider => outsiders.user.get_or_init(|| outsider::user(account, arn)),
            None => return Err(err(format!("principal {arn} is not a user of the world"))),
        }),
        ("iam", res) if res.starts_with("role/") => {
            let role = match r.world.roles.get(arn) {
                Some(role) => role,
                None if outsider => outsiders.role.get_or_init(|| outsider::role(account, arn)),
                None => return Err(err(format!("principal {arn} is not a role of the world"))),
            };
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
            let role = match r.world.role_by_name(account, role_name) {
                Some(role) => role,
                None if outsider => outsiders.role.get_or_init(|| {
                    outsider::role(account, &format!("arn:aws:iam::{account}:role/{role_name}"))
                }),
                None => {
                    return Err(err(format!(
                        "principal {arn}: account {account} has no role named {role_name} in the world"
                    )));
                }
            };
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

#[cfg(test)]
mod tests;
