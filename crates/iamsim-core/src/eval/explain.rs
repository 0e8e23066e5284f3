//! Sentences for decisions: how a statement is named, why the gates
//! combine as they do, and the one sentence that says why.

use super::pages;
use super::{Gate, GateReport, Hit, Miss, MissReason, Outcome, Request, Sides, Verdict};
use crate::policy::Statement;
use crate::policy::{Effect, Grant, PolicyKind};
use crate::request::Caller;

/// What the evaluation found, for the sentences.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    /// What each side allows.
    pub sides: Sides,
    /// A root user calling AssumeRole.
    pub root_assumes: bool,
    /// Some SCP level has no allow.
    pub scp_failed: bool,
    /// AWS refuses the request whatever the policies say: the page of the
    /// protection that refuses it.
    pub protected: Option<&'static str>,
}

/// Where a policy came from, as its statements are named with it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Provenance<'a> {
    /// The Terraform address of the policy.
    pub terraform: Option<&'a str>,
    /// For a text known only after apply, `ADDRESS ATTRIBUTE`.
    pub unknown: Option<&'a str>,
}

impl Provenance<'_> {
    /// How a statement of the policy is named: its label, or for a text
    /// known only after apply, the text itself.
    fn label(&self, statement: &Statement) -> String {
        match self.unknown {
            Some(u) => format!("the text known only after apply ({u})"),
            None => statement.label(),
        }
    }

    /// `, from ADDRESS` for a known text with an address, else nothing.
    fn suffix(&self) -> String {
        match (self.terraform, self.unknown) {
            (Some(t), None) => format!(", from {t}"),
            _ => String::new(),
        }
    }
}

/// Names a statement of a policy: `statement #0 of inline policy "p" of
/// arn:...`, with `, from ADDRESS` when the policy came from Terraform.
pub fn statement_of(
    kind: PolicyKind,
    policy: &str,
    owner: &str,
    how: &str,
    statement: &Statement,
    from: Provenance<'_>,
) -> String {
    let what = match kind {
        PolicyKind::Identity if how == "inline" => format!("inline policy \"{policy}\" of {owner}"),
        PolicyKind::Identity => format!("managed policy {policy} attached to {owner}"),
        PolicyKind::Boundary if policy.starts_with("arn:") => {
            format!("permissions boundary {policy} of {owner}")
        }
        PolicyKind::Boundary => format!("permissions boundary of {owner}"),
        PolicyKind::Session => format!("session policy of {owner}"),
        PolicyKind::Trust | PolicyKind::Bucket | PolicyKind::Key | PolicyKind::Resource => {
            format!("{} of {owner}", kind.label())
        }
        PolicyKind::Scp | PolicyKind::Rcp => policy.to_string(),
    };
    format!("{} of {what}{}", from.label(statement), from.suffix())
}

/// Why a statement does not apply, in words.
pub fn miss_reason(m: &Miss<'_>, action: &str, resource: &str) -> String {
    let st = m.statement;
    match &m.reason {
        MissReason::Principal if st.principals.as_ref().is_some_and(|p| p.negated) => {
            "its NotPrincipal spares the caller".to_string()
        }
        MissReason::Principal => "its Principal does not name the caller".to_string(),
        MissReason::Action if st.actions.negated => format!("its NotAction lists {action}"),
        MissReason::Action => format!("its Action does not cover {action}"),
        MissReason::Resource if st.resources.as_ref().is_some_and(|r| r.negated) => {
            format!("its NotResource lists {resource}")
        }
        MissReason::Resource => format!("its Resource does not cover {resource}"),
        MissReason::Condition {
            condition: c,
            request,
        } => {
            let has = match request {
                None => format!("the request has no {}", c.key),
                Some(v) => format!("the request has {} = {}", c.key, list(v)),
            };
            format!(
                "condition {} {} is false: {has}; the policy wants {}",
                c.operator,
                c.key,
                list(&c.values)
            )
        }
    }
}

fn list(v: &[String]) -> String {
    match v {
        [one] => format!("\"{one}\""),
        _ => format!(
            "[{}]",
            v.iter()
                .map(|x| format!("\"{x}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Names a statement that applied, with how a resource-based one named
/// the caller.
pub fn describe(hit: &Hit<'_>) -> String {
    let from = Provenance {
        terraform: hit.terraform,
        unknown: hit.unknown,
    };
    let mut out = statement_of(
        hit.kind,
        hit.policy,
        hit.owner,
        hit.how,
        hit.statement,
        from,
    );
    if hit.kind.is_resource_based() && hit.kind != PolicyKind::Rcp {
        match hit.matched {
            Some(e) => out.push_str(&format!(" ({})", e.phrase())),
            None if hit.grant.is_some() => {
                out.push_str(" (NotPrincipal does not spare the caller)")
            }
            None => {}
        }
    }
    out
}

/// How a resource-based statement named the caller, as a token for
/// programs: `account` (delegation), `role`, or `direct` (user, session, `*`).
pub fn grant_token(g: Grant) -> &'static str {
    match g {
        Grant::Account => "account",
        Grant::Role => "role",
        Grant::Direct => "direct",
    }
}

fn gate<'g, 'a>(gates: &'g [GateReport<'a>], g: &Gate) -> Option<&'g GateReport<'a>> {
    gates.iter().find(|r| &r.gate == g)
}

/// The one sentence that says why, and the AWS page of the rule it names.
pub fn summary(
    req: &Request<'_>,
    outcome: Outcome,
    gates: &[GateReport<'_>],
    f: &Facts,
) -> (String, &'static str) {
    let action = req.action;
    let resource = &req.target.arn;
    let caller = req.caller.arn();
    match outcome {
        Outcome::ExplicitDeny if f.protected.is_some() => {
            let note = gate(gates, &Gate::AwsProtection).map_or("", |g| g.note.as_str());
            (
                format!("denied by AWS's protection, not by a policy: {note}"),
                f.protected.unwrap_or(pages::EVALUATION),
            )
        }
        Outcome::ExplicitDeny => {
            let hit = gate(gates, &Gate::ExplicitDeny).and_then(|g| g.hits.first());
            let text = match hit {
                Some(h) => format!(
                    "explicitly denied: {} denies {action} on {resource}, and an explicit deny overrides every allow",
                    describe(h)
                ),
                None => "explicitly denied".to_string(),
            };
            (text, pages::EVALUATION)
        }
        Outcome::ImplicitDeny if f.root_assumes => (
            "denied: the root user cannot assume a role; sign in as an IAM user or role instead"
                .to_string(),
            pages::ROOT_CANNOT_ASSUME,
        ),
        Outcome::ImplicitDeny if f.scp_failed => {
            let failing = gates
                .iter()
                .find(|g| matches!(g.gate, Gate::Scp(_)) && g.verdict == Verdict::Fail);
            let text = format!(
                "denied: {} (AWS's pages call this denial explicit or implicit; iamsim reports implicit_deny)",
                failing.map_or("an SCP level has no allow", |g| g.note.as_str())
            );
            (text, pages::SCPS)
        }
        Outcome::ImplicitDeny => denied_summary(req, gates, f),
        // The evaluator decides one reading; runs say indeterminate.
        Outcome::Indeterminate => ("indeterminate".to_string(), pages::EVALUATION),
        Outcome::Allow => allowed_summary(req, gates, f, caller),
    }
}

fn principal_side_problem(gates: &[GateReport<'_>], f: &Facts) -> Option<String> {
    let failing = |g: Gate| gate(gates, &g).map(|r| r.note.clone()).unwrap_or_default();
    if !f.sides.id_ok {
        Some(failing(Gate::Identity))
    } else if !f.sides.bnd_ok {
        Some(failing(Gate::Boundary))
    } else if !f.sides.sess_ok {
        Some(failing(Gate::SessionPolicy))
    } else {
        None
    }
}

fn denied_summary(
    req: &Request<'_>,
    gates: &[GateReport<'_>],
    f: &Facts,
) -> (String, &'static str) {
    let pacct = req.caller.account();
    // A resource policy whose Allow names the caller but fails on a
    // condition says which condition; a Deny's condition is no reason that
    // nothing allows.
    let rbp = gate(gates, &Gate::ResourcePolicy);
    let condition = rbp.and_then(|g| {
        g.misses.iter().find(|m| {
            m.statement.effect == Effect::Allow && matches!(m.reason, MissReason::Condition { .. })
        })
    });
    let rbp_note = match (rbp, condition) {
        (Some(g), Some(m)) => format!(
            "{} ({})",
            g.note,
            miss_reason(m, req.action, req.target.arn)
        ),
        (Some(g), None) => g.note.clone(),
        (None, _) => String::new(),
    };
    let principal = principal_side_problem(gates, f);
    if !f.sides.same_account {
        let principal_side = match &principal {
            None => format!("account {pacct} allows {}", req.action),
            Some(p) => p.clone(),
        };
        let text = match (f.sides.grant.is_some(), principal.is_some()) {
            (false, false) => format!(
                "denied: cross-account access needs an allow on both sides; {principal_side}, but {rbp_note}"
            ),
            (false, true) => format!(
                "denied: cross-account access needs an allow on both sides; {principal_side}, and {rbp_note}"
            ),
            _ => format!(
                "denied: cross-account access needs an allow on both sides; the resource side allows, but {principal_side}"
            ),
        };
        return (text, pages::CROSS_ACCOUNT);
    }
    if req.target.policy_required && f.sides.grant.is_none() {
        return (
            format!("denied: {rbp_note}; within one account too, it must allow the caller"),
            pages::EVALUATION,
        );
    }
    if req.identity_required && principal.is_some() {
        let text = format!(
            "denied: in a role chain the caller's own policies must allow {} as well as the trust policy; {}",
            req.action,
            principal.unwrap_or_default()
        );
        return (text, pages::SOURCE_IDENTITY);
    }
    match (f.sides.grant, principal) {
        (Some(Grant::Account), Some(p)) => (
            format!(
                "denied: the resource policy names only the account, which delegates to identity-based policies; {p}"
            ),
            pages::PRINCIPAL,
        ),
        (Some(g @ (Grant::Role | Grant::Direct)), Some(_)) => {
            // A grant to the caller needs no identity allow; what limits it
            // is the boundary (D08, and a modelling choice for trust policies,
            // README) and, for a role grant, the session
            // policy (D08).
            let failing = |gt: Gate| gate(gates, &gt).map(|r| r.note.clone()).unwrap_or_default();
            let (limit, page) = if !f.sides.bnd_ok {
                (failing(Gate::Boundary), pages::BOUNDARIES)
            } else if g == Grant::Role && !f.sides.sess_ok {
                (failing(Gate::SessionPolicy), pages::SESSION_POLICIES)
            } else {
                (
                    principal_side_problem(gates, f).unwrap_or_default(),
                    pages::EVALUATION,
                )
            };
            let text = format!(
                "denied: the {} names the caller, but that grant is limited here: {limit}",
                rbp_label(f)
            );
            (text, page)
        }
        (_, Some(p)) => (
            format!("denied: nothing allows it: {p}, and {rbp_note}"),
            pages::EVALUATION,
        ),
        (_, None) => (format!("denied: {rbp_note}"), pages::EVALUATION),
    }
}

fn rbp_label(f: &Facts) -> &'static str {
    if f.sides.is_trust {
        "trust policy"
    } else {
        "resource-based policy"
    }
}

fn allowed_summary(
    req: &Request<'_>,
    gates: &[GateReport<'_>],
    f: &Facts,
    caller: &str,
) -> (String, &'static str) {
    let first = |g: Gate| gate(gates, &g).and_then(|r| r.hits.first()).map(describe);
    let rbp = first(Gate::ResourcePolicy);
    let id = first(Gate::Identity).unwrap_or_else(|| {
        if matches!(req.caller, Caller::Root { .. }) {
            format!("{caller}, the account's root user,")
        } else {
            format!("{caller}'s own account, which the world does not declare,")
        }
    });
    if !f.sides.same_account {
        let text = format!(
            "allowed: cross-account, both sides allow: {id} allows {} in account {}, and {} allows it in account {}",
            req.action,
            req.caller.account(),
            rbp.unwrap_or_default(),
            req.target.account
        );
        return (text, pages::CROSS_ACCOUNT);
    }
    let text = match (f.sides.grant, rbp) {
        (Some(Grant::Direct | Grant::Role), Some(r)) => {
            format!("allowed: {r} grants it within the same account")
        }
        (Some(Grant::Account), Some(r)) => {
            format!("allowed: {r} delegates to the account, and {id} allows it")
        }
        _ if req.target.is_aws_managed_policy() => {
            format!(
                "allowed: {id} allows it, and an AWS managed policy has no resource-based policy"
            )
        }
        _ => format!("allowed: {id} allows it within the same account"),
    };
    (text, pages::EVALUATION)
}
