//! The semantic diff of two worlds: every access a change newly allows or
//! removes, each with a witness scenario that replays it.
//!
//! The request space ([`space`]) is every subject of either world (users,
//! roles as their sessions, account roots) with every chain of
//! `sts:AssumeRole` it can take up to [`Options::max_chain`] roles
//! ([`reach`]), every resource class of the worlds with the classes of the
//! catalog actions that take it, and the classes of the open request keys
//! that who-can finds as needs ([`crate::access::open`]). One
//! representative request per class is decided in each world, by the
//! evaluator; the subject's access in a world is "some chain allows".
//!
//! A [`Finding`] compares the two: [`Change::NewlyAllowed`] when no chain
//! allowed it before and some chain does after (or it needed open keys
//! before and needs none after), [`Change::NewlyDenied`] the reverse,
//! [`Change::NewlyReachable`] for a new chain to an access the subject
//! already had. Its witness ([`witness`]) is replayed with the scenario
//! runner in both worlds before it is returned: a finding whose witness
//! does not replay as decided is returned as [`Change::Indeterminate`]
//! with a [`Finding::note`] saying so, never as a flip; so is an access
//! whose needs differ between the worlds when no value iamsim finds tells
//! them apart (a condition on a key whose values it cannot enumerate).
//!
//! API additions over the agreed one: [`Finding::note`] and
//! [`Finding::witness_world`] (which world the witness is allowed in).

pub mod reach;
pub mod space;
pub mod witness;

use crate::context::Context;
use crate::eval::Outcome;
use crate::request::Clock;
use crate::world::World;
use reach::{Access, best};
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
pub fn semantic_diff(
    before: &World,
    after: &World,
    opts: &Options<'_>,
) -> Result<Vec<Finding>, String> {
    let sides = [
        reach::Side::new(before, opts),
        reach::Side::new(after, opts),
    ];
    let mut subjects: Vec<String> = sides
        .iter()
        .flat_map(|s| s.graph.nodes.iter().map(|n| n.arn().to_string()))
        .collect();
    subjects.sort();
    subjects.dedup();
    let judge = Judge {
        worlds: [before, after],
        opts,
    };
    let mut out = Vec::new();
    for rc in space::space(before, after) {
        for ac in &rc.actions {
            for subject in &subjects {
                let [b, a] = [&sides[0], &sides[1]].map(|s| s.accesses(subject, ac.rep(), &rc.arn));
                let (b, a) = (b?, a?);
                let q = Question {
                    subject,
                    actions: &ac.actions,
                    resource: &rc,
                };
                out.extend(judge.compare(&q, &b, &a)?);
            }
        }
    }
    out.sort_by(|x, y| {
        (x.change, &x.principal, &x.resource, &x.actions).cmp(&(
            y.change,
            &y.principal,
            &y.resource,
            &y.actions,
        ))
    });
    Ok(out)
}

/// One request class of one subject.
struct Question<'a> {
    subject: &'a str,
    actions: &'a [String],
    resource: &'a space::ResourceClass,
}

/// Compares a subject's accesses in the two worlds and replays witnesses.
struct Judge<'a> {
    worlds: [&'a World; 2],
    opts: &'a Options<'a>,
}

impl Judge<'_> {
    /// The finding for one request class, if its access differs.
    fn compare(
        &self,
        q: &Question<'_>,
        before: &[Access],
        after: &[Access],
    ) -> Result<Option<Finding>, String> {
        let (b, a) = (best(before), best(after));
        Ok(match (b, a) {
            (None, None) => None,
            (None, Some(x)) => Some(self.flip(q, Change::NewlyAllowed, x)?),
            (Some(y), None) => Some(self.flip(q, Change::NewlyDenied, y)?),
            (Some(y), Some(x)) if x.free() && !y.free() => {
                Some(self.flip(q, Change::NewlyAllowed, x)?)
            }
            (Some(y), Some(x)) if y.free() && !x.free() => {
                Some(self.flip(q, Change::NewlyDenied, y)?)
            }
            (Some(_), Some(_)) if b.is_some_and(Access::free) => {
                self.reachable(q, before, after)?
            }
            (Some(y), Some(x)) => self.conditional(q, y, x)?,
        })
    }

    /// A new chain that needs nothing, to an access the subject already
    /// had without needs: the first chain of after's that before's lack
    /// and that does not work before.
    fn reachable(
        &self,
        q: &Question<'_>,
        before: &[Access],
        after: &[Access],
    ) -> Result<Option<Finding>, String> {
        for x in after.iter().filter(|x| x.free()) {
            if before.iter().any(|y| y.free() && y.via == x.via) {
                continue;
            }
            let f = self.flip(q, Change::NewlyReachable, x)?;
            if f.change == Change::NewlyReachable {
                return Ok(Some(f));
            }
        }
        Ok(None)
    }

    /// Both worlds allow only with needs: a flip when one side's witness
    /// is denied in the other world, else indeterminate when the needs
    /// differ.
    fn conditional(
        &self,
        q: &Question<'_>,
        y: &Access,
        x: &Access,
    ) -> Result<Option<Finding>, String> {
        let texts = |a: &Access| a.needs().map(|n| n.text()).collect::<Vec<_>>();
        let allowed = self.flip(q, Change::NewlyAllowed, x)?;
        if allowed.change == Change::NewlyAllowed {
            return Ok(Some(allowed));
        }
        let denied = self.flip(q, Change::NewlyDenied, y)?;
        if denied.change == Change::NewlyDenied {
            return Ok(Some(denied));
        }
        if texts(x) == texts(y) {
            return Ok(None);
        }
        let mut f = allowed;
        f.change = Change::Indeterminate;
        f.note = Some(format!(
            "allowed in both worlds only if the request meets needs that differ (before: {}; after: {}); iamsim found no value that one world allows and the other denies, and cannot enumerate them all",
            texts(y).join(" and "),
            texts(x).join(" and ")
        ));
        Ok(Some(f))
    }

    /// The finding of `change` witnessed by `access` (after's for newly
    /// allowed and reachable, before's for newly denied), replayed in both
    /// worlds; indeterminate, with a note, when it does not replay so.
    fn flip(&self, q: &Question<'_>, change: Change, access: &Access) -> Result<Finding, String> {
        let action = q.actions.first().map_or("", String::as_str);
        let request = witness::Request {
            action,
            resource: &q.resource.arn,
            fixed: self.opts.context,
            region: self.opts.region,
        };
        let name = format!(
            "{} {} {action} {}",
            change.as_str(),
            q.subject,
            q.resource.shown
        );
        let w = witness::scenario(&name, q.subject, access, &request);
        let [b, a] = self.worlds.map(|world| replay(world, &w, self.opts.clock));
        let (b, a): (Replay, Replay) = (b?, a?);
        let (allowed_in, denied_in, side) = match change {
            Change::NewlyDenied => (&b, &a, Side::Before),
            _ => (&a, &b, Side::After),
        };
        let replays = allowed_in.outcome == Outcome::Allow && denied_in.outcome != Outcome::Allow;
        let (other, changed) = match side {
            Side::Before => (Side::After, change),
            Side::After => (Side::Before, change),
        };
        let cause = causes((side, allowed_in), (other, denied_in));
        Ok(Finding {
            change: if replays {
                changed
            } else {
                Change::Indeterminate
            },
            principal: q.subject.to_string(),
            via: access.via.clone(),
            actions: q.actions.to_vec(),
            resource: q.resource.shown.clone(),
            needs: access.needs().map(|n| n.text()).collect(),
            cause,
            witness: w,
            witness_world: side,
            note: (!replays).then(|| {
                format!(
                    "decided {} but its witness replays {} {} and {} {}",
                    change.as_str(),
                    allowed_in.outcome.as_str(),
                    side.as_str(),
                    denied_in.outcome.as_str(),
                    other.as_str()
                )
            }),
        })
    }
}
