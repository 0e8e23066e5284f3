//! Scanning policies: every statement whose principal, action, resource and
//! conditions match the request is a [`Hit`]. The fast path only folds hits
//! into [`Flags`]; explanations keep them in a [`Scan`].

use super::{Depth, Hit, Miss, MissReason, Request};
use crate::condition::Condition;
use crate::context::Found;
use crate::policy::{
    Effect, Grant, Policy, PolicyKind, PrincipalEntry, RequestAction, RequestResource, Statement,
    Who,
};
use crate::world::{Attached, OrgLevel, PolicyId, World};

/// A policy to scan, with the names explanations use.
#[derive(Clone, Copy)]
pub(super) struct Source<'a> {
    pub kind: PolicyKind,
    pub policy: &'a Policy,
    pub name: &'a str,
    pub owner: &'a str,
    pub how: &'static str,
    /// The Terraform address the policy came from.
    pub terraform: Option<&'a str>,
    /// For a text known only after apply, `ADDRESS ATTRIBUTE`.
    pub unknown: Option<&'a str>,
}

impl<'a> Source<'a> {
    /// An attached identity policy or boundary.
    pub fn attached(world: &'a World, a: &'a Attached, kind: PolicyKind) -> Option<Source<'a>> {
        let e = world.policy(a.policy)?;
        Some(Source {
            kind,
            policy: &e.policy,
            name: &e.name,
            owner: &a.owner,
            how: a.how,
            terraform: e.terraform.as_deref(),
            unknown: e.unknown.as_deref(),
        })
    }

    /// A statement of this policy that applies.
    fn hit(
        &self,
        statement: &'a Statement,
        grant: Option<Grant>,
        matched: Option<&'a PrincipalEntry>,
    ) -> Hit<'a> {
        Hit {
            kind: self.kind,
            policy: self.name,
            owner: self.owner,
            how: self.how,
            terraform: self.terraform,
            unknown: self.unknown,
            statement,
            grant,
            matched,
        }
    }

    /// The SCPs or RCPs attached at one organization level.
    pub fn level(
        world: &'a World,
        level: &'a OrgLevel,
        ids: &'a [PolicyId],
        kind: PolicyKind,
    ) -> impl Iterator<Item = Source<'a>> {
        ids.iter()
            .filter_map(|id| world.policy(*id))
            .map(move |e| Source {
                kind,
                policy: &e.policy,
                name: &e.name,
                owner: &level.target,
                how: "",
                terraform: e.terraform.as_deref(),
                unknown: e.unknown.as_deref(),
            })
    }
}

/// The statements of some policies that match the request, those that do
/// not with why, and the conditions of relevant statements that found
/// their key absent.
#[derive(Default)]
pub(super) struct Scan<'a> {
    pub allows: Vec<Hit<'a>>,
    pub denies: Vec<Hit<'a>>,
    pub misses: Vec<Miss<'a>>,
    pub absent: Vec<&'a Condition>,
}

impl Scan<'_> {
    /// True when some statement allows.
    pub fn allows(&self) -> bool {
        !self.allows.is_empty()
    }

    /// What the fast path would have found.
    pub fn flags(&self) -> Flags {
        Flags {
            allow: !self.allows.is_empty(),
            deny: !self.denies.is_empty(),
            grant: self.allows.iter().filter_map(|h| h.grant).max(),
        }
    }
}

/// What a scan found, without the statements.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Flags {
    pub allow: bool,
    pub deny: bool,
    /// For resource-based policies, the strongest way an allow names the caller.
    pub grant: Option<Grant>,
}

/// The request, split once for matching.
pub(super) struct Input<'a, 'r> {
    pub req: &'r Request<'a>,
    /// What [`Input::scan`] keeps.
    pub depth: Depth,
    pub action: RequestAction<'r>,
    pub resource: RequestResource<'r>,
    pub who: Who<'a>,
}

/// How a statement names the caller: `None` when it does not; else the
/// grant and the Principal entry (none for statements without a principal
/// element, or for NotPrincipal).
type PrincipalMatch<'a> = Option<(Option<Grant>, Option<&'a PrincipalEntry>)>;

impl<'a> Input<'a, '_> {
    fn principal(&self, st: &'a Statement) -> PrincipalMatch<'a> {
        match &st.principals {
            None => Some((None, None)),
            Some(p) if p.negated => p
                .not_principal_applies(&self.who, st.effect == Effect::Deny)
                .then_some((Some(Grant::Direct), None)),
            Some(p) => p.grant(&self.who).map(|(g, e)| (Some(g), Some(e))),
        }
    }

    /// Calls `f` for every statement of `s` that applies to the request.
    pub fn each_hit(&self, s: &Source<'a>, f: &mut dyn FnMut(Hit<'a>)) {
        if !s.policy.may_apply_to(self.action.service) {
            return;
        }
        for st in &s.policy.statements {
            let Some((grant, matched)) = self.principal(st) else {
                continue;
            };
            if !st.matches_request(&self.action, &self.resource, self.req.context) {
                continue;
            }
            f(s.hit(st, grant, matched));
        }
    }

    /// Scans `sources` for an explanation: every hit, every statement that
    /// does not apply with the reason, and the condition keys that
    /// statements on the decision path tested but the request lacks.
    /// At [`Depth::Summary`], of the statements that do not apply only
    /// those kept out by a false condition are kept, and a policy that
    /// names no action of the request's service is passed over (none of
    /// its statements could reach a condition).
    pub fn scan(&self, sources: impl IntoIterator<Item = Source<'a>>) -> Scan<'a> {
        let mut out = Scan::default();
        let walk = self.depth == Depth::Walk;
        for s in sources {
            if !walk && !s.policy.may_apply_to(self.action.service) {
                continue;
            }
            for st in &s.policy.statements {
                let miss = |reason| Miss {
                    kind: s.kind,
                    policy: s.name,
                    owner: s.owner,
                    how: s.how,
                    terraform: s.terraform,
                    unknown: s.unknown,
                    statement: st,
                    reason,
                };
                let mut missed = |reason| {
                    if walk {
                        out.misses.push(miss(reason));
                    }
                };
                let Some((grant, matched)) = self.principal(st) else {
                    missed(MissReason::Principal);
                    continue;
                };
                if !st.actions.matches(&self.action) {
                    missed(MissReason::Action);
                    continue;
                }
                if st
                    .resources
                    .as_ref()
                    .is_some_and(|r| !r.matches(&self.resource, self.req.context))
                {
                    missed(MissReason::Resource);
                    continue;
                }
                let mut failed = None;
                for c in &st.conditions {
                    let found = self.req.context.lookup(&c.key_lower);
                    if found == Found::Absent {
                        out.absent.push(c);
                    }
                    if !c.eval(self.req.context) {
                        let request = (found != Found::Absent)
                            .then(|| found.values().map(str::to_string).collect());
                        failed = Some(MissReason::Condition {
                            condition: c,
                            request,
                        });
                        break;
                    }
                }
                if let Some(reason) = failed {
                    out.misses.push(miss(reason));
                    continue;
                }
                let hit = s.hit(st, grant, matched);
                match st.effect {
                    Effect::Allow => out.allows.push(hit),
                    Effect::Deny => out.denies.push(hit),
                }
            }
        }
        out
    }

    /// Scans `sources`, keeping only what the decision needs.
    pub fn flags(&self, sources: impl IntoIterator<Item = Source<'a>>) -> Flags {
        let mut f = Flags::default();
        for s in sources {
            self.each_hit(&s, &mut |hit| match hit.statement.effect {
                Effect::Allow => {
                    f.allow = true;
                    f.grant = f.grant.max(hit.grant);
                }
                Effect::Deny => f.deny = true,
            });
        }
        f
    }
}
