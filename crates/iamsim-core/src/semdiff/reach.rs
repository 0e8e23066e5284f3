//! One world of a semantic diff: for a subject, every identity it can act
//! as (itself, then every role it reaches through chains of
//! `sts:AssumeRole` up to the diff's bound), and which of them can make a
//! request, with what the open request keys must hold.
//!
//! Unlike who-can, which keeps one shortest chain per principal, the diff
//! must know whether *some* chain allows: a role reached only with needs
//! through a short chain may be reached without through a longer one, so a
//! role is reached again when a later chain needs nothing. Every edge and
//! every request is decided by the evaluator, through
//! [`crate::access::open::Asker`], and remembered (a request, only for a
//! role: the one node decided again, for every subject reaching it).

use crate::access::graph::{Graph, NodeId, TrustIndex};
use crate::access::open::{Answer, Asker, Need};
use crate::policy::Effect;
use crate::request::{Target, resolve_target};
use crate::semdiff::Options;
use crate::semdiff::changes;
use crate::semdiff::outsiders::Outsiders;
use crate::semdiff::scope::Class;
use crate::semdiff::space::ResourceClass;
use crate::world::World;
use rustc_hash::FxHashMap;
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

/// An identity a subject can act as: the node, the roles assumed in turn
/// to reach it (empty: the subject itself), and the needs of each
/// `sts:AssumeRole` step.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The node acted as.
    pub node: NodeId,
    /// The roles assumed, in order.
    pub chain: Vec<NodeId>,
    /// The needs of each `sts:AssumeRole` step, in order.
    pub steps: Vec<Vec<Need>>,
}

impl Identity {
    fn free(&self) -> bool {
        self.steps.iter().all(Vec::is_empty)
    }
}

/// An `sts:AssumeRole` edge a subject's chains may take, as comparable
/// text: the caller's ARN, the role's ARN, the needs of the call.
pub type Route = (String, String, Vec<String>);

/// A way a subject can make a request.
#[derive(Clone, Debug)]
pub struct Access {
    /// The roles assumed, as ARNs in order.
    pub via: Vec<String>,
    /// The needs of each `sts:AssumeRole` step, in order.
    pub assume_needs: Vec<Vec<Need>>,
    /// The needs of the request, then of the KMS request S3 makes for it.
    pub request_needs: Vec<Vec<Need>>,
    /// The open keys (lower-cased) whose values may change the decision
    /// of the request ([`Asker::take_reads`]).
    pub reads: Vec<String>,
}

impl Access {
    /// True when it needs nothing of the open keys.
    pub fn free(&self) -> bool {
        self.assume_needs
            .iter()
            .chain(&self.request_needs)
            .all(Vec::is_empty)
    }

    /// Every need, in order.
    pub fn needs(&self) -> impl Iterator<Item = &Need> {
        self.assume_needs
            .iter()
            .chain(&self.request_needs)
            .flatten()
    }
}

/// One request's decision for one node: the needs of each of its requests
/// when allowed.
type Decided = Option<Vec<Vec<Need>>>;

/// The open keys each decision read (crate::access::open::Asker::take_reads),
/// by what was decided, kept only when it read some.
type Reads<K> = FxHashMap<K, Vec<String>>;

/// An `sts:AssumeRole` edge's decision: the needs of the call when allowed.
type Edge = Option<Vec<Need>>;

/// What is remembered per `sts:AssumeRole` edge (caller, role), in a map
/// two sides may share ([`Side::share_edges`]).
type PerEdge<T> = Rc<RefCell<FxHashMap<(NodeId, NodeId), T>>>;

/// A world prepared for the diff's questions, with what it has decided.
pub struct Side<'w> {
    /// The principals.
    pub graph: Graph<'w>,
    asker: Asker<'w>,
    /// The most roles a chain assumes.
    pub max_chain: usize,
    /// The edges decided, shared with the other world's side when no
    /// change can alter an edge ([`Side::share_edges`]).
    edges: PerEdge<Edge>,
    /// The open keys each edge's decision read, when it read any; shared
    /// with the edges.
    edge_reads: PerEdge<Vec<String>>,
    /// The open keys each request's decision read, when it read any.
    request_reads: RefCell<Reads<(NodeId, Class)>>,
    /// What the trust policies name, to find the roles that could let a
    /// caller in without scanning every role ([`Graph::trust_index`]);
    /// shared with the other world's side when it would be the same
    /// ([`Side::share_trust`]).
    trusting: Rc<OnceCell<TrustIndex<'w>>>,
    /// The identities each subject reaches, shared with the edges (they
    /// follow from the edges' decisions alone).
    identities: Rc<RefCell<FxHashMap<NodeId, Rc<Vec<Identity>>>>>,
    requests: RefCell<FxHashMap<(NodeId, Class), Rc<Decided>>>,
}

impl<'w> Side<'w> {
    /// A world, asked with the diff's options, with the stand-ins for
    /// principals outside both worlds.
    pub fn new(world: &'w World, opts: &Options<'w>, outsiders: &'w Outsiders) -> Side<'w> {
        let mut graph = Graph::new(world);
        for u in &outsiders.users {
            graph.add_outsider(u);
        }
        for r in &outsiders.roles {
            graph.add_outsider_role(r);
        }
        Side {
            graph,
            asker: Asker::new(world, opts.clock, opts.context, opts.region),
            max_chain: opts.max_chain,
            edges: Rc::default(),
            edge_reads: Rc::default(),
            request_reads: RefCell::default(),
            trusting: Rc::default(),
            identities: Rc::default(),
            requests: RefCell::default(),
        }
    }

    /// The roles whose trust policy could let `caller` in (a superset;
    /// each edge is then decided), sorted.
    pub fn trusting(&self, caller: NodeId) -> Vec<NodeId> {
        self.trusting
            .get_or_init(|| self.graph.trust_index())
            .roles_trusting(&self.graph, caller)
    }

    /// Decides `sts:AssumeRole` edges with `other`'s remembered decisions
    /// (and the keys they read), which are this world's too when no change
    /// can alter an `sts:AssumeRole` request (the caller is not asked: see
    /// `semantic_diff`) and both graphs hold the same principals in the
    /// same order, so that node ids name the same principal; nothing is
    /// shared when the graphs differ. The identities each subject reaches
    /// follow from the edges' decisions alone (a role's trust policy is
    /// read only through them), so they are shared too, and the two
    /// worlds' routes are then equal. True when shared.
    pub fn share_edges(&mut self, other: &Side<'_>) -> bool {
        let same = self.same_nodes(other);
        if same {
            self.edges = Rc::clone(&other.edges);
            self.edge_reads = Rc::clone(&other.edge_reads);
            self.identities = Rc::clone(&other.identities);
        }
        same
    }

    /// True when both graphs hold the same principals in the same order,
    /// so that node ids name the same principal.
    pub fn same_nodes(&self, other: &Side<'_>) -> bool {
        self.graph.nodes.len() == other.graph.nodes.len()
            && self
                .graph
                .nodes
                .iter()
                .zip(&other.graph.nodes)
                .all(|(a, b)| a.arn() == b.arn())
    }

    /// Finds the roles trusting a caller with `other`'s index of what the
    /// trust policies name, which is this world's too when both graphs
    /// hold the same principals in the same order, no trust policy changed
    /// (`trust_changed` false) and the same accounts have a caller that may
    /// call `sts`: the index is read from nothing else. True when shared.
    pub fn share_trust(&mut self, other: &Side<'w>, trust_changed: bool) -> bool {
        let same =
            !trust_changed && self.same_nodes(other) && self.graph.same_sts_accounts(&other.graph);
        if same {
            self.trusting = Rc::clone(&other.trusting);
        }
        same
    }

    /// Whether `caller` may assume `role` in this world, with some needs
    /// or none (as the chains decide it).
    pub fn may_assume(&self, caller: NodeId, role: NodeId) -> Result<bool, String> {
        Ok(self.edge(caller, role)?.is_some())
    }

    /// Whether `caller` may assume `role`, with the needs of the call.
    fn edge(&self, caller: NodeId, role: NodeId) -> Result<Edge, String> {
        if let Some(known) = self.edges.borrow().get(&(caller, role)) {
            return Ok(known.clone());
        }
        let (Some(node), Some(r)) = (
            self.graph.nodes.get(caller),
            self.graph.nodes.get(role).and_then(|n| n.role()),
        ) else {
            return Ok(None);
        };
        self.asker.take_reads();
        let answer = match self.asker.ask_assume(node.caller(), r)? {
            Answer::Allowed(needs) => Some(needs),
            Answer::Denied(_) => None,
        };
        let read = self.asker.take_reads();
        if !read.is_empty() {
            self.edge_reads.borrow_mut().insert((caller, role), read);
        }
        self.edges
            .borrow_mut()
            .insert((caller, role), answer.clone());
        Ok(answer)
    }

    /// The identities `subject` can act as: itself first, then the roles
    /// it reaches in at most `max_chain` steps, by chain length; for each
    /// role, a chain that needs nothing if one exists within the bound,
    /// else a shortest one.
    pub fn identities(&self, subject: NodeId) -> Result<Rc<Vec<Identity>>, String> {
        if let Some(known) = self.identities.borrow().get(&subject) {
            return Ok(Rc::clone(known));
        }
        let mut best: FxHashMap<NodeId, usize> = FxHashMap::default();
        let mut out = vec![Identity {
            node: subject,
            chain: Vec::new(),
            steps: Vec::new(),
        }];
        best.insert(subject, 0);
        let mut frontier = vec![0usize];
        for _ in 0..self.max_chain {
            let mut next = Vec::new();
            for i in frontier {
                let Some(from) = out.get(i).cloned() else {
                    continue;
                };
                for role in self.trusting(from.node) {
                    if role == subject || from.chain.contains(&role) {
                        continue;
                    }
                    let Some(needs) = self.edge(from.node, role)? else {
                        continue;
                    };
                    let mut reached = from.clone();
                    reached.node = role;
                    reached.chain.push(role);
                    reached.steps.push(needs);
                    match best.get(&role).copied() {
                        None => {
                            best.insert(role, out.len());
                        }
                        Some(at) if reached.free() && out.get(at).is_some_and(|o| !o.free()) => {
                            best.insert(role, out.len());
                        }
                        Some(_) => continue,
                    }
                    next.push(out.len());
                    out.push(reached);
                }
            }
            frontier = next;
        }
        // Keep each role's best chain only, in the order reached.
        let keep: Vec<usize> = {
            let mut k: Vec<usize> = best.into_values().collect();
            k.sort_unstable();
            k
        };
        let ids: Vec<Identity> = keep
            .into_iter()
            .filter_map(|i| out.get(i).cloned())
            .collect();
        let ids = Rc::new(ids);
        self.identities
            .borrow_mut()
            .insert(subject, Rc::clone(&ids));
        Ok(ids)
    }

    /// Every `sts:AssumeRole` edge the world allows between the identities
    /// `subject` reaches (itself included), with the needs of the call.
    fn edges_from(&self, start: NodeId) -> Result<Vec<(NodeId, NodeId, Vec<Need>)>, String> {
        let nodes: Vec<NodeId> = self.identities(start)?.iter().map(|i| i.node).collect();
        let mut edges = Vec::new();
        for &from in &nodes {
            for role in self.trusting(from) {
                if role == start || !nodes.contains(&role) {
                    continue;
                }
                if let Some(needs) = self.edge(from, role)? {
                    edges.push((from, role, needs));
                }
            }
        }
        Ok(edges)
    }

    /// The edges `subject` (a user, root or role ARN) may take, as
    /// comparable text, sorted; empty when the world lacks the subject.
    /// Two worlds give the same routes exactly when the subject reaches
    /// the same identities through the same edges with the same needs,
    /// whatever chain [`Side::identities`] keeps for each.
    pub fn routes(&self, subject: &str) -> Result<Vec<Route>, String> {
        let Some(start) = self.graph.node(subject) else {
            return Ok(Vec::new());
        };
        let arn = |id: NodeId| {
            self.graph
                .nodes
                .get(id)
                .map(|n| n.arn().to_string())
                .unwrap_or_default()
        };
        let mut out: Vec<Route> = self
            .edges_from(start)?
            .into_iter()
            .map(|(from, role, needs)| {
                (arn(from), arn(role), needs.iter().map(Need::text).collect())
            })
            .collect();
        // The subject with no edge is still a subject of this world.
        out.push((arn(start), String::new(), Vec::new()));
        out.sort();
        Ok(out)
    }

    /// The open keys (lower-cased, sorted) that some `sts:AssumeRole` step
    /// needs or reads on a way from `subject` to one of the identities `to`
    /// (ARNs): the needs of every edge the world allows between the
    /// identities the subject reaches, and the keys its decision read, if
    /// its end leads to one of `to`. [`Side::identities`]
    /// keeps one chain per role, but another chain to the same role may
    /// need other keys, and its context classes must be tried too
    /// (crate::semdiff::routes).
    pub fn route_keys(&self, subject: &str, to: &[&str]) -> Result<Vec<String>, String> {
        let Some(start) = self.graph.node(subject) else {
            return Ok(Vec::new());
        };
        let edges = self.edges_from(start)?;
        let mut leads: Vec<NodeId> = to.iter().filter_map(|a| self.graph.node(a)).collect();
        loop {
            let known = leads.len();
            for (from, role, _) in &edges {
                if leads.contains(role) && !leads.contains(from) {
                    leads.push(*from);
                }
            }
            if leads.len() == known {
                break;
            }
        }
        let reads = self.edge_reads.borrow();
        let mut keys: Vec<String> = edges
            .iter()
            .filter(|(_, role, _)| leads.contains(role))
            .flat_map(|(from, role, needs)| {
                let read = reads.get(&(*from, *role)).into_iter().flatten().cloned();
                needs.iter().map(|n| n.key.to_ascii_lowercase()).chain(read)
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        Ok(keys)
    }

    /// Whether `node` can make the request itself, with the needs of each
    /// of its requests.
    fn decide(&self, node: NodeId, r: &Request<'_>) -> Result<Rc<Decided>, String> {
        let (action, resource) = (r.action, r.resource);
        let key = (node, r.class);
        if let Some(known) = self.requests.borrow().get(&key) {
            return Ok(Rc::clone(known));
        }
        let Some(n) = self.graph.nodes.get(node) else {
            return Ok(Rc::new(None));
        };
        let service = crate::access::who_can::action_service(action)?;
        let world = self.graph.world;
        self.asker.take_reads();
        let decided =
            match resolve_target(world, &service, resource, None, self.graph.account(node)) {
                Ok(target)
                    if self.graph.may_allow(node, &service, &target)
                        && self.may_be_allowed(node, action, resource, &target) =>
                {
                    self.asker.ask_action(n.caller(), action, &target)?
                }
                _ => None,
            };
        let read = self.asker.take_reads();
        if !read.is_empty() {
            self.request_reads.borrow_mut().insert(key, read);
        }
        let decided = Rc::new(decided);
        // Only a role is decided again (for every subject whose chains
        // reach it); a user's or root's decision is asked once per class,
        // so remembering it would only hold memory (every subject times
        // every class, for a root SCP).
        if n.role().is_some() {
            self.requests.borrow_mut().insert(key, Rc::clone(&decided));
        }
        Ok(decided)
    }

    /// False when the evaluator denies `node` the request whatever the
    /// context: no Allow statement of its identity-based policies could
    /// cover it (its action, and its resource as far as
    /// [`changes::may_cover_resource`] tells) and the target's
    /// resource-based policy has no Allow statement that could name the
    /// node ([`Graph::allow_could_name`]), while an access needs one or
    /// the other (D12). A root, the outsider stand-in (its undeclared
    /// account allows it everything) and a request on `*` are always
    /// asked.
    fn may_be_allowed(
        &self,
        node: NodeId,
        action: &str,
        resource: &str,
        target: &Target<'_>,
    ) -> bool {
        let world = self.graph.world;
        let Some(n) = self.graph.nodes.get(node) else {
            return false;
        };
        if n.kind() == "root"
            || !world.accounts.contains_key(self.graph.account(node))
            || resource == "*"
        {
            return true;
        }
        let rbp = target.policy.and_then(|(p, _, _)| world.policy(p));
        if rbp.is_some_and(|e| self.graph.allow_could_name(&e.policy, node)) {
            return true;
        }
        n.identity()
            .iter()
            .filter_map(|a| world.policy(a.policy))
            .flat_map(|e| &e.policy.statements)
            .any(|st| {
                st.effect == Effect::Allow
                    && changes::covers_action(st, action)
                    && changes::may_cover_resource(st, resource)
            })
    }

    /// Whether the identity `arn` (a user, root or role ARN of this world)
    /// can make the request itself, whatever its needs.
    pub fn can(&self, arn: &str, r: &Request<'_>) -> Result<bool, String> {
        let Some(node) = self.graph.node(arn) else {
            return Ok(false);
        };
        if r.account.is_some_and(|a| self.graph.account(node) != a) {
            return Ok(false);
        }
        Ok(self.decide(node, r)?.is_some())
    }

    /// Every way `subject` (a user, root or role ARN; none when the world
    /// lacks it) can make the request, one per identity that can, in the
    /// order of [`Side::identities`]. Only identities of an account that
    /// `admits` are asked: those of others cannot be allowed the request
    /// ([`super::audience`]). For `*`, only identities of the request's
    /// account can, since `*` is the caller's own and has no
    /// resource-based policy to let another account in (cross-account
    /// rule).
    pub fn accesses(
        &self,
        subject: &str,
        r: &Request<'_>,
        admits: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<Access>, String> {
        let Some(start) = self.graph.node(subject) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for id in self.identities(start)?.iter() {
            let account = self.graph.account(id.node);
            if r.account.is_some_and(|a| account != a) || !admits(account) {
                continue;
            }
            if let Some(needs) = self.decide(id.node, r)?.as_ref() {
                let reads = self
                    .request_reads
                    .borrow()
                    .get(&(id.node, r.class))
                    .cloned()
                    .unwrap_or_default();
                out.push(Access {
                    reads,
                    via: id
                        .chain
                        .iter()
                        .filter_map(|&r| self.graph.nodes.get(r).map(|n| n.arn().to_string()))
                        .collect(),
                    assume_needs: id.steps.clone(),
                    request_needs: needs.clone(),
                });
            }
        }
        Ok(out)
    }
}

/// A request class's representative, as the diff asks it.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The class's indexes in the request space, for remembering decisions.
    pub class: Class,
    /// The representative action.
    pub action: &'a str,
    /// The representative resource, or `*`.
    pub resource: &'a str,
    /// For `*`, the account it stands for.
    pub account: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// The representative request of class `c` of `space`, if it has one.
    pub fn of(space: &'a [ResourceClass], c: Class) -> Option<Request<'a>> {
        let (ri, ai) = c;
        let rc = space.get(ri)?;
        let ac = rc.actions.get(ai)?;
        Some(Request {
            class: c,
            action: ac.rep(),
            resource: &rc.arn,
            account: rc.account.as_deref(),
        })
    }
}

/// The way a subject's access is shown: the first that needs nothing,
/// else the first (shortest chain).
pub fn best(accesses: &[Access]) -> Option<&Access> {
    accesses
        .iter()
        .find(|a| a.free())
        .or_else(|| accesses.first())
}
