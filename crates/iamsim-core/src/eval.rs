//! AWS's evaluation of one request (semantics-decision R01–R39): collect
//! the policies that apply, scan them for explicit denies, pass the gates in
//! AWS's order (RCPs, SCPs, the resource-based policy, identity-based
//! policies, the permissions boundary, the session policy), then apply the
//! same-account or cross-account rule. The result is a [`Decision`] with a
//! report for every gate; [`explain`] turns it into sentences.

pub mod explain;

use crate::context::Context;
use crate::policy::{
    Effect, Grant, Policy, PolicyKind, PrincipalEntry, RequestAction, RequestResource, Statement,
};
use crate::request::{Caller, Target};
use crate::world::{Attached, OrgLevel, World};

/// The three answers AWS gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Allowed.
    Allow,
    /// Denied because nothing (or not every required gate) allows it.
    ImplicitDeny,
    /// Denied by a matching `Deny` statement.
    ExplicitDeny,
}

impl Outcome {
    /// `allow`, `implicit_deny`, `explicit_deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::ImplicitDeny => "implicit_deny",
            Outcome::ExplicitDeny => "explicit_deny",
        }
    }
}

/// The gates of AWS's evaluation flow, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gate {
    /// The root user cannot assume roles (R27).
    RootUser,
    /// Any matching Deny in any applicable policy (R02).
    ExplicitDeny,
    /// The RCPs of the resource's account (R20, R21).
    Rcp,
    /// The SCPs at one level of the principal's organization path (R18, R19).
    Scp(String),
    /// The resource-based policy: bucket, trust or key policy.
    ResourcePolicy,
    /// The principal's identity-based policies (R04).
    Identity,
    /// The permissions boundary (R16).
    Boundary,
    /// The session policy (R17).
    SessionPolicy,
    /// How the gates combine: same account (R05–R11) or cross-account (R12–R15).
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
    /// The statement.
    pub statement: &'a Statement,
    /// For resource-based statements, how the principal was named.
    pub grant: Option<Grant>,
    /// The Principal entry that named the caller (`None` for `NotPrincipal`).
    pub matched: Option<&'a PrincipalEntry>,
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
}

/// One request to decide.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// Who calls.
    pub caller: Caller<'a>,
    /// The action as given (`s3:GetObject`).
    pub action: &'a str,
    /// The resource, resolved.
    pub target: &'a Target<'a>,
    /// The complete request context.
    pub context: &'a Context,
    /// True when the caller's identity-based policies must allow even where
    /// a resource policy would suffice (sts:SetSourceIdentity in a role
    /// chain, R32 and ambiguities A3).
    pub identity_required: bool,
}

/// Services whose actions RCPs govern (R21). The list grows; this is the
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

/// A policy to scan, with the names explanations use.
#[derive(Clone, Copy)]
struct Source<'a> {
    kind: PolicyKind,
    policy: &'a Policy,
    name: &'a str,
    owner: &'a str,
    how: &'static str,
}

#[derive(Default)]
struct Scan<'a> {
    allows: Vec<Hit<'a>>,
    denies: Vec<Hit<'a>>,
}

struct Input<'a, 'r> {
    req: &'r Request<'a>,
    action: RequestAction<'r>,
    resource: RequestResource<'r>,
}

impl<'a> Input<'a, '_> {
    fn scan(&self, sources: &[Source<'a>], out: &mut Scan<'a>) {
        let who = self.req.caller.who();
        for s in sources {
            for st in &s.policy.statements {
                let (grant, matched) = match &st.principals {
                    None => (None, None),
                    Some(p) if p.negated => {
                        if !p.not_principal_applies(&who, st.effect == Effect::Deny) {
                            continue;
                        }
                        (Some(Grant::Direct), None)
                    }
                    Some(p) => match p.grant(&who) {
                        Some((g, e)) => (Some(g), Some(e)),
                        None => continue,
                    },
                };
                if !st.matches_request(&self.action, &self.resource, self.req.context) {
                    continue;
                }
                let hit = Hit {
                    kind: s.kind,
                    policy: s.name,
                    owner: s.owner,
                    how: s.how,
                    statement: st,
                    grant,
                    matched,
                };
                match st.effect {
                    Effect::Allow => out.allows.push(hit),
                    Effect::Deny => out.denies.push(hit),
                }
            }
        }
    }
}

fn attached<'a>(world: &'a World, a: &'a Attached, kind: PolicyKind) -> Option<Source<'a>> {
    let e = world.policy(a.policy)?;
    Some(Source {
        kind,
        policy: &e.policy,
        name: &e.name,
        owner: &a.owner,
        how: a.how,
    })
}

fn level_sources<'a>(
    world: &'a World,
    level: &'a OrgLevel,
    ids: &'a [crate::world::PolicyId],
    kind: PolicyKind,
) -> Vec<Source<'a>> {
    ids.iter()
        .filter_map(|id| world.policy(*id))
        .map(|e| Source {
            kind,
            policy: &e.policy,
            name: &e.name,
            owner: &level.target,
            how: "",
        })
        .collect()
}

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
        note: note.into(),
    }
}

/// Decides one request against the world.
pub fn evaluate<'a>(world: &'a World, req: &Request<'a>) -> Decision<'a> {
    let lower = req.action.to_ascii_lowercase();
    let action = RequestAction::parse(&lower).unwrap_or(RequestAction {
        service: &lower,
        name: "",
    });
    let resource = RequestResource::parse(&req.target.arn).unwrap_or(RequestResource {
        text: &req.target.arn,
        arn: None,
    });
    let input = Input {
        req,
        action,
        resource,
    };
    let caller = req.caller;
    let pacct = caller.account();
    let racct = req.target.account.as_str();
    let same_account = pacct == racct;
    let mut all_denies: Vec<Hit<'a>> = Vec::new();
    let mut gates: Vec<GateReport<'a>> = Vec::new();

    let root_assumes = matches!(caller, Caller::Root { .. })
        && action.service == "sts"
        && req.target.policy_required;
    if root_assumes {
        gates.push(report(Gate::RootUser, Verdict::Fail, Vec::new(), "the root user cannot assume a role (R27: \"Roles may not be assumed by root accounts\")"));
    }

    // RCPs of the resource's account.
    let racct_info = world.accounts.get(racct);
    let rcp_applies = racct_info.is_some_and(|a| a.is_restricted_member())
        && RCP_SERVICES.contains(&action.service)
        && !caller.is_service_linked();
    if rcp_applies {
        let mut scan = Scan::default();
        for level in racct_info.map(|a| a.levels.as_slice()).unwrap_or_default() {
            input.scan(
                &level_sources(world, level, &level.rcps, PolicyKind::Rcp),
                &mut scan,
            );
        }
        let verdict = if scan.denies.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        gates.push(report(Gate::Rcp, verdict, scan.denies.clone(), format!("RCPFullAWSAccess allows at every level of account {racct}; customer RCPs can only deny")));
        all_denies.extend(scan.denies);
    } else {
        let why = match racct_info {
            _ if !RCP_SERVICES.contains(&action.service) => {
                format!("RCPs do not govern {} actions", action.service)
            }
            Some(a) if a.is_management => {
                format!("account {racct} is the management account, exempt from RCPs")
            }
            Some(a) if !a.levels.is_empty() => {
                "calls by service-linked roles are exempt from RCPs".to_string()
            }
            _ => format!("account {racct} is not a member of an organization"),
        };
        gates.push(report(Gate::Rcp, Verdict::Skip, Vec::new(), why));
    }

    // SCPs of the principal's account, level by level.
    let pacct_info = world.accounts.get(pacct);
    let mut scp_failed = false;
    match pacct_info {
        Some(a) if a.is_restricted_member() && !caller.is_service_linked() => {
            for level in &a.levels {
                let gate = Gate::Scp(level.target.clone());
                let Some(ids) = &level.scps else {
                    gates.push(report(
                        gate,
                        Verdict::Pass,
                        Vec::new(),
                        "no SCP list given: AWS's default FullAWSAccess allows everything",
                    ));
                    continue;
                };
                let mut scan = Scan::default();
                input.scan(
                    &level_sources(world, level, ids, PolicyKind::Scp),
                    &mut scan,
                );
                let pass = !scan.allows.is_empty();
                scp_failed |= !pass;
                let note = if pass {
                    String::new()
                } else if ids.is_empty() {
                    format!(
                        "no SCP is attached at {}, so nothing is allowed below it",
                        level.target
                    )
                } else {
                    format!(
                        "no SCP attached at {} allows {} (every level from the root down to the account must allow)",
                        level.target, req.action
                    )
                };
                gates.push(report(
                    gate,
                    if pass { Verdict::Pass } else { Verdict::Fail },
                    scan.allows,
                    note,
                ));
                all_denies.extend(scan.denies);
            }
        }
        Some(a) if a.is_management => gates.push(report(
            Gate::Scp(format!("account {pacct}")),
            Verdict::Skip,
            Vec::new(),
            format!("account {pacct} is the management account, exempt from SCPs"),
        )),
        Some(a) if !a.levels.is_empty() => gates.push(report(
            Gate::Scp(format!("account {pacct}")),
            Verdict::Skip,
            Vec::new(),
            "service-linked roles are exempt from SCPs",
        )),
        _ => gates.push(report(
            Gate::Scp(format!("account {pacct}")),
            Verdict::Skip,
            Vec::new(),
            format!("account {pacct} is not a member of an organization"),
        )),
    }

    // The resource-based policy.
    let rbp_entry = req
        .target
        .policy
        .as_ref()
        .and_then(|(id, kind, owner)| world.policy(*id).map(|e| (e, *kind, owner.as_str())));
    let mut rbp = Scan::default();
    if let Some((e, kind, owner)) = rbp_entry {
        input.scan(
            &[Source {
                kind,
                policy: &e.policy,
                name: &e.name,
                owner,
                how: "",
            }],
            &mut rbp,
        );
    }
    let grant = rbp.allows.iter().filter_map(|h| h.grant).max();
    all_denies.extend(rbp.denies.iter().copied());

    // Identity-based policies, boundary, session policy.
    let mut identity = Scan::default();
    let mut boundary = Scan::default();
    let mut session = Scan::default();
    let (ids, bnd): (&[Attached], Option<&Attached>) = match caller {
        Caller::User(u) => (&u.identity, u.boundary.as_ref()),
        Caller::Session(s) => (&s.role.identity, s.role.boundary.as_ref()),
        Caller::Root { .. } => (&[], None),
    };
    let id_sources: Vec<Source<'a>> = ids
        .iter()
        .filter_map(|a| attached(world, a, PolicyKind::Identity))
        .collect();
    input.scan(&id_sources, &mut identity);
    if let Some(b) = bnd.and_then(|b| attached(world, b, PolicyKind::Boundary)) {
        input.scan(&[b], &mut boundary);
    }
    if let Caller::Session(s) = caller {
        if let Some(p) = &s.policy {
            input.scan(
                &[Source {
                    kind: PolicyKind::Session,
                    policy: p,
                    name: "session policy",
                    owner: &s.arn,
                    how: "",
                }],
                &mut session,
            );
        }
    }
    all_denies.extend(identity.denies.iter().copied());
    all_denies.extend(boundary.denies.iter().copied());
    all_denies.extend(session.denies.iter().copied());

    let is_root = matches!(caller, Caller::Root { .. });
    let id_ok = is_root || !identity.allows.is_empty();
    let bnd_ok = bnd.is_none() || !boundary.allows.is_empty();
    let sess_ok =
        !matches!(caller, Caller::Session(s) if s.policy.is_some()) || !session.allows.is_empty();
    let idok = id_ok && bnd_ok && sess_ok;
    let is_trust = matches!(rbp_entry, Some((_, PolicyKind::Trust, _)))
        || (req.target.policy_required && action.service == "sts");

    let allowed = if same_account {
        let by_rbp = match grant {
            // A2: a trust policy naming the caller directly is still limited
            // by the caller's permissions boundary.
            Some(Grant::Direct) => !is_trust || bnd_ok,
            Some(Grant::Role) => bnd_ok && sess_ok,
            _ => false,
        };
        let by_identity = idok && (!req.target.policy_required || grant.is_some());
        (by_rbp || by_identity) && (!req.identity_required || idok)
    } else {
        grant.is_some() && idok
    };

    gates.push(rbp_report(
        req,
        rbp_entry.map(|(e, kind, owner)| (e.name.as_str(), kind, owner)),
        rbp.allows,
        same_account,
        is_trust,
    ));
    gates.push(identity_report(&caller, req, identity.allows, is_root));
    gates.push(match bnd {
        None => report(
            Gate::Boundary,
            Verdict::Skip,
            Vec::new(),
            "no permissions boundary",
        ),
        Some(b) => {
            let pass = !boundary.allows.is_empty();
            let note = if pass {
                String::new()
            } else {
                format!(
                    "the permissions boundary of {} does not allow {}",
                    b.owner, req.action
                )
            };
            report(
                Gate::Boundary,
                if pass { Verdict::Pass } else { Verdict::Fail },
                boundary.allows,
                note,
            )
        }
    });
    gates.push(match caller {
        Caller::Session(s) if s.policy.is_some() => {
            let pass = !session.allows.is_empty();
            let note = if pass {
                String::new()
            } else {
                format!(
                    "the session policy of {} does not allow {}",
                    s.arn, req.action
                )
            };
            report(
                Gate::SessionPolicy,
                if pass { Verdict::Pass } else { Verdict::Fail },
                session.allows,
                note,
            )
        }
        _ => report(
            Gate::SessionPolicy,
            Verdict::Skip,
            Vec::new(),
            "no session policy",
        ),
    });

    let outcome = if !all_denies.is_empty() {
        Outcome::ExplicitDeny
    } else if root_assumes || scp_failed || !allowed {
        Outcome::ImplicitDeny
    } else {
        Outcome::Allow
    };
    let facts = explain::Facts {
        same_account,
        grant,
        id_ok,
        bnd_ok,
        sess_ok,
        is_trust,
        root_assumes,
        scp_failed,
        allowed,
    };
    let deny_note = if all_denies.is_empty() {
        "no Deny statement of any applicable policy matches"
    } else {
        "a matching Deny overrides every allow (R02)"
    };
    gates.insert(
        root_assumes as usize,
        report(
            Gate::ExplicitDeny,
            if all_denies.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            all_denies,
            deny_note,
        ),
    );
    gates.push(report(
        Gate::Combine,
        if allowed {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        Vec::new(),
        explain::combine_note(req, &facts),
    ));
    let summary = explain::summary(req, outcome, &gates, &facts);
    Decision {
        outcome,
        gates,
        summary,
    }
}

fn rbp_report<'a>(
    req: &Request<'a>,
    rbp: Option<(&str, PolicyKind, &str)>,
    allows: Vec<Hit<'a>>,
    same_account: bool,
    is_trust: bool,
) -> GateReport<'a> {
    let Some((_, kind, owner)) = rbp else {
        let note = if req.target.policy_required {
            let what = if is_trust {
                "role (and so no trust policy)"
            } else {
                "key policy"
            };
            format!(
                "{} has no {what} in the world, and it is required",
                req.target.arn
            )
        } else if same_account {
            format!(
                "{} has no resource-based policy; within one account the identity side can allow alone",
                req.target.arn
            )
        } else {
            format!(
                "{} has no resource-based policy, so nothing in account {} lets another account in",
                req.target.arn, req.target.account
            )
        };
        return report(
            Gate::ResourcePolicy,
            if same_account && !req.target.policy_required {
                Verdict::Skip
            } else {
                Verdict::Fail
            },
            Vec::new(),
            note,
        );
    };
    if allows.is_empty() {
        let note = format!(
            "the {} of {owner} has no statement that allows {} to {} {}",
            kind.label(),
            req.caller.arn(),
            req.action,
            req.target.arn
        );
        report(Gate::ResourcePolicy, Verdict::Fail, allows, note)
    } else {
        report(Gate::ResourcePolicy, Verdict::Pass, allows, "")
    }
}

fn identity_report<'a>(
    caller: &Caller<'a>,
    req: &Request<'a>,
    allows: Vec<Hit<'a>>,
    is_root: bool,
) -> GateReport<'a> {
    if is_root {
        return report(
            Gate::Identity,
            Verdict::Pass,
            allows,
            format!(
                "the root user holds every permission of account {}",
                caller.account()
            ),
        );
    }
    if allows.is_empty() {
        let whose = match caller {
            Caller::Session(s) => format!("role {}", s.role.arn),
            other => other.arn().to_string(),
        };
        let note = format!(
            "no identity-based policy of {whose} allows {} on {}",
            req.action, req.target.arn
        );
        report(Gate::Identity, Verdict::Fail, allows, note)
    } else {
        report(Gate::Identity, Verdict::Pass, allows, "")
    }
}
