//! The principals of a world as the nodes of a graph whose edges are "P
//! may assume role R". Edges are decided by the evaluator; this module
//! only says which callers are worth asking: the callers a role's trust
//! policy could allow, found from the principals its Allow statements name
//! (a trust policy must allow even within one account, D22, so no one it
//! does not name can pass).

use crate::policy::{Effect, Policy, PolicyKind, PrincipalEntry};
use crate::request::{Caller, Session, Target};
use crate::world::{Attached, Map, Role, User, World};
use std::sync::OnceLock;

/// Index of a node in [`Graph::nodes`].
pub type NodeId = usize;

/// The session name iamsim's analyses give every role session.
pub const SESSION_NAME: &str = "iamsim";

/// What one trust policy names ([`Graph::trust_names`]).
#[derive(Default)]
struct TrustNames<'w> {
    callers: Vec<NodeId>,
    accounts: Vec<&'w str>,
    everyone: bool,
}

/// Which roles' trust policies name what ([`Graph::trust_index`]).
#[derive(Default)]
pub struct TrustIndex<'w> {
    /// Roles whose trust names a user or role (or a session of a role).
    by_caller: Map<NodeId, Vec<NodeId>>,
    /// Roles whose trust names an account.
    by_account: Map<&'w str, Vec<NodeId>>,
    /// Roles whose trust names everyone (or has a `NotPrincipal`).
    everyone: Vec<NodeId>,
    /// The same, by the role's account.
    everyone_by_account: Map<&'w str, Vec<NodeId>>,
}

impl TrustIndex<'_> {
    /// The roles whose trust policy could let `caller` in, sorted: those
    /// for which [`Graph::trusted_callers`] lists it.
    pub fn roles_trusting(&self, graph: &Graph<'_>, caller: NodeId) -> Vec<NodeId> {
        let account = graph.account(caller);
        let mut out: Vec<NodeId> = self.by_caller.get(&caller).cloned().unwrap_or_default();
        if graph.is_sts_capable(caller) {
            out.extend(self.by_account.get(account).into_iter().flatten());
            out.extend(&self.everyone);
        } else if matches!(
            graph.nodes.get(caller),
            Some(Node::User(_) | Node::Role(..))
        ) {
            // "*" names same-account callers directly (D06).
            out.extend(self.everyone_by_account.get(account).into_iter().flatten());
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A principal of the world.
#[derive(Debug)]
pub enum Node<'w> {
    /// An IAM user.
    User(&'w User),
    /// An account's root user: `arn` is `arn:aws:iam::ID:root`.
    Root {
        /// The account id.
        account: &'w str,
        /// The root ARN.
        arn: String,
    },
    /// A role, acting through a session named [`SESSION_NAME`] with no
    /// session policy, tags or source identity, made when first needed
    /// (boxed: most roles of a large world never act, and the node list
    /// stays small; a lock, since identities are decided on every core).
    Role(&'w Role, Box<OnceLock<Session<'w>>>),
}

impl<'w> Node<'w> {
    /// The ARN that names the node: user, root or role ARN.
    pub fn arn(&self) -> &str {
        match self {
            Node::User(u) => &u.arn,
            Node::Root { arn, .. } => arn,
            Node::Role(r, _) => &r.arn,
        }
    }

    /// `user`, `root` or `role`.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::User(_) => "user",
            Node::Root { .. } => "root",
            Node::Role(..) => "role",
        }
    }

    /// The node as the caller of a request.
    pub fn caller(&self) -> Caller<'_> {
        match self {
            Node::User(u) => Caller::User(u),
            Node::Root { account, arn } => Caller::Root { account, arn },
            Node::Role(r, s) => Caller::Session(s.get_or_init(|| Session::new(r, SESSION_NAME))),
        }
    }

    /// The role, for a role node.
    pub fn role(&self) -> Option<&'w Role> {
        match self {
            Node::Role(r, _) => Some(r),
            _ => None,
        }
    }

    fn account(&self) -> &str {
        match self {
            Node::User(u) => &u.account,
            Node::Root { account, .. } => account,
            Node::Role(r, _) => &r.account,
        }
    }

    /// The identity-based policies attached (a user's include its
    /// groups'); none for a root.
    pub fn identity(&self) -> &'w [Attached] {
        match self {
            Node::User(u) => &u.identity,
            Node::Root { .. } => &[],
            Node::Role(r, _) => &r.identity,
        }
    }
}

/// The principals of a world, with the indexes the searches need.
pub struct Graph<'w> {
    /// The world.
    pub world: &'w World,
    /// Every user, root and role (in the world's map order: searches sort
    /// what they report).
    pub nodes: Vec<Node<'w>>,
    /// Users and roles by ARN.
    by_arn: Map<&'w str, NodeId>,
    /// Roots by account id.
    roots: Map<&'w str, NodeId>,
    /// Per account, the users and roles with an identity-based policy that
    /// may name an `sts` action: the only ones a trust policy naming their
    /// account (or everyone) can let in, since such a grant needs an
    /// identity-based allow too (D07, D12).
    sts_capable: Map<&'w str, Vec<NodeId>>,
}

impl<'w> Graph<'w> {
    /// The graph of a world's principals.
    pub fn new(world: &'w World) -> Graph<'w> {
        // Room for one outsider ([`Graph::add_outsider`]): growing the
        // node list or the ARN map by one would copy or rehash the world.
        let principals = world.users.len() + world.roles.len() + 1;
        let mut nodes: Vec<Node<'w>> = Vec::with_capacity(principals + world.accounts.len());
        nodes.extend(world.users.values().map(Node::User));
        nodes.extend(world.accounts.values().map(|a| Node::Root {
            account: &a.id,
            arn: format!("arn:aws:iam::{}:root", a.id),
        }));
        nodes.extend(world.roles.values().map(|r| Node::Role(r, Box::default())));
        let mut by_arn = Map::with_capacity_and_hasher(principals, Default::default());
        let mut roots = Map::default();
        let mut sts_capable: Map<&'w str, Vec<NodeId>> = Map::default();
        // Whether each policy may name `sts`, asked once per policy: many
        // principals attach the same managed policies.
        let mut sts: Vec<Option<bool>> = vec![None; world.policies.len()];
        for (i, n) in nodes.iter().enumerate() {
            let (arn, account): (&'w str, &'w str) = match n {
                Node::User(u) => (&u.arn, &u.account),
                // Roots cannot assume roles (D27): never a caller here.
                Node::Root { account, .. } => {
                    roots.insert(*account, i);
                    continue;
                }
                Node::Role(r, _) => (&r.arn, &r.account),
            };
            by_arn.insert(arn, i);
            let may_sts = n.identity().iter().any(|a| {
                let slot = sts.get_mut(a.policy.0 as usize);
                match slot {
                    Some(Some(known)) => *known,
                    _ => {
                        let may = world
                            .policy(a.policy)
                            .is_some_and(|p| p.policy.may_apply_to("sts"));
                        if let Some(slot) = slot {
                            *slot = Some(may);
                        }
                        may
                    }
                }
            });
            if may_sts {
                sts_capable.entry(account).or_default().push(i);
            }
        }
        Graph {
            world,
            nodes,
            by_arn,
            roots,
            sts_capable,
        }
    }

    /// Adds a user of an account the world does not declare (an outsider,
    /// crate::outsider): its own account allows it everything, so it can
    /// call `sts` whenever a trust policy lets it in. Returns its node.
    pub fn add_outsider(&mut self, user: &'w User) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node::User(user));
        self.by_arn.insert(&user.arn, id);
        self.sts_capable.entry(&user.account).or_default().push(id);
        id
    }

    /// Adds a role of an account the world does not declare, for its
    /// sessions ([`crate::outsider::role`]): like an outsider user, it may
    /// call `sts`; it has no trust policy of the world, so nothing here
    /// assumes it. Returns its node.
    pub fn add_outsider_role(&mut self, role: &'w Role) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node::Role(role, Box::default()));
        self.by_arn.insert(&role.arn, id);
        self.sts_capable.entry(&role.account).or_default().push(id);
        id
    }

    /// The node named by a user, role or root ARN.
    pub fn node(&self, arn: &str) -> Option<NodeId> {
        self.by_arn.get(arn).copied().or_else(|| {
            let account = arn.strip_prefix("arn:aws:iam::")?.strip_suffix(":root")?;
            self.roots.get(account).copied()
        })
    }

    /// The account of a node.
    pub fn account(&self, id: NodeId) -> &str {
        self.nodes.get(id).map_or("", Node::account)
    }

    /// The callers that `role`'s trust policy could allow to assume it,
    /// sorted and without repeats: those its Allow statements name, every
    /// user and role of a named account that may call `sts`, and for
    /// `"*"` or `NotPrincipal` every such user and role of the world. A
    /// superset: each is then decided by the evaluator.
    pub fn trusted_callers(&self, role: &Role) -> Vec<NodeId> {
        let Some(named) = self.trust_names(role) else {
            return Vec::new();
        };
        let mut out = named.callers;
        for a in named.accounts {
            out.extend(self.sts_capable.get(a).into_iter().flatten());
        }
        if named.everyone {
            out = self.sts_capable.values().flatten().copied().collect();
            // "*" also names same-account callers directly (D06), who need
            // no identity-based allow.
            out.extend(
                self.by_arn
                    .values()
                    .copied()
                    .filter(|&i| self.account(i) == role.account),
            );
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// What `role`'s trust policy's Allow statements name: callers, the
    /// accounts that have callers that may call `sts`, and everyone (`"*"`
    /// or `NotPrincipal`). `None` without a trust policy.
    fn trust_names(&self, role: &Role) -> Option<TrustNames<'w>> {
        let trust = self.world.policy(role.trust)?;
        debug_assert_eq!(trust.kind, PolicyKind::Trust);
        let mut named = TrustNames::default();
        for st in trust
            .policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            let Some(p) = &st.principals else { continue };
            if p.negated {
                named.everyone = true;
                continue;
            }
            for e in &p.entries {
                match e {
                    PrincipalEntry::Any => named.everyone = true,
                    PrincipalEntry::Account(a) => named
                        .accounts
                        .extend(self.sts_capable.get_key_value(a.as_str()).map(|(k, _)| *k)),
                    PrincipalEntry::User(arn) | PrincipalEntry::Role(arn) => {
                        named.callers.extend(self.by_arn.get(arn.as_str()));
                    }
                    PrincipalEntry::Session(arn) => named.callers.extend(self.session_role(arn)),
                    PrincipalEntry::Other(_) => {}
                }
            }
        }
        Some(named)
    }

    /// The inverse of [`Graph::trusted_callers`] for every role, indexed
    /// by what the trust policies name rather than expanded into every
    /// caller of every named account (thousands of roles each trusting
    /// their account's hundred callers).
    pub fn trust_index(&self) -> TrustIndex<'w> {
        let mut index = TrustIndex::default();
        for (id, n) in self.nodes.iter().enumerate() {
            let Some(role) = n.role() else { continue };
            let Some(named) = self.trust_names(role) else {
                continue;
            };
            // As in trusted_callers, "*" replaces what the policy names.
            if named.everyone {
                index.everyone.push(id);
                index
                    .everyone_by_account
                    .entry(role.account.as_str())
                    .or_default()
                    .push(id);
                continue;
            }
            for c in named.callers {
                index.by_caller.entry(c).or_default().push(id);
            }
            for a in named.accounts {
                index.by_account.entry(a).or_default().push(id);
            }
        }
        index
    }

    /// True when the accounts that have a caller that may call `sts` are
    /// the same in both graphs: what [`Graph::trust_index`] reads of the
    /// graph besides the ARNs of its nodes.
    pub fn same_sts_accounts(&self, other: &Graph<'_>) -> bool {
        self.sts_capable.len() == other.sts_capable.len()
            && self
                .sts_capable
                .keys()
                .all(|a| other.sts_capable.contains_key(a))
    }

    /// True when the node may call `sts` (see `sts_capable`).
    fn is_sts_capable(&self, id: NodeId) -> bool {
        self.sts_capable
            .get(self.account(id))
            .is_some_and(|ids| ids.binary_search(&id).is_ok())
    }

    /// False when the node cannot be allowed an action of `service` on
    /// `target` whatever the conditions. Across accounts, and for a target
    /// whose policy must allow even within one account (a trust or key
    /// policy, D11, D22), the target's resource-based policy must have an
    /// Allow statement that could name the node (D12). Within one, the
    /// node's identity-based policies must name the service, or the target
    /// carry a resource-based policy that could allow alone; roots hold
    /// every permission of their account.
    pub fn may_allow(&self, id: NodeId, service: &str, target: &Target<'_>) -> bool {
        let Some(node) = self.nodes.get(id) else {
            return false;
        };
        let rbp = target
            .policy
            .and_then(|(p, _, _)| self.world.policy(p))
            .map(|e| &e.policy);
        if target.policy_required || !target.is_same_account(node.account()) {
            let named = rbp.is_some_and(|p| self.allow_could_name(p, id));
            if !named {
                return false;
            }
        }
        matches!(node, Node::Root { .. })
            || rbp.is_some()
            || node.identity().iter().any(|a| {
                self.world
                    .policy(a.policy)
                    .is_some_and(|p| p.policy.may_apply_to(service))
            })
    }

    /// True when an Allow statement of a resource-based policy could name
    /// node `id`: its ARN, its role's ARN, its account, everyone, or a
    /// `NotPrincipal` (a superset; the evaluator decides).
    pub fn allow_could_name(&self, policy: &Policy, id: NodeId) -> bool {
        let Some(node) = self.nodes.get(id) else {
            return false;
        };
        let (arn, account) = (node.arn(), node.account());
        let names = |e: &PrincipalEntry| match e {
            PrincipalEntry::Any => true,
            PrincipalEntry::Account(a) => a == account,
            PrincipalEntry::User(x) | PrincipalEntry::Role(x) => x == arn,
            PrincipalEntry::Session(x) => self.session_role(x) == Some(id),
            PrincipalEntry::Other(_) => false,
        };
        policy.statements.iter().any(|st| {
            st.effect == Effect::Allow
                && st
                    .principals
                    .as_ref()
                    .is_some_and(|p| p.negated || p.entries.iter().any(names))
        })
    }

    /// The roles whose trust policy could allow `id` to assume them: an
    /// Allow statement names it, its account, or everyone (or is a
    /// `NotPrincipal`). A superset, as in [`Graph::trusted_callers`].
    pub fn roles_trusting(&self, id: NodeId) -> Vec<NodeId> {
        if matches!(self.nodes.get(id), None | Some(Node::Root { .. })) {
            return Vec::new();
        }
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.role()
                    .and_then(|r| self.world.policy(r.trust))
                    .is_some_and(|t| self.allow_could_name(&t.policy, id))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The role node of a session ARN iamsim's sessions can match
    /// (`arn:aws:sts::ID:assumed-role/NAME/iamsim`).
    fn session_role(&self, arn: &str) -> Option<NodeId> {
        let rest = arn.strip_prefix("arn:aws:sts::")?;
        let (account, rest) = rest.split_once(':')?;
        let (name, session) = rest.strip_prefix("assumed-role/")?.split_once('/')?;
        if session != SESSION_NAME {
            return None;
        }
        let role = self.world.role_by_name(account, name)?;
        self.by_arn.get(role.arn.as_str()).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Sources;
    use crate::world::{NoFiles, load_world};

    /// Roles trusting everyone, an account, a user and a role's session
    /// (a trust policy refuses `NotPrincipal`); callers that may call
    /// `sts` and callers that may not, in the roles' account and in
    /// another.
    const WORLD: &str = r#"{"accounts": {
      "111111111111": {
        "users": {
          "sts": {"inline_policies": {"p": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}},
          "plain": {}},
        "roles": {
          "Everyone": {"trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}},
          "Account": {"trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "sts:AssumeRole"}]}},
          "Named": {"trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/plain"}, "Action": "sts:AssumeRole"}]}},
          "Session": {"trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:sts::111111111111:assumed-role/Account/iamsim"}, "Action": "sts:AssumeRole"}]}}}},
      "222222222222": {
        "users": {
          "sts": {"inline_policies": {"p": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}]}}},
          "plain": {}}}}}"#;

    #[test]
    fn the_trust_index_inverts_trusted_callers_for_every_caller() {
        let mut sources = Sources::new();
        let id = sources.add("w.json", WORLD);
        let world = load_world(&mut sources, id, &mut NoFiles).unwrap();
        let graph = Graph::new(&world);
        let index = graph.trust_index();
        let mut non_empty = 0;
        for caller in 0..graph.nodes.len() {
            let expected: Vec<NodeId> = (0..graph.nodes.len())
                .filter(|&r| {
                    graph.nodes[r]
                        .role()
                        .is_some_and(|role| graph.trusted_callers(role).contains(&caller))
                })
                .collect();
            assert_eq!(
                index.roles_trusting(&graph, caller),
                expected,
                "caller {caller}"
            );
            non_empty += usize::from(!expected.is_empty());
        }
        // Every user and role is trusted by some role here (roots by none).
        assert_eq!(non_empty, 8);
    }
}
