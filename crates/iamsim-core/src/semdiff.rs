//! The semantic diff of two worlds: every access a change newly allows or
//! removes, each with a witness scenario that replays it.
//!
//! The request space ([`space`]) is every subject of either world (users,
//! roles as their sessions, account roots) with every chain of
//! `sts:AssumeRole` it can take up to [`Options::max_chain`] roles
//! ([`reach`]), every resource class of the worlds with the classes of the
//! catalog actions that take it, and the context classes of the open
//! request keys ([`context`]): every combination of the values the
//! conditions of both worlds suggest for the keys that matter to the
//! class. A request class is decided in each world under each context
//! class, by replaying the chains either world allows (and the subject
//! itself) with that context; the subject's access in a world is "some
//! chain allows".
//!
//! A [`Finding`] compares the two: [`Change::NewlyAllowed`] when, in some
//! context class, no chain allowed it before and some chain does after,
//! [`Change::NewlyDenied`] the reverse, [`Change::NewlyReachable`] for a
//! new chain to an access the subject already had. Its witness
//! ([`witness`]) is replayed with the scenario runner in both worlds
//! before it is returned: a finding whose witness does not replay as
//! decided is returned as [`Change::Indeterminate`] with a
//! [`Finding::note`] saying so, never as a flip; so is a request class
//! with more than [`context::MAX_CLASSES`] context classes
//! (crate::semdiff::context).
//!
//! The subjects include stand-ins for the principals outside both worlds,
//! whose own account allows everything (crate::outsider): one for those no
//! policy names, `arn:aws:iam::999999999999:user/outsider` ([`outsider_in`]
//! picks another id when a world declares that one), and one for each
//! outside account, user and role the policies name ([`outsiders`]).
//!
//! API additions over the agreed one: [`Options::sources`] (to locate
//! causes), [`Finding::note`] and [`Finding::witness_world`] (which world
//! the witness is allowed in).

pub mod audience;
pub mod changes;
pub mod context;
pub mod declared;
pub mod outsiders;
pub mod reach;
pub mod routes;
pub mod scope;
pub mod space;
pub mod witness;

use crate::context::Context;
use crate::diag::Sources;
use crate::eval::Outcome;
use crate::outsider;
use crate::request::Clock;
use crate::world::World;
use changes::Monotone;
use reach::{Access, best};
use std::rc::Rc;
use witness::{Replay, causes, replay};

/// What a semantic diff asks.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// The most roles a chain assumes (`--max-chain`, default 4).
    pub max_chain: usize,
    /// The request keys the question fixes (`--context`); keys it leaves
    /// open become needs.
    pub context: &'a Context,
    /// The region of the requests (`--region`), else open.
    pub region: Option<&'a str>,
    /// The time of the question.
    pub clock: &'a Clock,
    /// The texts the worlds were read from, to print each cause's
    /// `file:line:col`; `None` leaves [`Cause::location`] out.
    pub sources: Option<&'a Sources>,
}

/// What changed about an access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// No chain allowed it before; some chain allows it after.
    NewlyAllowed,
    /// Some chain allowed it before; none does after.
    NewlyDenied,
    /// The access could differ, but iamsim cannot tell how.
    Indeterminate,
    /// A new chain to an access the subject already had.
    NewlyReachable,
}

impl Change {
    /// As printed: `newly_allowed`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Change::NewlyAllowed => "newly_allowed",
            Change::NewlyDenied => "newly_denied",
            Change::Indeterminate => "indeterminate",
            Change::NewlyReachable => "newly_reachable",
        }
    }
}

/// A world of the diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The world before the change.
    Before,
    /// The world after it.
    After,
}

impl Side {
    /// `before` or `after`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Before => "before",
            Side::After => "after",
        }
    }
}

/// A statement that decides the difference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// Which world it is in.
    pub side: Side,
    /// The policy, as explanations name it (`inline policy "read" of
    /// arn:...`); for a gate no statement allowed, the gate's name.
    pub policy: String,
    /// `Sid "X"` or `statement #N`; for a gate, what no statement allows.
    pub statement: String,
    /// `file:line:col` of the statement, when known.
    pub location: Option<String>,
    /// The Terraform address of the statement's policy, when the world
    /// says.
    pub terraform: Option<String>,
}

impl Cause {
    /// The cause in words, with its side and location.
    pub fn text(&self) -> String {
        let mut t = format!("{}: {}", self.side.as_str(), self.statement);
        if !self.policy.is_empty() {
            t.push_str(if self.statement.is_empty() {
                ""
            } else {
                " of "
            });
            t.push_str(&self.policy);
        }
        if let Some(at) = &self.location {
            t.push_str(&format!(" ({at})"));
        }
        t
    }
}

/// One access that differs.
#[derive(Clone, Debug)]
pub struct Finding {
    /// What changed.
    pub change: Change,
    /// The subject: a user, root or role ARN (a role acts as its session).
    pub principal: String,
    /// The roles assumed in order.
    pub via: Vec<String>,
    /// The actions of the class that take the resource, sorted.
    pub actions: Vec<String>,
    /// The resource: an ARN, or an IAM-style pattern for a class.
    pub resource: String,
    /// For the resource `*`, the account whose `*` it is.
    pub resource_account: Option<String>,
    /// What the open request keys must hold, as who-can prints needs.
    pub needs: Vec<String>,
    /// The statements on each side that decide the difference.
    pub cause: Vec<Cause>,
    /// One scenario object (no `world`) that `iamsim run --world W` replays.
    pub witness: serde_json::Value,
    /// The world the witness is allowed in (after for newly allowed and
    /// newly reachable, before for newly denied); it is denied in the other.
    pub witness_world: Side,
    /// Why an indeterminate finding is one.
    pub note: Option<String>,
}

/// Every access that differs between the worlds, newly allowed first.
/// An error names what could not be decided (a resource whose owner is
/// unknown, a malformed key ARN).
///
/// An account one world declares and the other does not is declared empty
/// in the other ([`declared`]), and witnesses replay in the worlds read so.
///
/// When a world holds policy texts known only after apply, the worlds are
/// compared in both readings ([`World::deny_reading`]): a class whose
/// decision differs between a world's readings differs from the other
/// world in one of them. Witnesses replay in the worlds themselves, where
/// such a class is indeterminate (`Judge::judged`).
pub fn semantic_diff(
    before: &World,
    after: &World,
    opts: &Options<'_>,
) -> Result<Vec<Finding>, String> {
    let aligned = declared::with_every_account(before, after);
    let (before, after) = match &aligned {
        Some([b, a]) => (b, a),
        None => (before, after),
    };
    let mut out = diff_in([before, after], [before, after], opts)?;
    if before.deny_reading.is_some() || after.deny_reading.is_some() {
        for f in diff_in([before.denying(), after.denying()], [before, after], opts)? {
            let same = |g: &Finding| {
                (g.change, &g.principal, &g.via, &g.actions, &g.resource)
                    == (f.change, &f.principal, &f.via, &f.actions, &f.resource)
            };
            if !out.iter().any(same) {
                out.push(f);
            }
        }
        sort(&mut out);
    }
    Ok(out)
}

/// [`semantic_diff`] of one reading of each world, replaying witnesses in
/// `replay_in`.
fn diff_in(
    [before, after]: [&World; 2],
    replay_in: [&World; 2],
    opts: &Options<'_>,
) -> Result<Vec<Finding>, String> {
    let set = changes::changes(before, after);
    let stand_ins = outsiders::outsiders(before, after, &outsider_in(before, after), Some(&set));
    let mut sides = [
        reach::Side::new(before, opts, &stand_ins),
        reach::Side::new(after, opts, &stand_ins),
    ];
    // No change reaches an `sts:AssumeRole` request: every edge is decided
    // alike in both worlds (a SCP's `Deny` on another action), so once.
    let same_routes = !set.touches_action("sts:AssumeRole") && {
        let [b, a] = &mut sides;
        a.share_edges(b)
    };
    {
        let [b, a] = &mut sides;
        a.share_trust(b, set.changes_trust());
    }
    let judge = Judge {
        worlds: replay_in,
        opts,
        sides: &sides,
        trials: context::Trials::new([before, after], opts.context, &set),
        routes: routes::Routes::new(&sides, [before, after], opts),
    };
    // The space of what the change touches decides who is in scope; a
    // subject whose chains differ must be decided on every class one of
    // the identities whose chains differ could be allowed, so the space is
    // built again with those (its touched classes are the same ones).
    let named = space::named([before, after], Some(&set));
    let mut space = space::kept(before, after, &named, &set);
    let mut scope = scope::scope(&set, &space, &sides, opts.max_chain)?;
    // A change that moves decisions one way only, with every edge alike:
    // only a subject that can reach an identity the world that allows more
    // allows on a touched class can differ ([`accesses`]).
    let monotone = set.monotone();
    if let (true, Some(m)) = (same_routes, monotone) {
        let first = match m {
            Monotone::Narrows => &sides[0],
            Monotone::Widens => &sides[1],
        };
        let touched = audience::Audience::new([before, after], &space, &scope.touched);
        let reached = scope::reaching_allowed(first, &space, &touched, opts.max_chain)?;
        let g = &first.graph;
        scope
            .subjects
            .retain(|s| g.node(s).is_some_and(|id| reached.contains(&id)));
    }
    let mut chains = Vec::with_capacity(scope.subjects.len());
    let mut changed = Vec::with_capacity(scope.subjects.len());
    for subject in &scope.subjects {
        let b = Rc::new(sides[0].routes(subject)?);
        let a = if same_routes {
            Rc::clone(&b)
        } else {
            Rc::new(sides[1].routes(subject)?)
        };
        // Shared routes are equal, and no change reaches an edge.
        changed.push(if same_routes {
            Vec::new()
        } else {
            downstream(&b, &a, &set)
        });
        chains.push([b, a]);
    }
    if changed.iter().any(|c| !c.is_empty()) {
        let mut reachable = audience::Reachable {
            worlds: [before, after],
            set: &set,
            accounts: Default::default(),
        };
        for differing in changed.iter().filter(|c| !c.is_empty()) {
            let found = accounts(&sides, differing);
            reachable
                .accounts
                .extend(found.into_iter().map(str::to_string));
        }
        space = space::kept(before, after, &named, &reachable);
        scope.touched = scope::touched(&set, &space);
    }
    let all: Vec<scope::Class> = space
        .iter()
        .enumerate()
        .flat_map(|(ri, rc)| (0..rc.actions.len()).map(move |ai| (ri, ai)))
        .collect();
    let request = |(ri, ai): scope::Class| {
        let rc = space.get(ri)?;
        let ac = rc.actions.get(ai)?;
        Some((rc, ac, reach::Request::of(&space, (ri, ai))?))
    };
    let touched = audience::Audience::new([before, after], &space, &scope.touched);
    let mut whole: Option<audience::Audience> = None;
    let mut out = Vec::new();
    for ((subject, [b, a]), differing) in scope.subjects.iter().zip(chains).zip(changed) {
        // Touched classes where an identity is hit may differ; so may,
        // when the chains differ, every class where an identity whose
        // chain differs can make the request in its world. Either way
        // only the classes some identity of the chains could be allowed
        // at all ([`audience`]).
        let mut classes: Vec<scope::Class> = Vec::new();
        // Equal routes (the same list when shared) are read once.
        let theirs: &[reach::Route] = if b == a { &[] } else { &a };
        let identities: Vec<&String> = b
            .iter()
            .chain(theirs)
            .flat_map(|(from, role, _)| [from, role])
            .filter(|arn| !arn.is_empty())
            .collect();
        for c in touched.classes(accounts(&sides, &identities)) {
            if let Some((rc, ac, _)) = request(c) {
                if identities
                    .iter()
                    .any(|arn| set.may_differ(arn, ac.rep(), &rc.arn))
                {
                    classes.push(c);
                }
            }
        }
        if !differing.is_empty() {
            let whole =
                whole.get_or_insert_with(|| audience::Audience::new([before, after], &space, &all));
            for c in whole.classes(accounts(&sides, &differing)) {
                let Some((_, _, r)) = request(c) else {
                    continue;
                };
                let mut can = false;
                for (side, arn) in sides
                    .iter()
                    .flat_map(|s| differing.iter().map(move |a| (s, a)))
                {
                    if side.can(arn, &r)? {
                        can = true;
                        break;
                    }
                }
                if can {
                    classes.push(c);
                }
            }
            classes.sort_unstable();
            classes.dedup();
        }
        let routes: [&[reach::Route]; 2] = [&b, &a];
        for c in classes {
            let Some((rc, ac, r)) = request(c) else {
                continue;
            };
            // The whole space's audience, once built, holds every class.
            let audience = whole.as_ref().unwrap_or(&touched);
            let admits = |account: &str| audience.admits(c, account);
            let Some([b, a]) = accesses(&sides, monotone, subject, &r, &admits)? else {
                continue;
            };
            let q = Question {
                subject,
                routes,
                actions: &ac.actions,
                resource: rc,
            };
            out.extend(judge.compare(&q, &b, &a)?);
        }
    }
    sort(&mut out);
    Ok(out)
}

/// Findings in their order: by change, then principal, resource, actions.
fn sort(findings: &mut [Finding]) {
    findings.sort_by(|x, y| {
        (x.change, &x.principal, &x.resource, &x.actions).cmp(&(
            y.change,
            &y.principal,
            &y.resource,
            &y.actions,
        ))
    });
}

/// Every way `subject` can make the request in the before and the after
/// world, or none when neither can. When the change can move decisions
/// one way only ([`changes::ChangeSet::monotone`]), the world that allows
/// less is asked only where the other allows: for a `Deny` added, the
/// after world only where the before world allows (a root SCP's `Deny`
/// reaches every subject and class, most of which neither world allows).
fn accesses(
    sides: &[reach::Side<'_>; 2],
    monotone: Option<Monotone>,
    subject: &str,
    r: &reach::Request<'_>,
    admits: &dyn Fn(&str) -> bool,
) -> Result<Option<[Vec<Access>; 2]>, String> {
    let [before, after] = sides;
    let (first, then) = match monotone {
        Some(Monotone::Widens) => (after, before),
        Some(Monotone::Narrows) | None => (before, after),
    };
    let one = first.accesses(subject, r, admits)?;
    if monotone.is_some() && one.is_empty() {
        return Ok(None);
    }
    let other = then.accesses(subject, r, admits)?;
    Ok(Some(match monotone {
        Some(Monotone::Widens) => [other, one],
        Some(Monotone::Narrows) | None => [one, other],
    }))
}

/// The accounts of identities (user, root or role ARNs) in either world.
fn accounts<'s>(sides: &'s [reach::Side<'_>; 2], arns: &[impl AsRef<str>]) -> Vec<&'s str> {
    let mut out = Vec::new();
    for side in sides {
        let g = &side.graph;
        out.extend(
            arns.iter()
                .filter_map(|arn| g.node(arn.as_ref()).map(|id| g.account(id))),
        );
    }
    out
}

/// The account of the stand-in for every principal outside the worlds:
/// `999999999999`, or the next lower id that neither world declares.
pub fn outsider_in(before: &World, after: &World) -> String {
    (0..1000u64)
        .map(|i| format!("{}", 999_999_999_999 - i))
        .find(|a| outsider::is_outsider(before, a) && outsider::is_outsider(after, a))
        .unwrap_or_else(|| "999999999999".into())
}

/// One request class of one subject.
struct Question<'a> {
    subject: &'a str,
    /// The subject's routes in each world ([`reach::Side::routes`]).
    routes: [&'a [reach::Route]; 2],
    actions: &'a [String],
    resource: &'a space::ResourceClass,
}

/// Compares a subject's accesses in the two worlds and replays witnesses.
struct Judge<'a> {
    worlds: [&'a World; 2],
    opts: &'a Options<'a>,
    /// The two worlds' chains.
    sides: &'a [reach::Side<'a>; 2],
    /// Values to try for the open keys the worlds' conditions test.
    trials: context::Trials<'a>,
    /// The two worlds' chains under each context class.
    routes: routes::Routes<'a>,
}

impl Judge<'_> {
    /// The findings for one request class. When no access of either
    /// world needs an open key and no open key's value would change either
    /// world's decision, the class is decided as asked; else per context
    /// class ([`Judge::context_classes`]).
    fn compare(
        &self,
        q: &Question<'_>,
        before: &[Access],
        after: &[Access],
    ) -> Result<Vec<Finding>, String> {
        if before.is_empty() && after.is_empty() {
            return Ok(Vec::new());
        }
        let keys = self.keys(q, before, after)?;
        if !keys.is_empty() {
            return self.context_classes(q, &keys, before, after);
        }
        Ok(match (best(before), best(after)) {
            (None, Some(x)) => vec![self.flip(q, Change::NewlyAllowed, x)?],
            (Some(y), None) => vec![self.flip(q, Change::NewlyDenied, y)?],
            _ => self.reachable(q, before, after)?.into_iter().collect(),
        })
    }

    /// The open keys (lower-cased, sorted) that may part the two worlds on
    /// this class: the keys every access of either world needs or its
    /// decision reads, those some step needs or reads on any chain of
    /// either world to an identity that can make the request
    /// ([`reach::Side::route_keys`]), and those whose value would change
    /// the decision of either world's shown access in either world
    /// (crate::eval::absent), with its needs and without.
    fn keys(
        &self,
        q: &Question<'_>,
        before: &[Access],
        after: &[Access],
    ) -> Result<Vec<String>, String> {
        let mut keys: Vec<String> = before
            .iter()
            .chain(after)
            .flat_map(|a| {
                a.needs()
                    .map(|n| n.key.to_ascii_lowercase())
                    .chain(a.reads.iter().cloned())
            })
            .collect();
        let ends = identities(q.subject, before, after);
        for side in self.sides {
            keys.extend(side.route_keys(q.subject, &ends)?);
        }
        for access in [best(before), best(after)].into_iter().flatten() {
            for a in [access.clone(), bare(access)] {
                let w = self.witness(q, Change::NewlyAllowed, &a);
                if let Ok(played) = self.replays(&w) {
                    keys.extend(played.iter().flat_map(context::would_differ));
                }
            }
        }
        keys.sort_unstable();
        keys.dedup();
        Ok(keys)
    }

    /// A new chain to an access the subject already had: the first chain
    /// of after's that before's lack and whose witness works only after.
    fn reachable(
        &self,
        q: &Question<'_>,
        before: &[Access],
        after: &[Access],
    ) -> Result<Option<Finding>, String> {
        for x in after {
            if before.iter().any(|y| y.via == x.via) {
                continue;
            }
            let f = self.flip(q, Change::NewlyReachable, x)?;
            if f.change == Change::NewlyReachable {
                return Ok(Some(f));
            }
        }
        Ok(None)
    }

    /// The class decided per context class: every combination of the
    /// values to try of `keys` ([`context::Trials`], each key also absent),
    /// fewest keys first, up to [`context::MAX_CLASSES`]. Under a
    /// combination, a world allows when the subject, or an identity that
    /// can make the request in either world reached by its shortest chain
    /// under the combination in either world ([`routes::Routes::under`]),
    /// replays allowed there with the combination as its context and no
    /// other needs. The first combination that one world allows and the
    /// other denies is a finding of its direction, with that combination
    /// as its needs; without one, a new chain is newly reachable. Too many
    /// combinations make the class indeterminate.
    fn context_classes(
        &self,
        q: &Question<'_>,
        keys: &[String],
        before: &[Access],
        after: &[Access],
    ) -> Result<Vec<Finding>, String> {
        // The trust policies the class may meet: those of the roles on the
        // subject's routes in either world, and the resource's if a role.
        let mut roles: Vec<&str> = vec![q.resource.arn.as_str()];
        roles.extend(
            q.routes
                .iter()
                .copied()
                .flatten()
                .map(|(_, role, _)| role.as_str()),
        );
        let Some(combos) = self.trials.combinations(keys, &roles) else {
            let shown = best(after).or_else(|| best(before));
            return Ok(self.too_many(q, keys, shown)?.into_iter().collect());
        };
        let ends = identities(q.subject, before, after);
        let mut out: Vec<Finding> = Vec::new();
        for combo in &combos {
            let mut chains: Vec<Vec<String>> = vec![Vec::new()];
            for w in 0..2 {
                let reached = self.routes.under(w, q.subject, combo)?;
                for end in &ends {
                    if let Some(via) = reached.get(*end)
                        && !chains.contains(via)
                    {
                        chains.push(via.clone());
                    }
                }
            }
            let mut played = Vec::new();
            for via in &chains {
                let chain = Access {
                    via: via.clone(),
                    assume_needs: vec![Vec::new(); via.len()],
                    request_needs: Vec::new(),
                    reads: Vec::new(),
                };
                let mut w = self.witness(q, Change::NewlyAllowed, &chain);
                for (k, v) in combo {
                    context::set(&mut w, k, v.clone());
                }
                if let Ok(r) = self.replays(&w) {
                    played.push((w, r, via));
                }
            }
            let allows = |side: usize| {
                played
                    .iter()
                    .find(|(_, r, _)| r.get(side).is_some_and(|x| x.outcome == Outcome::Allow))
            };
            let (b, a) = (allows(0), allows(1));
            let flip = match (b, a) {
                (None, Some(x)) => (Change::NewlyAllowed, x),
                (Some(y), None) => (Change::NewlyDenied, y),
                _ => continue,
            };
            let (change, (w, r, via)) = flip;
            if out.iter().any(|f| f.change == change) {
                continue;
            }
            let seen = Seen {
                via,
                needs: combo.iter().map(|(k, v)| context::text(k, v)).collect(),
            };
            let mut w = w.clone();
            if let Some(obj) = w.as_object_mut() {
                obj.insert("name".into(), self.name(q, change).into());
            }
            out.push(self.judged(q, change, seen, w, r));
        }
        if !out.iter().any(|f| f.change == Change::NewlyAllowed) {
            out.extend(self.reachable(q, before, after)?);
        }
        Ok(out)
    }

    /// The indeterminate finding of a class whose context classes are too
    /// many to decide one by one, witnessed by the access `shown`.
    fn too_many(
        &self,
        q: &Question<'_>,
        keys: &[String],
        shown: Option<&Access>,
    ) -> Result<Option<Finding>, String> {
        let Some(access) = shown else {
            return Ok(None);
        };
        let mut f = self.flip(q, Change::Indeterminate, access)?;
        f.change = Change::Indeterminate;
        f.note = Some(format!(
            "the values of {} that could part the two worlds make more than {} context classes; iamsim does not decide them one by one",
            context::list(keys),
            context::MAX_CLASSES
        ));
        Ok(Some(f))
    }

    /// An indeterminate finding whose witness the scenario format refuses
    /// (a need's value that STS or the key's type does not accept).
    fn refused(
        &self,
        q: &Question<'_>,
        seen: Seen<'_>,
        witness: serde_json::Value,
        why: String,
    ) -> Finding {
        Finding {
            change: Change::Indeterminate,
            principal: q.subject.to_string(),
            via: seen.via.to_vec(),
            actions: q.actions.to_vec(),
            resource: q.resource.shown.clone(),
            resource_account: q.resource.account.clone(),
            needs: seen.needs,
            cause: Vec::new(),
            witness,
            witness_world: Side::After,
            note: Some(format!("its witness cannot be replayed: {why}")),
        }
    }

    /// The witness of `access` for the question.
    fn witness(&self, q: &Question<'_>, change: Change, access: &Access) -> serde_json::Value {
        let action = q.actions.first().map_or("", String::as_str);
        let request = witness::Request {
            action,
            resource: &q.resource.arn,
            resource_account: q.resource.account.as_deref(),
            fixed: self.opts.context,
            region: self.opts.region,
        };
        witness::scenario(&self.name(q, change), q.subject, access, &request)
    }

    /// A witness's name: `newly_allowed s3:GetObject arn:aws:s3:::b/*`.
    fn name(&self, q: &Question<'_>, change: Change) -> String {
        let action = q.actions.first().map_or("", String::as_str);
        format!("{} {action} {}", change.as_str(), q.resource.shown)
    }

    /// The witness played in both worlds, or why the scenario format
    /// refuses it.
    fn replays(&self, w: &serde_json::Value) -> Result<[Replay; 2], String> {
        let [b, a] = self.worlds.map(|world| replay(world, w, self.opts.clock));
        Ok([b?, a?])
    }

    /// The finding of `change` witnessed by `access` (after's for newly
    /// allowed and reachable, before's for newly denied), replayed in both
    /// worlds; indeterminate, with a note, when it does not replay so.
    fn flip(&self, q: &Question<'_>, change: Change, access: &Access) -> Result<Finding, String> {
        let w = self.witness(q, change, access);
        let needs = access.needs().map(|n| n.text()).collect();
        let seen = Seen {
            via: &access.via,
            needs,
        };
        Ok(match self.replays(&w) {
            Ok(played) => self.judged(q, change, seen, w, &played),
            Err(e) => self.refused(q, seen, w, e),
        })
    }

    /// A finding from a witness played in both worlds: `change` when it
    /// is allowed in the world the change says and denied in the other,
    /// else indeterminate with a note.
    fn judged(
        &self,
        q: &Question<'_>,
        change: Change,
        seen: Seen<'_>,
        mut w: serde_json::Value,
        [b, a]: &[Replay; 2],
    ) -> Finding {
        let (allowed_in, denied_in, side, other) = match change {
            Change::NewlyDenied => (b, a, Side::Before, Side::After),
            _ => (a, b, Side::After, Side::Before),
        };
        let replays = allowed_in.outcome == Outcome::Allow && denied_in.outcome != Outcome::Allow;
        // A witness whose decision rests on what is known only after
        // apply is neither allowed nor denied there.
        let unknown: Vec<String> = [(side, allowed_in), (other, denied_in)]
            .iter()
            .filter(|(_, r)| r.outcome == Outcome::Indeterminate)
            .map(|(s, r)| format!("{} depends on {}", s.as_str(), r.depends_on.join(", ")))
            .collect();
        let note = if !unknown.is_empty() {
            Some(format!(
                "its decision rests on what is known only after apply: {}",
                unknown.join("; ")
            ))
        } else {
            (!replays).then(|| {
                format!(
                    "decided {} but its witness replays {} {} and {} {}",
                    change.as_str(),
                    allowed_in.outcome.as_str(),
                    side.as_str(),
                    denied_in.outcome.as_str(),
                    other.as_str()
                )
            })
        };
        let decided = if replays && unknown.is_empty() {
            change
        } else {
            Change::Indeterminate
        };
        // The witness is named for what the finding says, not for the
        // flip it was found as.
        if let Some(obj) = w.as_object_mut().filter(|_| decided != change) {
            obj.insert("name".into(), self.name(q, decided).into());
        }
        Finding {
            change: decided,
            principal: q.subject.to_string(),
            via: seen.via.to_vec(),
            actions: q.actions.to_vec(),
            resource: q.resource.shown.clone(),
            resource_account: q.resource.account.clone(),
            needs: seen.needs,
            cause: causes((side, allowed_in), (other, denied_in), self.opts.sources),
            witness: w,
            witness_world: side,
            note,
        }
    }
}

/// The identities whose ways in differ between two worlds' routes of one
/// subject ([`reach::Side::routes`]): the roles at the end of an edge that
/// one world has and the other lacks (or has with other needs), or that
/// a change may decide otherwise ([`changes::ChangeSet::may_differ`] on
/// its `sts:AssumeRole`), the subject itself when one world lacks it, and
/// every role reached through them in either world. Each may make, in
/// some context, a request it could not before (or the reverse).
fn downstream(
    before: &[reach::Route],
    after: &[reach::Route],
    set: &changes::ChangeSet<'_>,
) -> Vec<String> {
    // An edge both worlds allow with the same needs may still differ in
    // another context (a condition changed): the change set says.
    let touched = |(from, role, _): &&reach::Route| {
        !role.is_empty() && set.may_differ(from, "sts:AssumeRole", role)
    };
    let mut out: Vec<String> = before
        .iter()
        .filter(|r| !after.contains(r))
        .chain(after.iter().filter(|r| !before.contains(r)))
        .chain(before.iter().chain(after).filter(touched))
        .map(|(from, role, _)| if role.is_empty() { from } else { role }.clone())
        .collect();
    out.sort();
    out.dedup();
    loop {
        let known = out.len();
        for (from, role, _) in before.iter().chain(after) {
            if out.contains(from) && !role.is_empty() && !out.contains(role) {
                out.push(role.clone());
            }
        }
        if out.len() == known {
            break;
        }
    }
    out
}

/// The identities (ARNs) that can make a request in either world: the
/// subject, and the last role of each access's chain.
fn identities<'a>(subject: &'a str, before: &'a [Access], after: &'a [Access]) -> Vec<&'a str> {
    let mut out = vec![subject];
    for access in before.iter().chain(after) {
        if let Some(last) = access.via.last()
            && !out.contains(&last.as_str())
        {
            out.push(last);
        }
    }
    out
}

/// The chain of `access` with no needs on its steps or its request.
fn bare(access: &Access) -> Access {
    let mut a = access.clone();
    a.assume_needs.iter_mut().for_each(Vec::clear);
    a.request_needs.iter_mut().for_each(Vec::clear);
    a
}

/// What a finding shows of the access its witness plays.
struct Seen<'a> {
    via: &'a [String],
    needs: Vec<String>,
}

#[cfg(test)]
mod tests;
