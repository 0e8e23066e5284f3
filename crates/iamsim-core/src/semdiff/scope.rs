//! Only what can differ: from the change set of two worlds
//! ([`super::changes`]), the subjects and request classes a semantic diff
//! must decide, so that a one-statement change to a large world does not
//! re-decide the world.
//!
//! It is sound because [`ChangeSet::may_differ`] is conservative (it never
//! says "cannot differ" of a request that can):
//! - a request class (resource class, action class) is *touched* when some
//!   change can alter a decision on its action and on its resource;
//! - a node (user, role, root or the outsider stand-in) is *hit* when, for
//!   some touched class, its own request may differ;
//! - an `sts:AssumeRole` edge can only differ if its caller is hit for the
//!   role's `sts:AssumeRole` class, a touched class; so a subject whose
//!   chains (up to the bound, in either world) reach no hit node, no role
//!   whose trust policy changed and no principal whose identity side or
//!   account changed, has the same chains and the same decisions in both
//!   worlds, and is skipped. Who could reach a node is found backwards,
//!   as who-can searches: over the callers a trust policy could allow,
//!   each edge decided (in each world) as the chains themselves decide it.
//!
//! A subject that is kept is decided on every class when its chains differ
//! between the worlds, else only on the touched classes where one of its
//! identities is hit.

use super::audience::Audience;
use super::changes::ChangeSet;
use super::reach::{Request, Side};
use super::space::ResourceClass;
use crate::access::graph::NodeId;
use rustc_hash::{FxHashMap, FxHashSet};

/// A request class: indexes of its resource class and action class.
pub type Class = (usize, usize);

/// What the diff must decide.
pub struct Scope {
    /// The touched classes.
    pub touched: Vec<Class>,
    /// The subjects to decide, as ARNs, sorted.
    pub subjects: Vec<String>,
}

/// The classes of `space` a change can touch, in order.
pub fn touched(set: &ChangeSet<'_>, space: &[ResourceClass]) -> Vec<Class> {
    let mut touched = Vec::new();
    for (ri, rc) in space.iter().enumerate() {
        if !set.touches_resource(&rc.arn) {
            continue;
        }
        for (ai, ac) in rc.actions.iter().enumerate() {
            if set.touches_action(ac.rep()) {
                touched.push((ri, ai));
            }
        }
    }
    touched
}

/// The touched classes, the hit nodes and from them the subjects to
/// decide, over both worlds' graphs.
pub fn scope(
    set: &ChangeSet<'_>,
    space: &[ResourceClass],
    sides: &[Side<'_>; 2],
    max_chain: usize,
) -> Result<Scope, String> {
    let touched = touched(set, space);
    // Both graphs usually hold the same principals: then one's are all.
    let [before, after] = sides;
    let mut arns: Vec<&str> = before.graph.nodes.iter().map(|n| n.arn()).collect();
    if !after.same_nodes(before) {
        arns.extend(after.graph.nodes.iter().map(|n| n.arn()));
    }
    arns.sort_unstable();
    arns.dedup();
    // Principals whose trust, identity side or account changed, then
    // those hit by a touched class (not asked again for the first).
    let mut seeds: FxHashSet<String> = FxHashSet::default();
    seeds.extend(set.trust_changed().map(str::to_string));
    seeds.extend(set.subjects().map(|(arn, _)| arn.to_string()));
    let changed_accounts: FxHashSet<&str> = set.accounts().map(|(a, _)| a).collect();
    for side in sides {
        for (i, n) in side.graph.nodes.iter().enumerate() {
            if changed_accounts.contains(side.graph.account(i)) {
                seeds.insert(n.arn().to_string());
            }
        }
    }
    for arn in &arns {
        if seeds.contains(*arn) || !set.may_reach(arn) {
            continue;
        }
        let hit = touched.iter().any(|&(ri, ai)| {
            let rc = space.get(ri);
            let ac = rc.and_then(|r| r.actions.get(ai));
            matches!((rc, ac), (Some(rc), Some(ac)) if set.may_differ(arn, ac.rep(), &rc.arn))
        });
        if hit {
            seeds.insert((*arn).to_string());
        }
    }
    let mut reached = seeds.clone();
    let mut frontier: Vec<String> = seeds.into_iter().collect();
    for _ in 0..max_chain {
        // Once every principal is reached (a root SCP's change seeds them
        // all), no search can add one.
        if arns.iter().all(|a| reached.contains(*a)) {
            break;
        }
        let mut next = Vec::new();
        for arn in &frontier {
            for side in sides {
                let g = &side.graph;
                let Some(id) = g.node(arn) else { continue };
                let Some(role) = g.nodes.get(id).and_then(|n| n.role()) else {
                    continue;
                };
                for caller in g.trusted_callers(role) {
                    // A caller already reached needs no edge decided.
                    let Some(c) = g.nodes.get(caller) else {
                        continue;
                    };
                    if reached.contains(c.arn()) || !side.may_assume(caller, id)? {
                        continue;
                    }
                    reached.insert(c.arn().to_string());
                    next.push(c.arn().to_string());
                }
            }
        }
        frontier = next;
    }
    let mut subjects: Vec<String> = reached
        .into_iter()
        .filter(|a| arns.binary_search(&a.as_str()).is_ok())
        .collect();
    subjects.sort();
    Ok(Scope { touched, subjects })
}

/// The nodes of `side` that can reach, in at most `max_chain` roles, an
/// identity that `side` allows a class of `audience` it could be allowed
/// ([`Audience::classes`] of its account): that identity itself, then
/// backwards, the callers each such role's trust policy could allow and
/// `side` lets assume it. A subject outside has no way to make a request
/// of those classes in this world. A superset (a chain may not revisit a
/// role, and the backward search does not ask).
pub fn reaching_allowed(
    side: &Side<'_>,
    space: &[ResourceClass],
    audience: &Audience,
    max_chain: usize,
) -> Result<FxHashSet<NodeId>, String> {
    let g = &side.graph;
    let mut by_account: FxHashMap<&str, Vec<Class>> = FxHashMap::default();
    let mut reached: FxHashSet<NodeId> = FxHashSet::default();
    let mut frontier = Vec::new();
    for (id, n) in g.nodes.iter().enumerate() {
        let account = g.account(id);
        let classes = by_account
            .entry(account)
            .or_insert_with(|| audience.classes([account]));
        for &c in classes.iter() {
            let Some(r) = Request::of(space, c) else {
                continue;
            };
            if side.can(n.arn(), &r)? {
                reached.insert(id);
                frontier.push(id);
                break;
            }
        }
    }
    for _ in 0..max_chain {
        let mut next = Vec::new();
        for &id in &frontier {
            let Some(role) = g.nodes.get(id).and_then(|n| n.role()) else {
                continue;
            };
            for caller in g.trusted_callers(role) {
                if reached.contains(&caller) || !side.may_assume(caller, id)? {
                    continue;
                }
                reached.insert(caller);
                next.push(caller);
            }
        }
        frontier = next;
    }
    Ok(reached)
}
