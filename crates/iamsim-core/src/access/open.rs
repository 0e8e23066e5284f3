//! Requests whose context the question leaves partly open. A key is open
//! when the question does not fix it and the world does not derive it:
//! what the caller chooses per request (MFA, source IP, external id,
//! request tags, requested region...). `aws:SecureTransport` is not open:
//! the AWS CLI and SDKs use TLS (crate::request). The region is open unless
//! the question names it, the service is global or the resource's region
//! is known (crate::region). [`Asker::ask`] decides a request;
//! when the decision read an open key, it looks for values of those keys
//! that make the request allowed, checks them by deciding again, and
//! returns them as [`Need`]s rather than guessing either way.

use super::graph::SESSION_NAME;
use crate::condition::Condition;
use crate::context::{Context, Found, Layered, Lookup};
use crate::eval::absent::{Trial, candidates};
use crate::eval::{self, Decision, Gate, MissReason, Outcome, Request};
use crate::pattern::Resolve;
use crate::policy::Effect;
use crate::report::RequestTrace;
use crate::request::{AssumeCall, Caller, Clock, Derived, Target, resolve_target, service_of};
use crate::sse_kms::{KmsCall, KmsContext, kms_call};
use crate::world::{Role, Tags, World};
use std::cell::RefCell;

/// How many rounds of "fix the open keys the last decision tested" before
/// giving up; each round fixes at least one key.
const MAX_ROUNDS: usize = 6;

/// How many decisions one request's search for needs may make: it tries
/// the open conditions of a round together, then each alone.
const MAX_TRIES: usize = 64;

pub use crate::request::is_open;

/// `aws:MultiFactorAuthPresent`, the one open key a caller always carries
/// in some form: see [`Masked`].
const MFA_PRESENT: &str = "aws:multifactorauthpresent";

/// `aws:RequestedRegion`, open unless fixed: see [`Masked`].
const REQUESTED_REGION: &str = "aws:requestedregion";

/// What the world derives, with the MFA keys left to the question: whether
/// the caller signed in with MFA is its choice, fixed by the question's
/// context or found as a need. A user with long-term keys carries no MFA
/// key; a role session always carries `aws:MultiFactorAuthPresent`, so
/// its default is `false` and only `true` can be a need (AWS global
/// condition keys page: the key is present for temporary credentials).
/// `aws:MultiFactorAuthAge` is absent until a need sets it. The region is
/// the caller's choice too, absent until a need sets it, unless the
/// question names it, the service has one endpoint or the resource's
/// region is known (crate::region::RegionFrom::is_fixed).
struct Masked<'a>(Derived<'a>);

impl Lookup for Masked<'_> {
    fn lookup(&self, lower_key: &str) -> Found<'_> {
        match lower_key {
            MFA_PRESENT if matches!(self.0.caller, Caller::Session(_)) => Found::One("false"),
            MFA_PRESENT | "aws:multifactorauthage" => Found::Absent,
            REQUESTED_REGION if !self.0.region().1.is_fixed() => Found::Absent,
            _ => self.0.lookup(lower_key),
        }
    }
}

impl Resolve for Masked<'_> {
    fn var(&self, key: &str) -> Option<&str> {
        self.lookup(key).single()
    }
}

/// A lookup that notes the open keys the decision read that were absent,
/// and the MFA key a session carries by default: if it read none, no
/// choice of the caller could change it.
struct Watch<L> {
    inner: L,
    read: RefCell<Vec<String>>,
}

impl<L: Lookup> Lookup for Watch<L> {
    fn lookup(&self, lower_key: &str) -> Found<'_> {
        let found = self.inner.lookup(lower_key);
        if is_open(lower_key) && (found == Found::Absent || lower_key == MFA_PRESENT) {
            let mut read = self.read.borrow_mut();
            if !read.iter().any(|k| k == lower_key) {
                read.push(lower_key.to_string());
            }
        }
        found
    }
}

impl<L: Lookup> Resolve for Watch<L> {
    fn var(&self, key: &str) -> Option<&str> {
        self.lookup(key).single()
    }
}

/// A condition on an open key that the request must meet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Need {
    /// The key as the policy writes it.
    pub key: String,
    /// The condition's operator.
    pub operator: String,
    /// The condition's policy values.
    pub policy_values: Vec<String>,
    /// False when the need is to escape a Deny statement's condition.
    pub to_match: bool,
    /// A value iamsim found that meets it (and decided the request with).
    pub value: Vec<String>,
}

impl Need {
    /// The need in words: `aws:MultiFactorAuthPresent=true`, or the
    /// condition itself when one value does not say it
    /// (`aws:SourceIp IpAddress 203.0.113.0/24`).
    pub fn text(&self) -> String {
        let op = self.operator.to_ascii_lowercase();
        let equality = ["bool", "stringequals", "arnequals", "numericequals"]
            .iter()
            .any(|e| op.starts_with(e) && !op.contains("not"));
        let single = self.policy_values.len() == 1 && self.value.len() == 1;
        match self.value.as_slice() {
            [v] if op.starts_with("bool") || (equality && single && self.to_match) => {
                format!("{}={v}", self.key)
            }
            _ if self.to_match => {
                format!(
                    "{} {} {}",
                    self.key,
                    self.operator,
                    self.policy_values.join("|")
                )
            }
            // Escaping a Deny: say what the key must be, not what it must not.
            _ if op.starts_with("null") => format!("{} present", self.key),
            _ if op.contains("not") => format!(
                "{} {} {}",
                self.key,
                self.operator.replacen("Not", "", 1).replace("IfExists", ""),
                self.policy_values.join("|")
            ),
            _ => format!(
                "not {} {} {}",
                self.key,
                self.operator,
                self.policy_values.join("|")
            ),
        }
    }
}

/// What a request with open keys comes to.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// Allowed, if the request meets these needs (none: allowed as asked).
    Allowed(Vec<Need>),
    /// Denied whatever the open keys hold (as far as iamsim can tell).
    Denied(Outcome),
}

static EMPTY: Context = Context::EMPTY;

/// Decides requests of one question: the world, its clock and the keys
/// the question fixes.
pub struct Asker<'a> {
    /// The world.
    pub world: &'a World,
    /// The time of the question.
    pub clock: &'a Clock,
    /// The keys the question fixes (`--context`).
    pub fixed: &'a Context,
    /// The region the question names (`--region`), if any.
    pub region: Option<&'a str>,
    /// The open keys read since [`Asker::take_reads`].
    reads: RefCell<Vec<String>>,
}

impl<'a> Asker<'a> {
    /// An asker of `world` at the time of `clock`, with the keys and the
    /// region the question fixes.
    pub fn new(
        world: &'a World,
        clock: &'a Clock,
        fixed: &'a Context,
        region: Option<&'a str>,
    ) -> Self {
        Asker {
            world,
            clock,
            fixed,
            region,
            reads: RefCell::default(),
        }
    }

    /// The open keys (lower-cased) that the decisions made since the last
    /// call read while absent (and a session's MFA key): the keys whose
    /// values may change those decisions, as the search for needs tried
    /// them.
    pub fn take_reads(&self) -> Vec<String> {
        std::mem::take(&mut *self.reads.borrow_mut())
    }
}

const NO_TAGS: &Tags = &Vec::new();

/// The `sts:AssumeRole` call of an analysis session.
pub const ASSUME: AssumeCall<'static> = AssumeCall {
    session_name: SESSION_NAME,
    external_id: None,
    source_identity: None,
    tags: NO_TAGS,
    tag_keys: &[],
    transitive_keys: &[],
    mfa: false,
};

/// One request to ask: who, what, on what, and what the call passes.
#[derive(Clone, Copy)]
pub struct Ask<'a> {
    /// Who calls.
    pub caller: Caller<'a>,
    /// The action.
    pub action: &'a str,
    /// The resource, resolved.
    pub target: &'a Target<'a>,
    /// For `sts:AssumeRole`, what the call passes.
    pub assume: Option<&'a AssumeCall<'a>>,
    /// For the KMS request S3 makes on an SSE-KMS object, the call, whose
    /// keys ([`KmsContext`]) S3 and KMS set.
    pub kms: Option<&'a KmsCall<'a>>,
}

impl Asker<'_> {
    /// Runs `f` on the request with these needs assumed: the question's
    /// keys, then the needs, over what AWS derives (MFA masked), inside the
    /// KMS context for a KMS request. Also says whether an absent open key
    /// was read, and notes the keys read ([`Asker::take_reads`]).
    fn with_request<R>(
        &self,
        ask: &Ask<'_>,
        needs: &Context,
        f: impl FnOnce(&Request<'_>, &dyn Lookup) -> R,
    ) -> (R, bool) {
        fn run<L: Lookup, R>(
            ask: &Ask<'_>,
            inner: L,
            f: impl FnOnce(&Request<'_>, &dyn Lookup) -> R,
        ) -> (R, Vec<String>) {
            let ctx = Watch {
                inner,
                read: RefCell::default(),
            };
            let req = Request {
                caller: ask.caller,
                action: ask.action,
                target: ask.target,
                context: &ctx,
                identity_required: false,
            };
            let r = f(&req, &ctx);
            (r, ctx.read.into_inner())
        }
        let layered = Layered {
            layers: [self.fixed, needs, &EMPTY],
            base: self.derived(ask),
        };
        let (r, read) = match ask.kms {
            None => run(ask, layered, f),
            Some(call) => run(
                ask,
                KmsContext {
                    call,
                    caller_account: ask.caller.account(),
                    base: layered,
                },
                f,
            ),
        };
        let mut reads = self.reads.borrow_mut();
        for k in &read {
            if !reads.contains(k) {
                reads.push(k.clone());
            }
        }
        (r, !read.is_empty())
    }

    /// What AWS derives for the request, MFA and region masked.
    fn derived<'a>(&'a self, ask: &Ask<'a>) -> Masked<'a> {
        Masked(Derived {
            world: self.world,
            caller: ask.caller,
            target: ask.target,
            clock: self.clock,
            assume: ask.assume,
            service: service_of(ask.action),
            region: self.region,
        })
    }

    /// Decides with these needs assumed; also says whether an absent open
    /// key was read.
    fn decide(&self, ask: &Ask<'_>, needs: &Context) -> (Outcome, bool) {
        self.with_request(ask, needs, |req, _| eval::decide(self.world, req))
    }

    /// The decision's explanation, with these needs assumed.
    pub fn trace(&self, ask: &Ask<'_>, needs: &[Need]) -> RequestTrace {
        let needs = needs_context(needs);
        self.with_request(ask, &needs, |req, _| {
            let d = eval::evaluate(self.world, req);
            RequestTrace::new(ask.caller.arn(), ask.action, ask.target.arn, &d)
        })
        .0
    }

    /// Decides a request, finding what its open keys must hold for it to
    /// be allowed.
    pub fn ask(&self, ask: &Ask<'_>) -> Answer {
        let mut tries = MAX_TRIES;
        match self.search(ask, Vec::new(), MAX_ROUNDS, &mut tries) {
            Ok(needs) => Answer::Allowed(self.minimize(ask, needs)),
            Err(outcome) => Answer::Denied(outcome),
        }
    }

    /// Looks for needs, added to `needs`, that let the request through:
    /// the conditions on open keys that kept it out, first all together,
    /// then each alone, since a value one statement asks for can break
    /// another statement that already let the request through (a session's
    /// `aws:MultiFactorAuthPresent` is `false` until a need says `true`).
    /// Depth first, at most `rounds` deep and `tries` decisions in all;
    /// else the outcome of the first path tried.
    fn search(
        &self,
        ask: &Ask<'_>,
        needs: Vec<Need>,
        rounds: usize,
        tries: &mut usize,
    ) -> Result<Vec<Need>, Outcome> {
        *tries = tries.saturating_sub(1);
        let ctx_needs = needs_context(&needs);
        let (outcome, read_open) = self.decide(ask, &ctx_needs);
        if outcome == Outcome::Allow {
            return Ok(needs);
        }
        if !read_open || rounds == 0 {
            return Err(outcome);
        }
        // Keys the question fixes, those the request carries whatever
        // the caller chooses (a global service's region; a session's
        // MFA key stays open), and the needs already found, stay.
        let base = self.derived(ask);
        let taken = |k: &str| {
            self.fixed.lookup(k) != Found::Absent
                || (k != MFA_PRESENT && base.lookup(k) != Found::Absent)
                || needs.iter().any(|n| n.key.eq_ignore_ascii_case(k))
        };
        let (found, _) = self.with_request(ask, &ctx_needs, |req, ctx| {
            open_conditions(&eval::evaluate(self.world, req), ctx, &taken)
        });
        // Together: the first value found for each key.
        let mut together: Vec<Need> = Vec::new();
        for n in &found {
            if !together.iter().any(|t| t.key.eq_ignore_ascii_case(&n.key)) {
                together.push(n.clone());
            }
        }
        let together = (together.len() > 1).then_some(together);
        let alone = found.iter().map(|n| vec![n.clone()]);
        let mut first = None;
        for more in together.into_iter().chain(alone) {
            if *tries == 0 {
                break;
            }
            let mut next = needs.clone();
            next.extend(more);
            match self.search(ask, next, rounds - 1, tries) {
                Ok(n) => return Ok(n),
                Err(o) => {
                    first.get_or_insert(o);
                }
            }
        }
        Err(first.unwrap_or(outcome))
    }

    /// Decides `caller`'s `sts:AssumeRole` on `role` as the analyses'
    /// edges call it (session name iamsim, nothing else passed). An error
    /// names a role whose ARN cannot be resolved.
    pub fn ask_assume(&self, caller: Caller<'_>, role: &Role) -> Result<Answer, String> {
        let target = resolve_target(self.world, "sts", &role.arn, None, &role.account)?;
        Ok(self.ask(&Ask {
            caller,
            action: "sts:AssumeRole",
            target: &target,
            assume: Some(&ASSUME),
            kms: None,
        }))
    }

    /// Runs `f` on the action's request, then, on an SSE-KMS object, on
    /// the KMS request S3 makes on the caller's behalf (with its call),
    /// unless `f` returned false for the first. An error names a key ARN
    /// that cannot be resolved.
    fn each_request(
        &self,
        caller: Caller<'_>,
        action: &str,
        target: &Target<'_>,
        mut f: impl FnMut(&Ask<'_>, Option<&KmsCall<'_>>) -> bool,
    ) -> Result<(), String> {
        // An sts:AssumeRole asked as the request itself passes what the
        // analyses' edges pass: session name iamsim, nothing else.
        let first = Ask {
            caller,
            action,
            target,
            assume: action
                .eq_ignore_ascii_case("sts:AssumeRole")
                .then_some(&ASSUME),
            kms: None,
        };
        if !f(&first, None) {
            return Ok(());
        }
        if let Some(call) = kms_call(self.world, action, target) {
            let key = call.target(self.world, caller.account())?;
            let kms = Ask {
                caller,
                action: call.action,
                target: &key,
                assume: None,
                kms: Some(&call),
            };
            f(&kms, Some(&call));
        }
        Ok(())
    }

    /// Decides an action and, on an SSE-KMS object, the KMS request S3
    /// then makes on the caller's behalf (only once S3 allows, as S3
    /// does): the needs of each request when all are allowed, else `None`.
    /// An error names a key ARN that cannot be resolved.
    pub fn ask_action(
        &self,
        caller: Caller<'_>,
        action: &str,
        target: &Target<'_>,
    ) -> Result<Option<Vec<Vec<Need>>>, String> {
        let mut needs = Vec::new();
        let mut allowed = true;
        self.each_request(caller, action, target, |ask, _| match self.ask(ask) {
            Answer::Allowed(n) => {
                needs.push(n);
                true
            }
            Answer::Denied(_) => {
                allowed = false;
                false
            }
        })?;
        Ok(allowed.then_some(needs))
    }

    /// The explanations of [`Asker::ask_action`]'s requests, each with its
    /// needs assumed.
    pub fn trace_action(
        &self,
        caller: Caller<'_>,
        action: &str,
        target: &Target<'_>,
        needs: &[Vec<Need>],
    ) -> Result<Vec<RequestTrace>, String> {
        let none = Vec::new();
        let mut out: Vec<RequestTrace> = Vec::new();
        self.each_request(caller, action, target, |ask, call| {
            let mut t = self.trace(ask, needs.get(out.len()).unwrap_or(&none));
            if let Some(call) = call {
                t.summary = format!("{}: {}", call.reason(), t.summary);
            }
            out.push(t);
            true
        })?;
        Ok(out)
    }

    /// The policy texts known only after apply that an action (and, on an
    /// SSE-KMS object, S3's KMS request) consults, each `ADDRESS
    /// ATTRIBUTE`: what an access found only in the reading where they
    /// allow everything depends on.
    pub fn unknown_policies(
        &self,
        caller: Caller<'_>,
        action: &str,
        target: &Target<'_>,
    ) -> Result<Vec<String>, String> {
        let mut out: Vec<String> = Vec::new();
        self.each_request(caller, action, target, |ask, _| {
            let (found, _) = self.with_request(ask, &Context::new(), |req, _| {
                eval::unknown::depends_on(self.world, req)
                    .policies
                    .into_iter()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            });
            for p in found {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
            true
        })?;
        Ok(out)
    }

    /// Drops the needs the request is allowed without, one at a time.
    fn minimize(&self, ask: &Ask<'_>, mut needs: Vec<Need>) -> Vec<Need> {
        let mut i = 0;
        while i < needs.len() {
            let mut without = needs.clone();
            without.remove(i);
            if self.decide(ask, &needs_context(&without)).0 == Outcome::Allow {
                needs = without;
            } else {
                i += 1;
            }
        }
        needs
    }
}

/// The needs as context keys.
fn needs_context(needs: &[Need]) -> Context {
    let mut c = Context::new();
    for n in needs {
        c.insert(&n.key, n.value.clone(), n.value.len() != 1);
    }
    c
}

/// The conditions on open keys not `taken` (fixed by the question or
/// already a need) that kept the request from being allowed, each with a
/// value that turns it (one key may come with several values): conditions that failed an allow statement, and
/// conditions that made a Deny statement apply.
fn open_conditions(d: &Decision<'_>, ctx: &dyn Lookup, taken: &dyn Fn(&str) -> bool) -> Vec<Need> {
    let mut out: Vec<Need> = Vec::new();
    let mut consider = |c: &Condition, want: bool| {
        if !is_open(&c.key_lower) || taken(&c.key_lower) {
            return;
        }
        let Some(value) = satisfy(c, want, ctx) else {
            return;
        };
        // Two conditions on one key may want different values: each is
        // an alternative (Asker::search).
        let known = out
            .iter()
            .any(|n| n.key.eq_ignore_ascii_case(&c.key) && n.value == value);
        if !known {
            out.push(Need {
                key: c.key.clone(),
                operator: c.operator.clone(),
                policy_values: c.values.clone(),
                to_match: want,
                value,
            });
        }
    };
    for g in &d.gates {
        if g.gate == Gate::ExplicitDeny {
            for h in &g.hits {
                for c in &h.statement.conditions {
                    if c.eval(ctx) {
                        consider(c, false);
                    }
                }
            }
        }
        // A Deny whose condition is false does not apply, as the request
        // wants: meeting its condition would only make it deny.
        for m in g
            .misses
            .iter()
            .filter(|m| m.statement.effect == Effect::Allow)
        {
            if let MissReason::Condition { condition, .. } = &m.reason {
                consider(condition, true);
            }
        }
    }
    out
}

/// A value of the condition's key that makes it `want`, checked by
/// deciding the condition.
fn satisfy(c: &Condition, want: bool, base: &dyn Lookup) -> Option<Vec<String>> {
    let multi = c.set.is_some();
    candidates(c).into_iter().find_map(|v| {
        let mut value = Context::new();
        value.insert(&c.key_lower, vec![v.clone()], multi);
        let trial = Trial {
            lower_key: &c.key_lower,
            value: &value,
            base,
        };
        (c.eval(&trial) == want).then(|| vec![v])
    })
}
