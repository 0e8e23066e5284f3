//! The audience of request classes: the accounts whose identities could be
//! allowed a request of the class at all, whatever their own policies say,
//! so that a subject is decided only on the classes one of its identities
//! could be allowed, rather than on every touched class of every account.
//!
//! An identity can be allowed a request on a resource of its own account
//! (the same-account rule), or on one of another account only when the
//! resource's resource-based policy has an Allow statement that could name
//! it: its ARN, its account or everyone, or a `NotPrincipal` (the
//! cross-account rule, D12 of docs/evaluation.md,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>).
//! `*` is the caller's own account's, and an AWS managed policy belongs to
//! no customer account, so anyone's identity side decides it alone
//! ([`crate::request::Target::is_same_account`]). The evaluator's own
//! first check, [`crate::access::graph::Graph::may_allow`], denies every
//! other request before reading a policy, so a class outside every
//! identity's audience is denied in both worlds and cannot differ.

use super::changes::ChangeSet;
use super::scope::Class;
use super::space::{Keep, ResourceClass};
use crate::access::who_can::action_service;
use crate::arn::Arn;
use crate::policy::{Effect, PrincipalEntry};
use crate::request::{Target, resolve_target};
use crate::world::World;
use rustc_hash::{FxHashMap, FxHashSet};

/// An account id no world declares, for finding a resource's owner (only
/// `*` takes the caller's account, and it is handled apart).
const NOBODY: &str = "000000000000";

/// For request classes, the accounts whose identities could be allowed
/// them in either world.
#[derive(Default)]
pub struct Audience {
    /// Classes anyone could be allowed: a resource policy naming everyone
    /// or with `NotPrincipal`, an AWS managed policy.
    any: Vec<Class>,
    /// Classes the identities of an account could be allowed: its own
    /// resources, and those whose resource policy could name it.
    by_account: FxHashMap<String, Vec<Class>>,
}

impl Audience {
    /// The audience of each of `classes` of `space`, in both worlds.
    pub fn new(worlds: [&World; 2], space: &[ResourceClass], classes: &[Class]) -> Audience {
        let mut out = Audience::default();
        for &c in classes {
            let (ri, ai) = c;
            let Some(rc) = space.get(ri) else { continue };
            let Some(ac) = rc.actions.get(ai) else {
                continue;
            };
            if rc.arn == "*" {
                if let Some(a) = &rc.account {
                    out.add(a, c);
                }
                continue;
            }
            let Ok(service) = action_service(ac.rep()) else {
                continue;
            };
            for w in worlds {
                out.add_target(w, &service, &rc.arn, c);
            }
        }
        for v in out.by_account.values_mut().chain([&mut out.any]) {
            v.sort_unstable();
            v.dedup();
        }
        out
    }

    /// Adds `c` to the audience of the owner of `resource` in `world` and
    /// of every account its resource policy's Allow statements could name.
    /// A resource the world cannot place is denied there to everyone.
    fn add_target(&mut self, world: &World, service: &str, resource: &str, c: Class) {
        let Ok(t) = resolve_target(world, service, resource, None, NOBODY) else {
            return;
        };
        if t.is_aws_managed_policy() {
            self.any.push(c);
            return;
        }
        self.add(t.account, c);
        for named in named_by(world, &t) {
            match named {
                Some(a) => self.add(a, c),
                None => self.any.push(c),
            }
        }
    }

    /// Adds `c` to the audience of `account`.
    fn add(&mut self, account: &str, c: Class) {
        match self.by_account.get_mut(account) {
            Some(v) => v.push(c),
            None => {
                self.by_account.insert(account.to_string(), vec![c]);
            }
        }
    }

    /// True when an identity of `account` could be allowed class `c` (one
    /// of the classes the audience was built for).
    pub fn admits(&self, c: Class, account: &str) -> bool {
        self.any.binary_search(&c).is_ok()
            || self
                .by_account
                .get(account)
                .is_some_and(|v| v.binary_search(&c).is_ok())
    }

    /// The classes that an identity of one of `accounts` could be allowed,
    /// sorted and without repeats.
    pub fn classes<'a>(&self, accounts: impl IntoIterator<Item = &'a str>) -> Vec<Class> {
        let mut out = self.any.clone();
        for a in accounts {
            out.extend(self.by_account.get(a).into_iter().flatten());
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The accounts an Allow statement of the target's resource-based policy
/// could name, `None` standing for everyone (`"*"`, a `NotPrincipal`).
fn named_by<'w>(world: &'w World, t: &Target<'_>) -> Vec<Option<&'w str>> {
    let Some(policy) = t.policy.and_then(|(p, _, _)| world.policy(p)) else {
        return Vec::new();
    };
    let allows = policy
        .policy
        .statements
        .iter()
        .filter(|st| st.effect == Effect::Allow);
    let mut out = Vec::new();
    for set in allows.filter_map(|st| st.principals.as_ref()) {
        if set.negated {
            out.push(None);
            continue;
        }
        for e in &set.entries {
            match e {
                PrincipalEntry::Any => out.push(None),
                PrincipalEntry::Account(a) => out.push(Some(a.as_str())),
                PrincipalEntry::User(x) | PrincipalEntry::Role(x) | PrincipalEntry::Session(x) => {
                    out.extend(Arn::parse(x).map(|arn| Some(arn.account)));
                }
                PrincipalEntry::Other(_) => {}
            }
        }
    }
    out
}

/// The part of the space a change set touches, and every resource that
/// identities of some accounts could be allowed to act on: when a change
/// gives a subject new chains (or takes some away), the identities whose
/// chains differ must be decided on everything they could reach, but on
/// nothing else.
pub struct Reachable<'a, 'w> {
    /// The worlds.
    pub worlds: [&'w World; 2],
    /// What the change touches.
    pub set: &'a ChangeSet<'w>,
    /// The accounts of the identities whose chains differ.
    pub accounts: FxHashSet<String>,
}

impl Reachable<'_, '_> {
    /// True when an identity of one of the accounts could be allowed some
    /// action on `resource` in either world: the world places it in one
    /// of them, it is an AWS managed policy, or its resource-based policy
    /// (a role's trust policy included, for `sts` actions) could name one.
    fn reaches(&self, resource: &str) -> bool {
        let Some(arn) = Arn::parse(resource) else {
            return false;
        };
        let services = [arn.service, "sts"];
        self.worlds.iter().any(|w| {
            services.iter().any(|service| {
                resolve_target(w, service, resource, None, NOBODY).is_ok_and(|t| {
                    t.is_aws_managed_policy()
                        || self.accounts.contains(t.account)
                        || named_by(w, &t)
                            .iter()
                            .any(|a| a.is_none_or(|a| self.accounts.contains(a)))
                })
            })
        })
    }
}

impl Keep for Reachable<'_, '_> {
    fn bucket(&self, name: &str) -> bool {
        self.set.touches_bucket(name) || self.reaches(&format!("arn:aws:s3:::{name}"))
    }

    fn resource(&self, arn: &str, account: Option<&str>) -> bool {
        if self.set.touches_resource(arn) {
            return true;
        }
        match account {
            Some(a) => self.accounts.contains(a),
            None => self.reaches(arn),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Sources;
    use crate::semdiff::space;
    use crate::world::{NoFiles, load_world};

    /// Account A owns a bucket open to account B, a closed one and a
    /// public one; C is a third account.
    const WORLD: &str = r#"{"accounts": {
      "111111111111": {"buckets": {
        "open": {"policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"AWS": "222222222222"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::open/*"}]}},
        "closed": {},
        "public": {"policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public/*"}]}}}},
      "222222222222": {},
      "333333333333": {}}}"#;

    const A: &str = "111111111111";
    const B: &str = "222222222222";
    const C: &str = "333333333333";

    fn world() -> World {
        let mut sources = Sources::new();
        let id = sources.add("w.json", WORLD);
        load_world(&mut sources, id, &mut NoFiles).unwrap()
    }

    /// The classes of the resource shown as `shown` (for `*`, of `account`).
    fn of(space: &[ResourceClass], shown: &str, account: Option<&str>) -> Vec<Class> {
        let mut out = Vec::new();
        for (ri, rc) in space.iter().enumerate() {
            if rc.shown == shown && rc.account.as_deref() == account {
                out.extend((0..rc.actions.len()).map(|ai| (ri, ai)));
            }
        }
        assert!(!out.is_empty(), "no class {shown}");
        out
    }

    #[test]
    fn only_the_owner_and_those_a_resource_policy_names_are_admitted() {
        let w = world();
        let space = space::space(&w, &w, None);
        let all: Vec<Class> = space
            .iter()
            .enumerate()
            .flat_map(|(ri, rc)| (0..rc.actions.len()).map(move |ai| (ri, ai)))
            .collect();
        let audience = Audience::new([&w, &w], &space, &all);
        let admitted =
            |cs: &[Class], account: &str| cs.iter().all(|&c| audience.admits(c, account));
        let refused =
            |cs: &[Class], account: &str| cs.iter().all(|&c| !audience.admits(c, account));
        let open = of(&space, "arn:aws:s3:::open/*", None);
        assert!(admitted(&open, A) && admitted(&open, B));
        // Near miss: a third account the policy does not name.
        assert!(refused(&open, C));
        let closed = of(&space, "arn:aws:s3:::closed/*", None);
        assert!(admitted(&closed, A) && refused(&closed, B));
        let public = of(&space, "arn:aws:s3:::public/*", None);
        assert!(admitted(&public, C));
        // `*` is its own account's only.
        let star_b = of(&space, "*", Some(B));
        assert!(admitted(&star_b, B) && refused(&star_b, A));
        // An account's classes: the public bucket's, its own `*`, and
        // nothing of the closed bucket.
        let of_c = audience.classes([C]);
        assert!(public.iter().all(|c| of_c.contains(c)));
        assert!(of(&space, "*", Some(C)).iter().all(|c| of_c.contains(c)));
        assert!(closed.iter().chain(&open).all(|c| !of_c.contains(c)));
    }
}
