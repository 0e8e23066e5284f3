//! Decisions as owned, renderable data: what a step decided, gate by gate,
//! with the statements that decided each gate. Renderers (table, JSON)
//! read these; nothing here formats for a terminal.

use crate::eval::{Decision, Gate, Hit, Miss, MissReason, Outcome, Verdict, explain};
use crate::policy::Effect;
use crate::request::{Defaulted, SetWith};

/// How a question was asked, so that hints name what the asker can change:
/// command-line flags (`can`, `who-can`, `what-can`) or scenario-file keys
/// (`run`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    /// On the command line: `--region`, `--context`.
    Flags,
    /// In a scenario file: `region`, `context`.
    FileKeys,
}

impl Asked {
    /// What changes a defaulted key: `--region`, `--context KEY=...`, or
    /// the scenario-file keys `region`, `context`.
    pub fn set_with(self, how: SetWith, key: &str) -> String {
        match (self, how) {
            (Asked::Flags, SetWith::Region) => "--region".to_string(),
            (Asked::Flags, SetWith::Context) => format!("--context {key}=..."),
            (Asked::FileKeys, SetWith::Region) => "region".to_string(),
            (Asked::FileKeys, SetWith::Context) => "context".to_string(),
        }
    }

    /// A defaulted key in words: `aws:RequestedRegion = us-east-1
    /// (default: the world's default_region; set with --region)`.
    pub fn describe(self, d: &Defaulted) -> String {
        let change = match (d.set_with, self) {
            (Some(how), Asked::Flags) => format!("set with {}", self.set_with(how, d.key)),
            (Some(how), Asked::FileKeys) => format!("set with \"{}\"", self.set_with(how, d.key)),
            (None, _) => "fixed".to_string(),
        };
        format!("{} = {} (default: {}; {change})", d.key, d.value, d.from)
    }
}
use serde_json::{Value, json};

/// A statement that decided a gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRef {
    /// The policy kind (`trust policy`, `SCP`, ...).
    pub kind: &'static str,
    /// The policy's name or ARN.
    pub policy: String,
    /// What it is attached to.
    pub owner: String,
    /// `Sid`, if any.
    pub sid: Option<String>,
    /// Index in the policy's statement list.
    pub index: usize,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
    /// How a resource-based statement names the caller: `account`, `role`
    /// or `direct`.
    pub grant: Option<&'static str>,
    /// The whole reference as one phrase.
    pub text: String,
    /// The Terraform address the policy came from.
    pub terraform: Option<String>,
    /// For a policy text known only after apply, `ADDRESS ATTRIBUTE`.
    pub unknown: Option<String>,
    /// Where the statement was written: its source and byte span
    /// ([`crate::policy::Origin`]), for `file:line:col`.
    pub written: (crate::diag::SourceId, crate::json::Span),
}

/// A statement that did not apply, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissRef {
    /// The statement, named as in [`StatementRef::text`].
    pub text: String,
    /// `principal`, `action`, `resource` or `condition`.
    pub part: &'static str,
    /// Why, as one phrase.
    pub reason: String,
    /// For a failed condition, what it compared.
    pub condition: Option<FailedCondition>,
    /// Where the statement was written, as in [`StatementRef::written`].
    pub written: (crate::diag::SourceId, crate::json::Span),
    /// `Allow` or `Deny`.
    pub effect: &'static str,
    /// The Terraform address of the statement's policy.
    pub terraform: Option<String>,
}

/// A condition that was false.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedCondition {
    /// The operator as written.
    pub operator: String,
    /// The key as written.
    pub key: String,
    /// The policy's values.
    pub policy_values: Vec<String>,
    /// The request's values; `None` when the request lacks the key.
    pub request_values: Option<Vec<String>>,
}

/// One gate of the evaluation flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateTrace {
    /// The gate's name.
    pub gate: String,
    /// `pass`, `fail` or `skip`.
    pub verdict: &'static str,
    /// The statements that decided it.
    pub statements: Vec<StatementRef>,
    /// The statements of its policies that did not apply, and why.
    pub misses: Vec<MissRef>,
    /// Why, in words, where statements do not say it.
    pub note: String,
    /// The AWS page that describes the gate.
    pub page: &'static str,
}

/// One request's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestTrace {
    /// The caller's ARN.
    pub principal: String,
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// The decision.
    pub outcome: Outcome,
    /// One sentence saying why.
    pub summary: String,
    /// The AWS page of the rule the sentence names.
    pub page: &'static str,
    /// Every gate in AWS's order.
    pub gates: Vec<GateTrace>,
    /// Condition keys that statements on the decision path tested but the
    /// request lacks.
    pub missing_context: Vec<String>,
    /// Those missing keys with a value that would change the decision.
    pub would_differ: Vec<String>,
    /// Keys of every real request that the question did not give, with
    /// the values iamsim gave them.
    pub defaults: Vec<Defaulted>,
    /// Those of `defaults` that a statement deciding the request tested:
    /// the decision rests on a value the question did not give.
    pub decided_with: Vec<&'static str>,
    /// For a decision that rests on what is known only after apply, each
    /// unknown (`ADDRESS ATTRIBUTE`) it depends on.
    pub depends_on: Vec<String>,
}

/// A request's JSON object, borrowed from its [`RequestTrace`] and
/// serialized straight to text (`run --format json` writes millions). Its
/// keys are declared in sorted order, the order a [`serde_json::Value`]
/// object keeps, so that writing it directly or through a `Value` gives the
/// same text.
#[derive(Debug, serde::Serialize)]
pub struct RequestJson<'a> {
    /// The action.
    pub action: &'a str,
    /// `allow`, `implicit_deny`, `explicit_deny` or `indeterminate`.
    pub decision: &'static str,
    /// The keys iamsim gave values of its own.
    pub defaults: Vec<DefaultJson<'a>>,
    /// The unknowns the decision depends on.
    pub depends_on: &'a [String],
    /// The gate-by-gate walk, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Value>,
    /// Condition keys tested on the decision path and absent.
    pub missing_context_values: &'a [String],
    /// The AWS page of the rule the summary names.
    pub page: &'static str,
    /// For a step: what an `assume_role` step passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// The caller's ARN.
    pub principal: &'a str,
    /// For a step that made several requests: each of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<Vec<RequestJson<'a>>>,
    /// The resource.
    pub resource: &'a str,
    /// One sentence saying why.
    pub summary: &'a str,
    /// Missing keys with a value that would change the decision.
    pub would_differ_if_present: &'a [String],
}

/// A defaulted key in a [`RequestJson`], keys sorted.
#[derive(Debug, serde::Serialize)]
pub struct DefaultJson<'a> {
    /// True when a statement that decided tested the key.
    pub decisive: bool,
    /// Why that value, in words.
    pub from: &'static str,
    /// The key.
    pub key: &'static str,
    /// What changes it, spelt as the question was asked.
    pub set_with: Option<String>,
    /// The value iamsim gave it.
    pub value: &'a str,
}

fn gate_name(g: &Gate, combine_cross: bool) -> String {
    match g {
        Gate::AwsProtection => "AWS protection".into(),
        Gate::RootUser => "root user".into(),
        Gate::ExplicitDeny => "explicit deny".into(),
        Gate::Rcp => "RCPs".into(),
        Gate::Scp(level) => format!("SCPs at {level}"),
        Gate::ResourcePolicy => "resource-based policy".into(),
        Gate::Identity => "identity-based policies".into(),
        Gate::Boundary => "permissions boundary".into(),
        Gate::SessionPolicy => "session policy".into(),
        Gate::Combine if combine_cross => "cross-account rule".into(),
        Gate::Combine => "same-account rule".into(),
    }
}

fn statement_ref(h: &Hit<'_>) -> StatementRef {
    StatementRef {
        kind: h.kind.label(),
        policy: h.policy.to_string(),
        owner: h.owner.to_string(),
        sid: h.statement.sid.clone(),
        index: h.statement.index,
        effect: effect_name(h.statement.effect),
        grant: h
            .grant
            .filter(|_| h.kind.is_resource_based())
            .map(explain::grant_token),
        text: explain::describe(h),
        terraform: h.terraform.map(str::to_string),
        unknown: h.unknown.map(str::to_string),
        written: (h.statement.origin.source, h.statement.origin.span),
    }
}

fn miss_ref(m: &Miss<'_>, action: &str, resource: &str) -> MissRef {
    let (part, condition) = match &m.reason {
        MissReason::Principal => ("principal", None),
        MissReason::Action => ("action", None),
        MissReason::Resource => ("resource", None),
        MissReason::Condition {
            condition: c,
            request,
        } => (
            "condition",
            Some(FailedCondition {
                operator: c.operator.clone(),
                key: c.key.clone(),
                policy_values: c.values.clone(),
                request_values: request.clone(),
            }),
        ),
    };
    MissRef {
        text: explain::statement_of(
            m.kind,
            m.policy,
            m.owner,
            m.how,
            m.statement,
            explain::Provenance {
                terraform: m.terraform,
                unknown: m.unknown,
            },
        ),
        part,
        reason: explain::miss_reason(m, action, resource),
        condition,
        written: (m.statement.origin.source, m.statement.origin.span),
        effect: effect_name(m.statement.effect),
        terraform: m.terraform.map(str::to_string),
    }
}

fn effect_name(e: Effect) -> &'static str {
    match e {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    }
}

impl RequestTrace {
    /// The trace of a decision made for `principal` doing `action` on
    /// `resource`, with every gate.
    pub fn new(principal: &str, action: &str, resource: &str, d: &Decision<'_>) -> RequestTrace {
        let cross = d
            .gates
            .iter()
            .any(|g| g.gate == Gate::Combine && g.note.starts_with("cross-account"));
        RequestTrace {
            gates: d
                .gates
                .iter()
                .map(|g| GateTrace {
                    gate: gate_name(&g.gate, cross),
                    verdict: match g.verdict {
                        Verdict::Pass => "pass",
                        Verdict::Fail => "fail",
                        Verdict::Skip => "skip",
                    },
                    statements: g.hits.iter().map(statement_ref).collect(),
                    misses: g
                        .misses
                        .iter()
                        .map(|m| miss_ref(m, action, resource))
                        .collect(),
                    note: g.note.clone(),
                    page: g.gate.page(cross).unwrap_or(d.page),
                })
                .collect(),
            ..RequestTrace::summary(principal, action, resource, d)
        }
    }

    /// The trace of a decision without its gates: the decision, its
    /// summary and page, and the missing context keys.
    pub fn summary(
        principal: &str,
        action: &str,
        resource: &str,
        d: &Decision<'_>,
    ) -> RequestTrace {
        RequestTrace {
            principal: principal.to_string(),
            action: action.to_string(),
            resource: resource.to_string(),
            outcome: d.outcome,
            summary: d.summary.clone(),
            page: d.page,
            gates: Vec::new(),
            missing_context: d.missing_context.clone(),
            would_differ: d.would_differ.clone(),
            defaults: Vec::new(),
            decided_with: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    /// A decision made without evaluating policies (a request STS refuses
    /// before authorization, such as changing a source identity), with the
    /// AWS page that says so.
    pub fn refused(
        principal: &str,
        action: &str,
        resource: &str,
        why: String,
        page: &'static str,
    ) -> RequestTrace {
        RequestTrace {
            principal: principal.to_string(),
            action: action.to_string(),
            resource: resource.to_string(),
            outcome: Outcome::ImplicitDeny,
            summary: format!("denied: {why}"),
            page,
            gates: Vec::new(),
            missing_context: Vec::new(),
            would_differ: Vec::new(),
            defaults: Vec::new(),
            decided_with: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    /// The trace as JSON, with its gate-by-gate walk under `explanation`;
    /// `asked` spells how to change defaulted keys.
    pub fn to_json(&self, asked: Asked) -> Value {
        serde_json::to_value(self.json(asked, true)).unwrap_or_default()
    }

    /// The trace as [`to_json`](Self::to_json) writes it, ready to
    /// serialize without building a tree; with `walk`, the gate-by-gate
    /// walk under `explanation`, else no such key.
    pub fn json(&self, asked: Asked, walk: bool) -> RequestJson<'_> {
        RequestJson {
            action: &self.action,
            decision: self.outcome.as_str(),
            defaults: self
                .defaults
                .iter()
                .map(|d| DefaultJson {
                    decisive: self.decided_with.contains(&d.key),
                    from: d.from,
                    key: d.key,
                    set_with: d.set_with.map(|h| asked.set_with(h, d.key)),
                    value: &d.value,
                })
                .collect(),
            depends_on: &self.depends_on,
            explanation: walk.then(|| self.walk_json()),
            missing_context_values: &self.missing_context,
            page: self.page,
            parameters: None,
            principal: &self.principal,
            requests: None,
            resource: &self.resource,
            summary: &self.summary,
            would_differ_if_present: &self.would_differ,
        }
    }

    /// Every gate, as the `explanation` of [`to_json`](Self::to_json).
    fn walk_json(&self) -> Value {
        Value::Array(self.gates.iter().map(|g| json!({
        "gate": g.gate,
        "verdict": g.verdict,
        "note": g.note,
        "page": g.page,
        "not_applying": g.misses.iter().map(|m| {
            let mut v = json!({"statement": m.text, "part": m.part, "reason": m.reason, "terraform": m.terraform});
            if let (Some(c), Some(obj)) = (&m.condition, v.as_object_mut()) {
                obj.insert("condition".into(), json!({"operator": c.operator, "key": c.key, "policy_values": c.policy_values, "request_values": c.request_values}));
            }
            v
        }).collect::<Vec<_>>(),
        "statements": g.statements.iter().map(|s| json!({
            "policy_kind": s.kind,
            "policy": s.policy,
            "owner": s.owner,
            "sid": s.sid,
            "index": s.index,
            "effect": s.effect,
            "grant": s.grant,
            "terraform": s.terraform,
            "unknown": s.unknown,
        })).collect::<Vec<_>>(),
    })).collect())
    }
}
