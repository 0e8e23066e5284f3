//! The request space of a semantic diff: the resources of two worlds split
//! into classes, and, for each, the catalog actions that take its type
//! split into classes.
//!
//! Two requests are in one class when every statement of both worlds
//! treats them alike as far as its Action and Resource go:
//! - actions: of one service, matched by the same action patterns
//!   (`Action` and `NotAction` entries) of every policy of both worlds.
//!   An action AWS or iamsim treats apart whatever the policies say is a
//!   class of its own: `sts:AssumeRole` (the trust policy decides it), the
//!   S3 reads and writes that make a KMS request on an SSE-KMS object, and
//!   actions AWS refuses on the resource (crate::protection);
//! - resources: each bucket, user, role and declared resource of either
//!   world is its own class; the objects of a bucket are split by the
//!   object-key parts of every S3 Resource pattern (a statement on
//!   `bucket/reports/*` splits `bucket/*` into `reports/...` and the rest)
//!   and by the SSE-KMS key that covers them; a Resource ARN of another
//!   service that names an account is a class too (a table or queue the
//!   world does not declare); `*` stands for actions that take no resource.
//!
//! One concrete representative decides each class. The object-key classes
//! are found from instances of the patterns (each `*` as nothing and as
//! `x`, each `?` as `x`) and one key no pattern names: a class that only
//! the overlap of two patterns makes (`a*` and `*b` both matching `ab`)
//! and that no instance reaches is not split off. README, "Reviewing a
//! change: the semantic diff", says so.
//!
//! A [`Keep`] chooses part of the space: given the change set, only the
//! classes a change can touch ([`ChangeSet::touches_resource`]), with the
//! objects split only of the buckets it can touch
//! ([`ChangeSet::touches_bucket`], a superset); with
//! [`super::audience::Reachable`], also what some accounts' identities
//! could be allowed. The classes it leaves out are the whole space's,
//! unsplit by them, so each kept class is the same as in the whole space.

use super::changes::{ChangeSet, policies_once};
use crate::arn::{Arn, ArnPattern, is_account_id};
use crate::catalog::Catalog;
use crate::pattern::{NoVars, Tok};
use crate::policy::{ActionPattern, RequestAction, ResourcePattern};
use crate::protection::refusal;
use crate::request::resolve_target;
use crate::sse_kms::kms_action;
use crate::world::World;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The object key standing for every object no pattern names.
pub const OTHER_KEY: &str = "iamsim-other";

/// An account id no world declares, for deciding whether an action is
/// refused to callers of another account.
const FOREIGN: &str = "000000000000";

/// A class of resources with the classes of the actions that take it.
#[derive(Clone, Debug)]
pub struct ResourceClass {
    /// The class as shown: an ARN, or an IAM-style pattern
    /// (`arn:aws:s3:::bucket/reports/*`).
    pub shown: String,
    /// The representative: an ARN of the class, or `*`.
    pub arn: String,
    /// For `*`, the account whose resources it stands for: `*` is the
    /// caller's own account's, so each account of the worlds has its own
    /// class (a grant on `*` in another account is new access).
    pub account: Option<String>,
    /// The actions that take it, by class; shared by every resource of the
    /// same types and protection.
    pub actions: Rc<[ActionClass]>,
}

/// A class of actions: decided alike by every statement of both worlds.
#[derive(Clone, Debug)]
pub struct ActionClass {
    /// `service:Name` as the reference writes them, sorted; the first
    /// decides the class.
    pub actions: Vec<String>,
}

impl ActionClass {
    /// The representative action.
    pub fn rep(&self) -> &str {
        self.actions.first().map_or("", String::as_str)
    }
}

/// What the policies of both worlds name: action patterns, and resource
/// ARN patterns as text.
pub struct Named {
    actions: Vec<ActionPattern>,
    resources: BTreeSet<String>,
}

/// Both worlds' patterns, each once: thousands of policies repeat the same
/// few, so they are told apart by hash before any is written as text.
/// With the change set, an after-world policy that says what the before
/// world's says ([`ChangeSet::unchanged`]) is not read again: its
/// statements' patterns are the same ones.
pub fn named(worlds: [&World; 2], set: Option<&ChangeSet<'_>>) -> Named {
    let mut actions: Vec<ActionPattern> = Vec::new();
    let mut seen_actions: FxHashSet<&ActionPattern> = FxHashSet::default();
    let mut arns: FxHashSet<&ArnPattern> = FxHashSet::default();
    for entry in policies_once(worlds, set) {
        for st in &entry.policy.statements {
            for p in &st.actions.patterns {
                if seen_actions.insert(p) {
                    actions.push(p.clone());
                }
            }
            for r in st.resources.iter().flat_map(|r| r.patterns.iter()) {
                if let ResourcePattern::Arn(a) = r {
                    arns.insert(a);
                }
            }
        }
    }
    let resources = arns.into_iter().map(|a| a.to_text(true)).collect();
    Named { actions, resources }
}

/// Instances of a pattern's text: each `*` as `x` and as nothing, each
/// `?` as `x`, each `${...}` as `x`.
pub(super) fn instances(text: &str) -> [String; 2] {
    let mut plain = text.to_string();
    while let Some(i) = plain.find("${") {
        let end = plain
            .get(i..)
            .and_then(|r| r.find('}'))
            .map_or(plain.len(), |j| i + j + 1);
        plain.replace_range(i..end, "x");
    }
    let one = plain.replace('?', "x");
    [one.replace('*', "x"), one.replace('*', "")]
}

/// Which resource classes a space holds: the classes it leaves out are
/// the whole space's, unsplit by it, so each kept class is the same as in
/// the whole space.
pub trait Keep {
    /// True to split the objects of the bucket `name` into classes (a
    /// superset of the buckets whose object classes are kept).
    fn bucket(&self, name: &str) -> bool;
    /// True to keep the class of `arn`; for `*`, the one of `account`.
    fn resource(&self, arn: &str, account: Option<&str>) -> bool;
}

/// A change set keeps the classes its changes can touch.
impl Keep for ChangeSet<'_> {
    fn bucket(&self, name: &str) -> bool {
        self.touches_bucket(name)
    }

    fn resource(&self, arn: &str, _: Option<&str>) -> bool {
        self.touches_resource(arn)
    }
}

/// The whole space.
struct Everything;

impl Keep for Everything {
    fn bucket(&self, _: &str) -> bool {
        true
    }

    fn resource(&self, _: &str, _: Option<&str>) -> bool {
        true
    }
}

/// The resource classes of two worlds, each with its action classes: all
/// of them, or with `set`, only those a change can touch.
pub fn space(before: &World, after: &World, set: Option<&ChangeSet<'_>>) -> Vec<ResourceClass> {
    let named = named([before, after], set);
    match set {
        Some(set) => kept(before, after, &named, set),
        None => kept(before, after, &named, &Everything),
    }
}

/// The resource classes of two worlds that `keep` keeps, each with its
/// action classes, from what the worlds' policies name ([`named`]).
pub fn kept(before: &World, after: &World, named: &Named, keep: &dyn Keep) -> Vec<ResourceClass> {
    let worlds = [before, after];
    // Only what is kept is copied.
    let keep_arn = |arn: &str| keep.resource(arn, None);
    let mut reps: BTreeMap<String, String> = BTreeMap::new();
    let listed = worlds.map(arns);
    // Whether an ARN is kept depends on it alone: the after world's list,
    // when it is the before world's, has nothing new to ask.
    let [first, second] = &listed;
    let lists = if first == second {
        &listed[..1]
    } else {
        &listed[..]
    };
    for list in lists {
        for arn in list.iter().copied() {
            if !reps.contains_key(arn) && keep_arn(arn) {
                reps.insert(arn.clone(), arn.clone());
            }
        }
    }
    object_classes(worlds, named, keep, &mut reps);
    for text in &named.resources {
        foreign_instance(text, &keep_arn, &mut reps);
    }
    let mut classifier = Classifier {
        worlds,
        patterns: &named.actions,
        known: BTreeMap::new(),
    };
    let mut out = Vec::new();
    for (arn, shown) in reps {
        let actions = classifier.classes(&arn);
        if !actions.is_empty() {
            out.push(ResourceClass {
                shown,
                arn,
                account: None,
                actions,
            });
        }
    }
    let accounts: BTreeSet<&String> = worlds
        .iter()
        .flat_map(|w| w.accounts.keys())
        .filter(|a| keep.resource("*", Some(a)))
        .collect();
    if accounts.is_empty() {
        return out;
    }
    let unowned = classifier.classes("*");
    for account in accounts {
        out.push(ResourceClass {
            shown: "*".into(),
            arn: "*".into(),
            account: Some(account.clone()),
            actions: Rc::clone(&unowned),
        });
    }
    out
}

/// The ARNs of a world's buckets, users, roles and declared resources.
fn arns(w: &World) -> Vec<&String> {
    w.buckets
        .values()
        .map(|b| &b.arn)
        .chain(w.users.keys())
        .chain(w.roles.keys())
        .chain(w.resources.keys())
        .collect()
}

/// An S3 Resource pattern with a `/`, split: its bucket part (compiled,
/// wildcards only), its object-key part as written, and the whole pattern.
struct ObjectPattern {
    /// The bucket part when it names one bucket (no wildcard, no
    /// variable): such a pattern may name only that bucket.
    literal: Option<String>,
    bucket: Vec<Tok>,
    key: String,
    whole: crate::arn::ArnPattern,
}

/// The bucket an S3 Resource pattern with a `/` names, when its bucket
/// part has no wildcard or variable ([`ObjectPattern::literal`]).
fn literal_bucket(text: &str) -> Option<&str> {
    let (bucket, _) = text.strip_prefix("arn:aws:s3:::")?.split_once('/')?;
    (!bucket.contains(['*', '?', '$'])).then_some(bucket)
}

impl ObjectPattern {
    fn new(text: &str) -> Option<ObjectPattern> {
        let (bucket, key) = text.strip_prefix("arn:aws:s3:::")?.split_once('/')?;
        let plain = crate::pattern::Syntax {
            wildcards: true,
            variables: true,
        };
        Some(ObjectPattern {
            literal: literal_bucket(text).map(str::to_string),
            bucket: crate::pattern::compile(bucket, plain).ok()?,
            key: key.to_string(),
            whole: crate::arn::ArnPattern::compile(text, true).ok()?,
        })
    }

    /// True when its bucket part may name `bucket` (a variable may).
    fn may_name(&self, bucket: &str) -> bool {
        crate::pattern::matches(&self.bucket, bucket, &NoVars) != Some(false)
    }
}

/// The object classes of every bucket `keep` splits, as representative
/// ARN → shown pattern, those it keeps. Only the patterns whose bucket part
/// may name a bucket split its objects.
fn object_classes(
    worlds: [&World; 2],
    named: &Named,
    keep: &dyn Keep,
    reps: &mut BTreeMap<String, String>,
) {
    let buckets: BTreeSet<&str> = worlds
        .iter()
        .flat_map(|w| w.buckets.keys().map(String::as_str))
        .filter(|b| keep.bucket(b))
        .collect();
    if buckets.is_empty() {
        return;
    }
    // A pattern naming one bucket that is not split is compiled for
    // nothing: it is left out (the others keep their order).
    let patterns: Vec<ObjectPattern> = named
        .resources
        .iter()
        .filter(|t| literal_bucket(t).is_none_or(|b| buckets.contains(b)))
        .filter_map(|t| ObjectPattern::new(t))
        .collect();
    // Patterns by the one bucket they name, and those that may name many
    // by a literal run of their bucket part: a bucket's relevant patterns
    // are found without matching them all.
    let mut by_bucket: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut wild = WildIndex::default();
    for (i, p) in patterns.iter().enumerate() {
        match &p.literal {
            Some(b) => by_bucket.entry(b.as_str()).or_default().push(i),
            None => wild.insert(&p.bucket, i),
        }
    }
    for bucket in buckets {
        let mut indexes: Vec<usize> = by_bucket.get(bucket).cloned().unwrap_or_default();
        wild.candidates(bucket, &mut indexes);
        indexes.sort_unstable();
        indexes.dedup();
        let relevant: Vec<&ObjectPattern> = indexes
            .into_iter()
            .filter_map(|i| patterns.get(i))
            .filter(|p| p.may_name(bucket))
            .collect();
        let mut candidates: Vec<(String, String)> = vec![(OTHER_KEY.into(), "*".into())];
        for w in worlds {
            if let Some(b) = w.buckets.get(bucket) {
                for e in &b.encryption {
                    candidates.push((format!("{}x", e.prefix), format!("{}*", e.prefix)));
                }
            }
        }
        for p in &relevant {
            for k in instances(&p.key) {
                candidates.push((k, p.key.clone()));
            }
        }
        // Which patterns match a key, and which SSE-KMS key covers it in
        // each world.
        type Signature<'k> = (Vec<Option<bool>>, Vec<Option<&'k str>>);
        let mut seen: BTreeSet<Signature<'_>> = BTreeSet::new();
        for (key, shown) in candidates {
            if key.is_empty() {
                continue;
            }
            let arn = format!("arn:aws:s3:::{bucket}/{key}");
            let Some(parsed) = Arn::parse(&arn) else {
                continue;
            };
            let sig: Vec<Option<bool>> = relevant
                .iter()
                .map(|p| p.whole.matches(&parsed, &NoVars))
                .collect();
            let kms: Vec<Option<&str>> = worlds
                .iter()
                .map(|w| w.buckets.get(bucket).and_then(|b| b.kms_key_for(&key)))
                .collect();
            if seen.insert((sig, kms)) && keep.resource(&arn, None) {
                reps.insert(arn, format!("arn:aws:s3:::{bucket}/{shown}"));
            }
        }
    }
}

/// The object patterns whose bucket part has a wildcard, by the longest
/// literal run of that part: a variable-free bucket part can match a name
/// only if the name contains each of its literal runs
/// (`*-100000104729-*` only names holding `-100000104729-`), so a bucket
/// is matched only against the patterns whose run it contains, and those
/// with a variable or no literal run.
#[derive(Default)]
struct WildIndex<'p> {
    /// Patterns that may name any bucket as far as the index can tell.
    always: Vec<usize>,
    /// Patterns by their bucket part's longest literal run.
    by_run: FxHashMap<&'p str, Vec<usize>>,
    /// The lengths of those runs, in bytes, sorted.
    lengths: Vec<usize>,
}

impl<'p> WildIndex<'p> {
    /// Indexes pattern `i` by its bucket part's tokens.
    fn insert(&mut self, bucket: &'p [Tok], i: usize) {
        let has_var = bucket.iter().any(|t| matches!(t, Tok::Var(_)));
        let run = bucket
            .iter()
            .filter_map(|t| match t {
                Tok::Lit(s) => Some(&**s),
                _ => None,
            })
            .max_by_key(|s| s.len());
        match run {
            Some(run) if !has_var && !run.is_empty() => {
                self.by_run.entry(run).or_default().push(i);
                if let Err(at) = self.lengths.binary_search(&run.len()) {
                    self.lengths.insert(at, run.len());
                }
            }
            _ => self.always.push(i),
        }
    }

    /// Adds to `out` the patterns that may name `bucket`: a superset of
    /// those whose bucket part matches it.
    fn candidates(&self, bucket: &str, out: &mut Vec<usize>) {
        out.extend(self.always.iter().copied());
        for &len in &self.lengths {
            for start in 0..bucket.len().saturating_sub(len - 1) {
                let found = bucket
                    .get(start..start + len)
                    .and_then(|w| self.by_run.get(w));
                if let Some(found) = found {
                    out.extend(found.iter().copied());
                }
            }
        }
    }
}

/// The instance of a non-S3 Resource pattern that names an account: a
/// resource the world need not declare, if `keep` keeps it. Its region,
/// when a wildcard, is `us-east-1`.
fn foreign_instance(text: &str, keep: &dyn Fn(&str) -> bool, reps: &mut BTreeMap<String, String>) {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts.as_slice() else {
        return;
    };
    if *service == "s3" || !is_account_id(account) {
        return;
    }
    let region = if region.contains(['*', '?']) {
        "us-east-1"
    } else {
        region
    };
    let [x, _] = instances(resource);
    let arn = format!("arn:{partition}:{service}:{region}:{account}:{x}");
    if !reps.contains_key(&arn) && keep(&arn) && !Catalog::get().types_of(&arn).is_empty() {
        reps.insert(arn, text.to_string());
    }
}

/// What a resource's action classes depend on: its types (service and ARN
/// format) and how AWS protects it in each world.
type Kind = (Vec<String>, Vec<String>);

/// Splits actions into classes, once per resource type and protection:
/// the classes of a resource depend only on the types it has (which
/// actions take it) and on what AWS protects it as.
struct Classifier<'a> {
    worlds: [&'a World; 2],
    patterns: &'a [ActionPattern],
    known: BTreeMap<Kind, Rc<[ActionClass]>>,
}

impl Classifier<'_> {
    /// The classes of the actions that take the resource's type (for `*`,
    /// the actions that take none).
    fn classes(&mut self, arn: &str) -> Rc<[ActionClass]> {
        let catalog = Catalog::get();
        let types = if arn == "*" {
            Vec::new()
        } else {
            catalog.types_of(arn)
        };
        let service = arn.split(':').nth(2).unwrap_or("sts");
        let targets: Vec<_> = self
            .worlds
            .iter()
            .filter_map(|w| resolve_target(w, service, arn, None, FOREIGN).ok())
            .collect();
        let key = (
            types
                .iter()
                .map(|t| format!("{} {}", t.service, t.arn))
                .collect(),
            targets
                .iter()
                .map(|t| format!("{:?}", t.protected))
                .collect(),
        );
        if let Some(known) = self.known.get(&key) {
            return Rc::clone(known);
        }
        let mut actions: Vec<String> = Vec::new();
        if arn == "*" {
            for (prefix, service) in catalog.services() {
                for name in service.action_names() {
                    let a = format!("{prefix}:{name}");
                    if catalog.action_types(&a).is_empty() {
                        actions.push(a);
                    }
                }
            }
        } else {
            for t in &types {
                actions.extend(t.actions.iter().map(|n| format!("{}:{n}", t.service)));
            }
        }
        actions.sort();
        actions.dedup();
        let mut classes: BTreeMap<(String, Vec<bool>, String), Vec<String>> = BTreeMap::new();
        for a in actions {
            let lower = a.to_ascii_lowercase();
            let Some(ra) = RequestAction::parse(&lower) else {
                continue;
            };
            let sig: Vec<bool> = self.patterns.iter().map(|p| p.matches(&ra)).collect();
            let apart = lower == "sts:assumerole"
                || kms_action(&a).is_some()
                || targets.iter().any(|t| {
                    refusal(&a, t.account, t).is_some() || refusal(&a, FOREIGN, t).is_some()
                });
            let own = if apart { lower.clone() } else { String::new() };
            classes
                .entry((ra.service.to_string(), sig, own))
                .or_default()
                .push(a);
        }
        let out: Rc<[ActionClass]> = classes
            .into_values()
            .map(|actions| ActionClass { actions })
            .collect();
        self.known.insert(key, Rc::clone(&out));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_meets_the_wildcard_patterns_whose_literal_run_it_holds() {
        let parts = [
            "*-100000104729-*",
            "*-200000000000-*",
            "${aws:username}-*",
            "*",
            "data-1000?0104729-*",
        ];
        let toks: Vec<Vec<Tok>> = parts
            .iter()
            .map(|p| {
                let syntax = crate::pattern::Syntax {
                    wildcards: true,
                    variables: true,
                };
                crate::pattern::compile(p, syntax).unwrap()
            })
            .collect();
        let mut index = WildIndex::default();
        for (i, t) in toks.iter().enumerate() {
            index.insert(t, i);
        }
        let mut found = Vec::new();
        index.candidates("data-staging-100000104729-reports", &mut found);
        found.sort_unstable();
        // The run `-100000104729-` is held; `-200000000000-` (near miss)
        // is not; a variable or a lone `*` may name anything; the last's
        // longest run, `data-1000`, is not held, and it cannot match.
        assert_eq!(found, vec![0, 2, 3]);
        let mut last = Vec::new();
        index.candidates("data-1000x0104729-reports", &mut last);
        last.sort_unstable();
        assert_eq!(last, vec![2, 3, 4]);
        let mut none = Vec::new();
        index.candidates("x", &mut none);
        none.sort_unstable();
        assert_eq!(none, vec![2, 3]);
    }

    #[test]
    fn instances_read_wildcards_both_ways() {
        assert_eq!(
            instances("reports/*"),
            ["reports/x".to_string(), "reports/".into()]
        );
        assert_eq!(
            instances("a?c/${aws:username}/*"),
            ["axc/x/x".to_string(), "axc/x/".into()]
        );
    }
}
