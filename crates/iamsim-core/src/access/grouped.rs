//! What-can's answer grouped for reading: the actions that share a
//! resource set, needs and unknowns as one grant, and the identities that
//! share every grant as one group. Grouping keeps every fact: expanding a
//! group gives back each (identity, action, resource, needs) of
//! [`super::what_can::what_can`], no more and no fewer.

use super::open::Need;
use super::what_can::{AsIdentity, Granted};
use crate::world::Map;
use rayon::prelude::*;
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};

/// Actions allowed on the same resources with the same needs.
#[derive(Clone, Debug, PartialEq, Hash)]
pub struct Grant {
    /// `service:Action` names, sorted.
    pub actions: Vec<String>,
    /// The resources, in the answer's order (`*` last).
    pub resources: Vec<String>,
    /// What open request keys each request must meet.
    pub needs: Vec<Need>,
    /// Empty when allowed whatever is known only after apply; else the
    /// unknowns (`ADDRESS ATTRIBUTE`) the actions depend on.
    pub depends_on: Vec<String>,
}

/// One identity reached, as [`AsIdentity`] says how.
#[derive(Clone, Debug)]
pub struct Reached {
    /// The principal's ARN, or the role's.
    pub arn: String,
    /// The roles assumed in turn (empty: the principal itself).
    pub chain: Vec<String>,
    /// What the chain's `sts:AssumeRole` steps need.
    pub needs: Vec<Need>,
}

/// Identities with the same grants.
#[derive(Clone, Debug)]
pub struct Group {
    /// The identities, in the answer's order.
    pub identities: Vec<Reached>,
    /// Their grants, in the order of their first resource.
    pub grants: Vec<Grant>,
}

/// The needs in words, for keys and output.
pub fn needs_text(needs: &[Need]) -> String {
    needs
        .iter()
        .map(Need::text)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// A grant's resources (indices), needs and unknowns.
type GrantKey<'a> = (Vec<usize>, &'a [Need], &'a [String]);

/// One identity's grants: each action's resources per needs and
/// unknowns, then the actions with one resource set together. Resources
/// that share one list of actions (one class) are taken together.
fn grants(a: &AsIdentity) -> Vec<Grant> {
    // Each distinct list of actions, with the indices of its resources.
    let mut lists: Vec<(&[Granted], Vec<usize>)> = Vec::new();
    let mut by_list: Map<*const Granted, usize> = Map::default();
    for (i, access) in a.access.iter().enumerate() {
        let n = *by_list.entry(access.actions.as_ptr()).or_insert_with(|| {
            lists.push((access.actions.as_slice(), Vec::new()));
            lists.len() - 1
        });
        if let Some((_, resources)) = lists.get_mut(n) {
            resources.push(i);
        }
    }
    // (action, needs, depends on) → resource indices, in first-seen order.
    let mut by_action: Vec<(&Granted, Vec<usize>)> = Vec::new();
    let mut index: Map<(&str, String, &[String]), usize> = Map::default();
    for (list, resources) in &lists {
        for g in *list {
            let key = (
                g.action.as_str(),
                needs_text(&g.needs),
                g.depends_on.as_slice(),
            );
            let n = *index.entry(key).or_insert_with(|| {
                by_action.push((g, Vec::new()));
                by_action.len() - 1
            });
            if let Some((_, r)) = by_action.get_mut(n) {
                r.extend(resources);
            }
        }
    }
    // (resources, needs, depends on) → actions.
    let mut out: Vec<(Vec<usize>, Grant)> = Vec::new();
    let mut index: Map<GrantKey<'_>, usize> = Map::default();
    for (g, mut resources) in by_action {
        resources.sort_unstable();
        let key = (resources, g.needs.as_slice(), g.depends_on.as_slice());
        match index.get(&key).and_then(|&i| out.get_mut(i)) {
            Some((_, same)) => same.actions.push(g.action.clone()),
            None => {
                index.insert(key.clone(), out.len());
                out.push((
                    key.0,
                    Grant {
                        actions: vec![g.action.clone()],
                        resources: Vec::new(),
                        needs: g.needs.clone(),
                        depends_on: g.depends_on.clone(),
                    },
                ));
            }
        }
    }
    // In the order of their first resource.
    out.sort_by(|x, y| x.0.cmp(&y.0));
    out.into_iter()
        .map(|(resources, mut g)| {
            g.actions.sort();
            g.resources = resources
                .iter()
                .filter_map(|&i| a.access.get(i).map(|r| r.resource.clone()))
                .collect();
            g
        })
        .collect()
}

/// The answer grouped: identities with the same grants together, in the
/// order of their first identity.
pub fn group(found: Vec<AsIdentity>) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    // The groups by a hash of their grants; equal grants decide.
    let mut index: Map<u64, Vec<usize>> = Map::default();
    // Each identity's grants and their hash, on every core.
    let found: Vec<(AsIdentity, Vec<Grant>, u64)> = found
        .into_par_iter()
        .map(|a| {
            let grants = grants(&a);
            let mut h = FxHasher::default();
            grants.hash(&mut h);
            (a, grants, h.finish())
        })
        .collect();
    for (a, grants, hash) in found {
        let candidates = index.entry(hash).or_default();
        let reached = Reached {
            arn: a.arn,
            chain: a.chain,
            needs: a.needs,
        };
        let same = candidates
            .iter()
            .copied()
            .find(|&i| out.get(i).is_some_and(|g| g.grants == grants));
        match same.and_then(|i| out.get_mut(i)) {
            Some(group) => group.identities.push(reached),
            None => {
                candidates.push(out.len());
                out.push(Group {
                    identities: vec![reached],
                    grants,
                });
            }
        }
    }
    out
}
