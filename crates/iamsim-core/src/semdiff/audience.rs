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

use super::scope::Class;
use super::space::ResourceClass;
use crate::access::who_can::action_service;
use crate::arn::Arn;
use crate::policy::{Effect, PrincipalEntry};
use crate::request::resolve_target;
use crate::world::World;
use rustc_hash::FxHashMap;

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
        let Some(policy) = t.policy.and_then(|(p, _, _)| world.policy(p)) else {
            return;
        };
        let allows = policy
            .policy
            .statements
            .iter()
            .filter(|st| st.effect == Effect::Allow);
        for set in allows.filter_map(|st| st.principals.as_ref()) {
            if set.negated {
                self.any.push(c);
                continue;
            }
            for e in &set.entries {
                match e {
                    PrincipalEntry::Any => self.any.push(c),
                    PrincipalEntry::Account(a) => self.add(a, c),
                    PrincipalEntry::User(x)
                    | PrincipalEntry::Role(x)
                    | PrincipalEntry::Session(x) => {
                        if let Some(arn) = Arn::parse(x) {
                            self.add(arn.account, c);
                        }
                    }
                    PrincipalEntry::Other(_) => {}
                }
            }
        }
    }

    fn add(&mut self, account: &str, c: Class) {
        match self.by_account.get_mut(account) {
            Some(v) => v.push(c),
            None => {
                self.by_account.insert(account.to_string(), vec![c]);
            }
        }
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
