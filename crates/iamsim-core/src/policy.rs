//! Compiled policies and how one statement matches one request.
//!
//! A policy is parsed once ([`parse`]) into statements whose actions are
//! lower-cased, whose ARNs are split and whose wildcards and conditions are
//! compiled; matching then only compares.

pub mod action;
pub mod parse;
pub mod principal;
pub mod print;

use crate::arn::{Arn, ArnPattern};
use crate::condition::Condition;
use crate::context::Lookup;
use crate::diag::{SourceId, Sources};
use crate::json::Span;
pub use action::{ActionPattern, RequestAction};
pub use principal::{Grant, PrincipalEntry, PrincipalSet, Who};

/// Where a policy is attached, which decides what its statements may hold
/// (a Principal, a Resource, a Sid with spaces) and how it is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKind {
    /// An inline or managed policy of a user, group or role.
    Identity,
    /// A permissions boundary.
    Boundary,
    /// A session policy passed to AssumeRole.
    Session,
    /// A role's trust policy.
    Trust,
    /// An S3 bucket policy.
    Bucket,
    /// A KMS key policy: a resource-based policy that must allow even
    /// within one account (D11).
    Key,
    /// Another resource's policy (a queue policy, a secret's...).
    Resource,
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
}

impl PolicyKind {
    /// Resource-based policies name principals.
    pub fn is_resource_based(self) -> bool {
        matches!(
            self,
            PolicyKind::Trust
                | PolicyKind::Bucket
                | PolicyKind::Key
                | PolicyKind::Resource
                | PolicyKind::Rcp
        )
    }

    /// The label with its article: "an identity-based policy", "an SCP".
    pub fn a_label(self) -> String {
        let label = self.label();
        let article = if matches!(
            self,
            PolicyKind::Identity | PolicyKind::Scp | PolicyKind::Rcp
        ) {
            "an"
        } else {
            "a"
        };
        format!("{article} {label}")
    }

    /// A short human name: "trust policy", "SCP"...
    pub fn label(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity-based policy",
            PolicyKind::Boundary => "permissions boundary",
            PolicyKind::Session => "session policy",
            PolicyKind::Trust => "trust policy",
            PolicyKind::Bucket => "bucket policy",
            PolicyKind::Key => "key policy",
            PolicyKind::Resource => "resource-based policy",
            PolicyKind::Scp => "SCP",
            PolicyKind::Rcp => "RCP",
        }
    }
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Grants when it applies.
    Allow,
    /// Denies explicitly when it applies.
    Deny,
}

/// One entry of `Resource` / `NotResource`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourcePattern {
    /// `*`: every resource, the request resource `*` included.
    Any,
    /// An ARN pattern, matched part by part.
    Arn(ArnPattern),
}

/// `Action` or `NotAction` with its entries.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionSet {
    /// `NotAction`.
    pub negated: bool,
    /// The entries (OR).
    pub patterns: Vec<ActionPattern>,
}

/// `Resource` or `NotResource` with its entries.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceSet {
    /// `NotResource`.
    pub negated: bool,
    /// The entries (OR).
    pub patterns: Vec<ResourcePattern>,
}

/// One compiled statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// The `Sid`, if any.
    pub sid: Option<String>,
    /// Position in the policy's statement list, from 0.
    pub index: usize,
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// `Action` / `NotAction`.
    pub actions: ActionSet,
    /// `Resource` / `NotResource`; absent in trust policies (any resource).
    pub resources: Option<ResourceSet>,
    /// `Principal` / `NotPrincipal`; only in resource-based policies.
    pub principals: Option<PrincipalSet>,
    /// The Condition block (AND of every entry).
    pub conditions: Vec<Condition>,
    /// Where the statement object was written; ignored by `==`.
    pub origin: Origin,
}

/// Where a statement was written: the source its policy came from (a world
/// file, an embedded JSON string, a `{"file": ...}` document, a shipped AWS
/// managed policy) and the byte span of the statement object in it.
///
/// Two origins always compare equal, so that statements written alike in
/// different places (or after a whitespace-only edit) are equal statements:
/// `==` on policies answers "does it say the same thing?".
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    /// The registered text.
    pub source: SourceId,
    /// The statement object's bytes in that text.
    pub span: Span,
}

impl PartialEq for Origin {
    fn eq(&self, _: &Origin) -> bool {
        true
    }
}

impl Origin {
    /// `file:line:col` of the statement's first byte, as diagnostics print
    /// it; `None` when the source is not in `sources`.
    pub fn render(&self, sources: &Sources) -> Option<String> {
        let file = sources.get(self.source)?;
        let (line, col) = file.line_col(self.span.start as usize);
        Some(format!("{}:{line}:{col}", file.name))
    }
}

/// A compiled policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// `Version` as written, if given.
    pub version: Option<String>,
    /// The statements in order.
    pub statements: Vec<Statement>,
    /// The service prefixes its statements' actions name, when every
    /// statement names its services (no `*`, no `NotAction`): a request of
    /// another service can skip the whole policy.
    pub services: Option<Vec<Box<str>>>,
}

impl Policy {
    /// A policy of these statements, with its service index.
    pub fn new(version: Option<String>, statements: Vec<Statement>) -> Policy {
        let mut services: Vec<Box<str>> = Vec::new();
        let mut bounded = true;
        for st in &statements {
            if st.actions.negated {
                bounded = false;
            }
            for p in &st.actions.patterns {
                match p {
                    ActionPattern::Any => bounded = false,
                    ActionPattern::Service { service, .. } if !services.contains(service) => {
                        services.push(service.clone());
                    }
                    ActionPattern::Service { .. } => {}
                }
            }
        }
        Policy {
            version,
            statements,
            services: bounded.then_some(services),
        }
    }

    /// False when no statement can match an action of `service`.
    pub fn may_apply_to(&self, service: &str) -> bool {
        self.services
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| **x == *service))
    }
}

/// The resource of a request, split once.
#[derive(Clone, Copy, Debug)]
pub struct RequestResource<'a> {
    /// The text, `*` for actions without resource-level permissions.
    pub text: &'a str,
    /// The ARN parts, `None` for `*`.
    pub arn: Option<Arn<'a>>,
}

impl<'a> RequestResource<'a> {
    /// Splits a request resource; `None` when it is neither `*` nor an ARN.
    pub fn parse(text: &'a str) -> Option<RequestResource<'a>> {
        if text == "*" {
            return Some(RequestResource { text, arn: None });
        }
        Arn::parse(text).map(|arn| RequestResource {
            text,
            arn: Some(arn),
        })
    }
}

impl ResourceSet {
    /// True when the request resource is covered (for `NotResource`: not
    /// covered by any entry). An entry whose variable has no value matches
    /// no resource (L57), so under `NotResource` it excludes nothing.
    pub fn matches(&self, res: &RequestResource<'_>, ctx: &dyn Lookup) -> bool {
        let hit = self.patterns.iter().any(|p| match (p, &res.arn) {
            (ResourcePattern::Any, _) => true,
            (ResourcePattern::Arn(pat), Some(arn)) => pat.matches(arn, ctx) == Some(true),
            (ResourcePattern::Arn(_), None) => false,
        });
        hit != self.negated
    }
}

impl ActionSet {
    /// True when the action is covered (for `NotAction`: not covered).
    pub fn matches(&self, action: &RequestAction<'_>) -> bool {
        self.patterns.iter().any(|p| p.matches(action)) != self.negated
    }
}

impl Statement {
    /// True when action, resource and every condition match: the statement
    /// applies to the request if its principal part (if any) matches too.
    pub fn matches_request(
        &self,
        action: &RequestAction<'_>,
        res: &RequestResource<'_>,
        ctx: &dyn Lookup,
    ) -> bool {
        self.actions.matches(action)
            && self.resources.as_ref().is_none_or(|r| r.matches(res, ctx))
            && self.conditions.iter().all(|c| c.eval(ctx))
    }

    /// The label used in explanations: `Sid "X"` or `statement #N`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) if !s.is_empty() => format!("statement \"{s}\""),
            _ => format!("statement #{}", self.index),
        }
    }
}
