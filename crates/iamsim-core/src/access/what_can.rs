//! `what-can`: what one principal can do to the resources of a world,
//! directly and as each role it can reach through `sts:AssumeRole`
//! chains. The actions asked are those of AWS's service authorization
//! reference that take the resource's type ([`Catalog::types_of`]), so a
//! wildcard grant shows as the actions it expands to; each is decided by
//! the evaluator, with the needs of open request keys as in `who-can`.
//! The actions that take no resource type (`ec2:DescribeInstances`) are
//! asked on `*` and listed under it.

use super::classes::{Class, Statements, action_class, class};
use super::graph::{Graph, NodeId};
use super::open::{Answer, Asker, Need};
use crate::catalog::{Catalog, ResourceType};
use crate::context::Context;
use crate::eval::unknown;
use crate::pattern::{self, NoVars, Syntax};
use crate::request::{Clock, Target, resolve_target};
use crate::world::{Map, World};
use rayon::prelude::*;
use std::collections::VecDeque;
use std::sync::Arc;

/// A what-can question.
#[derive(Clone, Copy)]
pub struct Question<'a> {
    /// The principal: a user, role or account root ARN of the world.
    pub principal: &'a str,
    /// Only resources whose ARN matches this pattern (`*` and `?`).
    pub resource: Option<&'a str>,
    /// The request keys the question fixes.
    pub context: &'a Context,
    /// The region the question names (`--region`): else the region of
    /// each request is open, a need when a condition tests it.
    pub region: Option<&'a str>,
    /// The time of the question.
    pub clock: &'a Clock,
}

/// An action the principal may perform on a resource.
#[derive(Clone, Debug)]
pub struct Granted {
    /// `service:Action`, as the reference writes it.
    pub action: String,
    /// What open request keys must hold (for an SSE-KMS object, the KMS
    /// request's too).
    pub needs: Vec<Need>,
    /// Empty when the action is allowed whatever is known only after
    /// apply; else it is indeterminate and these are the unknowns
    /// (`ADDRESS ATTRIBUTE`) it depends on.
    pub depends_on: Vec<String>,
}

/// The actions on one resource.
#[derive(Clone, Debug)]
pub struct Access {
    /// The resource ARN (`arn:aws:s3:::NAME/*` stands for every object).
    pub resource: String,
    /// The actions allowed, sorted; resources that no statement
    /// distinguishes share one list.
    pub actions: Arc<Vec<Granted>>,
}

/// What the principal can do as itself or as one role it reaches.
#[derive(Clone, Debug)]
pub struct AsIdentity {
    /// The principal's ARN, or the role's.
    pub arn: String,
    /// The roles assumed in turn to act as it (empty: the principal itself).
    pub chain: Vec<String>,
    /// What open request keys the chain's `sts:AssumeRole` steps need.
    pub needs: Vec<Need>,
    /// The policy texts known only after apply that the chain's
    /// `sts:AssumeRole` steps consult.
    pub chain_unknowns: Vec<String>,
    /// The resources it can do something to, with the actions.
    pub access: Vec<Access>,
}

/// The resources of the world, sorted: buckets, their objects (and the
/// objects under each SSE-KMS prefix, whose key differs), users, roles and
/// declared resources.
fn resources(world: &World) -> Vec<String> {
    let mut out = Vec::new();
    for b in world.buckets.values() {
        out.push(b.arn.clone());
        out.push(format!("{}/*", b.arn));
        out.extend(
            b.encryption
                .iter()
                .filter(|e| !e.prefix.is_empty())
                .map(|e| format!("{}/{}*", b.arn, e.prefix)),
        );
    }
    out.extend(world.users.keys().cloned());
    out.extend(world.roles.keys().cloned());
    out.extend(world.resources.keys().cloned());
    out.sort();
    out.dedup();
    out
}

/// An identity reached: the node, the roles assumed to act as it, and
/// what the chain needs of open keys.
type Reached = (NodeId, Vec<NodeId>, Vec<Need>);

/// The identities a principal can act as: itself, then every role it can
/// reach, breadth first, each with its shortest chain and that chain's
/// needs.
fn reachable(graph: &Graph<'_>, asker: &Asker<'_>, start: NodeId) -> Result<Vec<Reached>, String> {
    let mut seen = vec![false; graph.nodes.len()];
    if let Some(s) = seen.get_mut(start) {
        *s = true;
    }
    let mut out = vec![(start, Vec::new(), Vec::new())];
    let mut queue = VecDeque::from([0usize]);
    // The roles whose trust policy could let each identity in, from what
    // the trust policies name rather than from every role's trust asked.
    let trusting = graph.trust_index();
    while let Some(i) = queue.pop_front() {
        let Some((from, chain, needs)) = out.get(i).cloned() else {
            continue;
        };
        let Some(node) = graph.nodes.get(from) else {
            continue;
        };
        for role_id in trusting.roles_trusting(graph, from) {
            if seen.get(role_id).copied().unwrap_or(true) {
                continue;
            }
            let Some(role) = graph.nodes.get(role_id).and_then(|n| n.role()) else {
                continue;
            };
            if let Answer::Allowed(more) = asker.ask_assume(node.caller(), role)? {
                if let Some(s) = seen.get_mut(role_id) {
                    *s = true;
                }
                let mut chain = chain.clone();
                chain.push(role_id);
                let mut needs = needs.clone();
                needs.extend(more);
                queue.push_back(out.len());
                out.push((role_id, chain, needs));
            }
        }
    }
    Ok(out)
}

/// What the question's principal can do, as itself and as each role it
/// reaches; an action allowed only if what is known only after apply
/// allows it carries what it depends on. An error names what is wrong
/// with the question.
pub fn what_can(world: &World, q: &Question<'_>) -> Result<Vec<AsIdentity>, String> {
    let mut found = analyse(world, q)?;
    if !world.has_unknowns() {
        return Ok(found);
    }
    let sure = match &world.deny_reading {
        Some(denying) => analyse(denying, q)?,
        None => found.clone(),
    };
    let entities = |arns: &mut dyn Iterator<Item = &str>| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in arns.flat_map(|arn| unknown::entities(world, arn)) {
            if !out.iter().any(|d| d == e) {
                out.push(e.to_string());
            }
        }
        out
    };
    for id in &mut found {
        let sure_id = sure.iter().find(|s| s.arn == id.arn);
        let chain = entities(
            &mut std::iter::once(id.arn.as_str()).chain(id.chain.iter().map(String::as_str)),
        );
        for access in &mut id.access {
            let sure_access =
                sure_id.and_then(|s| s.access.iter().find(|a| a.resource == access.resource));
            let mut named = chain.clone();
            for e in entities(&mut std::iter::once(access.resource.as_str())) {
                if !named.contains(&e) {
                    named.push(e);
                }
            }
            for g in Arc::make_mut(&mut access.actions) {
                let surely =
                    sure_access.is_some_and(|a| a.actions.iter().any(|s| s.action == g.action));
                let mut depends = named.clone();
                if !surely {
                    let consulted = id.chain_unknowns.iter().chain(&g.depends_on);
                    for p in consulted {
                        if !depends.contains(p) {
                            depends.push(p.clone());
                        }
                    }
                }
                g.depends_on = depends;
            }
        }
    }
    Ok(found)
}

/// The actions that take no resource type that identity `id` may perform,
/// asked on `*`, which its own account owns; sorted.
fn without_resource(
    world: &World,
    graph: &Graph<'_>,
    asker: &Asker<'_>,
    id: NodeId,
) -> Result<Vec<Granted>, String> {
    let Some(node) = graph.nodes.get(id) else {
        return Ok(Vec::new());
    };
    let caller = node.caller();
    let statements = Statements::of(world, &caller);
    // The needs of each class of actions decided so far (None: denied).
    let mut decided: Map<Vec<u8>, Option<Vec<Need>>> = Map::default();
    let mut out = Vec::new();
    // The catalog lists them by service: decide whether a service may be
    // allowed at all once per service.
    let mut service: Option<(&str, bool)> = None;
    for action in Catalog::get().actions_without_resource() {
        let prefix = action.split(':').next().unwrap_or_default();
        let target = resolve_target(world, prefix, "*", None, graph.account(id))?;
        let may = match service {
            Some((s, may)) if s == prefix => may,
            _ => graph.may_allow(id, prefix, &target),
        };
        service = Some((prefix, may));
        if !may {
            continue;
        }
        let class = action_class(world, &statements, action);
        let needs = match class.as_ref().and_then(|c| decided.get(c)) {
            Some(needs) => needs.clone(),
            None => {
                let needs = asker
                    .ask_action(caller, action, &target)?
                    .map(|n| n.into_iter().flatten().collect::<Vec<Need>>());
                if let Some(c) = class {
                    decided.insert(c, needs.clone());
                }
                needs
            }
        };
        if let Some(needs) = needs {
            let depends_on = if world.has_unknowns() {
                asker.unknown_policies(caller, action, &target)?
            } else {
                Vec::new()
            };
            out.push(Granted {
                action: action.clone(),
                needs,
                depends_on,
            });
        }
    }
    Ok(out)
}

/// Each resource of the question with its types and resolved targets:
/// a resource of the world has an owner, whoever asks.
type Typed<'w> = Vec<(&'w str, Vec<(&'w ResourceType, Target<'w>)>)>;

/// What identity `id` may do to each of the `typed` resources, and, when
/// `any_resource`, under `*` to the actions that take none. Decided with
/// an asker of its own, so that identities run on every core.
fn identity_access(
    world: &World,
    graph: &Graph<'_>,
    q: &Question<'_>,
    typed: &Typed<'_>,
    any_resource: bool,
    id: NodeId,
) -> Result<Vec<Access>, String> {
    let asker = Asker::new(world, q.clock, q.context, q.region);
    let Some(node) = graph.nodes.get(id) else {
        return Ok(Vec::new());
    };
    let caller = node.caller();
    let statements = Statements::of(world, &caller);
    // The grants of each class of resources decided so far: resources of
    // one class share them.
    let mut decided: Map<Vec<(*const ResourceType, Class<'_>)>, Arc<Vec<Granted>>> = Map::default();
    let mut access = Vec::new();
    for (arn, targets) in typed {
        let key: Vec<_> = targets
            .iter()
            .filter(|(t, target)| graph.may_allow(id, &t.service, target))
            .map(|(t, target)| {
                (
                    std::ptr::from_ref(*t),
                    class(world, &statements, target, &t.service, q.region),
                )
            })
            .collect();
        if key.is_empty() {
            continue;
        }
        let actions = match decided.get(&key) {
            Some(grants) => Arc::clone(grants),
            None => {
                let mut actions = Vec::new();
                for (t, target) in targets {
                    if !graph.may_allow(id, &t.service, target) {
                        continue;
                    }
                    for name in &t.actions {
                        let action = format!("{}:{name}", t.service);
                        if let Some(n) = asker.ask_action(caller, &action, target)? {
                            let depends_on = if world.has_unknowns() {
                                asker.unknown_policies(caller, &action, target)?
                            } else {
                                Vec::new()
                            };
                            actions.push(Granted {
                                action,
                                needs: n.into_iter().flatten().collect(),
                                depends_on,
                            });
                        }
                    }
                }
                actions.sort_by(|a, b| a.action.cmp(&b.action));
                actions.dedup_by(|a, b| a.action == b.action);
                let actions = Arc::new(actions);
                decided.insert(key, Arc::clone(&actions));
                actions
            }
        };
        if !actions.is_empty() {
            access.push(Access {
                resource: (*arn).to_string(),
                actions,
            });
        }
    }
    if any_resource {
        let actions = without_resource(world, graph, &asker, id)?;
        if !actions.is_empty() {
            access.push(Access {
                resource: "*".to_string(),
                actions: Arc::new(actions),
            });
        }
    }
    Ok(access)
}

/// The policy texts known only after apply that the `sts:AssumeRole`
/// steps of a chain from `start` consult.
fn chain_unknowns(
    world: &World,
    graph: &Graph<'_>,
    asker: &Asker<'_>,
    start: NodeId,
    chain: &[NodeId],
) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    let mut from = start;
    for &role_id in chain {
        let (Some(f), Some(role)) = (
            graph.nodes.get(from),
            graph.nodes.get(role_id).and_then(|n| n.role()),
        ) else {
            continue;
        };
        let target = resolve_target(world, "sts", &role.arn, None, &role.account)?;
        for p in asker.unknown_policies(f.caller(), "sts:AssumeRole", &target)? {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        from = role_id;
    }
    Ok(out)
}

/// [`what_can`] in one reading of the world, each action with the unknown
/// policy texts it consults. The identities reached are decided on every
/// core (rayon), each with its own asker.
fn analyse(world: &World, q: &Question<'_>) -> Result<Vec<AsIdentity>, String> {
    let graph = Graph::new(world);
    let start = graph.node(q.principal).ok_or_else(|| {
        format!(
            "principal {} is not a user, role or account root of the world",
            q.principal
        )
    })?;
    let plain = Syntax {
        wildcards: true,
        variables: false,
    };
    let filter = q.resource.map(|p| pattern::compile(p, plain)).transpose()?;
    let resources: Vec<String> = resources(world)
        .into_iter()
        .filter(|r| {
            filter
                .as_ref()
                .is_none_or(|f| pattern::matches(f, r, &NoVars) == Some(true))
        })
        .collect();
    // The actions that take no resource are asked on `*`, which the
    // filter must let through as it would a resource.
    let any_resource = filter
        .as_ref()
        .is_none_or(|f| pattern::matches(f, "*", &NoVars) == Some(true));
    let asker = Asker::new(world, q.clock, q.context, q.region);
    let catalog = Catalog::get();
    let mut typed: Typed<'_> = Vec::with_capacity(resources.len());
    for arn in &resources {
        let mut targets = Vec::new();
        for t in catalog.types_of(arn) {
            targets.push((t, resolve_target(world, &t.service, arn, None, "")?));
        }
        typed.push((arn.as_str(), targets));
    }
    let reached = reachable(&graph, &asker, start)?;
    let mut out = reached
        .into_par_iter()
        .map(|(id, chain, needs)| {
            let access = identity_access(world, &graph, q, &typed, any_resource, id)?;
            let chain_unknowns = if world.has_unknowns() {
                let asker = Asker::new(world, q.clock, q.context, q.region);
                chain_unknowns(world, &graph, &asker, start, &chain)?
            } else {
                Vec::new()
            };
            Ok(AsIdentity {
                chain_unknowns,
                arn: graph
                    .nodes
                    .get(id)
                    .map(|n| n.arn().to_string())
                    .unwrap_or_default(),
                chain: chain
                    .iter()
                    .filter_map(|&r| graph.nodes.get(r).map(|n| n.arn().to_string()))
                    .collect(),
                needs,
                access,
            })
        })
        .collect::<Result<Vec<AsIdentity>, String>>()?;
    // The principal first, then by chain length and ARN.
    out.sort_by(|a, b| (a.chain.len(), &a.arn).cmp(&(b.chain.len(), &b.arn)));
    Ok(out)
}
