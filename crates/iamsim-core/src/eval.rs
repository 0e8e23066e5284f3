//! AWS's evaluation of one request (docs/evaluation.md D01–D39): collect
//! the policies that apply, scan them for explicit denies, pass the gates in
//! AWS's order (RCPs, SCPs, the resource-based policy, identity-based
//! policies, the permissions boundary, the session policy), then apply the
//! same-account or cross-account rule. The result is a [`Decision`] with a
//! report for every gate; [`explain`] turns it into sentences.

pub(crate) mod absent;
mod combine;
pub mod explain;
mod org;
pub mod pages;
mod scan;
pub mod unknown;

pub use combine::Sides;

use crate::condition::Condition;
use crate::context::Lookup;
use crate::outsider;
use crate::policy::{Grant, PolicyKind, PrincipalEntry, RequestAction, RequestResource, Statement};
use crate::protection;
use crate::request::{Caller, Target};
use crate::world::{Attached, World};
use scan::{Flags, Input, Source};

/// The three answers AWS gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Allowed.
    Allow,
    /// Denied because nothing (or not every required gate) allows it.
    ImplicitDeny,
    /// Denied by a matching `Deny` statement.
    ExplicitDeny,
    /// Allowed or denied depending on something known only after
    /// `terraform apply` (README, "What the decisions mean"). The
    /// evaluator never returns it; a run that decides in both readings of
    /// the unknowns does.
    Indeterminate,
}

impl Outcome {
    /// `allow`, `implicit_deny`, `explicit_deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::ImplicitDeny => "implicit_deny",
            Outcome::ExplicitDeny => "explicit_deny",
            Outcome::Indeterminate => "indeterminate",
        }
    }
}

/// The gates of AWS's evaluation flow, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gate {
    /// What AWS refuses whatever the policies say ([`crate::protection`]).
    AwsProtection,
    /// The root user cannot assume roles (D27).
    RootUser,
    /// Any matching Deny in any applicable policy (D02).
    ExplicitDeny,
    /// The RCPs of the resource's account (D20, D21).
    Rcp,
    /// The SCPs at one level of the principal's organization path (D18, D19).
    Scp(String),
    /// The resource-based policy: bucket, trust or key policy.
    ResourcePolicy,
    /// The principal's identity-based policies (D04).
    Identity,
    /// The permissions boundary (D16).
    Boundary,
    /// The session policy (D17).
    SessionPolicy,
    /// How the gates combine: same account (D05–D11) or cross-account (D12–D15).
    Combine,
}

/// What a gate found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The gate allows (or finds no Deny).
    Pass,
    /// The gate has no allow, or finds a Deny.
    Fail,
    /// The gate does not apply to this request.
    Skip,
}

/// A statement that matched the request, with the policy it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Hit<'a> {
    /// How the policy is attached here.
    pub kind: PolicyKind,
    /// The policy's name or ARN.
    pub policy: &'a str,
    /// The ARN of what it is attached to (user, group, role, bucket...), or
    /// the organization level of an SCP/RCP.
    pub owner: &'a str,
    /// `inline`, `managed`, `boundary`, or "" for other kinds.
    pub how: &'static str,
    /// The Terraform address the policy came from.
    pub terraform: Option<&'a str>,
    /// For a policy text known only after apply, `ADDRESS ATTRIBUTE`: the
    /// statement is a reading of it, not its text.
    pub unknown: Option<&'a str>,
    /// The statement.
    pub statement: &'a Statement,
    /// For resource-based statements, how the principal was named.
    pub grant: Option<Grant>,
    /// The Principal entry that named the caller (`None` for `NotPrincipal`).
    pub matched: Option<&'a PrincipalEntry>,
}

/// Why a statement does not apply to the request.
#[derive(Clone, Debug)]
pub enum MissReason<'a> {
    /// Its Principal (or NotPrincipal) does not name the caller.
    Principal,
    /// Its Action (or NotAction) does not cover the action.
    Action,
    /// Its Resource (or NotResource) does not cover the resource.
    Resource,
    /// A condition is false: the first one, with the request's values
    /// (`None` when the request lacks the key).
    Condition {
        /// The condition.
        condition: &'a crate::condition::Condition,
        /// What the request holds for its key.
        request: Option<Vec<String>>,
    },
}

/// A statement that does not apply, with the policy it belongs to and why.
#[derive(Clone, Debug)]
pub struct Miss<'a> {
    /// How the policy is attached here.
    pub kind: PolicyKind,
    /// The policy's name or ARN.
    pub policy: &'a str,
    /// What it is attached to.
    pub owner: &'a str,
    /// `inline`, `managed`, `boundary`, or "".
    pub how: &'static str,
    /// The Terraform address the policy came from.
    pub terraform: Option<&'a str>,
    /// For a policy text known only after apply, `ADDRESS ATTRIBUTE`.
    pub unknown: Option<&'a str>,
    /// The statement.
    pub statement: &'a Statement,
    /// Why it does not apply.
    pub reason: MissReason<'a>,
}

/// One gate's report.
#[derive(Clone, Debug)]
pub struct GateReport<'a> {
    /// The gate.
    pub gate: Gate,
    /// What it found.
    pub verdict: Verdict,
    /// The statements that decided it (allows, or denies for the deny scan).
    pub hits: Vec<Hit<'a>>,
    /// The statements of its policies that do not apply, and why.
    pub misses: Vec<Miss<'a>>,
    /// A sentence saying why, for gates without statements to show.
    pub note: String,
}

/// The decision for one request.
#[derive(Clone, Debug)]
pub struct Decision<'a> {
    /// The answer.
    pub outcome: Outcome,
    /// Every gate, in AWS's order.
    pub gates: Vec<GateReport<'a>>,
    /// One sentence saying why.
    pub summary: String,
    /// The AWS page of the rule the sentence names.
    pub page: &'static str,
    /// Condition keys that statements on the decision path tested but the
    /// request does not carry (AWS's simulator calls them
    /// MissingContextValues): a decision may rest on their absence.
    pub missing_context: Vec<String>,
    /// Those of them with a value that would change the decision.
    pub would_differ: Vec<String>,
}

impl Decision<'_> {
    /// True when a statement that decided the request tested `key`: a
    /// matching Deny of an explicit deny; for an allow, an allowing
    /// statement, or a Deny escaped by a false condition on it; for an
    /// implicit deny, an Allow kept out by a false condition on it.
    pub fn decided_by_key(&self, key: &str) -> bool {
        let tests = |c: &Condition| c.key.eq_ignore_ascii_case(key);
        let deny = self.outcome == Outcome::ExplicitDeny;
        let hit = self.outcome != Outcome::ImplicitDeny;
        // The effect of the statements whose false condition decided.
        let missed = match self.outcome {
            Outcome::Allow => Some(crate::policy::Effect::Deny),
            Outcome::ImplicitDeny => Some(crate::policy::Effect::Allow),
            Outcome::ExplicitDeny | Outcome::Indeterminate => None,
        };
        self.gates.iter().any(|g| {
            (hit && g
                .hits
                .iter()
                .filter(|h| (h.statement.effect == crate::policy::Effect::Deny) == deny)
                .any(|h| h.statement.conditions.iter().any(tests)))
                || g.misses.iter().any(|m| {
                    Some(m.statement.effect) == missed
                        && matches!(m.reason, MissReason::Condition { condition, .. } if tests(condition))
                })
        })
    }
}

/// One request to decide.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// Who calls.
    pub caller: Caller<'a>,
    /// The action as given (`s3:GetObject`).
    pub action: &'a str,
    /// The resource, resolved.
    pub target: &'a Target<'a>,
    /// The request context: explicit keys over the keys AWS derives.
    pub context: &'a dyn Lookup,
    /// True when the caller's identity-based policies must allow even where
    /// a resource policy would suffice (sts:SetSourceIdentity in a role
    /// chain, D32 and a modelling choice, README).
    pub identity_required: bool,
}

/// Services whose actions RCPs govern (D21), sorted (searched by bisection). The list grows; this is the
/// organizations user guide's list as of 2026-09 ("List of AWS services
/// that support RCPs"); IAM and EC2 are not on it.
pub const RCP_SERVICES: &[&str] = &[
    "aoss",
    "appconfig",
    "appstream",
    "autoscaling",
    "autoscaling-plans",
    "budgets",
    "clouddirectory",
    "cloudfront",
    "cloudsearch",
    "cloudtrail-data",
    "codeartifact",
    "codebuild",
    "codecommit",
    "codepipeline",
    "cognito-identity",
    "cognito-idp",
    "comprehend",
    "comprehendmedical",
    "compute-optimizer",
    "cost-optimization-hub",
    "dax",
    "dsql",
    "dynamodb",
    "ecr",
    "ecr-public",
    "events",
    "firehose",
    "fis",
    "fms",
    "gamelift",
    "health",
    "inspector-scan",
    "kendra",
    "kinesisvideo",
    "kms",
    "logs",
    "memorydb",
    "networkmonitor",
    "notifications",
    "opensearch",
    "pca-connector-ad",
    "personalize",
    "polly",
    "pricing",
    "resource-groups",
    "rolesanywhere",
    "s3",
    "secretsmanager",
    "servicediscovery",
    "signin",
    "sqs",
    "sts",
    "support",
    "swf",
    "textract",
    "timestream-influxdb",
    "transcribe",
    "transfer",
    "translate",
    "wafv2",
    "workspaces",
    "xray",
];

fn report<'a>(
    gate: Gate,
    verdict: Verdict,
    hits: Vec<Hit<'a>>,
    note: impl Into<String>,
) -> GateReport<'a> {
    GateReport {
        gate,
        verdict,
        hits,
        misses: Vec::new(),
        note: note.into(),
    }
}

fn pass_or_fail(pass: bool) -> Verdict {
    if pass { Verdict::Pass } else { Verdict::Fail }
}

/// An ASCII lower-casing buffer: actions are short, so lower-casing them
/// needs no allocation.
struct Lower([u8; 128]);

impl Lower {
    fn of<'b>(&'b mut self, s: &str) -> std::borrow::Cow<'b, str> {
        match self.0.get_mut(..s.len()) {
            Some(buf) if s.is_ascii() => {
                buf.copy_from_slice(s.as_bytes());
                buf.make_ascii_lowercase();
                std::str::from_utf8(buf).map_or_else(
                    |_| s.to_ascii_lowercase().into(),
                    std::borrow::Cow::Borrowed,
                )
            }
            _ => s.to_ascii_lowercase().into(),
        }
    }
}

fn input<'a, 'r>(req: &'r Request<'a>, lower: &'r str) -> Input<'a, 'r> {
    Input {
        req,
        depth: Depth::Walk,
        action: RequestAction::parse(lower).unwrap_or(RequestAction {
            service: lower,
            name: "",
        }),
        resource: RequestResource::parse(req.target.arn).unwrap_or(RequestResource {
            text: req.target.arn,
            arn: None,
        }),
        who: req.caller.who(),
    }
}

/// The policies of the caller: identity-based, boundary, session policy.
#[allow(
    clippy::type_complexity,
    reason = "the three kinds of the caller's policies, each as its scan takes it"
)]
fn caller_policies<'a>(
    world: &'a World,
    caller: &Caller<'a>,
) -> (
    impl Iterator<Item = Source<'a>> + Clone,
    Option<Source<'a>>,
    Option<Source<'a>>,
) {
    let (ids, bnd): (&[Attached], Option<&Attached>) = match *caller {
        Caller::User(u) => (&u.identity, u.boundary.as_ref()),
        Caller::Session(s) => (&s.role.identity, s.role.boundary.as_ref()),
        Caller::Root { .. } => (&[], None),
    };
    let identity = ids
        .iter()
        .filter_map(move |a| Source::attached(world, a, PolicyKind::Identity));
    let boundary = bnd.and_then(|b| Source::attached(world, b, PolicyKind::Boundary));
    let session = match *caller {
        Caller::Session(s) => s.policy.as_ref().map(|p| Source {
            kind: PolicyKind::Session,
            policy: p,
            name: "session policy",
            owner: &s.arn,
            how: "",
            terraform: None,
            unknown: None,
        }),
        _ => None,
    };
    (identity, boundary, session)
}

fn resource_policy<'a>(world: &'a World, req: &Request<'a>) -> Option<Source<'a>> {
    let (id, kind, owner) = req.target.policy?;
    let e = world.policy(id)?;
    Some(Source {
        kind,
        policy: &e.policy,
        name: &e.name,
        owner,
        how: "",
        terraform: e.terraform.as_deref(),
        unknown: e.unknown.as_deref(),
    })
}

/// What the scans found, all a decision needs.
struct Findings {
    deny: bool,
    scp_failed: bool,
    rbp: Flags,
    identity: Flags,
    boundary: Option<Flags>,
    session: Option<Flags>,
}

impl Findings {
    fn sides(&self, world: &World, req: &Request<'_>, action: &RequestAction<'_>) -> Sides {
        Sides {
            same_account: req.target.is_same_account(req.caller.account()),
            grant: self.rbp.grant,
            id_ok: self.identity.allow || holds_all(world, &req.caller),
            bnd_ok: self.boundary.is_none_or(|f| f.allow),
            sess_ok: self.session.is_none_or(|f| f.allow),
            is_trust: req.target.policy_required && action.service == "sts",
        }
    }

    /// The decision, and whether the combining rule allows.
    fn conclude(&self, req: &Request<'_>, sides: &Sides, root_assumes: bool) -> (Outcome, bool) {
        let allowed = sides.allowed(req);
        let outcome = if self.deny {
            Outcome::ExplicitDeny
        } else if root_assumes || self.scp_failed || !allowed {
            Outcome::ImplicitDeny
        } else {
            Outcome::Allow
        };
        (outcome, allowed)
    }
}

/// True when the caller's identity side allows everything: the root user
/// holds every permission of its account, and an outsider's own account
/// allows everything (crate::outsider).
fn holds_all(world: &World, caller: &Caller<'_>) -> bool {
    matches!(caller, Caller::Root { .. }) || outsider::is_outsider(world, caller.account())
}

/// Why [`holds_all`] holds, for the explanation.
fn holds_all_note(world: &World, caller: &Caller<'_>) -> Option<String> {
    let account = caller.account();
    if !holds_all(world, caller) {
        None
    } else if matches!(caller, Caller::Root { .. }) {
        Some(format!(
            "the root user holds every permission of account {account}"
        ))
    } else {
        Some(format!(
            "account {account} is not in the world: an outsider's own account allows everything"
        ))
    }
}

/// D27: the root user cannot assume a role.
fn root_assumes(req: &Request<'_>, action: &RequestAction<'_>) -> bool {
    matches!(req.caller, Caller::Root { .. })
        && action.service == "sts"
        && req.target.policy_required
}

/// Decides one request, without an explanation and without allocating
/// (beyond the caller's policy list): the fast path of batch runs.
pub fn decide(world: &World, req: &Request<'_>) -> Outcome {
    let mut buf = Lower([0; 128]);
    let lower = buf.of(req.action);
    if protection::refusal(&lower, req.caller.account(), req.target).is_some() {
        return Outcome::ExplicitDeny;
    }
    let input = input(req, &lower);
    let (org_deny, scp_failed) = org::flags(world, &input);
    let (identity, boundary, session) = caller_policies(world, &req.caller);
    let f = Findings {
        deny: org_deny,
        scp_failed,
        rbp: input.flags(resource_policy(world, req)),
        identity: input.flags(identity),
        boundary: boundary.map(|b| input.flags(Some(b))),
        session: session.map(|s| input.flags(Some(s))),
    };
    let f = Findings {
        deny: f.deny
            || f.rbp.deny
            || f.identity.deny
            || f.boundary.is_some_and(|b| b.deny)
            || f.session.is_some_and(|s| s.deny),
        ..f
    };
    let sides = f.sides(world, req, &input.action);
    f.conclude(req, &sides, root_assumes(req, &input.action)).0
}

/// How much of the walk [`evaluate_to`] keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// Every gate with every statement that does not apply, and why.
    Walk,
    /// What the summary, the missing context keys and the keys that
    /// decided need: of the statements that do not apply, only those kept
    /// out by a false condition, and policies that name no action of the
    /// request's service are not read.
    Summary,
}

/// Decides one request against the world, with a report for every gate.
pub fn evaluate<'a>(world: &'a World, req: &Request<'a>) -> Decision<'a> {
    evaluate_to(world, req, Depth::Walk)
}

/// Decides one request against the world, with a report for every gate
/// whose statements that do not apply are kept as `depth` says. The
/// decision, summary, page, missing context keys and
/// [`Decision::decided_by_key`] are the same at every depth.
pub fn evaluate_to<'a>(world: &'a World, req: &Request<'a>, depth: Depth) -> Decision<'a> {
    let mut buf = Lower([0; 128]);
    let lower = buf.of(req.action);
    let input = Input {
        depth,
        ..input(req, &lower)
    };
    let caller = req.caller;
    let root_assumes = root_assumes(req, &input.action);
    let org = org::gates(world, &input);
    let rbp_source = resource_policy(world, req);
    let mut rbp = input.scan(rbp_source);
    let (identity_sources, boundary_source, session_source) = caller_policies(world, &caller);
    let mut identity = input.scan(identity_sources);
    let mut boundary = input.scan(boundary_source);
    let mut session = input.scan(session_source);

    let mut denies = org.denies;
    for scan in [&rbp, &identity, &boundary, &session] {
        denies.extend(scan.denies.iter().copied());
    }
    let findings = Findings {
        deny: !denies.is_empty(),
        scp_failed: org.scp_failed,
        rbp: rbp.flags(),
        identity: identity.flags(),
        boundary: boundary_source.map(|_| boundary.flags()),
        session: session_source.map(|_| session.flags()),
    };
    let sides = findings.sides(world, req, &input.action);
    let (outcome, allowed) = findings.conclude(req, &sides, root_assumes);
    let refusal = protection::refusal(&lower, caller.account(), req.target);
    let outcome = if refusal.is_some() {
        Outcome::ExplicitDeny
    } else {
        outcome
    };

    let mut gates = Vec::new();
    if let Some(r) = refusal {
        let note = r.note(req.action, req.target, caller.account());
        gates.push(report(Gate::AwsProtection, Verdict::Fail, Vec::new(), note));
    }
    if root_assumes {
        gates.push(report(Gate::RootUser, Verdict::Fail, Vec::new(), "the root user cannot assume a role: STS answers \"Roles may not be assumed by root accounts\""));
    }
    let deny_note = if denies.is_empty() {
        "no Deny statement of any applicable policy matches"
    } else {
        "a matching Deny overrides every allow"
    };
    gates.push(report(
        Gate::ExplicitDeny,
        pass_or_fail(denies.is_empty()),
        denies,
        deny_note,
    ));
    gates.extend(org.reports);
    gates.push(resource_policy_report(
        req,
        rbp_source.map(|s| (s.kind, s.owner)),
        rbp.allows,
        &sides,
    ));
    gates.push(identity_report(
        req,
        identity.allows,
        holds_all_note(world, &caller),
    ));
    gates.push(match boundary_source {
        None => report(
            Gate::Boundary,
            Verdict::Skip,
            Vec::new(),
            "no permissions boundary",
        ),
        Some(b) => {
            let note = if sides.bnd_ok {
                String::new()
            } else {
                format!(
                    "the permissions boundary of {} does not allow {}",
                    b.owner, req.action
                )
            };
            report(
                Gate::Boundary,
                pass_or_fail(sides.bnd_ok),
                boundary.allows,
                note,
            )
        }
    });
    gates.push(match session_source {
        None => report(
            Gate::SessionPolicy,
            Verdict::Skip,
            Vec::new(),
            "no session policy",
        ),
        Some(s) => {
            let note = if sides.sess_ok {
                String::new()
            } else {
                format!(
                    "the session policy of {} does not allow {}",
                    s.owner, req.action
                )
            };
            report(
                Gate::SessionPolicy,
                pass_or_fail(sides.sess_ok),
                session.allows,
                note,
            )
        }
    });
    gates.push(report(
        Gate::Combine,
        pass_or_fail(allowed),
        Vec::new(),
        sides.rule(req),
    ));
    for g in &mut gates {
        let misses = match g.gate {
            Gate::ResourcePolicy => &mut rbp.misses,
            Gate::Identity => &mut identity.misses,
            Gate::Boundary => &mut boundary.misses,
            Gate::SessionPolicy => &mut session.misses,
            _ => continue,
        };
        g.misses = std::mem::take(misses);
    }
    let absent: Vec<&Condition> = [
        &org.absent,
        &rbp.absent,
        &identity.absent,
        &boundary.absent,
        &session.absent,
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect();
    let mut missing_context: Vec<String> = absent.iter().map(|c| c.key.clone()).collect();
    missing_context.sort_by_key(|k| k.to_ascii_lowercase());
    missing_context.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let facts = explain::Facts {
        sides,
        root_assumes,
        scp_failed: org.scp_failed,
        protected: refusal.map(|r| r.rule.page),
    };
    let (mut summary, page) = explain::summary(req, outcome, &gates, &facts);
    let would_differ = absent::would_differ(world, req, outcome, &absent, &missing_context);
    if !would_differ.is_empty() {
        summary.push_str(&format!(
            "; would differ if {} were present",
            would_differ.join(" or ")
        ));
    }
    Decision {
        outcome,
        gates,
        summary,
        page,
        missing_context,
        would_differ,
    }
}

fn resource_policy_report<'a>(
    req: &Request<'a>,
    rbp: Option<(PolicyKind, &str)>,
    allows: Vec<Hit<'a>>,
    sides: &Sides,
) -> GateReport<'a> {
    let target = &req.target.arn;
    let Some((kind, owner)) = rbp else {
        let note = if req.target.is_aws_managed_policy() {
            format!(
                "{target} is an AWS managed policy: IAM has no resource-based policy for it, so the caller's identity side decides alone"
            )
        } else if req.target.policy_required {
            let what = if sides.is_trust {
                "role (and so no trust policy)"
            } else {
                "key policy"
            };
            format!("{target} has no {what} in the world, and it is required")
        } else if sides.same_account {
            format!(
                "{target} has no resource-based policy; within one account the identity side can allow alone"
            )
        } else {
            format!(
                "{target} has no resource-based policy, so nothing in account {} lets another account in",
                req.target.account
            )
        };
        let verdict = if sides.same_account && !req.target.policy_required {
            Verdict::Skip
        } else {
            Verdict::Fail
        };
        return report(Gate::ResourcePolicy, verdict, Vec::new(), note);
    };
    if allows.is_empty() {
        let note = format!(
            "the {} of {owner} has no statement that allows {} to {} {target}",
            kind.label(),
            req.caller.arn(),
            req.action
        );
        // Within one account an allow of either side is enough (D05: "If
        // either the identity-based policy or the resource-based policy
        // within the same account allows the request and the other doesn't,
        // the request is still allowed",
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html),
        // so a policy that does not name the caller fails nothing there.
        if sides.same_account && !req.target.policy_required && sides.principal_side() {
            let note = format!("{note}; within one account the identity-based allow suffices");
            return report(Gate::ResourcePolicy, Verdict::Skip, allows, note);
        }
        report(Gate::ResourcePolicy, Verdict::Fail, allows, note)
    } else {
        report(Gate::ResourcePolicy, Verdict::Pass, allows, "")
    }
}

fn identity_report<'a>(
    req: &Request<'a>,
    allows: Vec<Hit<'a>>,
    holds_all: Option<String>,
) -> GateReport<'a> {
    let caller = req.caller;
    if let Some(note) = holds_all {
        return report(Gate::Identity, Verdict::Pass, allows, note);
    }
    if !allows.is_empty() {
        return report(Gate::Identity, Verdict::Pass, allows, "");
    }
    let whose = match caller {
        Caller::Session(s) => format!("role {}", s.role.arn),
        other => other.arn().to_string(),
    };
    let note = format!(
        "no identity-based policy of {whose} allows {} on {}",
        req.action, req.target.arn
    );
    report(Gate::Identity, Verdict::Fail, allows, note)
}

#[cfg(test)]
mod tests {
    use super::RCP_SERVICES;

    #[test]
    fn rcp_services_are_sorted_and_unique() {
        assert!(RCP_SERVICES.windows(2).all(|w| w[0] < w[1]));
        assert!(RCP_SERVICES.binary_search(&"s3").is_ok());
        assert!(RCP_SERVICES.binary_search(&"iam").is_err());
    }
}
