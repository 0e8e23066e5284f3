//! `who-can`: every principal of a world that can make one request,
//! directly or through a chain of `sts:AssumeRole` steps, each with its
//! shortest chain.
//!
//! The search runs backwards: first every principal that can make the
//! request itself (the targets, at distance 0), then, breadth first, the
//! callers that may assume a role already reached. Each role is expanded
//! once, each (caller, role) edge decided once, by the evaluator, so the
//! first time a principal is reached is through a shortest chain. Among
//! chains of one length, one that needs nothing of the open request keys
//! wins over one that does.

use super::graph::{Graph, Node, NodeId};
use super::open::{ASSUME, Answer, Ask, Asker, Need};
use crate::context::Context;
use crate::eval::unknown;
use crate::report::RequestTrace;
use crate::request::{Clock, resolve_target};
use crate::world::World;

/// A who-can question.
#[derive(Clone, Copy)]
pub struct Question<'a> {
    /// The action, `service:Name`.
    pub action: &'a str,
    /// The resource ARN, or `*`.
    pub resource: &'a str,
    /// The owner of a resource the world does not declare.
    pub resource_account: Option<&'a str>,
    /// The request keys the question fixes.
    pub context: &'a Context,
    /// The region the question names (`--region`): else the region of
    /// each request is open, a need when a condition tests it.
    pub region: Option<&'a str>,
    /// The time of the question.
    pub clock: &'a Clock,
}

/// One request of a chain, explained.
#[derive(Clone, Debug)]
pub struct Step {
    /// What the open request keys must hold for it to be allowed.
    pub needs: Vec<Need>,
    /// Its decision, explained, with the needs assumed.
    pub trace: RequestTrace,
}

/// A principal that can, and how.
#[derive(Clone, Debug)]
pub struct Reach {
    /// The principal's ARN (user, root or role).
    pub principal: String,
    /// `user`, `root` or `role`.
    pub kind: &'static str,
    /// The roles assumed in turn, then the request itself: ARNs of roles.
    pub chain: Vec<String>,
    /// Every request: the `sts:AssumeRole` steps, then the request, then
    /// the KMS request S3 makes for it on an SSE-KMS object.
    pub steps: Vec<Step>,
    /// Empty when the principal can whatever is known only after apply;
    /// else the access is indeterminate and these are the unknowns
    /// (`ADDRESS ATTRIBUTE`) it depends on (README, "What the decisions
    /// mean").
    pub depends_on: Vec<String>,
}

impl Reach {
    /// Every need of the chain, in order.
    pub fn needs(&self) -> impl Iterator<Item = &Need> {
        self.steps.iter().flat_map(|s| s.needs.iter())
    }
}

/// How a node was reached: at what distance, through which role, needing
/// what on its own requests (one `sts:AssumeRole`, or the action and the
/// KMS request S3 makes for it), and whether anything on its chain needs
/// open keys.
struct Best {
    hops: usize,
    next: Option<NodeId>,
    needs: Vec<Vec<Need>>,
    conditional: bool,
}

/// The service prefix of an action, lower-cased; an error names what is
/// wrong with it.
pub fn action_service(action: &str) -> Result<String, String> {
    match action.split_once(':') {
        Some((s, n)) if !s.is_empty() && !n.is_empty() && !s.contains(['*', '?']) => {
            Ok(s.to_ascii_lowercase())
        }
        _ => Err(format!(
            "action \"{action}\" must be SERVICE:ACTION, e.g. s3:GetObject"
        )),
    }
}

/// Everyone who can make the question's request, sorted by chain length,
/// then ARN; those who can only if what is known only after apply allows
/// it carry what it depends on. An error names what is wrong with the
/// question.
pub fn who_can(world: &World, q: &Question<'_>) -> Result<Vec<Reach>, String> {
    let found = search(world, q)?;
    if !world.has_unknowns() {
        return Ok(found);
    }
    let sure = match &world.deny_reading {
        Some(denying) => search(denying, q)?,
        None => found.clone(),
    };
    let mut out = Vec::new();
    for mut r in found {
        let (mut r, policies) = match sure.iter().find(|s| s.principal == r.principal) {
            Some(s) => (s.clone(), Vec::new()),
            None => {
                let policies = std::mem::take(&mut r.depends_on);
                (r, policies)
            }
        };
        let named = [r.principal.as_str(), q.resource]
            .into_iter()
            .chain(r.chain.iter().map(String::as_str));
        let mut depends: Vec<String> = Vec::new();
        for e in named.flat_map(|arn| unknown::entities(world, arn)) {
            if !depends.iter().any(|d| d == e) {
                depends.push(e.to_string());
            }
        }
        depends.extend(policies);
        r.depends_on = depends;
        out.push(r);
    }
    Ok(out)
}

/// [`who_can`] in one reading of the world: everyone it lets make the
/// request, each with the unknown policy texts its chain consults.
fn search(world: &World, q: &Question<'_>) -> Result<Vec<Reach>, String> {
    let graph = Graph::new(world);
    let service = action_service(q.action)?;
    let asker = Asker::new(world, q.clock, q.context, q.region);
    let mut best: Vec<Option<Best>> = (0..graph.nodes.len()).map(|_| None).collect();
    // The principals that can make the request themselves. A resource's
    // owner does not depend on who asks, except `*`, which belongs to the
    // caller's own account; a node is made a caller (its session created)
    // only once it is worth asking.
    let shared = (q.resource != "*")
        .then(|| resolve_target(world, &service, q.resource, q.resource_account, ""))
        .transpose()?;
    for (id, node) in graph.nodes.iter().enumerate() {
        let own;
        let target = match &shared {
            Some(t) => t,
            None => {
                own = resolve_target(
                    world,
                    &service,
                    q.resource,
                    q.resource_account,
                    graph.account(id),
                )?;
                &own
            }
        };
        if !graph.may_allow(id, &service, target) {
            continue;
        }
        let caller = node.caller();
        if let (Some(needs), Some(slot)) = (
            asker.ask_action(caller, q.action, target)?,
            best.get_mut(id),
        ) {
            *slot = Some(Best {
                hops: 0,
                next: None,
                conditional: needs.iter().any(|n| !n.is_empty()),
                needs,
            });
        }
    }
    // Backwards, breadth first, over "caller may assume role" edges.
    let mut frontier: Vec<NodeId> = roles_among(&graph, &best, 0);
    let mut hops = 0;
    while !frontier.is_empty() {
        hops += 1;
        for &role_id in &frontier {
            let Some(role) = graph.nodes.get(role_id).and_then(Node::role) else {
                continue;
            };
            let role_conditional = best
                .get(role_id)
                .and_then(Option::as_ref)
                .is_some_and(|b| b.conditional);
            let target = resolve_target(world, "sts", &role.arn, None, &role.account)?;
            for caller_id in graph.trusted_callers(role) {
                let known = best.get(caller_id).and_then(Option::as_ref);
                if known.is_some_and(|b| b.hops < hops || !b.conditional) {
                    continue;
                }
                let Some(node) = graph.nodes.get(caller_id) else {
                    continue;
                };
                let ask = Ask {
                    caller: node.caller(),
                    action: "sts:AssumeRole",
                    target: &target,
                    assume: Some(&ASSUME),
                    kms: None,
                };
                let Answer::Allowed(needs) = asker.ask(&ask) else {
                    continue;
                };
                let conditional = role_conditional || !needs.is_empty();
                if known.is_some() && conditional {
                    continue;
                }
                if let Some(slot) = best.get_mut(caller_id) {
                    *slot = Some(Best {
                        hops,
                        next: Some(role_id),
                        needs: vec![needs],
                        conditional,
                    });
                }
            }
        }
        frontier = roles_among(&graph, &best, hops);
    }
    let mut out = Vec::new();
    for (id, b) in best.iter().enumerate() {
        if b.is_some() {
            out.push(reach(&graph, &asker, &best, id, q, &service)?);
        }
    }
    out.sort_by(|a, b| (a.chain.len(), &a.principal).cmp(&(b.chain.len(), &b.principal)));
    Ok(out)
}

/// The role nodes reached at exactly `hops`.
fn roles_among(graph: &Graph<'_>, best: &[Option<Best>], hops: usize) -> Vec<NodeId> {
    best.iter()
        .enumerate()
        .filter(|(i, b)| {
            b.as_ref().is_some_and(|b| b.hops == hops)
                && graph.nodes.get(*i).is_some_and(|n| n.role().is_some())
        })
        .map(|(i, _)| i)
        .collect()
}

/// The chain of a reached node, with every step explained.
fn reach(
    graph: &Graph<'_>,
    asker: &Asker<'_>,
    best: &[Option<Best>],
    start: NodeId,
    q: &Question<'_>,
    service: &str,
) -> Result<Reach, String> {
    let world = graph.world;
    let mut steps = Vec::new();
    let mut chain = Vec::new();
    let mut depends_on: Vec<String> = Vec::new();
    let mut consults = |caller, action: &str, target: &_| -> Result<(), String> {
        if world.has_unknowns() {
            for p in asker.unknown_policies(caller, action, target)? {
                if !depends_on.contains(&p) {
                    depends_on.push(p);
                }
            }
        }
        Ok(())
    };
    let mut at = start;
    // Bounded by the number of nodes: each hop lowers the distance.
    for _ in 0..=graph.nodes.len() {
        let (Some(node), Some(Some(b))) = (graph.nodes.get(at), best.get(at)) else {
            break;
        };
        let caller = node.caller();
        match b.next {
            Some(next) => {
                let role = graph.nodes.get(next).and_then(Node::role);
                let Some(role) = role else { break };
                let target = resolve_target(world, "sts", &role.arn, None, &role.account)?;
                let ask = Ask {
                    caller,
                    action: "sts:AssumeRole",
                    target: &target,
                    assume: Some(&ASSUME),
                    kms: None,
                };
                let needs = b.needs.first().cloned().unwrap_or_default();
                consults(caller, "sts:AssumeRole", &target)?;
                steps.push(Step {
                    trace: asker.trace(&ask, &needs),
                    needs,
                });
                chain.push(role.arn.clone());
                at = next;
            }
            None => {
                let target = resolve_target(
                    world,
                    service,
                    q.resource,
                    q.resource_account,
                    caller.account(),
                )?;
                let traces = asker.trace_action(caller, q.action, &target, &b.needs)?;
                consults(caller, q.action, &target)?;
                for (trace, needs) in traces.into_iter().zip(b.needs.iter()) {
                    steps.push(Step {
                        trace,
                        needs: needs.clone(),
                    });
                }
                break;
            }
        }
    }
    let node = graph.nodes.get(start);
    Ok(Reach {
        principal: node.map(|n| n.arn().to_string()).unwrap_or_default(),
        kind: node.map_or("", Node::kind),
        chain,
        steps,
        depends_on,
    })
}
