//! What changed between two loaded worlds, and which requests it can touch.
//!
//! Policies are matched across the worlds by their identity ([`PolicyKey`]:
//! a user's, group's or role's inline policy by owner and name, a managed
//! policy by ARN, a trust policy by role, a bucket or declared resource's
//! policy by its ARN, an SCP or RCP by its level and name or index) and
//! compared statement by statement, by meaning: statement order, the order
//! of a statement's actions, resources, principals and conditions, its Sid
//! and where it was written (white space) change nothing AWS decides, so
//! they are no change. Any other difference is, a changed condition value
//! included.
//!
//! Beside policies, a change is an attachment (a managed policy attached or
//! detached, a group joined or left, a boundary set or removed, an SCP or
//! RCP attached to a level), a principal or resource added or removed, tags
//! (ABAC conditions read them), a bucket's encryption or region, a key's
//! `aws_managed`, an account's place in the organization, and the world's
//! organization or default region.
//!
//! The [`ChangeSet`] records each difference where it acts: on a subject's
//! identity side (users and roles, [`ChangeSet::subjects`]), on a
//! resource's side (buckets, roles as the resource of `sts:AssumeRole`,
//! declared resources, [`ChangeSet::resources`]), on an account's
//! organization levels ([`ChangeSet::accounts`]), or everywhere
//! ([`ChangeSet::global`]). [`ChangeSet::may_differ`] then tells, without
//! deciding, whether one request's decision can differ between the worlds:
//! it is conservative (conditions are not read, a policy variable may match
//! anything), never the other way.

use crate::arn::Arn;
use crate::policy::{
    ActionSet, Effect, Policy, PrincipalEntry, PrincipalSet, RequestAction, ResourcePattern,
    Statement,
};
use crate::sse_kms;
use crate::world::{Attached, Map, OrgLevel, PolicyEntry, PolicyId, Role, Tags, User, World};
use rustc_hash::FxHashSet;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt;

/// The identity of a policy across two worlds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKey<'w> {
    /// An inline policy of a user, group or role: its owner's ARN and name.
    Inline {
        /// The user, group or role ARN.
        owner: &'w str,
        /// The policy name.
        name: &'w str,
    },
    /// A customer or AWS managed policy, by ARN.
    Managed(&'w str),
    /// A permissions boundary written as a document, by its owner's ARN.
    Boundary(&'w str),
    /// A role's trust policy, by role ARN.
    Trust(&'w str),
    /// A bucket's policy (by bucket ARN) or a declared resource's.
    Resource(&'w str),
    /// An SCP or RCP, by the name explanations use (`SCP "DenyAll" of
    /// root`, `RCP #0 of ou-prod`): its kind, level and name or index.
    Org(&'w str),
}

impl fmt::Display for PolicyKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyKey::Inline { owner, name } => write!(f, "inline policy \"{name}\" of {owner}"),
            PolicyKey::Managed(arn) => write!(f, "managed policy {arn}"),
            PolicyKey::Boundary(owner) => write!(f, "permissions boundary of {owner}"),
            PolicyKey::Trust(role) => write!(f, "trust policy of {role}"),
            PolicyKey::Resource(arn) => write!(f, "resource-based policy of {arn}"),
            PolicyKey::Org(name) => f.write_str(name),
        }
    }
}

/// A policy whose statements differ between the worlds (or that exists in
/// one only), with the statements present on one side only.
#[derive(Debug)]
pub struct PolicyChange<'w> {
    /// Which policy.
    pub key: PolicyKey<'w>,
    /// Its id in the before world, if it is there.
    pub before: Option<PolicyId>,
    /// Its id in the after world, if it is there.
    pub after: Option<PolicyId>,
    /// Statements of the before version that the after version lacks.
    pub removed: Vec<&'w Statement>,
    /// Statements of the after version that the before version lacks.
    pub added: Vec<&'w Statement>,
}

/// One difference, recorded on the subject, resource or account it acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delta {
    /// It exists in the after world only.
    Added,
    /// It exists in the before world only.
    Removed,
    /// A policy it has in both worlds says something else: an index into
    /// [`ChangeSet::policies`].
    Changed(usize),
    /// A policy attached in the after world only (an after-world id): a
    /// managed policy, a group's policies, a boundary, an SCP or RCP.
    Attached(PolicyId),
    /// A policy attached in the before world only (a before-world id).
    Detached(PolicyId),
    /// Its tags differ (`aws:PrincipalTag/*`, `aws:ResourceTag/*`,
    /// `iam:ResourceTag/*`).
    Tags,
    /// A bucket's SSE-KMS rules differ.
    Encryption,
    /// A bucket's region differs.
    Region,
    /// A KMS key's `aws_managed` differs.
    AwsManaged,
    /// The organization levels above an account differ (an OU move, a
    /// level whose `scps` key appears or goes, the management account).
    Levels,
    /// A permissions boundary set where there was none, or removed: it
    /// limits every action, not only those its statements name.
    Boundary,
}

impl Delta {
    /// True when the difference is not a list of statements: every request
    /// on what it acts on may differ.
    pub fn is_whole(self) -> bool {
        !matches!(
            self,
            Delta::Changed(_) | Delta::Attached(_) | Delta::Detached(_)
        )
    }
}

/// The one way a change set can move decisions ([`ChangeSet::monotone`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Monotone {
    /// Only `Deny` statements were added: the after world allows only
    /// what the before world allows.
    Narrows,
    /// Only `Deny` statements were removed: the before world allows only
    /// what the after world allows.
    Widens,
}

/// What changed between two worlds, borrowed from them.
#[derive(Debug)]
pub struct ChangeSet<'w> {
    before: &'w World,
    after: &'w World,
    /// Every policy in effect in either world whose statements differ.
    pub policies: Vec<PolicyChange<'w>>,
    subjects: BTreeMap<&'w str, Vec<Delta>>,
    resources: BTreeMap<&'w str, Vec<Delta>>,
    accounts: BTreeMap<&'w str, Vec<Delta>>,
    global: Vec<&'static str>,
    /// The statements of every identity and organization delta, each
    /// once (a root SCP's statement is every account's delta), for the
    /// questions asked of every resource; `None` when a delta is whole.
    identity_and_org: OnceCell<Option<Vec<&'w Statement>>>,
    /// The same with the resources' deltas, for every action.
    every: OnceCell<Option<Vec<&'w Statement>>>,
    /// The statements of the resources' deltas alone.
    on_resources: OnceCell<Option<Vec<&'w Statement>>>,
    /// For each after-world policy id, true when the before world holds
    /// the same policy, in effect, under the same id and says the same
    /// ([`ChangeSet::unchanged`]).
    unchanged: Vec<bool>,
}

/// Both worlds' policies, without the after world's that say what the
/// before world's say ([`ChangeSet::unchanged`]): what is read from every
/// policy of both worlds is then read once.
pub fn policies_once<'a>(
    [before, after]: [&'a World; 2],
    set: Option<&'a ChangeSet<'_>>,
) -> impl Iterator<Item = &'a PolicyEntry> {
    let again = after.policies.iter().enumerate().filter_map(move |(i, e)| {
        let id = u32::try_from(i).map(PolicyId);
        let same = set.zip(id.ok()).is_some_and(|(s, id)| s.unchanged(id));
        (!same).then_some(e)
    });
    before.policies.iter().chain(again)
}

/// Compares two loaded worlds.
pub fn changes<'w>(before: &'w World, after: &'w World) -> ChangeSet<'w> {
    let mut bk = Keyed::new(before);
    let mut ak = Keyed::new(after);
    // Two loads of one world file edited in place compile their policies in
    // the same order: then ids pair up without hashing a key.
    let aligned = bk.by_id == ak.by_id;
    let mut changed = Changed {
        by_key: Map::default(),
        by_before_id: vec![None; before.policies.len()],
        aligned,
    };
    let mut policies = Vec::new();
    let mut compare = |key: PolicyKey<'w>, b: Option<PolicyId>, a: Option<PolicyId>| {
        let bp = b.and_then(|id| before.policy(id)).map(|e| &e.policy);
        let ap = a.and_then(|id| after.policy(id)).map(|e| &e.policy);
        let (removed, added) = statement_diff(bp, ap);
        if !removed.is_empty() || !added.is_empty() {
            policies.push(PolicyChange {
                key,
                before: b,
                after: a,
                removed,
                added,
            });
        }
    };
    if aligned {
        for (i, k) in bk.by_id.iter().enumerate() {
            if let (Some(k), Ok(i)) = (k, u32::try_from(i)) {
                compare(*k, Some(PolicyId(i)), Some(PolicyId(i)));
            }
        }
    } else {
        bk.index();
        ak.index();
        for (k, b) in &bk.by_key {
            compare(*k, Some(*b), ak.by_key.get(k).copied());
        }
        for (k, a) in &ak.by_key {
            if !bk.by_key.contains_key(k) {
                compare(*k, None, Some(*a));
            }
        }
    }
    policies.sort_unstable_by_key(|p| p.key);
    for (i, p) in policies.iter().enumerate() {
        changed.by_key.insert(p.key, i);
        let slot = p
            .before
            .and_then(|id| changed.by_before_id.get_mut(id.0 as usize));
        if let Some(slot) = slot {
            *slot = Some(i);
        }
    }
    // Ids pair up only in aligned worlds; then a policy in effect that is
    // not among the changed ones says the same in both.
    let unchanged = if aligned {
        bk.by_id
            .iter()
            .zip(&changed.by_before_id)
            .map(|(key, change)| key.is_some() && change.is_none())
            .collect()
    } else {
        Vec::new()
    };
    let mut set = ChangeSet {
        before,
        after,
        policies,
        subjects: BTreeMap::new(),
        resources: BTreeMap::new(),
        accounts: BTreeMap::new(),
        global: Vec::new(),
        identity_and_org: OnceCell::new(),
        every: OnceCell::new(),
        on_resources: OnceCell::new(),
        unchanged,
    };
    set.compare_principals(&bk, &ak, &changed);
    set.compare_resources(&changed.by_key);
    set.compare_accounts(&bk, &ak, &changed);
    if before
        .organization
        .as_ref()
        .map(|o| (&o.id, &o.management_account))
        != after
            .organization
            .as_ref()
            .map(|o| (&o.id, &o.management_account))
    {
        set.global
            .push("the organization (aws:PrincipalOrgID, aws:ResourceOrgID) differs");
    }
    if before.default_region != after.default_region {
        set.global
            .push("default_region (aws:RequestedRegion of requests on resources of no known region) differs");
    }
    set
}

/// The policies that differ, found by key and by before-world id (the
/// subjects' attachments look them up by id, without hashing).
struct Changed<'w> {
    by_key: Map<PolicyKey<'w>, usize>,
    by_before_id: Vec<Option<usize>>,
    /// Both worlds give every policy id the same key.
    aligned: bool,
}

/// Every policy in effect in a world, each keyed once: the identity
/// policies and boundaries of users, groups and roles, trust policies,
/// bucket and resource policies, SCPs and RCPs. A customer managed policy
/// attached to nothing decides nothing, so it is not among them.
struct Keyed<'w> {
    /// The key of each policy id, `None` for one in effect nowhere.
    by_id: Vec<Option<PolicyKey<'w>>>,
    /// The policy of each key, once [`Keyed::index`] has built it.
    by_key: Map<PolicyKey<'w>, PolicyId>,
}

impl<'w> Keyed<'w> {
    fn new(world: &'w World) -> Keyed<'w> {
        let mut k = Keyed {
            by_id: vec![None; world.policies.len()],
            by_key: Map::default(),
        };
        let identities = world
            .users
            .values()
            .map(|u| (&u.identity, &u.boundary))
            .chain(world.roles.values().map(|r| (&r.identity, &r.boundary)));
        for (identity, boundary) in identities {
            for a in identity.iter().chain(boundary.as_ref()) {
                if k.key(a.policy).is_none() {
                    if let Some(key) = attached_key(world, a) {
                        k.insert(key, a.policy);
                    }
                }
            }
        }
        for role in world.roles.values() {
            k.insert(PolicyKey::Trust(&role.arn), role.trust);
        }
        for bucket in world.buckets.values() {
            if let Some(id) = bucket.policy {
                k.insert(PolicyKey::Resource(&bucket.arn), id);
            }
        }
        for res in world.resources.values() {
            if let Some(id) = res.policy {
                k.insert(PolicyKey::Resource(&res.arn), id);
            }
        }
        for account in world.accounts.values() {
            for level in &account.levels {
                for id in level.scps.iter().flatten().chain(&level.rcps) {
                    if k.key(*id).is_none() {
                        if let Some(e) = world.policy(*id) {
                            k.insert(PolicyKey::Org(&e.name), *id);
                        }
                    }
                }
            }
        }
        k
    }

    fn insert(&mut self, key: PolicyKey<'w>, id: PolicyId) {
        if let Some(slot) = self.by_id.get_mut(id.0 as usize) {
            *slot = Some(key);
        }
    }

    /// Builds the map from keys to ids.
    fn index(&mut self) {
        self.by_key.reserve(self.by_id.len());
        for (i, k) in self.by_id.iter().enumerate() {
            if let (Some(k), Ok(i)) = (k, u32::try_from(i)) {
                self.by_key.insert(*k, PolicyId(i));
            }
        }
    }

    /// The key of a policy id.
    fn key(&self, id: PolicyId) -> Option<PolicyKey<'w>> {
        self.by_id.get(id.0 as usize).copied().flatten()
    }
}

/// The key of an identity policy or boundary attached to a user or role.
fn attached_key<'w>(world: &'w World, a: &'w Attached) -> Option<PolicyKey<'w>> {
    let entry = world.policy(a.policy)?;
    Some(match (a.how, entry.kind) {
        ("inline", _) => PolicyKey::Inline {
            owner: &a.owner,
            name: &entry.name,
        },
        (_, crate::policy::PolicyKind::Boundary) => PolicyKey::Boundary(&a.owner),
        _ => PolicyKey::Managed(&entry.name),
    })
}

/// The statements only one version has, matched by meaning as a multiset:
/// (removed from `before`, added in `after`). A missing version has none.
fn statement_diff<'w>(
    before: Option<&'w Policy>,
    after: Option<&'w Policy>,
) -> (Vec<&'w Statement>, Vec<&'w Statement>) {
    let b: &[Statement] = before.map_or(&[], |p| &p.statements);
    let a: &[Statement] = after.map_or(&[], |p| &p.statements);
    if b == a {
        return (Vec::new(), Vec::new());
    }
    let mut used = vec![false; a.len()];
    let mut removed = Vec::new();
    for s in b {
        let twin = a
            .iter()
            .zip(used.iter_mut())
            .find(|(t, u)| !**u && same_meaning(s, t));
        match twin {
            Some((_, u)) => *u = true,
            None => removed.push(s),
        }
    }
    let added = a
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(s, _)| s)
        .collect();
    (removed, added)
}

/// True when two statements say the same thing whatever their order, Sid
/// and place.
fn same_meaning(a: &Statement, b: &Statement) -> bool {
    a.effect == b.effect
        && same_actions(&a.actions, &b.actions)
        && match (&a.resources, &b.resources) {
            (None, None) => true,
            (Some(x), Some(y)) => x.negated == y.negated && same_bag(&x.patterns, &y.patterns),
            _ => false,
        }
        && match (&a.principals, &b.principals) {
            (None, None) => true,
            (Some(x), Some(y)) => same_principals(x, y),
            _ => false,
        }
        && same_bag(&a.conditions, &b.conditions)
}

fn same_actions(a: &ActionSet, b: &ActionSet) -> bool {
    a.negated == b.negated && same_bag(&a.patterns, &b.patterns)
}

fn same_principals(a: &PrincipalSet, b: &PrincipalSet) -> bool {
    a.negated == b.negated && same_bag(&a.entries, &b.entries)
}

/// True when both lists hold the same items, each as often, in any order.
fn same_bag<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(|x| {
        b.iter()
            .zip(used.iter_mut())
            .find(|(y, u)| !**u && x == *y)
            .map(|(_, u)| *u = true)
            .is_some()
    })
}

/// True when two tag lists hold the same pairs (keys are unique).
fn same_tags(a: &Tags, b: &Tags) -> bool {
    // Tags usually come in the same order: then no search is needed.
    a.len() == b.len() && (a == b || a.iter().all(|t| b.contains(t)))
}

/// A user's or role's identity side: its policies, boundary and tags.
type Principal<'w> = (&'w [Attached], Option<&'w Attached>, &'w Tags);

/// One attachment as the worlds compare it: how (`inline`, `managed`,
/// `boundary`, `scp`, `rcp`), the policy's key, and its id in its world.
/// The route a managed policy comes by (the user or a group) is not part
/// of it: the policy applies alike.
type Attachment<'w> = (&'static str, PolicyKey<'w>, PolicyId);

/// Fills `out` with the attachments of a user or role.
fn attachments<'w>(
    keyed: &Keyed<'w>,
    identity: &[Attached],
    boundary: Option<&Attached>,
    out: &mut Vec<Attachment<'w>>,
) {
    out.clear();
    out.extend(
        identity
            .iter()
            .chain(boundary)
            .filter_map(|a| Some((a.how, keyed.key(a.policy)?, a.policy))),
    );
}

/// The deltas between one entity's attachments in the two worlds: detached,
/// attached, or attached on both sides and changed.
fn attachment_deltas(
    before: &[Attachment<'_>],
    after: &[Attachment<'_>],
    changed: &Changed<'_>,
    out: &mut Vec<Delta>,
) {
    let same = |x: &Attachment<'_>, y: &Attachment<'_>| {
        x.0 == y.0
            && if changed.aligned {
                x.2 == y.2
            } else {
                x.1 == y.1
            }
    };
    for b in before {
        if !after.iter().any(|a| same(a, b)) {
            out.push(Delta::Detached(b.2));
        } else if let Some(i) = changed.by_before_id.get(b.2.0 as usize).copied().flatten() {
            if !out.contains(&Delta::Changed(i)) {
                out.push(Delta::Changed(i));
            }
        }
    }
    for a in after {
        if !before.iter().any(|b| same(a, b)) {
            out.push(Delta::Attached(a.2));
        }
    }
    let bounded = |v: &[Attachment<'_>]| v.iter().any(|t| t.0 == "boundary");
    if bounded(before) != bounded(after) {
        out.push(Delta::Boundary);
    }
}

impl<'w> ChangeSet<'w> {
    fn record(map: &mut BTreeMap<&'w str, Vec<Delta>>, at: &'w str, deltas: Vec<Delta>) {
        if !deltas.is_empty() {
            map.entry(at).or_default().extend(deltas);
        }
    }

    /// Users and roles: their identity side, and themselves as resources
    /// (tags, existence; a role's trust policy).
    fn compare_principals(&mut self, bk: &Keyed<'w>, ak: &Keyed<'w>, changed: &Changed<'w>) {
        let user = |u: &'w User| -> Principal<'w> { (&u.identity, u.boundary.as_ref(), &u.tags) };
        let role = |r: &'w Role| -> Principal<'w> { (&r.identity, r.boundary.as_ref(), &r.tags) };
        let users = paired(&self.before.users, &self.after.users)
            .into_iter()
            .map(|(arn, b, a)| (arn, b.map(user), a.map(user)));
        let roles = paired(&self.before.roles, &self.after.roles)
            .into_iter()
            .map(|(arn, b, a)| (arn, b.map(role), a.map(role)));
        let (mut bs, mut as_) = (Vec::new(), Vec::new());
        for (arn, b, a) in users.chain(roles) {
            let mut identity = presence(b.as_ref(), a.as_ref());
            let mut resource = identity.clone();
            if let (Some(b), Some(a)) = (b, a) {
                attachments(bk, b.0, b.1, &mut bs);
                attachments(ak, a.0, a.1, &mut as_);
                attachment_deltas(&bs, &as_, changed, &mut identity);
                if !same_tags(b.2, a.2) {
                    identity.push(Delta::Tags);
                    resource.push(Delta::Tags);
                }
            }
            if let Some(i) = changed.by_key.get(&PolicyKey::Trust(arn)) {
                resource.push(Delta::Changed(*i));
            }
            Self::record(&mut self.subjects, arn, identity);
            Self::record(&mut self.resources, arn, resource);
        }
    }

    /// Buckets and declared resources: their policy, tags, encryption,
    /// region, `aws_managed`.
    fn compare_resources(&mut self, changed: &Map<PolicyKey<'w>, usize>) {
        for (_, b, a) in paired(&self.before.buckets, &self.after.buckets) {
            let mut deltas = presence(b, a);
            if let (Some(b), Some(a)) = (b, a) {
                if !same_tags(&b.tags, &a.tags) {
                    deltas.push(Delta::Tags);
                }
                if !same_bag(&b.encryption, &a.encryption) {
                    deltas.push(Delta::Encryption);
                }
                if b.region != a.region {
                    deltas.push(Delta::Region);
                }
                if b.account != a.account {
                    deltas.push(Delta::Added);
                }
            }
            let Some(arn) = a.or(b).map(|x| x.arn.as_str()) else {
                continue;
            };
            deltas.extend(
                changed
                    .get(&PolicyKey::Resource(arn))
                    .map(|i| Delta::Changed(*i)),
            );
            Self::record(&mut self.resources, arn, deltas);
        }
        for (arn, b, a) in paired(&self.before.resources, &self.after.resources) {
            let mut deltas = presence(b, a);
            if let (Some(b), Some(a)) = (b, a) {
                if !same_tags(&b.tags, &a.tags) {
                    deltas.push(Delta::Tags);
                }
                if b.aws_managed != a.aws_managed {
                    deltas.push(Delta::AwsManaged);
                }
            }
            deltas.extend(
                changed
                    .get(&PolicyKey::Resource(arn))
                    .map(|i| Delta::Changed(*i)),
            );
            Self::record(&mut self.resources, arn, deltas);
        }
    }

    /// Accounts: added or removed, their organization levels and the SCPs
    /// and RCPs attached to each.
    fn compare_accounts(&mut self, bk: &Keyed<'w>, ak: &Keyed<'w>, changed: &Changed<'w>) {
        for (id, b, a) in paired(&self.before.accounts, &self.after.accounts) {
            let mut deltas = presence(b, a);
            if let (Some(b), Some(a)) = (b, a) {
                let shape = |l: &'w OrgLevel| (l.target.as_str(), l.scps.is_some());
                if b.is_management != a.is_management
                    || !b.levels.iter().map(shape).eq(a.levels.iter().map(shape))
                {
                    deltas.push(Delta::Levels);
                } else {
                    for (bl, al) in b.levels.iter().zip(&a.levels) {
                        let bs = org_attachments(bk, bl);
                        let as_ = org_attachments(ak, al);
                        attachment_deltas(&bs, &as_, changed, &mut deltas);
                    }
                }
            }
            Self::record(&mut self.accounts, id, deltas);
        }
    }

    /// True when nothing any request can observe differs.
    pub fn is_empty(&self) -> bool {
        self.subjects.is_empty()
            && self.resources.is_empty()
            && self.accounts.is_empty()
            && self.global.is_empty()
    }

    /// The one way every decision can move, when the change set is only
    /// `Deny` statements added to policies of both worlds, or only removed
    /// from them; none otherwise (an attachment, a whole or global change,
    /// an `Allow` statement changed, or `Deny` statements both added and
    /// removed). An explicit deny overrides any allow and a `Deny`
    /// statement grants nothing, so adding one can only deny what was
    /// allowed and removing one only allow what was denied, at every step
    /// of a chain as for the request
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>).
    pub fn monotone(&self) -> Option<Monotone> {
        let only_changed = self
            .subjects
            .values()
            .chain(self.resources.values())
            .chain(self.accounts.values())
            .flatten()
            .all(|d| matches!(d, Delta::Changed(_)));
        if !self.global.is_empty() || !only_changed || self.policies.is_empty() {
            return None;
        }
        let denies = |ss: &[&Statement]| ss.iter().all(|s| s.effect == Effect::Deny);
        let (mut added, mut removed) = (false, false);
        for p in &self.policies {
            if !denies(&p.added) || !denies(&p.removed) {
                return None;
            }
            added |= !p.added.is_empty();
            removed |= !p.removed.is_empty();
        }
        match (added, removed) {
            (true, false) => Some(Monotone::Narrows),
            (false, true) => Some(Monotone::Widens),
            _ => None,
        }
    }

    /// The users and roles whose identity side differs (their policies,
    /// groups, boundary, tags, or themselves), with the deltas. A role
    /// here differs for its sessions, so for every chain that ends in it.
    pub fn subjects(&self) -> impl Iterator<Item = (&'w str, &[Delta])> {
        self.subjects.iter().map(|(k, v)| (*k, v.as_slice()))
    }

    /// The resources whose own side differs: buckets (by bucket ARN; their
    /// objects with them), declared resources, and users and roles as the
    /// resource of a request (a role's trust policy, tags, existence).
    pub fn resources(&self) -> impl Iterator<Item = (&'w str, &[Delta])> {
        self.resources.iter().map(|(k, v)| (*k, v.as_slice()))
    }

    /// The roles whose trust policy differs: every chain through them may
    /// differ.
    pub fn trust_changed(&self) -> impl Iterator<Item = &'w str> {
        self.policies.iter().filter_map(|p| match p.key {
            PolicyKey::Trust(role) => Some(role),
            _ => None,
        })
    }

    /// The accounts whose SCPs or RCPs differ (an attached policy, a level,
    /// the account's OU): every subject and resource of these accounts.
    pub fn accounts(&self) -> impl Iterator<Item = (&'w str, &[Delta])> {
        self.accounts.iter().map(|(k, v)| (*k, v.as_slice()))
    }

    /// What differs for every request of the worlds, in words; empty when
    /// nothing does.
    pub fn global(&self) -> &[&'static str] {
        &self.global
    }

    /// The statements behind a delta that is a list of statements, from
    /// the world each comes from; none for a whole delta.
    pub fn statements(&self, delta: Delta) -> Vec<&'w Statement> {
        let of = |w: &'w World, id: PolicyId| {
            w.policy(id)
                .map(|e| e.policy.statements.iter().collect())
                .unwrap_or_default()
        };
        match delta {
            Delta::Changed(i) => self
                .policies
                .get(i)
                .map(|p| p.removed.iter().chain(&p.added).copied().collect())
                .unwrap_or_default(),
            Delta::Attached(id) => of(self.after, id),
            Delta::Detached(id) => of(self.before, id),
            _ => Vec::new(),
        }
    }

    /// True when one of `deltas` is whole or has a statement for which
    /// `f` holds.
    fn any_delta<'d>(
        &self,
        mut deltas: impl Iterator<Item = &'d Delta>,
        f: impl Fn(&Statement) -> bool,
    ) -> bool {
        deltas.any(|d| d.is_whole() || self.statements(*d).into_iter().any(&f))
    }

    /// The deltas of every subject's identity side and every account's
    /// SCPs and RCPs: the changes that can reach any resource.
    fn identity_and_org_deltas(&self) -> impl Iterator<Item = &Delta> {
        self.subjects
            .values()
            .chain(self.accounts.values())
            .flatten()
    }

    /// True when one of [`ChangeSet::identity_and_org_deltas`] is whole or
    /// has a statement for which `f` holds (the statements listed once).
    fn any_identity_or_org(&self, f: impl Fn(&Statement) -> bool) -> bool {
        let listed = self
            .identity_and_org
            .get_or_init(|| self.listed(self.identity_and_org_deltas()));
        listed.as_ref().is_none_or(|all| all.iter().any(|s| f(s)))
    }

    /// The statements of `deltas`, each once; `None` when one is whole.
    fn listed<'d>(&self, deltas: impl Iterator<Item = &'d Delta>) -> Option<Vec<&'w Statement>> {
        let mut seen: FxHashSet<*const Statement> = FxHashSet::default();
        let mut all = Vec::new();
        for d in deltas {
            if d.is_whole() {
                return None;
            }
            for st in self.statements(*d) {
                if seen.insert(std::ptr::from_ref(st)) {
                    all.push(st);
                }
            }
        }
        Some(all)
    }

    /// True when some change can alter a decision on `action` (any case):
    /// a changed statement covers it (or the KMS action S3 asks for it on
    /// an SSE-KMS object), or a whole change (tags, a principal added...)
    /// or a global one exists.
    pub fn touches_action(&self, action: &str) -> bool {
        let listed = self.every.get_or_init(|| {
            let all = self
                .identity_and_org_deltas()
                .chain(self.resources.values().flatten());
            self.listed(all)
        });
        !self.global.is_empty()
            || listed.as_ref().is_none_or(|all| {
                all.iter()
                    .any(|s| covers_action(s, action) || companion(action, |k| covers_action(s, k)))
            })
    }

    /// True when some change can alter a decision on `resource` (an ARN or
    /// `*`): its own side changed (for an object, its bucket's; or the KMS
    /// key that encrypts it), a changed identity, SCP or RCP statement may
    /// cover it, or a whole or global change exists.
    pub fn touches_resource(&self, resource: &str) -> bool {
        !self.global.is_empty()
            || self.resource_side_changed(resource)
            || self.any_identity_or_org(|s| may_cover_resource(s, resource))
    }

    /// True when some request on the bucket `name` or on any of its objects
    /// may differ: the bucket's own side changed (its policy, tags,
    /// encryption, region, or an SSE-KMS key of it in either world), a
    /// changed identity, SCP or RCP statement may cover the bucket or some
    /// object of it, or a whole or global change exists. Object classes
    /// need only be built for such buckets.
    pub fn touches_bucket(&self, name: &str) -> bool {
        let arn = format!("arn:aws:s3:::{name}");
        if !self.global.is_empty() || self.resources.contains_key(arn.as_str()) {
            return true;
        }
        let keys_changed = [self.before, self.after].iter().any(|w| {
            w.buckets.get(name).is_some_and(|b| {
                b.encryption
                    .iter()
                    .any(|e| self.resources.contains_key(e.key.as_str()))
            })
        });
        keys_changed || self.any_identity_or_org(|s| may_cover_bucket(s, &arn))
    }

    /// True when the decision of `principal` (a user, root or role ARN, a
    /// role standing for its sessions) doing `action` on `resource` may
    /// differ between the worlds. False means it cannot: no change reaches
    /// the principal's identity side, the resource's side (its policy, its
    /// SSE-KMS key's), or the SCPs and RCPs of either account with a
    /// statement that covers the request. Conditions are not read.
    pub fn may_differ(&self, principal: &str, action: &str, resource: &str) -> bool {
        if !self.global.is_empty() {
            return true;
        }
        if self.request_may_differ(principal, action, resource) {
            return true;
        }
        // The KMS request S3 makes for an SSE-KMS object, in either world.
        [self.before, self.after].iter().any(|w| {
            kms_key(w, action, resource).is_some_and(|(kms_action, key)| {
                self.request_may_differ(principal, kms_action, key)
            })
        })
    }

    /// True when a role's trust policy differs between the worlds.
    pub fn changes_trust(&self) -> bool {
        self.policies
            .iter()
            .any(|p| matches!(p.key, PolicyKey::Trust(_)))
    }

    /// True when the after world's policy `id` is, statement for statement
    /// by meaning, the before world's policy of the same id, in effect in
    /// both under the same key: what is read from every policy of the
    /// before world need not be read from it again. False when unsure.
    pub fn unchanged(&self, id: PolicyId) -> bool {
        self.unchanged.get(id.0 as usize).copied().unwrap_or(false)
    }

    /// False when no request of `principal` (a user, root or role ARN)
    /// can differ, whatever its action and resource: its identity side is
    /// unchanged, no SCP, RCP or global change exists, and no changed
    /// statement of a resource's side could name it. A cheap test before
    /// [`ChangeSet::may_differ`] for every principal of a world.
    pub fn may_reach(&self, principal: &str) -> bool {
        if !self.global.is_empty()
            || !self.accounts.is_empty()
            || self.subjects.contains_key(principal)
        {
            return true;
        }
        let listed = self
            .on_resources
            .get_or_init(|| self.listed(self.resources.values().flatten()));
        listed
            .as_ref()
            .is_none_or(|all| all.iter().any(|s| may_name(s, principal)))
    }

    fn request_may_differ(&self, principal: &str, action: &str, resource: &str) -> bool {
        let covers = |s: &Statement| covers_action(s, action) && may_cover_resource(s, resource);
        let hits = |deltas: Option<&Vec<Delta>>| {
            deltas.is_some_and(|ds| self.any_delta(ds.iter(), covers))
        };
        if hits(self.subjects.get(principal)) {
            return true;
        }
        let owner = resource_owner(resource);
        let on_resource = self
            .resources
            .get(owner)
            .is_some_and(|ds| self.any_delta(ds.iter(), |s| covers(s) && may_name(s, principal)));
        if on_resource {
            return true;
        }
        let principal_account = Arn::parse(principal).map_or("", |a| a.account);
        if hits(self.accounts.get(principal_account)) {
            return true;
        }
        // `*` may be asked in any account (`resource_account`), whose RCPs
        // then apply: every account's count.
        if resource == "*" {
            return self.accounts.values().any(|ds| hits(Some(ds)));
        }
        let resource_account = [self.before, self.after]
            .iter()
            .find_map(|w| resource_account(w, resource));
        resource_account.is_some_and(|a| a != principal_account && hits(self.accounts.get(a)))
    }

    fn resource_side_changed(&self, resource: &str) -> bool {
        if self.resources.is_empty() {
            return false;
        }
        let owner = resource_owner(resource);
        self.resources.contains_key(owner)
            || [self.before, self.after].iter().any(|w| {
                ["s3:GetObject", "s3:PutObject"].iter().any(|a| {
                    kms_key(w, a, resource).is_some_and(|(_, key)| self.resources.contains_key(key))
                })
            })
    }
}

/// Every key of two maps once, with its value in each.
fn paired<'w, V>(
    before: &'w Map<String, V>,
    after: &'w Map<String, V>,
) -> Vec<(&'w str, Option<&'w V>, Option<&'w V>)> {
    // Two loads of one world file edited in place usually list the same
    // keys in the same order: then they pair up without hashing a key.
    let lockstep =
        before.len() == after.len() && before.keys().zip(after.keys()).all(|(b, a)| b == a);
    if lockstep {
        return before
            .iter()
            .zip(after.values())
            .map(|((k, b), a)| (k.as_str(), Some(b), Some(a)))
            .collect();
    }
    let both = before
        .iter()
        .map(|(k, b)| (k.as_str(), Some(b), after.get(k)));
    let only_after = after
        .iter()
        .filter(|(k, _)| !before.contains_key(*k))
        .map(|(k, a)| (k.as_str(), None, Some(a)));
    both.chain(only_after).collect()
}

/// `Removed` or `Added` when only one world has it.
fn presence<V>(before: Option<&V>, after: Option<&V>) -> Vec<Delta> {
    match (before, after) {
        (Some(_), None) => vec![Delta::Removed],
        (None, Some(_)) => vec![Delta::Added],
        _ => Vec::new(),
    }
}

/// The SCPs and RCPs attached to one organization level.
fn org_attachments<'w>(keyed: &Keyed<'w>, level: &OrgLevel) -> Vec<Attachment<'w>> {
    level
        .scps
        .iter()
        .flatten()
        .map(|id| ("scp", *id))
        .chain(level.rcps.iter().map(|id| ("rcp", *id)))
        .filter_map(|(how, id)| Some((how, keyed.key(id)?, id)))
        .collect()
}

/// What owns a resource's resource-based side: the bucket ARN for an
/// object, the resource itself otherwise.
fn resource_owner(resource: &str) -> &str {
    match Arn::parse(resource) {
        Some(a) if a.service == "s3" => resource
            .match_indices('/')
            .next()
            .and_then(|(i, _)| resource.get(..i))
            .unwrap_or(resource),
        _ => resource,
    }
}

/// The account that owns a resource in a world: a bucket's, else the
/// ARN's account field.
fn resource_account<'a>(world: &'a World, resource: &'a str) -> Option<&'a str> {
    let arn = Arn::parse(resource)?;
    if arn.service == "s3" {
        let bucket = arn.resource.split('/').next()?;
        return world.buckets.get(bucket).map(|b| b.account.as_str());
    }
    (!arn.account.is_empty()).then_some(arn.account)
}

/// The KMS action and key of the request S3 makes for `action` on an
/// SSE-KMS object of the world, if it makes one.
fn kms_key<'a>(world: &'a World, action: &str, resource: &str) -> Option<(&'static str, &'a str)> {
    let kms_action = sse_kms::kms_action(action)?;
    let arn = Arn::parse(resource)?;
    if arn.service != "s3" {
        return None;
    }
    let (bucket, object) = arn.resource.split_once('/')?;
    let key = world.buckets.get(bucket)?.kms_key_for(object)?;
    Some((kms_action, key))
}

/// True when `f` holds for the KMS action S3 asks for when doing `action`
/// on an SSE-KMS object.
fn companion(action: &str, f: impl Fn(&str) -> bool) -> bool {
    sse_kms::kms_action(action).is_some_and(f)
}

/// True when the statement's Action or NotAction covers `action`.
pub(crate) fn covers_action(s: &Statement, action: &str) -> bool {
    let lower = action.to_ascii_lowercase();
    RequestAction::parse(&lower).is_some_and(|a| s.actions.matches(&a))
}

/// True unless the statement's Resource or NotResource surely leaves the
/// resource out: an entry with a policy variable may cover anything.
pub(crate) fn may_cover_resource(s: &Statement, resource: &str) -> bool {
    let Some(set) = &s.resources else {
        return true;
    };
    let arn = Arn::parse(resource);
    let mut unsure = false;
    let hit = set.patterns.iter().any(|p| match (p, &arn) {
        (ResourcePattern::Any, _) => true,
        (ResourcePattern::Arn(pat), Some(a)) => match pat.matches(a, &crate::pattern::NoVars) {
            Some(true) => true,
            Some(false) if !pat.writes_braces() => false,
            _ => {
                unsure = true;
                false
            }
        },
        (ResourcePattern::Arn(_), None) => false,
    });
    unsure || hit != set.negated
}

/// True unless the statement's Resource surely leaves out both the bucket
/// `bucket_arn` and every object of it. Checked on the pattern's text with
/// its variables as `*` and wildcards free to cross `:`, so it errs only
/// towards "may cover".
fn may_cover_bucket(s: &Statement, bucket_arn: &str) -> bool {
    let Some(set) = &s.resources else {
        return true;
    };
    if set.negated {
        return true;
    }
    let objects = format!("{bucket_arn}/");
    set.patterns.iter().any(|p| match p {
        ResourcePattern::Any => true,
        ResourcePattern::Arn(pat) => {
            let glob = Glob::new(&pat.to_text(true));
            glob.matches_some(bucket_arn, false) || glob.matches_some(&objects, true)
        }
    })
}

/// An IAM wildcard pattern as a list of elements, for asking which texts
/// it may match.
struct Glob(Vec<GlobPart>);

/// One element of a [`Glob`].
#[derive(Clone, Copy, PartialEq)]
enum GlobPart {
    /// One given character.
    Char(char),
    /// `?`: any one character.
    One,
    /// `*` or a policy variable: any run of characters.
    Any,
}

impl Glob {
    /// Reads a pattern; `${...}` stands for any text.
    fn new(text: &str) -> Glob {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("${") {
                parts.push(GlobPart::Any);
                rest = rest.find('}').and_then(|i| rest.get(i + 1..)).unwrap_or("");
                continue;
            }
            parts.push(match c {
                '*' => GlobPart::Any,
                '?' => GlobPart::One,
                c => GlobPart::Char(c),
            });
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        }
        Glob(parts)
    }

    /// True when the pattern matches `text` (`prefix`: false) or some text
    /// that starts with `text` (`prefix`: true).
    fn matches_some(&self, text: &str, prefix: bool) -> bool {
        let n = self.0.len();
        // live[i]: the first i elements can match what was read so far.
        let mut live = vec![false; n + 1];
        if let Some(first) = live.first_mut() {
            *first = true;
        }
        self.close(&mut live);
        for c in text.chars() {
            let mut next = vec![false; n + 1];
            for (i, part) in self.0.iter().enumerate() {
                if !live.get(i).copied().unwrap_or(false) {
                    continue;
                }
                let to = match part {
                    GlobPart::Any => i,
                    GlobPart::One => i + 1,
                    GlobPart::Char(x) if *x == c => i + 1,
                    GlobPart::Char(_) => continue,
                };
                if let Some(slot) = next.get_mut(to) {
                    *slot = true;
                }
            }
            self.close(&mut next);
            live = next;
        }
        if prefix {
            live.iter().any(|l| *l)
        } else {
            live.last().copied().unwrap_or(false)
        }
    }

    /// Adds the states a `*` reaches by matching nothing.
    fn close(&self, live: &mut [bool]) {
        for (i, part) in self.0.iter().enumerate() {
            if *part == GlobPart::Any && live.get(i).copied().unwrap_or(false) {
                if let Some(slot) = live.get_mut(i + 1) {
                    *slot = true;
                }
            }
        }
    }
}

/// True unless the statement's Principal surely does not name the caller,
/// a user, root or role ARN (the role for its sessions): a resource-based
/// statement names users, roles, sessions, accounts or everyone, and
/// `NotPrincipal` may name anyone.
fn may_name(s: &Statement, principal: &str) -> bool {
    let Some(set) = &s.principals else {
        return true;
    };
    if set.negated {
        return true;
    }
    let account = Arn::parse(principal).map_or("", |a| a.account);
    set.entries.iter().any(|e| match e {
        PrincipalEntry::Any => true,
        PrincipalEntry::Account(id) => id == account,
        PrincipalEntry::User(arn) | PrincipalEntry::Role(arn) => arn == principal,
        // A session ARN names the role by name only, without its path.
        PrincipalEntry::Session(arn) => {
            principal.contains(":role/") && Arn::parse(arn).is_some_and(|a| a.account == account)
        }
        PrincipalEntry::Other(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Sources;
    use crate::world::{NoFiles, load_world};

    /// Two accounts in an organization: alice (inline read, group `ops`
    /// with a managed policy), a role trusted by account B, an encrypted
    /// bucket with a policy, its key, an unattached policy, a root SCP.
    const BASE: &str = r#"{
  "organization": {"id": "o-abc", "management_account": "999999999999",
    "root": {"scps": [{"name": "Guard", "policy": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "*", "Resource": "*"},
      {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}}]}},
  "accounts": {
    "999999999999": {"ou": "root"},
    "111111111111": {"ou": "root",
      "policies": {
        "OpsRead": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:GetQueueUrl"], "Resource": "*"}]},
        "Unused": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
      },
      "groups": {"ops": {"managed_policies": ["OpsRead"]}},
      "users": {
        "alice": {"groups": ["ops"], "tags": {"team": "red"},
          "inline_policies": {"read": {"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-111/*",
             "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
            {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data-111"}]}}},
        "bob": {}
      },
      "roles": {"Reader": {
        "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/carol"}, "Action": "sts:AssumeRole"}]},
        "inline_policies": {"read": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}}},
      "buckets": {"data-111": {
        "encryption": {"kms_key": "arn:aws:kms:us-east-1:111111111111:key/k1"},
        "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/Reader"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-111/*"}]}}},
      "resources": {"arn:aws:kms:us-east-1:111111111111:key/k1": {
        "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"}]}}}
    },
    "222222222222": {"ou": "root", "users": {"carol": {"inline_policies": {"assume": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}}}}
  }
}"#;

    const ALICE: &str = "arn:aws:iam::111111111111:user/alice";
    const BOB: &str = "arn:aws:iam::111111111111:user/bob";
    const CAROL: &str = "arn:aws:iam::222222222222:user/carol";
    const READER: &str = "arn:aws:iam::111111111111:role/Reader";
    const OBJECT: &str = "arn:aws:s3:::data-111/report.csv";

    fn world(text: &str) -> World {
        let mut sources = Sources::new();
        let id = sources.add("w.json", text);
        match load_world(&mut sources, id, &mut NoFiles) {
            Ok(w) => w,
            Err(e) => panic!(
                "{:?}",
                e.iter().map(|d| d.render(&sources)).collect::<Vec<_>>()
            ),
        }
    }

    /// The base world and the base world with one edit (the edit must apply).
    fn pair(from: &str, to: &str) -> (World, World) {
        assert!(BASE.contains(from), "edit does not apply: {from}");
        (world(BASE), world(&BASE.replacen(from, to, 1)))
    }

    fn subjects(c: &ChangeSet<'_>) -> Vec<String> {
        c.subjects().map(|(s, _)| s.to_string()).collect()
    }

    #[test]
    fn a_world_against_itself_or_rewritten_without_meaning_is_empty() {
        let (b, a) = (world(BASE), world(BASE));
        assert!(changes(&b, &a).is_empty());
        let rewrites = [
            // white space
            (
                "{\"Sid\": \"Read\", \"Effect\"",
                "{\n  \"Sid\":   \"Read\",\n\"Effect\"",
            ),
            // statement order
            (
                r#"{"Effect": "Allow", "Action": "*", "Resource": "*"},
      {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}"#,
                r#"{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
      {"Effect": "Allow", "Action": "*", "Resource": "*"}"#,
            ),
            // action order within a statement
            (
                r#"["sqs:ReceiveMessage", "sqs:GetQueueUrl"]"#,
                r#"["sqs:GetQueueUrl", "sqs:ReceiveMessage"]"#,
            ),
            // a Sid renamed
            ("\"Sid\": \"List\"", "\"Sid\": \"ListData\""),
            // a policy that nothing attaches
            ("\"Action\": \"ec2:*\"", "\"Action\": \"*\""),
        ];
        for (from, to) in rewrites {
            let (b, a) = pair(from, to);
            let c = changes(&b, &a);
            assert!(c.is_empty(), "{to}: {c:?}");
        }
    }

    #[test]
    fn a_changed_condition_value_is_a_change_of_that_statement_only() {
        let (b, a) = pair("203.0.113.0/24", "0.0.0.0/0");
        let c = changes(&b, &a);
        assert_eq!(subjects(&c), vec![ALICE]);
        assert_eq!(c.policies.len(), 1);
        let p = c.policies.first().unwrap();
        assert_eq!(
            p.key.to_string(),
            format!("inline policy \"read\" of {ALICE}")
        );
        assert_eq!((p.removed.len(), p.added.len()), (1, 1));
        assert_eq!(p.added.first().unwrap().sid.as_deref(), Some("Read"));
        assert!(c.may_differ(ALICE, "s3:GetObject", OBJECT));
        // Near misses: another action, another caller, another bucket.
        assert!(!c.may_differ(ALICE, "s3:ListBucket", "arn:aws:s3:::data-111"));
        assert!(!c.may_differ(BOB, "s3:GetObject", OBJECT));
        assert!(!c.may_differ(ALICE, "s3:GetObject", "arn:aws:s3:::other/x"));
        assert!(c.touches_action("S3:getobject"));
        assert!(!c.touches_action("s3:ListBucket"));
        assert!(c.touches_resource(OBJECT));
        assert!(!c.touches_resource("arn:aws:s3:::other/x"));
    }

    #[test]
    fn attachments_groups_and_boundaries_change_their_subjects() {
        // bob joins ops: OpsRead now applies to him.
        let (b, a) = pair("\"bob\": {}", "\"bob\": {\"groups\": [\"ops\"]}");
        let c = changes(&b, &a);
        assert_eq!(subjects(&c), vec![BOB]);
        let (_, deltas) = c.subjects().next().unwrap();
        assert!(matches!(deltas, [Delta::Attached(_)]), "{deltas:?}");
        assert!(c.may_differ(
            BOB,
            "sqs:ReceiveMessage",
            "arn:aws:sqs:us-east-1:111111111111:q"
        ));
        assert!(!c.may_differ(BOB, "s3:GetObject", OBJECT));
        // A boundary set on bob, then the same world the other way round.
        let (b, a) = pair(
            "\"bob\": {}",
            "\"bob\": {\"permissions_boundary\": \"OpsRead\"}",
        );
        // It limits every action of bob's, not only those it names.
        let c = changes(&b, &a);
        assert!(matches!(
            c.subjects().next(),
            Some((BOB, [Delta::Attached(_), Delta::Boundary]))
        ));
        assert!(c.may_differ(BOB, "s3:GetObject", OBJECT));
        let c = changes(&a, &b);
        assert!(matches!(
            c.subjects().next(),
            Some((BOB, [Delta::Detached(_), Delta::Boundary]))
        ));
        assert!(c.may_differ(BOB, "s3:GetObject", OBJECT));
        // The group's policy edited: every member changes.
        let (b, a) = pair("\"sqs:GetQueueUrl\"]", "\"sqs:*\"]");
        let c = changes(&b, &a);
        assert_eq!(subjects(&c), vec![ALICE]);
        assert!(c.may_differ(
            ALICE,
            "sqs:DeleteQueue",
            "arn:aws:sqs:us-east-1:111111111111:q"
        ));
    }

    #[test]
    fn policies_pair_by_key_when_an_insertion_shifts_every_id() {
        // A policy declared before everything else (alphabetically first
        // account, first user) shifts the ids of every later policy.
        let (b, a) = pair(
            "\"users\": {\n        \"alice\"",
            "\"users\": {\n        \"aaron\": {\"inline_policies\": {\"x\": {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"sqs:*\", \"Resource\": \"*\"}]}}},\n        \"alice\"",
        );
        assert_ne!(b.policies.len(), a.policies.len());
        let c = changes(&b, &a);
        assert_eq!(subjects(&c), vec!["arn:aws:iam::111111111111:user/aaron"]);
        assert_eq!(c.policies.len(), 1);
        // The same insertion and a changed condition: found by key.
        let edited = BASE.replacen("203.0.113.0/24", "0.0.0.0/0", 1).replacen(
            "\"users\": {\n        \"alice\"",
            "\"users\": {\n        \"aaron\": {},\n        \"alice\"",
            1,
        );
        let a = world(&edited);
        let c = changes(&b, &a);
        assert_eq!(
            subjects(&c),
            vec!["arn:aws:iam::111111111111:user/aaron", ALICE]
        );
        assert!(c.may_differ(ALICE, "s3:GetObject", OBJECT));
        assert!(!c.may_differ(BOB, "s3:GetObject", OBJECT));
    }

    #[test]
    fn tags_and_principals_added_are_whole_changes() {
        let (b, a) = pair("\"team\": \"red\"", "\"team\": \"blue\"");
        let c = changes(&b, &a);
        assert_eq!(subjects(&c), vec![ALICE]);
        assert!(c.may_differ(ALICE, "ec2:RunInstances", "*"));
        // alice is also the resource of IAM requests on her (aws:ResourceTag).
        assert!(c.may_differ(BOB, "iam:TagUser", ALICE));
        assert!(!c.may_differ(BOB, "iam:TagUser", BOB));
        let (b, a) = pair("\"bob\": {}", "\"bob\": {}, \"dave\": {}");
        let c = changes(&b, &a);
        assert_eq!(subjects(&c), vec!["arn:aws:iam::111111111111:user/dave"]);
    }

    #[test]
    fn a_bucket_policy_opened_to_everyone_touches_every_caller_of_that_bucket() {
        let (b, a) = pair(
            "\"Principal\": {\"AWS\": \"arn:aws:iam::111111111111:role/Reader\"}, \"Action\": \"s3:GetObject\"",
            "\"Principal\": \"*\", \"Action\": \"s3:GetObject\"",
        );
        let c = changes(&b, &a);
        assert!(c.subjects().next().is_none());
        let res: Vec<_> = c.resources().map(|(r, _)| r).collect();
        assert_eq!(res, vec!["arn:aws:s3:::data-111"]);
        assert!(c.may_differ(CAROL, "s3:GetObject", OBJECT));
        assert!(c.may_differ("arn:aws:iam::333333333333:root", "s3:GetObject", OBJECT));
        assert!(!c.may_differ(CAROL, "s3:PutObject", OBJECT));
        assert!(!c.may_differ(CAROL, "s3:GetObject", "arn:aws:s3:::other/x"));
        // Before the edit, a bucket statement naming one role does not touch carol.
        let (b, a) = pair(
            "\"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::data-111/*\"}]}}}",
            "\"Action\": [\"s3:GetObject\", \"s3:PutObject\"], \"Resource\": \"arn:aws:s3:::data-111/*\"}]}}}",
        );
        let c = changes(&b, &a);
        assert!(c.may_differ(READER, "s3:PutObject", OBJECT));
        assert!(!c.may_differ(CAROL, "s3:PutObject", OBJECT));
    }

    #[test]
    fn a_key_policy_change_touches_reads_of_the_objects_it_encrypts() {
        let (b, a) = pair(
            "\"Principal\": {\"AWS\": \"arn:aws:iam::111111111111:root\"}, \"Action\": \"kms:*\"",
            "\"Principal\": {\"AWS\": [\"arn:aws:iam::111111111111:root\", \"222222222222\"]}, \"Action\": \"kms:*\"",
        );
        let c = changes(&b, &a);
        assert!(c.may_differ(CAROL, "s3:GetObject", OBJECT));
        assert!(c.touches_action("s3:GetObject"));
        assert!(c.touches_resource(OBJECT));
        // Near misses: a bucket action makes no KMS request; account
        // 333333333333 is named by neither version of the statement.
        assert!(!c.may_differ(CAROL, "s3:ListBucket", "arn:aws:s3:::data-111"));
        assert!(!c.may_differ("arn:aws:iam::333333333333:root", "s3:GetObject", OBJECT));
    }

    #[test]
    fn a_trust_policy_widened_changes_the_edge_into_the_role() {
        let (b, a) = pair(
            "\"Principal\": {\"AWS\": \"arn:aws:iam::222222222222:user/carol\"}, \"Action\": \"sts:AssumeRole\"",
            "\"Principal\": {\"AWS\": \"222222222222\"}, \"Action\": \"sts:AssumeRole\"",
        );
        let c = changes(&b, &a);
        assert_eq!(c.trust_changed().collect::<Vec<_>>(), vec![READER]);
        assert!(c.may_differ(
            "arn:aws:iam::222222222222:user/erin",
            "sts:AssumeRole",
            READER
        ));
        assert!(!c.may_differ(BOB, "sts:AssumeRole", READER));
        assert!(!c.may_differ(CAROL, "s3:GetObject", OBJECT));
    }

    #[test]
    fn a_root_scp_change_touches_every_member_account() {
        let (b, a) = pair(
            r#",
      {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}"#,
            "",
        );
        let c = changes(&b, &a);
        let accounts: Vec<_> = c.accounts().map(|(a, _)| a).collect();
        assert_eq!(
            accounts,
            vec!["111111111111", "222222222222", "999999999999"]
        );
        assert!(c.may_differ(CAROL, "s3:DeleteBucket", "arn:aws:s3:::x"));
        assert!(!c.may_differ(CAROL, "s3:GetObject", OBJECT));
        // An account outside the world: only its request's resource side counts.
        assert!(!c.may_differ(
            "arn:aws:iam::333333333333:root",
            "s3:DeleteBucket",
            "arn:aws:s3:::x"
        ));
        // An account moved out of the organization: its levels differ.
        let (b, a) = pair(
            "\"222222222222\": {\"ou\": \"root\", ",
            "\"222222222222\": {",
        );
        let c = changes(&b, &a);
        assert!(matches!(
            c.accounts().next(),
            Some(("222222222222", [Delta::Levels]))
        ));
        assert!(c.may_differ(CAROL, "ec2:RunInstances", "*"));
        // bob's `*` may be asked in account 222222222222; an instance of
        // his own account may not.
        assert!(c.may_differ(BOB, "ec2:RunInstances", "*"));
        let own = "arn:aws:ec2:us-east-1:111111111111:instance/i-1";
        assert!(!c.may_differ(BOB, "ec2:RunInstances", own));
    }

    #[test]
    fn buckets_are_touched_by_their_own_side_or_by_statements_that_may_cover_them() {
        // alice's read of data-111 changes: only data-111 is touched.
        let (b, a) = pair("203.0.113.0/24", "0.0.0.0/0");
        let c = changes(&b, &a);
        assert!(c.touches_bucket("data-111"));
        assert!(!c.touches_bucket("data-112"));
        assert!(!c.touches_bucket("data"));
        // A pattern with wildcards and a variable in the bucket name.
        let (b, a) = pair(
            "\"Resource\": \"arn:aws:s3:::data-111/*\",\n             \"Condition\"",
            "\"Resource\": \"arn:aws:s3:::logs-${aws:username}-?/reports/*\",\n             \"Condition\"",
        );
        let c = changes(&b, &a);
        assert!(c.touches_bucket("data-111"), "the removed statement");
        assert!(c.touches_bucket("logs-alice-7"));
        assert!(!c.touches_bucket("logs"));
        assert!(!c.touches_bucket("data-112"));
        // A leading `*` crosses `/`: object "-alice-7/reports/x" of bucket
        // "logs" matches `arn:aws:s3:::*-alice-?/reports/*`.
        let (b, a) = pair(
            "\"Resource\": \"arn:aws:s3:::data-111/*\",\n             \"Condition\"",
            "\"Resource\": \"arn:aws:s3:::*-alice-?/reports/*\",\n             \"Condition\"",
        );
        assert!(changes(&b, &a).touches_bucket("logs"));
        // The key policy of data-111's SSE-KMS key.
        let (b, a) = pair("\"Action\": \"kms:*\"", "\"Action\": \"kms:Decrypt\"");
        let c = changes(&b, &a);
        assert!(c.touches_bucket("data-111"));
        assert!(!c.touches_bucket("data-112"));
    }

    #[test]
    fn globs_match_texts_and_prefixes() {
        let g = Glob::new("arn:aws:s3:::a*b?/x/*");
        assert!(g.matches_some("arn:aws:s3:::ab1/x/y", false));
        assert!(!g.matches_some("arn:aws:s3:::ab/x/y", false));
        assert!(g.matches_some("arn:aws:s3:::azzb1/", true));
        assert!(!g.matches_some("arn:aws:s3:::azzb1", false));
        assert!(!g.matches_some("arn:aws:s3:::c/", true));
        let v = Glob::new("arn:aws:s3:::${aws:username}");
        assert!(v.matches_some("arn:aws:s3:::anything", false));
    }

    #[test]
    fn an_rcp_change_touches_requests_on_star_in_any_account() {
        let (b, a) = pair(
            "\"222222222222\": {\"ou\": \"root\", ",
            "\"222222222222\": {\"ou\": \"root\", \"rcps\": [{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"sqs:*\", \"Resource\": \"*\"}]}], ",
        );
        let c = changes(&b, &a);
        // bob (account 111111111111) asking `*` in account 222222222222.
        assert!(c.may_differ(BOB, "sqs:ListQueues", "*"));
        assert!(c.may_differ(
            BOB,
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:222222222222:q"
        ));
        // Near misses: another service; a queue of bob's own account.
        assert!(!c.may_differ(BOB, "s3:ListAllMyBuckets", "*"));
        assert!(!c.may_differ(
            BOB,
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:111111111111:q"
        ));
    }

    #[test]
    fn the_organization_id_is_a_global_change() {
        let (b, a) = pair("\"o-abc\"", "\"o-xyz\"");
        let c = changes(&b, &a);
        assert!(!c.is_empty());
        assert_eq!(c.global().len(), 1);
        assert!(c.may_differ(BOB, "ec2:RunInstances", "*"));
    }
}
