//! Scanning policies: every statement whose principal, action, resource and
//! conditions match the request becomes a [`Hit`], sorted into allows and
//! denies.

use super::{Hit, Request};
use crate::policy::{Effect, Grant, Policy, PolicyKind, RequestAction, RequestResource};
use crate::world::{Attached, OrgLevel, PolicyId, World};

/// A policy to scan, with the names explanations use.
#[derive(Clone, Copy)]
pub(super) struct Source<'a> {
    pub kind: PolicyKind,
    pub policy: &'a Policy,
    pub name: &'a str,
    pub owner: &'a str,
    pub how: &'static str,
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
        })
    }

    /// The SCPs or RCPs attached at one organization level.
    pub fn level(
        world: &'a World,
        level: &'a OrgLevel,
        ids: &'a [PolicyId],
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
}

/// The statements of some policies that match the request.
#[derive(Default)]
pub(super) struct Scan<'a> {
    pub allows: Vec<Hit<'a>>,
    pub denies: Vec<Hit<'a>>,
}

impl Scan<'_> {
    /// True when some statement allows.
    pub fn allows(&self) -> bool {
        !self.allows.is_empty()
    }
}

/// The request, split once for matching.
pub(super) struct Input<'a, 'r> {
    pub req: &'r Request<'a>,
    pub action: RequestAction<'r>,
    pub resource: RequestResource<'r>,
}

impl<'a> Input<'a, '_> {
    /// Scans `sources` into a new [`Scan`].
    pub fn scan(&self, sources: &[Source<'a>]) -> Scan<'a> {
        let mut out = Scan::default();
        self.scan_into(sources, &mut out);
        out
    }

    /// Scans `sources`, adding to `out`.
    pub fn scan_into(&self, sources: &[Source<'a>], out: &mut Scan<'a>) {
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
